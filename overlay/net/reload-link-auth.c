/* reload-link-auth.c: the peer-certificate check shared by the TLS and DTLS
 * links (RFC 6940 §6.6, §10.3, §11.3). */
#include "reload-link-auth.h"

/* Accepts the peer when its leaf certificate chains to @root and carries a
 * RELOAD identity for @own_overlay. On success the certificate and its
 * identity are returned to the caller, who owns them; on failure @error is
 * set in @error_domain with @error_code and nothing is returned. */
gboolean
reload_link_auth_check_peer (gnutls_session_t session, ReloadCert *root, const char *own_overlay,
                             GQuark error_domain, gint error_code, ReloadCert **out_cert,
                             ReloadCertIdentity **out_identity, GError **error)
{
  g_autoptr (GError) local = NULL;
  unsigned int n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers (session, &n);
  if (certs == NULL || n == 0)
    {
      g_set_error (error, error_domain, error_code, "the peer presented no certificate");
      return FALSE;
    }
  g_autoptr (GBytes) der = g_bytes_new (certs[0].data, certs[0].size);
  g_autoptr (ReloadCert) cert = reload_cert_new_from_der (der, &local);
  if (cert == NULL || !reload_cert_verify (cert, root, &local))
    {
      g_set_error (error, error_domain, error_code, "the peer's certificate is not trusted: %s",
                   local->message);
      return FALSE;
    }
  ReloadCertIdentity *id = reload_cert_get_identity (cert, &local);
  if (id == NULL)
    {
      g_set_error (error, error_domain, error_code,
                   "the peer's certificate is not a RELOAD peer certificate: %s", local->message);
      return FALSE;
    }
  /* §11.3: a certificate from another overlay's enrollment server does not
   * admit its holder here, even when the roots happen to coincide. */
  if (g_strcmp0 (id->overlay_name, own_overlay) != 0)
    {
      g_set_error (error, error_domain, error_code,
                   "the peer's certificate is for overlay \"%s\", not \"%s\"", id->overlay_name,
                   own_overlay);
      reload_cert_identity_free (id);
      return FALSE;
    }
  *out_cert = g_steal_pointer (&cert);
  *out_identity = id;
  return TRUE;
}
