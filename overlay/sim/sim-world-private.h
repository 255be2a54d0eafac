/* sim-world-private.h: the insides of SimWorld (sim-world.c), shared
 * with its event queue (sim-world-wheel.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sim-world.h"

#define NIL G_MAXUINT32

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

/* ---- the event queue (sim-world-wheel.c) ---- */

guint32 sim_wheel_next (SimWorld *world, gint64 limit);
gint64 sim_wheel_peek (SimWorld *world);
guint32 sim_event_alloc (SimWorld *world);
void sim_event_release (SimWorld *world, guint32 slot);
SimTimerId sim_event_push (SimWorld *world, guint32 slot, gint64 at, EvKind kind);
guint32 sim_event_lookup (SimWorld *world, SimTimerId id);
void sim_event_cancel_slot (SimWorld *world, guint32 slot);
