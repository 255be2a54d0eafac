/* chorus-peer-status.c: what `chorus-peer ctl status` and
 * chorus_peer_get_status_async() report (README, "status"): the node's
 * table, links, storage, TURN and counters, built in the peer's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-private.h"

#include "chord-id.h"
#include "chorus-peer-turn.h"
#include "reload-datastore.h"
#include "reload-peer-shell.h"

static JsonNode *
id_list (const ChordId *ids, guint n)
{
  JsonArray *a = json_array_new ();
  for (guint i = 0; i < n; i++)
    {
      char hex[33];
      json_array_add_string_element (a, chord_id_to_hex (ids[i], hex));
    }
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, a);
  return node;
}

JsonNode *
chorus_peer_status_json (ReloadPeerShell *shell, guint config_sequence,
                         const ReloadNodeConfig *node_template)
{
  ReloadPeerShell *s = shell;
  ReloadNode *node = reload_peer_shell_get_node (s);
  const ChordTable *t = reload_node_table (node);
  const ReloadCertIdentity *id = reload_peer_shell_get_identity (s);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  char hex[33];
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "node_id");
  json_builder_add_string_value (b, chord_id_to_hex (reload_node_get_id (node), hex));
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, id->user_name);
  json_builder_set_member_name (b, "overlay");
  json_builder_add_string_value (b, id->overlay_name);
  /* where peers reach it now: the shell re-binds when the network
   * changes (reload-peer-shell-netwatch.c) */
  g_autofree char *listen =
      reload_peer_shell_format_address (reload_peer_shell_get_listen_address (s));
  json_builder_set_member_name (b, "listen");
  json_builder_add_string_value (b, listen);
  json_builder_set_member_name (b, "joined");
  json_builder_add_boolean_value (b, reload_node_is_joined (node));
  json_builder_set_member_name (b, "configuration_sequence");
  json_builder_add_int_value (b, config_sequence);
  /* nearest first: the table keeps them by distance */
  json_builder_set_member_name (b, "predecessors");
  json_builder_add_value (b, id_list (t->pred, t->n_pred));
  json_builder_set_member_name (b, "successors");
  json_builder_add_value (b, id_list (t->succ, t->n_succ));
  json_builder_set_member_name (b, "fingers");
  json_builder_begin_array (b);
  for (guint i = 0; i < t->n_fingers; i++)
    if (t->finger_valid[i])
      {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "index");
        json_builder_add_int_value (b, i);
        json_builder_set_member_name (b, "node_id");
        json_builder_add_string_value (b, chord_id_to_hex (t->finger[i], hex));
        json_builder_end_object (b);
      }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "links");
  json_builder_begin_array (b);
  g_autoptr (GArray) links = reload_peer_shell_list_links (s);
  for (guint i = 0; i < links->len; i++)
    {
      ReloadPeerShellLinkInfo *l = &g_array_index (links, ReloadPeerShellLinkInfo, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "peer");
      if (l->up)
        json_builder_add_string_value (b, chord_id_to_hex (chord_id_from_node_id (&l->peer), hex));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, l->address);
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, l->protocol);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, l->up ? "up" : "connecting");
      json_builder_set_member_name (b, "direction");
      json_builder_add_string_value (b, l->outbound ? "out" : "in");
      json_builder_set_member_name (b, "bytes_sent");
      json_builder_add_int_value (b, (gint64) l->bytes_sent);
      json_builder_set_member_name (b, "bytes_received");
      json_builder_add_int_value (b, (gint64) l->bytes_received);
      json_builder_set_member_name (b, "rtt_ms");
      if (l->rtt_ms >= 0)
        json_builder_add_int_value (b, l->rtt_ms);
      else
        json_builder_add_null_value (b);
      chorus_peer_turn_add_link_ice (b, l);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  chorus_peer_turn_add_status (s, node_template, b); /* §9 */
  ReloadStorage *st = reload_node_storage (node);
  json_builder_set_member_name (b, "stored_items");
  json_builder_add_int_value (b, (gint64) reload_storage_n_values (st));
  json_builder_set_member_name (b, "stored_registrations");
  json_builder_add_int_value (
      b, (gint64) reload_storage_n_values_of_kind (st, RELOAD_KIND_SIP_REGISTRATION));
  json_builder_set_member_name (b, "stored_resources");
  json_builder_add_int_value (b, reload_storage_n_resources (st));
  json_builder_set_member_name (b, "uptime_s");
  json_builder_add_int_value (b, reload_peer_shell_get_uptime_s (s));
  const ReloadNodeCounters *c = reload_node_counters (node);
  json_builder_set_member_name (b, "counters");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "messages_sent");
  json_builder_add_int_value (b, (gint64) c->messages_sent);
  json_builder_set_member_name (b, "bytes_sent");
  json_builder_add_int_value (b, (gint64) c->bytes_sent);
  json_builder_set_member_name (b, "forwarded");
  json_builder_add_int_value (b, (gint64) c->forwarded);
  json_builder_set_member_name (b, "dropped");
  json_builder_add_int_value (b, (gint64) c->dropped);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
