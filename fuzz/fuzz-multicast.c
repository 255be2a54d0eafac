/* fuzz-multicast.c: libFuzzer target for the datagrams of the multicast
 * bootstrap (a Chorus extension, overlay/net/chorus-multicast.h): what a
 * peer reads from the group of its local link, where anyone may send.
 *
 * Whatever decodes must encode back to the identical bytes (one
 * description, both directions), and must hold what the shell relies on:
 * a NUL-terminated overlay name of 1 to 255 bytes, and for an
 * announcement a Node-ID of 16 to 20 bytes and an IPv4 or IPv6 address.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-multicast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ChorusMulticastMessage m;
  if (!chorus_multicast_decode (data, size, &m, NULL))
    return 0;
  gsize name_len = strnlen (m.overlay, sizeof m.overlay);
  if (name_len == 0 || name_len >= sizeof m.overlay)
    abort ();
  if (m.type == CHORUS_MULTICAST_ANNOUNCEMENT
      && (m.node_id.len < 16 || m.node_id.len > RELOAD_NODE_ID_MAX
          || (m.listen.type != RELOAD_ADDRESS_IPV4 && m.listen.type != RELOAD_ADDRESS_IPV6)))
    abort ();
  GBytes *again = chorus_multicast_encode (&m, NULL);
  if (again == NULL || g_bytes_get_size (again) != size
      || memcmp (g_bytes_get_data (again, NULL), data, size) != 0)
    abort ();
  g_bytes_unref (again);
  return 0;
}
