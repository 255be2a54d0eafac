/* chorus-peer-config.h: how a running ChorusPeer takes a new overlay
 * configuration document (RFC 6940 §6.5.4, §11.1), from `chorus-peer ctl
 * config-update` or from a ConfigUpdate of the overlay.  Internal to
 * overlay/peer; runs in the peer's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-config.h"
#include "reload-peer-shell.h"

G_BEGIN_DECLS

/* Takes @document as the successor of *@config, the configuration the
 * peer holds (NULL when its profile had none):
 *
 *  1. it parses, for @overlay_name, is valid against the RELAX NG grammar
 *     of §11.1.1 and names no mandatory-extension this peer lacks
 *     (reload_config_parse());
 *  2. its sequence is newer (§6.5.4.2, compared as §6.3.2.1 says:
 *     reload_config_check_update());
 *  3. it is signed by a configuration-signer of *@config whose
 *     certificate chains to @root or to a root-cert of *@config, and its
 *     kind-blocks by its kind-signers (§11.1, reload_config_verify());
 *  4. it keeps what a running peer cannot change: topology-plugin and
 *     node-id-length (§11.1 would have the node "exit the DHT and rejoin";
 *     Chorus knows CHORD-RELOAD with 128-bit Node-IDs only).
 *
 * Then it is written to @path atomically (temporary file and rename),
 * applied to @shell (reload_peer_shell_reconfigure(): sequence, document,
 * kinds, §11.1 parameters) and replaces *@config.  On failure nothing
 * changes, @error says why (CHORUS_PEER_ERROR_RESPONSE, its message
 * "Error_Name: why") and *@rfc_error is the RFC 6940 error code a
 * ConfigUpdate is answered with: Error_Config_Too_Old (not newer),
 * Error_Forbidden (signature, trust, authorization), Error_Incompatible_
 * with_Overlay (another overlay, an unknown mandatory extension, another
 * topology), Error_Invalid_Message (not a valid document). */
gboolean chorus_peer_config_take (ReloadConfig **config, ReloadCert *root, const char *overlay_name,
                                  const char *path, ReloadPeerShell *shell, GBytes *document,
                                  guint16 *rfc_error, GError **error);

G_END_DECLS
