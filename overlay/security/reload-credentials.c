/* reload-credentials.c: the overlay's root CA and peer certificates (RFC
 * 6940 §11.3), on GnuTLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-credentials.h"

#include <errno.h>
#include <gio/gio.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-credentials-error-quark, reload_credentials_error)
/* clang-format on */

#define OID_SAN "2.5.29.17"
#define RELOAD_URI_SCHEME "reload://"
#define NODE_ID_MIN 16

struct _ReloadKey
{
  gnutls_x509_privkey_t key;
  ReloadKeyType type;
};

struct _ReloadCert
{
  gatomicrefcount ref;
  gnutls_x509_crt_t crt;
  GBytes *der;
};

static void
set_tls_error (GError **error, gint code, int ret, const char *what)
{
  g_set_error (error, RELOAD_CREDENTIALS_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
}

static gboolean
looks_pem (const guint8 *data, gsize len)
{
  static const char marker[] = "-----BEGIN";
  if (data == NULL)
    return FALSE;
  /* skip leading white space */
  while (len > 0 && g_ascii_isspace (*data))
    data++, len--;
  return len >= sizeof marker - 1 && memcmp (data, marker, sizeof marker - 1) == 0;
}

/* ---- keys ---- */

static gboolean
key_type_of_pk (int pk, ReloadKeyType *out)
{
  switch (pk)
    {
    case GNUTLS_PK_RSA:
      *out = RELOAD_KEY_RSA_2048;
      return TRUE;
    case GNUTLS_PK_ECDSA:
      *out = RELOAD_KEY_ECDSA_P256;
      return TRUE;
    default:
      return FALSE;
    }
}

static ReloadKey *
key_wrap (gnutls_x509_privkey_t k, GError **error)
{
  ReloadKeyType type;
  if (!key_type_of_pk (gnutls_x509_privkey_get_pk_algorithm (k), &type))
    {
      gnutls_x509_privkey_deinit (k);
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "only RSA and ECDSA keys are supported");
      return NULL;
    }
  ReloadKey *key = g_new0 (ReloadKey, 1);
  key->key = k;
  key->type = type;
  return key;
}

ReloadKey *
reload_key_generate (ReloadKeyType type, GError **error)
{
  gnutls_x509_privkey_t k;
  int ret = gnutls_x509_privkey_init (&k);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "key");
      return NULL;
    }
  if (type == RELOAD_KEY_RSA_2048)
    ret = gnutls_x509_privkey_generate2 (k, GNUTLS_PK_RSA, 2048, 0, NULL, 0);
  else
    ret = gnutls_x509_privkey_generate2 (
        k, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0);
  if (ret < 0)
    {
      gnutls_x509_privkey_deinit (k);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "key generation");
      return NULL;
    }
  return key_wrap (k, error);
}

ReloadKey *
reload_key_new_from_data (const guint8 *data, gsize len, GError **error)
{
  if (data == NULL || len == 0 || len > G_MAXUINT)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE, "empty key");
      return NULL;
    }
  gnutls_x509_privkey_t k;
  int ret = gnutls_x509_privkey_init (&k);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "key");
      return NULL;
    }
  gnutls_datum_t d = { (unsigned char *) data, (unsigned) len };
  ret = gnutls_x509_privkey_import2 (
      k, &d, looks_pem (data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, NULL,
      GNUTLS_PKCS_PLAIN);
  if (ret < 0)
    {
      gnutls_x509_privkey_deinit (k);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_PARSE, ret, "private key");
      return NULL;
    }
  return key_wrap (k, error);
}

ReloadKey *
reload_key_copy (const ReloadKey *key)
{
  gnutls_x509_privkey_t k;
  if (gnutls_x509_privkey_init (&k) < 0)
    g_error ("gnutls_x509_privkey_init failed");
  if (gnutls_x509_privkey_cpy (k, key->key) < 0)
    g_error ("gnutls_x509_privkey_cpy failed");
  ReloadKey *copy = g_new0 (ReloadKey, 1);
  copy->key = k;
  copy->type = key->type;
  return copy;
}

void
reload_key_free (ReloadKey *key)
{
  if (key == NULL)
    return;
  gnutls_x509_privkey_deinit (key->key);
  g_free (key);
}

ReloadKeyType
reload_key_get_key_type (const ReloadKey *key)
{
  return key->type;
}

gnutls_x509_privkey_t
reload_key_get_x509 (const ReloadKey *key)
{
  return key->key;
}

static gboolean
key_export (const ReloadKey *key, gnutls_x509_crt_fmt_t fmt, gnutls_datum_t *out, GError **error)
{
  int ret = gnutls_x509_privkey_export2_pkcs8 (key->key, fmt, NULL, GNUTLS_PKCS_PLAIN, out);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "key export");
      return FALSE;
    }
  return TRUE;
}

GBytes *
reload_key_export_der (const ReloadKey *key, GError **error)
{
  gnutls_datum_t out = { NULL, 0 };
  if (!key_export (key, GNUTLS_X509_FMT_DER, &out, error))
    return NULL;
  GBytes *b = g_bytes_new (out.data, out.size);
  gnutls_memset (out.data, 0, out.size);
  gnutls_free (out.data);
  return b;
}

char *
reload_key_export_pem (const ReloadKey *key, GError **error)
{
  gnutls_datum_t out = { NULL, 0 };
  if (!key_export (key, GNUTLS_X509_FMT_PEM, &out, error))
    return NULL;
  char *s = g_strndup ((const char *) out.data, out.size);
  gnutls_memset (out.data, 0, out.size);
  gnutls_free (out.data);
  return s;
}

/* gnutls_privkey_t of a key, for signing (caller deinits). */
static gnutls_privkey_t
key_abstract (const ReloadKey *key, GError **error)
{
  gnutls_privkey_t pk;
  int ret = gnutls_privkey_init (&pk);
  if (ret >= 0)
    ret = gnutls_privkey_import_x509 (pk, key->key, GNUTLS_PRIVKEY_IMPORT_COPY);
  else
    pk = NULL;
  if (ret < 0)
    {
      if (pk != NULL)
        gnutls_privkey_deinit (pk);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "private key");
      return NULL;
    }
  return pk;
}

/* ---- certificates ---- */

static ReloadCert *
cert_import (const guint8 *data, gsize len, gboolean pem, GError **error)
{
  if (data == NULL || len == 0 || len > G_MAXUINT)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE,
                   "empty certificate");
      return NULL;
    }
  gnutls_x509_crt_t crt;
  int ret = gnutls_x509_crt_init (&crt);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
      return NULL;
    }
  gnutls_datum_t d = { (unsigned char *) data, (unsigned) len };
  ret = gnutls_x509_crt_import (crt, &d, pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      gnutls_x509_crt_deinit (crt);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_PARSE, ret, "certificate");
      return NULL;
    }
  ReloadCert *cert = g_new0 (ReloadCert, 1);
  g_atomic_ref_count_init (&cert->ref);
  cert->crt = crt;
  if (pem)
    {
      gnutls_datum_t der = { NULL, 0 };
      ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der);
      if (ret < 0)
        {
          reload_cert_unref (cert);
          set_tls_error (error, RELOAD_CREDENTIALS_ERROR_PARSE, ret, "certificate");
          return NULL;
        }
      cert->der = g_bytes_new (der.data, der.size);
      gnutls_free (der.data);
    }
  else
    cert->der = g_bytes_new (data, len);
  return cert;
}

ReloadCert *
reload_cert_new_from_data (const guint8 *data, gsize len, GError **error)
{
  return cert_import (data, len, looks_pem (data, len), error);
}

ReloadCert *
reload_cert_new_from_der (GBytes *der, GError **error)
{
  gsize len = 0;
  const guint8 *data = der != NULL ? g_bytes_get_data (der, &len) : NULL;
  return cert_import (data, len, FALSE, error);
}

ReloadCert *
reload_cert_ref (ReloadCert *cert)
{
  g_atomic_ref_count_inc (&cert->ref);
  return cert;
}

void
reload_cert_unref (ReloadCert *cert)
{
  if (cert == NULL || !g_atomic_ref_count_dec (&cert->ref))
    return;
  if (cert->crt != NULL)
    gnutls_x509_crt_deinit (cert->crt);
  if (cert->der != NULL)
    g_bytes_unref (cert->der);
  g_free (cert);
}

GBytes *
reload_cert_get_der (const ReloadCert *cert)
{
  return g_bytes_ref (cert->der);
}

char *
reload_cert_export_pem (const ReloadCert *cert, GError **error)
{
  gnutls_datum_t out = { NULL, 0 };
  int ret = gnutls_x509_crt_export2 (cert->crt, GNUTLS_X509_FMT_PEM, &out);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate export");
      return NULL;
    }
  char *s = g_strndup ((const char *) out.data, out.size);
  gnutls_free (out.data);
  return s;
}

gnutls_x509_crt_t
reload_cert_get_x509 (const ReloadCert *cert)
{
  return cert->crt;
}

void
reload_cert_get_sha256 (const ReloadCert *cert, guint8 out[32])
{
  gsize len;
  const guint8 *der = g_bytes_get_data (cert->der, &len);
  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, der, len, out) < 0)
    g_error ("SHA-256 is not available");
}

gboolean
reload_cert_get_key_type (const ReloadCert *cert, ReloadKeyType *out)
{
  ReloadKeyType t;
  if (!key_type_of_pk (gnutls_x509_crt_get_pk_algorithm (cert->crt, NULL), &t))
    return FALSE;
  if (out != NULL)
    *out = t;
  return TRUE;
}

gboolean
reload_cert_matches_key (const ReloadCert *cert, const ReloadKey *key)
{
  guint8 a[64], b[64];
  size_t alen = sizeof a, blen = sizeof b;
  if (gnutls_x509_crt_get_key_id (cert->crt, GNUTLS_KEYID_USE_SHA256, a, &alen) < 0)
    return FALSE;
  if (gnutls_x509_privkey_get_key_id (key->key, GNUTLS_KEYID_USE_SHA256, b, &blen) < 0)
    return FALSE;
  return alen == blen && memcmp (a, b, alen) == 0;
}

gboolean
reload_cert_verify (const ReloadCert *cert, const ReloadCert *root, GError **error)
{
  gnutls_x509_trust_list_t tl;
  int ret = gnutls_x509_trust_list_init (&tl, 0);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "trust list");
      return FALSE;
    }
  /* the list owns what it is given: give it a copy of the root */
  g_autoptr (ReloadCert) ca = reload_cert_new_from_der (root->der, error);
  if (ca == NULL)
    {
      gnutls_x509_trust_list_deinit (tl, 1);
      return FALSE;
    }
  gnutls_x509_crt_t crt = ca->crt;
  ret = gnutls_x509_trust_list_add_cas (tl, &crt, 1, 0);
  if (ret == 1)
    ca->crt = NULL; /* the list has it now */
  else
    {
      gnutls_x509_trust_list_deinit (tl, 1);
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "the root CA could not be added to a trust list");
      return FALSE;
    }
  unsigned int status = 0;
  gnutls_x509_crt_t chain[1] = { cert->crt };
  ret = gnutls_x509_trust_list_verify_crt2 (tl, chain, 1, NULL, 0, 0, &status, NULL);
  gnutls_x509_trust_list_deinit (tl, 1);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED, ret, "verification");
      return FALSE;
    }
  if (status != 0)
    {
      gnutls_datum_t why = { NULL, 0 };
      if (gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &why, 0) >= 0)
        {
          g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED,
                       "%.*s", (int) why.size, (const char *) why.data);
          gnutls_free (why.data);
        }
      else
        g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED,
                     "the certificate is not trusted (status 0x%x)", status);
      return FALSE;
    }
  return TRUE;
}

/* ---- names ---- */

static gboolean
valid_user_name (const char *s, gsize len)
{
  if (len == 0 || len > 255)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

/* RFC 3986 reg-name: unreserved / pct-encoded / sub-delims */
static gboolean
valid_overlay_name (const char *s, gsize len)
{
  if (len == 0 || len > 255)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && strchr ("-._~%!$&'()*+,;=", s[i]) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
reload_credentials_user_name_valid (const char *name)
{
  return name != NULL && valid_user_name (name, strlen (name));
}

gboolean
reload_credentials_overlay_name_valid (const char *name)
{
  return name != NULL && valid_overlay_name (name, strlen (name));
}

static gboolean
valid_node_id (const ReloadNodeId *id)
{
  return id->len >= NODE_ID_MIN && id->len <= RELOAD_NODE_ID_MAX;
}

static char *
reload_uri (const ReloadNodeId *id, const char *overlay)
{
  GString *s = g_string_new (RELOAD_URI_SCHEME);
  for (guint i = 0; i < id->len; i++)
    g_string_append_printf (s, "%02x", id->id[i]);
  g_string_append_printf (s, "@%s/", overlay);
  return g_string_free (s, FALSE);
}

/* "reload://<hex>@<overlay>/" → Node-ID and overlay (borrowed bytes). */
static gboolean
parse_reload_uri (const char *s, gsize len, ReloadNodeId *id, const char **overlay,
                  gsize *overlay_len)
{
  gsize scheme = strlen (RELOAD_URI_SCHEME);
  if (len < scheme || g_ascii_strncasecmp (s, RELOAD_URI_SCHEME, scheme) != 0)
    return FALSE;
  const char *p = s + scheme, *end = s + len;
  const char *at = memchr (p, '@', (gsize) (end - p));
  if (at == NULL)
    return FALSE;
  gsize hex = (gsize) (at - p);
  if (hex % 2 != 0 || hex / 2 < NODE_ID_MIN || hex / 2 > RELOAD_NODE_ID_MAX)
    return FALSE;
  memset (id, 0, sizeof *id);
  id->len = (guint8) (hex / 2);
  for (gsize i = 0; i < hex / 2; i++)
    {
      int hi = g_ascii_xdigit_value (p[2 * i]), lo = g_ascii_xdigit_value (p[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      id->id[i] = (guint8) (hi << 4 | lo);
    }
  /* the overlay, then "/" and nothing more: a peer's URI has no
   * specifier */
  const char *o = at + 1;
  if (end - o < 2 || end[-1] != '/')
    return FALSE;
  *overlay = o;
  *overlay_len = (gsize) (end - 1 - o);
  return valid_overlay_name (o, *overlay_len);
}

void
reload_cert_identity_free (ReloadCertIdentity *id)
{
  if (id == NULL)
    return;
  g_free (id->user_name);
  g_free (id->overlay_name);
  g_free (id->node_ids);
  g_free (id);
}

static ReloadCertIdentity *
invalid (GError **error, const char *why)
{
  g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
               "not a RELOAD peer certificate: %s", why);
  return NULL;
}

ReloadCertIdentity *
reload_cert_get_identity (const ReloadCert *cert, GError **error)
{
  gnutls_datum_t ext = { NULL, 0 };
  unsigned critical = 0;
  int ret = gnutls_x509_crt_get_extension_by_oid2 (cert->crt, OID_SAN, 0, &ext, &critical);
  if (ret < 0)
    return invalid (error, "no subjectAltName");
  gnutls_subject_alt_names_t sans;
  ret = gnutls_subject_alt_names_init (&sans);
  if (ret < 0)
    {
      gnutls_free (ext.data);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "subjectAltName");
      return NULL;
    }
  ret = gnutls_x509_ext_import_subject_alt_names (&ext, sans, 0);
  gnutls_free (ext.data);
  if (ret < 0)
    {
      gnutls_subject_alt_names_deinit (sans);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_PARSE, ret, "subjectAltName");
      return NULL;
    }

  g_autoptr (ReloadCertIdentity) id = g_new0 (ReloadCertIdentity, 1);
  g_autoptr (GArray) ids = g_array_new (FALSE, TRUE, sizeof (ReloadNodeId));
  const char *why = NULL;
  for (unsigned seq = 0; why == NULL; seq++)
    {
      unsigned type = 0;
      gnutls_datum_t san = { NULL, 0 };
      ret = gnutls_subject_alt_names_get (sans, seq, &type, &san, NULL);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        {
          why = "unreadable subjectAltName";
          break;
        }
      const char *s = (const char *) san.data;
      gsize len = san.size;
      if (type == GNUTLS_SAN_RFC822NAME)
        {
          if (id->user_name != NULL)
            why = "more than one rfc822Name";
          else if (!valid_user_name (s, len))
            why = "a user name that is not a printable ASCII rfc822Name";
          else
            id->user_name = g_strndup (s, len);
        }
      else if (type == GNUTLS_SAN_URI)
        {
          ReloadNodeId nid;
          const char *ov;
          gsize ovlen;
          if (!parse_reload_uri (s, len, &nid, &ov, &ovlen))
            why = "a URI that is not reload://<node-id>@<overlay>/";
          else if (id->overlay_name != NULL
                   && (strlen (id->overlay_name) != ovlen
                       || g_ascii_strncasecmp (id->overlay_name, ov, ovlen) != 0))
            why = "Node-IDs of more than one overlay";
          else if (ids->len > 0 && g_array_index (ids, ReloadNodeId, 0).len != nid.len)
            why = "Node-IDs of different lengths";
          else
            {
              if (id->overlay_name == NULL)
                id->overlay_name = g_strndup (ov, ovlen);
              g_array_append_val (ids, nid);
            }
        }
      else
        why = "an identity other than rfc822Name and reload:// URIs (§11.3)";
    }
  gnutls_subject_alt_names_deinit (sans);
  if (why == NULL && id->user_name == NULL)
    why = "no rfc822Name";
  if (why == NULL && ids->len == 0)
    why = "no Node-ID";
  if (why != NULL)
    return invalid (error, why);
  id->n_node_ids = ids->len;
  id->node_ids = (ReloadNodeId *) g_array_free (g_steal_pointer (&ids), FALSE);
  return g_steal_pointer (&id);
}

/* ---- issuing ---- */

/* gnutls_pubkey_t of a private key's public half (caller deinits). */
static gnutls_pubkey_t
key_public (const ReloadKey *key, GError **error)
{
  gnutls_privkey_t pk = key_abstract (key, error);
  if (pk == NULL)
    return NULL;
  gnutls_pubkey_t pub = NULL;
  int ret = gnutls_pubkey_init (&pub);
  if (ret >= 0)
    ret = gnutls_pubkey_import_privkey (pub, pk, 0, 0);
  gnutls_privkey_deinit (pk);
  if (ret < 0)
    {
      if (pub != NULL)
        gnutls_pubkey_deinit (pub);
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "public key");
      return NULL;
    }
  return pub;
}

static gboolean
crt_common (gnutls_x509_crt_t crt, gnutls_pubkey_t subject_key, guint days, GError **error)
{
  guint8 serial[16];
  int ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  if (ret < 0)
    goto fail;
  serial[0] = (guint8) ((serial[0] & 0x7f) | 0x40); /* positive, 16 bytes */
  time_t now = (time_t) (g_get_real_time () / G_USEC_PER_SEC);
  if (days == 0)
    days = RELOAD_CREDENTIALS_DEFAULT_DAYS;
  guint8 kid[64];
  size_t kid_len = sizeof kid;
  if ((ret = gnutls_x509_crt_set_version (crt, 3)) < 0
      || (ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0
      /* an hour of slack for peers whose clocks are a little behind */
      || (ret = gnutls_x509_crt_set_activation_time (crt, now - 3600)) < 0
      || (ret = gnutls_x509_crt_set_expiration_time (crt, now + (time_t) days * 86400)) < 0
      || (ret = gnutls_x509_crt_set_pubkey (crt, subject_key)) < 0
      || (ret = gnutls_pubkey_get_key_id (subject_key, GNUTLS_KEYID_USE_SHA1, kid, &kid_len)) < 0
      || (ret = gnutls_x509_crt_set_subject_key_id (crt, kid, kid_len)) < 0)
    goto fail;
  return TRUE;
fail:
  set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
  return FALSE;
}

/* Signs @crt with @issuer_key as @issuer (NULL: self-signed) and wraps it. */
static ReloadCert *
crt_sign (gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, const ReloadKey *issuer_key,
          GError **error)
{
  gnutls_privkey_t pk = key_abstract (issuer_key, error);
  if (pk == NULL)
    return NULL;
  int ret =
      gnutls_x509_crt_privkey_sign (crt, issuer != NULL ? issuer : crt, pk, GNUTLS_DIG_SHA256, 0);
  gnutls_privkey_deinit (pk);
  gnutls_datum_t der = { NULL, 0 };
  if (ret >= 0)
    ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate signing");
      return NULL;
    }
  /* re-read, so that the object is exactly what a peer will parse */
  ReloadCert *cert = cert_import (der.data, der.size, FALSE, error);
  gnutls_free (der.data);
  return cert;
}

ReloadCert *
reload_credentials_create_root_ca (const char *overlay_name, ReloadKeyType type, guint days,
                                   ReloadKey **out_key, GError **error)
{
  g_return_val_if_fail (out_key != NULL, NULL);
  *out_key = NULL;
  if (overlay_name == NULL || !valid_overlay_name (overlay_name, strlen (overlay_name)))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "invalid overlay name");
      return NULL;
    }
  g_autoptr (ReloadKey) key = reload_key_generate (type, error);
  if (key == NULL)
    return NULL;
  gnutls_x509_crt_t crt;
  int ret = gnutls_x509_crt_init (&crt);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
      return NULL;
    }
  g_autofree char *cn = g_strdup_printf ("%s RELOAD root CA", overlay_name);
  ReloadCert *cert = NULL;
  gnutls_pubkey_t pub = key_public (key, error);
  if (pub == NULL || !crt_common (crt, pub, days, error))
    goto out;
  if ((ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                            (unsigned) strlen (cn)))
          < 0
      || (ret = gnutls_x509_crt_set_basic_constraints (crt, 1, 0)) < 0
      || (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN))
             < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
      goto out;
    }
  cert = crt_sign (crt, NULL, key, error);
  if (cert != NULL)
    *out_key = g_steal_pointer (&key);
out:
  if (pub != NULL)
    gnutls_pubkey_deinit (pub);
  gnutls_x509_crt_deinit (crt);
  return cert;
}

/* What every end-entity certificate of the overlay's CA shares (RFC 5280
 * §4.2.1): not a CA, digitalSignature (and keyEncipherment for an RSA key),
 * the extended key usages given (0-terminated), the CA's key identifier;
 * then the CA's signature. */
static ReloadCert *
crt_finish_leaf (gnutls_x509_crt_t crt, gnutls_pubkey_t key, const char *const *purposes,
                 const ReloadCert *ca, const ReloadKey *ca_key, GError **error)
{
  unsigned usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
  if (gnutls_pubkey_get_pk_algorithm (key, NULL) == GNUTLS_PK_RSA)
    usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
  guint8 akid[64];
  size_t akid_len = sizeof akid;
  int ret;
  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0
      || (ret = gnutls_x509_crt_set_key_usage (crt, usage)) < 0)
    goto fail;
  for (guint i = 0; purposes[i] != NULL; i++)
    if ((ret = gnutls_x509_crt_set_key_purpose_oid (crt, purposes[i], 0)) < 0)
      goto fail;
  if (gnutls_x509_crt_get_subject_key_id (ca->crt, akid, &akid_len, NULL) >= 0
      && (ret = gnutls_x509_crt_set_authority_key_id (crt, akid, akid_len)) < 0)
    goto fail;
  return crt_sign (crt, ca->crt, ca_key, error);
fail:
  set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
  return NULL;
}

ReloadCert *
reload_credentials_issue_peer (const ReloadCert *ca, const ReloadKey *ca_key,
                               const ReloadKey *peer_key, const char *user_name,
                               const char *overlay_name, const ReloadNodeId *node_ids,
                               guint n_node_ids, guint days, GError **error)
{
  g_return_val_if_fail (ca != NULL && ca_key != NULL && peer_key != NULL, NULL);
  gnutls_pubkey_t pub = key_public (peer_key, error);
  if (pub == NULL)
    return NULL;
  ReloadCert *cert = reload_credentials_issue_peer_pubkey (ca, ca_key, pub, user_name, overlay_name,
                                                           node_ids, n_node_ids, days, error);
  gnutls_pubkey_deinit (pub);
  return cert;
}

ReloadCert *
reload_credentials_issue_peer_pubkey (const ReloadCert *ca, const ReloadKey *ca_key,
                                      gnutls_pubkey_t peer_key, const char *user_name,
                                      const char *overlay_name, const ReloadNodeId *node_ids,
                                      guint n_node_ids, guint days, GError **error)
{
  g_return_val_if_fail (ca != NULL && ca_key != NULL && peer_key != NULL, NULL);
  if (user_name == NULL || !valid_user_name (user_name, strlen (user_name)))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "invalid user name");
      return NULL;
    }
  if (overlay_name == NULL || !valid_overlay_name (overlay_name, strlen (overlay_name)))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "invalid overlay name");
      return NULL;
    }
  if (n_node_ids == 0 || node_ids == NULL)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "a peer certificate needs at least one Node-ID");
      return NULL;
    }
  for (guint i = 0; i < n_node_ids; i++)
    if (!valid_node_id (&node_ids[i]) || node_ids[i].len != node_ids[0].len)
      {
        g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                     "Node-IDs must all be 16 to 20 bytes long, and of one length");
        return NULL;
      }
  if (!reload_cert_matches_key (ca, ca_key))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH,
                   "the CA key is not the CA certificate's");
      return NULL;
    }

  gnutls_x509_crt_t crt;
  int ret = gnutls_x509_crt_init (&crt);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
      return NULL;
    }
  ReloadCert *cert = NULL;
  gnutls_subject_alt_names_t sans = NULL;
  gnutls_datum_t ext = { NULL, 0 };
  static const char *const purposes[] = { GNUTLS_KP_TLS_WWW_SERVER, GNUTLS_KP_TLS_WWW_CLIENT,
                                          NULL };
  if (!crt_common (crt, peer_key, days, error))
    goto out;
  /* §11.3: an empty subject; the identities are in subjectAltName, which
   * is therefore critical (RFC 5280 §4.2.1.6) */
  if ((ret = gnutls_subject_alt_names_init (&sans)) < 0)
    goto fail;
  for (guint i = 0; i < n_node_ids; i++)
    {
      g_autofree char *uri = reload_uri (&node_ids[i], overlay_name);
      gnutls_datum_t d = { (unsigned char *) uri, (unsigned) strlen (uri) };
      if ((ret = gnutls_subject_alt_names_set (sans, GNUTLS_SAN_URI, &d, NULL)) < 0)
        goto fail;
    }
  gnutls_datum_t u = { (unsigned char *) user_name, (unsigned) strlen (user_name) };
  if ((ret = gnutls_subject_alt_names_set (sans, GNUTLS_SAN_RFC822NAME, &u, NULL)) < 0
      || (ret = gnutls_x509_ext_export_subject_alt_names (sans, &ext)) < 0
      || (ret = gnutls_x509_crt_set_extension_by_oid (crt, OID_SAN, ext.data, ext.size, 1)) < 0)
    goto fail;
  cert = crt_finish_leaf (crt, peer_key, purposes, ca, ca_key, error);
  goto out;
fail:
  set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
out:
  gnutls_free (ext.data);
  if (sans != NULL)
    gnutls_subject_alt_names_deinit (sans);
  gnutls_x509_crt_deinit (crt);
  return cert;
}

ReloadCert *
reload_credentials_issue_server (const ReloadCert *ca, const ReloadKey *ca_key,
                                 const ReloadKey *server_key, const char *const *names, guint days,
                                 GError **error)
{
  g_return_val_if_fail (ca != NULL && ca_key != NULL && server_key != NULL, NULL);
  if (names == NULL || names[0] == NULL)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "a server certificate needs at least one name");
      return NULL;
    }
  gnutls_x509_crt_t crt;
  int ret = gnutls_x509_crt_init (&crt);
  if (ret < 0)
    {
      set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
      return NULL;
    }
  ReloadCert *cert = NULL;
  static const char *const purposes[] = { GNUTLS_KP_TLS_WWW_SERVER, NULL };
  gnutls_pubkey_t pub = key_public (server_key, error);
  if (pub == NULL || !crt_common (crt, pub, days, error))
    goto out;
  if ((ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, names[0],
                                            (unsigned) strlen (names[0])))
      < 0)
    goto fail;
  /* RFC 2818 §3.1 / RFC 6125: the names a client matches are in
   * subjectAltName, as dNSName or, for an address literal, iPAddress */
  for (guint i = 0; names[i] != NULL; i++)
    {
      GInetAddress *ip = g_inet_address_new_from_string (names[i]);
      if (ip != NULL)
        {
          const guint8 *raw = g_inet_address_to_bytes (ip);
          ret = gnutls_x509_crt_set_subject_alt_name (
              crt, GNUTLS_SAN_IPADDRESS, raw, (unsigned) g_inet_address_get_native_size (ip),
              GNUTLS_FSAN_APPEND);
          g_object_unref (ip);
        }
      else if (valid_overlay_name (names[i], strlen (names[i])))
        ret = gnutls_x509_crt_set_subject_alt_name (
            crt, GNUTLS_SAN_DNSNAME, names[i], (unsigned) strlen (names[i]), GNUTLS_FSAN_APPEND);
      else
        {
          g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                       "“%s” is neither a host name nor an address", names[i]);
          goto out;
        }
      if (ret < 0)
        goto fail;
    }
  cert = crt_finish_leaf (crt, pub, purposes, ca, ca_key, error);
  goto out;
fail:
  set_tls_error (error, RELOAD_CREDENTIALS_ERROR_CRYPTO, ret, "certificate");
out:
  if (pub != NULL)
    gnutls_pubkey_deinit (pub);
  gnutls_x509_crt_deinit (crt);
  return cert;
}

/* ---- profile directory ---- */

ReloadCredentials *
reload_credentials_new (void)
{
  return g_new0 (ReloadCredentials, 1);
}

void
reload_credentials_free (ReloadCredentials *creds)
{
  if (creds == NULL)
    return;
  reload_cert_unref (creds->ca);
  reload_key_free (creds->ca_key);
  reload_cert_unref (creds->cert);
  reload_key_free (creds->key);
  g_free (creds);
}

static gboolean
write_file (const char *dir, const char *name, const char *text, int mode, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GError *e = NULL;
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, &e))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_IO, "%s", e->message);
      g_error_free (e);
      return FALSE;
    }
  return TRUE;
}

gboolean
reload_credentials_save (const ReloadCredentials *creds, const char *dir, GError **error)
{
  g_return_val_if_fail (creds != NULL && dir != NULL, FALSE);
  if (creds->ca == NULL || (creds->cert == NULL) != (creds->key == NULL))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "credentials need a CA, and a certificate goes with its key");
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int err = errno;
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_IO, "%s: %s", dir,
                   g_strerror (err));
      return FALSE;
    }
  struct
  {
    const char *name;
    const ReloadCert *cert;
    const ReloadKey *key;
  } files[] = {
    { RELOAD_CREDENTIALS_CA_FILE, creds->ca, NULL },
    { RELOAD_CREDENTIALS_CA_KEY_FILE, NULL, creds->ca_key },
    { RELOAD_CREDENTIALS_CERT_FILE, creds->cert, NULL },
    { RELOAD_CREDENTIALS_KEY_FILE, NULL, creds->key },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *pem = NULL;
      if (files[i].cert != NULL)
        pem = reload_cert_export_pem (files[i].cert, error);
      else if (files[i].key != NULL)
        pem = reload_key_export_pem (files[i].key, error);
      else
        continue;
      gboolean ok =
          pem != NULL
          && write_file (dir, files[i].name, pem, files[i].key != NULL ? 0600 : 0644, error);
      if (pem != NULL && files[i].key != NULL)
        memset (pem, 0, strlen (pem));
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Reads @dir/@name: FALSE on error; TRUE with *contents NULL when the file
 * does not exist and @optional. */
static gboolean
read_file (const char *dir, const char *name, gboolean optional, char **contents, gsize *len,
           GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GError *e = NULL;
  *contents = NULL;
  if (g_file_get_contents (path, contents, len, &e))
    return TRUE;
  gboolean missing = g_error_matches (e, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  if (missing && optional)
    {
      g_error_free (e);
      return TRUE;
    }
  g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_IO, "%s", e->message);
  g_error_free (e);
  return FALSE;
}

static gboolean
load_cert (const char *dir, const char *name, gboolean optional, ReloadCert **out, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!read_file (dir, name, optional, &text, &len, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  GError *e = NULL;
  *out = reload_cert_new_from_data ((const guint8 *) text, len, &e);
  if (*out == NULL)
    {
      g_propagate_prefixed_error (error, e, "%s: ", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_key (const char *dir, const char *name, gboolean optional, ReloadKey **out, GError **error)
{
  char *text = NULL;
  gsize len = 0;
  if (!read_file (dir, name, optional, &text, &len, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  GError *e = NULL;
  *out = reload_key_new_from_data ((const guint8 *) text, len, &e);
  memset (text, 0, len);
  g_free (text);
  if (*out == NULL)
    {
      g_propagate_prefixed_error (error, e, "%s: ", name);
      return FALSE;
    }
  return TRUE;
}

ReloadCredentials *
reload_credentials_load (const char *dir, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_autoptr (ReloadCredentials) c = reload_credentials_new ();
  if (!load_cert (dir, RELOAD_CREDENTIALS_CA_FILE, FALSE, &c->ca, error)
      || !load_key (dir, RELOAD_CREDENTIALS_CA_KEY_FILE, TRUE, &c->ca_key, error)
      || !load_cert (dir, RELOAD_CREDENTIALS_CERT_FILE, TRUE, &c->cert, error)
      || !load_key (dir, RELOAD_CREDENTIALS_KEY_FILE, TRUE, &c->key, error))
    return NULL;
  if ((c->cert == NULL) != (c->key == NULL))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "%s: " RELOAD_CREDENTIALS_CERT_FILE " and " RELOAD_CREDENTIALS_KEY_FILE
                   " go together",
                   dir);
      return NULL;
    }
  if (c->ca_key != NULL && !reload_cert_matches_key (c->ca, c->ca_key))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH,
                   "%s: " RELOAD_CREDENTIALS_CA_KEY_FILE
                   " is not the key of " RELOAD_CREDENTIALS_CA_FILE,
                   dir);
      return NULL;
    }
  if (c->cert != NULL)
    {
      if (!reload_cert_matches_key (c->cert, c->key))
        {
          g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH,
                       "%s: " RELOAD_CREDENTIALS_KEY_FILE
                       " is not the key of " RELOAD_CREDENTIALS_CERT_FILE,
                       dir);
          return NULL;
        }
      GError *e = NULL;
      if (!reload_cert_verify (c->cert, c->ca, &e))
        {
          g_propagate_prefixed_error (error, e, "%s: ", RELOAD_CREDENTIALS_CERT_FILE);
          return NULL;
        }
    }
  return g_steal_pointer (&c);
}
