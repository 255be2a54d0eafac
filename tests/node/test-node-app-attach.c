/* test-node-app-attach.c: AppAttach (RFC 6940 §6.5.2) between two peers
 * of a ring, several overlay hops apart, on the simulated network with
 * fixed seeds: the destination's shell gets the request once (its
 * retransmissions, §6.2.1, are absorbed while it prepares the answer),
 * answers at once or later, or refuses (Error_Not_Found for an
 * application it does not serve, §6.5.2.2, or another error); a node
 * without the callback refuses every AppAttach; an AppAttach never
 * answered is forgotten after the request lifetime; at most 256 wait for
 * the shell; an answered one's retransmission gets the same answer; no
 * AppAttach makes an overlay link.
 *
 * The sim-overlay shell has no AppAttach: this file runs the nodes on
 * sim-world with a shell of its own (the test signer,
 * reload_test_security_ops(); host h listens at 10.h.h.h:6084).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node.h"
#include "sim-world.h"

#include <string.h>

#define N_PEERS 24
#define APP_SIP 5060 /* §14.5 */
#define RELIABILITY_MS 3000

typedef struct Net Net;

typedef enum
{
  SHELL_ANSWER_LATER, /* answers after answer_delay_ms */
  SHELL_ANSWER_AT_ONCE,
  SHELL_REFUSE,       /* app_attach returns FALSE */
  SHELL_REFUSE_LATER, /* reload_node_app_attach_refuse (refuse_code) after answer_delay_ms */
  SHELL_HOLD,         /* keeps the tokens, answers nothing */
} Behaviour;

typedef struct
{
  Net *net;
  guint host;
  ReloadNode *node;
  ReloadNodeId id;
  char *user;
  ReloadTestSigner signer;
  ReloadIceCandidate cand;     /* where its node listens */
  ReloadIceCandidate app_cand; /* where its application listens */
  SimTimerId timer;
  gint64 timer_at;
  SimLinkId bootstrap_link;
  GHashTable *links; /* peer host -> link, opening or up */
  gboolean joined;

  /* app_attach */
  guint calls;
  GArray *tokens; /* guint64 */
  ReloadNodeId last_peer;
  char *last_user;
  guint16 last_application;
  char *last_ufrag;
  char *last_role;
  guint last_n_candidates;
  ReloadIpAddressPort last_candidate;
  /* what went by */
  guint app_attach_delivered; /* AppAttachReq at its destination, retransmissions included */
  guint app_attach_hops;
  GBytes *last_request; /* the last AppAttachReq received on a link, as received */
  SimLinkId last_request_link;
  GArray *app_attach_tids; /* guint64: the AppAttachReqs delivered to it */
  GPtrArray *answers_sent; /* GBytes: the answers and errors to those it sent */
} Peer;

/* a delayed answer of a shell */
typedef struct
{
  Peer *p;
  guint64 token;
} Later;

struct Net
{
  SimWorld *world;
  GPtrArray *peers;
  GPtrArray *laters;
  gboolean callback; /* the shells have app_attach */
  Behaviour behaviour;
  gint64 answer_delay_ms;
  guint16 refuse_code;
};

/* ---------------------------------------------------------------- shell */

static gint64
now_ms (Net *net)
{
  return sim_world_now (net->world) / 1000;
}

static void
run_s (Net *net, double seconds)
{
  sim_world_run_until (net->world, sim_world_now (net->world) + (gint64) (seconds * 1e6));
}

static Peer *
peer (Net *net, guint host)
{
  return g_ptr_array_index (net->peers, host);
}

static void reschedule (Peer *p);

static void
timer_fired (SimWorld *world, gpointer data)
{
  Peer *p = data;
  p->timer = SIM_TIMER_NONE;
  p->timer_at = G_MAXINT64;
  reload_node_expire (p->node, now_ms (p->net));
  reschedule (p);
}

static void
reschedule (Peer *p)
{
  gint64 at = reload_node_next_expiry (p->node);
  if (at == p->timer_at)
    return;
  if (p->timer != SIM_TIMER_NONE)
    sim_world_cancel (p->net->world, p->timer);
  p->timer = SIM_TIMER_NONE;
  p->timer_at = at;
  if (at == G_MAXINT64)
    return;
  gint64 at_us = MAX (at * 1000, sim_world_now (p->net->world));
  p->timer = sim_world_host_schedule (p->net->world, p->host, at_us, timer_fired, p);
}

/* the message in @bytes, or NULL (a fragment, garbage) */
static ReloadMessage *
decode (GBytes *bytes)
{
  ReloadMessage *m = reload_message_decode (bytes, NULL, NULL);
  if (m != NULL && m->is_fragment)
    g_clear_pointer (&m, reload_message_free);
  return m;
}

static void
shell_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  Peer *p = shell;
  g_autoptr (GBytes) b = g_bytes_new (data, len);
  g_autoptr (ReloadMessage) m = decode (b);
  if (m != NULL && (m->message_code == RELOAD_APP_ATTACH_ANS || m->message_code == RELOAD_ERROR))
    {
      /* the answer (or error) to an AppAttach this node was the
       * destination of */
      for (guint i = 0; i < p->app_attach_tids->len; i++)
        if (g_array_index (p->app_attach_tids, guint64, i) == m->header.transaction_id)
          {
            g_ptr_array_add (p->answers_sent, g_bytes_ref (b));
            break;
          }
    }
  sim_world_send (p->net->world, (SimLinkId) link, p->host, b);
}

static void
shell_connect (gpointer shell, const ReloadNodeId *peer_id, const ReloadAttachReqAns *remote,
               guint64 token)
{
  Peer *p = shell;
  Net *net = p->net;
  if (remote->n_candidates == 0 || remote->candidates[0].addr_port.addr[0] != 10)
    return;
  const guint8 *a = remote->candidates[0].addr_port.addr;
  guint to = (guint) a[1] << 16 | (guint) a[2] << 8 | a[3];
  if (to >= net->peers->len || to == p->host || memcmp (peer (net, to)->id.id, peer_id->id, 16))
    return;
  /* one link per pair, whichever side asked first (§6.5.1.2) */
  if (g_hash_table_contains (p->links, GUINT_TO_POINTER (to))
      || g_hash_table_contains (peer (net, to)->links, GUINT_TO_POINTER (p->host)))
    return;
  SimLinkId l = sim_world_link_open (net->world, p->host, to);
  if (l != SIM_LINK_NONE)
    g_hash_table_insert (p->links, GUINT_TO_POINTER (to), GUINT_TO_POINTER (l));
}

static void
shell_close (gpointer shell, guint64 link)
{
  Peer *p = shell;
  sim_world_link_close (p->net->world, (SimLinkId) link, p->host);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, p->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (GPOINTER_TO_UINT (v) == link)
      g_hash_table_iter_remove (&it);
}

static void
shell_joined (gpointer shell)
{
  Peer *p = shell;
  p->joined = TRUE;
}

static void
shell_delivered (gpointer shell, guint16 code, guint64 tid, guint hops)
{
  Peer *p = shell;
  if (code != RELOAD_APP_ATTACH_REQ)
    return;
  p->app_attach_delivered++;
  p->app_attach_hops = hops;
  g_array_append_val (p->app_attach_tids, tid);
}

static ReloadAppAttachAns
app_part (Peer *p, const char *ufrag, const char *password, const char *role)
{
  ReloadAppAttachAns a = { 0 };
  a.ufrag = (RwBytes){ (const guint8 *) ufrag, strlen (ufrag) };
  a.password = (RwBytes){ (const guint8 *) password, strlen (password) };
  a.application = APP_SIP;
  a.role = (RwBytes){ (const guint8 *) role, strlen (role) };
  a.candidates = &p->app_cand;
  a.n_candidates = 1;
  return a;
}

static void
answer (Peer *p, guint64 token)
{
  ReloadAppAttachAns a = app_part (p, "bUfr", "b-password-0123456789", "passive");
  reload_node_app_attach_answer (p->node, token, &a, now_ms (p->net));
}

static void
later_fired (SimWorld *world, gpointer data)
{
  Later *l = data;
  Peer *p = l->p;
  if (p->net->behaviour == SHELL_REFUSE_LATER)
    reload_node_app_attach_refuse (p->node, l->token, p->net->refuse_code, "not now",
                                   now_ms (p->net));
  else
    answer (p, l->token);
  reschedule (p);
}

static gboolean
shell_app_attach (gpointer shell, const ReloadNodeId *from, const char *user,
                  const ReloadAppAttachReq *req, guint64 token)
{
  Peer *p = shell;
  Net *net = p->net;
  p->calls++;
  g_array_append_val (p->tokens, token);
  p->last_peer = *from;
  g_free (p->last_user);
  p->last_user = g_strdup (user);
  p->last_application = req->application;
  g_free (p->last_ufrag);
  p->last_ufrag = g_strndup ((const char *) req->ufrag.data, req->ufrag.len);
  g_free (p->last_role);
  p->last_role = g_strndup ((const char *) req->role.data, req->role.len);
  p->last_n_candidates = req->n_candidates;
  if (req->n_candidates > 0)
    p->last_candidate = req->candidates[0].addr_port;
  switch (net->behaviour)
    {
    case SHELL_REFUSE:
      return FALSE;
    case SHELL_ANSWER_AT_ONCE:
      answer (p, token); /* from within the callback */
      return TRUE;
    case SHELL_ANSWER_LATER:
    case SHELL_REFUSE_LATER:
      {
        Later *l = g_new0 (Later, 1);
        l->p = p;
        l->token = token;
        g_ptr_array_add (net->laters, l);
        sim_world_host_schedule (net->world, p->host,
                                 sim_world_now (net->world) + net->answer_delay_ms * 1000,
                                 later_fired, l);
      }
      return TRUE;
    case SHELL_HOLD:
      return TRUE;
    }
  g_assert_not_reached ();
}

static const ReloadNodeShell shell_with_app = {
  .send = shell_send,
  .connect = shell_connect,
  .close = shell_close,
  .joined = shell_joined,
  .delivered = shell_delivered,
  .app_attach = shell_app_attach,
};

static const ReloadNodeShell shell_without_app = {
  .send = shell_send,
  .connect = shell_connect,
  .close = shell_close,
  .joined = shell_joined,
  .delivered = shell_delivered,
};

static void
host_receive (gpointer host_data, SimLinkId link, GBytes *bytes, gint64 now_us)
{
  Peer *p = host_data;
  g_autoptr (ReloadMessage) m = decode (bytes);
  if (m != NULL && m->message_code == RELOAD_APP_ATTACH_REQ)
    {
      g_clear_pointer (&p->last_request, g_bytes_unref);
      p->last_request = g_bytes_ref (bytes);
      p->last_request_link = link;
    }
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  reload_node_receive (p->node, link, d, len, now_us / 1000);
  reschedule (p);
}

static void
host_link_event (gpointer host_data, SimLinkId link, SimLinkEvent event, guint peer_host,
                 gint64 now_us)
{
  Peer *p = host_data;
  Peer *q = peer (p->net, peer_host);
  if (event == SIM_LINK_UP)
    {
      g_hash_table_insert (p->links, GUINT_TO_POINTER (peer_host), GUINT_TO_POINTER (link));
      if (link == p->bootstrap_link)
        reload_node_start (p->node, link, &q->id, now_us / 1000);
      else
        reload_node_link_up (p->node, link, &q->id, now_us / 1000);
    }
  else
    {
      if (GPOINTER_TO_UINT (g_hash_table_lookup (p->links, GUINT_TO_POINTER (peer_host))) == link)
        g_hash_table_remove (p->links, GUINT_TO_POINTER (peer_host));
      reload_node_link_down (p->node, link, now_us / 1000);
    }
  reschedule (p);
}

static void
candidate (ReloadIceCandidate *c, guint host, guint16 port)
{
  memset (c, 0, sizeof *c);
  c->addr_port.type = RELOAD_ADDRESS_IPV4;
  c->addr_port.addr[0] = 10;
  c->addr_port.addr[1] = (guint8) (host >> 16);
  c->addr_port.addr[2] = (guint8) (host >> 8);
  c->addr_port.addr[3] = (guint8) host;
  c->addr_port.port = port;
  c->overlay_link = 1; /* DTLS-UDP-SR */
  c->foundation = (RwBytes){ (const guint8 *) "1", 1 };
  c->priority = 2130706431;
  c->type = 1; /* host */
}

static guint
add_peer (Net *net)
{
  guint host = sim_world_add_host (net->world);
  Peer *p = g_new0 (Peer, 1);
  p->net = net;
  p->host = host;
  p->links = g_hash_table_new (NULL, NULL);
  p->tokens = g_array_new (FALSE, FALSE, sizeof (guint64));
  p->app_attach_tids = g_array_new (FALSE, FALSE, sizeof (guint64));
  p->answers_sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  p->timer_at = G_MAXINT64;
  GRand *r = sim_world_host_rand (net->world, host);
  guint64 hi = (guint64) g_rand_int (r) << 32 | g_rand_int (r);
  guint64 lo = (guint64) g_rand_int (r) << 32 | g_rand_int (r);
  p->id = chord_id_to_node_id ((ChordId){ hi, lo });
  p->user = g_strdup_printf ("peer%u@app-attach.chorus", host);
  p->signer.user_name = p->user;
  p->signer.node_id = p->id;
  candidate (&p->cand, host, 6084);
  candidate (&p->app_cand, host, APP_SIP);
  g_ptr_array_add (net->peers, p);

  ReloadNodeConfig cfg = { 0 };
  cfg.node_id = p->id;
  cfg.user_name = p->user;
  cfg.overlay_name = "app-attach.chorus";
  cfg.overlay_reliability_timer_ms = RELIABILITY_MS;
  cfg.chord_update_interval_s = 30;
  cfg.chord_ping_interval_s = 60;
  cfg.chord_reactive = TRUE;
  cfg.candidates = &p->cand;
  cfg.n_candidates = 1;
  cfg.security = reload_test_security_ops ();
  cfg.security_data = &p->signer;
  cfg.seed = (guint64) g_rand_int (r) << 32 | g_rand_int (r);
  p->node = reload_node_new (&cfg, net->callback ? &shell_with_app : &shell_without_app, p);
  sim_world_set_host_handler (net->world, host, host_receive, host_link_event, p);
  return host;
}

/* A ring of N_PEERS peers joined 400 ms apart, settled. */
static void
net_init (Net *net, guint64 seed, gboolean callback, Behaviour behaviour)
{
  memset (net, 0, sizeof *net);
  SimWorldConfig wc;
  sim_world_config_init (&wc);
  wc.fail_detect_us = 2 * SIM_US_PER_S;
  net->world = sim_world_new (seed, &wc);
  net->peers = g_ptr_array_new ();
  net->laters = g_ptr_array_new_with_free_func (g_free);
  net->callback = callback;
  net->behaviour = behaviour;
  net->answer_delay_ms = 7000;
  for (guint i = 0; i < N_PEERS; i++)
    {
      guint h = add_peer (net);
      Peer *p = peer (net, h);
      if (h == 0)
        {
          reload_node_start (p->node, 0, NULL, now_ms (net));
          reschedule (p);
        }
      else
        {
          /* through a random joined peer (§11.4) */
          guint b;
          do
            b = (guint) g_rand_int_range (sim_world_rand (net->world), 0, (gint32) h);
          while (!peer (net, b)->joined);
          p->bootstrap_link = sim_world_link_open (net->world, h, b);
          g_hash_table_insert (p->links, GUINT_TO_POINTER (b),
                               GUINT_TO_POINTER (p->bootstrap_link));
        }
      run_s (net, 0.4);
    }
  run_s (net, 20);
  for (guint h = 0; h < N_PEERS; h++)
    g_assert_true (reload_node_is_joined (peer (net, h)->node));
}

static void
net_clear (Net *net)
{
  for (guint h = 0; h < net->peers->len; h++)
    {
      Peer *p = peer (net, h);
      reload_node_free (p->node);
      g_hash_table_destroy (p->links);
      g_array_free (p->tokens, TRUE);
      g_array_free (p->app_attach_tids, TRUE);
      g_ptr_array_free (p->answers_sent, TRUE);
      g_clear_pointer (&p->last_request, g_bytes_unref);
      g_free (p->last_user);
      g_free (p->last_ufrag);
      g_free (p->last_role);
      g_free (p->user);
      g_free (p);
    }
  g_ptr_array_free (net->peers, TRUE);
  sim_world_free (net->world); /* before the Laters its timers point at */
  g_ptr_array_free (net->laters, TRUE);
}

static gboolean
linked (Net *net, guint a, guint b)
{
  return g_hash_table_contains (peer (net, a)->links, GUINT_TO_POINTER (b))
         || g_hash_table_contains (peer (net, b)->links, GUINT_TO_POINTER (a));
}

static gboolean
in_table (Net *net, guint a, guint b)
{
  ChordId ids[CHORD_MAX_NEIGHBORS * 2 + CHORD_MAX_FINGERS];
  guint n = chord_table_peers (reload_node_table (peer (net, a)->node), ids, G_N_ELEMENTS (ids));
  for (guint i = 0; i < n; i++)
    if (chord_id_equal (ids[i], chord_id_from_node_id (&peer (net, b)->id)))
      return TRUE;
  return FALSE;
}

/* Two peers with no link between them: an AppAttach from one to the
 * other crosses at least one peer. */
static void
far_pair (Net *net, guint *a, guint *b)
{
  for (guint i = 0; i < N_PEERS; i++)
    for (guint j = 0; j < N_PEERS; j++)
      if (i != j && !linked (net, i, j) && !in_table (net, i, j) && !in_table (net, j, i))
        {
          *a = i;
          *b = j;
          return;
        }
  g_assert_not_reached ();
}

/* ---------------------------------------------------------------- the requester */

typedef struct
{
  guint done;
  gboolean ok;
  GQuark domain;
  gint code;
  char *message;
  guint16 error_code; /* of the error response */
  char *error_info;
  /* the AppAttachAns */
  char *ufrag;
  char *password;
  char *role;
  guint16 application;
  guint n_candidates;
  ReloadIpAddressPort candidate;
  gboolean signer_known;
  ReloadNodeId signer;
  char *signer_user;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->message);
  g_free (r->error_info);
  g_free (r->ufrag);
  g_free (r->password);
  g_free (r->role);
  g_free (r->signer_user);
  memset (r, 0, sizeof *r);
}

static char *
text (RwBytes b)
{
  return g_strndup ((const char *) b.data, b.len);
}

static void
app_attach_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
                 const GError *error)
{
  Result *r = user_data;
  r->done++;
  if (error != NULL)
    {
      r->domain = error->domain;
      r->code = error->code;
      g_free (r->message);
      r->message = g_strdup (error->message);
      g_assert_null (reload_node_answer_signer (node));
      if (answer != NULL && answer->message_code == RELOAD_ERROR)
        {
          const ReloadErrorResponse *e = answer->body;
          r->error_code = e->error_code;
          g_free (r->error_info);
          r->error_info = text (e->error_info);
        }
      return;
    }
  g_assert_nonnull (answer);
  g_assert_cmpuint (answer->message_code, ==, RELOAD_APP_ATTACH_ANS);
  const ReloadAppAttachAns *a = answer->body;
  r->ok = TRUE;
  r->ufrag = text (a->ufrag);
  r->password = text (a->password);
  r->role = text (a->role);
  r->application = a->application;
  r->n_candidates = a->n_candidates;
  if (a->n_candidates > 0)
    r->candidate = a->candidates[0].addr_port;
  const ReloadSignerInfo *s = reload_node_answer_signer (node);
  if (s != NULL && s->n_node_ids > 0)
    {
      r->signer_known = TRUE;
      r->signer = s->node_ids[0];
      r->signer_user = g_strdup (s->user_name);
    }
}

/* @from sends an AppAttach for SIP to @to, by the destination list [to] */
static guint64
send_app_attach (Net *net, guint from, guint to, Result *r)
{
  Peer *p = peer (net, from);
  ReloadAppAttachReq req = app_part (p, "aUfr", "a-password-0123456789", "active");
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = peer (net, to)->id;
  guint64 tid = reload_node_request_routed (p->node, &d, 1, RELOAD_APP_ATTACH_REQ, &req,
                                            app_attach_done, r, now_ms (net));
  g_assert_cmpuint (tid, !=, 0);
  reschedule (p);
  return tid;
}

static void
assert_refused (Result *r, guint16 error_code, const char *name)
{
  g_assert_cmpuint (r->done, ==, 1);
  g_assert_false (r->ok);
  g_assert_cmpuint (r->domain, ==, RELOAD_NODE_ERROR);
  g_assert_cmpint (r->code, ==, RELOAD_NODE_ERROR_RESPONSE);
  g_assert_cmpstr (r->message, ==, name);
  g_assert_cmpuint (r->error_code, ==, error_code);
}

/* ---------------------------------------------------------------- tests */

/* The shell answers 7 s later: the requester retransmitted twice (§6.2.1,
 * every 3 s) meanwhile, the shell was asked once, and the requester gets
 * the answerer's ICE parameters, signed by the Node-ID it asked.  A
 * retransmission after the answer gets the very same answer (§6.2.1). */
static void
test_answer_later (void)
{
  Net net;
  net_init (&net, 0xa99a77ac1, TRUE, SHELL_ANSWER_LATER);
  guint a, b;
  far_pair (&net, &a, &b);
  Peer *pa = peer (&net, a), *pb = peer (&net, b);
  guint links_a = reload_node_n_links (pa->node), links_b = reload_node_n_links (pb->node);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 6.5);
  /* asked once, while the request came three times */
  g_assert_cmpuint (r.done, ==, 0);
  g_assert_cmpuint (pb->calls, ==, 1);
  g_assert_cmpuint (pb->app_attach_delivered, ==, 3);
  g_assert_cmpuint (pb->app_attach_hops, >=, 2);
  g_assert_true (memcmp (pb->last_peer.id, pa->id.id, 16) == 0);
  g_assert_cmpuint (pb->last_peer.len, ==, 16);
  g_assert_cmpstr (pb->last_user, ==, pa->user);
  g_assert_cmpuint (pb->last_application, ==, APP_SIP);
  g_assert_cmpstr (pb->last_ufrag, ==, "aUfr");
  g_assert_cmpstr (pb->last_role, ==, "active");
  g_assert_cmpuint (pb->last_n_candidates, ==, 1);
  g_assert_cmpmem (&pb->last_candidate, sizeof (ReloadIpAddressPort), &pa->app_cand.addr_port,
                   sizeof (ReloadIpAddressPort));
  g_assert_cmpuint (pb->answers_sent->len, ==, 0);

  run_s (&net, 2);
  g_assert_cmpuint (r.done, ==, 1);
  g_assert_true (r.ok);
  g_assert_cmpstr (r.ufrag, ==, "bUfr");
  g_assert_cmpstr (r.password, ==, "b-password-0123456789");
  g_assert_cmpstr (r.role, ==, "passive");
  g_assert_cmpuint (r.application, ==, APP_SIP);
  g_assert_cmpuint (r.n_candidates, ==, 1);
  g_assert_cmpmem (&r.candidate, sizeof (ReloadIpAddressPort), &pb->app_cand.addr_port,
                   sizeof (ReloadIpAddressPort));
  g_assert_true (r.signer_known);
  g_assert_cmpmem (r.signer.id, 16, pb->id.id, 16);
  g_assert_cmpstr (r.signer_user, ==, pb->user);
  g_assert_cmpuint (pb->calls, ==, 1);
  g_assert_cmpuint (pb->answers_sent->len, ==, 1);

  /* a late retransmission: the same answer again, no second call */
  g_assert_nonnull (pb->last_request);
  gsize len;
  const guint8 *d = g_bytes_get_data (pb->last_request, &len);
  reload_node_receive (pb->node, pb->last_request_link, d, len, now_ms (&net));
  reschedule (pb);
  g_assert_cmpuint (pb->calls, ==, 1);
  g_assert_cmpuint (pb->answers_sent->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (pb->answers_sent, 0),
                                g_ptr_array_index (pb->answers_sent, 1)));
  run_s (&net, 1);
  g_assert_cmpuint (r.done, ==, 1); /* the duplicate finds no transaction */

  /* the token is spent */
  answer (pb, g_array_index (pb->tokens, guint64, 0));
  g_assert_cmpuint (pb->answers_sent->len, ==, 2);

  /* §6.5.2: the connection is the application's, not the overlay's */
  g_assert_false (linked (&net, a, b));
  g_assert_false (in_table (&net, a, b));
  g_assert_false (in_table (&net, b, a));
  g_assert_cmpuint (reload_node_n_links (pa->node), ==, links_a);
  g_assert_cmpuint (reload_node_n_links (pb->node), ==, links_b);
  result_clear (&r);
  net_clear (&net);
}

/* The shell answers from within app_attach: the answer leaves at once. */
static void
test_answer_at_once (void)
{
  Net net;
  net_init (&net, 0xa99a77ac2, TRUE, SHELL_ANSWER_AT_ONCE);
  guint a, b;
  far_pair (&net, &a, &b);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 2); /* before the first retransmission */
  g_assert_cmpuint (r.done, ==, 1);
  g_assert_true (r.ok);
  g_assert_cmpstr (r.ufrag, ==, "bUfr");
  g_assert_cmpuint (peer (&net, b)->calls, ==, 1);
  g_assert_cmpuint (peer (&net, b)->app_attach_delivered, ==, 1);
  /* AppAttach to itself: answered through the same path */
  Result self = { 0 };
  send_app_attach (&net, a, a, &self);
  run_s (&net, 1);
  g_assert_cmpuint (self.done, ==, 1);
  g_assert_true (self.ok);
  g_assert_cmpmem (self.signer.id, 16, peer (&net, a)->id.id, 16);
  result_clear (&self);
  result_clear (&r);
  net_clear (&net);
}

/* §6.5.2.2: an Application-ID the shell does not serve (app_attach
 * returns FALSE): Error_Not_Found, at once. */
static void
test_refused (void)
{
  Net net;
  net_init (&net, 0xa99a77ac3, TRUE, SHELL_REFUSE);
  guint a, b;
  far_pair (&net, &a, &b);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 2);
  assert_refused (&r, RELOAD_ERROR_NOT_FOUND, "Error_Not_Found");
  g_assert_cmpuint (peer (&net, b)->calls, ==, 1);
  /* the refused token is spent */
  answer (peer (&net, b), g_array_index (peer (&net, b)->tokens, guint64, 0));
  g_assert_cmpuint (peer (&net, b)->answers_sent->len, ==, 1);
  result_clear (&r);
  net_clear (&net);
}

/* The shell refuses later with another error: the requester gets it. */
static void
test_refused_later (void)
{
  Net net;
  net_init (&net, 0xa99a77ac4, TRUE, SHELL_REFUSE_LATER);
  net.refuse_code = RELOAD_ERROR_FORBIDDEN;
  net.answer_delay_ms = 4000;
  guint a, b;
  far_pair (&net, &a, &b);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 6);
  assert_refused (&r, RELOAD_ERROR_FORBIDDEN, "Error_Forbidden");
  g_assert_cmpstr (r.error_info, ==, "not now");
  g_assert_cmpuint (peer (&net, b)->calls, ==, 1);
  g_assert_cmpuint (peer (&net, b)->app_attach_delivered, ==, 2);
  result_clear (&r);
  net_clear (&net);
}

/* Without the callback, every AppAttach gets Error_Not_Found. */
static void
test_no_callback (void)
{
  Net net;
  net_init (&net, 0xa99a77ac5, FALSE, SHELL_HOLD);
  guint a, b;
  far_pair (&net, &a, &b);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 2);
  assert_refused (&r, RELOAD_ERROR_NOT_FOUND, "Error_Not_Found");
  g_assert_cmpuint (peer (&net, b)->calls, ==, 0);
  result_clear (&r);
  net_clear (&net);
}

/* Never answered: the requester times out after 5 transmissions (§6.2.1),
 * the shell was asked once, and past the request lifetime the node has
 * forgotten it (an answer then sends nothing).  An AppAttach still held
 * when the node is freed is freed with it (ASan). */
static void
test_expiry (void)
{
  Net net;
  net_init (&net, 0xa99a77ac6, TRUE, SHELL_HOLD);
  guint a, b;
  far_pair (&net, &a, &b);
  Peer *pb = peer (&net, b);
  Result r = { 0 };
  send_app_attach (&net, a, b, &r);
  run_s (&net, 14);
  g_assert_cmpuint (r.done, ==, 0);
  run_s (&net, 2);
  g_assert_cmpuint (r.done, ==, 1);
  g_assert_cmpuint (r.domain, ==, RELOAD_NODE_ERROR);
  g_assert_cmpint (r.code, ==, RELOAD_NODE_ERROR_TIMEOUT);
  g_assert_cmpuint (pb->calls, ==, 1);
  g_assert_cmpuint (pb->app_attach_delivered, ==, 5);
  run_s (&net, 1);
  answer (pb, g_array_index (pb->tokens, guint64, 0));
  reload_node_app_attach_refuse (pb->node, g_array_index (pb->tokens, guint64, 0),
                                 RELOAD_ERROR_FORBIDDEN, NULL, now_ms (&net));
  g_assert_cmpuint (pb->answers_sent->len, ==, 0);
  /* unknown tokens: nothing either */
  answer (pb, 0);
  answer (pb, G_MAXUINT64);
  g_assert_cmpuint (pb->answers_sent->len, ==, 0);

  /* one more, left held when the nodes go */
  Result r2 = { 0 };
  send_app_attach (&net, a, b, &r2);
  run_s (&net, 1);
  g_assert_cmpuint (pb->calls, ==, 2);
  net_clear (&net);
  /* the requester's transaction was cancelled with its node */
  g_assert_cmpuint (r2.done, ==, 1);
  g_assert_cmpint (r2.code, ==, RELOAD_NODE_ERROR_CANCELLED);
  result_clear (&r2);
  result_clear (&r);
}

/* At most 256 AppAttaches wait for the shell: the 257th is dropped
 * (counted), and its retransmission is taken once there is room. */
static void
test_bound (void)
{
  Net net;
  net_init (&net, 0xa99a77ac7, TRUE, SHELL_HOLD);
  guint a, b;
  far_pair (&net, &a, &b);
  Peer *pb = peer (&net, b);
  enum
  {
    N = 257
  };
  Result *r = g_new0 (Result, N);
  guint64 dropped = reload_node_counters (pb->node)->dropped;
  for (guint i = 0; i < N; i++)
    send_app_attach (&net, a, b, &r[i]);
  run_s (&net, 2);
  g_assert_cmpuint (pb->calls, ==, 256);
  g_assert_cmpuint (reload_node_counters (pb->node)->dropped, ==, dropped + 1);
  /* the shell answers them all; the next transmission of the dropped one
   * finds room and is answered at once */
  for (guint i = 0; i < pb->tokens->len; i++)
    answer (pb, g_array_index (pb->tokens, guint64, i));
  reschedule (pb);
  net.behaviour = SHELL_ANSWER_AT_ONCE;
  run_s (&net, 5);
  g_assert_cmpuint (pb->calls, ==, N);
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpuint (r[i].done, ==, 1);
      g_assert_true (r[i].ok);
      result_clear (&r[i]);
    }
  g_free (r);
  net_clear (&net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node/app-attach/answer-later", test_answer_later);
  g_test_add_func ("/node/app-attach/answer-at-once", test_answer_at_once);
  g_test_add_func ("/node/app-attach/refused", test_refused);
  g_test_add_func ("/node/app-attach/refused-later", test_refused_later);
  g_test_add_func ("/node/app-attach/no-callback", test_no_callback);
  g_test_add_func ("/node/app-attach/expiry", test_expiry);
  g_test_add_func ("/node/app-attach/bound", test_bound);
  return g_test_run ();
}
