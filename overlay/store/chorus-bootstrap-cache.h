/* chorus-bootstrap-cache.h: the bootstrap cache of RFC 6940 §11.4, in
 * the profile's database (chorus-profile-db.h, table bootstrap_cache).
 *
 * §11.4: "If the Joining Node has cached a list of peers that it has
 * previously been connected with in this overlay, as an optimization it
 * MAY attempt to use one or more of them as bootstrap nodes [...] Peers
 * that are not directly connected MUST NOT be cached.  The suggested
 * number of peers to cache is 10.  Algorithms for determining which peers
 * to cache are beyond the scope of this specification."
 *
 * The algorithm here:
 *   - the running peer records, now and then and when they change, the
 *     peers it has a link to (its neighbours and the peer it joined
 *     through) with the address each listens on; each record sets the
 *     peer's last success to now and its failures to 0;
 *   - one entry per Node-ID and one per address (a peer that moved
 *     replaces its entry; an address taken by another peer replaces the
 *     old owner's);
 *   - at most CHORUS_BOOTSTRAP_CACHE_MAX_PEERS entries: the stalest (the
 *     oldest last success) go first;
 *   - an entry without success for CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS is
 *     dropped, and one that failed CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES
 *     times in a row too (when a failure counts is the caller's choice:
 *     the peer's shell counts one when a cached peer did not answer but
 *     the join succeeded through another, so that a machine that is
 *     offline does not empty its cache).
 *
 * Times are milliseconds since 1970 given by the caller (the tests inject
 * them); Node-IDs are lower-case hex, addresses numeric.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-db.h"

G_BEGIN_DECLS

/* §11.4: "The suggested number of peers to cache is 10." */
#define CHORUS_BOOTSTRAP_CACHE_MAX_PEERS 10
/* An entry not successful this long is stale: 30 days. */
#define CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS ((gint64) 30 * 24 * 3600 * 1000)
/* Failures in a row after which an entry drops out. */
#define CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES 3

/* A peer this peer has a link to now, to record. */
typedef struct
{
  const char *node_id; /* lower-case hex, 32 to 40 digits */
  const char *address; /* numeric IPv4 or IPv6 address it listens on */
  guint16 port;
  /* a link to it is up: only these are recorded (§11.4: "Peers that are
   * not directly connected MUST NOT be cached.") */
  gboolean connected;
} ChorusBootstrapNeighbour;

/* An entry of the cache. */
typedef struct
{
  char *node_id;
  char *address;
  guint16 port;
  gint64 last_success_ms;
  guint failures; /* in a row, since the last success */
} ChorusBootstrapPeer;

/* Records @peers (those connected; the others and malformed ones are
 * skipped) as successful at @now_ms, then drops stale and failed entries
 * and evicts the stalest beyond the bound; one transaction. */
gboolean chorus_bootstrap_cache_update (sqlite3 *db, const ChorusBootstrapNeighbour *peers,
                                        guint n_peers, gint64 now_ms, GError **error);
/* One more failure of the entry at @address:@port (none: nothing to do);
 * it drops out at CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES. */
gboolean chorus_bootstrap_cache_record_failure (sqlite3 *db, const char *address, guint16 port,
                                                gint64 now_ms, GError **error);
/* The entries to try at @now_ms, most recently successful first (fresh,
 * below the failure limit, at most CHORUS_BOOTSTRAP_CACHE_MAX_PEERS): an
 * array of ChorusBootstrapPeer that frees its strings. */
GArray *chorus_bootstrap_cache_list (sqlite3 *db, gint64 now_ms, GError **error);
/* How many entries chorus_bootstrap_cache_list() would give; -1 on error. */
gint chorus_bootstrap_cache_count (sqlite3 *db, gint64 now_ms, GError **error);

G_END_DECLS
