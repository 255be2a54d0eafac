/* reload-ice-link.h: an overlay link made by Attach with full ICE
 * (RFC 6940 §6.5.1, DTLS-UDP-SR): a libnice agent with one stream of one
 * component gathers candidates, runs the connectivity checks against the
 * peer's (RFC 8445; the Attach request's sender is the controlling agent),
 * and once a pair is selected, a ReloadDtlsLink runs on it (§6.6.4: DTLS
 * with Simple Reliability; the controlling agent is the DTLS client).
 *
 * Life cycle:
 *   reload_ice_link_new()           gathering starts
 *   gathered (link)                 the local ufrag, password and candidates
 *                                   are ready for the Attach
 *                                   (reload_ice_link_get_local)
 *   reload_ice_link_set_remote()    the peer's, from its Attach; checks start
 *   up (link, identity)             DTLS is up on the selected pair
 *   message (link, data, len)       each message
 *   down (link, error)              once, whatever the reason (ICE failed,
 *                                   DTLS failed or closed, timeout)
 *
 * Datagram mode (ReloadIceLinkConfig.datagram): the application
 * connection an AppAttach makes (§6.5.2: "nearly identical to Attach,
 * except for the purpose of the connection"): the same ICE and the same
 * DTLS with mutual certificate authentication, but each DTLS record is one
 * application message (SIP over DTLS, RFC 7904 §4), without the §6.6.2
 * framing or Simple Reliability (RELOAD_DTLS_LINK_DATAGRAM of
 * reload-dtls-link.h); messages up to reload_ice_link_get_max_message_size()
 * (about RELOAD_DTLS_LINK_DATAGRAM_MTU), which libnice sends and receives
 * whole on UDP (the IP layer fragments) and through TURN.
 *
 * UPnP stays off unless the configuration turns it on; loopback addresses
 * can be given as the only local addresses (tests).  Everything runs from
 * the thread-default GMainContext of the creating thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-credentials.h"
#include "reload-link.h"
#include "rw-codec.h"

G_BEGIN_DECLS

#define RELOAD_ICE_LINK_ERROR (reload_ice_link_error_quark ())
GQuark reload_ice_link_error_quark (void);

typedef enum
{
  RELOAD_ICE_LINK_ERROR_FAILED,
  RELOAD_ICE_LINK_ERROR_INVALID, /* bad configuration or remote candidates */
  RELOAD_ICE_LINK_ERROR_ICE,     /* the connectivity checks failed */
  RELOAD_ICE_LINK_ERROR_TIMEOUT, /* no selected pair in time */
} ReloadIceLinkError;

/* How long gathering plus checks may take before the link gives up. */
#define RELOAD_ICE_LINK_TIMEOUT_MS 20000
/* Remote candidates taken from one Attach (hostile input). */
#define RELOAD_ICE_LINK_MAX_REMOTE_CANDIDATES 32

typedef struct
{
  gboolean controlling;
  /* The only local addresses to gather host candidates on (numeric, e.g.
   * "127.0.0.1"); NULL: every interface. */
  const char *const *local_addresses;
  /* STUN for server-reflexive candidates, TURN (UDP) for relayed ones;
   * NULL when there is none. */
  const char *stun_server;
  guint stun_port;
  const char *turn_server;
  guint turn_port;
  const char *turn_username;
  const char *turn_password;
  gboolean upnp;       /* default off */
  gboolean relay_only; /* offer and use relayed candidates only (needs TURN) */
  /* A spare: gathers at once (server-reflexive and relayed candidates
   * take round trips to the STUN/TURN server, which an Attach cannot wait
   * for), but takes its role and starts RELOAD_ICE_LINK_TIMEOUT_MS only at
   * reload_ice_link_claim(); `controlling` is then ignored. */
  gboolean spare;
  /* An application connection (AppAttach, §6.5.2): plain DTLS records,
   * one message each, no RELOAD framing or SR (see above). */
  gboolean datagram;
} ReloadIceLinkConfig;

typedef struct _ReloadIceLink ReloadIceLink;

typedef struct
{
  void (*gathered) (ReloadIceLink *link, gpointer user_data);
  void (*up) (ReloadIceLink *link, const ReloadCertIdentity *peer, gpointer user_data);
  void (*message) (ReloadIceLink *link, const guint8 *data, gsize len, gpointer user_data);
  void (*down) (ReloadIceLink *link, const GError *error, gpointer user_data);
} ReloadIceLinkCallbacks;

ReloadIceLink *reload_ice_link_new (const ReloadIceLinkConfig *config, ReloadCert *cert,
                                    const ReloadKey *key, ReloadCert *root,
                                    const ReloadIceLinkCallbacks *callbacks, gpointer user_data,
                                    GError **error);
/* Calls no callback; may be called from inside one. */
void reload_ice_link_free (ReloadIceLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadIceLink, reload_ice_link_free)

/* A spare link becomes the link of one Attach: its role (RFC 8445 §6.1.1:
 * the Attach requester controls; the controlling agent is the DTLS
 * client) and its timeout start now.  Before reload_ice_link_set_remote(). */
void reload_ice_link_claim (ReloadIceLink *link, gboolean controlling);
/* Whether gathering is over (`gathered` was reported), and how many local
 * candidates of each type (RELOAD_CAND_HOST, _SRFLX, _RELAY) there are. */
gboolean reload_ice_link_is_gathered (const ReloadIceLink *link);
guint reload_ice_link_count_local (ReloadIceLink *link, guint8 type);

/* The local ICE credentials and candidates as an Attach carries them
 * (host candidates at once, all of them after `gathered`) (§6.5.1.1; overlay_link DTLS-UDP-SR, priorities and
 * foundations from the agent), allocated from @arena. */
gboolean reload_ice_link_get_local (ReloadIceLink *link, RwArena *arena, RwBytes *ufrag,
                                    RwBytes *password, ReloadIceCandidate **candidates,
                                    guint *n_candidates);
/* The peer's, from its Attach: starts the checks.  Candidates of other
 * overlay link protocols are ignored; INVALID when none is usable. */
gboolean reload_ice_link_set_remote (ReloadIceLink *link, RwBytes ufrag, RwBytes password,
                                     const ReloadIceCandidate *candidates, guint n_candidates,
                                     GError **error);

gboolean reload_ice_link_send (ReloadIceLink *link, const guint8 *data, gsize len, GError **error);
void reload_ice_link_close (ReloadIceLink *link);
gboolean reload_ice_link_is_up (const ReloadIceLink *link);
/* The selected pair's local and remote candidate types (RELOAD_CAND_*),
 * after `up`; FALSE before. */
gboolean reload_ice_link_get_selected_types (ReloadIceLink *link, guint8 *local, guint8 *remote);
/* The selected pair's local and remote transport addresses (the local one
 * of a relayed candidate is its address on the TURN server); either may
 * be NULL.  FALSE before a pair is selected. */
gboolean reload_ice_link_get_selected_addresses (ReloadIceLink *link, ReloadIpAddressPort *local,
                                                 ReloadIpAddressPort *remote);
/* The largest message reload_ice_link_send() takes now: before `up` a
 * bound for any cipher suite, after it the exact limit of the DTLS link
 * (reload_dtls_link_get_max_message_size()). */
gsize reload_ice_link_get_max_message_size (const ReloadIceLink *link);

G_END_DECLS
