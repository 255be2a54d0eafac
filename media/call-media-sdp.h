/* call-media-sdp.h: a call's session descriptions (overlay/sip/chorus-sdp.h)
 * joined to its media (call-media.h).
 *
 * The offer/answer exchange of one call, as SIP carries it:
 *
 *   offerer (A)                               answerer (B)
 *   call_media_sdp_roles (TRUE, ...)          call_media_sdp_roles (FALSE, ...)
 *   call_media_new () ... start, ::gathered   call_media_new () ... start, ::gathered
 *   offer = call_media_sdp_local (A, NULL)
 *        --- chorus_sdp_to_string () in the INVITE --->
 *                                             caps = call_media_sdp_local (B, template)
 *                                             answer = chorus_sdp_answer (offer, caps)
 *                                             call_media_sdp_apply (B, answer, offer, FALSE)
 *        <--- the answer in the 200 ---
 *   call_media_sdp_apply (A, offer, answer, TRUE)
 *   ... ICE, DTLS: ::connected on both sides
 *
 * call_media_sdp_apply() is call_media_sdp_configure() (codec, payload
 * types, direction, the roles checked) followed by
 * call_media_sdp_apply_remote() (the peer's ICE credentials, candidates and
 * fingerprint); the answerer may call call_media_sdp_apply_remote() with
 * the offer alone first, to start the connectivity checks while it builds
 * its answer.
 *
 * A re-INVITE (RFC 3264 §8) goes through call_media_sdp_apply() again with
 * the new pair: on a CallMedia that has its peer's credentials already,
 * only "direction" changes (RFC 3264 §8.4 hold and resume; the property is
 * live); ICE and DTLS go on untouched.  An ICE restart, a new certificate
 * or another codec on a connected call are refused: CallMedia cannot do
 * them.
 *
 * Errors: CHORUS_SDP_ERROR_NOT_ACCEPTABLE for a description CallMedia cannot
 * use (SIP answers those with 488, RFC 3261 §21.4.26),
 * CHORUS_SDP_ERROR_PARSE for malformed ICE credentials (400),
 * CALL_MEDIA_ERROR_* from CallMedia itself (a malformed candidate or
 * fingerprint, a media that is over or not started).  Nothing is handed
 * to the CallMedia when a description is refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "call-media.h"
#include "chorus-sdp.h"

G_BEGIN_DECLS

/* The roles of the offer/answer exchange that created the call:
 *   ICE: the offerer is controlling (RFC 8445 §6.1.1: both ends are full
 *     agents, and the offer/answer of RFC 8839 says who initiated);
 *   DTLS: the offerer says a=setup:actpass, the answerer answers
 *     a=setup:active (RFC 5763 §5: RECOMMENDED, and what chorus_sdp_answer()
 *     does), so the answerer is the DTLS client and the offerer the server.
 * For call_media_new() (both are fixed once the CallMedia has started). */
void call_media_sdp_roles (gboolean offerer, gboolean *controlling, CallMediaDtlsRole *dtls_role);

/* Our description, from a started CallMedia that has emitted ::gathered:
 *   c= and the m= port: the default candidate of component 1 (RFC 8839
 *     §4.2.1.2; RFC 8445 §5.1.4: relayed if there is one, else server
 *     reflexive, else host; the highest priority among those);
 *   a=ice-ufrag, a=ice-pwd (RFC 8839 §5.4); every local candidate as an
 *     a=candidate (§5.1); a=end-of-candidates (RFC 8840 §4.1.2);
 *   a=fingerprint:sha-256 (RFC 8122 §5) of the CallMedia's certificate.
 * Without @template: what chorus_sdp_session_new_local() makes (the default
 * codecs, a=setup:actpass for an offer, rtcp-mux, sendrecv, a new session
 * id, version 1).  With @template: a copy of it (codecs, direction, setup,
 * origin and version, trickle, ...) with the fields above replaced: for an
 * answerer's capabilities, or a re-offer (the caller raises the version,
 * RFC 3264 §8).  With template->ice_trickle set (RFC 8840), the description
 * may go out before ::gathered: a=end-of-candidates is then the template's
 * (the caller knows whether ::gathered came), and a description without
 * any candidate yet gets the placeholder of RFC 8840, IN IP4 0.0.0.0 port 9.
 * Without trickle, a CallMedia that has no candidate yet is an error. */
ChorusSdpSession *call_media_sdp_local (CallMedia *media, const ChorusSdpSession *template_,
                                        GError **error);

/* Whether @remote can be used by a CallMedia at all: not refused (port 0),
 * UDP/TLS/RTP/SAVP(F) (CallMedia always does DTLS-SRTP: plain RTP is
 * refused), a=ice-ufrag and a=ice-pwd (ICE is not optional either; their
 * form per RFC 8839 §5.4, else CHORUS_SDP_ERROR_PARSE), and an
 * a=fingerprint whose hash function is sha-256 (RFC 8122 §5: the one every
 * implementation has; Chorus neither sends nor accepts another, although
 * CallMedia itself would check a sha-1 or sha-512 one). */
gboolean call_media_sdp_check_remote (const ChorusSdpSession *remote, GError **error);

/* Whether the DTLS role the pair (@local, @remote) gives us is the one
 * @media was created with ("dtls-role" is read at call_media_start() and
 * cannot change afterwards).  RFC 4145 §4 / RFC 5763 §5: our a=setup:active
 * or a peer's a=setup:passive make us the client; our passive or the peer's
 * active the server; actpass is the offerer's, decided by the answer.  An
 * answer with a=setup:passive to our actpass would make us (the offerer,
 * the server) the client: refused, naming it.  @local may be NULL while
 * only the offer is known: then only a remote active or passive decides. */
gboolean call_media_sdp_check_dtls_role (CallMedia *media, const ChorusSdpSession *local,
                                         const ChorusSdpSession *remote, GError **error);

/* Hands @remote's ICE credentials, candidates and fingerprint to @media
 * (call_media_set_remote_credentials(), call_media_add_remote_candidate(),
 * call_media_set_remote_fingerprint()), after call_media_sdp_check_remote()
 * and, when @local is given (the negotiated pair is known),
 * call_media_sdp_check_dtls_role().  Candidates CallMedia cannot use (TCP,
 * FQDN, component 2) are skipped.  The first call starts the connectivity
 * checks.  A later call (a re-INVITE, or the answer after the offer alone)
 * adds candidates not seen before while ICE is still checking, and nothing
 * else: the same credentials and fingerprint are required (changed ones
 * would be an ICE restart, RFC 8839 §4.4.3.1.1, or a new DTLS association,
 * RFC 8842 §5: refused). */
gboolean call_media_sdp_apply_remote (CallMedia *media, const ChorusSdpSession *remote,
                                      const ChorusSdpSession *local, GError **error);

/* Sets @media's "codec", "payload-type", "telephone-event-payload-type" and
 * "direction" from the negotiated pair: the codec is the answer's
 * (chorus_sdp_selected_codec(): opus/48000/2 at a dynamic payload type,
 * PCMU/8000 at 0, PCMA/8000 at 8; anything else is refused), the
 * telephone-event the answer's at that codec's clock rate (RFC 4733 §2.1;
 * none: 0, no DTMF), the direction the one of OUR description (@local;
 * RFC 3264 §6.1).  @we_offered says which of the two is the answer.  Checks
 * first that the answer answers the offer (chorus_sdp_check_answer()), the
 * DTLS role (call_media_sdp_check_dtls_role()) and, at the first exchange,
 * the ICE role ("controlling" must be @we_offered, RFC 8445 §6.1.1).
 * Call it before ::connected (codec and payload types are read then).  On a
 * connected CallMedia (a re-INVITE) only "direction" changes; a pair that
 * would change the codec or a payload type is refused, and then nothing
 * changes. */
gboolean call_media_sdp_configure (CallMedia *media, const ChorusSdpSession *local,
                                   const ChorusSdpSession *remote, gboolean we_offered,
                                   GError **error);

/* call_media_sdp_configure() then call_media_sdp_apply_remote(): all a
 * completed offer/answer exchange (the first or a re-INVITE) needs.  What
 * either would refuse is checked before anything changes. */
gboolean call_media_sdp_apply (CallMedia *media, const ChorusSdpSession *local,
                               const ChorusSdpSession *remote, gboolean we_offered, GError **error);

G_END_DECLS
