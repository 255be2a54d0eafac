/* chorus-sip-message.h: SIP messages on libosip2: the checks that make a
 * parsed message one the user agent may act on, and the building of
 * requests and responses.
 *
 * libosip2's parser (osip_message_parse) is lenient (NOTES.md): it accepts
 * an unknown SIP version, overlarge numbers and missing headers.  So every
 * received message goes through chorus_sip_message_parse(), which adds the
 * checks of RFC 3261 §7, §8.1.1, §8.2 and §20 that libosip2 leaves out,
 * with the outcomes RFC 4475 asks for: a request that can be answered gets
 * a status (400, 505), a response or a message that cannot be parsed is
 * dropped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-osip.h"

G_BEGIN_DECLS

/* RFC 3261 §8.1.1.7: every branch this UA makes starts with it. */
#define CHORUS_SIP_MAGIC_COOKIE "z9hG4bK"

typedef enum
{
  CHORUS_SIP_PARSE_OK,     /* act on it */
  CHORUS_SIP_PARSE_REJECT, /* a request to answer with *status (the message is returned) */
  CHORUS_SIP_PARSE_DROP,   /* nothing to answer: not SIP, or a bad response */
} ChorusSipParseResult;

/* Parses @data (one whole message, RFC 3261 §7; bytes after the body, as
 * in a UDP datagram, are ignored, RFC 4475 §3.1.1.8) and checks it:
 *   - the version is SIP/2.0 (§7.1; a request otherwise gets 505),
 *   - Via, From, To, Call-ID and CSeq are present (§8.1.1; 400),
 *   - the CSeq number is below 2^31 and its method is the request's
 *     (§8.1.1.5, §8.2: RFC 4475 scalar02, mismatch01/02; 400),
 *   - Max-Forwards is 0..255 when present (§20.22; 400), Content-Length a
 *     number (§20.14; 400, RFC 4475 ncl), Expires and the Contact expires
 *     parameter below 2^32 (§20.19, §10.2.1.1; 400),
 *   - the Request-URI has no headers part (§19.1.1: not allowed in a
 *     Request-URI; RFC 4475 escruri; 400),
 *   - a response's status is 100..699 (§7.2; RFC 4475 bigcode: dropped).
 * *@out gets the message for OK and REJECT (free with osip_message_free);
 * *@status the status to answer with for REJECT; *@error why for REJECT and
 * DROP. */
ChorusSipParseResult chorus_sip_message_parse (const guint8 *data, gsize len, osip_message_t **out,
                                               int *status, GError **error);

/* The message as bytes to send. */
GBytes *chorus_sip_message_to_bytes (osip_message_t *msg);
osip_message_t *chorus_sip_message_clone (const osip_message_t *msg);

gboolean chorus_sip_message_is_request (const osip_message_t *msg);
/* The request's method, or the CSeq method of a response. */
const char *chorus_sip_message_method (const osip_message_t *msg);
guint32 chorus_sip_message_cseq (const osip_message_t *msg);
/* The branch of the top Via, or NULL. */
const char *chorus_sip_message_branch (const osip_message_t *msg);
/* The tag of From or To, or NULL. */
const char *chorus_sip_message_from_tag (const osip_message_t *msg);
const char *chorus_sip_message_to_tag (const osip_message_t *msg);
/* "number@host" or "number", newly allocated. */
char *chorus_sip_message_call_id (const osip_message_t *msg);
/* The value of the first header named @name (case-insensitive; libosip2
 * keeps the headers it has no structure for by name), or NULL. */
const char *chorus_sip_message_header (const osip_message_t *msg, const char *name);
/* "type/subtype" of Content-Type, lower case, or NULL. */
char *chorus_sip_message_content_type (const osip_message_t *msg);
/* The first body, or NULL with *@len 0. */
const char *chorus_sip_message_body (const osip_message_t *msg, gsize *len);
/* URI of From, To, Contact or the Request-URI as text (newly allocated). */
char *chorus_sip_uri_to_string (const osip_uri_t *uri);
char *chorus_sip_message_from_uri (const osip_message_t *msg);
char *chorus_sip_message_to_uri (const osip_message_t *msg);
char *chorus_sip_message_contact_uri (const osip_message_t *msg);

/* RFC 3261 §8.2.6: a response to @request: its Vias, From, To (with
 * @to_tag added when the To has none and @status is not 100, §8.2.6.2),
 * Call-ID and CSeq; @reason NULL for the standard phrase. */
osip_message_t *chorus_sip_response_new (const osip_message_t *request, int status,
                                         const char *reason, const char *to_tag);

/* A request with the headers every request needs (RFC 3261 §8.1.1): the
 * Request-URI @ruri, To @to (a URI, tag @to_tag or NULL), From @from (a URI
 * or a name-addr, tag @from_tag), Call-ID, CSeq @cseq @method, one Via
 * "SIP/2.0/@transport @via_host;branch=@branch", Max-Forwards 70.  NULL
 * when a URI does not parse. */
osip_message_t *chorus_sip_request_new (const char *method, const char *ruri, const char *from,
                                        const char *from_tag, const char *to, const char *to_tag,
                                        const char *call_id, guint32 cseq, const char *transport,
                                        const char *via_host, const char *branch);

/* Sets the body and its Content-Type (replacing any). */
void chorus_sip_message_set_body (osip_message_t *msg, const char *content_type, const char *body,
                                  gsize len);
/* Adds a header (libosip2 stores it by name). */
void chorus_sip_message_add_header (osip_message_t *msg, const char *name, const char *value);

/* RFC 3261 §8.1.1.7, §19.3: a branch with the magic cookie, a tag, a
 * Call-ID; all from @rand. */
char *chorus_sip_new_branch (GRand *rand);
char *chorus_sip_new_tag (GRand *rand);
char *chorus_sip_new_call_id (GRand *rand, const char *host);

G_END_DECLS
