/* reload-storage.c: placeholder table until the storage bodies land.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-body.h"

const ReloadBodyType reload_storage_bodies[] = {
  { 0, 0, NULL },
};
