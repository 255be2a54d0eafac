/* chorus-peer-cache.c: ChorusPeer's bootstrap cache (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-cache.h"

#include "chorus-bootstrap-cache.h"
#include "chorus-profile-db.h"

struct _ChorusPeerCache
{
  sqlite3 *db;
  gint size; /* atomic */
};

static void
update_size (ChorusPeerCache *c)
{
  g_autoptr (GError) error = NULL;
  gint n = chorus_bootstrap_cache_count (c->db, reload_peer_shell_now (), &error);
  if (n < 0)
    g_message ("bootstrap cache: %s", error->message);
  else
    g_atomic_int_set (&c->size, n);
}

ChorusPeerCache *
chorus_peer_cache_open (const char *profile_dir, GError **error)
{
  sqlite3 *db = chorus_profile_db_open (profile_dir, error);
  if (db == NULL)
    return NULL;
  ChorusPeerCache *c = g_new0 (ChorusPeerCache, 1);
  c->db = db;
  update_size (c);
  return c;
}

void
chorus_peer_cache_free (ChorusPeerCache *c)
{
  if (c == NULL)
    return;
  chorus_db_close (c->db);
  g_free (c);
}

guint
chorus_peer_cache_size (ChorusPeerCache *c)
{
  return (guint) g_atomic_int_get (&c->size);
}

static GPtrArray *
cache_load (gpointer data)
{
  ChorusPeerCache *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) entries =
      chorus_bootstrap_cache_list (c->db, reload_peer_shell_now (), &error);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  if (entries == NULL)
    {
      g_message ("bootstrap cache: %s", error->message);
      return out;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      ChorusBootstrapPeer *p = &g_array_index (entries, ChorusBootstrapPeer, i);
      GSocketAddress *a = g_inet_socket_address_new_from_string (p->address, p->port);
      if (a != NULL)
        g_ptr_array_add (out, a);
    }
  return out;
}

static void
cache_record (gpointer data, const ReloadPeerShellCachePeer *peers, guint n_peers)
{
  ChorusPeerCache *c = data;
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (ChorusBootstrapNeighbour));
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_peers; i++)
    {
      char hex[33];
      ChorusBootstrapNeighbour n = { 0 };
      n.node_id = g_strdup (chord_id_to_hex (chord_id_from_node_id (&peers[i].node_id), hex));
      n.address = g_inet_address_to_string (g_inet_socket_address_get_address (peers[i].address));
      n.port = g_inet_socket_address_get_port (peers[i].address);
      n.connected = peers[i].connected;
      g_ptr_array_add (strings, (char *) n.node_id);
      g_ptr_array_add (strings, (char *) n.address);
      g_array_append_val (rows, n);
    }
  g_autoptr (GError) error = NULL;
  if (!chorus_bootstrap_cache_update (c->db, (const ChorusBootstrapNeighbour *) rows->data,
                                      rows->len, reload_peer_shell_now (), &error))
    g_message ("bootstrap cache: %s", error->message);
  update_size (c);
}

static void
cache_failed (gpointer data, GInetSocketAddress *address)
{
  ChorusPeerCache *c = data;
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  g_autoptr (GError) error = NULL;
  if (!chorus_bootstrap_cache_record_failure (c->db, ip, g_inet_socket_address_get_port (address),
                                              reload_peer_shell_now (), &error))
    g_message ("bootstrap cache: %s", error->message);
  else
    g_debug ("bootstrap cache: %s:%u did not answer", ip, g_inet_socket_address_get_port (address));
  update_size (c);
}

void
chorus_peer_cache_shell_ops (ChorusPeerCache *c, ReloadPeerShellCache *out)
{
  out->load = cache_load;
  out->record = cache_record;
  out->failed = cache_failed;
  out->user_data = c;
}
