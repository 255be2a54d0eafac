/* peer-control.h: the control socket of `chorus-peer run` and its client,
 * `chorus-peer ctl`.
 *
 * A Unix stream socket, PROFILE/control.sock (the profile directory is
 * 0700, so only its owner reaches it).  One request per connection, one
 * line of JSON each way:
 *   request   {"command": "store", "args": ["NOTES", "alice", "hello"]}
 *   answer    {"ok": true, "result": ...}
 *             {"ok": false, "error": "Error_Forbidden", "message": "..."}
 * "error" is the RFC 6940 error name when the overlay answered with an
 * error response (§14.9), Error_Request_Timeout when no answer came after
 * every retransmission (§6.2.1), else one of invalid_argument, no_route,
 * not_running, failed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-peer.h"

G_BEGIN_DECLS

#define PEER_CONTROL_SOCKET "control.sock"
/* The longest request line the server reads. */
#define PEER_CONTROL_MAX_LINE (64 * 1024)

typedef struct _PeerControl PeerControl;

/* Listens on @socket_path (a stale socket file is replaced) and serves
 * requests with @peer, on the thread-default context. */
PeerControl *peer_control_new (ChorusPeer *peer, const char *socket_path, GError **error);
/* Stops listening and removes the socket file. */
void peer_control_free (PeerControl *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PeerControl, peer_control_free)

/* The client: sends @command with @args and returns the answer object
 * ({"ok", ...}); fails when the socket cannot be reached. */
JsonNode *peer_control_call (const char *socket_path, const char *command, const char *const *args,
                             GError **error);

G_END_DECLS
