/* media-dtls.c: DTLS-SRTP on GnuTLS (see the header).
 *
 *   NEW -> HANDSHAKE -> (VERIFY_PENDING) -> UP -> DOWN
 *
 * GnuTLS runs non-blocking in datagram mode: its pull function takes the
 * datagrams media_dtls_receive() queued, its push function hands records to
 * the caller's transport, and a timer of the thread-default context calls
 * the handshake again when gnutls_dtls_get_timeout() says a flight is due
 * for retransmission (RFC 6347 §4.2.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-dtls.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/dtls.h>
#include <string.h>

#include "call-media-error.h"

/* DTLS 1.2 only (RFC 5764 §4 runs on any DTLS; 1.0 is obsolete, RFC 8996) */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-DTLS1.2"
/* RFC 5764 §4.1.2 profiles, in our order of preference */
#define SRTP_PROFILES "SRTP_AES128_CM_HMAC_SHA1_80:SRTP_AES128_CM_HMAC_SHA1_32"

typedef enum
{
  STATE_NEW,
  STATE_HANDSHAKE,
  STATE_VERIFY_PENDING, /* handshake done, the peer's fingerprint not known yet */
  STATE_UP,
  STATE_DOWN,
} DtlsState;

struct _MediaDtls
{
  gboolean client;
  DtlsState state;
  gnutls_session_t session;
  gnutls_certificate_credentials_t cred;
  MediaFingerprint remote;
  gboolean have_remote;
  GBytes *peer_der; /* the peer's certificate, once seen */
  GError *verify_error;
  GQueue received; /* GBytes * */
  MediaSrtpKeys keys;
  GMainContext *context;
  GSource *timer;
  MediaDtlsCallbacks callbacks;
  gpointer user_data;
  guint busy;
  gboolean free_pending;
};

static void pump (MediaDtls *dtls);
static void really_free (MediaDtls *dtls);

/* ---- callbacks, reentrancy ---- */

static void
enter (MediaDtls *dtls)
{
  dtls->busy++;
}

static void
leave (MediaDtls *dtls)
{
  if (--dtls->busy == 0 && dtls->free_pending)
    really_free (dtls);
}

static void
stop_timer (MediaDtls *dtls)
{
  if (dtls->timer != NULL)
    {
      g_source_destroy (dtls->timer);
      g_clear_pointer (&dtls->timer, g_source_unref);
    }
}

/* Takes @error. */
static void
go_down (MediaDtls *dtls, GError *error)
{
  if (dtls->state == STATE_DOWN)
    {
      g_clear_error (&error);
      return;
    }
  dtls->state = STATE_DOWN;
  stop_timer (dtls);
  if (dtls->callbacks.down != NULL && !dtls->free_pending)
    dtls->callbacks.down (dtls, error, dtls->user_data);
  g_clear_error (&error);
}

static void
go_up (MediaDtls *dtls)
{
  dtls->state = STATE_UP;
  if (dtls->callbacks.up != NULL && !dtls->free_pending)
    dtls->callbacks.up (dtls, &dtls->keys, dtls->user_data);
}

/* ---- transport ---- */

static ssize_t
transport_push (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  MediaDtls *dtls = ptr;
  /* a datagram the transport loses is repeated by the handshake timer */
  if (dtls->callbacks.send != NULL && !dtls->free_pending)
    dtls->callbacks.send (data, len, dtls->user_data);
  return (ssize_t) len;
}

static ssize_t
transport_pull (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  MediaDtls *dtls = ptr;
  GBytes *d = g_queue_pop_head (&dtls->received);
  if (d == NULL)
    {
      gnutls_transport_set_errno (dtls->session, EAGAIN);
      return -1;
    }
  gsize n;
  const guint8 *bytes = g_bytes_get_data (d, &n);
  n = MIN (n, len); /* truncated as recv() would */
  memcpy (data, bytes, n);
  g_bytes_unref (d);
  return (ssize_t) n;
}

static int
transport_pull_timeout (gnutls_transport_ptr_t ptr, unsigned int ms)
{
  MediaDtls *dtls = ptr;
  /* never wait: the main loop does */
  return g_queue_is_empty (&dtls->received) ? 0 : 1;
}

/* ---- the peer's certificate (RFC 5763 §5) ---- */

static int
verify_peer (gnutls_session_t session)
{
  MediaDtls *dtls = gnutls_session_get_ptr (session);
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers (session, &n);
  g_clear_error (&dtls->verify_error);
  if (gnutls_certificate_type_get (session) != GNUTLS_CRT_X509 || certs == NULL || n == 0)
    {
      g_set_error (&dtls->verify_error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT,
                   "the peer sent no X.509 certificate");
      return GNUTLS_E_CERTIFICATE_ERROR;
    }
  g_clear_pointer (&dtls->peer_der, g_bytes_unref);
  dtls->peer_der = g_bytes_new (certs[0].data, certs[0].size);
  /* RFC 5763 §5: the certificate is self-signed and trusted only because
   * its fingerprint is the one the (integrity-protected) SDP gave; no
   * chain, name or validity check applies */
  if (dtls->have_remote && !media_fingerprint_matches (&dtls->remote, certs[0].data, certs[0].size))
    {
      g_set_error (&dtls->verify_error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT,
                   "the peer's certificate does not match the fingerprint from its SDP");
      return GNUTLS_E_CERTIFICATE_ERROR;
    }
  return 0;
}

/* ---- the handshake ---- */

static void arm_timer (MediaDtls *dtls, guint ms);

static gboolean
on_timer (gpointer data)
{
  MediaDtls *dtls = data;
  g_clear_pointer (&dtls->timer, g_source_unref);
  enter (dtls);
  pump (dtls);
  leave (dtls);
  return G_SOURCE_REMOVE;
}

static void
arm_timer (MediaDtls *dtls, guint ms)
{
  stop_timer (dtls);
  dtls->timer = g_timeout_source_new (MAX (ms, 1u));
  g_source_set_callback (dtls->timer, on_timer, dtls, NULL);
  g_source_attach (dtls->timer, dtls->context);
}

static void
fail_tls (MediaDtls *dtls, int ret, const char *what)
{
  GError *error = NULL;
  /* GnuTLS leaves the alert to us: tell the peer why (RFC 5246 §7.2.2; a
   * refused certificate is bad_certificate), so that its handshake fails
   * at once instead of timing out */
  if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED && ret != GNUTLS_E_TIMEDOUT)
    gnutls_alert_send_appropriate (dtls->session, ret);
  if (dtls->verify_error != NULL)
    error = g_steal_pointer (&dtls->verify_error);
  else if (ret == GNUTLS_E_TIMEDOUT)
    error = g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_TIMEOUT, "%s: %s", what,
                         gnutls_strerror (ret));
  else if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
    error = g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS, "%s: the peer sent alert “%s”",
                         what, gnutls_alert_get_name (gnutls_alert_get (dtls->session)));
  else
    error = g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS, "%s: %s", what,
                         gnutls_strerror (ret));
  go_down (dtls, error);
}

/* RFC 5764 §4.2: the exporter "EXTRACTOR-dtls_srtp" gives
 * client_write_SRTP_master_key, server_write_SRTP_master_key,
 * client_write_SRTP_master_salt, server_write_SRTP_master_salt; each end
 * protects what it sends with its own write key and salt. */
static gboolean
export_keys (MediaDtls *dtls)
{
  gnutls_srtp_profile_t profile;
  if (gnutls_srtp_get_selected_profile (dtls->session, &profile) < 0)
    {
      /* RFC 5764 §4.1.1: without use_srtp there is no DTLS-SRTP */
      go_down (dtls, g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS,
                                  "the peer negotiated no SRTP protection profile"));
      return FALSE;
    }
  guint8 material[2 * MEDIA_SRTP_KEY_MATERIAL_LEN];
  gnutls_datum_t ck, cs, sk, ss;
  int ret = gnutls_srtp_get_keys (dtls->session, material, sizeof material, &ck, &cs, &sk, &ss);
  if (ret < 0 || ck.size != MEDIA_SRTP_MASTER_KEY_LEN || sk.size != MEDIA_SRTP_MASTER_KEY_LEN
      || cs.size != MEDIA_SRTP_MASTER_SALT_LEN || ss.size != MEDIA_SRTP_MASTER_SALT_LEN)
    {
      gnutls_memset (material, 0, sizeof material);
      fail_tls (dtls, ret < 0 ? ret : GNUTLS_E_INTERNAL_ERROR, "exporting the SRTP keys");
      return FALSE;
    }
  const gnutls_datum_t *own_key = dtls->client ? &ck : &sk, *own_salt = dtls->client ? &cs : &ss;
  const gnutls_datum_t *peer_key = dtls->client ? &sk : &ck, *peer_salt = dtls->client ? &ss : &cs;
  dtls->keys.profile = (MediaSrtpProfile) profile;
  memcpy (dtls->keys.local, own_key->data, MEDIA_SRTP_MASTER_KEY_LEN);
  memcpy (dtls->keys.local + MEDIA_SRTP_MASTER_KEY_LEN, own_salt->data, MEDIA_SRTP_MASTER_SALT_LEN);
  memcpy (dtls->keys.remote, peer_key->data, MEDIA_SRTP_MASTER_KEY_LEN);
  memcpy (dtls->keys.remote + MEDIA_SRTP_MASTER_KEY_LEN, peer_salt->data,
          MEDIA_SRTP_MASTER_SALT_LEN);
  gnutls_memset (material, 0, sizeof material);
  return TRUE;
}

static void
handshake_done (MediaDtls *dtls)
{
  stop_timer (dtls);
  if (!export_keys (dtls))
    return;
  if (dtls->have_remote)
    go_up (dtls);
  else
    dtls->state = STATE_VERIFY_PENDING;
}

static void
read_records (MediaDtls *dtls)
{
  guint8 buf[MEDIA_DTLS_MTU + 256];
  while (dtls->state == STATE_UP || dtls->state == STATE_VERIFY_PENDING)
    {
      ssize_t r = gnutls_record_recv (dtls->session, buf, sizeof buf);
      if (r > 0)
        continue; /* DTLS-SRTP carries no application data (RFC 5764 §4.1): ignored */
      if (r == 0)
        {
          go_down (dtls, g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_CLOSED,
                                      "the peer closed the DTLS association"));
          return;
        }
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        {
          /* GnuTLS may still repeat our last flight (a lost Finished) */
          if (g_queue_is_empty (&dtls->received))
            return;
          continue;
        }
      if (gnutls_error_is_fatal ((int) r))
        {
          fail_tls (dtls, (int) r, "DTLS");
          return;
        }
      /* a warning alert, a bad record (dropped, RFC 6347 §4.1.2.7) */
    }
}

static void
pump (MediaDtls *dtls)
{
  if (dtls->state == STATE_HANDSHAKE)
    {
      int ret = gnutls_handshake (dtls->session);
      if (ret == 0)
        handshake_done (dtls);
      else if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal (ret))
        arm_timer (dtls, gnutls_dtls_get_timeout (dtls->session));
      else
        {
          fail_tls (dtls, ret, "DTLS handshake");
          return;
        }
    }
  if (dtls->state == STATE_UP || dtls->state == STATE_VERIFY_PENDING)
    read_records (dtls);
}

/* ---- API ---- */

MediaDtls *
media_dtls_new (gboolean client, CallMediaCertificate *cert,
                const MediaFingerprint *remote_fingerprint, const MediaDtlsCallbacks *callbacks,
                gpointer user_data, GError **error)
{
  g_return_val_if_fail (cert != NULL && callbacks != NULL, NULL);
  g_autoptr (MediaDtls) dtls = g_new0 (MediaDtls, 1);
  dtls->client = client;
  dtls->callbacks = *callbacks;
  dtls->user_data = user_data;
  dtls->context = g_main_context_ref_thread_default ();
  g_queue_init (&dtls->received);
  if (remote_fingerprint != NULL)
    {
      dtls->remote = *remote_fingerprint;
      dtls->have_remote = TRUE;
    }
  int ret;
  const char *err_pos = NULL;
  if ((ret = gnutls_certificate_allocate_credentials (&dtls->cred)) < 0)
    goto tls_error;
  if (!call_media_certificate_install (cert, dtls->cred, error))
    return NULL;
  gnutls_certificate_set_verify_function (dtls->cred, verify_peer);
  if ((ret = gnutls_init (&dtls->session, (client ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_DATAGRAM
                                              | GNUTLS_NONBLOCK))
      < 0)
    goto tls_error;
  gnutls_session_set_ptr (dtls->session, dtls);
  if ((ret = gnutls_priority_set_direct (dtls->session, PRIORITY, &err_pos)) < 0
      || (ret = gnutls_credentials_set (dtls->session, GNUTLS_CRD_CERTIFICATE, dtls->cred)) < 0
      || (ret = gnutls_srtp_set_profile_direct (dtls->session, SRTP_PROFILES, &err_pos)) < 0)
    goto tls_error;
  /* RFC 5763 §5: "the server MUST request a certificate from the client"
   * (in DTLS-SRTP both ends are authenticated by their fingerprints) */
  if (!client)
    gnutls_certificate_server_set_request (dtls->session, GNUTLS_CERT_REQUIRE);
  gnutls_dtls_set_mtu (dtls->session, MEDIA_DTLS_MTU);
  gnutls_dtls_set_timeouts (dtls->session, MEDIA_DTLS_RETRANSMIT_MS,
                            MEDIA_DTLS_HANDSHAKE_TIMEOUT_MS);
  gnutls_transport_set_ptr (dtls->session, dtls);
  gnutls_transport_set_push_function (dtls->session, transport_push);
  gnutls_transport_set_pull_function (dtls->session, transport_pull);
  gnutls_transport_set_pull_timeout_function (dtls->session, transport_pull_timeout);
  return g_steal_pointer (&dtls);

tls_error:
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS, "setting up DTLS: %s",
               gnutls_strerror (ret));
  return NULL;
}

static void
really_free (MediaDtls *dtls)
{
  stop_timer (dtls);
  if (dtls->session != NULL)
    gnutls_deinit (dtls->session);
  if (dtls->cred != NULL)
    gnutls_certificate_free_credentials (dtls->cred);
  g_queue_clear_full (&dtls->received, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&dtls->peer_der, g_bytes_unref);
  g_clear_error (&dtls->verify_error);
  g_main_context_unref (dtls->context);
  gnutls_memset (&dtls->keys, 0, sizeof dtls->keys);
  g_free (dtls);
}

void
media_dtls_free (MediaDtls *dtls)
{
  if (dtls == NULL)
    return;
  stop_timer (dtls);
  if (dtls->busy > 0)
    {
      dtls->free_pending = TRUE;
      return;
    }
  really_free (dtls);
}

void
media_dtls_start (MediaDtls *dtls)
{
  g_return_if_fail (dtls != NULL);
  if (dtls->state != STATE_NEW)
    return;
  dtls->state = STATE_HANDSHAKE;
  /* RFC 5763 §5: the active (client) end starts once ICE is connected; a
   * server's first handshake call only finds nothing to read yet */
  enter (dtls);
  pump (dtls);
  leave (dtls);
}

void
media_dtls_receive (MediaDtls *dtls, const guint8 *data, gsize len)
{
  g_return_if_fail (dtls != NULL);
  if (dtls->state == STATE_DOWN || len == 0)
    return;
  if (g_queue_get_length (&dtls->received) >= MEDIA_DTLS_MAX_QUEUED)
    return; /* a flood: dropped as the network would */
  g_queue_push_tail (&dtls->received, g_bytes_new (data, len));
  if (dtls->state == STATE_NEW)
    dtls->state = STATE_HANDSHAKE;
  enter (dtls);
  pump (dtls);
  leave (dtls);
}

void
media_dtls_set_remote_fingerprint (MediaDtls *dtls, const MediaFingerprint *fingerprint)
{
  g_return_if_fail (dtls != NULL && fingerprint != NULL);
  dtls->remote = *fingerprint;
  dtls->have_remote = TRUE;
  if (dtls->state != STATE_VERIFY_PENDING && dtls->state != STATE_UP)
    return;
  gsize len = 0;
  const guint8 *der = dtls->peer_der ? g_bytes_get_data (dtls->peer_der, &len) : NULL;
  enter (dtls);
  if (der == NULL || !media_fingerprint_matches (fingerprint, der, len))
    {
      gnutls_alert_send (dtls->session, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
      go_down (dtls, g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT,
                                  "the peer's certificate does not match the fingerprint from "
                                  "its SDP"));
    }
  else if (dtls->state == STATE_VERIFY_PENDING)
    go_up (dtls);
  leave (dtls);
}

void
media_dtls_close (MediaDtls *dtls)
{
  g_return_if_fail (dtls != NULL);
  if (dtls->state == STATE_UP || dtls->state == STATE_VERIFY_PENDING)
    {
      /* RFC 6347 §4.1 / RFC 5246 §7.2.1: close_notify, without waiting */
      enter (dtls);
      gnutls_bye (dtls->session, GNUTLS_SHUT_WR);
      leave (dtls);
    }
  stop_timer (dtls);
  dtls->state = STATE_DOWN;
}

const char *
media_dtls_get_profile_name (MediaDtls *dtls)
{
  g_return_val_if_fail (dtls != NULL, NULL);
  if (dtls->state != STATE_UP)
    return NULL;
  return gnutls_srtp_get_profile_name ((gnutls_srtp_profile_t) dtls->keys.profile);
}
