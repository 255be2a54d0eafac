/* storage-fixture.h: the storage engine tests' fixture (a storage with
 * the configured kinds and a fake verifier), request builders and checks,
 * shared by test-storage-engine.c and test-storage-policies.c.
 *
 * A fake verify function stands for the security layer: a signature_value
 * "user|<32 hex digits>" is a valid signature by that user and Node-ID
 * ("user|" for no Node-ID, "|hex" for no user), "BAD" is an invalid one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-datastore.h"

#include <string.h>

#define T0 G_GINT64_CONSTANT (1700000000000)

/* Configured kinds (private use, §14.6) for the generic data models. */
#define KIND_SINGLE 0x80000001u
#define KIND_ARRAY 0x80000002u
#define KIND_DICT 0x80000003u
#define KIND_NOT_CONFIGURED 0x80000099u
#define KIND_NOT_CONFIGURED_2 0x8000009au
#define MAX_KINDS 6
#define MAX_VALUES 12

typedef struct
{
  ReloadKindTable *kinds;
  ReloadStorage *s;
  RwArena *arena;  /* answers */
  GPtrArray *keep; /* what the fake verify hands out */
  guint n_verified;
} Fix;

typedef struct
{
  guint8 b[16];
} Rid;

typedef struct
{
  RwArena *a;
  Rid rid;
  ReloadStoreReq req;
  ReloadStoreKindData kd[MAX_KINDS];
  ReloadStoredData v[MAX_KINDS][MAX_VALUES];
} Req;

typedef struct
{
  Rid rid;
  ReloadFetchReq req;
  ReloadStoredDataSpecifier spec[MAX_KINDS];
  ReloadArrayRange ranges[MAX_KINDS][8];
  RwBytes keys[MAX_KINDS][8];
} Fetch;

void fix_init (Fix *f);
void fix_clear (Fix *f);
ReloadNodeId node (guint8 seed);
char *node_hex (const ReloadNodeId *n);
Rid rid_hash (const void *data, gsize len);
Rid rid_of (const char *name);
Rid rid_of_node (const ReloadNodeId *n);
Rid rid_of_chord (ChordId id);
RwBytes rb (const Rid *r);
gboolean fake_verify (gpointer user_data, RwBytes resource_id, guint32 kind,
                      const ReloadStoredData *d, ReloadSignerInfo *out);
Req *req_new (const Rid *rid, guint8 replica_number);
void req_free (Req *r);
ReloadStoreKindData *req_kind (Req *r, guint32 kind, guint64 generation);
RwBytes req_bytes (Req *r, const void *data, gsize len);
RwBytes req_text (Req *r, const char *s);
void sign_as (Req *r, ReloadSignature *sig, const char *user, const ReloadNodeId *n);
ReloadStoredData *req_value (Req *r, ReloadStoreKindData *k, guint64 time, guint32 lifetime,
                             const char *value, const char *user, const ReloadNodeId *n);
ReloadStoredData *req_dict_value (Req *r, ReloadStoreKindData *k, guint64 time, const char *key,
                                  const char *value, const char *user, const ReloadNodeId *n);
ReloadStoredData *req_array_value (Req *r, ReloadStoreKindData *k, guint64 time, guint32 index,
                                   const char *value, const char *user);
const ReloadSignerInfo *signer (Fix *f, const char *user, const ReloadNodeId *n);
ReloadStorageStatus do_store (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now,
                              ReloadStoreAns *ans, ReloadErrorResponse *err);
void store_ok (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now);
guint16 store_fails (Fix *f, Req *r, const ReloadSignerInfo *rs, gint64 now);
void fetch_init (Fetch *q, const Rid *rid);
ReloadStoredDataSpecifier *spec_add (Fetch *q, guint32 kind, guint64 generation);
void spec_range (ReloadStoredDataSpecifier *sp, guint32 first, guint32 last);
void spec_key (ReloadStoredDataSpecifier *sp, const char *key);
ReloadFetchAns fetch_ok (Fix *f, const Fetch *q, gint64 now);
ReloadStatAns stat_ok (Fix *f, const Fetch *q, gint64 now);
void assert_value (const ReloadStoredData *d, const char *text);
void assert_synthetic (const ReloadStoredData *d);
GBytes *encode_body (RwVisitFunc visit, gpointer body, const RwOptions *o);

extern const char *alice;
extern const char *bob;
