/* enroll-update.h: `chorus-enroll update`, a new version of an overlay's
 * configuration document (RFC 6940 §11.1) for the peers to take
 * (§6.5.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* chorus-enroll update --dir DIR [--kind ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]] ...]
 *                      [--bootstrap ADDR:PORT ...]
 * @argv[0] is the command's name ("update"), as chorus-enroll's main
 * passes it (argc - 1, argv + 1).  Returns the exit status: 0, 1 (a
 * failure), 64 (a usage error). */
int enroll_cmd_update (int argc, char **argv);

G_END_DECLS
