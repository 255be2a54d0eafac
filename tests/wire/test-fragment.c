/* test-fragment.c: fragmentation and reassembly (RFC 6940 §6.7).
 *
 * Messages are built byte by byte (a 38-byte forwarding header, optional
 * lists, a patterned payload), so these tests do not depend on the message
 * codec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-fragment.h"
#include "reload-message.h"
#include "wire-test-util.h"

#include <string.h>

#define LINK_A GINT_TO_POINTER (1)
#define LINK_B GINT_TO_POINTER (2)
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

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* A whole (unfragmented) message: header, @n_via node destinations in the
 * via list, one in the destination list, @payload_len bytes of payload
 * derived from @seed. */
static GBytes *
build_message (guint64 tid, guint n_via, gsize payload_len, guint8 seed)
{
  gsize via = 18 * (gsize) n_via, dest = 18;
  gsize len = RELOAD_HEADER_FIXED_SIZE + via + dest + payload_len;
  guint8 *m = g_malloc0 (len);
  put32 (m, RELOAD_TOKEN);
  put32 (m + 4, 0x12345678); /* overlay */
  put16 (m + 8, 1);          /* configuration_sequence */
  m[10] = RELOAD_VERSION;
  m[11] = RELOAD_DEFAULT_TTL;
  put32 (m + 12, RELOAD_FRAGMENT_UNFRAGMENTED);
  put32 (m + 16, (guint32) len);
  put32 (m + 20, (guint32) (tid >> 32));
  put32 (m + 24, (guint32) tid);
  put32 (m + 28, 0); /* max_response_length */
  put16 (m + 32, (guint16) via);
  put16 (m + 34, (guint16) dest);
  put16 (m + 36, 0);
  guint8 *p = m + RELOAD_HEADER_FIXED_SIZE;
  for (guint i = 0; i < n_via + 1; i++, p += 18)
    {
      p[0] = 1; /* node */
      p[1] = 16;
      memset (p + 2, 0xa0 + (int) i, 16);
    }
  for (gsize i = 0; i < payload_len; i++)
    p[i] = (guint8) (seed + i * 7 + (i >> 8));
  return g_bytes_new_take (m, len);
}

static gsize
header_size (GBytes *msg)
{
  g_autoptr (GError) error = NULL;
  gsize h = reload_fragment_parse_header (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg),
                                          NULL, NULL, &error);
  g_assert_no_error (error);
  return h;
}

/* A hand-made fragment of @msg: payload [offset, offset+len), last or not,
 * optionally with one payload byte changed. */
static GBytes *
make_fragment (GBytes *msg, gsize offset, gsize len, gboolean last, gssize flip)
{
  gsize h = header_size (msg);
  const guint8 *m = g_bytes_get_data (msg, NULL);
  g_assert_cmpuint (offset + len, <=, g_bytes_get_size (msg) - h);
  guint8 *f = g_malloc (h + len);
  memcpy (f, m, h);
  memcpy (f + h, m + h + offset, len);
  put32 (f + 12, RELOAD_FRAGMENT_HIGH_BIT | (last ? RELOAD_FRAGMENT_LAST : 0) | (guint32) offset);
  put32 (f + 16, (guint32) (h + len));
  if (flip >= 0)
    f[h + (gsize) flip - offset] ^= 0x01;
  return g_bytes_new_take (f, h + len);
}

static gboolean
add (ReloadReassembler *r, gconstpointer link, GBytes *frag, gint64 now, GBytes **out,
     GError **error)
{
  /* an exact-size heap copy, so that ASan sees any over-read */
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (frag, NULL), g_bytes_get_size (frag));
  return reload_reassembler_add (r, link, copy, g_bytes_get_size (frag), now, out, error);
}

/* Adds a fragment that must be accepted without completing a message. */
static void
add_pending (ReloadReassembler *r, gconstpointer link, GBytes *frag, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  g_assert_true (add (r, link, frag, now, &out, &error));
  g_assert_no_error (error);
  g_assert_null (out);
}

/* Adds a fragment that must complete @expect. */
static void
add_complete (ReloadReassembler *r, gconstpointer link, GBytes *frag, gint64 now, GBytes *expect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  g_assert_true (add (r, link, frag, now, &out, &error));
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_true (g_bytes_equal (out, expect));
}

/* Adds a fragment that must be refused with @domain/@code. */
static void
add_refused (ReloadReassembler *r, gconstpointer link, GBytes *frag, gint64 now, GQuark domain,
             gint code)
{
  g_autoptr (GError) error = NULL;
  GBytes *out = (GBytes *) 0x1;
  g_assert_false (add (r, link, frag, now, &out, &error));
  g_assert_null (out);
  g_assert_error (error, domain, code);
  g_test_message ("refused: %s", error->message);
}

static GPtrArray *
split (GBytes *msg, gsize max)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *frags =
      reload_fragment_split (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg), max, &error);
  g_assert_no_error (error);
  g_assert_nonnull (frags);
  return frags;
}

/* ---------------------------------------------------------------- header */

static void
expect_header_error (GBytes *b, gint code, const char *field)
{
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_autoptr (GError) error = NULL;
  guint32 fragment = 7;
  g_assert_cmpuint (
      reload_fragment_parse_header (copy, g_bytes_get_size (b), &fragment, NULL, &error), ==, 0);
  g_assert_error (error, RELOAD_WIRE_ERROR, code);
  g_assert_nonnull (strstr (error->message, field));
  g_assert_cmpuint (fragment, ==, 7);
  g_clear_error (&error);

  /* split and the reassembler refuse it the same way */
  g_assert_null (reload_fragment_split (copy, g_bytes_get_size (b), 100, &error));
  g_assert_error (error, RELOAD_WIRE_ERROR, code);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (0, 0);
  add_refused (r, LINK_A, b, 0, RELOAD_WIRE_ERROR, code);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
}

static GBytes *
patched (GBytes *msg, gsize at, const guint8 *bytes, gsize n)
{
  g_autofree guint8 *m = g_memdup2 (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg));
  memcpy (m + at, bytes, n);
  return g_bytes_new (m, g_bytes_get_size (msg));
}

static void
test_header (void)
{
  g_autoptr (GBytes) msg = build_message (0x0102030405060708, 2, 100, 1);
  g_autoptr (GError) error = NULL;
  guint32 fragment;
  guint64 tid;
  g_assert_cmpuint (reload_fragment_parse_header (g_bytes_get_data (msg, NULL),
                                                  g_bytes_get_size (msg), &fragment, &tid, &error),
                    ==, RELOAD_HEADER_FIXED_SIZE + 3 * 18);
  g_assert_no_error (error);
  g_assert_cmphex (fragment, ==, 0xC0000000);
  g_assert_cmphex (tid, ==, 0x0102030405060708);

  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  expect_header_error (empty, RELOAD_WIRE_ERROR_TRUNCATED, "forwarding_header");
  g_autoptr (GBytes) short_ = g_bytes_new (g_bytes_get_data (msg, NULL), 37);
  expect_header_error (short_, RELOAD_WIRE_ERROR_TRUNCATED, "forwarding_header");
  g_autoptr (GBytes) token = patched (msg, 0, (const guint8 *) "RELO", 4);
  expect_header_error (token, RELOAD_WIRE_ERROR_BAD_TOKEN, "relo_token");
  g_autoptr (GBytes) version = patched (msg, 10, (const guint8 *) "\x01", 1);
  expect_header_error (version, RELOAD_WIRE_ERROR_BAD_VERSION, "version");
  g_autoptr (GBytes) high = patched (msg, 12, (const guint8 *) "\x40\0\0\0", 4);
  expect_header_error (high, RELOAD_WIRE_ERROR_BAD_FRAGMENT, "fragment");
  g_autoptr (GBytes) length = patched (msg, 16, (const guint8 *) "\0\0\0\x10", 4);
  expect_header_error (length, RELOAD_WIRE_ERROR_LENGTH, "length");
  /* the via list claims more than the message holds */
  g_autoptr (GBytes) lists = patched (msg, 32, (const guint8 *) "\xff\xff", 2);
  expect_header_error (lists, RELOAD_WIRE_ERROR_LENGTH, "forwarding_header");
}

/* ---------------------------------------------------------------- split */

/* Checks the fragments of @msg that split() made: header copies, fields,
 * sizes; returns the payload pieces' sizes. */
static void
check_fragments (GBytes *msg, GPtrArray *frags, gsize max)
{
  gsize h = header_size (msg);
  const guint8 *m = g_bytes_get_data (msg, NULL);
  gsize payload = g_bytes_get_size (msg) - h;
  gsize pos = 0;
  for (guint i = 0; i < frags->len; i++)
    {
      GBytes *f = g_ptr_array_index (frags, i);
      gsize len;
      const guint8 *d = g_bytes_get_data (f, &len);
      g_assert_cmpuint (len, <=, max);
      g_assert_cmpuint (len, >, h);
      guint32 field;
      g_autoptr (GError) error = NULL;
      g_assert_cmpuint (reload_fragment_parse_header (d, len, &field, NULL, &error), ==, h);
      g_assert_no_error (error);
      /* a full copy of the header but for the fragment and length fields */
      g_assert_cmpmem (d, 12, m, 12);
      g_assert_cmpmem (d + 20, h - 20, m + 20, h - 20);
      g_assert_cmpuint (get32 (d + 16), ==, len);
      gboolean last = i == frags->len - 1;
      g_assert_cmphex (field, ==,
                       RELOAD_FRAGMENT_HIGH_BIT | (last ? RELOAD_FRAGMENT_LAST : 0) | pos);
      /* §6.7: at least 256 bytes of body, but for the last fragment */
      if (!last)
        g_assert_cmpuint (len - h, >=, RELOAD_FRAGMENT_MIN_BODY);
      g_assert_cmpmem (d + h, len - h, m + h + pos, len - h);
      pos += len - h;
    }
  g_assert_cmpuint (pos, ==, payload);
}

static void
test_split (void)
{
  /* fits: returned unchanged */
  g_autoptr (GBytes) small = build_message (1, 0, 200, 3);
  g_autoptr (GPtrArray) one = split (small, g_bytes_get_size (small));
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (one, 0), small));

  /* equal-sized: 3000 bytes of payload in pieces of at most 600 - 56 */
  g_autoptr (GBytes) msg = build_message (2, 0, 3000, 5);
  gsize h = header_size (msg);
  g_assert_cmpuint (h, ==, 56);
  g_autoptr (GPtrArray) frags = split (msg, 600);
  check_fragments (msg, frags, 600);
  g_assert_cmpuint (frags->len, ==, 6); /* ceil(3000 / 544) */
  for (guint i = 0; i < frags->len; i++)
    g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (frags, i)), ==, h + 500);

  /* sizes that do not divide: they differ by one byte at most */
  g_autoptr (GBytes) odd = build_message (3, 1, 2003, 5);
  g_autoptr (GPtrArray) oddf = split (odd, 700);
  check_fragments (odd, oddf, 700);
  gsize lo = G_MAXSIZE, hi = 0;
  for (guint i = 0; i < oddf->len; i++)
    {
      gsize n = g_bytes_get_size (g_ptr_array_index (oddf, i));
      lo = MIN (lo, n);
      hi = MAX (hi, n);
    }
  g_assert_cmpuint (hi - lo, <=, 1);

  /* a body just over one capacity: pieces of 256, then the rest */
  g_autoptr (GBytes) near = build_message (4, 0, 1000, 9);
  g_autoptr (GPtrArray) nearf = split (near, h + 262);
  check_fragments (near, nearf, h + 262);
  g_assert_cmpuint (nearf->len, ==, 4);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (nearf, 0)), ==, h + 256);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (nearf, 3)), ==, h + 1000 - 3 * 256);

  /* exactly header + 256 is enough */
  g_autoptr (GPtrArray) tight = split (near, h + RELOAD_FRAGMENT_MIN_BODY);
  check_fragments (near, tight, h + RELOAD_FRAGMENT_MIN_BODY);
}

static void
test_split_no_room (void)
{
  g_autoptr (GBytes) msg = build_message (5, 2, 2000, 1);
  gsize h = header_size (msg);
  const gsize maxes[] = { 0, 10, h - 1, h, h + 1, h + RELOAD_FRAGMENT_MIN_BODY - 1 };
  for (guint i = 0; i < G_N_ELEMENTS (maxes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (reload_fragment_split (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg),
                                            maxes[i], &error));
      g_assert_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_NO_ROOM);
    }
}

static void
test_split_offset_overflow (void)
{
  /* a payload beyond the 24-bit offset cannot be fragmented */
  g_autoptr (GBytes) msg = build_message (6, 0, RELOAD_FRAGMENT_OFFSET_MASK + 1 + (2 << 20), 1);
  g_autoptr (GError) error = NULL;
  g_assert_null (reload_fragment_split (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg),
                                        1 << 20, &error));
  g_assert_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE);

  /* one just beyond 2^24 bytes can, in two pieces */
  gsize h = 56;
  g_autoptr (GBytes) edge = build_message (6, 0, RELOAD_FRAGMENT_OFFSET_MASK + 1, 1);
  g_autoptr (GPtrArray) frags = split (edge, h + RELOAD_FRAGMENT_OFFSET_MASK);
  g_assert_cmpuint (frags->len, ==, 2);
  check_fragments (edge, frags, h + RELOAD_FRAGMENT_OFFSET_MASK);
}

/* A fragment refragmented further along the path (§6.7 "a message may be
 * refragmented multiple times"): offsets stay within the original payload
 * and the pieces mix with the other original fragments. */
static void
test_refragment (void)
{
  g_autoptr (GBytes) msg = build_message (7, 0, 4000, 11);
  gsize h = header_size (msg);
  g_autoptr (GPtrArray) frags = split (msg, 1400);
  g_assert_cmpuint (frags->len, ==, 3);
  g_autoptr (GPtrArray) mid = split (g_ptr_array_index (frags, 1), h + 400);
  g_autoptr (GPtrArray) end = split (g_ptr_array_index (frags, 2), h + 300);
  g_assert_cmpuint (mid->len, >, 1);
  g_assert_cmpuint (end->len, >, 1);

  gsize expect_offset =
      get32 ((const guint8 *) g_bytes_get_data (g_ptr_array_index (frags, 1), NULL) + 12)
      & RELOAD_FRAGMENT_OFFSET_MASK;
  for (guint i = 0; i < mid->len; i++)
    {
      GBytes *f = g_ptr_array_index (mid, i);
      guint32 field = get32 ((const guint8 *) g_bytes_get_data (f, NULL) + 12);
      /* pieces of a fragment that was not last are never last */
      g_assert_cmphex (field & RELOAD_FRAGMENT_LAST, ==, 0);
      g_assert_cmpuint (field & RELOAD_FRAGMENT_OFFSET_MASK, ==, expect_offset);
      expect_offset += g_bytes_get_size (f) - h;
    }
  for (guint i = 0; i < end->len; i++)
    {
      GBytes *f = g_ptr_array_index (end, i);
      guint32 field = get32 ((const guint8 *) g_bytes_get_data (f, NULL) + 12);
      g_assert_cmphex (field & RELOAD_FRAGMENT_LAST, ==,
                       i == end->len - 1 ? RELOAD_FRAGMENT_LAST : 0);
    }

  g_autoptr (ReloadReassembler) r = reload_reassembler_new (100000, 0);
  for (guint i = 0; i < end->len; i++)
    add_pending (r, LINK_A, g_ptr_array_index (end, i), 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 0), 0);
  for (guint i = 0; i + 1 < mid->len; i++)
    add_pending (r, LINK_A, g_ptr_array_index (mid, i), 0);
  add_complete (r, LINK_A, g_ptr_array_index (mid, mid->len - 1), 0, msg);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
}

/* ---------------------------------------------------------------- reassembly */

static void
test_passthrough (void)
{
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (10000, 0);
  g_autoptr (GBytes) msg = build_message (8, 1, 500, 2);
  add_complete (r, LINK_A, msg, 0, msg);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);

  /* reserved bits "SHOULD be set to zero" but do not make a fragment */
  g_autoptr (GBytes) reserved = patched (msg, 12, (const guint8 *) "\xc1\0\0\0", 4);
  add_complete (r, LINK_A, reserved, 0, reserved);

  /* a whole copy of a message being reassembled replaces its pieces */
  g_autoptr (GBytes) f0 = make_fragment (msg, 0, 300, FALSE, -1);
  add_pending (r, LINK_A, f0, 0);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  add_complete (r, LINK_A, msg, 0, msg);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
}

/* Every order of five fragments; then shuffles of many with duplicates. */
static void
permute (guint *a, guint n, guint k, ReloadReassembler *r, GPtrArray *frags, GBytes *msg,
         guint *count)
{
  if (k == n)
    {
      for (guint i = 0; i + 1 < n; i++)
        add_pending (r, LINK_A, g_ptr_array_index (frags, a[i]), 0);
      add_complete (r, LINK_A, g_ptr_array_index (frags, a[n - 1]), 0, msg);
      g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
      g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
      (*count)++;
      return;
    }
  for (guint i = k; i < n; i++)
    {
      guint t = a[k];
      a[k] = a[i];
      a[i] = t;
      permute (a, n, k + 1, r, frags, msg, count);
      a[i] = a[k];
      a[k] = t;
    }
}

static void
test_every_order (void)
{
  g_autoptr (GBytes) msg = build_message (9, 1, 1500, 4);
  gsize h = header_size (msg);
  g_autoptr (GPtrArray) frags = split (msg, h + 300);
  g_assert_cmpuint (frags->len, ==, 5);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  guint order[5] = { 0, 1, 2, 3, 4 }, count = 0;
  permute (order, 5, 0, r, frags, msg, &count);
  g_assert_cmpuint (count, ==, 120);
}

static void
test_shuffled_with_duplicates (void)
{
  GRand *rand = g_rand_new_with_seed (6940);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (1 << 20, 0);
  for (guint round = 0; round < 40; round++)
    {
      gsize payload = (gsize) g_rand_int_range (rand, 2000, 60000);
      g_autoptr (GBytes) msg =
          build_message (g_rand_int (rand), round % 4, payload, (guint8) round);
      gsize h = header_size (msg);
      g_autoptr (GPtrArray) frags = split (msg, h + (gsize) g_rand_int_range (rand, 256, 1400));
      guint n = frags->len;
      /* each fragment once, about a third twice, in a random order */
      g_autoptr (GArray) seq = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < n; i++)
        {
          g_array_append_val (seq, i);
          if (g_rand_int_range (rand, 0, 3) == 0)
            g_array_append_val (seq, i);
        }
      for (guint i = seq->len - 1; i > 0; i--)
        {
          guint j = (guint) g_rand_int_range (rand, 0, (gint32) i + 1);
          guint t = g_array_index (seq, guint, i);
          g_array_index (seq, guint, i) = g_array_index (seq, guint, j);
          g_array_index (seq, guint, j) = t;
        }
      /* the message completes exactly when the last missing one arrives;
       * duplicates before that change nothing */
      g_autofree gboolean *seen = g_new0 (gboolean, n);
      guint distinct = 0;
      gboolean done = FALSE;
      for (guint i = 0; i < seq->len && !done; i++)
        {
          guint k = g_array_index (seq, guint, i);
          gboolean first = !seen[k];
          seen[k] = TRUE;
          if (first)
            distinct++;
          g_autoptr (GError) error = NULL;
          g_autoptr (GBytes) out = NULL;
          g_assert_true (add (r, LINK_A, g_ptr_array_index (frags, k), 0, &out, &error));
          g_assert_no_error (error);
          done = first && distinct == n;
          if (done)
            g_assert_true (out != NULL && g_bytes_equal (out, msg));
          else
            g_assert_null (out);
        }
      g_assert_true (done);
      g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
      g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
    }
  g_rand_free (rand);
}

static void
test_duplicates (void)
{
  g_autoptr (GBytes) msg = build_message (10, 0, 1000, 6);
  g_autoptr (GPtrArray) frags = split (msg, 56 + 400);
  g_assert_cmpuint (frags->len, ==, 3);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), 0);
  gsize charged = reload_reassembler_buffered (r);
  g_assert_cmpuint (charged, >, 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), 0);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, charged);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 2), 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 2), 0);
  add_complete (r, LINK_A, g_ptr_array_index (frags, 0), 0, msg);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);

  /* a late duplicate after completion starts a new reassembly (an
   * end-to-end retransmission must get through, §6.2.1), which expires */
  add_pending (r, LINK_A, g_ptr_array_index (frags, 2), 0);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  g_assert_cmpuint (reload_reassembler_expire (r, 15 * SEC), ==, 1);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
}

static void
test_overlap (void)
{
  g_autoptr (GBytes) msg = build_message (11, 0, 1000, 7);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);

  /* overlapping fragments that agree: fine, in any arrangement */
  g_autoptr (GBytes) a = make_fragment (msg, 0, 400, FALSE, -1);
  g_autoptr (GBytes) b = make_fragment (msg, 300, 400, FALSE, -1);
  g_autoptr (GBytes) c = make_fragment (msg, 100, 50, FALSE, -1);  /* inside a */
  g_autoptr (GBytes) d = make_fragment (msg, 350, 600, FALSE, -1); /* spans a gap */
  g_autoptr (GBytes) e = make_fragment (msg, 900, 100, TRUE, -1);
  add_pending (r, LINK_A, b, 0);
  add_pending (r, LINK_A, c, 0);
  add_pending (r, LINK_A, e, 0);
  add_pending (r, LINK_A, d, 0);
  add_complete (r, LINK_A, a, 0, msg);

  /* one byte differs where two fragments overlap: the message is dropped */
  g_autoptr (GBytes) b_bad = make_fragment (msg, 300, 400, FALSE, 350);
  add_pending (r, LINK_A, a, 0);
  add_refused (r, LINK_A, b_bad, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);

  /* the same when the differing fragment lies inside the stored one, or
   * covers several stored ones and differs in the second */
  g_autoptr (GBytes) c_bad = make_fragment (msg, 100, 50, FALSE, 149);
  add_pending (r, LINK_A, a, 0);
  add_refused (r, LINK_A, c_bad, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  g_autoptr (GBytes) p1 = make_fragment (msg, 0, 100, FALSE, -1);
  g_autoptr (GBytes) p2 = make_fragment (msg, 200, 100, FALSE, -1);
  g_autoptr (GBytes) wide_bad = make_fragment (msg, 0, 400, FALSE, 250);
  add_pending (r, LINK_A, p1, 0);
  add_pending (r, LINK_A, p2, 0);
  add_refused (r, LINK_A, wide_bad, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  /* a difference in the gap between stored pieces is no conflict */
  g_autoptr (GBytes) gap_diff = make_fragment (msg, 0, 400, FALSE, 150);
  add_pending (r, LINK_A, p1, 0);
  add_pending (r, LINK_A, p2, 0);
  add_pending (r, LINK_A, gap_diff, 0);
  g_assert_cmpuint (reload_reassembler_expire (r, G_MAXINT64), ==, 1);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
}

static void
test_last_conflicts (void)
{
  g_autoptr (GBytes) msg = build_message (12, 0, 1000, 8);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  g_autoptr (GBytes) last = make_fragment (msg, 600, 400, TRUE, -1);
  g_autoptr (GBytes) last_short = make_fragment (msg, 600, 300, TRUE, -1);
  g_autoptr (GBytes) mid = make_fragment (msg, 300, 400, FALSE, -1);
  g_autoptr (GBytes) head = make_fragment (msg, 0, 700, FALSE, -1);

  /* two last fragments that end at different places */
  add_pending (r, LINK_A, last, 0);
  add_refused (r, LINK_A, last_short, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);

  /* data beyond the end that the last fragment set */
  add_pending (r, LINK_A, last_short, 0);
  add_refused (r, LINK_A, last, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  g_autoptr (GBytes) beyond = make_fragment (msg, 800, 200, FALSE, -1);
  add_pending (r, LINK_A, last_short, 0);
  add_refused (r, LINK_A, beyond, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);

  /* a last fragment that ends before data already received */
  g_autoptr (GBytes) early_last = make_fragment (msg, 100, 400, TRUE, -1);
  add_pending (r, LINK_A, mid, 0);
  add_refused (r, LINK_A, early_last, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);

  /* the same last fragment twice is a duplicate */
  add_pending (r, LINK_A, last, 0);
  add_pending (r, LINK_A, last, 0);
  add_complete (r, LINK_A, head, 0, msg);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
}

static void
test_oversize (void)
{
  g_autoptr (GBytes) msg = build_message (13, 0, 1000, 9);
  gsize h = header_size (msg);
  g_autoptr (GPtrArray) frags = split (msg, h + 400);

  /* exactly max-message-size: fine */
  {
    g_autoptr (ReloadReassembler) r = reload_reassembler_new (g_bytes_get_size (msg), 0);
    for (guint i = 0; i + 1 < frags->len; i++)
      add_pending (r, LINK_A, g_ptr_array_index (frags, i), 0);
    add_complete (r, LINK_A, g_ptr_array_index (frags, frags->len - 1), 0, msg);
  }

  /* one byte less: the fragment that reaches beyond is refused and the
   * message dropped */
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (g_bytes_get_size (msg) - 1, 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 0), 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), 0);
  add_refused (r, LINK_A, g_ptr_array_index (frags, 2), 0, RELOAD_FRAGMENT_ERROR,
               RELOAD_FRAGMENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);

  /* a lone fragment far beyond: refused, nothing kept */
  g_autoptr (GBytes) far = make_fragment (msg, 0, 10, FALSE, -1);
  g_autofree guint8 *f = g_memdup2 (g_bytes_get_data (far, NULL), g_bytes_get_size (far));
  put32 (f + 12, RELOAD_FRAGMENT_HIGH_BIT | 0xfffff0);
  g_autoptr (GBytes) far2 = g_bytes_new (f, g_bytes_get_size (far));
  add_refused (r, LINK_A, far2, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);

  /* a whole message beyond max-message-size */
  add_refused (r, LINK_A, msg, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE);

  /* the header of offset 0 is longer than the last fragment's (its via
   * list grew on another path): the whole message is checked again */
  g_autoptr (GBytes) longer = build_message (13, 3, 1000, 9); /* header 38 + 72 */
  g_autoptr (GBytes) l0 = make_fragment (longer, 0, 600, FALSE, -1);
  g_autoptr (GBytes) l1 = make_fragment (msg, 600, 400, TRUE, -1);
  g_autoptr (ReloadReassembler) r2 = reload_reassembler_new (h + 1000 + 18, 0);
  add_pending (r2, LINK_A, l1, 0);
  add_refused (r2, LINK_A, l0, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (reload_reassembler_count (r2), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r2), ==, 0);
}

/* The reassembled message takes the header of the fragment at offset 0. */
static void
test_header_of_first (void)
{
  g_autoptr (GBytes) longer = build_message (14, 2, 1000, 9);
  g_autoptr (GBytes) shorter = build_message (14, 0, 1000, 9);
  g_autoptr (GBytes) f0 = make_fragment (longer, 0, 500, FALSE, -1);
  g_autoptr (GBytes) f1 = make_fragment (shorter, 500, 500, TRUE, -1);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (0, 0);
  add_pending (r, LINK_A, f1, 0);
  add_complete (r, LINK_A, f0, 0, longer);
}

static void
test_timeout (void)
{
  g_autoptr (GBytes) msg = build_message (15, 0, 1000, 10);
  g_autoptr (GPtrArray) frags = split (msg, 56 + 400);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, -1);

  gint64 t0 = 1000 * SEC;
  add_pending (r, LINK_A, g_ptr_array_index (frags, 0), t0);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 15 * SEC);
  /* more fragments do not extend the life of the first */
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), t0 + 10 * SEC);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 15 * SEC);
  g_assert_cmpuint (reload_reassembler_expire (r, t0 + 15 * SEC - 1), ==, 0);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  g_assert_cmpuint (reload_reassembler_expire (r, t0 + 15 * SEC), ==, 1);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, -1);

  /* the last fragment arriving late does not complete: add() expired the
   * rest first */
  add_pending (r, LINK_A, g_ptr_array_index (frags, 0), t0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 1), t0 + SEC);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 2), t0 + 16 * SEC);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 31 * SEC);
  /* just in time: completes */
  add_pending (r, LINK_B, g_ptr_array_index (frags, 0), t0 + 20 * SEC);
  add_pending (r, LINK_B, g_ptr_array_index (frags, 1), t0 + 21 * SEC);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 31 * SEC);
  add_complete (r, LINK_B, g_ptr_array_index (frags, 2), t0 + 35 * SEC - 1, msg);
  /* that add() expired LINK_A's */
  g_assert_cmpuint (reload_reassembler_count (r), ==, 0);

  /* several in flight: the timer follows the oldest */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GBytes) m = build_message (100 + i, 0, 1000, 10);
      g_autoptr (GBytes) f = make_fragment (m, 0, 300, FALSE, -1);
      add_pending (r, LINK_A, f, t0 + i * SEC);
    }
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 15 * SEC);
  g_assert_cmpuint (reload_reassembler_expire (r, t0 + 16 * SEC), ==, 2);
  g_assert_cmpint (reload_reassembler_next_expiry (r), ==, t0 + 17 * SEC);

  /* a custom timeout */
  g_autoptr (ReloadReassembler) r2 = reload_reassembler_new (4000, 2 * SEC);
  add_pending (r2, LINK_A, g_ptr_array_index (frags, 0), 0);
  g_assert_cmpint (reload_reassembler_next_expiry (r2), ==, 2 * SEC);
}

static void
test_concurrency_limit (void)
{
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GPtrArray) firsts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i <= RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES; i++)
    {
      GBytes *m = build_message (1000 + i, 0, 1000, (guint8) i);
      g_ptr_array_add (msgs, m);
      g_ptr_array_add (firsts, make_fragment (m, 0, 500, FALSE, -1));
    }
  for (guint i = 0; i < RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES; i++)
    add_pending (r, LINK_A, g_ptr_array_index (firsts, i), i);
  g_assert_cmpuint (reload_reassembler_count (r), ==, RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES);

  /* one more message: refused, the others untouched */
  GBytes *extra = g_ptr_array_index (firsts, RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  g_assert_false (add (r, LINK_A, extra, 100, &out, &error));
  g_assert_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "max-reassemblies"));
  g_clear_error (&error);
  /* the same transaction id from another sender is another message */
  g_assert_false (add (r, LINK_B, g_ptr_array_index (firsts, 0), 100, &out, &error));
  g_assert_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT);
  g_assert_cmpuint (reload_reassembler_count (r), ==, RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES);

  /* messages already held still progress; completing one frees a slot */
  g_autoptr (GBytes) rest = make_fragment (g_ptr_array_index (msgs, 3), 500, 500, TRUE, -1);
  add_complete (r, LINK_A, rest, 100, g_ptr_array_index (msgs, 3));
  add_pending (r, LINK_A, extra, 100);
  g_assert_cmpuint (reload_reassembler_count (r), ==, RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES);

  /* expiry frees slots too; unfragmented messages never need one */
  g_autoptr (GBytes) whole = build_message (5, 0, 100, 1);
  add_complete (r, LINK_A, whole, 100, whole);
  g_assert_cmpuint (reload_reassembler_expire (r, 15 * SEC + 10), ==, 10);
  add_pending (r, LINK_B, g_ptr_array_index (firsts, 0), 15 * SEC + 10);

  /* forgetting a link drops its messages */
  g_assert_cmpuint (reload_reassembler_forget_link (r, LINK_A), ==,
                    RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES - 10);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);

  /* a smaller limit */
  reload_reassembler_set_limits (r, 2, 0);
  add_pending (r, LINK_A, g_ptr_array_index (firsts, 1), 20 * SEC);
  add_refused (r, LINK_A, g_ptr_array_index (firsts, 2), 20 * SEC, RELOAD_FRAGMENT_ERROR,
               RELOAD_FRAGMENT_ERROR_LIMIT);
}

static void
test_buffer_limit (void)
{
  /* 2700 bytes for all incomplete messages */
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (2000, 0);
  reload_reassembler_set_limits (r, 0, 2700);
  g_autoptr (GBytes) m1 = build_message (1, 0, 1500, 1);
  g_autoptr (GBytes) m2 = build_message (2, 0, 1500, 2);
  g_autoptr (GBytes) a1 = make_fragment (m1, 0, 1000, FALSE, -1);
  g_autoptr (GBytes) a2 = make_fragment (m1, 1000, 500, TRUE, -1);
  g_autoptr (GBytes) b1 = make_fragment (m2, 0, 1000, FALSE, -1);
  g_autoptr (GBytes) b2 = make_fragment (m2, 1000, 400, FALSE, -1);
  g_autoptr (GBytes) b3 = make_fragment (m2, 1400, 100, TRUE, -1);
  add_pending (r, LINK_A, a1, 0);
  add_pending (r, LINK_A, b1, 0);
  gsize used = reload_reassembler_buffered (r);
  g_assert_cmpuint (used, >=, 2000);
  g_assert_cmpuint (used, <=, 2700);
  /* m2's next fragment does not fit: m2 is dropped, m1 goes on */
  add_refused (r, LINK_A, b2, 0, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  add_complete (r, LINK_A, a2, 0, m1);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, 0);
  /* now there is room */
  add_pending (r, LINK_A, b3, 0);
  add_pending (r, LINK_A, b2, 0);
  add_complete (r, LINK_A, b1, 0, m2);

  /* a budget below max-message-size is raised to it */
  g_autoptr (ReloadReassembler) r2 = reload_reassembler_new (100000, 0);
  reload_reassembler_set_limits (r2, 0, 10);
  g_autoptr (GBytes) big = build_message (3, 0, 99000, 3);
  g_autoptr (GPtrArray) frags = split (big, 1200);
  for (guint i = 1; i < frags->len; i++)
    add_pending (r2, LINK_A, g_ptr_array_index (frags, i), 0);
  add_complete (r2, LINK_A, g_ptr_array_index (frags, 0), 0, big);

  /* a flood of one-byte fragments is charged for its bookkeeping */
  g_autoptr (ReloadReassembler) r3 = reload_reassembler_new (100000, 0);
  reload_reassembler_set_limits (r3, 0, 100000);
  guint accepted = 0;
  for (gsize off = 0; off < 99000; off += 2)
    {
      g_autoptr (GBytes) tiny = make_fragment (big, off, 1, FALSE, -1);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) out = NULL;
      if (!add (r3, LINK_A, tiny, 0, &out, &error))
        {
          g_assert_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT);
          break;
        }
      accepted++;
    }
  g_assert_cmpuint (accepted, <, 99000 / 2);
  g_assert_cmpuint (accepted * (RELOAD_REASSEMBLER_PIECE_OVERHEAD + 1), <=, 2 * 100000);
  g_assert_cmpuint (reload_reassembler_count (r3), ==, 0);
  g_assert_cmpuint (reload_reassembler_buffered (r3), ==, 0);
}

/* Transaction ids of different senders do not mix. */
static void
test_links (void)
{
  g_autoptr (GBytes) ma = build_message (77, 0, 1000, 1);
  g_autoptr (GBytes) mb = build_message (77, 1, 1000, 2);
  g_autoptr (GPtrArray) fa = split (ma, 600);
  g_autoptr (GPtrArray) fb = split (mb, 600);
  g_assert_cmpuint (fa->len, ==, 2);
  g_assert_cmpuint (fb->len, ==, 2);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  add_pending (r, LINK_A, g_ptr_array_index (fa, 0), 0);
  add_pending (r, LINK_B, g_ptr_array_index (fb, 1), 0);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 2);
  add_complete (r, LINK_B, g_ptr_array_index (fb, 0), 0, mb);
  add_complete (r, LINK_A, g_ptr_array_index (fa, 1), 0, ma);
}

/* A malformed fragment changes nothing. */
static void
test_malformed_keeps_state (void)
{
  g_autoptr (GBytes) msg = build_message (88, 0, 1000, 1);
  g_autoptr (GPtrArray) frags = split (msg, 600);
  g_autoptr (ReloadReassembler) r = reload_reassembler_new (4000, 0);
  add_pending (r, LINK_A, g_ptr_array_index (frags, 0), 0);
  gsize used = reload_reassembler_buffered (r);
  GBytes *f1 = g_ptr_array_index (frags, 1);
  g_autoptr (GBytes) bad_len = patched (f1, 16, (const guint8 *) "\0\0\x01\0", 4);
  add_refused (r, LINK_A, bad_len, 0, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  g_autoptr (GBytes) truncated = g_bytes_new_from_bytes (f1, 0, g_bytes_get_size (f1) - 1);
  add_refused (r, LINK_A, truncated, 0, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH);
  g_assert_cmpuint (reload_reassembler_count (r), ==, 1);
  g_assert_cmpuint (reload_reassembler_buffered (r), ==, used);
  add_complete (r, LINK_A, f1, 0, msg);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fragment/header", test_header);
  g_test_add_func ("/fragment/split", test_split);
  g_test_add_func ("/fragment/split/no-room", test_split_no_room);
  g_test_add_func ("/fragment/split/offset-overflow", test_split_offset_overflow);
  g_test_add_func ("/fragment/split/refragment", test_refragment);
  g_test_add_func ("/fragment/reassemble/passthrough", test_passthrough);
  g_test_add_func ("/fragment/reassemble/every-order", test_every_order);
  g_test_add_func ("/fragment/reassemble/shuffled", test_shuffled_with_duplicates);
  g_test_add_func ("/fragment/reassemble/duplicates", test_duplicates);
  g_test_add_func ("/fragment/reassemble/overlap", test_overlap);
  g_test_add_func ("/fragment/reassemble/last-conflicts", test_last_conflicts);
  g_test_add_func ("/fragment/reassemble/oversize", test_oversize);
  g_test_add_func ("/fragment/reassemble/header-of-first", test_header_of_first);
  g_test_add_func ("/fragment/reassemble/timeout", test_timeout);
  g_test_add_func ("/fragment/reassemble/concurrency-limit", test_concurrency_limit);
  g_test_add_func ("/fragment/reassemble/buffer-limit", test_buffer_limit);
  g_test_add_func ("/fragment/reassemble/links", test_links);
  g_test_add_func ("/fragment/reassemble/malformed", test_malformed_keeps_state);
  return g_test_run ();
}
