/* chorus-sdp.h: the session descriptions of a Chorus call and their offer
 * and answer (RFC 3264), on libosip2's sdp_message.
 *
 * A call has one audio stream, so a description here is one audio m-line
 * and what goes with it:
 *
 *   codecs       in order of preference: Opus (RFC 7587: opus/48000/2, the
 *                stereo-capable form every Opus rtpmap uses, with
 *                useinbandfec=1 for in-band FEC), PCMU and PCMA (static
 *                payload types 0 and 8), telephone-event (RFC 4733 §7.1.1,
 *                events 0-16: DTMF and flash)
 *   ICE          RFC 8839: a=ice-ufrag, a=ice-pwd, a=candidate lines,
 *                a=ice-options:trickle, a=end-of-candidates
 *   DTLS-SRTP    RFC 5763/5764: proto UDP/TLS/RTP/SAVP, a=fingerprint (the
 *                certificate's SHA-256), a=setup
 *   direction    a=sendrecv/sendonly/recvonly/inactive (RFC 3264 §5.1)
 *   rtcp-mux     RFC 5761 (a=rtcp-mux)
 *
 * Other m-lines of an offer are kept only to be refused in the answer with
 * port 0 (RFC 3264 §6: an answer has as many m-lines as its offer).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CHORUS_SDP_ERROR (chorus_sdp_error_quark ())
GQuark chorus_sdp_error_quark (void);

typedef enum
{
  CHORUS_SDP_ERROR_PARSE,          /* not SDP, or not one this code can use: SIP 400 */
  CHORUS_SDP_ERROR_NOT_ACCEPTABLE, /* no audio stream or codec in common: SIP 488 */
} ChorusSdpError;

/* RFC 3264 §5.1; RFC 4566 §6. */
typedef enum
{
  CHORUS_SDP_SENDRECV,
  CHORUS_SDP_SENDONLY,
  CHORUS_SDP_RECVONLY,
  CHORUS_SDP_INACTIVE,
} ChorusSdpDirection;

/* RFC 4145 §4 as RFC 5763 §5 uses it. */
typedef enum
{
  CHORUS_SDP_SETUP_NONE, /* no a=setup (plain RTP) */
  CHORUS_SDP_SETUP_ACTPASS,
  CHORUS_SDP_SETUP_ACTIVE,
  CHORUS_SDP_SETUP_PASSIVE,
} ChorusSdpSetup;

typedef struct
{
  guint payload_type; /* 0..127 */
  char *name;         /* encoding name as in a=rtpmap: "opus", "PCMU", "telephone-event" */
  guint clock_rate;
  guint channels; /* 1 unless the rtpmap says otherwise */
  char *fmtp;     /* the a=fmtp parameters, or NULL */
} ChorusSdpCodec;

/* RFC 8839 §5.1 candidate-attribute. */
typedef struct
{
  char *foundation;
  guint component; /* 1 RTP, 2 RTCP */
  char *transport; /* "UDP" (or "TCP") */
  guint32 priority;
  char *address;
  guint port;
  char *type;  /* host, srflx, prflx, relay */
  char *raddr; /* or NULL */
  guint rport;
  char *extensions; /* what follows (e.g. "tcptype passive"), or NULL */
} ChorusSdpCandidate;

typedef struct
{
  /* o= (RFC 4566 §5.2; RFC 3264 §5 and §8: the version grows by one with
   * every changed description) */
  char *origin_user;
  guint64 session_id;
  guint64 session_version;
  char *address;     /* c= and o= (IP4 or IP6 by its form) */
  guint port;        /* m= port; 0: the stream is refused */
  char *proto;       /* "UDP/TLS/RTP/SAVP", or "RTP/AVP" for plain RTP */
  GPtrArray *codecs; /* ChorusSdpCodec */
  ChorusSdpDirection direction;
  gboolean rtcp_mux;
  char *ice_ufrag;
  char *ice_pwd;
  gboolean ice_trickle;
  GPtrArray *candidates; /* ChorusSdpCandidate */
  gboolean end_of_candidates;
  char *fingerprint_hash; /* "sha-256" */
  char *fingerprint;      /* upper-case hex bytes separated by ":" */
  ChorusSdpSetup setup;
  /* Other m-lines of a received offer: "media proto fmt" each, refused
   * (port 0) in the answer. */
  GPtrArray *other_media;
  /* Where the audio m-line is among the m-lines (0-based). */
  guint audio_index;
} ChorusSdpSession;

ChorusSdpSession *chorus_sdp_session_new (void);
void chorus_sdp_session_free (ChorusSdpSession *session);
ChorusSdpSession *chorus_sdp_session_copy (const ChorusSdpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSdpSession, chorus_sdp_session_free)

ChorusSdpCodec *chorus_sdp_codec_new (guint payload_type, const char *name, guint clock_rate,
                                      guint channels, const char *fmtp);
void chorus_sdp_codec_free (ChorusSdpCodec *codec);
/* The codecs of a Chorus offer, in order: opus/48000/2 (111,
 * "minptime=10;useinbandfec=1"), PCMU/8000 (0), PCMA/8000 (8),
 * telephone-event/8000 (101, "0-16"). */
GPtrArray *chorus_sdp_default_codecs (void);
gboolean chorus_sdp_codec_is_dtmf (const ChorusSdpCodec *codec);

ChorusSdpCandidate *chorus_sdp_candidate_parse (const char *value, GError **error);
char *chorus_sdp_candidate_to_string (const ChorusSdpCandidate *candidate);
void chorus_sdp_candidate_free (ChorusSdpCandidate *candidate);

/* A local description with the default codecs, a=setup:actpass (RFC 5763
 * §5: the offerer), sendrecv, rtcp-mux, UDP/TLS/RTP/SAVP; @fingerprint
 * (sha-256) and the ICE credentials may be NULL for tests of SIP alone.
 * The session id is random (RFC 4566 §5.2), the version starts at 1. */
ChorusSdpSession *chorus_sdp_session_new_local (const char *address, guint port,
                                                const char *ice_ufrag, const char *ice_pwd,
                                                const char *fingerprint);

/* Text (RFC 4566) <-> description.  Parsing takes the first audio m-line;
 * none, or a malformed attribute Chorus uses, is CHORUS_SDP_ERROR_PARSE. */
ChorusSdpSession *chorus_sdp_parse (const char *text, gsize len, GError **error);
char *chorus_sdp_to_string (const ChorusSdpSession *session);

const char *chorus_sdp_direction_to_string (ChorusSdpDirection direction);
/* RFC 3264 §6.1: the direction an answerer that wants @wanted puts in its
 * answer to an offer of @offered (sendonly -> recvonly, ...). */
ChorusSdpDirection chorus_sdp_direction_answer (ChorusSdpDirection offered,
                                                ChorusSdpDirection wanted);
/* RFC 3264 §8.4: the direction of a hold offer from the current one
 * (sendrecv -> sendonly, recvonly -> inactive), and of the resume. */
ChorusSdpDirection chorus_sdp_direction_hold (ChorusSdpDirection current);
ChorusSdpDirection chorus_sdp_direction_resume (ChorusSdpDirection current);

/* RFC 3264 §6: the answer of @local (our capabilities: codecs in our order,
 * ICE, fingerprint, address; its direction is what we want) to @offer.  The
 * answer takes the first codec of the offer that we support (the offerer's
 * preference), plus telephone-event when both offer it, with the offer's
 * payload types (§6.1); setup active to actpass or passive, passive to
 * active (RFC 5763 §5); rtcp-mux when both; the offer's proto when we can
 * speak it (plain RTP/AVP only when @local's proto is RTP/AVP too).  No
 * common codec, no audio stream, or an audio stream refused by the offer:
 * CHORUS_SDP_ERROR_NOT_ACCEPTABLE. */
ChorusSdpSession *chorus_sdp_answer (const ChorusSdpSession *offer, const ChorusSdpSession *local,
                                     GError **error);

/* Whether @answer answers @offer (RFC 3264 §6, §7): a codec of the offer
 * (by payload type), a direction the offer allows, a stream not refused. */
gboolean chorus_sdp_check_answer (const ChorusSdpSession *offer, const ChorusSdpSession *answer,
                                  GError **error);

/* The first codec of a description that is not telephone-event: the one
 * in use once @session is an answer. */
const ChorusSdpCodec *chorus_sdp_selected_codec (const ChorusSdpSession *session);

G_END_DECLS
