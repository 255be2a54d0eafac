/* test-sip-ua-delayed-offer.c: the delayed offer (RFC 3264 §5, RFC 3261
 * §13.2.1) with user agents back to back in memory: a call placed without
 * an offer, the offer in the callee's 200 and the answer in the caller's
 * ACK (both sides); the 2xx retransmitted while the caller makes its
 * answer (absorbed, then ACKed again with the same ACK); no answer in time
 * (ACK without a body, then BYE); a hangup while the answer is awaited; an
 * answer that does not answer; a 2xx without the offer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sip-test-net.h"

#include "chorus-sip-message.h"

#include <string.h>

#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"

typedef struct
{
  TestNet *net;
  TestUa *alice;
  TestUa *bob;
  ChorusSipConnId a2b;
  ChorusSipConnId b2a;
  ChorusSdpSession *media;
} Pair;

static void
pair_init (Pair *p, gboolean reliable)
{
  p->net = test_net_new ();
  p->media = test_media ("192.0.2.1");
  p->alice = test_net_add_ua (p->net, "alice", ALICE, p->media, FALSE);
  p->bob = test_net_add_ua (p->net, "bob", BOB, p->media, FALSE);
  p->a2b = test_net_link (p->net, p->alice, p->bob, reliable, &p->b2a);
}

static void
pair_clear (Pair *p)
{
  test_net_free (p->net);
  chorus_sdp_session_free (p->media);
}

static GBytes *
last_sent (TestUa *u, const char *prefix)
{
  for (guint i = u->sent->len; i > 0; i--)
    {
      GBytes *b = g_ptr_array_index (u->sent, i - 1);
      if (g_str_has_prefix (g_bytes_get_data (b, NULL), prefix))
        return b;
    }
  return NULL;
}

static gboolean
has_sdp_body (GBytes *b)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  return strstr (text, "\r\nContent-Type: application/sdp") != NULL
         && strstr (text, "\r\n\r\nv=0\r\n") != NULL;
}

/* Alice calls Bob without an offer; Bob answers with his offer in the 200;
 * Alice hears of the offer (and must answer).  Returns Alice's call. */
static guint
offerless_until_offer (Pair *p, guint *bob_call)
{
  g_autoptr (GError) error = NULL;
  guint call = chorus_sip_ua_call (p->alice->ua, BOB, &p->a2b, 1, NULL, p->net->now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (call, >, 0);
  test_net_run (p->net);
  /* RFC 3261 §13.2.1: an INVITE without a body */
  g_assert_cmpuint (test_ua_sent_with (p->alice, "INVITE ", "Content-Length: 0"), ==, 1);
  g_assert_false (has_sdp_body (last_sent (p->alice, "INVITE ")));
  TestEvent *in = test_ua_last (p->bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  g_assert_null (in->remote_sdp);
  *bob_call = in->call;
  g_assert_true (chorus_sip_ua_ring (p->bob->ua, *bob_call, 180, p->net->now, NULL));
  g_assert_true (chorus_sip_ua_answer (p->bob->ua, *bob_call, p->media, p->net->now, NULL));
  test_net_run (p->net);
  /* the offer in Bob's 200 (RFC 3264 §5) */
  g_assert_true (has_sdp_body (last_sent (p->bob, "SIP/2.0 200")));
  TestEvent *ans = test_ua_last (p->alice, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (ans);
  g_assert_cmpuint (ans->call, ==, call);
  g_assert_null (ans->local_sdp);
  g_assert_nonnull (ans->remote_sdp);
  g_assert_cmpint (ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_assert_nonnull (ans->remote_sdp->fingerprint);
  g_assert_true (chorus_sip_ua_call_needs_answer (p->alice->ua, call));
  g_assert_null (chorus_sip_ua_call_local_sdp (p->alice->ua, call));
  /* the ACK waits for the answer; Bob's call is not up yet */
  g_assert_cmpuint (test_ua_sent_count (p->alice, "ACK "), ==, 0);
  g_assert_null (test_ua_last (p->bob, CHORUS_SIP_EVENT_ANSWERED));
  return call;
}

static ChorusSdpSession *
alice_answer (Pair *p, guint call)
{
  const ChorusSdpSession *offer = chorus_sip_ua_call_remote_sdp (p->alice->ua, call);
  g_assert_nonnull (offer);
  g_autoptr (ChorusSdpSession) mine = test_media ("192.0.2.2");
  ChorusSdpSession *answer = chorus_sdp_answer (offer, mine, NULL);
  g_assert_nonnull (answer);
  return answer;
}

/* ---------------------------------------------------------------- tests */

static void
test_delayed_offer (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = offerless_until_offer (&p, &bob_call);
  /* Bob's 200 again at T1 and 2*T1 (§13.3.1.4): absorbed, no ACK without
   * the answer, and the app hears of the offer once */
  test_net_advance (p.net, 1600);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 3);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 0);
  g_assert_cmpuint (test_ua_count (p.alice, CHORUS_SIP_EVENT_ANSWERED), ==, 1);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));

  g_autoptr (ChorusSdpSession) answer = alice_answer (&p, call);
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_sip_ua_ack_with_answer (p.alice->ua, call, answer, p.net->now, &error));
  g_assert_no_error (error);
  test_net_run (p.net);
  /* §13.2.2.4: the answer in the ACK */
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_true (has_sdp_body (last_sent (p.alice, "ACK ")));
  g_assert_false (chorus_sip_ua_call_needs_answer (p.alice->ua, call));
  const ChorusSdpSession *local = chorus_sip_ua_call_local_sdp (p.alice->ua, call);
  g_assert_nonnull (local);
  g_assert_cmpint (local->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  /* Bob's side: the answer from the ACK (RFC 3264 §5) */
  TestEvent *bob_ans = test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (bob_ans);
  g_assert_cmpint (bob_ans->local_sdp->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_assert_cmpint (bob_ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_cmpstr (chorus_sdp_selected_codec (bob_ans->remote_sdp)->name, ==, "opus");
  g_assert_cmpstr (bob_ans->remote_sdp->address, ==, "192.0.2.2");
  /* a second answer is refused: the call waits for none */
  g_assert_false (chorus_sip_ua_ack_with_answer (p.alice->ua, call, answer, p.net->now, &error));
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_STATE);
  /* the ACK stopped Bob's 200s */
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 3);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));
  g_assert_null (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));

  /* the session works as any other: hold, then hang up */
  g_assert_true (chorus_sip_ua_hold (p.alice->ua, call, TRUE, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *upd = test_ua_last (p.alice, CHORUS_SIP_EVENT_MEDIA_UPDATED);
  g_assert_nonnull (upd);
  g_assert_cmpint (upd->status, ==, 200);
  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);
  g_assert_cmpint (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_REMOTE_HANGUP);
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.alice->ua), ==, 0);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.bob->ua), ==, 0);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.alice->ua), ==, -1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.bob->ua), ==, -1);
  pair_clear (&p);
}

typedef struct
{
  const char *prefix;
  guint drops;
} DropFirst;

static TestVerdict
drop_first (TestUa *from, TestUa *to, const char *text, gpointer data)
{
  DropFirst *d = data;
  if (d->drops > 0 && g_str_has_prefix (text, d->prefix))
    {
      d->drops--;
      return TEST_DROP;
    }
  return TEST_PASS;
}

/* The ACK with the answer is lost: Bob's next 200 gets the same ACK. */
static void
test_delayed_offer_ack_lost (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = offerless_until_offer (&p, &bob_call);
  DropFirst drop = { "ACK ", 1 };
  test_net_set_filter (p.net, drop_first, &drop);
  g_autoptr (ChorusSdpSession) answer = alice_answer (&p, call);
  g_assert_true (chorus_sip_ua_ack_with_answer (p.alice->ua, call, answer, p.net->now, NULL));
  test_net_run (p.net);
  g_assert_null (test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED));
  GBytes *first = g_bytes_ref (last_sent (p.alice, "ACK "));
  test_net_advance (p.net, 600);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 2);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 2);
  g_assert_true (g_bytes_equal (first, last_sent (p.alice, "ACK ")));
  g_bytes_unref (first);
  TestEvent *bob_ans = test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (bob_ans);
  g_assert_cmpint (bob_ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 2);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));
  pair_clear (&p);
}

/* No answer in time: ACK without a body, then BYE (RFC 3261 §13.2.2.4). */
static void
test_delayed_offer_no_answer (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = offerless_until_offer (&p, &bob_call);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.alice->ua), <=,
                   p.net->now + CHORUS_SIP_ANSWER_TIMEOUT_MS);
  test_net_advance (p.net, CHORUS_SIP_ANSWER_TIMEOUT_MS - 100);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 0);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));
  test_net_advance (p.net, 200);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_false (has_sdp_body (last_sent (p.alice, "ACK ")));
  g_assert_cmpuint (test_ua_sent_count (p.alice, "BYE "), ==, 1);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpuint (end->call, ==, call);
  g_assert_cmpint (end->status, ==, 408);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_TIMEOUT);
  g_assert_false (chorus_sip_ua_call_needs_answer (p.alice->ua, call));
  g_assert_false (chorus_sip_ua_ack_with_answer (p.alice->ua, call, p.media, p.net->now, NULL));
  /* Bob's call is over too: an ACK without the answer to his offer, and
   * the BYE */
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  g_assert_null (test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED));
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.alice->ua), ==, 0);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.bob->ua), ==, 0);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.alice->ua), ==, -1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.bob->ua), ==, -1);
  pair_clear (&p);
}

/* The app hangs up while the answer is awaited: ACK, then BYE. */
static void
test_delayed_offer_hangup (void)
{
  Pair p;
  pair_init (&p, TRUE);
  guint bob_call;
  guint call = offerless_until_offer (&p, &bob_call);
  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "BYE "), ==, 1);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_LOCAL_HANGUP);
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.alice->ua), ==, 0);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.bob->ua), ==, 0);
  pair_clear (&p);
}

/* An answer that does not answer the offer: ACK without it, BYE, 488. */
static void
test_delayed_offer_bad_answer (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = offerless_until_offer (&p, &bob_call);
  g_autoptr (ChorusSdpSession) answer = alice_answer (&p, call);
  /* a payload type the offer does not have */
  for (guint i = 0; i < answer->codecs->len; i++)
    ((ChorusSdpCodec *) g_ptr_array_index (answer->codecs, i))->payload_type = 77;
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sip_ua_ack_with_answer (p.alice->ua, call, answer, p.net->now, &error));
  g_assert_nonnull (error);
  test_net_run (p.net);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_false (has_sdp_body (last_sent (p.alice, "ACK ")));
  g_assert_cmpuint (test_ua_sent_count (p.alice, "BYE "), ==, 1);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 488);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_MEDIA);
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  pair_clear (&p);
}

/* A 2xx without an offer to an offerless INVITE: no session can be (RFC
 * 3261 §13.2.1): ACK, BYE, 488.  The other side is played by hand. */
static void
test_delayed_offer_2xx_without_offer (void)
{
  TestNet *net = test_net_new ();
  TestUa *alice = test_net_add_ua (net, "alice", ALICE, NULL, FALSE);
  ChorusSipConnId conn = 77; /* no link: what Alice sends stays in alice->sent */
  guint call = chorus_sip_ua_call (alice->ua, BOB, &conn, 1, NULL, net->now, NULL);
  g_assert_cmpuint (call, >, 0);
  GBytes *inv = last_sent (alice, "INVITE ");
  g_assert_nonnull (inv);
  osip_message_t *invite = NULL;
  int status = 0;
  g_assert_cmpint (chorus_sip_message_parse (g_bytes_get_data (inv, NULL), g_bytes_get_size (inv),
                                             &invite, &status, NULL),
                   ==, CHORUS_SIP_PARSE_OK);
  osip_message_t *ok = chorus_sip_response_new (invite, 200, NULL, "bobtag");
  osip_message_set_contact (ok, "<sip:bob@192.0.2.5>");
  g_autoptr (GBytes) ok_bytes = chorus_sip_message_to_bytes (ok);
  osip_message_free (ok);
  osip_message_free (invite);
  g_assert_true (chorus_sip_ua_receive (alice->ua, conn, g_bytes_get_data (ok_bytes, NULL),
                                        g_bytes_get_size (ok_bytes), net->now, NULL));
  g_assert_null (test_ua_last (alice, CHORUS_SIP_EVENT_ANSWERED));
  TestEvent *end = test_ua_last (alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 488);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_MEDIA);
  g_assert_cmpuint (test_ua_sent_count (alice, "ACK sip:bob@192.0.2.5 "), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (alice, "BYE sip:bob@192.0.2.5 "), ==, 1);
  test_net_free (net);
}

/* The 2xx of the offer retransmitted by hand while the answer is
 * awaited (the transaction may be over by then, §17.1.1.2): nothing is
 * sent; once the answer went, each gets the ACK with the answer again. */
static void
test_delayed_offer_retransmitted_2xx (void)
{
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = test_media ("192.0.2.1");
  TestUa *alice = test_net_add_ua (net, "alice", ALICE, media, FALSE);
  ChorusSipConnId conn = 78;
  guint call = chorus_sip_ua_call (alice->ua, BOB, &conn, 1, NULL, net->now, NULL);
  GBytes *inv = last_sent (alice, "INVITE ");
  osip_message_t *invite = NULL;
  int status = 0;
  g_assert_cmpint (chorus_sip_message_parse (g_bytes_get_data (inv, NULL), g_bytes_get_size (inv),
                                             &invite, &status, NULL),
                   ==, CHORUS_SIP_PARSE_OK);
  g_autoptr (ChorusSdpSession) offer = test_media ("192.0.2.5");
  offer->setup = CHORUS_SDP_SETUP_ACTPASS;
  g_autofree char *offer_text = chorus_sdp_to_string (offer);
  osip_message_t *ok = chorus_sip_response_new (invite, 200, NULL, "bobtag");
  osip_message_set_contact (ok, "<sip:bob@192.0.2.5>");
  chorus_sip_message_set_body (ok, "application/sdp", offer_text, strlen (offer_text));
  g_autoptr (GBytes) ok_bytes = chorus_sip_message_to_bytes (ok);
  osip_message_free (ok);
  osip_message_free (invite);
  for (int i = 0; i < 3; i++)
    {
      net->now += 500;
      chorus_sip_ua_receive (alice->ua, conn, g_bytes_get_data (ok_bytes, NULL),
                             g_bytes_get_size (ok_bytes), net->now, NULL);
    }
  g_assert_cmpuint (test_ua_count (alice, CHORUS_SIP_EVENT_ANSWERED), ==, 1);
  g_assert_true (test_ua_last (alice, CHORUS_SIP_EVENT_ANSWERED)->remote_sdp != NULL);
  g_assert_cmpuint (test_ua_sent_count (alice, "ACK "), ==, 0);
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, media, NULL);
  g_assert_true (chorus_sip_ua_ack_with_answer (alice->ua, call, answer, net->now, NULL));
  g_assert_cmpuint (test_ua_sent_count (alice, "ACK sip:bob@192.0.2.5 "), ==, 1);
  GBytes *ack = last_sent (alice, "ACK ");
  g_assert_true (has_sdp_body (ack));
  for (int i = 0; i < 2; i++)
    {
      net->now += 1000;
      chorus_sip_ua_receive (alice->ua, conn, g_bytes_get_data (ok_bytes, NULL),
                             g_bytes_get_size (ok_bytes), net->now, NULL);
    }
  g_assert_cmpuint (test_ua_sent_count (alice, "ACK "), ==, 3);
  g_assert_true (g_bytes_equal (ack, last_sent (alice, "ACK ")));
  g_assert_cmpuint (test_ua_count (alice, CHORUS_SIP_EVENT_ANSWERED), ==, 1);
  g_assert_null (test_ua_last (alice, CHORUS_SIP_EVENT_ENDED));
  test_net_free (net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/ua/delayed-offer/call", test_delayed_offer);
  g_test_add_func ("/sip/ua/delayed-offer/ack-lost", test_delayed_offer_ack_lost);
  g_test_add_func ("/sip/ua/delayed-offer/no-answer", test_delayed_offer_no_answer);
  g_test_add_func ("/sip/ua/delayed-offer/hangup", test_delayed_offer_hangup);
  g_test_add_func ("/sip/ua/delayed-offer/bad-answer", test_delayed_offer_bad_answer);
  g_test_add_func ("/sip/ua/delayed-offer/2xx-without-offer", test_delayed_offer_2xx_without_offer);
  g_test_add_func ("/sip/ua/delayed-offer/retransmitted-2xx", test_delayed_offer_retransmitted_2xx);
  return g_test_run ();
}
