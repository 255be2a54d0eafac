/* chorus-app-store.c: contacts and call history in PROFILE/app.db (see
 * the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app-store"

#include "chorus-app-store.h"

#include "chorus-app-store-private.h"
#include "chorus-db.h"

#include <string.h>

/* Released migrations are never edited, only appended to (chorus-db.h).
 * Directions are stored by their nick; started_us is microseconds since
 * 1970 (UTC); seen is 0 for a missed call not seen yet only. */
static const ChorusDbMigration migrations[] = {
  { 1, "CREATE TABLE contacts ("
       "  id INTEGER PRIMARY KEY,"
       "  name TEXT NOT NULL CHECK (length (name) BETWEEN 1 AND 200),"
       "  aor TEXT NOT NULL UNIQUE CHECK (length (aor) > 0));"
       "CREATE TABLE calls ("
       "  id INTEGER PRIMARY KEY,"
       "  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'missed')),"
       "  remote_aor TEXT NOT NULL,"
       "  started_us INTEGER NOT NULL,"
       "  duration_s INTEGER NOT NULL CHECK (duration_s >= 0),"
       "  status TEXT,"
       "  seen INTEGER NOT NULL DEFAULT 0);"
       "CREATE INDEX calls_by_time ON calls (started_us DESC, id DESC);" },
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_DEFAULT_DOMAIN,
  PROP_UNSEEN_MISSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _ChorusAppStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  char *default_domain;
  GListStore *contacts; /* of ChorusContact, chorus_contact_compare order */
  GHashTable *by_aor;   /* AOR (owned) -> ChorusContact (ref) of contacts */
  GListStore *history;  /* of ChorusHistoryEntry, newest first */
  guint unseen_missed;
};

G_DEFINE_FINAL_TYPE (ChorusAppStore, chorus_app_store, G_TYPE_OBJECT)

/* clang-format off */
G_DEFINE_QUARK (chorus-app-store-error-quark, chorus_app_store_error)
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static void
chorus_app_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ChorusAppStore *self = CHORUS_APP_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_DEFAULT_DOMAIN:
      g_value_set_string (value, self->default_domain);
      break;
    case PROP_UNSEEN_MISSED:
      g_value_set_uint (value, self->unseen_missed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
chorus_app_store_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  ChorusAppStore *self = CHORUS_APP_STORE (object);

  switch (prop_id)
    {
    case PROP_DEFAULT_DOMAIN:
      chorus_app_store_set_default_domain (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
chorus_app_store_finalize (GObject *object)
{
  ChorusAppStore *self = CHORUS_APP_STORE (object);

  g_clear_pointer (&self->db, chorus_db_close);
  g_free (self->path);
  g_free (self->default_domain);
  g_clear_object (&self->contacts);
  g_clear_pointer (&self->by_aor, g_hash_table_unref);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (chorus_app_store_parent_class)->finalize (object);
}

static void
chorus_app_store_class_init (ChorusAppStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = chorus_app_store_get_property;
  object_class->set_property = chorus_app_store_set_property;
  object_class->finalize = chorus_app_store_finalize;

  properties[PROP_PATH] =
      g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEFAULT_DOMAIN] =
      g_param_spec_string ("default-domain", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNSEEN_MISSED] =
      g_param_spec_uint ("unseen-missed", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
chorus_app_store_init (ChorusAppStore *self)
{
  self->contacts = g_list_store_new (CHORUS_TYPE_CONTACT);
  self->by_aor = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->history = g_list_store_new (CHORUS_TYPE_HISTORY_ENTRY);
}

/* SQLite helpers */

static void
set_db_error (ChorusAppStore *self, GError **error, const char *what)
{
  g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_FAILED, "%s: %s", what,
               sqlite3_errmsg (self->db));
}

static sqlite3_stmt *
prepare (ChorusAppStore *self, const char *sql, const char *what, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, what);
      return NULL;
    }
  return st;
}

/* Steps @st, a statement without results, to its end: SQLITE_DONE or the
 * error's code with @error set. */
static int
run (ChorusAppStore *self, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step (st);
  if (rc != SQLITE_DONE)
    set_db_error (self, error, what);
  return rc;
}

static gboolean
begin (ChorusAppStore *self, const char *what, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (chorus_db_exec (self->db, "BEGIN IMMEDIATE", &local))
    return TRUE;
  g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_FAILED, "%s: %s", what,
               local->message);
  return FALSE;
}

static gboolean
commit (ChorusAppStore *self, const char *what, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (chorus_db_exec (self->db, "COMMIT", &local))
    return TRUE;
  chorus_db_exec (self->db, "ROLLBACK", NULL);
  g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_FAILED, "%s: %s", what,
               local->message);
  return FALSE;
}

static gboolean
rollback (ChorusAppStore *self)
{
  chorus_db_exec (self->db, "ROLLBACK", NULL);
  return FALSE;
}

/* Validation */

static char *
normalize_aor (ChorusAppStore *self, const char *aor, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *normal = chorus_aor_normalize (aor, self->default_domain, &local);
  if (normal == NULL)
    g_set_error_literal (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                         local->message);
  return normal;
}

/* @name trimmed, or NULL with @error set. */
static char *
clean_name (const char *name, GError **error)
{
  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                           "The name is not text.");
      return NULL;
    }
  g_autofree char *trimmed = g_strstrip (g_strdup (name));
  if (trimmed[0] == '\0')
    {
      g_set_error_literal (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                           "Enter a name.");
      return NULL;
    }
  if (g_utf8_strlen (trimmed, -1) > CHORUS_APP_STORE_MAX_NAME)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                   "The name is too long (at most %d characters).", CHORUS_APP_STORE_MAX_NAME);
      return NULL;
    }
  for (const char *p = trimmed; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                             "The name cannot contain line breaks or control characters.");
        return NULL;
      }
  return g_steal_pointer (&trimmed);
}

static gboolean
status_valid (const char *status, GError **error)
{
  if (status == NULL)
    return TRUE;
  gsize len = strlen (status);
  if (len > 0 && len <= CHORUS_APP_STORE_MAX_STATUS && g_utf8_validate (status, -1, NULL))
    return TRUE;
  g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
               "A call status is 1 to %d bytes of text.", CHORUS_APP_STORE_MAX_STATUS);
  return FALSE;
}

/* The address of record is some other contact's: EXISTS, with its name. */
static void
set_exists_error (ChorusAppStore *self, GError **error, const char *aor)
{
  ChorusContact *other = g_hash_table_lookup (self->by_aor, aor);
  if (other != NULL)
    g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_EXISTS,
                 "%s is already in your contacts, as “%s”.", aor, chorus_contact_get_name (other));
  else
    g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_EXISTS,
                 "%s is already in your contacts.", aor);
}

/* Runs an INSERT or UPDATE of contacts: another contact with @aor (a
 * connection other than this store's may have added it) is EXISTS. */
static gboolean
run_contact_write (ChorusAppStore *store, sqlite3_stmt *st, const char *aor, const char *what,
                   GError **error)
{
  g_autoptr (GError) local = NULL;
  int rc = run (store, st, what, &local);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    set_exists_error (store, error, aor);
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* The models */

static ChorusContact *
contact_by_id (ChorusAppStore *self, gint64 id, guint *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->contacts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ChorusContact) c = g_list_model_get_item (G_LIST_MODEL (self->contacts), i);
      if (chorus_contact_get_id (c) == id)
        {
          *position = i;
          return c; /* the model keeps its reference */
        }
    }
  return NULL;
}

/* The history's names after a change of contacts. */
static void
refresh_names (ChorusAppStore *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (G_LIST_MODEL (self->history), i);
      ChorusContact *c = g_hash_table_lookup (self->by_aor, chorus_history_entry_get_remote (e));
      chorus_history_entry_set_name (e, c != NULL ? chorus_contact_get_name (c) : NULL);
    }
}

static void
refresh_unseen (ChorusAppStore *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));
  guint unseen = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (G_LIST_MODEL (self->history), i);
      if (!chorus_history_entry_get_seen (e))
        unseen++;
    }
  if (unseen == self->unseen_missed)
    return;
  self->unseen_missed = unseen;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNSEEN_MISSED]);
}

/* Loading */

/* chorus_contact_compare for g_ptr_array_sort_with_data (which passes
 * pointers to the array's slots). */
static int
compare_contact_slots (gconstpointer a, gconstpointer b, gpointer unused)
{
  return chorus_contact_compare (*(ChorusContact *const *) a, *(ChorusContact *const *) b, NULL);
}

static gboolean
load_contacts (ChorusAppStore *self, GError **error)
{
  g_autoptr (sqlite3_stmt) st =
      prepare (self, "SELECT id, name, aor FROM contacts", "Could not read the contacts", error);
  if (st == NULL)
    return FALSE;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      ChorusContact *c = chorus_contact_new (sqlite3_column_int64 (st, 0),
                                             (const char *) sqlite3_column_text (st, 1),
                                             (const char *) sqlite3_column_text (st, 2));
      g_ptr_array_add (items, c);
      g_hash_table_replace (self->by_aor, g_strdup (chorus_contact_get_aor (c)), g_object_ref (c));
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "Could not read the contacts");
      return FALSE;
    }
  g_ptr_array_sort_with_data (items, compare_contact_slots, NULL);
  g_list_store_splice (self->contacts, 0, 0, items->pdata, items->len);
  return TRUE;
}

static GDateTime *
time_from_us (gint64 us)
{
  g_autoptr (GDateTime) s = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);
  if (s == NULL)
    s = g_date_time_new_from_unix_local (0);
  return g_date_time_add (s, us % G_USEC_PER_SEC);
}

static gint64
time_to_us (GDateTime *t)
{
  return g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
}

static gboolean
load_history (ChorusAppStore *self, GError **error)
{
  g_autoptr (sqlite3_stmt) st = prepare (self,
                                         "SELECT id, direction, remote_aor, started_us, "
                                         "duration_s, status, seen FROM calls "
                                         "ORDER BY started_us DESC, id DESC LIMIT ?1",
                                         "Could not read the call history", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int (st, 1, CHORUS_APP_STORE_MAX_HISTORY);
  g_autoptr (GEnumClass) directions = g_type_class_ref (CHORUS_TYPE_CALL_DIRECTION);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      GEnumValue *d =
          g_enum_get_value_by_nick (directions, (const char *) sqlite3_column_text (st, 1));
      const char *remote = (const char *) sqlite3_column_text (st, 2);
      ChorusContact *c = g_hash_table_lookup (self->by_aor, remote);
      g_autoptr (GDateTime) started = time_from_us (sqlite3_column_int64 (st, 3));
      gint64 duration = sqlite3_column_int64 (st, 4);
      if (d == NULL) /* the schema's CHECK makes it one of them */
        continue;
      g_ptr_array_add (items,
                       chorus_history_entry_new (sqlite3_column_int64 (st, 0), d->value, remote,
                                                 c != NULL ? chorus_contact_get_name (c) : NULL,
                                                 started, (guint) CLAMP (duration, 0, G_MAXUINT),
                                                 (const char *) sqlite3_column_text (st, 5),
                                                 sqlite3_column_int (st, 6) != 0));
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "Could not read the call history");
      return FALSE;
    }
  g_list_store_splice (self->history, 0, 0, items->pdata, items->len);
  return TRUE;
}

ChorusAppStore *
chorus_app_store_open (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_autoptr (GError) local = NULL;
  sqlite3 *db = chorus_db_open (path, migrations, G_N_ELEMENTS (migrations), &local);
  if (db == NULL)
    {
      gboolean newer = g_error_matches (local, CHORUS_DB_ERROR, CHORUS_DB_ERROR_NEWER_VERSION);
      g_set_error_literal (error, CHORUS_APP_STORE_ERROR,
                           newer ? CHORUS_APP_STORE_ERROR_NEWER : CHORUS_APP_STORE_ERROR_FAILED,
                           local->message);
      return NULL;
    }
  g_autoptr (ChorusAppStore) self = g_object_new (CHORUS_TYPE_APP_STORE, NULL);
  self->db = db;
  self->path = g_strdup (path);
  if (!load_contacts (self, error) || !load_history (self, error))
    return NULL;
  refresh_unseen (self);
  return g_steal_pointer (&self);
}

const char *
chorus_app_store_get_path (ChorusAppStore *store)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), NULL);
  return store->path;
}

void
chorus_app_store_set_default_domain (ChorusAppStore *store, const char *domain)
{
  g_return_if_fail (CHORUS_IS_APP_STORE (store));
  if (domain != NULL && domain[0] == '\0')
    domain = NULL;
  if (g_strcmp0 (store->default_domain, domain) == 0)
    return;
  g_free (store->default_domain);
  store->default_domain = g_strdup (domain);
  g_object_notify_by_pspec (G_OBJECT (store), properties[PROP_DEFAULT_DOMAIN]);
}

const char *
chorus_app_store_get_default_domain (ChorusAppStore *store)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), NULL);
  return store->default_domain;
}

/* Contacts */

gint64
chorus_app_store_add_contact (ChorusAppStore *store, const char *name, const char *aor,
                              GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  g_autofree char *clean = clean_name (name, error);
  if (clean == NULL)
    return 0;
  g_autofree char *normal = normalize_aor (store, aor, error);
  if (normal == NULL)
    return 0;
  if (g_hash_table_contains (store->by_aor, normal))
    {
      set_exists_error (store, error, normal);
      return 0;
    }
  g_autoptr (sqlite3_stmt) st = prepare (store, "INSERT INTO contacts (name, aor) VALUES (?1, ?2)",
                                         "Could not add the contact", error);
  if (st == NULL)
    return 0;
  sqlite3_bind_text (st, 1, clean, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, normal, -1, SQLITE_STATIC);
  if (!run_contact_write (store, st, normal, "Could not add the contact", error))
    return 0;
  gint64 id = sqlite3_last_insert_rowid (store->db);

  g_autoptr (ChorusContact) c = chorus_contact_new (id, clean, normal);
  g_hash_table_replace (store->by_aor, g_strdup (normal), g_object_ref (c));
  g_list_store_insert_sorted (store->contacts, c, chorus_contact_compare, NULL);
  refresh_names (store);
  return id;
}

/* Puts @c, changed, where its order says: in place (one items-changed of
 * one item) when it is still in order there, else removed and inserted. */
static void
reposition (ChorusAppStore *store, ChorusContact *c, guint position)
{
  GListModel *model = G_LIST_MODEL (store->contacts);
  guint n = g_list_model_get_n_items (model);
  g_autoptr (ChorusContact) before =
      position > 0 ? g_list_model_get_item (model, position - 1) : NULL;
  g_autoptr (ChorusContact) after =
      position + 1 < n ? g_list_model_get_item (model, position + 1) : NULL;
  g_autoptr (ChorusContact) keep = g_object_ref (c);
  if ((before == NULL || chorus_contact_compare (before, c, NULL) < 0)
      && (after == NULL || chorus_contact_compare (c, after, NULL) < 0))
    {
      g_list_store_splice (store->contacts, position, 1, (gpointer *) &keep, 1);
      return;
    }
  g_list_store_remove (store->contacts, position);
  g_list_store_insert_sorted (store->contacts, keep, chorus_contact_compare, NULL);
}

gboolean
chorus_app_store_update_contact (ChorusAppStore *store, gint64 id, const char *name,
                                 const char *aor, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  guint position = 0;
  ChorusContact *c = contact_by_id (store, id, &position);
  if (c == NULL)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND,
                   "There is no contact %" G_GINT64_FORMAT ".", id);
      return FALSE;
    }
  g_autofree char *clean = clean_name (name, error);
  if (clean == NULL)
    return FALSE;
  g_autofree char *normal = normalize_aor (store, aor, error);
  if (normal == NULL)
    return FALSE;
  ChorusContact *owner = g_hash_table_lookup (store->by_aor, normal);
  if (owner != NULL && owner != c)
    {
      set_exists_error (store, error, normal);
      return FALSE;
    }
  g_autoptr (sqlite3_stmt) st =
      prepare (store, "UPDATE contacts SET name = ?1, aor = ?2 WHERE id = ?3",
               "Could not change the contact", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, clean, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, normal, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 3, id);
  if (!run_contact_write (store, st, normal, "Could not change the contact", error))
    return FALSE;
  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND,
                   "There is no contact %" G_GINT64_FORMAT ".", id);
      return FALSE;
    }

  g_autoptr (ChorusContact) keep = g_object_ref (c);
  g_hash_table_remove (store->by_aor, chorus_contact_get_aor (c));
  chorus_contact_set (c, clean, normal);
  g_hash_table_replace (store->by_aor, g_strdup (normal), g_object_ref (c));
  reposition (store, c, position);
  refresh_names (store);
  return TRUE;
}

gboolean
chorus_app_store_delete_contact (ChorusAppStore *store, gint64 id, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (sqlite3_stmt) st =
      prepare (store, "DELETE FROM contacts WHERE id = ?1", "Could not delete the contact", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, id);
  if (run (store, st, "Could not delete the contact", error) != SQLITE_DONE)
    return FALSE;
  guint position = 0;
  ChorusContact *c = contact_by_id (store, id, &position);
  if (sqlite3_changes (store->db) == 0 || c == NULL)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND,
                   "There is no contact %" G_GINT64_FORMAT ".", id);
      return FALSE;
    }
  g_hash_table_remove (store->by_aor, chorus_contact_get_aor (c));
  g_list_store_remove (store->contacts, position);
  refresh_names (store);
  return TRUE;
}

GListModel *
chorus_app_store_get_contacts (ChorusAppStore *store)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), NULL);
  return G_LIST_MODEL (store->contacts);
}

ChorusContact *
chorus_app_store_find_contact (ChorusAppStore *store, const char *aor)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), NULL);
  g_autofree char *normal = chorus_aor_normalize (aor, store->default_domain, NULL);
  if (normal == NULL)
    return NULL;
  ChorusContact *c = g_hash_table_lookup (store->by_aor, normal);
  return c != NULL ? g_object_ref (c) : NULL;
}

/* History */

/* Drops the calls beyond the bound, the oldest first, in the open
 * transaction. */
static gboolean
prune_history (ChorusAppStore *store, GError **error)
{
  g_autoptr (sqlite3_stmt) st = prepare (store,
                                         "DELETE FROM calls WHERE id IN (SELECT id FROM calls "
                                         "ORDER BY started_us DESC, id DESC LIMIT -1 OFFSET ?1)",
                                         "Could not trim the call history", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int (st, 1, CHORUS_APP_STORE_MAX_HISTORY);
  return run (store, st, "Could not trim the call history", error) == SQLITE_DONE;
}

gint64
chorus_app_store_add_call (ChorusAppStore *store, ChorusCallDirection direction,
                           const char *remote_aor, GDateTime *started, guint duration_s,
                           const char *status, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), 0);
  g_return_val_if_fail (started != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  g_autoptr (GEnumClass) directions = g_type_class_ref (CHORUS_TYPE_CALL_DIRECTION);
  GEnumValue *d = g_enum_get_value (directions, (int) direction);
  if (d == NULL)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_INVALID,
                   "%d is not a call direction.", (int) direction);
      return 0;
    }
  g_autofree char *remote = normalize_aor (store, remote_aor, error);
  if (remote == NULL || !status_valid (status, error))
    return 0;

  const char *what = "Could not record the call";
  if (!begin (store, what, error))
    return 0;
  g_autoptr (sqlite3_stmt) st =
      prepare (store,
               "INSERT INTO calls (direction, remote_aor, started_us, "
               "duration_s, status, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
               what, error);
  if (st == NULL)
    return rollback (store);
  sqlite3_bind_text (st, 1, d->value_nick, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, remote, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 3, time_to_us (started));
  sqlite3_bind_int64 (st, 4, duration_s);
  if (status != NULL)
    sqlite3_bind_text (st, 5, status, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (st, 5);
  sqlite3_bind_int (st, 6, direction != CHORUS_CALL_MISSED);
  if (run (store, st, what, error) != SQLITE_DONE)
    return rollback (store);
  gint64 id = sqlite3_last_insert_rowid (store->db);
  if (!prune_history (store, error))
    return rollback (store);
  if (!commit (store, what, error))
    return 0;

  ChorusContact *c = g_hash_table_lookup (store->by_aor, remote);
  g_autoptr (GDateTime) at = time_from_us (time_to_us (started));
  g_autoptr (ChorusHistoryEntry) e = chorus_history_entry_new (
      id, direction, remote, c != NULL ? chorus_contact_get_name (c) : NULL, at, duration_s, status,
      FALSE);
  g_list_store_insert_sorted (store->history, e, chorus_history_entry_compare, NULL);
  /* the model is in the file's order: its tail is what the file dropped */
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store->history));
  if (n > CHORUS_APP_STORE_MAX_HISTORY)
    g_list_store_splice (store->history, CHORUS_APP_STORE_MAX_HISTORY,
                         n - CHORUS_APP_STORE_MAX_HISTORY, NULL, 0);
  refresh_unseen (store);
  return id;
}

gboolean
chorus_app_store_delete_call (ChorusAppStore *store, gint64 id, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (sqlite3_stmt) st =
      prepare (store, "DELETE FROM calls WHERE id = ?1", "Could not delete the call", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, id);
  if (run (store, st, "Could not delete the call", error) != SQLITE_DONE)
    return FALSE;
  if (sqlite3_changes (store->db) == 0)
    {
      g_set_error (error, CHORUS_APP_STORE_ERROR, CHORUS_APP_STORE_ERROR_NOT_FOUND,
                   "There is no call %" G_GINT64_FORMAT " in the history.", id);
      return FALSE;
    }
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store->history));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (G_LIST_MODEL (store->history), i);
      if (chorus_history_entry_get_id (e) == id)
        {
          g_list_store_remove (store->history, i);
          break;
        }
    }
  refresh_unseen (store);
  return TRUE;
}

gboolean
chorus_app_store_clear_history (ChorusAppStore *store, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (sqlite3_stmt) st =
      prepare (store, "DELETE FROM calls", "Could not clear the call history", error);
  if (st == NULL || run (store, st, "Could not clear the call history", error) != SQLITE_DONE)
    return FALSE;
  g_list_store_remove_all (store->history);
  refresh_unseen (store);
  return TRUE;
}

GListModel *
chorus_app_store_get_history (ChorusAppStore *store)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), NULL);
  return G_LIST_MODEL (store->history);
}

guint
chorus_app_store_get_unseen_missed (ChorusAppStore *store)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), 0);
  return store->unseen_missed;
}

gboolean
chorus_app_store_mark_missed_seen (ChorusAppStore *store, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_APP_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr (sqlite3_stmt) st =
      prepare (store, "UPDATE calls SET seen = 1 WHERE direction = ?1 AND seen = 0",
               "Could not mark the missed calls seen", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, "missed", -1, SQLITE_STATIC);
  if (run (store, st, "Could not mark the missed calls seen", error) != SQLITE_DONE)
    return FALSE;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store->history));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ChorusHistoryEntry) e = g_list_model_get_item (G_LIST_MODEL (store->history), i);
      chorus_history_entry_set_seen (e);
    }
  refresh_unseen (store);
  return TRUE;
}
