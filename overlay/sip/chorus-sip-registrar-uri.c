/* chorus-sip-registrar-uri.c: hosts and SIP URIs compared as RFC 3261
 * §19.1.4 says, for the registrar's domains and its bindings
 * (chorus-sip-registrar-private.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registrar-private.h"

#include <string.h>

/* A host as compared (§19.1.4: hosts without case); IPv6 references
 * without their brackets, as libosip2 keeps them. */
char *
registrar_host_key (const char *host)
{
  gsize n = strlen (host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
    return g_ascii_strdown (host + 1, n - 2);
  return g_ascii_strdown (host, -1);
}

gboolean
registrar_host_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  g_autofree char *ka = registrar_host_key (a);
  g_autofree char *kb = registrar_host_key (b);
  return strcmp (ka, kb) == 0;
}

gboolean
registrar_scheme_is_sip (const char *scheme)
{
  return scheme != NULL
         && (g_ascii_strcasecmp (scheme, "sip") == 0 || g_ascii_strcasecmp (scheme, "sips") == 0);
}

/* ---------------------------------------------------------------- URI equality */

static const char *
uri_param (const osip_uri_t *uri, const char *name)
{
  osip_uri_param_t *p;
  for (int i = 0; (p = osip_list_get (&uri->url_params, i)) != NULL; i++)
    if (p->gname != NULL && g_ascii_strcasecmp (p->gname, name) == 0)
      return p->gvalue ? p->gvalue : "";
  return NULL;
}

static gboolean
uri_params_match (const osip_uri_t *a, const osip_uri_t *b)
{
  /* §19.1.4: user, ttl, method, maddr and transport must be in both or
   * neither; any other parameter in both must match, and one in only one
   * URI is ignored. */
  static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
  for (guint i = 0; i < G_N_ELEMENTS (strict); i++)
    if ((uri_param (a, strict[i]) == NULL) != (uri_param (b, strict[i]) == NULL))
      return FALSE;
  osip_uri_param_t *p;
  for (int i = 0; (p = osip_list_get (&a->url_params, i)) != NULL; i++)
    {
      if (p->gname == NULL)
        continue;
      const char *other = uri_param (b, p->gname);
      if (other != NULL && g_ascii_strcasecmp (other, p->gvalue ? p->gvalue : "") != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
uri_headers_match (const osip_uri_t *a, const osip_uri_t *b)
{
  /* §19.1.4: header components are never ignored */
  if (osip_list_size (&a->url_headers) != osip_list_size (&b->url_headers))
    return FALSE;
  osip_uri_header_t *h;
  for (int i = 0; (h = osip_list_get (&a->url_headers, i)) != NULL; i++)
    {
      gboolean found = FALSE;
      osip_uri_header_t *o;
      for (int j = 0; !found && (o = osip_list_get (&b->url_headers, j)) != NULL; j++)
        found = g_strcmp0 (h->gname, o->gname) == 0 && g_strcmp0 (h->gvalue, o->gvalue) == 0;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* RFC 3261 §19.1.4 for sip: and sips: URIs; other schemes compare as
 * text. */
gboolean
registrar_uri_equal (const osip_uri_t *a, const osip_uri_t *b)
{
  if (a->scheme == NULL || b->scheme == NULL || g_ascii_strcasecmp (a->scheme, b->scheme) != 0)
    return FALSE;
  if (!registrar_scheme_is_sip (a->scheme))
    {
      g_autofree char *sa = chorus_sip_uri_to_string (a);
      g_autofree char *sb = chorus_sip_uri_to_string (b);
      return sa != NULL && sb != NULL && strcmp (sa, sb) == 0;
    }
  /* userinfo with case, host without, ports only equal when both present
   * or both absent */
  return g_strcmp0 (a->username, b->username) == 0 && g_strcmp0 (a->password, b->password) == 0
         && registrar_host_equal (a->host, b->host) && g_strcmp0 (a->port, b->port) == 0
         && uri_params_match (a, b) && uri_headers_match (a, b);
}
