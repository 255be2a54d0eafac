/* reload-framing.c: FramedMessage, the per-hop framing header (RFC 6940
 * §6.6.2).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-framing.h"

#include <string.h>

static const RwEnumName frame_type_names[] = {
  { RELOAD_FRAME_DATA, "data" },
  { RELOAD_FRAME_ACK, "ack" },
  { 0, NULL },
};

void
reload_frame_visit (RwCodec *c, gpointer p)
{
  ReloadFrame *f = p;
  rw_enum8 (c, "type", &f->type, frame_type_names);
  if (!rw_ok (c))
    return;
  switch (f->type)
    {
    case RELOAD_FRAME_DATA:
      rw_u32 (c, "sequence", &f->sequence);
      /* opaque message<0..2^24-1>: a 24-bit length (§6.6.2) */
      rw_opaque (c, "message", 3, 0, &f->message);
      break;
    case RELOAD_FRAME_ACK:
      rw_u32 (c, "ack_sequence", &f->ack_sequence);
      rw_u32 (c, "received", &f->received);
      break;
    default:
      /* The select has no default arm: a frame of another type cannot be
       * parsed, nor skipped (its length is unknown). */
      rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type",
               "unknown FramedMessageType %u (§6.6.2: data 128, ack 129)", f->type);
      break;
    }
}

gboolean
reload_frame_decode (const guint8 *data, gsize len, RwArena *arena, ReloadFrame *frame,
                     GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);
  memset (frame, 0, sizeof *frame);
  /* Decoding a frame never allocates (the message points into @data), so
   * the arena is only handed on; a private empty one stands in for NULL. */
  g_autoptr (RwArena) own = arena == NULL ? rw_arena_new (1) : NULL;
  RwCodec *c = rw_codec_new_decoder (data, len, arena != NULL ? arena : own, NULL);
  reload_frame_visit (c, frame);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "%" G_GSIZE_FORMAT " bytes left over",
             rw_remaining (c));
  if (!rw_codec_finish (c, error))
    {
      memset (frame, 0, sizeof *frame);
      return FALSE;
    }
  return TRUE;
}

gboolean
reload_frame_encode (const ReloadFrame *frame, GByteArray *out, GError **error)
{
  g_return_val_if_fail (frame != NULL && out != NULL, FALSE);
  guint start = out->len;
  ReloadFrame copy = *frame;
  RwCodec *c = rw_codec_new_encoder (out, NULL);
  reload_frame_visit (c, &copy);
  if (!rw_codec_finish (c, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  return TRUE;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

void
reload_frame_encode_data (GByteArray *out, guint32 sequence, const guint8 *message, gsize len)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (message != NULL || len == 0);
  g_return_if_fail (len <= RELOAD_FRAME_MAX_MESSAGE);
  guint8 h[RELOAD_FRAME_DATA_HEADER_SIZE];
  h[0] = RELOAD_FRAME_DATA;
  put32 (h + 1, sequence);
  h[5] = (guint8) (len >> 16);
  h[6] = (guint8) (len >> 8);
  h[7] = (guint8) len;
  g_byte_array_append (out, h, sizeof h);
  if (len > 0)
    g_byte_array_append (out, message, (guint) len);
}

void
reload_frame_encode_ack (GByteArray *out, guint32 ack_sequence, guint32 received)
{
  g_return_if_fail (out != NULL);
  guint8 a[RELOAD_FRAME_ACK_SIZE];
  a[0] = RELOAD_FRAME_ACK;
  put32 (a + 1, ack_sequence);
  put32 (a + 5, received);
  g_byte_array_append (out, a, sizeof a);
}

JsonNode *
reload_frame_to_json (const ReloadFrame *frame, GError **error)
{
  g_return_val_if_fail (frame != NULL, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  ReloadFrame copy = *frame;
  RwCodec *c = rw_codec_new_json_writer (b, NULL);
  rw_object_begin (c, NULL);
  reload_frame_visit (c, &copy);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    return NULL;
  return json_builder_get_root (b);
}

gboolean
reload_frame_from_json (JsonNode *node, RwArena *arena, ReloadFrame *frame, GError **error)
{
  g_return_val_if_fail (node != NULL && arena != NULL && frame != NULL, FALSE);
  memset (frame, 0, sizeof *frame);
  RwCodec *c = rw_codec_new_json_reader (node, arena, NULL);
  rw_object_begin (c, NULL);
  reload_frame_visit (c, frame);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    {
      memset (frame, 0, sizeof *frame);
      return FALSE;
    }
  return TRUE;
}

gssize
reload_frame_stream_length (const guint8 *data, gsize len, gsize max_message_size, GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, -1);
  if (len == 0)
    return 0;
  switch (data[0])
    {
    case RELOAD_FRAME_ACK:
      return len >= RELOAD_FRAME_ACK_SIZE ? RELOAD_FRAME_ACK_SIZE : 0;
    case RELOAD_FRAME_DATA:
      {
        if (len < RELOAD_FRAME_DATA_HEADER_SIZE)
          return 0;
        gsize mlen = (gsize) data[5] << 16 | (gsize) data[6] << 8 | data[7];
        if (max_message_size != 0 && mlen > max_message_size)
          {
            g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE,
                         "message at offset 5: a framed message of %" G_GSIZE_FORMAT
                         " bytes exceeds max-message-size %" G_GSIZE_FORMAT,
                         mlen, max_message_size);
            return -1;
          }
        gsize total = RELOAD_FRAME_DATA_HEADER_SIZE + mlen;
        return len >= total ? (gssize) total : 0;
      }
    default:
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_UNKNOWN_TYPE,
                   "type at offset 0: unknown FramedMessageType %u (§6.6.2: data 128, ack 129)",
                   data[0]);
      return -1;
    }
}
