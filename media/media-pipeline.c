/* media-pipeline.c: one call's GStreamer graph (see the header).  The
 * receive branch's dynamic part, built as the peer's streams appear, is
 * media-pipeline-receive.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-pipeline-private.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "call-media-error.h"

/* RFC 3550 §6.2 recommends a fixed 5 s minimum between RTCP reports and
 * allows smaller ones ("scaled ... inversely proportional to the session
 * bandwidth"); a two-party voice call has the bandwidth to spare, and the
 * call manager shows RTT and loss, so a report every second (as RFC 4585
 * §3.4 lets AVPF endpoints and browsers do). */
#define RTCP_MIN_INTERVAL_MS 1000
/* Datagrams from the network waiting for the pipeline (an appsrc's queue:
 * at 50 packets a second, far more than any hiccup). */
#define APPSRC_MAX_BYTES (256 * 1024)

static guint probe_counter;

/* ---- helpers ---- */

gboolean
media_pipeline_missing (GError **error, const char *factory)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE,
               "the GStreamer element “%s” is not installed", factory);
  return FALSE;
}

/* A new element added to @bin; NULL with an error when missing. */
GstElement *
media_pipeline_add (GstElement *bin, const char *factory, const char *name, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (e == NULL)
    {
      media_pipeline_missing (error, factory);
      return NULL;
    }
  gst_bin_add (GST_BIN (bin), e);
  return e;
}

static gboolean
link_failed (GError **error, GstElement *a, GstElement *b)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE, "cannot link %s to %s",
               GST_ELEMENT_NAME (a), GST_ELEMENT_NAME (b));
  return FALSE;
}

static gboolean
link_chain (GError **error, GstElement **chain, guint n)
{
  for (guint i = 0; i + 1 < n; i++)
    if (chain[i] != NULL && chain[i + 1] != NULL && !gst_element_link (chain[i], chain[i + 1]))
      return link_failed (error, chain[i], chain[i + 1]);
  return TRUE;
}

static gboolean
link_pads (GError **error, GstElement *a, const char *pa, GstElement *b, const char *pb)
{
  /* gst_element_link_pads() requests request pads by their name */
  if (!gst_element_link_pads (a, pa, b, pb))
    return link_failed (error, a, b);
  return TRUE;
}

GstCaps *
media_pipeline_raw_caps (guint rate)
{
  return gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "layout",
                              G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, (int) rate,
                              "channels", G_TYPE_INT, 1, NULL);
}

guint
media_pipeline_clock_rate (CallMediaCodec codec)
{
  /* RFC 7587 §4.1: Opus always uses a 48 kHz RTP clock; G.711 8 kHz
   * (RFC 3551 §4.5.14) */
  return codec == CALL_MEDIA_CODEC_OPUS ? 48000 : 8000;
}

static gboolean
have_factories (const char *a, const char *b)
{
  g_autoptr (GstElementFactory) fa = gst_element_factory_find (a);
  g_autoptr (GstElementFactory) fb = gst_element_factory_find (b);
  return fa != NULL && fb != NULL;
}

gboolean
media_pipeline_check_description (const char *description, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return FALSE;
  g_autoptr (GError) local = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &local);
  if (bin == NULL || local != NULL)
    {
      if (bin != NULL)
        gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "“%s”: %s", description,
                   local != NULL ? local->message : "not a GStreamer bin");
      return FALSE;
    }
  gst_object_unref (gst_object_ref_sink (bin));
  return TRUE;
}

static GstElement *
add_description (MediaPipeline *p, const char *description, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &local);
  if (bin == NULL || local != NULL)
    {
      if (bin != NULL)
        gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "“%s”: %s", description,
                   local != NULL ? local->message : "not a GStreamer bin");
      return NULL;
    }
  gst_bin_add (GST_BIN (p->pipeline), bin);
  return bin;
}

/* ---- the send branch ---- */

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  MediaPipeline *p = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample != NULL ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;
  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  media_pipeline_tap (p, CALL_MEDIA_TAP_WIRE_OUT, map.data, map.size);
  if (p->callbacks.send != NULL)
    p->callbacks.send (map.data, map.size, p->user_data);
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

static gboolean
tap_buffer (GstBuffer **buffer, guint idx, gpointer data)
{
  MediaPipeline *p = data;
  GstMapInfo map;
  if (gst_buffer_map (*buffer, &map, GST_MAP_READ))
    {
      media_pipeline_tap (p, CALL_MEDIA_TAP_RTP_OUT, map.data, map.size);
      gst_buffer_unmap (*buffer, &map);
    }
  return TRUE;
}

static GstPadProbeReturn
on_plain_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
      tap_buffer (&b, 0, data);
    }
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), tap_buffer, data);
  return GST_PAD_PROBE_OK;
}

static GstElement *
add_appsink (MediaPipeline *p, const char *name, GError **error)
{
  GstElement *sink = media_pipeline_add (p->pipeline, "appsink", name, error);
  if (sink == NULL)
    return NULL;
  /* packets leave as soon as they are made; appsinks never hold preroll */
  g_object_set (sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, p, NULL);
  return sink;
}

static const char *
rtp_auth_name (MediaSrtpProfile profile)
{
  /* RFC 5764 §4.1.2: the profiles differ in the SRTP tag only; SRTCP keeps
   * its 80-bit tag in both */
  return profile == MEDIA_SRTP_PROFILE_AES128_CM_HMAC_SHA1_32 ? "hmac-sha1-32" : "hmac-sha1-80";
}

static gboolean
build_encoder (MediaPipeline *p, const MediaPipelineConfig *config, GstElement **enc,
               GstElement **pay, GError **error)
{
  GstElement *bin = p->pipeline;
  switch (config->codec)
    {
    case CALL_MEDIA_CODEC_OPUS:
      if ((*enc = media_pipeline_add (bin, "opusenc", NULL, error)) == NULL
          || (*pay = media_pipeline_add (bin, "rtpopuspay", NULL, error)) == NULL)
        return FALSE;
      /* voice at 20 ms frames; in-band FEC planned for the expected loss
       * (RFC 6716 §2.1.7) and decoded by opusdec; no DTX, so that every 20 ms
       * carries a packet (comfort noise would need the peer's support) */
      gst_util_set_object_arg (G_OBJECT (*enc), "audio-type", "voice");
      gst_util_set_object_arg (G_OBJECT (*enc), "frame-size",
                               G_STRINGIFY (MEDIA_PIPELINE_PTIME_MS));
      g_object_set (*enc, "bitrate", (int) config->opus_bitrate, "inband-fec", TRUE,
                    "packet-loss-percentage", (int) MIN (config->packet_loss_percent, 100u), "dtx",
                    FALSE, NULL);
      g_object_set (*pay, "pt", config->opus_pt, NULL);
      return TRUE;
    case CALL_MEDIA_CODEC_PCMU:
    case CALL_MEDIA_CODEC_PCMA:
      {
        gboolean mu = config->codec == CALL_MEDIA_CODEC_PCMU;
        if ((*enc = media_pipeline_add (bin, mu ? "mulawenc" : "alawenc", NULL, error)) == NULL
            || (*pay = media_pipeline_add (bin, mu ? "rtppcmupay" : "rtppcmapay", NULL, error))
                   == NULL)
          return FALSE;
        /* 20 ms packets, RFC 3551 §4.5's default ptime for G.711 */
        g_object_set (*pay, "min-ptime", (gint64) MEDIA_PIPELINE_PTIME_MS * GST_MSECOND,
                      "max-ptime", (gint64) MEDIA_PIPELINE_PTIME_MS * GST_MSECOND, NULL);
        return TRUE;
      }
    }
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "unknown codec %d",
               config->codec);
  return FALSE;
}

static gboolean
build_send (MediaPipeline *p, const MediaPipelineConfig *config, GError **error)
{
  GstElement *bin = p->pipeline;
  guint rate = media_pipeline_clock_rate (config->codec);
  GstElement *src = add_description (p, config->source ? config->source : "autoaudiosrc", error);
  if (src == NULL)
    return FALSE;
  p->source_bin = src;
  GstElement *conv, *res, *filter, *dsp = NULL, *enc = NULL, *pay = NULL, *mux;
  if ((conv = media_pipeline_add (bin, "audioconvert", NULL, error)) == NULL
      || (res = media_pipeline_add (bin, "audioresample", NULL, error)) == NULL
      || (filter = media_pipeline_add (bin, "capsfilter", NULL, error)) == NULL)
    return FALSE;
  g_autoptr (GstCaps) caps = media_pipeline_raw_caps (rate);
  g_object_set (filter, "caps", caps, NULL);
  if (p->probe_name != NULL)
    {
      if ((dsp = media_pipeline_add (bin, "webrtcdsp", NULL, error)) == NULL)
        return FALSE;
      g_object_set (dsp, "probe", p->probe_name, NULL);
    }
  if ((p->volume = media_pipeline_add (bin, "volume", NULL, error)) == NULL
      || (p->send_valve = media_pipeline_add (bin, "valve", NULL, error)) == NULL
      || !build_encoder (p, config, &enc, &pay, error)
      || (mux = media_pipeline_add (bin, "rtpdtmfmux", NULL, error)) == NULL)
    return FALSE;
  g_object_set (p->volume, "mute", config->mute, NULL);
  /* RFC 3264 §5.1: no RTP towards a peer that must not receive; the audio
   * is dropped before the encoder, so that sequence numbers stay
   * contiguous and only the timestamps jump (RFC 3550 §5.1) */
  gst_util_set_object_arg (G_OBJECT (p->send_valve), "drop-mode", "forward-sticky-events");
  g_object_set (p->send_valve, "drop", !config->send, NULL);
  p->source_downstream = conv;
  GstElement *chain[] = { src, conv, res, filter, dsp, p->volume, p->send_valve, enc, pay };
  GstElement *chain_nodsp[] = { src, conv, res, filter, p->volume, p->send_valve, enc, pay };
  if (dsp != NULL ? !link_chain (error, chain, G_N_ELEMENTS (chain))
                  : !link_chain (error, chain_nodsp, G_N_ELEMENTS (chain_nodsp)))
    return FALSE;
  if (config->codec != CALL_MEDIA_CODEC_OPUS)
    {
      /* rtppcmupay leaves clock-rate out of its caps for the static payload
       * types, and rtpdtmfmux (and rtpbin's RTCP) need it */
      GstElement *rtp_filter = media_pipeline_add (bin, "capsfilter", NULL, error);
      if (rtp_filter == NULL)
        return FALSE;
      g_autoptr (GstCaps) rtp_caps =
          gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                               G_TYPE_INT, 8000, "encoding-name", G_TYPE_STRING,
                               config->codec == CALL_MEDIA_CODEC_PCMU ? "PCMU" : "PCMA", NULL);
      g_object_set (rtp_filter, "caps", rtp_caps, NULL);
      if (!gst_element_link (pay, rtp_filter))
        return link_failed (error, pay, rtp_filter);
      pay = rtp_filter;
    }
  if (!link_pads (error, pay, "src", mux, "sink_%u"))
    return FALSE;
  /* RFC 4733 events in the audio stream (same SSRC, the audio clock rate,
   * RFC 4733 §2.1); rtpdtmfmux drops audio while an event plays */
  if (config->telephone_event_pt != 0)
    {
      if ((p->dtmf_src = media_pipeline_add (bin, "rtpdtmfsrc", NULL, error)) == NULL)
        return FALSE;
      g_object_set (p->dtmf_src, "pt", config->telephone_event_pt, "clock-rate", rate, NULL);
      if (!link_pads (error, p->dtmf_src, "src", mux, "priority_sink_%u"))
        return FALSE;
    }
  if (!link_pads (error, mux, "src", p->rtpbin, "send_rtp_sink_0"))
    return FALSE;

  /* rtpbin -> srtpenc -> appsinks; RTCP alongside on the same transport */
  if ((p->srtpenc = media_pipeline_add (bin, "srtpenc", NULL, error)) == NULL)
    return FALSE;
  g_autoptr (GstBuffer) key = gst_buffer_new_memdup (p->keys.local, sizeof p->keys.local);
  g_object_set (p->srtpenc, "key", key, NULL);
  gst_util_set_object_arg (G_OBJECT (p->srtpenc), "rtp-cipher", "aes-128-icm");
  gst_util_set_object_arg (G_OBJECT (p->srtpenc), "rtp-auth", rtp_auth_name (p->keys.profile));
  gst_util_set_object_arg (G_OBJECT (p->srtpenc), "rtcp-cipher", "aes-128-icm");
  gst_util_set_object_arg (G_OBJECT (p->srtpenc), "rtcp-auth", "hmac-sha1-80");
  GstElement *rtp_out, *rtcp_out;
  if ((rtp_out = add_appsink (p, "rtp-out", error)) == NULL
      || (rtcp_out = add_appsink (p, "rtcp-out", error)) == NULL
      || !link_pads (error, p->rtpbin, "send_rtp_src_0", p->srtpenc, "rtp_sink_0")
      || !link_pads (error, p->srtpenc, "rtp_src_0", rtp_out, "sink")
      || !link_pads (error, p->rtpbin, "send_rtcp_src_0", p->srtpenc, "rtcp_sink_0")
      || !link_pads (error, p->srtpenc, "rtcp_src_0", rtcp_out, "sink"))
    return FALSE;
  g_autoptr (GstPad) plain = gst_element_get_static_pad (p->srtpenc, "rtp_sink_0");
  if (plain != NULL)
    gst_pad_add_probe (plain, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                       on_plain_rtp, p, NULL);
  return TRUE;
}

/* ---- the receive branch's fixed part ---- */

/* srtpdec asks for the key of each new SSRC: every stream of the peer is
 * protected with the peer's write key (RFC 5764 §4.2) */
static GstCaps *
on_request_key (GstElement *srtpdec, guint ssrc, gpointer data)
{
  MediaPipeline *p = data;
  g_autoptr (GstBuffer) key = gst_buffer_new_memdup (p->keys.remote, sizeof p->keys.remote);
  return gst_caps_new_simple ("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, key, "srtp-cipher",
                              G_TYPE_STRING, "aes-128-icm", "srtp-auth", G_TYPE_STRING,
                              rtp_auth_name (p->keys.profile), "srtcp-cipher", G_TYPE_STRING,
                              "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);
}

static GstElement *
add_appsrc (MediaPipeline *p, const char *name, const char *media_type, GError **error)
{
  GstElement *src = media_pipeline_add (p->pipeline, "appsrc", name, error);
  if (src == NULL)
    return NULL;
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple (media_type);
  /* arrival times stamp the packets (the jitter buffer measures against
   * them); a full queue drops the oldest */
  g_object_set (src, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                "max-bytes", (guint64) APPSRC_MAX_BYTES, "block", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  return src;
}

static gboolean
build_receive (MediaPipeline *p, const MediaPipelineConfig *config, GError **error)
{
  GstElement *bin = p->pipeline;
  if ((p->rtp_in = add_appsrc (p, "rtp-in", "application/x-srtp", error)) == NULL
      || (p->rtcp_in = add_appsrc (p, "rtcp-in", "application/x-srtcp", error)) == NULL
      || (p->srtpdec = media_pipeline_add (bin, "srtpdec", NULL, error)) == NULL
      || (p->recv_valve = media_pipeline_add (bin, "valve", NULL, error)) == NULL)
    return FALSE;
  g_signal_connect (p->srtpdec, "request-key", G_CALLBACK (on_request_key), p);
  /* RFC 3264 §5.1: what a peer sends against our direction is dropped
   * after SRTP, which keeps the SRTP replay and rollover state current */
  gst_util_set_object_arg (G_OBJECT (p->recv_valve), "drop-mode", "forward-sticky-events");
  g_object_set (p->recv_valve, "drop", !config->receive, NULL);
  if (!link_pads (error, p->rtp_in, "src", p->srtpdec, "rtp_sink")
      || !link_pads (error, p->rtcp_in, "src", p->srtpdec, "rtcp_sink")
      || !link_pads (error, p->srtpdec, "rtp_src", p->recv_valve, "sink")
      || !link_pads (error, p->recv_valve, "src", p->rtpbin, "recv_rtp_sink_0")
      || !link_pads (error, p->srtpdec, "rtcp_src", p->rtpbin, "recv_rtcp_sink_0"))
    return FALSE;

  /* playback: one input per stream of the peer, the newest plays */
  GstElement *probe = NULL, *conv, *res, *sink;
  if ((p->selector = media_pipeline_add (bin, "input-selector", NULL, error)) == NULL)
    return FALSE;
  /* an input that is not the active one drops at once instead of waiting
   * for the active one's running time */
  g_object_set (p->selector, "sync-streams", FALSE, NULL);
  if (p->probe_name != NULL
      && (probe = media_pipeline_add (bin, "webrtcechoprobe", p->probe_name, error)) == NULL)
    return FALSE;
  if ((conv = media_pipeline_add (bin, "audioconvert", NULL, error)) == NULL
      || (res = media_pipeline_add (bin, "audioresample", NULL, error)) == NULL
      || (sink = add_description (p, config->sink ? config->sink : "autoaudiosink", error)) == NULL)
    return FALSE;
  p->sink_bin = sink;
  p->sink_upstream = res;
  GstElement *chain[] = { p->selector, probe, conv, res, sink };
  GstElement *chain_noprobe[] = { p->selector, conv, res, sink };
  if (probe != NULL ? !link_chain (error, chain, G_N_ELEMENTS (chain))
                    : !link_chain (error, chain_noprobe, G_N_ELEMENTS (chain_noprobe)))
    return FALSE;
  media_pipeline_watch_sinks (p);
  return TRUE;
}

/* ---- the bus ---- */

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  MediaPipeline *p = data;
  switch (GST_MESSAGE_TYPE (msg))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) err = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error (msg, &err, &debug);
        g_debug ("pipeline error from %s: %s (%s)", GST_OBJECT_NAME (msg->src), err->message,
                 debug ? debug : "");
        g_autoptr (GError) error = g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE,
                                                "%s: %s", GST_OBJECT_NAME (msg->src), err->message);
        if (p->callbacks.error != NULL)
          p->callbacks.error (p, error, p->user_data);
        break;
      }
    case GST_MESSAGE_WARNING:
      {
        g_autoptr (GError) err = NULL;
        gst_message_parse_warning (msg, &err, NULL);
        /* srtpdec warns for every packet that fails authentication */
        g_debug ("pipeline warning from %s: %s", GST_OBJECT_NAME (msg->src), err->message);
        break;
      }
    case GST_MESSAGE_LATENCY:
      /* an element's latency changed (a longer Opus packet than before,
       * see media-pipeline-receive.c): the sinks get the new sum; GstBin
       * leaves the recalculation to the application */
      gst_bin_recalculate_latency (GST_BIN (p->pipeline));
      break;
    case GST_MESSAGE_APPLICATION:
      {
        const GstStructure *s = gst_message_get_structure (msg);
        guint event;
        if (gst_structure_has_name (s, MEDIA_PIPELINE_DTMF_MESSAGE)
            && gst_structure_get_uint (s, "event", &event) && p->callbacks.dtmf != NULL)
          p->callbacks.dtmf (p, event, p->user_data);
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* ---- API ---- */

/* in a streaming thread: kept for their statistics (num-late) */
static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer, guint session, guint ssrc,
                     gpointer data)
{
  MediaPipeline *p = data;
  g_mutex_lock (&p->lock);
  if (p->jitterbuffers->len < MEDIA_PIPELINE_MAX_STREAMS)
    g_ptr_array_add (p->jitterbuffers, gst_object_ref (jitterbuffer));
  g_mutex_unlock (&p->lock);
}

guint64
media_pipeline_get_late (MediaPipeline *p)
{
  g_return_val_if_fail (p != NULL, 0);
  guint64 late = 0;
  g_mutex_lock (&p->lock);
  for (guint i = 0; i < p->jitterbuffers->len; i++)
    {
      GstStructure *s = NULL;
      g_object_get (p->jitterbuffers->pdata[i], "stats", &s, NULL);
      guint64 n = 0;
      if (s != NULL && gst_structure_get_uint64 (s, "num-late", &n))
        late += n;
      if (s != NULL)
        gst_structure_free (s);
    }
  g_mutex_unlock (&p->lock);
  return late;
}

void
media_pipeline_set_latency (MediaPipeline *p, guint latency_ms)
{
  g_return_if_fail (p != NULL);
  p->config.latency_ms = latency_ms;
  g_object_set (p->rtpbin, "latency", latency_ms, NULL);
}

static void
configure_rtpbin (MediaPipeline *p, const MediaPipelineConfig *config)
{
  /* the jitter buffer for voice (see MEDIA_PIPELINE_DEFAULT_LATENCY_MS): a
   * late packet is dropped rather than delaying everything after it, and a
   * lost one becomes a gap that opusdec fills from the next packet's FEC
   * or by concealment */
  g_object_set (p->rtpbin, "latency", config->latency_ms, "do-lost", TRUE, "drop-on-latency", TRUE,
                "max-streams", (guint) MEDIA_PIPELINE_MAX_STREAMS, NULL);
  /* RFC 5764 §8: DTLS-SRTP media is UDP/TLS/RTP/SAVP */
  gst_util_set_object_arg (G_OBJECT (p->rtpbin), "rtp-profile", "savp");
  g_signal_connect (p->rtpbin, "request-pt-map", G_CALLBACK (media_pipeline_on_request_pt_map), p);
  g_signal_connect (p->rtpbin, "pad-added", G_CALLBACK (media_pipeline_on_pad_added), p);
  g_signal_connect (p->rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), p);
}

MediaPipeline *
media_pipeline_new (const MediaPipelineConfig *config, const MediaSrtpKeys *keys,
                    const MediaPipelineCallbacks *callbacks, gpointer user_data, GError **error)
{
  g_return_val_if_fail (config != NULL && keys != NULL && callbacks != NULL, NULL);
  if (!gst_init_check (NULL, NULL, error))
    return NULL;
  g_autoptr (MediaPipeline) p = g_new0 (MediaPipeline, 1);
  p->config = *config;
  p->config.source = p->config.sink = NULL;
  p->keys = *keys;
  p->callbacks = *callbacks;
  p->user_data = user_data;
  p->context = g_main_context_ref_thread_default ();
  g_mutex_init (&p->lock);
  p->jitterbuffers = g_ptr_array_new_with_free_func (gst_object_unref);
  g_cond_init (&p->eos_cond);
  /* webrtcdsp cancels what webrtcechoprobe saw go to the speaker (it finds
   * the probe by name, hence a name per call) */
  if (config->echo_cancel && have_factories ("webrtcdsp", "webrtcechoprobe"))
    p->probe_name = g_strdup_printf ("chorus-echo-probe-%u", g_atomic_int_add (&probe_counter, 1));
  else if (config->echo_cancel)
    g_debug ("webrtcdsp is not installed: no echo cancellation");
  p->pipeline = gst_pipeline_new (NULL);
  gst_object_ref_sink (p->pipeline);
  if ((p->rtpbin = media_pipeline_add (p->pipeline, "rtpbin", NULL, error)) == NULL)
    return NULL;
  configure_rtpbin (p, config);
  if (!build_send (p, config, error) || !build_receive (p, config, error))
    return NULL;
  g_signal_emit_by_name (p->rtpbin, "get-internal-session", 0, &p->session);
  if (p->session != NULL)
    g_object_set (p->session, "rtcp-min-interval", (guint64) RTCP_MIN_INTERVAL_MS * GST_MSECOND,
                  NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (p->pipeline);
  p->bus_watch = gst_bus_create_watch (bus);
  g_source_set_callback (p->bus_watch, (GSourceFunc) (void (*) (void)) on_bus, p, NULL);
  g_source_attach (p->bus_watch, p->context);
  return g_steal_pointer (&p);
}

gboolean
media_pipeline_start (MediaPipeline *p, GError **error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE,
                   "the pipeline does not start (is the audio device there?)");
      return FALSE;
    }
  p->started = TRUE;
  return TRUE;
}

void
media_pipeline_stop (MediaPipeline *p)
{
  g_return_if_fail (p != NULL);
  if (p->stopped)
    return;
  p->stopped = TRUE;
  if (p->bus_watch != NULL)
    {
      g_source_destroy (p->bus_watch);
      g_clear_pointer (&p->bus_watch, g_source_unref);
    }
  if (p->started)
    media_pipeline_finish_recording (p);
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
}

void
media_pipeline_free (MediaPipeline *p)
{
  if (p == NULL)
    return;
  if (p->pipeline != NULL)
    {
      media_pipeline_stop (p);
      g_clear_object (&p->session);
      gst_object_unref (p->pipeline);
    }
  if (p->bus_watch != NULL)
    {
      g_source_destroy (p->bus_watch);
      g_source_unref (p->bus_watch);
    }
  g_main_context_unref (p->context);
  g_ptr_array_unref (p->jitterbuffers);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->eos_cond);
  g_free (p->probe_name);
  memset (&p->keys, 0, sizeof p->keys);
  g_free (p);
}

void
media_pipeline_receive (MediaPipeline *p, const guint8 *data, gsize len, gboolean rtcp)
{
  GstBuffer *buffer = gst_buffer_new_memdup (data, len);
  /* the appsrc takes the buffer; a full queue drops (leaky) */
  gst_app_src_push_buffer (GST_APP_SRC (rtcp ? p->rtcp_in : p->rtp_in), buffer);
}

void
media_pipeline_set_tap (MediaPipeline *p, CallMediaPacketTap tap, gpointer user_data)
{
  g_mutex_lock (&p->lock);
  p->tap = tap;
  p->tap_data = user_data;
  g_mutex_unlock (&p->lock);
}

void
media_pipeline_tap (MediaPipeline *p, CallMediaTapPoint point, const guint8 *data, gsize len)
{
  g_mutex_lock (&p->lock);
  CallMediaPacketTap tap = p->tap;
  gpointer tap_data = p->tap_data;
  g_mutex_unlock (&p->lock);
  if (tap != NULL)
    tap (point, data, len, tap_data);
}

void
media_pipeline_set_mute (MediaPipeline *p, gboolean mute)
{
  g_object_set (p->volume, "mute", mute, NULL);
}

void
media_pipeline_set_direction (MediaPipeline *p, gboolean send, gboolean receive)
{
  g_object_set (p->send_valve, "drop", !send, NULL);
  g_object_set (p->recv_valve, "drop", !receive, NULL);
}

void
media_pipeline_get_stats (MediaPipeline *p, CallMediaStats *stats)
{
  call_media_stats_init (stats);
  if (p->session == NULL)
    return;
  GstStructure *s = NULL;
  g_object_get (p->session, "stats", &s, NULL);
  media_stats_from_session (s, stats);
  if (s != NULL)
    gst_structure_free (s);
}

GstClockTime
media_pipeline_get_receive_latency (MediaPipeline *p)
{
  g_return_val_if_fail (p != NULL, GST_CLOCK_TIME_NONE);
  /* the pipeline configures what its sinks answer (gst_bin_do_latency):
   * the sink bin's answer is the receive branch's, the send branch ending
   * in appsinks that do not synchronise; a sink answers once it has
   * prerolled (GstBaseSink) */
  g_autoptr (GstQuery) query = gst_query_new_latency ();
  gboolean live = FALSE;
  GstClockTime min = GST_CLOCK_TIME_NONE;
  if (!gst_element_query (p->sink_bin, query))
    return GST_CLOCK_TIME_NONE;
  gst_query_parse_latency (query, &live, &min, NULL);
  return live ? min : GST_CLOCK_TIME_NONE;
}

static void
send_dtmf_event (MediaPipeline *p, guint event, gboolean start)
{
  /* rtpdtmfsrc's control event: type 1 is an RFC 4733 event; volume is the
   * power level in -dBm0 (RFC 4733 §2.3.4), 10 being the usual level */
  GstStructure *s =
      gst_structure_new ("dtmf-event", "type", G_TYPE_INT, 1, "number", G_TYPE_INT, (int) event,
                         "volume", G_TYPE_INT, 10, "start", G_TYPE_BOOLEAN, start, NULL);
  /* into its source pad, as if from downstream: GstBaseSrc's send_event
   * refuses custom upstream events */
  g_autoptr (GstPad) pad = gst_element_get_static_pad (p->dtmf_src, "src");
  gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

gboolean
media_pipeline_start_dtmf (MediaPipeline *p, guint event, GError **error)
{
  if (p->dtmf_src == NULL)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "no telephone-event payload type was negotiated");
      return FALSE;
    }
  if (event > 15)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "DTMF event %u is not one of RFC 4733 §3.2's 0..15", event);
      return FALSE;
    }
  if (p->dtmf_active)
    send_dtmf_event (p, 0, FALSE);
  send_dtmf_event (p, event, TRUE);
  p->dtmf_active = TRUE;
  return TRUE;
}

void
media_pipeline_stop_dtmf (MediaPipeline *p)
{
  if (p->dtmf_src == NULL || !p->dtmf_active)
    return;
  send_dtmf_event (p, 0, FALSE);
  p->dtmf_active = FALSE;
}

/* ---- switching devices during the call ---- */

typedef struct
{
  MediaPipeline *p;
  GstElement *old_bin;
  GstElement *new_bin;
  gboolean is_source;
} Swap;

/* In the main context: the old device leaves the pipeline. */
static gboolean
swap_finish (gpointer data)
{
  Swap *w = data;
  if (!w->is_source)
    {
      /* an end of stream first: a file sink (wavenc) finishes its header */
      g_autoptr (GstPad) pad = gst_element_get_static_pad (w->old_bin, "sink");
      if (pad != NULL && gst_pad_has_current_caps (pad))
        gst_pad_send_event (pad, gst_event_new_eos ());
    }
  gst_element_set_state (w->old_bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (w->p->pipeline), w->old_bin);
  /* a new sink answers the latency query differently */
  gst_bin_recalculate_latency (GST_BIN (w->p->pipeline));
  return G_SOURCE_REMOVE;
}

static void
swap_free (gpointer data)
{
  Swap *w = data;
  gst_object_unref (w->old_bin);
  gst_object_unref (w->new_bin);
  g_free (w);
}

/* An IDLE probe on the link to change: it runs at once when no buffer
 * is on its way, else right after the one that is (the usual way to
 * relink a running pipeline); the new element then takes the running
 * pipeline's state. */
static GstPadProbeReturn
swap_idle (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Swap *w = data;
  MediaPipeline *p = w->p;
  if (w->is_source)
    {
      g_autoptr (GstPad) old_src = gst_element_get_static_pad (w->old_bin, "src");
      g_autoptr (GstPad) next = gst_element_get_static_pad (p->source_downstream, "sink");
      g_autoptr (GstPad) new_src = gst_element_get_static_pad (w->new_bin, "src");
      gst_pad_unlink (old_src, next);
      if (gst_pad_link (new_src, next) != GST_PAD_LINK_OK)
        g_warning ("media: the new source does not link");
      gst_element_sync_state_with_parent (w->new_bin);
    }
  else
    {
      g_autoptr (GstPad) old_sink = gst_element_get_static_pad (w->old_bin, "sink");
      g_autoptr (GstPad) new_sink = gst_element_get_static_pad (w->new_bin, "sink");
      gst_pad_unlink (pad, old_sink);
      gst_element_sync_state_with_parent (w->new_bin);
      if (gst_pad_link (pad, new_sink) != GST_PAD_LINK_OK)
        g_warning ("media: the new sink does not link");
    }
  Swap *finish = g_new0 (Swap, 1);
  finish->p = p;
  finish->is_source = w->is_source;
  finish->old_bin = gst_object_ref (w->old_bin);
  finish->new_bin = gst_object_ref (w->new_bin);
  g_main_context_invoke_full (p->context, G_PRIORITY_DEFAULT, swap_finish, finish, swap_free);
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
swap_device (MediaPipeline *p, const char *description, gboolean is_source, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &local);
  if (bin == NULL || local != NULL)
    {
      if (bin != NULL)
        gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "“%s”: %s", description,
                   local != NULL ? local->message : "not a GStreamer bin");
      return FALSE;
    }
  g_autoptr (GstPad) bin_pad = gst_element_get_static_pad (bin, is_source ? "src" : "sink");
  if (bin_pad == NULL)
    {
      gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "“%s” has no %s pad to connect", description, is_source ? "source" : "sink");
      return FALSE;
    }
  gst_bin_add (GST_BIN (p->pipeline), bin);
  Swap *w = g_new0 (Swap, 1);
  w->p = p;
  w->is_source = is_source;
  w->new_bin = gst_object_ref (bin);
  if (is_source)
    {
      w->old_bin = gst_object_ref (p->source_bin);
      p->source_bin = bin;
      g_autoptr (GstPad) old_src = gst_element_get_static_pad (w->old_bin, "src");
      gst_pad_add_probe (old_src, GST_PAD_PROBE_TYPE_IDLE, swap_idle, w, swap_free);
    }
  else
    {
      w->old_bin = gst_object_ref (p->sink_bin);
      p->sink_bin = bin;
      g_autoptr (GstPad) feed = gst_element_get_static_pad (p->sink_upstream, "src");
      gst_pad_add_probe (feed, GST_PAD_PROBE_TYPE_IDLE, swap_idle, w, swap_free);
      /* the EOS accounting of recordings (media_pipeline_finish_recording)
       * follows the new sink */
      g_mutex_lock (&p->lock);
      p->sinks_total = p->sinks_eos = 0;
      g_mutex_unlock (&p->lock);
      media_pipeline_watch_sinks (p);
    }
  return TRUE;
}

gboolean
media_pipeline_set_source (MediaPipeline *p, const char *description, GError **error)
{
  g_return_val_if_fail (p != NULL && p->source_bin != NULL, FALSE);
  return swap_device (p, description ? description : "autoaudiosrc", TRUE, error);
}

gboolean
media_pipeline_set_sink (MediaPipeline *p, const char *description, GError **error)
{
  g_return_val_if_fail (p != NULL && p->sink_bin != NULL, FALSE);
  return swap_device (p, description ? description : "autoaudiosink", FALSE, error);
}
