/* reload-peer-shell-join.c: how the peer's shell gets and keeps its node
 * in the overlay: the bootstrap links of §11.4 in turn, the first node's
 * own ring when no other bootstrap node answers (§10.5), the partition
 * check of §10.7.4.4, and the watchdogs that start the join again with a
 * fresh node.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

/* ---------------------------------------------------------------- bootstrap */

gboolean
rps_bootstrap_step (gpointer data)
{
  ReloadPeerShell *s = data;
  rps_clear_source (&s->bootstrap_timer);
  if (s->node_started || s->leaving)
    return G_SOURCE_REMOVE;
  if (s->bootstrap->len == 0 || (s->is_bootstrap_node && s->bootstrap_index >= s->bootstrap->len))
    {
      /* no bootstrap node but ourselves answered: the first node forms
       * the overlay (§10.5: "If the joining node is the first node in the
       * overlay") */
      s->node_started = TRUE;
      g_message ("no other bootstrap node reachable: forming the overlay %s as its first node",
                 s->identity->overlay_name);
      reload_node_start (s->node, 0, NULL, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
      return G_SOURCE_REMOVE;
    }
  if (s->bootstrap_index >= s->bootstrap->len)
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
  g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (one, g_object_ref (s->bootstrap->pdata[s->bootstrap_index++]));
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
  if (s->leaving || s->bootstrap->len == 0)
    return G_SOURCE_CONTINUE;
  gint64 now = reload_peer_shell_now ();
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
  else if (now - s->isolated_since_ms > ISOLATION_WATCHDOG_MS && !s->is_bootstrap_node)
    rps_restart (s, "no link to any peer");
  return G_SOURCE_CONTINUE;
}
