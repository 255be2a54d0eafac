/* reload-topology.h: bodies of the topology methods (RFC 6940 §6.4.2:
 * Probe, Join, Leave, Update, RouteQuery) with the CHORD-RELOAD structures
 * that fill their overlay-specific parts (§10), and RFC 7363's self-tuning
 * data.
 *
 * Where the CHORD-RELOAD plug-in defines the overlay-specific part, it is
 * decoded typed:
 *   - LeaveReq.overlay_specific_data holds a ChordLeaveData (§10.9);
 *   - the whole UpdateReq body is a ChordUpdate (§6.4.2.3: "The contents
 *     of the UpdateReq message are completely overlay specific", §10.7);
 *   - the whole RouteQueryAns body is a ChordRouteQueryAns (§6.4.2.4.2,
 *     §10.8).
 * Chord defines nothing for JoinReq/JoinAns or RouteQueryReq, whose
 * overlay_specific_data stay opaque (hex in JSON).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- Probe */

/* §6.4.2.5.1 ProbeInformationType, §14.13. */
enum
{
  RELOAD_PROBE_INFO_INVALID = 0,
  RELOAD_PROBE_INFO_RESPONSIBLE_SET = 1,
  RELOAD_PROBE_INFO_NUM_RESOURCES = 2,
  RELOAD_PROBE_INFO_UPTIME = 3,
  RELOAD_PROBE_INFO_EXP_PROBE = 4, /* §14.13: experimentation only */
};

/* §6.4.2.5.1: ProbeInformationType requested_info<0..2^8-1>. */
typedef struct
{
  guint8 *requested_info;
  guint n_requested_info;
} ReloadProbeReq;

/* §6.4.2.5.2 ProbeInformation {type; uint8 length; ProbeInformationData}. */
typedef struct
{
  guint8 type;
  /* responsible_ppb (responsible_set), num_resources or uptime: every
   * defined type is one uint32. */
  guint32 value;
  RwBytes unknown; /* the value of a type this codec does not know */
} ReloadProbeInformation;

/* §6.4.2.5.2: ProbeInformation probe_info<0..2^16-1>. */
typedef struct
{
  ReloadProbeInformation *probe_info;
  guint n_probe_info;
} ReloadProbeAns;

void reload_probe_information (RwCodec *c, const char *name, ReloadProbeInformation *v);
void reload_probe_req_visit (RwCodec *c, gpointer body);
void reload_probe_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- Join */

/* §6.4.2.1.  CHORD-RELOAD (§10.5) puts nothing in overlay_specific_data. */
typedef struct
{
  ReloadNodeId joining_peer_id;
  RwBytes overlay_specific_data;
} ReloadJoinReq;

typedef struct
{
  RwBytes overlay_specific_data;
} ReloadJoinAns;

void reload_join_req_visit (RwCodec *c, gpointer body);
void reload_join_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- Leave */

/* §10.9 ChordLeaveType. */
enum
{
  RELOAD_CHORD_LEAVE_INVALID = 0,
  RELOAD_CHORD_LEAVE_FROM_SUCC = 1,
  RELOAD_CHORD_LEAVE_FROM_PRED = 2,
};

/* §10.9 ChordLeaveData. */
typedef struct
{
  guint8 type;
  ReloadNodeId *successors; /* from_succ */
  guint n_successors;
  ReloadNodeId *predecessors; /* from_pred */
  guint n_predecessors;
} ReloadChordLeaveData;

/* §6.4.2.2 LeaveReq, with the ChordLeaveData that §10.9 puts in its
 * overlay_specific_data<0..2^16-1>.  has_chord_leave_data is FALSE for an
 * empty overlay_specific_data (JSON: "overlay_specific_data": {}), which
 * is accepted although §10.9 says it MUST hold a ChordLeaveData: the
 * receiver still learns that the peer leaves. */
typedef struct
{
  ReloadNodeId leaving_peer_id;
  gboolean has_chord_leave_data;
  ReloadChordLeaveData chord_leave_data;
} ReloadLeaveReq;

/* §6.4.2.2: "LeaveAns is an empty message." */
typedef struct
{
  guint8 unused;
} ReloadLeaveAns;

/* The ChordLeaveData fields inside the current object. */
void reload_chord_leave_data_fields (RwCodec *c, ReloadChordLeaveData *v);
void reload_leave_req_visit (RwCodec *c, gpointer body);
void reload_leave_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- Update */

/* §10.7 ChordUpdateType. */
enum
{
  RELOAD_CHORD_UPDATE_INVALID = 0,
  RELOAD_CHORD_UPDATE_PEER_READY = 1,
  RELOAD_CHORD_UPDATE_NEIGHBORS = 2,
  RELOAD_CHORD_UPDATE_FULL = 3,
};

/* §10.7 ChordUpdate: the whole UpdateReq body of CHORD-RELOAD. */
typedef struct
{
  guint32 uptime; /* seconds */
  guint8 type;
  ReloadNodeId *predecessors; /* neighbors, full */
  guint n_predecessors;
  ReloadNodeId *successors; /* neighbors, full */
  guint n_successors;
  ReloadNodeId *fingers; /* full, in ascending order */
  guint n_fingers;
} ReloadChordUpdate;

typedef ReloadChordUpdate ReloadUpdateReq;

/* §6.4.2.3: "The UpdateAns response is expected to be either success or
 * an error": an empty body. */
typedef struct
{
  guint8 unused;
} ReloadUpdateAns;

/* The ChordUpdate fields inside the current object. */
void reload_chord_update_fields (RwCodec *c, ReloadChordUpdate *v);
void reload_update_req_visit (RwCodec *c, gpointer body);
void reload_update_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- RouteQuery */

/* §6.4.2.4.1.  CHORD-RELOAD: "the RouteQueryReq contains no additional
 * information" (§10.8), so overlay_specific_data stays opaque. */
typedef struct
{
  gboolean send_update;
  ReloadDestination destination;
  RwBytes overlay_specific_data;
} ReloadRouteQueryReq;

/* §10.8 ChordRouteQueryAns: the whole RouteQueryAns body of CHORD-RELOAD. */
typedef struct
{
  ReloadNodeId next_peer;
} ReloadChordRouteQueryAns;

typedef ReloadChordRouteQueryAns ReloadRouteQueryAns;

void reload_route_query_req_visit (RwCodec *c, gpointer body);
void reload_route_query_ans_visit (RwCodec *c, gpointer body);

/* ---------------------------------------------------------------- RFC 7363 */

/* RFC 7363 (overlay algorithm CHORD-SELF-TUNING) adds no body and no new
 * Update, Leave or Probe type: the estimates a peer shares with its
 * neighbours travel in a message extension of its Updates (RFC 6940
 * §6.3.3 MessageExtension), type self_tuning_data, whose
 * extension_contents are a SelfTuningData.  The code, 0x2, is the one
 * Wireshark's RFC 7363 dissector uses (the drafts had 1, now exp-ext).
 * The message layer keeps extensions raw; it can hand the contents of
 * this type to reload_self_tuning_data(). */
#define RELOAD_EXTENSION_SELF_TUNING_DATA 0x2

typedef struct
{
  guint32 network_size; /* the sender's estimate of the overlay size */
  guint32 join_rate;    /* its estimate of the join rate */
  guint32 leave_rate;   /* its estimate of the leave (failure) rate */
} ReloadSelfTuningData;

void reload_self_tuning_data (RwCodec *c, const char *name, ReloadSelfTuningData *v);
/* The same fields inside the current object (extension_contents). */
void reload_self_tuning_data_visit (RwCodec *c, gpointer v);

G_END_DECLS
