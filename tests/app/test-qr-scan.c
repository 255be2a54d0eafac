/* test-qr-scan.c: invitations read back from pictures of their QR codes
 * (app/chorus-qr-scan.c through GStreamer's zbar), the way "Join with an
 * invitation" reads a picture: PNGs written by chorus-invite-qr.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "chorus-invite-qr.h"
#include "chorus-qr-scan.h"

typedef struct
{
  GMainLoop *loop;
  char *text;
  GError *error;
} Scan;

static void
scanned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Scan *s = user_data;
  s->text = chorus_qr_scan_file_finish (result, &s->error);
  g_main_loop_quit (s->loop);
}

static char *
scan (const char *path, GError **error)
{
  Scan s = { g_main_loop_new (NULL, FALSE), NULL, NULL };
  chorus_qr_scan_file_async (path, NULL, scanned, &s);
  g_main_loop_run (s.loop);
  g_main_loop_unref (s.loop);
  if (s.error != NULL)
    g_propagate_error (error, s.error);
  return s.text;
}

static void
test_roundtrip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("chorus-qr-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "invite.png", NULL);
  const char *link = "chorus-invite://127.0.0.1:6085/enroll?overlay=home.chorus&user=bob%40home."
                     "chorus&secret=4a67be991c83c7a7a7c5babdd0c8b9d4&sha256="
                     "37697e41fb86bf6476cce77ce66e19f16096270c2747a03ac68110fc7567636d";
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_invite_qr_write_png (link, path, &error));
  g_assert_no_error (error);
  g_autofree char *text = scan (path, &error);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_test_skip (error->message);
      g_unlink (path);
      g_rmdir (dir);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, link);
  g_unlink (path);
  g_rmdir (dir);
}

static char *
scan_camera (const char *source, guint timeout_s, GError **error)
{
  Scan s = { g_main_loop_new (NULL, FALSE), NULL, NULL };
  chorus_qr_scan_camera_async (source, timeout_s, NULL, scanned, &s);
  g_main_loop_run (s.loop);
  g_main_loop_unref (s.loop);
  if (s.error != NULL)
    g_propagate_error (error, s.error);
  return s.text;
}

/* A "camera" showing the invitation's code (a picture frozen into a live
 * video stream), then one showing nothing but a test pattern: the code is
 * read; nothing comes before the timeout. */
static void
test_camera (void)
{
  g_autofree char *dir = g_dir_make_tmp ("chorus-qr-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "invite.png", NULL);
  const char *link = "chorus-invite://127.0.0.1:6085/enroll?overlay=home.chorus&user=carol%40home."
                     "chorus&secret=00112233445566778899aabbccddeeff&sha256="
                     "37697e41fb86bf6476cce77ce66e19f16096270c2747a03ac68110fc7567636d";
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_invite_qr_write_png (link, path, &error));
  g_autofree char *source =
      g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! imagefreeze is-live=true", path);
  g_autofree char *text = scan_camera (source, 20, &error);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      g_test_skip (error->message);
      g_unlink (path);
      g_rmdir (dir);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, link);
  g_autofree char *none = scan_camera ("videotestsrc is-live=true", 2, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  g_autofree char *broken = scan_camera ("nosuchcamerasrc", 2, &error);
  g_assert_null (broken);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_not_a_picture (void)
{
  g_autofree char *dir = g_dir_make_tmp ("chorus-qr-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "noise.png", NULL);
  g_assert_true (g_file_set_contents (path, "not a PNG at all", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = scan (path, &error);
  g_assert_null (text);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_no_code (void)
{
  /* a picture with no QR code in it: a blank PNG */
  g_autofree char *dir = g_dir_make_tmp ("chorus-qr-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "blank.png", NULL);
  g_autoptr (GdkPixbuf) blank = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
  gdk_pixbuf_fill (blank, 0xffffffffu);
  g_assert_true (gdk_pixbuf_save (blank, path, "png", NULL, NULL));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = scan (path, &error);
  g_assert_null (text);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qr-scan/roundtrip", test_roundtrip);
  g_test_add_func ("/qr-scan/camera", test_camera);
  g_test_add_func ("/qr-scan/not-a-picture", test_not_a_picture);
  g_test_add_func ("/qr-scan/no-code", test_no_code);
  return g_test_run ();
}
