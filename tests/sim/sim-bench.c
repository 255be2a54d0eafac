/* sim-bench.c: micro-benchmark of chorus-sim's virtual network (not a
 * test).  Three phases, each running N events (default 10 million):
 *
 *   hold     the classic hold model: 100,000 pending timers, each event
 *            reschedules itself a random 1 us .. 1 s later;
 *   cancel   the same, and every event also arms a 5 s timeout and
 *            cancels the one it armed before (retransmission timers);
 *   network  10,000 hosts, 20 links opened by each (200,000 links), one
 *            datagram ping-ponging on every link.
 *
 * Prints events per wall-clock second for each, and the peak RSS.
 * Usage: sim-bench [events [hold|cancel|network]]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-stats.h"
#include "sim-world.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  guint64 state;
  SimTimerId timeout;
} HoldItem;

typedef struct
{
  HoldItem *items;
  gboolean cancel;
} Hold;

static Hold hold;

static inline guint64
xorshift (guint64 *s)
{
  guint64 x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static void
noop (SimWorld *world, gpointer data)
{
}

static void
hold_fire (SimWorld *world, gpointer data)
{
  HoldItem *item = data;
  gint64 now = sim_world_now (world);
  sim_world_schedule (world, now + 1 + (gint64) (xorshift (&item->state) % 1000000), hold_fire,
                      item);
  if (hold.cancel)
    {
      sim_world_cancel (world, item->timeout);
      item->timeout = sim_world_schedule (world, now + 5 * SIM_US_PER_S, noop, item);
    }
}

static double
run_hold (guint64 n_events, gboolean cancel)
{
  enum
  {
    PENDING = 100000
  };
  SimWorld *world = sim_world_new (1, NULL);
  hold.items = g_new0 (HoldItem, PENDING);
  hold.cancel = cancel;
  for (guint i = 0; i < PENDING; i++)
    {
      hold.items[i].state = 0x9e3779b97f4a7c15ull * (i + 1);
      sim_world_schedule (world, (gint64) (xorshift (&hold.items[i].state) % 1000000), hold_fire,
                          &hold.items[i]);
    }
  double t0 = sim_wall_seconds ();
  guint64 done = 0;
  while (done < n_events && sim_world_step (world))
    done++;
  double dt = sim_wall_seconds () - t0;
  printf ("%-8s %" G_GUINT64_FORMAT " events in %.3f s: %.2f M events/s (virtual time %.1f s)\n",
          cancel ? "cancel" : "hold", done, dt, done / dt / 1e6, sim_world_now (world) / 1e6);
  sim_world_free (world);
  g_free (hold.items);
  return done / dt;
}

/* ---- network ---- */

typedef struct
{
  SimWorld *world;
  guint index;
  GBytes *ping;
} BenchHost;

static void
bench_receive (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us)
{
  BenchHost *h = host_data;
  sim_world_send (h->world, link, h->index, bytes);
}

static void
bench_link_event (gpointer host_data, SimLinkId link, SimLinkEvent event, guint peer_host,
                  gint64 now_us)
{
  BenchHost *h = host_data;
  if (event == SIM_LINK_UP && sim_world_link_peer (h->world, link, h->index) > h->index)
    sim_world_send (h->world, link, h->index, h->ping);
}

static double
run_network (guint64 n_events)
{
  enum
  {
    HOSTS = 10000,
    LINKS_EACH = 20
  };
  gint64 rss0 = sim_current_rss_bytes ();
  SimWorld *world = sim_world_new (2, NULL);
  BenchHost *hosts = g_new0 (BenchHost, HOSTS);
  GBytes *ping = g_bytes_new_static ("a RELOAD message of some size, give or take", 44);
  for (guint i = 0; i < HOSTS; i++)
    {
      sim_world_add_host (world);
      hosts[i] = (BenchHost){ world, i, ping };
      sim_world_set_host_handler (world, i, bench_receive, bench_link_event, &hosts[i]);
      g_rand_int (sim_world_host_rand (world, i)); /* as a node would */
    }
  GRand *r = sim_world_rand (world);
  for (guint i = 0; i < HOSTS; i++)
    for (guint k = 0; k < LINKS_EACH; k++)
      {
        guint to = g_rand_int_range (r, 0, HOSTS - 1);
        sim_world_link_open (world, i, to >= i ? to + 1 : to);
      }
  double t0 = sim_wall_seconds ();
  guint64 done = 0;
  while (done < n_events && sim_world_step (world))
    done++;
  double dt = sim_wall_seconds () - t0;
  SimWorldStats s;
  sim_world_stats (world, &s);
  gint64 rss1 = sim_current_rss_bytes ();
  printf ("%-8s %" G_GUINT64_FORMAT " events in %.3f s: %.2f M events/s (virtual time %.1f s, "
          "%u hosts, %" G_GUINT64_FORMAT " links, %" G_GUINT64_FORMAT " datagrams, "
          "%.1f MiB for the world)\n",
          "network", done, dt, done / dt / 1e6, s.now_us / 1e6, s.n_hosts, s.links_open,
          s.total.msgs_received, (rss1 - rss0) / 1048576.0);
  sim_world_free (world);
  g_bytes_unref (ping);
  g_free (hosts);
  return done / dt;
}

int
main (int argc, char *argv[])
{
  guint64 n = 10000000;
  if (argc > 1)
    n = g_ascii_strtoull (argv[1], NULL, 10);
  if (n == 0)
    {
      fprintf (stderr, "usage: sim-bench [events [hold|cancel|network]]\n");
      return 2;
    }
  const char *only = argc > 2 ? argv[2] : NULL;
  if (only == NULL || g_str_equal (only, "hold"))
    run_hold (n, FALSE);
  if (only == NULL || g_str_equal (only, "cancel"))
    run_hold (n, TRUE);
  if (only == NULL || g_str_equal (only, "network"))
    run_network (n);
  printf ("peak RSS %.1f MiB\n", sim_peak_rss_bytes () / 1048576.0);
  return 0;
}
