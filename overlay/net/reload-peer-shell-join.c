/* reload-peer-shell-join.c: how the peer's shell gets and keeps its node
 * in the overlay: the bootstrap links of §11.4 in turn, to the configured
 * bootstrap nodes and then to the peers of the bootstrap cache, the first
 * node's own ring when no other bootstrap node answers (§10.5), the
 * partition check of §10.7.4.4, the watchdogs that start the join again
 * with a fresh node, and what the bootstrap cache learns: the peers this
 * one is directly connected to and where they listen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

/* ---------------------------------------------------------------- bootstrap */

static gboolean
same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b)
         && g_inet_address_equal (g_inet_socket_address_get_address (a),
                                  g_inet_socket_address_get_address (b));
}

static gboolean
address_in (GPtrArray *list, GInetSocketAddress *a)
{
  for (guint i = 0; i < list->len; i++)
    if (same_address (list->pdata[i], a))
      return TRUE;
  return FALSE;
}

/* This round's cached peers (§11.4), without ourselves and the
 * configured bootstrap nodes (tried already). */
static void
cache_load (ReloadPeerShell *s)
{
  g_ptr_array_set_size (s->cached, 0);
  if (s->cache.load == NULL)
    return;
  g_autoptr (GPtrArray) all = s->cache.load (s->cache.user_data);
  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      GInetSocketAddress *a = all->pdata[i];
      if (!same_address (a, s->listen_address) && !address_in (s->bootstrap, a)
          && !address_in (s->cached, a))
        g_ptr_array_add (s->cached, g_object_ref (a));
    }
}

/* One bootstrap attempt (§11.4): the configured bootstrap nodes in turn,
 * then, when none of them answered, the cached peers ("as an optimization
 * it MAY attempt to use one or more of them as bootstrap nodes"; Chorus
 * asks the configuration first, so that the overlay's own bootstrap nodes
 * stay the rule and the cache the fallback). */
gboolean
rps_bootstrap_step (gpointer data)
{
  ReloadPeerShell *s = data;
  rps_clear_source (&s->bootstrap_timer);
  if (s->node_started || s->leaving)
    return G_SOURCE_REMOVE;
  if (s->cache_trying != NULL)
    {
      /* the cached peer tried last did not answer (counted once the join
       * succeeds: offline, every peer fails) */
      if (!address_in (s->cache_failed, s->cache_trying)
          && s->cache_failed->len < RELOAD_PEER_SHELL_MAX_LINKS)
        g_ptr_array_add (s->cache_failed, g_object_ref (s->cache_trying));
      g_clear_object (&s->cache_trying);
    }
  guint n_conf = s->bootstrap->len;
  if (s->bootstrap_index == 0)
    cache_load (s);
  if (s->bootstrap_index >= n_conf + s->cached->len && (n_conf == 0 || s->is_bootstrap_node))
    {
      /* no bootstrap node but ourselves answered: the first node forms
       * the overlay (§10.5: "If the joining node is the first node in the
       * overlay") */
      s->node_started = TRUE;
      s->formed_overlay = TRUE;
      g_message ("no other bootstrap node reachable: forming the overlay %s as its first node",
                 s->identity->overlay_name);
      reload_node_start (s->node, 0, NULL, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
      return G_SOURCE_REMOVE;
    }
  if (s->bootstrap_index >= n_conf + s->cached->len)
    {
      /* a round without answer: wait, longer each time */
      s->bootstrap_index = 0;
      guint wait = s->bootstrap_backoff_ms;
      s->bootstrap_backoff_ms =
          MIN (s->bootstrap_backoff_ms * 2, (guint) RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MAX_MS);
      g_message ("no bootstrap node reachable; trying again in %u ms", wait);
      rps_schedule_bootstrap (s, wait);
      return G_SOURCE_REMOVE;
    }
  guint i = s->bootstrap_index++;
  GInetSocketAddress *a;
  if (i < n_conf)
    a = s->bootstrap->pdata[i];
  else
    {
      a = s->cached->pdata[i - n_conf];
      if (i == n_conf)
        g_message ("%s: trying the %u peers of the bootstrap cache (§11.4)",
                   n_conf > 0 ? "no configured bootstrap node answered"
                              : "no bootstrap node configured",
                   s->cached->len);
      s->cache_trying = g_object_ref (a);
    }
  g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (one, g_object_ref (a));
  Link *l = rps_open_link (s, LINK_BOOTSTRAP, one, NULL);
  if (l != NULL)
    s->bootstrap_link = l->id;
  return G_SOURCE_REMOVE;
}

void
rps_schedule_bootstrap (ReloadPeerShell *s, guint delay_ms)
{
  rps_clear_source (&s->bootstrap_timer);
  s->bootstrap_timer = rps_timeout_source (s, delay_ms, rps_bootstrap_step, s);
}

gboolean
rps_partition_check (gpointer data)
{
  ReloadPeerShell *s = data;
  if (s->leaving || !s->joined || s->bootstrap->len == 0)
    return G_SOURCE_CONTINUE;
  /* §10.7.4.4: through a bootstrap node chosen at random */
  g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
  guint i = g_random_int_range (0, (gint) s->bootstrap->len);
  g_ptr_array_add (one, g_object_ref (s->bootstrap->pdata[i]));
  rps_open_link (s, LINK_PARTITION, one, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- the node */

gboolean
rps_make_node (ReloadPeerShell *s, GError **error)
{
  if (s->node != NULL)
    {
      reload_node_free (s->node);
      s->node = NULL;
    }
  g_clear_pointer (&s->signer, reload_x509_signer_free);
  s->signer = reload_x509_signer_new (s->ca, s->cert, s->key, error);
  if (s->signer == NULL)
    return FALSE;
  ReloadNodeConfig cfg = s->node_cfg;
  cfg.node_id = s->identity->node_ids[0];
  cfg.user_name = s->identity->user_name;
  cfg.overlay_name = s->identity->overlay_name;
  cfg.kinds = s->kinds;
  cfg.candidates = &s->candidate;
  cfg.n_candidates = 1;
  cfg.security = reload_x509_security_ops ();
  cfg.security_data = s->signer;
  cfg.seed = (guint64) g_random_int () << 32 | g_random_int ();
  s->node = reload_node_new (&cfg, &rps_node_shell_ops, s);
  s->timer_at = G_MAXINT64;
  return TRUE;
}

/* Starts over: every link closed, a fresh node (same identity), the
 * bootstrap from the first address. */
void
rps_restart (ReloadPeerShell *s, const char *why)
{
  g_message ("joining again: %s", why);
  GList *links = g_hash_table_get_values (s->links);
  for (GList *i = links; i; i = i->next)
    rps_link_destroy (s, i->data, FALSE);
  g_list_free (links);
  g_hash_table_remove_all (s->glare);
  rps_clear_source (&s->partition_timer);
  g_autoptr (GError) error = NULL;
  if (!rps_make_node (s, &error))
    {
      g_warning ("cannot make a node: %s", error->message);
      return;
    }
  s->node_started = FALSE;
  s->joined = FALSE;
  s->formed_overlay = FALSE;
  g_clear_object (&s->cache_trying);
  g_ptr_array_set_size (s->cache_failed, 0);
  s->bootstrap_index = 0;
  s->bootstrap_link = 0;
  s->attempt_started_ms = reload_peer_shell_now ();
  s->isolated_since_ms = -1;
  rps_schedule_bootstrap (s, 0);
}

static void cache_tick (ReloadPeerShell *s, gint64 now);

gboolean
rps_watchdog (gpointer data)
{
  ReloadPeerShell *s = data;
  gint64 now = reload_peer_shell_now ();
  cache_tick (s, now);
  /* nowhere to join through: nothing to watch */
  if (s->leaving || (s->bootstrap->len == 0 && s->cached->len == 0))
    return G_SOURCE_CONTINUE;
  if (!s->joined)
    {
      if (s->node_started && now - s->attempt_started_ms > JOIN_WATCHDOG_MS)
        rps_restart (s, "not joined in time");
      return G_SOURCE_CONTINUE;
    }
  if (reload_node_n_links (s->node) > 0)
    {
      s->isolated_since_ms = -1;
      return G_SOURCE_CONTINUE;
    }
  if (s->isolated_since_ms < 0)
    s->isolated_since_ms = now;
  else if (now - s->isolated_since_ms > ISOLATION_WATCHDOG_MS && !s->is_bootstrap_node
           && !s->formed_overlay)
    rps_restart (s, "no link to any peer");
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- the bootstrap cache */

void
rps_cache_init (ReloadPeerShell *s, const ReloadPeerShellCache *cache)
{
  if (cache != NULL)
    s->cache = *cache;
  s->cached = g_ptr_array_new_with_free_func (g_object_unref);
  s->cache_failed = g_ptr_array_new_with_free_func (g_object_unref);
  s->listen_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

void
rps_cache_clear (ReloadPeerShell *s)
{
  g_clear_pointer (&s->cached, g_ptr_array_unref);
  g_clear_pointer (&s->cache_failed, g_ptr_array_unref);
  g_clear_pointer (&s->listen_of, g_hash_table_unref);
  g_clear_object (&s->cache_trying);
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

/* Both ends of an Attach learn each other's candidates (ReloadNodeShell
 * .connect): under No-ICE, a peer's TLS-TCP-FH-NO-ICE candidate is its
 * listening address (§6.5.1.11), the one a later bootstrap connects to;
 * the link it opened to us only shows an ephemeral port.  (ICE candidates
 * are UDP ports of one Attach, of no use to a bootstrap link: with ICE
 * only peers reached on TLS links are cached.)  The address is the peer's
 * claim; a cached address that never answers drops out. */
void
rps_cache_note_attach (ReloadPeerShell *s, const ReloadNodeId *peer,
                       const ReloadAttachReqAns *remote)
{
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

/* Where @l's peer listens: what its Attach said, else the address an
 * outbound link of ours reached (an inbound link's is a source port). */
static GInetSocketAddress *
listen_address_of (ReloadPeerShell *s, Link *l)
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

static void
add_peer (ReloadPeerShell *s, GArray *peers, GString *digest, ChordId id)
{
  for (guint i = 0; i < peers->len; i++)
    if (chord_id_equal (
            chord_id_from_node_id (&g_array_index (peers, ReloadPeerShellCachePeer, i).node_id),
            id))
      return;
  /* §11.4: "Peers that are not directly connected MUST NOT be cached." */
  Link *l = up_link_to (s, id);
  GInetSocketAddress *a = l != NULL ? listen_address_of (s, l) : NULL;
  if (a == NULL)
    return;
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
static void
cache_tick (ReloadPeerShell *s, gint64 now)
{
  if (s->cache.record == NULL || !s->joined || s->leaving || s->node == NULL)
    return;
  const ChordTable *t = reload_node_table (s->node);
  g_autoptr (GArray) peers = g_array_new (FALSE, TRUE, sizeof (ReloadPeerShellCachePeer));
  g_autoptr (GString) digest = g_string_new (NULL);
  for (guint i = 0; i < t->n_succ; i++)
    add_peer (s, peers, digest, t->succ[i]);
  for (guint i = 0; i < t->n_pred; i++)
    add_peer (s, peers, digest, t->pred[i]);
  Link *b = s->bootstrap_link != 0 ? g_hash_table_lookup (s->links, &s->bootstrap_link) : NULL;
  if (b != NULL && b->up)
    add_peer (s, peers, digest, chord_id_from_node_id (&b->peer));
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
  g_clear_object (&s->cache_trying);
  g_clear_pointer (&s->cache_digest, g_free);
}
