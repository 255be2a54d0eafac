/* media-pipeline-receive.c: the receive branch's dynamic part: payload
 * type maps for the jitter buffer, a decoder per stream of the peer as
 * rtpbin finds it, RFC 4733 events, and the end of the recording.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-pipeline-private.h"

#include <gst/rtp/gstrtpbuffer.h>
#include <stdio.h>

#include "call-media-error.h"

/* RFC 3551 §6: the static payload types of G.711 */
#define PT_PCMU 0
#define PT_PCMA 8

/* What the jitter buffer needs to know of a payload type: its clock rate
 * (RFC 3550 §5.1); a type not negotiated gets nothing and its packets are
 * dropped. */
GstCaps *
media_pipeline_on_request_pt_map (GstElement *rtpbin, guint session, guint pt, gpointer data)
{
  MediaPipeline *p = data;
  const char *name = NULL;
  guint rate = 8000;
  if (pt == p->config.opus_pt)
    {
      name = "OPUS";
      rate = 48000; /* RFC 7587 §4.1 */
    }
  else if (pt == PT_PCMU)
    name = "PCMU";
  else if (pt == PT_PCMA)
    name = "PCMA";
  else if (pt == p->config.telephone_event_pt && pt != 0)
    {
      /* RFC 4733 §2.1: events use the audio stream's clock */
      name = "TELEPHONE-EVENT";
      rate = media_pipeline_clock_rate (p->config.codec);
    }
  if (name == NULL)
    {
      g_debug ("dropping packets of payload type %u", pt);
      return NULL;
    }
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio", "clock-rate",
                              G_TYPE_INT, (int) rate, "encoding-name", G_TYPE_STRING, name,
                              "payload", G_TYPE_INT, (int) pt, NULL);
}

static void
post_error (MediaPipeline *p, GError *error)
{
  gst_element_post_message (p->rtpbin, gst_message_new_error (GST_OBJECT (p->rtpbin), error, NULL));
  g_error_free (error);
}

/* Brings new elements to the pipeline's state, downstream first. */
static void
sync_states (GstElement **elements, guint n)
{
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (elements[i - 1]);
}

static void
add_fakesink (MediaPipeline *p, GstPad *pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  if (sink == NULL)
    return;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (p->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
}

/* ---- RFC 4733 events ---- */

static GstPadProbeReturn
on_dtmf_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  MediaPipeline *p = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (buffer == NULL || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint len = gst_rtp_buffer_get_payload_len (&rtp);
  const guint8 *payload = gst_rtp_buffer_get_payload (&rtp);
  guint32 ts = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  /* RFC 4733 §2.3: event (8 bits), E R volume (8), duration (16); every
   * packet of one event carries the event's start timestamp (§2.3.1), the
   * end packet three times (§2.5.1.4): one report per timestamp */
  if (len < 4 || payload[0] > 15)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&p->lock);
  gboolean is_new = !p->have_dtmf_ts || p->last_dtmf_ts != ts;
  p->have_dtmf_ts = TRUE;
  p->last_dtmf_ts = ts;
  g_mutex_unlock (&p->lock);
  if (is_new)
    {
      GstStructure *s = gst_structure_new (MEDIA_PIPELINE_DTMF_MESSAGE, "event", G_TYPE_UINT,
                                           (guint) payload[0], NULL);
      gst_element_post_message (p->rtpbin, gst_message_new_application (GST_OBJECT (p->rtpbin), s));
    }
  return GST_PAD_PROBE_OK;
}

/* ---- the Opus decoder's latency ---- */

/* With in-band FEC (RFC 6716 §2.1.7) opusdec decodes a packet when the
 * next one comes, so that a lost packet can be rebuilt from its
 * successor: it holds exactly one packet (gstopusdec.c keeps it as
 * last_buffer until the next one comes).  Yet it reports 120 ms, the
 * longest Opus packet, as its latency (GStreamer 1.22's gst_opus_dec_start()
 * sets gst_audio_decoder_set_latency (120 ms, 120 ms) when use-inband-fec
 * is on), and the sink waits for the sum of what the elements report: at
 * our 20 ms packets, 100 ms of mouth-to-ear delay that buys nothing.
 *
 * So a probe on opusdec's source pad answers the LATENCY query itself:
 * upstream's latency (the jitter buffer's) plus one packet, the longest
 * the stream has had (its TOC byte, RFC 6716 §3.1), MEDIA_PIPELINE_PTIME_MS
 * until one is seen.  The sink prerolls on the first decoded packet, i.e.
 * after two were seen; a longer packet later (a peer changing its ptime)
 * posts a LATENCY message and the pipeline recalculates (media-pipeline.c).
 * Not gst_audio_decoder_set_latency() from here: opusdec's start() undoes
 * it at every READY->PAUSED, and opusdec has no property for it. */

typedef struct
{
  gint held_us; /* atomic: the longest packet seen, 0 before any */
} OpusHold;

/* RFC 6716 §3.1: an Opus packet's duration in samples at 48 kHz from its
 * TOC byte (and the frame count byte of code 3); 0 when it is not a valid
 * packet (empty, or longer than 120 ms, §3.4 [R5]). */
guint
media_pipeline_opus_packet_samples (const guint8 *data, gsize len)
{
  /* frame sizes by configuration (Table 2): SILK 10/20/40/60 ms, hybrid
   * 10/20 ms, CELT 2.5/5/10/20 ms */
  static const guint16 frame[32] = {
    480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960,
    120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480, 960,
  };
  if (len < 1)
    return 0;
  guint frames;
  switch (data[0] & 3)
    {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      /* code 3: M frames, M in the low six bits of the next byte */
      if (len < 2)
        return 0;
      frames = data[1] & 0x3f;
      break;
    }
  guint samples = frames * frame[data[0] >> 3];
  return samples <= 48 * 120 ? samples : 0;
}

static GstClockTime
opus_held (OpusHold *hold)
{
  gint us = g_atomic_int_get (&hold->held_us);
  return us > 0 ? (GstClockTime) us * GST_USECOND : MEDIA_PIPELINE_PTIME_MS * GST_MSECOND;
}

/* Notes a packet's duration; TRUE when it is longer than the latency
 * reported so far. */
static gboolean
note_opus_packet (OpusHold *hold, GstBuffer *buffer)
{
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return FALSE;
  gint us = (gint) media_pipeline_opus_packet_samples (map.data, map.size) * 1000 / 48;
  gst_buffer_unmap (buffer, &map);
  GstClockTime reported = opus_held (hold);
  if (us <= g_atomic_int_get (&hold->held_us))
    return FALSE;
  /* one streaming thread writes */
  g_atomic_int_set (&hold->held_us, us);
  return (GstClockTime) us * GST_USECOND > reported;
}

static GstPadProbeReturn
on_opus_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  gboolean longer = FALSE;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    longer = note_opus_packet (data, GST_PAD_PROBE_INFO_BUFFER (info));
  else
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
      for (guint i = 0; i < gst_buffer_list_length (list); i++)
        longer |= note_opus_packet (data, gst_buffer_list_get (list, i));
    }
  if (longer)
    {
      g_autoptr (GstElement) decoder = gst_pad_get_parent_element (pad);
      if (decoder != NULL)
        gst_element_post_message (decoder, gst_message_new_latency (GST_OBJECT (decoder)));
    }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_opus_query (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_PAD_PROBE_OK;
  g_autoptr (GstElement) decoder = gst_pad_get_parent_element (pad);
  g_autoptr (GstPad) sink = decoder != NULL ? gst_element_get_static_pad (decoder, "sink") : NULL;
  /* what GstAudioDecoder does, with one packet for the decoder's part */
  if (sink == NULL || !gst_pad_peer_query (sink, query))
    return GST_PAD_PROBE_DROP; /* the query fails */
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  GstClockTime held = opus_held (data);
  gst_query_set_latency (query, live, min + held,
                         GST_CLOCK_TIME_IS_VALID (max) ? max + held : GST_CLOCK_TIME_NONE);
  return GST_PAD_PROBE_HANDLED;
}

static void
watch_opus_latency (GstElement *decoder)
{
  OpusHold *hold = g_atomic_rc_box_new0 (OpusHold);
  g_autoptr (GstPad) in = gst_element_get_static_pad (decoder, "sink");
  g_autoptr (GstPad) out = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_opus_packet,
                     g_atomic_rc_box_acquire (hold), g_atomic_rc_box_release);
  /* before opusdec's own handler (PUSH); HANDLED answers for it */
  gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PUSH,
                     on_opus_query, hold, g_atomic_rc_box_release);
}

/* ---- a decoder per stream ---- */

static gboolean
add_decoder (MediaPipeline *p, GstPad *pad, guint pt, GError **error)
{
  const char *depay_name, *dec_name;
  if (pt == p->config.opus_pt)
    {
      depay_name = "rtpopusdepay";
      dec_name = "opusdec";
    }
  else if (pt == PT_PCMU)
    {
      depay_name = "rtppcmudepay";
      dec_name = "mulawdec";
    }
  else
    {
      depay_name = "rtppcmadepay";
      dec_name = "alawdec";
    }
  GstElement *e[5];
  const char *factories[5] = { depay_name, dec_name, "audioconvert", "audioresample",
                               "capsfilter" };
  for (guint i = 0; i < G_N_ELEMENTS (e); i++)
    {
      e[i] = gst_element_factory_make (factories[i], NULL);
      if (e[i] == NULL)
        {
          for (guint j = 0; j < i; j++)
            gst_object_unref (gst_object_ref_sink (e[j]));
          return media_pipeline_missing (error, factories[i]);
        }
    }
  if (pt == p->config.opus_pt)
    {
      /* conceal a lost packet from the next one's in-band FEC (RFC 6716
       * §2.1.7), else by PLC; do-lost gives the decoder the gaps.  That
       * costs one packet of latency, and opusdec reports more (above).
       * G.711's decoders hold nothing and report nothing. */
      g_object_set (e[1], "use-inband-fec", TRUE, "plc", TRUE, NULL);
      watch_opus_latency (e[1]);
    }
  /* every stream leaves in one format, so that switching streams does not
   * renegotiate the sink */
  g_autoptr (GstCaps) caps = media_pipeline_raw_caps (48000);
  g_object_set (e[4], "caps", caps, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (e); i++)
    gst_bin_add (GST_BIN (p->pipeline), e[i]);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (e); i++)
    if (!gst_element_link (e[i], e[i + 1]))
      {
        g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE, "cannot link %s to %s",
                     factories[i], factories[i + 1]);
        return FALSE;
      }
  g_autoptr (GstPad) input = gst_element_request_pad_simple (p->selector, "sink_%u");
  g_autoptr (GstPad) out = gst_element_get_static_pad (e[4], "src");
  g_autoptr (GstPad) in = gst_element_get_static_pad (e[0], "sink");
  if (input == NULL || gst_pad_link (out, input) != GST_PAD_LINK_OK)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE,
                   "cannot link a decoder to the playback");
      return FALSE;
    }
  sync_states (e, G_N_ELEMENTS (e));
  if (gst_pad_link (pad, in) != GST_PAD_LINK_OK)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_PIPELINE,
                   "cannot link the stream to %s", depay_name);
      return FALSE;
    }
  /* the newest stream of the peer plays (a new SSRC after a restart of
   * its media, RFC 3550 §8.2) */
  g_object_set (p->selector, "active-pad", input, NULL);
  return TRUE;
}

void
media_pipeline_on_pad_added (GstElement *rtpbin, GstPad *pad, gpointer data)
{
  MediaPipeline *p = data;
  guint session, ssrc, pt;
  /* recv_rtp_src_<session>_<ssrc>_<pt> */
  if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return;
  g_debug ("the peer's stream %08x, payload type %u", ssrc, pt);
  if (p->config.telephone_event_pt != 0 && pt == p->config.telephone_event_pt)
    {
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_dtmf_packet, p, NULL);
      add_fakesink (p, pad);
      return;
    }
  gboolean audio = pt == p->config.opus_pt || pt == PT_PCMU || pt == PT_PCMA;
  g_mutex_lock (&p->lock);
  gboolean room = p->n_streams < MEDIA_PIPELINE_MAX_STREAMS;
  if (audio && room)
    p->n_streams++;
  g_mutex_unlock (&p->lock);
  if (!audio || !room)
    {
      add_fakesink (p, pad);
      return;
    }
  GError *error = NULL;
  if (!add_decoder (p, pad, pt, &error))
    post_error (p, error);
}

/* ---- the end of the recording ---- */

static GstPadProbeReturn
on_sink_event (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  MediaPipeline *p = data;
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    {
      g_mutex_lock (&p->lock);
      p->sinks_eos++;
      g_cond_broadcast (&p->eos_cond);
      g_mutex_unlock (&p->lock);
    }
  return GST_PAD_PROBE_OK;
}

static void
watch_sink (const GValue *item, gpointer data)
{
  MediaPipeline *p = data;
  GstElement *sink = g_value_get_object (item);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (sink, "sink");
  if (pad == NULL)
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, p, NULL);
  p->sinks_total++;
}

void
media_pipeline_watch_sinks (MediaPipeline *p)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_sinks (GST_BIN (p->sink_bin));
  gst_iterator_foreach (it, watch_sink, p);
}

/* A file sink (wavenc ! filesink) writes its header sizes on EOS: send one
 * through the sink and wait until every sink in it saw it. */
void
media_pipeline_finish_recording (MediaPipeline *p)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (p->sink_bin, "sink");
  /* nothing was ever played: no format, nothing to finish */
  if (pad == NULL || p->sinks_total == 0 || !gst_pad_has_current_caps (pad))
    return;
  gst_pad_send_event (pad, gst_event_new_eos ());
  gint64 deadline = g_get_monotonic_time () + MEDIA_PIPELINE_EOS_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&p->lock);
  while (p->sinks_eos < p->sinks_total)
    if (!g_cond_wait_until (&p->eos_cond, &p->lock, deadline))
      break;
  g_mutex_unlock (&p->lock);
}
