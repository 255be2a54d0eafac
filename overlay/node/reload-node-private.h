/* reload-node-private.h: the parts of ReloadNode shared by its files:
 * reload-node.c (life, sending, receiving, forwarding, timers),
 * reload-node-chord.c (CHORD-RELOAD: join, updates, neighbors, fingers,
 * replication, leave, partitions), reload-node-requests.c (the request
 * handlers and the storage methods), reload-node-attach.c (Attaches held
 * for their ICE part), reload-node-app-attach.c (AppAttaches held for the
 * shell's answer) and the others named below.  Not installed; no stable
 * API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-node.h"

#include "reload-datastore.h"
#include "reload-self-tuning.h"

#include <math.h>
#include <string.h>

#define DEFAULT_MAX_MESSAGE_SIZE 5000               /* §11.1 example configuration */
#define DEFAULT_RELIABILITY_TIMER_MS 3000           /* §6.2.1 */
#define MAX_TRANSMISSIONS 5                         /* §6.2.1: "a total of 5 messages" */
#define ANSWER_CACHE_MAX 4096                       /* answers kept for retransmissions, at most */
#define ANSWER_CACHE_MS 15000                       /* §6.2.1: maximum request lifetime */
#define REASSEMBLY_TIMEOUT_US (15 * G_USEC_PER_SEC) /* §6.7 */
#define REPLICA_HOLD_DOWN_MS 30000                  /* §10.7.1 successor replacement hold-down */
#define REACTIVE_UPDATE_DELAY_MS 50                 /* coalesces a burst of table changes */
#define JOIN_ATTACH_WAIT_MS 2000                    /* §10.5 step 3: time for neighbor Attaches */
#define JOIN_RETRY_MS 10000                         /* a join that made no progress starts over */
#define N_REPLICAS 2                                /* §10.4: the next two successors */
/* ConfigUpdate (§6.5.4, reload-node-config.c): a node that did not take
 * our document (no answer, or an error other than Error_Config_Too_Old)
 * gets it again after this long at the earliest; at most this many nodes
 * are remembered (a flood of requests from many origins cannot grow it). */
#define CONFIG_PUSH_RETRY_MS 30000
#define CONFIG_PUSH_MAX_PEERS 1024
/* §6.3.2.1: the configuration_sequence of a ConfigUpdate "MUST be
 * accepted regardless of the receiving node's configuration sequence" */
#define CONFIG_SEQUENCE_WILDCARD 0xffff

/* ---------------------------------------------------------------- timers */

typedef enum
{
  TIMER_RETRANSMIT, /* id: transaction */
  TIMER_STABILIZE,
  TIMER_FINGERS,
  TIMER_REACTIVE_UPDATE,
  TIMER_REPLICATE,
  TIMER_JOIN,
  TIMER_HOUSEKEEPING, /* answer cache, reassembly, storage expiry */
  TIMER_CONFIG_PUSH,  /* ConfigUpdate to the links after a reconfiguration */
  TIMER_TURN,         /* reload-node-turn.c; id: which of its timers */
  TIMER_APP_ATTACH,   /* reload-node-app-attach.c; id: the token */
} TimerKind;

typedef struct
{
  gint64 at;
  guint64 id;
  TimerKind kind;
} Timer;

/* ---------------------------------------------------------------- state */

typedef struct
{
  guint64 link;
  gint64 last_correction; /* when we last answered its Update with ours */
  ReloadNodeId peer_id;
  ChordId peer;
  /* a peer of the routing table (§10.5 step 4), not only a connection:
   * we attached to it, or it told us it is a peer by an Update */
  gboolean routable;
  /* RFC 7363 §6.5: the estimates it shared in its last Update */
  gboolean st_valid;
  gint64 st_at;
  ReloadSelfTuningData st;
  gboolean st_join_checked; /* its first Update was looked at (§6.4) */
  /* §6.3.2.1: the configuration_sequence of its own messages (requests
   * it originated, so the via list was empty), or of the document it
   * took from us or refused as not newer than its own */
  gboolean config_seq_known;
  guint16 config_seq;
} Conn;

typedef enum
{
  PURPOSE_NEIGHBOR = 1 << 0,
  PURPOSE_FINGER = 1 << 1,
  PURPOSE_ADMITTING = 1 << 2,
  /* reload_node_attach_candidates(): only the answer's candidates */
  PURPOSE_CANDIDATES = 1 << 3,
} AttachPurpose;

typedef struct
{
  guint64 tid;
  GBytes *bytes;
  guint16 code;
  guint transmissions;
  gint64 deadline;
  ReloadDestination first; /* for routing retransmissions */
  /* §6.3.4: "The response to a message sent to a Node-ID MUST have been
   * sent by that Node-ID" */
  gboolean final_is_node;
  ChordId final_node;
  ReloadRequestDone done;
  gpointer user_data;
  gboolean maintenance;
  AttachPurpose purpose; /* for Attach requests */
  guint64 attach_token;  /* for Attach requests: the shell's prepare_attach token */
} Txn;

typedef struct
{
  GBytes *bytes;
  gint64 expires;
  guint64 link;
} CachedAnswer;

typedef enum
{
  NODE_IDLE,
  NODE_JOINING,
  NODE_JOINED,
  NODE_CLIENT, /* §3.2.1: attached to one peer, not in the ring */
} NodeState;

struct ReloadNode
{
  gboolean trace; /* CHORUS_NODE_TRACE=1: one line per event on stderr */
  ReloadNodeConfig cfg;
  char *user_name;
  char *overlay_name;
  ReloadIceCandidate *candidates;
  guint n_candidates;
  ReloadKindTable *kinds;
  ReloadTestSigner *own_test_signer;

  ReloadNodeShell shell;
  gpointer shell_data;

  ReloadNodeId node_id;
  ChordId self;
  guint32 overlay_hash;
  RwOptions wire;
  /* the same, bounded by RELOAD_NODE_CONFIG_UPDATE_MAX_MESSAGE_SIZE: for
   * ConfigUpdate, which may exceed max-message-size (reload-node.h) */
  RwOptions wire_config_update;
  ChordTable table;
  NodeState state;
  gint64 started_ms;
  GRand *rand;

  GHashTable *links;     /* link -> Conn */
  GHashTable *by_peer;   /* ChordId* (in Conn) -> Conn */
  GHashTable *attaching; /* ChordId* -> AttachPurpose, Attaches in flight */
  GHashTable *txns;      /* tid -> Txn */
  GHashTable *answers;   /* tid -> CachedAnswer */

  GArray *timers; /* binary heap of Timer */
  gint64 next_stabilize;
  gint64 next_fingers;
  gint64 reactive_update_at;
  gint64 replicate_at;
  gint64 join_at;
  gint64 config_push_at;

  /* ConfigUpdate (§6.5.4): the document of cfg.configuration_sequence
   * (cfg.config_document holds the same reference), and the nodes it was
   * sent to: ChordId* -> ConfigPush */
  GBytes *config_document;
  GHashTable *config_pushes;

  ChordId admitting_peer;
  gboolean have_admitting;
  gboolean admitting_update_seen;

  /* replication bookkeeping (§10.4, §10.7.3) */
  ChordId replicas[N_REPLICAS];
  guint n_replicas;
  ChordId replicated_range_start;
  gint64 successor_lost_at;

  gint64 now; /* the time of the call being processed */
  /* the certificate bucket of the message being handled (stored data is
   * verified with it, §6.3.4) */
  const ReloadGenericCertificate *msg_certs;
  guint n_msg_certs;
  ReloadStorage *storage;
  ReloadReassembler *reassembler;
  RwArena *scratch;
  ReloadNodeCounters counters;

  /* RFC 7363 self-tuning (reload-node-self-tuning.c) */
  ReloadSelfTuningHistory st_joins;
  ReloadSelfTuningHistory st_leaves;
  guint64 st_losses_seen; /* table.neighbor_losses already recorded */
  gint64 st_observe_from; /* events count from then on; 0: not joined yet */
  double st_n;            /* the combined estimates (§6.5) */
  double st_join_rate;    /* peers/s, overlay-wide */
  double st_leave_rate;   /* peers/s, overlay-wide */
  guint st_interval_ms;   /* the stabilization interval (§6.6) */

  /* the TURN Server Usage (§9, reload-node-turn.c) */
  struct ReloadNodeTurn *turn;
  /* Attaches waiting for their ICE part (reload-node-attach.c): token ->
   * PendingAttach; NULL until the first */
  GHashTable *pending_attaches;
  /* the signer of the answer whose request's callback runs now (NULL
   * otherwise): who answered a request sent to a Resource-ID */
  const ReloadSignerInfo *answer_signer;
  /* AppAttaches the shell has yet to answer (reload-node-app-attach.c):
   * token -> PendingAppAttach; NULL until the first */
  GHashTable *app_attaches;
  guint64 app_attach_last_token;
  gboolean in_app_attach; /* the app_attach callback runs */
  /* reload_node_request_as(): the signer of the next request sealed */
  const ReloadSecurityOps *sign_as_ops;
  gpointer sign_as_data;
};

/* ---------------------------------------------------------------- helpers */

#define TRACE(n, ...)                                                                              \
  do                                                                                               \
    {                                                                                              \
      if ((n)->trace)                                                                              \
        {                                                                                          \
          char hex_[33];                                                                           \
          g_printerr ("%8" G_GINT64_FORMAT " %.8s ", (n)->now, chord_id_to_hex ((n)->self, hex_)); \
          g_printerr (__VA_ARGS__);                                                                \
          g_printerr ("\n");                                                                       \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* a request being handled */
typedef struct
{
  ReloadSignerInfo signer;
  ChordId origin; /* the request's origin: first via entry, or the previous hop */
  guint64 from_link;
} RequestCtx;

/* The largest message sent whole on a link: above it, fragments (§6.7)
 * that fit a 1500-byte path with room for IP, UDP, DTLS and the framing
 * header, less the room a via list may grow on the way. */
#define LINK_PAYLOAD_MAX (1200 - RELOAD_FRAGMENT_VIA_HEADROOM)

const char *rn_short_id (ChordId id, char buf[33]);
guint64 rn_random_u64 (ReloadNode *n);
void rn_timer_push (ReloadNode *n, gint64 at, TimerKind kind, guint64 id);
Conn *rn_conn_by_peer (ReloadNode *n, ChordId peer);
ReloadDestination rn_dest_node (ChordId id);
void rn_enter (ReloadNode *n, gint64 now);
gboolean rn_route (ReloadNode *n, const ReloadDestination *d, guint64 *link);
guint64 rn_send_request (ReloadNode *n, const ReloadDestination *dests, guint n_dests, guint16 code,
                         gpointer body, ReloadRequestDone done, gpointer user_data,
                         gboolean maintenance, AttachPurpose purpose, gint64 now);
void rn_txn_finish (ReloadNode *n, Txn *t, const ReloadMessage *answer, const GError *error);
/* Tells the shell that a prepared Attach (token) will not be connected. */
void rn_release_attach (ReloadNode *n, guint64 token);
void rn_send_answer (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 code,
                     gpointer body, gint64 now);
void rn_send_error (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 error_code,
                    const char *info, gint64 now);
void rn_schedule (ReloadNode *n, gint64 *slot, gint64 at, TimerKind kind);
void rn_table_changed (ReloadNode *n, gint64 now);
void rn_maybe_schedule_join (ReloadNode *n, gint64 now);
void rn_send_update (ReloadNode *n, ChordId to, guint8 type, gint64 now);
void rn_update_neighbors (ReloadNode *n, gint64 now);
void rn_search_fingers (ReloadNode *n, gboolean all, gint64 now);
void rn_send_store_copy (ReloadNode *n, ChordId to, GBytes *rid, guint8 replica_number, gint64 now);
void rn_replicate (ReloadNode *n, gint64 now);
guint rn_drop_outside_replica_set (ReloadNode *n);
gboolean rn_expects_replica (ReloadNode *n, ChordId resource, ChordId sender);
void rn_handle_attach_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_handle_update_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_handle_join_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_refill_neighbors (ReloadNode *n);
void rn_handle_leave_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_handle_request (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_handle_answer (ReloadNode *n, const ReloadMessage *m, const ReloadSignerInfo *signer,
                       gint64 now);
void rn_send_join (ReloadNode *n, gint64 now);
/* RFC 7363 (reload-node-self-tuning.c); no-ops unless cfg.self_tuning */
void rn_self_tuning_poll (ReloadNode *n, gint64 now);
void rn_self_tuning_attach (ReloadNode *n, ReloadMessage *m);
void rn_self_tuning_received (ReloadNode *n, Conn *c, const ReloadMessage *m, gint64 now);
void rn_self_tuning_tick (ReloadNode *n, gint64 now);
/* the time to the next periodic stabilization (§10.7.4.1, or RFC 7363 §6.6) */
gint64 rn_stabilize_interval_ms (ReloadNode *n);
gboolean rn_signer_has (const ReloadSignerInfo *signer, ChordId id);
void rn_store_certificates (ReloadNode *n, gint64 now);
/* ConfigUpdate (reload-node-config.c) */
void rn_config_init (ReloadNode *n);
void rn_config_clear (ReloadNode *n);
const RwOptions *rn_wire_for (ReloadNode *n, guint16 code);
gsize rn_largest_message (const ReloadNode *n);
/* a request of @c's peer itself carried @sequence (§6.3.2.1) */
void rn_config_observe (ReloadNode *n, Conn *c, guint16 sequence, gint64 now);
/* sends our document to @peer unless it was sent lately (§6.5.4) */
void rn_config_push (ReloadNode *n, ChordId peer, gint64 now);
void rn_config_push_links (ReloadNode *n, gint64 now);
void rn_handle_config_update_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx,
                                  gint64 now);
/* Attaches whose ICE part the shell still gathers (reload-node-attach.c):
 * prepare_attach() gave a token and no candidate; the shell calls
 * reload_node_attach_ready() when it has them.  TRUE: deferred. */
gboolean rn_attach_defer_request (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice,
                                  ChordId target, gboolean to_resource, const ChordId *via,
                                  AttachPurpose purpose, gboolean send_update);
gboolean rn_attach_defer_answer (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice,
                                 const ReloadMessage *req, const RequestCtx *ctx);
gboolean rn_attach_answer_pending (ReloadNode *n, const ReloadMessage *req);
void rn_attach_clear (ReloadNode *n);
/* reload-node-chord.c: the Attach request and answer, ICE part ready */
void rn_attach_send_request (ReloadNode *n, ChordId target, gboolean to_resource,
                             const ChordId *via, AttachPurpose purpose, gboolean send_update,
                             const ReloadAttachReqAns *ice, guint64 token, gint64 now);
void rn_attach_answer (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx,
                       const ReloadAttachReqAns *ans, guint64 token, gint64 now);

/* AppAttach at its destination (reload-node-app-attach.c, §6.5.2) */
void rn_handle_app_attach_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);
void rn_app_attach_timer (ReloadNode *n, guint64 token, gint64 at);
void rn_app_attach_clear (ReloadNode *n);

/* the TURN Server Usage (reload-node-turn.c) */
void rn_turn_init (ReloadNode *n);
void rn_turn_clear (ReloadNode *n);
void rn_turn_start (ReloadNode *n, gint64 now);  /* reload_node_start() */
void rn_turn_joined (ReloadNode *n, gint64 now); /* §10.5 step 9, or the first node */
void rn_turn_timer (ReloadNode *n, guint64 id, gint64 at, gint64 now);
/* Verifies one StoredData of a Fetch answer (§7.1) with the certificates
 * @certs of its security block (§6.3.4); says who signed it. */
gboolean rn_verify_stored_data (ReloadNode *n, RwBytes resource_id, guint32 kind,
                                const ReloadStoredData *data, const ReloadGenericCertificate *certs,
                                guint n_certs, ReloadSignerInfo *signer);
