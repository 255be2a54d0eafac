/* chorus-address.c: see chorus-address.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-address.h"

#include <string.h>

GInetSocketAddress *
chorus_address_parse (const char *text)
{
  g_autofree char *host = NULL;
  const char *port_text;
  if (text == NULL || *text == '\0')
    return NULL;
  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');
      if (end == NULL || end[1] != ':')
        return NULL;
      host = g_strndup (text + 1, (gsize) (end - text - 1));
      port_text = end + 2;
    }
  else
    {
      /* one colon: an IPv6 address needs its brackets */
      const char *colon = strrchr (text, ':');
      if (colon == NULL || strchr (text, ':') != colon)
        return NULL;
      host = g_strndup (text, (gsize) (colon - text));
      port_text = colon + 1;
    }
  guint64 port;
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    return NULL;
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, (guint16) port));
}
