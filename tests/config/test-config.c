/* test-config.c: the overlay configuration document (RFC 6940 §11.1):
 * round trips, the RFC's example, the grammar, hostile input, kinds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config-fixture.h"

static void
test_roundtrip (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = reload_config_to_xml (cfg, &error);
  g_assert_no_error (error);
  g_test_message ("%s", xml);
  g_assert_true (g_str_has_prefix (xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  g_assert_nonnull (strstr (xml, "xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\""));
  g_assert_nonnull (strstr (xml, "xmlns:chord=\"urn:ietf:params:xml:ns:p2p:config-chord\""));
  g_assert_nonnull (strstr (xml, "address=\"2001:db8::1\""));

  g_autoptr (ReloadConfig) back = parse_ok (xml); /* validates against the grammar */
  g_assert_true (reload_config_equal (cfg, back));
  g_assert_cmpstr (back->shared_secret, ==, cfg->shared_secret);
  g_assert_cmpuint (back->root_certs->len, ==, 1);
  g_assert_cmpuint (back->bad_root_certs->len, ==, 0);
  g_assert_cmpuint (back->signatures->len, ==, 0);
  g_assert_nonnull (back->xml);
  g_assert_nonnull (back->document);

  /* written again: the same text */
  g_autofree char *again = reload_config_to_xml (back, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, again);

  /* a change is seen by equal */
  back->turn_density++;
  g_assert_false (reload_config_equal (cfg, back));
}

static void
test_defaults (void)
{
  g_autofree char *xml = doc_with ("", "");
  g_autoptr (ReloadConfig) cfg = parse_ok (xml);
  g_autoptr (ReloadConfig) def = reload_config_new ();
  def->instance_name = g_strdup (OVERLAY);
  g_assert_true (reload_config_equal (cfg, def));
  g_assert_cmpuint (cfg->sequence, ==, 0);
  g_assert_null (cfg->expiration);
  g_assert_cmpstr (cfg->topology_plugin, ==, "CHORD-RELOAD");
  g_assert_cmpuint (cfg->node_id_length, ==, 16);
  g_assert_cmpuint (cfg->turn_density, ==, 1);
  g_assert_true (cfg->clients_permitted);
  g_assert_false (cfg->no_ice);
  g_assert_true (cfg->chord_reactive);
  g_assert_cmpuint (cfg->max_message_size, ==, 5000);
  g_assert_cmpuint (cfg->initial_ttl, ==, 100);
  g_assert_cmpuint (cfg->overlay_reliability_timer, ==, 3000);
  g_assert_false (cfg->has_self_signed_permitted);
  g_assert_cmpuint (cfg->kinds->len, ==, 0);

  /* bootstrap-node port defaults to 6084 */
  g_autofree char *xml2 = doc_with ("", "<bootstrap-node address=\"10.0.0.1\"/>");
  g_autoptr (ReloadConfig) cfg2 = parse_ok (xml2);
  g_assert_cmpuint (cfg2->bootstrap_nodes->len, ==, 1);
  ReloadConfigBootstrap *b = &g_array_index (cfg2->bootstrap_nodes, ReloadConfigBootstrap, 0);
  g_assert_cmpstr (b->address, ==, "10.0.0.1");
  g_assert_cmpuint (b->port, ==, 6084);

  /* a configuration that is not valid is not written */
  g_autoptr (ReloadConfig) empty = reload_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *none = reload_config_to_xml (empty, &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
}

/* ---------------------------------------------------------------- the RFC */

static void
test_rfc_example_mandatory (void)
{
  g_autofree char *text = rfc_example ();
  /* §11.1: "a node joining the overlay MUST support" the namespace
   * urn:ietf:params:xml:ns:p2p:config-ext1, which this one does not */
  assert_parse_fails_str (text, RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION);

  /* the document's other configuration has none */
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadConfig) other =
      reload_config_parse (text, strlen (text), "other.example.net", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other->instance_name, ==, "other.example.net");
  g_assert_cmpuint (other->signatures->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (other->xml, NULL), g_bytes_get_size (other->xml),
                   "<configuration instance-name=\"other.example.net\">\n   </configuration>",
                   strlen ("<configuration instance-name=\"other.example.net\">\n"
                           "   </configuration>"));

  g_autoptr (ReloadConfig) none = reload_config_parse (text, strlen (text), "nope", &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_NOT_FOUND);
}

static void
test_rfc_example_values (void)
{
  g_autofree char *text = rfc_example_supported ();
  g_autoptr (ReloadConfig) cfg = parse_ok (text);

  g_assert_cmpstr (cfg->instance_name, ==, "overlay.example.org");
  g_assert_cmpuint (cfg->sequence, ==, 22);
  g_autofree char *exp = g_date_time_format_iso8601 (cfg->expiration);
  g_assert_cmpstr (exp, ==, "2002-10-10T07:00:00Z");
  g_assert_true (reload_config_is_expired (cfg, NULL));
  g_assert_cmpstr (cfg->topology_plugin, ==, "CHORD-RELOAD");
  g_assert_cmpuint (cfg->node_id_length, ==, 16);
  g_assert_cmpuint (cfg->enrollment_servers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (cfg->enrollment_servers, 1), ==, "https://example.net");
  g_assert_true (cfg->has_self_signed_permitted);
  g_assert_false (cfg->self_signed_permitted);
  g_assert_cmpstr (cfg->self_signed_digest, ==, "sha1");

  g_assert_cmpuint (cfg->bootstrap_nodes->len, ==, 3);
  const char *addresses[] = { "192.0.0.1", "192.0.2.2", "2001:db8::1" }; /* RFC 5952 */
  for (guint i = 0; i < 3; i++)
    {
      ReloadConfigBootstrap *b = &g_array_index (cfg->bootstrap_nodes, ReloadConfigBootstrap, i);
      g_assert_cmpstr (b->address, ==, addresses[i]);
      g_assert_cmpuint (b->port, ==, 6084);
    }
  g_assert_cmpuint (cfg->turn_density, ==, 20);
  g_assert_false (cfg->clients_permitted);
  g_assert_false (cfg->no_ice);
  g_assert_cmpuint (cfg->chord_update_interval, ==, 400); /* "\n    400" */
  g_assert_cmpuint (cfg->chord_ping_interval, ==, 30);
  g_assert_true (cfg->chord_reactive);
  g_assert_cmpstr (cfg->shared_secret, ==, "password");
  g_assert_cmpuint (cfg->max_message_size, ==, 4000);
  g_assert_cmpuint (cfg->initial_ttl, ==, 30);
  g_assert_cmpuint (cfg->overlay_reliability_timer, ==, 3000);
  g_assert_cmpuint (cfg->overlay_link_protocols->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (cfg->configuration_signers, 0), ==, "47112162e84c69ba");
  g_assert_cmpuint (cfg->kind_signers->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (cfg->kind_signers, 1), ==, "6eba45d31a900c06");
  g_assert_cmpuint (cfg->bad_nodes->len, ==, 2);
  g_assert_cmpuint (cfg->mandatory_extensions->len, ==, 0);

  /* root-certs: the first is a certificate (an old SIPit test CA), the
   * second ("bad cert\n") is not: kept aside, never trusted */
  g_assert_cmpuint (cfg->root_certs->len, ==, 1);
  g_assert_cmpuint (cfg->bad_root_certs->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (cfg->bad_root_certs, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (cfg->bad_root_certs, 0)), "bad cert\n", 9);

  g_assert_cmpuint (cfg->kinds->len, ==, 2);
  ReloadConfigKind *sip = g_ptr_array_index (cfg->kinds, 0);
  g_assert_cmpstr (sip->name, ==, "SIP-REGISTRATION");
  g_assert_cmpuint (sip->id, ==, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_cmpint (sip->data_model, ==, RELOAD_DATA_MODEL_SINGLE);
  g_assert_cmpint (sip->access_control, ==, RELOAD_ACCESS_USER_MATCH);
  g_assert_cmpuint (sip->max_count, ==, 1);
  g_assert_cmpuint (sip->max_size, ==, 100);
  g_assert_nonnull (sip->signature);
  ReloadConfigKind *priv = g_ptr_array_index (cfg->kinds, 1);
  g_assert_null (priv->name);
  g_assert_cmpuint (priv->id, ==, 2000);
  g_assert_cmpint (priv->data_model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (priv->access_control, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (priv->max_node_multiple, ==, 3);
  g_assert_cmpuint (priv->max_count, ==, 22);
  g_assert_cmpuint (priv->max_size, ==, 4);

  /* the signed bytes are the input's, exactly */
  gsize len;
  const char *conf = g_bytes_get_data (cfg->xml, &len);
  g_assert_true (g_str_has_prefix (conf, "<configuration instance-name=\"overlay.example.org\""));
  g_assert_cmpmem (conf + len - 16, 16, "</configuration>", 16);
  g_assert_nonnull (g_strstr_len (text, -1, "<configuration"));
  g_assert_cmpint (memcmp (strstr (text, "<configuration"), conf, len), ==, 0);
  const char *k = g_bytes_get_data (priv->xml, &len);
  g_assert_true (g_str_has_prefix (k, "<kind id=\"2000\">"));
  g_assert_cmpmem (k + len - 7, 7, "</kind>", 7);
  g_assert_cmpint (memcmp (strstr (text, "<kind id=\"2000\">"), k, len), ==, 0);
  g_assert_cmpuint (cfg->signatures->len, ==, 1);

  /* the example's signatures are "This is not right!\n", not a
   * SecurityBlock */
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_config_verify (cfg, ca, NULL, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* the example's SIP-REGISTRATION is outdated: the node uses IANA's */
  g_autoptr (ReloadKindTable) kinds = reload_config_get_kinds (cfg, &error);
  g_assert_no_error (error);
  const ReloadKindDef *d = reload_kind_table_lookup (kinds, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_DICTIONARY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_USER_NODE_MATCH);
  g_assert_cmpuint (d->max_count, ==, 1);
  g_assert_cmpuint (d->max_size, ==, 100);
  d = reload_kind_table_lookup (kinds, 2000);
  g_assert_nonnull (d);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (d->max_node_multiple, ==, 3);
  g_assert_nonnull (reload_kind_table_lookup (kinds, RELOAD_KIND_CERTIFICATE_BY_USER));

  /* written out and read back: the same values (the bad root-cert too) */
  g_autofree char *xml = reload_config_to_xml (cfg, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadConfig) back = parse_ok (xml);
  g_assert_true (reload_config_equal (cfg, back));
}

/* The decision on root-certs that are not certificates (reload-config.h):
 * kept aside, not an error, never an anchor. */
static void
test_bad_root_cert (void)
{
  g_autofree char *xml = doc_with ("", "<root-cert> YmFkIGNlcnQK </root-cert>\n"
                                       "<configuration-signer>00</configuration-signer>\n");
  g_autoptr (ReloadConfig) cfg = parse_ok (xml);
  g_assert_cmpuint (cfg->root_certs->len, ==, 0);
  g_assert_cmpuint (cfg->bad_root_certs->len, ==, 1);

  /* a configuration signed by alice, whose previous configuration's only
   * root-cert is the bad one: nothing to chain to */
  g_ptr_array_set_size (cfg->configuration_signers, 0);
  g_ptr_array_add (cfg->configuration_signers, g_strdup (alice_hex));
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (GError) error = NULL;
  g_autofree char *signed_doc = reload_config_sign (cfg, reload_x509_security_ops (), a, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadConfig) next = parse_ok (signed_doc);
  g_assert_false (reload_config_verify (next, NULL, cfg, &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_NOT_TRUSTED);
  g_clear_error (&error);
  /* with the real root it verifies */
  g_assert_true (reload_config_verify (next, ca, cfg, &error));
  g_assert_no_error (error);
}

/* ---------------------------------------------------------------- values */

static void
test_booleans (void)
{
  struct
  {
    const char *text;
    gboolean value;
  } forms[] = {
    { "true", TRUE },   { "false", FALSE },   { "1", TRUE },   { "0", FALSE },
    { " true ", TRUE }, { "\n\t0\n", FALSE }, { "  1", TRUE }, { "false\r\n", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      const char *t = forms[i].text;
      gboolean v = forms[i].value;
      g_autofree char *body =
          g_strdup_printf ("<self-signed-permitted digest=\"sha256\">%s</self-signed-permitted>\n"
                           "<clients-permitted>%s</clients-permitted>\n<no-ice>%s</no-ice>\n"
                           "<chord:chord-reactive>%s</chord:chord-reactive>\n",
                           t, t, t, t);
      g_autofree char *xml = doc_with ("", body);
      g_autoptr (ReloadConfig) cfg = parse_ok (xml);
      g_assert_cmpint (cfg->self_signed_permitted, ==, v);
      g_assert_cmpint (cfg->clients_permitted, ==, v);
      g_assert_cmpint (cfg->no_ice, ==, v);
      g_assert_cmpint (cfg->chord_reactive, ==, v);
    }
  const char *bad[] = { "yes", "TRUE", "False", "2", "", "t rue" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *body = g_strdup_printf ("<no-ice>%s</no-ice>\n", bad[i]);
      g_autofree char *xml = doc_with ("", body);
      assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
    }
}

static void
test_node_id_length (void)
{
  for (int n = 14; n <= 22; n++)
    {
      g_autofree char *body = g_strdup_printf ("<node-id-length> %d\n</node-id-length>\n", n);
      g_autofree char *xml = doc_with ("", body);
      if (n < 16 || n > 20)
        assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
      else
        {
          g_autoptr (ReloadConfig) cfg = parse_ok (xml);
          g_assert_cmpuint (cfg->node_id_length, ==, n);
        }
    }
}

static void
test_sequence (void)
{
  g_autofree char *max = doc_with (" sequence=\"65534\"", "");
  g_autoptr (ReloadConfig) cfg = parse_ok (max);
  g_assert_cmpuint (cfg->sequence, ==, 65534);
  const char *bad[] = { " sequence=\"65535\"", " sequence=\"-1\"", " sequence=\"1e3\"" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *xml = doc_with (bad[i], "");
      assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
    }
  g_autofree char *tz = doc_with (" expiration=\"2030-01-01T00:00:00+02:00\"", "");
  assert_parse_fails_str (tz, RELOAD_CONFIG_ERROR_INVALID);
}

static void
test_extensions_ignored (void)
{
  g_autofree char *xml =
      doc_with (" ext:flavour=\"vanilla\"",
                "<ext:thing a=\"b\"><ext:nested>1</ext:nested><other/></ext:thing>\n"
                "<mandatory-extension> " RELOAD_CONFIG_NS_CHORD " </mandatory-extension>\n"
                "<required-kinds><kind-block><kind id=\"4242\">"
                "<data-model>DICTIONARY</data-model><access-control>USER-MATCH</access-control>"
                "<max-count>3</max-count><max-size>30</max-size><ext:colour>red</ext:colour>"
                "</kind></kind-block></required-kinds>\n");
  g_autoptr (ReloadConfig) cfg = parse_ok (xml);
  g_assert_cmpuint (cfg->kinds->len, ==, 1);
  g_assert_cmpuint (cfg->mandatory_extensions->len, ==, 1);

  /* but a mandatory one that is not supported refuses the document */
  g_autofree char *mand =
      doc_with ("", "<ext:thing/><mandatory-extension>urn:example:ext</mandatory-extension>\n");
  assert_parse_fails_str (mand, RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION);
}

/* The spans come from the text, whatever markup surrounds them. */
static void
test_spans (void)
{
  const char *conf =
      "<configuration instance-name=\"" OVERLAY "\" ext:odd='a>b \"c\"' >\n"
      "<!-- <configuration> </kind> -->\n"
      "<shared-secret><![CDATA[</configuration><kind>]]>x</shared-secret>\n"
      "<?pi </configuration> ?>\n"
      "<required-kinds><kind-block><kind name=\"TURN-SERVICE\" >"
      "<data-model>SINGLE</data-model ><access-control>NODE-MULTIPLE</access-control>"
      "<max-node-multiple>2</max-node-multiple><max-count>1</max-count>"
      "<max-size>9</max-size><ext:e x='/>'/></kind\n></kind-block></required-kinds>"
      "</configuration\n>";
  g_autofree char *xml = g_strdup_printf (DOC_START "<!-- <configuration instance-name=\"x\"> -->"
                                                    "%s<signature>AAAA</signature>" DOC_END,
                                          conf);
  g_autoptr (ReloadConfig) cfg = parse_ok (xml);
  g_assert_cmpmem (g_bytes_get_data (cfg->xml, NULL), g_bytes_get_size (cfg->xml), conf,
                   strlen (conf));
  g_assert_cmpstr (cfg->shared_secret, ==, "</configuration><kind>x");
  ReloadConfigKind *k = g_ptr_array_index (cfg->kinds, 0);
  const char *kind_start = strstr (conf, "<kind name");
  const char *kind_end = strstr (conf, "</kind\n>") + strlen ("</kind\n>");
  g_assert_cmpmem (g_bytes_get_data (k->xml, NULL), g_bytes_get_size (k->xml), kind_start,
                   kind_end - kind_start);
  g_assert_cmpuint (cfg->signatures->len, ==, 1);
}

/* ---------------------------------------------------------------- refusals */

static void
test_reject_not_well_formed (void)
{
  const char *docs[] = {
    "<overlay",
    "not xml at all",
    DOC_START "<configuration instance-name=\"x\"></overlay>",
    DOC_START "<configuration instance-name=\"x\"/>" DOC_END "<extra/>",
    /* an undeclared prefix: not namespace-well-formed */
    "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"x\"><zz:a/>"
    "</configuration></overlay>",
    DOC_START "<configuration instance-name=\"x\" instance-name=\"y\"/>" DOC_END,
    /* declared in another encoding (§11.1: MUST use UTF-8) */
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><overlay xmlns=\"" NS_BASE "\">"
    "<configuration instance-name=\"x\"/></overlay>",
  };
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    assert_parse_fails_str (docs[i], RELOAD_CONFIG_ERROR_PARSE);
  assert_parse_fails ("", 0, RELOAD_CONFIG_ERROR_PARSE);
  /* not UTF-8, and an embedded NUL */
  const char latin1[] = DOC_START "<configuration instance-name=\"caf\xe9\"/>" DOC_END;
  assert_parse_fails (latin1, sizeof latin1 - 1, RELOAD_CONFIG_ERROR_PARSE);
  const char nul[] = DOC_START "<configuration instance-name=\"x\"/>\0" DOC_END;
  assert_parse_fails (nul, sizeof nul - 1, RELOAD_CONFIG_ERROR_PARSE);
}

static void
test_reject_grammar (void)
{
  const char *bodies[] = {
    "<no-such-element/>\n",
    "<node-id-length>16</node-id-length><node-id-length>16</node-id-length>\n",
    "<chord-reactive>true</chord-reactive>\n",      /* chord element in the base namespace */
    "<chord:chord-jitter>1</chord:chord-jitter>\n", /* unknown chord element */
    "<turn-density>256</turn-density>\n",           /* xsd:unsignedByte */
    "<initial-ttl>thirty</initial-ttl>\n",
    "<bootstrap-node port=\"6084\"/>\n",                     /* no address */
    "<self-signed-permitted>true</self-signed-permitted>\n", /* no digest */
    "<required-kinds><kind-block><kind id=\"7\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count></kind>"
    "</kind-block></required-kinds>\n", /* no max-size */
    "<required-kinds><kind-block><kind name=\"TURN-SERVICE\" id=\"2\">"
    "<data-model>SINGLE</data-model><access-control>USER-MATCH</access-control>"
    "<max-count>1</max-count><max-size>1</max-size></kind></kind-block></required-kinds>\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *xml = doc_with ("", bodies[i]);
      assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
    }
  /* no instance-name; another root; an unprefixed foreign attribute */
  assert_parse_fails_str (DOC_START "<configuration/>" DOC_END, RELOAD_CONFIG_ERROR_INVALID);
  assert_parse_fails_str ("<overlay xmlns=\"urn:example:other\"><configuration "
                          "instance-name=\"x\"/></overlay>",
                          RELOAD_CONFIG_ERROR_INVALID);
  assert_parse_fails_str (DOC_START "<configuration instance-name=\"x\" colour=\"red\"/>" DOC_END,
                          RELOAD_CONFIG_ERROR_INVALID);
  assert_parse_fails_str (DOC_START DOC_END, RELOAD_CONFIG_ERROR_INVALID);
}

static void
test_reject_values (void)
{
  const char *bodies[] = {
    "<enrollment-server>http://example.org</enrollment-server>\n",
    "<enrollment-server>example.org</enrollment-server>\n",
    "<bootstrap-node address=\"boot.example.org\"/>\n",
    "<bootstrap-node address=\"fe80::1%eth0\"/>\n",
    "<bootstrap-node address=\"10.0.0.1\" port=\"0\"/>\n",
    "<bootstrap-node address=\"10.0.0.1\" port=\"65536\"/>\n",
    "<overlay-reliability-timer>199</overlay-reliability-timer>\n",
    "<initial-ttl>0</initial-ttl>\n",
    "<initial-ttl>256</initial-ttl>\n",
    "<max-message-size>0</max-message-size>\n",
    "<chord:chord-update-interval>0</chord:chord-update-interval>\n",
    "<chord:chord-ping-interval>-5</chord:chord-ping-interval>\n",
    "<self-signed-permitted digest=\"md5\">true</self-signed-permitted>\n",
    "<required-kinds><kind-block><kind id=\"7\"><data-model>QUEUE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind id=\"7\"><data-model>SINGLE</data-model>"
    "<access-control>ANYONE</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind id=\"7\"><data-model>SINGLE</data-model>"
    "<access-control>NODE-MULTIPLE</access-control><max-count>1</max-count>"
    "<max-size>1</max-size></kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind name=\"NO-SUCH-KIND\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind id=\"7\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>-1</max-count><max-size>1</max-size>"
    "</kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind id=\"0\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind></kind-block></required-kinds>\n",
    "<required-kinds><kind-block><kind id=\"1\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind></kind-block><kind-block><kind name=\"SIP-REGISTRATION\"><data-model>SINGLE"
    "</data-model><access-control>USER-MATCH</access-control><max-count>1</max-count>"
    "<max-size>1</max-size></kind></kind-block></required-kinds>\n", /* twice */
    "<configuration-signer>  </configuration-signer>\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *xml = doc_with ("", bodies[i]);
      assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
    }
}

static void
test_reject_base64 (void)
{
  const char *bodies[] = {
    /* '%' passes libxml2's base64Binary check: refused by the strict
     * decoder */
    "<root-cert>YmFkI%GNlcnQK</root-cert>\n",
    "<root-cert>YmFkIGNlcnQ</root-cert>\n",
    "<root-cert>YmF=kIGNlcnQK</root-cert>\n",
    "<root-cert>YmFkIGNlcnQK====</root-cert>\n",
    "<required-kinds><kind-block><kind id=\"7\"><data-model>SINGLE</data-model>"
    "<access-control>USER-MATCH</access-control><max-count>1</max-count><max-size>1</max-size>"
    "</kind><kind-signature>QUJD!</kind-signature></kind-block></required-kinds>\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autofree char *xml = doc_with ("", bodies[i]);
      assert_parse_fails_str (xml, RELOAD_CONFIG_ERROR_INVALID);
    }
  g_autofree char *sig = g_strdup_printf (DOC_START "<configuration instance-name=\"x\"/>"
                                                    "<signature>AB$CD</signature>" DOC_END);
  assert_parse_fails_str (sig, RELOAD_CONFIG_ERROR_INVALID);
  /* whitespace inside base64 is fine */
  g_autofree char *ok = doc_with ("", "<root-cert>\n  YmFk\n  IGNl cnQK\n</root-cert>\n");
  g_autoptr (ReloadConfig) cfg = parse_ok (ok);
  g_assert_cmpuint (cfg->bad_root_certs->len, ==, 1);
}

/* XXE (CWE-611): an external entity must never be read. */
static void
test_reject_xxe (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *secret_path = g_build_filename (dir, "secret.txt", NULL);
  const char *secret = "TOP-SECRET-XXE-CONTENT";
  g_assert_true (g_file_set_contents (secret_path, secret, -1, NULL));
  g_autofree char *uri = g_filename_to_uri (secret_path, NULL, NULL);

  char *docs[] = {
    /* general external entity in content */
    g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<!DOCTYPE overlay [ <!ENTITY xxe SYSTEM \"%s\"> ]>\n"
                     "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"x\">"
                     "<shared-secret>&xxe;</shared-secret></configuration></overlay>",
                     uri),
    /* in an attribute */
    g_strdup_printf ("<!DOCTYPE overlay [ <!ENTITY xxe SYSTEM \"%s\"> ]>\n"
                     "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"&xxe;\"/>"
                     "</overlay>",
                     uri),
    /* a parameter entity, and an external DTD */
    g_strdup_printf ("<!DOCTYPE overlay [ <!ENTITY %% p SYSTEM \"%s\"> %%p; ]>\n"
                     "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"x\"/>"
                     "</overlay>",
                     uri),
    g_strdup_printf ("<!DOCTYPE overlay SYSTEM \"%s\">\n"
                     "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"x\"/>"
                     "</overlay>",
                     uri),
    /* internal entities (expansion bombs) are refused with the DTD */
    g_strdup ("<!DOCTYPE overlay [ <!ENTITY a \"aaaaaaaaaa\"> <!ENTITY b \"&a;&a;&a;&a;\"> ]>\n"
              "<overlay xmlns=\"" NS_BASE "\"><configuration instance-name=\"&b;\"/>"
              "</overlay>"),
  };
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr (ReloadConfig) cfg = reload_config_parse (docs[i], strlen (docs[i]), NULL, &error);
      g_assert_null (cfg);
      g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_PARSE);
      g_assert_null (strstr (error->message, secret));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
      g_free (docs[i]);
    }
  g_remove (secret_path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------- signatures */

/* A configuration signed by @s whose configuration-signer and
 * kind-signer are @config_signer and @kind_signer. */

static void
test_kinds (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadKindTable) t = reload_config_get_kinds (cfg, &error);
  g_assert_no_error (error);
  const ReloadKindDef *sip = reload_kind_table_lookup_name (t, "SIP-REGISTRATION");
  g_assert_nonnull (sip);
  g_assert_cmpuint (sip->id, ==, 1);
  g_assert_cmpuint (sip->max_count, ==, 500);
  g_assert_cmpuint (sip->max_size, ==, 5000);
  const ReloadKindDef *turn = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  g_assert_cmpint (turn->policy, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (turn->max_node_multiple, ==, 10);
  const ReloadKindDef *priv = reload_kind_table_lookup (t, 4000);
  g_assert_nonnull (priv);
  g_assert_cmpint (priv->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpuint (priv->max_node_multiple, ==, 3);
  /* untouched defaults remain */
  g_assert_nonnull (reload_kind_table_lookup (t, RELOAD_KIND_REDIR));

  /* names resolve to the IANA Kind-IDs */
  g_assert_cmpuint (reload_config_kind_id_from_name ("SIP-REGISTRATION"), ==, 1);
  g_assert_cmpuint (reload_config_kind_id_from_name ("TURN-SERVICE"), ==, 2);
  g_assert_cmpuint (reload_config_kind_id_from_name ("CERTIFICATE_BY_NODE"), ==, 3);
  g_assert_cmpuint (reload_config_kind_id_from_name ("certificate_by_user"), ==, 16);
  g_assert_cmpuint (reload_config_kind_id_from_name ("REDIR"), ==, 104);
  g_assert_cmpuint (reload_config_kind_id_from_name ("NO-SUCH-KIND"), ==, 0);

  /* a name it does not know is an error */
  g_ptr_array_add (cfg->kinds, kind ("NO-SUCH-KIND", 0, RELOAD_DATA_MODEL_SINGLE,
                                     RELOAD_ACCESS_USER_MATCH, 1, 1, 0));
  g_autoptr (ReloadKindTable) none = reload_config_get_kinds (cfg, &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
}

/* A private kind named by Chorus's extension element survives a round trip
 * through the document and is found by its name in the kind table. */
static void
test_kind_label (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  ReloadConfigKind *notes =
      kind (NULL, 4001, RELOAD_DATA_MODEL_ARRAY, RELOAD_ACCESS_USER_MATCH, 100, 1024, 0);
  notes->label = g_strdup ("NOTES");
  g_ptr_array_add (cfg->kinds, notes);
  g_autofree char *xml = reload_config_to_xml (cfg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<chorus:name>NOTES</chorus:name>"));
  g_autoptr (ReloadConfig) back = reload_config_parse (xml, strlen (xml), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (reload_config_equal (cfg, back));
  g_autoptr (ReloadKindTable) t = reload_config_get_kinds (back, &error);
  g_assert_no_error (error);
  const ReloadKindDef *d = reload_kind_table_lookup_name (t, "notes");
  g_assert_nonnull (d);
  g_assert_cmpuint (d->id, ==, 4001);
  g_assert_cmpuint (d->max_size, ==, 1024);
  /* a label may not pass for an IANA kind */
  g_free (notes->label);
  notes->label = g_strdup ("SIP-REGISTRATION");
  g_autoptr (ReloadKindTable) none = reload_config_get_kinds (cfg, &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
}

/* Chorus's extension <chorus:multicast-bootstrap>: written, read back,
 * normalised, and only groups of the local link. */
static void
test_multicast_bootstrap (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_add_multicast_bootstrap (cfg, NULL, &error));
  g_assert_true (reload_config_add_multicast_bootstrap (cfg, "[FF02:0::1:6084]:7000", &error));
  g_assert_no_error (error);
  /* once only */
  g_assert_true (reload_config_add_multicast_bootstrap (cfg, "239.255.60.84:6086", &error));
  g_assert_cmpuint (cfg->multicast_bootstrap->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (cfg->multicast_bootstrap, 0), ==,
                   RELOAD_CONFIG_DEFAULT_MULTICAST_BOOTSTRAP);
  g_assert_cmpstr (g_ptr_array_index (cfg->multicast_bootstrap, 1), ==, "[ff02::1:6084]:7000");
  g_autofree char *xml = reload_config_to_xml (cfg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<chorus:multicast-bootstrap>239.255.60.84:6086"
                                 "</chorus:multicast-bootstrap>"));
  g_autoptr (ReloadConfig) back = parse_ok (xml); /* the grammar admits it */
  g_assert_true (reload_config_equal (cfg, back));
  g_ptr_array_set_size (back->multicast_bootstrap, 1);
  g_assert_false (reload_config_equal (cfg, back));

  /* not of the local link, not GROUP:PORT */
  const char *bad[] = { "224.0.0.251:5353",
                        "192.168.1.1:6086",
                        "239.1.2.3",
                        "239.1.2.3:0",
                        "239.1.2.3:65536",
                        "[ff05::1]:6086",
                        "[ff02::1%eth0]:6086",
                        "ff02::1:6086",
                        "[fe80::1]:6086",
                        "host.example:6086",
                        "" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (ReloadConfig) c = reload_config_new ();
      gboolean ok = reload_config_add_multicast_bootstrap (c, bad[i], &e);
      if (*bad[i] == '\0')
        {
          /* empty: the default group */
          g_assert_true (ok);
          continue;
        }
      g_test_message ("%s: %s", bad[i], e ? e->message : "accepted");
      g_assert_false (ok);
      g_assert_error (e, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
    }
  /* at most RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP */
  g_autoptr (ReloadConfig) many = reload_config_new ();
  for (guint i = 0; i < RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP; i++)
    {
      g_autofree char *g = g_strdup_printf ("239.0.0.%u:6086", i + 1);
      g_assert_true (reload_config_add_multicast_bootstrap (many, g, &error));
    }
  g_assert_false (reload_config_add_multicast_bootstrap (many, "239.0.0.99:6086", &error));
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);
  /* validate refuses what add would not make */
  g_ptr_array_add (cfg->multicast_bootstrap, g_strdup ("239.001.2.3:6086"));
  g_autofree char *none = reload_config_to_xml (cfg, &error);
  g_assert_null (none);
  g_assert_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID);
  g_clear_error (&error);

  /* in a document: read, checked, and other Chorus elements ignored */
  g_autofree char *doc =
      doc_with (" xmlns:chorus=\"" RELOAD_CONFIG_NS_CHORUS "\"",
                "<chorus:multicast-bootstrap> 239.9.9.9:1234 </chorus:multicast-bootstrap>\n"
                "<chorus:future-thing>x</chorus:future-thing>\n");
  g_autoptr (ReloadConfig) parsed = parse_ok (doc);
  g_assert_cmpuint (parsed->multicast_bootstrap->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (parsed->multicast_bootstrap, 0), ==, "239.9.9.9:1234");
  g_autofree char *wrong = doc_with (" xmlns:chorus=\"" RELOAD_CONFIG_NS_CHORUS "\"",
                                     "<chorus:multicast-bootstrap>224.0.0.1:1</chorus:multicast-"
                                     "bootstrap>\n");
  assert_parse_fails_str (wrong, RELOAD_CONFIG_ERROR_INVALID);
  /* without it: none (and other implementations ignore the element) */
  g_autofree char *plain = doc_with ("", "");
  g_autoptr (ReloadConfig) p2 = parse_ok (plain);
  g_assert_cmpuint (p2->multicast_bootstrap->len, ==, 0);
}

static void
test_apply_to_node (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  ReloadNodeConfig nc = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_config_apply_to_node (cfg, &nc, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (nc.overlay_name, ==, OVERLAY);
  g_assert_cmpuint (nc.configuration_sequence, ==, 7);
  g_assert_cmpuint (nc.max_message_size, ==, 4000);
  g_assert_cmpuint (nc.initial_ttl, ==, 30);
  g_assert_cmpuint (nc.overlay_reliability_timer_ms, ==, 2500);
  g_assert_cmpuint (nc.chord_update_interval_s, ==, 400);
  g_assert_cmpuint (nc.chord_ping_interval_s, ==, 30);
  g_assert_false (nc.chord_reactive);
  g_assert_nonnull (nc.kinds);
  g_assert_nonnull (reload_kind_table_lookup (nc.kinds, 4000));
  reload_kind_table_unref (nc.kinds); /* the caller's reference */
}

static void
test_save_unparsed (void)
{
  g_autoptr (ReloadConfig) cfg = full_config ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "c.xml", NULL);
  g_assert_true (reload_config_save (cfg, path, &error));
  g_assert_no_error (error);
  g_autoptr (ReloadConfig) back = reload_config_load_file (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (reload_config_equal (cfg, back));
  g_remove (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  config_fixture_init ();
  g_test_add_func ("/config/roundtrip", test_roundtrip);
  g_test_add_func ("/config/kind-label", test_kind_label);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/rfc-example/mandatory-extension", test_rfc_example_mandatory);
  g_test_add_func ("/config/rfc-example/values", test_rfc_example_values);
  g_test_add_func ("/config/bad-root-cert", test_bad_root_cert);
  g_test_add_func ("/config/booleans", test_booleans);
  g_test_add_func ("/config/node-id-length", test_node_id_length);
  g_test_add_func ("/config/sequence", test_sequence);
  g_test_add_func ("/config/extensions-ignored", test_extensions_ignored);
  g_test_add_func ("/config/spans", test_spans);
  g_test_add_func ("/config/reject/not-well-formed", test_reject_not_well_formed);
  g_test_add_func ("/config/reject/grammar", test_reject_grammar);
  g_test_add_func ("/config/reject/values", test_reject_values);
  g_test_add_func ("/config/reject/base64", test_reject_base64);
  g_test_add_func ("/config/reject/xxe", test_reject_xxe);
  g_test_add_func ("/config/kinds", test_kinds);
  g_test_add_func ("/config/multicast-bootstrap", test_multicast_bootstrap);
  g_test_add_func ("/config/apply-to-node", test_apply_to_node);
  g_test_add_func ("/config/save-unparsed", test_save_unparsed);
  int ret = g_test_run ();
  config_fixture_clear ();
  return ret;
}
