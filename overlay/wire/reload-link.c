/* reload-link.c: placeholder table until the link bodies land.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"

const ReloadBodyType reload_link_bodies[] = {
  { 0, 0, NULL },
};
