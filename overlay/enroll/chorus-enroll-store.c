/* chorus-enroll-store.c: invitations and issued devices in SQLite.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-store.h"

#include <gnutls/crypto.h>
#include <sqlite3.h>
#include <string.h>

#include "chorus-db.h"
#include "chorus-enroll-error.h"
#include "chorus-invite.h"

struct _ChorusEnrollStore
{
  sqlite3 *db;
};

static const ChorusDbMigration migrations[] = {
  { 1, "CREATE TABLE invites ("
       "  secret_sha256 TEXT PRIMARY KEY,"
       "  user TEXT NOT NULL,"
       "  created INTEGER NOT NULL,"
       "  expires INTEGER NOT NULL,"
       "  used INTEGER);"
       "CREATE TABLE devices ("
       "  id INTEGER PRIMARY KEY,"
       "  user TEXT NOT NULL,"
       "  serial TEXT NOT NULL,"
       "  issued INTEGER NOT NULL,"
       "  invite TEXT NOT NULL REFERENCES invites (secret_sha256));"
       "CREATE TABLE node_ids ("
       "  node_id TEXT PRIMARY KEY,"
       "  device INTEGER NOT NULL REFERENCES devices (id));"
       "CREATE INDEX devices_user ON devices (user);" },
};

ChorusEnrollStore *
chorus_enroll_store_open (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, CHORUS_ENROLL_STORE_FILE, NULL);
  sqlite3 *db = chorus_db_open (path, migrations, G_N_ELEMENTS (migrations), error);
  if (db == NULL)
    return NULL;
  ChorusEnrollStore *store = g_new0 (ChorusEnrollStore, 1);
  store->db = db;
  return store;
}

void
chorus_enroll_store_free (ChorusEnrollStore *store)
{
  if (store == NULL)
    return;
  chorus_db_close (store->db);
  g_free (store);
}

static char *
secret_hash (const char *secret)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, secret, -1);
}

static sqlite3_stmt *
prepare (ChorusEnrollStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      chorus_db_set_error (error, store->db, "prepare");
      return NULL;
    }
  return st;
}

char *
chorus_enroll_store_add_invite (ChorusEnrollStore *store, const char *user, gint64 now,
                                gint64 expires, GError **error)
{
  guint8 raw[CHORUS_INVITE_SECRET_HEX / 2];
  if (gnutls_rnd (GNUTLS_RND_KEY, raw, sizeof raw) != 0)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED, "no random numbers");
      return NULL;
    }
  GString *secret = g_string_sized_new (CHORUS_INVITE_SECRET_HEX + 1);
  for (guint i = 0; i < sizeof raw; i++)
    g_string_append_printf (secret, "%02x", raw[i]);
  memset (raw, 0, sizeof raw);
  g_autofree char *hash = secret_hash (secret->str);
  sqlite3_stmt *st = prepare (
      store, "INSERT INTO invites (secret_sha256, user, created, expires) VALUES (?, ?, ?, ?)",
      error);
  if (st == NULL)
    {
      g_string_free (secret, TRUE);
      return NULL;
    }
  sqlite3_bind_text (st, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, user, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, now);
  sqlite3_bind_int64 (st, 4, expires);
  gboolean ok = sqlite3_step (st) == SQLITE_DONE;
  if (!ok)
    chorus_db_set_error (error, store->db, "new invitation");
  sqlite3_finalize (st);
  if (!ok)
    {
      g_string_free (secret, TRUE);
      return NULL;
    }
  return g_string_free (secret, FALSE);
}

ChorusInviteState
chorus_enroll_store_check_invite (ChorusEnrollStore *store, const char *user, const char *secret,
                                  gint64 now, GError **error)
{
  g_autofree char *hash = secret_hash (secret);
  sqlite3_stmt *st =
      prepare (store, "SELECT user, expires, used FROM invites WHERE secret_sha256 = ?", error);
  if (st == NULL)
    return CHORUS_INVITE_UNKNOWN;
  sqlite3_bind_text (st, 1, hash, -1, SQLITE_TRANSIENT);
  ChorusInviteState state = CHORUS_INVITE_UNKNOWN;
  int rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      const char *owner = (const char *) sqlite3_column_text (st, 0);
      /* §11.3: "compared as binary objects" */
      if (owner == NULL || strcmp (owner, user) != 0)
        state = CHORUS_INVITE_UNKNOWN;
      else if (sqlite3_column_type (st, 2) != SQLITE_NULL)
        state = CHORUS_INVITE_USED;
      else if (sqlite3_column_int64 (st, 1) <= now)
        state = CHORUS_INVITE_EXPIRED;
      else
        state = CHORUS_INVITE_VALID;
    }
  else if (rc != SQLITE_DONE)
    chorus_db_set_error (error, store->db, "invitation");
  sqlite3_finalize (st);
  return state;
}

gboolean
chorus_enroll_store_node_id_taken (ChorusEnrollStore *store, const char *node_id_hex,
                                   gboolean *taken, GError **error)
{
  sqlite3_stmt *st = prepare (store, "SELECT 1 FROM node_ids WHERE node_id = ?", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, node_id_hex, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step (st);
  *taken = rc == SQLITE_ROW;
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      chorus_db_set_error (error, store->db, "Node-ID");
      return FALSE;
    }
  return TRUE;
}

static gboolean
step_done (ChorusEnrollStore *store, sqlite3_stmt *st, const char *what, GError **error)
{
  int rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      chorus_db_set_error (error, store->db, what);
      return FALSE;
    }
  return TRUE;
}

gboolean
chorus_enroll_store_record_device (ChorusEnrollStore *store, const char *user, const char *secret,
                                   const char *const *node_ids_hex, const char *serial_hex,
                                   gint64 now, GError **error)
{
  g_autofree char *hash = secret_hash (secret);
  if (!chorus_db_exec (store->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* the invitation is consumed only if nobody else did it since it was
   * checked (another server process on the same directory) */
  sqlite3_stmt *st = prepare (store,
                              "UPDATE invites SET used = ? WHERE secret_sha256 = ? AND user = ? "
                              "AND used IS NULL AND expires > ?",
                              error);
  if (st == NULL)
    goto rollback;
  sqlite3_bind_int64 (st, 1, now);
  sqlite3_bind_text (st, 2, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 3, user, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 4, now);
  if (!step_done (store, st, "consuming the invitation", error))
    goto rollback;
  if (sqlite3_changes (store->db) != 1)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_LINK_USED,
                   "the invitation was used or expired meanwhile");
      goto rollback;
    }
  st = prepare (store, "INSERT INTO devices (user, serial, issued, invite) VALUES (?, ?, ?, ?)",
                error);
  if (st == NULL)
    goto rollback;
  sqlite3_bind_text (st, 1, user, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, serial_hex, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, now);
  sqlite3_bind_text (st, 4, hash, -1, SQLITE_TRANSIENT);
  if (!step_done (store, st, "recording the device", error))
    goto rollback;
  sqlite3_int64 device = sqlite3_last_insert_rowid (store->db);
  for (guint i = 0; node_ids_hex[i] != NULL; i++)
    {
      st = prepare (store, "INSERT INTO node_ids (node_id, device) VALUES (?, ?)", error);
      if (st == NULL)
        goto rollback;
      sqlite3_bind_text (st, 1, node_ids_hex[i], -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (st, 2, device);
      if (!step_done (store, st, "recording a Node-ID", error))
        goto rollback;
    }
  return chorus_db_exec (store->db, "COMMIT", error);
rollback:
  chorus_db_exec (store->db, "ROLLBACK", NULL);
  return FALSE;
}

gint64
chorus_enroll_store_count_devices (ChorusEnrollStore *store, const char *user, GError **error)
{
  sqlite3_stmt *st =
      prepare (store, "SELECT count(*) FROM devices WHERE ?1 IS NULL OR user = ?1", error);
  if (st == NULL)
    return -1;
  if (user != NULL)
    sqlite3_bind_text (st, 1, user, -1, SQLITE_TRANSIENT);
  gint64 n = -1;
  if (sqlite3_step (st) == SQLITE_ROW)
    n = sqlite3_column_int64 (st, 0);
  else
    chorus_db_set_error (error, store->db, "devices");
  sqlite3_finalize (st);
  return n;
}
