/* reload-peer-shell.h: the I/O shell of one RELOAD peer on a real
 * network.  It owns the sans-I/O node (reload-node.h) and gives it:
 *   - a TCP listener and TLS links with the framing header
 *     (TLS-TCP-FH-NO-ICE, RFC 6940 §6.6.5), one per neighbour;
 *   - the links of Attach (§6.5.1) under No-ICE (§6.5.1.11): the TLS
 *     handshake is the connectivity check, and the certificate of the peer
 *     must hold the Node-ID that sent the AttachReqAns or the link is
 *     closed;
 *   - bootstrap links (§11.4) straight to the configured bootstrap
 *     addresses, then to the peers of the bootstrap cache (all at once)
 *     when none of them answers, then to the peers that answer a query on
 *     the multicast groups of the local link (a Chorus extension), the
 *     join through the first one that answers, and the first node's own
 *     ring when no other bootstrap node can be reached (§6.4.2.1, §10.5);
 *     the peers it is connected to, for the cache;
 *   - the periodic partition check of §10.7.4.4 through a bootstrap node,
 *     or a cached or multicast-heard peer when none answers;
 *   - the node's timer, as one GSource;
 *   - a watch of the host's addresses: when the one peers reach this peer
 *     at goes, the listener moves and the node joins again at once
 *     (reload-peer-shell-netwatch.c).
 *
 * Everything runs from the thread-default GMainContext of the thread that
 * calls reload_peer_shell_new(): the shell is not thread-safe (ChorusPeer
 * runs it in a thread of its own and talks to it through that context).
 *
 * The node's clock is the wall clock in milliseconds since 1970, because
 * the node writes it into storage_time (§7: "the time in milliseconds
 * since the epoch"); the timer is armed on the monotonic clock with the
 * same delay.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-credentials.h"
#include "reload-node-turn.h"
#include "reload-node.h"

G_BEGIN_DECLS

#define RELOAD_PEER_SHELL_ERROR (reload_peer_shell_error_quark ())
GQuark reload_peer_shell_error_quark (void);

typedef enum
{
  RELOAD_PEER_SHELL_ERROR_FAILED,
  RELOAD_PEER_SHELL_ERROR_INVALID, /* a bad address, certificate or key */
  RELOAD_PEER_SHELL_ERROR_LISTEN,  /* the listening socket could not be made */
} ReloadPeerShellError;

/* Limits, named (hostile input: one peer must not use them all). */
#define RELOAD_PEER_SHELL_MAX_LINKS 256      /* links, all kinds together */
#define RELOAD_PEER_SHELL_MAX_HANDSHAKING 32 /* inbound links before `up` */
#define RELOAD_PEER_SHELL_GLARE_WAIT_MS 3000 /* §6.5.1.2: see connect() */
#define RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MS 1000
#define RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MAX_MS 30000
#define RELOAD_PEER_SHELL_PARTITION_CHECK_S 60 /* §10.7.4.4 */
#define RELOAD_PEER_SHELL_CONNECT_TIMEOUT_S 10

/* The bootstrap cache (§11.4): neighbours recorded at least this often
 * while joined, and at once (within a second) when they change. */
#define RELOAD_PEER_SHELL_CACHE_REFRESH_S 300
/* Bootstrap attempts made at once (the cached peers, the peers found by
 * multicast), and how long they may take: an unreachable host would hold
 * each for the connect and handshake timeouts (10 s). */
#define RELOAD_PEER_SHELL_MAX_ATTEMPTS 10
#define RELOAD_PEER_SHELL_ATTEMPT_WAIT_MS 5000
/* Multicast bootstrap (a Chorus extension): how long a starting peer
 * waits for answers to its query before it goes on. */
#define RELOAD_PEER_SHELL_MULTICAST_WAIT_MS 1000

typedef struct _ReloadPeerShell ReloadPeerShell;

/* A peer this peer is directly connected to, for the bootstrap cache. */
typedef struct
{
  ReloadNodeId node_id;
  /* where it listens: the TLS-TCP-FH-NO-ICE candidate of its Attach, or
   * the address a link of ours reached it at (never the source port of a
   * connection it opened) */
  GInetSocketAddress *address;
  gboolean connected; /* a link to it is up */
} ReloadPeerShellCachePeer;

/* The bootstrap cache of §11.4, kept by the shell's owner (ChorusPeer:
 * in the profile's database); every callback runs on the shell's context.
 * Without `load`, the shell has no cache. */
typedef struct
{
  /* The cached peers to try when no configured bootstrap node answers,
   * best first: GInetSocketAddress, transfer full. */
  GPtrArray *(*load) (gpointer user_data);
  /* The peers this peer is directly connected to now (its neighbours and
   * the peer it joined through), when they change and at least every
   * RELOAD_PEER_SHELL_CACHE_REFRESH_S while joined. */
  void (*record) (gpointer user_data, const ReloadPeerShellCachePeer *peers, guint n_peers);
  /* A cached peer did not answer during a join that then succeeded
   * through another peer. */
  void (*failed) (gpointer user_data, GInetSocketAddress *address);
  gpointer user_data;
} ReloadPeerShellCache;

typedef struct
{
  /* The node's parameters (§11.1), without node_id, user_name,
   * overlay_name, candidates or security: the shell fills those from the
   * credentials and the listening socket. */
  ReloadNodeConfig node;
  /* Where to listen: "ADDR:PORT" ("[ADDR]:PORT" for IPv6); port 0 picks
   * one.  NULL: 127.0.0.1:0.  A wildcard ("0.0.0.0:PORT", "[::]:PORT")
   * accepts on every address and advertises the one the kernel uses
   * toward the bootstrap nodes.  When the address advertised goes, the
   * shell re-binds (a specific address) or advertises another (a
   * wildcard) and joins again (reload-peer-shell-netwatch.c). */
  const char *listen;
  /* Bootstrap nodes, "ADDR:PORT", NULL-terminated (§11.4).  An address
   * this shell listens on is itself and skipped. */
  const char *const *bootstrap;
  /* Attach with full ICE (§6.5.1: DTLS-UDP-SR on the pair ICE selects,
   * host candidates on the listening address) instead of No-ICE TLS
   * links; an overlay is one or the other (its no-ice element). */
  gboolean ice;
  /* The bootstrap cache (§11.4): tried after the bootstrap nodes, also
   * when there is none; all NULL for none. */
  ReloadPeerShellCache cache;
  /* Multicast bootstrap on the local link (a Chorus extension,
   * chorus-multicast.h): groups "GROUP:PORT" ("[GROUP]:PORT" for IPv6),
   * NULL-terminated, asked when neither a bootstrap node nor a cached
   * peer answers; NULL: none. */
  const char *const *multicast_bootstrap;
  /* Events, on the shell's context; all optional. */
  void (*joined) (gpointer user_data);
  /* A ConfigUpdate reached the node (§6.5.4): as ReloadNodeShell's
   * config_update, with the document's bytes.  The callback verifies the
   * document and, when it takes it, applies it with
   * reload_peer_shell_reconfigure() and returns 0; otherwise it returns the
   * RFC 6940 error code to answer with.  NULL: every update is refused. */
  guint16 (*config_update) (gpointer user_data, GBytes *document, char **info);
  gpointer user_data;
  /* TURN (RFC 5766) in the ICE agents of Attaches (with `ice`): the TURN
   * servers come from TURN-SERVICE (§9: node.turn_discovery), the
   * long-term credential every one of them takes from here (§9's
   * TurnServer carries none); NULL: none.  node.turn_advertise offers
   * this peer's own (reload-node-turn.h). */
  const char *turn_username;
  const char *turn_password;
} ReloadPeerShellConfig;

/* A shell for the peer whose credentials are @creds (ca, cert and key
 * set; referenced, not copied): binds the listening socket (so that the
 * port is known at once) and makes the node, but does not start it. */
ReloadPeerShell *reload_peer_shell_new (const ReloadCredentials *creds,
                                        const ReloadPeerShellConfig *config, GError **error);
void reload_peer_shell_free (ReloadPeerShell *shell);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadPeerShell, reload_peer_shell_free)

/* Starts listening and joining: through the bootstrap nodes, or as the
 * first node when there is none but itself (§10.5). */
void reload_peer_shell_start (ReloadPeerShell *shell);
/* §10.9: sends Leave to the neighbours, then closes every link once its
 * queue is flushed.  @done runs (from the context) when every link is
 * down or after @timeout_ms. */
void reload_peer_shell_leave (ReloadPeerShell *shell, guint timeout_ms, GSourceFunc done,
                              gpointer user_data);

/* A new configuration (§6.5.4.2: "the node MUST reconfigure itself"):
 * what reload_node_reconfigure() takes from @node (configuration_sequence,
 * config_document, kinds, max_message_size, initial_ttl, the timers,
 * chord_reactive) goes to the node now and to the nodes the shell makes
 * later (a join started again).  config_document and kinds are
 * referenced. */
void reload_peer_shell_reconfigure (ReloadPeerShell *shell, const ReloadNodeConfig *node);

/* The node, for requests.  After calling into it, call
 * reload_peer_shell_poke() so that the timer follows. */
ReloadNode *reload_peer_shell_get_node (ReloadPeerShell *shell);
void reload_peer_shell_poke (ReloadPeerShell *shell);
/* The node's clock (ms since 1970). */
gint64 reload_peer_shell_now (void);

/* A certificate (DER) the node may have to send along with values it
 * stores for someone else (a proxy peer stores its users' registrations
 * signed by them; §6.3.4: the Store carries "all the certificates
 * necessary to verify every signature"): kept in the node's certificate
 * cache.  Fails when it is not a peer certificate of this overlay. */
gboolean reload_peer_shell_add_certificate (ReloadPeerShell *shell, GBytes *der, GError **error);

/* The address the listener is bound to (owned by the shell). */
GInetSocketAddress *reload_peer_shell_get_listen_address (ReloadPeerShell *shell);
const ReloadCertIdentity *reload_peer_shell_get_identity (ReloadPeerShell *shell);

typedef struct
{
  guint64 link;
  ReloadNodeId peer; /* valid when up */
  gboolean up;
  gboolean outbound;
  gboolean bootstrap;
  const char *protocol; /* "TLS-TCP-FH-NO-ICE" or "DTLS-UDP-SR" (§6.6) */
  char *address;        /* "ADDR:PORT" of the other end */
  guint64 bytes_sent;
  guint64 bytes_received;
  gint rtt_ms; /* smoothed RTT from the framing's acks (§6.6.5); -1 before a sample */
  /* DTLS-UDP-SR links: the types (RELOAD_CAND_*) of the ICE pair selected,
   * local and remote; 0 when none (yet) */
  guint8 ice_local_type;
  guint8 ice_remote_type;
} ReloadPeerShellLinkInfo;

/* The links now, as an array of ReloadPeerShellLinkInfo (free with
 * g_array_unref: the strings go with it). */
GArray *reload_peer_shell_list_links (ReloadPeerShell *shell);
/* Seconds since reload_peer_shell_start(). */
gint64 reload_peer_shell_get_uptime_s (ReloadPeerShell *shell);

/* The TURN servers found in TURN-SERVICE (§9, reload-node-turn.h): the
 * node's, or, while a fresh node (a join started again) knows none yet,
 * the last list, until its entries expire; *@n_servers set.  Valid until
 * the next call into the shell. */
const ReloadTurnServerInfo *reload_peer_shell_turn_servers (ReloadPeerShell *shell,
                                                            guint *n_servers);
/* "ADDR:PORT" of the TURN server new ICE agents gather relayed candidates
 * on (the first of the list), or NULL. */
const char *reload_peer_shell_turn_in_use (ReloadPeerShell *shell);
/* The TURN credential of the ICE agents made from now on (a new
 * configuration's, §6.5.4: Chorus's <chorus:turn-username>); the agents
 * gathered ahead with the old one are dropped. */
void reload_peer_shell_set_turn_credential (ReloadPeerShell *shell, const char *username,
                                            const char *password);
/* A discovery round now (reload_node_turn_discover()); @done gets the
 * list at its end. */
void reload_peer_shell_turn_discover (ReloadPeerShell *shell, ReloadTurnDiscoveryDone done,
                                      gpointer user_data);

/* Parses "ADDR:PORT" or "[ADDR]:PORT" (numeric addresses only). */
GInetSocketAddress *reload_peer_shell_parse_address (const char *text, GError **error);
/* "ADDR:PORT", "[ADDR]:PORT" for IPv6. */
char *reload_peer_shell_format_address (GInetSocketAddress *address);

/* ---------------------------------------------------------------- applications */

/* Application connections (AppAttach, RFC 6940 §6.5.2; reload-peer-shell-app.c):
 * an ICE agent of their own per connection, then DTLS on the selected
 * pair with the overlay certificates, one application message per record
 * (SIP over DTLS, RFC 7904 §4). */
#define RELOAD_PEER_SHELL_MAX_APP_CONNECTIONS 64
/* From the AppAttach (sent or received) to `up`. */
#define RELOAD_PEER_SHELL_APP_TIMEOUT_MS 20000

/* What the application of one Application-ID (§14.5: 5060 SIP, 5061 SIPS)
 * hears; every callback runs on the shell's context, and @conn is the
 * connection's id (> 0). */
typedef struct
{
  /* An AppAttach for this application from @peer (the Node-ID that signed
   * it; @user its user name): FALSE refuses it (Error_Not_Found, as
   * §6.5.2.2 answers an application it does not support).  NULL: every
   * one is taken. */
  gboolean (*accept) (gpointer user_data, guint64 conn, const ReloadNodeId *peer, const char *user,
                      guint16 application);
  /* DTLS is up; @peer is the certificate's identity (it holds the Node-ID
   * the connection was for). */
  void (*up) (gpointer user_data, guint64 conn, const ReloadCertIdentity *peer);
  void (*message) (gpointer user_data, guint64 conn, const guint8 *data, gsize len);
  /* Once per connection that was not closed by this end: ICE, DTLS or the
   * AppAttach failed (@error), or the other end closed (NULL). */
  void (*down) (gpointer user_data, guint64 conn, const GError *error);
  gpointer user_data;
} ReloadPeerShellAppHandler;

/* Serves @application with @handler (copied; NULL: no more). */
void reload_peer_shell_set_app_handler (ReloadPeerShell *shell, guint16 application,
                                        const ReloadPeerShellAppHandler *handler);
/* Opens a connection to the node at the end of @route (§6.2.1 source
 * route, e.g. [peer] or [admitting peer, client]): gathers, sends the
 * AppAttachReq along it, and runs ICE and DTLS with what the answer
 * carries.  `up` or `down` follow.  0 with *@error when it cannot start
 * (not joined, no handler, too many connections). */
guint64 reload_peer_shell_app_connect (ReloadPeerShell *shell, const ReloadDestination *route,
                                       guint n_route, guint16 application, GError **error);
gboolean reload_peer_shell_app_send (ReloadPeerShell *shell, guint64 conn, const guint8 *data,
                                     gsize len, GError **error);
/* Closes @conn; no callback follows. */
void reload_peer_shell_app_close (ReloadPeerShell *shell, guint64 conn);
/* The Node-ID at the other end of @conn. */
gboolean reload_peer_shell_app_get_peer (ReloadPeerShell *shell, guint64 conn, ReloadNodeId *peer);

G_END_DECLS
