/* chorus-app-session.h: the softphone's peer, as the UI sees it.
 *
 * Owns the ChorusPeer (its own thread: nothing here blocks on the
 * network), the built-in enrollment server when this device created the
 * overlay, and the call history it writes from the peer's call events.
 * Everything here runs on the UI's main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "chorus-app-store.h"

G_BEGIN_DECLS

typedef enum
{
  CHORUS_APP_STATE_OFFLINE,
  CHORUS_APP_STATE_CONNECTING,
  CHORUS_APP_STATE_ONLINE,
} ChorusAppState;

#define CHORUS_TYPE_APP_SESSION (chorus_app_session_get_type ())
G_DECLARE_FINAL_TYPE (ChorusAppSession, chorus_app_session, CHORUS, APP_SESSION, GObject)

/* The session of the app directory @base (chorus-app-profile.h), whose
 * peer listens on @listen (NULL: the creator on
 * CHORUS_APP_DEFAULT_LISTEN, others on a free loopback port) and whose
 * enrollment server, when it has one, on @enroll_listen. */
ChorusAppSession *chorus_app_session_new (const char *base, const char *listen,
                                          const char *enroll_listen, ChorusAppStore *store);
/* Before start: what calls play ("tone:HZ" or a file) and where what is
 * heard goes (a WAV file) instead of the sound devices (headless runs). */
void chorus_app_session_set_audio (ChorusAppSession *self, const char *play, const char *record);
/* Starts the peer (a phone for the certificate's AOR) and, for the
 * overlay's creator, the enrollment server. */
gboolean chorus_app_session_start (ChorusAppSession *self, GError **error);
void chorus_app_session_stop_async (ChorusAppSession *self, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean chorus_app_session_stop_finish (ChorusAppSession *self, GAsyncResult *result,
                                         GError **error);

ChorusAppState chorus_app_session_get_state (ChorusAppSession *self);
/* "Online", "Connecting", "Offline: ..." for the header bar */
const char *chorus_app_session_get_state_label (ChorusAppSession *self);
const char *chorus_app_session_get_aor (ChorusAppSession *self);
const char *chorus_app_session_get_overlay (ChorusAppSession *self);
gboolean chorus_app_session_is_creator (ChorusAppSession *self);
/* the last calls snapshot ({"aor", "registered", "calls": [...]}), or NULL */
JsonNode *chorus_app_session_get_calls (ChorusAppSession *self);

/* The sound devices of the next calls (gst-launch descriptions; NULL:
 * the defaults) and echo cancellation. */
void chorus_app_session_set_devices (ChorusAppSession *self, const char *source, const char *sink,
                                     gboolean echo_cancel);
/* Asks the peer for the calls now (durations and RTCP figures move
 * without state changes): ::calls-changed follows. */
void chorus_app_session_refresh_calls (ChorusAppSession *self);
/* Calls @aor; the call shows in ::calls-changed. */
void chorus_app_session_call (ChorusAppSession *self, const char *aor);
/* "answer", "decline", "hangup", "hold", "resume" on call @id. */
void chorus_app_session_call_action (ChorusAppSession *self, const char *action, guint id);
void chorus_app_session_send_dtmf (ChorusAppSession *self, guint id, const char *digits);
/* The overlay's status (chorus_peer_get_status_async's JSON). */
void chorus_app_session_status_async (ChorusAppSession *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
JsonNode *chorus_app_session_status_finish (ChorusAppSession *self, GAsyncResult *result,
                                            GError **error);
/* The creator's invitation for @user: the enrollment link. */
char *chorus_app_session_invite (ChorusAppSession *self, const char *user, GError **error);

G_END_DECLS
