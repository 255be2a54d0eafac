/* chorus-ringer.c: the ringtone: two sine sources (440 Hz and 480 Hz, the
 * North American ring, ITU-T E.180 Supplement 2) mixed, gated by a
 * volume element on a 1 s on / 2 s off cadence, on the ring device.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app"

#include "chorus-ringer.h"

#include <gst/gst.h>

#define RING_ON_MS 1000
#define RING_OFF_MS 2000

struct _ChorusRinger
{
  GObject parent_instance;
  char *sink;
  GstElement *pipeline;
  GstElement *gate;
  guint cadence;
  guint bus_watch;
  gboolean on;
};

G_DEFINE_FINAL_TYPE (ChorusRinger, chorus_ringer, G_TYPE_OBJECT)

static void
chorus_ringer_dispose (GObject *object)
{
  chorus_ringer_stop (CHORUS_RINGER (object));
  G_OBJECT_CLASS (chorus_ringer_parent_class)->dispose (object);
}

static void
chorus_ringer_finalize (GObject *object)
{
  g_free (CHORUS_RINGER (object)->sink);
  G_OBJECT_CLASS (chorus_ringer_parent_class)->finalize (object);
}

static void
chorus_ringer_class_init (ChorusRingerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = chorus_ringer_dispose;
  G_OBJECT_CLASS (klass)->finalize = chorus_ringer_finalize;
}

static void
chorus_ringer_init (ChorusRinger *self)
{
}

ChorusRinger *
chorus_ringer_new (void)
{
  return g_object_new (CHORUS_TYPE_RINGER, NULL);
}

void
chorus_ringer_set_sink (ChorusRinger *self, const char *sink)
{
  g_free (self->sink);
  self->sink = g_strdup (sink && *sink ? sink : NULL);
}

static gboolean
cadence_step (gpointer data)
{
  ChorusRinger *self = data;
  self->on = !self->on;
  g_object_set (self->gate, "mute", !self->on, NULL);
  self->cadence = g_timeout_add (self->on ? RING_ON_MS : RING_OFF_MS, cadence_step, self);
  return G_SOURCE_REMOVE;
}

static gboolean
bus_message (GstBus *bus, GstMessage *message, gpointer data)
{
  ChorusRinger *self = data;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;
      gst_message_parse_error (message, &error, NULL);
      g_message ("ringtone: %s", error->message);
      self->bus_watch = 0;
      chorus_ringer_stop (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
chorus_ringer_start (ChorusRinger *self)
{
  if (self->pipeline != NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!gst_init_check (NULL, NULL, &error))
    {
      g_message ("ringtone: %s", error->message);
      return;
    }
  g_autofree char *description =
      g_strdup_printf ("audiomixer name=mix ! audioconvert ! audioresample ! volume name=gate ! %s "
                       "audiotestsrc wave=sine freq=440 volume=0.15 is-live=true ! mix. "
                       "audiotestsrc wave=sine freq=480 volume=0.15 is-live=true ! mix.",
                       self->sink ? self->sink : "autoaudiosink");
  GstElement *pipeline = gst_parse_launch (description, &error);
  if (pipeline == NULL)
    {
      g_message ("ringtone: %s", error->message);
      return;
    }
  self->pipeline = pipeline;
  self->gate = gst_bin_get_by_name (GST_BIN (pipeline), "gate");
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  self->bus_watch = gst_bus_add_watch (bus, bus_message, self);
  self->on = TRUE;
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_message ("ringtone: the ring device does not play");
      chorus_ringer_stop (self);
      return;
    }
  self->cadence = g_timeout_add (RING_ON_MS, cadence_step, self);
  g_message ("ringing");
}

void
chorus_ringer_stop (ChorusRinger *self)
{
  g_clear_handle_id (&self->cadence, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline != NULL)
    {
      /* an end of stream first: a file sink (wavenc) finishes its header,
       * a sound card plays what it holds; briefly, it is the UI thread */
      gst_element_send_event (self->pipeline, gst_event_new_eos ());
      g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);
      g_autoptr (GstMessage) done =
          gst_bus_timed_pop_filtered (bus, 300 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      gst_clear_object (&self->gate);
      gst_clear_object (&self->pipeline);
      g_message ("ringing stopped");
    }
}

gboolean
chorus_ringer_is_ringing (ChorusRinger *self)
{
  return self->pipeline != NULL;
}
