/* test-chorus-db.c: chorus-db: the file mode, WAL and the other settings,
 * migrations from an empty file and from an intermediate version, a
 * failed migration rolled back, a newer schema refused with its message,
 * and a writer killed with SIGKILL in the middle of a transaction.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-db.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const ChorusDbMigration migrations[] = {
  { 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);" },
  { 2, "ALTER TABLE notes ADD COLUMN author TEXT;"
       "CREATE TABLE authors (name TEXT PRIMARY KEY);" },
  { 3, "CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes (id), tag TEXT NOT NULL);"
       "UPDATE notes SET author = 'migrated' WHERE author IS NULL;" },
};

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("chorus-db-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "test.db", NULL);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* The single value of a query, as an integer. */
static gint64
query_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  gint64 v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return v;
}

static char *
query_text (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  char *v = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  return v;
}

static gboolean
has_table (sqlite3 *db, const char *name)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'", name);
  return query_int (db, sql) == 1;
}

static void
test_settings (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  GStatBuf st;
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *mode = query_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (query_int (db, "PRAGMA synchronous"), ==, 1); /* NORMAL */
  g_assert_cmpint (query_int (db, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (query_int (db, "PRAGMA busy_timeout"), ==, CHORUS_DB_BUSY_TIMEOUT_MS);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 1);
  /* the -wal file exists once something is written, with the same mode */
  g_assert_true (chorus_db_exec (db, "INSERT INTO notes (text) VALUES ('a')", &error));
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* a failing statement is a CHORUS_DB_ERROR_QUERY with SQLite's message */
  g_assert_false (chorus_db_exec (db, "INSERT INTO nowhere VALUES (1)", &error));
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_QUERY);
  g_assert_nonnull (strstr (error->message, "no such table"));
  g_clear_error (&error);
  chorus_db_set_error (&error, db, "reading notes");
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_QUERY);
  g_assert_true (g_str_has_prefix (error->message, "reading notes: "));
  chorus_db_close (NULL); /* NULL-safe */
}

static void
test_migrate_from_zero (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 3);
  g_assert_true (has_table (db, "notes"));
  g_assert_true (has_table (db, "authors"));
  g_assert_true (has_table (db, "tags"));
  /* foreign keys are enforced */
  g_assert_false (chorus_db_exec (db, "INSERT INTO tags VALUES (42, 'x')", &error));
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_QUERY);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
  g_clear_error (&error);
  /* opening again runs nothing (migration 1 would fail: the table exists) */
  g_clear_pointer (&db, chorus_db_close);
  db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 3);
}

static void
test_migrate_from_intermediate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 2);
  g_assert_false (has_table (db, "tags"));
  g_assert_true (chorus_db_exec (
      db, "INSERT INTO notes (text, author) VALUES ('kept', 'alice'), ('old', NULL)", &error));
  g_clear_pointer (&db, chorus_db_close);

  /* a newer program: only migration 3 runs, on the data there */
  db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 3);
  g_assert_true (has_table (db, "tags"));
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes"), ==, 2);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes WHERE author = 'alice'"), ==, 1);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes WHERE author = 'migrated'"), ==, 1);
}

static void
test_failed_migration (Fixture *f, gconstpointer data)
{
  static const ChorusDbMigration broken[] = {
    { 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);" },
    { 2, "CREATE TABLE half (x); INSERT INTO notes (text) VALUES ('half'); CREATE TABLE (" },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, broken, 2, &error);
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_MIGRATION);
  g_assert_null (db);
  g_assert_nonnull (strstr (error->message, "schema 2"));
  g_clear_error (&error);
  /* migration 1 stayed, nothing of migration 2 did */
  db = chorus_db_open (f->path, broken, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 1);
  g_assert_false (has_table (db, "half"));
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes"), ==, 0);
}

static void
test_newer_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_true (chorus_db_exec (db, "INSERT INTO notes (text) VALUES ('new')", &error));
  g_clear_pointer (&db, chorus_db_close);

  /* an older program knows two versions */
  db = chorus_db_open (f->path, migrations, 2, &error);
  g_assert_null (db);
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_NEWER_VERSION);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (
      strstr (error->message, "was written by a newer Chorus (schema 3, this one knows 2)"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* and left it as it was */
  db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (db, &error), ==, 3);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes"), ==, 1);
}

static void
test_not_a_database (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (f->path,
                                      "this is not SQLite, not at all; 100 bytes or so "
                                      "of text to look like a header of a file.......",
                                      -1, &error));
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_null (db);
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN);
  g_clear_error (&error);
  g_autofree char *missing = g_build_filename (f->dir, "no", "such", "dir.db", NULL);
  db = chorus_db_open (missing, migrations, 3, &error);
  g_assert_null (db);
  g_assert_error (error, CHORUS_DB_ERROR, CHORUS_DB_ERROR_OPEN);
}

/* A writer killed with SIGKILL inside a transaction: the file opens with
 * the committed rows only, and SQLite finds it intact. */
#define COMMITTED_ROWS 200
#define UNCOMMITTED_ROWS 5000

static void
crash_child (const char *path, int ready_fd)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db = chorus_db_open (path, migrations, 3, &error);
  if (db == NULL)
    _exit (3);
  /* a small page cache: the open transaction spills pages into the WAL,
   * so that the kill finds uncommitted frames there */
  if (!chorus_db_exec (db, "PRAGMA cache_size = 8", NULL))
    _exit (4);
  for (guint i = 0; i < COMMITTED_ROWS; i++)
    {
      g_autofree char *sql =
          g_strdup_printf ("INSERT INTO notes (text) VALUES ('committed %u')", i);
      if (!chorus_db_exec (db, sql, NULL))
        _exit (5);
    }
  if (!chorus_db_exec (db, "BEGIN", NULL))
    _exit (6);
  for (guint i = 0; i < UNCOMMITTED_ROWS; i++)
    {
      g_autofree char *sql =
          g_strdup_printf ("INSERT INTO notes (text) VALUES ('uncommitted %u %0200u')", i, i);
      if (!chorus_db_exec (db, sql, NULL))
        _exit (7);
    }
  /* tell the parent, then wait for the kill with the transaction open */
  if (write (ready_fd, "r", 1) != 1)
    _exit (8);
  for (;;)
    pause ();
}

static void
test_crash (Fixture *f, gconstpointer data)
{
  int fds[2];
  g_assert_cmpint (pipe (fds), ==, 0);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      crash_child (f->path, fds[1]);
      _exit (9);
    }
  close (fds[1]);
  char c = 0;
  ssize_t n = read (fds[0], &c, 1);
  close (fds[0]);
  g_assert_cmpint (n, ==, 1);
  /* the child holds an open transaction with uncommitted frames in the WAL */
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_test_message ("WAL before the kill: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) db = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes"), ==, COMMITTED_ROWS);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes WHERE text LIKE 'uncommitted%'"), ==,
                   0);
  g_autofree char *check = query_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  /* and it takes writes again */
  g_assert_true (chorus_db_exec (db, "INSERT INTO notes (text) VALUES ('after')", &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM notes"), ==, COMMITTED_ROWS + 1);
}

/* Two connections of this process to one file (the app's enrollment
 * server and its own invitation), the second written through and closed;
 * then other processes write and leave.  The first connection sees every
 * write.  (The app's case that lost writes, fixed in create_private(), is
 * shown end to end by tests/app/test_app_ui.py: an invitation made by
 * `chorus-enroll invite` after the app made one itself.) */
static void
test_second_connection_keeps_locks (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sqlite3) first = chorus_db_open (f->path, migrations, 3, &error);
  g_assert_no_error (error);
  g_assert_true (chorus_db_exec (first, "INSERT INTO notes (text) VALUES ('one')", &error));
  g_assert_cmpint (query_int (first, "SELECT count(*) FROM notes"), ==, 1);
  {
    g_autoptr (sqlite3) second = chorus_db_open (f->path, migrations, 3, &error);
    g_assert_no_error (error);
    g_assert_true (chorus_db_exec (second, "INSERT INTO notes (text) VALUES ('two')", &error));
    g_assert_cmpint (query_int (second, "SELECT count(*) FROM notes"), ==, 2);
  }
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      sqlite3 *other = chorus_db_open (f->path, migrations, 3, NULL);
      gboolean ok = other != NULL
                    && chorus_db_exec (other, "INSERT INTO notes (text) VALUES ('three')", NULL);
      chorus_db_close (other);
      _exit (ok ? 0 : 1);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpint (query_int (first, "SELECT count(*) FROM notes"), ==, 3);
  /* and again, after the first one wrote in between */
  g_assert_true (chorus_db_exec (first, "INSERT INTO notes (text) VALUES ('four')", &error));
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      sqlite3 *other = chorus_db_open (f->path, migrations, 3, NULL);
      gboolean ok =
          other != NULL && chorus_db_exec (other, "INSERT INTO notes (text) VALUES ('five')", NULL);
      chorus_db_close (other);
      _exit (ok ? 0 : 1);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpint (query_int (first, "SELECT count(*) FROM notes"), ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/store/db/settings", test_settings);
  ADD ("/store/db/migrate-from-zero", test_migrate_from_zero);
  ADD ("/store/db/migrate-from-intermediate", test_migrate_from_intermediate);
  ADD ("/store/db/failed-migration", test_failed_migration);
  ADD ("/store/db/newer-refused", test_newer_refused);
  ADD ("/store/db/not-a-database", test_not_a_database);
  ADD ("/store/db/crash", test_crash);
  ADD ("/store/db/second-connection-keeps-locks", test_second_connection_keeps_locks);
#undef ADD
  return g_test_run ();
}
