/* chorus-enroll-create.c: a new overlay (root CA, configuration signer,
 * signed configuration) and its peers' profiles, offline.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-create.h"

#include <gnutls/crypto.h>
#include <string.h>

#include "chord-id.h"
#include "chorus-enroll-admin.h"
#include "reload-credentials.h"
#include "reload-x509-signer.h"

#define ROOT_CA_SUFFIX " RELOAD root CA"

static gboolean
random_node_id (ReloadNodeId *id, GError **error)
{
  /* 128-bit Node-IDs for CHORD-RELOAD (§10.2), from the system's random
   * generator: the issuer's choice, unpredictable to the peer (§13.3) */
  id->len = 16;
  if (gnutls_rnd (GNUTLS_RND_RANDOM, id->id, 16) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no random numbers");
      return FALSE;
    }
  return TRUE;
}

/* The identity that signs configurations: a certificate of the overlay's
 * CA, kept in DIR/signer/ (a profile directory). */
static ReloadX509Signer *
make_config_signer (ReloadCredentials *ca, const char *overlay, const char *dir, gboolean rsa,
                    char **out_node_hex, GError **error)
{
  ReloadNodeId id;
  if (!random_node_id (&id, error))
    return NULL;
  g_autoptr (ReloadCredentials) signer = reload_credentials_new ();
  signer->ca = reload_cert_ref (ca->ca);
  signer->key = reload_key_generate (rsa ? RELOAD_KEY_RSA_2048 : RELOAD_KEY_ECDSA_P256, error);
  if (signer->key == NULL)
    return NULL;
  g_autofree char *user = g_strdup_printf ("configuration-signer@%s", overlay);
  signer->cert = reload_credentials_issue_peer (ca->ca, ca->ca_key, signer->key, user, overlay, &id,
                                                1, 0, error);
  g_autofree char *signer_dir = g_build_filename (dir, CHORUS_ENROLL_SIGNER_DIR, NULL);
  if (signer->cert == NULL || !reload_credentials_save (signer, signer_dir, error))
    return NULL;
  char hex[33];
  *out_node_hex = g_strdup (chord_id_to_hex (chord_id_from_node_id (&id), hex));
  return reload_x509_signer_new (ca->ca, signer->cert, signer->key, error);
}

gboolean
chorus_enroll_create_overlay (const char *dir, ReloadConfig *cfg, gboolean rsa, GError **error)
{
  g_return_val_if_fail (dir != NULL && cfg != NULL && cfg->instance_name != NULL, FALSE);
  g_autofree char *existing = g_build_filename (dir, RELOAD_CREDENTIALS_CA_KEY_FILE, NULL);
  if (g_file_test (existing, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s exists: this directory holds an overlay already", existing);
      return FALSE;
    }
  /* everything the administrator chose is checked before anything is
   * written */
  if (cfg->sequence == 0)
    cfg->sequence = 1;
  if (!reload_config_validate (cfg, error))
    return FALSE;
  const char *overlay = cfg->instance_name;
  g_autoptr (ReloadCredentials) creds = reload_credentials_new ();
  creds->ca = reload_credentials_create_root_ca (
      overlay, rsa ? RELOAD_KEY_RSA_2048 : RELOAD_KEY_ECDSA_P256, 0, &creds->ca_key, error);
  if (creds->ca == NULL || !reload_credentials_save (creds, dir, error))
    return FALSE;
  g_autofree char *signer_hex = NULL;
  g_autoptr (ReloadX509Signer) signer =
      make_config_signer (creds, overlay, dir, rsa, &signer_hex, error);
  if (signer == NULL)
    return FALSE;
  g_ptr_array_add (cfg->root_certs, reload_cert_ref (creds->ca));
  g_ptr_array_add (cfg->configuration_signers, g_strdup (signer_hex));
  g_ptr_array_add (cfg->kind_signers, g_strdup (signer_hex));
  g_autofree char *xml = reload_config_sign (cfg, reload_x509_security_ops (), signer, error);
  g_autofree char *path = g_build_filename (dir, CHORUS_ENROLL_CONFIG_FILE, NULL);
  return xml != NULL && g_file_set_contents (path, xml, -1, error);
}

/* The overlay's name, from its root CA: "<overlay> RELOAD root CA". */
static char *
overlay_of_ca (ReloadCert *ca)
{
  char buf[256];
  size_t len = sizeof buf;
  if (gnutls_x509_crt_get_dn_by_oid (reload_cert_get_x509 (ca), GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                     buf, &len)
      != 0)
    return NULL;
  g_autofree char *cn = g_strndup (buf, len);
  if (!g_str_has_suffix (cn, ROOT_CA_SUFFIX) || strlen (cn) == strlen (ROOT_CA_SUFFIX))
    return NULL;
  return g_strndup (cn, strlen (cn) - strlen (ROOT_CA_SUFFIX));
}

gboolean
chorus_enroll_issue_profile (const char *dir, const char *user, const char *out, gboolean rsa,
                             guint n_node_ids, const ReloadNodeId *first_node_id,
                             char **node_id_hex, char **overlay, GError **error)
{
  g_return_val_if_fail (dir != NULL && user != NULL && out != NULL, FALSE);
  if (n_node_ids < 1 || n_node_ids > 16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "1 to 16 Node-IDs");
      return FALSE;
    }
  g_autoptr (ReloadCredentials) ca = reload_credentials_load (dir, error);
  if (ca == NULL)
    return FALSE;
  if (ca->ca_key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has no CA key (ca-key.pem)", dir);
      return FALSE;
    }
  g_autofree char *name = overlay_of_ca (ca->ca);
  if (name == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s/ca.pem is not an overlay root of chorus-enroll init", dir);
      return FALSE;
    }
  ReloadNodeId ids[16];
  for (guint i = 0; i < n_node_ids; i++)
    if (i == 0 && first_node_id != NULL)
      ids[0] = *first_node_id;
    else if (!random_node_id (&ids[i], error))
      return FALSE;
  g_autoptr (ReloadCredentials) peer = reload_credentials_new ();
  peer->ca = reload_cert_ref (ca->ca);
  peer->key = reload_key_generate (rsa ? RELOAD_KEY_RSA_2048 : RELOAD_KEY_ECDSA_P256, error);
  if (peer->key == NULL)
    return FALSE;
  peer->cert = reload_credentials_issue_peer (ca->ca, ca->ca_key, peer->key, user, name, ids,
                                              n_node_ids, 0, error);
  if (peer->cert == NULL || !reload_credentials_save (peer, out, error))
    return FALSE;
  /* the overlay's configuration goes with the profile, byte for byte (its
   * signatures cover the exact bytes, §11.1) */
  g_autofree char *config_in = g_build_filename (dir, CHORUS_ENROLL_CONFIG_FILE, NULL);
  g_autofree char *config_out = g_build_filename (out, CHORUS_ENROLL_CONFIG_FILE, NULL);
  g_autofree char *config = NULL;
  gsize config_len = 0;
  if (g_file_get_contents (config_in, &config, &config_len, NULL)
      && !g_file_set_contents (config_out, config, (gssize) config_len, error))
    return FALSE;
  if (node_id_hex != NULL)
    {
      char hex[33];
      *node_id_hex = g_strdup (chord_id_to_hex (chord_id_from_node_id (&ids[0]), hex));
    }
  if (overlay != NULL)
    *overlay = g_steal_pointer (&name);
  return TRUE;
}
