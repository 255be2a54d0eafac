/* chorus-enroll: creates an overlay and issues its peers' certificates.
 *
 *   chorus-enroll init --overlay NAME --dir DIR [--rsa] [--bootstrap ADDR:PORT ...]
 *                      [--kind ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]] ...]
 *                      [--enrollment-url URL] [--multicast-bootstrap[=GROUP:PORT] ...]
 *                      [--turn-user USER --turn-password PASSWORD] [--turn-density N]
 *   chorus-enroll issue --dir DIR --user NAME --out PROFILE [--rsa] [--node-ids N]
 *                       [--node-id-of PROFILE]
 *   chorus-enroll serve --dir DIR --listen ADDR:PORT [--max-node-ids N]
 *   chorus-enroll invite --dir DIR --user NAME [--expires DURATION] [--qr FILE.png]
 *   chorus-enroll update --dir DIR [--kind ...] [--bootstrap ADDR:PORT ...]
 *                        [--multicast-bootstrap[=GROUP:PORT] ...] [--no-multicast-bootstrap]
 *                        [--turn-user USER --turn-password PASSWORD | --no-turn-credential]
 *                        [--turn-density N]
 *
 * `init` makes the overlay's root CA (RFC 6940 §11.3: the enrollment
 * server's CA; ECDSA P-256 unless --rsa) in DIR (ca.pem, ca-key.pem 0600),
 * the identity that signs the overlay's configuration (DIR/signer/, a
 * certificate of the CA whose Node-ID is the configuration-signer and
 * kind-signer), and the signed configuration document DIR/config.xml
 * (§11.1): the standard kinds plus the administrator's (--kind, as
 * kind-blocks), the bootstrap nodes, the CA as root-cert.
 * `issue` makes a peer's key and a certificate for it signed by that CA,
 * with Node-IDs chosen at random by the issuer (§11.3: "the enrollment
 * server ... selects the Node-IDs"), and writes the profile directory a
 * peer runs with (ca.pem, cert.pem, key.pem; no CA key).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gnutls/crypto.h>
#include <locale.h>
#include <string.h>

#include "chord-id.h"
#include "chorus-enroll-create.h"
#include "enroll-commands.h"
#include "enroll-kind.h"
#include "enroll-update.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-x509-signer.h"

#define EXIT_USAGE 64
#define CONFIG_FILE "config.xml"

static int
cmd_init (int argc, char **argv)
{
  g_autofree char *overlay = NULL;
  g_autofree char *dir = NULL;
  gboolean rsa = FALSE;
  g_auto (GStrv) bootstrap = NULL;
  g_auto (GStrv) kinds = NULL;
  gboolean ice = FALSE;
  g_autofree char *enrollment_url = NULL;
  g_autoptr (GPtrArray) multicast = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *turn_user = NULL;
  g_autofree char *turn_password = NULL;
  gint turn_density = -1;
  GOptionEntry entries[] = {
    { "overlay", 0, 0, G_OPTION_ARG_STRING, &overlay, "Overlay name (a DNS name)", "NAME" },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user,
      "The TURN credential every TURN server of the overlay takes (with --turn-password)", "USER" },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &turn_password,
      "Its password (in the configuration, which anyone may fetch)", "PASSWORD" },
    { "turn-density", 0, 0, G_OPTION_ARG_INT, &turn_density,
      "TURN-SERVICE values per TURN server (RFC 6940 §9, §11.1; default 1)", "N" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "rsa", 0, 0, G_OPTION_ARG_NONE, &rsa, "RSA-2048 instead of ECDSA P-256", NULL },
    { "bootstrap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bootstrap,
      "A bootstrap node of the configuration (repeatable)", "ADDR:PORT" },
    { "ice", 0, 0, G_OPTION_ARG_NONE, &ice,
      "Attach with full ICE (DTLS-UDP-SR links); the default is No-ICE (TLS-TCP-FH)", NULL },
    { "kind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &kinds,
      "A kind of the overlay (repeatable), e.g. 4000:NOTES:array:USER-MATCH:100:1024",
      "ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]]" },
    { "enrollment-url", 0, 0, G_OPTION_ARG_STRING, &enrollment_url,
      "The enrollment server (https://HOST:PORT/PATH; chorus-enroll serve)", "URL" },
    { "multicast-bootstrap", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
      enroll_multicast_option,
      "Let peers find each other on this multicast group of the local link (a Chorus "
      "extension; default " RELOAD_CONFIG_DEFAULT_MULTICAST_BOOTSTRAP ")",
      "GROUP:PORT" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- create an overlay");
  /* the group's user data is what the --multicast-bootstrap callback gets */
  GOptionGroup *main_group = g_option_group_new (NULL, NULL, NULL, multicast, NULL);
  g_option_group_add_entries (main_group, entries);
  g_option_context_set_main_group (ctx, main_group);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || overlay == NULL || dir == NULL)
    {
      g_printerr ("chorus-enroll init: %s\n",
                  error ? error->message : "--overlay NAME and --dir DIR are required");
      return EXIT_USAGE;
    }
  /* everything the options say is checked before anything is written */
  g_autoptr (ReloadConfig) cfg = reload_config_new ();
  cfg->instance_name = g_strdup (overlay);
  cfg->sequence = 1;
  /* §6.5.1: "An overlay MUST be either all ICE or all No-ICE"; chorus-peer
   * links are TLS-TCP-FH-NO-ICE (§6.6.5) unless the overlay asks for ICE */
  cfg->no_ice = !ice;
  /* §11.1 enrollment-server; §11.3: "If the Configuration Document
   * contains an enrollment-server element, credentials are REQUIRED" */
  if (enrollment_url != NULL)
    g_ptr_array_add (cfg->enrollment_servers, g_strdup (enrollment_url));
  /* Chorus's extension: the overlay's TURN credential (RFC 6940 §9's
   * TurnServer carries none); validate() wants both parts */
  cfg->turn_username = g_strdup (turn_user);
  cfg->turn_password = g_strdup (turn_password);
  if (turn_density >= 0 && turn_density <= 255)
    cfg->turn_density = (guint8) turn_density;
  else if (turn_density != -1)
    {
      g_printerr ("chorus-enroll init: --turn-density is 0 to 255\n");
      return EXIT_USAGE;
    }
  for (guint i = 0; kinds != NULL && kinds[i] != NULL; i++)
    {
      ReloadConfigKind *k = enroll_parse_kind (kinds[i], &error);
      if (k == NULL)
        {
          g_printerr ("chorus-enroll init: %s\n", error->message);
          return EXIT_USAGE;
        }
      g_ptr_array_add (cfg->kinds, k);
    }
  for (guint i = 0; bootstrap != NULL && bootstrap[i] != NULL; i++)
    if (!enroll_add_bootstrap (cfg, bootstrap[i], &error))
      {
        g_printerr ("chorus-enroll init: %s\n", error->message);
        return EXIT_USAGE;
      }
  if (!enroll_add_multicast (cfg, multicast, &error))
    {
      g_printerr ("chorus-enroll init: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (!chorus_enroll_create_overlay (dir, cfg, rsa, &error))
    {
      g_printerr ("chorus-enroll init: %s\n", error->message);
      return g_error_matches (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID) ? EXIT_USAGE
                                                                                       : 1;
    }
  g_autofree char *path = g_build_filename (dir, CONFIG_FILE, NULL);
  g_print ("overlay %s created in %s (configuration %s, sequence %u, %u kinds of its own)\n",
           overlay, dir, path, cfg->sequence, cfg->kinds->len);
  return 0;
}

static int
cmd_issue (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *user = NULL;
  g_autofree char *out = NULL;
  gboolean rsa = FALSE;
  gint n_node_ids = 1;
  g_autofree char *node_id_of = NULL;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "User name (rfc822Name, e.g. alice@example.org)",
      "NAME" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Profile directory to write", "PROFILE" },
    { "rsa", 0, 0, G_OPTION_ARG_NONE, &rsa, "RSA-2048 instead of ECDSA P-256", NULL },
    { "node-ids", 0, 0, G_OPTION_ARG_INT, &n_node_ids, "Number of Node-IDs (default 1)", "N" },
    { "node-id-of", 0, 0, G_OPTION_ARG_FILENAME, &node_id_of,
      "The Node-ID of that peer's profile instead of a new one (a user of a SIP adapter "
      "peer: the adapter's profile)",
      "PROFILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- issue a peer's certificate");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || dir == NULL || user == NULL
      || out == NULL || n_node_ids < 1 || n_node_ids > 16)
    {
      g_printerr ("chorus-enroll issue: %s\n",
                  error ? error->message
                        : "--dir DIR, --user NAME and --out PROFILE are required "
                          "(--node-ids 1 to 16)");
      return EXIT_USAGE;
    }
  ReloadNodeId first = { 0 };
  if (node_id_of != NULL)
    {
      /* RFC 7904 §3.2: a proxy peer storing the registration of a user it
       * serves signs it with that user's credential, and the Node-ID the
       * Store comes from must be in that credential (RFC 6940 §6.3.4): the
       * user's certificate carries the proxy peer's Node-ID */
      g_autoptr (ReloadCredentials) other = reload_credentials_load (node_id_of, &error);
      g_autoptr (ReloadCertIdentity) id =
          other && other->cert ? reload_cert_get_identity (other->cert, &error) : NULL;
      if (id == NULL)
        {
          g_printerr ("chorus-enroll issue: --node-id-of %s: %s\n", node_id_of,
                      error ? error->message : "no cert.pem");
          return 1;
        }
      first = id->node_ids[0];
      n_node_ids = 1;
    }
  g_autofree char *node_hex = NULL;
  g_autofree char *overlay = NULL;
  if (!chorus_enroll_issue_profile (dir, user, out, rsa, (guint) n_node_ids,
                                    node_id_of != NULL ? &first : NULL, &node_hex, &overlay,
                                    &error))
    {
      g_printerr ("chorus-enroll issue: %s\n", error->message);
      return 1;
    }
  g_print ("issued %s, Node-ID %s, overlay %s, into %s\n", user, node_hex, overlay, out);
  return 0;
}
int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr (
          "usage: chorus-enroll init --overlay NAME --dir DIR [--rsa] "
          "[--bootstrap ADDR:PORT ...] [--kind ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]] ...]\n"
          "                           [--enrollment-url URL] [--multicast-bootstrap[=GROUP:PORT] "
          "...]\n"
          "       chorus-enroll issue --dir DIR --user NAME --out PROFILE [--rsa]\n"
          "       chorus-enroll serve --dir DIR --listen ADDR:PORT [--max-node-ids N]\n"
          "       chorus-enroll invite --dir DIR --user NAME [--expires DURATION] "
          "[--qr FILE.png]\n"
          "       chorus-enroll update --dir DIR [--kind ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]] "
          "...] [--bootstrap ADDR:PORT ...]\n"
          "                            [--multicast-bootstrap[=GROUP:PORT] ...] "
          "[--no-multicast-bootstrap]\n");
      return EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "init"))
    return cmd_init (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "issue"))
    return cmd_issue (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "serve"))
    return enroll_cmd_serve (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "invite"))
    return enroll_cmd_invite (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "update"))
    return enroll_cmd_update (argc - 1, argv + 1);
  g_printerr ("chorus-enroll: unknown command “%s” (init, issue, serve, invite, update)\n",
              argv[1]);
  return EXIT_USAGE;
}
