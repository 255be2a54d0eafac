/* chorus-dialer.h: from an AOR to SIP connections with its devices, over
 * the overlay (RFC 7904 §4), for the phone (chorus-phone.h) and the
 * adapter peer (chorus-sip-adapter.h):
 *
 *   1. Fetch of the AOR's SIP-REGISTRATION dictionary (the whole of it,
 *      RFC 6940 §7.4.2.1), URI forms followed (ChorusSipLookup, at most
 *      CHORUS_SIP_LOOKUP_MAX_DEPTH forwardings);
 *   2. an AppAttach (RFC 6940 §6.5.2) along the destination list of each
 *      device found (but this node's own), through the shell's application
 *      connections (reload_peer_shell_app_connect());
 *   3. done once every connection is up or failed, or @fork_grace_ms
 *      after the first one came up (the late ones are closed): the INVITE
 *      (or MESSAGE) then goes on all of those at once (forking).
 *
 * The owner of the application handler hears of the connections (up,
 * down) and passes them on with chorus_dialer_conn_up()/_conn_down(); the
 * dialer tells it which connections are its own (`opened`) and which it
 * closed (`released`).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-peer-shell.h"

G_BEGIN_DECLS

typedef struct _ChorusDialer ChorusDialer;

typedef struct
{
  /* @conn was opened for this dial. */
  void (*opened) (ChorusDialer *dialer, guint64 conn, gpointer user_data);
  /* The dialer closed @conn (a device late after the fork grace, or
   * chorus_dialer_free() while it was pending): no `down` will come. */
  void (*released) (ChorusDialer *dialer, guint64 conn, gpointer user_data);
  /* The dial is over: @conns are up (they are the owner's now).  None:
   * @status and @reason say why (404 "not_registered", 482 "loop", 480
   * "unreachable", 408 "lookup_failed", 503 "not_joined").  The dialer may
   * be freed from here. */
  void (*done) (ChorusDialer *dialer, const guint64 *conns, guint n_conns, int status,
                const char *reason, gpointer user_data);
} ChorusDialerCallbacks;

/* Starts dialing @aor (normalized) for @application; @self (may be NULL)
 * is this node, never dialed (a call to one's own AOR rings one's other
 * devices).  Callbacks come later, never from inside this call. */
ChorusDialer *chorus_dialer_new (ReloadPeerShell *shell, const char *aor, const ReloadNodeId *self,
                                 guint16 application, guint fork_grace_ms,
                                 const ChorusDialerCallbacks *callbacks, gpointer user_data);
/* Closes the connections still pending (`released`); calls nothing else. */
void chorus_dialer_free (ChorusDialer *dialer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusDialer, chorus_dialer_free)

/* A connection of this dial came up, or went down before. */
void chorus_dialer_conn_up (ChorusDialer *dialer, guint64 conn);
void chorus_dialer_conn_down (ChorusDialer *dialer, guint64 conn);

G_END_DECLS
