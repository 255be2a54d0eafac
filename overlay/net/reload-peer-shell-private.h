/* reload-peer-shell-private.h: what the parts of the peer's shell share:
 * its state (reload-peer-shell.c: links, the node's callbacks, the API)
 * and the joining machinery (reload-peer-shell-join.c: bootstrap,
 * partition checks, watchdogs, fresh nodes; reload-peer-shell-cache.c:
 * the bootstrap cache; reload-peer-shell-multicast.c: the multicast
 * bootstrap).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-ice-link.h"
#include "reload-peer-shell.h"
#include "reload-tls-link.h"
#include "reload-x509-signer.h"

G_BEGIN_DECLS

/* A node that has not joined this long after its start (or its last
 * bootstrap attempt) starts over with a fresh node: the bootstrap peer
 * may have gone, or the network with it. */
#define JOIN_WATCHDOG_MS 30000
/* A joined node left without any link this long has lost the network:
 * it joins again through the bootstrap nodes. */
#define ISOLATION_WATCHDOG_MS 10000

typedef enum
{
  LINK_ATTACH,    /* opened for the node's connect() */
  LINK_INBOUND,   /* accepted */
  LINK_BOOTSTRAP, /* opened to a bootstrap node to join (§11.4) */
  LINK_PARTITION, /* opened to a bootstrap node for §10.7.4.4 */
  LINK_ICE,       /* an Attach with full ICE (§6.5.1), DTLS on the selected pair */
} LinkKind;

typedef struct
{
  ReloadPeerShell *shell;
  guint64 id;
  LinkKind kind;
  ReloadTlsLink *tls;
  ReloadIceLink *ice;       /* LINK_ICE */
  gboolean initiator;       /* LINK_ICE: this end sent the Attach request */
  GCancellable *connecting; /* while TCP connects */
  GPtrArray *targets;       /* GInetSocketAddress to try, in order */
  guint next_target;
  gboolean up;
  gboolean given_to_node; /* the node knows it (link_up / start called) */
  gboolean have_expected;
  ReloadNodeId expected; /* §6.5.1.11: the Node-ID that sent the AttachReqAns */
  ReloadNodeId peer;
  char *address;
  /* LINK_ICE gathered ahead for a coming Attach (reload-peer-shell-turn.c):
   * the node does not know it, nor does the link list */
  gboolean spare;
  gint64 spare_since_us;
  /* LINK_ICE whose Attach the node holds until it has gathered
   * (reload_node_attach_ready()) */
  gboolean attach_pending;
  gint64 attach_pending_since_us;
  gint64 up_since_us; /* monotonic: when it came up */
} Link;

typedef struct
{
  ReloadPeerShell *shell;
  ChordId peer;
  ReloadNodeId peer_id;
  GPtrArray *targets;
  GSource *timer;
} GlareWait;

/* Where the address of a bootstrap attempt came from (§11.4). */
typedef enum
{
  BOOT_CONFIGURED, /* a bootstrap node: the configuration's, or --bootstrap */
  BOOT_CACHED,     /* a peer of the bootstrap cache */
  BOOT_MULTICAST,  /* a peer that answered on a multicast group (Chorus extension) */
} BootSource;

/* The steps of a bootstrap round (reload-peer-shell-join.c). */
typedef enum
{
  BOOT_PHASE_CONFIGURED, /* the bootstrap nodes, one after the other */
  BOOT_PHASE_CACHED,     /* the peers of the bootstrap cache, all at once */
  BOOT_PHASE_MULTICAST,  /* a query on the multicast groups, then who answered */
} BootPhase;

/* A peer heard on a multicast group (reload-peer-shell-multicast.c). */
typedef struct
{
  ReloadNodeId node_id;
  GInetSocketAddress *address; /* where it listens: the datagram's source, its port */
  gint64 heard_ms;
} RpsHeardPeer;

struct _ReloadPeerShell
{
  GMainContext *context;
  ReloadCert *ca;
  ReloadCert *cert;
  ReloadKey *key;
  ReloadCertIdentity *identity;
  ReloadX509Signer *signer;
  ReloadKindTable *kinds;

  ReloadNodeConfig node_cfg;
  ReloadIceCandidate candidate;
  ReloadIceExtension tcptype;
  guint8 foundation[1];
  ReloadNode *node;
  gsize max_message_size;

  GSocket *listener;
  GSource *accept_source;
  /* the address peers reach this one at: the listener's (the candidate of
   * its Attaches, §6.5.1.11), or with a wildcard listener the local
   * address the kernel would use toward the overlay
   * (reload-peer-shell-netwatch.c) */
  GInetSocketAddress *listen_address;
  gboolean listen_any;             /* listening on 0.0.0.0 or [::] */
  GInetAddress *listen_configured; /* the specific address asked for */
  guint16 listen_port;             /* the port bound */
  /* the network watch (reload-peer-shell-netwatch.c) */
  struct RpsNetwatch *netwatch;
  gint64 netchange_ms; /* when a network change started a join again; 0: none */
  GSocketClient *client;
  GCancellable *cancellable;

  GPtrArray *bootstrap; /* GInetSocketAddress, without ourselves */
  gboolean is_bootstrap_node;
  guint bootstrap_index;
  guint bootstrap_backoff_ms;
  guint64 bootstrap_link;
  GSource *bootstrap_timer;
  GSource *partition_timer;
  GSource *watchdog_timer;
  gint64 attempt_started_ms;
  gint64 isolated_since_ms;
  gboolean formed_overlay; /* this node formed the overlay: nowhere to rejoin */

  /* the bootstrap cache (§11.4, reload-peer-shell-join.c) */
  ReloadPeerShellCache cache;
  GPtrArray *cached;       /* GInetSocketAddress: this round's cached peers */
  GPtrArray *cache_failed; /* GInetSocketAddress: cached peers without answer */
  GHashTable *listen_of;   /* hex Node-ID -> GInetSocketAddress of its Attach */
  char *cache_digest;      /* the neighbours recorded last */
  gint64 cache_recorded_ms;
  GHashTable *cache_ask; /* hex Node-ID -> gint64: when to ask where it listens */

  /* the bootstrap round (reload-peer-shell-join.c) */
  BootPhase boot_phase;
  GHashTable *attempts;   /* guint64 link id -> BootAttempt: bootstrap links not up */
  GSource *attempt_timer; /* the end of the attempts made at once */
  gint64 multicast_query_ms;
  /* multicast bootstrap on the local link (Chorus extension,
   * reload-peer-shell-multicast.c); NULL without */
  struct RpsMulticast *multicast;

  GHashTable *links; /* guint64 id -> Link */
  GHashTable *glare; /* ChordId -> GlareWait */
  guint64 next_link_id;
  guint n_handshaking;

  GSource *timer;
  gint64 timer_at;
  gint64 started_monotonic_us;
  gboolean started;
  gboolean node_started;
  gboolean joined;
  gboolean leaving;
  GSource *leave_timer;
  GSourceFunc leave_done;
  gpointer leave_data;

  void (*joined_cb) (gpointer user_data);
  guint16 (*config_update_cb) (gpointer user_data, GBytes *document, char **info);
  GBytes *config_document; /* node_cfg.config_document's reference */
  gpointer user_data;

  gboolean ice;      /* Attach with full ICE (the overlay's no-ice is false) */
  char *ice_address; /* the address ICE gathers host candidates on */

  /* TURN for the ICE agents (§9, reload-peer-shell-turn.c) */
  struct RpsTurn *turn;
  /* application connections (§6.5.2, reload-peer-shell-app.c) */
  struct RpsApp *app;
};

/* reload-peer-shell.c */
extern const ReloadNodeShell rps_node_shell_ops;
void rps_clear_source (GSource **src);
GSource *rps_timeout_source (ReloadPeerShell *s, guint ms, GSourceFunc func, gpointer data);
Link *rps_open_link (ReloadPeerShell *s, LinkKind kind, GPtrArray *targets,
                     const ReloadNodeId *expected);
void rps_link_destroy (ReloadPeerShell *s, Link *l, gboolean tell_node);

/* An ICE link for an Attach (§6.5.1): @controlling when this end sends the
 * request; with @spare, gathered ahead and claimed later. */
Link *rps_new_ice_link (ReloadPeerShell *s, gboolean controlling, gboolean spare, GError **error);

/* Listens on @want (the old listener goes, its links stay); the port
 * bound goes to listen_port. */
gboolean rps_listen_on (ReloadPeerShell *s, GInetSocketAddress *want, GError **error);
/* The address peers reach this one at: listen_address, ice_address and
 * the candidate of the nodes made from now on (§6.5.1.11). */
void rps_set_advertised (ReloadPeerShell *s, GInetAddress *address);

/* reload-peer-shell-netwatch.c */
/* The local address to advertise: toward the bootstrap nodes or the
 * neighbours (a connected UDP socket's local address), else the first
 * address of the listener's family; NULL when there is none. */
GInetAddress *rps_netwatch_pick_address (ReloadPeerShell *s);
/* Whether @address is an address of this host now. */
gboolean rps_netwatch_is_local (GInetAddress *address);
void rps_netwatch_start (ReloadPeerShell *s);
void rps_netwatch_clear (ReloadPeerShell *s);

/* reload-peer-shell-app.c */
gboolean rps_node_app_attach (gpointer shell, const ReloadNodeId *peer, const char *user,
                              const ReloadAppAttachReq *req, guint64 token);
void rps_app_clear (ReloadPeerShell *s);

/* reload-peer-shell-turn.c */
/* ICE sessions this end controls to @peer other than @l go (connect_ice) */
void rps_drop_older_sessions (ReloadPeerShell *s, ChordId peer, Link *l);
void rps_turn_init (ReloadPeerShell *s, const ReloadPeerShellConfig *config);
void rps_turn_start (ReloadPeerShell *s);
void rps_turn_clear (ReloadPeerShell *s);
/* STUN and TURN of a new ICE agent: the TURN server in use, if any */
void rps_turn_ice_config (ReloadPeerShell *s, ReloadIceLinkConfig *cfg);
/* A spare ICE link gathered with the TURN server in use, claimed for an
 * Attach (its role set); NULL when none is ready. */
Link *rps_turn_take_spare (ReloadPeerShell *s, gboolean controlling);
/* A new ICE link for an Attach: TRUE when the Attach must wait for its
 * gathering (a TURN server is in use: relayed and server-reflexive
 * candidates come after a round trip), which rps_turn_attach_ready() ends. */
gboolean rps_turn_must_gather (ReloadPeerShell *s, Link *l);
/* @l's Attach has its ICE part now (gathered, or waited long enough), or
 * none (@l is going): the node sends it. */
void rps_turn_attach_ready (ReloadPeerShell *s, Link *l, gboolean going);

/* reload-peer-shell-config.c */
guint16 rps_node_config_update (gpointer shell, const guint8 *document, gsize len, char **info);

/* reload-peer-shell-join.c */
void rps_bootstrap_init (ReloadPeerShell *s);
void rps_bootstrap_clear (ReloadPeerShell *s);
gboolean rps_bootstrap_step (gpointer data);
void rps_schedule_bootstrap (ReloadPeerShell *s, guint delay_ms);
/* The bootstrap link @l is up and the node not started: it starts,
 * joining through @l (§10.5), and the other attempts go. */
void rps_bootstrap_link_up (ReloadPeerShell *s, Link *l, gint64 now);
/* Link @id is gone (rps_link_destroy): if it was a bootstrap attempt,
 * the round goes on. */
void rps_bootstrap_attempt_gone (ReloadPeerShell *s, guint64 id);
/* The node joined or formed the overlay. */
void rps_joined (ReloadPeerShell *s);
gboolean rps_partition_check (gpointer data);
guint rps_partition_interval_ms (void);
gboolean rps_make_node (ReloadPeerShell *s, GError **error);
void rps_restart (ReloadPeerShell *s, const char *why);
gboolean rps_watchdog (gpointer data);

/* reload-peer-shell-cache.c */
void rps_cache_init (ReloadPeerShell *s, const ReloadPeerShellCache *cache);
void rps_cache_clear (ReloadPeerShell *s);
void rps_node_attach_seen (gpointer shell, const ReloadNodeId *peer,
                           const ReloadAttachReqAns *remote);
void rps_cache_joined (ReloadPeerShell *s);
void rps_cache_tick (ReloadPeerShell *s, gint64 now);
/* Where @l's peer listens: what its Attach said, else the address an
 * outbound link of ours reached (an inbound link's is a source port). */
GInetSocketAddress *rps_cache_listen_address_of (ReloadPeerShell *s, Link *l);
/* Whether the peer of an up link listens at @address. */
gboolean rps_cache_address_linked (ReloadPeerShell *s, GInetSocketAddress *address);

/* reload-peer-shell-multicast.c */
gboolean rps_multicast_init (ReloadPeerShell *s, const char *const *groups, GError **error);
void rps_multicast_start (ReloadPeerShell *s);
void rps_multicast_clear (ReloadPeerShell *s);
/* Sends a query on every group. */
void rps_multicast_query (ReloadPeerShell *s);
/* The peers heard since @since_ms, newest first: RpsHeardPeer (the
 * array holds references). */
GArray *rps_multicast_peers (ReloadPeerShell *s, gint64 since_ms);
void rps_multicast_joined (ReloadPeerShell *s);
const char *rps_multicast_groups_text (ReloadPeerShell *s);

G_END_DECLS
