/* chord-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chord-table.h"

#include <string.h>

void
chord_table_init (ChordTable *t, ChordId self, guint n_succ, guint n_pred, guint n_fingers)
{
  memset (t, 0, sizeof *t);
  t->self = self;
  t->n_succ_max = CLAMP (n_succ, 1, CHORD_MAX_NEIGHBORS);
  t->n_pred_max = CLAMP (n_pred, 1, CHORD_MAX_NEIGHBORS);
  t->n_fingers = CLAMP (n_fingers, 1, CHORD_MAX_FINGERS);
}

static gboolean
list_contains (const ChordId *list, guint n, ChordId id)
{
  for (guint i = 0; i < n; i++)
    if (chord_id_equal (list[i], id))
      return TRUE;
  return FALSE;
}

static gboolean
list_remove (ChordId *list, guint *n, ChordId id)
{
  for (guint i = 0; i < *n; i++)
    if (chord_id_equal (list[i], id))
      {
        memmove (list + i, list + i + 1, (*n - i - 1) * sizeof (ChordId));
        (*n)--;
        return TRUE;
      }
  return FALSE;
}

/* Inserts @id into @list kept in ascending order of @key(id), at most @max
 * entries.  Returns TRUE when the list changed. */
static gboolean
list_insert (ChordId *list, guint *n, guint max, ChordId id, ChordId key_origin, gboolean clockwise)
{
  if (list_contains (list, *n, id))
    return FALSE;
  ChordId key = clockwise ? chord_id_distance (key_origin, id) : chord_id_distance (id, key_origin);
  guint pos = *n;
  for (guint i = 0; i < *n; i++)
    {
      ChordId k = clockwise ? chord_id_distance (key_origin, list[i])
                            : chord_id_distance (list[i], key_origin);
      if (chord_id_cmp (key, k) < 0)
        {
          pos = i;
          break;
        }
    }
  if (pos >= max)
    return FALSE;
  guint keep = MIN (*n, max - 1);
  memmove (list + pos + 1, list + pos, (keep - pos) * sizeof (ChordId));
  list[pos] = id;
  *n = keep + 1;
  return TRUE;
}

ChordId
chord_table_finger_start (const ChordTable *t, guint i)
{
  return chord_id_add (t->self, chord_id_pow2 (127 - i));
}

/* Whether @peer lies in finger @i's range [self + 2^(127-i), self + 2^(128-i) - 1]. */
static gboolean
in_finger_range (const ChordTable *t, guint i, ChordId peer)
{
  ChordId d = chord_id_distance (t->self, peer);
  ChordId lo = chord_id_pow2 (127 - i);
  if (chord_id_cmp (d, lo) < 0)
    return FALSE;
  if (i == 0)
    return TRUE; /* up to 2^128 - 1 */
  ChordId hi = chord_id_pow2 (128 - i);
  return chord_id_cmp (d, hi) < 0;
}

static void
update_fingers_with (ChordTable *t, ChordId peer)
{
  for (guint i = 0; i < t->n_fingers; i++)
    {
      if (!in_finger_range (t, i, peer))
        continue;
      /* the closest peer to the range start is the best entry */
      if (!t->finger_valid[i]
          || chord_id_cmp (chord_id_distance (t->self, peer),
                           chord_id_distance (t->self, t->finger[i]))
                 < 0)
        {
          t->finger[i] = peer;
          t->finger_valid[i] = TRUE;
        }
      return; /* the ranges do not overlap */
    }
}

gboolean
chord_table_add (ChordTable *t, ChordId peer)
{
  if (chord_id_equal (peer, t->self))
    return FALSE; /* §10.7.3: "A peer MUST NOT enter itself" */
  gboolean changed = list_insert (t->succ, &t->n_succ, t->n_succ_max, peer, t->self, TRUE);
  changed |= list_insert (t->pred, &t->n_pred, t->n_pred_max, peer, t->self, FALSE);
  update_fingers_with (t, peer);
  return changed;
}

gboolean
chord_table_wants_neighbor (const ChordTable *t, ChordId peer)
{
  if (chord_id_equal (peer, t->self) || chord_table_is_neighbor (t, peer))
    return FALSE;
  if (t->n_succ < t->n_succ_max || t->n_pred < t->n_pred_max)
    return TRUE;
  ChordId d = chord_id_distance (t->self, peer);
  if (chord_id_cmp (d, chord_id_distance (t->self, t->succ[t->n_succ - 1])) < 0)
    return TRUE;
  ChordId dp = chord_id_distance (peer, t->self);
  return chord_id_cmp (dp, chord_id_distance (t->pred[t->n_pred - 1], t->self)) < 0;
}

gboolean
chord_table_is_neighbor (const ChordTable *t, ChordId peer)
{
  return list_contains (t->succ, t->n_succ, peer) || list_contains (t->pred, t->n_pred, peer);
}

gboolean
chord_table_contains (const ChordTable *t, ChordId peer)
{
  if (chord_table_is_neighbor (t, peer))
    return TRUE;
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i] && chord_id_equal (t->finger[i], peer))
      return TRUE;
  return FALSE;
}

gboolean
chord_table_remove (ChordTable *t, ChordId peer)
{
  gboolean changed = list_remove (t->succ, &t->n_succ, peer);
  changed |= list_remove (t->pred, &t->n_pred, peer);
  if (changed)
    t->neighbor_losses++;
  /* §10.7.2: the failed entry leaves the Finger Table; the node searches
   * for a replacement. */
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i] && chord_id_equal (t->finger[i], peer))
      t->finger_valid[i] = FALSE;
  return changed;
}

void
chord_table_set_sizes (ChordTable *t, guint n_succ, guint n_pred, guint n_fingers)
{
  t->n_succ_max = CLAMP (n_succ, 1, CHORD_MAX_NEIGHBORS);
  t->n_pred_max = CLAMP (n_pred, 1, CHORD_MAX_NEIGHBORS);
  t->n_succ = MIN (t->n_succ, t->n_succ_max);
  t->n_pred = MIN (t->n_pred, t->n_pred_max);
  n_fingers = CLAMP (n_fingers, 1, CHORD_MAX_FINGERS);
  for (guint i = n_fingers; i < CHORD_MAX_FINGERS; i++)
    t->finger_valid[i] = FALSE;
  t->n_fingers = n_fingers;
}

ChordId
chord_table_range_start (const ChordTable *t)
{
  return t->n_pred > 0 ? t->pred[0] : t->self;
}

gboolean
chord_table_is_responsible (const ChordTable *t, ChordId k)
{
  return chord_id_in_open_closed (k, chord_table_range_start (t), t->self);
}

static void
consider (ChordId cand, ChordId self, ChordId k, gboolean *have_before, ChordId *best_before,
          gboolean *have_after, ChordId *best_after)
{
  if (chord_id_in_open_open (cand, self, k))
    {
      /* largest id in (self, k): the one closest before k */
      if (!*have_before
          || chord_id_cmp (chord_id_distance (cand, k), chord_id_distance (*best_before, k)) < 0)
        {
          *best_before = cand;
          *have_before = TRUE;
        }
    }
  else
    {
      /* smallest id at or after k */
      if (!*have_after
          || chord_id_cmp (chord_id_distance (k, cand), chord_id_distance (k, *best_after)) < 0)
        {
          *best_after = cand;
          *have_after = TRUE;
        }
    }
}

gboolean
chord_table_next_hop (const ChordTable *t, ChordId k, ChordId *next)
{
  /* Within the stretch of ring the Neighbor Table covers, the peer
   * responsible for k is known exactly: k in (succ[i-1], succ[i]] belongs
   * to succ[i], k in (pred[i], pred[i-1]] to pred[i-1].  Going there
   * directly saves the hop through the peer just before k that §10.3's
   * rule alone would take. */
  for (guint i = 1; i < t->n_succ; i++)
    if (chord_id_in_open_closed (k, t->succ[i - 1], t->succ[i])
        && !chord_id_equal (t->succ[i - 1], t->succ[i]))
      {
        *next = t->succ[i];
        return TRUE;
      }
  for (guint i = 1; i < t->n_pred; i++)
    if (chord_id_in_open_closed (k, t->pred[i], t->pred[i - 1])
        && !chord_id_equal (t->pred[i], t->pred[i - 1]))
      {
        *next = t->pred[i - 1];
        return TRUE;
      }
  gboolean have_before = FALSE, have_after = FALSE;
  ChordId before = { 0, 0 }, after = { 0, 0 };
  /* §10.3: the Routing Table is the union of the Neighbor Table and the
   * Finger Table; predecessors count too (a peer just before k may be a
   * predecessor, not a finger). */
  for (guint i = 0; i < t->n_succ; i++)
    consider (t->succ[i], t->self, k, &have_before, &before, &have_after, &after);
  for (guint i = 0; i < t->n_pred; i++)
    consider (t->pred[i], t->self, k, &have_before, &before, &have_after, &after);
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i])
      consider (t->finger[i], t->self, k, &have_before, &before, &have_after, &after);
  /* k itself is "at or after k": a peer with id k is responsible for k
   * and is taken before any peer preceding k. */
  if (have_after && chord_id_equal (after, k))
    {
      *next = after;
      return TRUE;
    }
  if (have_before)
    {
      *next = before;
      return TRUE;
    }
  if (have_after)
    {
      *next = after;
      return TRUE;
    }
  return FALSE;
}

ChordId
chord_table_finger_random_target (const ChordTable *t, guint i, guint64 r1, guint64 r2)
{
  /* a random offset in [2^(127-i), 2^(128-i) - 1]: the top bit of the
   * offset is bit 127-i, the bits below it are random */
  guint bit = 127 - i;
  ChordId off = { r1, r2 };
  if (bit >= 64)
    {
      guint b = bit - 64;
      off.hi = (b == 63 ? off.hi : off.hi & (((guint64) 1 << b) - 1)) | ((guint64) 1 << b);
    }
  else
    {
      off.hi = 0;
      off.lo = (bit == 63 ? off.lo : off.lo & (((guint64) 1 << bit) - 1)) | ((guint64) 1 << bit);
    }
  return chord_id_add (t->self, off);
}

gint
chord_table_first_invalid_finger (const ChordTable *t)
{
  ChordId succ_d = t->n_succ > 0 ? chord_id_distance (t->self, t->succ[0]) : (ChordId){ 0, 0 };
  for (guint i = 0; i < t->n_fingers; i++)
    {
      if (t->finger_valid[i])
        continue;
      /* a range that lies entirely before the first successor holds no
       * peer at all: nothing to search for */
      ChordId top = i == 0 ? (ChordId){ G_MAXUINT64, G_MAXUINT64 } : chord_id_pow2 (128 - i);
      if (t->n_succ > 0 && chord_id_cmp (top, succ_d) <= 0)
        continue;
      return (gint) i;
    }
  return -1;
}

guint
chord_table_peers (const ChordTable *t, ChordId *out, guint max)
{
  guint n = 0;
  for (guint i = 0; i < t->n_succ && n < max; i++)
    if (!list_contains (out, n, t->succ[i]))
      out[n++] = t->succ[i];
  for (guint i = 0; i < t->n_pred && n < max; i++)
    if (!list_contains (out, n, t->pred[i]))
      out[n++] = t->pred[i];
  for (guint i = 0; i < t->n_fingers && n < max; i++)
    if (t->finger_valid[i] && !list_contains (out, n, t->finger[i]))
      out[n++] = t->finger[i];
  return n;
}
