/* fuzz-config.c: libFuzzer target for the overlay configuration document
 * (RFC 6940 §11.1): parsing with libxml2 and the RELAX NG grammar,
 * validation of values, and verification of signatures against a fixed
 * root (which must always fail: no input can carry a valid signature of
 * this process's throwaway key).
 *
 * A document that parses must also survive writing: reload_config_to_xml
 * gives a document that parses back to an equal configuration.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static ReloadCert *root;

static void
quiet (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (root == NULL)
    {
      g_log_set_default_handler (quiet, NULL);
      ReloadKey *key = NULL;
      root =
          reload_credentials_create_root_ca ("fuzz.example", RELOAD_KEY_ECDSA_P256, 0, &key, NULL);
      reload_key_free (key);
    }
  g_autoptr (ReloadConfig) cfg = reload_config_parse ((const char *) data, size, NULL, NULL);
  if (cfg == NULL)
    return 0;
  if (reload_config_verify (cfg, root, NULL, NULL))
    {
      fprintf (stderr, "a configuration verified against a key nobody has\n");
      abort ();
    }
  ReloadKindTable *kinds = reload_config_get_kinds (cfg, NULL);
  g_clear_pointer (&kinds, reload_kind_table_unref);
  g_autofree char *xml = reload_config_to_xml (cfg, NULL);
  if (xml != NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ReloadConfig) back = reload_config_parse (xml, strlen (xml), NULL, &error);
      if (back == NULL || !reload_config_equal (cfg, back))
        {
          fprintf (stderr, "written configuration does not read back: %s\n",
                   error ? error->message : "not equal");
          abort ();
        }
    }
  return 0;
}
