/* reload-node.c: message processing (RFC 6940 §6.1, §6.2), CHORD-RELOAD
 * (§10) and the storage methods (§7.4) of a RELOAD node, without I/O.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node.h"

#include "reload-datastore.h"

#include <math.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-node-error-quark, reload_node_error)
/* clang-format on */

#define DEFAULT_MAX_MESSAGE_SIZE 5000               /* §11.1 example configuration */
#define DEFAULT_RELIABILITY_TIMER_MS 3000           /* §6.2.1 */
#define MAX_TRANSMISSIONS 5                         /* §6.2.1: "a total of 5 messages" */
#define ANSWER_CACHE_MS 15000                       /* §6.2.1: maximum request lifetime */
#define REASSEMBLY_TIMEOUT_US (15 * G_USEC_PER_SEC) /* §6.7 */
#define REPLICA_HOLD_DOWN_MS 30000                  /* §10.7.1 successor replacement hold-down */
#define REACTIVE_UPDATE_DELAY_MS 50                 /* coalesces a burst of table changes */
#define JOIN_ATTACH_WAIT_MS 2000                    /* §10.5 step 3: time for neighbor Attaches */
#define JOIN_RETRY_MS 10000                         /* a join that made no progress starts over */
#define N_REPLICAS 2                                /* §10.4: the next two successors */

/* ---------------------------------------------------------------- timers */

typedef enum
{
  TIMER_RETRANSMIT, /* id: transaction */
  TIMER_STABILIZE,
  TIMER_FINGERS,
  TIMER_REACTIVE_UPDATE,
  TIMER_REPLICATE,
  TIMER_JOIN,
  TIMER_HOUSEKEEPING, /* answer cache, reassembly, storage expiry */
} TimerKind;

typedef struct
{
  gint64 at;
  guint64 id;
  TimerKind kind;
} Timer;

/* ---------------------------------------------------------------- state */

typedef struct
{
  guint64 link;
  gint64 last_correction; /* when we last answered its Update with ours */
  ReloadNodeId peer_id;
  ChordId peer;
  /* a peer of the routing table (§10.5 step 4), not only a connection:
   * we attached to it, or it told us it is a peer by an Update */
  gboolean routable;
} Conn;

typedef enum
{
  PURPOSE_NEIGHBOR = 1 << 0,
  PURPOSE_FINGER = 1 << 1,
  PURPOSE_ADMITTING = 1 << 2,
} AttachPurpose;

typedef struct
{
  guint64 tid;
  GBytes *bytes;
  guint16 code;
  guint transmissions;
  gint64 deadline;
  ReloadDestination first; /* for routing retransmissions */
  ReloadRequestDone done;
  gpointer user_data;
  gboolean maintenance;
  AttachPurpose purpose; /* for Attach requests */
} Txn;

typedef struct
{
  GBytes *bytes;
  gint64 expires;
  guint64 link;
} CachedAnswer;

typedef enum
{
  NODE_IDLE,
  NODE_JOINING,
  NODE_JOINED,
  NODE_CLIENT, /* §3.2.1: attached to one peer, not in the ring */
} NodeState;

struct ReloadNode
{
  gboolean trace; /* CHORUS_NODE_TRACE=1: one line per event on stderr */
  ReloadNodeConfig cfg;
  char *user_name;
  char *overlay_name;
  ReloadIceCandidate *candidates;
  guint n_candidates;
  ReloadKindTable *kinds;
  ReloadTestSigner *own_test_signer;

  ReloadNodeShell shell;
  gpointer shell_data;

  ReloadNodeId node_id;
  ChordId self;
  guint32 overlay_hash;
  RwOptions wire;
  ChordTable table;
  NodeState state;
  gint64 started_ms;
  GRand *rand;

  GHashTable *links;     /* link -> Conn */
  GHashTable *by_peer;   /* ChordId* (in Conn) -> Conn */
  GHashTable *attaching; /* ChordId* -> AttachPurpose, Attaches in flight */
  GHashTable *txns;      /* tid -> Txn */
  GHashTable *answers;   /* tid -> CachedAnswer */

  GArray *timers; /* binary heap of Timer */
  gint64 next_stabilize;
  gint64 next_fingers;
  gint64 reactive_update_at;
  gint64 replicate_at;
  gint64 join_at;

  ChordId admitting_peer;
  gboolean have_admitting;
  gboolean admitting_update_seen;

  /* replication bookkeeping (§10.4, §10.7.3) */
  ChordId replicas[N_REPLICAS];
  guint n_replicas;
  ChordId replicated_range_start;
  gint64 successor_lost_at;

  gint64 now; /* the time of the call being processed */
  ReloadStorage *storage;
  ReloadReassembler *reassembler;
  RwArena *scratch;
  ReloadNodeCounters counters;
};

/* ---------------------------------------------------------------- helpers */

#define TRACE(n, ...)                                                                              \
  do                                                                                               \
    {                                                                                              \
      if ((n)->trace)                                                                              \
        {                                                                                          \
          char hex_[33];                                                                           \
          g_printerr ("%8" G_GINT64_FORMAT " %.8s ", (n)->now, chord_id_to_hex ((n)->self, hex_)); \
          g_printerr (__VA_ARGS__);                                                                \
          g_printerr ("\n");                                                                       \
        }                                                                                          \
    }                                                                                              \
  while (0)

static const char *
short_id (ChordId id, char buf[33])
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

static guint64
random_u64 (ReloadNode *n)
{
  return (guint64) g_rand_int (n->rand) << 32 | g_rand_int (n->rand);
}

static void
timer_push (ReloadNode *n, gint64 at, TimerKind kind, guint64 id)
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

static Conn *
conn_by_peer (ReloadNode *n, ChordId peer)
{
  return g_hash_table_lookup (n->by_peer, &peer);
}

static ReloadDestination
dest_node (ChordId id)
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

/* The largest message sent whole on a link: above it, fragments (§6.7)
 * that fit a 1500-byte path with room for IP, UDP, DTLS and the framing
 * header, less the room a via list may grow on the way. */
#define LINK_PAYLOAD_MAX (1200 - RELOAD_FRAGMENT_VIA_HEADROOM)

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
static void
enter (ReloadNode *n, gint64 now)
{
  n->now = now;
  rw_arena_reset (n->scratch);
}

static void txn_finish (ReloadNode *n, Txn *t, const ReloadMessage *answer, const GError *error);

/* ---------------------------------------------------------------- life */

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
  n->reassembler = reload_reassembler_new (n->cfg.max_message_size, REASSEMBLY_TIMEOUT_US);
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
      txn_finish (n, t, NULL, error);
    }
  g_list_free (pending);
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

/* ---------------------------------------------------------------- sending */

/* Signs and encodes @m (its header, contents and body filled). */
static GBytes *
seal (ReloadNode *n, ReloadMessage *m)
{
  g_autoptr (GError) error = NULL;
  m->header.overlay = n->overlay_hash;
  m->header.configuration_sequence = n->cfg.configuration_sequence;
  /* the SignerIdentity is part of the signed bytes (§6.3.4): fill it
   * first, sign after */
  ReloadSignature probe = { 0 };
  n->cfg.security->sign (n->cfg.security_data, (const guint8 *) "", 0, m->arena, &probe);
  m->security_block.signature.identity = probe.identity;
  g_autoptr (GBytes) input = reload_message_signature_input (m, &n->wire, &error);
  if (input == NULL)
    {
      g_warning ("reload-node: cannot sign a %s: %s",
                 rw_enum_name (reload_message_code_names, m->message_code), error->message);
      return NULL;
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (input, &len);
  n->cfg.security->sign (n->cfg.security_data, data, len, m->arena, &m->security_block.signature);
  GBytes *out = reload_message_encode (m, &n->wire, &error);
  if (out == NULL)
    TRACE (n, "cannot encode a %s: %s", rw_enum_name (reload_message_code_names, m->message_code),
           error->message);
  return out;
}

static void process (ReloadNode *n, guint64 from_link, GBytes *bytes, gint64 now);

/* Where a message whose first destination is @d goes: a link, or 0 for
 * this node itself.  FALSE when there is no route. */
static gboolean
route (ReloadNode *n, const ReloadDestination *d, guint64 *link)
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
      Conn *c = conn_by_peer (n, target);
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
  Conn *c = conn_by_peer (n, next);
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
  timer_push (n, t->deadline, TIMER_RETRANSMIT, t->tid);
  if (!route (n, &t->first, &link))
    {
      TRACE (n, "no route for %s (try %u)", rw_enum_name (reload_message_code_names, t->code),
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

static guint64
send_request (ReloadNode *n, const ReloadDestination *dests, guint n_dests, guint16 code,
              gpointer body, ReloadRequestDone done, gpointer user_data, gboolean maintenance,
              AttachPurpose purpose, gint64 now)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  guint64 tid;
  do
    tid = random_u64 (n);
  while (tid == 0 || g_hash_table_contains (n->txns, &tid));
  m->header.ttl = n->cfg.initial_ttl;
  m->header.transaction_id = tid;
  m->header.n_destination_list = n_dests;
  m->header.destination_list = reload_message_alloc (m, n_dests * sizeof (ReloadDestination));
  memcpy (m->header.destination_list, dests, n_dests * sizeof (ReloadDestination));
  m->message_code = code;
  m->body = body;
  GBytes *bytes = seal (n, m);
  if (bytes == NULL)
    return 0;
  Txn *t = g_new0 (Txn, 1);
  t->tid = tid;
  t->bytes = bytes;
  t->code = code;
  t->first = dests[0];
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

static void
txn_finish (ReloadNode *n, Txn *t, const ReloadMessage *answer, const GError *error)
{
  ReloadRequestDone done = t->done;
  gpointer user_data = t->user_data;
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
  enter (n, now);
  g_return_val_if_fail (n_dest > 0 && n_dest <= 16, 0);
  return send_request (n, destinations, n_dest, code, body, done, user_data, FALSE, 0, now);
}

guint64
reload_node_request (ReloadNode *n, const ReloadDestination *destination, guint16 code,
                     gpointer body, ReloadRequestDone done, gpointer user_data, gint64 now)
{
  enter (n, now);
  return send_request (n, destination, 1, code, body, done, user_data, FALSE, 0, now);
}

/* ---------------------------------------------------------------- answering */

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
  d[0] = dest_node (from ? from->peer : n->self);
  for (guint i = 0; i < h->n_via_list; i++)
    d[1 + i] = h->via_list[h->n_via_list - 1 - i];
  m->header.ttl = n->cfg.initial_ttl;
  m->header.transaction_id = h->transaction_id;
  m->header.destination_list = d;
  m->header.n_destination_list = nd;
  m->message_code = code;
  m->body = body;
  GBytes *bytes = seal (n, m);
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
  /* §6.2.1: retransmissions get the same answer for 15 s */
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

static void
send_answer (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 code,
             gpointer body, gint64 now)
{
  /* answers to the overlay's own upkeep count as maintenance traffic */
  gboolean maintenance = req->message_code == RELOAD_UPDATE_REQ
                         || req->message_code == RELOAD_ATTACH_REQ
                         || (req->message_code == RELOAD_STORE_REQ
                             && ((const ReloadStoreReq *) req->body)->replica_number > 0);
  send_answer_to (n, from_link, &req->header, maintenance, code, body, now);
}

static void
send_error (ReloadNode *n, guint64 from_link, const ReloadMessage *req, guint16 error_code,
            const char *info, gint64 now)
{
  ReloadErrorResponse e = { 0 };
  e.error_code = error_code;
  e.error_info = (RwBytes){ (const guint8 *) info, strlen (info) };
  send_answer (n, from_link, req, RELOAD_ERROR, &e, now);
}

/* ---------------------------------------------------------------- Chord */

static void send_update (ReloadNode *n, ChordId to, guint8 type, gint64 now);

static void
schedule (ReloadNode *n, gint64 *slot, gint64 at, TimerKind kind)
{
  if (*slot <= at)
    return;
  *slot = at;
  timer_push (n, at, kind, 0);
}

static void
table_changed (ReloadNode *n, gint64 now)
{
  if (n->state != NODE_JOINED)
    return;
  /* §10.7.3: with reactive recovery, an Update to the neighbors after a
   * change; coalesced over a short delay */
  if (n->cfg.chord_reactive)
    schedule (n, &n->reactive_update_at, now + REACTIVE_UPDATE_DELAY_MS, TIMER_REACTIVE_UPDATE);
  gint64 at = now + 1000;
  if (n->successor_lost_at > 0 && now - n->successor_lost_at < REPLICA_HOLD_DOWN_MS)
    at = n->successor_lost_at + REPLICA_HOLD_DOWN_MS;
  schedule (n, &n->replicate_at, at, TIMER_REPLICATE);
}

/* §10.5 step 5 comes once the admitting peer is connected, after a little
 * time for the Attaches of step 3. */
static void
maybe_schedule_join (ReloadNode *n, gint64 now)
{
  if (n->state == NODE_JOINING && n->have_admitting && conn_by_peer (n, n->admitting_peer) != NULL)
    schedule (n, &n->join_at, now + JOIN_ATTACH_WAIT_MS, TIMER_JOIN);
}

static void
attach_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  /* the AttachAns is handled in handle_answer; here only the failure */
  ChordId *target = user_data;
  if (error != NULL)
    g_hash_table_remove (n->attaching, target);
  g_free (target);
}

/* Sends an Attach (§6.5.1) towards @target: a node, source-routed through
 * @via when given (§10.6), or a resource id (fingers, the admitting peer). */
static void
send_attach (ReloadNode *n, ChordId target, gboolean to_resource, const ChordId *via,
             AttachPurpose purpose, gboolean send_update_flag, gint64 now)
{
  if (!to_resource)
    {
      if (conn_by_peer (n, target) != NULL || chord_id_equal (target, n->self))
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
  ReloadAttachReqAns a = { 0 };
  a.ufrag = (RwBytes){ (const guint8 *) "chrs", 4 };
  a.password = (RwBytes){ (const guint8 *) "chorus-sim-password-0", 21 };
  a.role = (RwBytes){ (const guint8 *) "passive", 7 };
  a.candidates = n->candidates;
  a.n_candidates = n->n_candidates;
  a.send_update = send_update_flag;
  ReloadDestination d[2] = { 0 };
  guint nd = 0;
  if (via != NULL)
    d[nd++] = dest_node (*via);
  if (to_resource)
    {
      guint8 *rid = g_malloc (16);
      chord_id_to_bytes (target, rid);
      d[nd].type = RELOAD_DESTINATION_RESOURCE;
      d[nd].resource_id = (RwBytes){ rid, 16 };
      nd++;
      send_request (n, d, nd, RELOAD_ATTACH_REQ, &a, attach_done,
                    g_memdup2 (&target, sizeof target), TRUE, purpose, now);
      g_free (rid);
    }
  else
    {
      d[nd++] = dest_node (target);
      send_request (n, d, nd, RELOAD_ATTACH_REQ, &a, attach_done,
                    g_memdup2 (&target, sizeof target), TRUE, purpose, now);
    }
}

static void
update_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
}

static void
send_update (ReloadNode *n, ChordId to, guint8 type, gint64 now)
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
  ReloadDestination d = dest_node (to);
  send_request (n, &d, 1, RELOAD_UPDATE_REQ, &u, update_done, NULL, TRUE, 0, now);
}

static void
update_neighbors (ReloadNode *n, gint64 now)
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
    send_update (n, peers[i], RELOAD_CHORD_UPDATE_NEIGHBORS, now);
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
      Conn *c = conn_by_peer (n, id);
      if (c != NULL)
        {
          if (!chord_table_contains (&n->table, id) && chord_table_wants_neighbor (&n->table, id))
            {
              c->routable = TRUE;
              if (chord_table_add (&n->table, id))
                table_changed (n, now);
            }
          continue;
        }
      if (chord_table_wants_neighbor (&n->table, id))
        send_attach (n, id, FALSE, &via, PURPOSE_NEIGHBOR, FALSE, now);
    }
}

static void
search_fingers (ReloadNode *n, gboolean all, gint64 now)
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
          chord_table_finger_random_target (&n->table, i, random_u64 (n), random_u64 (n));
      send_attach (n, target, TRUE, NULL, PURPOSE_FINGER, FALSE, now);
      if (!all)
        return;
    }
}

/* ---------------------------------------------------------------- replication */

typedef struct
{
  ReloadNode *node;
  GPtrArray *ids; /* of GBytes resource ids */
} CollectCtx;

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

static void
send_store_copy (ReloadNode *n, ChordId to, GBytes *rid, guint8 replica_number, gint64 now)
{
  g_autoptr (RwArena) arena = rw_arena_new (0);
  RwBytes r = { g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) };
  ReloadStoreReq *req = reload_storage_export (n->storage, r, replica_number, now, arena);
  if (req == NULL)
    return;
  ReloadDestination d = dest_node (to);
  send_request (n, &d, 1, RELOAD_STORE_REQ, req, store_done, NULL, TRUE, 0, now);
}

/* §10.4 and §10.7.3: new members of the replica set get the data this
 * peer is responsible for; data for which it is no longer responsible
 * nor a replica is dropped. */
static void
replicate (ReloadNode *n, gint64 now)
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
        continue;
      gboolean newly_responsible =
          !chord_id_in_open_closed (id, n->replicated_range_start, n->self);
      for (guint i = 0; i < nr; i++)
        {
          gboolean known = FALSE;
          for (guint j = 0; j < n->n_replicas; j++)
            known |= chord_id_equal (n->replicas[j], replicas[i]);
          if (!known || newly_responsible)
            send_store_copy (n, replicas[i], rid, (guint8) (i + 1), now);
        }
    }
  g_ptr_array_unref (ctx.ids);
  memcpy (n->replicas, replicas, sizeof replicas);
  n->n_replicas = nr;
  n->replicated_range_start = range_start;

  /* §10.7.3: "When peer x detects that it is no longer in the replica set
   * for a resource R (i.e., there are three predecessors between x and
   * R), it SHOULD delete all data associated with R" */
  if (n->table.n_pred >= N_REPLICAS + 1)
    reload_storage_drop_outside (n->storage, n->table.pred[N_REPLICAS], n->self);
}

/* ---------------------------------------------------------------- requests */

typedef struct
{
  ReloadSignerInfo signer;
  ChordId origin; /* the request's origin: first via entry, or the previous hop */
  guint64 from_link;
} RequestCtx;

static void
handle_attach_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadAttachReqAns *req = m->body;
  ReloadAttachReqAns ans = { 0 };
  ans.ufrag = (RwBytes){ (const guint8 *) "chrs", 4 };
  ans.password = (RwBytes){ (const guint8 *) "chorus-sim-password-0", 21 };
  ans.role = (RwBytes){ (const guint8 *) "active", 6 };
  ans.candidates = n->candidates;
  ans.n_candidates = n->n_candidates;
  send_answer (n, ctx->from_link, m, RELOAD_ATTACH_ANS, &ans, now);
  if (chord_id_equal (ctx->origin, n->self))
    return;
  Conn *c = conn_by_peer (n, ctx->origin);
  if (c != NULL)
    {
      if (req->send_update)
        send_update (n, ctx->origin, RELOAD_CHORD_UPDATE_FULL, now);
      return;
    }
  /* §10.8-style: the answerer "SHOULD initiate an Update" once connected */
  if (req->send_update)
    g_hash_table_insert (
        n->attaching, g_memdup2 (&ctx->origin, sizeof (ChordId)),
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (n->attaching, &ctx->origin))
                          | 0x100));
  ReloadNodeId peer = chord_id_to_node_id (ctx->origin);
  if (n->shell.connect)
    n->shell.connect (n->shell_data, &peer, req->candidates, req->n_candidates);
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

static void
handle_update_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadChordUpdate *u = m->body;
  ReloadUpdateAns ans = { 0 };
  send_answer (n, ctx->from_link, m, RELOAD_UPDATE_ANS, &ans, now);
  ChordId from = ctx->origin;
  Conn *c = conn_by_peer (n, from);
  if (c != NULL)
    {
      /* an Update tells that its sender is a peer (§10.7 peer_ready) */
      c->routable = TRUE;
      if (chord_table_add (&n->table, from))
        table_changed (n, now);
    }
  if (n->state == NODE_JOINING && n->have_admitting && chord_id_equal (from, n->admitting_peer))
    {
      n->admitting_update_seen = TRUE;
      maybe_schedule_join (n, now);
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
      send_update (n, from, RELOAD_CHORD_UPDATE_NEIGHBORS, now);
    }
}

static void
handle_join_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadJoinReq *req = m->body;
  ChordId jn = chord_id_from_node_id (&req->joining_peer_id);
  if (!chord_id_equal (jn, ctx->origin) || !chord_table_is_responsible (&n->table, jn)
      || n->state != NODE_JOINED)
    {
      send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN, "not the admitting peer", now);
      return;
    }
  ReloadJoinAns ans = { 0 };
  send_answer (n, ctx->from_link, m, RELOAD_JOIN_ANS, &ans, now);
  ChordId old_start = chord_table_range_start (&n->table);
  /* §10.5 step 6: the data the joining node is now responsible for */
  CollectCtx cc = { n, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  reload_storage_foreach (n->storage, collect_resource, &cc);
  for (guint k = 0; k < cc.ids->len; k++)
    {
      GBytes *rid = g_ptr_array_index (cc.ids, k);
      ChordId id = chord_id_from_resource_id (
          (RwBytes){ g_bytes_get_data (rid, NULL), g_bytes_get_size (rid) });
      if (chord_id_in_open_closed (id, old_start, jn))
        send_store_copy (n, jn, rid, 1, now);
    }
  g_ptr_array_unref (cc.ids);
  Conn *c = conn_by_peer (n, jn);
  if (c != NULL)
    {
      c->routable = TRUE;
      chord_table_add (&n->table, jn);
    }
  /* §10.5 steps 7 and 8 */
  update_neighbors (n, now);
  if (!chord_table_is_neighbor (&n->table, jn))
    send_update (n, jn, RELOAD_CHORD_UPDATE_NEIGHBORS, now);
  table_changed (n, now);
}

/* After a loss: every peer this node is connected to as a routing peer is
 * a candidate for the Neighbor Table (§10.7.1); when all successors are
 * gone the nearest fingers stand in, and the Updates exchanged with them
 * lead to the true neighbors, as the Ping search of §10.7.1 would. */
static void
refill_neighbors (ReloadNode *n)
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
  const RwBytes *h = answer ? &answer->security_block.signature.identity.hash : NULL;
  if (answer != NULL && answer->message_code == RELOAD_PING_ANS && h->len == 16)
    {
      /* §10.7.4.4: "If a response is received from peer S', which is not
       * P's successor, then the overlay is partitioned and P SHOULD send an
       * Attach to S' routed through B, followed by an Update sent to S'" (the
       * Update follows when the link is up) */
      ChordId s2 = chord_id_from_bytes (h->data);
      gboolean is_successor = n->table.n_succ > 0 && chord_id_equal (n->table.succ[0], s2);
      if (!is_successor && !chord_id_equal (s2, n->self) && conn_by_peer (n, s2) == NULL)
        {
          char b1[33];
          TRACE (n, "partition: %s answers for our id", short_id (s2, b1));
          send_attach (n, s2, FALSE, via, PURPOSE_NEIGHBOR, FALSE, n->now);
        }
    }
  g_free (via);
}

void
reload_node_check_partition (ReloadNode *n, guint64 bootstrap_link, const ReloadNodeId *bootstrap,
                             gint64 now)
{
  enter (n, now);
  if (n->state != NODE_JOINED)
    return;
  reload_node_link_up (n, bootstrap_link, bootstrap, now);
  ChordId b = chord_id_from_node_id (bootstrap);
  if (conn_by_peer (n, b) == NULL)
    return;
  /* §10.7.4.4: "P SHOULD then send a Ping for its own Node-ID routed
   * through B" */
  guint8 rid[16];
  chord_id_to_bytes (n->self, rid);
  ReloadDestination d[2] = { { 0 } };
  d[0] = dest_node (b);
  d[1].type = RELOAD_DESTINATION_RESOURCE;
  d[1].resource_id = (RwBytes){ rid, 16 };
  ReloadPingReq ping = { 0 };
  send_request (n, d, 2, RELOAD_PING_REQ, &ping, partition_check_done, g_memdup2 (&b, sizeof b),
                TRUE, 0, now);
}

static void
handle_leave_req (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  const ReloadLeaveReq *req = m->body;
  ReloadLeaveAns ans = { 0 };
  send_answer (n, ctx->from_link, m, RELOAD_LEAVE_ANS, &ans, now);
  ChordId leaving = chord_id_from_node_id (&req->leaving_peer_id);
  if (!chord_id_equal (leaving, ctx->origin))
    return;
  Conn *c = conn_by_peer (n, leaving);
  if (c != NULL)
    c->routable = FALSE;
  if (chord_table_remove (&n->table, leaving))
    {
      refill_neighbors (n);
      table_changed (n, now);
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
          if (!chord_id_equal (p, n->self) && conn_by_peer (n, p) == NULL
              && chord_table_wants_neighbor (&n->table, p))
            send_attach (n, p, FALSE, NULL, PURPOSE_NEIGHBOR, FALSE, now);
        }
    }
}

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
  return n->cfg.security->verify (n->cfg.security_data, input->data, input->len, &data->signature,
                                  NULL, 0, n->scratch, out_signer);
}

void
reload_node_sign_stored_data (ReloadNode *n, RwBytes resource_id, guint32 kind,
                              ReloadStoredData *data, RwArena *arena)
{
  /* the identity is signed too: learn it first */
  ReloadSignature probe = { 0 };
  n->cfg.security->sign (n->cfg.security_data, (const guint8 *) "", 0, arena, &probe);
  data->signature.identity = probe.identity;
  g_autoptr (GByteArray) input = g_byte_array_new ();
  stored_data_signature_input (n, resource_id, kind, data, input);
  n->cfg.security->sign (n->cfg.security_data, input->data, input->len, arena, &data->signature);
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
        ReloadStoreAns *a = rw_arena_alloc0 (arena, sizeof *a);
        st = reload_storage_store (n->storage, req, &ctx->signer, verify_stored_data, n, now, arena,
                                   a, &err);
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
              send_store_copy (n, n->table.succ[i], rid, (guint8) (i + 1), now);
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
    send_answer (n, ctx->from_link, m, code, ans, now);
  else
    send_answer (n, ctx->from_link, m, RELOAD_ERROR, &err, now);
}

static void
handle_request (ReloadNode *n, const ReloadMessage *m, RequestCtx *ctx, gint64 now)
{
  char b1[33];
  TRACE (n, "request %s %016" G_GINT64_MODIFIER "x from %s",
         rw_enum_name (reload_message_code_names, m->message_code), m->header.transaction_id,
         short_id (ctx->origin, b1));
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
        send_error (n, ctx->from_link, m, RELOAD_ERROR_FORBIDDEN, "this node is a client", now);
        return;
      default:
        break;
      }
  switch (m->message_code)
    {
    case RELOAD_PING_REQ:
      {
        ReloadPingAns a = { random_u64 (n), (guint64) now };
        send_answer (n, ctx->from_link, m, RELOAD_PING_ANS, &a, now);
      }
      break;
    case RELOAD_ROUTE_QUERY_REQ:
      {
        /* §10.8: the next peer this node would route the request to */
        const ReloadRouteQueryReq *q = m->body;
        ChordId target = q->destination.type == RELOAD_DESTINATION_RESOURCE
                             ? chord_id_from_resource_id (q->destination.resource_id)
                             : chord_id_from_node_id (&q->destination.node_id);
        ChordId next = n->self;
        if (!chord_table_is_responsible (&n->table, target))
          chord_table_next_hop (&n->table, target, &next);
        ReloadRouteQueryAns a = { chord_id_to_node_id (next) };
        send_answer (n, ctx->from_link, m, RELOAD_ROUTE_QUERY_ANS, &a, now);
        if (q->send_update && !chord_id_equal (ctx->origin, n->self))
          send_update (n, ctx->origin, RELOAD_CHORD_UPDATE_FULL, now);
      }
      break;
    case RELOAD_PROBE_REQ:
      {
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
        send_answer (n, ctx->from_link, m, RELOAD_PROBE_ANS, &a, now);
      }
      break;
    case RELOAD_ATTACH_REQ:
      handle_attach_req (n, m, ctx, now);
      break;
    case RELOAD_UPDATE_REQ:
      handle_update_req (n, m, ctx, now);
      break;
    case RELOAD_JOIN_REQ:
      handle_join_req (n, m, ctx, now);
      break;
    case RELOAD_LEAVE_REQ:
      handle_leave_req (n, m, ctx, now);
      break;
    case RELOAD_STORE_REQ:
    case RELOAD_FETCH_REQ:
    case RELOAD_STAT_REQ:
    case RELOAD_FIND_REQ:
      handle_storage (n, m, ctx, now);
      break;
    case RELOAD_CONFIG_UPDATE_REQ:
      {
        ReloadConfigUpdateAns a = { 0 };
        send_answer (n, ctx->from_link, m, RELOAD_CONFIG_UPDATE_ANS, &a, now);
      }
      break;
    default:
      send_error (n, ctx->from_link, m, RELOAD_ERROR_INVALID_MESSAGE, "method not supported", now);
      break;
    }
}

/* ---------------------------------------------------------------- answers */

static void
handle_answer (ReloadNode *n, const ReloadMessage *m, const ReloadSignerInfo *signer, gint64 now)
{
  guint64 tid = m->header.transaction_id;
  Txn *t = g_hash_table_lookup (n->txns, &tid);
  TRACE (n, "answer %s %016" G_GINT64_MODIFIER "x%s",
         rw_enum_name (reload_message_code_names, m->message_code), tid,
         t ? "" : " (no transaction)");
  if (t == NULL)
    return; /* a duplicate, or too late */
  if (m->message_code == RELOAD_ERROR)
    {
      const ReloadErrorResponse *e = m->body;
      const char *name = rw_enum_name (reload_error_code_names, e->error_code);
      g_autoptr (GError) error = g_error_new (RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_RESPONSE, "%s",
                                              name ? name : "error response");
      txn_finish (n, t, m, error);
      return;
    }
  if (m->message_code != t->code + 1)
    return;
  if (m->message_code == RELOAD_ATTACH_ANS && signer->n_node_ids > 0)
    {
      /* §6.5.1: connect to the answerer with its candidates */
      ChordId peer = chord_id_from_node_id (&signer->node_ids[0]);
      const ReloadAttachReqAns *a = m->body;
      if (!chord_id_equal (peer, n->self))
        {
          AttachPurpose p = GPOINTER_TO_UINT (g_hash_table_lookup (n->attaching, &peer));
          g_hash_table_insert (n->attaching, g_memdup2 (&peer, sizeof peer),
                               GUINT_TO_POINTER (p | t->purpose | PURPOSE_NEIGHBOR));
          if (t->purpose & PURPOSE_ADMITTING)
            {
              n->admitting_peer = peer;
              n->have_admitting = TRUE;
            }
          Conn *c = conn_by_peer (n, peer);
          if (c != NULL)
            reload_node_link_up (n, c->link, &signer->node_ids[0], now);
          else if (n->shell.connect)
            n->shell.connect (n->shell_data, &signer->node_ids[0], a->candidates, a->n_candidates);
          maybe_schedule_join (n, now);
        }
    }
  if (m->message_code == RELOAD_JOIN_ANS && n->state == NODE_JOINING)
    {
      n->state = NODE_JOINED;
      n->replicated_range_start = chord_table_range_start (&n->table);
      /* §10.5 step 9 */
      update_neighbors (n, now);
      schedule (n, &n->next_stabilize,
                now + g_rand_int_range (n->rand, 1, (gint32) n->cfg.chord_update_interval_s * 1000),
                TIMER_STABILIZE);
      schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                TIMER_FINGERS);
      if (n->shell.joined)
        n->shell.joined (n->shell_data);
    }
  txn_finish (n, t, m, NULL);
}

/* ---------------------------------------------------------------- receiving */

static void
deliver (ReloadNode *n, guint64 from_link, GBytes *bytes, guint n_via, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadMessage) m = reload_message_decode (bytes, &n->wire, &error);
  if (m == NULL)
    {
      drop (n, error->message);
      return;
    }
  if (m->is_fragment)
    return;
  /* §6.3.4: the destination verifies the signature */
  g_autoptr (GBytes) input = reload_message_signature_input (m, &n->wire, NULL);
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
      handle_answer (n, m, &signer, now);
      return;
    }
  /* §6.3.2.1: a request's configuration sequence must be ours */
  if (m->header.configuration_sequence != n->cfg.configuration_sequence
      && !(m->message_code == RELOAD_CONFIG_UPDATE_REQ
           && m->header.configuration_sequence == 0xffff))
    {
      send_error (n, from_link, m,
                  (gint16) (m->header.configuration_sequence - n->cfg.configuration_sequence) < 0
                      ? RELOAD_ERROR_CONFIG_TOO_OLD
                      : RELOAD_ERROR_CONFIG_TOO_NEW,
                  "configuration sequence", now);
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
  Conn *from = from_link ? g_hash_table_lookup (n->links, GSIZE_TO_POINTER (from_link)) : NULL;
  if (m->header.n_via_list > 0 && m->header.via_list[0].type == RELOAD_DESTINATION_NODE)
    ctx.origin = chord_id_from_node_id (&m->header.via_list[0].node_id);
  else
    ctx.origin = from ? from->peer : n->self;
  /* a request's origin is its signer (§6.3.4: responses are checked the
   * same way by the requester) */
  if (!chord_id_equal (ctx.origin, chord_id_from_node_id (&signer.node_ids[0])))
    {
      send_error (n, from_link, m, RELOAD_ERROR_FORBIDDEN, "signer is not the origin", now);
      return;
    }
  if (n->shell.delivered)
    n->shell.delivered (n->shell_data, m->message_code, tid, from_link ? n_via + 1 : 0);
  handle_request (n, m, &ctx, now);
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
  ReloadDestination *via = NULL;
  if (is_request && from != NULL)
    {
      /* §6.1.2: append the Node-ID of the node the request came from */
      via = g_newa (ReloadDestination, h->n_via_list + 1);
      if (h->n_via_list > 0)
        memcpy (via, h->via_list, h->n_via_list * sizeof (ReloadDestination));
      via[h->n_via_list] = dest_node (from->peer);
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
          if (conn_by_peer (n, k) == NULL && n->state == NODE_JOINED
              && chord_table_is_responsible (&n->table, k) && n->table.n_pred > 0)
            {
              drop (n, "node we are responsible for, not connected");
              break;
            }
        }
      if (!route (n, d, &link) || link == from_link || link == 0)
        {
          drop (n, "no route");
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
  enter (n, now);
  TRACE (n, "receive %" G_GSIZE_FORMAT " bytes on link %" G_GUINT64_FORMAT, len, link);
  if (len > n->cfg.max_message_size + 1024)
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

/* ---------------------------------------------------------------- links */

void
reload_node_link_up (ReloadNode *n, guint64 link, const ReloadNodeId *peer_id, gint64 now)
{
  n->now = now;
  ChordId peer = chord_id_from_node_id (peer_id);
  char b1[33];
  TRACE (n, "link %" G_GUINT64_FORMAT " up to %s", link, short_id (peer, b1));
  Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (link));
  if (c == NULL)
    {
      Conn *old = conn_by_peer (n, peer);
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
    maybe_schedule_join (n, now);
  gpointer purpose = NULL;
  gpointer key = NULL;
  if (g_hash_table_lookup_extended (n->attaching, &peer, &key, &purpose))
    {
      guint p = GPOINTER_TO_UINT (purpose);
      g_hash_table_remove (n->attaching, &peer);
      if (p & 0x100) /* the attacher asked for our Update (send_update) */
        send_update (n, peer, RELOAD_CHORD_UPDATE_FULL, now);
      if (p & (PURPOSE_NEIGHBOR | PURPOSE_FINGER | PURPOSE_ADMITTING))
        {
          /* §10.5 step 4: peers this node contacted enter its table */
          c->routable = TRUE;
          gboolean changed = chord_table_add (&n->table, peer);
          if (n->state == NODE_JOINED)
            {
              /* tell it that we are a peer it may route through */
              send_update (n, peer,
                           chord_table_is_neighbor (&n->table, peer)
                               ? RELOAD_CHORD_UPDATE_NEIGHBORS
                               : RELOAD_CHORD_UPDATE_PEER_READY,
                           now);
              if (changed)
                table_changed (n, now);
            }
        }
    }
}

void
reload_node_link_down (ReloadNode *n, guint64 link, gint64 now)
{
  enter (n, now);
  Conn *c = g_hash_table_lookup (n->links, GSIZE_TO_POINTER (link));
  if (c == NULL)
    return;
  ChordId peer = c->peer;
  char b1[33];
  TRACE (n, "link %" G_GUINT64_FORMAT " down to %s", link, short_id (peer, b1));
  gboolean was_successor = n->table.n_succ > 0 && chord_id_equal (n->table.succ[0], peer);
  g_hash_table_remove (n->by_peer, &c->peer);
  g_hash_table_remove (n->links, GSIZE_TO_POINTER (link));
  reload_reassembler_forget_link (n->reassembler, GSIZE_TO_POINTER (link));
  /* §10.7.1: remove it "and replace it with the best match it has from
   * the other peers in its Routing Table" */
  if (chord_table_remove (&n->table, peer))
    {
      refill_neighbors (n);
      if (was_successor)
        n->successor_lost_at = now;
      table_changed (n, now);
      if (n->state == NODE_JOINED && !n->cfg.chord_reactive)
        schedule (n, &n->reactive_update_at, now + REACTIVE_UPDATE_DELAY_MS, TIMER_REACTIVE_UPDATE);
    }
  if (n->state == NODE_JOINED)
    search_fingers (n, FALSE, now);
}

/* ---------------------------------------------------------------- join */

void
reload_node_start (ReloadNode *n, guint64 bootstrap_link, const ReloadNodeId *bootstrap, gint64 now)
{
  enter (n, now);
  n->started_ms = now;
  timer_push (n, now + 1000, TIMER_HOUSEKEEPING, 0);
  if (bootstrap_link == 0)
    {
      /* the first peer: a ring of one, responsible for everything */
      n->state = NODE_JOINED;
      n->replicated_range_start = n->self;
      schedule (n, &n->next_stabilize, now + (gint64) n->cfg.chord_update_interval_s * 1000,
                TIMER_STABILIZE);
      schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                TIMER_FINGERS);
      if (n->shell.joined)
        n->shell.joined (n->shell_data);
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
  schedule (n, &n->join_at, now + JOIN_RETRY_MS, TIMER_JOIN);
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

static void
send_join (ReloadNode *n, gint64 now)
{
  if (n->state != NODE_JOINING)
    return;
  if (!n->have_admitting || conn_by_peer (n, n->admitting_peer) == NULL)
    {
      /* no admitting peer yet (its Attach was lost or refused): ask again */
      n->have_admitting = FALSE;
      send_attach (n, chord_id_add (n->self, (ChordId){ 0, 1 }), TRUE, NULL, PURPOSE_ADMITTING,
                   TRUE, now);
      schedule (n, &n->join_at, now + JOIN_RETRY_MS, TIMER_JOIN);
      return;
    }
  /* and a watchdog, should the Join itself get lost */
  schedule (n, &n->join_at,
            now + JOIN_RETRY_MS + (gint64) n->cfg.overlay_reliability_timer_ms * MAX_TRANSMISSIONS,
            TIMER_JOIN);
  /* §10.5 step 3: fingers too (they join the table as they come up) */
  search_fingers (n, TRUE, now);
  ReloadJoinReq j = { 0 };
  j.joining_peer_id = n->node_id;
  ReloadDestination d = dest_node (n->admitting_peer);
  send_request (n, &d, 1, RELOAD_JOIN_REQ, &j, join_done, NULL, TRUE, 0, now);
}

void
reload_node_leave (ReloadNode *n, gint64 now)
{
  enter (n, now);
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
      ReloadDestination d = dest_node (n->table.pred[i]);
      send_request (n, &d, 1, RELOAD_LEAVE_REQ, &l, NULL, NULL, TRUE, 0, now);
    }
  for (guint i = 0; i < n->table.n_succ; i++)
    {
      ReloadLeaveReq l = { 0 };
      l.leaving_peer_id = n->node_id;
      l.has_chord_leave_data = TRUE;
      l.chord_leave_data.type = RELOAD_CHORD_LEAVE_FROM_PRED;
      l.chord_leave_data.predecessors = preds;
      l.chord_leave_data.n_predecessors = n->table.n_pred;
      ReloadDestination d = dest_node (n->table.succ[i]);
      send_request (n, &d, 1, RELOAD_LEAVE_REQ, &l, NULL, NULL, TRUE, 0, now);
    }
  n->state = NODE_IDLE;
}

/* ---------------------------------------------------------------- time */

static gboolean
answer_expired (gpointer key, gpointer value, gpointer user_data)
{
  CachedAnswer *a = value;
  return a->expires <= *(gint64 *) user_data;
}

void
reload_node_expire (ReloadNode *n, gint64 now)
{
  enter (n, now);
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
                txn_finish (n, x, NULL, error);
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
              /* §10.7.4.1 */
              update_neighbors (n, now);
              schedule (n, &n->next_stabilize, now + (gint64) n->cfg.chord_update_interval_s * 1000,
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
              search_fingers (n, FALSE, now);
              schedule (n, &n->next_fingers, now + (gint64) n->cfg.chord_ping_interval_s * 1000,
                        TIMER_FINGERS);
            }
          break;
        case TIMER_REACTIVE_UPDATE:
          if (t.at != n->reactive_update_at)
            break;
          n->reactive_update_at = G_MAXINT64;
          if (n->state == NODE_JOINED)
            update_neighbors (n, now);
          break;
        case TIMER_REPLICATE:
          if (t.at != n->replicate_at)
            break;
          n->replicate_at = G_MAXINT64;
          if (n->state == NODE_JOINED)
            replicate (n, now);
          break;
        case TIMER_JOIN:
          if (t.at != n->join_at)
            break;
          n->join_at = G_MAXINT64;
          send_join (n, now);
          break;
        case TIMER_HOUSEKEEPING:
          g_hash_table_foreach_remove (n->answers, answer_expired, &now);
          reload_reassembler_expire (n->reassembler, now * 1000);
          reload_storage_expire (n->storage, now);
          timer_push (n, now + 1000, TIMER_HOUSEKEEPING, 0);
          break;
        }
    }
}

gint64
reload_node_next_expiry (const ReloadNode *n)
{
  return n->timers->len > 0 ? ((const Timer *) n->timers->data)[0].at : G_MAXINT64;
}

/* ---------------------------------------------------------------- state */

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
