/* reload-node-self-tuning.c: RFC 7363, Self-Tuning DHT for RELOAD
 * (overlay algorithm CHORD-SELF-TUNING), as an option of the CHORD-RELOAD
 * node (ReloadNodeConfig.self_tuning).
 *
 * "Peers in the overlay MUST recalculate the values of the parameters to
 * self-tune the chord-reload algorithm at the end of each stabilization
 * period before restarting the stabilization timer" (§6): at every
 * periodic stabilization the node
 *   - estimates the overlay size N from the density of the Node-IDs in
 *     its Neighbor Table (§6.1);
 *   - estimates the failure rate U from the last K failures of the peers
 *     of its routing table (§6.3) and the join rate L from the ages of
 *     those peers, which it learns from the uptime of their Updates and of
 *     Probes (§5.1, §5.3, §6.4);
 *   - takes the 75th percentile of its own estimates and the ones received
 *     in the SelfTuningData extension of Probe requests and answers during
 *     the interval, and sends a Probe to 4 random fingers (§6.5);
 *   - derives the stabilization interval from N, U and L (§6.6) and the
 *     sizes of its lists and Finger Table from N (§5.4, §6.2), and
 *     refreshes its Finger Table (§5).
 *
 * Elsewhere, and not yet as RFC 7363 says: the estimates in the Probe
 * requests other peers send are read only once the Probe handler
 * (reload-node-requests.c) passes the request to
 * rn_self_tuning_received(); §5.2's periodic Update goes to every
 * neighbour (reload-node-chord.c), not only "to its first predecessor and
 * first successor"; the extension type is RELOAD_EXTENSION_SELF_TUNING_DATA
 * (reload-topology.h), 0x2, where §9.1 registers 0x3; the overlay
 * configuration's number-of-peers-to-probe (§7) is not parsed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* ---------------------------------------------------------------- pure */

static double
id_to_double (ChordId d)
{
  return ldexp ((double) d.hi, 64) + (double) d.lo;
}

static gboolean
in_list (const ChordId *list, guint n, ChordId id)
{
  for (guint i = 0; i < n; i++)
    if (chord_id_equal (list[i], id))
      return TRUE;
  return FALSE;
}

double
reload_self_tuning_estimate_size (ChordId self, const ChordId *pred, guint n_pred,
                                  const ChordId *succ, guint n_succ)
{
  if (n_pred + n_succ == 0)
    return 1;
  /* the lists meet around the ring: every peer is known (the distance
   * below would wrap) */
  guint distinct = n_pred;
  gboolean wrapped = FALSE;
  for (guint i = 0; i < n_succ; i++)
    {
      if (in_list (pred, n_pred, succ[i]))
        wrapped = TRUE;
      else
        distinct++;
    }
  if (wrapped)
    return distinct + 1;
  /* RFC 7363 §6.1: "a peer computes the average inter-peer distance d
   * between the successive peers starting from the most distant
   * predecessor and ending to the most distant successor in the successor
   * list.  The estimated network size is calculated as:
   *
   *                      2^numBitsInNodeId
   *                 N = -------------------
   *                             d
   *
   * n_pred + 1 + n_succ peers (this one among them) span n_pred + n_succ
   * intervals; numBitsInNodeId = 128 (§4). */
  ChordId from = n_pred > 0 ? pred[n_pred - 1] : self;
  ChordId to = n_succ > 0 ? succ[n_succ - 1] : self;
  double span = id_to_double (chord_id_distance (from, to));
  if (span <= 0)
    return distinct + 1;
  double d = span / (n_pred + n_succ);
  return ldexp (1.0, 128) / d;
}

/* ceiling(log2(N)), 0 for N <= 1; the margin keeps 2^k at k */
static guint
log2_ceil (double n)
{
  if (n <= 1)
    return 0;
  return (guint) ceil (log2 (n) - 1e-9);
}

guint
reload_self_tuning_finger_count (double n)
{
  /* RFC 7363 §6.2: "the size of the finger table MUST be set to
   * max(ceiling(log2(N)), 16) using the estimated network size N" */
  return CLAMP (log2_ceil (n), 16, CHORD_MAX_FINGERS);
}

guint
reload_self_tuning_neighbor_count (double n, guint min)
{
  /* RFC 7363 §6.2: "The size of the successor list MUST be set to a
   * maximum of ceiling(log2(N)).  An implementation can place a lower
   * limit on the size of the successor list" and "The size of the
   * predecessor list MUST be set to ceiling(log2(N))" (the node passes
   * @min 1); our table holds at most CHORD_MAX_NEIGHBORS */
  guint lo = MIN (MAX (min, 1), CHORD_MAX_NEIGHBORS);
  return CLAMP (log2_ceil (n), lo, CHORD_MAX_NEIGHBORS);
}

void
reload_self_tuning_history_add (ReloadSelfTuningHistory *h, gint64 at_ms)
{
  h->at[h->next] = at_ms;
  h->next = (h->next + 1) % RELOAD_SELF_TUNING_SLOTS;
  if (h->n < RELOAD_SELF_TUNING_SLOTS)
    h->n++;
}

guint
reload_self_tuning_failure_history_size (guint m)
{
  /* RFC 7363 §6.3: "In [Ghinita2006], K is set to 25% of the routing table
   * size.  Use of this value is RECOMMENDED." */
  guint k = (m + 3) / 4;
  return CLAMP (k, 2, RELOAD_SELF_TUNING_SLOTS);
}

double
reload_self_tuning_failure_rate (const ReloadSelfTuningHistory *h, guint k_max, guint m,
                                 gint64 now_ms)
{
  if (h->n == 0 || m == 0 || k_max == 0)
    return 0;
  /* RFC 7363 §6.3: "If peers fail with rate U, a peer with M unique peer
   * identifiers in its routing table should observe K failures in time
   * K/(M*U).  Every peer in the overlay maintains a history of the last K
   * failures.  The current time is inserted into the history when the
   * peer joins the overlay.  The estimate of U is calculated as:
   *
   *                          k
   *                  U = --------,
   *                       M * Tk
   *
   * where M is the number of unique peer identifiers in the routing
   * table, Tk is the time between the first and the last failure in the
   * history, and k is the number of failures in the history.  If k is
   * smaller than K, the estimate is computed as if there was a failure at
   * the current time." */
  guint k = MIN (h->n, k_max);
  gint64 first = h->at[(h->next + RELOAD_SELF_TUNING_SLOTS - k) % RELOAD_SELF_TUNING_SLOTS];
  gint64 last = h->at[(h->next + RELOAD_SELF_TUNING_SLOTS - 1) % RELOAD_SELF_TUNING_SLOTS];
  double failures = k;
  if (k < k_max)
    {
      failures = k + 1;
      last = now_ms;
    }
  /* seconds; under 1 s (a failure right after joining) counts as 1 s */
  double tk = MAX ((last - first) / 1000.0, 1.0);
  return failures / (m * tk);
}

gint
reload_self_tuning_joined_find (const ReloadSelfTuningHistory *h, ChordId peer)
{
  for (guint i = 0; i < h->n; i++)
    if (chord_id_equal (h->peer[i], peer))
      return (gint) i;
  return -1;
}

gboolean
reload_self_tuning_joined_set (ReloadSelfTuningHistory *h, ChordId peer, gint64 joined_ms)
{
  gint i = reload_self_tuning_joined_find (h, peer);
  if (i < 0)
    {
      if (h->n >= RELOAD_SELF_TUNING_SLOTS)
        return FALSE;
      i = (gint) h->n++;
      h->peer[i] = peer;
    }
  h->at[i] = joined_ms;
  return TRUE;
}

void
reload_self_tuning_joined_remove (ReloadSelfTuningHistory *h, guint i)
{
  if (i >= h->n)
    return;
  h->n--;
  h->peer[i] = h->peer[h->n];
  h->at[i] = h->at[h->n];
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

double
reload_self_tuning_join_rate (double n, double *ages, guint rsize)
{
  if (rsize == 0 || n <= 0)
    return 0;
  /* RFC 7363 §6.4: "each peer maintained an array of the ages of the
   * peers in its routing table sorted in increasing order.  Using this
   * information, an estimate of the global peer join rate L is calculated
   * as:
   *
   *                               N
   *                 L = ----------------------,
   *                      Ages[floor(rsize/2)]
   *
   * where Ages is an array containing the ages of the peers in the
   * routing table sorted in increasing order and rsize is the size of the
   * routing table." */
  qsort (ages, rsize, sizeof *ages, cmp_double);
  return n / MAX (ages[rsize / 2], 1.0);
}

double
reload_self_tuning_percentile (double *values, guint n_values, double p)
{
  if (n_values == 0)
    return 0;
  /* RFC 7363 §2: "The Pth (0<=P<=100) percentile of N values arranged in
   * ascending order is obtained by first calculating the (ordinal) rank
   * n=(P/100)*N, rounding the result to the nearest integer and then
   * taking the value corresponding to that rank." */
  qsort (values, n_values, sizeof *values, cmp_double);
  double rank = floor (p / 100 * n_values + 0.5);
  guint r = (guint) CLAMP (rank, 1, n_values);
  return values[r - 1];
}

guint32
reload_self_tuning_rate_to_wire (double per_s)
{
  /* RFC 7363 §6.5: "The join and leave rates are expressed as joins or
   * failures per 24 hours.  As an example, if the global join rate
   * estimate a peer has calculated is 0.123 peers/s, it would include in
   * the 'join_rate' field the ceiling of the value 10627.2
   * (24*60*60*0.123 = 10627.2), that is, the value 10628."  (The margin
   * keeps a whole number of events, give or take the rounding of the
   * product, at itself.) */
  double per_24h = per_s * RELOAD_SELF_TUNING_RATE_PERIOD_S;
  if (!(per_24h > 0))
    return 0;
  if (per_24h >= (double) G_MAXUINT32)
    return G_MAXUINT32;
  return (guint32) ceil (per_24h - 1e-6);
}

double
reload_self_tuning_rate_from_wire (guint32 per_24h)
{
  return per_24h / RELOAD_SELF_TUNING_RATE_PERIOD_S;
}

double
reload_self_tuning_interval_s (double n, double join_rate, double failure_rate)
{
  if (n <= 1)
    return INFINITY;
  /* RFC 7363 §6.6: "We can use the estimate of peer failure rate, U, to
   * calculate the time Tf in which N/2 peers fail:
   *
   *                               1
   *                        Tf = ------
   *                              2*U
   *
   * Based on this estimate, a stabilization interval Tstab-1 is
   * calculated as:
   *
   *                                        Tf
   *                        Tstab-1 = -----------------
   *                                   square(log2(N))
   *
   * On the other hand, the estimated join rate L can be used to calculate
   * the time in which N new peers join the overlay.  Based on the
   * estimate of L, a stabilization interval Tstab-2 is calculated as:
   *
   *                                            N
   *                         Tstab-2 = ---------------------
   *                                    L * square(log2(N))
   *
   * Finally, the actual stabilization interval Tstab that is used can be
   * obtained by taking the minimum of Tstab-1 and Tstab-2." */
  double log2_n = log2 (n);
  double sq = log2_n * log2_n;
  double tstab1 = INFINITY, tstab2 = INFINITY;
  if (failure_rate > 0)
    {
      double tf = 1 / (2 * failure_rate);
      tstab1 = tf / sq;
    }
  if (join_rate > 0)
    tstab2 = n / (join_rate * sq);
  return MIN (tstab1, tstab2);
}

/* ---------------------------------------------------------------- node */

/* The distinct peers of the routing table ("made up of the finger table,
 * successor list, and predecessor list", §2). */
static guint
routing_peers (const ChordTable *t, ChordId *out)
{
  guint np = 0;
  for (guint i = 0; i < t->n_succ; i++)
    if (!in_list (out, np, t->succ[i]))
      out[np++] = t->succ[i];
  for (guint i = 0; i < t->n_pred; i++)
    if (!in_list (out, np, t->pred[i]))
      out[np++] = t->pred[i];
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i] && !in_list (out, np, t->finger[i]))
      out[np++] = t->finger[i];
  return np;
}

#define MAX_ROUTING_PEERS (CHORD_MAX_FINGERS + 2 * CHORD_MAX_NEIGHBORS)

/* st_joins follows the routing table: a peer that left it is dropped,
 * and counted as a failure (§6.3) when its link is gone (it failed, or
 * left and closed it) or it sent a Leave (no longer routable), but not
 * when it was only displaced by a closer peer; a peer that entered it is
 * added, its age unknown until its uptime comes.  §6.3.1 names Leave and
 * the loss of the connection (a Ping unanswered after 2*Tr of silence);
 * the link layer reports the latter as a link down.  A failure is timed
 * when noticed here: at once for a neighbour (its loss changes the
 * Neighbor Table, rn_table_changed() polls), at the next Update or
 * stabilization for a finger. */
static void
sync_peers (ReloadNode *n, gint64 now)
{
  ReloadSelfTuningHistory *known = &n->st_joins;
  for (guint i = 0; i < known->n;)
    {
      ChordId p = known->peer[i];
      if (chord_table_contains (&n->table, p))
        {
          i++;
          continue;
        }
      Conn *c = rn_conn_by_peer (n, p);
      if (c == NULL || !c->routable)
        reload_self_tuning_history_add (&n->st_leaves, now);
      reload_self_tuning_joined_remove (known, i);
    }
  ChordId peers[MAX_ROUTING_PEERS];
  guint np = routing_peers (&n->table, peers);
  for (guint i = 0; i < np; i++)
    if (reload_self_tuning_joined_find (known, peers[i]) < 0)
      reload_self_tuning_joined_set (known, peers[i], RELOAD_SELF_TUNING_UNKNOWN);
}

/* §6.4: "Peers receive the uptimes of their successors and predecessors
 * during the stabilization operations since all Update requests carry
 * uptime values ... Peers learn the uptimes of new fingers since they
 * can fetch the uptime using a Probe request".  Kept as the time it
 * joined, for a peer of the routing table. */
static void
heard_uptime (ReloadNode *n, ChordId peer, guint32 uptime_s, gint64 now)
{
  if (chord_table_contains (&n->table, peer))
    reload_self_tuning_joined_set (&n->st_joins, peer, now - (gint64) uptime_s * 1000);
}

/* The estimates of this peer alone (§6.1, §6.3, §6.4): what it shares
 * (§6.5) and one of the values the percentile is taken over. */
static void
local_estimates (ReloadNode *n, gint64 now, double *size, double *join_rate, double *failure_rate)
{
  const ChordTable *t = &n->table;
  const ReloadSelfTuningHistory *known = &n->st_joins;
  *size = reload_self_tuning_estimate_size (t->self, t->pred, t->n_pred, t->succ, t->n_succ);
  /* M: the peers of the routing table that st_joins follows (all of
   * them, unless there are more than its slots) */
  guint m = known->n;
  *failure_rate = reload_self_tuning_failure_rate (
      &n->st_leaves, reload_self_tuning_failure_history_size (m), m, now);
  double ages[RELOAD_SELF_TUNING_SLOTS];
  guint rsize = 0;
  for (guint i = 0; i < known->n; i++)
    if (known->at[i] != RELOAD_SELF_TUNING_UNKNOWN)
      ages[rsize++] = (now - known->at[i]) / 1000.0;
  *join_rate = reload_self_tuning_join_rate (*size, ages, rsize);
}

static void
take_estimates (ReloadNode *n, Conn *c, const ReloadMessage *m, gint64 now)
{
  for (guint i = 0; c != NULL && i < m->n_extensions; i++)
    {
      const ReloadMessageExtension *e = &m->extensions[i];
      if (e->type != RELOAD_EXTENSION_SELF_TUNING_DATA)
        continue;
      ReloadSelfTuningData d = { 0 };
      RwCodec *dec = rw_codec_new_decoder (e->contents.data, e->contents.len, n->scratch, &n->wire);
      reload_self_tuning_data_visit (dec, &d);
      if (rw_codec_finish (dec, NULL) && d.network_size > 0)
        {
          c->st = d;
          c->st_valid = TRUE;
          c->st_at = now;
        }
    }
}

static void
probe_done (gpointer user_data, ReloadNode *n, const ReloadMessage *answer, const GError *error)
{
  ChordId peer = *(ChordId *) user_data;
  g_free (user_data);
  if (answer == NULL || answer->message_code != RELOAD_PROBE_ANS || !n->cfg.self_tuning)
    return;
  rn_self_tuning_received (n, rn_conn_by_peer (n, peer), answer, n->now);
}

/* A Probe for the uptime (§5.3: "The 'requested_info' field of the Probe
 * request MUST be set to contain the ProbeInformationType 'uptime'"); as
 * every Probe of a self-tuning peer, it carries our estimates (§6.5). */
static void
send_probe (ReloadNode *n, ChordId peer, gint64 now)
{
  guint8 info[] = { RELOAD_PROBE_INFO_UPTIME };
  ReloadProbeReq q = { info, G_N_ELEMENTS (info) };
  ReloadDestination d = rn_dest_node (peer);
  rn_send_request (n, &d, 1, RELOAD_PROBE_REQ, &q, probe_done, g_memdup2 (&peer, sizeof peer), TRUE,
                   0, now);
}

void
rn_self_tuning_poll (ReloadNode *n, gint64 now)
{
  if (!n->cfg.self_tuning || n->state != NODE_JOINED)
    return;
  if (n->st_observe_from == 0)
    {
      /* §6.3: "The current time is inserted into the history when the
       * peer joins the overlay." */
      n->st_observe_from = now;
      reload_self_tuning_history_add (&n->st_leaves, now);
    }
  sync_peers (n, now);
  /* §6.1: "a joining peer immediately has enough information at its
   * disposal to calculate an estimate of the network size": until the
   * first stabilization combines estimates, its own */
  if (n->st_interval_ms == 0)
    {
      const ChordTable *t = &n->table;
      n->st_n = reload_self_tuning_estimate_size (t->self, t->pred, t->n_pred, t->succ, t->n_succ);
    }
}

void
rn_self_tuning_attach (ReloadNode *n, ReloadMessage *m)
{
  if (!n->cfg.self_tuning || n->state != NODE_JOINED
      || (m->message_code != RELOAD_PROBE_REQ && m->message_code != RELOAD_PROBE_ANS))
    return;
  /* §6.5: "Both the Probe request and the answer returned by the target
   * peer MUST contain a new message extension whose MessageExtensionType
   * is 'self_tuning_data'", a SelfTuningData with "The latest network
   * size [join rate, leave rate] estimate calculated by the sender": its
   * own (sharing the percentile instead would make the percentiles of
   * percentiles creep up the ring); the rates per 24 hours */
  double size, join_rate, failure_rate;
  local_estimates (n, n->now, &size, &join_rate, &failure_rate);
  ReloadSelfTuningData d = {
    .network_size = (guint32) MIN (size + 0.5, (double) G_MAXUINT32),
    .join_rate = reload_self_tuning_rate_to_wire (join_rate),
    .leave_rate = reload_self_tuning_rate_to_wire (failure_rate),
  };
  GByteArray *out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, &n->wire);
  reload_self_tuning_data_visit (c, &d);
  if (rw_codec_finish (c, NULL))
    {
      ReloadMessageExtension *e =
          reload_message_alloc (m, (m->n_extensions + 1) * sizeof (ReloadMessageExtension));
      if (m->n_extensions > 0)
        memcpy (e, m->extensions, m->n_extensions * sizeof *e);
      guint8 *buf = reload_message_alloc (m, out->len);
      memcpy (buf, out->data, out->len);
      e[m->n_extensions].type = RELOAD_EXTENSION_SELF_TUNING_DATA;
      /* "The 'critical' field of the structure MUST be set to False." */
      e[m->n_extensions].critical = FALSE;
      e[m->n_extensions].contents = (RwBytes){ buf, out->len };
      m->extensions = e;
      m->n_extensions++;
    }
  g_byte_array_unref (out);
}

void
rn_self_tuning_received (ReloadNode *n, Conn *c, const ReloadMessage *m, gint64 now)
{
  if (!n->cfg.self_tuning || c == NULL || n->state != NODE_JOINED)
    return;
  rn_self_tuning_poll (n, now);
  switch (m->message_code)
    {
    case RELOAD_UPDATE_REQ:
      {
        /* §5.1: "The sender of an Update request includes its current
         * uptime (in seconds) in the 'uptime' field." */
        const ReloadChordUpdate *u = m->body;
        heard_uptime (n, c->peer, u->uptime, now);
      }
      break;
    case RELOAD_PROBE_ANS:
      {
        const ReloadProbeAns *a = m->body;
        for (guint i = 0; i < a->n_probe_info; i++)
          if (a->probe_info[i].type == RELOAD_PROBE_INFO_UPTIME)
            heard_uptime (n, c->peer, a->probe_info[i].value, now);
      }
      take_estimates (n, c, m, now);
      break;
    case RELOAD_PROBE_REQ:
      /* §6.5: "A peer stores all estimates it receives in Probe requests
       * and answers during a stabilization interval" (the last of each
       * peer; take_estimates()) */
      take_estimates (n, c, m, now);
      break;
    default:
      break;
    }
}

void
rn_self_tuning_tick (ReloadNode *n, gint64 now)
{
  if (!n->cfg.self_tuning || n->state != NODE_JOINED)
    return;
  rn_self_tuning_poll (n, now);
  ChordTable *t = &n->table;

  /* §6.5: "When the stabilization timer fires, the peer calculates the
   * estimates to be used during the next stabilization interval by taking
   * the 75th percentile (i.e., third quartile) of a data set containing
   * its own estimate and the received estimates" (each quantity apart) */
  guint cap = 1 + g_hash_table_size (n->links);
  double *sizes = g_new (double, cap), *joins = g_new (double, cap), *fails = g_new (double, cap);
  local_estimates (n, now, &sizes[0], &joins[0], &fails[0]);
  guint k = 1;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, n->links);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Conn *c = value;
      if (!c->st_valid)
        continue;
      c->st_valid = FALSE; /* one stabilization interval's */
      sizes[k] = c->st.network_size;
      joins[k] = reload_self_tuning_rate_from_wire (c->st.join_rate);
      fails[k] = reload_self_tuning_rate_from_wire (c->st.leave_rate);
      k++;
    }
  n->st_n = reload_self_tuning_percentile (sizes, k, RELOAD_SELF_TUNING_PERCENTILE);
  double join_rate = reload_self_tuning_percentile (joins, k, RELOAD_SELF_TUNING_PERCENTILE);
  double failure_rate = reload_self_tuning_percentile (fails, k, RELOAD_SELF_TUNING_PERCENTILE);
  g_free (sizes);
  g_free (joins);
  g_free (fails);
  /* L is overlay-wide already; U is per peer: N U peers leave per second */
  n->st_join_rate = join_rate;
  n->st_leave_rate = failure_rate * n->st_n;

  /* §6.6, with "a lower limit of 15 s" ("RECOMMENDED"), and at most the
   * configured interval (chord-update-interval, RFC 6940 §10.7.4.1; also
   * the interval when nothing changes, where the formula gives infinity);
   * a configured interval under 15 s is kept */
  double interval_s = reload_self_tuning_interval_s (n->st_n, join_rate, failure_rate);
  double hi = (double) n->cfg.chord_update_interval_s;
  double lo = MIN (RELOAD_SELF_TUNING_MIN_INTERVAL_S, hi);
  interval_s = isfinite (interval_s) ? CLAMP (interval_s, lo, hi) : hi;
  n->st_interval_ms = (guint) (interval_s * 1000);

  /* §5.4, §6.2: the table sizes; the successors keep the configured size
   * (3 by default, §10.7) as their lower limit */
  guint ns_max =
      reload_self_tuning_neighbor_count (n->st_n, n->cfg.n_successors ? n->cfg.n_successors : 3);
  guint np_max = reload_self_tuning_neighbor_count (n->st_n, 1);
  guint nf = reload_self_tuning_finger_count (n->st_n);
  if (ns_max != t->n_succ_max || np_max != t->n_pred_max || nf != t->n_fingers)
    {
      gboolean grew = ns_max > t->n_succ_max || np_max > t->n_pred_max || nf > t->n_fingers;
      chord_table_set_sizes (t, ns_max, np_max, nf);
      if (grew)
        rn_refill_neighbors (n);
      rn_table_changed (n, now);
    }
  /* §5: "Overlay stabilization has four components ... 2. Refreshing the
   * finger table" (the neighbours get their Updates from the caller) */
  rn_search_fingers (n, FALSE, now);

  /* §6.5: "When the stabilization timer fires, a peer selects
   * number-of-peers-to-probe random peers from its finger table and send
   * each of them a Probe request" (4 by default; the overlay
   * configuration's self-tuning:number-of-peers-to-probe is not read) */
  ChordId fingers[CHORD_MAX_FINGERS];
  guint nfp = 0;
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i] && !in_list (fingers, nfp, t->finger[i]))
      fingers[nfp++] = t->finger[i];
  guint n_probe = MIN (nfp, RELOAD_SELF_TUNING_PEERS_TO_PROBE);
  for (guint i = 0; i < n_probe; i++)
    {
      guint j = (guint) g_rand_int_range (n->rand, (gint32) i, (gint32) nfp);
      ChordId tmp = fingers[i];
      fingers[i] = fingers[j];
      fingers[j] = tmp;
      send_probe (n, fingers[i], now);
    }
  /* §5.3: "Immediately after a new peer has been added to the finger
   * table, a Probe request is sent to the new peer to fetch its uptime":
   * here, at the first stabilization after (and for any peer of the
   * routing table whose uptime no Update brought) */
  ChordId unknown[RELOAD_SELF_TUNING_SLOTS];
  guint nu = 0;
  for (guint i = 0; i < n->st_joins.n; i++)
    if (n->st_joins.at[i] == RELOAD_SELF_TUNING_UNKNOWN
        && !in_list (fingers, n_probe, n->st_joins.peer[i]))
      unknown[nu++] = n->st_joins.peer[i];
  for (guint i = 0; i < nu; i++)
    send_probe (n, unknown[i], now);
}

gint64
rn_stabilize_interval_ms (ReloadNode *n)
{
  if (n->cfg.self_tuning && n->st_interval_ms > 0)
    return n->st_interval_ms;
  return (gint64) n->cfg.chord_update_interval_s * 1000;
}

gboolean
reload_node_self_tuning_state (const ReloadNode *n, double *n_estimate, double *join_rate,
                               double *leave_rate, guint *stabilize_interval_ms)
{
  if (!n->cfg.self_tuning)
    return FALSE;
  if (n_estimate)
    *n_estimate = n->st_n;
  if (join_rate)
    *join_rate = n->st_join_rate;
  if (leave_rate)
    *leave_rate = n->st_leave_rate;
  if (stabilize_interval_ms)
    *stabilize_interval_ms =
        n->st_interval_ms > 0 ? n->st_interval_ms : (guint) n->cfg.chord_update_interval_s * 1000;
  return TRUE;
}
