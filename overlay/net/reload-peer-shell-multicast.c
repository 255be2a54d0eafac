/* reload-peer-shell-multicast.c: the multicast bootstrap of the peer's
 * shell on the local link, a Chorus extension (the datagrams are in
 * chorus-multicast.h, the configuration element in reload-config.h).
 *
 * For each group of the configuration (IPv4 239.0.0.0/8 or IPv6 ffx2::/16,
 * of the family the peer listens on) the shell has two UDP sockets: one
 * bound to GROUP:PORT that joins the group on the interface of the
 * listening address and receives, and one bound to the listening address
 * that sends, with TTL (hop limit) 1 and loopback on, so that datagrams
 * stay on the link, come from the address the peer announces, and reach
 * the other peers of the same host (tests run on 127.0.0.1).
 *
 *   - A starting peer that reached no configured or cached bootstrap peer
 *     sends a query (twice, RPS_MULTICAST_QUERY_REPEAT_MS apart: UDP may
 *     lose one) and, RELOAD_PEER_SHELL_MULTICAST_WAIT_MS later, tries the
 *     peers that announced themselves as bootstrap peers, all at once
 *     (reload-peer-shell-join.c), each link expecting the announced
 *     Node-ID in the certificate.
 *   - A joined peer answers a query of its overlay with an announcement
 *     (after a random 10-100 ms, so that the answers of many peers spread
 *     out), announces itself when it joins and every
 *     RPS_MULTICAST_ANNOUNCE_S or so, and at most once per
 *     RPS_MULTICAST_ANNOUNCE_MIN_MS whatever it hears.
 *   - What is heard is hostile input: at most RPS_MULTICAST_MAX_PER_S
 *     datagrams a second are looked at (the rest are read and dropped),
 *     each decoded by the bounded codec; those of another overlay, our own
 *     and announcements whose address is not the datagram's source are
 *     ignored; at most RPS_MULTICAST_MAX_HEARD peers are remembered, none
 *     longer than RPS_MULTICAST_HEARD_MAX_AGE_MS.  The peers heard also
 *     serve the partition check (§10.7.4.4), which heals two overlays
 *     formed at the same time by two peers that did not hear each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "chorus-multicast.h"

/* Limits, named (hostile input, and a polite use of the link). */
#define RPS_MULTICAST_MAX_PER_S 50
#define RPS_MULTICAST_MAX_READS 64 /* datagrams read per wake-up */
#define RPS_MULTICAST_MAX_HEARD 16
#define RPS_MULTICAST_HEARD_MAX_AGE_MS (10 * 60 * 1000)
#define RPS_MULTICAST_ANNOUNCE_MIN_MS 1000
#define RPS_MULTICAST_ANNOUNCE_S 120
#define RPS_MULTICAST_QUERY_REPEAT_MS 300

typedef struct
{
  struct RpsMulticast *mc;
  GInetSocketAddress *group;
  GSocket *recv;
  GSocket *send;
  GSource *source;
} Group;

struct RpsMulticast
{
  ReloadPeerShell *shell;
  GPtrArray *groups; /* Group */
  char *groups_text;
  guint64 query_nonce;
  GSource *query_repeat;
  GHashTable *heard; /* hex Node-ID -> RpsHeardPeer */
  gint64 window_start_ms;
  guint window_count;
  guint64 dropped;
  gint64 last_announce_ms;
  guint64 answer_nonce;
  GSource *answer_timer;
  GSource *announce_timer;
};

static void
heard_free (gpointer data)
{
  RpsHeardPeer *p = data;
  g_clear_object (&p->address);
  g_free (p);
}

static void
group_free (gpointer data)
{
  Group *g = data;
  rps_clear_source (&g->source);
  if (g->recv != NULL)
    g_socket_close (g->recv, NULL);
  if (g->send != NULL)
    g_socket_close (g->send, NULL);
  g_clear_object (&g->recv);
  g_clear_object (&g->send);
  g_clear_object (&g->group);
  g_free (g);
}

static gboolean
set_option (GSocket *sock, int level, int name, const void *value, socklen_t len, const char *what,
            GError **error)
{
  if (setsockopt (g_socket_get_fd (sock), level, name, value, len) == 0)
    return TRUE;
  int e = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", what, g_strerror (e));
  return FALSE;
}

/* The index of the interface that holds @address (IPv6), 0 when none. */
static guint
interface_of (GInetAddress *address)
{
  struct ifaddrs *all = NULL;
  if (getifaddrs (&all) != 0)
    return 0;
  guint index = 0;
  for (struct ifaddrs *i = all; i != NULL && index == 0; i = i->ifa_next)
    {
      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET6)
        continue;
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) i->ifa_addr;
      if (memcmp (&sin6->sin6_addr, g_inet_address_to_bytes (address), 16) == 0)
        index = if_nametoindex (i->ifa_name);
    }
  freeifaddrs (all);
  return index;
}

/* The two sockets of @g on the interface of the listening address. */
static gboolean
group_open (Group *g, GInetSocketAddress *listen, GError **error)
{
  GInetAddress *group = g_inet_socket_address_get_address (g->group);
  GInetAddress *local = g_inet_socket_address_get_address (listen);
  GSocketFamily family = g_inet_address_get_family (group);
  if (g_inet_address_get_family (local) != family)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "the peer listens on an address of the other family");
      return FALSE;
    }
  guint ifindex = 0;
  if (family == G_SOCKET_FAMILY_IPV6 && (ifindex = interface_of (local)) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "no interface holds the listening address");
      return FALSE;
    }
  g->recv = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  g->send =
      g->recv ? g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error) : NULL;
  if (g->send == NULL)
    return FALSE;
  g_socket_set_blocking (g->recv, FALSE);
  g_socket_set_blocking (g->send, FALSE);
  /* every peer of the host binds GROUP:PORT (SO_REUSEADDR, and
   * SO_REUSEPORT from GLib for datagrams); a socket bound to the group
   * receives nothing else */
  g_autoptr (GSocketAddress) bind_to =
      family == G_SOCKET_FAMILY_IPV6
          ? g_object_new (G_TYPE_INET_SOCKET_ADDRESS, "address", group, "port",
                          g_inet_socket_address_get_port (g->group), "scope-id", ifindex, NULL)
          : g_inet_socket_address_new (group, g_inet_socket_address_get_port (g->group));
  g_autoptr (GSocketAddress) send_from = g_inet_socket_address_new (local, 0);
  if (!g_socket_bind (g->recv, bind_to, TRUE, error)
      || !g_socket_bind (g->send, send_from, FALSE, error))
    return FALSE;
  int one = 1;
  if (family == G_SOCKET_FAMILY_IPV4)
    {
      struct ip_mreq mreq = { 0 };
      memcpy (&mreq.imr_multiaddr, g_inet_address_to_bytes (group), 4);
      memcpy (&mreq.imr_interface, g_inet_address_to_bytes (local), 4);
      struct in_addr ifaddr;
      memcpy (&ifaddr, g_inet_address_to_bytes (local), 4);
      return set_option (g->recv, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq,
                         "joining the group", error)
             && set_option (g->send, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr,
                            "IP_MULTICAST_IF", error)
             && set_option (g->send, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one,
                            "IP_MULTICAST_TTL", error)
             && set_option (g->send, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one,
                            "IP_MULTICAST_LOOP", error);
    }
  struct ipv6_mreq mreq6 = { 0 };
  memcpy (&mreq6.ipv6mr_multiaddr, g_inet_address_to_bytes (group), 16);
  mreq6.ipv6mr_interface = ifindex;
  return set_option (g->recv, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq6, sizeof mreq6,
                     "joining the group", error)
         && set_option (g->send, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex,
                        "IPV6_MULTICAST_IF", error)
         && set_option (g->send, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof one,
                        "IPV6_MULTICAST_HOPS", error)
         && set_option (g->send, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one,
                        "IPV6_MULTICAST_LOOP", error);
}

/* ---------------------------------------------------------------- sending */

static void
send_all (struct RpsMulticast *mc, const ChorusMulticastMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) datagram = chorus_multicast_encode (msg, &error);
  if (datagram == NULL)
    {
      g_message ("multicast bootstrap: %s", error->message);
      return;
    }
  for (guint i = 0; i < mc->groups->len; i++)
    {
      Group *g = mc->groups->pdata[i];
      g_autoptr (GError) e = NULL;
      if (g_socket_send_to (g->send, G_SOCKET_ADDRESS (g->group), g_bytes_get_data (datagram, NULL),
                            g_bytes_get_size (datagram), NULL, &e)
          < 0)
        g_debug ("multicast bootstrap: sending on %s: %s", mc->groups_text, e->message);
    }
}

static void
fill_header (struct RpsMulticast *mc, ChorusMulticastMessage *msg, guint8 type, guint64 nonce)
{
  memset (msg, 0, sizeof *msg);
  msg->type = type;
  msg->nonce = nonce;
  g_strlcpy (msg->overlay, mc->shell->identity->overlay_name, sizeof msg->overlay);
}

static void
announce (struct RpsMulticast *mc, guint64 nonce)
{
  ReloadPeerShell *s = mc->shell;
  ChorusMulticastMessage msg;
  fill_header (mc, &msg, CHORUS_MULTICAST_ANNOUNCEMENT, nonce);
  msg.node_id = s->identity->node_ids[0];
  GInetAddress *a = g_inet_socket_address_get_address (s->listen_address);
  gsize n = g_inet_address_get_native_size (a);
  msg.listen.type = n == 4 ? RELOAD_ADDRESS_IPV4 : RELOAD_ADDRESS_IPV6;
  memcpy (msg.listen.addr, g_inet_address_to_bytes (a), n);
  msg.listen.port = g_inet_socket_address_get_port (s->listen_address);
  mc->last_announce_ms = reload_peer_shell_now ();
  g_debug ("multicast bootstrap: announcing this peer on %s%s", mc->groups_text,
           nonce != 0 ? " (an answer)" : "");
  send_all (mc, &msg);
}

static gboolean
may_announce (ReloadPeerShell *s)
{
  return s->joined && !s->leaving && !s->node_cfg.client_mode;
}

static gboolean
answer_due (gpointer data)
{
  struct RpsMulticast *mc = data;
  rps_clear_source (&mc->answer_timer);
  if (may_announce (mc->shell))
    announce (mc, mc->answer_nonce);
  return G_SOURCE_REMOVE;
}

static void schedule_announcements (struct RpsMulticast *mc);

static gboolean
announce_due (gpointer data)
{
  struct RpsMulticast *mc = data;
  rps_clear_source (&mc->announce_timer);
  if (may_announce (mc->shell))
    {
      if (reload_peer_shell_now () - mc->last_announce_ms >= RPS_MULTICAST_ANNOUNCE_MIN_MS)
        announce (mc, 0);
      schedule_announcements (mc);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_announcements (struct RpsMulticast *mc)
{
  /* 75 % to 125 % of the period, so that peers started together do not
   * stay in step */
  guint ms = RPS_MULTICAST_ANNOUNCE_S * 1000 / 4 * 3
             + (guint) g_random_int_range (0, RPS_MULTICAST_ANNOUNCE_S * 1000 / 2);
  rps_clear_source (&mc->announce_timer);
  mc->announce_timer = rps_timeout_source (mc->shell, ms, announce_due, mc);
}

/* ---------------------------------------------------------------- receiving */

static void
heard_announcement (struct RpsMulticast *mc, const ChorusMulticastMessage *msg,
                    GInetSocketAddress *from)
{
  ReloadPeerShell *s = mc->shell;
  if (reload_node_id_equal (&msg->node_id, &s->identity->node_ids[0]))
    return; /* our own, looped back */
  GSocketFamily family =
      msg->listen.type == RELOAD_ADDRESS_IPV4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (msg->listen.addr, family);
  /* a hint that points at the host that sent it, at a port; nowhere else
   * (a forged datagram must not send peers knocking on a third host) */
  if (msg->listen.port == 0 || g_inet_address_get_is_any (ip)
      || g_inet_address_get_is_multicast (ip)
      || !g_inet_address_equal (ip, g_inet_socket_address_get_address (from)))
    {
      g_autofree char *src = reload_peer_shell_format_address (from);
      g_debug ("multicast bootstrap: announcement from %s ignored: its address is not the "
               "sender's",
               src);
      return;
    }
  char hex[41] = { 0 };
  for (guint i = 0; i < msg->node_id.len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", msg->node_id.id[i]);
  RpsHeardPeer *p = g_hash_table_lookup (mc->heard, hex);
  if (p == NULL)
    {
      if (g_hash_table_size (mc->heard) >= RPS_MULTICAST_MAX_HEARD)
        {
          /* the one heard longest ago makes room */
          GHashTableIter it;
          gpointer k, v, oldest = NULL;
          gint64 at = G_MAXINT64;
          g_hash_table_iter_init (&it, mc->heard);
          while (g_hash_table_iter_next (&it, &k, &v))
            if (((RpsHeardPeer *) v)->heard_ms < at)
              {
                at = ((RpsHeardPeer *) v)->heard_ms;
                oldest = k;
              }
          g_hash_table_remove (mc->heard, oldest);
        }
      p = g_new0 (RpsHeardPeer, 1);
      g_hash_table_insert (mc->heard, g_strdup (hex), p);
    }
  p->node_id = msg->node_id;
  g_clear_object (&p->address);
  p->address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, msg->listen.port));
  p->heard_ms = reload_peer_shell_now ();
  g_autofree char *where = reload_peer_shell_format_address (p->address);
  g_debug ("multicast bootstrap: peer %.8s… of the overlay listens on %s", hex, where);
}

static void
heard_query (struct RpsMulticast *mc, const ChorusMulticastMessage *msg)
{
  ReloadPeerShell *s = mc->shell;
  if (!may_announce (s) || msg->nonce == mc->query_nonce)
    return; /* not a peer of the ring yet, or our own query */
  mc->answer_nonce = msg->nonce;
  if (mc->answer_timer != NULL)
    return; /* an answer is on its way: it carries the latest nonce */
  gint64 now = reload_peer_shell_now ();
  gint64 wait = g_random_int_range (10, 100);
  /* at most one announcement per RPS_MULTICAST_ANNOUNCE_MIN_MS, however
   * many queries come */
  wait = MAX (wait, mc->last_announce_ms + RPS_MULTICAST_ANNOUNCE_MIN_MS - now);
  mc->answer_timer = rps_timeout_source (s, (guint) wait, answer_due, mc);
}

static void
handle_datagram (struct RpsMulticast *mc, const guint8 *data, gsize len, GInetSocketAddress *from)
{
  ReloadPeerShell *s = mc->shell;
  ChorusMulticastMessage msg;
  g_autoptr (GError) error = NULL;
  if (!chorus_multicast_decode (data, len, &msg, &error))
    {
      g_autofree char *src = reload_peer_shell_format_address (from);
      g_debug ("multicast bootstrap: datagram of %" G_GSIZE_FORMAT " bytes from %s dropped: %s",
               len, src, error->message);
      return;
    }
  if (strcmp (msg.overlay, s->identity->overlay_name) != 0)
    {
      g_autofree char *src = reload_peer_shell_format_address (from);
      g_debug ("multicast bootstrap: %s of overlay %s from %s ignored (not ours)",
               msg.type == CHORUS_MULTICAST_QUERY ? "query" : "announcement", msg.overlay, src);
      return;
    }
  if (msg.type == CHORUS_MULTICAST_QUERY)
    heard_query (mc, &msg);
  else
    heard_announcement (mc, &msg, from);
}

static gboolean
readable (GSocket *sock, GIOCondition cond, gpointer data)
{
  Group *g = data;
  struct RpsMulticast *mc = g->mc;
  guint8 buf[CHORUS_MULTICAST_MAX_SIZE + 1];
  for (guint n = 0; n < RPS_MULTICAST_MAX_READS; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocketAddress) from = NULL;
      gssize len = g_socket_receive_from (sock, &from, (gchar *) buf, sizeof buf, NULL, &error);
      if (len < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("multicast bootstrap: %s", error->message);
          break;
        }
      gint64 now = reload_peer_shell_now ();
      if (now - mc->window_start_ms >= 1000)
        {
          if (mc->dropped > 0)
            g_message ("multicast bootstrap: %" G_GUINT64_FORMAT " datagrams dropped on %s "
                       "(more than %u a second)",
                       mc->dropped, mc->groups_text, RPS_MULTICAST_MAX_PER_S);
          mc->window_start_ms = now;
          mc->window_count = 0;
          mc->dropped = 0;
        }
      if (++mc->window_count > RPS_MULTICAST_MAX_PER_S)
        {
          mc->dropped++;
          continue;
        }
      if (from == NULL || !G_IS_INET_SOCKET_ADDRESS (from))
        continue;
      /* one byte more than the largest datagram: a longer one shows */
      handle_datagram (mc, buf, (gsize) len, G_INET_SOCKET_ADDRESS (from));
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- API */

gboolean
rps_multicast_init (ReloadPeerShell *s, const char *const *groups, GError **error)
{
  if (groups == NULL || groups[0] == NULL)
    return TRUE;
  if (strlen (s->identity->overlay_name) >= sizeof ((ChorusMulticastMessage *) NULL)->overlay)
    {
      g_message ("multicast bootstrap: the overlay name is too long for it: off");
      return TRUE;
    }
  struct RpsMulticast *mc = g_new0 (struct RpsMulticast, 1);
  mc->shell = s;
  mc->groups = g_ptr_array_new_with_free_func (group_free);
  mc->heard = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, heard_free);
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr (GInetSocketAddress) a = reload_peer_shell_parse_address (groups[i], error);
      if (a == NULL || !g_inet_address_get_is_multicast (g_inet_socket_address_get_address (a)))
        {
          if (a != NULL)
            g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_INVALID,
                         "multicast bootstrap: %s is not a multicast group", groups[i]);
          g_ptr_array_unref (mc->groups);
          g_hash_table_unref (mc->heard);
          g_free (mc);
          return FALSE;
        }
      Group *g = g_new0 (Group, 1);
      g->mc = mc;
      g->group = g_steal_pointer (&a);
      g_autoptr (GError) e = NULL;
      if (!group_open (g, s->listen_address, &e))
        {
          /* the peer runs without it: the link may not do multicast */
          g_message ("multicast bootstrap on %s: %s: not used", groups[i], e->message);
          group_free (g);
          continue;
        }
      g_ptr_array_add (mc->groups, g);
      g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", groups[i]);
    }
  mc->groups_text = g_strdup (text->str);
  s->multicast = mc;
  if (mc->groups->len == 0)
    rps_multicast_clear (s);
  return TRUE;
}

void
rps_multicast_start (ReloadPeerShell *s)
{
  struct RpsMulticast *mc = s->multicast;
  if (mc == NULL)
    return;
  for (guint i = 0; i < mc->groups->len; i++)
    {
      Group *g = mc->groups->pdata[i];
      g->source = g_socket_create_source (g->recv, G_IO_IN, NULL);
      g_source_set_callback (g->source, G_SOURCE_FUNC (readable), g, NULL);
      g_source_attach (g->source, s->context);
    }
  g_message ("multicast bootstrap (Chorus extension) on %s", mc->groups_text);
}

void
rps_multicast_clear (ReloadPeerShell *s)
{
  struct RpsMulticast *mc = s->multicast;
  if (mc == NULL)
    return;
  s->multicast = NULL;
  rps_clear_source (&mc->query_repeat);
  rps_clear_source (&mc->answer_timer);
  rps_clear_source (&mc->announce_timer);
  g_ptr_array_unref (mc->groups);
  g_hash_table_unref (mc->heard);
  g_free (mc->groups_text);
  g_free (mc);
}

const char *
rps_multicast_groups_text (ReloadPeerShell *s)
{
  return s->multicast != NULL ? s->multicast->groups_text : "";
}

static gboolean
query_again (gpointer data)
{
  struct RpsMulticast *mc = data;
  rps_clear_source (&mc->query_repeat);
  ChorusMulticastMessage msg;
  fill_header (mc, &msg, CHORUS_MULTICAST_QUERY, mc->query_nonce);
  send_all (mc, &msg);
  return G_SOURCE_REMOVE;
}

void
rps_multicast_query (ReloadPeerShell *s)
{
  struct RpsMulticast *mc = s->multicast;
  if (mc == NULL)
    return;
  /* never 0: that is the nonce of an unsolicited announcement */
  mc->query_nonce = ((guint64) g_random_int () << 32 | g_random_int ()) | 1;
  g_message ("no bootstrap peer answered: asking the local link (multicast group %s)",
             mc->groups_text);
  query_again (mc);
  mc->query_repeat = rps_timeout_source (s, RPS_MULTICAST_QUERY_REPEAT_MS, query_again, mc);
}

static void
heard_clear (gpointer data)
{
  g_clear_object (&((RpsHeardPeer *) data)->address);
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const RpsHeardPeer *) a)->heard_ms, y = ((const RpsHeardPeer *) b)->heard_ms;
  return x > y ? -1 : x < y;
}

GArray *
rps_multicast_peers (ReloadPeerShell *s, gint64 since_ms)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (RpsHeardPeer));
  g_array_set_clear_func (out, heard_clear);
  struct RpsMulticast *mc = s->multicast;
  if (mc == NULL)
    return out;
  gint64 now = reload_peer_shell_now ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, mc->heard);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      RpsHeardPeer *p = v;
      if (now - p->heard_ms > RPS_MULTICAST_HEARD_MAX_AGE_MS)
        {
          g_hash_table_iter_remove (&it);
          continue;
        }
      if (p->heard_ms < since_ms)
        continue;
      RpsHeardPeer copy = *p;
      copy.address = g_object_ref (p->address);
      g_array_append_val (out, copy);
    }
  g_array_sort (out, newest_first);
  return out;
}

void
rps_multicast_joined (ReloadPeerShell *s)
{
  struct RpsMulticast *mc = s->multicast;
  if (mc == NULL || !may_announce (s))
    return;
  if (reload_peer_shell_now () - mc->last_announce_ms >= RPS_MULTICAST_ANNOUNCE_MIN_MS)
    announce (mc, 0);
  schedule_announcements (mc);
}
