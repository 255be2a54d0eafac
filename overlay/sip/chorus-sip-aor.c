/* chorus-sip-aor.c: AOR normalisation and Resource-IDs (RFC 7904 §3;
 * chorus-sip-aor.h says the rules).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-aor.h"

#include "chorus-sip-osip.h"

#include <string.h>

G_DEFINE_QUARK (chorus - sip - error - quark, chorus_sip_error)

/* RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ). */
gboolean
chorus_sip_user_char_unescaped (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-_.!~*'()&=+$,;?/", c) != NULL);
}

/* A host name (labels of letters, digits and '-', none empty) or an IPv4
 * or IPv6 address (osip has taken the brackets off an IPv6 reference). */
gboolean
chorus_sip_host_valid (const char *host)
{
  if (host == NULL || host[0] == '\0')
    return FALSE;
  if (strchr (host, ':') != NULL)
    {
      for (const char *p = host; *p; p++)
        if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
          return FALSE;
      return TRUE;
    }
  gboolean label_start = TRUE;
  for (const char *p = host; *p; p++)
    {
      if (*p == '.')
        {
          if (label_start)
            return FALSE; /* an empty label: ".x", "x..y" */
          label_start = TRUE;
          continue;
        }
      if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
      label_start = FALSE;
    }
  return !label_start; /* no trailing dot */
}

static gboolean
text_has_space_or_control (const char *text)
{
  for (const guchar *p = (const guchar *) text; *p; p++)
    if (*p <= 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* The URI part of @text: the addr-spec inside <...> of a name-addr (RFC
 * 3261 §20.10), else @text itself.  Returned newly allocated. */
static char *
uri_part (const char *text, GError **error)
{
  const char *lt = strchr (text, '<');
  if (lt == NULL)
    return g_strstrip (g_strdup (text));
  const char *gt = strchr (lt, '>');
  if (gt == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "unbalanced < in \"%s\"",
                   text);
      return NULL;
    }
  return g_strndup (lt + 1, gt - lt - 1);
}

char *
chorus_sip_aor_normalize (const char *text, const char *default_domain, gboolean *secure,
                          GError **error)
{
  chorus_sip_osip_init ();
  if (secure)
    *secure = FALSE;
  if (text == NULL || text[0] == '\0')
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "empty address of record");
      return NULL;
    }
  g_autofree char *uri_text = uri_part (text, error);
  if (uri_text == NULL)
    return NULL;
  if (uri_text[0] == '\0' || text_has_space_or_control (uri_text))
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "\"%s\" is not an address of record", text);
      return NULL;
    }
  /* The user name form (rfc822Name) and a bare user. */
  g_autofree char *with_scheme = NULL;
  if (g_ascii_strncasecmp (uri_text, "sip:", 4) != 0
      && g_ascii_strncasecmp (uri_text, "sips:", 5) != 0)
    {
      if (strchr (uri_text, ':') != NULL)
        {
          g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                       "\"%s\" is not a SIP address of record", text);
          return NULL;
        }
      if (strchr (uri_text, '@') != NULL)
        with_scheme = g_strconcat ("sip:", uri_text, NULL);
      else if (default_domain != NULL && default_domain[0] != '\0')
        with_scheme = g_strconcat ("sip:", uri_text, "@", default_domain, NULL);
      else
        {
          g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "\"%s\" names no domain",
                       text);
          return NULL;
        }
    }
  osip_uri_t *uri = NULL;
  osip_uri_init (&uri);
  int r = osip_uri_parse (uri, with_scheme ? with_scheme : uri_text);
  char *result = NULL;
  if (r != 0 || uri->scheme == NULL)
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "\"%s\" is not a SIP URI",
                 text);
  else if (uri->username == NULL || uri->username[0] == '\0')
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                 "\"%s\" names no user (an AOR is user@domain)", text);
  else if (uri->password != NULL)
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "\"%s\" carries a password",
                 text);
  else if (uri->port != NULL)
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                 "\"%s\" names a port: an AOR names a user, not a transport endpoint", text);
  else if (!chorus_sip_host_valid (uri->host))
    g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "\"%s\" has no valid host",
                 text);
  else
    {
      if (secure)
        *secure = g_ascii_strcasecmp (uri->scheme, "sips") == 0;
      /* osip_uri_parse has unescaped the user part (§19.1.4): escape
       * again exactly what may not appear unescaped (§25.1). */
      GString *s = g_string_new ("sip:");
      for (const guchar *p = (const guchar *) uri->username; *p; p++)
        {
          if (chorus_sip_user_char_unescaped (*p))
            g_string_append_c (s, *p);
          else
            g_string_append_printf (s, "%%%02X", *p);
        }
      g_autofree char *host = g_ascii_strdown (uri->host, -1);
      if (strchr (host, ':') != NULL)
        g_string_append_printf (s, "@[%s]", host);
      else
        g_string_append_printf (s, "@%s", host);
      result = g_string_free (s, FALSE);
    }
  osip_uri_free (uri);
  return result;
}

char *
chorus_sip_aor_from_user_name (const char *user_name, GError **error)
{
  if (user_name == NULL || strchr (user_name, '@') == NULL)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "user name \"%s\" is not user@domain", user_name ? user_name : "");
      return NULL;
    }
  g_autofree char *aor = g_strconcat ("sip:", user_name, NULL);
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, error);
  if (normal == NULL)
    return NULL;
  /* The datastore compares H("sip:" || user name) byte for byte
   * (reload-datastore.h): another spelling could never be stored. */
  if (strcmp (normal, aor) != 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "user name \"%s\" is not in normal form (%s): its registrations could not "
                   "pass USER-NODE-MATCH",
                   user_name, normal);
      return NULL;
    }
  return g_steal_pointer (&aor);
}

char *
chorus_sip_aor_to_user_name (const char *aor, GError **error)
{
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, error);
  if (normal == NULL)
    return NULL;
  return g_strdup (normal + strlen ("sip:"));
}

gboolean
chorus_sip_aor_equal (const char *a, const char *b)
{
  g_autofree char *na = chorus_sip_aor_normalize (a, NULL, NULL, NULL);
  g_autofree char *nb = chorus_sip_aor_normalize (b, NULL, NULL, NULL);
  return na != NULL && nb != NULL && strcmp (na, nb) == 0;
}

gboolean
chorus_sip_aor_chord_id (const char *aor, ChordId *out, GError **error)
{
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, error);
  if (normal == NULL)
    return FALSE;
  /* RFC 7904 §3: the Resource Name is the AOR; RFC 6940 §10.2 hashes it. */
  *out = chord_id_hash (normal, strlen (normal));
  return TRUE;
}

gboolean
chorus_sip_aor_resource_id (const char *aor, guint8 rid_out[16], GError **error)
{
  ChordId id;
  if (!chorus_sip_aor_chord_id (aor, &id, error))
    return FALSE;
  chord_id_to_bytes (id, rid_out);
  return TRUE;
}
