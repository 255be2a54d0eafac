/* rw-codec.c: the engine behind every RELOAD structure's visit function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec-private.h"

#include <stdarg.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-wire-error-quark, reload_wire_error)
/* clang-format on */

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

void
rw_path_push (RwCodec *c, const char *name, gint index)
{
  if (c->pdepth < RW_MAX_DEPTH)
    c->path[c->pdepth] = (RwPathFrame){ name, index };
  c->pdepth++;
}

void
rw_path_pop (RwCodec *c)
{
  g_assert (c->pdepth > 0);
  c->pdepth--;
}

char *
rw_path_string (RwCodec *c, const char *name)
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
  g_autofree char *path = rw_path_string (c, name);
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
             rw_arena_get_limit (c->arena));
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
      rw_json_write_uint (c, name, *v);
      break;
    case RW_FROM_JSON:
      rw_json_read_uint (c, name, max, v);
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
      rw_json_name (c, name);
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
      rw_json_name (c, name);
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
          rw_json_write_uint (c, name, *v);
          return;
        }
      rw_json_name (c, name);
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
      rw_json_write_hex (c, name, buf, n);
      break;
    case RW_FROM_JSON:
      {
        RwBytes b;
        if (!rw_json_read_hex (c, name, &b))
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
      rw_json_write_hex (c, name, v->data, v->len);
      break;
    case RW_FROM_JSON:
      if (rw_json_read_hex (c, name, v))
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
          rw_json_name (c, name);
          json_builder_add_string_value (c->builder, s);
        }
      else
        {
          g_autofree char *hex = rw_to_hex (v->data, v->len);
          rw_json_name (c, name);
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
          rw_json_push (c, n);
          rw_json_read_hex (c, "hex", v);
          rw_json_pop (c);
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
      rw_json_write_hex (c, name, v->data, v->len);
      break;
    case RW_FROM_JSON:
      rw_json_read_hex (c, name, v);
      break;
    }
}

/* ---------------------------------------------------------------- objects */

void
rw_object_begin (RwCodec *c, const char *name)
{
  rw_path_push (c, name, -1);
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    {
      rw_json_name (c, name);
      json_builder_begin_object (c->builder);
    }
  else if (c->mode == RW_FROM_JSON)
    {
      JsonNode *n = rw_json_member (c, name, TRUE);
      if (n == NULL)
        return;
      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          rw_path_pop (c);
          rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected an object");
          rw_path_push (c, name, -1);
          return;
        }
      rw_json_push (c, n);
    }
}

void
rw_object_end (RwCodec *c)
{
  rw_path_pop (c);
  if (c->error != NULL)
    return;
  if (c->mode == RW_TO_JSON)
    json_builder_end_object (c->builder);
  else if (c->mode == RW_FROM_JSON)
    rw_json_pop (c);
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
  rw_path_push (c, b->name, -1);
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
          rw_path_push (c, name, -1);
          b->active = TRUE;
          return;
        }
      rw_path_push (c, name, -1);
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
  rw_path_push (c, name, -1);
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
  rw_path_pop (c);
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
      rw_json_push (c, json_array_get_element (a, i));
      visit (c, out + (gsize) i * elem_size);
      rw_json_pop (c);
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
      rw_path_push (c, name, -1);
      rw_json_name (c, name);
      json_builder_begin_array (c->builder);
      list_visit_all (c, *items, *n_items, elem_size, visit);
      json_builder_end_array (c->builder);
      rw_path_pop (c);
      break;
    case RW_FROM_JSON:
      {
        /* The member is looked up in the enclosing object before the
         * path names the list. */
        JsonNode *n = rw_json_member (c, name, TRUE);
        if (n == NULL)
          return;
        rw_path_push (c, name, -1);
        rw_json_push (c, n);
        list_json_read (c, NULL, items, n_items, elem_size, max_items, visit);
        rw_json_pop (c);
        rw_path_pop (c);
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
