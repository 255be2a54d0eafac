/* chorus-profile-db.h: the database of a profile, PROFILE/chorus.db.
 *
 * One SQLite file per profile (chorus-db.h: WAL, 0600, schema version in
 * PRAGMA user_version) holds what a peer and its user keep between runs:
 * the bootstrap cache (chorus-bootstrap-cache.h) now, contacts and call
 * history later.  Its schema is the list of migrations in
 * chorus-profile-db.c; a feature that needs a table appends a migration
 * (the next version) and never edits a released one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-db.h"

G_BEGIN_DECLS

/* The file in the profile directory. */
#define CHORUS_PROFILE_DB_FILE "chorus.db"

/* Opens (creating and migrating it) PROFILE/chorus.db of @profile_dir. */
sqlite3 *chorus_profile_db_open (const char *profile_dir, GError **error);
/* The schema version this program writes (its last migration). */
guint chorus_profile_db_schema_version (void);

G_END_DECLS
