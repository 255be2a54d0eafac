/* replay.c: runs a libFuzzer target over files, without libFuzzer, so that
 * every test run replays the seed corpus (and any crash once found) under
 * the normal compiler and the sanitizers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  guint files = 0;
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      if (dir == NULL)
        {
          g_autofree char *contents = NULL;
          gsize len;
          if (!g_file_get_contents (argv[i], &contents, &len, NULL))
            g_error ("cannot read %s", argv[i]);
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
          files++;
          continue;
        }
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize len;
          if (!g_file_get_contents (path, &contents, &len, NULL))
            continue;
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
          files++;
        }
    }
  g_print ("replayed %u inputs\n", files);
  return files > 0 ? 0 : 1;
}
