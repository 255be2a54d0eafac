/* chorus-app-profile.c: the app's directory and its first run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-app-profile.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include "chorus-address.h"
#include "chorus-enroll-create.h"
#include "reload-config.h"

char *
chorus_app_profile_default_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "chorus", "home", NULL);
}

char *
chorus_app_profile_peer_dir (const char *base)
{
  return g_build_filename (base, "peer", NULL);
}

char *
chorus_app_profile_ca_dir (const char *base)
{
  return g_build_filename (base, "ca", NULL);
}

char *
chorus_app_profile_store_path (const char *base)
{
  return g_build_filename (base, "app.db", NULL);
}

gboolean
chorus_app_profile_is_ready (const char *base)
{
  g_autofree char *cert = g_build_filename (base, "peer", "cert.pem", NULL);
  return g_file_test (cert, G_FILE_TEST_IS_REGULAR);
}

gboolean
chorus_app_profile_is_creator (const char *base)
{
  g_autofree char *key = g_build_filename (base, "ca", "ca-key.pem", NULL);
  return g_file_test (key, G_FILE_TEST_IS_REGULAR);
}

char *
chorus_app_profile_user_name (const char *display_name, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (display_name ? display_name : ""));
  g_autofree char *lower = g_utf8_strdown (trimmed, -1);
  GString *user = g_string_new (NULL);
  for (const char *p = lower; *p; p++)
    {
      char c = *p;
      if (g_ascii_isalnum (c) || c == '.' || c == '-' || c == '_')
        g_string_append_c (user, c);
      else if (c == ' ' && user->len > 0 && user->str[user->len - 1] != '.')
        g_string_append_c (user, '.');
      else
        {
          g_string_free (user, TRUE);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("A name may hold letters a to z, digits, spaces, dots, dashes and "
                          "underscores"));
          return NULL;
        }
    }
  if (user->len == 0 || user->len > 64)
    {
      g_string_free (user, TRUE);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Choose a name of 1 to 64 characters"));
      return NULL;
    }
  return g_string_free (user, FALSE);
}

typedef struct
{
  char *base;
  char *user;
  char *listen;
  char *enroll_listen;
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *d = data;
  g_free (d->base);
  g_free (d->user);
  g_free (d->listen);
  g_free (d->enroll_listen);
  g_free (d);
}

static gboolean
create_overlay (CreateData *d, GError **error)
{
  g_autofree char *ca_dir = chorus_app_profile_ca_dir (d->base);
  g_autofree char *peer_dir = chorus_app_profile_peer_dir (d->base);
  if (!chorus_app_profile_is_creator (d->base))
    {
      g_autoptr (GInetSocketAddress) where = chorus_address_parse (d->listen);
      if (where == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("%s is not an address and port"), d->listen);
          return FALSE;
        }
      g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (where));
      guint16 port = g_inet_socket_address_get_port (where);
      g_autoptr (ReloadConfig) cfg = reload_config_new ();
      cfg->instance_name = g_strdup (CHORUS_APP_HOME_OVERLAY);
      cfg->sequence = 1;
      /* §6.5.1: an overlay is all No-ICE or all ICE; a home overlay on one
       * network is No-ICE (TLS-TCP-FH, §6.6.5), as chorus-enroll init's */
      cfg->no_ice = TRUE;
      g_ptr_array_add (cfg->enrollment_servers,
                       g_strdup_printf ("https://%s/enroll", d->enroll_listen));
      if (!reload_config_add_bootstrap_node (cfg, host, port, error)
          || !reload_config_add_multicast_bootstrap (cfg, "", error))
        return FALSE;
      if (g_mkdir_with_parents (d->base, 0700) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", d->base,
                       g_strerror (errno));
          return FALSE;
        }
      if (!chorus_enroll_create_overlay (ca_dir, cfg, FALSE, error))
        return FALSE;
    }
  g_autofree char *full = g_strdup_printf ("%s@%s", d->user, CHORUS_APP_HOME_OVERLAY);
  return chorus_enroll_issue_profile (ca_dir, full, peer_dir, FALSE, 1, NULL, NULL, NULL, error);
}

static void
create_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  if (create_overlay (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
chorus_app_profile_create_async (const char *base, const char *user, const char *listen,
                                 const char *enroll_listen, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, chorus_app_profile_create_async);
  CreateData *d = g_new0 (CreateData, 1);
  d->base = g_strdup (base);
  d->user = g_strdup (user);
  d->listen = g_strdup (listen);
  d->enroll_listen = g_strdup (enroll_listen);
  g_task_set_task_data (task, d, create_data_free);
  g_task_run_in_thread (task, create_thread);
}

gboolean
chorus_app_profile_create_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
