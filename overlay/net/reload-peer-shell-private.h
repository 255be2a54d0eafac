/* reload-peer-shell-private.h: what the parts of the peer's shell share:
 * its state (reload-peer-shell.c: links, the node's callbacks, the API)
 * and the joining machinery (reload-peer-shell-join.c: bootstrap, the
 * bootstrap cache, partition checks, watchdogs, fresh nodes).
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
} Link;

typedef struct
{
  ReloadPeerShell *shell;
  ChordId peer;
  ReloadNodeId peer_id;
  GPtrArray *targets;
  GSource *timer;
} GlareWait;

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
  GInetSocketAddress *listen_address;
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
  GPtrArray *cached;                /* GInetSocketAddress: this round's cached peers */
  GInetSocketAddress *cache_trying; /* the cached peer of the current attempt */
  GPtrArray *cache_failed;          /* GInetSocketAddress: cached peers without answer */
  GHashTable *listen_of;            /* hex Node-ID -> GInetSocketAddress of its Attach */
  char *cache_digest;               /* the neighbours recorded last */
  gint64 cache_recorded_ms;

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
};

/* reload-peer-shell.c */
extern const ReloadNodeShell rps_node_shell_ops;
void rps_clear_source (GSource **src);
GSource *rps_timeout_source (ReloadPeerShell *s, guint ms, GSourceFunc func, gpointer data);
Link *rps_open_link (ReloadPeerShell *s, LinkKind kind, GPtrArray *targets,
                     const ReloadNodeId *expected);
void rps_link_destroy (ReloadPeerShell *s, Link *l, gboolean tell_node);

/* reload-peer-shell-config.c */
guint16 rps_node_config_update (gpointer shell, const guint8 *document, gsize len, char **info);

/* reload-peer-shell-join.c */
gboolean rps_bootstrap_step (gpointer data);
void rps_schedule_bootstrap (ReloadPeerShell *s, guint delay_ms);
gboolean rps_partition_check (gpointer data);
gboolean rps_make_node (ReloadPeerShell *s, GError **error);
void rps_restart (ReloadPeerShell *s, const char *why);
gboolean rps_watchdog (gpointer data);
void rps_cache_init (ReloadPeerShell *s, const ReloadPeerShellCache *cache);
void rps_cache_clear (ReloadPeerShell *s);
void rps_cache_note_attach (ReloadPeerShell *s, const ReloadNodeId *peer,
                            const ReloadAttachReqAns *remote);
void rps_cache_joined (ReloadPeerShell *s);

G_END_DECLS
