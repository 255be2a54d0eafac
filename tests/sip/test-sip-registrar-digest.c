/* test-sip-registrar-digest.c: the digest authentication of the adapter
 * peer's registrar (chorus-sip-registrar.h): the digest function against
 * the RFCs' vectors, then challenges and credentials (RFC 2617, RFC 7616,
 * RFC 8760): wrong passwords, unknown users, stale nonces, nonce counts,
 * forged nonces, SHA-256, the RFC 2069 form, improper directives; the
 * digests computed here independently of the registrar's own function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "registrar-fixture.h"

#include <string.h>

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
  return g_test_run ();
}
