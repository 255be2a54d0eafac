/* test-sim-stats.c: the percentile accumulator against a sorted
 * reference, the memory high-water mark and the wall clock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-stats.h"

#include <math.h>
#include <stdlib.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Nearest rank, computed the slow and obvious way. */
static double
reference (const double *sorted, gsize n, double p)
{
  for (gsize rank = 1; rank <= n; rank++)
    if ((double) rank * 100.0 >= p * (double) n - 1e-6)
      return sorted[rank - 1];
  return sorted[n - 1];
}

static void
check_against_reference (GRand *r, gsize n, gboolean integers)
{
  g_autoptr (SimPercentiles) acc = sim_percentiles_new ();
  double *ref = g_new (double, n);
  double sum = 0;
  for (gsize i = 0; i < n; i++)
    {
      double v =
          integers ? (double) g_rand_int_range (r, 0, 50) : -log (1.0 - g_rand_double (r)) * 1000.0;
      ref[i] = v;
      sum += v;
      sim_percentiles_add (acc, v);
    }
  qsort (ref, n, sizeof (double), cmp_double);
  g_assert_cmpuint (sim_percentiles_count (acc), ==, n);
  g_assert_cmpfloat_with_epsilon (sim_percentiles_mean (acc), sum / n, 1e-9 * fabs (sum));
  g_assert_cmpfloat (sim_percentiles_min (acc), ==, ref[0]);
  g_assert_cmpfloat (sim_percentiles_max (acc), ==, ref[n - 1]);
  static const double ps[] = { 0, 0.1, 1, 5, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 99, 99.9, 100 };
  for (guint i = 0; i < G_N_ELEMENTS (ps); i++)
    g_assert_cmpfloat (sim_percentiles_get (acc, ps[i]), ==, reference (ref, n, ps[i]));
  /* adding after a query re-sorts */
  sim_percentiles_add (acc, -1.0);
  g_assert_cmpfloat (sim_percentiles_get (acc, 0), ==, -1.0);
  g_assert_cmpfloat (sim_percentiles_min (acc), ==, -1.0);
  g_free (ref);
}

static void
test_percentiles (void)
{
  GRand *r = g_rand_new_with_seed (5);
  check_against_reference (r, 1, FALSE);
  check_against_reference (r, 2, FALSE);
  check_against_reference (r, 7, TRUE);
  check_against_reference (r, 100, FALSE);
  check_against_reference (r, 1000, TRUE);
  check_against_reference (r, 100003, FALSE);
  g_rand_free (r);
}

static void
test_percentiles_small (void)
{
  g_autoptr (SimPercentiles) acc = sim_percentiles_new ();
  SimSummary s;
  sim_percentiles_summary (acc, &s);
  g_assert_cmpuint (s.count, ==, 0);
  g_assert_cmpfloat (s.mean, ==, 0);
  g_assert_cmpfloat (s.p99, ==, 0);
  g_assert_cmpfloat (s.max, ==, 0);
  for (int i = 100; i >= 1; i--)
    sim_percentiles_add (acc, i);
  sim_percentiles_summary (acc, &s);
  g_assert_cmpuint (s.count, ==, 100);
  g_assert_cmpfloat (s.mean, ==, 50.5);
  g_assert_cmpfloat (s.min, ==, 1);
  g_assert_cmpfloat (s.p50, ==, 50);
  g_assert_cmpfloat (s.p90, ==, 90);
  g_assert_cmpfloat (s.p99, ==, 99);
  g_assert_cmpfloat (s.max, ==, 100);
  g_assert_cmpfloat (sim_percentiles_sum (acc), ==, 5050);

  g_autoptr (SimPercentiles) other = sim_percentiles_new ();
  for (int i = 101; i <= 200; i++)
    sim_percentiles_add (other, i);
  sim_percentiles_merge (acc, other);
  g_assert_cmpuint (sim_percentiles_count (acc), ==, 200);
  g_assert_cmpfloat (sim_percentiles_get (acc, 50), ==, 100);
  g_assert_cmpfloat (sim_percentiles_get (acc, 99), ==, 198);
  g_assert_cmpfloat (sim_percentiles_max (acc), ==, 200);
  g_assert_cmpfloat (sim_percentiles_min (acc), ==, 1);
  sim_percentiles_clear (acc);
  g_assert_cmpuint (sim_percentiles_count (acc), ==, 0);
  sim_percentiles_add (acc, 3);
  g_assert_cmpfloat (sim_percentiles_get (acc, 50), ==, 3);
  g_assert_cmpfloat (sim_percentiles_min (acc), ==, 3);
}

static void
test_rss_and_clock (void)
{
  gint64 now = sim_current_rss_bytes ();
  gint64 peak = sim_peak_rss_bytes (); /* read second: a high-water mark */
  if (peak < 0)
    {
      g_test_skip ("no /proc/self/status");
      return;
    }
  g_assert_cmpint (now, >, 0);
  g_assert_cmpint (peak, >=, now);
  /* touching 64 MiB raises the high-water mark */
  gsize size = 64 << 20;
  char *block = g_malloc (size);
  for (gsize i = 0; i < size; i += 4096)
    block[i] = (char) i;
  g_assert_cmpint (sim_peak_rss_bytes (), >=, now + (gint64) size / 2);
  g_free (block);

  double t0 = sim_wall_seconds ();
  g_usleep (2000);
  double t1 = sim_wall_seconds ();
  g_assert_cmpfloat (t1 - t0, >=, 0.0015);
  g_assert_cmpfloat (t1 - t0, <, 10);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/stats/percentiles", test_percentiles);
  g_test_add_func ("/sim/stats/percentiles-small", test_percentiles_small);
  g_test_add_func ("/sim/stats/rss-and-clock", test_rss_and_clock);
  return g_test_run ();
}
