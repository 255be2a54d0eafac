/* chorus-enroll-admin.c: the enrollment server's TLS identity and
 * invitations (RFC 6940 §11.2, §11.3).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-admin.h"

#include <string.h>

#include "chorus-enroll-error.h"
#include "chorus-enroll-store.h"
#include "chorus-invite.h"
#include "chorus-pinned-database.h"
#include "reload-credentials.h"

char *
chorus_enroll_full_user_name (const char *user, const char *overlay)
{
  if (strchr (user, '@') != NULL)
    return g_strdup (user);
  return g_strdup_printf ("%s@%s", user, overlay);
}

ReloadConfig *
chorus_enroll_load_config (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, CHORUS_ENROLL_CONFIG_FILE, NULL);
  g_autoptr (ReloadCredentials) ca = reload_credentials_load (dir, error);
  if (ca == NULL)
    return NULL;
  g_autoptr (ReloadConfig) cfg = reload_config_load_file (path, NULL, error);
  if (cfg == NULL || !reload_config_verify (cfg, ca->ca, NULL, error))
    return NULL;
  return g_steal_pointer (&cfg);
}

/* The host of the configuration's first https: enrollment-server, or
 * NULL. */
static GUri *
enrollment_uri (const ReloadConfig *cfg)
{
  for (guint i = 0; i < cfg->enrollment_servers->len; i++)
    {
      GUri *uri =
          g_uri_parse (g_ptr_array_index (cfg->enrollment_servers, i), G_URI_FLAGS_NONE, NULL);
      if (uri != NULL && g_str_equal (g_uri_get_scheme (uri), "https")
          && g_uri_get_host (uri) != NULL)
        return uri;
      g_clear_pointer (&uri, g_uri_unref);
    }
  return NULL;
}

GTlsCertificate *
chorus_enroll_server_identity (const char *dir, const ReloadConfig *cfg, guint8 fingerprint[32],
                               GError **error)
{
  g_autofree char *sdir = g_build_filename (dir, CHORUS_ENROLL_SERVER_DIR, NULL);
  g_autofree char *cert_path = g_build_filename (sdir, RELOAD_CREDENTIALS_CERT_FILE, NULL);
  g_autofree char *key_path = g_build_filename (sdir, RELOAD_CREDENTIALS_KEY_FILE, NULL);
  if (!g_file_test (cert_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (ReloadCredentials) ca = reload_credentials_load (dir, error);
      if (ca == NULL)
        return NULL;
      if (ca->ca_key == NULL)
        {
          g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                       "%s has no CA key (ca-key.pem)", dir);
          return NULL;
        }
      /* §11.3: "The server certificate MUST match the overlay name";
       * and the host of the enrollment URL, which a device may reach by
       * address (invitation links are checked by fingerprint) */
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (names, g_strdup (cfg->instance_name));
      g_autoptr (GUri) uri = enrollment_uri (cfg);
      if (uri != NULL && g_strcmp0 (g_uri_get_host (uri), cfg->instance_name) != 0)
        g_ptr_array_add (names, g_strdup (g_uri_get_host (uri)));
      g_ptr_array_add (names, NULL);
      g_autoptr (ReloadCredentials) server = reload_credentials_new ();
      server->ca = reload_cert_ref (ca->ca);
      server->key = reload_key_generate (RELOAD_KEY_ECDSA_P256, error);
      if (server->key == NULL)
        return NULL;
      /* ten years: the fingerprint is in every invitation */
      server->cert = reload_credentials_issue_server (
          ca->ca, ca->ca_key, server->key, (const char *const *) names->pdata, 3650, error);
      if (server->cert == NULL || !reload_credentials_save (server, sdir, error))
        return NULL;
    }
  g_autoptr (GTlsCertificate) tls = g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (tls == NULL)
    return NULL;
  if (!chorus_tls_certificate_fingerprint (tls, fingerprint))
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED, "%s: no certificate",
                   cert_path);
      return NULL;
    }
  return g_steal_pointer (&tls);
}

char *
chorus_enroll_create_invite (const char *dir, const char *user, gint64 lifetime_s, GError **error)
{
  g_autoptr (ReloadConfig) cfg = chorus_enroll_load_config (dir, error);
  if (cfg == NULL)
    return NULL;
  g_autoptr (GUri) uri = enrollment_uri (cfg);
  if (uri == NULL)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                   "the overlay's configuration names no https: enrollment server "
                   "(create the overlay with chorus-enroll init --enrollment-url URL)");
      return NULL;
    }
  g_autoptr (ChorusInvite) inv = g_new0 (ChorusInvite, 1);
  inv->user = chorus_enroll_full_user_name (user, cfg->instance_name);
  /* the same rule as the certificate's rfc822Name (§11.3) */
  if (!reload_credentials_user_name_valid (inv->user))
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE,
                   "a user name is printable ASCII without spaces, at most 255 bytes");
      return NULL;
    }
  g_autoptr (GTlsCertificate) tls =
      chorus_enroll_server_identity (dir, cfg, inv->fingerprint, error);
  if (tls == NULL)
    return NULL;
  g_autoptr (ChorusEnrollStore) store = chorus_enroll_store_open (dir, error);
  if (store == NULL)
    return NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  inv->secret = chorus_enroll_store_add_invite (store, inv->user, now, now + lifetime_s, error);
  if (inv->secret == NULL)
    return NULL;
  inv->host = g_strdup (g_uri_get_host (uri));
  inv->port =
      g_uri_get_port (uri) > 0 ? (guint16) g_uri_get_port (uri) : CHORUS_INVITE_DEFAULT_PORT;
  const char *path = g_uri_get_path (uri);
  inv->path = g_strdup (path != NULL && *path == '/' ? path : CHORUS_ENROLL_DEFAULT_PATH);
  inv->overlay = g_strdup (cfg->instance_name);
  return chorus_invite_to_string (inv);
}
