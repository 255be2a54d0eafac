/* fuzz-sip-framing.c: libFuzzer target for the framing of SIP over TCP
 * (overlay/net/chorus-sip-framing.h, RFC 3261 §18.3): what a phone, or
 * anyone, writes to the SIP adapter's TCP port.
 *
 * Input: byte 0 chooses the bounds (bit 0: a header section of at most 64
 * bytes instead of 16 KiB, bit 1: a message of at most 256 bytes instead
 * of 64 KiB) and how the rest is cut (bits 2-3: pieces of 1 byte, of 1
 * to 7, of 1 to 300, or all at once), byte 1 seeds the cutting; the rest
 * is the stream, pushed piece by piece, every event taken out after each
 * push.
 *
 * It must not crash, and what comes out must be the stream: every
 * message is the input from where the previous one ended, after CR and LF
 * bytes only (§7.5), no longer than the input or the bound, starting with
 * neither CR nor LF, with its CRLFCRLF within the header bound; what is
 * left buffered at the end is the rest of the input after such CR and LF
 * bytes, less than the message bound (the framer's memory stays bounded).
 * An error is sticky.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-framing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gsize
skip_crlf (const uint8_t *data, gsize pos, gsize end)
{
  while (pos < end && (data[pos] == '\r' || data[pos] == '\n'))
    pos++;
  return pos;
}

static gboolean
has_crlfcrlf (const guint8 *p, gsize n)
{
  for (gsize i = 0; i + 4 <= n; i++)
    if (memcmp (p + i, "\r\n\r\n", 4) == 0)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  guint8 mode = data[0];
  guint32 state = data[1] * 2654435761u + 1;
  data += 2;
  size -= 2;
  gsize max_header = (mode & 1) ? 64 : CHORUS_SIP_FRAMING_MAX_HEADER;
  gsize max_message = (mode & 2) ? 256 : CHORUS_SIP_FRAMING_MAX_MESSAGE;
  max_header = MIN (max_header, max_message); /* as the framer takes them */
  static const gsize pieces[] = { 1, 7, 300, 0 };
  gsize piece = pieces[(mode >> 2) & 3];

  ChorusSipFramer *f = chorus_sip_framer_new (max_header, max_message);
  gsize pushed = 0;   /* input bytes pushed */
  gsize consumed = 0; /* input bytes accounted for by the messages */
  gboolean failed = FALSE;
  while (pushed < size && !failed)
    {
      gsize n = size - pushed;
      if (piece != 0)
        {
          state ^= state << 13;
          state ^= state >> 17;
          state ^= state << 5;
          n = MIN (n, 1 + state % piece);
        }
      chorus_sip_framer_push (f, data + pushed, n);
      pushed += n;
      for (;;)
        {
          const guint8 *msg = NULL;
          gsize len = 0;
          GError *error = NULL;
          ChorusSipFrameResult r = chorus_sip_framer_next (f, &msg, &len, &error);
          if (r == CHORUS_SIP_FRAME_NEED_MORE)
            {
              if (error != NULL)
                abort ();
              break;
            }
          if (r == CHORUS_SIP_FRAME_ERROR)
            {
              if (error == NULL)
                abort ();
              g_error_free (error);
              failed = TRUE;
              break;
            }
          if (error != NULL)
            abort ();
          if (r == CHORUS_SIP_FRAME_PING)
            continue;
          if (r != CHORUS_SIP_FRAME_MESSAGE)
            abort ();
          /* the message is the input where the last one ended, after CRLFs */
          consumed = skip_crlf (data, consumed, pushed);
          if (len == 0 || len > size || len > max_message || len > pushed - consumed
              || memcmp (msg, data + consumed, len) != 0 || msg[0] == '\r' || msg[0] == '\n'
              || !has_crlfcrlf (msg, MIN (len, max_header)))
            abort ();
          consumed += len;
        }
    }
  if (failed)
    {
      /* sticky */
      const guint8 *msg;
      gsize len;
      chorus_sip_framer_push (f, (const guint8 *) "\r\n\r\n", 4);
      if (chorus_sip_framer_next (f, &msg, &len, NULL) != CHORUS_SIP_FRAME_ERROR)
        abort ();
    }
  else
    {
      /* the rest of the input is what the framer holds, and that is less
       * than a message */
      gsize rest_len;
      const guint8 *rest = chorus_sip_framer_peek (f, &rest_len);
      consumed = skip_crlf (data, consumed, pushed);
      if (rest_len != pushed - consumed || rest_len >= max_message
          || (rest_len > 0 && memcmp (rest, data + consumed, rest_len) != 0))
        abort ();
    }
  chorus_sip_framer_free (f);
  return 0;
}
