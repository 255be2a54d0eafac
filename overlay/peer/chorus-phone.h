/* chorus-phone.h: the calls of one peer, on its overlay (RFC 7904).
 *
 * The phone lives in the peer's thread (ChorusPeer, chorus-peer.h) and
 * uses its shell (reload-peer-shell.h):
 *
 *   registration  the device's SIP-REGISTRATION entry at H(AOR) (RFC 7904
 *                 §3: Kind 1, a dictionary keyed by this node's Node-ID,
 *                 USER-NODE-MATCH), the route form with this node's
 *                 destination list, stored once joined, refreshed before
 *                 it expires (chorus_sip_registration_refresh_at), and
 *                 removed (exists = false, RFC 6940 §7.4.1.3) on sign-out;
 *   placing       Fetch of the AOR's dictionary, URI forms followed
 *                 (ChorusSipLookup), an AppAttach (RFC 6940 §6.5.2,
 *                 application 5061: SIP over DTLS) along the destination
 *                 list of each registered device, and the INVITE on every
 *                 connection that came up (forking: the first 200 wins,
 *                 the others get CANCEL; chorus-sip-ua.h);
 *   receiving     AppAttaches for application 5061 are taken, SIP comes
 *                 over them (RFC 7904 §4), and an INVITE rings (180), is
 *                 answered at once with auto_answer, or is refused with
 *                 486 Busy Here while another call is up;
 *   media         one CallMedia per call (media/call-media.h): ICE of its
 *                 own, DTLS-SRTP, Opus first (RFC 7587), with the SDP of
 *                 the INVITE and its answer (call-media-sdp.h).
 *
 * Nothing here blocks: every step is a callback on the thread's context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "reload-peer-shell.h"

G_BEGIN_DECLS

/* RFC 7904 §4: SIP over a TLS-protected (here DTLS) AppAttach connection */
#define CHORUS_PHONE_APPLICATION 5061
/* The registration's lifetime (RFC 6940 §7: lifetime, seconds); it is
 * stored again before it runs out. */
#define CHORUS_PHONE_REGISTRATION_LIFETIME_S 600
/* After a join, the registration is stored again after 3, 6 and 12 s
 * (the ring settles), then at the regular refresh. */
#define CHORUS_PHONE_EARLY_STORES 3
#define CHORUS_PHONE_EARLY_STORE_MS 3000
/* Once the first device's connection is up, how long the others may
 * still take before the INVITE goes (those later are closed). */
#define CHORUS_PHONE_FORK_GRACE_MS 500
/* How long a connection stays open after its call ended: the last
 * transactions (BYE, ACK) finish on it. */
#define CHORUS_PHONE_LINGER_MS 4000
/* The other side closed the media (DTLS close_notify): how long its BYE
 * may take before this side ends the call itself. */
#define CHORUS_PHONE_BYE_GRACE_MS 2000
/* An active call that should receive media and received none this long
 * ends (reason "media_timeout"): the other side is gone. */
#define CHORUS_PHONE_MEDIA_TIMEOUT_MS 6000
/* Messages received kept for `messages`; a message's largest text. */
#define CHORUS_PHONE_MAX_INBOX 100
#define CHORUS_PHONE_MAX_MESSAGE 1000
/* Calls kept in the list after they ended. */
#define CHORUS_PHONE_MAX_ENDED 32

typedef struct _ChorusPhone ChorusPhone;

typedef struct
{
  const char *aor;           /* the user's AOR; NULL: "sip:" + the certificate's user name */
  gboolean auto_answer;      /* answer every incoming call at once */
  const char *play;          /* "tone:HZ", a file, or NULL: the default sound input */
  const char *record;        /* a WAV file for what is heard (16-bit PCM), or NULL: the speakers */
  gboolean echo_cancel;      /* webrtcdsp when installed */
  const char *media_address; /* the only address for media host candidates, or NULL: all */
  /* called (in the phone's thread) after a call appeared or changed
   * state, a message arrived, or the registration changed; nullable */
  void (*changed) (gpointer user_data);
  gpointer changed_data;
} ChorusPhoneConfig;

/* The phone of @shell's node; checks that the AOR is the one of the
 * certificate's user name (RFC 7904 §3.2: USER-NODE-MATCH). */
ChorusPhone *chorus_phone_new (ReloadPeerShell *shell, const ChorusPhoneConfig *config,
                               GError **error);
/* Ends every call (no BYE: the connections go with it). */
void chorus_phone_free (ChorusPhone *phone);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusPhone, chorus_phone_free)

const char *chorus_phone_get_aor (ChorusPhone *phone);

/* The node joined (again): the registration is stored now. */
void chorus_phone_joined (ChorusPhone *phone);

/* Sign-out: every call is hung up, the registration removed; @done runs
 * when the removal was answered or after @timeout_ms. */
void chorus_phone_sign_out (ChorusPhone *phone, guint timeout_ms, GSourceFunc done,
                            gpointer user_data);

/* When a call placed by chorus_phone_call() ends: {"call", "remote",
 * "answered", "status", "reason", "setup_ms", "duration_s", "codec"}. */
typedef void (*ChorusPhoneCallDone) (JsonNode *result, gpointer user_data);

/* Calls @target (an AOR; a bare user gets the overlay's domain) and,
 * once answered, hangs up after @duration_ms (0: waits for the other side
 * to hang up).  Returns the call's id, or 0 with *@error (not an AOR). */
guint chorus_phone_call (ChorusPhone *phone, const char *target, guint duration_ms,
                         ChorusPhoneCallDone done, gpointer user_data, GError **error);
/* Sends @text (UTF-8, at most CHORUS_PHONE_MAX_MESSAGE bytes) to every
 * device of @target in a MESSAGE (RFC 3428); @done gets {"message",
 * "remote", "status", "reason"} ("delivered" at the first 2xx).  Returns
 * its id, or 0 with *@error. */
guint chorus_phone_send_message (ChorusPhone *phone, const char *target, const char *text,
                                 ChorusPhoneCallDone done, gpointer user_data, GError **error);
/* {"messages": [{"from", "content_type", "text", "received"}...]}, oldest
 * first (the last CHORUS_PHONE_MAX_INBOX). */
JsonNode *chorus_phone_messages_json (ChorusPhone *phone);

/* Hangs up call @id (0: every call).  FALSE when there is none. */
gboolean chorus_phone_hangup (ChorusPhone *phone, guint id);
/* An incoming call: answer it, or refuse it with @status (603 Decline,
 * 486 Busy Here). */
gboolean chorus_phone_answer (ChorusPhone *phone, guint id, GError **error);
gboolean chorus_phone_reject (ChorusPhone *phone, guint id, int status, GError **error);
/* Sends @digits ('0'-'9', '*', '#', 'A'-'D') as RFC 4733 events on an
 * answered call, one after the other (CHORUS_PHONE_DTMF_ON_MS each, then
 * CHORUS_PHONE_DTMF_GAP_MS of silence). */
#define CHORUS_PHONE_DTMF_ON_MS 120
#define CHORUS_PHONE_DTMF_GAP_MS 80
gboolean chorus_phone_send_dtmf (ChorusPhone *phone, guint id, const char *digits, GError **error);
/* Hold or resume (RFC 3264 §8.4). */
gboolean chorus_phone_hold (ChorusPhone *phone, guint id, gboolean hold, GError **error);
/* Silences the microphone of call @id (or lets it speak again); the call
 * goes on (RTP keeps flowing, as silence). */
gboolean chorus_phone_mute (ChorusPhone *phone, guint id, gboolean mute, GError **error);
/* The sound devices of the calls from now on, the ones going on included
 * (they switch at once): gst-launch descriptions (media-devices.h gives
 * them for a device), NULL for the default ones; ignored where the
 * configuration's play / record say. */
void chorus_phone_set_audio (ChorusPhone *phone, const char *source, const char *sink,
                             gboolean echo_cancel);

/* {"aor", "registered", "calls": [{"id", "direction", "remote", "state",
 * "codec", "setup_ms", "rtt_ms", "jitter_ms", "loss", "status",
 * "reason", "duration_s", "on_hold", "dtmf_received"}...]}; the ended ones
 * last. */
JsonNode *chorus_phone_calls_json (ChorusPhone *phone);

G_END_DECLS
