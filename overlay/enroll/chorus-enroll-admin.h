/* chorus-enroll-admin.h: the overlay administrator's side of enrollment,
 * on the directory `chorus-enroll init` made (DIR: ca.pem, ca-key.pem,
 * config.xml, signer/): the enrollment server's TLS identity and the
 * one-time invitations.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-config.h"

G_BEGIN_DECLS

#define CHORUS_ENROLL_SERVER_DIR "server"
#define CHORUS_ENROLL_CONFIG_FILE "config.xml"
#define CHORUS_ENROLL_DEFAULT_PATH "/enroll"
/* how long an invitation lasts when --expires is not given */
#define CHORUS_INVITE_DEFAULT_LIFETIME_S (7 * 24 * 3600)

/* The overlay's configuration in DIR (its own document: a CA trusts what
 * it signed, but the signature is checked all the same). */
ReloadConfig *chorus_enroll_load_config (const char *dir, GError **error);

/* The server's TLS identity in DIR/server/ (key, certificate of the
 * overlay's CA for the overlay name and the enrollment URL's host),
 * made on first use and kept, so that the fingerprint in invitations
 * stays valid.  @fingerprint receives the SHA-256 of the certificate. */
GTlsCertificate *chorus_enroll_server_identity (const char *dir, const ReloadConfig *cfg,
                                                guint8 fingerprint[32], GError **error);

/* A one-time invitation for @user (a user name without '@' gets
 * "@OVERLAY"), valid @lifetime_s seconds: the enrollment link
 * (chorus-invite.h).  Fails when the configuration has no https:
 * enrollment-server (chorus-enroll init --enrollment-url). */
char *chorus_enroll_create_invite (const char *dir, const char *user, gint64 lifetime_s,
                                   GError **error);

/* "alice" -> "alice@OVERLAY"; a name with '@' is kept. */
char *chorus_enroll_full_user_name (const char *user, const char *overlay);

G_END_DECLS
