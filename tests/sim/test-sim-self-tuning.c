/* test-sim-self-tuning.c: RFC 7363 self-tuning on the simulated network,
 * with a fixed seed: 500 peers (200 under AddressSanitizer) estimate the
 * overlay size, shorten their stabilization interval under churn, and
 * still find the responsible peer of every lookup once the churn stops.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-overlay.h"

#include <math.h>

#if defined(__SANITIZE_ADDRESS__)
#define N_PEERS 200
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define N_PEERS 200
#endif
#endif
#ifndef N_PEERS
#define N_PEERS 500
#endif

#define MAX_INTERVAL_S 60

typedef struct
{
  SimWorld *world;
  SimOverlay *overlay;
} Net;

static void
run_s (Net *net, double seconds)
{
  sim_world_run_until (net->world, sim_world_now (net->world) + (gint64) (seconds * 1e6));
}

typedef struct
{
  double size_mean;
  double size_min;
  double size_max;
  double interval_s_mean;
  double leave_rate_mean;
  guint count;
} Estimates;

static void
estimates (Net *net, Estimates *e)
{
  *e = (Estimates){ 0, G_MAXDOUBLE, 0, 0, 0, 0 };
  for (guint h = 0; h < sim_overlay_n_peers (net->overlay); h++)
    {
      double n, jr, lr;
      guint ms;
      if (!sim_overlay_is_joined (net->overlay, h))
        continue;
      g_assert_true (
          reload_node_self_tuning_state (sim_overlay_node (net->overlay, h), &n, &jr, &lr, &ms));
      e->size_mean += n;
      e->size_min = MIN (e->size_min, n);
      e->size_max = MAX (e->size_max, n);
      e->interval_s_mean += ms / 1000.0;
      e->leave_rate_mean += lr;
      e->count++;
    }
  g_assert_cmpuint (e->count, >, 0);
  e->size_mean /= e->count;
  e->interval_s_mean /= e->count;
  e->leave_rate_mean /= e->count;
}

typedef struct
{
  Net *net;
  guint answered;
  guint right_peer;
  guint failed;
} LookupCounts;

typedef struct
{
  LookupCounts *counts;
  ChordId target;
} LookupCtx;

static void
lookup_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  LookupCtx *l = user_data;
  if (answer == NULL || answer->message_code != RELOAD_PING_ANS)
    l->counts->failed++;
  else
    {
      l->counts->answered++;
      const RwBytes *h = &answer->security_block.signature.identity.hash;
      ChordId truth;
      g_assert_true (sim_overlay_responsible (l->counts->net->overlay, l->target, &truth));
      if (h->len == 16 && chord_id_equal (chord_id_from_bytes (h->data), truth))
        l->counts->right_peer++;
    }
  g_free (l);
}

/* Pings @n random Resource-IDs from random peers; returns the fraction
 * answered by the peer truly responsible. */
static double
lookups (Net *net, guint n)
{
  LookupCounts counts = { net, 0, 0, 0 };
  GRand *r = g_rand_new_with_seed (77);
  for (guint i = 0; i < n; i++)
    {
      gint h = sim_overlay_random_joined (net->overlay, G_MAXUINT);
      g_assert_cmpint (h, >=, 0);
      guint8 rid[16];
      for (guint k = 0; k < 16; k++)
        rid[k] = (guint8) g_rand_int (r);
      LookupCtx *l = g_new0 (LookupCtx, 1);
      l->counts = &counts;
      l->target = chord_id_from_bytes (rid);
      ReloadDestination d = { 0 };
      d.type = RELOAD_DESTINATION_RESOURCE;
      d.resource_id = (RwBytes){ rid, 16 };
      ReloadPingReq ping = { 0 };
      reload_node_request (sim_overlay_node (net->overlay, (guint) h), &d, RELOAD_PING_REQ, &ping,
                           lookup_done, l, sim_world_now (net->world) / 1000);
      sim_overlay_poke (net->overlay, (guint) h);
      run_s (net, 0.05);
    }
  run_s (net, 20);
  g_rand_free (r);
  g_assert_cmpuint (counts.answered + counts.failed, ==, n);
  return (double) counts.right_peer / n;
}

static void
test_self_tuning (void)
{
  gint64 wall0 = g_get_monotonic_time ();
  Net net;
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  net.world = sim_world_new (7363, &wc);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = MAX_INTERVAL_S;
  oc.chord_ping_interval_s = 300;
  oc.chord_reactive = TRUE;
  oc.self_tuning = TRUE;
  net.overlay = sim_overlay_new (net.world, 7363, &oc);

  /* the peers join 40 ms apart and the ring settles */
  for (guint i = 0; i < N_PEERS; i++)
    {
      sim_overlay_join (net.overlay, sim_overlay_add_peer (net.overlay));
      run_s (&net, 0.04);
    }
  run_s (&net, 180);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), ==, N_PEERS);
  Estimates calm;
  estimates (&net, &calm);
  g_test_message ("no churn: size %.1f (min %.1f, max %.1f) for %u, interval %.2f s",
                  calm.size_mean, calm.size_min, calm.size_max, N_PEERS, calm.interval_s_mean);
  /* §6.1 with 2 ceil(log2 N) = 18 intervals (16 for 200 peers): a node's
   * own estimate, N k / (sum of k exponential gaps), has a relative
   * deviation of about 1/sqrt(k - 1) = 25 % and a bias of k / (k - 1) =
   * +6 %; the mean over all nodes (and the averaging with neighbours,
   * §6.5) leaves the bias: within 15 % of the truth, and every node within
   * a factor of 2 */
  g_assert_cmpfloat (fabs (calm.size_mean / N_PEERS - 1), <, 0.15);
  g_assert_cmpfloat (calm.size_min, >, N_PEERS / 2.0);
  g_assert_cmpfloat (calm.size_max, <, N_PEERS * 2.0);
  /* no churn seen: the longest interval */
  g_assert_cmpfloat (calm.interval_s_mean, >, 0.9 * MAX_INTERVAL_S);

  /* churn: a random peer is replaced (crash, then a new node joins) at
   * N / 300 per second, a mean session of 5 minutes, for 4 minutes */
  GRand *r = g_rand_new_with_seed (7);
  double rate = N_PEERS / 300.0, debt = 0;
  for (guint s = 0; s < 240; s++)
    {
      run_s (&net, 1);
      /* a joined peer (replacing one still joining would start its new
       * node twice) */
      for (debt += rate; debt >= 1; debt--)
        {
          guint h = (guint) g_rand_int_range (r, 0, N_PEERS);
          while (!sim_overlay_is_joined (net.overlay, h))
            h = (h + 1) % N_PEERS;
          sim_overlay_replace (net.overlay, h);
        }
    }
  g_rand_free (r);
  Estimates churn;
  estimates (&net, &churn);
  g_test_message ("churn: size %.1f for about %u, interval %.2f s, leave rate %.3f/s (true %.3f/s)",
                  churn.size_mean, sim_overlay_n_joined (net.overlay), churn.interval_s_mean,
                  churn.leave_rate_mean, rate);
  g_assert_cmpfloat (churn.interval_s_mean, <, 0.75 * calm.interval_s_mean);
  g_assert_cmpfloat (churn.leave_rate_mean, >, 0);
  g_assert_cmpfloat (fabs (churn.size_mean / N_PEERS - 1), <, 0.3);

  /* the churn stops, the ring settles, lookups find the right peer */
  run_s (&net, 90);
  /* a few replaced nodes may stay unjoined (3 of 500 with this seed; the
   * same without self-tuning): at least 99 % of the hosts are in the ring */
  g_test_message ("%u of %u joined", sim_overlay_n_joined (net.overlay), N_PEERS);
  g_assert_cmpuint (sim_overlay_n_joined (net.overlay), >=, N_PEERS - N_PEERS / 100);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (net.overlay), ==, 0);
  double ok = lookups (&net, 200);
  g_test_message ("lookup success after settling: %.3f; %.1f s wall", ok,
                  (g_get_monotonic_time () - wall0) / 1e6);
  g_assert_cmpfloat (ok, ==, 1.0);

  sim_overlay_free (net.overlay);
  sim_world_free (net.world);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/self-tuning", test_self_tuning);
  return g_test_run ();
}
