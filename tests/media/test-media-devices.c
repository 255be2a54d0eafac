/* test-media-devices.c: MediaDevices (media/media-devices.h) without sound
 * hardware.  The machine's own device providers are exercised once (on a
 * CI machine: no sound server, no card, so nothing is listed and nothing
 * may fail); then they are taken out of this process's registry and a fake
 * GstDeviceProvider registered here announces the devices: listing and ids,
 * ::changed on add / remove / change in the creator's context, and the
 * descriptions parsed back as CallMedia parses them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

#include "media-devices.h"

#define FAKE_PROVIDER_NAME "chorustestdeviceprovider"

/* ---- a fake device: makes an element of any factory, with settings ---- */

#define FAKE_TYPE_DEVICE (fake_device_get_type ())
G_DECLARE_FINAL_TYPE (FakeDevice, fake_device, FAKE, DEVICE, GstDevice)

struct _FakeDevice
{
  GstDevice parent_instance;
  char *internal_name; /* as PulseAudio's and ALSA's devices have */
  char *factory;
  GStrv settings;    /* "property=value", set with gst_util_set_object_arg() */
  gboolean set_file; /* also sets the GFile of giosrc: no text form */
};

G_DEFINE_FINAL_TYPE (FakeDevice, fake_device, GST_TYPE_DEVICE)

enum
{
  PROP_INTERNAL_NAME = 1,
};

static GstElement *
fake_device_create_element (GstDevice *device, const char *name)
{
  FakeDevice *self = FAKE_DEVICE (device);
  GstElement *element = gst_element_factory_make (self->factory, name);
  if (element == NULL)
    return NULL;
  for (char **s = self->settings; s != NULL && *s != NULL; s++)
    {
      g_auto (GStrv) kv = g_strsplit (*s, "=", 2);
      gst_util_set_object_arg (G_OBJECT (element), kv[0], kv[1]);
    }
  if (self->set_file)
    {
      g_autoptr (GFile) file = g_file_new_for_path ("/nonexistent/chorus-test");
      g_object_set (element, "file", file, NULL);
    }
  return element;
}

static void
fake_device_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  FakeDevice *self = FAKE_DEVICE (object);
  if (id == PROP_INTERNAL_NAME)
    self->internal_name = g_value_dup_string (value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
fake_device_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  FakeDevice *self = FAKE_DEVICE (object);
  if (id == PROP_INTERNAL_NAME)
    g_value_set_string (value, self->internal_name);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
fake_device_finalize (GObject *object)
{
  FakeDevice *self = FAKE_DEVICE (object);
  g_free (self->internal_name);
  g_free (self->factory);
  g_strfreev (self->settings);
  G_OBJECT_CLASS (fake_device_parent_class)->finalize (object);
}

static void
fake_device_init (FakeDevice *self)
{
}

static void
fake_device_class_init (FakeDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->set_property = fake_device_set_property;
  object_class->get_property = fake_device_get_property;
  object_class->finalize = fake_device_finalize;
  GST_DEVICE_CLASS (klass)->create_element = fake_device_create_element;
  g_object_class_install_property (
      object_class, PROP_INTERNAL_NAME,
      g_param_spec_string ("internal-name", "Internal name", "The device's own name", NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
}

/* @props: a GstStructure in text form or NULL; @settings: NULL-terminated.
 * The test holds the returned reference. */
static GstDevice *
fake_device_new (const char *name, const char *klass, const char *props, const char *internal_name,
                 const char *factory, const char *const *settings)
{
  g_autoptr (GstStructure) structure =
      props != NULL ? gst_structure_from_string (props, NULL) : NULL;
  g_assert_true (props == NULL || structure != NULL);
  g_autoptr (GstCaps) caps = gst_caps_new_any ();
  FakeDevice *device =
      g_object_new (FAKE_TYPE_DEVICE, "display-name", name, "device-class", klass, "caps", caps,
                    "properties", structure, "internal-name", internal_name, NULL);
  device->factory = g_strdup (factory);
  device->settings = g_strdupv ((char **) settings);
  return GST_DEVICE (gst_object_ref_sink (device));
}

/* ---- the fake provider: its start announces `initial` ---- */

#define FAKE_TYPE_PROVIDER (fake_provider_get_type ())
G_DECLARE_FINAL_TYPE (FakeProvider, fake_provider, FAKE, PROVIDER, GstDeviceProvider)

struct _FakeProvider
{
  GstDeviceProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (FakeProvider, fake_provider, GST_TYPE_DEVICE_PROVIDER)

static GPtrArray *initial;  /* GstDevice */
static gboolean fail_start; /* as the PulseAudio provider without a server */

static GList *
fake_provider_probe (GstDeviceProvider *provider)
{
  return NULL;
}

static gboolean
fake_provider_start (GstDeviceProvider *provider)
{
  if (fail_start)
    return FALSE;
  for (guint i = 0; i < initial->len; i++)
    gst_device_provider_device_add (provider, g_ptr_array_index (initial, i));
  return TRUE;
}

static void
fake_provider_stop (GstDeviceProvider *provider)
{
}

static void
fake_provider_init (FakeProvider *self)
{
}

static void
fake_provider_class_init (FakeProviderClass *klass)
{
  GstDeviceProviderClass *provider_class = GST_DEVICE_PROVIDER_CLASS (klass);
  provider_class->probe = fake_provider_probe;
  provider_class->start = fake_provider_start;
  provider_class->stop = fake_provider_stop;
  gst_device_provider_class_set_static_metadata (
      provider_class, "Chorus test devices", "Source/Sink/Audio", "Fake audio devices", "Chorus");
}

/* the instance GstDeviceMonitor uses: one per factory */
static GstDeviceProvider *
fake_provider (void)
{
  GstDeviceProvider *provider = gst_device_provider_factory_get_by_name (FAKE_PROVIDER_NAME);
  g_assert_nonnull (provider);
  return provider;
}

/* The machine's providers (PulseAudio, ALSA, PipeWire, ...) out of this
 * process's registry: only the fake one is left to the monitor. */
static void
only_fake_provider (void)
{
  GList *factories = gst_device_provider_factory_list_get_device_providers (GST_RANK_NONE);
  for (GList *l = factories; l != NULL; l = l->next)
    if (strcmp (GST_OBJECT_NAME (l->data), FAKE_PROVIDER_NAME) != 0)
      gst_registry_remove_feature (gst_registry_get (), l->data);
  gst_plugin_feature_list_free (factories);
}

/* ---- helpers ---- */

typedef struct
{
  GPtrArray *changes; /* MediaDevicesChange as pointers */
  GPtrArray *infos;   /* MediaDeviceInfo copies */
  GThread *thread;    /* where the last one came */
} Changes;

static void
on_changed (MediaDevices *devices, MediaDevicesChange change, const MediaDeviceInfo *info,
            gpointer user_data)
{
  Changes *c = user_data;
  g_ptr_array_add (c->changes, GINT_TO_POINTER (change));
  g_ptr_array_add (c->infos, media_device_info_copy (info));
  c->thread = g_thread_self ();
}

static void
changes_init (Changes *c)
{
  c->changes = g_ptr_array_new ();
  c->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) media_device_info_free);
  c->thread = NULL;
}

static void
changes_clear (Changes *c)
{
  g_ptr_array_unref (c->changes);
  g_ptr_array_unref (c->infos);
}

/* everything already queued in @context */
static void
drain (GMainContext *context)
{
  while (g_main_context_iteration (context, FALSE))
    ;
}

static void
wait_changes (GMainContext *context, Changes *c, guint n)
{
  while (c->changes->len < n)
    g_main_context_iteration (context, TRUE);
}

static const MediaDeviceInfo *
find_info (GPtrArray *list, const char *id)
{
  for (guint i = 0; i < list->len; i++)
    {
      const MediaDeviceInfo *info = g_ptr_array_index (list, i);
      if (strcmp (info->id, id) == 0)
        return info;
    }
  return NULL;
}

/* parsed as media-pipeline.c parses CallMedia's "source"/"sink": the one
 * element inside (a new reference) */
static GstElement *
parse_one (const char *description)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bin);
  gst_object_ref_sink (bin);
  g_assert_cmpuint (GST_BIN_NUMCHILDREN (bin), ==, 1);
  GstElement *element = gst_object_ref (GST_BIN_CHILDREN (bin)->data);
  gst_object_unref (bin);
  return element;
}

static void
assert_defaults (MediaDevices *devices)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = media_devices_source_description (devices, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (src, ==, "autoaudiosrc");
  g_autofree char *sink = media_devices_sink_description (devices, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sink, ==, "autoaudiosink");
  g_autofree char *src_empty = media_devices_source_description (devices, "", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (src_empty, ==, "autoaudiosrc");
  g_autofree char *sink_empty = media_devices_sink_description (devices, "", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sink_empty, ==, "autoaudiosink");
  gst_object_unref (parse_one (src));
  gst_object_unref (parse_one (sink));
}

static void
assert_unknown (MediaDevices *devices, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = media_devices_source_description (devices, id, &error);
  g_assert_null (src);
  g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_autofree char *sink = media_devices_sink_description (devices, id, &error);
  g_assert_null (sink);
  g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_FOUND);
  g_assert_null (media_devices_lookup (devices, MEDIA_DEVICE_SOURCE, id));
  g_assert_null (media_devices_get_device (devices, MEDIA_DEVICE_SINK, id));
}

static void
assert_empty (MediaDevices *devices)
{
  g_autoptr (GPtrArray) sources = media_devices_list (devices, MEDIA_DEVICE_SOURCE);
  g_autoptr (GPtrArray) sinks = media_devices_list (devices, MEDIA_DEVICE_SINK);
  g_assert_cmpuint (sources->len, ==, 0);
  g_assert_cmpuint (sinks->len, ==, 0);
}

/* ---- the machine's own providers ---- */

/* Whatever this machine has (on CI: no server, no card): the monitor starts
 * and stops without a warning, every device listed has an id and a name,
 * and its description parses or is refused with a reason. */
static void
test_system (void)
{
  g_autoptr (MediaDevices) devices = media_devices_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (media_devices_start (devices, &error));
  g_assert_no_error (error);
  g_test_message ("monitoring: %s", media_devices_is_monitoring (devices) ? "yes" : "no");
  for (MediaDeviceKind kind = MEDIA_DEVICE_SOURCE; kind <= MEDIA_DEVICE_SINK; kind++)
    {
      g_autoptr (GPtrArray) list = media_devices_list (devices, kind);
      for (guint i = 0; i < list->len; i++)
        {
          const MediaDeviceInfo *info = g_ptr_array_index (list, i);
          g_assert_cmpint (info->kind, ==, kind);
          g_assert_nonnull (info->id);
          g_assert_cmpstr (info->id, !=, "");
          g_assert_nonnull (info->name);
          g_autofree char *d = kind == MEDIA_DEVICE_SOURCE
                                   ? media_devices_source_description (devices, info->id, &error)
                                   : media_devices_sink_description (devices, info->id, &error);
          g_test_message ("%s “%s” (%s)%s: %s", kind == MEDIA_DEVICE_SOURCE ? "source" : "sink",
                          info->name, info->id, info->is_default ? " default" : "",
                          d != NULL ? d : error->message);
          if (d != NULL)
            gst_object_unref (parse_one (d));
          else
            g_assert_true (error->domain == MEDIA_DEVICES_ERROR);
          g_clear_error (&error);
        }
    }
  assert_defaults (devices);
  assert_unknown (devices, "chorus-no-such-device");
  media_devices_stop (devices);
  assert_empty (devices);
  g_assert_false (media_devices_is_monitoring (devices));
}

/* ---- fake devices ---- */

/* after test_system: the fake provider registered, the others gone */
static void
fake_setup (void)
{
  static gboolean registered;
  if (!registered)
    registered = gst_device_provider_register (NULL, FAKE_PROVIDER_NAME, GST_RANK_PRIMARY,
                                               FAKE_TYPE_PROVIDER);
  g_assert_true (registered);
  only_fake_provider ();
  fail_start = FALSE;
  g_ptr_array_set_size (initial, 0);
}

/* No provider can start (the CI machine's case): empty lists, the auto
 * elements for the default, NOT_FOUND for the rest, a clean stop, start
 * again, and the same without ever starting. */
static void
test_headless (void)
{
  fake_setup ();
  fail_start = TRUE;

  g_autoptr (MediaDevices) never = media_devices_new ();
  assert_empty (never);
  assert_defaults (never);
  assert_unknown (never, "hw:0,0");
  media_devices_stop (never);

  g_autoptr (MediaDevices) devices = media_devices_new ();
  Changes c;
  changes_init (&c);
  g_signal_connect (devices, "changed", G_CALLBACK (on_changed), &c);
  g_autoptr (GError) error = NULL;
  g_assert_true (media_devices_start (devices, &error));
  g_assert_no_error (error);
  g_assert_false (media_devices_is_monitoring (devices));
  g_assert_true (media_devices_start (devices, &error)); /* started already */
  assert_empty (devices);
  assert_defaults (devices);
  assert_unknown (devices, "alsa_input.pci-0000_00_1f.3.analog-stereo");
  drain (g_main_context_default ());
  g_assert_cmpuint (c.changes->len, ==, 0);
  media_devices_stop (devices);
  media_devices_stop (devices);

  fail_start = FALSE; /* e.g. the sound server came up */
  g_assert_true (media_devices_start (devices, &error));
  g_assert_no_error (error);
  g_assert_true (media_devices_is_monitoring (devices));
  assert_empty (devices);
  media_devices_stop (devices);
  changes_clear (&c);
}

static const char *const mic_settings[] = { "freq=523.25", "is-live=true", "wave=ticks", NULL };
/* spaces, quotes, a backslash, UTF-8: what gst-launch needs quoted */
#define ODD_LOCATION "/tmp/chorus test/\"odd\" back\\slash \xc3\xa9t\xc3\xa9.raw"
static const char *const speaker_settings[] = { "location=" ODD_LOCATION, NULL };
static const char *const pulse_settings[] = { "device=alsa_input.pci-0000_00_1f.3.analog-stereo",
                                              NULL };
static const char *const alsa_settings[] = { "sync=true", NULL };

/* Devices shaped like the providers': PipeWire's node.name, object.path
 * and numeric device.id, PulseAudio's internal-name and alsa.* strings,
 * ALSA's int alsa.card, a WASAPI-like device.id, a bare display name. */
static void
add_initial_devices (void)
{
  g_ptr_array_add (initial, fake_device_new ("Test Microphone", "Audio/Source",
                                             "props, node.name=(string)chorus_test_mic, "
                                             "device.id=(string)45, is-default=(boolean)true",
                                             NULL, "audiotestsrc", mic_settings));
  g_ptr_array_add (initial, fake_device_new ("Test Speaker", "Audio/Sink", NULL, NULL, "filesink",
                                             speaker_settings));
  g_ptr_array_add (initial, fake_device_new ("Built-in Audio Analog Stereo", "Audio/Source",
                                             "props, device.api=(string)alsa, "
                                             "alsa.card=(string)0, alsa.device=(string)0",
                                             "alsa_input.pci-0000_00_1f.3.analog-stereo",
                                             "pulsesrc", pulse_settings));
  g_ptr_array_add (initial, fake_device_new ("HDA Intel PCH", "Audio/Sink",
                                             "props, device.api=(string)alsa, alsa.card=(int)1, "
                                             "alsa.device=(string)3",
                                             NULL, "fakesink", alsa_settings));
  g_ptr_array_add (initial, fake_device_new ("PipeWire Capture", "Audio/Source",
                                             "props, device.id=(string)52, "
                                             "object.path=(string)alsa:pcm:0:front:0:capture",
                                             NULL, "audiotestsrc", NULL));
  g_ptr_array_add (initial, fake_device_new ("Headset", "Audio/Source",
                                             "props, device.id=(string)\"{0.0.1.00000000}.{4e2b}\"",
                                             NULL, "audiotestsrc", NULL));
}

/* The devices present at start are listed at once, with their ids, and
 * the provider's messages for them add nothing. */
static void
test_list (void)
{
  fake_setup ();
  add_initial_devices ();

  g_autoptr (MediaDevices) devices = media_devices_new ();
  Changes c;
  changes_init (&c);
  g_signal_connect (devices, "changed", G_CALLBACK (on_changed), &c);
  g_assert_true (media_devices_start (devices, NULL));
  g_assert_true (media_devices_is_monitoring (devices));

  g_autoptr (GPtrArray) sources = media_devices_list (devices, MEDIA_DEVICE_SOURCE);
  g_autoptr (GPtrArray) sinks = media_devices_list (devices, MEDIA_DEVICE_SINK);
  g_assert_cmpuint (sources->len, ==, 4);
  g_assert_cmpuint (sinks->len, ==, 2);

  /* in the order the provider announced them */
  g_assert_cmpstr (((MediaDeviceInfo *) sources->pdata[0])->id, ==, "chorus_test_mic");
  g_assert_cmpstr (((MediaDeviceInfo *) sources->pdata[3])->id, ==, "{0.0.1.00000000}.{4e2b}");
  g_assert_cmpstr (((MediaDeviceInfo *) sinks->pdata[0])->id, ==, "Test Speaker");

  const MediaDeviceInfo *mic = find_info (sources, "chorus_test_mic");
  g_assert_nonnull (mic);
  g_assert_cmpstr (mic->name, ==, "Test Microphone");
  g_assert_cmpint (mic->kind, ==, MEDIA_DEVICE_SOURCE);
  g_assert_true (mic->is_default);
  const MediaDeviceInfo *pulse = find_info (sources, "alsa_input.pci-0000_00_1f.3.analog-stereo");
  g_assert_nonnull (pulse);
  g_assert_false (pulse->is_default);
  g_assert_nonnull (find_info (sources, "alsa:pcm:0:front:0:capture"));
  g_assert_nonnull (find_info (sources, "{0.0.1.00000000}.{4e2b}"));
  const MediaDeviceInfo *speaker = find_info (sinks, "Test Speaker");
  g_assert_nonnull (speaker);
  g_assert_cmpint (speaker->kind, ==, MEDIA_DEVICE_SINK);
  g_assert_nonnull (find_info (sinks, "hw:1,3"));

  g_autoptr (MediaDeviceInfo) found = media_devices_lookup (devices, MEDIA_DEVICE_SINK, "hw:1,3");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "HDA Intel PCH");
  g_assert_null (media_devices_lookup (devices, MEDIA_DEVICE_SOURCE, "hw:1,3")); /* per kind */

  drain (g_main_context_default ());
  g_assert_cmpuint (c.changes->len, ==, 0);
  g_autoptr (GPtrArray) again = media_devices_list (devices, MEDIA_DEVICE_SOURCE);
  g_assert_cmpuint (again->len, ==, 4);

  media_devices_stop (devices);
  assert_empty (devices);
  changes_clear (&c);
}

typedef struct
{
  GstDeviceProvider *provider;
  GstDevice *device;
} AddLater;

static gpointer
add_from_thread (gpointer data)
{
  AddLater *a = data;
  gst_device_provider_device_add (a->provider, a->device);
  return NULL;
}

/* ::changed comes in the creator's thread-default context, not in the
 * provider's thread nor in the global default context, and the list has
 * changed when it comes: added, changed (it became the default), removed. */
static void
test_changed (void)
{
  fake_setup ();
  GMainContext *context = g_main_context_new ();
  g_main_context_push_thread_default (context);

  MediaDevices *devices = media_devices_new ();
  Changes c;
  changes_init (&c);
  g_signal_connect (devices, "changed", G_CALLBACK (on_changed), &c);
  g_assert_true (media_devices_start (devices, NULL));
  assert_empty (devices);

  GstDeviceProvider *provider = fake_provider ();
  GstDevice *usb =
      fake_device_new ("USB Headset", "Audio/Source", "props, node.name=(string)usb_headset_mic",
                       NULL, "audiotestsrc", NULL);
  AddLater a = { provider, usb };
  g_thread_join (g_thread_new ("provider", add_from_thread, &a));
  drain (g_main_context_default ());
  g_assert_cmpuint (c.changes->len, ==, 0);

  wait_changes (context, &c, 1);
  g_assert_cmpint (GPOINTER_TO_INT (c.changes->pdata[0]), ==, MEDIA_DEVICES_ADDED);
  const MediaDeviceInfo *info = c.infos->pdata[0];
  g_assert_cmpstr (info->id, ==, "usb_headset_mic");
  g_assert_cmpstr (info->name, ==, "USB Headset");
  g_assert_cmpint (info->kind, ==, MEDIA_DEVICE_SOURCE);
  g_assert_true (c.thread == g_thread_self ());
  g_autoptr (MediaDeviceInfo) listed =
      media_devices_lookup (devices, MEDIA_DEVICE_SOURCE, "usb_headset_mic");
  g_assert_nonnull (listed);
  g_assert_false (listed->is_default);
  g_autofree char *d = media_devices_source_description (devices, "usb_headset_mic", NULL);
  g_assert_cmpstr (d, ==, "audiotestsrc");

  /* PulseAudio's way when the default moves: a new GstDevice replaces it */
  GstDevice *usb_default = fake_device_new ("USB Headset", "Audio/Source",
                                            "props, node.name=(string)usb_headset_mic, "
                                            "is-default=(boolean)true",
                                            NULL, "audiotestsrc", NULL);
  gst_device_provider_device_changed (provider, usb_default, usb);
  wait_changes (context, &c, 2);
  g_assert_cmpint (GPOINTER_TO_INT (c.changes->pdata[1]), ==, MEDIA_DEVICES_CHANGED);
  g_assert_true (((MediaDeviceInfo *) c.infos->pdata[1])->is_default);
  g_autoptr (GPtrArray) sources = media_devices_list (devices, MEDIA_DEVICE_SOURCE);
  g_assert_cmpuint (sources->len, ==, 1);
  g_assert_true (((MediaDeviceInfo *) sources->pdata[0])->is_default);

  gst_device_provider_device_remove (provider, usb_default);
  wait_changes (context, &c, 3);
  g_assert_cmpint (GPOINTER_TO_INT (c.changes->pdata[2]), ==, MEDIA_DEVICES_REMOVED);
  g_assert_cmpstr (((MediaDeviceInfo *) c.infos->pdata[2])->id, ==, "usb_headset_mic");
  assert_empty (devices);
  assert_unknown (devices, "usb_headset_mic");

  /* a device that comes and goes before the context runs: both signals */
  gst_device_provider_device_add (provider, usb);
  gst_device_provider_device_remove (provider, usb);
  wait_changes (context, &c, 5);
  g_assert_cmpint (GPOINTER_TO_INT (c.changes->pdata[3]), ==, MEDIA_DEVICES_ADDED);
  g_assert_cmpint (GPOINTER_TO_INT (c.changes->pdata[4]), ==, MEDIA_DEVICES_REMOVED);
  assert_empty (devices);

  /* nothing after stop, even with messages queued */
  gst_device_provider_device_add (provider, usb);
  media_devices_stop (devices);
  drain (context);
  g_assert_cmpuint (c.changes->len, ==, 5);

  g_object_unref (devices);
  drain (context);
  gst_object_unref (usb);
  gst_object_unref (usb_default);
  gst_object_unref (provider);
  changes_clear (&c);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

static void
test_description (void)
{
  fake_setup ();
  add_initial_devices ();
  g_autoptr (MediaDevices) devices = media_devices_new ();
  g_assert_true (media_devices_start (devices, NULL));
  g_autoptr (GError) error = NULL;

  /* audiotestsrc with three settings: exactly those, parsed back */
  g_autofree char *mic = media_devices_source_description (devices, "chorus_test_mic", &error);
  g_assert_no_error (error);
  g_test_message ("mic: %s", mic);
  g_assert_true (g_str_has_prefix (mic, "audiotestsrc "));
  g_assert_nonnull (strstr (mic, " freq=523.25"));
  g_assert_nonnull (strstr (mic, " is-live=true"));
  g_assert_nonnull (strstr (mic, " wave=ticks"));
  GstElement *parsed = parse_one (mic);
  double freq = 0;
  gboolean live = FALSE;
  int wave = 0;
  g_object_get (parsed, "freq", &freq, "is-live", &live, "wave", &wave, NULL);
  g_assert_cmpfloat (freq, ==, 523.25);
  g_assert_true (live);
  GEnumClass *waves = g_type_class_ref (
      g_object_class_find_property (G_OBJECT_GET_CLASS (parsed), "wave")->value_type);
  g_assert_cmpint (wave, ==, g_enum_get_value_by_nick (waves, "ticks")->value);
  g_type_class_unref (waves);
  gst_object_unref (parsed);

  /* a string gst-launch needs quoted comes back byte for byte */
  g_autofree char *speaker = media_devices_sink_description (devices, "Test Speaker", &error);
  g_assert_no_error (error);
  g_test_message ("speaker: %s", speaker);
  parsed = parse_one (speaker);
  g_autofree char *location = NULL;
  g_object_get (parsed, "location", &location, NULL);
  g_assert_cmpstr (location, ==, ODD_LOCATION);
  gst_object_unref (parsed);

  g_autofree char *alsa = media_devices_sink_description (devices, "hw:1,3", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (alsa, ==, "fakesink sync=true");

  /* what the PulseAudio provider's device makes */
  g_autofree char *pulse = media_devices_source_description (
      devices, "alsa_input.pci-0000_00_1f.3.analog-stereo", &error);
  g_autoptr (GstElementFactory) pulsesrc = gst_element_factory_find ("pulsesrc");
  if (pulsesrc != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (pulse, ==, "pulsesrc device=alsa_input.pci-0000_00_1f.3.analog-stereo");
    }
  else
    {
      g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_FAILED);
      g_clear_error (&error);
    }

  /* ids are per kind */
  g_autofree char *wrong = media_devices_source_description (devices, "Test Speaker", &error);
  g_assert_null (wrong);
  g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_FOUND);
  g_clear_error (&error);

  media_devices_stop (devices);
}

/* Devices whose element cannot become a description: none at all, and
 * one holding an object (giosrc's GFile); the GstDevice is still there. */
static void
test_not_expressible (void)
{
  fake_setup ();
  g_ptr_array_add (initial, fake_device_new ("Broken", "Audio/Source", NULL, NULL,
                                             "chorus-no-such-element", NULL));
  GstDevice *file_device = fake_device_new ("File", "Audio/Source", NULL, NULL, "giosrc", NULL);
  FAKE_DEVICE (file_device)->set_file = TRUE;
  g_ptr_array_add (initial, file_device);
  g_autoptr (MediaDevices) devices = media_devices_new ();
  g_assert_true (media_devices_start (devices, NULL));
  g_autoptr (GError) error = NULL;

  g_autofree char *broken = media_devices_source_description (devices, "Broken", &error);
  g_assert_null (broken);
  g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_FAILED);
  g_clear_error (&error);

  g_autoptr (GstElementFactory) giosrc = gst_element_factory_find ("giosrc");
  if (giosrc == NULL)
    {
      g_test_skip ("no giosrc");
      media_devices_stop (devices);
      return;
    }
  g_autofree char *file = media_devices_source_description (devices, "File", &error);
  g_assert_null (file);
  g_assert_error (error, MEDIA_DEVICES_ERROR, MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE);
  g_test_message ("%s", error->message);
  g_autoptr (GstDevice) device = media_devices_get_device (devices, MEDIA_DEVICE_SOURCE, "File");
  g_assert_true (device == file_device);
  GstElement *element = gst_device_create_element (device, NULL);
  g_assert_nonnull (element);
  gst_object_unref (gst_object_ref_sink (element));
  media_devices_stop (devices);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  initial = g_ptr_array_new_with_free_func (gst_object_unref);

  g_test_add_func ("/media-devices/system", test_system);
  g_test_add_func ("/media-devices/headless", test_headless);
  g_test_add_func ("/media-devices/list", test_list);
  g_test_add_func ("/media-devices/changed", test_changed);
  g_test_add_func ("/media-devices/description", test_description);
  g_test_add_func ("/media-devices/not-expressible", test_not_expressible);
  int status = g_test_run ();
  g_ptr_array_unref (initial);
  return status;
}
