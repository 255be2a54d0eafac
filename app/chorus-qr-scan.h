/* chorus-qr-scan.h: reading an invitation from a picture of its QR code
 * (GStreamer's zbar element).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* In a worker thread: decodes the image file @path (PNG, JPEG, ...) and
 * completes with the text of the first QR code in it; G_IO_ERROR_NOT_FOUND
 * when there is none, G_IO_ERROR_NOT_SUPPORTED without the zbar element. */
void chorus_qr_scan_file_async (const char *path, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
char *chorus_qr_scan_file_finish (GAsyncResult *result, GError **error);
/* The same from a camera: @source a gst-launch description of the video
 * source (NULL: v4l2src, the first camera), watched until a QR code
 * comes in front of it, @timeout_s passes (G_IO_ERROR_TIMED_OUT) or
 * @cancellable is cancelled.  Finish with chorus_qr_scan_file_finish(). */
void chorus_qr_scan_camera_async (const char *source, guint timeout_s, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);

G_END_DECLS
