/* media-dtls.h: DTLS-SRTP (RFC 5764) on GnuTLS over a datagram transport
 * that the caller provides (the selected pair of the call's ICE
 * component).
 *
 * DTLS 1.2 (RFC 6347) with the use_srtp extension (RFC 5764 §4.1), offering
 * SRTP_AES128_CM_HMAC_SHA1_80 first and SRTP_AES128_CM_HMAC_SHA1_32 after
 * it.  (GnuTLS 3.7 knows no AEAD_AES_128_GCM profile, RFC 7714, so it is
 * not offered.)  Both ends present a certificate (RFC 5763 §5: the server
 * MUST request the client's) and each certificate must match the
 * fingerprint that the peer's SDP carried: a mismatch ends the handshake
 * with a bad_certificate alert and FINGERPRINT.  When the handshake ends
 * before that fingerprint is known (the answer is late: RFC 5763 §6.2's
 * early media case), the keys wait until media_dtls_set_remote_fingerprint()
 * checks the certificate already received.
 *
 * Once the handshake is done and the certificate checked, `up` gives the
 * SRTP master keys and salts exported as RFC 5764 §4.2 defines them:
 * what this end sends is protected with its own write key (the client's
 * for the DTLS client, the server's for the server), what it receives
 * with the peer's.
 *
 * Everything runs on the thread-default GMainContext of the creating
 * thread (the handshake retransmission timer); `send` is called from
 * inside media_dtls_* calls.  `up` and `down` come at most once each,
 * `down` last; the object may be freed from inside a callback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "call-media-certificate.h"

G_BEGIN_DECLS

/* RFC 5764 §4.1.2: both profiles use AES-128 (16-byte master key) and a
 * 112-bit (14-byte) master salt */
#define MEDIA_SRTP_MASTER_KEY_LEN 16
#define MEDIA_SRTP_MASTER_SALT_LEN 14
#define MEDIA_SRTP_KEY_MATERIAL_LEN (MEDIA_SRTP_MASTER_KEY_LEN + MEDIA_SRTP_MASTER_SALT_LEN)

/* The DTLS record size limit: under the path MTU of nearly every path
 * once IP, UDP and a TURN channel header are added. */
#define MEDIA_DTLS_MTU 1200
/* The first handshake retransmission timeout (RFC 6347 §4.2.4.1
 * recommends 1 s; ICE has just proven the path, so a lost flight is
 * repeated sooner) and the whole handshake's limit. */
#define MEDIA_DTLS_RETRANSMIT_MS 400
#define MEDIA_DTLS_HANDSHAKE_TIMEOUT_MS 20000
/* Datagrams waiting to be read (hostile peer: bounded). */
#define MEDIA_DTLS_MAX_QUEUED 32

typedef enum
{
  MEDIA_SRTP_PROFILE_AES128_CM_HMAC_SHA1_80 = 0x0001, /* RFC 5764 §4.1.2 */
  MEDIA_SRTP_PROFILE_AES128_CM_HMAC_SHA1_32 = 0x0002,
} MediaSrtpProfile;

typedef struct
{
  MediaSrtpProfile profile;
  /* master key || master salt (RFC 5764 §4.2) */
  guint8 local[MEDIA_SRTP_KEY_MATERIAL_LEN];  /* protects what this end sends */
  guint8 remote[MEDIA_SRTP_KEY_MATERIAL_LEN]; /* what the peer sends */
} MediaSrtpKeys;

typedef struct _MediaDtls MediaDtls;

typedef struct
{
  /* one DTLS datagram for the peer; the transport may lose it */
  void (*send) (const guint8 *data, gsize len, gpointer user_data);
  void (*up) (MediaDtls *dtls, const MediaSrtpKeys *keys, gpointer user_data);
  /* CALL_MEDIA_ERROR_DTLS, _FINGERPRINT, _TIMEOUT or _CLOSED */
  void (*down) (MediaDtls *dtls, const GError *error, gpointer user_data);
} MediaDtlsCallbacks;

/* @remote_fingerprint may be NULL (set later). */
MediaDtls *media_dtls_new (gboolean client, CallMediaCertificate *cert,
                           const MediaFingerprint *remote_fingerprint,
                           const MediaDtlsCallbacks *callbacks, gpointer user_data, GError **error);
void media_dtls_free (MediaDtls *dtls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MediaDtls, media_dtls_free)

/* The client sends its ClientHello; a server waits for one (either way the
 * handshake also starts when the peer's first datagram comes). */
void media_dtls_start (MediaDtls *dtls);
/* One datagram from the peer whose first byte is 20..63 (RFC 7983 §7). */
void media_dtls_receive (MediaDtls *dtls, const guint8 *data, gsize len);
void media_dtls_set_remote_fingerprint (MediaDtls *dtls, const MediaFingerprint *fingerprint);
/* Sends close_notify (RFC 5246 §7.2.1) when a session exists; no callback follows. */
void media_dtls_close (MediaDtls *dtls);
/* "SRTP_AES128_CM_HMAC_SHA1_80" or NULL before `up`. */
const char *media_dtls_get_profile_name (MediaDtls *dtls);

G_END_DECLS
