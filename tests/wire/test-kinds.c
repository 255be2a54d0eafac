/* test-kinds.c: the values of the built-in kinds (RFC 7904 §3.1, RFC 6940
 * §8 and §9, RFC 7374 §4.1), each inside the 4-byte length of the
 * DataValue that carries it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-kinds.h"
#include "wire-test-util.h"

#include <string.h>

static const RwOptions options = { .node_id_length = 16 };

/* A value as DataValue.value carries it: opaque<0..2^32-1> around the
 * typed fields.  The kind is not on the wire; the test sets it. */
static guint32 value_kind;

static void
visit_value (RwCodec *c, gpointer p)
{
  RwBlock b;
  rw_object_begin (c, "value");
  rw_block_begin (c, NULL, 4, 0, &b);
  reload_kind_value (c, value_kind, p);
  rw_block_end (c, &b);
  rw_object_end (c);
}

static RwBytes
text (const char *s)
{
  return (RwBytes){ (const guint8 *) s, strlen (s) };
}

static void
node_id_fill (ReloadNodeId *id, guint8 seed)
{
  id->len = 16;
  for (guint i = 0; i < 16; i++)
    id->id[i] = (guint8) (seed + i);
}

static GBytes *
roundtrip (guint32 kind, ReloadKindValue *v)
{
  value_kind = kind;
  return wire_test_roundtrip (visit_value, sizeof (ReloadKindValue), v, &options);
}

static char *
to_json (guint32 kind, ReloadKindValue *v)
{
  value_kind = kind;
  return wire_test_to_json (visit_value, v, &options);
}

static void
decode_hex (guint32 kind, const char *hex, RwArena *arena, ReloadKindValue *out)
{
  g_autoptr (GBytes) bytes = wire_test_hex (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  /* the arena-backed copy outlives @bytes */
  guint8 *copy = rw_arena_alloc0 (arena, len + 1);
  memcpy (copy, data, len);
  value_kind = kind;
  memset (out, 0, sizeof *out);
  wire_test_decode (visit_value, copy, len, &options, arena, out);
}

static GError *
expect_error (guint32 kind, const char *hex, const char *field)
{
  g_autoptr (GBytes) bytes = wire_test_hex (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  value_kind = kind;
  return wire_test_expect_error (visit_value, sizeof (ReloadKindValue), data, len, &options, field,
                                 -1);
}

/* ---------------------------------------------------------------- SIP */

static void
test_sip_uri (void)
{
  ReloadKindValue v = { 0 };
  v.sip_registration.type = RELOAD_SIP_REGISTRATION_URI;
  v.sip_registration.uri = text ("sip:alice@example.org");
  g_autoptr (GBytes) bytes = roundtrip (RELOAD_KIND_SIP_REGISTRATION, &v);

  /* RFC 7904 §3.1 by hand: value length 26, type 1, length 23, then
   * uri<0..2^16-1> of 21 bytes. */
  g_autoptr (GBytes) expected = wire_test_hex ("0000001a 01 0017 0015"
                                               "7369703a616c696365406578616d706c652e6f7267");
  g_assert_true (g_bytes_equal (bytes, expected));

  g_autofree char *json = to_json (RELOAD_KIND_SIP_REGISTRATION, &v);
  g_assert_nonnull (strstr (json, "\"type\":\"sip_registration_uri\""));
  g_assert_nonnull (strstr (json, "\"uri\":\"sip:alice@example.org\""));
}

static void
test_sip_route (void)
{
  ReloadDestination dests[3] = { 0 };
  dests[0].type = RELOAD_DESTINATION_NODE;
  node_id_fill (&dests[0].node_id, 0x40);
  dests[1].type = RELOAD_DESTINATION_OPAQUE_ID;
  dests[1].compressed = TRUE;
  dests[1].compressed_id = 0x8001;
  dests[2].type = RELOAD_DESTINATION_OPAQUE_ID;
  dests[2].opaque_id = text ("ua-7");

  ReloadKindValue v = { 0 };
  v.sip_registration.type = RELOAD_SIP_REGISTRATION_ROUTE;
  v.sip_registration.contact_prefs = text ("audio;video");
  v.sip_registration.destination_list = dests;
  v.sip_registration.n_destination_list = 3;
  g_bytes_unref (roundtrip (RELOAD_KIND_SIP_REGISTRATION, &v));

  g_autofree char *json = to_json (RELOAD_KIND_SIP_REGISTRATION, &v);
  g_assert_nonnull (strstr (json, "\"type\":\"sip_registration_route\""));
  g_assert_nonnull (strstr (json, "\"contact_prefs\":\"audio;video\""));
  g_assert_nonnull (strstr (json, "\"destination_list\":["));

  /* Hand-written: empty contact_prefs, one node destination. */
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadKindValue d;
  decode_hex (RELOAD_KIND_SIP_REGISTRATION,
              "00000019 02 0016 0000 0012 01 10 000102030405060708090a0b0c0d0e0f", arena, &d);
  g_assert_cmpuint (d.sip_registration.type, ==, RELOAD_SIP_REGISTRATION_ROUTE);
  g_assert_cmpuint (d.sip_registration.contact_prefs.len, ==, 0);
  g_assert_cmpuint (d.sip_registration.n_destination_list, ==, 1);
  g_assert_cmpuint (d.sip_registration.destination_list[0].type, ==, RELOAD_DESTINATION_NODE);
  g_assert_cmpuint (d.sip_registration.destination_list[0].node_id.id[15], ==, 0x0f);

  /* An empty destination list is syntactically fine. */
  v.sip_registration.n_destination_list = 0;
  v.sip_registration.destination_list = NULL;
  g_bytes_unref (roundtrip (RELOAD_KIND_SIP_REGISTRATION, &v));
}

static void
test_sip_unknown_type (void)
{
  /* "This type can be extended": type 9 is carried whole in its length. */
  ReloadKindValue v = { 0 };
  v.sip_registration.type = 9;
  v.sip_registration.unknown = text ("future");
  g_bytes_unref (roundtrip (RELOAD_KIND_SIP_REGISTRATION, &v));
  g_autofree char *json = to_json (RELOAD_KIND_SIP_REGISTRATION, &v);
  g_assert_nonnull (strstr (json, "\"type\":9"));
  g_assert_nonnull (strstr (json, "\"data\":\"667574757265\""));
}

static void
test_sip_failures (void)
{
  /* type 0 */
  g_autoptr (GError) e1 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "00000004 00 0001 00", "value.type");
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* the registration's length runs past the value */
  g_autoptr (GError) e2 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "00000005 01 0009 0000", "value");
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* the uri's length runs past the registration's length */
  g_autoptr (GError) e3 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "00000006 01 0003 0002 41 42", "value.uri");
  g_assert_error (e3, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* a byte left over inside the registration's length */
  g_autoptr (GError) e4 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "00000007 01 0004 0001 41 42", "left over");
  g_assert_error (e4, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  /* a byte left over inside the value's length, after the registration */
  g_autoptr (GError) e5 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "00000007 01 0003 0001 41 42", "left over");
  g_assert_error (e5, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  /* a destination cut by the destination list's length */
  g_autoptr (GError) e6 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "0000000b 02 0008 0000 0004 01 10 0001",
                    "value.destination_list[0]");
  g_assert_error (e6, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* an invalid destination type inside the list */
  g_autoptr (GError) e7 =
      expect_error (RELOAD_KIND_SIP_REGISTRATION, "0000000b 02 0008 0000 0004 00 02 0000",
                    "destination_list[0].type");
  g_assert_error (e7, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);

  /* the encoder refuses type 0 too */
  ReloadKindValue v = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) none =
      reload_kind_value_encode (RELOAD_KIND_SIP_REGISTRATION, &v, &options, &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
}

/* ---------------------------------------------------------------- TURN */

static void
test_turn (void)
{
  ReloadKindValue v = { 0 };
  v.turn_server.iteration = 3;
  v.turn_server.server_address.type = RELOAD_ADDRESS_IPV4;
  memcpy (v.turn_server.server_address.addr, (guint8[]){ 192, 0, 2, 1 }, 4);
  v.turn_server.server_address.port = 3478;
  g_autoptr (GBytes) bytes = roundtrip (RELOAD_KIND_TURN_SERVICE, &v);
  /* §9 and §6.3.1.1 by hand: iteration, type 1, length 6, address, port. */
  g_autoptr (GBytes) expected = wire_test_hex ("00000009 03 01 06 c0000201 0d96");
  g_assert_true (g_bytes_equal (bytes, expected));
  g_autofree char *json = to_json (RELOAD_KIND_TURN_SERVICE, &v);
  g_assert_nonnull (strstr (json, "\"iteration\":3"));
  g_assert_nonnull (strstr (json, "\"address\":\"192.0.2.1\""));

  v.turn_server.server_address.type = RELOAD_ADDRESS_IPV6;
  memset (v.turn_server.server_address.addr, 0, 16);
  v.turn_server.server_address.addr[0] = 0x20;
  v.turn_server.server_address.addr[1] = 0x01;
  v.turn_server.server_address.addr[2] = 0x0d;
  v.turn_server.server_address.addr[3] = 0xb8;
  v.turn_server.server_address.addr[15] = 1;
  g_autoptr (GBytes) bytes6 = roundtrip (RELOAD_KIND_TURN_SERVICE, &v);
  g_assert_cmpuint (g_bytes_get_size (bytes6), ==, 4 + 1 + 2 + 16 + 2);

  /* invalid address type, trailing byte, short value */
  g_autoptr (GError) e1 = expect_error (RELOAD_KIND_TURN_SERVICE, "00000009 03 00 06 c0000201 0d96",
                                        "invalidAddressType");
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  g_autoptr (GError) e2 =
      expect_error (RELOAD_KIND_TURN_SERVICE, "0000000a 03 01 06 c0000201 0d96 00", "left over");
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  g_autoptr (GError) e3 =
      expect_error (RELOAD_KIND_TURN_SERVICE, "00000001 03", "value.server_address.type");
  g_assert_error (e3, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- certificates */

static void
test_certificate (void)
{
  static const guint8 der[] = { 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00 };
  ReloadKindValue v = { 0 };
  v.certificate = (RwBytes){ der, sizeof der };
  g_autoptr (GBytes) a = roundtrip (RELOAD_KIND_CERTIFICATE_BY_NODE, &v);
  g_autoptr (GBytes) b = roundtrip (RELOAD_KIND_CERTIFICATE_BY_USER, &v);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_cmpuint (g_bytes_get_size (a), ==, 4 + sizeof der);
  g_autofree char *json = to_json (RELOAD_KIND_CERTIFICATE_BY_USER, &v);
  g_assert_cmpstr (json, ==, "{\"value\":{\"certificate\":\"3082010a0282010100\"}}");
}

/* ---------------------------------------------------------------- REDIR */

static void
test_redir (void)
{
  ReloadKindValue v = { 0 };
  node_id_fill (&v.redir.service_provider, 0xa0);
  v.redir.name_space = text ("turn-server");
  v.redir.level = 2;
  v.redir.node = 1;
  g_autoptr (GBytes) bytes = roundtrip (RELOAD_KIND_REDIR, &v);
  /* value length, length 0x1f, 16-byte Node-ID, namespace<0..2^16-1>,
   * level, node */
  g_autoptr (GBytes) expected = wire_test_hex ("00000023 0021 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                                               "000b 7475726e2d736572766572 0002 0001");
  g_assert_true (g_bytes_equal (bytes, expected));
  g_autofree char *json = to_json (RELOAD_KIND_REDIR, &v);
  g_assert_nonnull (strstr (json, "\"service_provider\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\""));
  g_assert_nonnull (strstr (json, "\"namespace\":\"turn-server\""));
  g_assert_nonnull (strstr (json, "\"level\":2"));
  g_assert_null (strstr (json, "extension"));

  /* bytes after the four fields: an extension, carried whole */
  v.redir.extension = text ("xt");
  g_autoptr (GBytes) ext = roundtrip (RELOAD_KIND_REDIR, &v);
  g_assert_cmpuint (g_bytes_get_size (ext), ==, g_bytes_get_size (bytes) + 2);
  g_autofree char *json2 = to_json (RELOAD_KIND_REDIR, &v);
  g_assert_nonnull (strstr (json2, "\"extension\":\"7874\""));

  /* 20-byte Node-IDs follow the overlay's node-id-length */
  RwOptions wide = { .node_id_length = 20 };
  v.redir.service_provider.len = 20;
  value_kind = RELOAD_KIND_REDIR;
  g_autoptr (GBytes) b20 = wire_test_roundtrip (visit_value, sizeof v, &v, &wide);
  g_assert_cmpuint (g_bytes_get_size (b20), ==, g_bytes_get_size (ext) + 4);

  /* a value too short for the Node-ID */
  g_autoptr (GError) e1 =
      expect_error (RELOAD_KIND_REDIR, "00000006 0004 a0a1a2a3", "value.service_provider");
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* the length runs past the value */
  g_autoptr (GError) e2 = expect_error (RELOAD_KIND_REDIR, "00000004 00ff a0a1", "value");
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- helpers */

static void
test_decode_encode_helpers (void)
{
  g_autoptr (GBytes) bytes =
      wire_test_hex ("01 0017 0015 7369703a616c696365406578616d706c652e6f7267");
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadKindValue v = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_kind_value_decode (RELOAD_KIND_SIP_REGISTRATION, data, len, &options, arena,
                                           &v, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v.sip_registration.uri.len, ==, 21);
  g_autoptr (GBytes) again =
      reload_kind_value_encode (RELOAD_KIND_SIP_REGISTRATION, &v, &options, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, again));

  /* strict: one byte more fails, naming the value */
  g_autoptr (GBytes) longer = wire_test_hex ("01 0002 0000 ff");
  data = g_bytes_get_data (longer, &len);
  g_assert_false (reload_kind_value_decode (RELOAD_KIND_SIP_REGISTRATION, data, len, &options,
                                            arena, &v, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  g_assert_nonnull (strstr (error->message, "value"));
  g_clear_error (&error);

  /* a kind without a typed form */
  g_assert_false (reload_kind_is_typed (4000));
  g_assert_null (reload_kind_name (4000));
  g_assert_cmpstr (reload_kind_name (RELOAD_KIND_REDIR), ==, "REDIR");
  g_assert_false (reload_kind_value_decode (4000, data, len, &options, arena, &v, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
}

static void
test_json_errors (void)
{
  /* JSON that names an unknown SIP registration type, or lacks a field. */
  const char *cases[] = {
    "{\"value\":{\"type\":\"sip_registration_bogus\",\"uri\":\"x\"}}",
    "{\"value\":{\"type\":\"sip_registration_uri\"}}",
    "{\"value\":{\"type\":0,\"uri\":\"x\"}}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, cases[i], -1, NULL));
      g_autoptr (RwArena) arena = rw_arena_new (0);
      ReloadKindValue v = { 0 };
      RwCodec *c = rw_codec_new_json_reader (json_parser_get_root (parser), arena, &options);
      value_kind = RELOAD_KIND_SIP_REGISTRATION;
      rw_object_begin (c, NULL);
      visit_value (c, &v);
      rw_object_end (c);
      g_autoptr (GError) error = NULL;
      g_assert_false (rw_codec_finish (c, &error));
      g_assert_error (error, RELOAD_WIRE_ERROR, error->code);
      g_test_message ("%s", error->message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kinds/sip-uri", test_sip_uri);
  g_test_add_func ("/kinds/sip-route", test_sip_route);
  g_test_add_func ("/kinds/sip-unknown-type", test_sip_unknown_type);
  g_test_add_func ("/kinds/sip-failures", test_sip_failures);
  g_test_add_func ("/kinds/turn", test_turn);
  g_test_add_func ("/kinds/certificate", test_certificate);
  g_test_add_func ("/kinds/redir", test_redir);
  g_test_add_func ("/kinds/helpers", test_decode_encode_helpers);
  g_test_add_func ("/kinds/json-errors", test_json_errors);
  return g_test_run ();
}
