/* enroll-kind.h: what `chorus-enroll init` and `chorus-enroll update`
 * share: their --kind, --bootstrap and --multicast-bootstrap arguments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-config.h"

G_BEGIN_DECLS

/* what a kind gets when --kind leaves them out (§11.1 max-count, max-size) */
#define ENROLL_DEFAULT_KIND_MAX_COUNT 100
#define ENROLL_DEFAULT_KIND_MAX_SIZE 1024

/* --kind ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]], e.g.
 * 4000:NOTES:array:USER-MATCH:100:1024: a kind-block (§11.1; the name goes
 * in Chorus's extension element, since §11.1 names only IANA kinds).
 * MODEL single, array or dictionary; POLICY USER-MATCH, NODE-MATCH,
 * USER-NODE-MATCH or NODE-MULTIPLE (max-node-multiple 20).  Fails with
 * G_OPTION_ERROR_BAD_VALUE. */
ReloadConfigKind *enroll_parse_kind (const char *text, GError **error);

/* --bootstrap ADDR:PORT ("[ADDR]:PORT" for IPv6): adds a bootstrap-node
 * to @cfg.  Fails with G_OPTION_ERROR_BAD_VALUE. */
gboolean enroll_add_bootstrap (ReloadConfig *cfg, const char *text, GError **error);

/* --multicast-bootstrap [GROUP:PORT] (repeatable): a GOptionArgFunc for
 * an entry with G_OPTION_FLAG_OPTIONAL_ARG in a group whose user data is
 * a GPtrArray of char *: each value goes there ("" without one). */
gboolean enroll_multicast_option (const char *name, const char *value, gpointer groups,
                                  GError **error);
/* Adds the groups enroll_multicast_option() collected to @cfg ("": the
 * default group, RELOAD_CONFIG_DEFAULT_MULTICAST_BOOTSTRAP).  Fails with
 * G_OPTION_ERROR_BAD_VALUE. */
gboolean enroll_add_multicast (ReloadConfig *cfg, GPtrArray *groups, GError **error);

G_END_DECLS
