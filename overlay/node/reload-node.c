/* reload-node.c: a RELOAD node's life, message processing (RFC 6940 §6.1,
 * §6.2: sending, receiving, forwarding, transactions) and timers.  Chord is
 * in reload-node-chord.c, the request handlers in reload-node-requests.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* clang-format off */
G_DEFINE_QUARK (reload-node-error-quark, reload_node_error)
/* clang-format on */

static void drop (ReloadNode *n, const char *why);
static guint chord_id_hash_fn (gconstpointer p);
static gboolean chord_id_equal_fn (gconstpointer a, gconstpointer b);
static Timer timer_pop (ReloadNode *n);
static void txn_free (gpointer p);
static void cached_answer_free (gpointer p);
static void count_send (ReloadNode *n, gsize len, gboolean maintenance);
static void link_send (ReloadNode *n, guint64 link, const guint8 *data, gsize len,
                       gboolean maintenance);
static GBytes *seal (ReloadNode *n, ReloadMessage *m);
static void transmit (ReloadNode *n, Txn *t, gint64 now);
static void send_answer_to (ReloadNode *n, guint64 from_link, const ReloadForwardingHeader *h,
                            gboolean maintenance, guint16 code, gpointer body, gint64 now);
static void deliver (ReloadNode *n, guint64 from_link, GBytes *bytes, guint n_via, gint64 now);
static void send_ttl_exceeded (ReloadNode *n, guint64 from_link, const ReloadForwardingHeader *h,
                               gint64 now);
static void forward (ReloadNode *n, guint64 from_link, ReloadForwardingHeader *h,
                     const guint8 *payload, gsize payload_len, guint64 to_link, gboolean is_request,
                     gint64 now);
static void process (ReloadNode *n, guint64 from_link, GBytes *bytes, gint64 now);
static gboolean answer_expired (gpointer key, gpointer value, gpointer user_data);

const char *
rn_short_id (ChordId id, char buf[33])
{
  chord_id_to_hex (id, buf);
  buf[8] = '\0';
  return buf;
}

static void
drop (ReloadNode *n, const char *why)
{
  n->counters.dropped++;
  TRACE (n, "drop: %s", why);
  /* one log line per dropped message, at debug level: a flood of hostile
   * messages must not become a flood of log lines at the default level
   * (G_MESSAGES_DEBUG=chorus-node shows them) */
  g_log_structured ("chorus-node", G_LOG_LEVEL_DEBUG, "MESSAGE", "dropped a message: %s", why);
}

/* Whether the certificate that signed names @id among its Node-IDs
 * (§6.3.4, §11.3: a certificate may carry several). */
gboolean
rn_signer_has (const ReloadSignerInfo *signer, ChordId id)
{
  for (guint i = 0; i < signer->n_node_ids; i++)
    if (signer->node_ids[i].len >= 16
        && chord_id_equal (chord_id_from_node_id (&signer->node_ids[i]), id))
      return TRUE;
  return FALSE;
}

static guint
chord_id_hash_fn (gconstpointer p)
{
  const ChordId *id = p;
  return (guint) (id->lo ^ (id->lo >> 32) ^ id->hi);
}

static gboolean
chord_id_equal_fn (gconstpointer a, gconstpointer b)
{
  return chord_id_equal (*(const ChordId *) a, *(const ChordId *) b);
}

guint64
rn_random_u64 (ReloadNode *n)
{
  return (guint64) g_rand_int (n->rand) << 32 | g_rand_int (n->rand);
}

void
rn_timer_push (ReloadNode *n, gint64 at, TimerKind kind, guint64 id)
{
  Timer t = { at, id, kind };
  g_array_append_val (n->timers, t);
  Timer *h = (Timer *) n->timers->data;
  guint i = n->timers->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      if (h[parent].at <= h[i].at)
        break;
      Timer tmp = h[parent];
      h[parent] = h[i];
      h[i] = tmp;
      i = parent;
    }
}

static Timer
timer_pop (ReloadNode *n)
{
  Timer *h = (Timer *) n->timers->data;
  Timer top = h[0];
  guint len = n->timers->len - 1;
  h[0] = h[len];
  g_array_set_size (n->timers, len);
  guint i = 0;
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < len && h[l].at < h[m].at)
        m = l;
      if (r < len && h[r].at < h[m].at)
        m = r;
      if (m == i)
        break;
      Timer tmp = h[m];
      h[m] = h[i];
      h[i] = tmp;
      i = m;
    }
  return top;
}

static void
txn_free (gpointer p)
{
  Txn *t = p;
  if (t->first.type == RELOAD_DESTINATION_RESOURCE)
    g_free ((gpointer) t->first.resource_id.data);
  g_bytes_unref (t->bytes);
  g_free (t);
}

static void
cached_answer_free (gpointer p)
{
  CachedAnswer *a = p;
  g_bytes_unref (a->bytes);
  g_free (a);
}

Conn *
rn_conn_by_peer (ReloadNode *n, ChordId peer)
{
  return g_hash_table_lookup (n->by_peer, &peer);
}

ReloadDestination
rn_dest_node (ChordId id)
{
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = chord_id_to_node_id (id);
  return d;
}

static void
count_send (ReloadNode *n, gsize len, gboolean maintenance)
{
  n->counters.messages_sent++;
  n->counters.bytes_sent += len;
  if (maintenance)
    {
      n->counters.maintenance_messages_sent++;
      n->counters.maintenance_bytes_sent += len;
    }
}

static void
link_send (ReloadNode *n, guint64 link, const guint8 *data, gsize len, gboolean maintenance)
{
  if (len <= LINK_PAYLOAD_MAX)
    {
      count_send (n, len, maintenance);
      n->shell.send (n->shell_data, link, data, len);
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) frags = reload_fragment_split (data, len, LINK_PAYLOAD_MAX, &error);
  if (frags == NULL)
    {
      drop (n, error->message);
      return;
    }
  for (guint i = 0; i < frags->len; i++)
    {
      GBytes *f = g_ptr_array_index (frags, i);
      count_send (n, g_bytes_get_size (f), maintenance);
      n->shell.send (n->shell_data, link, g_bytes_get_data (f, NULL), g_bytes_get_size (f));
    }
}

/* Every entry point records the time and starts with a clean scratch
 * arena (nested processing, such as a request this node answers itself,
 * does not reset it). */
void
rn_enter (ReloadNode *n, gint64 now)
{
  n->now = now;
  rw_arena_reset (n->scratch);
}

ReloadNode *
reload_node_new (const ReloadNodeConfig *config, const ReloadNodeShell *shell, gpointer shell_data)
{
  ReloadNode *n = g_new0 (ReloadNode, 1);
  n->trace = g_strcmp0 (g_getenv ("CHORUS_NODE_TRACE"), "1") == 0;
  n->cfg = *config;
  n->user_name = g_strdup (config->user_name ? config->user_name : "anonymous@chorus.invalid");
  n->overlay_name = g_strdup (config->overlay_name ? config->overlay_name : "chorus.invalid");
  n->cfg.user_name = n->user_name;
  n->cfg.overlay_name = n->overlay_name;
  if (config->n_candidates > 0)
    {
      /* candidates are plain data but may point at text: keep our copy of
       * the array and its address structures (no text is needed here) */
      n->candidates =
          g_memdup2 (config->candidates, config->n_candidates * sizeof (ReloadIceCandidate));
      n->n_candidates = config->n_candidates;
    }
  if (n->cfg.max_message_size == 0)
    n->cfg.max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  if (n->cfg.initial_ttl == 0)
    n->cfg.initial_ttl = RELOAD_DEFAULT_TTL;
  if (n->cfg.overlay_reliability_timer_ms == 0)
    n->cfg.overlay_reliability_timer_ms = DEFAULT_RELIABILITY_TIMER_MS;
  if (n->cfg.chord_update_interval_s == 0)
    n->cfg.chord_update_interval_s = 600;
  if (n->cfg.chord_ping_interval_s == 0)
    n->cfg.chord_ping_interval_s = 3600;
  n->kinds =
      config->kinds ? reload_kind_table_ref (config->kinds) : reload_kind_table_new_default ();
  if (n->cfg.security == NULL)
    {
      n->own_test_signer = g_new0 (ReloadTestSigner, 1);
      n->own_test_signer->user_name = g_strdup (n->user_name);
      n->own_test_signer->node_id = config->node_id;
      n->cfg.security = reload_test_security_ops ();
      n->cfg.security_data = n->own_test_signer;
    }
  n->shell = *shell;
  n->shell_data = shell_data;
  n->node_id = config->node_id;
  n->self = chord_id_from_node_id (&config->node_id);
  n->overlay_hash = reload_overlay_hash (n->overlay_name);
  n->wire.node_id_length = 16;
  n->wire.kind_model = reload_kind_table_model;
  n->wire.kind_model_data = n->kinds;
  n->wire.max_message_size = n->cfg.max_message_size;
  chord_table_init (&n->table, n->self, config->n_successors ? config->n_successors : 3,
                    config->n_predecessors ? config->n_predecessors : 3,
                    config->n_fingers ? config->n_fingers : 16);
  n->rand = g_rand_new_with_seed_array (
      (const guint32[]){ (guint32) config->seed, (guint32) (config->seed >> 32) }, 2);
  n->links = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  n->by_peer = g_hash_table_new (chord_id_hash_fn, chord_id_equal_fn);
  n->attaching = g_hash_table_new_full (chord_id_hash_fn, chord_id_equal_fn, g_free, NULL);
  n->txns = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, txn_free);
  n->answers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, cached_answer_free);
  n->timers = g_array_new (FALSE, FALSE, sizeof (Timer));
  n->storage = reload_storage_new (n->kinds);
  rn_config_init (n);
  rn_turn_init (n);
  n->reassembler = reload_reassembler_new (rn_largest_message (n), REASSEMBLY_TIMEOUT_US);
  n->scratch = rw_arena_new (0);
  n->next_stabilize = n->next_fingers = n->reactive_update_at = n->replicate_at = n->join_at =
      G_MAXINT64;
  return n;
}

void
reload_node_free (ReloadNode *n)
{
  if (n == NULL)
    return;
  /* requests still pending complete now, cancelled (as GIO's do) */
  GList *pending = g_hash_table_get_values (n->txns);
  for (GList *l = pending; l != NULL; l = l->next)
    {
      Txn *t = l->data;
      g_autoptr (GError) error =
          g_error_new_literal (RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_CANCELLED, "the node is gone");
      rn_txn_finish (n, t, NULL, error);
    }
  g_list_free (pending);
  rn_attach_clear (n);
  rn_app_attach_clear (n);
  rn_turn_clear (n);
  rn_config_clear (n);
  g_hash_table_destroy (n->links);
  g_hash_table_destroy (n->by_peer);
  g_hash_table_destroy (n->attaching);
  g_hash_table_destroy (n->txns);
  g_hash_table_destroy (n->answers);
  g_array_free (n->timers, TRUE);
  reload_storage_free (n->storage);
  reload_reassembler_free (n->reassembler);
  rw_arena_free (n->scratch);
  reload_kind_table_unref (n->kinds);
  g_rand_free (n->rand);
  if (n->own_test_signer)
    {
      g_free (n->own_test_signer->user_name);
      g_free (n->own_test_signer);
    }
  g_free (n->candidates);
  g_free (n->user_name);
  g_free (n->overlay_name);
  g_free (n);
}

/* Signs and encodes @m (its header, contents and body filled). */
static GBytes *
seal (ReloadNode *n, ReloadMessage *m)
{
  g_autoptr (GError) error = NULL;
  m->header.overlay = n->overlay_hash;
  /* §6.3.2.1: a ConfigUpdate carries 65535, which its receiver accepts
   * "regardless of [its] configuration sequence number" (it goes to nodes
   * whose sequence differs from ours) */
  m->header.configuration_sequence = m->message_code == RELOAD_CONFIG_UPDATE_REQ
                                         ? CONFIG_SEQUENCE_WILDCARD
                                         : n->cfg.configuration_sequence;
  const RwOptions *wire = rn_wire_for (n, m->message_code);
  /* the SignerIdentity is part of the signed bytes (§6.3.4): fill it
   * first, sign after */
  ReloadSignature probe = { 0 };
  n->cfg.security->sign (n->cfg.security_data, (const guint8 *) "", 0, m->arena, &probe);
  m->security_block.signature.identity = probe.identity;
  g_autoptr (GBytes) input = reload_message_signature_input (m, wire, &error);
  if (input == NULL)
    {
      g_warning ("reload-node: cannot sign a %s: %s",
                 rw_enum_name (reload_message_code_names, m->message_code), error->message);
      return NULL;
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (input, &len);
  n->cfg.security->sign (n->cfg.security_data, data, len, m->arena, &m->security_block.signature);
  /* the certificate bucket (§6.3.4): ours ... */
  GPtrArray *bucket = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (n->cfg.security->certificate != NULL)
    {
      GBytes *der = n->cfg.security->certificate (n->cfg.security_data);
      if (der != NULL)
        g_ptr_array_add (bucket, der);
    }
  /* ... and those of the stored values' signers: for a Store, and for the
   * TURN-SERVICE values of a Fetch answer (§6.3.4: "all the certificates
   * necessary to verify every signature in both the message and the
   * internal message objects"; §9: the fetching peer checks who signed a
   * TurnServer; other kinds' answers stay small: max-message-size) */
  gboolean store = m->message_code == RELOAD_STORE_REQ;
  if ((store || m->message_code == RELOAD_FETCH_ANS) && n->cfg.security->certificate_for != NULL)
    {
      const ReloadStoreReq *req = m->body;
      const ReloadFetchAns *fa = m->body;
      for (guint k = 0; k < (store ? req->n_kind_data : fa->n_kind_responses); k++)
        for (guint v = 0; v < (store ? req->kind_data[k].n_values : fa->kind_responses[k].n_values);
             v++)
          {
            const ReloadStoredData *sd =
                store ? &req->kind_data[k].values[v] : &fa->kind_responses[k].values[v];
            if (!store && fa->kind_responses[k].kind != RELOAD_KIND_TURN_SERVICE)
              break;
            GBytes *der =
                n->cfg.security->certificate_for (n->cfg.security_data, &sd->signature.identity);
            gboolean dup = der == NULL;
            for (guint i = 0; i < bucket->len && !dup; i++)
              dup = g_bytes_equal (g_ptr_array_index (bucket, i), der);
            if (dup)
              g_clear_pointer (&der, g_bytes_unref);
            else
              g_ptr_array_add (bucket, der);
          }
    }
  if (bucket->len > 0)
    {
      ReloadGenericCertificate *c = reload_message_alloc (m, bucket->len * sizeof *c);
      for (guint i = 0; i < bucket->len; i++)
        {
          gsize der_len;
          const guint8 *der_data = g_bytes_get_data (g_ptr_array_index (bucket, i), &der_len);
          guint8 *copy = reload_message_alloc (m, der_len + 1);
          memcpy (copy, der_data, der_len);
          c[i].type = RELOAD_CERTIFICATE_X509;
          c[i].certificate = (RwBytes){ copy, der_len };
        }
      m->security_block.certificates = c;
      m->security_block.n_certificates = bucket->len;
    }
  g_ptr_array_unref (bucket);
  GBytes *out = reload_message_encode (m, wire, &error);
  if (out == NULL)
    TRACE (n, "cannot encode a %s: %s", rw_enum_name (reload_message_code_names, m->message_code),
           error->message);
  return out;
}

/* Where a message whose first destination is @d goes: a link, or 0 for
 * this node itself.  FALSE when there is no rn_route. */
gboolean
rn_route (ReloadNode *n, const ReloadDestination *d, guint64 *link)
{
  ChordId target;
  if (d->type == RELOAD_DESTINATION_NODE)
    {
      target = chord_id_from_node_id (&d->node_id);
      if (chord_id_equal (target, n->self))
        {
          *link = 0;
          return TRUE;
        }
      /* §6.1.2: "If the first entry on the Destination List is in the
       * peer's Connection Table, the peer MUST forward the message to that
       * peer directly." */
      Conn *c = rn_conn_by_peer (n, target);
      if (c != NULL)
        {
          *link = c->link;
          return TRUE;
        }
    }
  else if (d->type == RELOAD_DESTINATION_RESOURCE)
    {
      target = chord_id_from_resource_id (d->resource_id);
      if (n->state == NODE_JOINED && chord_table_is_responsible (&n->table, target))
        {
          *link = 0;
          return TRUE;
        }
    }
  else
    return FALSE;

  ChordId next;
  if (!chord_table_next_hop (&n->table, target, &next))
    return FALSE;
  Conn *c = rn_conn_by_peer (n, next);
  if (c == NULL)
    return FALSE;
  *link = c->link;
  return TRUE;
}

static void
transmit (ReloadNode *n, Txn *t, gint64 now)
{
  guint64 link;
  t->transmissions++;
  t->deadline = now + (gint64) n->cfg.overlay_reliability_timer_ms;
  rn_timer_push (n, t->deadline, TIMER_RETRANSMIT, t->tid);
  if (!rn_route (n, &t->first, &link))
    {
      TRACE (n, "no rn_route for %s (try %u)", rw_enum_name (reload_message_code_names, t->code),
             t->transmissions);
      return; /* retried at the next timer: the table may have changed */
    }
  TRACE (n, "send %s %016" G_GINT64_MODIFIER "x on link %" G_GUINT64_FORMAT " (try %u)",
         rw_enum_name (reload_message_code_names, t->code), t->tid, link, t->transmissions);
  if (link == 0)
    {
      process (n, 0, t->bytes, now);
      return;
    }
  link_send (n, link, g_bytes_get_data (t->bytes, NULL), g_bytes_get_size (t->bytes),
             t->maintenance);
}

guint64
rn_send_request (ReloadNode *n, const ReloadDestination *dests, guint n_dests, guint16 code,
                 gpointer body, ReloadRequestDone done, gpointer user_data, gboolean maintenance,
                 AttachPurpose purpose, gint64 now)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  guint64 tid;
  do
    tid = rn_random_u64 (n);
  while (tid == 0 || g_hash_table_contains (n->txns, &tid));
  m->header.ttl = n->cfg.initial_ttl;
  m->header.transaction_id = tid;
  m->header.n_destination_list = n_dests;
  m->header.destination_list = reload_message_alloc (m, n_dests * sizeof (ReloadDestination));
  memcpy (m->header.destination_list, dests, n_dests * sizeof (ReloadDestination));
  m->message_code = code;
  m->body = body;
  rn_self_tuning_attach (n, m); /* RFC 7363 §6.5: Probe requests and answers */
  /* reload_node_request_as(): this one request signed by another identity */
  const ReloadSecurityOps *own_ops = n->cfg.security;
  gpointer own_data = n->cfg.security_data;
  if (n->sign_as_ops != NULL)
    {
      n->cfg.security = n->sign_as_ops;
      n->cfg.security_data = n->sign_as_data;
      n->sign_as_ops = NULL;
      n->sign_as_data = NULL;
    }
  GBytes *bytes = seal (n, m);
  n->cfg.security = own_ops;
  n->cfg.security_data = own_data;
  if (bytes == NULL)
    return 0;
  Txn *t = g_new0 (Txn, 1);
  t->tid = tid;
  t->bytes = bytes;
  t->code = code;
  t->first = dests[0];
  if (dests[n_dests - 1].type == RELOAD_DESTINATION_NODE)
    {
      t->final_is_node = TRUE;
      t->final_node = chord_id_from_node_id (&dests[n_dests - 1].node_id);
    }
  if (t->first.type == RELOAD_DESTINATION_RESOURCE)
    {
      /* the destination's bytes live in @m's arena: keep our own copy */
      guint8 *copy = g_malloc (t->first.resource_id.len + 1);
      if (t->first.resource_id.len > 0)
        memcpy (copy, t->first.resource_id.data, t->first.resource_id.len);
      t->first.resource_id.data = copy;
    }
  t->done = done;
  t->user_data = user_data;
  t->maintenance = maintenance;
  t->purpose = purpose;
  g_hash_table_insert (n->txns, &t->tid, t);
  transmit (n, t, now);
  return tid;
}

void
rn_release_attach (ReloadNode *n, guint64 token)
{
  if (token != 0 && n->shell.release_attach != NULL)
    n->shell.release_attach (n->shell_data, token);
}

void
rn_txn_finish (ReloadNode *n, Txn *t, const ReloadMessage *answer, const GError *error)
{
  ReloadRequestDone done = t->done;
  gpointer user_data = t->user_data;
  if (error != NULL && t->attach_token != 0)
    rn_release_attach (n, t->attach_token);
  g_hash_table_steal (n->txns, &t->tid);
  txn_free (t);
  if (done != NULL)
    done (user_data, n, answer, error);
}

guint64
reload_node_request_routed (ReloadNode *n, const ReloadDestination *destinations, guint n_dest,
                            guint16 code, gpointer body, ReloadRequestDone done, gpointer user_data,
                            gint64 now)
{
  rn_enter (n, now);
  g_return_val_if_fail (n_dest > 0 && n_dest <= 16, 0);
  return rn_send_request (n, destinations, n_dest, code, body, done, user_data, FALSE, 0, now);
}

guint64
reload_node_request (ReloadNode *n, const ReloadDestination *destination, guint16 code,
                     gpointer body, ReloadRequestDone done, gpointer user_data, gint64 now)
{
  rn_enter (n, now);
  return rn_send_request (n, destination, 1, code, body, done, user_data, FALSE, 0, now);
}

guint64
reload_node_request_as (ReloadNode *n, const ReloadSecurityOps *ops, gpointer ops_data,
                        const ReloadDestination *destination, guint16 code, gpointer body,
                        ReloadRequestDone done, gpointer user_data, gint64 now)
{
  rn_enter (n, now);
  n->sign_as_ops = ops;
  n->sign_as_data = ops_data;
  return rn_send_request (n, destination, 1, code, body, done, user_data, FALSE, 0, now);
}

/* §6.1.2: the response leaves with the destination list "equal to the
 * concatenation of the Node-ID of the node from which the request was
 * received with the Via List in the original request", reversed (§6.2.2). */
static void
send_answer_to (ReloadNode *n, guint64 from_link, const ReloadForwardingHeader *h,
                gboolean maintenance, guint16 code, gpointer body, gint64 now)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  Conn *from = from_link ? g_hash_table_lookup (n->links, GSIZE_TO_POINTER (from_link)) : NULL;
  guint nd = h->n_via_list + 1;
  ReloadDestination *d = reload_message_alloc (m, nd * sizeof (ReloadDestination));
  d[0] = rn_dest_node (from ? from->peer : n->self);
  for (guint i = 0; i < h->n_via_list; i++)
    d[1 + i] = h->via_list[h->n_via_list - 1 - i];
  m->header.ttl = n->cfg.initial_ttl;
  m->header.transaction_id = h->transaction_id;
  m->header.destination_list = d;
  m->header.n_destination_list = nd;
  m->message_code = code;
  m->body = body;
  rn_self_tuning_attach (n, m); /* RFC 7363 §6.5: Probe requests and answers */
  /* reload_node_request_as(): this one request signed by another identity */
  const ReloadSecurityOps *own_ops = n->cfg.security;
  gpointer own_data = n->cfg.security_data;
  if (n->sign_as_ops != NULL)
    {
      n->cfg.security = n->sign_as_ops;
      n->cfg.security_data = n->sign_as_data;
      n->sign_as_ops = NULL;
      n->sign_as_data = NULL;
    }
  GBytes *bytes = seal (n, m);
  n->cfg.security = own_ops;
  n->cfg.security_data = own_data;
  if (bytes == NULL)
    {
      if (code == RELOAD_ERROR)
        return;
      /* §6.3.2: an answer beyond the limits gets an error in its place */
      ReloadErrorResponse e = { 0 };
      e.error_code = RELOAD_ERROR_RESPONSE_TOO_LARGE;
      e.error_info = (RwBytes){ (const guint8 *) "answer too large", 16 };
      send_answer_to (n, from_link, h, maintenance, RELOAD_ERROR, &e, now);
      return;
    }
  /* §6.2.1: retransmissions get the same answer for 15 s; a flood of
   * requests cannot make the cache grow past its limit (the requests
   * beyond it are answered again if retransmitted) */
  if (g_hash_table_size (n->answers) >= ANSWER_CACHE_MAX)
    {
      if (from_link == 0)
        process (n, 0, bytes, now);
      else
        link_send (n, from_link, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   maintenance);
      g_bytes_unref (bytes);
      return;
    }
  CachedAnswer *a = g_new0 (CachedAnswer, 1);
  a->bytes = g_bytes_ref (bytes);
  a->expires = now + ANSWER_CACHE_MS;
  a->link = from_link;
  guint64 *key = g_new (guint64, 1);
  *key = h->transaction_id;
  g_hash_table_replace (n->answers, key, a);
  if (from_link == 0)
    process (n, 0, bytes, now);
  else
    link_send (n, from_link, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), maintenance);
  g_bytes_unref (bytes);
}

void
rn_send_answer (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 code,
                gpointer body, gint64 now)
{
  /* answers to the overlay's own upkeep count as maintenance traffic */
  gboolean maintenance = req->message_code == RELOAD_UPDATE_REQ
                         || req->message_code == RELOAD_ATTACH_REQ
                         || (req->message_code == RELOAD_STORE_REQ
                             && ((const ReloadStoreReq *) req->body)->replica_number > 0);
  send_answer_to (n, from_link, &req->header, maintenance, code, body, now);
}

void
rn_send_error (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 error_code,
               const char *info, gint64 now)
{
  ReloadErrorResponse e = { 0 };
  e.error_code = error_code;
  e.error_info = (RwBytes){ (const guint8 *) info, strlen (info) };
  rn_send_answer (n, from_link, req, RELOAD_ERROR, &e, now);
}

void
rn_schedule (ReloadNode *n, gint64 *slot, gint64 at, TimerKind kind)
{
  if (*slot <= at)
    return;
  *slot = at;
  rn_timer_push (n, at, kind, 0);
}

static void
deliver (ReloadNode *n, guint64 from_link, GBytes *bytes, guint n_via, gint64 now)
{
  g_autoptr (GError) error = NULL;
  /* only a ConfigUpdate may exceed max-message-size (process() drops
   * other messages that do) */
  gboolean large = g_bytes_get_size (bytes) > n->cfg.max_message_size;
  g_autoptr (ReloadMessage) m =
      reload_message_decode (bytes, large ? &n->wire_config_update : &n->wire, &error);
  if (m == NULL)
    {
      drop (n, error->message);
      return;
    }
  if (m->is_fragment)
    return;
  if (large && m->message_code != RELOAD_CONFIG_UPDATE_REQ)
    {
      drop (n, "larger than max-message-size");
      return;
    }
  /* §6.3.4: the destination verifies the signature */
  g_autoptr (GBytes) input =
      reload_message_signature_input (m, rn_wire_for (n, m->message_code), NULL);
  ReloadSignerInfo signer = { 0 };
  if (input == NULL
      || !n->cfg.security->verify (n->cfg.security_data, g_bytes_get_data (input, NULL),
                                   g_bytes_get_size (input), &m->security_block.signature,
                                   m->security_block.certificates, m->security_block.n_certificates,
                                   n->scratch, &signer)
      || signer.n_node_ids == 0)
    {
      drop (n, "bad signature");
      return;
    }
  if ((m->message_code & 1) == 0 || m->message_code == RELOAD_ERROR)
    {
      rn_handle_answer (n, m, &signer, now);
      return;
    }
  Conn *from = from_link ? g_hash_table_lookup (n->links, GSIZE_TO_POINTER (from_link)) : NULL;
  ChordId origin;
  if (m->header.n_via_list > 0 && m->header.via_list[0].type == RELOAD_DESTINATION_NODE)
    origin = chord_id_from_node_id (&m->header.via_list[0].node_id);
  else
    origin = from ? from->peer : n->self;
  /* §6.3.2.1: a request's configuration sequence must be ours */
  if (m->header.configuration_sequence != n->cfg.configuration_sequence
      && !(m->message_code == RELOAD_CONFIG_UPDATE_REQ
           && m->header.configuration_sequence == CONFIG_SEQUENCE_WILDCARD))
    {
      gboolean too_old = reload_configuration_sequence_compare (m->header.configuration_sequence,
                                                                n->cfg.configuration_sequence)
                         < 0;
      rn_send_error (n, from_link, m,
                     too_old ? RELOAD_ERROR_CONFIG_TOO_OLD : RELOAD_ERROR_CONFIG_TOO_NEW,
                     "configuration sequence", now);
      /* "if the configuration file in the request is too old, the node
       * MUST generate a ConfigUpdate message to update the requesting
       * node" (to its origin, when it signed the request: a forged origin
       * gets nothing) */
      if (too_old && rn_signer_has (&signer, origin))
        rn_config_push (n, origin, now);
      return;
    }
  /* §6.2.1: a retransmission gets the answer already given */
  guint64 tid = m->header.transaction_id;
  CachedAnswer *cached = g_hash_table_lookup (n->answers, &tid);
  if (cached != NULL)
    {
      if (from_link == 0)
        process (n, 0, cached->bytes, now);
      else
        link_send (n, from_link, g_bytes_get_data (cached->bytes, NULL),
                   g_bytes_get_size (cached->bytes), TRUE);
      return;
    }
  RequestCtx ctx = { 0 };
  ctx.signer = signer;
  ctx.from_link = from_link;
  ctx.origin = origin;
  /* a request's origin is its signer (§6.3.4: responses are checked the
   * same way by the requester) */
  if (!rn_signer_has (&signer, ctx.origin))
    {
      rn_send_error (n, from_link, m, RELOAD_ERROR_FORBIDDEN, "signer is not the origin", now);
      return;
    }
  if (n->shell.delivered)
    n->shell.delivered (n->shell_data, m->message_code, tid, from_link ? n_via + 1 : 0);
  rn_handle_request (n, m, &ctx, now);
}

static void
send_ttl_exceeded (ReloadNode *n, guint64 from_link, const ReloadForwardingHeader *h, gint64 now)
{
  ReloadErrorResponse e = { 0 };
  e.error_code = RELOAD_ERROR_TTL_EXCEEDED;
  e.error_info = (RwBytes){ (const guint8 *) "TTL exceeded", 12 };
  send_answer_to (n, from_link, h, FALSE, RELOAD_ERROR, &e, now);
}

static void
forward (ReloadNode *n, guint64 from_link, ReloadForwardingHeader *h, const guint8 *payload,
         gsize payload_len, guint64 to_link, gboolean is_request, gint64 now)
{
  Conn *from = from_link ? g_hash_table_lookup (n->links, GSIZE_TO_POINTER (from_link)) : NULL;
  if (h->ttl == 0)
    {
      /* §6.3.2: "the message MUST NOT be propagated further, and an
       * Error_TTL_Exceeded error should be generated" */
      drop (n, "TTL exceeded");
      if (is_request && from_link != 0)
        send_ttl_exceeded (n, from_link, h, now);
      return;
    }
  h->ttl--;
  /* on the heap: a hostile via list may hold thousands of entries */
  g_autofree ReloadDestination *via = NULL;
  if (is_request && from != NULL)
    {
      /* §6.1.2: append the Node-ID of the node the request came from */
      via = g_new (ReloadDestination, h->n_via_list + 1);
      if (h->n_via_list > 0)
        memcpy (via, h->via_list, h->n_via_list * sizeof (ReloadDestination));
      via[h->n_via_list] = rn_dest_node (from->peer);
      h->via_list = via;
      h->n_via_list++;
    }
  g_autoptr (GByteArray) out = g_byte_array_sized_new ((guint) payload_len + 256);
  if (!reload_message_reframe (h, payload, payload_len, &n->wire, out, NULL))
    {
      n->counters.dropped++;
      return;
    }
  n->counters.forwarded++;
  TRACE (n, "forward %016" G_GINT64_MODIFIER "x on link %" G_GUINT64_FORMAT, h->transaction_id,
         to_link);
  link_send (n, to_link, out->data, out->len, FALSE);
}

static void
process (ReloadNode *n, guint64 from_link, GBytes *bytes, gint64 now)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RwArena *arena = rw_arena_new (0);
  ReloadForwardingHeader h;
  g_autoptr (GError) error = NULL;
  gsize hlen = reload_forwarding_header_decode (data, len, &n->wire, arena, &h, &error);
  if (hlen > 0 && h.overlay == n->overlay_hash && h.ttl > n->cfg.initial_ttl && from_link != 0
      && hlen + 2 <= len && (data[hlen + 1] & 1) == 1 && data[hlen] != 0xff)
    {
      /* §6.3.2: a TTL above initial-ttl: discard, and Error_TTL_Exceeded */
      send_ttl_exceeded (n, from_link, &h, now);
      drop (n, "TTL above initial-ttl");
      rw_arena_free (arena);
      return;
    }
  if (hlen == 0 || h.overlay != n->overlay_hash || h.n_destination_list == 0
      || h.ttl > n->cfg.initial_ttl)
    {
      /* §6.1: a message of another overlay or with a bad header is
       * discarded */
      drop (n, "bad header or another overlay");
      rw_arena_free (arena);
      return;
    }
  gboolean is_request = hlen + 2 <= len && (data[hlen + 1] & 1) == 1
                        && !(data[hlen] == 0xff && data[hlen + 1] == 0xff);
  guint16 code = hlen + 2 <= len ? (guint16) (data[hlen] << 8 | data[hlen + 1]) : 0;
  if (len > n->cfg.max_message_size && code != RELOAD_CONFIG_UPDATE_REQ)
    {
      /* reassembled up to the ConfigUpdate bound (reload-node.h) */
      drop (n, "larger than max-message-size");
      rw_arena_free (arena);
      return;
    }
  if (is_request && from_link != 0 && h.n_via_list == 0)
    {
      /* §6.3.2.1, §6.5.4: a request the neighbour originated carries its
       * configuration sequence; an older one gets our document */
      Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (from_link));
      if (c != NULL)
        rn_config_observe (n, c, h.configuration_sequence, now);
    }
  /* loop detection: a request that already passed through us */
  if (is_request && from_link != 0)
    for (guint i = 0; i < h.n_via_list; i++)
      if (h.via_list[i].type == RELOAD_DESTINATION_NODE
          && chord_id_equal (chord_id_from_node_id (&h.via_list[i].node_id), n->self))
        {
          drop (n, "loop");
          rw_arena_free (arena);
          return;
        }

  for (;;)
    {
      ReloadDestination *d = &h.destination_list[0];
      guint64 link = 0;
      gboolean local = FALSE;
      if (d->type == RELOAD_DESTINATION_NODE
          && chord_id_equal (chord_id_from_node_id (&d->node_id), n->self))
        {
          /* §6.1.1: our own Node-ID: consumed, or stripped */
          if (h.n_destination_list == 1)
            local = TRUE;
          else
            {
              h.destination_list++;
              h.n_destination_list--;
              continue;
            }
        }
      else if (d->type == RELOAD_DESTINATION_RESOURCE)
        {
          ChordId k = chord_id_from_resource_id (d->resource_id);
          if (n->state == NODE_JOINED && chord_table_is_responsible (&n->table, k))
            {
              if (h.n_destination_list != 1)
                {
                  drop (n, "resource not last"); /* §6.1.1: MUST be the only entry */
                  break;
                }
              local = TRUE;
            }
        }
      else if (d->type != RELOAD_DESTINATION_NODE)
        {
          drop (n, "opaque destination"); /* no list compression issued by this node */
          break;
        }

      if (local)
        {
          deliver (n, from_link, bytes, h.n_via_list, now);
          break;
        }
      if (n->state == NODE_CLIENT && from_link != 0)
        {
          drop (n, "a client routes nothing"); /* §3.2.1 */
          break;
        }
      if (d->type == RELOAD_DESTINATION_NODE)
        {
          ChordId k = chord_id_from_node_id (&d->node_id);
          /* §6.1.1: a Node-ID we are responsible for but that is not us
           * is dropped, unless it is directly connected (a client) */
          if (rn_conn_by_peer (n, k) == NULL && n->state == NODE_JOINED
              && chord_table_is_responsible (&n->table, k) && n->table.n_pred > 0)
            {
              drop (n, "node we are responsible for, not connected");
              break;
            }
        }
      if (!rn_route (n, d, &link) || link == from_link || link == 0)
        {
          drop (n, "no rn_route");
          break;
        }
      forward (n, from_link, &h, data + hlen, len - hlen, link, is_request, now);
      break;
    }
  rw_arena_free (arena);
}

void
reload_node_receive (ReloadNode *n, guint64 link, const guint8 *data, gsize len, gint64 now)
{
  rn_enter (n, now);
  TRACE (n, "receive %" G_GSIZE_FORMAT " bytes on link %" G_GUINT64_FORMAT, len, link);
  if (len > rn_largest_message (n) + 1024)
    {
      n->counters.dropped++;
      return;
    }
  /* §6.7: fragments are reassembled before anything else */
  GBytes *whole = NULL;
  g_autoptr (GError) error = NULL;
  if (!reload_reassembler_add (n->reassembler, GSIZE_TO_POINTER (link), data, len, now * 1000,
                               &whole, &error))
    {
      n->counters.dropped++;
      return;
    }
  if (whole == NULL)
    return; /* more fragments to come */
  process (n, link, whole, now);
  g_bytes_unref (whole);
}

void
reload_node_link_up (ReloadNode *n, guint64 link, const ReloadNodeId *peer_id, gint64 now)
{
  n->now = now;
  ChordId peer = chord_id_from_node_id (peer_id);
  char b1[33];
  TRACE (n, "link %" G_GUINT64_FORMAT " up to %s", link, rn_short_id (peer, b1));
  Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (link));
  if (c == NULL)
    {
      Conn *old = rn_conn_by_peer (n, peer);
      if (old != NULL && old->link != link)
        return; /* a second link to the same peer (glare, §6.5.1.2): keep the first */
      c = g_new0 (Conn, 1);
      c->link = link;
      c->peer_id = *peer_id;
      c->peer = peer;
      g_hash_table_insert (n->links, GSIZE_TO_POINTER (link), c);
      g_hash_table_insert (n->by_peer, &c->peer, c);
    }
  if (n->have_admitting && chord_id_equal (peer, n->admitting_peer))
    rn_maybe_schedule_join (n, now);
  gpointer purpose = NULL;
  gpointer key = NULL;
  if (g_hash_table_lookup_extended (n->attaching, &peer, &key, &purpose))
    {
      guint p = GPOINTER_TO_UINT (purpose);
      g_hash_table_remove (n->attaching, &peer);
      if (p & 0x100) /* the attacher asked for our Update (rn_send_update) */
        rn_send_update (n, peer, RELOAD_CHORD_UPDATE_FULL, now);
      if (p & (PURPOSE_NEIGHBOR | PURPOSE_FINGER | PURPOSE_ADMITTING))
        {
          /* §10.5 step 4: peers this node contacted rn_enter its table */
          c->routable = TRUE;
          gboolean changed = chord_table_add (&n->table, peer);
          if (n->state == NODE_JOINED)
            {
              /* tell it that we are a peer it may rn_route through */
              rn_send_update (n, peer,
                              chord_table_is_neighbor (&n->table, peer)
                                  ? RELOAD_CHORD_UPDATE_NEIGHBORS
                                  : RELOAD_CHORD_UPDATE_PEER_READY,
                              now);
              if (changed)
                rn_table_changed (n, now);
            }
        }
    }
}

void
reload_node_link_down (ReloadNode *n, guint64 link, gint64 now)
{
  rn_enter (n, now);
  Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (link));
  if (c == NULL)
    return;
  ChordId peer = c->peer;
  char b1[33];
  TRACE (n, "link %" G_GUINT64_FORMAT " down to %s", link, rn_short_id (peer, b1));
  gboolean was_successor = n->table.n_succ > 0 && chord_id_equal (n->table.succ[0], peer);
  g_hash_table_remove (n->by_peer, &c->peer);
  g_hash_table_remove (n->links, GSIZE_TO_POINTER (link));
  reload_reassembler_forget_link (n->reassembler, GSIZE_TO_POINTER (link));
  /* §10.7.1: remove it "and replace it with the best match it has from
   * the other peers in its Routing Table" */
  if (chord_table_remove (&n->table, peer))
    {
      rn_refill_neighbors (n);
      if (was_successor)
        n->successor_lost_at = now;
      rn_table_changed (n, now);
      if (n->state == NODE_JOINED && !n->cfg.chord_reactive)
        rn_schedule (n, &n->reactive_update_at, now + REACTIVE_UPDATE_DELAY_MS,
                     TIMER_REACTIVE_UPDATE);
    }
  if (n->state == NODE_JOINED)
    rn_search_fingers (n, FALSE, now);
}

static gboolean
answer_expired (gpointer key, gpointer value, gpointer user_data)
{
  CachedAnswer *a = value;
  return a->expires <= *(gint64 *) user_data;
}

void
reload_node_expire (ReloadNode *n, gint64 now)
{
  rn_enter (n, now);
  while (n->timers->len > 0 && ((Timer *) n->timers->data)[0].at <= now)
    {
      Timer t = timer_pop (n);
      switch (t.kind)
        {
        case TIMER_RETRANSMIT:
          {
            Txn *x = g_hash_table_lookup (n->txns, &t.id);
            if (x == NULL || x->deadline != t.at)
              break;
            if (x->transmissions >= MAX_TRANSMISSIONS)
              {
                g_autoptr (GError) error =
                    g_error_new (RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_TIMEOUT,
                                 "no answer after %u transmissions", x->transmissions);
                rn_txn_finish (n, x, NULL, error);
              }
            else
              transmit (n, x, now);
          }
          break;
        case TIMER_STABILIZE:
          if (t.at != n->next_stabilize)
            break;
          n->next_stabilize = G_MAXINT64;
          if (n->state == NODE_JOINED)
            {
              /* §10.7.4.1; with RFC 7363, the estimates, the table
               * sizes and the interval are revised first (§5.2, §6) */
              rn_self_tuning_tick (n, now);
              rn_update_neighbors (n, now);
              rn_drop_outside_replica_set (n);
              rn_schedule (n, &n->next_stabilize, now + rn_stabilize_interval_ms (n),
                           TIMER_STABILIZE);
            }
          break;
        case TIMER_FINGERS:
          if (t.at != n->next_fingers)
            break;
          n->next_fingers = G_MAXINT64;
          if (n->state == NODE_JOINED)
            {
              /* §10.7.4.2 */
              rn_search_fingers (n, FALSE, now);
              rn_schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                           TIMER_FINGERS);
            }
          break;
        case TIMER_REACTIVE_UPDATE:
          if (t.at != n->reactive_update_at)
            break;
          n->reactive_update_at = G_MAXINT64;
          if (n->state == NODE_JOINED)
            rn_update_neighbors (n, now);
          break;
        case TIMER_REPLICATE:
          if (t.at != n->replicate_at)
            break;
          n->replicate_at = G_MAXINT64;
          if (n->state == NODE_JOINED)
            rn_replicate (n, now);
          break;
        case TIMER_JOIN:
          if (t.at != n->join_at)
            break;
          n->join_at = G_MAXINT64;
          rn_send_join (n, now);
          break;
        case TIMER_CONFIG_PUSH:
          if (t.at != n->config_push_at)
            break;
          n->config_push_at = G_MAXINT64;
          rn_config_push_links (n, now);
          break;
        case TIMER_TURN:
          rn_turn_timer (n, t.id, t.at, now);
          break;
        case TIMER_APP_ATTACH:
          rn_app_attach_timer (n, t.id, t.at);
          break;
        case TIMER_HOUSEKEEPING:
          g_hash_table_foreach_remove (n->answers, answer_expired, &now);
          reload_reassembler_expire (n->reassembler, now * 1000);
          reload_storage_expire (n->storage, now);
          rn_timer_push (n, now + 1000, TIMER_HOUSEKEEPING, 0);
          break;
        }
    }
}

gint64
reload_node_next_expiry (const ReloadNode *n)
{
  return n->timers->len > 0 ? ((const Timer *) n->timers->data)[0].at : G_MAXINT64;
}

gboolean
reload_node_is_joined (const ReloadNode *n)
{
  return n->state == NODE_JOINED;
}

gboolean
reload_node_is_client (const ReloadNode *n)
{
  return n->state == NODE_CLIENT;
}

const ChordTable *
reload_node_table (const ReloadNode *n)
{
  return &n->table;
}

ChordId
reload_node_get_id (const ReloadNode *n)
{
  return n->self;
}

guint
reload_node_n_links (const ReloadNode *n)
{
  return g_hash_table_size (n->links);
}

ReloadStorage *
reload_node_storage (ReloadNode *n)
{
  return n->storage;
}

const ReloadNodeCounters *
reload_node_counters (const ReloadNode *n)
{
  return &n->counters;
}
