/* chorus-sip-message.c: checking, building and writing SIP messages on
 * libosip2 (chorus-sip-message.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-message.h"

#include "chorus-sip-aor.h"

#include <string.h>

/* ---------------------------------------------------------------- checks */

static gboolean
all_digits (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* A decimal number of at most @max; leading and trailing white space is
 * allowed (libosip2 keeps some values unstripped). */
static gboolean
number_at_most (const char *text, guint64 max)
{
  if (text == NULL)
    return FALSE;
  g_autofree char *s = g_strstrip (g_strdup (text));
  if (!all_digits (s))
    return FALSE;
  guint64 v;
  return g_ascii_string_to_unsigned (s, 10, 0, max, &v, NULL);
}

static ChorusSipParseResult
reject (gboolean request, int status, int *status_out, GError **error, const char *why)
{
  g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "%s", why);
  if (!request)
    return CHORUS_SIP_PARSE_DROP;
  *status_out = status;
  return CHORUS_SIP_PARSE_REJECT;
}

static ChorusSipParseResult
check (osip_message_t *m, int *status, GError **error)
{
  gboolean request = MSG_IS_REQUEST (m);
  /* §7.1, §7.2: SIP-Version is "SIP/2.0" (case-insensitive, §7.1); a
   * server answers another version with 505 (§21.5.7; RFC 4475 badvers). */
  if (m->sip_version == NULL || g_ascii_strcasecmp (m->sip_version, "SIP/2.0") != 0)
    return reject (request, 505, status, error, "SIP version is not SIP/2.0");
  if (!request && (m->status_code < 100 || m->status_code > 699))
    return reject (FALSE, 0, status, error, "status code is not 100..699 (§7.2)");
  /* §8.1.1: To, From, CSeq, Call-ID and Via in every request (and every
   * response, §8.2.6.2); Max-Forwards too, but RFC 2543 had none and RFC
   * 4475 §3.4.1 asks to accept that syntax. */
  if (m->to == NULL || m->from == NULL || m->cseq == NULL || m->call_id == NULL
      || osip_list_size (&m->vias) == 0 || m->cseq->number == NULL || m->cseq->method == NULL)
    return reject (request, 400, status, error,
                   "missing a required header: To, From, CSeq, Call-ID or Via (§8.1.1)");
  if (m->to->url == NULL || m->from->url == NULL)
    return reject (request, 400, status, error, "From or To has no URI");
  /* §8.1.1.5: "The sequence number MUST be expressible as a 32-bit unsigned
   * integer and MUST be less than 2**31." */
  if (!number_at_most (m->cseq->number, G_MAXINT32))
    return reject (request, 400, status, error, "CSeq number is not below 2^31 (§8.1.1.5)");
  if (request && strcmp (m->cseq->method, m->sip_method) != 0)
    return reject (request, 400, status, error,
                   "CSeq method differs from the request method (§8.1.1.5)");
  osip_header_t *h = NULL;
  /* §20.22: Max-Forwards is an integer in the range 0-255. */
  if (osip_message_get_max_forwards (m, 0, &h) >= 0 && h != NULL
      && !number_at_most (h->hvalue, 255))
    return reject (request, 400, status, error, "Max-Forwards is not 0..255 (§20.22)");
  /* §20.14: Content-Length is 1*DIGIT (RFC 4475 ncl: negative). */
  if (m->content_length != NULL && !number_at_most (m->content_length->value, G_MAXUINT32))
    return reject (request, 400, status, error, "Content-Length is not a number (§20.14)");
  /* §20.19, §10.2.1.1: delta-seconds, at most 2^32-1. */
  h = NULL;
  if (osip_message_get_expires (m, 0, &h) >= 0 && h != NULL
      && !number_at_most (h->hvalue, G_MAXUINT32))
    return reject (request, 400, status, error, "Expires is not below 2^32 (§20.19)");
  osip_contact_t *contact = NULL;
  for (int i = 0; osip_message_get_contact (m, i, &contact) >= 0 && contact != NULL; i++)
    {
      osip_generic_param_t *p = NULL;
      osip_contact_param_get_byname (contact, "expires", &p);
      if (p != NULL && !number_at_most (p->gvalue, G_MAXUINT32))
        return reject (request, 400, status, error,
                       "a Contact expires parameter is not below 2^32 (§10.2.1.1)");
    }
  /* §19.1.1 (the table of URI components): headers are not allowed in a
   * Request-URI (RFC 4475 escruri). */
  if (request && (m->req_uri == NULL || osip_list_size (&m->req_uri->url_headers) > 0))
    return reject (request, 400, status, error, "headers in the Request-URI (§19.1.1)");
  return CHORUS_SIP_PARSE_OK;
}

ChorusSipParseResult
chorus_sip_message_parse (const guint8 *data, gsize len, osip_message_t **out, int *status,
                          GError **error)
{
  chorus_sip_osip_init ();
  *out = NULL;
  *status = 0;
  if (len == 0 || len > 65535)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "a message of %" G_GSIZE_FORMAT " bytes", len);
      return CHORUS_SIP_PARSE_DROP;
    }
  /* libosip2 reads C strings: give it a terminated copy, with zeros to
   * spare (its SDP parser reads past the terminator, chorus-sdp.c). */
  g_autofree char *copy = g_malloc0 (len + 16);
  memcpy (copy, data, len);
  osip_message_t *m = NULL;
  osip_message_init (&m);
  if (osip_message_parse (m, copy, len) != 0)
    {
      osip_message_free (m);
      /* Nothing can be answered: libosip2 keeps no part of a message it
       * could not parse (RFC 4475 asks 400 where one can be formed). */
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "libosip2 could not parse the message");
      return CHORUS_SIP_PARSE_DROP;
    }
  ChorusSipParseResult r = check (m, status, error);
  if (r == CHORUS_SIP_PARSE_DROP)
    {
      osip_message_free (m);
      return r;
    }
  *out = m;
  return r;
}

/* ---------------------------------------------------------------- access */

GBytes *
chorus_sip_message_to_bytes (osip_message_t *msg)
{
  /* a parsed message keeps its text until told it changed */
  osip_message_force_update (msg);
  char *text = NULL;
  size_t len = 0;
  if (osip_message_to_str (msg, &text, &len) != 0 || text == NULL)
    return NULL;
  GBytes *b = g_bytes_new (text, len);
  osip_free (text);
  return b;
}

osip_message_t *
chorus_sip_message_clone (const osip_message_t *msg)
{
  osip_message_t *c = NULL;
  if (osip_message_clone (msg, &c) != 0)
    return NULL;
  return c;
}

gboolean
chorus_sip_message_is_request (const osip_message_t *msg)
{
  return MSG_IS_REQUEST (msg);
}

const char *
chorus_sip_message_method (const osip_message_t *msg)
{
  if (MSG_IS_REQUEST (msg))
    return msg->sip_method;
  return msg->cseq ? msg->cseq->method : NULL;
}

guint32
chorus_sip_message_cseq (const osip_message_t *msg)
{
  if (msg->cseq == NULL || msg->cseq->number == NULL)
    return 0;
  return (guint32) g_ascii_strtoull (msg->cseq->number, NULL, 10);
}

const char *
chorus_sip_message_branch (const osip_message_t *msg)
{
  osip_via_t *via = osip_list_get (&msg->vias, 0);
  osip_generic_param_t *p = NULL;
  if (via == NULL)
    return NULL;
  osip_via_param_get_byname (via, "branch", &p);
  return p ? p->gvalue : NULL;
}

const char *
chorus_sip_message_from_tag (const osip_message_t *msg)
{
  osip_generic_param_t *p = NULL;
  if (msg->from == NULL)
    return NULL;
  osip_from_get_tag (msg->from, &p);
  return p ? p->gvalue : NULL;
}

const char *
chorus_sip_message_to_tag (const osip_message_t *msg)
{
  osip_generic_param_t *p = NULL;
  if (msg->to == NULL)
    return NULL;
  osip_to_get_tag (msg->to, &p);
  return p ? p->gvalue : NULL;
}

char *
chorus_sip_message_call_id (const osip_message_t *msg)
{
  char *s = NULL;
  if (msg->call_id == NULL || osip_call_id_to_str (msg->call_id, &s) != 0 || s == NULL)
    return NULL;
  char *r = g_strdup (s);
  osip_free (s);
  return r;
}

const char *
chorus_sip_message_header (const osip_message_t *msg, const char *name)
{
  osip_header_t *h = NULL;
  if (osip_message_header_get_byname (msg, name, 0, &h) < 0 || h == NULL)
    return NULL;
  return h->hvalue;
}

char *
chorus_sip_message_content_type (const osip_message_t *msg)
{
  osip_content_type_t *ct = msg->content_type;
  if (ct == NULL || ct->type == NULL || ct->subtype == NULL)
    return NULL;
  g_autofree char *s = g_strdup_printf ("%s/%s", ct->type, ct->subtype);
  return g_ascii_strdown (s, -1);
}

const char *
chorus_sip_message_body (const osip_message_t *msg, gsize *len)
{
  osip_body_t *b = osip_list_get (&msg->bodies, 0);
  if (b == NULL || b->body == NULL)
    {
      *len = 0;
      return NULL;
    }
  *len = b->length;
  return b->body;
}

char *
chorus_sip_uri_to_string (const osip_uri_t *uri)
{
  char *s = NULL;
  if (uri == NULL || osip_uri_to_str (uri, &s) != 0 || s == NULL)
    return NULL;
  char *r = g_strdup (s);
  osip_free (s);
  return r;
}

char *
chorus_sip_message_from_uri (const osip_message_t *msg)
{
  return msg->from ? chorus_sip_uri_to_string (msg->from->url) : NULL;
}

char *
chorus_sip_message_to_uri (const osip_message_t *msg)
{
  return msg->to ? chorus_sip_uri_to_string (msg->to->url) : NULL;
}

char *
chorus_sip_message_contact_uri (const osip_message_t *msg)
{
  osip_contact_t *c = osip_list_get (&msg->contacts, 0);
  return c ? chorus_sip_uri_to_string (c->url) : NULL;
}

/* ---------------------------------------------------------------- building */

osip_message_t *
chorus_sip_response_new (const osip_message_t *request, int status, const char *reason,
                         const char *to_tag)
{
  osip_message_t *r = NULL;
  osip_message_init (&r);
  osip_message_set_version (r, osip_strdup ("SIP/2.0"));
  osip_message_set_status_code (r, status);
  const char *phrase = reason ? reason : osip_message_get_reason (status);
  osip_message_set_reason_phrase (r, osip_strdup (phrase && *phrase ? phrase : "Unknown"));
  /* §8.2.6.2: the Vias in the same order, From, Call-ID, CSeq and To
   * copied; a tag added to To unless it has one or this is a 100. */
  osip_via_t *via;
  for (int i = 0; (via = osip_list_get (&request->vias, i)) != NULL; i++)
    {
      osip_via_t *copy = NULL;
      if (osip_via_clone (via, &copy) == 0)
        osip_list_add (&r->vias, copy, -1);
    }
  osip_from_clone (request->from, &r->from);
  osip_to_clone (request->to, &r->to);
  osip_call_id_clone (request->call_id, &r->call_id);
  osip_cseq_clone (request->cseq, &r->cseq);
  if (r->to != NULL && status != 100 && to_tag != NULL && chorus_sip_message_to_tag (r) == NULL)
    osip_to_set_tag (r->to, osip_strdup (to_tag));
  return r;
}

osip_message_t *
chorus_sip_request_new (const char *method, const char *ruri, const char *from,
                        const char *from_tag, const char *to, const char *to_tag,
                        const char *call_id, guint32 cseq, const char *transport,
                        const char *via_host, const char *branch)
{
  chorus_sip_osip_init ();
  osip_message_t *m = NULL;
  osip_message_init (&m);
  osip_message_set_method (m, osip_strdup (method));
  osip_message_set_version (m, osip_strdup ("SIP/2.0"));
  osip_uri_t *uri = NULL;
  osip_uri_init (&uri);
  if (osip_uri_parse (uri, ruri) != 0)
    {
      osip_uri_free (uri);
      osip_message_free (m);
      return NULL;
    }
  osip_message_set_uri (m, uri);
  g_autofree char *via = g_strdup_printf ("SIP/2.0/%s %s;branch=%s", transport, via_host, branch);
  g_autofree char *cs = g_strdup_printf ("%u %s", cseq, method);
  g_autofree char *from_v = strchr (from, '<') ? g_strdup (from) : g_strdup_printf ("<%s>", from);
  g_autofree char *to_v = strchr (to, '<') ? g_strdup (to) : g_strdup_printf ("<%s>", to);
  if (osip_message_set_via (m, via) != 0 || osip_message_set_from (m, from_v) != 0
      || osip_message_set_to (m, to_v) != 0 || osip_message_set_call_id (m, call_id) != 0
      || osip_message_set_cseq (m, cs) != 0 || m->from == NULL || m->to == NULL)
    {
      osip_message_free (m);
      return NULL;
    }
  if (from_tag != NULL)
    osip_from_set_tag (m->from, osip_strdup (from_tag));
  if (to_tag != NULL)
    osip_to_set_tag (m->to, osip_strdup (to_tag));
  osip_message_set_max_forwards (m, "70");
  return m;
}

void
chorus_sip_message_set_body (osip_message_t *msg, const char *content_type, const char *body,
                             gsize len)
{
  osip_body_t *b;
  while ((b = osip_list_get (&msg->bodies, 0)) != NULL)
    {
      osip_list_remove (&msg->bodies, 0);
      osip_body_free (b);
    }
  g_clear_pointer (&msg->content_type, osip_content_type_free);
  if (body == NULL)
    return;
  osip_message_set_body (msg, body, len);
  osip_message_set_content_type (msg, content_type);
}

void
chorus_sip_message_add_header (osip_message_t *msg, const char *name, const char *value)
{
  osip_message_set_header (msg, name, value);
}

/* ---------------------------------------------------------------- identifiers */

static char *
random_hex (GRand *rand, guint bytes)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < bytes; i++)
    g_string_append_printf (s, "%02x", g_rand_int_range (rand, 0, 256));
  return g_string_free (s, FALSE);
}

char *
chorus_sip_new_branch (GRand *rand)
{
  g_autofree char *hex = random_hex (rand, 8);
  return g_strconcat (CHORUS_SIP_MAGIC_COOKIE, hex, NULL);
}

char *
chorus_sip_new_tag (GRand *rand)
{
  /* §19.3: at least 32 bits of randomness */
  return random_hex (rand, 6);
}

char *
chorus_sip_new_call_id (GRand *rand, const char *host)
{
  g_autofree char *hex = random_hex (rand, 12);
  return g_strdup_printf ("%s@%s", hex, host);
}
