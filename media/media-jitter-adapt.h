/* media-jitter-adapt.h: how long the jitter buffer waits, adapted to the
 * path during the call (pure logic, fed once per statistics interval).
 *
 * rtpjitterbuffer holds every packet for a fixed latency; a fixed value is
 * either too long for a quiet path (mouth to ear grows by all of it) or too
 * short for a jittery one (late packets are dropped: gaps).  This keeps the
 * latency just above what the path needs:
 *   - the need: 3 x the RFC 3550 §6.4.1 interarrival jitter + 10 ms,
 *     rounded up to 10 ms, within [min, max];
 *   - growing at once: to the need, and by 20 ms more whenever the jitter
 *     buffer dropped late packets since the last tick;
 *   - shrinking slowly: 10 ms per step, after 5 ticks in a row with the
 *     need at least 10 ms below the current value (each change shifts
 *     playback, so quiet ticks must add up first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MEDIA_JITTER_MIN_MS 20
#define MEDIA_JITTER_MAX_MS 200
#define MEDIA_JITTER_LATE_STEP_MS 20
#define MEDIA_JITTER_SHRINK_STEP_MS 10
#define MEDIA_JITTER_CALM_TICKS 5

typedef struct
{
  guint min_ms;
  guint max_ms;
  guint current_ms;
  guint calm_ticks;
  guint64 late; /* the jitter buffers' num-late at the last tick */
} MediaJitterAdapt;

void media_jitter_adapt_init (MediaJitterAdapt *a, guint min_ms, guint max_ms, guint start_ms);
/* One tick: @jitter_ms the received stream's interarrival jitter (NAN or
 * negative: not known yet), @late the jitter buffers' total of late
 * packets dropped so far.  Returns the latency to use from now on. */
guint media_jitter_adapt_tick (MediaJitterAdapt *a, double jitter_ms, guint64 late);

G_END_DECLS
