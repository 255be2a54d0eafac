/* test-message.c: the forwarding header, message contents and security
 * block (RFC 6940 §6.3), and every way a hostile message can fail them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-message.h"
#include "reload-storage.h"
#include "wire-test-util.h"

#include <string.h>

static const RwOptions options = { .node_id_length = 16 };

static void
node_id_fill (ReloadNodeId *id, guint8 seed)
{
  id->len = 16;
  for (guint i = 0; i < 16; i++)
    id->id[i] = (guint8) (seed + i);
}

static RwBytes
bytes_of (ReloadMessage *m, const char *text)
{
  gsize n = strlen (text);
  guint8 *p = reload_message_alloc (m, n + 1);
  memcpy (p, text, n);
  return (RwBytes){ p, n };
}

/* A message of a code without a typed body (exp_a_req) whose header and
 * security block use every form: full and compressed destinations, a
 * resource destination last, an option, an extension, a certificate. */
static ReloadMessage *
sample_message (void)
{
  ReloadMessage *m = reload_message_new ();
  ReloadForwardingHeader *h = &m->header;
  h->overlay = reload_overlay_hash ("chorus.example");
  h->configuration_sequence = 7;
  h->ttl = 99;
  h->transaction_id = G_GUINT64_CONSTANT (0x0123456789abcdef);
  h->max_response_length = 4096;

  h->n_via_list = 2;
  h->via_list = reload_message_alloc (m, 2 * sizeof (ReloadDestination));
  h->via_list[0].type = RELOAD_DESTINATION_NODE;
  node_id_fill (&h->via_list[0].node_id, 0x10);
  h->via_list[1].type = RELOAD_DESTINATION_OPAQUE_ID;
  h->via_list[1].compressed = TRUE;
  h->via_list[1].compressed_id = 0x8123;

  h->n_destination_list = 3;
  h->destination_list = reload_message_alloc (m, 3 * sizeof (ReloadDestination));
  h->destination_list[0].type = RELOAD_DESTINATION_OPAQUE_ID;
  h->destination_list[0].opaque_id = bytes_of (m, "xyz");
  h->destination_list[1].type = RELOAD_DESTINATION_NODE;
  node_id_fill (&h->destination_list[1].node_id, 0x20);
  h->destination_list[2].type = RELOAD_DESTINATION_RESOURCE;
  h->destination_list[2].resource_id = bytes_of (m, "0123456789abcdef");

  h->n_options = 1;
  h->options = reload_message_alloc (m, sizeof (ReloadForwardingOption));
  h->options[0].type = 1;
  h->options[0].flags = RELOAD_FORWARD_CRITICAL | RELOAD_RESPONSE_COPY;
  h->options[0].value = bytes_of (m, "opt");

  m->message_code = RELOAD_EXP_A_REQ;
  m->raw_body = bytes_of (m, "experimental body");
  m->n_extensions = 1;
  m->extensions = reload_message_alloc (m, sizeof (ReloadMessageExtension));
  m->extensions[0].type = 0x1234;
  m->extensions[0].critical = TRUE;
  m->extensions[0].contents = bytes_of (m, "ext");

  ReloadSecurityBlock *s = &m->security_block;
  s->n_certificates = 1;
  s->certificates = reload_message_alloc (m, sizeof (ReloadGenericCertificate));
  s->certificates[0].type = RELOAD_CERTIFICATE_X509;
  s->certificates[0].certificate = bytes_of (m, "not really DER");
  s->signature.hash_algorithm = RELOAD_HASH_SHA256;
  s->signature.signature_algorithm = RELOAD_SIG_RSA;
  s->signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  s->signature.identity.hash_alg = RELOAD_HASH_SHA256;
  s->signature.identity.hash = bytes_of (m, "0123456789abcdef0123456789abcdef");
  s->signature.signature_value = bytes_of (m, "signature");
  return m;
}

static GBytes *
encode_ok (ReloadMessage *m)
{
  g_autoptr (GError) error = NULL;
  GBytes *b = reload_message_encode (m, &options, &error);
  g_assert_no_error (error);
  return b;
}

static ReloadMessage *
decode_ok (GBytes *b)
{
  g_autoptr (GError) error = NULL;
  ReloadMessage *m = reload_message_decode (b, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

/* Decodes @b, expects failure naming @field at @offset. */
static void
expect_fail (GBytes *b, ReloadWireError code, const char *field, gssize offset)
{
  g_autoptr (GError) error = NULL;
  /* A heap copy of exactly the right size: ASan catches any over-read. */
  gsize len;
  const guint8 *d = g_bytes_get_data (b, &len);
  g_autoptr (GBytes) copy = g_bytes_new_take (g_memdup2 (d, len), len);
  ReloadMessage *m = reload_message_decode (copy, &options, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, RELOAD_WIRE_ERROR, (gint) code);
  if (strstr (error->message, field) == NULL)
    g_error ("\"%s\" does not name %s", error->message, field);
  if (offset >= 0)
    {
      g_autofree char *at = g_strdup_printf ("at offset %" G_GSSIZE_FORMAT ":", offset);
      if (strstr (error->message, at) == NULL)
        g_error ("\"%s\" does not say %s", error->message, at);
    }
}

/* Copy of @b with bytes at @at replaced. */
static GBytes *
patched (GBytes *b, gsize at, const guint8 *bytes, gsize n)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (b, &len);
  g_assert_cmpuint (at + n, <=, len);
  guint8 *copy = g_memdup2 (d, len);
  memcpy (copy + at, bytes, n);
  return g_bytes_new_take (copy, len);
}

static void
set_u32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
test_roundtrip (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);
  g_autoptr (ReloadMessage) d = decode_ok (bytes);
  g_assert_cmpuint (d->header.transaction_id, ==, m->header.transaction_id);
  g_assert_cmpuint (d->header.length, ==, g_bytes_get_size (bytes));
  g_assert_cmpuint (d->header.n_via_list, ==, 2);
  g_assert_true (d->header.via_list[1].compressed);
  g_assert_cmpuint (d->header.via_list[1].compressed_id, ==, 0x8123);
  g_assert_true (reload_node_id_equal (&d->header.destination_list[1].node_id,
                                       &m->header.destination_list[1].node_id));
  g_assert_cmpuint (d->header.options[0].flags, ==, RELOAD_FORWARD_CRITICAL | RELOAD_RESPONSE_COPY);
  g_assert_true (d->extensions[0].critical);
  g_assert_cmpuint (d->extensions[0].type, ==, 0x1234);
  g_assert_cmpmem (d->raw_body.data, d->raw_body.len, "experimental body", 17);

  g_autoptr (GBytes) again = encode_ok (d);
  g_assert_true (g_bytes_equal (bytes, again));

  /* through JSON and back: the same bytes */
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) json = reload_message_to_json (d, &options, &error);
  g_assert_no_error (error);
  g_autofree char *text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"message_code\":\"exp_a_req\""));
  g_assert_nonnull (strstr (text, "\"transaction_id\":\"0123456789abcdef\""));
  g_assert_nonnull (strstr (text, "\"compressed_id\":33059"));
  g_assert_nonnull (strstr (text, "\"identity_type\":\"cert_hash\""));
  g_autoptr (JsonParser) parser = json_parser_new ();
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadMessage) j =
      reload_message_from_json (json_parser_get_root (parser), &options, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) from_json = encode_ok (j);
  g_assert_true (g_bytes_equal (bytes, from_json));

  /* every proper prefix is refused */
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr (GBytes) prefix = g_bytes_new_take (g_memdup2 (data, n), n);
      g_autoptr (GError) e = NULL;
      g_assert_null (reload_message_decode (prefix, &options, &e));
      g_assert_nonnull (e);
    }
}

/* The layout of §6.3.2 byte by byte, from a hand-written vector. */
static void
test_header_layout (void)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  m->header.overlay = 0x11223344;
  m->header.configuration_sequence = 0x0506;
  m->header.ttl = 100;
  m->header.transaction_id = G_GUINT64_CONSTANT (0x0102030405060708);
  m->header.max_response_length = 0;
  m->header.n_destination_list = 1;
  m->header.destination_list = reload_message_alloc (m, sizeof (ReloadDestination));
  m->header.destination_list[0].type = RELOAD_DESTINATION_RESOURCE;
  static const guint8 rid[16] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
  m->header.destination_list[0].resource_id = (RwBytes){ rid, 16 };
  m->message_code = RELOAD_ERROR;
  ReloadErrorResponse *e = reload_message_alloc (m, sizeof *e);
  e->error_code = RELOAD_ERROR_NOT_FOUND;
  e->error_info = (RwBytes){ (const guint8 *) "gone", 4 };
  m->body = e;
  m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;

  g_autoptr (GBytes) bytes = encode_ok (m);
  g_autoptr (GBytes) expected = wire_test_hex (
      "d2454c4f 11223344 0506 0a 64 c0000000 00000054 0102030405060708 00000000"
      "0000 0013 0000"                            /* via 0, destinations 19, options 0 */
      "02 11 10 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* resource: type, length, ResourceId */
      "ffff 00000008 0003 0004 676f6e65" /* error: code, body length 8, Error_Not_Found, "gone" */
      "00000000"                         /* no extensions */
      "0000"                             /* no certificates */
      "00 00 03 0000 0000");             /* algorithm, identity none, no signature */
  if (!g_bytes_equal (bytes, expected))
    {
      g_autofree char *got = g_strdup ("");
      gsize n;
      const guint8 *d = g_bytes_get_data (bytes, &n);
      for (gsize i = 0; i < n; i++)
        {
          char *t = g_strdup_printf ("%s%02x", got, d[i]);
          g_free (got);
          got = t;
        }
      g_error ("encoded %s", got);
    }
}

static void
test_overlay_hash (void)
{
  /* SHA-1("example.org") = 6ae6b5c0...ccf4d1f8 (its last four bytes). */
  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha, (const guchar *) "example.org", 11);
  const char *hex = g_checksum_get_string (sha);
  guint32 expect = (guint32) g_ascii_strtoull (hex + 32, NULL, 16);
  g_checksum_free (sha);
  g_assert_cmphex (reload_overlay_hash ("example.org"), ==, expect);
}

static void
test_bad_token_version_fragment (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);

  static const guint8 bad_token[4] = { 0x52, 0x45, 0x4c, 0x4f }; /* "RELO" without the high bit */
  g_autoptr (GBytes) b1 = patched (bytes, 0, bad_token, 4);
  expect_fail (b1, RELOAD_WIRE_ERROR_BAD_TOKEN, "relo_token", 0);

  static const guint8 v01[1] = { 0x01 }; /* the pre-RFC version 0.1 */
  g_autoptr (GBytes) b2 = patched (bytes, 10, v01, 1);
  expect_fail (b2, RELOAD_WIRE_ERROR_BAD_VERSION, "forwarding_header.version", 10);

  guint8 frag[4];
  set_u32 (frag, RELOAD_FRAGMENT_LAST); /* last bit but not the high bit */
  g_autoptr (GBytes) b3 = patched (bytes, 12, frag, 4);
  expect_fail (b3, RELOAD_WIRE_ERROR_BAD_FRAGMENT, "forwarding_header.fragment", 12);
}

static void
test_length_field (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);
  gsize len = g_bytes_get_size (bytes);
  guint8 l[4];

  set_u32 (l, (guint32) len + 1); /* says more than there is */
  g_autoptr (GBytes) b1 = patched (bytes, 16, l, 4);
  expect_fail (b1, RELOAD_WIRE_ERROR_LENGTH, "forwarding_header.length", 16);

  set_u32 (l, (guint32) len - 1); /* says less */
  g_autoptr (GBytes) b2 = patched (bytes, 16, l, 4);
  expect_fail (b2, RELOAD_WIRE_ERROR_LENGTH, "forwarding_header.length", 16);

  /* bytes after the security block, with the length telling the truth */
  gsize n;
  const guint8 *d = g_bytes_get_data (bytes, &n);
  guint8 *longer = g_malloc (n + 3);
  memcpy (longer, d, n);
  memset (longer + n, 0xee, 3);
  set_u32 (longer + 16, (guint32) n + 3);
  g_autoptr (GBytes) b3 = g_bytes_new_take (longer, n + 3);
  expect_fail (b3, RELOAD_WIRE_ERROR_TRAILING, "security_block", (gssize) n);
}

/* A destination list whose length cuts a destination in half. */
static void
test_list_lengths (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);
  const guint8 *d = g_bytes_get_data (bytes, NULL);
  guint16 via_len = (guint16) (d[32] << 8 | d[33]);

  /* via list one byte short: the compressed destination at its end is cut */
  guint8 v[2] = { (guint8) ((via_len - 1) >> 8), (guint8) (via_len - 1) };
  g_autoptr (GBytes) b1 = patched (bytes, 32, v, 2);
  expect_fail (b1, RELOAD_WIRE_ERROR_TRUNCATED, "via_list[1].compressed_id", -1);

  /* via list one byte long: the list swallows a byte of the next one,
   * whose destinations then no longer add up */
  guint8 w[2] = { (guint8) ((via_len + 1) >> 8), (guint8) (via_len + 1) };
  g_autoptr (GBytes) b2 = patched (bytes, 32, w, 2);
  expect_fail (b2, RELOAD_WIRE_ERROR_TRUNCATED, "via_list[2]", -1);

  /* all three lengths far beyond the message */
  guint8 big[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  g_autoptr (GBytes) b3 = patched (bytes, 32, big, 6);
  expect_fail (b3, RELOAD_WIRE_ERROR_LENGTH, "via_list", 38);
}

static void
test_destinations (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);
  const guint8 *d = g_bytes_get_data (bytes, NULL);
  gsize via0 = 38; /* first via entry: type node(1), length 16, id */
  g_assert_cmpuint (d[via0], ==, 1);
  g_assert_cmpuint (d[via0 + 1], ==, 16);

  static const guint8 zero[1] = { 0 };
  g_autoptr (GBytes) b1 = patched (bytes, via0, zero, 1);
  expect_fail (b1, RELOAD_WIRE_ERROR_INVALID_VALUE, "via_list[0].type", (gssize) via0);

  /* a node destination whose length is not the overlay's Node-ID length */
  static const guint8 fifteen[1] = { 15 };
  g_autoptr (GBytes) b2 = patched (bytes, via0 + 1, fifteen, 1);
  expect_fail (b2, RELOAD_WIRE_ERROR_TRUNCATED, "via_list[0].length.node_id", -1);

  /* a resource in the via list (§6.3.2.2 forbids it) */
  static const guint8 res[3] = { 2, 16, 15 };
  g_autoptr (GBytes) b3 = patched (bytes, via0, res, 3);
  expect_fail (b3, RELOAD_WIRE_ERROR_INVALID_VALUE, "via_list", -1);

  /* an unknown destination type (4) is carried, not refused */
  static const guint8 unknown[1] = { 4 };
  g_autoptr (GBytes) b4 = patched (bytes, via0, unknown, 1);
  g_autoptr (ReloadMessage) u = decode_ok (b4);
  g_assert_cmpuint (u->header.via_list[0].type, ==, 4);
  g_assert_cmpuint (u->header.via_list[0].unknown.len, ==, 16);
  g_autoptr (GBytes) again = encode_ok (u);
  g_assert_true (g_bytes_equal (b4, again));
}

static void
test_booleans_and_codes (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  m->raw_body.len = 0;
  m->n_extensions = 1;
  g_autoptr (GBytes) bytes = encode_ok (m);
  /* contents start right after the header: code(2) body length(4)=0,
   * extensions length(4), then type(2) critical(1) */
  RwArena *arena = rw_arena_new (0);
  ReloadForwardingHeader h;
  g_autoptr (GError) error = NULL;
  gsize at = reload_forwarding_header_decode (
      g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &options, arena, &h, &error);
  g_assert_no_error (error);
  rw_arena_free (arena);
  gsize critical = at + 2 + 4 + 4 + 2;
  static const guint8 two[1] = { 2 };
  g_autoptr (GBytes) b1 = patched (bytes, critical, two, 1);
  expect_fail (b1, RELOAD_WIRE_ERROR_INVALID_VALUE, "extensions[0].critical", (gssize) critical);

  static const guint8 code0[2] = { 0, 0 };
  g_autoptr (GBytes) b2 = patched (bytes, at, code0, 2);
  expect_fail (b2, RELOAD_WIRE_ERROR_INVALID_VALUE, "message_code", (gssize) at);

  static const guint8 reserved[2] = { 0x80, 0x00 };
  g_autoptr (GBytes) b3 = patched (bytes, at, reserved, 2);
  expect_fail (b3, RELOAD_WIRE_ERROR_INVALID_VALUE, "message_code", (gssize) at);
}

static void
test_signer_identity (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID;
  g_autoptr (GBytes) bytes = encode_ok (m);
  g_autoptr (ReloadMessage) d = decode_ok (bytes);
  g_assert_cmpuint (d->security_block.signature.identity.identity_type, ==,
                    RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID);
  g_assert_cmpuint (d->security_block.signature.identity.hash.len, ==, 32);

  /* the signature covers overlay || transaction_id || contents || identity */
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) input = reload_message_signature_input (d, &options, &error);
  g_assert_no_error (error);
  const guint8 *p = g_bytes_get_data (input, NULL);
  g_assert_cmphex ((guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3], ==,
                   m->header.overlay);
  g_assert_cmpuint (p[4], ==, 0x01);
  g_assert_cmpuint (p[11], ==, 0xef);
  /* ends with the identity: type 2, length 34, sha256(4), 32-byte hash */
  gsize n = g_bytes_get_size (input);
  g_assert_cmpuint (p[n - 37], ==, 2);
  g_assert_cmpuint (p[n - 36] << 8 | p[n - 35], ==, 34);
  g_assert_cmpuint (p[n - 34], ==, 4);

  /* identity type 0 is invalid; an unknown type is carried */
  gsize len;
  const guint8 *b = g_bytes_get_data (bytes, &len);
  gsize type_at = len - 2 - 9 - 37 + 0; /* signature_value<2+9>, identity 37 bytes */
  g_assert_cmpuint (b[type_at], ==, 2);
  static const guint8 zero[1] = { 0 };
  g_autoptr (GBytes) b1 = patched (bytes, type_at, zero, 1);
  expect_fail (b1, RELOAD_WIRE_ERROR_INVALID_VALUE, "identity_type", (gssize) type_at);
  static const guint8 nine[1] = { 9 };
  g_autoptr (GBytes) b2 = patched (bytes, type_at, nine, 1);
  g_autoptr (ReloadMessage) u = decode_ok (b2);
  g_assert_cmpuint (u->security_block.signature.identity.unknown.len, ==, 34);
}

static void
test_error_codes (void)
{
  for (const RwEnumName *e = reload_error_code_names; e->name != NULL; e++)
    {
      g_autoptr (ReloadMessage) m = reload_message_new ();
      m->header.transaction_id = e->value;
      m->message_code = RELOAD_ERROR;
      ReloadErrorResponse *r = reload_message_alloc (m, sizeof *r);
      r->error_code = (guint16) e->value;
      static const guint8 bin[3] = { 0xff, 0x00, 0xfe }; /* not UTF-8: shown as hex */
      r->error_info = (RwBytes){ bin, 3 };
      /* §7.4.1.2: two codes carry a structure in error_info */
      static ReloadStoreKindResponse kr = { .kind = 1, .generation_counter = 41 };
      static ReloadStoreAns store_ans = { &kr, 1 };
      static guint32 unknown[2] = { 4000, 4001 };
      gboolean structured = TRUE;
      if (e->value == RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW)
        r->store_ans = &store_ans;
      else if (e->value == RELOAD_ERROR_UNKNOWN_KIND)
        {
          r->unknown_kinds = unknown;
          r->n_unknown_kinds = 2;
        }
      else
        structured = FALSE;
      m->body = r;
      m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
      g_autoptr (GBytes) bytes = encode_ok (m);
      g_autoptr (ReloadMessage) d = decode_ok (bytes);
      g_assert_cmpuint (((ReloadErrorResponse *) d->body)->error_code, ==, e->value);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) json = reload_message_to_json (d, &options, &error);
      g_assert_no_error (error);
      g_autofree char *text = json_to_string (json, FALSE);
      g_assert_nonnull (strstr (text, e->name));
      if (!structured)
        g_assert_nonnull (strstr (text, "\"hex\":\"ff00fe\""));
      else if (e->value == RELOAD_ERROR_UNKNOWN_KIND)
        {
          g_assert_nonnull (strstr (text, "\"error_info\":{\"unknown_kinds\":[4000,4001]}"));
          g_assert_cmpuint (((ReloadErrorResponse *) d->body)->n_unknown_kinds, ==, 2);
        }
      else
        {
          g_assert_nonnull (strstr (text, "\"generation_counter\":41"));
          g_assert_cmpuint (
              ((ReloadErrorResponse *) d->body)->store_ans->kind_responses[0].generation_counter,
              ==, 41);
        }
      g_autoptr (ReloadMessage) j = reload_message_from_json (json, &options, &error);
      g_assert_no_error (error);
      g_autoptr (GBytes) again = encode_ok (j);
      g_assert_true (g_bytes_equal (bytes, again));
    }
}

static void
test_fragment_message (void)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  m->header.fragment = RELOAD_FRAGMENT_HIGH_BIT | 1000; /* middle fragment at offset 1000 */
  m->is_fragment = TRUE;
  m->fragment_data = (RwBytes){ (const guint8 *) "partial", 7 };
  g_autoptr (GBytes) bytes = encode_ok (m);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 38 + 7);
  g_autoptr (ReloadMessage) d = decode_ok (bytes);
  g_assert_true (d->is_fragment);
  g_assert_cmpuint (d->header.fragment & RELOAD_FRAGMENT_OFFSET_MASK, ==, 1000);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) json = reload_message_to_json (d, &options, &error);
  g_autofree char *text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"fragment\":{\"last\":false,\"offset\":1000}"));
  g_autoptr (ReloadMessage) j = reload_message_from_json (json, &options, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) again = encode_ok (j);
  g_assert_true (g_bytes_equal (bytes, again));
}

static void
test_limits (void)
{
  g_autoptr (ReloadMessage) m = sample_message ();
  g_autoptr (GBytes) bytes = encode_ok (m);
  RwOptions small = options;
  small.max_message_size = g_bytes_get_size (bytes) - 1;
  g_autoptr (GError) error = NULL;
  g_assert_null (reload_message_decode (bytes, &small, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (reload_message_encode (m, &small, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE);

  /* 20-byte Node-IDs: the same message does not fit them */
  RwOptions wide = { .node_id_length = 20 };
  g_clear_error (&error);
  g_assert_null (reload_message_encode (m, &wide, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
}

/* A list of thousands of compressed destinations: the arena bound holds. */
static void
test_many_destinations (void)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  guint n = 30000; /* 60000 bytes: nearly the u16 via_list_length */
  m->header.n_via_list = n;
  m->header.via_list = reload_message_alloc (m, n * sizeof (ReloadDestination));
  for (guint i = 0; i < n; i++)
    {
      m->header.via_list[i].compressed = TRUE;
      m->header.via_list[i].type = RELOAD_DESTINATION_OPAQUE_ID;
      m->header.via_list[i].compressed_id = (guint16) (0x8000 | i);
    }
  m->message_code = RELOAD_EXP_B_ANS;
  m->security_block.signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
  g_autoptr (GBytes) bytes = encode_ok (m);
  g_autoptr (ReloadMessage) d = decode_ok (bytes);
  g_assert_cmpuint (d->header.n_via_list, ==, n);
  g_assert_cmpuint (rw_arena_used (d->arena), <=, 40 * g_bytes_get_size (bytes) + 4096);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/message/roundtrip", test_roundtrip);
  g_test_add_func ("/message/header-layout", test_header_layout);
  g_test_add_func ("/message/overlay-hash", test_overlay_hash);
  g_test_add_func ("/message/bad-token-version-fragment", test_bad_token_version_fragment);
  g_test_add_func ("/message/length-field", test_length_field);
  g_test_add_func ("/message/list-lengths", test_list_lengths);
  g_test_add_func ("/message/destinations", test_destinations);
  g_test_add_func ("/message/booleans-and-codes", test_booleans_and_codes);
  g_test_add_func ("/message/signer-identity", test_signer_identity);
  g_test_add_func ("/message/error-codes", test_error_codes);
  g_test_add_func ("/message/fragment", test_fragment_message);
  g_test_add_func ("/message/limits", test_limits);
  g_test_add_func ("/message/many-destinations", test_many_destinations);
  return g_test_run ();
}
