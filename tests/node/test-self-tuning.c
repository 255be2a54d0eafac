/* test-self-tuning.c: the RFC 7363 estimators of reload-self-tuning.h on
 * known tables and rates: the overlay size from Node-ID density (§6.1),
 * the table sizes (§6.2), the rates over the last K events (§6.3, §6.4)
 * and the stabilization interval (§6.6).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-self-tuning.h"

#include <math.h>

/* i/n of the way around the ring */
static ChordId
ring_at (guint i, guint n)
{
  /* 2^128 * i / n, from the 64-bit halves */
  long double frac = (long double) (i % n) / n;
  long double hi = floorl (frac * 18446744073709551616.0L);
  long double lo = (frac * 18446744073709551616.0L - hi) * 18446744073709551616.0L;
  return (ChordId){ (guint64) hi, (guint64) lo };
}

static void
test_size_even_ring (void)
{
  /* 1000 evenly spaced peers, 9 successors and 9 predecessors: N = 1000 */
  const guint n = 1000;
  ChordId succ[9], pred[9];
  for (guint i = 0; i < 9; i++)
    {
      succ[i] = ring_at (1 + i, n);
      pred[i] = ring_at (n - 1 - i, n);
    }
  double est = reload_self_tuning_estimate_size (ring_at (0, n), pred, 9, succ, 9);
  g_assert_cmpfloat_with_epsilon (est, 1000, 1e-6);
  /* successors only (no predecessor yet): the same density */
  est = reload_self_tuning_estimate_size (ring_at (0, n), NULL, 0, succ, 9);
  g_assert_cmpfloat_with_epsilon (est, 1000, 1e-6);
  /* twice as dense on one side: 18 intervals over 13.5/1000 of the ring */
  ChordId dense[9];
  for (guint i = 0; i < 9; i++)
    dense[i] = ring_at (2 * (i + 1), 4 * n); /* (i+1)/2000 */
  est = reload_self_tuning_estimate_size (ring_at (0, n), pred, 9, dense, 9);
  g_assert_cmpfloat_with_epsilon (est, 18 / (13.5 / 1000), 1e-6);
}

static void
test_size_small_ring (void)
{
  /* 5 peers, lists of 3: the lists wrap, every peer is known */
  ChordId succ[3] = { ring_at (1, 5), ring_at (2, 5), ring_at (3, 5) };
  ChordId pred[3] = { ring_at (4, 5), ring_at (3, 5), ring_at (2, 5) };
  g_assert_cmpfloat (reload_self_tuning_estimate_size (ring_at (0, 5), pred, 3, succ, 3), ==, 5);
  /* 7 peers, lists of 3: no overlap, 6 intervals over 6/7 of the ring */
  ChordId s7[3] = { ring_at (1, 7), ring_at (2, 7), ring_at (3, 7) };
  ChordId p7[3] = { ring_at (6, 7), ring_at (5, 7), ring_at (4, 7) };
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_estimate_size (ring_at (0, 7), p7, 3, s7, 3),
                                  7, 1e-9);
  /* alone */
  g_assert_cmpfloat (reload_self_tuning_estimate_size (ring_at (0, 7), NULL, 0, NULL, 0), ==, 1);
}

static void
test_table_sizes (void)
{
  /* §6.2: max(ceil(log2 N), 16) fingers; ceil(log2 N) neighbours */
  g_assert_cmpuint (reload_self_tuning_finger_count (500), ==, 16);
  g_assert_cmpuint (reload_self_tuning_finger_count (1 << 20), ==, 20);
  g_assert_cmpuint (reload_self_tuning_finger_count (1e6), ==, 20);
  g_assert_cmpuint (reload_self_tuning_finger_count (1e60), ==, CHORD_MAX_FINGERS);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (500, 3), ==, 9);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (512, 3), ==, 9);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (4, 3), ==, 3);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (1e9, 3), ==, CHORD_MAX_NEIGHBORS);
}

static void
test_interval (void)
{
  /* r T = 0.0201345 gives 1 % stale entries: with N = 500 and 500/600
   * joins and leaves per second, r = 1/300 per second and T = 6.04 s */
  double t = reload_self_tuning_interval_s (500, 500.0 / 600, 500.0 / 600, 0.01);
  g_assert_cmpfloat_with_epsilon (t, 6.040336, 1e-5);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_stale_fraction (1.0 / 300, t), 0.01, 1e-12);
  /* half the entries stale: r T = 1.593624 */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_interval_s (100, 1, 0, 0.5), 159.3624, 1e-3);
  /* twice the churn, half the interval */
  double t2 = reload_self_tuning_interval_s (500, 2 * 500.0 / 600, 2 * 500.0 / 600, 0.01);
  g_assert_cmpfloat_with_epsilon (t2, t / 2, 1e-6);
  /* no churn: no need to stabilize */
  g_assert_true (isinf (reload_self_tuning_interval_s (500, 0, 0, 0.01)));
  /* the closed form and the series agree where they meet */
  double below = reload_self_tuning_stale_fraction (1, 0.999999e-4);
  double above = reload_self_tuning_stale_fraction (1, 1.000001e-4);
  g_assert_cmpfloat (fabs (above / below - 1.000002), <, 1e-9);
  g_assert_cmpfloat (fabs (reload_self_tuning_stale_fraction (1, 1e-8) / 0.5e-8 - 1), <, 1e-8);
}

static void
test_history_rate (void)
{
  ReloadSelfTuningHistory h = { 0 };
  /* nothing observed yet */
  g_assert_cmpfloat (reload_self_tuning_history_rate (&h, 1000, 1000, 8), ==, 0);
  /* 4 events in 10 s over 8 watched entries */
  for (guint i = 0; i < 4; i++)
    reload_self_tuning_history_add (&h, 2000 + i * 1000);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_history_rate (&h, 1, 10001, 8), 0.05, 1e-12);
  /* full: the last K of 20 events, one a second: K / (8 * (K - 1) s) */
  ReloadSelfTuningHistory f = { 0 };
  for (guint i = 0; i < 20; i++)
    reload_self_tuning_history_add (&f, 1000 + i * 1000);
  g_assert_cmpfloat_with_epsilon (
      reload_self_tuning_history_rate (&f, 1, 20000, 8),
      (double) RELOAD_SELF_TUNING_HISTORY / (8 * (RELOAD_SELF_TUNING_HISTORY - 1)), 1e-12);
  /* churn stops: the estimate decays */
  g_assert_cmpfloat (reload_self_tuning_history_rate (&f, 1, 80000, 8), <,
                     reload_self_tuning_history_rate (&f, 1, 20000, 8) / 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/self-tuning/size-even-ring", test_size_even_ring);
  g_test_add_func ("/self-tuning/size-small-ring", test_size_small_ring);
  g_test_add_func ("/self-tuning/table-sizes", test_table_sizes);
  g_test_add_func ("/self-tuning/interval", test_interval);
  g_test_add_func ("/self-tuning/history-rate", test_history_rate);
  return g_test_run ();
}
