/* reload-datastore-fetch.c: Fetch, Stat and Find on the storage (RFC
 * 6940 §7.4.2, §7.4.3, §7.4.4); see reload-datastore.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "reload-datastore-private.h"

/* ---------------------------------------------------------------- Fetch and Stat (§7.4.2, §7.4.3) */

/* One value of an answer: a stored one, or a synthetic nonexistent one at
 * @index or @key (§7.4.2.2). */
typedef struct
{
  const Entry *entry;
  guint32 index;
  RwBytes key;
} Item;

static gboolean
fetch_req_has_raw (const ReloadFetchReq *req)
{
  for (guint i = 0; i < req->n_specifiers; i++)
    if (req->specifiers[i].raw.len > 0)
      return TRUE;
  return FALSE;
}

static gboolean
ranges_overlap (const ReloadArrayRange *a, const ReloadArrayRange *b)
{
  return a->first <= b->last && b->first <= a->last;
}

/* The values a specifier selects (§7.4.2.1). */
static ReloadStorageStatus
select_items (const KindStore *k, const ReloadKindDef *def, const ReloadStoredDataSpecifier *spec,
              GArray *items, RwArena *arena, ReloadErrorResponse *err)
{
  switch (def->model)
    {
    case RELOAD_DATA_MODEL_ARRAY:
      {
        /* "The first integer MUST be less than or equal to the second.
         * While multiple ranges MAY be specified, they MUST NOT overlap." */
        for (guint i = 0; i < spec->n_indices; i++)
          {
            if (spec->indices[i].first > spec->indices[i].last)
              return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE,
                               "kind %u: range [%u, %u] has first > last", spec->kind,
                               spec->indices[i].first, spec->indices[i].last);
            for (guint j = 0; j < i; j++)
              if (ranges_overlap (&spec->indices[i], &spec->indices[j]))
                return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE,
                                 "kind %u: array ranges overlap", spec->kind);
          }
        guint64 len = k != NULL ? rds_kind_store_array_length (k) : 0;
        if (len == 0)
          break;
        for (guint i = 0; i < spec->n_indices; i++)
          {
            /* "0 is used to indicate the first element, and 0xffffffff is
             * used to indicate the final element." */
            guint64 first = spec->indices[i].first == RELOAD_ARRAY_INDEX_LAST
                                ? len - 1
                                : spec->indices[i].first;
            guint64 last = spec->indices[i].last == RELOAD_ARRAY_INDEX_LAST
                               ? len - 1
                               : MIN ((guint64) spec->indices[i].last, len - 1);
            for (guint64 x = first; x <= last && x < len; x++)
              {
                g_autoptr (GBytes) slot = rds_slot_for_index ((guint32) x);
                /* §7.2.2: "Future attempts to fetch elements at index 0 or 1
                 * will return values with "exists" set to False." */
                Item it = { g_tree_lookup (k->entries, slot), (guint32) x, { NULL, 0 } };
                g_array_append_val (items, it);
              }
          }
        break;
      }
    case RELOAD_DATA_MODEL_DICTIONARY:
      if (spec->n_keys == 0)
        {
          /* "If no keys are specified, then this is a wildcard fetch and
           * all key-value pairs are returned." */
          if (k != NULL)
            for (GTreeNode *n = g_tree_node_first (k->entries); n != NULL; n = g_tree_node_next (n))
              {
                Item it = { g_tree_node_value (n), 0, { NULL, 0 } };
                g_array_append_val (items, it);
              }
          break;
        }
      for (guint i = 0; i < spec->n_keys; i++)
        {
          const Entry *e = NULL;
          if (k != NULL)
            {
              g_autoptr (GBytes) slot = g_bytes_new (spec->keys[i].data, spec->keys[i].len);
              e = g_tree_lookup (k->entries, slot);
            }
          Item it = { e, 0, spec->keys[i] };
          g_array_append_val (items, it);
        }
      break;
    default:
      {
        /* §7.2.1: the single value, or a synthetic nonexistent one. */
        const Entry *e = NULL;
        if (k != NULL)
          {
            g_autoptr (GBytes) slot = g_bytes_new (NULL, 0);
            e = g_tree_lookup (k->entries, slot);
          }
        Item it = { e, 0, { NULL, 0 } };
        g_array_append_val (items, it);
        break;
      }
    }
  return RELOAD_STORAGE_OK;
}

/* Unknown kinds of a Fetch or Stat (§7.4.1.2: "If any type of request
 * tries to access a data Kind that the peer does not know about, the peer
 * MUST fail the request"; §7.4.2.1: "SHOULD reject requests corresponding
 * to unknown Kinds"). */
static gboolean
check_unknown_specifiers (const ReloadStorage *s, const ReloadFetchReq *req, RwArena *arena,
                          ReloadErrorResponse *err)
{
  guint32 unknown[MAX_UNKNOWN_KINDS];
  guint n_unknown = 0;
  for (guint i = 0; i < req->n_specifiers; i++)
    {
      guint32 kind = req->specifiers[i].kind;
      if (reload_kind_table_lookup (s->kinds, kind) != NULL)
        continue;
      gboolean seen = FALSE;
      for (guint k = 0; k < n_unknown; k++)
        seen = seen || unknown[k] == kind;
      if (!seen && n_unknown < MAX_UNKNOWN_KINDS)
        unknown[n_unknown++] = kind;
    }
  if (n_unknown == 0)
    return TRUE;
  memset (err, 0, sizeof *err);
  err->error_code = RELOAD_ERROR_UNKNOWN_KIND;
  err->unknown_kinds = rds_arena_array (arena, n_unknown, sizeof (guint32));
  if (err->unknown_kinds != NULL)
    {
      memcpy (err->unknown_kinds, unknown, n_unknown * sizeof (guint32));
      err->n_unknown_kinds = n_unknown;
    }
  return FALSE;
}

/* The request as the engine reads it: re-read when its specifiers are raw. */
static const ReloadFetchReq *
prepare_fetch_req (ReloadStorage *s, const ReloadFetchReq *req, RwArena **scratch)
{
  if (!fetch_req_has_raw (req))
    return req;
  *scratch = rw_arena_new (0);
  gpointer reread = NULL;
  if (!rds_reread_body (s, reload_fetch_req_body, (gpointer) req, sizeof (ReloadFetchReq), *scratch,
                        &reread))
    return NULL;
  return reread;
}

static gboolean
fill_synthetic (const ReloadStoredDataSpecifier *spec, const Item *it, RwArena *arena,
                ReloadStoredData *out)
{
  /* §7.4.2.2: "A nonexistent value ... is represented by a synthetic value
   * with "exists" set to False and has an empty signature.  Specifically,
   * the identity_type is set to "none", the SignatureAndHashAlgorithm
   * values are set to {0, 0} ("anonymous" and "none", respectively), and
   * the signature value is of zero length." */
  memset (out, 0, sizeof *out);
  out->value.index = it->index;
  out->value.value.exists = FALSE;
  out->signature.hash_algorithm = RELOAD_HASH_NONE;
  out->signature.signature_algorithm = RELOAD_SIG_ANONYMOUS;
  out->signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
  return rds_arena_dup (arena, it->key.data, it->key.len, &out->value.key);
}

/* Fetch and Stat select values the same way (§7.4.3.1: "The Stat request
 * is identical to the Fetch request"; §7.4.3.2: "The contents of the
 * StatKindResponse are the same as those in the FetchKindResponse"); they
 * differ in what they say of each value: @fill writes one ReloadStoredData
 * or one ReloadStoredMetaData of @value_size bytes. */
typedef gboolean (*FillValue) (ReloadStorage *s, const ReloadStoredDataSpecifier *spec,
                               const ReloadKindDef *def, const Item *it, gint64 now_ms,
                               RwArena *arena, gpointer out);

/* The layout ReloadFetchKindResponse and ReloadStatKindResponse share. */
typedef struct
{
  guint32 kind;
  guint64 generation;
  gpointer values;
  guint n_values;
} KindResponse;

G_STATIC_ASSERT (sizeof (KindResponse) == sizeof (ReloadFetchKindResponse));
G_STATIC_ASSERT (sizeof (KindResponse) == sizeof (ReloadStatKindResponse));
G_STATIC_ASSERT (G_STRUCT_OFFSET (KindResponse, values)
                 == G_STRUCT_OFFSET (ReloadStatKindResponse, values));
G_STATIC_ASSERT (G_STRUCT_OFFSET (KindResponse, n_values)
                 == G_STRUCT_OFFSET (ReloadFetchKindResponse, n_values));

static ReloadStorageStatus
select_responses (ReloadStorage *s, const ReloadFetchReq *req, gint64 now_ms, RwArena *arena,
                  gsize value_size, FillValue fill, KindResponse **out, guint *n_out,
                  ReloadErrorResponse *err)
{
  reload_storage_expire (s, now_ms);
  if (!check_unknown_specifiers (s, req, arena, err))
    return RELOAD_STORAGE_ERROR;
  g_autoptr (RwArena) scratch = NULL;
  req = prepare_fetch_req (s, req, &scratch);
  if (req == NULL)
    return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE, "a specifier cannot be read");

  const Resource *res = rds_lookup_resource (s, req->resource);
  KindResponse *kr = rds_arena_array (arena, req->n_specifiers, sizeof (KindResponse));
  if (kr == NULL && req->n_specifiers > 0)
    return rds_fail_arena (err, arena);
  g_autoptr (GArray) items = g_array_new (FALSE, FALSE, sizeof (Item));
  for (guint i = 0; i < req->n_specifiers; i++)
    {
      const ReloadStoredDataSpecifier *spec = &req->specifiers[i];
      const ReloadKindDef *def = reload_kind_table_lookup (s->kinds, spec->kind);
      const KindStore *k = rds_lookup_kind (res, spec->kind);
      /* §7.4.2.2: "There MUST be one FetchKindResponse element for each
       * Kind-ID in the request"; generation: "The generation counter for
       * this Kind". */
      kr[i].kind = spec->kind;
      kr[i].generation = k != NULL ? k->generation : 0;
      /* §7.4.2.1: "If the generation counter in the request matches the
       * stored counter, then the storing peer returns a response with no
       * StoredData values" (0: "it may be set to zero", no condition). */
      if (spec->generation != 0 && spec->generation == kr[i].generation)
        continue;
      g_array_set_size (items, 0);
      if (select_items (k, def, spec, items, arena, err) != RELOAD_STORAGE_OK)
        return RELOAD_STORAGE_ERROR;
      guint8 *values = rds_arena_array (arena, items->len, value_size);
      if (values == NULL && items->len > 0)
        return rds_fail_arena (err, arena);
      kr[i].values = values;
      kr[i].n_values = items->len;
      for (guint j = 0; j < items->len; j++)
        if (!fill (s, spec, def, &g_array_index (items, Item, j), now_ms, arena,
                   values + (gsize) j * value_size))
          return rds_fail_arena (err, arena);
    }
  *out = kr;
  *n_out = req->n_specifiers;
  return RELOAD_STORAGE_OK;
}

static gboolean
fill_stored_data (ReloadStorage *s, const ReloadStoredDataSpecifier *spec, const ReloadKindDef *def,
                  const Item *it, gint64 now_ms, RwArena *arena, gpointer out)
{
  return it->entry != NULL ? rds_entry_to_stored_data (s, spec->kind, it->entry, now_ms, arena, out)
                           : fill_synthetic (spec, it, arena, out);
}

ReloadStorageStatus
reload_storage_fetch (ReloadStorage *s, const ReloadFetchReq *req, gint64 now_ms, RwArena *arena,
                      ReloadFetchAns *ans, ReloadErrorResponse *err)
{
  g_return_val_if_fail (s != NULL && req != NULL && arena != NULL && ans != NULL && err != NULL,
                        RELOAD_STORAGE_ERROR);
  memset (ans, 0, sizeof *ans);
  memset (err, 0, sizeof *err);
  KindResponse *kr = NULL;
  ReloadStorageStatus st = select_responses (s, req, now_ms, arena, sizeof (ReloadStoredData),
                                             fill_stored_data, &kr, &ans->n_kind_responses, err);
  ans->kind_responses = (ReloadFetchKindResponse *) kr;
  return st;
}

static gboolean
fill_metadata (const Item *it, ReloadDataModel model, gint64 now_ms, RwArena *arena,
               ReloadStoredMetaData *out)
{
  memset (out, 0, sizeof *out);
  out->metadata.index = it->index;
  if (!rds_arena_dup (arena, it->key.data, it->key.len, &out->metadata.key))
    return FALSE;
  const Entry *e = it->entry;
  if (e == NULL)
    {
      /* A synthetic nonexistent value (§7.4.2.2): nothing to digest. */
      out->metadata.value.hash_algorithm = RELOAD_HASH_NONE;
      return TRUE;
    }
  /* §7.4.3.2: "The contents of the StoredMetaData structure are the same
   * as the corresponding fields in StoredData". */
  out->storage_time = e->storage_time;
  out->lifetime = rds_remaining_lifetime (e, now_ms);
  if (model == RELOAD_DATA_MODEL_ARRAY)
    out->metadata.index = e->index; /* §7.4.3.2 ArrayEntryMeta */
  if (model == RELOAD_DATA_MODEL_DICTIONARY)
    {
      /* §7.4.3.2 DictionaryEntryMeta: the key is the slot */
      gsize slot_len;
      const guint8 *slot = g_bytes_get_data (e->slot, &slot_len);
      if (!rds_arena_dup (arena, slot, slot_len, &out->metadata.key))
        return FALSE;
    }
  gsize len;
  const guint8 *value = g_bytes_get_data (e->value, &len);
  out->metadata.value.exists = e->exists;
  /* "value_length: The length of the stored value." */
  out->metadata.value.value_length = (guint32) len;
  /* "hash_value: A digest using hash_algorithm on the value field of the
   * DataValue, including its 4 leading length bytes." SHA-256, the
   * mandatory algorithm of RELOAD (§6.3.4). */
  guint8 prefix[4];
  guint32 be = GUINT32_TO_BE ((guint32) len);
  memcpy (prefix, &be, 4);
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sha, prefix, 4);
  g_checksum_update (sha, value, len);
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_checksum_get_digest (sha, digest, &dlen);
  out->metadata.value.hash_algorithm = RELOAD_HASH_SHA256;
  return rds_arena_dup (arena, digest, dlen, &out->metadata.value.hash_value);
}

static gboolean
fill_stat (ReloadStorage *s, const ReloadStoredDataSpecifier *spec, const ReloadKindDef *def,
           const Item *it, gint64 now_ms, RwArena *arena, gpointer out)
{
  return fill_metadata (it, def->model, now_ms, arena, out);
}

ReloadStorageStatus
reload_storage_stat (ReloadStorage *s, const ReloadStatReq *req, gint64 now_ms, RwArena *arena,
                     ReloadStatAns *ans, ReloadErrorResponse *err)
{
  g_return_val_if_fail (s != NULL && req != NULL && arena != NULL && ans != NULL && err != NULL,
                        RELOAD_STORAGE_ERROR);
  memset (ans, 0, sizeof *ans);
  memset (err, 0, sizeof *err);
  KindResponse *kr = NULL;
  ReloadStorageStatus st = select_responses (s, req, now_ms, arena, sizeof (ReloadStoredMetaData),
                                             fill_stat, &kr, &ans->n_kind_responses, err);
  ans->kind_responses = (ReloadStatKindResponse *) kr;
  return st;
}

/* ---------------------------------------------------------------- Find (§7.4.4) */

ReloadStorageStatus
reload_storage_find (ReloadStorage *s, const ReloadFindReq *req, ChordId range_lo, ChordId range_hi,
                     gint64 now_ms, RwArena *arena, ReloadFindAns *ans, ReloadErrorResponse *err)
{
  g_return_val_if_fail (s != NULL && req != NULL && arena != NULL && ans != NULL && err != NULL,
                        RELOAD_STORAGE_ERROR);
  memset (ans, 0, sizeof *ans);
  memset (err, 0, sizeof *err);
  reload_storage_expire (s, now_ms);

  /* §7.4.4.1 kinds: "Each value MUST appear only once.  Otherwise, the
   * request MUST be rejected with an error." */
  for (guint i = 0; i < req->n_kinds; i++)
    for (guint j = i + 1; j < req->n_kinds; j++)
      if (req->kinds[i] == req->kinds[j])
        return rds_fail (err, arena, RELOAD_ERROR_INVALID_MESSAGE, "kind %u appears twice",
                         req->kinds[i]);
  /* §7.4.4.2: "If the processing peer is not responsible for the specified
   * Resource-ID, it SHOULD return an Error_Not_Found error code." */
  ChordId target = chord_id_from_resource_id (req->resource);
  if (!chord_id_in_open_closed (target, range_lo, range_hi))
    return rds_fail (err, arena, RELOAD_ERROR_NOT_FOUND, "not responsible for this Resource-ID");

  ReloadFindKindData *results = rds_arena_array (arena, req->n_kinds, sizeof (ReloadFindKindData));
  if (results == NULL && req->n_kinds > 0)
    return rds_fail_arena (err, arena);
  static const guint8 zero[16] = { 0 };
  for (guint i = 0; i < req->n_kinds; i++)
    {
      guint32 kind = req->kinds[i];
      /* §7.4.4.2: "For each Kind-ID in the request, the response MUST
       * contain a FindKindData indicating the closest Resource-ID for that
       * Kind-ID"; "If a Kind-ID is not known, then the corresponding
       * Resource-ID MUST be 0"; closest: "It is 0 if no Resource-ID is
       * known." */
      const Resource *best = NULL;
      ChordId best_dist = { 0, 0 };
      if (reload_kind_table_lookup (s->kinds, kind) != NULL)
        {
          GHashTableIter it;
          gpointer key, value;
          g_hash_table_iter_init (&it, s->resources);
          while (g_hash_table_iter_next (&it, &key, &value))
            {
              const Resource *r = value;
              if (!chord_id_in_open_closed (r->id, range_lo, range_hi))
                continue; /* a replica: not this peer's to answer for */
              const KindStore *k = rds_lookup_kind (r, kind);
              if (k == NULL || !rds_kind_store_has_existing (k))
                continue;
              ChordId d = chord_id_distance (target, r->id);
              int c = best == NULL ? -1 : chord_id_cmp (d, best_dist);
              if (c < 0 || (c == 0 && g_bytes_compare (r->rid, best->rid) < 0))
                {
                  best = r;
                  best_dist = d;
                }
            }
        }
      results[i].kind = kind;
      gboolean ok;
      if (best != NULL)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (best->rid, &len);
          ok = rds_arena_dup (arena, data, len, &results[i].closest);
        }
      else
        ok = rds_arena_dup (arena, zero, sizeof zero, &results[i].closest);
      if (!ok)
        return rds_fail_arena (err, arena);
    }
  ans->results = results;
  ans->n_results = req->n_kinds;
  return RELOAD_STORAGE_OK;
}
