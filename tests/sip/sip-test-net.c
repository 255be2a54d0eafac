/* sip-test-net.c: an in-memory network of user agents (sip-test-net.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "sip-test-net.h"

#include <string.h>

typedef struct
{
  TestUa *peer;
  ChorusSipConnId peer_conn;
} Link;

typedef struct
{
  TestUa *from;
  TestUa *to;
  ChorusSipConnId conn; /* the receiver's */
  GBytes *bytes;
} Packet;

static void
packet_free (Packet *p)
{
  g_bytes_unref (p->bytes);
  g_free (p);
}

static void
event_free (gpointer p)
{
  TestEvent *e = p;
  g_free (e->from);
  g_free (e->to);
  g_free (e->body);
  g_free (e->allow);
  g_clear_pointer (&e->local_sdp, chorus_sdp_session_free);
  g_clear_pointer (&e->remote_sdp, chorus_sdp_session_free);
  g_free (e);
}

static void
ua_free (TestUa *u)
{
  chorus_sip_ua_free (u->ua);
  g_ptr_array_unref (u->events);
  g_ptr_array_unref (u->sent);
  g_hash_table_unref (u->links);
  g_free (u->name);
  g_free (u);
}

TestNet *
test_net_new (void)
{
  TestNet *net = g_new0 (TestNet, 1);
  net->now = 1000;
  net->uas = g_ptr_array_new_with_free_func ((GDestroyNotify) ua_free);
  net->next_conn = 1;
  return net;
}

void
test_net_free (TestNet *net)
{
  g_queue_clear_full (&net->queue, (GDestroyNotify) packet_free);
  g_queue_clear_full (&net->held, (GDestroyNotify) packet_free);
  g_ptr_array_unref (net->uas);
  g_free (net);
}

void
test_net_set_filter (TestNet *net, TestFilter filter, gpointer data)
{
  net->filter = filter;
  net->filter_data = data;
}

static void
on_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  TestUa *u = user_data;
  GBytes *bytes = g_bytes_new (data, len);
  g_ptr_array_add (u->sent, g_bytes_ref (bytes));
  Link *link = g_hash_table_lookup (u->links, &conn);
  if (link == NULL)
    {
      g_bytes_unref (bytes);
      return; /* a connection of no link (the torture tests) */
    }
  Packet *p = g_new0 (Packet, 1);
  p->from = u;
  p->to = link->peer;
  p->conn = link->peer_conn;
  p->bytes = bytes;
  TestVerdict v = TEST_PASS;
  if (u->net->filter)
    {
      g_autofree char *text = g_strndup ((const char *) data, len);
      v = u->net->filter (u, p->to, text, u->net->filter_data);
    }
  if (v == TEST_DROP)
    packet_free (p);
  else if (v == TEST_HOLD)
    g_queue_push_tail (&u->net->held, p);
  else
    g_queue_push_tail (&u->net->queue, p);
}

static void
on_event (const ChorusSipEvent *ev, gpointer user_data)
{
  TestUa *u = user_data;
  TestEvent *e = g_new0 (TestEvent, 1);
  e->type = ev->type;
  e->call = ev->call;
  e->request = ev->request;
  e->conn = ev->conn;
  e->status = ev->status;
  e->reason = ev->reason;
  e->from = g_strdup (ev->from);
  e->to = g_strdup (ev->to);
  e->body = ev->body ? g_strndup (ev->body, ev->body_len) : NULL;
  e->allow = g_strdup (ev->allow);
  e->local_sdp = ev->local_sdp ? chorus_sdp_session_copy (ev->local_sdp) : NULL;
  e->remote_sdp = ev->remote_sdp ? chorus_sdp_session_copy (ev->remote_sdp) : NULL;
  g_ptr_array_add (u->events, e);
  if (ev->type == CHORUS_SIP_EVENT_INCOMING_CALL && u->auto_ring)
    g_assert_true (chorus_sip_ua_ring (u->ua, ev->call, u->auto_ring, u->net->now, NULL));
}

ChorusSdpSession *
test_media (const char *address)
{
  ChorusSdpSession *s = chorus_sdp_session_new_local (
      address, 9, "ufrag1", "pwd0123456789012345678",
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
      "67:89");
  g_ptr_array_add (s->candidates, chorus_sdp_candidate_parse (
                                      "1 1 UDP 2130706431 192.0.2.1 50000 typ host", NULL));
  s->end_of_candidates = TRUE;
  return s;
}

TestUa *
test_net_add_ua (TestNet *net, const char *name, const char *aor, const ChorusSdpSession *media,
                 gboolean check_request_uri)
{
  TestUa *u = g_new0 (TestUa, 1);
  u->net = net;
  u->name = g_strdup (name);
  u->events = g_ptr_array_new_with_free_func (event_free);
  u->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  u->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autofree char *host = g_strdup_printf ("%s.invalid", name);
  ChorusSipUaConfig cfg = {
    .aor = aor,
    .via_host = host,
    .media = media,
    .check_request_uri = check_request_uri,
    .seed = net->uas->len + 1,
  };
  ChorusSipUaCallbacks cb = { .send = on_send, .event = on_event };
  g_autoptr (GError) error = NULL;
  u->ua = chorus_sip_ua_new (&cfg, &cb, u, &error);
  g_assert_no_error (error);
  g_ptr_array_add (net->uas, u);
  return u;
}

ChorusSipConnId
test_net_link (TestNet *net, TestUa *a, TestUa *b, gboolean reliable, ChorusSipConnId *b_conn)
{
  ChorusSipConnId ca = net->next_conn++, cb = net->next_conn++;
  Link *la = g_new0 (Link, 1);
  la->peer = b;
  la->peer_conn = cb;
  g_hash_table_insert (a->links, g_memdup2 (&ca, sizeof ca), la);
  Link *lb = g_new0 (Link, 1);
  lb->peer = a;
  lb->peer_conn = ca;
  g_hash_table_insert (b->links, g_memdup2 (&cb, sizeof cb), lb);
  chorus_sip_ua_connection_add (a->ua, ca, reliable);
  chorus_sip_ua_connection_add (b->ua, cb, reliable);
  if (b_conn)
    *b_conn = cb;
  return ca;
}

void
test_net_run (TestNet *net)
{
  Packet *p;
  guint guard = 0;
  while ((p = g_queue_pop_head (&net->queue)) != NULL)
    {
      g_assert_cmpuint (++guard, <, 100000);
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (p->bytes, &len);
      chorus_sip_ua_receive (p->to->ua, p->conn, data, len, net->now, NULL);
      packet_free (p);
    }
}

void
test_net_release (TestNet *net)
{
  Packet *p;
  while ((p = g_queue_pop_head (&net->held)) != NULL)
    g_queue_push_tail (&net->queue, p);
  test_net_run (net);
}

void
test_net_advance (TestNet *net, gint64 ms)
{
  gint64 end = net->now + ms;
  test_net_run (net);
  for (guint guard = 0;; guard++)
    {
      g_assert_cmpuint (guard, <, 100000);
      gint64 next = -1;
      for (guint i = 0; i < net->uas->len; i++)
        {
          TestUa *u = g_ptr_array_index (net->uas, i);
          gint64 t = chorus_sip_ua_next_timeout (u->ua);
          if (t >= 0 && (next < 0 || t < next))
            next = t;
        }
      if (next < 0 || next > end)
        break;
      if (next > net->now)
        net->now = next;
      for (guint i = 0; i < net->uas->len; i++)
        {
          TestUa *u = g_ptr_array_index (net->uas, i);
          chorus_sip_ua_tick (u->ua, net->now);
        }
      test_net_run (net);
    }
  net->now = end;
  for (guint i = 0; i < net->uas->len; i++)
    chorus_sip_ua_tick (((TestUa *) g_ptr_array_index (net->uas, i))->ua, net->now);
  test_net_run (net);
}

TestEvent *
test_ua_last (TestUa *u, ChorusSipEventType type)
{
  for (guint i = u->events->len; i > 0; i--)
    {
      TestEvent *e = g_ptr_array_index (u->events, i - 1);
      if (e->type == type)
        return e;
    }
  return NULL;
}

guint
test_ua_count (TestUa *u, ChorusSipEventType type)
{
  guint n = 0;
  for (guint i = 0; i < u->events->len; i++)
    n += ((TestEvent *) g_ptr_array_index (u->events, i))->type == type;
  return n;
}

guint
test_ua_sent_with (TestUa *u, const char *prefix, const char *needle)
{
  guint n = 0;
  for (guint i = 0; i < u->sent->len; i++)
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (g_ptr_array_index (u->sent, i), &len);
      if (len >= strlen (prefix) && strncmp (data, prefix, strlen (prefix)) == 0)
        {
          g_autofree char *text = g_strndup ((const char *) data, len);
          n += needle == NULL || strstr (text, needle) != NULL;
        }
    }
  return n;
}

guint
test_ua_sent_count (TestUa *u, const char *prefix)
{
  return test_ua_sent_with (u, prefix, NULL);
}

void
test_ua_clear (TestUa *u)
{
  g_ptr_array_set_size (u->events, 0);
  g_ptr_array_set_size (u->sent, 0);
}
