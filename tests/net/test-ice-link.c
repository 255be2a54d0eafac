/* test-ice-link.c: ReloadIceLink, the link an Attach makes with full ICE
 * (RFC 6940 §6.5.1): two links on 127.0.0.1 exchange what an Attach and
 * its answer carry (ufrag, password, candidates as RELOAD IceCandidates),
 * run the checks, bring DTLS up on the selected pair and carry messages;
 * the same through a real TURN server (coturn) with relayed candidates
 * only; hostile or unusable remote data is refused.  The same in datagram
 * mode, as an AppAttach makes its connection (§6.5.2): one message per
 * DTLS record, large messages (SIP with SDP, RFC 7904 §4), directly and
 * through TURN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-ice-link.h"

#include "reload-dtls-link.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define OVERLAY "chorus.example"
#define GUARD_SECONDS 30
#define TURN_USER "chorus"
#define TURN_PASSWORD "relay-secret"

static ReloadCert *ca;
static ReloadKey *ca_key;
static ReloadCert *alice_cert, *bob_cert;
static ReloadKey *alice_key, *bob_key;
static ReloadNodeId alice_id, bob_id;

typedef struct
{
  ReloadIceLink *link;
  gboolean gathered, up, down;
  GError *down_error;
  ReloadNodeId peer;
  GPtrArray *messages;
} Side;

static gboolean
guard_cb (gpointer data)
{
  g_error ("test timed out");
  return G_SOURCE_REMOVE;
}

static void
run_until (gboolean (*pred) (gpointer), gpointer data)
{
  guint guard = g_timeout_add_seconds (GUARD_SECONDS, guard_cb, NULL);
  while (!pred (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
}

static void
on_gathered (ReloadIceLink *link, gpointer data)
{
  ((Side *) data)->gathered = TRUE;
}

static void
on_up (ReloadIceLink *link, const ReloadCertIdentity *peer, gpointer data)
{
  Side *s = data;
  s->up = TRUE;
  s->peer = peer->node_ids[0];
}

static void
on_message (ReloadIceLink *link, const guint8 *bytes, gsize len, gpointer data)
{
  g_ptr_array_add (((Side *) data)->messages, g_bytes_new (bytes, len));
}

static void
on_down (ReloadIceLink *link, const GError *error, gpointer data)
{
  Side *s = data;
  s->down = TRUE;
  if (error != NULL)
    s->down_error = g_error_copy (error);
}

static const ReloadIceLinkCallbacks callbacks = { on_gathered, on_up, on_message, on_down };
static const char *const loopback[] = { "127.0.0.1", NULL };

static void
side_init_mode (Side *s, gboolean controlling, ReloadCert *cert, ReloadKey *key, guint turn_port,
                gboolean datagram)
{
  memset (s, 0, sizeof *s);
  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ReloadIceLinkConfig cfg = { 0 };
  cfg.controlling = controlling;
  cfg.datagram = datagram;
  cfg.local_addresses = loopback;
  if (turn_port != 0)
    {
      cfg.turn_server = "127.0.0.1";
      cfg.turn_port = turn_port;
      cfg.turn_username = TURN_USER;
      cfg.turn_password = TURN_PASSWORD;
      cfg.relay_only = TRUE;
    }
  g_autoptr (GError) error = NULL;
  s->link = reload_ice_link_new (&cfg, cert, key, ca, &callbacks, s, &error);
  g_assert_no_error (error);
}

static void
side_init_turn (Side *s, gboolean controlling, ReloadCert *cert, ReloadKey *key, guint turn_port)
{
  side_init_mode (s, controlling, cert, key, turn_port, FALSE);
}

static void
side_init (Side *s, gboolean controlling, ReloadCert *cert, ReloadKey *key)
{
  side_init_turn (s, controlling, cert, key, 0);
}

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->link, reload_ice_link_free);
  g_clear_error (&s->down_error);
  g_clear_pointer (&s->messages, g_ptr_array_unref);
}

static gboolean
gathered (gpointer data)
{
  return ((Side *) data)->gathered;
}

static gboolean
both_gathered (gpointer data)
{
  Side **s = data;
  return s[0]->gathered && s[1]->gathered;
}

static gboolean
both_up (gpointer data)
{
  Side **s = data;
  g_assert_false (s[0]->down || s[1]->down);
  return s[0]->up && s[1]->up;
}

static gboolean
both_have (gpointer data)
{
  Side **s = data;
  return s[0]->messages->len >= 10 && s[1]->messages->len >= 10;
}

static gboolean
both_down (gpointer data)
{
  Side **s = data;
  return s[0]->down && s[1]->down;
}

/* What an Attach carries from @from to @to (§6.5.1). */
static void
attach_typed (Side *from, Side *to, guint8 want_type)
{
  g_autoptr (RwArena) arena = rw_arena_new (0);
  RwBytes ufrag, pwd;
  ReloadIceCandidate *cands;
  guint n;
  g_assert_true (reload_ice_link_get_local (from->link, arena, &ufrag, &pwd, &cands, &n));
  g_assert_cmpuint (n, >=, 1);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (cands[i].overlay_link, ==, RELOAD_OVERLAY_LINK_DTLS_UDP_SR);
      g_assert_cmpuint (cands[i].addr_port.type, ==, RELOAD_ADDRESS_IPV4);
      g_assert_cmpuint (cands[i].addr_port.addr[0], ==, 127);
      g_assert_cmpuint (cands[i].type, ==, want_type);
    }
  g_autoptr (GError) error = NULL;
  g_assert_true (reload_ice_link_set_remote (to->link, ufrag, pwd, cands, n, &error));
  g_assert_no_error (error);
}

static void
attach (Side *from, Side *to)
{
  attach_typed (from, to, RELOAD_CAND_HOST);
}

static void
test_attach_and_messages (void)
{
  Side a, b;
  side_init (&a, TRUE, alice_cert, alice_key);
  side_init (&b, FALSE, bob_cert, bob_key);
  Side *both[2] = { &a, &b };
  run_until (both_gathered, both);
  attach (&a, &b); /* the Attach request */
  attach (&b, &a); /* its answer */
  run_until (both_up, both);
  g_assert_cmpmem (a.peer.id, 16, bob_id.id, 16);
  g_assert_cmpmem (b.peer.id, 16, alice_id.id, 16);
  guint8 lt, rt;
  g_assert_true (reload_ice_link_get_selected_types (a.link, &lt, &rt));
  g_assert_cmpuint (lt, ==, RELOAD_CAND_HOST);
  g_assert_cmpuint (rt, ==, RELOAD_CAND_HOST);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_true (reload_ice_link_send (a.link, (const guint8 *) "to bob", 6, NULL));
      g_assert_true (reload_ice_link_send (b.link, (const guint8 *) "to alice", 8, NULL));
    }
  run_until (both_have, both);
  reload_ice_link_close (a.link);
  run_until (both_down, both);
  g_assert_null (a.down_error);
  side_clear (&a);
  side_clear (&b);
}

/* A message of @len bytes, different for each @tag. */
static GBytes *
pattern (gsize len, guint8 tag)
{
  guint8 *d = g_malloc (MAX (len, 1));
  for (gsize i = 0; i < len; i++)
    d[i] = (guint8) (tag + i * 31 + (i >> 9));
  return g_bytes_new_take (d, len);
}

typedef struct
{
  Side *s;
  guint n;
} WantN;

static gboolean
has_n (gpointer data)
{
  WantN *w = data;
  return w->s->messages->len >= w->n;
}

/* Up in datagram mode (both sides gathered, Attach-like exchange done
 * by the caller): 10, 1500, ~6000 bytes and the largest message both ways,
 * each whole; too large fails; close ends both without error. */
static void
datagram_exchange (Side *a, Side *b)
{
  Side *both[2] = { a, b };
  run_until (both_up, both);
  g_assert_cmpmem (a->peer.id, 16, bob_id.id, 16);
  g_assert_cmpmem (b->peer.id, 16, alice_id.id, 16);
  gsize max = reload_ice_link_get_max_message_size (a->link);
  g_assert_cmpuint (max, >=, RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE);
  g_assert_cmpuint (max, <, RELOAD_DTLS_LINK_DATAGRAM_MTU);
  const gsize sizes[] = { 10, 1500, 6000, max };
  GBytes *to_b[G_N_ELEMENTS (sizes)], *to_a[G_N_ELEMENTS (sizes)];
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      to_b[i] = pattern (sizes[i], (guint8) (0x20 + i));
      to_a[i] = pattern (sizes[i], (guint8) (0xa0 + i));
      g_autoptr (GError) error = NULL;
      g_assert_true (
          reload_ice_link_send (a->link, g_bytes_get_data (to_b[i], NULL), sizes[i], &error));
      g_assert_no_error (error);
      g_assert_true (
          reload_ice_link_send (b->link, g_bytes_get_data (to_a[i], NULL), sizes[i], &error));
      g_assert_no_error (error);
    }
  WantN wa = { a, G_N_ELEMENTS (sizes) }, wb = { b, G_N_ELEMENTS (sizes) };
  run_until (has_n, &wa);
  run_until (has_n, &wb);
  /* nothing lost on the loopback; compared as a set (no ordering) */
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gboolean in_a = FALSE, in_b = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
        {
          in_b |= g_bytes_equal (b->messages->pdata[k], to_b[i]);
          in_a |= g_bytes_equal (a->messages->pdata[k], to_a[i]);
        }
      g_assert_true (in_a && in_b);
      g_bytes_unref (to_b[i]);
      g_bytes_unref (to_a[i]);
    }
  g_autofree guint8 *big = g_malloc0 (max + 1);
  g_autoptr (GError) error = NULL;
  g_assert_false (reload_ice_link_send (a->link, big, max + 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE);
  g_assert_true (reload_ice_link_is_up (a->link));
  reload_ice_link_close (a->link);
  run_until (both_down, both);
  g_assert_null (a->down_error);
  g_assert_null (b->down_error);
}

static void
test_datagram (void)
{
  Side a, b;
  side_init_mode (&a, TRUE, alice_cert, alice_key, 0, TRUE);
  side_init_mode (&b, FALSE, bob_cert, bob_key, 0, TRUE);
  g_assert_cmpuint (reload_ice_link_get_max_message_size (a.link), ==,
                    RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE);
  ReloadIpAddressPort la, ra;
  g_assert_false (reload_ice_link_get_selected_addresses (a.link, &la, &ra));
  Side *both[2] = { &a, &b };
  run_until (both_gathered, both);
  attach (&a, &b); /* the AppAttach request */
  attach (&b, &a); /* its answer */
  run_until (both_up, both);
  /* the selected pair: each end's remote address is the other's local */
  ReloadIpAddressPort lb, rb;
  g_assert_true (reload_ice_link_get_selected_addresses (a.link, &la, &ra));
  g_assert_true (reload_ice_link_get_selected_addresses (b.link, &lb, NULL));
  g_assert_true (reload_ice_link_get_selected_addresses (b.link, NULL, &rb));
  g_assert_cmpuint (ra.type, ==, RELOAD_ADDRESS_IPV4);
  g_assert_cmpmem (ra.addr, 4, "\x7f\0\0\x01", 4);
  g_assert_cmpuint (ra.port, !=, 0);
  g_assert_cmpuint (ra.port, ==, lb.port);
  g_assert_cmpuint (la.port, ==, rb.port);
  datagram_exchange (&a, &b);
  side_clear (&a);
  side_clear (&b);
}

static void
test_bad_remote (void)
{
  Side a;
  side_init (&a, TRUE, alice_cert, alice_key);
  run_until (gathered, &a);
  g_autoptr (GError) error = NULL;
  ReloadIceCandidate c = { 0 };
  c.addr_port.type = RELOAD_ADDRESS_IPV4;
  c.addr_port.addr[0] = 127;
  c.addr_port.addr[3] = 1;
  c.addr_port.port = 9;
  c.overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR;
  c.type = RELOAD_CAND_HOST;
  c.priority = 1;
  RwBytes good_ufrag = { (const guint8 *) "abcd", 4 };
  RwBytes good_pwd = { (const guint8 *) "0123456789abcdefghijkl", 22 };
  /* RFC 8445 §5.3: a password shorter than 22 characters */
  g_assert_false (reload_ice_link_set_remote (
      a.link, good_ufrag, (RwBytes){ (const guint8 *) "short", 5 }, &c, 1, &error));
  g_assert_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID);
  g_clear_error (&error);
  /* only a No-ICE candidate: nothing for ICE */
  c.overlay_link = RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE;
  g_assert_false (reload_ice_link_set_remote (a.link, good_ufrag, good_pwd, &c, 1, &error));
  g_assert_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID);
  g_clear_error (&error);
  /* port 0 */
  c.overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR;
  c.addr_port.port = 0;
  g_assert_false (reload_ice_link_set_remote (a.link, good_ufrag, good_pwd, &c, 1, &error));
  g_assert_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID);
  side_clear (&a);
}

/* ---- through a real TURN server (coturn, RFC 5766) on 127.0.0.1 ---- */

typedef struct
{
  GSubprocess *proc;
  guint port;
} Turn;

static guint
free_udp_port (void)
{
  g_autoptr (GSocket) sock =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* coturn with one long-term credential, relaying on loopback, its
 * database in a temporary directory; ready when it says so. */
static void
turn_start (Turn *t, const char *dir)
{
  t->port = free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("--listening-port=%u", t->port);
  g_autofree char *db = g_strdup_printf ("--userdb=%s/turndb", dir);
  g_autofree char *pid = g_strdup_printf ("--pidfile=%s/turn.pid", dir);
  g_autofree char *user = g_strdup_printf ("--user=%s:%s", TURN_USER, TURN_PASSWORD);
  g_autoptr (GError) error = NULL;
  t->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              &error, "turnserver", "-n", "--listening-ip=127.0.0.1", listen,
                              "--relay-ip=127.0.0.1", "--min-port=49152", "--max-port=65535",
                              "--allow-loopback-peers", "--lt-cred-mech", user, "--realm=" OVERLAY,
                              "--no-tls", "--no-dtls", "--no-cli", "--no-tcp-relay",
                              "--log-file=stdout", "--simple-log", db, pid, NULL);
  g_assert_no_error (error);
  g_autoptr (GDataInputStream) out =
      g_data_input_stream_new (g_subprocess_get_stdout_pipe (t->proc));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line); /* coturn exited before it was ready */
      if (strstr (line, "Total General servers") != NULL)
        break;
    }
}

static void
turn_stop (Turn *t)
{
  g_subprocess_send_signal (t->proc, SIGTERM);
  g_subprocess_wait (t->proc, NULL, NULL);
  g_clear_object (&t->proc);
}

static void
test_turn_relay (void)
{
  g_autofree char *dir = g_dir_make_tmp ("chorus-turn-XXXXXX", NULL);
  Turn turn;
  turn_start (&turn, dir);
  Side a, b;
  side_init_turn (&a, TRUE, alice_cert, alice_key, turn.port);
  side_init_turn (&b, FALSE, bob_cert, bob_key, turn.port);
  Side *both[2] = { &a, &b };
  run_until (both_gathered, both);
  /* relay_only: the Attach carries relayed candidates alone (§6.5.1.3) */
  attach_typed (&a, &b, RELOAD_CAND_RELAY);
  attach_typed (&b, &a, RELOAD_CAND_RELAY);
  run_until (both_up, both);
  guint8 lt, rt;
  g_assert_true (reload_ice_link_get_selected_types (a.link, &lt, &rt));
  g_assert_cmpuint (lt, ==, RELOAD_CAND_RELAY);
  g_assert_cmpuint (rt, ==, RELOAD_CAND_RELAY);
  g_assert_cmpmem (a.peer.id, 16, bob_id.id, 16);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_true (reload_ice_link_send (a.link, (const guint8 *) "via turn", 8, NULL));
      g_assert_true (reload_ice_link_send (b.link, (const guint8 *) "and back", 8, NULL));
    }
  run_until (both_have, both);
  reload_ice_link_close (a.link);
  run_until (both_down, both);
  side_clear (&a);
  side_clear (&b);
  turn_stop (&turn);
  g_autofree char *f1 = g_build_filename (dir, "turndb", NULL);
  g_autofree char *f2 = g_build_filename (dir, "turn.pid", NULL);
  g_unlink (f1);
  g_unlink (f2);
  g_rmdir (dir);
}

/* Datagram mode through TURN: large messages relayed whole. */
static void
test_turn_datagram (void)
{
  g_autofree char *dir = g_dir_make_tmp ("chorus-turn-XXXXXX", NULL);
  Turn turn;
  turn_start (&turn, dir);
  Side a, b;
  side_init_mode (&a, TRUE, alice_cert, alice_key, turn.port, TRUE);
  side_init_mode (&b, FALSE, bob_cert, bob_key, turn.port, TRUE);
  Side *both[2] = { &a, &b };
  run_until (both_gathered, both);
  attach_typed (&a, &b, RELOAD_CAND_RELAY);
  attach_typed (&b, &a, RELOAD_CAND_RELAY);
  run_until (both_up, both);
  guint8 lt, rt;
  g_assert_true (reload_ice_link_get_selected_types (a.link, &lt, &rt));
  g_assert_cmpuint (lt, ==, RELOAD_CAND_RELAY);
  g_assert_cmpuint (rt, ==, RELOAD_CAND_RELAY);
  datagram_exchange (&a, &b);
  side_clear (&a);
  side_clear (&b);
  turn_stop (&turn);
  g_autofree char *f1 = g_build_filename (dir, "turndb", NULL);
  g_autofree char *f2 = g_build_filename (dir, "turn.pid", NULL);
  g_unlink (f1);
  g_unlink (f2);
  g_rmdir (dir);
}

static ReloadCert *
issue (ReloadKey **key, const char *user, ReloadNodeId *id, guint8 fill)
{
  g_autoptr (GError) error = NULL;
  id->len = 16;
  memset (id->id, fill, 16);
  *key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);
  ReloadCert *c = reload_credentials_issue_peer (ca, ca_key, *key, user, OVERLAY, id, 1, 0, &error);
  g_assert_no_error (error);
  return c;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  alice_cert = issue (&alice_key, "alice@" OVERLAY, &alice_id, 0xa1);
  bob_cert = issue (&bob_key, "bob@" OVERLAY, &bob_id, 0xb0);
  g_test_add_func ("/net/ice-link/attach-and-messages", test_attach_and_messages);
  g_test_add_func ("/net/ice-link/bad-remote", test_bad_remote);
  g_test_add_func ("/net/ice-link/turn-relay", test_turn_relay);
  g_test_add_func ("/net/ice-link/datagram", test_datagram);
  g_test_add_func ("/net/ice-link/turn-datagram", test_turn_datagram);
  int r = g_test_run ();
  reload_cert_unref (alice_cert);
  reload_cert_unref (bob_cert);
  reload_key_free (alice_key);
  reload_key_free (bob_key);
  reload_cert_unref (ca);
  reload_key_free (ca_key);
  return r;
}
