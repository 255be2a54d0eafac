/* reload-fragment.c: fragmentation and reassembly (RFC 6940 §6.7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-fragment.h"

#include "reload-message.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (reload-fragment-error-quark, reload_fragment_error)
/* clang-format on */

/* Offsets of the forwarding header's fixed fields (§6.3.2). */
#define OFF_TOKEN 0
#define OFF_VERSION 10
#define OFF_FRAGMENT 12
#define OFF_LENGTH 16
#define OFF_TRANSACTION_ID 20
#define OFF_VIA_LENGTH 32
#define OFF_DEST_LENGTH 34
#define OFF_OPTIONS_LENGTH 36

G_STATIC_ASSERT (RELOAD_HEADER_FIXED_SIZE == 38);
G_STATIC_ASSERT (RELOAD_HEADER_LENGTH_OFFSET == OFF_LENGTH);

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return (guint64) get32 (p) << 32 | get32 (p + 4);
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* ---------------------------------------------------------------- header */

gsize
reload_fragment_parse_header (const guint8 *message, gsize len, guint32 *fragment,
                              guint64 *transaction_id, GError **error)
{
  if (message == NULL && len != 0)
    len = 0;
  if (len < RELOAD_HEADER_FIXED_SIZE)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TRUNCATED,
                   "forwarding_header at offset 0: needs %d bytes, %" G_GSIZE_FORMAT " remain",
                   RELOAD_HEADER_FIXED_SIZE, len);
      return 0;
    }
  guint32 token = get32 (message + OFF_TOKEN);
  if (token != RELOAD_TOKEN)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_BAD_TOKEN,
                   "forwarding_header.relo_token at offset 0: 0x%08x is not 0xd2454c4f (§6.3.2)",
                   token);
      return 0;
    }
  if (message[OFF_VERSION] != RELOAD_VERSION)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_BAD_VERSION,
                   "forwarding_header.version at offset %d: 0x%02x is not 0x0a (§6.3.2)",
                   OFF_VERSION, message[OFF_VERSION]);
      return 0;
    }
  guint32 frag = get32 (message + OFF_FRAGMENT);
  if ((frag & RELOAD_FRAGMENT_HIGH_BIT) == 0)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_BAD_FRAGMENT,
                   "forwarding_header.fragment at offset %d: 0x%08x lacks the high bit that "
                   "§6.3.2 requires",
                   OFF_FRAGMENT, frag);
      return 0;
    }
  guint32 length = get32 (message + OFF_LENGTH);
  if (length != len)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH,
                   "forwarding_header.length at offset %d: %u, but the message has %" G_GSIZE_FORMAT
                   " bytes",
                   OFF_LENGTH, length, len);
      return 0;
    }
  gsize header = RELOAD_HEADER_FIXED_SIZE + (gsize) get16 (message + OFF_VIA_LENGTH)
                 + get16 (message + OFF_DEST_LENGTH) + get16 (message + OFF_OPTIONS_LENGTH);
  if (header > len)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_LENGTH,
                   "forwarding_header at offset %d: the via, destination and option lists "
                   "(%u + %u + %u bytes) exceed the %" G_GSIZE_FORMAT " bytes remaining",
                   OFF_VIA_LENGTH, get16 (message + OFF_VIA_LENGTH),
                   get16 (message + OFF_DEST_LENGTH), get16 (message + OFF_OPTIONS_LENGTH),
                   len - RELOAD_HEADER_FIXED_SIZE);
      return 0;
    }
  if (fragment != NULL)
    *fragment = frag;
  if (transaction_id != NULL)
    *transaction_id = get64 (message + OFF_TRANSACTION_ID);
  return header;
}

static gboolean
is_unfragmented (guint32 fragment)
{
  /* The reserved bits "SHOULD be set to zero": not a reason to refuse. */
  return (fragment & ~RELOAD_FRAGMENT_RESERVED) == RELOAD_FRAGMENT_UNFRAGMENTED;
}

/* ---------------------------------------------------------------- split */

static GBytes *
make_fragment (const guint8 *message, gsize header, guint32 fragment, const guint8 *body,
               gsize body_len)
{
  gsize size = header + body_len;
  guint8 *out = g_malloc (size);
  memcpy (out, message, header);
  memcpy (out + header, body, body_len);
  put32 (out + OFF_FRAGMENT, fragment);
  put32 (out + OFF_LENGTH, (guint32) size);
  return g_bytes_new_take (out, size);
}

GPtrArray *
reload_fragment_split (const guint8 *message, gsize len, gsize max_fragment_size, GError **error)
{
  guint32 fragment;
  gsize header = reload_fragment_parse_header (message, len, &fragment, NULL, error);
  if (header == 0)
    return NULL;

  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (len <= max_fragment_size)
    {
      g_ptr_array_add (out, g_bytes_new (message, len));
      return out;
    }

  /* §6.7: "Each fragment MUST contain a full copy of the Via List,
   * Destination List, and ForwardingOptions and MUST contain at least 256
   * bytes of the message body.  If these elements cannot fit within the MTU
   * of the underlying datagram protocol, RELOAD fragmentation is not
   * performed". */
  if (max_fragment_size < header || max_fragment_size - header < RELOAD_FRAGMENT_MIN_BODY)
    {
      g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_NO_ROOM,
                   "a %" G_GSIZE_FORMAT "-byte fragment cannot hold the %" G_GSIZE_FORMAT
                   "-byte forwarding header and %d bytes of body (§6.7): send the message whole",
                   max_fragment_size, header, RELOAD_FRAGMENT_MIN_BODY);
      g_ptr_array_unref (out);
      return NULL;
    }

  const guint8 *payload = message + header;
  gsize total = len - header;
  gsize cap = max_fragment_size - header;
  /* Refragmenting a fragment: its pieces keep their place in the original
   * payload, and only a last fragment's last piece is last. */
  gsize base_offset = fragment & RELOAD_FRAGMENT_OFFSET_MASK;
  gboolean input_last = (fragment & RELOAD_FRAGMENT_LAST) != 0;

  /* §6.7: "it SHOULD be split into equal-sized fragments": as few pieces as
   * the capacity allows, sizes differing by one byte at most.  When that
   * would put fewer than 256 bytes in a piece (a body just over one
   * capacity), pieces of 256 and a shorter last one instead. */
  gsize n = (total + cap - 1) / cap;
  gsize even = total / n, extra = total % n;
  gboolean equal = even >= RELOAD_FRAGMENT_MIN_BODY;

  gsize pos = 0;
  for (gsize i = 0; pos < total; i++)
    {
      gsize piece;
      if (equal)
        piece = even + (i < extra ? 1 : 0);
      else
        piece = MIN ((gsize) RELOAD_FRAGMENT_MIN_BODY, total - pos);
      gsize offset = base_offset + pos;
      if (offset > RELOAD_FRAGMENT_OFFSET_MASK)
        {
          g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE,
                       "fragment offset %" G_GSIZE_FORMAT " does not fit the 24 bits of the "
                       "fragment field (§6.3.2)",
                       offset);
          g_ptr_array_unref (out);
          return NULL;
        }
      gboolean last = pos + piece == total;
      guint32 field = RELOAD_FRAGMENT_HIGH_BIT | (guint32) offset
                      | (last && input_last ? RELOAD_FRAGMENT_LAST : 0);
      g_ptr_array_add (out, make_fragment (message, header, field, payload + pos, piece));
      pos += piece;
    }
  return out;
}

/* ---------------------------------------------------------------- reassembly */

typedef struct
{
  gsize start;
  gsize len;
  guint8 data[];
} Piece;

typedef struct
{
  /* key */
  gconstpointer link;
  guint64 transaction_id;

  gint64 deadline;
  GList qlink; /* in ReloadReassembler.order */

  guint8 *header; /* of the fragment at offset 0, once it arrived */
  gsize header_len;
  gboolean have_total; /* the last fragment arrived */
  gsize total;         /* payload size, known from the last fragment */
  gsize max_end;       /* furthest payload byte received */
  gsize covered;       /* payload bytes held (pieces are disjoint) */
  GTree *pieces;       /* start -> Piece, disjoint */
  gsize charged;       /* bytes charged to the reassembler's budget */
} Reassembly;

struct ReloadReassembler
{
  gsize max_message_size;
  gint64 timeout_us;
  guint max_reassemblies;
  gsize max_buffered;
  gsize buffered;
  GHashTable *table; /* Reassembly -> itself, by (link, transaction id) */
  GQueue order;      /* by deadline, oldest first */
};

static guint
reassembly_hash (gconstpointer p)
{
  const Reassembly *a = p;
  return g_direct_hash (a->link) * 31u ^ g_int64_hash (&a->transaction_id);
}

static gboolean
reassembly_equal (gconstpointer pa, gconstpointer pb)
{
  const Reassembly *a = pa, *b = pb;
  return a->link == b->link && a->transaction_id == b->transaction_id;
}

static gint
offset_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  gsize x = GPOINTER_TO_SIZE (a), y = GPOINTER_TO_SIZE (b);
  return x < y ? -1 : x > y;
}

static void
reassembly_free (Reassembly *a)
{
  g_tree_unref (a->pieces);
  g_free (a->header);
  g_free (a);
}

/* Removes and frees @a. */
static void
drop (ReloadReassembler *r, Reassembly *a)
{
  g_hash_table_remove (r->table, a);
  g_queue_unlink (&r->order, &a->qlink);
  g_assert (r->buffered >= a->charged);
  r->buffered -= a->charged;
  reassembly_free (a);
}

ReloadReassembler *
reload_reassembler_new (gsize max_message_size, gint64 timeout_us)
{
  ReloadReassembler *r = g_new0 (ReloadReassembler, 1);
  /* The length field is 32 bits: no message is larger. */
  r->max_message_size = max_message_size == 0 ? G_MAXUINT32 : MIN (max_message_size, G_MAXUINT32);
  r->timeout_us = timeout_us > 0 ? timeout_us : RELOAD_REASSEMBLY_TIMEOUT_US;
  r->table = g_hash_table_new (reassembly_hash, reassembly_equal);
  g_queue_init (&r->order);
  reload_reassembler_set_limits (r, 0, 0);
  return r;
}

void
reload_reassembler_set_limits (ReloadReassembler *r, guint max_reassemblies, gsize max_buffered)
{
  g_return_if_fail (r != NULL);
  r->max_reassemblies =
      max_reassemblies != 0 ? max_reassemblies : RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES;
  gsize buffered = max_buffered != 0 ? max_buffered : RELOAD_REASSEMBLER_DEFAULT_MAX_BUFFERED;
  /* One message of the largest size, with the bookkeeping of fragments of
   * RELOAD_FRAGMENT_MIN_BODY bytes, must fit. */
  gsize floor = 0;
  if (r->max_message_size != G_MAXUINT32)
    floor =
        r->max_message_size
        + (r->max_message_size / RELOAD_FRAGMENT_MIN_BODY + 2) * RELOAD_REASSEMBLER_PIECE_OVERHEAD;
  r->max_buffered = MAX (buffered, floor);
}

void
reload_reassembler_free (ReloadReassembler *r)
{
  if (r == NULL)
    return;
  while (r->order.head != NULL)
    drop (r, r->order.head->data);
  g_hash_table_unref (r->table);
  g_free (r);
}

guint
reload_reassembler_count (const ReloadReassembler *r)
{
  return g_hash_table_size (r->table);
}

gsize
reload_reassembler_buffered (const ReloadReassembler *r)
{
  return r->buffered;
}

guint
reload_reassembler_expire (ReloadReassembler *r, gint64 now_us)
{
  guint n = 0;
  while (r->order.head != NULL)
    {
      Reassembly *a = r->order.head->data;
      if (a->deadline > now_us)
        break;
      drop (r, a);
      n++;
    }
  return n;
}

gint64
reload_reassembler_next_expiry (const ReloadReassembler *r)
{
  if (r->order.head == NULL)
    return -1;
  return ((const Reassembly *) r->order.head->data)->deadline;
}

guint
reload_reassembler_forget_link (ReloadReassembler *r, gconstpointer link)
{
  guint n = 0;
  GList *l = r->order.head;
  while (l != NULL)
    {
      GList *next = l->next;
      Reassembly *a = l->data;
      if (a->link == link)
        {
          drop (r, a);
          n++;
        }
      l = next;
    }
  return n;
}

static gint64
saturating_add (gint64 a, gint64 b)
{
  return a > G_MAXINT64 - b ? G_MAXINT64 : a + b;
}

/* A run of the new fragment that no stored piece holds yet. */
typedef struct
{
  gsize start;
  gsize len;
} Gap;

/* Compares the new fragment [s, e) with the pieces it overlaps and lists
 * the runs it adds.  Returns FALSE when an overlap disagrees (*@where is
 * then the first differing payload offset). */
static gboolean
scan_pieces (Reassembly *a, gsize s, const guint8 *data, gsize n, GArray *gaps, gsize *where)
{
  gsize e = s + n;
  if (n == 0)
    return TRUE;
  /* The first piece that may overlap: the last one starting at or before s
   * (when it reaches past s), else the first one starting after s. */
  GTreeNode *node = g_tree_upper_bound (a->pieces, GSIZE_TO_POINTER (s));
  GTreeNode *prev = node != NULL ? g_tree_node_previous (node) : g_tree_node_last (a->pieces);
  if (prev != NULL)
    {
      const Piece *p = g_tree_node_value (prev);
      if (p->start + p->len > s)
        node = prev;
    }
  gsize cursor = s;
  for (; node != NULL; node = g_tree_node_next (node))
    {
      const Piece *p = g_tree_node_value (node);
      if (p->start >= e)
        break;
      gsize lo = MAX (p->start, s), hi = MIN (p->start + p->len, e);
      if (lo < hi && memcmp (p->data + (lo - p->start), data + (lo - s), hi - lo) != 0)
        {
          for (gsize i = lo; i < hi; i++)
            if (p->data[i - p->start] != data[i - s])
              {
                *where = i;
                break;
              }
          return FALSE;
        }
      if (p->start > cursor)
        g_array_append_val (gaps, ((Gap){ cursor, p->start - cursor }));
      cursor = MAX (cursor, p->start + p->len);
    }
  if (cursor < e)
    g_array_append_val (gaps, ((Gap){ cursor, e - cursor }));
  return TRUE;
}

typedef struct
{
  guint8 *out;
  gsize header_len;
} AssembleState;

static gboolean
copy_piece (gpointer key, gpointer value, gpointer user_data)
{
  const Piece *p = value;
  AssembleState *st = user_data;
  memcpy (st->out + st->header_len + p->start, p->data, p->len);
  return FALSE;
}

static GBytes *
assemble (Reassembly *a)
{
  gsize size = a->header_len + a->total;
  guint8 *out = g_malloc (size);
  memcpy (out, a->header, a->header_len);
  put32 (out + OFF_FRAGMENT, RELOAD_FRAGMENT_UNFRAGMENTED);
  put32 (out + OFF_LENGTH, (guint32) size);
  AssembleState st = { out, a->header_len };
  g_tree_foreach (a->pieces, copy_piece, &st);
  return g_bytes_new_take (out, size);
}

gboolean
reload_reassembler_add (ReloadReassembler *r, gconstpointer link, const guint8 *fragment, gsize len,
                        gint64 now_us, GBytes **out_complete, GError **error)
{
  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (out_complete != NULL, FALSE);
  *out_complete = NULL;

  reload_reassembler_expire (r, now_us);

  guint32 field;
  guint64 tid;
  gsize header = reload_fragment_parse_header (fragment, len, &field, &tid, error);
  if (header == 0)
    return FALSE;

  Reassembly lookup = { .link = link, .transaction_id = tid };
  Reassembly *a = g_hash_table_lookup (r->table, &lookup);

  if (is_unfragmented (field))
    {
      if (len > r->max_message_size)
        {
          g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE,
                       "a %" G_GSIZE_FORMAT
                       "-byte message exceeds max-message-size %" G_GSIZE_FORMAT,
                       len, r->max_message_size);
          return FALSE;
        }
      /* The whole message arrived (a retransmission over a larger MTU,
       * say): its pieces are no longer needed. */
      if (a != NULL)
        drop (r, a);
      *out_complete = g_bytes_new (fragment, len);
      return TRUE;
    }

  gsize s = field & RELOAD_FRAGMENT_OFFSET_MASK;
  gsize n = len - header;
  gsize e = s + n;
  gboolean last = (field & RELOAD_FRAGMENT_LAST) != 0;
  const guint8 *data = fragment + header;

  /* "The total reassembly buffer per message is bounded by max-message-size":
   * what this fragment reaches, with its header, must fit. */
  if (header + e > r->max_message_size)
    {
      g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE,
                   "fragment of transaction %016" G_GINT64_MODIFIER "x at offset %" G_GSIZE_FORMAT
                   " (%" G_GSIZE_FORMAT " bytes) reaches beyond max-message-size %" G_GSIZE_FORMAT
                   ": message dropped",
                   tid, s, n, r->max_message_size);
      if (a != NULL)
        drop (r, a);
      return FALSE;
    }

  if (a != NULL)
    {
      const char *conflict = NULL;
      if (a->have_total && e > a->total)
        conflict = "reaches beyond the end that the last fragment set";
      else if (last && a->have_total && e != a->total)
        conflict = "is marked last but ends elsewhere than the earlier last fragment";
      else if (last && !a->have_total && a->max_end > e)
        conflict = "is marked last but earlier fragments reach beyond it";
      if (conflict != NULL)
        {
          g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT,
                       "fragment of transaction %016" G_GINT64_MODIFIER
                       "x at offset %" G_GSIZE_FORMAT " (%" G_GSIZE_FORMAT
                       " bytes) %s: message dropped",
                       tid, s, n, conflict);
          drop (r, a);
          return FALSE;
        }
    }
  else if (g_hash_table_size (r->table) >= r->max_reassemblies)
    {
      g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT,
                   "max-reassemblies (%u) incomplete messages are already held: fragment of "
                   "transaction %016" G_GINT64_MODIFIER "x dropped",
                   r->max_reassemblies, tid);
      return FALSE;
    }

  g_autoptr (GArray) gaps = g_array_new (FALSE, FALSE, sizeof (Gap));
  if (a != NULL)
    {
      gsize where = 0;
      if (!scan_pieces (a, s, data, n, gaps, &where))
        {
          g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_CONFLICT,
                       "fragment of transaction %016" G_GINT64_MODIFIER
                       "x at offset %" G_GSIZE_FORMAT " (%" G_GSIZE_FORMAT
                       " bytes) overlaps earlier fragments "
                       "with different bytes (payload offset %" G_GSIZE_FORMAT "): message dropped",
                       tid, s, n, where);
          drop (r, a);
          return FALSE;
        }
    }
  else if (n > 0)
    g_array_append_val (gaps, ((Gap){ s, n }));

  /* The budget: new data, a charge per piece, the header copy, and one
   * charge for the reassembly itself. */
  gboolean store_header = s == 0 && (a == NULL || a->header == NULL);
  gsize cost = (a == NULL ? RELOAD_REASSEMBLER_PIECE_OVERHEAD : 0) + (store_header ? header : 0);
  for (guint i = 0; i < gaps->len; i++)
    cost += g_array_index (gaps, Gap, i).len + RELOAD_REASSEMBLER_PIECE_OVERHEAD;
  if (r->buffered > r->max_buffered || cost > r->max_buffered - r->buffered)
    {
      g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_LIMIT,
                   "max-buffered (%" G_GSIZE_FORMAT " bytes) would be exceeded by the fragment of "
                   "transaction %016" G_GINT64_MODIFIER "x at offset %" G_GSIZE_FORMAT
                   ": message dropped",
                   r->max_buffered, tid, s);
      if (a != NULL)
        drop (r, a);
      return FALSE;
    }

  if (a == NULL)
    {
      a = g_new0 (Reassembly, 1);
      a->link = link;
      a->transaction_id = tid;
      a->pieces = g_tree_new_full (offset_compare, NULL, NULL, g_free);
      /* Age counts from the first fragment.  Deadlines never decrease along
       * the queue, even if the caller's clock did. */
      a->deadline = saturating_add (now_us, r->timeout_us);
      if (r->order.tail != NULL)
        a->deadline = MAX (a->deadline, ((Reassembly *) r->order.tail->data)->deadline);
      a->qlink.data = a;
      g_queue_push_tail_link (&r->order, &a->qlink);
      g_hash_table_add (r->table, a);
    }
  a->charged += cost;
  r->buffered += cost;

  if (store_header)
    {
      /* The reassembled message takes the header of the fragment at offset
       * 0: the same whichever order the fragments came in. */
      a->header = g_memdup2 (fragment, header);
      a->header_len = header;
    }
  for (guint i = 0; i < gaps->len; i++)
    {
      const Gap *g = &g_array_index (gaps, Gap, i);
      Piece *p = g_malloc (sizeof (Piece) + g->len);
      p->start = g->start;
      p->len = g->len;
      memcpy (p->data, data + (g->start - s), g->len);
      g_tree_insert (a->pieces, GSIZE_TO_POINTER (p->start), p);
      a->covered += g->len;
    }
  a->max_end = MAX (a->max_end, e);
  if (last)
    {
      a->have_total = TRUE;
      a->total = e;
    }

  if (!a->have_total || a->covered != a->total || a->header == NULL)
    return TRUE;

  /* Complete.  The header of offset 0 may be longer than the one checked
   * against max-message-size with the last fragment. */
  if (a->header_len + a->total > r->max_message_size)
    {
      g_set_error (error, RELOAD_FRAGMENT_ERROR, RELOAD_FRAGMENT_ERROR_TOO_LARGE,
                   "reassembled message of transaction %016" G_GINT64_MODIFIER "x (%" G_GSIZE_FORMAT
                   " bytes) exceeds max-message-size %" G_GSIZE_FORMAT ": message dropped",
                   tid, a->header_len + a->total, r->max_message_size);
      drop (r, a);
      return FALSE;
    }
  *out_complete = assemble (a);
  drop (r, a);
  return TRUE;
}
