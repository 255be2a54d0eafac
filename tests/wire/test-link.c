/* test-link.c: Attach, AppAttach, Ping and ConfigUpdate bodies (RFC 6940
 * §6.5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"
#include "reload-link.h"
#include "reload-message.h"
#include "wire-test-util.h"
#define assert_json_lacks(visit, value, needle) \
  wire_test_assert_json_lacks ((visit), (value), &options, (needle))
#define assert_json_contains(visit, value, needle) \
  wire_test_assert_json_contains ((visit), (value), &options, (needle))
#define expect_error(visit, size, hex, field, offset, code) \
  wire_test_expect_error_hex ((visit), (size), (hex), &options, (field), (offset), (code))

#define assert_bytes_hex wire_test_assert_bytes_hex

#include <string.h>

static const RwOptions options = { .node_id_length = 16 };

/* ---------------------------------------------------------------- helpers */

static RwBytes
text (const char *s)
{
  return (RwBytes){ (const guint8 *) s, strlen (s) };
}

static ReloadIpAddressPort
ipv4 (guint8 a, guint8 b, guint8 c, guint8 d, guint16 port)
{
  ReloadIpAddressPort v = { .type = RELOAD_ADDRESS_IPV4, .port = port };
  v.addr[0] = a;
  v.addr[1] = b;
  v.addr[2] = c;
  v.addr[3] = d;
  return v;
}

static ReloadIpAddressPort
ipv6_doc (guint8 last, guint16 port)
{
  /* 2001:db8::last */
  ReloadIpAddressPort v = { .type = RELOAD_ADDRESS_IPV6, .port = port };
  v.addr[0] = 0x20;
  v.addr[1] = 0x01;
  v.addr[2] = 0x0d;
  v.addr[3] = 0xb8;
  v.addr[15] = last;
  return v;
}

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

/* The host candidate of the hand-written vectors: 192.0.2.1:6084 over
 * DTLS-UDP-SR, foundation "1", priority 0x7e0000ff, no extension. */
#define HOST_CANDIDATE_HEX "01 06 c0000201 17c4  01  01 31  7e0000ff  01  0000"

/* ---------------------------------------------------------------- Attach */

static void
test_attach_vector (void)
{
  ReloadIceCandidate host = {
    .addr_port = ipv4 (192, 0, 2, 1, 6084),
    .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
    .foundation = text ("1"),
    .priority = 0x7e0000ff,
    .type = RELOAD_CAND_HOST,
  };
  ReloadAttachReqAns req = {
    .ufrag = text ("uf"),
    .password = text ("pw"),
    .role = text ("passive"),
    .candidates = &host,
    .n_candidates = 1,
    .send_update = TRUE,
  };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_attach_req_ans_visit, ReloadAttachReqAns, &req);
  /* §6.5.1.1: ufrag, password and role each opaque<0..2^8-1>; then
   * candidates<0..2^16-1> (18 bytes: IpAddressPort 8, overlay_link 1,
   * foundation 2, priority 4, type 1, extensions 2); then send_update. */
  assert_bytes_hex (a, "02 7566  02 7077  07 70617373697665  0012 " HOST_CANDIDATE_HEX "  01");
  assert_json_contains (
      reload_attach_req_ans_visit, &req,
      "{\"ufrag\":\"uf\",\"password\":\"pw\",\"role\":\"passive\",\"candidates\":[{"
      "\"addr_port\":{\"type\":\"ipv4_address\",\"address\":\"192.0.2.1\",\"port\":6084},"
      "\"overlay_link\":\"DTLS-UDP-SR\",\"foundation\":\"1\",\"priority\":2113929471,"
      "\"type\":\"host\",\"extensions\":[]}],\"send_update\":true}");
  assert_json_lacks (reload_attach_req_ans_visit, &req, "rel_addr_port");

  /* srflx: the select adds rel_addr_port after type. */
  ReloadIceCandidate srflx = host;
  srflx.type = RELOAD_CAND_SRFLX;
  srflx.addr_port = ipv4 (203, 0, 113, 7, 40000);
  srflx.rel_addr_port = ipv4 (10, 0, 0, 1, 5000);
  ReloadAttachReqAns ans = {
    .ufrag = text ("uf"),
    .password = text ("pw"),
    .role = text ("active"),
    .candidates = &srflx,
    .n_candidates = 1,
  };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_attach_req_ans_visit, ReloadAttachReqAns, &ans);
  assert_bytes_hex (b, "02 7566  02 7077  06 616374697665  001a "
                       "01 06 cb007107 9c40  01  01 31  7e0000ff  02  01 06 0a000001 1388  0000"
                       "  00");

  /* From JSON written by hand, the same bytes. */
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAttachReqAns got = { 0 };
  from_json (
      (RwVisitFunc) reload_attach_req_ans_visit,
      "{\"ufrag\":\"uf\",\"password\":\"pw\",\"role\":\"active\",\"candidates\":[{"
      "\"addr_port\":{\"type\":\"ipv4_address\",\"address\":\"203.0.113.7\",\"port\":40000},"
      "\"overlay_link\":\"DTLS-UDP-SR\",\"foundation\":\"1\",\"priority\":2113929471,"
      "\"type\":\"srflx\",\"rel_addr_port\":{\"type\":\"ipv4_address\",\"address\":\"10.0.0.1\","
      "\"port\":5000},\"extensions\":[]}],\"send_update\":false}",
      arena, &got);
  g_autoptr (GBytes) again = encode ((RwVisitFunc) reload_attach_req_ans_visit, &got);
  g_assert_true (g_bytes_equal (again, b));
}

static void
test_attach_roundtrip (void)
{
  ReloadIceExtension ext[] = {
    { text ("network-cost"), text ("10") },
    { text ("binary"), { (const guint8 *) "\xff\x00\x01", 3 } },
  };
  ReloadIceCandidate cands[] = {
    { .addr_port = ipv4 (192, 0, 2, 1, 6084),
      .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
      .foundation = text ("host1"),
      .priority = 2130706431,
      .type = RELOAD_CAND_HOST,
      .extensions = ext,
      .n_extensions = 2 },
    { .addr_port = ipv6_doc (1, 6084),
      .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
      .foundation = text ("srflx6"),
      .priority = 1694498815,
      .type = RELOAD_CAND_SRFLX,
      .rel_addr_port = ipv4 (10, 1, 2, 3, 6084) },
    { .addr_port = ipv4 (198, 51, 100, 9, 1234),
      .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
      .foundation = text ("prflx"),
      .priority = 1862270975,
      .type = RELOAD_CAND_PRFLX,
      .rel_addr_port = ipv4 (10, 1, 2, 3, 6084) },
    { .addr_port = ipv4 (203, 0, 113, 50, 3478),
      .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
      .foundation = text ("relay"),
      .priority = 16777215,
      .type = RELOAD_CAND_RELAY,
      .rel_addr_port = ipv6_doc (2, 50000) },
    /* No-ICE link types, an unnamed future link type (kept), an address
     * type this codec does not know (kept raw by IpAddressPort). */
    { .addr_port = ipv4 (192, 0, 2, 2, 6084),
      .overlay_link = RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE,
      .foundation = text (""),
      .priority = 1,
      .type = RELOAD_CAND_HOST },
    { .addr_port = { .type = 9, .unknown = text ("future") },
      .overlay_link = 42,
      .foundation = text ("x"),
      .priority = 0,
      .type = RELOAD_CAND_HOST },
  };
  ReloadAttachReqAns req = {
    .ufrag = text ("8hhY"),
    .password = text ("asd88fgpdd777uzjYhagZg"),
    .role = text ("passive"),
    .candidates = cands,
    .n_candidates = G_N_ELEMENTS (cands),
    .send_update = TRUE,
  };
  g_bytes_unref (ROUNDTRIP (reload_attach_req_ans_visit, ReloadAttachReqAns, &req));
  assert_json_contains (reload_attach_req_ans_visit, &req,
                        "\"type\":\"prflx\",\"rel_addr_port\":{");
  assert_json_contains (reload_attach_req_ans_visit, &req,
                        "\"type\":\"relay\",\"rel_addr_port\":{");
  assert_json_contains (reload_attach_req_ans_visit, &req,
                        "\"extensions\":[{\"name\":\"network-cost\",\"value\":\"10\"},"
                        "{\"name\":\"binary\",\"value\":{\"hex\":\"ff0001\"}}]");
  assert_json_contains (reload_attach_req_ans_visit, &req,
                        "\"overlay_link\":\"TLS-TCP-FH-NO-ICE\"");
  assert_json_contains (reload_attach_req_ans_visit, &req, "\"overlay_link\":42");

  /* A client's Attach with no candidate at all still round-trips. */
  /* (Empty strings point somewhere: rw_text() shows a NULL one as null.) */
  ReloadAttachReqAns empty = { .ufrag = text (""), .password = text (""), .role = text ("active") };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_attach_req_ans_visit, ReloadAttachReqAns, &empty);
  assert_bytes_hex (b, "00 00 06 616374697665 0000 00");
}

static void
test_attach_errors (void)
{
  const gsize size = sizeof (ReloadAttachReqAns);
  /* Offsets: ufrag 0-2, password 3-5, role 6-13, candidates length 14,
   * candidate from 16: addr_port 16-23, overlay_link 24, foundation 25-26,
   * priority 27-30, type 31, extensions 32-33; send_update 34. */
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 "
                "01 06 c0000201 17c4  01  01 31  7e0000ff  00  0000  01",
                "candidates[0].type", 31, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 "
                "01 06 c0000201 17c4  01  01 31  7e0000ff  05  0000  01",
                "candidates[0].type", 31, RELOAD_WIRE_ERROR_UNKNOWN_TYPE);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 "
                "01 06 c0000201 17c4  00  01 31  7e0000ff  01  0000  01",
                "candidates[0].overlay_link", 24, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* srflx without room for its rel_addr_port. */
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 "
                "01 06 c0000201 17c4  01  01 31  7e0000ff  02  01 06  01",
                "candidates[0].rel_addr_port.length", 33, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 " HOST_CANDIDATE_HEX "  02",
                "send_update", 34, RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 " HOST_CANDIDATE_HEX, "send_update", 34,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0014 " HOST_CANDIDATE_HEX "  01",
                "candidates", 14, RELOAD_WIRE_ERROR_LENGTH);
  /* One byte too many: send_update is read as a second candidate. */
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0013 " HOST_CANDIDATE_HEX "  01",
                "candidates[1].addr_port.length", 35, RELOAD_WIRE_ERROR_TRUNCATED);
  /* A candidates length one short: the last field is cut. */
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0011 " HOST_CANDIDATE_HEX "  01",
                "candidates[0].extensions", 32, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_attach_req_ans_visit, size,
                "02 7566  02 7077  07 70617373697665  0012 " HOST_CANDIDATE_HEX "  01 00",
                "message", 35, RELOAD_WIRE_ERROR_TRAILING);
  expect_error (reload_attach_req_ans_visit, size, "05 7566", "ufrag", 0, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_attach_req_ans_visit, size, "02 7566 09 7077", "password", 3,
                RELOAD_WIRE_ERROR_LENGTH);
  /* An extension whose value runs past the extensions list. */
  expect_error (reload_attach_req_ans_visit, size,
                "00 00 00  0018 "
                "01 06 c0000201 17c4  01  01 31  7e0000ff  01  0006 0001 61 0009 6263  01",
                "candidates[0].extensions[0].value", 26, RELOAD_WIRE_ERROR_LENGTH);
  /* A foundation longer than the candidate. */
  expect_error (reload_attach_req_ans_visit, size, "00 00 00  000b 01 06 c0000201 17c4 01 05 31",
                "candidates[0].foundation", 14, RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- AppAttach */

static void
test_app_attach (void)
{
  ReloadIceCandidate host = {
    .addr_port = ipv4 (192, 0, 2, 1, 6084),
    .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
    .foundation = text ("1"),
    .priority = 0x7e0000ff,
    .type = RELOAD_CAND_HOST,
  };
  ReloadAppAttachReq req = {
    .ufrag = text ("uf"),
    .password = text ("pw"),
    .application = 5060,
    .role = text ("actpass"),
    .candidates = &host,
    .n_candidates = 1,
  };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_app_attach_visit, ReloadAppAttachReq, &req);
  /* §6.5.2.1: ufrag, password, uint16 application, role, candidates; no
   * send_update. */
  assert_bytes_hex (a, "02 7566  02 7077  13c4  07 61637470617373  0012 " HOST_CANDIDATE_HEX);
  assert_json_contains (
      reload_app_attach_visit, &req,
      "{\"ufrag\":\"uf\",\"password\":\"pw\",\"application\":5060,\"role\":\"actpass\","
      "\"candidates\":[{");
  assert_json_lacks (reload_app_attach_visit, &req, "send_update");

  ReloadIceCandidate relay = host;
  relay.type = RELOAD_CAND_RELAY;
  relay.rel_addr_port = ipv6_doc (7, 3478);
  ReloadAppAttachAns ans = {
    .ufrag = text ("UFRAG"),
    .password = text ("a password of twenty-two"),
    .application = 5061,
    .role = text ("active"),
    .candidates = &relay,
    .n_candidates = 1,
  };
  g_bytes_unref (ROUNDTRIP (reload_app_attach_visit, ReloadAppAttachAns, &ans));
  assert_json_contains (reload_app_attach_visit, &ans, "\"application\":5061");

  expect_error (reload_app_attach_visit, sizeof (ReloadAppAttachReq), "02 7566  02 7077  13",
                "application", 6, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_app_attach_visit, sizeof (ReloadAppAttachReq),
                "02 7566  02 7077  13c4  07 6163", "role", 8, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_app_attach_visit, sizeof (ReloadAppAttachReq), "00 00 13c4 00", "candidates",
                5, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- Ping */

static void
test_ping (void)
{
  /* NOTES: an empty PingReq is still two bytes. */
  ReloadPingReq empty = { 0 };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_ping_req_visit, ReloadPingReq, &empty);
  assert_bytes_hex (a, "0000");
  assert_json_contains (reload_ping_req_visit, &empty, "{\"padding\":\"\"}");

  guint8 pad[300];
  memset (pad, 0x5a, sizeof pad);
  ReloadPingReq padded = { { pad, sizeof pad } };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_ping_req_visit, ReloadPingReq, &padded);
  g_assert_cmpuint (g_bytes_get_size (b), ==, 302);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (b, NULL))[0], ==, 0x01);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (b, NULL))[1], ==, 0x2c);

  expect_error (reload_ping_req_visit, sizeof (ReloadPingReq), "0005 0000", "padding", 0,
                RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_ping_req_visit, sizeof (ReloadPingReq), "00", "padding", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_ping_req_visit, sizeof (ReloadPingReq), "0001 00 00", "message", 3,
                RELOAD_WIRE_ERROR_TRAILING);

  ReloadPingAns ans = { .response_id = G_GUINT64_CONSTANT (0xfedcba9876543210),
                        .time = G_GUINT64_CONSTANT (1700000000000) };
  g_autoptr (GBytes) c = ROUNDTRIP (reload_ping_ans_visit, ReloadPingAns, &ans);
  /* §6.5.3.2: uint64 response_id, uint64 time (ms). */
  assert_bytes_hex (c, "fedcba9876543210 0000018bcfe56800");
  assert_json_contains (reload_ping_ans_visit, &ans,
                        "{\"response_id\":\"fedcba9876543210\",\"time\":1700000000000}");
  expect_error (reload_ping_ans_visit, sizeof (ReloadPingAns), "fedcba9876543210 0000018bcfe568",
                "time", 8, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_ping_ans_visit, sizeof (ReloadPingAns), "fedcba98", "response_id", 0,
                RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- ConfigUpdate */

static void
test_config_update (void)
{
  ReloadConfigUpdateReq config = { .type = RELOAD_CONFIG_UPDATE_CONFIG,
                                   .config_data = text ("<a>") };
  g_autoptr (GBytes) a = ROUNDTRIP (reload_config_update_req_visit, ReloadConfigUpdateReq, &config);
  /* §6.5.4.1: type, uint32 length of the rest, config_data<0..2^24-1>. */
  assert_bytes_hex (a, "01 00000006 000003 3c613e");
  assert_json_contains (reload_config_update_req_visit, &config,
                        "{\"type\":\"config\",\"config_data\":\"<a>\"}");

  RwBytes kinds[] = { text ("abc"), text ("x") };
  ReloadConfigUpdateReq kind = { .type = RELOAD_CONFIG_UPDATE_KIND, .kinds = kinds, .n_kinds = 2 };
  g_autoptr (GBytes) b = ROUNDTRIP (reload_config_update_req_visit, ReloadConfigUpdateReq, &kind);
  /* kinds<0..2^24-1> of KindDescription<0..2^16-1>. */
  assert_bytes_hex (b, "02 0000000b 000008 0003 616263 0001 78");
  assert_json_contains (reload_config_update_req_visit, &kind,
                        "{\"type\":\"kind\",\"kinds\":[\"abc\",\"x\"]}");

  const char *xml = "<kind name=\"SIP-REGISTRATION\"><data-model>DICTIONARY</data-model>"
                    "<access-control>USER-NODE-MATCH</access-control><max-count>1</max-count>"
                    "<max-size>100</max-size></kind>";
  RwBytes one_kind[] = { text (xml) };
  ReloadConfigUpdateReq real = { .type = RELOAD_CONFIG_UPDATE_KIND,
                                 .kinds = one_kind,
                                 .n_kinds = 1 };
  g_bytes_unref (ROUNDTRIP (reload_config_update_req_visit, ReloadConfigUpdateReq, &real));

  ReloadConfigUpdateReq none = { .type = RELOAD_CONFIG_UPDATE_KIND };
  g_autoptr (GBytes) d = ROUNDTRIP (reload_config_update_req_visit, ReloadConfigUpdateReq, &none);
  assert_bytes_hex (d, "02 00000003 000000");

  /* "This structure may be extended with new types": kept raw. */
  ReloadConfigUpdateReq future = { .type = 7, .unknown = text ("new") };
  g_autoptr (GBytes) e = ROUNDTRIP (reload_config_update_req_visit, ReloadConfigUpdateReq, &future);
  assert_bytes_hex (e, "07 00000003 6e6577");
  assert_json_contains (reload_config_update_req_visit, &future,
                        "{\"type\":7,\"value\":\"6e6577\"}");

  /* From JSON written by hand. */
  {
    g_autoptr (RwArena) arena = rw_arena_new (0);
    ReloadConfigUpdateReq got = { 0 };
    from_json ((RwVisitFunc) reload_config_update_req_visit,
               "{\"type\":\"kind\",\"kinds\":[\"abc\",\"x\"]}", arena, &got);
    g_autoptr (GBytes) again = encode ((RwVisitFunc) reload_config_update_req_visit, &got);
    g_assert_true (g_bytes_equal (again, b));
  }

  const gsize size = sizeof (ReloadConfigUpdateReq);
  expect_error (reload_config_update_req_visit, size, "00 00000000", "type", 0,
                RELOAD_WIRE_ERROR_INVALID_VALUE);
  expect_error (reload_config_update_req_visit, size, "01 00000007 000003 3c613e 00", "length", 11,
                RELOAD_WIRE_ERROR_TRAILING);
  expect_error (reload_config_update_req_visit, size, "01 00000008 000003 3c613e", "length", 1,
                RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_config_update_req_visit, size, "01 00000006 000004 3c613e 3e",
                "length.config_data", 5, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_config_update_req_visit, size, "02 00000009 000006 0003 616263 00",
                "length.kinds[1]", 13, RELOAD_WIRE_ERROR_TRUNCATED);
  expect_error (reload_config_update_req_visit, size, "02 0000000b 000008 0003 616263 0002 78",
                "length.kinds[1]", 13, RELOAD_WIRE_ERROR_LENGTH);
  expect_error (reload_config_update_req_visit, size, "01 000000", "length", 1,
                RELOAD_WIRE_ERROR_TRUNCATED);

  ReloadConfigUpdateAns ans = { 0 };
  g_autoptr (GBytes) f = ROUNDTRIP (reload_config_update_ans_visit, ReloadConfigUpdateAns, &ans);
  g_assert_cmpuint (g_bytes_get_size (f), ==, 0);
  expect_error (reload_config_update_ans_visit, sizeof (ReloadConfigUpdateAns), "00", "message", 0,
                RELOAD_WIRE_ERROR_TRAILING);
}

/* ---------------------------------------------------------------- in a message */

/* An Attach answer inside a whole message: the message layer finds the
 * body through the table and shows it typed. */
static void
test_in_message (void)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  m->header.overlay = reload_overlay_hash ("chorus.example");
  m->header.transaction_id = 7;
  m->header.n_destination_list = 1;
  m->header.destination_list = reload_message_alloc (m, sizeof (ReloadDestination));
  m->header.destination_list[0].type = RELOAD_DESTINATION_OPAQUE_ID;
  m->header.destination_list[0].compressed = TRUE;
  m->header.destination_list[0].compressed_id = 0x8001;
  ReloadIceCandidate relay = {
    .addr_port = ipv4 (203, 0, 113, 50, 3478),
    .overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR,
    .foundation = text ("r1"),
    .priority = 16777215,
    .type = RELOAD_CAND_RELAY,
    .rel_addr_port = ipv4 (10, 0, 0, 2, 6084),
  };
  ReloadAttachReqAns ans = {
    .ufrag = text ("uf"),
    .password = text ("pw"),
    .role = text ("active"),
    .candidates = &relay,
    .n_candidates = 1,
  };
  m->message_code = RELOAD_ATTACH_ANS;
  m->body = &ans;
  m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;

  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) wire = reload_message_encode (m, &options, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadMessage) back = reload_message_decode (wire, &options, &error);
  g_assert_no_error (error);
  const ReloadAttachReqAns *got = back->body;
  g_assert_cmpuint (got->n_candidates, ==, 1);
  g_assert_cmpuint (got->candidates[0].type, ==, RELOAD_CAND_RELAY);
  g_assert_cmpuint (got->candidates[0].rel_addr_port.port, ==, 6084);
  g_assert_cmpmem (got->role.data, got->role.len, "active", 6);

  wire_test_message_json_roundtrip (
      back, wire, &options, "\"body\":{\"ufrag\":\"uf\",\"password\":\"pw\",\"role\":\"active\"");
}

/* ---------------------------------------------------------------- table */

static void
test_table (void)
{
  static const ReloadBodyType expected[] = {
    { RELOAD_ATTACH_REQ, sizeof (ReloadAttachReqAns), reload_attach_req_ans_visit },
    { RELOAD_ATTACH_ANS, sizeof (ReloadAttachReqAns), reload_attach_req_ans_visit },
    { RELOAD_APP_ATTACH_REQ, sizeof (ReloadAppAttachReq), reload_app_attach_visit },
    { RELOAD_APP_ATTACH_ANS, sizeof (ReloadAppAttachAns), reload_app_attach_visit },
    { RELOAD_PING_REQ, sizeof (ReloadPingReq), reload_ping_req_visit },
    { RELOAD_PING_ANS, sizeof (ReloadPingAns), reload_ping_ans_visit },
    { RELOAD_CONFIG_UPDATE_REQ, sizeof (ReloadConfigUpdateReq), reload_config_update_req_visit },
    { RELOAD_CONFIG_UPDATE_ANS, sizeof (ReloadConfigUpdateAns), reload_config_update_ans_visit },
  };
  wire_test_check_body_table (reload_link_bodies, expected, G_N_ELEMENTS (expected));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/link/attach-vector", test_attach_vector);
  g_test_add_func ("/link/attach-roundtrip", test_attach_roundtrip);
  g_test_add_func ("/link/attach-errors", test_attach_errors);
  g_test_add_func ("/link/app-attach", test_app_attach);
  g_test_add_func ("/link/ping", test_ping);
  g_test_add_func ("/link/config-update", test_config_update);
  g_test_add_func ("/link/in-message", test_in_message);
  g_test_add_func ("/link/table", test_table);
  return g_test_run ();
}
