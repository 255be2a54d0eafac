/* chorus-sip-ua-private.h: the insides of ChorusSipUa, shared by its core
 * (chorus-sip-ua.c: input, output, timers, OPTIONS and MESSAGE) and its
 * calls (chorus-sip-ua-call.c: INVITE, ACK, CANCEL, BYE, dialogs;
 * chorus-sip-ua-dialog.c: in-dialog requests, re-INVITE;
 * chorus-sip-ua-offerless.c: the delayed offer of our INVITEs).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-message.h"
#include "chorus-sip-ua.h"

G_BEGIN_DECLS

/* The methods this UA implements (§20.5 Allow) and those it knows of but
 * does not implement (405 rather than 501, §8.2.1). */
#define CHORUS_SIP_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE"
#define CHORUS_SIP_ACCEPT "application/sdp, text/plain"

typedef enum
{
  CALL_OUT_CALLING,   /* INVITE branches out, no ringing yet */
  CALL_OUT_EARLY,     /* a 18x came */
  CALL_OUT_ANSWERING, /* offerless: the 2xx brought the offer, the ACK waits for the app's answer */
  CALL_IN_NEW,        /* INVITE in, app told */
  CALL_IN_RINGING,    /* 18x sent */
  CALL_IN_ANSWERED,   /* 200 sent, no ACK yet */
  CALL_CONFIRMED,     /* the session is up */
  CALL_ENDING,        /* ended for the app; CANCELs still finishing */
  CALL_ENDED,
} CallState;

typedef struct _Call Call;
typedef struct _Branch Branch;
typedef struct _Request Request;

/* An outgoing INVITE on one connection (one fork, §16-style). */
struct _Branch
{
  Call *call;
  ChorusSipConnId conn;
  ChorusSipTxn *ict;
  osip_message_t *invite; /* what was sent, for the CANCEL (§9.1) */
  gboolean provisional;   /* a 1xx came: CANCEL may be sent (§9.1) */
  int ringing;            /* the last 18x reported, not reported twice */
  gboolean cancel_wanted;
  gboolean cancel_sent;
  gboolean cancel_elsewhere; /* the CANCEL says "Call completed elsewhere" */
  int final_status;          /* 0 while none */
  char *remote_tag;          /* of a 2xx that was not the winner's */
  GBytes *ack_bytes;         /* the ACK of that 2xx */
};

struct _Call
{
  gint ref;
  guint id;
  ChorusSipUa *ua;
  gboolean outgoing;
  CallState state;
  char *call_id;
  char *local_tag;
  char *remote_tag;
  char *local_uri;
  char *remote_uri;
  char *remote_target;  /* the other side's Contact (§12.1) */
  GPtrArray *route_set; /* Route values, in the order to send them */
  guint32 local_cseq;
  guint32 remote_cseq;
  gboolean remote_cseq_set;
  ChorusSipConnId conn; /* the dialog's connection */
  /* outgoing */
  GPtrArray *branches; /* Branch */
  guint32 invite_cseq;
  gint64 no_answer_at;
  gboolean cancelling;    /* every branch is being cancelled */
  gboolean offerless;     /* our INVITE had no offer (RFC 3264 §5) */
  gint64 answer_deadline; /* CALL_OUT_ANSWERING: ACK without an answer and BYE then */
  /* incoming */
  ChorusSipTxn *ist;
  osip_message_t *invite;
  /* our 2xx to an INVITE, sent again until its ACK (§13.3.1.4) */
  GBytes *ok_bytes;
  guint32 ok_cseq;
  gint64 ok_next;
  gint64 ok_interval;
  gint64 ok_deadline;
  gboolean ok_offer; /* the 2xx carried our offer: the ACK has the answer */
  gboolean ok_initial;
  /* the ACK of the other side's 2xx, sent again for its retransmissions */
  GBytes *ack_bytes;
  guint32 ack_cseq;
  /* SDP (chorus-sdp.h) */
  ChorusSdpSession *caps;   /* our capabilities, to answer re-offers */
  ChorusSdpSession *local;  /* the last description we sent and that took effect */
  ChorusSdpSession *remote; /* the last description of the other side */
  ChorusSdpSession *offer;  /* our offer in flight */
  ChorusSdpSetup dtls_role; /* ours once negotiated: active or passive */
  gboolean held;            /* we hold the call (RFC 3264 §8.4) */
  gboolean hold_pending;    /* what our re-INVITE in flight asks */
  /* in-dialog transactions */
  ChorusSipTxn *reinvite;    /* ours, until its final response */
  ChorusSipTxn *reinvite_in; /* theirs, until we answered it */
  gboolean bye_pending;      /* hung up before the ACK of our 2xx: BYE once it comes (§15) */
  gboolean ended_reported;
};

struct _Request
{
  guint id;
  gboolean options;
};

/* What a transaction's owner pointer leads to. */
typedef enum
{
  OWNER_BRANCH,   /* an INVITE branch of an outgoing call */
  OWNER_REINVITE, /* our re-INVITE */
  OWNER_IST,      /* the INVITE server transaction of an incoming call */
  OWNER_REQUEST,  /* our MESSAGE or OPTIONS */
  OWNER_CALL,     /* any other transaction of a call (BYE, CANCEL, ...): results ignored */
} OwnerKind;

typedef struct
{
  OwnerKind kind;
  Call *call; /* a reference */
  Branch *branch;
  Request *request; /* owned */
} TxnOwner;

struct _ChorusSipUa
{
  char *aor;
  char *display_name;
  char *contact;
  char *via_host;
  char *via_reliable; /* the Via transports (RFC 3261 §20.42) */
  char *via_unreliable;
  char *user_agent;
  ChorusSdpSession *media;
  gboolean check_request_uri;
  gint64 no_answer_timeout;
  ChorusSipUaCallbacks cb;
  gpointer user_data;
  GRand *rand;
  ChorusSipTxnLayer *txns;
  GHashTable *reliable; /* conn -> TRUE */
  GHashTable *calls;    /* id -> Call (a reference) */
  guint next_id;
  GQueue out;
  guint depth; /* nested entries; the outermost flushes */
  gint64 now;
};

/* chorus-sip-ua.c */
void ua_enter (ChorusSipUa *ua, gint64 now);
void ua_leave (ChorusSipUa *ua);
gboolean ua_reliable (ChorusSipUa *ua, ChorusSipConnId conn);
void ua_send (ChorusSipUa *ua, ChorusSipConnId conn, GBytes *bytes);
void ua_send_message (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *msg);
/* Queues @ev; its strings and descriptions are copied. */
void ua_emit (ChorusSipUa *ua, const ChorusSipEvent *ev);
guint ua_next_id (ChorusSipUa *ua);
TxnOwner *ua_owner_new (OwnerKind kind, Call *call, Branch *branch, Request *request);
/* A response to @request with the headers every response of this UA has
 * (Server), and a tag for To. */
osip_message_t *ua_response (ChorusSipUa *ua, const osip_message_t *request, int status,
                             const char *to_tag);
/* A new out-of-dialog or in-dialog request with our Via on @conn; @from
 * NULL: our AOR with the display name. */
osip_message_t *ua_request (ChorusSipUa *ua, ChorusSipConnId conn, const char *method,
                            const char *ruri, const char *from, const char *from_tag,
                            const char *to, const char *to_tag, const char *call_id, guint32 cseq);
/* Ended calls no transaction needs any more leave the table. */
void calls_sweep (ChorusSipUa *ua);
/* Sends a response statelessly on @conn (no server transaction). */
void ua_respond_stateless (ChorusSipUa *ua, ChorusSipConnId conn, const osip_message_t *request,
                           int status);
/* A response through a new server transaction owned by nobody (it still
 * answers retransmissions and absorbs the ACK), with one extra header. */
void ua_reply (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request, int status,
               const char *header, const char *value);
/* Sends a response on a server transaction. */
void ua_respond (ChorusSipUa *ua, ChorusSipTxn *txn, osip_message_t *response);

/* chorus-sip-ua-call.c */
void call_end (ChorusSipUa *ua, Call *call, int status, ChorusSipEndReason reason);
/* The call @id unless it ended; else NULL with *@error. */
Call *call_get_open (ChorusSipUa *ua, guint id, GError **error);
Call *call_ref (Call *call);
void call_unref (Call *call);
Call *call_lookup (ChorusSipUa *ua, guint id);
/* The call whose dialog @request belongs to (Call-ID and both tags). */
Call *call_find_dialog (ChorusSipUa *ua, osip_message_t *request);
void call_handle_invite (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request);
void call_handle_ack (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request);
void call_handle_cancel (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request);
void call_handle_bye (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request);
/* A 2xx to an INVITE that no transaction took (§13.2.2.4: ACK again);
 * FALSE when it belongs to no call of ours. */
gboolean call_handle_stray_2xx (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *response);
void call_txn_response (ChorusSipUa *ua, TxnOwner *owner, ChorusSipTxn *txn,
                        osip_message_t *response);
void call_txn_timeout (ChorusSipUa *ua, TxnOwner *owner, ChorusSipTxn *txn,
                       gboolean transport_error);
void call_txn_terminated (ChorusSipUa *ua, TxnOwner *owner, ChorusSipTxn *txn);
void calls_tick (ChorusSipUa *ua, gint64 now);
gint64 calls_next_deadline (ChorusSipUa *ua);
void calls_connection_closed (ChorusSipUa *ua, ChorusSipConnId conn);
/* CANCEL every branch but @winner without a final response (§9.1). */
void call_cancel_branches (ChorusSipUa *ua, Call *call, Branch *winner, gboolean elsewhere);
/* An unwanted 2xx (another fork's, or one we cannot use): ACK, then BYE. */
void call_ack_and_bye (ChorusSipUa *ua, Call *call, Branch *branch, osip_message_t *response);

/* chorus-sip-ua-offerless.c */
/* The winning 2xx to our offerless INVITE: the offer for the app, the ACK
 * held (CALL_OUT_ANSWERING). */
void call_offerless_2xx (ChorusSipUa *ua, Call *call, Branch *branch, osip_message_t *response);
/* CALL_OUT_ANSWERING given up (hangup, timeout, the other side's BYE):
 * the ACK without a body; and a BYE when @bye. */
void call_offerless_abandon (ChorusSipUa *ua, Call *call, gboolean bye);

/* chorus-sip-ua-dialog.c */
/* §12.2.1.1: a request within the dialog (or the early dialog of a fork
 * with @remote_tag, @remote_target and @route_set). */
osip_message_t *call_dialog_request (ChorusSipUa *ua, Call *call, ChorusSipConnId conn,
                                     const char *remote_tag, const char *remote_target,
                                     GPtrArray *route_set, const char *method, guint32 cseq);
void call_add_contact (ChorusSipUa *ua, osip_message_t *msg);
void call_set_sdp_body (osip_message_t *msg, const ChorusSdpSession *sdp);
/* The description in a body; NULL when there is none (*@bad FALSE) or when
 * it is not usable SDP (*@bad TRUE). */
ChorusSdpSession *call_body_sdp (const osip_message_t *msg, gboolean *bad);
void call_send_bye (ChorusSipUa *ua, Call *call);
/* Record-Route as a route set: reversed for a UAC (§12.1.2), in order for
 * a UAS (§12.1.1). */
GPtrArray *call_route_set_of (const osip_message_t *msg, gboolean reverse);
/* §13.2.2.4: the ACK of a 2xx, sent; its bytes, for retransmitted 2xx. */
GBytes *call_send_ack (ChorusSipUa *ua, Call *call, ChorusSipConnId conn, const char *remote_tag,
                       const char *remote_target, GPtrArray *route_set, guint32 cseq);
/* §13.3.1.4 */
void call_start_ok_retransmission (ChorusSipUa *ua, Call *call, GBytes *ok, guint32 cseq,
                                   gboolean initial);
void call_emit_media_updated (ChorusSipUa *ua, Call *call, int status);
void call_reinvite_response (ChorusSipUa *ua, Call *call, ChorusSipTxn *txn,
                             osip_message_t *response);
void call_handle_reinvite (ChorusSipUa *ua, ChorusSipConnId conn, osip_message_t *request);

G_END_DECLS
