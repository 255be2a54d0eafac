/* chorus-application.c: the softphone's application: its options, its
 * actions (what the window, the keyboard, notifications, D-Bus
 * activation and the UI tests all use), the first run and the session.
 *
 *   chorus [--profile DIR] [--listen ADDR:PORT] [--enroll-listen ADDR:PORT]
 *          [--play tone:HZ|FILE] [--record FILE.wav] [--ring-to FILE.wav]
 *          [--background] [--camera SOURCE] [URI...]
 *
 * URIs: chorus-invite: links join an overlay (first run), sip:/sips:
 * addresses go to the dial entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app"

#include "chorus-application.h"

#include <glib/gi18n.h>

#include "chorus-app-profile.h"
#include "chorus-app-session.h"
#include "chorus-aor.h"
#include "chorus-app-store.h"
#include "chorus-autostart.h"
#include "chorus-contact.h"
#include "chorus-enroll-client.h"
#include "chorus-invite.h"
#include "chorus-preferences.h"
#include "chorus-qr-scan.h"
#include "chorus-ringer.h"
#include "chorus-window.h"
#include "media-devices.h"

/* how long the camera is watched for an invitation's QR code */
#define CHORUS_APP_CAMERA_TIMEOUT_S 120

/* how long quitting waits for the Leave and the removal of the
 * registration before it goes anyway */
#define QUIT_TIMEOUT_S 5

struct _ChorusApplication
{
  AdwApplication parent_instance;

  char *base;
  char *listen;
  char *enroll_listen;
  char *play;
  char *record;
  ChorusAppStore *store;
  ChorusAppSession *session;
  GSettings *settings;   /* NULL when the schema is nowhere (defaults then) */
  MediaDevices *devices; /* the sound devices, for the preferences and the calls */
  ChorusRinger *ringer;
  char *ring_to;           /* --ring-to FILE.wav: the ringtone recorded (headless) */
  gboolean held;           /* running in the background with no window */
  gboolean background;     /* --background: no window at the start (login) */
  char *camera;            /* --camera: the camera's gst-launch source (NULL: v4l2src) */
  GCancellable *first_run; /* joining or scanning, while the welcome waits */
  GHashTable *notified;    /* incoming call ids already announced */
  gboolean busy;           /* creating or joining */
  gboolean quitting;
};

G_DEFINE_FINAL_TYPE (ChorusApplication, chorus_application, ADW_TYPE_APPLICATION)

static gint64 started_us;

double
chorus_application_uptime_ms (void)
{
  return (g_get_monotonic_time () - started_us) / 1000.0;
}

static void
window_mapped (GtkWidget *window)
{
  static gboolean once;
  if (!once)
    g_message ("window shown %.1f ms after the start", chorus_application_uptime_ms ());
  once = TRUE;
}

static void
session_state (ChorusAppSession *session, GParamSpec *pspec, gpointer user_data)
{
  static gboolean once;
  if (!once && chorus_app_session_get_state (session) == CHORUS_APP_STATE_ONLINE)
    {
      once = TRUE;
      g_message ("online %.1f ms after the start", chorus_application_uptime_ms ());
    }
}

/* The app's settings: the installed schema, else the one an uninstalled
 * build compiled (data/meson.build), else none (the defaults). */
static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
      installed ? g_settings_schema_source_lookup (installed, CHORUS_APP_ID, TRUE) : NULL;
  if (schema == NULL)
    {
      g_autoptr (GSettingsSchemaSource) build = g_settings_schema_source_new_from_directory (
          CHORUS_BUILD_SCHEMA_DIR, installed, FALSE, NULL);
      schema = build ? g_settings_schema_source_lookup (build, CHORUS_APP_ID, FALSE) : NULL;
    }
  if (schema == NULL)
    {
      g_message ("no settings schema %s: the defaults apply", CHORUS_APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

/* The chosen devices (by their stable ids, media-devices.h) for the next
 * calls; one that is away now: the default until it comes back. */
static void
apply_devices (ChorusApplication *self)
{
  if (self->session == NULL || self->settings == NULL)
    return;
  g_autofree char *in = g_settings_get_string (self->settings, "audio-input-device");
  g_autofree char *out = g_settings_get_string (self->settings, "audio-output-device");
  g_autoptr (GError) error = NULL;
  g_autofree char *source = media_devices_source_description (self->devices, in, &error);
  if (source == NULL)
    g_message ("microphone %s: %s; the default one for now", in, error->message);
  g_clear_error (&error);
  g_autofree char *sink = media_devices_sink_description (self->devices, out, &error);
  if (sink == NULL)
    g_message ("speaker %s: %s; the default one for now", out, error->message);
  chorus_app_session_set_devices (self->session, source, sink,
                                  g_settings_get_boolean (self->settings, "echo-cancellation"));
}

/* With "run in the background", closing the window keeps the peer (and
 * the calls that may come) running. */
static gboolean
window_close_request (GtkWindow *window, ChorusApplication *self)
{
  if (self->quitting || self->session == NULL || self->settings == NULL
      || !g_settings_get_boolean (self->settings, "run-in-background"))
    return FALSE;
  if (!self->held)
    {
      self->held = TRUE;
      g_application_hold (G_APPLICATION (self));
    }
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  g_message ("running in the background");
  return TRUE;
}

static ChorusWindow *
main_window (ChorusApplication *self)
{
  GtkWindow *w = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (w == NULL)
    {
      w = GTK_WINDOW (chorus_window_new (GTK_APPLICATION (self)));
      g_signal_connect (w, "close-request", G_CALLBACK (window_close_request), self);
      g_signal_connect (w, "map", G_CALLBACK (window_mapped), NULL);
      if (self->session != NULL)
        chorus_window_show_main (CHORUS_WINDOW (w), self->session, self->store);
      else
        chorus_window_show_welcome (CHORUS_WINDOW (w));
    }
  return CHORUS_WINDOW (w);
}

/* ---------------------------------------------------------------- session */

static void
announce_incoming (ChorusApplication *self, JsonNode *calls)
{
  JsonArray *list = json_object_get_array_member (json_node_get_object (calls), "calls");
  gboolean ringing = FALSE;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);
      guint id = (guint) json_object_get_int_member_with_default (c, "id", 0);
      g_autofree char *nid = g_strdup_printf ("call-%u", id);
      const char *state = json_object_get_string_member_with_default (c, "state", "");
      gboolean incoming =
          g_strcmp0 (json_object_get_string_member_with_default (c, "direction", ""), "incoming")
          == 0;
      if (incoming && g_str_equal (state, "ringing"))
        {
          ringing = TRUE;
          if (g_hash_table_contains (self->notified, GUINT_TO_POINTER (id)))
            continue;
          g_hash_table_add (self->notified, GUINT_TO_POINTER (id));
          const char *remote = json_object_get_string_member_with_default (c, "remote", "");
          g_autoptr (ChorusContact) contact =
              self->store ? chorus_app_store_find_contact (self->store, remote) : NULL;
          g_autoptr (GNotification) n = g_notification_new (_ ("Incoming call"));
          g_notification_set_body (n, contact ? chorus_contact_get_name (contact) : remote);
          g_notification_set_priority (n, G_NOTIFICATION_PRIORITY_URGENT);
          g_notification_set_category (n, "call.incoming");
          g_notification_add_button_with_target (n, _ ("Answer"), "app.answer-call", "u", id);
          g_notification_add_button_with_target (n, _ ("Decline"), "app.decline-call", "u", id);
          g_notification_set_default_action (n, "app.activate");
          g_application_send_notification (G_APPLICATION (self), nid, n);
          g_message ("incoming call %u from %s", id, remote);
          /* the window comes up with the call on it; with no user action
           * behind it (no activation token), the window manager's focus
           * stealing prevention keeps the keyboard where the user types
           * and marks the window as demanding attention instead */
          ChorusWindow *window = main_window (self);
          chorus_window_show_page (window, "calls");
          if (!gtk_window_is_active (GTK_WINDOW (window)))
            gtk_window_present (GTK_WINDOW (window));
        }
      else if (g_hash_table_remove (self->notified, GUINT_TO_POINTER (id)))
        {
          g_application_withdraw_notification (G_APPLICATION (self), nid);
          gboolean answered = json_object_has_member (c, "setup_ms")
                              && !json_object_get_null_member (c, "setup_ms");
          const char *reason = json_object_get_string_member_with_default (c, "reason", "");
          gboolean turned_down =
              g_str_equal (reason, "declined") || g_str_equal (reason, "local_hangup");
          if (g_str_equal (state, "ended") && !answered && !turned_down)
            {
              /* a missed call: it stays until seen, with a way to call back */
              const char *remote = json_object_get_string_member_with_default (c, "remote", "");
              g_autoptr (ChorusContact) contact =
                  self->store ? chorus_app_store_find_contact (self->store, remote) : NULL;
              g_autoptr (GNotification) n = g_notification_new (_ ("Missed call"));
              g_notification_set_body (n, contact ? chorus_contact_get_name (contact) : remote);
              g_notification_set_category (n, "call.unanswered");
              g_notification_add_button_with_target (n, _ ("Call Back"), "app.call", "s", remote);
              g_notification_set_default_action_and_target (n, "app.show-page", "s", "history");
              g_autofree char *mid = g_strdup_printf ("missed-%u", id);
              g_application_send_notification (G_APPLICATION (self), mid, n);
              g_message ("missed call %u from %s", id, remote);
            }
        }
    }
  /* the ringtone while a call rings here, on the ring device */
  if (ringing && !chorus_ringer_is_ringing (self->ringer))
    {
      g_autofree char *device =
          self->settings ? g_settings_get_string (self->settings, "ring-device") : NULL;
      g_autofree char *quoted = self->ring_to ? g_strescape (self->ring_to, NULL) : NULL;
      g_autofree char *sink = quoted ? g_strdup_printf ("wavenc ! filesink location=\"%s\"", quoted)
                                     : media_devices_sink_description (self->devices, device, NULL);
      chorus_ringer_set_sink (self->ringer, sink);
      chorus_ringer_start (self->ringer);
    }
  else if (!ringing)
    chorus_ringer_stop (self->ringer);
}

static gboolean
start_session (ChorusApplication *self, GError **error)
{
  g_autofree char *store_path = chorus_app_profile_store_path (self->base);
  if (self->store == NULL)
    {
      self->store = chorus_app_store_open (store_path, error);
      if (self->store == NULL)
        return FALSE;
    }
  g_autoptr (ChorusAppSession) session =
      chorus_app_session_new (self->base, self->listen, self->enroll_listen, self->store);
  chorus_app_session_set_audio (session, self->play, self->record);
  if (!chorus_app_session_start (session, error))
    return FALSE;
  self->session = g_steal_pointer (&session);
  apply_devices (self);
  g_signal_connect_swapped (self->session, "calls-changed", G_CALLBACK (announce_incoming), self);
  g_signal_connect (self->session, "notify::state", G_CALLBACK (session_state), NULL);
  chorus_window_show_main (main_window (self), self->session, self->store);
  return TRUE;
}

static void
show_first_run_error (ChorusApplication *self, const char *message)
{
  self->busy = FALSE;
  g_message ("first run: %s", message);
  /* the libraries' messages are written for the command line too: a
   * sentence here */
  g_autofree char *sentence = g_strdup (message);
  if (g_ascii_islower (sentence[0]))
    sentence[0] = g_ascii_toupper (sentence[0]);
  chorus_window_show_welcome_error (main_window (self), sentence);
}

static void
profile_ready (ChorusApplication *self, GError *error)
{
  if (error == NULL)
    {
      self->busy = FALSE;
      g_autoptr (GError) local = NULL;
      if (!start_session (self, &local))
        show_first_run_error (self, local->message);
      return;
    }
  show_first_run_error (self, error->message);
}

static void
created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ChorusApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  chorus_app_profile_create_finish (result, &error);
  profile_ready (self, error);
}

static void
joined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ChorusApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusEnrollResult) r = chorus_enroll_join_finish (result, &error);
  if (r == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->busy = FALSE;
      chorus_window_show_welcome (main_window (self));
      return;
    }
  if (r != NULL)
    g_message ("joined %s as %s", r->overlay, r->user);
  profile_ready (self, error);
}

/* ---------------------------------------------------------------- actions */

static void
create_overlay (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session != NULL || self->busy)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree char *user =
      chorus_app_profile_user_name (g_variant_get_string (parameter, NULL), &error);
  if (user == NULL)
    {
      show_first_run_error (self, error->message);
      return;
    }
  self->busy = TRUE;
  chorus_window_show_busy (main_window (self), _ ("Creating your overlay"));
  chorus_app_profile_create_async (
      self->base, user, self->listen ? self->listen : CHORUS_APP_DEFAULT_LISTEN,
      self->enroll_listen ? self->enroll_listen : CHORUS_APP_DEFAULT_ENROLL_LISTEN, NULL, created,
      g_object_ref (self));
}

static void
join_overlay (ChorusApplication *self, const char *link)
{
  if (self->session != NULL || self->busy)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (link));
  g_autoptr (ChorusInvite) invite = chorus_invite_parse (trimmed, &error);
  if (invite == NULL)
    {
      show_first_run_error (self, error->message);
      return;
    }
  self->busy = TRUE;
  chorus_window_show_busy (main_window (self), _ ("Joining the overlay"));
  g_autofree char *peer_dir = chorus_app_profile_peer_dir (self->base);
  g_clear_object (&self->first_run);
  self->first_run = g_cancellable_new ();
  chorus_enroll_join_async (trimmed, peer_dir, self->first_run, joined, g_object_ref (self));
}

static void
scanned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ChorusApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *link = chorus_qr_scan_file_finish (result, &error);
  self->busy = FALSE;
  if (link == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      chorus_window_show_welcome (main_window (self));
      return;
    }
  if (link == NULL)
    {
      show_first_run_error (self, error->message);
      return;
    }
  g_message ("QR code read: %s", link);
  join_overlay (self, link);
}

/* an invitation's QR code in front of the camera */
static void
join_from_camera_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session != NULL || self->busy)
    return;
  self->busy = TRUE;
  g_clear_object (&self->first_run);
  self->first_run = g_cancellable_new ();
  chorus_window_show_busy (main_window (self),
                           _ ("Hold the invitation’s QR code in front of the camera"));
  chorus_qr_scan_camera_async (self->camera, CHORUS_APP_CAMERA_TIMEOUT_S, self->first_run, scanned,
                               g_object_ref (self));
}

static void
cancel_first_run_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->first_run != NULL)
    g_cancellable_cancel (self->first_run);
}

/* an invitation from a picture of its QR code */
static void
join_from_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session != NULL || self->busy)
    return;
  self->busy = TRUE;
  chorus_window_show_busy (main_window (self), _ ("Reading the invitation"));
  chorus_qr_scan_file_async (g_variant_get_string (parameter, NULL), NULL, scanned,
                             g_object_ref (self));
}

static void
join_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  join_overlay (user_data, g_variant_get_string (parameter, NULL));
}

static void
call_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree char *aor =
      chorus_aor_normalize (g_variant_get_string (parameter, NULL),
                            chorus_app_session_get_overlay (self->session), &error);
  if (aor == NULL)
    {
      g_message ("call: %s", error->message);
      return;
    }
  g_message ("calling %s", aor);
  chorus_app_session_call (self->session, aor);
}

static void
call_id_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session == NULL)
    return;
  /* "answer-call" -> "answer" */
  g_autofree char *verb = g_strdup (g_action_get_name (G_ACTION (action)));
  *strchr (verb, '-') = '\0';
  chorus_app_session_call_action (self->session, verb, g_variant_get_uint32 (parameter));
}

/* Ctrl+Y, Ctrl+D: the incoming call that rings; hang up: every call */
static void
ringing_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  JsonNode *calls = self->session ? chorus_app_session_get_calls (self->session) : NULL;
  JsonArray *list =
      calls ? json_object_get_array_member (json_node_get_object (calls), "calls") : NULL;
  const char *verb = g_action_get_name (G_ACTION (action));
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (c, "state", ""), "ringing") == 0
          && g_strcmp0 (json_object_get_string_member_with_default (c, "direction", ""), "incoming")
                 == 0)
        {
          chorus_app_session_call_action (
              self->session, verb, (guint) json_object_get_int_member_with_default (c, "id", 0));
          return;
        }
    }
}

static void
dtmf_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  guint id = 0;
  const char *digits = NULL;
  g_variant_get (parameter, "(u&s)", &id, &digits);
  if (self->session != NULL)
    chorus_app_session_send_dtmf (self->session, id, digits);
}

static void
hangup_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session != NULL)
    chorus_app_session_call_action (self->session, "hangup", 0);
}

static void
invite_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->session == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree char *user =
      chorus_app_profile_user_name (g_variant_get_string (parameter, NULL), &error);
  g_autofree char *link = user ? chorus_app_session_invite (self->session, user, &error) : NULL;
  if (link == NULL)
    {
      g_message ("invitation: %s", error->message);
      return;
    }
  /* the link in the log too: an administrator's record of who was invited */
  g_message ("invitation for %s: %s", user, link);
  chorus_window_show_invite (main_window (self), link);
}

static void
add_contact_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  const char *name = NULL, *aor = NULL;
  g_variant_get (parameter, "(&s&s)", &name, &aor);
  g_autoptr (GError) error = NULL;
  if (self->store != NULL && chorus_app_store_add_contact (self->store, name, aor, &error) <= 0)
    g_message ("contact: %s", error->message);
  else if (self->store != NULL)
    g_message ("contact added: %s", aor);
}

static void
delete_contact_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  g_autoptr (GError) error = NULL;
  if (self->store != NULL
      && !chorus_app_store_delete_contact (self->store, g_variant_get_int64 (parameter), &error))
    g_message ("contact: %s", error->message);
}

static void
activate_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
show_page_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusWindow *window = main_window (user_data);
  chorus_window_show_page (window, g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (window));
}

/* What the window shows, as a PNG (the UI test's artefacts, the README's
 * pictures). */
static void
screenshot_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  const char *path = g_variant_get_string (parameter, NULL);
  if (chorus_window_save_screenshot (main_window (user_data), path, &error))
    g_message ("screenshot %s", path);
  else
    g_message ("screenshot %s: %s", path, error->message);
}

static void
preferences_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->settings == NULL)
    return;
  ChorusPreferences *prefs =
      chorus_preferences_new (GTK_WINDOW (main_window (self)), self->settings, self->devices);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  const char *developers[] = { "The Chorus developers", NULL };
  GtkWidget *about = adw_about_window_new ();
  g_object_set (about, "application-name", _ ("Chorus"), "application-icon", CHORUS_APP_ID,
                "version", PACKAGE_VERSION, "developers", developers, "license-type",
                GTK_LICENSE_GPL_3_0, "comments",
                _ ("Calls over a peer-to-peer SIP overlay (RFC 7890), with no server anywhere"),
                "transient-for", main_window (self), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ChorusApplication) self = user_data;
  g_autoptr (GError) error = NULL;
  if (!chorus_app_session_stop_finish (CHORUS_APP_SESSION (source), result, &error))
    g_message ("leaving the overlay: %s", error->message);
  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  ChorusApplication *self = user_data;
  if (self->quitting)
    return;
  self->quitting = TRUE;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_widget_set_visible (GTK_WIDGET (l->data), FALSE);
  if (self->session == NULL)
    {
      if (self->held)
        g_application_release (G_APPLICATION (self));
      self->held = FALSE;
      g_application_quit (G_APPLICATION (self));
      return;
    }
  /* leave the overlay and remove the registration first (§10.9, RFC 7904
   * §3): the others stop routing calls here at once */
  if (self->held)
    {
      self->held = FALSE;
      g_application_release (G_APPLICATION (self));
    }
  g_application_hold (G_APPLICATION (self));
  chorus_app_session_stop_async (self->session, stopped, g_object_ref (self));
}

static const GActionEntry app_actions[] = {
  { "create-overlay", create_overlay, "s" },
  { "join", join_action, "s" },
  { "join-from-image", join_from_image_action, "s" },
  { "join-from-camera", join_from_camera_action },
  { "cancel-first-run", cancel_first_run_action },
  { "call", call_action, "s" },
  { "answer-call", call_id_action, "u" },
  { "decline-call", call_id_action, "u" },
  { "hangup-call", call_id_action, "u" },
  { "hold-call", call_id_action, "u" },
  { "resume-call", call_id_action, "u" },
  { "mute-call", call_id_action, "u" },
  { "unmute-call", call_id_action, "u" },
  { "send-dtmf", dtmf_action, "(us)" },
  { "answer", ringing_action },
  { "decline", ringing_action },
  { "hangup", hangup_action },
  { "invite", invite_action, "s" },
  { "add-contact", add_contact_action, "(ss)" },
  { "delete-contact", delete_contact_action, "x" },
  { "activate", activate_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "show-page", show_page_action, "s" },
  { "screenshot", screenshot_action, "s" },
  { "quit", quit_action },
};

/* ---------------------------------------------------------------- GApplication */

static void
start_on_login_changed (GSettings *settings, const char *key, ChorusApplication *self)
{
  g_autoptr (GError) error = NULL;
  gboolean enabled = g_settings_get_boolean (settings, key);
  if (!chorus_autostart_set (enabled, NULL, &error))
    g_message ("start on login: %s", error->message);
  else
    g_message ("start on login: %s", enabled ? "on" : "off");
}

static void
chorus_application_startup (GApplication *app)
{
  ChorusApplication *self = CHORUS_APPLICATION (app);
  G_APPLICATION_CLASS (chorus_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  static const char *quit[] = { "<Control>q", NULL };
  static const char *answer[] = { "<Control>y", NULL };
  static const char *decline[] = { "<Control>d", NULL };
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.answer", answer);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.decline", decline);
  static const char *prefs[] = { "<Control>comma", NULL };
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs);
  self->settings = load_settings ();
  self->devices = media_devices_new ();
  self->ringer = chorus_ringer_new ();
  g_autoptr (GError) devices_error = NULL;
  if (!media_devices_start (self->devices, &devices_error))
    g_message ("sound devices: %s", devices_error->message);
  if (self->settings != NULL)
    {
      g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (apply_devices), self);
      g_signal_connect (self->settings, "changed::start-on-login",
                        G_CALLBACK (start_on_login_changed), self);
    }
  if (self->base == NULL)
    self->base = chorus_app_profile_default_dir ();
  if (chorus_app_profile_is_ready (self->base))
    {
      g_autoptr (GError) error = NULL;
      if (!start_session (self, &error))
        show_first_run_error (self, error->message);
    }
}

static void
chorus_application_activate (GApplication *app)
{
  ChorusApplication *self = CHORUS_APPLICATION (app);
  if (self->background && self->session != NULL)
    {
      /* started at login: reachable for calls, no window until asked */
      self->background = FALSE;
      if (!self->held)
        {
          self->held = TRUE;
          g_application_hold (app);
        }
      g_message ("running in the background");
      return;
    }
  self->background = FALSE;
  gtk_window_present (GTK_WINDOW (main_window (self)));
}

static void
chorus_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  ChorusApplication *self = CHORUS_APPLICATION (app);
  ChorusWindow *window = main_window (self);
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      if (g_str_has_prefix (uri, CHORUS_INVITE_SCHEME ":"))
        join_overlay (self, uri);
      else if (g_str_has_prefix (uri, "sip:") || g_str_has_prefix (uri, "sips:"))
        chorus_window_set_dial (window, uri);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static gint
chorus_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  ChorusApplication *self = CHORUS_APPLICATION (app);
  g_variant_dict_lookup (options, "profile", "^ay", &self->base);
  g_variant_dict_lookup (options, "listen", "s", &self->listen);
  g_variant_dict_lookup (options, "enroll-listen", "s", &self->enroll_listen);
  g_variant_dict_lookup (options, "play", "s", &self->play);
  g_variant_dict_lookup (options, "record", "^ay", &self->record);
  g_variant_dict_lookup (options, "ring-to", "^ay", &self->ring_to);
  g_variant_dict_lookup (options, "background", "b", &self->background);
  g_variant_dict_lookup (options, "camera", "s", &self->camera);
  return -1;
}

static void
chorus_application_finalize (GObject *object)
{
  ChorusApplication *self = CHORUS_APPLICATION (object);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->devices);
  g_clear_object (&self->ringer);
  g_free (self->ring_to);
  g_free (self->camera);
  g_clear_object (&self->first_run);
  g_hash_table_unref (self->notified);
  g_free (self->base);
  g_free (self->listen);
  g_free (self->enroll_listen);
  g_free (self->play);
  g_free (self->record);
  G_OBJECT_CLASS (chorus_application_parent_class)->finalize (object);
}

static void
chorus_application_class_init (ChorusApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  object_class->finalize = chorus_application_finalize;
  app_class->startup = chorus_application_startup;
  app_class->activate = chorus_application_activate;
  app_class->open = chorus_application_open;
  app_class->handle_local_options = chorus_application_handle_local_options;
}

static void
chorus_application_init (ChorusApplication *self)
{
  self->notified = g_hash_table_new (g_direct_hash, g_direct_equal);
  const GOptionEntry options[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_ ("The app's directory (default: ~/.local/share/chorus/home)"), N_ ("DIR") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_ ("Where the peer listens (default: 127.0.0.1:6084 for the overlay's creator, a free "
          "loopback port otherwise)"),
      N_ ("ADDR:PORT") },
    { "enroll-listen", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_ ("Where the built-in enrollment server listens (default: 127.0.0.1:6085)"),
      N_ ("ADDR:PORT") },
    { "play", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_ ("What calls send instead of the microphone: tone:HZ or an audio file"), N_ ("SOURCE") },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_ ("Record what calls hear to this WAV file instead of the speakers"), N_ ("FILE") },
    { "camera", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_ ("The camera for QR codes, a GStreamer source (default: v4l2src)"), N_ ("SOURCE") },
    { "background", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_ ("Start without a window, reachable for calls (start on login)"), NULL },
    { "ring-to", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_ ("Write the ringtone to this WAV file instead of the ring device"), N_ ("FILE") },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

ChorusApplication *
chorus_application_new (void)
{
  if (started_us == 0)
    started_us = g_get_monotonic_time ();
  return g_object_new (CHORUS_TYPE_APPLICATION, "application-id", CHORUS_APP_ID, "flags",
                       G_APPLICATION_HANDLES_OPEN, "resource-base-path",
                       "/io/github/chorusp2p/Chorus", NULL);
}
