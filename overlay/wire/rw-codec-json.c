/* rw-codec-json.c: the JSON side of the codec engine (rw-codec.h): the
 * stack of JSON nodes a visit walks, numbers, hex strings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec-private.h"

#include <string.h>

/* ---------------------------------------------------------------- JSON */

JsonBuilder *
rw_json_builder (RwCodec *c)
{
  return c->builder;
}

JsonNode *
rw_json_top (RwCodec *c)
{
  return c->jdepth > 0 ? c->jstack[c->jdepth - 1] : NULL;
}

JsonNode *
rw_json_member (RwCodec *c, const char *name, gboolean required)
{
  if (c->error != NULL)
    return NULL;
  JsonNode *top = rw_json_top (c);
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

void
rw_json_push (RwCodec *c, JsonNode *n)
{
  if (c->jdepth >= RW_MAX_DEPTH)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, NULL, "nested too deeply");
      return;
    }
  c->jstack[c->jdepth++] = n;
}

void
rw_json_pop (RwCodec *c)
{
  if (c->jdepth > 1)
    c->jdepth--;
}

void
rw_json_name (RwCodec *c, const char *name)
{
  if (name != NULL)
    json_builder_set_member_name (c->builder, name);
}

/* Reads an unsigned integer of at most @max from a JSON number or a
 * decimal string (u64 beyond 2^63 is written as a string). */
gboolean
rw_json_read_uint (RwCodec *c, const char *name, guint64 max, guint64 *out)
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

void
rw_json_write_uint (RwCodec *c, const char *name, guint64 v)
{
  rw_json_name (c, name);
  if (v <= G_MAXINT64)
    json_builder_add_int_value (c->builder, (gint64) v);
  else
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
      json_builder_add_string_value (c->builder, buf);
    }
}

char *
rw_to_hex (const guint8 *data, gsize len)
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

gboolean
rw_from_hex (RwCodec *c, const char *name, const char *hex, RwBytes *out)
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

gboolean
rw_json_read_hex (RwCodec *c, const char *name, RwBytes *out)
{
  JsonNode *n = rw_json_member (c, name, TRUE);
  if (n == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_JSON, name, "expected a hex string");
      return FALSE;
    }
  return rw_from_hex (c, name, json_node_get_string (n), out);
}

void
rw_json_write_hex (RwCodec *c, const char *name, const guint8 *data, gsize len)
{
  g_autofree char *hex = rw_to_hex (data, len);
  rw_json_name (c, name);
  json_builder_add_string_value (c->builder, hex);
}
