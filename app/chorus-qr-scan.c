/* chorus-qr-scan.c: the first QR code of an image file, through
 * filesrc ! decodebin ! videoconvert ! zbar ! fakesink.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-qr-scan.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

/* a picture is one frame: anything longer is a broken file */
#define SCAN_TIMEOUT_S 10

static void
pad_added (GstElement *decode, GstPad *pad, GstElement *convert)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (convert, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* Plays @pipeline (ending in zbar ! fakesink) until zbar reports a QR
 * code (its text), the end of the stream (a picture without one), an
 * error, @timeout_s or cancellation. */
static char *
run_until_code (GstElement *pipeline, guint timeout_s, gboolean live, GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  char *text = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  while (text == NULL && !g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      gint64 left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s",
                       live ? _ ("No QR code came in front of the camera")
                            : _ ("The picture took too long"));
          break;
        }
      g_autoptr (GstMessage) m =
          gst_bus_timed_pop_filtered (bus, MIN (left, 100 * G_USEC_PER_SEC / 1000) * 1000,
                                      GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      if (m == NULL)
        continue;
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
        {
          g_autoptr (GError) gst_error = NULL;
          gst_message_parse_error (m, &gst_error, NULL);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("Not a picture: %s"),
                       gst_error->message);
          break;
        }
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No QR code in this picture"));
          break;
        }
      const GstStructure *s = gst_message_get_structure (m);
      if (s != NULL && gst_structure_has_name (s, "barcode"))
        {
          const char *type = gst_structure_get_string (s, "type");
          const char *symbol = gst_structure_get_string (s, "symbol");
          if (symbol != NULL && g_strcmp0 (type, "QR-Code") == 0
              && g_utf8_validate (symbol, -1, NULL))
            text = g_strdup (symbol);
        }
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return text;
}

static char *
scan (const char *path, GCancellable *cancellable, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return NULL;
  g_autoptr (GstElementFactory) zbar = gst_element_factory_find ("zbar");
  if (zbar == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("Reading QR codes needs GStreamer's zbar plugin"));
      return NULL;
    }
  g_autoptr (GstElement) pipeline = gst_pipeline_new ("qr-scan");
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *decode = gst_element_factory_make ("decodebin", NULL);
  GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
  GstElement *detector = gst_element_factory_create (zbar, NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  if (src == NULL || decode == NULL || convert == NULL || detector == NULL || sink == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("GStreamer's base plugins are missing"));
      return NULL;
    }
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, decode, convert, detector, sink, NULL);
  gst_element_link (src, decode);
  gst_element_link_many (convert, detector, sink, NULL);
  /* decodebin's pad comes once it knows the format */
  g_signal_connect (decode, "pad-added", G_CALLBACK (pad_added), convert);
  return run_until_code (pipeline, SCAN_TIMEOUT_S, FALSE, cancellable, error);
}

static void
scan_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *text = scan (task_data, cancellable, &error);
  if (text != NULL)
    g_task_return_pointer (task, text, g_free);
  else
    g_task_return_error (task, error);
}

void
chorus_qr_scan_file_async (const char *path, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, chorus_qr_scan_file_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, scan_thread);
}

char *
chorus_qr_scan_file_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------- camera */

typedef struct
{
  char *source;
  guint timeout_s;
} CameraScan;

static void
camera_scan_free (gpointer data)
{
  CameraScan *c = data;
  g_free (c->source);
  g_free (c);
}

static char *
scan_camera (CameraScan *c, GCancellable *cancellable, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return NULL;
  g_autoptr (GstElementFactory) zbar = gst_element_factory_find ("zbar");
  if (zbar == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("Reading QR codes needs GStreamer's zbar plugin"));
      return NULL;
    }
  g_autofree char *description =
      g_strdup_printf ("%s ! videoconvert ! zbar ! fakesink sync=false", c->source);
  g_autoptr (GError) local = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &local);
  if (pipeline == NULL || local != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No camera: %s"),
                   local ? local->message : description);
      return NULL;
    }
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("The camera does not start"));
      return NULL;
    }
  return run_until_code (pipeline, c->timeout_s, TRUE, cancellable, error);
}

static void
camera_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *text = scan_camera (task_data, cancellable, &error);
  if (text != NULL)
    g_task_return_pointer (task, text, g_free);
  else
    g_task_return_error (task, error);
}

void
chorus_qr_scan_camera_async (const char *source, guint timeout_s, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, chorus_qr_scan_camera_async);
  CameraScan *c = g_new0 (CameraScan, 1);
  c->source = g_strdup (source ? source : "v4l2src");
  c->timeout_s = timeout_s;
  g_task_set_task_data (task, c, camera_scan_free);
  g_task_run_in_thread (task, camera_thread);
}
