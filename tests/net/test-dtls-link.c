/* test-dtls-link.c: DTLS/UDP with SR links (RFC 6940 §6.6.3, §6.6.4)
 * between two peers on 127.0.0.1: mutual authentication, messages both
 * ways, retransmission under (simulated) loss, link failure detection,
 * limits.  The same links in datagram mode, as an AppAttach connection
 * carries SIP (§6.5.2, RFC 7904 §4): one message per record, no frame, no
 * acks, no retransmission, large messages; garbage and a peer in the other
 * mode.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-dtls-link.h"

#include <string.h>

#include "reload-framing.h"

#define OVERLAY "chorus.example"
#define GUARD_SECONDS 8
/* tests run on the loopback: a short RTO keeps them fast (§6.6.3.1) */
#define TEST_RTO_MS 20

static ReloadCert *ca, *other_ca;
static ReloadKey *ca_key, *other_ca_key;
static ReloadCert *alice_cert, *bob_cert, *mallory_cert;
static ReloadKey *alice_key, *bob_key, *mallory_key;
static ReloadNodeId alice_ids[2], bob_ids[1], mallory_ids[1];

typedef struct
{
  ReloadDtlsLink *link;
  gboolean up;
  gboolean down;
  GError *down_error;
  GPtrArray *messages; /* GBytes */
  ReloadNodeId peer_ids[4];
  guint n_peer_ids;
  guint drop_every; /* drop every n-th frame of drop_type */
  guint8 drop_type;
  guint drop_count;
  GSocket *sock; /* the link's socket (a crash: closed under it) */
} Side;

typedef struct
{
  Side *a, *b;
  guint n_a, n_b;
} Want;

static GMainLoop *loop;
static gboolean (*until) (gpointer);
static gpointer until_data;
static gboolean timed_out;

static gboolean
guard_cb (gpointer data)
{
  timed_out = TRUE;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_check (gpointer data)
{
  if (until != NULL && until (until_data))
    g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static void
run_until (gboolean (*pred) (gpointer), gpointer data)
{
  until = pred;
  until_data = data;
  timed_out = FALSE;
  if (!pred (data))
    {
      guint guard = g_timeout_add_seconds (GUARD_SECONDS, guard_cb, NULL);
      guint poll = g_timeout_add (5, poll_check, NULL);
      g_main_loop_run (loop);
      g_source_remove (poll);
      if (!timed_out)
        g_source_remove (guard);
    }
  until = NULL;
  g_assert_false (timed_out);
}

static void
on_up (ReloadDtlsLink *link, const ReloadCertIdentity *peer, gpointer user_data)
{
  Side *s = user_data;
  g_assert_false (s->up);
  g_assert_false (s->down);
  s->up = TRUE;
  s->n_peer_ids = MIN (peer->n_node_ids, G_N_ELEMENTS (s->peer_ids));
  memcpy (s->peer_ids, peer->node_ids, s->n_peer_ids * sizeof (ReloadNodeId));
}

static void
on_message (ReloadDtlsLink *link, const guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;
  g_assert_true (s->up);
  g_ptr_array_add (s->messages, g_bytes_new (data, len));
}

static void
on_down (ReloadDtlsLink *link, const GError *error, gpointer user_data)
{
  Side *s = user_data;
  g_assert_false (s->down);
  s->down = TRUE;
  if (error != NULL)
    s->down_error = g_error_copy (error);
}

static const ReloadDtlsLinkCallbacks callbacks = { on_up, on_message, on_down };

static gboolean
drop_hook (ReloadDtlsLink *link, guint8 frame_type, guint32 sequence, gpointer user_data)
{
  Side *s = user_data;
  if (s->drop_every == 0 || frame_type != s->drop_type)
    return FALSE;
  return ++s->drop_count % s->drop_every == 0;
}

static void
side_init (Side *s)
{
  memset (s, 0, sizeof *s);
  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->link, reload_dtls_link_free);
  g_clear_object (&s->sock);
  g_clear_error (&s->down_error);
  g_clear_pointer (&s->messages, g_ptr_array_unref);
}

static GSocket *
udp_bound (GSocketAddress **addr)
{
  g_autoptr (GError) error = NULL;
  GSocket *s =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (s, any, FALSE, &error));
  *addr = g_socket_get_local_address (s, &error);
  g_assert_no_error (error);
  return s;
}

/* Two UDP sockets on 127.0.0.1, each connected to the other. */
static void
socket_pair (GSocket **a, GSocket **b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) a_addr = NULL;
  g_autoptr (GSocketAddress) b_addr = NULL;
  *a = udp_bound (&a_addr);
  *b = udp_bound (&b_addr);
  g_assert_true (g_socket_connect (*a, b_addr, NULL, &error));
  g_assert_true (g_socket_connect (*b, a_addr, NULL, &error));
  g_assert_no_error (error);
}

/* a: client, b: server */
static void
make_links (Side *a, ReloadCert *a_cert, ReloadKey *a_key, ReloadCert *a_root, Side *b,
            ReloadCert *b_cert, ReloadKey *b_key, ReloadCert *b_root)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) as = NULL;
  g_autoptr (GSocket) bs = NULL;
  socket_pair (&as, &bs);
  a->sock = g_object_ref (as);
  b->sock = g_object_ref (bs);
  a->link = reload_dtls_link_new (as, RELOAD_DTLS_LINK_CLIENT, a_cert, a_key, a_root, &callbacks, a,
                                  &error);
  g_assert_no_error (error);
  b->link = reload_dtls_link_new (bs, RELOAD_DTLS_LINK_SERVER, b_cert, b_key, b_root, &callbacks, b,
                                  &error);
  g_assert_no_error (error);
  reload_dtls_link_set_rto (a->link, TEST_RTO_MS);
  reload_dtls_link_set_rto (b->link, TEST_RTO_MS);
  reload_dtls_link_set_drop_hook (a->link, drop_hook, a);
  reload_dtls_link_set_drop_hook (b->link, drop_hook, b);
}

static gboolean
both_settled (gpointer data)
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
a_down (gpointer data)
{
  Want *w = data;
  return w->a->down;
}

/* the messages arrived and everything sent is acknowledged */
static gboolean
got_messages (gpointer data)
{
  Want *w = data;
  return w->a->messages->len >= w->n_a && w->b->messages->len >= w->n_b
         && reload_dtls_link_get_n_in_flight (w->a->link) == 0
         && reload_dtls_link_get_n_queued (w->a->link) == 0
         && reload_dtls_link_get_n_in_flight (w->b->link) == 0
         && reload_dtls_link_get_n_queued (w->b->link) == 0;
}

static void
up_pair (Side *a, Side *b)
{
  side_init (a);
  side_init (b);
  make_links (a, alice_cert, alice_key, ca, b, bob_cert, bob_key, ca);
  Want w = { a, b };
  run_until (both_settled, &w);
  g_assert_true (a->up && b->up);
}

static void
send_numbered (Side *s, guint n, const char *tag)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *m = g_strdup_printf ("%s message %u", tag, i);
      g_assert_true (reload_dtls_link_send (s->link, (const guint8 *) m, strlen (m), &error));
      g_assert_no_error (error);
    }
}

/* @s received exactly the messages 0..n-1 of @tag, each once; in order
 * when @ordered. */
static void
check_numbered (Side *s, guint n, const char *tag, gboolean ordered)
{
  g_assert_cmpuint (s->messages->len, ==, n);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      gsize len = 0;
      const char *d = g_bytes_get_data (s->messages->pdata[i], &len);
      g_autofree char *str = g_strndup (d, len);
      g_autofree char *prefix = g_strdup_printf ("%s message ", tag);
      g_assert_true (g_str_has_prefix (str, prefix));
      guint k = (guint) g_ascii_strtoull (str + strlen (prefix), NULL, 10);
      g_assert_cmpuint (k, <, n);
      g_assert_false (seen[k]);
      seen[k] = TRUE;
      if (ordered)
        g_assert_cmpuint (k, ==, i);
    }
}

static void
test_handshake (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, &b, bob_cert, bob_key, ca);
  g_assert_null (reload_dtls_link_get_peer_node_id (a.link, 0));
  g_assert_false (reload_dtls_link_is_up (a.link));
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  g_assert_cmpuint (a.n_peer_ids, ==, 1);
  g_assert_true (reload_node_id_equal (&a.peer_ids[0], &bob_ids[0]));
  g_assert_cmpuint (b.n_peer_ids, ==, 2);
  g_assert_true (reload_node_id_equal (&b.peer_ids[0], &alice_ids[0]));
  g_assert_true (reload_node_id_equal (&b.peer_ids[1], &alice_ids[1]));
  g_assert_cmpuint (reload_dtls_link_get_n_peer_node_ids (b.link), ==, 2);
  g_assert_null (reload_dtls_link_get_peer_node_id (b.link, 2));
  g_assert_true (reload_node_id_equal (reload_dtls_link_get_peer_node_id (a.link, 0), &bob_ids[0]));
  g_assert_cmpstr (reload_dtls_link_get_peer_identity (a.link)->user_name, ==, "bob@" OVERLAY);
  g_assert_cmpstr (reload_dtls_link_get_peer_identity (b.link)->user_name, ==, "alice@" OVERLAY);
  g_assert_nonnull (reload_dtls_link_get_peer_cert (b.link));
  g_assert_true (reload_dtls_link_is_up (a.link));
  g_assert_cmpint (reload_dtls_link_get_role (b.link), ==, RELOAD_DTLS_LINK_SERVER);

  /* orderly close: the peer sees close_notify */
  reload_dtls_link_close (a.link);
  run_until (both_down, &w);
  g_assert_no_error (a.down_error);
  g_assert_no_error (b.down_error);
  side_clear (&a);
  side_clear (&b);
}

/* An RTO long enough that a loaded machine (the suite runs under ASan,
 * tests in parallel) never retransmits spuriously where a test counts
 * retransmissions or deliveries. */
#define PATIENT_RTO_MS 5000
/* with loss: the RFC's own initial RTO */
#define LOSSY_RTO_MS 500

static void
set_rto (Side *a, Side *b, guint ms)
{
  reload_dtls_link_set_rto (a->link, ms);
  reload_dtls_link_set_rto (b->link, ms);
}

static void
test_messages (void)
{
  Side a, b;
  up_pair (&a, &b);
  set_rto (&a, &b, PATIENT_RTO_MS);
  send_numbered (&a, 100, "a");
  send_numbered (&b, 100, "b");
  Want w = { &a, &b, 100, 100 };
  run_until (got_messages, &w);
  check_numbered (&b, 100, "a", TRUE);
  check_numbered (&a, 100, "b", TRUE);
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.messages_sent, ==, 100);
  g_assert_cmpuint (st.messages_acked, ==, 100);
  g_assert_cmpuint (st.retransmissions, ==, 0);
  g_assert_cmpuint (st.frames_received, ==, 100);
  g_assert_cmpuint (st.acks_sent, ==, 100);
  g_assert_cmpuint (st.duplicates, ==, 0);
  side_clear (&a);
  side_clear (&b);
}

/* a loses every 3rd data datagram it sends: SR retransmits them */
static void
test_data_loss (void)
{
  Side a, b;
  up_pair (&a, &b);
  set_rto (&a, &b, LOSSY_RTO_MS);
  a.drop_type = RELOAD_FRAME_DATA;
  a.drop_every = 3;
  send_numbered (&a, 100, "a");
  send_numbered (&b, 100, "b");
  Want w = { &a, &b, 100, 100 };
  run_until (got_messages, &w);
  check_numbered (&b, 100, "a", FALSE); /* exactly once, possibly reordered */
  check_numbered (&a, 100, "b", TRUE);
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.datagrams_dropped, >, 0);
  g_assert_cmpuint (st.retransmissions, >=, st.datagrams_dropped);
  g_assert_cmpuint (st.messages_acked, ==, 100);
  g_assert_true (a.up && !a.down && !b.down);
  side_clear (&a);
  side_clear (&b);
}

/* b loses every 3rd ack: the `received` mask of the following acks
 * covers them; only a retransmission can deliver a message again */
static void
test_ack_loss (void)
{
  Side a, b;
  up_pair (&a, &b);
  set_rto (&a, &b, PATIENT_RTO_MS);
  b.drop_type = RELOAD_FRAME_ACK;
  b.drop_every = 3;
  send_numbered (&a, 100, "a");
  Want w = { &a, &b, 0, 100 };
  run_until (got_messages, &w);
  ReloadDtlsLinkStats sa, sb;
  reload_dtls_link_get_stats (a.link, &sa);
  reload_dtls_link_get_stats (b.link, &sb);
  g_assert_cmpuint (sb.datagrams_dropped, >, 0);
  g_assert_cmpuint (sa.messages_acked, ==, 100);
  /* every transmission was delivered once: no duplicate sequence number */
  g_assert_cmpuint (sb.frames_received, ==, sa.transmissions);
  g_assert_cmpuint (sb.duplicates, ==, 0);
  /* nearly all lost acks are recovered from the mask, not by resending */
  g_assert_cmpuint (sa.retransmissions, <, sb.datagrams_dropped);
  if (sa.retransmissions == 0)
    check_numbered (&b, 100, "a", TRUE);
  side_clear (&a);
  side_clear (&b);
}

/* the peer's link is freed while up (its owner dropped it: a peer that
 * starts over): a close_notify tells this end at once, as TCP's FIN tells
 * a TLS link, with no error */
static void
test_peer_freed (void)
{
  Side a, b;
  up_pair (&a, &b);
  g_clear_pointer (&b.link, reload_dtls_link_free);
  Want w = { &a, &b };
  run_until (a_down, &w);
  g_assert_no_error (a.down_error);
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.retransmissions, ==, 0);
  side_clear (&a);
  side_clear (&b);
}

/* the peer goes silent (a crash: nothing more from its socket): 5
 * transmissions, then the link is down */
static void
test_peer_silent (void)
{
  Side a, b;
  up_pair (&a, &b);
  g_socket_close (b.sock, NULL); /* not even a close_notify */
  g_clear_pointer (&b.link, reload_dtls_link_free);
  static const guint8 m[] = "hello?";
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_dtls_link_send (a.link, m, sizeof m, &error));
  Want w = { &a, &b };
  run_until (a_down, &w);
  g_assert_error (a.down_error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TIMEOUT);
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.transmissions, ==, RELOAD_DTLS_LINK_MAX_TRANSMISSIONS);
  g_assert_cmpuint (st.retransmissions, ==, RELOAD_DTLS_LINK_MAX_TRANSMISSIONS - 1);
  /* (the RTO doubles between them, 20 + 40 + 80 + 160 + 320 ms: timings
   * are not asserted in tests) */
  g_assert_false (reload_dtls_link_send (a.link, m, sizeof m, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_CLOSED);
  side_clear (&a);
  side_clear (&b);
}

static void
check_refused (ReloadCert *a_cert, ReloadKey *a_key, ReloadCert *a_root, ReloadCert *b_cert,
               ReloadKey *b_key, ReloadCert *b_root, ReloadDtlsLinkMode mode)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, a_cert, a_key, a_root, &b, b_cert, b_key, b_root);
  reload_dtls_link_set_mode (a.link, mode);
  reload_dtls_link_set_mode (b.link, mode);
  Want w = { &a, &b };
  run_until (both_down, &w);
  g_assert_false (a.up);
  g_assert_false (b.up);
  g_assert_nonnull (a.down_error);
  g_assert_nonnull (b.down_error);
  /* the client verifies the server's certificate first and refuses it */
  g_assert_error (a.down_error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_NOT_TRUSTED);
  side_clear (&a);
  side_clear (&b);
}

static void
test_untrusted (void)
{
  /* mallory (another CA) as client: she refuses bob's certificate */
  check_refused (mallory_cert, mallory_key, other_ca, bob_cert, bob_key, ca,
                 RELOAD_DTLS_LINK_FRAMED_SR);
  /* mallory as server, trusting our CA: alice refuses her */
  check_refused (alice_cert, alice_key, ca, mallory_cert, mallory_key, ca,
                 RELOAD_DTLS_LINK_FRAMED_SR);
}

static void
test_too_large (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, &b, bob_cert, bob_key, ca);
  g_autofree guint8 *big = g_malloc0 (RELOAD_DTLS_LINK_MTU + 1);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (reload_dtls_link_get_max_message_size (a.link), ==,
                    RELOAD_DTLS_LINK_MAX_MESSAGE);
  g_assert_false (reload_dtls_link_send (a.link, big, RELOAD_DTLS_LINK_MAX_MESSAGE + 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* allowed before `up` */
  g_assert_true (reload_dtls_link_send (a.link, big, RELOAD_DTLS_LINK_MAX_MESSAGE, &error));
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);

  gsize max = reload_dtls_link_get_max_message_size (a.link);
  g_test_message ("largest message after the handshake: %" G_GSIZE_FORMAT, max);
  g_assert_cmpuint (max, >=, RELOAD_DTLS_LINK_MAX_MESSAGE);
  g_assert_cmpuint (max, <, RELOAD_DTLS_LINK_MTU);
  g_assert_false (reload_dtls_link_send (a.link, big, max + 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE);
  g_clear_error (&error);
  big[max - 1] = 0x5a;
  g_assert_true (reload_dtls_link_send (a.link, big, max, &error));
  w.n_b = 2;
  run_until (got_messages, &w);
  g_assert_cmpuint (g_bytes_get_size (b.messages->pdata[0]), ==, RELOAD_DTLS_LINK_MAX_MESSAGE);
  g_assert_cmpuint (g_bytes_get_size (b.messages->pdata[1]), ==, max);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (b.messages->pdata[1], NULL))[max - 1], ==,
                    0x5a);
  g_assert_false (a.down || b.down);
  side_clear (&a);
  side_clear (&b);
}

static void
test_bad_socket (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) s =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  ReloadDtlsLink *link = reload_dtls_link_new (s, RELOAD_DTLS_LINK_CLIENT, alice_cert, alice_key,
                                               ca, &callbacks, NULL, &error);
  g_assert_null (link);
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (GSocket) a = NULL;
  g_autoptr (GSocket) b = NULL;
  socket_pair (&a, &b);
  link = reload_dtls_link_new (a, RELOAD_DTLS_LINK_CLIENT, alice_cert, bob_key, ca, &callbacks,
                               NULL, &error);
  g_assert_null (link);
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_INVALID);
}

/* ---- datagram mode (AppAttach connections, §6.5.2) ---- */

static void
make_datagram_links (Side *a, Side *b)
{
  side_init (a);
  side_init (b);
  make_links (a, alice_cert, alice_key, ca, b, bob_cert, bob_key, ca);
  g_assert_cmpint (reload_dtls_link_get_mode (a->link), ==, RELOAD_DTLS_LINK_FRAMED_SR);
  reload_dtls_link_set_mode (a->link, RELOAD_DTLS_LINK_DATAGRAM);
  reload_dtls_link_set_mode (b->link, RELOAD_DTLS_LINK_DATAGRAM);
  g_assert_cmpint (reload_dtls_link_get_mode (a->link), ==, RELOAD_DTLS_LINK_DATAGRAM);
}

/* A message of @len bytes, different for each @tag and length. */
static GBytes *
pattern (gsize len, guint8 tag)
{
  guint8 *d = g_malloc (MAX (len, 1));
  for (gsize i = 0; i < len; i++)
    d[i] = (guint8) (tag + i * 7 + i / 251);
  return g_bytes_new_take (d, len);
}

static void
send_bytes (Side *s, GBytes *m)
{
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const guint8 *d = g_bytes_get_data (m, &len);
  g_assert_true (reload_dtls_link_send (s->link, d, len, &error));
  g_assert_no_error (error);
}

static gboolean
got_counts (gpointer data)
{
  Want *w = data;
  g_assert_false (w->a->down || w->b->down);
  return w->a->messages->len >= w->n_a && w->b->messages->len >= w->n_b;
}

/* 10, 1500, ~6000 bytes and the largest message both ways: each arrives
 * whole, as sent (the record is the message: no frame header), with no
 * ack or retransmission; one queued before the handshake goes after it. */
static void
test_datagram_messages (void)
{
  Side a, b;
  make_datagram_links (&a, &b);
  g_assert_cmpuint (reload_dtls_link_get_max_message_size (a.link), ==,
                    RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE);
  g_autoptr (GBytes) early = pattern (10, 0xe0);
  send_bytes (&a, early); /* before `up` */
  g_assert_cmpuint (reload_dtls_link_get_n_queued (a.link), ==, 1);
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  /* the peer's identity from its certificate, as in the framed mode */
  g_assert_cmpuint (a.n_peer_ids, ==, 1);
  g_assert_true (reload_node_id_equal (&a.peer_ids[0], &bob_ids[0]));
  g_assert_cmpuint (b.n_peer_ids, ==, 2);
  g_assert_true (reload_node_id_equal (&b.peer_ids[0], &alice_ids[0]));
  g_assert_true (reload_node_id_equal (&b.peer_ids[1], &alice_ids[1]));
  g_assert_cmpstr (reload_dtls_link_get_peer_identity (b.link)->user_name, ==, "alice@" OVERLAY);

  gsize max = reload_dtls_link_get_max_message_size (a.link);
  g_test_message ("largest datagram-mode message after the handshake: %" G_GSIZE_FORMAT, max);
  g_assert_cmpuint (max, >=, RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE);
  g_assert_cmpuint (max, <, RELOAD_DTLS_LINK_DATAGRAM_MTU);
  g_assert_cmpuint (reload_dtls_link_get_max_message_size (b.link), ==, max);

  const gsize sizes[] = { 10, 1500, 6000, max };
  GBytes *sent_a[G_N_ELEMENTS (sizes)], *sent_b[G_N_ELEMENTS (sizes)];
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      sent_a[i] = pattern (sizes[i], (guint8) (0x10 + i));
      sent_b[i] = pattern (sizes[i], (guint8) (0x80 + i));
      send_bytes (&a, sent_a[i]);
      send_bytes (&b, sent_b[i]);
    }
  w.n_a = G_N_ELEMENTS (sizes);
  w.n_b = 1 + G_N_ELEMENTS (sizes);
  run_until (got_counts, &w);
  /* loopback keeps the order; nothing lost, nothing repeated */
  g_assert_cmpuint (b.messages->len, ==, 1 + G_N_ELEMENTS (sizes));
  g_assert_cmpuint (a.messages->len, ==, G_N_ELEMENTS (sizes));
  g_assert_true (g_bytes_equal (b.messages->pdata[0], early));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_assert_true (g_bytes_equal (b.messages->pdata[1 + i], sent_a[i]));
      g_assert_true (g_bytes_equal (a.messages->pdata[i], sent_b[i]));
      g_bytes_unref (sent_a[i]);
      g_bytes_unref (sent_b[i]);
    }

  ReloadDtlsLinkStats sa, sb;
  reload_dtls_link_get_stats (a.link, &sa);
  reload_dtls_link_get_stats (b.link, &sb);
  g_assert_cmpuint (sa.messages_sent, ==, 1 + G_N_ELEMENTS (sizes));
  g_assert_cmpuint (sa.transmissions, ==, 1 + G_N_ELEMENTS (sizes));
  g_assert_cmpuint (sa.retransmissions, ==, 0);
  g_assert_cmpuint (sa.messages_acked, ==, 0);
  g_assert_cmpuint (sa.acks_sent, ==, 0);
  g_assert_cmpuint (sa.acks_received, ==, 0);
  g_assert_cmpuint (sa.frames_received, ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (sa.bytes_received, ==, 10 + 1500 + 6000 + max);
  g_assert_cmpuint (sb.acks_sent, ==, 0);
  g_assert_cmpuint (sb.acks_received, ==, 0);
  g_assert_cmpuint (sb.frames_received, ==, 1 + G_N_ELEMENTS (sizes));
  g_assert_cmpuint (sb.bytes_received, ==, 10 + 10 + 1500 + 6000 + max);
  g_assert_cmpuint (reload_dtls_link_get_n_in_flight (a.link), ==, 0);
  g_assert_cmpuint (reload_dtls_link_get_n_queued (a.link), ==, 0);

  /* one byte over the record: refused, the link stays up */
  g_autofree guint8 *big = g_malloc0 (max + 1);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_dtls_link_send (a.link, big, max + 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_true (reload_dtls_link_is_up (a.link));

  /* orderly close: the peer sees close_notify, no error on either side */
  reload_dtls_link_close (a.link);
  g_assert_false (reload_dtls_link_send (a.link, big, 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_CLOSED);
  run_until (both_down, &w);
  g_assert_no_error (a.down_error);
  g_assert_no_error (b.down_error);
  side_clear (&a);
  side_clear (&b);
}

static gboolean
b_has_n (gpointer data)
{
  Want *w = data;
  g_assert_false (w->a->down || w->b->down);
  return w->b->messages->len >= w->n_b;
}

static gboolean
drop_index_1 (ReloadDtlsLink *link, guint8 frame_type, guint32 sequence, gpointer user_data)
{
  g_assert_cmpuint (frame_type, ==, RELOAD_FRAME_DATA);
  return sequence == 1;
}

/* A lost record stays lost (the application retransmits, RFC 3261 §17),
 * and a silent peer does not bring the link down: no acks are awaited. */
static void
test_datagram_loss (void)
{
  Side a, b;
  make_datagram_links (&a, &b);
  reload_dtls_link_set_drop_hook (a.link, drop_index_1, NULL);
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  send_numbered (&a, 3, "a");
  w.n_b = 2;
  run_until (b_has_n, &w);
  /* one more after them: the dropped one never comes (loopback keeps
   * the order) */
  send_numbered (&b, 1, "b");
  static const guint8 marker[] = "marker";
  g_assert_true (reload_dtls_link_send (a.link, marker, sizeof marker, NULL));
  w.n_b = 3;
  run_until (b_has_n, &w);
  g_assert_cmpuint (b.messages->len, ==, 3);
  g_assert_cmpmem (g_bytes_get_data (b.messages->pdata[0], NULL),
                   g_bytes_get_size (b.messages->pdata[0]), "a message 0", 11);
  g_assert_cmpmem (g_bytes_get_data (b.messages->pdata[1], NULL),
                   g_bytes_get_size (b.messages->pdata[1]), "a message 2", 11);
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.transmissions, ==, 4);
  g_assert_cmpuint (st.datagrams_dropped, ==, 1);
  g_assert_cmpuint (st.retransmissions, ==, 0);
  g_assert_cmpuint (reload_dtls_link_get_n_in_flight (a.link), ==, 0);

  /* the peer vanishes without close_notify: the link does not notice
   * (no acks, §6.6.3 does not apply); the application's timers do */
  g_socket_close (b.sock, NULL);
  g_clear_pointer (&b.link, reload_dtls_link_free);
  g_assert_true (reload_dtls_link_send (a.link, marker, sizeof marker, NULL));
  g_autoptr (GMainLoop) pause = g_main_loop_new (NULL, FALSE);
  g_timeout_add_once (300, (GSourceOnceFunc) g_main_loop_quit, pause);
  g_main_loop_run (pause);
  g_assert_false (a.down);
  g_assert_true (reload_dtls_link_is_up (a.link));
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.transmissions, ==, 5);
  g_assert_cmpuint (st.retransmissions, ==, 0);
  side_clear (&a);
  side_clear (&b);
}

/* Garbage from the peer's address (not records of the session, or records
 * claiming more than they hold) is discarded by DTLS (RFC 6347
 * §4.1.2.7); the link stays up and the next real message arrives. */
static void
test_datagram_garbage (void)
{
  Side a, b;
  make_datagram_links (&a, &b);
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  g_autofree guint8 *junk = g_malloc (20000);
  for (guint i = 0; i < 20000; i++)
    junk[i] = (guint8) g_test_rand_int ();
  /* an application-data record header (type 23, DTLS 1.2, epoch 1) with
   * a length beyond the datagram, then the same with a length that fits
   * but random content (a bad MAC) */
  junk[0] = 23;
  junk[1] = 0xfe;
  junk[2] = 0xfd;
  junk[3] = 0;
  junk[4] = 1;
  junk[11] = 0xff;
  junk[12] = 0xff;
  const gsize lens[] = { 1, 13, 100, 1500, 9000, 20000 };
  for (guint i = 0; i < G_N_ELEMENTS (lens); i++)
    g_socket_send (b.sock, (const gchar *) junk, lens[i], NULL, NULL);
  junk[11] = (guint8) ((9000 - 13) >> 8);
  junk[12] = (guint8) ((9000 - 13) & 0xff);
  g_socket_send (b.sock, (const gchar *) junk, 9000, NULL, NULL);
  static const guint8 m[] = "after the garbage";
  g_assert_true (reload_dtls_link_send (b.link, m, sizeof m, NULL));
  w.n_a = 1;
  run_until (got_counts, &w);
  g_assert_cmpuint (a.messages->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (a.messages->pdata[0], NULL),
                   g_bytes_get_size (a.messages->pdata[0]), m, sizeof m);
  g_assert_true (reload_dtls_link_is_up (a.link));
  side_clear (&a);
  side_clear (&b);
}

/* One end in datagram mode, the other framed (an overlay link): a record
 * larger than the framed end's MTU, and not a frame, is read whole and
 * refused (PROTOCOL); the framed end's fatal alert ends the datagram end
 * with an error. */
static void
test_datagram_vs_framed (void)
{
  Side a, b;
  side_init (&a);
  side_init (&b);
  make_links (&a, alice_cert, alice_key, ca, &b, bob_cert, bob_key, ca);
  reload_dtls_link_set_mode (a.link, RELOAD_DTLS_LINK_DATAGRAM);
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  g_autoptr (GBytes) big = pattern (6000, 0x33);
  send_bytes (&a, big);
  run_until (both_down, &w);
  g_assert_cmpuint (b.messages->len, ==, 0);
  g_assert_error (b.down_error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_PROTOCOL);
  g_assert_error (a.down_error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TLS);
  g_test_message ("datagram end: %s; framed end: %s", a.down_error->message, b.down_error->message);
  side_clear (&a);
  side_clear (&b);
}

/* The certificate check is the same as in the framed mode. */
static void
test_datagram_untrusted (void)
{
  check_refused (mallory_cert, mallory_key, other_ca, bob_cert, bob_key, ca,
                 RELOAD_DTLS_LINK_DATAGRAM);
  check_refused (alice_cert, alice_key, ca, mallory_cert, mallory_key, ca,
                 RELOAD_DTLS_LINK_DATAGRAM);
}

/* Freed while up: close_notify, `down` without error at the peer. */
static void
test_datagram_peer_freed (void)
{
  Side a, b;
  make_datagram_links (&a, &b);
  Want w = { &a, &b };
  run_until (both_settled, &w);
  g_assert_true (a.up && b.up);
  g_clear_pointer (&b.link, reload_dtls_link_free);
  run_until (a_down, &w);
  g_assert_no_error (a.down_error);
  side_clear (&a);
  side_clear (&b);
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

  g_test_add_func ("/net/dtls-link/handshake", test_handshake);
  g_test_add_func ("/net/dtls-link/messages", test_messages);
  g_test_add_func ("/net/dtls-link/data-loss", test_data_loss);
  g_test_add_func ("/net/dtls-link/ack-loss", test_ack_loss);
  g_test_add_func ("/net/dtls-link/peer-freed", test_peer_freed);
  g_test_add_func ("/net/dtls-link/peer-silent", test_peer_silent);
  g_test_add_func ("/net/dtls-link/untrusted", test_untrusted);
  g_test_add_func ("/net/dtls-link/too-large", test_too_large);
  g_test_add_func ("/net/dtls-link/bad-socket", test_bad_socket);
  g_test_add_func ("/net/dtls-link/datagram/messages", test_datagram_messages);
  g_test_add_func ("/net/dtls-link/datagram/loss", test_datagram_loss);
  g_test_add_func ("/net/dtls-link/datagram/garbage", test_datagram_garbage);
  g_test_add_func ("/net/dtls-link/datagram/vs-framed", test_datagram_vs_framed);
  g_test_add_func ("/net/dtls-link/datagram/untrusted", test_datagram_untrusted);
  g_test_add_func ("/net/dtls-link/datagram/peer-freed", test_datagram_peer_freed);
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
