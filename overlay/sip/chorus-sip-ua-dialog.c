/* chorus-sip-ua-dialog.c: requests within a dialog (RFC 3261 §12.2), the
 * 2xx retransmission of §13.3.1.4, and re-INVITE for hold and resume (§14,
 * RFC 3264 §8.4) (chorus-sip-ua.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-ua-private.h"

#include <string.h>

/* ---------------------------------------------------------------- dialog requests */

static void
add_routes (osip_message_t *m, GPtrArray *route_set)
{
  for (guint i = 0; route_set && i < route_set->len; i++)
    osip_message_set_route (m, g_ptr_array_index (route_set, i));
}

/* §12.2.1.1: a request within the dialog: the remote target as the
 * Request-URI, the route set as Route, the tags, the Call-ID. */
osip_message_t *
call_dialog_request (ChorusSipUa *ua, Call *c, ChorusSipConnId conn, const char *remote_tag,
                     const char *remote_target, GPtrArray *route_set, const char *method,
                     guint32 cseq)
{
  osip_message_t *m =
      ua_request (ua, conn, method, remote_target ? remote_target : c->remote_uri, c->local_uri,
                  c->local_tag, c->remote_uri, remote_tag, c->call_id, cseq);
  if (m != NULL)
    add_routes (m, route_set);
  return m;
}

void
call_add_contact (ChorusSipUa *ua, osip_message_t *m)
{
  g_autofree char *contact = g_strdup_printf ("<%s>", ua->contact);
  osip_message_set_contact (m, contact);
}

void
call_set_sdp_body (osip_message_t *m, const ChorusSdpSession *sdp)
{
  g_autofree char *text = chorus_sdp_to_string (sdp);
  if (text != NULL)
    chorus_sip_message_set_body (m, "application/sdp", text, strlen (text));
}

/* The description in a message's body, NULL when there is none; *@bad when
 * there is one that is not usable SDP. */
ChorusSdpSession *
call_body_sdp (const osip_message_t *m, gboolean *bad)
{
  gsize len = 0;
  const char *body = chorus_sip_message_body (m, &len);
  *bad = FALSE;
  if (body == NULL || len == 0)
    return NULL;
  g_autofree char *type = chorus_sip_message_content_type (m);
  ChorusSdpSession *s = NULL;
  if (g_strcmp0 (type, "application/sdp") == 0)
    s = chorus_sdp_parse (body, len, NULL);
  *bad = s == NULL;
  return s;
}

void
call_send_bye (ChorusSipUa *ua, Call *c)
{
  osip_message_t *bye = call_dialog_request (ua, c, c->conn, c->remote_tag, c->remote_target,
                                             c->route_set, "BYE", ++c->local_cseq);
  if (bye != NULL)
    chorus_sip_txn_client_new (ua->txns, c->conn, ua_reliable (ua, c->conn), bye, ua->now,
                               ua_owner_new (OWNER_CALL, c, NULL, NULL));
}

/* The route set of a UAC from a response's Record-Route (§12.1.2: in
 * reverse order), of a UAS from the request's (§12.1.1: in order). */
GPtrArray *
call_route_set_of (const osip_message_t *m, gboolean reverse)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  osip_record_route_t *rr = NULL;
  for (int i = 0; osip_message_get_record_route (m, i, &rr) >= 0 && rr != NULL; i++)
    {
      char *s = NULL;
      if (osip_record_route_to_str (rr, &s) == 0 && s != NULL)
        {
          if (reverse)
            g_ptr_array_insert (a, 0, g_strdup (s));
          else
            g_ptr_array_add (a, g_strdup (s));
        }
      osip_free (s);
    }
  return a;
}

/* §13.2.2.4: the ACK of a 2xx, sent by the UA core, with a new branch. */
GBytes *
call_send_ack (ChorusSipUa *ua, Call *c, ChorusSipConnId conn, const char *remote_tag,
               const char *remote_target, GPtrArray *route_set, guint32 cseq)
{
  osip_message_t *ack =
      call_dialog_request (ua, c, conn, remote_tag, remote_target, route_set, "ACK", cseq);
  if (ack == NULL)
    return NULL;
  GBytes *bytes = chorus_sip_message_to_bytes (ack);
  osip_message_free (ack);
  ua_send (ua, conn, bytes);
  return bytes;
}

void
call_start_ok_retransmission (ChorusSipUa *ua, Call *c, GBytes *ok, guint32 cseq, gboolean initial)
{
  /* §13.3.1.4: the 2xx again at T1, doubling up to T2, until the ACK;
   * 64*T1 without one ends the session */
  g_clear_pointer (&c->ok_bytes, g_bytes_unref);
  c->ok_bytes = g_bytes_ref (ok);
  c->ok_cseq = cseq;
  c->ok_initial = initial;
  c->ok_interval = CHORUS_SIP_T1;
  c->ok_next = ua_reliable (ua, c->conn) ? -1 : ua->now + CHORUS_SIP_T1;
  c->ok_deadline = ua->now + 64 * CHORUS_SIP_T1;
}

/* ---------------------------------------------------------------- re-INVITE */

void
call_emit_media_updated (ChorusSipUa *ua, Call *c, int status)
{
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_MEDIA_UPDATED,
    .call = c->id,
    .conn = c->conn,
    .status = status,
    .local_sdp = c->local,
    .remote_sdp = c->remote,
  };
  ua_emit (ua, &ev);
}

gboolean
chorus_sip_ua_hold (ChorusSipUa *ua, guint id, gboolean hold, gint64 now, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL)
    return FALSE;
  /* §14.1: not while another INVITE transaction of the dialog is open */
  if (c->state != CALL_CONFIRMED || c->reinvite != NULL || c->ok_bytes != NULL || c->local == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE,
                   "call %u cannot be re-INVITEd now", id);
      return FALSE;
    }
  ua_enter (ua, now);
  ChorusSdpSession *offer = chorus_sdp_session_copy (c->local);
  /* RFC 3264 §8: the version one up; §8.4: the hold directions */
  offer->session_version++;
  offer->direction = hold ? chorus_sdp_direction_hold (c->local->direction)
                          : chorus_sdp_direction_resume (c->local->direction);
  /* keep the DTLS association: the role we have (RFC 4145 §4) */
  if (offer->fingerprint != NULL && c->dtls_role != CHORUS_SDP_SETUP_NONE)
    offer->setup = c->dtls_role;
  g_clear_pointer (&c->offer, chorus_sdp_session_free);
  c->offer = offer;
  osip_message_t *inv = call_dialog_request (ua, c, c->conn, c->remote_tag, c->remote_target,
                                             c->route_set, "INVITE", ++c->local_cseq);
  if (inv != NULL)
    {
      call_add_contact (ua, inv);
      call_set_sdp_body (inv, offer);
      c->hold_pending = hold;
      c->reinvite =
          chorus_sip_txn_client_new (ua->txns, c->conn, ua_reliable (ua, c->conn), inv, ua->now,
                                     ua_owner_new (OWNER_REINVITE, c, NULL, NULL));
    }
  ua_leave (ua);
  return inv != NULL;
}

void
call_reinvite_response (ChorusSipUa *ua, Call *c, ChorusSipTxn *txn, osip_message_t *resp)
{
  int code = resp->status_code;
  if (code < 200)
    return;
  guint32 cseq = chorus_sip_message_cseq (resp);
  if (c->reinvite != txn)
    {
      /* a retransmitted 2xx of a re-INVITE already answered */
      if (code < 300 && cseq == c->ack_cseq)
        ua_send (ua, c->conn, c->ack_bytes);
      return;
    }
  c->reinvite = NULL;
  g_autoptr (ChorusSdpSession) offer = g_steal_pointer (&c->offer);
  if (code < 300)
    {
      g_clear_pointer (&c->ack_bytes, g_bytes_unref);
      c->ack_cseq = cseq;
      c->ack_bytes =
          call_send_ack (ua, c, c->conn, c->remote_tag, c->remote_target, c->route_set, cseq);
      gboolean bad = FALSE;
      g_autoptr (ChorusSdpSession) answer = call_body_sdp (resp, &bad);
      if (answer == NULL || offer == NULL || !chorus_sdp_check_answer (offer, answer, NULL))
        {
          call_emit_media_updated (ua, c, 488); /* the session stays as it was */
          return;
        }
      c->held = c->hold_pending;
      g_clear_pointer (&c->local, chorus_sdp_session_free);
      c->local = g_steal_pointer (&offer);
      g_clear_pointer (&c->remote, chorus_sdp_session_free);
      c->remote = g_steal_pointer (&answer);
      g_autofree char *target = chorus_sip_message_contact_uri (resp);
      if (target != NULL)
        {
          g_free (c->remote_target);
          c->remote_target = g_steal_pointer (&target); /* §12.2.1.2 */
        }
      call_emit_media_updated (ua, c, 200);
      return;
    }
  /* nothing changed (§14.1) */
  if (code == 481 || code == 408)
    {
      /* §14.1: "If the response for a request within a dialog is a 481 or
       * a 408, the UAC SHOULD terminate the dialog" */
      call_send_bye (ua, c);
      call_end (ua, c, code, code == 408 ? CHORUS_SIP_END_TIMEOUT : CHORUS_SIP_END_REJECTED);
      return;
    }
  call_emit_media_updated (ua, c, code);
}

/* ---------------------------------------------------------------- re-INVITE received */

void
call_handle_reinvite (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  Call *c = call_find_dialog (ua, req);
  if (c == NULL || c->state == CALL_ENDED)
    {
      ua_reply (ua, conn, req, 481, NULL, NULL); /* §12.2.2 */
      return;
    }
  guint32 cseq = chorus_sip_message_cseq (req);
  if (c->remote_cseq_set && cseq <= c->remote_cseq)
    {
      ua_reply (ua, conn, req, 500, NULL, NULL); /* §12.2.2: out of order */
      return;
    }
  if (c->reinvite != NULL)
    {
      ua_reply (ua, conn, req, 491, NULL, NULL); /* §14.2: glare */
      return;
    }
  if (c->state != CALL_CONFIRMED || c->ok_bytes != NULL || c->local == NULL)
    {
      /* §14.2: an INVITE still open (no ACK yet): 500 with Retry-After */
      g_autofree char *after = g_strdup_printf ("%d", g_rand_int_range (ua->rand, 0, 11));
      ua_reply (ua, conn, req, 500, "Retry-After", after);
      return;
    }
  c->remote_cseq = cseq;
  c->remote_cseq_set = TRUE;
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) offer = call_body_sdp (req, &bad);
  if (bad)
    {
      ua_reply (ua, conn, req, 400, NULL, NULL);
      return;
    }
  g_autoptr (ChorusSdpSession) answer = NULL;
  ChorusSdpSession *body = c->local;
  if (offer != NULL)
    {
      /* §14.2 with RFC 3264 §8: answer from our capabilities, the version
       * one up, the direction from the offer and our own hold */
      const ChorusSdpSession *caps = c->caps ? c->caps : ua->media ? ua->media : c->local;
      g_autoptr (ChorusSdpSession) mine = chorus_sdp_session_copy (caps);
      mine->session_id = c->local->session_id;
      mine->session_version = c->local->session_version + 1;
      mine->direction = c->held ? CHORUS_SDP_SENDONLY : CHORUS_SDP_SENDRECV;
      answer = chorus_sdp_answer (offer, mine, NULL);
      if (answer == NULL)
        {
          /* §14.2: the session stays as it was */
          ua_reply (ua, conn, req, 488, "Warning",
                    "305 chorus.invalid \"Incompatible media format\"");
          return;
        }
      body = answer;
    }
  /* §12.2.2: a target refresh */
  g_autofree char *target = chorus_sip_message_contact_uri (req);
  if (target != NULL)
    {
      g_free (c->remote_target);
      c->remote_target = g_steal_pointer (&target);
    }
  ChorusSipTxn *txn = chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req,
                                                 ua->now, ua_owner_new (OWNER_CALL, c, NULL, NULL));
  osip_message_t *ok = ua_response (ua, req, 200, c->local_tag);
  call_add_contact (ua, ok);
  chorus_sip_message_add_header (ok, "Allow", CHORUS_SIP_ALLOW);
  call_set_sdp_body (ok, body);
  g_autoptr (GBytes) bytes = chorus_sip_message_to_bytes (ok);
  if (txn != NULL)
    ua_respond (ua, txn, ok);
  else
    osip_message_free (ok);
  call_start_ok_retransmission (ua, c, bytes, cseq, FALSE);
  if (offer != NULL)
    {
      g_clear_pointer (&c->local, chorus_sdp_session_free);
      c->local = g_steal_pointer (&answer);
      g_clear_pointer (&c->remote, chorus_sdp_session_free);
      c->remote = g_steal_pointer (&offer);
      if (c->local->setup != CHORUS_SDP_SETUP_NONE)
        c->dtls_role = c->local->setup;
      call_emit_media_updated (ua, c, 200);
    }
  else
    {
      /* §14.2, RFC 3264 §5: no offer: ours goes in the 200, the answer
       * comes in the ACK */
      c->ok_offer = TRUE;
      g_clear_pointer (&c->offer, chorus_sdp_session_free);
      c->offer = chorus_sdp_session_copy (c->local);
    }
}
