/* bench-latency.c: mouth-to-ear latency of a call on 127.0.0.1 (issue
 * target: under 80 ms; ITU-T G.114: under 150 ms one way).
 *
 * Two CallMedia instances in this process call each other (the fixture of
 * test-call-media: real ICE, DTLS-SRTP, Opus at 20 ms frames).  A's
 * microphone is a click train: audiotestsrc wave=ticks, a 5 ms burst of
 * 1 kHz (five periods) every 500 ms, in 10 ms buffers (a sound card's
 * period).  B's speaker is an element of this program that notes when
 * each click is played.  Printed as JSON; nothing about timing asserted.
 *
 * The common time base.  Elements registered by this program, named in
 * the "source" and "sink" gst-launch descriptions (so CallMedia needs no
 * hook), note clock times:
 *
 *   A's source:  audiotestsrc ! capsfilter ! chorusclickmark
 *       when the buffer holding a click onset leaves the source (the whole
 *       buffer leaves at once: "the click left the microphone element").
 *   B's sink:    chorusclickmark arrival=true ! queue ! chorusclickear
 *       the first notes when the click reaches the sink's input; the
 *       queue stands for an audio sink's ring buffer (what comes before
 *       its time waits there, not in the jitter buffer: an element that
 *       blocked instead would make the jitter buffer drop); chorusclickear
 *       is a GstBaseSink with sync=true, which like an audio sink plays a
 *       buffer at base time + its running time + the pipeline latency
 *       (the sum of what the elements upstream report: the jitter buffer's
 *       "latency", the decoder's (one 20 ms packet that opusdec holds for
 *       its in-band FEC), and GstBaseSink's 20 ms processing deadline), and
 *       notes the clock time then.
 *
 * At B the onset's offset in its buffer is added (the samples of a buffer
 * play one after the other).  An onset is the first sample above
 * ONSET_THRESHOLD after 100 ms below it.  Both pipelines run on the
 * GStreamer system clock (nothing in them provides another; the program
 * checks that every element saw that clock), so the times compare:
 *
 *   mouth_to_ear_ms    A's source output to B's sink playing the click:
 *                      A's conversion, opusenc (waiting for the rest of
 *                      the 20 ms frame; Opus' own 6.5 ms delay), RTP,
 *                      SRTP, ICE/UDP on loopback, B's SRTP, jitter buffer,
 *                      depayloader, opusdec, and the sink's wait for its
 *                      time (the pipeline latency).
 *   to_sink_input_ms   A's source output to B's sink input.
 *   sink_wait_ms       the difference: how long the sink held the click.
 *   sink_pipeline_latency_ms  the latency B's sink was given.
 *   late               clicks played more than 5 ms after their time (an
 *                      audio sink would have skipped them).
 *   buffers_late       of buffers_played, all audio, clicks or not: played
 *                      more than 5 ms after their time.  With the
 *                      machine loaded these are mostly the sink's own
 *                      thread waking late from its clock wait (an audio
 *                      sink's ring buffer absorbs that), not late data:
 *   buffers_arrived_late  buffers that reached the sink's input after
 *                      their time to play: the latency was too small for
 *                      them, whatever the sink.
 *   min_arrival_slack_ms  the least time a buffer came before its time.
 *   receive_latency_ms CallMedia's "receive-latency" at B (the same as
 *                      sink_pipeline_latency_ms, from a LATENCY query).
 *   jitter_buffer      B's rtpjitterbuffer's "stats": packets pushed, lost
 *                      (never came: concealed), late (came after their
 *                      time: dropped), duplicates.
 *
 * Not included: the sound cards' own buffers, i.e. before the source's
 * output (a capture device delivers a period, 10 ms here, once its last
 * sample is in, plus its own latency; audiotestsrc sends it at once, which
 * does not matter when counting from the output) and after the sink (the
 * ring buffer's segments, the sound server, the device).
 *
 * The jitter buffer (rtpjitterbuffer) lets packets that come in order go
 * at once; its "latency" reaches the ear through the pipeline latency the
 * sink waits for, one for one.
 *
 * Usage: bench-latency [--clicks N] [--runs LIST]
 *   N clicks per run (default 24, after one second of warm-up); LIST of
 *   runs, each "adaptive" (CallMedia's default: the jitter buffer follows
 *   the path, media-jitter-adapt.h) or a fixed jitter buffer latency in ms
 *   (10..200), "+aec" for echo cancellation (webrtcdsp) on both ends as in
 *   a real call (default "adaptive,20,40,60,60+aec").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/base/gstbasesink.h>
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call-media-fixture.h"
#include "media-pipeline.h"

#define RATE 48000
#define SOURCE_BUFFER_SAMPLES 480 /* 10 ms */
#define CLICK_INTERVAL_MS 500
#define CLICK_FREQ 1000
#define CLICK_PERIODS 5 /* 5 ms at 1 kHz */
#define CLICK_VOLUME 0.5
/* an onset: a sample above this after at least QUIET_SAMPLES below it
 * (the burst peaks at 16384; opusdec's silence is a few units) */
#define ONSET_THRESHOLD 3000
#define QUIET_SAMPLES (RATE / 10)
/* a click found belongs to the last click sent at most this long before;
 * the latencies asked for stay well below (mouth to ear is the latency
 * plus about 60 ms) */
#define MAX_MATCH_NS (450 * GST_MSECOND)
#define MAX_LATENCY_MS 200
#define DEFAULT_CLICKS 24
#define DEFAULT_RUNS "adaptive,20,40,60,60+aec"
#define WARMUP_MS 1000
/* more than any pipeline latency here (an audio sink's ring buffer) */
#define SINK_QUEUE_MS 1000
/* played this much after its time: an audio sink would have skipped it */
#define LATE_NS (5 * GST_MSECOND)

#define CLICK_CAPS                                                                   \
  "audio/x-raw, format=(string)S16LE, layout=(string)interleaved, channels=(int)1, " \
  "rate=(int)48000"

typedef struct
{
  GstClockTime sent;    /* clock time the click's buffer left A's source element */
  GstClockTime arrival; /* clock time it reached B's sink input, when it did */
  gboolean arrived, heard;
} SentClick;

/* A click found at B: when it reached the sink's input, or when the sink
 * played it. */
typedef struct
{
  GstClockTime time;    /* of the onset sample */
  GstClockTime due;     /* when the sink was to play it (played clicks) */
  GstClockTime latency; /* the pipeline latency the sink used (played clicks) */
} FoundClick;

/* What the elements report, for the run in progress. */
static struct
{
  GMutex lock;
  gboolean armed;   /* clicks are noted */
  gboolean sending; /* clicks leaving A are noted (until the run's last) */
  GArray *sent;     /* SentClick */
  GArray *arrivals; /* FoundClick, at B's sink input */
  GArray *played;   /* FoundClick, as B's sink played them */
  GstClock *clock;  /* the system clock */
  gint other_clock; /* atomic: an element saw another clock */
  GWeakRef ear;     /* B's chorusclickear, while it runs */
  guint buffers;    /* played by B's sink while armed */
  guint late_buffers;
  guint arrived; /* reached B's sink input while armed */
  guint arrived_late;
  double min_slack_ms;
} bench;

/* Finds onsets in S16 mono samples; @quiet carries the run of quiet
 * samples across buffers.  Returns the offsets found (at most @max). */
static guint
find_onsets (const gint16 *s, gsize n, guint64 *quiet, gsize *offsets, guint max)
{
  guint found = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (abs (s[i]) < ONSET_THRESHOLD)
        {
          (*quiet)++;
          continue;
        }
      if (*quiet >= QUIET_SAMPLES && found < max)
        offsets[found++] = i;
      *quiet = 0;
    }
  return found;
}

static GstClockTime
samples_ns (gsize n)
{
  return gst_util_uint64_scale_int (n, GST_SECOND, RATE);
}

/* The element's clock time now; GST_CLOCK_TIME_NONE without a clock. */
static GstClockTime
clock_now (GstElement *element)
{
  GstClock *clock = gst_element_get_clock (element);
  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  if (clock != bench.clock)
    g_atomic_int_set (&bench.other_clock, TRUE);
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now;
}

/* ---- chorusclickmark: at A's source (or at B's sink input) ---- */

#define CHORUS_TYPE_CLICK_MARK (chorus_click_mark_get_type ())
G_DECLARE_FINAL_TYPE (ChorusClickMark, chorus_click_mark, CHORUS, CLICK_MARK, GstBaseTransform)

struct _ChorusClickMark
{
  GstBaseTransform parent;
  gboolean arrival; /* property "arrival": B's sink input, not A's source */
  guint64 quiet;
};

G_DEFINE_TYPE (ChorusClickMark, chorus_click_mark, GST_TYPE_BASE_TRANSFORM)

/* Every buffer reaching B's sink: how long before its time to play (the
 * latency the sink was given) it came.  One that came after it is late
 * whatever the sink: the latency was too small for it. */
static void
note_arrival (GstBaseTransform *trans, GstBuffer *buffer, GstClockTime now)
{
  g_autoptr (GstBaseSink) ear = g_weak_ref_get (&bench.ear);
  GstClockTime running =
      gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  if (ear == NULL || !GST_CLOCK_TIME_IS_VALID (running))
    return;
  GstClockTime latency = gst_base_sink_get_latency (ear);
  GstClockTime due = gst_element_get_base_time (GST_ELEMENT (trans)) + running + latency;
  double slack = (double) GST_CLOCK_DIFF (now, due) / GST_MSECOND;
  g_mutex_lock (&bench.lock);
  if (bench.armed)
    {
      if (bench.arrived == 0 || slack < bench.min_slack_ms)
        bench.min_slack_ms = slack;
      bench.arrived++;
      if (slack < 0)
        bench.arrived_late++;
    }
  g_mutex_unlock (&bench.lock);
}

static GstFlowReturn
mark_transform_ip (GstBaseTransform *trans, GstBuffer *buffer)
{
  ChorusClickMark *self = CHORUS_CLICK_MARK (trans);
  GstClockTime now = clock_now (GST_ELEMENT (trans));
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  gsize offsets[4];
  guint n = find_onsets ((const gint16 *) map.data, map.size / 2, &self->quiet, offsets,
                         G_N_ELEMENTS (offsets));
  gst_buffer_unmap (buffer, &map);
  if (!GST_CLOCK_TIME_IS_VALID (now))
    return GST_FLOW_OK;
  if (self->arrival)
    note_arrival (trans, buffer, now);
  if (n == 0)
    return GST_FLOW_OK;
  g_mutex_lock (&bench.lock);
  for (guint i = 0; i < n && bench.armed; i++)
    if (self->arrival)
      {
        /* the buffer is all there at once; its samples play one after
         * the other */
        FoundClick c = { .time = now + samples_ns (offsets[i]), .due = GST_CLOCK_TIME_NONE };
        g_array_append_val (bench.arrivals, c);
      }
    else if (bench.sending)
      {
        /* the whole buffer leaves the source at once */
        SentClick c = { .sent = now };
        g_array_append_val (bench.sent, c);
      }
  g_mutex_unlock (&bench.lock);
  return GST_FLOW_OK;
}

enum
{
  PROP_MARK_0,
  PROP_MARK_ARRIVAL,
};

static void
mark_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  if (id == PROP_MARK_ARRIVAL)
    CHORUS_CLICK_MARK (object)->arrival = g_value_get_boolean (value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
mark_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == PROP_MARK_ARRIVAL)
    g_value_set_boolean (value, CHORUS_CLICK_MARK (object)->arrival);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
chorus_click_mark_class_init (ChorusClickMarkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  object_class->set_property = mark_set_property;
  object_class->get_property = mark_get_property;
  g_object_class_install_property (
      object_class, PROP_MARK_ARRIVAL,
      g_param_spec_boolean ("arrival", "Arrival",
                            "Clicks reaching the sink, not leaving the source", FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_autoptr (GstCaps) caps = gst_caps_from_string (CLICK_CAPS);
  gst_element_class_add_pad_template (
      element_class, gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (
      element_class, gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_element_class_set_static_metadata (element_class, "Click marker", "Filter/Audio",
                                         "Notes when clicks pass (bench-latency)", "Chorus");
  trans_class->transform_ip = mark_transform_ip;
  trans_class->passthrough_on_same_caps = TRUE;
}

static void
chorus_click_mark_init (ChorusClickMark *self)
{
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

/* ---- chorusclickear: B's speaker ---- */

#define CHORUS_TYPE_CLICK_EAR (chorus_click_ear_get_type ())
G_DECLARE_FINAL_TYPE (ChorusClickEar, chorus_click_ear, CHORUS, CLICK_EAR, GstBaseSink)

struct _ChorusClickEar
{
  GstBaseSink parent;
  guint64 quiet;
};

G_DEFINE_TYPE (ChorusClickEar, chorus_click_ear, GST_TYPE_BASE_SINK)

/* After the clock synchronisation: the buffer's time to play has come. */
static GstFlowReturn
ear_render (GstBaseSink *sink, GstBuffer *buffer)
{
  ChorusClickEar *self = CHORUS_CLICK_EAR (sink);
  GstClockTime now = clock_now (GST_ELEMENT (sink));
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  gsize offsets[4];
  guint n = find_onsets ((const gint16 *) map.data, map.size / 2, &self->quiet, offsets,
                         G_N_ELEMENTS (offsets));
  gst_buffer_unmap (buffer, &map);
  if (!GST_CLOCK_TIME_IS_VALID (now))
    return GST_FLOW_OK;
  GstClockTime running =
      gst_segment_to_running_time (&sink->segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (sink));
  GstClockTime latency = gst_base_sink_get_latency (sink);
  g_mutex_lock (&bench.lock);
  /* every buffer, click or not: a late one is a glitch an audio sink would
   * make (skipped or stretched audio) */
  if (bench.armed && GST_CLOCK_TIME_IS_VALID (running))
    {
      bench.buffers++;
      if (now > base + running + latency + LATE_NS)
        bench.late_buffers++;
    }
  for (guint i = 0; i < n && bench.armed; i++)
    {
      GstClockTime offset = samples_ns (offsets[i]);
      FoundClick c = {
        .time = now + offset,
        .due = GST_CLOCK_TIME_IS_VALID (running) ? base + running + latency + offset
                                                 : GST_CLOCK_TIME_NONE,
        .latency = latency,
      };
      g_array_append_val (bench.played, c);
    }
  g_mutex_unlock (&bench.lock);
  return GST_FLOW_OK;
}

static gboolean
ear_start (GstBaseSink *sink)
{
  g_weak_ref_set (&bench.ear, sink);
  return TRUE;
}

static void
chorus_click_ear_class_init (ChorusClickEarClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);
  g_autoptr (GstCaps) caps = gst_caps_from_string (CLICK_CAPS);
  gst_element_class_add_pad_template (
      element_class, gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_set_static_metadata (element_class, "Click ear", "Sink/Audio",
                                         "Notes when clicks are played (bench-latency)", "Chorus");
  sink_class->render = ear_render;
  sink_class->start = ear_start;
}

static void
chorus_click_ear_init (ChorusClickEar *self)
{
  /* as an audio sink: played at its time, never dropped for lateness (a
   * late click is counted instead) */
  gst_base_sink_set_sync (GST_BASE_SINK (self), TRUE);
  gst_base_sink_set_max_lateness (GST_BASE_SINK (self), -1);
}

/* ---- B's jitter buffer ---- */

typedef struct
{
  guint64 pushed, lost, late, duplicates;
  gboolean found;
} JitterStats;

static void
add_jitter_stats (const GValue *item, gpointer data)
{
  JitterStats *j = data;
  GstElement *e = g_value_get_object (item);
  GstElementFactory *f = gst_element_get_factory (e);
  if (f == NULL
      || g_strcmp0 (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (f)), "rtpjitterbuffer") != 0)
    return;
  GstStructure *s = NULL;
  g_object_get (e, "stats", &s, NULL);
  if (s == NULL)
    return;
  guint64 v;
  if (gst_structure_get_uint64 (s, "num-pushed", &v))
    j->pushed += v;
  if (gst_structure_get_uint64 (s, "num-lost", &v))
    j->lost += v;
  if (gst_structure_get_uint64 (s, "num-late", &v))
    j->late += v;
  if (gst_structure_get_uint64 (s, "num-duplicates", &v))
    j->duplicates += v;
  j->found = TRUE;
  gst_structure_free (s);
}

/* The statistics of the jitter buffers in B's pipeline (one per stream of
 * A), found from B's sink: CallMedia does not show its pipeline. */
static JitterStats
jitter_stats (void)
{
  JitterStats j = { 0 };
  g_autoptr (GstElement) ear = g_weak_ref_get (&bench.ear);
  if (ear == NULL)
    return j;
  GstObject *top = gst_object_ref (GST_OBJECT (ear));
  GstObject *parent;
  while ((parent = gst_object_get_parent (top)) != NULL)
    {
      gst_object_unref (top);
      top = parent;
    }
  if (GST_IS_BIN (top))
    {
      g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (top));
      while (gst_iterator_foreach (it, add_jitter_stats, &j) == GST_ITERATOR_RESYNC)
        {
          j = (JitterStats){ 0 };
          gst_iterator_resync (it);
        }
    }
  gst_object_unref (top);
  return j;
}

/* ---- statistics ---- */

typedef struct
{
  double p50, p95, min, max, mean;
  guint n;
} Summary;

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* nearest-rank percentiles */
static Summary
summarize (GArray *values)
{
  Summary s = { 0 };
  s.n = values->len;
  if (s.n == 0)
    return s;
  g_array_sort (values, cmp_double);
  double *v = (double *) values->data, sum = 0;
  for (guint i = 0; i < s.n; i++)
    sum += v[i];
  s.mean = sum / s.n;
  s.min = v[0];
  s.max = v[s.n - 1];
  s.p50 = v[(guint) ceil (0.50 * s.n) - 1];
  s.p95 = v[(guint) ceil (0.95 * s.n) - 1];
  return s;
}

static void
print_summary (const char *name, GArray *values, gboolean last)
{
  Summary s = summarize (values);
  if (s.n == 0)
    printf ("      \"%s\": null%s\n", name, last ? "" : ",");
  else
    printf ("      \"%s\": {\"p50\": %.1f, \"p95\": %.1f, \"min\": %.1f, \"max\": %.1f, "
            "\"mean\": %.1f}%s\n",
            name, s.p50, s.p95, s.min, s.max, s.mean, last ? "" : ",");
}

static double
to_ms (GstClockTimeDiff d)
{
  return (double) d / GST_MSECOND;
}

/* ---- one run ---- */

typedef struct
{
  guint latency_ms;
  gboolean aec;
  gboolean adaptive; /* CallMedia's default: the jitter buffer follows the path */
} RunConfig;

static guint
sent_count (void)
{
  g_mutex_lock (&bench.lock);
  guint n = bench.sent->len;
  g_mutex_unlock (&bench.lock);
  return n;
}

/* The click sent last before @found, when at most MAX_MATCH_NS before;
 * NULL for a click of before the run or after its last click. */
static SentClick *
match_click (const FoundClick *found)
{
  SentClick *sent = (SentClick *) bench.sent->data;
  for (guint j = bench.sent->len; j > 0; j--)
    if (sent[j - 1].sent <= found->time)
      return found->time - sent[j - 1].sent <= MAX_MATCH_NS ? &sent[j - 1] : NULL;
  return NULL;
}

/* Runs one call; prints its JSON object.  FALSE when nothing could be
 * measured (the call failed, or no click came through). */
static gboolean
run_one (const RunConfig *config, guint clicks, gboolean last)
{
  Call call;
  call_init (&call, 440, 1000);
  g_autofree char *source_a =
      g_strdup_printf ("audiotestsrc is-live=true wave=ticks freq=%d sine-periods-per-tick=%d "
                       "tick-interval=%" G_GUINT64_FORMAT " volume=%g samplesperbuffer=%d ! "
                       "capsfilter caps=\"%s\" ! chorusclickmark",
                       CLICK_FREQ, CLICK_PERIODS, (guint64) CLICK_INTERVAL_MS * GST_MSECOND,
                       CLICK_VOLUME, SOURCE_BUFFER_SAMPLES, CLICK_CAPS);
  g_autofree char *source_b = g_strdup_printf (
      "audiotestsrc is-live=true wave=silence samplesperbuffer=%d ! capsfilter caps=\"%s\"",
      SOURCE_BUFFER_SAMPLES, CLICK_CAPS);
  /* the queue stands for an audio sink's ring buffer: what comes before
   * its time waits there, not in the jitter buffer */
  g_autofree char *sink_b =
      g_strdup_printf ("chorusclickmark arrival=true ! queue max-size-buffers=0 max-size-bytes=0 "
                       "max-size-time=%" G_GUINT64_FORMAT " ! chorusclickear",
                       (guint64) SINK_QUEUE_MS * GST_MSECOND);
  g_object_set (call.a.media, "source", source_a, "sink", "fakesink", "latency", config->latency_ms,
                "echo-cancel", config->aec, "adaptive-latency", config->adaptive, NULL);
  g_object_set (call.b.media, "source", source_b, "sink", sink_b, "latency", config->latency_ms,
                "echo-cancel", config->aec, "adaptive-latency", config->adaptive, NULL);

  g_mutex_lock (&bench.lock);
  g_array_set_size (bench.sent, 0);
  g_array_set_size (bench.arrivals, 0);
  g_array_set_size (bench.played, 0);
  bench.buffers = bench.late_buffers = bench.arrived = bench.arrived_late = 0;
  bench.min_slack_ms = 0;
  bench.armed = bench.sending = FALSE;
  g_mutex_unlock (&bench.lock);

  call_start (&call, TRUE);
  gboolean connected = call_wait_connected (&call, 30000);
  if (connected)
    {
      /* the jitter buffer settles, the sink prerolls, the latency is set */
      call_run (WARMUP_MS);
      g_mutex_lock (&bench.lock);
      bench.armed = bench.sending = TRUE;
      g_mutex_unlock (&bench.lock);
      gint64 deadline =
          g_get_monotonic_time () + ((gint64) clicks * CLICK_INTERVAL_MS * 3 + 10000) * 1000;
      while (sent_count () < clicks && call.a.failed == NULL && call.b.failed == NULL
             && g_get_monotonic_time () < deadline)
        call_run (50);
      g_mutex_lock (&bench.lock);
      /* no new click from now on; the last ones still to be heard */
      bench.sending = FALSE;
      if (bench.sent->len > clicks)
        g_array_set_size (bench.sent, clicks);
      g_mutex_unlock (&bench.lock);
      call_run (CLICK_INTERVAL_MS);
    }
  g_mutex_lock (&bench.lock);
  bench.armed = bench.sending = FALSE;
  g_mutex_unlock (&bench.lock);
  gboolean failed = call.a.failed != NULL || call.b.failed != NULL;
  if (failed)
    g_printerr ("# the call failed: %s\n",
                (call.a.failed != NULL ? call.a.failed : call.b.failed)->message);
  CallMediaStats stats;
  call_media_stats_init (&stats);
  gint64 receive_latency = -1;
  JitterStats jitter = { 0 };
  if (connected)
    {
      call_media_get_stats (call.b.media, &stats);
      g_object_get (call.b.media, "receive-latency", &receive_latency, NULL);
      jitter = jitter_stats ();
    }
  call_stop (&call);
  call_clear (&call);

  /* each click found belongs to the last one sent before it; a second
   * onset within one interval is not a click */
  g_autoptr (GArray) m2e = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) to_sink = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) wait = g_array_new (FALSE, FALSE, sizeof (double));
  guint late = 0, spurious = 0;
  GstClockTime pipeline_latency = GST_CLOCK_TIME_NONE;
  for (guint i = 0; i < bench.arrivals->len; i++)
    {
      const FoundClick *f = &g_array_index (bench.arrivals, FoundClick, i);
      SentClick *s = match_click (f);
      if (s == NULL || s->arrived)
        continue;
      s->arrived = TRUE;
      s->arrival = f->time;
      double d = to_ms (GST_CLOCK_DIFF (s->sent, f->time));
      g_array_append_val (to_sink, d);
    }
  for (guint i = 0; i < bench.played->len; i++)
    {
      const FoundClick *f = &g_array_index (bench.played, FoundClick, i);
      SentClick *s = match_click (f);
      if (s == NULL)
        continue;
      if (s->heard)
        {
          spurious++;
          continue;
        }
      s->heard = TRUE;
      double d = to_ms (GST_CLOCK_DIFF (s->sent, f->time));
      g_array_append_val (m2e, d);
      if (s->arrived)
        {
          d = to_ms (GST_CLOCK_DIFF (s->arrival, f->time));
          g_array_append_val (wait, d);
        }
      /* an audio sink would have skipped it */
      if (GST_CLOCK_TIME_IS_VALID (f->due) && f->time > f->due + LATE_NS)
        late++;
      pipeline_latency = f->latency;
    }
  printf ("    {\n");
  guint jitter_buffer_ms = 0;
  g_object_get (call.b.media, "jitter-buffer-latency", &jitter_buffer_ms, NULL);
  printf ("      \"adaptive\": %s,\n", config->adaptive ? "true" : "false");
  printf ("      \"latency_ms\": %u,\n", config->adaptive ? jitter_buffer_ms : config->latency_ms);
  /* CallMedia goes without when webrtcdsp is not installed */
  g_autoptr (GstElementFactory) dsp = gst_element_factory_find ("webrtcdsp");
  printf ("      \"echo_cancel\": %s,\n", config->aec && dsp != NULL ? "true" : "false");
  printf ("      \"clicks_sent\": %u,\n", bench.sent->len);
  printf ("      \"clicks_heard\": %u,\n", m2e->len);
  printf ("      \"spurious\": %u,\n", spurious);
  printf ("      \"late\": %u,\n", late);
  printf ("      \"buffers_played\": %u,\n", bench.buffers);
  printf ("      \"buffers_late\": %u,\n", bench.late_buffers);
  printf ("      \"buffers_arrived_late\": %u,\n", bench.arrived_late);
  printf ("      \"min_arrival_slack_ms\": %.1f,\n", bench.min_slack_ms);
  if (GST_CLOCK_TIME_IS_VALID (pipeline_latency))
    printf ("      \"sink_pipeline_latency_ms\": %.1f,\n", to_ms (pipeline_latency));
  else
    printf ("      \"sink_pipeline_latency_ms\": null,\n");
  printf ("      \"receive_latency_ms\": %" G_GINT64_FORMAT ",\n", receive_latency);
  if (jitter.found)
    printf ("      \"jitter_buffer\": {\"pushed\": %" G_GUINT64_FORMAT
            ", \"lost\": %" G_GUINT64_FORMAT ", \"late\": %" G_GUINT64_FORMAT
            ", \"duplicates\": %" G_GUINT64_FORMAT "},\n",
            jitter.pushed, jitter.lost, jitter.late, jitter.duplicates);
  else
    printf ("      \"jitter_buffer\": null,\n");
  printf ("      \"packets_received\": %" G_GUINT64_FORMAT ",\n", stats.packets_received);
  printf ("      \"packets_lost\": %" G_GINT64_FORMAT ",\n", stats.packets_lost);
  guint heard = m2e->len;
  print_summary ("mouth_to_ear_ms", m2e, FALSE);
  print_summary ("to_sink_input_ms", to_sink, FALSE);
  print_summary ("sink_wait_ms", wait, TRUE);
  printf ("    }%s\n", last ? "" : ",");
  fflush (stdout);
  return connected && !failed && heard > 0;
}

static gboolean
parse_runs (const char *text, GArray *runs)
{
  g_auto (GStrv) items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      RunConfig r = { 0 };
      if (g_str_equal (items[i], "adaptive"))
        {
          r.adaptive = TRUE;
          r.latency_ms = MEDIA_PIPELINE_DEFAULT_LATENCY_MS;
          g_array_append_val (runs, r);
          continue;
        }
      char *end = NULL;
      guint64 ms = g_ascii_strtoull (items[i], &end, 10);
      if (end == items[i] || ms < 10 || ms > MAX_LATENCY_MS)
        return FALSE;
      if (g_strcmp0 (end, "+aec") == 0)
        r.aec = TRUE;
      else if (*end != '\0')
        return FALSE;
      r.latency_ms = (guint) ms;
      g_array_append_val (runs, r);
    }
  return runs->len > 0;
}

int
main (int argc, char **argv)
{
  gint clicks = DEFAULT_CLICKS;
  g_autofree char *runs_text = NULL;
  GOptionEntry entries[] = {
    { "clicks", 0, 0, G_OPTION_ARG_INT, &clicks, "Clicks per run (24)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_STRING, &runs_text,
      "Jitter buffer latencies in ms, +aec for echo cancellation (" DEFAULT_RUNS ")", "LIST" },
    { NULL },
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("- mouth-to-ear latency of a call");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  g_autoptr (GArray) runs = g_array_new (FALSE, FALSE, sizeof (RunConfig));
  if (clicks < 1 || !parse_runs (runs_text != NULL ? runs_text : DEFAULT_RUNS, runs))
    {
      g_printerr ("--clicks: at least 1; --runs: e.g. 20,40,60,60+aec (10..%d ms)\n",
                  MAX_LATENCY_MS);
      return 2;
    }
  gst_init (&argc, &argv);
  if (!gst_element_register (NULL, "chorusclickmark", GST_RANK_NONE, CHORUS_TYPE_CLICK_MARK)
      || !gst_element_register (NULL, "chorusclickear", GST_RANK_NONE, CHORUS_TYPE_CLICK_EAR))
    {
      g_printerr ("cannot register the click elements\n");
      return 1;
    }
  g_mutex_init (&bench.lock);
  g_weak_ref_init (&bench.ear, NULL);
  bench.sent = g_array_new (FALSE, FALSE, sizeof (SentClick));
  bench.arrivals = g_array_new (FALSE, FALSE, sizeof (FoundClick));
  bench.played = g_array_new (FALSE, FALSE, sizeof (FoundClick));
  bench.clock = gst_system_clock_obtain ();

  gboolean ok = TRUE;
  printf ("{\n");
  printf ("  \"benchmark\": \"bench-latency\",\n");
  printf ("  \"path\": \"127.0.0.1, ICE host pair, DTLS-SRTP\",\n");
  printf ("  \"codec\": \"opus\",\n");
  printf ("  \"frame_ms\": 20,\n");
  printf ("  \"source_period_ms\": %d,\n", SOURCE_BUFFER_SAMPLES * 1000 / RATE);
  printf ("  \"click_interval_ms\": %d,\n", CLICK_INTERVAL_MS);
#ifdef __SANITIZE_ADDRESS__
  printf ("  \"sanitized\": true,\n");
#endif
  printf ("  \"runs\": [\n");
  for (guint i = 0; i < runs->len; i++)
    if (!run_one (&g_array_index (runs, RunConfig, i), (guint) clicks, i + 1 == runs->len))
      ok = FALSE;
  printf ("  ],\n");
  printf ("  \"clock\": \"%s\"\n", g_atomic_int_get (&bench.other_clock) ? "differs" : "system");
  printf ("}\n");
  if (g_atomic_int_get (&bench.other_clock))
    {
      g_printerr ("a pipeline ran on another clock than the system clock: times not comparable\n");
      ok = FALSE;
    }

  gst_object_unref (bench.clock);
  g_array_unref (bench.sent);
  g_array_unref (bench.arrivals);
  g_array_unref (bench.played);
  g_weak_ref_clear (&bench.ear);
  g_mutex_clear (&bench.lock);
  return ok ? 0 : 1;
}
