/* reload-datastore.c: the storage engine of a peer (RFC 6940 §7).  The rules
 * and the choices made where the RFC is silent are listed in the header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore-private.h"

#include <string.h>

/* Offset of StoredData.lifetime in an encoded StoredData: u32 length, u64
 * storage_time, then u32 lifetime (§7). */
#define LIFETIME_OFFSET 12
#define STORED_DATA_MIN 16

/* ---------------------------------------------------------------- data */

static void
entry_clear (gpointer p)
{
  Entry *e = p;
  g_bytes_unref (e->slot);
  g_bytes_unref (e->encoded);
  g_bytes_unref (e->value);
}

static Entry *
entry_ref (Entry *e)
{
  return g_rc_box_acquire (e);
}

static void
entry_unref (gpointer e)
{
  g_rc_box_release_full (e, entry_clear);
}

static gint
slot_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  /* Lexicographic, a prefix first: big-endian indices sort numerically. */
  return g_bytes_compare (a, b);
}

static KindStore *
kind_store_new (guint32 kind, ReloadDataModel model)
{
  KindStore *k = g_new0 (KindStore, 1);
  k->kind = kind;
  k->model = model;
  k->entries = g_tree_new_full (slot_cmp, NULL, (GDestroyNotify) g_bytes_unref, entry_unref);
  return k;
}

static void
kind_store_free (gpointer p)
{
  KindStore *k = p;
  if (k == NULL)
    return;
  g_tree_unref (k->entries);
  g_free (k);
}

static void
kind_store_put (KindStore *k, Entry *e)
{
  g_tree_replace (k->entries, g_bytes_ref (e->slot), e);
}

static KindStore *
kind_store_clone (const KindStore *src)
{
  KindStore *k = kind_store_new (src->kind, src->model);
  k->generation = src->generation;
  for (GTreeNode *n = g_tree_node_first (src->entries); n != NULL; n = g_tree_node_next (n))
    kind_store_put (k, entry_ref (g_tree_node_value (n)));
  return k;
}

/* §7.2.2: arrays are zero based and may be sparse; the length is the last
 * index + 1. */
guint64
rds_kind_store_array_length (const KindStore *k)
{
  GTreeNode *last = g_tree_node_last (k->entries);
  if (last == NULL)
    return 0;
  const Entry *e = g_tree_node_value (last);
  return (guint64) e->index + 1;
}

gboolean
rds_kind_store_has_existing (const KindStore *k)
{
  for (GTreeNode *n = g_tree_node_first (k->entries); n != NULL; n = g_tree_node_next (n))
    if (((const Entry *) g_tree_node_value (n))->exists)
      return TRUE;
  return FALSE;
}

static void
resource_free (gpointer p)
{
  Resource *r = p;
  g_bytes_unref (r->rid);
  g_hash_table_unref (r->kinds);
  g_free (r);
}

Resource *
rds_lookup_resource (const ReloadStorage *s, RwBytes rid)
{
  g_autoptr (GBytes) key =
      g_bytes_new_static (rid.data != NULL ? rid.data : (const guint8 *) "", rid.len);
  return g_hash_table_lookup (s->resources, key);
}

KindStore *
rds_lookup_kind (const Resource *r, guint32 kind)
{
  return r != NULL ? g_hash_table_lookup (r->kinds, GUINT_TO_POINTER (kind)) : NULL;
}

GBytes *
rds_slot_for_index (guint32 index)
{
  guint32 be = GUINT32_TO_BE (index);
  return g_bytes_new (&be, 4);
}

/* ---------------------------------------------------------------- life */

ReloadStorage *
reload_storage_new (ReloadKindTable *kinds)
{
  g_return_val_if_fail (kinds != NULL, NULL);
  ReloadStorage *s = g_new0 (ReloadStorage, 1);
  s->kinds = reload_kind_table_ref (kinds);
  s->options.node_id_length = 16;
  s->options.kind_model = reload_kind_table_model;
  s->options.kind_model_data = s->kinds;
  s->resources = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, NULL, resource_free);
  s->next_expiry = -1;
  return s;
}

void
reload_storage_free (ReloadStorage *s)
{
  if (s == NULL)
    return;
  g_hash_table_unref (s->resources);
  reload_kind_table_unref (s->kinds);
  g_free (s);
}

void
reload_storage_set_node_id_length (ReloadStorage *s, guint node_id_length)
{
  g_return_if_fail (s != NULL);
  s->options.node_id_length = node_id_length;
}

const RwOptions *
reload_storage_options (const ReloadStorage *s)
{
  return &s->options;
}

/* ---------------------------------------------------------------- helpers */

ReloadStorageStatus
rds_fail (ReloadErrorResponse *err, RwArena *arena, guint16 code, const char *format, ...)
{
  memset (err, 0, sizeof *err);
  err->error_code = code;
  /* §6.3.3.1 error_info: for codes without a structure, a reason for
   * humans. */
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  gsize len = strlen (msg);
  guint8 *buf = rw_arena_alloc0 (arena, len);
  if (buf != NULL)
    {
      memcpy (buf, msg, len);
      err->error_info = (RwBytes){ buf, len };
    }
  return RELOAD_STORAGE_ERROR;
}

ReloadStorageStatus
rds_fail_arena (ReloadErrorResponse *err, RwArena *arena)
{
  /* The answer does not fit in what the caller allows: §6.3.3.1
   * Error_Response_Too_Large. */
  return rds_fail (err, arena, RELOAD_ERROR_RESPONSE_TOO_LARGE, "the answer is too large");
}

gboolean
rds_arena_dup (RwArena *arena, const void *data, gsize len, RwBytes *out)
{
  if (len == 0)
    {
      *out = (RwBytes){ NULL, 0 };
      return TRUE;
    }
  guint8 *buf = rw_arena_alloc0 (arena, len);
  if (buf == NULL)
    return FALSE;
  memcpy (buf, data, len);
  *out = (RwBytes){ buf, len };
  return TRUE;
}

gpointer
rds_arena_array (RwArena *arena, gsize n, gsize size)
{
  if (n == 0)
    return NULL;
  if (n > G_MAXSIZE / size)
    return NULL;
  return rw_arena_alloc0 (arena, n * size);
}

static GBytes *
encode_stored_data (const RwOptions *o, guint32 kind, const ReloadStoredData *d)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, o);
  reload_stored_data (c, NULL, kind, (ReloadStoredData *) d);
  if (!rw_codec_finish (c, NULL))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
decode_stored_data (const RwOptions *o, guint32 kind, const guint8 *data, gsize len, RwArena *arena,
                    ReloadStoredData *out)
{
  RwCodec *c = rw_codec_new_decoder (data, len, arena, o);
  reload_stored_data (c, NULL, kind, out);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "bytes left over");
  return rw_codec_finish (c, NULL);
}

/* What remains of a value's lifetime, in whole seconds rounded down
 * (§7.4.1.1: "adjust the lifetime value downward"). */
guint32
rds_remaining_lifetime (const Entry *e, gint64 now_ms)
{
  if (e->expires_ms <= now_ms)
    return 0;
  gint64 s = (e->expires_ms - now_ms) / 1000;
  return s > G_MAXUINT32 ? G_MAXUINT32 : (guint32) s;
}

/* The stored StoredData, copied into @arena with its lifetime set to what
 * remains, decoded there. */
gboolean
rds_entry_to_stored_data (const ReloadStorage *s, guint32 kind, const Entry *e, gint64 now_ms,
                          RwArena *arena, ReloadStoredData *out)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (e->encoded, &len);
  guint8 *copy = rw_arena_alloc0 (arena, len);
  if (copy == NULL)
    return FALSE;
  memcpy (copy, data, len);
  guint32 be = GUINT32_TO_BE (rds_remaining_lifetime (e, now_ms));
  memcpy (copy + LIFETIME_OFFSET, &be, 4);
  return decode_stored_data (&s->options, kind, copy, len, arena, out);
}

/* Same StoredData but for the lifetime (which the signature does not
 * cover, §7.1). */
static gboolean
same_but_lifetime (GBytes *a, GBytes *b)
{
  gsize la, lb;
  const guint8 *da = g_bytes_get_data (a, &la);
  const guint8 *db = g_bytes_get_data (b, &lb);
  if (la != lb || la < STORED_DATA_MIN)
    return FALSE;
  return memcmp (da, db, LIFETIME_OFFSET) == 0
         && memcmp (da + LIFETIME_OFFSET + 4, db + LIFETIME_OFFSET + 4, la - LIFETIME_OFFSET - 4)
                == 0;
}

static void
mark_expiry_dirty (ReloadStorage *s)
{
  s->expiry_dirty = TRUE;
}

/* ---------------------------------------------------------------- expiry */

guint
reload_storage_expire (ReloadStorage *s, gint64 now_ms)
{
  g_return_val_if_fail (s != NULL, 0);
  guint removed = 0;
  GHashTableIter ri;
  gpointer rk, rv;
  g_hash_table_iter_init (&ri, s->resources);
  while (g_hash_table_iter_next (&ri, &rk, &rv))
    {
      Resource *r = rv;
      GHashTableIter ki;
      gpointer kk, kv;
      g_hash_table_iter_init (&ki, r->kinds);
      while (g_hash_table_iter_next (&ki, &kk, &kv))
        {
          KindStore *k = kv;
          g_autoptr (GPtrArray) gone = g_ptr_array_new ();
          for (GTreeNode *n = g_tree_node_first (k->entries); n != NULL; n = g_tree_node_next (n))
            {
              Entry *e = g_tree_node_value (n);
              /* §7: lifetime "starting from the time the peer receives the
               * StoreReq"; §7.4.1.3: an expired value "is simply removed". */
              if (e->expires_ms <= now_ms)
                g_ptr_array_add (gone, e->slot);
            }
          for (guint i = 0; i < gone->len; i++)
            g_tree_remove (k->entries, gone->pdata[i]);
          removed += gone->len;
          if (g_tree_nnodes (k->entries) == 0)
            g_hash_table_iter_remove (&ki);
        }
      if (g_hash_table_size (r->kinds) == 0)
        g_hash_table_iter_remove (&ri);
    }
  if (removed > 0)
    mark_expiry_dirty (s);
  return removed;
}

gint64
reload_storage_next_expiry (const ReloadStorage *cs)
{
  g_return_val_if_fail (cs != NULL, -1);
  ReloadStorage *s = (ReloadStorage *) cs; /* the cache only */
  if (!s->expiry_dirty)
    return s->next_expiry;
  gint64 next = -1;
  GHashTableIter ri;
  gpointer rk, rv;
  g_hash_table_iter_init (&ri, s->resources);
  while (g_hash_table_iter_next (&ri, &rk, &rv))
    {
      GHashTableIter ki;
      gpointer kk, kv;
      g_hash_table_iter_init (&ki, ((Resource *) rv)->kinds);
      while (g_hash_table_iter_next (&ki, &kk, &kv))
        for (GTreeNode *n = g_tree_node_first (((KindStore *) kv)->entries); n != NULL;
             n = g_tree_node_next (n))
          {
            const Entry *e = g_tree_node_value (n);
            if (next < 0 || e->expires_ms < next)
              next = e->expires_ms;
          }
    }
  s->next_expiry = next;
  s->expiry_dirty = FALSE;
  return next;
}

/* ---------------------------------------------------------------- Store (§7.4.1) */

/* A request decoded without the kind table keeps the StoredData of
 * configured kinds raw: re-read it with the table (encoding it back
 * without the table writes the raw bytes unchanged). */
static gboolean
store_req_has_raw (const ReloadStoreReq *req)
{
  for (guint i = 0; i < req->n_kind_data; i++)
    for (guint j = 0; j < req->kind_data[i].n_values; j++)
      {
        const ReloadStoredData *d = &req->kind_data[i].values[j];
        if (d->raw.data != NULL || d->raw.len > 0)
          return TRUE;
      }
  return FALSE;
}

gboolean
rds_reread_body (const ReloadStorage *s, RwVisitFunc visit, gpointer body, gsize size,
                 RwArena *scratch, gpointer *out)
{
  RwOptions bare = { .node_id_length = s->options.node_id_length };
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (bytes, &bare);
  visit (c, body);
  if (!rw_codec_finish (c, NULL))
    return FALSE;
  guint8 *copy = rw_arena_alloc0 (scratch, bytes->len);
  gpointer decoded = rw_arena_alloc0 (scratch, size);
  if (copy == NULL || decoded == NULL)
    return FALSE;
  memcpy (copy, bytes->data, bytes->len);
  c = rw_codec_new_decoder (copy, bytes->len, scratch, &s->options);
  visit (c, decoded);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "bytes left over");
  if (!rw_codec_finish (c, NULL))
    return FALSE;
  *out = decoded;
  return TRUE;
}

/* A value of the request, checked and ready to stage. */
typedef struct
{
  const ReloadStoredData *data;
  GBytes *value; /* DataValue.value */
} Prepared;

/* DataValue.value: the bytes as sent, or, for a built-in kind whose value
 * the codec typed, its encoding (the same bytes). */
static GBytes *
data_value_bytes (const ReloadStorage *s, guint32 kind, const ReloadDataValue *dv)
{
  if (dv->exists && reload_kind_is_typed (kind))
    return reload_kind_value_encode (kind, &dv->typed, &s->options, NULL);
  return g_bytes_new (dv->value.data, dv->value.len);
}

typedef struct
{
  guint n;
  const ReloadKindDef **defs;
  Prepared **prepared; /* per kind, n_values each */
  KindStore **staged;
  gboolean *changed;
} StoreWork;

static void
store_work_clear (StoreWork *w, const ReloadStoreReq *req)
{
  for (guint i = 0; i < w->n; i++)
    {
      if (w->prepared != NULL && w->prepared[i] != NULL)
        {
          for (guint j = 0; j < req->kind_data[i].n_values; j++)
            g_clear_pointer (&w->prepared[i][j].value, g_bytes_unref);
          g_free (w->prepared[i]);
        }
      if (w->staged != NULL)
        kind_store_free (w->staged[i]);
    }
  g_free (w->defs);
  g_free (w->prepared);
  g_free (w->staged);
  g_free (w->changed);
}

/* Stages the values of one kind, in order, on a copy of what is stored:
 * §7.4.1.1 "Each value is then processed in turn". */
static ReloadStorageStatus
stage_kind (ReloadStorage *s, const ReloadStoreKindData *kd, const ReloadKindDef *def,
            Prepared *prepared, KindStore *staged, gboolean *changed, gint64 now_ms, RwArena *arena,
            ReloadErrorResponse *err)
{
  for (guint j = 0; j < kd->n_values; j++)
    {
      const ReloadStoredData *d = prepared[j].data;
      ReloadStoredData copy = *d;
      GBytes *slot = NULL;
      switch (def->model)
        {
        case RELOAD_DATA_MODEL_ARRAY:
          if (copy.value.index == RELOAD_ARRAY_INDEX_APPEND)
            {
              /* §7.4.1.1: "A store at index 0xffffffff places the new value
               * at the end of the array ... The resulting StoredData has the
               * correct index value when it is subsequently fetched." */
              guint64 len = rds_kind_store_array_length (staged);
              if (len >= RELOAD_ARRAY_INDEX_APPEND)
                return rds_fail (err, arena, RELOAD_ERROR_DATA_TOO_LARGE,
                                 "kind %u: the array is full", kd->kind);
              copy.value.index = (guint32) len;
            }
          slot = rds_slot_for_index (copy.value.index);
          break;
        case RELOAD_DATA_MODEL_DICTIONARY:
          /* §7.2.3: one value for each key. */
          slot = g_bytes_new (copy.value.key.data, copy.value.key.len);
          break;
        default:
          /* §7.2.1: one single value per Resource-ID and Kind-ID. */
          slot = g_bytes_new (NULL, 0);
          break;
        }

      GBytes *encoded = encode_stored_data (&s->options, kd->kind, &copy);
      if (encoded == NULL)
        {
          g_bytes_unref (slot);
          return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE,
                           "kind %u: value %u cannot be encoded", kd->kind, j);
        }

      Entry *e = g_rc_box_new0 (Entry);
      e->slot = slot;
      e->index = copy.value.index;
      e->storage_time = copy.storage_time;
      /* §7 lifetime: "The validity period for the data, in seconds,
       * starting from the time the peer receives the StoreReq." */
      e->expires_ms = now_ms + (gint64) copy.lifetime * 1000;
      e->exists = copy.value.value.exists;
      e->encoded = encoded;
      e->value = g_bytes_ref (prepared[j].value);

      const Entry *old = g_tree_lookup (staged->entries, slot);
      if (old != NULL)
        {
          /* §7 storage_time: "Any attempt to store a data value with a
           * storage time before that of a value already stored at this
           * location MUST generate an Error_Data_Too_Old error."
           * §7.4.1.1: "The storage time values are greater than that of
           * any values which would be replaced by this Store."  Equal
           * times: the same StoredData again is a refresh (header). */
          gboolean refresh =
              e->storage_time == old->storage_time && same_but_lifetime (old->encoded, e->encoded);
          if (e->storage_time < old->storage_time
              || (e->storage_time == old->storage_time && !refresh))
            {
              guint64 old_time = old->storage_time;
              entry_unref (e);
              return rds_fail (err, arena, RELOAD_ERROR_DATA_TOO_OLD,
                               "kind %u: storage_time %" G_GUINT64_FORMAT
                               " is not after the stored %" G_GUINT64_FORMAT,
                               kd->kind, copy.storage_time, old_time);
            }
          if (!refresh)
            *changed = TRUE;
        }
      else
        *changed = TRUE;
      /* §7.4.1.1 single value "overwrites any existing value"; array
       * "replaces (or inserts)"; dictionary "replaces (or inserts)". */
      kind_store_put (staged, e);
    }

  /* §7.4.1.1: "The size and number of the stored values are consistent
   * with the limits specified in the overlay configuration"; §7.4.1.2
   * Error_Data_Too_Large.  An array counts its gaps (§7.4.1.1 "a store
   * past the end of the array extends it with nonexistent values"). */
  guint64 count = def->model == RELOAD_DATA_MODEL_ARRAY ? rds_kind_store_array_length (staged)
                                                        : (guint64) g_tree_nnodes (staged->entries);
  if (def->max_count != 0 && count > def->max_count)
    return rds_fail (err, arena, RELOAD_ERROR_DATA_TOO_LARGE,
                     "kind %u: %" G_GUINT64_FORMAT " values, max-count is %u", kd->kind, count,
                     def->max_count);
  return RELOAD_STORAGE_OK;
}

ReloadStorageStatus
reload_storage_store (ReloadStorage *s, const ReloadStoreReq *req,
                      const ReloadSignerInfo *request_signer, ReloadDataVerifyFunc verify,
                      gpointer verify_data, gint64 now_ms, RwArena *arena, ReloadStoreAns *ans,
                      ReloadErrorResponse *err)
{
  g_return_val_if_fail (s != NULL && req != NULL && verify != NULL && arena != NULL && ans != NULL
                            && err != NULL,
                        RELOAD_STORAGE_ERROR);
  memset (ans, 0, sizeof *ans);
  memset (err, 0, sizeof *err);
  reload_storage_expire (s, now_ms);

  /* §7.4.1.1 "The Kind-ID is known and supported"; "Implementations MUST
   * reject requests corresponding to unknown Kinds"; §7.4.1.2: the
   * error_info lists "all the Kinds that were unrecognized". */
  {
    guint32 unknown[MAX_UNKNOWN_KINDS];
    guint n_unknown = 0;
    for (guint i = 0; i < req->n_kind_data; i++)
      {
        guint32 kind = req->kind_data[i].kind;
        if (reload_kind_table_lookup (s->kinds, kind) != NULL)
          continue;
        gboolean seen = FALSE;
        for (guint k = 0; k < n_unknown; k++)
          seen = seen || unknown[k] == kind;
        if (!seen && n_unknown < MAX_UNKNOWN_KINDS)
          unknown[n_unknown++] = kind;
      }
    if (n_unknown > 0)
      {
        rds_fail (err, arena, RELOAD_ERROR_UNKNOWN_KIND, "unknown kinds");
        err->error_info = (RwBytes){ NULL, 0 };
        err->unknown_kinds = rds_arena_array (arena, n_unknown, sizeof (guint32));
        if (err->unknown_kinds != NULL)
          {
            memcpy (err->unknown_kinds, unknown, n_unknown * sizeof (guint32));
            err->n_unknown_kinds = n_unknown;
          }
        return RELOAD_STORAGE_ERROR;
      }
  }

  for (guint i = 0; i < req->n_kind_data; i++)
    {
      /* §7.4.1.1: "The same Kind-ID MUST NOT be used twice in a given
       * store request." */
      for (guint j = i + 1; j < req->n_kind_data; j++)
        if (req->kind_data[i].kind == req->kind_data[j].kind)
          return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE, "kind %u appears twice",
                           req->kind_data[i].kind);
      /* §7.4.1.1: "Replica Stores MUST NOT use a generation counter of 0." */
      if (req->replica_number > 0 && req->kind_data[i].generation_counter == 0)
        return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE,
                         "kind %u: a replica store with generation counter 0",
                         req->kind_data[i].kind);
    }

  g_autoptr (RwArena) scratch = NULL;
  if (store_req_has_raw (req))
    {
      scratch = rw_arena_new (0);
      gpointer reread = NULL;
      if (!rds_reread_body (s, reload_store_req_body, (gpointer) req, sizeof (ReloadStoreReq),
                            scratch, &reread))
        return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE, "a value cannot be read");
      req = reread;
    }

  gboolean original = req->replica_number == 0;
  Resource *res = rds_lookup_resource (s, req->resource);
  StoreWork w = { 0 };
  w.n = req->n_kind_data;
  w.defs = g_new0 (const ReloadKindDef *, w.n + 1);
  w.prepared = g_new0 (Prepared *, w.n + 1);
  w.staged = g_new0 (KindStore *, w.n + 1);
  w.changed = g_new0 (gboolean, w.n + 1);
  ReloadStorageStatus status = RELOAD_STORAGE_ERROR;

  /* Signatures, access control, sizes: value by value. */
  for (guint i = 0; i < req->n_kind_data; i++)
    {
      const ReloadStoreKindData *kd = &req->kind_data[i];
      const ReloadKindDef *def = reload_kind_table_lookup (s->kinds, kd->kind);
      w.defs[i] = def;
      w.prepared[i] = g_new0 (Prepared, kd->n_values + 1);
      if (original && request_signer == NULL)
        {
          rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN, "the store request is not signed");
          goto out;
        }
      if (original && kd->n_values == 0
          && !reload_access_allowed (def, req->resource, NULL, request_signer))
        {
          rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN,
                    "kind %u: the request signer may not write this resource", kd->kind);
          goto out;
        }
      for (guint j = 0; j < kd->n_values; j++)
        {
          const ReloadStoredData *d = &kd->values[j];
          w.prepared[i][j].data = d;
          /* §7.4.1.1: "If the data is signed with identity_type set to
           * "none" and/or SignatureAndHashAlgorithm values set to {0, 0}
           * ("anonymous" and "none"), the StoreReq MUST be rejected with an
           * Error_forbidden error." */
          if (d->signature.identity.identity_type == RELOAD_SIGNER_IDENTITY_NONE
              || (d->signature.hash_algorithm == RELOAD_HASH_NONE
                  && d->signature.signature_algorithm == RELOAD_SIG_ANONYMOUS))
            {
              rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN, "kind %u: value %u is not signed",
                        kd->kind, j);
              goto out;
            }
          /* §7.4.1.1: "The signatures over each individual data element,
           * if any, are valid.  If this check fails, the request MUST be
           * rejected with an Error_Forbidden error." */
          ReloadSignerInfo signer = { 0 };
          if (!verify (verify_data, req->resource, kd->kind, d, &signer))
            {
              rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN, "kind %u: value %u: bad signature",
                        kd->kind, j);
              goto out;
            }
          /* §7.4.1.1: "Each element is signed by a credential which is
           * authorized to write this Kind at this Resource-ID"; §7.3: "the
           * signer of the StoredValue MUST conform to the policy". */
          if (!reload_access_allowed (def, req->resource, &d->value, &signer))
            {
              rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN,
                        "kind %u: value %u: its signer may not write it here", kd->kind, j);
              goto out;
            }
          /* §7.4.1.1: "For original (non-replica) stores, the StoreReq is
           * signed by a credential which is authorized to write this Kind
           * at this Resource-ID"; §7.3 "in a non-replica store, both the
           * signer of the StoredValue and the signer of the StoreReq MUST
           * conform to the policy".  Replica stores: the node checks the
           * sender (§7.4.1.1, §10.4). */
          if (original && !reload_access_allowed (def, req->resource, &d->value, request_signer))
            {
              rds_fail (err, arena, RELOAD_ERROR_FORBIDDEN,
                        "kind %u: value %u: the request signer may not write it here", kd->kind, j);
              goto out;
            }
          GBytes *value = data_value_bytes (s, kd->kind, &d->value.value);
          if (value == NULL)
            {
              rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE,
                        "kind %u: value %u cannot be encoded", kd->kind, j);
              goto out;
            }
          w.prepared[i][j].value = value;
          /* §7.4.1.2: "If the data being stored is too large for the
           * allowed limit by the given usage, then the peer MUST fail the
           * request and generate an Error_Data_Too_Large error"; §11.1
           * max-size: "The maximum size of individual values". */
          gsize size = g_bytes_get_size (value);
          if (def->max_size != 0 && size > def->max_size)
            {
              rds_fail (err, arena, RELOAD_ERROR_DATA_TOO_LARGE,
                        "kind %u: value %u has %" G_GSIZE_FORMAT " bytes, max-size is %u", kd->kind,
                        j, size, def->max_size);
              goto out;
            }
        }
    }

  /* §7.4.1.1: "For original (non-replica) stores, the peer MUST check that
   * if the generation counter is nonzero, it equals the current value of
   * the generation counter for this Kind"; "For replica Stores, the peer
   * ... MUST NOT check the generation counter against the current value."
   * §7.4.1.2: Error_Generation_Counter_Too_Low, whose error_info is "a
   * StoreAns response containing the correct generation counter for each
   * Kind and the replica list, which will be empty". */
  if (original)
    {
      gboolean mismatch = FALSE;
      for (guint i = 0; i < req->n_kind_data; i++)
        {
          const KindStore *k = rds_lookup_kind (res, req->kind_data[i].kind);
          guint64 current = k != NULL ? k->generation : 0;
          if (req->kind_data[i].generation_counter != 0
              && req->kind_data[i].generation_counter != current)
            mismatch = TRUE;
        }
      if (mismatch)
        {
          rds_fail (err, arena, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW, "generation counter");
          err->error_info = (RwBytes){ NULL, 0 };
          ReloadStoreAns *info = rw_arena_alloc0 (arena, sizeof *info);
          ReloadStoreKindResponse *kr =
              rds_arena_array (arena, req->n_kind_data, sizeof (ReloadStoreKindResponse));
          if (info != NULL && (kr != NULL || req->n_kind_data == 0))
            {
              for (guint i = 0; i < req->n_kind_data; i++)
                {
                  const KindStore *k = rds_lookup_kind (res, req->kind_data[i].kind);
                  kr[i].kind = req->kind_data[i].kind;
                  kr[i].generation_counter = k != NULL ? k->generation : 0;
                }
              info->kind_responses = kr;
              info->n_kind_responses = req->n_kind_data;
              err->store_ans = info;
            }
          goto out;
        }
    }

  /* Storage times and counts, value by value on staged copies (§7.4.1.1:
   * "These operations MUST be atomic.  If any operation fails, the state
   * MUST be rolled back to what it was before the request was
   * received"). */
  for (guint i = 0; i < req->n_kind_data; i++)
    {
      const ReloadStoreKindData *kd = &req->kind_data[i];
      const KindStore *cur = rds_lookup_kind (res, kd->kind);
      w.staged[i] =
          cur != NULL ? kind_store_clone (cur) : kind_store_new (kd->kind, w.defs[i]->model);
      if (stage_kind (s, kd, w.defs[i], w.prepared[i], w.staged[i], &w.changed[i], now_ms, arena,
                      err)
          != RELOAD_STORAGE_OK)
        goto out;
    }

  /* The answer first (it may not fit), then the commit. */
  ReloadStoreKindResponse *kr =
      rds_arena_array (arena, req->n_kind_data, sizeof (ReloadStoreKindResponse));
  if (kr == NULL && req->n_kind_data > 0)
    {
      rds_fail_arena (err, arena);
      goto out;
    }
  for (guint i = 0; i < req->n_kind_data; i++)
    {
      const ReloadStoreKindData *kd = &req->kind_data[i];
      KindStore *k = g_steal_pointer (&w.staged[i]);
      if (!req->replica_number)
        {
          /* §7.4.1.1: "For non-replica stores, if the store succeeds and
           * the data is changed, then the peer MUST increase the
           * generation counter by at least 1" (here: 1 per kind); "all
           * stored data values MUST have a generation counter of 1 or
           * greater". */
          if (w.changed[i])
            k->generation++;
        }
      else
        /* §7.4.1.1: "For replica Stores, the peer MUST set the generation
         * counter to match the generation counter in the message". */
        k->generation = kd->generation_counter;
      kr[i].kind = kd->kind;
      kr[i].generation_counter = g_tree_nnodes (k->entries) > 0 ? k->generation : 0;
      if (g_tree_nnodes (k->entries) == 0)
        {
          /* Nothing stored for this kind (an empty StoreKindData). */
          kind_store_free (k);
          continue;
        }
      if (res == NULL)
        {
          res = g_new0 (Resource, 1);
          res->rid = g_bytes_new (req->resource.data, req->resource.len);
          res->id = chord_id_from_resource_id (req->resource);
          res->kinds = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, kind_store_free);
          g_hash_table_insert (s->resources, res->rid, res);
        }
      g_hash_table_replace (res->kinds, GUINT_TO_POINTER (kd->kind), k);
    }
  ans->kind_responses = kr;
  ans->n_kind_responses = req->n_kind_data;
  mark_expiry_dirty (s);
  status = RELOAD_STORAGE_OK;

out:
  store_work_clear (&w, req);
  return status;
}

/* ---------------------------------------------------------------- replication */

guint
reload_storage_n_resources (const ReloadStorage *s)
{
  return g_hash_table_size (s->resources);
}

guint64
reload_storage_n_values (const ReloadStorage *s)
{
  guint64 n = 0;
  GHashTableIter ri;
  gpointer rk, rv;
  g_hash_table_iter_init (&ri, s->resources);
  while (g_hash_table_iter_next (&ri, &rk, &rv))
    {
      GHashTableIter ki;
      gpointer kk, kv;
      g_hash_table_iter_init (&ki, ((Resource *) rv)->kinds);
      while (g_hash_table_iter_next (&ki, &kk, &kv))
        n += g_tree_nnodes (((KindStore *) kv)->entries);
    }
  return n;
}

guint64
reload_storage_n_values_of_kind (const ReloadStorage *s, guint32 kind)
{
  guint64 n = 0;
  GHashTableIter ri;
  gpointer rk, rv;
  g_hash_table_iter_init (&ri, s->resources);
  while (g_hash_table_iter_next (&ri, &rk, &rv))
    {
      GHashTableIter ki;
      gpointer kk, kv;
      g_hash_table_iter_init (&ki, ((Resource *) rv)->kinds);
      while (g_hash_table_iter_next (&ki, &kk, &kv))
        if (((KindStore *) kv)->kind == kind)
          n += g_tree_nnodes (((KindStore *) kv)->entries);
    }
  return n;
}

typedef struct
{
  ChordId id;
  GBytes *rid;
} Snapshot;

static gint
snapshot_cmp (gconstpointer a, gconstpointer b)
{
  const Snapshot *x = a, *y = b;
  int c = chord_id_cmp (x->id, y->id);
  return c != 0 ? c : g_bytes_compare (x->rid, y->rid);
}

void
reload_storage_foreach (ReloadStorage *s,
                        void (*fn) (gpointer user_data, ChordId id, RwBytes resource_id),
                        gpointer user_data)
{
  g_return_if_fail (s != NULL && fn != NULL);
  g_autoptr (GArray) snap = g_array_new (FALSE, FALSE, sizeof (Snapshot));
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, s->resources);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const Resource *r = value;
      Snapshot sn = { r->id, g_bytes_ref (r->rid) };
      g_array_append_val (snap, sn);
    }
  g_array_sort (snap, snapshot_cmp);
  for (guint i = 0; i < snap->len; i++)
    {
      Snapshot *sn = &g_array_index (snap, Snapshot, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (sn->rid, &len);
      fn (user_data, sn->id, (RwBytes){ data, len });
      g_bytes_unref (sn->rid);
    }
}

static gint
guint_cmp (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

ReloadStoreReq *
reload_storage_export (ReloadStorage *s, RwBytes resource_id, guint8 replica_number, gint64 now_ms,
                       RwArena *arena)
{
  g_return_val_if_fail (s != NULL && arena != NULL, NULL);
  reload_storage_expire (s, now_ms);
  const Resource *res = rds_lookup_resource (s, resource_id);
  if (res == NULL)
    return NULL;

  g_autoptr (GArray) kinds = g_array_new (FALSE, FALSE, sizeof (guint32));
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, res->kinds);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      guint32 kind = GPOINTER_TO_UINT (key);
      g_array_append_val (kinds, kind);
    }
  g_array_sort (kinds, guint_cmp);

  ReloadStoreReq *req = rw_arena_alloc0 (arena, sizeof *req);
  if (req == NULL)
    return NULL;
  gsize rlen;
  const guint8 *rdata = g_bytes_get_data (res->rid, &rlen);
  if (!rds_arena_dup (arena, rdata, rlen, &req->resource))
    return NULL;
  req->replica_number = replica_number;
  req->kind_data = rds_arena_array (arena, kinds->len, sizeof (ReloadStoreKindData));
  if (req->kind_data == NULL && kinds->len > 0)
    return NULL;
  for (guint i = 0; i < kinds->len; i++)
    {
      const KindStore *k = rds_lookup_kind (res, g_array_index (kinds, guint32, i));
      ReloadStoreKindData *kd = &req->kind_data[req->n_kind_data];
      kd->kind = k->kind;
      /* §7.4.1.1: a replica store carries the counter, which the replica
       * takes; an original store with 0 is unconditional. */
      kd->generation_counter = replica_number > 0 ? k->generation : 0;
      kd->values = rds_arena_array (arena, g_tree_nnodes (k->entries), sizeof (ReloadStoredData));
      if (kd->values == NULL)
        return NULL;
      for (GTreeNode *n = g_tree_node_first (k->entries); n != NULL; n = g_tree_node_next (n))
        {
          const Entry *e = g_tree_node_value (n);
          /* §7.4.1.1: "When a peer stores data previously stored by another
           * node ... it MUST adjust the lifetime value downward to reflect
           * the amount of time the value was stored at the peer." */
          if (rds_remaining_lifetime (e, now_ms) == 0)
            continue;
          if (!rds_entry_to_stored_data (s, k->kind, e, now_ms, arena, &kd->values[kd->n_values]))
            return NULL;
          kd->n_values++;
        }
      if (kd->n_values > 0)
        req->n_kind_data++;
    }
  return req;
}

guint
reload_storage_drop_outside (ReloadStorage *s, ChordId lo, ChordId hi)
{
  g_return_val_if_fail (s != NULL, 0);
  guint dropped = 0;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, s->resources);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (!chord_id_in_open_closed (((Resource *) value)->id, lo, hi))
      {
        g_hash_table_iter_remove (&it);
        dropped++;
      }
  if (dropped > 0)
    mark_expiry_dirty (s);
  return dropped;
}

/* ---------------------------------------------------------------- a new configuration */

void
reload_storage_set_kinds (ReloadStorage *s, ReloadKindTable *kinds)
{
  g_return_if_fail (s != NULL && kinds != NULL);
  ReloadKindTable *old = s->kinds;
  s->kinds = reload_kind_table_ref (kinds);
  s->options.kind_model_data = s->kinds;
  reload_kind_table_unref (old);
}

guint
reload_storage_drop_kind (ReloadStorage *s, guint32 kind)
{
  guint dropped = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->resources);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Resource *r = value;
      KindStore *k = rds_lookup_kind (r, kind);
      if (k == NULL)
        continue;
      dropped += (guint) g_tree_nnodes (k->entries);
      g_hash_table_remove (r->kinds, GUINT_TO_POINTER (kind));
      if (g_hash_table_size (r->kinds) == 0)
        g_hash_table_iter_remove (&it);
    }
  mark_expiry_dirty (s);
  return dropped;
}
