/* test-multicast.c: the datagrams of the multicast bootstrap (a Chorus
 * extension, chorus-multicast.h): the format byte for byte, round trips,
 * and hostile input (every truncation, every bad field, random bytes).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "chorus-multicast.h"

static ChorusMulticastMessage
announcement (guint8 id_len, gboolean ipv6)
{
  ChorusMulticastMessage m = { 0 };
  m.type = CHORUS_MULTICAST_ANNOUNCEMENT;
  m.nonce = G_GUINT64_CONSTANT (0x0102030405060708);
  g_strlcpy (m.overlay, "home.example", sizeof m.overlay);
  m.node_id.len = id_len;
  for (guint i = 0; i < id_len; i++)
    m.node_id.id[i] = (guint8) (0xa0 + i);
  if (ipv6)
    {
      m.listen.type = RELOAD_ADDRESS_IPV6;
      m.listen.addr[0] = 0xfd;
      m.listen.addr[15] = 2;
    }
  else
    {
      m.listen.type = RELOAD_ADDRESS_IPV4;
      memcpy (m.listen.addr, (guint8[]){ 192, 0, 2, 7 }, 4);
    }
  m.listen.port = 6084;
  return m;
}

static void
assert_same (const ChorusMulticastMessage *a, const ChorusMulticastMessage *b)
{
  g_assert_cmpuint (a->type, ==, b->type);
  g_assert_cmpuint (a->nonce, ==, b->nonce);
  g_assert_cmpstr (a->overlay, ==, b->overlay);
  if (a->type != CHORUS_MULTICAST_ANNOUNCEMENT)
    return;
  g_assert_true (reload_node_id_equal (&a->node_id, &b->node_id));
  g_assert_cmpuint (a->listen.type, ==, b->listen.type);
  g_assert_cmpmem (a->listen.addr, a->listen.type == RELOAD_ADDRESS_IPV4 ? 4 : 16, b->listen.addr,
                   b->listen.type == RELOAD_ADDRESS_IPV4 ? 4 : 16);
  g_assert_cmpuint (a->listen.port, ==, b->listen.port);
}

/* The bytes, as the header's notation says. */
static void
test_format (void)
{
  ChorusMulticastMessage q = { 0 };
  q.type = CHORUS_MULTICAST_QUERY;
  q.nonce = 0x1122334455667788;
  g_strlcpy (q.overlay, "x.y", sizeof q.overlay);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) b = chorus_multicast_encode (&q, &error);
  g_assert_no_error (error);
  static const guint8 want[] = { 'C',  'H',  'M',  'B',  1,    1, 0x11, 0x22, 0x33,
                                 0x44, 0x55, 0x66, 0x77, 0x88, 3, 'x',  '.',  'y' };
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), want, sizeof want);

  ChorusMulticastMessage a = announcement (16, FALSE);
  g_autoptr (GBytes) ab = chorus_multicast_encode (&a, &error);
  g_assert_no_error (error);
  gsize len;
  const guint8 *d = g_bytes_get_data (ab, &len);
  /* magic, version, type, nonce, overlay<12>, node_id<16>, IpAddressPort
   * (type 1, length 6, address, port) */
  g_assert_cmpuint (len, ==, 4 + 1 + 1 + 8 + 1 + 12 + 1 + 16 + 1 + 1 + 4 + 2);
  g_assert_cmpuint (d[5], ==, CHORUS_MULTICAST_ANNOUNCEMENT);
  g_assert_cmpuint (d[27], ==, 16);
  g_assert_cmpuint (d[28], ==, 0xa0);
  g_assert_cmpmem (d + 44, 8, ((guint8[]){ 1, 6, 192, 0, 2, 7, 0x17, 0xc4 }), 8);
}

static void
test_roundtrip (void)
{
  ChorusMulticastMessage msgs[] = {
    announcement (16, FALSE),
    announcement (20, TRUE),
    { .type = CHORUS_MULTICAST_QUERY, .nonce = 1, .overlay = "o" },
  };
  /* the longest overlay name */
  ChorusMulticastMessage longest = announcement (20, TRUE);
  memset (longest.overlay, 'n', 255);
  longest.overlay[255] = '\0';
  for (guint i = 0; i <= G_N_ELEMENTS (msgs); i++)
    {
      const ChorusMulticastMessage *m = i < G_N_ELEMENTS (msgs) ? &msgs[i] : &longest;
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) b = chorus_multicast_encode (m, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (b), <=, CHORUS_MULTICAST_MAX_SIZE);
      ChorusMulticastMessage back;
      g_assert_true (chorus_multicast_decode (g_bytes_get_data (b, NULL), g_bytes_get_size (b),
                                              &back, &error));
      g_assert_no_error (error);
      assert_same (m, &back);
    }
}

static void
test_encode_refuses (void)
{
  ChorusMulticastMessage bad[4];
  bad[0] = announcement (16, FALSE);
  bad[0].overlay[0] = '\0'; /* no overlay name */
  bad[1] = announcement (15, FALSE);
  bad[2] = announcement (16, FALSE);
  bad[2].listen.type = RELOAD_ADDRESS_INVALID;
  bad[3] = announcement (16, FALSE);
  bad[3].type = 7;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) b = chorus_multicast_encode (&bad[i], &error);
      g_assert_null (b);
      g_assert_error (error, RELOAD_WIRE_ERROR, error->code);
      g_test_message ("%u: %s", i, error->message);
    }
}

static void
assert_refused (const guint8 *data, gsize len, const char *what)
{
  ChorusMulticastMessage m;
  g_autoptr (GError) error = NULL;
  gboolean ok = chorus_multicast_decode (data, len, &m, &error);
  g_test_message ("%s: %s", what, error ? error->message : "accepted");
  g_assert_false (ok);
  g_assert_nonnull (error);
  g_assert_true (error->domain == RELOAD_WIRE_ERROR);
  /* nothing of it is left behind */
  g_assert_cmpuint (m.type, ==, 0);
  g_assert_cmpuint (m.overlay[0], ==, 0);
}

/* Hostile input: each field broken in turn, every truncation, a byte
 * too many, a datagram too large. */
static void
test_hostile (void)
{
  ChorusMulticastMessage a = announcement (16, FALSE);
  g_autoptr (GBytes) b = chorus_multicast_encode (&a, NULL);
  gsize len;
  const guint8 *good = g_bytes_get_data (b, &len);
  guint8 buf[CHORUS_MULTICAST_MAX_SIZE + 2];

  for (gsize n = 0; n < len; n++)
    assert_refused (good, n, "truncated");
  memcpy (buf, good, len);
  buf[len] = 0;
  assert_refused (buf, len + 1, "a byte left over");

  struct
  {
    gsize offset;
    guint8 value;
    const char *what;
  } flips[] = {
    { 0, 'X', "magic" },
    { 4, 2, "version" },
    { 5, 0, "type 0" },
    { 5, 3, "type 3" },
    { 14, 0, "empty overlay name" },
    { 14, 200, "overlay name longer than the datagram" },
    { 15, 0, "a NUL in the overlay name" },
    { 15, 0xff, "an overlay name not UTF-8" },
    { 27, 15, "a Node-ID of 15 bytes" },
    { 27, 21, "a Node-ID of 21 bytes" },
    { 44, 0, "address type 0" },
    { 44, 3, "an unknown address type" },
    { 45, 5, "an IPv4 address of the wrong length" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (flips); i++)
    {
      memcpy (buf, good, len);
      buf[flips[i].offset] = flips[i].value;
      assert_refused (buf, len, flips[i].what);
    }

  /* a query with an announcement's tail */
  memcpy (buf, good, len);
  buf[5] = CHORUS_MULTICAST_QUERY;
  assert_refused (buf, len, "a query with bytes left over");
  /* larger than any datagram it reads */
  memset (buf, 0, sizeof buf);
  memcpy (buf, good, len);
  assert_refused (buf, CHORUS_MULTICAST_MAX_SIZE + 1, "too large");

  /* random bytes, and random changes of a good datagram: never a crash;
   * whatever decodes encodes back to the same bytes */
  GRand *r = g_rand_new_with_seed (6084);
  guint decoded = 0;
  for (guint i = 0; i < 20000; i++)
    {
      gsize n;
      if (i % 2 == 0)
        {
          n = g_rand_int_range (r, 0, 80);
          for (gsize j = 0; j < n; j++)
            buf[j] = (guint8) g_rand_int (r);
          if (n >= 6 && g_rand_boolean (r))
            memcpy (buf, good, 6); /* past the magic more often */
        }
      else
        {
          n = len;
          memcpy (buf, good, len);
          buf[g_rand_int_range (r, 0, (gint32) len)] = (guint8) g_rand_int (r);
        }
      ChorusMulticastMessage m;
      if (!chorus_multicast_decode (buf, n, &m, NULL))
        continue;
      decoded++;
      g_autoptr (GBytes) again = chorus_multicast_encode (&m, NULL);
      g_assert_nonnull (again);
      g_assert_cmpmem (g_bytes_get_data (again, NULL), g_bytes_get_size (again), buf, n);
    }
  g_test_message ("%u of 20000 random datagrams decoded", decoded);
  g_rand_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/multicast/format", test_format);
  g_test_add_func ("/multicast/roundtrip", test_roundtrip);
  g_test_add_func ("/multicast/encode-refuses", test_encode_refuses);
  g_test_add_func ("/multicast/hostile", test_hostile);
  return g_test_run ();
}
