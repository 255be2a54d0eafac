/* test-config-update.c: configuration updates in the node (RFC 6940
 * §6.3.2.1, §6.5.4): sequence comparison, Error_Config_Too_Old/_New, the
 * ConfigUpdate a node sends to a neighbour with an older sequence, a
 * received update handed to the shell and answered, refused updates,
 * documents larger than max-message-size, and a reconfigured node's
 * kinds.
 *
 * A small in-memory network: nodes with the test signer, links that
 * deliver in order through one queue, a virtual clock.  Every message
 * sent is decoded on the way, so that a test can count what went where.
 * A "document" is opaque to the node: any bytes do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore.h"
#include "reload-node.h"

#include <string.h>

#define MAX_NODES 4
#define T0 G_GINT64_CONSTANT (1700000000000)

typedef struct Net Net;

typedef struct
{
  Net *net;
  guint index;
  ReloadNodeId id;
  ReloadNode *node;
  /* config_update: how the shell answers, and what it got */
  guint16 refuse_with; /* 0: accept */
  guint16 accept_sequence;
  GPtrArray *received; /* GBytes */
  guint taken;
} TNode;

typedef enum
{
  EV_PACKET,
  EV_LINK_UP,
  EV_LINK_DOWN,
} EvKind;

typedef struct
{
  EvKind kind;
  guint to;
  guint64 link;
  guint from;
  GBytes *bytes;
} Ev;

/* a message seen on a link */
typedef struct
{
  guint from, to;
  guint16 code;
  guint16 error_code;
  guint16 sequence; /* the header's configuration_sequence */
} Seen;

struct Net
{
  TNode nodes[MAX_NODES];
  guint n_nodes;
  GQueue events;
  GHashTable *links; /* (node index << 32 | link) -> other node index + 1 */
  guint64 next_link;
  gint64 now;
  GArray *seen; /* Seen */
};

static guint64
link_key (guint node, guint64 link)
{
  return (guint64) node << 32 | link;
}

static void
push_event (Net *net, EvKind kind, guint to, guint64 link, guint from, GBytes *bytes)
{
  Ev *e = g_new0 (Ev, 1);
  e->kind = kind;
  e->to = to;
  e->link = link;
  e->from = from;
  e->bytes = bytes;
  g_queue_push_tail (&net->events, e);
}

static void
note (Net *net, guint from, guint to, const guint8 *data, gsize len)
{
  g_autoptr (GBytes) b = g_bytes_new (data, len);
  g_autoptr (ReloadMessage) m = reload_message_decode (b, NULL, NULL);
  if (m == NULL || m->is_fragment)
    return;
  Seen s = { from, to, m->message_code, 0, m->header.configuration_sequence };
  if (m->message_code == RELOAD_ERROR)
    s.error_code = ((const ReloadErrorResponse *) m->body)->error_code;
  g_array_append_val (net->seen, s);
}

static void
shell_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  TNode *t = shell;
  Net *net = t->net;
  gpointer other = g_hash_table_lookup (net->links, &(guint64){ link_key (t->index, link) });
  if (other == NULL)
    return;
  guint to = GPOINTER_TO_UINT (other) - 1;
  note (net, t->index, to, data, len);
  push_event (net, EV_PACKET, to, link, t->index, g_bytes_new (data, len));
}

static guint64 *
key_new (guint node, guint64 link)
{
  guint64 *k = g_new (guint64, 1);
  *k = link_key (node, link);
  return k;
}

static void
connect_pair (Net *net, guint a, guint b)
{
  guint64 link = ++net->next_link;
  g_hash_table_insert (net->links, key_new (a, link), GUINT_TO_POINTER (b + 1));
  g_hash_table_insert (net->links, key_new (b, link), GUINT_TO_POINTER (a + 1));
  push_event (net, EV_LINK_UP, a, link, b, NULL);
  push_event (net, EV_LINK_UP, b, link, a, NULL);
}

static void
shell_connect (gpointer shell, const ReloadNodeId *peer, const ReloadAttachReqAns *remote,
               guint64 token)
{
  TNode *t = shell;
  Net *net = t->net;
  for (guint i = 0; i < net->n_nodes; i++)
    if (memcmp (net->nodes[i].id.id, peer->id, 16) == 0 && i < t->index)
      return; /* the lower index connects (one link per pair) */
  for (guint i = 0; i < net->n_nodes; i++)
    if (memcmp (net->nodes[i].id.id, peer->id, 16) == 0)
      connect_pair (net, t->index, i);
}

static void
shell_close (gpointer shell, guint64 link)
{
  TNode *t = shell;
  Net *net = t->net;
  guint64 k = link_key (t->index, link);
  gpointer other = g_hash_table_lookup (net->links, &k);
  if (other == NULL)
    return;
  guint o = GPOINTER_TO_UINT (other) - 1;
  g_hash_table_remove (net->links, &k);
  g_hash_table_remove (net->links, &(guint64){ link_key (o, link) });
  push_event (net, EV_LINK_DOWN, o, link, t->index, NULL);
}

static guint16
shell_config_update (gpointer shell, const guint8 *document, gsize len, char **info)
{
  TNode *t = shell;
  g_ptr_array_add (t->received, g_bytes_new (document, len));
  if (t->refuse_with != 0)
    {
      *info = g_strdup ("signature does not verify");
      return t->refuse_with;
    }
  /* §6.5.4.2: only a newer one */
  if (reload_configuration_sequence_compare (t->accept_sequence,
                                             reload_node_get_configuration_sequence (t->node))
      <= 0)
    {
      *info = g_strdup ("not newer");
      return RELOAD_ERROR_CONFIG_TOO_OLD;
    }
  t->taken++;
  /* as a real shell does: the node takes the new configuration at once */
  ReloadNodeConfig c = { 0 };
  c.configuration_sequence = t->accept_sequence;
  g_autoptr (GBytes) doc = g_bytes_new (document, len);
  c.config_document = doc;
  c.chord_reactive = TRUE;
  reload_node_reconfigure (t->node, &c, t->net->now);
  return 0;
}

static const ReloadNodeShell shell_ops = {
  .send = shell_send,
  .connect = shell_connect,
  .close = shell_close,
  .config_update = shell_config_update,
};

static const ReloadNodeShell shell_ops_no_config = {
  .send = shell_send,
  .connect = shell_connect,
  .close = shell_close,
};

static Net *
net_new (void)
{
  Net *net = g_new0 (Net, 1);
  g_queue_init (&net->events);
  net->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  net->now = T0;
  net->seen = g_array_new (FALSE, FALSE, sizeof (Seen));
  return net;
}

/* A node with configuration @sequence and @document (NULL: none). */
static TNode *
net_add (Net *net, guint16 sequence, const char *document, gsize doc_len, gboolean with_callback)
{
  guint i = net->n_nodes++;
  g_assert_cmpuint (i, <, MAX_NODES);
  TNode *t = &net->nodes[i];
  t->net = net;
  t->index = i;
  t->id.len = 16;
  for (guint b = 0; b < 16; b++)
    t->id.id[b] = (guint8) (0x10 + 0x40 * i + b);
  t->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *user = g_strdup_printf ("node%u@test.chorus", i);
  g_autoptr (GBytes) doc = document ? g_bytes_new (document, doc_len) : NULL;
  ReloadNodeConfig cfg = { 0 };
  cfg.node_id = t->id;
  cfg.user_name = user;
  cfg.overlay_name = "test.chorus";
  cfg.configuration_sequence = sequence;
  cfg.config_document = doc;
  cfg.chord_reactive = TRUE;
  cfg.chord_update_interval_s = 60;
  cfg.seed = 7 + i;
  t->node = reload_node_new (&cfg, with_callback ? &shell_ops : &shell_ops_no_config, t);
  return t;
}

static void
net_free (Net *net)
{
  for (guint i = 0; i < net->n_nodes; i++)
    {
      reload_node_free (net->nodes[i].node);
      g_ptr_array_unref (net->nodes[i].received);
    }
  Ev *e;
  while ((e = g_queue_pop_head (&net->events)) != NULL)
    {
      g_clear_pointer (&e->bytes, g_bytes_unref);
      g_free (e);
    }
  g_hash_table_unref (net->links);
  g_array_unref (net->seen);
  g_free (net);
}

static void
run_events (Net *net)
{
  Ev *e;
  while ((e = g_queue_pop_head (&net->events)) != NULL)
    {
      ReloadNode *n = net->nodes[e->to].node;
      switch (e->kind)
        {
        case EV_PACKET:
          reload_node_receive (n, e->link, g_bytes_get_data (e->bytes, NULL),
                               g_bytes_get_size (e->bytes), net->now);
          break;
        case EV_LINK_UP:
          reload_node_link_up (n, e->link, &net->nodes[e->from].id, net->now);
          break;
        case EV_LINK_DOWN:
          reload_node_link_down (n, e->link, net->now);
          break;
        }
      g_clear_pointer (&e->bytes, g_bytes_unref);
      g_free (e);
    }
}

/* Runs the network until @until (virtual ms after T0). */
static void
net_run (Net *net, gint64 until)
{
  for (;;)
    {
      run_events (net);
      gint64 next = G_MAXINT64;
      for (guint i = 0; i < net->n_nodes; i++)
        next = MIN (next, reload_node_next_expiry (net->nodes[i].node));
      if (next > T0 + until)
        break;
      net->now = MAX (net->now, next);
      for (guint i = 0; i < net->n_nodes; i++)
        if (reload_node_next_expiry (net->nodes[i].node) <= net->now)
          reload_node_expire (net->nodes[i].node, net->now);
    }
  net->now = T0 + until;
}

/* @b joins through @a (a bootstrap link, §11.4). */
static void
net_join (Net *net, TNode *b, TNode *a)
{
  guint64 link = ++net->next_link;
  g_hash_table_insert (net->links, key_new (a->index, link), GUINT_TO_POINTER (b->index + 1));
  g_hash_table_insert (net->links, key_new (b->index, link), GUINT_TO_POINTER (a->index + 1));
  reload_node_link_up (a->node, link, &b->id, net->now);
  reload_node_start (b->node, link, &a->id, net->now);
}

static guint
count_seen (Net *net, guint from, guint to, guint16 code, guint16 error_code)
{
  guint n = 0;
  for (guint i = 0; i < net->seen->len; i++)
    {
      const Seen *s = &g_array_index (net->seen, Seen, i);
      if (s->from == from && s->to == to && s->code == code
          && (error_code == 0 || s->error_code == error_code))
        n++;
    }
  return n;
}

static void
assert_document (TNode *t, guint i, const char *doc, gsize len)
{
  g_assert_cmpuint (t->received->len, >, i);
  GBytes *b = g_ptr_array_index (t->received, i);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), doc, len);
}

/* ---------------------------------------------------------------- tests */

static void
test_sequence_compare (void)
{
  g_assert_cmpint (reload_configuration_sequence_compare (1, 1), ==, 0);
  g_assert_cmpint (reload_configuration_sequence_compare (2, 1), >, 0);
  g_assert_cmpint (reload_configuration_sequence_compare (1, 2), <, 0);
  /* §6.3.2.1: 0 follows 65534, "modulo arithmetic as in TCP" */
  g_assert_cmpint (reload_configuration_sequence_compare (0, 65534), >, 0);
  g_assert_cmpint (reload_configuration_sequence_compare (65534, 0), <, 0);
  g_assert_cmpint (reload_configuration_sequence_compare (3, 65533), >, 0);
  /* half the circle ahead or more is behind */
  g_assert_cmpint (reload_configuration_sequence_compare (32768, 1), >, 0);
  g_assert_cmpint (reload_configuration_sequence_compare (32769, 1), <, 0);
  /* 65535 (the ConfigUpdate wildcard) counts as 0 */
  g_assert_cmpint (reload_configuration_sequence_compare (65535, 0), ==, 0);
}

/* §6.3.2.1, §6.5.4: A (sequence 2) sees B's requests with sequence 1 and
 * sends it its document; B hands it to its shell, takes it and answers. */
static void
test_push_to_older (void)
{
  static const char doc[] = "<overlay>sequence 2</overlay>";
  Net *net = net_new ();
  TNode *a = net_add (net, 2, doc, sizeof doc - 1, TRUE);
  TNode *b = net_add (net, 1, NULL, 0, TRUE);
  b->accept_sequence = 2;
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  /* within seconds: the join starts again at once with the new sequence */
  net_run (net, 8000);

  /* B's requests with sequence 1: Error_Config_Too_Old, then the update */
  g_assert_cmpuint (count_seen (net, 0, 1, RELOAD_ERROR, RELOAD_ERROR_CONFIG_TOO_OLD), >=, 1);
  g_assert_cmpuint (count_seen (net, 0, 1, RELOAD_CONFIG_UPDATE_REQ, 0), ==, 1);
  g_assert_cmpuint (count_seen (net, 1, 0, RELOAD_CONFIG_UPDATE_ANS, 0), ==, 1);
  /* the document's bytes, exactly, once; sent with the wildcard 65535 */
  g_assert_cmpuint (b->received->len, ==, 1);
  assert_document (b, 0, doc, sizeof doc - 1);
  for (guint i = 0; i < net->seen->len; i++)
    {
      const Seen *s = &g_array_index (net->seen, Seen, i);
      if (s->code == RELOAD_CONFIG_UPDATE_REQ)
        g_assert_cmpuint (s->sequence, ==, 0xffff);
    }
  g_assert_cmpuint (reload_node_get_configuration_sequence (b->node), ==, 2);
  /* B joins with the new configuration, and sends nothing back to A */
  g_assert_true (reload_node_is_joined (b->node));
  g_assert_cmpuint (a->received->len, ==, 0);
  g_assert_cmpuint (count_seen (net, 1, 0, RELOAD_CONFIG_UPDATE_REQ, 0), ==, 0);
  net_free (net);
}

/* A refused document is never applied; the refusal is the shell's error
 * code; the sender tries again only after CONFIG_PUSH_RETRY_MS. */
static void
test_refused (void)
{
  static const char doc[] = "<overlay>tampered</overlay>";
  Net *net = net_new ();
  TNode *a = net_add (net, 2, doc, sizeof doc - 1, TRUE);
  TNode *b = net_add (net, 1, NULL, 0, TRUE);
  b->refuse_with = RELOAD_ERROR_FORBIDDEN;
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  net_run (net, 20000);
  g_assert_cmpuint (b->received->len, ==, 1);
  g_assert_cmpuint (count_seen (net, 1, 0, RELOAD_ERROR, RELOAD_ERROR_FORBIDDEN), ==, 1);
  g_assert_cmpuint (reload_node_get_configuration_sequence (b->node), ==, 1);
  g_assert_false (reload_node_is_joined (b->node));
  /* B keeps trying to join with sequence 1: A sends the document again,
   * but not more often than every 30 s */
  net_run (net, 70000);
  g_assert_cmpuint (b->received->len, >=, 2);
  g_assert_cmpuint (b->received->len, <=, 3);
  g_assert_cmpuint (reload_node_get_configuration_sequence (b->node), ==, 1);
  net_free (net);
}

/* A node without the callback refuses every update (Error_Forbidden), and
 * a ConfigUpdate of type kind is refused too. */
static void
test_no_callback_and_kind (void)
{
  static const char doc[] = "<overlay>2</overlay>";
  Net *net = net_new ();
  TNode *a = net_add (net, 2, doc, sizeof doc - 1, TRUE);
  TNode *b = net_add (net, 1, NULL, 0, FALSE);
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  net_run (net, 5000);
  g_assert_cmpuint (count_seen (net, 1, 0, RELOAD_ERROR, RELOAD_ERROR_FORBIDDEN), ==, 1);
  g_assert_cmpuint (reload_node_get_configuration_sequence (b->node), ==, 1);
  net_free (net);
}

typedef struct
{
  guint16 error_code;
  gboolean done;
} Outcome;

static void
request_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
              const GError *error)
{
  Outcome *o = user_data;
  o->done = TRUE;
  if (answer != NULL && answer->message_code == RELOAD_ERROR)
    o->error_code = ((const ReloadErrorResponse *) answer->body)->error_code;
}

static void
test_kind_type (void)
{
  Net *net = net_new ();
  TNode *a = net_add (net, 1, NULL, 0, TRUE);
  TNode *b = net_add (net, 1, NULL, 0, TRUE);
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  net_run (net, 20000);
  g_assert_true (reload_node_is_joined (b->node));
  RwBytes kinds[1] = { { (const guint8 *) "<kind-block/>", 13 } };
  ReloadConfigUpdateReq req = { 0 };
  req.type = RELOAD_CONFIG_UPDATE_KIND;
  req.kinds = kinds;
  req.n_kinds = 1;
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = b->id;
  Outcome o = { 0 };
  reload_node_request (a->node, &d, RELOAD_CONFIG_UPDATE_REQ, &req, request_done, &o, net->now);
  net_run (net, 21000);
  g_assert_true (o.done);
  g_assert_cmpuint (o.error_code, ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (b->received->len, ==, 0);
  net_free (net);
}

/* A node newer than the node it joins through: the older one answers
 * Error_Config_Too_New (§6.3.2.1) and sends nothing; the newer one sees
 * the older one's requests and sends it its document. */
static void
test_newer_joins_older (void)
{
  static const char doc[] = "<overlay>sequence 5</overlay>";
  Net *net = net_new ();
  TNode *a = net_add (net, 4, NULL, 0, TRUE);
  TNode *b = net_add (net, 5, doc, sizeof doc - 1, TRUE);
  a->accept_sequence = 5;
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  net_run (net, 60000);
  g_assert_cmpuint (count_seen (net, 0, 1, RELOAD_ERROR, RELOAD_ERROR_CONFIG_TOO_NEW), >=, 1);
  g_assert_cmpuint (count_seen (net, 0, 1, RELOAD_CONFIG_UPDATE_REQ, 0), ==, 0);
  g_assert_cmpuint (a->received->len, ==, 1);
  assert_document (a, 0, doc, sizeof doc - 1);
  g_assert_cmpuint (reload_node_get_configuration_sequence (a->node), ==, 5);
  g_assert_true (reload_node_is_joined (b->node));
  net_free (net);
}

/* A document larger than max-message-size (5000) travels in fragments
 * and reaches the shell whole; the node that took it passes it on to
 * its other links at once. */
static void
test_large_document_spreads (void)
{
  gsize len = 20000;
  g_autofree char *doc = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    doc[i] = (char) ('a' + i % 26);
  Net *net = net_new ();
  TNode *a = net_add (net, 1, NULL, 0, TRUE);
  TNode *b = net_add (net, 1, NULL, 0, TRUE);
  TNode *c = net_add (net, 1, NULL, 0, TRUE);
  b->accept_sequence = c->accept_sequence = a->accept_sequence = 2;
  reload_node_start (a->node, 0, NULL, net->now);
  net_join (net, b, a);
  net_run (net, 20000);
  net_join (net, c, a);
  net_run (net, 40000);
  g_assert_true (reload_node_is_joined (b->node) && reload_node_is_joined (c->node));
  g_assert_cmpuint (reload_node_n_links (b->node), ==, 2);

  /* B is given the document (as by `ctl config-update`) */
  g_autoptr (GBytes) bytes = g_bytes_new (doc, len);
  ReloadNodeConfig cfg = { 0 };
  cfg.configuration_sequence = 2;
  cfg.config_document = bytes;
  cfg.chord_reactive = TRUE;
  reload_node_reconfigure (b->node, &cfg, net->now);
  net_run (net, 41000);
  /* each took it once, whole; A and C may have sent it to each other at
   * the same time (the second is refused as not newer) */
  g_assert_cmpuint (a->taken, ==, 1);
  g_assert_cmpuint (c->taken, ==, 1);
  g_assert_cmpuint (b->taken, ==, 0);
  assert_document (a, 0, doc, len);
  assert_document (c, 0, doc, len);
  /* the requests travel in fragments; their answers show them */
  guint answers = 0, not_newer = 0;
  for (guint i = 0; i < net->seen->len; i++)
    {
      const Seen *x = &g_array_index (net->seen, Seen, i);
      answers += x->code == RELOAD_CONFIG_UPDATE_ANS;
      not_newer += x->code == RELOAD_ERROR && x->error_code == RELOAD_ERROR_CONFIG_TOO_OLD;
    }
  g_assert_cmpuint (answers, ==, 2);
  g_assert_cmpuint (not_newer, <=, 2);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (reload_node_get_configuration_sequence (net->nodes[i].node), ==, 2);
  /* and the ring keeps working with the new sequence */
  net_run (net, 200000);
  g_assert_true (reload_node_is_joined (a->node) && reload_node_is_joined (b->node)
                 && reload_node_is_joined (c->node));
  g_assert_cmpuint (count_seen (net, 0, 1, RELOAD_ERROR, RELOAD_ERROR_CONFIG_TOO_NEW)
                        + count_seen (net, 1, 0, RELOAD_ERROR, RELOAD_ERROR_CONFIG_TOO_NEW),
                    <=, 2);
  net_free (net);
}

/* reload_node_reconfigure(): the kinds table changes at once (a new kind
 * is known), a kind that is gone loses its values, the sequence is the
 * new one. */
static void
test_reconfigure_kinds (void)
{
  Net *net = net_new ();
  TNode *a = net_add (net, 1, NULL, 0, TRUE);
  reload_node_start (a->node, 0, NULL, net->now);
  ReloadStorage *st = reload_node_storage (a->node);
  ReloadKindTable *before = reload_storage_options (st)->kind_model_data;
  g_assert_null (reload_kind_table_lookup (before, 4001));

  g_autoptr (ReloadKindTable) kinds = reload_kind_table_new_default ();
  ReloadKindDef live = {
    4001, (char *) "LIVE", RELOAD_DATA_MODEL_DICTIONARY, RELOAD_ACCESS_USER_MATCH, 10, 100, 0
  };
  reload_kind_table_add (kinds, &live);
  ReloadNodeConfig cfg = { 0 };
  cfg.configuration_sequence = 3;
  cfg.kinds = kinds;
  cfg.max_message_size = 8000;
  cfg.chord_reactive = TRUE;
  reload_node_reconfigure (a->node, &cfg, net->now);
  ReloadKindTable *after = reload_storage_options (st)->kind_model_data;
  g_assert_true (after == kinds);
  const ReloadKindDef *d = reload_kind_table_lookup (after, 4001);
  g_assert_nonnull (d);
  g_assert_cmpuint (d->max_size, ==, 100);
  g_assert_cmpuint (reload_node_get_configuration_sequence (a->node), ==, 3);
  net_free (net);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/node/config/sequence-compare", test_sequence_compare);
  g_test_add_func ("/node/config/push-to-older", test_push_to_older);
  g_test_add_func ("/node/config/refused", test_refused);
  g_test_add_func ("/node/config/no-callback", test_no_callback_and_kind);
  g_test_add_func ("/node/config/kind-type", test_kind_type);
  g_test_add_func ("/node/config/newer-joins-older", test_newer_joins_older);
  g_test_add_func ("/node/config/large-document", test_large_document_spreads);
  g_test_add_func ("/node/config/reconfigure-kinds", test_reconfigure_kinds);
  return g_test_run ();
}
