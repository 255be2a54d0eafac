/* reload-peer-shell-app.c: application connections made by AppAttach
 * (RFC 6940 §6.5.2), for the SIP usage (RFC 7904 §4) above all.
 *
 * An AppAttach is "nearly identical to Attach, except for the purpose of
 * the connection" (§6.5.2): each end has an ICE agent of its own (a
 * ReloadIceLink in datagram mode, separate from the overlay's links), the
 * requester's agent controls (RFC 8445 §6.1.1) and is the DTLS client
 * ("active", RFC 4145), and once a pair is selected DTLS runs on it with
 * the overlay certificates on both sides.  What runs inside is the
 * application's: SIP over DTLS, one message per record, as "normal SIP"
 * (RFC 7904 §4).  The certificate the other end presents must hold the
 * Node-ID the connection was meant for (the last destination of the
 * route, or the Node-ID that signed the AppAttach request), or the
 * connection is refused: the route is only a route, the certificate is the
 * identity.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "reload-peer-shell"

#include "reload-peer-shell-private.h"

#include <string.h>

typedef struct
{
  ReloadPeerShell *shell;
  guint64 id;
  guint16 application;
  gboolean outgoing;
  ReloadIceLink *ice;
  gboolean up;
  gboolean have_expected;
  ReloadNodeId expected; /* the Node-ID the certificate must hold */
  /* outgoing: the route, until the request goes (after gathering) */
  ReloadDestination *route;
  guint n_route;
  RwArena *arena;
  gboolean requested;
  /* incoming: the node's token for the answer, until it goes */
  guint64 token;
  gboolean answered;
  GSource *timeout;
} AppConn;

typedef struct
{
  guint16 application;
  ReloadPeerShellAppHandler handler;
} AppHandler;

struct RpsApp
{
  GHashTable *conns; /* guint64 -> AppConn */
  guint64 next_id;
  GArray *handlers; /* AppHandler */
  gboolean closing; /* the shell is being freed */
};

static struct RpsApp *
app_state (ReloadPeerShell *s)
{
  if (s->app == NULL)
    {
      s->app = g_new0 (struct RpsApp, 1);
      s->app->conns = g_hash_table_new (g_int64_hash, g_int64_equal);
      s->app->handlers = g_array_new (FALSE, TRUE, sizeof (AppHandler));
      s->app->next_id = 1;
    }
  return s->app;
}

static const ReloadPeerShellAppHandler *
handler_for (ReloadPeerShell *s, guint16 application)
{
  struct RpsApp *a = app_state (s);
  for (guint i = 0; i < a->handlers->len; i++)
    {
      AppHandler *h = &g_array_index (a->handlers, AppHandler, i);
      if (h->application == application)
        return &h->handler;
    }
  return NULL;
}

static void
conn_free (AppConn *c)
{
  g_clear_pointer (&c->ice, reload_ice_link_free);
  rps_clear_source (&c->timeout);
  g_clear_pointer (&c->arena, rw_arena_free);
  g_free (c);
}

/* Ends @c; `down` goes to the application unless @quiet. */
static void
conn_end (AppConn *c, const GError *error, gboolean quiet)
{
  ReloadPeerShell *s = c->shell;
  const ReloadPeerShellAppHandler *h = handler_for (s, c->application);
  guint64 id = c->id;
  g_hash_table_remove (s->app->conns, &c->id);
  if (!c->answered && c->token != 0 && s->node != NULL)
    {
      /* §6.5.2.2: an AppAttach this end cannot serve after all */
      reload_node_app_attach_refuse (s->node, c->token, RELOAD_ERROR_NOT_FOUND,
                                     "no connection could be made", reload_peer_shell_now ());
      reload_peer_shell_poke (s);
    }
  conn_free (c);
  if (!quiet && h != NULL && h->down != NULL)
    h->down (h->user_data, id, error);
}

static void conn_fail (AppConn *c, GQuark domain, gint code, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

static void
conn_fail (AppConn *c, GQuark domain, gint code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autoptr (GError) error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  g_message ("application connection %" G_GUINT64_FORMAT " (%u): %s", c->id, c->application,
             error->message);
  conn_end (c, error, FALSE);
}

static gboolean
conn_timed_out (gpointer data)
{
  AppConn *c = data;
  g_source_unref (c->timeout);
  c->timeout = NULL;
  conn_fail (c, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no connection within %u s",
             RELOAD_PEER_SHELL_APP_TIMEOUT_MS / 1000);
  return G_SOURCE_REMOVE;
}

/* -------------------------------------------------------------- requests */

typedef struct
{
  ReloadPeerShell *shell;
  guint64 id;
} ConnRef;

static AppConn *
conn_lookup (ReloadPeerShell *s, guint64 id)
{
  if (s->app == NULL || s->app->closing)
    return NULL;
  return g_hash_table_lookup (s->app->conns, &id);
}

/* The AppAttachAns (§6.5.2.2) or the failure of the request. */
static void
request_answered (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
                  const GError *error)
{
  ConnRef *ref = user_data;
  AppConn *c = conn_lookup (ref->shell, ref->id);
  g_free (ref);
  if (c == NULL)
    return;
  if (answer == NULL)
    {
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED, "AppAttach failed: %s",
                 error ? error->message : "no answer");
      return;
    }
  if (answer->message_code == RELOAD_ERROR)
    {
      const ReloadErrorResponse *e = answer->body;
      const char *name = rw_enum_name (reload_error_code_names, e->error_code);
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                 "AppAttach refused: %s", name ? name : "Error_Unknown");
      return;
    }
  if (answer->message_code != RELOAD_APP_ATTACH_ANS || answer->body == NULL)
    {
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                 "the answer to AppAttach is not an AppAttachAns");
      return;
    }
  const ReloadAppAttachAns *ans = answer->body;
  g_autoptr (GError) ice_error = NULL;
  /* §6.5.2.2: "When a peer receives an AppAttach response, it SHOULD parse
   * the response and begin its own ICE checks" */
  if (ans->application != c->application)
    conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
               "the AppAttach answer is for application %u, not %u", ans->application,
               c->application);
  else if (!reload_ice_link_set_remote (c->ice, ans->ufrag, ans->password, ans->candidates,
                                        ans->n_candidates, &ice_error))
    conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED, "%s",
               ice_error->message);
}

/* Our ICE parameters, as an AppAttachReq or AppAttachAns carries them. */
static gboolean
local_part (AppConn *c, RwArena *arena, ReloadAppAttachReqAns *out)
{
  memset (out, 0, sizeof *out);
  out->application = c->application;
  /* RFC 4145 roles as the ICE links use them: the requester is the DTLS
   * client ("active") */
  const char *role = c->outgoing ? "active" : "passive";
  out->role = (RwBytes){ (const guint8 *) role, strlen (role) };
  return reload_ice_link_get_local (c->ice, arena, &out->ufrag, &out->password, &out->candidates,
                                    &out->n_candidates);
}

/* The agent has gathered: the request goes (outgoing), or the answer
 * (incoming). */
static void
conn_gathered (AppConn *c)
{
  ReloadPeerShell *s = c->shell;
  if (s->node == NULL)
    {
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED, "no overlay node");
      return;
    }
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAppAttachReqAns ice;
  if (!local_part (c, arena, &ice) || ice.n_candidates == 0)
    {
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                 "no local ICE candidate");
      return;
    }
  gint64 now = reload_peer_shell_now ();
  if (c->outgoing && !c->requested)
    {
      c->requested = TRUE;
      ConnRef *ref = g_new0 (ConnRef, 1);
      ref->shell = s;
      ref->id = c->id;
      reload_node_request_routed (s->node, c->route, c->n_route, RELOAD_APP_ATTACH_REQ, &ice,
                                  request_answered, ref, now);
      reload_peer_shell_poke (s);
    }
  else if (!c->outgoing && !c->answered)
    {
      c->answered = TRUE;
      reload_node_app_attach_answer (s->node, c->token, &ice, now);
      reload_peer_shell_poke (s);
    }
}

/* -------------------------------------------------------------- ICE */

static void
ice_gathered (ReloadIceLink *ice, gpointer user_data)
{
  AppConn *c = user_data;
  /* gathered inside reload_ice_link_new(): conn_new() reports it */
  if (c->ice == NULL)
    return;
  conn_gathered (c);
}

static void
ice_up (ReloadIceLink *ice, const ReloadCertIdentity *identity, gpointer user_data)
{
  AppConn *c = user_data;
  gboolean holds = !c->have_expected;
  for (guint i = 0; !holds && i < identity->n_node_ids; i++)
    holds = reload_node_id_equal (&identity->node_ids[i], &c->expected);
  if (!holds)
    {
      /* §6.5.2 via §6.5.1: the other end is not the node we attached to */
      conn_fail (c, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                 "the certificate of %s does not hold the Node-ID the connection is for",
                 identity->user_name ? identity->user_name : "the peer");
      return;
    }
  c->up = TRUE;
  rps_clear_source (&c->timeout);
  const ReloadPeerShellAppHandler *h = handler_for (c->shell, c->application);
  if (h != NULL && h->up != NULL)
    h->up (h->user_data, c->id, identity);
}

static void
ice_message (ReloadIceLink *ice, const guint8 *data, gsize len, gpointer user_data)
{
  AppConn *c = user_data;
  const ReloadPeerShellAppHandler *h = handler_for (c->shell, c->application);
  if (c->up && h != NULL && h->message != NULL)
    h->message (h->user_data, c->id, data, len);
}

static void
ice_down (ReloadIceLink *ice, const GError *error, gpointer user_data)
{
  AppConn *c = user_data;
  if (error != NULL)
    g_message ("application connection %" G_GUINT64_FORMAT " (%u) down: %s", c->id, c->application,
               error->message);
  conn_end (c, error, FALSE);
}

static const ReloadIceLinkCallbacks app_ice_callbacks = {
  .gathered = ice_gathered,
  .up = ice_up,
  .message = ice_message,
  .down = ice_down,
};

static gboolean
gathered_at_once (gpointer data)
{
  ConnRef *ref = data;
  AppConn *c = conn_lookup (ref->shell, ref->id);
  if (c != NULL)
    conn_gathered (c);
  return G_SOURCE_REMOVE;
}

static AppConn *
conn_new (ReloadPeerShell *s, guint16 application, gboolean outgoing, GError **error)
{
  struct RpsApp *a = app_state (s);
  if (g_hash_table_size (a->conns) >= RELOAD_PEER_SHELL_MAX_APP_CONNECTIONS)
    {
      g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                   "%u application connections at once already",
                   RELOAD_PEER_SHELL_MAX_APP_CONNECTIONS);
      return NULL;
    }
  AppConn *c = g_new0 (AppConn, 1);
  c->shell = s;
  c->id = a->next_id++;
  c->application = application;
  c->outgoing = outgoing;
  ReloadIceLinkConfig cfg = { 0 };
  /* §6.5.2 as §6.5.1: the requester controls (RFC 8445 §6.1.1) */
  cfg.controlling = outgoing;
  cfg.datagram = TRUE;
  const char *addresses[] = { s->ice_address, NULL };
  cfg.local_addresses = s->ice_address != NULL ? addresses : NULL;
  rps_turn_ice_config (s, &cfg);
  c->ice = reload_ice_link_new (&cfg, s->cert, s->key, s->ca, &app_ice_callbacks, c, error);
  if (c->ice == NULL)
    {
      conn_free (c);
      return NULL;
    }
  g_hash_table_insert (a->conns, &c->id, c);
  c->timeout = rps_timeout_source (s, RELOAD_PEER_SHELL_APP_TIMEOUT_MS, conn_timed_out, c);
  if (reload_ice_link_is_gathered (c->ice))
    {
      /* reported after the caller has what it needs of @c */
      ConnRef *ref = g_new0 (ConnRef, 1);
      ref->shell = s;
      ref->id = c->id;
      GSource *src = g_idle_source_new ();
      g_source_set_callback (src, gathered_at_once, ref, g_free);
      g_source_attach (src, s->context);
      g_source_unref (src);
    }
  return c;
}

/* -------------------------------------------------------------- the node */

/* ReloadNodeShell.app_attach: an AppAttachReq (§6.5.2.1) for this node. */
gboolean
rps_node_app_attach (gpointer shell, const ReloadNodeId *peer, const char *user,
                     const ReloadAppAttachReq *req, guint64 token)
{
  ReloadPeerShell *s = shell;
  const ReloadPeerShellAppHandler *h = handler_for (s, req->application);
  /* §6.5.2.2: "If the Application ID is not supported, the peer MUST
   * reply with an Error_Not_Found error" */
  if (h == NULL || s->leaving)
    return FALSE;
  g_autoptr (GError) error = NULL;
  AppConn *c = conn_new (s, req->application, FALSE, &error);
  if (c == NULL)
    {
      g_message ("AppAttach from %s refused: %s", user ? user : "?", error->message);
      return FALSE;
    }
  c->have_expected = TRUE;
  c->expected = *peer;
  if (!reload_ice_link_set_remote (c->ice, req->ufrag, req->password, req->candidates,
                                   req->n_candidates, &error))
    {
      g_message ("AppAttach from %s refused: %s", user ? user : "?", error->message);
      conn_end (c, NULL, TRUE);
      return FALSE;
    }
  if (h->accept != NULL && !h->accept (h->user_data, c->id, peer, user, req->application))
    {
      conn_end (c, NULL, TRUE);
      return FALSE;
    }
  c->token = token;
  return TRUE;
}

/* -------------------------------------------------------------- API */

static RwBytes
copy_bytes (RwArena *arena, RwBytes b)
{
  if (b.len == 0)
    return (RwBytes){ NULL, 0 };
  guint8 *d = rw_arena_alloc0 (arena, b.len);
  memcpy (d, b.data, b.len);
  return (RwBytes){ d, b.len };
}

void
reload_peer_shell_set_app_handler (ReloadPeerShell *s, guint16 application,
                                   const ReloadPeerShellAppHandler *handler)
{
  struct RpsApp *a = app_state (s);
  for (guint i = 0; i < a->handlers->len; i++)
    if (g_array_index (a->handlers, AppHandler, i).application == application)
      {
        g_array_remove_index (a->handlers, i);
        break;
      }
  if (handler == NULL)
    return;
  AppHandler h = { application, *handler };
  g_array_append_val (a->handlers, h);
}

guint64
reload_peer_shell_app_connect (ReloadPeerShell *s, const ReloadDestination *route, guint n_route,
                               guint16 application, GError **error)
{
  if (n_route == 0 || handler_for (s, application) == NULL)
    {
      g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_INVALID,
                   "an application connection needs a route and a handler for application %u",
                   application);
      return 0;
    }
  if (s->node == NULL || !reload_node_is_joined (s->node))
    {
      g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_FAILED,
                   "not joined to the overlay");
      return 0;
    }
  AppConn *c = conn_new (s, application, TRUE, error);
  if (c == NULL)
    return 0;
  /* the route is copied: the request goes once the agent has gathered */
  c->arena = rw_arena_new (0);
  c->route = rw_arena_alloc0 (c->arena, n_route * sizeof *c->route);
  c->n_route = n_route;
  for (guint i = 0; i < n_route; i++)
    {
      c->route[i] = route[i];
      c->route[i].resource_id = copy_bytes (c->arena, route[i].resource_id);
      c->route[i].opaque_id = copy_bytes (c->arena, route[i].opaque_id);
      c->route[i].unknown = copy_bytes (c->arena, route[i].unknown);
    }
  const ReloadDestination *last = &route[n_route - 1];
  if (last->type == RELOAD_DESTINATION_NODE)
    {
      c->have_expected = TRUE;
      c->expected = last->node_id;
    }
  return c->id;
}

gboolean
reload_peer_shell_app_send (ReloadPeerShell *s, guint64 conn, const guint8 *data, gsize len,
                            GError **error)
{
  AppConn *c = conn_lookup (s, conn);
  if (c == NULL || !c->up)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   "application connection %" G_GUINT64_FORMAT " is not up", conn);
      return FALSE;
    }
  return reload_ice_link_send (c->ice, data, len, error);
}

void
reload_peer_shell_app_close (ReloadPeerShell *s, guint64 conn)
{
  AppConn *c = conn_lookup (s, conn);
  if (c != NULL)
    conn_end (c, NULL, TRUE);
}

gboolean
reload_peer_shell_app_get_peer (ReloadPeerShell *s, guint64 conn, ReloadNodeId *peer)
{
  AppConn *c = conn_lookup (s, conn);
  if (c == NULL || !c->have_expected)
    return FALSE;
  *peer = c->expected;
  return TRUE;
}

void
rps_app_clear (ReloadPeerShell *s)
{
  struct RpsApp *a = s->app;
  if (a == NULL)
    return;
  a->closing = TRUE;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, a->conns);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      g_hash_table_iter_steal (&it);
      conn_free (value);
    }
  g_hash_table_unref (a->conns);
  g_array_unref (a->handlers);
  g_free (a);
  s->app = NULL;
}
