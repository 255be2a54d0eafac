/* chorus-enroll-store.h: what the enrollment server remembers, in
 * DIR/enroll.db (SQLite): the one-time invitations and the devices it
 * has issued certificates to, with their Node-IDs (RFC 6940 §11.3: "The
 * enrollment server SHOULD maintain a mapping of users to Node-IDs").
 *
 * An invitation is one device: a user with a phone and a laptop gets two
 * invitations, two certificates with the same user name and different
 * Node-IDs, and both register under one AOR (RFC 7904: forking).  Secrets
 * are kept only as their SHA-256.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CHORUS_ENROLL_STORE_FILE "enroll.db"

typedef struct _ChorusEnrollStore ChorusEnrollStore;

ChorusEnrollStore *chorus_enroll_store_open (const char *dir, GError **error);
void chorus_enroll_store_free (ChorusEnrollStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusEnrollStore, chorus_enroll_store_free)

/* A new invitation for @user valid until @expires (Unix seconds); the
 * secret (CHORUS_INVITE_SECRET_HEX hex digits) is returned once. */
char *chorus_enroll_store_add_invite (ChorusEnrollStore *store, const char *user, gint64 now,
                                      gint64 expires, GError **error);

typedef enum
{
  CHORUS_INVITE_VALID,
  CHORUS_INVITE_UNKNOWN, /* no such secret, or not for this user */
  CHORUS_INVITE_USED,
  CHORUS_INVITE_EXPIRED,
} ChorusInviteState;

/* The state of the invitation of @user with @secret at @now. */
ChorusInviteState chorus_enroll_store_check_invite (ChorusEnrollStore *store, const char *user,
                                                    const char *secret, gint64 now, GError **error);
/* Whether a Node-ID (hex) was issued before. */
gboolean chorus_enroll_store_node_id_taken (ChorusEnrollStore *store, const char *node_id_hex,
                                            gboolean *taken, GError **error);
/* Consumes the invitation and records the device, atomically: fails with
 * CHORUS_ENROLL_ERROR_LINK_USED when another request consumed it first. */
gboolean chorus_enroll_store_record_device (ChorusEnrollStore *store, const char *user,
                                            const char *secret, const char *const *node_ids_hex,
                                            const char *serial_hex, gint64 now, GError **error);
/* Devices issued so far for @user (all users: NULL). */
gint64 chorus_enroll_store_count_devices (ChorusEnrollStore *store, const char *user,
                                          GError **error);

G_END_DECLS
