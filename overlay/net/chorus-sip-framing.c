/* chorus-sip-framing.c: SIP messages out of a byte stream (RFC 3261 §18.3;
 * see the header for the rules).
 *
 * The buffer holds the unconsumed bytes from `off`.  While the header
 * section of the next message is incomplete, `scan` remembers how far the
 * search for CRLFCRLF got, so that a message arriving byte by byte costs
 * linear time; once found, `total` is the length of the whole message and
 * the framer waits for that many bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-framing.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (chorus-sip-framing-error-quark, chorus_sip_framing_error)
/* clang-format on */

/* Consumed bytes kept at the front of the buffer before it is compacted
 * (at least half of it consumed): amortised O(1) per byte. */
#define COMPACT_MIN 4096

struct _ChorusSipFramer
{
  gsize max_header;
  gsize max_message;
  GByteArray *buf;
  gsize off;        /* the next message starts here */
  gsize scan;       /* no CRLFCRLF ends before off + scan + 4 */
  gsize header_len; /* of the next message, with its CRLFCRLF; 0: not found yet */
  gsize total;      /* header_len + Content-Length, when header_len > 0 */
  guint ping;       /* bytes of "\r\n\r\n" matched between messages */
  gboolean failed;
};

ChorusSipFramer *
chorus_sip_framer_new (gsize max_header, gsize max_message)
{
  ChorusSipFramer *f = g_new0 (ChorusSipFramer, 1);
  f->max_message = max_message ? max_message : CHORUS_SIP_FRAMING_MAX_MESSAGE;
  f->max_header = MIN (max_header ? max_header : CHORUS_SIP_FRAMING_MAX_HEADER, f->max_message);
  f->buf = g_byte_array_new ();
  return f;
}

void
chorus_sip_framer_free (ChorusSipFramer *f)
{
  if (f == NULL)
    return;
  g_byte_array_unref (f->buf);
  g_free (f);
}

static void
compact (ChorusSipFramer *f)
{
  if (f->off == 0)
    return;
  if (f->off == f->buf->len)
    {
      g_byte_array_set_size (f->buf, 0);
      f->off = 0;
    }
  else if (f->off >= COMPACT_MIN && f->off >= f->buf->len / 2)
    {
      g_byte_array_remove_range (f->buf, 0, (guint) f->off);
      f->off = 0;
    }
}

void
chorus_sip_framer_push (ChorusSipFramer *f, const guint8 *data, gsize len)
{
  g_return_if_fail (f != NULL);
  g_return_if_fail (data != NULL || len == 0);
  if (f->failed || len == 0)
    return;
  compact (f);
  g_byte_array_append (f->buf, data, (guint) len);
}

const guint8 *
chorus_sip_framer_peek (ChorusSipFramer *f, gsize *len)
{
  *len = f->buf->len - f->off;
  return f->buf->data + f->off;
}

/* Where the line starting at @pos ends: the index after its CRLF, or @n
 * when there is none before @n. */
static gsize
line_end (const guint8 *p, gsize n, gsize pos)
{
  while (pos < n)
    {
      const guint8 *cr = memchr (p + pos, '\r', n - pos);
      if (cr == NULL)
        return n;
      gsize i = (gsize) (cr - p);
      if (i + 1 < n && p[i + 1] == '\n')
        return i + 2;
      pos = i + 1;
    }
  return n;
}

/* The end of the header field starting at @pos (§7.3.1: "Header fields
 * can be extended over multiple lines by preceding each extra line with
 * at least one SP or horizontal tab"): the index after the CRLF of its
 * last line. */
static gsize
field_end (const guint8 *p, gsize n, gsize pos)
{
  gsize e = line_end (p, n, pos);
  while (e < n && (p[e] == ' ' || p[e] == '\t'))
    e = line_end (p, n, e);
  return e;
}

/* The first CRLFCRLF in @p[@from..@n), or NULL. */
static const guint8 *
find_crlfcrlf (const guint8 *p, gsize from, gsize n)
{
  while (from + 4 <= n)
    {
      const guint8 *cr = memchr (p + from, '\r', n - 3 - from);
      if (cr == NULL)
        return NULL;
      if (memcmp (cr, "\r\n\r\n", 4) == 0)
        return cr;
      from = (gsize) (cr - p) + 1;
    }
  return NULL;
}

static gboolean
is_lws (guint8 c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is @name (@len bytes, trailing white space already cut) Content-Length
 * or its compact form "l" (§7.3.3, §20.14), in any case (§7.3.1)? */
static gboolean
is_content_length (const guint8 *name, gsize len)
{
  static const char full[] = "content-length";
  if (len == 1)
    return g_ascii_tolower (name[0]) == 'l';
  return len == sizeof full - 1 && g_ascii_strncasecmp ((const char *) name, full, len) == 0;
}

/* The value of the field @p[0..@n) after its colon: LWS, 1*DIGIT, LWS
 * (the folding's CRLFs are white space here).  Saturates at @max + 1. */
static gboolean
parse_length (const guint8 *p, gsize n, gsize max, guint64 *out)
{
  gsize i = 0;
  while (i < n && is_lws (p[i]))
    i++;
  if (i == n || !g_ascii_isdigit (p[i]))
    return FALSE;
  guint64 v = 0;
  while (i < n && g_ascii_isdigit (p[i]))
    {
      v = v * 10 + (guint64) (p[i] - '0');
      if (v > max)
        v = (guint64) max + 1;
      i++;
    }
  while (i < n && is_lws (p[i]))
    i++;
  *out = v;
  return i == n;
}

/* The Content-Length of the header section @p[0..@n) (its lines with
 * their CRLFs, without the empty line that ends it). */
static gboolean
find_content_length (ChorusSipFramer *f, const guint8 *p, gsize n, guint64 *length, GError **error)
{
  gboolean found = FALSE;
  /* the start-line (§7.1, §7.2) is no header field */
  gsize pos = field_end (p, n, 0);
  while (pos < n)
    {
      gsize end = field_end (p, n, pos);
      const guint8 *colon = memchr (p + pos, ':', end - pos);
      if (colon != NULL)
        {
          /* HCOLON = *( SP / HTAB ) ":" SWS (§25.1) */
          gsize name_len = (gsize) (colon - (p + pos));
          while (name_len > 0 && (p[pos + name_len - 1] == ' ' || p[pos + name_len - 1] == '\t'))
            name_len--;
          if (is_content_length (p + pos, name_len))
            {
              gsize v_off = (gsize) (colon - p) + 1;
              guint64 v;
              if (!parse_length (p + v_off, end - v_off, f->max_message, &v))
                {
                  g_set_error (error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH,
                               "Content-Length is not a number (RFC 3261 §20.14)");
                  return FALSE;
                }
              if (found && v != *length)
                {
                  g_set_error (error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH,
                               "several Content-Length header fields that disagree");
                  return FALSE;
                }
              found = TRUE;
              *length = v;
            }
        }
      pos = end;
    }
  if (!found)
    {
      g_set_error (error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_NO_LENGTH,
                   "a message without Content-Length on a stream (RFC 3261 §18.3, §20.14)");
      return FALSE;
    }
  return TRUE;
}

static ChorusSipFrameResult
fail (ChorusSipFramer *f)
{
  f->failed = TRUE;
  return CHORUS_SIP_FRAME_ERROR;
}

ChorusSipFrameResult
chorus_sip_framer_next (ChorusSipFramer *f, const guint8 **message, gsize *len, GError **error)
{
  g_return_val_if_fail (f != NULL && message != NULL && len != NULL, CHORUS_SIP_FRAME_ERROR);
  if (f->failed)
    return CHORUS_SIP_FRAME_ERROR;
  compact (f);

  if (f->header_len == 0)
    {
      /* §7.5: CRLFs before the start-line are ignored; a double CRLF is the
       * keep-alive ping of RFC 5626 §3.5.1 */
      static const guint8 ping[] = "\r\n\r\n";
      while (f->off < f->buf->len && (f->buf->data[f->off] == '\r' || f->buf->data[f->off] == '\n'))
        {
          guint8 c = f->buf->data[f->off++];
          if (c == ping[f->ping])
            f->ping++;
          else
            f->ping = c == '\r' ? 1 : 0;
          if (f->ping == 4)
            {
              f->ping = 0;
              return CHORUS_SIP_FRAME_PING;
            }
        }
      const guint8 *p = f->buf->data + f->off;
      gsize avail = f->buf->len - f->off;
      if (avail == 0)
        return CHORUS_SIP_FRAME_NEED_MORE;
      f->ping = 0;

      /* the header section ends at the first CRLFCRLF (§7, §18.3) */
      gsize limit = MIN (avail, f->max_header);
      const guint8 *end = find_crlfcrlf (p, f->scan, limit);
      if (end == NULL)
        {
          if (avail >= f->max_header)
            {
              g_set_error (error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_TOO_LARGE,
                           "a header section of more than %" G_GSIZE_FORMAT " bytes",
                           f->max_header);
              return fail (f);
            }
          f->scan = avail >= 3 ? avail - 3 : 0;
          return CHORUS_SIP_FRAME_NEED_MORE;
        }
      gsize header_len = (gsize) (end - p) + 4;
      guint64 length = 0;
      if (!find_content_length (f, p, header_len - 2, &length, error))
        return fail (f);
      if (length > f->max_message - header_len)
        {
          g_set_error (error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_TOO_LARGE,
                       "a message of more than %" G_GSIZE_FORMAT " bytes", f->max_message);
          return fail (f);
        }
      f->header_len = header_len;
      f->total = header_len + (gsize) length;
      f->scan = 0;
    }

  /* §18.3: the body is exactly Content-Length bytes */
  if (f->buf->len - f->off < f->total)
    return CHORUS_SIP_FRAME_NEED_MORE;
  *message = f->buf->data + f->off;
  *len = f->total;
  f->off += f->total;
  f->header_len = 0;
  f->total = 0;
  return CHORUS_SIP_FRAME_MESSAGE;
}
