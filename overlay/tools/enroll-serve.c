/* enroll-serve.c: `chorus-enroll serve --dir DIR --listen ADDR:PORT
 * [--max-node-ids N]`: the overlay's enrollment and configuration server
 * (chorus-enroll-server.h) until SIGTERM or SIGINT.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-enroll"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chorus-enroll-server.h"
#include "chorus-invite.h"
#include "enroll-commands.h"

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  const char *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%FT%TZ");
  fprintf (stderr, "%s chorus-enroll[%d]: %s%s\n", stamp, (int) getpid (),
           (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)) ? "warning: " : "",
           message ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
split_listen (const char *text, char **host, guint16 *port)
{
  const char *colon = strrchr (text, ':');
  guint64 p = 0;
  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    return FALSE;
  *host = g_strndup (text, (gsize) (colon - text));
  if ((*host)[0] == '[' && g_str_has_suffix (*host, "]"))
    {
      char *inner = g_strndup (*host + 1, strlen (*host) - 2);
      g_free (*host);
      *host = inner;
    }
  *port = (guint16) p;
  return TRUE;
}

int
enroll_cmd_serve (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *listen = NULL;
  gint max_node_ids = CHORUS_ENROLL_DEFAULT_MAX_NODE_IDS;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port to serve HTTPS on",
      "ADDR:PORT" },
    { "max-node-ids", 0, 0, G_OPTION_ARG_INT, &max_node_ids,
      "Most Node-IDs one certificate may ask for (default 4)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- serve enrollment and configuration");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || dir == NULL || listen == NULL
      || !split_listen (listen, &host, &port) || max_node_ids < 1 || max_node_ids > 16)
    {
      g_printerr ("chorus-enroll serve: %s\n",
                  error ? error->message
                        : "--dir DIR and --listen ADDR:PORT are required (--max-node-ids 1 to 16)");
      return ENROLL_EXIT_USAGE;
    }
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_autoptr (ChorusEnrollServer) server = chorus_enroll_server_new (dir, &error);
  if (server == NULL || !chorus_enroll_server_listen (server, host, port, &error))
    {
      g_printerr ("chorus-enroll serve: %s\n", error->message);
      return 1;
    }
  chorus_enroll_server_set_max_node_ids (server, (guint) max_node_ids);
  g_autofree char *fp = chorus_fingerprint_to_hex (chorus_enroll_server_get_fingerprint (server));
  gboolean v6 = strchr (host, ':') != NULL;
  g_print ("serving https://%s%s%s:%u (configuration at /.well-known/reload-config), "
           "certificate SHA-256 %s\n",
           v6 ? "[" : "", host, v6 ? "]" : "", chorus_enroll_server_get_port (server), fp);
  fflush (stdout);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  g_message ("stopped");
  return 0;
}
