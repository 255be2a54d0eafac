/* chorus-application.h: the softphone (`chorus`).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CHORUS_APP_ID "io.github.chorusp2p.Chorus"

#define CHORUS_TYPE_APPLICATION (chorus_application_get_type ())
G_DECLARE_FINAL_TYPE (ChorusApplication, chorus_application, CHORUS, APPLICATION, AdwApplication)

ChorusApplication *chorus_application_new (void);
/* Milliseconds since the program started (main() noted the time): the
 * log's "window shown" and "online" lines, which bench_app.py reads. */
double chorus_application_uptime_ms (void);

G_END_DECLS
