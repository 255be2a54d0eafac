/* enroll-update.c: `chorus-enroll update` (see the header).
 *
 * DIR is an overlay made by `chorus-enroll init`: its CA (ca.pem), the
 * identity that signs its configuration (DIR/signer/) and the signed
 * document DIR/config.xml.  The document is read and verified against the
 * CA, the kinds given with --kind are added (a kind of the same id is
 * replaced: new max-count or max-size, §11.1 "the new information in the
 * configuration files overrides any previously learned information"), the
 * bootstrap nodes given with --bootstrap are added, the sequence goes to
 * the next one (§6.3.2.1: 0 after 65534), and the document is signed again
 * by DIR/signer/ (a configuration-signer of the previous document, as
 * §11.1 requires of "any configuration file") and written in place of the
 * old one atomically.  Running peers take it with `chorus-peer ctl
 * config-update DIR/config.xml`, and pass it on to one another in
 * ConfigUpdate (§6.5.4).
 *
 * --multicast-bootstrap [GROUP:PORT] adds a multicast group of the local
 * link (Chorus's <chorus:multicast-bootstrap>), --no-multicast-bootstrap
 * drops those the document held.  --turn-user USER --turn-password
 * PASSWORD replaces the overlay's TURN credential (Chorus's
 * <chorus:turn-username>/<chorus:turn-password>; --no-turn-credential
 * drops it), --turn-density N the turn-density (§11.1).  Peers take them
 * at their next start (ICE agents are made with them).  Elements of other
 * namespaces that the
 * old document carried, except Chorus's own (kind names, multicast
 * groups), are not written again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "enroll-update.h"

#include <string.h>

#include "enroll-kind.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-x509-signer.h"

#define EXIT_USAGE 64
#define CONFIG_FILE "config.xml"
#define SIGNER_DIR "signer"

static void
add_kind (ReloadConfig *cfg, ReloadConfigKind *k)
{
  for (guint i = 0; i < cfg->kinds->len; i++)
    if (((ReloadConfigKind *) g_ptr_array_index (cfg->kinds, i))->id == k->id)
      {
        g_ptr_array_remove_index (cfg->kinds, i);
        break;
      }
  g_ptr_array_add (cfg->kinds, k);
}

static gboolean
same_bootstrap (const ReloadConfigBootstrap *a, const ReloadConfigBootstrap *b)
{
  return a->port == b->port && g_strcmp0 (a->address, b->address) == 0;
}

/* Everything the options say, applied to @cfg. */
static gboolean
apply_options (ReloadConfig *cfg, char **kinds, char **bootstrap, GPtrArray *multicast,
               gboolean no_multicast, GError **error)
{
  /* Chorus's extension: --no-multicast-bootstrap drops the groups held,
   * --multicast-bootstrap adds one */
  if (no_multicast)
    g_ptr_array_set_size (cfg->multicast_bootstrap, 0);
  if (!enroll_add_multicast (cfg, multicast, error))
    return FALSE;
  for (guint i = 0; kinds != NULL && kinds[i] != NULL; i++)
    {
      ReloadConfigKind *k = enroll_parse_kind (kinds[i], error);
      if (k == NULL)
        return FALSE;
      add_kind (cfg, k);
    }
  for (guint i = 0; bootstrap != NULL && bootstrap[i] != NULL; i++)
    {
      if (!enroll_add_bootstrap (cfg, bootstrap[i], error))
        return FALSE;
      /* already there: once is enough */
      GArray *b = cfg->bootstrap_nodes;
      const ReloadConfigBootstrap *added = &g_array_index (b, ReloadConfigBootstrap, b->len - 1);
      for (guint j = 0; j + 1 < b->len; j++)
        if (same_bootstrap (&g_array_index (b, ReloadConfigBootstrap, j), added))
          {
            g_array_remove_index (b, b->len - 1);
            break;
          }
    }
  return TRUE;
}

static int
fail (const char *message)
{
  g_printerr ("chorus-enroll update: %s\n", message);
  return 1;
}

int
enroll_cmd_update (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_auto (GStrv) bootstrap = NULL;
  g_auto (GStrv) kinds = NULL;
  g_autoptr (GPtrArray) multicast = g_ptr_array_new_with_free_func (g_free);
  gboolean no_multicast = FALSE;
  g_autofree char *turn_user = NULL;
  g_autofree char *turn_password = NULL;
  gboolean no_turn_credential = FALSE;
  gint turn_density = -1;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory of the overlay (chorus-enroll init)",
      "DIR" },
    { "kind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &kinds,
      "A kind to add (repeatable; one of the same id is replaced), e.g. "
      "4001:LIVE:dictionary:USER-MATCH",
      "ID:NAME:MODEL:POLICY[:MAX_COUNT[:MAX_SIZE]]" },
    { "bootstrap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bootstrap,
      "A bootstrap node to add (repeatable)", "ADDR:PORT" },
    { "multicast-bootstrap", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
      enroll_multicast_option,
      "A multicast group of the local link to add (a Chorus extension; without a value: "
      "the default group)",
      "GROUP:PORT" },
    { "no-multicast-bootstrap", 0, 0, G_OPTION_ARG_NONE, &no_multicast,
      "Drop the multicast groups the configuration holds (before adding any)", NULL },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user,
      "The overlay's TURN credential, replacing the one held (with --turn-password)", "USER" },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &turn_password, "Its password", "PASSWORD" },
    { "no-turn-credential", 0, 0, G_OPTION_ARG_NONE, &no_turn_credential,
      "Drop the TURN credential the configuration holds", NULL },
    { "turn-density", 0, 0, G_OPTION_ARG_INT, &turn_density,
      "TURN-SERVICE values per TURN server (RFC 6940 §9, §11.1)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- a new version of the overlay's configuration");
  /* the group's user data is what the --multicast-bootstrap callback gets */
  GOptionGroup *main_group = g_option_group_new (NULL, NULL, NULL, multicast, NULL);
  g_option_group_add_entries (main_group, entries);
  g_option_context_set_main_group (ctx, main_group);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || dir == NULL || argc > 1)
    {
      g_printerr ("chorus-enroll update: %s\n", error      ? error->message
                                                : argc > 1 ? "unexpected arguments"
                                                           : "--dir DIR is required");
      return EXIT_USAGE;
    }

  g_autoptr (ReloadCredentials) ca = reload_credentials_load (dir, &error);
  if (ca == NULL)
    return fail (error->message);
  g_autofree char *signer_dir = g_build_filename (dir, SIGNER_DIR, NULL);
  g_autoptr (ReloadCredentials) signer_creds = reload_credentials_load (signer_dir, &error);
  if (signer_creds == NULL || signer_creds->cert == NULL || signer_creds->key == NULL)
    {
      g_autofree char *m = g_strdup_printf (
          "%s: %s", signer_dir,
          error ? error->message : "no certificate and key of the configuration signer");
      return fail (m);
    }
  g_autoptr (ReloadX509Signer) signer =
      reload_x509_signer_new (ca->ca, signer_creds->cert, signer_creds->key, &error);
  if (signer == NULL)
    return fail (error->message);

  /* the document now: genuine, or nothing is signed on top of it */
  g_autofree char *path = g_build_filename (dir, CONFIG_FILE, NULL);
  g_autoptr (ReloadConfig) old = reload_config_load_file (path, NULL, &error);
  if (old == NULL || !reload_config_verify (old, ca->ca, NULL, &error))
    {
      g_autofree char *m = g_strdup_printf ("%s: %s", path, error->message);
      return fail (m);
    }
  g_autoptr (ReloadConfig) cfg = reload_config_load_file (path, NULL, &error);
  if (cfg == NULL)
    return fail (error->message);
  if (!apply_options (cfg, kinds, bootstrap, multicast, no_multicast, &error))
    {
      g_printerr ("chorus-enroll update: %s\n", error->message);
      return EXIT_USAGE;
    }
  if ((turn_user == NULL) != (turn_password == NULL) || (no_turn_credential && turn_user))
    {
      g_printerr ("chorus-enroll update: --turn-user and --turn-password go together, and not "
                  "with --no-turn-credential\n");
      return EXIT_USAGE;
    }
  if (turn_user != NULL || no_turn_credential)
    {
      /* Chorus's extension: the overlay's TURN credential (§9's TurnServer
       * carries none) */
      g_free (cfg->turn_username);
      g_free (cfg->turn_password);
      cfg->turn_username = g_strdup (turn_user);
      cfg->turn_password = g_strdup (turn_password);
    }
  if (turn_density > 255 || turn_density < -1)
    {
      g_printerr ("chorus-enroll update: --turn-density is 0 to 255\n");
      return EXIT_USAGE;
    }
  if (turn_density >= 0)
    cfg->turn_density = (guint8) turn_density;
  cfg->sequence = reload_config_next_sequence (old->sequence);
  if (!reload_config_validate (cfg, &error))
    {
      g_printerr ("chorus-enroll update: %s\n", error->message);
      return EXIT_USAGE;
    }
  g_autofree char *xml = reload_config_sign (cfg, reload_x509_security_ops (), signer, &error);
  if (xml == NULL)
    return fail (error->message);
  /* what the peers will check (§6.5.4.2), checked before anything is
   * written: the new document verifies as the successor of the old */
  g_autoptr (ReloadConfig) check = reload_config_parse (xml, strlen (xml), NULL, &error);
  if (check == NULL || !reload_config_check_update (old, check, &error)
      || !reload_config_verify (check, ca->ca, old, &error))
    {
      g_autofree char *m = g_strdup_printf ("the new document does not verify: %s", error->message);
      return fail (m);
    }
  /* in place of the old one, atomically (temporary file, renamed) */
  if (!g_file_set_contents_full (path, xml, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                 &error))
    return fail (error->message);
  g_print ("configuration of overlay %s in %s: sequence %u (was %u), %u kinds of its own, "
           "%u bootstrap nodes, %u multicast-bootstrap groups\n",
           check->instance_name, path, check->sequence, old->sequence, check->kinds->len,
           check->bootstrap_nodes->len, check->multicast_bootstrap->len);
  return 0;
}
