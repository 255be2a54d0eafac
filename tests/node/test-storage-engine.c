/* test-storage-engine.c: the storage engine (overlay/node/reload-storage.h),
 * RFC 6940 §7: every data model through Store, Fetch, Stat and Find, and
 * every rule of §7.4.1 accepted and rejected: generation counters, storage
 * times, limits, unknown kinds, removal, lifetimes, signatures, the access
 * control policies of §7.3 (data signer and request signer), replica
 * stores, export to a fresh storage, drop_outside.
 *
 * Requests are built in their own arena, freed right after each call, so
 * that ASan catches any pointer the engine kept into a request.
 *
 * A fake verify function stands for the security layer: a signature_value
 * "user|<32 hex digits>" is a valid signature by that user and Node-ID
 * ("user|" for no Node-ID, "|hex" for no user), "BAD" is an invalid one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore.h"

#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)

/* Configured kinds (private use, §14.6) for the generic data models. */
#define KIND_SINGLE 0x80000001u
#define KIND_ARRAY 0x80000002u
#define KIND_DICT 0x80000003u
#define KIND_NOT_CONFIGURED 0x80000099u
#define KIND_NOT_CONFIGURED_2 0x8000009au

/* ---------------------------------------------------------------- fixture */

typedef struct
{
  ReloadKindTable *kinds;
  ReloadStorage *s;
  RwArena *arena;  /* answers */
  GPtrArray *keep; /* what the fake verify hands out */
  guint n_verified;
} Fix;

static void
fix_init (Fix *f)
{
  memset (f, 0, sizeof *f);
  f->kinds = reload_kind_table_new_default ();
  ReloadKindDef single = { KIND_SINGLE,
                           (char *) "TEST-SINGLE",
                           RELOAD_DATA_MODEL_SINGLE,
                           RELOAD_ACCESS_USER_MATCH,
                           1,
                           16,
                           0 };
  ReloadKindDef array = {
    KIND_ARRAY, (char *) "TEST-ARRAY", RELOAD_DATA_MODEL_ARRAY, RELOAD_ACCESS_USER_MATCH, 10, 16, 0
  };
  ReloadKindDef dict = {
    KIND_DICT, (char *) "TEST-DICT", RELOAD_DATA_MODEL_DICTIONARY, RELOAD_ACCESS_USER_MATCH, 3, 16,
    0
  };
  reload_kind_table_add (f->kinds, &single);
  reload_kind_table_add (f->kinds, &array);
  reload_kind_table_add (f->kinds, &dict);
  f->s = reload_storage_new (f->kinds);
  f->arena = rw_arena_new (0);
  f->keep = g_ptr_array_new_with_free_func (g_free);
}

static void
fix_clear (Fix *f)
{
  reload_storage_free (f->s);
  reload_kind_table_unref (f->kinds);
  rw_arena_free (f->arena);
  g_ptr_array_unref (f->keep);
}

static ReloadNodeId
node (guint8 seed)
{
  ReloadNodeId n = { 0 };
  n.len = 16;
  for (guint i = 0; i < 16; i++)
    n.id[i] = (guint8) (seed * 17 + i);
  return n;
}

static char *
node_hex (const ReloadNodeId *n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n->len; i++)
    g_string_append_printf (s, "%02x", n->id[i]);
  return g_string_free (s, FALSE);
}

/* H(name) as a 16-byte Resource-ID (§10.2). */
typedef struct
{
  guint8 b[16];
} Rid;

static Rid
rid_hash (const void *data, gsize len)
{
  Rid r;
  chord_id_to_bytes (chord_id_hash (data, len), r.b);
  return r;
}

static Rid
rid_of (const char *name)
{
  return rid_hash (name, strlen (name));
}

static Rid
rid_of_node (const ReloadNodeId *n)
{
  return rid_hash (n->id, n->len);
}

static Rid
rid_of_chord (ChordId id)
{
  Rid r;
  chord_id_to_bytes (id, r.b);
  return r;
}

static RwBytes
rb (const Rid *r)
{
  return (RwBytes){ r->b, 16 };
}

static gboolean
fake_verify (gpointer user_data, RwBytes resource_id, guint32 kind, const ReloadStoredData *d,
             ReloadSignerInfo *out)
{
  Fix *f = user_data;
  f->n_verified++;
  g_autofree char *text = g_strndup ((const char *) d->signature.signature_value.data,
                                     d->signature.signature_value.len);
  if (strcmp (text, "BAD") == 0)
    return FALSE;
  const char *bar = strchr (text, '|');
  g_assert_nonnull (bar);
  char *user = g_strndup (text, (gsize) (bar - text));
  g_ptr_array_add (f->keep, user);
  ReloadNodeId *n = g_new0 (ReloadNodeId, 1);
  g_ptr_array_add (f->keep, n);
  ChordId id;
  gboolean has_node = chord_id_from_hex (bar + 1, &id);
  if (has_node)
    *n = chord_id_to_node_id (id);
  out->user_name = *user != '\0' ? user : NULL;
  out->node_ids = n;
  out->n_node_ids = has_node ? 1 : 0;
  return TRUE;
}

/* ---------------------------------------------------------------- requests */

#define MAX_KINDS 6
#define MAX_VALUES 12

typedef struct
{
  RwArena *a;
  Rid rid;
  ReloadStoreReq req;
  ReloadStoreKindData kd[MAX_KINDS];
  ReloadStoredData v[MAX_KINDS][MAX_VALUES];
} Req;

static Req *
req_new (const Rid *rid, guint8 replica_number)
{
  Req *r = g_new0 (Req, 1);
  r->a = rw_arena_new (0);
  r->rid = *rid;
  r->req.resource = (RwBytes){ r->rid.b, 16 };
  r->req.replica_number = replica_number;
  r->req.kind_data = r->kd;
  return r;
}

static void
req_free (Req *r)
{
  rw_arena_free (r->a);
  /* Scribble over the request: a pointer the engine kept would now read
   * garbage (and ASan reports the freed arena). */
  memset (r, 0xa5, sizeof *r);
  g_free (r);
}

static ReloadStoreKindData *
req_kind (Req *r, guint32 kind, guint64 generation)
{
  g_assert_cmpuint (r->req.n_kind_data, <, MAX_KINDS);
  guint i = r->req.n_kind_data++;
  r->kd[i].kind = kind;
  r->kd[i].generation_counter = generation;
  r->kd[i].values = r->v[i];
  return &r->kd[i];
}

static RwBytes
req_bytes (Req *r, const void *data, gsize len)
{
  guint8 *p = rw_arena_alloc0 (r->a, len + 1);
  memcpy (p, data, len);
  return (RwBytes){ p, len };
}

static RwBytes
req_text (Req *r, const char *s)
{
  return req_bytes (r, s, strlen (s));
}

static void
sign_as (Req *r, ReloadSignature *sig, const char *user, const ReloadNodeId *n)
{
  static const guint8 cert_hash[32] = { 0xaa, 0xbb, 0xcc };
  sig->hash_algorithm = RELOAD_HASH_SHA256;
  sig->signature_algorithm = RELOAD_SIG_RSA;
  sig->identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  sig->identity.hash_alg = RELOAD_HASH_SHA256;
  sig->identity.hash = req_bytes (r, cert_hash, sizeof cert_hash);
  g_autofree char *hex = n != NULL ? node_hex (n) : g_strdup ("");
  g_autofree char *text = g_strdup_printf ("%s|%s", user != NULL ? user : "", hex);
  sig->signature_value = req_text (r, text);
}

/* A value of @k: raw bytes (configured kinds) or a removal (NULL). */
static ReloadStoredData *
req_value (Req *r, ReloadStoreKindData *k, guint64 time, guint32 lifetime, const char *value,
           const char *user, const ReloadNodeId *n)
{
  g_assert_cmpuint (k->n_values, <, MAX_VALUES);
  ReloadStoredData *d = &k->values[k->n_values++];
  d->storage_time = time;
  d->lifetime = lifetime;
  d->value.value.exists = value != NULL;
  if (value != NULL)
    d->value.value.value = req_text (r, value);
  sign_as (r, &d->signature, user, n);
  return d;
}

static ReloadStoredData *
req_dict_value (Req *r, ReloadStoreKindData *k, guint64 time, const char *key, const char *value,
                const char *user, const ReloadNodeId *n)
{
  ReloadStoredData *d = req_value (r, k, time, 3600, value, user, n);
  d->value.key = req_text (r, key);
  return d;
}

static ReloadStoredData *
req_array_value (Req *r, ReloadStoreKindData *k, guint64 time, guint32 index, const char *value,
                 const char *user)
{
  ReloadStoredData *d = req_value (r, k, time, 3600, value, user, NULL);
  d->value.index = index;
  return d;
}

static const ReloadSignerInfo *
signer (Fix *f, const char *user, const ReloadNodeId *n)
{
  ReloadSignerInfo *si = g_new0 (ReloadSignerInfo, 1);
  g_ptr_array_add (f->keep, si);
  si->user_name = user;
  if (n != NULL)
    {
      ReloadNodeId *copy = g_memdup2 (n, sizeof *n);
      g_ptr_array_add (f->keep, copy);
      si->node_ids = copy;
      si->n_node_ids = 1;
    }
  return si;
}

/* Stores and frees the request; returns the status, fills @ans/@err. */
static ReloadStorageStatus
do_store (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now, ReloadStoreAns *ans,
          ReloadErrorResponse *err)
{
  ReloadStoreAns a;
  ReloadErrorResponse e;
  ReloadStorageStatus st =
      reload_storage_store (f->s, &r->req, rs, fake_verify, f, now, f->arena, &a, &e);
  req_free (r);
  if (ans != NULL)
    *ans = a;
  if (err != NULL)
    *err = e;
  return st;
}

static void
store_ok (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now)
{
  ReloadErrorResponse err;
  ReloadStorageStatus st = do_store (f, r, rs, now, NULL, &err);
  if (st != RELOAD_STORAGE_OK)
    g_error ("store failed: error %u: %.*s", err.error_code, (int) err.error_info.len,
             (const char *) err.error_info.data);
}

static guint16
store_fails (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now)
{
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (f, r, rs, now, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  return err.error_code;
}

/* Fetch requests: one specifier per call of spec_*, at most 6. */
typedef struct
{
  Rid rid;
  ReloadFetchReq req;
  ReloadStoredDataSpecifier spec[MAX_KINDS];
  ReloadArrayRange ranges[MAX_KINDS][8];
  RwBytes keys[MAX_KINDS][8];
} Fetch;

static void
fetch_init (Fetch *q, const Rid *rid)
{
  memset (q, 0, sizeof *q);
  q->rid = *rid;
  q->req.resource = (RwBytes){ q->rid.b, 16 };
  q->req.specifiers = q->spec;
}

static ReloadStoredDataSpecifier *
spec_add (Fetch *q, guint32 kind, guint64 generation)
{
  guint i = q->req.n_specifiers++;
  q->spec[i].kind = kind;
  q->spec[i].generation = generation;
  q->spec[i].indices = q->ranges[i];
  q->spec[i].keys = q->keys[i];
  return &q->spec[i];
}

static void
spec_range (ReloadStoredDataSpecifier *sp, guint32 first, guint32 last)
{
  sp->indices[sp->n_indices++] = (ReloadArrayRange){ first, last };
}

static void
spec_key (ReloadStoredDataSpecifier *sp, const char *key)
{
  sp->keys[sp->n_keys++] = (RwBytes){ (const guint8 *) key, strlen (key) };
}

static ReloadFetchAns
fetch_ok (Fix *f, const Fetch *q, gint64 now)
{
  ReloadFetchAns ans;
  ReloadErrorResponse err;
  ReloadStorageStatus st = reload_storage_fetch (f->s, &q->req, now, f->arena, &ans, &err);
  if (st != RELOAD_STORAGE_OK)
    g_error ("fetch failed: error %u", err.error_code);
  g_assert_cmpuint (ans.n_kind_responses, ==, q->req.n_specifiers);
  return ans;
}

static ReloadStatAns
stat_ok (Fix *f, const Fetch *q, gint64 now)
{
  ReloadStatAns ans;
  ReloadErrorResponse err;
  ReloadStorageStatus st = reload_storage_stat (f->s, &q->req, now, f->arena, &ans, &err);
  if (st != RELOAD_STORAGE_OK)
    g_error ("stat failed: error %u", err.error_code);
  g_assert_cmpuint (ans.n_kind_responses, ==, q->req.n_specifiers);
  return ans;
}

static void
assert_value (const ReloadStoredData *d, const char *text)
{
  if (text == NULL)
    {
      g_assert_false (d->value.value.exists);
      g_assert_cmpuint (d->value.value.value.len, ==, 0);
      return;
    }
  g_assert_true (d->value.value.exists);
  g_assert_cmpmem (d->value.value.value.data, d->value.value.value.len, text, strlen (text));
}

/* A synthetic nonexistent value (§7.4.2.2). */
static void
assert_synthetic (const ReloadStoredData *d)
{
  g_assert_false (d->value.value.exists);
  g_assert_cmpuint (d->storage_time, ==, 0);
  g_assert_cmpuint (d->lifetime, ==, 0);
  g_assert_cmpuint (d->signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_NONE);
  g_assert_cmpuint (d->signature.hash_algorithm, ==, 0);
  g_assert_cmpuint (d->signature.signature_algorithm, ==, 0);
  g_assert_cmpuint (d->signature.signature_value.len, ==, 0);
}

static GBytes *
encode_body (RwVisitFunc visit, gpointer body, const RwOptions *o)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, o);
  visit (c, body);
  g_autoptr (GError) error = NULL;
  gboolean ok = rw_codec_finish (c, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static const char *alice = "alice@example.org";
static const char *bob = "bob@example.org";

/* ---------------------------------------------------------------- kind table */

static void
test_kind_table (void)
{
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  const ReloadKindDef *d = reload_kind_table_lookup (t, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_nonnull (d);
  g_assert_cmpstr (d->name, ==, "SIP-REGISTRATION");
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_DICTIONARY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_USER_NODE_MATCH);
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_SINGLE);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (d->max_node_multiple, ==, 20);
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_NODE);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_MATCH);
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_USER);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_USER_MATCH);
  g_assert_cmpuint (d->max_count, >, 0);
  g_assert_cmpuint (d->max_size, >=, 4096); /* a DER certificate fits */
  d = reload_kind_table_lookup (t, RELOAD_KIND_REDIR);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_DICTIONARY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_ID_MATCH);
  g_assert_null (reload_kind_table_lookup (t, 4242));
  g_assert_cmpint (reload_kind_table_model (RELOAD_KIND_TURN_SERVICE, t), ==,
                   RELOAD_DATA_MODEL_SINGLE);
  g_assert_cmpint (reload_kind_table_model (4242, t), ==, RELOAD_DATA_MODEL_UNKNOWN);

  /* A kind-block of the configuration replaces the default. */
  char name[] = "TURN-SERVICE";
  ReloadKindDef turn = {
    RELOAD_KIND_TURN_SERVICE, name, RELOAD_DATA_MODEL_SINGLE, RELOAD_ACCESS_NODE_MULTIPLE, 1, 50, 5
  };
  reload_kind_table_add (t, &turn);
  name[0] = 'X'; /* the table keeps its own copy */
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  g_assert_cmpstr (d->name, ==, "TURN-SERVICE");
  g_assert_cmpuint (d->max_node_multiple, ==, 5);
  g_assert_cmpuint (d->max_size, ==, 50);

  ReloadKindTable *t2 = reload_kind_table_ref (t);
  g_assert_true (t2 == t);
  reload_kind_table_unref (t2);
}

/* ---------------------------------------------------------------- access control (§7.3) */

static void
test_access_user_name (void)
{
  Rid plain = rid_of ("alice@example.org");
  Rid aor = rid_of ("sip:alice@example.org");
  Rid other = rid_of ("sip:bob@example.org");
  g_assert_true (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&plain)));
  g_assert_true (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&aor)));
  g_assert_false (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&other)));
  /* The AOR form is for SIP-REGISTRATION only. */
  g_assert_true (
      reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice, rb (&plain)));
  g_assert_false (
      reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice, rb (&aor)));
  /* Bytes: no case folding; no user; a Resource-ID of another length. */
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION,
                                                   "Alice@example.org", rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, NULL, rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, "", rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice,
                                                   (RwBytes){ plain.b, 15 }));
}

static void
test_access_policies (void)
{
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  ReloadNodeId n1 = node (1), n2 = node (2);
  ReloadSignerInfo alice_n1 = { alice, &n1, 1 };
  ReloadSignerInfo bob_n2 = { bob, &n2, 1 };
  ReloadSignerInfo nobody = { NULL, NULL, 0 };
  ReloadStoredDataValue key_n1 = { 0 }, key_n2 = { 0 };
  key_n1.key = (RwBytes){ n1.id, 16 };
  key_n2.key = (RwBytes){ n2.id, 16 };

  /* USER-MATCH §7.3.1 */
  const ReloadKindDef *d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_USER);
  Rid r = rid_of (alice);
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &nobody));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, NULL));

  /* NODE-MATCH §7.3.2 */
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_NODE);
  r = rid_of_node (&n1);
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
  /* at the Node-ID itself, not its hash: no */
  Rid raw_node;
  memcpy (raw_node.b, n1.id, 16);
  g_assert_false (reload_access_allowed (d, rb (&raw_node), NULL, &alice_n1));

  /* USER-NODE-MATCH §7.3.3 */
  d = reload_kind_table_lookup (t, RELOAD_KIND_SIP_REGISTRATION);
  r = rid_of ("sip:alice@example.org");
  g_assert_true (reload_access_allowed (d, rb (&r), &key_n1, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &alice_n1)); /* key */
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &bob_n2));   /* user */
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));     /* resource only */
  /* only with dictionaries */
  ReloadKindDef single_unm = *d;
  single_unm.model = RELOAD_DATA_MODEL_SINGLE;
  g_assert_false (reload_access_allowed (&single_unm, rb (&r), &key_n1, &alice_n1));

  /* NODE-MULTIPLE §7.3.4: i from 0 to max-node-multiple (20). */
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  for (guint32 i = 0; i <= 21; i++)
    {
      r = rid_of_chord (reload_access_node_multiple_id (&n1, i));
      g_assert_cmpint (reload_access_allowed (d, rb (&r), NULL, &alice_n1), ==, i <= 20);
      g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
    }
  /* H(Node-ID || i) with i a big-endian uint32 */
  guint8 buf[20];
  memcpy (buf, n1.id, 16);
  memcpy (buf + 16, (guint8[]){ 0, 0, 0, 7 }, 4);
  g_assert_true (chord_id_equal (reload_access_node_multiple_id (&n1, 7), chord_id_hash (buf, 20)));

  /* NODE-ID-MATCH (RFC 7374): the key is the signer's Node-ID. */
  d = reload_kind_table_lookup (t, RELOAD_KIND_REDIR);
  r = rid_of ("redir-tree-node");
  g_assert_true (reload_access_allowed (d, rb (&r), &key_n1, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n1, &nobody));
}

/* ---------------------------------------------------------------- single value */

static void
test_single (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* Nothing stored: one synthetic value, generation 0 (§7.4.2.2). */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  assert_synthetic (&fa.kind_responses[0].values[0]);

  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_SINGLE, 0);
  req_value (rq, k, 1000, 60, "abc", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.n_kind_responses, ==, 1);
  g_assert_cmpuint (ans.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  g_assert_cmpuint (ans.kind_responses[0].n_replicas, ==, 0);
  g_assert_cmpuint (f.n_verified, ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);

  fa = fetch_ok (&f, &q, T0 + 10000);
  g_assert_cmpuint (fa.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 1);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *d = &fa.kind_responses[0].values[0];
  assert_value (d, "abc");
  g_assert_cmpuint (d->storage_time, ==, 1000);
  g_assert_cmpuint (d->lifetime, ==, 50); /* what remains */
  g_assert_cmpuint (d->signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_CERT_HASH);
  g_assert_cmpmem (d->signature.signature_value.data, d->signature.signature_value.len,
                   "alice@example.org|", 18);

  /* Overwrite (§7.4.1.1 "overwrites any existing value"). */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_SINGLE, 1);
  req_value (rq, k, 2000, 60, "xyz", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "xyz");

  /* The requester's generation matches: no values (§7.4.2.1). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 2);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 2);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 1);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);

  /* Stat (§7.4.3.2): length and SHA-256 over the value with its length. */
  ReloadStatAns sa = stat_ok (&f, &q, T0 + 1000);
  g_assert_cmpuint (sa.kind_responses[0].generation, ==, 2);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredMetaData *m = &sa.kind_responses[0].values[0];
  g_assert_cmpuint (m->storage_time, ==, 2000);
  g_assert_cmpuint (m->lifetime, ==, 59);
  g_assert_true (m->metadata.value.exists);
  g_assert_cmpuint (m->metadata.value.value_length, ==, 3);
  g_assert_cmpuint (m->metadata.value.hash_algorithm, ==, RELOAD_HASH_SHA256);
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sha, (const guint8 *) "\0\0\0\3xyz", 7);
  guint8 digest[32];
  gsize dlen = 32;
  g_checksum_get_digest (sha, digest, &dlen);
  g_assert_cmpmem (m->metadata.value.hash_value.data, m->metadata.value.hash_value.len, digest, 32);

  /* Stat of nothing: a synthetic entry without a hash. */
  Rid empty = rid_of ("nobody@example.org");
  fetch_init (&q, &empty);
  spec_add (&q, KIND_SINGLE, 0);
  sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 1);
  g_assert_false (sa.kind_responses[0].values[0].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.hash_algorithm, ==, 0);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.hash_value.len, ==, 0);

  /* The answers encode (they hold what the codec needs). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  fa = fetch_ok (&f, &q, T0);
  g_autoptr (GBytes) enc = encode_body (reload_fetch_ans_body, &fa, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (enc), >, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- array */

static void
test_array (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* §7.2.2: "a Store of "X" at index 2 in an empty array produces an array
   * with the values [ NA, NA, "X"]". */
  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_ARRAY, 0);
  req_array_value (rq, k, 1000, 2, "X", alice);
  store_ok (&f, rq, rs, T0);

  Fetch q;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 3);
  for (guint i = 0; i < 2; i++)
    {
      assert_synthetic (&fa.kind_responses[0].values[i]);
      g_assert_cmpuint (fa.kind_responses[0].values[i].value.index, ==, i);
    }
  assert_value (&fa.kind_responses[0].values[2], "X");
  g_assert_cmpuint (fa.kind_responses[0].values[2].value.index, ==, 2);

  /* Appends (index 0xffffffff) go after the last element, and come back
   * with their real index (§7.4.1.1). */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_ARRAY, 1);
  req_array_value (rq, k, 1001, RELOAD_ARRAY_INDEX_APPEND, "Y", alice);
  req_array_value (rq, k, 1001, RELOAD_ARRAY_INDEX_APPEND, "Z", alice);
  req_array_value (rq, k, 1001, 0, "W", alice);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2); /* one per kind */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 4);

  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 5);
  assert_value (&fa.kind_responses[0].values[0], "W");
  assert_synthetic (&fa.kind_responses[0].values[1]);
  assert_value (&fa.kind_responses[0].values[2], "X");
  assert_value (&fa.kind_responses[0].values[3], "Y");
  assert_value (&fa.kind_responses[0].values[4], "Z");
  g_assert_cmpuint (fa.kind_responses[0].values[3].value.index, ==, 3);
  g_assert_cmpuint (fa.kind_responses[0].values[4].value.index, ==, 4);

  /* Several ranges; 0xffffffff as both bounds is the last element; a range
   * past the end gives nothing. */
  fetch_init (&q, &r);
  ReloadStoredDataSpecifier *sp = spec_add (&q, KIND_ARRAY, 0);
  spec_range (sp, 2, 3);
  spec_range (sp, 0, 0);
  spec_range (sp, 7, 100);
  spec_range (sp, RELOAD_ARRAY_INDEX_LAST, RELOAD_ARRAY_INDEX_LAST);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 4);
  assert_value (&fa.kind_responses[0].values[0], "X");
  assert_value (&fa.kind_responses[0].values[1], "Y");
  assert_value (&fa.kind_responses[0].values[2], "W");
  assert_value (&fa.kind_responses[0].values[3], "Z");

  /* No range: nothing. */
  fetch_init (&q, &r);
  spec_add (&q, KIND_ARRAY, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);

  /* §7.4.2.1: first <= last, and ranges must not overlap. */
  ReloadFetchAns bad;
  ReloadErrorResponse err;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 3, 2);
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &bad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);
  fetch_init (&q, &r);
  sp = spec_add (&q, KIND_ARRAY, 0);
  spec_range (sp, 0, 2);
  spec_range (sp, 2, 4);
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &bad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);
  ReloadStatAns sbad;
  g_assert_cmpint (reload_storage_stat (f.s, &q.req, T0, f.arena, &sbad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);

  /* Stat gives the indices. */
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, 2);
  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 3);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.index, ==, 0);
  g_assert_true (sa.kind_responses[0].values[0].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[1].metadata.index, ==, 1);
  g_assert_false (sa.kind_responses[0].values[1].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.index, ==, 2);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.value.value_length, ==, 1);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.key.len, ==, 0);

  /* An answer larger than the caller's arena allows: Error_Response_Too_Large. */
  {
    g_autoptr (RwArena) small = rw_arena_new (300);
    fetch_init (&q, &r);
    spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
    g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, small, &bad, &err), ==,
                     RELOAD_STORAGE_ERROR);
    g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_RESPONSE_TOO_LARGE);
  }

  /* An empty array: no values for any range. */
  Rid empty = rid_of ("nobody@example.org");
  fetch_init (&q, &empty);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- dictionary */

static void
test_dictionary (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 1000, "b", "two", alice, NULL);
  req_dict_value (rq, k, 1000, "a", "one", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Requested keys, a missing one synthetic with its key. */
  Fetch q;
  fetch_init (&q, &r);
  ReloadStoredDataSpecifier *sp = spec_add (&q, KIND_DICT, 0);
  spec_key (sp, "b");
  spec_key (sp, "zz");
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "two");
  g_assert_cmpmem (fa.kind_responses[0].values[0].value.key.data,
                   fa.kind_responses[0].values[0].value.key.len, "b", 1);
  assert_synthetic (&fa.kind_responses[0].values[1]);
  g_assert_cmpmem (fa.kind_responses[0].values[1].value.key.data,
                   fa.kind_responses[0].values[1].value.key.len, "zz", 2);

  /* No keys: a wildcard fetch, every pair, in key order (§7.4.2.1). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_DICT, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "one");
  assert_value (&fa.kind_responses[0].values[1], "two");

  /* Replace one key. */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_DICT, 1);
  req_dict_value (rq, k, 1001, "a", "uno", alice, NULL);
  store_ok (&f, rq, rs, T0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "uno");
  assert_value (&fa.kind_responses[0].values[1], "two");

  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 2);
  g_assert_cmpmem (sa.kind_responses[0].values[1].metadata.key.data,
                   sa.kind_responses[0].values[1].metadata.key.len, "b", 1);
  g_assert_cmpuint (sa.kind_responses[0].values[1].metadata.value.value_length, ==, 3);

  /* Several kinds in one Fetch, one response each, in order. */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_DICT, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (fa.kind_responses[1].kind, ==, KIND_DICT);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 2);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- generation counters */

static void
test_generation (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  for (guint64 t = 1; t <= 3; t++)
    {
      Req *rq = req_new (&r, 0);
      req_value (rq, req_kind (rq, KIND_SINGLE, 0), t, 60, "v", alice, NULL); /* 0: unconditional */
      store_ok (&f, rq, rs, T0);
    }
  Req *rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Too low (§7.4.1.2): the error_info is a StoreAns with the current
   * counter of every kind of the request, no replicas. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 2), 10, 60, "new", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 1), 10, "k", "new", alice, NULL);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 10, 0, "new", alice);
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);
  g_assert_nonnull (err.store_ans);
  g_assert_cmpuint (err.store_ans->n_kind_responses, ==, 3);
  g_assert_cmpuint (err.store_ans->kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (err.store_ans->kind_responses[0].generation_counter, ==, 3);
  g_assert_cmpuint (err.store_ans->kind_responses[0].n_replicas, ==, 0);
  g_assert_cmpuint (err.store_ans->kind_responses[1].kind, ==, KIND_DICT);
  g_assert_cmpuint (err.store_ans->kind_responses[1].generation_counter, ==, 1);
  g_assert_cmpuint (err.store_ans->kind_responses[2].kind, ==, KIND_ARRAY);
  g_assert_cmpuint (err.store_ans->kind_responses[2].generation_counter, ==, 0);
  /* The error encodes as the RFC says (the codec's job, with our data). */
  g_autoptr (GBytes) info =
      encode_body (reload_store_ans_body, err.store_ans, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (info), ==, 2 + 3 * (4 + 8 + 2));
  /* Nothing was stored: not even the array, whose counter was 0. */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "v");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 3);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 0);

  /* Above the current counter: refused the same way (it must equal it). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 10, 60, "new", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);
  g_assert_cmpuint (err.store_ans->kind_responses[0].generation_counter, ==, 3);

  /* Nonzero on a kind with nothing stored (counter 0): refused. */
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 1), 10, 0, "new", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);

  /* The current one: accepted, incremented. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 3), 10, 60, "new", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 4);

  /* An empty StoreKindData changes nothing and reports the counter. */
  rq = req_new (&r, 0);
  req_kind (rq, KIND_SINGLE, 0);
  req_kind (rq, KIND_ARRAY, 0);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 4);
  g_assert_cmpuint (ans.kind_responses[1].generation_counter, ==, 0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- storage time */

static void
test_storage_time (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 60, "v1", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Older: Error_Data_Too_Old (§7). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 4999, 60, "old", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Same time, other value: refused ("greater than", §7.4.1.1). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 60, "v2", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Same time, same StoredData (another lifetime): a refresh.  The data,
   * hence the counter, stay; the lifetime restarts. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 100, "v1", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0 + 30000, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 30000 + 100000);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0 + 30000);
  assert_value (&fa.kind_responses[0].values[0], "v1");
  g_assert_cmpuint (fa.kind_responses[0].values[0].lifetime, ==, 100);

  /* Newer: accepted. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5001, 60, "v3", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);

  /* Within one request, values are processed in turn: a second value for
   * the same key older than the first fails the whole request. */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 100, "k", "first", alice, NULL);
  req_dict_value (rq, k, 99, "k", "second", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);

  /* Only the values replaced count: another key may be older. */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 100, "k1", "a", alice, NULL);
  req_dict_value (rq, k, 50, "k2", "b", alice, NULL);
  store_ok (&f, rq, rs, T0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- limits */

static void
test_limits (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* max-size (16 bytes for the test kinds): of the value itself. */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "0123456789abcdef", alice, NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2, 60, "0123456789abcdefg", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);

  /* max-count (3 for the dictionary). */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 1, "a", "1", alice, NULL);
  req_dict_value (rq, k, 1, "b", "2", alice, NULL);
  req_dict_value (rq, k, 1, "c", "3", alice, NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "d", "4", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  /* replacing an existing key keeps the count */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "c", "33", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* max-count of an array (10) bounds its length, gaps included. */
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 9, "last", alice);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 10, "over", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, RELOAD_ARRAY_INDEX_APPEND, "over", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 4000000000u, "far", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);

  /* All or nothing: the first kind is fine, the second too large. */
  guint64 before = reload_storage_n_values (f.s);
  Rid r2 = rid_of (alice); /* same resource, fresh kinds' state checked */
  rq = req_new (&r2, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 100, 60, "fine", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 100, "e", "5", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, before);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "0123456789abcdef");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- unknown kinds, malformed */

static void
test_unknown_kind (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED_2, 0), 1, 60, "x", alice, NULL);
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  /* §7.4.1.2: all the Kinds that were unrecognized. */
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);
  g_assert_cmpuint (err.n_unknown_kinds, ==, 2);
  g_assert_cmpuint (err.unknown_kinds[0], ==, KIND_NOT_CONFIGURED);
  g_assert_cmpuint (err.unknown_kinds[1], ==, KIND_NOT_CONFIGURED_2);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  g_assert_cmpuint (f.n_verified, ==, 0);

  /* Fetch and Stat (§7.4.1.2 "any type of request"). */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_NOT_CONFIGURED, 0);
  ReloadFetchAns fa;
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &fa, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);
  g_assert_cmpuint (err.n_unknown_kinds, ==, 1);
  g_assert_cmpuint (err.unknown_kinds[0], ==, KIND_NOT_CONFIGURED);
  ReloadStatAns sa;
  g_assert_cmpint (reload_storage_stat (f.s, &q.req, T0, f.arena, &sa, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);

  /* A Kind-ID twice in one Store (§7.4.1.1). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2, 60, "y", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_INVALID_MESSAGE);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- removal, lifetime */

static void
test_remove (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* §7.4.1.3: exists = False, value = {}. */
  rq = req_new (&r, 0);
  ReloadStoredData *d = req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "k", NULL, alice, NULL);
  d->lifetime = 600;
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);
  /* "Storing nodes MUST treat these nonexistent values the same way they
   * treat any other stored value": kept, counted, signed. */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_DICT, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *got = &fa.kind_responses[0].values[0];
  assert_value (got, NULL);
  g_assert_cmpuint (got->storage_time, ==, 2);
  g_assert_cmpuint (got->signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_CERT_HASH);
  g_assert_cmpuint (got->signature.signature_value.len, >, 0);

  /* An older value cannot come back while the removal lives. */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Find ignores a resource whose values are all removed. */
  ReloadFindReq fr = { .resource = rb (&r), .kinds = (guint32[]){ KIND_DICT }, .n_kinds = 1 };
  ReloadFindAns fna;
  ReloadErrorResponse err;
  ChordId zero = { 0, 0 };
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0, f.arena, &fna, &err), ==,
                   RELOAD_STORAGE_OK);
  static const guint8 zeros[16] = { 0 };
  g_assert_cmpmem (fna.results[0].closest.data, fna.results[0].closest.len, zeros, 16);

  /* When its lifetime ends it is simply removed. */
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 600000), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  fix_clear (&f);
}

static void
test_lifetime (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  /* storage_time is the writer's clock, far from ours: the lifetime counts
   * from the receipt (§7). */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 42, 60, "v", alice, NULL);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 42, "a", "1", alice, NULL)->lifetime = 30;
  req_dict_value (rq, k, 42, "b", "2", alice, NULL)->lifetime = 90;
  store_ok (&f, rq, rs, T0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 30000);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 3);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_DICT, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0 + 29999);
  g_assert_cmpuint (fa.kind_responses[0].values[0].lifetime, ==, 30);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 2);
  g_assert_cmpuint (fa.kind_responses[1].values[0].lifetime, ==, 0);

  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 29999), ==, 0);
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 30000), ==, 1);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 60000);
  /* A fetch never returns an expired value, expire() called or not. */
  fa = fetch_ok (&f, &q, T0 + 60000);
  assert_synthetic (&fa.kind_responses[0].values[0]);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 1);
  assert_value (&fa.kind_responses[1].values[0], "2");
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 90000);
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 100000), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);

  /* Once a kind has expired entirely its counter starts again. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "again", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0 + 200000, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- signatures */

static void
test_signatures (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* identity none (§7.4.1.1) */
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* algorithms {0, 0} */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.hash_algorithm = RELOAD_HASH_NONE;
  d->signature.signature_algorithm = RELOAD_SIG_ANONYMOUS;
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (f.n_verified, ==, 0);
  /* one of them anonymous only: goes to verification */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.hash_algorithm = RELOAD_HASH_NONE;
  store_ok (&f, rq, rs, T0);
  g_assert_cmpuint (f.n_verified, ==, 1);
  /* a bad signature (the verify function says so); the second value's
   * failure undoes the first */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 2, "a", "1", alice, NULL);
  d = req_dict_value (rq, k, 2, "b", "2", alice, NULL);
  d->signature.signature_value = req_text (rq, "BAD");
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  /* an unsigned request (no request signer) */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5, 60, "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, NULL, T0), ==, RELOAD_ERROR_FORBIDDEN);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- policies through Store */

static void
fill_sip (Req *rq, ReloadStoredData *d, const char *uri)
{
  d->value.value.typed.sip_registration.type = RELOAD_SIP_REGISTRATION_URI;
  d->value.value.typed.sip_registration.uri = req_text (rq, uri);
}

static void
test_policy_user_node_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid aor = rid_of ("sip:alice@example.org");
  const ReloadSignerInfo *rs = signer (&f, alice, &n1);

  /* SIP-REGISTRATION: at H(AOR), key = the registering Node-ID. */
  Req *rq = req_new (&aor, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);

  /* The data signer's key is another node's. */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.2");
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* Bob's data at Alice's AOR. */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", bob, &n2);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_sip (rq, d, "sip:bob@192.0.2.2");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* Good data, but the request is signed by another node of Alice's: the
   * request signer must conform too (§7.3). */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.3");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... or by Bob */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.3");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* At H(user name) too (the normalisation accepts both forms). */
  Rid plain = rid_of (alice);
  rq = req_new (&plain, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);

  /* The registration comes back typed. */
  Fetch q;
  fetch_init (&q, &aor);
  spec_add (&q, RELOAD_KIND_SIP_REGISTRATION, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *got = &fa.kind_responses[0].values[0];
  g_assert_true (got->value.value.exists);
  g_assert_cmpmem (got->value.key.data, got->value.key.len, n1.id, 16);
  g_assert_cmpuint (got->value.value.typed.sip_registration.type, ==, RELOAD_SIP_REGISTRATION_URI);
  g_assert_cmpmem (got->value.value.typed.sip_registration.uri.data,
                   got->value.value.typed.sip_registration.uri.len, "sip:alice@192.0.2.1", 19);
  /* Stat measures the encoded value: type(1) length(2) uri-length(2) uri */
  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.value_length, ==, 1 + 2 + 2 + 19);
  fix_clear (&f);
}

static void
test_policy_user_match (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  static const guint8 der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 1,
                                         RELOAD_ARRAY_INDEX_APPEND, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  store_ok (&f, rq, rs, T0);

  /* Bob's certificate at Alice's name: data signer refused. */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2,
                       RELOAD_ARRAY_INDEX_APPEND, "", bob);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* Alice's data in a request Bob signed: request signer refused. */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2,
                       RELOAD_ARRAY_INDEX_APPEND, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... also when the request carries no value of the kind. */
  rq = req_new (&r, 0);
  req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* The AOR form is not a user name for certificates. */
  Rid aor = rid_of ("sip:alice@example.org");
  rq = req_new (&aor, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2, 0, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  g_assert_cmpmem (fa.kind_responses[0].values[0].value.value.typed.certificate.data,
                   fa.kind_responses[0].values[0].value.value.typed.certificate.len, der,
                   sizeof der);
  fix_clear (&f);
}

static void
test_policy_node_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid r = rid_of_node (&n1);
  static const guint8 der[] = { 0x30, 0x00 };
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 1, 0, "", NULL);
  sign_as (rq, &d->signature, alice, &n1);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  store_ok (&f, rq, signer (&f, alice, &n1), T0);

  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", NULL);
  sign_as (rq, &d->signature, alice, &n2);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", NULL);
  sign_as (rq, &d->signature, alice, &n1);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* a signer without Node-ID */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);
  fix_clear (&f);
}

static void
fill_turn (ReloadStoredData *d, guint8 iteration)
{
  ReloadTurnServer *t = &d->value.value.typed.turn_server;
  t->iteration = iteration;
  t->server_address.type = RELOAD_ADDRESS_IPV4;
  memcpy (t->server_address.addr, (guint8[]){ 198, 51, 100, 7 }, 4);
  t->server_address.port = 3478;
}

static void
test_policy_node_multiple (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  const ReloadSignerInfo *rs = signer (&f, NULL, &n1);
  for (guint32 i = 1; i <= 21; i++)
    {
      Rid r = rid_of_chord (reload_access_node_multiple_id (&n1, i));
      Req *rq = req_new (&r, 0);
      ReloadStoredData *d =
          req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 1, 600, "", NULL, &n1);
      fill_turn (d, (guint8) i);
      if (i <= 20)
        store_ok (&f, rq, rs, T0);
      else
        g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
    }
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 20);
  /* another node's */
  Rid r = rid_of_chord (reload_access_node_multiple_id (&n1, 3));
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 2, 600, "", NULL, &n2);
  fill_turn (d, 3);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* good data, request signed by another node */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 2, 600, "", NULL, &n1);
  fill_turn (d, 3);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, RELOAD_KIND_TURN_SERVICE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].values[0].value.value.typed.turn_server.iteration, ==, 3);
  g_assert_cmpuint (
      fa.kind_responses[0].values[0].value.value.typed.turn_server.server_address.port, ==, 3478);
  fix_clear (&f);
}

static void
fill_redir (Req *rq, ReloadStoredData *d, const ReloadNodeId *provider)
{
  ReloadRedirServiceProvider *p = &d->value.value.typed.redir;
  p->service_provider = *provider;
  p->name_space = req_text (rq, "turn");
  p->level = 2;
  p->node = 1;
}

static void
test_policy_node_id_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid r = rid_of ("redir tree node");
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 1, 600, "", NULL, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_redir (rq, d, &n1);
  store_ok (&f, rq, signer (&f, NULL, &n1), T0);

  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 1, 600, "", NULL, &n1);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_redir (rq, d, &n1);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);

  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 2, 600, "", NULL, &n2);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_redir (rq, d, &n2);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- replica stores (§10.4) */

static void
test_replica (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  ReloadNodeId responsible = node (9);
  /* The sender is the responsible peer, not the owner: its signature on
   * the request is not held against the policy; the data's is. */
  const ReloadSignerInfo *peer = signer (&f, "peer@example.org", &responsible);
  Req *rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 7), 1, 60, "v", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, peer, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  /* "the peer MUST set the generation counter to match" */
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 7);
  /* a lower counter is not checked */
  rq = req_new (&r, 2);
  req_value (rq, req_kind (rq, KIND_SINGLE, 3), 2, 60, "w", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, NULL, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 3);
  /* "Replica Stores MUST NOT use a generation counter of 0." */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 3, 60, "x", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_INVALID_MESSAGE);
  /* The data signer is still checked. */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 3, 60, "x", bob, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... and the storage time. */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 1, 60, "old", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);
  /* The same as an original store: the request signer counts. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5, 60, "y", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "w");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 3);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- find (§7.4.4) */

static void
store_turn_at (Fix *f, const ReloadNodeId *n, guint32 i)
{
  Rid r = rid_of_chord (reload_access_node_multiple_id (n, i));
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 1, 600, "", NULL, n);
  fill_turn (d, (guint8) i);
  store_ok (f, rq, signer (f, NULL, n), T0);
}

static int
chord_cmp_p (gconstpointer a, gconstpointer b)
{
  return chord_id_cmp (*(const ChordId *) a, *(const ChordId *) b);
}

static void
test_find (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  ChordId ids[6];
  for (guint32 i = 1; i <= 6; i++)
    {
      store_turn_at (&f, &n1, i);
      ids[i - 1] = reload_access_node_multiple_id (&n1, i);
    }
  qsort (ids, 6, sizeof (ChordId), chord_cmp_p);
  /* A certificate too (another kind). */
  Rid cr = rid_of (alice);
  Req *rq = req_new (&cr, 0);
  ReloadStoredData *d =
      req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 1, 0, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, (const guint8 *) "\x30\x00", 2);
  store_ok (&f, rq, signer (&f, alice, NULL), T0);

  /* This peer is responsible for (ids[0] - 1, ids[4]]: ids[5] is a
   * replica it holds for its successor. */
  ChordId one = { 0, 1 };
  ChordId lo = chord_id_sub (ids[0], one), hi = ids[4];
  ReloadFindReq fr = { 0 };
  guint32 kinds[4] = { RELOAD_KIND_TURN_SERVICE, RELOAD_KIND_CERTIFICATE_BY_NODE,
                       KIND_NOT_CONFIGURED, RELOAD_KIND_TURN_SERVICE };
  fr.kinds = kinds;
  fr.n_kinds = 3;
  ReloadFindAns ans;
  ReloadErrorResponse err;
  static const guint8 zeros[16] = { 0 };

  /* Just after ids[1]: the next one is ids[2]. */
  Rid target = rid_of_chord (chord_id_add (ids[1], one));
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.n_results, ==, 3);
  g_assert_cmpuint (ans.results[0].kind, ==, RELOAD_KIND_TURN_SERVICE);
  Rid want = rid_of_chord (ids[2]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);
  /* no data of that kind; an unknown kind: 0 (§7.4.4.2) */
  g_assert_cmpuint (ans.results[1].kind, ==, RELOAD_KIND_CERTIFICATE_BY_NODE);
  g_assert_cmpmem (ans.results[1].closest.data, ans.results[1].closest.len, zeros, 16);
  g_assert_cmpuint (ans.results[2].kind, ==, KIND_NOT_CONFIGURED);
  g_assert_cmpmem (ans.results[2].closest.data, ans.results[2].closest.len, zeros, 16);

  /* Exactly at a resource: that one. */
  target = rid_of_chord (ids[3]);
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  want = rid_of_chord (ids[3]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);

  /* After the last one in range: wraps round to the first in range, never
   * the replica ids[5]. */
  fr.n_kinds = 1;
  ChordId lo2 = chord_id_sub (ids[0], one);
  ChordId hi2 = chord_id_add (ids[4], one);
  Rid after = rid_of_chord (hi2);
  fr.resource = rb (&after);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo2, hi2, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  want = rid_of_chord (ids[0]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);

  /* Not responsible: Error_Not_Found. */
  target = rid_of_chord (ids[5]);
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_NOT_FOUND);

  /* A kind twice. */
  target = rid_of_chord (ids[0]);
  fr.resource = rb (&target);
  fr.n_kinds = 4;
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);

  /* The whole ring (a lone peer): every resource; the certificate too. */
  fr.kinds = (guint32[]){ RELOAD_KIND_CERTIFICATE_BY_USER };
  fr.n_kinds = 1;
  ChordId zero = { 0, 0 };
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, cr.b, 16);

  /* Expired data is not found. */
  fr.kinds = kinds;
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0 + 600000, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, zeros, 16);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- export, foreach, drop */

typedef struct
{
  GPtrArray *rids;
  GArray *ids;
} Collect;

static void
collect (gpointer user_data, ChordId id, RwBytes resource_id)
{
  Collect *c = user_data;
  g_ptr_array_add (c->rids, g_bytes_new (resource_id.data, resource_id.len));
  g_array_append_val (c->ids, id);
}

static GBytes *
fetch_everything (Fix *f, const Rid *r, gint64 now)
{
  Fetch q;
  fetch_init (&q, r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  spec_add (&q, KIND_DICT, 0);
  spec_add (&q, RELOAD_KIND_SIP_REGISTRATION, 0);
  spec_range (spec_add (&q, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (f, &q, now);
  GBytes *fetched = encode_body (reload_fetch_ans_body, &fa, reload_storage_options (f->s));
  ReloadStatAns sa = stat_ok (f, &q, now);
  g_autoptr (GBytes) stat = encode_body (reload_stat_ans_body, &sa, reload_storage_options (f->s));
  GByteArray *all = g_byte_array_new ();
  g_byte_array_append (all, g_bytes_get_data (fetched, NULL), (guint) g_bytes_get_size (fetched));
  g_byte_array_append (all, g_bytes_get_data (stat, NULL), (guint) g_bytes_get_size (stat));
  g_bytes_unref (fetched);
  return g_byte_array_free_to_bytes (all);
}

static void
test_export (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, &n1);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 10, 100, "single", alice, NULL);
  ReloadStoreKindData *k = req_kind (rq, KIND_ARRAY, 0);
  req_array_value (rq, k, 11, 3, "three", alice);
  req_array_value (rq, k, 11, 1, "one", alice)->lifetime = 200;
  k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 12, "x", "ex", alice, NULL);
  req_dict_value (rq, k, 12, "y", NULL, alice, NULL); /* a removal travels too */
  req_dict_value (rq, k, 12, "z", "short", alice, NULL)->lifetime = 5;
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 13, 300, "", alice, NULL);
  d->value.value.typed.certificate = req_bytes (rq, (const guint8 *) "\x30\x01\x00", 3);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 20, 100, "single2", alice, NULL);
  store_ok (&f, rq, rs, T0); /* generation 2 */
  /* SIP at the same resource (alice's user name) */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);
  /* another resource, not exported */
  Rid other = rid_of (bob);
  rq = req_new (&other, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 1000, "bob", bob, NULL);
  store_ok (&f, rq, signer (&f, bob, NULL), T0);

  gint64 t1 = T0 + 50500;
  g_autoptr (RwArena) xa = rw_arena_new (0);
  g_assert_null (reload_storage_export (f.s, rb (&(Rid){ { 0 } }), 1, t1, xa));
  ReloadStoreReq *x = reload_storage_export (f.s, rb (&r), 1, t1, xa);
  g_assert_nonnull (x);
  g_assert_cmpuint (x->replica_number, ==, 1);
  g_assert_cmpmem (x->resource.data, x->resource.len, r.b, 16);
  /* kinds by Kind-ID: SIP (1), CERTIFICATE_BY_USER (16), then the three */
  g_assert_cmpuint (x->n_kind_data, ==, 5);
  g_assert_cmpuint (x->kind_data[0].kind, ==, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_cmpuint (x->kind_data[1].kind, ==, RELOAD_KIND_CERTIFICATE_BY_USER);
  g_assert_cmpuint (x->kind_data[2].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (x->kind_data[2].generation_counter, ==, 2);
  g_assert_cmpuint (x->kind_data[2].values[0].lifetime, ==, 49); /* 100 - 50.5, down */
  g_assert_cmpuint (x->kind_data[2].values[0].storage_time, ==, 20);
  /* the dictionary's "z" (5 s) is gone */
  g_assert_cmpuint (x->kind_data[4].kind, ==, KIND_DICT);
  g_assert_cmpuint (x->kind_data[4].n_values, ==, 2);

  /* The export encodes as a StoreReq, and re-creates the data exactly on a
   * fresh storage (a replica: the request signer is not checked). */
  g_autoptr (GBytes) wire = encode_body (reload_store_req_body, x, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (wire), >, 0);
  Fix g;
  fix_init (&g);
  ReloadStoreAns ans;
  ReloadErrorResponse err;
  g_assert_cmpint (reload_storage_store (g.s, x, NULL, fake_verify, &g, t1, g.arena, &ans, &err),
                   ==, RELOAD_STORAGE_OK);
  g_autoptr (GBytes) a1 = fetch_everything (&f, &r, t1);
  g_autoptr (GBytes) a2 = fetch_everything (&g, &r, t1);
  g_assert_true (g_bytes_equal (a1, a2));
  g_assert_cmpuint (reload_storage_n_values (g.s), ==, reload_storage_n_values (f.s) - 1);
  /* and later on, they still agree */
  g_autoptr (GBytes) b1 = fetch_everything (&f, &r, t1 + 60000);
  g_autoptr (GBytes) b2 = fetch_everything (&g, &r, t1 + 60000);
  g_assert_true (g_bytes_equal (b1, b2));
  /* Exported again, to the same replica: identical data is accepted. */
  ReloadStoreReq *x2 = reload_storage_export (f.s, rb (&r), 1, t1 + 60000, xa);
  g_assert_cmpint (
      reload_storage_store (g.s, x2, NULL, fake_verify, &g, t1 + 60000, g.arena, &ans, &err), ==,
      RELOAD_STORAGE_OK);

  /* For an original store (a new responsible peer), counters are 0. */
  ReloadStoreReq *x0 = reload_storage_export (f.s, rb (&r), 0, t1, xa);
  for (guint i = 0; i < x0->n_kind_data; i++)
    g_assert_cmpuint (x0->kind_data[i].generation_counter, ==, 0);
  fix_clear (&g);

  /* foreach: every resource, in ring order; the callback may drop. */
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                g_array_new (FALSE, FALSE, sizeof (ChordId)) };
  reload_storage_foreach (f.s, collect, &c);
  g_assert_cmpuint (c.rids->len, ==, 2);
  g_assert_cmpint (
      chord_id_cmp (g_array_index (c.ids, ChordId, 0), g_array_index (c.ids, ChordId, 1)), <, 0);
  g_ptr_array_unref (c.rids);
  g_array_unref (c.ids);
  fix_clear (&f);
}

static void
drop_in_callback (gpointer user_data, ChordId id, RwBytes resource_id)
{
  ReloadStorage *s = user_data;
  reload_storage_drop_outside (s, id, id); /* keeps all */
  ChordId next = { id.hi, id.lo + 1 };
  reload_storage_drop_outside (s, id, next); /* keeps only (id, id + 1] */
}

static void
test_drop_outside (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  for (guint32 i = 1; i <= 8; i++)
    store_turn_at (&f, &n1, i);
  ChordId ids[8];
  for (guint32 i = 1; i <= 8; i++)
    ids[i - 1] = reload_access_node_multiple_id (&n1, i);
  qsort (ids, 8, sizeof (ChordId), chord_cmp_p);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 8);
  /* lo == hi: the whole ring */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[0], ids[0]), ==, 0);
  /* keep (ids[1], ids[5]]: ids[2..5] */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[1], ids[5]), ==, 4);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 4);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 4);
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                g_array_new (FALSE, FALSE, sizeof (ChordId)) };
  reload_storage_foreach (f.s, collect, &c);
  g_assert_cmpuint (c.ids->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_true (chord_id_equal (g_array_index (c.ids, ChordId, i), ids[i + 2]));
  g_ptr_array_unref (c.rids);
  g_array_unref (c.ids);
  /* an interval that wraps round 0: (ids[4], ids[2]] keeps ids[5] and
   * ids[2] of ids[2..5] */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[4], ids[2]), ==, 2);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 2);
  /* a callback that modifies the storage sees a snapshot */
  reload_storage_foreach (f.s, drop_in_callback, f.s);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  fix_clear (&f);
}

/* A new configuration (§6.5.4, §11.1): the table is replaced; the values
 * of a kind that is gone can be dropped, the others stay. */
static void
test_new_kinds (void)
{
  Fix f;
  fix_init (&f);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Rid r = rid_of (alice);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1000, 60, "abc", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1000, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);

  /* the new table: KIND_DICT gone, KIND_SINGLE with a larger max-size,
   * KIND_NOT_CONFIGURED new */
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  ReloadKindDef single = { KIND_SINGLE,
                           (char *) "TEST-SINGLE",
                           RELOAD_DATA_MODEL_SINGLE,
                           RELOAD_ACCESS_USER_MATCH,
                           1,
                           64,
                           0 };
  ReloadKindDef fresh = { KIND_NOT_CONFIGURED,
                          (char *) "TEST-NEW",
                          RELOAD_DATA_MODEL_SINGLE,
                          RELOAD_ACCESS_USER_MATCH,
                          1,
                          16,
                          0 };
  reload_kind_table_add (t, &single);
  reload_kind_table_add (t, &fresh);
  reload_storage_set_kinds (f.s, t);
  g_assert_true (reload_storage_options (f.s)->kind_model_data == t);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_DICT), ==, 1);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_DICT), ==, 0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 1);

  /* the new limit and the new kind apply at once */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2000, 60, "a value of 32 bytes, over 16 ...", alice,
             NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED, 0), 2000, 60, "new", alice, NULL);
  store_ok (&f, rq, rs, T0);
  /* the kind that is gone is unknown now */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 3000, "k", "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_UNKNOWN_KIND);

  /* dropping the last kind of a resource drops the resource */
  reload_storage_drop_kind (f.s, KIND_SINGLE);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_NOT_CONFIGURED), ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- requests decoded without the table */

static void
test_raw_request (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  /* Encode a StoreReq with the table, decode it without: the configured
   * kinds' values arrive raw. */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "raw-single", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "raw-dict", alice, NULL);
  g_autoptr (GBytes) wire =
      encode_body (reload_store_req_body, &rq->req, reload_storage_options (f.s));
  req_free (rq);
  RwOptions bare = { .node_id_length = 16 };
  g_autoptr (RwArena) da = rw_arena_new (0);
  ReloadStoreReq *dec = rw_arena_alloc0 (da, sizeof *dec);
  RwCodec *c =
      rw_codec_new_decoder (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), da, &bare);
  reload_store_req_body (c, dec);
  g_assert_true (rw_codec_finish (c, NULL));
  g_assert_cmpuint (dec->kind_data[0].values[0].raw.len, >, 0);
  ReloadStoreAns ans;
  ReloadErrorResponse err;
  g_assert_cmpint (reload_storage_store (f.s, dec, rs, fake_verify, &f, T0, f.arena, &ans, &err),
                   ==, RELOAD_STORAGE_OK);

  /* A Fetch decoded without the table: its specifiers are raw too. */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_key (spec_add (&q, KIND_DICT, 0), "k");
  g_autoptr (GBytes) fwire =
      encode_body (reload_fetch_req_body, &q.req, reload_storage_options (f.s));
  ReloadFetchReq *fdec = rw_arena_alloc0 (da, sizeof *fdec);
  c = rw_codec_new_decoder (g_bytes_get_data (fwire, NULL), g_bytes_get_size (fwire), da, &bare);
  reload_fetch_req_body (c, fdec);
  g_assert_true (rw_codec_finish (c, NULL));
  g_assert_cmpuint (fdec->specifiers[1].raw.len, >, 0);
  ReloadFetchAns fa;
  g_assert_cmpint (reload_storage_fetch (f.s, fdec, T0, f.arena, &fa, &err), ==, RELOAD_STORAGE_OK);
  assert_value (&fa.kind_responses[0].values[0], "raw-single");
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 1);
  assert_value (&fa.kind_responses[1].values[0], "raw-dict");
  fix_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/kind-table", test_kind_table);
  g_test_add_func ("/storage/access/user-name", test_access_user_name);
  g_test_add_func ("/storage/access/policies", test_access_policies);
  g_test_add_func ("/storage/model/single", test_single);
  g_test_add_func ("/storage/model/array", test_array);
  g_test_add_func ("/storage/model/dictionary", test_dictionary);
  g_test_add_func ("/storage/store/generation", test_generation);
  g_test_add_func ("/storage/store/storage-time", test_storage_time);
  g_test_add_func ("/storage/store/limits", test_limits);
  g_test_add_func ("/storage/store/unknown-kind", test_unknown_kind);
  g_test_add_func ("/storage/store/remove", test_remove);
  g_test_add_func ("/storage/store/lifetime", test_lifetime);
  g_test_add_func ("/storage/store/signatures", test_signatures);
  g_test_add_func ("/storage/policy/user-node-match", test_policy_user_node_match);
  g_test_add_func ("/storage/policy/user-match", test_policy_user_match);
  g_test_add_func ("/storage/policy/node-match", test_policy_node_match);
  g_test_add_func ("/storage/policy/node-multiple", test_policy_node_multiple);
  g_test_add_func ("/storage/policy/node-id-match", test_policy_node_id_match);
  g_test_add_func ("/storage/store/replica", test_replica);
  g_test_add_func ("/storage/find", test_find);
  g_test_add_func ("/storage/export", test_export);
  g_test_add_func ("/storage/drop-outside", test_drop_outside);
  g_test_add_func ("/storage/new-kinds", test_new_kinds);
  g_test_add_func ("/storage/raw-request", test_raw_request);
  return g_test_run ();
}
