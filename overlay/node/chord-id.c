/* chord-id.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chord-id.h"

#include <string.h>

ChordId
chord_id_from_bytes (const guint8 bytes[16])
{
  ChordId id = { 0, 0 };
  for (guint i = 0; i < 8; i++)
    id.hi = id.hi << 8 | bytes[i];
  for (guint i = 8; i < 16; i++)
    id.lo = id.lo << 8 | bytes[i];
  return id;
}

void
chord_id_to_bytes (ChordId id, guint8 out[16])
{
  for (guint i = 0; i < 8; i++)
    out[i] = (guint8) (id.hi >> (56 - 8 * i));
  for (guint i = 0; i < 8; i++)
    out[8 + i] = (guint8) (id.lo >> (56 - 8 * i));
}

ChordId
chord_id_from_node_id (const ReloadNodeId *node_id)
{
  /* CHORD-RELOAD uses 128-bit ids (§10.2); a longer Node-ID's first 16
   * bytes are its position. */
  return chord_id_from_bytes (node_id->id);
}

ReloadNodeId
chord_id_to_node_id (ChordId id)
{
  ReloadNodeId n = { 0 };
  n.len = 16;
  chord_id_to_bytes (id, n.id);
  return n;
}

ChordId
chord_id_from_resource_id (RwBytes resource_id)
{
  guint8 buf[16] = { 0 };
  memcpy (buf, resource_id.data, MIN (resource_id.len, 16));
  return chord_id_from_bytes (buf);
}

ChordId
chord_id_hash (const void *data, gsize len)
{
  guint8 digest[20];
  gsize n = sizeof digest;
  GChecksum *sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, data, len);
  g_checksum_get_digest (sha1, digest, &n);
  g_checksum_free (sha1);
  return chord_id_from_bytes (digest);
}

char *
chord_id_to_hex (ChordId id, char buf[33])
{
  g_snprintf (buf, 33, "%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x", id.hi, id.lo);
  return buf;
}

gboolean
chord_id_from_hex (const char *hex, ChordId *out)
{
  if (hex == NULL || strlen (hex) != 32)
    return FALSE;
  guint8 b[16];
  for (guint i = 0; i < 16; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      b[i] = (guint8) (hi << 4 | lo);
    }
  *out = chord_id_from_bytes (b);
  return TRUE;
}
