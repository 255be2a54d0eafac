/* chorus-bootstrap-cache.c: the bootstrap cache of RFC 6940 §11.4 (see
 * the header; the table is migration 1 of chorus-profile-db.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-store"

#include "chorus-bootstrap-cache.h"

#include <gio/gio.h>
#include <string.h>

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      chorus_db_set_error (error, db, "bootstrap cache");
      return NULL;
    }
  return st;
}

/* Runs a prepared statement without results to its end, and finalizes it. */
static gboolean
finish (sqlite3 *db, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step (st);
  if (rc != SQLITE_DONE)
    chorus_db_set_error (error, db, "bootstrap cache");
  sqlite3_finalize (st);
  return rc == SQLITE_DONE;
}

static gboolean
rollback (sqlite3 *db)
{
  chorus_db_exec (db, "ROLLBACK", NULL);
  return FALSE;
}

/* Drops the entries stale at @now_ms or failed too often, then the
 * stalest beyond the bound (§11.4: 10). */
static gboolean
prune (sqlite3 *db, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = prepare (
      db, "DELETE FROM bootstrap_cache WHERE last_success_ms < ?1 OR failures >= ?2", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, now_ms - CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS);
  sqlite3_bind_int (st, 2, CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES);
  if (!finish (db, st, error))
    return FALSE;
  st =
      prepare (db,
               "DELETE FROM bootstrap_cache WHERE node_id NOT IN (SELECT node_id FROM "
               "bootstrap_cache ORDER BY last_success_ms DESC, failures ASC, node_id ASC LIMIT ?1)",
               error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int (st, 1, CHORUS_BOOTSTRAP_CACHE_MAX_PEERS);
  return finish (db, st, error);
}

static gboolean
valid_neighbour (const ChorusBootstrapNeighbour *p)
{
  if (p->node_id == NULL || p->address == NULL || p->port == 0)
    return FALSE;
  gsize len = strlen (p->node_id);
  if (len < 32 || len > 40)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (p->node_id[i]) || g_ascii_isupper (p->node_id[i]))
      return FALSE;
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (p->address);
  return a != NULL && !g_inet_address_get_is_any (a) && !g_inet_address_get_is_multicast (a);
}

static gboolean
record_one (sqlite3 *db, const ChorusBootstrapNeighbour *p, gint64 now_ms, GError **error)
{
  /* one entry per address: whoever listened there before is gone */
  sqlite3_stmt *st = prepare (
      db, "DELETE FROM bootstrap_cache WHERE address = ?2 AND port = ?3 AND node_id <> ?1", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, p->node_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, p->address, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 3, p->port);
  if (!finish (db, st, error))
    return FALSE;
  st = prepare (db,
                "INSERT INTO bootstrap_cache (node_id, address, port, last_success_ms, failures) "
                "VALUES (?1, ?2, ?3, ?4, 0) ON CONFLICT (node_id) DO UPDATE SET "
                "address = excluded.address, port = excluded.port, "
                "last_success_ms = excluded.last_success_ms, failures = 0, last_failure_ms = NULL",
                error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, p->node_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, p->address, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 3, p->port);
  sqlite3_bind_int64 (st, 4, now_ms);
  return finish (db, st, error);
}

gboolean
chorus_bootstrap_cache_update (sqlite3 *db, const ChorusBootstrapNeighbour *peers, guint n_peers,
                               gint64 now_ms, GError **error)
{
  g_return_val_if_fail (db != NULL && (peers != NULL || n_peers == 0), FALSE);
  if (!chorus_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < n_peers; i++)
    {
      /* §11.4: "Peers that are not directly connected MUST NOT be cached." */
      if (!peers[i].connected)
        continue;
      if (!valid_neighbour (&peers[i]))
        {
          g_debug ("bootstrap cache: %s at %s:%u is not a valid entry: skipped",
                   peers[i].node_id ? peers[i].node_id : "(no Node-ID)",
                   peers[i].address ? peers[i].address : "(no address)", peers[i].port);
          continue;
        }
      if (!record_one (db, &peers[i], now_ms, error))
        return rollback (db);
    }
  if (!prune (db, now_ms, error) || !chorus_db_exec (db, "COMMIT", error))
    return rollback (db);
  return TRUE;
}

gboolean
chorus_bootstrap_cache_record_failure (sqlite3 *db, const char *address, guint16 port,
                                       gint64 now_ms, GError **error)
{
  g_return_val_if_fail (db != NULL && address != NULL, FALSE);
  if (!chorus_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  sqlite3_stmt *st = prepare (db,
                              "UPDATE bootstrap_cache SET failures = failures + 1, "
                              "last_failure_ms = ?3 WHERE address = ?1 AND port = ?2",
                              error);
  if (st == NULL)
    return rollback (db);
  sqlite3_bind_text (st, 1, address, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 2, port);
  sqlite3_bind_int64 (st, 3, now_ms);
  if (!finish (db, st, error) || !prune (db, now_ms, error)
      || !chorus_db_exec (db, "COMMIT", error))
    return rollback (db);
  return TRUE;
}

static void
peer_clear (gpointer data)
{
  ChorusBootstrapPeer *p = data;
  g_free (p->node_id);
  g_free (p->address);
}

GArray *
chorus_bootstrap_cache_list (sqlite3 *db, gint64 now_ms, GError **error)
{
  g_return_val_if_fail (db != NULL, NULL);
  sqlite3_stmt *st = prepare (db,
                              "SELECT node_id, address, port, last_success_ms, failures "
                              "FROM bootstrap_cache WHERE last_success_ms >= ?1 AND failures < ?2 "
                              "ORDER BY last_success_ms DESC, failures ASC, node_id ASC LIMIT ?3",
                              error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64 (st, 1, now_ms - CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS);
  sqlite3_bind_int (st, 2, CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES);
  sqlite3_bind_int (st, 3, CHORUS_BOOTSTRAP_CACHE_MAX_PEERS);
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (ChorusBootstrapPeer));
  g_array_set_clear_func (out, peer_clear);
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      ChorusBootstrapPeer p = { 0 };
      p.node_id = g_strdup ((const char *) sqlite3_column_text (st, 0));
      p.address = g_strdup ((const char *) sqlite3_column_text (st, 1));
      p.port = (guint16) sqlite3_column_int (st, 2);
      p.last_success_ms = sqlite3_column_int64 (st, 3);
      p.failures = (guint) sqlite3_column_int (st, 4);
      g_array_append_val (out, p);
    }
  if (rc != SQLITE_DONE)
    chorus_db_set_error (error, db, "bootstrap cache");
  sqlite3_finalize (st);
  return rc == SQLITE_DONE ? g_steal_pointer (&out) : NULL;
}

gint
chorus_bootstrap_cache_count (sqlite3 *db, gint64 now_ms, GError **error)
{
  g_autoptr (GArray) all = chorus_bootstrap_cache_list (db, now_ms, error);
  return all != NULL ? (gint) all->len : -1;
}
