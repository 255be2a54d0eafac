/* sim-overlay.h: RELOAD nodes (overlay/node) on the simulator's virtual
 * network (sim-world): each host runs one ReloadNode, whose shell this
 * file provides.  Used by chorus-sim and by the node's scenario tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-node.h"
#include "sim-world.h"

G_BEGIN_DECLS

typedef struct SimOverlay SimOverlay;

typedef struct
{
  guint chord_update_interval_s; /* 0: 60 */
  guint chord_ping_interval_s;   /* 0: 300 */
  gboolean chord_reactive;
  /* RFC 7363 self-tuning in every node (ReloadNodeConfig.self_tuning);
   * chord_update_interval_s is then the longest interval */
  gboolean self_tuning;
  guint8 initial_ttl; /* 0: the default, 100 */
  /* > 0: the shell prepares every Attach's ICE part this long after the
   * node asks for it (ReloadNodeShell.prepare_attach), as an ICE agent
   * gathers its server-reflexive and relayed candidates; the node holds
   * the Attach meanwhile (reload_node_attach_ready()) */
  guint gather_ms;
  /* Optional: the signer of the node about to run on @host with @node_id
   * and @user_name (the test signer otherwise); returns the operations and
   * sets *@security_data, freed with @security_free when the node goes. */
  const ReloadSecurityOps *(*security) (gpointer user_data, guint host, const ReloadNodeId *node_id,
                                        const char *user_name, gpointer *security_data);
  void (*security_free) (gpointer user_data, gpointer security_data);
  /* a request reached its destination after @hops links (measurements) */
  void (*delivered) (gpointer user_data, guint host, guint16 code, guint64 tid, guint hops);
  /* @host joined, @join_ms after its bootstrap link came up */
  void (*joined) (gpointer user_data, guint host, gint64 join_ms);
  gpointer user_data;
} SimOverlayConfig;

SimOverlay *sim_overlay_new (SimWorld *world, guint64 seed, const SimOverlayConfig *config);
void sim_overlay_free (SimOverlay *o);

/* A new host with a node of a random Node-ID (not started). */
guint sim_overlay_add_peer (SimOverlay *o);
/* Also with a chosen Node-ID. */
guint sim_overlay_add_peer_with_id (SimOverlay *o, ChordId id);
/* A host whose node is a client (§3.2.1); join it with
 * sim_overlay_join_via() to the peer it attaches to. */
guint sim_overlay_add_client (SimOverlay *o);
gboolean sim_overlay_is_client (SimOverlay *o, guint host);
/* Starts @host's node now: alone when no peer has joined yet, else
 * through a random joined peer as bootstrap (§11.4). */
void sim_overlay_join (SimOverlay *o, guint host);
void sim_overlay_join_via (SimOverlay *o, guint host, guint bootstrap);
/* §10.7.4.4: @host checks for a partition through @bootstrap (a link is
 * opened when there is none). */
void sim_overlay_check_partition (SimOverlay *o, guint host, guint bootstrap);
/* A crash: the host stops at once; its peers learn by timeouts. */
void sim_overlay_crash (SimOverlay *o, guint host);
/* A graceful leave (§10.9): Leave to the neighbors, then the links close
 * one second later. */
void sim_overlay_leave (SimOverlay *o, guint host);
/* Churn: the host's node is replaced by a new one (new Node-ID, new
 * user), which joins a second later. */
void sim_overlay_replace (SimOverlay *o, guint host);

guint sim_overlay_n_peers (SimOverlay *o);
ReloadNode *sim_overlay_node (SimOverlay *o, guint host);
gboolean sim_overlay_is_joined (SimOverlay *o, guint host);
gboolean sim_overlay_is_alive (SimOverlay *o, guint host);
const char *sim_overlay_user (SimOverlay *o, guint host);
guint sim_overlay_generation (SimOverlay *o, guint host);
ChordId sim_overlay_id (SimOverlay *o, guint host);
guint sim_overlay_n_joined (SimOverlay *o);
/* A random joined, alive host other than @except; -1 when none. */
gint sim_overlay_random_joined (SimOverlay *o, guint except);
/* The truth: the joined, alive peer responsible for @k. */
gboolean sim_overlay_responsible (SimOverlay *o, ChordId k, ChordId *out);
/* Joined peers whose first successor or predecessor is not the true one. */
guint sim_overlay_ring_inconsistencies (SimOverlay *o);
/* The counters of every node that ran, the gone ones included. */
void sim_overlay_counters (SimOverlay *o, ReloadNodeCounters *out);
/* After calling into a node directly (a request), re-arm its timer. */
void sim_overlay_poke (SimOverlay *o, guint host);

G_END_DECLS
