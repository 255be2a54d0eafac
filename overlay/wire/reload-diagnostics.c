/* reload-diagnostics.c: RFC 7851 (P2P Overlay Diagnostics): the
 * DiagnosticsRequest and DiagnosticsResponse of §5, carried by the
 * Diagnostic_Ping message extension (§4.2.1) and by the PathTrack method
 * (§4.3.1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-diagnostics.h"

#include "reload-body.h"

/* §5.3, §9.2: the names the RFC gives the kinds. */
const RwEnumName reload_diagnostic_kind_names[] = {
  { RELOAD_DIAG_STATUS_INFO, "STATUS_INFO" },
  { RELOAD_DIAG_ROUTING_TABLE_SIZE, "ROUTING_TABLE_SIZE" },
  { RELOAD_DIAG_PROCESS_POWER, "PROCESS_POWER" },
  { RELOAD_DIAG_BANDWIDTH, "BANDWIDTH" },
  { RELOAD_DIAG_SOFTWARE_VERSION, "SOFTWARE_VERSION" },
  { RELOAD_DIAG_MACHINE_UPTIME, "MACHINE_UPTIME" },
  { RELOAD_DIAG_APP_UPTIME, "APP_UPTIME" },
  { RELOAD_DIAG_MEMORY_FOOTPRINT, "MEMORY_FOOTPRINT" },
  { RELOAD_DIAG_DATASIZE_STORED, "DATASIZE_STORED" },
  { RELOAD_DIAG_INSTANCES_STORED, "INSTANCES_STORED" },
  { RELOAD_DIAG_MESSAGES_SENT_RCVD, "MESSAGES_SENT_RCVD" },
  { RELOAD_DIAG_EWMA_BYTES_SENT, "EWMA_BYTES_SENT" },
  { RELOAD_DIAG_EWMA_BYTES_RCVD, "EWMA_BYTES_RCVD" },
  { RELOAD_DIAG_UNDERLAY_HOP, "UNDERLAY_HOP" },
  { RELOAD_DIAG_BATTERY_STATUS, "BATTERY_STATUS" },
  { 0, NULL },
};

/* ---------------------------------------------------------------- request */

/* §5.1 DiagnosticExtension {DiagnosticExtensionRequestType type;
 * opaque diagnostic_extension_contents<0..2^32-1>}.  The RFC defines no
 * extension request type, so every contents is kept raw. */
static void
visit_diagnostic_extension_elem (RwCodec *c, gpointer p)
{
  ReloadDiagnosticExtension *e = p;
  rw_object_begin (c, NULL);
  rw_u16 (c, "type", &e->type);
  rw_opaque (c, "diagnostic_extension_contents", 4, 0, &e->contents);
  rw_object_end (c);
}

/* Bytes the list takes on the wire, its length prefix excluded. */
static guint64
extensions_length (const ReloadDiagnosticsRequest *v)
{
  guint64 n = 0;
  for (guint i = 0; i < v->n_extensions && v->extensions != NULL; i++)
    n += 2 + 4 + (guint64) v->extensions[i].contents.len;
  return n;
}

/* §5.1: {uint64 expiration; uint64 timestamp_initiated; uint64 dMFlags;
 * uint32 ext_length; DiagnosticExtension
 * diagnostic_extensions_list<0..2^32-1>}.
 *
 * The RFC declares ext_length and then a vector that carries its own
 * length, and defines ext_length as "the length of the extended
 * diagnostic request information in bytes", zero when none is requested.
 * Both are therefore on the wire and must agree: ext_length is the byte
 * length of the list, which is the same number as the list's prefix
 * (0 and 0 for no extension).  ext_length is not kept: encoding computes
 * it, decoding checks it, JSON leaves it out like every other length. */
void
reload_diagnostics_request_visit (RwCodec *c, gpointer p)
{
  ReloadDiagnosticsRequest *v = p;
  rw_u64 (c, "expiration", &v->expiration);
  rw_u64 (c, "timestamp_initiated", &v->timestamp_initiated);
  rw_u64 (c, "dMFlags", &v->dm_flags);
  if (!rw_ok (c))
    return;

  RwMode mode = rw_mode (c);
  if (mode == RW_TO_JSON || mode == RW_FROM_JSON)
    {
      RW_LIST (c, "diagnostic_extensions_list", 4, v->extensions, v->n_extensions,
               visit_diagnostic_extension_elem);
      return;
    }

  guint32 ext_length = 0;
  if (mode == RW_ENCODE)
    {
      guint64 n = extensions_length (v);
      if (n > G_MAXUINT32)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_TOO_LARGE, "diagnostic_extensions_list",
                   "%" G_GUINT64_FORMAT " bytes exceed the maximum %u", n, G_MAXUINT32);
          return;
        }
      ext_length = (guint32) n;
    }
  rw_u32 (c, "ext_length", &ext_length);

  RwBlock list;
  rw_block_reserve (c, "diagnostic_extensions_list", 4, &list);
  if (mode == RW_DECODE && rw_ok (c) && rw_block_length (&list) != ext_length)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_LENGTH, "ext_length",
               "ext_length %u disagrees with the %" G_GSIZE_FORMAT
               " bytes of diagnostic_extensions_list (RFC 7851 §5.1)",
               ext_length, rw_block_length (&list));
      return;
    }
  rw_list_in_block (c, "diagnostic_extensions_list", &list, (gpointer *) &v->extensions,
                    &v->n_extensions, sizeof (*v->extensions), visit_diagnostic_extension_elem);
}

void
reload_diagnostics_request (RwCodec *c, const char *name, ReloadDiagnosticsRequest *v)
{
  rw_object_begin (c, name);
  reload_diagnostics_request_visit (c, v);
  rw_object_end (c);
}

/* ---------------------------------------------------------------- DiagnosticInfo */

/* INSTANCES_STORED (§5.3): "an array element containing the number of
 * instances of each kind stored ... indexed by Kind-ID.  Each entry is an
 * unsigned 64-bit integer": entries {KindId kind; uint64 instances}
 * packed end to end, filling the contents. */
static void
visit_instances_stored_elem (RwCodec *c, gpointer p)
{
  ReloadDiagInstancesStored *e = p;
  rw_object_begin (c, NULL);
  rw_u32 (c, "kind", &e->kind);
  rw_u64 (c, "instances", &e->instances);
  rw_object_end (c);
}

/* MESSAGES_SENT_RCVD (§5.3): "indexed by the RELOAD message code ... a
 * pair of unsigned 64-bit integers (packed end to end) representing sent
 * and received": entries {uint16 message_code; uint64 sent; uint64 rcvd}
 * packed end to end, filling the contents. */
static void
visit_messages_sent_rcvd_elem (RwCodec *c, gpointer p)
{
  ReloadDiagMessagesSentRcvd *e = p;
  rw_object_begin (c, NULL);
  rw_enum16 (c, "message_code", &e->message_code, reload_message_code_names);
  rw_u64 (c, "sent", &e->sent);
  rw_u64 (c, "rcvd", &e->rcvd);
  rw_object_end (c);
}

/* SOFTWARE_VERSION: a US-ASCII string that is the whole contents (no
 * length of its own); a JSON string, or {"hex": ...} if it is not text. */
static void
visit_software_version (RwCodec *c, RwBytes *v)
{
  if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_ENCODE)
    rw_rest (c, "software_version", v);
  else if (rw_mode (c) == RW_TO_JSON && v->len == 0)
    {
      /* rw_text would write null for an empty run with no data pointer. */
      RwBytes empty = { (const guint8 *) "", 0 };
      rw_text (c, "software_version", 2, 0, &empty);
    }
  else
    rw_text (c, "software_version", 2, 0, v); /* bounded like the contents */
}

/* §5.2 DiagnosticInfo {DiagnosticKindId kind; opaque
 * diagnostic_info_contents<0..2^16-1>}.  The length lets a node skip a
 * kind it does not know (private-use kinds 0xF000..0xFFFE included): such
 * contents are kept raw.  A known kind whose contents have the wrong size
 * fails (truncated, or bytes left over). */
void
reload_diagnostic_info_visit (RwCodec *c, gpointer p)
{
  ReloadDiagnosticInfo *v = p;
  rw_enum16 (c, "kind", &v->kind, reload_diagnostic_kind_names);
  if (rw_ok (c) && v->kind == RELOAD_DIAG_RESERVED)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "kind",
             "DiagnosticKindId 0 is reserved (RFC 7851 §9.2)");

  RwBlock b;
  switch (v->kind)
    {
    case RELOAD_DIAG_INSTANCES_STORED:
      rw_block_reserve (c, "length", 2, &b);
      rw_list_in_block (c, "instances_stored", &b, (gpointer *) &v->instances_stored,
                        &v->n_instances_stored, sizeof (*v->instances_stored),
                        visit_instances_stored_elem);
      return;
    case RELOAD_DIAG_MESSAGES_SENT_RCVD:
      rw_block_reserve (c, "length", 2, &b);
      rw_list_in_block (c, "messages_sent_rcvd", &b, (gpointer *) &v->messages_sent_rcvd,
                        &v->n_messages_sent_rcvd, sizeof (*v->messages_sent_rcvd),
                        visit_messages_sent_rcvd_elem);
      return;
    default:
      break;
    }

  rw_block_begin (c, "length", 2, 0, &b);
  switch (v->kind)
    {
    case RELOAD_DIAG_STATUS_INFO:
      rw_u8 (c, "status_info", &v->status_info);
      break;
    case RELOAD_DIAG_ROUTING_TABLE_SIZE:
      rw_u32 (c, "routing_table_size", &v->routing_table_size);
      break;
    case RELOAD_DIAG_PROCESS_POWER:
      rw_u32 (c, "process_power", &v->process_power);
      break;
    case RELOAD_DIAG_BANDWIDTH:
      rw_u32 (c, "bandwidth", &v->bandwidth);
      break;
    case RELOAD_DIAG_SOFTWARE_VERSION:
      visit_software_version (c, &v->software_version);
      break;
    case RELOAD_DIAG_MACHINE_UPTIME:
      rw_u64 (c, "machine_uptime", &v->machine_uptime);
      break;
    case RELOAD_DIAG_APP_UPTIME:
      rw_u64 (c, "app_uptime", &v->app_uptime);
      break;
    case RELOAD_DIAG_MEMORY_FOOTPRINT:
      rw_u32 (c, "memory_footprint", &v->memory_footprint);
      break;
    case RELOAD_DIAG_DATASIZE_STORED:
      rw_u64 (c, "datasize_stored", &v->datasize_stored);
      break;
    case RELOAD_DIAG_EWMA_BYTES_SENT:
      rw_u32 (c, "ewma_bytes_sent", &v->ewma_bytes_sent);
      break;
    case RELOAD_DIAG_EWMA_BYTES_RCVD:
      rw_u32 (c, "ewma_bytes_rcvd", &v->ewma_bytes_rcvd);
      break;
    case RELOAD_DIAG_UNDERLAY_HOP:
      rw_u8 (c, "underlay_hop", &v->underlay_hop);
      break;
    case RELOAD_DIAG_BATTERY_STATUS:
      rw_u8 (c, "battery_status", &v->battery_status);
      break;
    default:
      rw_rest (c, "value", &v->value);
      break;
    }
  rw_block_end (c, &b);
}

void
reload_diagnostic_info (RwCodec *c, const char *name, ReloadDiagnosticInfo *v)
{
  rw_object_begin (c, name);
  reload_diagnostic_info_visit (c, v);
  rw_object_end (c);
}

void
reload_diagnostic_info_elem (RwCodec *c, gpointer v)
{
  reload_diagnostic_info (c, NULL, v);
}

/* ---------------------------------------------------------------- response */

/* §5.2 DiagnosticsResponse {uint64 expiration; uint64 timestamp_initiated;
 * uint64 timestamp_received; uint8 hop_counter; DiagnosticInfo
 * diagnostic_info_list<0..2^32-1>}. */
void
reload_diagnostics_response_visit (RwCodec *c, gpointer p)
{
  ReloadDiagnosticsResponse *v = p;
  rw_u64 (c, "expiration", &v->expiration);
  rw_u64 (c, "timestamp_initiated", &v->timestamp_initiated);
  rw_u64 (c, "timestamp_received", &v->timestamp_received);
  rw_u8 (c, "hop_counter", &v->hop_counter);
  RW_LIST (c, "diagnostic_info_list", 4, v->diagnostic_info_list, v->n_diagnostic_info_list,
           reload_diagnostic_info_elem);
}

void
reload_diagnostics_response (RwCodec *c, const char *name, ReloadDiagnosticsResponse *v)
{
  rw_object_begin (c, name);
  reload_diagnostics_response_visit (c, v);
  rw_object_end (c);
}

/* ---------------------------------------------------------------- PathTrack */

/* §4.3.1 PathTrackReq {Destination destination; DiagnosticsRequest request}. */
void
reload_path_track_req_visit (RwCodec *c, gpointer body)
{
  ReloadPathTrackReq *v = body;
  reload_destination (c, "destination", &v->destination);
  reload_diagnostics_request (c, "request", &v->request);
}

/* §4.3.1 PathTrackAns {Destination next_hop; DiagnosticsResponse response}. */
void
reload_path_track_ans_visit (RwCodec *c, gpointer body)
{
  ReloadPathTrackAns *v = body;
  reload_destination (c, "next_hop", &v->next_hop);
  reload_diagnostics_response (c, "response", &v->response);
}

/* ---------------------------------------------------------------- table */

const ReloadBodyType reload_diagnostics_bodies[] = {
  { RELOAD_PATH_TRACK_REQ, sizeof (ReloadPathTrackReq), reload_path_track_req_visit },
  { RELOAD_PATH_TRACK_ANS, sizeof (ReloadPathTrackAns), reload_path_track_ans_visit },
  { 0, 0, NULL },
};
