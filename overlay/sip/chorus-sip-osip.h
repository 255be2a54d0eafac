/* chorus-sip-osip.h: libosip2, included the one way that compiles, and
 * initialised once.
 *
 * libosip2 5.3 uses time_t and struct timeval in its headers without
 * including their headers (NOTES.md), and its parser needs parser_init()
 * once per process.  Its trace facility writes parse errors to stderr; it
 * goes to g_debug() in the "chorus-sip" domain instead
 * (G_MESSAGES_DEBUG=chorus-sip shows it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sys/time.h>
#include <time.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/sdp_message.h>

#include <glib.h>

G_BEGIN_DECLS

/* Idempotent and thread-safe. */
void chorus_sip_osip_init (void);

G_END_DECLS
