/* reload-framing.h: the per-hop framing header of RFC 6940 §6.6.2
 * (FramedMessage), used on every overlay link (DTLS/UDP with Simple
 * Reliability §6.6.3, TLS/TCP with FH §6.6.5).
 *
 *   enum { data(128), ack(129), (255) } FramedMessageType;
 *   struct {
 *     FramedMessageType type;
 *     select (type) {
 *       case data: uint32 sequence; opaque message<0..2^24-1>;
 *       case ack:  uint32 ack_sequence; uint32 received;
 *     };
 *   } FramedMessage;
 *
 * JSON (reload_frame_visit inside an object):
 *   {"type": "data", "sequence": 7, "message": "d2454c4f..."}   message in hex
 *   {"type": "ack", "ack_sequence": 7, "received": 4294967295}
 * "type" also accepts the number (128, 129).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"

G_BEGIN_DECLS

/* §6.6.2 FramedMessageType. */
typedef enum
{
  RELOAD_FRAME_DATA = 128,
  RELOAD_FRAME_ACK = 129,
} ReloadFrameType;

/* The data frame's header before the message: type, sequence, 24-bit length. */
#define RELOAD_FRAME_DATA_HEADER_SIZE 8
/* An ack frame: type, ack_sequence, received. */
#define RELOAD_FRAME_ACK_SIZE 9
/* opaque message<0..2^24-1> */
#define RELOAD_FRAME_MAX_MESSAGE 0xffffffu

typedef struct
{
  guint8 type;          /* ReloadFrameType */
  guint32 sequence;     /* data */
  RwBytes message;      /* data: borrowed from the decoded input (or the arena) */
  guint32 ack_sequence; /* ack */
  guint32 received;     /* ack: which of the previous 32 sequence numbers arrived (§6.6.2) */
} ReloadFrame;

/* The visitor: the frame's fields in the current JSON object.  An unknown
 * type fails with RELOAD_WIRE_ERROR_UNKNOWN_TYPE naming "type". */
void reload_frame_visit (RwCodec *c, gpointer frame);

/* Decodes exactly one frame from @data (strict: unknown type, a length
 * beyond the data, truncation and trailing bytes all fail, with a
 * RELOAD_WIRE_ERROR naming the field and offset).  frame->message points
 * into @data.  @arena may be NULL: decoding a frame allocates nothing. */
gboolean reload_frame_decode (const guint8 *data, gsize len, RwArena *arena, ReloadFrame *frame,
                              GError **error);
/* Appends the frame's bytes to @out; fails on an unknown type or a message
 * longer than 2^24-1 bytes (nothing is appended then). */
gboolean reload_frame_encode (const ReloadFrame *frame, GByteArray *out, GError **error);
/* Appends a data frame.  @len must be at most RELOAD_FRAME_MAX_MESSAGE
 * (a programming error otherwise: nothing is appended). */
void reload_frame_encode_data (GByteArray *out, guint32 sequence, const guint8 *message, gsize len);
/* Appends an ack frame. */
void reload_frame_encode_ack (GByteArray *out, guint32 ack_sequence, guint32 received);

/* JSON object of a frame (message in hex), and back.  reload_frame_from_json
 * allocates the message bytes from @arena (required). */
JsonNode *reload_frame_to_json (const ReloadFrame *frame, GError **error);
gboolean reload_frame_from_json (JsonNode *node, RwArena *arena, ReloadFrame *frame,
                                 GError **error);

/* Stream links (TLS/TCP, §6.6.5): how long is the frame that starts at
 * @data?  Returns the whole frame's size when @len holds all of it, 0 when
 * more bytes are needed, and -1 with @error set when the stream cannot be
 * a sequence of frames: an unknown type (RELOAD_WIRE_ERROR_UNKNOWN_TYPE),
 * or, when @max_message_size is not 0, a data frame announcing a longer
 * message (RELOAD_WIRE_ERROR_TOO_LARGE; known from the first 8 bytes, so
 * nothing that large is ever buffered).  The connection should then be
 * closed: there is no way to find the next frame. */
gssize reload_frame_stream_length (const guint8 *data, gsize len, gsize max_message_size,
                                   GError **error);

G_END_DECLS
