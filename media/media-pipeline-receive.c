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
    /* conceal a lost packet from the next one's in-band FEC (RFC 6716
     * §2.1.7), else by PLC; do-lost gives the decoder the gaps */
    g_object_set (e[1], "use-inband-fec", TRUE, "plc", TRUE, NULL);
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
