/* call-media-certificate.h: the self-signed certificate that DTLS-SRTP
 * presents (RFC 5763 §5: "the certificate ... MAY be self-signed"; the
 * peer trusts it through the fingerprint in the signed SDP, not through
 * a CA), and the fingerprints of RFC 8122 §5 that SDP carries:
 *
 *   a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:...
 *
 * One certificate may serve every call of an identity (its key is made
 * once: ECDSA P-256, SHA-256 signature) or be made per call; it is
 * immutable and reference counted, so calls on several threads may share
 * it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

typedef struct _CallMediaCertificate CallMediaCertificate;

#define CALL_MEDIA_TYPE_CERTIFICATE (call_media_certificate_get_type ())
GType call_media_certificate_get_type (void);

/* A new key pair and a self-signed certificate for it, valid for a year. */
CallMediaCertificate *call_media_certificate_new (GError **error);
CallMediaCertificate *call_media_certificate_ref (CallMediaCertificate *cert);
void call_media_certificate_unref (CallMediaCertificate *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallMediaCertificate, call_media_certificate_unref)

/* "sha-256 " followed by the SHA-256 of the DER certificate in
 * upper-case hex pairs separated by colons (RFC 8122 §5): the value of
 * this side's a=fingerprint attribute. */
const char *call_media_certificate_get_fingerprint (const CallMediaCertificate *cert);

/* Installs the certificate and its key in @cred (for media-dtls). */
gboolean call_media_certificate_install (const CallMediaCertificate *cert,
                                         gnutls_certificate_credentials_t cred, GError **error);

/* A parsed a=fingerprint value. */
typedef struct
{
  gnutls_digest_algorithm_t algorithm;
  guint8 value[64]; /* the longest hash RFC 8122 names: SHA-512 */
  gsize len;
} MediaFingerprint;

/* Parses "hash-func SP fingerprint" (RFC 8122 §5).  The hash functions
 * taken: sha-1, sha-224, sha-256, sha-384, sha-512 (any case); md2 and md5
 * are refused (RFC 8122 §5: "MUST NOT" for new work), and so is a value
 * whose length does not fit the hash.  Hex digits in either case. */
gboolean media_fingerprint_parse (const char *text, MediaFingerprint *out, GError **error);

/* Whether a DER certificate hashes to @fingerprint. */
gboolean media_fingerprint_matches (const MediaFingerprint *fingerprint, const guint8 *der,
                                    gsize len);

G_END_DECLS
