/* test-sim-links.c: the simulator's links and hosts: handshakes, FIFO
 * delivery, bandwidth, loss, closing, link ids, host failure, random
 * streams and the session-time samplers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-world.h"

#include <math.h>
#include <string.h>

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
