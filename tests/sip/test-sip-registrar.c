/* test-sip-registrar.c: the registrar of the adapter peer
 * (chorus-sip-registrar.h): RFC 3261 §10.3 processing: expiry intervals,
 * "*", removals, expiry, the bindings listed, the CSeq order, closed
 * connections, the binding limit, retransmissions, and the requests it
 * refuses (not a REGISTER, malformed, other domains, Require, bad
 * configurations).  Digest authentication is tested in
 * test-sip-registrar-digest.c, real phones' requests in
 * test-sip-registrar-phones.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "registrar-fixture.h"

#include <string.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
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
  return g_test_run ();
}
