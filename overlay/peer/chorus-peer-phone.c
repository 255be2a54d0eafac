/* chorus-peer-phone.c: ChorusPeer's calls (chorus-peer.h), run by the
 * phone (chorus-phone.h) in the peer's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-private.h"

void
chorus_peer_phone_settings_clear (ChorusPeerPhoneSettings *settings)
{
  g_clear_pointer (&settings->aor, g_free);
  g_clear_pointer (&settings->play, g_free);
  g_clear_pointer (&settings->record, g_free);
  g_clear_pointer (&settings->source, g_free);
  g_clear_pointer (&settings->sink, g_free);
  g_clear_pointer (&settings->adapter_listen, g_free);
  g_clear_pointer (&settings->adapter_users, chorus_adapter_users_free);
  settings->enabled = FALSE;
}

gboolean
chorus_peer_calls_start (ChorusPeerPhoneSettings *ps, ReloadPeerShell *shell,
                         void (*changed) (gpointer user_data), gpointer changed_data,
                         ChorusPhone **phone, ChorusSipAdapter **adapter, GError **error)
{
  if (ps->adapter_listen != NULL)
    {
      *adapter = chorus_sip_adapter_new (shell, ps->adapter_listen,
                                         g_steal_pointer (&ps->adapter_users), error);
      return *adapter != NULL;
    }
  if (!ps->enabled)
    return TRUE;
  ChorusPhoneConfig pc = { 0 };
  pc.aor = ps->aor;
  pc.auto_answer = ps->auto_answer;
  pc.play = ps->play;
  pc.record = ps->record;
  pc.echo_cancel = ps->echo_cancel;
  pc.changed = changed;
  pc.changed_data = changed_data;
  /* media host candidates where the overlay is reached (a loopback
   * overlay calls on loopback) */
  GInetAddress *where =
      g_inet_socket_address_get_address (reload_peer_shell_get_listen_address (shell));
  g_autofree char *media_address =
      g_inet_address_get_is_loopback (where) ? g_inet_address_to_string (where) : NULL;
  pc.media_address = media_address;
  *phone = chorus_phone_new (shell, &pc, error);
  if (*phone != NULL && (ps->source != NULL || ps->sink != NULL))
    chorus_phone_set_audio (*phone, ps->source, ps->sink, ps->echo_cancel);
  return *phone != NULL;
}

gboolean
chorus_peer_set_sip_adapter (ChorusPeer *peer, const char *listen, const char *users_file,
                             GError **error)
{
  g_return_val_if_fail (CHORUS_IS_PEER (peer) && listen && users_file, FALSE);
  ChorusPeerPhoneSettings *s = chorus_peer_get_phone_settings (peer);
  if (s->enabled)
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "a peer is a phone (--aor) or an adapter for plain SIP phones "
                   "(--sip-adapter), not both");
      return FALSE;
    }
  const ReloadCredentials *creds = chorus_peer_get_credentials (peer);
  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (creds->cert, error);
  if (id == NULL)
    return FALSE;
  g_autoptr (GError) local = NULL;
  ChorusAdapterUsers *users =
      chorus_adapter_users_load (users_file, chorus_peer_get_profile_dir (peer), creds->ca,
                                 id->overlay_name, &id->node_ids[0], &local);
  if (users == NULL)
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "--sip-adapter-users: %s",
                   local->message);
      return FALSE;
    }
  g_clear_pointer (&s->adapter_users, chorus_adapter_users_free);
  s->adapter_users = users;
  g_free (s->adapter_listen);
  s->adapter_listen = g_strdup (listen);
  return TRUE;
}

gboolean
chorus_peer_set_phone (ChorusPeer *peer, const char *aor, gboolean auto_answer, const char *play,
                       const char *record, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_PEER (peer), FALSE);
  if (play != NULL && g_str_has_prefix (play, "tone:"))
    {
      char *end = NULL;
      double hz = g_ascii_strtod (play + 5, &end);
      if (end == play + 5 || *end != '\0' || !(hz >= 20 && hz <= 20000))
        {
          g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                       "--play tone:HZ takes a frequency from 20 to 20000 Hz, not “%s”", play);
          return FALSE;
        }
    }
  else if (play != NULL && !g_file_test (play, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "--play: no file “%s” (or tone:HZ)", play);
      return FALSE;
    }
  ChorusPeerPhoneSettings *s = chorus_peer_get_phone_settings (peer);
  if (s->adapter_listen != NULL)
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "a peer is a phone (--aor) or an adapter for plain SIP phones "
                   "(--sip-adapter), not both");
      return FALSE;
    }
  chorus_peer_phone_settings_clear (s);
  s->enabled = TRUE;
  s->aor = g_strdup (aor);
  s->auto_answer = auto_answer;
  s->play = g_strdup (play);
  s->record = g_strdup (record);
  /* a headless peer playing a file or a tone has no echo to cancel */
  s->echo_cancel = play == NULL && record == NULL;
  return TRUE;
}

static gboolean
need_phone (ChorusPhone *phone, GTask *task)
{
  if (phone != NULL)
    return TRUE;
  g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                           "this peer has no AOR: it makes no calls (chorus-peer run --aor)");
  return FALSE;
}

/* What an operation takes to the thread: a call's target and duration,
 * an action and a call id, a message's target and text. */
typedef struct
{
  char *target; /* or the action */
  char *text;
  guint number;
} Args;

static void
args_free (Args *a)
{
  g_free (a->target);
  g_free (a->text);
  g_free (a);
}

static void
submit (ChorusPeer *peer, gpointer source_tag, GCancellable *cancellable,
        GAsyncReadyCallback callback, gpointer user_data, ChorusPeerThreadFunc func,
        const char *target, const char *text, guint number)
{
  g_autoptr (GTask) task = g_task_new (peer, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  Args *a = g_new0 (Args, 1);
  a->target = g_strdup (target);
  a->text = g_strdup (text);
  a->number = number;
  g_task_set_task_data (task, a, (GDestroyNotify) args_free);
  chorus_peer_run_in_thread (peer, task, func);
}

/* -- call -- */

static void
call_ended (JsonNode *result, gpointer user_data)
{
  GTask *task = user_data;
  g_task_return_pointer (task, result, (GDestroyNotify) json_node_unref);
  g_object_unref (task);
}

static void
call_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                ChorusSipAdapter *adapter, GTask *task)
{
  if (!need_phone (phone, task))
    return;
  Args *a = g_task_get_task_data (task);
  GError *error = NULL;
  g_object_ref (task);
  if (chorus_phone_call (phone, a->target, a->number * 1000, call_ended, task, &error) == 0)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "%s",
                               error->message);
      g_error_free (error);
      g_object_unref (task);
    }
}

void
chorus_peer_call_async (ChorusPeer *peer, const char *target, guint duration_s,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer) && target != NULL);
  submit (peer, chorus_peer_call_async, cancellable, callback, user_data, call_in_thread, target,
          NULL, duration_s);
}

/* -- hangup, answer, decline, hold, resume -- */

static void
action_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                  ChorusSipAdapter *adapter, GTask *task)
{
  if (!need_phone (phone, task))
    return;
  Args *a = g_task_get_task_data (task);
  const char *action = a->target;
  guint id = a->number;
  g_autoptr (GError) error = NULL;
  gboolean ok;
  if (g_str_equal (action, "hangup"))
    {
      ok = chorus_phone_hangup (phone, id);
      if (!ok)
        g_set_error (&error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "no call to hang up");
    }
  else if (g_str_equal (action, "answer"))
    ok = chorus_phone_answer (phone, id, &error);
  else if (g_str_equal (action, "decline"))
    ok = chorus_phone_reject (phone, id, 603, &error); /* RFC 3261 §21.6.2 */
  else if (g_str_equal (action, "dtmf"))
    ok = chorus_phone_send_dtmf (phone, id, a->text, &error);
  else if (g_str_equal (action, "hold") || g_str_equal (action, "resume"))
    ok = chorus_phone_hold (phone, id, g_str_equal (action, "hold"), &error);
  else if (g_str_equal (action, "mute") || g_str_equal (action, "unmute"))
    ok = chorus_phone_mute (phone, id, g_str_equal (action, "mute"), &error);
  else
    {
      ok = FALSE;
      g_set_error (&error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "no action “%s”", action);
    }
  if (!ok)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "%s",
                               error->message);
      return;
    }
  g_task_return_pointer (task, chorus_phone_calls_json (phone), (GDestroyNotify) json_node_unref);
}

void
chorus_peer_call_action_async (ChorusPeer *peer, const char *action, guint id,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer) && action != NULL);
  submit (peer, chorus_peer_call_action_async, cancellable, callback, user_data, action_in_thread,
          action, NULL, id);
}

void
chorus_peer_send_dtmf_async (ChorusPeer *peer, guint id, const char *digits,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer) && digits != NULL);
  submit (peer, chorus_peer_send_dtmf_async, cancellable, callback, user_data, action_in_thread,
          "dtmf", digits, id);
}

/* -- calls -- */

static void
calls_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                 ChorusSipAdapter *adapter, GTask *task)
{
  if (!need_phone (phone, task))
    return;
  g_task_return_pointer (task, chorus_phone_calls_json (phone), (GDestroyNotify) json_node_unref);
}

void
chorus_peer_calls_async (ChorusPeer *peer, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer));
  submit (peer, chorus_peer_calls_async, cancellable, callback, user_data, calls_in_thread, NULL,
          NULL, 0);
}

/* -- message, messages -- */

static void
message_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                   ChorusSipAdapter *adapter, GTask *task)
{
  if (!need_phone (phone, task))
    return;
  Args *a = g_task_get_task_data (task);
  GError *error = NULL;
  g_object_ref (task);
  if (chorus_phone_send_message (phone, a->target, a->text, call_ended, task, &error) == 0)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID, "%s",
                               error->message);
      g_error_free (error);
      g_object_unref (task);
    }
}

void
chorus_peer_send_message_async (ChorusPeer *peer, const char *target, const char *text,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer) && target != NULL && text != NULL);
  submit (peer, chorus_peer_send_message_async, cancellable, callback, user_data, message_in_thread,
          target, text, 0);
}

static void
messages_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                    ChorusSipAdapter *adapter, GTask *task)
{
  if (!need_phone (phone, task))
    return;
  g_task_return_pointer (task, chorus_phone_messages_json (phone),
                         (GDestroyNotify) json_node_unref);
}

void
chorus_peer_messages_async (ChorusPeer *peer, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer));
  submit (peer, chorus_peer_messages_async, cancellable, callback, user_data, messages_in_thread,
          NULL, NULL, 0);
}

/* -- adapter -- */

static void
adapter_in_thread (ChorusPeer *peer, ReloadPeerShell *shell, ChorusPhone *phone,
                   ChorusSipAdapter *adapter, GTask *task)
{
  if (adapter == NULL)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                               "this peer runs no SIP adapter (chorus-peer run --sip-adapter)");
      return;
    }
  g_task_return_pointer (task, chorus_sip_adapter_status_json (adapter),
                         (GDestroyNotify) json_node_unref);
}

void
chorus_peer_adapter_status_async (ChorusPeer *peer, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (peer));
  submit (peer, chorus_peer_adapter_status_async, cancellable, callback, user_data,
          adapter_in_thread, NULL, NULL, 0);
}

static void
set_audio_in_thread (ChorusPeer *self, ReloadPeerShell *shell, ChorusPhone *phone,
                     ChorusSipAdapter *adapter, GTask *task)
{
  Args *a = g_task_get_task_data (task);
  if (phone != NULL)
    chorus_phone_set_audio (phone, a->target, a->text, a->number != 0);
  g_task_return_boolean (task, TRUE);
}

void
chorus_peer_set_audio (ChorusPeer *peer, const char *source, const char *sink, gboolean echo_cancel)
{
  g_return_if_fail (CHORUS_IS_PEER (peer));
  /* for a phone made at start ... */
  ChorusPeerPhoneSettings *s = chorus_peer_get_phone_settings (peer);
  g_free (s->source);
  s->source = g_strdup (source);
  g_free (s->sink);
  s->sink = g_strdup (sink);
  s->echo_cancel = echo_cancel;
  /* ... and for the running one (NOT_RUNNING before start: nothing to do) */
  g_autoptr (GTask) task = g_task_new (peer, NULL, NULL, NULL);
  g_task_set_source_tag (task, chorus_peer_set_audio);
  Args *a = g_new0 (Args, 1);
  a->target = g_strdup (source);
  a->text = g_strdup (sink);
  a->number = echo_cancel;
  g_task_set_task_data (task, a, (GDestroyNotify) args_free);
  chorus_peer_run_in_thread (peer, task, set_audio_in_thread);
}
