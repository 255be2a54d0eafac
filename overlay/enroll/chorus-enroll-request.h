/* chorus-enroll-request.h: the enrollment request of RFC 6940 §11.3 (an
 * HTTPS POST of multipart/form-data: username, password, optionally
 * nodeids, and csr as application/pkcs10), parsed from bytes that came
 * from the network: the enrollment server's only parser of hostile input,
 * so it has a fuzz target (fuzz/fuzz-enroll-request.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "reload-csr.h"

G_BEGIN_DECLS

/* a form of a few short fields and a request of a key and a name */
#define CHORUS_ENROLL_REQUEST_MAX_BYTES 65536
#define CHORUS_ENROLL_FIELD_MAX_BYTES 256

typedef struct
{
  char *username; /* UTF-8, compared as bytes (§11.3) */
  char *password;
  guint nodeids; /* 1 when the form has none */
  ReloadCsr *csr;
} ChorusEnrollRequest;

/* Parses the body of a POST whose Content-Type is @content_type.
 * Errors (CHORUS_ENROLL_ERROR): BAD_REQUEST when the body is not
 * multipart/form-data or too big; FAILED_AUTHENTICATION when username
 * or password is missing, too long or not UTF-8; NODE_IDS_NOT_AVAILABLE
 * when nodeids is not a number of 1 to 65535; BAD_CSR when csr is
 * missing, not of type application/pkcs10, or not a request
 * reload_csr_parse() takes. */
ChorusEnrollRequest *chorus_enroll_request_parse (const char *content_type, GBytes *body,
                                                  GError **error);
void chorus_enroll_request_free (ChorusEnrollRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusEnrollRequest, chorus_enroll_request_free)

G_END_DECLS
