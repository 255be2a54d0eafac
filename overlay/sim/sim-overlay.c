/* sim-overlay.c: the shell of ReloadNode on the simulated network.
 *
 * Addresses: host h has the ICE candidate 10.h.h.h:6084 (h in the low 24
 * bits), so a node's Attach carries where it can be reached, and
 * ReloadNodeShell.connect opens a simulated link to that host.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-overlay.h"

#include <string.h>

typedef struct
{
  SimOverlay *o;
  guint host;
  guint generation;
  ReloadNode *node;
  ReloadNodeId id;
  char *user;
  ReloadIceCandidate cand;
  SimTimerId timer;
  gint64 timer_at;
  SimLinkId bootstrap_link;
  SimLinkId partition_link; /* to the bootstrap node of a partition check */
  /* peer host -> link_entry (link, the peer's generation), opening or up:
   * a link to the node a host ran before a crash is not a link to the one
   * it runs now */
  GHashTable *peer_links;
  gint64 join_started_ms;
  gboolean joined;
  gboolean alive;
  gboolean client; /* §3.2.1: attached to one peer, not in the ring */
  gpointer security_data;
  GHashTable *gathering; /* token -> Gather: Attaches the node holds (gather_ms) */
} Peer;

typedef struct
{
  Peer *p;
  guint64 token;
  SimTimerId timer;
} Gather;

struct SimOverlay
{
  ReloadNodeCounters retired; /* the counters of nodes that are gone */
  SimWorld *world;
  GRand *rand;
  SimOverlayConfig cfg;
  GPtrArray *peers; /* of Peer*, by host */
  guint64 next_token;
};

static gpointer
link_entry (SimLinkId link, guint generation)
{
  return GSIZE_TO_POINTER ((gsize) generation << 32 | link);
}

static SimLinkId
entry_link (gpointer entry)
{
  return (SimLinkId) (GPOINTER_TO_SIZE (entry) & G_MAXUINT32);
}

static guint
entry_generation (gpointer entry)
{
  return (guint) (GPOINTER_TO_SIZE (entry) >> 32);
}

static gint64
now_ms (SimOverlay *o)
{
  return sim_world_now (o->world) / 1000;
}

static Peer *
peer (SimOverlay *o, guint host)
{
  g_return_val_if_fail (host < o->peers->len, NULL);
  return g_ptr_array_index (o->peers, host);
}

/* ---------------------------------------------------------------- timers */

static void reschedule (Peer *p);

static void
timer_fired (SimWorld *world, gpointer data)
{
  Peer *p = data;
  p->timer = SIM_TIMER_NONE;
  p->timer_at = G_MAXINT64;
  if (p->node == NULL)
    return;
  reload_node_expire (p->node, now_ms (p->o));
  reschedule (p);
}

static void
reschedule (Peer *p)
{
  if (p->node == NULL || !p->alive)
    return;
  gint64 at = reload_node_next_expiry (p->node);
  if (at == p->timer_at)
    return;
  if (p->timer != SIM_TIMER_NONE)
    sim_world_cancel (p->o->world, p->timer);
  p->timer = SIM_TIMER_NONE;
  p->timer_at = at;
  if (at == G_MAXINT64)
    return;
  gint64 at_us = MAX (at * 1000, sim_world_now (p->o->world));
  p->timer = sim_world_host_schedule (p->o->world, p->host, at_us, timer_fired, p);
}

void
sim_overlay_poke (SimOverlay *o, guint host)
{
  reschedule (peer (o, host));
}

/* ---------------------------------------------------------------- shell */

static void
shell_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  Peer *p = shell;
  GBytes *b = g_bytes_new (data, len);
  sim_world_send (p->o->world, link, p->host, b);
  g_bytes_unref (b);
}

static guint
host_of_candidate (const ReloadIceCandidate *c)
{
  return (guint) c->addr_port.addr[1] << 16 | (guint) c->addr_port.addr[2] << 8
         | c->addr_port.addr[3];
}

static void
shell_connect (gpointer shell, const ReloadNodeId *peer_id, const ReloadAttachReqAns *remote,
               guint64 token)
{
  Peer *p = shell;
  const ReloadIceCandidate *cands = remote->candidates;
  guint n = remote->n_candidates;
  if (n == 0 || cands[0].addr_port.type != RELOAD_ADDRESS_IPV4 || cands[0].addr_port.addr[0] != 10)
    return;
  guint to = host_of_candidate (&cands[0]);
  if (to >= p->o->peers->len || to == p->host)
    return;
  Peer *q = peer (p->o, to);
  if (!q->alive
      || chord_id_equal (chord_id_from_node_id (&q->id), chord_id_from_node_id (peer_id)) == FALSE)
    return; /* the candidates belong to a node that is gone */
  gpointer e = g_hash_table_lookup (p->peer_links, GUINT_TO_POINTER (to));
  if (e != NULL && entry_generation (e) == q->generation)
    return;
  /* ICE between two agents gives one link, whichever side asked first
   * (§6.5.1.2 glare) */
  e = g_hash_table_lookup (q->peer_links, GUINT_TO_POINTER (p->host));
  if (e != NULL && entry_generation (e) == p->generation)
    return;
  SimLinkId l = sim_world_link_open (p->o->world, p->host, to);
  if (l != SIM_LINK_NONE)
    g_hash_table_insert (p->peer_links, GUINT_TO_POINTER (to), link_entry (l, q->generation));
}

static void
shell_close (gpointer shell, guint64 link)
{
  Peer *p = shell;
  sim_world_link_close (p->o->world, link, p->host);
}

static void
shell_joined (gpointer shell)
{
  Peer *p = shell;
  if (p->joined)
    return;
  p->joined = TRUE;
  if (p->o->cfg.joined)
    p->o->cfg.joined (p->o->cfg.user_data, p->host,
                      p->join_started_ms >= 0 ? now_ms (p->o) - p->join_started_ms : 0);
}

static void
shell_delivered (gpointer shell, guint16 code, guint64 tid, guint hops)
{
  Peer *p = shell;
  if (p->o->cfg.delivered)
    p->o->cfg.delivered (p->o->cfg.user_data, p->host, code, tid, hops);
}

static void
gather_free (gpointer data)
{
  Gather *g = data;
  if (g->timer != SIM_TIMER_NONE)
    sim_world_cancel (g->p->o->world, g->timer);
  g_free (g);
}

static void
gathered (SimWorld *world, gpointer data)
{
  Gather *g = data;
  Peer *p = g->p;
  guint64 token = g->token;
  g->timer = SIM_TIMER_NONE;
  g_hash_table_remove (p->gathering, &token);
  if (p->node == NULL)
    return;
  ReloadAttachReqAns ice = { 0 };
  ice.ufrag = (RwBytes){ (const guint8 *) "chrs", 4 };
  ice.password = (RwBytes){ (const guint8 *) "chorus-sim-password-0", 21 };
  ice.role = (RwBytes){ (const guint8 *) "active", 6 };
  ice.candidates = &p->cand;
  ice.n_candidates = 1;
  reload_node_attach_ready (p->node, token, &ice, now_ms (p->o));
  reschedule (p);
}

/* With gather_ms, every Attach waits for its candidates (the node holds
 * it); without, the node sends its configured candidate at once. */
static gboolean
shell_prepare_attach (gpointer shell, gboolean request, RwArena *arena, ReloadAttachReqAns *out,
                      guint64 *token)
{
  Peer *p = shell;
  if (p->o->cfg.gather_ms == 0)
    return FALSE;
  Gather *g = g_new0 (Gather, 1);
  g->p = p;
  g->token = ++p->o->next_token;
  g->timer = sim_world_host_schedule (
      p->o->world, p->host, sim_world_now (p->o->world) + (gint64) p->o->cfg.gather_ms * 1000,
      gathered, g);
  g_hash_table_insert (p->gathering, &g->token, g);
  out->n_candidates = 0;
  *token = g->token;
  return TRUE;
}

static void
shell_release_attach (gpointer shell, guint64 token)
{
  Peer *p = shell;
  g_hash_table_remove (p->gathering, &token);
}

static const ReloadNodeShell sim_shell = {
  .prepare_attach = shell_prepare_attach,
  .release_attach = shell_release_attach,
  .send = shell_send,
  .connect = shell_connect,
  .close = shell_close,
  .joined = shell_joined,
  .delivered = shell_delivered,
};

/* ---------------------------------------------------------------- hosts */

static void
host_receive (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us)
{
  Peer *p = host_data;
  if (p->node == NULL)
    return;
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  reload_node_receive (p->node, link, d, len, now_us / 1000);
  reschedule (p);
}

static void
host_link_event (gpointer host_data, SimLinkId link, SimLinkEvent event, guint peer_host,
                 gint64 now_us)
{
  Peer *p = host_data;
  if (p->node == NULL)
    return;
  if (event == SIM_LINK_UP)
    {
      Peer *q = peer (p->o, peer_host);
      g_hash_table_insert (p->peer_links, GUINT_TO_POINTER (peer_host),
                           link_entry (link, q->generation));
      if (link == p->bootstrap_link)
        {
          p->join_started_ms = now_us / 1000;
          reload_node_start (p->node, link, &q->id, now_us / 1000);
        }
      else if (link == p->partition_link)
        {
          p->partition_link = SIM_LINK_NONE;
          reload_node_check_partition (p->node, link, &q->id, now_us / 1000);
        }
      else
        reload_node_link_up (p->node, link, &q->id, now_us / 1000);
    }
  else
    {
      gpointer e = g_hash_table_lookup (p->peer_links, GUINT_TO_POINTER (peer_host));
      if (e != NULL && entry_link (e) == link)
        g_hash_table_remove (p->peer_links, GUINT_TO_POINTER (peer_host));
      reload_node_link_down (p->node, link, now_us / 1000);
    }
  reschedule (p);
}

static void
create_node (SimOverlay *o, Peer *p, ChordId id)
{
  p->generation++;
  p->id = chord_id_to_node_id (id);
  g_free (p->user);
  p->user = g_strdup_printf ("peer%u.%u@sim.chorus", p->host, p->generation);
  memset (&p->cand, 0, sizeof p->cand);
  p->cand.addr_port.type = RELOAD_ADDRESS_IPV4;
  p->cand.addr_port.addr[0] = 10;
  p->cand.addr_port.addr[1] = (guint8) (p->host >> 16);
  p->cand.addr_port.addr[2] = (guint8) (p->host >> 8);
  p->cand.addr_port.addr[3] = (guint8) p->host;
  p->cand.addr_port.port = 6084;
  p->cand.overlay_link = 1; /* DTLS-UDP-SR */
  p->cand.foundation = (RwBytes){ (const guint8 *) "1", 1 };
  p->cand.priority = 2130706431;
  p->cand.type = 1; /* host */

  ReloadNodeConfig cfg = { 0 };
  cfg.node_id = p->id;
  cfg.user_name = p->user;
  cfg.overlay_name = "sim.chorus";
  cfg.chord_update_interval_s =
      o->cfg.chord_update_interval_s ? o->cfg.chord_update_interval_s : 60;
  cfg.chord_ping_interval_s = o->cfg.chord_ping_interval_s ? o->cfg.chord_ping_interval_s : 300;
  cfg.chord_reactive = o->cfg.chord_reactive;
  cfg.self_tuning = o->cfg.self_tuning;
  cfg.candidates = &p->cand;
  cfg.n_candidates = 1;
  cfg.client_mode = p->client;
  cfg.initial_ttl = o->cfg.initial_ttl;
  if (o->cfg.security != NULL)
    {
      cfg.security =
          o->cfg.security (o->cfg.user_data, p->host, &p->id, p->user, &p->security_data);
      cfg.security_data = p->security_data;
    }
  GRand *hr = sim_world_host_rand (o->world, p->host);
  cfg.seed = (guint64) g_rand_int (hr) << 32 | g_rand_int (hr);
  p->node = reload_node_new (&cfg, &sim_shell, p);
  p->joined = FALSE;
  p->alive = TRUE;
  p->timer = SIM_TIMER_NONE;
  p->timer_at = G_MAXINT64;
  p->bootstrap_link = SIM_LINK_NONE;
  p->join_started_ms = -1;
  g_hash_table_remove_all (p->peer_links);
}

static void
release_security (SimOverlay *o, Peer *p)
{
  if (p->security_data != NULL && o->cfg.security_free != NULL)
    o->cfg.security_free (o->cfg.user_data, p->security_data);
  p->security_data = NULL;
}

static ChordId
random_id (SimOverlay *o)
{
  guint64 r1 = (guint64) g_rand_int (o->rand) << 32 | g_rand_int (o->rand);
  guint64 r2 = (guint64) g_rand_int (o->rand) << 32 | g_rand_int (o->rand);
  return (ChordId){ r1, r2 };
}

guint
sim_overlay_add_peer_with_id (SimOverlay *o, ChordId id)
{
  guint host = sim_world_add_host (o->world);
  g_assert (host == o->peers->len);
  Peer *p = g_new0 (Peer, 1);
  p->o = o;
  p->host = host;
  p->peer_links = g_hash_table_new (NULL, NULL);
  p->gathering = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, gather_free);
  g_ptr_array_add (o->peers, p);
  create_node (o, p, id);
  sim_world_set_host_handler (o->world, host, host_receive, host_link_event, p);
  return host;
}

guint
sim_overlay_add_peer (SimOverlay *o)
{
  return sim_overlay_add_peer_with_id (o, random_id (o));
}

guint
sim_overlay_add_client (SimOverlay *o)
{
  guint host = sim_world_add_host (o->world);
  g_assert (host == o->peers->len);
  Peer *p = g_new0 (Peer, 1);
  p->o = o;
  p->host = host;
  p->client = TRUE;
  p->peer_links = g_hash_table_new (NULL, NULL);
  p->gathering = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, gather_free);
  g_ptr_array_add (o->peers, p);
  create_node (o, p, random_id (o));
  sim_world_set_host_handler (o->world, host, host_receive, host_link_event, p);
  return host;
}

gboolean
sim_overlay_is_client (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  return p->alive && p->joined && p->client;
}

SimOverlay *
sim_overlay_new (SimWorld *world, guint64 seed, const SimOverlayConfig *config)
{
  SimOverlay *o = g_new0 (SimOverlay, 1);
  o->world = world;
  o->rand =
      g_rand_new_with_seed_array ((const guint32[]){ (guint32) seed, (guint32) (seed >> 32) }, 2);
  if (config != NULL)
    o->cfg = *config;
  o->peers = g_ptr_array_new ();
  return o;
}

void
sim_overlay_free (SimOverlay *o)
{
  for (guint h = 0; h < o->peers->len; h++)
    {
      Peer *p = g_ptr_array_index (o->peers, h);
      reload_node_free (p->node);
      release_security (o, p);
      g_hash_table_destroy (p->gathering);
      g_hash_table_destroy (p->peer_links);
      g_free (p->user);
      g_free (p);
    }
  g_ptr_array_free (o->peers, TRUE);
  g_rand_free (o->rand);
  g_free (o);
}

gint
sim_overlay_random_joined (SimOverlay *o, guint except)
{
  guint n = o->peers->len;
  if (n == 0)
    return -1;
  for (guint tries = 0; tries < 64; tries++)
    {
      guint h = (guint) g_rand_int_range (o->rand, 0, (gint32) n);
      Peer *p = peer (o, h);
      if (h != except && p->alive && p->joined && !p->client)
        return (gint) h;
    }
  for (guint h = 0; h < n; h++)
    {
      Peer *p = peer (o, h);
      if (h != except && p->alive && p->joined && !p->client)
        return (gint) h;
    }
  return -1;
}

void
sim_overlay_join_via (SimOverlay *o, guint host, guint bootstrap)
{
  Peer *p = peer (o, host);
  p->bootstrap_link = sim_world_link_open (o->world, host, bootstrap);
  g_hash_table_insert (p->peer_links, GUINT_TO_POINTER (bootstrap),
                       link_entry (p->bootstrap_link, peer (o, bootstrap)->generation));
}

void
sim_overlay_join (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  gint b = sim_overlay_random_joined (o, host);
  if (b < 0)
    {
      /* the first peer forms the ring alone */
      p->join_started_ms = now_ms (o);
      reload_node_start (p->node, 0, NULL, now_ms (o));
      reschedule (p);
      return;
    }
  sim_overlay_join_via (o, host, (guint) b);
}

void
sim_overlay_crash (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  if (!p->alive)
    return;
  sim_world_host_fail (o->world, host);
  p->alive = FALSE;
  p->joined = FALSE;
  const ReloadNodeCounters *c = reload_node_counters (p->node);
  o->retired.messages_sent += c->messages_sent;
  o->retired.bytes_sent += c->bytes_sent;
  o->retired.maintenance_messages_sent += c->maintenance_messages_sent;
  o->retired.maintenance_bytes_sent += c->maintenance_bytes_sent;
  o->retired.forwarded += c->forwarded;
  o->retired.dropped += c->dropped;
  reload_node_free (p->node);
  p->node = NULL;
  g_hash_table_remove_all (p->gathering);
  release_security (o, p);
  p->timer = SIM_TIMER_NONE;
  p->timer_at = G_MAXINT64;
  g_hash_table_remove_all (p->peer_links);
}

static void
close_all_links (SimWorld *world, gpointer data)
{
  Peer *p = data;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, p->peer_links);
  while (g_hash_table_iter_next (&it, &k, &v))
    sim_world_link_close (world, entry_link (v), p->host);
  sim_overlay_crash (p->o, p->host);
}

void
sim_overlay_leave (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  if (!p->alive || p->node == NULL)
    return;
  reload_node_leave (p->node, now_ms (o));
  reschedule (p);
  p->joined = FALSE;
  sim_world_host_schedule (o->world, host, sim_world_now (o->world) + SIM_US_PER_S, close_all_links,
                           p);
}

static void
join_later (SimWorld *world, gpointer data)
{
  Peer *p = data;
  sim_overlay_join (p->o, p->host);
}

void
sim_overlay_replace (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  sim_overlay_crash (o, host);
  sim_world_host_revive (o->world, host);
  sim_world_set_host_handler (o->world, host, host_receive, host_link_event, p);
  create_node (o, p, random_id (o));
  sim_world_host_schedule (o->world, host, sim_world_now (o->world) + SIM_US_PER_S, join_later, p);
}

/* ---------------------------------------------------------------- state */

guint
sim_overlay_n_peers (SimOverlay *o)
{
  return o->peers->len;
}

ReloadNode *
sim_overlay_node (SimOverlay *o, guint host)
{
  return peer (o, host)->node;
}

gboolean
sim_overlay_is_joined (SimOverlay *o, guint host)
{
  Peer *p = peer (o, host);
  return p->alive && p->joined && !p->client;
}

gboolean
sim_overlay_is_alive (SimOverlay *o, guint host)
{
  return peer (o, host)->alive;
}

const char *
sim_overlay_user (SimOverlay *o, guint host)
{
  return peer (o, host)->user;
}

guint
sim_overlay_generation (SimOverlay *o, guint host)
{
  return peer (o, host)->generation;
}

ChordId
sim_overlay_id (SimOverlay *o, guint host)
{
  return chord_id_from_node_id (&peer (o, host)->id);
}

guint
sim_overlay_n_joined (SimOverlay *o)
{
  guint n = 0;
  for (guint h = 0; h < o->peers->len; h++)
    n += sim_overlay_is_joined (o, h);
  return n;
}

gboolean
sim_overlay_responsible (SimOverlay *o, ChordId k, ChordId *out)
{
  gboolean have = FALSE;
  ChordId best = { 0, 0 };
  for (guint h = 0; h < o->peers->len; h++)
    {
      if (!sim_overlay_is_joined (o, h))
        continue;
      ChordId id = sim_overlay_id (o, h);
      if (!have || chord_id_cmp (chord_id_distance (k, id), chord_id_distance (k, best)) < 0)
        {
          best = id;
          have = TRUE;
        }
    }
  *out = best;
  return have;
}

static int
cmp_chord (gconstpointer a, gconstpointer b)
{
  return chord_id_cmp (*(const ChordId *) a, *(const ChordId *) b);
}

guint
sim_overlay_ring_inconsistencies (SimOverlay *o)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (ChordId));
  for (guint h = 0; h < o->peers->len; h++)
    if (sim_overlay_is_joined (o, h))
      {
        ChordId id = sim_overlay_id (o, h);
        g_array_append_val (ids, id);
      }
  g_array_sort (ids, cmp_chord);
  guint n = ids->len, bad = 0;
  if (n <= 1)
    return 0;
  for (guint h = 0; h < o->peers->len; h++)
    {
      if (!sim_overlay_is_joined (o, h))
        continue;
      ChordId id = sim_overlay_id (o, h);
      ChordId *found = bsearch (&id, ids->data, n, sizeof (ChordId), cmp_chord);
      guint i = (guint) (found - (ChordId *) ids->data);
      ChordId succ = g_array_index (ids, ChordId, (i + 1) % n);
      ChordId pred = g_array_index (ids, ChordId, (i + n - 1) % n);
      const ChordTable *t = reload_node_table (peer (o, h)->node);
      if (t->n_succ == 0 || t->n_pred == 0 || !chord_id_equal (t->succ[0], succ)
          || !chord_id_equal (t->pred[0], pred))
        {
          bad++;
          if (g_getenv ("CHORUS_SIM_DEBUG"))
            {
              char a[33], b[33], c[33], d[33], e[33];
              g_printerr ("inconsistent %.8s: succ %.8s (true %.8s, %u known), pred %.8s (true "
                          "%.8s, %u known)\n",
                          chord_id_to_hex (id, a),
                          t->n_succ ? chord_id_to_hex (t->succ[0], b) : "-",
                          chord_id_to_hex (succ, c), t->n_succ,
                          t->n_pred ? chord_id_to_hex (t->pred[0], d) : "-",
                          chord_id_to_hex (pred, e), t->n_pred);
            }
        }
    }
  return bad;
}

void
sim_overlay_counters (SimOverlay *o, ReloadNodeCounters *out)
{
  *out = o->retired;
  for (guint h = 0; h < o->peers->len; h++)
    {
      Peer *p = peer (o, h);
      if (p->node == NULL)
        continue;
      const ReloadNodeCounters *c = reload_node_counters (p->node);
      out->messages_sent += c->messages_sent;
      out->bytes_sent += c->bytes_sent;
      out->maintenance_messages_sent += c->maintenance_messages_sent;
      out->maintenance_bytes_sent += c->maintenance_bytes_sent;
      out->forwarded += c->forwarded;
      out->dropped += c->dropped;
    }
}

void
sim_overlay_check_partition (SimOverlay *o, guint host, guint bootstrap)
{
  Peer *p = peer (o, host);
  Peer *b = peer (o, bootstrap);
  if (p->node == NULL || !b->alive)
    return;
  gpointer e = g_hash_table_lookup (p->peer_links, GUINT_TO_POINTER (bootstrap));
  if (e != NULL && entry_generation (e) == b->generation
      && sim_world_link_is_up (o->world, entry_link (e), host))
    {
      reload_node_check_partition (p->node, entry_link (e), &b->id, now_ms (o));
      reschedule (p);
      return;
    }
  p->partition_link = sim_world_link_open (o->world, host, bootstrap);
  g_hash_table_insert (p->peer_links, GUINT_TO_POINTER (bootstrap),
                       link_entry (p->partition_link, b->generation));
}
