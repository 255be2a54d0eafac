/* call-media-fixture.c: two CallMedia instances on 127.0.0.1 and their
 * recordings (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "call-media-fixture.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static void
on_gathered (CallMedia *media, gpointer data)
{
  ((Peer *) data)->gathered = TRUE;
}

static void
on_connected (CallMedia *media, gpointer data)
{
  ((Peer *) data)->connected = TRUE;
}

static void
on_failed (CallMedia *media, const GError *error, gpointer data)
{
  Peer *peer = data;
  g_assert_null (peer->failed); /* once */
  peer->failed = g_error_copy (error);
  g_test_message ("%s failed: %s", peer->name, error->message);
}

static void
on_stats (CallMedia *media, const CallMediaStats *stats, gpointer data)
{
  Peer *peer = data;
  peer->n_stats++;
  peer->stats = *stats;
}

static void
on_dtmf (CallMedia *media, gchar digit, gpointer data)
{
  g_string_append_c (((Peer *) data)->dtmf, digit);
}

static void
peer_init (Peer *peer, const char *name, const char *dir, gboolean offerer, double freq)
{
  memset (peer, 0, sizeof *peer);
  peer->name = name;
  peer->dtmf = g_string_new (NULL);
  peer->wav = g_strdup_printf ("%s/%s.wav", dir, name);
  /* RFC 8445 §6.1.1: the offerer controls; RFC 5763 §5: the answerer is
   * active (DTLS client) */
  peer->media = call_media_new (offerer, offerer ? CALL_MEDIA_DTLS_SERVER : CALL_MEDIA_DTLS_CLIENT);
  const char *local[] = { "127.0.0.1", NULL };
  /* 20 ms buffers, as a sound card gives them (at 8 kHz the test source
   * would make 120 ms ones, and bursts of six packets that a 60 ms jitter
   * buffer partly drops as late) */
  g_autofree char *source = g_strdup_printf ("audiotestsrc wave=sine freq=%g volume=0.5 "
                                             "is-live=true samplesperbuffer=960 ! "
                                             "capsfilter caps=audio/x-raw,rate=48000",
                                             freq);
  g_autofree char *sink = g_strdup_printf ("wavenc ! filesink location=\"%s\"", peer->wav);
  g_object_set (peer->media, "local-addresses", local, "source", source, "sink", sink,
                "echo-cancel", FALSE, NULL);
#ifdef __SANITIZE_ADDRESS__
  /* AddressSanitizer slows the pipelines down several times, and packets
   * leave in bursts that a 60 ms jitter buffer partly drops as late: the
   * recordings would have holes that say nothing about the code */
  g_object_set (peer->media, "latency", 300, "adaptive-latency", FALSE, NULL);
#endif
  g_signal_connect (peer->media, "gathered", G_CALLBACK (on_gathered), peer);
  g_signal_connect (peer->media, "connected", G_CALLBACK (on_connected), peer);
  g_signal_connect (peer->media, "failed", G_CALLBACK (on_failed), peer);
  g_signal_connect (peer->media, "stats", G_CALLBACK (on_stats), peer);
  g_signal_connect (peer->media, "dtmf-received", G_CALLBACK (on_dtmf), peer);
}

static void
peer_clear (Peer *peer)
{
  g_clear_object (&peer->media);
  g_clear_error (&peer->failed);
  if (peer->wav != NULL)
    g_unlink (peer->wav);
  g_clear_pointer (&peer->wav, g_free);
  g_string_free (peer->dtmf, TRUE);
}

void
call_init (Call *call, double freq_a, double freq_b)
{
  memset (call, 0, sizeof *call);
  g_autoptr (GError) error = NULL;
  call->dir = g_dir_make_tmp ("chorus-media-XXXXXX", &error);
  g_assert_no_error (error);
  peer_init (&call->a, "a", call->dir, TRUE, freq_a);
  peer_init (&call->b, "b", call->dir, FALSE, freq_b);
}

void
call_clear (Call *call)
{
  peer_clear (&call->a);
  peer_clear (&call->b);
  g_rmdir (call->dir);
  g_free (call->dir);
  /* what the calls left on the context (idle sources of torn-down parts) */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
hand_over (Peer *from, Peer *to, gboolean fingerprint)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ufrag = NULL, *pwd = NULL;
  call_media_get_local_credentials (from->media, &ufrag, &pwd);
  g_assert_nonnull (ufrag);
  g_assert_true (call_media_set_remote_credentials (to->media, ufrag, pwd, &error));
  g_assert_no_error (error);
  g_auto (GStrv) candidates = call_media_get_local_candidates (from->media);
  g_assert_cmpuint (g_strv_length (candidates), >, 0);
  for (guint i = 0; candidates[i] != NULL; i++)
    {
      /* as an SDP parser would hand them over: "a=candidate:..." */
      g_autofree char *line = g_strconcat ("a=", candidates[i], NULL);
      g_assert_true (call_media_add_remote_candidate (to->media, line, &error));
      g_assert_no_error (error);
    }
  if (fingerprint)
    {
      g_assert_true (call_media_set_remote_fingerprint (
          to->media, call_media_get_local_fingerprint (from->media), &error));
      g_assert_no_error (error);
    }
}

void
call_start_gathered (Call *call)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (call_media_start (call->a.media, &error));
  g_assert_no_error (error);
  g_assert_true (call_media_start (call->b.media, &error));
  g_assert_no_error (error);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while ((!call->a.gathered || !call->b.gathered) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (call->a.gathered && call->b.gathered);
}

void
call_start (Call *call, gboolean give_fingerprints)
{
  call_start_gathered (call);
  call->exchanged_at = g_get_monotonic_time ();
  /* the offer, then the answer */
  hand_over (&call->a, &call->b, give_fingerprints);
  hand_over (&call->b, &call->a, give_fingerprints);
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
call_wait_connected (Call *call, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (50, on_tick, NULL);
  while (!(call->a.connected && call->b.connected) && call->a.failed == NULL
         && call->b.failed == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return call->a.connected && call->b.connected;
}

void
call_wait_failed (Call *call, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (50, on_tick, NULL);
  while ((call->a.failed == NULL || call->b.failed == NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

void
call_run (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  guint tick = g_timeout_add (20, on_tick, NULL);
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

guint64
call_wait_received (Peer *peer, guint64 packets, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  CallMediaStats stats;
  call_media_stats_init (&stats);
  while (g_get_monotonic_time () < deadline)
    {
      if (call_media_get_stats (peer->media, &stats) && stats.packets_received >= packets)
        break;
      call_run (20);
    }
  return stats.packets_received;
}

void
call_stop (Call *call)
{
  call_media_stop (call->a.media);
  call_media_stop (call->b.media);
  g_assert_cmpint (call_media_get_state (call->a.media), ==, CALL_MEDIA_STATE_CLOSED);
}

/* ---- recordings ---- */

void
recording_assert_tone (const char *path, double freq, double skip_s)
{
  Recording r;
  g_autoptr (GError) error = NULL;
  g_assert_true (recording_load (path, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.rate, ==, 48000);
  const gint16 *s;
  gsize n;
  recording_window (&r, skip_s, &s, &n);
  g_assert_cmpuint (n, >, r.rate / 4);
  double rms = recording_rms (s, n);
  double f = recording_dominant_frequency (s, n, r.rate);
  g_test_message ("%s: %.2f s recorded, RMS %.0f, dominant %.0f Hz", path, (double) r.n / r.rate,
                  rms, f);
  g_assert_cmpfloat (rms, >, RECORDING_MIN_TONE_RMS);
  g_assert_cmpfloat (fabs (f - freq), <=, 10.0);
  /* and the whole window, not only its start: the second half too */
  double f2 = recording_dominant_frequency (s + n / 2, n - n / 2, r.rate);
  g_assert_cmpfloat (fabs (f2 - freq), <=, 10.0);
  g_assert_cmpfloat (recording_rms (s + n / 2, n - n / 2), >, RECORDING_MIN_TONE_RMS);
  recording_clear (&r);
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint16
le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

gboolean
recording_load (const char *path, Recording *out, GError **error)
{
  memset (out, 0, sizeof *out);
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  const guint8 *d = (const guint8 *) contents;
  if (len < 12 || memcmp (d, "RIFF", 4) != 0 || memcmp (d + 8, "WAVE", 4) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a WAV file", path);
      return FALSE;
    }
  guint channels = 0, bits = 0;
  gsize pos = 12;
  while (pos + 8 <= len)
    {
      guint32 size = le32 (d + pos + 4);
      const guint8 *body = d + pos + 8;
      gsize avail = len - pos - 8;
      if (memcmp (d + pos, "fmt ", 4) == 0 && avail >= 16)
        {
          g_assert_cmpuint (le16 (body), ==, 1); /* PCM */
          channels = le16 (body + 2);
          out->rate = le32 (body + 4);
          bits = le16 (body + 14);
        }
      else if (memcmp (d + pos, "data", 4) == 0)
        {
          g_assert_cmpuint (bits, ==, 16);
          g_assert_cmpuint (channels, >=, 1);
          /* wavenc writes the real size at EOS; the file's end otherwise */
          gsize n = MIN ((gsize) size, avail);
          out->n = n / 2 / channels;
          out->samples = g_new0 (gint16, MAX (out->n, 1));
          for (gsize i = 0; i < out->n; i++)
            out->samples[i] = (gint16) le16 (body + i * 2 * channels);
          return TRUE;
        }
      pos += 8 + (gsize) size + (size & 1);
    }
  /* a header and no data chunk: nothing was heard */
  return TRUE;
}

void
recording_clear (Recording *r)
{
  g_clear_pointer (&r->samples, g_free);
  r->n = 0;
}

void
recording_window (const Recording *r, double skip_s, const gint16 **samples, gsize *n)
{
  gsize skip = (gsize) (skip_s * r->rate), tail = (gsize) (0.2 * r->rate);
  if (r->n <= skip + tail)
    {
      *samples = r->samples;
      *n = 0;
      return;
    }
  *samples = r->samples + skip;
  *n = r->n - skip - tail;
}

double
recording_rms (const gint16 *samples, gsize n)
{
  if (n == 0)
    return 0;
  double sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += (double) samples[i] * samples[i];
  return sqrt (sum / (double) n);
}

/* The Goertzel algorithm: the power of one DFT bin. */
static double
goertzel (const gint16 *samples, gsize n, guint rate, double freq)
{
  double coeff = 2 * cos (2 * G_PI * freq / rate);
  double s1 = 0, s2 = 0;
  for (gsize i = 0; i < n; i++)
    {
      double s = samples[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

double
recording_dominant_frequency (const gint16 *samples, gsize n, guint rate)
{
  /* half a second is plenty for 5 Hz resolution at these frequencies */
  n = MIN (n, (gsize) rate / 2);
  double best = 0, best_power = -1;
  for (double f = 100; f <= 4000; f += 5)
    {
      double p = goertzel (samples, n, rate, f);
      if (p > best_power)
        {
          best_power = p;
          best = f;
        }
    }
  return best;
}
