/* chorus-enroll-error.c: enrollment errors and the 403 tokens of RFC 6940
 * §11.3.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-error.h"

/* clang-format off */
G_DEFINE_QUARK (chorus-enroll-error-quark, chorus_enroll_error)
/* clang-format on */

static const struct
{
  ChorusEnrollError code;
  const char *token;
} tokens[] = {
  { CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION, "failed_authentication" },
  { CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE, "username_not_available" },
  { CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE, "Node-IDs_not_available" },
  { CHORUS_ENROLL_ERROR_BAD_CSR, "bad_CSR" },
};

const char *
chorus_enroll_error_to_token (ChorusEnrollError code)
{
  if (code == CHORUS_ENROLL_ERROR_LINK_USED || code == CHORUS_ENROLL_ERROR_LINK_EXPIRED)
    code = CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION;
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    if (tokens[i].code == code)
      return tokens[i].token;
  return NULL;
}

ChorusEnrollError
chorus_enroll_error_from_token (const char *token)
{
  for (guint i = 0; token != NULL && i < G_N_ELEMENTS (tokens); i++)
    if (g_str_equal (tokens[i].token, token))
      return tokens[i].code;
  return CHORUS_ENROLL_ERROR_FAILED;
}
