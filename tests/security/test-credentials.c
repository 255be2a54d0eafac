/* test-credentials.c: the overlay root CA, peer certificates and their
 * subjectAltName identities (RFC 6940 §11.3), PEM/DER, profile
 * directories.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-credentials.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define OVERLAY "chorus.example"

/* made once: key generation is slow under the sanitizers */
static ReloadCert *ca;
static ReloadKey *ca_key;
static ReloadKey *peer_key;

static ReloadNodeId
node_id (guint8 fill, guint8 len)
{
  ReloadNodeId id = { 0 };
  id.len = len;
  for (guint i = 0; i < len; i++)
    id.id[i] = (guint8) (fill + i);
  return id;
}

static ReloadCert *
issue (const char *user, const ReloadNodeId *ids, guint n)
{
  g_autoptr (GError) error = NULL;
  ReloadCert *cert =
      reload_credentials_issue_peer (ca, ca_key, peer_key, user, OVERLAY, ids, n, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cert);
  return cert;
}

static void
test_root_ca (void)
{
  g_autoptr (GError) error = NULL;
  ReloadKeyType t;
  g_assert_true (reload_cert_get_key_type (ca, &t));
  g_assert_cmpint (t, ==, RELOAD_KEY_ECDSA_P256);
  g_assert_cmpint (reload_key_get_key_type (ca_key), ==, RELOAD_KEY_ECDSA_P256);
  g_assert_true (reload_cert_matches_key (ca, ca_key));
  g_assert_false (reload_cert_matches_key (ca, peer_key));
  /* self-signed, a CA */
  g_assert_true (reload_cert_verify (ca, ca, &error));
  g_assert_no_error (error);
  gnutls_x509_crt_t crt = reload_cert_get_x509 (ca);
  unsigned critical = 0;
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (crt, &critical, NULL, NULL), ==, 1);
  /* no Node-ID: not a peer certificate */
  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (ca, &error);
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_assert_null (id);
}

static void
test_peer_san (void)
{
  g_autoptr (GError) error = NULL;
  ReloadNodeId ids[2] = { node_id (0xa0, 16), node_id (0x10, 16) };
  g_autoptr (ReloadCert) cert = issue ("alice@" OVERLAY, ids, 2);

  g_assert_true (reload_cert_verify (cert, ca, &error));
  g_assert_no_error (error);
  g_assert_true (reload_cert_matches_key (cert, peer_key));

  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (cert, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id->user_name, ==, "alice@" OVERLAY);
  g_assert_cmpstr (id->overlay_name, ==, OVERLAY);
  g_assert_cmpuint (id->n_node_ids, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (id->node_ids[i].len, ==, 16);
      g_assert_cmpmem (id->node_ids[i].id, 16, ids[i].id, 16);
    }

  /* the URI as §11.3 and §14.15 shape it, and an empty subject */
  gnutls_x509_crt_t crt = reload_cert_get_x509 (cert);
  char buf[256];
  size_t size = sizeof buf;
  unsigned critical = 0;
  g_assert_cmpint (gnutls_x509_crt_get_subject_alt_name (crt, 0, buf, &size, NULL), ==,
                   GNUTLS_SAN_URI);
  g_assert_cmpstr (buf, ==, "reload://a0a1a2a3a4a5a6a7a8a9aaabacadaeaf@" OVERLAY "/");
  gnutls_datum_t ext = { NULL, 0 };
  g_assert_cmpint (gnutls_x509_crt_get_extension_by_oid2 (crt, "2.5.29.17", 0, &ext, &critical), >=,
                   0);
  g_assert_true (critical);
  gnutls_free (ext.data);
  gnutls_datum_t dn = { NULL, 0 };
  g_assert_cmpint (gnutls_x509_crt_get_raw_dn (crt, &dn), >=, 0);
  g_assert_cmpmem (dn.data, dn.size, "\x30\x00", 2); /* an empty RDNSequence */
  gnutls_free (dn.data);

  /* 20-byte Node-IDs */
  ReloadNodeId long_id = node_id (0x33, 20);
  g_autoptr (ReloadCert) cert20 = issue ("bob@" OVERLAY, &long_id, 1);
  g_autoptr (ReloadCertIdentity) id20 = reload_cert_get_identity (cert20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id20->user_name, ==, "bob@" OVERLAY);
  g_assert_cmpuint (id20->n_node_ids, ==, 1);
  g_assert_cmpuint (id20->node_ids[0].len, ==, 20);
  g_assert_cmpmem (id20->node_ids[0].id, 20, long_id.id, 20);
}

static void
test_foreign_ca (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadKey) other_key = NULL;
  g_autoptr (ReloadCert) other = reload_credentials_create_root_ca (
      "other.example", RELOAD_KEY_ECDSA_P256, 30, &other_key, &error);
  g_assert_no_error (error);
  ReloadNodeId id = node_id (1, 16);
  g_autoptr (ReloadCert) cert = reload_credentials_issue_peer (
      other, other_key, peer_key, "mallory@other.example", OVERLAY, &id, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_true (reload_cert_verify (cert, other, NULL));
  g_assert_false (reload_cert_verify (cert, ca, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED);
  g_clear_error (&error);
  /* nor is a root trusted by another */
  g_assert_false (reload_cert_verify (other, ca, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED);
  g_clear_error (&error);
  /* and the CA key must be the CA's */
  g_autoptr (ReloadCert) none = reload_credentials_issue_peer (
      ca, other_key, peer_key, "mallory@other.example", OVERLAY, &id, 1, 0, &error);
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH);
  g_assert_null (none);
}

static void
test_invalid_input (void)
{
  ReloadNodeId id = node_id (1, 16), short_id = node_id (1, 8);
  ReloadNodeId mixed[2] = { node_id (1, 16), node_id (2, 20) };
  struct
  {
    const char *user, *overlay;
    const ReloadNodeId *ids;
    guint n;
  } bad[] = {
    { "", OVERLAY, &id, 1 },
    { "has space@x", OVERLAY, &id, 1 },
    { "caf\xc3\xa9@x", OVERLAY, &id, 1 },
    { "alice@x", "", &id, 1 },
    { "alice@x", "a/b", &id, 1 },
    { "alice@x", "a@b", &id, 1 },
    { "alice@x", OVERLAY, &id, 0 },
    { "alice@x", OVERLAY, &short_id, 1 },
    { "alice@x", OVERLAY, mixed, 2 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ReloadCert) cert = reload_credentials_issue_peer (
          ca, ca_key, peer_key, bad[i].user, bad[i].overlay, bad[i].ids, bad[i].n, 0, &error);
      g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
      g_assert_null (cert);
    }

  g_autoptr (GError) error = NULL;
  static const guint8 garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  g_assert_null (reload_cert_new_from_data (garbage, sizeof garbage, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (reload_cert_new_from_data (NULL, 0, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  g_clear_error (&error);
  const char *pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  g_assert_null (reload_cert_new_from_data ((const guint8 *) pem, strlen (pem), &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (reload_key_new_from_data (garbage, sizeof garbage, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  g_clear_error (&error);
  g_autoptr (ReloadKey) none = NULL;
  g_assert_null (
      reload_credentials_create_root_ca ("bad overlay", RELOAD_KEY_ECDSA_P256, 0, &none, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_assert_null (none);
}

static void
test_pem_der (void)
{
  g_autoptr (GError) error = NULL;
  ReloadNodeId id = node_id (7, 16);
  g_autoptr (ReloadCert) cert = issue ("carol@" OVERLAY, &id, 1);
  g_autoptr (GBytes) der = reload_cert_get_der (cert);

  /* certificate: PEM and DER */
  g_autofree char *pem = reload_cert_export_pem (cert, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE-----"));
  g_autoptr (ReloadCert) from_pem =
      reload_cert_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) der2 = reload_cert_get_der (from_pem);
  g_assert_true (g_bytes_equal (der, der2));
  g_autoptr (ReloadCert) from_der = reload_cert_new_from_der (der, &error);
  g_assert_no_error (error);
  guint8 h1[32], h2[32], h3[32];
  reload_cert_get_sha256 (cert, h1);
  reload_cert_get_sha256 (from_pem, h2);
  reload_cert_get_sha256 (from_der, h3);
  g_assert_cmpmem (h1, 32, h2, 32);
  g_assert_cmpmem (h1, 32, h3, 32);
  guint8 expect[32];
  gsize dlen;
  const guint8 *d = g_bytes_get_data (der, &dlen);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, d, (gssize) dlen);
  gsize elen = sizeof expect;
  g_checksum_get_digest (sum, expect, &elen);
  g_assert_cmpmem (h1, 32, expect, 32);

  /* key: PKCS#8 PEM and DER */
  g_autofree char *kpem = reload_key_export_pem (peer_key, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (kpem, "-----BEGIN PRIVATE KEY-----"));
  g_autoptr (ReloadKey) k1 =
      reload_key_new_from_data ((const guint8 *) kpem, strlen (kpem), &error);
  g_assert_no_error (error);
  g_assert_true (reload_cert_matches_key (cert, k1));
  g_autoptr (GBytes) kder = reload_key_export_der (peer_key, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadKey) k2 =
      reload_key_new_from_data (g_bytes_get_data (kder, NULL), g_bytes_get_size (kder), &error);
  g_assert_no_error (error);
  g_assert_true (reload_cert_matches_key (cert, k2));
  g_assert_cmpint (reload_key_get_key_type (k2), ==, RELOAD_KEY_ECDSA_P256);
  g_autoptr (ReloadKey) k3 = reload_key_copy (k2);
  g_assert_true (reload_cert_matches_key (cert, k3));
}

static void
remove_dir (const char *dir)
{
  const char *files[] = { RELOAD_CREDENTIALS_CA_FILE, RELOAD_CREDENTIALS_CA_KEY_FILE,
                          RELOAD_CREDENTIALS_CERT_FILE, RELOAD_CREDENTIALS_KEY_FILE };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_build_filename (dir, files[i], NULL);
      g_remove (p);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_save_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("chorus-creds-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *dir = g_build_filename (tmp, "profile", NULL);

  ReloadNodeId id = node_id (9, 16);
  g_autoptr (ReloadCredentials) c = reload_credentials_new ();
  c->ca = reload_cert_ref (ca);
  c->ca_key = reload_key_copy (ca_key);
  c->cert = issue ("dave@" OVERLAY, &id, 1);
  c->key = reload_key_copy (peer_key);
  g_assert_true (reload_credentials_save (c, dir, &error));
  g_assert_no_error (error);

  GStatBuf st;
  g_autofree char *key_path = g_build_filename (dir, RELOAD_CREDENTIALS_KEY_FILE, NULL);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_autoptr (ReloadCredentials) l = reload_credentials_load (dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (l->ca_key);
  g_autoptr (GBytes) a = reload_cert_get_der (c->ca), b = reload_cert_get_der (l->ca);
  g_assert_true (g_bytes_equal (a, b));
  g_autoptr (GBytes) x = reload_cert_get_der (c->cert), y = reload_cert_get_der (l->cert);
  g_assert_true (g_bytes_equal (x, y));
  g_assert_true (reload_cert_matches_key (l->cert, l->key));
  g_assert_true (reload_cert_matches_key (l->ca, l->ca_key));
  g_autoptr (ReloadCertIdentity) ident = reload_cert_get_identity (l->cert, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ident->user_name, ==, "dave@" OVERLAY);

  /* a key without its certificate */
  g_autofree char *cert_path = g_build_filename (dir, RELOAD_CREDENTIALS_CERT_FILE, NULL);
  g_assert_cmpint (g_remove (cert_path), ==, 0);
  g_assert_null (reload_credentials_load (dir, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_clear_error (&error);

  /* the CA alone (a member's profile before enrolment) */
  g_assert_cmpint (g_remove (key_path), ==, 0);
  g_autoptr (ReloadCredentials) ca_only = reload_credentials_load (dir, &error);
  g_assert_no_error (error);
  g_assert_null (ca_only->cert);
  g_assert_null (ca_only->key);

  /* a wrong key */
  g_autoptr (GError) e2 = NULL;
  g_autofree char *ca_key_path = g_build_filename (dir, RELOAD_CREDENTIALS_CA_KEY_FILE, NULL);
  g_autofree char *pem = reload_key_export_pem (peer_key, NULL);
  g_assert_true (g_file_set_contents (ca_key_path, pem, -1, NULL));
  g_assert_null (reload_credentials_load (dir, &e2));
  g_assert_error (e2, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH);

  remove_dir (dir);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);

  /* nothing there */
  g_assert_null (reload_credentials_load (dir, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_IO);
}

/* The RSA option: an RSA-2048 root that issues an ECDSA peer certificate. */
static void
test_rsa_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadKey) rsa_key = NULL;
  g_autoptr (ReloadCert) rsa_ca =
      reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_RSA_2048, 0, &rsa_key, &error);
  g_assert_no_error (error);
  ReloadKeyType t;
  g_assert_true (reload_cert_get_key_type (rsa_ca, &t));
  g_assert_cmpint (t, ==, RELOAD_KEY_RSA_2048);
  g_assert_cmpint (reload_key_get_key_type (rsa_key), ==, RELOAD_KEY_RSA_2048);
  ReloadNodeId id = node_id (0x42, 16);
  g_autoptr (ReloadCert) cert = reload_credentials_issue_peer (
      rsa_ca, rsa_key, peer_key, "erin@" OVERLAY, OVERLAY, &id, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_true (reload_cert_verify (cert, rsa_ca, &error));
  g_assert_no_error (error);
  g_assert_false (reload_cert_verify (cert, ca, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autoptr (GError) error = NULL;
  ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  peer_key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);

  g_test_add_func ("/credentials/root-ca", test_root_ca);
  g_test_add_func ("/credentials/peer-san", test_peer_san);
  g_test_add_func ("/credentials/foreign-ca", test_foreign_ca);
  g_test_add_func ("/credentials/invalid-input", test_invalid_input);
  g_test_add_func ("/credentials/pem-der", test_pem_der);
  g_test_add_func ("/credentials/save-load", test_save_load);
  g_test_add_func ("/credentials/rsa-root", test_rsa_root);
  int ret = g_test_run ();

  reload_cert_unref (ca);
  reload_key_free (ca_key);
  reload_key_free (peer_key);
  return ret;
}
