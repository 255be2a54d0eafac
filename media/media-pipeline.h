/* media-pipeline.h: the GStreamer graph of one call.
 *
 * send:    source -> audioconvert -> audioresample -> [webrtcdsp] -> volume (mute)
 *          -> valve (direction) -> opusenc | mulawenc | alawenc
 *          -> rtpopuspay | rtppcmupay | rtppcmapay -> rtpdtmfmux (<- rtpdtmfsrc)
 *          -> rtpbin -> srtpenc -> appsink (RTP) / appsink (RTCP) -> `send`
 * receive: media_pipeline_receive() -> appsrc (SRTP) / appsrc (SRTCP) -> srtpdec
 *          -> valve (direction) -> rtpbin (jitter buffer) -> depayloader -> decoder
 *          -> input-selector -> [webrtcechoprobe] -> audioconvert -> audioresample -> sink
 *
 * RTP and RTCP share one transport (rtcp-mux, RFC 5761); the SRTP master
 * keys come from DTLS (RFC 5764 §4.2).  The source and the sink are bins
 * made from gst-launch descriptions (autoaudiosrc and autoaudiosink by
 * default; a live source is expected, e.g. "audiotestsrc is-live=true").
 *
 * `send` and `tap` run on GStreamer's streaming threads; `error` and
 * `dtmf` on the thread-default GMainContext of the creating thread (the
 * bus).  media_pipeline_receive() may be called from any thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gst/gst.h>

#include "call-media-types.h"
#include "media-dtls.h"
#include "media-stats.h"

G_BEGIN_DECLS

/* RFC 7587 §4.1 leaves Opus a dynamic payload type; 111 is the usual one. */
#define MEDIA_PIPELINE_DEFAULT_OPUS_PT 111
#define MEDIA_PIPELINE_DEFAULT_TELEPHONE_EVENT_PT 101
/* The jitter buffer for voice: enough for the jitter of most paths, far
 * below rtpjitterbuffer's 200 ms default (G.114: mouth to ear under 150 ms).
 * Mouth to ear on 127.0.0.1 is this + about 57 ms (README, bench-latency),
 * 117 ms at 60; loopback, even loaded, needs no more than 20, real paths
 * (Wi-Fi, mobile) do.  rtpjitterbuffer does not adapt, but its latency may
 * change during a call: rtpbin's "latency" reaches the jitter buffers, which
 * post a LATENCY message, and the bus recalculates the pipeline's.
 * CallMedia does that by default (media-jitter-adapt.h: from 20 ms, moved
 * by the jitter and the jitter buffers' num-late once a second; mouth to
 * ear 77 ms on 127.0.0.1); this value is the fixed latency without it. */
#define MEDIA_PIPELINE_DEFAULT_LATENCY_MS 60
/* The audio one RTP packet of ours carries: opusenc's frame-size, the G.711
 * payloaders' ptime (RFC 3551 §4.5's default for G.711). */
#define MEDIA_PIPELINE_PTIME_MS 20
/* Opus at 32 kbit/s is wideband-transparent for speech (RFC 7587 §3.1.1
 * gives 28-40 kbit/s for fullband speech). */
#define MEDIA_PIPELINE_DEFAULT_OPUS_BITRATE 32000
/* The loss opusenc plans in-band FEC for (RFC 6716 §2.1.7). */
#define MEDIA_PIPELINE_DEFAULT_LOSS_PERCENT 10
/* SSRCs the peer may open in our session: each costs a jitter buffer and a
 * decoder (hostile peer: bounded). */
#define MEDIA_PIPELINE_MAX_STREAMS 4

typedef struct
{
  CallMediaCodec codec;
  guint opus_pt;
  guint telephone_event_pt; /* 0: no DTMF */
  const char *source;       /* NULL: autoaudiosrc */
  const char *sink;         /* NULL: autoaudiosink */
  gboolean echo_cancel;     /* when webrtcdsp is installed */
  guint latency_ms;
  guint opus_bitrate;
  guint packet_loss_percent;
  gboolean mute;
  gboolean send;
  gboolean receive;
} MediaPipelineConfig;

typedef struct _MediaPipeline MediaPipeline;

typedef struct
{
  void (*send) (const guint8 *data, gsize len, gpointer user_data);
  void (*error) (MediaPipeline *pipeline, const GError *error, gpointer user_data);
  void (*dtmf) (MediaPipeline *pipeline, guint event, gpointer user_data);
} MediaPipelineCallbacks;

/* Checks that a source or sink description parses into a bin. */
gboolean media_pipeline_check_description (const char *description, GError **error);

/* Builds the graph (not started). */
MediaPipeline *media_pipeline_new (const MediaPipelineConfig *config, const MediaSrtpKeys *keys,
                                   const MediaPipelineCallbacks *callbacks, gpointer user_data,
                                   GError **error);
gboolean media_pipeline_start (MediaPipeline *pipeline, GError **error);
/* Ends the recording cleanly (EOS through the sink, waiting at most
 * MEDIA_PIPELINE_EOS_WAIT_MS) and stops the graph; no callback follows. */
#define MEDIA_PIPELINE_EOS_WAIT_MS 1000
void media_pipeline_stop (MediaPipeline *pipeline);
void media_pipeline_free (MediaPipeline *pipeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MediaPipeline, media_pipeline_free)

/* One SRTP or SRTCP datagram from the peer (any thread). */
void media_pipeline_receive (MediaPipeline *pipeline, const guint8 *data, gsize len, gboolean rtcp);
void media_pipeline_set_tap (MediaPipeline *pipeline, CallMediaPacketTap tap, gpointer user_data);

void media_pipeline_set_mute (MediaPipeline *pipeline, gboolean mute);
void media_pipeline_set_direction (MediaPipeline *pipeline, gboolean send, gboolean receive);
void media_pipeline_get_stats (MediaPipeline *pipeline, CallMediaStats *stats);
/* The latency the playback runs at: how long after a packet's arrival its
 * audio is played, the sum of what the receive branch reports (the jitter
 * buffer's "latency", the decoder's, the sink's processing deadline and,
 * for an audio sink, its buffer), as a LATENCY query of the sink answers it
 * and the pipeline gives it to the sink.  GST_CLOCK_TIME_NONE until the
 * sink has had its first audio, and for a sink that does not play on the
 * clock (a file: sync=false). */
GstClockTime media_pipeline_get_receive_latency (MediaPipeline *pipeline);
/* During the call: another microphone or speaker (a gst-launch
 * description; NULL: the default one), relinked at an idle moment of the
 * link (no buffer cut in two), the old one removed. */
gboolean media_pipeline_set_source (MediaPipeline *pipeline, const char *description,
                                    GError **error);
gboolean media_pipeline_set_sink (MediaPipeline *pipeline, const char *description, GError **error);
/* The late packets the jitter buffers dropped so far (their num-late). */
guint64 media_pipeline_get_late (MediaPipeline *pipeline);
/* The jitter buffers' latency from now on (rtpbin passes it on; the
 * pipeline's latency is recalculated when they post theirs). */
void media_pipeline_set_latency (MediaPipeline *pipeline, guint latency_ms);

/* RFC 4733 §3.2 event codes 0..15 (0-9, *, #, A-D). */
gboolean media_pipeline_start_dtmf (MediaPipeline *pipeline, guint event, GError **error);
void media_pipeline_stop_dtmf (MediaPipeline *pipeline);

G_END_DECLS
