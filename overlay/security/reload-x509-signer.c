/* reload-x509-signer.c: ReloadSecurityOps on X.509 certificates and
 * GnuTLS (RFC 6940 §6.3.4, §7.1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-x509-signer.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <time.h>

#define CERT_HASH_LEN 32 /* SHA-256 */

/* A certificate of the cache: issued by the root (checked when it was
 * added), a RELOAD peer certificate of this overlay. */
typedef struct
{
  ReloadCert *cert;
  ReloadCertIdentity *id;
  gnutls_pubkey_t pub;
  ReloadKeyType type;
  /* when the chain is valid: the leaf's and the root's validity, met */
  gint64 not_before, not_after;
} CacheEntry;

struct _ReloadX509Signer
{
  ReloadCert *root;
  ReloadCert *cert;
  ReloadCertIdentity *id;
  gnutls_privkey_t key;
  gnutls_sign_algorithm_t sign_algo;
  guint8 signature_algorithm; /* RELOAD_SIG_RSA or RELOAD_SIG_ECDSA */
  guint8 cert_hash[CERT_HASH_LEN];
  gnutls_x509_trust_list_t trust;
  GHashTable *cache; /* GBytes SHA-256 → CacheEntry */
};

static void
cache_entry_free (gpointer p)
{
  CacheEntry *e = p;
  reload_cert_unref (e->cert);
  reload_cert_identity_free (e->id);
  if (e->pub != NULL)
    gnutls_pubkey_deinit (e->pub);
  g_free (e);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Chain, identity and overlay of @cert; a cache entry for it. */
static CacheEntry *
entry_new (ReloadX509Signer *s, ReloadCert *cert, GError **error)
{
  gnutls_x509_crt_t crt = reload_cert_get_x509 (cert);
  unsigned status = 0;
  int ret = gnutls_x509_trust_list_verify_crt2 (s->trust, &crt, 1, NULL, 0, 0, &status, NULL);
  if (ret < 0 || status != 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED,
                   "the certificate is not issued by the overlay's root CA, or not valid now");
      return NULL;
    }
  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (cert, error);
  if (id == NULL)
    return NULL;
  /* s->id is NULL while the node's own certificate is being added */
  if (s->id != NULL && g_ascii_strcasecmp (id->overlay_name, s->id->overlay_name) != 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "the certificate is for overlay %s, not %s", id->overlay_name,
                   s->id->overlay_name);
      return NULL;
    }
  ReloadKeyType type;
  if (!reload_cert_get_key_type (cert, &type))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "the certificate's key is neither RSA nor ECDSA");
      return NULL;
    }
  gnutls_pubkey_t pub;
  ret = gnutls_pubkey_init (&pub);
  if (ret < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO, "%s",
                   gnutls_strerror (ret));
      return NULL;
    }
  ret = gnutls_pubkey_import_x509 (pub, crt, 0);
  if (ret < 0)
    {
      gnutls_pubkey_deinit (pub);
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID,
                   "public key: %s", gnutls_strerror (ret));
      return NULL;
    }
  gnutls_x509_crt_t root = reload_cert_get_x509 (s->root);
  CacheEntry *e = g_new0 (CacheEntry, 1);
  e->cert = reload_cert_ref (cert);
  e->id = g_steal_pointer (&id);
  e->pub = pub;
  e->type = type;
  e->not_before = MAX ((gint64) gnutls_x509_crt_get_activation_time (crt),
                       (gint64) gnutls_x509_crt_get_activation_time (root));
  e->not_after = MIN ((gint64) gnutls_x509_crt_get_expiration_time (crt),
                      (gint64) gnutls_x509_crt_get_expiration_time (root));
  return e;
}

/* Adds @e under its hash, or drops it for the one already there. */
static CacheEntry *
cache_insert (ReloadX509Signer *s, CacheEntry *e)
{
  guint8 h[CERT_HASH_LEN];
  reload_cert_get_sha256 (e->cert, h);
  GBytes *key = g_bytes_new (h, sizeof h);
  CacheEntry *old = g_hash_table_lookup (s->cache, key);
  if (old != NULL)
    {
      g_bytes_unref (key);
      cache_entry_free (e);
      return old;
    }
  g_hash_table_insert (s->cache, key, e);
  return e;
}

static CacheEntry *
cache_lookup (ReloadX509Signer *s, const guint8 *hash)
{
  g_autoptr (GBytes) key = g_bytes_new_static (hash, CERT_HASH_LEN);
  return g_hash_table_lookup (s->cache, key);
}

ReloadX509Signer *
reload_x509_signer_new (ReloadCert *root, ReloadCert *cert, const ReloadKey *key, GError **error)
{
  g_return_val_if_fail (root != NULL && cert != NULL && key != NULL, NULL);
  if (!reload_cert_matches_key (cert, key))
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH,
                   "the key is not the certificate's");
      return NULL;
    }
  g_autoptr (ReloadX509Signer) s = g_new0 (ReloadX509Signer, 1);
  s->root = reload_cert_ref (root);
  s->cert = reload_cert_ref (cert);
  s->cache = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                    cache_entry_free);
  reload_cert_get_sha256 (cert, s->cert_hash);

  int ret = gnutls_x509_trust_list_init (&s->trust, 0);
  if (ret < 0)
    {
      s->trust = NULL;
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "trust list: %s", gnutls_strerror (ret));
      return NULL;
    }
  /* the trust list owns its CAs: give it a copy of the root */
  g_autoptr (GBytes) root_der = reload_cert_get_der (root);
  gnutls_datum_t d = { (unsigned char *) g_bytes_get_data (root_der, NULL),
                       (unsigned) g_bytes_get_size (root_der) };
  gnutls_x509_crt_t ca;
  if ((ret = gnutls_x509_crt_init (&ca)) < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "certificate: %s", gnutls_strerror (ret));
      return NULL;
    }
  if ((ret = gnutls_x509_crt_import (ca, &d, GNUTLS_X509_FMT_DER)) < 0
      || gnutls_x509_trust_list_add_cas (s->trust, &ca, 1, 0) != 1)
    {
      gnutls_x509_crt_deinit (ca);
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "the root CA could not be added to a trust list");
      return NULL;
    }

  /* the node's own certificate: trusted, a peer's, and first in the
   * cache (its own signatures come back, e.g. in fetched data) */
  GError *e = NULL;
  CacheEntry *own = entry_new (s, cert, &e);
  if (own == NULL)
    {
      g_propagate_prefixed_error (error, e, "own certificate: ");
      return NULL;
    }
  s->id = own->id; /* borrowed from the cache, which lives as long as s */
  cache_insert (s, own);

  switch (own->type)
    {
    case RELOAD_KEY_RSA_2048:
      s->sign_algo = GNUTLS_SIGN_RSA_SHA256; /* RSASSA-PKCS1-v1_5 */
      s->signature_algorithm = RELOAD_SIG_RSA;
      break;
    case RELOAD_KEY_ECDSA_P256:
      s->sign_algo = GNUTLS_SIGN_ECDSA_SHA256;
      s->signature_algorithm = RELOAD_SIG_ECDSA;
      break;
    }
  if ((ret = gnutls_privkey_init (&s->key)) < 0)
    s->key = NULL;
  else
    ret =
        gnutls_privkey_import_x509 (s->key, reload_key_get_x509 (key), GNUTLS_PRIVKEY_IMPORT_COPY);
  if (ret < 0)
    {
      g_set_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_CRYPTO,
                   "private key: %s", gnutls_strerror (ret));
      return NULL;
    }
  return g_steal_pointer (&s);
}

void
reload_x509_signer_free (ReloadX509Signer *s)
{
  if (s == NULL)
    return;
  if (s->cache != NULL)
    g_hash_table_unref (s->cache);
  if (s->trust != NULL)
    gnutls_x509_trust_list_deinit (s->trust, 1);
  if (s->key != NULL)
    gnutls_privkey_deinit (s->key);
  reload_cert_unref (s->root);
  reload_cert_unref (s->cert);
  g_free (s);
}

gboolean
reload_x509_signer_add_certificate (ReloadX509Signer *s, GBytes *der, GError **error)
{
  g_return_val_if_fail (s != NULL && der != NULL, FALSE);
  g_autoptr (ReloadCert) cert = reload_cert_new_from_der (der, error);
  if (cert == NULL)
    return FALSE;
  guint8 h[CERT_HASH_LEN];
  reload_cert_get_sha256 (cert, h);
  if (cache_lookup (s, h) != NULL)
    return TRUE;
  CacheEntry *e = entry_new (s, cert, error);
  if (e == NULL)
    return FALSE;
  cache_insert (s, e);
  return TRUE;
}

gboolean
reload_x509_signer_has_certificate (ReloadX509Signer *s, const guint8 hash[32])
{
  return cache_lookup (s, hash) != NULL;
}

const ReloadCertIdentity *
reload_x509_signer_get_identity (ReloadX509Signer *s)
{
  return s->id;
}

ReloadCert *
reload_x509_signer_get_certificate (ReloadX509Signer *s)
{
  return s->cert;
}

/* ---- ReloadSecurityOps ---- */

static void
x509_sign (gpointer self, const guint8 *data, gsize len, RwArena *arena, ReloadSignature *sig)
{
  ReloadX509Signer *s = self;
  sig->hash_algorithm = RELOAD_HASH_SHA256;
  sig->signature_algorithm = s->signature_algorithm;
  sig->identity = (ReloadSignerIdentity){ 0 };
  sig->identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  sig->identity.hash_alg = RELOAD_HASH_SHA256;
  sig->signature_value = (RwBytes){ NULL, 0 };
  guint8 *hash = rw_arena_alloc0 (arena, CERT_HASH_LEN);
  if (hash == NULL)
    return; /* the arena is full: an empty identity, which verifies nowhere */
  memcpy (hash, s->cert_hash, CERT_HASH_LEN);
  sig->identity.hash = (RwBytes){ hash, CERT_HASH_LEN };

  gnutls_datum_t d = { (unsigned char *) (data != NULL ? data : (const guint8 *) ""),
                       (unsigned) len };
  gnutls_datum_t out = { NULL, 0 };
  int ret = len <= G_MAXUINT ? gnutls_privkey_sign_data2 (s->key, s->sign_algo, 0, &d, &out)
                             : GNUTLS_E_INVALID_REQUEST;
  if (ret < 0)
    {
      g_warning ("signing failed: %s", gnutls_strerror (ret));
      return;
    }
  guint8 *v = rw_arena_alloc0 (arena, out.size);
  if (v != NULL)
    {
      memcpy (v, out.data, out.size);
      sig->signature_value = (RwBytes){ v, out.size };
    }
  gnutls_free (out.data);
}

/* The cache entry of the certificate @hash names: the cache's, or one of
 * the message's certificates, checked and then cached. */
static CacheEntry *
find_signer (ReloadX509Signer *s, const guint8 *hash, const ReloadGenericCertificate *certs,
             guint n_certs)
{
  CacheEntry *e = cache_lookup (s, hash);
  if (e != NULL)
    return e;
  for (guint i = 0; certs != NULL && i < n_certs; i++)
    {
      if (certs[i].type != RELOAD_CERTIFICATE_X509 || certs[i].certificate.data == NULL
          || certs[i].certificate.len == 0)
        continue;
      guint8 h[CERT_HASH_LEN];
      if (gnutls_hash_fast (GNUTLS_DIG_SHA256, certs[i].certificate.data, certs[i].certificate.len,
                            h)
              < 0
          || memcmp (h, hash, CERT_HASH_LEN) != 0)
        continue;
      g_autoptr (ReloadCert) cert =
          reload_cert_new_from_data (certs[i].certificate.data, certs[i].certificate.len, NULL);
      if (cert == NULL)
        return NULL;
      e = entry_new (s, cert, NULL);
      return e != NULL ? cache_insert (s, e) : NULL;
    }
  return NULL;
}

static gboolean
x509_verify (gpointer self, const guint8 *data, gsize len, const ReloadSignature *sig,
             const ReloadGenericCertificate *certs, guint n_certs, RwArena *arena,
             ReloadSignerInfo *signer)
{
  ReloadX509Signer *s = self;
  if (s == NULL || sig == NULL || (data == NULL && len > 0) || len > G_MAXUINT)
    return FALSE;
  /* cert_hash only: cert_hash_node_id and none are not for us */
  const ReloadSignerIdentity *ident = &sig->identity;
  if (ident->identity_type != RELOAD_SIGNER_IDENTITY_CERT_HASH
      || ident->hash_alg != RELOAD_HASH_SHA256 || ident->hash.len != CERT_HASH_LEN
      || ident->hash.data == NULL)
    return FALSE;
  if (sig->hash_algorithm != RELOAD_HASH_SHA256 || sig->signature_value.data == NULL
      || sig->signature_value.len == 0 || sig->signature_value.len > G_MAXUINT)
    return FALSE;
  gnutls_sign_algorithm_t algo;
  ReloadKeyType want;
  switch (sig->signature_algorithm)
    {
    case RELOAD_SIG_RSA:
      algo = GNUTLS_SIGN_RSA_SHA256;
      want = RELOAD_KEY_RSA_2048;
      break;
    case RELOAD_SIG_ECDSA:
      algo = GNUTLS_SIGN_ECDSA_SHA256;
      want = RELOAD_KEY_ECDSA_P256;
      break;
    default:
      return FALSE;
    }

  CacheEntry *e = find_signer (s, ident->hash.data, certs, n_certs);
  if (e == NULL || e->type != want)
    return FALSE;
  /* the chain was verified when the entry was made: only time moves */
  gint64 now = now_s ();
  if (now < e->not_before || now > e->not_after)
    return FALSE;

  gnutls_datum_t d = { (unsigned char *) (data != NULL ? data : (const guint8 *) ""),
                       (unsigned) len };
  gnutls_datum_t sv = { (unsigned char *) sig->signature_value.data,
                        (unsigned) sig->signature_value.len };
  if (gnutls_pubkey_verify_data2 (e->pub, algo, 0, &d, &sv) < 0)
    return FALSE;

  gsize ulen = strlen (e->id->user_name);
  char *user = rw_arena_alloc0 (arena, ulen + 1);
  ReloadNodeId *ids = rw_arena_alloc0 (arena, e->id->n_node_ids * sizeof (ReloadNodeId));
  if (user == NULL || ids == NULL)
    return FALSE;
  memcpy (user, e->id->user_name, ulen);
  memcpy (ids, e->id->node_ids, e->id->n_node_ids * sizeof (ReloadNodeId));
  signer->user_name = user;
  signer->node_ids = ids;
  signer->n_node_ids = e->id->n_node_ids;
  return TRUE;
}

static GBytes *
x509_certificate (gpointer self)
{
  ReloadX509Signer *s = self;
  return reload_cert_get_der (reload_x509_signer_get_certificate (s));
}

static GBytes *
x509_certificate_for (gpointer self, const ReloadSignerIdentity *identity)
{
  ReloadX509Signer *s = self;
  if (identity->identity_type != RELOAD_SIGNER_IDENTITY_CERT_HASH
      || identity->hash_alg != RELOAD_HASH_SHA256 || identity->hash.len != CERT_HASH_LEN)
    return NULL;
  const CacheEntry *e = cache_lookup (s, identity->hash.data);
  return e != NULL ? reload_cert_get_der (e->cert) : NULL;
}

static const ReloadSecurityOps x509_ops = {
  .certificate = x509_certificate,
  .certificate_for = x509_certificate_for,
  .sign = x509_sign,
  .verify = x509_verify,
};

const ReloadSecurityOps *
reload_x509_security_ops (void)
{
  return &x509_ops;
}
