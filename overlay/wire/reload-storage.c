/* reload-storage.c: Store, Fetch, Stat and Find bodies (RFC 6940 §7.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-storage.h"

#include "reload-body.h"

/* TLS HashAlgorithm (RFC 5246 §7.4.1.4.1), MetaData.hash_algorithm. */
static const RwEnumName hash_algorithm_names[] = {
  { 0, "none" },   { 1, "md5" },    { 2, "sha1" },   { 3, "sha224" },
  { 4, "sha256" }, { 5, "sha384" }, { 6, "sha512" }, { 0, NULL },
};

static gboolean
model_known (ReloadDataModel model)
{
  return model == RELOAD_DATA_MODEL_SINGLE || model == RELOAD_DATA_MODEL_ARRAY
         || model == RELOAD_DATA_MODEL_DICTIONARY;
}

/* A list element visitor gets only the element; the values of a
 * StoreKindData, FetchKindResponse or StatKindResponse need the kind read
 * just before the list.  It travels here, set around the list and
 * restored after (the visit is synchronous; thread-local so that codecs
 * may run in several threads). */
static _Thread_local guint32 list_kind;

/* ---------------------------------------------------------------- §7.2 values */

/* DataValue (§7.2), its fields inside the enclosing entry's object. */
static void
visit_data_value (RwCodec *c, guint32 kind, ReloadDataValue *v)
{
  rw_boolean (c, "exists", &v->exists);
  if (v->exists && reload_kind_is_typed (kind))
    {
      /* opaque value<0..2^32-1> read as a block: the typed value must use
       * exactly the bytes of the value. */
      rw_object_begin (c, "value");
      RwBlock b;
      rw_block_begin (c, NULL, 4, 0, &b);
      reload_kind_value (c, kind, &v->typed);
      rw_block_end (c, &b);
      rw_object_end (c);
    }
  else
    rw_opaque (c, "value", 4, 0, &v->value);
}

static void
visit_stored_data_value (RwCodec *c, const char *name, guint32 kind, ReloadDataModel model,
                         ReloadStoredDataValue *v)
{
  rw_object_begin (c, name);
  switch (model)
    {
    case RELOAD_DATA_MODEL_ARRAY: /* §7.2.2 ArrayEntry */
      rw_u32 (c, "index", &v->index);
      break;
    case RELOAD_DATA_MODEL_DICTIONARY: /* §7.2.3 DictionaryEntry */
      rw_opaque (c, "key", 2, 0, &v->key);
      break;
    case RELOAD_DATA_MODEL_SINGLE: /* §7.2.1: the DataValue alone */
      break;
    default:
      rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, NULL, "the data model of kind %u is not known",
               kind);
      break;
    }
  visit_data_value (c, kind, &v->value);
  rw_object_end (c);
}

void
reload_stored_data_value (RwCodec *c, const char *name, guint32 kind_id, ReloadStoredDataValue *v)
{
  visit_stored_data_value (c, name, kind_id, reload_kind_data_model (rw_options (c), kind_id), v);
}

/* §7: StoredData.  "length: The size of the StoredData structure, in bytes,
 * excluding the size of length itself": a block around all the rest. */
void
reload_stored_data (RwCodec *c, const char *name, guint32 kind_id, ReloadStoredData *v)
{
  ReloadDataModel model = reload_kind_data_model (rw_options (c), kind_id);
  rw_object_begin (c, name);
  RwBlock b;
  rw_block_begin (c, NULL, 4, 0, &b);
  if (model_known (model))
    {
      rw_u64 (c, "storage_time", &v->storage_time);
      rw_u32 (c, "lifetime", &v->lifetime);
      visit_stored_data_value (c, "value", kind_id, model, &v->value);
      reload_signature (c, "signature", &v->signature);
    }
  else
    rw_rest (c, "raw", &v->raw);
  rw_block_end (c, &b);
  rw_object_end (c);
}

static void
visit_stored_data_elem (RwCodec *c, gpointer p)
{
  reload_stored_data (c, NULL, list_kind, p);
}

/* StoredData values<0..2^32-1> of @kind. */
static void
visit_stored_data_list (RwCodec *c, const char *name, guint32 kind, ReloadStoredData **values,
                        guint *n_values)
{
  guint32 saved = list_kind;
  list_kind = kind;
  rw_list (c, name, 4, 0, (gpointer *) values, n_values, sizeof (ReloadStoredData), 0,
           visit_stored_data_elem);
  list_kind = saved;
}

/* ---------------------------------------------------------------- §7.4.1 Store */

static void
visit_store_kind_data (RwCodec *c, gpointer p)
{
  ReloadStoreKindData *k = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &k->kind);
  rw_u64 (c, "generation_counter", &k->generation_counter);
  visit_stored_data_list (c, "values", k->kind, &k->values, &k->n_values);
  rw_object_end (c);
}

void
reload_store_req_body (RwCodec *c, gpointer body)
{
  ReloadStoreReq *r = body;
  reload_resource_id (c, "resource", &r->resource);
  rw_u8 (c, "replica_number", &r->replica_number);
  RW_LIST (c, "kind_data", 4, r->kind_data, r->n_kind_data, visit_store_kind_data);
}

static void
visit_store_kind_response (RwCodec *c, gpointer p)
{
  ReloadStoreKindResponse *k = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &k->kind);
  rw_u64 (c, "generation_counter", &k->generation_counter);
  RW_LIST (c, "replicas", 2, k->replicas, k->n_replicas, reload_node_id_elem);
  rw_object_end (c);
}

void
reload_store_ans_body (RwCodec *c, gpointer body)
{
  ReloadStoreAns *a = body;
  RW_LIST (c, "kind_responses", 2, a->kind_responses, a->n_kind_responses,
           visit_store_kind_response);
}

/* ---------------------------------------------------------------- §7.4.2 Fetch */

static void
visit_array_range (RwCodec *c, gpointer p)
{
  ReloadArrayRange *r = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "first", &r->first);
  rw_u32 (c, "last", &r->last);
  rw_object_end (c);
}

static void
visit_dictionary_key (RwCodec *c, gpointer p)
{
  rw_opaque (c, NULL, 2, 0, p);
}

static void
visit_specifier (RwCodec *c, gpointer p)
{
  ReloadStoredDataSpecifier *s = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &s->kind);
  rw_u64 (c, "generation", &s->generation);
  /* "length: The length of the rest of the structure, thus allowing
   * extensibility": the model_specifier sits in a block, so the specifier
   * of a kind whose model is unknown can be carried as it is. */
  ReloadDataModel model = reload_kind_data_model (rw_options (c), s->kind);
  RwBlock b;
  rw_block_begin (c, NULL, 2, 0, &b);
  switch (model)
    {
    case RELOAD_DATA_MODEL_SINGLE: /* empty */
      break;
    case RELOAD_DATA_MODEL_ARRAY:
      RW_LIST (c, "indices", 2, s->indices, s->n_indices, visit_array_range);
      break;
    case RELOAD_DATA_MODEL_DICTIONARY:
      RW_LIST (c, "keys", 2, s->keys, s->n_keys, visit_dictionary_key);
      break;
    default:
      rw_rest (c, "raw", &s->raw);
      break;
    }
  rw_block_end (c, &b);
  rw_object_end (c);
}

void
reload_fetch_req_body (RwCodec *c, gpointer body)
{
  ReloadFetchReq *r = body;
  reload_resource_id (c, "resource", &r->resource);
  RW_LIST (c, "specifiers", 2, r->specifiers, r->n_specifiers, visit_specifier);
}

static void
visit_fetch_kind_response (RwCodec *c, gpointer p)
{
  ReloadFetchKindResponse *k = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &k->kind);
  rw_u64 (c, "generation", &k->generation);
  visit_stored_data_list (c, "values", k->kind, &k->values, &k->n_values);
  rw_object_end (c);
}

void
reload_fetch_ans_body (RwCodec *c, gpointer body)
{
  ReloadFetchAns *a = body;
  RW_LIST (c, "kind_responses", 4, a->kind_responses, a->n_kind_responses,
           visit_fetch_kind_response);
}

/* ---------------------------------------------------------------- §7.4.3 Stat */

void
reload_stat_req_body (RwCodec *c, gpointer body)
{
  reload_fetch_req_body (c, body);
}

static void
visit_stored_meta_data (RwCodec *c, gpointer p)
{
  ReloadStoredMetaData *v = p;
  ReloadDataModel model = reload_kind_data_model (rw_options (c), list_kind);
  rw_object_begin (c, NULL);
  /* value_length: the length of the rest, as StoredData's length (see
   * reload-storage.h). */
  RwBlock b;
  rw_block_begin (c, NULL, 4, 0, &b);
  if (model_known (model))
    {
      rw_u64 (c, "storage_time", &v->storage_time);
      rw_u32 (c, "lifetime", &v->lifetime);
      /* MetaDataValue: the arms of StoredDataValue with MetaData in place
       * of DataValue, flattened the same way. */
      ReloadMetaDataValue *m = &v->metadata;
      rw_object_begin (c, "metadata");
      if (model == RELOAD_DATA_MODEL_ARRAY)
        rw_u32 (c, "index", &m->index);
      else if (model == RELOAD_DATA_MODEL_DICTIONARY)
        rw_opaque (c, "key", 2, 0, &m->key);
      rw_boolean (c, "exists", &m->value.exists);
      rw_u32 (c, "value_length", &m->value.value_length);
      rw_enum8 (c, "hash_algorithm", &m->value.hash_algorithm, hash_algorithm_names);
      rw_opaque (c, "hash_value", 1, 0, &m->value.hash_value);
      rw_object_end (c);
    }
  else
    rw_rest (c, "raw", &v->raw);
  rw_block_end (c, &b);
  rw_object_end (c);
}

static void
visit_stat_kind_response (RwCodec *c, gpointer p)
{
  ReloadStatKindResponse *k = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &k->kind);
  rw_u64 (c, "generation", &k->generation);
  guint32 saved = list_kind;
  list_kind = k->kind;
  RW_LIST (c, "values", 4, k->values, k->n_values, visit_stored_meta_data);
  list_kind = saved;
  rw_object_end (c);
}

void
reload_stat_ans_body (RwCodec *c, gpointer body)
{
  ReloadStatAns *a = body;
  RW_LIST (c, "kind_responses", 4, a->kind_responses, a->n_kind_responses,
           visit_stat_kind_response);
}

/* ---------------------------------------------------------------- §7.4.4 Find */

static void
visit_kind_id (RwCodec *c, gpointer p)
{
  rw_u32 (c, NULL, p);
}

void
reload_find_req_body (RwCodec *c, gpointer body)
{
  ReloadFindReq *r = body;
  reload_resource_id (c, "resource", &r->resource);
  RW_LIST (c, "kinds", 1, r->kinds, r->n_kinds, visit_kind_id);
}

static void
visit_find_kind_data (RwCodec *c, gpointer p)
{
  ReloadFindKindData *k = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &k->kind);
  /* "It is 0 if no Resource-ID is known": whatever the bytes, kept. */
  reload_resource_id (c, "closest", &k->closest);
  rw_object_end (c);
}

void
reload_find_ans_body (RwCodec *c, gpointer body)
{
  ReloadFindAns *a = body;
  RW_LIST (c, "results", 2, a->results, a->n_results, visit_find_kind_data);
}

/* ---------------------------------------------------------------- table */

const ReloadBodyType reload_storage_bodies[] = {
  { RELOAD_STORE_REQ, sizeof (ReloadStoreReq), reload_store_req_body },
  { RELOAD_STORE_ANS, sizeof (ReloadStoreAns), reload_store_ans_body },
  { RELOAD_FETCH_REQ, sizeof (ReloadFetchReq), reload_fetch_req_body },
  { RELOAD_FETCH_ANS, sizeof (ReloadFetchAns), reload_fetch_ans_body },
  { RELOAD_STAT_REQ, sizeof (ReloadStatReq), reload_stat_req_body },
  { RELOAD_STAT_ANS, sizeof (ReloadStatAns), reload_stat_ans_body },
  { RELOAD_FIND_REQ, sizeof (ReloadFindReq), reload_find_req_body },
  { RELOAD_FIND_ANS, sizeof (ReloadFindAns), reload_find_ans_body },
  { 0, 0, NULL },
};
