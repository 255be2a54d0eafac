/* reload-csr.h: the certificate signing requests of RELOAD enrollment
 * (RFC 6940 §11.3: "bare PKCS#10 requests").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-credentials.h"

G_BEGIN_DECLS

/* A PKCS#10 request for @key asking for @user_name (an rfc822Name in the
 * request's subjectAltName extension), signed with @key, in DER. */
GBytes *reload_csr_create (const ReloadKey *key, const char *user_name, GError **error);

typedef struct _ReloadCsr ReloadCsr;

/* Parses a request (DER or PEM) from the network: every failure is
 * RELOAD_CREDENTIALS_ERROR_PARSE (not a PKCS#10 request) or _INVALID (a
 * request whose self-signature does not verify, whose key is not one an
 * overlay accepts: RSA of 2048 to 4096 bits or ECDSA P-256, or whose
 * subjectAltName holds anything but one rfc822Name). */
ReloadCsr *reload_csr_parse (const guint8 *data, gsize len, GError **error);
void reload_csr_free (ReloadCsr *csr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadCsr, reload_csr_free)

/* The user name the request asks for (§11.3: "the requested user name in
 * the CSR"), or NULL when it names none. */
const char *reload_csr_get_user_name (const ReloadCsr *csr);
/* The requested key (borrowed). */
gnutls_pubkey_t reload_csr_get_pubkey (const ReloadCsr *csr);

G_END_DECLS
