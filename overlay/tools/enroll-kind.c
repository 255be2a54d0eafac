/* enroll-kind.c: --kind and --bootstrap of chorus-enroll (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "enroll-kind.h"

#include <string.h>

ReloadConfigKind *
enroll_parse_kind (const char *text, GError **error)
{
  g_auto (GStrv) f = g_strsplit (text, ":", -1);
  guint n = g_strv_length (f);
  guint64 id = 0, max_count = ENROLL_DEFAULT_KIND_MAX_COUNT,
          max_size = ENROLL_DEFAULT_KIND_MAX_SIZE;
  g_autoptr (ReloadConfigKind) k = reload_config_kind_new ();
  g_autofree char *model = n >= 3 ? g_ascii_strup (f[2], -1) : NULL;
  g_autofree char *policy = n >= 4 ? g_ascii_strup (f[3], -1) : NULL;
  if (n < 4 || n > 6 || !g_ascii_string_to_unsigned (f[0], 10, 1, G_MAXUINT32, &id, NULL)
      || *f[1] == '\0' || !reload_config_data_model_from_string (model, &k->data_model)
      || !reload_config_access_from_string (policy, &k->access_control)
      || (n >= 5 && !g_ascii_string_to_unsigned (f[4], 10, 1, G_MAXINT32, &max_count, NULL))
      || (n >= 6 && !g_ascii_string_to_unsigned (f[5], 10, 1, G_MAXINT32, &max_size, NULL)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--kind %s: expected ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]] with MODEL "
                   "single, array or dictionary and POLICY USER-MATCH, NODE-MATCH, "
                   "USER-NODE-MATCH or NODE-MULTIPLE",
                   text);
      return NULL;
    }
  k->id = (guint32) id;
  k->label = g_strdup (f[1]);
  k->max_count = (guint32) max_count;
  k->max_size = (guint32) max_size;
  /* §7.3.4: NODE-MULTIPLE needs its maximum i (§9's TURN-SERVICE uses 20) */
  if (k->access_control == RELOAD_ACCESS_NODE_MULTIPLE)
    k->max_node_multiple = 20;
  return g_steal_pointer (&k);
}

gboolean
enroll_add_bootstrap (ReloadConfig *cfg, const char *text, GError **error)
{
  const char *colon = strrchr (text, ':');
  guint64 port = 0;
  g_autofree char *host = colon ? g_strndup (text, (gsize) (colon - text)) : NULL;
  if (host != NULL && host[0] == '[' && g_str_has_suffix (host, "]"))
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  g_autoptr (GError) e = NULL;
  if (host == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL)
      || !reload_config_add_bootstrap_node (cfg, host, (guint16) port, &e))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--bootstrap %s: %s", text,
                   e ? e->message : "expected ADDR:PORT");
      return FALSE;
    }
  return TRUE;
}

gboolean
enroll_multicast_option (const char *name, const char *value, gpointer groups, GError **error)
{
  g_ptr_array_add (groups, g_strdup (value != NULL ? value : ""));
  return TRUE;
}

gboolean
enroll_add_multicast (ReloadConfig *cfg, GPtrArray *groups, GError **error)
{
  for (guint i = 0; i < groups->len; i++)
    {
      const char *text = g_ptr_array_index (groups, i);
      g_autoptr (GError) e = NULL;
      if (!reload_config_add_multicast_bootstrap (cfg, text, &e))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--multicast-bootstrap %s: %s", text, e->message);
          return FALSE;
        }
    }
  return TRUE;
}
