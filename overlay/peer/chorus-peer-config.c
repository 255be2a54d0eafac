/* chorus-peer-config.c: a running peer takes a new configuration document
 * (RFC 6940 §6.5.4, §11.1); see the header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-config.h"

#include "chorus-peer.h"
#include "reload-message.h"

static gboolean
refuse (guint16 *rfc_error, guint16 code, const GError *cause, GError **error)
{
  *rfc_error = code;
  const char *name = rw_enum_name (reload_error_code_names, code);
  g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_RESPONSE, "%s: %s",
               name ? name : "Error_Forbidden", cause->message);
  return FALSE;
}

/* The RFC 6940 error for a configuration error (§6.5.4.2: "Otherwise,
 * appropriate errors MUST be generated"). */
static guint16
rfc_error_of (const GError *e)
{
  if (e->domain != RELOAD_CONFIG_ERROR)
    return RELOAD_ERROR_INVALID_MESSAGE;
  switch ((ReloadConfigError) e->code)
    {
    case RELOAD_CONFIG_ERROR_TOO_OLD:
      return RELOAD_ERROR_CONFIG_TOO_OLD;
    case RELOAD_CONFIG_ERROR_UNSIGNED:
    case RELOAD_CONFIG_ERROR_SIGNATURE:
    case RELOAD_CONFIG_ERROR_NOT_TRUSTED:
    case RELOAD_CONFIG_ERROR_NOT_AUTHORIZED:
    case RELOAD_CONFIG_ERROR_IO:
      return RELOAD_ERROR_FORBIDDEN;
    case RELOAD_CONFIG_ERROR_NOT_FOUND:
    case RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION:
      /* "using a different overlay ... or some other parameter that is
       * inconsistent with the overlay configuration" (§6.3.3.1) */
      return RELOAD_ERROR_INCOMPATIBLE_WITH_OVERLAY;
    case RELOAD_CONFIG_ERROR_PARSE:
    case RELOAD_CONFIG_ERROR_INVALID:
    default:
      return RELOAD_ERROR_INVALID_MESSAGE;
    }
}

gboolean
chorus_peer_config_take (ReloadConfig **config, ReloadCert *root, const char *overlay_name,
                         const char *path, ReloadPeerShell *shell, GBytes *document,
                         guint16 *rfc_error, GError **error)
{
  g_autoptr (GError) e = NULL;
  gsize len;
  const char *data = g_bytes_get_data (document, &len);
  const ReloadConfig *held = *config;

  /* 1. the grammar, §11.1's rules, mandatory extensions; our overlay's
   * configuration (another overlay's document has none: NOT_FOUND) */
  g_autoptr (ReloadConfig) cfg = reload_config_parse (data ? data : "", len, overlay_name, &e);
  if (cfg == NULL)
    return refuse (rfc_error, rfc_error_of (e), e, error);
  /* 2. newer (checked before the signatures: an old document costs no
   * signature verification) */
  if (held != NULL && !reload_config_check_update (held, cfg, &e))
    {
      guint16 code = e->code == RELOAD_CONFIG_ERROR_INVALID ? RELOAD_ERROR_INCOMPATIBLE_WITH_OVERLAY
                                                            : rfc_error_of (e);
      return refuse (rfc_error, code, e, error);
    }
  /* 3. §11.1: "Any configuration file MUST be signed by one of the
   * configuration-signer elements from the previous extant configuration.
   * Recipients MUST verify the signature prior to accepting the
   * configuration file." */
  if (!reload_config_verify (cfg, root, held, &e))
    return refuse (rfc_error, rfc_error_of (e), e, error);
  /* 4. what needs another node (§11.1: "This may require the node to exit
   * the DHT and rejoin.  If a node is not capable of supporting the new
   * requirements, it MUST exit the overlay.") */
  if (g_ascii_strcasecmp (cfg->topology_plugin, RELOAD_CONFIG_DEFAULT_TOPOLOGY) != 0
      || cfg->node_id_length != RELOAD_CONFIG_DEFAULT_NODE_ID_LENGTH)
    {
      g_autoptr (GError) why =
          g_error_new (RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                       "topology %s with %u-byte Node-IDs: this peer runs CHORD-RELOAD with "
                       "16-byte Node-IDs only",
                       cfg->topology_plugin, cfg->node_id_length);
      return refuse (rfc_error, RELOAD_ERROR_INCOMPATIBLE_WITH_OVERLAY, why, error);
    }
  ReloadNodeConfig node = { 0 };
  if (!reload_config_apply_to_node (cfg, &node, &e))
    return refuse (rfc_error, rfc_error_of (e), e, error);
  /* apply_to_node gave a reference: the shell takes its own */
  g_autoptr (ReloadKindTable) kinds = node.kinds;
  (void) kinds;
  if (held != NULL && held->no_ice != cfg->no_ice)
    g_warning ("configuration %u: no-ice is now %s; the links change when the peer restarts",
               cfg->sequence, cfg->no_ice ? "true" : "false");

  /* written before it is used: a crash after this point restarts the peer
   * with the new document, never with half of it (reload_config_save()
   * renames a complete temporary file over the old one) */
  if (!reload_config_save (cfg, path, &e))
    {
      g_prefix_error (&e, "cannot keep the configuration: ");
      return refuse (rfc_error, RELOAD_ERROR_FORBIDDEN, e, error);
    }
  reload_peer_shell_reconfigure (shell, &node);
  /* the header, signature and certificate of the message take about 1 KB */
  if (len + 2048 > RELOAD_NODE_CONFIG_UPDATE_MAX_MESSAGE_SIZE)
    g_warning ("configuration %u: %" G_GSIZE_FORMAT " bytes are too many for a ConfigUpdate "
               "(at most %u in all): the other peers do not get it from this one",
               cfg->sequence, len, RELOAD_NODE_CONFIG_UPDATE_MAX_MESSAGE_SIZE);
  g_message ("configuration %u of overlay %s taken (was %u): %u kinds of its own, "
             "max-message-size %u",
             cfg->sequence, cfg->instance_name, held ? held->sequence : 0, cfg->kinds->len,
             cfg->max_message_size);
  ReloadConfig *old = *config;
  *config = g_steal_pointer (&cfg);
  if (old != NULL)
    reload_config_free (old);
  *rfc_error = 0;
  return TRUE;
}
