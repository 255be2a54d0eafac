/* media-candidate.h: ICE candidates as SDP carries them, the
 * candidate-attribute of RFC 8839 §5.1:
 *
 *   candidate:<foundation> <component-id> <transport> <priority>
 *             <connection-address> <port> typ <cand-type>
 *             [raddr <rel-addr>] [rport <rel-port>] *(<ext-name> <ext-value>)
 *
 * e.g. "candidate:1 1 UDP 2015363327 127.0.0.1 40537 typ host".  The SDP
 * layer writes it after "a="; the parser takes it with or without "a="
 * (hostile input: bounded, every field checked).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <agent.h>
#include <glib.h>

G_BEGIN_DECLS

/* The longest candidate line taken (RFC 8839 sets no limit; a line with
 * every field at its longest and a few extensions stays far below). */
#define MEDIA_CANDIDATE_MAX_LENGTH 1024

/* The attribute value for one local candidate (without "a="). */
char *media_candidate_to_string (const NiceCandidate *candidate);

/* Parses one remote candidate.  FALSE with CALL_MEDIA_ERROR_INVALID when
 * the line does not follow RFC 8839 §5.1.  TRUE with *out NULL for a
 * well-formed candidate that this agent cannot use (transport other than
 * UDP, an FQDN or mDNS name instead of an address, an unknown type): the
 * grammar allows them and a peer may send them, so they are skipped, not
 * errors.  *out has stream_id 0: the caller sets it. */
gboolean media_candidate_parse (const char *line, NiceCandidate **out, GError **error);

G_END_DECLS
