/* fuzz-enroll.c: libFuzzer target for what an enrollment server and a
 * joining device parse from strangers (RFC 6940 §11.3): the enrollment
 * request (a multipart/form-data body with a PKCS#10 request in it) and
 * the invitation link.
 *
 * Input: a first line, the request's Content-Type, then the body.  The
 * whole input is also tried as a link; a link that parses must write back
 * to a link that parses to the same invitation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chorus-enroll-request.h"
#include "chorus-invite.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_link (const uint8_t *data, size_t size)
{
  if (memchr (data, '\0', size) != NULL)
    return;
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (ChorusInvite) inv = chorus_invite_parse (text, NULL);
  if (inv == NULL)
    return;
  g_autofree char *again = chorus_invite_to_string (inv);
  g_autoptr (ChorusInvite) back = chorus_invite_parse (again, NULL);
  if (back == NULL || strcmp (back->host, inv->host) != 0 || back->port != inv->port
      || strcmp (back->path, inv->path) != 0 || strcmp (back->overlay, inv->overlay) != 0
      || strcmp (back->user, inv->user) != 0 || strcmp (back->secret, inv->secret) != 0
      || memcmp (back->fingerprint, inv->fingerprint, 32) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* a critical is a bug (a library's precondition broken by our input) */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  check_link (data, size);
  const uint8_t *nl = memchr (data, '\n', size);
  if (nl == NULL)
    return 0;
  g_autofree char *type = g_strndup ((const char *) data, (gsize) (nl - data));
  g_autoptr (GBytes) body = g_bytes_new (nl + 1, size - (gsize) (nl + 1 - data));
  g_autoptr (ChorusEnrollRequest) req = chorus_enroll_request_parse (type, body, NULL);
  if (req != NULL
      && (req->username == NULL || req->password == NULL || req->csr == NULL || req->nodeids == 0))
    abort ();
  return 0;
}
