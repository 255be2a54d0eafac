/* chorus-ringer.h: the ringtone of incoming calls.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CHORUS_TYPE_RINGER (chorus_ringer_get_type ())
G_DECLARE_FINAL_TYPE (ChorusRinger, chorus_ringer, CHORUS, RINGER, GObject)

ChorusRinger *chorus_ringer_new (void);
/* Where it rings: a gst-launch sink description (media-devices.h gives
 * one for the chosen ring device); NULL: autoaudiosink.  Applies from the
 * next ring. */
void chorus_ringer_set_sink (ChorusRinger *self, const char *sink);
/* Rings (1 s of a 440 + 480 Hz tone, then 2 s of silence, again) until
 * stopped; a sink that cannot play is logged once and left silent. */
void chorus_ringer_start (ChorusRinger *self);
void chorus_ringer_stop (ChorusRinger *self);
gboolean chorus_ringer_is_ringing (ChorusRinger *self);

G_END_DECLS
