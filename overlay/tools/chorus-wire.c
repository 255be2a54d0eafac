/* chorus-wire: the RELOAD codec as a command-line tool.
 *
 *   chorus-wire decode [--framed]      message bytes on stdin -> JSON on stdout
 *   chorus-wire encode [--framed]      JSON on stdin -> message bytes on stdout
 *   chorus-wire samples --pcap FILE    a capture holding an example of every message
 *   chorus-wire bench [--seconds S] [--json]
 *
 * Common options: --node-id-length N (16..20), --kind ID:MODEL (a kind
 * defined by the overlay's configuration; MODEL is single, array or
 * dictionary), --max-message-size N.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-wire.h"
#include "wire-samples.h"
#include "wire-bench.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  GHashTable *kinds; /* kind id -> ReloadDataModel */
  RwOptions options;
} ToolContext;

static ReloadDataModel
configured_kind_model (guint32 kind_id, gpointer user_data)
{
  ToolContext *t = user_data;
  return GPOINTER_TO_UINT (g_hash_table_lookup (t->kinds, GUINT_TO_POINTER (kind_id)));
}

static gboolean
parse_kind (ToolContext *t, const char *spec, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (spec, ":", 2);
  guint64 id;
  if (g_strv_length (parts) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &id, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--kind %s: expected ID:MODEL, for example 4000:array", spec);
      return FALSE;
    }
  ReloadDataModel model;
  if (g_ascii_strcasecmp (parts[1], "single") == 0)
    model = RELOAD_DATA_MODEL_SINGLE;
  else if (g_ascii_strcasecmp (parts[1], "array") == 0)
    model = RELOAD_DATA_MODEL_ARRAY;
  else if (g_ascii_strcasecmp (parts[1], "dictionary") == 0)
    model = RELOAD_DATA_MODEL_DICTIONARY;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--kind %s: the model is single, array or dictionary", spec);
      return FALSE;
    }
  g_hash_table_insert (t->kinds, GUINT_TO_POINTER ((guint) id), GUINT_TO_POINTER (model));
  return TRUE;
}

static GBytes *
read_stdin (GError **error)
{
  g_autoptr (GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (mem, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static gboolean
write_stdout (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  return g_output_stream_write_all (out, data, len, NULL, NULL, error)
         && g_output_stream_flush (out, NULL, error);
}

/* ---------------------------------------------------------------- decode */

static JsonNode *
decode_to_json (ToolContext *t, GBytes *input, gboolean framed, GError **error)
{
  if (!framed)
    {
      g_autoptr (ReloadMessage) m = reload_message_decode (input, &t->options, error);
      if (m == NULL)
        return NULL;
      return reload_message_to_json (m, &t->options, error);
    }

  gsize len;
  const guint8 *data = g_bytes_get_data (input, &len);
  g_autoptr (RwArena) arena = rw_arena_new (4096 + 8 * len);
  ReloadFrame frame;
  if (!reload_frame_decode (data, len, arena, &frame, error))
    return NULL;
  g_autoptr (JsonNode) node = reload_frame_to_json (&frame, error);
  if (node == NULL)
    return NULL;
  if (frame.type == RELOAD_FRAME_DATA)
    {
      /* The framed message is shown decoded, not as hex. */
      g_autoptr (GBytes) inner =
          g_bytes_new_from_bytes (input, (gsize) (frame.message.data - data), frame.message.len);
      g_autoptr (GError) inner_error = NULL;
      g_autoptr (ReloadMessage) m = reload_message_decode (inner, &t->options, &inner_error);
      if (m == NULL)
        {
          /* Offsets in the message's error are relative to the message;
           * the frame header before it is 8 bytes (§6.6.2). */
          g_set_error (error, RELOAD_WIRE_ERROR, inner_error->code,
                       "message (after the %" G_GSIZE_FORMAT "-byte frame header): %s",
                       (gsize) (frame.message.data - data), inner_error->message);
          return NULL;
        }
      JsonNode *json = reload_message_to_json (m, &t->options, error);
      if (json == NULL)
        return NULL;
      json_object_set_member (json_node_get_object (node), "message", json);
    }
  return g_steal_pointer (&node);
}

static int
cmd_decode (ToolContext *t, gboolean framed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) input = read_stdin (&error);
  g_autoptr (JsonNode) json = input ? decode_to_json (t, input, framed, &error) : NULL;
  if (json == NULL)
    {
      g_printerr ("chorus-wire: %s\n", error->message);
      return 1;
    }
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, json);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
  return 0;
}

/* ---------------------------------------------------------------- encode */

static GBytes *
encode_from_json (ToolContext *t, JsonNode *root, gboolean framed, GError **error)
{
  if (!framed)
    {
      g_autoptr (ReloadMessage) m = reload_message_from_json (root, &t->options, error);
      if (m == NULL)
        return NULL;
      return reload_message_encode (m, &t->options, error);
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_JSON, "expected a frame object");
      return NULL;
    }
  /* A data frame's message may be given decoded (an object) or as hex. */
  g_autoptr (JsonNode) copy = json_node_copy (root);
  JsonObject *o = json_node_get_object (copy);
  JsonNode *msg = json_object_get_member (o, "message");
  if (msg != NULL && JSON_NODE_HOLDS_OBJECT (msg))
    {
      g_autoptr (ReloadMessage) m = reload_message_from_json (msg, &t->options, error);
      if (m == NULL)
        return NULL;
      g_autoptr (GBytes) bytes = reload_message_encode (m, &t->options, error);
      if (bytes == NULL)
        return NULL;
      gsize n;
      const guint8 *d = g_bytes_get_data (bytes, &n);
      GString *hex = g_string_sized_new (2 * n);
      for (gsize i = 0; i < n; i++)
        g_string_append_printf (hex, "%02x", d[i]);
      json_object_set_string_member (o, "message", hex->str);
      g_string_free (hex, TRUE);
    }
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadFrame frame;
  if (!reload_frame_from_json (copy, arena, &frame, error))
    return NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  if (!reload_frame_encode (&frame, out, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static int
cmd_encode (ToolContext *t, gboolean framed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) input = read_stdin (&error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GBytes) out = NULL;
  if (input != NULL
      && json_parser_load_from_data (parser, g_bytes_get_data (input, NULL),
                                     (gssize) g_bytes_get_size (input), &error))
    out = encode_from_json (t, json_parser_get_root (parser), framed, &error);
  if (out == NULL)
    {
      g_printerr ("chorus-wire: %s\n", error->message);
      return 1;
    }
  if (!write_stdout (g_bytes_get_data (out, NULL), g_bytes_get_size (out), &error))
    {
      g_printerr ("chorus-wire: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* ---------------------------------------------------------------- main */

static void
usage (void)
{
  g_printerr ("usage: chorus-wire decode [--framed] [OPTIONS] < message > json\n"
              "       chorus-wire encode [--framed] [OPTIONS] < json > message\n"
              "       chorus-wire samples --pcap FILE [--json-dir DIR]\n"
              "       chorus-wire bench [--seconds S] [--json]\n"
              "options: --node-id-length N  --kind ID:MODEL  --max-message-size N\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      usage ();
      return 2;
    }
  const char *command = argv[1];

  gboolean framed = FALSE, json_out = FALSE;
  gint node_id_length = 16;
  gint64 max_message_size = 0;
  g_auto (GStrv) kinds = NULL;
  g_autofree char *pcap = NULL;
  g_autofree char *json_dir = NULL;
  double seconds = 2.0;
  GOptionEntry entries[] = {
    { "framed", 0, 0, G_OPTION_ARG_NONE, &framed, "Input/output is one framed message (§6.6.2)",
      NULL },
    { "node-id-length", 0, 0, G_OPTION_ARG_INT, &node_id_length, "Node-ID length in bytes (16..20)",
      "N" },
    { "kind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &kinds, "A configured kind and its data model",
      "ID:MODEL" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT64, &max_message_size, "Refuse larger messages",
      "N" },
    { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap, "samples: the capture file to write", "FILE" },
    { "json-dir", 0, 0, G_OPTION_ARG_FILENAME, &json_dir,
      "samples: also write each message as JSON", "DIR" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "bench: seconds per measurement", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json_out, "bench: print JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("decode|encode|samples|bench");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("chorus-wire: %s\n", error->message);
      return 2;
    }

  ToolContext t = { 0 };
  t.kinds = g_hash_table_new (NULL, NULL);
  t.options.node_id_length = (guint) node_id_length;
  t.options.kind_model = configured_kind_model;
  t.options.kind_model_data = &t;
  t.options.max_message_size = (gsize) MAX (max_message_size, 0);
  if (node_id_length < 16 || node_id_length > 20)
    {
      g_printerr ("chorus-wire: --node-id-length must be 16 to 20 (RFC 6940 §11.1)\n");
      return 2;
    }
  for (guint i = 0; kinds != NULL && kinds[i] != NULL; i++)
    if (!parse_kind (&t, kinds[i], &error))
      {
        g_printerr ("chorus-wire: %s\n", error->message);
        return 2;
      }

  int status;
  if (g_str_equal (command, "decode"))
    status = cmd_decode (&t, framed);
  else if (g_str_equal (command, "encode"))
    status = cmd_encode (&t, framed);
  else if (g_str_equal (command, "samples"))
    {
      if (pcap == NULL)
        {
          g_printerr ("chorus-wire: samples needs --pcap FILE\n");
          status = 2;
        }
      else if (!wire_samples_write_pcap (pcap, json_dir, &t.options, &error))
        {
          g_printerr ("chorus-wire: %s\n", error->message);
          status = 1;
        }
      else
        status = 0;
    }
  else if (g_str_equal (command, "bench"))
    status = wire_bench_run (seconds, json_out, &t.options);
  else
    {
      usage ();
      status = 2;
    }
  g_hash_table_unref (t.kinds);
  return status;
}
