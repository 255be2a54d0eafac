/* chorus-sip-adapter-message.c: MESSAGE (RFC 3428) through the adapter
 * (see chorus-sip-adapter.h), relayed statefully: a server transaction
 * on the side it came from, one client transaction per device or phone on
 * the other side, and the final status of the other side back:
 *   - a registered phone's MESSAGE to sip:X@OVERLAY: to X's phones when X
 *     is a user of the adapter, else to X's devices through the overlay
 *     (Fetch, AppAttach: chorus-dialer.h, like calls), From the phone's
 *     user;
 *   - a MESSAGE from the overlay to one of the adapter's users: to every
 *     phone registered for it (UDP or TCP).
 * The first 2xx is relayed (200 or 202, RFC 3428 §7); without one, the
 * most telling failure (404 when the AOR is not registered, 480 when no
 * phone or device could be reached, 408 when none answered).
 *
 * The relay has transaction layers of its own (chorus-sip-transaction.h),
 * one for the phones' connections and one for the AppAttach connections,
 * rather than the UAs': a UA answers a MESSAGE at once, and the relay
 * answers once the other side has.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-adapter"

#include "chorus-sip-adapter-private.h"

#include "chorus-phone.h"
#include "chorus-sip-message.h"

#include <string.h>

/* RFC 3428 §7: over a transport without congestion control (UDP, and
 * DTLS on an AppAttach link), a MESSAGE stays under 1300 bytes. */
#define MAX_DATAGRAM_MESSAGE 1300
/* MESSAGEs being relayed at once (each holds its text and transactions);
 * beyond, 503 (RFC 3261 §21.5.4). */
#define MAX_RELAYS 64
/* How long the overlay lookup may wait for more devices after the first
 * is connected (chorus-dialer.h), as for calls. */
#define FORK_GRACE_MS 500

typedef struct
{
  ChorusSipAdapter *adapter;
  gboolean overlay;
  ChorusSipTxnLayer *txns;
} Side;

struct _AdapterMessages
{
  ChorusSipAdapter *adapter;
  Side sides[2]; /* the phones', the overlay's */
  GRand *rand;
  GSource *timer;
  GList *relays; /* Relay */
  guint relayed;
  guint delivered;
};

typedef struct
{
  AdapterMessages *m;
  guint id;
  Side *in_side;
  ChorusSipTxn *server; /* the MESSAGE relayed; NULL once answered or gone */
  char *from;           /* AORs */
  char *to;
  char *content_type;
  char *body;
  gsize len;
  ChorusDialer *dialer;
  GArray *overlay_conns; /* guint64: the AppAttach connections opened for it */
  guint live;            /* transactions it owns */
  guint pending;         /* client transactions without a final response */
  int best;              /* the failure to relay when no 2xx comes */
} Relay;

/* A transaction's owner. */
typedef struct
{
  Relay *relay;
  gboolean final; /* a client transaction's final response came */
} Owner;

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void messages_poke (AdapterMessages *m);

/* ---------------------------------------------------------------- answers */

/* RFC 3261 §16.7 step 6 by analogy: of the failures, a definite one (404,
 * 403, 6xx, ...) tells more than "could not be reached" (408, 480, 503). */
static gboolean
better_failure (int status, int best)
{
  gboolean vague = best == 0 || best == 408 || best == 480 || best == 503 || best == 500;
  return best == 0 || (vague && status != 503 && status != 500);
}

static void
answer (Relay *r, int status)
{
  if (r->server == NULL)
    return;
  ChorusSipTxn *txn = g_steal_pointer (&r->server);
  /* a transport failure on the other side is no failure of the server
   * that answers here: the recipient is unavailable (§21.4.18) */
  if (status == 503 || status < 200 || status > 699)
    status = 480;
  g_autofree char *tag = chorus_sip_new_tag (r->m->rand);
  osip_message_t *resp = chorus_sip_response_new (txn->request, status, NULL, tag);
  chorus_sip_message_add_header (resp, "Server", "Chorus adapter");
  chorus_sip_txn_respond (r->in_side->txns, txn, resp, now_ms ());
  if (status >= 200 && status < 300)
    r->m->delivered++;
  g_message ("message %u from %s to %s: %d", r->id, r->from, r->to, status);
}

/* A final response (or none) from one device or phone. */
static void
branch_final (Relay *r, int status)
{
  if (r->pending > 0)
    r->pending--;
  if (status >= 200 && status < 300)
    answer (r, status); /* RFC 3428 §7: 200 or 202, relayed as it is */
  else if (better_failure (status, r->best))
    r->best = status;
  if (r->pending == 0 && r->dialer == NULL)
    answer (r, r->best ? r->best : 480);
}

/* ---------------------------------------------------------------- transactions */

static void
side_send (ChorusSipConnId conn, GBytes *bytes, gpointer user_data)
{
  Side *side = user_data;
  ChorusSipAdapter *a = side->adapter;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  gboolean ok = side->overlay ? reload_peer_shell_app_send (a->shell, conn, data, len, &error)
                              : chorus_sip_transport_send (a->transport, conn, data, len, &error);
  if (!ok)
    g_debug ("MESSAGE on connection %" G_GUINT64_FORMAT ": %s", conn, error->message);
}

static void
side_response (ChorusSipTxn *txn, osip_message_t *response, gpointer user_data)
{
  Owner *o = txn->owner;
  if (o == NULL || o->final || response->status_code < 200)
    return;
  o->final = TRUE;
  branch_final (o->relay, response->status_code);
}

static void
side_timeout (ChorusSipTxn *txn, gboolean transport_error, gpointer user_data)
{
  Owner *o = txn->owner;
  if (o == NULL || o->final || txn->kind != CHORUS_SIP_TXN_NICT)
    return;
  o->final = TRUE;
  /* §8.1.3.1: a timeout is a 408, a transport failure a 503 */
  branch_final (o->relay, transport_error ? 503 : 408);
}

static void
side_terminated (ChorusSipTxn *txn, gpointer user_data)
{
  Owner *o = g_steal_pointer (&txn->owner);
  if (o == NULL)
    return;
  Relay *r = o->relay;
  if (r->server == txn)
    r->server = NULL; /* its connection went before the answer */
  if (txn->kind == CHORUS_SIP_TXN_NICT && !o->final && r->pending > 0)
    r->pending--;
  r->live--;
  g_free (o);
}

static const ChorusSipTxnCallbacks side_callbacks = {
  .send = side_send,
  .response = side_response,
  .timeout = side_timeout,
  .terminated = side_terminated,
};

/* ---------------------------------------------------------------- relays */

static Relay *
relay_find (AdapterMessages *m, guint id)
{
  for (GList *l = m->relays; l; l = l->next)
    if (((Relay *) l->data)->id == id)
      return l->data;
  return NULL;
}

static void
close_conns (Relay *r)
{
  ChorusSipAdapter *a = r->m->adapter;
  for (guint i = 0; i < r->overlay_conns->len; i++)
    {
      guint64 conn = g_array_index (r->overlay_conns, guint64, i);
      if (g_hash_table_remove (a->overlay_conns, &conn))
        {
          chorus_sip_ua_connection_closed (a->overlay_ua, conn, now_ms ());
          chorus_sip_txn_connection_lost (r->m->sides[1].txns, conn, now_ms ());
          reload_peer_shell_app_close (a->shell, conn);
        }
    }
  g_array_set_size (r->overlay_conns, 0);
}

static void
relay_free (Relay *r)
{
  g_clear_pointer (&r->dialer, chorus_dialer_free);
  g_array_unref (r->overlay_conns);
  g_free (r->from);
  g_free (r->to);
  g_free (r->content_type);
  g_free (r->body);
  g_free (r);
}

/* Outside the transaction layers' callbacks: the overlay connections of
 * relays whose devices all answered are closed, and relays that own no
 * transaction any more go. */
static void
sweep (AdapterMessages *m)
{
  for (GList *l = m->relays; l;)
    {
      GList *next = l->next;
      Relay *r = l->data;
      if (r->dialer == NULL && r->pending == 0 && r->overlay_conns->len > 0)
        close_conns (r);
      if (r->dialer == NULL && r->server == NULL && r->live == 0)
        {
          m->relays = g_list_delete_link (m->relays, l);
          relay_free (r);
        }
      l = next;
    }
}

/* One MESSAGE to one phone contact or device, on @conn. */
static gboolean
send_branch (Relay *r, Side *side, guint64 conn, const char *ruri)
{
  ChorusSipAdapter *a = r->m->adapter;
  gboolean reliable = FALSE;
  if (!side->overlay)
    {
      g_autoptr (GInetSocketAddress) remote =
          chorus_sip_transport_get_remote (a->transport, conn, &reliable);
      if (remote == NULL)
        return FALSE;
    }
  g_autofree char *branch = chorus_sip_new_branch (r->m->rand);
  g_autofree char *tag = chorus_sip_new_tag (r->m->rand);
  const char *via_host = side->overlay ? "chorus.invalid" : a->listen;
  g_autofree char *call_id = chorus_sip_new_call_id (r->m->rand, via_host);
  /* the Via names the transport (RFC 3261 §18.1.1); an AppAttach link is
   * DTLS here (RFC 7904 §4) */
  const char *transport = side->overlay ? "DTLS" : reliable ? "TCP" : "UDP";
  osip_message_t *req = chorus_sip_request_new ("MESSAGE", ruri, r->from, tag, r->to, NULL, call_id,
                                                1, transport, via_host, branch);
  if (req == NULL)
    return FALSE;
  chorus_sip_message_add_header (req, "User-Agent", "Chorus adapter");
  chorus_sip_message_set_body (req, r->content_type, r->body, r->len);
  if (!reliable)
    {
      g_autoptr (GBytes) bytes = chorus_sip_message_to_bytes (req);
      if (bytes == NULL || g_bytes_get_size (bytes) > MAX_DATAGRAM_MESSAGE)
        {
          g_message ("message %u: too large for a datagram to %s (RFC 3428 §7)", r->id, ruri);
          osip_message_free (req);
          if (better_failure (513, r->best))
            r->best = 513; /* §21.5.8 Message Too Large */
          return FALSE;
        }
    }
  Owner *o = g_new0 (Owner, 1);
  o->relay = r;
  r->live++;
  r->pending++;
  if (chorus_sip_txn_client_new (side->txns, conn, reliable, req, now_ms (), o) == NULL)
    {
      r->live--;
      r->pending--;
      g_free (o);
      return FALSE;
    }
  return TRUE;
}

/* To every phone registered for the recipient (RFC 3261 §16.6: one branch
 * per binding, the contact as Request-URI). */
static void
to_phones (Relay *r)
{
  ChorusSipAdapter *a = r->m->adapter;
  g_autoptr (GPtrArray) bindings = adapter_phone_bindings (a, r->to);
  for (guint i = 0; i < bindings->len; i++)
    {
      const ChorusSipRegistrarBinding *bd = g_ptr_array_index (bindings, i);
      send_branch (r, &r->m->sides[0], bd->conn, bd->contact);
    }
  if (r->pending == 0)
    answer (r, r->best ? r->best : 480); /* no phone registered */
}

static void
dial_opened (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  Relay *r = user_data;
  guint64 *key = g_new (guint64, 1);
  *key = conn;
  g_hash_table_insert (r->m->adapter->overlay_conns, key, GUINT_TO_POINTER (r->id));
}

static void
dial_released (ChorusDialer *dialer, guint64 conn, gpointer user_data)
{
  Relay *r = user_data;
  g_hash_table_remove (r->m->adapter->overlay_conns, &conn);
}

static void
dial_done (ChorusDialer *dialer, const guint64 *conns, guint n_conns, int status,
           const char *reason, gpointer user_data)
{
  Relay *r = user_data;
  AdapterMessages *m = r->m;
  g_clear_pointer (&r->dialer, chorus_dialer_free);
  g_array_append_vals (r->overlay_conns, conns, n_conns);
  for (guint i = 0; i < n_conns; i++)
    send_branch (r, &m->sides[1], conns[i], r->to);
  if (r->pending == 0)
    answer (r, n_conns == 0 ? status : r->best ? r->best : 500);
  sweep (m);
  messages_poke (m);
}

static const ChorusDialerCallbacks dial_callbacks = {
  .opened = dial_opened,
  .released = dial_released,
  .done = dial_done,
};

static gboolean
conn_reliable (ChorusSipAdapter *a, Side *side, guint64 conn)
{
  gboolean reliable = FALSE;
  if (!side->overlay)
    {
      g_autoptr (GInetSocketAddress) remote =
          chorus_sip_transport_get_remote (a->transport, conn, &reliable);
    }
  return reliable;
}

static void
refuse (Side *side, guint64 conn, osip_message_t *req, int status, const char *header,
        const char *value)
{
  ChorusSipTxn *txn = chorus_sip_txn_server_new (
      side->txns, conn, conn_reliable (side->adapter, side, conn), req, now_ms (), NULL);
  g_autofree char *tag = chorus_sip_new_tag (side->adapter->messages->rand);
  osip_message_t *resp = chorus_sip_response_new (req, status, NULL, tag);
  chorus_sip_message_add_header (resp, "Server", "Chorus adapter");
  if (header != NULL)
    chorus_sip_message_add_header (resp, header, value);
  if (txn != NULL)
    chorus_sip_txn_respond (side->txns, txn, resp, now_ms ());
  else
    osip_message_free (resp);
}

/* A new MESSAGE: the checks, then on its way. */
static void
relay_start (AdapterMessages *m, Side *side, guint64 conn, osip_message_t *req)
{
  ChorusSipAdapter *a = m->adapter;
  g_autofree char *from_uri = chorus_sip_message_from_uri (req);
  g_autofree char *to_uri = chorus_sip_message_to_uri (req);
  g_autofree char *from =
      from_uri ? chorus_sip_aor_normalize (from_uri, a->domain, NULL, NULL) : NULL;
  g_autofree char *to = to_uri ? chorus_sip_aor_normalize (to_uri, a->domain, NULL, NULL) : NULL;
  g_autofree char *type = chorus_sip_message_content_type (req);
  gsize len = 0;
  const char *body = chorus_sip_message_body (req, &len);
  if (chorus_sip_message_to_tag (req) != NULL)
    refuse (side, conn, req, 481, NULL, NULL); /* no dialogs here (§12.2.2) */
  else if (from == NULL || to == NULL)
    refuse (side, conn, req, 400, NULL, NULL);
  else if (a->stopping)
    refuse (side, conn, req, 480, NULL, NULL);
  /* RFC 3428 §7 with §8.2.3: the text a Chorus user's phone takes */
  else if (g_strcmp0 (type, "text/plain") != 0)
    refuse (side, conn, req, 415, "Accept", "text/plain");
  /* the size a Chorus phone keeps (chorus-phone.h): 413 (§21.4.11) */
  else if (len > CHORUS_PHONE_MAX_MESSAGE)
    refuse (side, conn, req, 413, NULL, NULL);
  /* a phone sends as the user it registered as, from where it registered
   * (the REGISTER was authenticated there), as for INVITE */
  else if (!side->overlay
           && (adapter_our_user (a, from) == NULL || !adapter_registered_from (a, from, conn)))
    refuse (side, conn, req, 403, NULL, NULL);
  /* from the overlay: only for the adapter's users (§8.2.2.1) */
  else if (side->overlay && adapter_our_user (a, to) == NULL)
    refuse (side, conn, req, 404, NULL, NULL);
  else if (g_list_length (m->relays) >= MAX_RELAYS)
    refuse (side, conn, req, 503, "Retry-After", "5");
  else
    {
      Relay *r = g_new0 (Relay, 1);
      r->m = m;
      r->id = a->next_bridge_id++; /* one space with the calls: AppAttach owners */
      r->in_side = side;
      r->from = g_steal_pointer (&from);
      r->to = g_steal_pointer (&to);
      char *ct = NULL;
      if (req->content_type != NULL && osip_content_type_to_str (req->content_type, &ct) == 0)
        r->content_type = g_strdup (ct);
      else
        r->content_type = g_strdup ("text/plain");
      osip_free (ct);
      r->body = g_strndup (body ? body : "", len);
      r->len = len;
      r->overlay_conns = g_array_new (FALSE, FALSE, sizeof (guint64));
      Owner *o = g_new0 (Owner, 1);
      o->relay = r;
      r->server = chorus_sip_txn_server_new (side->txns, conn, conn_reliable (a, side, conn), req,
                                             now_ms (), o);
      if (r->server == NULL)
        {
          g_free (o);
          relay_free (r);
          return;
        }
      r->live = 1;
      m->relays = g_list_prepend (m->relays, r);
      m->relayed++;
      g_message ("message %u from %s to %s (%zu bytes)", r->id, r->from, r->to, len);
      if (adapter_our_user (a, r->to) != NULL)
        to_phones (r);
      else
        r->dialer = chorus_dialer_new (a->shell, r->to, &a->node_id, CHORUS_SIP_ADAPTER_APPLICATION,
                                       FORK_GRACE_MS, &dial_callbacks, r);
    }
}

/* ---------------------------------------------------------------- timers */

static gboolean
messages_tick (gpointer data)
{
  AdapterMessages *m = data;
  g_clear_pointer (&m->timer, g_source_unref);
  for (guint i = 0; i < 2; i++)
    chorus_sip_txn_tick (m->sides[i].txns, now_ms ());
  sweep (m);
  messages_poke (m);
  return G_SOURCE_REMOVE;
}

static void
messages_poke (AdapterMessages *m)
{
  if (m->timer != NULL)
    {
      g_source_destroy (m->timer);
      g_clear_pointer (&m->timer, g_source_unref);
    }
  gint64 at = -1;
  for (guint i = 0; i < 2; i++)
    {
      gint64 t = chorus_sip_txn_next_deadline (m->sides[i].txns);
      if (t >= 0 && (at < 0 || t < at))
        at = t;
    }
  if (at < 0)
    return;
  m->timer = g_timeout_source_new ((guint) CLAMP (at - now_ms (), 0, G_MAXINT));
  g_source_set_callback (m->timer, messages_tick, m, NULL);
  g_source_attach (m->timer, g_main_context_get_thread_default ());
}

/* ---------------------------------------------------------------- API */

AdapterMessages *
messages_new (ChorusSipAdapter *a)
{
  AdapterMessages *m = g_new0 (AdapterMessages, 1);
  m->adapter = a;
  m->rand = g_rand_new ();
  for (guint i = 0; i < 2; i++)
    {
      m->sides[i].adapter = a;
      m->sides[i].overlay = i == 1;
      m->sides[i].txns = chorus_sip_txn_layer_new (&side_callbacks, &m->sides[i]);
    }
  return m;
}

void
messages_free (AdapterMessages *m)
{
  if (m == NULL)
    return;
  if (m->timer != NULL)
    {
      g_source_destroy (m->timer);
      g_source_unref (m->timer);
    }
  /* transactions first: their owners point into the relays */
  for (guint i = 0; i < 2; i++)
    chorus_sip_txn_layer_free (m->sides[i].txns);
  g_list_free_full (m->relays, (GDestroyNotify) relay_free);
  g_rand_free (m->rand);
  g_free (m);
}

gboolean
messages_receive (ChorusSipAdapter *a, gboolean overlay, guint64 conn, const guint8 *data,
                  gsize len)
{
  AdapterMessages *m = a->messages;
  /* the method is the first token of a request's start-line (RFC 3261
   * §7.1); responses are looked at for their CSeq method */
  gboolean request = len > 8 && memcmp (data, "MESSAGE ", 8) == 0;
  if (!request && !(len > 8 && memcmp (data, "SIP/2.0 ", 8) == 0))
    return FALSE;
  osip_message_t *msg = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  if (chorus_sip_message_parse (data, len, &msg, &status, &error) != CHORUS_SIP_PARSE_OK)
    {
      /* the UA refuses it (§8.2, or drops it) */
      if (msg != NULL)
        osip_message_free (msg);
      return FALSE;
    }
  Side *side = &m->sides[overlay ? 1 : 0];
  gboolean taken = FALSE;
  if (!request)
    {
      /* §8.1.3.3: one Via, ours */
      if (g_strcmp0 (chorus_sip_message_method (msg), "MESSAGE") == 0
          && osip_list_size (&msg->vias) == 1)
        taken = chorus_sip_txn_client_receive (side->txns, conn, msg, now_ms ());
    }
  else
    {
      taken = TRUE;
      if (!chorus_sip_txn_server_receive (side->txns, conn, msg, now_ms ()))
        relay_start (m, side, conn, msg);
    }
  osip_message_free (msg);
  sweep (m);
  messages_poke (m);
  return taken;
}

void
messages_conn_up (ChorusSipAdapter *a, guint id, guint64 conn)
{
  Relay *r = relay_find (a->messages, id);
  if (r != NULL && r->dialer != NULL)
    chorus_dialer_conn_up (r->dialer, conn);
}

void
messages_conn_down (ChorusSipAdapter *a, guint id, guint64 conn)
{
  Relay *r = relay_find (a->messages, id);
  if (r == NULL)
    return;
  for (guint i = 0; i < r->overlay_conns->len; i++)
    if (g_array_index (r->overlay_conns, guint64, i) == conn)
      {
        g_array_remove_index (r->overlay_conns, i);
        break;
      }
  if (r->dialer != NULL)
    chorus_dialer_conn_down (r->dialer, conn);
}

void
messages_conn_closed (ChorusSipAdapter *a, gboolean overlay, guint64 conn)
{
  AdapterMessages *m = a->messages;
  chorus_sip_txn_connection_lost (m->sides[overlay ? 1 : 0].txns, conn, now_ms ());
  sweep (m);
  messages_poke (m);
}

void
messages_json (ChorusSipAdapter *a, JsonBuilder *b)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "relayed");
  json_builder_add_int_value (b, a->messages->relayed);
  json_builder_set_member_name (b, "delivered");
  json_builder_add_int_value (b, a->messages->delivered);
  json_builder_end_object (b);
}
