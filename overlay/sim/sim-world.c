/* sim-world.c: the virtual network of chorus-sim (see sim-world.h).
 *
 * Data layout, for 10,000+ hosts and millions of events per second:
 *   - events live in a slab (SimEvent, 48 bytes) reused through a free
 *     list, and are queued in a hierarchical timing wheel (below): O(1)
 *     schedule and cancel, exact (time, insertion order) ordering;
 *   - links live in a slab too; each host threads its links through an
 *     intrusive doubly linked list (O(1) insertion and removal, no
 *     allocation per link beyond the slab);
 *   - ids are (generation << 32 | slot + 1): a stale id never matches a
 *     reused slot.
 * Nothing iterates a hash table, so no order depends on hashing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-world.h"

#include <math.h>
#include <string.h>

#define NIL G_MAXUINT32

/* ---- deterministic mixing (splitmix64) ---- */

static inline guint64
mix64 (guint64 z)
{
  z += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Stream tags: each (seed, host, tag) names an independent stream. */
enum
{
  TAG_WORLD = 1,
  TAG_POSITION = 2,
  TAG_HOST_RAND = 3,
  TAG_NET = 4,
};

static guint64
derive (guint64 seed, guint64 host, guint64 tag)
{
  return mix64 (mix64 (mix64 (seed) ^ tag) ^ (host * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d)));
}

static inline guint64
splitmix_next (guint64 *state)
{
  *state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  guint64 z = *state;
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* [0, 1) with 53 bits. */
static inline double
splitmix_double (guint64 *state)
{
  return (double) (splitmix_next (state) >> 11) * (1.0 / 9007199254740992.0);
}

static GRand *
rand_from_stream (guint64 stream)
{
  guint32 seed[4];
  guint64 s = stream;
  guint64 a = splitmix_next (&s), b = splitmix_next (&s);
  seed[0] = (guint32) a;
  seed[1] = (guint32) (a >> 32);
  seed[2] = (guint32) b;
  seed[3] = (guint32) (b >> 32);
  return g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
}

/* ---- types ---- */

typedef enum
{
  EV_TIMER = 1,
  EV_HOST_TIMER,
  EV_PACKET,
  EV_LINK_UP,
  EV_LINK_DOWN,
} EvKind;

typedef struct
{
  union
  {
    struct
    {
      SimEventFn fn;
      gpointer data;
      guint32 host; /* EV_HOST_TIMER */
      guint32 epoch;
    } timer;
    struct
    {
      GBytes *bytes;
      SimLinkId link;
      guint32 to_end;
      guint32 from_host;
    } packet;
    struct
    {
      SimLinkId link;
      guint32 end;
    } link;
  } u;
  gint64 time;
  guint32 pos; /* the index in its bucket, or the free list's next */
  guint32 gen;
  guint16 bucket; /* level * WHEEL_SIZE + digit */
  guint8 kind;    /* EvKind, 0 while free */
} SimEvent;

G_STATIC_ASSERT (sizeof (SimEvent) == 48);

/* The timing wheel: WHEEL_LEVELS levels of WHEEL_SIZE buckets, one digit of
 * WHEEL_BITS bits of the time per level, so that 8 levels cover every
 * gint64 and level 0 has a resolution of 1 us. */
#define WHEEL_BITS 8
#define WHEEL_SIZE (1u << WHEEL_BITS)
#define WHEEL_LEVELS 8
#define WHEEL_WORDS (WHEEL_SIZE / 64)

/* A FIFO of event slots: entries [head, len) are queued, NIL where
 * cancelled; @live of them are not NIL.  An array rather than a linked
 * list, so that a cascade reads the events with independent loads instead
 * of chasing pointers.  A bucket that is more than half holes is compacted
 * (so that timers re-armed again and again cost no memory), an empty one
 * reset. */
typedef struct
{
  guint32 *slots;
  guint32 head, len, cap, live;
} Bucket;

typedef enum
{
  END_CLOSED = 0,
  END_CONNECTING,
  END_UP,
} EndState;

/* A link is one 64-byte cache line: a datagram's delivery reads nothing
 * else of it. */
#define MAX_HOSTS (1u << 24)

typedef struct
{
  guint32 host : 24;
  guint32 state : 2;    /* EndState */
  guint32 knows : 1;    /* the host knows of the link: it opened it or saw SIM_LINK_UP */
  guint32 down_due : 1; /* the pending event is a SIM_LINK_DOWN */
  SimLinkId next;       /* the host's list of links */
  SimLinkId prev;
  guint32 pending;     /* the event slot of the SIM_LINK_UP or _DOWN due here, or NIL */
  gint64 last_arrival; /* FIFO: the latest arrival scheduled towards this end */
} LinkEnd;

typedef struct
{
  LinkEnd end[2]; /* end[0]: the initiator */
  guint32 delay_us;
  SimLinkId id; /* SIM_LINK_NONE while the slot is free */
  guint32 padding[2];
} Link;

G_STATIC_ASSERT (sizeof (Link) == 64);

typedef struct
{
  /* the first cache line: what sending and receiving a datagram touch */
  SimReceiveFn receive;
  gpointer data;
  guint64 bandwidth_Bps;
  gint64 tx_free_at;
  SimHostCounters counters; /* msgs_sent .. bytes_received in the first line */
  guint64 net_state;
  SimLinkEventFn link_event;
  GRand *rand; /* created on demand */
  double x, y;
  double access_u; /* [0, 1) within [access_min, access_max] */
  SimLinkId link_head;
  guint32 n_links;
  guint32 epoch;
  gboolean alive;
} __attribute__ ((aligned (64))) Host;

struct _SimWorld
{
  guint64 seed;
  SimWorldConfig config;
  double access_min_us, access_span_us, k_us;

  gint64 now;
  guint64 events_processed;
  gboolean stop;

  /* Every pending event at time t sits in the bucket of level l, digit
   * d_l(t), where l is the highest digit in which t and the cursor differ
   * (level 0 when t == cursor).  Buckets are FIFOs; see wheel_next.  A bit
   * of occupied is set for every bucket that holds an event. */
  gint64 cursor; /* <= now, <= every pending event's time */
  guint64 n_pending;
  Bucket buckets[WHEEL_LEVELS * WHEEL_SIZE];
  guint64 occupied[WHEEL_LEVELS][WHEEL_WORDS];
  SimEvent *events;
  guint32 events_len, events_cap;
  guint32 event_free;

  Link *links; /* 64-byte aligned */
  guint32 links_cap, links_mask;
  SimLinkId link_next_id;
  guint64 links_open;

  Host *hosts;
  guint32 n_hosts, hosts_cap;
  guint32 n_alive;

  GHashTable *latency_override; /* guint64 pair key (boxed) -> gint64 us (boxed) */
  GRand *rand;
};

/* ---- configuration ---- */

void
sim_world_config_init (SimWorldConfig *config)
{
  g_return_if_fail (config != NULL);
  *config = (SimWorldConfig){
    .min_delay_us = 1 * SIM_US_PER_MS,
    .max_delay_us = 100 * SIM_US_PER_MS,
    .fail_detect_us = 5 * SIM_US_PER_S,
    .connect_timeout_us = 5 * SIM_US_PER_S,
    .loss = 0.0,
    .bandwidth_Bps = 0,
  };
}

static void
apply_delay_range (SimWorld *world)
{
  double min = (double) world->config.min_delay_us, max = (double) world->config.max_delay_us;
  world->access_min_us = min / 2;
  world->access_span_us = (max - min) / 20;
  world->k_us = 0.9 * (max - min) / G_SQRT2;
}

SimWorld *
sim_world_new (guint64 seed, const SimWorldConfig *config)
{
  SimWorld *world = g_new0 (SimWorld, 1);
  world->seed = seed;
  if (config != NULL)
    world->config = *config;
  else
    sim_world_config_init (&world->config);
  if (world->config.min_delay_us < 0)
    world->config.min_delay_us = 0;
  if (world->config.max_delay_us < world->config.min_delay_us)
    world->config.max_delay_us = world->config.min_delay_us;
  world->config.loss = CLAMP (world->config.loss, 0.0, 1.0);
  apply_delay_range (world);
  world->event_free = NIL;
  world->link_next_id = 1;
  world->rand = rand_from_stream (derive (seed, 0, TAG_WORLD));
  return world;
}

void
sim_world_free (SimWorld *world)
{
  if (world == NULL)
    return;
  for (guint32 i = 0; i < world->events_len; i++)
    if (world->events[i].kind == EV_PACKET)
      g_bytes_unref (world->events[i].u.packet.bytes);
  for (guint32 h = 0; h < world->n_hosts; h++)
    if (world->hosts[h].rand != NULL)
      g_rand_free (world->hosts[h].rand);
  g_free (world->events);
  for (guint i = 0; i < G_N_ELEMENTS (world->buckets); i++)
    g_free (world->buckets[i].slots);
  g_aligned_free (world->links);
  g_aligned_free (world->hosts);
  if (world->latency_override != NULL)
    g_hash_table_unref (world->latency_override);
  g_rand_free (world->rand);
  g_free (world);
}

guint64
sim_world_seed (SimWorld *world)
{
  return world->seed;
}

void
sim_world_set_loss (SimWorld *world, double p)
{
  g_return_if_fail (p >= 0.0 && p <= 1.0);
  world->config.loss = p;
}

void
sim_world_set_delay_range (SimWorld *world, gint64 min_us, gint64 max_us)
{
  g_return_if_fail (min_us >= 0 && max_us >= min_us);
  world->config.min_delay_us = min_us;
  world->config.max_delay_us = max_us;
  apply_delay_range (world);
}

void
sim_world_set_fail_detect (SimWorld *world, gint64 fail_detect_us)
{
  g_return_if_fail (fail_detect_us >= 0);
  world->config.fail_detect_us = fail_detect_us;
}

/* ---- the event queue: a hierarchical timing wheel ----
 *
 * An event at time t is filed at the level of the highest WHEEL_BITS-bit
 * digit in which t differs from the cursor, in the bucket of t's digit at
 * that level (which is above the cursor's).  Level 0 buckets therefore hold
 * events of one exact microsecond.  To find the next event, wheel_next
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
static guint32
wheel_next (SimWorld *world, gint64 limit)
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
static gint64
wheel_peek (SimWorld *world)
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

static guint32
event_alloc (SimWorld *world)
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

static void
event_release (SimWorld *world, guint32 slot)
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
static SimTimerId
event_push (SimWorld *world, guint32 slot, gint64 at, EvKind kind)
{
  SimEvent *ev = &world->events[slot];
  ev->time = at;
  ev->kind = (guint8) kind;
  wheel_insert (world, slot);
  world->n_pending++;
  return make_id (ev->gen, slot);
}

/* The slot of a pending event, or NIL. */
static guint32
event_lookup (SimWorld *world, SimTimerId id)
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

static void
event_cancel_slot (SimWorld *world, guint32 slot)
{
  if (world->events[slot].kind == EV_PACKET)
    g_bytes_unref (world->events[slot].u.packet.bytes);
  wheel_unlink (world, slot);
  world->n_pending--;
  event_release (world, slot);
}

/* ---- clock and events ---- */

gint64
sim_world_now (SimWorld *world)
{
  return world->now;
}

static SimTimerId
schedule_timer (SimWorld *world, EvKind kind, guint host, gint64 at_us, SimEventFn fn,
                gpointer data)
{
  guint32 slot = event_alloc (world);
  SimEvent *ev = &world->events[slot];
  ev->u.timer.fn = fn;
  ev->u.timer.data = data;
  ev->u.timer.host = host;
  ev->u.timer.epoch = kind == EV_HOST_TIMER ? world->hosts[host].epoch : 0;
  return event_push (world, slot, at_us, kind);
}

SimTimerId
sim_world_schedule (SimWorld *world, gint64 at_us, SimEventFn fn, gpointer data)
{
  g_return_val_if_fail (world != NULL, SIM_TIMER_NONE);
  g_return_val_if_fail (fn != NULL, SIM_TIMER_NONE);
  g_return_val_if_fail (at_us >= world->now, SIM_TIMER_NONE);
  return schedule_timer (world, EV_TIMER, 0, at_us, fn, data);
}

SimTimerId
sim_world_host_schedule (SimWorld *world, guint host, gint64 at_us, SimEventFn fn, gpointer data)
{
  g_return_val_if_fail (world != NULL, SIM_TIMER_NONE);
  g_return_val_if_fail (fn != NULL, SIM_TIMER_NONE);
  g_return_val_if_fail (host < world->n_hosts, SIM_TIMER_NONE);
  g_return_val_if_fail (at_us >= world->now, SIM_TIMER_NONE);
  if (!world->hosts[host].alive)
    return SIM_TIMER_NONE;
  return schedule_timer (world, EV_HOST_TIMER, host, at_us, fn, data);
}

gboolean
sim_world_cancel (SimWorld *world, SimTimerId id)
{
  g_return_val_if_fail (world != NULL, FALSE);
  guint32 slot = event_lookup (world, id);
  if (slot == NIL)
    return FALSE;
  guint8 kind = world->events[slot].kind;
  if (kind != EV_TIMER && kind != EV_HOST_TIMER)
    return FALSE; /* not a timer: the id was forged */
  event_cancel_slot (world, slot);
  return TRUE;
}

static void dispatch_packet (SimWorld *world, const SimEvent *ev);
static void dispatch_link_event (SimWorld *world, const SimEvent *ev, EvKind kind);

/* Runs the event at @slot, just unqueued, the cursor at its time. */
static void
run_event (SimWorld *world, guint32 slot)
{
  SimEvent ev = world->events[slot];
  world->n_pending--;
  event_release (world, slot);
  world->now = ev.time;
  world->events_processed++;
  switch ((EvKind) ev.kind)
    {
    case EV_TIMER:
      ev.u.timer.fn (world, ev.u.timer.data);
      break;
    case EV_HOST_TIMER:
      {
        Host *h = &world->hosts[ev.u.timer.host];
        if (h->alive && h->epoch == ev.u.timer.epoch)
          ev.u.timer.fn (world, ev.u.timer.data);
      }
      break;
    case EV_PACKET:
      dispatch_packet (world, &ev);
      break;
    case EV_LINK_UP:
    case EV_LINK_DOWN:
      dispatch_link_event (world, &ev, (EvKind) ev.kind);
      break;
    }
}

guint64
sim_world_run_until (SimWorld *world, gint64 t_us)
{
  g_return_val_if_fail (world != NULL, 0);
  guint64 start = world->events_processed;
  world->stop = FALSE;
  guint32 slot;
  while (world->n_pending > 0 && (slot = wheel_next (world, t_us)) != NIL)
    {
      run_event (world, slot);
      if (world->stop)
        break;
    }
  if (!world->stop && t_us > world->now)
    world->now = t_us;
  world->stop = FALSE;
  return world->events_processed - start;
}

gboolean
sim_world_step (SimWorld *world)
{
  g_return_val_if_fail (world != NULL, FALSE);
  if (world->n_pending == 0)
    return FALSE;
  guint32 slot = wheel_next (world, G_MAXINT64);
  run_event (world, slot);
  world->stop = FALSE;
  return TRUE;
}

void
sim_world_stop (SimWorld *world)
{
  world->stop = TRUE;
}

gint64
sim_world_next_event_time (SimWorld *world)
{
  return world->n_pending > 0 ? wheel_peek (world) : G_MAXINT64;
}

guint64
sim_world_pending (SimWorld *world)
{
  return world->n_pending;
}

/* ---- hosts ---- */

guint
sim_world_add_host (SimWorld *world)
{
  g_return_val_if_fail (world != NULL, SIM_HOST_NONE);
  g_return_val_if_fail (world->n_hosts < MAX_HOSTS, SIM_HOST_NONE);
  if (world->n_hosts == world->hosts_cap)
    {
      guint32 cap = MAX (64, world->hosts_cap * 2);
      Host *hosts = g_aligned_alloc (cap, sizeof (Host), 64);
      if (world->n_hosts > 0)
        memcpy (hosts, world->hosts, world->n_hosts * sizeof (Host));
      g_aligned_free (world->hosts);
      world->hosts = hosts;
      world->hosts_cap = cap;
    }
  guint index = world->n_hosts++;
  Host *h = &world->hosts[index];
  memset (h, 0, sizeof *h);
  guint64 pos = derive (world->seed, index, TAG_POSITION);
  h->x = splitmix_double (&pos);
  h->y = splitmix_double (&pos);
  h->access_u = splitmix_double (&pos);
  h->net_state = derive (world->seed, index, TAG_NET);
  h->bandwidth_Bps = world->config.bandwidth_Bps;
  h->link_head = SIM_LINK_NONE;
  h->alive = TRUE;
  world->n_alive++;
  return index;
}

guint
sim_world_n_hosts (SimWorld *world)
{
  return world->n_hosts;
}

#define HOST_OR_RETURN(world, host, val)                   \
  G_STMT_START                                             \
  {                                                        \
    g_return_val_if_fail ((world) != NULL, val);           \
    g_return_val_if_fail ((host) < (world)->n_hosts, val); \
  }                                                        \
  G_STMT_END

void
sim_world_set_host_handler (SimWorld *world, guint host, SimReceiveFn receive,
                            SimLinkEventFn link_event, gpointer host_data)
{
  g_return_if_fail (world != NULL && host < world->n_hosts);
  Host *h = &world->hosts[host];
  h->receive = receive;
  h->link_event = link_event;
  h->data = host_data;
}

gpointer
sim_world_host_data (SimWorld *world, guint host)
{
  HOST_OR_RETURN (world, host, NULL);
  return world->hosts[host].data;
}

gboolean
sim_world_host_alive (SimWorld *world, guint host)
{
  HOST_OR_RETURN (world, host, FALSE);
  return world->hosts[host].alive;
}

void
sim_world_set_host_bandwidth (SimWorld *world, guint host, guint64 bytes_per_s)
{
  g_return_if_fail (world != NULL && host < world->n_hosts);
  world->hosts[host].bandwidth_Bps = bytes_per_s;
}

static inline gint64
host_access_us (SimWorld *world, const Host *h)
{
  return (gint64) llround (world->access_min_us + h->access_u * world->access_span_us);
}

void
sim_world_host_position (SimWorld *world, guint host, double *x, double *y, gint64 *access_us)
{
  g_return_if_fail (world != NULL && host < world->n_hosts);
  const Host *h = &world->hosts[host];
  if (x != NULL)
    *x = h->x;
  if (y != NULL)
    *y = h->y;
  if (access_us != NULL)
    *access_us = host_access_us (world, h);
}

guint
sim_world_host_n_links (SimWorld *world, guint host)
{
  HOST_OR_RETURN (world, host, 0);
  return world->hosts[host].n_links;
}

/* ---- latency ---- */

static guint64
pair_key (guint a, guint b)
{
  return a < b ? ((guint64) a << 32) | b : ((guint64) b << 32) | a;
}

gint64
sim_world_latency (SimWorld *world, guint a, guint b)
{
  HOST_OR_RETURN (world, a, 0);
  HOST_OR_RETURN (world, b, 0);
  if (world->latency_override != NULL)
    {
      guint64 key = pair_key (a, b);
      gint64 *us = g_hash_table_lookup (world->latency_override, &key);
      if (us != NULL)
        return *us;
    }
  if (a == b)
    return 0;
  const Host *ha = &world->hosts[a], *hb = &world->hosts[b];
  double dx = ha->x - hb->x, dy = ha->y - hb->y;
  double d = world->access_min_us * 2 + (ha->access_u + hb->access_u) * world->access_span_us
             + sqrt (dx * dx + dy * dy) * world->k_us;
  return (gint64) llround (d);
}

void
sim_world_set_latency (SimWorld *world, guint a, guint b, gint64 us)
{
  g_return_if_fail (world != NULL && a < world->n_hosts && b < world->n_hosts);
  g_return_if_fail (us >= 0);
  if (world->latency_override == NULL)
    world->latency_override = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  guint64 *key = g_new (guint64, 1);
  gint64 *val = g_new (gint64, 1);
  *key = pair_key (a, b);
  *val = us;
  g_hash_table_replace (world->latency_override, key, val);
}

/* ---- links ----
 *
 * Link ids are 32 bits (a node's link handle is a guint) and never reused
 * (until 2^32 links have been opened): ids come from a counter, and the
 * link with id i lives at slot i & links_mask of a power-of-two table kept
 * at most three quarters full.  An id whose slot is taken is skipped.
 * Growing the table moves every link to its slot in the larger table, where
 * no two collide (they did not in the smaller one), so internal references
 * to links are ids, and a slot is only good until the next link_alloc. */

static inline SimLinkId
link_id (SimWorld *world, guint32 slot)
{
  return world->links[slot].id;
}

/* The slot of a live link, or NIL. */
static inline guint32
link_lookup (SimWorld *world, SimLinkId id)
{
  if (id == SIM_LINK_NONE || world->links == NULL)
    return NIL;
  guint32 slot = id & world->links_mask;
  return world->links[slot].id == id ? slot : NIL;
}

/* @host's end index on link @slot (which is open or not), or -1. */
static inline int
end_of (const Link *l, guint host)
{
  if (l->end[0].host == host)
    return 0;
  if (l->end[1].host == host)
    return 1;
  return -1;
}

static inline LinkEnd *
host_end (SimWorld *world, SimLinkId id, guint host)
{
  Link *l = &world->links[id & world->links_mask];
  return &l->end[end_of (l, host)];
}

static void
host_list_insert (SimWorld *world, guint32 slot, int e)
{
  Link *l = &world->links[slot];
  guint host = l->end[e].host;
  Host *h = &world->hosts[host];
  l->end[e].prev = SIM_LINK_NONE;
  l->end[e].next = h->link_head;
  if (h->link_head != SIM_LINK_NONE)
    host_end (world, h->link_head, host)->prev = l->id;
  h->link_head = l->id;
  h->n_links++;
}

static void
host_list_remove (SimWorld *world, guint32 slot, int e)
{
  Link *l = &world->links[slot];
  guint host = l->end[e].host;
  Host *h = &world->hosts[host];
  SimLinkId prev = l->end[e].prev, next = l->end[e].next;
  if (prev != SIM_LINK_NONE)
    host_end (world, prev, host)->next = next;
  else
    h->link_head = next;
  if (next != SIM_LINK_NONE)
    host_end (world, next, host)->prev = prev;
  l->end[e].prev = l->end[e].next = SIM_LINK_NONE;
  h->n_links--;
}

static void
links_grow (SimWorld *world)
{
  guint32 cap = world->links_cap == 0 ? 256 : world->links_cap * 2;
  g_assert (cap != 0);
  Link *links = g_aligned_alloc0 (cap, sizeof (Link), 64);
  for (guint32 i = 0; i < world->links_cap; i++)
    if (world->links[i].id != SIM_LINK_NONE)
      links[world->links[i].id & (cap - 1)] = world->links[i];
  g_aligned_free (world->links);
  world->links = links;
  world->links_cap = cap;
  world->links_mask = cap - 1;
}

/* A new link's slot (all zero but its id and pending). */
static guint32
link_alloc (SimWorld *world)
{
  if ((world->links_open + 1) * 4 > (guint64) world->links_cap * 3)
    links_grow (world);
  guint32 slot;
  for (;;)
    {
      SimLinkId id = world->link_next_id++;
      if (id == SIM_LINK_NONE)
        continue;
      slot = id & world->links_mask;
      if (world->links[slot].id == SIM_LINK_NONE)
        {
          Link *l = &world->links[slot];
          memset (l, 0, sizeof *l);
          l->id = id;
          l->end[0].pending = l->end[1].pending = NIL;
          break;
        }
    }
  world->links_open++;
  return slot;
}

static void
link_release_if_closed (SimWorld *world, guint32 slot)
{
  Link *l = &world->links[slot];
  if (l->end[0].state != END_CLOSED || l->end[1].state != END_CLOSED)
    return;
  l->id = SIM_LINK_NONE;
  world->links_open--;
}

/* Returns the event's slot. */
static guint32
schedule_link_event (SimWorld *world, guint32 slot, int e, gint64 at, EvKind kind)
{
  guint32 ev_slot = event_alloc (world);
  SimEvent *ev = &world->events[ev_slot];
  ev->u.link.link = world->links[slot].id;
  ev->u.link.end = (guint32) e;
  event_push (world, ev_slot, at, kind);
  return ev_slot;
}

/* Closes end @e silently (no callback for its host). */
static void
end_close (SimWorld *world, guint32 slot, int e)
{
  LinkEnd *end = &world->links[slot].end[e];
  if (end->pending != NIL)
    event_cancel_slot (world, end->pending);
  end->pending = NIL;
  end->down_due = FALSE;
  end->state = END_CLOSED;
  host_list_remove (world, slot, e);
}

/* End @e has gone (closed or crashed): the other end learns it @after_us
 * later, if it knows of the link at all. */
static void
notify_peer_gone (SimWorld *world, guint32 slot, int e, gint64 after_us)
{
  int o = 1 - e;
  LinkEnd *other = &world->links[slot].end[o];
  if (other->state == END_CLOSED || other->down_due)
    return;
  if (!other->knows)
    {
      end_close (world, slot, o); /* the responder never heard of it */
      return;
    }
  if (other->pending != NIL)
    event_cancel_slot (world, other->pending); /* the SIM_LINK_UP that will never come */
  other->pending = schedule_link_event (world, slot, o, world->now + after_us, EV_LINK_DOWN);
  other->down_due = TRUE;
}

SimLinkId
sim_world_link_open (SimWorld *world, guint from, guint to)
{
  HOST_OR_RETURN (world, from, SIM_LINK_NONE);
  HOST_OR_RETURN (world, to, SIM_LINK_NONE);
  g_return_val_if_fail (from != to, SIM_LINK_NONE);
  if (!world->hosts[from].alive)
    return SIM_LINK_NONE;
  gint64 delay = MIN (sim_world_latency (world, from, to), (gint64) G_MAXUINT32);
  guint32 slot = link_alloc (world);
  Link *l = &world->links[slot];
  l->delay_us = delay;
  l->end[0].host = from;
  l->end[0].state = END_CONNECTING;
  l->end[0].knows = TRUE;
  l->end[1].host = to;
  l->end[1].state = END_CONNECTING;
  host_list_insert (world, slot, 0);
  host_list_insert (world, slot, 1);
  world->hosts[from].counters.links_opened++;
  if (world->hosts[to].alive)
    {
      l->end[0].pending = schedule_link_event (world, slot, 0, world->now + 2 * delay, EV_LINK_UP);
      l = &world->links[slot];
      l->end[1].pending = schedule_link_event (world, slot, 1, world->now + 3 * delay, EV_LINK_UP);
    }
  else
    {
      end_close (world, slot, 1);
      notify_peer_gone (world, slot, 1, world->config.connect_timeout_us);
    }
  return link_id (world, slot);
}

gboolean
sim_world_link_close (SimWorld *world, SimLinkId link, guint host)
{
  g_return_val_if_fail (world != NULL, FALSE);
  guint32 slot = link_lookup (world, link);
  if (slot == NIL)
    return FALSE;
  int e = end_of (&world->links[slot], host);
  if (e < 0 || world->links[slot].end[e].state == END_CLOSED || !world->links[slot].end[e].knows)
    return FALSE;
  end_close (world, slot, e);
  notify_peer_gone (world, slot, e, world->links[slot].delay_us);
  link_release_if_closed (world, slot);
  return TRUE;
}

static void
dispatch_link_event (SimWorld *world, const SimEvent *ev, EvKind kind)
{
  guint32 slot = link_lookup (world, ev->u.link.link);
  int e = (int) ev->u.link.end;
  if (slot == NIL)
    return; /* cannot happen: closing an end cancels its event */
  Link *l = &world->links[slot];
  LinkEnd *end = &l->end[e];
  guint host = end->host, peer = l->end[1 - e].host;
  SimLinkId id = link_id (world, slot);
  end->pending = NIL;
  if (kind == EV_LINK_UP)
    {
      end->state = END_UP;
      end->knows = TRUE;
    }
  else
    {
      end->down_due = FALSE;
      end->state = END_CLOSED;
      host_list_remove (world, slot, e);
      link_release_if_closed (world, slot);
    }
  Host *h = &world->hosts[host];
  if (h->link_event != NULL)
    h->link_event (h->data, id, kind == EV_LINK_UP ? SIM_LINK_UP : SIM_LINK_DOWN, peer, world->now);
}

gboolean
sim_world_send (SimWorld *world, SimLinkId link, guint from_host, GBytes *bytes)
{
  g_return_val_if_fail (world != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  guint32 slot = link_lookup (world, link);
  if (slot == NIL)
    return FALSE;
  Link *l = &world->links[slot];
  int e = end_of (l, from_host);
  if (e < 0 || l->end[e].state != END_UP)
    return FALSE;
  Host *h = &world->hosts[from_host];
  gsize size = g_bytes_get_size (bytes);
  h->counters.msgs_sent++;
  h->counters.bytes_sent += size;

  gint64 depart = world->now;
  if (h->bandwidth_Bps != 0)
    {
      depart = MAX (depart, h->tx_free_at);
      depart += (gint64) (((guint64) size * 1000000 + h->bandwidth_Bps - 1) / h->bandwidth_Bps);
      h->tx_free_at = depart;
    }
  if (world->config.loss > 0 && splitmix_double (&h->net_state) < world->config.loss)
    {
      h->counters.msgs_lost++;
      return TRUE;
    }
  int o = 1 - e;
  LinkEnd *to = &l->end[o];
  if (to->state == END_CLOSED)
    {
      h->counters.msgs_dropped++;
      return TRUE;
    }
  gint64 arrival = MAX (depart + l->delay_us, to->last_arrival);
  to->last_arrival = arrival;
  guint32 ev_slot = event_alloc (world);
  SimEvent *ev = &world->events[ev_slot];
  ev->u.packet.bytes = g_bytes_ref (bytes);
  ev->u.packet.link = link;
  ev->u.packet.to_end = (guint32) o;
  ev->u.packet.from_host = from_host;
  event_push (world, ev_slot, arrival, EV_PACKET);
  return TRUE;
}

static void
dispatch_packet (SimWorld *world, const SimEvent *ev)
{
  GBytes *bytes = ev->u.packet.bytes;
  SimLinkId link = ev->u.packet.link;
  Link *l = &world->links[link & world->links_mask];
  int o = (int) ev->u.packet.to_end;
  if (l->id != link || l->end[o].state != END_UP)
    {
      world->hosts[ev->u.packet.from_host].counters.msgs_dropped++;
      g_bytes_unref (bytes);
      return;
    }
  Host *h = &world->hosts[l->end[o].host];
  h->counters.msgs_received++;
  h->counters.bytes_received += g_bytes_get_size (bytes);
  if (h->receive != NULL)
    h->receive (h->data, link, bytes, world->now);
  g_bytes_unref (bytes);
}

gboolean
sim_world_link_is_up (SimWorld *world, SimLinkId link, guint host)
{
  g_return_val_if_fail (world != NULL, FALSE);
  guint32 slot = link_lookup (world, link);
  if (slot == NIL)
    return FALSE;
  int e = end_of (&world->links[slot], host);
  return e >= 0 && world->links[slot].end[e].state == END_UP;
}

guint
sim_world_link_peer (SimWorld *world, SimLinkId link, guint host)
{
  g_return_val_if_fail (world != NULL, SIM_HOST_NONE);
  guint32 slot = link_lookup (world, link);
  if (slot == NIL)
    return SIM_HOST_NONE;
  const Link *l = &world->links[slot];
  int e = end_of (l, host);
  if (e < 0 || l->end[e].state == END_CLOSED || !l->end[e].knows)
    return SIM_HOST_NONE;
  return l->end[1 - e].host;
}

/* ---- failure ---- */

void
sim_world_host_fail (SimWorld *world, guint host)
{
  g_return_if_fail (world != NULL && host < world->n_hosts);
  Host *h = &world->hosts[host];
  if (!h->alive)
    return;
  h->alive = FALSE;
  h->epoch++;
  world->n_alive--;
  h->tx_free_at = 0;
  SimLinkId id = h->link_head;
  while (id != SIM_LINK_NONE)
    {
      guint32 slot = link_lookup (world, id);
      int e = end_of (&world->links[slot], host);
      SimLinkId next = world->links[slot].end[e].next;
      end_close (world, slot, e);
      notify_peer_gone (world, slot, e, world->config.fail_detect_us);
      link_release_if_closed (world, slot);
      id = next;
    }
}

void
sim_world_host_revive (SimWorld *world, guint host)
{
  g_return_if_fail (world != NULL && host < world->n_hosts);
  Host *h = &world->hosts[host];
  if (h->alive)
    return;
  h->alive = TRUE;
  world->n_alive++;
}

/* ---- counters ---- */

static void
counters_add (SimHostCounters *sum, const SimHostCounters *c)
{
  sum->msgs_sent += c->msgs_sent;
  sum->bytes_sent += c->bytes_sent;
  sum->msgs_received += c->msgs_received;
  sum->bytes_received += c->bytes_received;
  sum->msgs_lost += c->msgs_lost;
  sum->msgs_dropped += c->msgs_dropped;
  sum->links_opened += c->links_opened;
}

void
sim_world_stats (SimWorld *world, SimWorldStats *out)
{
  g_return_if_fail (world != NULL && out != NULL);
  memset (out, 0, sizeof *out);
  out->now_us = world->now;
  out->events_processed = world->events_processed;
  out->events_pending = world->n_pending;
  out->n_hosts = world->n_hosts;
  out->n_hosts_alive = world->n_alive;
  out->links_open = world->links_open;
  for (guint32 i = 0; i < world->n_hosts; i++)
    counters_add (&out->total, &world->hosts[i].counters);
}

void
sim_world_host_counters (SimWorld *world, guint host, SimHostCounters *out)
{
  g_return_if_fail (world != NULL && host < world->n_hosts && out != NULL);
  *out = world->hosts[host].counters;
}

void
sim_world_reset_counters (SimWorld *world)
{
  g_return_if_fail (world != NULL);
  world->events_processed = 0;
  for (guint32 i = 0; i < world->n_hosts; i++)
    memset (&world->hosts[i].counters, 0, sizeof world->hosts[i].counters);
}

/* ---- randomness ---- */

GRand *
sim_world_rand (SimWorld *world)
{
  g_return_val_if_fail (world != NULL, NULL);
  return world->rand;
}

GRand *
sim_world_host_rand (SimWorld *world, guint host)
{
  HOST_OR_RETURN (world, host, NULL);
  Host *h = &world->hosts[host];
  if (h->rand == NULL)
    h->rand = rand_from_stream (derive (world->seed, host, TAG_HOST_RAND));
  return h->rand;
}

/* ---- churn ---- */

/* (0, 1]: never 0, so that logarithms and negative powers stay finite. */
static double
open_unit (GRand *rand)
{
  return 1.0 - g_rand_double (rand);
}

double
sim_sample_pareto_s (GRand *rand, double median_s, double shape)
{
  g_return_val_if_fail (rand != NULL, 0.0);
  g_return_val_if_fail (median_s > 0 && shape > 0, 0.0);
  /* P(X > x) = (x_m / x)^a for x >= x_m; median = x_m 2^(1/a). */
  double xm = median_s / pow (2.0, 1.0 / shape);
  return xm / pow (open_unit (rand), 1.0 / shape);
}

double
sim_sample_exponential_s (GRand *rand, double median_s)
{
  g_return_val_if_fail (rand != NULL, 0.0);
  g_return_val_if_fail (median_s > 0, 0.0);
  /* median = ln 2 / lambda */
  return -log (open_unit (rand)) * median_s / G_LN2;
}

double
sim_sample_session_s (GRand *rand, double median_s)
{
  return sim_sample_pareto_s (rand, median_s, SIM_SESSION_PARETO_SHAPE);
}
