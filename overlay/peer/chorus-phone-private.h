/* chorus-phone-private.h: what the parts of the phone share:
 * chorus-phone.c (the SIP user agent on AppAttach connections, the
 * registration) and chorus-phone-call.c (one call: lookup, connections,
 * media, its state).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "call-media.h"
#include "chorus-phone.h"
#include "chorus-sip-registration.h"
#include "chorus-sip-ua.h"
#include "chorus-ua-timer.h"

G_BEGIN_DECLS

typedef enum
{
  CALL_DIALING, /* looking the AOR up, connecting, INVITE sent */
  CALL_RINGING, /* 180/183 (outgoing), or ringing here (incoming) */
  CALL_ACTIVE,  /* answered */
  CALL_ENDED,
} PhoneCallState;

typedef struct _PhoneCall PhoneCall;

struct _ChorusPhone
{
  ReloadPeerShell *shell;
  char *aor;
  char *domain; /* the overlay's name: bare users are completed with it */
  ReloadNodeId node_id;
  ChorusSipUa *ua;
  ChorusUaTimer ua_timer;

  gboolean auto_answer;
  void (*changed) (gpointer user_data);
  gpointer changed_data;
  char *play;
  char *record;
  gboolean echo_cancel;
  char *media_address;
  /* the sound devices of the next calls (gst-launch descriptions; NULL:
   * autoaudiosrc / autoaudiosink), when play / record do not say */
  char *source;
  char *sink;

  GList *calls; /* PhoneCall, newest first */
  guint next_call_id;
  GHashTable *conns; /* guint64 conn -> ConnInfo */
  GList *requests;   /* PhoneRequest: overlay requests not answered yet */
  GQueue inbox;      /* PhoneMessage: the messages received, oldest first */

  /* registration (RFC 7904 §3) */
  gboolean registered;
  gboolean registering;
  gboolean signed_out;
  guint early_stores; /* stores repeated early since the join */
  GSource *refresh_timer;
  GSource *sign_out_timer;
  GSourceFunc sign_out_done;
  gpointer sign_out_data;
};

/* One AppAttach connection, the call it was opened for (outgoing), and
 * whether it is up. */
typedef struct
{
  guint64 conn;
  guint call; /* our call id, for outgoing ones; 0: incoming */
  gboolean up;
  GSource *linger;
} ConnInfo;

struct _PhoneCall
{
  ChorusPhone *phone;
  guint id;
  guint ua_call; /* 0 until the UA knows the call */
  gboolean outgoing;
  /* the offerer of the first exchange: an outgoing call, or an incoming
   * INVITE without an offer (RFC 3264 §5: ours goes in the 200, the
   * answer comes in the ACK) */
  gboolean offerer;
  char *remote;
  PhoneCallState state;
  gboolean on_hold;
  gboolean muted;           /* the microphone silenced (CallMedia's "mute") */
  gboolean reoffer_pending; /* a re-INVITE of ours (hold, resume) is out */
  CallMedia *media;
  gboolean media_gathered;
  gboolean media_configured;
  gboolean answer_wanted; /* incoming: answer once the media has gathered */
  gint64 dial_us;
  gint64 answered_us;
  gint64 ended_us;
  int status;
  char *reason;
  int forced_status;         /* fail_call(): the end's status and reason, */
  const char *forced_reason; /* whatever the UA reports (a static string) */
  char *codec;
  CallMediaStats stats;
  gboolean have_stats;
  gint64 last_rx_us;      /* when RTP last arrived (monotonic) */
  GString *dtmf_received; /* RFC 4733 events heard */
  GString *dtmf_queue;    /* digits still to send */
  GSource *dtmf_timer;
  gboolean dtmf_on; /* a digit is being sent */

  /* outgoing */
  char *text;                   /* a MESSAGE (RFC 3428) rather than a call: its text */
  GArray *requests;             /* guint: the MESSAGE requests not answered yet */
  struct _ChorusDialer *dialer; /* while looking up and connecting */
  GArray *up_conns;             /* guint64: the call's connections */
  gboolean invited;
  guint duration_ms;
  GSource *duration_timer;
  GSource *closed_timer; /* the peer closed the media: waiting for its BYE */
  ChorusPhoneCallDone done;
  gpointer done_data;
};

/* An overlay request of the phone (Store, Fetch) waiting for its answer;
 * phone is NULL once the phone is gone. */
typedef struct
{
  ChorusPhone *phone;
  guint call;
  gboolean exists;
  gint64 sent_ms;
  char *aor;
} PhoneRequest;

/* A MESSAGE received (RFC 3428). */
typedef struct
{
  char *from;
  char *content_type;
  char *text;
  gint64 received_s; /* seconds since 1970 */
} PhoneMessage;

/* chorus-phone.c */
void phone_inbox_add (ChorusPhone *phone, const ChorusSipEvent *event);
/* Tells the owner (ChorusPhoneConfig's changed) that the calls, the
 * inbox or the registration changed. */
void phone_changed (ChorusPhone *phone);
PhoneRequest *phone_request_new (ChorusPhone *phone, guint call);
/* Frees @r; the phone, or NULL when it is gone. */
ChorusPhone *phone_request_take (PhoneRequest *r);
void phone_ua_poke (ChorusPhone *phone);
ConnInfo *phone_conn_add (ChorusPhone *phone, guint64 conn, guint call);
void phone_conn_release (ChorusPhone *phone, guint64 conn, gboolean linger);
/* @conn was closed already (by the dialer): only its record goes. */
void phone_conn_forget (ChorusPhone *phone, guint64 conn);
ChorusSdpSession *phone_capabilities (void);

/* chorus-phone-call.c */
PhoneCall *phone_call_new (ChorusPhone *phone, gboolean outgoing, const char *remote);
PhoneCall *phone_call_find (ChorusPhone *phone, guint id);
PhoneCall *phone_call_find_ua (ChorusPhone *phone, guint ua_call);
void phone_call_free (PhoneCall *call);
void phone_call_start_outgoing (PhoneCall *call);
void phone_call_ended (PhoneCall *call, int status, const char *reason);
void phone_call_conn_up (PhoneCall *call, guint64 conn);
void phone_call_conn_down (PhoneCall *call, guint64 conn);
void phone_call_event (ChorusPhone *phone, const ChorusSipEvent *event);
JsonNode *phone_call_json (PhoneCall *call);
gboolean phone_call_send_dtmf (PhoneCall *call, const char *digits, GError **error);

G_END_DECLS
