/* chorus-sim: thousands of RELOAD nodes, exactly the code of overlay/node,
 * in virtual time on one core.
 *
 *   chorus-sim --peers N --seed S [--lookups L] [--stores K]
 *              [--churn-median-session MINUTES] [--fail-fraction F]
 *              [--loss P] [--duration MINUTES] [--self-tuning] --json
 *
 * Every message is really encoded, signed by the test signer, sent over a
 * simulated link with a modelled delay, decoded and verified.  A run is
 * deterministic for a given seed.
 *
 * The run: peers join one after another through a random peer already in
 * the ring; the ring settles; then for --duration virtual minutes the
 * peers store K values and make L lookups (Fetch of random Resource-IDs),
 * with churn when asked; with --fail-fraction, that fraction of the peers
 * crash at once half-way and the rest repair the ring; at the end every
 * stored value is fetched back and the ring is checked against the truth.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node.h"
#include "reload-datastore.h"
#include "sim-stats.h"
#include "sim-overlay.h"
#include "sim-world.h"

#include <stdio.h>
#include <string.h>

#define SIM_KIND RELOAD_KIND_CERTIFICATE_BY_USER /* array, USER-MATCH: H(user name) */
#define JOIN_SPACING_MS 40
#define SETTLE_S 120
/* owners refresh their values, as a SIP registration is refreshed */
#define REFRESH_S 300

typedef struct
{
  char name[48];
  guint owner; /* host */
  guint owner_generation;
  guint32 index; /* its place in the owner's array: a refresh replaces it */
} StoredItem;

typedef struct
{
  SimWorld *world;
  SimOverlay *overlay;
  GRand *rand;
  guint n_peers;
  GArray *items;

  SimPercentiles *hops;
  SimPercentiles *latency_ms;
  SimPercentiles *join_ms;
  GHashTable *delivered_hops; /* tid -> hops + 1 */
  guint64 lookups_sent;
  guint64 lookups_ok;
  guint64 lookups_wrong_peer;
  guint64 lookups_failed;
  guint64 stores_ok;
  guint64 stores_failed;
  guint64 fetch_back_ok;
  guint64 fetch_back_lost;
  guint64 fetch_back_lost_orphan; /* of the lost: the owner was gone */
  guint64 fetch_back_pending;

  GPtrArray *owned; /* contexts of scheduled events, freed at the end */
  gboolean measuring;
  gboolean churn_stopped;
  guint crashed;
  gint64 measure_start_ms;
  guint64 maint_msgs_at_start;
  guint64 maint_bytes_at_start;
  double wall_start;
  gint64 last_progress_wall;
} Sim;

static gint64
now_ms (Sim *s)
{
  return sim_world_now (s->world) / 1000;
}

static void
on_joined (gpointer user_data, guint host, gint64 join_ms)
{
  Sim *s = user_data;
  sim_percentiles_add (s->join_ms, (double) join_ms);
}

static void
on_delivered (gpointer user_data, guint host, guint16 code, guint64 tid, guint hops)
{
  Sim *s = user_data;
  /* a request answered by its own origin (hops 0) is not recorded: its
   * lookup finds no entry and counts 0 */
  if (code == RELOAD_FETCH_REQ && s->measuring && hops > 0)
    g_hash_table_insert (s->delivered_hops, g_memdup2 (&tid, sizeof tid),
                         GUINT_TO_POINTER (hops + 1));
}

/* ---------------------------------------------------------------- workload */

typedef struct
{
  Sim *sim;
  gint64 sent_ms;
  ChordId target;
  guint64 tid;
  gboolean fetch_back;
  guint item;
  /* the answer may come inside reload_node_request (the origin was
   * responsible itself): the caller frees it then */
  gboolean in_call;
  gboolean finished;
} Lookup;

static void
lookup_release (Lookup *l)
{
  if (l->in_call)
    l->finished = TRUE;
  else
    g_free (l);
}

static void
lookup_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  Lookup *l = user_data;
  Sim *s = l->sim;
  if (error != NULL && g_error_matches (error, RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_CANCELLED))
    {
      /* the asking node left before the answer: not a lookup failure */
      if (l->fetch_back)
        s->fetch_back_pending--;
      else
        s->lookups_sent--;
      g_hash_table_remove (s->delivered_hops, &l->tid);
      lookup_release (l);
      return;
    }
  if (l->fetch_back)
    {
      gboolean found = FALSE;
      if (answer != NULL && answer->message_code == RELOAD_FETCH_ANS)
        {
          const ReloadFetchAns *a = answer->body;
          for (guint k = 0; k < a->n_kind_responses; k++)
            found |= a->kind_responses[k].n_values > 0;
        }
      StoredItem *it = &g_array_index (s->items, StoredItem, l->item);
      gboolean owner_alive =
          sim_overlay_is_alive (s->overlay, it->owner)
          && sim_overlay_generation (s->overlay, it->owner) == it->owner_generation;
      if (found)
        s->fetch_back_ok++;
      else if (!owner_alive)
        s->fetch_back_lost_orphan++;
      else
        {
          s->fetch_back_lost++;
          if (g_getenv ("CHORUS_SIM_DEBUG"))
            {
              char hex[33];
              guint8 rid[16];
              chord_id_to_bytes (l->target, rid);
              guint copies = 0, responsible_has = 0;
              ChordId resp;
              sim_overlay_responsible (s->overlay, l->target, &resp);
              for (guint h = 0; h < s->n_peers; h++)
                {
                  ReloadNode *nd = sim_overlay_node (s->overlay, h);
                  if (nd == NULL)
                    continue;
                  g_autoptr (RwArena) arena = rw_arena_new (0);
                  if (reload_storage_export (reload_node_storage (nd), (RwBytes){ rid, 16 }, 1,
                                             now_ms (s), arena)
                      != NULL)
                    {
                      copies++;
                      responsible_has |= chord_id_equal (reload_node_get_id (nd), resp);
                    }
                }
              g_printerr ("lost item %u at %s: %s; %u copies, responsible has it: %u\n", l->item,
                          chord_id_to_hex (l->target, hex), error ? error->message : "no values",
                          copies, responsible_has);
            }
        }
      s->fetch_back_pending--;
      lookup_release (l);
      return;
    }
  if (answer != NULL && answer->message_code == RELOAD_FETCH_ANS)
    {
      ChordId truth;
      const RwBytes *h = &answer->security_block.signature.identity.hash;
      ChordId responder = h->len == 16 ? chord_id_from_bytes (h->data) : (ChordId){ 0, 0 };
      if (sim_overlay_responsible (s->overlay, l->target, &truth)
          && chord_id_equal (truth, responder))
        {
          s->lookups_ok++;
          sim_percentiles_add (s->latency_ms, (double) (now_ms (s) - l->sent_ms));
          gpointer hops = g_hash_table_lookup (s->delivered_hops, &l->tid);
          sim_percentiles_add (s->hops, hops ? (double) (GPOINTER_TO_UINT (hops) - 1) : 0.0);
        }
      else
        s->lookups_wrong_peer++;
    }
  else
    s->lookups_failed++;
  g_hash_table_remove (s->delivered_hops, &l->tid);
  lookup_release (l);
}

static guint64
send_fetch (Sim *s, guint host, RwBytes rid, Lookup *l)
{
  ReloadFetchReq f = { 0 };
  ReloadStoredDataSpecifier spec = { 0 };
  ReloadArrayRange range = { 0, 0xffffffffu };
  spec.kind = SIM_KIND;
  spec.indices = &range;
  spec.n_indices = 1;
  f.resource = rid;
  f.specifiers = &spec;
  f.n_specifiers = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = rid;
  guint64 tid = reload_node_request (sim_overlay_node (s->overlay, host), &d, RELOAD_FETCH_REQ, &f,
                                     lookup_done, l, now_ms (s));
  sim_overlay_poke (s->overlay, host);
  return tid;
}

static void
do_lookup (SimWorld *world, gpointer data)
{
  Sim *s = data;
  gint h = sim_overlay_random_joined (s->overlay, G_MAXUINT);
  if (h < 0)
    return;
  guint8 rid[16];
  for (guint i = 0; i < 16; i++)
    rid[i] = (guint8) g_rand_int (s->rand);
  Lookup *l = g_new0 (Lookup, 1);
  l->sim = s;
  l->sent_ms = now_ms (s);
  l->target = chord_id_from_bytes (rid);
  s->lookups_sent++;
  /* the delivered callback may run inside the call (local answer) */
  l->in_call = TRUE;
  guint64 tid = send_fetch (s, (guint) h, (RwBytes){ rid, 16 }, l);
  if (l->finished)
    g_free (l);
  else
    {
      l->in_call = FALSE;
      l->tid = tid;
    }
}

static void
store_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  Sim *s = user_data;
  if (answer != NULL && answer->message_code == RELOAD_STORE_ANS)
    s->stores_ok++;
  else
    s->stores_failed++;
}

static void
store_item (Sim *s, guint idx)
{
  StoredItem *it = &g_array_index (s->items, StoredItem, idx);
  if (!sim_overlay_is_joined (s->overlay, it->owner)
      || sim_overlay_generation (s->overlay, it->owner) != it->owner_generation)
    return;
  ReloadNode *node = sim_overlay_node (s->overlay, it->owner);
  const char *user = sim_overlay_user (s->overlay, it->owner);
  /* USER-MATCH (§7.3.1): the value lives at H(user name) */
  ChordId rid_id = chord_id_hash (user, strlen (user));
  guint8 rid[16];
  chord_id_to_bytes (rid_id, rid);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoredData *sd = rw_arena_alloc0 (arena, sizeof *sd);
  sd->storage_time = (guint64) now_ms (s) + 1;
  sd->lifetime = 86400;
  sd->value.index = it->index;
  sd->value.value.exists = TRUE;
  sd->value.value.value = (RwBytes){ (const guint8 *) it->name, strlen (it->name) };
  reload_node_sign_stored_data (node, (RwBytes){ rid, 16 }, SIM_KIND, sd, arena);
  ReloadStoreKindData kd = { 0 };
  kd.kind = SIM_KIND;
  kd.values = sd;
  kd.n_values = 1;
  ReloadStoreReq req = { 0 };
  req.resource = (RwBytes){ rid, 16 };
  req.kind_data = &kd;
  req.n_kind_data = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };
  reload_node_request (node, &d, RELOAD_STORE_REQ, &req, store_done, s, now_ms (s));
  sim_overlay_poke (s->overlay, it->owner);
}

typedef struct
{
  Sim *sim;
  guint item;
} RefreshCtx;

static void
refresh_item (SimWorld *world, gpointer data)
{
  RefreshCtx *r = data;
  Sim *s = r->sim;
  StoredItem *it = &g_array_index (s->items, StoredItem, r->item);
  if (!sim_overlay_is_alive (s->overlay, it->owner)
      || sim_overlay_generation (s->overlay, it->owner) != it->owner_generation)
    return; /* the owner is gone: nobody refreshes the value */
  if (s->measuring)
    store_item (s, r->item);
  sim_world_schedule (world, sim_world_now (world) + REFRESH_S * SIM_US_PER_S, refresh_item, r);
}

static void
do_store (SimWorld *world, gpointer data)
{
  Sim *s = data;
  gint h = sim_overlay_random_joined (s->overlay, G_MAXUINT);
  if (h < 0)
    return;
  StoredItem it = { 0 };
  it.owner = (guint) h;
  it.owner_generation = sim_overlay_generation (s->overlay, (guint) h);
  for (guint i = 0; i < s->items->len; i++)
    {
      StoredItem *o = &g_array_index (s->items, StoredItem, i);
      it.index += o->owner == it.owner && o->owner_generation == it.owner_generation;
    }
  g_snprintf (it.name, sizeof it.name, "item-%u", s->items->len);
  g_array_append_val (s->items, it);
  store_item (s, s->items->len - 1);
  RefreshCtx *r = g_new0 (RefreshCtx, 1);
  g_ptr_array_add (s->owned, r);
  r->sim = s;
  r->item = s->items->len - 1;
  sim_world_schedule (world, sim_world_now (world) + REFRESH_S * SIM_US_PER_S, refresh_item, r);
}

/* ---------------------------------------------------------------- churn */

typedef struct
{
  Sim *sim;
  guint host;
  double median_s;
} ChurnCtx;

static void churn_schedule (Sim *s, guint host, double median_s);

static void
churn_event (SimWorld *world, gpointer data)
{
  ChurnCtx *c = data;
  if (c->sim->churn_stopped)
    return;
  sim_overlay_replace (c->sim->overlay, c->host);
  churn_schedule (c->sim, c->host, c->median_s);
}

static void
churn_schedule (Sim *s, guint host, double median_s)
{
  ChurnCtx *c = g_new0 (ChurnCtx, 1);
  g_ptr_array_add (s->owned, c);
  c->sim = s;
  c->host = host;
  c->median_s = median_s;
  double session = sim_sample_session_s (sim_world_host_rand (s->world, host), median_s);
  sim_world_schedule (s->world, sim_world_now (s->world) + (gint64) (session * 1e6), churn_event,
                      c);
}

/* ---------------------------------------------------------------- checks */

static guint64
maint_total (Sim *s, gboolean bytes)
{
  ReloadNodeCounters c;
  sim_overlay_counters (s->overlay, &c);
  return bytes ? c.maintenance_bytes_sent : c.maintenance_messages_sent;
}

/* Runs the world to @t_us, printing progress for long runs. */
static void
run_to (Sim *s, gint64 t_us, const char *phase)
{
  while (sim_world_now (s->world) < t_us)
    {
      gint64 step = MIN (t_us, sim_world_now (s->world) + 10 * SIM_US_PER_S);
      sim_world_run_until (s->world, step);
      gint64 wall = g_get_monotonic_time ();
      if (wall - s->last_progress_wall > 2 * G_USEC_PER_SEC)
        {
          s->last_progress_wall = wall;
          SimWorldStats st;
          sim_world_stats (s->world, &st);
          g_printerr ("chorus-sim: %s: t=%.0f s, %u/%u joined, %" G_GUINT64_FORMAT
                      " messages, %.1f s wall\n",
                      phase, sim_world_now (s->world) / 1e6, sim_overlay_n_joined (s->overlay),
                      s->n_peers, st.total.msgs_sent, sim_wall_seconds () - s->wall_start);
        }
    }
}

typedef struct
{
  Sim *sim;
  guint host;
} JoinCtx;

static void
join_event (SimWorld *world, gpointer data)
{
  JoinCtx *j = data;
  sim_overlay_join (j->sim->overlay, j->host);
}

/* ---------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  gint peers = 100, lookups = 1000, stores = 100;
  gint64 seed = 1;
  double churn_median_min = 0, fail_fraction = 0, loss = 0, duration_min = 10;
  gboolean json = FALSE, self_tuning = FALSE;
  GOptionEntry entries[] = {
    { "peers", 0, 0, G_OPTION_ARG_INT, &peers, "Number of peers", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed", "S" },
    { "lookups", 0, 0, G_OPTION_ARG_INT, &lookups, "Lookups (Fetch of random Resource-IDs)", "L" },
    { "stores", 0, 0, G_OPTION_ARG_INT, &stores, "Values stored", "K" },
    { "churn-median-session", 0, 0, G_OPTION_ARG_DOUBLE, &churn_median_min,
      "Median session time; 0: no churn", "MINUTES" },
    { "fail-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &fail_fraction,
      "Fraction of peers that crash at once half-way", "F" },
    { "loss", 0, 0, G_OPTION_ARG_DOUBLE, &loss, "Datagram loss probability", "P" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration_min, "Measured virtual time", "MINUTES" },
    { "self-tuning", 0, 0, G_OPTION_ARG_NONE, &self_tuning, "RFC 7363 self-tuning in every peer",
      NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- simulate a RELOAD overlay");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("chorus-sim: %s\n", error->message);
      return 2;
    }
  if (peers < 1 || peers > 1 << 24 || fail_fraction < 0 || fail_fraction >= 1 || loss < 0
      || loss >= 1 || duration_min <= 0)
    {
      g_printerr ("chorus-sim: out-of-range option\n");
      return 2;
    }

  Sim s = { 0 };
  s.wall_start = sim_wall_seconds ();
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  wc.loss = 0; /* loss starts with the measurement */
  s.world = sim_world_new ((guint64) seed, &wc);
  s.rand = g_rand_new_with_seed ((guint32) seed ^ 0x5eed);
  s.n_peers = (guint) peers;
  s.owned = g_ptr_array_new_with_free_func (g_free);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = 60;
  oc.chord_ping_interval_s = 300;
  oc.chord_reactive = TRUE;
  oc.self_tuning = self_tuning;
  oc.delivered = on_delivered;
  oc.joined = on_joined;
  oc.user_data = &s;
  s.overlay = sim_overlay_new (s.world, (guint64) seed, &oc);
  s.items = g_array_new (FALSE, FALSE, sizeof (StoredItem));
  s.hops = sim_percentiles_new ();
  s.latency_ms = sim_percentiles_new ();
  s.join_ms = sim_percentiles_new ();
  s.delivered_hops = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  /* joins, one after another */
  for (guint h = 0; h < s.n_peers; h++)
    {
      JoinCtx *j = g_new0 (JoinCtx, 1);
      g_ptr_array_add (s.owned, j);
      j->sim = &s;
      j->host = sim_overlay_add_peer (s.overlay);
      sim_world_schedule (s.world, (gint64) h * JOIN_SPACING_MS * 1000 + 1, join_event, j);
    }
  gint64 joins_end = (gint64) s.n_peers * JOIN_SPACING_MS * 1000;
  run_to (&s, joins_end + SETTLE_S * SIM_US_PER_S, "joining");

  /* the measured phase */
  sim_world_set_loss (s.world, loss);
  gint64 t0 = sim_world_now (s.world);
  gint64 dur_us = (gint64) (duration_min * 60 * 1e6);
  s.measuring = TRUE;
  s.measure_start_ms = t0 / 1000;
  s.maint_msgs_at_start = maint_total (&s, FALSE);
  s.maint_bytes_at_start = maint_total (&s, TRUE);
  SimWorldStats st0;
  sim_world_stats (s.world, &st0);
  if (churn_median_min > 0)
    for (guint h = 0; h < s.n_peers; h++)
      churn_schedule (&s, h, churn_median_min * 60);
  /* Without failures: stores in the first half, lookups over the whole
   * phase.  With --fail-fraction: stores in the first quarter, the crash
   * at a quarter, lookups in the second half, after the repair. */
  double store_end = fail_fraction > 0 ? dur_us / 4.0 : dur_us / 2.0;
  double lookup_start = fail_fraction > 0 ? dur_us / 2.0 : 0;
  for (gint i = 0; i < stores; i++)
    sim_world_schedule (s.world, t0 + (gint64) g_rand_double_range (s.rand, 0, store_end), do_store,
                        &s);
  for (gint i = 0; i < lookups; i++)
    sim_world_schedule (s.world,
                        t0 + (gint64) g_rand_double_range (s.rand, lookup_start, dur_us - 30e6),
                        do_lookup, &s);
  if (fail_fraction > 0)
    {
      run_to (&s, t0 + dur_us / 4, "measuring");
      for (guint h = 0; h < s.n_peers; h++)
        if (sim_overlay_is_alive (s.overlay, h) && g_rand_double (s.rand) < fail_fraction)
          {
            sim_overlay_crash (s.overlay, h);
            s.crashed++;
          }
    }
  run_to (&s, t0 + dur_us, "measuring");
  gint64 t1 = sim_world_now (s.world);
  /* RFC 7363: the peers' estimates at the end of the measured phase */
  double st_size_sum = 0, st_interval_sum = 0, st_join_sum = 0, st_leave_sum = 0;
  guint st_count = 0;
  for (guint h = 0; self_tuning && h < s.n_peers; h++)
    {
      double est, jr, lr;
      guint interval_ms;
      if (sim_overlay_is_joined (s.overlay, h)
          && reload_node_self_tuning_state (sim_overlay_node (s.overlay, h), &est, &jr, &lr,
                                            &interval_ms))
        {
          st_size_sum += est;
          st_join_sum += jr;
          st_leave_sum += lr;
          st_interval_sum += interval_ms / 1000.0;
          st_count++;
        }
    }
  guint st_true_size = sim_overlay_n_joined (s.overlay);
  guint64 maint_msgs = maint_total (&s, FALSE) - s.maint_msgs_at_start;
  guint64 maint_bytes = maint_total (&s, TRUE) - s.maint_bytes_at_start;
  SimWorldStats st1;
  sim_world_stats (s.world, &st1);
  s.measuring = FALSE;

  /* churn stops and the ring settles (a minute: longer than failure
   * detection, the replica hold-down and a round of Updates); then every
   * stored item is fetched back from a random peer */
  s.churn_stopped = TRUE;
  sim_world_set_loss (s.world, 0);
  run_to (&s, t1 + 60 * SIM_US_PER_S, "settling");
  for (guint i = 0; i < s.items->len; i++)
    {
      StoredItem *it = &g_array_index (s.items, StoredItem, i);
      gint h = sim_overlay_random_joined (s.overlay, G_MAXUINT);
      if (h < 0)
        break;
      char user[64];
      g_snprintf (user, sizeof user, "peer%u.%u@sim.chorus", it->owner, it->owner_generation);
      ChordId rid_id = chord_id_hash (user, strlen (user));
      guint8 rid[16];
      chord_id_to_bytes (rid_id, rid);
      Lookup *l = g_new0 (Lookup, 1);
      l->sim = &s;
      l->fetch_back = TRUE;
      l->item = i;
      l->target = rid_id;
      s.fetch_back_pending++;
      l->in_call = TRUE;
      send_fetch (&s, (guint) h, (RwBytes){ rid, 16 }, l);
      if (l->finished)
        g_free (l);
      else
        l->in_call = FALSE;
    }
  run_to (&s, t1 + 90 * SIM_US_PER_S, "fetching back");

  guint bad = sim_overlay_ring_inconsistencies (s.overlay);
  gboolean consistent = bad == 0;
  double secs = (t1 - t0) / 1e6;
  guint alive = sim_overlay_n_joined (s.overlay);
  SimSummary hops, lat, join;
  sim_percentiles_summary (s.hops, &hops);
  sim_percentiles_summary (s.latency_ms, &lat);
  sim_percentiles_summary (s.join_ms, &join);
  double wall = sim_wall_seconds () - s.wall_start;
  SimWorldStats stn;
  sim_world_stats (s.world, &stn);
  guint64 lookups_done = s.lookups_ok + s.lookups_wrong_peer + s.lookups_failed;
  /* a fetch-back whose asking node left is asked again by nobody: count
   * it with the pending ones only when it never finished */

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
#define J_INT(k, v) \
  (json_builder_set_member_name (b, k), json_builder_add_int_value (b, (gint64) (v)))
#define J_DBL(k, v) \
  (json_builder_set_member_name (b, k), json_builder_add_double_value (b, (double) (v)))
  J_INT ("peers", s.n_peers);
  J_INT ("seed", seed);
  J_INT ("joined_at_end", alive);
  J_INT ("lookups", lookups_done);
  J_DBL ("lookup_success_ratio", lookups_done ? (double) s.lookups_ok / lookups_done : 0);
  J_INT ("lookups_wrong_peer", s.lookups_wrong_peer);
  J_INT ("lookups_failed", s.lookups_failed);
  J_DBL ("hops_mean", hops.mean);
  J_DBL ("hops_p99", hops.p99);
  J_DBL ("lookup_latency_ms_p50", lat.p50);
  J_DBL ("lookup_latency_ms_p99", lat.p99);
  J_DBL ("join_ms_p50", join.p50);
  J_DBL ("maint_msgs_per_peer_s", alive && secs > 0 ? maint_msgs / (alive * secs) : 0);
  J_DBL ("maint_bytes_per_peer_s", alive && secs > 0 ? maint_bytes / (alive * secs) : 0);
  J_INT ("stored_items", s.items->len);
  J_INT ("store_requests_ok", s.stores_ok);
  J_INT ("store_failures", s.stores_failed);
  /* lost although the owner kept refreshing it */
  J_INT ("lost_items", s.fetch_back_lost + s.fetch_back_pending);
  /* lost after the owner left (nobody refreshed it) */
  J_INT ("lost_orphaned_items", s.fetch_back_lost_orphan);
  J_INT ("crashed_peers", s.crashed);
  J_DBL ("lost_fraction", s.items->len ? (double) (s.fetch_back_lost + s.fetch_back_pending
                                                   + s.fetch_back_lost_orphan)
                                             / s.items->len
                                       : 0);
  json_builder_set_member_name (b, "ring_consistent");
  json_builder_add_boolean_value (b, consistent);
  J_INT ("ring_inconsistent_peers", bad);
  if (self_tuning)
    {
      J_DBL ("self_tuning_size_estimate_mean", st_count ? st_size_sum / st_count : 0);
      J_INT ("self_tuning_size_true", st_true_size);
      J_DBL ("self_tuning_stabilize_interval_s_mean", st_count ? st_interval_sum / st_count : 0);
      J_DBL ("self_tuning_join_rate_mean", st_count ? st_join_sum / st_count : 0);
      J_DBL ("self_tuning_leave_rate_mean", st_count ? st_leave_sum / st_count : 0);
    }
  J_INT ("peak_rss_bytes", sim_peak_rss_bytes ());
  J_DBL ("wall_s", wall);
  J_DBL ("virtual_s", stn.now_us / 1e6);
  J_DBL ("sim_msgs_per_wall_s", wall > 0 ? stn.total.msgs_sent / wall : 0);
  J_INT ("messages", stn.total.msgs_sent);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, !json);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  (void) st0;
  (void) st1;

  sim_overlay_free (s.overlay);
  g_ptr_array_unref (s.owned);
  g_array_free (s.items, TRUE);
  g_hash_table_destroy (s.delivered_hops);
  sim_percentiles_free (s.hops);
  sim_percentiles_free (s.latency_ms);
  sim_percentiles_free (s.join_ms);
  g_rand_free (s.rand);
  sim_world_free (s.world);
  return 0;
}
