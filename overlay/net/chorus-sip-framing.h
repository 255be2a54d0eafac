/* chorus-sip-framing.h: whole SIP messages out of a byte stream (RFC 3261
 * §18.3), for the TCP side of the SIP adapter (chorus-sip-transport.h).
 *
 * Framing only, not SIP parsing: a message is its header section up to
 * and including the first CRLFCRLF, then exactly Content-Length bytes of
 * body.  To find Content-Length the framer reads header names and nothing
 * else: a header line is "name HCOLON value" (§7.3.1, §25.1: HCOLON is
 * *(SP / HTAB) ":" SWS), a line that starts with SP or HTAB continues the
 * one before (header folding, §7.3.1), the start-line (§7.1, §7.2) is no
 * header, and the name "Content-Length" or its compact form "l" (§20.14,
 * §7.3.3) is matched case-insensitively (§7.3.1: field names are
 * case-insensitive).  Everything else, the start-line included, is for
 * the SIP parser later (libosip2).
 *
 * The rules, each a reason to call the stream broken (the connection is
 * then closed: a stream cannot be resynchronised after a framing error):
 *   - §18.3, §20.14: "If a stream-based protocol (such as TCP) is used as
 *     transport, the header field MUST be used."  A message without
 *     Content-Length is refused (CHORUS_SIP_FRAMING_ERROR_NO_LENGTH), not
 *     read as a message without a body: its body, if it has one, would be
 *     taken for the start of the next message (a way to smuggle a message
 *     past whatever looked at the first);
 *   - a Content-Length that is not 1*DIGIT (§20.14, §25.1) surrounded by
 *     linear white space, or several Content-Length headers that disagree
 *     (the same smuggling hazard), is refused (BAD_LENGTH);
 *   - a header section longer than max_header bytes, or a message longer
 *     than max_message, is refused (TOO_LARGE) as soon as it is known:
 *     the header section when max_header bytes came without CRLFCRLF, the
 *     message when its Content-Length is read (no waiting for the body).
 *
 * Between messages, CR and LF bytes are skipped (§7.5: "Implementations
 * processing SIP messages over stream-oriented transports MUST ignore any
 * CRLF appearing before the start-line"; a lone CR or LF is skipped as
 * well, for robustness).  A double CRLF there is the keep-alive "ping" of
 * RFC 5626 §3.5.1 and is reported (CHORUS_SIP_FRAME_PING) so that the
 * transport answers it with the single-CRLF "pong"; a single CRLF (a pong)
 * is skipped silently.
 *
 * The framer is pure (no I/O, no clock) and bounded: after
 * chorus_sip_framer_next() returned NEED_MORE, it holds less than
 * max_message bytes; a caller that pushes at most CHUNK bytes at a time
 * and then calls next() until NEED_MORE or ERROR never has more than
 * max_message + CHUNK bytes buffered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CHORUS_SIP_FRAMING_ERROR (chorus_sip_framing_error_quark ())
GQuark chorus_sip_framing_error_quark (void);

typedef enum
{
  CHORUS_SIP_FRAMING_ERROR_TOO_LARGE,  /* header section or message over its bound */
  CHORUS_SIP_FRAMING_ERROR_NO_LENGTH,  /* no Content-Length (§18.3, §20.14) */
  CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH, /* not a number, or several that disagree */
} ChorusSipFramingError;

/* The bounds of the SIP adapter: 16 KiB of header section, 64 KiB in all
 * (a SIP message over UDP is at most 65535 bytes anyway). */
#define CHORUS_SIP_FRAMING_MAX_HEADER (16u * 1024u)
#define CHORUS_SIP_FRAMING_MAX_MESSAGE (64u * 1024u)

typedef enum
{
  CHORUS_SIP_FRAME_NEED_MORE, /* no whole message buffered: push more */
  CHORUS_SIP_FRAME_MESSAGE,   /* one whole message */
  CHORUS_SIP_FRAME_PING,      /* a double-CRLF keep-alive (RFC 5626 §3.5.1): answer "\r\n" */
  CHORUS_SIP_FRAME_ERROR,     /* the stream is broken (sticky): close the connection */
} ChorusSipFrameResult;

typedef struct _ChorusSipFramer ChorusSipFramer;

/* A framer with these bounds (0: the CHORUS_SIP_FRAMING_MAX_* default);
 * @max_header is at most @max_message. */
ChorusSipFramer *chorus_sip_framer_new (gsize max_header, gsize max_message);
void chorus_sip_framer_free (ChorusSipFramer *framer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipFramer, chorus_sip_framer_free)

/* Appends @len bytes of the stream (ignored after an ERROR). */
void chorus_sip_framer_push (ChorusSipFramer *framer, const guint8 *data, gsize len);

/* The next event of what was pushed.  MESSAGE sets *@message and *@len to
 * the message (header section, CRLFCRLF and body), valid until the next
 * call on @framer; it never starts with CR or LF.  ERROR sets @error the
 * first time, and every later call returns ERROR again. */
ChorusSipFrameResult chorus_sip_framer_next (ChorusSipFramer *framer, const guint8 **message,
                                             gsize *len, GError **error);

/* The bytes pushed and neither returned in a message nor skipped (CR and
 * LF between messages): the start of the next message.  Valid until the
 * next call on @framer. */
const guint8 *chorus_sip_framer_peek (ChorusSipFramer *framer, gsize *len);

G_END_DECLS
