/* chorus-db.c: opening and migrating Chorus's SQLite databases (see the
 * header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-store"

#include "chorus-db.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* clang-format off */
G_DEFINE_QUARK (chorus-db-error-quark, chorus_db_error)
/* clang-format on */

void
chorus_db_set_error (GError **error, sqlite3 *db, const char *what)
{
  g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_QUERY, "%s: %s", what,
               db != NULL ? sqlite3_errmsg (db) : "no database");
}

gboolean
chorus_db_exec (sqlite3 *db, const char *sql, GError **error)
{
  g_return_val_if_fail (db != NULL && sql != NULL, FALSE);
  char *message = NULL;
  if (sqlite3_exec (db, sql, NULL, NULL, &message) == SQLITE_OK)
    return TRUE;
  g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_QUERY, "%s",
               message != NULL ? message : sqlite3_errmsg (db));
  sqlite3_free (message);
  return FALSE;
}

void
chorus_db_close (sqlite3 *db)
{
  if (db == NULL)
    return;
  /* _v2: statements left unfinalized would keep the file open, not fail */
  if (sqlite3_close_v2 (db) != SQLITE_OK)
    g_warning ("closing a database: %s", sqlite3_errmsg (db));
}

/* The one text or integer value a pragma returns, as text. */
static char *
pragma_value (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      chorus_db_set_error (error, db, sql);
      return NULL;
    }
  int rc = sqlite3_step (st);
  char *value = NULL;
  if (rc == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (st, 0));
  else if (rc == SQLITE_DONE)
    value = g_strdup ("");
  else
    chorus_db_set_error (error, db, sql);
  sqlite3_finalize (st);
  return value;
}

gint
chorus_db_get_version (sqlite3 *db, GError **error)
{
  g_return_val_if_fail (db != NULL, -1);
  g_autofree char *text = pragma_value (db, "PRAGMA user_version", error);
  guint64 v;
  if (text == NULL)
    return -1;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &v, NULL))
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN,
                   "the schema version “%s” is not a number", text);
      return -1;
    }
  return (gint) v;
}

/* Creates the file 0600 before SQLite does (SQLite would use 0644 less the
 * umask); an existing file keeps its mode and is not touched at all.
 * Never open and close a database file that may be open elsewhere in this
 * process: closing any descriptor of a file drops every POSIX lock the
 * process holds on it (fcntl(2)), the locks of the SQLite connections
 * already open included; another process then takes itself for the last
 * user, checkpoints and deletes the WAL under them, and they go on reading
 * a stale snapshot (an invitation made by `chorus-enroll invite` stayed
 * invisible to the app's enrollment server after the app had opened the
 * store itself). */
static gboolean
create_private (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  int fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return TRUE; /* made meanwhile by another process */
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN, "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* One migration, in a transaction of its own.  The version is read again
 * inside the transaction: another process may have migrated meanwhile
 * (BEGIN IMMEDIATE takes the write lock, so only one of them runs it). */
static gboolean
migrate_one (sqlite3 *db, const char *path, const ChorusDbMigration *m, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %u", m->version);
  if (!chorus_db_exec (db, "BEGIN IMMEDIATE", &local))
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_MIGRATION,
                   "%s: migrating to schema %u failed: %s", path, m->version, local->message);
      return FALSE;
    }
  gint now = chorus_db_get_version (db, &local);
  if (now >= 0 && (guint) now >= m->version)
    return chorus_db_exec (db, "COMMIT", error);
  if (now >= 0 && chorus_db_exec (db, m->sql, &local) && chorus_db_exec (db, set, &local)
      && chorus_db_exec (db, "COMMIT", &local))
    {
      g_debug ("%s: schema version %u", path, m->version);
      return TRUE;
    }
  /* nothing of the migration stays: the file keeps its previous version */
  chorus_db_exec (db, "ROLLBACK", NULL);
  g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_MIGRATION,
               "%s: migrating to schema %u failed: %s", path, m->version, local->message);
  return FALSE;
}

sqlite3 *
chorus_db_open (const char *path, const ChorusDbMigration *migrations, guint n_migrations,
                GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (migrations != NULL || n_migrations == 0, NULL);
  for (guint i = 0; i < n_migrations; i++)
    g_return_val_if_fail (migrations[i].version == i + 1 && migrations[i].sql != NULL, NULL);

  gboolean memory = g_str_equal (path, ":memory:");
  if (!memory && !create_private (path, error))
    return NULL;
  g_autoptr (sqlite3) db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN, "%s: %s", path,
                   db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, CHORUS_DB_BUSY_TIMEOUT_MS);

  /* the version first: a newer file is refused before anything of it is
   * changed (even its journal mode) */
  g_autoptr (GError) local = NULL;
  gint version = chorus_db_get_version (db, &local);
  if (version < 0)
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN, "%s: %s", path, local->message);
      return NULL;
    }
  if ((guint) version > n_migrations)
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_NEWER_VERSION,
                   "%s was written by a newer Chorus (schema %d, this one knows %u): run that "
                   "version, or move the file away to start afresh",
                   path, version, n_migrations);
      return NULL;
    }

  g_autofree char *mode = pragma_value (db, "PRAGMA journal_mode = WAL", &local);
  if (mode == NULL)
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN, "%s: %s", path, local->message);
      return NULL;
    }
  if (g_ascii_strcasecmp (mode, memory ? "memory" : "wal") != 0)
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN,
                   "%s: cannot use write-ahead logging (journal mode %s)", path, mode);
      return NULL;
    }
  if (!chorus_db_exec (db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", &local))
    {
      g_set_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN, "%s: %s", path, local->message);
      return NULL;
    }

  for (guint i = (guint) version; i < n_migrations; i++)
    if (!migrate_one (db, path, &migrations[i], error))
      return NULL;
  return g_steal_pointer (&db);
}
