/* chorus-sip-adapter.c: the adapter peer's phone side (transport and
 * registrar), the overlay registrations of its users, and its AppAttach
 * connections (see chorus-sip-adapter.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-adapter"

#include "chorus-sip-adapter-private.h"

#include "chorus-registration-store.h"
#include "reload-peer-shell.h"

#include <string.h>

/* ---------------------------------------------------------------- UAs */

void
adapter_poke (ChorusSipAdapter *a)
{
  chorus_ua_timer_poke (&a->phone_timer);
  chorus_ua_timer_poke (&a->overlay_timer);
}

static void
phone_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  g_autoptr (GError) error = NULL;
  if (!chorus_sip_transport_send (a->transport, conn, data, len, &error))
    g_debug ("SIP to phone connection %" G_GUINT64_FORMAT ": %s", conn, error->message);
}

static void
phone_event (const ChorusSipEvent *event, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  bridge_event (a, a->phone_ua, event);
}

/* the B2BUA answers re-INVITEs with what the other side answers */
static const ChorusSipUaCallbacks phone_callbacks = { phone_send, phone_event, TRUE };

static void
overlay_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  g_autoptr (GError) error = NULL;
  if (!reload_peer_shell_app_send (a->shell, conn, data, len, &error))
    g_debug ("SIP to overlay connection %" G_GUINT64_FORMAT ": %s", conn, error->message);
}

static void
overlay_event (const ChorusSipEvent *event, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  bridge_event (a, a->overlay_ua, event);
}

static const ChorusSipUaCallbacks overlay_callbacks = { overlay_send, overlay_event, TRUE };

/* ---------------------------------------------------------------- registrations */

struct AdapterRequest
{
  ChorusSipAdapter *adapter; /* NULL once it is gone */
  char *user;
  gboolean exists;
  gint64 sent_ms;
};

static void store_user (ChorusSipAdapter *a, UserState *st, gboolean exists);
static gboolean has_bindings (ChorusSipAdapter *a, const char *aor);

static void
clear_refresh (UserState *st)
{
  if (st->refresh == NULL)
    return;
  g_source_destroy (st->refresh);
  g_clear_pointer (&st->refresh, g_source_unref);
}

typedef struct
{
  ChorusSipAdapter *adapter;
  UserState *state;
} RefreshRef;

static gboolean
refresh_fired (gpointer data)
{
  RefreshRef *r = data;
  g_clear_pointer (&r->state->refresh, g_source_unref);
  store_user (r->adapter, r->state, TRUE);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (ChorusSipAdapter *a, UserState *st, guint delay_ms)
{
  clear_refresh (st);
  RefreshRef *r = g_new0 (RefreshRef, 1);
  r->adapter = a;
  r->state = st;
  st->refresh = g_timeout_source_new (delay_ms);
  g_source_set_callback (st->refresh, refresh_fired, r, g_free);
  g_source_attach (st->refresh, g_main_context_get_thread_default ());
}

static void
finish_stop (ChorusSipAdapter *a)
{
  if (a->stop_timer != NULL)
    {
      g_source_destroy (a->stop_timer);
      g_clear_pointer (&a->stop_timer, g_source_unref);
    }
  GSourceFunc done = g_steal_pointer (&a->stop_done);
  if (done != NULL)
    done (a->stop_data);
}

static void
stored (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  struct AdapterRequest *r = user_data;
  ChorusSipAdapter *a = r->adapter;
  g_autofree char *user = r->user;
  gboolean exists = r->exists;
  gint64 sent = r->sent_ms;
  if (a != NULL)
    a->requests = g_list_remove (a->requests, r);
  g_free (r);
  if (a == NULL)
    return;
  UserState *st = g_hash_table_lookup (a->states, user);
  gboolean ok = answer != NULL && answer->message_code == RELOAD_STORE_ANS;
  st->storing = FALSE;
  if (!exists)
    {
      st->registered = FALSE;
      if (a->stopping && a->removals > 0 && --a->removals == 0)
        finish_stop (a);
      /* a phone registered again while the removal was on its way */
      else if (!a->stopping && has_bindings (a, st->user->aor))
        {
          st->early_stores = 0;
          store_user (a, st, TRUE);
        }
      return;
    }
  if (!ok)
    {
      const char *why = error ? error->message : "refused";
      if (answer != NULL && answer->message_code == RELOAD_ERROR)
        why = rw_enum_name (reload_error_code_names,
                            ((const ReloadErrorResponse *) answer->body)->error_code);
      g_message ("registering %s in the overlay failed: %s; again in 5 s", st->user->aor,
                 why ? why : "?");
      schedule_refresh (a, st, 5000);
      return;
    }
  if (!st->registered)
    g_message ("registered %s in the overlay (its phone registered here)", st->user->aor);
  st->registered = TRUE;
  /* its last phone went while this Store was on its way */
  if (!has_bindings (a, st->user->aor))
    {
      store_user (a, st, FALSE);
      return;
    }
  gint64 at = chorus_sip_registration_refresh_at (sent, CHORUS_SIP_ADAPTER_REGISTRATION_LIFETIME_S);
  guint delay = (guint) CLAMP (at - reload_peer_shell_now (), 1000, G_MAXINT);
  /* the first stores after a join or a new phone go again soon: the
   * ring may still be settling (chorus-phone.h) */
  if (st->early_stores < 3)
    delay = MIN (delay, 3000u << st->early_stores++);
  schedule_refresh (a, st, delay);
}

/* RFC 7904 §3: the user's entry at H(sip:USER@OVERLAY), keyed by the
 * Node-ID of the user's certificate and signed with its key (§3.2
 * USER-NODE-MATCH), the route form leading to this adapter. */
static void
store_user (ChorusSipAdapter *a, UserState *st, gboolean exists)
{
  const ChorusAdapterUser *u = st->user;
  g_autoptr (GBytes) der = reload_cert_get_der (u->creds->cert);
  g_autoptr (GError) error = NULL;
  if (!reload_peer_shell_add_certificate (a->shell, der, &error))
    {
      g_warning ("the certificate of %s: %s", u->aor, error->message);
      return;
    }
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&a->node_id, NULL);
  struct AdapterRequest *r = g_new0 (struct AdapterRequest, 1);
  r->adapter = a;
  r->user = g_strdup (u->user);
  r->exists = exists;
  r->sent_ms = reload_peer_shell_now ();
  /* before the request: when this node is responsible for H(AOR), the
   * answer (stored()) comes inside it */
  a->requests = g_list_prepend (a->requests, r);
  st->storing = TRUE;
  /* keyed by the adapter's Node-ID, which the user's certificate holds
   * (chorus-adapter-users.h) */
  if (!chorus_registration_store (a->shell, u->aor, &a->node_id, route, exists,
                                  CHORUS_SIP_ADAPTER_REGISTRATION_LIFETIME_S,
                                  reload_x509_security_ops (), u->signer, stored, r))
    {
      a->requests = g_list_remove (a->requests, r);
      st->storing = FALSE;
      g_free (r->user);
      g_free (r);
      return; /* not joined: chorus_sip_adapter_joined() stores it */
    }
}

static gboolean
has_bindings (ChorusSipAdapter *a, const char *aor)
{
  g_autoptr (GPtrArray) b =
      chorus_sip_registrar_lookup (a->registrar, aor, g_get_monotonic_time () / 1000);
  return b->len > 0;
}

/* ChorusSipRegistrar events: a user's first phone registers it in the
 * overlay, its last one going removes it. */
static void
registrar_event (const ChorusSipRegistrarEvent *e, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  UserState *st = e->user ? g_hash_table_lookup (a->states, e->user) : NULL;
  if (st == NULL)
    return;
  switch (e->type)
    {
    case CHORUS_SIP_REGISTRAR_BINDING_ADDED:
      g_message ("phone of %s registered: %s", e->aor, e->contact);
      adapter_phone_conn_declare (a, e->conn);
      if (!st->registered && !st->storing && !a->stopping)
        {
          st->early_stores = 0;
          store_user (a, st, TRUE);
        }
      break;
    case CHORUS_SIP_REGISTRAR_BINDING_REFRESHED:
      adapter_phone_conn_declare (a, e->conn);
      break;
    case CHORUS_SIP_REGISTRAR_BINDING_REMOVED:
    case CHORUS_SIP_REGISTRAR_BINDING_EXPIRED:
      g_message ("phone of %s %s: %s", e->aor,
                 e->type == CHORUS_SIP_REGISTRAR_BINDING_EXPIRED ? "expired" : "unregistered",
                 e->contact);
      if (!has_bindings (a, e->aor) && (st->registered || st->storing))
        {
          clear_refresh (st);
          store_user (a, st, FALSE);
        }
      break;
    }
}

static const char *
user_password (const char *user, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  const ChorusAdapterUser *u = chorus_adapter_users_lookup (a->users, user);
  return u ? u->password : NULL;
}

static gboolean registrar_tick (gpointer data);

static void
registrar_poke (ChorusSipAdapter *a)
{
  if (a->registrar_timer != NULL)
    {
      g_source_destroy (a->registrar_timer);
      g_clear_pointer (&a->registrar_timer, g_source_unref);
    }
  gint64 at = chorus_sip_registrar_next_timeout (a->registrar);
  if (at < 0)
    return;
  gint64 now = g_get_monotonic_time () / 1000;
  a->registrar_timer = g_timeout_source_new ((guint) CLAMP (at - now, 0, G_MAXINT));
  g_source_set_callback (a->registrar_timer, registrar_tick, a, NULL);
  g_source_attach (a->registrar_timer, g_main_context_get_thread_default ());
}

static gboolean
registrar_tick (gpointer data)
{
  ChorusSipAdapter *a = data;
  g_clear_pointer (&a->registrar_timer, g_source_unref);
  chorus_sip_registrar_tick (a->registrar, g_get_monotonic_time () / 1000);
  registrar_poke (a);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- phones */

void
adapter_phone_conn_declare (ChorusSipAdapter *a, guint64 conn)
{
  if (g_hash_table_contains (a->phone_conns, &conn))
    return;
  gboolean reliable = FALSE;
  g_autoptr (GInetSocketAddress) remote =
      chorus_sip_transport_get_remote (a->transport, conn, &reliable);
  if (remote == NULL)
    return;
  guint64 *key = g_new (guint64, 1);
  *key = conn;
  g_hash_table_insert (a->phone_conns, key, GINT_TO_POINTER (1));
  /* UDP: the transaction layer retransmits (RFC 3261 §17) */
  chorus_sip_ua_connection_add (a->phone_ua, conn, reliable);
}

static void
transport_message (ChorusSipTransport *t, guint64 conn, gboolean reliable, const guint8 *data,
                   gsize len, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  gint64 now = g_get_monotonic_time () / 1000;
  adapter_phone_conn_declare (a, conn);
  /* the method is the first token of a request's start-line (RFC 3261
   * §7.1): REGISTER goes to the registrar, the rest to the phone UA */
  if (len > 9 && memcmp (data, "REGISTER ", 9) == 0)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) response =
          chorus_sip_registrar_handle (a->registrar, conn, data, len, now, &error);
      if (response == NULL)
        g_debug ("REGISTER from connection %" G_GUINT64_FORMAT " dropped: %s", conn,
                 error->message);
      else
        {
          gsize n;
          const guint8 *r = g_bytes_get_data (response, &n);
          g_autoptr (GError) send_error = NULL;
          if (!chorus_sip_transport_send (a->transport, conn, r, n, &send_error))
            g_debug ("REGISTER answer: %s", send_error->message);
        }
      registrar_poke (a);
      return;
    }
  if (messages_receive (a, FALSE, conn, data, len))
    return;
  g_autoptr (GError) error = NULL;
  if (!chorus_sip_ua_receive (a->phone_ua, conn, data, len, now, &error))
    g_debug ("SIP from phone connection %" G_GUINT64_FORMAT " refused: %s", conn, error->message);
  adapter_poke (a);
}

static void
transport_closed (ChorusSipTransport *t, guint64 conn, gpointer user_data)
{
  ChorusSipAdapter *a = user_data;
  gint64 now = g_get_monotonic_time () / 1000;
  if (g_hash_table_remove (a->phone_conns, &conn))
    chorus_sip_ua_connection_closed (a->phone_ua, conn, now);
  messages_conn_closed (a, FALSE, conn);
  chorus_sip_registrar_connection_closed (a->registrar, conn, now);
  registrar_poke (a);
  adapter_poke (a);
}

static const ChorusSipTransportCallbacks transport_callbacks = {
  .message = transport_message,
  .closed = transport_closed,
};

/* ---------------------------------------------------------------- AppAttach */

static gboolean
app_accept (gpointer user_data, guint64 conn, const ReloadNodeId *peer, const char *user,
            guint16 application)
{
  ChorusSipAdapter *a = user_data;
  if (a->stopping)
    return FALSE;
  guint64 *key = g_new (guint64, 1);
  *key = conn;
  g_hash_table_insert (a->overlay_conns, key, GUINT_TO_POINTER (0));
  return TRUE;
}

static void
app_up (gpointer user_data, guint64 conn, const ReloadCertIdentity *peer)
{
  ChorusSipAdapter *a = user_data;
  gpointer bridge;
  if (!g_hash_table_lookup_extended (a->overlay_conns, &conn, NULL, &bridge))
    {
      reload_peer_shell_app_close (a->shell, conn);
      return;
    }
  chorus_sip_ua_connection_add (a->overlay_ua, conn, FALSE);
  if (GPOINTER_TO_UINT (bridge) != 0)
    bridge_overlay_conn_up (a, GPOINTER_TO_UINT (bridge), conn);
}

static void
app_message (gpointer user_data, guint64 conn, const guint8 *data, gsize len)
{
  ChorusSipAdapter *a = user_data;
  if (messages_receive (a, TRUE, conn, data, len))
    return;
  g_autoptr (GError) error = NULL;
  if (!chorus_sip_ua_receive (a->overlay_ua, conn, data, len, g_get_monotonic_time () / 1000,
                              &error))
    g_debug ("SIP from overlay connection %" G_GUINT64_FORMAT " refused: %s", conn, error->message);
  adapter_poke (a);
}

static void
app_down (gpointer user_data, guint64 conn, const GError *error)
{
  ChorusSipAdapter *a = user_data;
  gpointer bridge;
  if (!g_hash_table_lookup_extended (a->overlay_conns, &conn, NULL, &bridge))
    return;
  g_hash_table_remove (a->overlay_conns, &conn);
  chorus_sip_ua_connection_closed (a->overlay_ua, conn, g_get_monotonic_time () / 1000);
  messages_conn_closed (a, TRUE, conn);
  if (GPOINTER_TO_UINT (bridge) != 0)
    bridge_overlay_conn_down (a, GPOINTER_TO_UINT (bridge), conn);
  adapter_poke (a);
}

/* ---------------------------------------------------------------- API */

ChorusSipAdapter *
chorus_sip_adapter_new (ReloadPeerShell *shell, const char *listen, ChorusAdapterUsers *users,
                        GError **error)
{
  g_autoptr (ChorusSipAdapter) a = g_new0 (ChorusSipAdapter, 1);
  const ReloadCertIdentity *id = reload_peer_shell_get_identity (shell);
  a->shell = shell;
  a->users = users;
  a->domain = g_strdup (id->overlay_name);
  a->node_id = id->node_ids[0];
  a->phone_conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  a->overlay_conns = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  a->states = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  a->next_bridge_id = 1;
  a->messages = messages_new (a);
  for (guint i = 0; i < chorus_adapter_users_count (users); i++)
    {
      UserState *st = g_new0 (UserState, 1);
      st->user = chorus_adapter_users_get (users, i);
      g_hash_table_insert (a->states, st->user->user, st);
    }
  a->transport = chorus_sip_transport_new (listen, &transport_callbacks, a, error);
  if (a->transport == NULL)
    return NULL;
  a->listen = reload_peer_shell_format_address (chorus_sip_transport_get_address (a->transport));
  GInetAddress *host =
      g_inet_socket_address_get_address (chorus_sip_transport_get_address (a->transport));
  g_autofree char *host_text = g_inet_address_to_string (host);

  ChorusSipRegistrarConfig rc = { 0 };
  rc.domain = a->domain;
  const char *aliases[] = { host_text, NULL };
  rc.aliases = aliases;
  rc.password = user_password;
  a->registrar = chorus_sip_registrar_new (&rc, registrar_event, a, error);
  if (a->registrar == NULL)
    return NULL;

  /* the phones' side: our Vias and Contact name the adapter's address, so
   * that responses and in-dialog requests come back here (RFC 3261
   * §18.2.2, §12.1.1) */
  g_autofree char *contact = g_strdup_printf ("sip:adapter@%s", a->listen);
  g_autofree char *own = chorus_sip_aor_from_user_name (id->user_name, error);
  if (own == NULL)
    return NULL;
  ChorusSipUaConfig pc = { 0 };
  pc.aor = own;
  pc.contact = contact;
  pc.via_host = a->listen;
  pc.via_transport_reliable = "TCP";
  pc.via_transport_unreliable = "UDP";
  pc.user_agent = "Chorus adapter";
  pc.check_request_uri = FALSE;
  a->phone_ua = chorus_sip_ua_new (&pc, &phone_callbacks, a, error);
  if (a->phone_ua == NULL)
    return NULL;
  chorus_ua_timer_init (&a->phone_timer, a->phone_ua);

  /* the overlay's side: the adapter's own AOR and GRUU (RFC 7904 §5) */
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&a->node_id, NULL);
  g_autofree char *gruu = chorus_sip_gruu_build (own, route, NULL);
  ChorusSipUaConfig oc = { 0 };
  oc.aor = own;
  oc.contact = gruu;
  oc.user_agent = "Chorus adapter";
  oc.check_request_uri = FALSE;
  a->overlay_ua = chorus_sip_ua_new (&oc, &overlay_callbacks, a, error);
  if (a->overlay_ua == NULL)
    return NULL;
  chorus_ua_timer_init (&a->overlay_timer, a->overlay_ua);

  ReloadPeerShellAppHandler h = {
    .accept = app_accept,
    .up = app_up,
    .message = app_message,
    .down = app_down,
    .user_data = a,
  };
  reload_peer_shell_set_app_handler (shell, CHORUS_SIP_ADAPTER_APPLICATION, &h);
  g_message ("SIP adapter for %u users on %s (UDP and TCP)", chorus_adapter_users_count (users),
             a->listen);
  return g_steal_pointer (&a);
}

void
chorus_sip_adapter_free (ChorusSipAdapter *a)
{
  if (a == NULL)
    return;
  if (a->phone_ua != NULL || a->overlay_ua != NULL)
    reload_peer_shell_set_app_handler (a->shell, CHORUS_SIP_ADAPTER_APPLICATION, NULL);
  for (GList *l = a->requests; l; l = l->next)
    ((struct AdapterRequest *) l->data)->adapter = NULL;
  g_list_free (a->requests);
  g_list_free_full (a->bridges, (GDestroyNotify) bridge_free);
  g_clear_pointer (&a->messages, messages_free);
  if (a->overlay_conns != NULL)
    {
      GHashTableIter it;
      gpointer key;
      g_hash_table_iter_init (&it, a->overlay_conns);
      while (g_hash_table_iter_next (&it, &key, NULL))
        reload_peer_shell_app_close (a->shell, *(guint64 *) key);
      g_hash_table_unref (a->overlay_conns);
    }
  if (a->states != NULL)
    {
      GHashTableIter it;
      gpointer value;
      g_hash_table_iter_init (&it, a->states);
      while (g_hash_table_iter_next (&it, NULL, &value))
        clear_refresh (value);
      g_hash_table_unref (a->states);
    }
  chorus_ua_timer_clear (&a->phone_timer);
  chorus_ua_timer_clear (&a->overlay_timer);
  g_clear_pointer (&a->phone_ua, chorus_sip_ua_free);
  g_clear_pointer (&a->overlay_ua, chorus_sip_ua_free);
  if (a->registrar_timer != NULL)
    {
      g_source_destroy (a->registrar_timer);
      g_clear_pointer (&a->registrar_timer, g_source_unref);
    }
  if (a->stop_timer != NULL)
    {
      g_source_destroy (a->stop_timer);
      g_clear_pointer (&a->stop_timer, g_source_unref);
    }
  g_clear_pointer (&a->registrar, chorus_sip_registrar_free);
  g_clear_pointer (&a->transport, chorus_sip_transport_free);
  g_clear_pointer (&a->phone_conns, g_hash_table_unref);
  g_clear_pointer (&a->users, chorus_adapter_users_free);
  g_free (a->domain);
  g_free (a->listen);
  g_free (a);
}

char *
chorus_sip_adapter_get_listen (ChorusSipAdapter *a)
{
  return g_strdup (a->listen);
}

void
chorus_sip_adapter_joined (ChorusSipAdapter *a)
{
  if (a->stopping)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, a->states);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      UserState *st = value;
      if (has_bindings (a, st->user->aor) && !st->storing)
        {
          st->early_stores = 0;
          store_user (a, st, TRUE);
        }
    }
}

static gboolean
stop_timed_out (gpointer data)
{
  ChorusSipAdapter *a = data;
  g_clear_pointer (&a->stop_timer, g_source_unref);
  g_message ("removing the phones' registrations: no answer in time");
  finish_stop (a);
  return G_SOURCE_REMOVE;
}

void
chorus_sip_adapter_stop (ChorusSipAdapter *a, guint timeout_ms, GSourceFunc done,
                         gpointer user_data)
{
  a->stopping = TRUE;
  a->stop_done = done;
  a->stop_data = user_data;
  bridge_hangup_all (a);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, a->states);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      UserState *st = value;
      clear_refresh (st);
      if (st->registered || st->storing)
        {
          a->removals++;
          store_user (a, st, FALSE);
        }
    }
  if (a->removals == 0)
    {
      finish_stop (a);
      return;
    }
  a->stop_timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (a->stop_timer, stop_timed_out, a, NULL);
  g_source_attach (a->stop_timer, g_main_context_get_thread_default ());
}

JsonNode *
chorus_sip_adapter_status_json (ChorusSipAdapter *a)
{
  gint64 now = g_get_monotonic_time () / 1000;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "listen");
  json_builder_add_string_value (b, a->listen);
  json_builder_set_member_name (b, "users");
  json_builder_begin_array (b);
  for (guint i = 0; i < chorus_adapter_users_count (a->users); i++)
    {
      const ChorusAdapterUser *u = chorus_adapter_users_get (a->users, i);
      UserState *st = g_hash_table_lookup (a->states, u->user);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "user");
      json_builder_add_string_value (b, u->user);
      json_builder_set_member_name (b, "aor");
      json_builder_add_string_value (b, u->aor);
      json_builder_set_member_name (b, "registered");
      json_builder_add_boolean_value (b, st->registered);
      json_builder_set_member_name (b, "bindings");
      json_builder_begin_array (b);
      g_autoptr (GPtrArray) bindings = chorus_sip_registrar_lookup (a->registrar, u->aor, now);
      for (guint k = 0; k < bindings->len; k++)
        {
          const ChorusSipRegistrarBinding *bd = g_ptr_array_index (bindings, k);
          gboolean reliable = FALSE;
          g_autoptr (GInetSocketAddress) remote =
              chorus_sip_transport_get_remote (a->transport, bd->conn, &reliable);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "contact");
          json_builder_add_string_value (b, bd->contact);
          json_builder_set_member_name (b, "expires_s");
          json_builder_add_int_value (b, MAX (0, (bd->expires_at_ms - now) / 1000));
          json_builder_set_member_name (b, "transport");
          json_builder_add_string_value (b, remote == NULL ? "gone" : reliable ? "TCP" : "UDP");
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "messages");
  messages_json (a, b);
  json_builder_set_member_name (b, "calls");
  json_builder_begin_array (b);
  for (GList *l = a->bridges; l; l = l->next)
    json_builder_add_value (b, bridge_json (l->data));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

GPtrArray *
adapter_phone_bindings (ChorusSipAdapter *a, const char *aor)
{
  GPtrArray *bindings =
      chorus_sip_registrar_lookup (a->registrar, aor, g_get_monotonic_time () / 1000);
  /* most recent first: the first binding of each connection stays */
  for (guint i = 0; i < bindings->len;)
    {
      const ChorusSipRegistrarBinding *bd = g_ptr_array_index (bindings, i);
      gboolean dup = FALSE;
      for (guint k = 0; k < i && !dup; k++)
        dup =
            ((const ChorusSipRegistrarBinding *) g_ptr_array_index (bindings, k))->conn == bd->conn;
      if (dup)
        g_ptr_array_remove_index (bindings, i);
      else
        i++;
    }
  return bindings;
}
