/* reload-fragment.h: fragmentation and reassembly of RELOAD messages
 * (RFC 6940 §6.7).
 *
 * Both work on raw message bytes: a forwarding header (§6.3.2: 38 fixed
 * bytes, then the via list, destination list and options whose byte
 * lengths are the u16 fields at offsets 32, 34 and 36) followed by the
 * payload (message contents and security block).  Only the header's fixed
 * part is checked here (token, version, fragment high bit, length field,
 * list lengths within the message); the message codec judges the rest
 * once the message is whole.
 *
 * §6.7 in short: each fragment carries a full copy of the forwarding
 * header; the fragment field's 24-bit offset is "the number of bytes
 * between the end of the forwarding header and the start of the data",
 * i.e. the position of this fragment's payload within the original
 * payload; the last fragment has 0x40000000 set; the length field is the
 * size "after fragmentation" (the fragment's own size).  An unfragmented
 * message is the only fragment: 0xC0000000.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rw-codec.h"

G_BEGIN_DECLS

#define RELOAD_FRAGMENT_ERROR (reload_fragment_error_quark ())
GQuark reload_fragment_error_quark (void);

/* Malformed headers fail with RELOAD_WIRE_ERROR (TRUNCATED, LENGTH,
 * BAD_TOKEN, BAD_VERSION, BAD_FRAGMENT); these are the conditions of
 * fragmentation itself. */
typedef enum
{
  /* split: a fragment cannot hold the header plus RELOAD_FRAGMENT_MIN_BODY
   * bytes of body, so §6.7 says not to fragment (send it whole and let IP
   * fragment it). */
  RELOAD_FRAGMENT_ERROR_NO_ROOM,
  /* the message (whole, or as far as this fragment reaches) exceeds
   * max-message-size, or an offset does not fit 24 bits */
  RELOAD_FRAGMENT_ERROR_TOO_LARGE,
  /* fragments of one message disagree: overlapping bytes differ, two last
   * fragments end at different places, data lies beyond the last one */
  RELOAD_FRAGMENT_ERROR_CONFLICT,
  /* a global bound of the reassembler (max-reassemblies, max-buffered) */
  RELOAD_FRAGMENT_ERROR_LIMIT,
} ReloadFragmentError;

/* §6.7: every fragment "MUST contain at least 256 bytes of the message body". */
#define RELOAD_FRAGMENT_MIN_BODY 256
/* §6.7: fragments "no larger than the Path MTU (PMTU) of the next overlay
 * link minus 32 bytes", so the via list can grow.  The caller subtracts it
 * when choosing max_fragment_size. */
#define RELOAD_FRAGMENT_VIA_HEADROOM 32
/* §6.7: incomplete fragments time out after the maximum request lifetime. */
#define RELOAD_REASSEMBLY_TIMEOUT_US (15 * G_USEC_PER_SEC)
/* Concurrent incomplete reassemblies, all links together. */
#define RELOAD_REASSEMBLER_DEFAULT_MAX_REASSEMBLIES 64
/* Bytes held by incomplete reassemblies, all together (at least
 * max-message-size plus the bookkeeping of its fragments, so that one
 * message of the largest size can always be reassembled).  Each stored piece is charged its data plus
 * RELOAD_REASSEMBLER_PIECE_OVERHEAD, so that tiny fragments cannot make
 * the bookkeeping outgrow the bound. */
#define RELOAD_REASSEMBLER_DEFAULT_MAX_BUFFERED (16 * 1024 * 1024)
#define RELOAD_REASSEMBLER_PIECE_OVERHEAD 64

/* Parses the fixed part of a forwarding header.  Returns the header's
 * size (38 + the three lists) or 0 with @error set.  Any of the out
 * pointers may be NULL. */
gsize reload_fragment_parse_header (const guint8 *message, gsize len, guint32 *fragment,
                                    guint64 *transaction_id, GError **error);

/* Splits a message into fragments of at most @max_fragment_size bytes each
 * (header copy included), as equal in size as possible (§6.7 "SHOULD be
 * split into equal-sized fragments"), each carrying at least
 * RELOAD_FRAGMENT_MIN_BODY bytes of body except the last, which carries
 * the rest.  Returns a GPtrArray of GBytes (freeing its elements).
 *
 * A message that fits is returned unchanged as the only element.  A
 * fragment may be refragmented: its pieces keep offsets within the
 * original payload and only the last piece of a last fragment is marked
 * last.  Fails (NULL) on a malformed header, with
 * RELOAD_FRAGMENT_ERROR_NO_ROOM when @max_fragment_size cannot hold the
 * header plus RELOAD_FRAGMENT_MIN_BODY bytes, and with _TOO_LARGE when an
 * offset would not fit 24 bits. */
GPtrArray *reload_fragment_split (const guint8 *message, gsize len, gsize max_fragment_size,
                                  GError **error);

/* Sans-I/O reassembler (§6.7) for the messages of which this node is the
 * destination.  Time is the caller's (any monotonic microsecond clock). */
typedef struct ReloadReassembler ReloadReassembler;

/* @max_message_size bounds a reassembled message (header included): a
 * fragment reaching beyond it is refused and its message dropped
 * (0: only the length field's 32 bits bound it).  @timeout_us <= 0 means
 * RELOAD_REASSEMBLY_TIMEOUT_US. */
ReloadReassembler *reload_reassembler_new (gsize max_message_size, gint64 timeout_us);
void reload_reassembler_free (ReloadReassembler *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadReassembler, reload_reassembler_free)

/* Changes the global bounds: @max_reassemblies incomplete messages at once
 * (0: the default) and @max_buffered bytes held by them (0: the default;
 * raised to max-message-size, plus a charge per 256 bytes, when below). */
void reload_reassembler_set_limits (ReloadReassembler *r, guint max_reassemblies,
                                    gsize max_buffered);

/* Adds one received message or fragment.  Fragments are grouped by
 * (@link, transaction id): @link is any value that names the sender (the
 * overlay link it came on), compared as a pointer, since transaction ids
 * of different senders may collide.
 *
 * Returns TRUE when the input was accepted; *@out_complete is then the
 * whole message when this input completed one (the header of the fragment
 * at offset 0, fragment = 0xC0000000, length = the whole size, then the
 * payload), or NULL when more fragments are awaited.  An unfragmented
 * message (fragment 0xC0000000, reserved bits ignored) comes straight back.
 * Duplicates and fragments arriving in any order are fine.
 *
 * Returns FALSE with @error set when the input is refused: a malformed
 * header (RELOAD_WIRE_ERROR; nothing else changes), or one of the
 * RELOAD_FRAGMENT_ERROR conditions, which also drop the whole message
 * being reassembled ("if the receiver runs out of buffer space to
 * reassemble a message, it MUST drop the message"; conflicting bytes leave
 * no way to tell which copy is genuine).  Before anything else, expired
 * reassemblies are dropped (as by reload_reassembler_expire()). */
gboolean reload_reassembler_add (ReloadReassembler *r, gconstpointer link, const guint8 *fragment,
                                 gsize len, gint64 now_us, GBytes **out_complete, GError **error);

/* Drops incomplete messages whose first fragment arrived @timeout_us or
 * more before @now_us (age counts from the first fragment, so a trickle of
 * fragments cannot keep a message alive).  Returns how many were dropped. */
guint reload_reassembler_expire (ReloadReassembler *r, gint64 now_us);
/* When the next incomplete message expires (for a timer), or -1 when none
 * is held. */
gint64 reload_reassembler_next_expiry (const ReloadReassembler *r);
/* Drops every incomplete message from @link (call it when the link closes:
 * its key may be reused).  Returns how many were dropped. */
guint reload_reassembler_forget_link (ReloadReassembler *r, gconstpointer link);

/* Incomplete messages held, and the bytes charged for them. */
guint reload_reassembler_count (const ReloadReassembler *r);
gsize reload_reassembler_buffered (const ReloadReassembler *r);

G_END_DECLS
