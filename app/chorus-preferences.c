/* chorus-preferences.c: the preferences window: the sound devices (from
 * GstDeviceMonitor, media-devices.h, kept by their stable ids in
 * GSettings), echo cancellation and running in the background.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-preferences.h"

#include <glib/gi18n.h>

struct _ChorusPreferences
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow *input_row;
  AdwComboRow *output_row;
  AdwComboRow *ring_row;
  GtkSwitch *echo_switch;
  GtkSwitch *background_switch;
  GtkSwitch *login_switch;

  GSettings *settings;
  MediaDevices *devices;
  /* per row: the ids behind its entries ("" first: the default device) */
  GPtrArray *input_ids;
  GPtrArray *output_ids;
  GPtrArray *ring_ids;
  gboolean filling;
};

G_DEFINE_FINAL_TYPE (ChorusPreferences, chorus_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static void
fill_row (ChorusPreferences *self, AdwComboRow *row, GPtrArray **ids, MediaDeviceKind kind,
          const char *key)
{
  self->filling = TRUE;
  g_clear_pointer (ids, g_ptr_array_unref);
  *ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  gtk_string_list_append (names, _ ("System default"));
  g_ptr_array_add (*ids, g_strdup (""));
  g_autofree char *chosen = g_settings_get_string (self->settings, key);
  guint selected = 0;
  g_autoptr (GPtrArray) list = media_devices_list (self->devices, kind);
  for (guint i = 0; i < list->len; i++)
    {
      MediaDeviceInfo *d = g_ptr_array_index (list, i);
      gtk_string_list_append (names, d->name);
      g_ptr_array_add (*ids, g_strdup (d->id));
      if (g_strcmp0 (d->id, chosen) == 0)
        selected = (*ids)->len - 1;
    }
  /* a chosen device that is away now stays chosen: it is listed */
  if (selected == 0 && chosen[0] != '\0')
    {
      g_autofree char *away = g_strdup_printf (_ ("%s (not connected)"), chosen);
      gtk_string_list_append (names, away);
      g_ptr_array_add (*ids, g_strdup (chosen));
      selected = (*ids)->len - 1;
    }
  adw_combo_row_set_model (row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (row, selected);
  self->filling = FALSE;
}

static void
fill (ChorusPreferences *self)
{
  fill_row (self, self->input_row, &self->input_ids, MEDIA_DEVICE_SOURCE, "audio-input-device");
  fill_row (self, self->output_row, &self->output_ids, MEDIA_DEVICE_SINK, "audio-output-device");
  fill_row (self, self->ring_row, &self->ring_ids, MEDIA_DEVICE_SINK, "ring-device");
}

static void
row_selected (AdwComboRow *row, GParamSpec *pspec, ChorusPreferences *self)
{
  if (self->filling)
    return;
  GPtrArray *ids = row == self->input_row    ? self->input_ids
                   : row == self->output_row ? self->output_ids
                                             : self->ring_ids;
  const char *key = row == self->input_row    ? "audio-input-device"
                    : row == self->output_row ? "audio-output-device"
                                              : "ring-device";
  guint i = adw_combo_row_get_selected (row);
  if (ids != NULL && i < ids->len)
    g_settings_set_string (self->settings, key, g_ptr_array_index (ids, i));
}

static void
devices_changed (ChorusPreferences *self)
{
  fill (self);
}

static void
chorus_preferences_dispose (GObject *object)
{
  ChorusPreferences *self = CHORUS_PREFERENCES (object);
  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);
  g_clear_object (&self->devices);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->input_ids, g_ptr_array_unref);
  g_clear_pointer (&self->output_ids, g_ptr_array_unref);
  g_clear_pointer (&self->ring_ids, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CHORUS_TYPE_PREFERENCES);
  G_OBJECT_CLASS (chorus_preferences_parent_class)->dispose (object);
}

static void
chorus_preferences_class_init (ChorusPreferencesClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = chorus_preferences_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chorusp2p/Chorus/chorus-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, input_row);
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, output_row);
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, ring_row);
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, echo_switch);
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, background_switch);
  gtk_widget_class_bind_template_child (widget_class, ChorusPreferences, login_switch);
}

static void
chorus_preferences_init (ChorusPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ChorusPreferences *
chorus_preferences_new (GtkWindow *parent, GSettings *settings, MediaDevices *devices)
{
  ChorusPreferences *self =
      g_object_new (CHORUS_TYPE_PREFERENCES, "transient-for", parent, "modal", FALSE, NULL);
  self->settings = g_object_ref (settings);
  self->devices = g_object_ref (devices);
  g_settings_bind (settings, "echo-cancellation", self->echo_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "start-on-login", self->login_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  fill (self);
  g_signal_connect (self->input_row, "notify::selected", G_CALLBACK (row_selected), self);
  g_signal_connect (self->output_row, "notify::selected", G_CALLBACK (row_selected), self);
  g_signal_connect (self->ring_row, "notify::selected", G_CALLBACK (row_selected), self);
  g_signal_connect_swapped (devices, "changed", G_CALLBACK (devices_changed), self);
  return self;
}
