/* chorus-sip-gruu.c: the GRUUs of RFC 7904 §5 (chorus-sip-registration.h
 * says the encoding).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registration.h"

#include "chorus-sip-osip.h"

#include <string.h>

char *
chorus_sip_gruu_build (const char *aor, const ChorusSipRoute *route, GError **error)
{
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, error);
  if (normal == NULL)
    return NULL;
  if (route == NULL || route->n_destinations == 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "a GRUU needs a destination list (RFC 7904 §5)");
      return NULL;
    }
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (route->encoded, &len);
  g_autofree char *b64 = g_base64_encode (data, len);
  /* RFC 7904 §5: RFC 4648 table 1, with "~" for the padding "=". */
  for (char *p = b64; *p; p++)
    if (*p == '=')
      *p = '~';
  return g_strconcat (normal, ";gr=", b64, NULL);
}

static gboolean
base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '~';
}

gboolean
chorus_sip_gruu_parse (const char *uri, const RwOptions *options, char **aor_out,
                       ChorusSipRoute **route_out, GError **error)
{
  chorus_sip_osip_init ();
  if (aor_out)
    *aor_out = NULL;
  if (route_out)
    *route_out = NULL;
  if (uri == NULL)
    return FALSE;
  /* The URI part of a name-addr, as chorus_sip_aor_normalize takes it. */
  g_autofree char *text = NULL;
  const char *lt = strchr (uri, '<');
  const char *gt = lt ? strchr (lt, '>') : NULL;
  if (lt != NULL && gt != NULL)
    text = g_strndup (lt + 1, gt - lt - 1);
  else
    text = g_strdup (uri);
  osip_uri_t *parsed = NULL;
  osip_uri_init (&parsed);
  if (osip_uri_parse (parsed, text) != 0)
    {
      osip_uri_free (parsed);
      return FALSE;
    }
  osip_uri_param_t *gr = NULL;
  osip_uri_uparam_get_byname (parsed, "gr", &gr);
  g_autofree char *value = gr && gr->gvalue ? g_strdup (gr->gvalue) : NULL;
  osip_uri_free (parsed);
  if (value == NULL)
    return FALSE;
  gsize n = strlen (value);
  for (gsize i = 0; i < n; i++)
    if (!base64_char (value[i]))
      {
        g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                     "the gr parameter is not base64 (RFC 7904 §5)");
        return FALSE;
      }
  if (n == 0 || n % 4 != 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "the gr parameter has a length of %" G_GSIZE_FORMAT
                   ", not a multiple of 4 (RFC 7904 §5)",
                   n);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (value[i] == '~')
      {
        /* padding only at the end, at most two */
        if (i < n - 2 || (i == n - 2 && value[n - 1] != '~'))
          {
            g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                         "misplaced padding in the gr parameter");
            return FALSE;
          }
        value[i] = '=';
      }
  gsize len = 0;
  g_autofree guint8 *bytes = g_base64_decode (value, &len);
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_decode (bytes, len, options, error);
  if (route == NULL)
    {
      g_prefix_error (error, "gr parameter: ");
      return FALSE;
    }
  g_autofree char *aor = chorus_sip_aor_normalize (uri, NULL, NULL, error);
  if (aor == NULL)
    return FALSE;
  if (aor_out)
    *aor_out = g_steal_pointer (&aor);
  if (route_out)
    *route_out = g_steal_pointer (&route);
  return TRUE;
}
