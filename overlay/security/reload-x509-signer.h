/* reload-x509-signer.h: the real signer and verifier of messages and
 * stored data (RFC 6940 §6.3.4, §7.1): X.509 certificates of the
 * overlay's root CA, RSASSA-PKCS1-v1_5 or ECDSA with SHA-256.
 *
 * Use:
 *   config.security = reload_x509_security_ops ();
 *   config.security_data = signer;   (a ReloadX509Signer *)
 *
 * sign() fills a cert_hash SignerIdentity (SHA-256 of the node's
 * certificate), the algorithm {sha256, rsa|ecdsa} of the node's key, and
 * the signature over the data.
 *
 * verify() accepts only cert_hash identities with SHA-256 and the
 * algorithms above.  It finds the signer's certificate among the
 * message's certificates or, failing that, in the signer's cache (the
 * node's own certificate, those given to reload_x509_signer_add_certificate,
 * and those that arrived in messages and verified), checks that it is
 * issued by the root and valid now, is a RELOAD peer certificate of the
 * same overlay as the node's own, and that its key is of the signature's
 * algorithm; then checks the signature.  On success it fills the
 * ReloadSignerInfo (user name and Node-IDs, allocated from the arena).
 * Anything wrong gives FALSE and leaves the signer info untouched.
 *
 * A ReloadX509Signer is not thread-safe: use it from the node's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-credentials.h"
#include "reload-node.h"

G_BEGIN_DECLS

typedef struct _ReloadX509Signer ReloadX509Signer;

/* A signer for the node whose certificate is @cert and key @key, in the
 * overlay whose root CA is @root.  Fails when @cert is not a RELOAD peer
 * certificate issued by @root and valid now, or @key is not its key.
 * Takes references/copies: the arguments stay the caller's. */
ReloadX509Signer *reload_x509_signer_new (ReloadCert *root, ReloadCert *cert, const ReloadKey *key,
                                          GError **error);
void reload_x509_signer_free (ReloadX509Signer *signer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadX509Signer, reload_x509_signer_free)

/* The ops to put in ReloadNodeConfig.security, with the signer as
 * security_data. */
const ReloadSecurityOps *reload_x509_security_ops (void);

/* Adds a certificate (DER) to the cache verify() looks in when a message
 * does not carry the signer's certificate.  Fails when it is not a RELOAD
 * peer certificate of this overlay issued by the root; adding one that is
 * there already succeeds. */
gboolean reload_x509_signer_add_certificate (ReloadX509Signer *signer, GBytes *der, GError **error);
/* Whether the cache holds the certificate of SHA-256 @hash. */
gboolean reload_x509_signer_has_certificate (ReloadX509Signer *signer, const guint8 hash[32]);

/* The node's own identity, from its certificate (owned by the signer). */
const ReloadCertIdentity *reload_x509_signer_get_identity (ReloadX509Signer *signer);
/* The node's certificate (owned by the signer), e.g. to put it in a
 * security block. */
ReloadCert *reload_x509_signer_get_certificate (ReloadX509Signer *signer);

G_END_DECLS
