/* chorus-dialer.c: see chorus-dialer.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-phone"

#include "chorus-dialer.h"

#include "chorus-sip-registration.h"
#include "reload-datastore.h"
#include "reload-storage.h"

struct _ChorusDialer
{
  ReloadPeerShell *shell;
  char *aor;
  gboolean have_self;
  ReloadNodeId self;
  guint16 application;
  guint fork_grace_ms;
  ChorusDialerCallbacks cb;
  gpointer user_data;

  ChorusSipLookup *lookup;
  char *fetching;        /* the AOR the Fetch in flight is for */
  struct DialerRef *ref; /* of the Fetch in flight */
  GArray *pending;       /* guint64: AppAttaches not up yet */
  GArray *up;            /* guint64 */
  GSource *timer;        /* the start (idle), then the fork grace */
  gboolean finished;
};

/* What a Fetch answer finds of its dialer: NULL once it is freed. */
struct DialerRef
{
  ChorusDialer *dialer;
};

static void
clear_timer (ChorusDialer *d)
{
  if (d->timer == NULL)
    return;
  g_source_destroy (d->timer);
  g_clear_pointer (&d->timer, g_source_unref);
}

static void
arm (ChorusDialer *d, guint ms, GSourceFunc func)
{
  clear_timer (d);
  d->timer = ms == 0 ? g_idle_source_new () : g_timeout_source_new (ms);
  g_source_set_callback (d->timer, func, d, NULL);
  g_source_attach (d->timer, g_main_context_get_thread_default ());
}

static gboolean
remove_conn (GArray *a, guint64 conn)
{
  for (guint i = 0; i < a->len; i++)
    if (g_array_index (a, guint64, i) == conn)
      {
        g_array_remove_index (a, i);
        return TRUE;
      }
  return FALSE;
}

static void
release_pending (ChorusDialer *d)
{
  g_autoptr (GArray) pending = g_steal_pointer (&d->pending);
  d->pending = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < pending->len; i++)
    {
      guint64 conn = g_array_index (pending, guint64, i);
      reload_peer_shell_app_close (d->shell, conn);
      if (d->cb.released != NULL)
        d->cb.released (d, conn, d->user_data);
    }
}

/* Reports the end once; @d may be freed by the callback. */
static void
finish (ChorusDialer *d, int status, const char *reason)
{
  if (d->finished)
    return;
  d->finished = TRUE;
  clear_timer (d);
  release_pending (d);
  g_autoptr (GArray) up = g_steal_pointer (&d->up);
  d->up = g_array_new (FALSE, FALSE, sizeof (guint64));
  if (up->len > 0)
    status = 0, reason = NULL;
  d->cb.done (d, (const guint64 *) up->data, up->len, status, reason, d->user_data);
}

static void
maybe_finish (ChorusDialer *d)
{
  if (d->lookup != NULL || d->fetching != NULL)
    return;
  if (d->pending->len == 0)
    finish (d, 480, "unreachable"); /* up ones win over the status */
}

/* ---------------------------------------------------------------- connect */

static void
connect_targets (ChorusDialer *d)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *targets = chorus_sip_lookup_targets (d->lookup, &error);
  if (targets == NULL || targets->len == 0)
    {
      gboolean loop = g_error_matches (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_LOOP);
      g_message ("%s: %s", d->aor, error ? error->message : "not registered");
      g_clear_pointer (&d->lookup, chorus_sip_lookup_free);
      /* RFC 3261 §21.4.4 404 Not Found; a forwarding loop is what a proxy
       * answers 482 (§21.4.20) */
      finish (d, loop ? 482 : 404, loop ? "loop" : "not_registered");
      return;
    }
  for (guint i = 0; i < targets->len; i++)
    {
      ChorusSipTarget *t = g_ptr_array_index (targets, i);
      if (d->have_self && reload_node_id_equal (&t->node_id, &d->self))
        continue; /* this device */
      g_autoptr (GError) conn_error = NULL;
      guint64 conn = reload_peer_shell_app_connect (
          d->shell, t->route->destinations, t->route->n_destinations, d->application, &conn_error);
      if (conn == 0)
        {
          g_message ("%s: AppAttach: %s", d->aor, conn_error->message);
          continue;
        }
      g_array_append_val (d->pending, conn);
      if (d->cb.opened != NULL)
        d->cb.opened (d, conn, d->user_data);
    }
  g_clear_pointer (&d->lookup, chorus_sip_lookup_free);
  maybe_finish (d);
}

/* ---------------------------------------------------------------- lookup */

static void fetch_next (ChorusDialer *d);

static void
fetched (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  struct DialerRef *ref = user_data;
  ChorusDialer *d = ref->dialer;
  g_free (ref);
  if (d == NULL)
    return;
  d->ref = NULL;
  g_autofree char *aor = g_steal_pointer (&d->fetching);
  const ReloadStoredData *values = NULL;
  guint n = 0;
  if (answer == NULL)
    {
      /* no answer from the overlay at all (§6.2.1): not "not registered" */
      g_message ("looking %s up failed: %s", aor, error ? error->message : "no answer");
      g_clear_pointer (&d->lookup, chorus_sip_lookup_free);
      finish (d, 408, "lookup_failed");
      return;
    }
  if (answer->message_code == RELOAD_FETCH_ANS)
    {
      const ReloadFetchAns *f = answer->body;
      for (guint i = 0; i < f->n_kind_responses; i++)
        if (f->kind_responses[i].kind == RELOAD_KIND_SIP_REGISTRATION)
          {
            values = f->kind_responses[i].values;
            n = f->kind_responses[i].n_values;
          }
    }
  /* Error_Not_Found and an empty dictionary are both "nobody there" */
  chorus_sip_lookup_add_values (d->lookup, aor, values, n, reload_peer_shell_now (),
                                reload_storage_options (reload_node_storage (node)));
  fetch_next (d);
}

static void
fetch_next (ChorusDialer *d)
{
  const char *aor = chorus_sip_lookup_next_fetch (d->lookup);
  if (aor == NULL)
    {
      connect_targets (d);
      return;
    }
  ReloadNode *node = reload_peer_shell_get_node (d->shell);
  guint8 rid[16];
  if (node == NULL || !reload_node_is_joined (node) || !chorus_sip_aor_resource_id (aor, rid, NULL))
    {
      g_clear_pointer (&d->lookup, chorus_sip_lookup_free);
      finish (d, 503, "not_joined");
      return;
    }
  ReloadDestination dest = { 0 };
  dest.type = RELOAD_DESTINATION_RESOURCE;
  dest.resource_id = (RwBytes){ rid, 16 };
  /* RFC 7904 §4: the whole dictionary (a wildcard: no keys, RFC 6940
   * §7.4.2.1) */
  ReloadStoredDataSpecifier spec = { 0 };
  spec.kind = RELOAD_KIND_SIP_REGISTRATION;
  ReloadFetchReq f = { 0 };
  f.resource = dest.resource_id;
  f.specifiers = &spec;
  f.n_specifiers = 1;
  d->fetching = g_strdup (aor);
  d->ref = g_new0 (struct DialerRef, 1);
  d->ref->dialer = d;
  /* the answer may come inside the call (this node is responsible for
   * the AOR) and end the dial: @d is not touched after it */
  ReloadPeerShell *shell = d->shell;
  reload_node_request (node, &dest, RELOAD_FETCH_REQ, &f, fetched, d->ref,
                       reload_peer_shell_now ());
  reload_peer_shell_poke (shell);
}

static gboolean
start (gpointer data)
{
  ChorusDialer *d = data;
  g_clear_pointer (&d->timer, g_source_unref);
  g_autoptr (GError) error = NULL;
  d->lookup = chorus_sip_lookup_new (d->aor, 0, &error);
  if (d->lookup == NULL)
    finish (d, 400, "invalid_target");
  else
    fetch_next (d);
  return G_SOURCE_REMOVE;
}

static gboolean
grace_over (gpointer data)
{
  ChorusDialer *d = data;
  g_clear_pointer (&d->timer, g_source_unref);
  finish (d, 480, "unreachable");
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- API */

ChorusDialer *
chorus_dialer_new (ReloadPeerShell *shell, const char *aor, const ReloadNodeId *self,
                   guint16 application, guint fork_grace_ms, const ChorusDialerCallbacks *callbacks,
                   gpointer user_data)
{
  ChorusDialer *d = g_new0 (ChorusDialer, 1);
  d->shell = shell;
  d->aor = g_strdup (aor);
  d->have_self = self != NULL;
  if (self != NULL)
    d->self = *self;
  d->application = application;
  d->fork_grace_ms = fork_grace_ms;
  d->cb = *callbacks;
  d->user_data = user_data;
  d->pending = g_array_new (FALSE, FALSE, sizeof (guint64));
  d->up = g_array_new (FALSE, FALSE, sizeof (guint64));
  arm (d, 0, start);
  return d;
}

void
chorus_dialer_free (ChorusDialer *d)
{
  if (d == NULL)
    return;
  clear_timer (d);
  if (d->ref != NULL)
    d->ref->dialer = NULL;
  release_pending (d);
  /* up ones not handed over are closed too */
  for (guint i = 0; i < d->up->len; i++)
    {
      guint64 conn = g_array_index (d->up, guint64, i);
      reload_peer_shell_app_close (d->shell, conn);
      if (d->cb.released != NULL)
        d->cb.released (d, conn, d->user_data);
    }
  g_array_unref (d->pending);
  g_array_unref (d->up);
  g_clear_pointer (&d->lookup, chorus_sip_lookup_free);
  g_free (d->fetching);
  g_free (d->aor);
  g_free (d);
}

void
chorus_dialer_conn_up (ChorusDialer *d, guint64 conn)
{
  if (d->finished || !remove_conn (d->pending, conn))
    return;
  g_array_append_val (d->up, conn);
  if (d->pending->len == 0)
    finish (d, 0, NULL);
  else if (d->timer == NULL)
    arm (d, d->fork_grace_ms, grace_over);
}

void
chorus_dialer_conn_down (ChorusDialer *d, guint64 conn)
{
  if (d->finished)
    return;
  if (!remove_conn (d->pending, conn) && !remove_conn (d->up, conn))
    return;
  if (d->pending->len == 0)
    finish (d, 480, "unreachable");
}
