/* sim-world-wheel.c: the event queue of the simulated world, a
 * hierarchical timing wheel over the event slab (see sim-world.c for the
 * data layout).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "sim-world-private.h"

/* ---- the event queue: a hierarchical timing wheel ----
 *
 * An event at time t is filed at the level of the highest WHEEL_BITS-bit
 * digit in which t differs from the cursor, in the bucket of t's digit at
 * that level (which is above the cursor's).  Level 0 buckets therefore hold
 * events of one exact microsecond.  To find the next event, sim_wheel_next
 * looks for the first occupied level-0 bucket at or after the cursor; when
 * there is none, it takes the first occupied bucket of the lowest occupied
 * level, moves the cursor to that bucket's first microsecond and files its
 * events again, each now at a lower level ("cascading").
 *
 * Order: every bucket is a FIFO list.  All the pending events of one time t
 * are always in the same bucket (the bucket is a function of t and the
 * cursor, and a cascade moves whole buckets, in order), so events of equal
 * time run in the order they were scheduled, without a sequence number.
 * Insertion and cancellation are O(1), each event cascades at most
 * WHEEL_LEVELS - 1 times, and finding a bucket scans a 256-bit map. */

static inline void
wheel_insert (SimWorld *world, guint32 slot)
{
  SimEvent *ev = &world->events[slot];
  guint64 x = (guint64) ev->time ^ (guint64) world->cursor;
  guint level = x == 0 ? 0 : (guint) (63 - __builtin_clzll (x)) / WHEEL_BITS;
  guint digit = (guint) ((guint64) ev->time >> (level * WHEEL_BITS)) & (WHEEL_SIZE - 1);
  guint b = level * WHEEL_SIZE + digit;
  Bucket *bucket = &world->buckets[b];
  if (G_UNLIKELY (bucket->len == bucket->cap))
    {
      bucket->cap = MAX (16, bucket->cap * 2);
      bucket->slots = g_renew (guint32, bucket->slots, bucket->cap);
    }
  ev->bucket = (guint16) b;
  ev->pos = bucket->len;
  bucket->slots[bucket->len++] = slot;
  bucket->live++;
  world->occupied[level][digit / 64] |= G_GUINT64_CONSTANT (1) << (digit % 64);
}

static inline void
bucket_reset (SimWorld *world, guint b)
{
  Bucket *bucket = &world->buckets[b];
  guint level = b / WHEEL_SIZE, digit = b % WHEEL_SIZE;
  bucket->head = bucket->len = bucket->live = 0;
  world->occupied[level][digit / 64] &= ~(G_GUINT64_CONSTANT (1) << (digit % 64));
}

/* Cancels: leaves a hole, compacts the bucket (in order) when more than
 * half of it is holes. */
static void
wheel_unlink (SimWorld *world, guint32 slot)
{
  SimEvent *ev = &world->events[slot];
  Bucket *bucket = &world->buckets[ev->bucket];
  bucket->slots[ev->pos] = NIL;
  if (--bucket->live == 0)
    {
      bucket_reset (world, ev->bucket);
      return;
    }
  guint32 span = bucket->len - bucket->head;
  if (span < 64 || bucket->live * 2 >= span)
    return;
  guint32 j = 0;
  for (guint32 i = bucket->head; i < bucket->len; i++)
    if (bucket->slots[i] != NIL)
      {
        bucket->slots[j] = bucket->slots[i];
        world->events[bucket->slots[j]].pos = j;
        j++;
      }
  bucket->head = 0;
  bucket->len = j;
}

/* The first set bit at or after @from in a level's map, or -1. */
static inline int
bitmap_next (const guint64 *words, guint from)
{
  guint w = from / 64;
  guint64 m = words[w] & (~G_GUINT64_CONSTANT (0) << (from % 64));
  while (m == 0)
    {
      if (++w == WHEEL_WORDS)
        return -1;
      m = words[w];
    }
  return (int) (w * 64 + (guint) __builtin_ctzll (m));
}

static inline guint
cursor_digit (SimWorld *world, guint level)
{
  return (guint) ((guint64) world->cursor >> (level * WHEEL_BITS)) & (WHEEL_SIZE - 1);
}

/* Unqueues and returns the next event if it is due at or before @limit
 * (the cursor then at its time); NIL otherwise (the cursor never passes
 * @limit). */
guint32
sim_wheel_next (SimWorld *world, gint64 limit)
{
  for (;;)
    {
      int d = bitmap_next (world->occupied[0], cursor_digit (world, 0));
      if (d >= 0)
        {
          gint64 t = (gint64) (((guint64) world->cursor & ~(guint64) (WHEEL_SIZE - 1)) | (guint) d);
          if (t > limit)
            return NIL;
          Bucket *bucket = &world->buckets[d];
          while (bucket->slots[bucket->head] == NIL)
            bucket->head++;
          world->cursor = t;
          guint32 slot = bucket->slots[bucket->head++];
          if (--bucket->live == 0)
            bucket_reset (world, (guint) d);
          return slot;
        }
      guint level;
      for (level = 1; level < WHEEL_LEVELS; level++)
        {
          d = bitmap_next (world->occupied[level], cursor_digit (world, level));
          if (d >= 0)
            break;
        }
      if (level == WHEEL_LEVELS)
        return NIL;
      guint shift = level * WHEEL_BITS;
      guint64 above =
          shift + WHEEL_BITS >= 64 ? 0 : ~((G_GUINT64_CONSTANT (1) << (shift + WHEEL_BITS)) - 1);
      gint64 start = (gint64) (((guint64) world->cursor & above) | ((guint64) d << shift));
      if (start > limit)
        return NIL;
      /* Cascade: file the bucket's events again from its first microsecond
       * (all at lower levels, in their order). */
      world->cursor = start;
      Bucket *bucket = &world->buckets[level * WHEEL_SIZE + (guint) d];
      const guint32 *slots = bucket->slots;
      for (guint32 i = bucket->head, n = bucket->len; i < n; i++)
        {
          if (i + 8 < n && slots[i + 8] != NIL)
            __builtin_prefetch (&world->events[slots[i + 8]]);
          if (slots[i] == NIL)
            continue;
          wheel_insert (world, slots[i]);
          /* Due within 256 us: fetch the link its delivery will read. */
          const SimEvent *ev = &world->events[slots[i]];
          if (level == 1 && ev->kind == EV_PACKET)
            __builtin_prefetch (&world->links[ev->u.packet.link & world->links_mask]);
        }
      bucket_reset (world, level * WHEEL_SIZE + (guint) d);
    }
}

/* The time of the next event, without moving the cursor. */
gint64
sim_wheel_peek (SimWorld *world)
{
  for (guint level = 0; level < WHEEL_LEVELS; level++)
    {
      int d = bitmap_next (world->occupied[level], cursor_digit (world, level));
      if (d < 0)
        continue;
      if (level == 0)
        return (gint64) (((guint64) world->cursor & ~(guint64) (WHEEL_SIZE - 1)) | (guint) d);
      const Bucket *bucket = &world->buckets[level * WHEEL_SIZE + (guint) d];
      gint64 min = G_MAXINT64;
      for (guint32 i = bucket->head; i < bucket->len; i++)
        if (bucket->slots[i] != NIL)
          min = MIN (min, world->events[bucket->slots[i]].time);
      return min;
    }
  return G_MAXINT64;
}

guint32
sim_event_alloc (SimWorld *world)
{
  guint32 slot = world->event_free;
  if (slot != NIL)
    {
      world->event_free = world->events[slot].pos;
      return slot;
    }
  if (world->events_len == world->events_cap)
    {
      if (world->events_cap >= G_MAXUINT32 / 2)
        g_error ("sim-world: more than 2^31 pending events");
      world->events_cap = MAX (1024, world->events_cap * 2);
      world->events = g_renew (SimEvent, world->events, world->events_cap);
    }
  slot = world->events_len++;
  world->events[slot].gen = 1;
  world->events[slot].kind = 0;
  return slot;
}

void
sim_event_release (SimWorld *world, guint32 slot)
{
  SimEvent *ev = &world->events[slot];
  ev->kind = 0;
  ev->gen++;
  if (ev->gen == 0)
    ev->gen = 1;
  ev->pos = world->event_free;
  world->event_free = slot;
}

static inline SimTimerId
make_id (guint32 gen, guint32 slot)
{
  return ((guint64) gen << 32) | ((guint64) slot + 1);
}

/* Queues the event already filled in at @slot. */
SimTimerId
sim_event_push (SimWorld *world, guint32 slot, gint64 at, EvKind kind)
{
  SimEvent *ev = &world->events[slot];
  ev->time = at;
  ev->kind = (guint8) kind;
  wheel_insert (world, slot);
  world->n_pending++;
  return make_id (ev->gen, slot);
}

/* The slot of a pending event, or NIL. */
guint32
sim_event_lookup (SimWorld *world, SimTimerId id)
{
  guint64 low = id & G_MAXUINT32;
  if (low == 0 || low > world->events_len)
    return NIL;
  guint32 slot = (guint32) (low - 1);
  SimEvent *ev = &world->events[slot];
  if (ev->gen != (guint32) (id >> 32) || ev->kind == 0)
    return NIL;
  return slot;
}

void
sim_event_cancel_slot (SimWorld *world, guint32 slot)
{
  if (world->events[slot].kind == EV_PACKET)
    g_bytes_unref (world->events[slot].u.packet.bytes);
  wheel_unlink (world, slot);
  world->n_pending--;
  sim_event_release (world, slot);
}
