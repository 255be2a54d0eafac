/* test-sim-world.c: the simulator's virtual network: event order, cancel,
 * determinism, the latency model, loss, FIFO links, handshakes, closing,
 * host failure, random streams and the session-time samplers.
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

/* ---- a small recording host ---- */

typedef struct
{
  guint index;
  GArray *rx_times;  /* gint64 */
  GArray *rx_values; /* guint32: the first four bytes */
  GArray *up;        /* SimLinkId */
  GArray *up_times;  /* gint64 */
  GArray *down;      /* SimLinkId */
  GArray *down_times;
  guint last_peer;
} Rec;

static void
rec_receive (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us)
{
  Rec *r = host_data;
  guint32 v = 0;
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  memcpy (&v, d, MIN (len, sizeof v));
  g_array_append_val (r->rx_times, now_us);
  g_array_append_val (r->rx_values, v);
}

static void
rec_link_event (gpointer host_data, SimLinkId link, SimLinkEvent event, guint peer_host,
                gint64 now_us)
{
  Rec *r = host_data;
  r->last_peer = peer_host;
  if (event == SIM_LINK_UP)
    {
      g_array_append_val (r->up, link);
      g_array_append_val (r->up_times, now_us);
    }
  else
    {
      g_array_append_val (r->down, link);
      g_array_append_val (r->down_times, now_us);
    }
}

static void
rec_init (Rec *r, SimWorld *world, guint index)
{
  r->index = index;
  r->rx_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->rx_values = g_array_new (FALSE, FALSE, sizeof (guint32));
  r->up = g_array_new (FALSE, FALSE, sizeof (SimLinkId));
  r->up_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->down = g_array_new (FALSE, FALSE, sizeof (SimLinkId));
  r->down_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->last_peer = SIM_HOST_NONE;
  sim_world_set_host_handler (world, index, rec_receive, rec_link_event, r);
}

static void
rec_clear (Rec *r)
{
  g_array_unref (r->rx_times);
  g_array_unref (r->rx_values);
  g_array_unref (r->up);
  g_array_unref (r->up_times);
  g_array_unref (r->down);
  g_array_unref (r->down_times);
}

static gboolean
send_u32 (SimWorld *world, SimLinkId link, guint from, guint32 v, gsize size)
{
  guint8 *buf = g_malloc0 (MAX (size, sizeof v));
  memcpy (buf, &v, sizeof v);
  GBytes *b = g_bytes_new_take (buf, MAX (size, sizeof v));
  gboolean ok = sim_world_send (world, link, from, b);
  g_bytes_unref (b);
  return ok;
}

/* Two hosts with a 10 ms one-way delay and a link up between them. */
typedef struct
{
  SimWorld *world;
  Rec a, b;
  SimLinkId link;
} Pair;

static void
pair_init (Pair *p, guint64 seed, const SimWorldConfig *config)
{
  p->world = sim_world_new (seed, config);
  g_assert_cmpuint (sim_world_add_host (p->world), ==, 0);
  g_assert_cmpuint (sim_world_add_host (p->world), ==, 1);
  rec_init (&p->a, p->world, 0);
  rec_init (&p->b, p->world, 1);
  sim_world_set_latency (p->world, 0, 1, 10000);
  p->link = sim_world_link_open (p->world, 0, 1);
  g_assert_cmpuint (p->link, !=, SIM_LINK_NONE);
  sim_world_run_until (p->world, 30000);
  g_assert_true (sim_world_link_is_up (p->world, p->link, 0));
  g_assert_true (sim_world_link_is_up (p->world, p->link, 1));
}

static void
pair_clear (Pair *p)
{
  sim_world_free (p->world);
  rec_clear (&p->a);
  rec_clear (&p->b);
}

/* ---- handshake ---- */

static void
test_link_handshake (void)
{
  g_autoptr (SimWorld) world = sim_world_new (5, NULL);
  Rec a, b;
  sim_world_add_host (world);
  sim_world_add_host (world);
  rec_init (&a, world, 0);
  rec_init (&b, world, 1);
  sim_world_set_latency (world, 0, 1, 7000);
  sim_world_run_until (world, 1000);
  SimLinkId link = sim_world_link_open (world, 0, 1);
  g_assert_cmpuint (sim_world_host_n_links (world, 0), ==, 1);
  g_assert_cmpuint (sim_world_host_n_links (world, 1), ==, 1);
  g_assert_false (sim_world_link_is_up (world, link, 0));
  g_assert_false (send_u32 (world, link, 0, 1, 4)); /* not up yet */
  g_assert_cmpuint (sim_world_link_peer (world, link, 0), ==, 1);
  /* the responder does not know of the link yet */
  g_assert_cmpuint (sim_world_link_peer (world, link, 1), ==, SIM_HOST_NONE);
  g_assert_cmpuint (sim_world_link_peer (world, link, 2), ==, SIM_HOST_NONE);

  sim_world_run_until (world, 1000 + 14000 - 1);
  g_assert_cmpuint (a.up->len, ==, 0);
  sim_world_run_until (world, 1000 + 14000);
  g_assert_cmpuint (a.up->len, ==, 1);
  g_assert_cmpuint (g_array_index (a.up, SimLinkId, 0), ==, link);
  g_assert_cmpuint (a.last_peer, ==, 1);
  g_assert_cmpuint (b.up->len, ==, 0);
  /* the initiator sends at once: the responder is up before it arrives */
  g_assert_true (send_u32 (world, link, 0, 99, 4));
  g_assert_false (send_u32 (world, link, 1, 98, 4));
  sim_world_run_until (world, 1000 + 21000);
  g_assert_cmpuint (b.up->len, ==, 1);
  g_assert_cmpint (g_array_index (b.up_times, gint64, 0), ==, 1000 + 21000);
  g_assert_cmpuint (b.last_peer, ==, 0);
  g_assert_cmpuint (sim_world_link_peer (world, link, 1), ==, 0);
  g_assert_cmpuint (b.rx_values->len, ==, 1);
  g_assert_cmpuint (g_array_index (b.rx_values, guint32, 0), ==, 99);
  g_assert_cmpint (g_array_index (b.rx_times, gint64, 0), ==, 1000 + 21000);
  g_assert_true (send_u32 (world, link, 1, 98, 4));
  sim_world_run_until (world, 1000 + 28000);
  g_assert_cmpuint (a.rx_values->len, ==, 1);
  g_assert_cmpint (g_array_index (a.rx_times, gint64, 0), ==, 1000 + 28000);
  g_assert_cmpuint (a.down->len + b.down->len, ==, 0);
  rec_clear (&a);
  rec_clear (&b);
}

/* ---- FIFO ---- */

static void
test_fifo (void)
{
  Pair p;
  pair_init (&p, 9, NULL);
  gint64 t0 = sim_world_now (p.world);
  /* a burst of various sizes at one instant, over a 1 MB/s uplink */
  sim_world_set_host_bandwidth (p.world, 0, 1000000);
  GRand *r = g_rand_new_with_seed (1);
  gint64 tx_end = t0;
  for (guint32 i = 0; i < 1000; i++)
    {
      gsize size = g_rand_int_range (r, 4, 1500);
      tx_end += size; /* 1 us per byte */
      g_assert_true (send_u32 (p.world, p.link, 0, i, size));
    }
  /* and more later, interleaved with the burst's tail */
  sim_world_run_until (p.world, t0 + 5000);
  for (guint32 i = 1000; i < 2000; i++)
    g_assert_true (send_u32 (p.world, p.link, 0, i, 4));
  sim_world_set_host_bandwidth (p.world, 0, 0);
  for (guint32 i = 2000; i < 2100; i++)
    g_assert_true (send_u32 (p.world, p.link, 0, i, 4));
  sim_world_run_until (p.world, t0 + 10 * SIM_US_PER_S);
  g_assert_cmpuint (p.b.rx_values->len, ==, 2100);
  for (guint32 i = 0; i < 2100; i++)
    g_assert_cmpuint (g_array_index (p.b.rx_values, guint32, i), ==, i);
  for (guint32 i = 1; i < 2100; i++)
    g_assert_cmpint (g_array_index (p.b.rx_times, gint64, i - 1), <=,
                     g_array_index (p.b.rx_times, gint64, i));
  /* the burst's last datagram left when its last byte did */
  g_assert_cmpint (g_array_index (p.b.rx_times, gint64, 999), ==, tx_end + 10000);
  g_rand_free (r);

  /* without bandwidth: exactly the one-way delay */
  gint64 t1 = sim_world_now (p.world);
  g_assert_true (send_u32 (p.world, p.link, 1, 7, 4));
  sim_world_run_until (p.world, t1 + 9999);
  g_assert_cmpuint (p.a.rx_values->len, ==, 0);
  sim_world_run_until (p.world, t1 + 10000);
  g_assert_cmpuint (p.a.rx_values->len, ==, 1);

  SimHostCounters c;
  sim_world_host_counters (p.world, 0, &c);
  g_assert_cmpuint (c.msgs_sent, ==, 2100);
  g_assert_cmpuint (c.links_opened, ==, 1);
  sim_world_host_counters (p.world, 1, &c);
  g_assert_cmpuint (c.msgs_received, ==, 2100);
  g_assert_cmpuint (c.msgs_sent, ==, 1);
  g_assert_cmpuint (c.bytes_sent, ==, 4);
  pair_clear (&p);
}

static void
test_bandwidth (void)
{
  Pair p;
  pair_init (&p, 9, NULL);
  gint64 t0 = sim_world_now (p.world);
  sim_world_set_host_bandwidth (p.world, 1, 1000); /* 1 kB/s */
  g_assert_true (send_u32 (p.world, p.link, 1, 1, 100));
  g_assert_true (send_u32 (p.world, p.link, 1, 2, 100));
  sim_world_run_until (p.world, t0 + 10 * SIM_US_PER_S);
  g_assert_cmpuint (p.a.rx_times->len, ==, 2);
  g_assert_cmpint (g_array_index (p.a.rx_times, gint64, 0), ==, t0 + 100000 + 10000);
  g_assert_cmpint (g_array_index (p.a.rx_times, gint64, 1), ==, t0 + 200000 + 10000);
  pair_clear (&p);
}

/* ---- loss ---- */

static guint64
loss_run (guint64 seed, double loss, guint n)
{
  Pair p;
  pair_init (&p, seed, NULL);
  sim_world_set_loss (p.world, loss);
  for (guint32 i = 0; i < n; i++)
    {
      g_assert_true (send_u32 (p.world, p.link, 0, i, 4));
      if (i % 1000 == 999)
        sim_world_run_until (p.world, sim_world_now (p.world) + 1000);
    }
  sim_world_run_until (p.world, sim_world_now (p.world) + SIM_US_PER_S);
  SimHostCounters c;
  sim_world_host_counters (p.world, 0, &c);
  g_assert_cmpuint (c.msgs_sent, ==, n);
  guint64 received = p.b.rx_values->len;
  g_assert_cmpuint (c.msgs_lost + received, ==, n);
  /* the survivors still arrive in order */
  for (guint i = 1; i < received; i++)
    g_assert_cmpuint (g_array_index (p.b.rx_values, guint32, i - 1), <,
                      g_array_index (p.b.rx_values, guint32, i));
  SimWorldStats s;
  sim_world_stats (p.world, &s);
  g_assert_cmpuint (s.total.msgs_received, ==, received);
  pair_clear (&p);
  return received;
}

static void
test_loss (void)
{
  enum
  {
    N = 100000
  };
  guint64 r1 = loss_run (11, 0.2, N);
  /* expected 80,000, standard deviation ~126: allow 8 of them */
  g_test_message ("received %" G_GUINT64_FORMAT " of %d at 20%% loss", r1, N);
  g_assert_cmpuint (r1, >, 79000);
  g_assert_cmpuint (r1, <, 81000);
  g_assert_cmpuint (loss_run (11, 0.2, N), ==, r1); /* same seed, same count */
  g_assert_cmpuint (loss_run (11, 0.0, 1000), ==, 1000);
  g_assert_cmpuint (loss_run (11, 1.0, 1000), ==, 0);
}

/* ---- close ---- */

static void
test_link_close (void)
{
  Pair p;
  pair_init (&p, 13, NULL);
  gint64 t0 = sim_world_now (p.world);
  g_assert_true (send_u32 (p.world, p.link, 0, 1, 4)); /* in flight, delivered */
  g_assert_true (send_u32 (p.world, p.link, 1, 2, 4)); /* in flight, dropped */
  g_assert_true (sim_world_link_close (p.world, p.link, 0));
  g_assert_false (sim_world_link_close (p.world, p.link, 0));
  g_assert_false (sim_world_link_is_up (p.world, p.link, 0));
  g_assert_true (sim_world_link_is_up (p.world, p.link, 1));
  g_assert_false (send_u32 (p.world, p.link, 0, 3, 4));
  g_assert_cmpuint (sim_world_host_n_links (p.world, 0), ==, 0);
  g_assert_cmpuint (sim_world_host_n_links (p.world, 1), ==, 1);
  sim_world_run_until (p.world, t0 + 5000);
  g_assert_true (send_u32 (p.world, p.link, 1, 4, 4)); /* b does not know yet: dropped */
  sim_world_run_until (p.world, t0 + 10000);
  g_assert_cmpuint (p.b.rx_values->len, ==, 1);
  g_assert_cmpuint (p.b.down->len, ==, 1);
  g_assert_cmpint (g_array_index (p.b.down_times, gint64, 0), ==, t0 + 10000);
  g_assert_cmpuint (g_array_index (p.b.down, SimLinkId, 0), ==, p.link);
  g_assert_false (sim_world_link_is_up (p.world, p.link, 1));
  g_assert_false (send_u32 (p.world, p.link, 1, 5, 4));
  g_assert_false (sim_world_link_close (p.world, p.link, 1)); /* stale */
  sim_world_run_until (p.world, t0 + SIM_US_PER_S);
  g_assert_cmpuint (p.a.rx_values->len, ==, 0);
  g_assert_cmpuint (p.a.down->len, ==, 0);
  g_assert_cmpuint (sim_world_host_n_links (p.world, 1), ==, 0);
  SimWorldStats s;
  sim_world_stats (p.world, &s);
  g_assert_cmpuint (s.links_open, ==, 0);
  g_assert_cmpuint (s.total.msgs_dropped, ==, 2);
  /* the slot is reused by the next link, under a new id */
  SimLinkId next = sim_world_link_open (p.world, 1, 0);
  g_assert_cmpuint (next, !=, p.link);
  g_assert_false (sim_world_link_close (p.world, p.link, 1));
  sim_world_run_until (p.world, t0 + 2 * SIM_US_PER_S);
  g_assert_true (sim_world_link_is_up (p.world, next, 0));
  g_assert_false (sim_world_link_is_up (p.world, p.link, 0));

  /* closing during the handshake: the responder never hears of it, the
   * initiator gets no callback */
  SimLinkId early = sim_world_link_open (p.world, 0, 1);
  sim_world_run_until (p.world, sim_world_now (p.world) + 15000);
  g_assert_true (sim_world_link_close (p.world, early, 1) == FALSE); /* b does not know it */
  g_assert_true (sim_world_link_close (p.world, early, 0));
  guint a_up = p.a.up->len, b_up = p.b.up->len, b_down = p.b.down->len;
  sim_world_run_until (p.world, sim_world_now (p.world) + SIM_US_PER_S);
  g_assert_cmpuint (p.a.up->len, ==, a_up);
  g_assert_cmpuint (p.b.up->len, ==, b_up);
  g_assert_cmpuint (p.b.down->len, ==, b_down);
  pair_clear (&p);
}

/* ---- link ids: unique, stable across the table's growth ---- */

static void
test_link_ids (void)
{
  g_autoptr (SimWorld) world = sim_world_new (21, NULL);
  enum
  {
    HOSTS = 100,
    ROUNDS = 6,
    PER_ROUND = 3000
  };
  for (int i = 0; i < HOSTS; i++)
    sim_world_add_host (world);
  GRand *r = sim_world_rand (world);
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  GArray *live = g_array_new (FALSE, FALSE, sizeof (SimLinkId));
  GArray *live_from = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *live_to = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *dead = g_array_new (FALSE, FALSE, sizeof (SimLinkId));
  for (int round = 0; round < ROUNDS; round++)
    {
      for (int k = 0; k < PER_ROUND; k++)
        {
          guint a = g_rand_int_range (r, 0, HOSTS), b = g_rand_int_range (r, 0, HOSTS - 1);
          if (b >= a)
            b++;
          SimLinkId id = sim_world_link_open (world, a, b);
          g_assert_cmpuint (id, !=, SIM_LINK_NONE);
          g_assert_false (g_hash_table_contains (seen, GUINT_TO_POINTER (id)));
          g_hash_table_add (seen, GUINT_TO_POINTER (id));
          g_array_append_val (live, id);
          g_array_append_val (live_from, a);
          g_array_append_val (live_to, b);
        }
      sim_world_run_until (world, sim_world_now (world) + SIM_US_PER_S);
      /* close about a third, from either side */
      for (guint i = 0; i < live->len;)
        if (g_rand_int_range (r, 0, 3) == 0)
          {
            SimLinkId id = g_array_index (live, SimLinkId, i);
            guint closer = g_rand_boolean (r) ? g_array_index (live_from, guint, i)
                                              : g_array_index (live_to, guint, i);
            g_assert_true (sim_world_link_close (world, id, closer));
            g_array_append_val (dead, id);
            g_array_remove_index_fast (live, i);
            g_array_remove_index_fast (live_from, i);
            g_array_remove_index_fast (live_to, i);
          }
        else
          i++;
      sim_world_run_until (world, sim_world_now (world) + SIM_US_PER_S);
      for (guint i = 0; i < live->len; i++)
        {
          SimLinkId id = g_array_index (live, SimLinkId, i);
          guint a = g_array_index (live_from, guint, i), b = g_array_index (live_to, guint, i);
          g_assert_true (sim_world_link_is_up (world, id, a));
          g_assert_true (sim_world_link_is_up (world, id, b));
          g_assert_cmpuint (sim_world_link_peer (world, id, a), ==, b);
        }
      for (guint i = 0; i < dead->len; i++)
        {
          SimLinkId id = g_array_index (dead, SimLinkId, i);
          for (guint h = 0; h < 3; h++)
            g_assert_cmpuint (sim_world_link_peer (world, id, h), ==, SIM_HOST_NONE);
        }
      SimWorldStats st;
      sim_world_stats (world, &st);
      g_assert_cmpuint (st.links_open, ==, live->len);
      guint total = 0;
      for (guint h = 0; h < HOSTS; h++)
        total += sim_world_host_n_links (world, h);
      g_assert_cmpuint (total, ==, 2 * live->len);
    }
  /* a crash closes every link of the host, whatever slots they moved to */
  sim_world_host_fail (world, 7);
  g_assert_cmpuint (sim_world_host_n_links (world, 7), ==, 0);
  sim_world_run_until (world, sim_world_now (world) + 10 * SIM_US_PER_S);
  for (guint i = 0; i < live->len; i++)
    {
      SimLinkId id = g_array_index (live, SimLinkId, i);
      guint a = g_array_index (live_from, guint, i), b = g_array_index (live_to, guint, i);
      g_assert_cmpint (sim_world_link_is_up (world, id, a), ==, a != 7 && b != 7);
    }
  g_hash_table_unref (seen);
  g_array_unref (live);
  g_array_unref (live_from);
  g_array_unref (live_to);
  g_array_unref (dead);
}

/* ---- host failure ---- */

static void
mark_ran (SimWorld *world, gpointer data)
{
  *(int *) data += 1;
}

static void
test_host_fail (void)
{
  SimWorldConfig config;
  sim_world_config_init (&config);
  config.fail_detect_us = 2 * SIM_US_PER_S;
  config.connect_timeout_us = 3 * SIM_US_PER_S;
  Pair p;
  pair_init (&p, 17, &config);
  SimWorld *world = p.world;
  Rec c;
  sim_world_add_host (world);
  rec_init (&c, world, 2);
  sim_world_set_latency (world, 1, 2, 10000);
  SimLinkId bc = sim_world_link_open (world, 1, 2);
  sim_world_run_until (world, sim_world_now (world) + SIM_US_PER_S);
  g_assert_true (sim_world_link_is_up (world, bc, 2));

  int a_timer = 0, b_timer = 0, plain = 0;
  gint64 t0 = sim_world_now (world);
  sim_world_host_schedule (world, 0, t0 + 1000, mark_ran, &a_timer);
  sim_world_host_schedule (world, 1, t0 + 1000, mark_ran, &b_timer);
  sim_world_schedule (world, t0 + 1000, mark_ran, &plain);
  g_assert_true (send_u32 (world, p.link, 0, 1, 4)); /* sent before the crash: arrives */
  g_assert_true (send_u32 (world, p.link, 1, 2, 4)); /* towards the crashed: dropped */
  sim_world_host_fail (world, 0);
  g_assert_false (sim_world_host_alive (world, 0));
  g_assert_false (send_u32 (world, p.link, 0, 3, 4));
  g_assert_cmpuint (sim_world_link_open (world, 0, 1), ==, SIM_LINK_NONE);
  g_assert_cmpuint (sim_world_host_schedule (world, 0, t0 + 5, mark_ran, &a_timer), ==,
                    SIM_TIMER_NONE);
  g_assert_cmpuint (sim_world_host_n_links (world, 0), ==, 0);
  g_assert_true (sim_world_link_is_up (world, p.link, 1)); /* b does not know yet */
  SimWorldStats s;
  sim_world_stats (world, &s);
  g_assert_cmpuint (s.n_hosts_alive, ==, 2);

  sim_world_run_until (world, t0 + SIM_US_PER_S);
  g_assert_true (send_u32 (world, p.link, 1, 4, 4)); /* still believed up: lost */
  g_assert_cmpuint (p.b.rx_values->len, ==, 1);
  g_assert_cmpuint (p.b.down->len, ==, 0);
  sim_world_run_until (world, t0 + 2 * SIM_US_PER_S - 1);
  g_assert_cmpuint (p.b.down->len, ==, 0);
  sim_world_run_until (world, t0 + 2 * SIM_US_PER_S);
  g_assert_cmpuint (p.b.down->len, ==, 1);
  g_assert_cmpuint (g_array_index (p.b.down, SimLinkId, 0), ==, p.link);
  g_assert_cmpuint (p.b.last_peer, ==, 0);
  g_assert_cmpuint (p.a.down->len, ==, 0);
  g_assert_cmpuint (p.a.rx_values->len, ==, 0);
  g_assert_cmpint (a_timer, ==, 0);
  g_assert_cmpint (b_timer, ==, 1);
  g_assert_cmpint (plain, ==, 1);
  /* the link between the survivors is untouched */
  g_assert_true (sim_world_link_is_up (world, bc, 1));
  g_assert_cmpuint (c.down->len, ==, 0);
  SimHostCounters hc;
  sim_world_host_counters (world, 1, &hc);
  g_assert_cmpuint (hc.msgs_dropped, ==, 2);

  /* connecting to a crashed host times out */
  gint64 t1 = sim_world_now (world);
  SimLinkId dead = sim_world_link_open (world, 2, 0);
  g_assert_cmpuint (dead, !=, SIM_LINK_NONE);
  sim_world_run_until (world, t1 + 3 * SIM_US_PER_S);
  g_assert_cmpuint (c.up->len, ==, 1);
  g_assert_cmpuint (c.down->len, ==, 1);
  g_assert_cmpuint (g_array_index (c.down, SimLinkId, 0), ==, dead);
  g_assert_cmpint (g_array_index (c.down_times, gint64, 0), ==, t1 + 3 * SIM_US_PER_S);

  /* a crash during the handshake: the initiator learns it by timeout */
  SimLinkId half = sim_world_link_open (world, 2, 1);
  sim_world_run_until (world, sim_world_now (world) + 15000); /* b not up yet */
  guint b_up = p.b.up->len;
  gint64 t2 = sim_world_now (world);
  sim_world_host_fail (world, 1);
  sim_world_run_until (world, t2 + 2 * SIM_US_PER_S);
  g_assert_cmpuint (c.down->len, ==, 3); /* half, and bc */
  g_assert_cmpuint (p.b.up->len, ==, b_up);
  SimLinkId d1 = g_array_index (c.down, SimLinkId, 1), d2 = g_array_index (c.down, SimLinkId, 2);
  g_assert_true ((d1 == bc && d2 == half) || (d1 == half && d2 == bc));
  g_assert_cmpuint (c.up->len, ==, 1); /* half never came up */

  /* revival: a fresh host on the same address */
  sim_world_host_revive (world, 0);
  g_assert_true (sim_world_host_alive (world, 0));
  SimLinkId again = sim_world_link_open (world, 0, 2);
  sim_world_run_until (world, sim_world_now (world) + SIM_US_PER_S);
  g_assert_true (sim_world_link_is_up (world, again, 0));
  g_assert_true (sim_world_link_is_up (world, again, 2));
  sim_world_stats (world, &s);
  g_assert_cmpuint (s.n_hosts_alive, ==, 2);
  g_assert_cmpuint (s.links_open, ==, 1);
  rec_clear (&c);
  pair_clear (&p);
}

/* ---- random streams ---- */

static void
test_host_rand (void)
{
  g_autoptr (SimWorld) w1 = sim_world_new (99, NULL);
  g_autoptr (SimWorld) w2 = sim_world_new (99, NULL);
  g_autoptr (SimWorld) w3 = sim_world_new (100, NULL);
  for (int i = 0; i < 10; i++)
    {
      sim_world_add_host (w1);
      sim_world_add_host (w2);
      sim_world_add_host (w3);
    }
  /* w1 draws from other hosts and the world first; w2 does not */
  for (guint h = 0; h < 10; h++)
    if (h != 4)
      for (int k = 0; k < 100; k++)
        g_rand_int (sim_world_host_rand (w1, h));
  g_rand_int (sim_world_rand (w1));
  guint32 v1[50], v2[50];
  for (int k = 0; k < 50; k++)
    {
      v2[k] = g_rand_int (sim_world_host_rand (w2, 4));
      v1[k] = g_rand_int (sim_world_host_rand (w1, 4));
    }
  g_assert_true (memcmp (v1, v2, sizeof v1) == 0);
  g_assert_cmpuint (g_rand_int (sim_world_host_rand (w3, 4)), !=, v1[0]);
  g_assert_cmpuint (g_rand_int (sim_world_host_rand (w2, 5)), !=,
                    g_rand_int (sim_world_host_rand (w2, 6)));
  g_assert_true (sim_world_host_rand (w1, 4) == sim_world_host_rand (w1, 4));
  /* the world's own stream: the same for the same seed */
  g_autoptr (SimWorld) w4 = sim_world_new (99, NULL);
  guint32 first = g_rand_int (sim_world_rand (w2));
  g_assert_cmpuint (g_rand_int (sim_world_rand (w4)), ==, first);
}

/* ---- churn ---- */

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median_of (double (*sample) (GRand *, double), GRand *r, double median, guint n, double *min)
{
  double *v = g_new (double, n);
  *min = G_MAXDOUBLE;
  for (guint i = 0; i < n; i++)
    {
      v[i] = sample (r, median);
      g_assert_true (isfinite (v[i]));
      g_assert_cmpfloat (v[i], >, 0);
      *min = MIN (*min, v[i]);
    }
  qsort (v, n, sizeof (double), cmp_double);
  double m = v[n / 2];
  g_free (v);
  return m;
}

static void
test_session_samplers (void)
{
  GRand *r = g_rand_new_with_seed (2024);
  double min;
  double m = median_of (sim_sample_session_s, r, 3600, 200000, &min);
  g_assert_cmpfloat (fabs (m - 3600) / 3600, <, 0.02);
  /* Pareto: nothing below x_m = median / 2^(1/shape) */
  g_assert_cmpfloat (min, >=, 3600 / pow (2, 1 / SIM_SESSION_PARETO_SHAPE) * (1 - 1e-12));
  m = median_of (sim_sample_exponential_s, r, 600, 200000, &min);
  g_assert_cmpfloat (fabs (m - 600) / 600, <, 0.02);
  g_assert_cmpfloat (sim_sample_pareto_s (r, 10, 1.0), >=, 5.0 * (1 - 1e-12));
  g_rand_free (r);
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
  g_test_add_func ("/sim/world/link-handshake", test_link_handshake);
  g_test_add_func ("/sim/world/fifo", test_fifo);
  g_test_add_func ("/sim/world/bandwidth", test_bandwidth);
  g_test_add_func ("/sim/world/loss", test_loss);
  g_test_add_func ("/sim/world/link-close", test_link_close);
  g_test_add_func ("/sim/world/link-ids", test_link_ids);
  g_test_add_func ("/sim/world/host-fail", test_host_fail);
  g_test_add_func ("/sim/world/host-rand", test_host_rand);
  g_test_add_func ("/sim/world/session-samplers", test_session_samplers);
  return g_test_run ();
}
