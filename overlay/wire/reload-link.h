/* reload-link.h: bodies of the forwarding and link management methods
 * (RFC 6940 §6.5: Attach, AppAttach, Ping, ConfigUpdate).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- ICE */

/* §6.5.1.1 OverlayLinkType, §14.10. */
enum
{
  RELOAD_OVERLAY_LINK_INVALID = 0,
  RELOAD_OVERLAY_LINK_DTLS_UDP_SR = 1,
  RELOAD_OVERLAY_LINK_DTLS_UDP_SR_NO_ICE = 3,
  RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE = 4,
  RELOAD_OVERLAY_LINK_EXP_LINK = 5,
};

/* §6.5.1.1 CandType.  The enum reserves 3 ("RESERVED(3)") while the text
 * says rel_addr_port "is present only for types "relay", "prfix", and
 * "srflx"": 3 is decoded as prflx, with a rel_addr_port. */
enum
{
  RELOAD_CAND_INVALID = 0,
  RELOAD_CAND_HOST = 1,
  RELOAD_CAND_SRFLX = 2,
  RELOAD_CAND_PRFLX = 3,
  RELOAD_CAND_RELAY = 4,
};

/* §6.5.1.1 IceExtension {opaque name<0..2^16-1>; opaque
 * value<0..2^16-1>}: text in JSON when UTF-8. */
typedef struct
{
  RwBytes name;
  RwBytes value;
} ReloadIceExtension;

/* §6.5.1.1 IceCandidate. */
typedef struct
{
  ReloadIpAddressPort addr_port;
  guint8 overlay_link;
  RwBytes foundation; /* opaque foundation<0..255> */
  guint32 priority;
  guint8 type;
  ReloadIpAddressPort rel_addr_port; /* srflx, prflx, relay */
  ReloadIceExtension *extensions;
  guint n_extensions;
} ReloadIceCandidate;

void reload_ice_candidate (RwCodec *c, const char *name, ReloadIceCandidate *v);
void reload_ice_candidate_elem (RwCodec *c, gpointer v);

/* ---------------------------------------------------------------- Attach */

/* §6.5.1.1 AttachReqAns: the body of both attach_req and attach_ans. */
typedef struct
{
  RwBytes ufrag;    /* opaque<0..2^8-1> */
  RwBytes password; /* opaque<0..2^8-1> */
  RwBytes role;     /* opaque<0..2^8-1>: "passive" (offerer) / "active" */
  ReloadIceCandidate *candidates;
  guint n_candidates;
  gboolean send_update;
} ReloadAttachReqAns;

void reload_attach_req_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- AppAttach */

/* §6.5.2.1 AppAttachReq and §6.5.2.2 AppAttachAns: the same fields. */
typedef struct
{
  RwBytes ufrag;
  RwBytes password;
  guint16 application; /* Application-ID (§14.5): 5060 SIP, 5061 SIPS */
  RwBytes role;
  ReloadIceCandidate *candidates;
  guint n_candidates;
} ReloadAppAttachReqAns;

typedef ReloadAppAttachReqAns ReloadAppAttachReq;
typedef ReloadAppAttachReqAns ReloadAppAttachAns;

void reload_app_attach_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- Ping */

/* §6.5.3.1 PingReq {opaque padding<0..2^16-1>}: even an empty PingReq
 * has two bytes. */
typedef struct
{
  RwBytes padding;
} ReloadPingReq;

/* §6.5.3.2 PingAns. */
typedef struct
{
  guint64 response_id; /* random; 16 hex digits in JSON */
  guint64 time;        /* ms since the Unix epoch, as storage_time (§7) */
} ReloadPingAns;

void reload_ping_req_visit (RwCodec *c, gpointer body);
void reload_ping_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- ConfigUpdate */

/* §6.5.4.1 ConfigUpdateType. */
enum
{
  RELOAD_CONFIG_UPDATE_INVALID = 0,
  RELOAD_CONFIG_UPDATE_CONFIG = 1,
  RELOAD_CONFIG_UPDATE_KIND = 2,
};

/* §6.5.4.1 ConfigUpdateReq {type; uint32 length; select (type) {config:
 * opaque config_data<0..2^24-1>; kind: KindDescription
 * kinds<0..2^24-1>}}, KindDescription being opaque<0..2^16-1> (an XML
 * kind-block, text in JSON).  The structure "may be extended with new
 * types": the length carries an unknown type's value. */
typedef struct
{
  guint8 type;
  RwBytes config_data; /* config */
  RwBytes *kinds;      /* kind */
  guint n_kinds;
  RwBytes unknown; /* the value of a type this codec does not know */
} ReloadConfigUpdateReq;

/* §6.5.4.2: struct {} ConfigUpdateAns. */
typedef struct
{
  guint8 unused;
} ReloadConfigUpdateAns;

void reload_config_update_req_visit (RwCodec *c, gpointer body);
void reload_config_update_ans_visit (RwCodec *c, gpointer body);

G_END_DECLS
