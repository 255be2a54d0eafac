/* test-storage.c: Store, Fetch, Stat and Find bodies (RFC 6940 §7.4) with
 * every data model, typed and raw values, kinds whose model is unknown,
 * and the ways a hostile body fails.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-storage.h"
#include "reload-body.h"
#include "wire-test-util.h"

#include <string.h>

/* Kinds an overlay configuration could define (private-use range is
 * 0x80000000 and up, §14.6; these only need to be unknown to the codec). */
#define KIND_SINGLE 4000
#define KIND_ARRAY 4001
#define KIND_DICT 4002
#define KIND_UNKNOWN 5000

static ReloadDataModel
configured_model (guint32 kind, gpointer user_data)
{
  switch (kind)
    {
    case KIND_SINGLE:
      return RELOAD_DATA_MODEL_SINGLE;
    case KIND_ARRAY:
      return RELOAD_DATA_MODEL_ARRAY;
    case KIND_DICT:
      return RELOAD_DATA_MODEL_DICTIONARY;
    default:
      return RELOAD_DATA_MODEL_UNKNOWN;
    }
}

static const RwOptions options = { .node_id_length = 16, .kind_model = configured_model };
static const RwOptions bare = { .node_id_length = 16 };

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

static const guint8 resource[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                     0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21 };

static void
sign (ReloadSignature *s, guint8 seed)
{
  static guint8 hash[32];
  static guint8 sig[64];
  memset (hash, seed, sizeof hash);
  memset (sig, seed ^ 0x5a, sizeof sig);
  s->hash_algorithm = RELOAD_HASH_SHA256;
  s->signature_algorithm = RELOAD_SIG_RSA;
  s->identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  s->identity.hash_alg = RELOAD_HASH_SHA256;
  s->identity.hash = (RwBytes){ hash, sizeof hash };
  s->signature_value = (RwBytes){ sig, sizeof sig };
}

static void
stored (ReloadStoredData *d, guint64 time, guint32 lifetime, guint8 seed)
{
  d->storage_time = time;
  d->lifetime = lifetime;
  sign (&d->signature, seed);
}

static char *
json_of (RwVisitFunc visit, gpointer body, const RwOptions *opts)
{
  return wire_test_to_json (visit, body, opts);
}

/* ---------------------------------------------------------------- sample values */

typedef struct
{
  ReloadStoredData turn[1];    /* TURN-SERVICE, single, typed */
  ReloadStoredData certs[2];   /* CERTIFICATE_BY_NODE, array, typed + removed */
  ReloadStoredData sip[2];     /* SIP-REGISTRATION, dictionary, both forms */
  ReloadStoredData redir[1];   /* REDIR, dictionary, typed */
  ReloadStoredData single[2];  /* configured single, raw (one removed) */
  ReloadStoredData array[2];   /* configured array, raw */
  ReloadStoredData dict[2];    /* configured dictionary, raw */
  ReloadStoredData unknown[2]; /* model unknown: raw StoredData bodies */
  ReloadDestination route[2];
  ReloadNodeId keys[4];
} Samples;

static Samples samples;

static void
fill_samples (void)
{
  Samples *s = &samples;
  memset (s, 0, sizeof *s);
  static const guint8 der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };

  stored (&s->turn[0], G_GUINT64_CONSTANT (1700000000000), 3600, 1);
  s->turn[0].value.value.exists = TRUE;
  s->turn[0].value.value.typed.turn_server.iteration = 2;
  s->turn[0].value.value.typed.turn_server.server_address.type = RELOAD_ADDRESS_IPV4;
  memcpy (s->turn[0].value.value.typed.turn_server.server_address.addr,
          (guint8[]){ 198, 51, 100, 7 }, 4);
  s->turn[0].value.value.typed.turn_server.server_address.port = 3478;

  stored (&s->certs[0], 1, 86400, 2);
  s->certs[0].value.index = 0;
  s->certs[0].value.value.exists = TRUE;
  s->certs[0].value.value.typed.certificate = (RwBytes){ der, sizeof der };
  /* §7.4.2.2: a synthetic nonexistent value, empty signature */
  s->certs[1].storage_time = 0;
  s->certs[1].lifetime = 0;
  s->certs[1].value.index = 1;
  s->certs[1].value.value.exists = FALSE;
  s->certs[1].signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;

  for (guint i = 0; i < 4; i++)
    node_id_fill (&s->keys[i], (guint8) (0x10 * (i + 1)));
  stored (&s->sip[0], 2, 7200, 3);
  s->sip[0].value.key = (RwBytes){ s->keys[0].id, 16 };
  s->sip[0].value.value.exists = TRUE;
  s->sip[0].value.value.typed.sip_registration.type = RELOAD_SIP_REGISTRATION_URI;
  s->sip[0].value.value.typed.sip_registration.uri = text ("sip:bob@example.org");
  stored (&s->sip[1], 3, 7200, 4);
  s->sip[1].value.key = (RwBytes){ s->keys[1].id, 16 };
  s->sip[1].value.value.exists = TRUE;
  s->route[0].type = RELOAD_DESTINATION_NODE;
  node_id_fill (&s->route[0].node_id, 0x77);
  s->route[1].type = RELOAD_DESTINATION_OPAQUE_ID;
  s->route[1].compressed = TRUE;
  s->route[1].compressed_id = 0x8abc;
  ReloadSipRegistration *r = &s->sip[1].value.value.typed.sip_registration;
  r->type = RELOAD_SIP_REGISTRATION_ROUTE;
  r->contact_prefs = text ("+sip.instance=\"<urn:uuid:1>\"");
  r->destination_list = s->route;
  r->n_destination_list = 2;

  stored (&s->redir[0], 4, 600, 5);
  s->redir[0].value.key = (RwBytes){ s->keys[2].id, 16 };
  s->redir[0].value.value.exists = TRUE;
  node_id_fill (&s->redir[0].value.value.typed.redir.service_provider, 0x90);
  s->redir[0].value.value.typed.redir.name_space = text ("voice-mail");
  s->redir[0].value.value.typed.redir.level = 1;
  s->redir[0].value.value.typed.redir.node = 0;

  stored (&s->single[0], 5, 60, 6);
  s->single[0].value.value.exists = TRUE;
  s->single[0].value.value.value = text ("abc");
  stored (&s->single[1], 6, 60, 7);
  s->single[1].value.value.exists = FALSE; /* §7.4.1.3 removal */

  stored (&s->array[0], 7, 60, 8);
  s->array[0].value.index = 0;
  s->array[0].value.value.exists = TRUE;
  s->array[0].value.value.value = text ("foo");
  stored (&s->array[1], 8, 60, 9);
  s->array[1].value.index = RELOAD_ARRAY_INDEX_APPEND;
  s->array[1].value.value.exists = TRUE;
  s->array[1].value.value.value = text ("bar");

  stored (&s->dict[0], 9, 60, 10);
  s->dict[0].value.key = text ("k1");
  s->dict[0].value.value.exists = TRUE;
  s->dict[0].value.value.value = text ("v1");
  stored (&s->dict[1], 10, 60, 11);
  s->dict[1].value.key = text ("");
  s->dict[1].value.value.exists = TRUE;
  s->dict[1].value.value.value = text ("");

  s->unknown[0].raw = text ("opaque stored data body");
  s->unknown[1].raw = text ("");
}

static void
fill_store_req (ReloadStoreReq *req, ReloadStoreKindData *kd)
{
  Samples *s = &samples;
  memset (kd, 0, 8 * sizeof *kd);
  struct
  {
    guint32 kind;
    ReloadStoredData *values;
    guint n;
  } kinds[8] = {
    { RELOAD_KIND_TURN_SERVICE, s->turn, 1 },
    { RELOAD_KIND_CERTIFICATE_BY_NODE, s->certs, 2 },
    { RELOAD_KIND_SIP_REGISTRATION, s->sip, 2 },
    { RELOAD_KIND_REDIR, s->redir, 1 },
    { KIND_SINGLE, s->single, 2 },
    { KIND_ARRAY, s->array, 2 },
    { KIND_DICT, s->dict, 2 },
    { KIND_UNKNOWN, s->unknown, 2 },
  };
  for (guint i = 0; i < 8; i++)
    {
      kd[i].kind = kinds[i].kind;
      kd[i].generation_counter = 100 + i;
      kd[i].values = kinds[i].values;
      kd[i].n_values = kinds[i].n;
    }
  memset (req, 0, sizeof *req);
  req->resource = (RwBytes){ resource, sizeof resource };
  req->replica_number = 0;
  req->kind_data = kd;
  req->n_kind_data = 8;
}

/* ---------------------------------------------------------------- Store */

static void
test_store_req (void)
{
  fill_samples ();
  ReloadStoreKindData kd[8];
  ReloadStoreReq req;
  fill_store_req (&req, kd);
  g_autoptr (GBytes) bytes =
      wire_test_roundtrip (reload_store_req_body, sizeof req, &req, &options);

  g_autofree char *json = json_of (reload_store_req_body, &req, &options);
  g_test_message ("%s", json);
  for (const char *const *m =
           (const char *const[]){
               "\"resource\":\"123456789abcdef00fedcba987654321\"", "\"replica_number\":0",
               "\"kind_data\":[", "\"generation_counter\":100", "\"storage_time\":1700000000000",
               "\"iteration\":2", "\"address\":\"198.51.100.7\"", "\"certificate\":\"3003020107\"",
               "\"index\":4294967295", "\"uri\":\"sip:bob@example.org\"",
               "\"type\":\"sip_registration_route\"", "\"namespace\":\"voice-mail\"",
               "\"value\":\"616263\"", "\"key\":\"6b31\"",
               "\"raw\":\"6f70617175652073746f726564206461746120626f6479\"",
               "\"exists\":false,\"value\":\"\"", "\"signature\":{", NULL };
       *m != NULL; m++)
    if (strstr (json, *m) == NULL)
      g_error ("JSON lacks %s: %s", *m, json);

  /* Without the configuration, the configured kinds are unknown too: the
   * same bytes decode, their values stay raw, and encode back the same. */
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoreReq raw = { 0 };
  wire_test_decode (reload_store_req_body, data, len, &bare, arena, &raw);
  g_assert_cmpuint (raw.n_kind_data, ==, 8);
  g_assert_cmpuint (raw.kind_data[4].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (raw.kind_data[4].n_values, ==, 2);
  g_assert_cmpuint (raw.kind_data[4].values[0].raw.len, >, 0);
  g_assert_cmpuint (raw.kind_data[0].values[0].raw.len, ==, 0); /* TURN: typed */
  g_autoptr (GBytes) again = wire_test_roundtrip (reload_store_req_body, sizeof raw, &raw, &bare);
  g_assert_true (g_bytes_equal (bytes, again));
  g_autofree char *rawjson = json_of (reload_store_req_body, &raw, &bare);
  g_assert_nonnull (
      strstr (rawjson, "{\"kind\":4000,\"generation_counter\":104,\"values\":[{\"raw\":"));
}

/* The RFC's own example (§7.4.1.1 figure): "abc" as the single value of a
 * kind X, generation 99, lifetime 86400, written out by hand. */
static void
test_store_req_by_hand (void)
{
  g_autoptr (GBytes) bytes =
      wire_test_hex ("04 31323334"              /* resource "1234", opaque<0..2^8-1> */
                     "00"                       /* replica_number */
                     "0000002f"                 /* kind_data<0..2^32-1>: 47 bytes */
                     "  00000fa0"               /*   kind 4000 (single, configured) */
                     "  0000000000000063"       /*   generation_counter 99 */
                     "  0000001f"               /*   values<0..2^32-1>: 31 bytes */
                     "    0000001b"             /*     StoredData length: 27 */
                     "    0000018bcfe56800"     /*     storage_time */
                     "    00015180"             /*     lifetime 86400 */
                     "    01 00000003 616263"   /*   DataValue {exists, "abc"} */
                     "    04 01 03 0000 0000"); /* Signature: sha256, rsa, none, empty */
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoreReq req = { 0 };
  wire_test_decode (reload_store_req_body, data, len, &options, arena, &req);
  g_assert_cmpuint (req.resource.len, ==, 4);
  g_assert_cmpuint (req.n_kind_data, ==, 1);
  ReloadStoreKindData *k = &req.kind_data[0];
  g_assert_cmpuint (k->kind, ==, KIND_SINGLE);
  g_assert_cmpuint (k->generation_counter, ==, 99);
  g_assert_cmpuint (k->n_values, ==, 1);
  g_assert_cmpuint (k->values[0].storage_time, ==, G_GUINT64_CONSTANT (1700000000000));
  g_assert_cmpuint (k->values[0].lifetime, ==, 86400);
  g_assert_true (k->values[0].value.value.exists);
  g_assert_cmpmem (k->values[0].value.value.value.data, 3, "abc", 3);
  g_assert_cmpuint (k->values[0].signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_NONE);

  g_autoptr (GBytes) again =
      wire_test_roundtrip (reload_store_req_body, sizeof req, &req, &options);
  g_assert_true (g_bytes_equal (bytes, again));

  /* The same body through the message-code table. */
  const ReloadBodyType *t = reload_body_type_lookup (RELOAD_STORE_REQ);
  g_assert_nonnull (t);
  g_assert_true (t->visit == reload_store_req_body);
  g_assert_cmpuint (t->size, ==, sizeof (ReloadStoreReq));
  for (guint16 code = RELOAD_STORE_REQ; code <= RELOAD_FIND_ANS; code++)
    if (code != 0xB && code != 0xC)
      g_assert_nonnull (reload_body_type_lookup (code));
  g_assert_nonnull (reload_body_type_lookup (RELOAD_STAT_REQ));
  g_assert_nonnull (reload_body_type_lookup (RELOAD_STAT_ANS));
}

static void
test_store_ans (void)
{
  ReloadNodeId replicas[2];
  node_id_fill (&replicas[0], 0x31);
  node_id_fill (&replicas[1], 0x32);
  ReloadStoreKindResponse kr[2] = {
    { RELOAD_KIND_SIP_REGISTRATION, 7, replicas, 2 },
    { KIND_UNKNOWN, 1, NULL, 0 }, /* error_info of Gen_Counter_Too_Low: no replicas */
  };
  ReloadStoreAns ans = { kr, 2 };
  g_autoptr (GBytes) bytes =
      wire_test_roundtrip (reload_store_ans_body, sizeof ans, &ans, &options);
  /* 2 + (4 + 8 + 2 + 32) + (4 + 8 + 2) */
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 2 + 46 + 14);
  g_autofree char *json = json_of (reload_store_ans_body, &ans, &options);
  g_assert_nonnull (strstr (json, "\"replicas\":[\"3132333435363738393a3b3c3d3e3f40\","));

  /* a replica cut by the list length */
  g_autoptr (GBytes) cut = wire_test_hex ("0020 00000001 0000000000000007 0012"
                                          "000102030405060708090a0b0c0d0e0f 0001");
  g_autoptr (GError) e = wire_test_expect_error (
      reload_store_ans_body, sizeof ans, g_bytes_get_data (cut, NULL), g_bytes_get_size (cut),
      &options, "kind_responses[0].replicas[1]", -1);
  g_assert_error (e, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* ---------------------------------------------------------------- Fetch */

static void
fill_specifiers (ReloadStoredDataSpecifier *sp, ReloadArrayRange *ranges, RwBytes *keys)
{
  memset (sp, 0, 6 * sizeof *sp);
  ranges[0] = (ReloadArrayRange){ 0, 3 };
  ranges[1] = (ReloadArrayRange){ 10, RELOAD_ARRAY_INDEX_LAST };
  keys[0] = text ("k1");
  keys[1] = text ("");
  sp[0].kind = RELOAD_KIND_TURN_SERVICE;
  sp[1].kind = RELOAD_KIND_CERTIFICATE_BY_USER;
  sp[1].generation = 5;
  sp[1].indices = ranges;
  sp[1].n_indices = 2;
  sp[2].kind = RELOAD_KIND_SIP_REGISTRATION; /* wildcard */
  sp[3].kind = KIND_DICT;
  sp[3].keys = keys;
  sp[3].n_keys = 2;
  sp[4].kind = KIND_UNKNOWN;
  sp[4].raw = text ("\x00\x01?");
  sp[4].raw.len = 3;
  sp[5].kind = KIND_UNKNOWN;
}

static void
test_fetch_req (void)
{
  ReloadStoredDataSpecifier sp[6];
  ReloadArrayRange ranges[2];
  RwBytes keys[2];
  fill_specifiers (sp, ranges, keys);
  ReloadFetchReq req = { { resource, sizeof resource }, sp, 6 };
  g_autoptr (GBytes) bytes =
      wire_test_roundtrip (reload_fetch_req_body, sizeof req, &req, &options);
  g_autofree char *json = json_of (reload_fetch_req_body, &req, &options);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "{\"kind\":2,\"generation\":0}"));
  g_assert_nonnull (
      strstr (json, "\"indices\":[{\"first\":0,\"last\":3},{\"first\":10,\"last\":4294967295}]"));
  g_assert_nonnull (strstr (json, "{\"kind\":1,\"generation\":0,\"keys\":[]}"));
  g_assert_nonnull (strstr (json, "\"keys\":[\"6b31\",\"\"]"));
  g_assert_nonnull (strstr (json, "{\"kind\":5000,\"generation\":0,\"raw\":\"00013f\"}"));

  /* Stat requests are the same structure (§7.4.3.1). */
  g_autoptr (GBytes) stat = wire_test_roundtrip (reload_stat_req_body, sizeof req, &req, &options);
  g_assert_true (g_bytes_equal (bytes, stat));

  /* By hand (§7.4.2.1): one array specifier, range [0, 0xffffffff]. */
  g_autoptr (GBytes) hand =
      wire_test_hex ("00 0026 00000003 0000000000000000 000a 0008 00000000 ffffffff"
                     "00000fa0 0000000000000001 0000");
  gsize len;
  const guint8 *data = g_bytes_get_data (hand, &len);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadFetchReq d = { 0 };
  wire_test_decode (reload_fetch_req_body, data, len, &options, arena, &d);
  g_assert_cmpuint (d.n_specifiers, ==, 2);
  g_assert_cmpuint (d.specifiers[0].n_indices, ==, 1);
  g_assert_cmpuint (d.specifiers[0].indices[0].last, ==, RELOAD_ARRAY_INDEX_LAST);
  g_assert_cmpuint (d.specifiers[1].kind, ==, KIND_SINGLE);

  /* A specifier whose length does not match its model_specifier. */
  g_autoptr (GBytes) extra = wire_test_hex ("00 000f 00000fa0 0000000000000001 0001 00");
  g_autoptr (GError) e1 =
      wire_test_expect_error (reload_fetch_req_body, sizeof d, g_bytes_get_data (extra, NULL),
                              g_bytes_get_size (extra), &options, "specifiers[0]", -1);
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  /* An array range list cut in the middle of a range. */
  g_autoptr (GBytes) cut = wire_test_hex ("00 0014 00000003 0000000000000000 0006 0004 00000000");
  g_autoptr (GError) e2 = wire_test_expect_error (
      reload_fetch_req_body, sizeof d, g_bytes_get_data (cut, NULL), g_bytes_get_size (cut),
      &options, "specifiers[0].indices[0].last", -1);
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
}

static void
test_fetch_ans (void)
{
  fill_samples ();
  Samples *s = &samples;
  ReloadFetchKindResponse kr[5] = {
    { RELOAD_KIND_SIP_REGISTRATION, 12, s->sip, 2 },
    { RELOAD_KIND_CERTIFICATE_BY_NODE, 3, s->certs, 2 },
    { KIND_ARRAY, 9, s->array, 2 },
    { KIND_UNKNOWN, 1, s->unknown, 2 },
    { RELOAD_KIND_TURN_SERVICE, 4, NULL, 0 }, /* generation matched: no values */
  };
  ReloadFetchAns ans = { kr, 5 };
  g_bytes_unref (wire_test_roundtrip (reload_fetch_ans_body, sizeof ans, &ans, &options));
  g_autofree char *json = json_of (reload_fetch_ans_body, &ans, &options);
  g_assert_nonnull (
      strstr (json, "\"kind_responses\":[{\"kind\":1,\"generation\":12,\"values\":["));
  g_assert_nonnull (strstr (json, "\"destination_list\":[{\"type\":\"node\""));
  g_assert_nonnull (strstr (json, "{\"kind\":2,\"generation\":4,\"values\":[]}"));
}

/* ---------------------------------------------------------------- Stat */

static void
test_stat_ans (void)
{
  static guint8 digest[32];
  memset (digest, 0xd1, sizeof digest);
  ReloadStoredMetaData single[1] = { { 0 } };
  single[0].storage_time = 11;
  single[0].lifetime = 22;
  single[0].metadata.value = (ReloadMetaData){ TRUE, 9, RELOAD_HASH_SHA256, { digest, 32 } };
  ReloadStoredMetaData array[2] = { { 0 } };
  array[0].metadata.index = 0;
  array[0].metadata.value = (ReloadMetaData){ TRUE, 5, RELOAD_HASH_SHA1, { digest, 20 } };
  array[1].metadata.index = 7;
  array[1].metadata.value = (ReloadMetaData){ FALSE, 0, RELOAD_HASH_NONE, { NULL, 0 } };
  ReloadStoredMetaData dict[1] = { { 0 } };
  dict[0].metadata.key = text ("node-key");
  dict[0].metadata.value = (ReloadMetaData){ TRUE, 100, 200, { digest, 1 } }; /* unnamed hash */
  ReloadStoredMetaData unknown[1] = { { 0 } };
  unknown[0].raw = text ("meta");

  ReloadStatKindResponse kr[4] = {
    { RELOAD_KIND_TURN_SERVICE, 1, single, 1 },
    { KIND_ARRAY, 2, array, 2 },
    { RELOAD_KIND_SIP_REGISTRATION, 3, dict, 1 },
    { KIND_UNKNOWN, 4, unknown, 1 },
  };
  ReloadStatAns ans = { kr, 4 };
  g_bytes_unref (wire_test_roundtrip (reload_stat_ans_body, sizeof ans, &ans, &options));
  g_autofree char *json = json_of (reload_stat_ans_body, &ans, &options);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (
      json,
      "\"metadata\":{\"exists\":true,\"value_length\":9,\"hash_algorithm\":\"sha256\",\"hash_value\":\"d1d1"));
  g_assert_nonnull (strstr (
      json,
      "\"metadata\":{\"index\":7,\"exists\":false,\"value_length\":0,\"hash_algorithm\":\"none\",\"hash_value\":\"\"}"));
  g_assert_nonnull (strstr (json, "\"key\":\"6e6f64652d6b6579\""));
  g_assert_nonnull (strstr (json, "\"hash_algorithm\":200"));
  g_assert_nonnull (strstr (json, "{\"raw\":\"6d657461\"}"));

  /* By hand (§7.4.3.2): one single-value StoredMetaData, its first u32 the
   * length of the rest (see reload-storage.h). */
  g_autoptr (GBytes) hand = wire_test_hex ("00000029 00000002 0000000000000001 00000019"
                                           "  00000015 000000000000000b 00000016"
                                           "  01 00000009 04 02 abcd");
  gsize len;
  const guint8 *data = g_bytes_get_data (hand, &len);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStatAns d = { 0 };
  wire_test_decode (reload_stat_ans_body, data, len, &options, arena, &d);
  g_assert_cmpuint (d.n_kind_responses, ==, 1);
  g_assert_cmpuint (d.kind_responses[0].n_values, ==, 1);
  ReloadStoredMetaData *m = &d.kind_responses[0].values[0];
  g_assert_cmpuint (m->storage_time, ==, 11);
  g_assert_cmpuint (m->lifetime, ==, 22);
  g_assert_true (m->metadata.value.exists);
  g_assert_cmpuint (m->metadata.value.value_length, ==, 9);
  g_assert_cmpuint (m->metadata.value.hash_value.len, ==, 2);

  /* value_length (the StoredMetaData length) one too large */
  g_autoptr (GBytes) bad = wire_test_hex ("00000029 00000002 0000000000000001 00000019"
                                          "  00000016 000000000000000b 00000016"
                                          "  01 00000009 04 02 abcd");
  g_autoptr (GError) e =
      wire_test_expect_error (reload_stat_ans_body, sizeof d, g_bytes_get_data (bad, NULL),
                              g_bytes_get_size (bad), &options, "kind_responses[0].values[0]", -1);
  g_assert_error (e, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* an invalid Boolean in MetaData */
  g_autoptr (GBytes) boolean = wire_test_hex ("00000029 00000002 0000000000000001 00000019"
                                              "  00000015 000000000000000b 00000016"
                                              "  07 00000009 04 02 abcd");
  g_autoptr (GError) e2 = wire_test_expect_error (
      reload_stat_ans_body, sizeof d, g_bytes_get_data (boolean, NULL), g_bytes_get_size (boolean),
      &options, "values[0].metadata.exists", -1);
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
}

/* ---------------------------------------------------------------- Find */

static void
test_find (void)
{
  guint32 kinds[3] = { RELOAD_KIND_SIP_REGISTRATION, RELOAD_KIND_REDIR, KIND_UNKNOWN };
  ReloadFindReq req = { { resource, sizeof resource }, kinds, 3 };
  g_autoptr (GBytes) rbytes =
      wire_test_roundtrip (reload_find_req_body, sizeof req, &req, &options);
  g_autoptr (GBytes) rexpected = wire_test_hex ("10 123456789abcdef00fedcba987654321"
                                                "0c 00000001 00000068 00001388");
  g_assert_true (g_bytes_equal (rbytes, rexpected));
  g_autofree char *rjson = json_of (reload_find_req_body, &req, &options);
  g_assert_nonnull (strstr (rjson, "\"kinds\":[1,104,5000]"));

  static const guint8 zero[1] = { 0 };
  ReloadFindKindData results[2] = {
    { RELOAD_KIND_SIP_REGISTRATION, { resource, sizeof resource } },
    { KIND_UNKNOWN, { zero, 1 } }, /* "It is 0 if no Resource-ID is known" */
  };
  ReloadFindAns ans = { results, 2 };
  g_autoptr (GBytes) abytes =
      wire_test_roundtrip (reload_find_ans_body, sizeof ans, &ans, &options);
  g_autoptr (GBytes) aexpected = wire_test_hex ("001b 00000001 10 123456789abcdef00fedcba987654321"
                                                "00001388 01 00");
  g_assert_true (g_bytes_equal (abytes, aexpected));
  g_autofree char *ajson = json_of (reload_find_ans_body, &ans, &options);
  g_assert_nonnull (strstr (ajson, "\"results\":[{\"kind\":1,\"closest\":\"1234"));

  /* a kind list that is not a whole number of KindIds */
  g_autoptr (GBytes) cut = wire_test_hex ("00 03 000001");
  g_autoptr (GError) e =
      wire_test_expect_error (reload_find_req_body, sizeof req, g_bytes_get_data (cut, NULL),
                              g_bytes_get_size (cut), &options, "kinds[0]", -1);
  g_assert_error (e, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* a results list longer than the body */
  g_autoptr (GBytes) longer = wire_test_hex ("0010 00000001 00");
  g_autoptr (GError) e2 =
      wire_test_expect_error (reload_find_ans_body, sizeof ans, g_bytes_get_data (longer, NULL),
                              g_bytes_get_size (longer), &options, "results", 0);
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
}

/* ---------------------------------------------------------------- failures */

/* A StoreReq holding one StoredData of @kind, from hex pieces: the
 * StoredData's body after its length (@body_hex) with @length_delta added
 * to its true length. */
static GBytes *
store_req_with (guint32 kind, const char *body_hex, gint length_delta)
{
  g_autoptr (GBytes) body = wire_test_hex (body_hex);
  gsize n = g_bytes_get_size (body);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 head[2] = { 0, 0 }; /* empty resource, replica 0 */
  g_byte_array_append (out, head, 2);
  guint32 kd_len = GUINT32_TO_BE ((guint32) (4 + 8 + 4 + 4 + n));
  g_byte_array_append (out, (guint8 *) &kd_len, 4);
  guint32 k = GUINT32_TO_BE (kind);
  g_byte_array_append (out, (guint8 *) &k, 4);
  guint8 gen[8] = { 0 };
  g_byte_array_append (out, gen, 8);
  guint32 values_len = GUINT32_TO_BE ((guint32) (4 + n));
  g_byte_array_append (out, (guint8 *) &values_len, 4);
  guint32 sd_len = GUINT32_TO_BE ((guint32) ((gint) n + length_delta));
  g_byte_array_append (out, (guint8 *) &sd_len, 4);
  g_byte_array_append (out, g_bytes_get_data (body, NULL), n);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

#define SIG_NONE "00 00 03 0000 0000"
#define TIMES "0000000000000001 0000003c"

static GError *
store_error (GBytes *bytes, const char *field)
{
  return wire_test_expect_error (reload_store_req_body, sizeof (ReloadStoreReq),
                                 g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &options,
                                 field, -1);
}

static void
test_failures (void)
{
  /* the well-formed base decodes */
  g_autoptr (GBytes) good = store_req_with (KIND_SINGLE, TIMES "01 00000001 41" SIG_NONE, 0);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoreReq req = { 0 };
  wire_test_decode (reload_store_req_body, g_bytes_get_data (good, NULL), g_bytes_get_size (good),
                    &options, arena, &req);

  /* StoredData length too large: runs past the values list */
  g_autoptr (GBytes) b1 = store_req_with (KIND_SINGLE, TIMES "01 00000001 41" SIG_NONE, 1);
  g_autoptr (GError) e1 = store_error (b1, "kind_data[0].values[0]");
  g_assert_error (e1, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  g_assert_nonnull (strstr (e1->message, "length"));
  /* StoredData length too small: the signature is cut */
  g_autoptr (GBytes) b2 = store_req_with (KIND_SINGLE, TIMES "01 00000001 41" SIG_NONE, -1);
  g_autoptr (GError) e2 = store_error (b2, "kind_data[0].values[0].signature.signature_value");
  g_assert_error (e2, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* a byte after the signature, inside the StoredData length */
  g_autoptr (GBytes) b3 = store_req_with (KIND_SINGLE, TIMES "01 00000001 41" SIG_NONE "ee", 0);
  g_autoptr (GError) e3 = store_error (b3, "kind_data[0].values[0]");
  g_assert_error (e3, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  /* an invalid Boolean */
  g_autoptr (GBytes) b4 = store_req_with (KIND_SINGLE, TIMES "02 00000001 41" SIG_NONE, 0);
  g_autoptr (GError) e4 = store_error (b4, "kind_data[0].values[0].value.exists");
  g_assert_error (e4, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* a DataValue length past the StoredData */
  g_autoptr (GBytes) b5 = store_req_with (KIND_SINGLE, TIMES "01 000000ff 41" SIG_NONE, 0);
  g_autoptr (GError) e5 = store_error (b5, "kind_data[0].values[0].value.value");
  g_assert_error (e5, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* a bad SipRegistration type inside a dictionary entry */
  g_autoptr (GBytes) b6 = store_req_with (RELOAD_KIND_SIP_REGISTRATION,
                                          TIMES "0002 abcd 01 00000005 00 0002 0000" SIG_NONE, 0);
  g_autoptr (GError) e6 = store_error (b6, "kind_data[0].values[0].value.value.type");
  g_assert_error (e6, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  /* the same type 0 with exists false is not typed: kept, not checked */
  g_autoptr (GBytes) b7 = store_req_with (RELOAD_KIND_SIP_REGISTRATION,
                                          TIMES "0002 abcd 00 00000005 00 0002 0000" SIG_NONE, 0);
  ReloadStoreReq removed = { 0 };
  wire_test_decode (reload_store_req_body, g_bytes_get_data (b7, NULL), g_bytes_get_size (b7),
                    &options, arena, &removed);
  g_assert_cmpuint (removed.kind_data[0].values[0].value.value.value.len, ==, 5);
  /* a typed value with a byte left over inside the DataValue's length */
  g_autoptr (GBytes) b8 = store_req_with (
      RELOAD_KIND_SIP_REGISTRATION, TIMES "0002 abcd 01 00000006 01 0002 0000 ff" SIG_NONE, 0);
  g_autoptr (GError) e8 = store_error (b8, "kind_data[0].values[0].value.value");
  g_assert_error (e8, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRAILING);
  /* a dictionary key cut */
  g_autoptr (GBytes) b9 = store_req_with (KIND_DICT, TIMES "00ff ab", 0);
  g_autoptr (GError) e9 = store_error (b9, "kind_data[0].values[0].value.key");
  g_assert_error (e9, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* an array entry missing its DataValue */
  g_autoptr (GBytes) b10 = store_req_with (KIND_ARRAY, TIMES "00000001", 0);
  g_autoptr (GError) e10 = store_error (b10, "kind_data[0].values[0].value.exists");
  g_assert_error (e10, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* an unknown kind: any body is kept, but its length still has to fit */
  g_autoptr (GBytes) b11 = store_req_with (KIND_UNKNOWN, "01020304", 0);
  ReloadStoreReq unknown = { 0 };
  wire_test_decode (reload_store_req_body, g_bytes_get_data (b11, NULL), g_bytes_get_size (b11),
                    &options, arena, &unknown);
  g_assert_cmpuint (unknown.kind_data[0].values[0].raw.len, ==, 4);
  g_autoptr (GBytes) b12 = store_req_with (KIND_UNKNOWN, "01020304", 1);
  g_autoptr (GError) e12 = store_error (b12, "kind_data[0].values[0]");
  g_assert_error (e12, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);

  /* a kind_data list whose length runs past the body */
  g_autoptr (GBytes) b13 = wire_test_hex ("00 00 00000010 00000001");
  g_autoptr (GError) e13 =
      wire_test_expect_error (reload_store_req_body, sizeof req, g_bytes_get_data (b13, NULL),
                              g_bytes_get_size (b13), &options, "kind_data", 2);
  g_assert_error (e13, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  /* a values list cut in the middle of a StoredData length */
  g_autoptr (GBytes) b14 = wire_test_hex ("00 00 00000012 00000fa0 0000000000000000 00000002 0000");
  g_autoptr (GError) e14 =
      wire_test_expect_error (reload_store_req_body, sizeof req, g_bytes_get_data (b14, NULL),
                              g_bytes_get_size (b14), &options, "kind_data[0].values[0]", -1);
  g_assert_error (e14, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
  /* trailing bytes after a whole StoreKindData inside kind_data */
  g_autoptr (GBytes) b15 = wire_test_hex ("00 00 00000011 00000fa0 0000000000000000 00000000 99");
  g_autoptr (GError) e15 =
      wire_test_expect_error (reload_store_req_body, sizeof req, g_bytes_get_data (b15, NULL),
                              g_bytes_get_size (b15), &options, "kind_data[1].kind", -1);
  g_assert_error (e15, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED);
}

/* Encoding refuses what cannot be sent: a Node-ID of the wrong length in
 * a typed value, a stored value too large for its length field. */
static void
test_encode_failures (void)
{
  fill_samples ();
  ReloadStoreKindData kd[8];
  ReloadStoreReq req;
  fill_store_req (&req, kd);
  samples.redir[0].value.value.typed.redir.service_provider.len = 20;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, &options);
  reload_store_req_body (c, &req);
  g_autoptr (GError) error = NULL;
  g_assert_false (rw_codec_finish (c, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "kind_data[3].values[0].value.value.service_provider"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/store-req", test_store_req);
  g_test_add_func ("/storage/store-req-by-hand", test_store_req_by_hand);
  g_test_add_func ("/storage/store-ans", test_store_ans);
  g_test_add_func ("/storage/fetch-req", test_fetch_req);
  g_test_add_func ("/storage/fetch-ans", test_fetch_ans);
  g_test_add_func ("/storage/stat-ans", test_stat_ans);
  g_test_add_func ("/storage/find", test_find);
  g_test_add_func ("/storage/failures", test_failures);
  g_test_add_func ("/storage/encode-failures", test_encode_failures);
  return g_test_run ();
}
