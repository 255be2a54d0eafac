/* test-config-sign.c: signatures of the configuration document and of
 * its kind-blocks (RFC 6940 §11.1), and configuration updates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config-fixture.h"

static char *
signed_doc (ReloadX509Signer *s, const char *config_signer, const char *kind_signer)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_ptr_array_set_size (cfg->configuration_signers, 0);
  g_ptr_array_add (cfg->configuration_signers, g_strdup (config_signer));
  g_ptr_array_set_size (cfg->kind_signers, 0);
  g_ptr_array_add (cfg->kind_signers, g_strdup (kind_signer));
  g_autoptr (GError) error = NULL;
  char *doc = reload_config_sign (cfg, reload_x509_security_ops (), s, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  return doc;
}

static void
assert_verify_fails (const char *doc, ReloadCert *root, const ReloadConfig *previous, gint code)
{
  g_autoptr (ReloadConfig) cfg = parse_ok (doc);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_config_verify (cfg, root, previous, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, code);
  g_test_message ("refused as expected: %s", error->message);
}

static void
test_sign_verify (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autofree char *doc = signed_doc (a, alice_hex, alice_hex);
  g_test_message ("%s", doc);
  g_autoptr (ReloadConfig) cfg = parse_ok (doc);
  g_assert_cmpuint (cfg->signatures->len, ==, 1);
  for (guint i = 0; i < cfg->kinds->len; i++)
    g_assert_nonnull (((ReloadConfigKind *) g_ptr_array_index (cfg->kinds, i))->signature);

  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_verify (cfg, ca, NULL, &error));
  g_assert_no_error (error);
  /* the same with the signers given */
  const char *signers[] = { "00ff", alice_hex, NULL };
  g_assert_true (reload_config_verify_with_signers (cfg, ca, signers, &error));
  g_assert_no_error (error);
  /* hex is compared regardless of case */
  g_autofree char *upper = g_ascii_strup (alice_hex, -1);
  const char *upper_signers[] = { upper, NULL };
  g_assert_true (reload_config_verify_with_signers (cfg, ca, upper_signers, &error));
  g_assert_no_error (error);

  /* an update signed by a signer the previous configuration lists */
  g_autoptr (ReloadConfig) unchanged = full_config ();
  g_assert_true (reload_config_verify (cfg, NULL, unchanged, &error)); /* anchors: its roots */
  g_assert_no_error (error);

  /* saved byte for byte, loaded, still verifies */
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "reload-config.xml", NULL);
  g_assert_true (reload_config_save (cfg, path, &error));
  g_assert_no_error (error);
  g_autofree char *saved = NULL;
  g_assert_true (g_file_get_contents (path, &saved, NULL, NULL));
  g_assert_cmpstr (saved, ==, doc);
  g_autoptr (ReloadConfig) loaded = reload_config_load_file (path, OVERLAY, &error);
  g_assert_no_error (error);
  g_assert_true (reload_config_verify (loaded, ca, NULL, &error));
  g_assert_no_error (error);
  g_remove (path);
  g_autoptr (ReloadConfig) missing = reload_config_load_file (path, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_IO);
  g_clear_error (&error);
  g_rmdir (dir);
}

static void
test_sign_verify_rsa (void)
{
  g_autoptr (ReloadX509Signer) b = signer (ca, bob_cert, bob_key);
  g_autofree char *doc = signed_doc (b, bob_hex, bob_hex);
  g_autoptr (ReloadConfig) cfg = parse_ok (doc);
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_verify (cfg, ca, NULL, &error));
  g_assert_no_error (error);
}

static void
test_sign_whitespace (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autofree char *doc = signed_doc (a, alice_hex, alice_hex);
  /* one byte: a space of indentation inside <configuration> becomes a tab;
   * the document still parses to the same values */
  g_autofree char *changed =
      replace_once (doc, "\n    <topology-plugin>", "\n   \t<topology-plugin>");
  g_assert_cmpuint (strlen (changed), ==, strlen (doc));
  g_autoptr (ReloadConfig) orig = parse_ok (doc);
  g_autoptr (ReloadConfig) cfg = parse_ok (changed);
  g_assert_true (reload_config_equal (orig, cfg));
  assert_verify_fails (changed, ca, NULL, RELOAD_CONFIG_ERROR_SIGNATURE);

  /* a change outside <configuration> does not matter */
  g_autofree char *outside = replace_once (doc, "</overlay>", "</overlay >");
  g_autoptr (ReloadConfig) out_cfg = parse_ok (outside);
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_verify (out_cfg, ca, NULL, &error));
  g_assert_no_error (error);
}

/* The <configuration> element of @doc re-signed by @s: a configuration
 * signer that signs whatever kinds it is given. */
static char *
resign_configuration (const char *doc, ReloadX509Signer *s)
{
  const char *start = strstr (doc, "<configuration ");
  const char *end = strstr (doc, "</configuration>") + strlen ("</configuration>");
  ReloadConfigSigner cs = { reload_x509_security_ops (), s };
  g_autoptr (GError) error = NULL;
  g_autofree char *sig =
      reload_config_sign_bytes (&cs, (const guint8 *) start, end - start, &error);
  g_assert_no_error (error);
  GString *out = g_string_new_len (doc, end - doc);
  g_string_append_printf (out, "\n  <signature>%s</signature>\n</overlay>\n", sig);
  return g_string_free (out, FALSE);
}

static void
test_sign_kind_altered (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autofree char *doc = signed_doc (a, alice_hex, alice_hex);
  /* a kind changed: the configuration's own signature breaks first */
  g_autofree char *changed =
      replace_once (doc, "<max-size>5000</max-size>", "<max-size>5001</max-size>");
  assert_verify_fails (changed, ca, NULL, RELOAD_CONFIG_ERROR_SIGNATURE);

  /* and when the configuration signer re-signs the configuration with
   * the altered kind, the kind-signature still catches it */
  g_autofree char *resigned = resign_configuration (changed, a);
  g_autoptr (ReloadConfig) cfg = parse_ok (resigned);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_config_verify (cfg, ca, NULL, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE);
  g_assert_true (g_str_has_prefix (error->message, "kind SIP-REGISTRATION"));
  g_clear_error (&error);

  /* a kind-block without kind-signature (§11.1: MUST contain one) */
  g_autoptr (ReloadConfig) unsigned_kinds = full_config ();
  g_ptr_array_set_size (unsigned_kinds->configuration_signers, 0);
  g_ptr_array_add (unsigned_kinds->configuration_signers, g_strdup (alice_hex));
  g_autofree char *plain = reload_config_to_xml (unsigned_kinds, &error);
  g_assert_no_error (error);
  g_autofree char *plain_signed = resign_configuration (plain, a);
  assert_verify_fails (plain_signed, ca, NULL, RELOAD_CONFIG_ERROR_UNSIGNED);
}

static void
test_sign_not_listed (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  /* alice signs, bob is the configuration-signer */
  g_autofree char *doc = signed_doc (a, bob_hex, alice_hex);
  assert_verify_fails (doc, ca, NULL, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED);
  /* alice is the configuration-signer but not a kind-signer */
  g_autofree char *doc2 = signed_doc (a, alice_hex, bob_hex);
  assert_verify_fails (doc2, ca, NULL, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED);

  /* an update: the previous configuration decides, not the new one */
  g_autofree char *doc3 = signed_doc (a, alice_hex, alice_hex);
  g_autoptr (ReloadConfig) prev = full_config ();
  g_ptr_array_set_size (prev->configuration_signers, 0);
  g_ptr_array_add (prev->configuration_signers, g_strdup (bob_hex));
  assert_verify_fails (doc3, ca, prev, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED);
  const char *only_bob[] = { bob_hex, NULL };
  g_autoptr (ReloadConfig) cfg3 = parse_ok (doc3);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_config_verify_with_signers (cfg3, ca, only_bob, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED);
  g_clear_error (&error);

  /* the previous configuration of another overlay */
  g_free (prev->instance_name);
  prev->instance_name = g_strdup ("other.example");
  g_assert_false (reload_config_verify (cfg3, ca, prev, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);

  /* listed, but also a bad-node (§11.1: "MUST NOT be considered valid") */
  g_autoptr (ReloadConfig) revoking = full_config ();
  g_ptr_array_add (revoking->bad_nodes, g_strdup (alice_hex));
  assert_verify_fails (doc3, ca, revoking, RELOAD_CONFIG_ERROR_NOT_TRUSTED);
}

static void
test_sign_foreign_ca (void)
{
  /* mallory: alice's Node-IDs and key, from a CA of its own */
  g_autoptr (ReloadX509Signer) m = signer (foreign_ca, mallory_cert, alice_key);
  g_autofree char *doc = signed_doc (m, alice_hex, alice_hex);
  assert_verify_fails (doc, ca, NULL, RELOAD_CONFIG_ERROR_NOT_TRUSTED);

  /* putting its CA in the document's root-certs does not help: a document
   * cannot vouch for itself */
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_ptr_array_set_size (cfg->root_certs, 0);
  g_ptr_array_add (cfg->root_certs, reload_cert_ref (foreign_ca));
  g_autoptr (GError) error = NULL;
  g_autofree char *doc2 = reload_config_sign (cfg, reload_x509_security_ops (), m, &error);
  g_assert_no_error (error);
  assert_verify_fails (doc2, ca, NULL, RELOAD_CONFIG_ERROR_NOT_TRUSTED);
  g_autoptr (ReloadConfig) honest = full_config (); /* previous: root-cert ca */
  assert_verify_fails (doc2, NULL, honest, RELOAD_CONFIG_ERROR_NOT_TRUSTED);
  /* no anchor at all */
  assert_verify_fails (doc2, NULL, NULL, RELOAD_CONFIG_ERROR_NOT_TRUSTED);
}

static void
test_sign_unsigned (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  /* not parsed: no bytes were signed */
  g_assert_false (reload_config_verify (cfg, ca, NULL, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_UNSIGNED);
  g_clear_error (&error);
  g_autofree char *xml = reload_config_to_xml (cfg, &error);
  g_assert_no_error (error);
  assert_verify_fails (xml, ca, NULL, RELOAD_CONFIG_ERROR_UNSIGNED);

  /* a signature that is not a SecurityBlock, or one with bytes after it */
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autofree char *doc = signed_doc (a, alice_hex, alice_hex);
  const char *sig_start = strstr (doc, "<signature>") + strlen ("<signature>");
  const char *sig_end = strstr (doc, "</signature>");
  g_autofree char *sig_b64 = g_strndup (sig_start, sig_end - sig_start);
  gsize len;
  g_autofree guchar *block = g_base64_decode (sig_b64, &len);
  g_autofree guchar *longer = g_malloc (len + 1);
  memcpy (longer, block, len);
  longer[len] = 0;
  g_autofree char *longer_b64 = g_base64_encode (longer, len + 1);
  g_autofree char *trailing = replace_once (doc, sig_b64, longer_b64);
  assert_verify_fails (trailing, ca, NULL, RELOAD_CONFIG_ERROR_SIGNATURE);
  g_autofree char *garbage = replace_once (doc, sig_b64, "VGhpcyBpcyBub3QgcmlnaHQhCg==");
  assert_verify_fails (garbage, ca, NULL, RELOAD_CONFIG_ERROR_SIGNATURE);

  /* the signer's certificate missing from the block: type 0, empty */
  g_autofree guchar *no_cert = g_memdup2 (block, len);
  g_assert_cmpuint (len, >, 5);
  guint cert_list = (no_cert[0] << 8) | no_cert[1];
  g_assert_cmpuint (cert_list + 2, <, len);
  GByteArray *stripped = g_byte_array_new ();
  g_byte_array_append (stripped, (const guint8 *) "\0\0", 2);
  g_byte_array_append (stripped, no_cert + 2 + cert_list, len - 2 - cert_list);
  g_autofree char *stripped_b64 = g_base64_encode (stripped->data, stripped->len);
  g_byte_array_unref (stripped);
  g_autofree char *certless = replace_once (doc, sig_b64, stripped_b64);
  assert_verify_fails (certless, ca, NULL, RELOAD_CONFIG_ERROR_SIGNATURE);

  /* two signatures: one good one is enough */
  g_autofree char *two =
      replace_once (doc, "<signature>", "<signature>AAAA</signature><signature>");
  g_autoptr (ReloadConfig) two_cfg = parse_ok (two);
  g_assert_cmpuint (two_cfg->signatures->len, ==, 2);
  g_assert_true (reload_config_verify (two_cfg, ca, NULL, &error));
  g_assert_no_error (error);
}

/* ---------------------------------------------------------------- use */

static void
test_check_update (void)
{
  g_autoptr (ReloadConfig) held = full_config ();
  g_autoptr (ReloadConfig) received = full_config ();
  g_autoptr (GError) error = NULL;

  received->sequence = held->sequence;
  g_assert_false (reload_config_check_update (held, received, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD);
  g_clear_error (&error);
  received->sequence = held->sequence - 1;
  g_assert_false (reload_config_check_update (held, received, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD);
  g_clear_error (&error);
  received->sequence = held->sequence + 1;
  g_assert_true (reload_config_check_update (held, received, &error));
  g_assert_no_error (error);
  /* §6.3.2.1: "monotonically increasing mod 65535", compared "as in
   * TCP": 0 follows 65534 ("MUST set the configuration sequence number to
   * 0"), 65534 does not follow 0 */
  g_assert_cmpuint (reload_config_next_sequence (1), ==, 2);
  g_assert_cmpuint (reload_config_next_sequence (RELOAD_CONFIG_SEQUENCE_MAX), ==, 0);
  held->sequence = RELOAD_CONFIG_SEQUENCE_MAX;
  received->sequence = 0;
  g_assert_true (reload_config_check_update (held, received, &error));
  g_assert_no_error (error);
  received->sequence = 5;
  g_assert_true (reload_config_check_update (held, received, &error));
  g_assert_no_error (error);
  held->sequence = 0;
  received->sequence = RELOAD_CONFIG_SEQUENCE_MAX;
  g_assert_false (reload_config_check_update (held, received, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD);
  g_clear_error (&error);
  /* newer: up to 32767 steps ahead; 32768 and more is behind */
  held->sequence = 10;
  received->sequence = 10 + 32767;
  g_assert_true (reload_config_check_update (held, received, &error));
  g_assert_no_error (error);
  received->sequence = 10 + 32768;
  g_assert_false (reload_config_check_update (held, received, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD);
  g_clear_error (&error);
  /* another overlay */
  received->sequence = 9;
  held->sequence = 1;
  g_free (received->instance_name);
  received->instance_name = g_strdup ("other.example");
  g_assert_false (reload_config_check_update (held, received, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
}

/* What a running peer checks of a ConfigUpdate (§6.5.4.2, §11.1): a
 * successor signed by a configuration-signer of the held document
 * verifies; one byte changed does not; the parsed document goes to the
 * node as is (config_document), and is saved byte for byte, atomically,
 * 0600. */
static void
test_update_chain (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autofree char *doc1 = signed_doc (a, alice_hex, alice_hex);
  g_autoptr (ReloadConfig) held = parse_ok (doc1);
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_verify (held, ca, NULL, &error));

  g_autoptr (ReloadConfig) next = parse_ok (doc1);
  next->sequence = reload_config_next_sequence (held->sequence);
  g_autofree char *doc2 = reload_config_sign (next, reload_x509_security_ops (), a, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadConfig) received = parse_ok (doc2);
  g_assert_true (reload_config_check_update (held, received, &error));
  g_assert_true (reload_config_verify (received, ca, held, &error));
  g_assert_no_error (error);
  /* the held document may not follow itself */
  g_assert_false (reload_config_check_update (received, held, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD);
  g_clear_error (&error);

  /* one byte of the configuration element changed: the signature fails */
  char *at = strstr (doc2, "<max-message-size>");
  g_assert_nonnull (at);
  at[strlen ("<max-message-size>")] = at[strlen ("<max-message-size>")] == '9' ? '8' : '9';
  g_autoptr (ReloadConfig) tampered = parse_ok (doc2);
  g_assert_false (reload_config_verify (tampered, ca, held, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE);
  g_clear_error (&error);

  /* the node gets the exact bytes */
  ReloadNodeConfig node = { 0 };
  g_assert_true (reload_config_apply_to_node (received, &node, &error));
  g_assert_true (node.config_document == received->document);
  g_assert_cmpuint (node.configuration_sequence, ==, received->sequence);
  reload_kind_table_unref (node.kinds);

  /* saved over an older file: the new bytes, 0600, no temporary left */
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "config.xml", NULL);
  g_assert_true (reload_config_save (held, path, &error));
  g_assert_true (reload_config_save (received, path, &error));
  g_assert_no_error (error);
  g_autofree char *saved = NULL;
  gsize saved_len = 0;
  g_assert_true (g_file_get_contents (path, &saved, &saved_len, NULL));
  g_assert_cmpmem (saved, saved_len, g_bytes_get_data (received->document, NULL),
                   g_bytes_get_size (received->document));
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint files = 0;
  while (g_dir_read_name (d) != NULL)
    files++;
  g_assert_cmpuint (files, ==, 1);
  g_remove (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  config_fixture_init ();
  g_test_add_func ("/config/sign/verify", test_sign_verify);
  g_test_add_func ("/config/sign/verify-rsa", test_sign_verify_rsa);
  g_test_add_func ("/config/sign/whitespace", test_sign_whitespace);
  g_test_add_func ("/config/sign/kind-altered", test_sign_kind_altered);
  g_test_add_func ("/config/sign/not-listed", test_sign_not_listed);
  g_test_add_func ("/config/sign/foreign-ca", test_sign_foreign_ca);
  g_test_add_func ("/config/sign/unsigned", test_sign_unsigned);
  g_test_add_func ("/config/check-update", test_check_update);
  g_test_add_func ("/config/update-chain", test_update_chain);
  int ret = g_test_run ();
  config_fixture_clear ();
  return ret;
}
