/* reload-link-auth.h: who is on the other end of a secured link.
 *
 * Both link protocols of RFC 6940 (TLS over TCP and DTLS over UDP, §6.6)
 * authenticate the peer the same way: the peer presents an enrollment
 * certificate issued under the overlay's root (§10.3, §11.3) that names
 * this overlay. This check runs inside gnutls_handshake(), from the
 * certificate verify callback of either link.
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

#include "reload-credentials.h"

G_BEGIN_DECLS

gboolean reload_link_auth_check_peer (gnutls_session_t session, ReloadCert *root,
                                      const char *own_overlay, GQuark error_domain, gint error_code,
                                      ReloadCert **out_cert, ReloadCertIdentity **out_identity,
                                      GError **error);

G_END_DECLS
