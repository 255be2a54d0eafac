/* reload-csr.c: PKCS#10 certificate signing requests for enrollment (RFC
 * 6940 §11.3), on GnuTLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-csr.h"

#include <gnutls/gnutls.h>
#include <string.h>

/* a request is a key and a name: anything bigger is not one */
#define CSR_MAX_BYTES 16384
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096

struct _ReloadCsr
{
  gnutls_pubkey_t pubkey;
  char *user_name;
};

GBytes *
reload_csr_create (const ReloadKey *key, const char *user_name, GError **error)
{
  g_return_val_if_fail (key != NULL && user_name != NULL, NULL);
  gnutls_x509_crq_t crq = NULL;
  gnutls_privkey_t pk = NULL;
  gnutls_datum_t der = { NULL, 0 };
  GBytes *out = NULL;
  int ret;
  if ((ret = gnutls_x509_crq_init (&crq)) < 0 || (ret = gnutls_privkey_init (&pk)) < 0
      || (ret = gnutls_privkey_import_x509 (pk, reload_key_get_x509 (key), 0)) < 0
      || (ret = gnutls_x509_crq_set_version (crq, 1)) < 0
      || (ret = gnutls_x509_crq_set_key (crq, reload_key_get_x509 (key))) < 0
      || (ret =
              gnutls_x509_crq_set_subject_alt_name (crq, GNUTLS_SAN_RFC822NAME, user_name,
                                                    (unsigned) strlen (user_name), GNUTLS_FSAN_SET))
             < 0
      || (ret = gnutls_x509_crq_privkey_sign (crq, pk, GNUTLS_DIG_SHA256, 0)) < 0
      || (ret = gnutls_x509_crq_export2 (crq, GNUTLS_X509_FMT_DER, &der)) < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "certificate request: %s", gnutls_strerror (ret));
      goto out;
    }
  out = g_bytes_new (der.data, der.size);
out:
  gnutls_free (der.data);
  if (pk != NULL)
    gnutls_privkey_deinit (pk);
  if (crq != NULL)
    gnutls_x509_crq_deinit (crq);
  return out;
}

void
reload_csr_free (ReloadCsr *csr)
{
  if (csr == NULL)
    return;
  if (csr->pubkey != NULL)
    gnutls_pubkey_deinit (csr->pubkey);
  g_free (csr->user_name);
  g_free (csr);
}

const char *
reload_csr_get_user_name (const ReloadCsr *csr)
{
  return csr->user_name;
}

gnutls_pubkey_t
reload_csr_get_pubkey (const ReloadCsr *csr)
{
  return csr->pubkey;
}

static gboolean
key_acceptable (gnutls_pubkey_t pub)
{
  unsigned bits = 0;
  int pk = gnutls_pubkey_get_pk_algorithm (pub, &bits);
  if (pk == GNUTLS_PK_RSA)
    return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS;
  if (pk == GNUTLS_PK_ECDSA)
    {
      gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
      gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
      int ret = gnutls_pubkey_export_ecc_raw2 (pub, &curve, &x, &y, 0);
      gnutls_free (x.data);
      gnutls_free (y.data);
      return ret >= 0 && curve == GNUTLS_ECC_CURVE_SECP256R1;
    }
  return FALSE;
}

/* The subjectAltName of the request: at most one name, an rfc822Name of
 * printable ASCII (§11.3: "allow only legal characters in the name (e.g.,
 * no embedded NULs)"). */
static gboolean
read_user_name (gnutls_x509_crq_t crq, char **out, GError **error)
{
  *out = NULL;
  for (unsigned i = 0;; i++)
    {
      char buf[256];
      size_t len = sizeof buf;
      unsigned type = 0;
      int ret = gnutls_x509_crq_get_subject_alt_name (crq, i, buf, &len, &type, NULL);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        return TRUE;
      if (ret < 0 || i > 0 || type != GNUTLS_SAN_RFC822NAME || len == 0 || len >= sizeof buf)
        {
          g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                       "the request's subjectAltName must be one rfc822Name (a user name)");
          g_clear_pointer (out, g_free);
          return FALSE;
        }
      for (size_t j = 0; j < len; j++)
        if (buf[j] <= 0x20 || buf[j] >= 0x7f)
          {
            g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                         "the requested user name holds a character that is not printable ASCII");
            return FALSE;
          }
      *out = g_strndup (buf, len);
    }
}

ReloadCsr *
reload_csr_parse (const guint8 *data, gsize len, GError **error)
{
  if (data == NULL || len == 0 || len > CSR_MAX_BYTES)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE,
                   "a certificate request is 1 to %d bytes", CSR_MAX_BYTES);
      return NULL;
    }
  gnutls_x509_crq_t crq = NULL;
  int ret = gnutls_x509_crq_init (&crq);
  if (ret < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO, "%s",
                   gnutls_strerror (ret));
      return NULL;
    }
  g_autoptr (ReloadCsr) csr = g_new0 (ReloadCsr, 1);
  gnutls_datum_t d = { (unsigned char *) data, (unsigned) len };
  gboolean pem = len >= 10 && memcmp (data, "-----BEGIN", 10) == 0;
  ret = gnutls_x509_crq_import (crq, &d, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE,
                   "not a PKCS#10 certificate request: %s", gnutls_strerror (ret));
      goto fail;
    }
  /* the request proves possession of the key it names */
  if ((ret = gnutls_x509_crq_verify (crq, 0)) < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "the request's signature does not verify: %s", gnutls_strerror (ret));
      goto fail;
    }
  if ((ret = gnutls_pubkey_init (&csr->pubkey)) < 0
      || (ret = gnutls_pubkey_import_x509_crq (csr->pubkey, crq, 0)) < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "the request's key: %s", gnutls_strerror (ret));
      goto fail;
    }
  if (!key_acceptable (csr->pubkey))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "the request's key is neither RSA of %d to %d bits nor ECDSA P-256",
                   RSA_MIN_BITS, RSA_MAX_BITS);
      goto fail;
    }
  if (!read_user_name (crq, &csr->user_name, error))
    goto fail;
  gnutls_x509_crq_deinit (crq);
  return g_steal_pointer (&csr);
fail:
  gnutls_x509_crq_deinit (crq);
  return NULL;
}
