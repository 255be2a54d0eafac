/* test-self-tuning.c: the RFC 7363 formulas of reload-self-tuning.h, each
 * on an example worked by hand from the RFC's formula (the working is in
 * the comments; the expected numbers are the hand results, not the
 * code's): the overlay size from Node-ID density (§6.1), the routing
 * table sizes (§6.2), the failure rate U (§6.3), the join rate L (§6.4),
 * the 75th percentile and the rates per 24 hours of the estimate sharing
 * (§2, §6.5) and the stabilization interval (§6.6), including the RFC's
 * own examples of §3.2 and §4.
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

/* k units u = 2^118 along the ring (2^128 = 1024 u), k mod 1024 */
static ChordId
units (gint k)
{
  guint64 m = (guint64) ((k % 1024 + 1024) % 1024);
  return (ChordId){ m << 54, 0 };
}

static void
test_size_hand (void)
{
  /* §6.1: "N = 2^numBitsInNodeId / d", d "the average inter-peer
   * distance ... between the successive peers starting from the most
   * distant predecessor and ending to the most distant successor".
   * Self at 0, predecessors at -2u and -5u, successors at 1u, 3u, 4u
   * (u = 2^118): the peers -5u, -2u, 0, 1u, 3u, 4u span 9u in 5 gaps,
   * d = 9u/5 = 1.8u, N = 1024u / 1.8u = 5120/9 = 568.888... */
  ChordId pred[2] = { units (-2), units (-5) };
  ChordId succ[3] = { units (1), units (3), units (4) };
  double est = reload_self_tuning_estimate_size (units (0), pred, 2, succ, 3);
  g_assert_cmpfloat_with_epsilon (est, 568.888889, 1e-5);
  /* no predecessor yet: from self to 4u in 3 gaps, d = 4u/3, N = 768 */
  est = reload_self_tuning_estimate_size (units (0), NULL, 0, succ, 3);
  g_assert_cmpfloat_with_epsilon (est, 768, 1e-9);
  /* one predecessor at -1u and one successor at 1u: d = 1u, N = 1024 */
  ChordId p1 = units (-1), s1 = units (1);
  est = reload_self_tuning_estimate_size (units (0), &p1, 1, &s1, 1);
  g_assert_cmpfloat_with_epsilon (est, 1024, 1e-9);
}

static void
test_size_even_ring (void)
{
  /* 1000 evenly spaced peers, 9 successors and 9 predecessors: 18 gaps of
   * 2^128/1000, N = 1000 */
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
  /* twice as dense on one side: 18 gaps over 9/1000 + 4.5/1000 of the
   * ring, d = 13.5/18000, N = 18000/13.5 = 1333.33 */
  ChordId dense[9];
  for (guint i = 0; i < 9; i++)
    dense[i] = ring_at (2 * (i + 1), 4 * n); /* (i+1)/2000 */
  est = reload_self_tuning_estimate_size (ring_at (0, n), pred, 9, dense, 9);
  g_assert_cmpfloat_with_epsilon (est, 1333.333333, 1e-5);
}

static void
test_size_small_ring (void)
{
  /* 5 peers, lists of 3: the lists wrap, every peer is known: 4 + 1 */
  ChordId succ[3] = { ring_at (1, 5), ring_at (2, 5), ring_at (3, 5) };
  ChordId pred[3] = { ring_at (4, 5), ring_at (3, 5), ring_at (2, 5) };
  g_assert_cmpfloat (reload_self_tuning_estimate_size (ring_at (0, 5), pred, 3, succ, 3), ==, 5);
  /* 7 peers, lists of 3: no overlap, 6 gaps over 6/7 of the ring, N = 7 */
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
  /* §6.2: fingers "max(ceiling(log2(N)), 16)".  §4: "if N=100000, it is
   * sufficient to maintain 17 fingers": log2(100000) = 16.61, ceiling 17.
   * §3.2: 500 peers, "on the order of nine successors and fingers":
   * log2(500) = 8.97, ceiling 9 (16 fingers, the minimum); 2000 peers,
   * "on the order of 11 fingers and successors": log2(2000) = 10.97 */
  g_assert_cmpuint (reload_self_tuning_finger_count (100000), ==, 17);
  g_assert_cmpuint (reload_self_tuning_finger_count (500), ==, 16);
  g_assert_cmpuint (reload_self_tuning_finger_count (2000), ==, 16);
  g_assert_cmpuint (reload_self_tuning_finger_count (1 << 20), ==, 20); /* log2 = 20 exactly */
  g_assert_cmpuint (reload_self_tuning_finger_count ((1 << 20) + 1), ==, 21);
  g_assert_cmpuint (reload_self_tuning_finger_count (1e60), ==, CHORD_MAX_FINGERS);
  /* successors: "a maximum of ceiling(log2(N))", with the implementation's
   * lower limit ("at least three") */
  g_assert_cmpuint (reload_self_tuning_neighbor_count (500, 3), ==, 9);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (2000, 3), ==, 11);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (512, 3), ==, 9);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (513, 3), ==, 10);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (4, 3), ==, 3);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (1e9, 3), ==, CHORD_MAX_NEIGHBORS);
  /* predecessors: "ceiling(log2(N))": 4 peers, 2; 5 peers, 3; 2 peers, 1;
   * alone, still room for 1 */
  g_assert_cmpuint (reload_self_tuning_neighbor_count (4, 1), ==, 2);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (5, 1), ==, 3);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (2, 1), ==, 1);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (1, 1), ==, 1);
  g_assert_cmpuint (reload_self_tuning_neighbor_count (500, 1), ==, 9);
}

static void
test_failure_rate (void)
{
  /* §6.3: "K is set to 25% of the routing table size": 20 peers, K = 5;
   * 21 peers, 5.25, K = 6 (rounded up); at least 2 */
  g_assert_cmpuint (reload_self_tuning_failure_history_size (20), ==, 5);
  g_assert_cmpuint (reload_self_tuning_failure_history_size (21), ==, 6);
  g_assert_cmpuint (reload_self_tuning_failure_history_size (36), ==, 9);
  g_assert_cmpuint (reload_self_tuning_failure_history_size (4), ==, 2);
  g_assert_cmpuint (reload_self_tuning_failure_history_size (0), ==, 2);

  /* "U = k / (M * Tk)", M = 20 peers in the routing table, K = 5 */
  const guint m = 20, k = 5;
  ReloadSelfTuningHistory h = { 0 };
  g_assert_cmpfloat (reload_self_tuning_failure_rate (&h, k, m, 5000), ==, 0);
  /* "The current time is inserted into the history when the peer joins
   * the overlay": joined at 1000 s.  50 s later, k = 1 < K: "as if there
   * was a failure at the current time", k = 2 over Tk = 50 s:
   * U = 2 / (20 * 50) = 0.002 per peer per second */
  reload_self_tuning_history_add (&h, 1000000);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, m, 1050000), 0.002,
                                  1e-15);
  /* failures at 1100 s and 1150 s; at 1200 s: k = 3 < 5, plus the one
   * now, 4 failures over 200 s: U = 4 / (20 * 200) = 0.001 */
  reload_self_tuning_history_add (&h, 1100000);
  reload_self_tuning_history_add (&h, 1150000);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, m, 1200000), 0.001,
                                  1e-15);
  /* failures at 1250 s and 1400 s: the history holds K = 5 (1000, 1100,
   * 1150, 1250, 1400), Tk = 1400 - 1000 = 400 s: U = 5 / (20 * 400) =
   * 0.000625, whatever the current time */
  reload_self_tuning_history_add (&h, 1250000);
  reload_self_tuning_history_add (&h, 1400000);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, m, 1400000), 0.000625,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, m, 9000000), 0.000625,
                                  1e-15);
  /* a failure at 1600 s: the last K are 1100 ... 1600, Tk = 500 s:
   * U = 5 / (20 * 500) = 0.0005 */
  reload_self_tuning_history_add (&h, 1600000);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, m, 1700000), 0.0005,
                                  1e-15);
  /* the same history with M = 40: half the rate, 0.00025 */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, k, 40, 1700000), 0.00025,
                                  1e-15);
  /* K = 8 (a larger table, 32 peers): k = 6 < 8 with the failure now at
   * 2000 s, 7 failures over 1000 s: U = 7 / (32 * 1000) = 0.00021875 */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&h, 8, 32, 2000000), 0.00021875,
                                  1e-15);

  /* a ring past its slots keeps the last ones: failures every 10 s from
   * 0 to 990 s; K = 5, M = 10: the last five span 950 ... 990 s, 40 s,
   * U = 5 / (10 * 40) = 0.0125 */
  ReloadSelfTuningHistory r = { 0 };
  for (guint i = 0; i < 100; i++)
    reload_self_tuning_history_add (&r, (gint64) i * 10000);
  g_assert_cmpuint (r.n, ==, RELOAD_SELF_TUNING_SLOTS);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_failure_rate (&r, 5, 10, 995000), 0.0125,
                                  1e-15);
}

static void
test_join_rate (void)
{
  /* §6.4: "L = N / Ages[floor(rsize/2)]", Ages sorted increasing.
   * N = 1000 and the ages 600, 60, 3600, 120, 30, 7200, 300 s: sorted 30,
   * 60, 120, 300, 600, 3600, 7200; rsize = 7, Ages[3] = 300 s:
   * L = 1000 / 300 = 3.3333 joins per second */
  double ages[] = { 600, 60, 3600, 120, 30, 7200, 300 };
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_join_rate (1000, ages, 7), 1000.0 / 300,
                                  1e-12);
  g_assert_cmpfloat (ages[0], ==, 30); /* sorted in place */
  g_assert_cmpfloat (ages[6], ==, 7200);
  /* rsize = 6 (30 ... 3600): Ages[3] = 300 s again, L = 3.3333 */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_join_rate (1000, ages, 6), 1000.0 / 300,
                                  1e-12);
  /* rsize = 4 (30, 60, 120, 300): Ages[2] = 120 s, L = 8.3333 */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_join_rate (1000, ages, 4), 1000.0 / 120,
                                  1e-12);
  /* one peer, 1 hour old, N = 500: L = 500 / 3600 = 0.138889 */
  double one[] = { 3600 };
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_join_rate (500, one, 1), 500.0 / 3600, 1e-12);
  /* a peer that has just joined (age 0) counts as 1 s old: L = N */
  double young[] = { 0, 0, 5 };
  g_assert_cmpfloat (reload_self_tuning_join_rate (50, young, 3), ==, 50);
  /* no age known */
  g_assert_cmpfloat (reload_self_tuning_join_rate (1000, NULL, 0), ==, 0);
}

static void
test_percentile (void)
{
  /* §2: rank n = (P/100) * N "rounding the result to the nearest integer";
   * §6.5 takes P = 75.  Its own estimate 480 and received 510, 530, 450,
   * 600: sorted 450, 480, 510, 530, 600; rank 0.75 * 5 = 3.75, 4: 530 */
  double v5[] = { 480, 510, 530, 450, 600 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v5, 5, 75), ==, 530);
  /* §6.5's "nine estimates (including its own)": 0.75 * 9 = 6.75, rank 7 */
  double v9[] = { 9, 1, 8, 2, 7, 3, 6, 4, 5 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v9, 9, 75), ==, 7);
  /* 0.75 * 4 = 3: the third; 0.75 * 6 = 4.5, rounded 5: the fifth;
   * 0.75 * 2 = 1.5, rounded 2: the larger; one value: itself */
  double v4[] = { 40, 10, 30, 20 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v4, 4, 75), ==, 30);
  double v6[] = { 6, 5, 4, 3, 2, 1 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v6, 6, 75), ==, 5);
  double v2[] = { 7, 3 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v2, 2, 75), ==, 7);
  /* rounded to the nearest, not up: 0.75 * 3 = 2.25, rank 2; 0.75 * 7 =
   * 5.25, rank 5 */
  double v3[] = { 30, 10, 20 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v3, 3, 75), ==, 20);
  double v7[] = { 7, 6, 5, 4, 3, 2, 1 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v7, 7, 75), ==, 5);
  double v1[] = { 42 };
  g_assert_cmpfloat (reload_self_tuning_percentile (v1, 1, 75), ==, 42);
  /* the 50th of 5: 2.5, rounded 3, the median */
  double m5[] = { 5, 1, 4, 2, 3 };
  g_assert_cmpfloat (reload_self_tuning_percentile (m5, 5, 50), ==, 3);
  g_assert_cmpfloat (reload_self_tuning_percentile (NULL, 0, 75), ==, 0);
}

static void
test_rates_on_the_wire (void)
{
  /* §6.5: "if the global join rate estimate a peer has calculated is
   * 0.123 peers/s, it would include in the 'join_rate' field the ceiling
   * of the value 10627.2 (24*60*60*0.123 = 10627.2), that is, the value
   * 10628" */
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (0.123), ==, 10628);
  /* a whole number per day stays itself: 5 per 24 h */
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (5 / 86400.0), ==, 5);
  /* a failure rate of 1 per peer per hour: 24 per 24 hours */
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (1 / 3600.0), ==, 24);
  /* below one a day: 1 (the ceiling), nothing: 0 */
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (1e-7), ==, 1);
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (0), ==, 0);
  g_assert_cmpuint (reload_self_tuning_rate_to_wire (1e9), ==, G_MAXUINT32);
  /* back: 10628 per 24 h = 0.1230093 per second; 86400, 1 per second */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_rate_from_wire (10628), 0.12300925925926,
                                  1e-13);
  g_assert_cmpfloat (reload_self_tuning_rate_from_wire (86400), ==, 1);
}

static void
test_interval (void)
{
  /* §6.6: Tf = 1/(2U), Tstab-1 = Tf / square(log2(N)),
   * Tstab-2 = N / (L * square(log2(N))), Tstab = min.
   *
   * §3.2's example: "in a 500-peer overlay churning at a rate such that
   * one peer joins and one peer leaves the network every 30 seconds, an
   * appropriate stabilization interval would be on the order of 93 s".
   * L = 1/30 per second; U = (1/30)/500 = 1/15000 per peer per second.
   * log2(500) = 8.965784, squared 80.385288.  Tf = 15000/2 = 7500 s,
   * Tstab-1 = 7500 / 80.385288 = 93.3007 s; Tstab-2 = 500 * 30 /
   * 80.385288 = 186.601 s; Tstab = 93.3007 s */
  double t = reload_self_tuning_interval_s (500, 1.0 / 30, 1.0 / 15000);
  g_assert_cmpfloat_with_epsilon (t, 93.3007, 1e-4);
  /* "if the churn rate doubles and the network size remains unchanged
   * ... the appropriate maintenance interval would now be on the order of
   * 46 s": U = 1/7500, Tf = 3750 s, 3750 / 80.385288 = 46.6503 s */
  t = reload_self_tuning_interval_s (500, 2.0 / 30, 1.0 / 7500);
  g_assert_cmpfloat_with_epsilon (t, 46.6503, 1e-4);
  /* "if the churn rate becomes, e.g., six-fold and the size of the
   * network grows to 2000 peers ... the stabilization interval should be
   * on the order of 42 s": L = 6/30 = 0.2, U = 0.2/2000 = 0.0001;
   * log2(2000) = 10.965784, squared 120.248425; Tf = 5000 s, Tstab-1 =
   * 5000 / 120.248425 = 41.5806 s; Tstab-2 = 2000 / (0.2 * 120.248425)
   * = 83.1612 s */
  t = reload_self_tuning_interval_s (2000, 0.2, 0.0001);
  g_assert_cmpfloat_with_epsilon (t, 41.5806, 1e-4);
  /* N = 1024, log2 = 10 exactly, squared 100.  Joins dominate: L = 2,
   * U = 0.00001: Tstab-1 = 50000 / 100 = 500 s, Tstab-2 = 1024 / (2 *
   * 100) = 5.12 s; Tstab = 5.12 s (the node then applies its 15 s) */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_interval_s (1024, 2, 0.00001), 5.12, 1e-12);
  /* failures dominate: L = 0.01, U = 0.0001: Tstab-1 = 5000 / 100 = 50 s,
   * Tstab-2 = 1024 / (0.01 * 100) = 1024 s; Tstab = 50 s */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_interval_s (1024, 0.01, 0.0001), 50, 1e-12);
  /* only one of the rates: U = 0.0001 alone, 50 s; L = 0.01 alone, 1024 s */
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_interval_s (1024, 0, 0.0001), 50, 1e-12);
  g_assert_cmpfloat_with_epsilon (reload_self_tuning_interval_s (1024, 0.01, 0), 1024, 1e-9);
  /* no churn, or a peer alone (log2(1) = 0): no bound from the formula */
  g_assert_true (isinf (reload_self_tuning_interval_s (500, 0, 0)));
  g_assert_true (isinf (reload_self_tuning_interval_s (1, 1, 1)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/self-tuning/size-hand", test_size_hand);
  g_test_add_func ("/self-tuning/size-even-ring", test_size_even_ring);
  g_test_add_func ("/self-tuning/size-small-ring", test_size_small_ring);
  g_test_add_func ("/self-tuning/table-sizes", test_table_sizes);
  g_test_add_func ("/self-tuning/failure-rate", test_failure_rate);
  g_test_add_func ("/self-tuning/join-rate", test_join_rate);
  g_test_add_func ("/self-tuning/percentile", test_percentile);
  g_test_add_func ("/self-tuning/rates-on-the-wire", test_rates_on_the_wire);
  g_test_add_func ("/self-tuning/interval", test_interval);
  return g_test_run ();
}
