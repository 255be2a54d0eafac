/* chorus-sip-transport.c: UDP and TCP for plain SIP phones on one port
 * (RFC 3261 §18; see the header).
 *
 * Sources, all on the creator's thread-default context:
 *   - the UDP socket and the TCP listener (GSocket sources, G_IO_IN);
 *   - one custom GSource per TCP connection on its fd (like
 *     reload-tls-link.c), whose events follow the state and whose ready
 *     time is the connection's next deadline (connect, idle, close);
 *   - the sweep, a timer that forgets idle UDP ids and reports the
 *     `closed` of ids ended where no callback may run (inside an API
 *     call: chorus_sip_transport_connect() may evict a UDP id).
 *
 * A TCP connection goes
 *
 *   CONNECTING -> OPEN -> (close()) FLUSHING -> DRAINING -> gone
 *                     \-> gone (EOF, error, framing error, idle: `closed`)
 *
 * Ids live in `conns` while they can be used; a TCP connection closed by
 * the API moves to `closing` until it has flushed its output and seen the
 * other end's EOF (so that unread input does not turn our close into a
 * reset that would lose what we just sent).
 *
 * Reentrancy: callbacks may call anything, chorus_sip_transport_free()
 * included.  Every dispatch counts itself in `busy` and holds a reference
 * on the connection it works on; after each callback it checks whether
 * the transport is being freed or the connection is gone.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-sip-transport"

#include "chorus-address.h"
#include "chorus-sip-transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "chorus-sip-framing.h"

/* clang-format off */
G_DEFINE_QUARK (chorus-sip-transport-error-quark, chorus_sip_transport_error)
/* clang-format on */

/* Bytes read from a TCP socket at once, and reads per dispatch before
 * yielding to the main loop (the framer then holds at most
 * CHORUS_SIP_FRAMING_MAX_MESSAGE + READ_CHUNK bytes). */
#define READ_CHUNK 16384
#define READS_PER_DISPATCH 16
/* Datagrams and accepts per dispatch. */
#define DATAGRAMS_PER_DISPATCH 64
#define ACCEPTS_PER_DISPATCH 64
/* The receive buffer of the UDP socket: any datagram fits whole (§18.3:
 * one datagram is one message; a truncated one would be a different
 * message). */
#define DATAGRAM_BUFFER 65536
/* After accept() failed other than by EWOULDBLOCK (out of file
 * descriptors: the pending connection stays and the listener stays
 * readable), accepting pauses this long instead of spinning. */
#define ACCEPT_PAUSE_MS 1000
#define LISTEN_BACKLOG 128
/* Connections refused over max_tcp, and UDP ids evicted over
 * max_udp_peers, are logged at most this often (a flood must not flood the
 * log too). */
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

typedef enum
{
  TCP_CONNECTING,
  TCP_OPEN,
  TCP_FLUSHING, /* close(): writing what is queued */
  TCP_DRAINING, /* close(): shut down for writing, waiting for the other end's EOF */
  TCP_DEAD,
} TcpState;

typedef struct _Conn Conn;

typedef struct
{
  GSource base;
  Conn *conn;
  gpointer tag;
} ConnSource;

typedef struct
{
  GSource base;
  ChorusSipTransport *transport;
} SweepSource;

struct _Conn
{
  gint ref;
  ChorusSipTransport *t;
  guint64 id;
  gboolean tcp;
  GInetSocketAddress *remote; /* IPv4-mapped IPv6 given as IPv4 */
  char *name;                 /* "ADDR:PORT", for logs; the key of a UDP id */
  gint64 last_activity;       /* monotonic, µs: the last byte either way */
  GList lru;                  /* UDP: the link in udp_lru (data: this) */

  /* TCP */
  TcpState state;
  GSocket *socket;
  ConnSource *source;
  GIOCondition events;
  ChorusSipFramer *framer;
  GByteArray *out; /* out->data[out_off..] waits to be written */
  gsize out_off;
  gint64 deadline;      /* CONNECTING: the connect timeout; FLUSHING, DRAINING: the close timeout */
  gint64 partial_since; /* OPEN: when the buffered part of a message began; 0: none */
};

struct _ChorusSipTransport
{
  ChorusSipTransportCallbacks callbacks;
  gpointer user_data;
  ChorusSipTransportLimits limits;
  GMainContext *context;
  GInetSocketAddress *address;

  GSocket *udp;
  GSocket *listener;
  GSource *udp_source;
  GSource *accept_source;
  GSource *accept_pause;
  SweepSource *sweep;
  gint64 next_sweep;
  guint8 *dgram;

  GHashTable *conns;       /* &id -> Conn (a reference): the ids in use */
  GHashTable *udp_by_name; /* name -> Conn (borrowed from conns) */
  GQueue udp_lru;          /* the UDP Conns, the one silent the longest first */
  GHashTable *closing;     /* Conn -> Conn (a reference): TCP after close() */
  GArray *pending_closed;  /* guint64 ids to report from the sweep */
  guint n_tcp;             /* TCP conns in `conns` */
  guint n_refused;         /* inbound TCP refused since the last log line */
  gint64 refused_logged;   /* monotonic, µs */
  guint n_evicted;         /* UDP ids evicted since the last log line */
  gint64 evicted_logged;   /* monotonic, µs */
  guint64 next_id;

  guint busy; /* > 0 while a dispatch runs */
  gboolean free_pending;
};

static void transport_shutdown (ChorusSipTransport *t);
static void transport_finalize (ChorusSipTransport *t);
static void tcp_update (ChorusSipTransport *t, Conn *c, gboolean more);

/* ---------------------------------------------------------------- addresses */

static const guint8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* @address with an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2, what a
 * dual-stack socket reports for IPv4 peers) made IPv4. */
static GInetSocketAddress *
normalize_address (GSocketAddress *address)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (address);
  GInetAddress *a = g_inet_socket_address_get_address (isa);
  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (a);
      if (memcmp (b, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0)
        {
          g_autoptr (GInetAddress) v4 =
              g_inet_address_new_from_bytes (b + 12, G_SOCKET_FAMILY_IPV4);
          return G_INET_SOCKET_ADDRESS (
              g_inet_socket_address_new (v4, g_inet_socket_address_get_port (isa)));
        }
    }
  return g_object_ref (isa);
}

/* @to as @socket can reach it: an IPv4 address mapped for an IPv6
 * socket. */
static GSocketAddress *
address_for_socket (GSocket *socket, GInetSocketAddress *to)
{
  GInetAddress *a = g_inet_socket_address_get_address (to);
  if (g_socket_get_family (socket) == G_SOCKET_FAMILY_IPV6
      && g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4)
    {
      guint8 b[16];
      memcpy (b, v4_mapped_prefix, sizeof v4_mapped_prefix);
      memcpy (b + 12, g_inet_address_to_bytes (a), 4);
      g_autoptr (GInetAddress) mapped = g_inet_address_new_from_bytes (b, G_SOCKET_FAMILY_IPV6);
      return g_inet_socket_address_new (mapped, g_inet_socket_address_get_port (to));
    }
  return G_SOCKET_ADDRESS (g_object_ref (to));
}

static char *
format_address (GInetSocketAddress *address)
{
  GInetAddress *a = g_inet_socket_address_get_address (address);
  g_autofree char *host = g_inet_address_to_string (a);
  guint16 port = g_inet_socket_address_get_port (address);
  if (g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("%s:%u", host, port);
  guint32 scope = g_inet_socket_address_get_scope_id (address);
  if (scope != 0)
    return g_strdup_printf ("[%s%%%u]:%u", host, scope, port);
  return g_strdup_printf ("[%s]:%u", host, port);
}

/* ---------------------------------------------------------------- connections */

static Conn *
conn_ref (Conn *c)
{
  c->ref++;
  return c;
}

static void
conn_stop_io (Conn *c)
{
  if (c->source != NULL)
    {
      g_source_destroy ((GSource *) c->source);
      g_source_unref ((GSource *) c->source);
      c->source = NULL;
    }
  if (c->socket != NULL && !g_socket_is_closed (c->socket))
    g_socket_close (c->socket, NULL);
}

static void
conn_unref (gpointer p)
{
  Conn *c = p;
  if (--c->ref > 0)
    return;
  conn_stop_io (c);
  g_clear_object (&c->socket);
  g_clear_object (&c->remote);
  g_clear_pointer (&c->framer, chorus_sip_framer_free);
  g_clear_pointer (&c->out, g_byte_array_unref);
  g_free (c->name);
  g_free (c);
}

/* A new id for @remote (taken), in `conns`. */
static Conn *
conn_new (ChorusSipTransport *t, gboolean tcp, GInetSocketAddress *remote)
{
  Conn *c = g_new0 (Conn, 1);
  c->ref = 1;
  c->t = t;
  c->id = t->next_id++;
  c->tcp = tcp;
  c->remote = remote;
  c->name = format_address (remote);
  c->last_activity = g_get_monotonic_time ();
  g_hash_table_insert (t->conns, &c->id, c);
  if (tcp)
    t->n_tcp++;
  else
    {
      g_hash_table_insert (t->udp_by_name, c->name, c);
      c->lru.data = c;
      g_queue_push_tail_link (&t->udp_lru, &c->lru);
    }
  return c;
}

/* The id is no longer in use (drops the reference of `conns`). */
static void
conn_forget (ChorusSipTransport *t, Conn *c)
{
  if (c->tcp)
    t->n_tcp--;
  else
    {
      g_hash_table_remove (t->udp_by_name, c->name);
      g_queue_unlink (&t->udp_lru, &c->lru);
    }
  g_hash_table_remove (t->conns, &c->id);
}

static Conn *
conn_lookup (ChorusSipTransport *t, guint64 id)
{
  return g_hash_table_lookup (t->conns, &id);
}

/* Reports @id as closed from the sweep (no callback runs inside an API
 * call). */
static void
queue_closed (ChorusSipTransport *t, guint64 id)
{
  g_array_append_val (t->pending_closed, id);
  g_source_set_ready_time ((GSource *) t->sweep, 0);
}

static void
emit_closed (ChorusSipTransport *t, guint64 id)
{
  if (!t->free_pending && t->callbacks.closed != NULL)
    t->callbacks.closed (t, id, t->user_data);
}

/* ---------------------------------------------------------------- UDP */

/* Traffic on the UDP id @c: it goes to the end of the queue. */
static void
udp_touch (ChorusSipTransport *t, Conn *c)
{
  c->last_activity = g_get_monotonic_time ();
  g_queue_unlink (&t->udp_lru, &c->lru);
  g_queue_push_tail_link (&t->udp_lru, &c->lru);
}

/* The UDP id of @remote (taken), made when new: over max_udp_peers, the
 * one silent the longest goes first (reported from the sweep). */
static Conn *
udp_conn (ChorusSipTransport *t, GInetSocketAddress *remote)
{
  g_autofree char *name = format_address (remote);
  Conn *c = g_hash_table_lookup (t->udp_by_name, name);
  if (c != NULL)
    {
      g_object_unref (remote);
      return c;
    }
  while (g_hash_table_size (t->udp_by_name) >= MAX (t->limits.max_udp_peers, 1))
    {
      Conn *oldest = g_queue_peek_head (&t->udp_lru);
      gint64 now = g_get_monotonic_time ();
      t->n_evicted++;
      if (t->evicted_logged == 0 || now - t->evicted_logged >= LOG_INTERVAL_US)
        {
          g_message ("UDP %s forgotten (%u since the last such line): %u addresses already",
                     oldest->name, t->n_evicted, t->limits.max_udp_peers);
          t->n_evicted = 0;
          t->evicted_logged = now;
        }
      queue_closed (t, oldest->id);
      conn_forget (t, oldest);
    }
  return conn_new (t, FALSE, remote);
}

static void
udp_datagram (ChorusSipTransport *t, GSocketAddress *from, const guint8 *data, gsize len)
{
  /* §7.5 by analogy: CR and LF before the start-line are dropped; a
   * datagram of nothing else is a keep-alive some phones send */
  while (len > 0 && (data[0] == '\r' || data[0] == '\n'))
    {
      data++;
      len--;
    }
  if (len == 0)
    return;
  /* RFC 7983 §7: a first byte of 0 to 3 is STUN (the keep-alive of RFC
   * 5626 §4.4.2 on UDP), never SIP (a start-line begins with a token or
   * "SIP/") */
  if (data[0] <= 3)
    {
      g_debug ("a STUN packet of %" G_GSIZE_FORMAT " bytes on the SIP port: dropped", len);
      return;
    }
  Conn *c = udp_conn (t, normalize_address (from));
  udp_touch (t, c);
  if (t->callbacks.message != NULL)
    t->callbacks.message (t, c->id, FALSE, data, len, t->user_data);
}

static gboolean
udp_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  ChorusSipTransport *t = user_data;
  t->busy++;
  for (guint i = 0; i < DATAGRAMS_PER_DISPATCH && !t->free_pending; i++)
    {
      GError *error = NULL;
      GSocketAddress *from = NULL;
      gssize r =
          g_socket_receive_from (t->udp, &from, (gchar *) t->dgram, DATAGRAM_BUFFER, NULL, &error);
      if (r < 0)
        {
          gboolean done = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          if (!done)
            g_debug ("UDP receive: %s", error->message);
          g_error_free (error);
          if (done)
            break;
          continue;
        }
      if (from != NULL && G_IS_INET_SOCKET_ADDRESS (from))
        udp_datagram (t, from, t->dgram, (gsize) r);
      g_clear_object (&from);
    }
  t->busy--;
  if (t->busy == 0 && t->free_pending)
    transport_finalize (t);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- TCP */

static gsize
out_len (const Conn *c)
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
      return G_IO_IN | (out_len (c) > 0 ? G_IO_OUT : 0);
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
static void
tcp_update (ChorusSipTransport *t, Conn *c, gboolean more)
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
  conn_ref (c);
  conn_stop_io (c);
  if (api_closed)
    g_hash_table_remove (t->closing, c);
  else
    {
      conn_forget (t, c);
      if (report)
        emit_closed (t, c->id);
    }
  conn_unref (c);
}

/* Queues @len bytes; FALSE (nothing queued) over the bound. */
static gboolean
tcp_queue (Conn *c, const guint8 *data, gsize len)
{
  if (out_len (c) + len > CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES)
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
          if (!tcp_queue (c, (const guint8 *) "\r\n", 2))
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
  while (out_len (c) > 0)
    {
      GError *error = NULL;
      gssize r = g_socket_send (c->socket, (const gchar *) c->out->data + c->out_off, out_len (c),
                                NULL, &error);
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
          tcp_update (t, c, FALSE);
          return;
        }
    }

  if (!tcp_read (t, c, now, &more))
    return;
  if ((c->state == TCP_OPEN || c->state == TCP_FLUSHING) && !tcp_flush (t, c, now))
    return;
  if (c->state == TCP_FLUSHING && out_len (c) == 0)
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
  tcp_update (t, c, more);
}

static gboolean
conn_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ConnSource *cs = (ConnSource *) source;
  Conn *c = conn_ref (cs->conn);
  ChorusSipTransport *t = c->t;
  GIOCondition revents = g_source_query_unix_fd (source, cs->tag);
  t->busy++;
  if (c->state != TCP_DEAD)
    tcp_pump (t, c, revents);
  t->busy--;
  conn_unref (c);
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
  Conn *c = conn_new (t, TRUE, remote);
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

static void
start_accepting (ChorusSipTransport *t)
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
  start_accepting (t);
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
      GInetSocketAddress *from = normalize_address (remote);
      g_object_unref (remote);
      /* hostile input: a flood of connections must not take every file
       * descriptor of the process */
      if (tcp_total (t) >= t->limits.max_tcp)
        {
          gint64 now = g_get_monotonic_time ();
          t->n_refused++;
          if (t->refused_logged == 0 || now - t->refused_logged >= LOG_INTERVAL_US)
            {
              g_autofree char *name = format_address (from);
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

/* ---------------------------------------------------------------- the sweep */

static gint64
sweep_interval_us (ChorusSipTransport *t)
{
  return (gint64) CLAMP (t->limits.udp_idle_ms / 4, 10u, 10000u) * 1000;
}

static gboolean
sweep_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ChorusSipTransport *t = ((SweepSource *) source)->transport;
  gint64 now = g_get_monotonic_time ();
  t->busy++;
  if (now >= t->next_sweep)
    {
      gint64 idle = (gint64) t->limits.udp_idle_ms * 1000;
      Conn *c;
      while ((c = g_queue_peek_head (&t->udp_lru)) != NULL && now - c->last_activity >= idle)
        {
          g_debug ("UDP %s forgotten: idle for %u ms", c->name, t->limits.udp_idle_ms);
          g_array_append_val (t->pending_closed, c->id);
          conn_forget (t, c);
        }
      t->next_sweep = now + sweep_interval_us (t);
    }
  while (!t->free_pending && t->pending_closed->len > 0)
    {
      guint64 id = g_array_index (t->pending_closed, guint64, 0);
      g_array_remove_index (t->pending_closed, 0);
      emit_closed (t, id);
    }
  if (!t->free_pending)
    g_source_set_ready_time (source, t->next_sweep);
  t->busy--;
  if (t->busy == 0 && t->free_pending)
    transport_finalize (t);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs sweep_source_funcs = {
  .dispatch = sweep_dispatch,
};

/* ---------------------------------------------------------------- creation */

static gboolean
bind_sockets (ChorusSipTransport *t, GInetSocketAddress *want, const char *listen, GError **error)
{
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (want));
  gboolean any_port = g_inet_socket_address_get_port (want) == 0;
  /* port 0: the port the kernel gives TCP may be taken for UDP; try
   * again with another */
  for (guint attempt = 0; attempt < (any_port ? 32u : 1u); attempt++)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (GSocket) tcp =
          g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local);
      g_autoptr (GSocket) udp = NULL;
      g_autoptr (GSocketAddress) bound = NULL;
      if (tcp == NULL || !g_socket_bind (tcp, G_SOCKET_ADDRESS (want), TRUE, &local))
        goto fail;
      bound = g_socket_get_local_address (tcp, &local);
      if (bound == NULL)
        goto fail;
      udp = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &local);
      if (udp == NULL)
        goto fail;
      /* no address reuse on UDP: two sockets would share the port */
      if (!g_socket_bind (udp, bound, FALSE, &local))
        {
          if (any_port && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            continue;
          goto fail;
        }
      /* GSocket's default of 10 is small for a port that phones reach */
      g_socket_set_listen_backlog (tcp, LISTEN_BACKLOG);
      if (!g_socket_listen (tcp, &local))
        goto fail;
      g_socket_set_blocking (tcp, FALSE);
      g_socket_set_blocking (udp, FALSE);
      t->listener = g_steal_pointer (&tcp);
      t->udp = g_steal_pointer (&udp);
      t->address = G_INET_SOCKET_ADDRESS (g_steal_pointer (&bound));
      return TRUE;
    fail:
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_LISTEN,
                   "listening on %s: %s", listen, local->message);
      return FALSE;
    }
  g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_LISTEN,
               "listening on %s: no port free for both UDP and TCP", listen);
  return FALSE;
}

ChorusSipTransport *
chorus_sip_transport_new (const char *listen, const ChorusSipTransportCallbacks *callbacks,
                          gpointer user_data, GError **error)
{
  g_autoptr (GInetSocketAddress) want = chorus_address_parse (listen);
  if (want == NULL)
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_INVALID,
                   "“%s” is not ADDRESS:PORT (a numeric IPv4 address, or [IPv6]:PORT)",
                   listen ? listen : "");
      return NULL;
    }
  ChorusSipTransport *t = g_new0 (ChorusSipTransport, 1);
  if (callbacks != NULL)
    t->callbacks = *callbacks;
  t->user_data = user_data;
  t->limits = (ChorusSipTransportLimits){
    .max_tcp = CHORUS_SIP_TRANSPORT_MAX_TCP,
    .max_udp_peers = CHORUS_SIP_TRANSPORT_MAX_UDP_PEERS,
    .tcp_idle_ms = CHORUS_SIP_TRANSPORT_TCP_IDLE_MS,
    .udp_idle_ms = CHORUS_SIP_TRANSPORT_UDP_IDLE_MS,
    .message_timeout_ms = CHORUS_SIP_TRANSPORT_MESSAGE_TIMEOUT_MS,
  };
  t->next_id = 1;
  t->conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, conn_unref);
  t->udp_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  t->closing = g_hash_table_new_full (NULL, NULL, NULL, conn_unref);
  t->pending_closed = g_array_new (FALSE, FALSE, sizeof (guint64));
  t->context = g_main_context_ref_thread_default ();
  if (!bind_sockets (t, want, listen, error))
    {
      transport_shutdown (t);
      transport_finalize (t);
      return NULL;
    }
  t->dgram = g_malloc (DATAGRAM_BUFFER);

  t->udp_source = g_socket_create_source (t->udp, G_IO_IN, NULL);
  g_source_set_callback (t->udp_source, G_SOURCE_FUNC (udp_ready), t, NULL);
  g_source_attach (t->udp_source, t->context);
  start_accepting (t);
  t->sweep = (SweepSource *) g_source_new (&sweep_source_funcs, sizeof (SweepSource));
  t->sweep->transport = t;
  g_source_set_name ((GSource *) t->sweep, "ChorusSipTransport sweep");
  t->next_sweep = g_get_monotonic_time () + sweep_interval_us (t);
  g_source_set_ready_time ((GSource *) t->sweep, t->next_sweep);
  g_source_attach ((GSource *) t->sweep, t->context);

  g_autofree char *name = format_address (t->address);
  g_debug ("SIP on %s (UDP and TCP)", name);
  return t;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Everything but the structure itself, which a running dispatch may still
 * read. */
static void
transport_shutdown (ChorusSipTransport *t)
{
  t->free_pending = TRUE;
  destroy_source (&t->udp_source);
  destroy_source (&t->accept_source);
  destroy_source (&t->accept_pause);
  destroy_source ((GSource **) &t->sweep);
  if (t->conns != NULL)
    {
      GHashTableIter it;
      gpointer value;
      g_hash_table_iter_init (&it, t->conns);
      while (g_hash_table_iter_next (&it, NULL, &value))
        {
          ((Conn *) value)->state = TCP_DEAD;
          conn_stop_io (value);
        }
      g_hash_table_iter_init (&it, t->closing);
      while (g_hash_table_iter_next (&it, NULL, &value))
        {
          ((Conn *) value)->state = TCP_DEAD;
          conn_stop_io (value);
        }
    }
  g_queue_init (&t->udp_lru); /* the links are the Conns' own */
  g_clear_pointer (&t->udp_by_name, g_hash_table_unref);
  g_clear_pointer (&t->conns, g_hash_table_unref);
  g_clear_pointer (&t->closing, g_hash_table_unref);
  g_clear_pointer (&t->pending_closed, g_array_unref);
  if (t->udp != NULL)
    g_socket_close (t->udp, NULL);
  if (t->listener != NULL)
    g_socket_close (t->listener, NULL);
  g_clear_object (&t->udp);
  g_clear_object (&t->listener);
  g_clear_object (&t->address);
  g_clear_pointer (&t->context, g_main_context_unref);
}

/* The structure and the datagram buffer, which a callback running in a
 * dispatch may still read after it freed the transport. */
static void
transport_finalize (ChorusSipTransport *t)
{
  g_free (t->dgram);
  g_free (t);
}

void
chorus_sip_transport_free (ChorusSipTransport *t)
{
  if (t == NULL || t->free_pending)
    return;
  transport_shutdown (t);
  /* inside a dispatch: the structure goes when it returns */
  if (t->busy == 0)
    transport_finalize (t);
}

/* ---------------------------------------------------------------- API */

void
chorus_sip_transport_set_limits (ChorusSipTransport *t, const ChorusSipTransportLimits *limits)
{
  g_return_if_fail (t != NULL && limits != NULL);
  if (limits->max_tcp != 0)
    t->limits.max_tcp = limits->max_tcp;
  if (limits->max_udp_peers != 0)
    t->limits.max_udp_peers = limits->max_udp_peers;
  if (limits->tcp_idle_ms != 0)
    t->limits.tcp_idle_ms = limits->tcp_idle_ms;
  if (limits->udp_idle_ms != 0)
    t->limits.udp_idle_ms = limits->udp_idle_ms;
  if (limits->message_timeout_ms != 0)
    t->limits.message_timeout_ms = limits->message_timeout_ms;
  /* the deadlines follow at the next iteration */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, t->conns);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Conn *c = value;
      if (c->tcp)
        tcp_update (t, c, FALSE);
    }
  t->next_sweep = MIN (t->next_sweep, g_get_monotonic_time () + sweep_interval_us (t));
  g_source_set_ready_time ((GSource *) t->sweep, 0);
}

void
chorus_sip_transport_get_limits (ChorusSipTransport *t, ChorusSipTransportLimits *limits)
{
  g_return_if_fail (t != NULL && limits != NULL);
  *limits = t->limits;
}

GInetSocketAddress *
chorus_sip_transport_get_address (ChorusSipTransport *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->address;
}

static gboolean
udp_send (ChorusSipTransport *t, Conn *c, const guint8 *data, gsize len, GError **error)
{
  if (len > CHORUS_SIP_TRANSPORT_MAX_DATAGRAM)
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_TOO_LARGE,
                   "a datagram of %" G_GSIZE_FORMAT " bytes (at most %u)", len,
                   CHORUS_SIP_TRANSPORT_MAX_DATAGRAM);
      return FALSE;
    }
  g_autoptr (GSocketAddress) to = address_for_socket (t->udp, c->remote);
  GError *local = NULL;
  gssize r = g_socket_send_to (t->udp, to, (const gchar *) data, len, NULL, &local);
  if (r < 0)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* as lost on the way: §17 retransmits */
          g_debug ("UDP %s: no room in the socket, %" G_GSIZE_FORMAT " bytes dropped", c->name,
                   len);
          g_error_free (local);
          return TRUE;
        }
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_FAILED,
                   "UDP to %s: %s", c->name, local->message);
      g_error_free (local);
      return FALSE;
    }
  udp_touch (t, c);
  return TRUE;
}

gboolean
chorus_sip_transport_send (ChorusSipTransport *t, guint64 conn, const guint8 *data, gsize len,
                           GError **error)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  Conn *c = conn_lookup (t, conn);
  if (c == NULL || (c->tcp && c->state != TCP_OPEN && c->state != TCP_CONNECTING))
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED,
                   "no connection %" G_GUINT64_FORMAT, conn);
      return FALSE;
    }
  if (!c->tcp)
    return udp_send (t, c, data, len, error);
  if (!tcp_queue (c, data, len))
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_QUEUE_FULL,
                   "TCP %s: %" G_GSIZE_FORMAT " bytes queued already (at most %u)", c->name,
                   out_len (c), CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES);
      return FALSE;
    }
  if (c->state == TCP_OPEN)
    tcp_update (t, c, FALSE);
  return TRUE;
}

/* Can the UDP socket reach @to?  An IPv6 socket reaches IPv4 addresses
 * mapped (when it is dual-stack; if not, sending fails). */
static gboolean
udp_reaches (ChorusSipTransport *t, GInetSocketAddress *to)
{
  GSocketFamily want = g_inet_address_get_family (g_inet_socket_address_get_address (to));
  return g_socket_get_family (t->udp) == want
         || g_socket_get_family (t->udp) == G_SOCKET_FAMILY_IPV6;
}

static guint64
tcp_connect (ChorusSipTransport *t, GInetSocketAddress *to, GError **error)
{
  g_autofree char *name = format_address (to);
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

guint64
chorus_sip_transport_connect (ChorusSipTransport *t, GInetSocketAddress *to, gboolean tcp,
                              GError **error)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, 0);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (to), 0);
  g_autoptr (GInetSocketAddress) remote = normalize_address (G_SOCKET_ADDRESS (to));
  if (g_inet_socket_address_get_port (remote) == 0 || (!tcp && !udp_reaches (t, remote)))
    {
      g_autofree char *name = format_address (remote);
      g_set_error (
          error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_INVALID, "%s %s", name,
          g_inet_socket_address_get_port (remote) == 0 ? "has no port"
                                                       : "is IPv6, and the UDP socket IPv4");
      return 0;
    }
  if (tcp)
    return tcp_connect (t, remote, error);
  return udp_conn (t, g_steal_pointer (&remote))->id;
}

GInetSocketAddress *
chorus_sip_transport_get_remote (ChorusSipTransport *t, guint64 conn, gboolean *reliable)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, NULL);
  Conn *c = conn_lookup (t, conn);
  if (c == NULL)
    return NULL;
  if (reliable != NULL)
    *reliable = c->tcp;
  return g_object_ref (c->remote);
}

void
chorus_sip_transport_close (ChorusSipTransport *t, guint64 conn)
{
  g_return_if_fail (t != NULL && !t->free_pending);
  Conn *c = conn_lookup (t, conn);
  if (c == NULL)
    return;
  if (!c->tcp)
    {
      conn_forget (t, c);
      return;
    }
  conn_ref (c);
  conn_forget (t, c);
  if (c->state == TCP_OPEN)
    {
      /* flush, then wait for the other end (reported to nobody) */
      c->state = TCP_FLUSHING;
      c->deadline = g_get_monotonic_time () + (gint64) CHORUS_SIP_TRANSPORT_CLOSE_TIMEOUT_MS * 1000;
      g_hash_table_add (t->closing, conn_ref (c));
      tcp_update (t, c, TRUE);
    }
  else
    {
      c->state = TCP_DEAD;
      conn_stop_io (c);
    }
  conn_unref (c);
}

guint
chorus_sip_transport_get_n_connections (ChorusSipTransport *t, gboolean tcp)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, 0);
  return tcp ? t->n_tcp : g_hash_table_size (t->udp_by_name);
}
