/* test-call-media.c: two CallMedia instances calling each other on
 * 127.0.0.1 with real ICE (libnice), DTLS-SRTP (GnuTLS) and audio
 * (GStreamer): A plays 440 Hz, B 1000 Hz, each records what it hears.
 *
 * Measured numbers (set-up time, RTT) are printed as "#" lines, never
 * asserted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>

#include <glib/gstdio.h>

#include "call-media-fixture.h"
#include "media-jitter-adapt.h"

#define FREQ_A 440.0
#define FREQ_B 1000.0
/* silence as opusdec gives it back */
#define MAX_SILENT_RMS 50.0

static void
assert_hears (const char *path, double freq, double skip_s)
{
  recording_assert_tone (path, freq, skip_s);
}

/* ---- what goes on the wire ---- */

#define MAX_TAPPED 64

typedef struct
{
  GMutex lock;
  /* plain RTP before srtpenc, by sequence number */
  GHashTable *plain; /* seq -> GBytes */
  guint wire_rtp, wire_rtcp, wire_in;
  guint matched;         /* wire packets whose plain twin was seen */
  guint header_same;     /* ... with the same 12-byte header */
  guint payload_differs; /* ... and a different payload */
  guint tag_80;          /* ... exactly 10 bytes longer (the auth tag) */
  guint wire_in_plain;   /* incoming packets equal to a plain one */
} Tap;

static void
on_tap (CallMediaTapPoint point, const guint8 *data, gsize len, gpointer user_data)
{
  Tap *tap = user_data;
  if (len < 12)
    return;
  guint16 seq = (guint16) (data[2] << 8 | data[3]);
  gboolean rtcp = data[1] >= 192 && data[1] <= 223;
  g_mutex_lock (&tap->lock);
  if (point == CALL_MEDIA_TAP_RTP_OUT)
    {
      if (g_hash_table_size (tap->plain) < MAX_TAPPED)
        g_hash_table_insert (tap->plain, GUINT_TO_POINTER (seq), g_bytes_new (data, len));
    }
  else if (point == CALL_MEDIA_TAP_WIRE_OUT)
    {
      if (rtcp)
        tap->wire_rtcp++;
      else
        {
          tap->wire_rtp++;
          GBytes *plain = g_hash_table_lookup (tap->plain, GUINT_TO_POINTER (seq));
          if (plain != NULL)
            {
              gsize plen;
              const guint8 *p = g_bytes_get_data (plain, &plen);
              tap->matched++;
              if (memcmp (p, data, 12) == 0)
                tap->header_same++;
              if (len >= plen && memcmp (p + 12, data + 12, plen - 12) != 0)
                tap->payload_differs++;
              /* RFC 3711 §4.2 with SRTP_AES128_CM_HMAC_SHA1_80: an 80-bit tag */
              if (len == plen + 10)
                tap->tag_80++;
            }
        }
    }
  else
    tap->wire_in++;
  g_mutex_unlock (&tap->lock);
}

/* ---- the tests ---- */

static void
print_numbers (Call *call)
{
  gint64 a = -1, b = -1;
  g_object_get (call->a.media, "setup-time", &a, NULL);
  g_object_get (call->b.media, "setup-time", &b, NULL);
  /* ICE + DTLS, from the remote credentials to media */
  g_test_message ("setup: A %" G_GINT64_FORMAT " ms, B %" G_GINT64_FORMAT " ms", a, b);
  printf ("# setup_ms (ICE+DTLS, loopback) A %" G_GINT64_FORMAT " B %" G_GINT64_FORMAT "\n", a, b);
  fflush (stdout);
}

static void
test_opus_call (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  Tap tap = { .plain = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_bytes_unref) };
  g_mutex_init (&tap.lock);
  call_media_set_packet_tap (call.a.media, on_tap, &tap);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  print_numbers (&call);
  g_autofree char *profile = NULL;
  g_object_get (call.a.media, "srtp-profile", &profile, NULL);
  g_assert_cmpstr (profile, ==, "SRTP_AES128_CM_HMAC_SHA1_80");
  g_autofree char *pair = NULL;
  g_object_get (call.a.media, "selected-pair", &pair, NULL);
  g_test_message ("selected pair: %s", pair);
  g_assert_nonnull (pair);

  /* ~3 s of audio, then until both ends know the RTT (RTCP every second) */
  g_assert_cmpuint (call_wait_received (&call.a, 150, 20000), >=, 150);
  g_assert_cmpuint (call_wait_received (&call.b, 150, 20000), >=, 150);
  gint64 deadline = g_get_monotonic_time () + 8 * G_TIME_SPAN_SECOND;
  while ((!isfinite (call.a.stats.rtt_ms) || !isfinite (call.b.stats.rtt_ms))
         && g_get_monotonic_time () < deadline)
    call_run (100);
  g_assert_null (call.a.failed);
  g_assert_null (call.b.failed);

  /* statistics from RTCP (RFC 3550 §6.4) */
  CallMediaStats sa, sb;
  g_assert_true (call_media_get_stats (call.a.media, &sa));
  g_assert_true (call_media_get_stats (call.b.media, &sb));
  g_assert_cmpuint (call.a.n_stats, >, 0);
  g_assert_cmpuint (sa.packets_received, >, 0);
  g_assert_cmpuint (sb.packets_received, >, 0);
  g_assert_cmpuint (sa.packets_sent, >, 0);
  g_assert_cmpuint (sa.remote_ssrc, ==, sb.local_ssrc);
  g_assert_true (isfinite (call.a.stats.rtt_ms));
  g_assert_true (isfinite (call.b.stats.rtt_ms));
  g_assert_cmpfloat (call.a.stats.rtt_ms, >=, 0);
  printf ("# rtt_ms A %.2f B %.2f; jitter_ms A %.2f B %.2f; packets A sent %" G_GUINT64_FORMAT
          " received %" G_GUINT64_FORMAT ", lost %" G_GINT64_FORMAT "\n",
          call.a.stats.rtt_ms, call.b.stats.rtt_ms, sa.jitter_ms, sb.jitter_ms, sa.packets_sent,
          sa.packets_received, sa.packets_lost);
  fflush (stdout);
  g_autoptr (GVariant) v = g_variant_ref_sink (call_media_stats_to_variant (&call.a.stats));
  g_autofree char *text = g_variant_print (v, FALSE);
  g_test_message ("A's stats: %s", text);

  /* SRTP on the wire, not RTP: each packet handed to ICE has the RTP header
   * of its plain twin (RFC 3711 §3.1 encrypts the payload only), a
   * different payload and the 80-bit tag */
  g_mutex_lock (&tap.lock);
  g_test_message ("tap: %u RTP and %u RTCP out, %u in, %u matched", tap.wire_rtp, tap.wire_rtcp,
                  tap.wire_in, tap.matched);
  g_assert_cmpuint (tap.matched, >=, 20);
  g_assert_cmpuint (tap.header_same, ==, tap.matched);
  g_assert_cmpuint (tap.payload_differs, ==, tap.matched);
  g_assert_cmpuint (tap.tag_80, ==, tap.matched);
  g_assert_cmpuint (tap.wire_rtcp, >, 0);
  g_assert_cmpuint (tap.wire_in, >, 0);
  g_mutex_unlock (&tap.lock);
  call_media_set_packet_tap (call.a.media, NULL, NULL);

  call_stop (&call);
  /* each hears the other's tone */
  assert_hears (call.a.wav, FREQ_B, 0.5);
  assert_hears (call.b.wav, FREQ_A, 0.5);
  g_hash_table_unref (tap.plain);
  g_mutex_clear (&tap.lock);
  call_clear (&call);
}

static void
test_pcmu_call (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_object_set (call.a.media, "codec", CALL_MEDIA_CODEC_PCMU, NULL);
  g_object_set (call.b.media, "codec", CALL_MEDIA_CODEC_PCMA, NULL);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 120, 20000), >=, 120);
  g_assert_cmpuint (call_wait_received (&call.b, 120, 20000), >=, 120);
  call_stop (&call);
  assert_hears (call.a.wav, FREQ_B, 0.4);
  assert_hears (call.b.wav, FREQ_A, 0.4);
  call_clear (&call);
}

/* ---- the latency the playback runs at ---- */

/* A sink that plays on the clock, as an audio sink does, with a processing
 * deadline of its own (GstBaseSink's default is 20 ms; another value shows
 * that it is counted once) */
#define SINK_DEADLINE_MS 15

static gint64
receive_latency (Peer *peer)
{
  gint64 ms = -2;
  g_object_get (peer->media, "receive-latency", &ms, NULL);
  return ms;
}

/* The latency audioresample reports (its filter's delay) from @rate to
 * 48 kHz, in µs: a LATENCY query before and after one in a small live
 * pipeline. */
static gint64
resampler_latency_us (guint rate)
{
  g_autofree char *description = g_strdup_printf (
      "audiotestsrc is-live=true ! capsfilter name=in caps=audio/x-raw,format=S16LE,rate=%u,"
      "channels=1 ! audioresample name=resample ! capsfilter caps=audio/x-raw,rate=48000 ! "
      "fakesink sync=true",
      rate);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND);
  GstClockTime at[2];
  const char *names[] = { "in", "resample" };
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GstElement) e = gst_bin_get_by_name (GST_BIN (pipeline), names[i]);
      g_autoptr (GstPad) pad = gst_element_get_static_pad (e, "src");
      g_autoptr (GstQuery) query = gst_query_new_latency ();
      g_assert_true (gst_pad_query (pad, query));
      gst_query_parse_latency (query, NULL, &at[i], NULL);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpuint (at[1], >=, at[0]);
  return (gint64) ((at[1] - at[0]) / GST_USECOND);
}

/* The pipeline latency is the sum of what the receive branch holds: the
 * jitter buffer's "latency", @decoder_ms in the decoder, the resampler's
 * filter (G.711's 8 kHz to the common 48 kHz), the sink's deadline.  Read
 * from LATENCY queries, not measured on the clock: the same on any
 * machine. */
static void
check_receive_latency (CallMediaCodec codec, guint decoder_ms)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_autofree char *sink =
      g_strdup_printf ("fakesink sync=true processing-deadline=%" G_GUINT64_FORMAT,
                       (guint64) SINK_DEADLINE_MS * G_TIME_SPAN_MILLISECOND * 1000);
  /* the accounting, at a fixed latency (the adaptation has its own test) */
  g_object_set (call.a.media, "codec", codec, "sink", sink, "adaptive-latency", FALSE, NULL);
  g_object_set (call.b.media, "codec", codec, "sink", sink, "adaptive-latency", FALSE, NULL);
  g_assert_cmpint (receive_latency (&call.b), ==, -1);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.b, 10, 20000), >=, 10);
  /* the sinks answer once they have played their first audio */
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while ((receive_latency (&call.a) < 0 || receive_latency (&call.b) < 0)
         && g_get_monotonic_time () < deadline)
    call_run (20);
  guint jitter_ms = 0;
  g_object_get (call.b.media, "latency", &jitter_ms, NULL);
  printf ("# receive_latency_ms %s: A %" G_GINT64_FORMAT " B %" G_GINT64_FORMAT
          " (jitter buffer %u)\n",
          codec == CALL_MEDIA_CODEC_OPUS ? "opus" : "g711", receive_latency (&call.a),
          receive_latency (&call.b), jitter_ms);
  fflush (stdout);
  gint64 resampler_us = codec == CALL_MEDIA_CODEC_OPUS ? 0 : resampler_latency_us (8000);
  /* CallMedia rounds to the millisecond */
  gint64 expected =
      (gint64) jitter_ms + decoder_ms + SINK_DEADLINE_MS + (resampler_us + 500) / 1000;
  g_assert_cmpint (receive_latency (&call.a), ==, expected);
  g_assert_cmpint (receive_latency (&call.b), ==, expected);
  g_assert_null (call.a.failed);
  g_assert_null (call.b.failed);
  call_stop (&call);
  call_clear (&call);
}

static void
test_receive_latency_opus (void)
{
  /* opusdec with in-band FEC holds one packet (20 ms), not the 120 ms it
   * reports itself */
  check_receive_latency (CALL_MEDIA_CODEC_OPUS, 20);
}

static void
test_receive_latency_g711 (void)
{
  /* mulawdec holds nothing */
  check_receive_latency (CALL_MEDIA_CODEC_PCMU, 0);
}

/* The adaptive jitter buffer (media-jitter-adapt.h, the default): it
 * starts at its lowest latency, and the playback follows what it is now
 * (the pipeline's latency is recalculated when it changes). */
static void
test_adaptive_latency (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_autofree char *sink =
      g_strdup_printf ("fakesink sync=true processing-deadline=%" G_GUINT64_FORMAT,
                       (guint64) SINK_DEADLINE_MS * G_TIME_SPAN_MILLISECOND * 1000);
  g_object_set (call.a.media, "sink", sink, "adaptive-latency", TRUE, NULL);
  g_object_set (call.b.media, "sink", sink, "adaptive-latency", TRUE, NULL);
  gboolean adaptive = FALSE;
  g_object_get (call.b.media, "adaptive-latency", &adaptive, NULL);
  g_assert_true (adaptive);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  guint start_ms = 0;
  g_object_get (call.b.media, "jitter-buffer-latency", &start_ms, NULL);
  g_assert_cmpuint (start_ms, ==, MEDIA_JITTER_MIN_MS);
  g_assert_cmpuint (call_wait_received (&call.b, 10, 20000), >=, 10);
  /* a few statistics intervals: it may move (a loaded machine drops late
   * packets), and the playback must follow */
  gint64 until = g_get_monotonic_time () + 3 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < until)
    call_run (50);
  gboolean matched = FALSE;
  for (guint attempt = 0; attempt < 20 && !matched; attempt++)
    {
      guint before = 0, after = 0;
      g_object_get (call.b.media, "jitter-buffer-latency", &before, NULL);
      gint64 playing = receive_latency (&call.b);
      g_object_get (call.b.media, "jitter-buffer-latency", &after, NULL);
      g_assert_cmpuint (before, >=, MEDIA_JITTER_MIN_MS);
      g_assert_cmpuint (before, <=, MEDIA_JITTER_MAX_MS);
      printf ("# jitter buffer %u ms, receive latency %" G_GINT64_FORMAT " ms\n", before, playing);
      /* Opus holds one 20 ms packet (test_receive_latency_opus) */
      matched = before == after && playing == (gint64) before + 20 + SINK_DEADLINE_MS;
      if (!matched)
        call_run (100);
    }
  g_assert_true (matched);
  g_assert_null (call.b.failed);
  call_stop (&call);
  call_clear (&call);
}

static void
test_wrong_fingerprint (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start (&call, TRUE);
  /* B is told another certificate's fingerprint for A (an attacker's
   * answer): RFC 5763 §5 makes the handshake fail */
  g_autoptr (CallMediaCertificate) other = call_media_certificate_new (NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (call_media_set_remote_fingerprint (
      call.b.media, call_media_certificate_get_fingerprint (other), &error));
  g_assert_no_error (error);
  call_wait_failed (&call, 10000);
  g_assert_false (call.a.connected);
  g_assert_false (call.b.connected);
  g_assert_error (call.b.failed, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT);
  /* A hears the bad_certificate alert */
  g_assert_error (call.a.failed, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS);
  g_assert_cmpint (call_media_get_state (call.a.media), ==, CALL_MEDIA_STATE_FAILED);
  /* a failed call stays failed: no more signals, stop is harmless */
  call_media_stop (call.a.media);
  g_assert_cmpint (call_media_get_state (call.a.media), ==, CALL_MEDIA_STATE_FAILED);
  call_clear (&call);
}

static void
test_late_fingerprint (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start (&call, FALSE);
  /* the fingerprints come later than ICE and the handshake (RFC 5763
   * §6.2): media waits for them */
  call_run (1000);
  g_assert_false (call.a.connected || call.b.connected);
  g_assert_null (call.a.failed);
  g_autoptr (GError) error = NULL;
  g_assert_true (call_media_set_remote_fingerprint (
      call.a.media, call_media_get_local_fingerprint (call.b.media), &error));
  g_assert_true (call_media_set_remote_fingerprint (
      call.b.media, call_media_get_local_fingerprint (call.a.media), &error));
  g_assert_no_error (error);
  g_assert_true (call_wait_connected (&call, 5000));
  call_stop (&call);
  call_clear (&call);
}

static void
test_mute (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_object_set (call.a.media, "mute", TRUE, NULL);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 120, 20000), >=, 120);
  g_assert_cmpuint (call_wait_received (&call.b, 120, 20000), >=, 120);
  call_stop (&call);
  /* A sends silence (the packets still flow); B hears A's silence */
  Recording r;
  g_assert_true (recording_load (call.b.wav, &r, NULL));
  const gint16 *s;
  gsize n;
  recording_window (&r, 0.3, &s, &n);
  g_assert_cmpuint (n, >, r.rate / 4);
  double rms = recording_rms (s, n);
  g_test_message ("B hears muted A: RMS %.1f over %.2f s", rms, (double) n / r.rate);
  g_assert_cmpfloat (rms, <, MAX_SILENT_RMS);
  recording_clear (&r);
  assert_hears (call.a.wav, FREQ_B, 0.4);
  call_clear (&call);
}

/* Devices switched during the call (a headset plugged in): A's microphone
 * becomes another source (a 700 Hz tone), B's speaker another sink (a
 * second recording); B's first recording has A's first tone, the second
 * one A's new tone; the call goes on. */
static void
test_switch_devices (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.b, 100, 20000), >=, 100);
  g_autofree char *second = g_strdup_printf ("%s-second.wav", call.b.wav);
  g_autofree char *sink = g_strdup_printf ("wavenc ! filesink location=\"%s\"", second);
  g_object_set (call.a.media, "source",
                "audiotestsrc wave=sine freq=700 volume=0.5 is-live=true samplesperbuffer=960 ! "
                "capsfilter caps=audio/x-raw,rate=48000",
                NULL);
  g_object_set (call.b.media, "sink", sink, NULL);
  guint64 before = 0;
  CallMediaStats s;
  g_assert_true (call_media_get_stats (call.b.media, &s));
  before = s.packets_received;
  g_assert_cmpuint (call_wait_received (&call.b, before + 100, 20000), >=, before + 100);
  gchar *sink_now = NULL;
  g_object_get (call.b.media, "sink", &sink_now, NULL);
  g_assert_cmpstr (sink_now, ==, sink);
  g_free (sink_now);
  call_stop (&call);
  g_assert_null (call.a.failed);
  g_assert_null (call.b.failed);
  assert_hears (call.b.wav, FREQ_A, 0.3);
  assert_hears (second, 700.0, 0.3);
  g_unlink (second);
  call_clear (&call);
}

static void
test_hold_resume (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  /* A holds B (RFC 3264 §8.4: A's SDP says sendonly, B's answer recvonly):
   * B must not send */
  g_object_set (call.a.media, "direction", CALL_MEDIA_DIRECTION_SENDONLY, NULL);
  g_object_set (call.b.media, "direction", CALL_MEDIA_DIRECTION_RECVONLY, NULL);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  call_run (1500);
  CallMediaStats sa;
  g_assert_true (call_media_get_stats (call.a.media, &sa));
  g_assert_cmpuint (sa.packets_received, ==, 0);
  /* resume: both sendrecv */
  g_object_set (call.a.media, "direction", CALL_MEDIA_DIRECTION_SENDRECV, NULL);
  g_object_set (call.b.media, "direction", CALL_MEDIA_DIRECTION_SENDRECV, NULL);
  g_assert_cmpuint (call_wait_received (&call.a, 100, 20000), >=, 100);
  call_stop (&call);
  assert_hears (call.b.wav, FREQ_A, 0.5);
  assert_hears (call.a.wav, FREQ_B, 0.3);
  call_clear (&call);
}

static void
test_dtmf (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  call_run (300);
  g_autoptr (GError) error = NULL;
  const char *digits = "15#";
  for (const char *d = digits; *d != '\0'; d++)
    {
      g_assert_true (call_media_start_dtmf (call.a.media, *d, &error));
      g_assert_no_error (error);
      call_run (150);
      call_media_stop_dtmf (call.a.media);
      call_run (150);
    }
  call_run (300);
  g_assert_cmpstr (call.b.dtmf->str, ==, digits);
  g_assert_false (call_media_start_dtmf (call.a.media, 'x', &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  call_stop (&call);
  call_clear (&call);
}

static void
test_peer_closes (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 60, 20000), >=, 60);
  /* B hangs up: its close_notify (RFC 5246 §7.2.1) ends A's media at once,
   * with CLOSED rather than after the 30 s of consent freshness */
  call_media_stop (call.b.media);
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (call.a.failed == NULL && g_get_monotonic_time () < deadline)
    call_run (20);
  g_assert_error (call.a.failed, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_CLOSED);
  g_assert_null (call.b.failed);
  g_assert_cmpint (call_media_get_state (call.a.media), ==, CALL_MEDIA_STATE_FAILED);
  g_assert_cmpint (call_media_get_state (call.b.media), ==, CALL_MEDIA_STATE_CLOSED);
  /* what A heard until then is a finished WAV file */
  assert_hears (call.a.wav, FREQ_B, 0.2);
  call_clear (&call);
}

static void
test_echo_cancel (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_object_set (call.a.media, "echo-cancel", TRUE, NULL);
  g_object_set (call.b.media, "echo-cancel", TRUE, NULL);
  call_start (&call, TRUE);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.b, 50, 20000), >=, 50);
  g_assert_null (call.a.failed);
  call_stop (&call);
  call_clear (&call);
}

static void
test_ice_timeout (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_object_set (call.a.media, "connect-timeout", 1500, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (call_media_start (call.a.media, &error));
  /* a peer whose only candidate is a socket that never answers */
  g_autoptr (GSocket) silent =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (silent, any, FALSE, &error));
  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (silent, &error);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_assert_true (
      call_media_set_remote_credentials (call.a.media, "abcd", "0123456789abcdef012345", &error));
  g_autofree char *cand =
      g_strdup_printf ("candidate:1 1 UDP 2130706431 127.0.0.1 %u typ host", port);
  g_assert_true (call_media_add_remote_candidate (call.a.media, cand, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (call.a.failed == NULL && g_get_monotonic_time () < deadline)
    call_run (50);
  g_assert_nonnull (call.a.failed);
  g_assert_true (g_error_matches (call.a.failed, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_TIMEOUT)
                 || g_error_matches (call.a.failed, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_ICE));
  call_clear (&call);
}

static void
test_bad_arguments (void)
{
  g_autoptr (CallMedia) m = call_media_new (TRUE, CALL_MEDIA_DTLS_SERVER);
  g_autoptr (GError) error = NULL;
  /* not started yet */
  g_assert_false (call_media_set_remote_credentials (m, "abcd", "0123456789abcdef012345", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  /* a source that does not parse fails at start, not at ::connected */
  g_object_set (m, "source", "no-such-element-here", NULL);
  g_assert_false (call_media_start (m, &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  g_object_set (m, "source", NULL, "local-addresses", (const char *[]){ "127.0.0.1", NULL }, NULL);
  g_assert_true (call_media_start (m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (call_media_get_state (m), ==, CALL_MEDIA_STATE_GATHERING);
  /* RFC 8839 §5.4 limits */
  g_assert_false (call_media_set_remote_credentials (m, "abc", "0123456789abcdef012345", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (call_media_set_remote_credentials (m, "abcd", "short", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (call_media_add_remote_candidate (m, "candidate:x", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (call_media_set_remote_fingerprint (m, "sha-256 00:11", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  /* TCP and component 2 are skipped, not errors */
  g_assert_true (call_media_add_remote_candidate (
      m, "candidate:1 2 UDP 2130706431 127.0.0.1 5000 typ host", &error));
  g_assert_true (call_media_add_remote_candidate (
      m, "candidate:1 1 TCP 2130706431 127.0.0.1 9 typ host tcptype active", &error));
  g_assert_no_error (error);
  /* stopping before anything connected */
  call_media_stop (m);
  g_assert_cmpint (call_media_get_state (m), ==, CALL_MEDIA_STATE_CLOSED);
  g_assert_false (call_media_add_remote_candidate (
      m, "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host", &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/call-media/opus-call", test_opus_call);
  g_test_add_func ("/call-media/g711-call", test_pcmu_call);
  g_test_add_func ("/call-media/receive-latency/opus", test_receive_latency_opus);
  g_test_add_func ("/call-media/receive-latency/g711", test_receive_latency_g711);
  g_test_add_func ("/call-media/adaptive-latency", test_adaptive_latency);
  g_test_add_func ("/call-media/wrong-fingerprint", test_wrong_fingerprint);
  g_test_add_func ("/call-media/late-fingerprint", test_late_fingerprint);
  g_test_add_func ("/call-media/mute", test_mute);
  g_test_add_func ("/call-media/switch-devices", test_switch_devices);
  g_test_add_func ("/call-media/hold-resume", test_hold_resume);
  g_test_add_func ("/call-media/dtmf", test_dtmf);
  g_test_add_func ("/call-media/peer-closes", test_peer_closes);
  g_test_add_func ("/call-media/echo-cancel", test_echo_cancel);
  g_test_add_func ("/call-media/ice-timeout", test_ice_timeout);
  g_test_add_func ("/call-media/bad-arguments", test_bad_arguments);
  return g_test_run ();
}
