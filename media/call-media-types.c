/* call-media-types.c: GEnum registration (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "call-media-types.h"

/* clang-format off */
G_DEFINE_ENUM_TYPE (CallMediaCodec, call_media_codec,
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_CODEC_OPUS, "opus"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_CODEC_PCMU, "pcmu"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_CODEC_PCMA, "pcma"))

G_DEFINE_ENUM_TYPE (CallMediaDirection, call_media_direction,
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DIRECTION_SENDRECV, "sendrecv"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DIRECTION_SENDONLY, "sendonly"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DIRECTION_RECVONLY, "recvonly"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DIRECTION_INACTIVE, "inactive"))

G_DEFINE_ENUM_TYPE (CallMediaDtlsRole, call_media_dtls_role,
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DTLS_CLIENT, "client"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_DTLS_SERVER, "server"))

G_DEFINE_ENUM_TYPE (CallMediaState, call_media_state,
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_NEW, "new"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_GATHERING, "gathering"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_CHECKING, "checking"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_SECURING, "securing"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (CALL_MEDIA_STATE_CLOSED, "closed"))
/* clang-format on */
