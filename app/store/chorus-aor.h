/* chorus-aor.h: the addresses of record the softphone's user types and
 * keeps (contacts, call history), in one normal form.
 *
 * What a person types becomes a SIP or SIPS URI, parsed by libosip2
 * (osip_uri_parse; no parser of our own):
 *   - spaces around it are dropped, spaces (and control characters) inside
 *     are refused;
 *   - "alice" becomes "sip:alice@DEFAULT_DOMAIN" (refused when there is no
 *     default domain), "alice@example.org" becomes "sip:alice@example.org";
 *   - "sip:" and "sips:" are kept (the scheme in lower case); any other
 *     scheme ("tel:", "mailto:", "http:") is refused;
 *   - the host is lower case (RFC 3261 §19.1.4: hosts compare without
 *     case), the user part keeps its case (userinfo compares with case)
 *     and is written with the characters that may appear unescaped in a
 *     user part unescaped and every other one %-escaped (upper-case hex,
 *     §25.1), so that two spellings of one address are one string;
 *   - a port is kept; URI parameters and headers (";transport=tcp",
 *     "?subject=x") are not part of an address of record and are dropped;
 *   - an empty user, a password, a missing or malformed host, and anything
 *     osip_uri_parse refuses are refused, as is an address longer than
 *     CHORUS_AOR_MAX_LENGTH.
 *
 * This is the softphone's form, not the overlay's Resource Name
 * (chorus-sip-aor.h turns sips: into sip: for hashing; here a sips:
 * contact stays sips:, the way the user asked to be called).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest address kept, in bytes: SIP sets no limit, an address book
 * does (it has to fit in a row of the window and in a database row). */
#define CHORUS_AOR_MAX_LENGTH 256

/* The normal form of @input (see above), newly allocated, or NULL with
 * G_IO_ERROR_INVALID_ARGUMENT and a message meant for the user.
 * @default_domain (NULL or "": none) completes a bare user name. */
char *chorus_aor_normalize (const char *input, const char *default_domain, GError **error);

/* The user part of @aor for display, unescaped: "sip:alice@home.chorus"
 * gives "alice".  Something that is not user@host is returned as it is
 * (without its scheme).  NULL gives NULL. */
char *chorus_aor_user (const char *aor);

G_END_DECLS
