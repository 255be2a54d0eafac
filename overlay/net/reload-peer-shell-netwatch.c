/* reload-peer-shell-netwatch.c: the peer's shell watches the network, so
 * that a peer whose address goes (a laptop moves from one network to
 * another, DHCP gives another lease, an interface goes down) is back in
 * the ring within seconds, not after the failure timeouts of its links or
 * the hours some phones need.
 *
 * How it watches.  The truth is the list of the host's addresses
 * (getifaddrs()), compared with the one before; what triggers the
 * comparison is:
 *   - a netlink socket of our own (Linux: NETLINK_ROUTE, the groups of
 *     address, link and route changes), read in the shell's own context:
 *     a change is seen within NETWATCH_SETTLE_MS;
 *   - a poll every NETWATCH_POLL_S, for systems without netlink and for a
 *     change whose notification was lost (the socket's buffer overran).
 * GNetworkMonitor is not used: it is one object per process whose signal
 * comes on the context of whoever made it first (a process with several
 * peers, each in its thread, would get it on the wrong thread); its
 * netlink backend follows routes, not addresses (an address replaced by
 * another of the same prefix changes no route), and its NetworkManager
 * backend reports the host's connectivity, not that of the network
 * namespace the peer runs in.  The netlink socket belongs to the
 * namespace of the thread that opens it, as getifaddrs() does.
 *
 * What it does (RFC 6940 has no word on it; the steps are those of a
 * node that joins again, §10.5 and §11.4):
 *   - the address peers reach this one at (the candidate of its Attaches,
 *     §6.5.1.11) is gone: a listener on a specific address is bound again
 *     on the address the kernel now uses toward the overlay (a connected
 *     UDP socket's local address: the bootstrap nodes, else the
 *     neighbours), the configured one when it comes back; a wildcard
 *     listener only advertises that address.  Every link went with the
 *     old address, so the node starts over (rps_restart): it joins again
 *     through the bootstrap nodes, then the bootstrap cache, with the new
 *     candidate, which attaches to the neighbours again and updates them
 *     (§10.7.3 reactive); the neighbours take the new links in place of
 *     the stale ones (reload-peer-shell.c: tls_up).  The phone registers
 *     again when the node has joined (the shell's `joined`).  At once,
 *     not after the failure detection's timeouts;
 *   - the address is still there but the node has no link left: it joins
 *     again at once (the isolation watchdog would wait
 *     ISOLATION_WATCHDOG_MS);
 *   - no address to reach the overlay from: it waits for one.
 * Changes closer together than NETWATCH_MIN_RESTART_MS are taken as one
 * (a flapping interface must not restart the join again and again); the
 * bootstrap rounds keep their own back-off.
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
#include <unistd.h>

#ifdef __linux__
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

/* A burst of notifications (an address deleted, another added) is read as
 * one change after this much quiet. */
#define NETWATCH_SETTLE_MS 300
/* The poll of the address list, when no notification comes. */
#define NETWATCH_POLL_S 5
/* Two joins started by network changes are at least this far apart. */
#define NETWATCH_MIN_RESTART_MS 2000

struct RpsNetwatch
{
  ReloadPeerShell *shell;
  GPtrArray *addresses; /* char *: the host's addresses, sorted */
  int netlink_fd;
  GSource *netlink_source;
  GSource *settle_timer;
  GSource *poll_timer;
  gint64 last_restart_ms;
  gboolean waiting; /* no address to reach the overlay from */
};

/* ---------------------------------------------------------------- addresses */

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The host's addresses (of interfaces that are up), as text, sorted. */
static GPtrArray *
local_addresses (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  struct ifaddrs *all = NULL;
  if (getifaddrs (&all) != 0)
    return out;
  for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next)
    {
      if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
        continue;
      g_autoptr (GInetAddress) a = NULL;
      if (i->ifa_addr->sa_family == AF_INET)
        a = g_inet_address_new_from_bytes (
            (const guint8 *) &((struct sockaddr_in *) (gpointer) i->ifa_addr)->sin_addr,
            G_SOCKET_FAMILY_IPV4);
      else if (i->ifa_addr->sa_family == AF_INET6)
        a = g_inet_address_new_from_bytes (
            (const guint8 *) &((struct sockaddr_in6 *) (gpointer) i->ifa_addr)->sin6_addr,
            G_SOCKET_FAMILY_IPV6);
      if (a == NULL)
        continue;
      char *text = g_inet_address_to_string (a);
      if (g_ptr_array_find_with_equal_func (out, text, g_str_equal, NULL))
        g_free (text);
      else
        g_ptr_array_add (out, text);
    }
  freeifaddrs (all);
  g_ptr_array_sort (out, compare_strings);
  return out;
}

static gboolean
holds (GPtrArray *list, const char *text)
{
  return g_ptr_array_find_with_equal_func (list, text, g_str_equal, NULL);
}

gboolean
rps_netwatch_is_local (GInetAddress *address)
{
  g_autoptr (GPtrArray) all = local_addresses ();
  g_autofree char *text = g_inet_address_to_string (address);
  return holds (all, text);
}

/* The local address the kernel would send from toward @toward: a UDP
 * socket's connect() only picks the route, nothing is sent. */
static GInetAddress *
route_source (GInetSocketAddress *toward, GSocketFamily family)
{
  GSocketFamily to_family = g_socket_address_get_family (G_SOCKET_ADDRESS (toward));
  /* an IPv6 listener (dual stack) takes IPv4 too, an IPv4 one only IPv4 */
  if (family == G_SOCKET_FAMILY_IPV4 && to_family != G_SOCKET_FAMILY_IPV4)
    return NULL;
  g_autoptr (GSocket) u =
      g_socket_new (to_family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (u == NULL || !g_socket_connect (u, G_SOCKET_ADDRESS (toward), NULL, NULL))
    return NULL;
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (u, NULL);
  if (local == NULL)
    return NULL;
  GInetAddress *a = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  if (g_inet_address_get_is_any (a))
    return NULL;
  return g_object_ref (a);
}

GInetAddress *
rps_netwatch_pick_address (ReloadPeerShell *s)
{
  GSocketFamily family = g_socket_get_family (s->listener);
  /* toward the bootstrap nodes, then the peers we have links to */
  for (guint i = 0; i < s->bootstrap->len; i++)
    {
      GInetAddress *a = route_source (s->bootstrap->pdata[i], family);
      if (a != NULL)
        return a;
    }
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      GInetSocketAddress *to = l->up ? rps_cache_listen_address_of (s, l) : NULL;
      GInetAddress *a = to != NULL ? route_source (to, family) : NULL; /* @to: borrowed */
      if (a != NULL)
        return a;
    }
  /* no route to any of them: an address of the listener's family, not
   * loopback unless there is nothing else */
  g_autoptr (GPtrArray) all = local_addresses ();
  GInetAddress *loopback = NULL;
  for (guint i = 0; i < all->len; i++)
    {
      GInetAddress *a = g_inet_address_new_from_string (all->pdata[i]);
      if (a == NULL || g_inet_address_get_family (a) != family
          || g_inet_address_get_is_link_local (a))
        {
          g_clear_object (&a);
          continue;
        }
      if (!g_inet_address_get_is_loopback (a))
        {
          g_clear_object (&loopback);
          return a;
        }
      if (loopback == NULL)
        loopback = a;
      else
        g_object_unref (a);
    }
  return loopback;
}

/* ---------------------------------------------------------------- changes */

static char *
join_list (GPtrArray *list)
{
  if (list->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (list, NULL);
  char *text = g_strjoinv (", ", (char **) list->pdata);
  g_ptr_array_remove_index (list, list->len - 1);
  return text;
}

static void schedule_check (struct RpsNetwatch *w, guint delay_ms);

/* The address list is @now (it was w->addresses): what to do. */
static void
network_changed (struct RpsNetwatch *w, GPtrArray *now)
{
  ReloadPeerShell *s = w->shell;
  gint64 now_ms = reload_peer_shell_now ();
  if (s->leaving)
    return;
  if (now_ms - w->last_restart_ms < NETWATCH_MIN_RESTART_MS)
    {
      /* too soon after the last join started: looked at again then (the
       * list compared is still the old one) */
      schedule_check (w, (guint) (NETWATCH_MIN_RESTART_MS - (now_ms - w->last_restart_ms)));
      return;
    }
  g_autoptr (GPtrArray) gone = g_ptr_array_new ();
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  for (guint i = 0; i < w->addresses->len; i++)
    if (!holds (now, w->addresses->pdata[i]))
      g_ptr_array_add (gone, w->addresses->pdata[i]);
  for (guint i = 0; i < now->len; i++)
    if (!holds (w->addresses, now->pdata[i]))
      g_ptr_array_add (added, now->pdata[i]);
  g_autofree char *gone_text = join_list (gone);
  g_autofree char *added_text = join_list (added);

  GInetAddress *current = g_inet_socket_address_get_address (s->listen_address);
  g_autofree char *current_text = g_inet_address_to_string (current);
  g_autoptr (GInetAddress) want = NULL;
  g_autofree char *configured_text =
      s->listen_configured ? g_inet_address_to_string (s->listen_configured) : NULL;
  gboolean current_ok = holds (now, current_text);
  if (configured_text != NULL && holds (now, configured_text))
    want = g_object_ref (s->listen_configured); /* the configured address is back, or stayed */
  else if (current_ok && !g_inet_address_get_is_loopback (current))
    want = g_object_ref (current); /* links from it still work */
  else
    want = rps_netwatch_pick_address (s);
  /* loopback reaches no other host: only a peer that listens there (a
   * test overlay on one machine) keeps it */
  if (want != NULL && g_inet_address_get_is_loopback (want)
      && !g_inet_address_get_is_loopback (current))
    g_clear_object (&want);
  g_autofree char *want_text = want ? g_inet_address_to_string (want) : NULL;

  if (want == NULL)
    {
      if (!w->waiting)
        g_message ("network changed: %s gone, %s new; no address to reach the overlay from: "
                   "waiting for one",
                   gone_text, added_text);
      w->waiting = TRUE;
    }
  else if (g_inet_address_equal (want, current) && current_ok)
    {
      gboolean was_waiting = w->waiting;
      w->waiting = FALSE;
      g_debug ("network changed: %s gone, %s new; still reachable at %s", gone_text, added_text,
               current_text);
      /* the address is back, or stayed while every link went: join at
       * once rather than after the isolation watchdog */
      if ((was_waiting || (s->joined && reload_node_n_links (s->node) == 0)) && s->started
          && !s->formed_overlay)
        {
          g_message ("network changed: %s gone, %s new; no link left: joining again", gone_text,
                     added_text);
          w->last_restart_ms = now_ms;
          s->bootstrap_backoff_ms = RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MS;
          rps_restart (s, "the network changed and no link is left");
          s->netchange_ms = now_ms;
        }
    }
  else
    {
      w->waiting = FALSE;
      if (!s->listen_any)
        {
          g_message ("network changed: %s gone, %s new; re-binding from %s to %s", gone_text,
                     added_text, current_text, want_text);
          g_autoptr (GInetSocketAddress) to =
              G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (want, s->listen_port));
          g_autoptr (GError) error = NULL;
          if (!rps_listen_on (s, to, &error))
            {
              /* the port is taken on that address: any other */
              g_message ("%s; trying another port", error->message);
              g_clear_error (&error);
              g_clear_object (&to);
              to = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (want, 0));
              if (!rps_listen_on (s, to, &error))
                {
                  g_message ("re-binding: %s; again in %u s", error->message, NETWATCH_POLL_S);
                  return; /* the list stays the old one: the poll tries again */
                }
            }
        }
      else
        g_message ("network changed: %s gone, %s new; advertising %s instead of %s", gone_text,
                   added_text, want_text, current_text);
      rps_set_advertised (s, want);
      g_autofree char *addr = reload_peer_shell_format_address (s->listen_address);
      g_message ("listening on %s; joining again with it as candidate", addr);
      w->last_restart_ms = now_ms;
      s->bootstrap_backoff_ms = RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MS;
      if (s->started)
        {
          rps_restart (s, "the address changed: the links went with the old one");
          s->netchange_ms = now_ms;
        }
    }
  g_ptr_array_set_size (w->addresses, 0);
  for (guint i = 0; i < now->len; i++)
    g_ptr_array_add (w->addresses, g_strdup (now->pdata[i]));
}

static gboolean
check_now (gpointer data)
{
  struct RpsNetwatch *w = data;
  rps_clear_source (&w->settle_timer);
  g_autoptr (GPtrArray) now = local_addresses ();
  gboolean same = now->len == w->addresses->len;
  for (guint i = 0; same && i < now->len; i++)
    same = strcmp (now->pdata[i], w->addresses->pdata[i]) == 0;
  if (!same || w->waiting)
    network_changed (w, now);
  return G_SOURCE_REMOVE;
}

static void
schedule_check (struct RpsNetwatch *w, guint delay_ms)
{
  rps_clear_source (&w->settle_timer);
  w->settle_timer = rps_timeout_source (w->shell, delay_ms, check_now, w);
}

static gboolean
poll_tick (gpointer data)
{
  struct RpsNetwatch *w = data;
  if (w->settle_timer == NULL)
    check_now (w);
  return G_SOURCE_CONTINUE;
}

#ifdef __linux__
static gboolean
netlink_ready (gint fd, GIOCondition condition, gpointer data)
{
  struct RpsNetwatch *w = data;
  guint8 buf[8192];
  gboolean any = FALSE;
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        {
          any = TRUE;
          continue;
        }
      /* ENOBUFS: notifications were lost; the comparison sees the change */
      if (n < 0 && errno == ENOBUFS)
        {
          any = TRUE;
          continue;
        }
      break;
    }
  /* what changed is read from getifaddrs(), once the burst is over */
  if (any)
    schedule_check (w, NETWATCH_SETTLE_MS);
  return G_SOURCE_CONTINUE;
}

static void
netlink_open (struct RpsNetwatch *w)
{
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    {
      g_debug ("network watch: no netlink socket (%s): polling every %u s", g_strerror (errno),
               NETWATCH_POLL_S);
      return;
    }
  struct sockaddr_nl sa = { 0 };
  sa.nl_family = AF_NETLINK;
  sa.nl_groups =
      RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
    {
      g_debug ("network watch: netlink: %s: polling every %u s", g_strerror (errno),
               NETWATCH_POLL_S);
      close (fd);
      return;
    }
  w->netlink_fd = fd;
  w->netlink_source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (w->netlink_source, G_SOURCE_FUNC (netlink_ready), w, NULL);
  g_source_attach (w->netlink_source, w->shell->context);
}
#endif

void
rps_netwatch_start (ReloadPeerShell *s)
{
  if (s->netwatch != NULL)
    return;
  struct RpsNetwatch *w = g_new0 (struct RpsNetwatch, 1);
  w->shell = s;
  w->netlink_fd = -1;
  w->addresses = local_addresses ();
  w->last_restart_ms = G_MININT64 / 2;
  s->netwatch = w;
#ifdef __linux__
  netlink_open (w);
#endif
  w->poll_timer = rps_timeout_source (s, NETWATCH_POLL_S * 1000, poll_tick, w);
}

void
rps_netwatch_clear (ReloadPeerShell *s)
{
  struct RpsNetwatch *w = s->netwatch;
  if (w == NULL)
    return;
  rps_clear_source (&w->netlink_source);
  rps_clear_source (&w->settle_timer);
  rps_clear_source (&w->poll_timer);
  if (w->netlink_fd >= 0)
    close (w->netlink_fd);
  g_ptr_array_unref (w->addresses);
  g_free (w);
  s->netwatch = NULL;
}
