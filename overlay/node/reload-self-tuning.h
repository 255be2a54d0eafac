/* reload-self-tuning.h: the self-tuning of RFC 7363 (CHORD-SELF-TUNING)
 * as pure functions: the overlay size estimate (§6.1), the routing table
 * sizes (§6.2), the join and leave rate estimates (§6.3, §6.4), the
 * sharing of estimates (§6.5) and the stabilization interval (§6.6).
 * The node (reload-node-self-tuning.c) feeds them from its table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-table.h"

G_BEGIN_DECLS

/* the failure/join events kept per kind (§6.3: "the last K events") */
#define RELOAD_SELF_TUNING_HISTORY 8
/* The rates in a SelfTuningData (RFC 7363 §5.1, uint32) are carried as
 * overlay-wide events per 1000 seconds, so that the small rates of a
 * small overlay survive the integer (see reload-node-self-tuning.c). */
#define RELOAD_SELF_TUNING_RATE_SCALE 1000.0
/* default target proportion of stale neighbour entries (§6.6 Pf) */
#define RELOAD_SELF_TUNING_DEFAULT_STALE 0.01

/* §6.1: N = 2^128 / d, d the mean distance between successive Node-IDs
 * from the farthest predecessor to the farthest successor.  When the
 * lists wrap around the ring (a small overlay), N is the number of
 * distinct peers plus this one.  1 with no neighbour. */
double reload_self_tuning_estimate_size (ChordId self, const ChordId *pred, guint n_pred,
                                         const ChordId *succ, guint n_succ);

/* §6.2: finger table size max(ceil(log2 N), 16), at most
 * CHORD_MAX_FINGERS; successor and predecessor list size ceil(log2 N),
 * between @min and CHORD_MAX_NEIGHBORS. */
guint reload_self_tuning_finger_count (double n);
guint reload_self_tuning_neighbor_count (double n, guint min);

/* §6.6: the proportion of entries stale on average over an interval of
 * @interval_s with a per-entry change rate @r (1/s): 1 - (1 - e^-rT)/(rT). */
double reload_self_tuning_stale_fraction (double r, double interval_s);
/* §6.6: the longest interval keeping that proportion at most @target for
 * an overlay of @n peers with overlay-wide rates @join_rate and
 * @leave_rate (peers/s).  Infinity when nothing changes. */
double reload_self_tuning_interval_s (double n, double join_rate, double leave_rate, double target);

/* §6.3/§6.4: the times of the last events of one kind. */
typedef struct
{
  gint64 at[RELOAD_SELF_TUNING_HISTORY]; /* ms */
  guint n;                               /* recorded, at most the size */
  guint next;                            /* ring position */
} ReloadSelfTuningHistory;

void reload_self_tuning_history_add (ReloadSelfTuningHistory *h, gint64 at_ms);
/* Events per watched entry per second: K / (watched * T), T the time
 * since the oldest of the last K events (K = the history size), or,
 * before K events, the events seen / (watched * time observed since
 * @since_ms).  0 before any observation time. */
double reload_self_tuning_history_rate (const ReloadSelfTuningHistory *h, gint64 since_ms,
                                        gint64 now_ms, guint watched);

G_END_DECLS
