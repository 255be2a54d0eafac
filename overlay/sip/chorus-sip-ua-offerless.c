/* chorus-sip-ua-offerless.c: the delayed offer of our INVITEs (RFC 3264
 * §5, RFC 3261 §13.2.1): a call placed without a description gets the
 * offer in the 2xx, and the app's answer goes in the ACK (§13.2.2.4); and
 * the accessors of calls (chorus-sip-ua.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-ua-private.h"

/* ---------------------------------------------------------------- the 2xx */

void
call_offerless_2xx (ChorusSipUa *ua, Call *c, Branch *b, osip_message_t *resp)
{
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) offer = call_body_sdp (resp, &bad);
  if (offer == NULL)
    {
      /* RFC 3261 §13.2.1: our INVITE had no offer, so the 2xx must carry
       * one; without it there is no session: ACK, then BYE (§13.2.2.4) */
      call_cancel_branches (ua, c, b, TRUE);
      call_ack_and_bye (ua, c, b, resp);
      call_end (ua, c, 488, CHORUS_SIP_END_MEDIA);
      return;
    }
  /* §12.1.2: the dialog of the UAC */
  c->remote_tag = g_strdup (chorus_sip_message_to_tag (resp));
  c->remote_target = chorus_sip_message_contact_uri (resp);
  g_ptr_array_unref (c->route_set);
  c->route_set = call_route_set_of (resp, TRUE);
  c->conn = b->conn;
  g_clear_pointer (&c->remote, chorus_sdp_session_free);
  c->remote = g_steal_pointer (&offer);
  c->ack_cseq = c->invite_cseq;
  g_clear_pointer (&c->ack_bytes, g_bytes_unref); /* none until the answer */
  c->state = CALL_OUT_ANSWERING;
  c->no_answer_at = -1;
  c->answer_deadline = ua->now + CHORUS_SIP_ANSWER_TIMEOUT_MS;
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_ANSWERED,
    .call = c->id,
    .conn = c->conn,
    .status = 200,
    .remote_sdp = c->remote,
    .needs_answer = TRUE,
  };
  ua_emit (ua, &ev);
  /* the first 2xx wins; the others are told why (RFC 3326) */
  call_cancel_branches (ua, c, b, TRUE);
  c->cancelling = FALSE;
}

/* §13.2.2.4: the ACK of the winning 2xx, with @answer as its body or
 * none; kept for the 2xx's retransmissions (branch_response(),
 * call_handle_stray_2xx() send c->ack_bytes again, and nothing while it is
 * NULL: those that come while the app makes its answer are absorbed). */
static void
send_ack (ChorusSipUa *ua, Call *c, const ChorusSdpSession *answer)
{
  c->answer_deadline = -1;
  osip_message_t *ack = call_dialog_request (ua, c, c->conn, c->remote_tag, c->remote_target,
                                             c->route_set, "ACK", c->ack_cseq);
  if (ack == NULL)
    return;
  if (answer != NULL)
    call_set_sdp_body (ack, answer);
  g_clear_pointer (&c->ack_bytes, g_bytes_unref);
  c->ack_bytes = chorus_sip_message_to_bytes (ack);
  osip_message_free (ack);
  ua_send (ua, c->conn, c->ack_bytes);
}

void
call_offerless_abandon (ChorusSipUa *ua, Call *c, gboolean bye)
{
  send_ack (ua, c, NULL);
  if (bye)
    call_send_bye (ua, c);
}

/* ---------------------------------------------------------------- the app's answer */

static Call *
call_answering (ChorusSipUa *ua, guint id, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c != NULL && c->state != CALL_OUT_ANSWERING)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE,
                   "call %u has no offer waiting for an answer", id);
      return NULL;
    }
  return c;
}

gboolean
chorus_sip_ua_ack_with_answer (ChorusSipUa *ua, guint id, const ChorusSdpSession *answer,
                               gint64 now, GError **error)
{
  Call *c = call_answering (ua, id, error);
  if (c == NULL)
    return FALSE;
  if (answer == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "no answer");
      return FALSE;
    }
  ua_enter (ua, now);
  gboolean ok = chorus_sdp_check_answer (c->remote, answer, error);
  if (!ok)
    {
      /* RFC 3264 §6: it does not answer the offer; the session cannot be */
      call_offerless_abandon (ua, c, TRUE);
      call_end (ua, c, 488, CHORUS_SIP_END_MEDIA);
    }
  else
    {
      send_ack (ua, c, answer);
      g_clear_pointer (&c->local, chorus_sdp_session_free);
      c->local = chorus_sdp_session_copy (answer);
      if (answer->setup != CHORUS_SDP_SETUP_NONE)
        c->dtls_role = answer->setup; /* RFC 5763 §5: the answerer's choice */
      c->state = CALL_CONFIRMED;
    }
  ua_leave (ua);
  return ok;
}

gboolean
chorus_sip_ua_call_needs_answer (ChorusSipUa *ua, guint id)
{
  Call *c = call_lookup (ua, id);
  return c != NULL && c->state == CALL_OUT_ANSWERING;
}

/* ---------------------------------------------------------------- accessors */

const ChorusSdpSession *
chorus_sip_ua_call_local_sdp (ChorusSipUa *ua, guint id)
{
  Call *c = call_lookup (ua, id);
  return c ? c->local : NULL;
}

const ChorusSdpSession *
chorus_sip_ua_call_remote_sdp (ChorusSipUa *ua, guint id)
{
  Call *c = call_lookup (ua, id);
  return c ? c->remote : NULL;
}

ChorusSipConnId
chorus_sip_ua_call_connection (ChorusSipUa *ua, guint id)
{
  Call *c = call_lookup (ua, id);
  return c ? c->conn : 0;
}

guint
chorus_sip_ua_call_count (ChorusSipUa *ua)
{
  return g_hash_table_size (ua->calls);
}
