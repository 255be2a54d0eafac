/* chorus-profile-db.c: the schema of PROFILE/chorus.db (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-store"

#include "chorus-profile-db.h"

/* Append only: version N brings schema N - 1 to N. */
static const ChorusDbMigration profile_migrations[] = {
  /* 1: the bootstrap cache (RFC 6940 §11.4): peers this peer was directly
   * connected to, where they listen, when that last worked and how often
   * reaching them failed since (chorus-bootstrap-cache.c). */
  { 1, "CREATE TABLE bootstrap_cache ("
       "  node_id TEXT PRIMARY KEY NOT NULL"
       "    CHECK (length (node_id) BETWEEN 32 AND 40 AND node_id NOT GLOB '*[^0-9a-f]*'),"
       "  address TEXT NOT NULL CHECK (length (address) BETWEEN 2 AND 45),"
       "  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
       "  last_success_ms INTEGER NOT NULL,"
       "  failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),"
       "  last_failure_ms INTEGER,"
       "  UNIQUE (address, port)"
       ");"
       "CREATE INDEX bootstrap_cache_by_success ON bootstrap_cache (last_success_ms);" },
};

sqlite3 *
chorus_profile_db_open (const char *profile_dir, GError **error)
{
  g_return_val_if_fail (profile_dir != NULL, NULL);
  g_autofree char *path = g_build_filename (profile_dir, CHORUS_PROFILE_DB_FILE, NULL);
  return chorus_db_open (path, profile_migrations, G_N_ELEMENTS (profile_migrations), error);
}

guint
chorus_profile_db_schema_version (void)
{
  return G_N_ELEMENTS (profile_migrations);
}
