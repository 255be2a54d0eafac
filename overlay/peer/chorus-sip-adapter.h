/* chorus-sip-adapter.h: the adapter peer for plain SIP phones (RFC 7890
 * §3: a proxy peer; `chorus-peer run --sip-adapter ADDR:PORT
 * --sip-adapter-users FILE`).
 *
 * Phones that do not speak RELOAD register with the adapter as an
 * ordinary SIP registrar (UDP and TCP, chorus-sip-transport.h; digest
 * authentication against the users file, chorus-sip-registrar.h), and the
 * adapter registers them in the overlay: while a user has a binding, the
 * adapter stores the user's SIP-REGISTRATION entry at H(sip:USER@OVERLAY),
 * signed with the user's certificate (chorus-adapter-users.h), with the
 * destination list [the adapter's Node-ID] (RFC 7904 §3.1).
 *
 * Calls run through the adapter as a back-to-back user agent: one
 * ChorusSipUa faces the phones, one the overlay (SIP over AppAttach, RFC
 * 7904 §4), and each call is two legs, the caller's and the callee's, with
 * the session descriptions passed through unchanged (the media runs from
 * end to end: a phone needs ICE and DTLS-SRTP, RFC 8839 and RFC 5763, to
 * talk with a Chorus peer):
 *   - a phone calls sip:X@OVERLAY: X another phone of the adapter (its
 *     bindings, forked), else the overlay (Fetch, AppAttach to X's
 *     devices, chorus-dialer.h); the INVITE goes as the phone's user;
 *   - an overlay call to one of the adapter's users rings every phone
 *     registered for it; 404 for a user the adapter does not serve, 480
 *     when none of its phones is registered.
 * A phone's INVITE is taken only on a connection that user registered
 * from (the REGISTER was authenticated there): 403 otherwise.
 *
 * Within a call, a re-INVITE of either side (hold and resume, RFC 3264
 * §8.4) goes to the other side with its offer unchanged, and the answer
 * (or the failure) comes back; one while another is out gets 491 (RFC
 * 3261 §14.2).  MESSAGE (RFC 3428) goes the same ways as calls, with the
 * final status relayed back (chorus-sip-adapter-message.c).  An INVITE
 * without an offer gets 488 (chorus-sip-adapter-bridge.c says why).
 *
 * Everything runs in the peer's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "chorus-adapter-users.h"
#include "reload-peer-shell.h"

G_BEGIN_DECLS

/* RFC 7904 §4: SIP over a (D)TLS-protected AppAttach connection */
#define CHORUS_SIP_ADAPTER_APPLICATION 5061
/* The lifetime of the users' overlay registrations, refreshed at 80 %. */
#define CHORUS_SIP_ADAPTER_REGISTRATION_LIFETIME_S 600

typedef struct _ChorusSipAdapter ChorusSipAdapter;

/* Listens on @listen ("ADDR:PORT", UDP and TCP) for the phones of @users
 * (taken). */
ChorusSipAdapter *chorus_sip_adapter_new (ReloadPeerShell *shell, const char *listen,
                                          ChorusAdapterUsers *users, GError **error);
void chorus_sip_adapter_free (ChorusSipAdapter *adapter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipAdapter, chorus_sip_adapter_free)

/* "ADDR:PORT" it listens on. */
char *chorus_sip_adapter_get_listen (ChorusSipAdapter *adapter);
/* The node joined (again): the registrations of users with phones are
 * stored now. */
void chorus_sip_adapter_joined (ChorusSipAdapter *adapter);
/* Ends every call and removes the registrations from the overlay; @done
 * runs once answered, or after @timeout_ms. */
void chorus_sip_adapter_stop (ChorusSipAdapter *adapter, guint timeout_ms, GSourceFunc done,
                              gpointer user_data);
/* {"listen", "users": [{"user", "aor", "registered", "bindings":
 * [{"contact", "expires_s", "transport"}]}], "messages": {"relayed",
 * "delivered"}, "calls": [{"id", "caller", "callee", "direction", "state",
 * "on_hold", "status", "reason"}]} */
JsonNode *chorus_sip_adapter_status_json (ChorusSipAdapter *adapter);

G_END_DECLS
