/* reload-node-requests.c: what a node answers (RFC 6940 §6.4, §6.5, §7.4)
 * and what it does with answers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"
#include "reload-diagnostics.h"

static gboolean stored_data_signature_input (ReloadNode *n, RwBytes resource_id, guint32 kind,
                                             const ReloadStoredData *data, GByteArray *input);
static gboolean verify_stored_data (gpointer user_data, RwBytes resource_id, guint32 kind,
                                    const ReloadStoredData *data, ReloadSignerInfo *out_signer);
static void handle_storage (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now);

/* §7.1: a stored value's signature covers
 * resource_id || kind || storage_time || StoredDataValue || SignerIdentity */
static gboolean
stored_data_signature_input (ReloadNode *n, RwBytes resource_id, guint32 kind,
                             const ReloadStoredData *data, GByteArray *input)
{
  g_byte_array_append (input, resource_id.data, (guint) resource_id.len);
  guint32 k = GUINT32_TO_BE (kind);
  g_byte_array_append (input, (const guint8 *) &k, 4);
  guint64 st = GUINT64_TO_BE (data->storage_time);
  g_byte_array_append (input, (const guint8 *) &st, 8);
  /* §7.4.2.2: "the index value in the array is set to zero before the
   * signature is computed", so that an appended value (index 0xffffffff)
   * still verifies once it has its place */
  ReloadStoredDataValue value = data->value;
  if (reload_kind_data_model (&n->wire, kind) == RELOAD_DATA_MODEL_ARRAY)
    value.index = 0;
  RwCodec *c = rw_codec_new_encoder (input, &n->wire);
  rw_object_begin (c, NULL);
  reload_stored_data_value (c, NULL, kind, &value);
  reload_signer_identity (c, NULL, (ReloadSignerIdentity *) &data->signature.identity);
  rw_object_end (c);
  return rw_codec_finish (c, NULL);
}

static gboolean
verify_stored_data (gpointer user_data, RwBytes resource_id, guint32 kind,
                    const ReloadStoredData *data, ReloadSignerInfo *out_signer)
{
  ReloadNode *n = user_data;
  g_autoptr (GByteArray) input = g_byte_array_new ();
  if (!stored_data_signature_input (n, resource_id, kind, data, input))
    return FALSE;
  gboolean ok =
      n->cfg.security->verify (n->cfg.security_data, input->data, input->len, &data->signature,
                               n->msg_certs, n->n_msg_certs, n->scratch, out_signer);
  if (!ok)
    TRACE (n, "stored data of kind %u: signature does not verify (%u certificates in the bucket)",
           kind, n->n_msg_certs);
  return ok;
}

gboolean
rn_verify_stored_data (ReloadNode *n, RwBytes resource_id, guint32 kind,
                       const ReloadStoredData *data, const ReloadGenericCertificate *certs,
                       guint n_certs, ReloadSignerInfo *signer)
{
  n->msg_certs = certs;
  n->n_msg_certs = n_certs;
  gboolean ok = verify_stored_data (n, resource_id, kind, data, signer);
  n->msg_certs = NULL;
  n->n_msg_certs = 0;
  return ok;
}

void
reload_node_sign_stored_data (ReloadNode *n, RwBytes resource_id, guint32 kind,
                              ReloadStoredData *data, RwArena *arena)
{
  reload_node_sign_stored_data_as (n, n->cfg.security, n->cfg.security_data, resource_id, kind,
                                   data, arena);
}

void
reload_node_sign_stored_data_as (ReloadNode *n, const ReloadSecurityOps *ops, gpointer ops_data,
                                 RwBytes resource_id, guint32 kind, ReloadStoredData *data,
                                 RwArena *arena)
{
  /* the identity is signed too: learn it first */
  ReloadSignature probe = { 0 };
  ops->sign (ops_data, (const guint8 *) "", 0, arena, &probe);
  data->signature.identity = probe.identity;
  g_autoptr (GByteArray) input = g_byte_array_new ();
  stored_data_signature_input (n, resource_id, kind, data, input);
  ops->sign (ops_data, input->data, input->len, arena, &data->signature);
}

static void
handle_storage (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadErrorResponse err = { 0 };
  ReloadStorageStatus st;
  gpointer ans = NULL;
  guint16 code = m->message_code + 1;
  ChordId lo = chord_table_range_start (&n->table);

  switch (m->message_code)
    {
    case RELOAD_STORE_REQ:
      {
        const ReloadStoreReq *req = m->body;
        if (req->replica_number > 0
            && !rn_expects_replica (n, chord_id_from_resource_id (req->resource), ctx->origin))
          {
            char b1[33], b2[33];
            TRACE (n, "replica Store of %s from %s refused: not in its replica set (§7.4.1)",
                   rn_short_id (chord_id_from_resource_id (req->resource), b1),
                   rn_short_id (ctx->origin, b2));
            rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN,
                           "not in the replica set of this resource", now);
            return;
          }
        ReloadStoreAns *a = rw_arena_alloc0 (arena, sizeof *a);
        /* the stored values' signers' certificates came in the bucket */
        n->msg_certs = m->security_block.certificates;
        n->n_msg_certs = m->security_block.n_certificates;
        st = reload_storage_store (n->storage, req, &ctx->signer, verify_stored_data, n, now, arena,
                                   a, &err);
        n->msg_certs = NULL;
        n->n_msg_certs = 0;
        ans = a;
        if (st == RELOAD_STORAGE_OK && req->replica_number == 0)
          {
            /* §10.4: the responsible peer stores a copy on its next two
             * successors and names them in the answer */
            guint nr = MIN (n->table.n_succ, N_REPLICAS);
            ReloadNodeId *reps = rw_arena_alloc0 (arena, (nr + 1) * sizeof (ReloadNodeId));
            for (guint i = 0; i < nr; i++)
              reps[i] = chord_id_to_node_id (n->table.succ[i]);
            for (guint k = 0; k < a->n_kind_responses; k++)
              {
                a->kind_responses[k].replicas = reps;
                a->kind_responses[k].n_replicas = nr;
              }
            g_autoptr (GBytes) rid = g_bytes_new (req->resource.data, req->resource.len);
            for (guint i = 0; i < nr; i++)
              rn_send_store_copy (n, n->table.succ[i], rid, (guint8) (i + 1), now);
          }
      }
      break;
    case RELOAD_FETCH_REQ:
      ans = rw_arena_alloc0 (arena, sizeof (ReloadFetchAns));
      st = reload_storage_fetch (n->storage, m->body, now, arena, ans, &err);
      break;
    case RELOAD_STAT_REQ:
      ans = rw_arena_alloc0 (arena, sizeof (ReloadStatAns));
      st = reload_storage_stat (n->storage, m->body, now, arena, ans, &err);
      break;
    case RELOAD_FIND_REQ:
      ans = rw_arena_alloc0 (arena, sizeof (ReloadFindAns));
      st = reload_storage_find (n->storage, m->body, lo, n->self, now, arena, ans, &err);
      break;
    default:
      return;
    }
  if (st == RELOAD_STORAGE_OK)
    rn_send_answer (n, ctx->from_link, m, code, ans, now);
  else
    rn_send_answer (n, ctx->from_link, m, RELOAD_ERROR, &err, now);
}

/* RFC 7851 §4.3, §6.3: PathTrack.  The answer names the next hop this
 * node would forward a message for the destination to (itself when it is
 * responsible or is the destination), with the diagnostics asked for that
 * it can give (§5.3); the initiator walks the path hop by hop. */
static void
handle_path_track (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadPathTrackReq *q = m->body;
  /* §6.3: a request past its expiration gets Error_Message_Expired */
  if (q->request.expiration != 0 && q->request.expiration < (guint64) now)
    {
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_MESSAGE_EXPIRED,
                     "diagnostics request expired", now);
      return;
    }
  ChordId target = q->destination.type == RELOAD_DESTINATION_RESOURCE
                       ? chord_id_from_resource_id (q->destination.resource_id)
                       : chord_id_from_node_id (&q->destination.node_id);
  ChordId next = n->self;
  if (!chord_id_equal (target, n->self) && !chord_table_is_responsible (&n->table, target))
    chord_table_next_hop (&n->table, target, &next);
  ReloadPathTrackAns a = { 0 };
  a.next_hop.type = RELOAD_DESTINATION_NODE;
  a.next_hop.node_id = chord_id_to_node_id (next);
  a.response.expiration = q->request.expiration;
  a.response.timestamp_initiated = q->request.timestamp_initiated;
  a.response.timestamp_received = (guint64) now;
  a.response.hop_counter = (guint8) MIN (m->header.n_via_list, 255u);
  ReloadDiagnosticInfo info[4];
  memset (info, 0, sizeof info);
  guint ni = 0;
  guint64 flags = q->request.dm_flags;
  if (flags & RELOAD_DM_FLAG (RELOAD_DIAG_ROUTING_TABLE_SIZE))
    {
      ChordId peers[CHORD_MAX_NEIGHBORS * 2 + CHORD_MAX_FINGERS];
      info[ni].kind = RELOAD_DIAG_ROUTING_TABLE_SIZE;
      info[ni++].routing_table_size = chord_table_peers (&n->table, peers, G_N_ELEMENTS (peers));
    }
  if (flags & RELOAD_DM_FLAG (RELOAD_DIAG_SOFTWARE_VERSION))
    {
      static const char version[] = "chorus";
      info[ni].kind = RELOAD_DIAG_SOFTWARE_VERSION;
      info[ni++].software_version = (RwBytes){ (const guint8 *) version, sizeof version - 1 };
    }
  if (flags & RELOAD_DM_FLAG (RELOAD_DIAG_APP_UPTIME))
    {
      info[ni].kind = RELOAD_DIAG_APP_UPTIME;
      info[ni++].app_uptime = (guint64) MAX (0, (now - n->started_ms) / 1000);
    }
  a.response.diagnostic_info_list = info;
  a.response.n_diagnostic_info_list = ni;
  rn_send_answer (n, ctx->from_link, m, RELOAD_PATH_TRACK_ANS, &a, now);
}

void
rn_handle_request (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  char b1[33];
  TRACE (n, "request %s %016" G_GINT64_MODIFIER "x from %s",
         rw_enum_name (reload_message_code_names, m->message_code), m->header.transaction_id,
         rn_short_id (ctx->origin, b1));
  if (n->state == NODE_CLIENT)
    switch (m->message_code)
      {
      case RELOAD_STORE_REQ:
      case RELOAD_FETCH_REQ:
      case RELOAD_STAT_REQ:
      case RELOAD_FIND_REQ:
      case RELOAD_JOIN_REQ:
      case RELOAD_UPDATE_REQ:
      case RELOAD_LEAVE_REQ:
      case RELOAD_ROUTE_QUERY_REQ:
        /* §3.2.1: a client stores nothing and routes nothing */
        rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN, "this node is a client", now);
        return;
      default:
        break;
      }
  switch (m->message_code)
    {
    case RELOAD_PING_REQ:
      {
        ReloadPingAns a = { rn_random_u64 (n), (guint64) now };
        rn_send_answer (n, ctx->from_link, m, RELOAD_PING_ANS, &a, now);
      }
      break;
    case RELOAD_ROUTE_QUERY_REQ:
      {
        /* §10.8: the next peer this node would rn_route the request to */
        const ReloadRouteQueryReq *q = m->body;
        ChordId target = q->destination.type == RELOAD_DESTINATION_RESOURCE
                             ? chord_id_from_resource_id (q->destination.resource_id)
                             : chord_id_from_node_id (&q->destination.node_id);
        ChordId next = n->self;
        if (!chord_table_is_responsible (&n->table, target))
          chord_table_next_hop (&n->table, target, &next);
        ReloadRouteQueryAns a = { chord_id_to_node_id (next) };
        rn_send_answer (n, ctx->from_link, m, RELOAD_ROUTE_QUERY_ANS, &a, now);
        if (q->send_update && !chord_id_equal (ctx->origin, n->self))
          rn_send_update (n, ctx->origin, RELOAD_CHORD_UPDATE_FULL, now);
      }
      break;
    case RELOAD_PROBE_REQ:
      {
        /* RFC 7363 §6.5: a Probe request carries its sender's estimates too */
        rn_self_tuning_received (n, rn_conn_by_peer (n, ctx->origin), m, now);
        const ReloadProbeReq *q = m->body;
        ReloadProbeAns a = { 0 };
        ReloadProbeInformation info[8];
        for (guint i = 0; i < q->n_requested_info && a.n_probe_info < G_N_ELEMENTS (info); i++)
          {
            ReloadProbeInformation *p = &info[a.n_probe_info];
            memset (p, 0, sizeof *p);
            p->type = q->requested_info[i];
            switch (p->type)
              {
              case RELOAD_PROBE_INFO_RESPONSIBLE_SET:
                {
                  /* §6.4.2.5.2: parts per billion of the id space */
                  ChordId span = chord_id_distance (chord_table_range_start (&n->table), n->self);
                  double frac = n->table.n_pred == 0 ? 1.0 : ldexp ((double) span.hi, -64);
                  p->value = (guint32) MIN (frac * 1e9, 1e9);
                }
                break;
              case RELOAD_PROBE_INFO_NUM_RESOURCES:
                p->value = reload_storage_n_resources (n->storage);
                break;
              case RELOAD_PROBE_INFO_UPTIME:
                p->value = (guint32) ((now - n->started_ms) / 1000);
                break;
              default:
                continue; /* unknown types are not answered */
              }
            a.n_probe_info++;
          }
        a.probe_info = info;
        rn_send_answer (n, ctx->from_link, m, RELOAD_PROBE_ANS, &a, now);
      }
      break;
    case RELOAD_PATH_TRACK_REQ:
      handle_path_track (n, m, ctx, now);
      break;
    case RELOAD_ATTACH_REQ:
      rn_handle_attach_req (n, m, ctx, now);
      break;
    case RELOAD_APP_ATTACH_REQ:
      rn_handle_app_attach_req (n, m, ctx, now); /* reload-node-app-attach.c */
      break;
    case RELOAD_UPDATE_REQ:
      rn_handle_update_req (n, m, ctx, now);
      break;
    case RELOAD_JOIN_REQ:
      rn_handle_join_req (n, m, ctx, now);
      break;
    case RELOAD_LEAVE_REQ:
      rn_handle_leave_req (n, m, ctx, now);
      break;
    case RELOAD_STORE_REQ:
    case RELOAD_FETCH_REQ:
    case RELOAD_STAT_REQ:
    case RELOAD_FIND_REQ:
      handle_storage (n, m, ctx, now);
      break;
    case RELOAD_CONFIG_UPDATE_REQ:
      rn_handle_config_update_req (n, m, ctx, now); /* reload-node-config.c */
      break;
    default:
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_INVALID_MESSAGE, "method not supported",
                     now);
      break;
    }
}

void
rn_handle_answer (ReloadNode *n, const ReloadMessage *m, const ReloadSignerInfo *signer, gint64 now)
{
  guint64 tid = m->header.transaction_id;
  Txn *t = g_hash_table_lookup (n->txns, &tid);
  TRACE (n, "answer %s %016" G_GINT64_MODIFIER "x%s",
         rw_enum_name (reload_message_code_names, m->message_code), tid,
         t ? "" : " (no transaction)");
  if (t == NULL)
    return; /* a duplicate, or too late */
  if (m->message_code != RELOAD_ERROR && t->final_is_node && !rn_signer_has (signer, t->final_node))
    {
      /* §6.3.4 check 1; error responses may come from a peer on the way
       * (Error_TTL_Exceeded), answers may not */
      TRACE (n, "answer not signed by the Node-ID asked");
      n->counters.dropped++;
      return;
    }
  if (m->message_code == RELOAD_ERROR)
    {
      const ReloadErrorResponse *e = m->body;
      const char *name = rw_enum_name (reload_error_code_names, e->error_code);
      g_autoptr (GError) error = g_error_new (RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_RESPONSE, "%s",
                                              name ? name : "error response");
      TRACE (n, "error %s: %.*s", name ? name : "?", (int) e->error_info.len,
             (const char *) e->error_info.data);
      /* §6.5.4: "Whenever a node detects that another node has old
       * configuration data, it MUST generate a ConfigUpdate request": the
       * destination's Error_Config_Too_New says it has */
      if (e->error_code == RELOAD_ERROR_CONFIG_TOO_NEW && signer->n_node_ids > 0
          && signer->node_ids[0].len >= 16)
        rn_config_push (n, chord_id_from_node_id (&signer->node_ids[0]), now);
      rn_txn_finish (n, t, m, error);
      return;
    }
  if (m->message_code != t->code + 1)
    return;
  if (m->message_code == RELOAD_ATTACH_ANS && signer->n_node_ids > 0)
    {
      /* §6.5.1: connect to the answerer with its candidates */
      ChordId peer = chord_id_from_node_id (&signer->node_ids[0]);
      const ReloadAttachReqAns *a = m->body;
      if (chord_id_equal (peer, n->self))
        rn_release_attach (n, t->attach_token);
      else if (t->purpose == PURPOSE_CANDIDATES)
        {
          /* reload_node_attach_candidates(): the candidates are all it
           * asked for; the link exists */
          rn_release_attach (n, t->attach_token);
          if (n->shell.attach_seen)
            n->shell.attach_seen (n->shell_data, &signer->node_ids[0], a);
        }
      else
        {
          AttachPurpose p = GPOINTER_TO_UINT (g_hash_table_lookup (n->attaching, &peer));
          g_hash_table_insert (n->attaching, g_memdup2 (&peer, sizeof peer),
                               GUINT_TO_POINTER (p | t->purpose | PURPOSE_NEIGHBOR));
          if (t->purpose & PURPOSE_ADMITTING)
            {
              n->admitting_peer = peer;
              n->have_admitting = TRUE;
            }
          if (n->shell.attach_seen)
            n->shell.attach_seen (n->shell_data, &signer->node_ids[0], a);
          Conn *c = rn_conn_by_peer (n, peer);
          if (c != NULL)
            {
              rn_release_attach (n, t->attach_token);
              reload_node_link_up (n, c->link, &signer->node_ids[0], now);
            }
          else if (n->shell.connect)
            n->shell.connect (n->shell_data, &signer->node_ids[0], a, t->attach_token);
          rn_maybe_schedule_join (n, now);
        }
    }
  if (m->message_code == RELOAD_JOIN_ANS && n->state == NODE_JOINING)
    {
      n->state = NODE_JOINED;
      n->replicated_range_start = chord_table_range_start (&n->table);
      /* §10.5 step 9 */
      rn_update_neighbors (n, now);
      rn_schedule (
          n, &n->next_stabilize,
          now + g_rand_int_range (n->rand, 1, (gint32) n->cfg.chord_update_interval_s * 1000),
          TIMER_STABILIZE);
      rn_schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                   TIMER_FINGERS);
      if (n->shell.joined)
        n->shell.joined (n->shell_data);
      rn_store_certificates (n, now);
      rn_turn_joined (n, now); /* §9 */
    }
  n->answer_signer = signer;
  rn_txn_finish (n, t, m, NULL);
  n->answer_signer = NULL;
}

const ReloadSignerInfo *
reload_node_answer_signer (const ReloadNode *n)
{
  return n->answer_signer;
}
