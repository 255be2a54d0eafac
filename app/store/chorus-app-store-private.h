/* chorus-app-store-private.h: what ChorusAppStore uses of its item
 * objects and the UI may not (construction and changes).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-contact.h"
#include "chorus-history-entry.h"

G_BEGIN_DECLS

ChorusContact *chorus_contact_new (gint64 id, const char *name, const char *aor);
/* Changes name and address, notifying what changed. */
void chorus_contact_set (ChorusContact *self, const char *name, const char *aor);
/* The contacts' order: by name without case (g_utf8_collate_key of the
 * case-folded name), then by name, then by address (unique): a total
 * order.  A GCompareDataFunc. */
int chorus_contact_compare (gconstpointer a, gconstpointer b, gpointer unused);

/* @started is kept in local time. */
ChorusHistoryEntry *chorus_history_entry_new (gint64 id, ChorusCallDirection direction,
                                              const char *remote, const char *name,
                                              GDateTime *started, guint duration_s,
                                              const char *status, gboolean seen);
/* Sets the contact's name (NULL: none), notifying when it changes. */
void chorus_history_entry_set_name (ChorusHistoryEntry *self, const char *name);
/* Marks a missed call seen, notifying when it changes. */
void chorus_history_entry_set_seen (ChorusHistoryEntry *self);
/* The newest first: by start time, then by id (a GCompareDataFunc). */
int chorus_history_entry_compare (gconstpointer a, gconstpointer b, gpointer unused);

G_END_DECLS
