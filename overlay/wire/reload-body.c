/* reload-body.c: message code -> body structure (§6.3.3, §14.8).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"

static const ReloadBodyType *const tables[] = {
  reload_topology_bodies,
  reload_link_bodies,
  reload_storage_bodies,
  reload_diagnostics_bodies,
};

const ReloadBodyType *
reload_body_type_lookup (guint16 message_code)
{
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const ReloadBodyType *b = tables[t]; b->visit != NULL; b++)
      if (b->code == message_code)
        return b;
  return NULL;
}
