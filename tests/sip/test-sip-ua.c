/* test-sip-ua.c: two (or four) user agents back to back in memory: calls,
 * hang-ups from either side, busy, decline, CANCEL, no answer, loss and
 * retransmission, hold and resume, glare, MESSAGE, OPTIONS, forking.
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
  ChorusSipConnId a2b; /* alice's connection to bob */
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

/* Alice calls Bob; Bob hears of it. */
static guint
place_call (Pair *p, guint *bob_call)
{
  g_autoptr (GError) error = NULL;
  guint call = chorus_sip_ua_call (p->alice->ua, BOB, &p->a2b, 1, p->media, p->net->now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (call, >, 0);
  test_net_run (p->net);
  TestEvent *in = test_ua_last (p->bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  *bob_call = in->call;
  return call;
}

static void
establish (Pair *p, guint *alice_call, guint *bob_call)
{
  *alice_call = place_call (p, bob_call);
  g_assert_true (chorus_sip_ua_ring (p->bob->ua, *bob_call, 180, p->net->now, NULL));
  test_net_run (p->net);
  g_assert_true (chorus_sip_ua_answer (p->bob->ua, *bob_call, p->media, p->net->now, NULL));
  test_net_run (p->net);
  g_assert_nonnull (test_ua_last (p->alice, CHORUS_SIP_EVENT_ANSWERED));
  g_assert_nonnull (test_ua_last (p->bob, CHORUS_SIP_EVENT_ANSWERED));
}

/* ---------------------------------------------------------------- calls */

static void
test_call_basic (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = place_call (&p, &bob_call);
  TestEvent *in = test_ua_last (p.bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_cmpstr (in->from, ==, ALICE);
  g_assert_cmpstr (in->to, ==, BOB);
  g_assert_nonnull (in->remote_sdp);
  g_assert_cmpstr (((ChorusSdpCodec *) g_ptr_array_index (in->remote_sdp->codecs, 0))->name, ==,
                   "opus");
  g_assert_cmpint (in->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 100"), ==, 1);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_RINGING)); /* 100 is not ringing */

  g_assert_true (chorus_sip_ua_ring (p.bob->ua, bob_call, 180, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *ring = test_ua_last (p.alice, CHORUS_SIP_EVENT_RINGING);
  g_assert_nonnull (ring);
  g_assert_cmpint (ring->status, ==, 180);
  g_assert_cmpuint (ring->call, ==, call);

  g_assert_true (chorus_sip_ua_answer (p.bob->ua, bob_call, p.media, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *ans = test_ua_last (p.alice, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (ans);
  g_assert_cmpuint (ans->conn, ==, p.a2b);
  const ChorusSdpCodec *codec = chorus_sdp_selected_codec (ans->remote_sdp);
  g_assert_cmpstr (codec->name, ==, "opus");
  g_assert_cmpuint (codec->payload_type, ==, 111);
  /* RFC 5763 §5: the answerer to actpass is active */
  g_assert_cmpint (ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_cmpint (ans->remote_sdp->direction, ==, CHORUS_SDP_SENDRECV);
  TestEvent *bob_ans = test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (bob_ans); /* after the ACK */
  g_assert_cmpint (bob_ans->local_sdp->setup, ==, CHORUS_SDP_SETUP_ACTIVE);

  g_assert_cmpuint (test_ua_sent_count (p.alice, "INVITE "), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 180"), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 1);
  /* nothing is retransmitted once acknowledged */
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "INVITE "), ==, 1);

  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *end = test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_REMOTE_HANGUP);
  g_assert_cmpint (end->status, ==, 200);
  end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_LOCAL_HANGUP);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 2); /* and the BYE's */
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.alice->ua), ==, 0);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.bob->ua), ==, 0);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.alice->ua), ==, -1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.bob->ua), ==, -1);
  pair_clear (&p);
}

static void
test_call_bye_from_callee (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint call, bob_call;
  establish (&p, &call, &bob_call);
  g_assert_true (chorus_sip_ua_hangup (p.bob->ua, bob_call, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpuint (end->call, ==, call);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_REMOTE_HANGUP);
  g_assert_cmpint (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_LOCAL_HANGUP);
  /* the BYE goes to Alice's Contact with both tags (§12.2.1.1) */
  g_assert_cmpuint (test_ua_sent_count (p.bob, "BYE sip:alice@example.org SIP/2.0"), ==, 1);
  pair_clear (&p);
}

static void
reject_with (int status)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  place_call (&p, &bob_call);
  g_assert_true (chorus_sip_ua_reject (p.bob->ua, bob_call, status, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, status);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_REJECTED);
  end = test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED);
  g_assert_cmpint (end->status, ==, status);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_DECLINED_LOCALLY);
  /* §17.1.1.3: the transaction ACKs the final response itself */
  g_assert_cmpuint (test_ua_sent_with (p.alice, "ACK ", "CSeq: 1 ACK"), ==, 1);
  /* the ACK stopped Timer G: the final response went once */
  test_net_advance (p.net, 40000);
  g_autofree char *line = g_strdup_printf ("SIP/2.0 %d", status);
  g_assert_cmpuint (test_ua_sent_count (p.bob, line), ==, 1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.bob->ua), ==, -1);
  pair_clear (&p);
}

static void
test_call_busy (void)
{
  reject_with (486);
}

static void
test_call_decline (void)
{
  reject_with (603);
}

static void
test_call_cancel (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  guint call = place_call (&p, &bob_call);
  chorus_sip_ua_ring (p.bob->ua, bob_call, 180, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_LOCAL_HANGUP);
  end = test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 487);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_CANCELLED);
  /* §9.1, §9.2: CANCEL, 200 for it, 487 for the INVITE, ACK */
  g_assert_cmpuint (test_ua_sent_with (p.alice, "CANCEL ", "CSeq: 1 CANCEL"), ==, 1);
  g_assert_cmpuint (test_ua_sent_with (p.bob, "SIP/2.0 200", "CSeq: 1 CANCEL"), ==, 1);
  g_assert_cmpuint (test_ua_sent_with (p.bob, "SIP/2.0 487", "CSeq: 1 INVITE"), ==, 1);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 1);
  g_assert_false (chorus_sip_ua_answer (p.bob->ua, bob_call, p.media, p.net->now, NULL));
  pair_clear (&p);
}

static void
test_call_no_answer (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint bob_call;
  place_call (&p, &bob_call);
  chorus_sip_ua_ring (p.bob->ua, bob_call, 183, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_RINGING)->status, ==, 183);
  chorus_sip_ua_ring (p.bob->ua, bob_call, 180, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_RINGING)->status, ==, 180);
  g_assert_false (chorus_sip_ua_ring (p.bob->ua, bob_call, 200, p.net->now, NULL));
  test_net_advance (p.net, 59000);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));
  test_net_advance (p.net, 2000);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 408);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_TIMEOUT);
  end = test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 487);
  pair_clear (&p);
}

static TestVerdict
drop_to (TestUa *from, TestUa *to, const char *text, gpointer data)
{
  return to == data ? TEST_DROP : TEST_PASS;
}

static void
test_call_unreachable (void)
{
  Pair p;
  pair_init (&p, FALSE);
  test_net_set_filter (p.net, drop_to, p.bob);
  guint call = chorus_sip_ua_call (p.alice->ua, BOB, &p.a2b, 1, p.media, p.net->now, NULL);
  test_net_advance (p.net, 31000);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED));
  test_net_advance (p.net, 2000);
  /* Timer B (64*T1) */
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpuint (end->call, ==, call);
  g_assert_cmpint (end->status, ==, 408);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_TIMEOUT);
  /* Timer A: at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s */
  g_assert_cmpuint (test_ua_sent_count (p.alice, "INVITE "), ==, 7);
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
  for (; d->prefix != NULL; d++)
    if (d->drops > 0 && g_str_has_prefix (text, d->prefix))
      {
        d->drops--;
        return TEST_DROP;
      }
  return TEST_PASS;
}

static void
test_call_loss (void)
{
  Pair p;
  pair_init (&p, FALSE);
  DropFirst drops[] = { { "INVITE ", 1 }, { "SIP/2.0 200", 2 }, { "ACK ", 1 }, { NULL, 0 } };
  test_net_set_filter (p.net, drop_first, drops);
  guint call = chorus_sip_ua_call (p.alice->ua, BOB, &p.a2b, 1, p.media, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_null (test_ua_last (p.bob, CHORUS_SIP_EVENT_INCOMING_CALL));
  test_net_advance (p.net, 600); /* Timer A */
  TestEvent *in = test_ua_last (p.bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  chorus_sip_ua_answer (p.bob->ua, in->call, p.media, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_null (test_ua_last (p.alice, CHORUS_SIP_EVENT_ANSWERED));
  test_net_advance (p.net, 2000); /* §13.3.1.4: the 2xx again */
  g_assert_nonnull (test_ua_last (p.alice, CHORUS_SIP_EVENT_ANSWERED));
  test_net_advance (p.net, 5000); /* the first ACK was lost: the next 2xx gets another */
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ANSWERED));
  g_assert_cmpuint (test_ua_sent_count (p.alice, "INVITE "), ==, 2);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 4);
  g_assert_cmpuint (test_ua_sent_count (p.alice, "ACK "), ==, 2);
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 4);
  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  pair_clear (&p);
}

static void
test_call_no_ack (void)
{
  Pair p;
  pair_init (&p, FALSE);
  DropFirst drops[] = { { "ACK ", 1000 }, { NULL, 0 } };
  test_net_set_filter (p.net, drop_first, drops);
  guint bob_call;
  place_call (&p, &bob_call);
  chorus_sip_ua_answer (p.bob->ua, bob_call, p.media, p.net->now, NULL);
  test_net_advance (p.net, 31000);
  g_assert_null (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  test_net_advance (p.net, 2000);
  /* §13.3.1.4: 2xx at 0, .5, 1.5, 3.5, 7.5, then every T2 up to 31.5 s;
   * no ACK by 64*T1: BYE */
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 200"), ==, 11);
  TestEvent *end = test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 408);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "BYE "), ==, 1);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_REMOTE_HANGUP);
  pair_clear (&p);
}

static TestVerdict
hold_acks (TestUa *from, TestUa *to, const char *text, gpointer data)
{
  return g_str_has_prefix (text, "ACK ") ? TEST_HOLD : TEST_PASS;
}

static void
test_call_hangup_before_ack (void)
{
  Pair p;
  pair_init (&p, FALSE);
  test_net_set_filter (p.net, hold_acks, NULL);
  guint bob_call;
  place_call (&p, &bob_call);
  chorus_sip_ua_answer (p.bob->ua, bob_call, p.media, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_true (chorus_sip_ua_hangup (p.bob->ua, bob_call, p.net->now, NULL));
  test_net_run (p.net);
  g_assert_nonnull (test_ua_last (p.bob, CHORUS_SIP_EVENT_ENDED));
  /* §15: no BYE before the ACK */
  g_assert_cmpuint (test_ua_sent_count (p.bob, "BYE "), ==, 0);
  test_net_set_filter (p.net, NULL, NULL);
  test_net_release (p.net);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "BYE "), ==, 1);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_REMOTE_HANGUP);
  test_net_advance (p.net, 40000);
  g_assert_cmpuint (chorus_sip_ua_call_count (p.bob->ua), ==, 0);
  pair_clear (&p);
}

static void
test_call_reliable (void)
{
  Pair p;
  pair_init (&p, TRUE);
  guint bob_call;
  place_call (&p, &bob_call);
  chorus_sip_ua_reject (p.bob->ua, bob_call, 486, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED)->status, ==, 486);
  /* reliable: no Timer A, G; Timers D and I are zero; the Via says TLS */
  g_assert_cmpuint (test_ua_sent_with (p.alice, "INVITE ", "Via: SIP/2.0/TLS "), ==, 1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.alice->ua), ==, -1);
  g_assert_cmpint (chorus_sip_ua_next_timeout (p.bob->ua), ==, -1);
  pair_clear (&p);
}

static void
test_call_connection_closed (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint call, bob_call;
  establish (&p, &call, &bob_call);
  chorus_sip_ua_connection_closed (p.alice->ua, p.a2b, p.net->now);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 503);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_TRANSPORT);
  pair_clear (&p);
}

static void
test_call_not_found (void)
{
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = test_media ("192.0.2.1");
  TestUa *alice = test_net_add_ua (net, "alice", ALICE, media, FALSE);
  TestUa *bob = test_net_add_ua (net, "bob", BOB, media, TRUE);
  ChorusSipConnId c = test_net_link (net, alice, bob, FALSE, NULL);
  chorus_sip_ua_call (alice->ua, "sip:carol@example.org", &c, 1, media, net->now, NULL);
  test_net_run (net);
  /* §8.2.2.1: not an address Bob takes requests for */
  g_assert_cmpint (test_ua_last (alice, CHORUS_SIP_EVENT_ENDED)->status, ==, 404);
  g_assert_null (test_ua_last (bob, CHORUS_SIP_EVENT_INCOMING_CALL));
  /* his own AOR in another spelling is his */
  chorus_sip_ua_call (alice->ua, "sip:bob@EXAMPLE.org", &c, 1, media, net->now, NULL);
  test_net_run (net);
  g_assert_nonnull (test_ua_last (bob, CHORUS_SIP_EVENT_INCOMING_CALL));
  test_net_free (net);
}

static void
test_call_not_acceptable (void)
{
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = test_media ("192.0.2.1");
  g_autoptr (ChorusSdpSession) g722 = test_media ("192.0.2.2");
  g_ptr_array_set_size (g722->codecs, 0);
  g_ptr_array_add (g722->codecs, chorus_sdp_codec_new (9, "G722", 8000, 1, NULL));
  TestUa *alice = test_net_add_ua (net, "alice", ALICE, media, FALSE);
  TestUa *bob = test_net_add_ua (net, "bob", BOB, g722, FALSE);
  ChorusSipConnId c = test_net_link (net, alice, bob, FALSE, NULL);
  chorus_sip_ua_call (alice->ua, BOB, &c, 1, media, net->now, NULL);
  test_net_run (net);
  /* RFC 3264 §6: nothing in common: 488, before Bob's app hears of it */
  TestEvent *end = test_ua_last (alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 488);
  g_assert_null (test_ua_last (bob, CHORUS_SIP_EVENT_INCOMING_CALL));
  g_assert_cmpuint (test_ua_sent_with (bob, "SIP/2.0 488", "Warning: 305 "), ==, 1);

  /* a UA without a media check: the app's answer finds nothing in common */
  TestUa *carol = test_net_add_ua (net, "carol", "sip:carol@example.org", NULL, FALSE);
  ChorusSipConnId c2 = test_net_link (net, alice, carol, FALSE, NULL);
  chorus_sip_ua_call (alice->ua, "sip:carol@example.org", &c2, 1, media, net->now, NULL);
  test_net_run (net);
  TestEvent *in = test_ua_last (carol, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sip_ua_answer (carol->ua, in->call, g722, net->now, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  test_net_run (net);
  g_assert_cmpint (test_ua_last (alice, CHORUS_SIP_EVENT_ENDED)->status, ==, 488);
  g_assert_cmpint (test_ua_last (carol, CHORUS_SIP_EVENT_ENDED)->status, ==, 488);
  test_net_free (net);
}

/* ---------------------------------------------------------------- hold */

static void
check_directions (TestUa *u, ChorusSdpDirection local, ChorusSdpDirection remote)
{
  TestEvent *e = test_ua_last (u, CHORUS_SIP_EVENT_MEDIA_UPDATED);
  g_assert_nonnull (e);
  g_assert_cmpint (e->status, ==, 200);
  g_assert_cmpstr (chorus_sdp_direction_to_string (e->local_sdp->direction), ==,
                   chorus_sdp_direction_to_string (local));
  g_assert_cmpstr (chorus_sdp_direction_to_string (e->remote_sdp->direction), ==,
                   chorus_sdp_direction_to_string (remote));
}

static void
test_hold_resume (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint call, bob_call;
  establish (&p, &call, &bob_call);
  guint64 version = chorus_sip_ua_call_local_sdp (p.alice->ua, call)->session_version;

  /* RFC 3264 §8.4: sendrecv on hold becomes sendonly; the answer recvonly */
  g_assert_true (chorus_sip_ua_hold (p.alice->ua, call, TRUE, p.net->now, NULL));
  test_net_run (p.net);
  check_directions (p.alice, CHORUS_SDP_SENDONLY, CHORUS_SDP_RECVONLY);
  check_directions (p.bob, CHORUS_SDP_RECVONLY, CHORUS_SDP_SENDONLY);
  g_assert_cmpuint (chorus_sip_ua_call_local_sdp (p.alice->ua, call)->session_version, ==,
                    version + 1);
  g_assert_cmpuint (test_ua_sent_with (p.alice, "INVITE ", "a=sendonly"), ==, 1);
  g_assert_cmpuint (test_ua_sent_with (p.alice, "ACK ", "CSeq: 2 ACK"), ==, 1);

  /* Bob holds too: from recvonly, inactive (§8.4) */
  g_assert_true (chorus_sip_ua_hold (p.bob->ua, bob_call, TRUE, p.net->now, NULL));
  test_net_run (p.net);
  check_directions (p.bob, CHORUS_SDP_INACTIVE, CHORUS_SDP_INACTIVE);
  check_directions (p.alice, CHORUS_SDP_INACTIVE, CHORUS_SDP_INACTIVE);

  /* Alice resumes: from inactive, recvonly; Bob, still holding, sendonly */
  g_assert_true (chorus_sip_ua_hold (p.alice->ua, call, FALSE, p.net->now, NULL));
  test_net_run (p.net);
  check_directions (p.alice, CHORUS_SDP_RECVONLY, CHORUS_SDP_SENDONLY);
  check_directions (p.bob, CHORUS_SDP_SENDONLY, CHORUS_SDP_RECVONLY);

  /* Bob resumes: sendrecv both ways again */
  g_assert_true (chorus_sip_ua_hold (p.bob->ua, bob_call, FALSE, p.net->now, NULL));
  test_net_run (p.net);
  check_directions (p.bob, CHORUS_SDP_SENDRECV, CHORUS_SDP_SENDRECV);
  check_directions (p.alice, CHORUS_SDP_SENDRECV, CHORUS_SDP_SENDRECV);
  /* the DTLS roles stay (RFC 4145 §4): Alice passive, Bob active */
  g_assert_cmpint (chorus_sip_ua_call_local_sdp (p.alice->ua, call)->setup, ==,
                   CHORUS_SDP_SETUP_PASSIVE);
  g_assert_cmpint (chorus_sip_ua_call_local_sdp (p.bob->ua, bob_call)->setup, ==,
                   CHORUS_SDP_SETUP_ACTIVE);
  pair_clear (&p);
}

static void
test_hold_glare (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint call, bob_call;
  establish (&p, &call, &bob_call);
  g_assert_true (chorus_sip_ua_hold (p.alice->ua, call, TRUE, p.net->now, NULL));
  g_assert_true (chorus_sip_ua_hold (p.bob->ua, bob_call, TRUE, p.net->now, NULL));
  /* §14.1: one re-INVITE at a time */
  g_assert_false (chorus_sip_ua_hold (p.bob->ua, bob_call, TRUE, p.net->now, NULL));
  test_net_run (p.net);
  /* §14.2: both crossed: 491 each */
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_MEDIA_UPDATED)->status, ==, 491);
  g_assert_cmpint (test_ua_last (p.bob, CHORUS_SIP_EVENT_MEDIA_UPDATED)->status, ==, 491);
  g_assert_cmpint (chorus_sip_ua_call_local_sdp (p.alice->ua, call)->direction, ==,
                   CHORUS_SDP_SENDRECV);
  /* and again, one at a time */
  g_assert_true (chorus_sip_ua_hold (p.alice->ua, call, TRUE, p.net->now, NULL));
  test_net_run (p.net);
  check_directions (p.alice, CHORUS_SDP_SENDONLY, CHORUS_SDP_RECVONLY);
  pair_clear (&p);
}

/* ---------------------------------------------------------------- MESSAGE, OPTIONS */

static void
test_message (void)
{
  Pair p;
  pair_init (&p, FALSE);
  const char *text = "Hello, Bob";
  guint id = chorus_sip_ua_send_message (p.alice->ua, p.a2b, BOB, NULL, text, strlen (text),
                                         p.net->now, NULL);
  g_assert_cmpuint (id, >, 0);
  test_net_run (p.net);
  TestEvent *m = test_ua_last (p.bob, CHORUS_SIP_EVENT_MESSAGE);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->body, ==, text);
  g_assert_cmpstr (m->from, ==, ALICE);
  TestEvent *st = test_ua_last (p.alice, CHORUS_SIP_EVENT_MESSAGE_STATUS);
  g_assert_cmpuint (st->request, ==, id);
  g_assert_cmpint (st->status, ==, 200);
  /* RFC 3428 §7: no Contact in MESSAGE, no body in the 200 */
  g_assert_cmpuint (test_ua_sent_with (p.alice, "MESSAGE ", "Contact:"), ==, 0);
  g_assert_cmpuint (test_ua_sent_with (p.bob, "SIP/2.0 200", "Content-Type"), ==, 0);

  id =
      chorus_sip_ua_send_message (p.bob->ua, p.b2a, ALICE, "text/plain", "hi", 2, p.net->now, NULL);
  test_net_run (p.net);
  g_assert_cmpstr (test_ua_last (p.alice, CHORUS_SIP_EVENT_MESSAGE)->body, ==, "hi");
  g_assert_cmpint (test_ua_last (p.bob, CHORUS_SIP_EVENT_MESSAGE_STATUS)->status, ==, 200);

  /* a type Bob does not take: 415 (§8.2.3) */
  chorus_sip_ua_send_message (p.alice->ua, p.a2b, BOB, "application/json", "{}", 2, p.net->now,
                              NULL);
  test_net_run (p.net);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_MESSAGE_STATUS)->status, ==, 415);
  g_assert_cmpuint (test_ua_count (p.bob, CHORUS_SIP_EVENT_MESSAGE), ==, 1);

  /* RFC 3428 §7: over a datagram connection, at most 1300 bytes */
  g_autofree char *big = g_strnfill (1400, 'x');
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (chorus_sip_ua_send_message (p.alice->ua, p.a2b, BOB, NULL, big, strlen (big),
                                                p.net->now, &error),
                    ==, 0);
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);

  /* nobody there: 408 after Timer F */
  test_net_set_filter (p.net, drop_to, p.bob);
  chorus_sip_ua_send_message (p.alice->ua, p.a2b, BOB, NULL, "?", 1, p.net->now, NULL);
  test_net_advance (p.net, 33000);
  g_assert_cmpint (test_ua_last (p.alice, CHORUS_SIP_EVENT_MESSAGE_STATUS)->status, ==, 408);
  pair_clear (&p);
}

static void
test_options (void)
{
  Pair p;
  pair_init (&p, FALSE);
  guint id = chorus_sip_ua_send_options (p.alice->ua, p.a2b, BOB, p.net->now, NULL);
  test_net_run (p.net);
  TestEvent *st = test_ua_last (p.alice, CHORUS_SIP_EVENT_OPTIONS_STATUS);
  g_assert_nonnull (st);
  g_assert_cmpuint (st->request, ==, id);
  g_assert_cmpint (st->status, ==, 200);
  g_assert_nonnull (strstr (st->allow, "INVITE"));
  g_assert_nonnull (strstr (st->allow, "MESSAGE"));
  g_assert_cmpuint (test_ua_sent_with (p.bob, "SIP/2.0 200", "Accept: application/sdp"), ==, 1);
  pair_clear (&p);
}

/* ---------------------------------------------------------------- forking */

typedef struct
{
  TestNet *net;
  TestUa *alice;
  TestUa *bob[3];
  ChorusSipConnId conns[3]; /* alice's */
  ChorusSdpSession *media;
} Fork;

static void
fork_init (Fork *f, int auto_ring)
{
  f->net = test_net_new ();
  f->media = test_media ("192.0.2.1");
  f->alice = test_net_add_ua (f->net, "alice", ALICE, f->media, FALSE);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("bob%u", i + 1);
      f->bob[i] = test_net_add_ua (f->net, name, BOB, f->media, FALSE);
      f->bob[i]->auto_ring = auto_ring;
      f->conns[i] = test_net_link (f->net, f->alice, f->bob[i], FALSE, NULL);
    }
}

static void
fork_clear (Fork *f)
{
  test_net_free (f->net);
  chorus_sdp_session_free (f->media);
}

static guint
bob_call_of (TestUa *u)
{
  TestEvent *e = test_ua_last (u, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (e);
  return e->call;
}

static void
test_fork_second_answers (void)
{
  Fork f;
  fork_init (&f, 180);
  guint call = chorus_sip_ua_call (f.alice->ua, BOB, f.conns, 3, f.media, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_cmpuint (test_ua_count (f.alice, CHORUS_SIP_EVENT_RINGING), ==, 3);
  g_assert_cmpuint (test_ua_sent_count (f.alice, "INVITE "), ==, 3);
  chorus_sip_ua_answer (f.bob[1]->ua, bob_call_of (f.bob[1]), f.media, f.net->now, NULL);
  test_net_run (f.net);
  TestEvent *ans = test_ua_last (f.alice, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (ans);
  g_assert_cmpuint (ans->call, ==, call);
  g_assert_cmpuint (ans->conn, ==, f.conns[1]);
  g_assert_nonnull (test_ua_last (f.bob[1], CHORUS_SIP_EVENT_ANSWERED));
  /* the others get CANCEL with RFC 3326's reason, and end */
  g_assert_cmpuint (test_ua_sent_with (f.alice, "CANCEL ", "Reason: SIP;cause=200"), ==, 2);
  for (guint i = 0; i < 3; i += 2)
    {
      TestEvent *end = test_ua_last (f.bob[i], CHORUS_SIP_EVENT_ENDED);
      g_assert_nonnull (end);
      g_assert_cmpint (end->status, ==, 487);
      g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_ANSWERED_ELSEWHERE);
      g_assert_null (test_ua_last (f.bob[i], CHORUS_SIP_EVENT_ANSWERED));
    }
  g_assert_null (test_ua_last (f.bob[1], CHORUS_SIP_EVENT_ENDED));
  g_assert_null (test_ua_last (f.alice, CHORUS_SIP_EVENT_ENDED));
  g_assert_cmpuint (chorus_sip_ua_call_connection (f.alice->ua, call), ==, f.conns[1]);
  chorus_sip_ua_hangup (f.alice->ua, call, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_cmpint (test_ua_last (f.bob[1], CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_REMOTE_HANGUP);
  g_assert_cmpuint (test_ua_sent_count (f.alice, "BYE "), ==, 1);
  fork_clear (&f);
}

static TestVerdict
drop_trying_from (TestUa *from, TestUa *to, const char *text, gpointer data)
{
  return from == data && g_str_has_prefix (text, "SIP/2.0 100") ? TEST_DROP : TEST_PASS;
}

static void
test_fork_cancel_waits_for_provisional (void)
{
  Fork f;
  fork_init (&f, 0);
  test_net_set_filter (f.net, drop_trying_from, f.bob[2]);
  chorus_sip_ua_call (f.alice->ua, BOB, f.conns, 3, f.media, f.net->now, NULL);
  test_net_run (f.net);
  chorus_sip_ua_answer (f.bob[1]->ua, bob_call_of (f.bob[1]), f.media, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_nonnull (test_ua_last (f.alice, CHORUS_SIP_EVENT_ANSWERED));
  /* §9.1: no CANCEL before a provisional response: only bob1 got one */
  g_assert_cmpuint (test_ua_sent_count (f.alice, "CANCEL "), ==, 1);
  g_assert_nonnull (test_ua_last (f.bob[0], CHORUS_SIP_EVENT_ENDED));
  g_assert_null (test_ua_last (f.bob[2], CHORUS_SIP_EVENT_ENDED));
  chorus_sip_ua_ring (f.bob[2]->ua, bob_call_of (f.bob[2]), 180, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_cmpuint (test_ua_sent_count (f.alice, "CANCEL "), ==, 2);
  g_assert_cmpint (test_ua_last (f.bob[2], CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_ANSWERED_ELSEWHERE);
  fork_clear (&f);
}

static TestVerdict
hold_to (TestUa *from, TestUa *to, const char *text, gpointer data)
{
  return to == data ? TEST_HOLD : TEST_PASS;
}

static void
test_fork_late_200 (void)
{
  Fork f;
  fork_init (&f, 180);
  guint call = chorus_sip_ua_call (f.alice->ua, BOB, f.conns, 2, f.media, f.net->now, NULL);
  test_net_run (f.net);
  test_net_set_filter (f.net, hold_to, f.bob[1]);
  chorus_sip_ua_answer (f.bob[0]->ua, bob_call_of (f.bob[0]), f.media, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_cmpuint (test_ua_last (f.alice, CHORUS_SIP_EVENT_ANSWERED)->conn, ==, f.conns[0]);
  /* bob2 answers before the CANCEL reaches it */
  chorus_sip_ua_answer (f.bob[1]->ua, bob_call_of (f.bob[1]), f.media, f.net->now, NULL);
  test_net_run (f.net);
  /* §13.2.2.4: Alice ACKs that 2xx and sends BYE */
  g_assert_cmpuint (test_ua_sent_count (f.alice, "BYE "), ==, 1);
  g_assert_cmpuint (test_ua_count (f.alice, CHORUS_SIP_EVENT_ANSWERED), ==, 1);
  test_net_set_filter (f.net, NULL, NULL);
  test_net_release (f.net);
  TestEvent *end = test_ua_last (f.bob[1], CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->reason, ==, CHORUS_SIP_END_REMOTE_HANGUP);
  /* Alice's call with bob1 goes on */
  g_assert_null (test_ua_last (f.alice, CHORUS_SIP_EVENT_ENDED));
  g_assert_null (test_ua_last (f.bob[0], CHORUS_SIP_EVENT_ENDED));
  g_assert_cmpuint (chorus_sip_ua_call_connection (f.alice->ua, call), ==, f.conns[0]);
  fork_clear (&f);
}

static void
test_fork_busy_and_answer (void)
{
  Fork f;
  fork_init (&f, 180);
  chorus_sip_ua_call (f.alice->ua, BOB, f.conns, 2, f.media, f.net->now, NULL);
  test_net_run (f.net);
  /* one device busy: the call goes on with the other (§16.7 by analogy) */
  chorus_sip_ua_reject (f.bob[0]->ua, bob_call_of (f.bob[0]), 486, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_null (test_ua_last (f.alice, CHORUS_SIP_EVENT_ENDED));
  chorus_sip_ua_reject (f.bob[1]->ua, bob_call_of (f.bob[1]), 486, f.net->now, NULL);
  test_net_run (f.net);
  g_assert_cmpint (test_ua_last (f.alice, CHORUS_SIP_EVENT_ENDED)->status, ==, 486);
  fork_clear (&f);
}

static void
test_fork_decline_ends (void)
{
  Fork f;
  fork_init (&f, 180);
  chorus_sip_ua_call (f.alice->ua, BOB, f.conns, 3, f.media, f.net->now, NULL);
  test_net_run (f.net);
  /* a 6xx is definitive: the search ends, the others are cancelled */
  chorus_sip_ua_reject (f.bob[2]->ua, bob_call_of (f.bob[2]), 603, f.net->now, NULL);
  test_net_run (f.net);
  TestEvent *end = test_ua_last (f.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_cmpint (end->status, ==, 603);
  g_assert_cmpint (test_ua_last (f.bob[0], CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_CANCELLED);
  g_assert_cmpint (test_ua_last (f.bob[1], CHORUS_SIP_EVENT_ENDED)->reason, ==,
                   CHORUS_SIP_END_CANCELLED);
  fork_clear (&f);
}

/* ---------------------------------------------------------------- an INVITE without offer */

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

/* A back-to-back UA: a call placed as someone else (From), answered with
 * a description passed through verbatim (not recomputed), and an answer
 * that does not answer the offer refused with 488. */
static void
test_b2bua (void)
{
  Pair p;
  pair_init (&p, FALSE);
  g_autoptr (GError) error = NULL;
  guint call = chorus_sip_ua_call_as (p.alice->ua, "\"Carol\" <sip:carol@example.org>", BOB, &p.a2b,
                                      1, p.media, p.net->now, &error);
  g_assert_no_error (error);
  test_net_run (p.net);
  TestEvent *in = test_ua_last (p.bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  g_assert_cmpstr (in->from, ==, "sip:carol@example.org");
  g_assert_cmpuint (test_ua_sent_with (p.alice, "INVITE ", "Carol"), ==, 1);
  g_assert_cmpuint (test_ua_sent_with (p.alice, "INVITE ", "SIP/2.0/DTLS"), ==, 1);

  /* an answer of someone else's making (the other side of the B2BUA):
   * its own ICE credentials and a=setup:passive, kept as they are */
  g_autoptr (ChorusSdpSession) other = chorus_sdp_answer (in->remote_sdp, p.media, NULL);
  g_free (other->ice_ufrag);
  other->ice_ufrag = g_strdup ("otherUfrag");
  other->setup = CHORUS_SDP_SETUP_PASSIVE;
  g_assert_true (chorus_sip_ua_answer_verbatim (p.bob->ua, in->call, other, p.net->now, &error));
  g_assert_no_error (error);
  test_net_run (p.net);
  TestEvent *ans = test_ua_last (p.alice, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (ans);
  g_assert_cmpstr (ans->remote_sdp->ice_ufrag, ==, "otherUfrag");
  g_assert_cmpint (ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_PASSIVE);
  g_assert_true (chorus_sip_ua_hangup (p.alice->ua, call, p.net->now, NULL));
  test_net_run (p.net);

  /* a description that answers nothing of the offer: 488 */
  call = chorus_sip_ua_call (p.alice->ua, BOB, &p.a2b, 1, p.media, p.net->now, &error);
  test_net_run (p.net);
  in = test_ua_last (p.bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_autoptr (ChorusSdpSession) bad = chorus_sdp_session_copy (p.media);
  g_ptr_array_set_size (bad->codecs, 0);
  g_ptr_array_add (bad->codecs, chorus_sdp_codec_new (9, "G722", 8000, 1, NULL));
  g_assert_false (chorus_sip_ua_answer_verbatim (p.bob->ua, in->call, bad, p.net->now, &error));
  g_assert_nonnull (error);
  test_net_run (p.net);
  g_assert_cmpuint (test_ua_sent_count (p.bob, "SIP/2.0 488"), ==, 1);
  TestEvent *end = test_ua_last (p.alice, CHORUS_SIP_EVENT_ENDED);
  g_assert_nonnull (end);
  g_assert_cmpint (end->status, ==, 488);
  (void) call;
  pair_clear (&p);
}

/* Plain SIP phones' transports in the Via (RFC 3261 §18.1.1). */
static void
capture_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strndup ((const char *) data, len));
}

static void
ignore_event (const ChorusSipEvent *event, gpointer user_data)
{
}

static void
test_via_transport (void)
{
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  ChorusSipUaCallbacks cb = { capture_send, ignore_event };
  ChorusSipUaConfig cfg = { 0 };
  cfg.aor = ALICE;
  cfg.via_host = "192.0.2.7:5060";
  cfg.via_transport_reliable = "TCP";
  cfg.via_transport_unreliable = "UDP";
  g_autoptr (ChorusSipUa) ua = chorus_sip_ua_new (&cfg, &cb, sent, NULL);
  g_assert_nonnull (ua);
  chorus_sip_ua_connection_add (ua, 1, FALSE);
  chorus_sip_ua_connection_add (ua, 2, TRUE);
  g_assert_cmpuint (chorus_sip_ua_send_options (ua, 1, BOB, 0, NULL), >, 0);
  g_assert_cmpuint (chorus_sip_ua_send_options (ua, 2, BOB, 0, NULL), >, 0);
  g_assert_cmpuint (sent->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (sent, 0), "Via: SIP/2.0/UDP 192.0.2.7:5060;"));
  g_assert_nonnull (strstr (g_ptr_array_index (sent, 1), "Via: SIP/2.0/TCP 192.0.2.7:5060;"));
}

static void
test_offerless_invite (void)
{
  TestNet *net = test_net_new ();
  g_autoptr (ChorusSdpSession) media = test_media ("192.0.2.9");
  TestUa *bob = test_net_add_ua (net, "bob", BOB, media, FALSE);
  const char *invite = "INVITE sip:bob@example.org SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP phone.example.net;branch=z9hG4bKoffless1\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: <sip:phone@example.net>;tag=ph1\r\n"
                       "To: <sip:bob@example.org>\r\n"
                       "Call-ID: offerless@phone\r\n"
                       "CSeq: 7 INVITE\r\n"
                       "Contact: <sip:phone@phone.example.net>\r\n"
                       "Content-Length: 0\r\n\r\n";
  g_assert_true (chorus_sip_ua_receive (bob->ua, 77, (const guint8 *) invite, strlen (invite),
                                        net->now, NULL));
  TestEvent *in = test_ua_last (bob, CHORUS_SIP_EVENT_INCOMING_CALL);
  g_assert_nonnull (in);
  g_assert_null (in->remote_sdp);
  g_assert_true (chorus_sip_ua_answer (bob->ua, in->call, media, net->now, NULL));
  /* RFC 3264 §5 via §13.3.1.4: the offer goes in the 200 */
  GBytes *ok = last_sent (bob, "SIP/2.0 200");
  g_assert_nonnull (ok);
  osip_message_t *msg = NULL;
  int status;
  g_assert_cmpint (chorus_sip_message_parse (g_bytes_get_data (ok, NULL), g_bytes_get_size (ok),
                                             &msg, &status, NULL),
                   ==, CHORUS_SIP_PARSE_OK);
  gsize len;
  const char *body = chorus_sip_message_body (msg, &len);
  g_autoptr (ChorusSdpSession) offer = chorus_sdp_parse (body, len, NULL);
  g_assert_nonnull (offer);
  g_assert_cmpint (offer->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_autoptr (ChorusSdpSession) phone = test_media ("192.0.2.77");
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, phone, NULL);
  g_assert_nonnull (answer);
  g_autofree char *answer_text = chorus_sdp_to_string (answer);
  g_autofree char *ack =
      g_strdup_printf ("ACK sip:bob@example.org SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP phone.example.net;branch=z9hG4bKoffless2\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: <sip:phone@example.net>;tag=ph1\r\n"
                       "To: <sip:bob@example.org>;tag=%s\r\n"
                       "Call-ID: offerless@phone\r\n"
                       "CSeq: 7 ACK\r\n"
                       "Content-Type: application/sdp\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       chorus_sip_message_to_tag (msg), strlen (answer_text), answer_text);
  osip_message_free (msg);
  chorus_sip_ua_receive (bob->ua, 77, (const guint8 *) ack, strlen (ack), net->now, NULL);
  TestEvent *ans = test_ua_last (bob, CHORUS_SIP_EVENT_ANSWERED);
  g_assert_nonnull (ans);
  g_assert_nonnull (ans->remote_sdp);
  g_assert_cmpint (ans->remote_sdp->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_cmpint (ans->local_sdp->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  /* the ACK stopped the retransmissions of the 2xx */
  test_net_advance (net, 40000);
  g_assert_cmpuint (test_ua_sent_count (bob, "SIP/2.0 200"), ==, 1);
  test_net_free (net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/ua/call/basic", test_call_basic);
  g_test_add_func ("/sip/ua/call/bye-from-callee", test_call_bye_from_callee);
  g_test_add_func ("/sip/ua/call/busy", test_call_busy);
  g_test_add_func ("/sip/ua/call/decline", test_call_decline);
  g_test_add_func ("/sip/ua/call/cancel", test_call_cancel);
  g_test_add_func ("/sip/ua/call/no-answer", test_call_no_answer);
  g_test_add_func ("/sip/ua/call/unreachable", test_call_unreachable);
  g_test_add_func ("/sip/ua/call/loss", test_call_loss);
  g_test_add_func ("/sip/ua/call/no-ack", test_call_no_ack);
  g_test_add_func ("/sip/ua/call/hangup-before-ack", test_call_hangup_before_ack);
  g_test_add_func ("/sip/ua/call/reliable", test_call_reliable);
  g_test_add_func ("/sip/ua/call/connection-closed", test_call_connection_closed);
  g_test_add_func ("/sip/ua/call/not-found", test_call_not_found);
  g_test_add_func ("/sip/ua/call/not-acceptable", test_call_not_acceptable);
  g_test_add_func ("/sip/ua/call/offerless", test_offerless_invite);
  g_test_add_func ("/sip/ua/b2bua", test_b2bua);
  g_test_add_func ("/sip/ua/via-transport", test_via_transport);
  g_test_add_func ("/sip/ua/hold/resume", test_hold_resume);
  g_test_add_func ("/sip/ua/hold/glare", test_hold_glare);
  g_test_add_func ("/sip/ua/message", test_message);
  g_test_add_func ("/sip/ua/options", test_options);
  g_test_add_func ("/sip/ua/fork/second-answers", test_fork_second_answers);
  g_test_add_func ("/sip/ua/fork/cancel-waits-for-provisional",
                   test_fork_cancel_waits_for_provisional);
  g_test_add_func ("/sip/ua/fork/late-200", test_fork_late_200);
  g_test_add_func ("/sip/ua/fork/busy-and-busy", test_fork_busy_and_answer);
  g_test_add_func ("/sip/ua/fork/decline-ends", test_fork_decline_ends);
  return g_test_run ();
}
