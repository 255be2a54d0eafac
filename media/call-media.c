/* call-media.c: CallMedia, one call's media (see the header): the glue
 * between the ICE agent (media-ice), DTLS-SRTP (media-dtls) and the
 * GStreamer graph (media-pipeline).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-media"

#include "call-media.h"
#include "media-jitter-adapt.h"

#include <string.h>

#include "media-dtls.h"
#include "media-ice.h"
#include "media-pipeline.h"

/* DTLS datagrams that came before our own ICE agent found a pair (the
 * peer's was quicker): kept, not lost, so the handshake needs no
 * retransmission. */
#define MAX_EARLY_DTLS 16

/* clang-format off */
G_DEFINE_QUARK (call-media-error-quark, call_media_error)
/* clang-format on */

enum
{
  PROP_0,
  PROP_CONTROLLING,
  PROP_DTLS_ROLE,
  PROP_CERTIFICATE,
  PROP_LOCAL_ADDRESSES,
  PROP_STUN_SERVER,
  PROP_STUN_PORT,
  PROP_TURN_SERVER,
  PROP_TURN_PORT,
  PROP_TURN_USERNAME,
  PROP_TURN_PASSWORD,
  PROP_UPNP,
  PROP_CODEC,
  PROP_PAYLOAD_TYPE,
  PROP_TELEPHONE_EVENT_PAYLOAD_TYPE,
  PROP_SOURCE,
  PROP_SINK,
  PROP_ECHO_CANCEL,
  PROP_LATENCY,
  PROP_BITRATE,
  PROP_PACKET_LOSS_PERCENTAGE,
  PROP_CONNECT_TIMEOUT,
  PROP_MUTE,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_LOCAL_FINGERPRINT,
  PROP_SRTP_PROFILE,
  PROP_SETUP_TIME,
  PROP_SELECTED_PAIR,
  PROP_RECEIVE_LATENCY,
  PROP_ADAPTIVE_LATENCY,
  PROP_JITTER_BUFFER_LATENCY,
  N_PROPS
};

enum
{
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_GATHERED,
  SIGNAL_CONNECTED,
  SIGNAL_FAILED,
  SIGNAL_STATS,
  SIGNAL_DTMF_RECEIVED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

struct _CallMedia
{
  GObject parent_instance;

  /* ICE and DTLS configuration */
  gboolean controlling;
  CallMediaDtlsRole dtls_role;
  CallMediaCertificate *certificate;
  GStrv local_addresses;
  char *stun_server;
  guint stun_port;
  char *turn_server;
  guint turn_port;
  char *turn_username;
  char *turn_password;
  gboolean upnp;
  guint connect_timeout;

  /* audio configuration */
  CallMediaCodec codec;
  guint payload_type;
  guint telephone_event_pt;
  char *source;
  char *sink;
  gboolean echo_cancel;
  guint latency;
  gboolean adaptive_latency;
  MediaJitterAdapt jitter; /* with adaptive_latency, from ::connected on */
  guint bitrate;
  guint packet_loss_percentage;
  gboolean mute;
  CallMediaDirection direction;

  CallMediaState state;
  MediaIce *ice;
  MediaDtls *dtls;
  gboolean ice_connected;
  GQueue early_dtls; /* GBytes * */
  MediaFingerprint remote_fingerprint;
  gboolean have_remote_fingerprint;
  char *srtp_profile;
  GSource *timeout;
  GSource *stats_timer;
  gint64 checking_since; /* monotonic µs */
  gint64 setup_time_ms;

  /* the I/O thread reads these */
  GMutex io_lock;
  MediaPipeline *pipeline;
  CallMediaPacketTap tap;
  gpointer tap_data;
};

G_DEFINE_FINAL_TYPE (CallMedia, call_media, G_TYPE_OBJECT)

static void teardown (CallMedia *self);

/* ---- state ---- */

static void
set_state (CallMedia *self, CallMediaState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

static gboolean
is_over (CallMedia *self)
{
  return self->state == CALL_MEDIA_STATE_FAILED || self->state == CALL_MEDIA_STATE_CLOSED;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* The one way a running call ends on its own. */
static void
fail (CallMedia *self, const GError *error)
{
  if (is_over (self))
    return;
  G_GNUC_UNUSED g_autoptr (CallMedia) hold = g_object_ref (self);
  g_debug ("call media failed: %s", error->message);
  /* a pipeline error with DTLS up: close_notify tells the peer at once */
  teardown (self);
  set_state (self, CALL_MEDIA_STATE_FAILED);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

/* ---- audio ---- */

static void
pipeline_send (const guint8 *data, gsize len, gpointer user_data)
{
  CallMedia *self = user_data;
  /* the pipeline stops before the agent goes (teardown) */
  media_ice_send (self->ice, data, len);
}

static void
pipeline_error (MediaPipeline *pipeline, const GError *error, gpointer user_data)
{
  fail (user_data, error);
}

static char
dtmf_char (guint event)
{
  /* RFC 4733 §3.2 */
  static const char digits[] = "0123456789*#ABCD";
  return event < 16 ? digits[event] : '?';
}

static void
pipeline_dtmf (MediaPipeline *pipeline, guint event, gpointer user_data)
{
  CallMedia *self = user_data;
  g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, dtmf_char (event));
}

static const MediaPipelineCallbacks pipeline_callbacks = { pipeline_send, pipeline_error,
                                                           pipeline_dtmf };

static gboolean
sends (CallMediaDirection d)
{
  return d == CALL_MEDIA_DIRECTION_SENDRECV || d == CALL_MEDIA_DIRECTION_SENDONLY;
}

static gboolean
receives (CallMediaDirection d)
{
  return d == CALL_MEDIA_DIRECTION_SENDRECV || d == CALL_MEDIA_DIRECTION_RECVONLY;
}

/* The jitter buffer follows the path (media-jitter-adapt.h): once per
 * statistics interval, from the received stream's jitter and the late
 * packets dropped. */
static void
adapt_latency (CallMedia *self, const CallMediaStats *stats)
{
  if (!self->adaptive_latency || self->pipeline == NULL || !receives (self->direction))
    return;
  guint before = self->jitter.current_ms;
  guint after = media_jitter_adapt_tick (&self->jitter, stats->jitter_ms,
                                         media_pipeline_get_late (self->pipeline));
  if (after != before)
    {
      g_debug ("jitter buffer %u -> %u ms (jitter %.1f ms)", before, after, stats->jitter_ms);
      media_pipeline_set_latency (self->pipeline, after);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_JITTER_BUFFER_LATENCY]);
    }
}

static gboolean
on_stats_timer (gpointer data)
{
  CallMedia *self = data;
  CallMediaStats stats;
  if (call_media_get_stats (self, &stats))
    {
      adapt_latency (self, &stats);
      g_signal_emit (self, signals[SIGNAL_STATS], 0, &stats);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_media (CallMedia *self, const MediaSrtpKeys *keys)
{
  /* adaptive: from the lowest latency up, as far as the path asks (the
   * fixed "latency" is the ceiling when it is higher) */
  media_jitter_adapt_init (&self->jitter, MEDIA_JITTER_MIN_MS,
                           MAX (MEDIA_JITTER_MAX_MS, self->latency), MEDIA_JITTER_MIN_MS);
  MediaPipelineConfig config = {
    .codec = self->codec,
    .opus_pt = self->payload_type,
    .telephone_event_pt = self->telephone_event_pt,
    .source = self->source,
    .sink = self->sink,
    .echo_cancel = self->echo_cancel,
    .latency_ms = self->adaptive_latency ? self->jitter.current_ms : self->latency,
    .opus_bitrate = self->bitrate,
    .packet_loss_percent = self->packet_loss_percentage,
    .mute = self->mute,
    .send = sends (self->direction),
    .receive = receives (self->direction),
  };
  g_autoptr (GError) error = NULL;
  MediaPipeline *pipeline = media_pipeline_new (&config, keys, &pipeline_callbacks, self, &error);
  if (pipeline == NULL)
    {
      fail (self, error);
      return;
    }
  g_mutex_lock (&self->io_lock);
  media_pipeline_set_tap (pipeline, self->tap, self->tap_data);
  self->pipeline = pipeline;
  g_mutex_unlock (&self->io_lock);
  if (!media_pipeline_start (pipeline, &error))
    {
      fail (self, error);
      return;
    }
  clear_source (&self->timeout);
  self->setup_time_ms = (g_get_monotonic_time () - self->checking_since) / 1000;
  g_clear_pointer (&self->srtp_profile, g_free);
  self->srtp_profile = g_strdup (media_dtls_get_profile_name (self->dtls));
  self->stats_timer = g_timeout_source_new (CALL_MEDIA_STATS_INTERVAL_MS);
  g_source_set_callback (self->stats_timer, on_stats_timer, self, NULL);
  g_source_attach (self->stats_timer, g_main_context_get_thread_default ());
  g_debug ("media started, %" G_GINT64_FORMAT " ms after the remote credentials",
           self->setup_time_ms);
  set_state (self, CALL_MEDIA_STATE_CONNECTED);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SRTP_PROFILE]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SETUP_TIME]);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

/* ---- DTLS ---- */

static void
dtls_send (const guint8 *data, gsize len, gpointer user_data)
{
  CallMedia *self = user_data;
  if (self->ice != NULL)
    media_ice_send (self->ice, data, len);
}

static void
dtls_up (MediaDtls *dtls, const MediaSrtpKeys *keys, gpointer user_data)
{
  CallMedia *self = user_data;
  G_GNUC_UNUSED g_autoptr (CallMedia) hold = g_object_ref (self);
  g_debug ("DTLS up: %s", media_dtls_get_profile_name (dtls));
  start_media (self, keys);
}

static void
dtls_down (MediaDtls *dtls, const GError *error, gpointer user_data)
{
  fail (user_data, error);
}

static const MediaDtlsCallbacks dtls_callbacks = { dtls_send, dtls_up, dtls_down };

/* ---- ICE ---- */

static void
ice_candidate (MediaIce *ice, const char *candidate, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_LOCAL_CANDIDATE], 0, candidate);
}

static void
ice_gathered (MediaIce *ice, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_GATHERED], 0);
}

static void
ice_connected (MediaIce *ice, gpointer user_data)
{
  CallMedia *self = user_data;
  G_GNUC_UNUSED g_autoptr (CallMedia) hold = g_object_ref (self);
  self->ice_connected = TRUE;
  g_autofree char *pair = media_ice_describe_selected_pair (ice);
  g_debug ("ICE connected: %s", pair ? pair : "?");
  set_state (self, CALL_MEDIA_STATE_SECURING);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SELECTED_PAIR]);
  /* RFC 5763 §5: the handshake runs once ICE works; the client starts */
  media_dtls_start (self->dtls);
  GBytes *d;
  while (self->dtls != NULL && (d = g_queue_pop_head (&self->early_dtls)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (d, &len);
      media_dtls_receive (self->dtls, data, len);
      g_bytes_unref (d);
    }
}

static void
ice_failed (MediaIce *ice, const GError *error, gpointer user_data)
{
  fail (user_data, error);
}

static void
ice_dtls (MediaIce *ice, const guint8 *data, gsize len, gpointer user_data)
{
  CallMedia *self = user_data;
  G_GNUC_UNUSED g_autoptr (CallMedia) hold = g_object_ref (self);
  if (self->dtls == NULL)
    return;
  if (!self->ice_connected)
    {
      /* our answers could not leave yet: keep the peer's flight */
      if (g_queue_get_length (&self->early_dtls) < MAX_EARLY_DTLS)
        g_queue_push_tail (&self->early_dtls, g_bytes_new (data, len));
      return;
    }
  media_dtls_receive (self->dtls, data, len);
}

/* The I/O thread: SRTP and SRTCP straight into the pipeline. */
static void
ice_media (const guint8 *data, gsize len, gboolean rtcp, gpointer user_data)
{
  CallMedia *self = user_data;
  g_mutex_lock (&self->io_lock);
  if (self->tap != NULL)
    self->tap (CALL_MEDIA_TAP_WIRE_IN, data, len, self->tap_data);
  /* before the keys are known there is nothing to decrypt with: dropped */
  if (self->pipeline != NULL)
    media_pipeline_receive (self->pipeline, data, len, rtcp);
  g_mutex_unlock (&self->io_lock);
}

static const MediaIceCallbacks ice_callbacks = { ice_candidate, ice_gathered, ice_connected,
                                                 ice_failed,    ice_dtls,     ice_media };

static gboolean
on_timeout (gpointer data)
{
  CallMedia *self = data;
  g_clear_pointer (&self->timeout, g_source_unref);
  g_autoptr (GError) error =
      g_error_new (CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_TIMEOUT, "%s did not finish within %u ms",
                   self->state == CALL_MEDIA_STATE_SECURING ? "the DTLS handshake" : "ICE",
                   self->connect_timeout);
  fail (self, error);
  return G_SOURCE_REMOVE;
}

/* ---- teardown ---- */

static void
teardown (CallMedia *self)
{
  clear_source (&self->timeout);
  clear_source (&self->stats_timer);
  /* close_notify (when DTLS is up) still needs the agent */
  if (self->dtls != NULL)
    media_dtls_close (self->dtls);
  /* the pipeline sends through the agent: it stops first; the I/O thread
   * no longer finds it afterwards */
  g_mutex_lock (&self->io_lock);
  MediaPipeline *pipeline = g_steal_pointer (&self->pipeline);
  g_mutex_unlock (&self->io_lock);
  if (pipeline != NULL)
    {
      media_pipeline_stop (pipeline);
      media_pipeline_free (pipeline);
    }
  g_clear_pointer (&self->dtls, media_dtls_free);
  g_clear_pointer (&self->ice, media_ice_free);
  g_queue_clear_full (&self->early_dtls, (GDestroyNotify) g_bytes_unref);
}

/* ---- GObject ---- */

static void
call_media_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CallMedia *self = CALL_MEDIA (object);
  switch (prop_id)
    {
    case PROP_CONTROLLING:
      g_value_set_boolean (value, self->controlling);
      break;
    case PROP_DTLS_ROLE:
      g_value_set_enum (value, self->dtls_role);
      break;
    case PROP_CERTIFICATE:
      g_value_set_boxed (value, self->certificate);
      break;
    case PROP_LOCAL_ADDRESSES:
      g_value_set_boxed (value, self->local_addresses);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->stun_server);
      break;
    case PROP_STUN_PORT:
      g_value_set_uint (value, self->stun_port);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, self->turn_server);
      break;
    case PROP_TURN_PORT:
      g_value_set_uint (value, self->turn_port);
      break;
    case PROP_TURN_USERNAME:
      g_value_set_string (value, self->turn_username);
      break;
    case PROP_TURN_PASSWORD:
      g_value_set_string (value, self->turn_password);
      break;
    case PROP_UPNP:
      g_value_set_boolean (value, self->upnp);
      break;
    case PROP_CODEC:
      g_value_set_enum (value, self->codec);
      break;
    case PROP_PAYLOAD_TYPE:
      g_value_set_uint (value, self->payload_type);
      break;
    case PROP_TELEPHONE_EVENT_PAYLOAD_TYPE:
      g_value_set_uint (value, self->telephone_event_pt);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_SINK:
      g_value_set_string (value, self->sink);
      break;
    case PROP_ECHO_CANCEL:
      g_value_set_boolean (value, self->echo_cancel);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, self->bitrate);
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      g_value_set_uint (value, self->packet_loss_percentage);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_MUTE:
      g_value_set_boolean (value, self->mute);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LOCAL_FINGERPRINT:
      g_value_set_string (value, call_media_get_local_fingerprint (self));
      break;
    case PROP_SRTP_PROFILE:
      g_value_set_string (value, self->srtp_profile);
      break;
    case PROP_SETUP_TIME:
      g_value_set_int64 (value, self->setup_time_ms);
      break;
    case PROP_SELECTED_PAIR:
      g_value_take_string (value, self->ice ? media_ice_describe_selected_pair (self->ice) : NULL);
      break;
    case PROP_ADAPTIVE_LATENCY:
      g_value_set_boolean (value, self->adaptive_latency);
      break;
    case PROP_JITTER_BUFFER_LATENCY:
      g_value_set_uint (value, self->adaptive_latency ? self->jitter.current_ms : self->latency);
      break;
    case PROP_RECEIVE_LATENCY:
      {
        GstClockTime latency = self->pipeline != NULL
                                   ? media_pipeline_get_receive_latency (self->pipeline)
                                   : GST_CLOCK_TIME_NONE;
        /* to the nearest millisecond */
        g_value_set_int64 (value, GST_CLOCK_TIME_IS_VALID (latency)
                                      ? (gint64) ((latency + GST_MSECOND / 2) / GST_MSECOND)
                                      : -1);
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (char **field, const GValue *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

/* "source" or "sink" set while the media runs: the device changes now
 * (a headset plugged in during the call). */
static void
switch_device (CallMedia *self, gboolean source)
{
  if (self->pipeline == NULL)
    return;
  g_autoptr (GError) error = NULL;
  gboolean ok = source ? media_pipeline_set_source (self->pipeline, self->source, &error)
                       : media_pipeline_set_sink (self->pipeline, self->sink, &error);
  if (!ok)
    g_message ("call media: the new %s: %s", source ? "source" : "sink", error->message);
}

static void
call_media_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  CallMedia *self = CALL_MEDIA (object);
  switch (prop_id)
    {
    case PROP_CONTROLLING:
      self->controlling = g_value_get_boolean (value);
      break;
    case PROP_DTLS_ROLE:
      self->dtls_role = g_value_get_enum (value);
      break;
    case PROP_CERTIFICATE:
      g_clear_pointer (&self->certificate, call_media_certificate_unref);
      self->certificate = g_value_dup_boxed (value);
      break;
    case PROP_LOCAL_ADDRESSES:
      g_strfreev (self->local_addresses);
      self->local_addresses = g_value_dup_boxed (value);
      break;
    case PROP_STUN_SERVER:
      set_string (&self->stun_server, value);
      break;
    case PROP_STUN_PORT:
      self->stun_port = g_value_get_uint (value);
      break;
    case PROP_TURN_SERVER:
      set_string (&self->turn_server, value);
      break;
    case PROP_TURN_PORT:
      self->turn_port = g_value_get_uint (value);
      break;
    case PROP_TURN_USERNAME:
      set_string (&self->turn_username, value);
      break;
    case PROP_TURN_PASSWORD:
      set_string (&self->turn_password, value);
      break;
    case PROP_UPNP:
      self->upnp = g_value_get_boolean (value);
      break;
    case PROP_CODEC:
      self->codec = g_value_get_enum (value);
      break;
    case PROP_PAYLOAD_TYPE:
      self->payload_type = g_value_get_uint (value);
      break;
    case PROP_TELEPHONE_EVENT_PAYLOAD_TYPE:
      self->telephone_event_pt = g_value_get_uint (value);
      break;
    case PROP_SOURCE:
      set_string (&self->source, value);
      switch_device (self, TRUE);
      break;
    case PROP_SINK:
      set_string (&self->sink, value);
      switch_device (self, FALSE);
      break;
    case PROP_ECHO_CANCEL:
      self->echo_cancel = g_value_get_boolean (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_ADAPTIVE_LATENCY:
      self->adaptive_latency = g_value_get_boolean (value);
      break;
    case PROP_BITRATE:
      self->bitrate = g_value_get_uint (value);
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      self->packet_loss_percentage = g_value_get_uint (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_MUTE:
      self->mute = g_value_get_boolean (value);
      if (self->pipeline != NULL)
        media_pipeline_set_mute (self->pipeline, self->mute);
      break;
    case PROP_DIRECTION:
      self->direction = g_value_get_enum (value);
      if (self->pipeline != NULL)
        media_pipeline_set_direction (self->pipeline, sends (self->direction),
                                      receives (self->direction));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
call_media_dispose (GObject *object)
{
  CallMedia *self = CALL_MEDIA (object);
  teardown (self);
  G_OBJECT_CLASS (call_media_parent_class)->dispose (object);
}

static void
call_media_finalize (GObject *object)
{
  CallMedia *self = CALL_MEDIA (object);
  g_clear_pointer (&self->certificate, call_media_certificate_unref);
  g_strfreev (self->local_addresses);
  g_free (self->stun_server);
  g_free (self->turn_server);
  g_free (self->turn_username);
  g_free (self->turn_password);
  g_free (self->source);
  g_free (self->sink);
  g_free (self->srtp_profile);
  g_mutex_clear (&self->io_lock);
  G_OBJECT_CLASS (call_media_parent_class)->finalize (object);
}

static GParamSpec *
uint_prop (const char *name, guint min, guint max, guint def)
{
  return g_param_spec_uint (name, NULL, NULL, min, max, def,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
string_prop (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

static void
call_media_class_init (CallMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->get_property = call_media_get_property;
  object_class->set_property = call_media_set_property;
  object_class->dispose = call_media_dispose;
  object_class->finalize = call_media_finalize;

  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  props[PROP_CONTROLLING] = g_param_spec_boolean ("controlling", NULL, NULL, FALSE, rw);
  props[PROP_DTLS_ROLE] = g_param_spec_enum ("dtls-role", NULL, NULL, CALL_MEDIA_TYPE_DTLS_ROLE,
                                             CALL_MEDIA_DTLS_CLIENT, rw);
  props[PROP_CERTIFICATE] =
      g_param_spec_boxed ("certificate", NULL, NULL, CALL_MEDIA_TYPE_CERTIFICATE, rw);
  props[PROP_LOCAL_ADDRESSES] = g_param_spec_boxed ("local-addresses", NULL, NULL, G_TYPE_STRV, rw);
  props[PROP_STUN_SERVER] = string_prop ("stun-server");
  props[PROP_STUN_PORT] = uint_prop ("stun-port", 0, 65535, 3478);
  props[PROP_TURN_SERVER] = string_prop ("turn-server");
  props[PROP_TURN_PORT] = uint_prop ("turn-port", 0, 65535, 3478);
  props[PROP_TURN_USERNAME] = string_prop ("turn-username");
  props[PROP_TURN_PASSWORD] = string_prop ("turn-password");
  props[PROP_UPNP] = g_param_spec_boolean ("upnp", NULL, NULL, FALSE, rw);
  props[PROP_CODEC] =
      g_param_spec_enum ("codec", NULL, NULL, CALL_MEDIA_TYPE_CODEC, CALL_MEDIA_CODEC_OPUS, rw);
  /* RFC 3551 §6: 96..127 are the dynamic payload types */
  props[PROP_PAYLOAD_TYPE] = uint_prop ("payload-type", 96, 127, MEDIA_PIPELINE_DEFAULT_OPUS_PT);
  props[PROP_TELEPHONE_EVENT_PAYLOAD_TYPE] =
      uint_prop ("telephone-event-payload-type", 0, 127, MEDIA_PIPELINE_DEFAULT_TELEPHONE_EVENT_PT);
  props[PROP_SOURCE] = string_prop ("source");
  props[PROP_SINK] = string_prop ("sink");
  props[PROP_ECHO_CANCEL] =
      g_param_spec_boolean ("echo-cancel", NULL, NULL, TRUE, rw | G_PARAM_CONSTRUCT);
  props[PROP_LATENCY] = uint_prop ("latency", 10, 2000, MEDIA_PIPELINE_DEFAULT_LATENCY_MS);
  props[PROP_BITRATE] = uint_prop ("bitrate", 6000, 510000, MEDIA_PIPELINE_DEFAULT_OPUS_BITRATE);
  props[PROP_PACKET_LOSS_PERCENTAGE] =
      uint_prop ("packet-loss-percentage", 0, 100, MEDIA_PIPELINE_DEFAULT_LOSS_PERCENT);
  props[PROP_CONNECT_TIMEOUT] =
      uint_prop ("connect-timeout", 100, 600000, CALL_MEDIA_DEFAULT_CONNECT_TIMEOUT_MS);
  props[PROP_MUTE] = g_param_spec_boolean ("mute", NULL, NULL, FALSE, rw);
  props[PROP_DIRECTION] = g_param_spec_enum ("direction", NULL, NULL, CALL_MEDIA_TYPE_DIRECTION,
                                             CALL_MEDIA_DIRECTION_SENDRECV, rw);
  props[PROP_STATE] =
      g_param_spec_enum ("state", NULL, NULL, CALL_MEDIA_TYPE_STATE, CALL_MEDIA_STATE_NEW, ro);
  props[PROP_LOCAL_FINGERPRINT] = g_param_spec_string ("local-fingerprint", NULL, NULL, NULL, ro);
  props[PROP_SRTP_PROFILE] = g_param_spec_string ("srtp-profile", NULL, NULL, NULL, ro);
  props[PROP_SETUP_TIME] = g_param_spec_int64 ("setup-time", NULL, NULL, -1, G_MAXINT64, -1, ro);
  props[PROP_SELECTED_PAIR] = g_param_spec_string ("selected-pair", NULL, NULL, NULL, ro);
  props[PROP_ADAPTIVE_LATENCY] =
      g_param_spec_boolean ("adaptive-latency", NULL, NULL, TRUE, rw | G_PARAM_CONSTRUCT);
  props[PROP_JITTER_BUFFER_LATENCY] =
      g_param_spec_uint ("jitter-buffer-latency", NULL, NULL, 0, 2000, 0, ro);
  props[PROP_RECEIVE_LATENCY] =
      g_param_spec_int64 ("receive-latency", NULL, NULL, -1, G_MAXINT64, -1, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_LOCAL_CANDIDATE] =
      g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_GATHERED] = g_signal_new ("gathered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] =
      g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_STATS] =
      g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, CALL_MEDIA_TYPE_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_DTMF_RECEIVED] =
      g_signal_new ("dtmf-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_CHAR);
}

static void
call_media_init (CallMedia *self)
{
  g_mutex_init (&self->io_lock);
  g_queue_init (&self->early_dtls);
  self->setup_time_ms = -1;
  media_jitter_adapt_init (&self->jitter, MEDIA_JITTER_MIN_MS, MEDIA_JITTER_MAX_MS,
                           MEDIA_JITTER_MIN_MS);
}

/* ---- API ---- */

CallMedia *
call_media_new (gboolean controlling, CallMediaDtlsRole dtls_role)
{
  return g_object_new (CALL_TYPE_MEDIA, "controlling", controlling, "dtls-role", dtls_role, NULL);
}

gboolean
call_media_start (CallMedia *self, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self), FALSE);
  if (self->state != CALL_MEDIA_STATE_NEW)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "already started");
      return FALSE;
    }
  /* a bad description fails now rather than at ::connected */
  if ((self->source != NULL && !media_pipeline_check_description (self->source, error))
      || (self->sink != NULL && !media_pipeline_check_description (self->sink, error)))
    return FALSE;
  if (self->certificate == NULL && (self->certificate = call_media_certificate_new (error)) == NULL)
    return FALSE;
  self->dtls = media_dtls_new (self->dtls_role == CALL_MEDIA_DTLS_CLIENT, self->certificate,
                               self->have_remote_fingerprint ? &self->remote_fingerprint : NULL,
                               &dtls_callbacks, self, error);
  if (self->dtls == NULL)
    return FALSE;
  MediaIceConfig config = {
    .controlling = self->controlling,
    .local_addresses = (const char *const *) self->local_addresses,
    .stun_server = self->stun_server,
    .stun_port = self->stun_port,
    .turn_server = self->turn_server,
    .turn_port = self->turn_port,
    .turn_username = self->turn_username,
    .turn_password = self->turn_password,
    .upnp = self->upnp,
  };
  self->ice = media_ice_new (&config, &ice_callbacks, self, error);
  if (self->ice == NULL)
    {
      g_clear_pointer (&self->dtls, media_dtls_free);
      return FALSE;
    }
  set_state (self, CALL_MEDIA_STATE_GATHERING);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOCAL_FINGERPRINT]);
  return TRUE;
}

void
call_media_stop (CallMedia *self)
{
  g_return_if_fail (CALL_IS_MEDIA (self));
  if (is_over (self))
    return;
  teardown (self);
  set_state (self, CALL_MEDIA_STATE_CLOSED);
}

CallMediaState
call_media_get_state (CallMedia *self)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self), CALL_MEDIA_STATE_FAILED);
  return self->state;
}

void
call_media_get_local_credentials (CallMedia *self, char **ufrag, char **password)
{
  g_return_if_fail (CALL_IS_MEDIA (self) && ufrag != NULL && password != NULL);
  *ufrag = *password = NULL;
  if (self->ice != NULL)
    media_ice_get_local_credentials (self->ice, ufrag, password);
}

GStrv
call_media_get_local_candidates (CallMedia *self)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self), NULL);
  if (self->ice == NULL)
    return g_new0 (char *, 1);
  return media_ice_get_local_candidates (self->ice);
}

const char *
call_media_get_local_fingerprint (CallMedia *self)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self), NULL);
  return self->certificate ? call_media_certificate_get_fingerprint (self->certificate) : NULL;
}

static gboolean
check_running (CallMedia *self, GError **error)
{
  if (self->ice != NULL && !is_over (self))
    return TRUE;
  g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
               self->state == CALL_MEDIA_STATE_NEW ? "not started" : "the call's media is over");
  return FALSE;
}

gboolean
call_media_set_remote_credentials (CallMedia *self, const char *ufrag, const char *password,
                                   GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self) && ufrag != NULL && password != NULL, FALSE);
  if (!check_running (self, error)
      || !media_ice_set_remote_credentials (self->ice, ufrag, password, error))
    return FALSE;
  if (self->state == CALL_MEDIA_STATE_GATHERING)
    {
      g_debug ("remote credentials: checks start");
      self->checking_since = g_get_monotonic_time ();
      set_state (self, CALL_MEDIA_STATE_CHECKING);
      self->timeout = g_timeout_source_new (self->connect_timeout);
      g_source_set_callback (self->timeout, on_timeout, self, NULL);
      g_source_attach (self->timeout, g_main_context_get_thread_default ());
    }
  return TRUE;
}

gboolean
call_media_add_remote_candidate (CallMedia *self, const char *candidate, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self) && candidate != NULL, FALSE);
  return check_running (self, error)
         && media_ice_add_remote_candidate (self->ice, candidate, error);
}

gboolean
call_media_set_remote_fingerprint (CallMedia *self, const char *fingerprint, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self) && fingerprint != NULL, FALSE);
  MediaFingerprint fp;
  if (is_over (self))
    return check_running (self, error);
  if (!media_fingerprint_parse (fingerprint, &fp, error))
    return FALSE;
  self->remote_fingerprint = fp;
  self->have_remote_fingerprint = TRUE;
  if (self->dtls != NULL)
    {
      G_GNUC_UNUSED g_autoptr (CallMedia) hold = g_object_ref (self);
      media_dtls_set_remote_fingerprint (self->dtls, &fp);
    }
  return TRUE;
}

gboolean
call_media_get_stats (CallMedia *self, CallMediaStats *stats)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self) && stats != NULL, FALSE);
  call_media_stats_init (stats);
  if (self->pipeline == NULL)
    return FALSE;
  media_pipeline_get_stats (self->pipeline, stats);
  return TRUE;
}

gboolean
call_media_start_dtmf (CallMedia *self, char digit, GError **error)
{
  g_return_val_if_fail (CALL_IS_MEDIA (self), FALSE);
  const char *digits = "0123456789*#ABCD";
  const char *at = digit != '\0' ? strchr (digits, g_ascii_toupper (digit)) : NULL;
  if (at == NULL)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID,
                   "“%c” is not a DTMF digit (RFC 4733 §3.2)", digit);
      return FALSE;
    }
  if (self->pipeline == NULL)
    {
      g_set_error (error, CALL_MEDIA_ERROR, CALL_MEDIA_ERROR_INVALID, "no media yet");
      return FALSE;
    }
  return media_pipeline_start_dtmf (self->pipeline, (guint) (at - digits), error);
}

void
call_media_stop_dtmf (CallMedia *self)
{
  g_return_if_fail (CALL_IS_MEDIA (self));
  if (self->pipeline != NULL)
    media_pipeline_stop_dtmf (self->pipeline);
}

void
call_media_set_packet_tap (CallMedia *self, CallMediaPacketTap tap, gpointer user_data)
{
  g_return_if_fail (CALL_IS_MEDIA (self));
  g_mutex_lock (&self->io_lock);
  self->tap = tap;
  self->tap_data = user_data;
  if (self->pipeline != NULL)
    media_pipeline_set_tap (self->pipeline, tap, user_data);
  g_mutex_unlock (&self->io_lock);
}
