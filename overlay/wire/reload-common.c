/* reload-common.c: identifiers, addresses and destinations (RFC 6940 §6.3.1.1,
 * §6.3.2.2) and the names of the code points.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-common.h"

#include <gio/gio.h>
#include <string.h>

const RwEnumName reload_message_code_names[] = {
  { RELOAD_PROBE_REQ, "probe_req" },
  { RELOAD_PROBE_ANS, "probe_ans" },
  { RELOAD_ATTACH_REQ, "attach_req" },
  { RELOAD_ATTACH_ANS, "attach_ans" },
  { RELOAD_STORE_REQ, "store_req" },
  { RELOAD_STORE_ANS, "store_ans" },
  { RELOAD_FETCH_REQ, "fetch_req" },
  { RELOAD_FETCH_ANS, "fetch_ans" },
  { RELOAD_FIND_REQ, "find_req" },
  { RELOAD_FIND_ANS, "find_ans" },
  { RELOAD_JOIN_REQ, "join_req" },
  { RELOAD_JOIN_ANS, "join_ans" },
  { RELOAD_LEAVE_REQ, "leave_req" },
  { RELOAD_LEAVE_ANS, "leave_ans" },
  { RELOAD_UPDATE_REQ, "update_req" },
  { RELOAD_UPDATE_ANS, "update_ans" },
  { RELOAD_ROUTE_QUERY_REQ, "route_query_req" },
  { RELOAD_ROUTE_QUERY_ANS, "route_query_ans" },
  { RELOAD_PING_REQ, "ping_req" },
  { RELOAD_PING_ANS, "ping_ans" },
  { RELOAD_STAT_REQ, "stat_req" },
  { RELOAD_STAT_ANS, "stat_ans" },
  { RELOAD_APP_ATTACH_REQ, "app_attach_req" },
  { RELOAD_APP_ATTACH_ANS, "app_attach_ans" },
  { RELOAD_CONFIG_UPDATE_REQ, "config_update_req" },
  { RELOAD_CONFIG_UPDATE_ANS, "config_update_ans" },
  { RELOAD_EXP_A_REQ, "exp_a_req" },
  { RELOAD_EXP_A_ANS, "exp_a_ans" },
  { RELOAD_EXP_B_REQ, "exp_b_req" },
  { RELOAD_EXP_B_ANS, "exp_b_ans" },
  { RELOAD_PATH_TRACK_REQ, "path_track_req" },
  { RELOAD_PATH_TRACK_ANS, "path_track_ans" },
  { RELOAD_ERROR, "error" },
  { 0, NULL },
};

const RwEnumName reload_error_code_names[] = {
  { RELOAD_ERROR_FORBIDDEN, "Error_Forbidden" },
  { RELOAD_ERROR_NOT_FOUND, "Error_Not_Found" },
  { RELOAD_ERROR_REQUEST_TIMEOUT, "Error_Request_Timeout" },
  { RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW, "Error_Generation_Counter_Too_Low" },
  { RELOAD_ERROR_INCOMPATIBLE_WITH_OVERLAY, "Error_Incompatible_with_Overlay" },
  { RELOAD_ERROR_UNSUPPORTED_FORWARDING_OPTION, "Error_Unsupported_Forwarding_Option" },
  { RELOAD_ERROR_DATA_TOO_LARGE, "Error_Data_Too_Large" },
  { RELOAD_ERROR_DATA_TOO_OLD, "Error_Data_Too_Old" },
  { RELOAD_ERROR_TTL_EXCEEDED, "Error_TTL_Exceeded" },
  { RELOAD_ERROR_MESSAGE_TOO_LARGE, "Error_Message_Too_Large" },
  { RELOAD_ERROR_UNKNOWN_KIND, "Error_Unknown_Kind" },
  { RELOAD_ERROR_UNKNOWN_EXTENSION, "Error_Unknown_Extension" },
  { RELOAD_ERROR_RESPONSE_TOO_LARGE, "Error_Response_Too_Large" },
  { RELOAD_ERROR_CONFIG_TOO_OLD, "Error_Config_Too_Old" },
  { RELOAD_ERROR_CONFIG_TOO_NEW, "Error_Config_Too_New" },
  { RELOAD_ERROR_IN_PROGRESS, "Error_In_Progress" },
  { RELOAD_ERROR_EXP_A, "Error_Exp_A" },
  { RELOAD_ERROR_EXP_B, "Error_Exp_B" },
  { RELOAD_ERROR_INVALID_MESSAGE, "Error_Invalid_Message" },
  { RELOAD_ERROR_UNDERLAY_DESTINATION_UNREACHABLE, "Error_Underlay_Destination_Unreachable" },
  { RELOAD_ERROR_UNDERLAY_TIME_EXCEEDED, "Error_Underlay_Time_Exceeded" },
  { RELOAD_ERROR_MESSAGE_EXPIRED, "Error_Message_Expired" },
  { RELOAD_ERROR_MIS_ROUTING, "Error_Upstream_Misrouting" },
  { RELOAD_ERROR_LOOP_DETECTED, "Error_Loop_Detected" },
  { RELOAD_ERROR_TTL_HOPS_EXCEEDED, "Error_TTL_Hops_Exceeded" },
  { 0, NULL },
};

/* ---------------------------------------------------------------- NodeId */

void
reload_node_id (RwCodec *c, const char *name, ReloadNodeId *v)
{
  guint n = rw_node_id_length (c);
  if (rw_mode (c) == RW_ENCODE && v->len != n)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, name,
               "Node-ID of %u bytes in an overlay of %u-byte Node-IDs", v->len, n);
      return;
    }
  rw_fixed (c, name, v->id, n);
  v->len = (guint8) n;
}

void
reload_node_id_elem (RwCodec *c, gpointer v)
{
  reload_node_id (c, NULL, v);
}

gboolean
reload_node_id_equal (const ReloadNodeId *a, const ReloadNodeId *b)
{
  return a->len == b->len && memcmp (a->id, b->id, a->len) == 0;
}

void
reload_resource_id (RwCodec *c, const char *name, RwBytes *v)
{
  rw_opaque (c, name, 1, 0, v);
}

/* ---------------------------------------------------------------- addresses */

static const RwEnumName address_type_names[] = {
  { RELOAD_ADDRESS_IPV4, "ipv4_address" },
  { RELOAD_ADDRESS_IPV6, "ipv6_address" },
  { 0, NULL },
};

static void
address_json (RwCodec *c, ReloadIpAddressPort *v)
{
  gsize n = v->type == RELOAD_ADDRESS_IPV4 ? 4 : 16;
  GSocketFamily family =
      v->type == RELOAD_ADDRESS_IPV4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  if (rw_mode (c) == RW_TO_JSON)
    {
      g_autoptr (GInetAddress) a = g_inet_address_new_from_bytes (v->addr, family);
      g_autofree char *s = g_inet_address_to_string (a);
      JsonBuilder *b = rw_json_builder (c);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, s);
      return;
    }
  JsonNode *node = rw_json_member (c, "address", TRUE);
  if (node == NULL)
    return;
  const char *s = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                      ? json_node_get_string (node)
                      : "";
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (s);
  if (a == NULL || g_inet_address_get_family (a) != family)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, "address", "\"%s\" is not an %s address", s,
               family == G_SOCKET_FAMILY_IPV4 ? "IPv4" : "IPv6");
      return;
    }
  memcpy (v->addr, g_inet_address_to_bytes (a), n);
}

void
reload_ip_address_port (RwCodec *c, const char *name, ReloadIpAddressPort *v)
{
  rw_object_begin (c, name);
  rw_enum8 (c, "type", &v->type, address_type_names);
  /* §6.3.1.1: the length lets a node skip an address type it does not
   * know, so unknown types are kept, not rejected. */
  RwBlock b;
  rw_block_begin (c, "length", 1, 0, &b);
  switch (v->type)
    {
    case RELOAD_ADDRESS_IPV4:
    case RELOAD_ADDRESS_IPV6:
      if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_ENCODE)
        rw_fixed (c, "address", v->addr, v->type == RELOAD_ADDRESS_IPV4 ? 4 : 16);
      else if (rw_ok (c))
        address_json (c, v);
      rw_u16 (c, "port", &v->port);
      break;
    case RELOAD_ADDRESS_INVALID:
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidAddressType (0)");
      break;
    default:
      rw_rest (c, "value", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
  rw_object_end (c);
}

/* ---------------------------------------------------------------- destinations */

static const RwEnumName destination_type_names[] = {
  { RELOAD_DESTINATION_NODE, "node" },
  { RELOAD_DESTINATION_RESOURCE, "resource" },
  { RELOAD_DESTINATION_OPAQUE_ID, "opaque_id" },
  { 0, NULL },
};

/* §6.3.2.2: a Destination whose first bit is 1 is the 16-bit compressed
 * form, an opaque_id of two bytes; otherwise it is {type, length, data}. */
void
reload_destination (RwCodec *c, const char *name, ReloadDestination *v)
{
  rw_object_begin (c, name);
  switch (rw_mode (c))
    {
    case RW_DECODE:
      v->compressed = (rw_peek_u8 (c, "type") & 0x80) != 0;
      break;
    case RW_FROM_JSON:
      v->compressed = rw_json_has (c, "compressed_id");
      break;
    default:
      break;
    }

  if (v->compressed)
    {
      rw_u16 (c, "compressed_id", &v->compressed_id);
      if (rw_ok (c) && (v->compressed_id & 0x8000) == 0)
        rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "compressed_id",
                 "the top bit of a compressed destination must be 1 (§6.3.2.2)");
      v->type = RELOAD_DESTINATION_OPAQUE_ID;
      rw_object_end (c);
      return;
    }

  rw_enum8 (c, "type", &v->type, destination_type_names);
  if (rw_ok (c) && (v->type == RELOAD_DESTINATION_INVALID || v->type >= 0x80))
    {
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalid destination type %u", v->type);
      rw_object_end (c);
      return;
    }
  RwBlock b;
  rw_block_begin (c, "length", 1, 0, &b);
  switch (v->type)
    {
    case RELOAD_DESTINATION_NODE:
      reload_node_id (c, "node_id", &v->node_id);
      break;
    case RELOAD_DESTINATION_RESOURCE:
      reload_resource_id (c, "resource_id", &v->resource_id);
      break;
    case RELOAD_DESTINATION_OPAQUE_ID:
      rw_opaque (c, "opaque_id", 1, 0, &v->opaque_id);
      break;
    default:
      /* "This structure may be extended with new types": the length lets
       * a node carry a type it does not understand. */
      rw_rest (c, "data", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
  rw_object_end (c);
}

void
reload_destination_elem (RwCodec *c, gpointer v)
{
  reload_destination (c, NULL, v);
}

/* ---------------------------------------------------------------- kinds */

ReloadDataModel
reload_kind_data_model (const RwOptions *options, guint32 kind_id)
{
  switch (kind_id)
    {
    case RELOAD_KIND_SIP_REGISTRATION: /* RFC 7904 §3: DICTIONARY */
      return RELOAD_DATA_MODEL_DICTIONARY;
    case RELOAD_KIND_TURN_SERVICE: /* §9: SINGLE */
      return RELOAD_DATA_MODEL_SINGLE;
    case RELOAD_KIND_CERTIFICATE_BY_NODE: /* §8: ARRAY */
    case RELOAD_KIND_CERTIFICATE_BY_USER:
      return RELOAD_DATA_MODEL_ARRAY;
    case RELOAD_KIND_REDIR: /* RFC 7374 §5: DICTIONARY */
      return RELOAD_DATA_MODEL_DICTIONARY;
    default:
      break;
    }
  if (options != NULL && options->kind_model != NULL)
    return options->kind_model (kind_id, options->kind_model_data);
  return RELOAD_DATA_MODEL_UNKNOWN;
}
