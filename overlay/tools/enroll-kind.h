/* enroll-kind.h: what `chorus-enroll init` and `chorus-enroll update`
 * share: their --kind and --bootstrap arguments.
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

G_END_DECLS
