/* peer-join.c: `chorus-peer join LINK --profile DIR`: enrollment with an
 * invitation link (chorus-enroll-client.h) from the command line.
 *
 * Exit status: 0 joined; 3 the server refused (the link was used, has
 * expired, or another §11.3 refusal); 4 the server is not the one the
 * link names (fingerprint); 5 the server cannot be reached; 1 anything
 * else (a malformed link, a profile that holds an identity); 64 usage.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "peer-join.h"

#include <gio/gio.h>

#include "chorus-enroll-client.h"
#include "chorus-enroll-error.h"

#define EXIT_USAGE 64
#define EXIT_REFUSED 3
#define EXIT_FINGERPRINT 4
#define EXIT_UNREACHABLE 5

typedef struct
{
  GMainLoop *loop;
  int status;
} Join;

static int
status_of (const GError *error)
{
  if (error->domain != CHORUS_ENROLL_ERROR)
    return 1;
  switch (error->code)
    {
    case CHORUS_ENROLL_ERROR_LINK_USED:
    case CHORUS_ENROLL_ERROR_LINK_EXPIRED:
    case CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION:
    case CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE:
    case CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE:
    case CHORUS_ENROLL_ERROR_BAD_CSR:
      return EXIT_REFUSED;
    case CHORUS_ENROLL_ERROR_FINGERPRINT_MISMATCH:
      return EXIT_FINGERPRINT;
    case CHORUS_ENROLL_ERROR_UNREACHABLE:
      return EXIT_UNREACHABLE;
    default:
      return 1;
    }
}

static void
joined (GObject *source, GAsyncResult *res, gpointer data)
{
  Join *j = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusEnrollResult) r = chorus_enroll_join_finish (res, &error);
  if (r == NULL)
    {
      g_printerr ("chorus-peer join: %s\n", error->message);
      j->status = status_of (error);
    }
  else
    {
      g_print ("joined overlay %s as %s (Node-ID %s, configuration sequence %u); profile %s\n"
               "start the peer with: chorus-peer run --profile %s\n",
               r->overlay, r->user, r->node_id_hex, r->configuration_sequence, r->profile_dir,
               r->profile_dir);
      j->status = 0;
    }
  g_main_loop_quit (j->loop);
}

int
peer_cmd_join (int argc, char **argv)
{
  g_autofree char *profile = NULL;
  GOptionEntry entries[] = {
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile, "Profile directory to create", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("LINK - join an overlay with an invitation");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || profile == NULL || argc != 2)
    {
      g_printerr ("chorus-peer join: %s\n",
                  error ? error->message : "usage: chorus-peer join LINK --profile DIR");
      return EXIT_USAGE;
    }
  Join j = { g_main_loop_new (NULL, FALSE), 1 };
  chorus_enroll_join_async (argv[1], profile, NULL, joined, &j);
  g_main_loop_run (j.loop);
  g_main_loop_unref (j.loop);
  return j.status;
}
