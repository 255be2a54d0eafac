/* fuzz-message.c: libFuzzer target for the RELOAD message decoder.
 *
 * Every input is decoded as a message and as a framed message.  Whatever
 * decodes must encode back to the identical bytes, and its JSON must read
 * back to the identical bytes too: the codec's round-trip promise, checked
 * on hostile input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static ReloadDataModel
fuzz_kind_model (guint32 kind, gpointer user_data)
{
  /* a few configured kinds of each model, so typed paths are reached */
  switch (kind % 4)
    {
    case 1:
      return RELOAD_DATA_MODEL_SINGLE;
    case 2:
      return RELOAD_DATA_MODEL_ARRAY;
    case 3:
      return RELOAD_DATA_MODEL_DICTIONARY;
    default:
      return RELOAD_DATA_MODEL_UNKNOWN;
    }
}

static void
check_message (const uint8_t *data, size_t size, const RwOptions *options)
{
  g_autoptr (GBytes) in = g_bytes_new (data, size);
  g_autoptr (ReloadMessage) m = reload_message_decode (in, options, NULL);
  if (m == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = reload_message_encode (m, options, &error);
  if (out == NULL || !g_bytes_equal (in, out))
    {
      fprintf (stderr, "re-encode differs: %s\n", error ? error->message : "bytes differ");
      abort ();
    }
  g_autoptr (JsonNode) json = reload_message_to_json (m, options, &error);
  if (json == NULL)
    abort ();
  g_autofree char *text = json_to_string (json, FALSE);
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    abort ();
  g_autoptr (ReloadMessage) j =
      reload_message_from_json (json_parser_get_root (parser), options, &error);
  if (j == NULL)
    {
      fprintf (stderr, "JSON does not read back: %s\n%s\n", error->message, text);
      abort ();
    }
  g_autoptr (GBytes) again = reload_message_encode (j, options, &error);
  if (again == NULL || !g_bytes_equal (in, again))
    {
      fprintf (stderr, "JSON round trip differs: %s\n", error ? error->message : "bytes differ");
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RwOptions options = { .node_id_length = 16, .kind_model = fuzz_kind_model };
  check_message (data, size, &options);

  g_autoptr (RwArena) arena = rw_arena_new (4096 + 64 * size);
  ReloadFrame frame;
  if (reload_frame_decode (data, size, arena, &frame, NULL) && frame.type == RELOAD_FRAME_DATA)
    check_message (frame.message.data, frame.message.len, &options);
  return 0;
}
