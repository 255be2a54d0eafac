/* test-ice-dtls.c: the DTLS link with Simple Reliability (RFC 6940
 * §6.6.4) on the selected pair of real ICE agents (libnice, RFC 8445),
 * as §6.5.1 has it: "the ICE checks ... then DTLS on the selected pair".
 *
 * Two NiceAgents in one process gather host candidates on 127.0.0.1 (UPnP
 * off), exchange credentials and candidates as two Attach messages would
 * carry them, run the connectivity checks until the controlling agent has
 * nominated a pair, and then a DTLS link runs over each agent's component:
 * mutual certificate authentication, data both ways, acks, an orderly
 * close.  A flood of datagrams beyond the link's receive queue is dropped,
 * not buffered.
 *
 * The same in datagram mode, as an AppAttach connection carries SIP
 * (§6.5.2, RFC 7904 §4): what each agent sends is inspected, one datagram
 * holding one application-data record per message, exactly the message's
 * length plus the record's overhead (no frame header), and no ack going
 * back; messages up to RELOAD_DTLS_LINK_DATAGRAM_MTU go through libnice
 * whole.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-dtls-link.h"

#include <agent.h>
#include <string.h>

#define OVERLAY "chorus.example"
#define GUARD_SECONDS 30

static ReloadCert *ca;
static ReloadKey *ca_key;
static ReloadCert *alice_cert, *bob_cert;
static ReloadKey *alice_key, *bob_key;
static ReloadNodeId alice_id, bob_id;

typedef struct
{
  NiceAgent *agent;
  guint stream;
  gboolean gathered;
  gboolean ready;
  gboolean failed;
  ReloadDtlsLink *link;
  gboolean up, down;
  GError *down_error;
  GPtrArray *messages;
  guint datagrams;
  guint want_messages;
  /* what the link gave the agent: application-data records (content type
   * 23, RFC 6347 §4.1) and their datagram lengths */
  guint app_records_sent;
  GArray *app_record_lens; /* gsize */
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
on_gathered (NiceAgent *agent, guint stream, gpointer data)
{
  ((Side *) data)->gathered = TRUE;
}

static void
on_state (NiceAgent *agent, guint stream, guint component, guint state, gpointer data)
{
  Side *s = data;
  if (state == NICE_COMPONENT_STATE_READY)
    s->ready = TRUE;
  else if (state == NICE_COMPONENT_STATE_FAILED)
    s->failed = TRUE;
}

static void
on_recv (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
  Side *s = data;
  s->datagrams++;
  if (s->link != NULL)
    reload_dtls_link_receive (s->link, (const guint8 *) buf, len);
}

static void
side_init (Side *s, gboolean controlling)
{
  memset (s, 0, sizeof *s);
  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  s->app_record_lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  s->agent = nice_agent_new (g_main_context_default (), NICE_COMPATIBILITY_RFC5245);
  /* no UPnP (it would talk to the LAN's router), no TCP candidates */
  g_object_set (s->agent, "upnp", FALSE, "controlling-mode", controlling, "ice-tcp", FALSE, NULL);
  NiceAddress lo;
  nice_address_init (&lo);
  g_assert_true (nice_address_set_from_string (&lo, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (s->agent, &lo));
  g_signal_connect (s->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), s);
  g_signal_connect (s->agent, "component-state-changed", G_CALLBACK (on_state), s);
  s->stream = nice_agent_add_stream (s->agent, 1);
  g_assert_cmpuint (s->stream, >, 0);
  g_assert_true (
      nice_agent_attach_recv (s->agent, s->stream, 1, g_main_context_default (), on_recv, s));
  g_assert_true (nice_agent_gather_candidates (s->agent, s->stream));
}

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->link, reload_dtls_link_free);
  nice_agent_attach_recv (s->agent, s->stream, 1, g_main_context_default (), NULL, NULL);
  g_clear_object (&s->agent);
  g_clear_error (&s->down_error);
  g_clear_pointer (&s->messages, g_ptr_array_unref);
  g_clear_pointer (&s->app_record_lens, g_array_unref);
}

/* What an Attach and its answer carry (§6.5.1): ufrag, password and the
 * candidates. */
static void
tell (Side *from, Side *to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  g_assert_true (nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd));
  g_assert_true (nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd));
  g_free (ufrag);
  g_free (pwd);
  GSList *cands = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  g_assert_nonnull (cands);
  g_assert_cmpint (nice_agent_set_remote_candidates (to->agent, to->stream, 1, cands), >, 0);
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);
}

static gboolean
both_gathered (gpointer data)
{
  Side **s = data;
  return s[0]->gathered && s[1]->gathered;
}

static gboolean
both_ready (gpointer data)
{
  Side **s = data;
  g_assert_false (s[0]->failed || s[1]->failed);
  return s[0]->ready && s[1]->ready;
}

static void
link_send (gpointer data, const guint8 *bytes, gsize len)
{
  Side *s = data;
  if (len >= 13 && bytes[0] == 23)
    {
      s->app_records_sent++;
      g_array_append_val (s->app_record_lens, len);
    }
  /* a datagram the agent does not take is lost; SR sends it again */
  gint r = nice_agent_send (s->agent, s->stream, 1, (guint) len, (const gchar *) bytes);
  /* loopback: libnice takes every record whole, the largest included */
  if (len >= 13 && bytes[0] == 23)
    g_assert_cmpint (r, ==, (gint) len);
}

static const ReloadDtlsTransport transport = { link_send };

static void
on_up (ReloadDtlsLink *link, const ReloadCertIdentity *peer, gpointer data)
{
  ((Side *) data)->up = TRUE;
}

static void
on_message (ReloadDtlsLink *link, const guint8 *bytes, gsize len, gpointer data)
{
  g_ptr_array_add (((Side *) data)->messages, g_bytes_new (bytes, len));
}

static void
on_down (ReloadDtlsLink *link, const GError *error, gpointer data)
{
  Side *s = data;
  s->down = TRUE;
  if (error != NULL)
    s->down_error = g_error_copy (error);
}

static const ReloadDtlsLinkCallbacks callbacks = { on_up, on_message, on_down };

static gboolean
both_up (gpointer data)
{
  Side **s = data;
  g_assert_false (s[0]->down || s[1]->down);
  return s[0]->up && s[1]->up;
}

static gboolean
all_delivered (gpointer data)
{
  Side **s = data;
  return s[0]->messages->len >= 20 && s[1]->messages->len >= 20
         && reload_dtls_link_get_n_in_flight (s[0]->link) == 0
         && reload_dtls_link_get_n_in_flight (s[1]->link) == 0;
}

static gboolean
both_down (gpointer data)
{
  Side **s = data;
  return s[0]->down && s[1]->down;
}

static gboolean
got_one_more (gpointer data)
{
  Side *s = data;
  return s->messages->len >= s->want_messages;
}

/* Two agents with a selected pair (a controlling). */
static void
ice_pair (Side *a, Side *b)
{
  side_init (a, TRUE);
  side_init (b, FALSE);
  Side *both[2] = { a, b };
  run_until (both_gathered, both);

  /* the Attach request carries a's, its answer b's (§6.5.1) */
  tell (a, b);
  tell (b, a);
  run_until (both_ready, both);
}

static void
test_dtls_on_ice_pair (void)
{
  Side a, b;
  ice_pair (&a, &b);
  Side *both[2] = { &a, &b };

  /* owned by the agent (transfer none) */
  NiceCandidate *la = NULL, *ra = NULL;
  g_assert_true (nice_agent_get_selected_pair (a.agent, a.stream, 1, &la, &ra));
  g_assert_cmpint (la->transport, ==, NICE_CANDIDATE_TRANSPORT_UDP);

  /* DTLS on the selected pair: the controlling agent is the client */
  g_autoptr (GError) error = NULL;
  a.link = reload_dtls_link_new_for_transport (&transport, &a, RELOAD_DTLS_LINK_CLIENT, alice_cert,
                                               alice_key, ca, &callbacks, &a, &error);
  g_assert_no_error (error);
  b.link = reload_dtls_link_new_for_transport (&transport, &b, RELOAD_DTLS_LINK_SERVER, bob_cert,
                                               bob_key, ca, &callbacks, &b, &error);
  g_assert_no_error (error);
  run_until (both_up, both);
  /* each end knows the other's Node-ID from its certificate (§6.5.1.11) */
  g_assert_cmpmem (reload_dtls_link_get_peer_node_id (a.link, 0)->id, 16, bob_id.id, 16);
  g_assert_cmpmem (reload_dtls_link_get_peer_node_id (b.link, 0)->id, 16, alice_id.id, 16);

  for (guint i = 0; i < 20; i++)
    {
      char text[64];
      g_snprintf (text, sizeof text, "message %u over ICE", i);
      g_assert_true (reload_dtls_link_send (a.link, (const guint8 *) text, strlen (text), NULL));
      g_assert_true (reload_dtls_link_send (b.link, (const guint8 *) text, strlen (text), NULL));
    }
  run_until (all_delivered, both);
  for (guint i = 0; i < 20; i++)
    {
      char text[64];
      g_snprintf (text, sizeof text, "message %u over ICE", i);
      g_autoptr (GBytes) want = g_bytes_new (text, strlen (text));
      gboolean found = FALSE;
      for (guint k = 0; k < b.messages->len && !found; k++)
        found = g_bytes_equal (want, b.messages->pdata[k]);
      g_assert_true (found);
    }
  ReloadDtlsLinkStats st;
  reload_dtls_link_get_stats (a.link, &st);
  g_assert_cmpuint (st.messages_acked, ==, 20);

  /* a flood of datagrams on the pair: the link keeps at most
   * RELOAD_DTLS_LINK_MAX_RECEIVED of them waiting, and survives */
  guint8 junk[200];
  memset (junk, 0x17, sizeof junk);
  for (guint i = 0; i < 4 * RELOAD_DTLS_LINK_MAX_RECEIVED; i++)
    reload_dtls_link_receive (b.link, junk, sizeof junk);
  g_assert_true (reload_dtls_link_send (a.link, (const guint8 *) "after", 5, NULL));
  b.want_messages = b.messages->len + 1;
  run_until (got_one_more, &b);
  g_assert_false (b.down);

  reload_dtls_link_close (a.link);
  run_until (both_down, both);
  g_assert_null (a.down_error);

  side_clear (&a);
  side_clear (&b);
}

static gboolean
b_has_want (gpointer data)
{
  Side **s = data;
  g_assert_false (s[0]->down || s[1]->down);
  return s[1]->messages->len >= s[1]->want_messages;
}

/* A message of @len bytes, different for each @tag. */
static GBytes *
pattern (gsize len, guint8 tag)
{
  guint8 *d = g_malloc (MAX (len, 1));
  for (gsize i = 0; i < len; i++)
    d[i] = (guint8) (tag ^ (i * 13) ^ (i >> 8));
  return g_bytes_new_take (d, len);
}

/* Datagram mode on the selected pair (an AppAttach connection, §6.5.2):
 * 10, 1500, ~6000 bytes and the largest message, each one datagram of one
 * record of the message alone, and nothing back. */
static void
test_datagram_on_ice_pair (void)
{
  Side a, b;
  ice_pair (&a, &b);
  Side *both[2] = { &a, &b };
  g_autoptr (GError) error = NULL;
  a.link = reload_dtls_link_new_for_transport (&transport, &a, RELOAD_DTLS_LINK_CLIENT, alice_cert,
                                               alice_key, ca, &callbacks, &a, &error);
  g_assert_no_error (error);
  b.link = reload_dtls_link_new_for_transport (&transport, &b, RELOAD_DTLS_LINK_SERVER, bob_cert,
                                               bob_key, ca, &callbacks, &b, &error);
  g_assert_no_error (error);
  reload_dtls_link_set_mode (a.link, RELOAD_DTLS_LINK_DATAGRAM);
  reload_dtls_link_set_mode (b.link, RELOAD_DTLS_LINK_DATAGRAM);
  run_until (both_up, both);
  g_assert_cmpmem (reload_dtls_link_get_peer_node_id (a.link, 0)->id, 16, bob_id.id, 16);
  g_assert_cmpmem (reload_dtls_link_get_peer_node_id (b.link, 0)->id, 16, alice_id.id, 16);

  gsize max = reload_dtls_link_get_max_message_size (a.link);
  g_assert_cmpuint (max, >=, RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE);
  /* an AEAD suite (NORMAL prefers them): the record's overhead is fixed,
   * the MTU is exactly the largest message plus it */
  gsize overhead = RELOAD_DTLS_LINK_DATAGRAM_MTU - max;
  g_test_message ("largest message %" G_GSIZE_FORMAT ", record overhead %" G_GSIZE_FORMAT, max,
                  overhead);

  /* from now on, what the links send */
  a.app_records_sent = b.app_records_sent = 0;
  g_array_set_size (a.app_record_lens, 0);
  g_array_set_size (b.app_record_lens, 0);
  const gsize sizes[] = { 10, 1500, 6000, max };
  GBytes *sent[G_N_ELEMENTS (sizes)];
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      sent[i] = pattern (sizes[i], (guint8) (0x40 + i));
      gsize len = 0;
      const guint8 *d = g_bytes_get_data (sent[i], &len);
      g_assert_true (reload_dtls_link_send (a.link, d, len, &error));
      g_assert_no_error (error);
    }
  b.want_messages = G_N_ELEMENTS (sizes);
  run_until (b_has_want, both);
  g_assert_cmpuint (b.messages->len, ==, G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_assert_true (g_bytes_equal (b.messages->pdata[i], sent[i]));
      g_bytes_unref (sent[i]);
    }
  /* one datagram per message, each the message and a record header and
   * AEAD overhead, no frame header (§6.6.2 would add 8 bytes) */
  g_assert_cmpuint (a.app_records_sent, ==, G_N_ELEMENTS (sizes));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    g_assert_cmpuint (g_array_index (a.app_record_lens, gsize, i), ==, sizes[i] + overhead);
  g_assert_cmpuint (g_array_index (a.app_record_lens, gsize, G_N_ELEMENTS (sizes) - 1), ==,
                    RELOAD_DTLS_LINK_DATAGRAM_MTU);
  /* and no ack back */
  g_assert_cmpuint (b.app_records_sent, ==, 0);
  ReloadDtlsLinkStats sa, sb;
  reload_dtls_link_get_stats (a.link, &sa);
  reload_dtls_link_get_stats (b.link, &sb);
  g_assert_cmpuint (sb.acks_sent, ==, 0);
  g_assert_cmpuint (sa.acks_received, ==, 0);
  g_assert_cmpuint (sa.retransmissions, ==, 0);
  g_assert_cmpuint (sb.frames_received, ==, G_N_ELEMENTS (sizes));

  /* too large for one record */
  g_autofree guint8 *big = g_malloc0 (max + 1);
  g_assert_false (reload_dtls_link_send (a.link, big, max + 1, &error));
  g_assert_error (error, RELOAD_DTLS_LINK_ERROR, RELOAD_DTLS_LINK_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* the other way, and garbage on the pair is discarded */
  guint8 junk[3000];
  memset (junk, 0x17, sizeof junk);
  reload_dtls_link_receive (a.link, junk, sizeof junk);
  g_assert_true (reload_dtls_link_send (b.link, (const guint8 *) "back", 4, NULL));
  a.want_messages = 1;
  run_until (got_one_more, &a);
  g_assert_cmpmem (g_bytes_get_data (a.messages->pdata[0], NULL),
                   g_bytes_get_size (a.messages->pdata[0]), "back", 4);

  reload_dtls_link_close (b.link);
  run_until (both_down, both);
  g_assert_null (a.down_error);
  g_assert_null (b.down_error);
  side_clear (&a);
  side_clear (&b);
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
  g_test_add_func ("/net/ice-dtls/selected-pair", test_dtls_on_ice_pair);
  g_test_add_func ("/net/ice-dtls/datagram", test_datagram_on_ice_pair);
  int r = g_test_run ();
  reload_cert_unref (alice_cert);
  reload_cert_unref (bob_cert);
  reload_key_free (alice_key);
  reload_key_free (bob_key);
  reload_cert_unref (ca);
  reload_key_free (ca_key);
  return r;
}
