/* reload-diagnostics.c: placeholder table until the diagnostics bodies land.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"

const ReloadBodyType reload_diagnostics_bodies[] = {
  { 0, 0, NULL },
};
