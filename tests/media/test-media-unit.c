/* test-media-unit.c: the parts of media/ that need no network and no
 * audio: RFC 8839 candidate lines, RFC 8122 fingerprints, and DTLS-SRTP
 * between two MediaDtls endpoints joined in memory (RFC 5764 §4.2 key
 * halves, the fingerprint check of RFC 5763 §5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "call-media-certificate.h"
#include "call-media-error.h"
#include "media-candidate.h"
#include "media-dtls.h"
#include "media-pipeline-private.h"
#include "media-stats.h"

/* ---- candidates ---- */

static void
test_candidate_roundtrip (void)
{
  const char *line = "candidate:1 1 UDP 2015363327 127.0.0.1 40537 typ host";
  NiceCandidate *c = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (media_candidate_parse (line, &c, &error));
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpint (c->type, ==, NICE_CANDIDATE_TYPE_HOST);
  g_assert_cmpuint (c->component_id, ==, 1);
  g_assert_cmpuint (c->priority, ==, 2015363327u);
  g_assert_cmpuint (nice_address_get_port (&c->addr), ==, 40537);
  g_assert_cmpstr (c->foundation, ==, "1");
  g_autofree char *back = media_candidate_to_string (c);
  g_assert_cmpstr (back, ==, line);
  nice_candidate_free (c);

  /* "a=" prefix, CRLF, rel-addr, unknown extensions (RFC 8839 §5.1) */
  const char *srflx = "a=candidate:a+/Z9 1 udp 1694498815 2001:db8::1 50000 typ srflx raddr "
                      "10.0.0.2 rport 40000 generation 0 network-id 3\r\n";
  g_assert_true (media_candidate_parse (srflx, &c, &error));
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpint (c->type, ==, NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE);
  g_assert_cmpuint (nice_address_ip_version (&c->addr), ==, 6);
  g_assert_cmpuint (nice_address_get_port (&c->base_addr), ==, 40000);
  g_autofree char *srflx_back = media_candidate_to_string (c);
  g_assert_cmpstr (srflx_back, ==,
                   "candidate:a+/Z9 1 UDP 1694498815 2001:db8::1 50000 typ srflx raddr 10.0.0.2 "
                   "rport 40000");
  nice_candidate_free (c);
}

static void
test_candidate_skipped (void)
{
  /* well-formed but unusable here: skipped without an error */
  const char *lines[] = {
    "candidate:1 1 TCP 2105458943 127.0.0.1 9 typ host tcptype active",
    "candidate:1 1 UDP 2113937151 3c1a5a2e-5b1e-4b1a-9d0e-0e5f9ab1b1c1.local 5000 typ host",
    "candidate:1 1 UDP 2113937151 127.0.0.1 5000 typ tunnel",
  };
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      NiceCandidate *c = (NiceCandidate *) 0x1;
      g_autoptr (GError) error = NULL;
      g_assert_true (media_candidate_parse (lines[i], &c, &error));
      g_assert_no_error (error);
      g_assert_null (c);
    }
}

static void
test_candidate_invalid (void)
{
  const char *lines[] = {
    "",
    "candidate:",
    "foo:1 1 UDP 1 127.0.0.1 5000 typ host",
    "candidate:1 1 UDP 1 127.0.0.1 5000 host",
    "candidate:1 1 UDP 1 127.0.0.1 5000 typ",
    "candidate:1 0 UDP 1 127.0.0.1 5000 typ host",
    "candidate:1 1 UDP 0 127.0.0.1 5000 typ host",
    "candidate:1 1 UDP 4294967296 127.0.0.1 5000 typ host",
    "candidate:1 1 UDP 1 127.0.0.1 65536 typ host",
    "candidate:1 1 UDP 1 127.0.0.1 -1 typ host",
    "candidate:1  1 UDP 1 127.0.0.1 5000 typ host",
    "candidate:f-o 1 UDP 1 127.0.0.1 5000 typ host",
    "candidate:123456789012345678901234567890123 1 UDP 1 127.0.0.1 5000 typ host",
    "candidate:1 1 UDP 1 127.0.0.1 5000 typ host raddr",
    "candidate:1 1 UDP 1 127.0.0.1 5000 typ srflx raddr 1.2.3.4 rport x",
    "candidate:1 1 UDP 1 127.0.0.1 5000 typ host\nx 1",
  };
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      NiceCandidate *c = NULL;
      g_autoptr (GError) error = NULL;
      g_assert_false (media_candidate_parse (lines[i], &c, &error));
      g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
      g_assert_null (c);
    }
  /* an overlong line */
  g_autofree char *longline = g_strnfill (MEDIA_CANDIDATE_MAX_LENGTH + 10, 'a');
  memcpy (longline, "candidate:", 10);
  NiceCandidate *c = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_false (media_candidate_parse (longline, &c, &error));
  g_assert_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
}

/* ---- fingerprints ---- */

static void
test_fingerprint_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CallMediaCertificate) cert = call_media_certificate_new (&error);
  g_assert_no_error (error);
  const char *fp = call_media_certificate_get_fingerprint (cert);
  /* RFC 8122 §5: "sha-256" SP 32 upper-case hex pairs joined by ":" */
  g_assert_true (g_str_has_prefix (fp, "sha-256 "));
  g_assert_cmpuint (strlen (fp), ==, strlen ("sha-256 ") + 32 * 3 - 1);
  MediaFingerprint parsed;
  g_assert_true (media_fingerprint_parse (fp, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (parsed.len, ==, 32);
  g_assert_cmpint (parsed.algorithm, ==, GNUTLS_DIG_SHA256);
  /* case does not matter */
  g_autofree char *lower = g_ascii_strdown (fp, -1);
  g_autofree char *upper_name = g_strconcat ("SHA-256", fp + strlen ("sha-256"), NULL);
  MediaFingerprint other;
  g_assert_true (media_fingerprint_parse (lower, &other, NULL));
  g_assert_cmpmem (other.value, other.len, parsed.value, parsed.len);
  g_assert_true (media_fingerprint_parse (upper_name, &other, NULL));

  const char *bad[] = {
    "sha-256",
    "sha-256 ",
    "md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    "sha-1 00:11",
    "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3",
    "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:",
    "sha-1 0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33",
    "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:GG",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_assert_false (media_fingerprint_parse (bad[i], &other, &e));
      g_assert_error (e, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID);
    }
  g_assert_true (media_fingerprint_parse (
      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", &other, NULL));
  g_assert_cmpuint (other.len, ==, 20);
}

/* ---- DTLS-SRTP in memory ---- */

typedef struct
{
  const char *name;
  MediaDtls *dtls;
  struct _Pair *pair;
  gboolean up;
  MediaSrtpKeys keys;
  GError *down;
} Side;

typedef struct _Pair
{
  Side client, server;
  GQueue in_flight; /* Datagram * */
  GMainLoop *loop;
  guint idle;
} Pair;

typedef struct
{
  Side *to;
  GBytes *bytes;
} Datagram;

static gboolean
deliver (gpointer data)
{
  Pair *pair = data;
  pair->idle = 0;
  Datagram *d;
  while ((d = g_queue_pop_head (&pair->in_flight)) != NULL)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (d->bytes, &len);
      if (d->to->dtls != NULL)
        media_dtls_receive (d->to->dtls, bytes, len);
      g_bytes_unref (d->bytes);
      g_free (d);
    }
  return G_SOURCE_REMOVE;
}

static void
side_send (const guint8 *data, gsize len, gpointer user_data)
{
  Side *side = user_data;
  Pair *pair = side->pair;
  Datagram *d = g_new0 (Datagram, 1);
  d->to = side == &pair->client ? &pair->server : &pair->client;
  d->bytes = g_bytes_new (data, len);
  g_queue_push_tail (&pair->in_flight, d);
  /* delivered from the main loop, never from inside GnuTLS */
  if (pair->idle == 0)
    pair->idle = g_idle_add (deliver, pair);
}

static void
check_done (Pair *pair)
{
  gboolean c = pair->client.up || pair->client.down != NULL;
  gboolean s = pair->server.up || pair->server.down != NULL;
  if (c && s)
    g_main_loop_quit (pair->loop);
}

static void
side_up (MediaDtls *dtls, const MediaSrtpKeys *keys, gpointer user_data)
{
  Side *side = user_data;
  side->up = TRUE;
  side->keys = *keys;
  check_done (side->pair);
}

static void
side_down (MediaDtls *dtls, const GError *error, gpointer user_data)
{
  Side *side = user_data;
  g_assert_nonnull (error);
  g_clear_error (&side->down);
  side->down = g_error_copy (error);
  check_done (side->pair);
}

static const MediaDtlsCallbacks side_callbacks = { side_send, side_up, side_down };

static gboolean
on_give_up (gpointer data)
{
  g_error ("the handshake did not end within 20 s");
  return G_SOURCE_REMOVE;
}

static void
run_pair (Pair *pair)
{
  guint t = g_timeout_add_seconds (20, on_give_up, NULL);
  g_main_loop_run (pair->loop);
  g_source_remove (t);
}

/* Two endpoints; @client_sees / @server_sees: the fingerprint each is given
 * of the other (NULL: none yet). */
static void
pair_init (Pair *pair, CallMediaCertificate *client_cert, CallMediaCertificate *server_cert,
           const char *client_sees, const char *server_sees)
{
  memset (pair, 0, sizeof *pair);
  pair->loop = g_main_loop_new (NULL, FALSE);
  g_queue_init (&pair->in_flight);
  pair->client.pair = pair->server.pair = pair;
  MediaFingerprint cfp, sfp;
  if (client_sees != NULL)
    g_assert_true (media_fingerprint_parse (client_sees, &cfp, NULL));
  if (server_sees != NULL)
    g_assert_true (media_fingerprint_parse (server_sees, &sfp, NULL));
  g_autoptr (GError) error = NULL;
  pair->client.dtls = media_dtls_new (TRUE, client_cert, client_sees ? &cfp : NULL, &side_callbacks,
                                      &pair->client, &error);
  g_assert_no_error (error);
  pair->server.dtls = media_dtls_new (FALSE, server_cert, server_sees ? &sfp : NULL,
                                      &side_callbacks, &pair->server, &error);
  g_assert_no_error (error);
}

static void
pair_clear (Pair *pair)
{
  g_clear_pointer (&pair->client.dtls, media_dtls_free);
  g_clear_pointer (&pair->server.dtls, media_dtls_free);
  if (pair->idle != 0)
    g_source_remove (pair->idle);
  Datagram *d;
  while ((d = g_queue_pop_head (&pair->in_flight)) != NULL)
    {
      g_bytes_unref (d->bytes);
      g_free (d);
    }
  g_clear_error (&pair->client.down);
  g_clear_error (&pair->server.down);
  g_main_loop_unref (pair->loop);
}

static void
test_dtls_srtp_keys (void)
{
  g_autoptr (CallMediaCertificate) a = call_media_certificate_new (NULL);
  g_autoptr (CallMediaCertificate) b = call_media_certificate_new (NULL);
  Pair pair;
  pair_init (&pair, a, b, call_media_certificate_get_fingerprint (b),
             call_media_certificate_get_fingerprint (a));
  media_dtls_start (pair.server.dtls);
  media_dtls_start (pair.client.dtls);
  run_pair (&pair);
  g_assert_no_error (pair.client.down);
  g_assert_no_error (pair.server.down);
  g_assert_true (pair.client.up && pair.server.up);
  /* RFC 5764 §4.1.2: our first choice; RFC 5764 §4.2: what one sends with
   * is what the other receives with, and the two directions differ */
  g_assert_cmpint (pair.client.keys.profile, ==, MEDIA_SRTP_PROFILE_AES128_CM_HMAC_SHA1_80);
  g_assert_cmpstr (media_dtls_get_profile_name (pair.client.dtls), ==,
                   "SRTP_AES128_CM_HMAC_SHA1_80");
  g_assert_cmpmem (pair.client.keys.local, sizeof pair.client.keys.local, pair.server.keys.remote,
                   sizeof pair.server.keys.remote);
  g_assert_cmpmem (pair.client.keys.remote, sizeof pair.client.keys.remote, pair.server.keys.local,
                   sizeof pair.server.keys.local);
  g_assert_true (
      memcmp (pair.client.keys.local, pair.client.keys.remote, sizeof pair.client.keys.local) != 0);
  pair_clear (&pair);
}

static void
test_dtls_wrong_fingerprint (void)
{
  g_autoptr (CallMediaCertificate) a = call_media_certificate_new (NULL);
  g_autoptr (CallMediaCertificate) b = call_media_certificate_new (NULL);
  g_autoptr (CallMediaCertificate) mallory = call_media_certificate_new (NULL);
  /* the server expects someone else's certificate from the client */
  Pair pair;
  pair_init (&pair, a, b, call_media_certificate_get_fingerprint (b),
             call_media_certificate_get_fingerprint (mallory));
  media_dtls_start (pair.server.dtls);
  media_dtls_start (pair.client.dtls);
  run_pair (&pair);
  g_assert_false (pair.server.up);
  g_assert_false (pair.client.up);
  g_assert_error (pair.server.down, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT);
  /* the client hears the bad_certificate alert */
  g_assert_error (pair.client.down, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_DTLS);
  pair_clear (&pair);
}

static void
test_dtls_late_fingerprint (void)
{
  g_autoptr (CallMediaCertificate) a = call_media_certificate_new (NULL);
  g_autoptr (CallMediaCertificate) b = call_media_certificate_new (NULL);
  /* the client learns the server's fingerprint only after the handshake
   * (RFC 5763 §6.2: the answer comes after the handshake) */
  Pair pair;
  pair_init (&pair, a, b, NULL, call_media_certificate_get_fingerprint (a));
  media_dtls_start (pair.client.dtls);
  guint t = g_timeout_add_seconds (20, on_give_up, NULL);
  /* the server is up, the client waits */
  while (!pair.server.up && pair.server.down == NULL)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (pair.server.up);
  g_assert_false (pair.client.up);
  g_assert_no_error (pair.client.down);
  MediaFingerprint fp;
  g_assert_true (media_fingerprint_parse (call_media_certificate_get_fingerprint (b), &fp, NULL));
  media_dtls_set_remote_fingerprint (pair.client.dtls, &fp);
  g_assert_true (pair.client.up);
  g_source_remove (t);
  pair_clear (&pair);

  /* the same late, but wrong */
  g_autoptr (CallMediaCertificate) mallory = call_media_certificate_new (NULL);
  pair_init (&pair, a, b, NULL, call_media_certificate_get_fingerprint (a));
  media_dtls_start (pair.client.dtls);
  while (!pair.server.up && pair.server.down == NULL)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (
      media_fingerprint_parse (call_media_certificate_get_fingerprint (mallory), &fp, NULL));
  media_dtls_set_remote_fingerprint (pair.client.dtls, &fp);
  g_assert_false (pair.client.up);
  g_assert_error (pair.client.down, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_FINGERPRINT);
  pair_clear (&pair);
}

/* A record that is not a valid handshake message, before the real
 * ClientHello, is dropped (RFC 6347 §4.1.2.7) and the handshake goes on. */
static void
test_dtls_garbage_ignored (void)
{
  g_autoptr (CallMediaCertificate) a = call_media_certificate_new (NULL);
  g_autoptr (CallMediaCertificate) b = call_media_certificate_new (NULL);
  Pair pair;
  pair_init (&pair, a, b, call_media_certificate_get_fingerprint (b),
             call_media_certificate_get_fingerprint (a));
  /* records that are not DTLS at all reach the server first */
  static const guint8 junk[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 1, 2, 3 };
  media_dtls_receive (pair.server.dtls, junk, sizeof junk);
  media_dtls_start (pair.client.dtls);
  run_pair (&pair);
  g_assert_no_error (pair.server.down);
  g_assert_true (pair.client.up && pair.server.up);
  pair_clear (&pair);
}

/* ---- statistics ---- */

/* ---- Opus packet durations (the decoder's latency) ---- */

static void
test_opus_packet_duration (void)
{
  /* RFC 6716 §3.1: configuration in the TOC byte's top five bits, the
   * frame count code in its low two */
  static const struct
  {
    guint8 data[2];
    gsize len;
    guint samples;
  } cases[] = {
    { { 0x08 }, 1, 960 },           /* config 1: SILK NB 20 ms, one frame */
    { { 0x18 }, 1, 2880 },          /* config 3: SILK 60 ms */
    { { 0x60 }, 1, 480 },           /* config 12: hybrid 10 ms */
    { { 0x68 }, 1, 960 },           /* config 13: hybrid 20 ms */
    { { 0x80 }, 1, 120 },           /* config 16: CELT 2.5 ms */
    { { 0xf8 }, 1, 960 },           /* config 31: CELT FB 20 ms */
    { { 0xf9 }, 1, 1920 },          /* code 1: two frames of the same size */
    { { 0xfa }, 1, 1920 },          /* code 2: two frames of different sizes */
    { { 0x19 }, 1, 5760 },          /* two 60 ms frames: 120 ms, the longest */
    { { 0x83, 48 }, 2, 5760 },      /* code 3: 48 frames of 2.5 ms */
    { { 0x83, 0x80 | 3 }, 2, 360 }, /* code 3 with VBR and padding flags */
    { { 0x83, 49 }, 2, 0 },         /* over 120 ms (§3.4 [R5]) */
    { { 0x1b, 3 }, 2, 0 },          /* three 60 ms frames */
    { { 0xfb, 0 }, 2, 0 },          /* code 3 without frames */
    { { 0xfb }, 1, 0 },             /* code 3 without its count */
    { { 0 }, 0, 0 },                /* empty (DTX, a lost packet) */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (media_pipeline_opus_packet_samples (cases[i].data, cases[i].len), ==,
                      cases[i].samples);
}

static void
test_stats_variant (void)
{
  CallMediaStats s;
  call_media_stats_init (&s);
  g_assert_true (isnan (s.rtt_ms));
  s.packets_sent = 150;
  s.packets_received = 149;
  g_autoptr (GVariant) v = g_variant_ref_sink (call_media_stats_to_variant (&s));
  guint64 n = 0;
  double rtt;
  g_assert_true (g_variant_lookup (v, "packets-sent", "t", &n));
  g_assert_cmpuint (n, ==, 150);
  g_assert_false (g_variant_lookup (v, "rtt-ms", "d", &rtt));
  s.rtt_ms = 12.5;
  g_autoptr (GVariant) w = g_variant_ref_sink (call_media_stats_to_variant (&s));
  g_assert_true (g_variant_lookup (w, "rtt-ms", "d", &rtt));
  g_assert_cmpfloat (rtt, ==, 12.5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/candidate/roundtrip", test_candidate_roundtrip);
  g_test_add_func ("/media/candidate/skipped", test_candidate_skipped);
  g_test_add_func ("/media/candidate/invalid", test_candidate_invalid);
  g_test_add_func ("/media/fingerprint/parse", test_fingerprint_parse);
  g_test_add_func ("/media/dtls/srtp-keys", test_dtls_srtp_keys);
  g_test_add_func ("/media/dtls/wrong-fingerprint", test_dtls_wrong_fingerprint);
  g_test_add_func ("/media/dtls/late-fingerprint", test_dtls_late_fingerprint);
  g_test_add_func ("/media/dtls/garbage-ignored", test_dtls_garbage_ignored);
  g_test_add_func ("/media/stats/variant", test_stats_variant);
  g_test_add_func ("/media/opus/packet-duration", test_opus_packet_duration);
  return g_test_run ();
}
