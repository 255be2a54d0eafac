/* chorus-enroll-create.h: making an overlay and its peers' profiles
 * offline: what `chorus-enroll init` and `issue` do, and what the
 * softphone does on its first run ("Start a new overlay").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-config.h"

G_BEGIN_DECLS

#define CHORUS_ENROLL_SIGNER_DIR "signer"

/* Creates the overlay @cfg describes in @dir, which must not hold one
 * already: the root CA (RFC 6940 §11.3; ECDSA P-256 unless @rsa) in
 * ca.pem and ca-key.pem (0600), the identity that signs configurations
 * (DIR/signer/: a certificate of the CA whose Node-ID becomes the
 * configuration-signer and kind-signer), and the signed configuration
 * document DIR/config.xml (§11.1) with the CA as its root-cert.  @cfg
 * holds the administrator's choices (instance_name, kinds, bootstrap
 * nodes, enrollment server, ...) and is validated before anything is
 * written; its root_certs and signers are filled in. */
gboolean chorus_enroll_create_overlay (const char *dir, ReloadConfig *cfg, gboolean rsa,
                                       GError **error);

/* Issues a peer's key and a certificate of the CA in @dir for @user
 * (rfc822Name) with @n_node_ids Node-IDs chosen at random by the issuer
 * (§11.3: "the enrollment server ... selects the Node-IDs"; 1 to 16), the
 * first one @first_node_id instead when not NULL, and writes the profile
 * directory @out a peer runs with (ca.pem, cert.pem, key.pem, config.xml;
 * no CA key).  @node_id_hex, when not NULL, receives the first Node-ID in
 * hex and @overlay the overlay's name. */
gboolean chorus_enroll_issue_profile (const char *dir, const char *user, const char *out,
                                      gboolean rsa, guint n_node_ids,
                                      const ReloadNodeId *first_node_id, char **node_id_hex,
                                      char **overlay, GError **error);

G_END_DECLS
