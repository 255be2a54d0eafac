/* chorus-peer.c: ChorusPeer, one RELOAD peer in a thread of its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "chorus-peer-private.h"

#include <string.h>

#include "chord-id.h"
#include "chorus-peer-cache.h"
#include "chorus-peer-config.h"
#include "chorus-peer-turn.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-datastore.h"
#include "reload-diagnostics.h"
#include "reload-message.h"
#include "reload-peer-shell.h"
#include "reload-storage.h"

/* clang-format off */
G_DEFINE_QUARK (chorus-peer-error-quark, chorus_peer_error)
/* clang-format on */

/* How long a graceful stop waits for the Leave to go out (§10.9). */
#define STOP_TIMEOUT_MS 3000
/* Lifetime of what `store` writes (§7: lifetime in seconds). */
#define STORE_LIFETIME_S 86400

enum
{
  SIGNAL_JOINED,
  SIGNAL_CALLS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _ChorusPeer
{
  GObject parent_instance;

  /* set at construction, read-only after */
  char *profile_dir;
  char *listen;
  GStrv bootstrap;
  ReloadCredentials *creds;
  /* the profile's config.xml, verified; nullable; once started, the
   * thread's: a new configuration replaces it (§6.5.4) */
  ReloadConfig *config;
  ReloadNodeConfig node_template; /* §11.1 parameters from it */
  GMainContext *owner_context;
  ChorusPeerCache *cache; /* the bootstrap cache (§11.4) in PROFILE/chorus.db */
  char *turn_username;    /* the TURN credential given, else the configuration's (§9) */
  char *turn_password;

  /* the thread; `shell` and everything in it belong to it alone */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  ReloadPeerShell *shell;
  GTask *start_task;
  char *listen_address; /* written by the thread before start completes */

  /* calls (chorus-phone.h): the settings before start, the phone in the
   * thread */
  ChorusPeerPhoneSettings phone_settings;
  ChorusPhone *phone;
  ChorusSipAdapter *adapter;
  GSource *phone_changed; /* in the thread: ::calls-changed on its way */
};

G_DEFINE_FINAL_TYPE (ChorusPeer, chorus_peer, G_TYPE_OBJECT)

static void
chorus_peer_dispose (GObject *object)
{
  ChorusPeer *self = CHORUS_PEER (object);
  if (self->thread != NULL)
    {
      g_main_loop_quit (self->loop);
      g_thread_join (self->thread);
      self->thread = NULL;
    }
  G_OBJECT_CLASS (chorus_peer_parent_class)->dispose (object);
}

static void
chorus_peer_finalize (GObject *object)
{
  ChorusPeer *self = CHORUS_PEER (object);
  g_free (self->profile_dir);
  g_free (self->listen);
  g_strfreev (self->bootstrap);
  g_clear_pointer (&self->creds, reload_credentials_free);
  g_clear_pointer (&self->node_template.kinds, reload_kind_table_unref);
  g_clear_pointer (&self->config, reload_config_free);
  g_clear_pointer (&self->cache, chorus_peer_cache_free);
  g_free (self->turn_username);
  g_free (self->turn_password);
  chorus_peer_phone_settings_clear (&self->phone_settings);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->listen_address);
  G_OBJECT_CLASS (chorus_peer_parent_class)->finalize (object);
}

static void
chorus_peer_class_init (ChorusPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = chorus_peer_dispose;
  object_class->finalize = chorus_peer_finalize;

  /**
   * ChorusPeer::joined:
   *
   * The peer has joined the overlay (§10.5), or formed it.  Emitted on the
   * context that was thread-default when the peer was created.
   */
  signals[SIGNAL_JOINED] = g_signal_new ("joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* ChorusPeer::calls-changed (JsonNode *calls): what chorus_peer_calls_async
   * gives, after a call appeared or changed state, a message arrived or
   * the registration changed (a phone only; changes coalesced) */
  signals[SIGNAL_CALLS_CHANGED] =
      g_signal_new ("calls-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, JSON_TYPE_NODE);
}

static void
chorus_peer_init (ChorusPeer *self)
{
}

/* The overlay configuration document of the profile (§11.1), when there
 * is one: verified against the profile's root CA before anything of it is
 * used ("Recipients MUST verify the signature prior to accepting the
 * configuration file"), for the overlay of the peer's certificate. */
static gboolean
load_configuration (const char *profile_dir, const ReloadCredentials *creds, ReloadConfig **out,
                    ReloadNodeConfig *node, GError **error)
{
  g_autofree char *path = g_build_filename (profile_dir, CHORUS_PEER_CONFIG_FILE, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      *out = NULL;
      return TRUE;
    }
  g_autoptr (ReloadCertIdentity) identity = reload_cert_get_identity (creds->cert, error);
  if (identity == NULL)
    return FALSE;
  g_autoptr (ReloadConfig) cfg = reload_config_load_file (path, identity->overlay_name, error);
  if (cfg == NULL || !reload_config_verify (cfg, creds->ca, NULL, error)
      || !reload_config_apply_to_node (cfg, node, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  *out = g_steal_pointer (&cfg);
  return TRUE;
}

ChorusPeer *
chorus_peer_new (const char *profile_dir, const char *listen, const char *const *bootstrap,
                 GError **error)
{
  g_return_val_if_fail (profile_dir != NULL, NULL);
  g_autoptr (ReloadCredentials) creds = reload_credentials_load (profile_dir, error);
  if (creds == NULL)
    return NULL;
  if (creds->cert == NULL)
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "%s holds the overlay's root but no peer certificate (cert.pem, key.pem)",
                   profile_dir);
      return NULL;
    }
  /* the profile's database first: nothing else is held when it fails */
  g_autoptr (ChorusPeerCache) cache = chorus_peer_cache_open (profile_dir, error);
  if (cache == NULL)
    return NULL;
  g_autoptr (ReloadConfig) config = NULL;
  ReloadNodeConfig node_template = { 0 };
  node_template.chord_reactive = TRUE;
  if (!load_configuration (profile_dir, creds, &config, &node_template, error))
    return NULL;
  ChorusPeer *self = g_object_new (CHORUS_TYPE_PEER, NULL);
  self->profile_dir = g_strdup (profile_dir);
  self->listen = g_strdup (listen);
  self->creds = g_steal_pointer (&creds);
  self->node_template = node_template;
  if (bootstrap != NULL && bootstrap[0] != NULL)
    self->bootstrap = g_strdupv ((char **) bootstrap);
  else if (config != NULL)
    {
      /* no bootstrap peer given: the configuration's (§11.4) */
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      for (guint i = 0; i < config->bootstrap_nodes->len; i++)
        {
          const ReloadConfigBootstrap *n =
              &g_array_index (config->bootstrap_nodes, ReloadConfigBootstrap, i);
          g_autofree char *text = strchr (n->address, ':') != NULL
                                      ? g_strdup_printf ("[%s]:%u", n->address, n->port)
                                      : g_strdup_printf ("%s:%u", n->address, n->port);
          g_strv_builder_add (b, text);
        }
      self->bootstrap = g_strv_builder_end (b);
    }
  self->config = g_steal_pointer (&config);
  self->cache = g_steal_pointer (&cache);
  self->owner_context = g_main_context_ref_thread_default ();
  return self;
}

/* ---------------------------------------------------------------- the thread */

static gboolean
emit_joined (gpointer data)
{
  ChorusPeer *self = data;
  g_signal_emit (self, signals[SIGNAL_JOINED], 0);
  return G_SOURCE_REMOVE;
}

static void
shell_joined (gpointer user_data)
{
  ChorusPeer *self = user_data;
  if (self->phone != NULL)
    chorus_phone_joined (self->phone);
  if (self->adapter != NULL)
    chorus_sip_adapter_joined (self->adapter);
  /* the reference keeps the peer alive until the owner's context runs it */
  g_main_context_invoke_full (self->owner_context, G_PRIORITY_DEFAULT, emit_joined,
                              g_object_ref (self), g_object_unref);
}

typedef struct
{
  ChorusPeer *peer;
  JsonNode *calls;
} CallsChanged;

static void
calls_changed_free (gpointer data)
{
  CallsChanged *c = data;
  g_object_unref (c->peer);
  json_node_unref (c->calls);
  g_free (c);
}

static gboolean
emit_calls_changed (gpointer data)
{
  CallsChanged *c = data;
  g_signal_emit (c->peer, signals[SIGNAL_CALLS_CHANGED], 0, c->calls);
  return G_SOURCE_REMOVE;
}

/* In the thread, once the phone's changes of one main loop turn are done:
 * one snapshot to the owner. */
static gboolean
phone_changed_idle (gpointer data)
{
  ChorusPeer *self = data;
  g_clear_pointer (&self->phone_changed, g_source_unref);
  if (self->phone == NULL)
    return G_SOURCE_REMOVE;
  CallsChanged *c = g_new0 (CallsChanged, 1);
  c->peer = g_object_ref (self);
  c->calls = chorus_phone_calls_json (self->phone);
  g_main_context_invoke_full (self->owner_context, G_PRIORITY_DEFAULT, emit_calls_changed, c,
                              calls_changed_free);
  return G_SOURCE_REMOVE;
}

static void
phone_changed (gpointer user_data)
{
  ChorusPeer *self = user_data;
  if (self->phone_changed != NULL)
    return;
  self->phone_changed = g_idle_source_new ();
  g_source_set_callback (self->phone_changed, phone_changed_idle, self, NULL);
  g_source_attach (self->phone_changed, self->context);
}

/* A new configuration, from the overlay (ReloadPeerShellConfig's
 * config_update, §6.5.4) or from `ctl config-update`; in the thread. */
static gboolean
take_configuration (ChorusPeer *self, GBytes *document, const char *from, guint16 *rfc_error,
                    GError **error)
{
  g_autofree char *path = g_build_filename (self->profile_dir, CHORUS_PEER_CONFIG_FILE, NULL);
  if (chorus_peer_config_take (&self->config, self->creds->ca,
                               reload_peer_shell_get_identity (self->shell)->overlay_name, path,
                               self->shell, document, rfc_error, error))
    {
      /* the overlay's TURN credential, unless one was given to this peer */
      if (self->turn_username == NULL)
        reload_peer_shell_set_turn_credential (self->shell, self->config->turn_username,
                                               self->config->turn_password);
      return TRUE;
    }
  /* §6.5.4.2: never applied; one line, the RFC's error in it (at debug
   * level for the document we hold already: two peers sending it to each
   * other at once is the normal case) */
  gboolean same = *rfc_error == RELOAD_ERROR_CONFIG_TOO_OLD && self->config != NULL
                  && self->config->document != NULL
                  && g_bytes_equal (self->config->document, document);
  if (same)
    g_debug ("configuration from %s refused: %s", from, (*error)->message);
  else
    g_message ("configuration from %s refused: %s", from, (*error)->message);
  return FALSE;
}

static guint16
shell_config_update (gpointer user_data, GBytes *document, char **info)
{
  ChorusPeer *self = user_data;
  guint16 code = 0;
  g_autoptr (GError) error = NULL;
  if (!take_configuration (self, document, "the overlay (ConfigUpdate)", &code, &error))
    *info = g_strdup (error->message);
  return code;
}

static gpointer
thread_main (gpointer data)
{
  ChorusPeer *self = data;
  g_main_context_push_thread_default (self->context);
  ReloadPeerShellConfig cfg = { 0 };
  cfg.node = self->node_template;
  cfg.ice = self->config != NULL && !self->config->no_ice;
  /* §9: peers of an ICE overlay look for TURN servers (others when asked) */
  cfg.node.turn_discovery = cfg.ice;
  cfg.turn_username = self->turn_username ? self->turn_username
                      : self->config      ? self->config->turn_username
                                          : NULL;
  cfg.turn_password = self->turn_username ? self->turn_password
                      : self->config      ? self->config->turn_password
                                          : NULL;
  cfg.listen = self->listen;
  cfg.bootstrap = (const char *const *) self->bootstrap;
  cfg.joined = shell_joined;
  cfg.config_update = shell_config_update;
  chorus_peer_cache_shell_ops (self->cache, &cfg.cache);
  /* Chorus extension: the configuration's <chorus:multicast-bootstrap> */
  if (self->config != NULL && self->config->multicast_bootstrap->len > 0)
    cfg.multicast_bootstrap = (const char *const *) self->config->multicast_bootstrap->pdata;
  cfg.user_data = self;
  GError *error = NULL;
  GTask *start = g_steal_pointer (&self->start_task);
  self->shell = reload_peer_shell_new (self->creds, &cfg, &error);
  if (self->shell == NULL)
    {
      g_task_return_error (start, error);
      g_object_unref (start);
      g_main_context_pop_thread_default (self->context);
      return NULL;
    }
  self->listen_address =
      reload_peer_shell_format_address (reload_peer_shell_get_listen_address (self->shell));
  /* calls: a phone, or the adapter for plain SIP phones (chorus-peer-phone.c) */
  if (!chorus_peer_calls_start (&self->phone_settings, self->shell, phone_changed, self,
                                &self->phone, &self->adapter, &error))
    {
      g_clear_pointer (&self->shell, reload_peer_shell_free);
      g_task_return_error (start, error);
      g_object_unref (start);
      g_main_context_pop_thread_default (self->context);
      return NULL;
    }
  reload_peer_shell_start (self->shell);
  g_task_return_boolean (start, TRUE);
  g_object_unref (start);

  g_main_loop_run (self->loop);

  /* pending requests end with CANCELLED as the node goes */
  g_clear_pointer (&self->phone, chorus_phone_free);
  if (self->phone_changed != NULL)
    {
      g_source_destroy (self->phone_changed);
      g_clear_pointer (&self->phone_changed, g_source_unref);
    }
  g_clear_pointer (&self->adapter, chorus_sip_adapter_free);
  g_clear_pointer (&self->shell, reload_peer_shell_free);
  /* let what was invoked on the context run (and fail: not running) */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

void
chorus_peer_start_async (ChorusPeer *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self));
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, chorus_peer_start_async);
  if (self->thread != NULL || self->context != NULL)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_FAILED,
                               "the peer was started already");
      return;
    }
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->start_task = g_object_ref (task);
  self->thread = g_thread_new ("chorus-peer", thread_main, self);
}

gboolean
chorus_peer_start_finish (ChorusPeer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
chorus_peer_get_listen_address (ChorusPeer *self)
{
  return self->listen_address;
}

guint
chorus_peer_get_bootstrap_cache_size (ChorusPeer *self)
{
  g_return_val_if_fail (CHORUS_IS_PEER (self), 0);
  return chorus_peer_cache_size (self->cache);
}

/* ---------------------------------------------------------------- operations */

typedef enum
{
  OP_STOP,
  OP_STATUS,
  OP_STORE,
  OP_FETCH,
  OP_STAT,
  OP_FIND,
  OP_PING,
  OP_PATH_TRACK,
  OP_CONFIG_UPDATE,
  OP_TURN_SERVERS,
} OpKind;

typedef struct
{
  ChorusPeer *peer; /* the task holds the reference */
  GTask *task;
  OpKind kind;
  char *kind_name;
  char *name;
  char *value;
  gint64 sent_ms;
  guint8 target[16];
  gboolean target_is_node;
  /* path-track: the hops so far and the node asked now */
  JsonArray *hops;
  ChordId asking;
  GBytes *document; /* config-update */
} Op;

static void
op_free (Op *op)
{
  g_clear_object (&op->task);
  g_free (op->kind_name);
  g_free (op->name);
  g_free (op->value);
  g_clear_pointer (&op->hops, json_array_unref);
  g_clear_pointer (&op->document, g_bytes_unref);
  g_free (op);
}

static void op_run_in_thread (Op *op);

static gboolean
op_dispatch (gpointer data)
{
  op_run_in_thread (data);
  return G_SOURCE_REMOVE;
}

static void
op_submit (ChorusPeer *self, OpKind kind, gpointer source_tag, GCancellable *cancellable,
           GAsyncReadyCallback callback, gpointer user_data, Op **out)
{
  Op *op = g_new0 (Op, 1);
  op->peer = self;
  op->kind = kind;
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, source_tag);
  *out = op;
}

static void
op_go (ChorusPeer *self, Op *op)
{
  if (self->context == NULL || self->thread == NULL)
    {
      g_task_return_new_error (op->task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_NOT_RUNNING,
                               "the peer is not running");
      op_free (op);
      return;
    }
  g_main_context_invoke (self->context, op_dispatch, op);
}

static void
op_return_error (Op *op, GError *error)
{
  g_task_return_error (op->task, error);
  op_free (op);
}

static void
op_return_json (Op *op, JsonNode *node)
{
  g_task_return_pointer (op->task, node, (GDestroyNotify) json_node_unref);
  op_free (op);
}

/* -- requests -- */

static GError *
translate_error (const GError *error)
{
  ChorusPeerError code = CHORUS_PEER_ERROR_FAILED;
  if (error->domain == RELOAD_NODE_ERROR)
    switch ((ReloadNodeError) error->code)
      {
      case RELOAD_NODE_ERROR_TIMEOUT:
        code = CHORUS_PEER_ERROR_TIMEOUT;
        break;
      case RELOAD_NODE_ERROR_RESPONSE:
        code = CHORUS_PEER_ERROR_RESPONSE;
        break;
      case RELOAD_NODE_ERROR_NO_ROUTE:
        code = CHORUS_PEER_ERROR_NO_ROUTE;
        break;
      case RELOAD_NODE_ERROR_CANCELLED:
        code = CHORUS_PEER_ERROR_NOT_RUNNING;
        break;
      }
  return g_error_new_literal (CHORUS_PEER_ERROR, code, error->message);
}

static void
request_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
              const GError *error)
{
  Op *op = user_data;
  if (answer == NULL)
    {
      op_return_error (
          op, error ? translate_error (error)
                    : g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_FAILED, "no answer"));
      return;
    }
  if (answer->message_code == RELOAD_ERROR)
    {
      /* an error response answered by this node itself (it is the
       * responsible peer) arrives as the answer */
      const ReloadErrorResponse *e = answer->body;
      const char *name = rw_enum_name (reload_error_code_names, e->error_code);
      op_return_error (op, g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_RESPONSE, "%s",
                                        name ? name : "Error_Unknown"));
      return;
    }
  const RwOptions *options = reload_storage_options (reload_node_storage (node));
  g_autoptr (GError) json_error = NULL;
  g_autoptr (JsonNode) whole = reload_message_to_json (answer, options, &json_error);
  if (whole == NULL)
    {
      op_return_error (op, g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_FAILED,
                                        "the answer does not convert to JSON: %s",
                                        json_error->message));
      return;
    }
  JsonObject *o = json_node_get_object (whole);
  JsonNode *body = json_object_get_member (o, "body");
  JsonNode *result = body ? json_node_copy (body) : json_node_new (JSON_NODE_NULL);
  if (op->kind == OP_PING && JSON_NODE_HOLDS_OBJECT (result))
    {
      JsonObject *r = json_node_get_object (result);
      json_object_set_int_member (r, "rtt_ms", reload_peer_shell_now () - op->sent_ms);
    }
  op_return_json (op, result);
}

static gboolean
resolve_kind (ReloadNode *node, const char *text, const ReloadKindDef **out, GError **error)
{
  ReloadStorage *st = reload_node_storage (node);
  const RwOptions *options = reload_storage_options (st);
  ReloadKindTable *kinds = options->kind_model_data;
  guint64 id;
  const ReloadKindDef *d = NULL;
  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &id, NULL))
    d = reload_kind_table_lookup (kinds, (guint32) id);
  else
    d = reload_kind_table_lookup_name (kinds, text);
  if (d == NULL)
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "the overlay has no kind “%s”", text);
      return FALSE;
    }
  *out = d;
  return TRUE;
}

static void
resource_id_of (const char *name, guint8 out[16])
{
  /* §10.2: the Resource-ID is the hash of the resource name, truncated */
  chord_id_to_bytes (chord_id_hash (name, strlen (name)), out);
}

static gboolean
parse_target (Op *op, GError **error)
{
  ChordId id;
  if (strlen (op->name) == 32 && chord_id_from_hex (op->name, &id))
    {
      chord_id_to_bytes (id, op->target);
      op->target_is_node = TRUE;
      return TRUE;
    }
  if (*op->name == '\0')
    {
      g_set_error (error, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                   "a Node-ID is 32 hex digits");
      return FALSE;
    }
  resource_id_of (op->name, op->target);
  op->target_is_node = FALSE;
  return TRUE;
}

/* RFC 7851 §4.3: the path to a node or resource, walked hop by hop: each
 * PathTrack answer names the next hop, which is asked next, until a node
 * names itself (it is responsible, or the destination). */
#define PATH_TRACK_MAX_HOPS 32
#define PATH_TRACK_EXPIRATION_MS 30000

static void path_track_ask (ChorusPeer *self, Op *op);

static void
path_track_finish (Op *op, gboolean reached)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reached");
  json_builder_add_boolean_value (b, reached);
  json_builder_set_member_name (b, "hops");
  JsonNode *hops = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (hops, g_steal_pointer (&op->hops));
  json_builder_add_value (b, hops);
  json_builder_end_object (b);
  op_return_json (op, json_builder_get_root (b));
}

static void
path_track_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
                 const GError *error)
{
  Op *op = user_data;
  ChorusPeer *self = op->peer;
  g_autoptr (GError) local_error = NULL;
  if (answer != NULL && answer->message_code != RELOAD_PATH_TRACK_ANS)
    {
      const char *name =
          answer->message_code == RELOAD_ERROR ? rw_enum_name (
              reload_error_code_names, ((const ReloadErrorResponse *) answer->body)->error_code)
                                               : NULL;
      local_error = g_error_new (RELOAD_NODE_ERROR, RELOAD_NODE_ERROR_RESPONSE, "%s",
                                 name ? name : "unexpected answer");
      error = local_error;
      answer = NULL;
    }
  if (answer == NULL)
    {
      if (json_array_get_length (op->hops) == 0)
        {
          op_return_error (op, translate_error (error));
          return;
        }
      /* the path so far, and where it stopped */
      JsonObject *h = json_object_new ();
      char hex[33];
      json_object_set_string_member (h, "node_id", chord_id_to_hex (op->asking, hex));
      json_object_set_string_member (h, "error", error ? error->message : "no answer");
      json_array_add_object_element (op->hops, h);
      path_track_finish (op, FALSE);
      return;
    }
  const ReloadPathTrackAns *a = answer->body;
  char hex[33];
  JsonObject *h = json_object_new ();
  json_object_set_string_member (h, "node_id", chord_id_to_hex (op->asking, hex));
  json_object_set_int_member (h, "rtt_ms", reload_peer_shell_now () - op->sent_ms);
  for (guint i = 0; i < a->response.n_diagnostic_info_list; i++)
    {
      const ReloadDiagnosticInfo *d = &a->response.diagnostic_info_list[i];
      if (d->kind == RELOAD_DIAG_ROUTING_TABLE_SIZE)
        json_object_set_int_member (h, "routing_table_size", d->routing_table_size);
      else if (d->kind == RELOAD_DIAG_APP_UPTIME)
        json_object_set_int_member (h, "uptime_s", (gint64) d->app_uptime);
    }
  json_array_add_object_element (op->hops, h);
  ChordId next = a->next_hop.type == RELOAD_DESTINATION_NODE
                     ? chord_id_from_node_id (&a->next_hop.node_id)
                     : op->asking;
  ChordId target = chord_id_from_bytes (op->target);
  if (chord_id_equal (next, op->asking))
    {
      path_track_finish (op, !op->target_is_node || chord_id_equal (op->asking, target));
      return;
    }
  if (json_array_get_length (op->hops) >= PATH_TRACK_MAX_HOPS)
    {
      path_track_finish (op, FALSE);
      return;
    }
  op->asking = next;
  path_track_ask (self, op);
}

static void
path_track_ask (ChorusPeer *self, Op *op)
{
  ReloadNode *node = reload_peer_shell_get_node (self->shell);
  gint64 now = reload_peer_shell_now ();
  ReloadPathTrackReq q = { 0 };
  if (op->target_is_node)
    {
      q.destination.type = RELOAD_DESTINATION_NODE;
      q.destination.node_id.len = 16;
      memcpy (q.destination.node_id.id, op->target, 16);
    }
  else
    {
      q.destination.type = RELOAD_DESTINATION_RESOURCE;
      q.destination.resource_id = (RwBytes){ op->target, 16 };
    }
  q.request.expiration = (guint64) (now + PATH_TRACK_EXPIRATION_MS);
  q.request.timestamp_initiated = (guint64) now;
  q.request.dm_flags =
      RELOAD_DM_FLAG (RELOAD_DIAG_ROUTING_TABLE_SIZE) | RELOAD_DM_FLAG (RELOAD_DIAG_APP_UPTIME);
  ReloadDestination d = { 0 };
  d.type = RELOAD_DESTINATION_NODE;
  d.node_id = chord_id_to_node_id (op->asking);
  op->sent_ms = now;
  reload_node_request (node, &d, RELOAD_PATH_TRACK_REQ, &q, path_track_done, op, now);
  reload_peer_shell_poke (self->shell);
}

static void
path_track_start (ChorusPeer *self, Op *op)
{
  ReloadNode *node = reload_peer_shell_get_node (self->shell);
  op->hops = json_array_new ();
  /* the first hop is this node itself: it says where it sends the message */
  op->asking = reload_node_get_id (node);
  path_track_ask (self, op);
}

static void
run_request (ChorusPeer *self, Op *op)
{
  ReloadNode *node = reload_peer_shell_get_node (self->shell);
  gint64 now = reload_peer_shell_now ();
  g_autoptr (GError) error = NULL;
  g_autoptr (RwArena) arena = rw_arena_new (0);
  const ReloadKindDef *def = NULL;
  guint8 rid[16];
  ReloadDestination d = { 0 };
  op->sent_ms = now;

  if (op->kind == OP_PATH_TRACK)
    {
      if (!parse_target (op, &error))
        op_return_error (op, g_steal_pointer (&error));
      else
        path_track_start (self, op);
      return;
    }
  if (op->kind == OP_PING)
    {
      if (!parse_target (op, &error))
        {
          op_return_error (op, g_steal_pointer (&error));
          return;
        }
      if (op->target_is_node)
        {
          d.type = RELOAD_DESTINATION_NODE;
          d.node_id.len = 16;
          memcpy (d.node_id.id, op->target, 16);
        }
      else
        {
          d.type = RELOAD_DESTINATION_RESOURCE;
          d.resource_id = (RwBytes){ op->target, 16 };
        }
      ReloadPingReq ping = { 0 };
      reload_node_request (node, &d, RELOAD_PING_REQ, &ping, request_done, op, now);
      reload_peer_shell_poke (self->shell);
      return;
    }

  if (op->kind_name != NULL && !resolve_kind (node, op->kind_name, &def, &error))
    {
      op_return_error (op, g_steal_pointer (&error));
      return;
    }
  resource_id_of (op->name, rid);
  d.type = RELOAD_DESTINATION_RESOURCE;
  d.resource_id = (RwBytes){ rid, 16 };

  if (op->kind == OP_STORE)
    {
      if (reload_kind_is_typed (def->id))
        {
          op_return_error (op, g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                                            "kind %s has a structured value, which its usage "
                                            "stores; `store` writes opaque values",
                                            def->name));
          return;
        }
      ReloadStoredData *sd = rw_arena_alloc0 (arena, sizeof *sd);
      sd->storage_time = (guint64) now;
      sd->lifetime = STORE_LIFETIME_S;
      const char *value = op->value;
      if (def->model == RELOAD_DATA_MODEL_ARRAY)
        sd->value.index = RELOAD_ARRAY_INDEX_APPEND;
      else if (def->model == RELOAD_DATA_MODEL_DICTIONARY)
        {
          const char *eq = strchr (op->value, '=');
          if (eq == NULL || eq == op->value)
            {
              op_return_error (op, g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_INVALID,
                                                "kind %s is a dictionary: the value is KEY=VALUE",
                                                def->name));
              return;
            }
          sd->value.key = (RwBytes){ (const guint8 *) op->value, (gsize) (eq - op->value) };
          value = eq + 1;
        }
      sd->value.value.exists = TRUE;
      sd->value.value.value = (RwBytes){ (const guint8 *) value, strlen (value) };
      reload_node_sign_stored_data (node, d.resource_id, def->id, sd, arena);
      ReloadStoreKindData kd = { 0 };
      kd.kind = def->id;
      kd.values = sd;
      kd.n_values = 1;
      ReloadStoreReq req = { 0 };
      req.resource = d.resource_id;
      req.kind_data = &kd;
      req.n_kind_data = 1;
      reload_node_request (node, &d, RELOAD_STORE_REQ, &req, request_done, op, now);
      reload_peer_shell_poke (self->shell);
      return;
    }

  if (op->kind == OP_FIND)
    {
      ReloadFindReq f = { 0 };
      f.resource = d.resource_id;
      /* no kind given: every kind of the overlay */
      g_autoptr (GArray) ids = NULL;
      if (def != NULL)
        {
          ids = g_array_new (FALSE, FALSE, sizeof (guint32));
          g_array_append_val (ids, def->id);
        }
      else
        ids = reload_kind_table_ids (
            reload_storage_options (reload_node_storage (node))->kind_model_data);
      f.kinds = (guint32 *) ids->data;
      f.n_kinds = ids->len;
      reload_node_request (node, &d, RELOAD_FIND_REQ, &f, request_done, op, now);
      reload_peer_shell_poke (self->shell);
      return;
    }

  /* Fetch and Stat: everything of the kind (§7.4.2.1) */
  ReloadStoredDataSpecifier spec = { 0 };
  ReloadArrayRange all = { 0, RELOAD_ARRAY_INDEX_LAST };
  spec.kind = def->id;
  if (def->model == RELOAD_DATA_MODEL_ARRAY)
    {
      spec.indices = &all;
      spec.n_indices = 1;
    }
  ReloadFetchReq f = { 0 };
  f.resource = d.resource_id;
  f.specifiers = &spec;
  f.n_specifiers = 1;
  reload_node_request (node, &d, op->kind == OP_FETCH ? RELOAD_FETCH_REQ : RELOAD_STAT_REQ, &f,
                       request_done, op, now);
  reload_peer_shell_poke (self->shell);
}

static gboolean
stop_done (gpointer data)
{
  Op *op = data;
  g_main_loop_quit (op->peer->loop);
  g_task_return_boolean (op->task, TRUE);
  op_free (op);
  return G_SOURCE_REMOVE;
}

static gboolean
signed_out (gpointer data)
{
  Op *op = data;
  reload_peer_shell_leave (op->peer->shell, STOP_TIMEOUT_MS, stop_done, op);
  return G_SOURCE_REMOVE;
}

/* §9: a discovery round ended */
static void
turn_servers_found (gpointer user_data, const ReloadTurnServerInfo *servers, guint n_servers)
{
  Op *op = user_data;
  op_return_json (op, chorus_peer_turn_servers_json (op->peer->shell, servers, n_servers));
}

static void
op_run_in_thread (Op *op)
{
  ChorusPeer *self = op->peer;
  if (self->shell == NULL)
    {
      op_return_error (op, g_error_new (CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_NOT_RUNNING,
                                        "the peer is not running"));
      return;
    }
  switch (op->kind)
    {
    case OP_STOP:
      /* RFC 7904: the registration goes first, while the node can still
       * reach the overlay; then §10.9 */
      if (self->phone != NULL)
        chorus_phone_sign_out (self->phone, STOP_TIMEOUT_MS, signed_out, op);
      else if (self->adapter != NULL)
        chorus_sip_adapter_stop (self->adapter, STOP_TIMEOUT_MS, signed_out, op);
      else
        reload_peer_shell_leave (self->shell, STOP_TIMEOUT_MS, stop_done, op);
      return;
    case OP_STATUS:
      op_return_json (op, chorus_peer_status_json (self->shell,
                                                   self->config ? self->config->sequence : 0,
                                                   &self->node_template));
      return;
    case OP_TURN_SERVERS:
      reload_peer_shell_turn_discover (self->shell, turn_servers_found, op);
      return;
    case OP_CONFIG_UPDATE:
      {
        guint16 code, previous = self->config ? self->config->sequence : 0;
        GError *error = NULL;
        if (!take_configuration (self, op->document, "ctl config-update", &code, &error))
          {
            op_return_error (op, error);
            return;
          }
        g_autoptr (JsonBuilder) b = json_builder_new ();
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "configuration_sequence");
        json_builder_add_int_value (b, self->config->sequence);
        json_builder_set_member_name (b, "previous_sequence");
        json_builder_add_int_value (b, previous);
        json_builder_end_object (b);
        op_return_json (op, json_builder_get_root (b));
      }
      return;
    default:
      run_request (self, op);
      return;
    }
}

/* -- the phone's operations (chorus-peer-phone.c) -- */

typedef struct
{
  ChorusPeer *peer;
  GTask *task;
  ChorusPeerThreadFunc func;
} ThreadCall;

static gboolean
thread_call_run (gpointer data)
{
  ThreadCall *tc = data;
  ChorusPeer *self = tc->peer;
  if (self->shell == NULL)
    g_task_return_new_error (tc->task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_NOT_RUNNING,
                             "the peer is not running");
  else
    tc->func (self, self->shell, self->phone, self->adapter, tc->task);
  g_object_unref (tc->task);
  g_free (tc);
  return G_SOURCE_REMOVE;
}

void
chorus_peer_run_in_thread (ChorusPeer *self, GTask *task, ChorusPeerThreadFunc func)
{
  if (self->context == NULL || self->thread == NULL)
    {
      g_task_return_new_error (task, CHORUS_PEER_ERROR, CHORUS_PEER_ERROR_NOT_RUNNING,
                               "the peer is not running");
      return;
    }
  ThreadCall *tc = g_new0 (ThreadCall, 1);
  tc->peer = self;
  tc->task = g_object_ref (task);
  tc->func = func;
  g_main_context_invoke (self->context, thread_call_run, tc);
}

ChorusPeerPhoneSettings *
chorus_peer_get_phone_settings (ChorusPeer *self)
{
  return &self->phone_settings;
}

const ReloadCredentials *
chorus_peer_get_credentials (ChorusPeer *self)
{
  return self->creds;
}

const char *
chorus_peer_get_profile_dir (ChorusPeer *self)
{
  return self->profile_dir;
}

/* ---------------------------------------------------------------- public API */

void
chorus_peer_stop_async (ChorusPeer *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self));
  Op *op;
  op_submit (self, OP_STOP, chorus_peer_stop_async, cancellable, callback, user_data, &op);
  op_go (self, op);
}

gboolean
chorus_peer_stop_finish (ChorusPeer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);
  if (ok && self->thread != NULL)
    {
      g_thread_join (self->thread);
      self->thread = NULL;
    }
  return ok;
}

void
chorus_peer_get_status_async (ChorusPeer *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self));
  Op *op;
  op_submit (self, OP_STATUS, chorus_peer_get_status_async, cancellable, callback, user_data, &op);
  op_go (self, op);
}

JsonNode *
chorus_peer_get_status_finish (ChorusPeer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
submit_request (ChorusPeer *self, OpKind kind, const char *kind_name, const char *name,
                const char *value, GCancellable *cancellable, GAsyncReadyCallback callback,
                gpointer user_data)
{
  Op *op;
  op_submit (self, kind, chorus_peer_request_finish, cancellable, callback, user_data, &op);
  op->kind_name = g_strdup (kind_name);
  op->name = g_strdup (name);
  op->value = g_strdup (value);
  op_go (self, op);
}

void
chorus_peer_store_async (ChorusPeer *self, const char *kind, const char *resource_name,
                         const char *value, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && kind && resource_name && value);
  submit_request (self, OP_STORE, kind, resource_name, value, cancellable, callback, user_data);
}

void
chorus_peer_fetch_async (ChorusPeer *self, const char *kind, const char *resource_name,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && kind && resource_name);
  submit_request (self, OP_FETCH, kind, resource_name, NULL, cancellable, callback, user_data);
}

void
chorus_peer_stat_async (ChorusPeer *self, const char *kind, const char *resource_name,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && kind && resource_name);
  submit_request (self, OP_STAT, kind, resource_name, NULL, cancellable, callback, user_data);
}

void
chorus_peer_find_async (ChorusPeer *self, const char *kind, const char *resource_name,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && resource_name);
  submit_request (self, OP_FIND, kind, resource_name, NULL, cancellable, callback, user_data);
}

void
chorus_peer_ping_async (ChorusPeer *self, const char *target, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && target);
  submit_request (self, OP_PING, NULL, target, NULL, cancellable, callback, user_data);
}

void
chorus_peer_path_track_async (ChorusPeer *self, const char *target, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && target);
  submit_request (self, OP_PATH_TRACK, NULL, target, NULL, cancellable, callback, user_data);
}

JsonNode *
chorus_peer_request_finish (ChorusPeer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
chorus_peer_update_configuration_async (ChorusPeer *self, GBytes *document,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && document != NULL);
  Op *op;
  op_submit (self, OP_CONFIG_UPDATE, chorus_peer_update_configuration_async, cancellable, callback,
             user_data, &op);
  op->document = g_bytes_ref (document);
  op_go (self, op);
}

JsonNode *
chorus_peer_update_configuration_finish (ChorusPeer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
chorus_peer_set_turn_server (ChorusPeer *self, const char *address, GError **error)
{
  g_return_val_if_fail (CHORUS_IS_PEER (self) && self->thread == NULL, FALSE);
  ReloadIpAddressPort server;
  if (!chorus_peer_turn_parse_server (address, &server, error))
    return FALSE;
  /* §9: "for each value, called d, between 1 and turn-density"; a
   * configuration's turn-density of 0 wants none */
  if (self->config != NULL && self->config->turn_density == 0)
    {
      g_message ("TURN server %s not advertised: the overlay's turn-density is 0 (§9)", address);
      return TRUE;
    }
  self->node_template.turn_advertise = TRUE;
  self->node_template.turn_server = server;
  return TRUE;
}

void
chorus_peer_set_turn_credential (ChorusPeer *self, const char *username, const char *password)
{
  g_return_if_fail (CHORUS_IS_PEER (self) && self->thread == NULL);
  g_free (self->turn_username);
  g_free (self->turn_password);
  self->turn_username = g_strdup (username);
  self->turn_password = username != NULL ? g_strdup (password ? password : "") : NULL;
}

void
chorus_peer_turn_servers_async (ChorusPeer *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (CHORUS_IS_PEER (self));
  Op *op;
  op_submit (self, OP_TURN_SERVERS, chorus_peer_request_finish, cancellable, callback, user_data,
             &op);
  op_go (self, op);
}
