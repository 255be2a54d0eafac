/* reload-peer-shell.c: the I/O shell of one RELOAD peer (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-address.h"
#include "reload-peer-shell-private.h"

#include <string.h>

#include "reload-ice-link.h"
#include "reload-link.h"
#include "reload-tls-link.h"
#include "reload-x509-signer.h"

/* clang-format off */
G_DEFINE_QUARK (reload-peer-shell-error-quark, reload_peer_shell_error)
/* clang-format on */

static gboolean node_prepare_attach (gpointer shell, gboolean request, RwArena *arena,
                                     ReloadAttachReqAns *out, guint64 *token);
static void node_release_attach (gpointer shell, guint64 token);
static void try_next_target (ReloadPeerShell *s, Link *l);

gint64
reload_peer_shell_now (void)
{
  return g_get_real_time () / 1000;
}

static char *
hex_id (const ReloadNodeId *id)
{
  return g_strdup_printf ("%.8s…", chord_id_to_hex (chord_id_from_node_id (id), (char[33]){ 0 }));
}

/* ---------------------------------------------------------------- addresses */

GInetSocketAddress *
reload_peer_shell_parse_address (const char *text, GError **error)
{
  GInetSocketAddress *a = chorus_address_parse (text);
  if (a == NULL)
    g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_INVALID,
                 "“%s” is not ADDRESS:PORT (a numeric IPv4 address, or [IPv6]:PORT)",
                 text ? text : "");
  return a;
}

char *
reload_peer_shell_format_address (GInetSocketAddress *address)
{
  GInetAddress *a = g_inet_socket_address_get_address (address);
  g_autofree char *host = g_inet_address_to_string (a);
  guint16 port = g_inet_socket_address_get_port (address);
  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

static gboolean
same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b)
         && g_inet_address_equal (g_inet_socket_address_get_address (a),
                                  g_inet_socket_address_get_address (b));
}

/* An ICE candidate's address as a socket address; NULL for other types. */
static GInetSocketAddress *
candidate_address (const ReloadIceCandidate *c)
{
  GInetAddress *a = NULL;
  if (c->addr_port.type == RELOAD_ADDRESS_IPV4)
    a = g_inet_address_new_from_bytes (c->addr_port.addr, G_SOCKET_FAMILY_IPV4);
  else if (c->addr_port.type == RELOAD_ADDRESS_IPV6)
    a = g_inet_address_new_from_bytes (c->addr_port.addr, G_SOCKET_FAMILY_IPV6);
  if (a == NULL || c->addr_port.port == 0)
    {
      g_clear_object (&a);
      return NULL;
    }
  GSocketAddress *sa = g_inet_socket_address_new (a, c->addr_port.port);
  g_object_unref (a);
  return G_INET_SOCKET_ADDRESS (sa);
}

/* ---------------------------------------------------------------- the timer */

static gboolean
timer_dispatch (gpointer data)
{
  ReloadPeerShell *s = data;
  s->timer_at = G_MAXINT64;
  reload_node_expire (s->node, reload_peer_shell_now ());
  reload_peer_shell_poke (s);
  return G_SOURCE_CONTINUE;
}

void
reload_peer_shell_poke (ReloadPeerShell *s)
{
  if (s->node == NULL || s->timer == NULL)
    return;
  gint64 at = reload_node_next_expiry (s->node);
  if (at == s->timer_at)
    return;
  s->timer_at = at;
  if (at == G_MAXINT64)
    {
      g_source_set_ready_time (s->timer, -1);
      return;
    }
  gint64 delay_ms = MAX (0, at - reload_peer_shell_now ());
  g_source_set_ready_time (s->timer, g_get_monotonic_time () + delay_ms * 1000);
}

/* A source that only has a ready time: dispatch calls the callback. */
static gboolean
timer_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs timer_source_funcs = {
  .dispatch = timer_source_dispatch,
};

GSource *
rps_timeout_source (ReloadPeerShell *s, guint ms, GSourceFunc func, gpointer data)
{
  GSource *src = g_timeout_source_new (ms);
  g_source_set_callback (src, func, data, NULL);
  g_source_attach (src, s->context);
  return src;
}

void
rps_clear_source (GSource **src)
{
  if (*src == NULL)
    return;
  g_source_destroy (*src);
  g_source_unref (*src);
  *src = NULL;
}

/* ---------------------------------------------------------------- the node's shell */

static Link *
link_by_peer (ReloadPeerShell *s, ChordId peer, gboolean up_only, Link *except)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      if (l == except)
        continue;
      if (l->up && chord_id_equal (chord_id_from_node_id (&l->peer), peer))
        return l;
      if (!up_only && !l->up && l->have_expected
          && chord_id_equal (chord_id_from_node_id (&l->expected), peer))
        return l;
    }
  return NULL;
}

static void
node_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  ReloadPeerShell *s = shell;
  Link *l = g_hash_table_lookup (s->links, &link);
  if (l == NULL || (l->tls == NULL && l->ice == NULL))
    return;
  g_autoptr (GError) error = NULL;
  gboolean sent = l->ice != NULL ? reload_ice_link_send (l->ice, data, len, &error)
                                 : reload_tls_link_send (l->tls, data, len, &error);
  if (!sent)
    g_debug ("link %" G_GUINT64_FORMAT " to %s: message of %" G_GSIZE_FORMAT " bytes dropped: %s",
             link, l->address, len, error->message);
}

static Link *
link_new (ReloadPeerShell *s, LinkKind kind)
{
  Link *l = g_new0 (Link, 1);
  l->shell = s;
  l->id = ++s->next_link_id;
  l->kind = kind;
  g_hash_table_insert (s->links, &l->id, l);
  return l;
}

/* Opens an outbound link of @kind to the first of @targets that answers. */
Link *
rps_open_link (ReloadPeerShell *s, LinkKind kind, GPtrArray *targets, const ReloadNodeId *expected)
{
  if (g_hash_table_size (s->links) >= RELOAD_PEER_SHELL_MAX_LINKS)
    {
      g_message ("not opening a link: %u links already", RELOAD_PEER_SHELL_MAX_LINKS);
      return NULL;
    }
  Link *l = link_new (s, kind);
  l->targets = g_ptr_array_ref (targets);
  if (expected != NULL)
    {
      l->have_expected = TRUE;
      l->expected = *expected;
    }
  try_next_target (s, l);
  return g_hash_table_lookup (s->links, &l->id) ? l : NULL;
}

static void
start_attach_link (ReloadPeerShell *s, const ReloadNodeId *peer_id, GPtrArray *targets)
{
  ChordId peer = chord_id_from_node_id (peer_id);
  if (link_by_peer (s, peer, FALSE, NULL) != NULL)
    return;
  rps_open_link (s, LINK_ATTACH, targets, peer_id);
}

static void
glare_wait_free (gpointer data)
{
  GlareWait *w = data;
  rps_clear_source (&w->timer);
  g_ptr_array_unref (w->targets);
  g_free (w);
}

static gboolean
glare_wait_expired (gpointer data)
{
  GlareWait *w = data;
  ReloadPeerShell *s = w->shell;
  ReloadNodeId id = w->peer_id;
  g_autoptr (GPtrArray) targets = g_ptr_array_ref (w->targets);
  g_hash_table_remove (s->glare, &w->peer); /* frees w */
  start_attach_link (s, &id, targets);
  return G_SOURCE_REMOVE;
}

/* The peer's half of an Attach with ICE: checks start on the agent this
 * Attach prepared; its certificate must then hold @peer_id (§6.5.1.11 says
 * so for No-ICE; the same holds for the DTLS on the selected pair). */
static void
connect_ice (ReloadPeerShell *s, Link *l, const ReloadNodeId *peer_id,
             const ReloadAttachReqAns *remote)
{
  ChordId peer = chord_id_from_node_id (peer_id);
  if (link_by_peer (s, peer, TRUE, l) != NULL)
    {
      /* a link to that peer came up meanwhile */
      rps_link_destroy (s, l, FALSE);
      return;
    }
  l->have_expected = TRUE;
  l->expected = *peer_id;
  g_autoptr (GError) error = NULL;
  if (!reload_ice_link_set_remote (l->ice, remote->ufrag, remote->password, remote->candidates,
                                   remote->n_candidates, &error))
    {
      g_autofree char *h = hex_id (peer_id);
      g_message ("attach to %s: %s", h, error->message);
      rps_link_destroy (s, l, FALSE);
      return;
    }
  if (l->initiator)
    rps_drop_older_sessions (s, peer, l);
}

/* ReloadNodeShell.connect: both ends of an Attach call this, the answerer
 * with the requester's candidates and the requester with the answerer's.
 * Over TLS/TCP only one of them should open the connection (§6.5.1.2
 * resolves glare between two Attaches by Node-ID in the same spirit): the
 * peer with the lower Node-ID connects at once, the other connects only if
 * no link came up after RELOAD_PEER_SHELL_GLARE_WAIT_MS (the first one's
 * connection may have failed, or its Attach answer never arrived). */
static void
node_connect (gpointer shell, const ReloadNodeId *peer_id, const ReloadAttachReqAns *remote,
              guint64 token)
{
  ReloadPeerShell *s = shell;
  const ReloadIceCandidate *candidates = remote->candidates;
  guint n_candidates = remote->n_candidates;
  if (s->leaving)
    return;
  ChordId peer = chord_id_from_node_id (peer_id);
  Link *prepared = token != 0 ? g_hash_table_lookup (s->links, &token) : NULL;
  if (prepared != NULL && prepared->ice != NULL)
    {
      connect_ice (s, prepared, peer_id, remote);
      return;
    }
  if (link_by_peer (s, peer, FALSE, NULL) != NULL || g_hash_table_contains (s->glare, &peer))
    return;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_candidates; i++)
    {
      /* §6.5.1.11: No-ICE candidates; ICE ones need an ICE agent */
      if (candidates[i].overlay_link != RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE)
        continue;
      GInetSocketAddress *a = candidate_address (&candidates[i]);
      if (a != NULL)
        g_ptr_array_add (targets, a);
    }
  if (targets->len == 0)
    {
      g_autofree char *h = hex_id (peer_id);
      g_message ("attach to %s: no TLS-TCP-FH-NO-ICE candidate to connect to", h);
      return;
    }
  ChordId self = reload_node_get_id (s->node);
  if (chord_id_cmp (self, peer) < 0)
    {
      start_attach_link (s, peer_id, targets);
      return;
    }
  GlareWait *w = g_new0 (GlareWait, 1);
  w->shell = s;
  w->peer = peer;
  w->peer_id = *peer_id;
  w->targets = g_ptr_array_ref (targets);
  w->timer = rps_timeout_source (s, RELOAD_PEER_SHELL_GLARE_WAIT_MS, glare_wait_expired, w);
  g_hash_table_insert (s->glare, &w->peer, w);
}

static void
node_close (gpointer shell, guint64 link)
{
  ReloadPeerShell *s = shell;
  Link *l = g_hash_table_lookup (s->links, &link);
  if (l == NULL)
    return;
  /* the node forgot the link already: it must not hear of it again */
  l->given_to_node = FALSE;
  if (l->tls != NULL && l->up)
    reload_tls_link_close (l->tls);
  else if (l->ice != NULL && l->up)
    reload_ice_link_close (l->ice);
  else
    rps_link_destroy (s, l, FALSE);
}

static void
node_joined (gpointer shell)
{
  ReloadPeerShell *s = shell;
  if (s->joined)
    return;
  s->joined = TRUE;
  char hex[33];
  g_message ("joined the overlay %s as %s with %u links", s->identity->overlay_name,
             chord_id_to_hex (reload_node_get_id (s->node), hex), reload_node_n_links (s->node));
  if (s->netchange_ms != 0)
    {
      Link *through = g_hash_table_lookup (s->links, &s->bootstrap_link);
      g_autofree char *addr = reload_peer_shell_format_address (s->listen_address);
      g_message ("re-joined through %s %" G_GINT64_FORMAT " ms after the network change, "
                 "reachable at %s",
                 through != NULL ? through->address : "a bootstrap peer",
                 reload_peer_shell_now () - s->netchange_ms, addr);
      s->netchange_ms = 0;
    }
  rps_joined (s); /* reload-peer-shell-join.c: partitions, cache, multicast */
  if (s->joined_cb)
    s->joined_cb (s->user_data);
}

const ReloadNodeShell rps_node_shell_ops = {
  .send = node_send,
  .connect = node_connect,
  .close = node_close,
  .joined = node_joined,
  .prepare_attach = node_prepare_attach,
  .release_attach = node_release_attach,
  .config_update = rps_node_config_update, /* reload-peer-shell-config.c */
  .attach_seen = rps_node_attach_seen,     /* reload-peer-shell-join.c: §11.4 */
  .app_attach = rps_node_app_attach,       /* reload-peer-shell-app.c: §6.5.2 */
};

/* ---------------------------------------------------------------- links */

static void
link_free_all (gpointer data)
{
  Link *l = data;
  if (l->connecting != NULL)
    {
      g_cancellable_cancel (l->connecting);
      g_object_unref (l->connecting);
    }
  g_clear_pointer (&l->tls, reload_tls_link_free);
  g_clear_pointer (&l->ice, reload_ice_link_free);
  g_clear_pointer (&l->targets, g_ptr_array_unref);
  g_free (l->address);
  g_free (l);
}

void
rps_link_destroy (ReloadPeerShell *s, Link *l, gboolean tell_node)
{
  guint64 id = l->id;
  if (l->tls != NULL && !l->up && l->kind == LINK_INBOUND && s->n_handshaking > 0)
    s->n_handshaking--;
  if (l->attach_pending)
    rps_turn_attach_ready (s, l, TRUE); /* the node drops the Attach it holds */
  gboolean was_given = l->given_to_node;
  gboolean was_bootstrap = id == s->bootstrap_link;
  /* an Attach's link that never reached the node (ICE failed, a timeout) */
  gboolean attach_failed = !was_given && !l->spare && l->have_expected
                           && (l->kind == LINK_ICE || l->kind == LINK_ATTACH);
  ReloadNodeId expected = l->expected;
  g_hash_table_steal (s->links, &id);
  link_free_all (l);
  if (tell_node && was_given && s->node != NULL)
    {
      reload_node_link_down (s->node, id, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
    }
  ChordId expected_id = chord_id_from_node_id (&expected);
  if (attach_failed && s->node != NULL && !s->leaving
      && link_by_peer (s, expected_id, FALSE, NULL) == NULL
      && !g_hash_table_contains (s->glare, &expected_id))
    {
      /* no other way to that peer is under way: the node may attach again */
      reload_node_attach_failed (s->node, &expected, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
    }
  if (was_bootstrap)
    s->bootstrap_link = 0;
  rps_bootstrap_attempt_gone (s, id); /* a bootstrap attempt that failed */
  if (s->leaving && g_hash_table_size (s->links) == 0 && s->leave_done != NULL)
    {
      GSourceFunc done = s->leave_done;
      s->leave_done = NULL;
      rps_clear_source (&s->leave_timer);
      done (s->leave_data);
    }
}

/* The preferred of two links between the same two peers (glare): the one
 * that the peer with the lower Node-ID opened.  Both ends agree. */
static gboolean
link_is_preferred (ReloadPeerShell *s, const Link *l)
{
  ChordId self = reload_node_get_id (s->node);
  ChordId peer = chord_id_from_node_id (&l->peer);
  gboolean outbound = l->kind == LINK_ICE ? l->initiator : l->kind != LINK_INBOUND;
  return outbound == (chord_id_cmp (self, peer) < 0);
}

/* Two links to one peer: a glare (both ends opened one at about the same
 * time, §6.5.1.2) when the first has been up for less than this; beyond,
 * the peer lost the first (tls_up).  A glare's second link comes within
 * the glare wait plus a connect and a handshake. */
#define STALE_LINK_AGE_MS \
  (RELOAD_PEER_SHELL_GLARE_WAIT_MS + RELOAD_PEER_SHELL_CONNECT_TIMEOUT_S * 1000)

/* Whether two TLS links reach the same address of the other end (a glare
 * does: both connections are between the same two hosts).  ICE links
 * are not compared (their address is their pair's). */
static gboolean
same_host (const Link *a, const Link *b)
{
  if (a->tls == NULL || b->tls == NULL || a->address == NULL || b->address == NULL)
    return TRUE;
  const char *ca = strrchr (a->address, ':');
  const char *cb = strrchr (b->address, ':');
  if (ca == NULL || cb == NULL)
    return TRUE;
  return ca - a->address == cb - b->address
         && strncmp (a->address, b->address, (gsize) (ca - a->address)) == 0;
}

static void
tls_up (ReloadTlsLink *tls, const ReloadCertIdentity *identity, gpointer user_data)
{
  Link *l = user_data;
  ReloadPeerShell *s = l->shell;
  gint64 now = reload_peer_shell_now ();
  if (l->kind == LINK_INBOUND && s->n_handshaking > 0)
    s->n_handshaking--;
  l->up = TRUE;
  l->up_since_us = g_get_monotonic_time ();
  l->peer = identity->node_ids[0];
  if (l->have_expected)
    {
      /* §6.5.1.11: "The certificate exchanged during the TLS or DTLS
       * handshake MUST match the node which sent the AttachReqAns, and if
       * it does not, the connection MUST be closed." */
      gboolean match = FALSE;
      for (guint i = 0; i < identity->n_node_ids && !match; i++)
        match = chord_id_equal (chord_id_from_node_id (&identity->node_ids[i]),
                                chord_id_from_node_id (&l->expected));
      if (!match)
        {
          g_autofree char *h = hex_id (&l->expected);
          g_message ("link to %s: the certificate of %s does not hold Node-ID %s: closed",
                     l->address, identity->user_name, h);
          rps_link_destroy (s, l, FALSE);
          return;
        }
      l->peer = l->expected;
    }
  ChordId peer = chord_id_from_node_id (&l->peer);
  if (chord_id_equal (peer, reload_node_get_id (s->node)))
    {
      /* a bootstrap address that is our own under another name */
      g_debug ("link to %s is to ourselves: closed", l->address);
      rps_link_destroy (s, l, FALSE);
      return;
    }
  g_autofree char *h = hex_id (&l->peer);
  g_debug ("link %" G_GUINT64_FORMAT " up: %s %s (%s)", l->id,
           l->kind == LINK_INBOUND ? "from" : "to", l->address, h);

  Link *other = link_by_peer (s, peer, TRUE, l);
  if (l->kind == LINK_PARTITION)
    {
      guint64 use = l->id;
      if (other != NULL)
        {
          use = other->id;
          rps_link_destroy (s, l, FALSE);
        }
      else
        l->given_to_node = TRUE;
      reload_node_check_partition (s->node, use, other ? &other->peer : &l->peer, now);
      reload_peer_shell_poke (s);
      return;
    }
  if (other != NULL && other->kind != LINK_PARTITION
      && (g_get_monotonic_time () - other->up_since_us > STALE_LINK_AGE_MS * 1000
          || !same_host (other, l)))
    {
      /* The peer opened a link to us although one of ours has been up for
       * long, or from another address than that one: it has lost its end
       * of the old link (its address changed, or it started again:
       * reload-peer-shell-netwatch.c), which the TCP connection may take
       * minutes to tell us.  The new link is the peer's now; keeping the
       * old one by the glare rule would refuse the peer every link (and
       * its join through us) until then. */
      g_message ("link to %s (%s): %s opened a new link from %s; the old one is stale: closed", h,
                 other->address, h, l->address);
      /* nothing to flush on it: the node hears it is down */
      rps_link_destroy (s, other, TRUE);
      other = NULL;
    }
  if (other != NULL)
    {
      /* two links to one peer: keep the one both ends prefer */
      if (!link_is_preferred (s, l))
        {
          g_debug ("second link to %s closed (glare)", h);
          rps_link_destroy (s, l, FALSE);
          return;
        }
      g_debug ("second link to %s preferred over the first (glare)", h);
      if (other->tls != NULL)
        reload_tls_link_close (other->tls);
      else if (other->ice != NULL)
        reload_ice_link_close (other->ice);
      if (other->given_to_node && other->kind != LINK_BOOTSTRAP)
        {
          /* the node keeps its link to the peer: the preferred transport
           * takes over the link id the node knows, so that the node sees
           * no loss (it would drop the peer from its table and attach
           * again, making the next glare) */
          g_hash_table_steal (s->links, &l->id);
          g_hash_table_steal (s->links, &other->id);
          guint64 id = other->id;
          other->id = l->id;
          l->id = id;
          g_hash_table_insert (s->links, &l->id, l);
          g_hash_table_insert (s->links, &other->id, other);
          other->given_to_node = FALSE;
          l->given_to_node = TRUE;
          g_hash_table_remove (s->glare, &peer);
          reload_peer_shell_poke (s);
          return;
        }
      if (other->given_to_node)
        {
          other->given_to_node = FALSE;
          reload_node_link_down (s->node, other->id, now);
        }
    }
  g_hash_table_remove (s->glare, &peer);
  l->given_to_node = TRUE;
  if (l->kind == LINK_BOOTSTRAP && !s->node_started)
    rps_bootstrap_link_up (s, l, now); /* the node starts through it (§10.5) */
  else
    reload_node_link_up (s->node, l->id, &l->peer, now);
  reload_peer_shell_poke (s);
}

static void
tls_message (ReloadTlsLink *tls, const guint8 *data, gsize len, gpointer user_data)
{
  Link *l = user_data;
  ReloadPeerShell *s = l->shell;
  if (!l->given_to_node || s->node == NULL)
    return;
  reload_node_receive (s->node, l->id, data, len, reload_peer_shell_now ());
  reload_peer_shell_poke (s);
}

static void
tls_down (ReloadTlsLink *tls, const GError *error, gpointer user_data)
{
  Link *l = user_data;
  ReloadPeerShell *s = l->shell;
  gboolean was_up = l->up;
  if (was_up && l->given_to_node)
    {
      g_autofree char *h = hex_id (&l->peer);
      if (error != NULL)
        g_message ("link to %s (%s) failed: %s", h, l->address, error->message);
      else
        g_debug ("link to %s (%s) closed", h, l->address);
    }
  else if (!was_up && error != NULL && l->kind != LINK_INBOUND)
    g_debug ("link to %s: handshake failed: %s", l->address, error->message);
  else if (!was_up && error != NULL)
    g_debug ("link from %s refused: %s", l->address, error->message);
  gboolean retry_target =
      !was_up && l->kind != LINK_INBOUND && l->targets != NULL && l->next_target < l->targets->len;
  if (retry_target)
    {
      g_clear_pointer (&l->tls, reload_tls_link_free);
      try_next_target (s, l);
      return;
    }
  rps_link_destroy (s, l, TRUE); /* a bootstrap attempt: the round goes on */
}

static const ReloadTlsLinkCallbacks tls_callbacks = {
  .up = tls_up,
  .message = tls_message,
  .down = tls_down,
};

/* ICE links report the same events; the link logic is the same */
static void
ice_up (ReloadIceLink *ice, const ReloadCertIdentity *identity, gpointer user_data)
{
  tls_up (NULL, identity, user_data);
}

static void
ice_message (ReloadIceLink *ice, const guint8 *data, gsize len, gpointer user_data)
{
  tls_message (NULL, data, len, user_data);
}

static void
ice_down (ReloadIceLink *ice, const GError *error, gpointer user_data)
{
  tls_down (NULL, error, user_data);
}

static void
ice_gathered (ReloadIceLink *ice, gpointer user_data)
{
  Link *l = user_data;
  if (l->attach_pending)
    rps_turn_attach_ready (l->shell, l, FALSE);
}

static const ReloadIceLinkCallbacks ice_callbacks = {
  .gathered = ice_gathered,
  .up = ice_up,
  .message = ice_message,
  .down = ice_down,
};

/* ReloadNodeShell.release_attach: an ICE session prepared for an Attach
 * that will not be connected goes at once (it would hold its sockets
 * until RELOAD_ICE_LINK_TIMEOUT_MS otherwise). */
static void
node_release_attach (gpointer shell, guint64 token)
{
  ReloadPeerShell *s = shell;
  /* the node releases its pending Attaches when it is freed, after the
   * links */
  Link *l = s->links != NULL ? g_hash_table_lookup (s->links, &token) : NULL;
  if (l != NULL && l->ice != NULL && !l->up && !l->given_to_node)
    rps_link_destroy (s, l, FALSE);
}

/* ReloadNodeShell.prepare_attach: with full ICE (§6.5.1), every Attach,
 * request or answer, gets an ICE agent of its own whose candidates go in
 * it; the requester's agent controls (RFC 8445 §6.1.1: the initiating
 * agent) and becomes the DTLS client.  Host candidates are known at once;
 * server-reflexive and relayed ones need the STUN/TURN servers this shell
 * does not configure yet. */
static gboolean
node_prepare_attach (gpointer shell, gboolean request, RwArena *arena, ReloadAttachReqAns *out,
                     guint64 *token)
{
  ReloadPeerShell *s = shell;
  if (!s->ice)
    return FALSE;
  /* an overlay is all ICE (§6.5.1): without a free link slot this Attach
   * carries no candidate rather than a No-ICE one */
  out->ufrag = (RwBytes){ (const guint8 *) "none", 4 };
  out->password = (RwBytes){ (const guint8 *) "no-free-link-for-this-attach", 28 };
  out->role = (RwBytes){ (const guint8 *) (request ? "active" : "passive"), request ? 6 : 7 };
  *token = 0;
  if (s->leaving || g_hash_table_size (s->links) >= RELOAD_PEER_SHELL_MAX_LINKS)
    return TRUE;
  /* with a TURN server, an agent gathered ahead: its server-reflexive and
   * relayed candidates go in this Attach (reload-peer-shell-turn.c) */
  g_autoptr (GError) error = NULL;
  Link *l = rps_turn_take_spare (s, request);
  if (l == NULL)
    l = rps_new_ice_link (s, request, FALSE, &error);
  if (l != NULL && rps_turn_must_gather (s, l))
    {
      /* none gathered ahead: the node holds this Attach until this agent
       * has gathered (reload_node_attach_ready()) */
      out->n_candidates = 0;
      *token = l->id;
      return TRUE;
    }
  if (l == NULL
      || !reload_ice_link_get_local (l->ice, arena, &out->ufrag, &out->password, &out->candidates,
                                     &out->n_candidates))
    {
      g_message ("ICE for an Attach: %s", error ? error->message : "no local candidate");
      if (l != NULL)
        rps_link_destroy (s, l, FALSE);
      return TRUE;
    }
  *token = l->id;
  return TRUE;
}

Link *
rps_new_ice_link (ReloadPeerShell *s, gboolean controlling, gboolean spare, GError **error)
{
  Link *l = link_new (s, LINK_ICE);
  l->initiator = controlling;
  l->spare = spare;
  l->address = g_strdup ("ICE");
  ReloadIceLinkConfig cfg = { 0 };
  cfg.controlling = controlling;
  cfg.spare = spare;
  const char *addresses[] = { s->ice_address, NULL };
  cfg.local_addresses = s->ice_address != NULL ? addresses : NULL;
  rps_turn_ice_config (s, &cfg);
  l->ice = reload_ice_link_new (&cfg, s->cert, s->key, s->ca, &ice_callbacks, l, error);
  if (l->ice == NULL)
    {
      rps_link_destroy (s, l, FALSE);
      return NULL;
    }
  return l;
}

typedef struct
{
  ReloadPeerShell *shell;
  guint64 link;
} ConnectOp;

static void
connected (GObject *source, GAsyncResult *result, gpointer data)
{
  ConnectOp *op = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) conn =
      g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (op);
      return; /* the link or the shell is gone */
    }
  ReloadPeerShell *s = op->shell;
  Link *l = g_hash_table_lookup (s->links, &op->link);
  g_free (op);
  if (l == NULL)
    return;
  g_clear_object (&l->connecting);
  if (conn == NULL)
    {
      g_debug ("link to %s: %s", l->address, error->message);
      tls_down (NULL, error, l);
      return;
    }
  l->tls = reload_tls_link_new_for_connection (conn, RELOAD_TLS_LINK_CLIENT, s->cert, s->key, s->ca,
                                               s->max_message_size, &tls_callbacks, l, &error);
  if (l->tls == NULL)
    {
      g_message ("link to %s: %s", l->address, error->message);
      rps_link_destroy (s, l, TRUE);
    }
}

static void
try_next_target (ReloadPeerShell *s, Link *l)
{
  if (l->next_target >= l->targets->len)
    {
      rps_link_destroy (s, l, TRUE);
      return;
    }
  GInetSocketAddress *a = l->targets->pdata[l->next_target++];
  g_free (l->address);
  l->address = reload_peer_shell_format_address (a);
  l->connecting = g_cancellable_new ();
  ConnectOp *op = g_new0 (ConnectOp, 1);
  op->shell = s;
  op->link = l->id;
  g_socket_client_connect_async (s->client, G_SOCKET_CONNECTABLE (a), l->connecting, connected, op);
}

static gboolean
accept_ready (GSocket *listener, GIOCondition cond, gpointer data)
{
  ReloadPeerShell *s = data;
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) sock = g_socket_accept (listener, NULL, &error);
      if (sock == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_message ("accept: %s", error->message);
          break;
        }
      g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (sock, NULL);
      g_autofree char *from =
          remote ? reload_peer_shell_format_address (G_INET_SOCKET_ADDRESS (remote))
                 : g_strdup ("?");
      /* hostile input: a flood of half-open handshakes must not take every
       * link of this peer */
      if (s->leaving || g_hash_table_size (s->links) >= RELOAD_PEER_SHELL_MAX_LINKS
          || s->n_handshaking >= RELOAD_PEER_SHELL_MAX_HANDSHAKING)
        {
          g_debug ("connection from %s refused: %u links, %u handshaking", from,
                   g_hash_table_size (s->links), s->n_handshaking);
          g_socket_close (sock, NULL);
          continue;
        }
      Link *l = link_new (s, LINK_INBOUND);
      l->address = g_steal_pointer (&from);
      l->tls = reload_tls_link_new (sock, RELOAD_TLS_LINK_SERVER, s->cert, s->key, s->ca,
                                    s->max_message_size, &tls_callbacks, l, &error);
      if (l->tls == NULL)
        {
          g_message ("link from %s: %s", l->address, error->message);
          rps_link_destroy (s, l, FALSE);
          continue;
        }
      s->n_handshaking++;
    }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- API */

static guint
chord_id_hash_func (gconstpointer p)
{
  const ChordId *id = p;
  return (guint) (id->lo ^ id->hi);
}

static gboolean
chord_id_equal_func (gconstpointer a, gconstpointer b)
{
  return chord_id_equal (*(const ChordId *) a, *(const ChordId *) b);
}

void
rps_set_advertised (ReloadPeerShell *s, GInetAddress *a)
{
  g_clear_object (&s->listen_address);
  s->listen_address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (a, s->listen_port));
  g_free (s->ice_address);
  s->ice_address = g_inet_address_to_string (a);
  /* §6.5.1.1, §6.6.5: our one candidate, a passive TLS-TCP-FH-NO-ICE
   * host candidate */
  ReloadIceCandidate *c = &s->candidate;
  gsize n = g_inet_address_get_native_size (a);
  memset (&c->addr_port, 0, sizeof c->addr_port);
  c->addr_port.type = n == 4 ? RELOAD_ADDRESS_IPV4 : RELOAD_ADDRESS_IPV6;
  memcpy (c->addr_port.addr, g_inet_address_to_bytes (a), n);
  c->addr_port.port = s->listen_port;
  c->overlay_link = RELOAD_OVERLAY_LINK_TLS_TCP_FH_NO_ICE;
  s->foundation[0] = '1';
  c->foundation = (RwBytes){ s->foundation, 1 };
  c->priority = (126u << 24) | (65535u << 8) | 255u; /* RFC 8445 §5.1.2.1, host */
  c->type = RELOAD_CAND_HOST;
  s->tcptype.name = (RwBytes){ (const guint8 *) "tcptype", 7 };
  s->tcptype.value = (RwBytes){ (const guint8 *) "passive", 7 };
  c->extensions = &s->tcptype;
  c->n_extensions = 1;
}

gboolean
rps_listen_on (ReloadPeerShell *s, GInetSocketAddress *want, GError **error)
{
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (want));
  g_autoptr (GSocket) sock =
      g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  g_socket_set_blocking (sock, FALSE);
  if (!g_socket_bind (sock, G_SOCKET_ADDRESS (want), TRUE, error) || !g_socket_listen (sock, error))
    {
      g_autofree char *text = reload_peer_shell_format_address (want);
      g_prefix_error (error, "listening on %s: ", text);
      if (error != NULL && *error != NULL)
        {
          (*error)->domain = RELOAD_PEER_SHELL_ERROR;
          (*error)->code = RELOAD_PEER_SHELL_ERROR_LISTEN;
        }
      return FALSE;
    }
  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (sock, error);
  if (bound == NULL)
    return FALSE;
  s->listen_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  rps_clear_source (&s->accept_source);
  if (s->listener != NULL)
    g_socket_close (s->listener, NULL);
  g_clear_object (&s->listener);
  s->listener = g_steal_pointer (&sock);
  if (s->started)
    {
      s->accept_source = g_socket_create_source (s->listener, G_IO_IN, s->cancellable);
      g_source_set_callback (s->accept_source, G_SOURCE_FUNC (accept_ready), s, NULL);
      g_source_attach (s->accept_source, s->context);
    }
  return TRUE;
}

/* A specific address is listened on and advertised as it is; a wildcard
 * (0.0.0.0:PORT, [::]:PORT) accepts on every address, and what is
 * advertised is chosen once the bootstrap nodes are known
 * (rps_netwatch_pick_address) and again when the network changes. */
static gboolean
bind_listener (ReloadPeerShell *s, const char *listen, GError **error)
{
  g_autoptr (GInetSocketAddress) want =
      reload_peer_shell_parse_address (listen ? listen : "127.0.0.1:0", error);
  if (want == NULL)
    return FALSE;
  if (!rps_listen_on (s, want, error))
    return FALSE;
  GInetAddress *a = g_inet_socket_address_get_address (want);
  s->listen_any = g_inet_address_get_is_any (a);
  if (!s->listen_any)
    {
      s->listen_configured = g_object_ref (a);
      rps_set_advertised (s, a);
    }
  return TRUE;
}

ReloadPeerShell *
reload_peer_shell_new (const ReloadCredentials *creds, const ReloadPeerShellConfig *config,
                       GError **error)
{
  g_return_val_if_fail (creds != NULL && config != NULL, NULL);
  if (creds->cert == NULL || creds->key == NULL)
    {
      g_set_error (error, RELOAD_PEER_SHELL_ERROR, RELOAD_PEER_SHELL_ERROR_INVALID,
                   "the profile has no certificate and key of this peer");
      return NULL;
    }
  g_autoptr (ReloadPeerShell) s = g_new0 (ReloadPeerShell, 1);
  s->context = g_main_context_ref_thread_default ();
  s->ca = reload_cert_ref (creds->ca);
  s->cert = reload_cert_ref (creds->cert);
  s->key = reload_key_copy (creds->key);
  s->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, link_free_all);
  s->glare = g_hash_table_new_full (chord_id_hash_func, chord_id_equal_func, NULL, glare_wait_free);
  s->bootstrap = g_ptr_array_new_with_free_func (g_object_unref);
  rps_cache_init (s, &config->cache);
  rps_bootstrap_init (s);
  s->cancellable = g_cancellable_new ();
  s->isolated_since_ms = -1;
  s->bootstrap_backoff_ms = RELOAD_PEER_SHELL_BOOTSTRAP_RETRY_MS;
  s->node_cfg = config->node;
  s->kinds = config->node.kinds ? reload_kind_table_ref (config->node.kinds)
                                : reload_kind_table_new_default ();
  s->max_message_size = config->node.max_message_size ? config->node.max_message_size : 5000;
  s->joined_cb = config->joined;
  s->config_update_cb = config->config_update;
  s->config_document =
      config->node.config_document ? g_bytes_ref (config->node.config_document) : NULL;
  s->node_cfg.config_document = s->config_document;
  s->ice = config->ice;
  s->user_data = config->user_data;
  rps_turn_init (s, config);
  s->identity = reload_cert_get_identity (s->cert, error);
  if (s->identity == NULL)
    return NULL;
  if (!bind_listener (s, config->listen, error))
    return NULL;
  for (guint i = 0; config->bootstrap != NULL && config->bootstrap[i] != NULL; i++)
    {
      GInetSocketAddress *a = reload_peer_shell_parse_address (config->bootstrap[i], error);
      if (a == NULL)
        return NULL;
      gboolean self = s->listen_any
                          ? g_inet_socket_address_get_port (a) == s->listen_port
                                && rps_netwatch_is_local (g_inet_socket_address_get_address (a))
                          : same_address (a, s->listen_address);
      if (self)
        {
          s->is_bootstrap_node = TRUE;
          g_object_unref (a);
          continue;
        }
      g_ptr_array_add (s->bootstrap, a);
    }
  if (s->listen_any)
    {
      /* the address the kernel would use toward the overlay */
      g_autoptr (GInetAddress) a = rps_netwatch_pick_address (s);
      if (a == NULL)
        a = g_inet_address_new_loopback (g_socket_get_family (s->listener));
      rps_set_advertised (s, a);
    }
  if (!rps_multicast_init (s, config->multicast_bootstrap, error))
    return NULL;
  s->client = g_socket_client_new ();
  g_socket_client_set_timeout (s->client, RELOAD_PEER_SHELL_CONNECT_TIMEOUT_S);
  if (!rps_make_node (s, error))
    return NULL;
  return g_steal_pointer (&s);
}

void
reload_peer_shell_start (ReloadPeerShell *s)
{
  g_return_if_fail (s != NULL && !s->started);
  s->started = TRUE;
  s->started_monotonic_us = g_get_monotonic_time ();
  s->attempt_started_ms = reload_peer_shell_now ();
  s->timer = g_source_new (&timer_source_funcs, sizeof (GSource));
  g_source_set_callback (s->timer, timer_dispatch, s, NULL);
  g_source_set_ready_time (s->timer, -1);
  g_source_attach (s->timer, s->context);
  s->accept_source = g_socket_create_source (s->listener, G_IO_IN, s->cancellable);
  g_source_set_callback (s->accept_source, G_SOURCE_FUNC (accept_ready), s, NULL);
  g_source_attach (s->accept_source, s->context);
  s->watchdog_timer = rps_timeout_source (s, 1000, rps_watchdog, s);
  rps_turn_start (s);
  rps_multicast_start (s);
  rps_netwatch_start (s); /* reload-peer-shell-netwatch.c */
  g_autofree char *addr = reload_peer_shell_format_address (s->listen_address);
  char hex[33];
  g_message ("peer %s (%s) of overlay %s listening on %s%s (TLS-TCP-FH-NO-ICE)",
             chord_id_to_hex (reload_node_get_id (s->node), hex), s->identity->user_name,
             s->identity->overlay_name, s->listen_any ? "every address, advertising " : "", addr);
  rps_schedule_bootstrap (s, 0);
}

static gboolean
leave_timeout (gpointer data)
{
  ReloadPeerShell *s = data;
  g_source_unref (s->leave_timer);
  s->leave_timer = NULL;
  GSourceFunc done = s->leave_done;
  s->leave_done = NULL;
  if (done != NULL)
    done (s->leave_data);
  return G_SOURCE_REMOVE;
}

void
reload_peer_shell_leave (ReloadPeerShell *s, guint timeout_ms, GSourceFunc done, gpointer user_data)
{
  g_return_if_fail (s != NULL);
  s->leaving = TRUE;
  s->leave_done = done;
  s->leave_data = user_data;
  rps_clear_source (&s->bootstrap_timer);
  rps_clear_source (&s->partition_timer);
  g_hash_table_remove_all (s->glare);
  if (s->joined)
    {
      /* §10.9 */
      reload_node_leave (s->node, reload_peer_shell_now ());
      reload_peer_shell_poke (s);
    }
  /* every link flushes what is queued (the Leave) and closes */
  GList *links = g_hash_table_get_values (s->links);
  for (GList *i = links; i; i = i->next)
    {
      Link *l = i->data;
      l->given_to_node = FALSE;
      if (l->tls != NULL && l->up)
        reload_tls_link_close (l->tls);
      else
        rps_link_destroy (s, l, FALSE);
    }
  g_list_free (links);
  if (g_hash_table_size (s->links) == 0)
    {
      s->leave_done = NULL;
      if (done != NULL)
        s->leave_timer = rps_timeout_source (s, 0, leave_timeout, s);
      s->leave_done = done;
      return;
    }
  s->leave_timer = rps_timeout_source (s, timeout_ms, leave_timeout, s);
}

void
reload_peer_shell_free (ReloadPeerShell *s)
{
  if (s == NULL)
    return;
  if (s->cancellable != NULL)
    g_cancellable_cancel (s->cancellable);
  rps_clear_source (&s->bootstrap_timer);
  rps_clear_source (&s->partition_timer);
  rps_clear_source (&s->watchdog_timer);
  rps_clear_source (&s->leave_timer);
  rps_clear_source (&s->accept_source);
  rps_clear_source (&s->timer);
  rps_turn_clear (s);
  rps_multicast_clear (s);
  rps_netwatch_clear (s);
  g_clear_pointer (&s->glare, g_hash_table_unref);
  /* links first: their callbacks must not reach a freed node (the
   * node's requests for application connections find none after this) */
  rps_app_clear (s);
  g_clear_pointer (&s->links, g_hash_table_unref);
  g_clear_pointer (&s->node, reload_node_free);
  g_clear_pointer (&s->signer, reload_x509_signer_free);
  g_clear_object (&s->client);
  if (s->listener != NULL)
    g_socket_close (s->listener, NULL);
  g_clear_object (&s->listener);
  g_clear_object (&s->listen_address);
  g_clear_object (&s->listen_configured);
  g_clear_object (&s->cancellable);
  g_clear_pointer (&s->bootstrap, g_ptr_array_unref);
  rps_cache_clear (s);
  rps_bootstrap_clear (s);
  g_clear_pointer (&s->identity, reload_cert_identity_free);
  g_free (s->ice_address);
  g_clear_pointer (&s->kinds, reload_kind_table_unref);
  g_clear_pointer (&s->config_document, g_bytes_unref);
  g_clear_pointer (&s->ca, reload_cert_unref);
  g_clear_pointer (&s->cert, reload_cert_unref);
  g_clear_pointer (&s->key, reload_key_free);
  g_clear_pointer (&s->context, g_main_context_unref);
  g_free (s);
}

ReloadNode *
reload_peer_shell_get_node (ReloadPeerShell *s)
{
  return s->node;
}

gboolean
reload_peer_shell_add_certificate (ReloadPeerShell *s, GBytes *der, GError **error)
{
  return reload_x509_signer_add_certificate (s->signer, der, error);
}

GInetSocketAddress *
reload_peer_shell_get_listen_address (ReloadPeerShell *s)
{
  return s->listen_address;
}

const ReloadCertIdentity *
reload_peer_shell_get_identity (ReloadPeerShell *s)
{
  return s->identity;
}

static void
link_info_clear (gpointer data)
{
  ReloadPeerShellLinkInfo *i = data;
  g_free (i->address);
}

GArray *
reload_peer_shell_list_links (ReloadPeerShell *s)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ReloadPeerShellLinkInfo));
  g_array_set_clear_func (out, link_info_clear);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, s->links);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Link *l = v;
      if (l->spare)
        continue;
      ReloadPeerShellLinkInfo info = { 0 };
      info.link = l->id;
      info.peer = l->peer;
      info.up = l->up;
      info.outbound = l->kind != LINK_INBOUND;
      info.bootstrap = l->kind == LINK_BOOTSTRAP || l->kind == LINK_PARTITION;
      info.protocol = l->kind == LINK_ICE ? "DTLS-UDP-SR" : "TLS-TCP-FH-NO-ICE";
      if (l->kind == LINK_ICE)
        info.outbound = l->initiator;
      info.address = g_strdup (l->address ? l->address : "");
      info.rtt_ms = -1;
      if (l->tls != NULL)
        {
          ReloadTlsLinkStats st;
          reload_tls_link_get_stats (l->tls, &st);
          info.bytes_sent = st.wire_bytes_sent;
          info.bytes_received = st.wire_bytes_recv;
          if (st.rtt_samples > 0)
            info.rtt_ms = (gint) ((st.srtt_us + 500) / 1000);
        }
      if (l->ice != NULL && l->up)
        reload_ice_link_get_selected_types (l->ice, &info.ice_local_type, &info.ice_remote_type);
      g_array_append_val (out, info);
    }
  return out;
}

gint64
reload_peer_shell_get_uptime_s (ReloadPeerShell *s)
{
  if (!s->started)
    return 0;
  return (g_get_monotonic_time () - s->started_monotonic_us) / G_USEC_PER_SEC;
}
