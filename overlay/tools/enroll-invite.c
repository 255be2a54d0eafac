/* enroll-invite.c: `chorus-enroll invite --dir DIR --user NAME
 * [--expires DURATION] [--qr FILE.png]`: a one-time invitation, printed
 * as an enrollment link on the last line of the output (the syntax is in
 * chorus-invite.h and the README) and, with --qr, written as a QR code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "chorus-enroll-admin.h"
#include "chorus-invite-qr.h"
#include "enroll-commands.h"

gboolean
enroll_parse_duration (const char *text, gint64 *seconds)
{
  static const struct
  {
    char unit;
    gint64 factor;
  } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
  if (text == NULL || *text == '\0')
    return FALSE;
  gsize len = strlen (text);
  gint64 factor = 1;
  g_autofree char *number = g_strdup (text);
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (text[len - 1] == units[i].unit)
      {
        factor = units[i].factor;
        number[len - 1] = '\0';
      }
  guint64 n = 0;
  /* at most a year: an invitation is for someone expected soon */
  if (!g_ascii_string_to_unsigned (number, 10, 1, 366 * 86400, &n, NULL)
      || (gint64) n * factor > 366 * 86400)
    return FALSE;
  *seconds = (gint64) n * factor;
  return TRUE;
}

int
enroll_cmd_invite (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *user = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *qr = NULL;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user,
      "User name of the new device (\"alice\" becomes alice@OVERLAY)", "NAME" },
    { "expires", 0, 0, G_OPTION_ARG_STRING, &expires,
      "How long the link is valid: 90s, 30m, 12h, 7d, 2w (default 7d)", "DURATION" },
    { "qr", 0, 0, G_OPTION_ARG_FILENAME, &qr, "Also write the link as a QR code", "FILE.png" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- invite a device into the overlay");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  gint64 lifetime = CHORUS_INVITE_DEFAULT_LIFETIME_S;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || dir == NULL || user == NULL
      || (expires != NULL && !enroll_parse_duration (expires, &lifetime)))
    {
      g_printerr ("chorus-enroll invite: %s\n",
                  error ? error->message
                        : "--dir DIR and --user NAME are required; --expires takes 90s, 30m, "
                          "12h, 7d or 2w (at most a year)");
      return ENROLL_EXIT_USAGE;
    }
  g_autofree char *link = chorus_enroll_create_invite (dir, user, lifetime, &error);
  if (link == NULL)
    {
      g_printerr ("chorus-enroll invite: %s\n", error->message);
      return 1;
    }
  if (qr != NULL && !chorus_invite_qr_write_png (link, qr, &error))
    {
      g_printerr ("chorus-enroll invite: %s: %s\n", qr, error->message);
      return 1;
    }
  g_autoptr (GDateTime) until =
      g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC + lifetime);
  g_autofree char *when = g_date_time_format_iso8601 (until);
  g_print ("one-time invitation, valid until %s%s%s\n", when, qr ? ", QR code in " : "",
           qr ? qr : "");
  g_print ("%s\n", link);
  return 0;
}
