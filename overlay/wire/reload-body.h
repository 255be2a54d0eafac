/* reload-body.h: which structure the message_body of each message code
 * holds (§6.3.3: "a message_code value of join_req means that the
 * structure named JoinReq is inserted inside message_body").
 *
 * Each area of the protocol (reload-topology.c, reload-link.c,
 * reload-storage.c, reload-diagnostics.c) exports a table of the bodies it
 * defines; reload-body.c searches them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

typedef struct
{
  guint16 code;
  gsize size;        /* sizeof the C structure the visit function fills */
  RwVisitFunc visit; /* visits the body's fields inside the current object */
} ReloadBodyType;

/* Tables end with an entry whose visit is NULL. */
extern const ReloadBodyType reload_topology_bodies[];
extern const ReloadBodyType reload_link_bodies[];
extern const ReloadBodyType reload_storage_bodies[];
extern const ReloadBodyType reload_diagnostics_bodies[];

const ReloadBodyType *reload_body_type_lookup (guint16 message_code);

G_END_DECLS
