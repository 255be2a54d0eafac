/* reload-config-sign.c: the signatures of a configuration document (RFC
 * 6940 §11.1): a base64 SecurityBlock (§6.3.4) over the exact bytes of
 * the <configuration> element, and one over each <kind> element.
 *
 * The SecurityBlock is encoded and decoded by the wire codec: the
 * message codec's own visitor of the block is private to
 * reload-message.c, so visit_security_block() below repeats its three
 * lines with the public pieces (rw_list, rw_opaque and the public
 * reload_signature() visitor), which gives the same bytes:
 *
 *   struct {
 *     GenericCertificate certificates<0..2^16-1>;   {u8 type; opaque<0..2^16-1>}
 *     Signature          signature;
 *   } SecurityBlock;
 *
 * The signed data is the element's bytes alone: unlike a message (§6.3.4)
 * or stored data (§7.1), §11.1 adds nothing to the "binary blob".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-config-private.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "reload-message.h"

#define CERT_HASH_LEN 32 /* SHA-256, the cert_hash of the X.509 signer */

/* ---------------------------------------------------------------- codec */

static void
visit_certificate (RwCodec *c, gpointer p)
{
  ReloadGenericCertificate *g = p;
  rw_object_begin (c, NULL);
  rw_u8 (c, "type", &g->type);
  rw_opaque (c, "certificate", 2, 0, &g->certificate);
  rw_object_end (c);
}

static void
visit_security_block (RwCodec *c, ReloadSecurityBlock *s)
{
  rw_object_begin (c, NULL);
  RW_LIST (c, "certificates", 2, s->certificates, s->n_certificates, visit_certificate);
  reload_signature (c, "signature", &s->signature);
  rw_object_end (c);
}

static const RwOptions codec_options = {
  /* the block holds no Node-ID; the codec wants a valid length anyway */
  .node_id_length = RELOAD_CONFIG_DEFAULT_NODE_ID_LENGTH,
};

/* Decodes @bytes into @out, allocated from @arena and pointing into
 * @bytes; every byte must be used. */
static gboolean
security_block_decode (GBytes *bytes, RwArena *arena, ReloadSecurityBlock *out, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RwCodec *c = rw_codec_new_decoder (data, len, arena, &codec_options);
  visit_security_block (c, out);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, "security_block",
             "%" G_GSIZE_FORMAT " bytes after the SecurityBlock", rw_remaining (c));
  g_autoptr (GError) e = NULL;
  if (!rw_codec_finish (c, &e))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE,
                   "malformed SecurityBlock: %s", e->message);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- signing */

char *
reload_config_sign_bytes (const ReloadConfigSigner *signer, const guint8 *data, gsize len,
                          GError **error)
{
  const ReloadSecurityOps *ops = signer->ops;
  g_autoptr (GBytes) cert = ops->certificate != NULL ? ops->certificate (signer->self) : NULL;
  if (cert == NULL || g_bytes_get_size (cert) == 0 || g_bytes_get_size (cert) > G_MAXUINT16)
    {
      /* §6.3.4: the block "SHOULD contain all the certificates necessary
       * to verify every signature"; a configuration is read by nodes that
       * have no other way to find the signer's certificate */
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE,
                   "the signer has no certificate to put in the SecurityBlock");
      return NULL;
    }
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadGenericCertificate generic = {
    RELOAD_CERTIFICATE_X509,
    { g_bytes_get_data (cert, NULL), g_bytes_get_size (cert) },
  };
  ReloadSecurityBlock block = { &generic, 1, { 0 } };
  ops->sign (signer->self, data, len, arena, &block.signature);
  if (block.signature.signature_value.len == 0)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE, "signing failed");
      return NULL;
    }

  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, &codec_options);
  visit_security_block (c, &block);
  g_autoptr (GError) e = NULL;
  if (!rw_codec_finish (c, &e))
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_SIGNATURE,
                   "encoding the SecurityBlock: %s", e->message);
      return NULL;
    }
  /* §11.1: "base-64 encoded using the base64 alphabet from [RFC4648]" */
  return g_base64_encode (out->data, out->len);
}

char *
reload_config_sign (const ReloadConfig *cfg, const ReloadSecurityOps *ops, gpointer signer,
                    GError **error)
{
  g_return_val_if_fail (cfg != NULL && ops != NULL && ops->sign != NULL, NULL);
  ReloadConfigSigner s = { ops, signer };
  return reload_config_write (cfg, &s, error);
}

/* ---------------------------------------------------------------- verifying */

/* What a signature is checked against. */
typedef struct
{
  const char *overlay;             /* the instance-name */
  GPtrArray *anchors;              /* ReloadCert * (borrowed) */
  const char *const *allowed;      /* Node-IDs in hex */
  const char *const *bad_nodes[2]; /* Node-IDs in hex; either may be NULL */
  const char *role;                /* "configuration-signer", "kind-signer" */
} Policy;

static gboolean
in_list (const char *const *list, const char *hex)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      /* the elements hold hex; case does not matter (see reload-config.h) */
      g_autofree char *t = g_strstrip (g_strdup (list[i]));
      if (g_ascii_strcasecmp (t, hex) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean fail (GError **error, ReloadConfigError code, const char *what, const char *format,
                      ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, ReloadConfigError code, const char *what, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, RELOAD_CONFIG_ERROR, code, "%s: %s", what, msg);
  return FALSE;
}

/* The certificate the SecurityBlock carries for its signer. */
static ReloadCert *
find_signer_certificate (const ReloadSecurityBlock *block)
{
  const ReloadSignerIdentity *ident = &block->signature.identity;
  for (guint i = 0; i < block->n_certificates; i++)
    {
      const ReloadGenericCertificate *g = &block->certificates[i];
      guint8 h[CERT_HASH_LEN];
      if (g->type != RELOAD_CERTIFICATE_X509 || g->certificate.len == 0
          || gnutls_hash_fast (GNUTLS_DIG_SHA256, g->certificate.data, g->certificate.len, h) < 0
          || memcmp (h, ident->hash.data, CERT_HASH_LEN) != 0)
        continue;
      return reload_cert_new_from_data (g->certificate.data, g->certificate.len, NULL);
    }
  return NULL;
}

/* Whether the signature of @cert's key over @data is @sig. */
static gboolean
check_signature (ReloadCert *cert, gnutls_sign_algorithm_t algo, const guint8 *data, gsize len,
                 const RwBytes *sig)
{
  gnutls_pubkey_t pub;
  if (gnutls_pubkey_init (&pub) < 0)
    return FALSE;
  gboolean ok = FALSE;
  if (gnutls_pubkey_import_x509 (pub, reload_cert_get_x509 (cert), 0) >= 0)
    {
      gnutls_datum_t d = { (unsigned char *) (len > 0 ? data : (const guint8 *) ""),
                           (unsigned) len };
      gnutls_datum_t s = { (unsigned char *) sig->data, (unsigned) sig->len };
      ok = gnutls_pubkey_verify_data2 (pub, algo, 0, &d, &s) >= 0;
    }
  gnutls_pubkey_deinit (pub);
  return ok;
}

/* One signature (§11.1 with §6.3.4) over @data: see reload_config_verify(). */
static gboolean
verify_one (const guint8 *data, gsize len, GBytes *security_block, const Policy *policy,
            const char *what, GError **error)
{
  if (len > G_MAXUINT)
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what, "too large");
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadSecurityBlock block = { 0 };
  GError *e = NULL;
  if (!security_block_decode (security_block, arena, &block, &e))
    {
      g_prefix_error (&e, "%s: ", what);
      g_propagate_error (error, e);
      return FALSE;
    }

  /* the algorithms of the X.509 signer (reload-x509-signer.h) */
  const ReloadSignature *sig = &block.signature;
  const ReloadSignerIdentity *ident = &sig->identity;
  if (ident->identity_type != RELOAD_SIGNER_IDENTITY_CERT_HASH
      || ident->hash_alg != RELOAD_HASH_SHA256 || ident->hash.len != CERT_HASH_LEN)
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what,
                 "the signer identity is not a SHA-256 cert_hash");
  gnutls_sign_algorithm_t algo;
  ReloadKeyType want;
  if (sig->hash_algorithm == RELOAD_HASH_SHA256 && sig->signature_algorithm == RELOAD_SIG_RSA)
    {
      algo = GNUTLS_SIGN_RSA_SHA256; /* RSASSA-PKCS1-v1_5, mandatory (§6.3.4) */
      want = RELOAD_KEY_RSA_2048;
    }
  else if (sig->hash_algorithm == RELOAD_HASH_SHA256
           && sig->signature_algorithm == RELOAD_SIG_ECDSA)
    {
      algo = GNUTLS_SIGN_ECDSA_SHA256;
      want = RELOAD_KEY_ECDSA_P256;
    }
  else
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what,
                 "unsupported algorithm (hash %u, signature %u)", sig->hash_algorithm,
                 sig->signature_algorithm);
  if (sig->signature_value.len == 0 || sig->signature_value.len > G_MAXUINT)
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what, "empty signature");

  g_autoptr (ReloadCert) cert = find_signer_certificate (&block);
  if (cert == NULL)
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what,
                 "the SecurityBlock does not carry the signer's certificate");
  ReloadKeyType type;
  if (!reload_cert_get_key_type (cert, &type) || type != want)
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what,
                 "the signer's key does not match the signature algorithm");
  if (!check_signature (cert, algo, data, len, &sig->signature_value))
    return fail (error, RELOAD_CONFIG_ERROR_SIGNATURE, what,
                 "the signature does not verify over the element's bytes");

  /* the certificate: issued by a trust anchor and valid now */
  gboolean trusted = FALSE;
  for (guint i = 0; i < policy->anchors->len && !trusted; i++)
    trusted = reload_cert_verify (cert, g_ptr_array_index (policy->anchors, i), NULL);
  if (!trusted)
    return fail (error, RELOAD_CONFIG_ERROR_NOT_TRUSTED, what,
                 "the signer's certificate is not issued by a trusted root, or not valid now");
  g_autoptr (GError) id_error = NULL;
  g_autoptr (ReloadCertIdentity) id = reload_cert_get_identity (cert, &id_error);
  if (id == NULL)
    return fail (error, RELOAD_CONFIG_ERROR_NOT_TRUSTED, what,
                 "the signer's certificate is not a RELOAD certificate: %s", id_error->message);
  if (g_ascii_strcasecmp (id->overlay_name, policy->overlay) != 0)
    return fail (error, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED, what,
                 "the signer's certificate is for overlay %s, not %s", id->overlay_name,
                 policy->overlay);

  /* §11.1 bad-node: "the certificate with this Node-ID MUST NOT be
   * considered valid"; then the signer must be listed */
  gboolean allowed = FALSE;
  for (guint i = 0; i < id->n_node_ids; i++)
    {
      g_autofree char *hex = reload_config_node_id_hex (&id->node_ids[i]);
      if (in_list (policy->bad_nodes[0], hex) || in_list (policy->bad_nodes[1], hex))
        return fail (error, RELOAD_CONFIG_ERROR_NOT_TRUSTED, what,
                     "the signer %s is a bad-node (§11.1)", hex);
      allowed = allowed || in_list (policy->allowed, hex);
    }
  if (!allowed)
    {
      g_autofree char *hex = reload_config_node_id_hex (&id->node_ids[0]);
      return fail (error, RELOAD_CONFIG_ERROR_NOT_AUTHORIZED, what,
                   "the signer %s (%s) is not a %s (§11.1)", hex, id->user_name, policy->role);
    }
  return TRUE;
}

static const char *const *
strv (GPtrArray *list)
{
  return list != NULL ? (const char *const *) list->pdata : NULL;
}

static gboolean
verify (const ReloadConfig *cfg, ReloadCert *root, const ReloadConfig *previous,
        const char *const *configuration_signers, GError **error)
{
  if (cfg->xml == NULL)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_UNSIGNED,
                   "the configuration was not parsed from a document: nothing is signed");
      return FALSE;
    }
  if (cfg->signatures->len == 0)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_UNSIGNED,
                   "the configuration %s is not signed (§11.1: recipients MUST verify the "
                   "signature)",
                   cfg->instance_name);
      return FALSE;
    }

  /* anchors of the configuration signature: never the document's own
   * root-certs (see reload-config.h) */
  g_autoptr (GPtrArray) anchors = g_ptr_array_new ();
  if (root != NULL)
    g_ptr_array_add (anchors, root);
  if (previous != NULL)
    g_ptr_array_extend (anchors, previous->root_certs, NULL, NULL);
  if (anchors->len == 0)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_NOT_TRUSTED,
                   "no trust anchor: a first configuration needs the overlay's root "
                   "certificate");
      return FALSE;
    }

  Policy policy = {
    .overlay = cfg->instance_name,
    .anchors = anchors,
    .allowed = configuration_signers,
    .bad_nodes = { strv (cfg->bad_nodes), previous != NULL ? strv (previous->bad_nodes) : NULL },
    .role = "configuration-signer",
  };
  gsize len;
  const guint8 *data = g_bytes_get_data (cfg->xml, &len);
  /* any one of the signatures that follow the configuration will do */
  g_autoptr (GError) first = NULL;
  gboolean ok = FALSE;
  for (guint i = 0; i < cfg->signatures->len && !ok; i++)
    {
      g_autoptr (GError) e = NULL;
      ok = verify_one (data, len, g_ptr_array_index (cfg->signatures, i), &policy, "signature", &e);
      if (!ok && first == NULL)
        first = g_steal_pointer (&e);
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&first));
      return FALSE;
    }

  /* §11.1: "kind-block elements MUST be signed by a node listed in the
   * kind-signers block of the current configuration.  Receivers MUST
   * verify the signature prior to accepting a kind-block."  The
   * configuration is authentic now, and so are its root-certs. */
  g_ptr_array_extend (anchors, cfg->root_certs, NULL, NULL);
  policy.allowed = strv (cfg->kind_signers);
  policy.role = "kind-signer";
  for (guint i = 0; i < cfg->kinds->len; i++)
    {
      const ReloadConfigKind *k = g_ptr_array_index (cfg->kinds, i);
      g_autofree char *what = k->name != NULL ? g_strdup_printf ("kind %s", k->name)
                                              : g_strdup_printf ("kind %u", k->id);
      if (k->xml == NULL || k->signature == NULL)
        {
          /* §11.1: "The kind-block element also MUST contain a
           * "kind-signature" element" */
          g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_UNSIGNED,
                       "%s has no kind-signature (§11.1)", what);
          return FALSE;
        }
      data = g_bytes_get_data (k->xml, &len);
      if (!verify_one (data, len, k->signature, &policy, what, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
reload_config_verify (const ReloadConfig *cfg, ReloadCert *root, const ReloadConfig *previous,
                      GError **error)
{
  g_return_val_if_fail (cfg != NULL, FALSE);
  if (previous != NULL && g_strcmp0 (previous->instance_name, cfg->instance_name) != 0)
    {
      g_set_error (error, RELOAD_CONFIG_ERROR, RELOAD_CONFIG_ERROR_INVALID,
                   "the configuration is for overlay %s, the previous one for %s",
                   cfg->instance_name, previous->instance_name);
      return FALSE;
    }
  /* §11.1: "signed by one of the configuration-signer elements from the
   * previous extant configuration"; the first one names its own */
  const ReloadConfig *signers_from = previous != NULL ? previous : cfg;
  return verify (cfg, root, previous, strv (signers_from->configuration_signers), error);
}

gboolean
reload_config_verify_with_signers (const ReloadConfig *cfg, ReloadCert *root,
                                   const char *const *configuration_signers, GError **error)
{
  g_return_val_if_fail (cfg != NULL && root != NULL, FALSE);
  return verify (cfg, root, NULL, configuration_signers, error);
}
