/* test-jitter-adapt.c: the adaptive jitter buffer's rule
 * (media/media-jitter-adapt.h), tick by tick.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "media-jitter-adapt.h"

static void
test_quiet_path_stays_low (void)
{
  MediaJitterAdapt a;
  media_jitter_adapt_init (&a, 20, 200, 20);
  for (guint i = 0; i < 30; i++)
    g_assert_cmpuint (media_jitter_adapt_tick (&a, 0.4, 0), ==, 20);
  /* not known yet: stays */
  g_assert_cmpuint (media_jitter_adapt_tick (&a, NAN, 0), ==, 20);
}

static void
test_grows_with_jitter_at_once (void)
{
  MediaJitterAdapt a;
  media_jitter_adapt_init (&a, 20, 200, 20);
  /* 3 x 15 + 10 = 55 -> 60 */
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 15.0, 0), ==, 60);
  /* 3 x 40 + 10 = 130 */
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 40.0, 0), ==, 130);
  /* never above the maximum */
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 500.0, 0), ==, 200);
}

static void
test_late_packets_add_a_step (void)
{
  MediaJitterAdapt a;
  media_jitter_adapt_init (&a, 20, 200, 20);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 0), ==, 20);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 3), ==, 40);
  /* the same total: no new late packets, no growth */
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 3), ==, 40);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 5), ==, 60);
  /* up to the maximum only */
  media_jitter_adapt_init (&a, 20, 70, 60);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 1), ==, 70);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 1.0, 2), ==, 70);
}

static void
test_shrinks_slowly (void)
{
  MediaJitterAdapt a;
  media_jitter_adapt_init (&a, 20, 200, 60);
  /* four quiet ticks: no change yet; the fifth: 10 ms less */
  for (guint i = 0; i < MEDIA_JITTER_CALM_TICKS - 1; i++)
    g_assert_cmpuint (media_jitter_adapt_tick (&a, 0.5, 0), ==, 60);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 0.5, 0), ==, 50);
  /* a jittery tick resets the count */
  for (guint i = 0; i < MEDIA_JITTER_CALM_TICKS - 1; i++)
    media_jitter_adapt_tick (&a, 0.5, 0);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 12.0, 0), ==, 50); /* need 50 */
  for (guint i = 0; i < MEDIA_JITTER_CALM_TICKS - 1; i++)
    g_assert_cmpuint (media_jitter_adapt_tick (&a, 0.5, 0), ==, 50);
  g_assert_cmpuint (media_jitter_adapt_tick (&a, 0.5, 0), ==, 40);
  /* down to the minimum, never below */
  for (guint i = 0; i < 10 * MEDIA_JITTER_CALM_TICKS; i++)
    media_jitter_adapt_tick (&a, 0.5, 0);
  g_assert_cmpuint (a.current_ms, ==, 20);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter-adapt/quiet-path", test_quiet_path_stays_low);
  g_test_add_func ("/jitter-adapt/jitter", test_grows_with_jitter_at_once);
  g_test_add_func ("/jitter-adapt/late", test_late_packets_add_a_step);
  g_test_add_func ("/jitter-adapt/shrink", test_shrinks_slowly);
  return g_test_run ();
}
