/* test-call-media-sdp.c: two CallMedia instances on 127.0.0.1 joined by
 * session descriptions (call-media-sdp.h), the way SIP carries them: A's
 * offer from call_media_sdp_local(), written with chorus_sdp_to_string()
 * and parsed back with chorus_sdp_parse(), B's answer from
 * chorus_sdp_answer(), each side applying the pair with
 * call_media_sdp_apply().  A plays 440 Hz, B 1000 Hz, each records what it
 * hears.  Then a restricted answerer (PCMU only), hold and resume by
 * re-INVITE, and what the SDP layer must refuse.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "call-media-fixture.h"
#include "call-media-sdp.h"

#define FREQ_A 440.0
#define FREQ_B 1000.0

/* What SIP does with a description: text in a message body, parsed on the
 * other side. */
static ChorusSdpSession *
over_the_wire (const ChorusSdpSession *s)
{
  g_autofree char *text = chorus_sdp_to_string (s);
  g_assert_nonnull (text);
  g_autoptr (GError) error = NULL;
  ChorusSdpSession *parsed = chorus_sdp_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  return parsed;
}

/* One offer/answer exchange from A to B, applied on both sides. */
typedef struct
{
  ChorusSdpSession *offer;       /* A's, as A made it */
  ChorusSdpSession *offer_wire;  /* as B parsed it */
  ChorusSdpSession *caps;        /* B's capabilities */
  ChorusSdpSession *answer;      /* B's, as B made it */
  ChorusSdpSession *answer_wire; /* as A parsed it */
  char *offer_text;
} Exchange;

static void
exchange_clear (Exchange *x)
{
  g_clear_pointer (&x->offer, chorus_sdp_session_free);
  g_clear_pointer (&x->offer_wire, chorus_sdp_session_free);
  g_clear_pointer (&x->caps, chorus_sdp_session_free);
  g_clear_pointer (&x->answer, chorus_sdp_session_free);
  g_clear_pointer (&x->answer_wire, chorus_sdp_session_free);
  g_clear_pointer (&x->offer_text, g_free);
}

/* A offers (from @a_template, or the defaults), B answers with its
 * capabilities (from @b_template, or the defaults); both apply the pair. */
static void
exchange (Call *call, const ChorusSdpSession *a_template, const ChorusSdpSession *b_template,
          Exchange *x)
{
  memset (x, 0, sizeof *x);
  g_autoptr (GError) error = NULL;
  x->offer = call_media_sdp_local (call->a.media, a_template, &error);
  g_assert_no_error (error);
  x->offer_text = chorus_sdp_to_string (x->offer);
  g_test_message ("A's offer:\n%s", x->offer_text);
  x->offer_wire = over_the_wire (x->offer);

  x->caps = call_media_sdp_local (call->b.media, b_template, &error);
  g_assert_no_error (error);
  x->answer = chorus_sdp_answer (x->offer_wire, x->caps, &error);
  g_assert_no_error (error);
  x->answer_wire = over_the_wire (x->answer);

  /* B: its answer goes out, the media starts checking */
  g_assert_true (call_media_sdp_apply (call->b.media, x->answer, x->offer_wire, FALSE, &error));
  g_assert_no_error (error);
  /* A: the answer came */
  g_assert_true (chorus_sdp_check_answer (x->offer, x->answer_wire, &error));
  g_assert_no_error (error);
  g_assert_true (call_media_sdp_apply (call->a.media, x->offer, x->answer_wire, TRUE, &error));
  g_assert_no_error (error);
}

static void
assert_config (CallMedia *media, CallMediaCodec codec, guint pt, guint event_pt,
               CallMediaDirection direction)
{
  CallMediaCodec c;
  guint p, e;
  CallMediaDirection d;
  g_object_get (media, "codec", &c, "payload-type", &p, "telephone-event-payload-type", &e,
                "direction", &d, NULL);
  g_assert_cmpint (c, ==, codec);
  if (codec == CALL_MEDIA_CODEC_OPUS)
    g_assert_cmpuint (p, ==, pt);
  g_assert_cmpuint (e, ==, event_pt);
  g_assert_cmpint (d, ==, direction);
}

static guint64
received (Peer *peer)
{
  CallMediaStats stats;
  g_assert_true (call_media_get_stats (peer->media, &stats));
  return stats.packets_received;
}

/* ---- the payload types A puts on the wire ---- */

typedef struct
{
  gint pt[128];
} PtCount;

static void
count_pt (CallMediaTapPoint point, const guint8 *data, gsize len, gpointer user_data)
{
  PtCount *count = user_data;
  /* RTP (RFC 3550 §5.1), not RTCP (RFC 5761 §4: 192-223 in the second
   * byte) */
  if (point != CALL_MEDIA_TAP_RTP_OUT || len < 12 || (data[1] >= 192 && data[1] <= 223))
    return;
  g_atomic_int_inc (&count->pt[data[1] & 0x7f]);
}

/* ---- the tests ---- */

static void
test_roles (void)
{
  gboolean controlling = FALSE;
  CallMediaDtlsRole role = CALL_MEDIA_DTLS_CLIENT;
  /* RFC 8445 §6.1.1; RFC 5763 §5: actpass offered, active answered */
  call_media_sdp_roles (TRUE, &controlling, &role);
  g_assert_true (controlling);
  g_assert_cmpint (role, ==, CALL_MEDIA_DTLS_SERVER);
  call_media_sdp_roles (FALSE, &controlling, &role);
  g_assert_false (controlling);
  g_assert_cmpint (role, ==, CALL_MEDIA_DTLS_CLIENT);
  /* the fixture makes its peers so */
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  g_object_get (call.a.media, "controlling", &controlling, "dtls-role", &role, NULL);
  g_assert_true (controlling);
  g_assert_cmpint (role, ==, CALL_MEDIA_DTLS_SERVER);
  call_clear (&call);
}

static void
test_opus_call (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start_gathered (&call);
  Exchange x;
  exchange (&call, NULL, NULL, &x);

  /* A's offer: what its media has */
  g_autofree char *ufrag = NULL, *pwd = NULL;
  call_media_get_local_credentials (call.a.media, &ufrag, &pwd);
  g_assert_cmpstr (x.offer_wire->ice_ufrag, ==, ufrag);
  g_assert_cmpstr (x.offer_wire->ice_pwd, ==, pwd);
  g_autofree char *fingerprint =
      g_strdup_printf ("%s %s", x.offer_wire->fingerprint_hash, x.offer_wire->fingerprint);
  g_assert_cmpstr (fingerprint, ==, call_media_get_local_fingerprint (call.a.media));
  g_auto (GStrv) lines = call_media_get_local_candidates (call.a.media);
  g_assert_cmpuint (x.offer_wire->candidates->len, ==, g_strv_length (lines));
  g_assert_cmpuint (x.offer_wire->candidates->len, >, 0);
  /* c= and the m= port: the default candidate, here the best host one of
   * component 1 (RFC 8839 §4.2.1.2) */
  const ChorusSdpCandidate *best = NULL;
  for (guint i = 0; i < x.offer_wire->candidates->len; i++)
    {
      const ChorusSdpCandidate *c = g_ptr_array_index (x.offer_wire->candidates, i);
      g_assert_cmpstr (c->address, ==, "127.0.0.1");
      g_assert_cmpstr (c->type, ==, "host");
      if (c->component == 1 && (best == NULL || c->priority > best->priority))
        best = c;
    }
  g_assert_nonnull (best);
  g_assert_cmpstr (x.offer_wire->address, ==, "127.0.0.1");
  g_assert_cmpuint (x.offer_wire->port, ==, best->port);
  g_assert_true (x.offer_wire->end_of_candidates);
  g_assert_nonnull (strstr (x.offer_text, "a=end-of-candidates"));
  g_assert_nonnull (strstr (x.offer_text, "a=setup:actpass"));
  g_assert_nonnull (strstr (x.offer_text, "a=fingerprint:sha-256 "));
  g_assert_cmpint (x.offer_wire->setup, ==, CHORUS_SDP_SETUP_ACTPASS);
  g_assert_true (x.offer_wire->rtcp_mux);
  g_assert_cmpint (x.offer_wire->direction, ==, CHORUS_SDP_SENDRECV);
  g_assert_cmpstr (x.offer_wire->proto, ==, "UDP/TLS/RTP/SAVP");
  g_assert_cmpstr (chorus_sdp_selected_codec (x.offer_wire)->name, ==, "opus");
  /* B's answer: active (RFC 5763 §5), Opus, telephone-event at 48 kHz */
  g_assert_cmpint (x.answer_wire->setup, ==, CHORUS_SDP_SETUP_ACTIVE);
  g_assert_cmpuint (x.answer_wire->port, >, 0);

  /* what each media was told */
  assert_config (call.a.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDRECV);
  assert_config (call.b.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDRECV);

  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 150, 20000), >=, 150);
  g_assert_cmpuint (call_wait_received (&call.b, 150, 20000), >=, 150);
  g_assert_null (call.a.failed);
  g_assert_null (call.b.failed);
  call_stop (&call);
  recording_assert_tone (call.a.wav, FREQ_B, 0.5);
  recording_assert_tone (call.b.wav, FREQ_A, 0.5);
  exchange_clear (&x);
  call_clear (&call);
}

static void
test_pcmu_answerer (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  PtCount sent = { 0 };
  call_media_set_packet_tap (call.a.media, count_pt, &sent);
  call_start_gathered (&call);
  /* B has PCMU only (and the telephone-event of 8 kHz) */
  g_autoptr (ChorusSdpSession) b_template =
      chorus_sdp_session_new_local (NULL, 0, NULL, NULL, NULL);
  g_ptr_array_set_size (b_template->codecs, 0);
  g_ptr_array_add (b_template->codecs, chorus_sdp_codec_new (0, "PCMU", 8000, 1, NULL));
  g_ptr_array_add (b_template->codecs,
                   chorus_sdp_codec_new (101, "telephone-event", 8000, 1, "0-16"));
  Exchange x;
  exchange (&call, NULL, b_template, &x);
  /* A offered Opus first; B answers with what it has */
  g_assert_cmpuint (x.caps->codecs->len, ==, 2);
  g_assert_cmpstr (chorus_sdp_selected_codec (x.answer_wire)->name, ==, "PCMU");
  assert_config (call.a.media, CALL_MEDIA_CODEC_PCMU, 0, 101, CALL_MEDIA_DIRECTION_SENDRECV);
  assert_config (call.b.media, CALL_MEDIA_CODEC_PCMU, 0, 101, CALL_MEDIA_DIRECTION_SENDRECV);

  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 120, 20000), >=, 120);
  g_assert_cmpuint (call_wait_received (&call.b, 120, 20000), >=, 120);
  call_media_set_packet_tap (call.a.media, NULL, NULL);
  /* A sends payload type 0 (RFC 3551 §6), never Opus' 111 */
  g_assert_cmpint (g_atomic_int_get (&sent.pt[0]), >=, 120);
  g_assert_cmpint (g_atomic_int_get (&sent.pt[111]), ==, 0);
  call_stop (&call);
  recording_assert_tone (call.a.wav, FREQ_B, 0.4);
  recording_assert_tone (call.b.wav, FREQ_A, 0.4);
  exchange_clear (&x);
  call_clear (&call);
}

/* A re-offers @direction (RFC 3264 §8: the version one up), B answers with
 * its capabilities of @previous; both apply the new pair. */
static void
reoffer (Call *call, const Exchange *previous, ChorusSdpDirection direction, Exchange *x)
{
  g_autoptr (ChorusSdpSession) a_template = chorus_sdp_session_copy (previous->offer);
  a_template->session_version++;
  a_template->direction = direction;
  g_autoptr (ChorusSdpSession) b_template = chorus_sdp_session_copy (previous->caps);
  b_template->session_version++;
  exchange (call, a_template, b_template, x);
  /* the same ICE session and certificate as before */
  g_assert_cmpstr (x->offer->ice_ufrag, ==, previous->offer->ice_ufrag);
  g_assert_cmpstr (x->offer->fingerprint, ==, previous->offer->fingerprint);
  g_assert_cmpuint (x->offer->session_id, ==, previous->offer->session_id);
  g_assert_cmpuint (x->offer_wire->session_version, ==, previous->offer->session_version + 1);
}

static void
test_hold_resume (void)
{
  Call call;
  call_init (&call, FREQ_A, FREQ_B);
  call_start_gathered (&call);
  Exchange first;
  exchange (&call, NULL, NULL, &first);
  g_assert_true (call_wait_connected (&call, 10000));
  g_assert_cmpuint (call_wait_received (&call.a, 50, 20000), >=, 50);
  g_autofree char *pair = NULL;
  gint64 setup_time = 0;
  g_object_get (call.a.media, "selected-pair", &pair, "setup-time", &setup_time, NULL);
  g_assert_nonnull (pair);

  /* hold: A offers sendonly (RFC 3264 §8.4), B answers recvonly */
  Exchange hold;
  reoffer (&call, &first, chorus_sdp_direction_hold (first.offer->direction), &hold);
  g_assert_cmpint (hold.offer_wire->direction, ==, CHORUS_SDP_SENDONLY);
  g_assert_cmpint (hold.answer_wire->direction, ==, CHORUS_SDP_RECVONLY);
  assert_config (call.a.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDONLY);
  assert_config (call.b.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_RECVONLY);
  /* ICE and DTLS untouched */
  g_assert_cmpint (call_media_get_state (call.a.media), ==, CALL_MEDIA_STATE_CONNECTED);
  g_assert_cmpint (call_media_get_state (call.b.media), ==, CALL_MEDIA_STATE_CONNECTED);
  g_autofree char *pair_after = NULL;
  gint64 setup_time_after = 0;
  g_object_get (call.a.media, "selected-pair", &pair_after, "setup-time", &setup_time_after, NULL);
  g_assert_cmpstr (pair_after, ==, pair);
  g_assert_cmpint (setup_time_after, ==, setup_time);

  /* B stops sending, A goes on: while B receives 100 more packets (audio
   * time), A receives none (what was in flight when the directions
   * changed has arrived after a moment) */
  call_run (200);
  guint64 a_held = received (&call.a);
  guint64 b_held = received (&call.b);
  g_assert_cmpuint (call_wait_received (&call.b, b_held + 100, 20000), >=, b_held + 100);
  g_assert_cmpuint (received (&call.a), ==, a_held);

  /* a pair that would change the codec of the connected call is refused,
   * and changes nothing */
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusSdpSession) pcmu = chorus_sdp_session_copy (hold.answer_wire);
  g_ptr_array_set_size (pcmu->codecs, 0);
  g_ptr_array_add (pcmu->codecs, chorus_sdp_codec_new (0, "PCMU", 8000, 1, NULL));
  pcmu->direction = CHORUS_SDP_SENDRECV;
  g_autoptr (ChorusSdpSession) offer_sendrecv = chorus_sdp_session_copy (hold.offer);
  offer_sendrecv->direction = CHORUS_SDP_SENDRECV;
  g_assert_false (call_media_sdp_apply (call.a.media, offer_sendrecv, pcmu, TRUE, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  assert_config (call.a.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDONLY);
  /* so is an ICE restart (new credentials) */
  g_autoptr (ChorusSdpSession) restart = chorus_sdp_session_copy (hold.answer_wire);
  g_free (restart->ice_ufrag);
  restart->ice_ufrag = g_strdup ("wxyz");
  restart->direction = CHORUS_SDP_RECVONLY;
  g_assert_false (call_media_sdp_apply (call.a.media, offer_sendrecv, restart, TRUE, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  g_assert_nonnull (strstr (error->message, "ICE restart"));
  g_clear_error (&error);
  assert_config (call.a.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDONLY);

  /* resume: A offers sendrecv again, both send */
  Exchange resume;
  reoffer (&call, &hold, chorus_sdp_direction_resume (hold.offer->direction), &resume);
  assert_config (call.a.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDRECV);
  assert_config (call.b.media, CALL_MEDIA_CODEC_OPUS, 111, 110, CALL_MEDIA_DIRECTION_SENDRECV);
  g_assert_cmpuint (call_wait_received (&call.a, a_held + 100, 20000), >=, a_held + 100);
  g_assert_null (call.a.failed);
  g_assert_null (call.b.failed);
  call_stop (&call);
  recording_assert_tone (call.b.wav, FREQ_A, 0.5);
  recording_assert_tone (call.a.wav, FREQ_B, 0.3);
  exchange_clear (&resume);
  exchange_clear (&hold);
  exchange_clear (&first);
  call_clear (&call);
}

/* ---- refusals, without a network ---- */

/* A description as a DTLS-SRTP peer with ICE would send, answering. */
static ChorusSdpSession *
peer_answer (const ChorusSdpSession *offer)
{
  g_autoptr (CallMediaCertificate) cert = call_media_certificate_new (NULL);
  g_assert_nonnull (cert);
  const char *fp = call_media_certificate_get_fingerprint (cert);
  g_assert_true (g_str_has_prefix (fp, "sha-256 "));
  g_autoptr (ChorusSdpSession) caps = chorus_sdp_session_new_local (
      "127.0.0.1", 9, "abcd", "0123456789abcdef012345", fp + strlen ("sha-256 "));
  g_ptr_array_add (caps->candidates,
                   chorus_sdp_candidate_parse ("1 1 UDP 2130706431 127.0.0.1 9 typ host", NULL));
  g_autoptr (GError) error = NULL;
  ChorusSdpSession *answer = chorus_sdp_answer (offer, caps, &error);
  g_assert_no_error (error);
  return answer;
}

static void
assert_refused (GError **error, const char *mentions)
{
  g_assert_error (*error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  g_test_message ("refused: %s", (*error)->message);
  if (mentions != NULL)
    g_assert_nonnull (strstr ((*error)->message, mentions));
  g_clear_error (error);
}

static void
test_refusals (void)
{
  g_autoptr (GError) error = NULL;
  gboolean controlling;
  CallMediaDtlsRole role;
  call_media_sdp_roles (TRUE, &controlling, &role);
  g_autoptr (CallMedia) m = call_media_new (controlling, role);
  /* not started: no description of ours yet, none of theirs taken */
  g_assert_null (call_media_sdp_local (m, NULL, &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (CallMediaCertificate) cert = call_media_certificate_new (NULL);
  g_autoptr (ChorusSdpSession) unstarted_offer = chorus_sdp_session_new_local (
      "127.0.0.1", 9, "efgh", "0123456789abcdef012345",
      call_media_certificate_get_fingerprint (cert) + strlen ("sha-256 "));
  g_autoptr (ChorusSdpSession) unstarted_answer = peer_answer (unstarted_offer);
  g_assert_false (call_media_sdp_apply (m, unstarted_offer, unstarted_answer, TRUE, &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  CallMediaCodec codec;
  g_object_get (m, "codec", &codec, NULL);
  g_assert_cmpint (codec, ==, CALL_MEDIA_CODEC_OPUS);
  g_object_set (m, "local-addresses", (const char *[]){ "127.0.0.1", NULL }, NULL);
  g_assert_true (call_media_start (m, &error));
  g_assert_no_error (error);

  /* trickle ICE (RFC 8840): a description before ::gathered, whose
   * a=end-of-candidates the caller decides */
  g_autoptr (ChorusSdpSession) trickle = chorus_sdp_session_new_local (NULL, 0, NULL, NULL, NULL);
  trickle->ice_trickle = TRUE;
  trickle->end_of_candidates = FALSE;
  g_autoptr (ChorusSdpSession) early = call_media_sdp_local (m, trickle, &error);
  g_assert_no_error (error);
  g_assert_true (early->ice_trickle);
  g_assert_false (early->end_of_candidates);
  g_assert_nonnull (early->ice_ufrag);
  g_assert_nonnull (early->fingerprint);
  if (early->candidates->len == 0)
    {
      g_assert_cmpstr (early->address, ==, "0.0.0.0");
      g_assert_cmpuint (early->port, ==, 9);
    }
  else
    g_assert_cmpstr (early->address, ==, "127.0.0.1");

  /* our offer (its candidates do not matter here) */
  const char *our_fp = call_media_get_local_fingerprint (m);
  g_autoptr (ChorusSdpSession) offer = chorus_sdp_session_new_local (
      "127.0.0.1", 9, "efgh", "0123456789abcdef012345", our_fp + strlen ("sha-256 "));
  g_autoptr (ChorusSdpSession) good = peer_answer (offer);

  /* no fingerprint (RFC 5763 §5) */
  g_autoptr (ChorusSdpSession) no_fp = chorus_sdp_session_copy (good);
  g_clear_pointer (&no_fp->fingerprint, g_free);
  g_clear_pointer (&no_fp->fingerprint_hash, g_free);
  g_assert_false (call_media_sdp_apply_remote (m, no_fp, offer, &error));
  assert_refused (&error, "fingerprint");
  g_assert_false (call_media_sdp_apply (m, offer, no_fp, TRUE, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  g_clear_error (&error);

  /* a sha-1 fingerprint, as it comes in a message */
  g_autofree char *good_text = chorus_sdp_to_string (good);
  g_autoptr (GString) sha1_text = g_string_new (good_text);
  char *line = strstr (sha1_text->str, "a=fingerprint:sha-256 ");
  g_assert_nonnull (line);
  gsize at = line - sha1_text->str, end = strcspn (line, "\r\n");
  g_string_erase (sha1_text, at, end);
  g_string_insert (sha1_text, at,
                   "a=fingerprint:sha-1 "
                   "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
  g_autoptr (ChorusSdpSession) sha1 = chorus_sdp_parse (sha1_text->str, sha1_text->len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sha1->fingerprint_hash, ==, "sha-1");
  g_assert_false (call_media_sdp_check_remote (sha1, &error));
  assert_refused (&error, "sha-1");
  g_assert_false (call_media_sdp_apply (m, offer, sha1, TRUE, &error));
  assert_refused (&error, "sha-1");

  /* no ICE credentials */
  g_autoptr (ChorusSdpSession) no_ice = chorus_sdp_session_copy (good);
  g_clear_pointer (&no_ice->ice_pwd, g_free);
  g_assert_false (call_media_sdp_apply_remote (m, no_ice, NULL, &error));
  assert_refused (&error, "ice-pwd");

  /* credentials RFC 8839 §5.4 does not allow: malformed, not unusable */
  g_autoptr (ChorusSdpSession) short_ufrag = chorus_sdp_session_copy (good);
  g_free (short_ufrag->ice_ufrag);
  short_ufrag->ice_ufrag = g_strdup ("abc");
  g_assert_false (call_media_sdp_apply (m, offer, short_ufrag, TRUE, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_PARSE);
  g_clear_error (&error);

  /* plain RTP: the call's media always does DTLS-SRTP */
  g_autoptr (ChorusSdpSession) plain = chorus_sdp_session_copy (good);
  g_free (plain->proto);
  plain->proto = g_strdup ("RTP/AVP");
  g_assert_false (call_media_sdp_apply_remote (m, plain, NULL, &error));
  assert_refused (&error, "RTP/AVP");

  /* an answer with a=setup:passive to our actpass would make us, the
   * offerer (DTLS server), the client */
  g_autoptr (ChorusSdpSession) passive = chorus_sdp_session_copy (good);
  passive->setup = CHORUS_SDP_SETUP_PASSIVE;
  g_assert_true (chorus_sdp_check_answer (offer, passive, &error)); /* SDP allows it */
  g_assert_no_error (error);
  g_assert_false (call_media_sdp_check_dtls_role (m, offer, passive, &error));
  assert_refused (&error, "a=setup:passive");
  g_assert_false (call_media_sdp_configure (m, offer, passive, TRUE, &error));
  assert_refused (&error, "a=setup:passive");
  g_assert_false (call_media_sdp_apply_remote (m, passive, offer, &error));
  assert_refused (&error, "a=setup:passive");
  /* ... while the offer alone (actpass) decides nothing yet */
  g_assert_true (call_media_sdp_check_dtls_role (m, NULL, offer, &error));
  g_assert_no_error (error);

  /* a codec the media does not have */
  g_autoptr (ChorusSdpSession) g722_offer = chorus_sdp_session_copy (offer);
  g_ptr_array_insert (g722_offer->codecs, 0, chorus_sdp_codec_new (9, "G722", 8000, 1, NULL));
  g_autoptr (ChorusSdpSession) g722 = chorus_sdp_session_copy (good);
  g_ptr_array_set_size (g722->codecs, 0);
  g_ptr_array_add (g722->codecs, chorus_sdp_codec_new (9, "G722", 8000, 1, NULL));
  g_assert_false (call_media_sdp_configure (m, g722_offer, g722, TRUE, &error));
  assert_refused (&error, "G722");

  /* the ICE role of the first exchange: we offered, so we control */
  g_assert_false (call_media_sdp_configure (m, offer, good, FALSE, &error));
  g_assert_error (error, CHORUS_SDP_ERROR, CHORUS_SDP_ERROR_NOT_ACCEPTABLE);
  g_clear_error (&error);

  /* nothing was handed over: no remote credentials, no checks */
  g_assert_cmpint (call_media_get_state (m), ==, CALL_MEDIA_STATE_GATHERING);
  CallMediaDirection direction;
  g_object_get (m, "direction", &direction, NULL);
  g_assert_cmpint (direction, ==, CALL_MEDIA_DIRECTION_SENDRECV);

  /* the good answer is taken: the checks start */
  g_assert_true (call_media_sdp_apply (m, offer, good, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (call_media_get_state (m), ==, CALL_MEDIA_STATE_CHECKING);
  /* and the same again (a re-INVITE with nothing new) changes nothing */
  g_assert_true (call_media_sdp_apply (m, offer, good, TRUE, &error));
  g_assert_no_error (error);
  /* a new certificate would be a new DTLS association */
  g_autoptr (ChorusSdpSession) other_cert = peer_answer (offer);
  g_assert_false (call_media_sdp_apply_remote (m, other_cert, offer, &error));
  assert_refused (&error, "DTLS association");
  call_media_stop (m);
  /* over: nothing more */
  g_assert_false (call_media_sdp_apply (m, offer, good, TRUE, &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/call-media-sdp/roles", test_roles);
  g_test_add_func ("/call-media-sdp/refusals", test_refusals);
  g_test_add_func ("/call-media-sdp/opus-call", test_opus_call);
  g_test_add_func ("/call-media-sdp/pcmu-answerer", test_pcmu_answerer);
  g_test_add_func ("/call-media-sdp/hold-resume", test_hold_resume);
  return g_test_run ();
}
