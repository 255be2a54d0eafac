/* reload-config-write.c: writing a configuration document (RFC 6940
 * §11.1), unsigned or signed.
 *
 * The document is written as text rather than through a DOM so that the
 * writer knows the exact bytes of each <kind> element and of the
 * <configuration> element, which are what the kind-signatures and the
 * signature cover.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config-private.h"

#include <string.h>

/* Character data or an attribute value (@attr): the markup characters as
 * references, and in attribute values the whitespace characters too,
 * which attribute-value normalisation would otherwise turn into spaces
 * (XML 1.0 §3.3.3). */
static void
append_escaped (GString *out, const char *s, gboolean attr)
{
  for (const char *p = s; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, attr ? "&quot;" : "\"");
          break;
        case '\t':
          g_string_append (out, attr ? "&#9;" : "\t");
          break;
        case '\n':
          g_string_append (out, attr ? "&#10;" : "\n");
          break;
        case '\r':
          /* line-end normalisation (§2.11) would drop it even in text */
          g_string_append (out, "&#13;");
          break;
        default:
          g_string_append_c (out, *p);
          break;
        }
    }
}

static void
text_element (GString *out, const char *indent, const char *name, const char *text)
{
  g_string_append_printf (out, "%s<%s>", indent, name);
  append_escaped (out, text, FALSE);
  g_string_append_printf (out, "</%s>\n", name);
}

static void
uint_element (GString *out, const char *indent, const char *name, guint64 v)
{
  g_string_append_printf (out, "%s<%s>%" G_GUINT64_FORMAT "</%s>\n", indent, name, v, name);
}

static void
bool_element (GString *out, const char *indent, const char *name, gboolean v)
{
  g_string_append_printf (out, "%s<%s>%s</%s>\n", indent, name, v ? "true" : "false", name);
}

static void
list_elements (GString *out, const char *indent, const char *name, GPtrArray *list)
{
  for (guint i = 0; i < list->len; i++)
    text_element (out, indent, name, g_ptr_array_index (list, i));
}

static void
base64_element (GString *out, const char *indent, const char *name, const guint8 *data, gsize len)
{
  g_autofree char *b64 = g_base64_encode (data, len);
  text_element (out, indent, name, b64);
}

#define I2 "    "
#define I3 "      "
#define I4 "        "
#define I5 "          "

static gboolean
write_kind (GString *out, const ReloadConfigKind *k, const ReloadConfigSigner *signer,
            GError **error)
{
  g_string_append (out, I3 "<kind-block>\n" I4);
  gsize start = out->len;
  if (k->name != NULL)
    {
      g_string_append (out, "<kind name=\"");
      append_escaped (out, k->name, TRUE);
      g_string_append (out, "\">\n");
    }
  else
    g_string_append_printf (out, "<kind id=\"%u\">\n", k->id);
  text_element (out, I5, "data-model", reload_config_data_model_to_string (k->data_model));
  text_element (out, I5, "access-control", reload_config_access_to_string (k->access_control));
  uint_element (out, I5, "max-count", k->max_count);
  uint_element (out, I5, "max-size", k->max_size);
  if (k->max_node_multiple != 0)
    uint_element (out, I5, "max-node-multiple", k->max_node_multiple);
  if (k->label != NULL)
    text_element (out, I5, "chorus:name", k->label);
  g_string_append (out, I4 "</kind>");
  gsize end = out->len;
  g_string_append_c (out, '\n');
  if (signer != NULL)
    {
      /* §11.1: "computed across the kind element from the beginning of the
       * first < of the kind element to the end of the last >" */
      g_autofree char *sig =
          reload_config_sign_bytes (signer, (const guint8 *) out->str + start, end - start, error);
      if (sig == NULL)
        return FALSE;
      text_element (out, I4, "kind-signature", sig);
    }
  g_string_append (out, I3 "</kind-block>\n");
  return TRUE;
}

char *
reload_config_write (const ReloadConfig *cfg, const ReloadConfigSigner *signer, GError **error)
{
  /* never write what would not parse back to the same values */
  if (!reload_config_validate (cfg, error))
    return NULL;

  g_autoptr (GString) out = g_string_new (NULL);
  /* §11.1: "it SHOULD contain an encoding declaration" */
  g_string_append (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<overlay xmlns=\"" RELOAD_CONFIG_NS_BASE "\"\n"
                        "         xmlns:chord=\"" RELOAD_CONFIG_NS_CHORD "\"\n"
                        "         xmlns:chorus=\"" RELOAD_CONFIG_NS_CHORUS "\">\n");
  gsize start = out->len + 2;
  g_string_append (out, "  <configuration instance-name=\"");
  append_escaped (out, cfg->instance_name, TRUE);
  g_string_append_printf (out, "\" sequence=\"%u\"", cfg->sequence);
  if (cfg->expiration != NULL)
    {
      g_autofree char *t = g_date_time_format_iso8601 (cfg->expiration);
      g_string_append_printf (out, " expiration=\"%s\"", t);
    }
  g_string_append (out, ">\n");

  text_element (out, I2, "topology-plugin", cfg->topology_plugin);
  uint_element (out, I2, "node-id-length", cfg->node_id_length);
  for (guint i = 0; i < cfg->root_certs->len; i++)
    {
      g_autoptr (GBytes) der = reload_cert_get_der (g_ptr_array_index (cfg->root_certs, i));
      base64_element (out, I2, "root-cert", g_bytes_get_data (der, NULL), g_bytes_get_size (der));
    }
  for (guint i = 0; i < cfg->bad_root_certs->len; i++)
    {
      GBytes *der = g_ptr_array_index (cfg->bad_root_certs, i);
      base64_element (out, I2, "root-cert", g_bytes_get_data (der, NULL), g_bytes_get_size (der));
    }
  list_elements (out, I2, "enrollment-server", cfg->enrollment_servers);
  if (cfg->has_self_signed_permitted)
    {
      g_string_append (out, I2 "<self-signed-permitted digest=\"");
      append_escaped (out, cfg->self_signed_digest, TRUE);
      g_string_append_printf (out, "\">%s</self-signed-permitted>\n",
                              cfg->self_signed_permitted ? "true" : "false");
    }
  for (guint i = 0; i < cfg->bootstrap_nodes->len; i++)
    {
      const ReloadConfigBootstrap *b =
          &g_array_index (cfg->bootstrap_nodes, ReloadConfigBootstrap, i);
      g_string_append_printf (out, I2 "<bootstrap-node address=\"%s\" port=\"%u\"/>\n", b->address,
                              b->port);
    }
  list_elements (out, I2, "chorus:multicast-bootstrap", cfg->multicast_bootstrap);
  if (cfg->turn_username != NULL)
    text_element (out, I2, "chorus:turn-username", cfg->turn_username);
  if (cfg->turn_password != NULL)
    text_element (out, I2, "chorus:turn-password", cfg->turn_password);
  uint_element (out, I2, "turn-density", cfg->turn_density);
  bool_element (out, I2, "clients-permitted", cfg->clients_permitted);
  bool_element (out, I2, "no-ice", cfg->no_ice);
  if (cfg->shared_secret != NULL)
    text_element (out, I2, "shared-secret", cfg->shared_secret);
  uint_element (out, I2, "max-message-size", cfg->max_message_size);
  uint_element (out, I2, "initial-ttl", cfg->initial_ttl);
  uint_element (out, I2, "overlay-reliability-timer", cfg->overlay_reliability_timer);
  list_elements (out, I2, "overlay-link-protocol", cfg->overlay_link_protocols);
  list_elements (out, I2, "configuration-signer", cfg->configuration_signers);
  list_elements (out, I2, "kind-signer", cfg->kind_signers);
  list_elements (out, I2, "bad-node", cfg->bad_nodes);
  list_elements (out, I2, "mandatory-extension", cfg->mandatory_extensions);
  uint_element (out, I2, "chord:chord-update-interval", cfg->chord_update_interval);
  uint_element (out, I2, "chord:chord-ping-interval", cfg->chord_ping_interval);
  bool_element (out, I2, "chord:chord-reactive", cfg->chord_reactive);
  if (cfg->kinds->len > 0)
    {
      g_string_append (out, I2 "<required-kinds>\n");
      for (guint i = 0; i < cfg->kinds->len; i++)
        if (!write_kind (out, g_ptr_array_index (cfg->kinds, i), signer, error))
          return NULL;
      g_string_append (out, I2 "</required-kinds>\n");
    }
  g_string_append (out, "  </configuration>");
  gsize end = out->len;
  g_string_append_c (out, '\n');

  if (signer != NULL)
    {
      /* §11.1: "starting from, and including, the first < at the start of
       * <configuration> up to and including the > in </configuration>" */
      g_autofree char *sig =
          reload_config_sign_bytes (signer, (const guint8 *) out->str + start, end - start, error);
      if (sig == NULL)
        return NULL;
      text_element (out, "  ", "signature", sig);
    }
  g_string_append (out, "</overlay>\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
reload_config_to_xml (const ReloadConfig *cfg, GError **error)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  return reload_config_write (cfg, NULL, error);
}
