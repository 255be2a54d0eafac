/* test-autostart.c: "start on login" outside a sandbox: the XDG autostart
 * entry written (valid for desktop-file-validate, the program quoted as
 * the Desktop Entry Specification says, --background) and removed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "chorus-autostart.h"

static char *config_dir;

static void
test_write_and_remove (void)
{
  if (chorus_autostart_is_sandboxed ())
    {
      g_test_skip ("inside Flatpak the Background portal decides");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *path = chorus_autostart_path ();
  g_assert_true (g_str_has_prefix (path, config_dir));
  g_assert_true (chorus_autostart_set (TRUE, "/opt/My Apps/chorus", &error));
  g_assert_no_error (error);
  g_autoptr (GKeyFile) entry = g_key_file_new ();
  g_assert_true (g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error));
  g_autofree char *exec = g_key_file_get_string (entry, "Desktop Entry", "Exec", &error);
  g_assert_cmpstr (exec, ==, "\"/opt/My Apps/chorus\" --background");
  g_autofree char *type = g_key_file_get_string (entry, "Desktop Entry", "Type", &error);
  g_assert_cmpstr (type, ==, "Application");
  g_assert_true (g_key_file_get_boolean (entry, "Desktop Entry", "NoDisplay", &error));
  /* the desktop's own checker takes it */
  g_autofree char *validate = g_find_program_in_path ("desktop-file-validate");
  if (validate != NULL)
    {
      const char *argv[] = { validate, path, NULL };
      int status = 0;
      g_autofree char *out = NULL;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                   NULL, &status, &error));
      g_assert_true (g_spawn_check_wait_status (status, &error));
      g_assert_no_error (error);
    }
  /* off: gone; off again: nothing to do, no error */
  g_assert_true (chorus_autostart_set (FALSE, NULL, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (chorus_autostart_set (FALSE, NULL, &error));
  g_assert_no_error (error);
  /* the running program when none is named */
  g_assert_true (chorus_autostart_set (TRUE, NULL, &error));
  g_clear_pointer (&exec, g_free);
  g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, NULL);
  exec = g_key_file_get_string (entry, "Desktop Entry", "Exec", NULL);
  g_assert_true (g_str_has_suffix (exec, "test-autostart --background"));
  g_assert_true (chorus_autostart_set (FALSE, NULL, &error));
}

int
main (int argc, char **argv)
{
  /* before GLib looks at it */
  config_dir = g_dir_make_tmp ("chorus-autostart-XXXXXX", NULL);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/autostart/write-and-remove", test_write_and_remove);
  int ret = g_test_run ();
  g_autofree char *autostart = g_build_filename (config_dir, "autostart", NULL);
  g_rmdir (autostart);
  g_rmdir (config_dir);
  g_free (config_dir);
  return ret;
}
