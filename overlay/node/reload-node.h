/* reload-node.h: a RELOAD node (RFC 6940) as pure logic, with the
 * CHORD-RELOAD topology.
 *
 * The node does no I/O and reads no clock.  Its shell (the simulator, the
 * test harness, or the real network layer) feeds it:
 *   - bytes received on a link:        reload_node_receive()
 *   - links that came up or went down: reload_node_link_up() / _link_down()
 *   - the time, when a timer is due:   reload_node_expire()
 *   - application requests:            reload_node_request() and friends
 * and the node calls back into the shell (ReloadNodeShell) to send bytes on
 * a link, to open a link to a peer whose ICE candidates it learned by
 * Attach, to close a link, and to report events.  After every call the
 * shell asks reload_node_next_expiry() when to call again.
 *
 * Randomness comes from a seed in the configuration, so that a simulation
 * with a seed is reproducible.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-table.h"
#include "reload-kind.h"
#include "reload-wire.h"

G_BEGIN_DECLS

typedef struct ReloadNode ReloadNode;

/* What the node asks of its shell.  Every callback is optional but send. */
typedef struct
{
  /* Writes one message on @link (the shell frames it, §6.6.2). */
  void (*send) (gpointer shell, guint64 link, const guint8 *data, gsize len);
  /* Opens a link to @peer, whose ICE parameters and candidates came in
   * @remote, its Attach (§6.5.1); @token is what prepare_attach gave for
   * this Attach (0 without prepare_attach).  The shell calls
   * reload_node_link_up() when the link is up. */
  void (*connect) (gpointer shell, const ReloadNodeId *peer, const ReloadAttachReqAns *remote,
                   guint64 token);
  /* Optional: the ICE parameters of a new Attach, a request
   * (@request TRUE: this node will control ICE) or an answer: fills
   * @out's ufrag, password, role and candidates (allocated from @arena)
   * and a @token that comes back with connect().  FALSE, or no callback:
   * the node sends its configured candidates (No-ICE, §6.5.1.11).  TRUE
   * with a @token but no candidate: still gathering; the node holds the
   * Attach until reload_node_attach_ready(). */
  gboolean (*prepare_attach) (gpointer shell, gboolean request, RwArena *arena,
                              ReloadAttachReqAns *out, guint64 *token);
  /* Optional: the Attach of @token will not be connected (it failed, or
   * a link to its peer exists already): the shell may drop what it
   * prepared. */
  void (*release_attach) (gpointer shell, guint64 token);
  void (*close) (gpointer shell, guint64 link);
  /* The node has joined the overlay (§10.5 step 9) or left it. */
  void (*joined) (gpointer shell);
  /* A request reached this node, its destination, after @hops overlay
   * links (the via list's length plus the last link; 0 when the origin
   * was responsible itself).  For measurements. */
  void (*delivered) (gpointer shell, guint16 code, guint64 transaction_id, guint hops);
  /* Optional: a ConfigUpdateReq of type config reached this node, its
   * destination (§6.5.4): @document (@len bytes) is a Configuration
   * Document (§11.1).  The node cannot judge it (libxml2, X.509 signatures
   * and the configuration held live outside it): the shell verifies it
   * (§6.5.4.2: processed only if its sequence is greater than the current
   * one and it is correctly signed) and, when it takes it, reconfigures
   * the node with reload_node_reconfigure() and returns 0, and the node
   * answers ConfigUpdateAns.  Otherwise it returns the error code to
   * answer with (Error_Forbidden for a bad signature, Error_Config_Too_Old
   * for an old sequence, ...) and may set *@info to a g_malloc'd text for
   * error_info.  Without this callback every update is refused with
   * Error_Forbidden. */
  guint16 (*config_update) (gpointer shell, const guint8 *document, gsize len, char **info);
  /* Optional: @peer sent this node an Attach request or answer (§6.5.1)
   * carrying @remote's ICE candidates; the signature was verified, so
   * @peer is who signed it.  Called for every such Attach, also when a
   * link to @peer exists already and connect() is not called, so that the
   * shell learns where its neighbours listen (under No-ICE the
   * TLS-TCP-FH-NO-ICE candidate, §6.5.1.11), for the bootstrap cache
   * (§11.4).  Sans-I/O: a report, nothing to do for the node. */
  void (*attach_seen) (gpointer shell, const ReloadNodeId *peer, const ReloadAttachReqAns *remote);
  /* Optional: an AppAttach request (§6.5.2) reached this node, its
   * destination, from @peer (the Node-ID of the request's origin, which
   * signed it: the signature was verified) whose certificate names @user
   * (NULL when it names none), with @req's ufrag, password, application,
   * role and candidates (valid during the call only).  The shell takes
   * it by returning TRUE and answers it, at once or later once its ICE
   * agent has candidates, with reload_node_app_attach_answer() or
   * reload_node_app_attach_refuse() quoting @token (the node's own
   * number for it, never 0; both may be called from within this
   * callback).  Returning FALSE refuses at once with
   * Error_Not_Found (§6.5.2.2: "If the Application ID is not supported,
   * the peer MUST reply with an Error_Not_Found error").  Without the
   * callback every AppAttach gets Error_Not_Found.  Retransmissions of
   * the request (§6.2.1) do not call it again: the answer, when it goes,
   * is the one they wait for.  An AppAttach makes no overlay link and
   * does not touch the routing table: the connection is the
   * application's. */
  gboolean (*app_attach) (gpointer shell, const ReloadNodeId *peer, const char *user,
                          const ReloadAppAttachReq *req, guint64 token);
} ReloadNodeShell;

/* The signer/verifier of messages and stored data (§6.3.4, §7.1).  The
 * secure-links layer provides the real one (X.509, RSA/ECDSA); tests and
 * the simulator use reload_test_security_ops(). */
typedef struct
{
  /* Signs @data as this node: fills @sig, allocating from @arena. */
  void (*sign) (gpointer self, const guint8 *data, gsize len, RwArena *arena, ReloadSignature *sig);
  /* Verifies @sig over @data; on success tells who signed. */
  gboolean (*verify) (gpointer self, const guint8 *data, gsize len, const ReloadSignature *sig,
                      const ReloadGenericCertificate *certs, guint n_certs, RwArena *arena,
                      ReloadSignerInfo *signer);
  /* Optional: this node's certificate (DER), carried in the security block
   * of every message it signs so that the destination can verify it
   * (§6.3.4: the bucket "SHOULD contain all the certificates necessary to
   * verify every signature"). */
  GBytes *(*certificate) (gpointer self);
  /* Optional: the certificate (DER) of the signer @identity names, when
   * known.  A peer passing stored data on (replicas, §10.4) sends the
   * certificates of its signers with it (§6.3.4: "a peer storing data is
   * obligated to retain certificates for the data that it holds"). */
  GBytes *(*certificate_for) (gpointer self, const ReloadSignerIdentity *identity);
} ReloadSecurityOps;

typedef struct
{
  ReloadNodeId node_id;
  const char *user_name; /* the certificate's rfc822Name (§11.3) */
  const char *overlay_name;
  guint16 configuration_sequence;
  /* The Configuration Document (§11.1) of configuration_sequence, exact
   * bytes: what the node sends in ConfigUpdate (§6.5.4) to a node it sees
   * with an older sequence (§6.3.2.1).  NULL: it sends none.  The node
   * keeps its own reference. */
  GBytes *config_document;
  ReloadKindTable *kinds; /* NULL: reload_kind_table_new_default() */

  /* §11.1 parameters; 0 means the RFC's default */
  gsize max_message_size;             /* default 5000 */
  guint8 initial_ttl;                 /* default 100 */
  guint overlay_reliability_timer_ms; /* default 3000 (§6.2.1) */
  guint chord_update_interval_s;      /* default 600 (§10.7.4.1) */
  guint chord_ping_interval_s;        /* default 3600 (§10.7.4.2) */
  gboolean chord_reactive;            /* reactive recovery (§10.7.1) */
  /* §3.2.1, §4.2: a client does not join; it reaches the overlay through
   * the one peer it is connected to (its bootstrap link), routes nothing
   * and stores nothing for others.  Messages for it are source-routed
   * through that peer (§6.1.1: a peer forwards to a directly connected
   * client). */
  gboolean client_mode;
  guint n_successors;   /* default 3 */
  guint n_predecessors; /* default 3 */
  guint n_fingers;      /* default 16 */
  /* RFC 7363 (CHORD-SELF-TUNING): the node estimates the overlay size and
   * the join and leave rates, shares them in its Updates and derives the
   * stabilization interval (at most chord_update_interval_s) and the
   * sizes of its lists and Finger Table (n_successors, n_predecessors
   * become minimums).  FALSE: the fixed parameters above. */
  gboolean self_tuning;
  /* the target proportion of stale neighbour entries (RFC 7363 §6.6);
   * 0: 0.01 */
  double self_tuning_stale_target;

  /* RFC 6940 §9, the TURN Server Usage (reload-node-turn.h): with
   * turn_advertise, the node advertises the TURN server at turn_server in
   * turn_density TURN-SERVICE values (§11.1 turn-density; 0: 1) once
   * joined; with turn_discovery it looks for TURN servers from its start
   * on, now and then. */
  gboolean turn_advertise;
  ReloadIpAddressPort turn_server;
  guint8 turn_density;
  gboolean turn_discovery;

  /* this node's ICE candidates, sent in its Attach requests and answers */
  const ReloadIceCandidate *candidates;
  guint n_candidates;

  const ReloadSecurityOps *security;
  gpointer security_data;

  guint64 seed;
} ReloadNodeConfig;

ReloadNode *reload_node_new (const ReloadNodeConfig *config, const ReloadNodeShell *shell,
                             gpointer shell_data);
void reload_node_free (ReloadNode *node);

/* Starts the node at @now_ms.  With @bootstrap_link == 0 it is the first
 * peer and forms a ring alone; otherwise the shell has opened a link to a
 * bootstrap node (§11.4) whose Node-ID is @bootstrap and the node joins
 * through it (§10.5). */
void reload_node_start (ReloadNode *node, guint64 bootstrap_link, const ReloadNodeId *bootstrap,
                        gint64 now_ms);
/* §10.7.4.4: the shell has opened a link to a bootstrap node (found as
 * at the first join); the node pings its own Node-ID through it and, if
 * a peer other than its successor answers, the overlay is partitioned:
 * it attaches to that peer through the bootstrap node and Updates it.
 * The shell repeats this now and then. */
void reload_node_check_partition (ReloadNode *node, guint64 bootstrap_link,
                                  const ReloadNodeId *bootstrap, gint64 now_ms);
/* Sends an Attach (§6.5.1) straight to @peer although a link to it is
 * up: it carries this node's candidates and the answer @peer's, which
 * attach_seen reports; nothing else comes of it (no link, no change of
 * the tables).  For a shell that wants to know where a neighbour listens
 * when no Attach went between them (the neighbour joined through this
 * node's bootstrap link, §11.4): the bootstrap cache.  Nothing happens
 * without an up link to @peer. */
void reload_node_attach_candidates (ReloadNode *node, const ReloadNodeId *peer, gint64 now_ms);
/* Sends Leave to the neighbors (§10.9); the shell closes links after. */
void reload_node_leave (ReloadNode *node, gint64 now_ms);

void reload_node_receive (ReloadNode *node, guint64 link, const guint8 *data, gsize len,
                          gint64 now_ms);
void reload_node_link_up (ReloadNode *node, guint64 link, const ReloadNodeId *peer, gint64 now_ms);
void reload_node_link_down (ReloadNode *node, guint64 link, gint64 now_ms);
/* The connection an Attach with @peer asked for (connect()) did not come
 * up (ICE failed, a timeout): the node may attach to it again. */
void reload_node_attach_failed (ReloadNode *node, const ReloadNodeId *peer, gint64 now_ms);
/* The ICE part of the Attach of @token (prepare_attach() said it was
 * gathering) is ready: the node sends that Attach request or answer now
 * with @ice's ufrag, password, role and candidates (read during the call).
 * NULL: the shell could make none; the Attach is dropped (a request is
 * over, a request to answer goes unanswered). */
void reload_node_attach_ready (ReloadNode *node, guint64 token, const ReloadAttachReqAns *ice,
                               gint64 now_ms);
/* The AppAttach of @token (the app_attach callback took it) is answered
 * now with @ans (ufrag, password, application, role and candidates, read
 * during the call): an AppAttachAns (§6.5.2.2), signed and routed back
 * along the request's via list (§6.2.2) like every answer; its
 * retransmissions get the same answer (§6.2.1).  The node holds an
 * AppAttach it has not answered for the maximum request lifetime (15 s,
 * §6.2.1; longer with an overlay-reliability-timer above 3 s): past it,
 * or when the link the request (or its latest retransmission) came on
 * is gone, or for a @token it does not know, nothing happens. */
void reload_node_app_attach_answer (ReloadNode *node, guint64 token, const ReloadAppAttachAns *ans,
                                    gint64 now_ms);
/* The same with an error response of @error_code (RELOAD_ERROR_FORBIDDEN,
 * RELOAD_ERROR_NOT_FOUND, ...) and the text @info (NULL: none). */
void reload_node_app_attach_refuse (ReloadNode *node, guint64 token, guint16 error_code,
                                    const char *info, gint64 now_ms);
void reload_node_expire (ReloadNode *node, gint64 now_ms);
/* The time at which reload_node_expire() must next be called; G_MAXINT64
 * when nothing is pending. */
gint64 reload_node_next_expiry (const ReloadNode *node);

/* §6.3.2.1: configuration sequence numbers are "monotonically increasing
 * mod 65535" and compare "by modulo arithmetic as in TCP": after 65534
 * comes 0 (65535 is the ConfigUpdate wildcard, never a document's).
 * Returns < 0 when @a is older than @b, 0 when equal, > 0 when newer
 * (newer: 1 to 32767 steps ahead in the 65535-number circle). */
int reload_configuration_sequence_compare (guint16 a, guint16 b);

/* The largest ConfigUpdate message (§6.5.4) this node sends, reassembles
 * and accepts.  A Configuration Document with its root certificates and
 * one signed kind-block per kind outgrows the max-message-size of many
 * overlays (5000 by default, §11.1; a ConfigUpdate carrying Chorus's
 * document with two kinds of its own, ECDSA, is over 5000 bytes already:
 * each kind-signature carries the signer's certificate), and a node must take
 * the update that may raise it: ConfigUpdate alone may exceed
 * max-message-size, up to this bound.  A document of about 60 kinds
 * signed with ECDSA (30 with RSA) fits. */
#define RELOAD_NODE_CONFIG_UPDATE_MAX_MESSAGE_SIZE (64 * 1024)

/* §6.5.4.2: "If the update is acceptable, then the node MUST reconfigure
 * itself to match the new information".  Takes from @config what a
 * running node can change: configuration_sequence, config_document,
 * kinds (a new table: kinds that are gone, or whose data model changed,
 * lose their stored values, §11.1; new max-count and max-size apply to
 * the next Store), max_message_size, initial_ttl,
 * overlay_reliability_timer_ms, chord_update_interval_s,
 * chord_ping_interval_s and chord_reactive (0 values mean the defaults, as
 * for reload_node_new()).  Everything else of @config is ignored (the
 * Node-ID, the overlay name and the topology do not change while a node
 * runs).  The node then sends the new document to each connected node
 * not known to hold it (§6.5.4: "Whenever a node detects that another
 * node has old configuration data, it MUST generate a ConfigUpdate
 * request"), from its next reload_node_expire().  May be called from the
 * config_update callback. */
void reload_node_reconfigure (ReloadNode *node, const ReloadNodeConfig *config, gint64 now_ms);
guint16 reload_node_get_configuration_sequence (const ReloadNode *node);

/* Application requests.  @done runs once, with the answer (its body is
 * the answer structure; NULL when the request failed: timeout, error
 * response, …) and @error. */
typedef void (*ReloadRequestDone) (gpointer user_data, ReloadNode *node,
                                   const ReloadMessage *answer, const GError *error);
/* Sends a request with @body (the structure for @code) to @destination
 * (a resource or node destination).  Returns the transaction id. */
guint64 reload_node_request (ReloadNode *node, const ReloadDestination *destination, guint16 code,
                             gpointer body, ReloadRequestDone done, gpointer user_data,
                             gint64 now_ms);

/* The same, the request signed by another identity (@ops with @ops_data)
 * instead of the node's: a proxy peer storing for a user it serves (RFC
 * 7904 §3.2; RFC 6940 §7.3: "in a non-replica store, both the signer of
 * the StoredValue and the signer of the StoreReq MUST conform to the
 * policy").  That identity's certificate must hold this node's Node-ID
 * (§6.3.4: the sender's).  Answers are verified as ever. */
guint64 reload_node_request_as (ReloadNode *node, const ReloadSecurityOps *ops, gpointer ops_data,
                                const ReloadDestination *destination, guint16 code, gpointer body,
                                ReloadRequestDone done, gpointer user_data, gint64 now_ms);

/* The same with a destination list of @n_destinations entries (source
 * routing, §6.2.1), e.g. [peer, client]. */
guint64 reload_node_request_routed (ReloadNode *node, const ReloadDestination *destinations,
                                    guint n_destinations, guint16 code, gpointer body,
                                    ReloadRequestDone done, gpointer user_data, gint64 now_ms);
/* During a ReloadRequestDone callback given an answer (not an error
 * response): who signed that answer, as the security layer verified it
 * (§6.3.4): its user name and Node-IDs, valid during the callback only.
 * NULL otherwise.  The answer to a request whose last destination is a
 * Node-ID comes from that Node-ID (the node drops any other, §6.3.4); for
 * a Resource-ID this says which peer answered.  E.g. an AppAttach
 * (§6.5.2): RELOAD_APP_ATTACH_REQ with a ReloadAppAttachReq body; the
 * answer's body is the ReloadAppAttachAns of the node named here. */
const ReloadSignerInfo *reload_node_answer_signer (const ReloadNode *node);

/* Signs @data, a value this node stores at @resource_id under @kind
 * (§7.1), allocating the signature from @arena. */
void reload_node_sign_stored_data (ReloadNode *node, RwBytes resource_id, guint32 kind,
                                   ReloadStoredData *data, RwArena *arena);
/* The same, signed by another identity: @ops with @ops_data sign (§7.1:
 * "Each StoredData element is individually signed" by whoever stores it,
 * not necessarily the node that sends the Store).  A proxy peer storing
 * the registration of a user it serves signs with that user's key
 * (RFC 7904 §3.2: USER-NODE-MATCH checks the user's certificate).  The
 * Store carries the signer's certificate when the node's own security
 * ops' certificate_for() finds it (§6.3.4). */
void reload_node_sign_stored_data_as (ReloadNode *node, const ReloadSecurityOps *ops,
                                      gpointer ops_data, RwBytes resource_id, guint32 kind,
                                      ReloadStoredData *data, RwArena *arena);

/* State, for the application, the simulator and tests. */
gboolean reload_node_is_joined (const ReloadNode *node);
/* A client connected to its peer. */
gboolean reload_node_is_client (const ReloadNode *node);
const ChordTable *reload_node_table (const ReloadNode *node);
ChordId reload_node_get_id (const ReloadNode *node);
guint reload_node_n_links (const ReloadNode *node);
struct ReloadStorage *reload_node_storage (ReloadNode *node);
/* RFC 7363: the node's current (combined, §6.5) estimates: overlay size,
 * overlay-wide join and leave rates (peers per second) and the
 * stabilization interval it derived.  FALSE (and nothing set) when
 * self-tuning is off.  Any pointer may be NULL. */
gboolean reload_node_self_tuning_state (const ReloadNode *node, double *n_estimate,
                                        double *join_rate, double *leave_rate,
                                        guint *stabilize_interval_ms);
typedef struct
{
  guint64 messages_sent;
  guint64 bytes_sent;
  guint64 maintenance_messages_sent; /* Update, Attach/Ping for fingers, replica Stores */
  guint64 maintenance_bytes_sent;
  guint64 forwarded;
  guint64 dropped;
} ReloadNodeCounters;
const ReloadNodeCounters *reload_node_counters (const ReloadNode *node);

/* RELOAD_NODE_ERROR: why a request failed. */
#define RELOAD_NODE_ERROR (reload_node_error_quark ())
GQuark reload_node_error_quark (void);
typedef enum
{
  RELOAD_NODE_ERROR_TIMEOUT,   /* 5 transmissions without answer (§6.2.1) */
  RELOAD_NODE_ERROR_RESPONSE,  /* an error response; the GError's message names it */
  RELOAD_NODE_ERROR_NO_ROUTE,  /* no peer to send it to */
  RELOAD_NODE_ERROR_CANCELLED, /* the node was freed first */
} ReloadNodeError;

/* The test signer: a signature names the user and Node-ID and carries a
 * checksum of the signed bytes; verification recomputes it.  No
 * cryptography: for unit tests and the simulator only. */
const ReloadSecurityOps *reload_test_security_ops (void);
/* self for reload_test_security_ops(): the node's identity */
typedef struct
{
  char *user_name;
  ReloadNodeId node_id;
} ReloadTestSigner;

G_END_DECLS
