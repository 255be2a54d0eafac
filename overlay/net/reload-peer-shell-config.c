/* reload-peer-shell-config.c: configuration updates in the peer's shell
 * (RFC 6940 §6.5.4): the node's config_update callback goes to the
 * shell's owner, which judges the document, and a document it takes
 * reaches the node and the shell's own copy of the parameters (for the
 * nodes it makes after a restart).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

/* ReloadNodeShell.config_update */
guint16
rps_node_config_update (gpointer shell, const guint8 *document, gsize len, char **info)
{
  ReloadPeerShell *s = shell;
  if (s->config_update_cb == NULL || s->leaving)
    {
      *info = g_strdup ("this peer takes no configuration updates");
      return RELOAD_ERROR_FORBIDDEN;
    }
  g_autoptr (GBytes) bytes = g_bytes_new (document, len);
  return s->config_update_cb (s->user_data, bytes, info);
}

void
reload_peer_shell_reconfigure (ReloadPeerShell *s, const ReloadNodeConfig *node)
{
  g_return_if_fail (s != NULL && node != NULL);
  ReloadNodeConfig *c = &s->node_cfg;
  c->configuration_sequence = node->configuration_sequence;
  c->max_message_size = node->max_message_size;
  c->initial_ttl = node->initial_ttl;
  c->overlay_reliability_timer_ms = node->overlay_reliability_timer_ms;
  c->chord_update_interval_s = node->chord_update_interval_s;
  c->chord_ping_interval_s = node->chord_ping_interval_s;
  c->chord_reactive = node->chord_reactive;
  if (node->config_document != s->config_document)
    {
      GBytes *old = s->config_document;
      s->config_document = node->config_document ? g_bytes_ref (node->config_document) : NULL;
      if (old != NULL)
        g_bytes_unref (old);
    }
  c->config_document = s->config_document;
  if (node->kinds != NULL && node->kinds != s->kinds)
    {
      ReloadKindTable *old = s->kinds;
      s->kinds = reload_kind_table_ref (node->kinds);
      reload_kind_table_unref (old);
    }
  c->kinds = s->kinds;
  /* the bound of the frames links accept from now on */
  s->max_message_size = node->max_message_size ? node->max_message_size : 5000;
  if (s->node != NULL)
    {
      reload_node_reconfigure (s->node, c, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
    }
}
