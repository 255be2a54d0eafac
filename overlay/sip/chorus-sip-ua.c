/* chorus-sip-ua.c: the user agent's core: what comes in, what goes out,
 * timers, the checks of RFC 3261 §8.2, OPTIONS and MESSAGE
 * (chorus-sip-ua.h).  Calls are in chorus-sip-ua-call.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-ua-private.h"

#include <string.h>

typedef struct
{
  gboolean is_event;
  ChorusSipConnId conn;
  GBytes *bytes;
  ChorusSipEvent ev;
  char *from, *to, *content_type, *body, *allow;
  ChorusSdpSession *local, *remote;
} Output;

static void
output_free (Output *o)
{
  g_clear_pointer (&o->bytes, g_bytes_unref);
  g_free (o->from);
  g_free (o->to);
  g_free (o->content_type);
  g_free (o->body);
  g_free (o->allow);
  g_clear_pointer (&o->local, chorus_sdp_session_free);
  g_clear_pointer (&o->remote, chorus_sdp_session_free);
  g_free (o);
}

/* ---------------------------------------------------------------- output */

static void
flush (ChorusSipUa *ua)
{
  Output *o;
  while ((o = g_queue_pop_head (&ua->out)) != NULL)
    {
      if (o->is_event)
        {
          if (ua->cb.event)
            ua->cb.event (&o->ev, ua->user_data);
        }
      else if (ua->cb.send)
        {
          gsize len = 0;
          const guint8 *data = g_bytes_get_data (o->bytes, &len);
          ua->cb.send (o->conn, data, len, ua->user_data);
        }
      output_free (o);
    }
}

void
ua_enter (ChorusSipUa *ua, gint64 now)
{
  ua->depth++;
  if (now > ua->now)
    ua->now = now;
}

void
ua_leave (ChorusSipUa *ua)
{
  g_assert (ua->depth > 0);
  if (--ua->depth > 0)
    return;
  calls_sweep (ua);
  /* the callbacks may call in again: they run at depth 1, and this loop
   * hands out what those calls queue too */
  ua->depth++;
  flush (ua);
  ua->depth--;
}

void
ua_send (ChorusSipUa *ua, ChorusSipConnId conn, GBytes *bytes)
{
  if (bytes == NULL)
    return;
  Output *o = g_new0 (Output, 1);
  o->conn = conn;
  o->bytes = g_bytes_ref (bytes);
  g_queue_push_tail (&ua->out, o);
}

void
ua_send_message (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *msg)
{
  g_autoptr (GBytes) b = chorus_sip_message_to_bytes (msg);
  ua_send (ua, conn, b);
}

void
ua_emit (ChorusSipUa *ua, const ChorusSipEvent *ev)
{
  Output *o = g_new0 (Output, 1);
  o->is_event = TRUE;
  o->ev = *ev;
  o->ev.from = o->from = g_strdup (ev->from);
  o->ev.to = o->to = g_strdup (ev->to);
  o->ev.content_type = o->content_type = g_strdup (ev->content_type);
  o->ev.allow = o->allow = g_strdup (ev->allow);
  if (ev->body != NULL)
    {
      o->body = g_malloc (ev->body_len + 1);
      memcpy (o->body, ev->body, ev->body_len);
      o->body[ev->body_len] = '\0';
    }
  o->ev.body = o->body;
  o->ev.local_sdp = o->local = ev->local_sdp ? chorus_sdp_session_copy (ev->local_sdp) : NULL;
  o->ev.remote_sdp = o->remote = ev->remote_sdp ? chorus_sdp_session_copy (ev->remote_sdp) : NULL;
  g_queue_push_tail (&ua->out, o);
}

guint
ua_next_id (ChorusSipUa *ua)
{
  return ++ua->next_id;
}

gboolean
ua_reliable (ChorusSipUa *ua, ChorusSipConnId conn)
{
  return g_hash_table_contains (ua->reliable, &conn);
}

TxnOwner *
ua_owner_new (OwnerKind kind, Call *call, Branch *branch, Request *request)
{
  TxnOwner *o = g_new0 (TxnOwner, 1);
  o->kind = kind;
  o->call = call ? call_ref (call) : NULL;
  o->branch = branch;
  o->request = request;
  return o;
}

static void
owner_free (TxnOwner *o)
{
  if (o->call)
    call_unref (o->call);
  g_free (o->request);
  g_free (o);
}

/* ---------------------------------------------------------------- building */

osip_message_t *
ua_response (ChorusSipUa *ua, const osip_message_t *request, int status, const char *to_tag)
{
  osip_message_t *r = chorus_sip_response_new (request, status, NULL, to_tag);
  chorus_sip_message_add_header (r, "Server", ua->user_agent);
  return r;
}

osip_message_t *
ua_request (ChorusSipUa *ua, ChorusSipConnId conn, const char *method, const char *ruri,
            const char *from_uri, const char *from_tag, const char *to, const char *to_tag,
            const char *call_id, guint32 cseq)
{
  g_autofree char *branch = chorus_sip_new_branch (ua->rand);
  g_autofree char *from = NULL;
  if (from_uri != NULL)
    from = g_strdup (from_uri);
  else if (ua->display_name != NULL)
    from = g_strdup_printf ("\"%s\" <%s>", ua->display_name, ua->aor);
  else
    from = g_strdup (ua->aor);
  /* The Via names the transport of the connection: an AppAttach link is
   * TLS over a stream or DTLS over datagrams (RFC 7904 §4). */
  osip_message_t *m = chorus_sip_request_new (
      method, ruri, from, from_tag, to, to_tag, call_id, cseq,
      ua_reliable (ua, conn) ? ua->via_reliable : ua->via_unreliable, ua->via_host, branch);
  if (m != NULL)
    chorus_sip_message_add_header (m, "User-Agent", ua->user_agent);
  return m;
}

void
ua_respond_stateless (ChorusSipUa *ua, ChorusSipConnId conn, const osip_message_t *request,
                      int status)
{
  g_autofree char *tag = chorus_sip_new_tag (ua->rand);
  osip_message_t *r = ua_response (ua, request, status, tag);
  ua_send_message (ua, conn, r);
  osip_message_free (r);
}

void
ua_respond (ChorusSipUa *ua, ChorusSipTxn *txn, osip_message_t *response)
{
  chorus_sip_txn_respond (ua->txns, txn, response, ua->now);
}

void
ua_reply (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request, int status,
          const char *header, const char *value)
{
  ChorusSipTxn *txn =
      chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), request, ua->now, NULL);
  g_autofree char *tag = chorus_sip_new_tag (ua->rand);
  osip_message_t *r = ua_response (ua, request, status, tag);
  if (header != NULL)
    chorus_sip_message_add_header (r, header, value);
  if (txn != NULL)
    ua_respond (ua, txn, r);
  else
    osip_message_free (r);
}

/* ---------------------------------------------------------------- transactions */

static void
txn_send (ChorusSipConnId conn, GBytes *bytes, gpointer user_data)
{
  ua_send (user_data, conn, bytes);
}

static void
request_result (ChorusSipUa *ua, TxnOwner *o, int status, osip_message_t *response)
{
  ChorusSipEvent ev = {
    .type = o->request->options ? CHORUS_SIP_EVENT_OPTIONS_STATUS : CHORUS_SIP_EVENT_MESSAGE_STATUS,
    .request = o->request->id,
    .status = status,
  };
  g_autoptr (GString) allow = NULL;
  if (response != NULL && o->request->options)
    {
      /* libosip2 keeps Allow in a list of its own, one value per method */
      osip_allow_t *a;
      for (int i = 0; (a = osip_list_get (&response->allows, i)) != NULL; i++)
        {
          if (allow == NULL)
            allow = g_string_new (a->value);
          else
            g_string_append_printf (allow, ", %s", a->value);
        }
      ev.allow = allow ? allow->str : NULL;
    }
  ua_emit (ua, &ev);
}

static void
txn_response (ChorusSipTxn *txn, osip_message_t *response, gpointer user_data)
{
  ChorusSipUa *ua = user_data;
  TxnOwner *o = txn->owner;
  if (o->kind == OWNER_REQUEST)
    {
      if (response->status_code >= 200)
        request_result (ua, o, response->status_code, response);
      return;
    }
  call_txn_response (ua, o, txn, response);
}

static void
txn_timeout (ChorusSipTxn *txn, gboolean transport_error, gpointer user_data)
{
  ChorusSipUa *ua = user_data;
  TxnOwner *o = txn->owner;
  if (o->kind == OWNER_REQUEST)
    {
      /* §8.1.3.1: a timeout is a 408, a transport failure a 503 */
      request_result (ua, o, transport_error ? 503 : 408, NULL);
      return;
    }
  call_txn_timeout (ua, o, txn, transport_error);
}

static void
txn_terminated (ChorusSipTxn *txn, gpointer user_data)
{
  ChorusSipUa *ua = user_data;
  TxnOwner *o = txn->owner;
  txn->owner = NULL;
  /* a re-INVITE the app was to answer went with its connection */
  if (o->call != NULL && o->call->reinvite_in == txn)
    o->call->reinvite_in = NULL;
  if (o->kind != OWNER_REQUEST)
    call_txn_terminated (ua, o, txn);
  owner_free (o);
}

/* ---------------------------------------------------------------- life */

static void
call_table_unref (gpointer p)
{
  call_unref (p);
}

ChorusSipUa *
chorus_sip_ua_new (const ChorusSipUaConfig *config, const ChorusSipUaCallbacks *callbacks,
                   gpointer user_data, GError **error)
{
  g_autofree char *aor = chorus_sip_aor_normalize (config->aor, NULL, NULL, error);
  if (aor == NULL)
    return NULL;
  ChorusSipUa *ua = g_new0 (ChorusSipUa, 1);
  ua->aor = g_steal_pointer (&aor);
  if (config->display_name != NULL)
    {
      /* a quoted-string (§25.1) without the characters that would end it */
      ua->display_name = g_strdup (config->display_name);
      g_strdelimit (ua->display_name, "\"\\\r\n", ' ');
    }
  ua->contact = g_strdup (config->contact ? config->contact : ua->aor);
  ua->via_host = g_strdup (config->via_host ? config->via_host : "chorus.invalid");
  ua->via_reliable =
      g_strdup (config->via_transport_reliable ? config->via_transport_reliable : "TLS");
  ua->via_unreliable =
      g_strdup (config->via_transport_unreliable ? config->via_transport_unreliable : "DTLS");
  ua->user_agent = g_strdup (config->user_agent ? config->user_agent : "Chorus");
  ua->media = config->media ? chorus_sdp_session_copy (config->media) : NULL;
  ua->check_request_uri = config->check_request_uri;
  ua->no_answer_timeout = config->no_answer_timeout_ms ? config->no_answer_timeout_ms : 60000;
  ua->cb = *callbacks;
  ua->user_data = user_data;
  ua->rand = config->seed ? g_rand_new_with_seed (config->seed) : g_rand_new ();
  ChorusSipTxnCallbacks tcb = {
    .send = txn_send,
    .response = txn_response,
    .timeout = txn_timeout,
    .terminated = txn_terminated,
  };
  ua->txns = chorus_sip_txn_layer_new (&tcb, ua);
  ua->reliable = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  ua->calls = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, call_table_unref);
  return ua;
}

void
chorus_sip_ua_free (ChorusSipUa *ua)
{
  if (ua == NULL)
    return;
  /* Transactions first: their owners hold references to calls. */
  chorus_sip_txn_layer_free (g_steal_pointer (&ua->txns));
  g_hash_table_remove_all (ua->calls);
  g_hash_table_unref (ua->calls);
  g_hash_table_unref (ua->reliable);
  g_queue_clear_full (&ua->out, (GDestroyNotify) output_free);
  g_rand_free (ua->rand);
  g_clear_pointer (&ua->media, chorus_sdp_session_free);
  g_free (ua->aor);
  g_free (ua->display_name);
  g_free (ua->contact);
  g_free (ua->via_host);
  g_free (ua->via_reliable);
  g_free (ua->via_unreliable);
  g_free (ua->user_agent);
  g_free (ua);
}

const char *
chorus_sip_ua_get_aor (ChorusSipUa *ua)
{
  return ua->aor;
}

void
chorus_sip_ua_connection_add (ChorusSipUa *ua, ChorusSipConnId conn, gboolean reliable)
{
  if (reliable)
    g_hash_table_add (ua->reliable, g_memdup2 (&conn, sizeof conn));
  else
    g_hash_table_remove (ua->reliable, &conn);
}

void
chorus_sip_ua_connection_closed (ChorusSipUa *ua, ChorusSipConnId conn, gint64 now)
{
  ua_enter (ua, now);
  chorus_sip_txn_connection_lost (ua->txns, conn, ua->now);
  calls_connection_closed (ua, conn);
  g_hash_table_remove (ua->reliable, &conn);
  ua_leave (ua);
}

void
chorus_sip_ua_tick (ChorusSipUa *ua, gint64 now)
{
  ua_enter (ua, now);
  chorus_sip_txn_tick (ua->txns, ua->now);
  calls_tick (ua, ua->now);
  ua_leave (ua);
}

gint64
chorus_sip_ua_next_timeout (ChorusSipUa *ua)
{
  gint64 a = chorus_sip_txn_next_deadline (ua->txns);
  gint64 b = calls_next_deadline (ua);
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return MIN (a, b);
}

/* ---------------------------------------------------------------- requests in */

static gboolean
method_known (const char *method)
{
  /* methods of other RFCs this UA knows of and does not implement: 405 with
   * Allow; anything else is unknown: 501 (§8.2.1, §21.5.2) */
  static const char *known[] = { "REGISTER", "PRACK",  "SUBSCRIBE", "NOTIFY", "REFER",
                                 "INFO",     "UPDATE", "PUBLISH",   NULL };
  return g_strv_contains (known, method);
}

/* The user@host of a SIP URI, for comparing a Request-URI with our AOR and
 * contact (§8.2.2.1). */
static gboolean
uri_is_ours (ChorusSipUa *ua, const osip_uri_t *uri)
{
  g_autofree char *text = chorus_sip_uri_to_string (uri);
  return text != NULL
         && (chorus_sip_aor_equal (text, ua->aor) || chorus_sip_aor_equal (text, ua->contact));
}

/* §8.2.2.3: the option tags of Require we do not support (all of them:
 * this UA supports no extension), comma-separated; NULL when none. */
static char *
unsupported_requires (osip_message_t *req)
{
  GString *s = NULL;
  osip_header_t *h = NULL;
  for (int pos = 0; (pos = osip_message_header_get_byname (req, "require", pos, &h)) >= 0 && h;
       pos++)
    {
      g_auto (GStrv) tags = g_strsplit (h->hvalue ? h->hvalue : "", ",", -1);
      for (guint i = 0; tags[i]; i++)
        {
          g_strstrip (tags[i]);
          if (tags[i][0] == '\0')
            continue;
          if (s == NULL)
            s = g_string_new (tags[i]);
          else
            g_string_append_printf (s, ", %s", tags[i]);
        }
    }
  return s ? g_string_free (s, FALSE) : NULL;
}

/* §8.2.3 and RFC 3428 §7: the body types each method takes. */
static gboolean
body_acceptable (osip_message_t *req, const char **accept)
{
  gsize len = 0;
  chorus_sip_message_body (req, &len);
  g_autofree char *type = chorus_sip_message_content_type (req);
  if (len == 0 && req->content_type == NULL)
    return TRUE;
  if (strcmp (req->sip_method, "INVITE") == 0)
    {
      *accept = "application/sdp";
      return g_strcmp0 (type, "application/sdp") == 0;
    }
  if (strcmp (req->sip_method, "MESSAGE") == 0)
    {
      *accept = "text/plain";
      return g_strcmp0 (type, "text/plain") == 0;
    }
  return TRUE; /* BYE, OPTIONS: a body is ignored */
}

static gboolean
encoding_acceptable (osip_message_t *req)
{
  osip_content_encoding_t *ce = NULL;
  for (int i = 0; osip_message_get_content_encoding (req, i, &ce) >= 0 && ce; i++)
    if (ce->value && g_ascii_strcasecmp (ce->value, "identity") != 0)
      return FALSE;
  return TRUE;
}

static void
handle_options (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  /* §11.2: 200 with Allow, Accept, Accept-Encoding, Accept-Language */
  ChorusSipTxn *txn =
      chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req, ua->now, NULL);
  g_autofree char *tag = chorus_sip_new_tag (ua->rand);
  osip_message_t *r = ua_response (ua, req, 200, tag);
  chorus_sip_message_add_header (r, "Allow", CHORUS_SIP_ALLOW);
  chorus_sip_message_add_header (r, "Accept", CHORUS_SIP_ACCEPT);
  chorus_sip_message_add_header (r, "Accept-Encoding", "identity");
  chorus_sip_message_add_header (r, "Accept-Language", "en");
  g_autofree char *contact = g_strdup_printf ("<%s>", ua->contact);
  osip_message_set_contact (r, contact);
  if (txn != NULL)
    ua_respond (ua, txn, r);
  else
    osip_message_free (r);
}

static void
handle_message (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  gsize len = 0;
  const char *body = chorus_sip_message_body (req, &len);
  g_autofree char *from = chorus_sip_message_from_uri (req);
  g_autofree char *to = chorus_sip_message_to_uri (req);
  g_autofree char *type = chorus_sip_message_content_type (req);
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_MESSAGE,
    .conn = conn,
    .from = from,
    .to = to,
    .content_type = type ? type : "text/plain",
    .body = body ? body : "",
    .body_len = len,
  };
  ua_emit (ua, &ev);
  /* RFC 3428 §7: 200 OK, without a body */
  ua_reply (ua, conn, req, 200, NULL, NULL);
}

/* ---------------------------------------------------------------- re-INVITEs for the app */

/* A re-INVITE for a back-to-back user agent (app_answers_reinvites): the
 * checks of §12.2.2 and §14.2, then the app hears of the offer and
 * answers it with its other side's answer. */
static void
app_reinvite (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  Call *c = call_find_dialog (ua, req);
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) offer = call_body_sdp (req, &bad);
  if (c == NULL || c->state == CALL_ENDED || (offer == NULL && !bad))
    {
      /* 481, or no offer: the UA offers its description (RFC 3264 §5) */
      call_handle_reinvite (ua, conn, req);
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
  if (c->reinvite_in != NULL || c->state != CALL_CONFIRMED || c->ok_bytes != NULL)
    {
      /* §14.2: an INVITE of theirs not answered yet (or not ACKed): 500
       * with Retry-After */
      g_autofree char *after = g_strdup_printf ("%d", g_rand_int_range (ua->rand, 0, 11));
      ua_reply (ua, conn, req, 500, "Retry-After", after);
      return;
    }
  c->remote_cseq = cseq;
  c->remote_cseq_set = TRUE;
  if (bad)
    {
      ua_reply (ua, conn, req, 400, NULL, NULL);
      return;
    }
  /* §12.2.2: a target refresh */
  g_autofree char *target = chorus_sip_message_contact_uri (req);
  if (target != NULL)
    {
      g_free (c->remote_target);
      c->remote_target = g_steal_pointer (&target);
    }
  c->reinvite_in = chorus_sip_txn_server_new (ua->txns, conn, ua_reliable (ua, conn), req, ua->now,
                                              ua_owner_new (OWNER_CALL, c, NULL, NULL));
  if (c->reinvite_in == NULL)
    return;
  /* §17.2.1: the answer waits for the other side: 100 now, so that the
   * INVITE is not sent again */
  ua_respond (ua, c->reinvite_in, ua_response (ua, req, 100, NULL));
  ChorusSipEvent ev = {
    .type = CHORUS_SIP_EVENT_REINVITE,
    .call = c->id,
    .conn = conn,
    .remote_sdp = offer,
  };
  ua_emit (ua, &ev);
}

/* §15.1.2: "the UAS MUST still respond to any pending requests received
 * for that dialog.  It is RECOMMENDED that a 487 (Request Terminated)
 * response be generated to those pending requests." */
static void
bye_ends_reinvite (ChorusSipUa *ua, osip_message_t *bye)
{
  Call *c = call_find_dialog (ua, bye);
  if (c == NULL || c->reinvite_in == NULL)
    return;
  ChorusSipTxn *txn = g_steal_pointer (&c->reinvite_in);
  ua_respond (ua, txn, ua_response (ua, txn->request, 487, c->local_tag));
}

static void
handle_request (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *req)
{
  const char *method = req->sip_method;
  if (strcmp (method, "ACK") == 0)
    {
      call_handle_ack (ua, conn, req);
      return;
    }
  gboolean implemented = strcmp (method, "INVITE") == 0 || strcmp (method, "BYE") == 0
                         || strcmp (method, "OPTIONS") == 0 || strcmp (method, "MESSAGE") == 0
                         || strcmp (method, "CANCEL") == 0;
  /* §8.2.1 */
  if (!implemented)
    {
      if (method_known (method))
        ua_reply (ua, conn, req, 405, "Allow", CHORUS_SIP_ALLOW);
      else
        ua_reply (ua, conn, req, 501, NULL, NULL);
      return;
    }
  /* §8.2.2.1: the Request-URI's scheme; 416 (RFC 4475 unkscm) */
  const char *scheme = req->req_uri->scheme;
  if (scheme == NULL
      || (g_ascii_strcasecmp (scheme, "sip") != 0 && g_ascii_strcasecmp (scheme, "sips") != 0))
    {
      ua_reply (ua, conn, req, 416, NULL, NULL);
      return;
    }
  if (strcmp (method, "CANCEL") == 0)
    {
      call_handle_cancel (ua, conn, req);
      return;
    }
  gboolean in_dialog = chorus_sip_message_to_tag (req) != NULL;
  /* §8.2.2.1: "If the Request-URI does not identify an address that the UAS
   * is willing to accept requests for, it SHOULD reject the request with a
   * 404"; in-dialog requests go to our Contact, checked by the dialog. */
  if (ua->check_request_uri && !in_dialog && !uri_is_ours (ua, req->req_uri))
    {
      ua_reply (ua, conn, req, 404, NULL, NULL);
      return;
    }
  /* §8.2.2.2: merged requests */
  if (!in_dialog && chorus_sip_txn_is_merged (ua->txns, req))
    {
      ua_reply (ua, conn, req, 482, NULL, NULL);
      return;
    }
  /* §8.2.2.3: 420 with Unsupported (RFC 4475 bext01; Proxy-Require is for
   * proxies and ignored here) */
  g_autofree char *unsupported = unsupported_requires (req);
  if (unsupported != NULL)
    {
      ua_reply (ua, conn, req, 420, "Unsupported", unsupported);
      return;
    }
  /* §8.2.3: 415 with Accept or Accept-Encoding (RFC 4475 invut) */
  const char *accept = CHORUS_SIP_ACCEPT;
  if (!body_acceptable (req, &accept))
    {
      ua_reply (ua, conn, req, 415, "Accept", accept);
      return;
    }
  if (!encoding_acceptable (req))
    {
      ua_reply (ua, conn, req, 415, "Accept-Encoding", "identity");
      return;
    }
  /* §12.2.2: a request for a dialog we do not have */
  if (in_dialog && strcmp (method, "INVITE") != 0 && strcmp (method, "OPTIONS") != 0
      && call_find_dialog (ua, req) == NULL)
    {
      ua_reply (ua, conn, req, 481, NULL, NULL);
      return;
    }
  if (strcmp (method, "INVITE") == 0 && in_dialog && ua->cb.app_answers_reinvites)
    app_reinvite (ua, conn, req);
  else if (strcmp (method, "INVITE") == 0)
    call_handle_invite (ua, conn, req);
  else if (strcmp (method, "BYE") == 0)
    {
      bye_ends_reinvite (ua, req);
      call_handle_bye (ua, conn, req);
    }
  else if (strcmp (method, "OPTIONS") == 0)
    handle_options (ua, conn, req);
  else
    handle_message (ua, conn, req);
}

gboolean
chorus_sip_ua_receive (ChorusSipUa *ua, ChorusSipConnId conn, const guint8 *data, gsize len,
                       gint64 now, GError **error)
{
  ua_enter (ua, now);
  osip_message_t *msg = NULL;
  int status = 0;
  gboolean ok = FALSE;
  switch (chorus_sip_message_parse (data, len, &msg, &status, error))
    {
    case CHORUS_SIP_PARSE_DROP:
      break;
    case CHORUS_SIP_PARSE_REJECT:
      /* §17: an ACK is never answered */
      if (g_strcmp0 (msg->sip_method, "ACK") != 0)
        ua_respond_stateless (ua, conn, msg, status);
      break;
    case CHORUS_SIP_PARSE_OK:
      if (!MSG_IS_REQUEST (msg))
        {
          /* §8.1.3.3: a response with more than one Via is discarded */
          if (osip_list_size (&msg->vias) != 1)
            g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                         "a response with %d Vias (§8.1.3.3)", osip_list_size (&msg->vias));
          else if (chorus_sip_txn_client_receive (ua->txns, conn, msg, ua->now))
            ok = TRUE;
          else if (msg->status_code >= 200 && msg->status_code < 300
                   && g_strcmp0 (chorus_sip_message_method (msg), "INVITE") == 0
                   && call_handle_stray_2xx (ua, conn, msg))
            ok = TRUE;
          else
            g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND,
                         "a response that matches no transaction (§17.1.3)");
        }
      else
        {
          ok = TRUE;
          if (!chorus_sip_txn_server_receive (ua->txns, conn, msg, ua->now))
            handle_request (ua, conn, msg);
        }
      break;
    }
  if (msg != NULL)
    osip_message_free (msg);
  ua_leave (ua);
  return ok;
}

/* ---------------------------------------------------------------- requests out */

static guint
send_request (ChorusSipUa *ua, ChorusSipConnId conn, gboolean options, const char *target,
              const char *content_type, const char *body, gsize len, gint64 now, GError **error)
{
  ua_enter (ua, now);
  guint id = 0;
  g_autofree char *call_id = chorus_sip_new_call_id (ua->rand, ua->via_host);
  g_autofree char *tag = chorus_sip_new_tag (ua->rand);
  osip_message_t *m = ua_request (ua, conn, options ? "OPTIONS" : "MESSAGE", target, NULL, tag,
                                  target, NULL, call_id, 1);
  if (m == NULL)
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "\"%s\" is not a SIP URI",
                 target);
  else
    {
      if (options)
        chorus_sip_message_add_header (m, "Accept", CHORUS_SIP_ACCEPT);
      else
        chorus_sip_message_set_body (m, content_type ? content_type : "text/plain;charset=UTF-8",
                                     body, len);
      g_autoptr (GBytes) bytes = chorus_sip_message_to_bytes (m);
      /* RFC 3428 §7: over a transport without congestion control, a MESSAGE
       * stays under 1300 bytes */
      if (!options && !ua_reliable (ua, conn) && bytes && g_bytes_get_size (bytes) > 1300)
        {
          g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                       "a MESSAGE of %" G_GSIZE_FORMAT
                       " bytes is too large for a datagram connection (RFC 3428 §7)",
                       g_bytes_get_size (bytes));
          osip_message_free (m);
        }
      else
        {
          Request *r = g_new0 (Request, 1);
          r->id = id = ua_next_id (ua);
          r->options = options;
          chorus_sip_txn_client_new (ua->txns, conn, ua_reliable (ua, conn), m, ua->now,
                                     ua_owner_new (OWNER_REQUEST, NULL, NULL, r));
        }
    }
  ua_leave (ua);
  return id;
}

guint
chorus_sip_ua_send_message (ChorusSipUa *ua, ChorusSipConnId conn, const char *target,
                            const char *content_type, const char *body, gsize len, gint64 now,
                            GError **error)
{
  return send_request (ua, conn, FALSE, target, content_type, body, len, now, error);
}

guint
chorus_sip_ua_send_options (ChorusSipUa *ua, ChorusSipConnId conn, const char *target, gint64 now,
                            GError **error)
{
  return send_request (ua, conn, TRUE, target, NULL, NULL, 0, now, error);
}

/* ---------------------------------------------------------------- re-INVITEs of the app */

gboolean
chorus_sip_ua_reinvite (ChorusSipUa *ua, guint id, const ChorusSdpSession *offer, gint64 now,
                        GError **error)
{
  Call *c = call_get_open (ua, id, error);
  if (c == NULL)
    return FALSE;
  /* §14.1: not while another INVITE transaction of the dialog is open */
  if (c->state != CALL_CONFIRMED || c->reinvite != NULL || c->reinvite_in != NULL
      || c->ok_bytes != NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE,
                   "call %u cannot be re-INVITEd now", id);
      return FALSE;
    }
  ua_enter (ua, now);
  g_clear_pointer (&c->offer, chorus_sdp_session_free);
  c->offer = chorus_sdp_session_copy (offer);
  osip_message_t *inv = call_dialog_request (ua, c, c->conn, c->remote_tag, c->remote_target,
                                             c->route_set, "INVITE", ++c->local_cseq);
  if (inv != NULL)
    {
      call_add_contact (ua, inv);
      call_set_sdp_body (inv, offer);
      /* RFC 3264 §8.4: sendonly or inactive holds */
      c->hold_pending =
          offer->direction == CHORUS_SDP_SENDONLY || offer->direction == CHORUS_SDP_INACTIVE;
      c->reinvite =
          chorus_sip_txn_client_new (ua->txns, c->conn, ua_reliable (ua, c->conn), inv, ua->now,
                                     ua_owner_new (OWNER_REINVITE, c, NULL, NULL));
    }
  else
    {
      g_clear_pointer (&c->offer, chorus_sdp_session_free);
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "call %u: no re-INVITE", id);
    }
  ua_leave (ua);
  return inv != NULL;
}

static Call *
call_with_reinvite (ChorusSipUa *ua, guint id, GError **error)
{
  Call *c = call_lookup (ua, id);
  if (c == NULL || c->reinvite_in == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE,
                   "call %u has no re-INVITE to answer", id);
      return NULL;
    }
  return c;
}

gboolean
chorus_sip_ua_reinvite_answer (ChorusSipUa *ua, guint id, const ChorusSdpSession *answer,
                               gint64 now, GError **error)
{
  Call *c = call_with_reinvite (ua, id, error);
  if (c == NULL)
    return FALSE;
  ua_enter (ua, now);
  ChorusSipTxn *txn = g_steal_pointer (&c->reinvite_in);
  osip_message_t *req = txn->request;
  gboolean bad = FALSE;
  g_autoptr (ChorusSdpSession) offer = call_body_sdp (req, &bad);
  gboolean ok = FALSE;
  if (c->state != CALL_CONFIRMED)
    {
      /* §15.1.2: the dialog ended meanwhile */
      ua_respond (ua, txn, ua_response (ua, req, 487, c->local_tag));
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE, "call %u is over", id);
    }
  else if (offer == NULL || !chorus_sdp_check_answer (offer, answer, error))
    {
      /* RFC 3264 §6 and §14.2: nothing that answers: the session stays */
      osip_message_t *r = ua_response (ua, req, 488, c->local_tag);
      chorus_sip_message_add_header (r, "Warning",
                                     "305 chorus.invalid \"Incompatible media format\"");
      ua_respond (ua, txn, r);
      if (offer == NULL && error != NULL && *error == NULL)
        g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE, "call %u: no offer", id);
    }
  else
    {
      osip_message_t *r = ua_response (ua, req, 200, c->local_tag);
      call_add_contact (ua, r);
      chorus_sip_message_add_header (r, "Allow", CHORUS_SIP_ALLOW);
      call_set_sdp_body (r, answer);
      g_autoptr (GBytes) bytes = chorus_sip_message_to_bytes (r);
      guint32 cseq = chorus_sip_message_cseq (req);
      ua_respond (ua, txn, r);
      /* §13.3.1.4: the 2xx again until the ACK */
      call_start_ok_retransmission (ua, c, bytes, cseq, FALSE);
      g_clear_pointer (&c->local, chorus_sdp_session_free);
      c->local = chorus_sdp_session_copy (answer);
      g_clear_pointer (&c->remote, chorus_sdp_session_free);
      c->remote = g_steal_pointer (&offer);
      if (c->local->setup != CHORUS_SDP_SETUP_NONE)
        c->dtls_role = c->local->setup;
      ok = TRUE;
    }
  ua_leave (ua);
  return ok;
}

gboolean
chorus_sip_ua_reinvite_reject (ChorusSipUa *ua, guint id, int status, gint64 now, GError **error)
{
  if (status < 300 || status > 699)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "%d is not a final failure status", status);
      return FALSE;
    }
  Call *c = call_with_reinvite (ua, id, error);
  if (c == NULL)
    return FALSE;
  ua_enter (ua, now);
  ChorusSipTxn *txn = g_steal_pointer (&c->reinvite_in);
  osip_message_t *r = ua_response (ua, txn->request, status, c->local_tag);
  if (status == 500)
    {
      /* §14.2: when to try again */
      g_autofree char *after = g_strdup_printf ("%d", g_rand_int_range (ua->rand, 0, 11));
      chorus_sip_message_add_header (r, "Retry-After", after);
    }
  ua_respond (ua, txn, r);
  ua_leave (ua);
  return TRUE;
}

gboolean
chorus_sip_ua_reinvite_pending (ChorusSipUa *ua, guint id)
{
  Call *c = call_lookup (ua, id);
  return c != NULL && c->reinvite_in != NULL;
}
