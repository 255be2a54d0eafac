/* storage-fixture.c: see storage-fixture.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "storage-fixture.h"

/* ---------------------------------------------------------------- fixture */

void
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

void
fix_clear (Fix *f)
{
  reload_storage_free (f->s);
  reload_kind_table_unref (f->kinds);
  rw_arena_free (f->arena);
  g_ptr_array_unref (f->keep);
}

ReloadNodeId
node (guint8 seed)
{
  ReloadNodeId n = { 0 };
  n.len = 16;
  for (guint i = 0; i < 16; i++)
    n.id[i] = (guint8) (seed * 17 + i);
  return n;
}

char *
node_hex (const ReloadNodeId *n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n->len; i++)
    g_string_append_printf (s, "%02x", n->id[i]);
  return g_string_free (s, FALSE);
}

/* H(name) as a 16-byte Resource-ID (§10.2). */

Rid
rid_hash (const void *data, gsize len)
{
  Rid r;
  chord_id_to_bytes (chord_id_hash (data, len), r.b);
  return r;
}

Rid
rid_of (const char *name)
{
  return rid_hash (name, strlen (name));
}

Rid
rid_of_node (const ReloadNodeId *n)
{
  return rid_hash (n->id, n->len);
}

Rid
rid_of_chord (ChordId id)
{
  Rid r;
  chord_id_to_bytes (id, r.b);
  return r;
}

RwBytes
rb (const Rid *r)
{
  return (RwBytes){ r->b, 16 };
}

gboolean
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

Req *
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

void
req_free (Req *r)
{
  rw_arena_free (r->a);
  /* Scribble over the request: a pointer the engine kept would now read
   * garbage (and ASan reports the freed arena). */
  memset (r, 0xa5, sizeof *r);
  g_free (r);
}

ReloadStoreKindData *
req_kind (Req *r, guint32 kind, guint64 generation)
{
  g_assert_cmpuint (r->req.n_kind_data, <, MAX_KINDS);
  guint i = r->req.n_kind_data++;
  r->kd[i].kind = kind;
  r->kd[i].generation_counter = generation;
  r->kd[i].values = r->v[i];
  return &r->kd[i];
}

RwBytes
req_bytes (Req *r, const void *data, gsize len)
{
  guint8 *p = rw_arena_alloc0 (r->a, len + 1);
  memcpy (p, data, len);
  return (RwBytes){ p, len };
}

RwBytes
req_text (Req *r, const char *s)
{
  return req_bytes (r, s, strlen (s));
}

void
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
ReloadStoredData *
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

ReloadStoredData *
req_dict_value (Req *r, ReloadStoreKindData *k, guint64 time, const char *key, const char *value,
                const char *user, const ReloadNodeId *n)
{
  ReloadStoredData *d = req_value (r, k, time, 3600, value, user, n);
  d->value.key = req_text (r, key);
  return d;
}

ReloadStoredData *
req_array_value (Req *r, ReloadStoreKindData *k, guint64 time, guint32 index, const char *value,
                 const char *user)
{
  ReloadStoredData *d = req_value (r, k, time, 3600, value, user, NULL);
  d->value.index = index;
  return d;
}

const ReloadSignerInfo *
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
ReloadStorageStatus
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

void
store_ok (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now)
{
  ReloadErrorResponse err;
  ReloadStorageStatus st = do_store (f, r, rs, now, NULL, &err);
  if (st != RELOAD_STORAGE_OK)
    g_error ("store failed: error %u: %.*s", err.error_code, (int) err.error_info.len,
             (const char *) err.error_info.data);
}

guint16
store_fails (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now)
{
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (f, r, rs, now, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  return err.error_code;
}

/* Fetch requests: one specifier per call of spec_*, at most 6. */

void
fetch_init (Fetch *q, const Rid *rid)
{
  memset (q, 0, sizeof *q);
  q->rid = *rid;
  q->req.resource = (RwBytes){ q->rid.b, 16 };
  q->req.specifiers = q->spec;
}

ReloadStoredDataSpecifier *
spec_add (Fetch *q, guint32 kind, guint64 generation)
{
  guint i = q->req.n_specifiers++;
  q->spec[i].kind = kind;
  q->spec[i].generation = generation;
  q->spec[i].indices = q->ranges[i];
  q->spec[i].keys = q->keys[i];
  return &q->spec[i];
}

void
spec_range (ReloadStoredDataSpecifier *sp, guint32 first, guint32 last)
{
  sp->indices[sp->n_indices++] = (ReloadArrayRange){ first, last };
}

void
spec_key (ReloadStoredDataSpecifier *sp, const char *key)
{
  sp->keys[sp->n_keys++] = (RwBytes){ (const guint8 *) key, strlen (key) };
}

ReloadFetchAns
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

ReloadStatAns
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

void
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
void
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

GBytes *
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

const char *alice = "alice@example.org";
const char *bob = "bob@example.org";
