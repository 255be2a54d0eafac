/* chorus-db.h: a SQLite database of Chorus, opened with the settings every
 * one of them uses and brought to the schema this program knows.
 *
 * A database's schema version is its `PRAGMA user_version` (0 for a new
 * file).  The program passes its migrations in order: migrations[i] has
 * version i + 1 and its SQL brings schema version i to i + 1.  Opening runs
 * every migration the file has not seen yet, each in a transaction of its
 * own (BEGIN IMMEDIATE: two processes opening one file at once migrate it
 * once), and refuses a file whose schema is newer than the last migration
 * known (CHORUS_DB_ERROR_NEWER_VERSION): an older Chorus must not write
 * into a layout it does not understand.  Released migrations are never
 * edited, only appended to.
 *
 * Every database is opened with:
 *   - the file created 0600 (it holds the user's data; SQLite gives its
 *     -wal and -shm files the same mode);
 *   - journal_mode=WAL: readers do not block the writer, and a crash
 *     (SIGKILL, power loss) loses at most the transaction that was not
 *     committed;
 *   - synchronous=NORMAL: with WAL, durable up to the last checkpoint and
 *     consistent always (a commit may be lost on power loss, never half
 *     written);
 *   - foreign_keys=ON, busy_timeout 5000 ms.
 *
 * A connection belongs to one thread at a time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* How long a statement waits for another connection's lock. */
#define CHORUS_DB_BUSY_TIMEOUT_MS 5000

typedef struct
{
  guint version;   /* the schema version this migration brings the file to */
  const char *sql; /* brings schema version - 1 to version (one or more statements) */
} ChorusDbMigration;

#define CHORUS_DB_ERROR (chorus_db_error_quark ())
GQuark chorus_db_error_quark (void);

typedef enum
{
  CHORUS_DB_ERROR_OPEN,          /* the file cannot be opened or is not a database */
  CHORUS_DB_ERROR_NEWER_VERSION, /* written by a newer Chorus: refused */
  CHORUS_DB_ERROR_MIGRATION,     /* a migration failed (rolled back) */
  CHORUS_DB_ERROR_QUERY,         /* a statement failed */
} ChorusDbError;

/* Opens (creating it 0600 if needed) the database at @path and migrates it
 * to the last of @migrations (@n_migrations of them, versions 1, 2, ... in
 * order).  Close with chorus_db_close(). */
sqlite3 *chorus_db_open (const char *path, const ChorusDbMigration *migrations, guint n_migrations,
                         GError **error);
/* NULL-safe. */
void chorus_db_close (sqlite3 *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, chorus_db_close)

/* Runs @sql (one or more statements without results). */
gboolean chorus_db_exec (sqlite3 *db, const char *sql, GError **error);
/* Sets CHORUS_DB_ERROR_QUERY: "@what: <sqlite3_errmsg (db)>". */
void chorus_db_set_error (GError **error, sqlite3 *db, const char *what);

/* The schema version of an open database (PRAGMA user_version), or -1
 * with @error set. */
gint chorus_db_get_version (sqlite3 *db, GError **error);

G_END_DECLS
