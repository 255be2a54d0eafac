/* registrar-fixture.c: the set-up the registrar's tests share
 * (registrar-fixture.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "registrar-fixture.h"

#include <string.h>

/* ---------------------------------------------------------------- fixture */

static void
event_free (Event *e)
{
  g_free (e->aor);
  g_free (e->user);
  g_free (e->contact);
  g_free (e->instance);
  g_free (e);
}

const char *
password_of (const char *user, gpointer user_data)
{
  if (strcmp (user, "alice") == 0)
    return "wonderland";
  if (strcmp (user, "bob") == 0)
    return "builder";
  if (strcmp (user, "Mufasa") == 0)
    return "Circle Of Life";
  return NULL;
}

static gint64
real_time (gpointer user_data)
{
  return REAL_TIME_S * G_USEC_PER_SEC;
}

static void
on_event (const ChorusSipRegistrarEvent *ev, gpointer user_data)
{
  Fixture *fx = user_data;
  Event *e = g_new0 (Event, 1);
  e->type = ev->type;
  e->aor = g_strdup (ev->aor);
  e->user = g_strdup (ev->user);
  e->contact = g_strdup (ev->contact);
  e->instance = g_strdup (ev->instance);
  e->conn = ev->conn;
  e->expires_s = ev->expires_s;
  /* a callback may call into the registrar */
  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (fx->reg, ev->aor, 0);
  e->seen_in_lookup = b->len;
  g_ptr_array_add (fx->events, e);
}

void
fixture_init (Fixture *fx, const ChorusSipRegistrarConfig *extra)
{
  static const guint8 secret[] = "test secret";
  ChorusSipRegistrarConfig cfg = {
    .domain = DOMAIN,
    .password = password_of,
    .secret = secret,
    .secret_len = sizeof secret - 1,
    .seed = 42,
    .real_time = real_time,
  };
  if (extra != NULL)
    {
      cfg = *extra;
      cfg.password = password_of;
      cfg.real_time = real_time;
    }
  fx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  g_autoptr (GError) error = NULL;
  fx->reg = chorus_sip_registrar_new (&cfg, on_event, fx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fx->reg);
}

void
fixture_clear (Fixture *fx)
{
  chorus_sip_registrar_free (fx->reg);
  g_ptr_array_unref (fx->events);
}

/* ---------------------------------------------------------------- digests, here */

static char *
hex_hash (GChecksumType type, const char *text)
{
  g_autoptr (GChecksum) c = g_checksum_new (type);
  g_checksum_update (c, (const guchar *) text, strlen (text));
  return g_strdup (g_checksum_get_string (c));
}

/* RFC 2617 §3.2.2.1 written out again */
char *
my_digest (GChecksumType type, const char *user, const char *realm, const char *password,
           const char *method, const char *uri, const char *nonce, const char *nc,
           const char *cnonce, const char *qop)
{
  g_autofree char *a1 = g_strconcat (user, ":", realm, ":", password, NULL);
  g_autofree char *a2 = g_strconcat (method, ":", uri, NULL);
  g_autofree char *ha1 = hex_hash (type, a1);
  g_autofree char *ha2 = hex_hash (type, a2);
  g_autofree char *kd =
      qop ? g_strconcat (ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2, NULL)
          : g_strconcat (ha1, ":", nonce, ":", ha2, NULL);
  return hex_hash (type, kd);
}

/* ---------------------------------------------------------------- messages */

GBytes *
register_text (const char *user, const char *call_id, guint cseq, guint branch, const Req *r)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "REGISTER %s SIP/2.0\r\n", r->ruri ? r->ruri : "sip:" DOMAIN);
  g_string_append_printf (s, "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%u;rport\r\n", branch);
  g_string_append (s, "Max-Forwards: 70\r\n");
  if (r->to)
    g_string_append_printf (s, "To: %s\r\n", r->to);
  else
    g_string_append_printf (s, "To: <sip:%s@" DOMAIN ">\r\n", user);
  g_string_append_printf (s, "From: <sip:%s@" DOMAIN ">;tag=f%u\r\n", user, cseq);
  g_string_append_printf (s, "Call-ID: %s\r\n", call_id);
  g_string_append_printf (s, "CSeq: %u REGISTER\r\n", cseq);
  if (r->contacts)
    g_string_append (s, r->contacts);
  if (r->extra)
    g_string_append (s, r->extra);
  if (r->auth)
    g_string_append_printf (s, "Authorization: %s\r\n", r->auth);
  g_string_append (s, "Content-Length: 0\r\n\r\n");
  return g_string_free_to_bytes (s);
}

static osip_message_t *
parse_response (GBytes *b)
{
  g_assert_nonnull (b);
  osip_message_t *m = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  ChorusSipParseResult r = chorus_sip_message_parse (g_bytes_get_data (b, NULL),
                                                     g_bytes_get_size (b), &m, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, CHORUS_SIP_PARSE_OK);
  g_assert_false (MSG_IS_REQUEST (m));
  /* §8.2.6.2: every response but 100 gets a To tag */
  g_assert_nonnull (chorus_sip_message_to_tag (m));
  return m;
}

osip_message_t *
send_bytes (Fixture *fx, ChorusSipConnId conn, GBytes *req, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) resp = chorus_sip_registrar_handle (
      fx->reg, conn, g_bytes_get_data (req, NULL), g_bytes_get_size (req), now, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_test_message ("%.*s\n--\n%.*s", (int) g_bytes_get_size (req),
                    (const char *) g_bytes_get_data (req, NULL), (int) g_bytes_get_size (resp),
                    (const char *) g_bytes_get_data (resp, NULL));
  return parse_response (resp);
}

osip_message_t *
send_text (Fixture *fx, ChorusSipConnId conn, const char *text, gint64 now)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));
  return send_bytes (fx, conn, b, now);
}

const char *
header (osip_message_t *m, const char *name)
{
  return chorus_sip_message_header (m, name);
}

/* Every value of the header @name, joined with ", " (libosip2 splits
 * comma-separated values into headers of their own). */
char *
header_all (osip_message_t *m, const char *name)
{
  GString *s = g_string_new (NULL);
  osip_header_t *h = NULL;
  for (int i = 0; (i = osip_message_header_get_byname (m, name, i, &h)) >= 0; i++)
    g_string_append_printf (s, "%s%s", s->len ? ", " : "", h->hvalue);
  return g_string_free (s, FALSE);
}

/* The nonce of a 401 (the MD5 challenge, or the first with @first);
 * *@stale whether it says stale=true. */
char *
challenge_nonce (osip_message_t *m, gboolean first, const char **algorithm, gboolean *stale)
{
  g_assert_cmpint (m->status_code, ==, 401);
  osip_www_authenticate_t *w = NULL;
  int n = osip_list_size (&m->www_authenticates);
  g_assert_cmpint (n, >=, 1);
  w = osip_list_get (&m->www_authenticates, first ? 0 : n - 1);
  g_assert_cmpstr (w->auth_type, ==, "Digest");
  g_assert_cmpstr (w->realm, ==, "\"" DOMAIN "\"");
  g_assert_cmpstr (w->qop_options, ==, "\"auth\"");
  if (algorithm)
    *algorithm = w->algorithm;
  if (stale)
    *stale = w->stale != NULL && g_ascii_strcasecmp (w->stale, "true") == 0;
  gsize len = strlen (w->nonce);
  g_assert_cmpint (len, >=, 2);
  return g_strndup (w->nonce + 1, len - 2);
}

/* An Authorization value for @user with @password as RFC 2617 §3.2.2 has
 * the client write it. */
char *
credentials (const char *user, const char *password, const char *nonce, guint nc, const char *uri)
{
  g_autofree char *ncs = g_strdup_printf ("%08x", nc);
  g_autofree char *resp = my_digest (G_CHECKSUM_MD5, user, DOMAIN, password, "REGISTER", uri, nonce,
                                     ncs, "0a4f113b", "auth");
  return g_strdup_printf ("Digest username=\"%s\", realm=\"" DOMAIN "\", nonce=\"%s\", "
                          "uri=\"%s\", qop=auth, nc=%s, cnonce=\"0a4f113b\", response=\"%s\", "
                          "algorithm=MD5",
                          user, nonce, uri, ncs, resp);
}

void
phone_clear (Phone *p)
{
  g_clear_pointer (&p->nonce, g_free);
}

/* One REGISTER with the current credentials (none before the first
 * challenge); the response. */
osip_message_t *
phone_send (Fixture *fx, Phone *p, const Req *base, gint64 now)
{
  Req r = *base;
  g_autofree char *auth = NULL;
  if (p->nonce && r.auth == NULL)
    {
      auth = credentials (p->user, p->password, p->nonce, ++p->nc, r.ruri ? r.ruri : "sip:" DOMAIN);
      r.auth = auth;
    }
  g_autoptr (GBytes) b = register_text (p->user, p->call_id, ++p->cseq, ++p->branch, &r);
  return send_bytes (fx, p->conn, b, now);
}

/* Registers as a phone does: answers a 401 once with new credentials. */
osip_message_t *
phone_register (Fixture *fx, Phone *p, const Req *r, gint64 now)
{
  osip_message_t *m = phone_send (fx, p, r, now);
  if (m->status_code != 401)
    return m;
  g_free (p->nonce);
  p->nonce = challenge_nonce (m, FALSE, NULL, NULL);
  p->nc = 0;
  osip_message_free (m);
  return phone_send (fx, p, r, now);
}

guint
contact_count (osip_message_t *m)
{
  return (guint) osip_list_size (&m->contacts);
}

/* The expires parameter of the Contact whose URI is @uri, or -1. */
int
contact_expires (osip_message_t *m, const char *uri)
{
  osip_contact_t *c;
  for (int i = 0; (c = osip_list_get (&m->contacts, i)) != NULL; i++)
    {
      g_autofree char *s = chorus_sip_uri_to_string (c->url);
      if (g_strcmp0 (s, uri) != 0)
        continue;
      osip_generic_param_t *p = NULL;
      osip_contact_param_get_byname (c, "expires", &p);
      return p && p->gvalue ? atoi (p->gvalue) : -1;
    }
  return -1;
}

Event *
event_at (Fixture *fx, guint i)
{
  g_assert_cmpuint (i, <, fx->events->len);
  return fx->events->pdata[i];
}
