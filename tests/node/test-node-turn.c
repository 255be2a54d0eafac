/* test-node-turn.c: the TURN Server Usage (RFC 6940 §9) of the node, on
 * the simulated network with fixed seeds: a peer that offers a TURN
 * server stores TurnServer {d, address} at H(Node-ID || d) for d = 1 ..
 * turn-density once it has joined, refreshes the values before their
 * lifetime ends, the NODE-MULTIPLE check (§7.3.4) takes them and refuses
 * d > 20 and another peer's Node-ID, and other peers find the server by
 * Find/Fetch from random Resource-IDs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore.h"
#include "reload-node-turn.h"
#include "sim-overlay.h"

#include <string.h>

#define DENSITY 3

typedef struct
{
  SimWorld *world;
  SimOverlay *overlay;
} Net;

/* Find requests that reached their destination (test_discover_nothing) */
static guint finds_delivered;

static void
delivered (gpointer user_data, guint host, guint16 code, guint64 tid, guint hops)
{
  if (code == RELOAD_FIND_REQ)
    finds_delivered++;
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
  oc.delivered = delivered;
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

/* @n peers joined 400 ms apart, then settled */
static void
grow (Net *net, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint h = sim_overlay_add_peer (net->overlay);
      sim_overlay_join (net->overlay, h);
      run_s (net, 0.4);
    }
  run_s (net, 20);
  g_assert_cmpuint (sim_overlay_n_joined (net->overlay), ==, n);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net->overlay), ==, 0);
}

static ReloadIpAddressPort
turn_address (void)
{
  /* 192.0.2.7:3478 (TEST-NET-1, RFC 5737; 3478 the STUN/TURN port) */
  ReloadIpAddressPort a = { 0 };
  a.type = RELOAD_ADDRESS_IPV4;
  a.addr[0] = 192;
  a.addr[1] = 0;
  a.addr[2] = 2;
  a.addr[3] = 7;
  a.port = 3478;
  return a;
}

static guint
host_of (Net *net, ChordId id)
{
  for (guint h = 0; h < sim_overlay_n_peers (net->overlay); h++)
    if (sim_overlay_is_alive (net->overlay, h)
        && chord_id_equal (sim_overlay_id (net->overlay, h), id))
      return h;
  g_assert_not_reached ();
}

/* The TURN-SERVICE value the responsible peer holds at @rid, or FALSE. */
static gboolean
held_value (Net *net, const guint8 rid[16], RwArena *arena, ReloadStoredData **out)
{
  ChordId resp;
  g_assert_true (sim_overlay_responsible (net->overlay, chord_id_from_bytes (rid), &resp));
  ReloadNode *node = sim_overlay_node (net->overlay, host_of (net, resp));
  ReloadStoredDataSpecifier spec = { 0 };
  spec.kind = RELOAD_KIND_TURN_SERVICE;
  ReloadFetchReq req = { 0 };
  req.resource = (RwBytes){ rid, 16 };
  req.specifiers = &spec;
  req.n_specifiers = 1;
  ReloadFetchAns ans = { 0 };
  ReloadErrorResponse err = { 0 };
  g_assert_cmpint (
      reload_storage_fetch (reload_node_storage (node), &req, now_ms (net), arena, &ans, &err), ==,
      RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.n_kind_responses, ==, 1);
  g_assert_cmpuint (ans.kind_responses[0].n_values, ==, 1);
  ReloadStoredData *sd = &ans.kind_responses[0].values[0];
  if (!sd->value.value.exists)
    return FALSE;
  *out = sd;
  return TRUE;
}

static void
node_multiple_rid (const ReloadNodeId *id, guint32 d, guint8 rid[16])
{
  chord_id_to_bytes (reload_access_node_multiple_id (id, d), rid);
}

/* §9 with §7.3.4: the Resource-ID H(Node-ID || d), d a 32-bit integer in
 * network byte order after the Node-ID's bytes; SHA-1 truncated to 128
 * bits (§10.2). */
static void
test_byte_layout (void)
{
  ReloadNodeId id = { 0 };
  id.len = 16;
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (0xa0 + i);
  guint8 input[20];
  memcpy (input, id.id, 16);
  input[16] = 0;
  input[17] = 0;
  input[18] = 0;
  input[19] = 7;
  guint8 digest[20];
  gsize len = sizeof digest;
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, input, sizeof input);
  g_checksum_get_digest (sha1, digest, &len);
  guint8 rid[16];
  node_multiple_rid (&id, 7, rid);
  g_assert_cmpmem (rid, 16, digest, 16);
}

/* §7.3.4: NODE-MULTIPLE for TURN-SERVICE, max-node-multiple 20 (§9). */
static void
test_access_check (void)
{
  g_autoptr (ReloadKindTable) kinds = reload_kind_table_new_default ();
  const ReloadKindDef *def = reload_kind_table_lookup (kinds, RELOAD_KIND_TURN_SERVICE);
  g_assert_nonnull (def);
  g_assert_cmpint (def->policy, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (def->max_node_multiple, ==, 20);
  ReloadNodeId self = { 0 }, other = { 0 };
  self.len = other.len = 16;
  memset (self.id, 0x11, 16);
  memset (other.id, 0x22, 16);
  ReloadSignerInfo signer = { 0 };
  signer.user_name = "turn@example.org";
  signer.node_ids = &self;
  signer.n_node_ids = 1;
  for (guint32 d = 1; d <= 21; d++)
    {
      guint8 rid[16];
      node_multiple_rid (&self, d, rid);
      g_assert_cmpint (reload_access_allowed (def, (RwBytes){ rid, 16 }, NULL, &signer), ==,
                       d <= 20);
      node_multiple_rid (&other, d, rid);
      g_assert_false (reload_access_allowed (def, (RwBytes){ rid, 16 }, NULL, &signer));
    }
}

typedef struct
{
  guint ok;
  guint failed;
  guint16 error_code;
} StoreCounts;

static void
store_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  StoreCounts *c = user_data;
  if (answer != NULL && answer->message_code == RELOAD_STORE_ANS)
    c->ok++;
  else
    {
      c->failed++;
      if (answer != NULL && answer->message_code == RELOAD_ERROR)
        c->error_code = ((const ReloadErrorResponse *) answer->body)->error_code;
    }
}

/* A TurnServer stored by @host at @rid with iteration @d, through the
 * overlay; the responsible peer's access check decides. */
static void
store_turn (Net *net, guint host, const guint8 rid[16], guint8 d, StoreCounts *counts)
{
  ReloadNode *node = sim_overlay_node (net->overlay, host);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoredData sd = { 0 };
  sd.storage_time = (guint64) now_ms (net);
  sd.lifetime = 60;
  sd.value.value.exists = TRUE;
  sd.value.value.typed.turn_server.iteration = d;
  sd.value.value.typed.turn_server.server_address = turn_address ();
  reload_node_sign_stored_data (node, (RwBytes){ rid, 16 }, RELOAD_KIND_TURN_SERVICE, &sd, arena);
  ReloadStoreKindData kd = { RELOAD_KIND_TURN_SERVICE, 0, &sd, 1 };
  ReloadStoreReq req = { (RwBytes){ rid, 16 }, 0, &kd, 1 };
  ReloadDestination dest = { 0 };
  dest.type = RELOAD_DESTINATION_RESOURCE;
  dest.resource_id = (RwBytes){ rid, 16 };
  reload_node_request (node, &dest, RELOAD_STORE_REQ, &req, store_done, counts, now_ms (net));
  sim_overlay_poke (net->overlay, host);
}

/* The same rule at the responsible peer of a real overlay: d = 20 is
 * taken, d = 21 and another peer's Node-ID are Error_Forbidden. */
static void
test_store_refused (void)
{
  Net net;
  net_init (&net, 41);
  grow (&net, 6);
  ReloadNodeId self = chord_id_to_node_id (sim_overlay_id (net.overlay, 2));
  ReloadNodeId other = chord_id_to_node_id (sim_overlay_id (net.overlay, 3));
  guint8 rid[16];
  StoreCounts at20 = { 0 }, at21 = { 0 }, foreign = { 0 };
  node_multiple_rid (&self, 20, rid);
  store_turn (&net, 2, rid, 20, &at20);
  node_multiple_rid (&self, 21, rid);
  store_turn (&net, 2, rid, 21, &at21);
  node_multiple_rid (&other, 1, rid);
  store_turn (&net, 2, rid, 1, &foreign);
  run_s (&net, 10);
  g_assert_cmpuint (at20.ok, ==, 1);
  g_assert_cmpuint (at21.failed, ==, 1);
  g_assert_cmpuint (at21.error_code, ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (foreign.failed, ==, 1);
  g_assert_cmpuint (foreign.error_code, ==, RELOAD_ERROR_FORBIDDEN);
  net_clear (&net);
}

typedef struct
{
  guint calls;
  GArray *servers;
} Discovered;

static void
discovered (gpointer user_data, const ReloadTurnServerInfo *servers, guint n_servers)
{
  Discovered *d = user_data;
  d->calls++;
  g_array_set_size (d->servers, 0);
  g_array_append_vals (d->servers, servers, n_servers);
}

/* Checks the TURN-SERVICE values of @host at d = 1..DENSITY; returns the
 * oldest storage_time. */
static guint64
check_advertised (Net *net, guint host)
{
  ReloadNodeId id = chord_id_to_node_id (sim_overlay_id (net->overlay, host));
  ReloadIpAddressPort want = turn_address ();
  guint64 oldest = G_MAXUINT64;
  for (guint d = 1; d <= DENSITY + 1; d++)
    {
      guint8 rid[16];
      node_multiple_rid (&id, d, rid);
      g_autoptr (RwArena) arena = rw_arena_new (0);
      ReloadStoredData *sd = NULL;
      gboolean held = held_value (net, rid, arena, &sd);
      if (d > DENSITY)
        {
          /* turn-density values, no more */
          g_assert_false (held);
          continue;
        }
      g_assert_true (held);
      const ReloadTurnServer *ts = &sd->value.value.typed.turn_server;
      g_assert_cmpuint (ts->iteration, ==, d);
      g_assert_cmpuint (ts->server_address.type, ==, RELOAD_ADDRESS_IPV4);
      g_assert_cmpmem (ts->server_address.addr, 4, want.addr, 4);
      g_assert_cmpuint (ts->server_address.port, ==, 3478);
      g_assert_cmpuint (sd->lifetime, <=, RELOAD_TURN_SERVICE_LIFETIME_S);
      oldest = MIN (oldest, sd->storage_time);
    }
  return oldest;
}

static void
test_advertise_and_discover (void)
{
  Net net;
  net_init (&net, 42);
  /* the server is set before the join: stored once joined (§10.5 step 9) */
  guint turn = 0;
  for (guint i = 0; i < 8; i++)
    {
      guint h = sim_overlay_add_peer (net.overlay);
      if (i == 3)
        {
          turn = h;
          ReloadIpAddressPort a = turn_address ();
          reload_node_turn_set_server (sim_overlay_node (net.overlay, h), &a, DENSITY,
                                       now_ms (&net));
        }
      sim_overlay_join (net.overlay, h);
      run_s (&net, 0.4);
    }
  run_s (&net, 20);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, 8);
  ReloadNode *tn = sim_overlay_node (net.overlay, turn);
  g_assert_cmpint (reload_node_turn_advertised_ms (tn), >, 0);
  guint64 first = check_advertised (&net, turn);

  /* refreshed before the lifetime ends: after 1.2 lifetimes the values are
   * there, stored again since */
  run_s (&net, RELOAD_TURN_SERVICE_LIFETIME_S * 1.2);
  guint64 later = check_advertised (&net, turn);
  g_assert_cmpuint (later, >, first);
  g_assert_cmpuint ((guint64) now_ms (&net) - later, <, RELOAD_TURN_SERVICE_LIFETIME_S * 1000);

  /* every other peer finds it by Find/Fetch from random Resource-IDs,
   * with the Node-ID of the peer that offers it */
  ReloadNodeId tid = chord_id_to_node_id (sim_overlay_id (net.overlay, turn));
  for (guint h = 0; h < 8; h++)
    {
      if (h == turn)
        continue;
      Discovered d = { 0, g_array_new (FALSE, TRUE, sizeof (ReloadTurnServerInfo)) };
      reload_node_turn_discover (sim_overlay_node (net.overlay, h), discovered, &d, now_ms (&net));
      sim_overlay_poke (net.overlay, h);
      run_s (&net, 30);
      g_assert_cmpuint (d.calls, ==, 1);
      g_assert_cmpuint (d.servers->len, ==, 1);
      const ReloadTurnServerInfo *s = &g_array_index (d.servers, ReloadTurnServerInfo, 0);
      g_assert_cmpmem (s->node_id.id, s->node_id.len, tid.id, 16);
      g_assert_cmpuint (s->address.port, ==, 3478);
      g_assert_cmpuint (s->iteration, >=, 1);
      g_assert_cmpuint (s->iteration, <=, DENSITY);
      guint8 rid[16];
      node_multiple_rid (&tid, s->iteration, rid);
      g_assert_cmpmem (s->resource_id, 16, rid, 16);
      g_assert_cmpint (s->expires_ms, >, now_ms (&net));
      guint n;
      reload_node_turn_servers (sim_overlay_node (net.overlay, h), now_ms (&net), &n);
      g_assert_cmpuint (n, ==, 1);
      g_array_unref (d.servers);
    }

  /* the server stops: its values expire, and discovery forgets it */
  reload_node_turn_set_server (tn, NULL, 0, now_ms (&net));
  run_s (&net, RELOAD_TURN_SERVICE_LIFETIME_S + 10);
  guint h = turn == 0 ? 1 : 0;
  Discovered d = { 0, g_array_new (FALSE, TRUE, sizeof (ReloadTurnServerInfo)) };
  reload_node_turn_discover (sim_overlay_node (net.overlay, h), discovered, &d, now_ms (&net));
  sim_overlay_poke (net.overlay, h);
  run_s (&net, 30);
  g_assert_cmpuint (d.calls, ==, 1);
  g_assert_cmpuint (d.servers->len, ==, 0);
  g_array_unref (d.servers);
  net_clear (&net);
}

/* Nothing to find: the round ends after its probes, each at a peer of its
 * own (the walk goes round the ring, it does not hit one range twice). */
static void
test_discover_nothing (void)
{
  Net net;
  net_init (&net, 43);
  grow (&net, 5);
  Discovered d = { 0, g_array_new (FALSE, TRUE, sizeof (ReloadTurnServerInfo)) };
  finds_delivered = 0;
  reload_node_turn_discover (sim_overlay_node (net.overlay, 1), discovered, &d, now_ms (&net));
  sim_overlay_poke (net.overlay, 1);
  run_s (&net, 30);
  g_assert_cmpuint (d.calls, ==, 1);
  g_assert_cmpuint (d.servers->len, ==, 0);
  /* five peers: one Find each, and a sixth that finds the walk came round */
  g_assert_cmpuint (finds_delivered, ==, 6);
  g_array_unref (d.servers);
  net_clear (&net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node/turn/byte-layout", test_byte_layout);
  g_test_add_func ("/node/turn/access-check", test_access_check);
  g_test_add_func ("/node/turn/store-refused", test_store_refused);
  g_test_add_func ("/node/turn/advertise-and-discover", test_advertise_and_discover);
  g_test_add_func ("/node/turn/discover-nothing", test_discover_nothing);
  return g_test_run ();
}
