/* rw-codec.h: one description of a structure, four directions.
 *
 * Every RELOAD structure is described once, by a "visit" function that names
 * its fields in wire order (see reload-*.c).  The same function decodes bytes
 * into the C structure, encodes the structure into bytes, and converts it to
 * and from JSON (for chorus-wire).  Because the directions share one
 * description, they cannot disagree about a field's width or order.
 *
 * Decoding treats its input as hostile: every read checks the bytes that
 * remain in the innermost length-prefixed block, and the first failure is
 * sticky (every later call is a no-op) and is reported as a GError that
 * names the field path and the byte offset.  Decoded structures live in an
 * arena whose size is bounded by the input's size; opaque fields point into
 * the input buffer, which the decoded message keeps alive.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RELOAD_WIRE_ERROR (reload_wire_error_quark ())
GQuark reload_wire_error_quark (void);

typedef enum
{
  RELOAD_WIRE_ERROR_TRUNCATED,     /* a field runs past the end of its block */
  RELOAD_WIRE_ERROR_LENGTH,        /* a length disagrees with the data */
  RELOAD_WIRE_ERROR_TRAILING,      /* bytes left over after a structure */
  RELOAD_WIRE_ERROR_INVALID_VALUE, /* a value the RFC forbids */
  RELOAD_WIRE_ERROR_UNKNOWN_TYPE,  /* an unknown type in a select that allows none */
  RELOAD_WIRE_ERROR_TOO_LARGE,     /* a limit (list length, max-message-size, arena) */
  RELOAD_WIRE_ERROR_BAD_TOKEN,     /* relo_token is not 0xd2454c4f */
  RELOAD_WIRE_ERROR_BAD_VERSION,   /* version is not 0x0a */
  RELOAD_WIRE_ERROR_BAD_FRAGMENT,  /* fragment field without its high bit */
  RELOAD_WIRE_ERROR_JSON,          /* JSON input does not describe a structure */
} ReloadWireError;

typedef enum
{
  RW_DECODE,
  RW_ENCODE,
  RW_TO_JSON,
  RW_FROM_JSON,
} RwMode;

/* A borrowed run of bytes: into the decoded input, or into the arena. */
typedef struct
{
  const guint8 *data;
  gsize len;
} RwBytes;

typedef struct
{
  guint value;
  const char *name;
} RwEnumName;

/* §14.7 data models; the wire never says which one a kind uses (the
 * configuration does), so the decoder asks through this callback. */
typedef enum
{
  RELOAD_DATA_MODEL_UNKNOWN = 0,
  RELOAD_DATA_MODEL_SINGLE = 1,
  RELOAD_DATA_MODEL_ARRAY = 2,
  RELOAD_DATA_MODEL_DICTIONARY = 3,
} ReloadDataModel;

typedef ReloadDataModel (*ReloadKindModelFunc) (guint32 kind_id, gpointer user_data);

typedef struct
{
  /* §11.1 node-id-length: 16 to 20 bytes; 0 means the default, 16. */
  guint node_id_length;
  /* Data model of kinds beyond the ones this codec knows (§11.1 kind
   * blocks).  NULL: only the built-in kinds are typed; values of other
   * kinds are kept as raw bytes and survive a round trip untouched. */
  ReloadKindModelFunc kind_model;
  gpointer kind_model_data;
  /* 0: no limit beyond the wire's own length fields. */
  gsize max_message_size;
} RwOptions;

typedef struct RwArena RwArena;

RwArena *rw_arena_new (gsize limit);
void rw_arena_free (RwArena *arena);
/* Forgets every allocation, keeping memory for reuse. */
void rw_arena_reset (RwArena *arena);
gsize rw_arena_used (const RwArena *arena);
/* Zeroed memory, or NULL when the arena's limit would be exceeded. */
gpointer rw_arena_alloc0 (RwArena *arena, gsize size);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwArena, rw_arena_free)

typedef struct RwCodec RwCodec;

typedef void (*RwVisitFunc) (RwCodec *c, gpointer item);

/* Life of a codec.  The input (decode) must outlive the decoded structures;
 * the arena receives every allocation and is owned by the caller. */
RwCodec *rw_codec_new_decoder (const guint8 *data, gsize len, RwArena *arena,
                               const RwOptions *options);
RwCodec *rw_codec_new_encoder (GByteArray *out, const RwOptions *options);
RwCodec *rw_codec_new_json_writer (JsonBuilder *builder, const RwOptions *options);
RwCodec *rw_codec_new_json_reader (JsonNode *root, RwArena *arena, const RwOptions *options);
/* Frees the codec; returns FALSE with @error set when any step failed. */
gboolean rw_codec_finish (RwCodec *c, GError **error);
void rw_codec_free (RwCodec *c);

RwMode rw_mode (const RwCodec *c);
gboolean rw_ok (const RwCodec *c);
const RwOptions *rw_options (const RwCodec *c);
guint rw_node_id_length (const RwCodec *c);
/* Decode only: offset of the next byte and bytes left in the innermost block. */
gsize rw_offset (const RwCodec *c);
gsize rw_remaining (const RwCodec *c);
/* Decode only: the next byte without consuming it (0 when none is left,
 * which also fails the codec). */
guint8 rw_peek_u8 (RwCodec *c, const char *name);

void rw_fail (RwCodec *c, ReloadWireError code, const char *name, const char *format, ...)
    G_GNUC_PRINTF (4, 5);
gpointer rw_alloc (RwCodec *c, gsize size);

/* Scalars.  @name is the field's JSON key (NULL for a list element). */
void rw_u8 (RwCodec *c, const char *name, guint8 *v);
void rw_u16 (RwCodec *c, const char *name, guint16 *v);
void rw_u24 (RwCodec *c, const char *name, guint32 *v);
void rw_u32 (RwCodec *c, const char *name, guint32 *v);
void rw_u64 (RwCodec *c, const char *name, guint64 *v);
/* u64 shown as 16 lower-case hex digits (transaction ids). */
void rw_u64_hex (RwCodec *c, const char *name, guint64 *v);
/* RFC 6940 Boolean: one byte, 0 or 1; anything else is invalid. */
void rw_boolean (RwCodec *c, const char *name, gboolean *v);
/* Enumerations: JSON shows the name when known, the number otherwise, and
 * accepts both. */
void rw_enum8 (RwCodec *c, const char *name, guint8 *v, const RwEnumName *names);
void rw_enum16 (RwCodec *c, const char *name, guint16 *v, const RwEnumName *names);
const char *rw_enum_name (const RwEnumName *names, guint value);
gboolean rw_enum_lookup (const RwEnumName *names, const char *name, guint *value);

/* Byte strings, hex in JSON. */
void rw_fixed (RwCodec *c, const char *name, guint8 *buf, gsize n);
/* opaque x<0..2^(8*len_bytes)-1>, optionally with a smaller maximum (0: none). */
void rw_opaque (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBytes *v);
/* The same on the wire, but a JSON string when the bytes are UTF-8 text
 * ({"hex": "..."} otherwise). */
void rw_text (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBytes *v);
/* All the bytes left in the innermost block (decode), hex in JSON. */
void rw_rest (RwCodec *c, const char *name, RwBytes *v);

/* A JSON object around a group of fields; nothing on the wire. */
void rw_object_begin (RwCodec *c, const char *name);
void rw_object_end (RwCodec *c);
/* Decode/JSON reader only: whether the current JSON object has @name
 * (always TRUE when not reading JSON). */
gboolean rw_json_has (RwCodec *c, const char *name);

/* A length-prefixed block: on the wire, a length of @len_bytes bytes then
 * the fields visited until rw_block_end(); nothing in JSON.  Decoding
 * checks that the fields use exactly the announced length. */
typedef struct
{
  gsize start;         /* encode: offset of the length field */
  gsize content_start; /* encode: offset of the first byte inside */
  gsize saved_end;     /* decode: the enclosing block's end */
  gsize length;        /* decode: the length as read */
  guint len_bytes;
  const char *name;
  gboolean active;
} RwBlock;

void rw_block_begin (RwCodec *c, const char *name, guint len_bytes, gsize max, RwBlock *b);
void rw_block_end (RwCodec *c, RwBlock *b);
/* Split form for headers whose lengths precede all the blocks
 * (ForwardingHeader §6.3.2): reserve the length, open it later. */
void rw_block_reserve (RwCodec *c, const char *name, guint len_bytes, RwBlock *b);
void rw_block_open (RwCodec *c, RwBlock *b);
/* The block's length as read (decode only). */
gsize rw_block_length (const RwBlock *b);

/* A vector of structures, T items<0..2^(8*len_bytes)-1> (§6.3.1: the length
 * counts bytes, not items).  *@items is an array of *@n_items elements of
 * @elem_size bytes; decoding allocates it from the arena.  @max_items
 * bounds the count (0: only the byte length bounds it). */
void rw_list (RwCodec *c, const char *name, guint len_bytes, gsize max_bytes, gpointer *items,
              guint *n_items, gsize elem_size, guint max_items, RwVisitFunc visit);

#define RW_LIST(c, name, len_bytes, items, n_items, visit)                                       \
  rw_list ((c), (name), (len_bytes), 0, (gpointer *) &(items), &(n_items), sizeof (*(items)), 0, \
           (RwVisitFunc) (visit))

/* A list whose byte length was reserved earlier (rw_block_reserve). */
void rw_list_in_block (RwCodec *c, const char *name, RwBlock *b, gpointer *items, guint *n_items,
                       gsize elem_size, RwVisitFunc visit);

/* JSON helpers for visitors that show a field in a derived form. */
JsonBuilder *rw_json_builder (RwCodec *c);
/* The JSON node of member @name of the current object (NULL: the current
 * element); fails the codec when @required and missing. */
JsonNode *rw_json_member (RwCodec *c, const char *name, gboolean required);

G_END_DECLS
