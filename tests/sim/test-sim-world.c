/* test-sim-world.c: the simulator's clock and event queue: event order,
 * cancel, the queue against a reference, determinism, the latency model.
 * Links, hosts and random streams are in test-sim-links.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-world.h"

#include <math.h>
#include <string.h>

/* ---- event order ---- */

typedef struct
{
  GArray *order; /* int */
  SimWorld *world;
  gint64 *times;
} OrderLog;

typedef struct
{
  OrderLog *log;
  int tag;
  gint64 expect_at;
} OrderItem;

static void
record_order (SimWorld *world, gpointer data)
{
  OrderItem *item = data;
  g_assert_cmpint (sim_world_now (world), ==, item->expect_at);
  g_array_append_val (item->log->order, item->tag);
}

static void
test_event_order (void)
{
  g_autoptr (SimWorld) world = sim_world_new (1, NULL);
  OrderLog log = { .order = g_array_new (FALSE, FALSE, sizeof (int)) };
  /* tags in expected order: by time, then by scheduling order */
  OrderItem items[] = {
    { &log, 3, 300 },  { &log, 0, 100 }, { &log, 4, 300 }, { &log, 1, 100 },
    { &log, 6, 1000 }, { &log, 2, 200 }, { &log, 5, 300 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    g_assert_cmpuint (sim_world_schedule (world, items[i].expect_at, record_order, &items[i]), !=,
                      SIM_TIMER_NONE);
  g_assert_cmpuint (sim_world_pending (world), ==, G_N_ELEMENTS (items));
  g_assert_cmpint (sim_world_next_event_time (world), ==, 100);

  g_assert_cmpuint (sim_world_run_until (world, 300), ==, 6);
  g_assert_cmpint (sim_world_now (world), ==, 300);
  g_assert_cmpuint (sim_world_run_until (world, 999), ==, 0);
  g_assert_cmpint (sim_world_now (world), ==, 999);
  g_assert_cmpuint (sim_world_run_until (world, 5000), ==, 1);
  g_assert_cmpint (sim_world_now (world), ==, 5000);
  g_assert_cmpint (sim_world_next_event_time (world), ==, G_MAXINT64);
  g_assert_cmpuint (log.order->len, ==, 7);
  for (guint i = 0; i < log.order->len; i++)
    g_assert_cmpint (g_array_index (log.order, int, i), ==, (int) i);
  g_array_unref (log.order);
}

/* An event scheduled for "now" from a callback runs after the events
 * already queued for now. */
typedef struct
{
  GString *trace;
} Chain;

static void
chain_b (SimWorld *world, gpointer data)
{
  g_string_append_c (((Chain *) data)->trace, 'b');
}

static void
chain_c (SimWorld *world, gpointer data)
{
  g_string_append_c (((Chain *) data)->trace, 'c');
}

static void
chain_a (SimWorld *world, gpointer data)
{
  g_string_append_c (((Chain *) data)->trace, 'a');
  sim_world_schedule (world, sim_world_now (world), chain_c, data);
}

static void
chain_stop (SimWorld *world, gpointer data)
{
  g_string_append_c (((Chain *) data)->trace, 's');
  sim_world_stop (world);
}

static void
test_event_same_time (void)
{
  g_autoptr (SimWorld) world = sim_world_new (1, NULL);
  Chain chain = { g_string_new (NULL) };
  sim_world_schedule (world, 10, chain_a, &chain);
  sim_world_schedule (world, 10, chain_b, &chain);
  sim_world_schedule (world, 20, chain_stop, &chain);
  sim_world_schedule (world, 30, chain_b, &chain);
  g_assert_cmpuint (sim_world_run_until (world, 100), ==, 4);
  g_assert_cmpstr (chain.trace->str, ==, "abcs");
  g_assert_cmpint (sim_world_now (world), ==, 20); /* stopped */
  g_assert_true (sim_world_step (world));
  g_assert_cmpstr (chain.trace->str, ==, "abcsb");
  g_assert_cmpint (sim_world_now (world), ==, 30);
  g_assert_false (sim_world_step (world));
  g_string_free (chain.trace, TRUE);
}

static void
test_schedule_past (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (SimWorld) world = sim_world_new (1, NULL);
      sim_world_run_until (world, 100);
      sim_world_schedule (world, 99, chain_b, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*at_us >= world->now*");
}

/* ---- cancel ---- */

static void
count_fire (SimWorld *world, gpointer data)
{
  int *fired = data;
  (*fired)++;
}

static void
test_cancel (void)
{
  g_autoptr (SimWorld) world = sim_world_new (7, NULL);
  enum
  {
    N = 5000
  };
  static int fired[N];
  static SimTimerId ids[N];
  memset (fired, 0, sizeof fired);
  GRand *rand = sim_world_rand (world);
  for (int i = 0; i < N; i++)
    ids[i] = sim_world_schedule (world, g_rand_int_range (rand, 0, 100000), count_fire, &fired[i]);
  for (int i = 0; i < N; i += 2)
    g_assert_true (sim_world_cancel (world, ids[i]));
  for (int i = 0; i < N; i += 2)
    g_assert_false (sim_world_cancel (world, ids[i])); /* twice */
  g_assert_cmpuint (sim_world_pending (world), ==, N / 2);
  sim_world_run_until (world, 50000);
  /* cancel some of the rest while half of them have run */
  int cancelled_late = 0;
  for (int i = 1; i < N; i += 4)
    {
      gboolean was_pending = fired[i] == 0;
      g_assert_cmpint (sim_world_cancel (world, ids[i]), ==, was_pending);
      if (was_pending)
        {
          cancelled_late++;
          fired[i] = -1;
        }
    }
  g_assert_cmpint (cancelled_late, >, 0);
  sim_world_run_until (world, 200000);
  for (int i = 0; i < N; i++)
    {
      if (i % 2 == 0)
        g_assert_cmpint (fired[i], ==, 0);
      else
        g_assert_cmpint (fired[i], !=, 0 /* ran once, or -1: cancelled late */);
      g_assert_cmpint (fired[i], <=, 1);
    }
  g_assert_cmpuint (sim_world_pending (world), ==, 0);

  /* a stale id does not cancel the timer that reuses its slot */
  int a = 0, b = 0;
  SimTimerId ida = sim_world_schedule (world, 200001, count_fire, &a);
  g_assert_true (sim_world_cancel (world, ida));
  SimTimerId idb = sim_world_schedule (world, 200001, count_fire, &b);
  g_assert_cmpuint (idb, !=, ida);
  g_assert_false (sim_world_cancel (world, ida));
  g_assert_false (sim_world_cancel (world, SIM_TIMER_NONE));
  g_assert_false (sim_world_cancel (world, G_GUINT64_CONSTANT (0xffffffff00001234)));
  sim_world_run_until (world, 300000);
  g_assert_cmpint (a, ==, 0);
  g_assert_cmpint (b, ==, 1);
  g_assert_false (sim_world_cancel (world, idb)); /* already ran */
}

/* ---- the queue against a reference: random schedules and cancels on
 * every time scale, from outside and from callbacks ---- */

typedef struct
{
  gint64 time;
  guint64 seq;
  SimTimerId id;
  gboolean pending;
  gboolean ran;
} RefItem;

typedef struct
{
  SimWorld *world;
  GRand *rand;
  RefItem *items;
  guint n_items, cap;
  guint64 seq;
  guint n_pending;
  guint64 n_ran;
} RefQueue;

static RefQueue ref_queue;

static gint64
ref_random_delay (GRand *r)
{
  switch (g_rand_int_range (r, 0, 6))
    {
    case 0:
      return 0;
    case 1:
      return g_rand_int_range (r, 0, 300);
    case 2:
      return g_rand_int_range (r, 0, 70000);
    case 3:
      return g_rand_int_range (r, 0, 20000000);
    case 4:
      return (gint64) g_rand_int (r) << g_rand_int_range (r, 0, 12);
    default:
      return g_rand_int_range (r, 0, 4) * 256; /* ties on block edges */
    }
}

/* The first pending item in (time, seq) order, or -1. */
static int
ref_min (void)
{
  int best = -1;
  for (guint i = 0; i < ref_queue.n_items; i++)
    {
      RefItem *it = &ref_queue.items[i];
      if (!it->pending)
        continue;
      if (best < 0 || it->time < ref_queue.items[best].time
          || (it->time == ref_queue.items[best].time && it->seq < ref_queue.items[best].seq))
        best = (int) i;
    }
  return best;
}

static void ref_fire (SimWorld *world, gpointer data);

static void
ref_schedule (gint64 at)
{
  if (ref_queue.n_items == ref_queue.cap)
    return;
  guint tag = ref_queue.n_items++;
  RefItem *it = &ref_queue.items[tag];
  it->time = at;
  it->seq = ref_queue.seq++;
  it->pending = TRUE;
  it->id = sim_world_schedule (ref_queue.world, at, ref_fire, GUINT_TO_POINTER (tag));
  g_assert_cmpuint (it->id, !=, SIM_TIMER_NONE);
  ref_queue.n_pending++;
}

static void
ref_cancel_random (void)
{
  if (ref_queue.n_items == 0)
    return;
  RefItem *it = &ref_queue.items[g_rand_int_range (ref_queue.rand, 0, ref_queue.n_items)];
  g_assert_cmpint (sim_world_cancel (ref_queue.world, it->id), ==, it->pending);
  if (it->pending)
    {
      it->pending = FALSE;
      ref_queue.n_pending--;
    }
}

static void
ref_fire (SimWorld *world, gpointer data)
{
  guint tag = GPOINTER_TO_UINT (data);
  RefItem *it = &ref_queue.items[tag];
  g_assert_cmpint (ref_min (), ==, (int) tag);
  g_assert_cmpint (sim_world_now (world), ==, it->time);
  it->pending = FALSE;
  it->ran = TRUE;
  ref_queue.n_pending--;
  ref_queue.n_ran++;
  GRand *r = ref_queue.rand;
  int n = g_rand_int_range (r, 0, 3);
  for (int i = 0; i < n; i++)
    ref_schedule (sim_world_now (world) + ref_random_delay (r));
  if (g_rand_int_range (r, 0, 4) == 0)
    ref_cancel_random ();
}

static void
test_queue_reference (void)
{
  memset (&ref_queue, 0, sizeof ref_queue);
  ref_queue.world = sim_world_new (1, NULL);
  ref_queue.rand = g_rand_new_with_seed (77);
  ref_queue.cap = 20000;
  ref_queue.items = g_new0 (RefItem, ref_queue.cap);
  GRand *r = ref_queue.rand;
  for (int i = 0; i < 200; i++)
    ref_schedule (ref_random_delay (r));
  while (ref_queue.n_items < ref_queue.cap || ref_queue.n_pending > 0)
    {
      int m = ref_min ();
      gint64 expect = m < 0 ? G_MAXINT64 : ref_queue.items[m].time;
      g_assert_cmpint (sim_world_next_event_time (ref_queue.world), ==, expect);
      g_assert_cmpuint (sim_world_pending (ref_queue.world), ==, ref_queue.n_pending);
      switch (g_rand_int_range (r, 0, 5))
        {
        case 0:
          ref_schedule (sim_world_now (ref_queue.world) + ref_random_delay (r));
          break;
        case 1:
          ref_cancel_random ();
          break;
        case 2:
          if (!sim_world_step (ref_queue.world))
            g_assert_cmpuint (ref_queue.n_pending, ==, 0);
          break;
        default:
          {
            gint64 to = sim_world_now (ref_queue.world) + ref_random_delay (r);
            sim_world_run_until (ref_queue.world, to);
            g_assert_cmpint (sim_world_now (ref_queue.world), ==, to);
            m = ref_min ();
            g_assert_true (m < 0 || ref_queue.items[m].time > to);
          }
          break;
        }
      if (ref_queue.n_items == ref_queue.cap && ref_queue.n_pending > 0)
        sim_world_step (ref_queue.world);
    }
  g_test_message ("%" G_GUINT64_FORMAT " events ran, virtual time %" G_GINT64_FORMAT " us",
                  ref_queue.n_ran, sim_world_now (ref_queue.world));
  g_assert_cmpuint (ref_queue.n_ran, >, ref_queue.cap / 2);
  g_assert_cmpuint (sim_world_pending (ref_queue.world), ==, 0);
  g_assert_false (sim_world_step (ref_queue.world));
  sim_world_free (ref_queue.world);
  g_rand_free (ref_queue.rand);
  g_free (ref_queue.items);
}

/* ---- determinism: a little overlay of chatty hosts ---- */

typedef struct Scenario Scenario;

typedef struct
{
  Scenario *sc;
  guint index;
} Peer;

struct Scenario
{
  SimWorld *world;
  Peer *peers;
  guint n;
  GChecksum *trace;
  guint64 n_trace;
};

static void
trace_add (Scenario *sc, const char *what, guint host, guint64 a, guint64 b)
{
  char buf[128];
  int len = g_snprintf (buf, sizeof buf,
                        "%" G_GINT64_FORMAT " %s %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
                        sim_world_now (sc->world), what, host, a, b);
  g_checksum_update (sc->trace, (const guchar *) buf, len);
  sc->n_trace++;
}

static void
peer_send_random (Peer *p, SimLinkId link)
{
  GRand *r = sim_world_host_rand (p->sc->world, p->index);
  gsize len = g_rand_int_range (r, 1, 200);
  guint8 *data = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int (r);
  GBytes *bytes = g_bytes_new_take (data, len);
  sim_world_send (p->sc->world, link, p->index, bytes);
  g_bytes_unref (bytes);
}

static void
peer_receive (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us)
{
  Peer *p = host_data;
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  trace_add (p->sc, "rx", p->index, link, ((guint64) len << 8) | d[0]);
  GRand *r = sim_world_host_rand (p->sc->world, p->index);
  if (g_rand_double (r) < 0.9)
    peer_send_random (p, link);
  if (g_rand_double (r) < 0.05)
    sim_world_link_close (p->sc->world, link, p->index);
}

static void
peer_link_event (gpointer host_data, SimLinkId link, SimLinkEvent event, guint peer_host,
                 gint64 now_us)
{
  Peer *p = host_data;
  trace_add (p->sc, event == SIM_LINK_UP ? "up" : "down", p->index, link, peer_host);
  if (event == SIM_LINK_UP)
    peer_send_random (p, link);
}

static void peer_tick (SimWorld *world, gpointer data);

static void
peer_tick (SimWorld *world, gpointer data)
{
  Peer *p = data;
  Scenario *sc = p->sc;
  GRand *r = sim_world_host_rand (world, p->index);
  guint to = g_rand_int_range (r, 0, sc->n);
  if (to != p->index)
    trace_add (sc, "open", p->index, sim_world_link_open (world, p->index, to), to);
  sim_world_host_schedule (world, p->index,
                           sim_world_now (world) + g_rand_int_range (r, 1, 2000000), peer_tick, p);
}

static void
chaos (SimWorld *world, gpointer data)
{
  Scenario *sc = data;
  GRand *r = sim_world_rand (world);
  guint h = g_rand_int_range (r, 0, sc->n);
  if (sim_world_host_alive (world, h))
    {
      trace_add (sc, "fail", h, 0, 0);
      sim_world_host_fail (world, h);
    }
  else
    {
      trace_add (sc, "revive", h, 0, 0);
      sim_world_host_revive (world, h);
      sim_world_host_schedule (world, h, sim_world_now (world) + 1, peer_tick, &sc->peers[h]);
    }
  sim_world_schedule (world, sim_world_now (world) + g_rand_int_range (r, 1, 500000), chaos, sc);
}

static char *
run_scenario (guint64 seed, guint n_hosts, gint64 duration_us, guint64 *n_trace,
              SimWorldStats *stats)
{
  Scenario sc = { 0 };
  sc.world = sim_world_new (seed, NULL);
  sc.n = n_hosts;
  sc.peers = g_new0 (Peer, n_hosts);
  sc.trace = g_checksum_new (G_CHECKSUM_SHA256);
  sim_world_set_loss (sc.world, 0.05);
  for (guint i = 0; i < n_hosts; i++)
    {
      g_assert_cmpuint (sim_world_add_host (sc.world), ==, i);
      sc.peers[i] = (Peer){ &sc, i };
      sim_world_set_host_handler (sc.world, i, peer_receive, peer_link_event, &sc.peers[i]);
      sim_world_host_schedule (sc.world, i, i * 1000, peer_tick, &sc.peers[i]);
    }
  sim_world_set_host_bandwidth (sc.world, 0, 20000);
  sim_world_schedule (sc.world, 100000, chaos, &sc);
  sim_world_run_until (sc.world, duration_us);
  sim_world_stats (sc.world, stats);
  *n_trace = sc.n_trace;
  char *digest = g_strdup (g_checksum_get_string (sc.trace));
  g_checksum_free (sc.trace);
  sim_world_free (sc.world); /* with datagrams still in flight */
  g_free (sc.peers);
  return digest;
}

static void
test_determinism (void)
{
  guint64 n1, n2, n3;
  SimWorldStats s1, s2, s3;
  g_autofree char *d1 = run_scenario (42, 80, 30 * SIM_US_PER_S, &n1, &s1);
  g_autofree char *d2 = run_scenario (42, 80, 30 * SIM_US_PER_S, &n2, &s2);
  g_autofree char *d3 = run_scenario (43, 80, 30 * SIM_US_PER_S, &n3, &s3);
  g_test_message (
      "trace: %" G_GUINT64_FORMAT " entries, %" G_GUINT64_FORMAT " events, %" G_GUINT64_FORMAT
      " sent, %" G_GUINT64_FORMAT " lost, %" G_GUINT64_FORMAT " dropped",
      n1, s1.events_processed, s1.total.msgs_sent, s1.total.msgs_lost, s1.total.msgs_dropped);
  g_assert_cmpuint (n1, >, 10000);
  g_assert_cmpuint (s1.total.msgs_lost, >, 0);
  g_assert_cmpuint (s1.total.msgs_dropped, >, 0);
  g_assert_cmpstr (d1, ==, d2);
  g_assert_cmpuint (n1, ==, n2);
  g_assert_true (memcmp (&s1, &s2, sizeof s1) == 0);
  g_assert_cmpstr (d1, !=, d3);
  /* conservation: every datagram sent was received, lost, dropped or is
   * still in flight */
  g_assert_cmpuint (s1.total.msgs_received + s1.total.msgs_lost + s1.total.msgs_dropped, <=,
                    s1.total.msgs_sent);
}

/* ---- latency model ---- */

static void
test_latency_model (void)
{
  g_autoptr (SimWorld) world = sim_world_new (3, NULL);
  enum
  {
    N = 1000
  };
  for (int i = 0; i < N; i++)
    sim_world_add_host (world);
  gint64 lo = G_MAXINT64, hi = 0;
  double sum = 0;
  guint64 pairs = 0;
  for (guint a = 0; a < N; a++)
    for (guint b = a + 1; b < N; b++)
      {
        gint64 d = sim_world_latency (world, a, b);
        g_assert_cmpint (d, ==, sim_world_latency (world, b, a));
        g_assert_cmpint (d, >=, 1000);
        g_assert_cmpint (d, <=, 100000);
        lo = MIN (lo, d);
        hi = MAX (hi, d);
        sum += d;
        pairs++;
      }
  g_test_message ("one-way delay over %" G_GUINT64_FORMAT " pairs: min %" G_GINT64_FORMAT
                  " us, mean %.0f us, max %" G_GINT64_FORMAT " us",
                  pairs, lo, sum / pairs, hi);
  g_assert_cmpint (lo, <, 5000);
  g_assert_cmpint (hi, >, 70000);
  g_assert_cmpfloat (sum / pairs, >, 30000);
  g_assert_cmpfloat (sum / pairs, <, 50000);
  /* triangle inequality (up to rounding) on a sample */
  for (guint a = 0; a < 50; a++)
    for (guint b = 0; b < 50; b++)
      for (guint c = 0; c < 50; c++)
        if (a != b && b != c && a != c)
          g_assert_cmpint (sim_world_latency (world, a, c), <=,
                           sim_world_latency (world, a, b) + sim_world_latency (world, b, c) + 1);
  /* the parts */
  double x, y;
  gint64 access;
  sim_world_host_position (world, 5, &x, &y, &access);
  g_assert_cmpfloat (x, >=, 0);
  g_assert_cmpfloat (x, <, 1);
  g_assert_cmpfloat (y, >=, 0);
  g_assert_cmpfloat (y, <, 1);
  g_assert_cmpint (access, >=, 500);
  g_assert_cmpint (access, <=, 500 + 4950);

  /* a position depends on (seed, index) only */
  g_autoptr (SimWorld) other = sim_world_new (3, NULL);
  g_rand_int (sim_world_rand (other));
  for (int i = 0; i < 10; i++)
    sim_world_add_host (other);
  double x2, y2;
  gint64 access2;
  sim_world_host_position (other, 5, &x2, &y2, &access2);
  g_assert_cmpfloat (x, ==, x2);
  g_assert_cmpfloat (y, ==, y2);
  g_assert_cmpint (access, ==, access2);
  g_assert_cmpint (sim_world_latency (world, 2, 7), ==, sim_world_latency (other, 7, 2));

  /* a configured range */
  SimWorldConfig config;
  sim_world_config_init (&config);
  config.min_delay_us = 10000;
  config.max_delay_us = 20000;
  g_autoptr (SimWorld) narrow = sim_world_new (3, &config);
  for (int i = 0; i < 200; i++)
    sim_world_add_host (narrow);
  for (guint a = 0; a < 200; a++)
    for (guint b = a + 1; b < 200; b++)
      {
        gint64 d = sim_world_latency (narrow, a, b);
        g_assert_cmpint (d, >=, 10000);
        g_assert_cmpint (d, <=, 20000);
      }

  /* the explicit matrix */
  sim_world_set_latency (world, 3, 9, 4242);
  g_assert_cmpint (sim_world_latency (world, 3, 9), ==, 4242);
  g_assert_cmpint (sim_world_latency (world, 9, 3), ==, 4242);
  sim_world_set_latency (world, 9, 3, 17);
  g_assert_cmpint (sim_world_latency (world, 3, 9), ==, 17);
  g_assert_cmpint (sim_world_latency (world, 3, 10), ==, sim_world_latency (world, 10, 3));
  g_assert_cmpint (sim_world_latency (world, 3, 8), ==, sim_world_latency (other, 3, 8));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/world/event-order", test_event_order);
  g_test_add_func ("/sim/world/event-same-time", test_event_same_time);
  g_test_add_func ("/sim/world/schedule-past", test_schedule_past);
  g_test_add_func ("/sim/world/cancel", test_cancel);
  g_test_add_func ("/sim/world/queue-reference", test_queue_reference);
  g_test_add_func ("/sim/world/determinism", test_determinism);
  g_test_add_func ("/sim/world/latency-model", test_latency_model);
  return g_test_run ();
}
