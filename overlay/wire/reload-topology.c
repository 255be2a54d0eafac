/* reload-topology.c: bodies of Probe, Join, Leave, Update and RouteQuery
 * (RFC 6940 §6.4.2) with the CHORD-RELOAD structures of §10, and the
 * SelfTuningData of RFC 7363.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-topology.h"

#include "reload-body.h"

/* ---------------------------------------------------------------- Probe */

static const RwEnumName probe_info_names[] = {
  { RELOAD_PROBE_INFO_RESPONSIBLE_SET, "responsible_set" },
  { RELOAD_PROBE_INFO_NUM_RESOURCES, "num_resources" },
  { RELOAD_PROBE_INFO_UPTIME, "uptime" },
  { RELOAD_PROBE_INFO_EXP_PROBE, "exp-probe" },
  { 0, NULL },
};

static void
check_probe_type (RwCodec *c, const char *name, guint8 type)
{
  if (rw_ok (c) && type == RELOAD_PROBE_INFO_INVALID)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, name, "invalidProbeInformationType (0)");
}

/* §6.4.2.5.1: one ProbeInformationType of requested_info.  Types this
 * codec does not know are kept (as numbers in JSON): the responder simply
 * does not answer them ("Any other values MUST NOT be returned"). */
static void
visit_probe_type_elem (RwCodec *c, gpointer v)
{
  guint8 *type = v;
  rw_enum8 (c, NULL, type, probe_info_names);
  check_probe_type (c, NULL, *type);
}

/* §6.4.2.5.1 ProbeReq: ProbeInformationType requested_info<0..2^8-1>. */
void
reload_probe_req_visit (RwCodec *c, gpointer body)
{
  ReloadProbeReq *v = body;
  RW_LIST (c, "requested_info", 1, v->requested_info, v->n_requested_info, visit_probe_type_elem);
}

/* §6.4.2.5.2 ProbeInformation {type; uint8 length; value}.  The length
 * "allows for unknown option types": their value is kept raw.  A known
 * type whose length is not 4 fails (truncated, or bytes left over). */
void
reload_probe_information (RwCodec *c, const char *name, ReloadProbeInformation *v)
{
  rw_object_begin (c, name);
  rw_enum8 (c, "type", &v->type, probe_info_names);
  check_probe_type (c, "type", v->type);
  RwBlock b;
  rw_block_begin (c, "length", 1, 0, &b);
  switch (v->type)
    {
    case RELOAD_PROBE_INFO_RESPONSIBLE_SET:
      /* "the fraction of the overlay ... in parts per billion" */
      rw_u32 (c, "responsible_ppb", &v->value);
      break;
    case RELOAD_PROBE_INFO_NUM_RESOURCES:
      rw_u32 (c, "num_resources", &v->value);
      break;
    case RELOAD_PROBE_INFO_UPTIME:
      rw_u32 (c, "uptime", &v->value);
      break;
    default:
      /* "This type may be extended" (exp-probe included: no shape). */
      rw_rest (c, "value", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
  rw_object_end (c);
}

static void
visit_probe_information_elem (RwCodec *c, gpointer v)
{
  reload_probe_information (c, NULL, v);
}

/* §6.4.2.5.2 ProbeAns: ProbeInformation probe_info<0..2^16-1>. */
void
reload_probe_ans_visit (RwCodec *c, gpointer body)
{
  ReloadProbeAns *v = body;
  RW_LIST (c, "probe_info", 2, v->probe_info, v->n_probe_info, visit_probe_information_elem);
}

/* ---------------------------------------------------------------- Join */

/* §6.4.2.1 JoinReq {NodeId joining_peer_id; opaque
 * overlay_specific_data<0..2^16-1>}.  §10.5 (CHORD-RELOAD) defines no
 * overlay-specific data for Join: it stays opaque. */
void
reload_join_req_visit (RwCodec *c, gpointer body)
{
  ReloadJoinReq *v = body;
  reload_node_id (c, "joining_peer_id", &v->joining_peer_id);
  rw_opaque (c, "overlay_specific_data", 2, 0, &v->overlay_specific_data);
}

/* §6.4.2.1 JoinAns {opaque overlay_specific_data<0..2^16-1>}. */
void
reload_join_ans_visit (RwCodec *c, gpointer body)
{
  ReloadJoinAns *v = body;
  rw_opaque (c, "overlay_specific_data", 2, 0, &v->overlay_specific_data);
}

/* ---------------------------------------------------------------- Leave */

static const RwEnumName chord_leave_type_names[] = {
  { RELOAD_CHORD_LEAVE_FROM_SUCC, "from_succ" },
  { RELOAD_CHORD_LEAVE_FROM_PRED, "from_pred" },
  { 0, NULL },
};

/* §10.9 ChordLeaveData {ChordLeaveType type; select (type) {from_succ:
 * NodeId successors<0..2^16-1>; from_pred: NodeId
 * predecessors<0..2^16-1>}}.  The select allows no extension, so an
 * unknown type is a parsing error (§6.3.1.1). */
void
reload_chord_leave_data_fields (RwCodec *c, ReloadChordLeaveData *v)
{
  rw_enum8 (c, "type", &v->type, chord_leave_type_names);
  if (!rw_ok (c))
    return;
  switch (v->type)
    {
    case RELOAD_CHORD_LEAVE_FROM_SUCC:
      RW_LIST (c, "successors", 2, v->successors, v->n_successors, reload_node_id_elem);
      break;
    case RELOAD_CHORD_LEAVE_FROM_PRED:
      RW_LIST (c, "predecessors", 2, v->predecessors, v->n_predecessors, reload_node_id_elem);
      break;
    case RELOAD_CHORD_LEAVE_INVALID:
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidChordLeaveType (0)");
      break;
    default:
      rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type",
               "unknown ChordLeaveType %u (§10.9 allows no extension)", v->type);
      break;
    }
}

/* §6.4.2.2 LeaveReq {NodeId leaving_peer_id; opaque
 * overlay_specific_data<0..2^16-1>}, the opaque holding §10.9's
 * ChordLeaveData, decoded typed inside its length.  JSON:
 * "overlay_specific_data": {"type": "from_succ", "successors": [...]}, or
 * {} when the opaque is empty. */
void
reload_leave_req_visit (RwCodec *c, gpointer body)
{
  ReloadLeaveReq *v = body;
  reload_node_id (c, "leaving_peer_id", &v->leaving_peer_id);
  rw_object_begin (c, "overlay_specific_data");
  RwBlock b;
  rw_block_begin (c, NULL, 2, 0, &b);
  switch (rw_mode (c))
    {
    case RW_DECODE:
      v->has_chord_leave_data = rw_ok (c) && rw_remaining (c) > 0;
      break;
    case RW_FROM_JSON:
      v->has_chord_leave_data = rw_ok (c) && rw_json_has (c, "type");
      break;
    default:
      break;
    }
  if (v->has_chord_leave_data)
    reload_chord_leave_data_fields (c, &v->chord_leave_data);
  rw_block_end (c, &b);
  rw_object_end (c);
}

/* §6.4.2.2: "LeaveAns is an empty message." */
void
reload_leave_ans_visit (RwCodec *c, gpointer body)
{
}

/* ---------------------------------------------------------------- Update */

static const RwEnumName chord_update_type_names[] = {
  { RELOAD_CHORD_UPDATE_PEER_READY, "peer_ready" },
  { RELOAD_CHORD_UPDATE_NEIGHBORS, "neighbors" },
  { RELOAD_CHORD_UPDATE_FULL, "full" },
  { 0, NULL },
};

/* §10.7 ChordUpdate {uint32 uptime; ChordUpdateType type; select (type)
 * {peer_ready: empty; neighbors: predecessors, successors; full:
 * predecessors, successors, fingers}}, each list NodeId<0..2^16-1>.  No
 * extension of the select is allowed: unknown types fail (§6.3.1.1). */
void
reload_chord_update_fields (RwCodec *c, ReloadChordUpdate *v)
{
  rw_u32 (c, "uptime", &v->uptime);
  rw_enum8 (c, "type", &v->type, chord_update_type_names);
  if (!rw_ok (c))
    return;
  switch (v->type)
    {
    case RELOAD_CHORD_UPDATE_PEER_READY:
      break;
    case RELOAD_CHORD_UPDATE_NEIGHBORS:
    case RELOAD_CHORD_UPDATE_FULL:
      RW_LIST (c, "predecessors", 2, v->predecessors, v->n_predecessors, reload_node_id_elem);
      RW_LIST (c, "successors", 2, v->successors, v->n_successors, reload_node_id_elem);
      if (v->type == RELOAD_CHORD_UPDATE_FULL)
        RW_LIST (c, "fingers", 2, v->fingers, v->n_fingers, reload_node_id_elem);
      break;
    case RELOAD_CHORD_UPDATE_INVALID:
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidChordUpdateType (0)");
      break;
    default:
      rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type",
               "unknown ChordUpdateType %u (§10.7 allows no extension)", v->type);
      break;
    }
}

/* §6.4.2.3: the UpdateReq is "completely overlay specific"; for
 * CHORD-RELOAD the body is the ChordUpdate of §10.7 (no length of its own:
 * the message_body's length bounds it). */
void
reload_update_req_visit (RwCodec *c, gpointer body)
{
  reload_chord_update_fields (c, body);
}

/* §6.4.2.3: UpdateAns is "either success or an error": empty. */
void
reload_update_ans_visit (RwCodec *c, gpointer body)
{
}

/* ---------------------------------------------------------------- RouteQuery */

/* §6.4.2.4.1 RouteQueryReq {Boolean send_update; Destination destination;
 * opaque overlay_specific_data<0..2^16-1>}; §10.8: Chord adds nothing, so
 * the opaque is kept as is. */
void
reload_route_query_req_visit (RwCodec *c, gpointer body)
{
  ReloadRouteQueryReq *v = body;
  rw_boolean (c, "send_update", &v->send_update);
  reload_destination (c, "destination", &v->destination);
  rw_opaque (c, "overlay_specific_data", 2, 0, &v->overlay_specific_data);
}

/* §6.4.2.4.2: the RouteQueryAns is "completely overlay specific"; §10.8
 * ChordRouteQueryAns {NodeId next_peer}. */
void
reload_route_query_ans_visit (RwCodec *c, gpointer body)
{
  ReloadRouteQueryAns *v = body;
  reload_node_id (c, "next_peer", &v->next_peer);
}

/* ---------------------------------------------------------------- RFC 7363 */

/* RFC 7363 SelfTuningData {uint32 network_size; uint32 join_rate; uint32
 * leave_rate}, the contents of a self_tuning_data message extension sent
 * with Updates (see reload-topology.h). */
void
reload_self_tuning_data_visit (RwCodec *c, gpointer p)
{
  ReloadSelfTuningData *v = p;
  rw_u32 (c, "network_size", &v->network_size);
  rw_u32 (c, "join_rate", &v->join_rate);
  rw_u32 (c, "leave_rate", &v->leave_rate);
}

void
reload_self_tuning_data (RwCodec *c, const char *name, ReloadSelfTuningData *v)
{
  rw_object_begin (c, name);
  reload_self_tuning_data_visit (c, v);
  rw_object_end (c);
}

/* ---------------------------------------------------------------- table */

const ReloadBodyType reload_topology_bodies[] = {
  { RELOAD_PROBE_REQ, sizeof (ReloadProbeReq), reload_probe_req_visit },
  { RELOAD_PROBE_ANS, sizeof (ReloadProbeAns), reload_probe_ans_visit },
  { RELOAD_JOIN_REQ, sizeof (ReloadJoinReq), reload_join_req_visit },
  { RELOAD_JOIN_ANS, sizeof (ReloadJoinAns), reload_join_ans_visit },
  { RELOAD_LEAVE_REQ, sizeof (ReloadLeaveReq), reload_leave_req_visit },
  { RELOAD_LEAVE_ANS, sizeof (ReloadLeaveAns), reload_leave_ans_visit },
  { RELOAD_UPDATE_REQ, sizeof (ReloadUpdateReq), reload_update_req_visit },
  { RELOAD_UPDATE_ANS, sizeof (ReloadUpdateAns), reload_update_ans_visit },
  { RELOAD_ROUTE_QUERY_REQ, sizeof (ReloadRouteQueryReq), reload_route_query_req_visit },
  { RELOAD_ROUTE_QUERY_ANS, sizeof (ReloadRouteQueryAns), reload_route_query_ans_visit },
  { 0, 0, NULL },
};
