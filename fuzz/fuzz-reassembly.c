/* fuzz-reassembly.c: libFuzzer target for fragmentation and reassembly
 * (RFC 6940 §6.7).
 *
 * The first byte picks a mode and the reassembler's limits (small ones, so
 * that they are reached):
 *
 *  - raw (bit 7 clear): the rest is a sequence of records
 *      u8 op, u16 length, length bytes
 *    op bits 0-1: 0 add the bytes as a fragment, 1 expire, 2 forget the
 *    link, 3 add then split the bytes; bits 2-3: the link (sender key);
 *    bits 4-7: seconds the fake clock advances first.  Whatever a split
 *    produces must respect its size bound, and a whole message split and
 *    reassembled in reverse order must come back unchanged.
 *
 *  - synthesized (bit 7 set): the rest is
 *      u8 via_len, u8 piece, u8 stride, u8 seed, via bytes, payload
 *    A valid message is built around the payload and cut into pieces of
 *    (piece+1) bytes every (stride+1) bytes, which overlap or leave gaps,
 *    fed in an order and with duplicates chosen by the seed.  When the
 *    pieces cover the payload and no limit refused one, the message must
 *    come back byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-fragment.h"
#include "reload-message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define SEC G_USEC_PER_SEC

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
fail (const char *what)
{
  fprintf (stderr, "fuzz-reassembly: %s\n", what);
  abort ();
}

/* A split's promises, and the round trip of a whole message. */
static void
check_split (const guint8 *msg, gsize len, gsize max)
{
  GPtrArray *frags = reload_fragment_split (msg, len, max, NULL);
  if (frags == NULL)
    return;
  guint32 field = 0;
  gsize header = reload_fragment_parse_header (msg, len, &field, NULL, NULL);
  if (header == 0 || frags->len == 0)
    fail ("split accepted an invalid message");
  for (guint i = 0; i < frags->len; i++)
    {
      gsize n;
      const guint8 *f = g_bytes_get_data (g_ptr_array_index (frags, i), &n);
      if (frags->len > 1 && n > max)
        fail ("a fragment exceeds max_fragment_size");
      if (reload_fragment_parse_header (f, n, NULL, NULL, NULL) != header)
        fail ("a fragment's header does not parse");
    }
  if ((field & ~RELOAD_FRAGMENT_RESERVED) == RELOAD_FRAGMENT_UNFRAGMENTED)
    {
      ReloadReassembler *r = reload_reassembler_new (0, 0);
      GBytes *out = NULL;
      for (guint i = frags->len; i-- > 0 && out == NULL;)
        {
          GBytes *f = g_ptr_array_index (frags, i);
          GError *error = NULL;
          if (!reload_reassembler_add (r, NULL, g_bytes_get_data (f, NULL), g_bytes_get_size (f), 0,
                                       &out, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              fail ("a fragment of a split was refused");
            }
          if (out != NULL && i != 0)
            fail ("completed before the last fragment");
        }
      if (out == NULL)
        fail ("a split did not reassemble");
      /* The reassembled message is the original with fragment = 0xC0000000
       * (reserved bits cleared when there was more than one fragment). */
      if (g_bytes_get_size (out) != len || memcmp (g_bytes_get_data (out, NULL), msg, 12) != 0
          || memcmp ((const guint8 *) g_bytes_get_data (out, NULL) + 16, msg + 16, len - 16) != 0)
        fail ("split and reassembly changed the message");
      g_bytes_unref (out);
      if (reload_reassembler_count (r) != 0 || reload_reassembler_buffered (r) != 0)
        fail ("state left after completion");
      reload_reassembler_free (r);
    }
  g_ptr_array_unref (frags);
}

static void
raw_mode (ReloadReassembler *r, const uint8_t *data, size_t size)
{
  gint64 now = 0;
  gsize pos = 0;
  while (size - pos >= 3)
    {
      guint8 op = data[pos];
      gsize len = (gsize) data[pos + 1] << 8 | data[pos + 2];
      pos += 3;
      len = MIN (len, size - pos);
      const guint8 *rec = data + pos;
      pos += len;

      now += (gint64) (op >> 4) * SEC;
      gconstpointer link = GUINT_TO_POINTER ((op >> 2) & 3);
      switch (op & 3)
        {
        case 1:
          reload_reassembler_expire (r, now);
          break;
        case 2:
          reload_reassembler_forget_link (r, link);
          break;
        case 3:
          check_split (rec, len, 38 + (gsize) (op >> 4) * 64);
          G_GNUC_FALLTHROUGH;
        default:
          {
            /* an exact-size copy, so that any over-read is caught */
            guint8 *copy = g_memdup2 (rec, len);
            GBytes *out = NULL;
            GError *error = NULL;
            gboolean ok = reload_reassembler_add (r, link, copy, len, now, &out, &error);
            if (ok != (error == NULL) || (!ok && out != NULL))
              fail ("add's result and error disagree");
            if (out != NULL)
              {
                gsize n;
                const guint8 *m = g_bytes_get_data (out, &n);
                guint32 field = 0;
                if (reload_fragment_parse_header (m, n, &field, NULL, NULL) == 0)
                  fail ("a reassembled message does not parse");
                if ((field & ~RELOAD_FRAGMENT_RESERVED) != RELOAD_FRAGMENT_UNFRAGMENTED)
                  fail ("a reassembled message is still a fragment");
                g_bytes_unref (out);
              }
            g_clear_error (&error);
            g_free (copy);
          }
          break;
        }
      if (reload_reassembler_count (r) > 3)
        fail ("more reassemblies than the limit");
      gint64 next = reload_reassembler_next_expiry (r);
      if ((next == -1) != (reload_reassembler_count (r) == 0))
        fail ("next_expiry disagrees with count");
    }
}

static void
synthesized_mode (ReloadReassembler *r, const uint8_t *data, size_t size)
{
  if (size < 4)
    return;
  gsize via = MIN ((gsize) data[0], size - 4);
  gsize piece = (gsize) data[1] + 1;
  gsize stride = (gsize) data[2] + 1;
  guint32 seed = data[3];
  const guint8 *via_bytes = data + 4;
  const guint8 *payload = via_bytes + via;
  gsize payload_len = size - 4 - via;
  if (payload_len == 0)
    return;

  gsize header = RELOAD_HEADER_FIXED_SIZE + via;
  gsize len = header + payload_len;
  guint8 *msg = g_malloc0 (len);
  put32 (msg, RELOAD_TOKEN);
  msg[10] = RELOAD_VERSION;
  msg[11] = RELOAD_DEFAULT_TTL;
  put32 (msg + 12, RELOAD_FRAGMENT_UNFRAGMENTED);
  put32 (msg + 16, (guint32) len);
  put32 (msg + 24, seed);
  put16 (msg + 32, (guint16) via);
  memcpy (msg + RELOAD_HEADER_FIXED_SIZE, via_bytes, via);
  memcpy (msg + header, payload, payload_len);

  /* the pieces, then an order with duplicates */
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize s = 0; s < payload_len; s += stride)
    g_array_append_val (starts, s);
  guint n = starts->len;
  GArray *order = g_array_new (FALSE, FALSE, sizeof (guint));
  guint32 x = seed * 2654435761u + 1;
  for (guint i = 0; i < n; i++)
    {
      g_array_append_val (order, i);
      x = x * 1103515245u + 12345u;
      if ((x >> 16) % 4 == 0)
        g_array_append_val (order, i);
    }
  for (guint i = order->len; i-- > 1;)
    {
      x = x * 1103515245u + 12345u;
      guint j = (x >> 8) % (i + 1);
      guint t = g_array_index (order, guint, i);
      g_array_index (order, guint, i) = g_array_index (order, guint, j);
      g_array_index (order, guint, j) = t;
    }

  gboolean refused = FALSE;
  GBytes *out = NULL;
  for (guint i = 0; i < order->len && out == NULL; i++)
    {
      gsize s = g_array_index (starts, gsize, g_array_index (order, guint, i));
      gsize plen = MIN (piece, payload_len - s);
      gboolean last = s + plen == payload_len;
      gsize flen = header + plen;
      guint8 *f = g_malloc (flen);
      memcpy (f, msg, header);
      memcpy (f + header, msg + header + s, plen);
      put32 (f + 12, RELOAD_FRAGMENT_HIGH_BIT | (last ? RELOAD_FRAGMENT_LAST : 0) | (guint32) s);
      put32 (f + 16, (guint32) flen);
      GError *error = NULL;
      if (!reload_reassembler_add (r, NULL, f, flen, 0, &out, &error))
        {
          if (!g_error_matches (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT)
              && !g_error_matches (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE))
            {
              fprintf (stderr, "%s\n", error->message);
              fail ("a consistent fragment was refused");
            }
          refused = TRUE;
          g_error_free (error);
        }
      g_free (f);
    }

  /* Pieces of stride <= piece cover the payload (the last start is within
   * one stride of the end, and MIN cuts it to the end). */
  gboolean covering = stride <= piece;
  if (out != NULL)
    {
      if (g_bytes_get_size (out) != len || memcmp (g_bytes_get_data (out, NULL), msg, len) != 0)
        fail ("the reassembled message differs from the original");
      g_bytes_unref (out);
    }
  else if (covering && !refused)
    fail ("covering fragments did not complete the message");

  g_array_unref (order);
  g_array_unref (starts);
  g_free (msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  guint8 config = data[0];
  /* max-message-size: unlimited, or 256..2048 bytes */
  gsize max_message = (config & 7) == 0 ? 0 : 256 * (gsize) (config & 7);
  ReloadReassembler *r = reload_reassembler_new (max_message, 0);
  /* at most 3 at once, and a small budget when bit 3 asks for it */
  reload_reassembler_set_limits (r, 3, (config & 8) ? 1 : 0);

  if ((config & 0x80) == 0)
    raw_mode (r, data + 1, size - 1);
  else
    synthesized_mode (r, data + 1, size - 1);

  reload_reassembler_free (r);
  return 0;
}
