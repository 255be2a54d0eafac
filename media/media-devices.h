/* media-devices.h: the audio devices of this machine (microphones and
 * speakers) as a GstDeviceMonitor sees them, for the preferences list and
 * for the "source" / "sink" properties of CallMedia (call-media.h).
 *
 * What is stored in the settings is a device's id (MediaDeviceInfo.id): a
 * name that stays the same across restarts of the program and of the sound
 * server where the system has one (see media-devices.c for the properties
 * it is made of).  When a call starts, the id becomes a gst-launch
 * description of the element that opens that device:
 *
 *   MediaDevices *devices = media_devices_new ();
 *   media_devices_start (devices, NULL);
 *   ...
 *   char *source = media_devices_source_description (devices, stored_id, &error);
 *   g_object_set (call_media, "source", source, NULL);
 *     e.g. "pulsesrc device=alsa_input.pci-0000_00_1f.3.analog-stereo",
 *          "pipewiresrc target-object=58", "alsasrc device=hw:0,0";
 *          NULL or "" as the id: "autoaudiosrc" (the system's default).
 *
 * A description is only handed out when it is known to reproduce the
 * device's element: it is parsed back (gst_parse_bin_from_description, as
 * CallMedia does) and compared.  A device whose element cannot be written
 * as text (a property holding an object, for instance) gives
 * MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE; media_devices_get_device() then
 * gives the GstDevice itself (gst_device_create_element()).
 *
 * Without a sound server and without a sound card (a CI machine) nothing
 * fails: the lists are empty, the descriptions of NULL are the auto
 * elements, and any other id is MEDIA_DEVICES_ERROR_NOT_FOUND.
 *
 * Threads: the object belongs to the thread that made it.  ::changed comes
 * on that thread's thread-default GMainContext (at media_devices_new()),
 * and the lists change only there, just before the signal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MEDIA_DEVICES_ERROR (media_devices_error_quark ())
GQuark media_devices_error_quark (void);

typedef enum
{
  MEDIA_DEVICES_ERROR_FAILED,    /* GStreamer could not start, or the device made no element */
  MEDIA_DEVICES_ERROR_NOT_FOUND, /* no device of that kind with that id (now) */
  MEDIA_DEVICES_ERROR_NOT_EXPRESSIBLE, /* the element cannot be written as a description */
} MediaDevicesError;

typedef enum
{
  MEDIA_DEVICE_SOURCE, /* "Audio/Source": a microphone */
  MEDIA_DEVICE_SINK,   /* "Audio/Sink": speakers, headphones */
} MediaDeviceKind;

typedef enum
{
  MEDIA_DEVICES_ADDED,
  MEDIA_DEVICES_REMOVED,
  MEDIA_DEVICES_CHANGED, /* the same device, new properties (e.g. it became the default) */
} MediaDevicesChange;

#define MEDIA_TYPE_DEVICE_KIND (media_device_kind_get_type ())
GType media_device_kind_get_type (void);
#define MEDIA_TYPE_DEVICES_CHANGE (media_devices_change_get_type ())
GType media_devices_change_get_type (void);

typedef struct
{
  char *id;   /* what to store in the settings */
  char *name; /* for people: GstDevice's display name */
  MediaDeviceKind kind;
  gboolean is_default; /* the provider's "is-default" property (PulseAudio sets it) */
} MediaDeviceInfo;

#define MEDIA_TYPE_DEVICE_INFO (media_device_info_get_type ())
GType media_device_info_get_type (void);
MediaDeviceInfo *media_device_info_copy (const MediaDeviceInfo *info);
void media_device_info_free (MediaDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MediaDeviceInfo, media_device_info_free)

#define MEDIA_TYPE_DEVICES (media_devices_get_type ())
G_DECLARE_FINAL_TYPE (MediaDevices, media_devices, MEDIA, DEVICES, GObject)

/* Signal ::changed (MediaDevicesChange change, const MediaDeviceInfo *info):
 * one device came, went or changed; the lists already show it. */

MediaDevices *media_devices_new (void);

/* Watches "Audio/Source" and "Audio/Sink" devices; the lists hold the
 * devices present now.  FALSE (with @error) only when GStreamer cannot be
 * initialised.  No device provider able to run (no sound server) is no
 * error: the lists stay empty and media_devices_is_monitoring() says
 * FALSE.  A provider that failed to start is not tried again until the
 * next start.  Does nothing when started. */
gboolean media_devices_start (MediaDevices *self, GError **error);
/* Stops watching and empties the lists; no signal follows.  Idempotent;
 * start may follow again.  The last unref stops too. */
void media_devices_stop (MediaDevices *self);
/* TRUE while at least one device provider runs (those that only probe,
 * such as ALSA's or DeckLink's, always "run" and never report changes):
 * FALSE means ::changed cannot come. */
gboolean media_devices_is_monitoring (MediaDevices *self);

/* The devices of @kind present now, in the order they came (element type
 * MediaDeviceInfo, freed by the array). */
GPtrArray *media_devices_list (MediaDevices *self, MediaDeviceKind kind);
/* The device of @kind with @id, or NULL.  Ids are unique per kind as far as
 * the providers' properties make them so; with duplicates the first wins. */
MediaDeviceInfo *media_devices_lookup (MediaDevices *self, MediaDeviceKind kind, const char *id);
/* The GstDevice itself (a new reference), or NULL: for what a description
 * cannot say (gst_device_create_element(), gst_device_reconfigure_element()). */
GstDevice *media_devices_get_device (MediaDevices *self, MediaDeviceKind kind, const char *id);

/* What CallMedia's "source" / "sink" take for the device @id (see above);
 * NULL or "" gives "autoaudiosrc" / "autoaudiosink".  NULL with @error
 * (MEDIA_DEVICES_ERROR_*) otherwise. */
char *media_devices_source_description (MediaDevices *self, const char *id, GError **error);
char *media_devices_sink_description (MediaDevices *self, const char *id, GError **error);

G_END_DECLS
