/* reload-datastore.h (overlay/node): the storage engine of a peer, RFC 6940
 * §7: what a peer holds for the resources it is responsible for (and for
 * those it replicates, §10.4), and the rules of Store (§7.4.1), Fetch
 * (§7.4.2), Stat (§7.4.3) and Find (§7.4.4).
 *
 * Pure logic: no I/O, no clock (every call that depends on time takes
 * @now_ms, milliseconds since 1970), no cryptography (the caller's security
 * layer verifies data signatures through a ReloadDataVerifyFunc).  The
 * node decides responsibility (§7.4.1.1 "The peer MUST check that it is
 * responsible for the resource if the replica number is zero"), whether the
 * sender of a replica store is plausible (§7.4.1.1, §10.4), and sends the
 * replica stores; this engine applies every rule that depends on the data.
 *
 * The wire structures (ReloadStoreReq...) are overlay/wire/reload-storage.h
 * (this file has the same name in another directory: it includes the wire
 * layer through reload-wire.h).
 *
 * Requests are read, never kept: every stored value is copied out of the
 * request's arena (each StoredData is kept as its own encoded bytes).
 * Answers are allocated from the caller's @arena and point only into it.
 *
 * Rules and choices (the RFC section is cited at each rule in the .c):
 *
 *  - Store is all-or-nothing (§7.4.1.1 "These operations MUST be atomic"):
 *    every check runs against a staged copy, and nothing changes unless all
 *    of them pass.
 *  - Check order: unknown kinds (Error_Unknown_Kind listing every unknown
 *    kind of the request, at most 63, which is what the u8-length list
 *    holds); a Kind-ID twice, or a replica store with generation counter 0
 *    (Error_Invalid_Message); signatures and access control, data signers
 *    then the request signer (Error_Forbidden); value sizes
 *    (Error_Data_Too_Large); generation counters (Error_Generation_Counter_
 *    Too_Low, whose error_info lists every kind of the request with its
 *    current counter and no replicas); then, value by value in request
 *    order, storage times (Error_Data_Too_Old) and counts
 *    (Error_Data_Too_Large).  error_info of the other codes is a short
 *    human-readable reason.
 *  - Generation counter (§7.4.1.1): an original store whose counter is
 *    nonzero must carry exactly the current one.  A counter above the
 *    current one also fails with Error_Generation_Counter_Too_Low: its
 *    error_info tells the writer the counter to use, which no other code
 *    could.  After an original store that changed the data, the counter is
 *    incremented by one per kind (not per value); a replica store
 *    (replica_number > 0) sets it to the request's value unchecked.  A kind
 *    with nothing stored has counter 0.
 *  - storage_time (§7 and §7.4.1.1): a value older than the value it would
 *    replace fails with Error_Data_Too_Old.  Equal storage times: when the
 *    new StoredData is the same as the stored one (lifetime aside) the
 *    store is accepted as a refresh (the lifetime restarts; the data, hence
 *    the generation counter, do not change), which makes repeated replica
 *    and hand-off stores idempotent; a different value with the same
 *    storage_time fails with Error_Data_Too_Old ("greater than", §7.4.1.1).
 *  - Lifetime (§7 "starting from the time the peer receives the
 *    StoreReq"): a value expires at now_ms + lifetime * 1000 of the store
 *    that brought it (not storage_time + lifetime: storage_time is the
 *    writer's clock).  Fetch, Stat and export report the lifetime that
 *    remains, in whole seconds rounded down (§7.4.1.1: a peer passing on
 *    data "MUST adjust the lifetime value downward"); the lifetime is not
 *    covered by the signature (§7.1).  Expired values are dropped before
 *    every operation (so an answer never holds one) and by
 *    reload_storage_expire().
 *  - Removal (§7.4.1.3): a value with exists = False is stored, signed,
 *    counted, replicated and expired like any other; Fetch returns it with
 *    its signature; Find ignores resources whose values of the kind all
 *    have exists = False.
 *  - Arrays (§7.2.2, §7.4.1.1): index 0xffffffff appends after the last
 *    element; the StoredData kept (and returned) carries the real index.
 *    The length of an array (its last index + 1, gaps included: "a store
 *    past the end of the array extends it with nonexistent values") counts
 *    against max-count, so a store at index 4 000 000 000 fails with
 *    Error_Data_Too_Large instead of creating a huge sparse array.
 *  - Limits (§7.4.1.1, §11.1): max-size bounds DataValue.value (the bytes
 *    of the value, without its length); max-count bounds the values of a
 *    kind at a resource after the store (array: the length).  0 means no
 *    limit.
 *  - Fetch (§7.4.2): generation counter nonzero and equal to the stored
 *    one: the kind's response has no values.  Single value with nothing
 *    stored: one synthetic value {exists = False}; array: ranges (first <=
 *    last, not overlapping, else Error_Invalid_Message; 0xffffffff as
 *    either bound is the last element) clipped to the array, gaps inside
 *    the array returned as synthetic values with their index; dictionary:
 *    each requested key (a synthetic value for a missing one), or every
 *    stored entry in key order when the list is empty.  A synthetic value
 *    has storage_time 0, lifetime 0, signature {none, anonymous}, identity
 *    none, no signature value (§7.4.2.2).  Unknown kinds:
 *    Error_Unknown_Kind with the list (§7.4.1.2 "any type of request").
 *  - Stat (§7.4.3): the same selection; MetaData.hash_value is SHA-256
 *    (hash_algorithm 4) over DataValue.value with its 4 length bytes;
 *    synthetic entries have hash_algorithm none and no hash.
 *  - Find (§7.4.4): Error_Not_Found unless the requested Resource-ID is in
 *    the peer's range (lo, hi]; a kind twice is Error_Invalid_Message; for
 *    an unknown kind, or a kind with no resource, closest is the
 *    Resource-ID 0 (16 zero bytes).  Otherwise closest is the resource in
 *    (lo, hi] holding an existing value of the kind at the smallest
 *    clockwise distance from the requested id (the id itself first, wrap
 *    around included, so that a peer that knows a TURN server returns it,
 *    §9).
 *
 * Access control (§7.3) is evaluated on the signer of each StoredData and,
 * for an original store, on the signer of the StoreReq.  "H" is the
 * overlay hash, SHA-1 truncated to the 16 bytes of a CHORD-RELOAD
 * Resource-ID (§10.2, chord_id_hash()); a Resource-ID of another length
 * never matches.  Node-IDs hash as their raw bytes.
 *   USER-MATCH (§7.3.1): resource == H(user name), see
 *     reload_access_user_name_matches().
 *   NODE-MATCH (§7.3.2): resource == H(Node-ID) for one of the signer's
 *     Node-IDs.
 *   USER-NODE-MATCH (§7.3.3, dictionary kinds): resource == H(user name)
 *     and the dictionary key == one of the signer's Node-IDs.
 *   NODE-MULTIPLE (§7.3.4): resource == H(Node-ID || i) for one of the
 *     signer's Node-IDs and some 0 <= i <= max-node-multiple, i as a 32-bit
 *     unsigned integer in network byte order (RFC 6940 does not say how i
 *     is written; §6.3.1: "all integers are in network byte order"): see
 *     reload_access_node_multiple_id(), which the TURN usage (§9) uses to
 *     compute where it stores.
 *   NODE-ID-MATCH (RFC 7374, ReDiR; not available here, TO BE CHECKED
 *     against RFC 7374 §5): dictionary kinds: the dictionary key == one of
 *     the signer's Node-IDs (the Resource-ID, a ReDiR tree node, is not
 *     checked); other models: resource == H(Node-ID).
 * "That Node-ID is the one indicated in the SignerIdentity value cert_hash"
 * (§7.3.2-7.3.4): the verify function reports in ReloadSignerInfo.node_ids
 * only the Node-IDs the signer may use, that is, when the SignerIdentity is
 * cert_hash_node_id, only the one it names.
 *
 * User names and AORs (NOTES.md, RFC 7904): the certificate carries a user
 * name "alice@example.org" (rfc822Name, §11.3), and SIP-REGISTRATION data
 * lives at H(AOR), H("sip:alice@example.org") (RFC 7904 §3).  A user name
 * matches a resource when resource == H(user name) for every kind, and, for
 * SIP-REGISTRATION only, also when resource == H("sip:" || user name).  The
 * comparison is on bytes: no case folding, no other URI scheme.
 */
#pragma once

#include "reload-kind.h"
#include "reload-wire.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- access control (§7.3) */

/* H(user name) == @resource_id, or, for SIP-REGISTRATION,
 * H("sip:" || user name) == @resource_id. */
gboolean reload_access_user_name_matches (guint32 kind_id, const char *user_name,
                                          RwBytes resource_id);
/* §7.3.4: H(Node-ID || i), i as a big-endian uint32. */
ChordId reload_access_node_multiple_id (const ReloadNodeId *node_id, guint32 i);
/* Whether @signer may write @value (its dictionary key matters for
 * USER-NODE-MATCH and NODE-ID-MATCH; NULL: only the resource is checked)
 * of kind @def at @resource_id. */
gboolean reload_access_allowed (const ReloadKindDef *def, RwBytes resource_id,
                                const ReloadStoredDataValue *value, const ReloadSignerInfo *signer);

/* ---------------------------------------------------------------- the store */

typedef struct ReloadStorage ReloadStorage;

/* Keeps a reference to @kinds (the kinds it knows; reload_kind_table_add()
 * later is seen).  Node-IDs inside values are 16 bytes unless
 * reload_storage_set_node_id_length() says otherwise. */
ReloadStorage *reload_storage_new (ReloadKindTable *kinds);
void reload_storage_free (ReloadStorage *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadStorage, reload_storage_free)
/* A new configuration (§6.5.4, §11.1): the kinds known from now on
 * (referenced).  Values stay; reload_storage_drop_kind() drops those of a
 * kind that is gone. */
void reload_storage_set_kinds (ReloadStorage *s, ReloadKindTable *kinds);
/* Drops every value of @kind at every resource (and resources left
 * empty).  Returns how many values went. */
guint reload_storage_drop_kind (ReloadStorage *s, guint32 kind);
/* §11.1 node-id-length (16 to 20). */
void reload_storage_set_node_id_length (ReloadStorage *s, guint node_id_length);
/* The codec options the engine encodes and decodes values with (kind
 * models from the table): use them to encode its answers and to decode the
 * requests given to it.  (A request decoded without them, whose values of
 * a configured kind are raw, is accepted too: it is re-read.) */
const RwOptions *reload_storage_options (const ReloadStorage *s);

/* Verifies the signature of one StoredData of a store request (§7.1: over
 * resource_id || kind || storage_time || StoredDataValue || SignerIdentity,
 * with the index of an array entry set to 0, §7.4.2.2) and says who signed
 * it.  FALSE: the signature is bad (Error_Forbidden).  The strings and
 * Node-IDs written to @out_signer must stay valid until
 * reload_storage_store() returns.  Provided by the node's security layer;
 * tests pass a fake.  Signatures with identity type none or algorithms
 * {none, anonymous} are refused before it is called (§7.4.1.1). */
typedef gboolean (*ReloadDataVerifyFunc) (gpointer user_data, RwBytes resource_id, guint32 kind,
                                          const ReloadStoredData *data,
                                          ReloadSignerInfo *out_signer);

typedef enum
{
  RELOAD_STORAGE_OK,
  RELOAD_STORAGE_ERROR,
} ReloadStorageStatus;

/* Store (§7.4.1).  On success fills @ans (one StoreKindResponse per kind of
 * the request, in request order, with the generation counter after the
 * store; replicas empty, for the node to fill).  On failure fills @err and
 * stores nothing.  @request_signer is the StoreReq's signer; it is checked
 * against the policies only when req->replica_number == 0 (§7.3), and may
 * then not be NULL (NULL: Error_Forbidden).  For a replica store (§10.4) the
 * node has checked that the sender is the plausible responsible peer; the
 * data signers are checked here. */
ReloadStorageStatus reload_storage_store (ReloadStorage *s, const ReloadStoreReq *req,
                                          const ReloadSignerInfo *request_signer,
                                          ReloadDataVerifyFunc verify, gpointer verify_data,
                                          gint64 now_ms, RwArena *arena, ReloadStoreAns *ans,
                                          ReloadErrorResponse *err);
/* Fetch (§7.4.2): one FetchKindResponse per specifier, in request order. */
ReloadStorageStatus reload_storage_fetch (ReloadStorage *s, const ReloadFetchReq *req,
                                          gint64 now_ms, RwArena *arena, ReloadFetchAns *ans,
                                          ReloadErrorResponse *err);
/* Stat (§7.4.3): as Fetch, with metadata. */
ReloadStorageStatus reload_storage_stat (ReloadStorage *s, const ReloadStatReq *req, gint64 now_ms,
                                         RwArena *arena, ReloadStatAns *ans,
                                         ReloadErrorResponse *err);
/* Find (§7.4.4): for each kind, the closest Resource-ID at or after the
 * requested one (clockwise, wrapping) that this peer stores within its
 * responsible range (@range_lo, @range_hi], given by the node. */
ReloadStorageStatus reload_storage_find (ReloadStorage *s, const ReloadFindReq *req,
                                         ChordId range_lo, ChordId range_hi, gint64 now_ms,
                                         RwArena *arena, ReloadFindAns *ans,
                                         ReloadErrorResponse *err);

/* Drops the values whose lifetime has run out at @now_ms (§7.4.1.3 "When a
 * stored nonexistent value's lifetime expires, it is simply removed"), and
 * the kinds and resources left empty.  Returns how many values went. */
guint reload_storage_expire (ReloadStorage *s, gint64 now_ms);
/* When the next value expires (ms since 1970); -1: nothing is stored. */
gint64 reload_storage_next_expiry (const ReloadStorage *s);

/* For replication (§10.4) and a joining peer (§10.5 step 6). */
guint reload_storage_n_resources (const ReloadStorage *s);
guint64 reload_storage_n_values (const ReloadStorage *s);
/* The values of @kind held (an operator's view: e.g. how many SIP
 * registrations, RFC 7904, this peer stores). */
guint64 reload_storage_n_values_of_kind (const ReloadStorage *s, guint32 kind);
/* Calls @fn for every resource held, in ring order (then by bytes).  @fn
 * may modify the storage (it sees a snapshot); @resource_id is valid during
 * the call. */
void reload_storage_foreach (ReloadStorage *s,
                             void (*fn) (gpointer user_data, ChordId id, RwBytes resource_id),
                             gpointer user_data);
/* A StoreReq (in @arena) that re-creates one resource's data exactly: the
 * same StoredData (storage_time, value, signature), kinds by Kind-ID,
 * values in index or key order, with the lifetime that remains at @now_ms
 * (values with less than a second left are left out, §7.4.1.1).  With
 * @replica_number > 0 each kind carries its generation counter, which the
 * receiver takes (§7.4.1.1); with 0 the counters are 0 (unconditional).
 * NULL when the resource is not held (or @arena is full). */
ReloadStoreReq *reload_storage_export (ReloadStorage *s, RwBytes resource_id, guint8 replica_number,
                                       gint64 now_ms, RwArena *arena);
/* Drops every resource outside (@lo, @hi] (no copy is kept after
 * responsibility moved away; lo == hi keeps everything).  Returns how many
 * resources were dropped. */
guint reload_storage_drop_outside (ReloadStorage *s, ChordId lo, ChordId hi);

G_END_DECLS
