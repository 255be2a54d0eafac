/* test-sdp.c: session descriptions and the offer/answer model (RFC 3264)
 * with ICE (RFC 8839) and DTLS-SRTP (RFC 5763) attributes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sdp.h"

#include <string.h>

#define FP                                                                                        \
  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:" \
  "89"

static ChorusSdpSession *
local_with_ice (void)
{
  ChorusSdpSession *s =
      chorus_sdp_session_new_local ("192.0.2.10", 9, "uFrAg", "pAsSwOrD0123456789abcd", FP);
  g_ptr_array_add (s->candidates, chorus_sdp_candidate_parse (
                                      "1 1 UDP 2130706431 192.0.2.10 50000 typ host", NULL));
  g_ptr_array_add (s->candidates,
                   chorus_sdp_candidate_parse ("2 1 UDP 1694498815 203.0.113.5 61000 typ srflx "
                                               "raddr 192.0.2.10 rport 50000",
                                               NULL));
  g_ptr_array_add (s->candidates,
                   chorus_sdp_candidate_parse ("3 1 TCP 1019216383 192.0.2.10 9 typ host tcptype "
                                               "active",
                                               NULL));
  s->ice_trickle = TRUE;
  s->end_of_candidates = TRUE;
  return s;
}

static ChorusSdpSession *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  ChorusSdpSession *s = chorus_sdp_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

static void
test_round_trip (void)
{
  g_autoptr (ChorusSdpSession) s = local_with_ice ();
  g_autofree char *text = chorus_sdp_to_string (s);
  g_assert_nonnull (text);
  /* the lines the RFCs ask for */
  const char *lines[] = { "m=audio 9 UDP/TLS/RTP/SAVP 111 0 8 110 101\r\n",
                          "a=rtpmap:111 opus/48000/2\r\n",
                          "a=fmtp:111 minptime=10;useinbandfec=1\r\n",
                          "a=rtpmap:0 PCMU/8000\r\n",
                          "a=rtpmap:101 telephone-event/8000\r\n",
                          "a=fmtp:101 0-16\r\n",
                          "a=ice-options:trickle\r\n",
                          "a=ice-ufrag:uFrAg\r\n",
                          "a=ice-pwd:pAsSwOrD0123456789abcd\r\n",
                          "a=candidate:2 1 UDP 1694498815 203.0.113.5 61000 typ srflx raddr "
                          "192.0.2.10 rport 50000\r\n",
                          "a=end-of-candidates\r\n",
                          "a=fingerprint:sha-256 " FP "\r\n",
                          "a=setup:actpass\r\n",
                          "a=rtcp-mux\r\n",
                          "a=sendrecv\r\n",
                          "c=IN IP4 192.0.2.10\r\n",
                          NULL };
  for (guint i = 0; lines[i]; i++)
    if (strstr (text, lines[i]) == NULL)
      g_error ("missing \"%s\" in\n%s", lines[i], text);

  g_autoptr (ChorusSdpSession) back = parse_ok (text);
  g_assert_cmpuint (back->session_id, ==, s->session_id);
  g_assert_cmpuint (back->session_version, ==, 1);
  g_assert_cmpstr (back->address, ==, "192.0.2.10");
  g_assert_cmpstr (back->proto, ==, "UDP/TLS/RTP/SAVP");
  g_assert_cmpuint (back->codecs->len, ==, 5);
  ChorusSdpCodec *opus = g_ptr_array_index (back->codecs, 0);
  g_assert_cmpstr (opus->name, ==, "opus");
  g_assert_cmpuint (opus->clock_rate, ==, 48000);
  g_assert_cmpuint (opus->channels, ==, 2);
  g_assert_cmpstr (opus->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpstr (back->ice_ufrag, ==, "uFrAg");
  g_assert_cmpstr (back->ice_pwd, ==, "pAsSwOrD0123456789abcd");
  g_assert_true (back->ice_trickle);
  g_assert_true (back->end_of_candidates);
  g_assert_cmpuint (back->candidates->len, ==, 3);
  ChorusSdpCandidate *srflx = g_ptr_array_index (back->candidates, 1);
  g_assert_cmpstr (srflx->type, ==, "srflx");
  g_assert_cmpstr (srflx->raddr, ==, "192.0.2.10");
  g_assert_cmpuint (srflx->rport, ==, 50000);
  g_assert_cmpuint (srflx->priority, ==, 1694498815);
  ChorusSdpCandidate *tcp = g_ptr_array_index (back->candidates, 2);
  g_assert_cmpstr (tcp->extensions, ==, "tcptype active");
  g_assert_cmpstr (back->fingerprint_hash, ==, "sha-256");
  g_assert_cmpstr (back->fingerprint, ==, FP);
  g_assert_cmpint (back->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_assert_true (back->rtcp_mux);
  g_assert_cmpint (back->direction, ==, CHORUS_SDP_SENDRECV);
  /* writing what was read gives the same text */
  g_autofree char *again = chorus_sdp_to_string (back);
  g_assert_cmpstr (again, ==, text);
}

static const char *
offer_text (const char *m_line, const char *extra)
{
  static char buf[2048];
  g_snprintf (buf, sizeof buf,
              "v=0\r\no=- 42 7 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"
              "%s\r\n%s",
              m_line, extra);
  return buf;
}

static void
test_answer_codec (void)
{
  g_autoptr (ChorusSdpSession) local = local_with_ice ();
  /* the offerer's order decides: PCMA is its first we support */
  g_autoptr (ChorusSdpSession) offer = parse_ok (offer_text (
      "m=audio 4000 UDP/TLS/RTP/SAVP 18 8 96 0 97",
      "a=rtpmap:18 G729/8000\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/8000\r\n"
      "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=rtcp-mux\r\n"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, local, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (answer->codecs->len, ==, 2);
  const ChorusSdpCodec *sel = chorus_sdp_selected_codec (answer);
  g_assert_cmpstr (sel->name, ==, "PCMA");
  g_assert_cmpuint (sel->payload_type, ==, 8);
  /* telephone-event at 8000 Hz with the offer's payload type (§6.1) */
  ChorusSdpCodec *te = g_ptr_array_index (answer->codecs, 1);
  g_assert_cmpstr (te->name, ==, "telephone-event");
  g_assert_cmpuint (te->payload_type, ==, 97);
  g_assert_cmpint (answer->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_true (answer->rtcp_mux);
  g_assert_false (answer->ice_trickle); /* not offered */
  g_assert_cmpstr (answer->fingerprint, ==, FP);
  g_assert_true (chorus_sdp_check_answer (offer, answer, NULL));

  /* Opus first, with the offer's payload type and our fmtp (RFC 7587) */
  g_autoptr (ChorusSdpSession) offer2 = parse_ok (
      offer_text ("m=audio 4000 UDP/TLS/RTP/SAVP 96 0",
                  "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1\r\na=fingerprint:sha-256 " FP
                  "\r\na=setup:passive\r\na=ice-options:trickle\r\n"));
  g_autoptr (ChorusSdpSession) answer2 = chorus_sdp_answer (offer2, local, NULL);
  sel = chorus_sdp_selected_codec (answer2);
  g_assert_cmpstr (sel->name, ==, "opus");
  g_assert_cmpuint (sel->payload_type, ==, 96);
  g_assert_cmpstr (sel->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpuint (answer2->codecs->len, ==, 1); /* no telephone-event offered */
  g_assert_cmpint (answer2->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_true (answer2->ice_trickle);
  g_assert_false (answer2->rtcp_mux);
}

static void
test_not_acceptable (void)
{
  g_autoptr (ChorusSdpSession) local = local_with_ice ();
  const char *fp = "a=fingerprint:sha-256 " FP "\r\n";
  struct
  {
    const char *m, *extra;
  } cases[] = {
    /* no codec in common (telephone-event alone is not audio) */
    { "m=audio 4000 UDP/TLS/RTP/SAVP 18 101", "a=rtpmap:101 telephone-event/8000\r\n" },
    /* the stream refused */
    { "m=audio 0 UDP/TLS/RTP/SAVP 0", "" },
    /* plain RTP when we speak DTLS-SRTP only */
    { "m=audio 4000 RTP/AVP 0", "" },
    /* DTLS-SRTP without a fingerprint (RFC 5763 §5) */
    { "m=audio 4000 UDP/TLS/RTP/SAVP 0", "" },
    /* opus in mono is not the opus/48000/2 of RFC 7587 */
    { "m=audio 4000 UDP/TLS/RTP/SAVP 96", "a=rtpmap:96 opus/48000\r\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra = g_strconcat (cases[i].extra, i == 3 ? "" : fp, NULL);
      g_autoptr (ChorusSdpSession) offer = parse_ok (offer_text (cases[i].m, extra));
      g_autoptr (GError) error = NULL;
      g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, local, &error);
      g_assert_null (answer);
      g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
    }
  /* no audio m-line at all */
  g_autoptr (GError) error = NULL;
  const char *video = offer_text ("m=video 4000 RTP/AVP 31", "");
  g_assert_null (chorus_sdp_parse (video, strlen (video), &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
}

static void
test_plain_rtp_and_other_media (void)
{
  /* a phone without DTLS (the adapter's case), with video we refuse */
  g_autoptr (ChorusSdpSession) local =
      chorus_sdp_session_new_local ("192.0.2.10", 40000, NULL, NULL, NULL);
  g_free (local->proto);
  local->proto = g_strdup ("RTP/AVP");
  local->setup = CHORUS_SDP_SETUP_NONE;
  g_autoptr (ChorusSdpSession) offer = parse_ok (
      offer_text ("m=video 3227 RTP/AVP 31\r\nm=audio 49217 RTP/AVP 0 12", "a=rtpmap:31 LPC\r\n"));
  g_assert_cmpuint (offer->audio_index, ==, 1);
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, local, NULL);
  g_assert_nonnull (answer);
  g_assert_cmpstr (chorus_sdp_selected_codec (answer)->name, ==, "PCMU");
  g_assert_null (answer->fingerprint);
  g_autofree char *text = chorus_sdp_to_string (answer);
  /* RFC 3264 §6: as many m-lines as the offer, in its order, others at 0 */
  const char *video = strstr (text, "m=video 0 RTP/AVP 31\r\n");
  const char *audio = strstr (text, "m=audio 40000 RTP/AVP 0\r\n");
  g_assert_nonnull (video);
  g_assert_nonnull (audio);
  g_assert_true (video < audio);
  g_assert_null (strstr (text, "a=setup"));
}

static void
test_directions (void)
{
  /* RFC 3264 §6.1 */
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_SENDONLY, CHORUS_SDP_SENDRECV), ==,
                   CHORUS_SDP_RECVONLY);
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_SENDONLY, CHORUS_SDP_SENDONLY), ==,
                   CHORUS_SDP_INACTIVE);
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_RECVONLY, CHORUS_SDP_SENDRECV), ==,
                   CHORUS_SDP_SENDONLY);
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_RECVONLY, CHORUS_SDP_RECVONLY), ==,
                   CHORUS_SDP_INACTIVE);
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_INACTIVE, CHORUS_SDP_SENDRECV), ==,
                   CHORUS_SDP_INACTIVE);
  g_assert_cmpint (chorus_sdp_direction_answer (CHORUS_SDP_SENDRECV, CHORUS_SDP_SENDONLY), ==,
                   CHORUS_SDP_SENDONLY);
  /* §8.4 */
  g_assert_cmpint (chorus_sdp_direction_hold (CHORUS_SDP_SENDRECV), ==, CHORUS_SDP_SENDONLY);
  g_assert_cmpint (chorus_sdp_direction_hold (CHORUS_SDP_RECVONLY), ==, CHORUS_SDP_INACTIVE);
  g_assert_cmpint (chorus_sdp_direction_resume (CHORUS_SDP_SENDONLY), ==, CHORUS_SDP_SENDRECV);
  g_assert_cmpint (chorus_sdp_direction_resume (CHORUS_SDP_INACTIVE), ==, CHORUS_SDP_RECVONLY);

  /* the session-level attribute, overridden by the media level */
  g_autoptr (ChorusSdpSession) s =
      parse_ok ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                "a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n");
  g_assert_cmpint (s->direction, ==, CHORUS_SDP_SENDONLY);
  g_autoptr (ChorusSdpSession) t =
      parse_ok ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
                "a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n");
  g_assert_cmpint (t->direction, ==, CHORUS_SDP_INACTIVE);
}

static void
test_setup_roles (void)
{
  g_autoptr (ChorusSdpSession) local = local_with_ice ();
  struct
  {
    const char *offered;
    ChorusSdpSetup answered;
  } cases[] = {
    /* RFC 5763 §5; RFC 4145 §4: no attribute means active */
    { "a=setup:actpass\r\n", CHORUS_SDP_SETUP_ACTIVE },
    { "a=setup:active\r\n", CHORUS_SDP_SETUP_PASSIVE },
    { "a=setup:passive\r\n", CHORUS_SDP_SETUP_ACTIVE },
    { "", CHORUS_SDP_SETUP_PASSIVE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra =
          g_strconcat ("a=fingerprint:sha-256 " FP "\r\n", cases[i].offered, NULL);
      g_autoptr (ChorusSdpSession) offer =
          parse_ok (offer_text ("m=audio 1 UDP/TLS/RTP/SAVP 0", extra));
      g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, local, NULL);
      g_assert_cmpint (answer->setup, ==, cases[i].answered);
    }
}

static void
test_check_answer (void)
{
  g_autoptr (ChorusSdpSession) offer = local_with_ice ();
  g_autoptr (ChorusSdpSession) peer = local_with_ice ();
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (offer, peer, NULL);
  g_assert_true (chorus_sdp_check_answer (offer, answer, NULL));
  /* a codec the offer did not list */
  g_autoptr (ChorusSdpSession) wrong = chorus_sdp_session_copy (answer);
  ChorusSdpCodec *c = g_ptr_array_index (wrong->codecs, 0);
  c->payload_type = 9;
  g_free (c->name);
  c->name = g_strdup ("G722");
  c->channels = 1;
  c->clock_rate = 8000;
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sdp_check_answer (offer, wrong, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  /* a sendonly offer answered sendrecv */
  offer->direction = CHORUS_SDP_SENDONLY;
  g_assert_false (chorus_sdp_check_answer (offer, answer, NULL));
  /* DTLS answer still saying actpass */
  offer->direction = CHORUS_SDP_SENDRECV;
  answer->setup = CHORUS_SDP_SETUP_ACTPASS;
  g_assert_false (chorus_sdp_check_answer (offer, answer, NULL));
}

static void
test_parse_errors (void)
{
  const char *bad[] = {
    "",
    "garbage",
    "v=0\r\n",
    /* malformed fingerprint */
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4 UDP/TLS/RTP/SAVP 0\r\n"
    "a=fingerprint:sha-256 XYZ\r\n",
    /* malformed candidate */
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4 UDP/TLS/RTP/SAVP 0\r\n"
    "a=candidate:1 1 UDP notanumber 1.2.3.4 5 typ host\r\n",
    /* a=setup value RFC 4145 has but Chorus does not use */
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4 UDP/TLS/RTP/SAVP 0\r\n"
    "a=setup:holdconn\r\n",
    /* a port out of range, a payload type out of range */
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4 RTP/AVP 300\r\n",
    /* session id not a number */
    "v=0\r\no=- abc 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4 RTP/AVP 0\r\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ChorusSdpSession) s = chorus_sdp_parse (bad[i], strlen (bad[i]), &error);
      g_assert_null (s);
      g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE);
    }
  /* RFC 8839 §5.1: a candidate and what it may carry */
  g_autoptr (GError) error = NULL;
  g_assert_null (chorus_sdp_candidate_parse ("1 1 UDP 1 1.2.3.4 5 typ", &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE);
  ChorusSdpCandidate *c = chorus_sdp_candidate_parse (
      "a+/1 2 udp 7 ::1 5 typ relay raddr ::2 rport 9 generation 0", NULL);
  g_assert_nonnull (c);
  g_assert_cmpuint (c->component, ==, 2);
  g_assert_cmpstr (c->extensions, ==, "generation 0");
  g_autofree char *text = chorus_sdp_candidate_to_string (c);
  g_assert_cmpstr (text, ==, "a+/1 2 udp 7 ::1 5 typ relay raddr ::2 rport 9 generation 0");
  chorus_sdp_candidate_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/sdp/round-trip", test_round_trip);
  g_test_add_func ("/sip/sdp/answer-codec", test_answer_codec);
  g_test_add_func ("/sip/sdp/not-acceptable", test_not_acceptable);
  g_test_add_func ("/sip/sdp/plain-rtp-other-media", test_plain_rtp_and_other_media);
  g_test_add_func ("/sip/sdp/directions", test_directions);
  g_test_add_func ("/sip/sdp/setup-roles", test_setup_roles);
  g_test_add_func ("/sip/sdp/check-answer", test_check_answer);
  g_test_add_func ("/sip/sdp/parse-errors", test_parse_errors);
  return g_test_run ();
}
