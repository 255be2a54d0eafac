/* media-ice.c: one call's libnice agent on its I/O thread (see the header).
 *
 * libnice emits its signals on whichever thread holds the agent when
 * something happens (the I/O thread for a STUN answer, the owner for host
 * candidates during gathering), so every signal handler only queues an
 * event; one GSource on the owner's context (the inbox, woken by its
 * ready time, which any thread may set) delivers them in order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "media-ice.h"

#include <agent.h>
#include <string.h>

#include "call-media-error.h"
#include "media-candidate.h"

#define COMPONENT 1

typedef enum
{
  EVENT_CANDIDATE,
  EVENT_GATHERED,
  EVENT_STATE,
  EVENT_DTLS,
} EventType;

typedef struct
{
  EventType type;
  char *candidate;
  guint state;
  GBytes *datagram;
} Event;

typedef struct
{
  GSource base;
  MediaIce *ice;
} InboxSource;

struct _MediaIce
{
  GMainContext *owner;
  GMainContext *io_context;
  GMainLoop *io_loop;
  GThread *io_thread;
  NiceAgent *agent;
  guint stream;

  GMutex lock; /* guards events and n_dtls */
  GQueue events;
  guint n_dtls;
  InboxSource *inbox;

  MediaIceCallbacks callbacks;
  gpointer user_data;
  gboolean gathered;
  gboolean connected;
  gboolean failed;
  gboolean have_credentials;
  GSList *pending; /* NiceCandidate *, before the credentials */
  guint n_remote;
  guint busy;
  gboolean free_pending;
};

static void really_free (MediaIce *ice);

static void
event_free (Event *e)
{
  g_free (e->candidate);
  g_clear_pointer (&e->datagram, g_bytes_unref);
  g_free (e);
}

static void
post (MediaIce *ice, Event *e)
{
  g_mutex_lock (&ice->lock);
  if (e->type == EVENT_DTLS)
    {
      if (ice->n_dtls >= MEDIA_ICE_MAX_QUEUED_DTLS)
        {
          g_mutex_unlock (&ice->lock);
          event_free (e); /* a flood: lost as on the network */
          return;
        }
      ice->n_dtls++;
    }
  g_queue_push_tail (&ice->events, e);
  g_mutex_unlock (&ice->lock);
  g_source_set_ready_time ((GSource *) ice->inbox, 0);
}

/* ---- the owner's side ---- */

static void
deliver (MediaIce *ice, Event *e)
{
  switch (e->type)
    {
    case EVENT_CANDIDATE:
      if (ice->callbacks.candidate != NULL)
        ice->callbacks.candidate (ice, e->candidate, ice->user_data);
      break;
    case EVENT_GATHERED:
      ice->gathered = TRUE;
      if (ice->callbacks.gathered != NULL)
        ice->callbacks.gathered (ice, ice->user_data);
      break;
    case EVENT_STATE:
      if (ice->failed)
        break;
      if ((e->state == NICE_COMPONENT_STATE_CONNECTED || e->state == NICE_COMPONENT_STATE_READY)
          && !ice->connected)
        {
          ice->connected = TRUE;
          if (ice->callbacks.connected != NULL)
            ice->callbacks.connected (ice, ice->user_data);
        }
      else if (e->state == NICE_COMPONENT_STATE_FAILED)
        {
          ice->failed = TRUE;
          g_autoptr (GError) error =
              g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_ICE, "%s",
                           ice->connected ? "the peer stopped answering consent checks (RFC 7675)"
                                          : "ICE connectivity checks failed");
          if (ice->callbacks.failed != NULL)
            ice->callbacks.failed (ice, error, ice->user_data);
        }
      break;
    case EVENT_DTLS:
      {
        gsize len;
        const guint8 *data = g_bytes_get_data (e->datagram, &len);
        if (ice->callbacks.dtls != NULL)
          ice->callbacks.dtls (ice, data, len, ice->user_data);
      }
      break;
    }
}

static gboolean
inbox_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  MediaIce *ice = ((InboxSource *) source)->ice;
  g_source_set_ready_time (source, -1);
  GQueue events = G_QUEUE_INIT;
  g_mutex_lock (&ice->lock);
  events = ice->events;
  g_queue_init (&ice->events);
  ice->n_dtls = 0;
  g_mutex_unlock (&ice->lock);
  ice->busy++;
  Event *e;
  while ((e = g_queue_pop_head (&events)) != NULL)
    {
      if (!ice->free_pending)
        deliver (ice, e);
      event_free (e);
    }
  if (--ice->busy == 0 && ice->free_pending)
    really_free (ice);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs inbox_funcs = { NULL, NULL, inbox_dispatch, NULL, NULL, NULL };

/* ---- libnice's signals (any thread) ---- */

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
  MediaIce *ice = data;
  if (candidate->component_id != COMPONENT)
    return;
  Event *e = g_new0 (Event, 1);
  e->type = EVENT_CANDIDATE;
  e->candidate = media_candidate_to_string (candidate);
  post (ice, e);
}

static void
on_gathering_done (NiceAgent *agent, guint stream, gpointer data)
{
  Event *e = g_new0 (Event, 1);
  e->type = EVENT_GATHERED;
  post (data, e);
}

static void
on_state (NiceAgent *agent, guint stream, guint component, guint state, gpointer data)
{
  Event *e = g_new0 (Event, 1);
  e->type = EVENT_STATE;
  e->state = state;
  post (data, e);
}

/* ---- the I/O thread ---- */

/* RFC 7983 §7 (RFC 5764 §5.1.2 extended): the first byte tells what a
 * datagram is. */
static void
on_recv (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
  MediaIce *ice = data;
  if (len == 0)
    return;
  guint8 b = (guint8) buf[0];
  if (b >= 128 && b <= 191)
    {
      /* RTCP's fixed header is 8 bytes, RTP's 12 (RFC 3550 §6.4.1, §5.1) */
      if (len < 8)
        return;
      /* RFC 5761 §4: with rtcp-mux, a second byte of 192..223 (RTCP packet
       * types 192..223, which RTP payload types 64..95 plus the marker bit
       * would also give, hence those payload types are never used) */
      guint8 pt = (guint8) buf[1];
      gboolean rtcp = pt >= 192 && pt <= 223;
      if (!rtcp && len < 12)
        return;
      if (ice->callbacks.media != NULL)
        ice->callbacks.media ((const guint8 *) buf, len, rtcp, ice->user_data);
    }
  else if (b >= 20 && b <= 63)
    {
      Event *e = g_new0 (Event, 1);
      e->type = EVENT_DTLS;
      e->datagram = g_bytes_new (buf, len);
      post (ice, e);
    }
  /* 0..3 STUN (libnice's), 16..19 ZRTP, 64..79 TURN channels: dropped */
}

static gpointer
io_thread_main (gpointer data)
{
  MediaIce *ice = data;
  g_main_context_push_thread_default (ice->io_context);
  g_main_loop_run (ice->io_loop);
  g_main_context_pop_thread_default (ice->io_context);
  return NULL;
}

/* ---- life cycle ---- */

static gboolean
quit_io_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
setup_failed (GError **error, const char *what)
{
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_ICE, "%s", what);
  return FALSE;
}

static gboolean
setup_agent (MediaIce *ice, const MediaIceConfig *config, GError **error)
{
  /* RFC 8445 §8.1.1: regular nomination (aggressive nomination is gone
   * from RFC 8445; on loopback it would connect ~60 ms sooner, libnice
   * selecting a pair only once it is nominated); RFC 7675 consent
   * freshness: a peer that stops answering for 30 s fails the call */
  ice->agent = nice_agent_new_full (ice->io_context, NICE_COMPATIBILITY_RFC5245,
                                    NICE_AGENT_OPTION_REGULAR_NOMINATION
                                        | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  g_object_set (ice->agent, "controlling-mode", config->controlling, "upnp", config->upnp,
                "ice-tcp", FALSE, "ice-udp", TRUE, NULL);
  for (guint i = 0; config->local_addresses != NULL && config->local_addresses[i] != NULL; i++)
    {
      NiceAddress a;
      nice_address_init (&a);
      if (!nice_address_set_from_string (&a, config->local_addresses[i])
          || !nice_agent_add_local_address (ice->agent, &a))
        {
          g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                       "“%s” is not a local address", config->local_addresses[i]);
          return FALSE;
        }
    }
  if (config->stun_server != NULL)
    g_object_set (ice->agent, "stun-server", config->stun_server, "stun-server-port",
                  config->stun_port != 0 ? config->stun_port : 3478, NULL);
  g_signal_connect (ice->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), ice);
  g_signal_connect (ice->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), ice);
  g_signal_connect (ice->agent, "component-state-changed", G_CALLBACK (on_state), ice);
  ice->stream = nice_agent_add_stream (ice->agent, 1);
  if (ice->stream == 0)
    return setup_failed (error, "the ICE agent refused a stream");
  nice_agent_set_stream_name (ice->agent, ice->stream, "audio");
  if (config->turn_server != NULL
      && !nice_agent_set_relay_info (ice->agent, ice->stream, COMPONENT, config->turn_server,
                                     config->turn_port != 0 ? config->turn_port : 3478,
                                     config->turn_username ? config->turn_username : "",
                                     config->turn_password ? config->turn_password : "",
                                     NICE_RELAY_TYPE_TURN_UDP))
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "“%s” is not a usable TURN server", config->turn_server);
      return FALSE;
    }
  /* the sockets are created by gathering and attached to the context
   * given here: receive on the I/O thread */
  if (!nice_agent_attach_recv (ice->agent, ice->stream, COMPONENT, ice->io_context, on_recv, ice))
    return setup_failed (error, "the ICE agent refused the receive callback");
  if (!nice_agent_gather_candidates (ice->agent, ice->stream))
    return setup_failed (error, "the ICE agent cannot gather candidates (no usable address)");
  return TRUE;
}

MediaIce *
media_ice_new (const MediaIceConfig *config, const MediaIceCallbacks *callbacks, gpointer user_data,
               GError **error)
{
  g_return_val_if_fail (config != NULL && callbacks != NULL, NULL);
  MediaIce *ice = g_new0 (MediaIce, 1);
  ice->owner = g_main_context_ref_thread_default ();
  ice->callbacks = *callbacks;
  ice->user_data = user_data;
  g_mutex_init (&ice->lock);
  g_queue_init (&ice->events);
  ice->inbox = (InboxSource *) g_source_new (&inbox_funcs, sizeof (InboxSource));
  ice->inbox->ice = ice;
  g_source_set_static_name ((GSource *) ice->inbox, "chorus-media-ice-inbox");
  g_source_attach ((GSource *) ice->inbox, ice->owner);
  ice->io_context = g_main_context_new ();
  ice->io_loop = g_main_loop_new (ice->io_context, FALSE);
  ice->io_thread = g_thread_new ("chorus-media-io", io_thread_main, ice);
  if (!setup_agent (ice, config, error))
    {
      really_free (ice);
      return NULL;
    }
  return ice;
}

static void
really_free (MediaIce *ice)
{
  /* quit from inside the loop: a g_main_loop_quit() before the thread
   * entered g_main_loop_run() would be forgotten.  At high priority: a
   * socket the peer keeps sending to stays ready, and would starve an
   * idle source.  After the join no libnice code runs on the I/O thread
   * any more, so the receive callback can go */
  GSource *quit = g_idle_source_new ();
  g_source_set_priority (quit, G_PRIORITY_HIGH);
  g_source_set_callback (quit, quit_io_loop, ice->io_loop, NULL);
  g_source_attach (quit, ice->io_context);
  g_source_unref (quit);
  g_thread_join (ice->io_thread);
  if (ice->agent != NULL)
    {
      g_signal_handlers_disconnect_by_data (ice->agent, ice);
      if (ice->stream != 0)
        {
          nice_agent_attach_recv (ice->agent, ice->stream, COMPONENT, ice->io_context, NULL, NULL);
          nice_agent_remove_stream (ice->agent, ice->stream);
        }
      g_object_unref (ice->agent);
    }
  g_main_loop_unref (ice->io_loop);
  /* sources libnice left on the I/O context go with it */
  g_main_context_unref (ice->io_context);
  g_source_destroy ((GSource *) ice->inbox);
  g_source_unref ((GSource *) ice->inbox);
  g_queue_clear_full (&ice->events, (GDestroyNotify) event_free);
  g_mutex_clear (&ice->lock);
  g_slist_free_full (ice->pending, (GDestroyNotify) nice_candidate_free);
  g_main_context_unref (ice->owner);
  g_free (ice);
}

void
media_ice_free (MediaIce *ice)
{
  if (ice == NULL)
    return;
  if (ice->busy > 0)
    {
      ice->free_pending = TRUE;
      return;
    }
  really_free (ice);
}

/* ---- local and remote ---- */

void
media_ice_get_local_credentials (MediaIce *ice, char **ufrag, char **password)
{
  g_return_if_fail (ice != NULL && ufrag != NULL && password != NULL);
  if (!nice_agent_get_local_credentials (ice->agent, ice->stream, ufrag, password))
    *ufrag = *password = NULL;
}

GStrv
media_ice_get_local_candidates (MediaIce *ice)
{
  g_return_val_if_fail (ice != NULL, NULL);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  GSList *local = nice_agent_get_local_candidates (ice->agent, ice->stream, COMPONENT);
  for (GSList *i = local; i != NULL; i = i->next)
    {
      g_autofree char *line = media_candidate_to_string (i->data);
      g_strv_builder_add (b, line);
    }
  g_slist_free_full (local, (GDestroyNotify) nice_candidate_free);
  return g_strv_builder_end (b);
}

gboolean
media_ice_is_gathered (MediaIce *ice)
{
  return ice->gathered;
}

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static gboolean
is_ice_chars (const char *s, gsize min, gsize max)
{
  gsize n = strnlen (s, max + 1);
  if (n < min || n > max)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

static gboolean
flush_pending (MediaIce *ice, GError **error)
{
  if (ice->pending == NULL)
    return TRUE;
  GSList *list = g_slist_reverse (g_steal_pointer (&ice->pending));
  int added = nice_agent_set_remote_candidates (ice->agent, ice->stream, COMPONENT, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (added < 0)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the ICE agent refused the remote candidates");
      return FALSE;
    }
  return TRUE;
}

gboolean
media_ice_set_remote_credentials (MediaIce *ice, const char *ufrag, const char *password,
                                  GError **error)
{
  g_return_val_if_fail (ice != NULL && ufrag != NULL && password != NULL, FALSE);
  if (!is_ice_chars (ufrag, 4, 256) || !is_ice_chars (password, 22, 256))
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "bad ICE credentials (RFC 8839 §5.4: ufrag 4..256 and password 22..256 "
                   "ice-chars)");
      return FALSE;
    }
  if (!nice_agent_set_remote_credentials (ice->agent, ice->stream, ufrag, password))
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "the ICE agent refused the remote credentials");
      return FALSE;
    }
  ice->have_credentials = TRUE;
  return flush_pending (ice, error);
}

gboolean
media_ice_add_remote_candidate (MediaIce *ice, const char *line, GError **error)
{
  g_return_val_if_fail (ice != NULL && line != NULL, FALSE);
  NiceCandidate *c = NULL;
  if (!media_candidate_parse (line, &c, error))
    return FALSE;
  if (c == NULL)
    return TRUE;
  /* rtcp-mux (RFC 5761 §5.1.3): a component 2 candidate is never needed */
  if (c->component_id != COMPONENT)
    {
      nice_candidate_free (c);
      return TRUE;
    }
  if (ice->n_remote >= MEDIA_ICE_MAX_REMOTE_CANDIDATES)
    {
      nice_candidate_free (c);
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "more than %u remote candidates", MEDIA_ICE_MAX_REMOTE_CANDIDATES);
      return FALSE;
    }
  ice->n_remote++;
  c->stream_id = ice->stream;
  ice->pending = g_slist_prepend (ice->pending, c);
  /* the checks need the peer's password: candidates wait for it */
  return !ice->have_credentials || flush_pending (ice, error);
}

void
media_ice_send (MediaIce *ice, const guint8 *data, gsize len)
{
  if (len > G_MAXUINT)
    return;
  /* -1 before a pair is selected or when the socket is full: lost */
  nice_agent_send (ice->agent, ice->stream, COMPONENT, (guint) len, (const gchar *) data);
}

static const char *
type_name (NiceCandidateType t)
{
  static const char *const names[] = { "host", "srflx", "prflx", "relay" };
  return t < G_N_ELEMENTS (names) ? names[t] : "?";
}

char *
media_ice_describe_selected_pair (MediaIce *ice)
{
  g_return_val_if_fail (ice != NULL, NULL);
  NiceCandidate *l = NULL, *r = NULL;
  if (!nice_agent_get_selected_pair (ice->agent, ice->stream, COMPONENT, &l, &r))
    return NULL;
  char la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string (&l->addr, la);
  nice_address_to_string (&r->addr, ra);
  return g_strdup_printf ("%s %s:%u -> %s %s:%u", type_name (l->type), la,
                          nice_address_get_port (&l->addr), type_name (r->type), ra,
                          nice_address_get_port (&r->addr));
}
