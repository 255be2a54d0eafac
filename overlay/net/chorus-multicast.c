/* chorus-multicast.c: the datagrams of the multicast bootstrap (see the
 * header), with the bounded codec of overlay/wire.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-multicast.h"

#include <string.h>

static void
visit (RwCodec *c, ChorusMulticastMessage *m)
{
  gboolean decoding = rw_mode (c) == RW_DECODE;
  guint32 magic = CHORUS_MULTICAST_MAGIC;
  rw_u32 (c, "magic", &magic);
  if (rw_ok (c) && magic != CHORUS_MULTICAST_MAGIC)
    rw_fail (c, RELOAD_WIRE_ERROR_BAD_TOKEN, "magic", "0x%08x is not 0x%08x", magic,
             CHORUS_MULTICAST_MAGIC);
  guint8 version = CHORUS_MULTICAST_VERSION;
  rw_u8 (c, "version", &version);
  if (rw_ok (c) && version != CHORUS_MULTICAST_VERSION)
    rw_fail (c, RELOAD_WIRE_ERROR_BAD_VERSION, "version", "%u is not %u", version,
             CHORUS_MULTICAST_VERSION);
  rw_u8 (c, "type", &m->type);
  if (rw_ok (c) && m->type != CHORUS_MULTICAST_QUERY && m->type != CHORUS_MULTICAST_ANNOUNCEMENT)
    rw_fail (c, RELOAD_WIRE_ERROR_UNKNOWN_TYPE, "type", "%u", m->type);
  rw_u64 (c, "nonce", &m->nonce);

  RwBytes name = { (const guint8 *) m->overlay, decoding ? 0 : strlen (m->overlay) };
  rw_opaque (c, "overlay", 1, sizeof m->overlay - 1, &name);
  if (rw_ok (c)
      && (name.len == 0 || memchr (name.data, '\0', name.len) != NULL
          || !g_utf8_validate ((const char *) name.data, (gssize) name.len, NULL)))
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "overlay",
             "not an instance-name: empty, a NUL, or not UTF-8");
  if (rw_ok (c) && decoding)
    {
      memcpy (m->overlay, name.data, name.len);
      m->overlay[name.len] = '\0';
    }
  if (!rw_ok (c) || m->type != CHORUS_MULTICAST_ANNOUNCEMENT)
    return;

  RwBytes id = { m->node_id.id, decoding ? 0 : m->node_id.len };
  rw_opaque (c, "node_id", 1, RELOAD_NODE_ID_MAX, &id);
  /* §6.3.1.1: a NodeId is 16 to 20 bytes (node-id-length, §11.1) */
  if (rw_ok (c) && (id.len < 16 || id.len > RELOAD_NODE_ID_MAX))
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "node_id",
             "%" G_GSIZE_FORMAT " bytes, not 16 to 20", id.len);
  if (rw_ok (c) && decoding)
    {
      m->node_id.len = (guint8) id.len;
      memcpy (m->node_id.id, id.data, id.len);
    }
  reload_ip_address_port (c, "listen", &m->listen);
  if (rw_ok (c) && m->listen.type != RELOAD_ADDRESS_IPV4 && m->listen.type != RELOAD_ADDRESS_IPV6)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "listen", "address type %u is not IPv4 or IPv6",
             m->listen.type);
}

GBytes *
chorus_multicast_encode (const ChorusMulticastMessage *msg, GError **error)
{
  g_return_val_if_fail (msg != NULL, NULL);
  ChorusMulticastMessage copy = *msg;
  copy.overlay[sizeof copy.overlay - 1] = '\0';
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, NULL);
  visit (c, &copy);
  if (!rw_codec_finish (c, error))
    return NULL;
  if (out->len > CHORUS_MULTICAST_MAX_SIZE)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE, "%u bytes: more than %u",
                   out->len, CHORUS_MULTICAST_MAX_SIZE);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

gboolean
chorus_multicast_decode (const guint8 *data, gsize len, ChorusMulticastMessage *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (len > CHORUS_MULTICAST_MAX_SIZE)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE,
                   "%" G_GSIZE_FORMAT " bytes: more than %u", len, CHORUS_MULTICAST_MAX_SIZE);
      return FALSE;
    }
  /* nothing is allocated: opaque fields point into @data and are copied */
  g_autoptr (RwArena) arena = rw_arena_new (1024);
  RwCodec *c = rw_codec_new_decoder (data, len, arena, NULL);
  visit (c, out);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL, "%" G_GSIZE_FORMAT " bytes left over",
             rw_remaining (c));
  if (!rw_codec_finish (c, error))
    {
      memset (out, 0, sizeof *out);
      return FALSE;
    }
  return TRUE;
}
