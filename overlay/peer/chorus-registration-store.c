/* chorus-registration-store.c: see chorus-registration-store.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-registration-store.h"

#include "reload-storage.h"

gboolean
chorus_registration_store (ReloadPeerShell *shell, const char *aor, const ReloadNodeId *key,
                           const ChorusSipRoute *route, gboolean exists, guint32 lifetime_s,
                           const ReloadSecurityOps *ops, gpointer ops_data, ReloadRequestDone done,
                           gpointer user_data)
{
  ReloadNode *node = reload_peer_shell_get_node (shell);
  guint8 rid[16];
  if (node == NULL || !reload_node_is_joined (node) || !chorus_sip_aor_resource_id (aor, rid, NULL))
    return FALSE;
  g_autoptr (RwArena) arena = rw_arena_new (0);
  gint64 now = reload_peer_shell_now ();
  ReloadStoredData *sd = rw_arena_alloc0 (arena, sizeof *sd);
  /* §7.4.1.1: a new storage_time for every change of the value */
  sd->storage_time = (guint64) now;
  sd->lifetime = lifetime_s;
  sd->value.key = (RwBytes){ key->id, key->len };
  sd->value.value.exists = exists;
  if (exists)
    {
      ReloadSipRegistration *r = &sd->value.value.typed.sip_registration;
      r->type = RELOAD_SIP_REGISTRATION_ROUTE;
      r->destination_list = route->destinations;
      r->n_destination_list = route->n_destinations;
    }
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };
  if (ops != NULL)
    reload_node_sign_stored_data_as (node, ops, ops_data, d.resource_id,
                                     RELOAD_KIND_SIP_REGISTRATION, sd, arena);
  else
    reload_node_sign_stored_data (node, d.resource_id, RELOAD_KIND_SIP_REGISTRATION, sd, arena);
  ReloadStoreKindData kd = { 0 };
  kd.kind = RELOAD_KIND_SIP_REGISTRATION;
  kd.values = sd;
  kd.n_values = 1;
  ReloadStoreReq req = { 0 };
  req.resource = d.resource_id;
  req.kind_data = &kd;
  req.n_kind_data = 1;
  if (ops != NULL)
    reload_node_request_as (node, ops, ops_data, &d, RELOAD_STORE_REQ, &req, done, user_data, now);
  else
    reload_node_request (node, &d, RELOAD_STORE_REQ, &req, done, user_data, now);
  reload_peer_shell_poke (shell);
  return TRUE;
}
