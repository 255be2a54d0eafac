/* reload-node-config.c: configuration updates in the node (RFC 6940
 * §6.3.2.1, §6.5.4, §11.1).
 *
 * What the node does on its own: it sends its Configuration Document in a
 * ConfigUpdate to a node it sees with an older configuration sequence
 * (§6.5.4: "Whenever a node detects that another node has old
 * configuration data, it MUST generate a ConfigUpdate request"): to a
 * neighbour whose own request carried an older sequence, to the origin of
 * a request it answers with Error_Config_Too_Old (§6.3.2.1: "the node MUST
 * generate a ConfigUpdate message to update the requesting node"), and to
 * every connected node not known to hold it when it takes a new document.
 * What it leaves to its shell: judging a document it receives (parsing,
 * signatures, the configuration held), through the config_update callback
 * (reload-node.h); the shell applies a document it accepts with
 * reload_node_reconfigure().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* A node the document was sent to. */
typedef struct
{
  ChordId peer;
  guint16 sequence; /* of the document sent */
  gint64 sent_at;
  gboolean in_flight;
  gboolean taken; /* answered ConfigUpdateAns or Error_Config_Too_Old */
} ConfigPush;

/* what a ConfigUpdate request's completion needs */
typedef struct
{
  ChordId peer;
  guint16 sequence;
} PushCtx;

static guint
push_hash (gconstpointer p)
{
  const ChordId *id = p;
  return (guint) (id->lo ^ (id->lo >> 32) ^ id->hi);
}

static gboolean
push_equal (gconstpointer a, gconstpointer b)
{
  return chord_id_equal (*(const ChordId *) a, *(const ChordId *) b);
}

int
reload_configuration_sequence_compare (guint16 a, guint16 b)
{
  /* the 65535 numbers 0..65534 on a circle; 65535 counts as 0 */
  guint d = ((guint) (a % 65535u) + 65535u - (guint) (b % 65535u)) % 65535u;
  if (d == 0)
    return 0;
  return d <= 32767 ? 1 : -1;
}

guint16
reload_node_get_configuration_sequence (const ReloadNode *n)
{
  return n->cfg.configuration_sequence;
}

gsize
rn_largest_message (const ReloadNode *n)
{
  return MAX (n->cfg.max_message_size, RELOAD_NODE_CONFIG_UPDATE_MAX_MESSAGE_SIZE);
}

const RwOptions *
rn_wire_for (ReloadNode *n, guint16 code)
{
  return code == RELOAD_CONFIG_UPDATE_REQ ? &n->wire_config_update : &n->wire;
}

void
rn_config_init (ReloadNode *n)
{
  n->config_document = n->cfg.config_document ? g_bytes_ref (n->cfg.config_document) : NULL;
  n->cfg.config_document = n->config_document;
  n->config_pushes = g_hash_table_new_full (push_hash, push_equal, NULL, g_free);
  n->wire_config_update = n->wire;
  n->wire_config_update.max_message_size = rn_largest_message (n);
  n->config_push_at = G_MAXINT64;
}

void
rn_config_clear (ReloadNode *n)
{
  g_clear_pointer (&n->config_pushes, g_hash_table_destroy);
  g_clear_pointer (&n->config_document, g_bytes_unref);
  n->cfg.config_document = NULL;
}

static gboolean
push_stale (gpointer key, gpointer value, gpointer user_data)
{
  const ConfigPush *p = value;
  return !p->in_flight && p->sent_at + CONFIG_PUSH_RETRY_MS <= *(const gint64 *) user_data;
}

static void
push_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  PushCtx *ctx = user_data;
  if (error != NULL && error->domain == RELOAD_NODE_ERROR
      && error->code == RELOAD_NODE_ERROR_CANCELLED)
    {
      g_free (ctx); /* the node is going */
      return;
    }
  ConfigPush *p = g_hash_table_lookup (n->config_pushes, &ctx->peer);
  /* §6.5.4.2: ConfigUpdateAns, it took the document; Error_Config_Too_Old,
   * it holds this sequence or a newer one already */
  gboolean taken = answer != NULL
                   && (answer->message_code == RELOAD_CONFIG_UPDATE_ANS
                       || (answer->message_code == RELOAD_ERROR
                           && ((const ReloadErrorResponse *) answer->body)->error_code
                                  == RELOAD_ERROR_CONFIG_TOO_OLD));
  if (p != NULL && p->sequence == ctx->sequence)
    {
      p->in_flight = FALSE;
      p->taken = taken;
    }
  char hex[33];
  if (taken)
    {
      Conn *c = rn_conn_by_peer (n, ctx->peer);
      if (c != NULL
          && (!c->config_seq_known
              || reload_configuration_sequence_compare (c->config_seq, ctx->sequence) < 0))
        {
          c->config_seq_known = TRUE;
          c->config_seq = ctx->sequence;
        }
      TRACE (n, "configuration %u taken by %s", ctx->sequence, rn_short_id (ctx->peer, hex));
    }
  else
    {
      const char *why = error != NULL ? error->message : "unexpected answer";
      TRACE (n, "configuration %u refused by %s: %s", ctx->sequence, rn_short_id (ctx->peer, hex),
             why);
      g_log_structured ("chorus-node", G_LOG_LEVEL_DEBUG, "MESSAGE",
                        "ConfigUpdate (sequence %u) to %s: %s", ctx->sequence,
                        chord_id_to_hex (ctx->peer, hex), why);
    }
  g_free (ctx);
}

void
rn_config_push (ReloadNode *n, ChordId peer, gint64 now)
{
  if (n->config_document == NULL || chord_id_equal (peer, n->self))
    return;
  guint16 seq = n->cfg.configuration_sequence;
  ConfigPush *p = g_hash_table_lookup (n->config_pushes, &peer);
  if (p != NULL && p->sequence == seq
      && (p->taken || p->in_flight || now - p->sent_at < CONFIG_PUSH_RETRY_MS))
    return;
  if (p == NULL)
    {
      if (g_hash_table_size (n->config_pushes) >= CONFIG_PUSH_MAX_PEERS)
        g_hash_table_foreach_remove (n->config_pushes, push_stale, &now);
      if (g_hash_table_size (n->config_pushes) >= CONFIG_PUSH_MAX_PEERS)
        return;
      p = g_new0 (ConfigPush, 1);
      p->peer = peer;
      g_hash_table_insert (n->config_pushes, &p->peer, p);
    }
  p->sequence = seq;
  p->sent_at = now;
  p->in_flight = TRUE;
  p->taken = FALSE;
  /* §6.5.4.1: type config, the document's bytes as they are (its
   * signature covers them exactly, §11.1) */
  ReloadConfigUpdateReq req = { 0 };
  req.type = RELOAD_CONFIG_UPDATE_CONFIG;
  req.config_data = (RwBytes){ g_bytes_get_data (n->config_document, NULL),
                               g_bytes_get_size (n->config_document) };
  PushCtx *ctx = g_new (PushCtx, 1);
  ctx->peer = peer;
  ctx->sequence = seq;
  char hex[33];
  TRACE (n, "ConfigUpdate (sequence %u) to %s", seq, rn_short_id (peer, hex));
  ReloadDestination d = rn_dest_node (peer);
  if (rn_send_request (n, &d, 1, RELOAD_CONFIG_UPDATE_REQ, &req, push_done, ctx, TRUE, 0, now) == 0)
    {
      /* it could not be sealed (larger than the ConfigUpdate bound) */
      p->in_flight = FALSE;
      g_free (ctx);
    }
}

void
rn_config_observe (ReloadNode *n, Conn *c, guint16 sequence, gint64 now)
{
  if (sequence == CONFIG_SEQUENCE_WILDCARD)
    return;
  c->config_seq_known = TRUE;
  c->config_seq = sequence;
  if (reload_configuration_sequence_compare (sequence, n->cfg.configuration_sequence) < 0)
    rn_config_push (n, c->peer, now);
}

void
rn_config_push_links (ReloadNode *n, gint64 now)
{
  GHashTableIter it;
  gpointer value;
  /* rn_config_push() does not change the links */
  g_hash_table_iter_init (&it, n->links);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Conn *c = value;
      if (!c->config_seq_known
          || reload_configuration_sequence_compare (c->config_seq, n->cfg.configuration_sequence)
                 < 0)
        rn_config_push (n, c->peer, now);
    }
}

void
rn_handle_config_update_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadConfigUpdateReq *req = m->body;
  if (req->type == RELOAD_CONFIG_UPDATE_KIND)
    {
      /* §6.5.4.2: kind updates need kind-signers of the configuration
       * held, which only the shell knows; Chorus distributes kinds in
       * whole configurations */
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN,
                     "kind updates are not taken: send the configuration", now);
      return;
    }
  if (req->type != RELOAD_CONFIG_UPDATE_CONFIG)
    {
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_INVALID_MESSAGE,
                     "unknown ConfigUpdate type", now);
      return;
    }
  if (n->shell.config_update == NULL)
    {
      rn_send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN,
                     "this node takes no configuration updates", now);
      return;
    }
  char *info = NULL;
  guint16 code =
      n->shell.config_update (n->shell_data, req->config_data.data, req->config_data.len, &info);
  char hex[33];
  if (code != 0)
    {
      TRACE (n, "configuration from %s refused: %s", rn_short_id (ctx->origin, hex),
             info ? info : "?");
      rn_send_error (n, ctx->from_link, m, code, info ? info : "configuration refused", now);
      g_free (info);
      return;
    }
  g_free (info);
  /* the sender holds the document we hold now: no need to send it back */
  Conn *c = rn_conn_by_peer (n, ctx->origin);
  if (c != NULL)
    {
      c->config_seq_known = TRUE;
      c->config_seq = n->cfg.configuration_sequence;
    }
  TRACE (n, "configuration %u from %s taken", n->cfg.configuration_sequence,
         rn_short_id (ctx->origin, hex));
  ReloadConfigUpdateAns a = { 0 };
  rn_send_answer (n, ctx->from_link, m, RELOAD_CONFIG_UPDATE_ANS, &a, now);
}

/* Kinds that are gone from @to, or whose data model changed, lose the
 * values stored under them (§11.1: the new information "overrides any
 * previously learned information"; values of another data model cannot be
 * read under the new one). */
static void
drop_changed_kinds (ReloadNode *n, const ReloadKindTable *from, const ReloadKindTable *to)
{
  g_autoptr (GArray) ids = reload_kind_table_ids (from);
  for (guint i = 0; i < ids->len; i++)
    {
      guint32 id = g_array_index (ids, guint32, i);
      const ReloadKindDef *old = reload_kind_table_lookup (from, id);
      const ReloadKindDef *new = reload_kind_table_lookup (to, id);
      if (new != NULL &&new->model == old->model)
        continue;
      guint dropped = reload_storage_drop_kind (n->storage, id);
      TRACE (n, "kind %u %s: %u values dropped", id, new ? "changed its data model" : "is gone",
             dropped);
    }
}

void
reload_node_reconfigure (ReloadNode *n, const ReloadNodeConfig *config, gint64 now)
{
  g_return_if_fail (n != NULL && config != NULL);
  /* no rn_enter(): this may run inside the config_update callback, while
   * the node handles the ConfigUpdate (its scratch arena is in use) */
  n->now = now;
  gboolean new_sequence = config->configuration_sequence != n->cfg.configuration_sequence;
  n->cfg.configuration_sequence = config->configuration_sequence;
  if (config->config_document != n->config_document)
    {
      GBytes *old = n->config_document;
      n->config_document = config->config_document ? g_bytes_ref (config->config_document) : NULL;
      n->cfg.config_document = n->config_document;
      if (old != NULL)
        g_bytes_unref (old);
    }
  if (config->kinds != NULL && config->kinds != n->kinds)
    {
      ReloadKindTable *old = n->kinds;
      drop_changed_kinds (n, old, config->kinds);
      n->kinds = reload_kind_table_ref (config->kinds);
      reload_storage_set_kinds (n->storage, n->kinds);
      n->wire.kind_model_data = n->kinds;
      reload_kind_table_unref (old);
    }
  gsize largest = rn_largest_message (n);
  n->cfg.max_message_size =
      config->max_message_size ? config->max_message_size : DEFAULT_MAX_MESSAGE_SIZE;
  n->wire.max_message_size = n->cfg.max_message_size;
  n->wire_config_update = n->wire;
  n->wire_config_update.max_message_size = rn_largest_message (n);
  if (rn_largest_message (n) != largest)
    {
      /* fragments on their way are lost: their senders retransmit */
      reload_reassembler_free (n->reassembler);
      n->reassembler = reload_reassembler_new (rn_largest_message (n), REASSEMBLY_TIMEOUT_US);
    }
  n->cfg.initial_ttl = config->initial_ttl ? config->initial_ttl : RELOAD_DEFAULT_TTL;
  n->cfg.overlay_reliability_timer_ms = config->overlay_reliability_timer_ms
                                            ? config->overlay_reliability_timer_ms
                                            : DEFAULT_RELIABILITY_TIMER_MS;
  n->cfg.chord_update_interval_s =
      config->chord_update_interval_s ? config->chord_update_interval_s : 600;
  n->cfg.chord_ping_interval_s =
      config->chord_ping_interval_s ? config->chord_ping_interval_s : 3600;
  n->cfg.chord_reactive = config->chord_reactive;
  if (n->state == NODE_JOINED)
    {
      /* shorter intervals apply now, longer ones from the next round */
      rn_schedule (n, &n->next_stabilize, now + rn_stabilize_interval_ms (n), TIMER_STABILIZE);
      rn_schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                   TIMER_FINGERS);
    }
  if (n->state == NODE_JOINING && new_sequence)
    {
      /* the join's requests in flight carry the old sequence and fail
       * (Error_Config_Too_Old, §6.3.2.1: most likely how we got this
       * one): start them again with the new one, once the answer to the
       * ConfigUpdate is out, rather than after JOIN_RETRY_MS */
      n->have_admitting = FALSE;
      rn_schedule (n, &n->join_at, now + REACTIVE_UPDATE_DELAY_MS, TIMER_JOIN);
    }
  TRACE (n, "configuration %u%s", n->cfg.configuration_sequence,
         n->config_document ? "" : " (no document)");
  rn_schedule (n, &n->config_push_at, now, TIMER_CONFIG_PUSH);
}
