/* reload-peer-shell-turn.c: TURN in the peer's shell (RFC 6940 §9 with
 * §6.5.1): the TURN servers the node finds in TURN-SERVICE
 * (reload-node-turn.h) go into the ICE agents of Attaches.
 *
 * Why spares.  The node asks for an Attach's ICE part synchronously
 * (ReloadNodeShell.prepare_attach), and an agent knows its host
 * candidates at once but its server-reflexive and relayed ones only after
 * round trips to the STUN/TURN server.  A peer behind a NAT needs those in
 * its Attaches (two peers behind NATs that block unsolicited inbound
 * traffic have no other pair), so while a TURN server is known the shell
 * keeps RELOAD_PEER_SHELL_ICE_SPARES agents gathered ahead with it, hands
 * one to each Attach (its role set then: RFC 8445 §6.1.1, the requester
 * controls) and gathers the next.  Without a spare gathered (a burst of
 * Attaches: a join sends one to each finger), the Attach gets a fresh
 * agent and the node holds it until that agent has gathered
 * (reload_node_attach_ready(), a round trip or two; at most
 * ATTACH_GATHER_MAX_MS).  A spare is replaced after
 * RELOAD_PEER_SHELL_ICE_SPARE_MAX_AGE_S (a NAT forgets an idle UDP
 * mapping after 30 s to a few minutes, and the server-reflexive candidate
 * with it), and all of them when the server in use changes.  With no
 * TURN server known, an Attach carries the host candidates it has at once.
 *
 * The server in use is the first of the node's list (first found first;
 * TURN-SERVICE values expire, so a server that is gone leaves the list
 * within a lifetime).  A fresh node (the join started again) knows none
 * until its discovery finds them, so the shell keeps the last list until
 * its entries expire.  The Allocate answer also gives the agent its
 * server-reflexive candidate (RFC 5766 §6.3).
 *
 * Also here: one ICE session per peer from the controlling end
 * (rps_drop_older_sessions()), since spares and held Attaches make the
 * cost of a wasted session a TURN allocation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "reload-peer-shell-private.h"

#define RELOAD_PEER_SHELL_ICE_SPARES 4
#define RELOAD_PEER_SHELL_ICE_SPARE_MAX_AGE_S 30
#define TURN_TICK_MS 500

struct RpsTurn
{
  char *username; /* the overlay's TURN credential (README: "TURN") */
  char *password;
  GSource *tick;
  GArray *known; /* ReloadTurnServerInfo: the last list the node had */
  char *in_use;  /* "ADDR:PORT", NULL: none */
  char *in_use_host;
  guint in_use_port;
  gboolean relay_seen;   /* a spare of the server in use gathered a relayed candidate */
  gboolean relay_missed; /* one gathered none (said once per server) */
};

void
rps_turn_init (ReloadPeerShell *s, const ReloadPeerShellConfig *config)
{
  struct RpsTurn *t = g_new0 (struct RpsTurn, 1);
  t->username = g_strdup (config->turn_username);
  t->password = g_strdup (config->turn_password);
  t->known = g_array_new (FALSE, TRUE, sizeof (ReloadTurnServerInfo));
  s->turn = t;
}

void
rps_turn_clear (ReloadPeerShell *s)
{
  struct RpsTurn *t = s->turn;
  if (t == NULL)
    return;
  rps_clear_source (&t->tick);
  g_free (t->username);
  g_free (t->password);
  g_array_unref (t->known);
  g_free (t->in_use);
  g_free (t->in_use_host);
  g_free (t);
  s->turn = NULL;
}

static char *
host_of (const ReloadIpAddressPort *a)
{
  GSocketFamily family =
      a->type == RELOAD_ADDRESS_IPV4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (a->addr, family);
  return g_inet_address_to_string (ip);
}

void
rps_turn_ice_config (ReloadPeerShell *s, ReloadIceLinkConfig *cfg)
{
  struct RpsTurn *t = s->turn;
  if (t == NULL || t->in_use == NULL)
    return;
  /* no stun-server beside it: libnice takes the server-reflexive
   * candidate from the Allocate answer (RFC 5766 §6.3 XOR-MAPPED-ADDRESS),
   * and with both it gathers for 2 s instead of a round trip or two */
  cfg->turn_server = t->in_use_host;
  cfg->turn_port = t->in_use_port;
  /* RFC 5766 §4 asks for the long-term credential mechanism; a server
   * without authentication (coturn's no-auth) takes any */
  cfg->turn_username = t->username != NULL ? t->username : "";
  cfg->turn_password = t->password != NULL ? t->password : "";
}

const ReloadTurnServerInfo *
reload_peer_shell_turn_servers (ReloadPeerShell *s, guint *n_servers)
{
  struct RpsTurn *t = s->turn;
  gint64 now = reload_peer_shell_now ();
  guint n = 0;
  const ReloadTurnServerInfo *list =
      s->node != NULL ? reload_node_turn_servers (s->node, now, &n) : NULL;
  if (n > 0)
    {
      g_array_set_size (t->known, 0);
      g_array_append_vals (t->known, list, n);
    }
  for (guint i = t->known->len; i-- > 0;)
    if (g_array_index (t->known, ReloadTurnServerInfo, i).expires_ms <= now)
      g_array_remove_index (t->known, i);
  *n_servers = t->known->len;
  return (const ReloadTurnServerInfo *) (gpointer) t->known->data;
}

const char *
reload_peer_shell_turn_in_use (ReloadPeerShell *s)
{
  return s->turn != NULL ? s->turn->in_use : NULL;
}

void
reload_peer_shell_turn_discover (ReloadPeerShell *s, ReloadTurnDiscoveryDone done,
                                 gpointer user_data)
{
  reload_node_turn_discover (s->node, done, user_data, reload_peer_shell_now ());
  reload_peer_shell_poke (s);
}

/* ---------------------------------------------------------------- spares */

static GPtrArray *
spares (ReloadPeerShell *s)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (((Link *) v)->spare)
      g_ptr_array_add (out, v);
  return out;
}

static void
drop_spares (ReloadPeerShell *s, gint64 older_than_us)
{
  g_autoptr (GPtrArray) all = spares (s);
  for (guint i = 0; i < all->len; i++)
    {
      Link *l = all->pdata[i];
      if (l->spare_since_us < older_than_us)
        rps_link_destroy (s, l, FALSE);
    }
}

Link *
rps_turn_take_spare (ReloadPeerShell *s, gboolean controlling)
{
  if (s->turn == NULL || s->turn->in_use == NULL)
    return NULL;
  g_autoptr (GPtrArray) all = spares (s);
  Link *best = NULL;
  for (guint i = 0; i < all->len; i++)
    {
      Link *l = all->pdata[i];
      /* the oldest gathered one (the freshest are still gathering) */
      if (reload_ice_link_is_gathered (l->ice)
          && (best == NULL || l->spare_since_us < best->spare_since_us))
        best = l;
    }
  if (best == NULL)
    {
      g_debug ("ICE: no spare agent gathered with TURN %s for this Attach", s->turn->in_use);
      return NULL;
    }
  best->spare = FALSE;
  best->initiator = controlling;
  reload_ice_link_claim (best->ice, controlling);
  return best;
}

/* The ICE sessions this end controls, under way to @peer, other than @l,
 * go: the controlling agent (the Attach requester, RFC 8445 §6.1.1)
 * decides which session makes the link, so this end runs one per peer,
 * the newest (Attaches to Resource-IDs, fingers, are often answered by
 * the same peer; an Attach sent again after a session that is failing
 * carries fresher candidates, e.g. relayed ones).  The peer's agents of
 * the others get no check and fail. */
void
rps_drop_older_sessions (ReloadPeerShell *s, ChordId peer, Link *l)
{
  g_autoptr (GPtrArray) older = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *o = v;
      if (o != l && o->kind == LINK_ICE && o->initiator && !o->up && o->have_expected
          && chord_id_equal (chord_id_from_node_id (&o->expected), peer))
        g_ptr_array_add (older, o);
    }
  for (guint i = 0; i < older->len; i++)
    rps_link_destroy (s, older->pdata[i], FALSE);
}

gboolean
rps_turn_must_gather (ReloadPeerShell *s, Link *l)
{
  if (s->turn == NULL || s->turn->in_use == NULL || reload_ice_link_is_gathered (l->ice))
    return FALSE;
  l->attach_pending = TRUE;
  l->attach_pending_since_us = g_get_monotonic_time ();
  return TRUE;
}

void
rps_turn_attach_ready (ReloadPeerShell *s, Link *l, gboolean going)
{
  l->attach_pending = FALSE;
  if (s->node == NULL)
    return;
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadAttachReqAns part = { 0 };
  gboolean ok = !going
                && reload_ice_link_get_local (l->ice, arena, &part.ufrag, &part.password,
                                              &part.candidates, &part.n_candidates);
  part.role =
      (RwBytes){ (const guint8 *) (l->initiator ? "active" : "passive"), l->initiator ? 6 : 7 };
  reload_node_attach_ready (s->node, l->id, ok ? &part : NULL, reload_peer_shell_now ());
  reload_peer_shell_poke (s);
}

/* Attaches held longer than this go with the candidates gathered so far
 * (an unreachable TURN server makes libnice gather for many seconds). */
#define ATTACH_GATHER_MAX_MS 1500

static void
flush_pending (ReloadPeerShell *s, gint64 now_us)
{
  g_autoptr (GPtrArray) late = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      if (l->attach_pending && now_us - l->attach_pending_since_us > ATTACH_GATHER_MAX_MS * 1000)
        g_ptr_array_add (late, l);
    }
  for (guint i = 0; i < late->len; i++)
    {
      Link *l = late->pdata[i];
      g_message ("ICE: gathering with TURN %s takes long: this Attach goes with what it has",
                 s->turn->in_use ? s->turn->in_use : "(none)");
      rps_turn_attach_ready (s, l, FALSE);
    }
}

/* The server in use: the first of the list. */
static void
choose_server (ReloadPeerShell *s)
{
  struct RpsTurn *t = s->turn;
  guint n;
  const ReloadTurnServerInfo *list = reload_peer_shell_turn_servers (s, &n);
  g_autofree char *want = NULL;
  g_autofree char *host = NULL;
  if (n > 0)
    {
      host = host_of (&list[0].address);
      want = list[0].address.type == RELOAD_ADDRESS_IPV6
                 ? g_strdup_printf ("[%s]:%u", host, list[0].address.port)
                 : g_strdup_printf ("%s:%u", host, list[0].address.port);
    }
  if (g_strcmp0 (want, t->in_use) == 0)
    return;
  if (want != NULL)
    {
      char hex[33];
      g_message ("ICE: using TURN server %s (advertised by %.8s…, TURN-SERVICE §9)", want,
                 chord_id_to_hex (chord_id_from_node_id (&list[0].node_id), hex));
    }
  else
    g_message ("ICE: no TURN server known any more");
  g_free (t->in_use);
  g_free (t->in_use_host);
  t->in_use = g_steal_pointer (&want);
  t->in_use_host = g_steal_pointer (&host);
  t->in_use_port = n > 0 ? list[0].address.port : 0;
  t->relay_seen = t->relay_missed = FALSE;
  /* they gathered with the other server, or with none */
  drop_spares (s, G_MAXINT64);
}

void
reload_peer_shell_set_turn_credential (ReloadPeerShell *s, const char *username,
                                       const char *password)
{
  struct RpsTurn *t = s->turn;
  if (t == NULL
      || (g_strcmp0 (t->username, username) == 0 && g_strcmp0 (t->password, password) == 0))
    return;
  g_free (t->username);
  g_free (t->password);
  t->username = g_strdup (username);
  t->password = g_strdup (password);
  t->relay_seen = t->relay_missed = FALSE;
  /* the spares allocated with the old one */
  drop_spares (s, G_MAXINT64);
  g_message ("ICE: a new TURN credential (%s)", username ? username : "none");
}

static gboolean
tick (gpointer data)
{
  ReloadPeerShell *s = data;
  struct RpsTurn *t = s->turn;
  if (s->leaving || s->node == NULL || !s->ice)
    return G_SOURCE_CONTINUE;
  gint64 now_us = g_get_monotonic_time ();
  flush_pending (s, now_us);
  choose_server (s);
  if (t->in_use == NULL)
    return G_SOURCE_CONTINUE;
  drop_spares (s, now_us - RELOAD_PEER_SHELL_ICE_SPARE_MAX_AGE_S * G_USEC_PER_SEC);
  g_autoptr (GPtrArray) all = spares (s);
  for (guint i = 0; i < all->len && !t->relay_seen; i++)
    {
      Link *l = all->pdata[i];
      if (!reload_ice_link_is_gathered (l->ice))
        continue;
      if (reload_ice_link_count_local (l->ice, RELOAD_CAND_RELAY) > 0)
        {
          t->relay_seen = TRUE;
          g_message ("ICE: TURN server %s gives relayed candidates", t->in_use);
        }
      else if (!t->relay_missed)
        {
          t->relay_missed = TRUE;
          g_message ("ICE: TURN server %s gave no relayed candidate (unreachable, or it "
                     "refuses the overlay's TURN credential)",
                     t->in_use);
        }
    }
  /* keep the pool full, within the link limit (spares count as links) */
  for (guint i = all->len; i < RELOAD_PEER_SHELL_ICE_SPARES; i++)
    {
      if (g_hash_table_size (s->links) >= RELOAD_PEER_SHELL_MAX_LINKS / 2)
        break;
      g_autoptr (GError) error = NULL;
      Link *l = rps_new_ice_link (s, FALSE, TRUE, &error);
      if (l == NULL)
        {
          g_message ("ICE: cannot gather ahead with TURN %s: %s", t->in_use, error->message);
          break;
        }
      l->spare_since_us = now_us;
    }
  return G_SOURCE_CONTINUE;
}

void
rps_turn_start (ReloadPeerShell *s)
{
  if (s->ice && s->turn != NULL)
    s->turn->tick = rps_timeout_source (s, TURN_TICK_MS, tick, s);
}
