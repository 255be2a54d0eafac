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
  ChorusSdpSession *offer; /* the caller's, passed on */
  ChorusDialer *dialer;    /* an overlay callee being looked up */
  GArray *overlay_conns;   /* guint64: the out leg's AppAttach connections */
  gboolean ended;
  int status;
  char *reason;
  GSource *linger; /* the overlay connections stay a while after the end */
} Bridge;

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

/* chorus-sip-adapter-bridge.c */
void bridge_event (ChorusSipAdapter *a, ChorusSipUa *ua, const ChorusSipEvent *event);
void bridge_overlay_conn_up (ChorusSipAdapter *a, guint bridge, guint64 conn);
void bridge_overlay_conn_down (ChorusSipAdapter *a, guint bridge, guint64 conn);
void bridge_free (Bridge *b);
void bridge_hangup_all (ChorusSipAdapter *a);
JsonNode *bridge_json (Bridge *b);

G_END_DECLS
