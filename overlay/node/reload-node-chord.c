/* reload-node-chord.c: CHORD-RELOAD (RFC 6940 §10) in a node: join,
 * Attach for neighbors and fingers, Updates and stabilization, failures,
 * leave, partitions (§10.7.4.4), replication (§10.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

typedef struct
{
  ReloadNode *node;
  GPtrArray *ids; /* of GBytes resource ids */
} CollectCtx;

static void attach_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                         const GError *error);
static void send_attach (ReloadNode *n, ChordId target, gboolean to_resource, const ChordId *via,
                         AttachPurpose purpose, gboolean send_update_flag, gint64 now);
static void update_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                         const GError *error);
static void consider_named_peers (ReloadNode *n, ChordId via, const ReloadNodeId *ids, guint n_ids,
                                  gint64 now);
static void collect_resource (gpointer user_data, ChordId id, RwBytes resource_id);
static void store_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                        const GError *error);
static gboolean lists_id (const ReloadNodeId *listed, guint n_listed, ChordId id);
static gboolean update_misses (const ReloadNodeId *listed, guint n_listed, const ChordId *ours,
                               guint n_ours, ChordId lo, ChordId hi);
static void partition_check_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                                  const GError *error);
static void join_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                       const GError *error);

void
rn_table_changed (ReloadNode *n, gint64 now)
{
  rn_self_tuning_poll (n, now);
  if (n->state != NODE_JOINED)
    return;
  /* §10.7.3: with reactive recovery, an Update to the neighbors after a
   * change; coalesced over a short delay */
  if (n->cfg.chord_reactive)
    rn_schedule (n, &n->reactive_update_at, now + REACTIVE_UPDATE_DELAY_MS, TIMER_REACTIVE_UPDATE);
  gint64 at = now + 1000;
  if (n->successor_lost_at > 0 && now - n->successor_lost_at < REPLICA_HOLD_DOWN_MS)
    at = n->successor_lost_at + REPLICA_HOLD_DOWN_MS;
  rn_schedule (n, &n->replicate_at, at, TIMER_REPLICATE);
}

/* §10.5 step 5 comes once the admitting peer is connected, after a little
 * time for the Attaches of step 3. */
void
rn_maybe_schedule_join (ReloadNode *n, gint64 now)
{
  if (n->state == NODE_JOINING && n->have_admitting
      && rn_conn_by_peer (n, n->admitting_peer) != NULL)
    rn_schedule (n, &n->join_at, now + JOIN_ATTACH_WAIT_MS, TIMER_JOIN);
}

static void
attach_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  /* the AttachAns is handled in rn_handle_answer; here only the failure */
  ChordId *target = user_data;
  if (error != NULL)
    g_hash_table_remove (n->attaching, target);
  g_free (target);
}

/* Sends an Attach (§6.5.1) towards @target: a node, source-routed through
 * @via when given (§10.6), or a resource id (fingers, the admitting peer). */
/* The ICE part of an Attach (§6.5.1.1): the shell's, when it prepares
 * one (full ICE), else this node's configured candidates (No-ICE). */
static guint64
fill_attach (ReloadNode *n, gboolean request, RwArena *arena, ReloadAttachReqAns *a)
{
  guint64 token = 0;
  if (n->shell.prepare_attach != NULL
      && n->shell.prepare_attach (n->shell_data, request, arena, a, &token))
    return token;
  a->ufrag = (RwBytes){ (const guint8 *) "chrs", 4 };
  a->password = (RwBytes){ (const guint8 *) "chorus-sim-password-0", 21 };
  a->role = request ? (RwBytes){ (const guint8 *) "passive", 7 }
                    : (RwBytes){ (const guint8 *) "active", 6 };
  a->candidates = n->candidates;
  a->n_candidates = n->n_candidates;
  return 0;
}

static void
set_attach_token (ReloadNode *n, guint64 tid, guint64 token)
{
  Txn *t = tid != 0 ? g_hash_table_lookup (n->txns, &tid) : NULL;
  if (t != NULL)
    t->attach_token = token;
}

static void
send_attach (ReloadNode *n, ChordId target, gboolean to_resource, const ChordId *via,
             AttachPurpose purpose, gboolean send_update_flag, gint64 now)
{
  if (!to_resource)
    {
      if (rn_conn_by_peer (n, target) != NULL || chord_id_equal (target, n->self))
        return;
      gpointer old = g_hash_table_lookup (n->attaching, &target);
      if (old != NULL)
        {
          g_hash_table_insert (n->attaching, g_memdup2 (&target, sizeof target),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (old) | purpose));
          return;
        }
      g_hash_table_insert (n->attaching, g_memdup2 (&target, sizeof target),
                           GUINT_TO_POINTER (purpose));
    }
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAttachReqAns a = { 0 };
  guint64 token = fill_attach (n, TRUE, arena, &a);
  /* the shell is still gathering its candidates: sent once it has them */
  if (rn_attach_defer_request (n, token, &a, target, to_resource, via, purpose, send_update_flag))
    return;
  rn_attach_send_request (n, target, to_resource, via, purpose, send_update_flag, &a, token, now);
}

/* The Attach request of send_attach() with its ICE part @a (§6.5.1). */
void
rn_attach_send_request (ReloadNode *n, ChordId target, gboolean to_resource, const ChordId *via,
                        AttachPurpose purpose, gboolean send_update_flag,
                        const ReloadAttachReqAns *ice, guint64 token, gint64 now)
{
  ReloadAttachReqAns a = *ice;
  a.send_update = send_update_flag;
  ReloadDestination d[2] = { 0 };
  guint nd = 0;
  if (via != NULL)
    d[nd++] = rn_dest_node (*via);
  if (to_resource)
    {
      guint8 *rid = g_malloc (16);
      chord_id_to_bytes (target, rid);
      d[nd].type = RELOAD_DESTINATION_RESOURCE;
      d[nd].resource_id = (RwBytes){ rid, 16 };
      nd++;
      guint64 tid = rn_send_request (n, d, nd, RELOAD_ATTACH_REQ, &a, attach_done,
                                     g_memdup2 (&target, sizeof target), TRUE, purpose, now);
      set_attach_token (n, tid, token);
      g_free (rid);
    }
  else
    {
      d[nd++] = rn_dest_node (target);
      guint64 tid = rn_send_request (n, d, nd, RELOAD_ATTACH_REQ, &a, attach_done,
                                     g_memdup2 (&target, sizeof target), TRUE, purpose, now);
      set_attach_token (n, tid, token);
    }
}

static void
update_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
}

static void
candidates_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                 const GError *error)
{
}

void
reload_node_attach_candidates (ReloadNode *n, const ReloadNodeId *peer_id, gint64 now)
{
  rn_enter (n, now);
  ChordId peer = chord_id_from_node_id (peer_id);
  if (chord_id_equal (peer, n->self) || rn_conn_by_peer (n, peer) == NULL)
    return;
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAttachReqAns a = { 0 };
  guint64 token = fill_attach (n, TRUE, arena, &a);
  ReloadDestination d = rn_dest_node (peer);
  /* the answer goes to rn_handle_answer (PURPOSE_CANDIDATES) */
  guint64 tid = rn_send_request (n, &d, 1, RELOAD_ATTACH_REQ, &a, candidates_done, NULL, TRUE,
                                 PURPOSE_CANDIDATES, now);
  set_attach_token (n, tid, token);
}

void
rn_send_update (ReloadNode *n, ChordId to, guint8 type, gint64 now)
{
  ReloadChordUpdate u = { 0 };
  ReloadNodeId preds[CHORD_MAX_NEIGHBORS], succs[CHORD_MAX_NEIGHBORS];
  ReloadNodeId fingers[CHORD_MAX_FINGERS];
  u.uptime = (guint32) ((now - n->started_ms) / 1000);
  u.type = type;
  if (type != RELOAD_CHORD_UPDATE_PEER_READY)
    {
      for (guint i = 0; i < n->table.n_pred; i++)
        preds[i] = chord_id_to_node_id (n->table.pred[i]);
      for (guint i = 0; i < n->table.n_succ; i++)
        succs[i] = chord_id_to_node_id (n->table.succ[i]);
      u.predecessors = preds;
      u.n_predecessors = n->table.n_pred;
      u.successors = succs;
      u.n_successors = n->table.n_succ;
    }
  if (type == RELOAD_CHORD_UPDATE_FULL)
    {
      ChordId peers[CHORD_MAX_FINGERS];
      guint np = 0;
      for (guint i = 0; i < n->table.n_fingers; i++)
        if (n->table.finger_valid[i])
          {
            gboolean dup = FALSE;
            for (guint j = 0; j < np; j++)
              dup |= chord_id_equal (peers[j], n->table.finger[i]);
            if (!dup)
              peers[np++] = n->table.finger[i];
          }
      /* "in numerically ascending order" (§10.7) */
      for (guint i = 1; i < np; i++)
        for (guint j = i; j > 0 && chord_id_cmp (peers[j - 1], peers[j]) > 0; j--)
          {
            ChordId tmp = peers[j];
            peers[j] = peers[j - 1];
            peers[j - 1] = tmp;
          }
      for (guint i = 0; i < np; i++)
        fingers[i] = chord_id_to_node_id (peers[i]);
      u.fingers = fingers;
      u.n_fingers = np;
    }
  ReloadDestination d = rn_dest_node (to);
  rn_send_request (n, &d, 1, RELOAD_UPDATE_REQ, &u, update_done, NULL, TRUE, 0, now);
}

void
rn_update_neighbors (ReloadNode *n, gint64 now)
{
  ChordId peers[2 * CHORD_MAX_NEIGHBORS];
  guint np = 0;
  for (guint i = 0; i < n->table.n_succ; i++)
    peers[np++] = n->table.succ[i];
  for (guint i = 0; i < n->table.n_pred; i++)
    {
      gboolean dup = FALSE;
      for (guint j = 0; j < np; j++)
        dup |= chord_id_equal (peers[j], n->table.pred[i]);
      if (!dup)
        peers[np++] = n->table.pred[i];
    }
  for (guint i = 0; i < np; i++)
    rn_send_update (n, peers[i], RELOAD_CHORD_UPDATE_NEIGHBORS, now);
}

/* Looks at the Node-IDs an Update or a Leave names: the ones that belong
 * in our Neighbor Table and are not connected get an Attach, source-routed
 * through the peer that named them (§10.6, §10.7.3). */
static void
consider_named_peers (ReloadNode *n, ChordId via, const ReloadNodeId *ids, guint n_ids, gint64 now)
{
  for (guint i = 0; i < n_ids; i++)
    {
      if (ids[i].len != 16)
        continue;
      ChordId id = chord_id_from_node_id (&ids[i]);
      if (chord_id_equal (id, n->self) || chord_id_equal (id, via))
        continue;
      Conn *c = rn_conn_by_peer (n, id);
      if (c != NULL)
        {
          if (!chord_table_contains (&n->table, id) && chord_table_wants_neighbor (&n->table, id))
            {
              c->routable = TRUE;
              if (chord_table_add (&n->table, id))
                rn_table_changed (n, now);
            }
          continue;
        }
      if (chord_table_wants_neighbor (&n->table, id))
        send_attach (n, id, FALSE, &via, PURPOSE_NEIGHBOR, FALSE, now);
    }
}

void
reload_node_attach_failed (ReloadNode *n, const ReloadNodeId *peer_id, gint64 now)
{
  rn_enter (n, now);
  ChordId peer = chord_id_from_node_id (peer_id);
  if (rn_conn_by_peer (n, peer) != NULL)
    return;
  /* the Attach is over: a later one may go out (send_attach() sends none
   * to a peer with one in progress) */
  if (!g_hash_table_remove (n->attaching, &peer))
    return;
  char b[33];
  TRACE (n, "no link to %s after its Attach", rn_short_id (peer, b));
  /* a neighbor still wanted is attached again when an Update names it
   * (consider_named_peers): ours tells the neighbors, and one that sees us
   * miss it answers with its own (at most every 10 s per peer: the pace
   * of the retries) */
  if (n->state == NODE_JOINED && chord_table_wants_neighbor (&n->table, peer))
    rn_schedule (n, &n->reactive_update_at, now + REACTIVE_UPDATE_DELAY_MS, TIMER_REACTIVE_UPDATE);
}

void
rn_search_fingers (ReloadNode *n, gboolean all, gint64 now)
{
  for (guint i = 0; i < n->table.n_fingers; i++)
    {
      if (n->table.finger_valid[i])
        continue;
      gint first = chord_table_first_invalid_finger (&n->table);
      if (first < 0)
        return;
      if ((gint) i < first)
        continue;
      /* §10.7.4.2 alternative 1: from i = 1, each invalid entry is
       * searched with probability 0.5 (all of them when joining) */
      if (!all && g_rand_boolean (n->rand))
        continue;
      ChordId target =
          chord_table_finger_random_target (&n->table, i, rn_random_u64 (n), rn_random_u64 (n));
      send_attach (n, target, TRUE, NULL, PURPOSE_FINGER, FALSE, now);
      if (!all)
        return;
    }
}

static void
collect_resource (gpointer user_data, ChordId id, RwBytes resource_id)
{
  CollectCtx *c = user_data;
  g_ptr_array_add (c->ids, g_bytes_new (resource_id.data, resource_id.len));
}

static void
store_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
}

/* Bytes a message needs beyond its Store body's values: the forwarding
 * header with a few via entries, the contents' framing, the signature. */
#define STORE_PART_OVERHEAD 600

static gboolean
same_bytes (RwBytes a, RwBytes b)
{
  return a.len == b.len && (a.len == 0 || memcmp (a.data, b.data, a.len) == 0);
}

static gsize
stored_data_size (ReloadNode *n, guint32 kind, ReloadStoredData *v)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, reload_storage_options (n->storage));
  reload_stored_data (c, NULL, kind, v);
  if (!rw_codec_finish (c, NULL))
    return 0;
  return out->len;
}

static gsize
certificate_size (ReloadNode *n, const ReloadSignerIdentity *id)
{
  if (n->cfg.security->certificate_for == NULL)
    return 0;
  g_autoptr (GBytes) der = n->cfg.security->certificate_for (n->cfg.security_data, id);
  return der != NULL ? g_bytes_get_size (der) + 3 : 0;
}

/* Sends @req (an export of one resource: §10.4 copies, §10.5 handovers)
 * as one Store or, when it would exceed max-message-size (§11.1; the
 * receiver refuses larger messages), as several, each holding some of the
 * values of one kind with the certificates of their signers (§6.3.4).  A
 * resource grows value by value, so a copy made as one message would stop
 * reaching the replicas once the resource outgrew a message. */
static void
send_store_in_parts (ReloadNode *n, const ReloadDestination *d, const ReloadStoreReq *req,
                     gint64 now)
{
  gsize own_cert = 0;
  if (n->cfg.security->certificate != NULL)
    {
      g_autoptr (GBytes) der = n->cfg.security->certificate (n->cfg.security_data);
      own_cert = der != NULL ? g_bytes_get_size (der) + 3 : 0;
    }
  gsize budget = n->cfg.max_message_size > STORE_PART_OVERHEAD + own_cert
                     ? n->cfg.max_message_size - STORE_PART_OVERHEAD - own_cert
                     : 0;
  gboolean fits = TRUE;
  gsize total = 0;
  for (guint k = 0; k < req->n_kind_data && fits; k++)
    for (guint v = 0; v < req->kind_data[k].n_values && fits; v++)
      {
        total += stored_data_size (n, req->kind_data[k].kind, &req->kind_data[k].values[v])
                 + certificate_size (n, &req->kind_data[k].values[v].signature.identity);
        fits = total <= budget;
      }
  if (fits)
    {
      rn_send_request (n, d, 1, RELOAD_STORE_REQ, (gpointer) req, store_done, NULL, TRUE, 0, now);
      return;
    }
  for (guint k = 0; k < req->n_kind_data; k++)
    {
      const ReloadStoreKindData *kd = &req->kind_data[k];
      guint first = 0;
      while (first < kd->n_values)
        {
          /* as many values as fit, at least one */
          gsize used = 0;
          guint last = first;
          GPtrArray *signers = g_ptr_array_new ();
          for (; last < kd->n_values; last++)
            {
              ReloadStoredData *v = &kd->values[last];
              gsize need = stored_data_size (n, kd->kind, v);
              gboolean known = FALSE;
              for (guint i = 0; i < signers->len && !known; i++)
                known = same_bytes (((ReloadSignerIdentity *) signers->pdata[i])->hash,
                                    v->signature.identity.hash);
              if (!known)
                need += certificate_size (n, &v->signature.identity);
              if (last > first && used + need > budget)
                break;
              used += need;
              if (!known)
                g_ptr_array_add (signers, &v->signature.identity);
            }
          g_ptr_array_unref (signers);
          ReloadStoreKindData part = *kd;
          part.values = &kd->values[first];
          part.n_values = last - first;
          ReloadStoreReq one = *req;
          one.kind_data = &part;
          one.n_kind_data = 1;
          rn_send_request (n, d, 1, RELOAD_STORE_REQ, &one, store_done, NULL, TRUE, 0, now);
          first = last;
        }
    }
}

void
rn_send_store_copy (ReloadNode *n, ChordId to, GBytes *rid, guint8 replica_number, gint64 now)
{
  g_autoptr (RwArena) arena = rw_arena_new (0);
  RwBytes r = { g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) };
  ReloadStoreReq *req = reload_storage_export (n->storage, r, replica_number, now, arena);
  char b1[33], b2[33];
  TRACE (n, "store copy %u of %s to %s%s", replica_number,
         rn_short_id (chord_id_from_resource_id (r), b1), rn_short_id (to, b2),
         req ? "" : " (nothing to send)");
  if (req == NULL)
    return;
  ReloadDestination d = rn_dest_node (to);
  send_store_in_parts (n, &d, req, now);
}

/* The data of a resource this peer was responsible for and no longer is:
 * a Store (replica 0) to whoever is responsible now, routed by the
 * Resource-ID.  §10.5 step 6 hands data to a joining node through its
 * admitting peer; when several nodes join at once, a Store can land at a
 * peer that did not know its new predecessor yet, and only this brings
 * it to the responsible peer (which then replicates it, §10.4). */
static void
send_store_handover (ReloadNode *n, GBytes *rid, gint64 now)
{
  g_autoptr (RwArena) arena = rw_arena_new (0);
  RwBytes r = { g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) };
  ReloadStoreReq *req = reload_storage_export (n->storage, r, 0, now, arena);
  char b1[33];
  TRACE (n, "handover of %s to its responsible peer%s",
         rn_short_id (chord_id_from_resource_id (r), b1), req ? "" : " (nothing to send)");
  if (req == NULL)
    return;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = r;
  send_store_in_parts (n, &d, req, now);
}

/* §10.4 and §10.7.3: new members of the replica set get the data this
 * peer is responsible for; data for which it is no longer responsible
 * nor a replica is dropped. */
void
rn_replicate (ReloadNode *n, gint64 now)
{
  ChordId range_start = chord_table_range_start (&n->table);
  ChordId replicas[N_REPLICAS];
  guint nr = 0;
  for (guint i = 0; i < n->table.n_succ && nr < N_REPLICAS; i++)
    replicas[nr++] = n->table.succ[i];

  CollectCtx ctx = { n, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  reload_storage_foreach (n->storage, collect_resource, &ctx);
  for (guint k = 0; k < ctx.ids->len; k++)
    {
      GBytes *rid = g_ptr_array_index (ctx.ids, k);
      ChordId id = chord_id_from_resource_id (
          (RwBytes){ g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) });
      if (!chord_table_is_responsible (&n->table, id))
        {
          if (chord_id_in_open_closed (id, n->replicated_range_start, n->self))
            send_store_handover (n, rid, now);
          continue;
        }
      gboolean newly_responsible =
          !chord_id_in_open_closed (id, n->replicated_range_start, n->self);
      for (guint i = 0; i < nr; i++)
        {
          gboolean known = FALSE;
          for (guint j = 0; j < n->n_replicas; j++)
            known |= chord_id_equal (n->replicas[j], replicas[i]);
          if (!known || newly_responsible)
            rn_send_store_copy (n, replicas[i], rid, (guint8) (i + 1), now);
        }
    }
  g_ptr_array_unref (ctx.ids);
  memcpy (n->replicas, replicas, sizeof replicas);
  n->n_replicas = nr;
  n->replicated_range_start = range_start;

  rn_drop_outside_replica_set (n);
}

/* §10.7.3: "When peer x detects that it is no longer in the replica set
 * for a resource R (i.e., there are three predecessors between x and R),
 * it SHOULD delete all data associated with R".  Run after every table
 * change and at every periodic stabilization: a replica Store that was
 * already on its way when the tables settled must not stay for good. */
guint
rn_drop_outside_replica_set (ReloadNode *n)
{
  if (n->table.n_pred < N_REPLICAS + 1)
    return 0;
  return reload_storage_drop_outside (n->storage, n->table.pred[N_REPLICAS], n->self);
}

/* §7.4.1: "The peer MUST check that it expects to be a replica for the
 * resource and that the request sender is consistent with being the
 * responsible node (i.e., that the receiving peer does not know of a
 * better node)".  A replica of R lives on the two successors of R's
 * responsible peer, so R lies within this peer's three predecessors; the
 * sender must be a predecessor at or after R with no known peer between
 * R and it.  With fewer predecessors known than that (a small or
 * still-forming ring), the copy is taken. */
gboolean
rn_expects_replica (ReloadNode *n, ChordId resource, ChordId sender)
{
  /* §10.5 step 6: the peer that was responsible before this one joined
   * (now a successor) hands the data over as a copy */
  if (chord_table_is_responsible (&n->table, resource))
    {
      for (guint i = 0; i < n->table.n_succ; i++)
        if (chord_id_equal (n->table.succ[i], sender))
          return TRUE;
    }
  if (n->table.n_pred < N_REPLICAS + 1)
    return TRUE;
  if (!chord_id_in_open_closed (resource, n->table.pred[N_REPLICAS], n->self))
    return FALSE;
  /* the sender: one of the predecessors, the closest known one to R
   * clockwise (a peer this node does not know yet is given the benefit
   * of the doubt only when it lies between R and this peer) */
  if (!chord_id_in_open_closed (sender, resource, n->self) && !chord_id_equal (sender, resource))
    return FALSE;
  for (guint i = 0; i < n->table.n_pred; i++)
    {
      ChordId p = n->table.pred[i];
      if (chord_id_equal (p, sender))
        continue;
      /* a known peer in [R, sender) would be responsible, not the sender */
      if (chord_id_equal (p, resource) || chord_id_in_open_closed (p, resource, sender))
        return FALSE;
    }
  return TRUE;
}

void
rn_handle_attach_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  /* a retransmission of a request whose answer is being prepared */
  if (rn_attach_answer_pending (n, m))
    return;
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAttachReqAns ans = { 0 };
  guint64 token = fill_attach (n, FALSE, arena, &ans);
  /* the shell is still gathering its candidates: answered once it has them */
  if (rn_attach_defer_answer (n, token, &ans, m, ctx))
    return;
  rn_attach_answer (n, m, ctx, &ans, token, now);
}

/* The rest of rn_handle_attach_req(), with the answer's ICE part @ans. */
void
rn_attach_answer (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx,
                  const ReloadAttachReqAns *ans, guint64 token, gint64 now)
{
  const ReloadAttachReqAns *req = m->body;
  rn_send_answer (n, ctx->from_link, m, RELOAD_ATTACH_ANS, (gpointer) ans, now);
  if (chord_id_equal (ctx->origin, n->self))
    {
      rn_release_attach (n, token);
      return;
    }
  ReloadNodeId peer = chord_id_to_node_id (ctx->origin);
  /* the origin is the signer (reload-node.c checks it) */
  if (n->shell.attach_seen)
    n->shell.attach_seen (n->shell_data, &peer, req);
  Conn *c = rn_conn_by_peer (n, ctx->origin);
  if (c != NULL)
    {
      rn_release_attach (n, token);
      if (req->send_update)
        rn_send_update (n, ctx->origin, RELOAD_CHORD_UPDATE_FULL, now);
      return;
    }
  /* §10.8-style: the answerer "SHOULD initiate an Update" once connected */
  if (req->send_update)
    g_hash_table_insert (
        n->attaching, g_memdup2 (&ctx->origin, sizeof (ChordId)),
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (n->attaching, &ctx->origin))
                          | 0x100));
  if (n->shell.connect)
    n->shell.connect (n->shell_data, &peer, req, token);
}

static gboolean
lists_id (const ReloadNodeId *listed, guint n_listed, ChordId id)
{
  for (guint j = 0; j < n_listed; j++)
    if (listed[j].len == 16 && chord_id_equal (chord_id_from_node_id (&listed[j]), id))
      return TRUE;
  return FALSE;
}

/* Whether one of @ours lies strictly between @lo and @hi and is missing
 * from the sender's @listed peers. */
static gboolean
update_misses (const ReloadNodeId *listed, guint n_listed, const ChordId *ours, guint n_ours,
               ChordId lo, ChordId hi)
{
  for (guint i = 0; i < n_ours; i++)
    {
      if (!chord_id_in_open_open (ours[i], lo, hi))
        continue;
      gboolean known = FALSE;
      for (guint j = 0; j < n_listed && !known; j++)
        known = listed[j].len == 16 && chord_id_equal (chord_id_from_node_id (&listed[j]), ours[i]);
      if (!known)
        return TRUE;
    }
  return FALSE;
}

void
rn_handle_update_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadChordUpdate *u = m->body;
  ReloadUpdateAns ans = { 0 };
  rn_send_answer (n, ctx->from_link, m, RELOAD_UPDATE_ANS, &ans, now);
  ChordId from = ctx->origin;
  Conn *c = rn_conn_by_peer (n, from);
  if (c != NULL)
    {
      /* an Update tells that its sender is a peer (§10.7 peer_ready) */
      c->routable = TRUE;
      if (chord_table_add (&n->table, from))
        rn_table_changed (n, now);
    }
  if (n->state == NODE_JOINING && n->have_admitting && chord_id_equal (from, n->admitting_peer))
    {
      n->admitting_update_seen = TRUE;
      rn_maybe_schedule_join (n, now);
    }
  consider_named_peers (n, from, u->predecessors, u->n_predecessors, now);
  consider_named_peers (n, from, u->successors, u->n_successors, now);

  /* Chord's stabilization, in Update form: a sender that takes us for its
   * successor while we know peers between it and us (or for its
   * predecessor while we know peers between us and it) hears of them at
   * once, with our Update, rather than at the next periodic round.  At
   * most once every ten seconds per peer, so that two peers never bounce
   * Updates. */
  if (c != NULL && n->state == NODE_JOINED && now - c->last_correction >= 10000
      && ((lists_id (u->successors, u->n_successors, n->self)
           && update_misses (u->successors, u->n_successors, n->table.pred, n->table.n_pred, from,
                             n->self))
          || (lists_id (u->predecessors, u->n_predecessors, n->self)
              && update_misses (u->predecessors, u->n_predecessors, n->table.succ, n->table.n_succ,
                                n->self, from))))
    {
      c->last_correction = now;
      rn_send_update (n, from, RELOAD_CHORD_UPDATE_NEIGHBORS, now);
    }
  /* RFC 7363 §6.4, §6.5: its uptime and shared estimates */
  rn_self_tuning_received (n, c, m, now);
}

void
rn_handle_join_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadJoinReq *req = m->body;
  ChordId jn = chord_id_from_node_id (&req->joining_peer_id);
  /* A Join from our first predecessor itself: that peer joins again with
   * its Node-ID (it started over: its address changed, or it restarted)
   * before we noticed it had gone.  We are its successor, so we are the
   * admitting peer (§10.5), although our table still makes it
   * responsible for its own Node-ID. */
  gboolean rejoining = n->table.n_pred > 0 && chord_id_equal (n->table.pred[0], jn);
  if (!chord_id_equal (jn, ctx->origin)
      || (!chord_table_is_responsible (&n->table, jn) && !rejoining) || n->state != NODE_JOINED)
    {
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN, "not the admitting peer", now);
      return;
    }
  ReloadJoinAns ans = { 0 };
  rn_send_answer (n, ctx->from_link, m, RELOAD_JOIN_ANS, &ans, now);
  /* a peer that joins again is responsible for what it was: from its own
   * predecessor (our second, or ourselves in a ring of two) */
  ChordId old_start = !rejoining            ? chord_table_range_start (&n->table)
                      : n->table.n_pred > 1 ? n->table.pred[1]
                                            : n->self;
  /* §10.5 step 6: the data the joining node is now responsible for */
  CollectCtx cc = { n, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  reload_storage_foreach (n->storage, collect_resource, &cc);
  for (guint k = 0; k < cc.ids->len; k++)
    {
      GBytes *rid = g_ptr_array_index (cc.ids, k);
      ChordId id = chord_id_from_resource_id (
          (RwBytes){ g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) });
      if (chord_id_in_open_closed (id, old_start, jn))
        rn_send_store_copy (n, jn, rid, 1, now);
    }
  g_ptr_array_unref (cc.ids);
  Conn *c = rn_conn_by_peer (n, jn);
  if (c != NULL)
    {
      c->routable = TRUE;
      chord_table_add (&n->table, jn);
    }
  /* §10.5 steps 7 and 8 */
  rn_update_neighbors (n, now);
  if (!chord_table_is_neighbor (&n->table, jn))
    rn_send_update (n, jn, RELOAD_CHORD_UPDATE_NEIGHBORS, now);
  rn_table_changed (n, now);
}

/* After a loss: every peer this node is connected to as a routing peer is
 * a candidate for the Neighbor Table (§10.7.1); when all successors are
 * gone the nearest fingers stand in, and the Updates exchanged with them
 * lead to the true neighbors, as the Ping search of §10.7.1 would. */
void
rn_refill_neighbors (ReloadNode *n)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, n->links);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      Conn *c = v;
      if (c->routable)
        chord_table_add (&n->table, c->peer);
    }
}

static void
partition_check_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                      const GError *error)
{
  ChordId *via = user_data;
  /* who answered: the signer the security layer verified (an X.509
   * signature names its certificate by hash, §6.3.4.1: not a Node-ID) */
  const ReloadSignerInfo *signer = n->answer_signer;
  if (answer != NULL && answer->message_code == RELOAD_PING_ANS && signer != NULL
      && signer->n_node_ids > 0 && signer->node_ids[0].len == 16)
    {
      /* §10.7.4.4: "If a response is received from peer S', which is not
       * P's successor, then the overlay is partitioned and P SHOULD send an
       * Attach to S' routed through B, followed by an Update sent to S'" (the
       * Update follows when the link is up) */
      ChordId s2 = chord_id_from_node_id (&signer->node_ids[0]);
      gboolean is_successor = n->table.n_succ > 0 && chord_id_equal (n->table.succ[0], s2);
      Conn *c = rn_conn_by_peer (n, s2);
      char b1[33];
      if (!is_successor && !chord_id_equal (s2, n->self) && c == NULL)
        {
          TRACE (n, "partition: %s answers for our id", rn_short_id (s2, b1));
          send_attach (n, s2, FALSE, via, PURPOSE_NEIGHBOR, FALSE, n->now);
        }
      else if (!is_successor && !chord_id_equal (s2, n->self) && !c->routable)
        {
          /* S' is linked already but in the other partition: B itself, or
           * a peer whose own check came through us.  No Attach is needed
           * for the link; the Update follows at once, and S' takes us into
           * its table as we take it into ours (rn_handle_update_req). */
          TRACE (n, "partition: %s (linked) answers for our id", rn_short_id (s2, b1));
          c->routable = TRUE;
          gboolean changed = chord_table_add (&n->table, s2);
          rn_send_update (n, s2, RELOAD_CHORD_UPDATE_FULL, n->now);
          if (changed)
            rn_table_changed (n, n->now);
        }
    }
  g_free (via);
}

void
reload_node_check_partition (ReloadNode *n, guint64 bootstrap_link, const ReloadNodeId *bootstrap,
                             gint64 now)
{
  rn_enter (n, now);
  if (n->state != NODE_JOINED)
    return;
  reload_node_link_up (n, bootstrap_link, bootstrap, now);
  ChordId b = chord_id_from_node_id (bootstrap);
  if (rn_conn_by_peer (n, b) == NULL)
    return;
  /* §10.7.4.4: "P SHOULD then send a Ping for its own Node-ID routed
   * through B" */
  guint8 rid[16];
  chord_id_to_bytes (n->self, rid);
  ReloadDestination d[2] = { { 0 } };
  d[0] = rn_dest_node (b);
  d[1].type = RELOAD_DESTINATION_RESOURCE;
  d[1].resource_id = (RwBytes){ rid, 16 };
  ReloadPingReq ping = { 0 };
  rn_send_request (n, d, 2, RELOAD_PING_REQ, &ping, partition_check_done, g_memdup2 (&b, sizeof b),
                   TRUE, 0, now);
}

void
rn_handle_leave_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadLeaveReq *req = m->body;
  ReloadLeaveAns ans = { 0 };
  rn_send_answer (n, ctx->from_link, m, RELOAD_LEAVE_ANS, &ans, now);
  ChordId leaving = chord_id_from_node_id (&req->leaving_peer_id);
  if (!chord_id_equal (leaving, ctx->origin))
    return;
  Conn *c = rn_conn_by_peer (n, leaving);
  if (c != NULL)
    c->routable = FALSE;
  if (chord_table_remove (&n->table, leaving))
    {
      rn_refill_neighbors (n);
      rn_table_changed (n, now);
    }
  if (req->has_chord_leave_data)
    {
      const ReloadChordLeaveData *l = &req->chord_leave_data;
      /* the leaving peer's neighbors replace it (§10.9); attach directly,
       * routed through the overlay since it is going away */
      for (guint i = 0; i < l->n_successors + l->n_predecessors; i++)
        {
          const ReloadNodeId *id =
              i < l->n_successors ? &l->successors[i] : &l->predecessors[i - l->n_successors];
          ChordId p = chord_id_from_node_id (id);
          if (!chord_id_equal (p, n->self) && rn_conn_by_peer (n, p) == NULL
              && chord_table_wants_neighbor (&n->table, p))
            send_attach (n, p, FALSE, NULL, PURPOSE_NEIGHBOR, FALSE, now);
        }
    }
}

void
reload_node_start (ReloadNode *n, guint64 bootstrap_link, const ReloadNodeId *bootstrap, gint64 now)
{
  rn_enter (n, now);
  n->started_ms = now;
  rn_timer_push (n, now + 1000, TIMER_HOUSEKEEPING, 0);
  rn_turn_start (n, now);
  if (bootstrap_link == 0)
    {
      /* the first peer: a ring of one, responsible for everything */
      n->state = NODE_JOINED;
      n->replicated_range_start = n->self;
      rn_schedule (n, &n->next_stabilize, now + (gint64) n->cfg.chord_update_interval_s * 1000,
                   TIMER_STABILIZE);
      rn_schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                   TIMER_FINGERS);
      if (n->shell.joined)
        n->shell.joined (n->shell_data);
      rn_store_certificates (n, now);
      rn_turn_joined (n, now); /* §9 */
      return;
    }
  n->state = n->cfg.client_mode ? NODE_CLIENT : NODE_JOINING;
  reload_node_link_up (n, bootstrap_link, bootstrap, now);
  Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (bootstrap_link));
  if (c != NULL)
    {
      c->routable = TRUE;
      chord_table_add (&n->table, c->peer);
    }
  if (n->state == NODE_CLIENT)
    {
      /* everything goes through the peer: its table is that peer alone */
      if (n->shell.joined)
        n->shell.joined (n->shell_data);
      return;
    }
  /* §10.5 step 2: Attach to the admitting peer through Resource-ID n+1,
   * asking for its routing table */
  send_attach (n, chord_id_add (n->self, (ChordId){ 0, 1 }), TRUE, NULL, PURPOSE_ADMITTING, TRUE,
               now);
  rn_schedule (n, &n->join_at, now + JOIN_RETRY_MS, TIMER_JOIN);
}

static void
join_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  if (error != NULL && n->state == NODE_JOINING)
    {
      /* try again: the admitting peer may have changed (another node
       * joined between us and it) */
      n->have_admitting = FALSE;
      n->admitting_update_seen = FALSE;
      send_attach (n, chord_id_add (n->self, (ChordId){ 0, 1 }), TRUE, NULL, PURPOSE_ADMITTING,
                   TRUE, n->now);
    }
}

void
rn_send_join (ReloadNode *n, gint64 now)
{
  if (n->state != NODE_JOINING)
    return;
  if (!n->have_admitting || rn_conn_by_peer (n, n->admitting_peer) == NULL)
    {
      /* no admitting peer yet (its Attach was lost or refused): ask again */
      n->have_admitting = FALSE;
      send_attach (n, chord_id_add (n->self, (ChordId){ 0, 1 }), TRUE, NULL, PURPOSE_ADMITTING,
                   TRUE, now);
      rn_schedule (n, &n->join_at, now + JOIN_RETRY_MS, TIMER_JOIN);
      return;
    }
  /* and a watchdog, should the Join itself get lost */
  rn_schedule (n, &n->join_at,
               now + JOIN_RETRY_MS
                   + (gint64) n->cfg.overlay_reliability_timer_ms * MAX_TRANSMISSIONS,
               TIMER_JOIN);
  /* §10.5 step 3: fingers too (they join the table as they come up) */
  rn_search_fingers (n, TRUE, now);
  ReloadJoinReq j = { 0 };
  j.joining_peer_id = n->node_id;
  ReloadDestination d = rn_dest_node (n->admitting_peer);
  rn_send_request (n, &d, 1, RELOAD_JOIN_REQ, &j, join_done, NULL, TRUE, 0, now);
}

void
reload_node_leave (ReloadNode *n, gint64 now)
{
  rn_enter (n, now);
  if (n->state != NODE_JOINED)
    return;
  /* §10.9: a Leave to every neighbor, with our successors for the
   * predecessors and our predecessors for the successors */
  ReloadNodeId succs[CHORD_MAX_NEIGHBORS], preds[CHORD_MAX_NEIGHBORS];
  for (guint i = 0; i < n->table.n_succ; i++)
    succs[i] = chord_id_to_node_id (n->table.succ[i]);
  for (guint i = 0; i < n->table.n_pred; i++)
    preds[i] = chord_id_to_node_id (n->table.pred[i]);
  for (guint i = 0; i < n->table.n_pred; i++)
    {
      ReloadLeaveReq l = { 0 };
      l.leaving_peer_id = n->node_id;
      l.has_chord_leave_data = TRUE;
      l.chord_leave_data.type = RELOAD_CHORD_LEAVE_FROM_SUCC;
      l.chord_leave_data.successors = succs;
      l.chord_leave_data.n_successors = n->table.n_succ;
      ReloadDestination d = rn_dest_node (n->table.pred[i]);
      rn_send_request (n, &d, 1, RELOAD_LEAVE_REQ, &l, NULL, NULL, TRUE, 0, now);
    }
  for (guint i = 0; i < n->table.n_succ; i++)
    {
      ReloadLeaveReq l = { 0 };
      l.leaving_peer_id = n->node_id;
      l.has_chord_leave_data = TRUE;
      l.chord_leave_data.type = RELOAD_CHORD_LEAVE_FROM_PRED;
      l.chord_leave_data.predecessors = preds;
      l.chord_leave_data.n_predecessors = n->table.n_pred;
      ReloadDestination d = rn_dest_node (n->table.succ[i]);
      rn_send_request (n, &d, 1, RELOAD_LEAVE_REQ, &l, NULL, NULL, TRUE, 0, now);
    }
  n->state = NODE_IDLE;
}

static void
certificate_stored (gpointer user_data, ReloadNode *n, const ReloadMessage *answer,
                    const GError *error)
{
  if (error != NULL)
    TRACE (n, "storing our certificate failed: %s", error->message);
}

/* Stores @der under @kind at @resource_name's Resource-ID (§8). */
static void
store_certificate (ReloadNode *n, guint32 kind, const void *resource_name, gsize name_len,
                   guint32 index, GBytes *der, gint64 now)
{
  guint8 rid[16];
  chord_id_to_bytes (chord_id_hash (resource_name, name_len), rid);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadStoredData *sd = rw_arena_alloc0 (arena, sizeof *sd);
  sd->storage_time = (guint64) now;
  /* as long as a certificate may live; refreshed at every join */
  sd->lifetime = 30 * 24 * 3600;
  sd->value.index = index;
  sd->value.value.exists = TRUE;
  gsize len;
  const guint8 *data = g_bytes_get_data (der, &len);
  /* a certificate kind's value is typed in the codec (§8: the DER) */
  sd->value.value.typed.certificate = (RwBytes){ data, len };
  sd->value.value.value = (RwBytes){ data, len };
  reload_node_sign_stored_data (n, (RwBytes){ rid, 16 }, kind, sd, arena);
  ReloadStoreKindData kd = { 0 };
  kd.kind = kind;
  kd.values = sd;
  kd.n_values = 1;
  ReloadStoreReq req = { 0 };
  req.resource = (RwBytes){ rid, 16 };
  req.kind_data = &kd;
  req.n_kind_data = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };
  rn_send_request (n, &d, 1, RELOAD_STORE_REQ, &req, certificate_stored, NULL, TRUE, 0, now);
}

/* §8 (Certificate Store Usage): a joined peer stores its certificate at
 * H(its Node-ID) (CERTIFICATE_BY_NODE, NODE-MATCH) and H(its user name)
 * (CERTIFICATE_BY_USER, USER-MATCH, appended: a user may have several
 * devices), so that others can verify what it signed before they have
 * seen its certificate in a message. */
void
rn_store_certificates (ReloadNode *n, gint64 now)
{
  if (n->cfg.security->certificate == NULL || n->state != NODE_JOINED)
    return;
  g_autoptr (GBytes) der = n->cfg.security->certificate (n->cfg.security_data);
  if (der == NULL)
    return;
  store_certificate (n, RELOAD_KIND_CERTIFICATE_BY_NODE, n->node_id.id, n->node_id.len, 0, der,
                     now);
  store_certificate (n, RELOAD_KIND_CERTIFICATE_BY_USER, n->user_name, strlen (n->user_name),
                     0xffffffffu, der, now);
}
