/* chorus-sip-transport-udp.c: the UDP side of the SIP transport
 * (chorus-sip-transport.h): one id per remote address and port (the one
 * silent the longest forgotten over max_udp_peers), datagrams in as whole
 * messages (RFC 3261 §18.3), keep-alives and STUN dropped, datagrams out
 * from the listening socket.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-sip-transport"

#include "chorus-sip-transport-private.h"

/* Datagrams per dispatch. */
#define DATAGRAMS_PER_DISPATCH 64

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
Conn *
transport_udp_conn (ChorusSipTransport *t, GInetSocketAddress *remote)
{
  g_autofree char *name = transport_format_address (remote);
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
      transport_queue_closed (t, oldest->id);
      transport_conn_forget (t, oldest);
    }
  return transport_conn_new (t, FALSE, remote);
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
  Conn *c = transport_udp_conn (t, transport_normalize_address (from));
  udp_touch (t, c);
  if (t->callbacks.message != NULL)
    t->callbacks.message (t, c->id, FALSE, data, len, t->user_data);
}

gboolean
transport_udp_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
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

gboolean
transport_udp_send (ChorusSipTransport *t, Conn *c, const guint8 *data, gsize len, GError **error)
{
  if (len > CHORUS_SIP_TRANSPORT_MAX_DATAGRAM)
    {
      g_set_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_TOO_LARGE,
                   "a datagram of %" G_GSIZE_FORMAT " bytes (at most %u)", len,
                   CHORUS_SIP_TRANSPORT_MAX_DATAGRAM);
      return FALSE;
    }
  g_autoptr (GSocketAddress) to = transport_address_for_socket (t->udp, c->remote);
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

/* Can the UDP socket reach @to?  An IPv6 socket reaches IPv4 addresses
 * mapped (when it is dual-stack; if not, sending fails). */
gboolean
transport_udp_reaches (ChorusSipTransport *t, GInetSocketAddress *to)
{
  GSocketFamily want = g_inet_address_get_family (g_inet_socket_address_get_address (to));
  return g_socket_get_family (t->udp) == want
         || g_socket_get_family (t->udp) == G_SOCKET_FAMILY_IPV6;
}
