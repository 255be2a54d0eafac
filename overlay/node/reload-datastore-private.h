/* reload-datastore-private.h: the insides of ReloadStorage
 * (reload-datastore.c), shared with Fetch, Stat and Find
 * (reload-datastore-fetch.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-datastore.h"

/* The u8 length of unknown_kinds<0..2^8-1> holds 63 Kind-IDs (§7.4.1.2). */
#define MAX_UNKNOWN_KINDS 63

/* One stored value (a StoredData), immutable once made; shared between a
 * kind and its staged copy (reference counted). */
typedef struct
{
  GBytes *slot;         /* single: empty; array: index, 4 bytes big-endian; dictionary: key */
  guint32 index;        /* array */
  guint64 storage_time; /* §7 */
  gint64 expires_ms;    /* receipt time + lifetime (§7) */
  gboolean exists;      /* §7.2 */
  GBytes *encoded;      /* the whole StoredData, its length included */
  GBytes *value;        /* DataValue.value (§7.2) */
} Entry;

typedef struct
{
  guint32 kind;
  ReloadDataModel model;
  guint64 generation; /* §7.4.1.1 */
  GTree *entries;     /* slot (GBytes) -> Entry, in index or key order */
} KindStore;

typedef struct
{
  GBytes *rid;       /* the Resource-ID as on the wire */
  ChordId id;        /* its ring position */
  GHashTable *kinds; /* Kind-ID -> KindStore */
} Resource;

struct ReloadStorage
{
  ReloadKindTable *kinds;
  RwOptions options;
  GHashTable *resources; /* GBytes rid -> Resource */
  gint64 next_expiry;
  gboolean expiry_dirty;
};

gpointer rds_arena_array (RwArena *arena, gsize n, gsize size);
gboolean rds_arena_dup (RwArena *arena, const void *data, gsize len, RwBytes *out);
gboolean rds_entry_to_stored_data (const ReloadStorage *s, guint32 kind, const Entry *e,
                                   gint64 now_ms, RwArena *arena, ReloadStoredData *out);
ReloadStorageStatus rds_fail_arena (ReloadErrorResponse *err, RwArena *arena);
guint64 rds_kind_store_array_length (const KindStore *k);
gboolean rds_kind_store_has_existing (const KindStore *k);
KindStore *rds_lookup_kind (const Resource *r, guint32 kind);
Resource *rds_lookup_resource (const ReloadStorage *s, RwBytes rid);
guint32 rds_remaining_lifetime (const Entry *e, gint64 now_ms);
gboolean rds_reread_body (const ReloadStorage *s, RwVisitFunc visit, gpointer body, gsize size,
                          RwArena *scratch, gpointer *out);
GBytes *rds_slot_for_index (guint32 index);
ReloadStorageStatus rds_fail (ReloadErrorResponse *err, RwArena *arena, guint16 code,
                              const char *format, ...) G_GNUC_PRINTF (4, 5);
