/* chorus-app-session.c: the softphone's peer, its enrollment server and
 * its call history.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app"

#include "chorus-app-session.h"

#include <glib/gi18n.h>

#include "chorus-app-profile.h"
#include "chorus-enroll-admin.h"
#include "chorus-enroll-server.h"
#include "chorus-peer.h"

/* how often the overlay's status is asked for while not joined */
#define CONNECTING_POLL_S 2

struct _ChorusAppSession
{
  GObject parent_instance;

  char *base;
  char *listen;
  char *enroll_listen;
  char *play;
  char *record;
  ChorusAppStore *store;

  ChorusPeer *peer;
  ChorusEnrollServer *enroll_server;
  ChorusAppState state;
  char *state_label;
  char *aor;
  char *overlay;
  gboolean joined;
  gboolean registered;
  JsonNode *calls;
  GHashTable *logged; /* call ids already in the history */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (ChorusAppSession, chorus_app_session, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_STATE_LABEL,
  PROP_AOR,
  PROP_OVERLAY,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_CALLS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
chorus_app_session_dispose (GObject *object)
{
  ChorusAppSession *self = CHORUS_APP_SESSION (object);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->peer);
  g_clear_object (&self->enroll_server);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (chorus_app_session_parent_class)->dispose (object);
}

static void
chorus_app_session_finalize (GObject *object)
{
  ChorusAppSession *self = CHORUS_APP_SESSION (object);
  g_free (self->base);
  g_free (self->listen);
  g_free (self->enroll_listen);
  g_free (self->play);
  g_free (self->record);
  g_free (self->state_label);
  g_free (self->aor);
  g_free (self->overlay);
  g_clear_pointer (&self->calls, json_node_unref);
  g_hash_table_unref (self->logged);
  g_object_unref (self->cancellable);
  G_OBJECT_CLASS (chorus_app_session_parent_class)->finalize (object);
}

static void
chorus_app_session_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  ChorusAppSession *self = CHORUS_APP_SESSION (object);
  switch (id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_STATE_LABEL:
      g_value_set_string (value, self->state_label);
      break;
    case PROP_AOR:
      g_value_set_string (value, self->aor);
      break;
    case PROP_OVERLAY:
      g_value_set_string (value, self->overlay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
chorus_app_session_class_init (ChorusAppSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = chorus_app_session_dispose;
  object_class->finalize = chorus_app_session_finalize;
  object_class->get_property = chorus_app_session_get_property;
  props[PROP_STATE] =
      g_param_spec_int ("state", NULL, NULL, CHORUS_APP_STATE_OFFLINE, CHORUS_APP_STATE_ONLINE,
                        CHORUS_APP_STATE_OFFLINE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_STATE_LABEL] = g_param_spec_string ("state-label", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_AOR] =
      g_param_spec_string ("aor", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_OVERLAY] =
      g_param_spec_string ("overlay", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[SIGNAL_CALLS_CHANGED] =
      g_signal_new ("calls-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, JSON_TYPE_NODE);
}

static void
chorus_app_session_init (ChorusAppSession *self)
{
  self->logged = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->cancellable = g_cancellable_new ();
  self->state_label = g_strdup (_ ("Offline"));
}

ChorusAppSession *
chorus_app_session_new (const char *base, const char *listen, const char *enroll_listen,
                        ChorusAppStore *store)
{
  ChorusAppSession *self = g_object_new (CHORUS_TYPE_APP_SESSION, NULL);
  self->base = g_strdup (base);
  self->listen = g_strdup (listen);
  self->enroll_listen = g_strdup (enroll_listen);
  self->store = store ? g_object_ref (store) : NULL;
  return self;
}

void
chorus_app_session_set_audio (ChorusAppSession *self, const char *play, const char *record)
{
  g_free (self->play);
  self->play = g_strdup (play);
  g_free (self->record);
  self->record = g_strdup (record);
}

static void
set_state (ChorusAppSession *self, ChorusAppState state, const char *label)
{
  if (self->state == state && g_strcmp0 (self->state_label, label) == 0)
    return;
  self->state = state;
  g_free (self->state_label);
  self->state_label = g_strdup (label);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE_LABEL]);
}

/* "Online" once joined and registered: a call can reach this device */
static void
update_state (ChorusAppSession *self)
{
  if (self->peer == NULL)
    set_state (self, CHORUS_APP_STATE_OFFLINE, _ ("Offline"));
  else if (self->joined && self->registered)
    set_state (self, CHORUS_APP_STATE_ONLINE, _ ("Online"));
  else
    set_state (self, CHORUS_APP_STATE_CONNECTING, _ ("Connecting"));
}

/* A call that ended goes into the history once: missed when an incoming
 * call was never answered. */
static void
log_ended_calls (ChorusAppSession *self, JsonArray *calls)
{
  if (self->store == NULL)
    return;
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *c = json_array_get_object_element (calls, i);
      guint id = (guint) json_object_get_int_member_with_default (c, "id", 0);
      if (g_strcmp0 (json_object_get_string_member_with_default (c, "state", ""), "ended") != 0
          || g_hash_table_contains (self->logged, GUINT_TO_POINTER (id)))
        continue;
      g_hash_table_add (self->logged, GUINT_TO_POINTER (id));
      gboolean outgoing =
          g_strcmp0 (json_object_get_string_member_with_default (c, "direction", ""), "outgoing")
          == 0;
      gboolean answered =
          json_object_has_member (c, "setup_ms") && !json_object_get_null_member (c, "setup_ms");
      double duration =
          answered ? json_object_get_double_member_with_default (c, "duration_s", 0) : 0;
      const char *remote = json_object_get_string_member_with_default (c, "remote", "");
      const char *reason = json_object_get_string_member_with_default (c, "reason", NULL);
      /* a call this user turned down was not missed: it was seen */
      gboolean turned_down =
          g_strcmp0 (reason, "declined") == 0 || g_strcmp0 (reason, "local_hangup") == 0;
      ChorusCallDirection dir = outgoing                  ? CHORUS_CALL_OUTGOING
                                : answered || turned_down ? CHORUS_CALL_INCOMING
                                                          : CHORUS_CALL_MISSED;
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autoptr (GDateTime) started = g_date_time_add_seconds (now, -duration);
      g_autoptr (GError) error = NULL;
      g_autofree char *aor = chorus_aor_normalize (remote, self->overlay, NULL);
      if (chorus_app_store_add_call (self->store, dir, aor ? aor : remote, started,
                                     (guint) (duration + 0.5), answered ? "answered" : reason,
                                     &error)
          < 0)
        g_warning ("call history: %s", error->message);
    }
}

static void
peer_calls_changed (ChorusPeer *peer, JsonNode *calls, gpointer user_data)
{
  ChorusAppSession *self = user_data;
  g_clear_pointer (&self->calls, json_node_unref);
  self->calls = json_node_ref (calls);
  JsonObject *o = json_node_get_object (calls);
  self->registered = json_object_get_boolean_member_with_default (o, "registered", FALSE);
  update_state (self);
  JsonArray *list = json_object_get_array_member (o, "calls");
  if (list != NULL)
    log_ended_calls (self, list);
  g_signal_emit (self, signals[SIGNAL_CALLS_CHANGED], 0, calls);
}

static void
peer_joined (ChorusPeer *peer, gpointer user_data)
{
  ChorusAppSession *self = user_data;
  self->joined = TRUE;
  update_state (self);
}

static void
first_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status =
      chorus_peer_get_status_finish (CHORUS_PEER (source), result, &error);
  if (status == NULL)
    return;
  ChorusAppSession *self = user_data;
  JsonObject *o = json_node_get_object (status);
  g_free (self->overlay);
  self->overlay = g_strdup (json_object_get_string_member_with_default (o, "overlay", NULL));
  g_free (self->aor);
  const char *user = json_object_get_string_member_with_default (o, "user", NULL);
  self->aor = user ? g_strdup_printf ("sip:%s", user) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OVERLAY]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_AOR]);
}

static void
peer_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  if (!chorus_peer_start_finish (CHORUS_PEER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      ChorusAppSession *self = user_data;
      g_warning ("the peer did not start: %s", error->message);
      g_autofree char *label = g_strdup_printf (_ ("Offline: %s"), error->message);
      set_state (self, CHORUS_APP_STATE_OFFLINE, label);
      return;
    }
  ChorusAppSession *self = user_data;
  chorus_peer_get_status_async (self->peer, self->cancellable, first_status, self);
}

gboolean
chorus_app_session_start (ChorusAppSession *self, GError **error)
{
  g_return_val_if_fail (self->peer == NULL, FALSE);
  g_autofree char *peer_dir = chorus_app_profile_peer_dir (self->base);
  gboolean creator = chorus_app_profile_is_creator (self->base);
  const char *listen = self->listen;
  if (listen == NULL && creator)
    listen = CHORUS_APP_DEFAULT_LISTEN;
  self->peer = chorus_peer_new (peer_dir, listen, NULL, error);
  if (self->peer == NULL
      || !chorus_peer_set_phone (self->peer, NULL, FALSE, self->play, self->record, error))
    {
      g_clear_object (&self->peer);
      return FALSE;
    }
  if (creator)
    {
      /* the built-in enrollment server (§11.3) while the app runs: the
       * overlay's creator invites the others */
      g_autofree char *ca_dir = chorus_app_profile_ca_dir (self->base);
      g_autoptr (GError) local = NULL;
      const char *where =
          self->enroll_listen ? self->enroll_listen : CHORUS_APP_DEFAULT_ENROLL_LISTEN;
      g_autofree char *host = g_strdup (where);
      char *colon = strrchr (host, ':');
      guint64 port = 0;
      if (colon != NULL)
        {
          *colon = '\0';
          g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL);
        }
      self->enroll_server = chorus_enroll_server_new (ca_dir, &local);
      if (self->enroll_server == NULL
          || !chorus_enroll_server_listen (self->enroll_server, host, (guint16) port, &local))
        {
          /* calls work without it: only invitations wait */
          g_warning ("the enrollment server is not running: %s", local->message);
          g_clear_object (&self->enroll_server);
        }
    }
  g_signal_connect_object (self->peer, "joined", G_CALLBACK (peer_joined), self, 0);
  g_signal_connect_object (self->peer, "calls-changed", G_CALLBACK (peer_calls_changed), self, 0);
  chorus_peer_start_async (self->peer, self->cancellable, peer_started, self);
  update_state (self);
  return TRUE;
}

static void
peer_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  if (chorus_peer_stop_finish (CHORUS_PEER (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
chorus_app_session_stop_async (ChorusAppSession *self, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_clear_object (&self->enroll_server);
  if (self->peer == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* §10.9 Leave, and the registration removed (RFC 7904 §3) */
  chorus_peer_stop_async (self->peer, NULL, peer_stopped, task);
}

gboolean
chorus_app_session_stop_finish (ChorusAppSession *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

ChorusAppState
chorus_app_session_get_state (ChorusAppSession *self)
{
  return self->state;
}

const char *
chorus_app_session_get_state_label (ChorusAppSession *self)
{
  return self->state_label;
}

const char *
chorus_app_session_get_aor (ChorusAppSession *self)
{
  return self->aor;
}

const char *
chorus_app_session_get_overlay (ChorusAppSession *self)
{
  return self->overlay;
}

gboolean
chorus_app_session_is_creator (ChorusAppSession *self)
{
  return chorus_app_profile_is_creator (self->base);
}

JsonNode *
chorus_app_session_get_calls (ChorusAppSession *self)
{
  return self->calls;
}

static void
calls_refreshed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) calls = chorus_peer_request_finish (CHORUS_PEER (source), result, &error);
  if (calls != NULL)
    peer_calls_changed (CHORUS_PEER (source), calls, user_data);
}

void
chorus_app_session_refresh_calls (ChorusAppSession *self)
{
  if (self->peer != NULL)
    chorus_peer_calls_async (self->peer, self->cancellable, calls_refreshed, self);
}

void
chorus_app_session_set_devices (ChorusAppSession *self, const char *source, const char *sink,
                                gboolean echo_cancel)
{
  /* a tone or a file to play (headless runs) wins over any device */
  if (self->peer != NULL && self->play == NULL && self->record == NULL)
    chorus_peer_set_audio (self->peer, source, sink, echo_cancel);
}

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = chorus_peer_request_finish (CHORUS_PEER (source), result, &error);
  if (node == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("call: %s", error->message);
}

void
chorus_app_session_call (ChorusAppSession *self, const char *aor)
{
  g_return_if_fail (self->peer != NULL);
  chorus_peer_call_async (self->peer, aor, 0, self->cancellable, call_done, NULL);
}

void
chorus_app_session_call_action (ChorusAppSession *self, const char *action, guint id)
{
  g_return_if_fail (self->peer != NULL);
  chorus_peer_call_action_async (self->peer, action, id, self->cancellable, call_done, NULL);
}

void
chorus_app_session_send_dtmf (ChorusAppSession *self, guint id, const char *digits)
{
  g_return_if_fail (self->peer != NULL);
  chorus_peer_send_dtmf_async (self->peer, id, digits, self->cancellable, call_done, NULL);
}

static void
status_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  JsonNode *node = chorus_peer_get_status_finish (CHORUS_PEER (source), result, &error);
  if (node != NULL)
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
  else
    g_task_return_error (task, error);
}

void
chorus_app_session_status_async (ChorusAppSession *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  if (self->peer == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _ ("Not started"));
      g_object_unref (task);
      return;
    }
  chorus_peer_get_status_async (self->peer, cancellable, status_done, task);
}

JsonNode *
chorus_app_session_status_finish (ChorusAppSession *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
chorus_app_session_invite (ChorusAppSession *self, const char *user, GError **error)
{
  if (!chorus_app_profile_is_creator (self->base))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _ ("Only the device that created the overlay can invite"));
      return NULL;
    }
  g_autofree char *ca_dir = chorus_app_profile_ca_dir (self->base);
  return chorus_enroll_create_invite (ca_dir, user, CHORUS_INVITE_DEFAULT_LIFETIME_S, error);
}
