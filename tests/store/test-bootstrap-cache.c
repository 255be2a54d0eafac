/* test-bootstrap-cache.c: the bootstrap cache of RFC 6940 §11.4 in the
 * profile's database: only directly connected peers, at most 10 with the
 * stalest evicted, stale entries (30 days) dropped, repeated failures
 * dropped, one entry per Node-ID and per address, kept across opens.
 * Time is injected.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-bootstrap-cache.h"
#include "chorus-profile-db.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define T0 ((gint64) 1700000000000) /* ms since 1970 */
#define DAY_MS ((gint64) 24 * 3600 * 1000)

typedef struct
{
  char *dir;
  sqlite3 *db;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("chorus-cache-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = chorus_profile_db_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->db, chorus_db_close);
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Node-ID i: 32 hex digits */
static char *
node (guint i)
{
  return g_strdup_printf ("%032x", 0xa000u + i);
}

/* Records peer i (127.0.0.1:20000+i) as connected at @now. */
static void
record (Fixture *f, guint i, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = node (i);
  ChorusBootstrapNeighbour n = { id, "127.0.0.1", (guint16) (20000 + i), TRUE };
  g_assert_true (chorus_bootstrap_cache_update (f->db, &n, 1, now, &error));
  g_assert_no_error (error);
}

static GArray *
list (Fixture *f, gint64 now)
{
  g_autoptr (GError) error = NULL;
  GArray *a = chorus_bootstrap_cache_list (f->db, now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  return a;
}

static gint
count (Fixture *f, gint64 now)
{
  g_autoptr (GError) error = NULL;
  gint n = chorus_bootstrap_cache_count (f->db, now, &error);
  g_assert_no_error (error);
  return n;
}

/* Rows in the table, whatever their state. */
static gint64
rows (Fixture *f)
{
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (
      sqlite3_prepare_v2 (f->db, "SELECT count(*) FROM bootstrap_cache", -1, &st, NULL), ==,
      SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  gint64 n = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return n;
}

static gboolean
listed (GArray *a, guint i)
{
  g_autofree char *id = node (i);
  for (guint k = 0; k < a->len; k++)
    if (g_str_equal (g_array_index (a, ChorusBootstrapPeer, k).node_id, id))
      return TRUE;
  return FALSE;
}

static void
test_record_and_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (count (f, T0), ==, 0);
  g_autofree char *a = node (1);
  g_autofree char *b = node (2);
  g_autofree char *c = node (3);
  ChorusBootstrapNeighbour now[] = {
    { a, "127.0.0.1", 6001, TRUE },
    { b, "::1", 6002, TRUE },
    { c, "192.0.2.7", 6003, TRUE },
  };
  g_assert_true (chorus_bootstrap_cache_update (f->db, now, 3, T0, &error));
  g_assert_no_error (error);
  /* b again later: it comes first */
  g_assert_true (chorus_bootstrap_cache_update (f->db, &now[1], 1, T0 + 1000, &error));
  g_autoptr (GArray) l = list (f, T0 + 2000);
  g_assert_cmpuint (l->len, ==, 3);
  ChorusBootstrapPeer *first = &g_array_index (l, ChorusBootstrapPeer, 0);
  g_assert_cmpstr (first->node_id, ==, b);
  g_assert_cmpstr (first->address, ==, "::1");
  g_assert_cmpuint (first->port, ==, 6002);
  g_assert_cmpint (first->last_success_ms, ==, T0 + 1000);
  g_assert_cmpuint (first->failures, ==, 0);
  g_assert_true (listed (l, 1) && listed (l, 3));
  g_assert_cmpint (count (f, T0 + 2000), ==, 3);
}

/* §11.4: "Peers that are not directly connected MUST NOT be cached." */
static void
test_only_connected (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = node (1);
  g_autofree char *b = node (2);
  ChorusBootstrapNeighbour peers[] = {
    { a, "127.0.0.1", 6001, TRUE },
    { b, "127.0.0.1", 6002, FALSE },
  };
  g_assert_true (chorus_bootstrap_cache_update (f->db, peers, 2, T0, &error));
  g_autoptr (GArray) l = list (f, T0);
  g_assert_cmpuint (l->len, ==, 1);
  g_assert_true (listed (l, 1));
  g_assert_false (listed (l, 2));
  /* an entry is not refreshed by a record that says it is not connected */
  peers[0].connected = FALSE;
  g_assert_true (chorus_bootstrap_cache_update (f->db, peers, 1, T0 + 5000, &error));
  g_autoptr (GArray) l2 = list (f, T0 + 5000);
  g_assert_cmpint (g_array_index (l2, ChorusBootstrapPeer, 0).last_success_ms, ==, T0);
  /* malformed entries are skipped, the rest recorded */
  g_autofree char *c = node (3);
  ChorusBootstrapNeighbour bad[] = {
    { "ABCDEF", "127.0.0.1", 6003, TRUE },                           /* not a Node-ID */
    { c, "not-an-address", 6003, TRUE },                             /* not numeric */
    { c, "0.0.0.0", 6003, TRUE },                                    /* nobody listens there */
    { c, "127.0.0.1", 0, TRUE },                                     /* no port */
    { "A0000000000000000000000000000003", "127.0.0.1", 6003, TRUE }, /* upper case */
    { c, "127.0.0.1", 6003, TRUE },
  };
  g_assert_true (chorus_bootstrap_cache_update (f->db, bad, G_N_ELEMENTS (bad), T0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rows (f), ==, 2);
}

static void
test_bounded (Fixture *f, gconstpointer data)
{
  /* 15 peers, one a second: the 10 most recent stay */
  for (guint i = 0; i < 15; i++)
    record (f, i, T0 + i * 1000);
  g_assert_cmpint (rows (f), ==, CHORUS_BOOTSTRAP_CACHE_MAX_PEERS);
  g_autoptr (GArray) l = list (f, T0 + 20000);
  g_assert_cmpuint (l->len, ==, CHORUS_BOOTSTRAP_CACHE_MAX_PEERS);
  for (guint i = 0; i < 5; i++)
    g_assert_false (listed (l, i));
  for (guint i = 5; i < 15; i++)
    g_assert_true (listed (l, i));
  /* freshest first */
  for (guint k = 0; k < l->len; k++)
    {
      g_autofree char *id = node (14 - k);
      g_assert_cmpstr (g_array_index (l, ChorusBootstrapPeer, k).node_id, ==, id);
    }
  /* a success refreshes: peer 5, the stalest, seen again, and a new peer
   * evicts peer 6 instead */
  record (f, 5, T0 + 30000);
  record (f, 100, T0 + 31000);
  g_autoptr (GArray) l2 = list (f, T0 + 32000);
  g_assert_cmpuint (l2->len, ==, CHORUS_BOOTSTRAP_CACHE_MAX_PEERS);
  g_assert_true (listed (l2, 5));
  g_assert_true (listed (l2, 100));
  g_assert_false (listed (l2, 6));
  g_assert_true (listed (l2, 7));
}

static void
test_freshness (Fixture *f, gconstpointer data)
{
  record (f, 1, T0);
  record (f, 2, T0 + 10 * DAY_MS);
  gint64 limit = T0 + CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS;
  g_assert_cmpint (CHORUS_BOOTSTRAP_CACHE_MAX_AGE_MS, ==, 30 * DAY_MS);
  /* 30 days after its last success it is still there */
  g_autoptr (GArray) l = list (f, limit);
  g_assert_cmpuint (l->len, ==, 2);
  /* a millisecond later it is not offered any more */
  g_autoptr (GArray) l2 = list (f, limit + 1);
  g_assert_cmpuint (l2->len, ==, 1);
  g_assert_true (listed (l2, 2));
  g_assert_cmpint (count (f, limit + 1), ==, 1);
  /* and the next write drops it from the table */
  g_assert_cmpint (rows (f), ==, 2);
  record (f, 3, limit + 1);
  g_assert_cmpint (rows (f), ==, 2);
  g_autoptr (GArray) l3 = list (f, limit + 1);
  g_assert_false (listed (l3, 1));
  /* nothing after 40 more days */
  g_assert_cmpint (count (f, limit + 40 * DAY_MS), ==, 0);
}

static void
test_failures (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  record (f, 1, T0);
  record (f, 2, T0);
  /* failures in a row below the limit: still offered, counted */
  for (guint k = 1; k < CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES; k++)
    {
      g_assert_true (
          chorus_bootstrap_cache_record_failure (f->db, "127.0.0.1", 20001, T0 + k, &error));
      g_assert_no_error (error);
    }
  g_autoptr (GArray) l = list (f, T0 + 100);
  g_assert_cmpuint (l->len, ==, 2);
  /* the one that failed comes after the one that did not (same success time) */
  g_assert_cmpuint (g_array_index (l, ChorusBootstrapPeer, 1).failures, ==,
                    CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES - 1);
  /* a success resets the count */
  record (f, 1, T0 + 200);
  g_autoptr (GArray) l2 = list (f, T0 + 300);
  g_assert_cmpuint (g_array_index (l2, ChorusBootstrapPeer, 0).failures, ==, 0);
  /* and the limit of failures in a row drops it */
  for (guint k = 0; k < CHORUS_BOOTSTRAP_CACHE_MAX_FAILURES; k++)
    g_assert_true (
        chorus_bootstrap_cache_record_failure (f->db, "127.0.0.1", 20001, T0 + 400 + k, &error));
  g_autoptr (GArray) l3 = list (f, T0 + 500);
  g_assert_cmpuint (l3->len, ==, 1);
  g_assert_true (listed (l3, 2));
  g_assert_cmpint (rows (f), ==, 1);
  /* a failure of an address not in the cache changes nothing */
  g_assert_true (chorus_bootstrap_cache_record_failure (f->db, "10.0.0.1", 1, T0 + 600, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rows (f), ==, 1);
}

static void
test_one_entry_per_peer_and_address (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = node (1);
  g_autofree char *b = node (2);
  /* a peer that moved: one entry, the new address */
  ChorusBootstrapNeighbour moved[] = { { a, "127.0.0.1", 7000, TRUE } };
  g_assert_true (chorus_bootstrap_cache_update (f->db, moved, 1, T0, &error));
  moved[0].port = 7001;
  g_assert_true (chorus_bootstrap_cache_update (f->db, moved, 1, T0 + 1, &error));
  g_autoptr (GArray) l = list (f, T0 + 2);
  g_assert_cmpuint (l->len, ==, 1);
  g_assert_cmpuint (g_array_index (l, ChorusBootstrapPeer, 0).port, ==, 7001);
  /* another peer on that address now: the old owner is gone */
  ChorusBootstrapNeighbour taken[] = { { b, "127.0.0.1", 7001, TRUE } };
  g_assert_true (chorus_bootstrap_cache_update (f->db, taken, 1, T0 + 3, &error));
  g_autoptr (GArray) l2 = list (f, T0 + 4);
  g_assert_cmpuint (l2->len, ==, 1);
  g_assert_cmpstr (g_array_index (l2, ChorusBootstrapPeer, 0).node_id, ==, b);
}

static void
test_persistent (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  record (f, 1, T0);
  record (f, 2, T0 + 1);
  g_clear_pointer (&f->db, chorus_db_close);
  g_autofree char *path = g_build_filename (f->dir, CHORUS_PROFILE_DB_FILE, NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  f->db = chorus_profile_db_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_db_get_version (f->db, &error), ==,
                   (gint) chorus_profile_db_schema_version ());
  g_autoptr (GArray) l = list (f, T0 + 2);
  g_assert_cmpuint (l->len, ==, 2);
  g_assert_true (listed (l, 1) && listed (l, 2));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/store/bootstrap-cache/record-and-list", test_record_and_list);
  ADD ("/store/bootstrap-cache/only-connected", test_only_connected);
  ADD ("/store/bootstrap-cache/bounded", test_bounded);
  ADD ("/store/bootstrap-cache/freshness", test_freshness);
  ADD ("/store/bootstrap-cache/failures", test_failures);
  ADD ("/store/bootstrap-cache/one-entry-per-peer-and-address",
       test_one_entry_per_peer_and_address);
  ADD ("/store/bootstrap-cache/persistent", test_persistent);
#undef ADD
  return g_test_run ();
}
