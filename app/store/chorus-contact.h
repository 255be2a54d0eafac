/* chorus-contact.h: one entry of the address book (ChorusAppStore).
 *
 * A contact is a display name and an address of record (chorus-aor.h's
 * normal form), with the id of its row.  Only the store changes it (its
 * properties are read-only and notify when the store updates them), so a
 * window can bind to them with GtkExpression or GtkBuilder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CHORUS_TYPE_CONTACT (chorus_contact_get_type ())
G_DECLARE_FINAL_TYPE (ChorusContact, chorus_contact, CHORUS, CONTACT, GObject)

/* The row id, > 0. */
gint64 chorus_contact_get_id (ChorusContact *self);
/* The display name: trimmed, not empty. */
const char *chorus_contact_get_name (ChorusContact *self);
/* The address of record, normalized ("sip:alice@home.chorus"). */
const char *chorus_contact_get_aor (ChorusContact *self);

G_END_DECLS
