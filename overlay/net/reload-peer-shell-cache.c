/* reload-peer-shell-cache.c: what the peer's shell tells its bootstrap
 * cache (RFC 6940 §11.4): the peers it is directly connected to (its
 * neighbours and the peer it joined through) and where each listens.
 *
 * Where a peer listens comes from its Attach (ReloadNodeShell.attach_seen,
 * request or answer, also when a link exists already) or from a link of
 * ours that reached it.  A neighbour that joined through this peer's
 * bootstrap link never had to send it an Attach: once its link has been up
 * a little while without its address known, the shell has the node ask it
 * with an Attach of its own (reload_node_attach_candidates()), whose
 * answer carries the neighbour's candidates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

/* A neighbour whose address is unknown this long after the shell first
 * saw it is asked for its candidates (an Attach of its own may be on the
 * way), and asked again at most this often. */
#define CACHE_ASK_GRACE_MS 2000
#define CACHE_ASK_INTERVAL_MS 60000

void
rps_cache_init (ReloadPeerShell *s, const ReloadPeerShellCache *cache)
{
  if (cache != NULL)
    s->cache = *cache;
  s->cached = g_ptr_array_new_with_free_func (g_object_unref);
  s->cache_failed = g_ptr_array_new_with_free_func (g_object_unref);
  s->listen_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  s->cache_ask = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
rps_cache_clear (ReloadPeerShell *s)
{
  g_clear_pointer (&s->cached, g_ptr_array_unref);
  g_clear_pointer (&s->cache_failed, g_ptr_array_unref);
  g_clear_pointer (&s->listen_of, g_hash_table_unref);
  g_clear_pointer (&s->cache_ask, g_hash_table_unref);
  g_clear_pointer (&s->cache_digest, g_free);
}

static char *
id_key (ChordId id)
{
  char hex[33];
  return g_strdup (chord_id_to_hex (id, hex));
}

/* An up link to @peer, given to the node. */
static Link *
up_link_to (ReloadPeerShell *s, ChordId peer)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      if (l->up && l->given_to_node && chord_id_equal (chord_id_from_node_id (&l->peer), peer))
        return l;
    }
  return NULL;
}

/* ReloadNodeShell.attach_seen: both ends of an Attach learn each other's
 * candidates, also when a link between them exists already (the link of a
 * crossing Attach came up first, or the peer joined through us): under
 * No-ICE, a peer's TLS-TCP-FH-NO-ICE candidate is its listening address
 * (§6.5.1.11), the one a later bootstrap connects to; the link it opened
 * to us only shows an ephemeral port.  (ICE candidates are UDP ports of
 * one Attach, of no use to a bootstrap link: with ICE only peers reached
 * on TLS links are cached.)  The address is the peer's claim; a cached
 * address that never answers drops out. */
void
rps_node_attach_seen (gpointer shell, const ReloadNodeId *peer, const ReloadAttachReqAns *remote)
{
  ReloadPeerShell *s = shell;
  if (s->cache.record == NULL)
    return;
  GInetSocketAddress *a = NULL;
  for (guint i = 0; i < remote->n_candidates && a == NULL; i++)
    {
      const ReloadIceCandidate *c = &remote->candidates[i];
      if (c->overlay_link != RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE || c->addr_port.port == 0)
        continue;
      GSocketFamily family = c->addr_port.type == RELOAD_ADDRESS_IPV4   ? G_SOCKET_FAMILY_IPV4
                             : c->addr_port.type == RELOAD_ADDRESS_IPV6 ? G_SOCKET_FAMILY_IPV6
                                                                        : G_SOCKET_FAMILY_INVALID;
      if (family == G_SOCKET_FAMILY_INVALID)
        continue;
      g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (c->addr_port.addr, family);
      if (g_inet_address_get_is_any (ip) || g_inet_address_get_is_multicast (ip))
        continue;
      a = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, c->addr_port.port));
    }
  if (a == NULL)
    return;
  /* bounded (hostile input): past twice the links, only the peers with a
   * link stay */
  if (g_hash_table_size (s->listen_of) >= 2 * RELOAD_PEER_SHELL_MAX_LINKS)
    {
      GHashTableIter it;
      gpointer k;
      g_hash_table_iter_init (&it, s->listen_of);
      while (g_hash_table_iter_next (&it, &k, NULL))
        {
          ChordId id;
          if (!chord_id_from_hex (k, &id) || up_link_to (s, id) == NULL)
            g_hash_table_iter_remove (&it);
        }
    }
  g_hash_table_replace (s->listen_of, id_key (chord_id_from_node_id (peer)), a);
}

GInetSocketAddress *
rps_cache_listen_address_of (ReloadPeerShell *s, Link *l)
{
  g_autofree char *key = id_key (chord_id_from_node_id (&l->peer));
  GInetSocketAddress *a = g_hash_table_lookup (s->listen_of, key);
  if (a != NULL)
    return a;
  if ((l->kind == LINK_ATTACH || l->kind == LINK_BOOTSTRAP || l->kind == LINK_PARTITION)
      && l->targets != NULL && l->next_target > 0)
    return l->targets->pdata[l->next_target - 1];
  return NULL;
}

static gboolean
same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b)
         && g_inet_address_equal (g_inet_socket_address_get_address (a),
                                  g_inet_socket_address_get_address (b));
}

gboolean
rps_cache_address_linked (ReloadPeerShell *s, GInetSocketAddress *address)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      GInetSocketAddress *a = l->up ? rps_cache_listen_address_of (s, l) : NULL;
      if (a != NULL && same_address (a, address))
        return TRUE;
    }
  return FALSE;
}

/* A neighbour with a link but no known address: asked for its candidates
 * after CACHE_ASK_GRACE_MS, then every CACHE_ASK_INTERVAL_MS (No-ICE
 * only: an ICE candidate is no listening address). */
static void
ask_candidates (ReloadPeerShell *s, Link *l, gint64 now)
{
  if (s->ice)
    return;
  g_autofree char *key = id_key (chord_id_from_node_id (&l->peer));
  gint64 *next = g_hash_table_lookup (s->cache_ask, key);
  if (next == NULL)
    {
      next = g_new (gint64, 1);
      *next = now + CACHE_ASK_GRACE_MS;
      g_hash_table_insert (s->cache_ask, g_steal_pointer (&key), next);
      return;
    }
  if (now < *next)
    return;
  *next = now + CACHE_ASK_INTERVAL_MS;
  g_debug ("bootstrap cache: asking %.8s… where it listens (an Attach over the link)", key);
  reload_node_attach_candidates (s->node, &l->peer, now);
  reload_peer_shell_poke (s);
}

static void
add_peer (ReloadPeerShell *s, GArray *peers, GString *digest, ChordId id, gint64 now)
{
  for (guint i = 0; i < peers->len; i++)
    if (chord_id_equal (
            chord_id_from_node_id (&g_array_index (peers, ReloadPeerShellCachePeer, i).node_id),
            id))
      return;
  /* §11.4: "Peers that are not directly connected MUST NOT be cached." */
  Link *l = up_link_to (s, id);
  if (l == NULL)
    return;
  GInetSocketAddress *a = rps_cache_listen_address_of (s, l);
  if (a == NULL)
    {
      ask_candidates (s, l, now);
      return;
    }
  ReloadPeerShellCachePeer p = { 0 };
  p.node_id = l->peer;
  p.address = a;
  p.connected = TRUE;
  g_array_append_val (peers, p);
  char hex[33];
  g_autofree char *where = reload_peer_shell_format_address (a);
  g_string_append_printf (digest, "%s@%s ", chord_id_to_hex (id, hex), where);
}

/* Every second: the peers this peer is directly connected to, recorded
 * when they change and every RELOAD_PEER_SHELL_CACHE_REFRESH_S: its
 * neighbours (the Neighbor Table holds only peers with a link, §10.7) and
 * the peer it joined through while that link lasts. */
void
rps_cache_tick (ReloadPeerShell *s, gint64 now)
{
  if (s->cache.record == NULL || !s->joined || s->leaving || s->node == NULL)
    return;
  /* the peers asked about that have no link any more are forgotten */
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, s->cache_ask);
  while (g_hash_table_iter_next (&it, &k, NULL))
    {
      ChordId id;
      if (!chord_id_from_hex (k, &id) || up_link_to (s, id) == NULL)
        g_hash_table_iter_remove (&it);
    }
  const ChordTable *t = reload_node_table (s->node);
  g_autoptr (GArray) peers = g_array_new (FALSE, TRUE, sizeof (ReloadPeerShellCachePeer));
  g_autoptr (GString) digest = g_string_new (NULL);
  for (guint i = 0; i < t->n_succ; i++)
    add_peer (s, peers, digest, t->succ[i], now);
  for (guint i = 0; i < t->n_pred; i++)
    add_peer (s, peers, digest, t->pred[i], now);
  Link *b = s->bootstrap_link != 0 ? g_hash_table_lookup (s->links, &s->bootstrap_link) : NULL;
  if (b != NULL && b->up)
    add_peer (s, peers, digest, chord_id_from_node_id (&b->peer), now);
  if (peers->len == 0)
    return;
  if (s->cache_digest != NULL && g_str_equal (s->cache_digest, digest->str)
      && now - s->cache_recorded_ms < RELOAD_PEER_SHELL_CACHE_REFRESH_S * 1000)
    return;
  g_free (s->cache_digest);
  s->cache_digest = g_strdup (digest->str);
  s->cache_recorded_ms = now;
  g_debug ("bootstrap cache: recording %u peers: %s", peers->len, digest->str);
  s->cache.record (s->cache.user_data, (const ReloadPeerShellCachePeer *) peers->data, peers->len);
}

/* Joined: the cached peers that did not answer on the way count as failed
 * (the network worked, they did not), and the next tick records the
 * neighbours. */
void
rps_cache_joined (ReloadPeerShell *s)
{
  for (guint i = 0; s->cache.failed != NULL && i < s->cache_failed->len; i++)
    s->cache.failed (s->cache.user_data, s->cache_failed->pdata[i]);
  g_ptr_array_set_size (s->cache_failed, 0);
  g_clear_pointer (&s->cache_digest, g_free);
}
