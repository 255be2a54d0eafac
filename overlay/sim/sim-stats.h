/* sim-stats.h: measurement helpers for chorus-sim: an exact percentile
 * accumulator, the process's memory high-water mark and a wall clock.
 *
 * SimPercentiles keeps every sample (8 bytes each: 8 MB per million) and
 * sorts them once when a percentile is first asked for after an addition,
 * so the answers are exact.  Percentiles use the nearest-rank definition:
 * the p-th percentile of n samples is the ceil(p/100 n)-th smallest (the
 * smallest for p = 0, the largest for p = 100): always one of the samples.
 * An empty accumulator answers 0 everywhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimPercentiles SimPercentiles;

typedef struct
{
  guint64 count;
  double mean;
  double min;
  double p50;
  double p90;
  double p99;
  double max;
} SimSummary;

SimPercentiles *sim_percentiles_new (void);
void sim_percentiles_free (SimPercentiles *acc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimPercentiles, sim_percentiles_free)

/* NaN is refused (a critical). */
void sim_percentiles_add (SimPercentiles *acc, double value);
/* Adds every sample of @src to @dst. */
void sim_percentiles_merge (SimPercentiles *dst, const SimPercentiles *src);
void sim_percentiles_clear (SimPercentiles *acc);

guint64 sim_percentiles_count (const SimPercentiles *acc);
double sim_percentiles_sum (const SimPercentiles *acc);
double sim_percentiles_mean (const SimPercentiles *acc);
double sim_percentiles_min (const SimPercentiles *acc);
double sim_percentiles_max (const SimPercentiles *acc);
/* @p in [0, 100]. */
double sim_percentiles_get (SimPercentiles *acc, double p);
void sim_percentiles_summary (SimPercentiles *acc, SimSummary *out);

/* The process's peak resident set (VmHWM of /proc/self/status) and current
 * one (VmRSS), in bytes; -1 where /proc is not there. */
gint64 sim_peak_rss_bytes (void);
gint64 sim_current_rss_bytes (void);

/* Real (monotonic) seconds from an arbitrary origin: for reporting how
 * long a run took, never for anything simulated. */
double sim_wall_seconds (void);

G_END_DECLS
