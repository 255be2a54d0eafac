/* reload-node-turn.c: the TURN Server Usage of RFC 6940 §9 (see
 * reload-node-turn.h): advertising a TURN server in TURN-SERVICE, and
 * finding the servers others advertise.  Sans-I/O like the rest of the
 * node: requests go through rn_send_request(), time through the node's
 * timer heap (TIMER_TURN).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"
#include "reload-node-turn.h"

#include "reload-datastore.h"

typedef struct
{
  ReloadTurnDiscoveryDone done;
  gpointer user_data;
} Waiter;

struct ReloadNodeTurn
{
  /* advertising */
  gboolean advertise;
  ReloadIpAddressPort server;
  guint density;
  gint64 advertise_at; /* the timer's slot (rn_schedule) */
  guint stores_pending;
  guint stores_failed;
  gint64 advertised_ms;

  /* discovery */
  gboolean periodic;
  gint64 discover_at;
  guint backoff_ms;
  guint round; /* the round running (its number), 0: none */
  guint rounds;
  guint probes;
  guint hits;
  gboolean walking; /* more Finds may follow */
  guint pending;    /* Finds and Fetches in flight */
  ChordId seen[RELOAD_TURN_PROBES];
  guint n_seen;
  GArray *servers; /* ReloadTurnServerInfo */
  GArray *waiters; /* Waiter */
};

typedef struct
{
  guint round;
  guint8 resource[16];
} Probe;

static void probe (ReloadNode *n, ChordId target, gint64 now);
static void fetch (ReloadNode *n, const guint8 resource[16], gint64 now);

void
rn_turn_init (ReloadNode *n)
{
  struct ReloadNodeTurn *t = g_new0 (struct ReloadNodeTurn, 1);
  t->advertise = n->cfg.turn_advertise;
  t->server = n->cfg.turn_server;
  t->server.unknown = (RwBytes){ NULL, 0 };
  t->density = n->cfg.turn_density;
  t->periodic = n->cfg.turn_discovery;
  t->advertise_at = t->discover_at = G_MAXINT64;
  t->backoff_ms = RELOAD_TURN_DISCOVERY_MIN_MS;
  t->servers = g_array_new (FALSE, TRUE, sizeof (ReloadTurnServerInfo));
  t->waiters = g_array_new (FALSE, TRUE, sizeof (Waiter));
  n->turn = t;
}

/* Runs the waiters of a round that ended (or of a node that goes). */
static void
notify_waiters (ReloadNode *n)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t->waiters->len == 0)
    return;
  g_autoptr (GArray) waiters = t->waiters;
  t->waiters = g_array_new (FALSE, TRUE, sizeof (Waiter));
  /* a copy: a waiter may start the next round */
  g_autoptr (GArray) servers = g_array_copy (t->servers);
  for (guint i = 0; i < waiters->len; i++)
    {
      Waiter *w = &g_array_index (waiters, Waiter, i);
      w->done (w->user_data, (const ReloadTurnServerInfo *) (gpointer) servers->data, servers->len);
    }
}

void
rn_turn_clear (ReloadNode *n)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t == NULL)
    return;
  notify_waiters (n);
  g_array_unref (t->servers);
  g_array_unref (t->waiters);
  g_free (t);
  n->turn = NULL;
}

static guint
density (ReloadNode *n)
{
  const ReloadKindDef *def = reload_kind_table_lookup (n->kinds, RELOAD_KIND_TURN_SERVICE);
  guint max = def != NULL ? (guint) def->max_node_multiple : 0;
  guint d = n->turn->density ? n->turn->density : 1;
  /* §7.3.4: the access check tries i up to the kind's maximum; more
   * values would all be refused */
  return MIN (d, max);
}

/* ---------------------------------------------------------------- advertising */

static void
stored (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t == NULL || t->stores_pending == 0)
    return;
  t->stores_pending--;
  if (g_error_matches (error, RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      TRACE (n, "TURN-SERVICE store failed: %s", error->message);
      t->stores_failed++;
      if (t->advertise)
        rn_schedule (n, &t->advertise_at, n->now + RELOAD_TURN_STORE_RETRY_MS, TIMER_TURN);
    }
  if (t->stores_pending == 0 && t->stores_failed == 0)
    t->advertised_ms = n->now;
}

/* §9: "for each value, called d, between 1 and turn-density, the peer
 * forms a Resource Name by concatenating its Node-ID and the value d.
 * This Resource Name is hashed to form a Resource-ID.  The address of the
 * peer is stored at that Resource-ID using type TURN-SERVICE and the
 * TurnServer object". */
static void
advertise_now (ReloadNode *n, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  guint dmax = density (n);
  t->stores_failed = 0;
  for (guint d = 1; d <= dmax; d++)
    {
      guint8 rid[16];
      chord_id_to_bytes (reload_access_node_multiple_id (&n->node_id, d), rid);
      g_autoptr (RwArena) arena = rw_arena_new (0);
      ReloadStoredData *sd = rw_arena_alloc0 (arena, sizeof *sd);
      sd->storage_time = (guint64) now;
      sd->lifetime = RELOAD_TURN_SERVICE_LIFETIME_S;
      sd->value.value.exists = TRUE;
      sd->value.value.typed.turn_server.iteration = (guint8) d;
      sd->value.value.typed.turn_server.server_address = t->server;
      reload_node_sign_stored_data (n, (RwBytes){ rid, 16 }, RELOAD_KIND_TURN_SERVICE, sd, arena);
      ReloadStoreKindData kd = { 0 };
      kd.kind = RELOAD_KIND_TURN_SERVICE;
      kd.values = sd;
      kd.n_values = 1;
      ReloadStoreReq req = { 0 };
      req.resource = (RwBytes){ rid, 16 };
      req.kind_data = &kd;
      req.n_kind_data = 1;
      ReloadDestination dest = { 0 };
      dest.type = RELOAD_DESTINATION_RESOURCE;
      dest.resource_id = req.resource;
      t->stores_pending++;
      rn_send_request (n, &dest, 1, RELOAD_STORE_REQ, &req, stored, NULL, TRUE, 0, now);
    }
  TRACE (n, "TURN-SERVICE: advertising in %u values", dmax);
  /* stored again before the lifetime ends (§7: values expire) */
  t->advertise_at = G_MAXINT64;
  rn_schedule (n, &t->advertise_at, now + RELOAD_TURN_SERVICE_LIFETIME_S * 1000 / 2, TIMER_TURN);
}

void
reload_node_turn_set_server (ReloadNode *n, const ReloadIpAddressPort *server, guint dens,
                             gint64 now)
{
  rn_enter (n, now);
  struct ReloadNodeTurn *t = n->turn;
  t->advertise = server != NULL;
  t->advertised_ms = 0;
  if (server == NULL)
    return;
  t->server = *server;
  t->server.unknown = (RwBytes){ NULL, 0 };
  t->density = dens;
  if (n->state == NODE_JOINED)
    advertise_now (n, now);
}

gint64
reload_node_turn_advertised_ms (const ReloadNode *n)
{
  return n->turn->advertise ? n->turn->advertised_ms : 0;
}

/* ---------------------------------------------------------------- discovery */

static gboolean
same_address (const ReloadIpAddressPort *a, const ReloadIpAddressPort *b)
{
  gsize len = a->type == RELOAD_ADDRESS_IPV4 ? 4 : 16;
  return a->type == b->type && a->port == b->port && memcmp (a->addr, b->addr, len) == 0;
}

static void
prune (ReloadNode *n, gint64 now)
{
  GArray *s = n->turn->servers;
  for (guint i = s->len; i-- > 0;)
    if (g_array_index (s, ReloadTurnServerInfo, i).expires_ms <= now)
      g_array_remove_index (s, i);
}

static void
forget_resource (ReloadNode *n, const guint8 resource[16])
{
  GArray *s = n->turn->servers;
  for (guint i = s->len; i-- > 0;)
    if (memcmp (g_array_index (s, ReloadTurnServerInfo, i).resource_id, resource, 16) == 0)
      g_array_remove_index (s, i);
}

static void
remember (ReloadNode *n, const ReloadTurnServerInfo *info)
{
  GArray *s = n->turn->servers;
  for (guint i = 0; i < s->len; i++)
    {
      ReloadTurnServerInfo *e = &g_array_index (s, ReloadTurnServerInfo, i);
      if (same_address (&e->address, &info->address))
        {
          /* one entry per server: the value that lives longest */
          if (info->expires_ms > e->expires_ms)
            *e = *info;
          return;
        }
    }
  if (s->len >= RELOAD_TURN_MAX_SERVERS)
    return; /* bounded: the first found stay */
  g_array_append_val (s, *info);
  char hex[33];
  TRACE (n, "TURN server found: advertised by %.8s (d=%u)",
         chord_id_to_hex (chord_id_from_node_id (&info->node_id), hex), info->iteration);
}

/* §7.3.4 and §9: the signer of a TurnServer must hold the Node-ID N with
 * H(N || iteration) = the Resource-ID, 1 <= iteration <= max-node-multiple
 * (a value stored elsewhere, or by someone else, tells nothing). */
static gboolean
owner_of (ReloadNode *n, const ReloadSignerInfo *signer, guint iteration, const guint8 resource[16],
          ReloadNodeId *owner)
{
  const ReloadKindDef *def = reload_kind_table_lookup (n->kinds, RELOAD_KIND_TURN_SERVICE);
  if (def == NULL || iteration < 1 || iteration > def->max_node_multiple)
    return FALSE;
  ChordId rid = chord_id_from_bytes (resource);
  for (guint i = 0; i < signer->n_node_ids; i++)
    {
      const ReloadNodeId *id = &signer->node_ids[i];
      if (id->len > 0 && id->len <= RELOAD_NODE_ID_MAX
          && chord_id_equal (reload_access_node_multiple_id (id, iteration), rid))
        {
          *owner = *id;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
usable_address (const ReloadIpAddressPort *a)
{
  return (a->type == RELOAD_ADDRESS_IPV4 || a->type == RELOAD_ADDRESS_IPV6) && a->port != 0;
}

static void
take_fetch_answer (ReloadNode *n, const ReloadMessage *answer, const guint8 resource[16],
                   gint64 now)
{
  const ReloadFetchAns *a = answer->body;
  for (guint k = 0; k < a->n_kind_responses; k++)
    {
      const ReloadFetchKindResponse *kr = &a->kind_responses[k];
      if (kr->kind != RELOAD_KIND_TURN_SERVICE)
        continue;
      for (guint v = 0; v < kr->n_values; v++)
        {
          const ReloadStoredData *sd = &kr->values[v];
          if (!sd->value.value.exists || sd->lifetime == 0)
            {
              /* §7.4.1.3: removed, or never there */
              forget_resource (n, resource);
              continue;
            }
          const ReloadTurnServer *ts = &sd->value.value.typed.turn_server;
          ReloadSignerInfo signer = { 0 };
          ReloadTurnServerInfo info = { 0 };
          if (!usable_address (&ts->server_address)
              || !rn_verify_stored_data (n, (RwBytes){ resource, 16 }, kr->kind, sd,
                                         answer->security_block.certificates,
                                         answer->security_block.n_certificates, &signer)
              || !owner_of (n, &signer, ts->iteration, resource, &info.node_id))
            {
              TRACE (n, "TURN-SERVICE value refused (address, signature or Resource-ID)");
              continue;
            }
          info.address = ts->server_address;
          info.address.unknown = (RwBytes){ NULL, 0 };
          info.iteration = ts->iteration;
          memcpy (info.resource_id, resource, 16);
          info.expires_ms = now + (gint64) sd->lifetime * 1000;
          forget_resource (n, resource);
          remember (n, &info);
        }
    }
}

static void
round_end_if_done (ReloadNode *n, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t->round == 0 || t->walking || t->pending > 0)
    return;
  t->round = 0;
  prune (n, now);
  TRACE (n, "TURN discovery: %u probes, %u servers known", t->probes, t->servers->len);
  if (t->periodic)
    {
      guint wait = RELOAD_TURN_DISCOVERY_PERIOD_MS;
      if (t->servers->len == 0)
        {
          wait = t->backoff_ms;
          t->backoff_ms = MIN (t->backoff_ms * 2, (guint) RELOAD_TURN_DISCOVERY_PERIOD_MS);
        }
      else
        t->backoff_ms = RELOAD_TURN_DISCOVERY_MIN_MS;
      t->discover_at = G_MAXINT64;
      rn_schedule (n, &t->discover_at, now + wait, TIMER_TURN);
    }
  notify_waiters (n);
}

static void
fetched (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  g_autofree Probe *p = user_data;
  struct ReloadNodeTurn *t = n->turn;
  if (t == NULL || p->round != t->round || t->pending == 0)
    return;
  t->pending--;
  if (g_error_matches (error, RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_CANCELLED))
    return; /* the node goes */
  if (answer != NULL && answer->message_code == RELOAD_FETCH_ANS)
    take_fetch_answer (n, answer, p->resource, n->now);
  else if (error != NULL)
    TRACE (n, "TURN-SERVICE fetch: %s", error->message);
  round_end_if_done (n, n->now);
}

static void
fetch (ReloadNode *n, const guint8 resource[16], gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  Probe *p = g_new0 (Probe, 1);
  p->round = t->round;
  memcpy (p->resource, resource, 16);
  ReloadStoredDataSpecifier spec = { 0 };
  spec.kind = RELOAD_KIND_TURN_SERVICE; /* single value (§9): no model specifier */
  ReloadFetchReq f = { 0 };
  f.resource = (RwBytes){ p->resource, 16 };
  f.specifiers = &spec;
  f.n_specifiers = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = f.resource;
  t->pending++;
  rn_send_request (n, &d, 1, RELOAD_FETCH_REQ, &f, fetched, p, TRUE, 0, now);
}

static ChordId
random_id (ReloadNode *n)
{
  ChordId id;
  id.hi = rn_random_u64 (n);
  id.lo = rn_random_u64 (n);
  return id;
}

static gboolean
is_zero (RwBytes b)
{
  for (gsize i = 0; i < b.len; i++)
    if (b.data[i] != 0)
      return FALSE;
  return TRUE;
}

static void
found (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  g_autofree Probe *p = user_data;
  struct ReloadNodeTurn *t = n->turn;
  if (t == NULL || p->round != t->round || t->pending == 0)
    return;
  t->pending--;
  if (g_error_matches (error, RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_CANCELLED))
    return; /* the node goes */
  gint64 now = n->now;
  ChordId next = random_id (n);
  if (answer != NULL && answer->message_code == RELOAD_FIND_ANS)
    {
      const ReloadFindAns *a = answer->body;
      for (guint i = 0; i < a->n_results; i++)
        if (a->results[i].kind == RELOAD_KIND_TURN_SERVICE && a->results[i].closest.len == 16
            && !is_zero (a->results[i].closest))
          {
            /* §9: "If that peer knows of any servers, they will be
             * returned" */
            t->hits++;
            fetch (n, a->results[i].closest.data, now);
          }
      /* the next peer's range: just after the one that answered */
      const ReloadSignerInfo *s = n->answer_signer;
      if (s != NULL && s->n_node_ids > 0 && s->node_ids[0].len >= 16)
        {
          ChordId responder = chord_id_from_node_id (&s->node_ids[0]);
          gboolean again = FALSE;
          for (guint i = 0; i < t->n_seen; i++)
            again |= chord_id_equal (t->seen[i], responder);
          if (again)
            t->walking = FALSE; /* around the whole ring */
          else if (t->n_seen < G_N_ELEMENTS (t->seen))
            t->seen[t->n_seen++] = responder;
          next = chord_id_add (responder, (ChordId){ 0, 1 });
        }
    }
  if (t->walking && t->probes < RELOAD_TURN_PROBES && t->hits < RELOAD_TURN_ROUND_HITS)
    probe (n, next, now);
  else
    t->walking = FALSE;
  round_end_if_done (n, now);
}

/* §9: "doing a Find request for the appropriate Kind-ID with that
 * Resource-ID.  The Find request gets routed to a random peer based on the
 * Resource-ID." */
static void
probe (ReloadNode *n, ChordId target, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  Probe *p = g_new0 (Probe, 1);
  p->round = t->round;
  chord_id_to_bytes (target, p->resource);
  guint32 kind = RELOAD_KIND_TURN_SERVICE;
  ReloadFindReq f = { 0 };
  f.resource = (RwBytes){ p->resource, 16 };
  f.kinds = &kind;
  f.n_kinds = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = f.resource;
  t->probes++;
  t->pending++;
  rn_send_request (n, &d, 1, RELOAD_FIND_REQ, &f, found, p, TRUE, 0, now);
}

static void
round_start (ReloadNode *n, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t->round != 0)
    return;
  if (++t->rounds == 0)
    t->rounds = 1;
  t->round = t->rounds;
  t->probes = t->hits = t->n_seen = t->pending = 0;
  t->walking = TRUE;
  prune (n, now);
  /* the servers known: fetched again, to follow their values */
  g_autoptr (GArray) known = g_array_copy (t->servers);
  for (guint i = 0; i < known->len; i++)
    fetch (n, g_array_index (known, ReloadTurnServerInfo, i).resource_id, now);
  probe (n, random_id (n), now);
}

void
reload_node_turn_discover (ReloadNode *n, ReloadTurnDiscoveryDone done, gpointer user_data,
                           gint64 now)
{
  rn_enter (n, now);
  struct ReloadNodeTurn *t = n->turn;
  if (done != NULL)
    {
      Waiter w = { done, user_data };
      g_array_append_val (t->waiters, w);
    }
  t->backoff_ms = RELOAD_TURN_DISCOVERY_MIN_MS;
  round_start (n, now);
}

const ReloadTurnServerInfo *
reload_node_turn_servers (ReloadNode *n, gint64 now, guint *n_servers)
{
  prune (n, now);
  *n_servers = n->turn->servers->len;
  return (const ReloadTurnServerInfo *) (gpointer) n->turn->servers->data;
}

/* ---------------------------------------------------------------- the node's hooks */

void
rn_turn_start (ReloadNode *n, gint64 now)
{
  /* from the bootstrap link on (a joining node routes through it): the
   * sooner a peer behind a NAT knows a TURN server, the sooner its
   * Attaches carry relayed candidates */
  struct ReloadNodeTurn *t = n->turn;
  if (t->periodic)
    rn_schedule (n, &t->discover_at, now, TIMER_TURN);
}

void
rn_turn_joined (ReloadNode *n, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  if (t->advertise)
    advertise_now (n, now);
  /* the ring is known now: look again (a round may be running) */
  if (t->periodic && t->servers->len == 0)
    {
      t->backoff_ms = RELOAD_TURN_DISCOVERY_MIN_MS;
      rn_schedule (n, &t->discover_at, now, TIMER_TURN);
    }
}

void
rn_turn_timer (ReloadNode *n, guint64 id, gint64 at, gint64 now)
{
  struct ReloadNodeTurn *t = n->turn;
  if (at == t->advertise_at)
    {
      t->advertise_at = G_MAXINT64;
      if (t->advertise && n->state == NODE_JOINED)
        advertise_now (n, now);
    }
  if (at == t->discover_at)
    {
      t->discover_at = G_MAXINT64;
      if (t->periodic && (n->state == NODE_JOINED || n->state == NODE_JOINING))
        round_start (n, now);
    }
}
