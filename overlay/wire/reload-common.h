/* reload-common.h: identifiers, addresses, destinations and code points of
 * RFC 6940 used throughout the wire format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"

G_BEGIN_DECLS

/* §6.3.1.1: NodeId is opaque[NodeIdLength], 16 to 20 bytes per overlay. */
#define RELOAD_NODE_ID_MAX 20

typedef struct
{
  guint8 len; /* the overlay's node-id-length */
  guint8 id[RELOAD_NODE_ID_MAX];
} ReloadNodeId;

void reload_node_id (RwCodec *c, const char *name, ReloadNodeId *v);
/* List element adapter: a NodeId alone, shown as a hex string. */
void reload_node_id_elem (RwCodec *c, gpointer v);
gboolean reload_node_id_equal (const ReloadNodeId *a, const ReloadNodeId *b);

/* §6.3.1.1: ResourceId is opaque<0..2^8-1>. */
void reload_resource_id (RwCodec *c, const char *name, RwBytes *v);

/* §6.3.1.1 AddressType and IpAddressPort. */
enum
{
  RELOAD_ADDRESS_INVALID = 0,
  RELOAD_ADDRESS_IPV4 = 1,
  RELOAD_ADDRESS_IPV6 = 2,
};

typedef struct
{
  guint8 type;
  guint8 addr[16]; /* 4 bytes used for IPv4 */
  guint16 port;
  RwBytes unknown; /* value of an address type this codec does not know */
} ReloadIpAddressPort;

/* JSON: {"type": "ipv4_address", "address": "192.0.2.1", "port": 6084}. */
void reload_ip_address_port (RwCodec *c, const char *name, ReloadIpAddressPort *v);

/* §6.3.2.2 DestinationType. */
enum
{
  RELOAD_DESTINATION_INVALID = 0,
  RELOAD_DESTINATION_NODE = 1,
  RELOAD_DESTINATION_RESOURCE = 2,
  RELOAD_DESTINATION_OPAQUE_ID = 3,
};

typedef struct
{
  guint8 type;
  /* TRUE for the 16-bit form (top bit 1), which is an opaque_id_type of
   * two bytes (§6.3.2.2); compressed_id then holds it, top bit included. */
  gboolean compressed;
  guint16 compressed_id;
  ReloadNodeId node_id; /* node */
  RwBytes resource_id;  /* resource */
  RwBytes opaque_id;    /* opaque_id_type */
  RwBytes unknown;      /* destination_data of an unknown type */
} ReloadDestination;

void reload_destination (RwCodec *c, const char *name, ReloadDestination *v);
void reload_destination_elem (RwCodec *c, gpointer v);

/* §14.8 message codes. */
enum
{
  RELOAD_PROBE_REQ = 0x1,
  RELOAD_PROBE_ANS = 0x2,
  RELOAD_ATTACH_REQ = 0x3,
  RELOAD_ATTACH_ANS = 0x4,
  RELOAD_STORE_REQ = 0x7,
  RELOAD_STORE_ANS = 0x8,
  RELOAD_FETCH_REQ = 0x9,
  RELOAD_FETCH_ANS = 0xA,
  RELOAD_FIND_REQ = 0xD,
  RELOAD_FIND_ANS = 0xE,
  RELOAD_JOIN_REQ = 0xF,
  RELOAD_JOIN_ANS = 0x10,
  RELOAD_LEAVE_REQ = 0x11,
  RELOAD_LEAVE_ANS = 0x12,
  RELOAD_UPDATE_REQ = 0x13,
  RELOAD_UPDATE_ANS = 0x14,
  RELOAD_ROUTE_QUERY_REQ = 0x15,
  RELOAD_ROUTE_QUERY_ANS = 0x16,
  RELOAD_PING_REQ = 0x17,
  RELOAD_PING_ANS = 0x18,
  RELOAD_STAT_REQ = 0x19,
  RELOAD_STAT_ANS = 0x1A,
  RELOAD_APP_ATTACH_REQ = 0x1D,
  RELOAD_APP_ATTACH_ANS = 0x1E,
  RELOAD_CONFIG_UPDATE_REQ = 0x21,
  RELOAD_CONFIG_UPDATE_ANS = 0x22,
  RELOAD_EXP_A_REQ = 0x23,
  RELOAD_EXP_A_ANS = 0x24,
  RELOAD_EXP_B_REQ = 0x25,
  RELOAD_EXP_B_ANS = 0x26,
  /* RFC 7851 §4.3.1, §9.3 (diagnostics): 101 and 102, as in
   * shared/spec/NOTES.md and Wireshark's dissector. */
  RELOAD_PATH_TRACK_REQ = 0x65,
  RELOAD_PATH_TRACK_ANS = 0x66,
  RELOAD_ERROR = 0xFFFF,
};

/* §14.9 error codes, and RFC 7851 §9.4's additions. */
enum
{
  RELOAD_ERROR_FORBIDDEN = 0x2,
  RELOAD_ERROR_NOT_FOUND = 0x3,
  RELOAD_ERROR_REQUEST_TIMEOUT = 0x4,
  RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW = 0x5,
  RELOAD_ERROR_INCOMPATIBLE_WITH_OVERLAY = 0x6,
  RELOAD_ERROR_UNSUPPORTED_FORWARDING_OPTION = 0x7,
  RELOAD_ERROR_DATA_TOO_LARGE = 0x8,
  RELOAD_ERROR_DATA_TOO_OLD = 0x9,
  RELOAD_ERROR_TTL_EXCEEDED = 0xA,
  RELOAD_ERROR_MESSAGE_TOO_LARGE = 0xB,
  RELOAD_ERROR_UNKNOWN_KIND = 0xC,
  RELOAD_ERROR_UNKNOWN_EXTENSION = 0xD,
  RELOAD_ERROR_RESPONSE_TOO_LARGE = 0xE,
  RELOAD_ERROR_CONFIG_TOO_OLD = 0xF,
  RELOAD_ERROR_CONFIG_TOO_NEW = 0x10,
  RELOAD_ERROR_IN_PROGRESS = 0x11,
  RELOAD_ERROR_EXP_A = 0x12,
  RELOAD_ERROR_EXP_B = 0x13,
  RELOAD_ERROR_INVALID_MESSAGE = 0x14,
  /* RFC 7851 §4.4, §9.4: 101 to 106, as Wireshark's dissector (written
   * from draft-ietf-p2psip-diagnostics-06) numbers them, like the
   * PathTrack message codes.  Not yet checked against the IANA registry. */
  RELOAD_ERROR_UNDERLAY_DESTINATION_UNREACHABLE = 0x65,
  RELOAD_ERROR_UNDERLAY_TIME_EXCEEDED = 0x66,
  RELOAD_ERROR_MESSAGE_EXPIRED = 0x67,
  RELOAD_ERROR_MIS_ROUTING = 0x68,
  RELOAD_ERROR_LOOP_DETECTED = 0x69,
  RELOAD_ERROR_TTL_HOPS_EXCEEDED = 0x6A,
};

extern const RwEnumName reload_message_code_names[];
extern const RwEnumName reload_error_code_names[];

/* Kind-IDs (§14.6, RFC 7904 §8, RFC 7374 §7). */
enum
{
  RELOAD_KIND_SIP_REGISTRATION = 1,
  RELOAD_KIND_TURN_SERVICE = 2,
  RELOAD_KIND_CERTIFICATE_BY_NODE = 3,
  RELOAD_KIND_CERTIFICATE_BY_USER = 16,
  RELOAD_KIND_REDIR = 104,
};

/* The data model of a kind: built-in kinds first, then the options'
 * callback; RELOAD_DATA_MODEL_UNKNOWN when neither knows it. */
ReloadDataModel reload_kind_data_model (const RwOptions *options, guint32 kind_id);

G_END_DECLS
