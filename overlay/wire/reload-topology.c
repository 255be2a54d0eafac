/* reload-topology.c: placeholder table until the topology bodies land.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"

const ReloadBodyType reload_topology_bodies[] = {
  { 0, 0, NULL },
};
