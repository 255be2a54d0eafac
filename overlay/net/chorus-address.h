/* chorus-address.h: "ADDR:PORT" and "[ADDR]:PORT" (numeric addresses only:
 * nothing here resolves names), as the command lines, the configuration's
 * bootstrap nodes and the control socket write transport addresses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The address, or NULL for anything else (a name, no port, a port over
 * 65535, an IPv6 address without brackets). */
GInetSocketAddress *chorus_address_parse (const char *text);

G_END_DECLS
