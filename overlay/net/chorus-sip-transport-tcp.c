/* chorus-sip-transport-tcp.c: the TCP side of the SIP transport
 * (chorus-sip-transport.h): a connection's state and its GSource, reading
 * through the framer (chorus-sip-framing.h: §18.3, and the keep-alive
 * ping of RFC 5626 §3.5.1), the output queue, the deadlines (connect,
 * idle, an incomplete message, close), accepting under max_tcp, and
 * connecting (§18: an open connection to the address is used).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-sip-transport"

#include "chorus-sip-transport-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* Bytes read from a TCP socket at once, and reads per dispatch before
 * yielding to the main loop (the framer then holds at most
 * CHORUS_SIP_FRAMING_MAX_MESSAGE + READ_CHUNK bytes). */
#define READ_CHUNK 16384
#define READS_PER_DISPATCH 16
/* Accepts per dispatch. */
#define ACCEPTS_PER_DISPATCH 64
/* After accept() failed other than by EWOULDBLOCK (out of file
 * descriptors: the pending connection stays and the listener stays
 * readable), accepting pauses this long instead of spinning. */
#define ACCEPT_PAUSE_MS 1000

/* ---------------------------------------------------------------- TCP */

gsize
transport_out_len (const Conn *c)
{
  return c->out->len - c->out_off;
}

static GIOCondition
tcp_events (const Conn *c)
{
  switch (c->state)
    {
    case TCP_CONNECTING:
      return G_IO_OUT;
    case TCP_OPEN:
      return G_IO_IN | (transport_out_len (c) > 0 ? G_IO_OUT : 0);
    case TCP_FLUSHING:
      return G_IO_IN | G_IO_OUT;
    case TCP_DRAINING:
      return G_IO_IN;
    case TCP_DEAD:
      break;
    }
  return 0;
}

static gint64
tcp_deadline (ChorusSipTransport *t, const Conn *c)
{
  switch (c->state)
    {
    case TCP_OPEN:
      {
        gint64 idle = c->last_activity + (gint64) t->limits.tcp_idle_ms * 1000;
        if (c->partial_since == 0)
          return idle;
        return MIN (idle, c->partial_since + (gint64) t->limits.message_timeout_ms * 1000);
      }
    case TCP_CONNECTING:
    case TCP_FLUSHING:
    case TCP_DRAINING:
      return c->deadline;
    case TCP_DEAD:
      break;
    }
  return -1;
}

/* The events and the deadline of @c's source; @more: dispatch again at
 * once (input left unread). */
void
transport_tcp_update (ChorusSipTransport *t, Conn *c, gboolean more)
{
  if (c->source == NULL)
    return;
  GIOCondition ev = tcp_events (c);
  if (ev != c->events)
    {
      g_source_modify_unix_fd ((GSource *) c->source, c->source->tag, ev);
      c->events = ev;
    }
  g_source_set_ready_time ((GSource *) c->source, more ? 0 : tcp_deadline (t, c));
}

/* @c ends: its socket closes, and `closed` is reported (from a dispatch)
 * unless the API closed it (then it was in `closing`) or @report is
 * FALSE. */
static void
tcp_end (ChorusSipTransport *t, Conn *c, gboolean report)
{
  if (c->state == TCP_DEAD)
    return;
  gboolean api_closed = c->state == TCP_FLUSHING || c->state == TCP_DRAINING;
  c->state = TCP_DEAD;
  transport_conn_ref (c);
  transport_conn_stop_io (c);
  if (api_closed)
    g_hash_table_remove (t->closing, c);
  else
    {
      transport_conn_forget (t, c);
      if (report)
        transport_emit_closed (t, c->id);
    }
  transport_conn_unref (c);
}

/* Queues @len bytes; FALSE (nothing queued) over the bound. */
gboolean
transport_tcp_queue (Conn *c, const guint8 *data, gsize len)
{
  if (transport_out_len (c) + len > CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES)
    return FALSE;
  if (c->out_off > 0 && c->out_off == c->out->len)
    {
      g_byte_array_set_size (c->out, 0);
      c->out_off = 0;
    }
  g_byte_array_append (c->out, data, (guint) len);
  return TRUE;
}

/* Hands the framer's messages to the SIP layer.  FALSE when the
 * connection or the transport is gone. */
static gboolean
tcp_deliver (ChorusSipTransport *t, Conn *c)
{
  while (c->state == TCP_OPEN && !t->free_pending)
    {
      const guint8 *msg = NULL;
      gsize len = 0;
      GError *error = NULL;
      switch (chorus_sip_framer_next (c->framer, &msg, &len, &error))
        {
        case CHORUS_SIP_FRAME_NEED_MORE:
          return TRUE;
        case CHORUS_SIP_FRAME_PING:
          /* RFC 5626 §3.5.1: a double-CRLF ping gets a single-CRLF pong */
          if (!transport_tcp_queue (c, (const guint8 *) "\r\n", 2))
            {
              g_message ("TCP %s closed: it does not read what we send", c->name);
              tcp_end (t, c, TRUE);
              return FALSE;
            }
          break;
        case CHORUS_SIP_FRAME_MESSAGE:
          c->partial_since = 0;
          if (t->callbacks.message != NULL)
            t->callbacks.message (t, c->id, TRUE, msg, len, t->user_data);
          break;
        case CHORUS_SIP_FRAME_ERROR:
          /* a stream cannot be resynchronised after a framing error */
          g_message ("TCP %s closed: %s", c->name, error->message);
          g_error_free (error);
          tcp_end (t, c, TRUE);
          return FALSE;
        }
    }
  return !t->free_pending && c->state != TCP_DEAD;
}

/* Reads what the socket has.  FALSE when the connection or the transport
 * is gone. */
static gboolean
tcp_read (ChorusSipTransport *t, Conn *c, gint64 now, gboolean *more)
{
  guint8 buf[READ_CHUNK];
  for (guint i = 0; i < READS_PER_DISPATCH; i++)
    {
      if (t->free_pending || c->state == TCP_DEAD)
        return FALSE;
      GError *error = NULL;
      gssize r = g_socket_receive (c->socket, (gchar *) buf, sizeof buf, NULL, &error);
      if (r < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_error_free (error);
              return TRUE;
            }
          g_debug ("TCP %s: %s", c->name, error->message);
          g_error_free (error);
          tcp_end (t, c, TRUE);
          return FALSE;
        }
      if (r == 0)
        {
          g_debug ("TCP %s closed by the other end", c->name);
          tcp_end (t, c, TRUE);
          return FALSE;
        }
      if (c->state != TCP_OPEN)
        continue; /* closing: what still comes is discarded */
      c->last_activity = now;
      chorus_sip_framer_push (c->framer, buf, (gsize) r);
      if (!tcp_deliver (t, c))
        return FALSE;
      /* the start of a message left: its clock runs from now */
      gsize partial;
      chorus_sip_framer_peek (c->framer, &partial);
      if (partial == 0)
        c->partial_since = 0;
      else if (c->partial_since == 0)
        c->partial_since = now;
    }
  *more = TRUE;
  return !t->free_pending && c->state != TCP_DEAD;
}

/* Writes what is queued until the socket would block.  FALSE when the
 * connection is gone. */
static gboolean
tcp_flush (ChorusSipTransport *t, Conn *c, gint64 now)
{
  while (transport_out_len (c) > 0)
    {
      GError *error = NULL;
      gssize r = g_socket_send (c->socket, (const gchar *) c->out->data + c->out_off,
                                transport_out_len (c), NULL, &error);
      if (r < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_error_free (error);
              return TRUE;
            }
          g_debug ("TCP %s: %s", c->name, error->message);
          g_error_free (error);
          tcp_end (t, c, TRUE);
          return FALSE;
        }
      c->out_off += (gsize) r;
      c->last_activity = now;
    }
  g_byte_array_set_size (c->out, 0);
  c->out_off = 0;
  return TRUE;
}

static void
tcp_pump (ChorusSipTransport *t, Conn *c, GIOCondition revents)
{
  gint64 now = g_get_monotonic_time ();
  gboolean more = FALSE;

  if (c->state == TCP_CONNECTING)
    {
      if (revents & (G_IO_OUT | G_IO_ERR | G_IO_HUP))
        {
          GError *error = NULL;
          if (!g_socket_check_connect_result (c->socket, &error))
            {
              g_message ("TCP connection to %s failed: %s", c->name, error->message);
              g_error_free (error);
              tcp_end (t, c, TRUE);
              return;
            }
          g_debug ("TCP connected to %s", c->name);
          c->state = TCP_OPEN;
          c->last_activity = now;
        }
      else if (now >= c->deadline)
        {
          g_message ("TCP connection to %s: no answer in %u ms", c->name,
                     CHORUS_SIP_TRANSPORT_CONNECT_TIMEOUT_MS);
          tcp_end (t, c, TRUE);
          return;
        }
      else
        {
          transport_tcp_update (t, c, FALSE);
          return;
        }
    }

  if (!tcp_read (t, c, now, &more))
    return;
  if ((c->state == TCP_OPEN || c->state == TCP_FLUSHING) && !tcp_flush (t, c, now))
    return;
  if (c->state == TCP_FLUSHING && transport_out_len (c) == 0)
    {
      g_socket_shutdown (c->socket, FALSE, TRUE, NULL);
      c->state = TCP_DRAINING;
    }
  gint64 deadline = tcp_deadline (t, c);
  if (now >= deadline)
    {
      if (c->state == TCP_OPEN && c->partial_since != 0
          && now - c->partial_since >= (gint64) t->limits.message_timeout_ms * 1000)
        g_message ("TCP %s closed: a message still incomplete after %u ms", c->name,
                   t->limits.message_timeout_ms);
      else if (c->state == TCP_OPEN)
        g_message ("TCP %s closed: idle for %u ms", c->name, t->limits.tcp_idle_ms);
      tcp_end (t, c, TRUE);
      return;
    }
  transport_tcp_update (t, c, more);
}

static gboolean
conn_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ConnSource *cs = (ConnSource *) source;
  Conn *c = transport_conn_ref (cs->conn);
  ChorusSipTransport *t = c->t;
  GIOCondition revents = g_source_query_unix_fd (source, cs->tag);
  t->busy++;
  if (c->state != TCP_DEAD)
    tcp_pump (t, c, revents);
  t->busy--;
  transport_conn_unref (c);
  if (t->busy == 0 && t->free_pending)
    transport_finalize (t);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = {
  .dispatch = conn_source_dispatch,
};

/* A TCP connection on @socket (connected or connecting) to @remote
 * (taken). */
static Conn *
tcp_conn_new (ChorusSipTransport *t, GSocket *socket, GInetSocketAddress *remote, TcpState state)
{
  Conn *c = transport_conn_new (t, TRUE, remote);
  c->socket = g_object_ref (socket);
  g_socket_set_blocking (socket, FALSE);
  /* SIP messages are small and each waits for its answer */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  c->state = state;
  c->deadline = c->last_activity + (gint64) CHORUS_SIP_TRANSPORT_CONNECT_TIMEOUT_MS * 1000;
  c->framer = chorus_sip_framer_new (CHORUS_SIP_FRAMING_MAX_HEADER, CHORUS_SIP_FRAMING_MAX_MESSAGE);
  c->out = g_byte_array_new ();
  c->source = (ConnSource *) g_source_new (&conn_source_funcs, sizeof (ConnSource));
  c->source->conn = c;
  g_source_set_name ((GSource *) c->source, "ChorusSipTransport TCP");
  c->events = tcp_events (c);
  c->source->tag =
      g_source_add_unix_fd ((GSource *) c->source, g_socket_get_fd (socket), c->events);
  g_source_set_ready_time ((GSource *) c->source, tcp_deadline (t, c));
  g_source_attach ((GSource *) c->source, t->context);
  return c;
}

static guint
tcp_total (ChorusSipTransport *t)
{
  return t->n_tcp + g_hash_table_size (t->closing);
}

static gboolean accept_ready (GSocket *socket, GIOCondition condition, gpointer user_data);

void
transport_start_accepting (ChorusSipTransport *t)
{
  t->accept_source = g_socket_create_source (t->listener, G_IO_IN, NULL);
  g_source_set_callback (t->accept_source, G_SOURCE_FUNC (accept_ready), t, NULL);
  g_source_attach (t->accept_source, t->context);
}

static gboolean
accept_resume (gpointer user_data)
{
  ChorusSipTransport *t = user_data;
  g_clear_pointer (&t->accept_pause, g_source_unref);
  transport_start_accepting (t);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  ChorusSipTransport *t = user_data;
  for (guint i = 0; i < ACCEPTS_PER_DISPATCH; i++)
    {
      GError *error = NULL;
      GSocket *s = g_socket_accept (t->listener, NULL, &error);
      if (s == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_error_free (error);
              break;
            }
          g_message ("TCP accept: %s; accepting again in %u ms", error->message, ACCEPT_PAUSE_MS);
          g_error_free (error);
          g_source_destroy (t->accept_source);
          g_clear_pointer (&t->accept_source, g_source_unref);
          t->accept_pause = g_timeout_source_new (ACCEPT_PAUSE_MS);
          g_source_set_callback (t->accept_pause, accept_resume, t, NULL);
          g_source_attach (t->accept_pause, t->context);
          return G_SOURCE_REMOVE;
        }
      GSocketAddress *remote = g_socket_get_remote_address (s, NULL);
      if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
        {
          g_clear_object (&remote);
          g_socket_close (s, NULL);
          g_object_unref (s);
          continue;
        }
      GInetSocketAddress *from = transport_normalize_address (remote);
      g_object_unref (remote);
      /* hostile input: a flood of connections must not take every file
       * descriptor of the process */
      if (tcp_total (t) >= t->limits.max_tcp)
        {
          gint64 now = g_get_monotonic_time ();
          t->n_refused++;
          if (t->refused_logged == 0 || now - t->refused_logged >= LOG_INTERVAL_US)
            {
              g_autofree char *name = transport_format_address (from);
              g_message ("TCP connection from %s refused (%u since the last such line): %u "
                         "connections already",
                         name, t->n_refused, tcp_total (t));
              t->n_refused = 0;
              t->refused_logged = now;
            }
          g_object_unref (from);
          g_socket_close (s, NULL);
          g_object_unref (s);
          continue;
        }
      Conn *c = tcp_conn_new (t, s, from, TCP_OPEN);
      g_debug ("TCP connection from %s", c->name);
      g_object_unref (s);
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- connecting */

guint64
transport_tcp_connect (ChorusSipTransport *t, GInetSocketAddress *to, GError **error)
{
  g_autofree char *name = transport_format_address (to);
  /* §18: an open connection to that address is used */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, t->conns);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Conn *c = value;
      if (c->tcp && (c->state == TCP_OPEN || c->state == TCP_CONNECTING)
          && strcmp (c->name, name) == 0)
        return c->id;
    }
  if (tcp_total (t) >= t->limits.max_tcp)
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_LIMIT,
                   "TCP to %s: %u connections already", name, tcp_total (t));
      return 0;
    }
  GSocketFamily family = g_inet_address_get_family (g_inet_socket_address_get_address (to));
  GError *local = NULL;
  g_autoptr (GSocket) s =
      g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local);
  if (s == NULL)
    goto fail;
  g_socket_set_blocking (s, FALSE);
  /* from the address we listen on, when it is a specific one */
  GInetAddress *own = g_inet_socket_address_get_address (t->address);
  if (!g_inet_address_get_is_any (own) && g_inet_address_get_family (own) == family)
    {
      g_autoptr (GSocketAddress) from = g_inet_socket_address_new (own, 0);
      if (!g_socket_bind (s, from, FALSE, &local))
        goto fail;
    }
  TcpState state = TCP_OPEN;
  if (!g_socket_connect (s, G_SOCKET_ADDRESS (to), NULL, &local))
    {
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PENDING))
        goto fail;
      g_clear_error (&local);
      state = TCP_CONNECTING;
    }
  Conn *c = tcp_conn_new (t, s, g_object_ref (to), state);
  g_debug ("TCP connection %" G_GUINT64_FORMAT " to %s", c->id, c->name);
  return c->id;

fail:
  g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_FAILED,
               "TCP to %s: %s", name, local->message);
  g_error_free (local);
  return 0;
}
