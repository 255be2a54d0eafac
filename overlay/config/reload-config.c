/* reload-config.c: the configuration structure, its rules (RFC 6940
 * §11.1), and what a node makes of it (kinds, node parameters, updates).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config-private.h"

#include <gio/gio.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-config-error-quark, reload_config_error)
/* clang-format on */

gboolean
reload_config_fail (GError **error, ReloadConfigError code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, RELOAD_CONFIG_ERROR, code, msg);
  return FALSE;
}

#define invalid(error, ...) reload_config_fail (error, RELOAD_CONFIG_ERROR_INVALID, __VA_ARGS__)

/* ---------------------------------------------------------------- values */

static const struct
{
  ReloadDataModel model;
  const char *name;
} data_models[] = {
  /* §11.1.1 data-model-type; §7.2 */
  { RELOAD_DATA_MODEL_SINGLE, "SINGLE" },
  { RELOAD_DATA_MODEL_ARRAY, "ARRAY" },
  { RELOAD_DATA_MODEL_DICTIONARY, "DICTIONARY" },
};

static const struct
{
  ReloadAccessPolicy policy;
  const char *name;
} access_policies[] = {
  /* §11.1.1 access-control-type; §7.3 */
  { RELOAD_ACCESS_USER_MATCH, "USER-MATCH" },
  { RELOAD_ACCESS_NODE_MATCH, "NODE-MATCH" },
  { RELOAD_ACCESS_USER_NODE_MATCH, "USER-NODE-MATCH" },
  { RELOAD_ACCESS_NODE_MULTIPLE, "NODE-MULTIPLE" },
  /* RFC 7374 §4.2, the access control extension of ReDiR */
  { RELOAD_ACCESS_NODE_ID_MATCH, "NODE-ID-MATCH" },
};

gboolean
reload_config_data_model_from_string (const char *s, ReloadDataModel *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (data_models); i++)
    if (strcmp (s, data_models[i].name) == 0)
      {
        *out = data_models[i].model;
        return TRUE;
      }
  return FALSE;
}

const char *
reload_config_data_model_to_string (ReloadDataModel m)
{
  for (guint i = 0; i < G_N_ELEMENTS (data_models); i++)
    if (data_models[i].model == m)
      return data_models[i].name;
  return NULL;
}

gboolean
reload_config_access_from_string (const char *s, ReloadAccessPolicy *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (access_policies); i++)
    if (strcmp (s, access_policies[i].name) == 0)
      {
        *out = access_policies[i].policy;
        return TRUE;
      }
  return FALSE;
}

const char *
reload_config_access_to_string (ReloadAccessPolicy p)
{
  for (guint i = 0; i < G_N_ELEMENTS (access_policies); i++)
    if (access_policies[i].policy == p)
      return access_policies[i].name;
  return NULL;
}

/* The kinds registered with IANA that this node implements (§14.6,
 * RFC 7904 §8, RFC 7374 §7). */
static const struct
{
  const char *name;
  guint32 id;
} iana_kinds[] = {
  { "SIP-REGISTRATION", RELOAD_KIND_SIP_REGISTRATION },
  { "TURN-SERVICE", RELOAD_KIND_TURN_SERVICE },
  { "CERTIFICATE_BY_NODE", RELOAD_KIND_CERTIFICATE_BY_NODE },
  { "CERTIFICATE_BY_USER", RELOAD_KIND_CERTIFICATE_BY_USER },
  { "REDIR", RELOAD_KIND_REDIR },
};

guint32
reload_config_kind_id_from_name (const char *name)
{
  g_return_val_if_fail (name != NULL, 0);
  for (guint i = 0; i < G_N_ELEMENTS (iana_kinds); i++)
    if (g_ascii_strcasecmp (name, iana_kinds[i].name) == 0)
      return iana_kinds[i].id;
  return 0;
}

static gboolean
is_iana_kind (guint32 id)
{
  for (guint i = 0; i < G_N_ELEMENTS (iana_kinds); i++)
    if (iana_kinds[i].id == id)
      return TRUE;
  return FALSE;
}

/* The Kind-ID a kind-block stands for: its id=, or the IANA Kind-ID of
 * its name= (0 when unknown). */
static guint32
kind_effective_id (const ReloadConfigKind *k)
{
  return k->name != NULL ? reload_config_kind_id_from_name (k->name) : k->id;
}

char *
reload_config_node_id_hex (const ReloadNodeId *id)
{
  GString *s = g_string_sized_new (2 * id->len + 1);
  for (guint i = 0; i < id->len && i < RELOAD_NODE_ID_MAX; i++)
    g_string_append_printf (s, "%02x", id->id[i]);
  return g_string_free (s, FALSE);
}

static gboolean
is_xml_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

GBytes *
reload_config_base64_decode (const char *text, const char *what, GError **error)
{
  /* xsd:base64Binary and RFC 4648 §4: the base64 alphabet, the length a
   * multiple of 4 with "=" padding only at the end.  GLib's decoder skips
   * invalid characters silently, and libxml2's datatype check accepts some
   * (e.g. "%"), so the text is checked here first. */
  g_autoptr (GString) clean = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p++)
    {
      char c = *p;
      if (is_xml_space (c))
        continue;
      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || c == '='))
        {
          g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                       "%s: '%c' is not a base64 character (RFC 4648)", what,
                       g_ascii_isprint (c) ? c : '?');
          return NULL;
        }
      g_string_append_c (clean, c);
    }
  gsize n = clean->len;
  const char *s = clean->str;
  const char *pad = strchr (s, '=');
  gboolean bad_padding =
      pad != NULL && !((pad == s + n - 1) || (pad == s + n - 2 && s[n - 1] == '='));
  if (n % 4 != 0 || bad_padding)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "%s: malformed base64 (length %" G_GSIZE_FORMAT ", padding)", what, n);
      return NULL;
    }
  if (n == 0)
    return g_bytes_new (NULL, 0);
  gsize out_len = 0;
  guchar *out = g_base64_decode (s, &out_len);
  return g_bytes_new_take (out, out_len);
}

/* ---------------------------------------------------------------- lifecycle */

ReloadConfigKind *
reload_config_kind_new (void)
{
  ReloadConfigKind *k = g_new0 (ReloadConfigKind, 1);
  k->data_model = RELOAD_DATA_MODEL_SINGLE;
  k->access_control = RELOAD_ACCESS_USER_MATCH;
  return k;
}

ReloadConfigKind *
reload_config_kind_copy (const ReloadConfigKind *kind)
{
  g_return_val_if_fail (kind != NULL, NULL);
  ReloadConfigKind *k = g_new0 (ReloadConfigKind, 1);
  *k = *kind;
  k->name = g_strdup (kind->name);
  k->label = g_strdup (kind->label);
  k->xml = kind->xml != NULL ? g_bytes_ref (kind->xml) : NULL;
  k->signature = kind->signature != NULL ? g_bytes_ref (kind->signature) : NULL;
  return k;
}

void
reload_config_kind_free (ReloadConfigKind *kind)
{
  if (kind == NULL)
    return;
  g_free (kind->name);
  g_free (kind->label);
  g_clear_pointer (&kind->xml, g_bytes_unref);
  g_clear_pointer (&kind->signature, g_bytes_unref);
  g_free (kind);
}

static void
bootstrap_clear (gpointer p)
{
  ReloadConfigBootstrap *b = p;
  g_clear_pointer (&b->address, g_free);
}

static GPtrArray *
string_list_new (void)
{
  return g_ptr_array_new_null_terminated (0, g_free, TRUE);
}

ReloadConfig *
reload_config_new (void)
{
  ReloadConfig *cfg = g_new0 (ReloadConfig, 1);
  cfg->topology_plugin = g_strdup (RELOAD_CONFIG_DEFAULT_TOPOLOGY);
  cfg->node_id_length = RELOAD_CONFIG_DEFAULT_NODE_ID_LENGTH;
  cfg->root_certs = g_ptr_array_new_with_free_func ((GDestroyNotify) reload_cert_unref);
  cfg->bad_root_certs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  cfg->enrollment_servers = string_list_new ();
  cfg->bootstrap_nodes = g_array_new (FALSE, TRUE, sizeof (ReloadConfigBootstrap));
  g_array_set_clear_func (cfg->bootstrap_nodes, bootstrap_clear);
  cfg->turn_density = RELOAD_CONFIG_DEFAULT_TURN_DENSITY;
  cfg->clients_permitted = TRUE;
  cfg->no_ice = FALSE;
  cfg->max_message_size = RELOAD_CONFIG_DEFAULT_MAX_MESSAGE_SIZE;
  cfg->initial_ttl = RELOAD_CONFIG_DEFAULT_INITIAL_TTL;
  cfg->overlay_reliability_timer = RELOAD_CONFIG_DEFAULT_RELIABILITY_TIMER;
  cfg->overlay_link_protocols = string_list_new ();
  cfg->configuration_signers = string_list_new ();
  cfg->kind_signers = string_list_new ();
  cfg->bad_nodes = string_list_new ();
  cfg->mandatory_extensions = string_list_new ();
  cfg->chord_update_interval = RELOAD_CONFIG_DEFAULT_CHORD_UPDATE_INTERVAL;
  cfg->chord_ping_interval = RELOAD_CONFIG_DEFAULT_CHORD_PING_INTERVAL;
  cfg->chord_reactive = TRUE; /* §11.1: "If missing, the default is true" */
  cfg->kinds = g_ptr_array_new_with_free_func ((GDestroyNotify) reload_config_kind_free);
  cfg->multicast_bootstrap = string_list_new ();
  cfg->signatures = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return cfg;
}

void
reload_config_free (ReloadConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->instance_name);
  g_clear_pointer (&cfg->expiration, g_date_time_unref);
  g_free (cfg->topology_plugin);
  g_ptr_array_unref (cfg->root_certs);
  g_ptr_array_unref (cfg->bad_root_certs);
  g_ptr_array_unref (cfg->enrollment_servers);
  g_free (cfg->self_signed_digest);
  g_array_unref (cfg->bootstrap_nodes);
  g_free (cfg->shared_secret);
  g_ptr_array_unref (cfg->overlay_link_protocols);
  g_ptr_array_unref (cfg->configuration_signers);
  g_ptr_array_unref (cfg->kind_signers);
  g_ptr_array_unref (cfg->bad_nodes);
  g_ptr_array_unref (cfg->mandatory_extensions);
  g_ptr_array_unref (cfg->kinds);
  g_ptr_array_unref (cfg->multicast_bootstrap);
  g_free (cfg->turn_username);
  g_free (cfg->turn_password);
  g_clear_pointer (&cfg->document, g_bytes_unref);
  g_clear_pointer (&cfg->xml, g_bytes_unref);
  g_ptr_array_unref (cfg->signatures);
  g_free (cfg);
}

/* The RFC 5952 form of a numeric address, or NULL. */
static char *
normalise_address (const char *address)
{
  /* no zone: a zone index means nothing to another host */
  if (address == NULL || strchr (address, '%') != NULL)
    return NULL;
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (address);
  if (a == NULL)
    return NULL;
  /* inet_ntop: lower case, the longest run of zero groups as "::" */
  return g_inet_address_to_string (a);
}

gboolean
reload_config_add_bootstrap_node (ReloadConfig *cfg, const char *address, guint16 port,
                                  GError **error)
{
  g_return_val_if_fail (cfg != NULL && address != NULL, FALSE);
  g_autofree char *norm = normalise_address (address);
  if (norm == NULL)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "bootstrap-node: \"%s\" is not a numeric IPv4 or IPv6 address (§11.1)", address);
      return FALSE;
    }
  ReloadConfigBootstrap b = { g_steal_pointer (&norm),
                              port != 0 ? port : RELOAD_CONFIG_DEFAULT_PORT };
  g_array_append_val (cfg->bootstrap_nodes, b);
  return TRUE;
}

/* The normal form of a <chorus:multicast-bootstrap> group, or NULL. */
static char *
normalise_multicast_group (const char *text, GError **error)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  if (text != NULL && text[0] == '[')
    {
      const char *end = strchr (text, ']');
      if (end != NULL && end[1] == ':')
        {
          host = g_strndup (text + 1, (gsize) (end - text - 1));
          port_text = end + 2;
        }
    }
  else if (text != NULL && strchr (text, ':') != NULL && strchr (text, ':') == strrchr (text, ':'))
    {
      host = g_strndup (text, (gsize) (strrchr (text, ':') - text));
      port_text = strrchr (text, ':') + 1;
    }
  guint64 port = 0;
  g_autoptr (GInetAddress) a =
      host != NULL && strchr (host, '%') == NULL ? g_inet_address_new_from_string (host) : NULL;
  if (a == NULL || port_text == NULL
      || !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "multicast-bootstrap \"%s\" is not GROUP:PORT ([GROUP]:PORT for IPv6, no zone, "
                   "port 1 to 65535)",
                   text ? text : "");
      return NULL;
    }
  const guint8 *b = g_inet_address_to_bytes (a);
  gboolean ipv4 = g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4;
  /* the local link only: RFC 2365 §6.1 (239.0.0.0/8, administratively
   * scoped) and RFC 4291 §2.7 (scop 2, link-local) */
  if (ipv4 ? b[0] != 239 : (b[0] != 0xff || (b[1] & 0x0f) != 2))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "multicast-bootstrap %s is not an administratively scoped IPv4 group "
                   "(239.0.0.0/8) or a link-local IPv6 group (ff02::/16)",
                   host);
      return NULL;
    }
  g_autofree char *norm = g_inet_address_to_string (a);
  return ipv4 ? g_strdup_printf ("%s:%u", norm, (guint) port)
              : g_strdup_printf ("[%s]:%u", norm, (guint) port);
}

gboolean
reload_config_add_multicast_bootstrap (ReloadConfig *cfg, const char *group, GError **error)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  g_autofree char *norm = normalise_multicast_group (
      group != NULL && *group != '\0' ? group : RELOAD_CONFIG_DEFAULT_MULTICAST_BOOTSTRAP, error);
  if (norm == NULL)
    return FALSE;
  for (guint i = 0; i < cfg->multicast_bootstrap->len; i++)
    if (strcmp (g_ptr_array_index (cfg->multicast_bootstrap, i), norm) == 0)
      return TRUE;
  if (cfg->multicast_bootstrap->len >= RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "more than %u multicast-bootstrap groups",
                   RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP);
      return FALSE;
    }
  g_ptr_array_add (cfg->multicast_bootstrap, g_steal_pointer (&norm));
  return TRUE;
}

/* ---------------------------------------------------------------- rules */

/* A string the writer can put in a document and the parser gives back:
 * UTF-8, characters XML allows (XML 1.0 §2.2), no leading or trailing
 * whitespace (every value is trimmed when read). */
static gboolean
check_text (const char *s, const char *what, gboolean allow_empty, GError **error)
{
  if (s == NULL || (!allow_empty && *s == '\0'))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID, "%s is empty", what);
      return FALSE;
    }
  if (!g_utf8_validate (s, -1, NULL))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID, "%s is not valid UTF-8",
                   what);
      return FALSE;
    }
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
            || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)))
        {
          g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                       "%s holds U+%04X, which XML does not allow", what, c);
          return FALSE;
        }
    }
  gsize n = strlen (s);
  if (n > 0 && (is_xml_space (s[0]) || is_xml_space (s[n - 1])))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "%s begins or ends with whitespace, which a reader trims", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_string_list (GPtrArray *list, const char *what, GError **error)
{
  for (guint i = 0; i < list->len; i++)
    if (!check_text (g_ptr_array_index (list, i), what, FALSE, error))
      return FALSE;
  return TRUE;
}

static gboolean
check_kind (const ReloadConfigKind *k, GError **error)
{
  guint32 id = kind_effective_id (k);
  if (k->name != NULL)
    {
      if (!check_text (k->name, "kind name", FALSE, error))
        return FALSE;
      /* §11.1: "The name attribute is a string representing the Kind (the
       * name registered to IANA)": a name this node does not know is a kind
       * it cannot support. */
      if (id == 0)
        return invalid (
            error, "kind \"%s\" is not a Kind registered with IANA that this node knows", k->name);
      if (k->id != 0 && k->id != id)
        return invalid (error, "kind \"%s\" is Kind-ID %u, not %u", k->name, id, k->id);
    }
  else if (id == 0)
    return invalid (error, "kind: Kind-ID 0 is reserved (§14.6)");
  if (k->label != NULL)
    {
      if (!check_text (k->label, "kind label", FALSE, error))
        return FALSE;
      if (k->name != NULL || reload_config_kind_id_from_name (k->label) != 0)
        return invalid (error, "kind %u: a label names a private kind, not \"%s\"", id, k->label);
    }
  if (reload_config_data_model_to_string (k->data_model) == NULL)
    return invalid (error, "kind %u: unknown data model %d", id, (int) k->data_model);
  if (reload_config_access_to_string (k->access_control) == NULL)
    return invalid (error, "kind %u: unknown access control %d", id, (int) k->access_control);
  /* §11.1: "If the access control is NODE-MULTIPLE, this element MUST be
   * included ... It MUST be an integer greater than 0." */
  if (k->access_control == RELOAD_ACCESS_NODE_MULTIPLE && k->max_node_multiple == 0)
    return invalid (error, "kind %u: NODE-MULTIPLE needs a max-node-multiple above 0 (§11.1)", id);
  /* xsd:int */
  if (k->max_count > G_MAXINT32 || k->max_size > G_MAXINT32 || k->max_node_multiple > G_MAXINT32)
    return invalid (error, "kind %u: max-count, max-size and max-node-multiple are xsd:int", id);
  return TRUE;
}

/* §11.1 mandatory-extension: only the namespaces this node implements. */
static gboolean
extension_supported (const char *ns)
{
  return strcmp (ns, RELOAD_CONFIG_NS_BASE) == 0 || strcmp (ns, RELOAD_CONFIG_NS_CHORD) == 0;
}

gboolean
reload_config_validate (const ReloadConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, FALSE);

  /* First: with an extension it lacks, a node cannot judge the rest. */
  if (!check_string_list (cfg->mandatory_extensions, "mandatory-extension", error))
    return FALSE;
  for (guint i = 0; i < cfg->mandatory_extensions->len; i++)
    {
      const char *ns = g_ptr_array_index (cfg->mandatory_extensions, i);
      if (!extension_supported (ns))
        {
          g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION,
                       "mandatory-extension %s is not supported by this node (§11.1)", ns);
          return FALSE;
        }
    }

  if (!check_text (cfg->instance_name, "instance-name", FALSE, error))
    return FALSE;
  /* §11.1: "between 0 and 2^16-2" */
  if (cfg->sequence > RELOAD_CONFIG_SEQUENCE_MAX)
    return invalid (error, "sequence %u is above %u (§11.1)", cfg->sequence,
                    RELOAD_CONFIG_SEQUENCE_MAX);
  if (cfg->expiration != NULL && g_date_time_get_utc_offset (cfg->expiration) != 0)
    return invalid (error, "expiration must be in UTC (§11.1, RFC 3339)");
  if (!check_text (cfg->topology_plugin, "topology-plugin", FALSE, error))
    return FALSE;
  /* §11.1: "This value MUST be between 16 (128 bits) and 20 (160 bits)" */
  if (cfg->node_id_length < 16 || cfg->node_id_length > 20)
    return invalid (error, "node-id-length %u is not between 16 and 20 (§11.1)",
                    cfg->node_id_length);
  for (guint i = 0; i < cfg->root_certs->len; i++)
    if (g_ptr_array_index (cfg->root_certs, i) == NULL)
      return invalid (error, "root-cert %u is NULL", i);

  if (!check_string_list (cfg->enrollment_servers, "enrollment-server", error))
    return FALSE;
  for (guint i = 0; i < cfg->enrollment_servers->len; i++)
    {
      /* §11.1: "This URL MUST be of type "https:"" */
      const char *url = g_ptr_array_index (cfg->enrollment_servers, i);
      g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0
          || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
        return invalid (error, "enrollment-server \"%s\" is not an https: URL (§11.1)", url);
    }

  if (cfg->has_self_signed_permitted)
    {
      if (!check_text (cfg->self_signed_digest, "self-signed-permitted digest", FALSE, error))
        return FALSE;
      /* §11.1: "Valid values for this parameter are "sha1" and "sha256""; an
       * extension digest only matters when self-signed certificates are
       * permitted, since it computes their Node-IDs. */
      if (cfg->self_signed_permitted && strcmp (cfg->self_signed_digest, "sha1") != 0
          && strcmp (cfg->self_signed_digest, "sha256") != 0)
        return invalid (error, "self-signed-permitted digest \"%s\" is not sha1 or sha256",
                        cfg->self_signed_digest);
    }

  for (guint i = 0; i < cfg->bootstrap_nodes->len; i++)
    {
      const ReloadConfigBootstrap *b =
          &g_array_index (cfg->bootstrap_nodes, ReloadConfigBootstrap, i);
      g_autofree char *norm = normalise_address (b->address);
      if (norm == NULL)
        return invalid (error, "bootstrap-node \"%s\" is not a numeric address (§11.1)",
                        b->address != NULL ? b->address : "(null)");
      if (strcmp (norm, b->address) != 0)
        return invalid (error,
                        "bootstrap-node \"%s\" is not in RFC 5952 form (\"%s\"): use "
                        "reload_config_add_bootstrap_node()",
                        b->address, norm);
      if (b->port == 0)
        return invalid (error, "bootstrap-node %s: port 0", b->address);
    }

  /* the overlay's TURN credential (RFC 5766 §4): both parts or none */
  if ((cfg->turn_username == NULL) != (cfg->turn_password == NULL))
    return invalid (error, "chorus:turn-username and chorus:turn-password go together");
  if (cfg->turn_username != NULL
      && (!check_text (cfg->turn_username, "turn-username", FALSE, error)
          || !check_text (cfg->turn_password, "turn-password", FALSE, error)))
    return FALSE;

  if (cfg->multicast_bootstrap->len > RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP)
    return invalid (error, "more than %u multicast-bootstrap groups",
                    RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP);
  for (guint i = 0; i < cfg->multicast_bootstrap->len; i++)
    {
      const char *g = g_ptr_array_index (cfg->multicast_bootstrap, i);
      g_autofree char *norm = normalise_multicast_group (g, error);
      if (norm == NULL)
        return FALSE;
      if (strcmp (norm, g) != 0)
        return invalid (error,
                        "multicast-bootstrap \"%s\" is not in normal form (\"%s\"): use "
                        "reload_config_add_multicast_bootstrap()",
                        g, norm);
      for (guint j = 0; j < i; j++)
        if (strcmp (g_ptr_array_index (cfg->multicast_bootstrap, j), g) == 0)
          return invalid (error, "multicast-bootstrap %s twice", g);
    }

  if (cfg->shared_secret != NULL && !check_text (cfg->shared_secret, "shared-secret", FALSE, error))
    return FALSE;
  if (cfg->max_message_size == 0 || cfg->max_message_size > G_MAXUINT32)
    return invalid (error, "max-message-size must be above 0");
  /* §6.3.2: the TTL is one byte; a message starting at 0 goes nowhere */
  if (cfg->initial_ttl == 0)
    return invalid (error, "initial-ttl must be 1 to 255 (§6.3.2)");
  /* §11.1: "The value MUST be at least 200 milliseconds" */
  if (cfg->overlay_reliability_timer < RELOAD_CONFIG_MIN_RELIABILITY_TIMER
      || cfg->overlay_reliability_timer > G_MAXINT32)
    return invalid (error, "overlay-reliability-timer %u ms is below 200 ms (§11.1)",
                    cfg->overlay_reliability_timer);
  if (!check_string_list (cfg->overlay_link_protocols, "overlay-link-protocol", error)
      || !check_string_list (cfg->configuration_signers, "configuration-signer", error)
      || !check_string_list (cfg->kind_signers, "kind-signer", error)
      || !check_string_list (cfg->bad_nodes, "bad-node", error))
    return FALSE;
  /* §10.7.4: intervals in seconds, xsd:int */
  if (cfg->chord_update_interval == 0 || cfg->chord_update_interval > G_MAXINT32
      || cfg->chord_ping_interval == 0 || cfg->chord_ping_interval > G_MAXINT32)
    return invalid (error, "chord-update-interval and chord-ping-interval must be above 0");

  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < cfg->kinds->len; i++)
    {
      const ReloadConfigKind *k = g_ptr_array_index (cfg->kinds, i);
      if (!check_kind (k, error))
        return FALSE;
      guint32 id = kind_effective_id (k);
      if (!g_hash_table_add (seen, GUINT_TO_POINTER (id)))
        return invalid (error, "kind %u has two kind-blocks", id);
    }
  return TRUE;
}

/* ---------------------------------------------------------------- equality */

static gboolean
string_lists_equal (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
cert_equal (ReloadCert *a, ReloadCert *b)
{
  g_autoptr (GBytes) da = reload_cert_get_der (a);
  g_autoptr (GBytes) db = reload_cert_get_der (b);
  return g_bytes_equal (da, db);
}

static gboolean
kind_equal (const ReloadConfigKind *a, const ReloadConfigKind *b)
{
  if ((a->name == NULL) != (b->name == NULL))
    return FALSE;
  if (a->name != NULL && g_ascii_strcasecmp (a->name, b->name) != 0)
    return FALSE;
  if (g_strcmp0 (a->label, b->label) != 0)
    return FALSE;
  return kind_effective_id (a) == kind_effective_id (b) && a->data_model == b->data_model
         && a->access_control == b->access_control && a->max_count == b->max_count
         && a->max_size == b->max_size && a->max_node_multiple == b->max_node_multiple;
}

gboolean
reload_config_equal (const ReloadConfig *a, const ReloadConfig *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (g_strcmp0 (a->instance_name, b->instance_name) != 0 || a->sequence != b->sequence)
    return FALSE;
  if ((a->expiration == NULL) != (b->expiration == NULL)
      || (a->expiration != NULL && !g_date_time_equal (a->expiration, b->expiration)))
    return FALSE;
  if (g_strcmp0 (a->topology_plugin, b->topology_plugin) != 0
      || a->node_id_length != b->node_id_length)
    return FALSE;
  if (a->root_certs->len != b->root_certs->len || a->bad_root_certs->len != b->bad_root_certs->len)
    return FALSE;
  for (guint i = 0; i < a->root_certs->len; i++)
    if (!cert_equal (g_ptr_array_index (a->root_certs, i), g_ptr_array_index (b->root_certs, i)))
      return FALSE;
  for (guint i = 0; i < a->bad_root_certs->len; i++)
    if (!g_bytes_equal (g_ptr_array_index (a->bad_root_certs, i),
                        g_ptr_array_index (b->bad_root_certs, i)))
      return FALSE;
  if (!string_lists_equal (a->enrollment_servers, b->enrollment_servers))
    return FALSE;
  if (a->has_self_signed_permitted != b->has_self_signed_permitted
      || (a->has_self_signed_permitted
          && (a->self_signed_permitted != b->self_signed_permitted
              || g_strcmp0 (a->self_signed_digest, b->self_signed_digest) != 0)))
    return FALSE;
  if (a->bootstrap_nodes->len != b->bootstrap_nodes->len)
    return FALSE;
  for (guint i = 0; i < a->bootstrap_nodes->len; i++)
    {
      const ReloadConfigBootstrap *x =
          &g_array_index (a->bootstrap_nodes, ReloadConfigBootstrap, i);
      const ReloadConfigBootstrap *y =
          &g_array_index (b->bootstrap_nodes, ReloadConfigBootstrap, i);
      if (g_strcmp0 (x->address, y->address) != 0 || x->port != y->port)
        return FALSE;
    }
  if (a->turn_density != b->turn_density || !a->clients_permitted != !b->clients_permitted
      || !a->no_ice != !b->no_ice || g_strcmp0 (a->shared_secret, b->shared_secret) != 0
      || g_strcmp0 (a->turn_username, b->turn_username) != 0
      || g_strcmp0 (a->turn_password, b->turn_password) != 0
      || a->max_message_size != b->max_message_size || a->initial_ttl != b->initial_ttl
      || a->overlay_reliability_timer != b->overlay_reliability_timer)
    return FALSE;
  if (!string_lists_equal (a->overlay_link_protocols, b->overlay_link_protocols)
      || !string_lists_equal (a->configuration_signers, b->configuration_signers)
      || !string_lists_equal (a->kind_signers, b->kind_signers)
      || !string_lists_equal (a->bad_nodes, b->bad_nodes)
      || !string_lists_equal (a->mandatory_extensions, b->mandatory_extensions)
      || !string_lists_equal (a->multicast_bootstrap, b->multicast_bootstrap))
    return FALSE;
  if (a->chord_update_interval != b->chord_update_interval
      || a->chord_ping_interval != b->chord_ping_interval
      || !a->chord_reactive != !b->chord_reactive)
    return FALSE;
  if (a->kinds->len != b->kinds->len)
    return FALSE;
  for (guint i = 0; i < a->kinds->len; i++)
    if (!kind_equal (g_ptr_array_index (a->kinds, i), g_ptr_array_index (b->kinds, i)))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- use */

gboolean
reload_config_check_update (const ReloadConfig *held, const ReloadConfig *received, GError **error)
{
  g_return_val_if_fail (held != NULL && received != NULL, FALSE);
  if (g_strcmp0 (held->instance_name, received->instance_name) != 0)
    return invalid (error, "the configuration is for overlay %s, not %s", received->instance_name,
                    held->instance_name);
  /* §6.5.4.2: "processed only if ... the sequence number in the document
   * is greater than the current configuration sequence number"; greater
   * as §6.3.2.1 compares them, "monotonically increasing mod 65535 ...
   * by modulo arithmetic as in TCP", so that 0 follows 65534 ("peers
   * sending a new configuration when the configuration sequence is
   * currently 65534 MUST set the configuration sequence number to 0"). */
  if (reload_configuration_sequence_compare (received->sequence, held->sequence) <= 0)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_TOO_OLD,
                   "configuration sequence %u is not newer than the %u held", received->sequence,
                   held->sequence);
      return FALSE;
    }
  return TRUE;
}

guint16
reload_config_next_sequence (guint16 sequence)
{
  return sequence >= RELOAD_CONFIG_SEQUENCE_MAX ? 0 : (guint16) (sequence + 1);
}

gboolean
reload_config_is_expired (const ReloadConfig *cfg, GDateTime *now)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  if (cfg->expiration == NULL)
    return FALSE;
  g_autoptr (GDateTime) t = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_utc ();
  return g_date_time_compare (cfg->expiration, t) <= 0;
}

ReloadKindTable *
reload_config_get_kinds (const ReloadConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  for (guint i = 0; i < cfg->kinds->len; i++)
    if (!check_kind (g_ptr_array_index (cfg->kinds, i), error))
      return NULL;

  g_autoptr (ReloadKindTable) table = reload_kind_table_new_default ();
  for (guint i = 0; i < cfg->kinds->len; i++)
    {
      const ReloadConfigKind *k = g_ptr_array_index (cfg->kinds, i);
      guint32 id = kind_effective_id (k);
      ReloadKindDef def = {
        .id = id,
        .name = k->name != NULL ? k->name : k->label,
        .model = k->data_model,
        .policy = k->access_control,
        .max_count = k->max_count,
        .max_size = k->max_size,
        .max_node_multiple = k->max_node_multiple,
      };
      const ReloadKindDef *known = reload_kind_table_lookup (table, id);
      if (known != NULL && is_iana_kind (id))
        {
          /* §11.1: "If the Kind is registered with IANA, the data-model and
           * access-control elements MUST match those in the Kind
           * registration, and clients MUST ignore them in favor of the IANA
           * versions." */
          def.name = known->name;
          def.model = known->model;
          def.policy = known->policy;
          if (def.max_node_multiple == 0)
            def.max_node_multiple = known->max_node_multiple;
        }
      /* the table copies def, name included, before known can change */
      g_autofree char *name = g_strdup (def.name);
      def.name = name;
      reload_kind_table_add (table, &def);
    }
  return g_steal_pointer (&table);
}

gboolean
reload_config_apply_to_node (const ReloadConfig *cfg, ReloadNodeConfig *node_config, GError **error)
{
  g_return_val_if_fail (cfg != NULL && node_config != NULL, FALSE);
  if (!reload_config_validate (cfg, error))
    return FALSE;
  ReloadKindTable *kinds = reload_config_get_kinds (cfg, error);
  if (kinds == NULL)
    return FALSE;
  node_config->overlay_name = cfg->instance_name;
  node_config->configuration_sequence = cfg->sequence;
  node_config->max_message_size = cfg->max_message_size;
  node_config->initial_ttl = cfg->initial_ttl;
  node_config->overlay_reliability_timer_ms = cfg->overlay_reliability_timer;
  node_config->chord_update_interval_s = cfg->chord_update_interval;
  node_config->chord_ping_interval_s = cfg->chord_ping_interval;
  node_config->chord_reactive = cfg->chord_reactive;
  node_config->turn_density = cfg->turn_density; /* §9 */
  node_config->kinds = kinds;                    /* the caller's reference */
  /* what the node sends in ConfigUpdate (§6.5.4); NULL when @cfg was not
   * parsed from a document */
  node_config->config_document = cfg->document;
  return TRUE;
}

/* ---------------------------------------------------------------- files */

ReloadConfig *
reload_config_load_file (const char *path, const char *instance_name, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) e = NULL;
  if (!g_file_get_contents (path, &data, &len, &e))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_IO, "%s", e->message);
      return NULL;
    }
  return reload_config_parse (data, len, instance_name, error);
}

static gboolean
write_file (const char *path, const char *data, gsize len, GError **error)
{
  g_autoptr (GError) e = NULL;
  /* atomically: a temporary file renamed over @path, so that a crash
   * leaves the old document or the new one, never half of one; 0600,
   * since a document may hold a shared-secret (§11.1) */
  if (len > G_MAXSSIZE
      || !g_file_set_contents_full (path, data, (gssize) len,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, &e))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_IO, "%s",
                   e != NULL ? e->message : "document too large");
      return FALSE;
    }
  return TRUE;
}

gboolean
reload_config_save (const ReloadConfig *cfg, const char *path, GError **error)
{
  g_return_val_if_fail (cfg != NULL && path != NULL, FALSE);
  if (cfg->document != NULL)
    {
      /* byte for byte: the signatures cover these bytes */
      gsize len;
      const char *data = g_bytes_get_data (cfg->document, &len);
      return write_file (path, data, len, error);
    }
  g_autofree char *xml = reload_config_to_xml (cfg, error);
  return xml != NULL && write_file (path, xml, strlen (xml), error);
}
