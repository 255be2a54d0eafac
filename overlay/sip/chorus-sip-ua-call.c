/* chorus-sip-ua-call.c: calls of the user agent: INVITE client and server
 * with dialogs (RFC 3261 §12, §13), CANCEL (§9), BYE (§15), re-INVITE for
 * hold and resume (§14, RFC 3264 §8.4), forking on the caller's side
 * (chorus-sip-ua.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-ua-private.h"

#include <string.h>

/* ---------------------------------------------------------------- life */

static void
branch_free (gpointer p)
{
  Branch *b = p;
  if (b->invite)
    osip_message_free (b->invite);
  g_free (b->remote_tag);
  g_clear_pointer (&b->ack_bytes, g_bytes_unref);
  g_free (b);
}

Call *
call_ref (Call *c)
{
  c->ref++;
  return c;
}

void
call_unref (Call *c)
{
  if (--c->ref > 0)
    return;
  g_free (c->call_id);
  g_free (c->local_tag);
  g_free (c->remote_tag);
  g_free (c->local_uri);
  g_free (c->remote_uri);
  g_free (c->remote_target);
  g_ptr_array_unref (c->route_set);
  g_ptr_array_unref (c->branches);
  if (c->invite)
    osip_message_free (c->invite);
  g_clear_pointer (&c->ok_bytes, g_bytes_unref);
  g_clear_pointer (&c->ack_bytes, g_bytes_unref);
  g_clear_pointer (&c->caps, chorus_sdp_session_free);
  g_clear_pointer (&c->local, chorus_sdp_session_free);
  g_clear_pointer (&c->remote, chorus_sdp_session_free);
  g_clear_pointer (&c->offer, chorus_sdp_session_free);
  g_free (c);
}

static Call *
call_new (ChorusSipUa *ua, gboolean outgoing)
{
  Call *c = g_new0 (Call, 1);
  c->ref = 1; /* the table's */
  c->ua = ua;
  c->id = ua_next_id (ua);
  c->outgoing = outgoing;
  c->route_set = g_ptr_array_new_with_free_func (g_free);
  c->branches = g_ptr_array_new_with_free_func (branch_free);
  c->ok_next = c->ok_deadline = c->no_answer_at = c->answer_deadline = -1;
  g_hash_table_insert (ua->calls, GUINT_TO_POINTER (c->id), c);
  return c;
}

Call *
call_lookup (ChorusSipUa *ua, guint id)
{
  return g_hash_table_lookup (ua->calls, GUINT_TO_POINTER (id));
}

void
calls_sweep (ChorusSipUa *ua)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, ua->calls);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Call *c = v;
      if (c->state == CALL_ENDED && !c->bye_pending)
        g_hash_table_iter_remove (&it);
    }
}

Call *
call_find_dialog (ChorusSipUa *ua, osip_message_t *request)
{
  /* §12.2.2: Call-ID, our tag in To, theirs in From */
  g_autofree char *call_id = chorus_sip_message_call_id (request);
  const char *to_tag = chorus_sip_message_to_tag (request);
  const char *from_tag = chorus_sip_message_from_tag (request);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, ua->calls);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Call *c = v;
      if (g_strcmp0 (c->call_id, call_id) == 0 && g_strcmp0 (c->local_tag, to_tag) == 0
          && g_strcmp0 (c->remote_tag, from_tag) == 0)
        return c;
    }
  return NULL;
}

void
call_end (ChorusSipUa *ua, Call *c, int status, ChorusSipEndReason reason)
{
  c->state = CALL_ENDED;
  c->no_answer_at = -1;
  if (!c->bye_pending)
    {
      g_clear_pointer (&c->ok_bytes, g_bytes_unref);
      c->ok_next = c->ok_deadline = -1;
    }
  if (c->ended_reported)
    return;
  c->ended_reported = TRUE;
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_ENDED,
    .call = c->id,
    .conn = c->conn,
    .status = status,
    .reason = reason,
  };
  ua_emit (ua, &ev);
}

/* ---------------------------------------------------------------- outgoing */

guint
chorus_sip_ua_call (ChorusSipUa *ua, const char *target, const ChorusSipConnId *conns,
                    guint n_conns, const ChorusSdpSession *local, gint64 now, GError **error)
{
  return chorus_sip_ua_call_as (ua, NULL, target, conns, n_conns, local, now, error);
}

guint
chorus_sip_ua_call_as (ChorusSipUa *ua, const char *from, const char *target,
                       const ChorusSipConnId *conns, guint n_conns, const ChorusSdpSession *local,
                       gint64 now, GError **error)
{
  chorus_sip_osip_init ();
  osip_uri_t *uri = NULL;
  osip_uri_init (&uri);
  gboolean ok = target != NULL && osip_uri_parse (uri, target) == 0 && uri->scheme != NULL
                && (g_ascii_strcasecmp (uri->scheme, "sip") == 0
                    || g_ascii_strcasecmp (uri->scheme, "sips") == 0);
  osip_uri_free (uri);
  if (!ok)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "\"%s\" is not a SIP or SIPS URI", target ? target : "");
      return 0;
    }
  if (n_conns == 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "a call needs a connection");
      return 0;
    }
  ua_enter (ua, now);
  Call *c = call_new (ua, TRUE);
  c->call_id = chorus_sip_new_call_id (ua->rand, ua->via_host);
  c->local_tag = chorus_sip_new_tag (ua->rand);
  c->local_uri = g_strdup (from != NULL ? from : ua->aor);
  c->remote_uri = g_strdup (target);
  c->local_cseq = c->invite_cseq = 1;
  c->offerless = local == NULL; /* RFC 3264 §5: the offer comes in the 2xx */
  if (local != NULL)
    {
      c->caps = chorus_sdp_session_copy (local);
      c->offer = chorus_sdp_session_copy (local);
      if (c->offer->fingerprint != NULL)
        c->offer->setup = CHORUS_SDP_SETUP_ACTPASS; /* RFC 5763 §5 */
    }
  for (guint i = 0; i < n_conns; i++)
    {
      osip_message_t *invite = ua_request (ua, conns[i], "INVITE", target, c->local_uri,
                                           c->local_tag, target, NULL, c->call_id, c->invite_cseq);
      if (invite == NULL)
        continue;
      call_add_contact (ua, invite);
      chorus_sip_message_add_header (invite, "Allow", CHORUS_SIP_ALLOW);
      if (c->offer != NULL)
        call_set_sdp_body (invite, c->offer);
      Branch *b = g_new0 (Branch, 1);
      b->call = c;
      b->conn = conns[i];
      b->invite = chorus_sip_message_clone (invite);
      g_ptr_array_add (c->branches, b);
      b->ict = chorus_sip_txn_client_new (ua->txns, b->conn, ua_reliable (ua, b->conn), invite,
                                          ua->now, ua_owner_new (OWNER_BRANCH, c, b, NULL));
    }
  c->state = CALL_OUT_CALLING;
  c->no_answer_at = ua->now + ua->no_answer_timeout;
  guint id = c->id;
  ua_leave (ua);
  return id;
}

/* §9.1: a CANCEL is the INVITE's Request-URI, Call-ID, To, From, CSeq
 * number and top Via (so the same branch), with the method CANCEL. */
static void
send_cancel (ChorusSipUa *ua, Branch *b)
{
  const osip_message_t *inv = b->invite;
  osip_message_t *m = NULL;
  osip_message_init (&m);
  osip_message_set_method (m, osip_strdup ("CANCEL"));
  osip_message_set_version (m, osip_strdup ("SIP/2.0"));
  osip_uri_t *uri = NULL;
  osip_uri_clone (inv->req_uri, &uri);
  osip_message_set_uri (m, uri);
  osip_via_t *via = osip_list_get (&inv->vias, 0), *copy = NULL;
  if (via && osip_via_clone (via, &copy) == 0)
    osip_list_add (&m->vias, copy, -1);
  osip_from_clone (inv->from, &m->from);
  osip_to_clone (inv->to, &m->to);
  osip_call_id_clone (inv->call_id, &m->call_id);
  osip_cseq_init (&m->cseq);
  osip_cseq_set_number (m->cseq, osip_strdup (inv->cseq->number));
  osip_cseq_set_method (m->cseq, osip_strdup ("CANCEL"));
  osip_route_t *route;
  for (int i = 0; (route = osip_list_get (&inv->routes, i)) != NULL; i++)
    {
      osip_route_t *rc = NULL;
      if (osip_route_clone (route, &rc) == 0)
        osip_list_add (&m->routes, rc, -1);
    }
  osip_message_set_max_forwards (m, "70");
  if (b->cancel_elsewhere)
    chorus_sip_message_add_header (m, "Reason", "SIP;cause=200;text=\"Call completed elsewhere\"");
  b->cancel_sent = TRUE;
  chorus_sip_txn_client_new (ua->txns, b->conn, ua_reliable (ua, b->conn), m, ua->now,
                             ua_owner_new (OWNER_CALL, b->call, NULL, NULL));
}

/* CANCEL every branch but @winner that has no final response; §9.1: not
 * before a provisional response, so those without one wait for it. */
void
call_cancel_branches (ChorusSipUa *ua, Call *c, Branch *winner, gboolean elsewhere)
{
  c->cancelling = TRUE;
  for (guint i = 0; i < c->branches->len; i++)
    {
      Branch *b = g_ptr_array_index (c->branches, i);
      if (b == winner || b->final_status != 0 || b->cancel_sent)
        continue;
      b->cancel_elsewhere = elsewhere;
      if (b->provisional)
        send_cancel (ua, b);
      else
        b->cancel_wanted = TRUE;
    }
}

static int
status_rank (int code)
{
  /* §16.7 step 6, as a UA applies it to its own branches: the lowest
   * class, and within it a real answer over a timeout or failure */
  gboolean weak = code == 408 || code == 503 || code == 487;
  return (code / 100) * 10000 + (weak ? 5000 : 0) + code;
}

static void
branches_check_done (ChorusSipUa *ua, Call *c)
{
  if (c->state != CALL_OUT_CALLING && c->state != CALL_OUT_EARLY)
    return;
  int best = 0;
  for (guint i = 0; i < c->branches->len; i++)
    {
      Branch *b = g_ptr_array_index (c->branches, i);
      if (b->final_status == 0)
        return;
      if (best == 0 || status_rank (b->final_status) < status_rank (best))
        best = b->final_status;
    }
  ChorusSipEndReason reason = CHORUS_SIP_END_REJECTED;
  if (best == 408)
    reason = CHORUS_SIP_END_TIMEOUT;
  else if (best == 503)
    reason = CHORUS_SIP_END_TRANSPORT;
  call_end (ua, c, best ? best : 500, reason);
}

/* A 2xx that is not wanted (a second fork answered, or we cancelled):
 * §13.2.2.4, §15: ACK it, then BYE. */
void
call_ack_and_bye (ChorusSipUa *ua, Call *c, Branch *b, osip_message_t *resp)
{
  const char *tag = chorus_sip_message_to_tag (resp);
  if (b->remote_tag != NULL && g_strcmp0 (b->remote_tag, tag) == 0)
    {
      ua_send (ua, b->conn, b->ack_bytes); /* a retransmission */
      return;
    }
  g_autofree char *target = chorus_sip_message_contact_uri (resp);
  g_autoptr (GPtrArray) routes = call_route_set_of (resp, TRUE);
  g_free (b->remote_tag);
  b->remote_tag = g_strdup (tag);
  g_clear_pointer (&b->ack_bytes, g_bytes_unref);
  b->ack_bytes = call_send_ack (ua, c, b->conn, tag, target, routes, c->invite_cseq);
  osip_message_t *bye =
      call_dialog_request (ua, c, b->conn, tag, target, routes, "BYE", c->invite_cseq + 1);
  if (bye != NULL)
    chorus_sip_txn_client_new (ua->txns, b->conn, ua_reliable (ua, b->conn), bye, ua->now,
                               ua_owner_new (OWNER_CALL, c, NULL, NULL));
}

static void
accept_2xx (ChorusSipUa *ua, Call *c, Branch *b, osip_message_t *resp)
{
  if (c->offerless)
    {
      call_offerless_2xx (ua, c, b, resp);
      return;
    }
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) answer = call_body_sdp (resp, &bad);
  g_autoptr (GError) error = NULL;
  if (answer == NULL || !chorus_sdp_check_answer (c->offer, answer, &error))
    {
      /* §13.2.2.4: the session is not acceptable: ACK, then BYE */
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
  c->remote = g_steal_pointer (&answer);
  g_clear_pointer (&c->local, chorus_sdp_session_free);
  c->local = g_steal_pointer (&c->offer);
  /* RFC 5763 §5: the answerer took the other role */
  c->dtls_role = c->remote->setup == CHORUS_SDP_SETUP_ACTIVE ? CHORUS_SDP_SETUP_PASSIVE
                                                             : CHORUS_SDP_SETUP_ACTIVE;
  g_clear_pointer (&c->ack_bytes, g_bytes_unref);
  c->ack_cseq = c->invite_cseq;
  c->ack_bytes =
      call_send_ack (ua, c, c->conn, c->remote_tag, c->remote_target, c->route_set, c->ack_cseq);
  c->state = CALL_CONFIRMED;
  c->no_answer_at = -1;
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_ANSWERED,
    .call = c->id,
    .conn = c->conn,
    .status = 200,
    .local_sdp = c->local,
    .remote_sdp = c->remote,
  };
  ua_emit (ua, &ev);
  /* the first 2xx wins; the others are told why (RFC 3326) */
  call_cancel_branches (ua, c, b, TRUE);
  c->cancelling = FALSE;
}

static void
branch_response (ChorusSipUa *ua, Branch *b, osip_message_t *resp)
{
  Call *c = b->call;
  int code = resp->status_code;
  if (code < 200)
    {
      b->provisional = TRUE;
      if (b->cancel_wanted && !b->cancel_sent)
        send_cancel (ua, b);
      if (code > 100 && code != b->ringing
          && (c->state == CALL_OUT_CALLING || c->state == CALL_OUT_EARLY))
        {
          b->ringing = code;
          gboolean bad = FALSE;
          g_autoptr (ChorusSdpSession) early = call_body_sdp (resp, &bad);
          c->state = CALL_OUT_EARLY;
          ChorusSipEvent ev = {
            .type = CHORUS_SIP_EVENT_RINGING,
            .call = c->id,
            .conn = b->conn,
            .status = code,
            .remote_sdp = early,
          };
          ua_emit (ua, &ev);
        }
      return;
    }
  if (code < 300)
    {
      if ((c->state == CALL_OUT_CALLING || c->state == CALL_OUT_EARLY) && !c->cancelling)
        accept_2xx (ua, c, b, resp);
      else if (c->conn == b->conn && c->remote_tag != NULL
               && g_strcmp0 (chorus_sip_message_to_tag (resp), c->remote_tag) == 0)
        ua_send (ua, c->conn, c->ack_bytes); /* a retransmitted 2xx: ACK again */
      else
        call_ack_and_bye (ua, c, b, resp);
      if (b->final_status == 0)
        b->final_status = code;
      return;
    }
  b->final_status = code;
  if (code >= 600 && (c->state == CALL_OUT_CALLING || c->state == CALL_OUT_EARLY))
    {
      /* a 6xx ends the search (§16.7 step 5, §21.6: the callee's answer
       * is definitive) */
      call_cancel_branches (ua, c, b, FALSE);
      call_end (ua, c, code, CHORUS_SIP_END_REJECTED);
      return;
    }
  branches_check_done (ua, c);
}

gboolean
call_handle_stray_2xx (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *resp)
{
  /* §13.2.2.4: a 2xx retransmitted after the transaction ended is ACKed
   * again; one from a fork we never heard of is ACKed and hung up */
  g_autofree char *call_id = chorus_sip_message_call_id (resp);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, ua->calls);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Call *c = v;
      if (!c->outgoing || g_strcmp0 (c->call_id, call_id) != 0
          || g_strcmp0 (c->local_tag, chorus_sip_message_from_tag (resp)) != 0)
        continue;
      if (c->conn == conn && g_strcmp0 (c->remote_tag, chorus_sip_message_to_tag (resp)) == 0)
        ua_send (ua, conn, c->ack_bytes);
      else
        for (guint i = 0; i < c->branches->len; i++)
          {
            Branch *b = g_ptr_array_index (c->branches, i);
            if (b->conn == conn)
              call_ack_and_bye (ua, c, b, resp);
          }
      return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- incoming */

/* RFC 3261 §21.4.7, RFC 4475 §3.3.15 (sdp01): an Accept that rules out the
 * SDP the answer must carry. */
static gboolean
accepts_sdp (osip_message_t *req)
{
  if (osip_list_size (&req->accepts) == 0)
    return TRUE;
  osip_accept_t *a;
  for (int i = 0; (a = osip_list_get (&req->accepts, i)) != NULL; i++)
    {
      const char *type = a->type ? a->type : "";
      const char *sub = a->subtype ? a->subtype : "";
      if ((g_ascii_strcasecmp (type, "application") == 0 || strcmp (type, "*") == 0)
          && (g_ascii_strcasecmp (sub, "sdp") == 0 || strcmp (sub, "*") == 0))
        return TRUE;
    }
  return FALSE;
}

void
call_handle_invite (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  if (chorus_sip_message_to_tag (req) != NULL)
    {
      call_handle_reinvite (ua, conn, req);
      return;
    }
  if (!accepts_sdp (req))
    {
      ua_reply (ua, conn, req, 406, NULL, NULL);
      return;
    }
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) offer = call_body_sdp (req, &bad);
  if (bad)
    {
      ua_reply (ua, conn, req, 400, NULL, NULL);
      return;
    }
  if (offer != NULL && ua->media != NULL)
    {
      g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, ua->media, NULL);
      if (answer == NULL)
        {
          /* §21.4.26 and §20.43 warn-code 305 */
          ua_reply (ua, conn, req, 488, "Warning",
                    "305 chorus.invalid \"Incompatible media format\"");
          return;
        }
    }
  Call *c = call_new (ua, FALSE);
  c->conn = conn;
  c->call_id = chorus_sip_message_call_id (req);
  c->remote_tag = g_strdup (chorus_sip_message_from_tag (req));
  c->local_tag = chorus_sip_new_tag (ua->rand);
  c->local_uri = chorus_sip_message_to_uri (req);
  c->remote_uri = chorus_sip_message_from_uri (req);
  c->remote_target = chorus_sip_message_contact_uri (req);
  g_ptr_array_unref (c->route_set);
  c->route_set = call_route_set_of (req, FALSE);
  c->remote_cseq = chorus_sip_message_cseq (req);
  c->remote_cseq_set = TRUE;
  c->local_cseq = g_rand_int_range (ua->rand, 1, 10000);
  c->invite = chorus_sip_message_clone (req);
  c->remote = g_steal_pointer (&offer);
  c->ist = chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req, ua->now,
                                      ua_owner_new (OWNER_IST, c, NULL, NULL));
  c->state = CALL_IN_NEW;
  /* §17.2.1: 100 Trying at once (no To tag, §8.2.6.1) */
  if (c->ist != NULL)
    ua_respond (ua, c->ist, ua_response (ua, req, 100, NULL));
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_INCOMING_CALL,
    .call = c->id,
    .conn = conn,
    .from = c->remote_uri,
    .to = c->local_uri,
    .remote_sdp = c->remote,
  };
  ua_emit (ua, &ev);
}

void
call_handle_ack (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  /* §13.3.1.4, §17: an ACK is never answered; one for no dialog is dropped */
  Call *c = call_find_dialog (ua, req);
  if (c == NULL || c->ok_bytes == NULL || chorus_sip_message_cseq (req) != c->ok_cseq)
    return;
  gboolean initial = c->ok_initial;
  g_clear_pointer (&c->ok_bytes, g_bytes_unref);
  c->ok_next = c->ok_deadline = -1;
  if (c->bye_pending)
    {
      c->bye_pending = FALSE;
      call_send_bye (ua, c);
      return;
    }
  if (c->ok_offer)
    {
      /* the answer to the offer of our 2xx (RFC 3264 §5) */
      c->ok_offer = FALSE;
      gboolean bad = FALSE;
      g_autoptr (ChorusSdpSession) answer = call_body_sdp (req, &bad);
      if (answer == NULL || !chorus_sdp_check_answer (c->offer, answer, NULL))
        {
          g_clear_pointer (&c->offer, chorus_sdp_session_free);
          call_send_bye (ua, c);
          call_end (ua, c, 488, CHORUS_SIP_END_MEDIA);
          return;
        }
      g_clear_pointer (&c->local, chorus_sdp_session_free);
      c->local = g_steal_pointer (&c->offer);
      g_clear_pointer (&c->remote, chorus_sdp_session_free);
      c->remote = g_steal_pointer (&answer);
      c->dtls_role = c->remote->setup == CHORUS_SDP_SETUP_ACTIVE ? CHORUS_SDP_SETUP_PASSIVE
                                                                 : CHORUS_SDP_SETUP_ACTIVE;
      if (!initial)
        call_emit_media_updated (ua, c, 200);
    }
  if (initial && c->state == CALL_IN_ANSWERED)
    {
      c->state = CALL_CONFIRMED;
      ChorusSipEvent ev = {
        .type = CHORUS_SIP_EVENT_ANSWERED,
        .call = c->id,
        .conn = c->conn,
        .status = 200,
        .local_sdp = c->local,
        .remote_sdp = c->remote,
      };
      ua_emit (ua, &ev);
    }
}

static Call *
call_of_ist (ChorusSipTxn *ist)
{
  TxnOwner *o = ist ? ist->owner : NULL;
  return o != NULL && o->kind == OWNER_IST ? o->call : NULL;
}

void
call_handle_cancel (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  /* §9.2: the CANCEL matches the INVITE's server transaction */
  ChorusSipTxn *ist = chorus_sip_txn_server_find (ua->txns, conn, req, "INVITE");
  Call *c = call_of_ist (ist);
  ChorusSipTxn *txn =
      chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req, ua->now, NULL);
  if (txn == NULL)
    return;
  if (ist == NULL)
    {
      g_autofree char *tag = chorus_sip_new_tag (ua->rand);
      ua_respond (ua, txn, ua_response (ua, req, 481, tag));
      return;
    }
  /* "the To tag of the response to the CANCEL and the response to the
   * original request SHOULD be the same" */
  ua_respond (ua, txn, ua_response (ua, req, 200, c ? c->local_tag : NULL));
  if (chorus_sip_txn_has_final (ist) || c == NULL)
    return; /* too late: no effect */
  ua_respond (ua, ist, ua_response (ua, c->invite, 487, c->local_tag));
  /* RFC 3326: cause=200 means another device took the call */
  const char *reason = chorus_sip_message_header (req, "reason");
  gboolean elsewhere = reason != NULL && strstr (reason, "cause=200") != NULL;
  call_end (ua, c, 487, elsewhere ? CHORUS_SIP_END_ANSWERED_ELSEWHERE : CHORUS_SIP_END_CANCELLED);
}

void
call_handle_bye (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  Call *c = call_find_dialog (ua, req);
  ChorusSipTxn *txn =
      chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req, ua->now, NULL);
  if (txn == NULL)
    return;
  if (c != NULL && c->bye_pending)
    {
      /* we hung up before their ACK came; their BYE settles it */
      c->bye_pending = FALSE;
      g_clear_pointer (&c->ok_bytes, g_bytes_unref);
      c->ok_next = c->ok_deadline = -1;
      ua_respond (ua, txn, ua_response (ua, req, 200, NULL));
      return;
    }
  if (c == NULL || c->state == CALL_ENDED)
    {
      ua_respond (ua, txn, ua_response (ua, req, 481, NULL));
      return;
    }
  guint32 cseq = chorus_sip_message_cseq (req);
  if (c->remote_cseq_set && cseq < c->remote_cseq)
    {
      ua_respond (ua, txn, ua_response (ua, req, 500, NULL)); /* §12.2.2 */
      return;
    }
  c->remote_cseq = cseq;
  c->remote_cseq_set = TRUE;
  if (c->state == CALL_OUT_ANSWERING)
    call_offerless_abandon (ua, c, FALSE); /* their 2xx still needs its ACK */
  ua_respond (ua, txn, ua_response (ua, req, 200, NULL));
  /* §15.1.2: a BYE in an early dialog: the INVITE gets 487 */
  if (c->ist != NULL && !chorus_sip_txn_has_final (c->ist))
    ua_respond (ua, c->ist, ua_response (ua, c->invite, 487, c->local_tag));
  call_end (ua, c, 200, CHORUS_SIP_END_REMOTE_HANGUP);
}

/* ---------------------------------------------------------------- the app's calls */

Call *
call_get_open (ChorusSipUa *ua, guint id, GError **error)
{
  Call *c = call_lookup (ua, id);
  if (c == NULL || c->state == CALL_ENDED)
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND, "no call %u", id);
  return c && c->state != CALL_ENDED ? c : NULL;
}

static gboolean
incoming_open (Call *c, GError **error)
{
  if (c->outgoing || (c->state != CALL_IN_NEW && c->state != CALL_IN_RINGING) || c->ist == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE,
                   "call %u is not an incoming call waiting for an answer", c->id);
      return FALSE;
    }
  return TRUE;
}

gboolean
chorus_sip_ua_ring (ChorusSipUa *ua, guint id, int status, gint64 now, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL || !incoming_open (c, error))
    return FALSE;
  if (status != 180 && status != 183)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "ring with 180 or 183");
      return FALSE;
    }
  ua_enter (ua, now);
  osip_message_t *r = ua_response (ua, c->invite, status, c->local_tag);
  call_add_contact (ua, r);
  ua_respond (ua, c->ist, r);
  c->state = CALL_IN_RINGING;
  ua_leave (ua);
  return TRUE;
}

gboolean
chorus_sip_ua_reject (ChorusSipUa *ua, guint id, int status, gint64 now, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL || !incoming_open (c, error))
    return FALSE;
  if (status < 300 || status > 699)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "a rejection is a status of 300..699, not %d", status);
      return FALSE;
    }
  ua_enter (ua, now);
  ua_respond (ua, c->ist, ua_response (ua, c->invite, status, c->local_tag));
  call_end (ua, c, status, CHORUS_SIP_END_DECLINED_LOCALLY);
  ua_leave (ua);
  return TRUE;
}

static gboolean answer_call (ChorusSipUa *ua, guint id, const ChorusSdpSession *local,
                             gboolean verbatim, gint64 now, GError **error);

gboolean
chorus_sip_ua_answer (ChorusSipUa *ua, guint id, const ChorusSdpSession *local, gint64 now,
                      GError **error)
{
  return answer_call (ua, id, local, FALSE, now, error);
}

gboolean
chorus_sip_ua_answer_verbatim (ChorusSipUa *ua, guint id, const ChorusSdpSession *answer,
                               gint64 now, GError **error)
{
  return answer_call (ua, id, answer, TRUE, now, error);
}

static gboolean
answer_call (ChorusSipUa *ua, guint id, const ChorusSdpSession *local, gboolean verbatim,
             gint64 now, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL || !incoming_open (c, error))
    return FALSE;
  g_autoptr (ChorusSdpSession) body = NULL;
  if (c->remote != NULL && verbatim)
    {
      /* RFC 3264 §6: whoever made it, it must answer this offer */
      if (!chorus_sdp_check_answer (c->remote, local, error))
        {
          chorus_sip_ua_reject (ua, id, 488, now, NULL);
          return FALSE;
        }
      body = chorus_sdp_session_copy (local);
    }
  else if (c->remote != NULL)
    {
      body = chorus_sdp_answer (c->remote, local, error);
      if (body == NULL)
        {
          /* RFC 3264 §6: nothing to answer with: 488 */
          chorus_sip_ua_reject (ua, id, 488, now, NULL);
          return FALSE;
        }
    }
  ua_enter (ua, now);
  c->caps = chorus_sdp_session_copy (local);
  osip_message_t *ok = ua_response (ua, c->invite, 200, c->local_tag);
  call_add_contact (ua, ok);
  chorus_sip_message_add_header (ok, "Allow", CHORUS_SIP_ALLOW);
  if (body != NULL)
    {
      call_set_sdp_body (ok, body);
      c->dtls_role = body->setup;
      c->local = g_steal_pointer (&body);
    }
  else
    {
      /* §13.3.1.4 with RFC 3264 §5: no offer came, ours goes in the 2xx */
      c->offer = chorus_sdp_session_copy (local);
      if (c->offer->fingerprint != NULL && !verbatim)
        c->offer->setup = CHORUS_SDP_SETUP_ACTPASS;
      c->ok_offer = TRUE;
      call_set_sdp_body (ok, c->offer);
    }
  g_autoptr (GBytes) bytes = chorus_sip_message_to_bytes (ok);
  ua_respond (ua, c->ist, ok);
  call_start_ok_retransmission (ua, c, bytes, chorus_sip_message_cseq (c->invite), TRUE);
  c->state = CALL_IN_ANSWERED;
  ua_leave (ua);
  return TRUE;
}

gboolean
chorus_sip_ua_hangup (ChorusSipUa *ua, guint id, gint64 now, GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL)
    return FALSE;
  ua_enter (ua, now);
  switch (c->state)
    {
    case CALL_OUT_CALLING:
    case CALL_OUT_EARLY:
      /* §9.1: CANCEL; the INVITEs end with 487 */
      call_cancel_branches (ua, c, NULL, FALSE);
      call_end (ua, c, 487, CHORUS_SIP_END_LOCAL_HANGUP);
      break;
    case CALL_IN_NEW:
    case CALL_IN_RINGING:
      ua_respond (ua, c->ist, ua_response (ua, c->invite, 603, c->local_tag));
      call_end (ua, c, 603, CHORUS_SIP_END_DECLINED_LOCALLY);
      break;
    case CALL_OUT_ANSWERING:
      /* §13.2.2.4: the 2xx is ACKed all the same, then BYE */
      call_offerless_abandon (ua, c, TRUE);
      call_end (ua, c, 200, CHORUS_SIP_END_LOCAL_HANGUP);
      break;
    case CALL_IN_ANSWERED:
      /* §15: "The callee's UA MUST NOT send a BYE on a confirmed dialog
       * until it has received an ACK for its 2xx response or until the
       * server transaction times out" */
      c->bye_pending = TRUE;
      call_end (ua, c, 200, CHORUS_SIP_END_LOCAL_HANGUP);
      break;
    default:
      call_send_bye (ua, c);
      call_end (ua, c, 200, CHORUS_SIP_END_LOCAL_HANGUP);
      break;
    }
  ua_leave (ua);
  return TRUE;
}

/* ---------------------------------------------------------------- transactions */

void
call_txn_response (ChorusSipUa *ua, TxnOwner *o, ChorusSipTxn *txn, osip_message_t *resp)
{
  switch (o->kind)
    {
    case OWNER_BRANCH:
      branch_response (ua, o->branch, resp);
      break;
    case OWNER_REINVITE:
      call_reinvite_response (ua, o->call, txn, resp);
      break;
    default:
      break; /* BYE, CANCEL: §15.1.1, the dialog is over whatever comes */
    }
}

void
call_txn_timeout (ChorusSipUa *ua, TxnOwner *o, ChorusSipTxn *txn, gboolean transport_error)
{
  int status = transport_error ? 503 : 408; /* §8.1.3.1 */
  Call *c = o->call;
  switch (o->kind)
    {
    case OWNER_BRANCH:
      if (o->branch->final_status == 0)
        o->branch->final_status = status;
      branches_check_done (ua, c);
      break;
    case OWNER_REINVITE:
      if (c->reinvite == txn)
        {
          c->reinvite = NULL;
          g_clear_pointer (&c->offer, chorus_sdp_session_free);
          if (c->state == CALL_CONFIRMED)
            {
              /* §14.1: a 408 ends the dialog */
              if (!transport_error)
                call_send_bye (ua, c);
              call_end (ua, c, status,
                        transport_error ? CHORUS_SIP_END_TRANSPORT : CHORUS_SIP_END_TIMEOUT);
            }
        }
      break;
    default:
      break;
    }
}

void
call_txn_terminated (ChorusSipUa *ua, TxnOwner *o, ChorusSipTxn *txn)
{
  Call *c = o->call;
  if (o->kind == OWNER_BRANCH && o->branch->ict == txn)
    o->branch->ict = NULL;
  if (c != NULL && c->reinvite == txn)
    c->reinvite = NULL;
  if (c != NULL && c->ist == txn)
    c->ist = NULL;
}

/* ---------------------------------------------------------------- timers */

static GPtrArray *
calls_snapshot (ChorusSipUa *ua)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) call_unref);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, ua->calls);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (a, call_ref (v));
  return a;
}

void
calls_tick (ChorusSipUa *ua, gint64 now)
{
  g_autoptr (GPtrArray) calls = calls_snapshot (ua);
  for (guint i = 0; i < calls->len; i++)
    {
      Call *c = g_ptr_array_index (calls, i);
      if (c->no_answer_at >= 0 && now >= c->no_answer_at
          && (c->state == CALL_OUT_CALLING || c->state == CALL_OUT_EARLY))
        {
          /* nobody answered in time: CANCEL, and 408 for the app */
          call_cancel_branches (ua, c, NULL, FALSE);
          call_end (ua, c, 408, CHORUS_SIP_END_TIMEOUT);
        }
      if (c->state == CALL_OUT_ANSWERING && c->answer_deadline >= 0 && now >= c->answer_deadline)
        {
          /* the app gave no answer for the offer of the 2xx */
          call_offerless_abandon (ua, c, TRUE);
          call_end (ua, c, 408, CHORUS_SIP_END_TIMEOUT);
        }
      if (c->ok_bytes != NULL && c->ok_next >= 0 && now >= c->ok_next)
        {
          ua_send (ua, c->conn, c->ok_bytes);
          c->ok_interval = MIN (c->ok_interval * 2, CHORUS_SIP_T2);
          c->ok_next = now + c->ok_interval;
        }
      if (c->ok_bytes != NULL && c->ok_deadline >= 0 && now >= c->ok_deadline)
        {
          /* §13.3.1.4: no ACK within 64*T1: the dialog is confirmed but
           * the session ends with a BYE */
          g_clear_pointer (&c->ok_bytes, g_bytes_unref);
          c->ok_next = c->ok_deadline = -1;
          gboolean was_pending = c->bye_pending;
          c->bye_pending = FALSE;
          call_send_bye (ua, c);
          if (!was_pending)
            call_end (ua, c, 408, CHORUS_SIP_END_TIMEOUT);
        }
    }
}

gint64
calls_next_deadline (ChorusSipUa *ua)
{
  gint64 best = -1;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, ua->calls);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Call *c = v;
      gint64 t[] = { (c->state == CALL_OUT_CALLING || c->state == CALL_OUT_EARLY) ? c->no_answer_at
                                                                                  : -1,
                     c->ok_bytes ? c->ok_next : -1, c->ok_bytes ? c->ok_deadline : -1,
                     c->state == CALL_OUT_ANSWERING ? c->answer_deadline : -1 };
      for (guint i = 0; i < G_N_ELEMENTS (t); i++)
        if (t[i] >= 0 && (best < 0 || t[i] < best))
          best = t[i];
    }
  return best;
}

void
calls_connection_closed (ChorusSipUa *ua, ChorusSipConnId conn)
{
  g_autoptr (GPtrArray) calls = calls_snapshot (ua);
  for (guint i = 0; i < calls->len; i++)
    {
      Call *c = g_ptr_array_index (calls, i);
      gboolean on_conn =
          !c->outgoing || c->state == CALL_CONFIRMED || c->state == CALL_OUT_ANSWERING;
      if (c->state != CALL_ENDED && on_conn && c->conn == conn)
        {
          c->bye_pending = FALSE;
          call_end (ua, c, 503, CHORUS_SIP_END_TRANSPORT);
        }
    }
}
