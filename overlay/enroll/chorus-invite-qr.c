/* chorus-invite-qr.c: QR codes of invitation links with libqrencode.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-invite-qr.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "chorus-enroll-error.h"

#define QUIET_ZONE 4
#define PNG_SCALE 8

GdkPixbuf *
chorus_invite_qr_pixbuf (const char *text, guint scale, GError **error)
{
  g_return_val_if_fail (text != NULL && scale > 0 && scale <= 64, NULL);
  /* version 0: the smallest symbol that holds the text */
  QRcode *qr = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  if (qr == NULL)
    {
      int e = errno;
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                   "cannot make a QR code of %zu bytes: %s", strlen (text), g_strerror (e));
      return NULL;
    }
  int side = (qr->width + 2 * QUIET_ZONE) * (int) scale;
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, side, side);
  if (pb == NULL)
    {
      QRcode_free (qr);
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED, "out of memory");
      return NULL;
    }
  gdk_pixbuf_fill (pb, 0xffffffff);
  guint8 *pixels = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      {
        /* bit 0 of each byte: dark module */
        if (!(qr->data[y * qr->width + x] & 1))
          continue;
        for (guint dy = 0; dy < scale; dy++)
          {
            guint8 *row =
                pixels + (gsize) ((QUIET_ZONE + y) * (int) scale + (int) dy) * (gsize) stride;
            memset (row + (gsize) ((QUIET_ZONE + x) * (int) scale) * 3, 0, (gsize) scale * 3);
          }
      }
  QRcode_free (qr);
  return pb;
}

gboolean
chorus_invite_qr_write_png (const char *text, const char *path, GError **error)
{
  g_autoptr (GdkPixbuf) pb = chorus_invite_qr_pixbuf (text, PNG_SCALE, error);
  return pb != NULL && gdk_pixbuf_save (pb, path, "png", error, NULL);
}
