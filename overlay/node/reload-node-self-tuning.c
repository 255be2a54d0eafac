/* reload-node-self-tuning.c: RFC 7363, Self-Tuning DHT for RELOAD
 * (overlay algorithm CHORD-SELF-TUNING), as an option of the CHORD-RELOAD
 * node (ReloadNodeConfig.self_tuning).
 *
 * At every periodic stabilization (§5.2) the node:
 *   - estimates the overlay size N from the density of the Node-IDs in its
 *     Neighbor Table (§6.1);
 *   - estimates the leave (failure) rate from the neighbours it lost
 *     (§6.3) and the join rate from the neighbours that joined recently
 *     (§6.4), both over the last K events, and scales them to the whole
 *     overlay;
 *   - averages these with the estimates its neighbours sent in the
 *     SelfTuningData extension of their Updates (§6.5), and sends the
 *     result in its own Updates (§5.1);
 *   - derives the stabilization interval from the rates and a target
 *     proportion of stale entries (§6.6), and the sizes of its successor
 *     and predecessor lists and Finger Table from N (§6.2).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node-private.h"

/* Events in the first seconds after joining are the table filling up,
 * not churn: they are not counted. */
#define ST_WARMUP_MS 30000
/* A node's own rates count in the average (§6.5) after this much
 * observation; before, it relies on its neighbours' estimates. */
#define ST_MIN_OBSERVE_MS 60000
/* §6.4: a neighbour whose first Update says it has been up for less than
 * this joined the overlay inside our neighbourhood. */
#define ST_RECENT_JOIN_MS 60000

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
  /* the lists meet around the ring: every peer is known */
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
  /* §6.1: "a peer computes the average inter-peer distance d between the
   * successive peers starting from the most distant predecessor and
   * ending to the most distant successor in the successor list", and
   * N = 2^numBitsInNodeId / d */
  ChordId from = n_pred > 0 ? pred[n_pred - 1] : self;
  ChordId to = n_succ > 0 ? succ[n_succ - 1] : self;
  double span = id_to_double (chord_id_distance (from, to));
  if (span <= 0)
    return distinct + 1;
  double d = span / (n_pred + n_succ);
  return ldexp (1.0, 128) / d;
}

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
  /* §6.2: max(ceil(log2(N)), 16); 16 is the minimum of RFC 6940
   * §10.7.4.3, kept by RFC 7363 */
  return CLAMP (log2_ceil (n), 16, CHORD_MAX_FINGERS);
}

guint
reload_self_tuning_neighbor_count (double n, guint min)
{
  /* §6.2: log2(N) successors and predecessors; an implementation may set
   * a lower limit (the configured sizes, 3 by default, §10.7); our table
   * holds at most CHORD_MAX_NEIGHBORS */
  return CLAMP (log2_ceil (n), MAX (min, 1), CHORD_MAX_NEIGHBORS);
}

double
reload_self_tuning_stale_fraction (double r, double interval_s)
{
  double x = r * interval_s;
  if (x <= 0)
    return 0;
  if (x < 1e-4)
    return x / 2 - x * x / 6 + x * x * x / 24; /* the series, where 1 - ... cancels */
  return 1 + expm1 (-x) / x;
}

double
reload_self_tuning_interval_s (double n, double join_rate, double leave_rate, double target)
{
  /* §6.6, after [Mahajan2003]: an entry refreshed every T seconds and
   * invalidated at rate r is stale, on average over the interval, with
   * probability Pf = 1 - (1 - e^(-rT)) / (rT).  A Neighbor Table entry is
   * invalidated when its peer leaves (leave_rate / N per peer) or when a
   * peer joins between it and us (join_rate / N per interval of the
   * ring): r = (join_rate + leave_rate) / N.  Pf grows with T: the
   * interval is the T where Pf reaches the target. */
  if (n < 1)
    n = 1;
  double r = (join_rate + leave_rate) / n;
  if (r <= 0 || target >= 1)
    return INFINITY;
  if (target <= 0)
    return 0;
  double lo = 0, hi = 1;
  while (reload_self_tuning_stale_fraction (1, hi) < target)
    hi *= 2;
  for (guint i = 0; i < 100; i++)
    {
      double mid = (lo + hi) / 2;
      if (reload_self_tuning_stale_fraction (1, mid) < target)
        lo = mid;
      else
        hi = mid;
    }
  return (lo + hi) / 2 / r;
}

void
reload_self_tuning_history_add (ReloadSelfTuningHistory *h, gint64 at_ms)
{
  h->at[h->next] = at_ms;
  h->next = (h->next + 1) % RELOAD_SELF_TUNING_HISTORY;
  if (h->n < RELOAD_SELF_TUNING_HISTORY)
    h->n++;
}

double
reload_self_tuning_history_rate (const ReloadSelfTuningHistory *h, gint64 since_ms, gint64 now_ms,
                                 guint watched)
{
  if (watched == 0 || since_ms <= 0 || now_ms <= since_ms)
    return 0;
  if (h->n >= RELOAD_SELF_TUNING_HISTORY)
    {
      /* §6.3: K events in the time since the oldest of them; when full,
       * the ring position is the oldest */
      double t = MAX (now_ms - h->at[h->next], 1) / 1000.0;
      return RELOAD_SELF_TUNING_HISTORY / (watched * t);
    }
  return h->n / (watched * ((now_ms - since_ms) / 1000.0));
}

/* ---------------------------------------------------------------- node */

void
rn_self_tuning_poll (ReloadNode *n, gint64 now)
{
  if (!n->cfg.self_tuning)
    return;
  if (n->state != NODE_JOINED)
    {
      n->st_losses_seen = n->table.neighbor_losses;
      return;
    }
  if (n->st_observe_from == 0)
    n->st_observe_from = now + ST_WARMUP_MS;
  /* §6.3: the neighbours lost (link down, Leave) are the failures seen;
   * timed when noticed here, at the next table change or stabilization */
  for (; n->st_losses_seen < n->table.neighbor_losses; n->st_losses_seen++)
    if (now >= n->st_observe_from)
      reload_self_tuning_history_add (&n->st_leaves, now);
}

void
rn_self_tuning_attach (ReloadNode *n, ReloadMessage *m)
{
  if (!n->cfg.self_tuning || m->message_code != RELOAD_UPDATE_REQ || n->st_n <= 0)
    return;
  /* §5.1: the SelfTuningData in an Update; the rates, overlay-wide, in
   * events per 1000 s: RFC 7363 gives them as uint32 and a rate below one
   * peer per second (any overlay of less than thousands of peers with
   * sessions of an hour) would be 0 in peers per second */
  ReloadSelfTuningData d = {
    .network_size = (guint32) MIN (n->st_n + 0.5, (double) G_MAXUINT32),
    .join_rate =
        (guint32) MIN (n->st_join_rate * RELOAD_SELF_TUNING_RATE_SCALE + 0.5, (double) G_MAXUINT32),
    .leave_rate = (guint32) MIN (n->st_leave_rate * RELOAD_SELF_TUNING_RATE_SCALE + 0.5,
                                 (double) G_MAXUINT32),
  };
  GByteArray *out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, &n->wire);
  reload_self_tuning_data_visit (c, &d);
  if (rw_codec_finish (c, NULL))
    {
      ReloadMessageExtension *e = reload_message_alloc (m, sizeof *e);
      guint8 *buf = reload_message_alloc (m, out->len);
      memcpy (buf, out->data, out->len);
      e->type = RELOAD_EXTENSION_SELF_TUNING_DATA;
      e->critical = FALSE; /* a CHORD-RELOAD peer ignores it (§6.3.3) */
      e->contents = (RwBytes){ buf, out->len };
      m->extensions = e;
      m->n_extensions = 1;
    }
  g_byte_array_unref (out);
}

void
rn_self_tuning_received (ReloadNode *n, Conn *c, const ReloadMessage *m, gint64 now)
{
  if (!n->cfg.self_tuning || c == NULL)
    return;
  for (guint i = 0; i < m->n_extensions; i++)
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
  /* §6.4: the join rate from the ages of the neighbours (their uptime,
   * §10.7.4.1 ChordUpdate): a neighbour that has been up for less than a
   * minute, after we started watching, joined inside our neighbourhood */
  const ReloadChordUpdate *u = m->body;
  if (!c->st_join_checked && n->state == NODE_JOINED
      && chord_table_is_neighbor (&n->table, c->peer))
    {
      c->st_join_checked = TRUE;
      gint64 up_ms = (gint64) u->uptime * 1000;
      if (n->st_observe_from > 0 && up_ms <= ST_RECENT_JOIN_MS && now - up_ms >= n->st_observe_from)
        reload_self_tuning_history_add (&n->st_joins, now);
    }
}

static void
add_shared (ReloadNode *n, ChordId peer, gint64 now, double sum[3], guint *k)
{
  Conn *c = rn_conn_by_peer (n, peer);
  if (c == NULL || !c->st_valid
      || now - c->st_at > 3 * (gint64) n->cfg.chord_update_interval_s * 1000)
    return;
  sum[0] += c->st.network_size;
  sum[1] += c->st.join_rate / RELOAD_SELF_TUNING_RATE_SCALE;
  sum[2] += c->st.leave_rate / RELOAD_SELF_TUNING_RATE_SCALE;
  (*k)++;
}

void
rn_self_tuning_tick (ReloadNode *n, gint64 now)
{
  if (!n->cfg.self_tuning || n->state != NODE_JOINED)
    return;
  rn_self_tuning_poll (n, now);
  ChordTable *t = &n->table;

  /* §6.1, §6.3, §6.4: the local estimates; a rate per watched entry (the
   * n_succ + n_pred intervals of the ring around us) times N is the
   * overlay-wide rate */
  double local_n =
      reload_self_tuning_estimate_size (t->self, t->pred, t->n_pred, t->succ, t->n_succ);
  guint watched = t->n_succ + t->n_pred;
  double local_j =
      local_n * reload_self_tuning_history_rate (&n->st_joins, n->st_observe_from, now, watched);
  double local_l =
      local_n * reload_self_tuning_history_rate (&n->st_leaves, n->st_observe_from, now, watched);

  /* §6.5: the average of ours and of the last estimates of the peers in
   * our Neighbor Table (each sends its own average: the estimates spread
   * along the ring).  Our rates count once we have watched long enough. */
  double ns = local_n, rates[3] = { 0, 0, 0 };
  guint kn = 1, kr = 0;
  if (now - n->st_observe_from >= ST_MIN_OBSERVE_MS)
    {
      rates[1] = local_j;
      rates[2] = local_l;
      kr = 1;
    }
  for (guint i = 0; i < t->n_succ + t->n_pred; i++)
    {
      ChordId p = i < t->n_succ ? t->succ[i] : t->pred[i - t->n_succ];
      if (i >= t->n_succ && in_list (t->succ, t->n_succ, p))
        continue; /* counted once */
      double sum[3] = { 0, 0, 0 };
      guint k = 0;
      add_shared (n, p, now, sum, &k);
      if (k == 0)
        continue;
      ns += sum[0];
      kn++;
      rates[1] += sum[1];
      rates[2] += sum[2];
      kr++;
    }
  n->st_n = ns / kn;
  n->st_join_rate = kr > 0 ? rates[1] / kr : 0;
  n->st_leave_rate = kr > 0 ? rates[2] / kr : 0;

  /* §6.6, clamped: at most the configured interval (chord-update-interval,
   * RFC 6940 §10.7.4.1; also the interval when nothing changes, where the
   * formula gives infinity) and at least the overlay reliability timer
   * (§6.2.1): a round of Updates is answered or retransmitted before the
   * next one starts. */
  double target = n->cfg.self_tuning_stale_target > 0 ? n->cfg.self_tuning_stale_target
                                                      : RELOAD_SELF_TUNING_DEFAULT_STALE;
  double interval_s =
      reload_self_tuning_interval_s (n->st_n, n->st_join_rate, n->st_leave_rate, target);
  double lo = n->cfg.overlay_reliability_timer_ms / 1000.0;
  double hi = MAX ((double) n->cfg.chord_update_interval_s, lo);
  interval_s = isfinite (interval_s) ? CLAMP (interval_s, lo, hi) : hi;
  n->st_interval_ms = (guint) (interval_s * 1000);

  /* §6.2: the table sizes */
  guint ns_max =
      reload_self_tuning_neighbor_count (n->st_n, n->cfg.n_successors ? n->cfg.n_successors : 3);
  guint np_max = reload_self_tuning_neighbor_count (
      n->st_n, n->cfg.n_predecessors ? n->cfg.n_predecessors : 3);
  guint nf = reload_self_tuning_finger_count (n->st_n);
  if (ns_max != t->n_succ_max || np_max != t->n_pred_max || nf != t->n_fingers)
    {
      gboolean grew = ns_max > t->n_succ_max || np_max > t->n_pred_max || nf > t->n_fingers;
      chord_table_set_sizes (t, ns_max, np_max, nf);
      if (grew)
        {
          rn_refill_neighbors (n);
          rn_search_fingers (n, FALSE, now);
        }
      rn_table_changed (n, now);
    }
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
