/* chorus-app-store.h: the softphone's own data, contacts and call
 * history, in a SQLite file of the user's profile (PROFILE/app.db).
 *
 * The file is opened with chorus-db (overlay/store/chorus-db.h): created
 * 0600, journal_mode=WAL, synchronous=NORMAL, foreign keys on, its schema
 * brought to the last of the migrations below by PRAGMA user_version; a
 * file written by a newer Chorus (a user_version this code does not know)
 * is refused with CHORUS_APP_STORE_ERROR_NEWER and left as it is.
 *
 * The store keeps two live GListModels that mirror the tables: every
 * change through the store is written first (prepared statements, a
 * transaction where it takes more than one) and then shown in the models
 * with items-changed at the right positions.  A change that fails leaves
 * the file and the models as they were.  One process owns the file
 * (GtkApplication is single-instance): changes made by another connection
 * are not seen until the store is opened again.  The store belongs to the
 * thread that opened it (the main thread).
 *
 * Contacts: a display name (trimmed, 1 to CHORUS_APP_STORE_MAX_NAME
 * characters, no control characters) and an address of record in
 * chorus-aor.h's normal form, one contact per address.  The model is
 * sorted by name without case (g_utf8_collate_key), then by address.
 * Addresses given to the store are normalized with the "default-domain"
 * property (NULL: a bare "alice" is refused).
 *
 * History: the calls, newest first (by start time, then by id), at most
 * CHORUS_APP_STORE_MAX_HISTORY of them: adding one more drops the oldest.
 * Each entry carries the display name of the contact with its address,
 * kept current as contacts change.  Missed calls are "unseen" until
 * chorus_app_store_mark_missed_seen(); "unseen-missed" counts them (for a
 * badge) and notifies when the count changes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "chorus-aor.h"
#include "chorus-contact.h"
#include "chorus-history-entry.h"

G_BEGIN_DECLS

/* The longest display name, in characters. */
#define CHORUS_APP_STORE_MAX_NAME 200
/* The most calls the history keeps. */
#define CHORUS_APP_STORE_MAX_HISTORY 1000
/* The longest call status ("answered", "busy", ...), in bytes. */
#define CHORUS_APP_STORE_MAX_STATUS 64

#define CHORUS_APP_STORE_ERROR (chorus_app_store_error_quark ())
GQuark chorus_app_store_error_quark (void);

typedef enum
{
  CHORUS_APP_STORE_ERROR_FAILED,    /* the database failed (message from SQLite) */
  CHORUS_APP_STORE_ERROR_INVALID,   /* a name, address or status the store refuses */
  CHORUS_APP_STORE_ERROR_EXISTS,    /* another contact has this address */
  CHORUS_APP_STORE_ERROR_NOT_FOUND, /* no contact or call with this id */
  CHORUS_APP_STORE_ERROR_NEWER,     /* the file was written by a newer Chorus */
} ChorusAppStoreError;

#define CHORUS_TYPE_APP_STORE (chorus_app_store_get_type ())
G_DECLARE_FINAL_TYPE (ChorusAppStore, chorus_app_store, CHORUS, APP_STORE, GObject)

/* Opens @path, creating it when it does not exist, and loads it. */
ChorusAppStore *chorus_app_store_open (const char *path, GError **error);
const char *chorus_app_store_get_path (ChorusAppStore *store);

/* The domain that completes a bare user name ("alice"), e.g. the overlay's
 * name; NULL (the default): none. */
void chorus_app_store_set_default_domain (ChorusAppStore *store, const char *domain);
const char *chorus_app_store_get_default_domain (ChorusAppStore *store);

/* Contacts.  add returns the new contact's id (> 0), or 0 with @error
 * set. */
gint64 chorus_app_store_add_contact (ChorusAppStore *store, const char *name, const char *aor,
                                     GError **error);
gboolean chorus_app_store_update_contact (ChorusAppStore *store, gint64 id, const char *name,
                                          const char *aor, GError **error);
gboolean chorus_app_store_delete_contact (ChorusAppStore *store, gint64 id, GError **error);
/* The live model of ChorusContact (transfer none; the same object on
 * every call).  An update changes the contact object in place (notify) and
 * emits items-changed (pos, 1, 1) where it stays, or a removal and an
 * insertion where its new name moves it. */
GListModel *chorus_app_store_get_contacts (ChorusAppStore *store);
/* The contact with address @aor (normalized first), transfer full, or
 * NULL. */
ChorusContact *chorus_app_store_find_contact (ChorusAppStore *store, const char *aor);

/* History.  add_call returns the new call's id (> 0), or 0 with @error
 * set; @status may be NULL. */
gint64 chorus_app_store_add_call (ChorusAppStore *store, ChorusCallDirection direction,
                                  const char *remote_aor, GDateTime *started, guint duration_s,
                                  const char *status, GError **error);
gboolean chorus_app_store_delete_call (ChorusAppStore *store, gint64 id, GError **error);
gboolean chorus_app_store_clear_history (ChorusAppStore *store, GError **error);
/* The live model of ChorusHistoryEntry, newest first (transfer none; the
 * same object on every call). */
GListModel *chorus_app_store_get_history (ChorusAppStore *store);
/* Missed calls not seen yet (the "unseen-missed" property). */
guint chorus_app_store_get_unseen_missed (ChorusAppStore *store);
gboolean chorus_app_store_mark_missed_seen (ChorusAppStore *store, GError **error);

G_END_DECLS
