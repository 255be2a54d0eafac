/* reload-storage.h: the bodies of the storage methods, RFC 6940 §7:
 * Store (§7.4.1), Fetch (§7.4.2), Stat (§7.4.3) and Find (§7.4.4).
 *
 * The data model of a kind (single value, array, dictionary) is not on the
 * wire: it comes from the kind's definition (§7.2, §7.4.5).  The visitor
 * asks reload_kind_data_model() (built-in kinds, then RwOptions.kind_model).
 * When the model is unknown, each StoredData, StoredMetaData and
 * model_specifier is kept as its raw bytes (its length field says how
 * many), so that a message carrying a kind this node does not know survives
 * a round trip untouched and the node can answer Error_Unknown_Kind
 * (§7.4.1.2) instead of failing to parse.
 *
 * The codec checks syntax only.  Rules about values (a Kind-ID twice in one
 * request, overlapping array ranges, first > last, replica generation 0...)
 * are the storage layer's, which answers with the RFC's error codes.
 *
 * JSON member names (a body's fields sit in "body"):
 *   store_req   {"resource", "replica_number", "kind_data": [StoreKindData]}
 *     StoreKindData {"kind", "generation_counter", "values": [StoredData]}
 *   store_ans   {"kind_responses": [{"kind", "generation_counter", "replicas": ["hex"]}]}
 *   fetch_req   {"resource", "specifiers": [StoredDataSpecifier]}
 *     StoredDataSpecifier {"kind", "generation", then by model:
 *       single: nothing; array: "indices": [{"first", "last"}];
 *       dictionary: "keys": ["hex"]; unknown model: "raw": "hex"}
 *   fetch_ans   {"kind_responses": [{"kind", "generation", "values": [StoredData]}]}
 *   stat_req    as fetch_req
 *   stat_ans    {"kind_responses": [{"kind", "generation", "values": [StoredMetaData]}]}
 *   find_req    {"resource", "kinds": [u32]}
 *   find_ans    {"results": [{"kind", "closest"}]}
 *
 *   StoredData  {"storage_time", "lifetime", "value": StoredDataValue, "signature"}
 *               or {"raw": "hex"} when the kind's model is unknown
 *   StoredDataValue: the entry with its DataValue flattened into it:
 *     single {"exists", "value"}, array {"index", "exists", "value"},
 *     dictionary {"key", "exists", "value"}; "value" is a hex string, or,
 *     for a built-in kind whose exists is true, an object (reload-kinds.h)
 *   StoredMetaData {"storage_time", "lifetime", "metadata": {["index" | "key"],
 *     "exists", "value_length", "hash_algorithm", "hash_value"}} or {"raw"}
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"
#include "reload-kinds.h"
#include "reload-message.h"

G_BEGIN_DECLS

/* §7.4.1.1: array index 0xffffffff stores at the end ("append"); §7.4.2.1:
 * the same value as an ArrayRange bound means the last element. */
#define RELOAD_ARRAY_INDEX_APPEND 0xffffffffu
#define RELOAD_ARRAY_INDEX_LAST 0xffffffffu

/* §7.2: struct { Boolean exists; opaque value<0..2^32-1>; } DataValue. */
typedef struct
{
  gboolean exists;
  /* The bytes, unless the value is typed: that is, for every kind that
   * reload_kind_is_typed() does not know, and whenever exists is false
   * (§7.4.1.3: a removed value is {exists = False, value = {}}). */
  RwBytes value;
  /* A built-in kind's value when exists is true (reload-kinds.h). */
  ReloadKindValue typed;
} ReloadDataValue;

/* §7.2 StoredDataValue: single_value_entry, array_entry {index, value} or
 * dictionary_entry {key, value}; which one, the kind's model says. */
typedef struct
{
  guint32 index; /* array */
  RwBytes key;   /* dictionary: DictionaryKey, opaque<0..2^16-1> */
  ReloadDataValue value;
} ReloadStoredDataValue;

/* §7: StoredData.  length (u32) covers everything after itself. */
typedef struct
{
  guint64 storage_time; /* ms since 1970 (§7) */
  guint32 lifetime;     /* s */
  ReloadStoredDataValue value;
  ReloadSignature signature; /* §7.1 */
  /* The whole body after the length, when the kind's model is unknown;
   * the other fields are then unused. */
  RwBytes raw;
} ReloadStoredData;

/* §7.4.1.1 */
typedef struct
{
  guint32 kind;
  guint64 generation_counter;
  ReloadStoredData *values;
  guint n_values;
} ReloadStoreKindData;

typedef struct
{
  RwBytes resource;
  guint8 replica_number;
  ReloadStoreKindData *kind_data;
  guint n_kind_data;
} ReloadStoreReq;

/* §7.4.1.2 */
typedef struct
{
  guint32 kind;
  guint64 generation_counter;
  ReloadNodeId *replicas;
  guint n_replicas;
} ReloadStoreKindResponse;

typedef struct _ReloadStoreAns
{
  ReloadStoreKindResponse *kind_responses;
  guint n_kind_responses;
} ReloadStoreAns;

/* §7.4.2.1.  ArrayRange is declared int32 but uses 0xffffffff for "the
 * last element" and requires first <= last: the bits are read as uint32,
 * which is what makes [0, 0xffffffff] a range. */
typedef struct
{
  guint32 first;
  guint32 last;
} ReloadArrayRange;

typedef struct
{
  guint32 kind;
  guint64 generation;
  /* model_specifier, inside its uint16 length: */
  ReloadArrayRange *indices; /* array */
  guint n_indices;
  RwBytes *keys; /* dictionary; none: a wildcard fetch */
  guint n_keys;
  RwBytes raw; /* the whole model_specifier of a kind whose model is unknown */
} ReloadStoredDataSpecifier;

typedef struct
{
  RwBytes resource;
  ReloadStoredDataSpecifier *specifiers;
  guint n_specifiers;
} ReloadFetchReq;

/* §7.4.3.1: "The Stat request is identical to the Fetch request." */
typedef ReloadFetchReq ReloadStatReq;

/* §7.4.2.2 */
typedef struct
{
  guint32 kind;
  guint64 generation;
  ReloadStoredData *values;
  guint n_values;
} ReloadFetchKindResponse;

typedef struct
{
  ReloadFetchKindResponse *kind_responses;
  guint n_kind_responses;
} ReloadFetchAns;

/* §7.4.3.2 */
typedef struct
{
  gboolean exists;
  guint32 value_length;  /* of the stored value */
  guint8 hash_algorithm; /* TLS HashAlgorithm */
  RwBytes hash_value;    /* opaque<0..255>, over DataValue.value with its 4 length bytes */
} ReloadMetaData;

typedef struct
{
  guint32 index; /* array */
  RwBytes key;   /* dictionary */
  ReloadMetaData value;
} ReloadMetaDataValue;

/* StoredMetaData's first field is named value_length but sits where
 * StoredData has its length, and §7.4.3.2 says the fields "are the same as
 * the corresponding fields in StoredData": it is read as the length of the
 * rest of the StoredMetaData, as StoredData's length is (and as Wireshark
 * reads it).  The stored value's own length is MetaData.value_length.
 * Read the other way (the length of the value, or of the StoredData it
 * describes), the structure would have no length of its own, and the
 * metadata of a kind whose model is unknown could not be skipped. */
typedef struct
{
  guint64 storage_time;
  guint32 lifetime;
  ReloadMetaDataValue metadata;
  RwBytes raw; /* the whole body after the length, when the model is unknown */
} ReloadStoredMetaData;

typedef struct
{
  guint32 kind;
  guint64 generation;
  ReloadStoredMetaData *values;
  guint n_values;
} ReloadStatKindResponse;

typedef struct
{
  ReloadStatKindResponse *kind_responses;
  guint n_kind_responses;
} ReloadStatAns;

/* §7.4.4 */
typedef struct
{
  RwBytes resource;
  guint32 *kinds; /* KindId kinds<0..2^8-1> */
  guint n_kinds;
} ReloadFindReq;

typedef struct
{
  guint32 kind;
  RwBytes closest; /* ResourceId */
} ReloadFindKindData;

typedef struct
{
  ReloadFindKindData *results;
  guint n_results;
} ReloadFindAns;

/* Body visitors (fields inside the current object), as in the table
 * reload_storage_bodies (reload-body.h). */
void reload_store_req_body (RwCodec *c, gpointer body);
void reload_store_ans_body (RwCodec *c, gpointer body);
void reload_fetch_req_body (RwCodec *c, gpointer body);
void reload_fetch_ans_body (RwCodec *c, gpointer body);
void reload_stat_req_body (RwCodec *c, gpointer body);
void reload_stat_ans_body (RwCodec *c, gpointer body);
void reload_find_req_body (RwCodec *c, gpointer body);
void reload_find_ans_body (RwCodec *c, gpointer body);

/* One StoredData (its length included) of @kind_id, as an object named
 * @name (NULL: a list element).  StoreAns's error_info for
 * Error_Generation_Counter_Too_Low is a StoreAns (§7.4.1.2); the storage
 * layer also uses this to keep, sign and compare single values. */
void reload_stored_data (RwCodec *c, const char *name, guint32 kind_id, ReloadStoredData *v);
/* The StoredDataValue alone (no length): with resource_id, kind,
 * storage_time and the SignerIdentity, the input of the data signature
 * (§7.1). */
void reload_stored_data_value (RwCodec *c, const char *name, guint32 kind_id,
                               ReloadStoredDataValue *v);

G_END_DECLS
