/* reload-ice-link.c: ICE (libnice) and DTLS on the selected pair (see the
 * header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-net"

#include "reload-ice-link.h"

#include <agent.h>
#include <string.h>

#include "reload-dtls-link.h"

/* clang-format off */
G_DEFINE_QUARK (reload-ice-link-error-quark, reload_ice_link_error)
/* clang-format on */

struct _ReloadIceLink
{
  NiceAgent *agent;
  guint stream;
  gboolean controlling;
  gboolean datagram; /* an AppAttach connection: DTLS without framing or SR */
  gboolean gathered;
  gboolean remote_set;
  ReloadDtlsLink *dtls;
  ReloadCert *cert;
  ReloadKey *key;
  ReloadCert *root;
  ReloadIceLinkCallbacks callbacks;
  gpointer user_data;
  GSource *timeout;
  gboolean down;
  /* callbacks are running: freeing waits until they return */
  guint busy;
  gboolean free_pending;
};

static void link_really_free (ReloadIceLink *link);
static guint8 type_to_reload (NiceCandidateType t);

static void
go_down (ReloadIceLink *link, GError *error)
{
  if (link->down)
    {
      g_clear_error (&error);
      return;
    }
  link->down = TRUE;
  if (link->timeout != NULL)
    {
      g_source_destroy (link->timeout);
      g_clear_pointer (&link->timeout, g_source_unref);
    }
  if (link->callbacks.down != NULL && !link->free_pending)
    link->callbacks.down (link, error, link->user_data);
  g_clear_error (&error);
}

static void
leave_callback (ReloadIceLink *link)
{
  link->busy--;
  if (link->busy == 0 && link->free_pending)
    link_really_free (link);
}

/* ---- DTLS on the selected pair ---- */

static void
dtls_send (gpointer data, const guint8 *bytes, gsize len)
{
  ReloadIceLink *link = data;
  /* a datagram the agent does not take is lost: Simple Reliability sends
   * it again (§6.6.3); in datagram mode the application does (RFC 3261
   * §17.1.1.2).  libnice sends a datagram of any size up to 64 KiB whole,
   * over UDP or TURN (tests/net: RELOAD_DTLS_LINK_DATAGRAM_MTU). */
  nice_agent_send (link->agent, link->stream, 1, (guint) len, (const gchar *) bytes);
}

static const ReloadDtlsTransport dtls_transport = { dtls_send };

static void
dtls_up (ReloadDtlsLink *dtls, const ReloadCertIdentity *peer, gpointer data)
{
  ReloadIceLink *link = data;
  if (link->timeout != NULL)
    {
      g_source_destroy (link->timeout);
      g_clear_pointer (&link->timeout, g_source_unref);
    }
  link->busy++;
  if (link->callbacks.up != NULL && !link->free_pending)
    link->callbacks.up (link, peer, link->user_data);
  leave_callback (link);
}

static void
dtls_message (ReloadDtlsLink *dtls, const guint8 *bytes, gsize len, gpointer data)
{
  ReloadIceLink *link = data;
  link->busy++;
  if (link->callbacks.message != NULL && !link->free_pending)
    link->callbacks.message (link, bytes, len, link->user_data);
  leave_callback (link);
}

static void
dtls_down (ReloadDtlsLink *dtls, const GError *error, gpointer data)
{
  ReloadIceLink *link = data;
  link->busy++;
  go_down (link, error ? g_error_copy (error) : NULL);
  leave_callback (link);
}

static const ReloadDtlsLinkCallbacks dtls_callbacks = { dtls_up, dtls_message, dtls_down };

/* ---- the agent ---- */

static void
on_gathered (NiceAgent *agent, guint stream, gpointer data)
{
  ReloadIceLink *link = data;
  link->gathered = TRUE;
  link->busy++;
  if (link->callbacks.gathered != NULL && !link->free_pending)
    link->callbacks.gathered (link, link->user_data);
  leave_callback (link);
}

static void
on_state (NiceAgent *agent, guint stream, guint component, guint state, gpointer data)
{
  ReloadIceLink *link = data;
  if (link->down)
    return;
  link->busy++;
  if (state == NICE_COMPONENT_STATE_FAILED)
    go_down (link, g_error_new (RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_ICE,
                                "ICE connectivity checks failed"));
  else if (state == NICE_COMPONENT_STATE_READY && link->dtls == NULL)
    {
      /* §6.5.1: DTLS on the selected pair; the controlling agent (the
       * Attach request's sender) is the DTLS client */
      GError *error = NULL;
      link->dtls = reload_dtls_link_new_for_transport (
          &dtls_transport, link,
          link->controlling ? RELOAD_DTLS_LINK_CLIENT : RELOAD_DTLS_LINK_SERVER, link->cert,
          link->key, link->root, &dtls_callbacks, link, &error);
      if (link->dtls == NULL)
        go_down (link, error);
      else if (link->datagram)
        /* §6.5.2, RFC 7904 §4: SIP over DTLS as "normal SIP", one message
         * per record */
        reload_dtls_link_set_mode (link->dtls, RELOAD_DTLS_LINK_DATAGRAM);
    }
  leave_callback (link);
}

static void
on_recv (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
  ReloadIceLink *link = data;
  /* before DTLS starts (the peer's READY came first), its first
   * handshake datagram is lost: the DTLS handshake timer repeats it */
  if (link->dtls != NULL && !link->down)
    reload_dtls_link_receive (link->dtls, (const guint8 *) buf, len);
}

static gboolean
on_timeout (gpointer data)
{
  ReloadIceLink *link = data;
  g_clear_pointer (&link->timeout, g_source_unref);
  link->busy++;
  go_down (link, g_error_new (RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_TIMEOUT,
                              "no link within %u ms", RELOAD_ICE_LINK_TIMEOUT_MS));
  leave_callback (link);
  return G_SOURCE_REMOVE;
}

static void
start_timeout (ReloadIceLink *link)
{
  link->timeout = g_timeout_source_new (RELOAD_ICE_LINK_TIMEOUT_MS);
  g_source_set_callback (link->timeout, on_timeout, link, NULL);
  g_source_attach (link->timeout, g_main_context_get_thread_default ());
}

ReloadIceLink *
reload_ice_link_new (const ReloadIceLinkConfig *config, ReloadCert *cert, const ReloadKey *key,
                     ReloadCert *root, const ReloadIceLinkCallbacks *callbacks, gpointer user_data,
                     GError **error)
{
  g_return_val_if_fail (config != NULL && cert != NULL && key != NULL && root != NULL, NULL);
  GMainContext *ctx = g_main_context_ref_thread_default ();
  ReloadIceLink *link = g_new0 (ReloadIceLink, 1);
  link->controlling = config->controlling;
  link->datagram = config->datagram;
  link->cert = reload_cert_ref (cert);
  link->key = reload_key_copy (key);
  link->root = reload_cert_ref (root);
  if (callbacks != NULL)
    link->callbacks = *callbacks;
  link->user_data = user_data;
  /* RFC 8445 as RFC 6940 §6.5.1 asks (libnice's RFC 5245 mode, its
   * successor's rules for nomination) */
  link->agent = nice_agent_new (ctx, NICE_COMPATIBILITY_RFC5245);
  g_object_set (link->agent, "upnp", config->upnp, "controlling-mode", config->controlling,
                "ice-tcp", FALSE, NULL);
  /* only relayed candidates: a peer that must not reveal its addresses,
   * and the test that shows the TURN path works */
  if (config->relay_only)
    g_object_set (link->agent, "force-relay", TRUE, NULL);
  for (guint i = 0; config->local_addresses != NULL && config->local_addresses[i] != NULL; i++)
    {
      NiceAddress a;
      nice_address_init (&a);
      if (!nice_address_set_from_string (&a, config->local_addresses[i])
          || !nice_agent_add_local_address (link->agent, &a))
        {
          g_set_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID,
                       "“%s” is not a local address", config->local_addresses[i]);
          g_main_context_unref (ctx);
          link_really_free (link);
          return NULL;
        }
    }
  if (config->stun_server != NULL)
    g_object_set (link->agent, "stun-server", config->stun_server, "stun-server-port",
                  config->stun_port ? config->stun_port : 3478, NULL);
  g_signal_connect (link->agent, "candidate-gathering-done", G_CALLBACK (on_gathered), link);
  g_signal_connect (link->agent, "component-state-changed", G_CALLBACK (on_state), link);
  link->stream = nice_agent_add_stream (link->agent, 1);
  if (config->turn_server != NULL)
    nice_agent_set_relay_info (link->agent, link->stream, 1, config->turn_server,
                               config->turn_port ? config->turn_port : 3478, config->turn_username,
                               config->turn_password, NICE_RELAY_TYPE_TURN_UDP);
  if (link->stream == 0
      || !nice_agent_attach_recv (link->agent, link->stream, 1, ctx, on_recv, link)
      || !nice_agent_gather_candidates (link->agent, link->stream))
    {
      g_set_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_FAILED,
                   "the ICE agent cannot gather candidates");
      g_main_context_unref (ctx);
      link_really_free (link);
      return NULL;
    }
  if (!config->spare)
    start_timeout (link);
  g_main_context_unref (ctx);
  return link;
}

void
reload_ice_link_claim (ReloadIceLink *link, gboolean controlling)
{
  g_return_if_fail (link != NULL && !link->remote_set);
  link->controlling = controlling;
  g_object_set (link->agent, "controlling-mode", controlling, NULL);
  if (link->timeout == NULL && !link->down)
    start_timeout (link);
}

gboolean
reload_ice_link_is_gathered (const ReloadIceLink *link)
{
  return link->gathered;
}

guint
reload_ice_link_count_local (ReloadIceLink *link, guint8 type)
{
  GSList *local = nice_agent_get_local_candidates (link->agent, link->stream, 1);
  guint n = 0;
  for (GSList *i = local; i != NULL; i = i->next)
    n += type_to_reload (((const NiceCandidate *) i->data)->type) == type;
  g_slist_free_full (local, (GDestroyNotify) nice_candidate_free);
  return n;
}

static void
agent_closed (GObject *agent, GAsyncResult *result, gpointer data)
{
  g_object_unref (agent);
}

static void
link_really_free (ReloadIceLink *link)
{
  if (link->timeout != NULL)
    {
      g_source_destroy (link->timeout);
      g_source_unref (link->timeout);
    }
  g_clear_pointer (&link->dtls, reload_dtls_link_free);
  if (link->agent != NULL)
    {
      g_signal_handlers_disconnect_by_data (link->agent, link);
      if (link->stream != 0)
        {
          nice_agent_attach_recv (link->agent, link->stream, 1, NULL, NULL, NULL);
          nice_agent_remove_stream (link->agent, link->stream);
        }
      /* relayed candidates: the TURN allocations are released (refreshed
       * with lifetime 0, RFC 5766 §7) before the agent goes, not left to
       * expire on the server; the callback drops the last reference */
      nice_agent_close_async (link->agent, agent_closed, NULL);
    }
  g_clear_pointer (&link->cert, reload_cert_unref);
  g_clear_pointer (&link->key, reload_key_free);
  g_clear_pointer (&link->root, reload_cert_unref);
  g_free (link);
}

void
reload_ice_link_free (ReloadIceLink *link)
{
  if (link == NULL)
    return;
  if (link->busy > 0)
    {
      link->free_pending = TRUE;
      return;
    }
  link_really_free (link);
}

/* ---- candidates: libnice <-> RELOAD (§6.5.1.1) ---- */

static guint8
type_to_reload (NiceCandidateType t)
{
  switch (t)
    {
    case NICE_CANDIDATE_TYPE_HOST:
      return RELOAD_CAND_HOST;
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return RELOAD_CAND_SRFLX;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return RELOAD_CAND_PRFLX;
    case NICE_CANDIDATE_TYPE_RELAYED:
      return RELOAD_CAND_RELAY;
    default:
      return RELOAD_CAND_INVALID;
    }
}

static gboolean
type_from_reload (guint8 t, NiceCandidateType *out)
{
  switch (t)
    {
    case RELOAD_CAND_HOST:
      *out = NICE_CANDIDATE_TYPE_HOST;
      return TRUE;
    case RELOAD_CAND_SRFLX:
      *out = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
      return TRUE;
    case RELOAD_CAND_PRFLX:
      *out = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
      return TRUE;
    case RELOAD_CAND_RELAY:
      *out = NICE_CANDIDATE_TYPE_RELAYED;
      return TRUE;
    default:
      return FALSE;
    }
}

static void
address_to_reload (const NiceAddress *a, ReloadIpAddressPort *out)
{
  memset (out, 0, sizeof *out);
  if (nice_address_ip_version (a) == 4)
    {
      out->type = RELOAD_ADDRESS_IPV4;
      memcpy (out->addr, &a->s.ip4.sin_addr, 4);
    }
  else
    {
      out->type = RELOAD_ADDRESS_IPV6;
      memcpy (out->addr, &a->s.ip6.sin6_addr, 16);
    }
  out->port = (guint16) nice_address_get_port (a);
}

static gboolean
address_from_reload (const ReloadIpAddressPort *in, NiceAddress *out)
{
  nice_address_init (out);
  if (in->type == RELOAD_ADDRESS_IPV4)
    {
      guint32 v;
      memcpy (&v, in->addr, 4);
      nice_address_set_ipv4 (out, GUINT32_FROM_BE (v));
    }
  else if (in->type == RELOAD_ADDRESS_IPV6)
    nice_address_set_ipv6 (out, in->addr);
  else
    return FALSE;
  if (in->port == 0)
    return FALSE;
  nice_address_set_port (out, in->port);
  return TRUE;
}

gboolean
reload_ice_link_get_local (ReloadIceLink *link, RwArena *arena, RwBytes *ufrag, RwBytes *password,
                           ReloadIceCandidate **candidates, guint *n_candidates)
{
  g_return_val_if_fail (link != NULL && arena != NULL, FALSE);
  /* host candidates exist as soon as gathering starts; server-reflexive
   * and relayed ones join them until `gathered` */
  g_autofree gchar *u = NULL, *p = NULL;
  if (!nice_agent_get_local_credentials (link->agent, link->stream, &u, &p))
    return FALSE;
  gsize ul = strlen (u), pl = strlen (p);
  guint8 *ub = rw_arena_alloc0 (arena, ul + 1), *pb = rw_arena_alloc0 (arena, pl + 1);
  if (ub == NULL || pb == NULL)
    return FALSE;
  memcpy (ub, u, ul);
  memcpy (pb, p, pl);
  *ufrag = (RwBytes){ ub, ul };
  *password = (RwBytes){ pb, pl };
  GSList *local = nice_agent_get_local_candidates (link->agent, link->stream, 1);
  guint n = g_slist_length (local);
  ReloadIceCandidate *out = rw_arena_alloc0 (arena, MAX (n, 1u) * sizeof *out);
  guint k = 0;
  for (GSList *i = local; i != NULL && out != NULL; i = i->next)
    {
      const NiceCandidate *c = i->data;
      if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        continue;
      ReloadIceCandidate *r = &out[k];
      address_to_reload (&c->addr, &r->addr_port);
      r->overlay_link = RELOAD_OVERLAY_LINK_DTLS_UDP_SR;
      gsize fl = strlen (c->foundation);
      guint8 *fb = rw_arena_alloc0 (arena, fl + 1);
      if (fb == NULL)
        break;
      memcpy (fb, c->foundation, fl);
      r->foundation = (RwBytes){ fb, fl };
      r->priority = c->priority;
      r->type = type_to_reload (c->type);
      /* §6.5.1.1: rel_addr_port for srflx, prflx and relay */
      if (r->type != RELOAD_CAND_HOST)
        address_to_reload (&c->base_addr, &r->rel_addr_port);
      k++;
    }
  g_slist_free_full (local, (GDestroyNotify) nice_candidate_free);
  *candidates = out;
  *n_candidates = k;
  return out != NULL && k > 0;
}

gboolean
reload_ice_link_set_remote (ReloadIceLink *link, RwBytes ufrag, RwBytes password,
                            const ReloadIceCandidate *candidates, guint n_candidates,
                            GError **error)
{
  g_return_val_if_fail (link != NULL, FALSE);
  /* RFC 8445 §5.3: ufrag at least 4 characters, password at least 22 */
  if (ufrag.len < 4 || ufrag.len > 256 || password.len < 22 || password.len > 256
      || memchr (ufrag.data, '\0', ufrag.len) || memchr (password.data, '\0', password.len))
    {
      g_set_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID,
                   "the peer's ICE credentials are not valid");
      return FALSE;
    }
  g_autofree char *u = g_strndup ((const char *) ufrag.data, ufrag.len);
  g_autofree char *p = g_strndup ((const char *) password.data, password.len);
  GSList *remote = NULL;
  guint taken = 0;
  for (guint i = 0; i < n_candidates && taken < RELOAD_ICE_LINK_MAX_REMOTE_CANDIDATES; i++)
    {
      const ReloadIceCandidate *r = &candidates[i];
      NiceCandidateType type;
      if (r->overlay_link != RELOAD_OVERLAY_LINK_DTLS_UDP_SR || !type_from_reload (r->type, &type))
        continue;
      NiceCandidate *c = nice_candidate_new (type);
      c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
      c->component_id = 1;
      c->stream_id = link->stream;
      c->priority = r->priority;
      gsize fl = MIN (r->foundation.len, (gsize) NICE_CANDIDATE_MAX_FOUNDATION - 1);
      if (fl > 0)
        memcpy (c->foundation, r->foundation.data, fl);
      c->foundation[fl] = '\0';
      if (!address_from_reload (&r->addr_port, &c->addr))
        {
          nice_candidate_free (c);
          continue;
        }
      if (type != NICE_CANDIDATE_TYPE_HOST)
        address_from_reload (&r->rel_addr_port, &c->base_addr);
      remote = g_slist_prepend (remote, c);
      taken++;
    }
  remote = g_slist_reverse (remote);
  gboolean ok = remote != NULL
                && nice_agent_set_remote_credentials (link->agent, link->stream, u, p)
                && nice_agent_set_remote_candidates (link->agent, link->stream, 1, remote) > 0;
  g_slist_free_full (remote, (GDestroyNotify) nice_candidate_free);
  if (!ok)
    {
      g_set_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_INVALID,
                   "no usable DTLS-UDP-SR candidate from the peer");
      return FALSE;
    }
  link->remote_set = TRUE;
  return TRUE;
}

gboolean
reload_ice_link_send (ReloadIceLink *link, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (link != NULL, FALSE);
  if (link->dtls == NULL || link->down)
    {
      g_set_error (error, RELOAD_ICE_LINK_ERROR, RELOAD_ICE_LINK_ERROR_FAILED,
                   "the link is not up");
      return FALSE;
    }
  return reload_dtls_link_send (link->dtls, data, len, error);
}

void
reload_ice_link_close (ReloadIceLink *link)
{
  g_return_if_fail (link != NULL);
  if (link->dtls != NULL)
    reload_dtls_link_close (link->dtls);
  else
    {
      link->busy++;
      go_down (link, NULL);
      leave_callback (link);
    }
}

gboolean
reload_ice_link_is_up (const ReloadIceLink *link)
{
  return link->dtls != NULL && reload_dtls_link_is_up (link->dtls);
}

gboolean
reload_ice_link_get_selected_types (ReloadIceLink *link, guint8 *local, guint8 *remote)
{
  NiceCandidate *l = NULL, *r = NULL;
  if (!nice_agent_get_selected_pair (link->agent, link->stream, 1, &l, &r))
    return FALSE;
  *local = type_to_reload (l->type);
  *remote = type_to_reload (r->type);
  return TRUE;
}

gboolean
reload_ice_link_get_selected_addresses (ReloadIceLink *link, ReloadIpAddressPort *local,
                                        ReloadIpAddressPort *remote)
{
  g_return_val_if_fail (link != NULL, FALSE);
  NiceCandidate *l = NULL, *r = NULL;
  if (!nice_agent_get_selected_pair (link->agent, link->stream, 1, &l, &r))
    return FALSE;
  if (local != NULL)
    address_to_reload (&l->addr, local);
  if (remote != NULL)
    address_to_reload (&r->addr, remote);
  return TRUE;
}

gsize
reload_ice_link_get_max_message_size (const ReloadIceLink *link)
{
  g_return_val_if_fail (link != NULL, 0);
  if (link->dtls != NULL)
    return reload_dtls_link_get_max_message_size (link->dtls);
  return link->datagram ? RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE : RELOAD_DTLS_LINK_MAX_MESSAGE;
}
