/* call-media-error.h: the error domain of one call's media (CallMedia and
 * its helpers).  Every failure of a running call reaches the call manager
 * as one CallMedia::failed signal carrying one of these codes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CALL_MEDIA_ERROR (call_media_error_quark ())
GQuark call_media_error_quark (void);

typedef enum
{
  CALL_MEDIA_ERROR_FAILED,  /* anything else */
  CALL_MEDIA_ERROR_INVALID, /* a bad argument: candidate, credentials, fingerprint, description */
  CALL_MEDIA_ERROR_ICE,     /* the connectivity checks failed or consent was lost (RFC 7675) */
  CALL_MEDIA_ERROR_DTLS,    /* the DTLS handshake or record layer failed, or an alert came */
  CALL_MEDIA_ERROR_FINGERPRINT, /* the peer's certificate does not match its SDP fingerprint */
  CALL_MEDIA_ERROR_PIPELINE,    /* GStreamer: a missing element or a streaming error */
  CALL_MEDIA_ERROR_TIMEOUT,     /* ICE plus DTLS did not finish in time */
  CALL_MEDIA_ERROR_CLOSED,      /* the peer closed DTLS (close_notify): normal at hang-up */
} CallMediaError;

G_END_DECLS
