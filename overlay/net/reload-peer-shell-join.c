/* reload-peer-shell-join.c: how the peer's shell gets and keeps its node
 * in the overlay: the bootstrap rounds of §11.4 (the configured bootstrap
 * nodes one after the other, then the peers of the bootstrap cache all at
 * once, then the peers that answer a query on the multicast groups of the
 * local link, a Chorus extension), the first node's own ring when no
 * other bootstrap node answers (§10.5), the partition check of
 * §10.7.4.4, and the watchdogs that start the join again with a fresh
 * node.  What the bootstrap cache learns is in reload-peer-shell-cache.c,
 * the multicast groups in reload-peer-shell-multicast.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

/* ---------------------------------------------------------------- bootstrap */

/* A bootstrap link not up yet, and where its address came from. */
typedef struct
{
  guint64 link;
  GInetSocketAddress *address;
  BootSource source;
} BootAttempt;

static void
boot_attempt_free (gpointer data)
{
  BootAttempt *a = data;
  g_object_unref (a->address);
  g_free (a);
}

void
rps_bootstrap_init (ReloadPeerShell *s)
{
  s->attempts = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, boot_attempt_free);
}

void
rps_bootstrap_clear (ReloadPeerShell *s)
{
  rps_clear_source (&s->attempt_timer);
  g_clear_pointer (&s->attempts, g_hash_table_unref);
}

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

static gboolean
attempted (ReloadPeerShell *s, GInetSocketAddress *address)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->attempts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (same_address (((BootAttempt *) v)->address, address))
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

/* Opens a bootstrap link to @address (§11.4: "the Joining Node MUST first
 * form the DTLS or TLS connection to the bootstrap node"), one of the
 * attempts of this round; @expected: the Node-ID its certificate must
 * hold, when known. */
static void
attempt (ReloadPeerShell *s, GInetSocketAddress *address, const ReloadNodeId *expected,
         BootSource source)
{
  if (attempted (s, address) || g_hash_table_size (s->attempts) >= RELOAD_PEER_SHELL_MAX_ATTEMPTS)
    return;
  g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (one, g_object_ref (address));
  Link *l = rps_open_link (s, LINK_BOOTSTRAP, one, expected);
  if (l == NULL)
    return;
  BootAttempt *a = g_new0 (BootAttempt, 1);
  a->link = l->id;
  a->address = g_object_ref (address);
  a->source = source;
  g_hash_table_insert (s->attempts, &a->link, a);
}

/* The attempts of a round made at once that are still pending after
 * RELOAD_PEER_SHELL_ATTEMPT_WAIT_MS did not answer: an unreachable host
 * would hold each of them for the connect and handshake timeouts. */
/* The link ids of the attempts, copied: destroying a link removes its
 * attempt. */
static GArray *
attempt_ids (ReloadPeerShell *s)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->attempts);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_array_append_val (ids, ((BootAttempt *) v)->link);
  return ids;
}

static gboolean
attempts_expired (gpointer data)
{
  ReloadPeerShell *s = data;
  rps_clear_source (&s->attempt_timer);
  g_autoptr (GArray) ids = attempt_ids (s);
  g_debug ("%u bootstrap attempts without answer after %u ms: given up", ids->len,
           RELOAD_PEER_SHELL_ATTEMPT_WAIT_MS);
  for (guint i = 0; i < ids->len; i++)
    {
      guint64 id = g_array_index (ids, guint64, i);
      Link *l = g_hash_table_lookup (s->links, &id);
      if (l != NULL)
        rps_link_destroy (s, l, FALSE); /* rps_bootstrap_attempt_gone */
      else
        g_hash_table_remove (s->attempts, &id);
    }
  if (g_hash_table_size (s->attempts) == 0 && !s->node_started && !s->leaving)
    rps_schedule_bootstrap (s, 0);
  return G_SOURCE_REMOVE;
}

static void
arm_attempts (ReloadPeerShell *s)
{
  rps_clear_source (&s->attempt_timer);
  s->attempt_timer = rps_timeout_source (s, RELOAD_PEER_SHELL_ATTEMPT_WAIT_MS, attempts_expired, s);
}

void
rps_bootstrap_attempt_gone (ReloadPeerShell *s, guint64 id)
{
  BootAttempt *a = s->attempts != NULL ? g_hash_table_lookup (s->attempts, &id) : NULL;
  if (a == NULL)
    return;
  /* a cached peer that did not answer (counted once the join succeeds:
   * offline, every peer fails) */
  if (!s->node_started && !s->leaving && a->source == BOOT_CACHED
      && !address_in (s->cache_failed, a->address)
      && s->cache_failed->len < RELOAD_PEER_SHELL_MAX_LINKS)
    g_ptr_array_add (s->cache_failed, g_object_ref (a->address));
  g_hash_table_remove (s->attempts, &id);
  if (g_hash_table_size (s->attempts) > 0)
    return;
  rps_clear_source (&s->attempt_timer);
  if (!s->node_started && !s->leaving)
    rps_schedule_bootstrap (s, 0);
}

static const char *
source_name (BootSource source)
{
  switch (source)
    {
    case BOOT_CACHED:
      return "cached peer (bootstrap cache, §11.4)";
    case BOOT_MULTICAST:
      return "peer found by multicast (Chorus extension)";
    case BOOT_CONFIGURED:
    default:
      return "bootstrap node";
    }
}

void
rps_bootstrap_link_up (ReloadPeerShell *s, Link *l, gint64 now)
{
  BootAttempt *a = g_hash_table_lookup (s->attempts, &l->id);
  BootSource source = a != NULL ? a->source : BOOT_CONFIGURED;
  s->node_started = TRUE;
  g_hash_table_remove (s->attempts, &l->id);
  /* the other attempts of the round are not needed (and are no failures) */
  g_autoptr (GArray) ids = attempt_ids (s);
  for (guint i = 0; i < ids->len; i++)
    {
      guint64 id = g_array_index (ids, guint64, i);
      Link *other = g_hash_table_lookup (s->links, &id);
      if (other != NULL)
        rps_link_destroy (s, other, FALSE);
    }
  g_hash_table_remove_all (s->attempts);
  rps_clear_source (&s->attempt_timer);
  s->bootstrap_link = l->id;
  s->bootstrap_backoff_ms = RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MS;
  char hex[33];
  g_message ("joining through %s %s (%.8s…)", source_name (source), l->address,
             chord_id_to_hex (chord_id_from_node_id (&l->peer), hex));
  reload_node_start (s->node, l->id, &l->peer, now);
}

/* The end of the multicast query's wait: the peers that announced
 * themselves since, tried at once. */
static gboolean
multicast_answers (gpointer data)
{
  ReloadPeerShell *s = data;
  rps_clear_source (&s->bootstrap_timer);
  if (s->node_started || s->leaving)
    return G_SOURCE_REMOVE;
  g_autoptr (GArray) found = rps_multicast_peers (s, s->multicast_query_ms);
  for (guint i = 0; i < found->len; i++)
    {
      RpsHeardPeer *p = &g_array_index (found, RpsHeardPeer, i);
      if (!same_address (p->address, s->listen_address) && !address_in (s->bootstrap, p->address))
        attempt (s, p->address, &p->node_id, BOOT_MULTICAST);
    }
  if (g_hash_table_size (s->attempts) == 0)
    {
      g_message ("no peer of the overlay answered on multicast group %s",
                 rps_multicast_groups_text (s));
      rps_schedule_bootstrap (s, 0);
      return G_SOURCE_REMOVE;
    }
  g_message ("trying the %u peers that answered on multicast group %s (Chorus extension) at once",
             g_hash_table_size (s->attempts), rps_multicast_groups_text (s));
  arm_attempts (s);
  return G_SOURCE_REMOVE;
}

/* The next step of a bootstrap round (§11.4): the configured bootstrap
 * nodes in turn, then, when none of them answered, the cached peers all
 * at once ("as an optimization it MAY attempt to use one or more of them
 * as bootstrap nodes"; Chorus asks the configuration first, so that the
 * overlay's own bootstrap nodes stay the rule and the cache the fallback),
 * then a query on the multicast groups and the peers that answer it.
 * Called again whenever the attempts of a step have all failed. */
gboolean
rps_bootstrap_step (gpointer data)
{
  ReloadPeerShell *s = data;
  rps_clear_source (&s->bootstrap_timer);
  if (s->node_started || s->leaving || g_hash_table_size (s->attempts) > 0)
    return G_SOURCE_REMOVE;
  guint n_conf = s->bootstrap->len;
  if (s->boot_phase == BOOT_PHASE_CONFIGURED && s->bootstrap_index < n_conf)
    {
      attempt (s, s->bootstrap->pdata[s->bootstrap_index++], NULL, BOOT_CONFIGURED);
      if (g_hash_table_size (s->attempts) == 0)
        rps_schedule_bootstrap (s, 0);
      return G_SOURCE_REMOVE;
    }
  if (s->boot_phase == BOOT_PHASE_CONFIGURED)
    {
      s->boot_phase = BOOT_PHASE_CACHED;
      cache_load (s);
      for (guint i = 0; i < s->cached->len; i++)
        attempt (s, s->cached->pdata[i], NULL, BOOT_CACHED);
      if (g_hash_table_size (s->attempts) > 0)
        {
          g_message ("%s: trying the %u peers of the bootstrap cache (§11.4) at once",
                     n_conf > 0 ? "no configured bootstrap node answered"
                                : "no bootstrap node configured",
                     g_hash_table_size (s->attempts));
          arm_attempts (s);
          return G_SOURCE_REMOVE;
        }
    }
  if (s->boot_phase == BOOT_PHASE_CACHED)
    {
      s->boot_phase = BOOT_PHASE_MULTICAST;
      if (s->multicast != NULL)
        {
          /* Chorus extension: ask the local link */
          s->multicast_query_ms = reload_peer_shell_now ();
          rps_multicast_query (s);
          s->bootstrap_timer =
              rps_timeout_source (s, RELOAD_PEER_SHELL_MULTICAST_WAIT_MS, multicast_answers, s);
          return G_SOURCE_REMOVE;
        }
    }
  if (n_conf == 0 || s->is_bootstrap_node)
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
  /* a round without answer: wait, longer each time */
  s->boot_phase = BOOT_PHASE_CONFIGURED;
  s->bootstrap_index = 0;
  guint wait = s->bootstrap_backoff_ms;
  s->bootstrap_backoff_ms =
      MIN (s->bootstrap_backoff_ms * 2, (guint) RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MAX_MS);
  g_message ("no bootstrap node reachable; trying again in %u ms", wait);
  rps_schedule_bootstrap (s, wait);
  return G_SOURCE_REMOVE;
}

void
rps_schedule_bootstrap (ReloadPeerShell *s, guint delay_ms)
{
  rps_clear_source (&s->bootstrap_timer);
  s->bootstrap_timer = rps_timeout_source (s, delay_ms, rps_bootstrap_step, s);
}

/* ---------------------------------------------------------------- partitions */

guint
rps_partition_interval_ms (void)
{
  /* CHORUS_PARTITION_CHECK_S: for tests, which cannot wait minutes */
  const char *env = g_getenv ("CHORUS_PARTITION_CHECK_S");
  guint64 v;
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 3600, &v, NULL))
    return (guint) v * 1000;
  return RELOAD_PEER_SHELL_PARTITION_CHECK_S * 1000;
}

static void
shuffle (GPtrArray *a, guint from)
{
  for (guint i = a->len; i > from + 1; i--)
    {
      guint j = from + (guint) g_random_int_range (0, (gint) (i - from));
      gpointer t = a->pdata[i - 1];
      a->pdata[i - 1] = a->pdata[j];
      a->pdata[j] = t;
    }
}

/* §10.7.4.4: "periodically ... P SHOULD then send a Ping for its own
 * Node-ID routed through B", B a bootstrap node.  Through the configured
 * bootstrap nodes in random order, and when none of them answers (or
 * there is none) through the peers of the bootstrap cache and the peers
 * heard on the multicast groups that this peer has no link to: a peer it
 * is linked to is in its own partition.  One link tries them in turn. */
gboolean
rps_partition_check (gpointer data)
{
  ReloadPeerShell *s = data;
  if (s->leaving || !s->joined)
    return G_SOURCE_CONTINUE;
  /* the check before is still looking for a peer that answers */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (((Link *) v)->kind == LINK_PARTITION && !((Link *) v)->up)
      return G_SOURCE_CONTINUE;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < s->bootstrap->len; i++)
    g_ptr_array_add (targets, g_object_ref (s->bootstrap->pdata[i]));
  shuffle (targets, 0);
  guint n_conf = targets->len;
  cache_load (s);
  g_autoptr (GPtrArray) others = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < s->cached->len; i++)
    g_ptr_array_add (others, g_object_ref (s->cached->pdata[i]));
  if (s->multicast != NULL)
    {
      g_autoptr (GArray) heard = rps_multicast_peers (s, 0);
      for (guint i = 0; i < heard->len; i++)
        g_ptr_array_add (others, g_object_ref (g_array_index (heard, RpsHeardPeer, i).address));
    }
  for (guint i = 0; i < others->len; i++)
    {
      GInetSocketAddress *a = others->pdata[i];
      if (!same_address (a, s->listen_address) && !address_in (targets, a)
          && !rps_cache_address_linked (s, a))
        g_ptr_array_add (targets, g_object_ref (a));
    }
  shuffle (targets, n_conf);
  if (targets->len > RELOAD_PEER_SHELL_MAX_ATTEMPTS)
    g_ptr_array_set_size (targets, RELOAD_PEER_SHELL_MAX_ATTEMPTS);
  if (targets->len == 0)
    return G_SOURCE_CONTINUE;
  if (targets->len > n_conf)
    g_debug ("partition check (§10.7.4.4) through %u bootstrap nodes, then %u other peers", n_conf,
             targets->len - n_conf);
  rps_open_link (s, LINK_PARTITION, targets, NULL);
  return G_SOURCE_CONTINUE;
}

/* The node has joined (§10.5 step 9) or formed the overlay: partition
 * checks, the bootstrap cache, announcements on the multicast groups. */
void
rps_joined (ReloadPeerShell *s)
{
  if (s->partition_timer == NULL)
    s->partition_timer =
        rps_timeout_source (s, rps_partition_interval_ms (), rps_partition_check, s);
  rps_cache_joined (s);
  rps_multicast_joined (s);
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
  g_ptr_array_set_size (s->cache_failed, 0);
  g_hash_table_remove_all (s->attempts);
  rps_clear_source (&s->attempt_timer);
  s->boot_phase = BOOT_PHASE_CONFIGURED;
  s->bootstrap_index = 0;
  s->bootstrap_link = 0;
  s->attempt_started_ms = reload_peer_shell_now ();
  s->isolated_since_ms = -1;
  rps_schedule_bootstrap (s, 0);
}

gboolean
rps_watchdog (gpointer data)
{
  ReloadPeerShell *s = data;
  gint64 now = reload_peer_shell_now ();
  rps_cache_tick (s, now);
  /* nowhere to join through: nothing to watch */
  if (s->leaving || (s->bootstrap->len == 0 && s->cached->len == 0 && s->multicast == NULL))
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
