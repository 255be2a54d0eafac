/* sim-stats.c: percentiles, memory high-water mark, wall clock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sim-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _SimPercentiles
{
  double *v;
  gsize n, cap;
  gboolean sorted;
  double sum, min, max;
};

SimPercentiles *
sim_percentiles_new (void)
{
  SimPercentiles *acc = g_new0 (SimPercentiles, 1);
  acc->sorted = TRUE;
  return acc;
}

void
sim_percentiles_free (SimPercentiles *acc)
{
  if (acc == NULL)
    return;
  g_free (acc->v);
  g_free (acc);
}

static void
reserve (SimPercentiles *acc, gsize more)
{
  if (acc->n + more <= acc->cap)
    return;
  gsize cap = MAX (acc->cap, 64);
  while (cap < acc->n + more)
    cap *= 2;
  acc->v = g_renew (double, acc->v, cap);
  acc->cap = cap;
}

void
sim_percentiles_add (SimPercentiles *acc, double value)
{
  g_return_if_fail (acc != NULL);
  g_return_if_fail (!isnan (value));
  reserve (acc, 1);
  if (acc->n == 0 || value < acc->min)
    acc->min = value;
  if (acc->n == 0 || value > acc->max)
    acc->max = value;
  if (acc->n > 0 && value < acc->v[acc->n - 1])
    acc->sorted = FALSE;
  acc->v[acc->n++] = value;
  acc->sum += value;
}

void
sim_percentiles_merge (SimPercentiles *dst, const SimPercentiles *src)
{
  g_return_if_fail (dst != NULL && src != NULL && dst != src);
  if (src->n == 0)
    return;
  reserve (dst, src->n);
  if (dst->n == 0 || src->min < dst->min)
    dst->min = src->min;
  if (dst->n == 0 || src->max > dst->max)
    dst->max = src->max;
  if (dst->n > 0 && src->v[0] < dst->v[dst->n - 1])
    dst->sorted = FALSE;
  dst->sorted = dst->sorted && src->sorted;
  memcpy (dst->v + dst->n, src->v, src->n * sizeof (double));
  dst->n += src->n;
  dst->sum += src->sum;
}

void
sim_percentiles_clear (SimPercentiles *acc)
{
  g_return_if_fail (acc != NULL);
  acc->n = 0;
  acc->sorted = TRUE;
  acc->sum = acc->min = acc->max = 0;
}

guint64
sim_percentiles_count (const SimPercentiles *acc)
{
  return acc->n;
}

double
sim_percentiles_sum (const SimPercentiles *acc)
{
  return acc->sum;
}

double
sim_percentiles_mean (const SimPercentiles *acc)
{
  return acc->n > 0 ? acc->sum / (double) acc->n : 0.0;
}

double
sim_percentiles_min (const SimPercentiles *acc)
{
  return acc->n > 0 ? acc->min : 0.0;
}

double
sim_percentiles_max (const SimPercentiles *acc)
{
  return acc->n > 0 ? acc->max : 0.0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
sim_percentiles_get (SimPercentiles *acc, double p)
{
  g_return_val_if_fail (acc != NULL, 0.0);
  g_return_val_if_fail (p >= 0.0 && p <= 100.0, 0.0);
  if (acc->n == 0)
    return 0.0;
  if (!acc->sorted)
    {
      qsort (acc->v, acc->n, sizeof (double), cmp_double);
      acc->sorted = TRUE;
    }
  /* Nearest rank; the rounding guard keeps ceil (99/100 * 100) at 99. */
  double r = ceil (p / 100.0 * (double) acc->n - 1e-9);
  gsize rank = r < 1.0 ? 1 : (gsize) r;
  if (rank > acc->n)
    rank = acc->n;
  return acc->v[rank - 1];
}

void
sim_percentiles_summary (SimPercentiles *acc, SimSummary *out)
{
  g_return_if_fail (acc != NULL && out != NULL);
  out->count = acc->n;
  out->mean = sim_percentiles_mean (acc);
  out->min = sim_percentiles_min (acc);
  out->p50 = sim_percentiles_get (acc, 50);
  out->p90 = sim_percentiles_get (acc, 90);
  out->p99 = sim_percentiles_get (acc, 99);
  out->max = sim_percentiles_max (acc);
}

static gint64
proc_status_kb (const char *field)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  gsize len = strlen (field);
  for (const char *line = text; line != NULL && *line != '\0';)
    {
      if (strncmp (line, field, len) == 0 && line[len] == ':')
        return g_ascii_strtoll (line + len + 1, NULL, 10);
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return -1;
}

gint64
sim_peak_rss_bytes (void)
{
  gint64 kb = proc_status_kb ("VmHWM");
  return kb < 0 ? -1 : kb * 1024;
}

gint64
sim_current_rss_bytes (void)
{
  gint64 kb = proc_status_kb ("VmRSS");
  return kb < 0 ? -1 : kb * 1024;
}

double
sim_wall_seconds (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}
