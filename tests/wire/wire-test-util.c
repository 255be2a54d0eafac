/* wire-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "wire-test-util.h"

#include <string.h>

static GBytes *
encode (RwVisitFunc visit, gpointer value, const RwOptions *options)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, options);
  visit (c, value);
  g_autoptr (GError) error = NULL;
  gboolean ok = rw_codec_finish (c, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

void
wire_test_decode (RwVisitFunc visit, const guint8 *data, gsize len, const RwOptions *options,
                  RwArena *arena, gpointer value)
{
  RwCodec *c = rw_codec_new_decoder (data, len, arena, options);
  visit (c, value);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "%" G_GSIZE_FORMAT " bytes left over",
             rw_remaining (c));
  g_autoptr (GError) error = NULL;
  rw_codec_finish (c, &error);
  g_assert_no_error (error);
}

static gboolean
try_decode (RwVisitFunc visit, gsize size, const guint8 *data, gsize len, const RwOptions *options,
            GError **error)
{
  g_autoptr (RwArena) arena = rw_arena_new (64 * len + 65536);
  /* Copy to a heap block of exactly @len bytes so that ASan sees any
   * over-read. */
  g_autofree guint8 *copy = g_memdup2 (data, len);
  gpointer value = rw_arena_alloc0 (arena, size);
  RwCodec *c = rw_codec_new_decoder (copy, len, arena, options);
  visit (c, value);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "%" G_GSIZE_FORMAT " bytes left over",
             rw_remaining (c));
  return rw_codec_finish (c, error);
}

char *
wire_test_to_json (RwVisitFunc visit, gpointer value, const RwOptions *options)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  RwCodec *c = rw_codec_new_json_writer (b, options);
  rw_object_begin (c, NULL);
  visit (c, value);
  rw_object_end (c);
  g_autoptr (GError) error = NULL;
  rw_codec_finish (c, &error);
  g_assert_no_error (error);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

GBytes *
wire_test_roundtrip (RwVisitFunc visit, gsize size, gpointer value, const RwOptions *options)
{
  g_autoptr (GBytes) bytes = encode (visit, value, options);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* bytes -> structure -> bytes */
  {
    g_autoptr (RwArena) arena = rw_arena_new (64 * len + 65536);
    gpointer decoded = rw_arena_alloc0 (arena, size);
    wire_test_decode (visit, data, len, options, arena, decoded);
    g_autoptr (GBytes) again = encode (visit, decoded, options);
    g_assert_true (g_bytes_equal (bytes, again));
  }

  /* structure -> JSON text -> structure -> bytes */
  {
    g_autofree char *text = wire_test_to_json (visit, value, options);
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (GError) error = NULL;
    json_parser_load_from_data (parser, text, -1, &error);
    g_assert_no_error (error);
    g_autoptr (RwArena) arena = rw_arena_new (0);
    gpointer from_json = rw_arena_alloc0 (arena, size);
    RwCodec *c = rw_codec_new_json_reader (json_parser_get_root (parser), arena, options);
    rw_object_begin (c, NULL);
    visit (c, from_json);
    rw_object_end (c);
    rw_codec_finish (c, &error);
    if (error != NULL)
      g_test_message ("JSON was: %s", text);
    g_assert_no_error (error);
    g_autoptr (GBytes) again = encode (visit, from_json, options);
    if (!g_bytes_equal (bytes, again))
      g_test_message ("JSON was: %s", text);
    g_assert_true (g_bytes_equal (bytes, again));
  }

  /* Every proper prefix is truncated and must fail, cleanly. */
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr (GError) error = NULL;
      if (try_decode (visit, size, data, n, options, &error))
        g_error ("a %" G_GSIZE_FORMAT "-byte prefix of a %" G_GSIZE_FORMAT
                 "-byte structure decoded without error",
                 n, len);
      g_assert_error (error, RELOAD_WIRE_ERROR, error->code);
    }
  return g_steal_pointer (&bytes);
}

GError *
wire_test_expect_error (RwVisitFunc visit, gsize size, const guint8 *data, gsize len,
                        const RwOptions *options, const char *field, gssize offset)
{
  GError *error = NULL;
  gboolean ok = try_decode (visit, size, data, len, options, &error);
  g_assert_false (ok);
  g_assert_nonnull (error);
  g_test_message ("decode error: %s", error->message);
  if (field != NULL && strstr (error->message, field) == NULL)
    g_error ("error \"%s\" does not name \"%s\"", error->message, field);
  if (offset >= 0)
    {
      g_autofree char *at = g_strdup_printf ("offset %" G_GSSIZE_FORMAT ":", offset);
      if (strstr (error->message, at) == NULL)
        g_error ("error \"%s\" does not say \"%s\"", error->message, at);
    }
  return error;
}

GBytes *
wire_test_hex (const char *hex)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  int hi = -1;
  for (const char *p = hex; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      int v = g_ascii_xdigit_value (*p);
      g_assert_cmpint (v, >=, 0);
      if (hi < 0)
        hi = v;
      else
        {
          guint8 b = (guint8) (hi << 4 | v);
          g_byte_array_append (out, &b, 1);
          hi = -1;
        }
    }
  g_assert_cmpint (hi, ==, -1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

void
wire_test_message_json_roundtrip (const ReloadMessage *m, GBytes *wire, const RwOptions *options,
                                  const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) json = reload_message_to_json (m, options, &error);
  g_assert_no_error (error);
  g_autofree char *text = json_to_string (json, FALSE);
  if (needle != NULL && strstr (text, needle) == NULL)
    g_error ("message JSON %s lacks %s", text, needle);
  g_autoptr (ReloadMessage) from = reload_message_from_json (json, options, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) again = reload_message_encode (from, options, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (wire, again));
}

void
wire_test_check_body_table (const ReloadBodyType *table, const ReloadBodyType *expected, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      const ReloadBodyType *t = reload_body_type_lookup (expected[i].code);
      g_assert_nonnull (t);
      g_assert_true (t->visit == expected[i].visit);
      g_assert_cmpuint (t->size, ==, expected[i].size);
    }
  gsize count = 0;
  for (const ReloadBodyType *t = table; t->visit != NULL; t++)
    count++;
  g_assert_cmpuint (count, ==, n);
}

void
wire_test_assert_bytes_hex (GBytes *bytes, const char *hex)
{
  g_autoptr (GBytes) expected = wire_test_hex (hex);
  if (!g_bytes_equal (bytes, expected))
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (bytes, &n);
      g_autoptr (GString) s = g_string_new (NULL);
      for (gsize i = 0; i < n; i++)
        g_string_append_printf (s, "%02x", d[i]);
      g_error ("encoded %s\nexpected %s", s->str, hex);
    }
}

void
wire_test_expect_error_hex (RwVisitFunc visit, gsize size, const char *hex,
                            const RwOptions *options, const char *field, gssize offset,
                            ReloadWireError code)
{
  g_autoptr (GBytes) b = wire_test_hex (hex);
  gsize n;
  const guint8 *d = g_bytes_get_data (b, &n);
  g_autoptr (GError) e = wire_test_expect_error (visit, size, d, n, options, field, offset);
  g_assert_error (e, RELOAD_WIRE_ERROR, (gint) code);
}

void
wire_test_assert_json_contains (RwVisitFunc visit, gpointer value, const RwOptions *options,
                                const char *needle)
{
  g_autofree char *json = wire_test_to_json (visit, value, options);
  if (strstr (json, needle) == NULL)
    g_error ("JSON %s lacks %s", json, needle);
}

void
wire_test_assert_json_lacks (RwVisitFunc visit, gpointer value, const RwOptions *options,
                             const char *needle)
{
  g_autofree char *json = wire_test_to_json (visit, value, options);
  if (strstr (json, needle) != NULL)
    g_error ("JSON %s has %s", json, needle);
}
