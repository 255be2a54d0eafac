/* reload-diagnostics.h: RFC 7851 (P2P Overlay Diagnostics) on the wire.
 *
 * RFC 7851 collects diagnostic information two ways:
 *   - "ping-like" (§4.2): an ordinary Ping whose request carries a
 *     Diagnostic_Ping message extension (RFC 6940 §6.3.3 MessageExtension)
 *     whose extension_contents are a DiagnosticsRequest (§5.1); the
 *     answer's Diagnostic_Ping extension carries a DiagnosticsResponse
 *     (§5.2).  The Ping bodies themselves are unchanged, so these are not
 *     body types: the message layer hands the extension_contents of type
 *     RELOAD_EXTENSION_DIAGNOSTIC_PING to reload_diagnostics_request() (in
 *     a ping_req) or reload_diagnostics_response() (in a ping_ans).
 *   - "traceroute-like" (§4.3): the PathTrack method, a body of its own:
 *     PathTrackReq {Destination destination; DiagnosticsRequest request}
 *     and PathTrackAns {Destination next_hop; DiagnosticsResponse
 *     response}, message codes path_track_req/path_track_ans.
 *
 * JSON: a DiagnosticsRequest is {"expiration", "timestamp_initiated",
 * "dMFlags", "diagnostic_extensions_list": [{"type",
 * "diagnostic_extension_contents"}]}; a DiagnosticsResponse is
 * {"expiration", "timestamp_initiated", "timestamp_received",
 * "hop_counter", "diagnostic_info_list": [DiagnosticInfo]}; a
 * DiagnosticInfo is {"kind": "STATUS_INFO", ...} with one member named
 * after the kind in lower case ("status_info", "routing_table_size", ...,
 * "battery_status") holding its value, or "value" (hex) for a kind this
 * codec does not know.  Times are numbers of milliseconds since 1970.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

/* RFC 7851 §4.2.1, §9.5: the Diagnostic_Ping message extension type.
 * RFC 6940 §14.14 gave 0x1 to exp-ext, and RFC 7363's self_tuning_data
 * (reload-topology.h) is 0x2; 3 is the value Wireshark's RELOAD dissector
 * uses (its note says the draft asked for 1).  Not yet checked against
 * the IANA registry. */
#define RELOAD_EXTENSION_DIAGNOSTIC_PING 0x3

/* ---------------------------------------------------------------- kinds */

/* RFC 7851 §5.3, §9.2 DiagnosticKindId (uint16). */
enum
{
  RELOAD_DIAG_RESERVED = 0x0000,
  RELOAD_DIAG_STATUS_INFO = 0x0001,        /* uint8: congestion status */
  RELOAD_DIAG_ROUTING_TABLE_SIZE = 0x0002, /* uint32: peers in the routing table */
  RELOAD_DIAG_PROCESS_POWER = 0x0003,      /* uint32: processing power, MIPS */
  RELOAD_DIAG_BANDWIDTH = 0x0004,          /* uint32: link bandwidth, kbit/s */
  RELOAD_DIAG_SOFTWARE_VERSION = 0x0005,   /* US-ASCII string, the whole contents */
  RELOAD_DIAG_MACHINE_UPTIME = 0x0006,     /* uint64: seconds */
  RELOAD_DIAG_APP_UPTIME = 0x0007,         /* uint64: seconds */
  RELOAD_DIAG_MEMORY_FOOTPRINT = 0x0008,   /* uint32: kilobytes */
  RELOAD_DIAG_DATASIZE_STORED = 0x0009,    /* uint64: bytes stored */
  RELOAD_DIAG_INSTANCES_STORED = 0x000A,   /* {KindId; uint64} per kind */
  RELOAD_DIAG_MESSAGES_SENT_RCVD = 0x000B, /* {message code; uint64 sent; uint64 rcvd} */
  RELOAD_DIAG_EWMA_BYTES_SENT = 0x000C,    /* uint32: bytes per second */
  RELOAD_DIAG_EWMA_BYTES_RCVD = 0x000D,    /* uint32: bytes per second */
  RELOAD_DIAG_UNDERLAY_HOP = 0x000E,       /* uint8: IP hops to the next hop */
  RELOAD_DIAG_BATTERY_STATUS = 0x000F,     /* uint8 */
};

extern const RwEnumName reload_diagnostic_kind_names[];

/* RFC 7851 §5.1, §9.1 dMFlags: bit (kind - 1) asks for the kind, so
 * STATUS_INFO is 0x1, ROUTING_TABLE_SIZE 0x2, ..., BATTERY_STATUS 0x4000.
 * All ones asks for everything. */
#define RELOAD_DM_FLAG(kind) (G_GUINT64_CONSTANT (1) << ((kind) -1))
#define RELOAD_DM_FLAGS_ALL G_MAXUINT64

/* ---------------------------------------------------------------- request */

/* §5.1 DiagnosticExtension {DiagnosticExtensionRequestType type (uint16);
 * opaque diagnostic_extension_contents<0..2^32-1>}.  No type is defined
 * yet: contents are always kept raw. */
typedef struct
{
  guint16 type;
  RwBytes contents;
} ReloadDiagnosticExtension;

/* §5.1 DiagnosticsRequest {uint64 expiration; uint64 timestamp_initiated;
 * uint64 dMFlags; uint32 ext_length; DiagnosticExtension
 * diagnostic_extensions_list<0..2^32-1>}.  ext_length is derived: it is
 * the byte length of the list (the same number as the list's own length
 * prefix), 0 when the list is empty; decoding rejects any other value. */
typedef struct
{
  guint64 expiration;          /* ms since 1970 after which the request is dropped */
  guint64 timestamp_initiated; /* ms since 1970 */
  guint64 dm_flags;            /* RELOAD_DM_FLAG () bits */
  ReloadDiagnosticExtension *extensions;
  guint n_extensions;
} ReloadDiagnosticsRequest;

/* Inside an object named @name (the extension's contents or a field). */
void reload_diagnostics_request (RwCodec *c, const char *name, ReloadDiagnosticsRequest *v);
/* The same fields inside the current object. */
void reload_diagnostics_request_visit (RwCodec *c, gpointer v);

/* ---------------------------------------------------------------- response */

/* One entry of INSTANCES_STORED: instances of one kind stored. */
typedef struct
{
  guint32 kind;
  guint64 instances;
} ReloadDiagInstancesStored;

/* One entry of MESSAGES_SENT_RCVD: messages of one code sent and received. */
typedef struct
{
  guint16 message_code;
  guint64 sent;
  guint64 rcvd;
} ReloadDiagMessagesSentRcvd;

/* §5.2 DiagnosticInfo {DiagnosticKindId kind; opaque
 * diagnostic_info_contents<0..2^16-1>}, the contents typed by kind (§5.3).
 * Only the field of the kind is used. */
typedef struct
{
  guint16 kind;
  guint8 status_info;
  guint32 routing_table_size;
  guint32 process_power;
  guint32 bandwidth;
  RwBytes software_version;
  guint64 machine_uptime;
  guint64 app_uptime;
  guint32 memory_footprint;
  guint64 datasize_stored;
  ReloadDiagInstancesStored *instances_stored;
  guint n_instances_stored;
  ReloadDiagMessagesSentRcvd *messages_sent_rcvd;
  guint n_messages_sent_rcvd;
  guint32 ewma_bytes_sent;
  guint32 ewma_bytes_rcvd;
  guint8 underlay_hop;
  guint8 battery_status;
  RwBytes value; /* the contents of a kind this codec does not know */
} ReloadDiagnosticInfo;

void reload_diagnostic_info (RwCodec *c, const char *name, ReloadDiagnosticInfo *v);
/* The same fields inside the current object. */
void reload_diagnostic_info_visit (RwCodec *c, gpointer v);
/* List element adapter. */
void reload_diagnostic_info_elem (RwCodec *c, gpointer v);

/* §5.2 DiagnosticsResponse {uint64 expiration; uint64 timestamp_initiated;
 * uint64 timestamp_received; uint8 hop_counter; DiagnosticInfo
 * diagnostic_info_list<0..2^32-1>}. */
typedef struct
{
  guint64 expiration;
  guint64 timestamp_initiated; /* copied from the request */
  guint64 timestamp_received;  /* when the responder received the request */
  guint8 hop_counter;
  ReloadDiagnosticInfo *diagnostic_info_list;
  guint n_diagnostic_info_list;
} ReloadDiagnosticsResponse;

void reload_diagnostics_response (RwCodec *c, const char *name, ReloadDiagnosticsResponse *v);
void reload_diagnostics_response_visit (RwCodec *c, gpointer v);

/* ---------------------------------------------------------------- PathTrack */

/* §4.3.1 PathTrackReq {Destination destination; DiagnosticsRequest request}. */
typedef struct
{
  ReloadDestination destination;
  ReloadDiagnosticsRequest request;
} ReloadPathTrackReq;

/* §4.3.1 PathTrackAns {Destination next_hop; DiagnosticsResponse response}. */
typedef struct
{
  ReloadDestination next_hop;
  ReloadDiagnosticsResponse response;
} ReloadPathTrackAns;

void reload_path_track_req_visit (RwCodec *c, gpointer body);
void reload_path_track_ans_visit (RwCodec *c, gpointer body);

G_END_DECLS
