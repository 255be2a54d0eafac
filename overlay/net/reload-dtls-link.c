/* reload-dtls-link.c: DTLS/UDP with SR (RFC 6940 §6.6.3, §6.6.4) on
 * GnuTLS.
 *
 * One custom GSource watches the socket's fd and its ready time is the
 * earliest timer (DTLS handshake retransmission, SR retransmission);
 * every dispatch runs link_pump():
 *
 *   HANDSHAKE -> UP -> (close) CLOSING -> DOWN
 *                  \-> DOWN (error, close_notify, timeout)
 *
 * UDP never really blocks: a datagram the socket would not take now, or
 * one refused by an ICMP error, counts as lost and SR sends it again.
 *
 * Datagram mode (AppAttach, §6.5.2; see the header): the same machine
 * without frames and SR: `pending` is flushed record by record once up,
 * every record read is one message, nothing is in flight and no timer
 * runs after the handshake.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-dtls-link.h"

#include "reload-link-auth.h"

#include <errno.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <string.h>

#include "reload-framing.h"

/* clang-format off */
G_DEFINE_QUARK (reload-dtls-link-error-quark, reload_dtls_link_error)
/* clang-format on */

/* Records read per dispatch before yielding to the main loop. */
#define READS_PER_DISPATCH 64
/* The DTLS handshake's first retransmission timeout. */
#define HANDSHAKE_RETRANS_MS 1000
/* The largest plaintext of a DTLS record (RFC 6347 §4.1 after RFC 5246
 * §6.2.1: 2^14): the receive buffer holds any record, whatever its mode
 * and whatever the peer sends. */
#define RECORD_MAX_PLAINTEXT (1u << 14)

typedef enum
{
  STATE_HANDSHAKE,
  STATE_UP,
  STATE_CLOSING, /* close(): waiting for the acks of what was sent */
  STATE_DOWN,
} LinkState;

typedef struct
{
  GSource base;
  ReloadDtlsLink *link;
  gpointer tag;
} LinkSource;

/* A message in flight: the sequence numbers of its transmissions. */
typedef struct
{
  GBytes *message;
  guint32 seqs[RELOAD_DTLS_LINK_MAX_TRANSMISSIONS];
  guint n_tx;
  guint rto_ms;    /* the wait after the latest transmission */
  gint64 deadline; /* monotonic, µs */
} OutMessage;

struct _ReloadDtlsLink
{
  ReloadDtlsLinkRole role;
  ReloadDtlsLinkMode mode;
  LinkState state;
  gboolean started; /* the handshake has begun (set_mode is too late) */
  GSocket *socket;  /* NULL on a datagram transport */
  ReloadDtlsTransport transport;
  gpointer transport_data;
  GQueue received; /* GBytes *: datagrams the transport gave, not yet read */
  GMainContext *context;
  LinkSource *source;

  gnutls_session_t session;
  gnutls_certificate_credentials_t cred;
  ReloadCert *root;
  ReloadCertIdentity *own_identity;
  ReloadCert *peer_cert;
  ReloadCertIdentity *peer_identity;
  GError *verify_error;

  ReloadDtlsLinkCallbacks callbacks;
  gpointer user_data;
  ReloadDtlsLinkDropFunc drop_func;
  gpointer drop_data;
  guint initial_rto_ms;
  gboolean was_up;

  /* sender */
  guint32 next_sequence;
  GPtrArray *in_flight; /* OutMessage *, at most RELOAD_DTLS_LINK_MAX_IN_FLIGHT */
  GQueue pending;       /* GBytes *, at most RELOAD_DTLS_LINK_MAX_QUEUED */

  /* receiver: the 32 most recently received sequence numbers */
  guint32 recent[32];
  guint n_recent;
  guint recent_pos;

  guint8 *record_buf; /* RECORD_MAX_PLAINTEXT bytes */

  ReloadDtlsLinkStats stats;
  guint busy;
  gboolean free_pending;
};

static void link_really_free (ReloadDtlsLink *link);

/* ---- helpers ---- */

static void
set_tls_error (GError **error, int code, int ret, const char *what)
{
  g_set_error (error, RELOAD_DTLS_LINK_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
}

static void
out_message_free (OutMessage *m)
{
  g_bytes_unref (m->message);
  g_free (m);
}

static void
stop_io (ReloadDtlsLink *link)
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

static void
link_down (ReloadDtlsLink *link, GError *error)
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

/* ---- the transport: GSocket under GnuTLS ---- */

static ssize_t
transport_push (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  ReloadDtlsLink *link = ptr;
  if (link->socket == NULL)
    {
      /* a datagram transport: a datagram it does not take is lost, and SR
       * (or the handshake timer) repeats it */
      link->transport.send (link->transport_data, data, len);
      return (ssize_t) len;
    }
  GError *err = NULL;
  gssize r = g_socket_send (link->socket, data, len, NULL, &err);
  if (r >= 0)
    return r;
  int e = EIO;
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)
      || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    {
      /* a lost datagram: SR (or the handshake timer) repeats it; in
       * datagram mode the application's transaction layer does (a record
       * over the path's limit, EMSGSIZE, is lost the same way) */
      g_error_free (err);
      return (ssize_t) len;
    }
  g_error_free (err);
  gnutls_transport_set_errno (link->session, e);
  return -1;
}

static ssize_t
transport_pull (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  ReloadDtlsLink *link = ptr;
  if (link->socket == NULL)
    {
      GBytes *d = g_queue_pop_head (&link->received);
      if (d == NULL)
        {
          gnutls_transport_set_errno (link->session, EAGAIN);
          return -1;
        }
      gsize n;
      const guint8 *bytes = g_bytes_get_data (d, &n);
      /* a datagram larger than the buffer is truncated, as recv() does */
      n = MIN (n, len);
      memcpy (data, bytes, n);
      g_bytes_unref (d);
      return (ssize_t) n;
    }
  GError *err = NULL;
  for (guint i = 0; i < 8; i++)
    {
      gssize r = g_socket_receive (link->socket, data, len, NULL, &err);
      if (r >= 0)
        return r;
      /* an ICMP error of an earlier datagram: not this one's business */
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
          || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
          || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
        {
          g_clear_error (&err);
          continue;
        }
      break;
    }
  int e = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) || err == NULL ? EAGAIN : EIO;
  g_clear_error (&err);
  gnutls_transport_set_errno (link->session, e);
  return -1;
}

static int
transport_pull_timeout (gnutls_transport_ptr_t ptr, unsigned int ms)
{
  ReloadDtlsLink *link = ptr;
  if (link->socket == NULL)
    return g_queue_is_empty (&link->received) ? 0 : 1;
  struct pollfd pfd = { .fd = g_socket_get_fd (link->socket), .events = POLLIN };
  /* non-blocking: never wait here, the main loop does */
  (void) ms;
  int r = poll (&pfd, 1, 0);
  return r < 0 ? -1 : r;
}

/* ---- sending frames ---- */

/* Sends @data in one record; a refused datagram is lost.  FALSE when the
 * link went down. */
static gboolean
send_record (ReloadDtlsLink *link, const guint8 *data, gsize len)
{
  ssize_t r = gnutls_record_send (link->session, data, len);
  if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
    return TRUE; /* lost */
  if (r == GNUTLS_E_LARGE_PACKET)
    {
      /* over the record payload of the MTU: reload_dtls_link_send()
       * checks the size against a bound that holds for every cipher
       * suite, so this is not expected; lost rather than fatal */
      g_debug ("DTLS link: a record of %" G_GSIZE_FORMAT " bytes is over the MTU: dropped", len);
      return TRUE;
    }
  if (r < 0)
    {
      GError *e = NULL;
      set_tls_error (&e, RELOAD_DTLS_LINK_ERROR_TLS, (int) r, "DTLS send");
      link_down (link, e);
      return FALSE;
    }
  return TRUE;
}

/* Sends one frame in one record; a refused or dropped datagram is lost. */
static gboolean
send_frame (ReloadDtlsLink *link, GByteArray *frame, guint8 type, guint32 sequence)
{
  if (link->drop_func != NULL && link->drop_func (link, type, sequence, link->drop_data))
    {
      link->stats.datagrams_dropped++;
      return TRUE;
    }
  return send_record (link, frame->data, frame->len);
}

/* Datagram mode: every queued message in one record of its own, in order,
 * once (no frame, no sequence number on the wire, no ack awaited: RFC 7904
 * §4, SIP over an unreliable transport retransmits itself, RFC 3261
 * §17.1.1.2).  FALSE when the link went down. */
static gboolean
flush_datagrams (ReloadDtlsLink *link)
{
  GBytes *m;
  while ((m = g_queue_pop_head (&link->pending)) != NULL)
    {
      guint32 index = (guint32) link->stats.transmissions++;
      gboolean ok = TRUE;
      if (link->drop_func != NULL
          && link->drop_func (link, RELOAD_FRAME_DATA, index, link->drop_data))
        link->stats.datagrams_dropped++;
      else
        {
          gsize len = 0;
          const guint8 *data = g_bytes_get_data (m, &len);
          ok = send_record (link, data, len);
        }
      g_bytes_unref (m);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* The next transmission of @m (a new sequence number each time). */
static gboolean
transmit (ReloadDtlsLink *link, OutMessage *m)
{
  guint32 seq = link->next_sequence++;
  m->seqs[m->n_tx++] = seq;
  link->stats.transmissions++;
  if (m->n_tx > 1)
    {
      link->stats.retransmissions++;
      m->rto_ms *= 2;
    }
  m->deadline = g_get_monotonic_time () + (gint64) m->rto_ms * 1000;
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (m->message, &len);
  reload_frame_encode_data (frame, seq, data, len);
  return send_frame (link, frame, RELOAD_FRAME_DATA, seq);
}

/* Moves queued messages into the window and sends them. */
static gboolean
fill_window (ReloadDtlsLink *link)
{
  while (link->in_flight->len < RELOAD_DTLS_LINK_MAX_IN_FLIGHT && link->pending.length > 0)
    {
      OutMessage *m = g_new0 (OutMessage, 1);
      m->message = g_queue_pop_head (&link->pending);
      m->rto_ms = link->initial_rto_ms;
      g_ptr_array_add (link->in_flight, m);
      if (!transmit (link, m))
        return FALSE;
    }
  return TRUE;
}

/* Retransmits what timed out; FALSE when the link failed. */
static gboolean
run_timers (ReloadDtlsLink *link)
{
  gint64 now = g_get_monotonic_time ();
  for (guint i = 0; i < link->in_flight->len; i++)
    {
      OutMessage *m = link->in_flight->pdata[i];
      if (m->deadline > now)
        continue;
      if (m->n_tx >= RELOAD_DTLS_LINK_MAX_TRANSMISSIONS)
        {
          link_down (link, g_error_new (RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TIMEOUT,
                                        "no acknowledgement after %u transmissions (sequence "
                                        "%u): the link failed",
                                        m->n_tx, m->seqs[m->n_tx - 1]));
          return FALSE;
        }
      if (!transmit (link, m))
        return FALSE;
    }
  return TRUE;
}

static gint64
next_deadline (ReloadDtlsLink *link)
{
  gint64 t = -1;
  for (guint i = 0; i < link->in_flight->len; i++)
    {
      OutMessage *m = link->in_flight->pdata[i];
      if (t < 0 || m->deadline < t)
        t = m->deadline;
    }
  return t;
}

/* ---- receiving frames ---- */

static gboolean
seen_recently (const ReloadDtlsLink *link, guint32 sequence)
{
  for (guint i = 0; i < link->n_recent; i++)
    if (link->recent[i] == sequence)
      return TRUE;
  return FALSE;
}

static gboolean
send_ack (ReloadDtlsLink *link, guint32 sequence)
{
  guint32 received = 0;
  for (guint i = 0; i < link->n_recent; i++)
    {
      guint32 d = sequence - link->recent[i]; /* modulo 2^32 */
      if (d >= 1 && d < 32)
        received |= 1u << d;
    }
  g_autoptr (GByteArray) frame = g_byte_array_sized_new (RELOAD_FRAME_ACK_SIZE);
  reload_frame_encode_ack (frame, sequence, received);
  link->stats.acks_sent++;
  return send_frame (link, frame, RELOAD_FRAME_ACK, sequence);
}

/* Removes the in-flight message one of whose transmissions is @sequence. */
static void
ack_sequence (ReloadDtlsLink *link, guint32 sequence)
{
  for (guint i = 0; i < link->in_flight->len; i++)
    {
      OutMessage *m = link->in_flight->pdata[i];
      for (guint t = 0; t < m->n_tx; t++)
        if (m->seqs[t] == sequence)
          {
            g_ptr_array_remove_index (link->in_flight, i); /* keeps the order */
            link->stats.messages_acked++;
            return;
          }
    }
}

static void
take_ack (ReloadDtlsLink *link, guint32 ack_seq, guint32 received)
{
  if (ack_seq >= link->next_sequence)
    {
      link->stats.acks_ignored++;
      return;
    }
  link->stats.acks_received++;
  ack_sequence (link, ack_seq);
  for (guint d = 1; d < 32; d++)
    if ((received & (1u << d)) && d <= ack_seq)
      ack_sequence (link, ack_seq - d);
}

/* Datagram mode: the record is the message, whatever it holds (a SIP
 * parser above judges it).  FALSE when the link went down or was freed. */
static gboolean
take_datagram (ReloadDtlsLink *link, const guint8 *data, gsize len)
{
  if (link->state != STATE_UP)
    return TRUE; /* closing: no `message` after close() */
  link->stats.frames_received++;
  link->stats.bytes_received += len;
  if (link->callbacks.message != NULL)
    link->callbacks.message (link, data, len, link->user_data);
  return link->state != STATE_DOWN && !link->free_pending;
}

/* One record, one frame.  FALSE when the link went down or was freed. */
static gboolean
take_record (ReloadDtlsLink *link, const guint8 *data, gsize len)
{
  if (link->mode == RELOAD_DTLS_LINK_DATAGRAM)
    return take_datagram (link, data, len);
  ReloadFrame frame;
  GError *err = NULL;
  if (!reload_frame_decode (data, len, NULL, &frame, &err))
    {
      GError *e = g_error_new (RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_PROTOCOL,
                               "bad frame from the peer: %s", err->message);
      g_error_free (err);
      /* the peer hears it at once rather than by its retransmissions
       * failing (§6.6.3.2): a fatal alert, best effort (RFC 5246 §7.2.2,
       * decode_error; e.g. a peer in datagram mode on an overlay link) */
      gnutls_alert_send (link->session, GNUTLS_AL_FATAL, GNUTLS_A_DECODE_ERROR);
      link_down (link, e);
      return FALSE;
    }
  if (frame.type == RELOAD_FRAME_ACK)
    {
      take_ack (link, frame.ack_sequence, frame.received);
      return TRUE;
    }
  gboolean dup = seen_recently (link, frame.sequence);
  if (!send_ack (link, frame.sequence))
    return FALSE;
  if (dup)
    {
      link->stats.duplicates++;
      return TRUE;
    }
  link->recent[link->recent_pos] = frame.sequence;
  link->recent_pos = (link->recent_pos + 1) % 32;
  if (link->n_recent < 32)
    link->n_recent++;
  if (link->state != STATE_UP)
    return TRUE; /* closing: acknowledged, not delivered */
  link->stats.frames_received++;
  link->stats.bytes_received += frame.message.len;
  if (link->callbacks.message != NULL)
    link->callbacks.message (link, frame.message.data, frame.message.len, link->user_data);
  return link->state != STATE_DOWN && !link->free_pending;
}

static gboolean
read_records (ReloadDtlsLink *link, gboolean *more)
{
  /* room for any record (hostile input: a record larger than this mode's
   * MTU is read whole, not truncated; in the framed mode it is then not
   * one frame) */
  guint8 *buf = link->record_buf;
  for (guint i = 0; i < READS_PER_DISPATCH; i++)
    {
      ssize_t r = gnutls_record_recv (link->session, buf, RECORD_MAX_PLAINTEXT);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        return TRUE;
      if (r == 0)
        {
          link_down (link, NULL); /* close_notify */
          return FALSE;
        }
      if (r < 0)
        {
          if (!gnutls_error_is_fatal ((int) r))
            continue;
          GError *e = NULL;
          set_tls_error (&e, RELOAD_DTLS_LINK_ERROR_TLS, (int) r, "DTLS receive");
          link_down (link, e);
          return FALSE;
        }
      if (!take_record (link, buf, (gsize) r))
        return FALSE;
    }
  *more = TRUE;
  return TRUE;
}

/* ---- the state machine ---- */

static void
link_pump (ReloadDtlsLink *link)
{
  gboolean more = FALSE;
  gint64 ready = -1;

  link->started = TRUE;
  if (link->state == STATE_HANDSHAKE)
    {
      int r = gnutls_handshake (link->session);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        {
          ready = g_get_monotonic_time () + (gint64) gnutls_dtls_get_timeout (link->session) * 1000;
          goto out;
        }
      if (r < 0)
        {
          GError *e = NULL;
          if (link->verify_error != NULL)
            {
              e = link->verify_error;
              link->verify_error = NULL;
              gnutls_alert_send (link->session, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
            }
          else if (r == GNUTLS_E_TIMEDOUT)
            e = g_error_new (RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TIMEOUT,
                             "DTLS handshake: no answer from the peer");
          else
            set_tls_error (&e, RELOAD_DTLS_LINK_ERROR_TLS, r, "DTLS handshake");
          link_down (link, e);
          return;
        }
      if (link->peer_identity == NULL)
        {
          link_down (link, g_error_new (RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_NOT_TRUSTED,
                                        "the peer presented no certificate"));
          return;
        }
      /* datagram mode: the handshake's flights kept to RELOAD_DTLS_LINK_MTU,
       * records may now be as large as a SIP message over UDP (the IP
       * layer fragments, RFC 3261 §18.1.1) */
      if (link->mode == RELOAD_DTLS_LINK_DATAGRAM)
        gnutls_dtls_set_mtu (link->session, RELOAD_DTLS_LINK_DATAGRAM_MTU);
      link->state = STATE_UP;
      link->was_up = TRUE;
      if (link->callbacks.up != NULL)
        link->callbacks.up (link, link->peer_identity, link->user_data);
      if (link->free_pending || link->state == STATE_DOWN)
        return;
    }

  if (link->state == STATE_UP || link->state == STATE_CLOSING)
    {
      if (!read_records (link, &more))
        return;
      if (link->mode == RELOAD_DTLS_LINK_DATAGRAM)
        {
          if (!flush_datagrams (link))
            return;
        }
      else if (!run_timers (link) || !fill_window (link))
        return;
      if (link->state == STATE_CLOSING && link->in_flight->len == 0 && link->pending.length == 0)
        {
          gnutls_bye (link->session, GNUTLS_SHUT_WR); /* one alert, best effort */
          link_down (link, NULL);
          return;
        }
      ready = next_deadline (link);
      if (more || gnutls_record_check_pending (link->session) > 0)
        ready = 0;
    }

out:
  if (link->state == STATE_DOWN || link->free_pending)
    return;
  /* on a datagram transport nothing else wakes the link for datagrams
   * still queued (a socket's fd would) */
  if (link->socket == NULL && !g_queue_is_empty (&link->received))
    ready = 0;
  g_source_set_ready_time ((GSource *) link->source, ready);
}

static gboolean
link_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ReloadDtlsLink *link = ((LinkSource *) source)->link;
  link->busy++;
  if (link->state == STATE_CLOSING && !link->was_up)
    link_down (link, NULL); /* closed during the handshake */
  else
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
  ReloadDtlsLink *link = gnutls_session_get_ptr (session);
  ReloadCert *cert = NULL;
  ReloadCertIdentity *id = NULL;
  g_clear_error (&link->verify_error);
  if (!reload_link_auth_check_peer (session, link->root, link->own_identity->overlay_name,
                                    RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_NOT_TRUSTED,
                                    &cert, &id, &link->verify_error))
    return -1;
  g_clear_pointer (&link->peer_identity, reload_cert_identity_free);
  g_clear_pointer (&link->peer_cert, reload_cert_unref);
  link->peer_identity = id;
  link->peer_cert = cert;
  return 0;
}

/* ---- creation ---- */

static ReloadDtlsLink *
link_new (GSocket *socket, const ReloadDtlsTransport *transport, gpointer transport_data,
          ReloadDtlsLinkRole role, ReloadCert *cert, const ReloadKey *key, ReloadCert *root,
          const ReloadDtlsLinkCallbacks *callbacks, gpointer user_data, GError **error)
{
  if (!reload_cert_matches_key (cert, key))
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_INVALID,
                   "the key is not the certificate's");
      return NULL;
    }
  GError *local = NULL;
  ReloadCertIdentity *own = reload_cert_get_identity (cert, &local);
  if (own == NULL)
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_INVALID,
                   "own certificate: %s", local->message);
      g_error_free (local);
      return NULL;
    }

  ReloadDtlsLink *link = g_new0 (ReloadDtlsLink, 1);
  link->role = role;
  link->state = STATE_HANDSHAKE;
  link->socket = socket ? g_object_ref (socket) : NULL;
  if (transport != NULL)
    link->transport = *transport;
  link->transport_data = transport_data;
  g_queue_init (&link->received);
  link->root = reload_cert_ref (root);
  link->own_identity = own;
  if (callbacks != NULL)
    link->callbacks = *callbacks;
  link->user_data = user_data;
  link->initial_rto_ms = RELOAD_DTLS_LINK_INITIAL_RTO_MS;
  link->in_flight = g_ptr_array_new_with_free_func ((GDestroyNotify) out_message_free);
  g_queue_init (&link->pending);
  link->record_buf = g_malloc (RECORD_MAX_PLAINTEXT);

  int ret = gnutls_certificate_allocate_credentials (&link->cred);
  if (ret < 0)
    goto tls_fail;
  gnutls_x509_crt_t crt = reload_cert_get_x509 (cert);
  ret = gnutls_certificate_set_x509_key (link->cred, &crt, 1, reload_key_get_x509 (key));
  if (ret < 0)
    goto tls_fail;
  gnutls_certificate_set_verify_function (link->cred, verify_peer);

  ret =
      gnutls_init (&link->session, (role == RELOAD_DTLS_LINK_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT)
                                       | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  if (ret < 0)
    goto tls_fail;
  gnutls_session_set_ptr (link->session, link);
  /* DTLS 1.2 only (1.0 is obsolete) */
  ret = gnutls_priority_set_direct (link->session, "NORMAL:-VERS-ALL:+VERS-DTLS1.2", NULL);
  if (ret < 0)
    goto tls_fail;
  ret = gnutls_credentials_set (link->session, GNUTLS_CRD_CERTIFICATE, link->cred);
  if (ret < 0)
    goto tls_fail;
  if (role == RELOAD_DTLS_LINK_SERVER)
    gnutls_certificate_server_set_request (link->session, GNUTLS_CERT_REQUIRE);
  gnutls_dtls_set_mtu (link->session, RELOAD_DTLS_LINK_MTU);
  gnutls_dtls_set_timeouts (link->session, HANDSHAKE_RETRANS_MS,
                            RELOAD_DTLS_LINK_HANDSHAKE_TIMEOUT_MS);
  if (socket != NULL)
    g_socket_set_blocking (socket, FALSE);
  gnutls_transport_set_ptr (link->session, link);
  gnutls_transport_set_push_function (link->session, transport_push);
  gnutls_transport_set_pull_function (link->session, transport_pull);
  gnutls_transport_set_pull_timeout_function (link->session, transport_pull_timeout);

  link->context = g_main_context_ref_thread_default ();
  link->source = (LinkSource *) g_source_new (&link_source_funcs, sizeof (LinkSource));
  link->source->link = link;
  g_source_set_name ((GSource *) link->source, "ReloadDtlsLink");
  if (socket != NULL)
    link->source->tag =
        g_source_add_unix_fd ((GSource *) link->source, g_socket_get_fd (socket), G_IO_IN);
  g_source_set_ready_time ((GSource *) link->source, 0);
  g_source_attach ((GSource *) link->source, link->context);
  return link;

tls_fail:
  set_tls_error (error, RELOAD_DTLS_LINK_ERROR_TLS, ret, "DTLS setup");
  g_clear_object (&link->socket); /* not ours to close yet */
  link_really_free (link);
  return NULL;
}

ReloadDtlsLink *
reload_dtls_link_new (GSocket *socket, ReloadDtlsLinkRole role, ReloadCert *cert,
                      const ReloadKey *key, ReloadCert *root,
                      const ReloadDtlsLinkCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (cert != NULL && key != NULL && root != NULL, NULL);
  if (g_socket_get_socket_type (socket) != G_SOCKET_TYPE_DATAGRAM
      || !g_socket_is_connected (socket))
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_INVALID,
                   "the socket is not a connected datagram socket");
      return NULL;
    }
  return link_new (socket, NULL, NULL, role, cert, key, root, callbacks, user_data, error);
}

ReloadDtlsLink *
reload_dtls_link_new_for_transport (const ReloadDtlsTransport *transport, gpointer transport_data,
                                    ReloadDtlsLinkRole role, ReloadCert *cert, const ReloadKey *key,
                                    ReloadCert *root, const ReloadDtlsLinkCallbacks *callbacks,
                                    gpointer user_data, GError **error)
{
  g_return_val_if_fail (transport != NULL && transport->send != NULL, NULL);
  g_return_val_if_fail (cert != NULL && key != NULL && root != NULL, NULL);
  return link_new (NULL, transport, transport_data, role, cert, key, root, callbacks, user_data,
                   error);
}

void
reload_dtls_link_receive (ReloadDtlsLink *link, const guint8 *data, gsize len)
{
  g_return_if_fail (link != NULL && link->socket == NULL);
  if (link->state == STATE_DOWN || link->free_pending)
    return;
  /* hostile input: a peer that floods datagrams faster than they are read
   * loses the excess, as a socket buffer would */
  if (g_queue_get_length (&link->received) >= RELOAD_DTLS_LINK_MAX_RECEIVED)
    return;
  g_queue_push_tail (&link->received, g_bytes_new (data, len));
  if (link->source != NULL)
    g_source_set_ready_time ((GSource *) link->source, 0);
}

static void
link_really_free (ReloadDtlsLink *link)
{
  stop_io (link);
  if (link->session != NULL)
    gnutls_deinit (link->session);
  if (link->cred != NULL)
    gnutls_certificate_free_credentials (link->cred);
  g_clear_object (&link->socket);
  g_clear_pointer (&link->context, g_main_context_unref);
  g_clear_pointer (&link->root, reload_cert_unref);
  g_clear_pointer (&link->peer_cert, reload_cert_unref);
  g_clear_pointer (&link->own_identity, reload_cert_identity_free);
  g_clear_pointer (&link->peer_identity, reload_cert_identity_free);
  g_clear_error (&link->verify_error);
  g_ptr_array_unref (link->in_flight);
  g_queue_clear_full (&link->pending, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&link->received, (GDestroyNotify) g_bytes_unref);
  g_free (link->record_buf);
  g_free (link);
}

void
reload_dtls_link_free (ReloadDtlsLink *link)
{
  if (link == NULL)
    return;
  /* freed while up (its owner dropped it: a peer starting over, a link
   * that lost glare): the other end hears it now, as a TLS link hears
   * TCP's FIN, rather than once its retransmissions fail (§6.6.3.2),
   * which may take minutes on a link with nothing to send (one alert,
   * best effort; not from inside a callback of this link, and only now,
   * while its transport is sure to be there) */
  if (link->busy == 0 && link->state == STATE_UP && link->session != NULL)
    gnutls_bye (link->session, GNUTLS_SHUT_WR);
  if (link->busy > 0)
    {
      link->free_pending = TRUE;
      return;
    }
  link_really_free (link);
}

/* ---- use ---- */

void
reload_dtls_link_set_mode (ReloadDtlsLink *link, ReloadDtlsLinkMode mode)
{
  g_return_if_fail (link != NULL);
  g_return_if_fail (mode == RELOAD_DTLS_LINK_FRAMED_SR || mode == RELOAD_DTLS_LINK_DATAGRAM);
  /* messages queued would have been checked against the other mode's
   * limit, and the peer expects the mode from the first record on */
  g_return_if_fail (!link->started && link->state == STATE_HANDSHAKE && link->pending.length == 0);
  link->mode = mode;
}

ReloadDtlsLinkMode
reload_dtls_link_get_mode (const ReloadDtlsLink *link)
{
  return link->mode;
}

gsize
reload_dtls_link_get_max_message_size (const ReloadDtlsLink *link)
{
  if (link->mode == RELOAD_DTLS_LINK_DATAGRAM)
    {
      if (!link->was_up)
        return RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE;
      /* the record is the message: no frame header; and no more than the
       * peer takes in one record (a record_size_limit, RFC 8449, or a
       * max_fragment_length it negotiated) */
      gsize mtu = gnutls_dtls_get_data_mtu (link->session);
      return MIN (mtu, gnutls_record_get_max_size (link->session));
    }
  if (!link->was_up)
    return RELOAD_DTLS_LINK_MAX_MESSAGE;
  unsigned int mtu = gnutls_dtls_get_data_mtu (link->session);
  return mtu > RELOAD_FRAME_DATA_HEADER_SIZE ? mtu - RELOAD_FRAME_DATA_HEADER_SIZE : 0;
}

gboolean
reload_dtls_link_send (ReloadDtlsLink *link, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (link != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  if (link->state != STATE_HANDSHAKE && link->state != STATE_UP)
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_CLOSED,
                   "the link is closed");
      return FALSE;
    }
  gsize max = reload_dtls_link_get_max_message_size (link);
  if (len > max)
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE,
                   "a message of %" G_GSIZE_FORMAT " bytes does not fit one DTLS record (at "
                   "most %" G_GSIZE_FORMAT ")",
                   len, max);
      return FALSE;
    }
  if (link->pending.length >= RELOAD_DTLS_LINK_MAX_QUEUED)
    {
      g_set_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_QUEUE_FULL,
                   "the outgoing queue is full (%u messages)", RELOAD_DTLS_LINK_MAX_QUEUED);
      return FALSE;
    }
  g_queue_push_tail (&link->pending, g_bytes_new (data, len));
  link->stats.messages_sent++;
  if (link->state == STATE_UP)
    g_source_set_ready_time ((GSource *) link->source, 0);
  return TRUE;
}

void
reload_dtls_link_close (ReloadDtlsLink *link)
{
  g_return_if_fail (link != NULL);
  if (link->state == STATE_HANDSHAKE || link->state == STATE_UP)
    {
      link->state = STATE_CLOSING;
      g_source_set_ready_time ((GSource *) link->source, 0);
    }
}

void
reload_dtls_link_set_rto (ReloadDtlsLink *link, guint initial_rto_ms)
{
  g_return_if_fail (link != NULL && initial_rto_ms > 0);
  link->initial_rto_ms = initial_rto_ms;
}

void
reload_dtls_link_set_drop_hook (ReloadDtlsLink *link, ReloadDtlsLinkDropFunc func,
                                gpointer user_data)
{
  g_return_if_fail (link != NULL);
  link->drop_func = func;
  link->drop_data = user_data;
}

gboolean
reload_dtls_link_is_up (const ReloadDtlsLink *link)
{
  return link->state == STATE_UP;
}

ReloadDtlsLinkRole
reload_dtls_link_get_role (const ReloadDtlsLink *link)
{
  return link->role;
}

const ReloadCertIdentity *
reload_dtls_link_get_peer_identity (const ReloadDtlsLink *link)
{
  return link->was_up ? link->peer_identity : NULL;
}

ReloadCert *
reload_dtls_link_get_peer_cert (const ReloadDtlsLink *link)
{
  return link->was_up ? link->peer_cert : NULL;
}

guint
reload_dtls_link_get_n_peer_node_ids (const ReloadDtlsLink *link)
{
  const ReloadCertIdentity *id = reload_dtls_link_get_peer_identity (link);
  return id != NULL ? id->n_node_ids : 0;
}

const ReloadNodeId *
reload_dtls_link_get_peer_node_id (const ReloadDtlsLink *link, guint index)
{
  const ReloadCertIdentity *id = reload_dtls_link_get_peer_identity (link);
  if (id == NULL || index >= id->n_node_ids)
    return NULL;
  return &id->node_ids[index];
}

void
reload_dtls_link_get_stats (const ReloadDtlsLink *link, ReloadDtlsLinkStats *out)
{
  *out = link->stats;
}

guint
reload_dtls_link_get_n_in_flight (const ReloadDtlsLink *link)
{
  return link->in_flight->len;
}

guint
reload_dtls_link_get_n_queued (const ReloadDtlsLink *link)
{
  return link->pending.length;
}
