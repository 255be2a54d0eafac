/* rw-codec.c: the engine behind every RELOAD structure's visit function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec.h"

#include <stdarg.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-wire-error-quark, reload_wire_error)
/* clang-format on */

/* RELOAD structures nest a dozen levels at most (a StoredData inside a
 * StoreKindData inside a StoreReq inside MessageContents...): a deeper
 * nesting can only come from a bug, never from input, since every level is
 * a visit function and not a recursion driven by the data. */
#define RW_MAX_DEPTH 48

/* ---------------------------------------------------------------- arena */

typedef struct RwChunk
{
  struct RwChunk *next;
  gsize size;
  gsize used;
  guint8 data[];
} RwChunk;

struct RwArena
{
  RwChunk *chunks;
  gsize limit;
  gsize total;
};

RwArena *
rw_arena_new (gsize limit)
{
  RwArena *a = g_new0 (RwArena, 1);
  a->limit = limit;
  return a;
}

void
rw_arena_free (RwArena *arena)
{
  if (arena == NULL)
    return;
  RwChunk *ch = arena->chunks;
  while (ch != NULL)
    {
      RwChunk *next = ch->next;
      g_free (ch);
      ch = next;
    }
  g_free (arena);
}

void
rw_arena_reset (RwArena *arena)
{
  /* keep the newest chunk for the next use, free the rest */
  RwChunk *keep = arena->chunks;
  if (keep == NULL)
    return;
  RwChunk *ch = keep->next;
  while (ch != NULL)
    {
      RwChunk *next = ch->next;
      g_free (ch);
      ch = next;
    }
  keep->next = NULL;
  keep->used = 0;
  arena->total = 0;
}

gsize
rw_arena_used (const RwArena *arena)
{
  return arena->total;
}

gpointer
rw_arena_alloc0 (RwArena *arena, gsize size)
{
  size = (size + 7) & ~(gsize) 7;
  if (size == 0)
    size = 8;
  if (arena->limit != 0 && (size > arena->limit || arena->total > arena->limit - size))
    return NULL;
  RwChunk *ch = arena->chunks;
  if (ch == NULL || ch->size - ch->used < size)
    {
      gsize chunk_size = MAX (size, 4096 - sizeof (RwChunk));
      ch = g_malloc (sizeof (RwChunk) + chunk_size);
      ch->size = chunk_size;
      ch->used = 0;
      ch->next = arena->chunks;
      arena->chunks = ch;
    }
  gpointer p = ch->data + ch->used;
  ch->used += size;
  arena->total += size;
  memset (p, 0, size);
  return p;
}

/* ---------------------------------------------------------------- codec */

typedef struct
{
  const char *name;
  gint index; /* list element index, or -1 */
} RwPathFrame;

struct RwCodec
{
  RwMode mode;
  RwOptions opts;
  GError *error;
  RwArena *arena;

  /* decode */
  const guint8 *data;
  gsize pos;
  gsize end;
  /* the field read last, so that a check made right after reading it
   * reports the offset where it starts */
  const char *last_name;
  gsize last_start;

  /* encode */
  GByteArray *out;

  /* JSON */
  JsonBuilder *builder;
  JsonNode *jstack[RW_MAX_DEPTH];
  guint jdepth;

  RwPathFrame path[RW_MAX_DEPTH];
  guint pdepth;
};

static RwCodec *
codec_new (RwMode mode, const RwOptions *options)
{
  RwCodec *c = g_new0 (RwCodec, 1);
  c->mode = mode;
  if (options != NULL)
    c->opts = *options;
  if (c->opts.node_id_length == 0)
    c->opts.node_id_length = 16;
  return c;
}

RwCodec *
rw_codec_new_decoder (const guint8 *data, gsize len, RwArena *arena, const RwOptions *options)
{
  RwCodec *c = codec_new (RW_DECODE, options);
  c->data = data;
  c->end = len;
  c->arena = arena;
  if (c->opts.node_id_length < 16 || c->opts.node_id_length > 20)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "node-id-length",
             "must be 16 to 20 bytes (§11.1), not %u", c->opts.node_id_length);
  return c;
}

RwCodec *
rw_codec_new_encoder (GByteArray *out, const RwOptions *options)
{
  RwCodec *c = codec_new (RW_ENCODE, options);
  c->out = out;
  return c;
}

RwCodec *
rw_codec_new_json_writer (JsonBuilder *builder, const RwOptions *options)
{
  RwCodec *c = codec_new (RW_TO_JSON, options);
  c->builder = builder;
  return c;
}

RwCodec *
rw_codec_new_json_reader (JsonNode *root, RwArena *arena, const RwOptions *options)
{
  RwCodec *c = codec_new (RW_FROM_JSON, options);
  c->arena = arena;
  c->jstack[0] = root;
  c->jdepth = 1;
  return c;
}

void
rw_codec_free (RwCodec *c)
{
  if (c == NULL)
    return;
  g_clear_error (&c->error);
  g_free (c);
}

gboolean
rw_codec_finish (RwCodec *c, GError **error)
{
  gboolean ok = c->error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&c->error));
  rw_codec_free (c);
  return ok;
}

RwMode
rw_mode (const RwCodec *c)
{
  return c->mode;
}

gboolean
rw_ok (const RwCodec *c)
{
  return c->error == NULL;
}

const RwOptions *
rw_options (const RwCodec *c)
{
  return &c->opts;
}

guint
rw_node_id_length (const RwCodec *c)
{
  return c->opts.node_id_length;
}

gsize
rw_offset (const RwCodec *c)
{
  return c->pos;
}

gsize
rw_remaining (const RwCodec *c)
{
  return c->end - c->pos;
}

/* ---------------------------------------------------------------- errors */

static void
path_push (RwCodec *c, const char *name, gint index)
{
  if (c->pdepth < RW_MAX_DEPTH)
    c->path[c->pdepth] = (RwPathFrame){ name, index };
  c->pdepth++;
}

static void
path_pop (RwCodec *c)
{
  g_assert (c->pdepth > 0);
  c->pdepth--;
}

static char *
path_string (RwCodec *c, const char *name)
{
  GString *s = g_string_new (NULL);
  guint depth = MIN (c->pdepth, RW_MAX_DEPTH);
  for (guint i = 0; i < depth; i++)
    {
      const RwPathFrame *f = &c->path[i];
      if (f->name != NULL)
        {
          if (s->len > 0)
            g_string_append_c (s, '.');
          g_string_append (s, f->name);
        }
      if (f->index >= 0)
        g_string_append_printf (s, "[%d]", f->index);
    }
  if (name != NULL)
    {
      if (s->len > 0)
        g_string_append_c (s, '.');
      g_string_append (s, name);
    }
  if (s->len == 0)
    g_string_append (s, "message");
  return g_string_free (s, FALSE);
}

void
rw_fail (RwCodec *c, ReloadWireError code, const char *name, const char *format, ...)
{
  if (c->error != NULL)
    return;
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *path = path_string (c, name);
  gsize at = c->pos;
  if (name != NULL && c->last_name != NULL && g_str_equal (name, c->last_name))
    at = c->last_start;
  if (c->mode == RW_DECODE)
    c->error = g_error_new (RELOAD_WIRE_ERROR, code, "%s at offset %" G_GSIZE_FORMAT ": %s", path,
                            at, msg);
  else if (c->mode == RW_FROM_JSON)
    c->error = g_error_new (RELOAD_WIRE_ERROR, code, "%s in JSON: %s", path, msg);
  else
    c->error = g_error_new (RELOAD_WIRE_ERROR, code, "%s: %s", path, msg);
}

gpointer
rw_alloc (RwCodec *c, gsize size)
{
  if (c->error != NULL)
    return NULL;
  gpointer p = rw_arena_alloc0 (c->arena, size);
  if (p == NULL)
    rw_fail (c, RELOAD_WIRE_ERROR_TOO_LARGE, NULL,
             "decoded structures would exceed the %" G_GSIZE_FORMAT " bytes allowed",
             c->arena->limit);
  return p;
}

/* ---------------------------------------------------------------- raw I/O */

static gboolean
need (RwCodec *c, const char *name, gsize n)
{
  if (c->error != NULL)
    return FALSE;
  c->last_name = name;
  c->last_start = c->pos;
  if (c->end - c->pos < n)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_TRUNCATED, name,
               "needs %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " remain", n, c->end - c->pos);
      return FALSE;
    }
  return TRUE;
}

static guint64
read_be (RwCodec *c, guint n)
{
  guint64 v = 0;
  for (guint i = 0; i < n; i++)
    v = (v << 8) | c->data[c->pos + i];
  c->pos += n;
  return v;
}

static void
write_be (GByteArray *out, guint64 v, guint n)
{
  guint8 buf[8];
  for (guint i = 0; i < n; i++)
    buf[i] = (guint8) (v >> (8 * (n - 1 - i)));
  g_byte_array_append (out, buf, n);
}

static void
patch_be (GByteArray *out, gsize at, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    out->data[at + i] = (guint8) (v >> (8 * (n - 1 - i)));
}

guint8
rw_peek_u8 (RwCodec *c, const char *name)
{
  if (c->mode != RW_DECODE || !need (c, name, 1))
    return 0;
  return c->data[c->pos];
}

/* ---------------------------------------------------------------- JSON */

JsonBuilder *
rw_json_builder (RwCodec *c)
{
  return c->builder;
}

static JsonNode *
json_top (RwCodec *c)
{
  return c->jdepth > 0 ? c->jstack[c->jdepth - 1] : NULL;
}

JsonNode *
rw_json_member (RwCodec *c, const char *name, gboolean required)
{
  if (c->error != NULL)
    return NULL;
  JsonNode *top = json_top (c);
  if (name == NULL)
    return top;
  if (top == NULL || !JSON_NODE_HOLDS_OBJECT (top))
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected an object around this member");
      return NULL;
    }
  JsonObject *o = json_node_get_object (top);
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL && required)
    rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "member is missing");
  return n;
}

gboolean
rw_json_has (RwCodec *c, const char *name)
{
  if (c->mode != RW_FROM_JSON)
    return TRUE;
  return rw_json_member (c, name, FALSE) != NULL;
}

static void
json_push (RwCodec *c, JsonNode *n)
{
  if (c->jdepth >= RW_MAX_DEPTH)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, NULL, "nested too deeply");
      return;
    }
  c->jstack[c->jdepth++] = n;
}

static void
json_pop (RwCodec *c)
{
  if (c->jdepth > 1)
    c->jdepth--;
}

static void
json_name (RwCodec *c, const char *name)
{
  if (name != NULL)
    json_builder_set_member_name (c->builder, name);
}

/* Reads an unsigned integer of at most @max from a JSON number or a
 * decimal string (u64 beyond 2^63 is written as a string). */
static gboolean
json_read_uint (RwCodec *c, const char *name, guint64 max, guint64 *out)
{
  JsonNode *n = rw_json_member (c, name, TRUE);
  if (n == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (n);
      if (v < 0 || (guint64) v > max)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "%" G_GINT64_FORMAT " is out of range", v);
          return FALSE;
        }
      *out = (guint64) v;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (json_node_get_string (n), 10, 0, max, &v, NULL))
        {
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "\"%s\" is not an integer in range",
                   json_node_get_string (n));
          return FALSE;
        }
      *out = v;
      return TRUE;
    }
  rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected an integer");
  return FALSE;
}

static void
json_write_uint (RwCodec *c, const char *name, guint64 v)
{
  json_name (c, name);
  if (v <= G_MAXINT64)
    json_builder_add_int_value (c->builder, (gint64) v);
  else
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
      json_builder_add_string_value (c->builder, buf);
    }
}

static char *
to_hex (const guint8 *data, gsize len)
{
  static const char digits[] = "0123456789abcdef";
  char *s = g_malloc (len * 2 + 1);
  for (gsize i = 0; i < len; i++)
    {
      s[2 * i] = digits[data[i] >> 4];
      s[2 * i + 1] = digits[data[i] & 15];
    }
  s[len * 2] = '\0';
  return s;
}

static gboolean
from_hex (RwCodec *c, const char *name, const char *hex, RwBytes *out)
{
  gsize n = strlen (hex);
  if (n % 2 != 0)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "hex string of odd length");
      return FALSE;
    }
  guint8 *buf = rw_alloc (c, n / 2 + 1);
  if (buf == NULL)
    return FALSE;
  for (gsize i = 0; i < n / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "not a hex string");
          return FALSE;
        }
      buf[i] = (guint8) (hi << 4 | lo);
    }
  out->data = buf;
  out->len = n / 2;
  return TRUE;
}

static gboolean
json_read_hex (RwCodec *c, const char *name, RwBytes *out)
{
  JsonNode *n = rw_json_member (c, name, TRUE);
  if (n == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected a hex string");
      return FALSE;
    }
  return from_hex (c, name, json_node_get_string (n), out);
}

static void
json_write_hex (RwCodec *c, const char *name, const guint8 *data, gsize len)
{
  g_autofree char *hex = to_hex (data, len);
  json_name (c, name);
  json_builder_add_string_value (c->builder, hex);
}

/* ---------------------------------------------------------------- scalars */

static void
rw_uint (RwCodec *c, const char *name, guint64 *v, guint n)
{
  if (c->error != NULL)
    return;
  guint64 max = n == 8 ? G_MAXUINT64 : ((guint64) 1 << (8 * n)) - 1;
  switch (c->mode)
    {
    case RW_DECODE:
      if (need (c, name, n))
        *v = read_be (c, n);
      break;
    case RW_ENCODE:
      write_be (c->out, *v, n);
      break;
    case RW_TO_JSON:
      json_write_uint (c, name, *v);
      break;
    case RW_FROM_JSON:
      json_read_uint (c, name, max, v);
      break;
    }
}

void
rw_u8 (RwCodec *c, const char *name, guint8 *v)
{
  guint64 x = *v;
  rw_uint (c, name, &x, 1);
  *v = (guint8) x;
}

void
rw_u16 (RwCodec *c, const char *name, guint16 *v)
{
  guint64 x = *v;
  rw_uint (c, name, &x, 2);
  *v = (guint16) x;
}

void
rw_u24 (RwCodec *c, const char *name, guint32 *v)
{
  guint64 x = *v;
  rw_uint (c, name, &x, 3);
  *v = (guint32) x;
}

void
rw_u32 (RwCodec *c, const char *name, guint32 *v)
{
  guint64 x = *v;
  rw_uint (c, name, &x, 4);
  *v = (guint32) x;
}

void
rw_u64 (RwCodec *c, const char *name, guint64 *v)
{
  rw_uint (c, name, v, 8);
}

void
rw_u64_hex (RwCodec *c, const char *name, guint64 *v)
{
  if (c->error != NULL)
    return;
  if (c->mode == RW_DECODE || c->mode == RW_ENCODE)
    {
      rw_uint (c, name, v, 8);
      return;
    }
  if (c->mode == RW_TO_JSON)
    {
      char buf[17];
      g_snprintf (buf, sizeof buf, "%016" G_GINT64_MODIFIER "x", *v);
      json_name (c, name);
      json_builder_add_string_value (c->builder, buf);
      return;
    }
  JsonNode *n = rw_json_member (c, name, TRUE);
  if (n == NULL)
    return;
  const char *s = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
                      ? json_node_get_string (n)
                      : NULL;
  guint64 x;
  if (s == NULL || strlen (s) != 16
      || !g_ascii_string_to_unsigned (s, 16, 0, G_MAXUINT64, &x, NULL))
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected 16 hex digits");
      return;
    }
  *v = x;
}

void
rw_boolean (RwCodec *c, const char *name, gboolean *v)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
      if (need (c, name, 1))
        {
          guint8 b = c->data[c->pos];
          /* §6.3.1.1: enum { false(0), true(1), (255) } Boolean. */
          if (b > 1)
            {
              rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, name, "Boolean must be 0 or 1, not %u",
                       b);
              return;
            }
          c->pos++;
          *v = b;
        }
      break;
    case RW_ENCODE:
      {
        guint8 b = *v ? 1 : 0;
        g_byte_array_append (c->out, &b, 1);
      }
      break;
    case RW_TO_JSON:
      json_name (c, name);
      json_builder_add_boolean_value (c->builder, *v);
      break;
    case RW_FROM_JSON:
      {
        JsonNode *n = rw_json_member (c, name, TRUE);
        if (n == NULL)
          return;
        if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
          {
            rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected true or false");
            return;
          }
        *v = json_node_get_boolean (n);
      }
      break;
    }
}

const char *
rw_enum_name (const RwEnumName *names, guint value)
{
  for (const RwEnumName *e = names; e != NULL && e->name != NULL; e++)
    if (e->value == value)
      return e->name;
  return NULL;
}

gboolean
rw_enum_lookup (const RwEnumName *names, const char *name, guint *value)
{
  for (const RwEnumName *e = names; e != NULL && e->name != NULL; e++)
    if (g_str_equal (e->name, name))
      {
        *value = e->value;
        return TRUE;
      }
  return FALSE;
}

static void
rw_enum (RwCodec *c, const char *name, guint64 *v, guint n, const RwEnumName *names)
{
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    {
      const char *s = rw_enum_name (names, (guint) *v);
      if (s == NULL)
        {
          json_write_uint (c, name, *v);
          return;
        }
      json_name (c, name);
      json_builder_add_string_value (c->builder, s);
      return;
    }
  if (c->mode == RW_FROM_JSON)
    {
      JsonNode *node = rw_json_member (c, name, TRUE);
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          guint x;
          if (!rw_enum_lookup (names, json_node_get_string (node), &x))
            {
              rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "unknown name \"%s\"",
                       json_node_get_string (node));
              return;
            }
          *v = x;
          return;
        }
    }
  rw_uint (c, name, v, n);
}

void
rw_enum8 (RwCodec *c, const char *name, guint8 *v, const RwEnumName *names)
{
  guint64 x = *v;
  rw_enum (c, name, &x, 1, names);
  *v = (guint8) x;
}

void
rw_enum16 (RwCodec *c, const char *name, guint16 *v, const RwEnumName *names)
{
  guint64 x = *v;
  rw_enum (c, name, &x, 2, names);
  *v = (guint16) x;
}

/* ---------------------------------------------------------------- bytes */

void
rw_fixed (RwCodec *c, const char *name, guint8 *buf, gsize n)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
      if (need (c, name, n))
        {
          memcpy (buf, c->data + c->pos, n);
          c->pos += n;
        }
      break;
    case RW_ENCODE:
      g_byte_array_append (c->out, buf, n);
      break;
    case RW_TO_JSON:
      json_write_hex (c, name, buf, n);
      break;
    case RW_FROM_JSON:
      {
        RwBytes b;
        if (!json_read_hex (c, name, &b))
          return;
        if (b.len != n)
          {
            rw_fail (c, RELOAD_WIRE_ERROR_JSON, name,
                     "expected %" G_GSIZE_FORMAT " bytes, got %" G_GSIZE_FORMAT, n, b.len);
            return;
          }
        memcpy (buf, b.data, n);
      }
      break;
    }
}

static guint64
len_max (guint len_bytes, gsize max)
{
  guint64 wire_max = len_bytes >= 8 ? G_MAXUINT64 : ((guint64) 1 << (8 * len_bytes)) - 1;
  return max != 0 && max < wire_max ? max : wire_max;
}

/* Reads the length of an opaque or a block and checks it against the
 * declared maximum and the bytes that remain. */
static gboolean
read_length (RwCodec *c, const char *name, guint len_bytes, gsize max, gsize *out)
{
  if (!need (c, name, len_bytes))
    return FALSE;
  gsize at = c->pos;
  guint64 n = read_be (c, len_bytes);
  if (n > len_max (len_bytes, max))
    {
      c->pos = at;
      rw_fail (c, RELOAD_WIRE_ERROR_LENGTH, name,
               "length %" G_GUINT64_FORMAT " exceeds the maximum %" G_GUINT64_FORMAT, n,
               len_max (len_bytes, max));
      return FALSE;
    }
  if (n > c->end - c->pos)
    {
      c->pos = at;
      rw_fail (c, RELOAD_WIRE_ERROR_LENGTH, name,
               "length %" G_GUINT64_FORMAT " exceeds the %" G_GSIZE_FORMAT " bytes remaining", n,
               c->end - c->pos - len_bytes);
      return FALSE;
    }
  *out = (gsize) n;
  return TRUE;
}

static gboolean
check_encode_length (RwCodec *c, const char *name, guint len_bytes, gsize max, gsize n)
{
  if (n > len_max (len_bytes, max))
    {
      rw_fail (c, RELOAD_WIRE_ERROR_TOO_LARGE, name,
               "%" G_GSIZE_FORMAT " bytes exceed the maximum %" G_GUINT64_FORMAT, n,
               len_max (len_bytes, max));
      return FALSE;
    }
  return TRUE;
}

void
rw_opaque (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBytes *v)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
      {
        gsize n;
        if (read_length (c, name, len_bytes, max, &n))
          {
            v->data = c->data + c->pos;
            v->len = n;
            c->pos += n;
          }
      }
      break;
    case RW_ENCODE:
      if (check_encode_length (c, name, len_bytes, max, v->len))
        {
          write_be (c->out, v->len, len_bytes);
          if (v->len > 0)
            g_byte_array_append (c->out, v->data, v->len);
        }
      break;
    case RW_TO_JSON:
      json_write_hex (c, name, v->data, v->len);
      break;
    case RW_FROM_JSON:
      if (json_read_hex (c, name, v))
        check_encode_length (c, name, len_bytes, max, v->len);
      break;
    }
}

void
rw_text (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBytes *v)
{
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    {
      if (v->len == 0 || g_utf8_validate ((const char *) v->data, v->len, NULL))
        {
          g_autofree char *s =
              v->len > 0 ? g_strndup ((const char *) v->data, v->len) : g_strdup ("");
          json_name (c, name);
          json_builder_add_string_value (c->builder, s);
        }
      else
        {
          g_autofree char *hex = to_hex (v->data, v->len);
          json_name (c, name);
          json_builder_begin_object (c->builder);
          json_builder_set_member_name (c->builder, "hex");
          json_builder_add_string_value (c->builder, hex);
          json_builder_end_object (c->builder);
        }
      return;
    }
  if (c->mode == RW_FROM_JSON)
    {
      JsonNode *n = rw_json_member (c, name, TRUE);
      if (n == NULL)
        return;
      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (n);
          gsize len = strlen (s);
          guint8 *buf = rw_alloc (c, len + 1);
          if (buf == NULL)
            return;
          memcpy (buf, s, len);
          v->data = buf;
          v->len = len;
        }
      else if (JSON_NODE_HOLDS_OBJECT (n))
        {
          json_push (c, n);
          json_read_hex (c, "hex", v);
          json_pop (c);
        }
      else
        {
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected a string or {\"hex\": ...}");
          return;
        }
      check_encode_length (c, name, len_bytes, max, v->len);
      return;
    }
  rw_opaque (c, name, len_bytes, max, v);
}

void
rw_rest (RwCodec *c, const char *name, RwBytes *v)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
      v->data = c->data + c->pos;
      v->len = c->end - c->pos;
      c->pos = c->end;
      break;
    case RW_ENCODE:
      if (v->len > 0)
        g_byte_array_append (c->out, v->data, v->len);
      break;
    case RW_TO_JSON:
      json_write_hex (c, name, v->data, v->len);
      break;
    case RW_FROM_JSON:
      json_read_hex (c, name, v);
      break;
    }
}

/* ---------------------------------------------------------------- objects */

void
rw_object_begin (RwCodec *c, const char *name)
{
  path_push (c, name, -1);
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    {
      json_name (c, name);
      json_builder_begin_object (c->builder);
    }
  else if (c->mode == RW_FROM_JSON)
    {
      JsonNode *n = rw_json_member (c, name, TRUE);
      if (n == NULL)
        return;
      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          path_pop (c);
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected an object");
          path_push (c, name, -1);
          return;
        }
      json_push (c, n);
    }
}

void
rw_object_end (RwCodec *c)
{
  path_pop (c);
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    json_builder_end_object (c->builder);
  else if (c->mode == RW_FROM_JSON)
    json_pop (c);
}

/* ---------------------------------------------------------------- blocks */

void
rw_block_reserve (RwCodec *c, const char *name, guint len_bytes, RwBlock *b)
{
  memset (b, 0, sizeof *b);
  b->len_bytes = len_bytes;
  b->name = name;
  if (c->error != NULL)
    return;
  if (c->mode == RW_DECODE)
    {
      if (need (c, name, len_bytes))
        b->length = read_be (c, len_bytes);
    }
  else if (c->mode == RW_ENCODE)
    {
      b->start = c->out->len;
      write_be (c->out, 0, len_bytes);
    }
}

void
rw_block_open (RwCodec *c, RwBlock *b)
{
  path_push (c, b->name, -1);
  b->active = TRUE;
  if (c->error != NULL)
    return;
  if (c->mode == RW_DECODE)
    {
      if (b->length > c->end - c->pos)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_LENGTH, NULL,
                   "length %" G_GSIZE_FORMAT " exceeds the %" G_GSIZE_FORMAT " bytes remaining",
                   b->length, c->end - c->pos);
          return;
        }
      b->saved_end = c->end;
      c->end = c->pos + b->length;
    }
  else if (c->mode == RW_ENCODE)
    b->content_start = c->out->len;
}

void
rw_block_begin (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBlock *b)
{
  memset (b, 0, sizeof *b);
  b->len_bytes = len_bytes;
  b->name = name;
  if (c->error == NULL && c->mode == RW_DECODE)
    {
      if (!read_length (c, name, len_bytes, max, &b->length))
        {
          path_push (c, name, -1);
          b->active = TRUE;
          return;
        }
      path_push (c, name, -1);
      b->active = TRUE;
      b->saved_end = c->end;
      c->end = c->pos + b->length;
      return;
    }
  if (c->error == NULL && c->mode == RW_ENCODE)
    {
      b->start = c->out->len;
      write_be (c->out, 0, len_bytes);
    }
  path_push (c, name, -1);
  b->active = TRUE;
  if (c->mode == RW_ENCODE)
    b->content_start = c->out->len;
  /* remember the maximum for the encoder's check */
  b->length = max;
}

void
rw_block_end (RwCodec *c, RwBlock *b)
{
  if (!b->active)
    return;
  b->active = FALSE;
  if (c->error == NULL)
    {
      if (c->mode == RW_DECODE)
        {
          if (c->pos != c->end)
            {
              rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL,
                       "%" G_GSIZE_FORMAT " bytes left over inside the length %" G_GSIZE_FORMAT,
                       c->end - c->pos, b->length);
            }
          else
            c->end = b->saved_end;
        }
      else if (c->mode == RW_ENCODE)
        {
          gsize n = c->out->len - b->content_start;
          gsize max = b->length;
          if (check_encode_length (c, NULL, b->len_bytes, max, n))
            patch_be (c->out, b->start, n, b->len_bytes);
        }
    }
  path_pop (c);
}

gsize
rw_block_length (const RwBlock *b)
{
  return b->length;
}

/* ---------------------------------------------------------------- lists */

static void
list_decode (RwCodec *c, gpointer *items, guint *n_items, gsize elem_size, guint max_items,
             RwVisitFunc visit)
{
  /* Elements go to a scratch buffer first and to the arena only once
   * their number is known, so the arena holds exactly what was decoded. */
  guint8 *scratch = NULL;
  gsize cap = 0;
  guint n = 0;
  while (c->error == NULL && c->pos < c->end)
    {
      if (max_items != 0 && n >= max_items)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_TOO_LARGE, NULL, "more than %u items", max_items);
          break;
        }
      if (n == cap)
        {
          cap = cap == 0 ? 4 : cap * 2;
          scratch = g_realloc_n (scratch, cap, elem_size);
        }
      guint8 *elem = scratch + (gsize) n * elem_size;
      memset (elem, 0, elem_size);
      c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = (gint) n;
      gsize before = c->pos;
      visit (c, elem);
      if (c->error == NULL && c->pos == before)
        rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, NULL, "empty list element");
      n++;
    }
  c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = -1;
  if (c->error == NULL && n > 0)
    {
      gpointer out = rw_alloc (c, (gsize) n * elem_size);
      if (out != NULL)
        memcpy (out, scratch, (gsize) n * elem_size);
      *items = out;
      *n_items = n;
    }
  else
    {
      *items = NULL;
      *n_items = 0;
    }
  g_free (scratch);
}

static void
list_visit_all (RwCodec *c, gpointer items, guint n_items, gsize elem_size, RwVisitFunc visit)
{
  if (n_items > 0 && items == NULL)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, NULL, "%u items but no array", n_items);
      return;
    }
  for (guint i = 0; i < n_items && c->error == NULL; i++)
    {
      c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = (gint) i;
      visit (c, (guint8 *) items + (gsize) i * elem_size);
    }
  c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = -1;
}

static void
list_json_read (RwCodec *c, const char *name, gpointer *items, guint *n_items, gsize elem_size,
                guint max_items, RwVisitFunc visit)
{
  JsonNode *n = rw_json_member (c, name, TRUE);
  if (n == NULL)
    return;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, NULL, "expected an array");
      return;
    }
  JsonArray *a = json_node_get_array (n);
  guint len = json_array_get_length (a);
  if (max_items != 0 && len > max_items)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_TOO_LARGE, NULL, "more than %u items", max_items);
      return;
    }
  *n_items = 0;
  *items = NULL;
  if (len == 0)
    return;
  guint8 *out = rw_alloc (c, (gsize) len * elem_size);
  if (out == NULL)
    return;
  for (guint i = 0; i < len && c->error == NULL; i++)
    {
      c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = (gint) i;
      json_push (c, json_array_get_element (a, i));
      visit (c, out + (gsize) i * elem_size);
      json_pop (c);
    }
  c->path[MIN (c->pdepth, RW_MAX_DEPTH) - 1].index = -1;
  *items = out;
  *n_items = len;
}

void
rw_list (RwCodec *c, const char *name, guint len_bytes, gsize max_bytes, gpointer *items,
         guint *n_items, gsize elem_size, guint max_items, RwVisitFunc visit)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
    case RW_ENCODE:
      {
        RwBlock b;
        rw_block_begin (c, name, len_bytes, max_bytes, &b);
        if (c->mode == RW_DECODE)
          list_decode (c, items, n_items, elem_size, max_items, visit);
        else
          list_visit_all (c, *items, *n_items, elem_size, visit);
        rw_block_end (c, &b);
      }
      break;
    case RW_TO_JSON:
      path_push (c, name, -1);
      json_name (c, name);
      json_builder_begin_array (c->builder);
      list_visit_all (c, *items, *n_items, elem_size, visit);
      json_builder_end_array (c->builder);
      path_pop (c);
      break;
    case RW_FROM_JSON:
      {
        /* The member is looked up in the enclosing object before the
         * path names the list. */
        JsonNode *n = rw_json_member (c, name, TRUE);
        if (n == NULL)
          return;
        path_push (c, name, -1);
        json_push (c, n);
        list_json_read (c, NULL, items, n_items, elem_size, max_items, visit);
        json_pop (c);
        path_pop (c);
      }
      break;
    }
}

void
rw_list_in_block (RwCodec *c, const char *name, RwBlock *b, gpointer *items, guint *n_items,
                  gsize elem_size, RwVisitFunc visit)
{
  if (c->error != NULL)
    return;
  switch (c->mode)
    {
    case RW_DECODE:
    case RW_ENCODE:
      /* errors inside name the list, not its length field */
      b->name = name;
      rw_block_open (c, b);
      if (c->mode == RW_DECODE)
        list_decode (c, items, n_items, elem_size, 0, visit);
      else
        list_visit_all (c, *items, *n_items, elem_size, visit);
      rw_block_end (c, b);
      break;
    case RW_TO_JSON:
    case RW_FROM_JSON:
      rw_list (c, name, b->len_bytes, 0, items, n_items, elem_size, 0, visit);
      break;
    }
}
