/* chorus-enroll-error.h: what can go wrong in enrollment (RFC 6940
 * §11.3), for the server, the joining device and the people in front of
 * them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CHORUS_ENROLL_ERROR (chorus_enroll_error_quark ())
GQuark chorus_enroll_error_quark (void);

typedef enum
{
  CHORUS_ENROLL_ERROR_FAILED,                 /* anything else */
  CHORUS_ENROLL_ERROR_INVALID_LINK,           /* not an invitation link */
  CHORUS_ENROLL_ERROR_UNREACHABLE,            /* no answer from the server */
  CHORUS_ENROLL_ERROR_FINGERPRINT_MISMATCH,   /* not the server the link names */
  CHORUS_ENROLL_ERROR_BAD_CONFIGURATION,      /* the served document is unusable */
  CHORUS_ENROLL_ERROR_LINK_USED,              /* failed_authentication: used already */
  CHORUS_ENROLL_ERROR_LINK_EXPIRED,           /* failed_authentication: expired */
  CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION,  /* §11.3 failed_authentication */
  CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE, /* §11.3 username_not_available */
  CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE, /* §11.3 Node-IDs_not_available */
  CHORUS_ENROLL_ERROR_BAD_CSR,                /* §11.3 bad_CSR */
  CHORUS_ENROLL_ERROR_BAD_REQUEST,            /* not a form of §11.3 at all */
  CHORUS_ENROLL_ERROR_PROFILE_EXISTS,         /* the profile holds an identity */
} ChorusEnrollError;

/* The 403 body token of §11.3 for an error of this domain (the four
 * tokens; LINK_USED and LINK_EXPIRED are failed_authentication), or NULL
 * for codes that have none. */
const char *chorus_enroll_error_to_token (ChorusEnrollError code);
/* The code for a 403 token; FAILED for an unknown token ("If the client
 * receives an unknown token in the body, it SHOULD treat it as a failure
 * for an unknown reason"). */
ChorusEnrollError chorus_enroll_error_from_token (const char *token);

G_END_DECLS
