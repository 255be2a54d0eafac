/* hostile-conn.c: the connection of hostile-peer.c (see hostile-conn.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hostile-conn.h"

gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

gsize
out_len (const Conn *c)
{
  return c->out->len - c->out_off;
}

void
received_free (gpointer p)
{
  Received *r = p;
  g_bytes_unref (r->bytes);
  g_free (r);
}

void
conn_set_closed (Conn *c, const char *why)
{
  if (c->closed)
    return;
  c->closed = TRUE;
  c->close_reason = g_strdup (why);
}

/* ---------------------------------------------------------------- the node's shell */

void
node_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  Conn *c = shell;
  g_ptr_array_add (c->captured, g_bytes_new (data, len));
}

static const ReloadNodeShell hostile_shell = {
  .send = node_send,
};

void
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

void
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

void
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

void
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

void
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
void
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

/* Pumps until @until is true (then TRUE), the link is closed or @timeout_ms
 * passed.  @until NULL: until everything is written. */
gboolean
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

gboolean
until_closed (Conn *c, gpointer data)
{
  return c->closed;
}

gboolean
until_never (Conn *c, gpointer data)
{
  return FALSE;
}

/* Waits up to CLOSE_WAIT_MS for the peer to close the link. */
gboolean
wait_closed (Conn *c)
{
  return conn_run (c, CLOSE_WAIT_MS, until_closed, NULL);
}

/* ---------------------------------------------------------------- connections */

int
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

void
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

/* A new connection: TCP, the TLS handshake with the profile's certificate,
 * the peer's Node-ID from its certificate, and a client node on it. */
Conn *
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
void
send_frame (Conn *c, const guint8 *data, gsize len)
{
  reload_frame_encode_data (c->out, c->next_sequence++, data, len);
}

void
send_message (Conn *c, GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  send_frame (c, data, len);
}

/* Has the node make a request and returns the whole message it sent (its
 * fragments reassembled), or NULL when it sent nothing.  The node keeps
 * the transaction, so that the answer completes it. */
GBytes *
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

ReloadDestination
dest_node (const ReloadNodeId *id)
{
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = *id;
  return d;
}

/* A Ping of the peer itself, padded with @padding bytes. */
GBytes *
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
GPtrArray *
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
GBytes *
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
GBytes *
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
guint64
message_tid (GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  guint64 tid = 0;
  if (reload_fragment_parse_header (data, len, NULL, &tid, NULL) == 0)
    return 0;
  return tid;
}

gsize
message_header_len (GBytes *msg)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  return reload_fragment_parse_header (data, len, NULL, NULL, NULL);
}

/* A copy of @msg with the byte at @offset inverted. */
GBytes *
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
guint
answers_for (Conn *c, guint64 tid)
{
  guint n = 0;
  for (guint i = 0; i < c->received->len; i++)
    if (((Received *) g_ptr_array_index (c->received, i))->tid == tid)
      n++;
  return n;
}

gboolean
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
guint
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
guint
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

gboolean
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
void
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
gboolean
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
