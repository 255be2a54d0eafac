/* enroll-commands.h: the subcommands of chorus-enroll that live in files
 * of their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#define ENROLL_EXIT_USAGE 64

int enroll_cmd_serve (int argc, char **argv);
int enroll_cmd_invite (int argc, char **argv);
/* "90s", "30m", "12h", "7d", "2w" or plain seconds -> seconds */
gboolean enroll_parse_duration (const char *text, gint64 *seconds);
