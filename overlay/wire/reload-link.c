/* reload-link.c: bodies of Attach, AppAttach, Ping and ConfigUpdate
 * (RFC 6940 §6.5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-link.h"

#include "reload-body.h"

/* ---------------------------------------------------------------- ICE */

static const RwEnumName overlay_link_names[] = {
  { RELOAD_OVERLAY_LINK_DTLS_UDP_SR, "DTLS-UDP-SR" },
  { RELOAD_OVERLAY_LINK_DTLS_UDP_SR_NO_ICE, "DTLS-UDP-SR-NO-ICE" },
  { RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE, "TLS-TCP-FH-NO-ICE" },
  { RELOAD_OVERLAY_LINK_EXP_LINK, "EXP-LINK" },
  { 0, NULL },
};

static const RwEnumName cand_type_names[] = {
  { RELOAD_CAND_HOST, "host" },
  { RELOAD_CAND_SRFLX, "srflx" },
  { RELOAD_CAND_PRFLX, "prflx" },
  { RELOAD_CAND_RELAY, "relay" },
  { 0, NULL },
};

/* §6.5.1.1 IceExtension {opaque name<0..2^16-1>; opaque
 * value<0..2^16-1>}: "binary translations of the equivalent fields in the
 * ICE extensions", i.e. the attribute's text. */
static void
visit_ice_extension_elem (RwCodec *c, gpointer p)
{
  ReloadIceExtension *v = p;
  rw_object_begin (c, NULL);
  rw_text (c, "name", 2, 0, &v->name);
  rw_text (c, "value", 2, 0, &v->value);
  rw_object_end (c);
}

/* §6.5.1.1 IceCandidate {IpAddressPort addr_port; OverlayLinkType
 * overlay_link; opaque foundation<0..255>; uint32 priority; CandType type;
 * select (type) {host: empty; srflx, relay: IpAddressPort rel_addr_port};
 * IceExtension extensions<0..2^16-1>}.
 *
 * overlay_link is a plain field: a value this codec does not name (a
 * future link type, §14.10) is kept; only invalidOverlayLinkType (0) is
 * refused.  type drives a select that allows no extension and has no
 * length, so an unknown CandType cannot be skipped and fails (§6.3.1.1).
 * CandType 3 is "RESERVED(3)" in the enum but the text lists "prfix" with
 * srflx and relay as carrying rel_addr_port: it is taken as prflx. */
void
reload_ice_candidate (RwCodec *c, const char *name, ReloadIceCandidate *v)
{
  rw_object_begin (c, name);
  reload_ip_address_port (c, "addr_port", &v->addr_port);
  rw_enum8 (c, "overlay_link", &v->overlay_link, overlay_link_names);
  if (rw_ok (c) && v->overlay_link == RELOAD_OVERLAY_LINK_INVALID)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "overlay_link", "invalidOverlayLinkType (0)");
  rw_text (c, "foundation", 1, 255, &v->foundation);
  rw_u32 (c, "priority", &v->priority);
  rw_enum8 (c, "type", &v->type, cand_type_names);
  if (rw_ok (c))
    {
      switch (v->type)
        {
        case RELOAD_CAND_HOST:
          break;
        case RELOAD_CAND_SRFLX:
        case RELOAD_CAND_PRFLX:
        case RELOAD_CAND_RELAY:
          reload_ip_address_port (c, "rel_addr_port", &v->rel_addr_port);
          break;
        case RELOAD_CAND_INVALID:
          rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidCandType (0)");
          break;
        default:
          rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type",
                   "unknown CandType %u (§6.5.1.1 allows no extension)", v->type);
          break;
        }
    }
  RW_LIST (c, "extensions", 2, v->extensions, v->n_extensions, visit_ice_extension_elem);
  rw_object_end (c);
}

void
reload_ice_candidate_elem (RwCodec *c, gpointer v)
{
  reload_ice_candidate (c, NULL, v);
}

/* ---------------------------------------------------------------- Attach */

/* §6.5.1.1 AttachReqAns {opaque ufrag<0..2^8-1>; opaque
 * password<0..2^8-1>; opaque role<0..2^8-1>; IceCandidate
 * candidates<0..2^16-1>; Boolean send_update}.  role is a string
 * ("passive"/"active", RFC 4145), not an enum. */
void
reload_attach_req_ans_visit (RwCodec *c, gpointer body)
{
  ReloadAttachReqAns *v = body;
  rw_text (c, "ufrag", 1, 0, &v->ufrag);
  rw_text (c, "password", 1, 0, &v->password);
  rw_text (c, "role", 1, 0, &v->role);
  RW_LIST (c, "candidates", 2, v->candidates, v->n_candidates, reload_ice_candidate_elem);
  rw_boolean (c, "send_update", &v->send_update);
}

/* ---------------------------------------------------------------- AppAttach */

/* §6.5.2.1 AppAttachReq and §6.5.2.2 AppAttachAns {opaque
 * ufrag<0..2^8-1>; opaque password<0..2^8-1>; uint16 application; opaque
 * role<0..2^8-1>; IceCandidate candidates<0..2^16-1>}: no send_update. */
void
reload_app_attach_visit (RwCodec *c, gpointer body)
{
  ReloadAppAttachReqAns *v = body;
  rw_text (c, "ufrag", 1, 0, &v->ufrag);
  rw_text (c, "password", 1, 0, &v->password);
  rw_u16 (c, "application", &v->application);
  rw_text (c, "role", 1, 0, &v->role);
  RW_LIST (c, "candidates", 2, v->candidates, v->n_candidates, reload_ice_candidate_elem);
}

/* ---------------------------------------------------------------- Ping */

/* §6.5.3.1 PingReq {opaque padding<0..2^16-1>}. */
void
reload_ping_req_visit (RwCodec *c, gpointer body)
{
  ReloadPingReq *v = body;
  rw_opaque (c, "padding", 2, 0, &v->padding);
}

/* §6.5.3.2 PingAns {uint64 response_id; uint64 time}. */
void
reload_ping_ans_visit (RwCodec *c, gpointer body)
{
  ReloadPingAns *v = body;
  rw_u64_hex (c, "response_id", &v->response_id);
  rw_u64 (c, "time", &v->time);
}

/* ---------------------------------------------------------------- ConfigUpdate */

static const RwEnumName config_update_type_names[] = {
  { RELOAD_CONFIG_UPDATE_CONFIG, "config" },
  { RELOAD_CONFIG_UPDATE_KIND, "kind" },
  { 0, NULL },
};

/* §6.5.4.1 KindDescription: opaque<0..2^16-1>, one XML kind-block. */
static void
visit_kind_description_elem (RwCodec *c, gpointer v)
{
  rw_text (c, NULL, 2, 0, v);
}

/* §6.5.4.1 ConfigUpdateReq {ConfigUpdateType type; uint32 length; select
 * (type) {config: opaque config_data<0..2^24-1>; kind: KindDescription
 * kinds<0..2^24-1>; "This structure may be extended with new types"}}.
 * The length must match its contents exactly; an unknown type's value is
 * kept raw. */
void
reload_config_update_req_visit (RwCodec *c, gpointer body)
{
  ReloadConfigUpdateReq *v = body;
  rw_enum8 (c, "type", &v->type, config_update_type_names);
  if (rw_ok (c) && v->type == RELOAD_CONFIG_UPDATE_INVALID)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidConfigUpdateType (0)");
  RwBlock b;
  rw_block_begin (c, "length", 4, 0, &b);
  switch (v->type)
    {
    case RELOAD_CONFIG_UPDATE_CONFIG:
      rw_text (c, "config_data", 3, 0, &v->config_data);
      break;
    case RELOAD_CONFIG_UPDATE_KIND:
      RW_LIST (c, "kinds", 3, v->kinds, v->n_kinds, visit_kind_description_elem);
      break;
    default:
      rw_rest (c, "value", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
}

/* §6.5.4.2: struct {} ConfigUpdateAns. */
void
reload_config_update_ans_visit (RwCodec *c, gpointer body)
{
}

/* ---------------------------------------------------------------- table */

const ReloadBodyType reload_link_bodies[] = {
  { RELOAD_ATTACH_REQ, sizeof (ReloadAttachReqAns), reload_attach_req_ans_visit },
  { RELOAD_ATTACH_ANS, sizeof (ReloadAttachReqAns), reload_attach_req_ans_visit },
  { RELOAD_APP_ATTACH_REQ, sizeof (ReloadAppAttachReq), reload_app_attach_visit },
  { RELOAD_APP_ATTACH_ANS, sizeof (ReloadAppAttachAns), reload_app_attach_visit },
  { RELOAD_PING_REQ, sizeof (ReloadPingReq), reload_ping_req_visit },
  { RELOAD_PING_ANS, sizeof (ReloadPingAns), reload_ping_ans_visit },
  { RELOAD_CONFIG_UPDATE_REQ, sizeof (ReloadConfigUpdateReq), reload_config_update_req_visit },
  { RELOAD_CONFIG_UPDATE_ANS, sizeof (ReloadConfigUpdateAns), reload_config_update_ans_visit },
  { 0, 0, NULL },
};
