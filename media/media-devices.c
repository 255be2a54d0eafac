/* media-devices.c: audio device selection through GstDeviceMonitor (see the
 * header).
 *
 * What this relies on (GStreamer 1.22 documentation and sources):
 *
 * - GstDeviceMonitor (https://gstreamer.freedesktop.org/documentation/gstreamer/gstdevicemonitor.html):
 *   gst_device_monitor_add_filter() with a class such as "Audio/Source"
 *   picks the device providers of the registry whose classes match;
 *   gst_device_monitor_start() returns TRUE "if the device monitoring could
 *   be started, i.e. at least a single device provider was started
 *   successfully" and from then on posts GST_MESSAGE_DEVICE_ADDED,
 *   _REMOVED and _CHANGED on the monitor's bus; gst_device_monitor_stop()
 *   sets that bus flushing (pending messages are dropped).  The monitor
 *   must be stopped before its last unref.
 * - GstBus (https://gstreamer.freedesktop.org/documentation/gstreamer/gstbus.html):
 *   gst_bus_create_watch() gives a GSource that pops one message per
 *   dispatch; attached to the creator's thread-default context, the
 *   messages (posted on the providers' threads) are handled there.
 * - GstDevice (https://gstreamer.freedesktop.org/documentation/gstreamer/gstdevice.html):
 *   gst_device_get_properties() (the provider's own key/value list),
 *   gst_device_get_display_name(), gst_device_has_classes(),
 *   gst_device_create_element() ("creates the element with all of the
 *   required parameters set to use this device").
 * - gst-launch syntax (https://gstreamer.freedesktop.org/documentation/tools/gst-launch.html):
 *   "ELEMENTTYPE [PROPERTY1 ...]", "PROPERTY=VALUE", a value with spaces in
 *   double quotes; the parser strips the quotes and drops the backslash of
 *   "\x" (gst/parse/grammar.y, gst_parse_unescape()), then deserialises
 *   the text for the property's type (gst_value_deserialize_with_pspec()).
 *
 * The providers that matter on Linux, and what their devices carry:
 *
 * - PulseAudio (gst-plugins-good ext/pulse/pulsedeviceprovider.c):
 *   create_element makes "pulsesrc"/"pulsesink" and sets "device" to the
 *   PulseAudio source/sink name; the GstDevice also has that name as its
 *   GObject property "internal-name"; the properties are the pa_proplist
 *   (device.api, device.class, alsa.card, alsa.device, ... and node.name
 *   under pipewire-pulse) plus "is-default" (boolean), kept up to date
 *   with GST_MESSAGE_DEVICE_CHANGED.
 * - ALSA (gst-plugins-base ext/alsa/gstalsadeviceprovider.c): "alsasrc" /
 *   "alsasink" with "device" = "hw:CARD,DEV" (also "internal-name");
 *   properties device.api, alsa.card (int), alsa.card_name, alsa.id, ...
 *   The PulseAudio provider hides it when its devices are ALSA ones.
 * - PipeWire (pipewire src/gst/gstpipewiredeviceprovider.c): "pipewiresrc"
 *   / "pipewiresink" with "target-object" = the node's object.serial (and
 *   "fd"; older versions: "path" = the object id); the properties are the
 *   node's, all strings: node.name, node.description, object.path,
 *   object.serial, device.id (the runtime id of the card object), ...  It
 *   hides the PulseAudio provider when PipeWire runs the ALSA monitor.
 *
 * Descriptions are not written per provider: the element the device makes
 * is compared, property by property, with a fresh element of the same
 * factory, and the properties that differ (the ones the provider set:
 * "device", "target-object", ...) are written out; the result is parsed
 * back and compared before it is handed out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-devices.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (media-devices-error-quark, media_devices_error)

G_DEFINE_ENUM_TYPE (MediaDeviceKind, media_device_kind,
  G_DEFINE_ENUM_VALUE (MEDIA_DEVICE_SOURCE, "source"),
  G_DEFINE_ENUM_VALUE (MEDIA_DEVICE_SINK, "sink"))

G_DEFINE_ENUM_TYPE (MediaDevicesChange, media_devices_change,
  G_DEFINE_ENUM_VALUE (MEDIA_DEVICES_ADDED, "added"),
  G_DEFINE_ENUM_VALUE (MEDIA_DEVICES_REMOVED, "removed"),
  G_DEFINE_ENUM_VALUE (MEDIA_DEVICES_CHANGED, "changed"))
/* clang-format on */

G_DEFINE_BOXED_TYPE (MediaDeviceInfo, media_device_info, media_device_info_copy,
                     media_device_info_free)

MediaDeviceInfo *
media_device_info_copy (const MediaDeviceInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  MediaDeviceInfo *copy = g_new0 (MediaDeviceInfo, 1);
  copy->id = g_strdup (info->id);
  copy->name = g_strdup (info->name);
  copy->kind = info->kind;
  copy->is_default = info->is_default;
  return copy;
}

void
media_device_info_free (MediaDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->name);
  g_free (info);
}

/* the GstDeviceMonitor filters, indexed by MediaDeviceKind */
static const char *const kind_classes[] = { "Audio/Source", "Audio/Sink" };
static const char *const kind_names[] = { "source", "sink" };
static const char *const kind_defaults[] = { "autoaudiosrc", "autoaudiosink" };

typedef struct
{
  GstDevice *device;
  MediaDeviceInfo *info;
} Entry;

struct _MediaDevices
{
  GObject parent_instance;

  GMainContext *context;     /* the creator's: ::changed comes there */
  GstDeviceMonitor *monitor; /* between start and stop */
  GSource *watch;            /* on the monitor's bus, in context */
  gboolean monitoring;
  GPtrArray *entries; /* Entry, in the order the devices came */
};

G_DEFINE_FINAL_TYPE (MediaDevices, media_devices, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- what a GstDevice is ---- */

static gboolean
device_kind (GstDevice *device, MediaDeviceKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (kind_classes); k++)
    if (gst_device_has_classes (device, kind_classes[k]))
      {
        *kind = (MediaDeviceKind) k;
        return TRUE;
      }
  return FALSE;
}

/* A property of the device as text, NULL when absent or empty.  PipeWire
 * gives every property as a string, the ALSA provider "alsa.card" as an
 * int, PulseAudio strings and the boolean "is-default". */
static char *
field_text (const GstStructure *props, const char *field)
{
  const GValue *value = props != NULL ? gst_structure_get_value (props, field) : NULL;
  if (value == NULL)
    return NULL;
  char *text = NULL;
  if (G_VALUE_HOLDS_STRING (value))
    text = g_value_dup_string (value);
  else if (g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_STRING))
    {
      GValue string = G_VALUE_INIT;
      g_value_init (&string, G_TYPE_STRING);
      if (g_value_transform (value, &string))
        text = g_value_dup_string (&string);
      g_value_unset (&string);
    }
  if (text != NULL && *text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

static gboolean
all_digits (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* The id to store in the settings, the first of:
 *  1. "node.name": PipeWire's node name (e.g.
 *     "alsa_input.pci-0000_00_1f.3.analog-stereo"), stable across restarts;
 *     the PulseAudio provider has it too under pipewire-pulse, where it is
 *     also the PulseAudio name, so the id does not depend on which of the
 *     two providers GStreamer uses;
 *  2. "object.path" (PipeWire, e.g. "alsa:pcm:0:front:0:capture");
 *  3. "device.id" unless a bare number: the endpoint ids of the Windows
 *     and macOS providers; PipeWire's is the runtime id of the card object,
 *     neither stable nor unique (the card's source and sink share it);
 *  4. the GstDevice's GObject property "internal-name": the PulseAudio
 *     source/sink name under a real PulseAudio, "hw:C,D" for ALSA;
 *  5. "alsa.card" and "alsa.device" as "hw:C,D";
 *  6. the display name.
 * Never "" (that means the default device). */
static char *
device_id (GstDevice *device, const GstStructure *props)
{
  char *id;
  if ((id = field_text (props, "node.name")) != NULL)
    return id;
  if ((id = field_text (props, "object.path")) != NULL)
    return id;
  if ((id = field_text (props, "device.id")) != NULL)
    {
      if (!all_digits (id))
        return id;
      g_clear_pointer (&id, g_free);
    }

  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (device), "internal-name");
  if (pspec != NULL && pspec->value_type == G_TYPE_STRING && (pspec->flags & G_PARAM_READABLE))
    {
      g_object_get (device, "internal-name", &id, NULL);
      if (id != NULL && *id != '\0')
        return id;
      g_clear_pointer (&id, g_free);
    }

  g_autofree char *card = field_text (props, "alsa.card");
  g_autofree char *dev = field_text (props, "alsa.device");
  if (card != NULL && dev != NULL)
    return g_strdup_printf ("hw:%s,%s", card, dev);

  id = gst_device_get_display_name (device);
  if (id != NULL && *id != '\0')
    return id;
  g_free (id);
  return g_strdup ("unnamed");
}

static gboolean
device_is_default (const GstStructure *props)
{
  g_autofree char *text = field_text (props, "is-default");
  return text != NULL && (g_ascii_strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0);
}

static Entry *
entry_new (GstDevice *device, MediaDeviceKind kind)
{
  g_autoptr (GstStructure) props = gst_device_get_properties (device);
  Entry *entry = g_new0 (Entry, 1);
  entry->device = gst_object_ref (device);
  entry->info = g_new0 (MediaDeviceInfo, 1);
  entry->info->id = device_id (device, props);
  entry->info->name = gst_device_get_display_name (device);
  if (entry->info->name == NULL)
    entry->info->name = g_strdup (entry->info->id);
  entry->info->kind = kind;
  entry->info->is_default = device_is_default (props);
  return entry;
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;
  gst_object_unref (entry->device);
  media_device_info_free (entry->info);
  g_free (entry);
}

/* ---- the list, kept by the bus messages ---- */

static gboolean
find_device (MediaDevices *self, GstDevice *device, guint *index)
{
  for (guint i = 0; i < self->entries->len; i++)
    if (((Entry *) g_ptr_array_index (self->entries, i))->device == device)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

static Entry *
find_entry (MediaDevices *self, MediaDeviceKind kind, const char *id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);
      if (entry->info->kind == kind && strcmp (entry->info->id, id) == 0)
        return entry;
    }
  return NULL;
}

static void
emit_changed (MediaDevices *self, MediaDevicesChange change, const MediaDeviceInfo *info)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, change, info);
}

/* The snapshot at start and the messages posted while the providers
 * started both name the first devices: one entry per GstDevice. */
static void
add_device (MediaDevices *self, GstDevice *device, gboolean emit)
{
  MediaDeviceKind kind;
  guint index;
  if (!device_kind (device, &kind) || find_device (self, device, &index))
    return;
  Entry *entry = entry_new (device, kind);
  g_ptr_array_add (self->entries, entry);
  if (emit)
    emit_changed (self, MEDIA_DEVICES_ADDED, entry->info);
}

static void
remove_device (MediaDevices *self, GstDevice *device)
{
  guint index;
  if (!find_device (self, device, &index))
    return;
  Entry *entry = g_ptr_array_steal_index (self->entries, index);
  emit_changed (self, MEDIA_DEVICES_REMOVED, entry->info);
  entry_free (entry);
}

/* GST_MESSAGE_DEVICE_CHANGED: the provider replaced @old by @device (a new
 * GstDevice for the same device, e.g. PulseAudio's when the default
 * changes): same place in the list. */
static void
replace_device (MediaDevices *self, GstDevice *device, GstDevice *old)
{
  guint index, present;
  MediaDeviceKind kind;
  if (old == NULL || !find_device (self, old, &index))
    {
      add_device (self, device, TRUE);
      return;
    }
  if (find_device (self, device, &present) || !device_kind (device, &kind))
    {
      remove_device (self, old);
      return;
    }
  Entry *entry = entry_new (device, kind);
  entry_free (self->entries->pdata[index]);
  self->entries->pdata[index] = entry;
  emit_changed (self, MEDIA_DEVICES_CHANGED, entry->info);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  MediaDevices *self = g_object_ref (user_data); /* a handler may drop the last reference */
  GstDevice *device = NULL, *old = NULL;
  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_DEVICE_ADDED:
      gst_message_parse_device_added (message, &device);
      add_device (self, device, TRUE);
      break;
    case GST_MESSAGE_DEVICE_REMOVED:
      gst_message_parse_device_removed (message, &device);
      remove_device (self, device);
      break;
    case GST_MESSAGE_DEVICE_CHANGED:
      gst_message_parse_device_changed (message, &device, &old);
      replace_device (self, device, old);
      break;
    default:
      break;
    }
  gst_clear_object (&device);
  gst_clear_object (&old);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---- */

/* The devices present at start, from the providers that started: their
 * ADDED messages for the same devices are still queued on the bus and
 * change nothing.  Not gst_device_monitor_get_devices(): it also probes
 * the providers that failed to start (PulseAudio without a server tries to
 * connect once more), and their devices would never be removed.  Hidden
 * providers are left out as the monitor does (gstdevicemonitor.c). */
static void
add_started_devices (MediaDevices *self)
{
  g_auto (GStrv) names = gst_device_monitor_get_providers (self->monitor);
  g_autoptr (GPtrArray) started = g_ptr_array_new_with_free_func (gst_object_unref);
  g_autoptr (GHashTable) hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (char **name = names; name != NULL && *name != NULL; name++)
    {
      /* the factory's one instance, the monitor's too */
      GstDeviceProvider *provider = gst_device_provider_factory_get_by_name (*name);
      if (provider == NULL)
        continue;
      if (!gst_device_provider_is_started (provider))
        {
          gst_object_unref (provider);
          continue;
        }
      g_auto (GStrv) hides = gst_device_provider_get_hidden_providers (provider);
      for (char **h = hides; h != NULL && *h != NULL; h++)
        g_hash_table_add (hidden, g_strdup (*h));
      g_ptr_array_add (started, provider);
    }
  gboolean show_all = gst_device_monitor_get_show_all_devices (self->monitor);
  for (guint i = 0; i < started->len; i++)
    {
      GstDeviceProvider *provider = g_ptr_array_index (started, i);
      GstDeviceProviderFactory *factory = gst_device_provider_get_factory (provider);
      if (!show_all && factory != NULL && g_hash_table_contains (hidden, GST_OBJECT_NAME (factory)))
        continue;
      GList *devices = gst_device_provider_get_devices (provider);
      for (GList *l = devices; l != NULL; l = l->next) /* the oldest first */
        add_device (self, l->data, FALSE);
      g_list_free_full (devices, gst_object_unref);
    }
}

MediaDevices *
media_devices_new (void)
{
  return g_object_new (MEDIA_TYPE_DEVICES, NULL);
}

gboolean
media_devices_start (MediaDevices *self, GError **error)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), FALSE);
  if (self->monitor != NULL)
    return TRUE;
  g_autoptr (GError) local = NULL;
  if (!gst_init_check (NULL, NULL, &local))
    {
      g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_FAILED, "GStreamer: %s",
                   local->message);
      return FALSE;
    }

  self->monitor = gst_device_monitor_new ();
  for (guint k = 0; k < G_N_ELEMENTS (kind_classes); k++)
    gst_device_monitor_add_filter (self->monitor, kind_classes[k], NULL);

  GstBus *bus = gst_device_monitor_get_bus (self->monitor);
  self->watch = gst_bus_create_watch (bus);
  gst_object_unref (bus);
  g_source_set_callback (self->watch, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->watch, self->context);

  /* FALSE: no provider matched the filters or none could start (no sound
   * server; the ALSA provider only probes, so it always starts) */
  self->monitoring = gst_device_monitor_start (self->monitor);
  if (self->monitoring)
    add_started_devices (self);
  return TRUE;
}

void
media_devices_stop (MediaDevices *self)
{
  g_return_if_fail (MEDIA_IS_DEVICES (self));
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
  if (self->monitor != NULL)
    {
      gst_device_monitor_stop (self->monitor); /* a no-op when it did not start */
      gst_clear_object (&self->monitor);
    }
  self->monitoring = FALSE;
  g_ptr_array_set_size (self->entries, 0);
}

gboolean
media_devices_is_monitoring (MediaDevices *self)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), FALSE);
  return self->monitoring;
}

/* ---- lists ---- */

GPtrArray *
media_devices_list (MediaDevices *self, MediaDeviceKind kind)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), NULL);
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) media_device_info_free);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);
      if (entry->info->kind == kind)
        g_ptr_array_add (list, media_device_info_copy (entry->info));
    }
  return list;
}

MediaDeviceInfo *
media_devices_lookup (MediaDevices *self, MediaDeviceKind kind, const char *id)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  Entry *entry = find_entry (self, kind, id);
  return entry != NULL ? media_device_info_copy (entry->info) : NULL;
}

GstDevice *
media_devices_get_device (MediaDevices *self, MediaDeviceKind kind, const char *id)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  Entry *entry = find_entry (self, kind, id);
  return entry != NULL ? gst_object_ref (entry->device) : NULL;
}

/* ---- descriptions ---- */

static gboolean
values_equal (GParamSpec *pspec, const GValue *a, const GValue *b)
{
  if (g_value_fits_pointer (a) && g_value_fits_pointer (b))
    {
      gconstpointer pa = g_value_peek_pointer (a), pb = g_value_peek_pointer (b);
      if (pa == pb)
        return TRUE;
      if (pa == NULL || pb == NULL)
        return FALSE; /* before gst_value_compare(), which may not take NULL */
    }
  if (G_VALUE_HOLDS_STRING (a))
    return strcmp (g_value_get_string (a), g_value_get_string (b)) == 0;
  if (gst_value_can_compare (a, b))
    return gst_value_compare (a, b) == GST_VALUE_EQUAL;
  return g_param_values_cmp (pspec, a, b) == 0;
}

/* A value as gst-launch takes it: bare when it is made of characters the
 * parser takes literally, else in double quotes with '"' and '\' escaped
 * (gst_parse_unescape() drops the backslashes).  Not gst_string_wrap(): it
 * writes octal escapes that the parser does not undo. */
static char *
launch_value (const char *text)
{
  gboolean bare = *text != '\0';
  for (const char *p = text; *p != '\0' && bare; p++)
    bare = g_ascii_isalnum (*p) || strchr ("_-.:/+,@%", *p) != NULL;
  if (bare)
    return g_strdup (text);
  GString *quoted = g_string_new ("\"");
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

/* NULL: the value has no text form (an object, a pointer). */
static char *
value_text (const GValue *value)
{
  if (g_value_fits_pointer (value) && g_value_peek_pointer (value) == NULL)
    return g_strdup ("NULL"); /* what gst_value_deserialize() reads as NULL */
  if (G_VALUE_HOLDS_STRING (value))
    return launch_value (g_value_get_string (value));
  g_autofree char *text = gst_value_serialize (value);
  return text != NULL ? launch_value (text) : NULL;
}

static void
get_value (GstElement *element, GParamSpec *pspec, GValue *value)
{
  g_value_init (value, pspec->value_type);
  g_object_get_property (G_OBJECT (element), pspec->name, value);
}

/* The description parsed as CallMedia parses it (media-pipeline.c) must
 * give one element of the same factory with the same values of @set. */
static gboolean
check_description (const char *description, GstElement *element, GPtrArray *set, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &local);
  if (bin != NULL)
    gst_object_ref_sink (bin);
  gboolean same = bin != NULL && local == NULL && GST_BIN_NUMCHILDREN (bin) == 1;
  if (same)
    {
      GstElement *parsed = GST_BIN_CHILDREN (bin)->data;
      same = gst_element_get_factory (parsed) == gst_element_get_factory (element);
      for (guint i = 0; same && i < set->len; i++)
        {
          GParamSpec *pspec = g_ptr_array_index (set, i);
          GValue theirs = G_VALUE_INIT, ours = G_VALUE_INIT;
          get_value (parsed, pspec, &theirs);
          get_value (element, pspec, &ours);
          same = values_equal (pspec, &theirs, &ours);
          g_value_unset (&theirs);
          g_value_unset (&ours);
        }
    }
  if (bin != NULL)
    gst_object_unref (bin);
  if (!same)
    g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE,
                 "“%s” does not give back the device's element%s%s", description,
                 local != NULL ? ": " : "", local != NULL ? local->message : "");
  return same;
}

/* "FACTORY PROP=VALUE ..." with the properties where @element differs
 * from a fresh element of its factory: those the provider set. */
static char *
element_description (GstElement *element, GError **error)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  if (factory == NULL)
    {
      g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE,
                   "the device's element %s has no factory", GST_OBJECT_NAME (element));
      return NULL;
    }
  const char *factory_name = gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory));
  GstElement *fresh = gst_element_factory_create (factory, NULL);
  if (fresh == NULL)
    {
      g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_FAILED,
                   "could not make a second “%s”", factory_name);
      return NULL;
    }
  gst_object_ref_sink (fresh);

  GString *description = g_string_new (factory_name);
  g_autoptr (GPtrArray) set = g_ptr_array_new ();
  guint n_specs = 0;
  g_autofree GParamSpec **specs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n_specs);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n_specs; i++)
    {
      GParamSpec *pspec = specs[i];
      if ((pspec->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE
          || strcmp (pspec->name, "name") == 0 || strcmp (pspec->name, "parent") == 0)
        continue;
      GValue ours = G_VALUE_INIT, theirs = G_VALUE_INIT;
      get_value (element, pspec, &ours);
      get_value (fresh, pspec, &theirs);
      if (!values_equal (pspec, &ours, &theirs))
        {
          g_autofree char *text = value_text (&ours);
          if (text != NULL)
            {
              g_string_append_printf (description, " %s=%s", pspec->name, text);
              g_ptr_array_add (set, pspec);
            }
          else
            {
              g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE,
                           "%s's property “%s” (%s) has no text form", factory_name, pspec->name,
                           g_type_name (pspec->value_type));
              ok = FALSE;
            }
        }
      g_value_unset (&ours);
      g_value_unset (&theirs);
    }
  gst_object_unref (fresh);

  if (ok)
    ok = check_description (description->str, element, set, error);
  return g_string_free (description, !ok);
}

static char *
describe (MediaDevices *self, MediaDeviceKind kind, const char *id, GError **error)
{
  g_return_val_if_fail (MEDIA_IS_DEVICES (self), NULL);
  if (id == NULL || *id == '\0')
    return g_strdup (kind_defaults[kind]);
  Entry *entry = find_entry (self, kind, id);
  if (entry == NULL)
    {
      g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_FOUND,
                   "no audio %s “%s” is present", kind_names[kind], id);
      return NULL;
    }
  GstElement *element = gst_device_create_element (entry->device, NULL);
  if (element == NULL)
    {
      g_set_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_FAILED,
                   "audio %s “%s” made no element", kind_names[kind], id);
      return NULL;
    }
  gst_object_ref_sink (element);
  char *description = element_description (element, error);
  gst_object_unref (element);
  return description;
}

char *
media_devices_source_description (MediaDevices *self, const char *id, GError **error)
{
  return describe (self, MEDIA_DEVICE_SOURCE, id, error);
}

char *
media_devices_sink_description (MediaDevices *self, const char *id, GError **error)
{
  return describe (self, MEDIA_DEVICE_SINK, id, error);
}

/* ---- GObject ---- */

static void
media_devices_dispose (GObject *object)
{
  media_devices_stop (MEDIA_DEVICES (object));
  G_OBJECT_CLASS (media_devices_parent_class)->dispose (object);
}

static void
media_devices_finalize (GObject *object)
{
  MediaDevices *self = MEDIA_DEVICES (object);
  g_ptr_array_unref (self->entries);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (media_devices_parent_class)->finalize (object);
}

static void
media_devices_init (MediaDevices *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->entries = g_ptr_array_new_with_free_func (entry_free);
}

static void
media_devices_class_init (MediaDevicesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = media_devices_dispose;
  object_class->finalize = media_devices_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new (
      "changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
      MEDIA_TYPE_DEVICES_CHANGE, MEDIA_TYPE_DEVICE_INFO | G_SIGNAL_TYPE_STATIC_SCOPE);
}
