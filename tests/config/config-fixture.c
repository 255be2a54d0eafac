/* config-fixture.c: see config-fixture.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config-fixture.h"

/* made once: RSA key generation is slow under the sanitizers */
ReloadCert *ca, *foreign_ca;
ReloadKey *ca_key, *foreign_ca_key;
ReloadKey *alice_key; /* ECDSA P-256 */
ReloadKey *bob_key;   /* RSA-2048 */
ReloadCert *alice_cert, *bob_cert, *mallory_cert;
ReloadNodeId alice_id, bob_id;
char *alice_hex, *bob_hex;

ReloadNodeId
node_id (guint8 fill)
{
  ReloadNodeId id = { 0 };
  id.len = 16;
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (fill ^ (i * 17));
  return id;
}

ReloadX509Signer *
signer (ReloadCert *root, ReloadCert *cert, const ReloadKey *key)
{
  g_autoptr (GError) error = NULL;
  ReloadX509Signer *s = reload_x509_signer_new (root, cert, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

/* @s with its first occurrence of @old replaced by @new (which must be
 * there). */
char *
replace_once (const char *s, const char *old, const char *new)
{
  const char *p = strstr (s, old);
  g_assert_nonnull (p);
  GString *out = g_string_new_len (s, p - s);
  g_string_append (out, new);
  g_string_append (out, p + strlen (old));
  return g_string_free (out, FALSE);
}

ReloadConfig *
parse_ok (const char *xml)
{
  g_autoptr (GError) error = NULL;
  ReloadConfig *cfg = reload_config_parse (xml, strlen (xml), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cfg);
  return cfg;
}

void
assert_parse_fails (const char *xml, gsize len, gint code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadConfig) cfg = reload_config_parse (xml, len, NULL, &error);
  g_assert_null (cfg);
  g_assert_error (error, RELOAD_CONFIG_ERROR, code);
  g_test_message ("refused as expected: %s", error->message);
}

void
assert_parse_fails_str (const char *xml, gint code)
{
  assert_parse_fails (xml, strlen (xml), code);
}

/* A document holding one configuration with @body inside. */
char *
doc_with (const char *attrs, const char *body)
{
  return g_strdup_printf (DOC_START "  <configuration instance-name=\"" OVERLAY "\"%s>\n%s"
                                    "  </configuration>\n" DOC_END,
                          attrs, body);
}

char *
rfc_example (void)
{
  g_autofree char *path =
      g_test_build_filename (G_TEST_DIST, "config", "rfc6940-example.xml", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&text);
}

/* The RFC's example without its mandatory-extension element. */
char *
rfc_example_supported (void)
{
  g_autofree char *text = rfc_example ();
  g_autoptr (GRegex) re =
      g_regex_new ("<mandatory-extension>.*?</mandatory-extension>", G_REGEX_DOTALL, 0, NULL);
  char *out = g_regex_replace_literal (re, text, -1, 0, "", 0, NULL);
  g_assert_null (strstr (out, "mandatory-extension"));
  return out;
}

ReloadConfigKind *
kind (const char *name, guint32 id, ReloadDataModel model, ReloadAccessPolicy policy,
      guint32 max_count, guint32 max_size, guint32 max_node_multiple)
{
  ReloadConfigKind *k = reload_config_kind_new ();
  k->name = g_strdup (name);
  k->id = id;
  k->data_model = model;
  k->access_control = policy;
  k->max_count = max_count;
  k->max_size = max_size;
  k->max_node_multiple = max_node_multiple;
  return k;
}

/* Every field set, none at its default. */
ReloadConfig *
full_config (void)
{
  ReloadConfig *cfg = reload_config_new ();
  cfg->instance_name = g_strdup (OVERLAY);
  cfg->sequence = 7;
  cfg->expiration = g_date_time_new_utc (2031, 5, 6, 7, 8, 9);
  g_free (cfg->topology_plugin);
  cfg->topology_plugin = g_strdup ("CHORD-RELOAD");
  cfg->node_id_length = 20;
  g_ptr_array_add (cfg->root_certs, reload_cert_ref (ca));
  g_ptr_array_add (cfg->enrollment_servers, g_strdup ("https://enroll.chorus.example/csr"));
  g_ptr_array_add (cfg->enrollment_servers, g_strdup ("https://[2001:db8::7]:8443/"));
  cfg->has_self_signed_permitted = TRUE;
  cfg->self_signed_permitted = FALSE;
  cfg->self_signed_digest = g_strdup ("sha256");
  g_assert_true (reload_config_add_bootstrap_node (cfg, "192.0.2.1", 0, NULL));
  g_assert_true (reload_config_add_bootstrap_node (cfg, "2001:DB8:0:0:0:0:0:1", 6085, NULL));
  cfg->turn_density = 20;
  cfg->clients_permitted = FALSE;
  cfg->no_ice = TRUE;
  cfg->shared_secret = g_strdup ("s3cr<e>t & \"quoted\"\ttab\nline");
  cfg->max_message_size = 4000;
  cfg->initial_ttl = 30;
  cfg->overlay_reliability_timer = 2500;
  g_ptr_array_add (cfg->overlay_link_protocols, g_strdup ("TLS"));
  g_ptr_array_add (cfg->overlay_link_protocols, g_strdup ("DTLS"));
  g_ptr_array_add (cfg->configuration_signers, g_strdup (alice_hex));
  g_ptr_array_add (cfg->configuration_signers, g_strdup (bob_hex));
  g_ptr_array_add (cfg->kind_signers, g_strdup (alice_hex));
  g_ptr_array_add (cfg->kind_signers, g_strdup (bob_hex));
  g_ptr_array_add (cfg->bad_nodes, g_strdup ("6ebc45d31a900c06"));
  g_ptr_array_add (cfg->mandatory_extensions, g_strdup (RELOAD_CONFIG_NS_CHORD));
  cfg->chord_update_interval = 400;
  cfg->chord_ping_interval = 30;
  cfg->chord_reactive = FALSE;
  g_ptr_array_add (cfg->kinds, kind ("SIP-REGISTRATION", RELOAD_KIND_SIP_REGISTRATION,
                                     RELOAD_DATA_MODEL_DICTIONARY, RELOAD_ACCESS_USER_NODE_MATCH,
                                     500, 5000, 0));
  g_ptr_array_add (cfg->kinds,
                   kind ("TURN-SERVICE", RELOAD_KIND_TURN_SERVICE, RELOAD_DATA_MODEL_SINGLE,
                         RELOAD_ACCESS_NODE_MULTIPLE, 1, 200, 10));
  g_ptr_array_add (cfg->kinds, kind (NULL, 4000, RELOAD_DATA_MODEL_ARRAY,
                                     RELOAD_ACCESS_NODE_MULTIPLE, 22, 4, 3));
  return cfg;
}

/* ---------------------------------------------------------------- round trip */

void
config_fixture_init (void)
{
  g_autoptr (GError) error = NULL;
  ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  foreign_ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0,
                                                  &foreign_ca_key, &error);
  g_assert_no_error (error);
  alice_key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);
  bob_key = reload_key_generate (RELOAD_KEY_RSA_2048, &error);
  g_assert_no_error (error);
  alice_id = node_id (0xa1);
  bob_id = node_id (0xb0);
  alice_hex = reload_config_node_id_hex (&alice_id);
  bob_hex = reload_config_node_id_hex (&bob_id);
  alice_cert = reload_credentials_issue_peer (ca, ca_key, alice_key, "alice@" OVERLAY, OVERLAY,
                                              &alice_id, 1, 0, &error);
  g_assert_no_error (error);
  bob_cert = reload_credentials_issue_peer (ca, ca_key, bob_key, "bob@" OVERLAY, OVERLAY, &bob_id,
                                            1, 0, &error);
  g_assert_no_error (error);
  mallory_cert = reload_credentials_issue_peer (foreign_ca, foreign_ca_key, alice_key,
                                                "alice@" OVERLAY, OVERLAY, &alice_id, 1, 0, &error);
  g_assert_no_error (error);
}

void
config_fixture_clear (void)
{
  reload_cert_unref (ca);
  reload_cert_unref (foreign_ca);
  reload_cert_unref (alice_cert);
  reload_cert_unref (bob_cert);
  reload_cert_unref (mallory_cert);
  reload_key_free (ca_key);
  reload_key_free (foreign_ca_key);
  reload_key_free (alice_key);
  reload_key_free (bob_key);
  g_free (alice_hex);
  g_free (bob_hex);
}
