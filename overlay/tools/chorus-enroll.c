/* chorus-enroll: creates an overlay and issues its peers' certificates.
 *
 *   chorus-enroll init --overlay NAME --dir DIR [--rsa]
 *   chorus-enroll issue --dir DIR --user NAME --out PROFILE [--rsa] [--node-ids N]
 *
 * `init` makes the overlay's root CA (RFC 6940 §11.3: the enrollment
 * server's CA; ECDSA P-256 unless --rsa) in DIR (ca.pem, ca-key.pem 0600).
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
#include "reload-credentials.h"

#define EXIT_USAGE 64

static int
cmd_init (int argc, char **argv)
{
  g_autofree char *overlay = NULL;
  g_autofree char *dir = NULL;
  gboolean rsa = FALSE;
  GOptionEntry entries[] = {
    { "overlay", 0, 0, G_OPTION_ARG_STRING, &overlay, "Overlay name (a DNS name)", "NAME" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "rsa", 0, 0, G_OPTION_ARG_NONE, &rsa, "RSA-2048 instead of ECDSA P-256", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- create an overlay");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || overlay == NULL || dir == NULL)
    {
      g_printerr ("chorus-enroll init: %s\n",
                  error ? error->message : "--overlay NAME and --dir DIR are required");
      return EXIT_USAGE;
    }
  g_autofree char *existing = g_build_filename (dir, RELOAD_CREDENTIALS_CA_KEY_FILE, NULL);
  if (g_file_test (existing, G_FILE_TEST_EXISTS))
    {
      g_printerr ("chorus-enroll init: %s exists: this directory holds an overlay already\n",
                  existing);
      return 1;
    }
  g_autoptr (ReloadCredentials) creds = reload_credentials_new ();
  creds->ca = reload_credentials_create_root_ca (
      overlay, rsa ? RELOAD_KEY_RSA_2048 : RELOAD_KEY_ECDSA_P256, 0, &creds->ca_key, &error);
  if (creds->ca == NULL || !reload_credentials_save (creds, dir, &error))
    {
      g_printerr ("chorus-enroll init: %s\n", error->message);
      return 1;
    }
  g_print ("overlay %s created in %s\n", overlay, dir);
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
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay's CA", "DIR" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "User name (rfc822Name, e.g. alice@example.org)",
      "NAME" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Profile directory to write", "PROFILE" },
    { "rsa", 0, 0, G_OPTION_ARG_NONE, &rsa, "RSA-2048 instead of ECDSA P-256", NULL },
    { "node-ids", 0, 0, G_OPTION_ARG_INT, &n_node_ids, "Number of Node-IDs (default 1)", "N" },
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
  g_autoptr (ReloadCredentials) ca = reload_credentials_load (dir, &error);
  if (ca == NULL)
    {
      g_printerr ("chorus-enroll issue: %s\n", error->message);
      return 1;
    }
  if (ca->ca_key == NULL)
    {
      g_printerr ("chorus-enroll issue: %s has no CA key (ca-key.pem)\n", dir);
      return 1;
    }
  g_autoptr (GError) id_error = NULL;
  g_autofree char *ca_cn = NULL;
  /* the overlay's name, from the CA: "<overlay> RELOAD root CA" */
  {
    char buf[256];
    size_t len = sizeof buf;
    if (gnutls_x509_crt_get_dn_by_oid (reload_cert_get_x509 (ca->ca), GNUTLS_OID_X520_COMMON_NAME,
                                       0, 0, buf, &len)
        == 0)
      ca_cn = g_strndup (buf, len);
  }
  if (ca_cn == NULL || !g_str_has_suffix (ca_cn, " RELOAD root CA"))
    {
      g_printerr ("chorus-enroll issue: %s/ca.pem is not an overlay root of chorus-enroll init\n",
                  dir);
      return 1;
    }
  ca_cn[strlen (ca_cn) - strlen (" RELOAD root CA")] = '\0';
  ReloadNodeId ids[16];
  for (gint i = 0; i < n_node_ids; i++)
    {
      /* 128-bit Node-IDs for CHORD-RELOAD (§10.2), from the system's
       * random generator: the issuer's choice, unpredictable to the peer
       * (§13.3) */
      ids[i].len = 16;
      if (gnutls_rnd (GNUTLS_RND_RANDOM, ids[i].id, 16) != 0)
        {
          g_printerr ("chorus-enroll issue: no random numbers\n");
          return 1;
        }
    }
  g_autoptr (ReloadCredentials) peer = reload_credentials_new ();
  peer->ca = reload_cert_ref (ca->ca);
  peer->key = reload_key_generate (rsa ? RELOAD_KEY_RSA_2048 : RELOAD_KEY_ECDSA_P256, &error);
  if (peer->key != NULL)
    peer->cert = reload_credentials_issue_peer (ca->ca, ca->ca_key, peer->key, user, ca_cn, ids,
                                                (guint) n_node_ids, 0, &error);
  if (peer->cert == NULL || !reload_credentials_save (peer, out, &error))
    {
      g_printerr ("chorus-enroll issue: %s\n", error->message);
      return 1;
    }
  char hex[33];
  g_print ("issued %s, Node-ID %s, overlay %s, into %s\n", user,
           chord_id_to_hex (chord_id_from_node_id (&ids[0]), hex), ca_cn, out);
  return 0;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr ("usage: chorus-enroll init --overlay NAME --dir DIR [--rsa]\n"
                  "       chorus-enroll issue --dir DIR --user NAME --out PROFILE [--rsa]\n");
      return EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "init"))
    return cmd_init (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "issue"))
    return cmd_issue (argc - 1, argv + 1);
  g_printerr ("chorus-enroll: unknown command “%s” (init, issue)\n", argv[1]);
  return EXIT_USAGE;
}
