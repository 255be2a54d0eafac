/* chorus-sip-adapter-bridge.c: the adapter's calls, each two legs joined
 * back to back (see chorus-sip-adapter.h): what one leg hears goes to
 * the other (ringing, the answer's description unchanged, the end).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-adapter"

#include "chorus-sip-adapter-private.h"

#include <string.h>

/* How long an ended call's overlay connections stay open: the BYE or
 * CANCEL transactions end on them. */
#define LINGER_MS 4000
/* Ended calls kept for the status. */
#define MAX_ENDED 32

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static Bridge *
bridge_find (ChorusSipAdapter *a, guint id)
{
  for (GList *l = a->bridges; l; l = l->next)
    if (((Bridge *) l->data)->id == id)
      return l->data;
  return NULL;
}

/* The bridge whose leg is @ua's @call; *@in tells which leg. */
static Bridge *
bridge_of_leg (ChorusSipAdapter *a, ChorusSipUa *ua, guint call, gboolean *in)
{
  for (GList *l = a->bridges; l; l = l->next)
    {
      Bridge *b = l->data;
      if (b->in.ua == ua && b->in.call == call && !b->in.ended)
        {
          *in = TRUE;
          return b;
        }
      if (b->out.ua == ua && b->out.call == call && !b->out.ended)
        {
          *in = FALSE;
          return b;
        }
    }
  return NULL;
}

static void
close_overlay_conns (ChorusSipAdapter *a, Bridge *b)
{
  for (guint i = 0; i < b->overlay_conns->len; i++)
    {
      guint64 conn = g_array_index (b->overlay_conns, guint64, i);
      if (g_hash_table_remove (a->overlay_conns, &conn))
        {
          chorus_sip_ua_connection_closed (a->overlay_ua, conn, now_ms ());
          reload_peer_shell_app_close (a->shell, conn);
        }
    }
  g_array_set_size (b->overlay_conns, 0);
}

void
bridge_free (Bridge *b)
{
  g_clear_pointer (&b->dialer, chorus_dialer_free);
  if (b->linger != NULL)
    {
      g_source_destroy (b->linger);
      g_source_unref (b->linger);
    }
  if (b->adapter->overlay_conns != NULL)
    close_overlay_conns (b->adapter, b);
  g_array_unref (b->overlay_conns);
  g_clear_pointer (&b->offer, chorus_sdp_session_free);
  g_free (b->caller);
  g_free (b->callee);
  g_free (b->reason);
  g_free (b);
}

static gboolean
linger_over (gpointer data)
{
  Bridge *b = data;
  g_clear_pointer (&b->linger, g_source_unref);
  close_overlay_conns (b->adapter, b);
  adapter_poke (b->adapter);
  return G_SOURCE_REMOVE;
}

static void
trim_ended (ChorusSipAdapter *a)
{
  guint ended = 0;
  for (GList *l = a->bridges; l;)
    {
      GList *next = l->next;
      Bridge *b = l->data;
      if (b->ended && b->linger == NULL && ++ended > MAX_ENDED)
        {
          a->bridges = g_list_delete_link (a->bridges, l);
          bridge_free (b);
        }
      l = next;
    }
}

/* Both legs are over (or the out leg never started). */
static void
bridge_over (Bridge *b, int status, const char *reason)
{
  if (b->ended)
    return;
  b->ended = TRUE;
  b->status = status;
  g_free (b->reason);
  b->reason = g_strdup (reason);
  g_clear_pointer (&b->dialer, chorus_dialer_free);
  g_message ("call %u from %s to %s ended: %d %s", b->id, b->caller, b->callee, status, reason);
  if (b->overlay_conns->len > 0)
    {
      b->linger = g_timeout_source_new (LINGER_MS);
      g_source_set_callback (b->linger, linger_over, b, NULL);
      g_source_attach (b->linger, g_main_context_get_thread_default ());
    }
  trim_ended (b->adapter);
}

/* A final status the caller's leg can be refused with (RFC 3261 §21: 3xx
 * to 6xx); anything else says the callee could not be reached (§21.4.18). */
static int
refusal (int status)
{
  return status >= 300 && status < 700 ? status : 480;
}

/* ---------------------------------------------------------------- re-INVITEs */

/* A re-INVITE of one side waiting for the other side's answer gets 487
 * when the call ends first (RFC 3261 §15.1.2). */
static void
drop_reinvite (Bridge *b)
{
  Leg *from = g_steal_pointer (&b->reinviting);
  if (from != NULL && !from->ended)
    chorus_sip_ua_reinvite_reject (from->ua, from->call, 487, now_ms (), NULL);
}

/* RFC 3264 §8 through the B2BUA: the new offer of one side (hold with
 * sendonly or inactive, resume with sendrecv, §8.4) goes unchanged to the
 * other side in a re-INVITE of ours; its answer comes back in our 200
 * (relay_reinvite_result()). */
static void
relay_reinvite (Bridge *b, Leg *from, Leg *to, const ChorusSipEvent *e)
{
  g_autoptr (GError) error = NULL;
  int status = 0;
  if (b->ended || to->ua == NULL || to->ended || !b->in.answered)
    status = 500; /* the call is coming or going */
  else if (b->reinviting != NULL)
    status = 491; /* §14.2: the other side's re-INVITE is out (glare) */
  else if (e->remote_sdp == NULL
           || !chorus_sip_ua_reinvite (to->ua, to->call, e->remote_sdp, now_ms (), &error))
    {
      /* §14.2: that leg has an INVITE transaction of its own open: ours
       * would be glare */
      if (error != NULL)
        g_message ("call %u: the re-INVITE does not pass: %s", b->id, error->message);
      status = 491;
    }
  if (status != 0)
    {
      chorus_sip_ua_reinvite_reject (from->ua, from->call, status, now_ms (), NULL);
      return;
    }
  b->reinviting = from;
  g_message ("call %u: %s re-INVITEs (%s)", b->id, from == &b->in ? b->caller : b->callee,
             chorus_sdp_direction_to_string (e->remote_sdp->direction));
}

/* The other side answered our re-INVITE (MEDIA_UPDATED): its answer, or
 * its failure status (488, 491, ...), to the side that re-INVITEd. */
static void
relay_reinvite_result (Bridge *b, const ChorusSipEvent *e)
{
  Leg *from = g_steal_pointer (&b->reinviting);
  g_autoptr (GError) error = NULL;
  if (from->ended)
    return;
  if (e->status >= 200 && e->status < 300 && e->remote_sdp != NULL)
    {
      if (!chorus_sip_ua_reinvite_answer (from->ua, from->call, e->remote_sdp, now_ms (), &error))
        g_message ("call %u: the re-INVITE's answer does not pass: %s", b->id, error->message);
      else
        b->held = e->remote_sdp->direction != CHORUS_SDP_SENDRECV;
      return;
    }
  /* §14.1: a failed re-INVITE leaves the session as it was */
  int status = e->status >= 300 && e->status < 700 ? e->status : 500;
  g_message ("call %u: the re-INVITE failed: %d", b->id, status);
  chorus_sip_ua_reinvite_reject (from->ua, from->call, status, now_ms (), NULL);
}

/* RFC 3264 §5 through the B2BUA: the caller's ACK brought the answer to
 * the offer of the callee's 2xx (passed on in our 200): it goes into the
 * ACK of that 2xx, unchanged.  The callee's leg checks it answers the
 * offer; when it does not (or that leg gave up waiting), both legs end. */
static void
relay_answer (Bridge *b, const ChorusSipEvent *e)
{
  g_autoptr (GError) error = NULL;
  b->out.needs_answer = FALSE;
  if (b->out.ended)
    return; /* the callee's leg is over: its ENDED hangs up the caller's */
  if (e->remote_sdp == NULL
      || !chorus_sip_ua_ack_with_answer (b->out.ua, b->out.call, e->remote_sdp, now_ms (), &error))
    {
      /* the callee's leg ACKed without an answer and hung up (or will,
       * CHORUS_SIP_ANSWER_TIMEOUT_MS after its 2xx); its ENDED ends the
       * caller's leg too */
      g_message ("call %u: the caller's answer in its ACK does not pass: %s", b->id,
                 error ? error->message : "no answer");
      if (e->remote_sdp == NULL)
        chorus_sip_ua_hangup (b->out.ua, b->out.call, now_ms (), NULL);
      return;
    }
  g_message ("call %u: the caller's answer went into the ACK", b->id);
}

/* Refuses or hangs up the caller's leg. */
static void
end_in (Bridge *b, int status, const char *reason)
{
  ChorusSipAdapter *a = b->adapter;
  drop_reinvite (b);
  if (!b->in.ended)
    {
      if (b->in.answered)
        chorus_sip_ua_hangup (b->in.ua, b->in.call, now_ms (), NULL);
      else
        chorus_sip_ua_reject (b->in.ua, b->in.call, refusal (status), now_ms (), NULL);
      b->in.ended = TRUE;
    }
  bridge_over (b, status, reason);
  adapter_poke (a);
}

/* ---------------------------------------------------------------- out legs */

/* Rings every phone registered for the callee (forking, RFC 3261 §16.6:
 * one branch per binding), as the caller. */
static void
place_to_phones (Bridge *b)
{
  ChorusSipAdapter *a = b->adapter;
  g_autoptr (GPtrArray) bindings = adapter_phone_bindings (a, b->callee);
  g_autoptr (GArray) conns = g_array_new (FALSE, FALSE, sizeof (guint64));
  const char *target = NULL;
  for (guint i = 0; i < bindings->len; i++)
    {
      const ChorusSipRegistrarBinding *bd = g_ptr_array_index (bindings, i);
      adapter_phone_conn_declare (a, bd->conn);
      g_array_append_val (conns, bd->conn);
      if (target == NULL)
        target = bd->contact; /* §16.5: the Request-URI is the contact */
    }
  if (conns->len == 0)
    {
      g_message ("call %u: no phone of %s is registered", b->id, b->callee);
      end_in (b, 480, "no_phone");
      return;
    }
  g_autoptr (GError) error = NULL;
  b->out.ua = a->phone_ua;
  b->out.call =
      chorus_sip_ua_call_as (a->phone_ua, b->caller, target, (const ChorusSipConnId *) conns->data,
                             conns->len, b->offer, now_ms (), &error);
  adapter_poke (a);
  if (b->out.call == 0)
    {
      g_message ("call %u: INVITE to the phone: %s", b->id, error->message);
      end_in (b, 500, "invite_failed");
    }
}

static void
dial_opened (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  Bridge *b = user_data;
  guint64 *key = g_new (guint64, 1);
  *key = conn;
  g_hash_table_insert (b->adapter->overlay_conns, key, GUINT_TO_POINTER (b->id));
}

static void
dial_released (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  Bridge *b = user_data;
  g_hash_table_remove (b->adapter->overlay_conns, &conn);
}

static void
dial_done (ChorusDialer *dialer, const guint64 *conns, guint n_conns, int status,
           const char *reason, gpointer user_data)
{
  Bridge *b = user_data;
  ChorusSipAdapter *a = b->adapter;
  g_clear_pointer (&b->dialer, chorus_dialer_free);
  g_array_append_vals (b->overlay_conns, conns, n_conns);
  if (n_conns == 0)
    {
      end_in (b, status, reason);
      return;
    }
  g_autoptr (GError) error = NULL;
  b->out.ua = a->overlay_ua;
  b->out.call =
      chorus_sip_ua_call_as (a->overlay_ua, b->caller, b->callee, (const ChorusSipConnId *) conns,
                             n_conns, b->offer, now_ms (), &error);
  adapter_poke (a);
  if (b->out.call == 0)
    {
      g_message ("call %u: INVITE into the overlay: %s", b->id, error->message);
      end_in (b, 500, "invite_failed");
    }
}

static const ChorusDialerCallbacks dial_callbacks = {
  .opened = dial_opened,
  .released = dial_released,
  .done = dial_done,
};

void
bridge_overlay_conn_up (ChorusSipAdapter *a, guint id, guint64 conn)
{
  Bridge *b = bridge_find (a, id);
  if (b == NULL)
    messages_conn_up (a, id, conn); /* a MESSAGE's */
  else if (b->dialer != NULL)
    chorus_dialer_conn_up (b->dialer, conn);
}

void
bridge_overlay_conn_down (ChorusSipAdapter *a, guint id, guint64 conn)
{
  Bridge *b = bridge_find (a, id);
  if (b == NULL)
    {
      messages_conn_down (a, id, conn);
      return;
    }
  for (guint i = 0; i < b->overlay_conns->len; i++)
    if (g_array_index (b->overlay_conns, guint64, i) == conn)
      {
        g_array_remove_index (b->overlay_conns, i);
        break;
      }
  if (b->dialer != NULL)
    chorus_dialer_conn_down (b->dialer, conn);
}

/* ---------------------------------------------------------------- incoming */

static Bridge *
bridge_new (ChorusSipAdapter *a, ChorusSipUa *ua, const ChorusSipEvent *e, char *caller,
            char *callee)
{
  Bridge *b = g_new0 (Bridge, 1);
  b->adapter = a;
  b->id = a->next_bridge_id++;
  b->caller = caller;
  b->callee = callee;
  b->in.ua = ua;
  b->in.call = e->call;
  b->offer = e->remote_sdp ? chorus_sdp_session_copy (e->remote_sdp) : NULL;
  b->overlay_conns = g_array_new (FALSE, FALSE, sizeof (guint64));
  a->bridges = g_list_prepend (a->bridges, b);
  return b;
}

const ChorusAdapterUser *
adapter_our_user (ChorusSipAdapter *a, const char *aor)
{
  g_autofree char *user = chorus_sip_aor_to_user_name (aor, NULL);
  g_autofree char *suffix = g_strconcat ("@", a->domain, NULL);
  if (user == NULL || !g_str_has_suffix (user, suffix))
    return NULL;
  user[strlen (user) - strlen (suffix)] = '\0';
  return chorus_adapter_users_lookup (a->users, user);
}

gboolean
adapter_registered_from (ChorusSipAdapter *a, const char *aor, guint64 conn)
{
  g_autoptr (GPtrArray) bindings = chorus_sip_registrar_lookup (a->registrar, aor, now_ms ());
  for (guint i = 0; i < bindings->len; i++)
    if (((ChorusSipRegistrarBinding *) g_ptr_array_index (bindings, i))->conn == conn)
      return TRUE;
  return FALSE;
}

static void
incoming (ChorusSipAdapter *a, ChorusSipUa *ua, const ChorusSipEvent *e)
{
  gint64 now = now_ms ();
  g_autofree char *caller = chorus_sip_aor_normalize (e->from, a->domain, NULL, NULL);
  g_autofree char *callee = chorus_sip_aor_normalize (e->to, a->domain, NULL, NULL);
  if (caller == NULL || callee == NULL || a->stopping)
    {
      chorus_sip_ua_reject (ua, e->call, a->stopping ? 480 : 400, now, NULL);
      return;
    }
  /* An INVITE without an offer (RFC 3264 §5, a delayed offer) goes on
   * without one (b->offer NULL): the callee's 200 brings the offer, which
   * our 200 passes on unchanged (chorus_sip_ua_answer_verbatim()), and the
   * caller's ACK brings the answer, which goes into the ACK of the
   * callee's 200 (chorus_sip_ua_ack_with_answer()): see bridge_event(). */
  if (ua == a->phone_ua)
    {
      /* a phone calls: as the user it registered as, from where it
       * registered (the REGISTER was authenticated there) */
      if (adapter_our_user (a, caller) == NULL || !adapter_registered_from (a, caller, e->conn))
        {
          g_message ("INVITE from %s refused: not registered from that connection", caller);
          chorus_sip_ua_reject (ua, e->call, 403, now, NULL);
          return;
        }
      Bridge *b = bridge_new (a, ua, e, g_steal_pointer (&caller), g_steal_pointer (&callee));
      b->from_phone = TRUE;
      g_message ("call %u from phone %s to %s", b->id, b->caller, b->callee);
      if (adapter_our_user (a, b->callee) != NULL)
        place_to_phones (b);
      else
        b->dialer = chorus_dialer_new (a->shell, b->callee, &a->node_id,
                                       CHORUS_SIP_ADAPTER_APPLICATION, 500, &dial_callbacks, b);
      return;
    }
  /* from the overlay, for one of our users */
  if (adapter_our_user (a, callee) == NULL)
    {
      chorus_sip_ua_reject (ua, e->call, 404, now, NULL);
      return;
    }
  Bridge *b = bridge_new (a, ua, e, g_steal_pointer (&caller), g_steal_pointer (&callee));
  g_message ("call %u from %s to phone %s", b->id, b->caller, b->callee);
  place_to_phones (b);
}

/* ---------------------------------------------------------------- events */

static int
end_status (const ChorusSipEvent *e)
{
  switch (e->reason)
    {
    case CHORUS_SIP_END_TIMEOUT:
      return 408;
    case CHORUS_SIP_END_TRANSPORT:
      return 480;
    case CHORUS_SIP_END_MEDIA:
      return 488;
    default:
      return e->status;
    }
}

void
bridge_event (ChorusSipAdapter *a, ChorusSipUa *ua, const ChorusSipEvent *e)
{
  if (e->type == CHORUS_SIP_EVENT_INCOMING_CALL)
    {
      incoming (a, ua, e);
      return;
    }
  if (e->call == 0)
    return; /* MESSAGEs go through chorus-sip-adapter-message.c */
  gboolean in;
  Bridge *b = bridge_of_leg (a, ua, e->call, &in);
  if (b == NULL)
    {
      /* §12.2.2: no call of ours any more */
      if (e->type == CHORUS_SIP_EVENT_REINVITE)
        chorus_sip_ua_reinvite_reject (ua, e->call, 481, now_ms (), NULL);
      return;
    }
  Leg *me = in ? &b->in : &b->out;
  Leg *other = in ? &b->out : &b->in;
  g_autoptr (GError) error = NULL;
  switch (e->type)
    {
    case CHORUS_SIP_EVENT_RINGING:
      if (!in && !b->in.ended)
        chorus_sip_ua_ring (b->in.ua, b->in.call, e->status, now_ms (), NULL);
      break;
    case CHORUS_SIP_EVENT_ANSWERED:
      me->answered = TRUE;
      if (in)
        {
          /* the caller's ACK came: for a delayed offer, with the answer
           * the callee's leg waits for */
          if (b->out.needs_answer)
            relay_answer (b, e);
          break;
        }
      /* the callee's answer (or, to a delayed offer, its offer),
       * unchanged, to the caller: the media runs end to end */
      me->needs_answer = e->needs_answer;
      if (b->in.ended
          || !chorus_sip_ua_answer_verbatim (b->in.ua, b->in.call, e->remote_sdp, now_ms (),
                                             &error))
        {
          if (error != NULL)
            g_message ("call %u: the answer does not pass: %s", b->id, error->message);
          b->in.ended = TRUE;
          chorus_sip_ua_hangup (b->out.ua, b->out.call, now_ms (), NULL);
          bridge_over (b, 488, "media");
          break;
        }
      b->in.answered = TRUE;
      g_message ("call %u from %s to %s answered%s", b->id, b->caller, b->callee,
                 e->needs_answer ? " (the offer in the 200, the answer in the ACK)" : "");
      break;
    case CHORUS_SIP_EVENT_REINVITE:
      relay_reinvite (b, me, other, e);
      break;
    case CHORUS_SIP_EVENT_MEDIA_UPDATED:
      /* the answer to a re-INVITE we relayed to this leg; other updates
       * (an offerless re-INVITE the UA answered itself) stay on their leg */
      if (b->reinviting == other)
        relay_reinvite_result (b, e);
      break;
    case CHORUS_SIP_EVENT_ENDED:
      me->ended = TRUE;
      drop_reinvite (b);
      if (in)
        {
          /* the caller hung up or cancelled: so does the callee's leg */
          if (b->dialer != NULL)
            g_clear_pointer (&b->dialer, chorus_dialer_free);
          if (other->ua != NULL && !other->ended)
            {
              other->ended = TRUE;
              chorus_sip_ua_hangup (other->ua, other->call, now_ms (), NULL);
            }
          const char *why = b->in.answered ? "caller_hangup"
                            : e->reason == CHORUS_SIP_END_DECLINED_LOCALLY
                                ? (e->status == 488 ? "media" : "refused")
                                : "cancelled";
          bridge_over (b, e->status, why);
        }
      else
        end_in (b, end_status (e),
                e->reason == CHORUS_SIP_END_MEDIA ? "media"
                : b->in.answered                  ? "callee_hangup"
                                                  : "refused");
      break;
    default:
      break;
    }
  adapter_poke (a);
}

void
bridge_hangup_all (ChorusSipAdapter *a)
{
  g_autoptr (GList) copy = g_list_copy (a->bridges);
  for (GList *l = copy; l; l = l->next)
    {
      Bridge *b = l->data;
      if (b->ended)
        continue;
      drop_reinvite (b);
      if (b->out.ua != NULL && !b->out.ended)
        {
          b->out.ended = TRUE;
          chorus_sip_ua_hangup (b->out.ua, b->out.call, now_ms (), NULL);
        }
      end_in (b, 480, "adapter_stopping");
    }
}

JsonNode *
bridge_json (Bridge *b)
{
  g_autoptr (JsonBuilder) j = json_builder_new ();
  json_builder_begin_object (j);
  json_builder_set_member_name (j, "id");
  json_builder_add_int_value (j, b->id);
  json_builder_set_member_name (j, "caller");
  json_builder_add_string_value (j, b->caller);
  json_builder_set_member_name (j, "callee");
  json_builder_add_string_value (j, b->callee);
  json_builder_set_member_name (j, "direction");
  json_builder_add_string_value (j, b->from_phone ? "from_phone" : "to_phone");
  json_builder_set_member_name (j, "state");
  json_builder_add_string_value (j, b->ended ? "ended" : b->in.answered ? "active" : "ringing");
  json_builder_set_member_name (j, "on_hold");
  json_builder_add_boolean_value (j, b->held);
  json_builder_set_member_name (j, "status");
  if (b->ended)
    json_builder_add_int_value (j, b->status);
  else
    json_builder_add_null_value (j);
  json_builder_set_member_name (j, "reason");
  if (b->reason != NULL)
    json_builder_add_string_value (j, b->reason);
  else
    json_builder_add_null_value (j);
  json_builder_end_object (j);
  return json_builder_get_root (j);
}
