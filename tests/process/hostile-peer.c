/* hostile-peer.c: a peer that misbehaves on purpose, for test_hostile.py.
 *
 *   hostile-peer PROFILE ADDR:PORT ATTACK [COUNT]
 *
 * Connects to a running chorus-peer over TCP + TLS (TLS-TCP-FH-NO-ICE,
 * RFC 6940 §6.6.5) with the certificate of PROFILE, a profile of the same
 * overlay so that the peer lets it in, learns the peer's Node-ID from the
 * peer's certificate (not verified: this is a test tool), runs one ATTACK
 * and prints one JSON line of what it saw.  Exits 0 when the attack could
 * be carried out, whatever the peer did about it; 1 when it could not (no
 * connection, a bad profile); 2 on bad usage.
 *
 * Correctly signed messages come from a real ReloadNode in client mode
 * (§3.2.1) with the profile's X.509 signer, one per connection, started
 * with link 1 = the connection: its shell's `send` hands the bytes it wants
 * to send to this program, which sends them framed (§6.6.2), altered, cut
 * short or many times.  Received messages are counted here and fed to the
 * node, so that its requests complete (their answers' signatures checked);
 * received data frames are acknowledged (§6.6.2).  The node's timers never
 * run: it retransmits nothing.
 *
 * ATTACKs:
 *   truncated       frames and messages cut short, garbage inside and below
 *                   TLS; then a valid Ping on a new connection
 *   bad-signature   a Ping and a Fetch with a byte of their signature value
 *                   flipped, the same with a byte of their body flipped, a
 *                   Ping with a byte of its transaction id flipped; then
 *                   fresh ones, and the originals, unaltered
 *   replay          one Ping sent COUNT (100) times with one transaction id
 *   oversized       a frame announcing 2^24-1 bytes and 1 MiB streamed after
 *                   it; a signed message over 5000 bytes in one frame, and
 *                   another one in fragments (§6.7); COUNT (1) rounds
 *   attach-flood    COUNT (5000) Attach requests to random Resource-IDs with
 *                   a TLS-TCP-FH-NO-ICE host candidate where nothing
 *                   listens, sent as fast as the link takes them while the
 *                   answers are read
 *   idle-handshakes COUNT (40) TCP connections that never start TLS, held
 *                   while new authenticated connections try a Ping (for up
 *                   to 30 s); then closed, and a Ping on a new connection
 *                   again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "chord-id.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-fragment.h"
#include "reload-framing.h"
#include "reload-link.h"
#include "reload-message.h"
#include "reload-node.h"
#include "reload-x509-signer.h"

#define CONNECT_TIMEOUT_MS 10000
#define ANSWER_TIMEOUT_MS 15000 /* > the node's own retransmission time */
#define CLOSE_WAIT_MS 5000      /* how long a refusal may take to show */
#define QUIET_MS 1000           /* after the answers that must come, for those that must not */
#define FLOOD_IDLE_MS 15000     /* the flood's answers: give up after this long without one */
#define FLOOD_MAX_MS 100000
#define FLOOD_OUT_HIGH (256 * 1024)
#define IDLE_WINDOW_MS 30000 /* idle-handshakes: how long a new connection is retried */
#define N_DEAD_PORTS 8
#define READS_PER_PUMP 64
#define SEND_CHUNK 16384

typedef struct
{
  ReloadCredentials *creds;
  ReloadCertIdentity *identity;
  ReloadX509Signer *signer;
  /* the overlay's configuration (§11.1) when the profile holds one, as
   * chorus-peer applies it: the configuration sequence, max-message-size
   * and kinds the peers use */
  ReloadConfig *config;
  ReloadNodeConfig node_template;
  gsize max_message_size; /* the peers' */
  char *host;
  char *port;
  guint16 dead_ports[N_DEAD_PORTS];
} Tool;

/* One message received (reassembled): the parts of its header counted. */
typedef struct
{
  guint64 tid;
  guint16 code;
  guint16 error_code; /* code 0xffff */
  GBytes *bytes;
} Received;

typedef struct
{
  Tool *tool;
  int fd;
  gnutls_session_t session;
  gnutls_certificate_credentials_t cred;
  gboolean closed;
  char *close_reason;

  GByteArray *out; /* framed bytes to write: out->data[out_off..] */
  gsize out_off;
  gsize send_pending;
  guint32 next_sequence;
  guint64 bytes_written;

  GByteArray *in; /* framed bytes read: in->data[in_off..] */
  gsize in_off;
  guint64 data_frames;
  guint64 acks;
  gboolean bad_stream; /* the peer's stream is not frames */

  ReloadReassembler *in_reasm;  /* received fragments */
  ReloadReassembler *out_reasm; /* the node's own fragments, made whole again */
  GPtrArray *received;          /* Received */

  ReloadNodeId server_id;
  ReloadNode *node;
  GPtrArray *captured; /* GBytes: what the node sent during a request */
  guint64 done_ok;     /* requests the node saw answered (signature verified) */
  guint64 done_error;  /* ... with an error response */
} Conn;

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static gsize
out_len (const Conn *c)
{
  return c->out->len - c->out_off;
}

static void
received_free (gpointer p)
{
  Received *r = p;
  g_bytes_unref (r->bytes);
  g_free (r);
}

static void
conn_set_closed (Conn *c, const char *why)
{
  if (c->closed)
    return;
  c->closed = TRUE;
  c->close_reason = g_strdup (why);
}

/* ---------------------------------------------------------------- the node's shell */

static void
node_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  Conn *c = shell;
  g_ptr_array_add (c->captured, g_bytes_new (data, len));
}

static const ReloadNodeShell hostile_shell = {
  .send = node_send,
};

static void
request_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
              const GError *error)
{
  Conn *c = user_data;
  if (error == NULL && answer != NULL)
    c->done_ok++;
  else if (g_error_matches (error, RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_RESPONSE))
    c->done_error++;
}

/* ---------------------------------------------------------------- I/O */

static void
conn_write (Conn *c)
{
  while (!c->closed && (out_len (c) > 0 || c->send_pending > 0))
    {
      ssize_t r;
      if (c->send_pending > 0)
        r = gnutls_record_send (c->session, NULL, 0);
      else
        {
          gsize chunk = MIN (out_len (c), SEND_CHUNK);
          r = gnutls_record_send (c->session, c->out->data + c->out_off, chunk);
          if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            c->send_pending = chunk;
        }
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        return;
      if (r < 0)
        {
          conn_set_closed (c, gnutls_strerror ((int) r));
          return;
        }
      c->send_pending = 0;
      c->out_off += (gsize) r;
      c->bytes_written += (guint64) r;
    }
  if (out_len (c) == 0 && c->send_pending == 0)
    {
      g_byte_array_set_size (c->out, 0);
      c->out_off = 0;
    }
  else if (c->out_off > 1024 * 1024 && c->send_pending == 0)
    {
      g_byte_array_remove_range (c->out, 0, (guint) c->out_off);
      c->out_off = 0;
    }
}

static void
take_message (Conn *c, const guint8 *data, gsize len)
{
  GBytes *whole = NULL;
  g_autoptr (GError) error = NULL;
  if (!reload_reassembler_add (c->in_reasm, GINT_TO_POINTER (1), data, len, g_get_monotonic_time (),
                               &whole, &error))
    return;
  if (whole == NULL)
    return;
  gsize wlen;
  const guint8 *w = g_bytes_get_data (whole, &wlen);
  guint64 tid = 0;
  gsize hlen = reload_fragment_parse_header (w, wlen, NULL, &tid, NULL);
  if (hlen == 0 || hlen + 6 > wlen)
    {
      g_bytes_unref (whole);
      return;
    }
  Received *r = g_new0 (Received, 1);
  r->tid = tid;
  r->code = (guint16) (w[hlen] << 8 | w[hlen + 1]);
  if (r->code == RELOAD_ERROR && hlen + 8 <= wlen)
    r->error_code = (guint16) (w[hlen + 6] << 8 | w[hlen + 7]);
  r->bytes = whole;
  g_ptr_array_add (c->received, r);
  /* the node completes its requests (and checks the answers' signatures) */
  reload_node_receive (c->node, 1, w, wlen, now_ms ());
  g_ptr_array_set_size (c->captured, 0);
}

static void
parse_input (Conn *c)
{
  while (!c->bad_stream)
    {
      const guint8 *p = c->in->data + c->in_off;
      gsize avail = c->in->len - c->in_off;
      g_autoptr (GError) error = NULL;
      gssize n = reload_frame_stream_length (p, avail, 0, &error);
      if (n == 0)
        break;
      ReloadFrame frame;
      if (n < 0 || !reload_frame_decode (p, (gsize) n, NULL, &frame, NULL))
        {
          c->bad_stream = TRUE;
          break;
        }
      c->in_off += (gsize) n;
      if (frame.type == RELOAD_FRAME_ACK)
        {
          c->acks++;
          continue;
        }
      /* acknowledged as §6.6.2 says: TCP delivers in order, so every one
       * of the 31 before it arrived too */
      guint32 received = 0;
      for (guint32 d = 1; d < 32 && d <= c->data_frames; d++)
        received |= 1u << d;
      reload_frame_encode_ack (c->out, frame.sequence, received);
      c->data_frames++;
      take_message (c, frame.message.data, frame.message.len);
    }
  if (c->in_off == c->in->len)
    {
      g_byte_array_set_size (c->in, 0);
      c->in_off = 0;
    }
  else if (c->in_off > 65536)
    {
      g_byte_array_remove_range (c->in, 0, (guint) c->in_off);
      c->in_off = 0;
    }
}

static void
conn_read (Conn *c)
{
  guint8 buf[SEND_CHUNK + 256];
  for (guint i = 0; i < READS_PER_PUMP && !c->closed; i++)
    {
      ssize_t r = gnutls_record_recv (c->session, buf, sizeof buf);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        break;
      if (r == 0)
        {
          conn_set_closed (c, "close_notify");
          break;
        }
      if (r < 0)
        {
          if (!gnutls_error_is_fatal ((int) r))
            continue;
          conn_set_closed (c, r == GNUTLS_E_PREMATURE_TERMINATION ? "closed without close_notify"
                                                                  : gnutls_strerror ((int) r));
          break;
        }
      g_byte_array_append (c->in, buf, (guint) r);
      parse_input (c);
    }
}

/* One round: waits up to @timeout_ms for the socket, then reads and writes
 * what it can. */
static void
conn_pump (Conn *c, int timeout_ms)
{
  if (c->closed)
    return;
  struct pollfd p = { c->fd, POLLIN, 0 };
  if (out_len (c) > 0 || c->send_pending > 0)
    p.events |= POLLOUT;
  if (gnutls_record_check_pending (c->session) > 0)
    timeout_ms = 0;
  if (poll (&p, 1, timeout_ms) < 0 && errno != EINTR)
    {
      conn_set_closed (c, g_strerror (errno));
      return;
    }
  conn_read (c);
  conn_write (c);
}

typedef gboolean (*Until) (Conn *c, gpointer data);

/* Pumps until @until is true (then TRUE), the link is closed or @timeout_ms
 * passed.  @until NULL: until everything is written. */
static gboolean
conn_run (Conn *c, int timeout_ms, Until until, gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      if (until != NULL ? until (c, data) : (out_len (c) == 0 && c->send_pending == 0))
        return TRUE;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if (c->closed || left <= 0)
        return until != NULL ? until (c, data) : FALSE;
      conn_pump (c, (int) MIN (left, 100));
    }
}

static gboolean
until_closed (Conn *c, gpointer data)
{
  return c->closed;
}

static gboolean
until_never (Conn *c, gpointer data)
{
  return FALSE;
}

/* Waits up to CLOSE_WAIT_MS for the peer to close the link. */
static gboolean
wait_closed (Conn *c)
{
  return conn_run (c, CLOSE_WAIT_MS, until_closed, NULL);
}

/* ---------------------------------------------------------------- connections */

static int
tcp_connect (Tool *t, GError **error)
{
  struct addrinfo hints = { 0 }, *ai = NULL;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  int e = getaddrinfo (t->host, t->port, &hints, &ai);
  if (e != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s:%s: %s", t->host, t->port,
                   gai_strerror (e));
      return -1;
    }
  int fd = socket (ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, ai->ai_addr, ai->ai_addrlen) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "connect to %s:%s: %s",
                   t->host, t->port, g_strerror (saved));
      if (fd >= 0)
        close (fd);
      freeaddrinfo (ai);
      return -1;
    }
  freeaddrinfo (ai);
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void
conn_free (Conn *c)
{
  if (c == NULL)
    return;
  /* pending requests complete (cancelled) while the rest is still here */
  g_clear_pointer (&c->node, reload_node_free);
  if (c->session != NULL)
    gnutls_deinit (c->session);
  if (c->cred != NULL)
    gnutls_certificate_free_credentials (c->cred);
  if (c->fd >= 0)
    close (c->fd);
  g_byte_array_unref (c->out);
  g_byte_array_unref (c->in);
  reload_reassembler_free (c->in_reasm);
  reload_reassembler_free (c->out_reasm);
  g_ptr_array_unref (c->received);
  g_ptr_array_unref (c->captured);
  g_free (c->close_reason);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)

/* A new connection: TCP, the TLS handshake with the profile's certificate,
 * the peer's Node-ID from its certificate, and a client node on it. */
static Conn *
conn_open (Tool *t, GError **error)
{
  g_autoptr (Conn) c = g_new0 (Conn, 1);
  c->tool = t;
  c->fd = -1;
  c->out = g_byte_array_new ();
  c->in = g_byte_array_new ();
  c->in_reasm = reload_reassembler_new (0, 0);
  c->out_reasm = reload_reassembler_new (0, 0);
  c->received = g_ptr_array_new_with_free_func (received_free);
  c->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  c->fd = tcp_connect (t, error);
  if (c->fd < 0)
    return NULL;

  int ret = gnutls_certificate_allocate_credentials (&c->cred);
  gnutls_x509_crt_t crt = reload_cert_get_x509 (t->creds->cert);
  if (ret >= 0)
    ret = gnutls_certificate_set_x509_key (c->cred, &crt, 1, reload_key_get_x509 (t->creds->key));
  if (ret >= 0)
    ret = gnutls_init (&c->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  if (ret >= 0)
    ret = gnutls_set_default_priority (c->session);
  if (ret >= 0)
    ret = gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, c->cred);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS setup: %s", gnutls_strerror (ret));
      return NULL;
    }
  gnutls_transport_set_int (c->session, c->fd);
  gint64 deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_MS * 1000;
  for (;;)
    {
      ret = gnutls_handshake (c->session);
      if (ret >= 0)
        break;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if ((ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED) || left <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS handshake: %s",
                       left <= 0 ? "timed out" : gnutls_strerror (ret));
          return NULL;
        }
      struct pollfd p = { c->fd, gnutls_record_get_direction (c->session) ? POLLOUT : POLLIN, 0 };
      poll (&p, 1, (int) MIN (left, 100));
    }

  unsigned int n_certs = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers (c->session, &n_certs);
  if (certs == NULL || n_certs == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the peer sent no certificate");
      return NULL;
    }
  g_autoptr (GBytes) der = g_bytes_new (certs[0].data, certs[0].size);
  g_autoptr (ReloadCert) cert = reload_cert_new_from_der (der, error);
  if (cert == NULL)
    return NULL;
  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (cert, error);
  if (id == NULL)
    return NULL;
  c->server_id = id->node_ids[0];

  ReloadNodeConfig cfg = t->node_template;
  cfg.node_id = t->identity->node_ids[0];
  cfg.user_name = t->identity->user_name;
  if (cfg.overlay_name == NULL)
    cfg.overlay_name = t->identity->overlay_name;
  cfg.client_mode = TRUE;
  /* large enough to sign the oversized messages; answers are small */
  cfg.max_message_size = 1024 * 1024;
  cfg.security = reload_x509_security_ops ();
  cfg.security_data = t->signer;
  cfg.seed = (guint64) g_random_int () << 32 | g_random_int ();
  c->node = reload_node_new (&cfg, &hostile_shell, c);
  reload_node_start (c->node, 1, &c->server_id, now_ms ());
  g_ptr_array_set_size (c->captured, 0);
  return g_steal_pointer (&c);
}

/* ---------------------------------------------------------------- messages */

/* Queues @len bytes as the next data frame. */
static void
send_frame (Conn *c, const guint8 *data, gsize len)
{
  reload_frame_encode_data (c->out, c->next_sequence++, data, len);
}

static void
send_message (Conn *c, GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  send_frame (c, data, len);
}

/* Has the node make a request and returns the whole message it sent (its
 * fragments reassembled), or NULL when it sent nothing.  The node keeps
 * the transaction, so that the answer completes it. */
static GBytes *
make_request (Conn *c, const ReloadDestination *d, guint16 code, gpointer body, guint64 *tid)
{
  g_ptr_array_set_size (c->captured, 0);
  guint64 id = reload_node_request (c->node, d, code, body, request_done, c, now_ms ());
  if (tid != NULL)
    *tid = id;
  GBytes *whole = NULL;
  for (guint i = 0; i < c->captured->len && whole == NULL; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (c->captured, i), &len);
      if (!reload_reassembler_add (c->out_reasm, GINT_TO_POINTER (1), data, len,
                                   g_get_monotonic_time (), &whole, NULL))
        break;
    }
  return whole;
}

static ReloadDestination
dest_node (const ReloadNodeId *id)
{
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = *id;
  return d;
}

/* A Ping of the peer itself, padded with @padding bytes. */
static GBytes *
make_ping (Conn *c, gsize padding, guint64 *tid)
{
  ReloadDestination d = dest_node (&c->server_id);
  g_autofree guint8 *pad = g_malloc0 (padding + 1);
  for (gsize i = 0; i < padding; i++)
    pad[i] = (guint8) g_random_int ();
  ReloadPingReq req = { { pad, padding } };
  return make_request (c, &d, RELOAD_PING_REQ, &req, tid);
}

/* The fragments of a Ping padded with @padding bytes, as the node sends
 * them (§6.7). */
static GPtrArray *
make_ping_fragments (Conn *c, gsize padding, guint64 *tid)
{
  g_autoptr (GBytes) whole = make_ping (c, padding, tid);
  if (whole == NULL)
    return NULL;
  GPtrArray *frags = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < c->captured->len; i++)
    g_ptr_array_add (frags, g_bytes_ref (g_ptr_array_index (c->captured, i)));
  return frags;
}

/* A Fetch of the peer's CERTIFICATE_BY_NODE (§8), answered by whichever
 * peer is responsible for it. */
static GBytes *
make_fetch (Conn *c, guint64 *tid)
{
  guint8 rid[16];
  chord_id_to_bytes (chord_id_hash (c->server_id.id, c->server_id.len), rid);
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, sizeof rid };
  ReloadArrayRange all = { 0, 0xffffffffu };
  ReloadStoredDataSpecifier spec = { 0 };
  spec.kind = RELOAD_KIND_CERTIFICATE_BY_NODE;
  spec.indices = &all;
  spec.n_indices = 1;
  ReloadFetchReq req = { 0 };
  req.resource = d.resource_id;
  req.specifiers = &spec;
  req.n_specifiers = 1;
  return make_request (c, &d, RELOAD_FETCH_REQ, &req, tid);
}

/* An Attach to a random Resource-ID (§6.5.1) offering one
 * TLS-TCP-FH-NO-ICE host candidate on 127.0.0.1:@port. */
static GBytes *
make_attach (Conn *c, guint16 port, guint64 *tid)
{
  guint8 rid[16];
  for (guint i = 0; i < sizeof rid; i++)
    rid[i] = (guint8) g_random_int ();
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, sizeof rid };
  static guint8 foundation[] = "1";
  static ReloadIceExtension tcptype = { { (const guint8 *) "tcptype", 7 },
                                        { (const guint8 *) "passive", 7 } };
  ReloadIceCandidate cand = { 0 };
  cand.addr_port.type = RELOAD_ADDRESS_IPV4;
  cand.addr_port.addr[0] = 127;
  cand.addr_port.addr[3] = 1;
  cand.addr_port.port = port;
  cand.overlay_link = RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE;
  cand.foundation = (RwBytes){ foundation, 1 };
  cand.priority = (126u << 24) | (65535u << 8) | 255u;
  cand.type = RELOAD_CAND_HOST;
  cand.extensions = &tcptype;
  cand.n_extensions = 1;
  ReloadAttachReqAns req = { 0 };
  req.ufrag = (RwBytes){ (const guint8 *) "hstl", 4 };
  req.password = (RwBytes){ (const guint8 *) "hostile-peer-password", 21 };
  req.role = (RwBytes){ (const guint8 *) "passive", 7 };
  req.candidates = &cand;
  req.n_candidates = 1;
  return make_request (c, &d, RELOAD_ATTACH_REQ, &req, tid);
}

/* The transaction id of a whole message, 0 when its header is bad. */
static guint64
message_tid (GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  guint64 tid = 0;
  if (reload_fragment_parse_header (data, len, NULL, &tid, NULL) == 0)
    return 0;
  return tid;
}

static gsize
message_header_len (GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  return reload_fragment_parse_header (data, len, NULL, NULL, NULL);
}

/* A copy of @msg with the byte at @offset inverted. */
static GBytes *
flip_byte (GBytes *msg, gsize offset)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  g_return_val_if_fail (offset < len, NULL);
  guint8 *copy = g_memdup2 (data, len);
  copy[offset] ^= 0xff;
  return g_bytes_new_take (copy, len);
}

/* Answers received with transaction id @tid. */
static guint
answers_for (Conn *c, guint64 tid)
{
  guint n = 0;
  for (guint i = 0; i < c->received->len; i++)
    if (((Received *) g_ptr_array_index (c->received, i))->tid == tid)
      n++;
  return n;
}

typedef struct
{
  const guint64 *tids;
  guint n;
} TidSet;

static gboolean
until_answered (Conn *c, gpointer data)
{
  const TidSet *s = data;
  for (guint i = 0; i < s->n; i++)
    if (answers_for (c, s->tids[i]) == 0)
      return FALSE;
  return TRUE;
}

/* Sends a fresh Ping of the peer and waits for its answer: 1 when it came
 * (and verified), 0 otherwise. */
static guint
ping_answered (Conn *c)
{
  guint64 tid;
  g_autoptr (GBytes) ping = make_ping (c, 0, &tid);
  if (ping == NULL)
    return 0;
  send_message (c, ping);
  TidSet s = { &tid, 1 };
  guint64 ok_before = c->done_ok;
  return conn_run (c, ANSWER_TIMEOUT_MS, until_answered, &s) && c->done_ok > ok_before ? 1 : 0;
}

/* A Ping on a new connection: 1 when answered. */
static guint
new_link_ping (Tool *t, char **why)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Conn) c = conn_open (t, &error);
  if (c == NULL)
    {
      if (why != NULL)
        *why = g_strdup (error->message);
      return 0;
    }
  guint n = ping_answered (c);
  if (n == 0 && why != NULL)
    *why = g_strdup (c->closed ? c->close_reason : "no answer");
  return n;
}

/* ---------------------------------------------------------------- JSON */

static void
j_int (GString *s, const char *key, gint64 v)
{
  g_string_append_printf (s, ", \"%s\": %" G_GINT64_FORMAT, key, v);
}

static void
j_bool (GString *s, const char *key, gboolean v)
{
  g_string_append_printf (s, ", \"%s\": %s", key, v ? "true" : "false");
}

static void
j_str (GString *s, const char *key, const char *v)
{
  g_string_append_printf (s, ", \"%s\": \"", key);
  for (const char *p = v ? v : ""; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      if ((guchar) *p < 0x20)
        g_string_append_printf (s, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

/* ---------------------------------------------------------------- attacks */

static gboolean
attack_truncated (Tool *t, guint count, GString *out, GError **error)
{
  /* 1. well-framed messages cut short: each frame is valid, the RELOAD
   * message in it is not whole (§6.6.2 frames carry whole messages) */
  g_autoptr (Conn) a = conn_open (t, error);
  if (a == NULL)
    return FALSE;
  j_int (out, "control_answered", ping_answered (a));
  guint64 tid;
  g_autoptr (GBytes) ping = make_ping (a, 0, &tid);
  if (ping == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping");
      return FALSE;
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (ping, &len);
  gsize hlen = message_header_len (ping);
  gsize cuts[] = { 1, 8, 20, 37, hlen - 1, hlen, hlen + 3, len / 2, len - 10, len - 1 };
  guint n_cuts = 0;
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    if (cuts[i] > 0 && cuts[i] < len)
      {
        send_frame (a, data, cuts[i]);
        n_cuts++;
      }
  /* and a zero-length message */
  send_frame (a, data, 0);
  n_cuts++;
  conn_run (a, CLOSE_WAIT_MS, NULL, NULL);
  /* the same Ping whole: it was never seen, so it is answered (once) */
  send_message (a, ping);
  TidSet s = { &tid, 1 };
  conn_run (a, ANSWER_TIMEOUT_MS, until_answered, &s);
  conn_run (a, QUIET_MS, until_never, NULL);
  j_int (out, "cut_sent", n_cuts);
  j_int (out, "whole_after_cuts_answers", answers_for (a, tid));
  j_bool (out, "cut_link_closed", a->closed);
  j_int (out, "after_cut_answered", a->closed ? 0 : ping_answered (a));
  g_clear_pointer (&a, conn_free);

  /* 2. a frame header announcing N bytes followed by fewer, then a whole
   * frame: the peer reads the next frame into the first and loses the
   * framing */
  g_autoptr (Conn) b = conn_open (t, error);
  if (b == NULL)
    return FALSE;
  guint64 tid2;
  g_autoptr (GBytes) ping2 = make_ping (b, 0, &tid2);
  guint8 header[RELOAD_FRAME_DATA_HEADER_SIZE] = { RELOAD_FRAME_DATA, 0, 0, 0, 0, 0, 0x01, 0x00 };
  header[4] = (guint8) b->next_sequence++;
  g_byte_array_append (b->out, header, sizeof header); /* 256 bytes announced */
  guint8 some[100];
  for (guint i = 0; i < sizeof some; i++)
    some[i] = (guint8) g_random_int ();
  g_byte_array_append (b->out, some, sizeof some);
  for (guint i = 0; i < MAX (count, 1u); i++)
    send_message (b, ping2);
  gboolean closed = wait_closed (b);
  j_bool (out, "short_frame_closed", closed);
  j_str (out, "short_frame_close_reason", b->close_reason);
  j_int (out, "short_frame_answers", answers_for (b, tid2));
  g_clear_pointer (&b, conn_free);

  /* 3. garbage inside TLS where a frame should start */
  g_autoptr (Conn) g = conn_open (t, error);
  if (g == NULL)
    return FALSE;
  guint8 junk[4096];
  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_random_int ();
  junk[0] = 0x42; /* neither data (128) nor ack (129) */
  g_byte_array_append (g->out, junk, sizeof junk);
  j_bool (out, "garbage_closed", wait_closed (g));
  g_clear_pointer (&g, conn_free);

  /* 4. garbage below TLS, on the TCP stream of an established session */
  g_autoptr (Conn) r = conn_open (t, error);
  if (r == NULL)
    return FALSE;
  gssize w = send (r->fd, junk, sizeof junk, MSG_NOSIGNAL);
  j_int (out, "tls_garbage_written", w);
  j_bool (out, "tls_garbage_closed", wait_closed (r));
  g_clear_pointer (&r, conn_free);

  /* 5. garbage instead of a TLS handshake */
  int fd = tcp_connect (t, error);
  if (fd < 0)
    return FALSE;
  w = send (fd, junk, sizeof junk, MSG_NOSIGNAL);
  struct pollfd p = { fd, POLLIN, 0 };
  gboolean hs_closed = FALSE;
  gint64 deadline = g_get_monotonic_time () + CLOSE_WAIT_MS * 1000;
  while (!hs_closed && g_get_monotonic_time () < deadline)
    {
      if (poll (&p, 1, 100) > 0)
        {
          guint8 buf[4096];
          gssize n = recv (fd, buf, sizeof buf, 0);
          hs_closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
        }
    }
  close (fd);
  j_bool (out, "handshake_garbage_closed", hs_closed);

  /* the peer still takes a new connection and answers on it */
  g_autofree char *why = NULL;
  j_int (out, "new_link_ping_answered", new_link_ping (t, &why));
  if (why != NULL)
    j_str (out, "new_link_ping_error", why);
  return TRUE;
}

/* Answers to the transaction ids of @msgs. */
static guint
answers_for_all (Conn *c, GBytes *const *msgs, guint n)
{
  guint total = 0;
  for (guint i = 0; i < n; i++)
    total += answers_for (c, message_tid (msgs[i]));
  return total;
}

static gboolean
attack_bad_signature (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  /* a Ping with 16 bytes of padding, so that its body has bytes to flip
   * that keep it well-formed, and a Fetch */
  guint64 tid_p, tid_f, tid_h;
  g_autoptr (GBytes) ping = make_ping (c, 16, &tid_p);
  g_autoptr (GBytes) fetch = make_fetch (c, &tid_f);
  g_autoptr (GBytes) ping_h = make_ping (c, 0, &tid_h);
  if (ping == NULL || fetch == NULL || ping_h == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping or Fetch");
      return FALSE;
    }
  /* the last byte of a message is the last of its signature value
   * (§6.3.4: the security block ends with the Signature) */
  GBytes *sig[2] = { flip_byte (ping, g_bytes_get_size (ping) - 1),
                     flip_byte (fetch, g_bytes_get_size (fetch) - 1) };
  /* the body starts after the header, the message code (2 bytes) and the
   * body's 32-bit length: PingReq's padding after its 16-bit length,
   * FetchReq's Resource-ID after its 8-bit length */
  GBytes *body[2] = { flip_byte (ping, message_header_len (ping) + 6 + 2 + 5),
                      flip_byte (fetch, message_header_len (fetch) + 6 + 1 + 3) };
  /* the transaction id is in the forwarding header (offset 20), signed
   * too (§6.3.4); the flipped copy carries another one */
  GBytes *tid[1] = { flip_byte (ping_h, 20 + 7) };
  for (guint i = 0; i < MAX (count, 1u); i++)
    {
      for (guint k = 0; k < 2; k++)
        send_message (c, sig[k]);
      for (guint k = 0; k < 2; k++)
        send_message (c, body[k]);
      send_message (c, tid[0]);
    }
  /* fresh requests, unaltered: answered.  The link and the paths are FIFO:
   * once these are answered, any answer to the altered ones came first. */
  guint64 fresh[2];
  g_autoptr (GBytes) ping2 = make_ping (c, 16, &fresh[0]);
  g_autoptr (GBytes) fetch2 = make_fetch (c, &fresh[1]);
  send_message (c, ping2);
  send_message (c, fetch2);
  TidSet s = { fresh, 2 };
  conn_run (c, ANSWER_TIMEOUT_MS, until_answered, &s);
  conn_run (c, QUIET_MS, until_never, NULL);
  j_int (out, "altered_sent", 5 * MAX (count, 1u));
  j_int (out, "sig_flipped_answers", answers_for_all (c, sig, 2));
  j_int (out, "body_flipped_answers", answers_for_all (c, body, 2));
  j_int (out, "tid_flipped_answers", answers_for_all (c, tid, 1) + answers_for (c, tid_h));
  j_int (out, "fresh_answered", (answers_for (c, fresh[0]) > 0) + (answers_for (c, fresh[1]) > 0));
  /* the originals of the altered ones, unaltered now: their transaction
   * ids were not spent by the forgeries */
  guint64 orig[2] = { tid_p, tid_f };
  send_message (c, ping);
  send_message (c, fetch);
  TidSet o = { orig, 2 };
  conn_run (c, ANSWER_TIMEOUT_MS, until_answered, &o);
  j_int (out, "original_answered", (answers_for (c, tid_p) > 0) + (answers_for (c, tid_f) > 0));
  j_int (out, "verified_answers", c->done_ok + c->done_error);
  j_bool (out, "link_closed", c->closed);
  for (guint k = 0; k < 2; k++)
    {
      g_bytes_unref (sig[k]);
      g_bytes_unref (body[k]);
    }
  g_bytes_unref (tid[0]);
  return TRUE;
}

static gboolean
until_n_answers (Conn *c, gpointer data)
{
  const guint64 *want = data; /* tid, count */
  return answers_for (c, want[0]) >= want[1];
}

static gboolean
attack_replay (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  guint64 tid;
  g_autoptr (GBytes) ping = make_ping (c, 0, &tid);
  if (ping == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping");
      return FALSE;
    }
  for (guint i = 0; i < count; i++)
    send_message (c, ping);
  guint64 want[2] = { tid, count };
  conn_run (c, ANSWER_TIMEOUT_MS, until_n_answers, want);
  conn_run (c, QUIET_MS, until_never, NULL);
  guint answers = 0, other = 0;
  g_autoptr (GHashTable) distinct = g_hash_table_new (g_bytes_hash, g_bytes_equal);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < c->received->len; i++)
    {
      Received *r = g_ptr_array_index (c->received, i);
      if (r->tid != tid)
        {
          other++;
          continue;
        }
      answers++;
      g_hash_table_add (distinct, r->bytes);
      gsize len;
      const guint8 *data = g_bytes_get_data (r->bytes, &len);
      gsize hlen = reload_fragment_parse_header (data, len, NULL, NULL, NULL);
      if (r->code == RELOAD_PING_ANS && hlen + 6 + 8 <= len)
        {
          /* PingAns {uint64 response_id; uint64 time} (§6.5.3.2) */
          guint64 *id = g_new (guint64, 1);
          *id = 0;
          for (guint k = 0; k < 8; k++)
            *id = *id << 8 | data[hlen + 6 + k];
          g_hash_table_add (ids, id);
        }
    }
  j_int (out, "sent", count);
  j_int (out, "answers", answers);
  j_int (out, "distinct_answers", g_hash_table_size (distinct));
  j_int (out, "distinct_response_ids", g_hash_table_size (ids));
  j_int (out, "other_messages", other);
  j_int (out, "verified_answers", c->done_ok);
  j_bool (out, "link_closed", c->closed);
  return TRUE;
}

static gboolean
attack_oversized (Tool *t, guint count, GString *out, GError **error)
{
  guint64 streamed = 0, announced_closed = 0;
  guint64 big_closed = 0, big_answers = 0, big_too_large = 0, big_bytes = 0;
  guint64 frag_answers = 0, frag_closed = 0, frag_bytes = 0, frag_pieces = 0, frag_after = 0;
  for (guint round = 0; round < MAX (count, 1u); round++)
    {
      /* 1. a frame announcing 2^24-1 bytes, and 1 MiB of them */
      g_autoptr (Conn) a = conn_open (t, error);
      if (a == NULL)
        return FALSE;
      guint8 header[RELOAD_FRAME_DATA_HEADER_SIZE] = {
        RELOAD_FRAME_DATA, 0, 0, 0, 0, 0xff, 0xff, 0xff
      };
      g_byte_array_append (a->out, header, sizeof header);
      gsize total = 1024 * 1024;
      guint8 *chunk = g_malloc (65536);
      for (gsize i = 0; i < 65536; i++)
        chunk[i] = (guint8) g_random_int ();
      guint64 start = a->bytes_written;
      for (gsize sent = 0; sent < total && !a->closed; sent += 65536)
        {
          g_byte_array_append (a->out, chunk, 65536);
          conn_run (a, CLOSE_WAIT_MS, NULL, NULL);
        }
      g_free (chunk);
      wait_closed (a);
      streamed += a->bytes_written - start;
      announced_closed += a->closed;

      /* 2. a signed Ping over max-message-size (5000 bytes by default) in
       * one frame */
      g_autoptr (Conn) b = conn_open (t, error);
      if (b == NULL)
        return FALSE;
      guint64 tid;
      g_autoptr (GBytes) big = make_ping (b, t->max_message_size + 1000, &tid);
      if (big == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no large Ping");
          return FALSE;
        }
      big_bytes = g_bytes_get_size (big);
      send_message (b, big);
      TidSet s = { &tid, 1 };
      conn_run (b, CLOSE_WAIT_MS, until_answered, &s);
      big_closed += b->closed;
      big_answers += answers_for (b, tid);
      for (guint i = 0; i < b->received->len; i++)
        {
          Received *r = g_ptr_array_index (b->received, i);
          if (r->tid == tid && r->code == RELOAD_ERROR
              && r->error_code == RELOAD_ERROR_MESSAGE_TOO_LARGE)
            big_too_large++;
        }

      /* 3. a signed Ping of four times max-message-size in fragments of a
       * valid size (§6.7): the reassembly must stop at max-message-size */
      g_autoptr (Conn) f = conn_open (t, error);
      if (f == NULL)
        return FALSE;
      guint64 tid_f;
      g_autoptr (GPtrArray) frags = make_ping_fragments (f, 4 * t->max_message_size, &tid_f);
      if (frags == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no fragments");
          return FALSE;
        }
      frag_pieces = frags->len;
      frag_bytes = 0;
      for (guint i = 0; i < frags->len; i++)
        {
          send_message (f, g_ptr_array_index (frags, i));
          frag_bytes += g_bytes_get_size (g_ptr_array_index (frags, i));
        }
      /* the link still works: a Ping after them is answered, and by then
       * the fragments were all taken (FIFO) */
      frag_after += ping_answered (f);
      conn_run (f, QUIET_MS, until_never, NULL);
      frag_answers += answers_for (f, tid_f);
      frag_closed += f->closed;
    }
  j_int (out, "rounds", MAX (count, 1u));
  j_int (out, "max_message_size", t->max_message_size);
  j_int (out, "announced_bytes", RELOAD_FRAME_MAX_MESSAGE);
  j_int (out, "streamed_bytes", streamed);
  j_int (out, "announced_closed", announced_closed);
  j_int (out, "big_frame_bytes", big_bytes);
  j_int (out, "big_frame_closed", big_closed);
  j_int (out, "big_frame_answers", big_answers);
  j_int (out, "big_frame_too_large_errors", big_too_large);
  j_int (out, "fragmented_bytes", frag_bytes);
  j_int (out, "fragmented_pieces", frag_pieces);
  j_int (out, "fragmented_answers", frag_answers);
  j_int (out, "fragmented_closed", frag_closed);
  j_int (out, "fragmented_then_ping_answered", frag_after);
  g_autofree char *why = NULL;
  j_int (out, "new_link_ping_answered", new_link_ping (t, &why));
  if (why != NULL)
    j_str (out, "new_link_ping_error", why);
  return TRUE;
}

static gboolean
attack_attach_flood (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  g_autoptr (GHashTable) sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint answers = 0, errors = 0, other = 0;
  g_autoptr (GHashTable) codes = g_hash_table_new (NULL, NULL);
  guint n_sent = 0, seen = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 last_progress = start;
  gint64 sent_all_at = 0;
  for (;;)
    {
      /* as fast as the link takes them: keep some queued, no more */
      while (n_sent < count && out_len (c) < FLOOD_OUT_HIGH && !c->closed)
        {
          guint64 tid;
          g_autoptr (GBytes) m = make_attach (c, t->dead_ports[n_sent % N_DEAD_PORTS], &tid);
          if (m == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Attach");
              return FALSE;
            }
          guint64 *key = g_new (guint64, 1);
          *key = tid;
          g_hash_table_add (sent, key);
          send_message (c, m);
          n_sent++;
        }
      if (n_sent == count && sent_all_at == 0 && out_len (c) == 0)
        sent_all_at = g_get_monotonic_time ();
      conn_pump (c, n_sent < count ? 0 : 100);
      /* count what came, and forget it */
      for (; seen < c->received->len; seen++)
        {
          Received *r = g_ptr_array_index (c->received, seen);
          if (!g_hash_table_remove (sent, &r->tid))
            {
              other++;
              continue;
            }
          last_progress = g_get_monotonic_time ();
          if (r->code == RELOAD_ATTACH_ANS)
            answers++;
          else if (r->code == RELOAD_ERROR)
            {
              errors++;
              guint k = r->error_code;
              g_hash_table_insert (
                  codes, GUINT_TO_POINTER (k),
                  GUINT_TO_POINTER (
                      GPOINTER_TO_UINT (g_hash_table_lookup (codes, GUINT_TO_POINTER (k))) + 1));
            }
          else
            other++;
        }
      g_ptr_array_set_size (c->received, 0);
      seen = 0;
      if (c->closed)
        break;
      gint64 now = g_get_monotonic_time ();
      if (n_sent == count && answers + errors >= count)
        break;
      if (now - last_progress > FLOOD_IDLE_MS * 1000 || now - start > FLOOD_MAX_MS * 1000)
        break;
    }
  gint64 end = g_get_monotonic_time ();
  j_int (out, "sent", n_sent);
  j_int (out, "answers", answers);
  j_int (out, "errors", errors);
  j_int (out, "unanswered", n_sent - answers - errors);
  j_int (out, "other_messages", other);
  j_int (out, "verified_answers", c->done_ok);
  GString *ec = g_string_new (NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, codes);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *name = rw_enum_name (reload_error_code_names, GPOINTER_TO_UINT (k));
      g_string_append_printf (ec, "%s%s=%u", ec->len ? "," : "", name ? name : "?",
                              GPOINTER_TO_UINT (v));
    }
  j_str (out, "error_codes", ec->str);
  g_string_free (ec, TRUE);
  j_int (out, "bytes_written", c->bytes_written);
  j_bool (out, "link_closed", c->closed);
  if (c->closed)
    j_str (out, "close_reason", c->close_reason);
  /* timings: for the log, never asserted */
  j_int (out, "send_ms", sent_all_at ? (sent_all_at - start) / 1000 : -1);
  j_int (out, "total_ms", (end - start) / 1000);
  j_int (out, "after_flood_ping_answered", c->closed ? 0 : ping_answered (c));
  return TRUE;
}

static gboolean
attack_idle_handshakes (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < count; i++)
    {
      int fd = tcp_connect (t, error);
      if (fd < 0)
        break;
      g_array_append_val (fds, fd);
    }
  g_clear_error (error);
  /* let the peer accept them all */
  g_usleep (1000 * 1000);
  /* how many the peer keeps open (a closed one reads EOF) */
  guint open = 0;
  for (guint i = 0; i < fds->len; i++)
    {
      guint8 b;
      gssize n = recv (g_array_index (fds, int, i), &b, 1, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        open++;
    }
  j_int (out, "idle_connections", fds->len);
  j_int (out, "idle_kept_open", open);
  /* an authenticated connection, tried again and again while the idle
   * ones are held: a peer that times handshakes out lets it in at last */
  g_autofree char *why = NULL;
  guint answered = 0, attempts = 0;
  gint64 until = g_get_monotonic_time () + IDLE_WINDOW_MS * 1000;
  while (answered == 0 && g_get_monotonic_time () < until)
    {
      if (attempts > 0)
        g_usleep (1000 * 1000);
      g_clear_pointer (&why, g_free);
      answered = new_link_ping (t, &why);
      attempts++;
    }
  j_int (out, "ping_answered_while_idle", answered);
  j_int (out, "while_idle_attempts", attempts);
  if (why != NULL)
    j_str (out, "while_idle_error", why);
  /* how many of them the peer closed meanwhile */
  guint closed_by_peer = 0;
  for (guint i = 0; i < fds->len; i++)
    {
      guint8 b;
      gssize n = recv (g_array_index (fds, int, i), &b, 1, MSG_DONTWAIT);
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        closed_by_peer++;
    }
  j_int (out, "idle_closed_by_peer", closed_by_peer);
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  /* the peer sees them end: a new connection, again while it is refused */
  g_autofree char *why2 = NULL;
  answered = 0;
  attempts = 0;
  while (answered == 0 && attempts < 20)
    {
      g_usleep (500 * 1000);
      g_clear_pointer (&why2, g_free);
      answered = new_link_ping (t, &why2);
      attempts++;
    }
  j_int (out, "ping_answered_after", answered);
  j_int (out, "after_attempts", attempts);
  if (why2 != NULL)
    j_str (out, "after_error", why2);
  return TRUE;
}

/* ---------------------------------------------------------------- main */

static gboolean
split_address (const char *text, char **host, char **port)
{
  const char *colon = strrchr (text, ':');
  if (colon == NULL || colon == text || colon[1] == '\0')
    return FALSE;
  if (text[0] == '[' && colon[-1] == ']')
    *host = g_strndup (text + 1, (gsize) (colon - text - 2));
  else
    *host = g_strndup (text, (gsize) (colon - text));
  *port = g_strdup (colon + 1);
  return TRUE;
}

/* Ports on 127.0.0.1 that nothing listens on right now. */
static void
find_dead_ports (Tool *t)
{
  for (guint i = 0; i < N_DEAD_PORTS; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      struct sockaddr_in a = { 0 };
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      socklen_t alen = sizeof a;
      if (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0
          && getsockname (fd, (struct sockaddr *) &a, &alen) == 0)
        t->dead_ports[i] = ntohs (a.sin_port);
      else
        t->dead_ports[i] = 9; /* discard: nothing listens there either */
      if (fd >= 0)
        close (fd);
    }
}

/* The profile's config.xml, verified and applied as chorus-peer does. */
static gboolean
load_configuration (Tool *t, const char *profile, GError **error)
{
  t->max_message_size = 5000; /* §11.1's default, the node's too */
  g_autofree char *path = g_build_filename (profile, "config.xml", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  t->config = reload_config_load_file (path, t->identity->overlay_name, error);
  if (t->config == NULL || !reload_config_verify (t->config, t->creds->ca, NULL, error)
      || !reload_config_apply_to_node (t->config, &t->node_template, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (t->node_template.max_message_size != 0)
    t->max_message_size = t->node_template.max_message_size;
  return TRUE;
}

typedef struct
{
  const char *name;
  gboolean (*run) (Tool *t, guint count, GString *out, GError **error);
  guint default_count;
} Attack;

static const Attack attacks[] = {
  { "truncated", attack_truncated, 1 },
  { "bad-signature", attack_bad_signature, 1 },
  { "replay", attack_replay, 100 },
  { "oversized", attack_oversized, 1 },
  { "attach-flood", attack_attach_flood, 5000 },
  { "idle-handshakes", attack_idle_handshakes, 40 },
};

static int
usage (void)
{
  g_printerr ("usage: hostile-peer PROFILE ADDR:PORT ATTACK [COUNT]\nATTACK:");
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    g_printerr (" %s", attacks[i].name);
  g_printerr ("\n");
  return 2;
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  if (argc < 4 || argc > 5)
    return usage ();
  const Attack *attack = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    if (g_str_equal (argv[3], attacks[i].name))
      attack = &attacks[i];
  guint64 count = attack ? attack->default_count : 0;
  if (attack == NULL
      || (argc == 5 && !g_ascii_string_to_unsigned (argv[4], 10, 1, 1000000, &count, NULL)))
    return usage ();

  Tool t = { 0 };
  g_autoptr (GError) error = NULL;
  if (!split_address (argv[2], &t.host, &t.port))
    {
      g_printerr ("hostile-peer: “%s” is not ADDR:PORT\n", argv[2]);
      return 2;
    }
  t.creds = reload_credentials_load (argv[1], &error);
  if (t.creds != NULL && (t.creds->cert == NULL || t.creds->key == NULL))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: no cert.pem and key.pem",
                 argv[1]);
  if (error == NULL)
    t.identity = reload_cert_get_identity (t.creds->cert, &error);
  if (error == NULL)
    t.signer = reload_x509_signer_new (t.creds->ca, t.creds->cert, t.creds->key, &error);
  if (error == NULL)
    load_configuration (&t, argv[1], &error);
  find_dead_ports (&t);

  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "{\"attack\": \"%s\"", attack->name);
  gboolean ok = error == NULL && attack->run (&t, (guint) count, out, &error);
  j_bool (out, "ok", ok);
  if (!ok)
    j_str (out, "error", error ? error->message : "failed");
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
  fflush (stdout);
  g_string_free (out, TRUE);

  g_clear_pointer (&t.node_template.kinds, reload_kind_table_unref);
  g_clear_pointer (&t.config, reload_config_free);
  g_clear_pointer (&t.signer, reload_x509_signer_free);
  g_clear_pointer (&t.identity, reload_cert_identity_free);
  g_clear_pointer (&t.creds, reload_credentials_free);
  g_free (t.host);
  g_free (t.port);
  return ok ? 0 : 1;
}
