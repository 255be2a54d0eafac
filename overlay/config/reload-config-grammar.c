/* reload-config-grammar.c: the RELAX NG grammar of the configuration
 * document (RFC 6940 §11.1.1) and validation against it.
 *
 * The RFC gives the grammar in the RELAX NG compact syntax, which libxml2
 * cannot read; below is a conversion by hand into the XML syntax, made
 * statement by statement in the RFC's order, as trang would make it:
 *   - "default namespace p2pcf" becomes ns= on <grammar> (it applies to
 *     element names only; attribute names stay in no namespace), and
 *     "namespace local = """ becomes <nsName ns=""/>;
 *   - "x &= p" and "x |= p" become <define name="x" combine="interleave">
 *     and combine="choice", one define per statement;
 *   - "p?" "p*" "p+" become <optional>, <zeroOrMore>, <oneOrMore>;
 *     "element * - (a:* | b:*)" becomes <anyName><except><nsName/>...;
 *   - a bare literal ("rsa-sha1") becomes <value>, which RELAX NG reads as
 *     the built-in token type whatever the datatypeLibrary in scope;
 *     "xsd:T" becomes <data type="T"> under the XML Schema datatype library;
 *   - "element chord:x" becomes <element name="x" ns="...config-chord">.
 * foreign-nodes is defined but unused, as in the RFC.
 *
 * libxml2 2.9 compiles the converted grammar as it is, and validates the
 * RFC's own example with it; the only change is a fix to the RFC:
 *   - overlay-reliability-timer, which §11.1 defines ("Default value for
 *     the end-to-end retransmission timer for messages, in milliseconds")
 *     and the RFC's example uses, is missing from §11.1.1, so the example
 *     fails the grammar as printed.  Added:
 *       parameter &= element overlay-reliability-timer { xsd:int }?
 *
 * What the grammar does not say, reload_config_validate() checks: value
 * ranges (node-id-length 16..20, sequence 0..65534, ...), strict base64
 * (libxml2's base64Binary check lets some invalid characters through),
 * that a kind-block has a kind-signature (§11.1: "MUST contain", though
 * the grammar makes it optional; checked when verifying).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config-private.h"

#include <libxml/relaxng.h>

static const char grammar[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\"\n"
    "         ns=\"urn:ietf:params:xml:ns:p2p:config-base\"\n"
    "         datatypeLibrary=\"http://www.w3.org/2001/XMLSchema-datatypes\">\n"
    "  <define name=\"anything\">\n"
    "    <zeroOrMore>\n"
    "      <choice>\n"
    "        <element><anyName/><ref name=\"anything\"/></element>\n"
    "        <attribute><anyName/><text/></attribute>\n"
    "        <text/>\n"
    "      </choice>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"foreign-elements\">\n"
    "    <zeroOrMore>\n"
    "      <element>\n"
    "        <anyName>\n"
    "          <except>\n"
    "            <nsName ns=\"urn:ietf:params:xml:ns:p2p:config-base\"/>\n"
    "            <nsName ns=\"\"/>\n"
    "            <nsName ns=\"urn:ietf:params:xml:ns:p2p:config-chord\"/>\n"
    "          </except>\n"
    "        </anyName>\n"
    "        <ref name=\"anything\"/>\n"
    "      </element>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"foreign-attributes\">\n"
    "    <zeroOrMore>\n"
    "      <attribute>\n"
    "        <anyName>\n"
    "          <except>\n"
    "            <nsName ns=\"urn:ietf:params:xml:ns:p2p:config-base\"/>\n"
    "            <nsName ns=\"\"/>\n"
    "            <nsName ns=\"urn:ietf:params:xml:ns:p2p:config-chord\"/>\n"
    "          </except>\n"
    "        </anyName>\n"
    "        <text/>\n"
    "      </attribute>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"foreign-nodes\">\n"
    "    <zeroOrMore>\n"
    "      <choice>\n"
    "        <ref name=\"foreign-attributes\"/>\n"
    "        <ref name=\"foreign-elements\"/>\n"
    "      </choice>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <start>\n"
    "    <element name=\"overlay\">\n"
    "      <ref name=\"overlay-element\"/>\n"
    "    </element>\n"
    "  </start>\n"
    "  <define name=\"overlay-element\" combine=\"interleave\">\n"
    "    <oneOrMore>\n"
    "      <element name=\"configuration\">\n"
    "        <attribute name=\"instance-name\"><data type=\"string\"/></attribute>\n"
    "        <optional><attribute name=\"expiration\"><data type=\"dateTime\"/></attribute></optional>\n"
    "        <optional><attribute name=\"sequence\"><data type=\"long\"/></attribute></optional>\n"
    "        <zeroOrMore><ref name=\"foreign-attributes\"/></zeroOrMore>\n"
    "        <ref name=\"parameter\"/>\n"
    "      </element>\n"
    "    </oneOrMore>\n"
    "  </define>\n"
    "  <define name=\"overlay-element\" combine=\"interleave\">\n"
    "    <zeroOrMore>\n"
    "      <element name=\"signature\">\n"
    "        <optional>\n"
    "          <attribute name=\"algorithm\"><ref name=\"signature-algorithm-type\"/></attribute>\n"
    "        </optional>\n"
    "        <data type=\"base64Binary\"/>\n"
    "      </element>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"signature-algorithm-type\" combine=\"choice\">\n"
    "    <value>rsa-sha1</value>\n"
    "  </define>\n"
    "  <define name=\"signature-algorithm-type\" combine=\"choice\">\n"
    "    <data type=\"string\"/>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"topology-plugin\"><ref name=\"topology-plugin-type\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"topology-plugin-type\" combine=\"choice\">\n"
    "    <data type=\"string\"/>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"max-message-size\"><data type=\"unsignedInt\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"initial-ttl\"><data type=\"int\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"root-cert\"><data type=\"base64Binary\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional>\n"
    "      <element name=\"required-kinds\"><zeroOrMore><ref name=\"kind-block\"/></zeroOrMore></element>\n"
    "    </optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"enrollment-server\"><data type=\"anyURI\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"kind-signer\"><data type=\"string\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"configuration-signer\"><data type=\"string\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"bad-node\"><data type=\"string\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"no-ice\"><data type=\"boolean\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"shared-secret\"><data type=\"string\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"overlay-link-protocol\"><data type=\"string\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"clients-permitted\"><data type=\"boolean\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"turn-density\"><data type=\"unsignedByte\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"node-id-length\"><data type=\"int\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><element name=\"mandatory-extension\"><data type=\"string\"/></element></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><ref name=\"foreign-elements\"/></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional>\n"
    "      <element name=\"self-signed-permitted\">\n"
    "        <attribute name=\"digest\"><ref name=\"self-signed-digest-type\"/></attribute>\n"
    "        <data type=\"boolean\"/>\n"
    "      </element>\n"
    "    </optional>\n"
    "  </define>\n"
    "  <define name=\"self-signed-digest-type\" combine=\"choice\">\n"
    "    <value>sha1</value>\n"
    "  </define>\n"
    "  <define name=\"self-signed-digest-type\" combine=\"choice\">\n"
    "    <data type=\"string\"/>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore>\n"
    "      <element name=\"bootstrap-node\">\n"
    "        <attribute name=\"address\"><data type=\"string\"/></attribute>\n"
    "        <optional><attribute name=\"port\"><data type=\"int\"/></attribute></optional>\n"
    "      </element>\n"
    "    </zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"kind-block\">\n"
    "    <element name=\"kind-block\">\n"
    "      <interleave>\n"
    "        <element name=\"kind\">\n"
    "          <choice>\n"
    "            <attribute name=\"name\"><ref name=\"kind-names\"/></attribute>\n"
    "            <attribute name=\"id\"><data type=\"unsignedInt\"/></attribute>\n"
    "          </choice>\n"
    "          <ref name=\"kind-parameter\"/>\n"
    "        </element>\n"
    "        <optional>\n"
    "          <element name=\"kind-signature\">\n"
    "            <optional>\n"
    "              <attribute name=\"algorithm\"><ref name=\"signature-algorithm-type\"/></attribute>\n"
    "            </optional>\n"
    "            <data type=\"base64Binary\"/>\n"
    "          </element>\n"
    "        </optional>\n"
    "      </interleave>\n"
    "    </element>\n"
    "  </define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <element name=\"max-count\"><data type=\"int\"/></element>\n"
    "  </define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <element name=\"max-size\"><data type=\"int\"/></element>\n"
    "  </define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"max-node-multiple\"><data type=\"int\"/></element></optional>\n"
    "  </define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <element name=\"data-model\"><ref name=\"data-model-type\"/></element>\n"
    "  </define>\n"
    "  <define name=\"data-model-type\" combine=\"choice\"><value>SINGLE</value></define>\n"
    "  <define name=\"data-model-type\" combine=\"choice\"><value>ARRAY</value></define>\n"
    "  <define name=\"data-model-type\" combine=\"choice\"><value>DICTIONARY</value></define>\n"
    "  <define name=\"data-model-type\" combine=\"choice\"><data type=\"string\"/></define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <element name=\"access-control\"><ref name=\"access-control-type\"/></element>\n"
    "  </define>\n"
    "  <define name=\"access-control-type\" combine=\"choice\"><value>USER-MATCH</value></define>\n"
    "  <define name=\"access-control-type\" combine=\"choice\"><value>NODE-MATCH</value></define>\n"
    "  <define name=\"access-control-type\" combine=\"choice\"><value>USER-NODE-MATCH</value></define>\n"
    "  <define name=\"access-control-type\" combine=\"choice\"><value>NODE-MULTIPLE</value></define>\n"
    "  <define name=\"access-control-type\" combine=\"choice\"><data type=\"string\"/></define>\n"
    "  <define name=\"kind-parameter\" combine=\"interleave\">\n"
    "    <zeroOrMore><ref name=\"foreign-elements\"/></zeroOrMore>\n"
    "  </define>\n"
    "  <define name=\"kind-names\" combine=\"choice\"><value>TURN-SERVICE</value></define>\n"
    "  <define name=\"kind-names\" combine=\"choice\"><value>CERTIFICATE_BY_NODE</value></define>\n"
    "  <define name=\"kind-names\" combine=\"choice\"><value>CERTIFICATE_BY_USER</value></define>\n"
    "  <define name=\"kind-names\" combine=\"choice\"><data type=\"string\"/></define>\n"
    "  <define name=\"topology-plugin-type\" combine=\"choice\"><value>CHORD-RELOAD</value></define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional>\n"
    "      <element name=\"chord-ping-interval\" ns=\"urn:ietf:params:xml:ns:p2p:config-chord\">\n"
    "        <data type=\"int\"/>\n"
    "      </element>\n"
    "    </optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional>\n"
    "      <element name=\"chord-update-interval\" ns=\"urn:ietf:params:xml:ns:p2p:config-chord\">\n"
    "        <data type=\"int\"/>\n"
    "      </element>\n"
    "    </optional>\n"
    "  </define>\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional>\n"
    "      <element name=\"chord-reactive\" ns=\"urn:ietf:params:xml:ns:p2p:config-chord\">\n"
    "        <data type=\"boolean\"/>\n"
    "      </element>\n"
    "    </optional>\n"
    "  </define>\n"
    "  <!-- Fix: not in the RFC's grammar (see above). -->\n"
    "  <define name=\"parameter\" combine=\"interleave\">\n"
    "    <optional><element name=\"overlay-reliability-timer\"><data type=\"int\"/></element></optional>\n"
    "  </define>\n"
    "</grammar>\n";

/* ---------------------------------------------------------------- errors */

void
#if LIBXML_VERSION >= 21200
reload_config_xml_error_cb (void *data, const xmlError *e)
#else
reload_config_xml_error_cb (void *data, xmlErrorPtr e)
#endif
{
  ReloadConfigXmlErrors *errs = data;
  errs->count++;
  if (errs->first->len > 0 || e == NULL)
    return;
  g_autofree char *msg = g_strdup (e->message != NULL ? e->message : "unknown error");
  g_strstrip (msg);
  if (e->line > 0)
    g_string_append_printf (errs->first, "line %d: %s", e->line, msg);
  else
    g_string_append (errs->first, msg);
}

static void
silent_generic_error (void *ctx, const char *msg, ...)
{
  /* every error that matters also reaches the structured handler */
}

void
reload_config_xml_errors_begin (ReloadConfigXmlErrors *errs)
{
  errs->first = g_string_new (NULL);
  errs->count = 0;
  /* libxml2's handlers are per thread */
  errs->prev_structured = xmlStructuredError;
  errs->prev_structured_ctx = xmlStructuredErrorContext;
  errs->prev_generic = xmlGenericError;
  errs->prev_generic_ctx = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc (errs, (xmlStructuredErrorFunc) reload_config_xml_error_cb);
  xmlSetGenericErrorFunc (NULL, silent_generic_error);
}

void
reload_config_xml_errors_end (ReloadConfigXmlErrors *errs)
{
  xmlSetStructuredErrorFunc (errs->prev_structured_ctx, errs->prev_structured);
  xmlSetGenericErrorFunc (errs->prev_generic_ctx, errs->prev_generic);
  g_string_free (errs->first, TRUE);
  errs->first = NULL;
}

/* ---------------------------------------------------------------- grammar */

static gpointer
compile_grammar (gpointer unused)
{
  ReloadConfigXmlErrors errs;
  reload_config_xml_errors_begin (&errs);
  xmlRelaxNGParserCtxtPtr p = xmlRelaxNGNewMemParserCtxt (grammar, (int) sizeof grammar - 1);
  xmlRelaxNGSetParserStructuredErrors (p, (xmlStructuredErrorFunc) reload_config_xml_error_cb,
                                       &errs);
  xmlRelaxNGPtr schema = xmlRelaxNGParse (p);
  xmlRelaxNGFreeParserCtxt (p);
  if (schema == NULL)
    g_critical ("the RELAX NG grammar of RFC 6940 §11.1.1 does not compile: %s", errs.first->str);
  reload_config_xml_errors_end (&errs);
  /* compiled once, kept for the life of the process */
  return schema;
}

gboolean
reload_config_grammar_validate (xmlDoc *doc, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  xmlRelaxNGPtr schema = g_once (&once, compile_grammar, NULL);
  if (schema == NULL)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "the grammar of RFC 6940 §11.1.1 is not available");
      return FALSE;
    }
  ReloadConfigXmlErrors errs;
  reload_config_xml_errors_begin (&errs);
  xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt (schema);
  int ret = -1;
  if (v != NULL)
    {
      xmlRelaxNGSetValidStructuredErrors (v, (xmlStructuredErrorFunc) reload_config_xml_error_cb,
                                          &errs);
      ret = xmlRelaxNGValidateDoc (v, doc);
      xmlRelaxNGFreeValidCtxt (v);
    }
  if (ret != 0)
    g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                 "the document does not match the grammar of RFC 6940 §11.1.1: %s",
                 errs.first->len > 0 ? errs.first->str : "invalid");
  reload_config_xml_errors_end (&errs);
  return ret == 0;
}
