/* test-framing.c: the framing header (RFC 6940 §6.6.2), byte by byte, and
 * every way a hostile frame can fail.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-framing.h"
#include "wire-test-util.h"

#include <string.h>

static void
assert_bytes (GBytes *bytes, const guint8 *data, gsize len)
{
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, len);
}

static void
test_roundtrip_data (void)
{
  static const guint8 msg[] = { 0xd2, 0x45, 0x4c, 0x4f, 0x00, 0x01 };
  ReloadFrame f = { .type = RELOAD_FRAME_DATA,
                    .sequence = 0x01020304,
                    .message = { msg, sizeof msg } };
  g_autoptr (GBytes) bytes = wire_test_roundtrip (reload_frame_visit, sizeof f, &f, NULL);
  static const guint8 expect[] = { 0x80, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
                                   0x06, 0xd2, 0x45, 0x4c, 0x4f, 0x00, 0x01 };
  assert_bytes (bytes, expect, sizeof expect);

  /* the convenience encoder writes the same bytes */
  g_autoptr (GByteArray) out = g_byte_array_new ();
  reload_frame_encode_data (out, 0x01020304, msg, sizeof msg);
  g_assert_cmpmem (out->data, out->len, expect, sizeof expect);

  g_autofree char *json = wire_test_to_json (reload_frame_visit, &f, NULL);
  g_assert_cmpstr (json, ==,
                   "{\"type\":\"data\",\"sequence\":16909060,\"message\":\"d2454c4f0001\"}");
}

static void
test_roundtrip_empty_data (void)
{
  ReloadFrame f = { .type = RELOAD_FRAME_DATA, .sequence = 0 };
  g_autoptr (GBytes) bytes = wire_test_roundtrip (reload_frame_visit, sizeof f, &f, NULL);
  static const guint8 expect[] = { 0x80, 0, 0, 0, 0, 0, 0, 0 };
  assert_bytes (bytes, expect, sizeof expect);
}

static void
test_roundtrip_ack (void)
{
  ReloadFrame f = { .type = RELOAD_FRAME_ACK, .ack_sequence = 0xfffffffe, .received = 0x80000001 };
  g_autoptr (GBytes) bytes = wire_test_roundtrip (reload_frame_visit, sizeof f, &f, NULL);
  static const guint8 expect[] = { 0x81, 0xff, 0xff, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x01 };
  assert_bytes (bytes, expect, sizeof expect);

  g_autoptr (GByteArray) out = g_byte_array_new ();
  reload_frame_encode_ack (out, 0xfffffffe, 0x80000001);
  g_assert_cmpmem (out->data, out->len, expect, sizeof expect);

  g_autofree char *json = wire_test_to_json (reload_frame_visit, &f, NULL);
  g_assert_cmpstr (json, ==,
                   "{\"type\":\"ack\",\"ack_sequence\":4294967294,\"received\":2147483649}");
}

/* Hand-written vectors, decoded by the convenience function. */
static void
test_vectors (void)
{
  g_autoptr (GBytes) ack = wire_test_hex ("81 00000007 ffffffff");
  ReloadFrame f;
  g_autoptr (GError) error = NULL;
  g_assert_true (
      reload_frame_decode (g_bytes_get_data (ack, NULL), g_bytes_get_size (ack), NULL, &f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f.type, ==, RELOAD_FRAME_ACK);
  g_assert_cmpuint (f.ack_sequence, ==, 7);
  g_assert_cmpuint (f.received, ==, 0xffffffff);

  g_autoptr (GBytes) data = wire_test_hex ("80 0000002a 000003 aabbcc");
  const guint8 *d = g_bytes_get_data (data, NULL);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  g_assert_true (reload_frame_decode (d, g_bytes_get_size (data), arena, &f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f.type, ==, RELOAD_FRAME_DATA);
  g_assert_cmpuint (f.sequence, ==, 42);
  g_assert_cmpuint (f.message.len, ==, 3);
  /* the message is borrowed from the input, right after the 8-byte header */
  g_assert_true (f.message.data == d + RELOAD_FRAME_DATA_HEADER_SIZE);

  /* a 24-bit length that uses all three bytes */
  gsize big = 0x010203;
  g_autofree guint8 *buf = g_malloc0 (RELOAD_FRAME_DATA_HEADER_SIZE + big);
  buf[0] = 0x80;
  buf[5] = 0x01;
  buf[6] = 0x02;
  buf[7] = 0x03;
  g_assert_true (reload_frame_decode (buf, RELOAD_FRAME_DATA_HEADER_SIZE + big, NULL, &f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f.message.len, ==, big);
}

static void
test_json (void)
{
  ReloadFrame f = { .type = RELOAD_FRAME_DATA,
                    .sequence = 9,
                    .message = { (const guint8 *) "\x01\x02", 2 } };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = reload_frame_to_json (&f, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "data");
  g_assert_cmpint (json_object_get_int_member (o, "sequence"), ==, 9);
  g_assert_cmpstr (json_object_get_string_member (o, "message"), ==, "0102");

  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadFrame back;
  g_assert_true (reload_frame_from_json (node, arena, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.type, ==, RELOAD_FRAME_DATA);
  g_assert_cmpuint (back.sequence, ==, 9);
  g_assert_cmpmem (back.message.data, back.message.len, "\x01\x02", 2);

  /* the type may be given as its number */
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (
      p, "{\"type\": 129, \"ack_sequence\": 3, \"received\": 5}", -1, &error));
  g_assert_true (reload_frame_from_json (json_parser_get_root (p), arena, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.type, ==, RELOAD_FRAME_ACK);
  g_assert_cmpuint (back.ack_sequence, ==, 3);
  g_assert_cmpuint (back.received, ==, 5);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_assert_true (reload_frame_encode (&back, out, &error));
  static const guint8 expect[] = { 0x81, 0, 0, 0, 3, 0, 0, 0, 5 };
  g_assert_cmpmem (out->data, out->len, expect, sizeof expect);

  /* an unknown type name, a missing member */
  static const char *const bad[] = {
    "{\"type\": \"nack\", \"ack_sequence\": 3, \"received\": 5}",
    "{\"type\": 130}",
    "{\"type\": \"ack\", \"ack_sequence\": 3}",
    "{\"type\": \"data\", \"sequence\": 1, \"message\": \"abc\"}",
  };
  static const char *const names[] = { "type", "type", "received", "message" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonParser) q = json_parser_new ();
      g_assert_true (json_parser_load_from_data (q, bad[i], -1, NULL));
      g_autoptr (GError) e = NULL;
      g_assert_false (reload_frame_from_json (json_parser_get_root (q), arena, &back, &e));
      g_assert_error (e, RELOAD_WIRE_ERROR, e->code);
      g_test_message ("%s -> %s", bad[i], e->message);
      g_assert_nonnull (strstr (e->message, names[i]));
    }
}

static void
expect_decode_error (const char *hex, ReloadWireError code, const char *field, gssize offset)
{
  g_autoptr (GBytes) b = wire_test_hex (hex);
  g_autoptr (GError) visit_error =
      wire_test_expect_error (reload_frame_visit, sizeof (ReloadFrame), g_bytes_get_data (b, NULL),
                              g_bytes_get_size (b), NULL, field, offset);
  g_assert_error (visit_error, RELOAD_WIRE_ERROR, (gint) code);

  /* the convenience function agrees, and leaves the frame zeroed */
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  ReloadFrame f;
  memset (&f, 0xa5, sizeof f);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_frame_decode (copy, g_bytes_get_size (b), NULL, &f, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, visit_error->message);
  g_assert_cmpuint (f.type, ==, 0);
  g_assert_null (f.message.data);
}

static void
test_decode_errors (void)
{
  /* unknown frame types */
  expect_decode_error ("82 00000001 00000000", RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type", 0);
  expect_decode_error ("00", RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type", 0);
  expect_decode_error ("7f 00000001 000000", RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type", 0);
  expect_decode_error ("ff", RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type", 0);
  /* a 24-bit length beyond the data */
  expect_decode_error ("80 00000001 000005 aabb", RELOAD_WIRE_ERROR_LENGTH, "message", 5);
  expect_decode_error ("80 00000001 ffffff", RELOAD_WIRE_ERROR_LENGTH, "message", 5);
  /* trailing bytes */
  expect_decode_error ("81 00000001 00000000 00", RELOAD_WIRE_ERROR_TRAILING, NULL, 9);
  expect_decode_error ("80 00000001 000001 aa bb", RELOAD_WIRE_ERROR_TRAILING, NULL, 9);
  /* truncation */
  expect_decode_error ("", RELOAD_WIRE_ERROR_TRUNCATED, "type", 0);
  expect_decode_error ("80", RELOAD_WIRE_ERROR_TRUNCATED, "sequence", 1);
  expect_decode_error ("80 000000", RELOAD_WIRE_ERROR_TRUNCATED, "sequence", 1);
  expect_decode_error ("80 00000001 00", RELOAD_WIRE_ERROR_TRUNCATED, "message", 5);
  expect_decode_error ("81 00000001", RELOAD_WIRE_ERROR_TRUNCATED, "received", 5);
  expect_decode_error ("81 00000001 000000", RELOAD_WIRE_ERROR_TRUNCATED, "received", 5);
}

static void
test_encode_errors (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) "x", 1);
  ReloadFrame f = { .type = 0x42 };
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_frame_encode (&f, out, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_UNKNOWN_TYPE);
  g_assert_cmpuint (out->len, ==, 1);
  g_clear_error (&error);

  /* one byte beyond opaque message<0..2^24-1> */
  gsize n = RELOAD_FRAME_MAX_MESSAGE + 1;
  g_autofree guint8 *big = g_malloc0 (n);
  f = (ReloadFrame){ .type = RELOAD_FRAME_DATA, .message = { big, n } };
  g_assert_false (reload_frame_encode (&f, out, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "message"));
  g_assert_cmpuint (out->len, ==, 1);
  g_clear_error (&error);

  /* the largest message is fine */
  f.message.len = RELOAD_FRAME_MAX_MESSAGE;
  g_assert_true (reload_frame_encode (&f, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1 + RELOAD_FRAME_DATA_HEADER_SIZE + RELOAD_FRAME_MAX_MESSAGE);
  g_assert_cmpmem (out->data + 1, 8, "\x80\0\0\0\0\xff\xff\xff", 8);
}

static void
test_stream_length (void)
{
  g_autoptr (GError) error = NULL;
  static const guint8 ack[] = { 0x81, 0, 0, 0, 1, 0, 0, 0, 0, 0x80 };
  g_assert_cmpint (reload_frame_stream_length (ack, 0, 0, &error), ==, 0);
  for (gsize n = 1; n < RELOAD_FRAME_ACK_SIZE; n++)
    g_assert_cmpint (reload_frame_stream_length (ack, n, 0, &error), ==, 0);
  g_assert_cmpint (reload_frame_stream_length (ack, 9, 0, &error), ==, 9);
  g_assert_cmpint (reload_frame_stream_length (ack, 10, 0, &error), ==, 9);

  static const guint8 data[] = { 0x80, 0, 0, 0, 1, 0, 0, 3, 0xa, 0xb, 0xc, 0x81 };
  for (gsize n = 1; n < 11; n++)
    g_assert_cmpint (reload_frame_stream_length (data, n, 0, &error), ==, 0);
  g_assert_cmpint (reload_frame_stream_length (data, 11, 0, &error), ==, 11);
  g_assert_cmpint (reload_frame_stream_length (data, 12, 0, &error), ==, 11);
  /* within max-message-size, and at it */
  g_assert_cmpint (reload_frame_stream_length (data, 11, 3, &error), ==, 11);
  g_assert_no_error (error);

  /* too large: known from the 8-byte header alone */
  g_assert_cmpint (reload_frame_stream_length (data, 8, 2, &error), ==, -1);
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);
  g_clear_error (&error);

  static const guint8 junk[] = { 0x16, 0x03, 0x01 };
  g_assert_cmpint (reload_frame_stream_length (junk, 1, 0, &error), ==, -1);
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_UNKNOWN_TYPE);
  g_assert_nonnull (strstr (error->message, "type"));
}

/* A stream of frames delivered in every chunking a TCP connection might
 * produce: the frames that come out are the frames that went in. */
static void
test_stream_reassembly (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  guint8 payload[300];
  for (guint i = 0; i < sizeof payload; i++)
    payload[i] = (guint8) i;
  guint n_frames = 0;
  for (guint32 seq = 0; seq < 20; seq++, n_frames++)
    {
      if (seq % 3 == 2)
        reload_frame_encode_ack (stream, seq, seq * 7);
      else
        reload_frame_encode_data (stream, seq, payload, (seq * 37) % sizeof payload);
    }

  GRand *rand = g_rand_new_with_seed (6940);
  for (guint round = 0; round < 50; round++)
    {
      g_autoptr (GByteArray) buf = g_byte_array_new ();
      gsize fed = 0;
      guint32 seq = 0;
      while (fed < stream->len || buf->len > 0)
        {
          gsize chunk = round == 0 ? 1 : (gsize) g_rand_int_range (rand, 1, 64);
          chunk = MIN (chunk, stream->len - fed);
          g_byte_array_append (buf, stream->data + fed, (guint) chunk);
          fed += chunk;
          for (;;)
            {
              g_autoptr (GError) error = NULL;
              gssize n = reload_frame_stream_length (buf->data, buf->len, 1000, &error);
              g_assert_no_error (error);
              g_assert_cmpint (n, >=, 0);
              if (n == 0)
                break;
              ReloadFrame f;
              g_assert_true (reload_frame_decode (buf->data, (gsize) n, NULL, &f, &error));
              g_assert_no_error (error);
              if (seq % 3 == 2)
                {
                  g_assert_cmpuint (f.type, ==, RELOAD_FRAME_ACK);
                  g_assert_cmpuint (f.ack_sequence, ==, seq);
                  g_assert_cmpuint (f.received, ==, seq * 7);
                }
              else
                {
                  g_assert_cmpuint (f.type, ==, RELOAD_FRAME_DATA);
                  g_assert_cmpuint (f.sequence, ==, seq);
                  g_assert_cmpmem (f.message.data, f.message.len, payload,
                                   (seq * 37) % sizeof payload);
                }
              seq++;
              g_byte_array_remove_range (buf, 0, (guint) n);
            }
          if (fed == stream->len)
            g_assert_cmpuint (buf->len, ==, 0);
        }
      g_assert_cmpuint (seq, ==, n_frames);
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/framing/roundtrip/data", test_roundtrip_data);
  g_test_add_func ("/framing/roundtrip/empty-data", test_roundtrip_empty_data);
  g_test_add_func ("/framing/roundtrip/ack", test_roundtrip_ack);
  g_test_add_func ("/framing/vectors", test_vectors);
  g_test_add_func ("/framing/json", test_json);
  g_test_add_func ("/framing/decode-errors", test_decode_errors);
  g_test_add_func ("/framing/encode-errors", test_encode_errors);
  g_test_add_func ("/framing/stream-length", test_stream_length);
  g_test_add_func ("/framing/stream-reassembly", test_stream_reassembly);
  return g_test_run ();
}
