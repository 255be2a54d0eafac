/* chorus-history-entry.h: one call of the call history (ChorusAppStore).
 *
 * An entry is the direction of the call, the remote address of record,
 * when it started, how long it lasted and how it ended.  "name" is the
 * display name of the contact with that address, or NULL: the store keeps
 * it current as contacts are added, renamed and deleted (notify::name).
 * It also changes "seen" when the user has looked at the missed calls
 * (notify::seen).  The other properties never change.  All are read-only,
 * for GtkExpression and GtkBuilder bindings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The numbers are not stored (the database keeps the nicks), yet keep
 * them: the UI may switch on them. */
typedef enum
{
  CHORUS_CALL_INCOMING, /*< nick=incoming >*/
  CHORUS_CALL_OUTGOING, /*< nick=outgoing >*/
  CHORUS_CALL_MISSED,   /*< nick=missed >*/
} ChorusCallDirection;

#define CHORUS_TYPE_CALL_DIRECTION (chorus_call_direction_get_type ())
GType chorus_call_direction_get_type (void);

#define CHORUS_TYPE_HISTORY_ENTRY (chorus_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (ChorusHistoryEntry, chorus_history_entry, CHORUS, HISTORY_ENTRY, GObject)

/* The row id, > 0. */
gint64 chorus_history_entry_get_id (ChorusHistoryEntry *self);
ChorusCallDirection chorus_history_entry_get_direction (ChorusHistoryEntry *self);
/* The remote address of record, normalized. */
const char *chorus_history_entry_get_remote (ChorusHistoryEntry *self);
/* The matching contact's display name, or NULL. */
const char *chorus_history_entry_get_name (ChorusHistoryEntry *self);
/* When the call started, in local time (transfer none). */
GDateTime *chorus_history_entry_get_started (ChorusHistoryEntry *self);
guint chorus_history_entry_get_duration_s (ChorusHistoryEntry *self);
/* How it ended ("answered", "busy", "declined", ...), or NULL. */
const char *chorus_history_entry_get_status (ChorusHistoryEntry *self);
/* A missed call the user has seen (chorus_app_store_mark_missed_seen());
 * TRUE for the other directions.  Notifies when it changes. */
gboolean chorus_history_entry_get_seen (ChorusHistoryEntry *self);

G_END_DECLS
