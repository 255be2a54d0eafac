/* chorus-sip-aor.h: addresses of record of the SIP usage (RFC 7904 §3)
 * and their Resource-IDs.
 *
 * RFC 7904 §3: SIP-REGISTRATION data is stored at the Resource Name that is
 * the AOR, hashed to a Resource-ID as the overlay hashes every name
 * (RFC 6940 §10.2: SHA-1, the top 128 bits; chord-id.h).  The hash is over
 * bytes, so two spellings of one AOR must become one string before hashing.
 *
 * Normalisation (the rule NOTES.md asks for, and the one the datastore's
 * USER-NODE-MATCH check relies on, reload-datastore.h):
 *
 *   - The certificate names the user with an rfc822Name (RFC 6940 §11.3),
 *     "alice@example.org".  The AOR is that name with the scheme in front,
 *     "sip:alice@example.org", and the Resource Name of the user's
 *     registrations is exactly that string.  The datastore accepts a
 *     SIP-REGISTRATION Store at H("sip:" || user name) from a certificate
 *     naming that user, comparing bytes: so the user name must already be
 *     in the normal form below (chorus_sip_aor_from_user_name() refuses one
 *     that is not, rather than registering where no Store would succeed).
 *   - Normal form: "sip:" user "@" host.  The scheme is lower case, and a
 *     sips: AOR names the same registrations as its sip: form (the
 *     Resource Name always says sip:; sips only asks for a TLS application
 *     connection, AppAttach to port 5061 instead of 5060, RFC 7904 §4).
 *     The host is lower case (RFC 3261 §19.1.4: hosts compare without
 *     case).  The user part keeps its case (§19.1.4: userinfo compares with
 *     case) and is written with every character that may appear unescaped
 *     in a user part unescaped, and every other one %-escaped with upper
 *     case hex (§19.1.4: an escaped character equals its unescaped form;
 *     §25.1 user = unreserved / escaped / user-unreserved).
 *   - A display name, angle brackets, URI parameters (";transport=...",
 *     ";gr=..." of a GRUU) and headers ("?subject=...") are not part of
 *     the AOR and are dropped.  A password or a port is refused: an AOR
 *     names a user, not a transport endpoint.
 *   - "alice@example.org" (the user name form) gets the sip: scheme;
 *     "alice" alone gets "@" and the default domain (the overlay name)
 *     when one is given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chord-id.h"

G_BEGIN_DECLS

#define CHORUS_SIP_ERROR (chorus_sip_error_quark ())
GQuark chorus_sip_error_quark (void);

typedef enum
{
  CHORUS_SIP_ERROR_INVALID,   /* not an AOR, URI, value or message of the expected form */
  CHORUS_SIP_ERROR_NOT_FOUND, /* no registration, no call, no transaction */
  CHORUS_SIP_ERROR_STATE,     /* not possible in the call's state */
  CHORUS_SIP_ERROR_LOOP,      /* AOR-to-AOR forwarding went round or too deep */
} ChorusSipError;

/* The normal form of @text (an AOR, a SIP or SIPS URI, a name-addr with a
 * display name, or a user name), as above.  @default_domain (NULL: none)
 * completes a bare user.  *@secure (may be NULL) tells whether the input
 * was a sips: URI. */
char *chorus_sip_aor_normalize (const char *text, const char *default_domain, gboolean *secure,
                                GError **error);

/* A URI's host as RFC 3261 §25.1 allows it: a host name of non-empty
 * labels, an IPv4 address or an IPv6 reference without its brackets. */
gboolean chorus_sip_host_valid (const char *host);
/* A character that stands unescaped in a URI's user part (§25.1). */
gboolean chorus_sip_user_char_unescaped (guchar c);

/* "sip:" || @user_name, refused unless that is already in normal form. */
char *chorus_sip_aor_from_user_name (const char *user_name, GError **error);

/* The user name (rfc822Name form) of a normalized AOR: "alice@example.org". */
char *chorus_sip_aor_to_user_name (const char *aor, GError **error);

/* Whether two AORs (any accepted spelling) name the same registrations. */
gboolean chorus_sip_aor_equal (const char *a, const char *b);

/* RFC 7904 §3: the Resource-ID of the AOR's registrations, H(normal form)
 * (RFC 6940 §10.2).  @aor is normalized first; @rid_out gets 16 bytes. */
gboolean chorus_sip_aor_resource_id (const char *aor, guint8 rid_out[16], GError **error);
/* The same as a ring position. */
gboolean chorus_sip_aor_chord_id (const char *aor, ChordId *out, GError **error);

G_END_DECLS
