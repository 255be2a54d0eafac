/* test-diagnostics.c: RFC 7851's DiagnosticsRequest, DiagnosticsResponse,
 * every DiagnosticInfo kind, and the PathTrack bodies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"
#include "reload-diagnostics.h"
#include "reload-link.h"
#include "reload-message.h"
#include "wire-test-util.h"
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

static RwBytes
text (const char *s)
{
  return (RwBytes){ (const guint8 *) s, strlen (s) };
}

/* Round trip of @value, whose encoding must be exactly @hex. */
static void
roundtrip_hex (RwVisitFunc visit, gsize size, gpointer value, const char *hex)
{
  g_autoptr (GBytes) bytes = wire_test_roundtrip (visit, size, value, &options);
  assert_bytes_hex (bytes, hex);
}

/* Decodes @hex and checks the error's field, offset and code. */

static void
assert_json_has (RwVisitFunc visit, gpointer value, const char *const *needles)
{
  g_autofree char *json = wire_test_to_json (visit, value, &options);
  for (const char *const *n = needles; *n != NULL; n++)
    if (strstr (json, *n) == NULL)
      g_error ("JSON %s lacks %s", json, *n);
}

/* Shared hex of the fixed fields used below. */
#define EXPIRATION_HEX "0000015f5e100000"
#define INITIATED_HEX "0000015f5e0ffc18"
#define RECEIVED_HEX "0000015f5e0ffd00"
#define EXPIRATION G_GUINT64_CONSTANT (0x0000015f5e100000)
#define INITIATED G_GUINT64_CONSTANT (0x0000015f5e0ffc18)
#define RECEIVED G_GUINT64_CONSTANT (0x0000015f5e0ffd00)

/* ---------------------------------------------------------------- code points */

static void
test_code_points (void)
{
  /* §9.1: bit (kind - 1) of dMFlags asks for the kind. */
  g_assert_cmphex (RELOAD_DM_FLAG (RELOAD_DIAG_STATUS_INFO), ==, 0x1);
  g_assert_cmphex (RELOAD_DM_FLAG (RELOAD_DIAG_ROUTING_TABLE_SIZE), ==, 0x2);
  g_assert_cmphex (RELOAD_DM_FLAG (RELOAD_DIAG_DATASIZE_STORED), ==, 0x100);
  g_assert_cmphex (RELOAD_DM_FLAG (RELOAD_DIAG_BATTERY_STATUS), ==, 0x4000);

  g_assert_cmpstr (rw_enum_name (reload_message_code_names, 0x65), ==, "path_track_req");
  g_assert_cmpstr (rw_enum_name (reload_message_code_names, 0x66), ==, "path_track_ans");
  static const struct
  {
    guint code;
    const char *name;
  } errors[] = {
    { 0x65, "Error_Underlay_Destination_Unreachable" },
    { 0x66, "Error_Underlay_Time_Exceeded" },
    { 0x67, "Error_Message_Expired" },
    { 0x68, "Error_Upstream_Misrouting" },
    { 0x69, "Error_Loop_Detected" },
    { 0x6A, "Error_TTL_Hops_Exceeded" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (errors); i++)
    g_assert_cmpstr (rw_enum_name (reload_error_code_names, errors[i].code), ==, errors[i].name);
  g_assert_cmphex (RELOAD_EXTENSION_DIAGNOSTIC_PING, ==, 0x3);

  /* Every kind 1..15 has its RFC name. */
  for (guint k = RELOAD_DIAG_STATUS_INFO; k <= RELOAD_DIAG_BATTERY_STATUS; k++)
    g_assert_nonnull (rw_enum_name (reload_diagnostic_kind_names, k));
  g_assert_null (rw_enum_name (reload_diagnostic_kind_names, 0x10));
}

/* ---------------------------------------------------------------- request */

static void
test_request_empty (void)
{
  /* No extension: ext_length 0 and an empty vector (its own length 0). */
  ReloadDiagnosticsRequest r = {
    .expiration = EXPIRATION,
    .timestamp_initiated = INITIATED,
    .dm_flags = RELOAD_DM_FLAG (RELOAD_DIAG_STATUS_INFO) | RELOAD_DM_FLAG (RELOAD_DIAG_BANDWIDTH),
  };
  roundtrip_hex (reload_diagnostics_request_visit, sizeof r, &r,
                 EXPIRATION_HEX INITIATED_HEX "0000000000000009"
                                              "00000000"
                                              "00000000");
}

static void
test_request_extensions (void)
{
  ReloadDiagnosticExtension ext[] = {
    { .type = 7, .contents = text ("abcd") },
    { .type = 0xfff0, .contents = { NULL, 0 } },
  };
  ReloadDiagnosticsRequest r = {
    .expiration = EXPIRATION,
    .timestamp_initiated = INITIATED,
    .dm_flags = RELOAD_DM_FLAGS_ALL,
    .extensions = ext,
    .n_extensions = G_N_ELEMENTS (ext),
  };
  /* 10 + 6 = 16 bytes of list: ext_length and the list's own length agree. */
  roundtrip_hex (reload_diagnostics_request_visit, sizeof r, &r,
                 EXPIRATION_HEX INITIATED_HEX "ffffffffffffffff"
                                              "00000010"
                                              "00000010"
                                              "0007 00000004 61626364"
                                              "fff0 00000000");
  const char *const names[] = { "\"expiration\":", "\"timestamp_initiated\":",
                                "\"dMFlags\":\"18446744073709551615\"",
                                "\"diagnostic_extensions_list\":[{\"type\":7,"
                                "\"diagnostic_extension_contents\":\"61626364\"}",
                                NULL };
  assert_json_has (reload_diagnostics_request_visit, &r, names);

  /* The same contents decoded as the object of a Diagnostic_Ping
   * extension's contents: nothing on the wire for the object. */
  g_autoptr (GBytes) bytes =
      wire_test_roundtrip (reload_diagnostics_request_visit, sizeof r, &r, &options);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadDiagnosticsRequest d = { 0 };
  gsize n;
  const guint8 *data = g_bytes_get_data (bytes, &n);
  RwCodec *c = rw_codec_new_decoder (data, n, arena, &options);
  reload_diagnostics_request (c, "contents", &d);
  g_autoptr (GError) error = NULL;
  g_assert_true (rw_codec_finish (c, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (d.dm_flags, ==, G_MAXUINT64);
  g_assert_cmpuint (d.n_extensions, ==, 2);
  g_assert_cmpuint (d.extensions[0].type, ==, 7);
  g_assert_cmpmem (d.extensions[0].contents.data, d.extensions[0].contents.len, "abcd", 4);
  g_assert_cmpuint (d.extensions[1].contents.len, ==, 0);
}

static void
test_request_errors (void)
{
  const gsize size = sizeof (ReloadDiagnosticsRequest);
  /* ext_length disagrees with the list's own length (either way). */
  expect_error (reload_diagnostics_request_visit, size,
                EXPIRATION_HEX INITIATED_HEX "0000000000000000"
                                             "00000000"
                                             "0000000a"
                                             "0007 00000004 61626364",
                "ext_length", -1, RELOAD_WIRE_ERROR_LENGTH);
  /* The other reading (ext_length counting the list's prefix too). */
  expect_error (reload_diagnostics_request_visit, size,
                EXPIRATION_HEX INITIATED_HEX "0000000000000000"
                                             "0000000e"
                                             "0000000a"
                                             "0007 00000004 61626364",
                "ext_length", -1, RELOAD_WIRE_ERROR_LENGTH);
  /* The 4-byte empty form (ext_length 0, no vector) is not the RFC's. */
  expect_error (reload_diagnostics_request_visit, size,
                EXPIRATION_HEX INITIATED_HEX "0000000000000000"
                                             "00000000",
                "diagnostic_extensions_list", 28, RELOAD_WIRE_ERROR_TRUNCATED);
  /* An extension's contents run past the list. */
  expect_error (reload_diagnostics_request_visit, size,
                EXPIRATION_HEX INITIATED_HEX "0000000000000000"
                                             "0000000a"
                                             "0000000a"
                                             "0007 00000005 61626364",
                "diagnostic_extensions_list[0].diagnostic_extension_contents", 34,
                RELOAD_WIRE_ERROR_LENGTH);
  /* The list runs past the data. */
  expect_error (reload_diagnostics_request_visit, size,
                EXPIRATION_HEX INITIATED_HEX "0000000000000000"
                                             "0000000b"
                                             "0000000b"
                                             "0007 00000004 61626364",
                "diagnostic_extensions_list", -1, RELOAD_WIRE_ERROR_LENGTH);
  /* Truncated inside dMFlags. */
  expect_error (reload_diagnostics_request_visit, size, EXPIRATION_HEX INITIATED_HEX "000000",
                "dMFlags", 16, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- DiagnosticInfo */

static void
info_roundtrip (ReloadDiagnosticInfo *v, const char *hex, const char *member)
{
  roundtrip_hex (reload_diagnostic_info_visit, sizeof *v, v, hex);
  if (member != NULL)
    {
      const char *const names[] = { "\"kind\":", member, NULL };
      assert_json_has (reload_diagnostic_info_visit, v, names);
    }
}

static void
test_info_kinds (void)
{
  ReloadDiagnosticInfo v;

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_STATUS_INFO, .status_info = 1 };
  info_roundtrip (&v, "0001 0001 01", "\"kind\":\"STATUS_INFO\",\"status_info\":1");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_ROUTING_TABLE_SIZE, .routing_table_size = 42 };
  info_roundtrip (&v, "0002 0004 0000002a", "\"routing_table_size\":42");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_PROCESS_POWER, .process_power = 0x01020304 };
  info_roundtrip (&v, "0003 0004 01020304", "\"process_power\":16909060");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_BANDWIDTH, .bandwidth = 100000 };
  info_roundtrip (&v, "0004 0004 000186a0", "\"bandwidth\":100000");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_SOFTWARE_VERSION,
                              .software_version = text ("Chorus/0.1 Linux") };
  info_roundtrip (&v, "0005 0010 43686f7275732f302e31204c696e7578",
                  "\"software_version\":\"Chorus/0.1 Linux\"");

  /* Not text: {"hex": ...} in JSON, the same bytes on the wire. */
  static const guint8 binary[] = { 0xff, 0x00, 0xfe };
  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_SOFTWARE_VERSION,
                              .software_version = { binary, sizeof binary } };
  info_roundtrip (&v, "0005 0003 ff00fe", "\"software_version\":{\"hex\":\"ff00fe\"}");

  /* An empty version string. */
  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_SOFTWARE_VERSION };
  info_roundtrip (&v, "0005 0000", "\"software_version\":\"\"");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_MACHINE_UPTIME, .machine_uptime = 86400 };
  info_roundtrip (&v, "0006 0008 0000000000015180", "\"machine_uptime\":86400");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_APP_UPTIME, .app_uptime = 3600 };
  info_roundtrip (&v, "0007 0008 0000000000000e10", "\"app_uptime\":3600");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_MEMORY_FOOTPRINT, .memory_footprint = 2048 };
  info_roundtrip (&v, "0008 0004 00000800", "\"memory_footprint\":2048");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_DATASIZE_STORED,
                              .datasize_stored = G_GUINT64_CONSTANT (0x100000000) };
  info_roundtrip (&v, "0009 0008 0000000100000000", "\"datasize_stored\":4294967296");

  ReloadDiagInstancesStored inst[] = {
    { .kind = 1, .instances = 5 },
    { .kind = 0x7f000001, .instances = 0 },
  };
  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_INSTANCES_STORED,
                              .instances_stored = inst,
                              .n_instances_stored = G_N_ELEMENTS (inst) };
  info_roundtrip (&v, "000a 0018 00000001 0000000000000005 7f000001 0000000000000000",
                  "\"instances_stored\":[{\"kind\":1,\"instances\":5},");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_INSTANCES_STORED };
  info_roundtrip (&v, "000a 0000", "\"instances_stored\":[]");

  ReloadDiagMessagesSentRcvd msgs[] = {
    { .message_code = RELOAD_PING_REQ, .sent = 3, .rcvd = 4 },
    { .message_code = RELOAD_ERROR, .sent = 0, .rcvd = 1 },
    { .message_code = 0x7777, .sent = 9, .rcvd = 9 },
  };
  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_MESSAGES_SENT_RCVD,
                              .messages_sent_rcvd = msgs,
                              .n_messages_sent_rcvd = G_N_ELEMENTS (msgs) };
  info_roundtrip (&v,
                  "000b 0036"
                  "0017 0000000000000003 0000000000000004"
                  "ffff 0000000000000000 0000000000000001"
                  "7777 0000000000000009 0000000000000009",
                  "\"messages_sent_rcvd\":[{\"message_code\":\"ping_req\",\"sent\":3,\"rcvd\":4},"
                  "{\"message_code\":\"error\",");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_EWMA_BYTES_SENT, .ewma_bytes_sent = 1500 };
  info_roundtrip (&v, "000c 0004 000005dc", "\"ewma_bytes_sent\":1500");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_EWMA_BYTES_RCVD, .ewma_bytes_rcvd = 1400 };
  info_roundtrip (&v, "000d 0004 00000578", "\"ewma_bytes_rcvd\":1400");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_UNDERLAY_HOP, .underlay_hop = 12 };
  info_roundtrip (&v, "000e 0001 0c", "\"underlay_hop\":12");

  v = (ReloadDiagnosticInfo){ .kind = RELOAD_DIAG_BATTERY_STATUS, .battery_status = 2 };
  info_roundtrip (&v, "000f 0001 02", "\"kind\":\"BATTERY_STATUS\",\"battery_status\":2");

  /* Kinds this codec does not know (unassigned, private use) are kept raw,
   * the kind as a number. */
  v = (ReloadDiagnosticInfo){ .kind = 0x0010, .value = text ("xy") };
  info_roundtrip (&v, "0010 0002 7879", "\"kind\":16,\"value\":\"7879\"");
  v = (ReloadDiagnosticInfo){ .kind = 0xf001 };
  info_roundtrip (&v, "f001 0000", "\"kind\":61441,\"value\":\"\"");

  /* The JSON reader takes kind names and numbers alike. */
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (
      parser, "{\"kind\":\"UNDERLAY_HOP\",\"underlay_hop\":3}", -1, NULL));
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadDiagnosticInfo from = { 0 };
  RwCodec *c = rw_codec_new_json_reader (json_parser_get_root (parser), arena, &options);
  rw_object_begin (c, NULL);
  reload_diagnostic_info_visit (c, &from);
  rw_object_end (c);
  g_autoptr (GError) error = NULL;
  g_assert_true (rw_codec_finish (c, &error));
  g_assert_cmpuint (from.kind, ==, RELOAD_DIAG_UNDERLAY_HOP);
  g_assert_cmpuint (from.underlay_hop, ==, 3);
}

static void
test_info_errors (void)
{
  const gsize size = sizeof (ReloadDiagnosticInfo);
  RwVisitFunc visit = reload_diagnostic_info_visit;
  /* Kind 0 is reserved. */
  expect_error (visit, size, "0000 0001 00", "kind", 0, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* A one-byte kind with two bytes of contents. */
  expect_error (visit, size, "0001 0002 0100", "length", -1, RELOAD_WIRE_ERROR_TRAILING);
  /* A four-byte kind with two bytes of contents. */
  expect_error (visit, size, "0002 0002 0001", "routing_table_size", 4,
                RELOAD_WIRE_ERROR_TRUNCATED);
  /* An eight-byte kind with four bytes. */
  expect_error (visit, size, "0006 0004 00000001", "machine_uptime", 4,
                RELOAD_WIRE_ERROR_TRUNCATED);
  /* INSTANCES_STORED whose contents are not whole entries. */
  expect_error (visit, size, "000a 000d 00000001 0000000000000005 ff", "instances_stored[1].kind",
                16, RELOAD_WIRE_ERROR_TRUNCATED);
  /* MESSAGES_SENT_RCVD cut inside an entry. */
  expect_error (visit, size, "000b 0011 0017 0000000000000003 00000000000000",
                "messages_sent_rcvd[0].rcvd", 14, RELOAD_WIRE_ERROR_TRUNCATED);
  /* Contents longer than the data. */
  expect_error (visit, size, "0005 0010 4142", "length", 2, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (visit, size, "000a 0018 00000001", "instances_stored", -1,
                RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- response */

static void
test_response (void)
{
  ReloadDiagInstancesStored inst[] = { { .kind = 3, .instances = 2 } };
  ReloadDiagMessagesSentRcvd msgs[] = {
    { .message_code = RELOAD_PATH_TRACK_REQ, .sent = 1, .rcvd = 0 },
  };
  ReloadDiagnosticInfo info[] = {
    { .kind = RELOAD_DIAG_STATUS_INFO, .status_info = 0 },
    { .kind = RELOAD_DIAG_ROUTING_TABLE_SIZE, .routing_table_size = 7 },
    { .kind = RELOAD_DIAG_PROCESS_POWER, .process_power = 1 },
    { .kind = RELOAD_DIAG_BANDWIDTH, .bandwidth = 2 },
    { .kind = RELOAD_DIAG_SOFTWARE_VERSION, .software_version = text ("v1") },
    { .kind = RELOAD_DIAG_MACHINE_UPTIME, .machine_uptime = 3 },
    { .kind = RELOAD_DIAG_APP_UPTIME, .app_uptime = 4 },
    { .kind = RELOAD_DIAG_MEMORY_FOOTPRINT, .memory_footprint = 5 },
    { .kind = RELOAD_DIAG_DATASIZE_STORED, .datasize_stored = 6 },
    { .kind = RELOAD_DIAG_INSTANCES_STORED, .instances_stored = inst, .n_instances_stored = 1 },
    { .kind = RELOAD_DIAG_MESSAGES_SENT_RCVD,
      .messages_sent_rcvd = msgs,
      .n_messages_sent_rcvd = 1 },
    { .kind = RELOAD_DIAG_EWMA_BYTES_SENT, .ewma_bytes_sent = 8 },
    { .kind = RELOAD_DIAG_EWMA_BYTES_RCVD, .ewma_bytes_rcvd = 9 },
    { .kind = RELOAD_DIAG_UNDERLAY_HOP, .underlay_hop = 10 },
    { .kind = RELOAD_DIAG_BATTERY_STATUS, .battery_status = 11 },
    { .kind = 0xf00f, .value = text ("?") },
  };
  ReloadDiagnosticsResponse r = {
    .expiration = EXPIRATION,
    .timestamp_initiated = INITIATED,
    .timestamp_received = RECEIVED,
    .hop_counter = 3,
    .diagnostic_info_list = info,
    .n_diagnostic_info_list = G_N_ELEMENTS (info),
  };
  roundtrip_hex (reload_diagnostics_response_visit, sizeof r, &r,
                 EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX
                 "03"
                 "00000094"
                 "0001 0001 00"
                 "0002 0004 00000007"
                 "0003 0004 00000001"
                 "0004 0004 00000002"
                 "0005 0002 7631"
                 "0006 0008 0000000000000003"
                 "0007 0008 0000000000000004"
                 "0008 0004 00000005"
                 "0009 0008 0000000000000006"
                 "000a 000c 00000003 0000000000000002"
                 "000b 0012 0065 0000000000000001 0000000000000000"
                 "000c 0004 00000008"
                 "000d 0004 00000009"
                 "000e 0001 0a"
                 "000f 0001 0b"
                 "f00f 0001 3f");
  const char *const names[] = { "\"timestamp_received\":", "\"hop_counter\":3",
                                "\"diagnostic_info_list\":[{\"kind\":\"STATUS_INFO\"",
                                "{\"message_code\":\"path_track_req\",\"sent\":1,\"rcvd\":0}",
                                NULL };
  assert_json_has (reload_diagnostics_response_visit, &r, names);

  /* An empty list. */
  ReloadDiagnosticsResponse empty = { .hop_counter = 255 };
  roundtrip_hex (reload_diagnostics_response_visit, sizeof empty, &empty,
                 "0000000000000000 0000000000000000 0000000000000000 ff 00000000");

  /* Failures name the element. */
  const gsize size = sizeof (ReloadDiagnosticsResponse);
  expect_error (reload_diagnostics_response_visit, size,
                EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX "03"
                                                          "00000009"
                                                          "0001 0001 00"
                                                          "0000 0000",
                "diagnostic_info_list[1].kind", 34, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_diagnostics_response_visit, size,
                EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX "03"
                                                          "00000006"
                                                          "0001 0001 00",
                "diagnostic_info_list", 25, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_diagnostics_response_visit, size, EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX,
                "hop_counter", 24, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- PathTrack */

/* A PathTrackReq written by hand from RFC 7851 §4.3.1 and §5.1: a node
 * Destination (RFC 6940 §6.3.2.2: type 1, length 16, the Node-ID), then
 * the DiagnosticsRequest field by field. */
static const char path_track_req_hex[] =
    "01 10 000102030405060708090a0b0c0d0e0f" /* destination */
    "0000015f5e100000"                       /* expiration */
    "0000015f5e0ffc18"                       /* timestamp_initiated */
    "0000000000000003"                       /* dMFlags: STATUS_INFO | ROUTING_TABLE_SIZE */
    "0000000a"                               /* ext_length */
    "0000000a"                               /* diagnostic_extensions_list length */
    "0007 00000004 61626364";                /* {type 7, contents "abcd"} */

static void
test_path_track_req (void)
{
  g_autoptr (GBytes) bytes = wire_test_hex (path_track_req_hex);
  gsize n;
  const guint8 *data = g_bytes_get_data (bytes, &n);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadPathTrackReq d = { 0 };
  wire_test_decode (reload_path_track_req_visit, data, n, &options, arena, &d);
  ReloadNodeId want = nid (0);
  g_assert_cmpuint (d.destination.type, ==, RELOAD_DESTINATION_NODE);
  g_assert_true (reload_node_id_equal (&d.destination.node_id, &want));
  g_assert_cmpuint (d.request.expiration, ==, EXPIRATION);
  g_assert_cmpuint (d.request.timestamp_initiated, ==, INITIATED);
  g_assert_cmphex (d.request.dm_flags, ==,
                   RELOAD_DM_FLAG (RELOAD_DIAG_STATUS_INFO)
                       | RELOAD_DM_FLAG (RELOAD_DIAG_ROUTING_TABLE_SIZE));
  g_assert_cmpuint (d.request.n_extensions, ==, 1);
  g_assert_cmpuint (d.request.extensions[0].type, ==, 7);

  /* Built from fields, it encodes to the same bytes. */
  ReloadDiagnosticExtension ext = { .type = 7, .contents = text ("abcd") };
  ReloadPathTrackReq r = {
    .destination = { .type = RELOAD_DESTINATION_NODE, .node_id = nid (0) },
    .request = { .expiration = EXPIRATION,
                 .timestamp_initiated = INITIATED,
                 .dm_flags = 3,
                 .extensions = &ext,
                 .n_extensions = 1 },
  };
  roundtrip_hex (reload_path_track_req_visit, sizeof r, &r, path_track_req_hex);
  const char *const names[] = { "\"destination\":{\"type\":\"node\"",
                                "\"request\":{\"expiration\":", "\"dMFlags\":3", NULL };
  assert_json_has (reload_path_track_req_visit, &r, names);

  /* A resource destination. */
  ReloadPathTrackReq res = {
    .destination = { .type = RELOAD_DESTINATION_RESOURCE,
                     .resource_id = text ("0123456789abcdef") },
  };
  roundtrip_hex (reload_path_track_req_visit, sizeof res, &res,
                 "02 11 10 30313233343536373839616263646566"
                 "0000000000000000 0000000000000000 0000000000000000 00000000 00000000");

  const gsize size = sizeof (ReloadPathTrackReq);
  expect_error (reload_path_track_req_visit, size, "00 10 000102030405060708090a0b0c0d0e0f",
                "destination.type", 0, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_path_track_req_visit, size,
                "01 10 000102030405060708090a0b0c0d0e0f 0000015f5e10", "request.expiration", 18,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_path_track_req_visit, size,
                "01 10 000102030405060708090a0b0c0d0e0f"
                "0000015f5e100000 0000015f5e0ffc18 0000000000000003 00000004 00000000",
                "request.ext_length", -1, RELOAD_WIRE_ERROR_LENGTH);
}

static void
test_path_track_ans (void)
{
  ReloadDiagnosticInfo info[] = {
    { .kind = RELOAD_DIAG_STATUS_INFO, .status_info = 0 },
    { .kind = RELOAD_DIAG_ROUTING_TABLE_SIZE, .routing_table_size = 42 },
  };
  ReloadPathTrackAns a = {
    .next_hop = { .type = RELOAD_DESTINATION_NODE, .node_id = nid (0x20) },
    .response = { .expiration = EXPIRATION,
                  .timestamp_initiated = INITIATED,
                  .timestamp_received = RECEIVED,
                  .hop_counter = 2,
                  .diagnostic_info_list = info,
                  .n_diagnostic_info_list = G_N_ELEMENTS (info) },
  };
  /* By hand from §4.3.1 and §5.2. */
  roundtrip_hex (reload_path_track_ans_visit, sizeof a, &a,
                 "01 10 202122232425262728292a2b2c2d2e2f"       /* next_hop */
                 EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX "02" /* hop_counter */
                 "0000000d"                                     /* diagnostic_info_list: 13 bytes */
                 "0001 0001 00"
                 "0002 0004 0000002a");
  const char *const names[] = { "\"next_hop\":{\"type\":\"node\"",
                                "\"response\":{\"expiration\":", "\"routing_table_size\":42",
                                NULL };
  assert_json_has (reload_path_track_ans_visit, &a, names);

  /* A compressed next hop. */
  ReloadPathTrackAns c = {
    .next_hop = { .type = RELOAD_DESTINATION_OPAQUE_ID,
                  .compressed = TRUE,
                  .compressed_id = 0x8001 },
  };
  roundtrip_hex (reload_path_track_ans_visit, sizeof c, &c,
                 "8001 0000000000000000 0000000000000000 0000000000000000 00 00000000");

  expect_error (reload_path_track_ans_visit, sizeof a,
                "01 10 202122232425262728292a2b2c2d2e2f" EXPIRATION_HEX INITIATED_HEX RECEIVED_HEX
                "02 00000005 0001 0002 00",
                "response.diagnostic_info_list[0].length", 49, RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- whole messages */

static ReloadMessage *
message_to (guint16 code)
{
  ReloadMessage *m = reload_message_new ();
  ReloadForwardingHeader *h = &m->header;
  h->overlay = reload_overlay_hash ("chorus.example");
  h->ttl = 100;
  h->transaction_id = G_GUINT64_CONSTANT (0x1122334455667788);
  h->max_response_length = 0;
  h->n_destination_list = 1;
  h->destination_list = reload_message_alloc (m, sizeof (ReloadDestination));
  h->destination_list[0].type = RELOAD_DESTINATION_NODE;
  h->destination_list[0].node_id = nid (0x40);
  m->message_code = code;
  ReloadSignature *sig = &m->security_block.signature;
  sig->hash_algorithm = RELOAD_HASH_SHA256;
  sig->signature_algorithm = RELOAD_SIG_RSA;
  sig->identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  sig->identity.hash_alg = RELOAD_HASH_SHA256;
  sig->identity.hash = text ("0123456789abcdef0123456789abcdef");
  sig->signature_value = text ("sig");
  return m;
}

static GBytes *
message_roundtrip (ReloadMessage *m, const char *const *json_needles)
{
  g_autoptr (GError) error = NULL;
  GBytes *bytes = reload_message_encode (m, &options, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadMessage) d = reload_message_decode (bytes, &options, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) again = reload_message_encode (d, &options, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, again));
  g_autoptr (JsonNode) json = reload_message_to_json (d, &options, &error);
  g_assert_no_error (error);
  g_autofree char *text_json = json_to_string (json, FALSE);
  for (const char *const *n = json_needles; *n != NULL; n++)
    if (strstr (text_json, *n) == NULL)
      g_error ("JSON %s lacks %s", text_json, *n);
  g_autoptr (ReloadMessage) from = reload_message_from_json (json, &options, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) from_bytes = reload_message_encode (from, &options, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, from_bytes));
  return bytes;
}

static void
test_message_path_track (void)
{
  g_autoptr (ReloadMessage) m = message_to (RELOAD_PATH_TRACK_REQ);
  ReloadPathTrackReq *req = reload_message_alloc (m, sizeof *req);
  req->destination.type = RELOAD_DESTINATION_NODE;
  req->destination.node_id = nid (0x50);
  req->request.expiration = EXPIRATION;
  req->request.timestamp_initiated = INITIATED;
  req->request.dm_flags = RELOAD_DM_FLAG (RELOAD_DIAG_SOFTWARE_VERSION);
  m->body = req;
  const char *const req_names[] = { "\"message_code\":\"path_track_req\"", "\"dMFlags\":16", NULL };
  g_autoptr (GBytes) req_bytes = message_roundtrip (m, req_names);
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadMessage) d = reload_message_decode (req_bytes, &options, &error);
  g_assert_no_error (error);
  const ReloadPathTrackReq *got = d->body;
  g_assert_nonnull (got);
  g_assert_cmphex (got->request.dm_flags, ==, 0x10);

  g_autoptr (ReloadMessage) a = message_to (RELOAD_PATH_TRACK_ANS);
  ReloadPathTrackAns *ans = reload_message_alloc (a, sizeof *ans);
  ReloadDiagnosticInfo *info = reload_message_alloc (a, sizeof *info);
  info->kind = RELOAD_DIAG_SOFTWARE_VERSION;
  info->software_version = text ("chorus 0.1");
  ans->next_hop.type = RELOAD_DESTINATION_NODE;
  ans->next_hop.node_id = nid (0x60);
  ans->response.hop_counter = 1;
  ans->response.diagnostic_info_list = info;
  ans->response.n_diagnostic_info_list = 1;
  a->body = ans;
  const char *const ans_names[] = { "\"message_code\":\"path_track_ans\"",
                                    "\"software_version\":\"chorus 0.1\"", NULL };
  g_bytes_unref (message_roundtrip (a, ans_names));
}

/* §4.2.1: a Ping whose request carries a Diagnostic_Ping extension; the
 * message layer keeps the contents raw, which decode as a
 * DiagnosticsRequest. */
static void
test_message_diagnostic_ping (void)
{
  ReloadDiagnosticsRequest r = {
    .expiration = EXPIRATION,
    .timestamp_initiated = INITIATED,
    .dm_flags = RELOAD_DM_FLAG (RELOAD_DIAG_APP_UPTIME),
  };
  g_autoptr (GBytes) contents =
      wire_test_roundtrip (reload_diagnostics_request_visit, sizeof r, &r, &options);
  gsize n;
  const guint8 *data = g_bytes_get_data (contents, &n);

  g_autoptr (ReloadMessage) m = message_to (RELOAD_PING_REQ);
  ReloadPingReq *ping = reload_message_alloc (m, sizeof *ping);
  m->body = ping;
  m->n_extensions = 1;
  m->extensions = reload_message_alloc (m, sizeof (ReloadMessageExtension));
  m->extensions[0].type = RELOAD_EXTENSION_DIAGNOSTIC_PING;
  m->extensions[0].critical = FALSE; /* §4.2.1: not critical */
  m->extensions[0].contents = (RwBytes){ data, n };
  const char *const names[] = { "\"message_code\":\"ping_req\"", NULL };
  g_autoptr (GBytes) bytes = message_roundtrip (m, names);

  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadMessage) d = reload_message_decode (bytes, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (d->n_extensions, ==, 1);
  g_assert_cmpuint (d->extensions[0].type, ==, RELOAD_EXTENSION_DIAGNOSTIC_PING);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadDiagnosticsRequest got = { 0 };
  wire_test_decode (reload_diagnostics_request_visit, d->extensions[0].contents.data,
                    d->extensions[0].contents.len, &options, arena, &got);
  g_assert_cmpuint (got.expiration, ==, EXPIRATION);
  g_assert_cmphex (got.dm_flags, ==, 0x40);
}

/* ---------------------------------------------------------------- table */

static void
test_table (void)
{
  const ReloadBodyType *t = reload_body_type_lookup (RELOAD_PATH_TRACK_REQ);
  g_assert_nonnull (t);
  g_assert_true (t->visit == reload_path_track_req_visit);
  g_assert_cmpuint (t->size, ==, sizeof (ReloadPathTrackReq));
  t = reload_body_type_lookup (RELOAD_PATH_TRACK_ANS);
  g_assert_nonnull (t);
  g_assert_true (t->visit == reload_path_track_ans_visit);
  g_assert_cmpuint (t->size, ==, sizeof (ReloadPathTrackAns));
  guint n = 0;
  for (const ReloadBodyType *b = reload_diagnostics_bodies; b->visit != NULL; b++)
    n++;
  g_assert_cmpuint (n, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/diagnostics/code-points", test_code_points);
  g_test_add_func ("/diagnostics/request-empty", test_request_empty);
  g_test_add_func ("/diagnostics/request-extensions", test_request_extensions);
  g_test_add_func ("/diagnostics/request-errors", test_request_errors);
  g_test_add_func ("/diagnostics/info-kinds", test_info_kinds);
  g_test_add_func ("/diagnostics/info-errors", test_info_errors);
  g_test_add_func ("/diagnostics/response", test_response);
  g_test_add_func ("/diagnostics/path-track-req", test_path_track_req);
  g_test_add_func ("/diagnostics/path-track-ans", test_path_track_ans);
  g_test_add_func ("/diagnostics/message-path-track", test_message_path_track);
  g_test_add_func ("/diagnostics/message-diagnostic-ping", test_message_diagnostic_ping);
  g_test_add_func ("/diagnostics/table", test_table);
  return g_test_run ();
}
