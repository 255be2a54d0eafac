/* test-node-scenarios.c: the RELOAD node on the simulated network, with
 * fixed seeds: joins of a first, second and third peer, concurrent joins,
 * graceful leave, crash of a successor, lookups, storage with replication
 * after a join and after a failure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore.h"
#include "sim-overlay.h"

#include <string.h>

typedef struct
{
  SimWorld *world;
  SimOverlay *overlay;
} Net;

static void
net_init_ttl (Net *net, guint64 seed, guint8 ttl)
{
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  wc.fail_detect_us = 2 * SIM_US_PER_S;
  net->world = sim_world_new (seed, &wc);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = 30;
  oc.chord_ping_interval_s = 60;
  oc.chord_reactive = TRUE;
  oc.initial_ttl = ttl;
  net->overlay = sim_overlay_new (net->world, seed, &oc);
}

static void
net_init (Net *net, guint64 seed)
{
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  wc.fail_detect_us = 2 * SIM_US_PER_S;
  net->world = sim_world_new (seed, &wc);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = 30;
  oc.chord_ping_interval_s = 60;
  oc.chord_reactive = TRUE;
  net->overlay = sim_overlay_new (net->world, seed, &oc);
}

static void
net_clear (Net *net)
{
  sim_overlay_free (net->overlay);
  sim_world_free (net->world);
}

static void
run_s (Net *net, double seconds)
{
  sim_world_run_until (net->world, sim_world_now (net->world) + (gint64) (seconds * 1e6));
}

static gint64
now_ms (Net *net)
{
  return sim_world_now (net->world) / 1000;
}

/* Adds @n peers and joins them @spacing_ms apart (0: all at once, through
 * the first peer). */
static void
grow (Net *net, guint n, guint spacing_ms)
{
  for (guint i = 0; i < n; i++)
    {
      guint h = sim_overlay_add_peer (net->overlay);
      if (sim_overlay_n_joined (net->overlay) == 0 && h == 0)
        sim_overlay_join (net->overlay, h);
      else if (spacing_ms == 0)
        sim_overlay_join_via (net->overlay, h, 0);
      else
        sim_overlay_join (net->overlay, h);
      run_s (net, spacing_ms / 1000.0);
    }
}

static void
test_first_peer (void)
{
  Net net;
  net_init (&net, 1);
  grow (&net, 1, 100);
  g_assert_true (sim_overlay_is_joined (net.overlay, 0));
  const ChordTable *t = reload_node_table (sim_overlay_node (net.overlay, 0));
  /* alone: responsible for every id (§10.1 with no predecessor) */
  g_assert_true (chord_table_is_responsible (t, (ChordId){ 0, 0 }));
  g_assert_true (chord_table_is_responsible (t, (ChordId){ G_MAXUINT64, 1 }));
  net_clear (&net);
}

static void
test_second_and_third_peer (void)
{
  Net net;
  net_init (&net, 2);
  grow (&net, 2, 3000);
  run_s (&net, 5);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 2);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  const ChordTable *t0 = reload_node_table (sim_overlay_node (net.overlay, 0));
  g_assert_true (chord_id_equal (t0->succ[0], sim_overlay_id (net.overlay, 1)));
  g_assert_true (chord_id_equal (t0->pred[0], sim_overlay_id (net.overlay, 1)));

  grow (&net, 1, 3000);
  run_s (&net, 5);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 3);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  /* every peer knows both others as successors (the ring is that small) */
  for (guint h = 0; h < 3; h++)
    g_assert_cmpuint (reload_node_table (sim_overlay_node (net.overlay, h))->n_succ, ==, 2);
  net_clear (&net);
}

static void
test_concurrent_joins (void)
{
  Net net;
  net_init (&net, 3);
  grow (&net, 1, 100);
  /* twelve peers join through the same bootstrap at the same moment */
  grow (&net, 12, 0);
  run_s (&net, 90);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 13);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  net_clear (&net);
}

typedef struct
{
  Net *net;
  guint answered;
  guint right_peer;
  guint failed;
} LookupCounts;

typedef struct
{
  LookupCounts *counts;
  ChordId target;
} LookupCtx;

static void
lookup_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  LookupCtx *l = user_data;
  if (answer == NULL || answer->message_code != RELOAD_PING_ANS)
    l->counts->failed++;
  else
    {
      l->counts->answered++;
      const RwBytes *h = &answer->security_block.signature.identity.hash;
      ChordId truth;
      g_assert_true (sim_overlay_responsible (l->counts->net->overlay, l->target, &truth));
      if (h->len == 16 && chord_id_equal (chord_id_from_bytes (h->data), truth))
        l->counts->right_peer++;
    }
  g_free (l);
}

/* Pings @n random Resource-IDs from random peers: each must be answered
 * by the peer truly responsible (§10.1, §10.3). */
static void
check_lookups (Net *net, guint n)
{
  LookupCounts counts = { net, 0, 0, 0 };
  GRand *r = g_rand_new_with_seed (77);
  for (guint i = 0; i < n; i++)
    {
      gint h = sim_overlay_random_joined (net->overlay, G_MAXUINT);
      g_assert_cmpint (h, >=, 0);
      guint8 rid[16];
      for (guint k = 0; k < 16; k++)
        rid[k] = (guint8) g_rand_int (r);
      LookupCtx *l = g_new0 (LookupCtx, 1);
      l->counts = &counts;
      l->target = chord_id_from_bytes (rid);
      ReloadDestination d = { 0 };
      d.type = RELOAD_DESTINATION_RESOURCE;
      d.resource_id = (RwBytes){ rid, 16 };
      ReloadPingReq ping = { 0 };
      reload_node_request (sim_overlay_node (net->overlay, (guint) h), &d, RELOAD_PING_REQ, &ping,
                           lookup_done, l, now_ms (net));
      sim_overlay_poke (net->overlay, (guint) h);
      run_s (net, 0.05);
    }
  run_s (net, 20);
  g_rand_free (r);
  g_assert_cmpuint (counts.failed, ==, 0);
  g_assert_cmpuint (counts.answered, ==, n);
  g_assert_cmpuint (counts.right_peer, ==, n);
}

static void
test_lookups (void)
{
  Net net;
  net_init (&net, 4);
  grow (&net, 24, 400);
  run_s (&net, 60);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  check_lookups (&net, 60);
  net_clear (&net);
}

/* Every Attach waits for its ICE part (an agent gathering server-reflexive
 * and relayed candidates, §6.5.1.1): the node holds it until the shell
 * has it (reload_node_attach_ready()).  80 ms, a round trip to a TURN
 * server; 4 s, longer than the reliability timer (§6.2.1: the requester
 * sends its Attach again, and the held answer absorbs the copies). */
static void
attach_held (guint gather_ms, guint64 seed)
{
  Net net;
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  wc.fail_detect_us = 2 * SIM_US_PER_S;
  net.world = sim_world_new (seed, &wc);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = 30;
  oc.chord_ping_interval_s = 60;
  oc.chord_reactive = TRUE;
  oc.gather_ms = gather_ms;
  net.overlay = sim_overlay_new (net.world, seed, &oc);
  grow (&net, 12, 400);
  run_s (&net, 60);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 12);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  check_lookups (&net, 30);
  net_clear (&net);
}

static void
test_attach_held (void)
{
  attach_held (80, 12);
  attach_held (4000, 13);
}

static void
test_graceful_leave (void)
{
  Net net;
  net_init (&net, 5);
  grow (&net, 10, 400);
  run_s (&net, 30);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  sim_overlay_leave (net.overlay, 4);
  run_s (&net, 30);
  g_assert_false (sim_overlay_is_joined (net.overlay, 4));
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 9);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  check_lookups (&net, 30);
  net_clear (&net);
}

static void
test_successor_crash (void)
{
  Net net;
  net_init (&net, 6);
  grow (&net, 10, 400);
  run_s (&net, 30);
  /* crash the first successor of peer 0 */
  ChordId succ = reload_node_table (sim_overlay_node (net.overlay, 0))->succ[0];
  guint victim = G_MAXUINT;
  for (guint h = 0; h < 10; h++)
    if (chord_id_equal (sim_overlay_id (net.overlay, h), succ))
      victim = h;
  g_assert_cmpuint (victim, !=, G_MAXUINT);
  sim_overlay_crash (net.overlay, victim);
  run_s (&net, 60);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 9);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  check_lookups (&net, 30);
  net_clear (&net);
}

/* ---------------------------------------------------------------- storage */

typedef struct
{
  guint ok;
  guint failed;
  guint values;
} StoreCounts;

static void
store_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  StoreCounts *c = user_data;
  if (answer != NULL && answer->message_code == RELOAD_STORE_ANS)
    c->ok++;
  else
    c->failed++;
}

static void
fetch_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  StoreCounts *c = user_data;
  if (answer == NULL || answer->message_code != RELOAD_FETCH_ANS)
    {
      c->failed++;
      return;
    }
  const ReloadFetchAns *a = answer->body;
  c->ok++;
  for (guint k = 0; k < a->n_kind_responses; k++)
    c->values += a->kind_responses[k].n_values;
}

static void
user_resource (Net *net, guint host, guint8 rid[16])
{
  const char *user = sim_overlay_user (net->overlay, host);
  chord_id_to_bytes (chord_id_hash (user, strlen (user)), rid);
}

/* Peer @host stores one value at H(its user name) (USER-MATCH, §7.3.1). */
static void
store_own (Net *net, guint host, StoreCounts *c)
{
  guint8 rid[16];
  user_resource (net, host, rid);
  ReloadNode *node = sim_overlay_node (net->overlay, host);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoredData sd = { 0 };
  sd.storage_time = (guint64) now_ms (net) + 1;
  sd.lifetime = 3600;
  sd.value.index = 0;
  sd.value.value.exists = TRUE;
  sd.value.value.value = (RwBytes){ (const guint8 *) "a value", 7 };
  reload_node_sign_stored_data (node, (RwBytes){ rid, 16 }, RELOAD_KIND_CERTIFICATE_BY_USER, &sd,
                                arena);
  ReloadStoreKindData kd = { RELOAD_KIND_CERTIFICATE_BY_USER, 0, &sd, 1 };
  ReloadStoreReq req = { 0 };
  req.resource = (RwBytes){ rid, 16 };
  req.kind_data = &kd;
  req.n_kind_data = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };
  reload_node_request (node, &d, RELOAD_STORE_REQ, &req, store_done, c, now_ms (net));
  sim_overlay_poke (net->overlay, host);
}

/* Peer @from fetches the values peer @owner stored. */
static void
fetch_own (Net *net, guint from, guint owner, StoreCounts *c)
{
  guint8 rid[16];
  user_resource (net, owner, rid);
  ReloadArrayRange range = { 0, 0xffffffffu };
  ReloadStoredDataSpecifier spec = { 0 };
  spec.kind = RELOAD_KIND_CERTIFICATE_BY_USER;
  spec.indices = &range;
  spec.n_indices = 1;
  ReloadFetchReq f = { (RwBytes){ rid, 16 }, &spec, 1 };
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };
  reload_node_request (sim_overlay_node (net->overlay, from), &d, RELOAD_FETCH_REQ, &f, fetch_done,
                       c, now_ms (net));
  sim_overlay_poke (net->overlay, from);
}

/* How many live peers hold the resource of @owner. */
static guint
copies (Net *net, guint owner)
{
  guint8 rid[16];
  user_resource (net, owner, rid);
  guint n = 0;
  for (guint h = 0; h < sim_overlay_n_peers (net->overlay); h++)
    {
      if (!sim_overlay_is_alive (net->overlay, h))
        continue;
      g_autoptr (RwArena) arena = rw_arena_new (0);
      n += reload_storage_export (reload_node_storage (sim_overlay_node (net->overlay, h)),
                                  (RwBytes){ rid, 16 }, 1, now_ms (net), arena)
           != NULL;
    }
  return n;
}

/* The live joined peers, ordered clockwise from @k: the first is
 * responsible for @k, the next two hold its replicas (§10.4). */
static GArray *
ring_from (Net *net, ChordId k)
{
  GArray *hosts = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint h = 0; h < sim_overlay_n_peers (net->overlay); h++)
    if (sim_overlay_is_alive (net->overlay, h) && sim_overlay_is_joined (net->overlay, h))
      g_array_append_val (hosts, h);
  for (guint i = 1; i < hosts->len; i++)
    for (guint j = i; j > 0; j--)
      {
        guint *a = &g_array_index (hosts, guint, j - 1), *b = &g_array_index (hosts, guint, j);
        if (chord_id_cmp (chord_id_distance (k, sim_overlay_id (net->overlay, *a)),
                          chord_id_distance (k, sim_overlay_id (net->overlay, *b)))
            <= 0)
          break;
        guint t = *a;
        *a = *b;
        *b = t;
      }
  return hosts;
}

/* Peer @from sends peer @holder's copy of @owner's resource to peer @to
 * as replica number @replica (§10.4), the way a responsible peer would. */
static void
send_replica (Net *net, guint from, guint holder, guint to, guint owner, guint8 replica,
              StoreCounts *c)
{
  guint8 rid[16];
  user_resource (net, owner, rid);
  ReloadNode *node = sim_overlay_node (net->overlay, from);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoreReq *req =
      reload_storage_export (reload_node_storage (sim_overlay_node (net->overlay, holder)),
                             (RwBytes){ rid, 16 }, replica, now_ms (net), arena);
  g_assert_nonnull (req);
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = chord_id_to_node_id (sim_overlay_id (net->overlay, to));
  reload_node_request (node, &d, RELOAD_STORE_REQ, req, store_done, c, now_ms (net));
  sim_overlay_poke (net->overlay, from);
}

/* §7.4.1: a replica Store reaching a peer outside the replica set (one
 * sent before the tables settled, or a forged one) is refused, and no
 * fourth copy stays; a copy from the responsible peer to its successor is
 * taken. */
static void
check_late_replicas (Net *net, guint owner)
{
  guint8 rid[16];
  user_resource (net, owner, rid);
  g_autoptr (GArray) ring = ring_from (net, chord_id_from_bytes (rid));
  g_assert_cmpuint (ring->len, >=, 5);
  guint resp = g_array_index (ring, guint, 0), third = g_array_index (ring, guint, 2);
  guint outside = g_array_index (ring, guint, 3);
  StoreCounts late = { 0 };
  send_replica (net, resp, resp, outside, owner, 2, &late);
  run_s (net, 5);
  g_assert_cmpuint (late.ok, ==, 0);
  g_assert_cmpuint (late.failed, ==, 1);
  g_assert_cmpuint (copies (net, owner), ==, 3);
  /* a sender that a known peer would be responsible before: refused */
  StoreCounts backwards = { 0 };
  send_replica (net, outside, resp, third, owner, 1, &backwards);
  run_s (net, 5);
  g_assert_cmpuint (backwards.ok, ==, 0);
  g_assert_cmpuint (backwards.failed, ==, 1);
  /* the responsible peer refreshing its second replica: taken */
  StoreCounts again = { 0 };
  send_replica (net, resp, resp, third, owner, 2, &again);
  run_s (net, 5);
  g_assert_cmpuint (again.failed, ==, 0);
  g_assert_cmpuint (again.ok, ==, 1);
  g_assert_cmpuint (copies (net, owner), ==, 3);
}

static void
test_storage_and_replication (void)
{
  Net net;
  net_init (&net, 7);
  grow (&net, 12, 400);
  run_s (&net, 30);
  StoreCounts stored = { 0 };
  for (guint h = 0; h < 12; h++)
    store_own (&net, h, &stored);
  run_s (&net, 10);
  g_assert_cmpuint (stored.failed, ==, 0);
  g_assert_cmpuint (stored.ok, ==, 12);
  /* §10.4: the responsible peer and its next two successors */
  for (guint h = 0; h < 12; h++)
    g_assert_cmpuint (copies (&net, h), ==, 3);
  check_late_replicas (&net, 6);

  /* a store that access control refuses: peer 1 at peer 0's resource */
  {
    guint8 rid[16];
    user_resource (&net, 0, rid);
    ReloadNode *node = sim_overlay_node (net.overlay, 1);
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadStoredData sd = { 0 };
    sd.storage_time = (guint64) now_ms (&net) + 5;
    sd.lifetime = 60;
    sd.value.value.exists = TRUE;
    sd.value.value.value = (RwBytes){ (const guint8 *) "forged", 6 };
    reload_node_sign_stored_data (node, (RwBytes){ rid, 16 }, RELOAD_KIND_CERTIFICATE_BY_USER, &sd,
                                  arena);
    ReloadStoreKindData kd = { RELOAD_KIND_CERTIFICATE_BY_USER, 0, &sd, 1 };
    ReloadStoreReq req = { (RwBytes){ rid, 16 }, 0, &kd, 1 };
    ReloadDestination d = { 0 };
    d.type = RELOAD_DESTINATION_RESOURCE;
    d.resource_id = (RwBytes){ rid, 16 };
    StoreCounts forged = { 0 };
    reload_node_request (node, &d, RELOAD_STORE_REQ, &req, store_done, &forged, now_ms (&net));
    sim_overlay_poke (net.overlay, 1);
    run_s (&net, 10);
    g_assert_cmpuint (forged.ok, ==, 0);
    g_assert_cmpuint (forged.failed, ==, 1);
  }

  /* replication after a failure: crash the peer responsible for peer 3's
   * value; after the hold-down, the value is still there, three times */
  guint8 rid[16];
  user_resource (&net, 3, rid);
  ChordId resp;
  g_assert_true (sim_overlay_responsible (net.overlay, chord_id_from_bytes (rid), &resp));
  for (guint h = 0; h < 12; h++)
    if (chord_id_equal (sim_overlay_id (net.overlay, h), resp))
      sim_overlay_crash (net.overlay, h);
  run_s (&net, 60);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  g_assert_cmpuint (copies (&net, 3), ==, 3);
  StoreCounts fetched = { 0 };
  gint from = sim_overlay_random_joined (net.overlay, G_MAXUINT);
  fetch_own (&net, (guint) from, 3, &fetched);
  run_s (&net, 10);
  g_assert_cmpuint (fetched.ok, ==, 1);
  g_assert_cmpuint (fetched.values, ==, 1);

  /* replication after a join: a peer joins just before the peer
   * responsible for peer 5's value and takes that value over */
  user_resource (&net, 5, rid);
  ChordId k = chord_id_from_bytes (rid);
  guint jn = sim_overlay_add_peer_with_id (net.overlay, k);
  sim_overlay_join (net.overlay, jn);
  run_s (&net, 60);
  g_assert_true (sim_overlay_is_joined (net.overlay, jn));
  g_autoptr (RwArena) arena = rw_arena_new (0);
  g_assert_nonnull (reload_storage_export (reload_node_storage (sim_overlay_node (net.overlay, jn)),
                                           (RwBytes){ rid, 16 }, 1, now_ms (&net), arena));
  /* and the copy furthest away is dropped: still exactly three (§10.7.3) */
  g_assert_cmpuint (copies (&net, 5), ==, 3);
  net_clear (&net);
}

static void
ping_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  guint *answered = user_data;
  if (answer != NULL && answer->message_code == RELOAD_PING_ANS)
    (*answered)++;
}

/* §3.2.1: a client reaches the overlay through one peer: it stores and
 * fetches through it, is reachable through it by source routing, routes
 * nothing and enters nobody's routing table. */
static void
test_client_mode (void)
{
  Net net;
  net_init (&net, 8);
  grow (&net, 8, 400);
  run_s (&net, 30);
  guint client = sim_overlay_add_client (net.overlay);
  sim_overlay_join_via (net.overlay, client, 2);
  run_s (&net, 5);
  g_assert_true (sim_overlay_is_client (net.overlay, client));
  g_assert_false (sim_overlay_is_joined (net.overlay, client));
  g_assert_true (reload_node_is_client (sim_overlay_node (net.overlay, client)));
  ChordId cid = sim_overlay_id (net.overlay, client);
  for (guint h = 0; h < 8; h++)
    g_assert_false (
        chord_table_contains (reload_node_table (sim_overlay_node (net.overlay, h)), cid));

  /* it stores at H(its user name) and fetches it back, through peer 2 */
  StoreCounts stored = { 0 };
  store_own (&net, client, &stored);
  run_s (&net, 10);
  g_assert_cmpuint (stored.ok, ==, 1);
  g_assert_cmpuint (copies (&net, client), ==, 3);
  g_assert_cmpuint (
      reload_storage_n_resources (reload_node_storage (sim_overlay_node (net.overlay, client))), ==,
      0);
  StoreCounts fetched = { 0 };
  fetch_own (&net, client, client, &fetched);
  run_s (&net, 10);
  g_assert_cmpuint (fetched.values, ==, 1);

  /* a peer reaches it with a destination list through its peer (§6.1.1) */
  ReloadDestination d[2] = { { 0 } };
  d[0].type = RELOAD_DESTINATION_NODE;
  d[0].node_id = chord_id_to_node_id (sim_overlay_id (net.overlay, 2));
  d[1].type = RELOAD_DESTINATION_NODE;
  d[1].node_id = chord_id_to_node_id (cid);
  ReloadPingReq ping = { 0 };
  guint answered = 0;
  ReloadNode *from = sim_overlay_node (net.overlay, 5);
  reload_node_request_routed (from, d, 2, RELOAD_PING_REQ, &ping, ping_done, &answered,
                              now_ms (&net));
  sim_overlay_poke (net.overlay, 5);
  run_s (&net, 5);
  g_assert_cmpuint (answered, ==, 1);
  /* and the ring is the same as without it */
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  net_clear (&net);
}

typedef struct
{
  guint ok;
  guint ttl_exceeded;
  guint other;
} TtlCounts;

static void
ttl_ping_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
               const GError *error)
{
  TtlCounts *c = user_data;
  if (answer != NULL && answer->message_code == RELOAD_PING_ANS)
    c->ok++;
  else if (answer != NULL && answer->message_code == RELOAD_ERROR
           && ((const ReloadErrorResponse *) answer->body)->error_code == RELOAD_ERROR_TTL_EXCEEDED)
    c->ttl_exceeded++;
  else
    c->other++;
}

/* §6.3.2: with an initial TTL of 2 a request crosses at most two links
 * before the peer holding it answers Error_TTL_Exceeded instead of
 * forwarding; nothing is silently lost. */
static void
test_ttl_exceeded (void)
{
  Net net;
  net_init_ttl (&net, 9, 2);
  grow (&net, 24, 400);
  run_s (&net, 60);
  TtlCounts counts = { 0 };
  GRand *r = g_rand_new_with_seed (9);
  for (guint i = 0; i < 80; i++)
    {
      gint h = sim_overlay_random_joined (net.overlay, G_MAXUINT);
      guint8 rid[16];
      for (guint k = 0; k < 16; k++)
        rid[k] = (guint8) g_rand_int (r);
      ReloadDestination d = { 0 };
      d.type = RELOAD_DESTINATION_RESOURCE;
      d.resource_id = (RwBytes){ rid, 16 };
      ReloadPingReq ping = { 0 };
      reload_node_request (sim_overlay_node (net.overlay, (guint) h), &d, RELOAD_PING_REQ, &ping,
                           ttl_ping_done, &counts, now_ms (&net));
      sim_overlay_poke (net.overlay, (guint) h);
      run_s (&net, 0.05);
    }
  run_s (&net, 20);
  g_rand_free (r);
  g_test_message ("ok %u, TTL exceeded %u, other %u", counts.ok, counts.ttl_exceeded, counts.other);
  g_assert_cmpuint (counts.other, ==, 0);
  g_assert_cmpuint (counts.ok + counts.ttl_exceeded, ==, 80);
  g_assert_cmpuint (counts.ttl_exceeded, >, 0);
  g_assert_cmpuint (counts.ok, >, 0);
  net_clear (&net);
}

/* A partition and its healing (§10.7.4.4): two groups of peers form two
 * rings of the same overlay, each unaware of the other (as after a network
 * split that lasted long enough).  When every peer checks for a partition
 * through a bootstrap node of the other group, the rings merge into one:
 * every successor and predecessor is the true one, and lookups from either
 * side reach the peer truly responsible. */
static void
test_partition_heal (void)
{
  Net net;
  net_init (&net, 10);
  /* ring A: hosts 0..5, ring B: hosts 6..11, each through its first peer */
  for (guint h = 0; h < 12; h++)
    {
      guint host = sim_overlay_add_peer (net.overlay);
      g_assert_cmpuint (host, ==, h);
      if (h == 0 || h == 6)
        {
          /* a first peer alone: the ring of one */
          reload_node_start (sim_overlay_node (net.overlay, h), 0, NULL, now_ms (&net));
          sim_overlay_poke (net.overlay, h);
        }
      else
        sim_overlay_join_via (net.overlay, h, h < 6 ? 0 : 6);
      run_s (&net, 3);
    }
  run_s (&net, 30);
  /* two rings: every peer's neighbors are of its own group only */
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), >, 0);
  for (guint h = 0; h < 12; h++)
    g_assert_true (sim_overlay_is_joined (net.overlay, h));

  for (guint h = 0; h < 12; h++)
    sim_overlay_check_partition (net.overlay, h, h < 6 ? 6 : 0);
  run_s (&net, 120);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  check_lookups (&net, 40);
  net_clear (&net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node/first-peer", test_first_peer);
  g_test_add_func ("/node/second-and-third-peer", test_second_and_third_peer);
  g_test_add_func ("/node/concurrent-joins", test_concurrent_joins);
  g_test_add_func ("/node/lookups", test_lookups);
  g_test_add_func ("/node/graceful-leave", test_graceful_leave);
  g_test_add_func ("/node/successor-crash", test_successor_crash);
  g_test_add_func ("/node/storage-and-replication", test_storage_and_replication);
  g_test_add_func ("/node/client-mode", test_client_mode);
  g_test_add_func ("/node/ttl-exceeded", test_ttl_exceeded);
  g_test_add_func ("/node/partition-heal", test_partition_heal);
  g_test_add_func ("/node/attach-held", test_attach_held);
  return g_test_run ();
}
