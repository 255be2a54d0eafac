/* rw-arena.c: the bounded arena that decoded structures live in
 * (rw-codec.h): chunks freed all at once, a limit on the total so that
 * hostile input cannot make the decoder allocate without bound.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rw-codec-private.h"

#include <string.h>

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

gsize
rw_arena_get_limit (const RwArena *arena)
{
  return arena->limit;
}
