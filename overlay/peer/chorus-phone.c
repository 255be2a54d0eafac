/* chorus-phone.c: the phone's SIP user agent on AppAttach connections, and
 * its registration in the overlay (see chorus-phone.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-phone"

#include "chorus-phone-private.h"

#include "chorus-registration-store.h"

#include "reload-storage.h"

#include <string.h>

/* ---------------------------------------------------------------- the UA */

/* After every call into the UA: its timer follows chorus_sip_ua_next_timeout(). */
void
phone_ua_poke (ChorusPhone *phone)
{
  chorus_ua_timer_poke (&phone->ua_timer);
}

static void
ua_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  ChorusPhone *phone = user_data;
  g_autoptr (GError) error = NULL;
  /* a datagram that cannot go is lost: the transaction layer repeats it
   * (RFC 3261 §17) or fails it */
  if (!reload_peer_shell_app_send (phone->shell, conn, data, len, &error))
    g_debug ("SIP to connection %" G_GUINT64_FORMAT ": %s", conn, error->message);
}

static void
ua_event (const ChorusSipEvent *event, gpointer user_data)
{
  phone_call_event (user_data, event);
}

static const ChorusSipUaCallbacks ua_callbacks = {
  .send = ua_send,
  .event = ua_event,
};

/* What the UA checks offers against before the app hears of a call
 * (codecs, DTLS-SRTP): the fingerprint only says that this side does
 * DTLS-SRTP (RFC 5763); each call answers with its own CallMedia's. */
ChorusSdpSession *
phone_capabilities (void)
{
  g_autoptr (GString) any = g_string_new (NULL);
  for (guint i = 0; i < 32; i++)
    g_string_append (any, i ? ":00" : "00");
  return chorus_sdp_session_new_local ("0.0.0.0", 9, NULL, NULL, any->str);
}

/* ---------------------------------------------------------------- connections */

static void
conn_info_free (gpointer data)
{
  ConnInfo *info = data;
  if (info->linger != NULL)
    {
      g_source_destroy (info->linger);
      g_source_unref (info->linger);
    }
  g_free (info);
}

ConnInfo *
phone_conn_add (ChorusPhone *phone, guint64 conn, guint call)
{
  ConnInfo *info = g_new0 (ConnInfo, 1);
  info->conn = conn;
  info->call = call;
  g_hash_table_replace (phone->conns, &info->conn, info);
  return info;
}

typedef struct
{
  ChorusPhone *phone;
  guint64 conn;
} LingerRef;

static gboolean
linger_close (gpointer data)
{
  LingerRef *ref = data;
  ChorusPhone *phone = ref->phone;
  ConnInfo *info = g_hash_table_lookup (phone->conns, &ref->conn);
  if (info != NULL)
    {
      g_clear_pointer (&info->linger, g_source_unref);
      guint64 conn = info->conn;
      chorus_sip_ua_connection_closed (phone->ua, conn, g_get_monotonic_time () / 1000);
      g_hash_table_remove (phone->conns, &conn);
      reload_peer_shell_app_close (phone->shell, conn);
      phone_ua_poke (phone);
    }
  return G_SOURCE_REMOVE;
}

/* The connection is no longer needed by its call: closed now, or after
 * CHORUS_PHONE_LINGER_MS (@linger) so that the last transactions end. */
void
phone_conn_release (ChorusPhone *phone, guint64 conn, gboolean linger)
{
  ConnInfo *info = g_hash_table_lookup (phone->conns, &conn);
  if (info == NULL)
    return;
  if (!linger || !info->up)
    {
      if (info->up)
        chorus_sip_ua_connection_closed (phone->ua, conn, g_get_monotonic_time () / 1000);
      g_hash_table_remove (phone->conns, &conn);
      reload_peer_shell_app_close (phone->shell, conn);
      phone_ua_poke (phone);
      return;
    }
  if (info->linger != NULL)
    return;
  LingerRef *ref = g_new0 (LingerRef, 1);
  ref->phone = phone;
  ref->conn = conn;
  info->linger = g_timeout_source_new (CHORUS_PHONE_LINGER_MS);
  g_source_set_callback (info->linger, linger_close, ref, g_free);
  g_source_attach (info->linger, g_main_context_get_thread_default ());
}

void
phone_conn_forget (ChorusPhone *phone, guint64 conn)
{
  g_hash_table_remove (phone->conns, &conn);
}

/* ReloadPeerShellAppHandler: SIP over AppAttach (RFC 7904 §4) */
static gboolean
app_accept (gpointer user_data, guint64 conn, const ReloadNodeId *peer, const char *user,
            guint16 application)
{
  ChorusPhone *phone = user_data;
  if (phone->signed_out)
    return FALSE;
  g_debug ("AppAttach %" G_GUINT64_FORMAT " from %s", conn, user ? user : "?");
  phone_conn_add (phone, conn, 0);
  return TRUE;
}

static void
app_up (gpointer user_data, guint64 conn, const ReloadCertIdentity *peer)
{
  ChorusPhone *phone = user_data;
  ConnInfo *info = g_hash_table_lookup (phone->conns, &conn);
  if (info == NULL)
    {
      reload_peer_shell_app_close (phone->shell, conn);
      return;
    }
  info->up = TRUE;
  /* SIP over DTLS is a datagram transport: the transaction layer
   * retransmits (RFC 3261 §17.1.1.1, §17.1.2.1) */
  chorus_sip_ua_connection_add (phone->ua, conn, FALSE);
  if (info->call != 0)
    {
      PhoneCall *call = phone_call_find (phone, info->call);
      if (call != NULL)
        phone_call_conn_up (call, conn);
      else
        phone_conn_release (phone, conn, FALSE);
    }
}

static void
app_message (gpointer user_data, guint64 conn, const guint8 *data, gsize len)
{
  ChorusPhone *phone = user_data;
  g_autoptr (GError) error = NULL;
  if (!chorus_sip_ua_receive (phone->ua, conn, data, len, g_get_monotonic_time () / 1000, &error))
    g_debug ("SIP from connection %" G_GUINT64_FORMAT " refused: %s", conn, error->message);
  phone_ua_poke (phone);
}

static void
app_down (gpointer user_data, guint64 conn, const GError *error)
{
  ChorusPhone *phone = user_data;
  ConnInfo *info = g_hash_table_lookup (phone->conns, &conn);
  if (info == NULL)
    return;
  gboolean was_up = info->up;
  guint call_id = info->call;
  g_hash_table_remove (phone->conns, &conn);
  /* the UA ends the calls on it (503, CHORUS_SIP_END_TRANSPORT) */
  if (was_up)
    chorus_sip_ua_connection_closed (phone->ua, conn, g_get_monotonic_time () / 1000);
  if (call_id != 0)
    {
      PhoneCall *call = phone_call_find (phone, call_id);
      if (call != NULL)
        phone_call_conn_down (call, conn);
    }
  phone_ua_poke (phone);
}

static void
phone_message_free (PhoneMessage *m)
{
  g_free (m->from);
  g_free (m->content_type);
  g_free (m->text);
  g_free (m);
}

/* ---------------------------------------------------------------- requests */

/* The node answers every request, also when it is freed after the phone
 * (CANCELLED): what the answer finds of the phone goes through here. */
PhoneRequest *
phone_request_new (ChorusPhone *phone, guint call)
{
  PhoneRequest *r = g_new0 (PhoneRequest, 1);
  r->phone = phone;
  r->call = call;
  phone->requests = g_list_prepend (phone->requests, r);
  return r;
}

ChorusPhone *
phone_request_take (PhoneRequest *r)
{
  ChorusPhone *phone = r->phone;
  if (phone != NULL)
    phone->requests = g_list_remove (phone->requests, r);
  g_free (r->aor);
  g_free (r);
  return phone;
}

/* ---------------------------------------------------------------- registration */

static void store_registration (ChorusPhone *phone, gboolean exists);

static gboolean
refresh_due (gpointer data)
{
  ChorusPhone *phone = data;
  g_clear_pointer (&phone->refresh_timer, g_source_unref);
  store_registration (phone, TRUE);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (ChorusPhone *phone, guint delay_ms)
{
  if (phone->refresh_timer != NULL)
    {
      g_source_destroy (phone->refresh_timer);
      g_clear_pointer (&phone->refresh_timer, g_source_unref);
    }
  phone->refresh_timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (phone->refresh_timer, refresh_due, phone, NULL);
  g_source_attach (phone->refresh_timer, g_main_context_get_thread_default ());
}

static void
finish_sign_out (ChorusPhone *phone)
{
  if (phone->sign_out_timer != NULL)
    {
      g_source_destroy (phone->sign_out_timer);
      g_clear_pointer (&phone->sign_out_timer, g_source_unref);
    }
  GSourceFunc done = g_steal_pointer (&phone->sign_out_done);
  if (done != NULL)
    done (phone->sign_out_data);
}

static void
stored (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  PhoneRequest *ref = user_data;
  gboolean exists = ref->exists;
  gint64 stored_at = ref->sent_ms;
  ChorusPhone *phone = phone_request_take (ref);
  if (phone == NULL)
    return;
  phone->registering = FALSE;
  gboolean ok = answer != NULL && answer->message_code == RELOAD_STORE_ANS;
  if (!exists)
    {
      if (phone->registered)
        {
          phone->registered = FALSE;
          phone_changed (phone);
        }
      if (ok)
        g_message ("%s signed out", phone->aor);
      finish_sign_out (phone);
      return;
    }
  if (phone->signed_out)
    return;
  if (!ok)
    {
      const char *why = error ? error->message : "refused";
      if (answer != NULL && answer->message_code == RELOAD_ERROR)
        {
          const ReloadErrorResponse *e = answer->body;
          why = rw_enum_name (reload_error_code_names, e->error_code);
        }
      g_message ("registering %s failed: %s; again in 5 s", phone->aor, why ? why : "?");
      schedule_refresh (phone, 5000);
      return;
    }
  if (!phone->registered)
    {
      g_message ("registered %s", phone->aor);
      phone->registered = TRUE;
      phone_changed (phone);
    }
  gint64 at = chorus_sip_registration_refresh_at (stored_at, CHORUS_PHONE_REGISTRATION_LIFETIME_S);
  guint delay = (guint) CLAMP (at - reload_peer_shell_now (), 1000, G_MAXINT);
  /* Just after a join the ring is still settling: the peer that took the
   * Store may not stay responsible for H(AOR) (peers joining around it,
   * §10.4 hands data over, but a Store that reached a peer whose view was
   * not yet right can be lost with it).  The first stores of a join are
   * repeated soon, so that the AOR is reachable within seconds. */
  if (phone->early_stores < CHORUS_PHONE_EARLY_STORES)
    delay = MIN (delay, CHORUS_PHONE_EARLY_STORE_MS * (1u << phone->early_stores++));
  schedule_refresh (phone, delay);
}

/* RFC 7904 §3: this device's entry of the AOR's dictionary, keyed by its
 * Node-ID, the route form with the destination list [this node] (a peer:
 * RFC 7904 §3.1); @exists FALSE removes it (RFC 6940 §7.4.1.3: a value
 * "stored" with exists = False). */
static void
store_registration (ChorusPhone *phone, gboolean exists)
{
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&phone->node_id, NULL);
  PhoneRequest *ref = phone_request_new (phone, 0);
  ref->exists = exists;
  ref->sent_ms = reload_peer_shell_now ();
  /* before the request: the answer may come inside it (this node is
   * responsible for H(AOR)) */
  phone->registering = TRUE;
  if (!chorus_registration_store (phone->shell, phone->aor, &phone->node_id, route, exists,
                                  CHORUS_PHONE_REGISTRATION_LIFETIME_S, NULL, NULL, stored, ref))
    {
      phone->registering = FALSE;
      phone_request_take (ref);
      if (!exists)
        finish_sign_out (phone);
      return;
    }
}

void
chorus_phone_joined (ChorusPhone *phone)
{
  if (phone->signed_out)
    return;
  phone->early_stores = 0;
  store_registration (phone, TRUE);
}

static gboolean
sign_out_timed_out (gpointer data)
{
  ChorusPhone *phone = data;
  g_clear_pointer (&phone->sign_out_timer, g_source_unref);
  g_message ("signing %s out: no answer in time", phone->aor);
  finish_sign_out (phone);
  return G_SOURCE_REMOVE;
}

void
chorus_phone_sign_out (ChorusPhone *phone, guint timeout_ms, GSourceFunc done, gpointer user_data)
{
  phone->signed_out = TRUE;
  chorus_phone_hangup (phone, 0);
  if (phone->refresh_timer != NULL)
    {
      g_source_destroy (phone->refresh_timer);
      g_clear_pointer (&phone->refresh_timer, g_source_unref);
    }
  phone->sign_out_done = done;
  phone->sign_out_data = user_data;
  phone->sign_out_timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (phone->sign_out_timer, sign_out_timed_out, phone, NULL);
  g_source_attach (phone->sign_out_timer, g_main_context_get_thread_default ());
  if (phone->registered || phone->registering)
    store_registration (phone, FALSE);
  else
    finish_sign_out (phone);
}

/* ---------------------------------------------------------------- API */

ChorusPhone *
chorus_phone_new (ReloadPeerShell *shell, const ChorusPhoneConfig *config, GError **error)
{
  const ReloadCertIdentity *id = reload_peer_shell_get_identity (shell);
  /* RFC 7904 §3.2: USER-NODE-MATCH lets a user store only at H(its AOR),
   * the AOR being "sip:" and the certificate's user name */
  g_autofree char *own = chorus_sip_aor_from_user_name (id->user_name, error);
  if (own == NULL)
    return NULL;
  g_autofree char *aor = NULL;
  if (config->aor != NULL)
    {
      aor = chorus_sip_aor_normalize (config->aor, id->overlay_name, NULL, error);
      if (aor == NULL)
        return NULL;
      if (!chorus_sip_aor_equal (aor, own))
        {
          g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                       "the certificate is for %s: it cannot register %s (RFC 7904 §3.2, "
                       "USER-NODE-MATCH)",
                       own, aor);
          return NULL;
        }
    }
  ChorusPhone *phone = g_new0 (ChorusPhone, 1);
  phone->shell = shell;
  phone->aor = g_steal_pointer (&own);
  phone->domain = g_strdup (id->overlay_name);
  phone->node_id = id->node_ids[0];
  phone->auto_answer = config->auto_answer;
  phone->changed = config->changed;
  phone->changed_data = config->changed_data;
  phone->play = g_strdup (config->play);
  phone->record = g_strdup (config->record);
  phone->echo_cancel = config->echo_cancel;
  phone->media_address = g_strdup (config->media_address);
  phone->next_call_id = 1;
  phone->conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, conn_info_free);

  /* the Contact is this device's GRUU (RFC 7904 §5) */
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&phone->node_id, NULL);
  g_autofree char *gruu = chorus_sip_gruu_build (phone->aor, route, NULL);
  g_autoptr (ChorusSdpSession) caps = phone_capabilities ();
  ChorusSipUaConfig ua = { 0 };
  ua.aor = phone->aor;
  ua.contact = gruu;
  ua.via_host = "chorus.invalid";
  ua.user_agent = "Chorus";
  ua.media = caps;
  ua.check_request_uri = TRUE;
  phone->ua = chorus_sip_ua_new (&ua, &ua_callbacks, phone, error);
  if (phone->ua == NULL)
    {
      chorus_phone_free (phone);
      return NULL;
    }
  chorus_ua_timer_init (&phone->ua_timer, phone->ua);
  ReloadPeerShellAppHandler h = {
    .accept = app_accept,
    .up = app_up,
    .message = app_message,
    .down = app_down,
    .user_data = phone,
  };
  reload_peer_shell_set_app_handler (shell, CHORUS_PHONE_APPLICATION, &h);
  return phone;
}

void
chorus_phone_free (ChorusPhone *phone)
{
  if (phone == NULL)
    return;
  reload_peer_shell_set_app_handler (phone->shell, CHORUS_PHONE_APPLICATION, NULL);
  for (GList *l = phone->requests; l; l = l->next)
    ((PhoneRequest *) l->data)->phone = NULL;
  g_clear_pointer (&phone->requests, g_list_free);
  g_queue_clear_full (&phone->inbox, (GDestroyNotify) phone_message_free);
  g_list_free_full (g_steal_pointer (&phone->calls), (GDestroyNotify) phone_call_free);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, phone->conns);
  while (g_hash_table_iter_next (&it, NULL, &value))
    reload_peer_shell_app_close (phone->shell, ((ConnInfo *) value)->conn);
  g_hash_table_unref (phone->conns);
  chorus_ua_timer_clear (&phone->ua_timer);
  g_clear_pointer (&phone->ua, chorus_sip_ua_free);
  GSource **timers[] = { &phone->refresh_timer, &phone->sign_out_timer };
  for (guint i = 0; i < G_N_ELEMENTS (timers); i++)
    if (*timers[i] != NULL)
      {
        g_source_destroy (*timers[i]);
        g_clear_pointer (timers[i], g_source_unref);
      }
  g_free (phone->aor);
  g_free (phone->domain);
  g_free (phone->play);
  g_free (phone->record);
  g_free (phone->source);
  g_free (phone->sink);
  g_free (phone->media_address);
  g_free (phone);
}

const char *
chorus_phone_get_aor (ChorusPhone *phone)
{
  return phone->aor;
}

guint
chorus_phone_call (ChorusPhone *phone, const char *target, guint duration_ms,
                   ChorusPhoneCallDone done, gpointer user_data, GError **error)
{
  g_autofree char *aor = chorus_sip_aor_normalize (target, phone->domain, NULL, error);
  if (aor == NULL)
    return 0;
  if (phone->signed_out)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE, "signed out");
      return 0;
    }
  PhoneCall *call = phone_call_new (phone, TRUE, aor);
  call->duration_ms = duration_ms;
  call->done = done;
  call->done_data = user_data;
  guint id = call->id;
  phone_call_start_outgoing (call);
  return id;
}

guint
chorus_phone_send_message (ChorusPhone *phone, const char *target, const char *text,
                           ChorusPhoneCallDone done, gpointer user_data, GError **error)
{
  if (strlen (text) > CHORUS_PHONE_MAX_MESSAGE || !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "a message is UTF-8 text of at most %u bytes", CHORUS_PHONE_MAX_MESSAGE);
      return 0;
    }
  g_autofree char *aor = chorus_sip_aor_normalize (target, phone->domain, NULL, error);
  if (aor == NULL)
    return 0;
  PhoneCall *call = phone_call_new (phone, TRUE, aor);
  call->text = g_strdup (text);
  call->done = done;
  call->done_data = user_data;
  guint id = call->id;
  phone_call_start_outgoing (call);
  return id;
}

void
phone_inbox_add (ChorusPhone *phone, const ChorusSipEvent *e)
{
  PhoneMessage *m = g_new0 (PhoneMessage, 1);
  g_autofree char *from = chorus_sip_aor_normalize (e->from, NULL, NULL, NULL);
  m->from = g_strdup (from ? from : e->from);
  m->content_type = g_strdup (e->content_type);
  /* text as received, made valid UTF-8 (hostile input) */
  m->text =
      g_utf8_make_valid (e->body, (gssize) MIN (e->body_len, (gsize) CHORUS_PHONE_MAX_MESSAGE));
  m->received_s = g_get_real_time () / G_USEC_PER_SEC;
  g_message ("message from %s (%zu bytes)", m->from, e->body_len);
  g_queue_push_tail (&phone->inbox, m);
  while (phone->inbox.length > CHORUS_PHONE_MAX_INBOX)
    phone_message_free (g_queue_pop_head (&phone->inbox));
  phone_changed (phone);
}

void
phone_changed (ChorusPhone *phone)
{
  if (phone->changed != NULL)
    phone->changed (phone->changed_data);
}

JsonNode *
chorus_phone_messages_json (ChorusPhone *phone)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (GList *l = phone->inbox.head; l; l = l->next)
    {
      PhoneMessage *m = l->data;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "from");
      json_builder_add_string_value (b, m->from);
      json_builder_set_member_name (b, "content_type");
      json_builder_add_string_value (b, m->content_type);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, m->text);
      json_builder_set_member_name (b, "received");
      json_builder_add_int_value (b, m->received_s);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
chorus_phone_hangup (ChorusPhone *phone, guint id)
{
  /* ids first: ending a call may drop old ended ones from the list */
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  for (GList *l = phone->calls; l; l = l->next)
    {
      PhoneCall *call = l->data;
      if (call->state != CALL_ENDED && call->text == NULL && (id == 0 || call->id == id))
        g_array_append_val (ids, call->id);
    }
  for (guint i = 0; i < ids->len; i++)
    {
      PhoneCall *call = phone_call_find (phone, g_array_index (ids, guint, i));
      if (call == NULL || call->state == CALL_ENDED)
        continue;
      if (call->ua_call != 0)
        {
          chorus_sip_ua_hangup (phone->ua, call->ua_call, g_get_monotonic_time () / 1000, NULL);
          phone_ua_poke (phone);
        }
      /* not yet known to the UA (lookup, connections), or the UA reports
       * the end later (after the BYE's answer): it ends here */
      call = phone_call_find (phone, g_array_index (ids, guint, i));
      if (call != NULL && call->state != CALL_ENDED)
        phone_call_ended (call, call->answered_us > 0 ? 200 : 487, "local_hangup");
    }
  return ids->len > 0;
}

static PhoneCall *
incoming (ChorusPhone *phone, guint id, GError **error)
{
  PhoneCall *call = phone_call_find (phone, id);
  if (call == NULL || call->outgoing || call->state == CALL_ENDED || call->ua_call == 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND,
                   "no incoming call %u ringing", id);
      return NULL;
    }
  return call;
}

gboolean
chorus_phone_answer (ChorusPhone *phone, guint id, GError **error)
{
  PhoneCall *call = incoming (phone, id, error);
  if (call == NULL)
    return FALSE;
  call->answer_wanted = TRUE;
  phone_call_event (phone, NULL); /* answers now when the media has gathered */
  return TRUE;
}

gboolean
chorus_phone_reject (ChorusPhone *phone, guint id, int status, GError **error)
{
  PhoneCall *call = incoming (phone, id, error);
  if (call == NULL)
    return FALSE;
  gboolean ok = chorus_sip_ua_reject (phone->ua, call->ua_call, status,
                                      g_get_monotonic_time () / 1000, error);
  phone_ua_poke (phone);
  return ok;
}

gboolean
chorus_phone_send_dtmf (ChorusPhone *phone, guint id, const char *digits, GError **error)
{
  PhoneCall *call = phone_call_find (phone, id);
  if (call == NULL || call->text != NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND, "no call %u", id);
      return FALSE;
    }
  return phone_call_send_dtmf (call, digits, error);
}

gboolean
chorus_phone_hold (ChorusPhone *phone, guint id, gboolean hold, GError **error)
{
  PhoneCall *call = phone_call_find (phone, id);
  if (call == NULL || call->state != CALL_ACTIVE)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND, "no active call %u", id);
      return FALSE;
    }
  gboolean ok =
      chorus_sip_ua_hold (phone->ua, call->ua_call, hold, g_get_monotonic_time () / 1000, error);
  call->reoffer_pending = ok;
  phone_ua_poke (phone);
  return ok;
}

gboolean
chorus_phone_mute (ChorusPhone *phone, guint id, gboolean mute, GError **error)
{
  PhoneCall *call = phone_call_find (phone, id);
  if (call == NULL || call->state == CALL_ENDED || call->text != NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND, "no call %u", id);
      return FALSE;
    }
  call->muted = mute;
  if (call->media != NULL)
    g_object_set (call->media, "mute", mute, NULL);
  phone_changed (phone);
  return TRUE;
}

void
chorus_phone_set_audio (ChorusPhone *phone, const char *source, const char *sink,
                        gboolean echo_cancel)
{
  gboolean new_source = g_strcmp0 (phone->source, source && *source ? source : NULL) != 0;
  gboolean new_sink = g_strcmp0 (phone->sink, sink && *sink ? sink : NULL) != 0;
  g_free (phone->source);
  phone->source = g_strdup (source && *source ? source : NULL);
  g_free (phone->sink);
  phone->sink = g_strdup (sink && *sink ? sink : NULL);
  phone->echo_cancel = echo_cancel;
  /* the calls going on change devices too (CallMedia relinks at once);
   * a tone or file to play, a file to record, stay */
  for (GList *l = phone->calls; l != NULL; l = l->next)
    {
      PhoneCall *call = l->data;
      if (call->media == NULL || call->state == CALL_ENDED)
        continue;
      if (new_source && phone->play == NULL)
        g_object_set (call->media, "source", phone->source, NULL);
      if (new_sink && phone->record == NULL)
        g_object_set (call->media, "sink", phone->sink, NULL);
    }
}

JsonNode *
chorus_phone_calls_json (ChorusPhone *phone)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "aor");
  json_builder_add_string_value (b, phone->aor);
  json_builder_set_member_name (b, "registered");
  json_builder_add_boolean_value (b, phone->registered);
  json_builder_set_member_name (b, "calls");
  json_builder_begin_array (b);
  for (int pass = 0; pass < 2; pass++)
    for (GList *l = g_list_last (phone->calls); l; l = l->prev)
      {
        PhoneCall *call = l->data;
        if ((call->state == CALL_ENDED) == (pass == 0) || call->text != NULL)
          continue;
        json_builder_add_value (b, phone_call_json (call));
      }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
