/* test-chord-table.c: ring arithmetic and the CHORD-RELOAD routing table
 * (RFC 6940 §10.1-§10.3, §10.7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chord-table.h"

#include <string.h>

static ChordId
id (guint64 hi, guint64 lo)
{
  return (ChordId){ hi, lo };
}

static void
test_arithmetic (void)
{
  ChordId max = id (G_MAXUINT64, G_MAXUINT64);
  ChordId one = id (0, 1);
  /* modulo 2^128 (§10.1) */
  g_assert_true (chord_id_equal (chord_id_add (max, one), id (0, 0)));
  g_assert_true (chord_id_equal (chord_id_sub (id (0, 0), one), max));
  g_assert_true (chord_id_equal (chord_id_add (id (0, G_MAXUINT64), one), id (1, 0)));
  g_assert_true (chord_id_equal (chord_id_pow2 (127), id (G_GUINT64_CONSTANT (1) << 63, 0)));
  g_assert_true (chord_id_equal (chord_id_pow2 (0), one));
  /* the interval (a, b] wraps around zero */
  g_assert_true (chord_id_in_open_closed (id (0, 5), id (G_MAXUINT64, 0), id (0, 10)));
  g_assert_false (chord_id_in_open_closed (id (0, 11), id (G_MAXUINT64, 0), id (0, 10)));
  g_assert_true (chord_id_in_open_closed (id (0, 10), id (0, 5), id (0, 10)));
  g_assert_false (chord_id_in_open_closed (id (0, 5), id (0, 5), id (0, 10)));
  /* a == b: the whole ring */
  g_assert_true (chord_id_in_open_closed (id (7, 7), id (0, 5), id (0, 5)));

  char hex[33];
  ChordId x;
  g_assert_true (chord_id_from_hex (chord_id_to_hex (id (0x0123456789abcdef, 42), hex), &x));
  g_assert_cmpstr (hex, ==, "0123456789abcdef000000000000002a");
  g_assert_true (chord_id_equal (x, id (0x0123456789abcdef, 42)));
  g_assert_false (chord_id_from_hex ("xyz", &x));

  /* §10.2: SHA-1 truncated to the top 128 bits: SHA-1("abc") is
   * a9993e364706816aba3e25717850c26c9cd0d89d */
  ChordId h = chord_id_hash ("abc", 3);
  g_assert_cmpstr (chord_id_to_hex (h, hex), ==, "a9993e364706816aba3e25717850c26c");
}

static ChordTable
table_with (guint64 self, const guint64 *peers, guint n)
{
  ChordTable t;
  chord_table_init (&t, id (self, 0), 3, 3, 16);
  for (guint i = 0; i < n; i++)
    chord_table_add (&t, id (peers[i], 0));
  return t;
}

static void
test_neighbors (void)
{
  static const guint64 peers[] = { 200, 10, 110, 150, 90, 105, 300, 95 };
  ChordTable t = table_with (100, peers, G_N_ELEMENTS (peers));
  /* successors by clockwise distance, at most three */
  g_assert_cmpuint (t.n_succ, ==, 3);
  g_assert_cmpuint (t.succ[0].hi, ==, 105);
  g_assert_cmpuint (t.succ[1].hi, ==, 110);
  g_assert_cmpuint (t.succ[2].hi, ==, 150);
  g_assert_cmpuint (t.n_pred, ==, 3);
  g_assert_cmpuint (t.pred[0].hi, ==, 95);
  g_assert_cmpuint (t.pred[1].hi, ==, 90);
  g_assert_cmpuint (t.pred[2].hi, ==, 10);
  /* §10.7.3: never itself */
  g_assert_false (chord_table_add (&t, id (100, 0)));
  g_assert_false (chord_table_is_neighbor (&t, id (100, 0)));
  /* a closer peer is wanted, a farther one is not */
  g_assert_true (chord_table_wants_neighbor (&t, id (101, 0)));
  g_assert_false (chord_table_wants_neighbor (&t, id (160, 0))
                  && chord_table_wants_neighbor (&t, id (5, 0)));
  /* §10.1: responsible for (pred, self] */
  g_assert_true (chord_table_is_responsible (&t, id (96, 0)));
  g_assert_true (chord_table_is_responsible (&t, id (100, 0)));
  g_assert_false (chord_table_is_responsible (&t, id (95, 0)));
  g_assert_false (chord_table_is_responsible (&t, id (101, 0)));
  /* removal promotes the next one */
  g_assert_true (chord_table_remove (&t, id (105, 0)));
  g_assert_cmpuint (t.succ[0].hi, ==, 110);
  g_assert_cmpuint (t.n_succ, ==, 2);
}

static void
test_next_hop (void)
{
  /* ids spread over the ring so that fingers fill in */
  ChordTable t;
  ChordId self = id (0, 0);
  chord_table_init (&t, self, 3, 3, 16);
  guint64 half = G_GUINT64_CONSTANT (1) << 63;
  ChordId peers[] = { id (1, 0),
                      id (2, 0),
                      id (3, 0),
                      id (half, 0),
                      id (half >> 1, 0),
                      id (half >> 4, 0),
                      id (G_MAXUINT64 - 5, 0) };
  for (guint i = 0; i < G_N_ELEMENTS (peers); i++)
    chord_table_add (&t, peers[i]);
  ChordId next;
  /* k between succ[0] and succ[1]: the Neighbor Table knows succ[1] is
   * responsible */
  g_assert_true (chord_table_next_hop (&t, id (1, 5), &next));
  g_assert_true (chord_id_equal (next, id (2, 0)));
  /* k within (self, succ[0]]: succ[0] */
  g_assert_true (chord_table_next_hop (&t, id (0, 99), &next));
  g_assert_true (chord_id_equal (next, id (1, 0)));
  /* the predecessors are MAX-5, half, half/2: between them no other
   * peer exists, so the one after k is responsible and gets it */
  g_assert_true (chord_table_next_hop (&t, id (half + 7, 0), &next));
  g_assert_true (chord_id_equal (next, id (G_MAXUINT64 - 5, 0)));
  g_assert_true (chord_table_next_hop (&t, id ((half >> 1) + 1, 0), &next));
  g_assert_true (chord_id_equal (next, id (half, 0)));
  /* outside the neighbors' stretch: the largest known id before k
   * (§10.3), here the finger at 2^123 */
  g_assert_true (chord_table_next_hop (&t, id ((half >> 4) + 99, 0), &next));
  g_assert_true (chord_id_equal (next, id (half >> 4, 0)));
  g_assert_true (chord_table_next_hop (&t, id ((half >> 2), 0), &next));
  g_assert_true (chord_id_equal (next, id (half >> 4, 0)));
  /* a peer with id k itself is the one */
  g_assert_true (chord_table_next_hop (&t, id (half >> 4, 0), &next));
  g_assert_true (chord_id_equal (next, id (half >> 4, 0)));
  /* nothing known: no route */
  ChordTable empty;
  chord_table_init (&empty, self, 3, 3, 16);
  g_assert_false (chord_table_next_hop (&empty, id (5, 5), &next));
}

static void
test_fingers (void)
{
  ChordTable t;
  chord_table_init (&t, id (0, 0), 3, 3, 16);
  /* finger 0's range is [self + 2^127, self + 2^128 - 1] (§10.7.4.2) */
  g_assert_true (chord_id_equal (chord_table_finger_start (&t, 0), chord_id_pow2 (127)));
  g_assert_true (chord_id_equal (chord_table_finger_start (&t, 15), chord_id_pow2 (112)));
  GRand *r = g_rand_new_with_seed (5);
  for (guint i = 0; i < 16; i++)
    for (guint k = 0; k < 50; k++)
      {
        guint64 a = (guint64) g_rand_int (r) << 32 | g_rand_int (r);
        guint64 b = (guint64) g_rand_int (r) << 32 | g_rand_int (r);
        ChordId x = chord_table_finger_random_target (&t, i, a, b);
        g_assert_cmpint (chord_id_cmp (x, chord_id_pow2 (127 - i)), >=, 0);
        if (i > 0)
          g_assert_cmpint (chord_id_cmp (x, chord_id_pow2 (128 - i)), <, 0);
      }
  g_rand_free (r);
  /* a peer fills the finger whose range holds it */
  g_assert_cmpint (chord_table_first_invalid_finger (&t), ==, 0);
  chord_table_add (&t, chord_id_add (chord_id_pow2 (127), id (0, 9)));
  g_assert_true (t.finger_valid[0]);
  /* every other range lies before the first successor: nothing there to
   * search for */
  g_assert_cmpint (chord_table_first_invalid_finger (&t), ==, -1);
  /* with a successor at 2^120, the ranges of fingers 1..7 may hold peers
   * (they are searched), those of 8 and beyond cannot */
  chord_table_add (&t, chord_id_pow2 (120));
  g_assert_cmpint (chord_table_first_invalid_finger (&t), ==, 1);
  g_assert_true (t.finger_valid[7]);
  ChordId all[64];
  g_assert_cmpuint (chord_table_peers (&t, all, 64), ==, 2);
  /* a lost peer leaves its finger entry */
  chord_table_remove (&t, chord_id_add (chord_id_pow2 (127), id (0, 9)));
  g_assert_false (t.finger_valid[0]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chord/arithmetic", test_arithmetic);
  g_test_add_func ("/chord/neighbors", test_neighbors);
  g_test_add_func ("/chord/next-hop", test_next_hop);
  g_test_add_func ("/chord/fingers", test_fingers);
  return g_test_run ();
}
