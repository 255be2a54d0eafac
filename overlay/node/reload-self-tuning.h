/* reload-self-tuning.h: the self-tuning of RFC 7363 (CHORD-SELF-TUNING)
 * as pure functions, each next to the RFC formula it computes: the
 * overlay size estimate (§6.1), the routing table sizes (§6.2), the
 * failure rate U (§6.3) and the join rate L (§6.4) estimates, the 75th
 * percentile that combines a peer's estimates with the ones it received
 * (§6.5, with the "Percentile" of §2), the encoding of the rates in a
 * SelfTuningData (§6.5: per 24 hours) and the stabilization interval
 * (§6.6).  The node (reload-node-self-tuning.c) feeds them.
 *
 * Units: times in seconds (histories in the node's milliseconds), U in
 * failures per peer per second, L in joins per second overlay-wide.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-table.h"

G_BEGIN_DECLS

/* §6.5: "The join and leave rates are expressed as joins or failures per
 * 24 hours" in a SelfTuningData. */
#define RELOAD_SELF_TUNING_RATE_PERIOD_S (24.0 * 60 * 60)
/* §6.5: "The default value for number-of-peers-to-probe is 4." */
#define RELOAD_SELF_TUNING_PEERS_TO_PROBE 4
/* §6.5: "taking the 75th percentile (i.e., third quartile)" */
#define RELOAD_SELF_TUNING_PERCENTILE 75.0
/* §6.6: "a lower limit of 15 s is RECOMMENDED" for the interval */
#define RELOAD_SELF_TUNING_MIN_INTERVAL_S 15.0
/* The times a ReloadSelfTuningHistory holds: more than the failure
 * history K (§6.3: 25 % of the routing table) and than the peers of a
 * routing table (at most 2 * CHORD_MAX_NEIGHBORS neighbours and the
 * distinct fingers, about log2 N of them). */
#define RELOAD_SELF_TUNING_SLOTS 64

/* §6.1: "a peer computes the average inter-peer distance d between the
 * successive peers starting from the most distant predecessor and ending
 * to the most distant successor in the successor list.  The estimated
 * network size is calculated as: N = 2^numBitsInNodeId / d"
 * (numBitsInNodeId = 128).  @pred and @succ are by distance from @self,
 * nearest first.  When the lists meet around the ring (a small overlay)
 * every peer is known and N is their number plus this one; 1 alone. */
double reload_self_tuning_estimate_size (ChordId self, const ChordId *pred, guint n_pred,
                                         const ChordId *succ, guint n_succ);

/* §6.2: "the size of the finger table MUST be set to max(ceiling(log2(N)),
 * 16)", at most CHORD_MAX_FINGERS. */
guint reload_self_tuning_finger_count (double n);
/* §6.2: "The size of the successor list MUST be set to a maximum of
 * ceiling(log2(N)).  An implementation can place a lower limit on the
 * size of the successor list" (@min); "The size of the predecessor list
 * MUST be set to ceiling(log2(N))" (@min 1).  At least @min (and 1), at
 * most CHORD_MAX_NEIGHBORS. */
guint reload_self_tuning_neighbor_count (double n, guint min);

/* Times kept by the self-tuning.  The node has two: st_leaves, the ring
 * of the last failures (§6.3; reload_self_tuning_history_add()), and
 * st_joins, the time each peer of its routing table joined the overlay
 * (§6.4, from the uptimes), keyed by Node-ID
 * (reload_self_tuning_joined_*()). */
typedef struct
{
  gint64 at[RELOAD_SELF_TUNING_SLOTS];    /* ms */
  ChordId peer[RELOAD_SELF_TUNING_SLOTS]; /* keyed use only */
  guint n;                                /* entries, at most the slots */
  guint next;                             /* ring use: where the next goes */
} ReloadSelfTuningHistory;

/* The join time of a peer not known yet (no uptime heard). */
#define RELOAD_SELF_TUNING_UNKNOWN G_MININT64

/* Ring use: a failure at @at_ms (the oldest is dropped when full). */
void reload_self_tuning_history_add (ReloadSelfTuningHistory *h, gint64 at_ms);

/* §6.3: "In [Ghinita2006], K is set to 25% of the routing table size.
 * Use of this value is RECOMMENDED": ceil(m / 4) for @m peers in the
 * routing table, and at least 2 (with one failure, "the time between the
 * first and the last failure" would be 0), at most the slots. */
guint reload_self_tuning_failure_history_size (guint m);

/* §6.3: "U = k / (M * Tk), where M is the number of unique peer
 * identifiers in the routing table, Tk is the time between the first and
 * the last failure in the history, and k is the number of failures in the
 * history.  If k is smaller than K, the estimate is computed as if there
 * was a failure at the current time."  The history holds the last @k_max
 * (K) of @h's entries, the first of which is the join time ("The current
 * time is inserted into the history when the peer joins the overlay").
 * Failures per peer per second; 0 with no entry or @m = 0. */
double reload_self_tuning_failure_rate (const ReloadSelfTuningHistory *h, guint k_max, guint m,
                                        gint64 now_ms);

/* Keyed use: the entry of @peer, or -1. */
gint reload_self_tuning_joined_find (const ReloadSelfTuningHistory *h, ChordId peer);
/* Keyed use: @peer's join time (RELOAD_SELF_TUNING_UNKNOWN to add it
 * without one); FALSE when the slots are full. */
gboolean reload_self_tuning_joined_set (ReloadSelfTuningHistory *h, ChordId peer, gint64 joined_ms);
/* Keyed use: drops entry @i (the last one takes its place). */
void reload_self_tuning_joined_remove (ReloadSelfTuningHistory *h, guint i);

/* §6.4: "L = N / Ages[floor(rsize/2)], where Ages is an array containing
 * the ages of the peers in the routing table sorted in increasing order
 * and rsize is the size of the routing table": @ages (seconds, @rsize of
 * them: the peers whose uptime is known) are sorted in place, indexed
 * from 0 (the median; the upper one for an even @rsize).  An age under
 * 1 s counts as 1 s (uptimes are whole seconds).  Joins per second
 * overlay-wide; 0 with no age. */
double reload_self_tuning_join_rate (double n, double *ages, guint rsize);

/* §2: "The Pth (0<=P<=100) percentile of N values arranged in ascending
 * order is obtained by first calculating the (ordinal) rank n=(P/100)*N,
 * rounding the result to the nearest integer and then taking the value
 * corresponding to that rank."  @values are sorted in place; ranks from 1
 * (a rank of 0 takes the first value).  0 with no value. */
double reload_self_tuning_percentile (double *values, guint n_values, double p);

/* §6.5: a rate per second in a SelfTuningData join_rate or leave_rate:
 * "if the global join rate estimate a peer has calculated is 0.123
 * peers/s, it would include in the 'join_rate' field the ceiling of the
 * value 10627.2 (24*60*60*0.123 = 10627.2), that is, the value 10628";
 * and back. */
guint32 reload_self_tuning_rate_to_wire (double per_s);
double reload_self_tuning_rate_from_wire (guint32 per_24h);

/* §6.6: "Tf = 1 / (2*U)", "Tstab-1 = Tf / square(log2(N))",
 * "Tstab-2 = N / (L * square(log2(N)))", and "the actual stabilization
 * interval Tstab that is used can be obtained by taking the minimum of
 * Tstab-1 and Tstab-2".  @n the overlay size, @join_rate L (joins per
 * second, overlay-wide), @failure_rate U (failures per peer per second).
 * Seconds, before the 15 s lower limit the node applies; infinity when
 * neither rate is positive or N <= 1 (log2(N) = 0). */
double reload_self_tuning_interval_s (double n, double join_rate, double failure_rate);

G_END_DECLS
