/* reload-node-turn.h: the TURN Server Usage of RFC 6940 §9 in the
 * sans-I/O node (reload-node-turn.c).
 *
 * Advertising.  A node that offers a TURN server (RFC 5766) at an address
 * stores, once joined, for every d from 1 to the overlay's turn-density
 * (§11.1), a TURN-SERVICE value TurnServer {iteration = d, server_address}
 * at the Resource-ID H(Node-ID || d) (§9), which is what the NODE-MULTIPLE
 * access control of the kind accepts (§7.3.4, max-node-multiple 20 for
 * TURN-SERVICE).  "Node-ID || d": the Node-ID's bytes followed by d as a
 * 32-bit unsigned integer in network byte order, exactly as the access
 * check computes it (reload_access_node_multiple_id(), reload-access.c;
 * §6.3.1: "all integers are in network byte order"; the RFC does not say
 * how wide i is, and the 1-byte iteration of TurnServer is the value, not
 * its encoding in the hash input).  Each value lives
 * RELOAD_TURN_SERVICE_LIFETIME_S and is stored again every half lifetime,
 * after every (re)join, and RELOAD_TURN_STORE_RETRY_MS after a Store that
 * failed.
 *
 * Discovery.  §9: "Peers MAY find other servers by selecting a random
 * Resource-ID and then doing a Find request for the appropriate Kind-ID
 * with that Resource-ID"; "The returned response may be empty if the peer
 * does not know of any servers, in which case the process gets repeated
 * with some other random Resource-ID".  A round here starts at a random
 * Resource-ID and, when the answering peer knows no server, goes on with
 * the Resource-ID just after that peer's Node-ID (the signer of the Find
 * answer: the next peer's range), so that RELOAD_TURN_PROBES Finds visit
 * that many distinct peers instead of hitting the same large range twice.
 * Each Resource-ID a Find names is then fetched; a TurnServer is taken only
 * when its signature verifies (§7.1, with the certificates the Fetch
 * answer carries, §6.3.4) and its signer holds a Node-ID N with
 * H(N || iteration) = the Resource-ID and 1 <= iteration <=
 * max-node-multiple, which also tells who offers it.  The list is bounded
 * (RELOAD_TURN_MAX_SERVERS), one entry per address, in the order found;
 * an entry lives as long as the value's remaining lifetime (the Fetch
 * answer's lifetime, §7.4.1.1) and every round fetches the known entries
 * again (a value gone or replaced by "exists = False" drops its entry).
 * With ReloadNodeConfig.turn_discovery, rounds repeat: every
 * RELOAD_TURN_DISCOVERY_PERIOD_MS while a server is known, else after a
 * delay that starts at RELOAD_TURN_DISCOVERY_MIN_MS and doubles up to the
 * period (an overlay without TURN servers costs a few Finds per peer every
 * few minutes).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-node.h"

G_BEGIN_DECLS

#define RELOAD_TURN_SERVICE_LIFETIME_S 600     /* §7 lifetime of an advertisement */
#define RELOAD_TURN_STORE_RETRY_MS 10000       /* after a Store that failed */
#define RELOAD_TURN_MAX_SERVERS 8              /* discovered servers kept */
#define RELOAD_TURN_PROBES 8                   /* Finds per discovery round, at most */
#define RELOAD_TURN_ROUND_HITS 2               /* a round stops after this many Finds found one */
#define RELOAD_TURN_DISCOVERY_MIN_MS 2000      /* first retry when nothing was found */
#define RELOAD_TURN_DISCOVERY_PERIOD_MS 300000 /* rounds once a server is known */

/* A TURN server found in TURN-SERVICE (§9). */
typedef struct
{
  ReloadIpAddressPort address; /* server_address (IPv4 or IPv6, port set) */
  ReloadNodeId node_id;        /* the peer that advertises it (the value's signer) */
  guint8 iteration;            /* d */
  guint8 resource_id[16];      /* H(node_id || d) */
  gint64 expires_ms;           /* end of the value's lifetime */
} ReloadTurnServerInfo;

/* Advertises @server (RFC 5766 TURN, reachable by the overlay's peers) in
 * @density TURN-SERVICE values (the overlay's turn-density; 0: 1; at most
 * the kind's max-node-multiple), now if the node has joined, else once it
 * has; NULL stops advertising (the stored values expire).  The same as
 * ReloadNodeConfig.turn_advertise, for a running node. */
void reload_node_turn_set_server (ReloadNode *node, const ReloadIpAddressPort *server,
                                  guint density, gint64 now_ms);
/* When every TURN-SERVICE value was last stored successfully (ms; 0:
 * never, or not advertising). */
gint64 reload_node_turn_advertised_ms (const ReloadNode *node);

/* A discovery round ended (or the node is being freed): the servers known
 * then, valid during the call. */
typedef void (*ReloadTurnDiscoveryDone) (gpointer user_data, const ReloadTurnServerInfo *servers,
                                         guint n_servers);
/* Starts a discovery round now (or joins the one running); @done, when
 * given, runs once at its end. */
void reload_node_turn_discover (ReloadNode *node, ReloadTurnDiscoveryDone done, gpointer user_data,
                                gint64 now_ms);
/* The TURN servers known at @now_ms, first found first (expired ones
 * dropped); *@n_servers set.  Valid until the next call into the node. */
const ReloadTurnServerInfo *reload_node_turn_servers (ReloadNode *node, gint64 now_ms,
                                                      guint *n_servers);

G_END_DECLS
