/* reload-node-attach.c: Attaches whose ICE part the shell is still
 * gathering (RFC 6940 §6.5.1.1).
 *
 * An Attach carries the sender's ICE candidates, and RELOAD has no way to
 * add candidates later.  Host candidates are known at once, but
 * server-reflexive and relayed ones (STUN, TURN: §9) take a round trip or
 * two to the server, and a peer behind a NAT needs them in its Attach.  So
 * the shell may answer prepare_attach() with a token and no candidate:
 * the node holds that Attach, request or answer, until the shell calls
 * reload_node_attach_ready() with the ICE part (or NULL: none could be
 * made).  A held request keeps its place in `attaching` (no second Attach
 * to the same peer meanwhile); a held answer keeps the request's bytes
 * (decoded again when it goes) and absorbs the request's retransmissions
 * (§6.2.1: the answer, when it goes, is the one the requester waits for).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* held Attaches, at most (hostile input: requests to answer come from
 * anyone); past it, an Attach goes with what it has */
#define MAX_PENDING_ATTACHES 256

typedef struct
{
  gboolean request;
  /* a request */
  ChordId target;
  gboolean to_resource;
  gboolean has_via;
  ChordId via;
  AttachPurpose purpose;
  gboolean send_update;
  /* an answer */
  GBytes *req; /* the request, encoded */
  guint64 tid;
  guint64 from_link;
  ChordId origin;
} PendingAttach;

static void
pending_free (gpointer data)
{
  PendingAttach *p = data;
  g_clear_pointer (&p->req, g_bytes_unref);
  g_free (p);
}

static gboolean
deferred (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice)
{
  if (token == 0 || ice->n_candidates > 0)
    return FALSE;
  if (n->pending_attaches == NULL)
    n->pending_attaches = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, pending_free);
  return g_hash_table_size (n->pending_attaches) < MAX_PENDING_ATTACHES;
}

static void
hold (ReloadNode *n, guint64 token, PendingAttach *p)
{
  g_hash_table_replace (n->pending_attaches, g_memdup2 (&token, sizeof token), p);
}

gboolean
rn_attach_defer_request (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice,
                         ChordId target, gboolean to_resource, const ChordId *via,
                         AttachPurpose purpose, gboolean send_update)
{
  if (!deferred (n, token, ice))
    return FALSE;
  PendingAttach *p = g_new0 (PendingAttach, 1);
  p->request = TRUE;
  p->target = target;
  p->to_resource = to_resource;
  p->has_via = via != NULL;
  if (via != NULL)
    p->via = *via;
  p->purpose = purpose;
  p->send_update = send_update;
  hold (n, token, p);
  return TRUE;
}

gboolean
rn_attach_defer_answer (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice,
                        const ReloadMessage *req, const RequestCtx *ctx)
{
  if (!deferred (n, token, ice))
    return FALSE;
  g_autoptr (GError) error = NULL;
  GBytes *bytes = reload_message_encode (req, rn_wire_for (n, req->message_code), &error);
  if (bytes == NULL)
    {
      TRACE (n, "an Attach to answer does not encode again: %s", error->message);
      return FALSE;
    }
  PendingAttach *p = g_new0 (PendingAttach, 1);
  p->req = bytes;
  p->tid = req->header.transaction_id;
  p->from_link = ctx->from_link;
  p->origin = ctx->origin;
  hold (n, token, p);
  return TRUE;
}

gboolean
rn_attach_answer_pending (ReloadNode *n, const ReloadMessage *req)
{
  if (n->pending_attaches == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, n->pending_attaches);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      PendingAttach *p = v;
      if (!p->request && p->tid == req->header.transaction_id)
        return TRUE;
    }
  return FALSE;
}

void
reload_node_attach_ready (ReloadNode *n, guint64 token, const ReloadAttachReqAns *ice, gint64 now)
{
  rn_enter (n, now);
  gpointer key = NULL, value = NULL;
  if (n->pending_attaches == NULL
      || !g_hash_table_steal_extended (n->pending_attaches, &token, &key, &value))
    return;
  g_free (key);
  PendingAttach *p = value;
  g_autoptr (GBytes) req = g_steal_pointer (&p->req);
  PendingAttach held = *p;
  g_free (p);
  if (ice == NULL)
    {
      TRACE (n, "an Attach without ICE candidates: dropped");
      if (held.request && !held.to_resource)
        g_hash_table_remove (n->attaching, &held.target);
      return;
    }
  if (held.request)
    {
      rn_attach_send_request (n, held.target, held.to_resource, held.has_via ? &held.via : NULL,
                              held.purpose, held.send_update, ice, token, now);
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadMessage) m =
      reload_message_decode (req, rn_wire_for (n, RELOAD_ATTACH_REQ), &error);
  if (m == NULL)
    {
      rn_release_attach (n, token);
      return;
    }
  RequestCtx ctx = { 0 };
  ctx.origin = held.origin;
  ctx.from_link = held.from_link;
  rn_attach_answer (n, m, &ctx, ice, token, now);
}

void
rn_attach_clear (ReloadNode *n)
{
  /* taken first: the shell, told, may call reload_node_attach_ready() */
  g_autoptr (GHashTable) held = g_steal_pointer (&n->pending_attaches);
  if (held == NULL)
    return;
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, held);
  while (g_hash_table_iter_next (&it, &k, NULL))
    rn_release_attach (n, *(guint64 *) k);
}
