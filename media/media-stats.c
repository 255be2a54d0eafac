/* media-stats.c: CallMediaStats from rtpbin's session statistics (see the
 * header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-stats.h"

#include <math.h>

G_DEFINE_BOXED_TYPE (CallMediaStats, call_media_stats, call_media_stats_copy, call_media_stats_free)

CallMediaStats *
call_media_stats_copy (const CallMediaStats *stats)
{
  return g_memdup2 (stats, sizeof *stats);
}

void
call_media_stats_free (CallMediaStats *stats)
{
  g_free (stats);
}

void
call_media_stats_init (CallMediaStats *stats)
{
  *stats = (CallMediaStats){ 0 };
  stats->rtt_ms = NAN;
  stats->remote_fraction_lost = NAN;
  stats->remote_jitter_ms = NAN;
}

GVariant *
call_media_stats_to_variant (const CallMediaStats *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "local-ssrc", g_variant_new_uint32 (s->local_ssrc));
  g_variant_builder_add (&b, "{sv}", "remote-ssrc", g_variant_new_uint32 (s->remote_ssrc));
  g_variant_builder_add (&b, "{sv}", "packets-sent", g_variant_new_uint64 (s->packets_sent));
  g_variant_builder_add (&b, "{sv}", "octets-sent", g_variant_new_uint64 (s->octets_sent));
  g_variant_builder_add (&b, "{sv}", "packets-received",
                         g_variant_new_uint64 (s->packets_received));
  g_variant_builder_add (&b, "{sv}", "octets-received", g_variant_new_uint64 (s->octets_received));
  g_variant_builder_add (&b, "{sv}", "packets-lost", g_variant_new_int64 (s->packets_lost));
  g_variant_builder_add (&b, "{sv}", "fraction-lost", g_variant_new_double (s->fraction_lost));
  g_variant_builder_add (&b, "{sv}", "jitter-ms", g_variant_new_double (s->jitter_ms));
  g_variant_builder_add (&b, "{sv}", "remote-packets-lost",
                         g_variant_new_int64 (s->remote_packets_lost));
  if (isfinite (s->rtt_ms))
    g_variant_builder_add (&b, "{sv}", "rtt-ms", g_variant_new_double (s->rtt_ms));
  if (isfinite (s->remote_fraction_lost))
    g_variant_builder_add (&b, "{sv}", "remote-fraction-lost",
                           g_variant_new_double (s->remote_fraction_lost));
  if (isfinite (s->remote_jitter_ms))
    g_variant_builder_add (&b, "{sv}", "remote-jitter-ms",
                           g_variant_new_double (s->remote_jitter_ms));
  return g_variant_builder_end (&b);
}

/* A numeric field whatever integer type rtpsource gave it. */
static gboolean
get_number (const GstStructure *s, const char *name, gint64 *out)
{
  const GValue *v = gst_structure_get_value (s, name);
  if (v == NULL)
    return FALSE;
  if (G_VALUE_HOLDS_UINT (v))
    *out = g_value_get_uint (v);
  else if (G_VALUE_HOLDS_INT (v))
    *out = g_value_get_int (v);
  else if (G_VALUE_HOLDS_UINT64 (v))
    *out = (gint64) MIN (g_value_get_uint64 (v), (guint64) G_MAXINT64);
  else if (G_VALUE_HOLDS_INT64 (v))
    *out = g_value_get_int64 (v);
  else if (G_VALUE_HOLDS_BOOLEAN (v))
    *out = g_value_get_boolean (v);
  else
    return FALSE;
  return TRUE;
}

static gint64
number (const GstStructure *s, const char *name)
{
  gint64 v = 0;
  get_number (s, name, &v);
  return v;
}

static void
take_internal (const GstStructure *src, CallMediaStats *stats)
{
  stats->local_ssrc = (guint32) number (src, "ssrc");
  stats->packets_sent = (guint64) number (src, "packets-sent");
  stats->octets_sent = (guint64) number (src, "octets-sent");
}

static void
take_remote (const GstStructure *src, gint64 local_clock_rate, CallMediaStats *stats)
{
  stats->remote_ssrc = (guint32) number (src, "ssrc");
  stats->packets_received = (guint64) number (src, "packets-received");
  stats->octets_received = (guint64) number (src, "octets-received");
  stats->packets_lost = number (src, "packets-lost");
  gint64 clock_rate = number (src, "clock-rate");
  /* jitter is kept in timestamp units (RFC 3550 §6.4.1) */
  if (clock_rate > 0)
    stats->jitter_ms = (double) number (src, "jitter") * 1000.0 / (double) clock_rate;
  /* the fraction in our last report block: 8-bit fixed point (§6.4.1) */
  if (number (src, "sent-rb"))
    stats->fraction_lost = (double) number (src, "sent-rb-fractionlost") / 256.0;
  /* the peer's report block about our stream */
  if (number (src, "have-rb"))
    {
      stats->remote_fraction_lost = (double) number (src, "rb-fractionlost") / 256.0;
      stats->remote_packets_lost = number (src, "rb-packetslost");
      gint64 rate = local_clock_rate > 0 ? local_clock_rate : clock_rate;
      if (rate > 0)
        stats->remote_jitter_ms = (double) number (src, "rb-jitter") * 1000.0 / (double) rate;
      /* RFC 3550 §6.4.1: LSR 0 means the peer had no SR of ours yet, so
       * the round trip A - LSR - DLSR is meaningless; it is kept in 1/65536
       * seconds (the middle 32 bits of an NTP timestamp) */
      if (number (src, "rb-lsr") != 0)
        stats->rtt_ms = (double) number (src, "rb-round-trip") * 1000.0 / 65536.0;
    }
}

void
media_stats_from_session (const GstStructure *session_stats, CallMediaStats *stats)
{
  call_media_stats_init (stats);
  if (session_stats == NULL)
    return;
  const GValue *v = gst_structure_get_value (session_stats, "source-stats");
  /* rtpsession gives a GValueArray (deprecated in GLib, not in GStreamer) */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (v == NULL || !G_VALUE_HOLDS (v, g_value_array_get_type ()))
    return;
  GValueArray *sources = g_value_get_boxed (v);
  const GstStructure *best_remote = NULL;
  gint64 best_packets = -1, local_clock_rate = 0;
  for (guint i = 0; sources != NULL && i < sources->n_values; i++)
    {
      const GValue *sv = g_value_array_get_nth (sources, i);
      if (!GST_VALUE_HOLDS_STRUCTURE (sv))
        continue;
      const GstStructure *src = gst_value_get_structure (sv);
      if (number (src, "internal"))
        {
          /* the internal source that sends (rtpbin may keep a second,
           * receive-only one) */
          if (number (src, "is-sender") || stats->local_ssrc == 0)
            {
              take_internal (src, stats);
              local_clock_rate = number (src, "clock-rate");
            }
          continue;
        }
      /* the peer's main stream: the remote source with the most packets */
      gint64 packets = number (src, "packets-received");
      if (packets > best_packets)
        {
          best_packets = packets;
          best_remote = src;
        }
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  if (best_remote != NULL)
    take_remote (best_remote, local_clock_rate, stats);
}
