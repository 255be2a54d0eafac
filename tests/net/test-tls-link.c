/* test-tls-link.c: TLS/TCP with FH links (RFC 6940 §6.6.5) between two
 * peers on 127.0.0.1: mutual authentication against the overlay root,
 * framed messages both ways, acks, limits, orderly and abrupt ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-tls-link.h"

#include <string.h>

#define OVERLAY "chorus.example"
#define GUARD_SECONDS 20

/* made once: key generation is slow under the sanitizers */
static ReloadCert *ca, *other_ca;
static ReloadKey *ca_key, *other_ca_key;
static ReloadCert *alice_cert, *bob_cert, *mallory_cert;
static ReloadKey *alice_key, *bob_key, *mallory_key;
static ReloadNodeId alice_ids[2], bob_ids[1], mallory_ids[1];

typedef struct
{
  ReloadTlsLink *link;
  gboolean up;
  gboolean down;
  GError *down_error;
  GPtrArray *messages; /* GBytes */
  gboolean free_in_message;
  ReloadNodeId peer_ids[4];
  guint n_peer_ids;
} Side;

typedef struct
{
  Side *a, *b;
  guint n_a, n_b;
  guint64 acks_a;
} Want;

static GMainLoop *loop;
static gboolean (*until) (gpointer);
static gpointer until_data;
static gboolean timed_out;

static void
check_done (void)
{
  if (until != NULL && until (until_data))
    g_main_loop_quit (loop);
}

static gboolean
guard_cb (gpointer data)
{
  timed_out = TRUE;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* also polls: acks arrive without a callback */
static gboolean
poll_check (gpointer data)
{
  check_done ();
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @pred holds; fails the test after GUARD_SECONDS. */
static void
run_until (gboolean (*pred) (gpointer), gpointer data)
{
  until = pred;
  until_data = data;
  timed_out = FALSE;
  if (!pred (data))
    {
      guint guard = g_timeout_add_seconds (GUARD_SECONDS, guard_cb, NULL);
      guint poll = g_timeout_add (10, poll_check, NULL);
      g_main_loop_run (loop);
      g_source_remove (poll);
      if (!timed_out)
        g_source_remove (guard);
    }
  until = NULL;
  g_assert_false (timed_out);
}

static void
on_up (ReloadTlsLink *link, const ReloadCertIdentity *peer, gpointer user_data)
{
  Side *s = user_data;
  g_assert_false (s->up);
  g_assert_false (s->down);
  g_assert_nonnull (peer);
  s->up = TRUE;
  s->n_peer_ids = MIN (peer->n_node_ids, G_N_ELEMENTS (s->peer_ids));
  memcpy (s->peer_ids, peer->node_ids, s->n_peer_ids * sizeof (ReloadNodeId));
  check_done ();
}

static void
on_message (ReloadTlsLink *link, const guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;
  g_assert_true (s->up);
  g_ptr_array_add (s->messages, g_bytes_new (data, len));
  if (s->free_in_message)
    {
      reload_tls_link_free (s->link);
      s->link = NULL;
    }
  check_done ();
}

static void
on_down (ReloadTlsLink *link, const GError *error, gpointer user_data)
{
  Side *s = user_data;
  g_assert_false (s->down);
  s->down = TRUE;
  if (error != NULL)
    s->down_error = g_error_copy (error);
  check_done ();
}

static const ReloadTlsLinkCallbacks callbacks = { on_up, on_message, on_down };

static void
side_init (Side *s)
{
  memset (s, 0, sizeof *s);
  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->link, reload_tls_link_free);
  g_clear_error (&s->down_error);
  g_clear_pointer (&s->messages, g_ptr_array_unref);
}

/* A connected pair of TCP sockets on 127.0.0.1, ephemeral port. */
static void
socket_pair (GSocket **client, GSocket **server)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) listener =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  g_autoptr (GSocketAddress) addr = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);

  *client =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_connect (*client, addr, NULL, &error));
  g_assert_no_error (error);
  *server = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
}

/* a: client, b: server */
static void
make_links (Side *a, ReloadCert *a_cert, ReloadKey *a_key, ReloadCert *a_root, gsize a_max, Side *b,
            ReloadCert *b_cert, ReloadKey *b_key, ReloadCert *b_root, gsize b_max)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) cs = NULL;
  g_autoptr (GSocket) ss = NULL;
  socket_pair (&cs, &ss);
  a->link = reload_tls_link_new (cs, RELOAD_TLS_LINK_CLIENT, a_cert, a_key, a_root, a_max,
                                 &callbacks, a, &error);
  g_assert_no_error (error);
  g_assert_nonnull (a->link);
  b->link = reload_tls_link_new (ss, RELOAD_TLS_LINK_SERVER, b_cert, b_key, b_root, b_max,
                                 &callbacks, b, &error);
  g_assert_no_error (error);
  g_assert_nonnull (b->link);
}

static gboolean
both_up (gpointer data)
{
  Want *w = data;
  return (w->a->up || w->a->down) && (w->b->up || w->b->down);
}

static gboolean
both_down (gpointer data)
{
  Want *w = data;
  return w->a->down && w->b->down;
}

static gboolean
got_messages (gpointer data)
{
  Want *w = data;
  if (w->a->messages->len < w->n_a || w->b->messages->len < w->n_b)
    return FALSE;
  if (w->acks_a > 0 && w->a->link != NULL)
    {
      ReloadTlsLinkStats st;
      reload_tls_link_get_stats (w->a->link, &st);
      return st.acks_received >= w->acks_a;
    }
  return TRUE;
}

static void
test_handshake (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  g_assert_null (reload_tls_link_get_peer_node_id (a.link, 0));
  Want w = { &a, &b };
  run_until (both_up, &w);
  g_assert_true (a.up);
  g_assert_true (b.up);
  g_assert_false (a.down || b.down);

  /* the client sees bob's Node-ID, the server alice's two */
  g_assert_cmpuint (a.n_peer_ids, ==, 1);
  g_assert_true (reload_node_id_equal (&a.peer_ids[0], &bob_ids[0]));
  g_assert_cmpuint (b.n_peer_ids, ==, 2);
  g_assert_true (reload_node_id_equal (&b.peer_ids[0], &alice_ids[0]));
  g_assert_true (reload_node_id_equal (&b.peer_ids[1], &alice_ids[1]));
  g_assert_cmpuint (reload_tls_link_get_n_peer_node_ids (b.link), ==, 2);
  g_assert_true (
      reload_node_id_equal (reload_tls_link_get_peer_node_id (b.link, 1), &alice_ids[1]));
  g_assert_null (reload_tls_link_get_peer_node_id (b.link, 2));
  g_assert_true (reload_node_id_equal (reload_tls_link_get_peer_node_id (a.link, 0), &bob_ids[0]));
  g_assert_cmpstr (reload_tls_link_get_peer_identity (a.link)->user_name, ==, "bob@" OVERLAY);
  g_assert_cmpstr (reload_tls_link_get_peer_identity (b.link)->user_name, ==, "alice@" OVERLAY);
  g_assert_true (reload_tls_link_get_peer_cert (a.link) != NULL);
  g_assert_true (reload_tls_link_is_up (a.link));
  g_assert_cmpint (reload_tls_link_get_role (b.link), ==, RELOAD_TLS_LINK_SERVER);

  side_clear (&a);
  side_clear (&b);
}

static void
fill (guint8 *buf, gsize len, guint seed)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (seed * 31 + i * 7 + (i >> 8));
}

static void
check_message (GBytes *got, gsize len, guint seed)
{
  g_autofree guint8 *want = g_malloc (MAX (len, 1));
  fill (want, len, seed);
  gsize n = 0;
  const guint8 *p = g_bytes_get_data (got, &n);
  g_assert_cmpuint (n, ==, len);
  g_assert_true (len == 0 || memcmp (p, want, len) == 0);
}

static gsize
msg_len (guint i)
{
  return i == 100 ? 100 * 1000 : (i % 7) * 13; /* includes empty messages */
}

static void
test_messages (void)
{
  g_autoptr (GError) error = NULL;
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);

  /* queued before the handshake: sent after it */
  const guint n_ab = 201, n_ba = 50;
  guint8 buf[100 * 1000];
  fill (buf, msg_len (0), 0);
  g_assert_true (reload_tls_link_send (a.link, buf, msg_len (0), &error));
  g_assert_no_error (error);

  Want w = { &a, &b };
  run_until (both_up, &w);
  g_assert_true (a.up && b.up);

  for (guint i = 1; i < n_ab; i++)
    {
      fill (buf, msg_len (i), i);
      g_assert_true (reload_tls_link_send (a.link, buf, msg_len (i), &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n_ba; i++)
    {
      gsize len = 1 + i;
      fill (buf, len, 1000 + i);
      g_assert_true (reload_tls_link_send (b.link, buf, len, &error));
      g_assert_no_error (error);
    }
  w.n_a = n_ba;
  w.n_b = n_ab;
  w.acks_a = n_ab;
  run_until (got_messages, &w);

  g_assert_cmpuint (b.messages->len, ==, n_ab);
  for (guint i = 0; i < n_ab; i++)
    check_message (b.messages->pdata[i], msg_len (i), i);
  g_assert_cmpuint (a.messages->len, ==, n_ba);
  for (guint i = 0; i < n_ba; i++)
    check_message (a.messages->pdata[i], 1 + i, 1000 + i);

  ReloadTlsLinkStats sa, sb;
  reload_tls_link_get_stats (a.link, &sa);
  reload_tls_link_get_stats (b.link, &sb);
  g_assert_cmpuint (sa.frames_sent, ==, n_ab);
  g_assert_cmpuint (sb.frames_received, ==, n_ab);
  g_assert_cmpuint (sa.bytes_sent, ==, sb.bytes_received);
  g_assert_cmpuint (sb.frames_sent, ==, n_ba);
  g_assert_cmpuint (sa.frames_received, ==, n_ba);
  g_assert_cmpuint (sb.acks_sent, ==, n_ab);
  g_assert_cmpuint (sa.acks_received, ==, n_ab);
  g_assert_cmpuint (sa.acks_ignored, ==, 0);
  g_assert_cmpuint (sa.highest_acked, ==, n_ab - 1);
  g_assert_cmpuint (sb.bytes_received, >, 100 * 1000);
  g_assert_false (a.down || b.down);

  side_clear (&a);
  side_clear (&b);
}

static void
test_untrusted (void)
{
  /* mallory: a certificate of another CA, and trusts only that CA */
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, mallory_cert, mallory_key, other_ca, 0, &b, bob_cert, bob_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_down, &w);
  g_assert_false (a.up);
  g_assert_false (b.up);
  g_assert_nonnull (a.down_error);
  g_assert_nonnull (b.down_error);
  g_assert_error (a.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_NOT_TRUSTED);
  g_assert_true (b.down_error->domain == RELOAD_TLS_LINK_ERROR);
  g_assert_null (reload_tls_link_get_peer_identity (b.link));
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_tls_link_send (b.link, (const guint8 *) "x", 1, &error));
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED);
  side_clear (&a);
  side_clear (&b);
}

static void
test_untrusted_client (void)
{
  /* mallory trusts our root but her certificate is another CA's: the
   * server refuses her (and never reports up) */
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, mallory_cert, mallory_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_down, &w);
  g_assert_false (b.up);
  g_assert_error (b.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_NOT_TRUSTED);
  g_assert_nonnull (a.down_error); /* (a may have been up under TLS 1.3) */
  side_clear (&a);
  side_clear (&b);
}

static void
test_untrusted_server (void)
{
  /* the server is the stranger: the client refuses it */
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, mallory_cert, mallory_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_down, &w);
  g_assert_false (a.up);
  g_assert_false (b.up);
  g_assert_error (a.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_NOT_TRUSTED);
  g_assert_nonnull (b.down_error);
  side_clear (&a);
  side_clear (&b);
}

static void
test_too_large (void)
{
  g_autoptr (GError) error = NULL;
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 1000);
  Want w = { &a, &b };
  run_until (both_up, &w);
  guint8 buf[1001];
  fill (buf, sizeof buf, 5);
  g_assert_true (reload_tls_link_send (a.link, buf, 1000, &error)); /* the limit: fine */
  g_assert_true (reload_tls_link_send (a.link, buf, 1001, &error)); /* beyond */
  g_assert_no_error (error);
  run_until (both_down, &w);
  g_assert_cmpuint (b.messages->len, ==, 1);
  check_message (b.messages->pdata[0], 1000, 5);
  g_assert_error (b.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TOO_LARGE);
  g_assert_nonnull (a.down_error); /* closed without close_notify */
  side_clear (&a);
  side_clear (&b);
}

static void
test_close_eof (void)
{
  g_autoptr (GError) error = NULL;
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_up, &w);
  for (guint i = 0; i < 3; i++)
    {
      guint8 buf[64];
      fill (buf, sizeof buf, i);
      g_assert_true (reload_tls_link_send (a.link, buf, sizeof buf, &error));
    }
  reload_tls_link_close (a.link);
  reload_tls_link_close (a.link); /* idempotent */
  g_assert_false (a.down);        /* never from inside close */
  g_assert_false (reload_tls_link_send (a.link, (const guint8 *) "x", 1, &error));
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED);
  run_until (both_down, &w);
  /* everything queued before close arrived, then an orderly end */
  g_assert_cmpuint (b.messages->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    check_message (b.messages->pdata[i], 64, i);
  g_assert_no_error (b.down_error);
  g_assert_no_error (a.down_error);
  side_clear (&a);
  side_clear (&b);
}

static void
test_abrupt_eof (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_up, &w);
  /* free: the TCP connection ends without close_notify */
  g_clear_pointer (&a.link, reload_tls_link_free);
  a.down = TRUE; /* for both_down: a reports nothing after free */
  run_until (both_down, &w);
  g_assert_error (b.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_CLOSED);
  side_clear (&a);
  side_clear (&b);
}

static void
test_free_in_callback (void)
{
  g_autoptr (GError) error = NULL;
  Side a, b;
  side_init (&a);
  side_init (&b);
  b.free_in_message = TRUE;
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  Want w = { &a, &b };
  run_until (both_up, &w);
  for (guint i = 0; i < 5; i++)
    g_assert_true (reload_tls_link_send (a.link, (const guint8 *) "hello", 5, &error));
  b.down = TRUE; /* b frees itself on the first message and reports nothing */
  run_until (both_down, &w);
  g_assert_cmpuint (b.messages->len, ==, 1);
  g_assert_null (b.link);
  g_assert_nonnull (a.down_error);
  side_clear (&a);
  side_clear (&b);
}

static void
test_queue_full (void)
{
  g_autoptr (GError) error = NULL;
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, 0, &b, bob_cert, bob_key, ca, 0);
  /* nothing drains before the loop runs */
  gsize chunk = 1024 * 1024;
  g_autofree guint8 *buf = g_malloc0 (chunk);
  guint ok = 0;
  while (reload_tls_link_send (a.link, buf, chunk, &error))
    ok++;
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_QUEUE_FULL);
  g_assert_cmpuint (ok, ==, RELOAD_TLS_LINK_MAX_QUEUED_BYTES / chunk - 1);
  g_assert_cmpuint (reload_tls_link_get_queued_bytes (a.link), ==, ok * (chunk + 8));
  g_clear_error (&error);
  /* a message that does not fit a frame at all */
  g_assert_false (
      reload_tls_link_send (a.link, buf, RELOAD_TLS_LINK_DEFAULT_MAX_MESSAGE + 1, &error));
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* and it all drains once the handshake is done */
  Want w = { &a, &b, 0, ok, ok };
  run_until (got_messages, &w);
  g_assert_cmpuint (b.messages->len, ==, ok);
  g_assert_cmpuint (reload_tls_link_get_queued_bytes (a.link), ==, 0);
  side_clear (&a);
  side_clear (&b);
}

static void
test_bad_key (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) cs = NULL;
  g_autoptr (GSocket) ss = NULL;
  socket_pair (&cs, &ss);
  ReloadTlsLink *link = reload_tls_link_new (cs, RELOAD_TLS_LINK_CLIENT, alice_cert, bob_key, ca, 0,
                                             &callbacks, NULL, &error);
  g_assert_null (link);
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_INVALID);
  g_clear_error (&error);
  /* the root CA is no peer certificate */
  link =
      reload_tls_link_new (cs, RELOAD_TLS_LINK_CLIENT, ca, ca_key, ca, 0, &callbacks, NULL, &error);
  g_assert_null (link);
  g_assert_error (error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_INVALID);
}

static ReloadNodeId
node_id (guint8 fill_byte)
{
  ReloadNodeId id = { 0 };
  id.len = 16;
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (fill_byte + i);
  return id;
}

static ReloadCert *
issue (ReloadCert *issuer, ReloadKey *issuer_key, ReloadKey **key, const char *user,
       const ReloadNodeId *ids, guint n)
{
  g_autoptr (GError) error = NULL;
  *key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);
  ReloadCert *cert =
      reload_credentials_issue_peer (issuer, issuer_key, *key, user, OVERLAY, ids, n, 0, &error);
  g_assert_no_error (error);
  return cert;
}

static gboolean
one_is_down (gpointer data)
{
  Want *w = data;
  return w->a->down;
}

/* §6.6.5: acks give an RTT and an RTO; a peer that stops acknowledging
 * (its process hangs: TCP still accepts the bytes) takes the link down
 * with TIMEOUT after the failure timeout. */
static void
test_rtt_and_silent_peer (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  /* b lives on a context of its own, which stops being run after the
   * first exchange: a hung process */
  GMainContext *b_ctx = g_main_context_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) cs = NULL;
  g_autoptr (GSocket) ss = NULL;
  socket_pair (&cs, &ss);
  a.link = reload_tls_link_new (cs, RELOAD_TLS_LINK_CLIENT, alice_cert, alice_key, ca, 0,
                                &callbacks, &a, &error);
  g_assert_no_error (error);
  g_main_context_push_thread_default (b_ctx);
  b.link = reload_tls_link_new (ss, RELOAD_TLS_LINK_SERVER, bob_cert, bob_key, ca, 0, &callbacks,
                                &b, &error);
  g_main_context_pop_thread_default (b_ctx);
  g_assert_no_error (error);
  while (!(a.up && b.up))
    {
      g_main_context_iteration (NULL, FALSE);
      g_main_context_iteration (b_ctx, FALSE);
      g_usleep (1000);
    }
  static const guint8 hello[] = "ping";
  for (guint i = 0; i < 5; i++)
    g_assert_true (reload_tls_link_send (a.link, hello, sizeof hello, NULL));
  ReloadTlsLinkStats st = { 0 };
  while (st.rtt_samples < 5)
    {
      g_main_context_iteration (NULL, FALSE);
      g_main_context_iteration (b_ctx, FALSE);
      reload_tls_link_get_stats (a.link, &st);
      g_usleep (1000);
    }
  g_assert_cmpuint (b.messages->len, ==, 5);
  g_assert_cmpuint (st.srtt_us, >, 0);
  /* RFC 6298 §2.4: never below one second */
  g_assert_cmpuint (st.rto_ms, >=, 1000);
  g_assert_false (a.down);

  /* now b hangs: a's next frame is never acknowledged */
  reload_tls_link_set_failure_timeout (a.link, 200);
  g_assert_true (reload_tls_link_send (a.link, hello, sizeof hello, NULL));
  Want w = { &a, &b };
  run_until (one_is_down, &w);
  g_assert_true (a.down);
  g_assert_error (a.down_error, RELOAD_TLS_LINK_ERROR, RELOAD_TLS_LINK_ERROR_TIMEOUT);
  g_assert_false (b.down);

  g_main_context_push_thread_default (b_ctx);
  side_clear (&b);
  g_main_context_pop_thread_default (b_ctx);
  side_clear (&a);
  g_main_context_unref (b_ctx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autoptr (GError) error = NULL;
  ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  other_ca =
      reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &other_ca_key, &error);
  g_assert_no_error (error);
  alice_ids[0] = node_id (0xa0);
  alice_ids[1] = node_id (0x10);
  bob_ids[0] = node_id (0xb0);
  mallory_ids[0] = node_id (0xee);
  alice_cert = issue (ca, ca_key, &alice_key, "alice@" OVERLAY, alice_ids, 2);
  bob_cert = issue (ca, ca_key, &bob_key, "bob@" OVERLAY, bob_ids, 1);
  mallory_cert = issue (other_ca, other_ca_key, &mallory_key, "mallory@" OVERLAY, mallory_ids, 1);
  loop = g_main_loop_new (NULL, FALSE);

  g_test_add_func ("/net/tls-link/handshake", test_handshake);
  g_test_add_func ("/net/tls-link/messages", test_messages);
  g_test_add_func ("/net/tls-link/untrusted", test_untrusted);
  g_test_add_func ("/net/tls-link/untrusted-client", test_untrusted_client);
  g_test_add_func ("/net/tls-link/untrusted-server", test_untrusted_server);
  g_test_add_func ("/net/tls-link/too-large", test_too_large);
  g_test_add_func ("/net/tls-link/close-eof", test_close_eof);
  g_test_add_func ("/net/tls-link/abrupt-eof", test_abrupt_eof);
  g_test_add_func ("/net/tls-link/free-in-callback", test_free_in_callback);
  g_test_add_func ("/net/tls-link/queue-full", test_queue_full);
  g_test_add_func ("/net/tls-link/bad-key", test_bad_key);
  g_test_add_func ("/net/tls-link/rtt-and-silent-peer", test_rtt_and_silent_peer);
  int ret = g_test_run ();

  g_main_loop_unref (loop);
  reload_cert_unref (alice_cert);
  reload_cert_unref (bob_cert);
  reload_cert_unref (mallory_cert);
  reload_key_free (alice_key);
  reload_key_free (bob_key);
  reload_key_free (mallory_key);
  reload_cert_unref (ca);
  reload_cert_unref (other_ca);
  reload_key_free (ca_key);
  reload_key_free (other_ca_key);
  return ret;
}
