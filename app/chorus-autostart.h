/* chorus-autostart.h: "start on login": the XDG autostart entry outside a
 * sandbox, the Background portal inside Flatpak.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* $XDG_CONFIG_HOME/autostart/APP_ID.desktop */
char *chorus_autostart_path (void);
/* TRUE inside Flatpak (/.flatpak-info): the portal decides. */
gboolean chorus_autostart_is_sandboxed (void);
/* Starts Chorus in the background at login (`@command --background`), or
 * no longer.  Outside a sandbox: writes or removes the autostart entry
 * (XDG Autostart Specification) for @command (an absolute path, or NULL:
 * the running program); inside: asks the Background portal
 * (org.freedesktop.portal.Background.RequestBackground, autostart), whose
 * answer comes later (logged). */
gboolean chorus_autostart_set (gboolean enabled, const char *command, GError **error);

G_END_DECLS
