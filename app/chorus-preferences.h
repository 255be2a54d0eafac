/* chorus-preferences.h: the preferences window (Ctrl+,).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "media-devices.h"

G_BEGIN_DECLS

#define CHORUS_TYPE_PREFERENCES (chorus_preferences_get_type ())
G_DECLARE_FINAL_TYPE (ChorusPreferences, chorus_preferences, CHORUS, PREFERENCES,
                      AdwPreferencesWindow)

/* Edits @settings (the app's schema); lists the devices of @devices. */
ChorusPreferences *chorus_preferences_new (GtkWindow *parent, GSettings *settings,
                                           MediaDevices *devices);

G_END_DECLS
