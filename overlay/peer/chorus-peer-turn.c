/* chorus-peer-turn.c: the TURN Server Usage (RFC 6940 §9) in ChorusPeer
 * (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-turn.h"

#include <string.h>

#include "chord-id.h"
#include "reload-datastore.h"
#include "reload-link.h"

static char *
address_text (const ReloadIpAddressPort *a, gboolean with_port)
{
  GSocketFamily family =
      a->type == RELOAD_ADDRESS_IPV4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (a->addr, family);
  g_autofree char *host = g_inet_address_to_string (ip);
  if (!with_port)
    return g_steal_pointer (&host);
  return family == G_SOCKET_FAMILY_IPV6 ? g_strdup_printf ("[%s]:%u", host, a->port)
                                        : g_strdup_printf ("%s:%u", host, a->port);
}

gboolean
chorus_peer_turn_parse_server (const char *text, ReloadIpAddressPort *out, GError **error)
{
  g_autoptr (GInetSocketAddress) sa = reload_peer_shell_parse_address (text, error);
  if (sa == NULL)
    return FALSE;
  GInetAddress *ip = g_inet_socket_address_get_address (sa);
  guint16 port = g_inet_socket_address_get_port (sa);
  if (port == 0 || g_inet_address_get_is_any (ip) || g_inet_address_get_is_multicast (ip))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "TURN server %s: an address and a port other peers can reach", text);
      return FALSE;
    }
  memset (out, 0, sizeof *out);
  gsize len = g_inet_address_get_native_size (ip);
  out->type = len == 4 ? RELOAD_ADDRESS_IPV4 : RELOAD_ADDRESS_IPV6;
  memcpy (out->addr, g_inet_address_to_bytes (ip), len);
  out->port = port;
  /* §9: "if the peer's IP address is in the private address space range
   * as defined by [RFC1918], then it is also SHOULD NOT be a candidate for
   * a TURN server" (site-local: 10/8, 172.16/12, 192.168/16; fc00::/7 is
   * IPv6's counterpart, RFC 4193) */
  const guint8 *b = g_inet_address_to_bytes (ip);
  if (g_inet_address_get_is_site_local (ip) || (len == 16 && (b[0] & 0xfe) == 0xfc))
    g_warning ("TURN server %s is a private address: RFC 6940 §9 says such a peer SHOULD NOT "
               "offer a TURN server (peers outside cannot reach it); advertising it as asked",
               text);
  else if (g_inet_address_get_is_loopback (ip) || g_inet_address_get_is_link_local (ip))
    g_message ("TURN server %s: only this host (or link) can reach it", text);
  return TRUE;
}

static const char *
candidate_type_name (guint8 type)
{
  switch (type)
    {
    case RELOAD_CAND_HOST:
      return "host";
    case RELOAD_CAND_SRFLX:
      return "srflx";
    case RELOAD_CAND_PRFLX:
      return "prflx";
    case RELOAD_CAND_RELAY:
      return "relay";
    default:
      return "unknown";
    }
}

void
chorus_peer_turn_add_link_ice (JsonBuilder *b, const ReloadPeerShellLinkInfo *link)
{
  json_builder_set_member_name (b, "ice");
  if (link->ice_local_type == 0)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "local");
  json_builder_add_string_value (b, candidate_type_name (link->ice_local_type));
  json_builder_set_member_name (b, "remote");
  json_builder_add_string_value (b, candidate_type_name (link->ice_remote_type));
  json_builder_end_object (b);
}

static void
add_servers (JsonBuilder *b, const ReloadTurnServerInfo *list, guint n)
{
  gint64 now = reload_peer_shell_now ();
  json_builder_set_member_name (b, "turn_servers");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      const ReloadTurnServerInfo *s = &list[i];
      g_autofree char *addr = address_text (&s->address, FALSE);
      char hex[33];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, addr);
      json_builder_set_member_name (b, "port");
      json_builder_add_int_value (b, s->address.port);
      json_builder_set_member_name (b, "node_id");
      json_builder_add_string_value (b, chord_id_to_hex (chord_id_from_node_id (&s->node_id), hex));
      json_builder_set_member_name (b, "iteration");
      json_builder_add_int_value (b, s->iteration);
      json_builder_set_member_name (b, "resource_id");
      json_builder_add_string_value (b,
                                     chord_id_to_hex (chord_id_from_bytes (s->resource_id), hex));
      json_builder_set_member_name (b, "expires_s");
      json_builder_add_int_value (b, MAX (0, (s->expires_ms - now) / 1000));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_in_use (JsonBuilder *b, ReloadPeerShell *shell)
{
  const char *in_use = reload_peer_shell_turn_in_use (shell);
  json_builder_set_member_name (b, "turn_in_use");
  if (in_use != NULL)
    json_builder_add_string_value (b, in_use);
  else
    json_builder_add_null_value (b);
}

void
chorus_peer_turn_add_status (ReloadPeerShell *shell, const ReloadNodeConfig *node, JsonBuilder *b)
{
  guint n;
  const ReloadTurnServerInfo *list = reload_peer_shell_turn_servers (shell, &n);
  add_servers (b, list, n);
  add_in_use (b, shell);
  json_builder_set_member_name (b, "turn_advertising");
  if (!node->turn_advertise)
    {
      json_builder_add_null_value (b);
      return;
    }
  g_autofree char *addr = address_text (&node->turn_server, FALSE);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "address");
  json_builder_add_string_value (b, addr);
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, node->turn_server.port);
  json_builder_set_member_name (b, "density");
  json_builder_add_int_value (b, node->turn_density ? node->turn_density : 1);
  /* every TURN-SERVICE value stored (since the last join) */
  ReloadNode *node_now = reload_peer_shell_get_node (shell);
  json_builder_set_member_name (b, "stored");
  json_builder_add_boolean_value (b, reload_node_turn_advertised_ms (node_now) > 0);
  /* where: H(Node-ID || d), d = 1 .. density (§9, §7.3.4) */
  json_builder_set_member_name (b, "resource_ids");
  json_builder_begin_array (b);
  ReloadNodeId self = chord_id_to_node_id (reload_node_get_id (node_now));
  for (guint d = 1; d <= MAX (node->turn_density, 1); d++)
    {
      char hex[33];
      json_builder_add_string_value (
          b, chord_id_to_hex (reload_access_node_multiple_id (&self, d), hex));
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

JsonNode *
chorus_peer_turn_servers_json (ReloadPeerShell *shell, const ReloadTurnServerInfo *list, guint n)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_servers (b, list, n);
  add_in_use (b, shell);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
