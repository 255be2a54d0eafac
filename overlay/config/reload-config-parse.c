/* reload-config-parse.c: reading a configuration document (RFC 6940
 * §11.1) with libxml2.
 *
 * The signatures of §11.1 cover the exact bytes of the <configuration>
 * and <kind> elements ("MUST be treated as a binary blob that cannot be
 * changed -- including any whitespace changes"), which a DOM does not
 * keep.  So the input text is also scanned for the byte span of every
 * element (scan_elements()), in document order; the k-th element of a
 * pre-order walk of the DOM is the k-th start tag of the text, because
 * the document has no DTD, hence no entity that could expand into
 * elements (XInclude is off).  The spans are taken from the input, never
 * re-serialised.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config-private.h"

#include <libxml/parser.h>
#include <string.h>

/* ---------------------------------------------------------------- spans */

typedef struct
{
  gsize start; /* the first < of the start tag */
  gsize end;   /* one past the > of the end tag (or of the empty tag) */
} Span;

#define parse_error(error, ...) reload_config_fail (error, RELOAD_CONFIG_ERROR_PARSE, __VA_ARGS__)
#define invalid(error, ...) reload_config_fail (error, RELOAD_CONFIG_ERROR_INVALID, __VA_ARGS__)

static gboolean
has_prefix_at (const char *xml, gsize len, gsize i, const char *prefix)
{
  gsize n = strlen (prefix);
  return len - i >= n && memcmp (xml + i, prefix, n) == 0;
}

/* Offset of @needle at or after @from, or G_MAXSIZE. */
static gsize
find (const char *xml, gsize len, gsize from, const char *needle)
{
  gsize n = strlen (needle);
  for (gsize i = from; i + n <= len; i++)
    if (memcmp (xml + i, needle, n) == 0)
      return i;
  return G_MAXSIZE;
}

/* The span of every element of @xml, in document order.  @xml is known
 * to be well-formed (libxml2 parsed it), so the scan only needs to tell
 * markup from character data: comments, CDATA sections and processing
 * instructions are skipped whole, "<" cannot occur in attribute values or
 * character data, and ">" inside quoted attribute values is not a tag's
 * end. */
static gboolean
scan_elements (const char *xml, gsize len, GArray *spans, GError **error)
{
  g_autoptr (GArray) open = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize i = 0;
  while (i < len)
    {
      const char *lt = memchr (xml + i, '<', len - i);
      if (lt == NULL)
        break;
      i = (gsize) (lt - xml);
      gsize end;
      if (has_prefix_at (xml, len, i, "<!--"))
        {
          end = find (xml, len, i + 4, "-->");
          i = end == G_MAXSIZE ? len : end + 3;
        }
      else if (has_prefix_at (xml, len, i, "<![CDATA["))
        {
          end = find (xml, len, i + 9, "]]>");
          i = end == G_MAXSIZE ? len : end + 3;
        }
      else if (has_prefix_at (xml, len, i, "<?"))
        {
          end = find (xml, len, i + 2, "?>");
          i = end == G_MAXSIZE ? len : end + 2;
        }
      else if (has_prefix_at (xml, len, i, "<!"))
        return parse_error (error, "markup declarations are not allowed");
      else if (has_prefix_at (xml, len, i, "</"))
        {
          end = find (xml, len, i + 2, ">");
          if (end == G_MAXSIZE || open->len == 0)
            return parse_error (error, "unbalanced end tag at byte %" G_GSIZE_FORMAT, i);
          guint idx = g_array_index (open, guint, open->len - 1);
          g_array_set_size (open, open->len - 1);
          g_array_index (spans, Span, idx).end = end + 1;
          i = end + 1;
        }
      else
        {
          char quote = 0;
          gsize j = i + 1;
          for (; j < len; j++)
            {
              char c = xml[j];
              if (quote != 0)
                {
                  if (c == quote)
                    quote = 0;
                }
              else if (c == '"' || c == '\'')
                quote = c;
              else if (c == '>')
                break;
            }
          if (j >= len)
            return parse_error (error, "unterminated tag at byte %" G_GSIZE_FORMAT, i);
          Span s = { i, 0 };
          guint idx = spans->len;
          g_array_append_val (spans, s);
          if (xml[j - 1] == '/')
            g_array_index (spans, Span, idx).end = j + 1;
          else
            g_array_append_val (open, idx);
          i = j + 1;
        }
    }
  if (open->len != 0)
    return parse_error (error, "unclosed element");
  return TRUE;
}

/* Pre-order numbering of the element nodes; values are index + 1. */
static void
index_elements (xmlNode *n, GHashTable *index, guint *count)
{
  for (; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE)
      {
        g_hash_table_insert (index, n, GUINT_TO_POINTER (++*count));
        index_elements (n->children, index, count);
      }
}

/* What the element readers share. */
typedef struct
{
  GBytes *document;
  GArray *spans;     /* Span */
  GHashTable *index; /* xmlNode * -> index + 1 */
} Source;

/* The exact bytes of element @n, a slice of the document. */
static GBytes *
element_bytes (const Source *src, xmlNode *n)
{
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (src->index, n));
  g_assert (idx > 0 && idx <= src->spans->len);
  const Span *s = &g_array_index (src->spans, Span, idx - 1);
  return g_bytes_new_from_bytes (src->document, s->start, s->end - s->start);
}

/* ---------------------------------------------------------------- values */

static gboolean
is_element (xmlNode *n, const char *ns, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL
         && strcmp ((const char *) n->ns->href, ns) == 0
         && strcmp ((const char *) n->name, name) == 0;
}

/* Text content, trimmed (see reload-config.h on whitespace). */
static char *
element_text (xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *s = g_strdup (c != NULL ? (const char *) c : "");
  xmlFree (c);
  return g_strstrip (s);
}

static char *
attribute_text (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetNoNsProp (n, (const xmlChar *) name);
  if (v == NULL)
    return NULL;
  char *s = g_strstrip (g_strdup ((const char *) v));
  xmlFree (v);
  return s;
}

/* An integer of XML Schema (surrounding whitespace already trimmed: the
 * numeric types collapse it), within @min..@max. */
static gboolean
parse_integer (const char *text, const char *what, gint64 min, gint64 max, gint64 *out,
               GError **error)
{
  gint64 v;
  /* g_ascii_string_to_signed accepts an optional sign and decimal
   * digits only, as xsd:integer's lexical space does */
  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &v, NULL))
    return invalid (error, "%s: \"%s\" is not an integer", what, text);
  if (v < min || v > max)
    return invalid (
        error, "%s: %" G_GINT64_FORMAT " is not between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
        what, v, min, max);
  *out = v;
  return TRUE;
}

static gboolean
element_integer (xmlNode *n, gint64 min, gint64 max, gint64 *out, GError **error)
{
  g_autofree char *text = element_text (n);
  return parse_integer (text, (const char *) n->name, min, max, out, error);
}

/* §11.1: xsd:boolean, "1" or "true" for true and "0" or "false" for
 * false. */
static gboolean
element_boolean (xmlNode *n, gboolean *out, GError **error)
{
  g_autofree char *text = element_text (n);
  if (strcmp (text, "true") == 0 || strcmp (text, "1") == 0)
    *out = TRUE;
  else if (strcmp (text, "false") == 0 || strcmp (text, "0") == 0)
    *out = FALSE;
  else
    return invalid (error, "%s: \"%s\" is not a boolean", (const char *) n->name, text);
  return TRUE;
}

static void
add_text (GPtrArray *list, xmlNode *n)
{
  g_ptr_array_add (list, element_text (n));
}

/* ---------------------------------------------------------------- elements */

static gboolean
read_root_cert (ReloadConfig *cfg, xmlNode *n, GError **error)
{
  g_autofree char *text = element_text (n);
  g_autoptr (GBytes) der = reload_config_base64_decode (text, "root-cert", error);
  if (der == NULL)
    return FALSE;
  ReloadCert *cert = reload_cert_new_from_der (der, NULL);
  if (cert != NULL)
    g_ptr_array_add (cfg->root_certs, cert);
  else
    g_ptr_array_add (cfg->bad_root_certs, g_steal_pointer (&der)); /* see reload-config.h */
  return TRUE;
}

static gboolean
read_bootstrap_node (ReloadConfig *cfg, xmlNode *n, GError **error)
{
  g_autofree char *address = attribute_text (n, "address");
  g_autofree char *port_text = attribute_text (n, "port");
  gint64 port = RELOAD_CONFIG_DEFAULT_PORT; /* §11.1 */
  if (port_text != NULL
      && !parse_integer (port_text, "bootstrap-node port", 1, 65535, &port, error))
    return FALSE;
  return reload_config_add_bootstrap_node (cfg, address != NULL ? address : "", (guint16) port,
                                           error);
}

static gboolean
read_self_signed (ReloadConfig *cfg, xmlNode *n, GError **error)
{
  cfg->has_self_signed_permitted = TRUE;
  g_free (cfg->self_signed_digest);
  cfg->self_signed_digest = attribute_text (n, "digest");
  return element_boolean (n, &cfg->self_signed_permitted, error);
}

static gboolean
read_kind_element (ReloadConfigKind *k, xmlNode *kind, GError **error)
{
  g_autofree char *id_text = attribute_text (kind, "id");
  k->name = attribute_text (kind, "name");
  if (k->name != NULL)
    {
      k->id = reload_config_kind_id_from_name (k->name);
      if (k->id == 0)
        return invalid (
            error, "kind \"%s\" is not a Kind registered with IANA that this node knows", k->name);
    }
  else
    {
      gint64 id = 0;
      if (id_text == NULL)
        return invalid (error, "kind has neither name nor id");
      if (!parse_integer (id_text, "kind id", 1, G_MAXUINT32, &id, error))
        return FALSE;
      k->id = (guint32) id;
    }

  gboolean have_model = FALSE, have_access = FALSE;
  for (xmlNode *c = kind->children; c != NULL; c = c->next)
    {
      gint64 v = 0;
      if (is_element (c, RELOAD_CONFIG_NS_BASE, "data-model"))
        {
          g_autofree char *t = element_text (c);
          if (!reload_config_data_model_from_string (t, &k->data_model))
            return invalid (error, "kind %u: data-model \"%s\" is not supported", k->id, t);
          have_model = TRUE;
        }
      else if (is_element (c, RELOAD_CONFIG_NS_BASE, "access-control"))
        {
          g_autofree char *t = element_text (c);
          if (!reload_config_access_from_string (t, &k->access_control))
            return invalid (error, "kind %u: access-control \"%s\" is not supported", k->id, t);
          have_access = TRUE;
        }
      else if (is_element (c, RELOAD_CONFIG_NS_BASE, "max-count"))
        {
          if (!element_integer (c, 0, G_MAXINT32, &v, error))
            return FALSE;
          k->max_count = (guint32) v;
        }
      else if (is_element (c, RELOAD_CONFIG_NS_BASE, "max-size"))
        {
          if (!element_integer (c, 0, G_MAXINT32, &v, error))
            return FALSE;
          k->max_size = (guint32) v;
        }
      else if (is_element (c, RELOAD_CONFIG_NS_BASE, "max-node-multiple"))
        {
          /* §11.1: "It MUST be an integer greater than 0" */
          if (!element_integer (c, 1, G_MAXINT32, &v, error))
            return FALSE;
          k->max_node_multiple = (guint32) v;
        }
      else if (is_element (c, RELOAD_CONFIG_NS_CHORUS, "name"))
        {
          g_free (k->label);
          k->label = element_text (c);
        }
      /* elements of other namespaces: extensions, ignored */
    }
  if (!have_model || !have_access)
    return invalid (error, "kind %u lacks data-model or access-control", k->id);
  return TRUE;
}

static gboolean
read_kind_block (ReloadConfig *cfg, const Source *src, xmlNode *block, GError **error)
{
  g_autoptr (ReloadConfigKind) k = reload_config_kind_new ();
  xmlNode *kind = NULL;
  for (xmlNode *c = block->children; c != NULL; c = c->next)
    {
      if (is_element (c, RELOAD_CONFIG_NS_BASE, "kind"))
        kind = c;
      else if (is_element (c, RELOAD_CONFIG_NS_BASE, "kind-signature"))
        {
          g_autofree char *text = element_text (c);
          k->signature = reload_config_base64_decode (text, "kind-signature", error);
          if (k->signature == NULL)
            return FALSE;
        }
    }
  if (kind == NULL)
    return invalid (error, "kind-block without kind");
  if (!read_kind_element (k, kind, error))
    return FALSE;
  /* §11.1: the kind-signature covers "from the beginning of the first < of
   * the kind element to the end of the last > of the kind element" */
  k->xml = element_bytes (src, kind);
  g_ptr_array_add (cfg->kinds, g_steal_pointer (&k));
  return TRUE;
}

static gboolean
read_base_parameter (ReloadConfig *cfg, const Source *src, xmlNode *n, GError **error)
{
  const char *name = (const char *) n->name;
  gint64 v = 0;
  if (strcmp (name, "topology-plugin") == 0)
    {
      g_free (cfg->topology_plugin);
      cfg->topology_plugin = element_text (n);
    }
  else if (strcmp (name, "node-id-length") == 0)
    {
      /* §11.1: "This value MUST be between 16 (128 bits) and 20 (160
       * bits)" */
      if (!element_integer (n, 16, 20, &v, error))
        return FALSE;
      cfg->node_id_length = (guint) v;
    }
  else if (strcmp (name, "root-cert") == 0)
    return read_root_cert (cfg, n, error);
  else if (strcmp (name, "enrollment-server") == 0)
    add_text (cfg->enrollment_servers, n);
  else if (strcmp (name, "self-signed-permitted") == 0)
    return read_self_signed (cfg, n, error);
  else if (strcmp (name, "bootstrap-node") == 0)
    return read_bootstrap_node (cfg, n, error);
  else if (strcmp (name, "turn-density") == 0)
    {
      if (!element_integer (n, 0, 255, &v, error)) /* xsd:unsignedByte */
        return FALSE;
      cfg->turn_density = (guint8) v;
    }
  else if (strcmp (name, "clients-permitted") == 0)
    return element_boolean (n, &cfg->clients_permitted, error);
  else if (strcmp (name, "no-ice") == 0)
    return element_boolean (n, &cfg->no_ice, error);
  else if (strcmp (name, "shared-secret") == 0)
    {
      g_free (cfg->shared_secret);
      cfg->shared_secret = element_text (n);
    }
  else if (strcmp (name, "max-message-size") == 0)
    {
      if (!element_integer (n, 1, G_MAXUINT32, &v, error)) /* xsd:unsignedInt */
        return FALSE;
      cfg->max_message_size = (guint32) v;
    }
  else if (strcmp (name, "initial-ttl") == 0)
    {
      /* §6.3.2: the forwarding header's ttl is one byte */
      if (!element_integer (n, 1, 255, &v, error))
        return FALSE;
      cfg->initial_ttl = (guint8) v;
    }
  else if (strcmp (name, "overlay-reliability-timer") == 0)
    {
      /* §11.1: "MUST be at least 200 milliseconds" */
      if (!element_integer (n, RELOAD_CONFIG_MIN_RELIABILITY_TIMER, G_MAXINT32, &v, error))
        return FALSE;
      cfg->overlay_reliability_timer = (guint) v;
    }
  else if (strcmp (name, "overlay-link-protocol") == 0)
    add_text (cfg->overlay_link_protocols, n);
  else if (strcmp (name, "configuration-signer") == 0)
    add_text (cfg->configuration_signers, n);
  else if (strcmp (name, "kind-signer") == 0)
    add_text (cfg->kind_signers, n);
  else if (strcmp (name, "bad-node") == 0)
    add_text (cfg->bad_nodes, n);
  else if (strcmp (name, "mandatory-extension") == 0)
    ; /* read first, in read_configuration() */
  else if (strcmp (name, "required-kinds") == 0)
    {
      for (xmlNode *c = n->children; c != NULL; c = c->next)
        if (is_element (c, RELOAD_CONFIG_NS_BASE, "kind-block")
            && !read_kind_block (cfg, src, c, error))
          return FALSE;
    }
  else
    /* the grammar admits no other element of the base namespace */
    return invalid (error, "unexpected element %s", name);
  return TRUE;
}

static gboolean
read_chord_parameter (ReloadConfig *cfg, xmlNode *n, GError **error)
{
  const char *name = (const char *) n->name;
  gint64 v = 0;
  if (strcmp (name, "chord-update-interval") == 0)
    {
      if (!element_integer (n, 1, G_MAXINT32, &v, error))
        return FALSE;
      cfg->chord_update_interval = (guint) v;
    }
  else if (strcmp (name, "chord-ping-interval") == 0)
    {
      if (!element_integer (n, 1, G_MAXINT32, &v, error))
        return FALSE;
      cfg->chord_ping_interval = (guint) v;
    }
  else if (strcmp (name, "chord-reactive") == 0)
    return element_boolean (n, &cfg->chord_reactive, error);
  else
    return invalid (error, "unexpected element chord:%s", name);
  return TRUE;
}

static gboolean
read_configuration (ReloadConfig *cfg, const Source *src, xmlNode *conf, GError **error)
{
  /* §11.1: a node that does not support a mandatory-extension must not
   * use the configuration; checked before anything else, since the
   * extension may change what the rest means. */
  for (xmlNode *c = conf->children; c != NULL; c = c->next)
    if (is_element (c, RELOAD_CONFIG_NS_BASE, "mandatory-extension"))
      add_text (cfg->mandatory_extensions, c);
  for (guint i = 0; i < cfg->mandatory_extensions->len; i++)
    {
      const char *ns = g_ptr_array_index (cfg->mandatory_extensions, i);
      if (strcmp (ns, RELOAD_CONFIG_NS_BASE) != 0 && strcmp (ns, RELOAD_CONFIG_NS_CHORD) != 0)
        {
          g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION,
                       "mandatory-extension %s is not supported by this node (§11.1)", ns);
          return FALSE;
        }
    }

  cfg->instance_name = attribute_text (conf, "instance-name");
  g_autofree char *sequence = attribute_text (conf, "sequence");
  g_autofree char *expiration = attribute_text (conf, "expiration");
  if (sequence != NULL)
    {
      gint64 v;
      /* §11.1: "between 0 and 2^16-2" */
      if (!parse_integer (sequence, "sequence", 0, RELOAD_CONFIG_SEQUENCE_MAX, &v, error))
        return FALSE;
      cfg->sequence = (guint16) v;
    }
  if (expiration != NULL)
    {
      /* §11.1: RFC 3339 date-time in UTC */
      g_autoptr (GDateTime) t = g_date_time_new_from_iso8601 (expiration, NULL);
      if (t == NULL || g_date_time_get_utc_offset (t) != 0)
        return invalid (error, "expiration \"%s\" is not an RFC 3339 time in UTC (§11.1)",
                        expiration);
      cfg->expiration = g_date_time_to_utc (t);
    }

  for (xmlNode *c = conf->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE || c->ns == NULL)
        continue;
      const char *ns = (const char *) c->ns->href;
      if (strcmp (ns, RELOAD_CONFIG_NS_BASE) == 0)
        {
          if (!read_base_parameter (cfg, src, c, error))
            return FALSE;
        }
      else if (strcmp (ns, RELOAD_CONFIG_NS_CHORD) == 0)
        {
          if (!read_chord_parameter (cfg, c, error))
            return FALSE;
        }
      else if (strcmp (ns, RELOAD_CONFIG_NS_CHORUS) == 0
               && strcmp ((const char *) c->name, "multicast-bootstrap") == 0)
        {
          g_autofree char *group = element_text (c);
          if (!reload_config_add_multicast_bootstrap (cfg, group != NULL ? group : "", error))
            return FALSE;
        }
      else if (strcmp (ns, RELOAD_CONFIG_NS_CHORUS) == 0
               && (strcmp ((const char *) c->name, "turn-username") == 0
                   || strcmp ((const char *) c->name, "turn-password") == 0))
        {
          char **field = strcmp ((const char *) c->name, "turn-username") == 0
                             ? &cfg->turn_username
                             : &cfg->turn_password;
          g_free (*field);
          *field = element_text (c);
        }
      /* other namespaces (and other Chorus elements): extensions this
       * node ignores (a mandatory one was refused above) */
    }

  cfg->xml = element_bytes (src, conf);
  return TRUE;
}

/* ---------------------------------------------------------------- document */

static void
reject_doctype (void *ctx, const xmlChar *name, const xmlChar *external_id,
                const xmlChar *system_id)
{
  /* The internal subset is about to be read: stop before any entity is
   * declared, let alone loaded or expanded. */
  xmlParserCtxtPtr ctxt = ctx;
  ctxt->_private = GINT_TO_POINTER (1);
  xmlStopParser (ctxt);
}

static gpointer
init_libxml (gpointer unused)
{
  xmlInitParser ();
  return NULL;
}

static xmlDoc *
read_document (const char *xml, gsize len, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_libxml, NULL);

  ReloadConfigXmlErrors errs;
  reload_config_xml_errors_begin (&errs);
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      reload_config_xml_errors_end (&errs);
      parse_error (error, "out of memory");
      return NULL;
    }
  ctxt->sax->internalSubset = reject_doctype;
  ctxt->_private = NULL;
  /* XML_PARSE_NONET: nothing is fetched from the network.  Not
   * XML_PARSE_NOENT (entities stay unexpanded), XML_PARSE_DTDLOAD,
   * XML_PARSE_DTDATTR, XML_PARSE_DTDVALID or XML_PARSE_XINCLUDE: nothing
   * outside the document is ever read.  And the DOCTYPE is refused. */
  xmlDoc *doc = xmlCtxtReadMemory (ctxt, xml, (int) len, NULL, NULL, XML_PARSE_NONET);
  gboolean doctype = ctxt->_private != NULL;
  gboolean well_formed = ctxt->wellFormed && ctxt->nsWellFormed;
  xmlFreeParserCtxt (ctxt);

  if (doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL)))
    parse_error (error, "a DOCTYPE is not allowed in a configuration document "
                        "(no DTD, no entities)");
  else if (doc == NULL || !well_formed)
    parse_error (error, "not well-formed XML (§11.1): %s",
                 errs.first->len > 0 ? errs.first->str : "unknown error");
  else if (doc->encoding != NULL && g_ascii_strcasecmp ((const char *) doc->encoding, "UTF-8") != 0)
    parse_error (error, "the document is in %s; §11.1: it MUST use UTF-8",
                 (const char *) doc->encoding);
  else
    {
      reload_config_xml_errors_end (&errs);
      return doc;
    }
  reload_config_xml_errors_end (&errs);
  if (doc != NULL)
    xmlFreeDoc (doc);
  return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

ReloadConfig *
reload_config_parse (const char *xml, gsize len, const char *instance_name, GError **error)
{
  g_return_val_if_fail (xml != NULL || len == 0, NULL);
  if (len == 0)
    {
      parse_error (error, "empty document");
      return NULL;
    }
  if (len > RELOAD_CONFIG_MAX_DOCUMENT_SIZE)
    {
      parse_error (error, "the document is larger than %d bytes", RELOAD_CONFIG_MAX_DOCUMENT_SIZE);
      return NULL;
    }
  /* §11.1: "The file MUST use the UTF-8 character encoding"; this also
   * refuses NUL bytes, which the span scan could not see past */
  if (!g_utf8_validate_len (xml, len, NULL))
    {
      parse_error (error, "the document is not UTF-8 (§11.1)");
      return NULL;
    }

  g_autoptr (xmlDoc) doc = read_document (xml, len, error);
  if (doc == NULL)
    return NULL;
  if (!reload_config_grammar_validate (doc, error))
    return NULL;

  g_autoptr (GBytes) document = g_bytes_new (xml, len);
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  g_autoptr (GHashTable) index = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (!scan_elements (xml, len, spans, error))
    return NULL;
  xmlNode *root = xmlDocGetRootElement (doc);
  guint count = 0;
  index_elements (root, index, &count);
  if (count != spans->len)
    {
      /* cannot happen for a well-formed document without a DTD */
      parse_error (error, "%u elements in the tree but %u in the text", count, spans->len);
      return NULL;
    }
  Source src = { document, spans, index };

  xmlNode *conf = NULL;
  for (xmlNode *n = root->children; n != NULL && conf == NULL; n = n->next)
    {
      if (!is_element (n, RELOAD_CONFIG_NS_BASE, "configuration"))
        continue;
      g_autofree char *name = attribute_text (n, "instance-name");
      if (instance_name == NULL || g_strcmp0 (name, instance_name) == 0)
        conf = n;
    }
  if (conf == NULL)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_NOT_FOUND,
                   "the document has no configuration%s%s", instance_name != NULL ? " for " : "",
                   instance_name != NULL ? instance_name : "");
      return NULL;
    }

  g_autoptr (ReloadConfig) cfg = reload_config_new ();
  if (!read_configuration (cfg, &src, conf, error))
    return NULL;

  /* §11.1: "Each configuration element MAY be followed by signature
   * elements that provide a signature over the preceding configuration
   * element."  The algorithm attribute is not used: the SecurityBlock
   * names its own algorithms (§6.3.4). */
  for (xmlNode *n = conf->next; n != NULL; n = n->next)
    {
      if (is_element (n, RELOAD_CONFIG_NS_BASE, "configuration"))
        break;
      if (!is_element (n, RELOAD_CONFIG_NS_BASE, "signature"))
        continue;
      g_autofree char *text = element_text (n);
      GBytes *sig = reload_config_base64_decode (text, "signature", error);
      if (sig == NULL)
        return NULL;
      g_ptr_array_add (cfg->signatures, sig);
    }
  cfg->document = g_steal_pointer (&document);

  if (!reload_config_validate (cfg, error))
    return NULL;
  return g_steal_pointer (&cfg);
}
