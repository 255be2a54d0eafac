/* media-jitter-adapt.c: the jitter buffer's latency, adapted (see the
 * header for the rule).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "media-jitter-adapt.h"

#include <math.h>

void
media_jitter_adapt_init (MediaJitterAdapt *a, guint min_ms, guint max_ms, guint start_ms)
{
  a->min_ms = MIN (min_ms, max_ms);
  a->max_ms = max_ms;
  a->current_ms = CLAMP (start_ms, a->min_ms, a->max_ms);
  a->calm_ticks = 0;
  a->late = 0;
}

guint
media_jitter_adapt_tick (MediaJitterAdapt *a, double jitter_ms, guint64 late)
{
  guint need = a->min_ms;
  if (isfinite (jitter_ms) && jitter_ms > 0)
    {
      double want = ceil ((3.0 * jitter_ms + 10.0) / 10.0) * 10.0;
      need = want >= a->max_ms ? a->max_ms : MAX (a->min_ms, (guint) want);
    }
  /* late packets were dropped: the path needs more than it showed */
  if (late > a->late)
    need = MAX (need, MIN (a->current_ms + MEDIA_JITTER_LATE_STEP_MS, a->max_ms));
  a->late = late;
  if (need > a->current_ms)
    {
      a->current_ms = need;
      a->calm_ticks = 0;
    }
  else if (need + MEDIA_JITTER_SHRINK_STEP_MS <= a->current_ms)
    {
      if (++a->calm_ticks >= MEDIA_JITTER_CALM_TICKS)
        {
          a->current_ms = MAX (need, a->current_ms - MEDIA_JITTER_SHRINK_STEP_MS);
          a->calm_ticks = 0;
        }
    }
  else
    a->calm_ticks = 0;
  return a->current_ms;
}
