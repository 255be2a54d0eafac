/* chorus-sip-transaction.c: the four transaction state machines of RFC 3261
 * §17 with RFC 6026's corrections, on a clock the caller gives
 * (chorus-sip-transaction.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-transaction.h"

#include "chorus-sip-message.h"

#include <string.h>

struct _ChorusSipTxnLayer
{
  ChorusSipTxnCallbacks cb;
  gpointer user_data;
  GHashTable *by_key; /* key -> ChorusSipTxn */
  GHashTable *by_id;  /* id -> ChorusSipTxn (owns) */
  guint64 next_id;
};

static void
txn_free (gpointer p)
{
  ChorusSipTxn *t = p;
  if (t->request)
    osip_message_free (t->request);
  if (t->last_response)
    osip_message_free (t->last_response);
  g_clear_pointer (&t->request_bytes, g_bytes_unref);
  g_clear_pointer (&t->response_bytes, g_bytes_unref);
  g_clear_pointer (&t->ack_bytes, g_bytes_unref);
  g_free (t->key);
  g_free (t);
}

ChorusSipTxnLayer *
chorus_sip_txn_layer_new (const ChorusSipTxnCallbacks *callbacks, gpointer user_data)
{
  ChorusSipTxnLayer *l = g_new0 (ChorusSipTxnLayer, 1);
  l->cb = *callbacks;
  l->user_data = user_data;
  l->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  l->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, txn_free);
  l->next_id = 1;
  return l;
}

void
chorus_sip_txn_layer_free (ChorusSipTxnLayer *l)
{
  if (l == NULL)
    return;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, l->by_id);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      ChorusSipTxn *t = v;
      if (t->owner && l->cb.terminated)
        l->cb.terminated (t, l->user_data);
    }
  g_hash_table_unref (l->by_key);
  g_hash_table_unref (l->by_id);
  g_free (l);
}

guint
chorus_sip_txn_count (ChorusSipTxnLayer *l)
{
  return g_hash_table_size (l->by_id);
}

/* ---------------------------------------------------------------- keys */

static gboolean
branch_is_3261 (const char *branch)
{
  /* §17.2.3: the magic cookie, and something after it (RFC 4475
   * badbranch has the cookie alone: RFC 2543 matching). */
  return branch != NULL && g_str_has_prefix (branch, CHORUS_SIP_MAGIC_COOKIE)
         && strlen (branch) > strlen (CHORUS_SIP_MAGIC_COOKIE);
}

static char *
client_key (ChorusSipConnId conn, const char *branch, const char *method)
{
  /* §17.1.3: the top Via branch and the CSeq method */
  return g_strdup_printf ("C|%" G_GUINT64_FORMAT "|%s|%s", conn, branch ? branch : "",
                          method ? method : "");
}

static char *
server_key (ChorusSipConnId conn, osip_message_t *req, const char *method_override)
{
  const char *method = method_override ? method_override : req->sip_method;
  /* ACK belongs to the INVITE's transaction (§17.2.3) */
  if (g_strcmp0 (method, "ACK") == 0)
    method = "INVITE";
  osip_via_t *via = osip_list_get (&req->vias, 0);
  const char *branch = chorus_sip_message_branch (req);
  if (via != NULL && branch_is_3261 (branch))
    return g_strdup_printf ("S|%" G_GUINT64_FORMAT "|%s|%s:%s|%s", conn, branch,
                            via->host ? via->host : "", via->port ? via->port : "", method);
  /* §17.2.3, RFC 2543: Request-URI, To tag (not for INVITE and ACK, whose To
   * tag the server made), From tag, Call-ID, CSeq, top Via. */
  char *ruri = NULL, *via_text = NULL;
  if (req->req_uri)
    osip_uri_to_str (req->req_uri, &ruri);
  if (via)
    osip_via_to_str (via, &via_text);
  g_autofree char *call_id = chorus_sip_message_call_id (req);
  const char *to_tag = strcmp (method, "INVITE") == 0 ? "" : chorus_sip_message_to_tag (req);
  char *key = g_strdup_printf (
      "S2|%" G_GUINT64_FORMAT "|%s|%s|%s|%s|%u|%s|%s", conn, ruri ? ruri : "", to_tag ? to_tag : "",
      chorus_sip_message_from_tag (req) ? chorus_sip_message_from_tag (req) : "",
      call_id ? call_id : "", chorus_sip_message_cseq (req), via_text ? via_text : "", method);
  osip_free (ruri);
  osip_free (via_text);
  return key;
}

/* ---------------------------------------------------------------- life */

static ChorusSipTxn *
txn_new (ChorusSipTxnLayer *l, ChorusSipTxnKind kind, ChorusSipConnId conn, gboolean reliable,
         char *key, gpointer owner)
{
  ChorusSipTxn *t = g_new0 (ChorusSipTxn, 1);
  t->kind = kind;
  t->conn = conn;
  t->reliable = reliable;
  t->owner = owner;
  t->key = key;
  t->id = l->next_id++;
  t->retransmit_at = t->timeout_at = t->end_at = -1;
  g_hash_table_insert (l->by_id, &t->id, t);
  /* a key in use (a branch reused by a broken peer): the newer wins */
  g_hash_table_insert (l->by_key, t->key, t);
  return t;
}

/* Frees @t once terminated; the TU hears of it first. */
static void
finish (ChorusSipTxnLayer *l, ChorusSipTxn *t, gint64 now)
{
  /* a wait timer of zero (reliable connections) ends it at once */
  if (t->end_at >= 0 && t->end_at <= now)
    t->state = CHORUS_SIP_TXN_TERMINATED;
  if (t->state != CHORUS_SIP_TXN_TERMINATED)
    return;
  if (t->owner && l->cb.terminated)
    l->cb.terminated (t, l->user_data);
  if (g_hash_table_lookup (l->by_key, t->key) == t)
    g_hash_table_remove (l->by_key, t->key);
  g_hash_table_remove (l->by_id, &t->id);
}

static void
send_bytes (ChorusSipTxnLayer *l, ChorusSipTxn *t, GBytes *b)
{
  if (b != NULL)
    l->cb.send (t->conn, b, l->user_data);
}

/* ---------------------------------------------------------------- client */

ChorusSipTxn *
chorus_sip_txn_client_new (ChorusSipTxnLayer *l, ChorusSipConnId conn, gboolean reliable,
                           osip_message_t *request, gint64 now, gpointer owner)
{
  gboolean invite = strcmp (request->sip_method, "INVITE") == 0;
  char *key = client_key (conn, chorus_sip_message_branch (request), request->sip_method);
  ChorusSipTxn *t =
      txn_new (l, invite ? CHORUS_SIP_TXN_ICT : CHORUS_SIP_TXN_NICT, conn, reliable, key, owner);
  t->request = request;
  t->request_bytes = chorus_sip_message_to_bytes (request);
  /* §17.1.1.2 Timers A and B; §17.1.2.2 Timers E and F */
  t->state = invite ? CHORUS_SIP_TXN_CALLING : CHORUS_SIP_TXN_TRYING;
  t->retransmit_interval = CHORUS_SIP_T1;
  t->retransmit_at = reliable ? -1 : now + CHORUS_SIP_T1;
  t->timeout_at = now + 64 * CHORUS_SIP_T1;
  send_bytes (l, t, t->request_bytes);
  return t;
}

/* §17.1.1.3: the ACK of a non-2xx final response. */
static osip_message_t *
build_ack (const osip_message_t *request, const osip_message_t *response)
{
  osip_message_t *ack = NULL;
  osip_message_init (&ack);
  osip_message_set_method (ack, osip_strdup ("ACK"));
  osip_message_set_version (ack, osip_strdup ("SIP/2.0"));
  osip_uri_t *uri = NULL;
  osip_uri_clone (request->req_uri, &uri);
  osip_message_set_uri (ack, uri);
  osip_via_t *via = osip_list_get (&request->vias, 0), *via_copy = NULL;
  if (via && osip_via_clone (via, &via_copy) == 0)
    osip_list_add (&ack->vias, via_copy, -1);
  osip_from_clone (request->from, &ack->from);
  osip_to_clone (response->to, &ack->to);
  osip_call_id_clone (request->call_id, &ack->call_id);
  osip_cseq_init (&ack->cseq);
  osip_cseq_set_number (ack->cseq, osip_strdup (request->cseq->number));
  osip_cseq_set_method (ack->cseq, osip_strdup ("ACK"));
  osip_route_t *route;
  for (int i = 0; (route = osip_list_get (&request->routes, i)) != NULL; i++)
    {
      osip_route_t *copy = NULL;
      if (osip_route_clone (route, &copy) == 0)
        osip_list_add (&ack->routes, copy, -1);
    }
  osip_message_set_max_forwards (ack, "70");
  return ack;
}

static void
pass_up (ChorusSipTxnLayer *l, ChorusSipTxn *t, osip_message_t *response)
{
  if (t->owner && l->cb.response)
    l->cb.response (t, response, l->user_data);
}

static void
keep_response (ChorusSipTxn *t, osip_message_t *response)
{
  if (t->last_response)
    osip_message_free (t->last_response);
  t->last_response = chorus_sip_message_clone (response);
}

gboolean
chorus_sip_txn_client_receive (ChorusSipTxnLayer *l, ChorusSipConnId conn, osip_message_t *response,
                               gint64 now)
{
  g_autofree char *key =
      client_key (conn, chorus_sip_message_branch (response), chorus_sip_message_method (response));
  ChorusSipTxn *t = g_hash_table_lookup (l->by_key, key);
  if (t == NULL || (t->kind != CHORUS_SIP_TXN_ICT && t->kind != CHORUS_SIP_TXN_NICT))
    return FALSE;
  int code = response->status_code;
  if (t->kind == CHORUS_SIP_TXN_ICT)
    {
      switch (t->state)
        {
        case CHORUS_SIP_TXN_CALLING:
        case CHORUS_SIP_TXN_PROCEEDING:
          t->retransmit_at = -1;
          if (code < 200)
            {
              /* §17.1.1.2: Proceeding; Timer B only runs in Calling */
              t->state = CHORUS_SIP_TXN_PROCEEDING;
              t->timeout_at = -1;
              pass_up (l, t, response);
            }
          else if (code < 300)
            {
              /* RFC 6026 §7.2: Accepted, Timer M = 64*T1, for the 2xx
               * retransmissions and other forks' 2xx */
              t->state = CHORUS_SIP_TXN_ACCEPTED;
              t->timeout_at = -1;
              t->end_at = now + 64 * CHORUS_SIP_T1;
              keep_response (t, response);
              pass_up (l, t, response);
            }
          else
            {
              /* §17.1.1.2: Completed, ACK, Timer D (32 s, 0 on reliable) */
              t->state = CHORUS_SIP_TXN_COMPLETED;
              t->timeout_at = -1;
              t->end_at = now + (t->reliable ? 0 : 32000);
              keep_response (t, response);
              osip_message_t *ack = build_ack (t->request, response);
              t->ack_bytes = chorus_sip_message_to_bytes (ack);
              osip_message_free (ack);
              send_bytes (l, t, t->ack_bytes);
              pass_up (l, t, response);
            }
          break;
        case CHORUS_SIP_TXN_ACCEPTED:
          if (code >= 200 && code < 300)
            pass_up (l, t, response); /* the TU ACKs again (§13.2.2.4) */
          break;
        case CHORUS_SIP_TXN_COMPLETED:
          if (code >= 300)
            send_bytes (l, t, t->ack_bytes); /* §17.1.1.2: retransmitted final */
          break;
        default:
          break;
        }
    }
  else
    {
      switch (t->state)
        {
        case CHORUS_SIP_TXN_TRYING:
        case CHORUS_SIP_TXN_PROCEEDING:
          if (code < 200)
            {
              t->state = CHORUS_SIP_TXN_PROCEEDING;
              pass_up (l, t, response);
            }
          else
            {
              /* §17.1.2.2: Completed, Timer K (T4, 0 on reliable) */
              t->state = CHORUS_SIP_TXN_COMPLETED;
              t->retransmit_at = t->timeout_at = -1;
              t->end_at = now + (t->reliable ? 0 : CHORUS_SIP_T4);
              keep_response (t, response);
              pass_up (l, t, response);
            }
          break;
        default:
          break; /* Completed absorbs retransmissions */
        }
    }
  finish (l, t, now);
  return TRUE;
}

/* ---------------------------------------------------------------- server */

ChorusSipTxn *
chorus_sip_txn_server_find (ChorusSipTxnLayer *l, ChorusSipConnId conn, osip_message_t *request,
                            const char *method)
{
  g_autofree char *key = server_key (conn, request, method);
  ChorusSipTxn *t = g_hash_table_lookup (l->by_key, key);
  if (t != NULL && (t->kind == CHORUS_SIP_TXN_IST || t->kind == CHORUS_SIP_TXN_NIST))
    return t;
  return NULL;
}

gboolean
chorus_sip_txn_server_receive (ChorusSipTxnLayer *l, ChorusSipConnId conn, osip_message_t *request,
                               gint64 now)
{
  ChorusSipTxn *t = chorus_sip_txn_server_find (l, conn, request, NULL);
  if (t == NULL)
    return FALSE;
  gboolean ack = strcmp (request->sip_method, "ACK") == 0;
  if (t->kind == CHORUS_SIP_TXN_IST)
    {
      if (ack)
        {
          /* RFC 2543 matching leaves the To tag out for INVITE and ACK: the
           * ACK of this transaction carries the tag of its response. */
          const char *ours = t->last_response ? chorus_sip_message_to_tag (t->last_response) : NULL;
          if (g_strcmp0 (ours, chorus_sip_message_to_tag (request)) != 0)
            return FALSE;
          switch (t->state)
            {
            case CHORUS_SIP_TXN_COMPLETED:
              /* §17.2.1: Confirmed, Timer I (T4, 0 on reliable) */
              t->state = CHORUS_SIP_TXN_CONFIRMED;
              t->retransmit_at = t->timeout_at = -1;
              t->end_at = now + (t->reliable ? 0 : CHORUS_SIP_T4);
              break;
            case CHORUS_SIP_TXN_ACCEPTED:
              /* RFC 6026 §7.1: an ACK for the 2xx goes to the TU */
              return FALSE;
            default:
              break;
            }
        }
      else if (t->state == CHORUS_SIP_TXN_PROCEEDING || t->state == CHORUS_SIP_TXN_COMPLETED)
        send_bytes (l, t, t->response_bytes); /* §17.2.1: a retransmitted INVITE */
    }
  else
    {
      if (ack)
        return FALSE;
      /* §17.2.2: Trying absorbs; Proceeding and Completed answer again */
      if (t->state == CHORUS_SIP_TXN_PROCEEDING || t->state == CHORUS_SIP_TXN_COMPLETED)
        send_bytes (l, t, t->response_bytes);
    }
  finish (l, t, now);
  return TRUE;
}

ChorusSipTxn *
chorus_sip_txn_server_new (ChorusSipTxnLayer *l, ChorusSipConnId conn, gboolean reliable,
                           const osip_message_t *request, gint64 now, gpointer owner)
{
  osip_message_t *copy = chorus_sip_message_clone (request);
  if (copy == NULL)
    return NULL;
  gboolean invite = strcmp (request->sip_method, "INVITE") == 0;
  ChorusSipTxn *t = txn_new (l, invite ? CHORUS_SIP_TXN_IST : CHORUS_SIP_TXN_NIST, conn, reliable,
                             server_key (conn, copy, NULL), owner);
  t->request = copy;
  t->state = invite ? CHORUS_SIP_TXN_PROCEEDING : CHORUS_SIP_TXN_TRYING;
  return t;
}

gboolean
chorus_sip_txn_has_final (const ChorusSipTxn *t)
{
  return t->last_response != NULL && t->last_response->status_code >= 200;
}

void
chorus_sip_txn_respond (ChorusSipTxnLayer *l, ChorusSipTxn *t, osip_message_t *response, gint64 now)
{
  int code = response->status_code;
  gboolean open = t->state == CHORUS_SIP_TXN_PROCEEDING || t->state == CHORUS_SIP_TXN_TRYING;
  if (!open || (t->kind != CHORUS_SIP_TXN_IST && t->kind != CHORUS_SIP_TXN_NIST))
    {
      osip_message_free (response);
      return;
    }
  if (t->last_response)
    osip_message_free (t->last_response);
  t->last_response = response;
  g_clear_pointer (&t->response_bytes, g_bytes_unref);
  t->response_bytes = chorus_sip_message_to_bytes (response);
  send_bytes (l, t, t->response_bytes);
  if (code < 200)
    t->state = CHORUS_SIP_TXN_PROCEEDING;
  else if (t->kind == CHORUS_SIP_TXN_NIST)
    {
      /* §17.2.2: Completed, Timer J (64*T1, 0 on reliable) */
      t->state = CHORUS_SIP_TXN_COMPLETED;
      t->end_at = now + (t->reliable ? 0 : 64 * CHORUS_SIP_T1);
    }
  else if (code < 300)
    {
      /* RFC 6026 §7.1: Accepted, Timer L = 64*T1; the TU retransmits the
       * 2xx itself (§13.3.1.4) */
      t->state = CHORUS_SIP_TXN_ACCEPTED;
      t->end_at = now + 64 * CHORUS_SIP_T1;
    }
  else
    {
      /* §17.2.1: Completed, Timer G (unreliable) and Timer H */
      t->state = CHORUS_SIP_TXN_COMPLETED;
      t->retransmit_interval = CHORUS_SIP_T1;
      t->retransmit_at = t->reliable ? -1 : now + CHORUS_SIP_T1;
      t->timeout_at = now + 64 * CHORUS_SIP_T1;
    }
  finish (l, t, now);
}

gboolean
chorus_sip_txn_is_merged (ChorusSipTxnLayer *l, osip_message_t *request)
{
  const char *from_tag = chorus_sip_message_from_tag (request);
  if (from_tag == NULL || chorus_sip_message_to_tag (request) != NULL)
    return FALSE;
  g_autofree char *call_id = chorus_sip_message_call_id (request);
  const char *branch = chorus_sip_message_branch (request);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, l->by_id);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      ChorusSipTxn *t = v;
      if (t->kind != CHORUS_SIP_TXN_IST && t->kind != CHORUS_SIP_TXN_NIST)
        continue;
      osip_message_t *r = t->request;
      g_autofree char *other_call_id = chorus_sip_message_call_id (r);
      if (g_strcmp0 (chorus_sip_message_from_tag (r), from_tag) == 0
          && g_strcmp0 (other_call_id, call_id) == 0
          && chorus_sip_message_cseq (r) == chorus_sip_message_cseq (request)
          && g_strcmp0 (r->sip_method, request->sip_method) == 0
          && g_strcmp0 (chorus_sip_message_branch (r), branch) != 0)
        return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------- timers */

static void
fire (ChorusSipTxnLayer *l, ChorusSipTxn *t, gint64 now)
{
  if (t->retransmit_at >= 0 && t->retransmit_at <= now)
    {
      switch (t->kind)
        {
        case CHORUS_SIP_TXN_ICT: /* Timer A: doubles (§17.1.1.2) */
          send_bytes (l, t, t->request_bytes);
          t->retransmit_interval *= 2;
          break;
        case CHORUS_SIP_TXN_NICT: /* Timer E: doubles up to T2, T2 once Proceeding */
          send_bytes (l, t, t->request_bytes);
          t->retransmit_interval = t->state == CHORUS_SIP_TXN_PROCEEDING
                                       ? CHORUS_SIP_T2
                                       : MIN (t->retransmit_interval * 2, CHORUS_SIP_T2);
          break;
        case CHORUS_SIP_TXN_IST: /* Timer G: doubles up to T2 */
          send_bytes (l, t, t->response_bytes);
          t->retransmit_interval = MIN (t->retransmit_interval * 2, CHORUS_SIP_T2);
          break;
        default:
          break;
        }
      t->retransmit_at = now + t->retransmit_interval;
    }
  if (t->timeout_at >= 0 && t->timeout_at <= now)
    {
      /* Timers B, F (no answer: 408 for the TU, §8.1.3.1) and H (no ACK) */
      t->retransmit_at = t->timeout_at = -1;
      t->state = CHORUS_SIP_TXN_TERMINATED;
      if (t->owner && l->cb.timeout)
        l->cb.timeout (t, FALSE, l->user_data);
    }
  if (t->end_at >= 0 && t->end_at <= now)
    t->state = CHORUS_SIP_TXN_TERMINATED;
  finish (l, t, now);
}

static GArray *
ids_of (ChorusSipTxnLayer *l)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, l->by_id);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_array_append_val (ids, *(guint64 *) k);
  return ids;
}

void
chorus_sip_txn_tick (ChorusSipTxnLayer *l, gint64 now)
{
  g_autoptr (GArray) ids = ids_of (l);
  for (guint i = 0; i < ids->len; i++)
    {
      ChorusSipTxn *t = g_hash_table_lookup (l->by_id, &g_array_index (ids, guint64, i));
      if (t != NULL)
        fire (l, t, now);
    }
}

gint64
chorus_sip_txn_next_deadline (ChorusSipTxnLayer *l)
{
  gint64 best = -1;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, l->by_id);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      ChorusSipTxn *t = v;
      gint64 times[] = { t->retransmit_at, t->timeout_at, t->end_at };
      for (guint i = 0; i < G_N_ELEMENTS (times); i++)
        if (times[i] >= 0 && (best < 0 || times[i] < best))
          best = times[i];
    }
  return best;
}

void
chorus_sip_txn_connection_lost (ChorusSipTxnLayer *l, ChorusSipConnId conn, gint64 now)
{
  g_autoptr (GArray) ids = ids_of (l);
  for (guint i = 0; i < ids->len; i++)
    {
      ChorusSipTxn *t = g_hash_table_lookup (l->by_id, &g_array_index (ids, guint64, i));
      if (t == NULL || t->conn != conn)
        continue;
      gboolean waiting = t->state == CHORUS_SIP_TXN_CALLING || t->state == CHORUS_SIP_TXN_TRYING
                         || (t->state == CHORUS_SIP_TXN_PROCEEDING
                             && (t->kind == CHORUS_SIP_TXN_ICT || t->kind == CHORUS_SIP_TXN_NICT));
      t->state = CHORUS_SIP_TXN_TERMINATED;
      t->retransmit_at = t->timeout_at = -1;
      /* §8.1.3.1: a transport failure is a 503 for the client's TU */
      if (waiting && (t->kind == CHORUS_SIP_TXN_ICT || t->kind == CHORUS_SIP_TXN_NICT) && t->owner
          && l->cb.timeout)
        l->cb.timeout (t, TRUE, l->user_data);
      finish (l, t, now);
    }
}
