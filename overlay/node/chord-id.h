/* chord-id.h: 128-bit identifiers on the CHORD-RELOAD ring (RFC 6940 §10).
 *
 * Node-IDs and Resource-IDs of the Chord topology are 128 bits (§10.2) and
 * all arithmetic is modulo 2^128 (§10.1).  Two machine words make the ring
 * arithmetic cheap enough for a simulator of 10,000 peers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 hi;
  guint64 lo;
} ChordId;

ChordId chord_id_from_bytes (const guint8 bytes[16]);
void chord_id_to_bytes (ChordId id, guint8 out[16]);
ChordId chord_id_from_node_id (const ReloadNodeId *node_id);
ReloadNodeId chord_id_to_node_id (ChordId id);
/* A Resource-ID on the wire (opaque<0..2^8-1>) as a ring position: its
 * first 16 bytes, zero-padded when shorter. */
ChordId chord_id_from_resource_id (RwBytes resource_id);
/* §10.2: SHA-1 of the resource name, truncated to the top 128 bits. */
ChordId chord_id_hash (const void *data, gsize len);
/* Hex, 32 lower-case digits; @buf holds 33 bytes. */
char *chord_id_to_hex (ChordId id, char buf[33]);
gboolean chord_id_from_hex (const char *hex, ChordId *out);

static inline int
chord_id_cmp (ChordId a, ChordId b)
{
  if (a.hi != b.hi)
    return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo)
    return a.lo < b.lo ? -1 : 1;
  return 0;
}

static inline gboolean
chord_id_equal (ChordId a, ChordId b)
{
  return a.hi == b.hi && a.lo == b.lo;
}

static inline ChordId
chord_id_add (ChordId a, ChordId b)
{
  ChordId r;
  r.lo = a.lo + b.lo;
  r.hi = a.hi + b.hi + (r.lo < a.lo);
  return r;
}

static inline ChordId
chord_id_sub (ChordId a, ChordId b)
{
  ChordId r;
  r.lo = a.lo - b.lo;
  r.hi = a.hi - b.hi - (a.lo < b.lo);
  return r;
}

/* 2^k for 0 <= k < 128. */
static inline ChordId
chord_id_pow2 (guint k)
{
  ChordId r = { 0, 0 };
  if (k >= 64)
    r.hi = (guint64) 1 << (k - 64);
  else
    r.lo = (guint64) 1 << k;
  return r;
}

/* Clockwise distance from @from to @to: (to - from) mod 2^128. */
static inline ChordId
chord_id_distance (ChordId from, ChordId to)
{
  return chord_id_sub (to, from);
}

/* x in the ring interval (a, b]; when a == b the interval is the whole
 * ring (a single peer is responsible for everything). */
static inline gboolean
chord_id_in_open_closed (ChordId x, ChordId a, ChordId b)
{
  if (chord_id_equal (a, b))
    return TRUE;
  ChordId dx = chord_id_distance (a, x);
  ChordId db = chord_id_distance (a, b);
  return !(dx.hi == 0 && dx.lo == 0) && chord_id_cmp (dx, db) <= 0;
}

/* x in the ring interval (a, b), empty when a == b... except that the
 * open interval from a peer round to itself holds every other id. */
static inline gboolean
chord_id_in_open_open (ChordId x, ChordId a, ChordId b)
{
  ChordId dx = chord_id_distance (a, x);
  ChordId db = chord_id_distance (a, b);
  if (dx.hi == 0 && dx.lo == 0)
    return FALSE;
  if (db.hi == 0 && db.lo == 0)
    return TRUE;
  return chord_id_cmp (dx, db) < 0;
}

G_END_DECLS
