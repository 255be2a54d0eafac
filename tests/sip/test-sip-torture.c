/* test-sip-torture.c: every message of RFC 4475 ("SIP Torture Test
 * Messages", in rfc4475/, with INDEX.md) through the user agent's receive
 * path: libosip2's parser, the checks of chorus-sip-message.h, the UA's
 * §8.2 checks.  Each outcome is asserted, and whether it is what RFC 4475
 * asks is written next to it.
 *
 * What libosip2 cannot judge (it fails to parse the message, so nothing is
 * left to answer with: the message is dropped where RFC 4475 asks for a
 * 400 or 416):
 *   - intmeth (§3.1.1.2, valid): its To display name is a quoted string
 *     holding a NUL, and libosip2 reads C strings: the header ends there
 *     and the message fails.  The one valid message lost.
 *   - badinv01, clerr, quotbal, ltgtruri, lwsruri, lwsstart, trws,
 *     badaspec, baddn (§3.1.2), novelsc (§3.3.3), multi01, mcl01 (§3.3.8,
 *     §3.3.9): invalid, rejected by libosip2's parser itself; RFC 4475
 *     would like a 400 (416 for novelsc) "where a response can be formed",
 *     which needs the parts libosip2 does not keep.
 * What a user agent answers where RFC 4475 describes a registrar or a
 * proxy: REGISTER gets 405 (Allow lists the methods) before any other
 * check (§8.2.1 comes first): escnull, dblreq, regbadct, unksm2 (a
 * registrar's 400), regaut01 (a registrar's 401), cparam01, cparam02,
 * regescrt; zeromf (Max-Forwards 0, a proxy's 483) is an OPTIONS for this
 * UA and gets 200.
 * Where RFC 4475 allows either: baddate is accepted (the Date is never
 * used; §3.1.2.12 allows that), escruri is refused with 400 (§3.1.2.11
 * allows that), mismatch02 gets 400 (§3.1.2.18: 501 or 400).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sip-test-net.h"

#include <string.h>

typedef enum
{
  DROP,   /* nothing sent, no event */
  STATUS, /* one response with this status */
  CALL,   /* an incoming call: 100 Trying and the event */
} Kind;

typedef struct
{
  const char *name;
  const char *section;
  Kind kind;
  int status;
  const char *header; /* a line the response carries, or NULL */
  gboolean as_rfc;    /* the outcome RFC 4475 asks of a user agent */
} Expect;

static const Expect cases[] = {
  /* 3.1.1 valid messages */
  { "wsinv", "3.1.1.1", STATUS, 481, NULL, TRUE }, /* To has a tag: a dialog we do not have */
  { "intmeth", "3.1.1.2", DROP, 0, NULL, FALSE },
  { "esc01", "3.1.1.3", CALL, 0, NULL, TRUE },
  { "escnull", "3.1.1.4", STATUS, 405, "Allow: INVITE", TRUE },
  { "esc02", "3.1.1.5", STATUS, 501, NULL, TRUE }, /* RE%47IST%45R is not REGISTER */
  { "lwsdisp", "3.1.1.6", STATUS, 200, NULL, TRUE },
  { "longreq", "3.1.1.7", CALL, 0, NULL, TRUE },
  { "dblreq", "3.1.1.8", STATUS, 405, NULL, TRUE }, /* the trailing INVITE is ignored */
  { "semiuri", "3.1.1.9", STATUS, 200, NULL, TRUE },
  { "transports", "3.1.1.10", STATUS, 200, NULL, TRUE },
  { "mpart01", "3.1.1.11", STATUS, 415, "Accept: text/plain", TRUE },
  { "unreason", "3.1.1.12", DROP, 0, NULL, TRUE }, /* a response to nothing of ours */
  { "noreason", "3.1.1.13", DROP, 0, NULL, TRUE },
  /* 3.1.2 invalid messages */
  { "badinv01", "3.1.2.1", DROP, 0, NULL, FALSE },
  { "clerr", "3.1.2.2", DROP, 0, NULL, FALSE },
  { "ncl", "3.1.2.3", STATUS, 400, NULL, TRUE },
  { "scalar02", "3.1.2.4", STATUS, 400, NULL, TRUE },
  { "scalarlg", "3.1.2.5", DROP, 0, NULL, TRUE },
  { "quotbal", "3.1.2.6", DROP, 0, NULL, FALSE },
  { "ltgtruri", "3.1.2.7", DROP, 0, NULL, FALSE },
  { "lwsruri", "3.1.2.8", DROP, 0, NULL, FALSE },
  { "lwsstart", "3.1.2.9", DROP, 0, NULL, FALSE },
  { "trws", "3.1.2.10", DROP, 0, NULL, FALSE },
  { "escruri", "3.1.2.11", STATUS, 400, NULL, TRUE },
  { "baddate", "3.1.2.12", CALL, 0, NULL, TRUE },
  { "regbadct", "3.1.2.13", STATUS, 405, NULL, FALSE },
  { "badaspec", "3.1.2.14", DROP, 0, NULL, FALSE },
  { "baddn", "3.1.2.15", DROP, 0, NULL, FALSE },
  { "badvers", "3.1.2.16", STATUS, 505, NULL, TRUE },
  { "mismatch01", "3.1.2.17", STATUS, 400, NULL, TRUE },
  { "mismatch02", "3.1.2.18", STATUS, 400, NULL, TRUE },
  { "bigcode", "3.1.2.19", DROP, 0, NULL, TRUE },
  /* 3.2 transaction layer: no transaction id after the cookie, RFC 2543
   * matching, answered */
  { "badbranch", "3.2.1", STATUS, 200, NULL, TRUE },
  /* 3.3 application layer */
  { "insuf", "3.3.1", STATUS, 400, NULL, TRUE },
  { "unkscm", "3.3.2", STATUS, 416, NULL, TRUE },
  { "novelsc", "3.3.3", DROP, 0, NULL, FALSE },
  { "unksm2", "3.3.4", STATUS, 405, NULL, FALSE },
  { "bext01", "3.3.5", STATUS, 420, "Unsupported: nothingSupportsThis, nothingSupportsThisEither",
    TRUE },
  { "invut", "3.3.6", STATUS, 415, "Accept: application/sdp", TRUE },
  { "regaut01", "3.3.7", STATUS, 405, NULL, FALSE },
  { "multi01", "3.3.8", DROP, 0, NULL, FALSE },
  { "mcl01", "3.3.9", DROP, 0, NULL, FALSE },
  { "bcast", "3.3.10", DROP, 0, NULL, TRUE }, /* two Vias in a response (§8.1.3.3) */
  { "zeromf", "3.3.11", STATUS, 200, NULL, TRUE },
  { "cparam01", "3.3.12", STATUS, 405, NULL, FALSE },
  { "cparam02", "3.3.13", STATUS, 405, NULL, FALSE },
  { "regescrt", "3.3.14", STATUS, 405, NULL, FALSE },
  { "sdp01", "3.3.15", STATUS, 406, NULL, TRUE },
  /* 3.4 backward compatibility */
  { "inv2543", "3.4.1", CALL, 0, NULL, TRUE },
};

static ChorusSdpSession *
plain_media (void)
{
  /* the torture messages offer plain RTP: a UA that takes it */
  ChorusSdpSession *s = chorus_sdp_session_new_local ("192.0.2.200", 40000, NULL, NULL, NULL);
  g_free (s->proto);
  s->proto = g_strdup ("RTP/AVP");
  s->setup = CHORUS_SDP_SETUP_NONE;
  return s;
}

static GBytes *
load (const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.dat", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "sip", "rfc4475", file, NULL);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s: %s", path, error->message);
  return g_bytes_new_take (data, len);
}

static void
feed (TestUa *u, GBytes *msg, ChorusSipConnId conn, gboolean *accepted)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (msg, &len);
  g_autoptr (GError) error = NULL;
  *accepted = chorus_sip_ua_receive (u->ua, conn, data, len, u->net->now, &error);
  g_assert_true (*accepted == (error == NULL));
}

static void
test_case (gconstpointer p)
{
  const Expect *e = p;
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = plain_media ();
  TestUa *u = test_net_add_ua (net, "uas", "sip:user@example.com", media, FALSE);
  g_autoptr (GBytes) msg = load (e->name);
  gboolean accepted;
  feed (u, msg, 1, &accepted);
  switch (e->kind)
    {
    case DROP:
      g_assert_false (accepted);
      g_assert_cmpuint (u->sent->len, ==, 0);
      g_assert_cmpuint (u->events->len, ==, 0);
      break;
    case STATUS:
      {
        g_assert_cmpuint (u->sent->len, ==, 1);
        g_autofree char *line = g_strdup_printf ("SIP/2.0 %d ", e->status);
        g_assert_cmpuint (test_ua_sent_count (u, line), ==, 1);
        if (e->header)
          g_assert_cmpuint (test_ua_sent_with (u, line, e->header), ==, 1);
        g_assert_cmpuint (u->events->len, ==, 0);
        break;
      }
    case CALL:
      g_assert_true (accepted);
      g_assert_cmpuint (u->sent->len, ==, 1);
      g_assert_cmpuint (test_ua_sent_count (u, "SIP/2.0 100 "), ==, 1);
      g_assert_nonnull (test_ua_last (u, CHORUS_SIP_EVENT_INCOMING_CALL));
      break;
    }
  /* the same message again: a retransmission gets the same answer from
   * the transaction (or is dropped again), never a crash or a second call */
  guint sent = u->sent->len;
  feed (u, msg, 1, &accepted);
  g_assert_cmpuint (u->sent->len, <=, sent * 2);
  g_assert_cmpuint (test_ua_count (u, CHORUS_SIP_EVENT_INCOMING_CALL), <=, 1);
  test_net_advance (net, 40000);
  test_net_free (net);
}

static void
test_all_then_serve (void)
{
  /* one UA takes every message, then still serves */
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = plain_media ();
  TestUa *u = test_net_add_ua (net, "uas", "sip:user@example.com", media, FALSE);
  guint as_rfc = 0;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) msg = load (cases[i].name);
      gboolean accepted;
      feed (u, msg, 1 + i, &accepted);
      test_net_advance (net, 100);
      as_rfc += cases[i].as_rfc;
    }
  g_test_message ("%u of %u RFC 4475 messages handled as the RFC asks of a user agent", as_rfc,
                  (guint) G_N_ELEMENTS (cases));
  test_ua_clear (u);
  const char *options = "OPTIONS sip:user@example.com SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP client.example.net;branch=z9hG4bKafter\r\n"
                        "Max-Forwards: 70\r\n"
                        "From: <sip:c@example.net>;tag=1\r\n"
                        "To: <sip:user@example.com>\r\n"
                        "Call-ID: after-torture\r\n"
                        "CSeq: 1 OPTIONS\r\n"
                        "Content-Length: 0\r\n\r\n";
  g_assert_true (chorus_sip_ua_receive (u->ua, 999, (const guint8 *) options, strlen (options),
                                        net->now, NULL));
  g_assert_cmpuint (test_ua_sent_count (u, "SIP/2.0 200 "), ==, 1);
  test_net_advance (net, 70000);
  test_net_free (net);
}

static void
test_index_complete (void)
{
  /* every message of the directory has its case here */
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "sip", "rfc4475", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (name, ".dat"))
        continue;
      n++;
      gboolean found = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (cases) && !found; i++)
        found = strncmp (name, cases[i].name, strlen (name) - 4) == 0
                && strlen (cases[i].name) == strlen (name) - 4;
      if (!found)
        g_error ("%s has no expectation", name);
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (cases));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path =
          g_strdup_printf ("/sip/rfc4475/%s-%s", cases[i].section, cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/sip/rfc4475/all-then-serve", test_all_then_serve);
  g_test_add_func ("/sip/rfc4475/index-complete", test_index_complete);
  return g_test_run ();
}
