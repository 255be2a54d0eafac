/* chorus-sip-adapter-private.h: what the parts of the adapter share:
 * chorus-sip-adapter.c (transport, registrar, overlay registrations,
 * AppAttach connections) and chorus-sip-adapter-bridge.c (the calls).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-dialer.h"
#include "chorus-sip-adapter.h"
#include "chorus-sip-registrar.h"
#include "chorus-sip-transport.h"
#include "chorus-ua-timer.h"

G_BEGIN_DECLS

/* One side of a bridged call: a call of one of the two UAs. */
typedef struct
{
  ChorusSipUa *ua;
  guint call;
  gboolean answered;
  gboolean ended;
  /* the out leg of a delayed offer (RFC 3264 §5): its 2xx brought the
   * offer, and its ACK waits for the caller's answer (in the caller's ACK) */
  gboolean needs_answer;
} Leg;

typedef struct
{
  ChorusSipAdapter *adapter;
  guint id;
  char *caller; /* AORs */
  char *callee;
  gboolean from_phone;
  Leg in;                  /* the caller's */
  Leg out;                 /* the callee's (ua NULL until placed) */
  ChorusSdpSession *offer; /* the caller's, passed on; NULL: a delayed offer */
  ChorusDialer *dialer;    /* an overlay callee being looked up */
  GArray *overlay_conns;   /* guint64: the out leg's AppAttach connections */
  gboolean ended;
  int status;
  char *reason;
  GSource *linger; /* the overlay connections stay a while after the end */
  Leg *reinviting; /* the leg whose re-INVITE waits for the other's answer */
  gboolean held;   /* the last relayed re-INVITE held the call (RFC 3264 §8.4) */
} Bridge;

typedef struct _AdapterMessages AdapterMessages;

/* The registration in the overlay of one of the adapter's users. */
typedef struct
{
  const ChorusAdapterUser *user;
  gboolean registered; /* stored, not removed since */
  gboolean storing;
  GSource *refresh;
  guint early_stores;
} UserState;

struct _ChorusSipAdapter
{
  ReloadPeerShell *shell;
  ChorusAdapterUsers *users;
  char *domain;
  ReloadNodeId node_id;
  char *listen;

  ChorusSipTransport *transport;
  GHashTable *phone_conns; /* guint64 conn -> GINT_TO_POINTER (reliable + 1) */
  ChorusSipRegistrar *registrar;
  GSource *registrar_timer;
  ChorusSipUa *phone_ua;
  ChorusUaTimer phone_timer;
  ChorusSipUa *overlay_ua;
  ChorusUaTimer overlay_timer;
  GHashTable *overlay_conns; /* guint64 conn -> guint bridge id (0: incoming) */

  GHashTable *states; /* user part -> UserState */
  GList *bridges;     /* Bridge, newest first */
  guint next_bridge_id;
  GList *requests; /* struct AdapterRequest: Stores in flight */
  AdapterMessages *messages;

  gboolean stopping;
  guint removals; /* registrations being removed at stop */
  GSource *stop_timer;
  GSourceFunc stop_done;
  gpointer stop_data;
};

/* chorus-sip-adapter.c */
void adapter_poke (ChorusSipAdapter *a);
/* The phone-side connection is known to the phone UA (declared once). */
void adapter_phone_conn_declare (ChorusSipAdapter *a, guint64 conn);
/* The registered phones of @aor, one binding per connection (a phone that
 * registered two contacts on one connection is reached once), most recent
 * first: chorus_sip_registrar_lookup()'s array, to g_ptr_array_unref(). */
GPtrArray *adapter_phone_bindings (ChorusSipAdapter *a, const char *aor);

/* chorus-sip-adapter-bridge.c */
void bridge_event (ChorusSipAdapter *a, ChorusSipUa *ua, const ChorusSipEvent *event);
void bridge_overlay_conn_up (ChorusSipAdapter *a, guint bridge, guint64 conn);
void bridge_overlay_conn_down (ChorusSipAdapter *a, guint bridge, guint64 conn);
void bridge_free (Bridge *b);
void bridge_hangup_all (ChorusSipAdapter *a);
JsonNode *bridge_json (Bridge *b);
/* The user the adapter serves whose AOR (of our domain) is @aor, or NULL. */
const ChorusAdapterUser *adapter_our_user (ChorusSipAdapter *a, const char *aor);
/* Whether a phone of @aor registered from @conn. */
gboolean adapter_registered_from (ChorusSipAdapter *a, const char *aor, guint64 conn);

/* chorus-sip-adapter-message.c: MESSAGE (RFC 3428) relayed between the
 * phones and the overlay, with a transaction layer of its own on each
 * side. */
AdapterMessages *messages_new (ChorusSipAdapter *a);
void messages_free (AdapterMessages *m);
/* A SIP message from a phone connection (@overlay FALSE) or an AppAttach
 * connection: TRUE when it was a MESSAGE request or the response to one of
 * the relay's; FALSE: for the UA. */
gboolean messages_receive (ChorusSipAdapter *a, gboolean overlay, guint64 conn, const guint8 *data,
                           gsize len);
/* An AppAttach connection of relay @id came up or went down. */
void messages_conn_up (ChorusSipAdapter *a, guint id, guint64 conn);
void messages_conn_down (ChorusSipAdapter *a, guint id, guint64 conn);
/* A connection is gone: its MESSAGE transactions end. */
void messages_conn_closed (ChorusSipAdapter *a, gboolean overlay, guint64 conn);
/* {"relayed", "delivered"} */
void messages_json (ChorusSipAdapter *a, JsonBuilder *b);

G_END_DECLS
