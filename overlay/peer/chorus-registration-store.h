/* chorus-registration-store.h: the Store of one device's entry of an
 * AOR's SIP-REGISTRATION dictionary (RFC 7904 §3), for the phone
 * (chorus-phone.h, its own AOR) and the adapter peer (its plain SIP
 * phones' AORs, signed by each user's certificate).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-registration.h"
#include "reload-peer-shell.h"

G_BEGIN_DECLS

/* Stores at H(@aor), under the dictionary key @key (the signer's
 * Node-ID: USER-NODE-MATCH, RFC 7904 §3.2), the route form with @route
 * (RFC 7904 §3.1), lifetime @lifetime_s; or removes the entry (@exists
 * FALSE: RFC 6940 §7.4.1.3, a value stored with exists = False).  Signed
 * with @ops/@ops_data, the value (§7.1) and the Store itself (§7.3); NULL:
 * as the node itself.  @done gets the
 * answer as from reload_node_request().  FALSE (nothing sent, @done not
 * called) when the node has not joined or @aor is not an AOR. */
gboolean chorus_registration_store (ReloadPeerShell *shell, const char *aor,
                                    const ReloadNodeId *key, const ChorusSipRoute *route,
                                    gboolean exists, guint32 lifetime_s,
                                    const ReloadSecurityOps *ops, gpointer ops_data,
                                    ReloadRequestDone done, gpointer user_data);

G_END_DECLS
