/* chorus-aor.c: the softphone's addresses of record (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-app-store"

#include "chorus-aor.h"

#include "chorus-sip-aor.h"

/* libosip2 5.3 uses time_t and struct timeval in its headers without
 * including theirs */
#include <sys/time.h>
#include <time.h>

#include <gio/gio.h>
#include <osipparser2/osip_parser.h>
#include <stdarg.h>
#include <string.h>

#define HINT "An address looks like name@overlay."

/* libosip2's parser needs parser_init() once per process (the overlay's
 * SIP layer calls it too: it is idempotent). */
static void
osip_init_once (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      parser_init ();
      g_once_init_leave (&once, 1);
    }
}

static gboolean
port_valid (const char *port)
{
  guint64 v;
  return port == NULL || g_ascii_string_to_unsigned (port, 10, 1, G_MAXUINT16, &v, NULL);
}

/* The length of the URI scheme @text starts with ("sip" of "sip:..."), or
 * 0 when it starts with none: RFC 3986 §3.1, scheme = ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." ) followed by ':'. */
static gsize
scheme_length (const char *text)
{
  if (!g_ascii_isalpha (text[0]))
    return 0;
  gsize i = 1;
  while (g_ascii_isalnum (text[i]) || text[i] == '+' || text[i] == '-' || text[i] == '.')
    i++;
  return text[i] == ':' ? i : 0;
}

static gpointer invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gpointer
invalid (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s " HINT, message);
  return NULL;
}

/* @text with its scheme: "sip:" or "sips:" in lower case, added when
 * @text has none; NULL with @error set for another scheme or when a bare
 * user has no domain to go with. */
static char *
with_sip_scheme (const char *text, const char *default_domain, GError **error)
{
  gsize n = scheme_length (text);
  if (n > 0)
    {
      g_autofree char *scheme = g_ascii_strdown (text, n);
      if (!g_str_equal (scheme, "sip") && !g_str_equal (scheme, "sips"))
        return invalid (error, "Only SIP addresses can be called, not “%s:” ones.", scheme);
      return g_strconcat (scheme, text + n, NULL);
    }
  if (strchr (text, '@') != NULL)
    return g_strconcat ("sip:", text, NULL);
  if (default_domain != NULL && default_domain[0] != '\0')
    return g_strconcat ("sip:", text, "@", default_domain, NULL);
  return invalid (error, "“%s” has no domain.", text);
}

/* The normal form of a parsed URI, or NULL with @error set. */
static char *
from_parsed (const osip_uri_t *uri, const char *input, GError **error)
{
  if (uri->scheme == NULL)
    return invalid (error, "“%s” is not a SIP address.", input);
  if (uri->username == NULL || uri->username[0] == '\0')
    return invalid (error, "“%s” has no name before the “@”.", input);
  if (uri->password != NULL)
    return invalid (error, "“%s” contains a password: leave it out.", input);
  if (!chorus_sip_host_valid (uri->host))
    return invalid (error, "“%s” has no valid domain after the “@”.", input);
  if (!port_valid (uri->port))
    return invalid (error, "“%s” has no valid port.", input);

  g_autofree char *scheme = g_ascii_strdown (uri->scheme, -1);
  g_autofree char *host = g_ascii_strdown (uri->host, -1);
  GString *s = g_string_new (scheme);
  g_string_append_c (s, ':');
  /* osip_uri_parse has unescaped the user part (§19.1.4): escape again
   * exactly what may not appear unescaped (§25.1) */
  for (const guchar *p = (const guchar *) uri->username; *p; p++)
    {
      if (chorus_sip_user_char_unescaped (*p))
        g_string_append_c (s, (char) *p);
      else
        g_string_append_printf (s, "%%%02X", *p);
    }
  if (strchr (host, ':') != NULL)
    g_string_append_printf (s, "@[%s]", host);
  else
    g_string_append_printf (s, "@%s", host);
  if (uri->port != NULL)
    g_string_append_printf (s, ":%s", uri->port);
  if (s->len > CHORUS_AOR_MAX_LENGTH)
    {
      g_string_free (s, TRUE);
      return invalid (error, "“%s” is too long.", input);
    }
  return g_string_free (s, FALSE);
}

char *
chorus_aor_normalize (const char *input, const char *default_domain, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  osip_init_once ();

  g_autofree char *text = g_strstrip (g_strdup (input != NULL ? input : ""));
  if (text[0] == '\0')
    return invalid (error, "The address is empty.");
  if (!g_utf8_validate (text, -1, NULL) || strlen (text) > CHORUS_AOR_MAX_LENGTH)
    return invalid (error, "This is not an address.");
  for (const guchar *p = (const guchar *) text; *p; p++)
    if (*p <= 0x20 || *p == 0x7f)
      return invalid (error, "“%s” contains spaces.", text);
  /* osip would unescape it into the end of the string */
  if (strstr (text, "%00") != NULL)
    return invalid (error, "“%s” is not a SIP address.", text);

  g_autofree char *uri_text = with_sip_scheme (text, default_domain, error);
  if (uri_text == NULL)
    return NULL;
  osip_uri_t *uri = NULL;
  if (osip_uri_init (&uri) != 0)
    return invalid (error, "“%s” cannot be read.", text);
  char *result = NULL;
  if (osip_uri_parse (uri, uri_text) != 0)
    invalid (error, "“%s” is not a SIP address.", text);
  else
    result = from_parsed (uri, text, error);
  osip_uri_free (uri);
  return result;
}

char *
chorus_aor_user (const char *aor)
{
  if (aor == NULL)
    return NULL;
  const char *start = aor;
  if (g_ascii_strncasecmp (start, "sip:", 4) == 0)
    start += 4;
  else if (g_ascii_strncasecmp (start, "sips:", 5) == 0)
    start += 5;
  const char *at = strchr (start, '@');
  g_autofree char *user = at != NULL ? g_strndup (start, at - start) : g_strdup (start);
  g_autofree char *unescaped = g_uri_unescape_string (user, NULL);
  if (unescaped != NULL && g_utf8_validate (unescaped, -1, NULL))
    return g_steal_pointer (&unescaped);
  return g_steal_pointer (&user);
}
