/* test-app-store.c: ChorusAppStore on a real SQLite file in a temporary
 * directory: contacts, call history, their live models and signals,
 * persistence, and the refusal of a newer schema.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-app-store.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

typedef struct
{
  char *dir;
  char *path;
} Fixture;

/* One items-changed emission. */
typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("chorus-app-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "app.db", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->path);
  g_free (f->dir);
}

static ChorusAppStore *
open_store (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  ChorusAppStore *store = chorus_app_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (CHORUS_IS_APP_STORE (store));
  return store;
}

/* Unrefs @store and checks that it is gone (the file is closed). */
static void
close_store (ChorusAppStore *store)
{
  GObject *weak = G_OBJECT (store);
  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_object_unref (store);
  g_assert_null (weak);
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, GArray *log)
{
  Change c = { position, removed, added };
  g_array_append_val (log, c);
}

static GArray *
watch (GListModel *model)
{
  GArray *log = g_array_new (FALSE, TRUE, sizeof (Change));
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), log);
  return log;
}

static void
unwatch (GListModel *model, GArray *log)
{
  g_assert_cmpuint (g_signal_handlers_disconnect_by_data (model, log), ==, 1);
  g_array_unref (log);
}

static void
assert_change (GArray *log, guint index, guint position, guint removed, guint added)
{
  g_assert_cmpuint (log->len, >, index);
  Change *c = &g_array_index (log, Change, index);
  g_assert_cmpuint (c->position, ==, position);
  g_assert_cmpuint (c->removed, ==, removed);
  g_assert_cmpuint (c->added, ==, added);
}

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

/* The contacts' names in model order, joined with ",". */
static char *
contact_names (ChorusAppStore *store)
{
  GListModel *model = chorus_app_store_get_contacts (store);
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (ChorusContact) c = g_list_model_get_item (model, i);
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, chorus_contact_get_name (c));
    }
  return g_strdup (s->str);
}

/* One integer a query on the file (a connection of its own) gives. */
static gint64
query_int (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  gint64 v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return v;
}

static gint64
add_contact (ChorusAppStore *store, const char *name, const char *aor)
{
  g_autoptr (GError) error = NULL;
  gint64 id = chorus_app_store_add_contact (store, name, aor, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static gint64
add_call (ChorusAppStore *store, ChorusCallDirection direction, const char *remote, gint64 unix_s,
          guint duration_s, const char *status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_from_unix_utc (unix_s);
  gint64 id =
      chorus_app_store_add_call (store, direction, remote, started, duration_s, status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* Opening */

static void
test_open_create (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (chorus_app_store_get_path (store), ==, f->path);
  g_assert_cmpuint (g_list_model_get_n_items (chorus_app_store_get_contacts (store)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (chorus_app_store_get_history (store)), ==, 0);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 0);
  /* the same live models every time */
  g_assert_true (chorus_app_store_get_contacts (store) == chorus_app_store_get_contacts (store));
  g_assert_true (chorus_app_store_get_history (store) == chorus_app_store_get_history (store));
  g_assert_true (g_list_model_get_item_type (chorus_app_store_get_contacts (store))
                 == CHORUS_TYPE_CONTACT);
  g_assert_true (g_list_model_get_item_type (chorus_app_store_get_history (store))
                 == CHORUS_TYPE_HISTORY_ENTRY);
  close_store (store);

  g_assert_cmpint (query_int (f->path, "PRAGMA user_version"), ==, 1);
  /* WAL is a property of the file */
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (st, 0), ==, "wal");
  sqlite3_finalize (st);
  sqlite3_close (db);

  /* opened again: nothing migrated twice */
  store = open_store (f);
  close_store (store);
  g_assert_cmpint (query_int (f->path, "PRAGMA user_version"), ==, 1);
}

static void
test_open_newer (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  add_contact (store, "Alice", "alice@example.org");
  close_store (store);

  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  g_autoptr (GError) error = NULL;
  g_assert_null (chorus_app_store_open (f->path, &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NEWER);
  g_assert_nonnull (strstr (error->message, "newer"));
  /* left as it was */
  g_assert_cmpint (query_int (f->path, "PRAGMA user_version"), ==, 99);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts"), ==, 1);
}

static void
test_open_not_a_database (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  char junk[4096];
  memset (junk, 'x', sizeof junk);
  g_assert_true (g_file_set_contents (f->path, junk, sizeof junk, &error));
  g_assert_null (chorus_app_store_open (f->path, &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_FAILED);
}

/* Contacts */

static void
test_contacts_add_sorted (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_contacts (store);
  GArray *log = watch (model);

  gint64 bob = add_contact (store, "Bob", "bob@example.org");
  assert_change (log, 0, 0, 0, 1);
  add_contact (store, "carol", "sip:carol@example.org");
  assert_change (log, 1, 1, 0, 1);
  add_contact (store, "  alice ", "SIP:Alice@EXAMPLE.org");
  assert_change (log, 2, 0, 0, 1);
  add_contact (store, "Dave", "sips:dave@example.org");
  assert_change (log, 3, 3, 0, 1);
  g_assert_cmpuint (log->len, ==, 4);

  /* by name, without case */
  g_autofree char *names = contact_names (store);
  g_assert_cmpstr (names, ==, "alice,Bob,carol,Dave");

  /* the objects: properties and getters agree */
  g_autoptr (ChorusContact) first = g_list_model_get_item (model, 0);
  g_assert_cmpstr (chorus_contact_get_name (first), ==, "alice");
  g_assert_cmpstr (chorus_contact_get_aor (first), ==, "sip:Alice@example.org");
  g_autoptr (ChorusContact) second = g_list_model_get_item (model, 1);
  gint64 id = 0;
  g_autofree char *name = NULL;
  g_autofree char *aor = NULL;
  g_object_get (second, "id", &id, "name", &name, "aor", &aor, NULL);
  g_assert_cmpint (id, ==, bob);
  g_assert_cmpstr (name, ==, "Bob");
  g_assert_cmpstr (aor, ==, "sip:bob@example.org");
  g_autoptr (ChorusContact) last = g_list_model_get_item (model, 3);
  g_assert_cmpstr (chorus_contact_get_aor (last), ==, "sips:dave@example.org");

  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts"), ==, 4);
  unwatch (model, log);
}

static void
test_contacts_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_contacts (store);
  add_contact (store, "Bob", "bob@example.org");
  gint64 carol = add_contact (store, "Carol", "carol@example.org");
  GArray *log = watch (model);

  g_autoptr (GError) error = NULL;
  /* another spelling of the same address */
  g_assert_cmpint (chorus_app_store_add_contact (store, "Robert", "SIP:bob@Example.ORG", &error),
                   ==, 0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "Bob"));
  g_clear_error (&error);
  /* an update onto another contact's address */
  g_assert_false (
      chorus_app_store_update_contact (store, carol, "Carol", "bob@example.org", &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  g_assert_cmpuint (log->len, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts"), ==, 2);
  g_autoptr (ChorusContact) c = chorus_app_store_find_contact (store, "carol@example.org");
  g_assert_cmpstr (chorus_contact_get_aor (c), ==, "sip:carol@example.org");
  unwatch (model, log);
}

static void
test_contacts_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_contacts (store);
  GArray *log = watch (model);
  g_autofree char *long_name = g_strnfill (CHORUS_APP_STORE_MAX_NAME + 1, 'n');
  static const struct
  {
    const char *name;
    const char *aor;
  } cases[] = {
    { "", "alice@example.org" },
    { "   ", "alice@example.org" },
    { NULL, "alice@example.org" },
    { "Alice\nSmith", "alice@example.org" },
    { "Alice", "" },
    { "Alice", NULL },
    { "Alice", "alice" }, /* no default domain */
    { "Alice", "tel:+4930123" },
    { "Alice", "alice smith@example.org" },
    { "Alice", "sip:@example.org" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_cmpint (chorus_app_store_add_contact (store, cases[i].name, cases[i].aor, &error),
                       ==, 0);
      g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
      g_assert_cmpstr (error->message, !=, "");
    }
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (chorus_app_store_add_contact (store, long_name, "alice@example.org", &error), ==,
                   0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_assert_cmpuint (log->len, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts"), ==, 0);

  /* at the limit, in characters (not bytes) */
  GString *at_limit = g_string_new (NULL);
  for (guint i = 0; i < CHORUS_APP_STORE_MAX_NAME; i++)
    g_string_append (at_limit, "\xc3\xa9"); /* é */
  add_contact (store, at_limit->str, "alice@example.org");
  g_string_free (at_limit, TRUE);

  /* a default domain completes a bare name */
  chorus_app_store_set_default_domain (store, "Home.Chorus");
  add_contact (store, "Frank", "frank");
  g_autoptr (ChorusContact) frank = chorus_app_store_find_contact (store, "sip:frank@home.chorus");
  g_assert_nonnull (frank);
  g_assert_cmpstr (chorus_contact_get_aor (frank), ==, "sip:frank@home.chorus");
  g_autoptr (ChorusContact) again = chorus_app_store_find_contact (store, "frank");
  g_assert_true (again == frank);
  g_assert_cmpuint (log->len, ==, 2);
  unwatch (model, log);
}

static void
test_contacts_update (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_contacts (store);
  add_contact (store, "alice", "alice@example.org");
  gint64 bob = add_contact (store, "Bob", "bob@example.org");
  gint64 carol = add_contact (store, "carol", "carol@example.org");
  add_contact (store, "Dave", "dave@example.org");
  GArray *log = watch (model);
  g_autoptr (GError) error = NULL;

  /* a new name that keeps its place: one change, in place, same object */
  g_autoptr (ChorusContact) c = chorus_app_store_find_contact (store, "carol@example.org");
  guint name_notifies = 0, aor_notifies = 0;
  g_signal_connect (c, "notify::name", G_CALLBACK (count_notify), &name_notifies);
  g_signal_connect (c, "notify::aor", G_CALLBACK (count_notify), &aor_notifies);
  g_assert_true (
      chorus_app_store_update_contact (store, carol, " Carol ", "carol@example.org", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log->len, ==, 1);
  assert_change (log, 0, 2, 1, 1);
  g_assert_cmpuint (name_notifies, ==, 1);
  g_assert_cmpuint (aor_notifies, ==, 0);
  g_assert_cmpstr (chorus_contact_get_name (c), ==, "Carol");
  g_autoptr (ChorusContact) at2 = g_list_model_get_item (model, 2);
  g_assert_true (at2 == c);

  /* a new name that moves it: removed from its place, inserted at the new */
  g_array_set_size (log, 0);
  g_assert_true (chorus_app_store_update_contact (store, bob, "Zed", "zed@example.org", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log->len, ==, 2);
  assert_change (log, 0, 1, 1, 0);
  assert_change (log, 1, 3, 0, 1);
  g_autofree char *names = contact_names (store);
  g_assert_cmpstr (names, ==, "alice,Carol,Dave,Zed");

  /* found by its new address only */
  g_autoptr (ChorusContact) old = chorus_app_store_find_contact (store, "bob@example.org");
  g_assert_null (old);
  g_autoptr (ChorusContact) zed = chorus_app_store_find_contact (store, "zed@example.org");
  g_assert_nonnull (zed);
  g_assert_cmpint (chorus_contact_get_id (zed), ==, bob);
  /* its old address is free again */
  add_contact (store, "Bob", "bob@example.org");

  /* refused: nothing changes */
  g_array_set_size (log, 0);
  g_assert_false (chorus_app_store_update_contact (store, 9999, "X", "x@example.org", &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (chorus_app_store_update_contact (store, carol, "", "carol@example.org", &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (chorus_app_store_update_contact (store, carol, "Carol", "carol", &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (log->len, ==, 0);
  g_assert_cmpstr (chorus_contact_get_name (c), ==, "Carol");

  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts WHERE name = 'Zed' AND "
                                       "aor = 'sip:zed@example.org'"),
                   ==, 1);
  g_signal_handlers_disconnect_by_data (c, &name_notifies);
  g_signal_handlers_disconnect_by_data (c, &aor_notifies);
  unwatch (model, log);
}

static void
test_contacts_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_contacts (store);
  add_contact (store, "alice", "alice@example.org");
  gint64 bob = add_contact (store, "Bob", "bob@example.org");
  add_contact (store, "carol", "carol@example.org");
  GArray *log = watch (model);
  g_autoptr (GError) error = NULL;

  g_assert_true (chorus_app_store_delete_contact (store, bob, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log->len, ==, 1);
  assert_change (log, 0, 1, 1, 0);
  g_autofree char *names = contact_names (store);
  g_assert_cmpstr (names, ==, "alice,carol");
  g_autoptr (ChorusContact) gone = chorus_app_store_find_contact (store, "bob@example.org");
  g_assert_null (gone);

  g_assert_false (chorus_app_store_delete_contact (store, bob, &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint (log->len, ==, 1);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM contacts"), ==, 2);
  unwatch (model, log);
}

static void
test_contacts_persist (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  gint64 zed = add_contact (store, "Zed", "zed@example.org");
  gint64 amy = add_contact (store, "amy", "amy@example.org");
  gint64 bob = add_contact (store, "Bob", "bob@example.org");
  gint64 gone = add_contact (store, "Gone", "gone@example.org");
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_app_store_update_contact (store, bob, "Mia", "mia@example.org", &error));
  g_assert_no_error (error);
  g_assert_true (chorus_app_store_delete_contact (store, gone, &error));
  g_assert_no_error (error);
  close_store (store);

  store = open_store (f);
  g_autofree char *names = contact_names (store);
  g_assert_cmpstr (names, ==, "amy,Mia,Zed");
  GListModel *model = chorus_app_store_get_contacts (store);
  g_autoptr (ChorusContact) a = g_list_model_get_item (model, 0);
  g_autoptr (ChorusContact) m = g_list_model_get_item (model, 1);
  g_autoptr (ChorusContact) z = g_list_model_get_item (model, 2);
  g_assert_cmpint (chorus_contact_get_id (a), ==, amy);
  g_assert_cmpint (chorus_contact_get_id (m), ==, bob);
  g_assert_cmpstr (chorus_contact_get_aor (m), ==, "sip:mia@example.org");
  g_assert_cmpint (chorus_contact_get_id (z), ==, zed);
  /* the uniqueness survives too */
  g_assert_cmpint (chorus_app_store_add_contact (store, "Again", "amy@example.org", &error), ==, 0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_EXISTS);
  close_store (store);
}

/* History */

static void
test_history_order (Fixture *f, gconstpointer data)
{
  g_autoptr (ChorusAppStore) store = open_store (f);
  GListModel *model = chorus_app_store_get_history (store);
  GArray *log = watch (model);
  const gint64 t0 = 1700000000;

  gint64 a = add_call (store, CHORUS_CALL_OUTGOING, "bob@example.org", t0, 65, "answered");
  assert_change (log, 0, 0, 0, 1);
  gint64 b = add_call (store, CHORUS_CALL_INCOMING, "SIP:carol@Example.org", t0 + 60, 0, NULL);
  assert_change (log, 1, 0, 0, 1);
  gint64 c = add_call (store, CHORUS_CALL_MISSED, "dave@example.org", t0 - 60, 0, "busy");
  assert_change (log, 2, 2, 0, 1);
  /* same start as a: the later id first */
  gint64 d = add_call (store, CHORUS_CALL_OUTGOING, "erin@example.org", t0, 1, "declined");
  assert_change (log, 3, 1, 0, 1);
  g_assert_cmpuint (log->len, ==, 4);

  const gint64 order[] = { b, d, a, c };
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (model, i);
      g_assert_cmpint (chorus_history_entry_get_id (e), ==, order[i]);
    }

  g_autoptr (ChorusHistoryEntry) first = g_list_model_get_item (model, 0);
  ChorusCallDirection direction;
  g_autofree char *remote = NULL;
  g_autofree char *status = NULL;
  g_autoptr (GDateTime) started = NULL;
  guint duration = 99;
  g_object_get (first, "direction", &direction, "remote", &remote, "started", &started,
                "duration-s", &duration, "status", &status, NULL);
  g_assert_cmpint (direction, ==, CHORUS_CALL_INCOMING);
  g_assert_cmpstr (remote, ==, "sip:carol@example.org");
  g_assert_cmpint (g_date_time_to_unix (started), ==, t0 + 60);
  g_assert_cmpuint (duration, ==, 0);
  g_assert_null (status);
  g_autoptr (ChorusHistoryEntry) third = g_list_model_get_item (model, 2);
  g_assert_cmpint (chorus_history_entry_get_direction (third), ==, CHORUS_CALL_OUTGOING);
  g_assert_cmpuint (chorus_history_entry_get_duration_s (third), ==, 65);
  g_assert_cmpstr (chorus_history_entry_get_status (third), ==, "answered");

  /* the enum is a registered type with nicks */
  g_autoptr (GEnumClass) klass = g_type_class_ref (CHORUS_TYPE_CALL_DIRECTION);
  g_assert_cmpint (g_enum_get_value_by_nick (klass, "missed")->value, ==, CHORUS_CALL_MISSED);
  g_assert_cmpint (g_enum_get_value_by_nick (klass, "outgoing")->value, ==, CHORUS_CALL_OUTGOING);

  /* delete one */
  g_array_set_size (log, 0);
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_app_store_delete_call (store, d, &error));
  g_assert_no_error (error);
  assert_change (log, 0, 1, 1, 0);
  g_assert_false (chorus_app_store_delete_call (store, d, &error));
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (log->len, ==, 1);

  /* refused calls */
  g_autoptr (GDateTime) now = g_date_time_new_from_unix_utc (t0);
  g_assert_cmpint (
      chorus_app_store_add_call (store, CHORUS_CALL_INCOMING, "tel:+4930", now, 0, NULL, &error),
      ==, 0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (chorus_app_store_add_call (store, CHORUS_CALL_INCOMING, "bob@example.org", now,
                                              0, "", &error),
                   ==, 0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (chorus_app_store_add_call (store, (ChorusCallDirection) 7, "bob@example.org",
                                              now, 0, NULL, &error),
                   ==, 0);
  g_assert_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (log->len, ==, 1);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM calls"), ==, 3);

  /* clear */
  g_array_set_size (log, 0);
  g_assert_true (chorus_app_store_clear_history (store, &error));
  g_assert_no_error (error);
  assert_change (log, 0, 0, 3, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM calls"), ==, 0);
  unwatch (model, log);
}

static void
test_history_persist (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  g_autoptr (GDateTime) started = g_date_time_new_utc (2024, 3, 1, 12, 30, 15.25);
  g_autoptr (GError) error = NULL;
  gint64 id = chorus_app_store_add_call (store, CHORUS_CALL_OUTGOING, "bob@example.org", started,
                                         42, "answered", &error);
  g_assert_no_error (error);
  add_call (store, CHORUS_CALL_MISSED, "carol@example.org", 1000, 0, NULL);
  close_store (store);

  store = open_store (f);
  GListModel *model = chorus_app_store_get_history (store);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (model, 0);
  g_assert_cmpint (chorus_history_entry_get_id (e), ==, id);
  g_assert_cmpint (chorus_history_entry_get_direction (e), ==, CHORUS_CALL_OUTGOING);
  g_assert_cmpstr (chorus_history_entry_get_remote (e), ==, "sip:bob@example.org");
  /* the same instant, to the microsecond */
  g_assert_true (g_date_time_equal (chorus_history_entry_get_started (e), started));
  g_assert_cmpuint (chorus_history_entry_get_duration_s (e), ==, 42);
  g_assert_cmpstr (chorus_history_entry_get_status (e), ==, "answered");
  g_autoptr (ChorusHistoryEntry) m = g_list_model_get_item (model, 1);
  g_assert_cmpint (chorus_history_entry_get_direction (m), ==, CHORUS_CALL_MISSED);
  g_assert_null (chorus_history_entry_get_status (m));
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 1);
  close_store (store);
}

static void
test_history_bounded (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  GListModel *model = chorus_app_store_get_history (store);
  const guint n = CHORUS_APP_STORE_MAX_HISTORY + 5;
  g_autofree gint64 *ids = g_new (gint64, n);
  for (guint i = 0; i < n; i++)
    ids[i] = add_call (store, i % 2 ? CHORUS_CALL_INCOMING : CHORUS_CALL_OUTGOING,
                       "bob@example.org", 1700000000 + i, i, "answered");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, CHORUS_APP_STORE_MAX_HISTORY);
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM calls"), ==,
                   CHORUS_APP_STORE_MAX_HISTORY);
  /* the five oldest are gone, from the file and the model */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *sql =
          g_strdup_printf ("SELECT count(*) FROM calls WHERE id = %" G_GINT64_FORMAT, ids[i]);
      g_assert_cmpint (query_int (f->path, sql), ==, 0);
    }
  g_autoptr (ChorusHistoryEntry) newest = g_list_model_get_item (model, 0);
  g_autoptr (ChorusHistoryEntry) oldest =
      g_list_model_get_item (model, CHORUS_APP_STORE_MAX_HISTORY - 1);
  g_assert_cmpint (chorus_history_entry_get_id (newest), ==, ids[n - 1]);
  g_assert_cmpint (chorus_history_entry_get_id (oldest), ==, ids[5]);

  /* one more, newest: one added at the top, one dropped at the bottom */
  GArray *log = watch (model);
  add_call (store, CHORUS_CALL_OUTGOING, "bob@example.org", 1800000000, 1, NULL);
  g_assert_cmpuint (log->len, ==, 2);
  assert_change (log, 0, 0, 0, 1);
  assert_change (log, 1, CHORUS_APP_STORE_MAX_HISTORY, 1, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, CHORUS_APP_STORE_MAX_HISTORY);
  g_autoptr (ChorusHistoryEntry) oldest2 =
      g_list_model_get_item (model, CHORUS_APP_STORE_MAX_HISTORY - 1);
  g_assert_cmpint (chorus_history_entry_get_id (oldest2), ==, ids[6]);
  unwatch (model, log);
  close_store (store);

  /* after reopening: the same thousand */
  store = open_store (f);
  model = chorus_app_store_get_history (store);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, CHORUS_APP_STORE_MAX_HISTORY);
  g_autoptr (ChorusHistoryEntry) oldest3 =
      g_list_model_get_item (model, CHORUS_APP_STORE_MAX_HISTORY - 1);
  g_assert_cmpint (chorus_history_entry_get_id (oldest3), ==, ids[6]);
  close_store (store);
}

static void
test_history_missed (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  guint notifies = 0;
  g_signal_connect (store, "notify::unseen-missed", G_CALLBACK (count_notify), &notifies);
  g_autoptr (GError) error = NULL;

  add_call (store, CHORUS_CALL_MISSED, "bob@example.org", 1000, 0, NULL);
  add_call (store, CHORUS_CALL_INCOMING, "bob@example.org", 2000, 30, "answered");
  gint64 m2 = add_call (store, CHORUS_CALL_MISSED, "carol@example.org", 3000, 0, NULL);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 2);
  g_assert_cmpuint (notifies, ==, 2);
  guint unseen = 0;
  g_object_get (store, "unseen-missed", &unseen, NULL);
  g_assert_cmpuint (unseen, ==, 2);
  g_autoptr (ChorusHistoryEntry) top =
      g_list_model_get_item (chorus_app_store_get_history (store), 0);
  g_assert_false (chorus_history_entry_get_seen (top));

  g_assert_true (chorus_app_store_mark_missed_seen (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 0);
  g_assert_cmpuint (notifies, ==, 3);
  g_assert_true (chorus_history_entry_get_seen (top));
  g_assert_cmpint (query_int (f->path, "SELECT count(*) FROM calls WHERE seen = 0"), ==, 0);
  /* seen again: no change, no notification */
  g_assert_true (chorus_app_store_mark_missed_seen (store, &error));
  g_assert_cmpuint (notifies, ==, 3);
  close_store (store);

  /* seen stays seen */
  store = open_store (f);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 0);
  gint64 m3 = add_call (store, CHORUS_CALL_MISSED, "dave@example.org", 4000, 0, NULL);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 1);
  close_store (store);
  store = open_store (f);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 1);
  /* deleting it, or clearing, counts it out */
  g_assert_true (chorus_app_store_delete_call (store, m3, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 0);
  add_call (store, CHORUS_CALL_MISSED, "erin@example.org", 5000, 0, NULL);
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 1);
  g_assert_true (chorus_app_store_clear_history (store, &error));
  g_assert_cmpuint (chorus_app_store_get_unseen_missed (store), ==, 0);
  (void) m2;
  close_store (store);
}

static void
test_history_names (Fixture *f, gconstpointer data)
{
  ChorusAppStore *store = open_store (f);
  GListModel *model = chorus_app_store_get_history (store);
  add_contact (store, "Carol", "carol@example.org");
  add_call (store, CHORUS_CALL_INCOMING, "bob@example.org", 2000, 10, "answered");
  add_call (store, CHORUS_CALL_OUTGOING, "carol@example.org", 1000, 10, "answered");

  g_autoptr (ChorusHistoryEntry) from_bob = g_list_model_get_item (model, 0);
  g_autoptr (ChorusHistoryEntry) to_carol = g_list_model_get_item (model, 1);
  g_assert_cmpstr (chorus_history_entry_get_remote (from_bob), ==, "sip:bob@example.org");
  g_assert_null (chorus_history_entry_get_name (from_bob));
  g_assert_cmpstr (chorus_history_entry_get_name (to_carol), ==, "Carol");

  guint notifies = 0;
  g_signal_connect (from_bob, "notify::name", G_CALLBACK (count_notify), &notifies);
  GArray *log = watch (model);

  /* Bob becomes a contact: his entry shows the name */
  gint64 bob = add_contact (store, "Bob", "sip:bob@EXAMPLE.org");
  g_assert_cmpstr (chorus_history_entry_get_name (from_bob), ==, "Bob");
  g_assert_cmpuint (notifies, ==, 1);
  g_autofree char *name = NULL;
  g_object_get (from_bob, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "Bob");

  /* renamed */
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_app_store_update_contact (store, bob, "Robert", "bob@example.org", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (chorus_history_entry_get_name (from_bob), ==, "Robert");
  g_assert_cmpuint (notifies, ==, 2);
  /* a change elsewhere does not touch it */
  add_contact (store, "Dave", "dave@example.org");
  g_assert_cmpuint (notifies, ==, 2);
  g_assert_cmpstr (chorus_history_entry_get_name (to_carol), ==, "Carol");
  /* the history's model itself did not change */
  g_assert_cmpuint (log->len, ==, 0);

  /* reopened: the names come with the entries */
  g_signal_handlers_disconnect_by_data (from_bob, &notifies);
  unwatch (model, log);
  close_store (store);
  store = open_store (f);
  model = chorus_app_store_get_history (store);
  g_autoptr (ChorusHistoryEntry) loaded = g_list_model_get_item (model, 0);
  g_assert_cmpstr (chorus_history_entry_get_name (loaded), ==, "Robert");

  /* deleted: no name any more */
  notifies = 0;
  g_signal_connect (loaded, "notify::name", G_CALLBACK (count_notify), &notifies);
  g_assert_true (chorus_app_store_delete_contact (store, bob, &error));
  g_assert_no_error (error);
  g_assert_null (chorus_history_entry_get_name (loaded));
  g_assert_cmpuint (notifies, ==, 1);
  g_signal_handlers_disconnect_by_data (loaded, &notifies);
  close_store (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/app-store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("open/create", test_open_create);
  ADD ("open/newer", test_open_newer);
  ADD ("open/not-a-database", test_open_not_a_database);
  ADD ("contacts/add-sorted", test_contacts_add_sorted);
  ADD ("contacts/duplicate", test_contacts_duplicate);
  ADD ("contacts/invalid", test_contacts_invalid);
  ADD ("contacts/update", test_contacts_update);
  ADD ("contacts/delete", test_contacts_delete);
  ADD ("contacts/persist", test_contacts_persist);
  ADD ("history/order", test_history_order);
  ADD ("history/persist", test_history_persist);
  ADD ("history/bounded", test_history_bounded);
  ADD ("history/missed", test_history_missed);
  ADD ("history/names", test_history_names);
#undef ADD
  return g_test_run ();
}
