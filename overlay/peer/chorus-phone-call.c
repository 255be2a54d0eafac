/* chorus-phone-call.c: one call of the phone (see chorus-phone.h): the
 * lookup of the AOR, the AppAttach connections to its devices, the media,
 * and the state the `calls` list shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-phone"

#include "chorus-phone-private.h"

#include "call-media-sdp.h"
#include "chorus-dialer.h"
#include "reload-datastore.h"
#include "reload-storage.h"

#include <math.h>
#include <string.h>

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* ---------------------------------------------------------------- the list */

PhoneCall *
phone_call_new (ChorusPhone *phone, gboolean outgoing, const char *remote)
{
  PhoneCall *call = g_new0 (PhoneCall, 1);
  call->phone = phone;
  call->id = phone->next_call_id++;
  call->outgoing = outgoing;
  call->offerer = outgoing;
  call->remote = g_strdup (remote);
  call->state = outgoing ? CALL_DIALING : CALL_RINGING;
  call->dial_us = g_get_monotonic_time ();
  call->requests = g_array_new (FALSE, FALSE, sizeof (guint));
  call->up_conns = g_array_new (FALSE, FALSE, sizeof (guint64));
  call_media_stats_init (&call->stats);
  call->dtmf_received = g_string_new (NULL);
  call->dtmf_queue = g_string_new (NULL);
  phone->calls = g_list_prepend (phone->calls, call);
  phone_changed (phone);
  return call;
}

PhoneCall *
phone_call_find (ChorusPhone *phone, guint id)
{
  for (GList *l = phone->calls; l; l = l->next)
    if (((PhoneCall *) l->data)->id == id)
      return l->data;
  return NULL;
}

PhoneCall *
phone_call_find_ua (ChorusPhone *phone, guint ua_call)
{
  for (GList *l = phone->calls; l; l = l->next)
    {
      PhoneCall *call = l->data;
      if (call->ua_call == ua_call && call->state != CALL_ENDED)
        return call;
    }
  return NULL;
}

static void
clear_source (GSource **src)
{
  if (*src == NULL)
    return;
  g_source_destroy (*src);
  g_clear_pointer (src, g_source_unref);
}

static void
drop_media (PhoneCall *call)
{
  if (call->media == NULL)
    return;
  CallMediaStats stats;
  if (call_media_get_stats (call->media, &stats))
    {
      call->stats = stats;
      call->have_stats = TRUE;
    }
  g_signal_handlers_disconnect_by_data (call->media, call);
  call_media_stop (call->media);
  g_clear_object (&call->media);
}

void
phone_call_free (PhoneCall *call)
{
  drop_media (call);
  clear_source (&call->duration_timer);
  clear_source (&call->closed_timer);
  clear_source (&call->dtmf_timer);
  g_string_free (call->dtmf_received, TRUE);
  g_string_free (call->dtmf_queue, TRUE);
  g_clear_pointer (&call->dialer, chorus_dialer_free);
  g_array_unref (call->up_conns);
  g_array_unref (call->requests);
  g_free (call->text);
  g_free (call->remote);
  g_free (call->reason);
  g_free (call->codec);
  g_free (call);
}

static const char *
state_name (PhoneCallState state)
{
  switch (state)
    {
    case CALL_DIALING:
      return "dialing";
    case CALL_RINGING:
      return "ringing";
    case CALL_ACTIVE:
      return "active";
    case CALL_ENDED:
    default:
      return "ended";
    }
}

static void
add_double_or_null (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, round (v * 10) / 10);
}

JsonNode *
phone_call_json (PhoneCall *call)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, call->id);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, call->outgoing ? "outgoing" : "incoming");
  json_builder_set_member_name (b, "remote");
  json_builder_add_string_value (b, call->remote);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state_name (call->state));
  json_builder_set_member_name (b, "on_hold");
  json_builder_add_boolean_value (b, call->on_hold);
  json_builder_set_member_name (b, "muted");
  json_builder_add_boolean_value (b, call->muted);
  json_builder_set_member_name (b, "codec");
  if (call->codec != NULL)
    json_builder_add_string_value (b, call->codec);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "setup_ms");
  if (call->answered_us > 0)
    json_builder_add_int_value (b, (call->answered_us - call->dial_us) / 1000);
  else
    json_builder_add_null_value (b);
  add_double_or_null (b, "rtt_ms", call->have_stats ? call->stats.rtt_ms : NAN);
  add_double_or_null (b, "jitter_ms", call->have_stats ? call->stats.jitter_ms : NAN);
  /* the fraction of the peer's packets lost on the way here (RFC 3550
   * §6.4.1), over the last report interval */
  add_double_or_null (b, "loss", call->have_stats ? call->stats.fraction_lost : NAN);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, call->have_stats ? (gint64) call->stats.packets_received : 0);
  json_builder_set_member_name (b, "dtmf_received");
  json_builder_add_string_value (b, call->dtmf_received->str);
  json_builder_set_member_name (b, "duration_s");
  if (call->answered_us > 0)
    {
      gint64 end = call->ended_us > 0 ? call->ended_us : g_get_monotonic_time ();
      json_builder_add_double_value (b, (double) ((end - call->answered_us) / 100000) / 10);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "status");
  if (call->status != 0)
    json_builder_add_int_value (b, call->status);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "reason");
  if (call->reason != NULL)
    json_builder_add_string_value (b, call->reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---------------------------------------------------------------- the end */

static void
release_conns (PhoneCall *call)
{
  ChorusPhone *phone = call->phone;
  /* the dial's pending connections go with it */
  g_clear_pointer (&call->dialer, chorus_dialer_free);
  /* the last transactions (BYE, ACK, CANCEL) end on them */
  for (guint i = 0; i < call->up_conns->len; i++)
    phone_conn_release (phone, g_array_index (call->up_conns, guint64, i), TRUE);
  g_array_set_size (call->up_conns, 0);
}

static void
trim_ended (ChorusPhone *phone)
{
  guint ended = 0;
  for (GList *l = phone->calls; l;)
    {
      GList *next = l->next;
      PhoneCall *call = l->data;
      if (call->state == CALL_ENDED && ++ended > CHORUS_PHONE_MAX_ENDED)
        {
          phone->calls = g_list_delete_link (phone->calls, l);
          phone_call_free (call);
        }
      l = next;
    }
}

void
phone_call_ended (PhoneCall *call, int status, const char *reason)
{
  if (call->state == CALL_ENDED)
    return;
  gboolean was_answered = call->answered_us > 0;
  if (call->forced_reason != NULL)
    {
      status = call->forced_status;
      reason = call->forced_reason;
    }
  call->state = CALL_ENDED;
  call->ended_us = g_get_monotonic_time ();
  call->status = status;
  g_free (call->reason);
  call->reason = g_strdup (reason);
  drop_media (call);
  clear_source (&call->duration_timer);
  clear_source (&call->closed_timer);
  clear_source (&call->dtmf_timer);
  release_conns (call);
  g_message ("call %u %s %s ended: %d %s", call->id, call->outgoing ? "to" : "from", call->remote,
             status, reason);
  phone_changed (call->phone);
  if (call->done != NULL)
    {
      ChorusPhoneCallDone done = g_steal_pointer (&call->done);
      g_autoptr (JsonNode) node = phone_call_json (call);
      JsonObject *o = json_node_get_object (node);
      if (call->text != NULL)
        {
          /* a MESSAGE: what a call's keys would say is beside the point */
          g_autoptr (JsonBuilder) b = json_builder_new ();
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "message");
          json_builder_add_int_value (b, call->id);
          json_builder_set_member_name (b, "remote");
          json_builder_add_string_value (b, call->remote);
          json_builder_set_member_name (b, "status");
          json_builder_add_int_value (b, call->status);
          json_builder_set_member_name (b, "reason");
          json_builder_add_string_value (b, call->reason);
          json_builder_end_object (b);
          json_node_unref (node);
          node = json_builder_get_root (b);
        }
      else
        {
          json_object_set_int_member (o, "call", call->id);
          json_object_set_boolean_member (o, "answered", was_answered);
        }
      done (g_steal_pointer (&node), call->done_data);
    }
  trim_ended (call->phone);
}

static const char *
end_reason_name (ChorusSipEndReason reason)
{
  switch (reason)
    {
    case CHORUS_SIP_END_LOCAL_HANGUP:
      return "local_hangup";
    case CHORUS_SIP_END_REMOTE_HANGUP:
      return "remote_hangup";
    case CHORUS_SIP_END_REJECTED:
      return "rejected";
    case CHORUS_SIP_END_DECLINED_LOCALLY:
      return "declined";
    case CHORUS_SIP_END_CANCELLED:
      return "cancelled";
    case CHORUS_SIP_END_ANSWERED_ELSEWHERE:
      return "answered_elsewhere";
    case CHORUS_SIP_END_TIMEOUT:
      return "timeout";
    case CHORUS_SIP_END_TRANSPORT:
      return "transport";
    case CHORUS_SIP_END_MEDIA:
      return "media";
    case CHORUS_SIP_END_NONE:
    default:
      return "unknown";
    }
}

/* Ends the call from this side because of a failure of ours (media,
 * no device): BYE or CANCEL through the UA when it knows the call. */
static void
fail_call (PhoneCall *call, int status, const char *reason)
{
  ChorusPhone *phone = call->phone;
  g_message ("call %u with %s: %s", call->id, call->remote, reason);
  /* the UA reports the hangup as local: the reason is ours */
  call->forced_status = status;
  call->forced_reason = reason;
  if (call->ua_call != 0)
    {
      chorus_sip_ua_hangup (phone->ua, call->ua_call, now_ms (), NULL);
      phone_ua_poke (phone);
    }
  phone_call_ended (call, status, reason);
}

/* ---------------------------------------------------------------- media */

static char *
source_description (const char *play)
{
  if (play == NULL)
    return NULL;
  if (g_str_has_prefix (play, "tone:"))
    {
      double hz = g_ascii_strtod (play + 5, NULL);
      /* 20 ms buffers, as a sound card gives them */
      return g_strdup_printf ("audiotestsrc wave=sine freq=%g volume=0.5 is-live=true "
                              "samplesperbuffer=960 ! capsfilter caps=audio/x-raw,rate=48000",
                              hz);
    }
  g_autofree char *quoted = g_strescape (play, NULL);
  /* a file plays at the pace of the clock, as a microphone would */
  return g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! audioconvert ! audioresample ! "
                          "identity sync=true",
                          quoted);
}

static void answer_if_ready (PhoneCall *call);
static void try_invite (PhoneCall *call);

static void
media_gathered (CallMedia *media, gpointer data)
{
  PhoneCall *call = data;
  call->media_gathered = TRUE;
  if (call->outgoing)
    try_invite (call);
  else
    answer_if_ready (call);
}

static void
media_connected (CallMedia *media, gpointer data)
{
  PhoneCall *call = data;
  g_message ("call %u with %s: media connected (%s)", call->id, call->remote,
             call->codec ? call->codec : "?");
}

static gboolean
bye_not_seen (gpointer data)
{
  PhoneCall *call = data;
  g_clear_pointer (&call->closed_timer, g_source_unref);
  fail_call (call, 200, "media_closed");
  return G_SOURCE_REMOVE;
}

static void
media_failed (CallMedia *media, const GError *error, gpointer data)
{
  PhoneCall *call = data;
  if (g_error_matches (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_CLOSED))
    {
      /* the other side hung up: its BYE is on its way on the SIP
       * connection, which races the close_notify on the media path */
      g_debug ("call %u with %s: the peer closed the media", call->id, call->remote);
      drop_media (call);
      if (call->closed_timer == NULL)
        {
          call->closed_timer = g_timeout_source_new (CHORUS_PHONE_BYE_GRACE_MS);
          g_source_set_callback (call->closed_timer, bye_not_seen, call, NULL);
          g_source_attach (call->closed_timer, g_main_context_get_thread_default ());
        }
      return;
    }
  g_message ("call %u with %s: media failed: %s", call->id, call->remote, error->message);
  fail_call (call, 500, "media");
}

static void
media_stats (CallMedia *media, const CallMediaStats *stats, gpointer data)
{
  PhoneCall *call = data;
  gint64 now = g_get_monotonic_time ();
  if (!call->have_stats || stats->packets_received > call->stats.packets_received
      || call->last_rx_us == 0)
    call->last_rx_us = now;
  call->stats = *stats;
  call->have_stats = TRUE;
  /* The other side should be sending (RFC 3264 §6.1: our sendrecv or
   * recvonly) and nothing came for CHORUS_PHONE_MEDIA_TIMEOUT_MS: it is
   * gone (a crash, a network that went away), and neither its BYE nor
   * ICE consent expiry (RFC 7675: 30 s) will come sooner.  Ends the call
   * with a reason rather than leaving it up in silence. */
  const ChorusSdpSession *local =
      call->ua_call ? chorus_sip_ua_call_local_sdp (call->phone->ua, call->ua_call) : NULL;
  gboolean expecting =
      call->state == CALL_ACTIVE && local != NULL
      && (local->direction == CHORUS_SDP_SENDRECV || local->direction == CHORUS_SDP_RECVONLY);
  if (!expecting)
    call->last_rx_us = now;
  else if (now - call->last_rx_us > (gint64) CHORUS_PHONE_MEDIA_TIMEOUT_MS * 1000)
    fail_call (call, 408, "media_timeout");
}

static void
media_dtmf (CallMedia *media, gchar digit, gpointer data)
{
  PhoneCall *call = data;
  /* at most a screenful: hostile senders get no more memory than that */
  if (call->dtmf_received->len < 256)
    {
      g_string_append_c (call->dtmf_received, digit);
      g_message ("call %u: DTMF %c received", call->id, digit);
      phone_changed (call->phone);
    }
}

static gboolean
dtmf_step (gpointer data)
{
  PhoneCall *call = data;
  g_clear_pointer (&call->dtmf_timer, g_source_unref);
  guint next_ms;
  if (call->media == NULL)
    return G_SOURCE_REMOVE;
  if (call->dtmf_on)
    {
      /* RFC 4733 §2.5.1.4: the end of the event, then a pause */
      call_media_stop_dtmf (call->media);
      call->dtmf_on = FALSE;
      next_ms = CHORUS_PHONE_DTMF_GAP_MS;
    }
  else if (call->dtmf_queue->len > 0
           && call_media_get_state (call->media) != CALL_MEDIA_STATE_CONNECTED)
    next_ms = 50; /* answered, the media still connecting: the digits wait */
  else if (call->dtmf_queue->len > 0)
    {
      char digit = call->dtmf_queue->str[0];
      g_string_erase (call->dtmf_queue, 0, 1);
      g_autoptr (GError) error = NULL;
      if (!call_media_start_dtmf (call->media, digit, &error))
        g_message ("call %u: DTMF %c: %s", call->id, digit, error->message);
      else
        call->dtmf_on = TRUE;
      next_ms = CHORUS_PHONE_DTMF_ON_MS;
    }
  else
    return G_SOURCE_REMOVE;
  call->dtmf_timer = g_timeout_source_new (next_ms);
  g_source_set_callback (call->dtmf_timer, dtmf_step, call, NULL);
  g_source_attach (call->dtmf_timer, g_main_context_get_thread_default ());
  return G_SOURCE_REMOVE;
}

gboolean
phone_call_send_dtmf (PhoneCall *call, const char *digits, GError **error)
{
  if (call->state != CALL_ACTIVE || call->media == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE, "call %u is not answered",
                   call->id);
      return FALSE;
    }
  for (const char *p = digits; *p; p++)
    if (strchr ("0123456789*#ABCD", g_ascii_toupper (*p)) == NULL)
      {
        g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                     "“%c” is not a DTMF digit (0-9, *, #, A-D)", *p);
        return FALSE;
      }
  if (call->dtmf_queue->len + strlen (digits) > 64)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "at most 64 digits wait to be sent");
      return FALSE;
    }
  for (const char *p = digits; *p; p++)
    g_string_append_c (call->dtmf_queue, g_ascii_toupper (*p));
  if (call->dtmf_timer == NULL)
    {
      call->dtmf_timer = g_idle_source_new ();
      g_source_set_callback (call->dtmf_timer, dtmf_step, call, NULL);
      g_source_attach (call->dtmf_timer, g_main_context_get_thread_default ());
    }
  return TRUE;
}

static gboolean
make_media (PhoneCall *call, gboolean offerer)
{
  ChorusPhone *phone = call->phone;
  gboolean controlling;
  CallMediaDtlsRole role;
  call_media_sdp_roles (offerer, &controlling, &role);
  call->media = call_media_new (controlling, role);
  if (phone->media_address != NULL)
    {
      const char *local[] = { phone->media_address, NULL };
      g_object_set (call->media, "local-addresses", local, NULL);
    }
  g_autofree char *source =
      phone->play ? source_description (phone->play) : g_strdup (phone->source);
  g_autofree char *quoted = phone->record ? g_strescape (phone->record, NULL) : NULL;
  g_autofree char *sink = quoted ? g_strdup_printf ("wavenc ! filesink location=\"%s\"", quoted)
                                 : g_strdup (phone->sink);
  g_object_set (call->media, "source", source, "sink", sink, "echo-cancel", phone->echo_cancel,
                "mute", call->muted, NULL);
  g_signal_connect (call->media, "gathered", G_CALLBACK (media_gathered), call);
  g_signal_connect (call->media, "connected", G_CALLBACK (media_connected), call);
  g_signal_connect (call->media, "failed", G_CALLBACK (media_failed), call);
  g_signal_connect (call->media, "stats", G_CALLBACK (media_stats), call);
  g_signal_connect (call->media, "dtmf-received", G_CALLBACK (media_dtmf), call);
  g_autoptr (GError) error = NULL;
  if (!call_media_start (call->media, &error))
    {
      g_message ("call %u: media: %s", call->id, error->message);
      return FALSE;
    }
  return TRUE;
}

/* The description pair of the call is settled (answered, or a re-INVITE
 * done): the media takes the remote ICE, fingerprint, codec and
 * direction. */
static gboolean
configure_media (PhoneCall *call, const ChorusSdpSession *local, const ChorusSdpSession *remote,
                 gboolean we_offered, GError **error)
{
  if (call->media == NULL || local == NULL || remote == NULL)
    return TRUE;
  if (!call_media_sdp_apply (call->media, local, remote, we_offered, error))
    return FALSE;
  call->media_configured = TRUE;
  const ChorusSdpCodec *codec = chorus_sdp_selected_codec (we_offered ? remote : local);
  if (codec != NULL)
    {
      g_free (call->codec);
      call->codec = g_strdup (codec->name);
    }
  /* on hold either way (RFC 3264 §8.4): this side holds (sendonly,
   * inactive) or is held (recvonly) */
  gboolean on_hold = local->direction != CHORUS_SDP_SENDRECV;
  if (on_hold != call->on_hold)
    g_message ("call %u with %s: %s", call->id, call->remote, on_hold ? "on hold" : "resumed");
  call->on_hold = on_hold;
  phone_changed (call->phone);
  return TRUE;
}

/* ---------------------------------------------------------------- incoming */

static void
answer_if_ready (PhoneCall *call)
{
  ChorusPhone *phone = call->phone;
  if (!call->answer_wanted || !call->media_gathered || call->state != CALL_RINGING)
    return;
  call->answer_wanted = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusSdpSession) local = call_media_sdp_local (call->media, NULL, &error);
  if (local == NULL || !chorus_sip_ua_answer (phone->ua, call->ua_call, local, now_ms (), &error))
    {
      g_message ("call %u: cannot answer: %s", call->id, error->message);
      chorus_sip_ua_reject (phone->ua, call->ua_call, 500, now_ms (), NULL);
    }
  phone_ua_poke (phone);
}

static gboolean
busy (ChorusPhone *phone)
{
  for (GList *l = phone->calls; l; l = l->next)
    {
      PhoneCall *call = l->data;
      if (call->state != CALL_ENDED && call->text == NULL)
        return TRUE;
    }
  return FALSE;
}

static void
incoming_call (ChorusPhone *phone, const ChorusSipEvent *e)
{
  gint64 now = now_ms ();
  if (phone->signed_out)
    {
      chorus_sip_ua_reject (phone->ua, e->call, 480, now, NULL);
      return;
    }
  /* one call at a time: a second rings as busy (RFC 3261 §21.4.24) */
  if (busy (phone))
    {
      g_message ("call from %s: busy", e->from);
      chorus_sip_ua_reject (phone->ua, e->call, 486, now, NULL);
      return;
    }
  g_autofree char *from = chorus_sip_aor_normalize (e->from, NULL, NULL, NULL);
  PhoneCall *call = phone_call_new (phone, FALSE, from ? from : e->from);
  call->ua_call = e->call;
  if (g_hash_table_contains (phone->conns, &e->conn))
    g_array_append_val (call->up_conns, e->conn);
  /* an INVITE without an offer (RFC 3264 §5): this side offers, in its
   * 200 (chorus_sip_ua_answer() puts our description there as the offer),
   * and the answer comes in the ACK (CHORUS_SIP_EVENT_ANSWERED): the media
   * takes the offerer's roles (ICE controlling, DTLS actpass) */
  call->offerer = e->remote_sdp == NULL;
  g_message ("call %u from %s: ringing%s", call->id, call->remote,
             call->offerer ? " (no offer: ours goes in the 200)" : "");
  if (!make_media (call, call->offerer))
    {
      chorus_sip_ua_reject (phone->ua, e->call, 500, now, NULL);
      return;
    }
  chorus_sip_ua_ring (phone->ua, e->call, 180, now, NULL);
  call->answer_wanted = phone->auto_answer;
  answer_if_ready (call);
}

/* ---------------------------------------------------------------- outgoing */

static void
no_device (PhoneCall *call, int status, const char *reason)
{
  phone_call_ended (call, status, reason);
}

/* ChorusDialerCallbacks (chorus-dialer.h) */
static void
dial_opened (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  PhoneCall *call = user_data;
  phone_conn_add (call->phone, conn, call->id);
}

static void
dial_released (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  PhoneCall *call = user_data;
  phone_conn_forget (call->phone, conn);
}

static void
dial_done (ChorusDialer *dialer, const guint64 *conns, guint n_conns, int status,
           const char *reason, gpointer user_data)
{
  PhoneCall *call = user_data;
  g_array_append_vals (call->up_conns, conns, n_conns);
  g_clear_pointer (&call->dialer, chorus_dialer_free);
  if (n_conns == 0)
    no_device (call, status, reason);
  else
    try_invite (call);
}

static const ChorusDialerCallbacks dial_callbacks = {
  .opened = dial_opened,
  .released = dial_released,
  .done = dial_done,
};

void
phone_call_start_outgoing (PhoneCall *call)
{
  ChorusPhone *phone = call->phone;
  g_message ("%s %u to %s: %s", call->text ? "message" : "call", call->id, call->remote,
             call->text ? "looking up" : "dialing");
  if (call->text != NULL)
    call->media_gathered = TRUE; /* a MESSAGE has no media */
  else if (!make_media (call, TRUE))
    {
      phone_call_ended (call, 500, "media");
      return;
    }
  call->dialer =
      chorus_dialer_new (phone->shell, call->remote, &phone->node_id, CHORUS_PHONE_APPLICATION,
                         CHORUS_PHONE_FORK_GRACE_MS, &dial_callbacks, call);
}

static gboolean
hang_up_after_duration (gpointer data)
{
  PhoneCall *call = data;
  g_clear_pointer (&call->duration_timer, g_source_unref);
  chorus_phone_hangup (call->phone, call->id);
  return G_SOURCE_REMOVE;
}

/* RFC 3428: the MESSAGE goes to every device of the AOR, as a proxy would
 * fork it; the first 2xx says it was delivered, and the message is over
 * when every device answered (the last failure's status otherwise). */
static void
send_message (PhoneCall *call)
{
  ChorusPhone *phone = call->phone;
  for (guint i = 0; i < call->up_conns->len; i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 conn = g_array_index (call->up_conns, guint64, i);
      guint req = chorus_sip_ua_send_message (phone->ua, conn, call->remote, "text/plain",
                                              call->text, strlen (call->text), now_ms (), &error);
      if (req == 0)
        {
          g_message ("message %u: %s", call->id, error->message);
          continue;
        }
      g_array_append_val (call->requests, req);
    }
  phone_ua_poke (phone);
  if (call->requests->len == 0)
    phone_call_ended (call, 500, "send_failed");
}

static void
message_status (ChorusPhone *phone, const ChorusSipEvent *e)
{
  for (GList *l = phone->calls; l; l = l->next)
    {
      PhoneCall *call = l->data;
      if (call->text == NULL || call->state == CALL_ENDED)
        continue;
      for (guint i = 0; i < call->requests->len; i++)
        if (g_array_index (call->requests, guint, i) == e->request)
          {
            g_array_remove_index (call->requests, i);
            if (e->status >= 200 && e->status < 300)
              phone_call_ended (call, e->status, "delivered");
            else if (call->requests->len == 0)
              phone_call_ended (call, e->status, "rejected");
            return;
          }
    }
}

/* The INVITE goes once the media has gathered (the offer carries every
 * candidate) and every device is connected or the fork grace is over. */
static void
try_invite (PhoneCall *call)
{
  ChorusPhone *phone = call->phone;
  if (call->invited || call->state == CALL_ENDED || !call->media_gathered || call->dialer != NULL
      || call->up_conns->len == 0)
    return;
  call->invited = TRUE;
  g_autoptr (GError) error = NULL;
  if (call->text != NULL)
    {
      send_message (call);
      return;
    }
  g_autoptr (ChorusSdpSession) local = call_media_sdp_local (call->media, NULL, &error);
  if (local == NULL)
    {
      fail_call (call, 500, "media");
      return;
    }
  call->ua_call =
      chorus_sip_ua_call (phone->ua, call->remote, (const ChorusSipConnId *) call->up_conns->data,
                          call->up_conns->len, local, now_ms (), &error);
  phone_ua_poke (phone);
  if (call->ua_call == 0)
    {
      g_message ("call %u: INVITE: %s", call->id, error->message);
      phone_call_ended (call, 500, "invite_failed");
    }
}

void
phone_call_conn_up (PhoneCall *call, guint64 conn)
{
  if (call->dialer != NULL)
    chorus_dialer_conn_up (call->dialer, conn);
}

void
phone_call_conn_down (PhoneCall *call, guint64 conn)
{
  if (call->dialer != NULL)
    chorus_dialer_conn_down (call->dialer, conn);
  /* once invited, the UA hears of it (connection_closed) */
}

/* ---------------------------------------------------------------- UA events */

void
phone_call_event (ChorusPhone *phone, const ChorusSipEvent *e)
{
  if (e == NULL)
    {
      for (GList *l = phone->calls; l; l = l->next)
        answer_if_ready (l->data);
      return;
    }
  if (e->type == CHORUS_SIP_EVENT_INCOMING_CALL)
    {
      incoming_call (phone, e);
      return;
    }
  if (e->type == CHORUS_SIP_EVENT_MESSAGE)
    {
      phone_inbox_add (phone, e);
      return;
    }
  if (e->type == CHORUS_SIP_EVENT_MESSAGE_STATUS)
    {
      message_status (phone, e);
      return;
    }
  PhoneCall *call = e->call != 0 ? phone_call_find_ua (phone, e->call) : NULL;
  if (call == NULL)
    return;
  g_autoptr (GError) error = NULL;
  switch (e->type)
    {
    case CHORUS_SIP_EVENT_RINGING:
      if (call->state == CALL_DIALING)
        call->state = CALL_RINGING;
      phone_changed (phone);
      g_message ("call %u to %s: ringing (%d)", call->id, call->remote, e->status);
      break;
    case CHORUS_SIP_EVENT_ANSWERED:
      call->state = CALL_ACTIVE;
      call->answered_us = g_get_monotonic_time ();
      phone_changed (phone);
      g_message ("call %u with %s: answered after %" G_GINT64_FORMAT " ms", call->id, call->remote,
                 (call->answered_us - call->dial_us) / 1000);
      if (!configure_media (call, e->local_sdp, e->remote_sdp, call->offerer, &error))
        {
          g_message ("call %u: the media does not fit: %s", call->id, error->message);
          fail_call (call, 488, "media");
          return;
        }
      if (call->outgoing && call->duration_ms > 0)
        {
          call->duration_timer = g_timeout_source_new (call->duration_ms);
          g_source_set_callback (call->duration_timer, hang_up_after_duration, call, NULL);
          g_source_attach (call->duration_timer, g_main_context_get_thread_default ());
        }
      break;
    case CHORUS_SIP_EVENT_MEDIA_UPDATED:
      {
        gboolean we_offered = call->reoffer_pending;
        call->reoffer_pending = FALSE;
        if (e->status == 200
            && !configure_media (call, e->local_sdp, e->remote_sdp, we_offered, &error))
          g_message ("call %u: the new description does not fit: %s", call->id, error->message);
      }
      g_message ("call %u with %s: %s", call->id, call->remote,
                 call->on_hold ? "on hold" : "resumed");
      break;
    case CHORUS_SIP_EVENT_ENDED:
      phone_call_ended (call, e->status, end_reason_name (e->reason));
      break;
    default:
      break;
    }
}
