/* chorus-invite-qr.h: an invitation link as a QR code (libqrencode), for
 * a phone's camera or `zbarimg`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/* The QR code of @text (8-bit mode, error correction level M), @scale
 * pixels per module, with the quiet zone of four modules that ISO/IEC
 * 18004 asks for; black on white, RGB. */
GdkPixbuf *chorus_invite_qr_pixbuf (const char *text, guint scale, GError **error);
/* The same written as a PNG file. */
gboolean chorus_invite_qr_write_png (const char *text, const char *path, GError **error);

G_END_DECLS
