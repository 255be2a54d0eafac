/* reload-tls-link.c: TLS/TCP with FH (RFC 6940 §6.6.5) on GnuTLS.
 *
 * One custom GSource watches the socket's fd (g_source_add_unix_fd) and
 * runs link_pump(), a small state machine:
 *
 *   HANDSHAKE -> UP -> (close) FLUSHING -> BYE -> DRAINING -> DOWN
 *                  \-> DOWN (error, EOF)
 *
 * The fd events follow what GnuTLS waits for (gnutls_record_get_direction
 * in the handshake, G_IO_IN always and G_IO_OUT while output is pending
 * afterwards).  GnuTLS may hold decrypted records the fd no longer
 * signals, and a dispatch reads a bounded number of records: the source's
 * ready time (0) then asks for another dispatch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-tls-link.h"

#include "reload-link-auth.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "reload-framing.h"

/* clang-format off */
G_DEFINE_QUARK (reload-tls-link-error-quark, reload_tls_link_error)
/* clang-format on */

/* Records read per dispatch before yielding to the main loop. */
#define READS_PER_DISPATCH 64
/* The TLS plaintext record limit: the chunk handed to gnutls_record_send. */
#define SEND_CHUNK 16384

typedef enum
{
  STATE_HANDSHAKE,
  STATE_UP,
  STATE_FLUSHING, /* close(): draining the queue */
  STATE_BYE,      /* close(): sending close_notify */
  STATE_DRAINING, /* close(): waiting for the peer's end of the stream */
  STATE_DOWN,
} LinkState;

typedef struct
{
  GSource base;
  ReloadTlsLink *link;
  gpointer tag;
} LinkSource;

struct _ReloadTlsLink
{
  ReloadTlsLinkRole role;
  LinkState state;
  GSocket *socket;
  GObject *connection; /* nullable: kept alive for the socket */
  GMainContext *context;
  LinkSource *source;
  GIOCondition events;

  gnutls_session_t session;
  gnutls_certificate_credentials_t cred;
  ReloadCert *root;
  ReloadCertIdentity *own_identity;
  ReloadCert *peer_cert;
  ReloadCertIdentity *peer_identity;
  GError *verify_error; /* why the verify callback refused the peer */

  gsize max_message_size;
  ReloadTlsLinkCallbacks callbacks;
  gpointer user_data;

  /* outgoing framed bytes: out->data[out_off..] */
  GByteArray *out;
  gsize out_off;
  gsize send_pending;        /* size of a gnutls_record_send that returned EAGAIN */
  gsize frame_left;          /* bytes of the frame at out_off not yet handed to TLS */
  gboolean recv_wants_write; /* gnutls_record_recv blocked on writing (TLS 1.3 KeyUpdate) */
  gboolean was_up;           /* `up` was reported: the peer identity is valid */
  guint32 next_sequence;

  /* incoming framed bytes: in->data[in_off..] */
  GByteArray *in;
  gsize in_off;
  guint32 recent[32]; /* the 32 most recently received sequence numbers */
  guint n_recent;
  guint recent_pos;

  gint64 drain_deadline;     /* monotonic, STATE_DRAINING */
  gint64 handshake_deadline; /* monotonic, STATE_HANDSHAKE */

  /* §6.6.5 RTT and failure detection: send times of data frames in flight,
   * oldest first (a ring), and the RFC 6298 estimator */
  guint32 timed_seq[RELOAD_TLS_LINK_TIMED_FRAMES];
  gint64 timed_at[RELOAD_TLS_LINK_TIMED_FRAMES];
  guint timed_head, n_timed;
  gint64 srtt_us, rttvar_us, rto_us;
  guint failure_timeout_ms;
  ReloadTlsLinkStats stats;

  guint busy; /* > 0 while callbacks may run */
  gboolean free_pending;
};

static void link_really_free (ReloadTlsLink *link);

/* ---- helpers ---- */

static void
set_tls_error (GError **error, int code, int ret, const char *what)
{
  g_set_error (error, RELOAD_TLS_LINK_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
}

static gsize
out_len (const ReloadTlsLink *link)
{
  return link->out->len - link->out_off;
}

static void
update_events (ReloadTlsLink *link)
{
  if (link->source == NULL)
    return;
  GIOCondition ev = 0;
  switch (link->state)
    {
    case STATE_HANDSHAKE:
    case STATE_BYE:
      ev = gnutls_record_get_direction (link->session) ? G_IO_OUT : G_IO_IN;
      break;
    case STATE_UP:
    case STATE_FLUSHING:
      ev = G_IO_IN;
      if (out_len (link) > 0 || link->send_pending > 0 || link->recv_wants_write)
        ev |= G_IO_OUT;
      break;
    case STATE_DRAINING:
      ev = G_IO_IN;
      break;
    case STATE_DOWN:
      ev = 0;
      break;
    }
  if (ev != link->events)
    {
      g_source_modify_unix_fd ((GSource *) link->source, link->source->tag, ev);
      link->events = ev;
    }
}

static void
stop_io (ReloadTlsLink *link)
{
  if (link->source != NULL)
    {
      g_source_destroy ((GSource *) link->source);
      g_source_unref ((GSource *) link->source);
      link->source = NULL;
    }
  if (link->socket != NULL)
    g_socket_close (link->socket, NULL);
}

/* The link goes down: closes everything, then calls `down` (once). */
static void
link_down (ReloadTlsLink *link, GError *error)
{
  if (link->state == STATE_DOWN)
    {
      g_clear_error (&error);
      return;
    }
  link->state = STATE_DOWN;
  stop_io (link);
  if (link->callbacks.down != NULL && !link->free_pending)
    link->callbacks.down (link, error, link->user_data);
  g_clear_error (&error);
}

static void
queue_ack (ReloadTlsLink *link, guint32 sequence)
{
  guint32 received = 0;
  for (guint i = 0; i < link->n_recent; i++)
    {
      guint32 m = link->recent[i];
      guint32 d = sequence - m; /* modulo 2^32 */
      if (d >= 1 && d < 32)
        received |= 1u << d;
    }
  link->recent[link->recent_pos] = sequence;
  link->recent_pos = (link->recent_pos + 1) % 32;
  if (link->n_recent < 32)
    link->n_recent++;
  reload_frame_encode_ack (link->out, sequence, received);
  link->stats.acks_sent++;
}

static void
take_ack (ReloadTlsLink *link, guint32 ack_sequence)
{
  /* a sequence number we never sent: ignored (counted) */
  if (ack_sequence >= link->next_sequence)
    {
      link->stats.acks_ignored++;
      return;
    }
  if (link->stats.acks_received == 0 || ack_sequence > link->stats.highest_acked)
    link->stats.highest_acked = ack_sequence;
  link->stats.acks_received++;
  /* TCP keeps the order: an ack for N covers every frame up to N.  The
   * frame N itself gives an RTT sample (RFC 6298 §2; there are no
   * retransmissions over TCP, so Karn's rule has nothing to exclude). */
  gint64 now = g_get_monotonic_time ();
  while (link->n_timed > 0)
    {
      guint32 seq = link->timed_seq[link->timed_head];
      if ((gint32) (seq - ack_sequence) > 0)
        break;
      if (seq == ack_sequence)
        {
          gint64 r = MAX (now - link->timed_at[link->timed_head], 1);
          if (link->stats.rtt_samples == 0)
            {
              link->srtt_us = r;
              link->rttvar_us = r / 2;
            }
          else
            {
              link->rttvar_us = (3 * link->rttvar_us + ABS (link->srtt_us - r)) / 4;
              link->srtt_us = (7 * link->srtt_us + r) / 8;
            }
          /* RTO = SRTT + max (G, 4 RTTVAR), at least 1 s (§2.4), at most
           * 60 s (§2.5) */
          link->rto_us = CLAMP (link->srtt_us + MAX (1000, 4 * link->rttvar_us), G_USEC_PER_SEC,
                                60 * G_USEC_PER_SEC);
          link->stats.rtt_samples++;
          link->stats.srtt_us = (guint) MIN (link->srtt_us, G_MAXUINT);
          link->stats.rto_ms = (guint) (link->rto_us / 1000);
        }
      link->timed_head = (link->timed_head + 1) % RELOAD_TLS_LINK_TIMED_FRAMES;
      link->n_timed--;
    }
}

/* The monotonic time at which the oldest unacknowledged frame fails the
 * link, or -1. */
static gint64
failure_deadline (const ReloadTlsLink *link)
{
  if (link->n_timed == 0)
    return -1;
  gint64 wait = MAX (link->rto_us, (gint64) link->failure_timeout_ms * 1000);
  return link->timed_at[link->timed_head] + wait;
}

/* Parses the complete frames of the input buffer.  FALSE when the link went
 * down or was freed (stop at once). */
static gboolean
parse_frames (ReloadTlsLink *link)
{
  while (link->state == STATE_UP && !link->free_pending)
    {
      const guint8 *p = link->in->data + link->in_off;
      gsize avail = link->in->len - link->in_off;
      GError *err = NULL;
      gssize n = reload_frame_stream_length (p, avail, link->max_message_size, &err);
      if (n == 0)
        break;
      if (n < 0)
        {
          int code = g_error_matches (err, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE)
                         ? RELOAD_TLS_LINK_ERROR_TOO_LARGE
                         : RELOAD_TLS_LINK_ERROR_PROTOCOL;
          GError *e = g_error_new (RELOAD_TLS_LINK_ERROR, code, "bad frame from the peer: %s",
                                   err->message);
          g_error_free (err);
          link_down (link, e);
          return FALSE;
        }
      ReloadFrame frame;
      if (!reload_frame_decode (p, (gsize) n, NULL, &frame, &err))
        {
          GError *e = g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_PROTOCOL,
                                   "bad frame from the peer: %s", err->message);
          g_error_free (err);
          link_down (link, e);
          return FALSE;
        }
      link->in_off += (gsize) n;
      if (frame.type == RELOAD_FRAME_ACK)
        {
          take_ack (link, frame.ack_sequence);
          continue;
        }
      queue_ack (link, frame.sequence);
      if (out_len (link) > 2 * RELOAD_TLS_LINK_MAX_QUEUED_BYTES)
        {
          link_down (link, g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_QUEUE_FULL,
                                        "the peer does not read its acknowledgements"));
          return FALSE;
        }
      link->stats.frames_received++;
      link->stats.bytes_received += frame.message.len;
      if (link->callbacks.message != NULL)
        link->callbacks.message (link, frame.message.data, frame.message.len, link->user_data);
    }
  if (link->state == STATE_DOWN || link->free_pending)
    return FALSE;
  /* compact */
  if (link->in_off == link->in->len)
    {
      g_byte_array_set_size (link->in, 0);
      link->in_off = 0;
    }
  else if (link->in_off > 65536 && link->in_off > link->in->len / 2)
    {
      g_byte_array_remove_range (link->in, 0, (guint) link->in_off);
      link->in_off = 0;
    }
  return TRUE;
}

/* The size of the next TLS record: what is left of the frame at the head
 * of the queue, at most SEND_CHUNK.  Each frame of §6.6.2 starts a record
 * of its own, so that a reader that takes one frame per record (Wireshark's
 * reload-framing dissector over TLS does) sees every frame; an ack costs a
 * record header, which is cheap next to a lost view of the traffic. */
static gsize
next_record_size (ReloadTlsLink *link)
{
  gsize avail = out_len (link);
  if (link->frame_left == 0)
    {
      const guint8 *p = link->out->data + link->out_off;
      if (p[0] == RELOAD_FRAME_DATA && avail >= RELOAD_FRAME_DATA_HEADER_SIZE)
        link->frame_left =
            RELOAD_FRAME_DATA_HEADER_SIZE + ((gsize) p[5] << 16 | (gsize) p[6] << 8 | p[7]);
      else
        link->frame_left = RELOAD_FRAME_ACK_SIZE;
    }
  return MIN (MIN (link->frame_left, avail), SEND_CHUNK);
}

/* Writes queued bytes until GnuTLS would block.  FALSE when the link went
 * down. */
static gboolean
flush_out (ReloadTlsLink *link)
{
  while (out_len (link) > 0 || link->send_pending > 0)
    {
      ssize_t r;
      if (link->send_pending > 0)
        r = gnutls_record_send (link->session, NULL, 0);
      else
        {
          gsize chunk = next_record_size (link);
          r = gnutls_record_send (link->session, link->out->data + link->out_off, chunk);
          if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            link->send_pending = chunk;
        }
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        return TRUE;
      if (r < 0)
        {
          GError *e = NULL;
          set_tls_error (&e, RELOAD_TLS_LINK_ERROR_TLS, (int) r, "TLS send");
          link_down (link, e);
          return FALSE;
        }
      link->send_pending = 0;
      link->out_off += (gsize) r;
      link->frame_left -= MIN (link->frame_left, (gsize) r);
      link->stats.wire_bytes_sent += (guint64) r;
    }
  g_byte_array_set_size (link->out, 0);
  link->out_off = 0;
  return TRUE;
}

/* Reads records.  FALSE when the link went down or was freed. */
static gboolean
read_records (ReloadTlsLink *link, gboolean *more)
{
  guint8 buf[SEND_CHUNK + 256];
  for (guint i = 0; i < READS_PER_DISPATCH; i++)
    {
      ssize_t r = gnutls_record_recv (link->session, buf, sizeof buf);
      link->recv_wants_write = FALSE;
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        {
          link->recv_wants_write = gnutls_record_get_direction (link->session) == 1;
          return TRUE;
        }
      if (r == 0)
        {
          /* close_notify: an orderly end */
          link_down (link, NULL);
          return FALSE;
        }
      if (r < 0)
        {
          if (!gnutls_error_is_fatal ((int) r))
            continue; /* a warning alert, a refused renegotiation */
          GError *e = NULL;
          if (r == GNUTLS_E_PREMATURE_TERMINATION)
            e = g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED,
                             "the peer closed the connection without TLS close_notify");
          else
            set_tls_error (&e, RELOAD_TLS_LINK_ERROR_TLS, (int) r, "TLS receive");
          link_down (link, e);
          return FALSE;
        }
      link->stats.wire_bytes_recv += (guint64) r;
      if (link->state != STATE_UP)
        continue; /* closing: discarded */
      g_byte_array_append (link->in, buf, (guint) r);
      if (!parse_frames (link))
        return FALSE;
    }
  *more = TRUE;
  return TRUE;
}

static void
finish_handshake (ReloadTlsLink *link)
{
  link->state = STATE_UP;
  link->was_up = TRUE;
  if (link->callbacks.up != NULL)
    link->callbacks.up (link, link->peer_identity, link->user_data);
}

static void
link_pump (ReloadTlsLink *link)
{
  gboolean more = FALSE;

  if (link->state == STATE_HANDSHAKE)
    {
      /* hostile input: a connection that never finishes its handshake
       * must not hold a handshake slot (and a socket) forever */
      if (g_get_monotonic_time () >= link->handshake_deadline)
        {
          link_down (link, g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TIMEOUT,
                                        "no TLS handshake in %u ms",
                                        RELOAD_TLS_LINK_HANDSHAKE_TIMEOUT_MS));
          return;
        }
      int r = gnutls_handshake (link->session);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        goto out;
      if (r < 0)
        {
          GError *e = NULL;
          if (link->verify_error != NULL)
            {
              e = link->verify_error;
              link->verify_error = NULL;
              /* best effort: the socket is non-blocking and closes next */
              gnutls_alert_send (link->session, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
            }
          else if (r == GNUTLS_E_PREMATURE_TERMINATION)
            e = g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED,
                             "TLS handshake: the peer closed the connection");
          else
            set_tls_error (&e, RELOAD_TLS_LINK_ERROR_TLS, r, "TLS handshake");
          link_down (link, e);
          return;
        }
      if (link->peer_identity == NULL)
        {
          /* cannot happen with GNUTLS_CERT_REQUIRE and the verify callback */
          link_down (link, g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_NOT_TRUSTED,
                                        "the peer presented no certificate"));
          return;
        }
      finish_handshake (link);
      if (link->free_pending || link->state == STATE_DOWN)
        return;
    }

  if (link->state == STATE_UP || link->state == STATE_FLUSHING)
    {
      if (!read_records (link, &more))
        return;
      if (!flush_out (link))
        return;
      if (link->state == STATE_FLUSHING && out_len (link) == 0 && link->send_pending == 0)
        link->state = STATE_BYE;
    }

  if (link->state == STATE_BYE)
    {
      int r = gnutls_bye (link->session, GNUTLS_SHUT_WR);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        goto out;
      if (r < 0)
        {
          GError *e = NULL;
          set_tls_error (&e, RELOAD_TLS_LINK_ERROR_TLS, r, "TLS close");
          link_down (link, e);
          return;
        }
      g_socket_shutdown (link->socket, FALSE, TRUE, NULL);
      link->state = STATE_DRAINING;
      link->drain_deadline = g_get_monotonic_time () + RELOAD_TLS_LINK_CLOSE_TIMEOUT_MS * 1000;
    }

  if (link->state == STATE_DRAINING)
    {
      if (g_get_monotonic_time () >= link->drain_deadline)
        {
          link_down (link, NULL);
          return;
        }
      /* until the peer's end: anything else it sends is discarded */
      for (guint i = 0; i < READS_PER_DISPATCH; i++)
        {
          guint8 buf[4096];
          ssize_t r = gnutls_record_recv (link->session, buf, sizeof buf);
          if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            break;
          if (r > 0 || (r < 0 && !gnutls_error_is_fatal ((int) r)))
            continue;
          /* 0 (close_notify), EOF or an error: done either way */
          link_down (link, NULL);
          return;
        }
      if (g_get_monotonic_time () >= link->drain_deadline)
        {
          link_down (link, NULL);
          return;
        }
      g_source_set_ready_time ((GSource *) link->source, link->drain_deadline);
    }

out:
  if (link->state == STATE_DOWN || link->free_pending)
    return;
  if (link->state != STATE_DRAINING)
    {
      if (link->state == STATE_UP && gnutls_record_check_pending (link->session) > 0)
        more = TRUE;
      gint64 deadline = link->state == STATE_UP ? failure_deadline (link) : -1;
      if (deadline >= 0 && g_get_monotonic_time () >= deadline)
        {
          GError *e =
              g_error_new (RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TIMEOUT,
                           "no ack for frame %u in %" G_GINT64_FORMAT " ms (§6.6.5)",
                           link->timed_seq[link->timed_head],
                           (g_get_monotonic_time () - link->timed_at[link->timed_head]) / 1000);
          link_down (link, e);
          return;
        }
      if (link->state == STATE_HANDSHAKE)
        deadline = link->handshake_deadline;
      g_source_set_ready_time ((GSource *) link->source, more ? 0 : deadline);
    }
  update_events (link);
}

static gboolean
link_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ReloadTlsLink *link = ((LinkSource *) source)->link;
  link->busy++;
  link_pump (link);
  link->busy--;
  if (link->busy == 0 && link->free_pending)
    link_really_free (link);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs link_source_funcs = {
  .dispatch = link_source_dispatch,
};

/* ---- certificate verification (inside gnutls_handshake) ---- */

static int
verify_peer (gnutls_session_t session)
{
  ReloadTlsLink *link = gnutls_session_get_ptr (session);
  ReloadCert *cert = NULL;
  ReloadCertIdentity *id = NULL;
  g_clear_error (&link->verify_error);
  if (!reload_link_auth_check_peer (session, link->root, link->own_identity->overlay_name,
                                    RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_NOT_TRUSTED, &cert,
                                    &id, &link->verify_error))
    return -1;
  g_clear_pointer (&link->peer_identity, reload_cert_identity_free);
  g_clear_pointer (&link->peer_cert, reload_cert_unref);
  link->peer_identity = id;
  link->peer_cert = cert;
  return 0;
}

/* ---- creation ---- */

ReloadTlsLink *
reload_tls_link_new (GSocket *socket, ReloadTlsLinkRole role, ReloadCert *cert,
                     const ReloadKey *key, ReloadCert *root, gsize max_message_size,
                     const ReloadTlsLinkCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (cert != NULL && key != NULL && root != NULL, NULL);

  if (!g_socket_is_connected (socket))
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_INVALID,
                   "the socket is not connected");
      return NULL;
    }
  if (!reload_cert_matches_key (cert, key))
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_INVALID,
                   "the key is not the certificate's");
      return NULL;
    }
  GError *local = NULL;
  ReloadCertIdentity *own = reload_cert_get_identity (cert, &local);
  if (own == NULL)
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_INVALID,
                   "own certificate: %s", local->message);
      g_error_free (local);
      return NULL;
    }

  ReloadTlsLink *link = g_new0 (ReloadTlsLink, 1);
  link->role = role;
  link->state = STATE_HANDSHAKE;
  link->socket = g_object_ref (socket);
  /* RELOAD messages are small and each one waits for its answer: Nagle's
   * algorithm with the peer's delayed acks would hold a message back up to
   * 40 ms per hop.  The framing already batches what is queued. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* a peer that vanished without a FIN, on an idle link */
  g_socket_set_keepalive (socket, TRUE);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, RELOAD_TLS_LINK_KEEPALIVE_IDLE_S, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, 5, NULL);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
  link->failure_timeout_ms = RELOAD_TLS_LINK_FAILURE_TIMEOUT_MS;
  link->handshake_deadline =
      g_get_monotonic_time () + (gint64) RELOAD_TLS_LINK_HANDSHAKE_TIMEOUT_MS * 1000;
  link->rto_us = 3 * G_USEC_PER_SEC; /* RFC 6298 §2.1 before any sample */
  link->stats.rto_ms = 3000;
  link->root = reload_cert_ref (root);
  link->own_identity = own;
  link->max_message_size =
      max_message_size == 0 ? RELOAD_TLS_LINK_DEFAULT_MAX_MESSAGE : max_message_size;
  if (callbacks != NULL)
    link->callbacks = *callbacks;
  link->user_data = user_data;
  link->out = g_byte_array_new ();
  link->in = g_byte_array_new ();

  int ret = gnutls_certificate_allocate_credentials (&link->cred);
  if (ret < 0)
    goto tls_fail;
  gnutls_x509_crt_t crt = reload_cert_get_x509 (cert);
  ret = gnutls_certificate_set_x509_key (link->cred, &crt, 1, reload_key_get_x509 (key));
  if (ret < 0)
    goto tls_fail;
  gnutls_certificate_set_verify_function (link->cred, verify_peer);

  ret =
      gnutls_init (&link->session, (role == RELOAD_TLS_LINK_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT)
                                       | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS);
  if (ret < 0)
    goto tls_fail;
  gnutls_session_set_ptr (link->session, link);
  ret = gnutls_set_default_priority (link->session);
  if (ret < 0)
    goto tls_fail;
  ret = gnutls_credentials_set (link->session, GNUTLS_CRD_CERTIFICATE, link->cred);
  if (ret < 0)
    goto tls_fail;
  if (role == RELOAD_TLS_LINK_SERVER)
    gnutls_certificate_server_set_request (link->session, GNUTLS_CERT_REQUIRE);
  gnutls_transport_set_int (link->session, g_socket_get_fd (socket));

  link->context = g_main_context_ref_thread_default ();
  link->source = (LinkSource *) g_source_new (&link_source_funcs, sizeof (LinkSource));
  link->source->link = link;
  g_source_set_name ((GSource *) link->source, "ReloadTlsLink");
  link->events = G_IO_IN | G_IO_OUT;
  link->source->tag =
      g_source_add_unix_fd ((GSource *) link->source, g_socket_get_fd (socket), link->events);
  /* the handshake starts at the next iteration, not inside this call */
  g_source_set_ready_time ((GSource *) link->source, 0);
  g_source_attach ((GSource *) link->source, link->context);
  return link;

tls_fail:
  set_tls_error (error, RELOAD_TLS_LINK_ERROR_TLS, ret, "TLS setup");
  link->socket = (g_object_unref (link->socket), NULL); /* not ours to close yet */
  link_really_free (link);
  return NULL;
}

ReloadTlsLink *
reload_tls_link_new_for_connection (GSocketConnection *connection, ReloadTlsLinkRole role,
                                    ReloadCert *cert, const ReloadKey *key, ReloadCert *root,
                                    gsize max_message_size, const ReloadTlsLinkCallbacks *callbacks,
                                    gpointer user_data, GError **error)
{
  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  ReloadTlsLink *link =
      reload_tls_link_new (g_socket_connection_get_socket (connection), role, cert, key, root,
                           max_message_size, callbacks, user_data, error);
  if (link != NULL)
    link->connection = g_object_ref (G_OBJECT (connection));
  return link;
}

static void
link_really_free (ReloadTlsLink *link)
{
  stop_io (link);
  if (link->session != NULL)
    gnutls_deinit (link->session);
  if (link->cred != NULL)
    gnutls_certificate_free_credentials (link->cred);
  g_clear_object (&link->socket);
  g_clear_object (&link->connection);
  g_clear_pointer (&link->context, g_main_context_unref);
  g_clear_pointer (&link->root, reload_cert_unref);
  g_clear_pointer (&link->peer_cert, reload_cert_unref);
  g_clear_pointer (&link->own_identity, reload_cert_identity_free);
  g_clear_pointer (&link->peer_identity, reload_cert_identity_free);
  g_clear_error (&link->verify_error);
  g_byte_array_unref (link->out);
  g_byte_array_unref (link->in);
  g_free (link);
}

void
reload_tls_link_free (ReloadTlsLink *link)
{
  if (link == NULL)
    return;
  if (link->busy > 0)
    {
      /* inside one of our callbacks: released when it returns */
      link->free_pending = TRUE;
      return;
    }
  link_really_free (link);
}

/* ---- use ---- */

gboolean
reload_tls_link_send (ReloadTlsLink *link, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (link != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  if (link->state != STATE_HANDSHAKE && link->state != STATE_UP)
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED,
                   "the link is closed");
      return FALSE;
    }
  if (len > RELOAD_FRAME_MAX_MESSAGE)
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TOO_LARGE,
                   "a message of %" G_GSIZE_FORMAT " bytes does not fit a frame", len);
      return FALSE;
    }
  if (out_len (link) + RELOAD_FRAME_DATA_HEADER_SIZE + len > RELOAD_TLS_LINK_MAX_QUEUED_BYTES)
    {
      g_set_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_QUEUE_FULL,
                   "the outgoing queue is full (%" G_GSIZE_FORMAT " bytes queued, limit %u)",
                   out_len (link), RELOAD_TLS_LINK_MAX_QUEUED_BYTES);
      return FALSE;
    }
  if (link->n_timed < RELOAD_TLS_LINK_TIMED_FRAMES)
    {
      guint i = (link->timed_head + link->n_timed) % RELOAD_TLS_LINK_TIMED_FRAMES;
      link->timed_seq[i] = link->next_sequence;
      link->timed_at[i] = g_get_monotonic_time ();
      link->n_timed++;
    }
  reload_frame_encode_data (link->out, link->next_sequence++, data, len);
  link->stats.frames_sent++;
  link->stats.bytes_sent += len;
  if (link->state == STATE_UP)
    update_events (link);
  return TRUE;
}

void
reload_tls_link_close (ReloadTlsLink *link)
{
  g_return_if_fail (link != NULL);
  switch (link->state)
    {
    case STATE_HANDSHAKE:
      /* nothing to flush: abandon the handshake, report at the next
       * iteration (never from inside this call) */
      link->state = STATE_DRAINING;
      link->drain_deadline = 0;
      g_socket_shutdown (link->socket, TRUE, TRUE, NULL);
      g_source_set_ready_time ((GSource *) link->source, 0);
      update_events (link);
      break;
    case STATE_UP:
      link->state = STATE_FLUSHING;
      g_source_set_ready_time ((GSource *) link->source, 0);
      update_events (link);
      break;
    default:
      break;
    }
}

gboolean
reload_tls_link_is_up (const ReloadTlsLink *link)
{
  return link->state == STATE_UP;
}

ReloadTlsLinkRole
reload_tls_link_get_role (const ReloadTlsLink *link)
{
  return link->role;
}

const ReloadCertIdentity *
reload_tls_link_get_peer_identity (const ReloadTlsLink *link)
{
  return link->was_up ? link->peer_identity : NULL;
}

ReloadCert *
reload_tls_link_get_peer_cert (const ReloadTlsLink *link)
{
  return link->was_up ? link->peer_cert : NULL;
}

guint
reload_tls_link_get_n_peer_node_ids (const ReloadTlsLink *link)
{
  const ReloadCertIdentity *id = reload_tls_link_get_peer_identity (link);
  return id != NULL ? id->n_node_ids : 0;
}

const ReloadNodeId *
reload_tls_link_get_peer_node_id (const ReloadTlsLink *link, guint index)
{
  const ReloadCertIdentity *id = reload_tls_link_get_peer_identity (link);
  if (id == NULL || index >= id->n_node_ids)
    return NULL;
  return &id->node_ids[index];
}

void
reload_tls_link_get_stats (const ReloadTlsLink *link, ReloadTlsLinkStats *out)
{
  *out = link->stats;
}

void
reload_tls_link_set_failure_timeout (ReloadTlsLink *link, guint ms)
{
  g_return_if_fail (link != NULL);
  link->failure_timeout_ms = ms;
  if (link->source != NULL)
    g_source_set_ready_time ((GSource *) link->source, 0);
}

gsize
reload_tls_link_get_queued_bytes (const ReloadTlsLink *link)
{
  return out_len (link);
}
