/* peer-control.c: the control socket of `chorus-peer run` (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chorus-peer"

#include "peer-control.h"

#include "reload-config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

struct _PeerControl
{
  ChorusPeer *peer;
  GSocketService *service;
  char *path;
  GList *clients; /* Client*, detached when the control goes first */
};

typedef struct
{
  PeerControl *control; /* NULL once the control is freed */
  GSocketConnection *connection;
  GByteArray *line;
  guint8 buf[4096];
  char *command;
} Client;

static void
client_free (Client *c)
{
  if (c->control != NULL)
    c->control->clients = g_list_remove (c->control->clients, c);
  g_clear_object (&c->connection);
  g_byte_array_unref (c->line);
  g_free (c->command);
  g_free (c);
}

static void
reply_written (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
  g_free (g_object_get_data (source, "reply"));
  g_object_set_data (source, "reply", NULL);
  client_free (c);
}

static void
reply (Client *c, JsonNode *answer)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, answer);
  gsize len;
  char *text = json_generator_to_data (gen, &len);
  char *line = g_strconcat (text, "\n", NULL);
  g_free (text);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c->connection));
  g_object_set_data (G_OBJECT (out), "reply", line);
  g_output_stream_write_all_async (out, line, strlen (line), G_PRIORITY_DEFAULT, NULL,
                                   reply_written, c);
}

static const char *
error_name (const GError *error)
{
  if (error->domain != CHORUS_PEER_ERROR)
    return "failed";
  switch ((ChorusPeerError) error->code)
    {
    case CHORUS_PEER_ERROR_RESPONSE:
      return error->message; /* the RFC's name (§14.9) */
    case CHORUS_PEER_ERROR_TIMEOUT:
      return "Error_Request_Timeout";
    case CHORUS_PEER_ERROR_INVALID:
      return "invalid_argument";
    case CHORUS_PEER_ERROR_NO_ROUTE:
      return "no_route";
    case CHORUS_PEER_ERROR_NOT_RUNNING:
      return "not_running";
    case CHORUS_PEER_ERROR_FAILED:
    default:
      return "failed";
    }
}

static void
reply_error (Client *c, const char *name, const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply (c, root);
}

static void
reply_result (Client *c, JsonNode *result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "result");
  json_builder_add_value (b, result);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply (c, root);
}

static void
request_answered (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;
  g_autoptr (GError) error = NULL;
  JsonNode *node;
  if (g_task_get_source_tag (G_TASK (result)) == chorus_peer_get_status_async)
    {
      node = chorus_peer_get_status_finish (CHORUS_PEER (source), result, &error);
      /* the peers of the profile's bootstrap cache (§11.4) */
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        json_object_set_int_member (json_node_get_object (node), "bootstrap_cache",
                                    chorus_peer_get_bootstrap_cache_size (CHORUS_PEER (source)));
    }
  else if (g_task_get_source_tag (G_TASK (result)) == chorus_peer_update_configuration_async)
    node = chorus_peer_update_configuration_finish (CHORUS_PEER (source), result, &error);
  else
    node = chorus_peer_request_finish (CHORUS_PEER (source), result, &error);
  if (node == NULL)
    {
      g_debug ("control: %s failed: %s", c->command, error->message);
      /* a refused configuration says "Error_Name: why" */
      const char *colon =
          error->domain == CHORUS_PEER_ERROR && error->code == CHORUS_PEER_ERROR_RESPONSE
              ? strstr (error->message, ": ")
              : NULL;
      g_autofree char *name = colon ? g_strndup (error->message, (gsize) (colon - error->message))
                                    : g_strdup (error_name (error));
      reply_error (c, name, colon ? colon + 2 : error->message);
      return;
    }
  reply_result (c, node); /* takes the node */
}

/* config-update FILE: a configuration document (§11.1) for the peer
 * (§6.5.4), read here; FILE is absolute (the client makes it so). */
static void
config_update (Client *c, const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) mapped = g_mapped_file_new (file, FALSE, &error);
  if (mapped == NULL)
    {
      reply_error (c, "invalid_argument", error->message);
      return;
    }
  if (g_mapped_file_get_length (mapped) > RELOAD_CONFIG_MAX_DOCUMENT_SIZE)
    {
      reply_error (c, "invalid_argument", "the file is larger than a configuration document");
      return;
    }
  /* a copy: the file may change under a mapping */
  g_autoptr (GBytes) document =
      g_bytes_new (g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped));
  chorus_peer_update_configuration_async (c->control->peer, document, NULL, request_answered, c);
}

/* A call id as ctl gives it; 0 (no call) for anything else. */
static guint
call_id (const char *text)
{
  char *end = NULL;
  guint64 v = g_ascii_strtoull (text, &end, 10);
  return end != text && *end == '\0' && v <= G_MAXUINT ? (guint) v : 0;
}

static void
handle_request (Client *c, const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (parser, text, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      reply_error (c, "invalid_argument", "the request is not a JSON object");
      return;
    }
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  const char *command = json_object_get_string_member_with_default (o, "command", "");
  c->command = g_strdup (command);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  if (json_object_has_member (o, "args"))
    {
      JsonNode *an = json_object_get_member (o, "args");
      if (!JSON_NODE_HOLDS_ARRAY (an))
        {
          reply_error (c, "invalid_argument", "args is not a list");
          return;
        }
      JsonArray *a = json_node_get_array (an);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (json_node_get_value_type (e) != G_TYPE_STRING)
            {
              reply_error (c, "invalid_argument", "every argument is a string");
              return;
            }
          g_ptr_array_add (args, g_strdup (json_node_get_string (e)));
        }
    }
  char **v = (char **) args->pdata;
  guint n = args->len;
  ChorusPeer *peer = c->control->peer;
  if (g_str_equal (command, "status") && n == 0)
    chorus_peer_get_status_async (peer, NULL, request_answered, c);
  else if (g_str_equal (command, "store") && n == 3)
    chorus_peer_store_async (peer, v[0], v[1], v[2], NULL, request_answered, c);
  else if (g_str_equal (command, "fetch") && n == 2)
    chorus_peer_fetch_async (peer, v[0], v[1], NULL, request_answered, c);
  else if (g_str_equal (command, "stat") && n == 2)
    chorus_peer_stat_async (peer, v[0], v[1], NULL, request_answered, c);
  else if (g_str_equal (command, "find") && (n == 1 || n == 2))
    chorus_peer_find_async (peer, n == 2 ? v[0] : NULL, v[n - 1], NULL, request_answered, c);
  else if (g_str_equal (command, "ping") && n == 1)
    chorus_peer_ping_async (peer, v[0], NULL, request_answered, c);
  else if (g_str_equal (command, "path-track") && n == 1)
    chorus_peer_path_track_async (peer, v[0], NULL, request_answered, c);
  else if (g_str_equal (command, "config-update") && n == 1)
    config_update (c, v[0]);
  else if (g_str_equal (command, "turn-servers") && n == 0)
    chorus_peer_turn_servers_async (peer, NULL, request_answered, c);
  else if (g_str_equal (command, "call") && (n == 1 || n == 2))
    chorus_peer_call_async (peer, v[0], n == 2 ? (guint) g_ascii_strtoull (v[1], NULL, 10) : 0,
                            NULL, request_answered, c);
  else if (g_str_equal (command, "calls") && n == 0)
    chorus_peer_calls_async (peer, NULL, request_answered, c);
  else if (g_str_equal (command, "dtmf") && n == 2)
    chorus_peer_send_dtmf_async (peer, call_id (v[0]), v[1], NULL, request_answered, c);
  else if (g_str_equal (command, "message") && n == 2)
    chorus_peer_send_message_async (peer, v[0], v[1], NULL, request_answered, c);
  else if (g_str_equal (command, "messages") && n == 0)
    chorus_peer_messages_async (peer, NULL, request_answered, c);
  else if (g_str_equal (command, "adapter") && n == 0)
    chorus_peer_adapter_status_async (peer, NULL, request_answered, c);
  else if (g_str_equal (command, "hangup") && n <= 1)
    chorus_peer_call_action_async (peer, command, n == 1 ? call_id (v[0]) : 0, NULL,
                                   request_answered, c);
  else if ((g_str_equal (command, "answer") || g_str_equal (command, "decline")
            || g_str_equal (command, "hold") || g_str_equal (command, "resume")
            || g_str_equal (command, "mute") || g_str_equal (command, "unmute"))
           && n == 1)
    chorus_peer_call_action_async (peer, command, call_id (v[0]), NULL, request_answered, c);
  else
    {
      g_autofree char *msg = g_strdup_printf (
          "unknown command or wrong arguments: %s with %u arguments (status; store KIND NAME "
          "VALUE; fetch KIND NAME; stat KIND NAME; find [KIND] NAME; ping NODE; path-track NODE; "
          "config-update FILE; turn-servers; call AOR [SECONDS]; calls; hangup [ID]; answer ID; "
          "decline ID; hold ID; resume ID; mute ID; unmute ID; dtmf ID DIGITS; message AOR TEXT; messages; adapter)",
          command, n);
      reply_error (c, "invalid_argument", msg);
    }
}

static void read_more (Client *c);

static void
read_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n <= 0 || c->control == NULL)
    {
      client_free (c);
      return;
    }
  g_byte_array_append (c->line, c->buf, (guint) n);
  guint8 *nl = memchr (c->line->data, '\n', c->line->len);
  if (nl == NULL)
    {
      if (c->line->len > PEER_CONTROL_MAX_LINE)
        {
          reply_error (c, "invalid_argument", "request too long");
          return;
        }
      read_more (c);
      return;
    }
  *nl = '\0';
  handle_request (c, (const char *) c->line->data);
}

static void
read_more (Client *c)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c->connection));
  g_input_stream_read_async (in, c->buf, sizeof c->buf, G_PRIORITY_DEFAULT, NULL, read_done, c);
}

static gboolean
incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  PeerControl *control = data;
  Client *c = g_new0 (Client, 1);
  c->control = control;
  c->connection = g_object_ref (connection);
  c->line = g_byte_array_new ();
  control->clients = g_list_prepend (control->clients, c);
  read_more (c);
  return TRUE;
}

PeerControl *
peer_control_new (ChorusPeer *peer, const char *socket_path, GError **error)
{
  PeerControl *control = g_new0 (PeerControl, 1);
  control->peer = g_object_ref (peer);
  control->path = g_strdup (socket_path);
  control->service = g_socket_service_new ();
  g_unlink (socket_path); /* a stale socket of an earlier run */
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (socket_path);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (control->service), addr,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
                                      error))
    {
      g_prefix_error (error, "control socket %s: ", socket_path);
      peer_control_free (control);
      return NULL;
    }
  g_signal_connect (control->service, "incoming", G_CALLBACK (incoming), control);
  g_socket_service_start (control->service);
  return control;
}

void
peer_control_free (PeerControl *control)
{
  if (control == NULL)
    return;
  for (GList *i = control->clients; i; i = i->next)
    ((Client *) i->data)->control = NULL;
  g_list_free (control->clients);
  g_socket_service_stop (control->service);
  g_socket_listener_close (G_SOCKET_LISTENER (control->service));
  g_clear_object (&control->service);
  g_unlink (control->path);
  g_free (control->path);
  g_clear_object (&control->peer);
  g_free (control);
}

JsonNode *
peer_control_call (const char *socket_path, const char *command, const char *const *args,
                   GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (socket_path);
  g_autoptr (GSocketConnection) conn =
      g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, error);
  if (conn == NULL)
    {
      g_prefix_error (error, "is the peer running? %s: ", socket_path);
      return NULL;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "command");
  json_builder_add_string_value (b, command);
  json_builder_set_member_name (b, "args");
  json_builder_begin_array (b);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      /* config-update FILE: the peer reads the file, from its own
       * working directory */
      g_autofree char *abs = g_str_equal (command, "config-update") && i == 0
                                 ? g_canonicalize_filename (args[i], NULL)
                                 : NULL;
      json_builder_add_string_value (b, abs ? abs : args[i]);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  if (!g_output_stream_write_all (out, line, strlen (line), NULL, NULL, error))
    return NULL;
  g_autoptr (GDataInputStream) in =
      g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  g_autofree char *answer = g_data_input_stream_read_line_utf8 (in, NULL, NULL, error);
  if (answer == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "the peer closed the control socket");
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, answer, -1, error))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}
