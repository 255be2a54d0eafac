/* chorus-app-profile.h: where the softphone keeps its things, and its
 * first run.
 *
 * The app's directory (--profile DIR; default $XDG_DATA_HOME/chorus/home,
 * the one tools/run-chorus.sh uses too) holds:
 *   peer/    the peer's profile (ca.pem, cert.pem, key.pem, config.xml,
 *            chorus.db with the bootstrap cache)
 *   ca/      the overlay's CA and enrollment data, when this device
 *            created the overlay ("Start a new overlay")
 *   app.db   contacts and call history (app/store/)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* the overlay a first run creates (the embedded default) */
#define CHORUS_APP_HOME_OVERLAY "home.chorus"
#define CHORUS_APP_DEFAULT_LISTEN "127.0.0.1:6084"
#define CHORUS_APP_DEFAULT_ENROLL_LISTEN "127.0.0.1:6085"

char *chorus_app_profile_default_dir (void);
char *chorus_app_profile_peer_dir (const char *base);
char *chorus_app_profile_ca_dir (const char *base);
char *chorus_app_profile_store_path (const char *base);
/* The peer's profile has a certificate. */
gboolean chorus_app_profile_is_ready (const char *base);
/* This device holds the overlay's CA (it invites). */
gboolean chorus_app_profile_is_creator (const char *base);

/* A user name as a certificate takes it: lower case letters, digits,
 * '.', '-', '_' (1 to 64); refuses anything else with a message for the
 * user. */
char *chorus_app_profile_user_name (const char *display_name, GError **error);

/* "Start a new overlay": in a worker thread, creates the home overlay in
 * BASE/ca (root CA, signed configuration with @listen as its bootstrap
 * node, the enrollment server at https://@enroll_listen/enroll, the local
 * link's multicast bootstrap) and issues this device's profile for
 * @user@home.chorus into BASE/peer. */
void chorus_app_profile_create_async (const char *base, const char *user, const char *listen,
                                      const char *enroll_listen, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean chorus_app_profile_create_finish (GAsyncResult *result, GError **error);

G_END_DECLS
