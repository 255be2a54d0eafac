/* reload-kind.h: what the overlay configuration says about each kind
 * (RFC 6940 §7.4.5, §11.1 kind blocks): its data model, its access control
 * policy and its limits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-id.h"

G_BEGIN_DECLS

/* §7.3 access control policies, and RFC 7374's NODE-ID-MATCH. */
typedef enum
{
  RELOAD_ACCESS_USER_MATCH,      /* §7.3.1 */
  RELOAD_ACCESS_NODE_MATCH,      /* §7.3.2 */
  RELOAD_ACCESS_USER_NODE_MATCH, /* §7.3.3 */
  RELOAD_ACCESS_NODE_MULTIPLE,   /* §7.3.4 */
  RELOAD_ACCESS_NODE_ID_MATCH,   /* RFC 7374 §4.2 (ReDiR) */
} ReloadAccessPolicy;

typedef struct
{
  guint32 id;
  char *name;
  ReloadDataModel model;
  ReloadAccessPolicy policy;
  guint32 max_count;         /* §11.1 max-count: values per resource */
  guint32 max_size;          /* §11.1 max-size: bytes per value */
  guint32 max_node_multiple; /* §7.3.4 max-node-multiple */
} ReloadKindDef;

typedef struct ReloadKindTable ReloadKindTable;

/* A table holding the kinds every Chorus overlay has: SIP-REGISTRATION
 * (RFC 7904), TURN-SERVICE (§9), CERTIFICATE_BY_NODE and
 * CERTIFICATE_BY_USER (§8), REDIR (RFC 7374).  Limits: 1000 values of
 * 10 000 bytes per resource (RFC 6940's example configuration allows one
 * value of 100 bytes, which holds no certificate), one TURN server value;
 * an overlay's configuration document replaces them (§11.1). */
ReloadKindTable *reload_kind_table_new_default (void);
ReloadKindTable *reload_kind_table_ref (ReloadKindTable *t);
void reload_kind_table_unref (ReloadKindTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadKindTable, reload_kind_table_unref)
/* Adds or replaces a kind (a kind-block of the configuration). */
void reload_kind_table_add (ReloadKindTable *t, const ReloadKindDef *def);
const ReloadKindDef *reload_kind_table_lookup (const ReloadKindTable *t, guint32 id);
/* The kind named @name (as in the configuration's kind-block, case
 * insensitive), or NULL. */
const ReloadKindDef *reload_kind_table_lookup_name (const ReloadKindTable *t, const char *name);
/* The Kind-IDs of the table, ascending (a GArray of guint32). */
GArray *reload_kind_table_ids (const ReloadKindTable *t);
/* Suitable for RwOptions.kind_model, with the table as user data. */
ReloadDataModel reload_kind_table_model (guint32 kind_id, gpointer table);

/* Who signed something, as the security layer verified it (§6.3.4,
 * §7.1): the user name of the certificate (rfc822Name, §11.3) and its
 * Node-IDs. */
typedef struct
{
  const char *user_name;
  const ReloadNodeId *node_ids;
  guint n_node_ids;
} ReloadSignerInfo;

G_END_DECLS
