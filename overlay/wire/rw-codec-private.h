/* rw-codec-private.h: what the parts of the codec engine share (rw-codec.c,
 * rw-codec-json.c): the codec's state and its internal helpers.  Not for
 * the visit functions, which use rw-codec.h only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"

G_BEGIN_DECLS

/* RELOAD structures nest a dozen levels at most (a StoredData inside a
 * StoreKindData inside a StoreReq inside MessageContents...): a deeper
 * nesting can only come from a bug, never from input, since every level is
 * a visit function and not a recursion driven by the data. */
#define RW_MAX_DEPTH 48

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

/* The arena's allocation limit (rw-arena.c). */
gsize rw_arena_get_limit (const RwArena *arena);

/* The field path of errors (rw-codec.c). */
void rw_path_push (RwCodec *c, const char *name, gint index);
void rw_path_pop (RwCodec *c);
char *rw_path_string (RwCodec *c, const char *name);

/* JSON helpers (rw-codec-json.c). */
JsonNode *rw_json_top (RwCodec *c);
void rw_json_push (RwCodec *c, JsonNode *n);
void rw_json_pop (RwCodec *c);
void rw_json_name (RwCodec *c, const char *name);
gboolean rw_json_read_uint (RwCodec *c, const char *name, guint64 max, guint64 *out);
void rw_json_write_uint (RwCodec *c, const char *name, guint64 v);
char *rw_to_hex (const guint8 *data, gsize len);
gboolean rw_from_hex (RwCodec *c, const char *name, const char *hex, RwBytes *out);
gboolean rw_json_read_hex (RwCodec *c, const char *name, RwBytes *out);
void rw_json_write_hex (RwCodec *c, const char *name, const guint8 *data, gsize len);

G_END_DECLS
