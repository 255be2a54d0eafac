/* chorus-sip-transport.c: UDP and TCP for plain SIP phones on one port
 * (RFC 3261 §18; see the header).
 *
 * UDP is in chorus-sip-transport-udp.c, TCP (connections, framing,
 * accepting, connecting) in chorus-sip-transport-tcp.c; here are the
 * transport's life, its connection ids, addresses, the sweep and the API.
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
#include "chorus-sip-transport-private.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (chorus-sip-transport-error-quark, chorus_sip_transport_error)
/* clang-format on */

#define LISTEN_BACKLOG 128

static void transport_shutdown (ChorusSipTransport *t);

/* ---------------------------------------------------------------- addresses */

static const guint8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* @address with an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2, what a
 * dual-stack socket reports for IPv4 peers) made IPv4. */
GInetSocketAddress *
transport_normalize_address (GSocketAddress *address)
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
GSocketAddress *
transport_address_for_socket (GSocket *socket, GInetSocketAddress *to)
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

char *
transport_format_address (GInetSocketAddress *address)
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

Conn *
transport_conn_ref (Conn *c)
{
  c->ref++;
  return c;
}

void
transport_conn_stop_io (Conn *c)
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

void
transport_conn_unref (gpointer p)
{
  Conn *c = p;
  if (--c->ref > 0)
    return;
  transport_conn_stop_io (c);
  g_clear_object (&c->socket);
  g_clear_object (&c->remote);
  g_clear_pointer (&c->framer, chorus_sip_framer_free);
  g_clear_pointer (&c->out, g_byte_array_unref);
  g_free (c->name);
  g_free (c);
}

/* A new id for @remote (taken), in `conns`. */
Conn *
transport_conn_new (ChorusSipTransport *t, gboolean tcp, GInetSocketAddress *remote)
{
  Conn *c = g_new0 (Conn, 1);
  c->ref = 1;
  c->t = t;
  c->id = t->next_id++;
  c->tcp = tcp;
  c->remote = remote;
  c->name = transport_format_address (remote);
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
void
transport_conn_forget (ChorusSipTransport *t, Conn *c)
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
void
transport_queue_closed (ChorusSipTransport *t, guint64 id)
{
  g_array_append_val (t->pending_closed, id);
  g_source_set_ready_time ((GSource *) t->sweep, 0);
}

void
transport_emit_closed (ChorusSipTransport *t, guint64 id)
{
  if (!t->free_pending && t->callbacks.closed != NULL)
    t->callbacks.closed (t, id, t->user_data);
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
          transport_conn_forget (t, c);
        }
      t->next_sweep = now + sweep_interval_us (t);
    }
  while (!t->free_pending && t->pending_closed->len > 0)
    {
      guint64 id = g_array_index (t->pending_closed, guint64, 0);
      g_array_remove_index (t->pending_closed, 0);
      transport_emit_closed (t, id);
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
  t->conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, transport_conn_unref);
  t->udp_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  t->closing = g_hash_table_new_full (NULL, NULL, NULL, transport_conn_unref);
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
  g_source_set_callback (t->udp_source, G_SOURCE_FUNC (transport_udp_ready), t, NULL);
  g_source_attach (t->udp_source, t->context);
  transport_start_accepting (t);
  t->sweep = (SweepSource *) g_source_new (&sweep_source_funcs, sizeof (SweepSource));
  t->sweep->transport = t;
  g_source_set_name ((GSource *) t->sweep, "ChorusSipTransport sweep");
  t->next_sweep = g_get_monotonic_time () + sweep_interval_us (t);
  g_source_set_ready_time ((GSource *) t->sweep, t->next_sweep);
  g_source_attach ((GSource *) t->sweep, t->context);

  g_autofree char *name = transport_format_address (t->address);
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
          transport_conn_stop_io (value);
        }
      g_hash_table_iter_init (&it, t->closing);
      while (g_hash_table_iter_next (&it, NULL, &value))
        {
          ((Conn *) value)->state = TCP_DEAD;
          transport_conn_stop_io (value);
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
void
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
        transport_tcp_update (t, c, FALSE);
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
    return transport_udp_send (t, c, data, len, error);
  if (!transport_tcp_queue (c, data, len))
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_QUEUE_FULL,
                   "TCP %s: %" G_GSIZE_FORMAT " bytes queued already (at most %u)", c->name,
                   transport_out_len (c), CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES);
      return FALSE;
    }
  if (c->state == TCP_OPEN)
    transport_tcp_update (t, c, FALSE);
  return TRUE;
}

guint64
chorus_sip_transport_connect (ChorusSipTransport *t, GInetSocketAddress *to, gboolean tcp,
                              GError **error)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, 0);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (to), 0);
  g_autoptr (GInetSocketAddress) remote = transport_normalize_address (G_SOCKET_ADDRESS (to));
  if (g_inet_socket_address_get_port (remote) == 0 || (!tcp && !transport_udp_reaches (t, remote)))
    {
      g_autofree char *name = transport_format_address (remote);
      g_set_error (
          error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_INVALID, "%s %s", name,
          g_inet_socket_address_get_port (remote) == 0 ? "has no port"
                                                       : "is IPv6, and the UDP socket IPv4");
      return 0;
    }
  if (tcp)
    return transport_tcp_connect (t, remote, error);
  return transport_udp_conn (t, g_steal_pointer (&remote))->id;
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
      transport_conn_forget (t, c);
      return;
    }
  transport_conn_ref (c);
  transport_conn_forget (t, c);
  if (c->state == TCP_OPEN)
    {
      /* flush, then wait for the other end (reported to nobody) */
      c->state = TCP_FLUSHING;
      c->deadline = g_get_monotonic_time () + (gint64) CHORUS_SIP_TRANSPORT_CLOSE_TIMEOUT_MS * 1000;
      g_hash_table_add (t->closing, transport_conn_ref (c));
      transport_tcp_update (t, c, TRUE);
    }
  else
    {
      c->state = TCP_DEAD;
      transport_conn_stop_io (c);
    }
  transport_conn_unref (c);
}

guint
chorus_sip_transport_get_n_connections (ChorusSipTransport *t, gboolean tcp)
{
  g_return_val_if_fail (t != NULL && !t->free_pending, 0);
  return tcp ? t->n_tcp : g_hash_table_size (t->udp_by_name);
}
