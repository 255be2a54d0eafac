/* chord-table.h: the CHORD-RELOAD routing table (RFC 6940 §10): the
 * Neighbor Table (successors and predecessors) and the Finger Table, and the
 * routing decision of §10.3.
 *
 * Pure data: the node decides when peers are added (a link is up) and
 * removed (a link is lost); the table answers who is responsible, where a
 * message goes next, and which entries are missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-id.h"

G_BEGIN_DECLS

#define CHORD_MAX_NEIGHBORS 16
#define CHORD_MAX_FINGERS 128 /* §10.7.4.3 */

typedef struct
{
  ChordId self;
  guint n_succ_max; /* at least 3 (§10.7) */
  guint n_pred_max;
  guint n_fingers; /* at least 16 (§10.7.4.3) */

  ChordId succ[CHORD_MAX_NEIGHBORS]; /* by clockwise distance from self */
  guint n_succ;
  ChordId pred[CHORD_MAX_NEIGHBORS]; /* by counter-clockwise distance */
  guint n_pred;
  /* finger[i] (i from 0) is the peer for the range
   * [self + 2^(127-i), self + 2^(128-i) - 1] (§10.7.4.2, with the RFC's
   * i = our i + 1) */
  ChordId finger[CHORD_MAX_FINGERS];
  gboolean finger_valid[CHORD_MAX_FINGERS];
  /* peers removed (lost) from the Neighbor Table since init: the failures
   * the self-tuning counts (RFC 7363 §6.3) */
  guint64 neighbor_losses;
} ChordTable;

void chord_table_init (ChordTable *t, ChordId self, guint n_succ, guint n_pred, guint n_fingers);

/* A peer became reachable (a link to it is up): placed where it belongs
 * among successors, predecessors and fingers.  Returns TRUE when the
 * Neighbor Table changed. */
gboolean chord_table_add (ChordTable *t, ChordId peer);
/* A peer was lost: removed everywhere.  Returns TRUE when the Neighbor
 * Table changed. */
gboolean chord_table_remove (ChordTable *t, ChordId peer);
/* Whether @peer would enter the Neighbor Table if it were added (it is
 * closer than a current entry, or there is room). */
gboolean chord_table_wants_neighbor (const ChordTable *t, ChordId peer);
gboolean chord_table_is_neighbor (const ChordTable *t, ChordId peer);
gboolean chord_table_contains (const ChordTable *t, ChordId peer);

/* §10.1: responsible for k when k is in (predecessor, self]; with no
 * predecessor known, a peer is responsible for everything. */
gboolean chord_table_is_responsible (const ChordTable *t, ChordId k);
/* The range (lo, self] this peer is responsible for. */
ChordId chord_table_range_start (const ChordTable *t);

/* §10.3: the next hop towards @k: the known peer with the largest id in
 * (self, k), else the smallest id after k.  FALSE when no peer is known. */
gboolean chord_table_next_hop (const ChordTable *t, ChordId k, ChordId *next);

/* Finger @i's range start, self + 2^(127-i); and a random id in its
 * range (§10.7.4.2: "SHOULD send the Ping to a Node-ID selected randomly
 * from that range"), from @r1, @r2 random words. */
ChordId chord_table_finger_start (const ChordTable *t, guint i);
ChordId chord_table_finger_random_target (const ChordTable *t, guint i, guint64 r1, guint64 r2);
/* The first finger index whose entry is invalid (no peer in its range),
 * or -1.  Fingers whose range starts beyond the first successor are
 * counted valid: the successor covers them. */
gint chord_table_first_invalid_finger (const ChordTable *t);

/* RFC 7363 §6.2: new sizes of the successor and predecessor lists and of
 * the Finger Table (clamped as at init).  Shrinking drops the farthest
 * neighbours and the finest fingers; the caller re-adds its peers after
 * growing. */
void chord_table_set_sizes (ChordTable *t, guint n_succ, guint n_pred, guint n_fingers);

/* Every distinct peer in the table (neighbors and fingers). */
guint chord_table_peers (const ChordTable *t, ChordId *out, guint max);

G_END_DECLS
