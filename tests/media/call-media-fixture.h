/* call-media-fixture.h: two CallMedia instances calling each other in one
 * process on 127.0.0.1, the way the SDP layer will join them (credentials,
 * candidates and fingerprints handed over as strings), and what the tests
 * measure on their recordings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "call-media.h"

G_BEGIN_DECLS

typedef struct
{
  const char *name;
  CallMedia *media;
  char *wav;
  gboolean gathered;
  gboolean connected;
  GError *failed;
  guint n_stats;
  CallMediaStats stats;
  GString *dtmf;
} Peer;

typedef struct
{
  char *dir;
  Peer a; /* the offerer: ICE controlling, DTLS server (a=setup:actpass -> passive) */
  Peer b; /* the answerer: controlled, DTLS client (a=setup:active) */
  gint64 exchanged_at;
} Call;

/* Both peers made (not started): A plays @freq_a Hz, B @freq_b Hz, each
 * records what it hears to a WAV file in a fresh directory. */
void call_init (Call *call, double freq_a, double freq_b);
void call_clear (Call *call);

/* Starts both and waits until both gathered (nothing handed over). */
void call_start_gathered (Call *call);
/* call_start_gathered(), then hands each the other's credentials,
 * candidates and (unless @give_fingerprints is FALSE) fingerprint. */
void call_start (Call *call, gboolean give_fingerprints);
/* Iterates the main context until both are connected or one failed;
 * FALSE on failure. */
gboolean call_wait_connected (Call *call, guint timeout_ms);
/* Until both failed (or the timeout). */
void call_wait_failed (Call *call, guint timeout_ms);
void call_run (guint ms);
/* Runs until @peer has received @packets RTP packets (20 ms of audio
 * each), at most @timeout_ms: audio time rather than wall-clock time, so
 * that a slow machine (or AddressSanitizer) still records enough.  Returns
 * the count reached. */
guint64 call_wait_received (Peer *peer, guint64 packets, guint timeout_ms);
void call_stop (Call *call);

/* 16-bit PCM WAV of one channel (the first), as recorded. */
typedef struct
{
  gint16 *samples;
  gsize n;
  guint rate;
} Recording;

gboolean recording_load (const char *path, Recording *out, GError **error);
void recording_clear (Recording *r);
/* The part to analyse: skips the first @skip_s seconds and the last 0.2 s. */
void recording_window (const Recording *r, double skip_s, const gint16 **samples, gsize *n);
double recording_rms (const gint16 *samples, gsize n);
/* The frequency with the most energy between 100 Hz and 4 kHz (Goertzel
 * at 5 Hz steps). */
double recording_dominant_frequency (const gint16 *samples, gsize n, guint rate);

/* A tone that came through: well above Opus' own noise. */
#define RECORDING_MIN_TONE_RMS 1000.0
/* Asserts that @path holds the tone @freq (within 10 Hz, above
 * RECORDING_MIN_TONE_RMS) after @skip_s seconds, in the first and in the
 * second half of what was recorded.  A quarter second is enough for the
 * analysis; asking no more keeps the test meaningful on a loaded machine,
 * where the jitter buffer drops packets that come too late. */
void recording_assert_tone (const char *path, double freq, double skip_s);

G_END_DECLS
