/* call-media-certificate.c: self-signed DTLS-SRTP certificates and RFC 8122
 * fingerprints (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "call-media-certificate.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

#include "call-media-error.h"

/* How long a certificate is valid.  The peer checks the fingerprint only
 * (RFC 5763 §5), so this matters to nothing but tools that look. */
#define VALIDITY_DAYS 365

struct _CallMediaCertificate
{
  gatomicrefcount ref;
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
  char *fingerprint;
};

G_DEFINE_BOXED_TYPE (CallMediaCertificate, call_media_certificate, call_media_certificate_ref,
                     call_media_certificate_unref)

static gboolean
tls_failed (GError **error, int ret, const char *what)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FAILED, "%s: %s", what,
               gnutls_strerror (ret));
  return FALSE;
}

static char *
format_fingerprint (const char *name, const guint8 *hash, gsize len)
{
  GString *s = g_string_new (name);
  g_string_append_c (s, ' ');
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, i == 0 ? "%02X" : ":%02X", hash[i]);
  return g_string_free (s, FALSE);
}

static gboolean
make_certificate (CallMediaCertificate *cert, GError **error)
{
  int ret;
  if ((ret = gnutls_x509_privkey_init (&cert->key)) < 0)
    return tls_failed (error, ret, "key");
  /* ECDSA P-256: what every DTLS-SRTP stack accepts (RFC 8827 §6.5 makes it
   * mandatory for WebRTC endpoints) and quick to generate per call */
  if ((ret = gnutls_x509_privkey_generate2 (cert->key, GNUTLS_PK_ECDSA,
                                            GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0,
                                            NULL, 0))
      < 0)
    return tls_failed (error, ret, "generating the key");
  if ((ret = gnutls_x509_crt_init (&cert->crt)) < 0)
    return tls_failed (error, ret, "certificate");
  guint8 serial[16];
  if ((ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
    return tls_failed (error, ret, "serial number");
  serial[0] &= 0x7f; /* a positive INTEGER (RFC 5280 §4.1.2.2) */
  serial[0] |= 0x01;
  time_t now = time (NULL);
  const char *cn = "chorus";
  if ((ret = gnutls_x509_crt_set_version (cert->crt, 3)) < 0
      || (ret = gnutls_x509_crt_set_serial (cert->crt, serial, sizeof serial)) < 0
      || (ret = gnutls_x509_crt_set_activation_time (cert->crt, now - 24 * 3600)) < 0
      || (ret = gnutls_x509_crt_set_expiration_time (cert->crt, now + VALIDITY_DAYS * 24 * 3600))
             < 0
      || (ret = gnutls_x509_crt_set_dn_by_oid (cert->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                               (unsigned) strlen (cn)))
             < 0
      || (ret = gnutls_x509_crt_set_issuer_dn_by_oid (cert->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                                      (unsigned) strlen (cn)))
             < 0
      || (ret = gnutls_x509_crt_set_key (cert->crt, cert->key)) < 0
      || (ret = gnutls_x509_crt_set_basic_constraints (cert->crt, 0, -1)) < 0
      || (ret = gnutls_x509_crt_set_key_usage (cert->crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0
      || (ret = gnutls_x509_crt_sign2 (cert->crt, cert->crt, cert->key, GNUTLS_DIG_SHA256, 0)) < 0)
    return tls_failed (error, ret, "making the certificate");

  gnutls_datum_t der = { NULL, 0 };
  if ((ret = gnutls_x509_crt_export2 (cert->crt, GNUTLS_X509_FMT_DER, &der)) < 0)
    return tls_failed (error, ret, "exporting the certificate");
  guint8 hash[32];
  ret = gnutls_hash_fast (GNUTLS_DIG_SHA256, der.data, der.size, hash);
  gnutls_free (der.data);
  if (ret < 0)
    return tls_failed (error, ret, "hashing the certificate");
  /* RFC 5763 §5 asks for the hash of the certificate's signature: SHA-256 */
  cert->fingerprint = format_fingerprint ("sha-256", hash, sizeof hash);
  return TRUE;
}

CallMediaCertificate *
call_media_certificate_new (GError **error)
{
  CallMediaCertificate *cert = g_new0 (CallMediaCertificate, 1);
  g_atomic_ref_count_init (&cert->ref);
  if (!make_certificate (cert, error))
    {
      call_media_certificate_unref (cert);
      return NULL;
    }
  return cert;
}

CallMediaCertificate *
call_media_certificate_ref (CallMediaCertificate *cert)
{
  g_return_val_if_fail (cert != NULL, NULL);
  g_atomic_ref_count_inc (&cert->ref);
  return cert;
}

void
call_media_certificate_unref (CallMediaCertificate *cert)
{
  if (cert == NULL || !g_atomic_ref_count_dec (&cert->ref))
    return;
  if (cert->crt != NULL)
    gnutls_x509_crt_deinit (cert->crt);
  if (cert->key != NULL)
    gnutls_x509_privkey_deinit (cert->key);
  g_free (cert->fingerprint);
  g_free (cert);
}

const char *
call_media_certificate_get_fingerprint (const CallMediaCertificate *cert)
{
  g_return_val_if_fail (cert != NULL, NULL);
  return cert->fingerprint;
}

gboolean
call_media_certificate_install (const CallMediaCertificate *cert,
                                gnutls_certificate_credentials_t cred, GError **error)
{
  gnutls_x509_crt_t chain[1] = { cert->crt };
  int ret = gnutls_certificate_set_x509_key (cred, chain, 1, cert->key);
  if (ret < 0)
    return tls_failed (error, ret, "installing the certificate");
  return TRUE;
}

/* ---- fingerprints (RFC 8122 §5) ---- */

static const struct
{
  const char *name;
  gnutls_digest_algorithm_t algorithm;
  gsize len;
} hash_funcs[] = {
  { "sha-1", GNUTLS_DIG_SHA1, 20 },     { "sha-224", GNUTLS_DIG_SHA224, 28 },
  { "sha-256", GNUTLS_DIG_SHA256, 32 }, { "sha-384", GNUTLS_DIG_SHA384, 48 },
  { "sha-512", GNUTLS_DIG_SHA512, 64 },
};

static gboolean
bad_fingerprint (GError **error, const char *what)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "bad fingerprint: %s", what);
  return FALSE;
}

gboolean
media_fingerprint_parse (const char *text, MediaFingerprint *out, GError **error)
{
  g_return_val_if_fail (text != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  /* the longest: "sha-512 " plus 64 pairs and 63 colons */
  if (strnlen (text, 512) >= 512)
    return bad_fingerprint (error, "too long");
  const char *sp = strchr (text, ' ');
  if (sp == NULL)
    return bad_fingerprint (error, "no hash function");
  gsize name_len = (gsize) (sp - text);
  gsize want = 0;
  for (guint i = 0; i < G_N_ELEMENTS (hash_funcs); i++)
    if (strlen (hash_funcs[i].name) == name_len
        && g_ascii_strncasecmp (text, hash_funcs[i].name, name_len) == 0)
      {
        out->algorithm = hash_funcs[i].algorithm;
        want = hash_funcs[i].len;
      }
  if (want == 0)
    return bad_fingerprint (error, "unsupported hash function");
  /* fingerprint = 2UHEX *(":" 2UHEX) */
  const char *p = sp + 1;
  gsize n = 0;
  while (*p != '\0')
    {
      if (n > 0)
        {
          if (*p != ':')
            return bad_fingerprint (error, "expected “:”");
          p++;
        }
      if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]) || n >= sizeof out->value)
        return bad_fingerprint (error, "expected two hex digits");
      out->value[n++] = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      p += 2;
    }
  if (n != want)
    return bad_fingerprint (error, "length does not fit the hash function");
  out->len = n;
  return TRUE;
}

gboolean
media_fingerprint_matches (const MediaFingerprint *fingerprint, const guint8 *der, gsize len)
{
  guint8 hash[64];
  if (fingerprint->len == 0 || fingerprint->len > sizeof hash
      || gnutls_hash_get_len (fingerprint->algorithm) != fingerprint->len
      || gnutls_hash_fast (fingerprint->algorithm, der, len, hash) < 0)
    return FALSE;
  /* public values: no need for a constant-time comparison */
  return memcmp (hash, fingerprint->value, fingerprint->len) == 0;
}
