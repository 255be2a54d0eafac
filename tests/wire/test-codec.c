/* test-codec.c: the visitor engine itself (rw-codec.c): bounds, stickiness,
 * the arena limit and the JSON reader's refusals.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec.h"
#include "wire-test-util.h"

#include <string.h>

typedef struct
{
  guint8 kind;
  guint16 small;
  guint32 mid;
  guint64 big;
  gboolean flag;
  RwBytes blob;  /* opaque<0..2^16-1> */
  RwBytes label; /* text<0..2^8-1>, at most 10 bytes */
  guint32 *values;
  guint n_values;
} Sample;

static const RwEnumName kind_names[] = { { 1, "one" }, { 2, "two" }, { 0, NULL } };

static void
visit_u32_elem (RwCodec *c, gpointer p)
{
  rw_u32 (c, NULL, p);
}

static void
visit_sample (RwCodec *c, gpointer p)
{
  Sample *s = p;
  rw_enum8 (c, "kind", &s->kind, kind_names);
  rw_u16 (c, "small", &s->small);
  rw_u32 (c, "mid", &s->mid);
  rw_u64 (c, "big", &s->big);
  rw_boolean (c, "flag", &s->flag);
  rw_opaque (c, "blob", 2, 0, &s->blob);
  rw_text (c, "label", 1, 10, &s->label);
  RW_LIST (c, "values", 2, s->values, s->n_values, visit_u32_elem);
}

static Sample
make_sample (void)
{
  static guint32 values[3] = { 1, 0xdeadbeef, 7 };
  return (Sample){
    .kind = 2,
    .small = 0xbeef,
    .mid = 0x01020304,
    .big = G_MAXUINT64 - 5,
    .flag = TRUE,
    .blob = { (const guint8 *) "\x00\x01\x02", 3 },
    .label = { (const guint8 *) "h\xc3\xa9llo", 6 },
    .values = values,
    .n_values = 3,
  };
}

static void
test_roundtrip (void)
{
  Sample s = make_sample ();
  RwOptions o = { 0 };
  g_autoptr (GBytes) b = wire_test_roundtrip (visit_sample, sizeof (Sample), &s, &o);
  g_autoptr (GBytes) expected = wire_test_hex ("02 beef 01020304 fffffffffffffffa 01 0003 000102"
                                               "06 68c3a96c6c6f 000c 00000001 deadbeef 00000007");
  g_assert_true (g_bytes_equal (b, expected));

  g_autofree char *json = wire_test_to_json (visit_sample, &s, &o);
  /* names for known enum values, u64 beyond 2^63 as a decimal string,
   * text as a string, opaque as hex */
  g_assert_nonnull (strstr (json, "\"kind\":\"two\""));
  g_assert_nonnull (strstr (json, "\"big\":\"18446744073709551610\""));
  g_assert_nonnull (strstr (json, "\"label\":\"h\xc3\xa9llo\""));
  g_assert_nonnull (strstr (json, "\"blob\":\"000102\""));
  g_assert_nonnull (strstr (json, "\"values\":[1,3735928559,7]"));
}

static void
test_decode_failures (void)
{
  RwOptions o = { 0 };
  /* invalid Boolean */
  g_autoptr (GBytes) b1 = wire_test_hex ("02 beef 01020304 0000000000000000 02 0000 00 0000");
  g_autoptr (GError) e1 =
      wire_test_expect_error (visit_sample, sizeof (Sample), g_bytes_get_data (b1, NULL),
                              g_bytes_get_size (b1), &o, "flag", 15);
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* opaque longer than what remains */
  g_autoptr (GBytes) b2 = wire_test_hex ("02 beef 01020304 0000000000000000 01 0009 0000");
  g_autoptr (GError) e2 =
      wire_test_expect_error (visit_sample, sizeof (Sample), g_bytes_get_data (b2, NULL),
                              g_bytes_get_size (b2), &o, "blob", 16);
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* text longer than its declared maximum (10) */
  g_autoptr (GBytes) b3 =
      wire_test_hex ("02 beef 01020304 0000000000000000 01 0000 0b 6161616161616161616161 0000");
  g_autoptr (GError) e3 =
      wire_test_expect_error (visit_sample, sizeof (Sample), g_bytes_get_data (b3, NULL),
                              g_bytes_get_size (b3), &o, "label", 18);
  g_assert_error (e3, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* a list whose byte length is not a multiple of its elements */
  g_autoptr (GBytes) b4 =
      wire_test_hex ("02 beef 01020304 0000000000000000 01 0000 00 0006 00000001 0000");
  g_autoptr (GError) e4 =
      wire_test_expect_error (visit_sample, sizeof (Sample), g_bytes_get_data (b4, NULL),
                              g_bytes_get_size (b4), &o, "values[1]", 25);
  g_assert_error (e4, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* bytes after the structure */
  g_autoptr (GBytes) b5 = wire_test_hex ("02 beef 01020304 0000000000000000 01 0000 00 0000 ff");
  g_autoptr (GError) e5 =
      wire_test_expect_error (visit_sample, sizeof (Sample), g_bytes_get_data (b5, NULL),
                              g_bytes_get_size (b5), &o, "left over", 21);
  g_assert_error (e5, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
}

static void
test_arena_limit (void)
{
  /* 1000 list elements of 4 bytes: 4000 bytes of arena, refused at 1000 */
  g_autoptr (GByteArray) in = g_byte_array_new ();
  static const guint8 head[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  g_byte_array_append (in, head, 15);
  static const guint8 flag_blob_label[] = { 0, 0, 0, 0 };
  g_byte_array_append (in, flag_blob_label, 4);
  guint8 len[2] = { 4000 >> 8, 4000 & 255 };
  g_byte_array_append (in, len, 2);
  for (guint i = 0; i < 1000; i++)
    g_byte_array_append (in, (const guint8 *) "\0\0\0\1", 4);

  g_autoptr (RwArena) arena = rw_arena_new (1000);
  Sample s = { 0 };
  RwCodec *c = rw_codec_new_decoder (in->data, in->len, arena, NULL);
  visit_sample (c, &s);
  g_autoptr (GError) error = NULL;
  g_assert_false (rw_codec_finish (c, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);
  g_assert_cmpuint (rw_arena_used (arena), <=, 1000);

  g_autoptr (RwArena) roomy = rw_arena_new (8192);
  c = rw_codec_new_decoder (in->data, in->len, roomy, NULL);
  visit_sample (c, &s);
  g_assert_true (rw_codec_finish (c, NULL));
  g_assert_cmpuint (s.n_values, ==, 1000);
  g_assert_cmpuint (s.values[999], ==, 1);
}

static GError *
from_json (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
  g_autoptr (RwArena) arena = rw_arena_new (0);
  Sample s = { 0 };
  RwCodec *c = rw_codec_new_json_reader (json_parser_get_root (p), arena, NULL);
  rw_object_begin (c, NULL);
  visit_sample (c, &s);
  rw_object_end (c);
  GError *error = NULL;
  if (rw_codec_finish (c, &error))
    return NULL;
  return error;
}

static void
test_json_refusals (void)
{
  const char *good = "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":\"1\",\"flag\":false,"
                     "\"blob\":\"\",\"label\":{\"hex\":\"ff\"},\"values\":[]}";
  GError *e = from_json (good);
  g_assert_no_error (e);

  struct
  {
    const char *json;
    const char *says;
  } bad[] = {
    { "{\"kind\":\"three\",\"small\":1}", "kind in JSON: unknown name" },
    { "{\"kind\":1,\"small\":70000}", "small in JSON: 70000 is out of range" },
    { "{\"kind\":1,\"small\":-1}", "out of range" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":\"x\"}", "big in JSON" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":1}",
      "flag in JSON: expected true or false" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":true,\"blob\":\"abc\"}", "odd length" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":true,\"blob\":\"zz\"}",
      "not a hex string" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":true,\"blob\":\"\",\"label\":\"eleven chars\"}",
      "label in JSON: 12 bytes exceed the maximum 10" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":true,\"blob\":\"\",\"label\":\"\",\"values\":{}}",
      "values in JSON: expected an array" },
    { "{\"kind\":1,\"small\":1,\"mid\":1,\"big\":1,\"flag\":true,\"blob\":\"\",\"label\":\"\",\"values\":[1,\"x\"]}",
      "values[1] in JSON" },
    { "{\"kind\":1}", "small in JSON: member is missing" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) err = from_json (bad[i].json);
      g_assert_nonnull (err);
      if (strstr (err->message, bad[i].says) == NULL)
        g_error ("%s: \"%s\" does not say \"%s\"", bad[i].json, err->message, bad[i].says);
      g_assert_error (err, RELOAD_WIRE_ERROR, err->code);
    }
}

static void
test_encode_limits (void)
{
  Sample s = make_sample ();
  static const guint8 many[300] = { 0 };
  s.label = (RwBytes){ many, 11 }; /* beyond the declared maximum 10 */
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, NULL);
  visit_sample (c, &s);
  g_autoptr (GError) error = NULL;
  g_assert_false (rw_codec_finish (c, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "label"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec/roundtrip", test_roundtrip);
  g_test_add_func ("/codec/decode-failures", test_decode_failures);
  g_test_add_func ("/codec/arena-limit", test_arena_limit);
  g_test_add_func ("/codec/json-refusals", test_json_refusals);
  g_test_add_func ("/codec/encode-limits", test_encode_limits);
  return g_test_run ();
}
