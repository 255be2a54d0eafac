/* test-sip-registrar.c: the registrar of the adapter peer
 * (chorus-sip-registrar.h): RFC 3261 §10.3 processing and digest
 * authentication (RFC 2617, RFC 7616, RFC 8760), with the digests computed
 * here independently of the registrar's own function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-message.h"
#include "chorus-sip-registrar.h"

#include <string.h>

#define DOMAIN "overlay.example"
/* RFC 1123's example date (§5.2.14), as the registrar's wall clock */
#define REAL_TIME_S G_GINT64_CONSTANT (784111777)
#define T0 G_GINT64_CONSTANT (1000000)

/* ---------------------------------------------------------------- fixture */

typedef struct
{
  ChorusSipRegistrarEventType type;
  char *aor, *user, *contact, *instance;
  ChorusSipConnId conn;
  guint expires_s;
  guint seen_in_lookup; /* bindings lookup() saw from inside the callback */
} Event;

typedef struct
{
  ChorusSipRegistrar *reg;
  GPtrArray *events; /* Event */
} Fixture;

static void
event_free (Event *e)
{
  g_free (e->aor);
  g_free (e->user);
  g_free (e->contact);
  g_free (e->instance);
  g_free (e);
}

static const char *
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

static void
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

static void
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
static char *
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

typedef struct
{
  const char *ruri;     /* NULL: sip:DOMAIN */
  const char *to;       /* NULL: <sip:USER@DOMAIN> */
  const char *contacts; /* "Contact: ..." lines, each ending in \r\n; NULL: none */
  const char *extra;    /* more header lines */
  const char *auth;     /* the whole Authorization value, or NULL */
} Req;

static GBytes *
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

static osip_message_t *
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

static osip_message_t *
send_text (Fixture *fx, ChorusSipConnId conn, const char *text, gint64 now)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));
  return send_bytes (fx, conn, b, now);
}

static const char *
header (osip_message_t *m, const char *name)
{
  return chorus_sip_message_header (m, name);
}

/* Every value of the header @name, joined with ", " (libosip2 splits
 * comma-separated values into headers of their own). */
static char *
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
static char *
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
static char *
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

/* A phone: one Call-ID, CSeq and nonce count that go up, like a UA's
 * registration (RFC 3261 §10.2.4). */
typedef struct
{
  const char *user, *password, *call_id;
  ChorusSipConnId conn;
  guint cseq;
  guint branch;
  char *nonce;
  guint nc;
} Phone;

static void
phone_clear (Phone *p)
{
  g_clear_pointer (&p->nonce, g_free);
}

/* One REGISTER with the current credentials (none before the first
 * challenge); the response. */
static osip_message_t *
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
static osip_message_t *
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

static guint
contact_count (osip_message_t *m)
{
  return (guint) osip_list_size (&m->contacts);
}

/* The expires parameter of the Contact whose URI is @uri, or -1. */
static int
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

static Event *
event_at (Fixture *fx, guint i)
{
  g_assert_cmpuint (i, <, fx->events->len);
  return fx->events->pdata[i];
}

/* ---------------------------------------------------------------- digest function */

static void
test_digest_vectors (void)
{
  /* RFC 2617 §3.5 */
  g_autofree char *r1 = chorus_sip_digest_response (
      CHORUS_SIP_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
      "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");
  g_assert_cmpstr (r1, ==, "6629fae49393a05397450978507c4ef1");
  /* RFC 7616 §3.9.1 (its password is "Circle of Life", erratum 4495) */
  const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  g_autofree char *r2 = chorus_sip_digest_response (
      CHORUS_SIP_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
      "/dir/index.html", nonce, "00000001", cnonce, "auth");
  g_assert_cmpstr (r2, ==, "8ca523f5e9506fed4657c9700eebdbec");
  g_autofree char *r3 = chorus_sip_digest_response (
      CHORUS_SIP_DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life", "GET",
      "/dir/index.html", nonce, "00000001", cnonce, "auth");
  g_assert_cmpstr (r3, ==, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  /* the RFC 2069 form (no qop): SHA-256, as curl's test 2061 has it */
  g_autofree char *r4 =
      chorus_sip_digest_response (CHORUS_SIP_DIGEST_SHA256, "testuser", "testrealm", "testpass",
                                  "GET", "/2061", "1053604145", NULL, NULL, NULL);
  g_assert_cmpstr (r4, ==, "9dc55255f1a2537b838311674b621d45346b862a81631bb20e4ce356ef25062d");
  /* and this file's own function agrees */
  g_autofree char *mine = my_digest (
      G_CHECKSUM_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
      "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");
  g_assert_cmpstr (mine, ==, r1);
}

/* ---------------------------------------------------------------- the exchange */

static void
test_challenge_response (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=600\r\n" };

  /* no credentials: 401 with a challenge (§22.2) */
  g_autoptr (GBytes) first = register_text ("alice", "c1@phone", 1, 1, &r);
  osip_message_t *m = send_bytes (&fx, 7, first, T0);
  const char *algorithm = NULL;
  gboolean stale = TRUE;
  g_autofree char *nonce = challenge_nonce (m, FALSE, &algorithm, &stale);
  g_assert_cmpstr (algorithm, ==, "MD5");
  g_assert_false (stale);
  g_assert_cmpuint (strlen (nonce), ==, 64);
  g_assert_cmpint (osip_list_size (&m->www_authenticates), ==, 1);
  osip_message_free (m);
  g_assert_cmpuint (fx.events->len, ==, 0);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);

  /* the answer, computed here */
  g_autofree char *auth = credentials ("alice", "wonderland", nonce, 1, "sip:" DOMAIN);
  r.auth = auth;
  g_autoptr (GBytes) second = register_text ("alice", "c1@phone", 2, 2, &r);
  m = send_bytes (&fx, 7, second, T0 + 50);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 1);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.10:5060;transport=udp"), ==, 600);
  /* §10.3 step 8: Date */
  g_assert_cmpstr (header (m, "date"), ==, "Sun, 06 Nov 1994 08:49:37 GMT");
  g_assert_cmpint (osip_list_size (&m->www_authenticates), ==, 0);
  osip_message_free (m);

  g_assert_cmpuint (fx.events->len, ==, 1);
  Event *e = event_at (&fx, 0);
  g_assert_cmpint (e->type, ==, CHORUS_SIP_REGISTRAR_BINDING_ADDED);
  g_assert_cmpstr (e->aor, ==, "sip:alice@" DOMAIN);
  g_assert_cmpstr (e->user, ==, "alice");
  g_assert_cmpstr (e->contact, ==, "sip:alice@192.0.2.10:5060;transport=udp");
  g_assert_cmpuint (e->conn, ==, 7);
  g_assert_cmpuint (e->expires_s, ==, 600);
  g_assert_null (e->instance);
  g_assert_cmpuint (e->seen_in_lookup, ==, 1);

  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (fx.reg, "alice", T0 + 100);
  g_assert_cmpuint (b->len, ==, 1);
  ChorusSipRegistrarBinding *bb = b->pdata[0];
  g_assert_cmpstr (bb->aor, ==, "sip:alice@" DOMAIN);
  g_assert_cmpstr (bb->contact, ==, "sip:alice@192.0.2.10:5060;transport=udp");
  g_assert_cmpuint (bb->conn, ==, 7);
  g_assert_cmpint (bb->expires_at_ms, ==, T0 + 50 + 600000);
  /* any spelling of the AOR */
  g_autoptr (GPtrArray) b2 =
      chorus_sip_registrar_lookup (fx.reg, "<sip:alice@OVERLAY.example>", T0 + 100);
  g_assert_cmpuint (b2->len, ==, 1);
  g_autoptr (GPtrArray) b3 = chorus_sip_registrar_lookup (fx.reg, "sip:bob@" DOMAIN, T0);
  g_assert_cmpuint (b3->len, ==, 0);
  fixture_clear (&fx);
}

static void
test_wrong_password (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "not the password", .call_id = "c2", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  /* refused credentials: a new challenge, not stale (RFC 7235 §3.1) */
  gboolean stale = TRUE;
  g_free (challenge_nonce (m, FALSE, NULL, &stale));
  g_assert_false (stale);
  osip_message_free (m);
  g_assert_cmpuint (fx.events->len, ==, 0);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_unknown_user (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "mallory", .password = "guess", .call_id = "c3", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:mallory@192.0.2.66>\r\n" };
  /* challenged like anyone (who exists is not told), then refused as a
   * wrong password is */
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  gboolean stale = TRUE;
  g_free (challenge_nonce (m, FALSE, NULL, &stale));
  g_assert_false (stale);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  g_assert_cmpuint (fx.events->len, ==, 0);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_user_mismatch (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  /* bob authenticates but registers alice's AOR: §10.3 step 4 */
  Phone p = { .user = "bob", .password = "builder", .call_id = "c4", .conn = 1 };
  Req r = { .to = "<sip:alice@" DOMAIN ">", .contacts = "Contact: <sip:bob@192.0.2.11>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 403);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_stale_nonce (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c5", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  /* the same nonce, still fresh at 299 s */
  m = phone_send (&fx, &p, &r, T0 + 299000);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  /* at 300 s it is stale: a correct digest gets stale=true */
  m = phone_send (&fx, &p, &r, T0 + 300000);
  gboolean stale = FALSE;
  g_autofree char *fresh = challenge_nonce (m, FALSE, NULL, &stale);
  g_assert_true (stale);
  g_assert_cmpstr (fresh, !=, p.nonce);
  osip_message_free (m);
  /* a wrong password with the stale nonce: not stale (RFC 2617 §3.2.1) */
  Phone wrong = p;
  wrong.password = "wrong";
  wrong.nonce = g_strdup (p.nonce);
  m = phone_send (&fx, &wrong, &r, T0 + 300000);
  stale = TRUE;
  g_free (challenge_nonce (m, FALSE, NULL, &stale));
  g_assert_false (stale);
  osip_message_free (m);
  phone_clear (&wrong);
  /* the new nonce works without asking the user */
  g_free (p.nonce);
  p.nonce = g_strdup (fresh);
  p.nc = 0;
  m = phone_send (&fx, &p, &r, T0 + 300001);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_nonce_count_replay (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c6", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0); /* nc 1 */
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  /* nc 1 again, in a new request (new branch and CSeq): a replay */
  p.nc = 0;
  m = phone_send (&fx, &p, &r, T0 + 1000);
  gboolean stale = FALSE;
  g_free (challenge_nonce (m, FALSE, NULL, &stale));
  g_assert_true (stale);
  osip_message_free (m);
  /* nc 2 is fine, then 2 and 1 are not */
  m = phone_send (&fx, &p, &r, T0 + 2000);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  p.nc = 1;
  m = phone_send (&fx, &p, &r, T0 + 3000);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  p.nc = 0;
  m = phone_send (&fx, &p, &r, T0 + 3000);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  /* skipping counts is allowed (requests may be lost) */
  p.nc = 9;
  m = phone_send (&fx, &p, &r, T0 + 4000);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_forged_nonce (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  /* a nonce of the right form from another secret, and one of another form */
  const char *nonces[] = { "00000000000f424000000000000000000123456789abcdef0123456789abcdef",
                           "dcd98b7102dd2f0e8b11d0f600bfb0c093" };
  for (guint i = 0; i < G_N_ELEMENTS (nonces); i++)
    {
      Phone p = { .user = "alice", .password = "wonderland", .call_id = "c7", .conn = 1 };
      p.nonce = g_strdup (nonces[i]);
      osip_message_t *m = phone_send (&fx, &p, &r, T0);
      gboolean stale = TRUE;
      g_free (challenge_nonce (m, FALSE, NULL, &stale));
      g_assert_false (stale);
      osip_message_free (m);
      phone_clear (&p);
    }
  /* a nonce from another registrar (another secret) */
  static const guint8 other_secret[] = "another secret";
  ChorusSipRegistrarConfig cfg = { .domain = DOMAIN,
                                   .secret = other_secret,
                                   .secret_len = sizeof other_secret - 1 };
  Fixture other;
  fixture_init (&other, &cfg);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c8", .conn = 1 };
  osip_message_t *m = phone_send (&other, &p, &r, T0);
  p.nonce = challenge_nonce (m, FALSE, NULL, NULL);
  osip_message_free (m);
  m = phone_send (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  m = phone_send (&other, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  phone_clear (&p);
  fixture_clear (&other);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  fixture_clear (&fx);
}

static void
test_sha256 (void)
{
  static const guint8 secret[] = "s";
  ChorusSipRegistrarConfig cfg = {
    .domain = DOMAIN, .secret = secret, .secret_len = 1, .offer_sha256 = TRUE
  };
  Fixture fx;
  fixture_init (&fx, &cfg);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  g_autoptr (GBytes) q = register_text ("alice", "c9", 1, 1, &r);
  osip_message_t *m = send_bytes (&fx, 1, q, T0);
  /* RFC 8760 §2.3: SHA-256 first, then MD5, one nonce */
  g_assert_cmpint (osip_list_size (&m->www_authenticates), ==, 2);
  const char *alg = NULL;
  g_autofree char *nonce = challenge_nonce (m, TRUE, &alg, NULL);
  g_assert_cmpstr (alg, ==, "SHA-256");
  g_autofree char *nonce_md5 = challenge_nonce (m, FALSE, &alg, NULL);
  g_assert_cmpstr (alg, ==, "MD5");
  g_assert_cmpstr (nonce, ==, nonce_md5);
  osip_message_free (m);
  g_autofree char *resp = my_digest (G_CHECKSUM_SHA256, "alice", DOMAIN, "wonderland", "REGISTER",
                                     "sip:" DOMAIN, nonce, "00000001", "xyz", "auth");
  g_autofree char *auth =
      g_strdup_printf ("Digest username=\"alice\",realm=\"" DOMAIN "\",nonce=\"%s\","
                       "uri=\"sip:" DOMAIN "\",response=\"%s\",algorithm=SHA-256,"
                       "cnonce=\"xyz\",qop=auth,nc=00000001",
                       nonce, resp);
  r.auth = auth;
  g_autoptr (GBytes) b = register_text ("alice", "c9", 2, 2, &r);
  m = send_bytes (&fx, 1, b, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  fixture_clear (&fx);
}

static void
test_rfc2069_single_use (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  g_autoptr (GBytes) q = register_text ("alice", "c10", 1, 1, &r);
  osip_message_t *m = send_bytes (&fx, 1, q, T0);
  g_autofree char *nonce = challenge_nonce (m, FALSE, NULL, NULL);
  osip_message_free (m);
  /* no qop (RFC 2069): the nonce is good once */
  g_autofree char *resp = my_digest (G_CHECKSUM_MD5, "alice", DOMAIN, "wonderland", "REGISTER",
                                     "sip:" DOMAIN, nonce, NULL, NULL, NULL);
  g_autofree char *auth =
      g_strdup_printf ("Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", "
                       "uri=\"sip:" DOMAIN "\", response=\"%s\"",
                       nonce, resp);
  r.auth = auth;
  g_autoptr (GBytes) b1 = register_text ("alice", "c10", 2, 2, &r);
  m = send_bytes (&fx, 1, b1, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  g_autoptr (GBytes) b2 = register_text ("alice", "c10", 3, 3, &r);
  m = send_bytes (&fx, 1, b2, T0);
  gboolean stale = FALSE;
  g_autofree char *n = challenge_nonce (m, FALSE, NULL, &stale);
  g_assert_true (stale);
  osip_message_free (m);
  /* nor is a nonce already used with qop */
  g_autofree char *with_qop = credentials ("alice", "wonderland", n, 1, "sip:" DOMAIN);
  r.auth = with_qop;
  g_autoptr (GBytes) b3 = register_text ("alice", "c10", 4, 4, &r);
  m = send_bytes (&fx, 1, b3, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  g_autofree char *resp2 = my_digest (G_CHECKSUM_MD5, "alice", DOMAIN, "wonderland", "REGISTER",
                                      "sip:" DOMAIN, n, NULL, NULL, NULL);
  g_autofree char *auth2 =
      g_strdup_printf ("Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", "
                       "uri=\"sip:" DOMAIN "\", response=\"%s\"",
                       n, resp2);
  r.auth = auth2;
  g_autoptr (GBytes) b4 = register_text ("alice", "c10", 5, 5, &r);
  m = send_bytes (&fx, 1, b4, T0);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  fixture_clear (&fx);
}

static void
test_bad_credentials (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  g_autoptr (GBytes) q = register_text ("alice", "c11", 1, 1, &r);
  osip_message_t *m = send_bytes (&fx, 1, q, T0);
  g_autofree char *nonce = challenge_nonce (m, FALSE, NULL, NULL);
  osip_message_free (m);
  g_autofree char *good = credentials ("alice", "wonderland", nonce, 1, "sip:" DOMAIN);
  g_autofree char *other_uri = credentials ("alice", "wonderland", nonce, 1, "sip:elsewhere.org");
  g_autofree char *no_nonce = g_strdup_printf ("Digest username=\"alice\", realm=\"" DOMAIN
                                               "\", uri=\"sip:" DOMAIN "\", response=\"%s\"",
                                               "00000000000000000000000000000000");
  g_autofree char *auth_int = g_strdup_printf (
      "Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", uri=\"sip:" DOMAIN "\", "
      "qop=auth-int, nc=00000001, cnonce=\"x\", response=\"00000000000000000000000000000000\"",
      nonce);
  g_autofree char *bad_nc = g_strdup_printf (
      "Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", uri=\"sip:" DOMAIN "\", "
      "qop=auth, nc=1, cnonce=\"x\", response=\"00000000000000000000000000000000\"",
      nonce);
  g_autofree char *no_cnonce = g_strdup_printf (
      "Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", uri=\"sip:" DOMAIN "\", "
      "qop=auth, nc=00000001, response=\"00000000000000000000000000000000\"",
      nonce);
  /* RFC 2617 §3.2.2: improper or missing directives, §3.2.2.5 the uri */
  const char *bad[] = { other_uri, no_nonce, auth_int, bad_nc, no_cnonce };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      r.auth = bad[i];
      g_autoptr (GBytes) b = register_text ("alice", "c11", 2 + i, 2 + i, &r);
      m = send_bytes (&fx, 1, b, T0);
      g_assert_cmpint (m->status_code, ==, 400);
      osip_message_free (m);
    }
  /* credentials for another realm or scheme: a challenge */
  g_autofree char *other_realm = g_strdup (good);
  char *at = strstr (other_realm, DOMAIN);
  at[0] = 'X';
  const char *challenged[] = { other_realm, "Basic YWxpY2U6d29uZGVybGFuZA==" };
  for (guint i = 0; i < G_N_ELEMENTS (challenged); i++)
    {
      r.auth = challenged[i];
      g_autoptr (GBytes) b = register_text ("alice", "c11", 20 + i, 20 + i, &r);
      m = send_bytes (&fx, 1, b, T0);
      g_assert_cmpint (m->status_code, ==, 401);
      osip_message_free (m);
    }
  /* and the good one still works (nothing above used the nonce up) */
  r.auth = good;
  g_autoptr (GBytes) b = register_text ("alice", "c11", 30, 30, &r);
  m = send_bytes (&fx, 1, b, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  fixture_clear (&fx);
}

/* ---------------------------------------------------------------- bindings */

static void
test_interval_too_brief (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c12", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=30\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 423);
  g_assert_cmpstr (header (m, "min-expires"), ==, "60");
  osip_message_free (m);
  /* the Expires header too */
  Req r2 = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n", .extra = "Expires: 59\r\n" };
  m = phone_send (&fx, &p, &r2, T0);
  g_assert_cmpint (m->status_code, ==, 423);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  /* long intervals are shortened to the maximum; the Contact's parameter
   * wins over the header */
  Req r3 = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=86400\r\n"
                         "Contact: <sip:alice@192.0.2.12>\r\n",
             .extra = "Expires: 120\r\n" };
  m = phone_send (&fx, &p, &r3, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.10"), ==, 3600);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.12"), ==, 120);
  osip_message_free (m);
  /* without either: the default */
  Req r4 = { .contacts = "Contact: <sip:alice@192.0.2.13>\r\n" };
  m = phone_send (&fx, &p, &r4, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.13"), ==, 3600);
  osip_message_free (m);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_wildcard (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone desk = { .user = "alice", .password = "wonderland", .call_id = "desk", .conn = 1 };
  Phone mobile = { .user = "alice", .password = "wonderland", .call_id = "mobile", .conn = 2 };
  Req rd = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  Req rm = { .contacts = "Contact: <sip:alice@198.51.100.7:5070;transport=tcp>\r\n" };
  osip_message_t *m = phone_register (&fx, &desk, &rd, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  m = phone_register (&fx, &mobile, &rm, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 2);

  /* §10.3 step 6: "*" needs Expires: 0 and no other Contact */
  Req bad[] = {
    { .contacts = "Contact: *\r\n" },
    { .contacts = "Contact: *\r\n", .extra = "Expires: 60\r\n" },
    { .contacts = "Contact: *\r\nContact: <sip:alice@192.0.2.10>\r\n", .extra = "Expires: 0\r\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      m = phone_send (&fx, &desk, &bad[i], T0 + 1000);
      g_assert_cmpint (m->status_code, ==, 400);
      osip_message_free (m);
    }
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 2);
  guint before = fx.events->len;
  Req star = { .contacts = "Contact: *\r\n", .extra = "Expires: 0\r\n" };
  m = phone_send (&fx, &desk, &star, T0 + 2000);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 0);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  g_assert_cmpuint (fx.events->len, ==, before + 2);
  for (guint i = before; i < fx.events->len; i++)
    g_assert_cmpint (event_at (&fx, i)->type, ==, CHORUS_SIP_REGISTRAR_BINDING_REMOVED);
  g_assert_cmpint (chorus_sip_registrar_next_timeout (fx.reg), ==, -1);
  phone_clear (&desk);
  phone_clear (&mobile);
  fixture_clear (&fx);
}

static void
test_expires_zero (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c13", .conn = 1 };
  Req two = { .contacts = "Contact: <sip:alice@192.0.2.10>, <sip:alice@phone.example>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &two, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 2);
  osip_message_free (m);
  /* §19.1.4: the host compares without case */
  Req rm = { .contacts = "Contact: <sip:alice@PHONE.Example>;expires=0\r\n" };
  m = phone_send (&fx, &p, &rm, T0 + 1000);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 1);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.10"), ==, 3599);
  osip_message_free (m);
  Event *e = event_at (&fx, fx.events->len - 1);
  g_assert_cmpint (e->type, ==, CHORUS_SIP_REGISTRAR_BINDING_REMOVED);
  g_assert_cmpstr (e->contact, ==, "sip:alice@phone.example");
  /* a removal of something not bound does nothing */
  Req none = { .contacts = "Contact: <sip:alice@203.0.113.1>;expires=0\r\n" };
  guint before = fx.events->len;
  m = phone_send (&fx, &p, &none, T0 + 2000);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 1);
  osip_message_free (m);
  g_assert_cmpuint (fx.events->len, ==, before);
  /* §19.1.4: a port that was not there makes another URI */
  Req same = { .contacts = "Contact: <sip:alice@192.0.2.10:5060>;expires=0\r\n" };
  m = phone_send (&fx, &p, &same, T0 + 3000);
  g_assert_cmpuint (contact_count (m), ==, 1);
  osip_message_free (m);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_expiry (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c14", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=60\r\n"
                        "Contact: <sip:alice@192.0.2.11>;expires=120\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  g_assert_cmpint (chorus_sip_registrar_next_timeout (fx.reg), ==, T0 + 60000);
  guint before = fx.events->len;
  chorus_sip_registrar_tick (fx.reg, T0 + 59999);
  g_assert_cmpuint (fx.events->len, ==, before);
  /* a lookup does not return what has expired, even before the tick */
  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (fx.reg, "sip:alice@" DOMAIN, T0 + 60000);
  g_assert_cmpuint (b->len, ==, 1);
  chorus_sip_registrar_tick (fx.reg, T0 + 60000);
  g_assert_cmpuint (fx.events->len, ==, before + 1);
  Event *e = event_at (&fx, before);
  g_assert_cmpint (e->type, ==, CHORUS_SIP_REGISTRAR_BINDING_EXPIRED);
  g_assert_cmpstr (e->contact, ==, "sip:alice@192.0.2.10");
  g_assert_cmpstr (e->aor, ==, "sip:alice@" DOMAIN);
  g_assert_cmpint (chorus_sip_registrar_next_timeout (fx.reg), ==, T0 + 120000);
  chorus_sip_registrar_tick (fx.reg, T0 + 500000);
  g_assert_cmpuint (fx.events->len, ==, before + 2);
  g_assert_cmpint (event_at (&fx, before + 1)->type, ==, CHORUS_SIP_REGISTRAR_BINDING_EXPIRED);
  g_assert_cmpint (chorus_sip_registrar_next_timeout (fx.reg), ==, -1);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_bindings_listed (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone desk = { .user = "alice", .password = "wonderland", .call_id = "desk", .conn = 1 };
  Phone mobile = { .user = "alice", .password = "wonderland", .call_id = "mobile", .conn = 2 };
  Req rd = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=600\r\n" };
  Req rm = { .contacts = "Contact: \"Alice\" <sip:alice@198.51.100.7>;expires=300;q=0.5;"
                         "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"\r\n" };
  osip_message_t *m = phone_register (&fx, &desk, &rd, T0);
  g_assert_cmpuint (contact_count (m), ==, 1);
  osip_message_free (m);
  m = phone_register (&fx, &mobile, &rm, T0 + 100000);
  /* §10.3 step 8: all bindings, with what remains of each */
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 2);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.10"), ==, 500);
  g_assert_cmpint (contact_expires (m, "sip:alice@198.51.100.7"), ==, 300);
  /* the Contact's other parameters come back as they were */
  osip_contact_t *c = osip_list_get (&m->contacts, 1);
  osip_generic_param_t *q = NULL;
  osip_contact_param_get_byname (c, "q", &q);
  g_assert_nonnull (q);
  g_assert_cmpstr (q->gvalue, ==, "0.5");
  osip_message_free (m);
  Event *e = event_at (&fx, fx.events->len - 1);
  g_assert_cmpstr (e->instance, ==, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  g_assert_cmpuint (e->conn, ==, 2);
  /* a query (no Contact) lists them too, and changes nothing */
  Req query = { 0 };
  guint before = fx.events->len;
  m = phone_send (&fx, &desk, &query, T0 + 200000);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpint (contact_expires (m, "sip:alice@192.0.2.10"), ==, 400);
  g_assert_cmpint (contact_expires (m, "sip:alice@198.51.100.7"), ==, 200);
  osip_message_free (m);
  g_assert_cmpuint (fx.events->len, ==, before);
  /* lookup: the most recent first */
  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (fx.reg, "alice", T0 + 200000);
  g_assert_cmpuint (b->len, ==, 2);
  g_assert_cmpstr (((ChorusSipRegistrarBinding *) b->pdata[0])->contact, ==,
                   "sip:alice@198.51.100.7");
  g_assert_cmpstr (((ChorusSipRegistrarBinding *) b->pdata[0])->instance, ==,
                   "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  phone_clear (&desk);
  phone_clear (&mobile);
  fixture_clear (&fx);
}

static void
test_cseq_order (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c15", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=600\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  guint registered_cseq = p.cseq;
  guint before = fx.events->len;
  /* the same Call-ID with a CSeq not above the binding's, as a request
   * that arrives late: §10.3 step 7, the request fails with 500 */
  Req late = { .contacts = "Contact: <sip:alice@192.0.2.10>;expires=0\r\n" };
  for (int back = 1; back >= 0; back--)
    {
      p.cseq = registered_cseq - 1 - back; /* phone_send adds one */
      m = phone_send (&fx, &p, &late, T0 + 1000);
      g_assert_cmpint (m->status_code, ==, 500);
      osip_message_free (m);
    }
  g_assert_cmpuint (fx.events->len, ==, before);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 1);
  /* the same for "*" (step 6) */
  Req star = { .contacts = "Contact: *\r\n", .extra = "Expires: 0\r\n" };
  p.cseq = registered_cseq - 1;
  m = phone_send (&fx, &p, &star, T0 + 1000);
  g_assert_cmpint (m->status_code, ==, 500);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 1);
  /* another Call-ID (the phone rebooted) updates whatever its CSeq */
  Phone rebooted = { .user = "alice", .password = "wonderland", .call_id = "c15-new", .conn = 3 };
  m = phone_register (&fx, &rebooted, &r, T0 + 2000);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  Event *e = event_at (&fx, fx.events->len - 1);
  g_assert_cmpint (e->type, ==, CHORUS_SIP_REGISTRAR_BINDING_REFRESHED);
  g_assert_cmpuint (e->conn, ==, 3);
  g_assert_cmpuint (e->expires_s, ==, 600);
  /* and a higher CSeq with the first Call-ID is fine again */
  p.cseq = 1000;
  m = phone_send (&fx, &p, &late, T0 + 3000);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 0);
  osip_message_free (m);
  phone_clear (&p);
  phone_clear (&rebooted);
  fixture_clear (&fx);
}

static void
test_connection_closed (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Phone tcp = { .user = "alice", .password = "wonderland", .call_id = "tcp", .conn = 10 };
  Phone udp = { .user = "alice", .password = "wonderland", .call_id = "udp", .conn = 11 };
  Phone bob = { .user = "bob", .password = "builder", .call_id = "bob", .conn = 10 };
  Req rt = { .contacts = "Contact: <sip:alice@10.0.0.2:49152;transport=tcp>\r\n" };
  Req ru = { .contacts = "Contact: <sip:alice@10.0.0.3>\r\n" };
  Req rb = { .contacts = "Contact: <sip:bob@10.0.0.4;transport=tcp>\r\n" };
  osip_message_t *m = phone_register (&fx, &tcp, &rt, T0);
  osip_message_free (m);
  m = phone_register (&fx, &udp, &ru, T0);
  osip_message_free (m);
  m = phone_register (&fx, &bob, &rb, T0);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 3);
  guint before = fx.events->len;
  chorus_sip_registrar_connection_closed (fx.reg, 10, T0 + 1000);
  g_assert_cmpuint (fx.events->len, ==, before + 2);
  for (guint i = before; i < fx.events->len; i++)
    {
      g_assert_cmpint (event_at (&fx, i)->type, ==, CHORUS_SIP_REGISTRAR_BINDING_REMOVED);
      g_assert_cmpuint (event_at (&fx, i)->conn, ==, 10);
    }
  g_autoptr (GPtrArray) a = chorus_sip_registrar_lookup (fx.reg, "alice", T0 + 1000);
  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpuint (((ChorusSipRegistrarBinding *) a->pdata[0])->conn, ==, 11);
  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (fx.reg, "bob", T0 + 1000);
  g_assert_cmpuint (b->len, ==, 0);
  phone_clear (&tcp);
  phone_clear (&udp);
  phone_clear (&bob);
  fixture_clear (&fx);
}

static void
test_max_bindings (void)
{
  ChorusSipRegistrarConfig cfg = { .domain = DOMAIN, .max_bindings_per_aor = 3, .seed = 3 };
  Fixture fx;
  fixture_init (&fx, &cfg);
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "c16", .conn = 1 };
  Req three = { .contacts =
                    "Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>, <sip:a@192.0.2.3>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &three, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  Req fourth = { .contacts = "Contact: <sip:a@192.0.2.4>\r\n" };
  m = phone_send (&fx, &p, &fourth, T0);
  g_assert_cmpint (m->status_code, ==, 403);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 3);
  /* replacing one in the same request is fine */
  Req swap = { .contacts = "Contact: <sip:a@192.0.2.1>;expires=0, <sip:a@192.0.2.4>\r\n" };
  m = phone_send (&fx, &p, &swap, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpuint (contact_count (m), ==, 3);
  osip_message_free (m);
  /* a flood of Contacts is refused before any work */
  GString *many = g_string_new ("Contact: <sip:a@192.0.2.100>");
  for (int i = 0; i < 50; i++)
    g_string_append_printf (many, ", <sip:a@192.0.2.%d>", 101 + i);
  g_string_append (many, "\r\n");
  Req flood = { .contacts = many->str };
  m = phone_send (&fx, &p, &flood, T0);
  g_assert_cmpint (m->status_code, ==, 403);
  osip_message_free (m);
  g_string_free (many, TRUE);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 3);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_retransmission (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  g_autoptr (GBytes) q = register_text ("alice", "c17", 1, 1, &r);
  osip_message_t *m = send_bytes (&fx, 1, q, T0);
  g_autofree char *nonce = challenge_nonce (m, FALSE, NULL, NULL);
  osip_message_free (m);
  g_autofree char *auth = credentials ("alice", "wonderland", nonce, 1, "sip:" DOMAIN);
  r.auth = auth;
  g_autoptr (GBytes) b = register_text ("alice", "c17", 2, 2, &r);
  g_autoptr (GBytes) first = chorus_sip_registrar_handle (fx.reg, 1, g_bytes_get_data (b, NULL),
                                                          g_bytes_get_size (b), T0, NULL);
  g_assert_nonnull (first);
  guint events = fx.events->len;
  /* §17.2.2: the same request again gets the same response, not a 500
   * or a stale challenge */
  g_autoptr (GBytes) again = chorus_sip_registrar_handle (fx.reg, 1, g_bytes_get_data (b, NULL),
                                                          g_bytes_get_size (b), T0 + 500, NULL);
  g_assert_true (g_bytes_equal (first, again));
  g_assert_cmpuint (fx.events->len, ==, events);
  /* on another connection it is a new request: the nc is spent */
  m = send_bytes (&fx, 2, b, T0 + 600);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  /* after Timer J the response is forgotten */
  m = send_bytes (&fx, 1, b, T0 + 40000);
  g_assert_cmpint (m->status_code, ==, 401);
  osip_message_free (m);
  fixture_clear (&fx);
}

/* ---------------------------------------------------------------- refusals */

static void
test_not_register (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  const char *invite = "INVITE sip:bob@" DOMAIN " SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKi\r\n"
                       "To: <sip:bob@" DOMAIN ">\r\nFrom: <sip:alice@" DOMAIN ">;tag=1\r\n"
                       "Call-ID: i1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
                       "Content-Length: 0\r\n\r\n";
  const char *options_bad = "OPTIONS sip:" DOMAIN " SIP/2.0\r\nCSeq: 1 OPTIONS\r\n"
                            "Content-Length: 0\r\n\r\n";
  const char *response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKr\r\n"
                         "To: <sip:alice@" DOMAIN ">;tag=2\r\nFrom: <sip:alice@" DOMAIN
                         ">;tag=1\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n"
                         "Content-Length: 0\r\n\r\n";
  const char *lower = "register sip:" DOMAIN " SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKl\r\n"
                      "To: <sip:alice@" DOMAIN ">\r\nFrom: <sip:alice@" DOMAIN ">;tag=1\r\n"
                      "Call-ID: l1\r\nCSeq: 1 register\r\nContent-Length: 0\r\n\r\n";
  struct
  {
    const char *text;
    gsize len;
    int code;
  } cases[] = {
    { invite, strlen (invite), CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER },
    { options_bad, strlen (options_bad), CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER },
    { response, strlen (response), CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER },
    /* §7.1: methods are case-sensitive */
    { lower, strlen (lower), CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER },
    { "hello", 5, CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE },
    { "", 0, CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      GBytes *b = chorus_sip_registrar_handle (fx.reg, 1, (const guint8 *) cases[i].text,
                                               cases[i].len, T0, &error);
      g_assert_null (b);
      g_assert_error (error, CHORUS_SIP_REGISTRAR_ERROR, cases[i].code);
    }
  fixture_clear (&fx);
}

static void
test_malformed (void)
{
  Fixture fx;
  fixture_init (&fx, NULL);
  const char *head = "REGISTER sip:" DOMAIN " SIP/2.0\r\n";
  const char *via = "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKm\r\n";
  const char *to = "To: <sip:alice@" DOMAIN ">\r\n";
  const char *from = "From: <sip:alice@" DOMAIN ">;tag=1\r\n";
  const char *call_id = "Call-ID: m1\r\n";
  const char *cseq = "CSeq: 1 REGISTER\r\n";
  const char *end = "Content-Length: 0\r\n\r\n";
  /* §8.1.1: each of To, From, Call-ID and CSeq missing in turn */
  guint answered = 0;
  for (guint drop = 0; drop < 4; drop++)
    {
      g_autofree char *text =
          g_strconcat (head, via, drop == 0 ? "" : to, drop == 1 ? "" : from,
                       drop == 2 ? "" : call_id, drop == 3 ? "" : cseq, end, NULL);
      osip_message_t *m = NULL;
      g_autoptr (GBytes) resp = NULL;
      g_autoptr (GError) error = NULL;
      resp =
          chorus_sip_registrar_handle (fx.reg, 1, (const guint8 *) text, strlen (text), T0, &error);
      if (resp == NULL)
        {
          /* nothing to answer with (no To: no response can be formed) */
          g_assert_error (error, CHORUS_SIP_REGISTRAR_ERROR,
                          CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE);
          continue;
        }
      /* the 400 copies what there is (§8.2.6.2), so it lacks the same
       * header: read its status line with libosip2 alone */
      g_autofree char *copy = g_strndup (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp));
      osip_message_init (&m);
      g_assert_cmpint (osip_message_parse (m, copy, strlen (copy)), ==, 0);
      answered++;
      g_assert_cmpint (m->status_code, ==, 400);
      osip_message_free (m);
    }
  g_assert_cmpuint (answered, >=, 3);
  /* a bad CSeq, another version, a Contact that is not one */
  g_autofree char *cseq_method =
      g_strconcat (head, via, to, from, call_id, "CSeq: 1 INVITE\r\n", end, NULL);
  osip_message_t *m = send_text (&fx, 1, cseq_method, T0);
  g_assert_cmpint (m->status_code, ==, 400);
  osip_message_free (m);
  g_autofree char *version =
      g_strconcat ("REGISTER sip:" DOMAIN " SIP/3.0\r\n", via, to, from, call_id, cseq, end, NULL);
  m = send_text (&fx, 1, version, T0);
  g_assert_cmpint (m->status_code, ==, 505);
  osip_message_free (m);
  g_autofree char *expires = g_strconcat (head, via, to, from, call_id, cseq,
                                          "Contact: <sip:a@b>;expires=soon\r\n", end, NULL);
  m = send_text (&fx, 1, expires, T0);
  g_assert_cmpint (m->status_code, ==, 400);
  osip_message_free (m);
  g_assert_cmpuint (chorus_sip_registrar_binding_count (fx.reg), ==, 0);
  fixture_clear (&fx);
}

static void
test_domains (void)
{
  const char *aliases[] = { "registrar." DOMAIN, "[2001:DB8::1]", NULL };
  ChorusSipRegistrarConfig cfg = { .domain = "Overlay.Example", .aliases = aliases, .seed = 9 };
  Fixture fx;
  fixture_init (&fx, &cfg);
  Req r = { .contacts = "Contact: <sip:alice@192.0.2.10>\r\n" };
  struct
  {
    const char *ruri;
    int status;
  } cases[] = {
    { "sip:elsewhere.org", 404 },                                     /* §10.3 step 1, §21.4.4 */
    { "sip:registrar.elsewhere.org", 404 }, { "tel:+15551234", 416 }, /* §8.2.2.1 */
    { "sip:OVERLAY.example", 401 },                                   /* hosts without case */
    { "sip:overlay.example:5060", 401 },                              /* the port does not matter */
    { "sips:overlay.example", 401 },        { "sip:registrar.overlay.example", 401 },
    { "sip:[2001:db8::1]", 401 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      r.ruri = cases[i].ruri;
      g_autoptr (GBytes) b = register_text ("alice", "d1", 1 + i, 1 + i, &r);
      osip_message_t *m = send_bytes (&fx, 1, b, T0);
      g_assert_cmpint (m->status_code, ==, cases[i].status);
      osip_message_free (m);
    }
  /* Require: no extension (§10.3 step 2, §8.2.2.3) */
  Req req = { .contacts = r.contacts, .extra = "Require: path, outbound\r\n" };
  g_autoptr (GBytes) b = register_text ("alice", "d2", 1, 1, &req);
  osip_message_t *m = send_bytes (&fx, 1, b, T0);
  g_assert_cmpint (m->status_code, ==, 420);
  g_autofree char *unsupported = header_all (m, "unsupported");
  g_assert_cmpstr (unsupported, ==, "path, outbound");
  osip_message_free (m);
  /* an AOR in another domain, after authentication: §10.3 step 5 */
  Phone p = { .user = "alice", .password = "wonderland", .call_id = "d3", .conn = 1 };
  Req other = { .to = "<sip:alice@elsewhere.org>", .contacts = r.contacts };
  m = phone_register (&fx, &p, &other, T0);
  g_assert_cmpint (m->status_code, ==, 404);
  osip_message_free (m);
  /* an alias names the registrar, not an AOR domain */
  Req alias_to = { .to = "<sip:alice@registrar." DOMAIN ">", .contacts = r.contacts };
  m = phone_send (&fx, &p, &alias_to, T0);
  g_assert_cmpint (m->status_code, ==, 404);
  osip_message_free (m);
  /* To with a display name, parameters and another case in its host */
  Req fancy = { .to = "\"Alice\" <sip:alice@OVERLAY.EXAMPLE;user=phone>",
                .ruri = "sip:registrar." DOMAIN,
                .contacts = r.contacts };
  g_clear_pointer (&p.nonce, g_free);
  m = phone_register (&fx, &p, &fancy, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  osip_message_free (m);
  g_assert_cmpstr (event_at (&fx, fx.events->len - 1)->aor, ==, "sip:alice@" DOMAIN);
  phone_clear (&p);
  fixture_clear (&fx);
}

static void
test_config (void)
{
  ChorusSipRegistrarConfig bad[] = {
    { .password = password_of },
    { .domain = DOMAIN },
    { .domain = "not a domain", .password = password_of },
    { .domain = DOMAIN, .password = password_of, .min_expires_s = 600, .max_expires_s = 300 },
    { .domain = DOMAIN, .password = password_of, .default_expires_s = 30 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      ChorusSipRegistrar *reg = chorus_sip_registrar_new (&bad[i], NULL, NULL, &error);
      g_assert_null (reg);
      g_assert_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG);
    }
  /* no secret, no seed, no event callback: random ones, and it works */
  ChorusSipRegistrarConfig ok = { .domain = DOMAIN, .password = password_of };
  g_autoptr (ChorusSipRegistrar) reg = chorus_sip_registrar_new (&ok, NULL, NULL, NULL);
  g_assert_nonnull (reg);
  Fixture fx = { .reg = reg, .events = g_ptr_array_new () };
  Phone p = { .user = "bob", .password = "builder", .call_id = "cfg", .conn = 1 };
  Req r = { .contacts = "Contact: <sip:bob@192.0.2.40>\r\n" };
  osip_message_t *m = phone_register (&fx, &p, &r, T0);
  g_assert_cmpint (m->status_code, ==, 200);
  /* the real clock's Date */
  g_assert_true (g_str_has_suffix (header (m, "date"), " GMT"));
  osip_message_free (m);
  phone_clear (&p);
  g_ptr_array_unref (fx.events);
}

/* ---------------------------------------------------------------- real phones */

/* Fills "@NONCE@" and "@RESPONSE@" of a captured-style REGISTER. */
static char *
fill (const char *templ, const char *nonce, const char *response)
{
  g_autoptr (GString) s = g_string_new (templ);
  g_string_replace (s, "@NONCE@", nonce, 0);
  g_string_replace (s, "@RESPONSE@", response ? response : "", 0);
  return g_strdup (s->str);
}

static void
run_real_phone (const char *first, const char *second, const char *user, const char *password,
                const char *uri, const char *cnonce, const char *contact, guint expires)
{
  const char *aliases[] = { "192.0.2.1", "registrar.biloxi.com", NULL };
  ChorusSipRegistrarConfig cfg = { .domain = DOMAIN, .aliases = aliases, .seed = 5 };
  Fixture fx;
  fixture_init (&fx, &cfg);
  osip_message_t *m = send_text (&fx, 4, first, T0);
  g_autofree char *nonce = challenge_nonce (m, FALSE, NULL, NULL);
  osip_message_free (m);
  g_autofree char *resp = my_digest (G_CHECKSUM_MD5, user, DOMAIN, password, "REGISTER", uri, nonce,
                                     "00000001", cnonce, "auth");
  g_autofree char *text = fill (second, nonce, resp);
  m = send_text (&fx, 4, text, T0 + 20);
  g_assert_cmpint (m->status_code, ==, 200);
  g_assert_cmpint (contact_expires (m, contact), ==, (int) expires);
  osip_message_free (m);
  g_assert_cmpuint (fx.events->len, ==, 1);
  g_assert_cmpstr (event_at (&fx, 0)->contact, ==, contact);
  fixture_clear (&fx);
}

static void
test_baresip (void)
{
  /* as baresip (libre) writes them: no spaces after the commas, qop
   * unquoted, algorithm last */
  const char *first =
      "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK1b5b3a5dd4b1c2e7;rport\r\n"
      "Contact: <sip:alice-0x5610b2c8a5a0@192.0.2.50:5060>;expires=3600\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:alice@" DOMAIN ">\r\n"
      "From: <sip:alice@" DOMAIN ">;tag=b1f8a1e5c2a9d3f0\r\n"
      "Call-ID: 5bd3c8e0d4a7f1e2\r\n"
      "CSeq: 17236 REGISTER\r\n"
      "User-Agent: baresip v3.10.1 (x86_64/linux)\r\n"
      "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER\r\n"
      "Supported: replaces,norefersub,gruu\r\n"
      "Content-Length: 0\r\n\r\n";
  const char *second =
      "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK8e0f9a3c27b6d415;rport\r\n"
      "Contact: <sip:alice-0x5610b2c8a5a0@192.0.2.50:5060>;expires=3600\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:alice@" DOMAIN ">\r\n"
      "From: <sip:alice@" DOMAIN ">;tag=b1f8a1e5c2a9d3f0\r\n"
      "Call-ID: 5bd3c8e0d4a7f1e2\r\n"
      "CSeq: 17237 REGISTER\r\n"
      "User-Agent: baresip v3.10.1 (x86_64/linux)\r\n"
      "Authorization: Digest username=\"alice\",realm=\"" DOMAIN "\",nonce=\"@NONCE@\","
      "uri=\"sip:" DOMAIN "\",response=\"@RESPONSE@\",algorithm=MD5,cnonce=\"2f7a1c09\","
      "qop=auth,nc=00000001\r\n"
      "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER\r\n"
      "Supported: replaces,norefersub,gruu\r\n"
      "Content-Length: 0\r\n\r\n";
  run_real_phone (first, second, "alice", "wonderland", "sip:" DOMAIN, "2f7a1c09",
                  "sip:alice-0x5610b2c8a5a0@192.0.2.50:5060", 3600);
}

static void
test_sipp (void)
{
  /* as SIPp's REGISTER scenarios write them: the registrar's address in
   * the Request-URI and the uri, [authentication] after the challenge,
   * TCP, a plain Contact URI, Expires header */
  const char *first = "REGISTER sip:192.0.2.1:5060 SIP/2.0\r\n"
                      "Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-4711-1-0\r\n"
                      "From: <sip:bob@" DOMAIN ">;tag=4711SIPpTag001\r\n"
                      "To: <sip:bob@" DOMAIN ">\r\n"
                      "Call-ID: 1-4711@127.0.0.1\r\n"
                      "CSeq: 1 REGISTER\r\n"
                      "Contact: sip:bob@127.0.0.1:5061;transport=tcp\r\n"
                      "Max-Forwards: 70\r\n"
                      "Expires: 1800\r\n"
                      "Content-Length: 0\r\n\r\n";
  const char *second = "REGISTER sip:192.0.2.1:5060 SIP/2.0\r\n"
                       "Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-4711-1-2\r\n"
                       "From: <sip:bob@" DOMAIN ">;tag=4711SIPpTag001\r\n"
                       "To: <sip:bob@" DOMAIN ">\r\n"
                       "Call-ID: 1-4711@127.0.0.1\r\n"
                       "CSeq: 2 REGISTER\r\n"
                       "Contact: sip:bob@127.0.0.1:5061;transport=tcp\r\n"
                       "Authorization: Digest username=\"bob\",realm=\"" DOMAIN "\","
                       "cnonce=\"6b8b4567\",nc=00000001,qop=auth,uri=\"sip:192.0.2.1:5060\","
                       "nonce=\"@NONCE@\",response=\"@RESPONSE@\",algorithm=MD5\r\n"
                       "Max-Forwards: 70\r\n"
                       "Expires: 1800\r\n"
                       "Content-Length: 0\r\n\r\n";
  /* §20.10: without angle brackets, ";transport=tcp" is a parameter of
   * the header, not of the URI */
  run_real_phone (first, second, "bob", "builder", "sip:192.0.2.1:5060", "6b8b4567",
                  "sip:bob@127.0.0.1:5061", 1800);
}

static void
test_rfc3261_example (void)
{
  /* RFC 3261 §10.2's Bob (in our domain), with the credentials of §22.4's
   * form: Expires 7200 comes back as the maximum */
  const char *first = "REGISTER sip:registrar.biloxi.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7\r\n"
                      "Max-Forwards: 70\r\n"
                      "To: Bob <sip:bob@" DOMAIN ">\r\n"
                      "From: Bob <sip:bob@" DOMAIN ">;tag=456248\r\n"
                      "Call-ID: 843817637684230@998sdasdh09\r\n"
                      "CSeq: 1826 REGISTER\r\n"
                      "Contact: <sip:bob@192.0.2.4>\r\n"
                      "Expires: 7200\r\n"
                      "Content-Length: 0\r\n\r\n";
  const char *second = "REGISTER sip:registrar.biloxi.com SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds8\r\n"
                       "Max-Forwards: 70\r\n"
                       "To: Bob <sip:bob@" DOMAIN ">\r\n"
                       "From: Bob <sip:bob@" DOMAIN ">;tag=456248\r\n"
                       "Call-ID: 843817637684230@998sdasdh09\r\n"
                       "CSeq: 1827 REGISTER\r\n"
                       "Contact: <sip:bob@192.0.2.4>\r\n"
                       "Expires: 7200\r\n"
                       "Authorization: Digest username=\"bob\",\r\n"
                       " realm=\"" DOMAIN "\",\r\n"
                       " nonce=\"@NONCE@\",\r\n"
                       " uri=\"sip:registrar.biloxi.com\", qop=auth, nc=00000001,\r\n"
                       " cnonce=\"0a4f113b\",\r\n"
                       " response=\"@RESPONSE@\"\r\n"
                       "Content-Length: 0\r\n\r\n";
  run_real_phone (first, second, "bob", "builder", "sip:registrar.biloxi.com", "0a4f113b",
                  "sip:bob@192.0.2.4", 3600);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-registrar/digest-vectors", test_digest_vectors);
  g_test_add_func ("/sip-registrar/challenge-response", test_challenge_response);
  g_test_add_func ("/sip-registrar/wrong-password", test_wrong_password);
  g_test_add_func ("/sip-registrar/unknown-user", test_unknown_user);
  g_test_add_func ("/sip-registrar/user-mismatch", test_user_mismatch);
  g_test_add_func ("/sip-registrar/stale-nonce", test_stale_nonce);
  g_test_add_func ("/sip-registrar/nonce-count-replay", test_nonce_count_replay);
  g_test_add_func ("/sip-registrar/forged-nonce", test_forged_nonce);
  g_test_add_func ("/sip-registrar/sha256", test_sha256);
  g_test_add_func ("/sip-registrar/rfc2069-single-use", test_rfc2069_single_use);
  g_test_add_func ("/sip-registrar/bad-credentials", test_bad_credentials);
  g_test_add_func ("/sip-registrar/interval-too-brief", test_interval_too_brief);
  g_test_add_func ("/sip-registrar/wildcard", test_wildcard);
  g_test_add_func ("/sip-registrar/expires-zero", test_expires_zero);
  g_test_add_func ("/sip-registrar/expiry", test_expiry);
  g_test_add_func ("/sip-registrar/bindings-listed", test_bindings_listed);
  g_test_add_func ("/sip-registrar/cseq-order", test_cseq_order);
  g_test_add_func ("/sip-registrar/connection-closed", test_connection_closed);
  g_test_add_func ("/sip-registrar/max-bindings", test_max_bindings);
  g_test_add_func ("/sip-registrar/retransmission", test_retransmission);
  g_test_add_func ("/sip-registrar/not-register", test_not_register);
  g_test_add_func ("/sip-registrar/malformed", test_malformed);
  g_test_add_func ("/sip-registrar/domains", test_domains);
  g_test_add_func ("/sip-registrar/config", test_config);
  g_test_add_func ("/sip-registrar/baresip", test_baresip);
  g_test_add_func ("/sip-registrar/sipp", test_sipp);
  g_test_add_func ("/sip-registrar/rfc3261-example", test_rfc3261_example);
  return g_test_run ();
}
