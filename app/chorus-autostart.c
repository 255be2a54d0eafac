/* chorus-autostart.c: start on login.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app"

#include "chorus-autostart.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "chorus-application.h"

char *
chorus_autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", CHORUS_APP_ID ".desktop", NULL);
}

gboolean
chorus_autostart_is_sandboxed (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

/* A desktop entry's Exec value: arguments with a space, a quote or a
 * reserved character are quoted (Desktop Entry Specification, "The Exec
 * key"). */
static char *
exec_quote (const char *arg)
{
  if (strpbrk (arg, " \t\n\"'\\><~|&;$*?#()`%") == NULL)
    return g_strdup (arg);
  GString *q = g_string_new ("\"");
  for (const char *p = arg; *p; p++)
    {
      if (*p == '"' || *p == '`' || *p == '$' || *p == '\\')
        g_string_append_c (q, '\\');
      if (*p == '%')
        g_string_append_c (q, '%');
      g_string_append_c (q, *p);
    }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

static gboolean
write_entry (const char *command, GError **error)
{
  g_autofree char *path = chorus_autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", dir, g_strerror (e));
      return FALSE;
    }
  g_autofree char *self = command ? g_strdup (command) : g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exec = exec_quote (self ? self : "chorus");
  g_autoptr (GKeyFile) entry = g_key_file_new ();
  const char *group = G_KEY_FILE_DESKTOP_GROUP;
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_TYPE, "Application");
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_NAME, "Chorus");
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_ICON, CHORUS_APP_ID);
  g_autofree char *line = g_strdup_printf ("%s --background", exec);
  g_key_file_set_string (entry, group, G_KEY_FILE_DESKTOP_KEY_EXEC, line);
  g_key_file_set_boolean (entry, group, G_KEY_FILE_DESKTOP_KEY_NO_DISPLAY, TRUE);
  g_key_file_set_boolean (entry, group, "X-GNOME-Autostart-enabled", TRUE);
  return g_key_file_save_to_file (entry, path, error);
}

static void
portal_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply =
      g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    g_message ("start on login: the Background portal: %s", error->message);
  else
    g_message ("start on login: asked the Background portal");
}

static gboolean
ask_portal (gboolean enabled, GError **error)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  if (bus == NULL)
    return FALSE;
  GVariantBuilder options;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_ ("Stay reachable for calls")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (enabled));
  const char *argv[] = { "chorus", "--background", NULL };
  g_variant_builder_add (&options, "{sv}", "commandline", g_variant_new_strv (argv, -1));
  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options), NULL, G_DBUS_CALL_FLAGS_NONE,
                          -1, NULL, portal_answered, NULL);
  return TRUE;
}

gboolean
chorus_autostart_set (gboolean enabled, const char *command, GError **error)
{
  if (chorus_autostart_is_sandboxed ())
    return ask_portal (enabled, error);
  if (enabled)
    return write_entry (command, error);
  g_autofree char *path = chorus_autostart_path ();
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}
