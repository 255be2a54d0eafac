/* call-media-types.h: the enumerations of CallMedia's API, registered as
 * GEnum types for its properties.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The codec this end sends.  Any of them is decoded when it arrives
 * (RFC 3264 §6.1: the peer may send any codec of our offer). */
typedef enum
{
  CALL_MEDIA_CODEC_OPUS, /* RFC 7587: 48 kHz RTP clock, dynamic payload type */
  CALL_MEDIA_CODEC_PCMU, /* G.711 µ-law, static payload type 0 (RFC 3551 §6) */
  CALL_MEDIA_CODEC_PCMA, /* G.711 A-law, static payload type 8 */
} CallMediaCodec;

/* RFC 3264 §5.1 directions, as this end's SDP states them: sendonly and
 * inactive put the peer on hold (it must not send), recvonly is our hold
 * by the peer. */
typedef enum
{
  CALL_MEDIA_DIRECTION_SENDRECV,
  CALL_MEDIA_DIRECTION_SENDONLY,
  CALL_MEDIA_DIRECTION_RECVONLY,
  CALL_MEDIA_DIRECTION_INACTIVE,
} CallMediaDirection;

/* RFC 5763 §5: a=setup:active is the DTLS client, passive the server. */
typedef enum
{
  CALL_MEDIA_DTLS_CLIENT,
  CALL_MEDIA_DTLS_SERVER,
} CallMediaDtlsRole;

typedef enum
{
  CALL_MEDIA_STATE_NEW,       /* properties may be set */
  CALL_MEDIA_STATE_GATHERING, /* call_media_start(): local candidates coming */
  CALL_MEDIA_STATE_CHECKING,  /* remote credentials known: connectivity checks */
  CALL_MEDIA_STATE_SECURING,  /* a pair works: DTLS handshake */
  CALL_MEDIA_STATE_CONNECTED, /* SRTP keys in place, media flowing */
  CALL_MEDIA_STATE_FAILED,    /* after CallMedia::failed */
  CALL_MEDIA_STATE_CLOSED,    /* after call_media_stop() */
} CallMediaState;

/* Where call_media_set_packet_tap() looks at packets (diagnostics and
 * tests). */
typedef enum
{
  CALL_MEDIA_TAP_RTP_OUT,  /* outgoing RTP before SRTP protection */
  CALL_MEDIA_TAP_WIRE_OUT, /* outgoing SRTP/SRTCP as handed to ICE */
  CALL_MEDIA_TAP_WIRE_IN,  /* incoming SRTP/SRTCP as ICE delivered it */
} CallMediaTapPoint;

/* Called on GStreamer's or the I/O thread: must be quick and thread-safe. */
typedef void (*CallMediaPacketTap) (CallMediaTapPoint point, const guint8 *data, gsize len,
                                    gpointer user_data);

#define CALL_MEDIA_TYPE_CODEC (call_media_codec_get_type ())
GType call_media_codec_get_type (void);
#define CALL_MEDIA_TYPE_DIRECTION (call_media_direction_get_type ())
GType call_media_direction_get_type (void);
#define CALL_MEDIA_TYPE_DTLS_ROLE (call_media_dtls_role_get_type ())
GType call_media_dtls_role_get_type (void);
#define CALL_MEDIA_TYPE_STATE (call_media_state_get_type ())
GType call_media_state_get_type (void);

G_END_DECLS
