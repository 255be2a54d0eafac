/* chorus-invite.h: the enrollment link a new device joins an overlay with.
 *
 *   chorus-invite://HOST:PORT/PATH?overlay=OVERLAY&user=USER&secret=SECRET&sha256=FINGERPRINT
 *
 * HOST:PORT/PATH is the enrollment server (https://HOST:PORT/PATH takes
 * the POST of RFC 6940 §11.3; https://HOST:PORT/.well-known/reload-config
 * serves the configuration document, §11.2); an IPv6 HOST is in
 * brackets; PORT defaults to 443.  OVERLAY is the overlay's name (the
 * configuration's instance-name), USER the user name the certificate will
 * carry (its rfc822Name, percent-encoded), SECRET the one-time password
 * (32 lowercase hex digits) and FINGERPRINT the SHA-256 of the server's
 * TLS certificate (DER), 64 hex digits: the only thing a new device needs
 * to trust, since the server's certificate is the overlay's own.  Unknown
 * parameters are ignored, so that later versions can add some.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CHORUS_INVITE_SCHEME "chorus-invite"
#define CHORUS_INVITE_SECRET_HEX 32
#define CHORUS_INVITE_DEFAULT_PORT 443

typedef struct
{
  char *host; /* a name or an address literal, without brackets */
  guint16 port;
  char *path; /* begins with '/' */
  char *overlay;
  char *user;
  char *secret;
  guint8 fingerprint[32];
} ChorusInvite;

/* Parses a link; surrounding white space (a pasted link) is ignored.
 * Fails with CHORUS_ENROLL_ERROR_INVALID_LINK saying what is wrong. */
ChorusInvite *chorus_invite_parse (const char *link, GError **error);
/* The link (the inverse of chorus_invite_parse). */
char *chorus_invite_to_string (const ChorusInvite *invite);
/* https://HOST:PORT/PATH and https://HOST:PORT/.well-known/reload-config */
char *chorus_invite_get_enroll_url (const ChorusInvite *invite);
char *chorus_invite_get_config_url (const ChorusInvite *invite);
ChorusInvite *chorus_invite_copy (const ChorusInvite *invite);
void chorus_invite_free (ChorusInvite *invite);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusInvite, chorus_invite_free)

/* 64 lowercase hex digits of @fp. */
char *chorus_fingerprint_to_hex (const guint8 fp[32]);
gboolean chorus_fingerprint_from_hex (const char *hex, guint8 out[32]);

G_END_DECLS
