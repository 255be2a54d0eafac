/* media-pipeline-private.h: what media-pipeline.c (the fixed graph) and
 * media-pipeline-receive.c (the receive branch's dynamic part) share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "media-pipeline.h"

G_BEGIN_DECLS

/* The application message the DTMF probe posts: field "event" (uint). */
#define MEDIA_PIPELINE_DTMF_MESSAGE "chorus-dtmf"

struct _MediaPipeline
{
  MediaPipelineConfig config; /* source and sink cleared */
  MediaSrtpKeys keys;
  MediaPipelineCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;

  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *srtpenc;
  GstElement *srtpdec;
  GstElement *rtp_in;  /* appsrc */
  GstElement *rtcp_in; /* appsrc */
  GstElement *volume;
  GstElement *send_valve;
  GstElement *recv_valve;
  GstElement *selector;
  GstElement *sink_bin;
  GstElement *sink_upstream; /* what feeds sink_bin (audioresample) */
  GstElement *source_bin;
  GstElement *source_downstream; /* what source_bin feeds (audioconvert) */
  GstElement *dtmf_src;          /* NULL without telephone-event */
  GObject *session;              /* rtpbin's internal RTPSession of session 0 */
  GSource *bus_watch;
  char *probe_name; /* the echo probe's name; NULL without echo cancellation */

  GMutex lock; /* guards tap, tap_data, the stream count, the DTMF dedup, jitterbuffers */
  GPtrArray *jitterbuffers; /* rtpbin's, one per received stream (refs) */
  CallMediaPacketTap tap;
  gpointer tap_data;
  guint n_streams;
  gboolean have_dtmf_ts;
  guint32 last_dtmf_ts;

  GCond eos_cond; /* with lock: sinks_eos */
  guint sinks_total;
  guint sinks_eos;

  gboolean dtmf_active;
  gboolean started;
  gboolean stopped;
};

gboolean media_pipeline_missing (GError **error, const char *factory);
GstElement *media_pipeline_add (GstElement *bin, const char *factory, const char *name,
                                GError **error);
GstCaps *media_pipeline_raw_caps (guint rate);
guint media_pipeline_clock_rate (CallMediaCodec codec);
void media_pipeline_tap (MediaPipeline *p, CallMediaTapPoint point, const guint8 *data, gsize len);

/* media-pipeline-receive.c */
GstCaps *media_pipeline_on_request_pt_map (GstElement *rtpbin, guint session, guint pt,
                                           gpointer data);
void media_pipeline_on_pad_added (GstElement *rtpbin, GstPad *pad, gpointer data);
void media_pipeline_watch_sinks (MediaPipeline *p);
void media_pipeline_finish_recording (MediaPipeline *p);
/* RFC 6716 §3.1: the duration of an Opus packet in samples at 48 kHz; 0
 * when it is not a valid one. */
guint media_pipeline_opus_packet_samples (const guint8 *data, gsize len);

G_END_DECLS
