/* wire-bench.c: how fast the codec decodes and encodes, over the sample
 * messages (every method, request and answer, and every error).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "wire-bench.h"

#include "wire-samples.h"

typedef struct
{
  const char *name;
  guint64 messages;
  guint64 bytes;
  double seconds;
} BenchResult;

typedef gboolean (*BenchStep) (GBytes *msg, RwArena *arena, const RwOptions *options);

static gboolean
step_forward (GBytes *msg, RwArena *arena, const RwOptions *options)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  ReloadForwardingHeader h;
  rw_arena_reset (arena);
  return reload_forwarding_header_decode (data, len, options, arena, &h, NULL) > 0;
}

static gboolean
step_decode (GBytes *msg, RwArena *arena, const RwOptions *options)
{
  ReloadMessage *m = reload_message_decode (msg, options, NULL);
  gboolean ok = m != NULL;
  reload_message_free (m);
  return ok;
}

typedef struct
{
  GPtrArray *decoded;
  guint next;
} EncodeState;

static EncodeState encode_state;

static gboolean
step_encode (GBytes *msg, RwArena *arena, const RwOptions *options)
{
  /* encode the pre-decoded message that matches @msg's position */
  ReloadMessage *m = g_ptr_array_index (encode_state.decoded, encode_state.next);
  encode_state.next = (encode_state.next + 1) % encode_state.decoded->len;
  static GByteArray *out;
  if (out == NULL)
    out = g_byte_array_sized_new (65536);
  g_byte_array_set_size (out, 0);
  return reload_message_encode_to (m, options, out, NULL);
}

static BenchResult
measure (const char *name, BenchStep step, GPtrArray *msgs, double seconds,
         const RwOptions *options)
{
  BenchResult r = { name, 0, 0, 0 };
  g_autoptr (RwArena) arena = rw_arena_new (0);
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) (seconds * G_USEC_PER_SEC);
  encode_state.next = 0;
  for (;;)
    {
      /* one pass over every sample per check of the clock */
      for (guint i = 0; i < msgs->len; i++)
        {
          GBytes *m = g_ptr_array_index (msgs, i);
          if (!step (m, arena, options))
            g_error ("bench %s: sample %u failed", name, i);
          r.messages++;
          r.bytes += g_bytes_get_size (m);
        }
      gint64 now = g_get_monotonic_time ();
      if (now >= deadline)
        {
          r.seconds = (double) (now - start) / G_USEC_PER_SEC;
          break;
        }
    }
  return r;
}

int
wire_bench_run (double seconds, gboolean json, const RwOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) msgs = wire_samples_messages (options, &error);
  if (msgs == NULL)
    {
      g_printerr ("chorus-wire: %s\n", error->message);
      return 1;
    }
  encode_state.decoded = g_ptr_array_new_with_free_func ((GDestroyNotify) reload_message_free);
  for (guint i = 0; i < msgs->len; i++)
    g_ptr_array_add (encode_state.decoded,
                     reload_message_decode (g_ptr_array_index (msgs, i), options, NULL));

  BenchResult results[] = {
    measure ("forwarding_header_parse", step_forward, msgs, seconds, options),
    measure ("full_decode", step_decode, msgs, seconds, options),
    measure ("full_encode", step_encode, msgs, seconds, options),
  };
  g_ptr_array_unref (encode_state.decoded);

  guint64 total = 0;
  for (guint i = 0; i < msgs->len; i++)
    total += g_bytes_get_size (g_ptr_array_index (msgs, i));
  if (json)
    g_print ("{\"samples\": %u, \"mean_message_bytes\": %.1f, \"results\": [", msgs->len,
             (double) total / msgs->len);
  else
    g_print ("%u sample messages, %.1f bytes on average, one core\n", msgs->len,
             (double) total / msgs->len);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      BenchResult *r = &results[i];
      double mps = r->messages / r->seconds;
      double mbps = r->bytes / r->seconds / 1e6;
      if (json)
        g_print (
            "%s{\"name\": \"%s\", \"messages_per_second\": %.0f, \"megabytes_per_second\": %.1f}",
            i ? ", " : "", r->name, mps, mbps);
      else
        g_print ("%-26s %12.0f messages/s %9.1f MB/s\n", r->name, mps, mbps);
    }
  if (json)
    g_print ("]}\n");
  return 0;
}
