/* call-media.h: one call's media: an ICE stream (RFC 8445, libnice), DTLS-SRTP
 * on it (RFC 5763, RFC 5764; GnuTLS), and the audio (GStreamer: Opus per
 * RFC 7587 or G.711, RTP/RTCP per RFC 3550 multiplexed per RFC 5761).
 *
 * What the SDP layer carries and hands over (the API speaks SDP's
 * attribute values, without "a="):
 *
 *   ours                                 theirs
 *   call_media_get_local_credentials()   call_media_set_remote_credentials()
 *     a=ice-ufrag, a=ice-pwd (RFC 8839 §5.4)
 *   call_media_get_local_candidates()    call_media_add_remote_candidate()
 *     a=candidate (RFC 8839 §5.1); also one by one: ::local-candidate
 *   call_media_get_local_fingerprint()   call_media_set_remote_fingerprint()
 *     a=fingerprint (RFC 8122 §5), e.g. "sha-256 4A:AD:..."
 *   "controlling", "dtls-role"           (from the offer/answer roles:
 *     RFC 8445 §6.1.1 and a=setup, RFC 5763 §5: the answerer is usually
 *     active, i.e. the DTLS client)
 *   "codec", "payload-type",             (the negotiated rtpmap lines)
 *   "telephone-event-payload-type"
 *   "direction"                          (a=sendrecv / sendonly / recvonly / inactive)
 *
 * Life cycle:
 *
 *   call_media_new() -> set properties -> call_media_start()   (GATHERING)
 *   ::local-candidate ... ::gathered                            (all candidates known)
 *   set_remote_credentials/candidates/fingerprint               (CHECKING)
 *   ICE finds a pair -> DTLS handshake                          (SECURING)
 *   keys in srtpenc/srtpdec, pipeline playing: ::connected     (CONNECTED)
 *   ::stats every second while connected
 *   ::failed (one GError, CALL_MEDIA_ERROR_*), at most once     (FAILED)
 *   call_media_stop(): close_notify, the recording finished    (CLOSED)
 *
 * Everything is torn down at ::failed, at call_media_stop() and at the
 * last unref.  The object belongs to the thread that called
 * call_media_start(): its signals come on that thread's thread-default
 * GMainContext.  Audio does not depend on that context: the network side
 * runs on an I/O thread of the call, the audio on GStreamer's threads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "call-media-certificate.h"
#include "call-media-error.h"
#include "call-media-types.h"
#include "media-stats.h"

G_BEGIN_DECLS

/* ICE plus DTLS, from the remote credentials to ::connected. */
#define CALL_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS 30000
#define CALL_MEDIA_STATS_INTERVAL_MS 1000

#define CALL_TYPE_MEDIA (call_media_get_type ())
G_DECLARE_FINAL_TYPE (CallMedia, call_media, CALL, MEDIA, GObject)

/* Properties (all but "mute" and "direction" are read before media starts:
 * ICE ones at call_media_start(), codec and audio ones at ::connected):
 *   "controlling" (bool)       ICE role, RFC 8445 §6.1.1
 *   "dtls-role" (CallMediaDtlsRole)
 *   "certificate" (CallMediaCertificate, NULL: one made at start)
 *   "local-addresses" (strv)   host candidates only there ("127.0.0.1" for tests)
 *   "stun-server", "stun-port", "turn-server", "turn-port", "turn-username",
 *   "turn-password"            numeric addresses (libnice does not resolve)
 *   "upnp" (bool, FALSE)
 *   "codec" (CallMediaCodec, opus), "payload-type" (Opus PT, 111),
 *   "telephone-event-payload-type" (101; 0 disables DTMF)
 *   "source", "sink" (gst-launch descriptions; NULL: autoaudiosrc, autoaudiosink;
 *                    set during the call, the device changes at once)
 *   "echo-cancel" (bool, TRUE: webrtcdsp/webrtcechoprobe when installed)
 *   "adaptive-latency" (bool, TRUE: the jitter buffer follows the path,
 *                              media-jitter-adapt.h: from 20 ms up to
 *                              MAX (200, "latency") as jitter and late
 *                              packets ask, down again slowly)
 *   "latency" (jitter buffer, ms, 60: the fixed latency without
 *             adaptation, the ceiling with it when above 200),
 *   "bitrate" (Opus, bit/s, 32000),
 *   "packet-loss-percentage" (Opus FEC planning, 10)
 *   "connect-timeout" (ms, 30000)
 *   "mute" (bool)              the source sends silence
 *   "direction" (CallMediaDirection, sendrecv)
 * Read-only: "state", "local-fingerprint", "srtp-profile" ("SRTP_AES128_CM_HMAC_SHA1_80"),
 *   "setup-time" (ms from the remote credentials to ::connected, -1 before),
 *   "selected-pair" (text),
 *   "jitter-buffer-latency" (ms: the jitter buffer's latency now),
 *   "receive-latency" (ms: how long after a packet's arrival its audio plays,
 *   the latency the playback runs at: "latency" + the decoder's (one
 *   packet, 20 ms, for Opus with its in-band FEC; none for G.711) + the
 *   sink's (GstBaseSink's 20 ms processing deadline; an audio sink adds its
 *   buffer); -1 until the first audio reached the sink, and for a sink that
 *   does not play on the clock, e.g. a file).
 *
 * Signals: ::local-candidate (const char *), ::gathered, ::connected,
 *   ::failed (const GError *), ::stats (const CallMediaStats *),
 *   ::dtmf-received (gchar digit). */

CallMedia *call_media_new (gboolean controlling, CallMediaDtlsRole dtls_role);

/* Creates the ICE agent (gathering starts) and the DTLS endpoint, checks the
 * source and sink descriptions.  Once only. */
gboolean call_media_start (CallMedia *self, GError **error);
/* close_notify, the recording finished, everything released.  No signal
 * follows.  Idempotent. */
void call_media_stop (CallMedia *self);

CallMediaState call_media_get_state (CallMedia *self);

void call_media_get_local_credentials (CallMedia *self, char **ufrag, char **password);
GStrv call_media_get_local_candidates (CallMedia *self);
const char *call_media_get_local_fingerprint (CallMedia *self);

gboolean call_media_set_remote_credentials (CallMedia *self, const char *ufrag,
                                            const char *password, GError **error);
/* A candidate line this agent cannot use (TCP, FQDN, component 2) is
 * skipped without error; a malformed one is CALL_MEDIA_ERROR_INVALID. */
gboolean call_media_add_remote_candidate (CallMedia *self, const char *candidate, GError **error);
/* May come after the handshake (RFC 5763 §6.2's early media): media waits
 * for it.  A certificate that does not match fails the call. */
gboolean call_media_set_remote_fingerprint (CallMedia *self, const char *fingerprint,
                                            GError **error);

/* FALSE before ::connected. */
gboolean call_media_get_stats (CallMedia *self, CallMediaStats *stats);

/* RFC 4733 events: '0'-'9', '*', '#', 'A'-'D', sent until stopped (the
 * audio pauses meanwhile). */
gboolean call_media_start_dtmf (CallMedia *self, char digit, GError **error);
void call_media_stop_dtmf (CallMedia *self);

/* Diagnostics and tests: sees packets at the points of CallMediaTapPoint. */
void call_media_set_packet_tap (CallMedia *self, CallMediaPacketTap tap, gpointer user_data);

G_END_DECLS
