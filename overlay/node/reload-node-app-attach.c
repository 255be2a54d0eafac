/* reload-node-app-attach.c: AppAttach (RFC 6940 §6.5.2) at its
 * destination.
 *
 * AppAttach is Attach for the application: the same ICE parameters plus an
 * Application-ID (§6.5.2.1), but the connection it sets up carries no
 * RELOAD (§6.5.2: "it is used to transport non-RELOAD 'media'").  So the
 * node makes no link and changes no routing table for it: it hands the
 * request to its shell (ReloadNodeShell.app_attach), whose ICE agent may
 * need a round trip or two to a STUN or TURN server before it has the
 * candidates of its answer, and holds the request meanwhile, as it holds
 * an Attach whose ICE part is being gathered (reload-node-attach.c): the
 * request's bytes are kept (decoded again when the answer goes), its
 * retransmissions absorbed (§6.2.1: "Receiving nodes MUST generate
 * semantically equivalent responses to retransmissions of the same
 * request": the answer, when it goes, is the one they wait for), and the
 * shell answers with reload_node_app_attach_answer() or _refuse().  Once
 * answered, the answer cache of reload-node.c sends the same answer to
 * later retransmissions.
 *
 * Bounds (requests come from anyone): at most MAX_PENDING_APP_ATTACHES
 * held at once, a new one past it is dropped (counted, one debug log
 * line) and the requester's retransmissions may find room later; each is
 * held for the maximum request lifetime (§6.2.1: 15 s; more when the
 * overlay-reliability-timer is above 3 s, as the requester then waits
 * longer): after it nobody waits for the answer and it is forgotten.
 *
 * Sending an AppAttach needs nothing here: reload_node_request() with
 * RELOAD_APP_ATTACH_REQ and a ReloadAppAttachReq body, whose answer's body
 * is the ReloadAppAttachAns (reload_node_answer_signer() names who sent
 * it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* AppAttaches held for the shell, at most */
#define MAX_PENDING_APP_ATTACHES 256

typedef struct
{
  guint64 tid;
  ChordId origin;    /* who signed the request (reload-node.c checks it) */
  guint64 from_link; /* where the request, or its latest retransmission, came from */
  GBytes *req;       /* that request, encoded */
  gint64 expires;
} PendingAppAttach;

static void
pending_free (gpointer data)
{
  PendingAppAttach *p = data;
  g_clear_pointer (&p->req, g_bytes_unref);
  g_free (p);
}

/* §6.2.1: the originator transmits up to 5 times, a reliability timer
 * apart; "the maximum request lifetime (15 seconds)" */
static gint64
lifetime_ms (ReloadNode *n)
{
  return MAX ((gint64) ANSWER_CACHE_MS,
              (gint64) MAX_TRANSMISSIONS * (gint64) n->cfg.overlay_reliability_timer_ms);
}

/* the held AppAttach @req retransmits, if any */
static PendingAppAttach *
find_pending (ReloadNode *n, const ReloadMessage *req, ChordId origin)
{
  if (n->app_attaches == NULL)
    return NULL;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, n->app_attaches);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      PendingAppAttach *p = v;
      if (p->tid == req->header.transaction_id && chord_id_equal (p->origin, origin))
        return p;
    }
  return NULL;
}

static void
refuse_not_found (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  /* §6.5.2.2: "If the Application ID is not supported, the peer MUST
   * reply with an Error_Not_Found error." */
  rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_NOT_FOUND, "application not supported", now);
}

void
rn_handle_app_attach_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadAppAttachReq *req = m->body;
  if (req == NULL)
    {
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_INVALID_MESSAGE, "no AppAttachReq", now);
      return;
    }
  PendingAppAttach *held = find_pending (n, m, ctx->origin);
  if (held != NULL)
    {
      /* §6.2.1: a retransmission while the shell prepares the answer; the
       * answer goes back the way it came last (the route may have
       * changed, the first link may be gone) */
      GBytes *bytes = reload_message_encode (m, rn_wire_for (n, m->message_code), NULL);
      if (bytes != NULL)
        {
          g_bytes_unref (held->req);
          held->req = bytes;
          held->from_link = ctx->from_link;
        }
      TRACE (n, "AppAttach %016" G_GINT64_MODIFIER "x retransmitted: still with the shell",
             held->tid);
      return;
    }
  if (n->shell.app_attach == NULL)
    {
      refuse_not_found (n, m, ctx, now);
      return;
    }
  if (n->app_attaches == NULL)
    n->app_attaches = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, pending_free);
  if (g_hash_table_size (n->app_attaches) >= MAX_PENDING_APP_ATTACHES)
    {
      /* hostile input must not grow the table: dropped unanswered; a
       * retransmission may find room */
      n->counters.dropped++;
      TRACE (n, "AppAttach %016" G_GINT64_MODIFIER "x: %u held already, dropped",
             m->header.transaction_id, MAX_PENDING_APP_ATTACHES);
      g_log_structured ("chorus-node", G_LOG_LEVEL_DEBUG, "MESSAGE",
                        "dropped an AppAttach: %u are waiting for the application already",
                        MAX_PENDING_APP_ATTACHES);
      return;
    }
  g_autoptr (GError) error = NULL;
  GBytes *bytes = reload_message_encode (m, rn_wire_for (n, m->message_code), &error);
  if (bytes == NULL)
    {
      n->counters.dropped++;
      TRACE (n, "an AppAttach to answer does not encode again: %s", error->message);
      return;
    }
  PendingAppAttach *p = g_new0 (PendingAppAttach, 1);
  p->tid = m->header.transaction_id;
  p->origin = ctx->origin;
  p->from_link = ctx->from_link;
  p->req = bytes;
  p->expires = now + lifetime_ms (n);
  guint64 token = ++n->app_attach_last_token;
  g_hash_table_insert (n->app_attaches, g_memdup2 (&token, sizeof token), p);
  rn_timer_push (n, p->expires, TIMER_APP_ATTACH, token);
  char b1[33];
  TRACE (n,
         "AppAttach %016" G_GINT64_MODIFIER "x from %s, application %u: token %" G_GUINT64_FORMAT,
         p->tid, rn_short_id (ctx->origin, b1), req->application, token);
  ReloadNodeId peer = chord_id_to_node_id (ctx->origin);
  /* the shell may answer from within (reload_node_app_attach_answer()) */
  gboolean outer = n->in_app_attach;
  n->in_app_attach = TRUE;
  gboolean taken = n->shell.app_attach (n->shell_data, &peer, ctx->signer.user_name, req, token);
  n->in_app_attach = outer;
  if (taken)
    return;
  /* refused at once, unless the shell answered before returning FALSE */
  if (g_hash_table_remove (n->app_attaches, &token))
    refuse_not_found (n, m, ctx, now);
}

/* Sends the answer or error of the AppAttach of @token (§6.2.2: back
 * along the request's via list, reversed). */
static void
respond (ReloadNode *n, guint64 token, guint16 code, gpointer body, gint64 now)
{
  /* inside app_attach the node's scratch arena is in use: no rn_enter() */
  if (n->in_app_attach)
    n->now = now;
  else
    rn_enter (n, now);
  gpointer key = NULL, value = NULL;
  if (n->app_attaches == NULL
      || !g_hash_table_steal_extended (n->app_attaches, &token, &key, &value))
    {
      TRACE (n, "AppAttach token %" G_GUINT64_FORMAT ": not held (answered, or expired)", token);
      return;
    }
  g_free (key);
  PendingAppAttach *p = value;
  if (p->from_link != 0 && !g_hash_table_contains (n->links, GSIZE_TO_POINTER (p->from_link)))
    {
      /* the answer's first hop is gone (§6.1.2: it goes back to the node
       * the request came from); the requester retransmits, or gives up */
      n->counters.dropped++;
      TRACE (n, "AppAttach %016" G_GINT64_MODIFIER "x: its link is gone, answer dropped", p->tid);
      pending_free (p);
      return;
    }
  g_autoptr (ReloadMessage) m =
      reload_message_decode (p->req, rn_wire_for (n, RELOAD_APP_ATTACH_REQ), NULL);
  if (m != NULL)
    rn_send_answer (n, p->from_link, m, code, body, now);
  pending_free (p);
}

void
reload_node_app_attach_answer (ReloadNode *n, guint64 token, const ReloadAppAttachAns *ans,
                               gint64 now)
{
  g_return_if_fail (n != NULL && ans != NULL);
  /* §6.5.2.2: AppAttachAns, the answerer's ICE parameters */
  respond (n, token, RELOAD_APP_ATTACH_ANS, (gpointer) ans, now);
}

void
reload_node_app_attach_refuse (ReloadNode *n, guint64 token, guint16 error_code, const char *info,
                               gint64 now)
{
  g_return_if_fail (n != NULL);
  ReloadErrorResponse e = { 0 };
  e.error_code = error_code;
  if (info != NULL)
    e.error_info = (RwBytes){ (const guint8 *) info, strlen (info) };
  respond (n, token, RELOAD_ERROR, &e, now);
}

void
rn_app_attach_timer (ReloadNode *n, guint64 token, gint64 at)
{
  PendingAppAttach *p = n->app_attaches ? g_hash_table_lookup (n->app_attaches, &token) : NULL;
  if (p == NULL || p->expires != at)
    return; /* answered already */
  /* past the request lifetime (§6.2.1) the requester waits no more */
  TRACE (n, "AppAttach %016" G_GINT64_MODIFIER "x: never answered, forgotten", p->tid);
  g_hash_table_remove (n->app_attaches, &token);
}

void
rn_app_attach_clear (ReloadNode *n)
{
  g_clear_pointer (&n->app_attaches, g_hash_table_destroy);
}
