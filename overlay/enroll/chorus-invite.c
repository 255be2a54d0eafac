/* chorus-invite.c: parsing and writing enrollment links (the syntax is in
 * chorus-invite.h and the README).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-invite.h"

#include <string.h>

#include "chorus-enroll-error.h"
#include "reload-credentials.h"

#define LINK_MAX_LENGTH 2048

void
chorus_invite_free (ChorusInvite *invite)
{
  if (invite == NULL)
    return;
  g_free (invite->host);
  g_free (invite->path);
  g_free (invite->overlay);
  g_free (invite->user);
  if (invite->secret != NULL)
    memset (invite->secret, 0, strlen (invite->secret));
  g_free (invite->secret);
  g_free (invite);
}

ChorusInvite *
chorus_invite_copy (const ChorusInvite *invite)
{
  ChorusInvite *c = g_new0 (ChorusInvite, 1);
  c->host = g_strdup (invite->host);
  c->port = invite->port;
  c->path = g_strdup (invite->path);
  c->overlay = g_strdup (invite->overlay);
  c->user = g_strdup (invite->user);
  c->secret = g_strdup (invite->secret);
  memcpy (c->fingerprint, invite->fingerprint, 32);
  return c;
}

char *
chorus_fingerprint_to_hex (const guint8 fp[32])
{
  char *s = g_malloc (65);
  for (guint i = 0; i < 32; i++)
    g_snprintf (s + 2 * i, 3, "%02x", fp[i]);
  return s;
}

gboolean
chorus_fingerprint_from_hex (const char *hex, guint8 out[32])
{
  if (hex == NULL || strlen (hex) != 64)
    return FALSE;
  for (guint i = 0; i < 32; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

static gboolean
is_secret (const char *s)
{
  if (s == NULL || strlen (s) != CHORUS_INVITE_SECRET_HEX)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* an address literal or a DNS name (letters, digits, '-', '.'): nothing
 * that would need escaping when the link is written again (a host with
 * '&' or '@' was found by fuzz-enroll) */
static gboolean
is_host (const char *s)
{
  gsize len = s ? strlen (s) : 0;
  if (len == 0 || len > 253)
    return FALSE;
  if (g_hostname_is_ip_address (s))
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '.')
      return FALSE;
  return TRUE;
}

static ChorusInvite *
invalid (GError **error, const char *why)
{
  g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_INVALID_LINK,
               "not a Chorus invitation link: %s", why);
  return NULL;
}

ChorusInvite *
chorus_invite_parse (const char *link, GError **error)
{
  if (link == NULL)
    return invalid (error, "empty");
  g_autofree char *text = g_strstrip (g_strdup (link));
  if (strlen (text) > LINK_MAX_LENGTH)
    return invalid (error, "too long");
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (uri == NULL)
    return invalid (error, "not a URI");
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), CHORUS_INVITE_SCHEME) != 0)
    return invalid (error, "the scheme is not " CHORUS_INVITE_SCHEME ":");
  const char *host = g_uri_get_host (uri);
  if (!is_host (host))
    return invalid (error, "no valid server name or address");
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return invalid (error, "unexpected user information or fragment");
  const char *query = g_uri_get_query (uri);
  if (query == NULL)
    return invalid (error, "no parameters");
  g_autoptr (GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    return invalid (error, "malformed parameters");
  const char *overlay = g_hash_table_lookup (params, "overlay");
  const char *user = g_hash_table_lookup (params, "user");
  const char *secret = g_hash_table_lookup (params, "secret");
  const char *fp = g_hash_table_lookup (params, "sha256");
  g_autoptr (ChorusInvite) inv = g_new0 (ChorusInvite, 1);
  if (!reload_credentials_overlay_name_valid (overlay))
    return invalid (error, "no valid overlay name");
  if (!reload_credentials_user_name_valid (user))
    return invalid (error, "no valid user name");
  if (!is_secret (secret))
    return invalid (error, "no valid one-time secret");
  if (!chorus_fingerprint_from_hex (fp, inv->fingerprint))
    return invalid (error, "no valid server fingerprint (64 hex digits)");
  gint port = g_uri_get_port (uri);
  inv->port = port > 0 ? (guint16) port : CHORUS_INVITE_DEFAULT_PORT;
  inv->host = g_strdup (host);
  const char *path = g_uri_get_path (uri);
  inv->path = g_strdup (path != NULL && path[0] == '/' ? path : "/");
  inv->overlay = g_strdup (overlay);
  inv->user = g_strdup (user);
  inv->secret = g_strdup (secret);
  return g_steal_pointer (&inv);
}

static char *
authority (const ChorusInvite *invite)
{
  gboolean v6 = strchr (invite->host, ':') != NULL;
  return g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", invite->host, v6 ? "]" : "", invite->port);
}

char *
chorus_invite_to_string (const ChorusInvite *invite)
{
  g_autofree char *auth = authority (invite);
  g_autofree char *overlay = g_uri_escape_string (invite->overlay, NULL, FALSE);
  g_autofree char *user = g_uri_escape_string (invite->user, NULL, FALSE);
  g_autofree char *path = g_uri_escape_string (invite->path, "/", FALSE);
  g_autofree char *fp = chorus_fingerprint_to_hex (invite->fingerprint);
  return g_strdup_printf (CHORUS_INVITE_SCHEME "://%s%s?overlay=%s&user=%s&secret=%s&sha256=%s",
                          auth, path, overlay, user, invite->secret, fp);
}

char *
chorus_invite_get_enroll_url (const ChorusInvite *invite)
{
  g_autofree char *auth = authority (invite);
  g_autofree char *path = g_uri_escape_string (invite->path, "/", FALSE);
  return g_strdup_printf ("https://%s%s", auth, path);
}

char *
chorus_invite_get_config_url (const ChorusInvite *invite)
{
  g_autofree char *auth = authority (invite);
  return g_strdup_printf ("https://%s/.well-known/reload-config", auth);
}
