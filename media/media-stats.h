/* media-stats.h: one call's RTP statistics, from the RTCP reports that
 * rtpbin's session keeps (RFC 3550 §6.4), for the call manager.
 *
 * "incoming" figures are this end's view of the peer's stream (what our
 * receiver reports say); "remote_*" figures are the peer's view of our
 * stream (the report blocks it sent us).  The round-trip time comes from
 * the peer's report blocks: A - LSR - DLSR (RFC 3550 §6.4.1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  guint32 local_ssrc;
  guint32 remote_ssrc; /* 0 until the peer's stream is seen */
  guint64 packets_sent;
  guint64 octets_sent;
  guint64 packets_received;
  guint64 octets_received;
  gint64 packets_lost;         /* incoming, cumulative (may go negative with duplicates, §6.4.1) */
  double fraction_lost;        /* incoming, over our last report interval, 0..1 */
  double jitter_ms;            /* incoming interarrival jitter (§6.4.1, §A.8) */
  double rtt_ms;               /* NAN until a report block of the peer carries our SR's LSR */
  double remote_fraction_lost; /* NAN until the peer reports */
  double remote_jitter_ms;     /* NAN until the peer reports */
  gint64 remote_packets_lost;
} CallMediaStats;

#define CALL_MEDIA_TYPE_STATS (call_media_stats_get_type ())
GType call_media_stats_get_type (void);
CallMediaStats *call_media_stats_copy (const CallMediaStats *stats);
void call_media_stats_free (CallMediaStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallMediaStats, call_media_stats_free)

/* All zero, NAN where unknown. */
void call_media_stats_init (CallMediaStats *stats);

/* a{sv}: "local-ssrc" u, "remote-ssrc" u, "packets-sent" t, "octets-sent"
 * t, "packets-received" t, "octets-received" t, "packets-lost" x,
 * "fraction-lost" d, "jitter-ms" d, "remote-packets-lost" x, and when
 * known "rtt-ms" d, "remote-fraction-lost" d, "remote-jitter-ms" d.
 * Floating. */
GVariant *call_media_stats_to_variant (const CallMediaStats *stats);

/* Fills @stats from an rtpbin session's "stats" structure (the internal
 * RTPSession's, with its "source-stats" array). */
void media_stats_from_session (const GstStructure *session_stats, CallMediaStats *stats);

G_END_DECLS
