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
#include "sim-world-private.h"

#include <math.h>
#include <string.h>

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
  guint32 slot = sim_event_alloc (world);
  SimEvent *ev = &world->events[slot];
  ev->u.timer.fn = fn;
  ev->u.timer.data = data;
  ev->u.timer.host = host;
  ev->u.timer.epoch = kind == EV_HOST_TIMER ? world->hosts[host].epoch : 0;
  return sim_event_push (world, slot, at_us, kind);
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
  guint32 slot = sim_event_lookup (world, id);
  if (slot == NIL)
    return FALSE;
  guint8 kind = world->events[slot].kind;
  if (kind != EV_TIMER && kind != EV_HOST_TIMER)
    return FALSE; /* not a timer: the id was forged */
  sim_event_cancel_slot (world, slot);
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
  sim_event_release (world, slot);
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
  while (world->n_pending > 0 && (slot = sim_wheel_next (world, t_us)) != NIL)
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
  guint32 slot = sim_wheel_next (world, G_MAXINT64);
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
  return world->n_pending > 0 ? sim_wheel_peek (world) : G_MAXINT64;
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
  guint32 ev_slot = sim_event_alloc (world);
  SimEvent *ev = &world->events[ev_slot];
  ev->u.link.link = world->links[slot].id;
  ev->u.link.end = (guint32) e;
  sim_event_push (world, ev_slot, at, kind);
  return ev_slot;
}

/* Closes end @e silently (no callback for its host). */
static void
end_close (SimWorld *world, guint32 slot, int e)
{
  LinkEnd *end = &world->links[slot].end[e];
  if (end->pending != NIL)
    sim_event_cancel_slot (world, end->pending);
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
    sim_event_cancel_slot (world, other->pending); /* the SIM_LINK_UP that will never come */
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
  guint32 ev_slot = sim_event_alloc (world);
  SimEvent *ev = &world->events[ev_slot];
  ev->u.packet.bytes = g_bytes_ref (bytes);
  ev->u.packet.link = link;
  ev->u.packet.to_end = (guint32) o;
  ev->u.packet.from_host = from_host;
  sim_event_push (world, ev_slot, arrival, EV_PACKET);
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
