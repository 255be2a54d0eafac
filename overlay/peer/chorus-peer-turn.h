/* chorus-peer-turn.h: the TURN Server Usage (RFC 6940 §9) as ChorusPeer
 * shows and takes it (chorus-peer-turn.c): the TURN server a peer offers,
 * the servers it found, as JSON.  Not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "reload-peer-shell.h"

G_BEGIN_DECLS

/* Parses the TURN server a peer offers, "ADDR:PORT" ("[ADDR]:PORT"),
 * numeric.  §9: a peer behind a NAT or on an RFC 1918 address "SHOULD
 * NOT be a candidate for a TURN server": such an address is taken (the
 * operator asked) with a warning in the log. */
gboolean chorus_peer_turn_parse_server (const char *text, ReloadIpAddressPort *out, GError **error);

/* Adds "turn_servers" ([{"address", "port", "node_id", "iteration",
 * "resource_id", "expires_s"}]), "turn_in_use" ("ADDR:PORT" or null) and
 * "turn_advertising" ({"address", "port", "density", "stored"} or null)
 * to the status object being built. */
void chorus_peer_turn_add_status (ReloadPeerShell *shell, const ReloadNodeConfig *node,
                                  JsonBuilder *b);
/* The servers of a discovery round: {"turn_servers": [...], "turn_in_use"} */
JsonNode *chorus_peer_turn_servers_json (ReloadPeerShell *shell, const ReloadTurnServerInfo *list,
                                         guint n);
/* The ICE pair of a link in the status ("ice": {"local", "remote"} or
 * null). */
void chorus_peer_turn_add_link_ice (JsonBuilder *b, const ReloadPeerShellLinkInfo *link);

G_END_DECLS
