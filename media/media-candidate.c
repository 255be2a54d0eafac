/* media-candidate.c: RFC 8839 §5.1 candidate attributes to and from
 * libnice candidates (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-candidate.h"

#include <string.h>

#include "call-media-error.h"

/* RFC 8839 §5.1: foundation = 1*32ice-char */
#define MAX_FOUNDATION 32
/* fields before the extensions: foundation component transport priority
 * address port "typ" type */
#define FIXED_FIELDS 8
/* extension name/value pairs taken (raddr and rport among them) */
#define MAX_FIELDS (FIXED_FIELDS + 2 * 16)

static const char *
type_name (NiceCandidateType type)
{
  switch (type)
    {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
    default:
      return NULL;
    }
}

char *
media_candidate_to_string (const NiceCandidate *c)
{
  g_return_val_if_fail (c != NULL, NULL);
  char addr[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string (&c->addr, addr);
  const char *type = type_name (c->type);
  GString *s = g_string_new (NULL);
  /* RFC 8839 §5.1; transport "UDP" as the RFC's examples write it */
  g_string_append_printf (s, "candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component_id,
                          c->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "UDP" : "TCP", c->priority,
                          addr, nice_address_get_port (&c->addr), type != NULL ? type : "host");
  /* "rel-addr and rel-port ... MUST be present for server reflexive, peer
   * reflexive and relayed candidates" (§5.1) */
  if (c->type != NICE_CANDIDATE_TYPE_HOST && nice_address_is_valid (&c->base_addr))
    {
      char base[NICE_ADDRESS_STRING_LEN];
      nice_address_to_string (&c->base_addr, base);
      g_string_append_printf (s, " raddr %s rport %u", base, nice_address_get_port (&c->base_addr));
    }
  return g_string_free (s, FALSE);
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "bad ICE candidate: %s", what);
  return FALSE;
}

/* 1*max_digits DIGIT, value at most @max */
static gboolean
parse_number (const char *s, guint max_digits, guint64 max, guint64 *out)
{
  gsize n = strlen (s);
  if (n == 0 || n > max_digits)
    return FALSE;
  guint64 v = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      v = v * 10 + (guint64) (s[i] - '0');
    }
  if (v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1) */
static gboolean
is_foundation (const char *s)
{
  gsize n = strlen (s);
  if (n == 0 || n > MAX_FOUNDATION)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* An IP literal; FALSE for anything else (an FQDN is well-formed but
 * unusable: the caller decides). */
static gboolean
parse_address (const char *s, guint64 port, NiceAddress *out)
{
  nice_address_init (out);
  if (!nice_address_set_from_string (out, s))
    return FALSE;
  nice_address_set_port (out, (guint) port);
  return TRUE;
}

static gboolean
is_token (const char *s)
{
  /* RFC 8839 §5.1: extension-att-name / -value = byte-string (no NUL, CR,
   * LF); SP cannot occur since the line is split on it */
  return *s != '\0';
}

gboolean
media_candidate_parse (const char *line, NiceCandidate **out, GError **error)
{
  g_return_val_if_fail (line != NULL && out != NULL, FALSE);
  *out = NULL;
  gsize len = strnlen (line, MEDIA_CANDIDATE_MAX_LENGTH + 1);
  if (len > MEDIA_CANDIDATE_MAX_LENGTH)
    return invalid (error, "longer than " G_STRINGIFY (MEDIA_CANDIDATE_MAX_LENGTH) " bytes");
  /* the line as an SDP parser hands it over: CRLF and "a=" tolerated */
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
    len--;
  g_autofree char *copy = g_strndup (line, len);
  const char *p = copy;
  if (g_str_has_prefix (p, "a="))
    p += 2;
  if (!g_str_has_prefix (p, "candidate:"))
    return invalid (error, "no “candidate:”");
  p += strlen ("candidate:");
  if (strpbrk (p, "\r\n") != NULL)
    return invalid (error, "a line break inside");

  g_auto (GStrv) f = g_strsplit (p, " ", MAX_FIELDS + 1);
  guint n = g_strv_length (f);
  if (n < FIXED_FIELDS)
    return invalid (error, "missing fields");
  if (n > MAX_FIELDS)
    return invalid (error, "too many extension fields");
  for (guint i = 0; i < n; i++)
    if (!is_token (f[i]))
      return invalid (error, "an empty field (two spaces)");
  if ((n - FIXED_FIELDS) % 2 != 0)
    return invalid (error, "an extension name without a value");

  guint64 component, priority, port;
  if (!is_foundation (f[0]))
    return invalid (error, "foundation");
  /* component-id = 1*3DIGIT; RFC 8445 §5.1.1.1 numbers components from 1 up to 256 */
  if (!parse_number (f[1], 3, 256, &component) || component == 0)
    return invalid (error, "component-id");
  /* priority = 1*10DIGIT, a 32-bit value (RFC 8445 §5.1.2) */
  if (!parse_number (f[3], 10, G_MAXUINT32, &priority) || priority == 0)
    return invalid (error, "priority");
  if (!parse_number (f[5], 5, 65535, &port))
    return invalid (error, "port");
  if (strcmp (f[6], "typ") != 0)
    return invalid (error, "no “typ”");
  /* connection-address is an IP address or an FQDN; both are well-formed */
  if (f[4][0] == '\0' || strlen (f[4]) > 255)
    return invalid (error, "connection-address");

  NiceCandidateType type;
  if (strcmp (f[7], "host") == 0)
    type = NICE_CANDIDATE_TYPE_HOST;
  else if (strcmp (f[7], "srflx") == 0)
    type = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
  else if (strcmp (f[7], "prflx") == 0)
    type = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
  else if (strcmp (f[7], "relay") == 0)
    type = NICE_CANDIDATE_TYPE_RELAYED;
  else
    {
      g_debug ("skipping a candidate of type “%s”", f[7]);
      return TRUE;
    }

  const char *raddr = NULL;
  guint64 rport = 0;
  gboolean have_rport = FALSE;
  for (guint i = FIXED_FIELDS; i + 1 < n; i += 2)
    {
      if (strcmp (f[i], "raddr") == 0)
        raddr = f[i + 1];
      else if (strcmp (f[i], "rport") == 0)
        {
          if (!parse_number (f[i + 1], 5, 65535, &rport))
            return invalid (error, "rel-port");
          have_rport = TRUE;
        }
      /* other extensions (generation, network-id, ufrag...) are ignored,
       * as §5.1 asks of unknown ones */
    }

  /* usable: UDP (ICE-TCP is off, RFC 6544 candidates are skipped) on an
   * IP literal with a port */
  if (g_ascii_strcasecmp (f[2], "UDP") != 0)
    {
      g_debug ("skipping a candidate with transport “%s”", f[2]);
      return TRUE;
    }
  NiceAddress addr;
  if (!parse_address (f[4], port, &addr) || port == 0)
    {
      g_debug ("skipping a candidate on “%s” port %u", f[4], (guint) port);
      return TRUE;
    }

  NiceCandidate *c = nice_candidate_new (type);
  c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  c->component_id = (guint) component;
  c->priority = (guint32) priority;
  c->addr = addr;
  g_strlcpy (c->foundation, f[0], sizeof c->foundation);
  if (raddr != NULL && have_rport)
    {
      NiceAddress base;
      if (parse_address (raddr, rport, &base))
        c->base_addr = base;
    }
  *out = c;
  return TRUE;
}
