/* test-sip-registrar-phones.c: the registrar of the adapter peer
 * (chorus-sip-registrar.h) with REGISTER requests as real phones write
 * them (baresip, SIPp, RFC 3261 §10.2's example): challenged, then
 * answered with a digest computed here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "registrar-fixture.h"

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
  g_test_add_func ("/sip-registrar/baresip", test_baresip);
  g_test_add_func ("/sip-registrar/sipp", test_sipp);
  g_test_add_func ("/sip-registrar/rfc3261-example", test_rfc3261_example);
  return g_test_run ();
}
