/* chorus-peer.h: one RELOAD peer, running in a thread of its own.
 *
 * A ChorusPeer owns the peer's shell (reload-peer-shell.h: the node, its
 * links and timers) and runs it in its own thread with its own
 * GMainContext.  Nothing of the node is shared: every request travels to
 * that thread by g_main_context_invoke(), and every result comes back as
 * a GTask completed on the context that was thread-default when the call
 * was made (GIO's async pattern).  Signals are emitted on the context
 * that was thread-default when the peer was created.
 *
 * Results of the overlay operations are JSON (json-glib), in the shapes
 * that `chorus-peer ctl` prints and the README documents: answer bodies
 * exactly as the wire codec writes them (reload-storage.h), so the tool,
 * the tests and chorus-wire agree on one form.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CHORUS_PEER_ERROR (chorus_peer_error_quark ())
GQuark chorus_peer_error_quark (void);

typedef enum
{
  CHORUS_PEER_ERROR_FAILED,
  CHORUS_PEER_ERROR_INVALID,     /* bad argument: kind, Node-ID, value */
  CHORUS_PEER_ERROR_NOT_RUNNING, /* not started, or stopped */
  CHORUS_PEER_ERROR_RESPONSE,    /* the overlay answered with an error: the message is
                                    its name (Error_Forbidden, …), or "Error_Name: why"
                                    for a configuration refused */
  CHORUS_PEER_ERROR_TIMEOUT,     /* no answer (§6.2.1) */
  CHORUS_PEER_ERROR_NO_ROUTE,    /* not joined, no peer to send to */
} ChorusPeerError;

#define CHORUS_TYPE_PEER (chorus_peer_get_type ())
G_DECLARE_FINAL_TYPE (ChorusPeer, chorus_peer, CHORUS, PEER, GObject)

/* The overlay configuration document in a profile (§11.1). */
#define CHORUS_PEER_CONFIG_FILE "config.xml"

/* A peer for the profile in @profile_dir (ca.pem, cert.pem, key.pem, and
 * config.xml when the overlay has one: verified against ca.pem, it gives
 * the kinds, the §11.1 parameters and the bootstrap peers),
 * listening on @listen ("ADDR:PORT"; NULL: 127.0.0.1 with a free port),
 * joining through @bootstrap (NULL-terminated "ADDR:PORT" list; NULL or
 * empty: the configuration's), else through the peers of its bootstrap
 * cache (§11.4, in the profile's database chorus.db, created if needed),
 * else it forms a new overlay.  Reads the profile; fails when it is
 * missing or inconsistent, or when its database was written by a newer
 * Chorus. */
ChorusPeer *chorus_peer_new (const char *profile_dir, const char *listen,
                             const char *const *bootstrap, GError **error);

/* Starts the thread: binds the listening socket and begins to join.
 * Completes once it listens (not once it has joined: see ::joined). */
void chorus_peer_start_async (ChorusPeer *peer, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean chorus_peer_start_finish (ChorusPeer *peer, GAsyncResult *result, GError **error);
/* After start: where it listens ("ADDR:PORT"). */
const char *chorus_peer_get_listen_address (ChorusPeer *peer);
/* The peers in the profile's bootstrap cache (§11.4: PROFILE/chorus.db,
 * the peers it was directly connected to, tried when no configured
 * bootstrap node answers); any thread. */
guint chorus_peer_get_bootstrap_cache_size (ChorusPeer *peer);

/* Before start: this peer offers the TURN server (RFC 5766) at @address,
 * "ADDR:PORT": it advertises it in TURN-SERVICE (RFC 6940 §9, the
 * configuration's turn-density) once joined.  A private (RFC 1918)
 * address is taken with a warning (§9: SHOULD NOT). */
gboolean chorus_peer_set_turn_server (ChorusPeer *peer, const char *address, GError **error);
/* Before start: the TURN credential this peer uses with every TURN server
 * (instead of the configuration's <chorus:turn-username>/-password). */
void chorus_peer_set_turn_credential (ChorusPeer *peer, const char *username, const char *password);
/* §9: looks for TURN servers now (Find and Fetch of TURN-SERVICE) and
 * gives {"turn_servers": [{"address", "port", "node_id", "iteration",
 * "resource_id", "expires_s"}], "turn_in_use"} to
 * chorus_peer_request_finish(). */
void chorus_peer_turn_servers_async (ChorusPeer *peer, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);

/* Leaves the overlay gracefully (§10.9) and ends the thread. */
void chorus_peer_stop_async (ChorusPeer *peer, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean chorus_peer_stop_finish (ChorusPeer *peer, GAsyncResult *result, GError **error);

/* {"node_id", "user", "overlay", "listen", "joined", "configuration_sequence", "predecessors",
 *  "successors", "fingers", "links", "turn_servers", "turn_in_use",
 *  "turn_advertising", "stored_items", "stored_resources", "uptime_s",
 *  "counters"} */
void chorus_peer_get_status_async (ChorusPeer *peer, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
JsonNode *chorus_peer_get_status_finish (ChorusPeer *peer, GAsyncResult *result, GError **error);

/* Stores @value at the resource named @resource_name (Resource-ID as
 * §10.2 hashes it) under @kind (a name of the overlay's kinds, or a
 * number), signed as this peer: a single value, an appended array entry,
 * or for a dictionary @value is "KEY=VALUE".  The kind's access control
 * at the responsible peer decides.  Result: the store_ans body. */
void chorus_peer_store_async (ChorusPeer *peer, const char *kind, const char *resource_name,
                              const char *value, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
/* Fetch: every value of @kind at the resource (fetch_ans body).  Stat: the
 * same as metadata (stat_ans).  Find (§7.4.4): @resource_name is where to
 * start; @kind may be NULL for all kinds (find_ans). */
void chorus_peer_fetch_async (ChorusPeer *peer, const char *kind, const char *resource_name,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
void chorus_peer_stat_async (ChorusPeer *peer, const char *kind, const char *resource_name,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
void chorus_peer_find_async (ChorusPeer *peer, const char *kind, const char *resource_name,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
/* Ping (§6.5.3) the node @target (32 hex digits) or, with a name
 * instead, the peer responsible for that resource: the ping_ans body
 * ({"response_id", "time"}) and "rtt_ms". */
void chorus_peer_ping_async (ChorusPeer *peer, const char *target, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
/* RFC 7851 PathTrack, hop by hop from this node to @target (a Node-ID
 * or a resource name): {"reached": bool, "hops": [{"node_id", "rtt_ms",
 * "routing_table_size", "uptime_s"}...]}, this node first. */
void chorus_peer_path_track_async (ChorusPeer *peer, const char *target, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
/* The result of store, fetch, stat, find, ping and path-track. */
JsonNode *chorus_peer_request_finish (ChorusPeer *peer, GAsyncResult *result, GError **error);

/* Hands the peer a new overlay configuration document (§6.5.4, §11.1):
 * verified as the successor of the one it holds (same overlay, newer
 * sequence, signed by one of its configuration-signers, valid, no unknown
 * mandatory extension), written to PROFILE/config.xml atomically and
 * applied at once (kinds, §11.1 parameters, configuration sequence); the
 * peer then sends it to its neighbours in ConfigUpdate, which spreads it
 * through the overlay.  Result: {"configuration_sequence",
 * "previous_sequence"}.  A document refused fails with
 * CHORUS_PEER_ERROR_RESPONSE, its message "Error_Name: why" (the RFC 6940
 * error a ConfigUpdate would get: Error_Config_Too_Old, Error_Forbidden,
 * Error_Incompatible_with_Overlay, Error_Invalid_Message). */
void chorus_peer_update_configuration_async (ChorusPeer *peer, GBytes *document,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
JsonNode *chorus_peer_update_configuration_finish (ChorusPeer *peer, GAsyncResult *result,
                                                   GError **error);

/* ---------------------------------------------------------------- calls */

/* Before start: this peer is a phone (chorus-phone.h): it registers @aor
 * (NULL: "sip:" + the certificate's user name; another user's AOR is
 * refused at start, RFC 7904 §3.2) once joined, takes calls (answering
 * them at once with @auto_answer), and plays @play ("tone:HZ" or an
 * audio file; NULL: the default input) and records what it hears to
 * @record (16-bit PCM WAV; NULL: the default output). */
gboolean chorus_peer_set_phone (ChorusPeer *peer, const char *aor, gboolean auto_answer,
                                const char *play, const char *record, GError **error);
/* Calls @target (an AOR, or a user of the overlay) and completes when the
 * call ends (hung up after @duration_s once answered; 0: when the other
 * side hangs up) with {"call", "answered", "status", "reason", "state",
 * "codec", "setup_ms", "rtt_ms", "jitter_ms", "loss", "duration_s", ...}
 * (chorus_peer_request_finish). */
void chorus_peer_call_async (ChorusPeer *peer, const char *target, guint duration_s,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
/* @action on call @id: "hangup" (@id 0: every call), "answer", "decline"
 * (603), "hold", "resume" (RFC 3264 §8.4), "mute", "unmute" (the
 * microphone).  Result: as calls. */
void chorus_peer_call_action_async (ChorusPeer *peer, const char *action, guint id,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
/* RFC 4733 events on answered call @id: @digits (0-9, *, #, A-D) one
 * after the other.  Result: as calls (whose "dtmf_received" shows what a
 * call heard). */
void chorus_peer_send_dtmf_async (ChorusPeer *peer, guint id, const char *digits,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
/* {"aor", "registered", "calls": [{"id", "direction", "remote", "state",
 * "codec", "setup_ms", "rtt_ms", "jitter_ms", "loss", "packets_received",
 * "duration_s", "status", "reason", "on_hold", "muted"}...]}. */
void chorus_peer_calls_async (ChorusPeer *peer, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
/* Before start: this peer is the adapter for plain SIP phones (RFC 7890
 * §3, chorus-sip-adapter.h) on @listen ("ADDR:PORT", UDP and TCP), for
 * the users of @users_file (lines USER:PASSWORD, not readable by others;
 * each user's certificate in PROFILE/sip-adapter/USER/).  Not with
 * chorus_peer_set_phone(). */
gboolean chorus_peer_set_sip_adapter (ChorusPeer *peer, const char *listen, const char *users_file,
                                      GError **error);
/* {"listen", "users": [{"user", "aor", "registered", "bindings": [...]}],
 * "calls": [...]} (chorus_sip_adapter_status_json()). */
void chorus_peer_adapter_status_async (ChorusPeer *peer, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
/* The sound devices of the phone's calls, the ones going on included
 * (gst-launch descriptions, media_devices_source_description(); NULL: the
 * default devices) and echo cancellation (from the next call); any time
 * (before start: kept for the phone). */
void chorus_peer_set_audio (ChorusPeer *peer, const char *source, const char *sink,
                            gboolean echo_cancel);
/* A short text message (RFC 3428 MESSAGE, text/plain) to every device of
 * @target; completes with {"message", "remote", "status", "reason"}:
 * "delivered" (a device took it), "not_registered" (404), "rejected", ... */
void chorus_peer_send_message_async (ChorusPeer *peer, const char *target, const char *text,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
/* {"messages": [{"from", "content_type", "text", "received"}...]}: the
 * messages received, oldest first. */
void chorus_peer_messages_async (ChorusPeer *peer, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);

G_END_DECLS
