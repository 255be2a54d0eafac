/* chorus-window.h: the softphone's main window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "chorus-app-session.h"
#include "chorus-app-store.h"

G_BEGIN_DECLS

#define CHORUS_TYPE_WINDOW (chorus_window_get_type ())
G_DECLARE_FINAL_TYPE (ChorusWindow, chorus_window, CHORUS, WINDOW, AdwApplicationWindow)

ChorusWindow *chorus_window_new (GtkApplication *app);
/* Shows the welcome page (no profile yet). */
void chorus_window_show_welcome (ChorusWindow *self);
/* Shows a busy page with @title while a profile is created or joined. */
void chorus_window_show_busy (ChorusWindow *self, const char *title);
/* A first run that failed: back to the welcome page, saying why. */
void chorus_window_show_welcome_error (ChorusWindow *self, const char *message);
/* Daily use, with this session and its store. */
void chorus_window_show_main (ChorusWindow *self, ChorusAppSession *session, ChorusAppStore *store);
/* Shows the invitation @link (and its QR code) on the overlay page. */
void chorus_window_show_invite (ChorusWindow *self, const char *link);
/* Shows the page @name of the main view: "calls", "contacts",
 * "history", "overlay". */
void chorus_window_show_page (ChorusWindow *self, const char *name);
/* Writes what the window shows now to @path (PNG). */
gboolean chorus_window_save_screenshot (ChorusWindow *self, const char *path, GError **error);
/* Puts @aor in the dial entry and shows the calls page. */
void chorus_window_set_dial (ChorusWindow *self, const char *aor);

G_END_DECLS
