/* test-topology.c: Probe, Join, Leave, Update and RouteQuery bodies (RFC
 * 6940 §6.4.2) with their CHORD-RELOAD structures (§10), and RFC 7363's
 * SelfTuningData.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"
#include "reload-message.h"
#include "reload-topology.h"
#include "wire-test-util.h"
#define assert_json_contains(visit, value, needle) \
  wire_test_assert_json_contains ((visit), (value), &options, (needle))
#define expect_error(visit, size, hex, field, offset, code) \
  wire_test_expect_error_hex ((visit), (size), (hex), &options, (field), (offset), (code))

#define assert_bytes_hex wire_test_assert_bytes_hex

#include <string.h>

static const RwOptions options = { .node_id_length = 16 };

/* ---------------------------------------------------------------- helpers */

static ReloadNodeId
nid (guint8 seed)
{
  ReloadNodeId id = { .len = 16 };
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (seed + i);
  return id;
}

/* The 32 hex digits of nid(seed). */
static char *
nid_hex (guint8 seed)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < 16; i++)
    g_string_append_printf (s, "%02x", (guint8) (seed + i));
  return g_string_free (s, FALSE);
}

static RwBytes
text (const char *s)
{
  return (RwBytes){ (const guint8 *) s, strlen (s) };
}

/* Decodes @hex and checks the error's field, offset and code. */

/* Reads @json (the body's members) into @value, allocating from @arena. */
static void
from_json (RwVisitFunc visit, const char *json, RwArena *arena, gpointer value)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  RwCodec *c = rw_codec_new_json_reader (json_parser_get_root (parser), arena, &options);
  rw_object_begin (c, NULL);
  visit (c, value);
  rw_object_end (c);
  rw_codec_finish (c, &error);
  g_assert_no_error (error);
}

static GBytes *
encode (RwVisitFunc visit, gpointer value)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, &options);
  visit (c, value);
  g_autoptr (GError) error = NULL;
  rw_codec_finish (c, &error);
  g_assert_no_error (error);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

#define ROUNDTRIP(visit, type, value) \
  wire_test_roundtrip ((RwVisitFunc) (visit), sizeof (type), (value), &options)

/* ---------------------------------------------------------------- Probe */

static void
test_probe_req (void)
{
  guint8 types[] = { 1, 2, 3, 4, 0x7f };
  ReloadProbeReq req = { types, G_N_ELEMENTS (types) };
  g_autoptr (GBytes) all = ROUNDTRIP (reload_probe_req_visit, ReloadProbeReq, &req);
  assert_bytes_hex (all, "05 01 02 03 04 7f");
  assert_json_contains (reload_probe_req_visit, &req,
                        "\"requested_info\":[\"responsible_set\",\"num_resources\",\"uptime\","
                        "\"exp-probe\",127]");

  ReloadProbeReq empty = { NULL, 0 };
  g_autoptr (GBytes) none = ROUNDTRIP (reload_probe_req_visit, ReloadProbeReq, &empty);
  assert_bytes_hex (none, "00");

  /* §6.4.2.5.1 layout: a one-byte length, then one byte per type. */
  g_autoptr (GBytes) hex = wire_test_hex ("03 03 01 02");
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadProbeReq got = { 0 };
  wire_test_decode (reload_probe_req_visit, g_bytes_get_data (hex, NULL), g_bytes_get_size (hex),
                    &options, arena, &got);
  g_assert_cmpuint (got.n_requested_info, ==, 3);
  g_assert_cmpuint (got.requested_info[0], ==, RELOAD_PROBE_INFO_UPTIME);
  g_assert_cmpuint (got.requested_info[2], ==, RELOAD_PROBE_INFO_NUM_RESOURCES);

  expect_error (reload_probe_req_visit, sizeof (ReloadProbeReq), "02 01 00", "requested_info[1]",
                -1, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_probe_req_visit, sizeof (ReloadProbeReq), "04 01 02", "requested_info", 0,
                RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_probe_req_visit, sizeof (ReloadProbeReq), "", "requested_info", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_probe_req_visit, sizeof (ReloadProbeReq), "01 01 ff", "message", 2,
                RELOAD_WIRE_ERROR_TRAILING);
}

static void
test_probe_ans (void)
{
  ReloadProbeInformation info[] = {
    { .type = RELOAD_PROBE_INFO_RESPONSIBLE_SET, .value = 500000000 },
    { .type = RELOAD_PROBE_INFO_NUM_RESOURCES, .value = 42 },
    { .type = RELOAD_PROBE_INFO_UPTIME, .value = 3600 },
  };
  ReloadProbeAns ans = { info, G_N_ELEMENTS (info) };
  g_autoptr (GBytes) bytes = ROUNDTRIP (reload_probe_ans_visit, ReloadProbeAns, &ans);
  /* §6.4.2.5.2: probe_info<0..2^16-1> of {type; uint8 length; uint32}. */
  assert_bytes_hex (bytes, "0012"
                           "01 04 1dcd6500"
                           "02 04 0000002a"
                           "03 04 00000e10");
  assert_json_contains (reload_probe_ans_visit, &ans,
                        "{\"type\":\"responsible_set\",\"responsible_ppb\":500000000}");
  assert_json_contains (reload_probe_ans_visit, &ans,
                        "{\"type\":\"num_resources\",\"num_resources\":42}");
  assert_json_contains (reload_probe_ans_visit, &ans, "{\"type\":\"uptime\",\"uptime\":3600}");

  /* Unknown types (and exp-probe) keep their value raw, any length. */
  ReloadProbeInformation odd[] = {
    { .type = RELOAD_PROBE_INFO_EXP_PROBE, .unknown = text ("xyz") },
    { .type = 0x99 },
    { .type = 0xfe, .unknown = text ("a longer value than four bytes") },
  };
  ReloadProbeAns odd_ans = { odd, G_N_ELEMENTS (odd) };
  g_bytes_unref (ROUNDTRIP (reload_probe_ans_visit, ReloadProbeAns, &odd_ans));
  assert_json_contains (reload_probe_ans_visit, &odd_ans, "{\"type\":153,\"value\":\"\"}");

  {
    g_autoptr (GBytes) unk = wire_test_hex ("0005 99 03 616263");
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadProbeAns got = { 0 };
    wire_test_decode (reload_probe_ans_visit, g_bytes_get_data (unk, NULL), g_bytes_get_size (unk),
                      &options, arena, &got);
    g_assert_cmpuint (got.n_probe_info, ==, 1);
    g_assert_cmpuint (got.probe_info[0].type, ==, 0x99);
    g_assert_cmpmem (got.probe_info[0].unknown.data, got.probe_info[0].unknown.len, "abc", 3);
  }

  ReloadProbeAns empty = { NULL, 0 };
  g_autoptr (GBytes) none = ROUNDTRIP (reload_probe_ans_visit, ReloadProbeAns, &empty);
  assert_bytes_hex (none, "0000");

  /* A known type whose length is not 4. */
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "0007 03 05 00000e10 00",
                "probe_info[0].length", 8, RELOAD_WIRE_ERROR_TRAILING);
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "0005 03 03 000e10",
                "probe_info[0].length.uptime", 4, RELOAD_WIRE_ERROR_TRUNCATED);
  /* The inner length runs past the list. */
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "0006 01 05 1dcd6500",
                "probe_info[0].length", 3, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "0006 00 04 1dcd6500",
                "probe_info[0].type", 2, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "0007 01 04 1dcd6500",
                "probe_info", 0, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_probe_ans_visit, sizeof (ReloadProbeAns), "00", "probe_info", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- Join */

static void
test_join (void)
{
  ReloadJoinReq req = { nid (0x40), text ("overlay data") };
  g_bytes_unref (ROUNDTRIP (reload_join_req_visit, ReloadJoinReq, &req));
  assert_json_contains (reload_join_req_visit, &req,
                        "\"joining_peer_id\":\"404142434445464748494a4b4c4d4e4f\"");

  /* §6.4.2.1: NodeId (no length of its own), then opaque<0..2^16-1>;
   * CHORD-RELOAD sends it empty. */
  ReloadJoinReq chord = { nid (0x40), { NULL, 0 } };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_join_req_visit, ReloadJoinReq, &chord);
  g_autofree char *id = nid_hex (0x40);
  g_autofree char *expect = g_strconcat (id, " 0000", NULL);
  assert_bytes_hex (b, expect);

  /* 20-byte Node-IDs (§11.1 node-id-length). */
  {
    RwOptions wide = { .node_id_length = 20 };
    ReloadJoinReq w = { .joining_peer_id = { .len = 20 }, .overlay_specific_data = text ("x") };
    memset (w.joining_peer_id.id, 0xab, 20);
    g_autoptr (GBytes) wb = wire_test_roundtrip (reload_join_req_visit, sizeof w, &w, &wide);
    g_assert_cmpuint (g_bytes_get_size (wb), ==, 20 + 2 + 1);
  }

  ReloadJoinAns ans = { text ("abc") };
  g_autoptr (GBytes) c = ROUNDTRIP (reload_join_ans_visit, ReloadJoinAns, &ans);
  assert_bytes_hex (c, "0003 616263");
  assert_json_contains (reload_join_ans_visit, &ans, "{\"overlay_specific_data\":\"616263\"}");

  expect_error (reload_join_req_visit, sizeof (ReloadJoinReq), "4041424344", "joining_peer_id", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
  g_autofree char *long_data = g_strconcat (id, " 0005 6162", NULL);
  expect_error (reload_join_req_visit, sizeof (ReloadJoinReq), long_data, "overlay_specific_data",
                16, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_join_ans_visit, sizeof (ReloadJoinAns), "0001", "overlay_specific_data", 0,
                RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_join_ans_visit, sizeof (ReloadJoinAns), "0001 61 62", "message", 3,
                RELOAD_WIRE_ERROR_TRAILING);
}

/* ---------------------------------------------------------------- Leave */

static void
test_leave_req (void)
{
  ReloadNodeId succ[] = { nid (0x10), nid (0x20) };
  ReloadLeaveReq from_succ = {
    .leaving_peer_id = nid (0x40),
    .has_chord_leave_data = TRUE,
    .chord_leave_data = { .type = RELOAD_CHORD_LEAVE_FROM_SUCC,
                          .successors = succ,
                          .n_successors = 2 },
  };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_leave_req_visit, ReloadLeaveReq, &from_succ);
  /* §6.4.2.2 + §10.9: NodeId, then overlay_specific_data<0..2^16-1>
   * holding {type = from_succ; successors<0..2^16-1>}. */
  g_autofree char *lid = nid_hex (0x40), *s1 = nid_hex (0x10), *s2 = nid_hex (0x20);
  g_autofree char *expect = g_strconcat (lid, "0023 01 0020", s1, s2, NULL);
  assert_bytes_hex (a, expect);
  assert_json_contains (reload_leave_req_visit, &from_succ,
                        "\"overlay_specific_data\":{\"type\":\"from_succ\",\"successors\":["
                        "\"101112131415161718191a1b1c1d1e1f\",");

  ReloadNodeId pred[] = { nid (0x50), nid (0x60), nid (0x70) };
  ReloadLeaveReq from_pred = {
    .leaving_peer_id = nid (0x40),
    .has_chord_leave_data = TRUE,
    .chord_leave_data = { .type = RELOAD_CHORD_LEAVE_FROM_PRED,
                          .predecessors = pred,
                          .n_predecessors = 3 },
  };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_leave_req_visit, ReloadLeaveReq, &from_pred);
  g_assert_cmpuint (g_bytes_get_size (b), ==, 16 + 2 + 1 + 2 + 48);
  assert_json_contains (reload_leave_req_visit, &from_pred,
                        "{\"type\":\"from_pred\",\"predecessors\":[");

  /* The lone peer of a ring leaves with an empty list. */
  ReloadLeaveReq lonely = {
    .leaving_peer_id = nid (0x40),
    .has_chord_leave_data = TRUE,
    .chord_leave_data = { .type = RELOAD_CHORD_LEAVE_FROM_SUCC },
  };
  g_autoptr (GBytes) c = ROUNDTRIP (reload_leave_req_visit, ReloadLeaveReq, &lonely);
  g_autofree char *expect_lonely = g_strconcat (lid, "0003 01 0000", NULL);
  assert_bytes_hex (c, expect_lonely);

  /* An empty overlay_specific_data is accepted (and shown as {}). */
  ReloadLeaveReq bare = { .leaving_peer_id = nid (0x40) };
  g_autoptr (GBytes) d = ROUNDTRIP (reload_leave_req_visit, ReloadLeaveReq, &bare);
  g_autofree char *expect_bare = g_strconcat (lid, "0000", NULL);
  assert_bytes_hex (d, expect_bare);
  assert_json_contains (reload_leave_req_visit, &bare, "\"overlay_specific_data\":{}");
  {
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadLeaveReq got = { .has_chord_leave_data = TRUE };
    wire_test_decode (reload_leave_req_visit, g_bytes_get_data (d, NULL), g_bytes_get_size (d),
                      &options, arena, &got);
    g_assert_false (got.has_chord_leave_data);
  }

  /* From JSON written by hand. */
  {
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadLeaveReq got = { 0 };
    from_json ((RwVisitFunc) reload_leave_req_visit,
               "{\"leaving_peer_id\":\"404142434445464748494a4b4c4d4e4f\","
               "\"overlay_specific_data\":{\"type\":\"from_succ\",\"successors\":["
               "\"101112131415161718191a1b1c1d1e1f\",\"202122232425262728292a2b2c2d2e2f\"]}}",
               arena, &got);
    g_autoptr (GBytes) again = encode ((RwVisitFunc) reload_leave_req_visit, &got);
    assert_bytes_hex (again, expect);
  }

  /* Failures, each named. */
  g_autofree char *bad_type = g_strconcat (lid, "0003 00 0000", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), bad_type,
                "overlay_specific_data.type", 18, RELOAD_WIRE_ERROR_INVALID_VALUE);
  g_autofree char *unknown_type = g_strconcat (lid, "0003 03 0000", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), unknown_type,
                "overlay_specific_data.type", 18, RELOAD_WIRE_ERROR_UNKNOWN_TYPE);
  /* overlay_specific_data longer than the ChordLeaveData it holds. */
  g_autofree char *trailing = g_strconcat (lid, "0004 01 0000 ff", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), trailing, "overlay_specific_data",
                21, RELOAD_WIRE_ERROR_TRAILING);
  /* overlay_specific_data longer than the body. */
  g_autofree char *too_long = g_strconcat (lid, "0009 01 0000", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), too_long, "overlay_specific_data",
                16, RELOAD_WIRE_ERROR_LENGTH);
  /* successors list longer than overlay_specific_data. */
  g_autofree char *list_long = g_strconcat (lid, "0004 01 0010 ff", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), list_long,
                "overlay_specific_data.successors", 19, RELOAD_WIRE_ERROR_LENGTH);
  /* 17 bytes of successors: the second NodeId is cut. */
  g_autofree char *list_odd = g_strconcat (lid, "0014 01 0011", s1, "ff", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), list_odd,
                "overlay_specific_data.successors[1]", 37, RELOAD_WIRE_ERROR_TRUNCATED);
  /* A type but no list. */
  g_autofree char *no_list = g_strconcat (lid, "0001 02", NULL);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), no_list,
                "overlay_specific_data.predecessors", 19, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_leave_req_visit, sizeof (ReloadLeaveReq), lid, "overlay_specific_data", 16,
                RELOAD_WIRE_ERROR_TRUNCATED);
}

static void
test_empty_answers (void)
{
  ReloadLeaveAns leave = { 0 };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_leave_ans_visit, ReloadLeaveAns, &leave);
  g_assert_cmpuint (g_bytes_get_size (a), ==, 0);
  ReloadUpdateAns update = { 0 };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_update_ans_visit, ReloadUpdateAns, &update);
  g_assert_cmpuint (g_bytes_get_size (b), ==, 0);
  g_autofree char *json = wire_test_to_json (reload_update_ans_visit, &update, &options);
  g_assert_cmpstr (json, ==, "{}");

  /* "LeaveAns is an empty message": anything in it is left over. */
  expect_error (reload_leave_ans_visit, sizeof (ReloadLeaveAns), "00", "message", 0,
                RELOAD_WIRE_ERROR_TRAILING);
  expect_error (reload_update_ans_visit, sizeof (ReloadUpdateAns), "0102", "message", 0,
                RELOAD_WIRE_ERROR_TRAILING);
}

/* ---------------------------------------------------------------- Update */

static void
test_update_req (void)
{
  /* peer_ready: uptime, type, nothing else (§10.7). */
  ReloadUpdateReq ready = { .uptime = 3600, .type = RELOAD_CHORD_UPDATE_PEER_READY };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_update_req_visit, ReloadUpdateReq, &ready);
  assert_bytes_hex (a, "00000e10 01");
  assert_json_contains (reload_update_req_visit, &ready,
                        "{\"uptime\":3600,\"type\":\"peer_ready\"}");

  ReloadNodeId preds[] = { nid (0x10), nid (0x20) };
  ReloadNodeId succs[] = { nid (0x30), nid (0x40), nid (0x50) };
  ReloadUpdateReq neighbors = {
    .uptime = 60,
    .type = RELOAD_CHORD_UPDATE_NEIGHBORS,
    .predecessors = preds,
    .n_predecessors = 2,
    .successors = succs,
    .n_successors = 3,
  };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_update_req_visit, ReloadUpdateReq, &neighbors);
  g_autofree char *p1 = nid_hex (0x10), *p2 = nid_hex (0x20), *s1 = nid_hex (0x30),
                  *s2 = nid_hex (0x40), *s3 = nid_hex (0x50);
  g_autofree char *expect = g_strconcat ("0000003c 02 0020", p1, p2, "0030", s1, s2, s3, NULL);
  assert_bytes_hex (b, expect);
  assert_json_contains (
      reload_update_req_visit, &neighbors,
      "\"type\":\"neighbors\",\"predecessors\":[\"101112131415161718191a1b1c1d1e1f\","
      "\"202122232425262728292a2b2c2d2e2f\"],\"successors\":[");

  ReloadNodeId fingers[16];
  for (guint i = 0; i < 16; i++)
    fingers[i] = nid ((guint8) (0x60 + 8 * i));
  ReloadUpdateReq full = {
    .uptime = G_MAXUINT32,
    .type = RELOAD_CHORD_UPDATE_FULL,
    .predecessors = preds,
    .n_predecessors = 2,
    .successors = succs,
    .n_successors = 3,
    .fingers = fingers,
    .n_fingers = 16,
  };
  g_autoptr (GBytes) c = ROUNDTRIP (reload_update_req_visit, ReloadUpdateReq, &full);
  g_assert_cmpuint (g_bytes_get_size (c), ==, 5 + 2 + 32 + 2 + 48 + 2 + 256);
  assert_json_contains (reload_update_req_visit, &full, "\"type\":\"full\"");
  assert_json_contains (reload_update_req_visit, &full, "\"fingers\":[");

  /* A ring of one: neighbors with empty lists. */
  ReloadUpdateReq alone = { .uptime = 1, .type = RELOAD_CHORD_UPDATE_NEIGHBORS };
  g_autoptr (GBytes) d = ROUNDTRIP (reload_update_req_visit, ReloadUpdateReq, &alone);
  assert_bytes_hex (d, "00000001 02 0000 0000");
  ReloadUpdateReq empty_full = { .uptime = 1, .type = RELOAD_CHORD_UPDATE_FULL };
  g_autoptr (GBytes) e = ROUNDTRIP (reload_update_req_visit, ReloadUpdateReq, &empty_full);
  assert_bytes_hex (e, "00000001 03 0000 0000 0000");

  /* From JSON written by hand. */
  {
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadUpdateReq got = { 0 };
    from_json ((RwVisitFunc) reload_update_req_visit,
               "{\"uptime\":60,\"type\":\"neighbors\",\"predecessors\":["
               "\"101112131415161718191a1b1c1d1e1f\",\"202122232425262728292a2b2c2d2e2f\"],"
               "\"successors\":[\"303132333435363738393a3b3c3d3e3f\","
               "\"404142434445464748494a4b4c4d4e4f\",\"505152535455565758595a5b5c5d5e5f\"]}",
               arena, &got);
    g_autoptr (GBytes) again = encode ((RwVisitFunc) reload_update_req_visit, &got);
    assert_bytes_hex (again, expect);
  }

  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000e10 00", "type", 4,
                RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000e10 04 0000 0000", "type",
                4, RELOAD_WIRE_ERROR_UNKNOWN_TYPE);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000e10", "type", 4,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "000e10", "uptime", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000e10 01 00", "message", 5,
                RELOAD_WIRE_ERROR_TRAILING);
  g_autofree char *odd = g_strconcat ("00000001 02 0014", p1, "aabbccdd 0000", NULL);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), odd, "predecessors[1]", 23,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000001 02 0000", "successors",
                7, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000001 03 0000 0000",
                "fingers", 9, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_update_req_visit, sizeof (ReloadUpdateReq), "00000001 02 0000 0010 00",
                "successors", 7, RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- RouteQuery */

static void
test_route_query (void)
{
  ReloadRouteQueryReq to_node = {
    .send_update = TRUE,
    .destination = { .type = RELOAD_DESTINATION_NODE, .node_id = nid (0x40) },
  };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_route_query_req_visit, ReloadRouteQueryReq, &to_node);
  /* §6.4.2.4.1: Boolean, Destination {type 1; length 16; NodeId}, opaque. */
  g_autofree char *id = nid_hex (0x40);
  g_autofree char *expect = g_strconcat ("01 01 10", id, "0000", NULL);
  assert_bytes_hex (a, expect);
  assert_json_contains (reload_route_query_req_visit, &to_node,
                        "{\"send_update\":true,\"destination\":{\"type\":\"node\",");

  ReloadRouteQueryReq to_resource = {
    .send_update = FALSE,
    .destination = { .type = RELOAD_DESTINATION_RESOURCE,
                     .resource_id = text ("0123456789abcdef") },
    .overlay_specific_data = text ("extra"),
  };
  g_autoptr (GBytes) b =
      ROUNDTRIP (reload_route_query_req_visit, ReloadRouteQueryReq, &to_resource);
  g_assert_cmpuint (g_bytes_get_size (b), ==, 1 + 3 + 16 + 2 + 5);

  ReloadRouteQueryReq compressed = {
    .destination = { .type = RELOAD_DESTINATION_OPAQUE_ID,
                     .compressed = TRUE,
                     .compressed_id = 0x8123 },
  };
  g_autoptr (GBytes) c = ROUNDTRIP (reload_route_query_req_visit, ReloadRouteQueryReq, &compressed);
  assert_bytes_hex (c, "00 8123 0000");

  expect_error (reload_route_query_req_visit, sizeof (ReloadRouteQueryReq), "02 8123 0000",
                "send_update", 0, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_route_query_req_visit, sizeof (ReloadRouteQueryReq), "01 00 00 0000",
                "destination.type", -1, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_route_query_req_visit, sizeof (ReloadRouteQueryReq), "01 8123 0003 6162",
                "overlay_specific_data", 3, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_route_query_req_visit, sizeof (ReloadRouteQueryReq), "01 8123",
                "overlay_specific_data", 3, RELOAD_WIRE_ERROR_TRUNCATED);

  ReloadRouteQueryAns ans = { nid (0x70) };
  g_autoptr (GBytes) d = ROUNDTRIP (reload_route_query_ans_visit, ReloadRouteQueryAns, &ans);
  g_autofree char *next = nid_hex (0x70);
  assert_bytes_hex (d, next);
  assert_json_contains (reload_route_query_ans_visit, &ans,
                        "{\"next_peer\":\"707172737475767778797a7b7c7d7e7f\"}");
  expect_error (reload_route_query_ans_visit, sizeof (ReloadRouteQueryAns), "7071", "next_peer", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
  g_autofree char *longer = g_strconcat (next, "00", NULL);
  expect_error (reload_route_query_ans_visit, sizeof (ReloadRouteQueryAns), longer, "message", 16,
                RELOAD_WIRE_ERROR_TRAILING);
}

/* ---------------------------------------------------------------- RFC 7363 */

static void
test_self_tuning_data (void)
{
  ReloadSelfTuningData st = { .network_size = 1000, .join_rate = 5, .leave_rate = 2 };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_self_tuning_data_visit, ReloadSelfTuningData, &st);
  assert_bytes_hex (a, "000003e8 00000005 00000002");
  assert_json_contains (reload_self_tuning_data_visit, &st,
                        "{\"network_size\":1000,\"join_rate\":5,\"leave_rate\":2}");
  expect_error (reload_self_tuning_data_visit, sizeof (ReloadSelfTuningData),
                "000003e8 00000005 0000", "leave_rate", 8, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- in a message */

/* A whole message carrying a ChordUpdate body and an RFC 7363
 * self_tuning_data extension: the message layer finds the body through
 * the table; the extension's contents decode as a SelfTuningData. */
static void
test_in_message (void)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  m->header.overlay = reload_overlay_hash ("chorus.example");
  m->header.transaction_id = 42;
  m->header.n_destination_list = 1;
  m->header.destination_list = reload_message_alloc (m, sizeof (ReloadDestination));
  m->header.destination_list[0].type = RELOAD_DESTINATION_NODE;
  m->header.destination_list[0].node_id = nid (0xa0);
  ReloadNodeId ids[] = { nid (0x10), nid (0x20) };
  ReloadUpdateReq update = {
    .uptime = 99,
    .type = RELOAD_CHORD_UPDATE_NEIGHBORS,
    .predecessors = ids,
    .n_predecessors = 1,
    .successors = ids + 1,
    .n_successors = 1,
  };
  m->message_code = RELOAD_UPDATE_REQ;
  m->body = &update;
  ReloadSelfTuningData st = { .network_size = 1000, .join_rate = 5, .leave_rate = 2 };
  g_autoptr (GBytes) st_bytes = encode (reload_self_tuning_data_visit, &st);
  ReloadMessageExtension ext = {
    .type = RELOAD_EXTENSION_SELF_TUNING_DATA,
    .critical = FALSE,
    .contents = { g_bytes_get_data (st_bytes, NULL), g_bytes_get_size (st_bytes) },
  };
  m->extensions = &ext;
  m->n_extensions = 1;
  m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;

  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) wire = reload_message_encode (m, &options, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadMessage) back = reload_message_decode (wire, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->message_code, ==, RELOAD_UPDATE_REQ);
  const ReloadUpdateReq *got = back->body;
  g_assert_cmpuint (got->uptime, ==, 99);
  g_assert_cmpuint (got->type, ==, RELOAD_CHORD_UPDATE_NEIGHBORS);
  g_assert_cmpuint (got->n_predecessors, ==, 1);
  g_assert_true (reload_node_id_equal (&got->successors[0], &ids[1]));

  g_assert_cmpuint (back->n_extensions, ==, 1);
  g_assert_cmpuint (back->extensions[0].type, ==, RELOAD_EXTENSION_SELF_TUNING_DATA);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadSelfTuningData st_got = { 0 };
  wire_test_decode (reload_self_tuning_data_visit, back->extensions[0].contents.data,
                    back->extensions[0].contents.len, &options, arena, &st_got);
  g_assert_cmpuint (st_got.network_size, ==, 1000);
  g_assert_cmpuint (st_got.join_rate, ==, 5);
  g_assert_cmpuint (st_got.leave_rate, ==, 2);

  wire_test_message_json_roundtrip (
      back, wire, &options, "\"body\":{\"uptime\":99,\"type\":\"neighbors\",\"predecessors\":[");
}

/* ---------------------------------------------------------------- table */

static void
test_table (void)
{
  static const ReloadBodyType expected[] = {
    { RELOAD_PROBE_REQ, sizeof (ReloadProbeReq), reload_probe_req_visit },
    { RELOAD_PROBE_ANS, sizeof (ReloadProbeAns), reload_probe_ans_visit },
    { RELOAD_JOIN_REQ, sizeof (ReloadJoinReq), reload_join_req_visit },
    { RELOAD_JOIN_ANS, sizeof (ReloadJoinAns), reload_join_ans_visit },
    { RELOAD_LEAVE_REQ, sizeof (ReloadLeaveReq), reload_leave_req_visit },
    { RELOAD_LEAVE_ANS, sizeof (ReloadLeaveAns), reload_leave_ans_visit },
    { RELOAD_UPDATE_REQ, sizeof (ReloadUpdateReq), reload_update_req_visit },
    { RELOAD_UPDATE_ANS, sizeof (ReloadUpdateAns), reload_update_ans_visit },
    { RELOAD_ROUTE_QUERY_REQ, sizeof (ReloadRouteQueryReq), reload_route_query_req_visit },
    { RELOAD_ROUTE_QUERY_ANS, sizeof (ReloadRouteQueryAns), reload_route_query_ans_visit },
  };
  wire_test_check_body_table (reload_topology_bodies, expected, G_N_ELEMENTS (expected));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/topology/probe-req", test_probe_req);
  g_test_add_func ("/topology/probe-ans", test_probe_ans);
  g_test_add_func ("/topology/join", test_join);
  g_test_add_func ("/topology/leave-req", test_leave_req);
  g_test_add_func ("/topology/empty-answers", test_empty_answers);
  g_test_add_func ("/topology/update-req", test_update_req);
  g_test_add_func ("/topology/route-query", test_route_query);
  g_test_add_func ("/topology/self-tuning-data", test_self_tuning_data);
  g_test_add_func ("/topology/in-message", test_in_message);
  g_test_add_func ("/topology/table", test_table);
  return g_test_run ();
}
