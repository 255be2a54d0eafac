/* chorus-sip-ua.h: a sans-I/O SIP user agent (RFC 3261) for calls and
 * short messages between Chorus users.
 *
 * The UA is fed what arrives and the time, and answers with bytes to send
 * and events, like the RELOAD node (reload-node.h): no sockets, no timers,
 * no threads.  A "connection" is an opaque id chosen by the caller: later
 * the link an AppAttach opened (RFC 7904 §4), in the tests a pipe between
 * two UAs.  Each chorus_sip_ua_receive() gets one whole SIP message (a
 * datagram, or one message of a stream); responses go back on the
 * connection the request came from, and a dialog's requests on the one it
 * was made on.  Datagram connections get the retransmissions of RFC 3261
 * §17; reliable ones none.
 *
 * What it does:
 *   - calls: INVITE/ACK/BYE/CANCEL with dialogs (§12, §13, §15), 100, 180,
 *     183, 200, and the final statuses the app chooses (486 Busy Here, 603
 *     Decline, ...); a caller cancelling while it rings (§9: the INVITE gets
 *     487); no answer within no_answer_timeout_ms or no response at all
 *     (Timer B) ends the call with 408; 2xx retransmission until the ACK
 *     (§13.3.1.4), a BYE when none comes;
 *   - forking on the caller's side: one INVITE branch per connection (each
 *     device of the AOR), the first 200 wins and the other branches get
 *     CANCEL with "Reason: SIP;cause=200;text=\"Call completed elsewhere\""
 *     (RFC 3326), a 6xx ends the search (§16.7 step 5 by analogy), and a
 *     late 200 from another branch is ACKed and hung up (§13.2.2.4);
 *   - SDP offer/answer (RFC 3264, chorus-sdp.h): the offer in the INVITE
 *     (an INVITE without one gets the offer in the 200 and the answer in
 *     the ACK); the delayed offer both ways (RFC 3264 §5, RFC 3261
 *     §13.2.1): a call placed without a description gets the offer in the
 *     2xx, and the app's answer goes in the ACK; an offer without a common codec gets 488 before the app
 *     hears of the call; hold and resume by re-INVITE (RFC 3264 §8.4:
 *     sendonly/inactive, back to sendrecv/recvonly), answered by the UA
 *     itself; glare gets 491 (§14.2);
 *   - OPTIONS (§11: 200 with Allow, Accept, Supported) and MESSAGE (RFC 3428,
 *     text/plain), both ways;
 *   - the checks of §8.2 on every request: 405/501 for methods it does not
 *     support, 416 for a Request-URI that is not sip: or sips:, 404 for one
 *     that is not this UA's AOR or contact (when check_request_uri), 420
 *     for a Require it does not know, 415 for a body it does not take, 406
 *     when Accept rules out SDP, 481 for an unknown dialog or transaction,
 *     482 for a merged request, plus the syntax checks of
 *     chorus-sip-message.h.
 *
 * Events and bytes are queued while the UA works and handed to the
 * callbacks when the outermost call into the UA returns, so a callback may
 * call into the UA (answer from the incoming-call event, for example).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sdp.h"
#include "chorus-sip-aor.h"
#include "chorus-sip-transaction.h"

G_BEGIN_DECLS

typedef struct _ChorusSipUa ChorusSipUa;

typedef enum
{
  CHORUS_SIP_EVENT_INCOMING_CALL,  /* call, conn, from, to, remote_sdp (NULL: offerless) */
  CHORUS_SIP_EVENT_RINGING,        /* call, conn, status 180 or 183 (outgoing) */
  CHORUS_SIP_EVENT_ANSWERED,       /* call, conn, local_sdp, remote_sdp: media may flow;
                                    * needs_answer: see chorus_sip_ua_ack_with_answer() */
  CHORUS_SIP_EVENT_MEDIA_UPDATED,  /* call, status (200 or the failure), local_sdp, remote_sdp */
  CHORUS_SIP_EVENT_ENDED,          /* call, status, reason */
  CHORUS_SIP_EVENT_MESSAGE,        /* conn, from, to, content_type, body */
  CHORUS_SIP_EVENT_MESSAGE_STATUS, /* request, status of a MESSAGE we sent */
  CHORUS_SIP_EVENT_OPTIONS_STATUS, /* request, status; allow = the Allow header */
  CHORUS_SIP_EVENT_REINVITE,       /* call, conn, remote_sdp: an offer (app_answers_reinvites) */
} ChorusSipEventType;

typedef enum
{
  CHORUS_SIP_END_NONE,
  CHORUS_SIP_END_LOCAL_HANGUP,       /* BYE or CANCEL from this side */
  CHORUS_SIP_END_REMOTE_HANGUP,      /* BYE from the other side (status 200) */
  CHORUS_SIP_END_REJECTED,           /* a final status from the callee (status) */
  CHORUS_SIP_END_DECLINED_LOCALLY,   /* this side rejected the incoming call (status) */
  CHORUS_SIP_END_CANCELLED,          /* the caller cancelled (status 487) */
  CHORUS_SIP_END_ANSWERED_ELSEWHERE, /* cancelled with Reason cause=200 (RFC 3326) */
  CHORUS_SIP_END_TIMEOUT,            /* no answer, no response, no ACK (status 408) */
  CHORUS_SIP_END_TRANSPORT,          /* the connection failed (status 503) */
  CHORUS_SIP_END_MEDIA,              /* the answer did not fit the offer (status 488) */
} ChorusSipEndReason;

typedef struct
{
  ChorusSipEventType type;
  guint call;
  guint request;
  ChorusSipConnId conn;
  int status;
  ChorusSipEndReason reason;
  const char *from;
  const char *to;
  const char *content_type;
  const char *body;
  gsize body_len;
  const char *allow;
  const ChorusSdpSession *local_sdp;
  const ChorusSdpSession *remote_sdp;
  /* CHORUS_SIP_EVENT_ANSWERED of a call placed without an offer: the 2xx
   * carried the offer (remote_sdp; local_sdp NULL), and the ACK waits for
   * the app's answer (chorus_sip_ua_ack_with_answer()). */
  gboolean needs_answer;
} ChorusSipEvent;

typedef struct
{
  void (*send) (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data);
  void (*event) (const ChorusSipEvent *event, gpointer user_data);
  /* A back-to-back user agent (the adapter peer for plain SIP phones)
   * answers re-INVITEs itself, with what its other side answers: TRUE, and
   * a re-INVITE with an offer comes as CHORUS_SIP_EVENT_REINVITE (after a
   * 100 Trying), to be answered with chorus_sip_ua_reinvite_answer() or
   * chorus_sip_ua_reinvite_reject().  A re-INVITE without an offer is
   * still answered by the UA (its description as the offer, RFC 3264 §5).
   * FALSE: the UA answers every re-INVITE (hold and resume). */
  gboolean app_answers_reinvites;
} ChorusSipUaCallbacks;

typedef struct
{
  const char *aor;          /* required: "sip:alice@example.org" (normalized here) */
  const char *display_name; /* or NULL */
  const char *contact;      /* the Contact URI (a GRUU, RFC 7904 §5); NULL: the AOR */
  const char *via_host;     /* sent-by of our Vias; NULL: "chorus.invalid" */
  const char *user_agent;   /* NULL: "Chorus" */
  /* Our media capabilities: an offer they cannot answer gets 488 before
   * the app hears of the call, and re-INVITEs are answered with them.
   * NULL: no check, and re-INVITEs are answered from the call's own
   * description. */
  const ChorusSdpSession *media;
  gboolean check_request_uri; /* 404 for requests not for aor or contact */
  /* The transport our Vias name (RFC 3261 §18.1.1, §20.42) on reliable and
   * unreliable connections; NULL: "TLS" and "DTLS" (an AppAttach link,
   * RFC 7904 §4).  A UA for plain phones says "TCP" and "UDP". */
  const char *via_transport_reliable;
  const char *via_transport_unreliable;
  guint no_answer_timeout_ms; /* 0: 60 s */
  guint32 seed;               /* tags, branches, Call-IDs; 0: random */
} ChorusSipUaConfig;

ChorusSipUa *chorus_sip_ua_new (const ChorusSipUaConfig *config,
                                const ChorusSipUaCallbacks *callbacks, gpointer user_data,
                                GError **error);
void chorus_sip_ua_free (ChorusSipUa *ua);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipUa, chorus_sip_ua_free)

/* The normalized AOR. */
const char *chorus_sip_ua_get_aor (ChorusSipUa *ua);

/* ---------------------------------------------------------------- input */

/* Declares a connection (unknown ones are datagram, unreliable). */
void chorus_sip_ua_connection_add (ChorusSipUa *ua, ChorusSipConnId conn, gboolean reliable);
/* The connection is gone: its transactions fail (503), its calls end. */
void chorus_sip_ua_connection_closed (ChorusSipUa *ua, ChorusSipConnId conn, gint64 now);

/* One SIP message from @conn.  FALSE with *@error when it was dropped or
 * refused (the refusal, when one could be formed, has been sent). */
gboolean chorus_sip_ua_receive (ChorusSipUa *ua, ChorusSipConnId conn, const guint8 *data,
                                gsize len, gint64 now, GError **error);
/* Runs the timers due at @now (ms, any monotonic clock). */
void chorus_sip_ua_tick (ChorusSipUa *ua, gint64 now);
/* When chorus_sip_ua_tick() is next needed, or -1. */
gint64 chorus_sip_ua_next_timeout (ChorusSipUa *ua);

/* ---------------------------------------------------------------- calls */

/* Calls @target (a SIP URI: the AOR or a GRUU) on every connection of
 * @conns at once (forking), offering @local (our description: codecs, ICE,
 * fingerprint).  Returns the call's id (> 0), or 0 with *@error.
 *
 * @local NULL places the call without an offer (the delayed offer of
 * RFC 3264 §5, RFC 3261 §13.2.1: an INVITE without a body).  The 2xx that
 * answers must carry the offer: it comes as CHORUS_SIP_EVENT_ANSWERED with
 * needs_answer set and the offer as remote_sdp, and the UA holds the ACK
 * (the answer goes in it, §13.2.2.4) until the app calls
 * chorus_sip_ua_ack_with_answer().  Retransmissions of that 2xx are
 * absorbed meanwhile, and ACKed again with the same ACK once it went.
 * Without an answer within CHORUS_SIP_ANSWER_TIMEOUT_MS, or when the app
 * hangs up first, the UA ACKs without a body and sends BYE (§13.2.2.4:
 * the UAC that cannot answer "MUST generate a valid answer in the ACK and
 * then send a BYE immediately"; an ACK without a body and the BYE is what
 * it can do without an answer); the call ends with 408 (timeout) or as a
 * local hangup.  A 2xx without an offer ends the call the same way, with
 * 488 (CHORUS_SIP_END_MEDIA). */
guint chorus_sip_ua_call (ChorusSipUa *ua, const char *target, const ChorusSipConnId *conns,
                          guint n_conns, const ChorusSdpSession *local, gint64 now, GError **error);
/* The same as someone else: From is @from (a SIP URI, or a name-addr
 * "\"Name\" <sip:...>") instead of the UA's AOR; NULL: the UA's.  For a
 * back-to-back user agent that places a call on behalf of the caller of
 * its other side (the adapter peer for plain SIP phones). */
guint chorus_sip_ua_call_as (ChorusSipUa *ua, const char *from, const char *target,
                             const ChorusSipConnId *conns, guint n_conns,
                             const ChorusSdpSession *local, gint64 now, GError **error);
/* How long the UA waits for chorus_sip_ua_ack_with_answer(): the 2xx of
 * a delayed offer is retransmitted to us meanwhile (§13.3.1.4), and a
 * back-to-back user agent passes the offer on to its other side first
 * (whose own 2xx, retransmitted at T1, 2*T1, ..., must be ACKed with the
 * answer); 4 s leave room for three of those. */
#define CHORUS_SIP_ANSWER_TIMEOUT_MS 4000

/* The answer to the offer of the 2xx of a call placed without one
 * (CHORUS_SIP_EVENT_ANSWERED with needs_answer): goes in the ACK, and the
 * session is up.  @answer must answer that offer (RFC 3264 §6, checked):
 * when it does not, the UA ACKs without a body and hangs up (BYE), the call
 * ends with 488 (CHORUS_SIP_END_MEDIA), and FALSE with *@error.  FALSE too
 * for a call that does not wait for an answer. */
gboolean chorus_sip_ua_ack_with_answer (ChorusSipUa *ua, guint call, const ChorusSdpSession *answer,
                                        gint64 now, GError **error);
/* Whether @call waits for chorus_sip_ua_ack_with_answer(). */
gboolean chorus_sip_ua_call_needs_answer (ChorusSipUa *ua, guint call);

/* Incoming call: 180 Ringing, or 183 Session Progress. */
gboolean chorus_sip_ua_ring (ChorusSipUa *ua, guint call, int status, gint64 now, GError **error);
/* Incoming call: 200 with the answer of @local to the offer (or @local as
 * the offer when the INVITE had none).  An offer @local cannot answer is
 * refused with 488 and the call ends. */
gboolean chorus_sip_ua_answer (ChorusSipUa *ua, guint call, const ChorusSdpSession *local,
                               gint64 now, GError **error);
/* Incoming call: 200 with @answer itself as the answer (checked to answer
 * the offer, RFC 3264 §6), not recomputed from capabilities: a back-to-back
 * user agent passes the answer of its other side through unchanged, so
 * that the media runs end to end.  To an INVITE without an offer, @answer
 * is the offer in the 200, unchanged too (its a=setup included), and the
 * answer comes in the ACK (CHORUS_SIP_EVENT_ANSWERED, remote_sdp). */
gboolean chorus_sip_ua_answer_verbatim (ChorusSipUa *ua, guint call, const ChorusSdpSession *answer,
                                        gint64 now, GError **error);
/* Incoming call: a final status 300..699 (486 Busy Here, 603 Decline). */
gboolean chorus_sip_ua_reject (ChorusSipUa *ua, guint call, int status, gint64 now, GError **error);
/* Ends the call however far it got: CANCEL while calling, BYE once
 * answered, 603 for an incoming call not yet answered. */
gboolean chorus_sip_ua_hangup (ChorusSipUa *ua, guint call, gint64 now, GError **error);
/* Hold or resume (RFC 3264 §8.4) by re-INVITE. */
gboolean chorus_sip_ua_hold (ChorusSipUa *ua, guint call, gboolean hold, gint64 now,
                             GError **error);

/* A back-to-back user agent's re-INVITEs (app_answers_reinvites): */
/* Sends a re-INVITE with @offer itself as the offer (RFC 3264 §8: the
 * other side's new description, passed through); the result comes as
 * CHORUS_SIP_EVENT_MEDIA_UPDATED (status 200 and the answer as remote_sdp,
 * or the failure).  FALSE while another INVITE of the dialog is open
 * (RFC 3261 §14.1). */
gboolean chorus_sip_ua_reinvite (ChorusSipUa *ua, guint call, const ChorusSdpSession *offer,
                                 gint64 now, GError **error);
/* The re-INVITE reported by CHORUS_SIP_EVENT_REINVITE: 200 with @answer
 * itself (checked to answer the offer, RFC 3264 §6; 488 when it does not),
 * or a final status 300..699 (the session stays as it was, §14.2). */
gboolean chorus_sip_ua_reinvite_answer (ChorusSipUa *ua, guint call, const ChorusSdpSession *answer,
                                        gint64 now, GError **error);
gboolean chorus_sip_ua_reinvite_reject (ChorusSipUa *ua, guint call, int status, gint64 now,
                                        GError **error);
/* Whether @call has a re-INVITE of the other side waiting for the app. */
gboolean chorus_sip_ua_reinvite_pending (ChorusSipUa *ua, guint call);

/* The call's current descriptions, or NULL. */
const ChorusSdpSession *chorus_sip_ua_call_local_sdp (ChorusSipUa *ua, guint call);
const ChorusSdpSession *chorus_sip_ua_call_remote_sdp (ChorusSipUa *ua, guint call);
/* The connection an answered call runs on. */
ChorusSipConnId chorus_sip_ua_call_connection (ChorusSipUa *ua, guint call);
guint chorus_sip_ua_call_count (ChorusSipUa *ua);

/* ---------------------------------------------------------------- requests */

/* MESSAGE (RFC 3428) to @target on @conn; the result comes as
 * MESSAGE_STATUS.  Returns the request's id, or 0 with *@error (a message
 * too large for a datagram connection: RFC 3428 §7, 1300 bytes). */
guint chorus_sip_ua_send_message (ChorusSipUa *ua, ChorusSipConnId conn, const char *target,
                                  const char *content_type, const char *body, gsize len, gint64 now,
                                  GError **error);
/* OPTIONS (§11) to @target on @conn; the result comes as OPTIONS_STATUS. */
guint chorus_sip_ua_send_options (ChorusSipUa *ua, ChorusSipConnId conn, const char *target,
                                  gint64 now, GError **error);

G_END_DECLS
