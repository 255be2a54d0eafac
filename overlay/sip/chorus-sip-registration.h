/* chorus-sip-registration.h: what a user agent stores and fetches under the
 * SIP-REGISTRATION kind (RFC 7904 §3), and its GRUUs (RFC 7904 §5).
 *
 * SIP-REGISTRATION is Kind 1, a dictionary keyed by the registering node's
 * Node-ID, USER-NODE-MATCH (RFC 7904 §3.2): a device stores one entry at
 * H(AOR) (chorus-sip-aor.h) under its own Node-ID, holding a SipRegistration
 * (reload-kinds.h) of one of two forms (§3.1):
 *
 *   route form  contact_prefs (the Contact parameters of the device's
 *               registration, RFC 3840 feature tags, as text) and the
 *               destination list that leads to the device: its Node-ID for
 *               a peer, the admitting peer's and then its own for a client
 *               (RFC 6940 §3.2.1: a peer forwards to a client it is
 *               connected to);
 *   URI form    another AOR, for AOR-to-AOR forwarding: the caller looks
 *               that one up instead.
 *
 * A caller fetches the whole dictionary at H(AOR) and decides with a
 * ChorusSipLookup: URI forms are followed (each AOR fetched once, at most
 * CHORUS_SIP_LOOKUP_MAX_DEPTH forwardings deep: a loop or a long chain ends
 * the lookup with CHORUS_SIP_ERROR_LOOP, which a proxy would answer 482/483),
 * and route forms are collected per Node-ID (the dictionary key), one target
 * per registered device, each rung in parallel (RFC 7904 §4: AppAttach to
 * each, then SIP over those connections).  Values that do not exist any more
 * (RFC 6940 §7.4.1.3), that have expired (storage_time + lifetime), whose key
 * is not a Node-ID or whose destination list is empty are ignored.
 *
 * GRUUs (RFC 7904 §5) need no storage: the AOR with a "gr" URI parameter
 * whose value is the destination list leading to the device, base64-encoded
 * with RFC 4648's alphabet (table 1) and "~" in place of "=".  The list is
 * encoded as the Destination structures of RFC 6940 §6.3.2.2 one after the
 * other, with no length in front (the parameter's own length delimits it):
 * the RFC says "the destination list" without saying whether its vector
 * length is part of it, and this reading keeps the GRUU short.  A GRUU
 * routes to exactly one device: connect along its destination list, without
 * a Fetch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-aor.h"
#include "reload-wire.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- routes */

/* A destination list (RFC 6940 §6.3.2.2) that owns its bytes. */
typedef struct
{
  ReloadDestination *destinations; /* points into an arena the route owns */
  guint n_destinations;
  GBytes *encoded; /* the Destinations one after the other, no length */
  RwArena *arena;
} ChorusSipRoute;

/* A route from decoded or built destinations (copied). */
ChorusSipRoute *chorus_sip_route_new (const ReloadDestination *destinations, guint n,
                                      const RwOptions *options, GError **error);
/* A route from the encoded form (Destinations back to back). */
ChorusSipRoute *chorus_sip_route_decode (const guint8 *data, gsize len, const RwOptions *options,
                                         GError **error);
/* The route to a peer (@via NULL: [@node]) or to a client through the peer
 * that admitted it ([@via, @node]). */
ChorusSipRoute *chorus_sip_route_to_node (const ReloadNodeId *node, const ReloadNodeId *via);
void chorus_sip_route_free (ChorusSipRoute *route);
gboolean chorus_sip_route_equal (const ChorusSipRoute *a, const ChorusSipRoute *b);
/* The Node-ID of the last destination (the device), when it is a node. */
gboolean chorus_sip_route_final_node (const ChorusSipRoute *route, ReloadNodeId *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipRoute, chorus_sip_route_free)

/* ---------------------------------------------------------------- values */

/* DataValue.value bytes of the route form (§3.1). */
GBytes *chorus_sip_registration_route_value (const char *contact_prefs, const ChorusSipRoute *route,
                                             const RwOptions *options, GError **error);
/* DataValue.value bytes of the URI form: @target_aor normalized. */
GBytes *chorus_sip_registration_uri_value (const char *target_aor, GError **error);

/* When to store the registration again: a registration stored at
 * @stored_at_ms with @lifetime_s is refreshed once 80 % of its lifetime
 * has gone, and at least 30 s before it expires (shorter lifetimes: at
 * half).  RFC 6940 §7.4.1.1: values that are not refreshed disappear. */
gint64 chorus_sip_registration_refresh_at (gint64 stored_at_ms, guint32 lifetime_s);

/* ---------------------------------------------------------------- lookup */

#define CHORUS_SIP_LOOKUP_MAX_DEPTH 5

/* One registered device of the AOR. */
typedef struct
{
  ReloadNodeId node_id;  /* the dictionary key: the device's Node-ID */
  ChorusSipRoute *route; /* the destination list to AppAttach along */
  char *contact_prefs;
  char *aor; /* the AOR it was registered under (after forwardings) */
} ChorusSipTarget;

typedef struct _ChorusSipLookup ChorusSipLookup;

/* A lookup of @aor (normalized) following at most @max_depth URI forms
 * (0: CHORUS_SIP_LOOKUP_MAX_DEPTH). */
ChorusSipLookup *chorus_sip_lookup_new (const char *aor, guint max_depth, GError **error);
void chorus_sip_lookup_free (ChorusSipLookup *lookup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipLookup, chorus_sip_lookup_free)

/* The next AOR to Fetch (SIP-REGISTRATION, the whole dictionary at
 * chorus_sip_aor_resource_id()), or NULL when nothing is left to fetch. */
const char *chorus_sip_lookup_next_fetch (ChorusSipLookup *lookup);
/* The values a Fetch of @aor returned (an empty answer, or Error_Not_Found,
 * is @n == 0).  Values are decoded SIP-REGISTRATION dictionary entries
 * (reload-storage.h); @now_ms is the storage clock (ms since 1970). */
void chorus_sip_lookup_add_values (ChorusSipLookup *lookup, const char *aor,
                                   const ReloadStoredData *values, guint n, gint64 now_ms,
                                   const RwOptions *options);
/* Once chorus_sip_lookup_next_fetch() returns NULL: the devices found
 * (ChorusSipTarget, owned by the lookup), in the order found, one per
 * Node-ID.  Empty: *@error says CHORUS_SIP_ERROR_NOT_FOUND (SIP 404) or
 * CHORUS_SIP_ERROR_LOOP (the forwarding went round or too deep). */
GPtrArray *chorus_sip_lookup_targets (ChorusSipLookup *lookup, GError **error);

/* ---------------------------------------------------------------- GRUU */

/* RFC 7904 §5: "AOR;gr=BASE64" for the device at the end of @route. */
char *chorus_sip_gruu_build (const char *aor, const ChorusSipRoute *route, GError **error);
/* Whether @uri is a GRUU of this form; when it is, its AOR (normalized)
 * and its route.  FALSE with *@error unset: a URI without "gr"; FALSE with
 * *@error set: a "gr" that is not a destination list. */
gboolean chorus_sip_gruu_parse (const char *uri, const RwOptions *options, char **aor_out,
                                ChorusSipRoute **route_out, GError **error);

G_END_DECLS
