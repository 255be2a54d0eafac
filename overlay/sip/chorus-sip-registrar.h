/* chorus-sip-registrar.h: a sans-I/O SIP registrar (RFC 3261 §10.3) with
 * digest authentication (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760), for
 * the adapter peer that serves plain SIP phones (RFC 7890 §3: a phone
 * REGISTERs as sip:USER@OVERLAY and is reached through the adapter).
 *
 * Like the user agent (chorus-sip-ua.h) it is fed what arrives and the
 * time, and has no sockets, timers or threads: chorus_sip_registrar_handle()
 * gets one whole REGISTER from a connection (an opaque id the caller
 * chooses: a TCP connection, or a UDP remote address) and returns the
 * response to send back on that connection.  Bindings change only inside
 * handle(), tick() and connection_closed(), which report each change as an
 * event before they return.  Every time is in ms on the caller's monotonic
 * clock; only the Date header (§20.17) reads a wall clock.
 *
 * The rules, in the order of RFC 3261 §10.3 (each step's status is what
 * the REGISTER gets, and processing stops there):
 *
 *   0. the message: what libosip2 cannot parse, a response, and any method
 *      but REGISTER are not answered (NULL with CHORUS_SIP_REGISTRAR_ERROR:
 *      the adapter routes other requests elsewhere); a REGISTER failing the
 *      checks of chorus-sip-message.h (a missing To, From, Call-ID, CSeq or
 *      Via, §8.1.1; a bad CSeq, Expires or Content-Length) gets 400, and
 *      one of another SIP version 505 (§7.1, §21.5.7).
 *      A retransmission (same connection, top Via branch, Call-ID, CSeq
 *      and From tag as an authenticated REGISTER answered in the last
 *      64*T1 = 32 s, the lifetime of a non-INVITE server transaction,
 *      §17.2.2 Timer J) gets the same response again instead of being
 *      processed twice: the second pass would fail the nonce-count and
 *      CSeq checks.
 *   1. the Request-URI (§10.3 step 1): a sip: or sips: URI (416 otherwise,
 *      §8.2.2.1) whose host is the domain or one of the aliases.  Another
 *      domain gets 404 (§21.4.4: "the domain in the Request-URI does not
 *      match any of the domains handled by the recipient"): the adapter
 *      registers for its overlay only and does not forward REGISTERs to
 *      other domains (step 1's SHOULD applies to registrars that are also
 *      general proxies).
 *   2. Require (§10.3 step 2, §8.2.2.3): no extension is supported (not
 *      path, RFC 3327, nor outbound, RFC 5626, nor gruu, RFC 5627), so any
 *      option tag gets 420 with those tags in Unsupported.
 *   3. authentication (§10.3 step 3, §22.2): the Digest scheme with qop
 *      "auth" (RFC 2617 §3.2.1), algorithm MD5, and SHA-256 (RFC 8760 §2.3:
 *      the SHA-256 challenge first) when offer_sha256.  A REGISTER without
 *      credentials for our realm gets 401 with a fresh challenge
 *      (WWW-Authenticate: Digest realm, nonce, algorithm, qop="auth").
 *      Credentials:
 *        - missing directives (username, realm, nonce, uri, response; nc
 *          and cnonce with qop), an nc that is not 8 hex digits, a qop
 *          other than "auth", or a uri that is not the Request-URI get 400
 *          (RFC 2617 §3.2.2: "the proper response is 400 Bad Request";
 *          §3.2.2.5 for the uri);
 *        - an algorithm other than MD5 or SHA-256 gets a new challenge;
 *        - a nonce this registrar did not make (its HMAC does not verify),
 *          an unknown user or a wrong response (wrong password) get 401
 *          with a new challenge (stale=false): the credentials were
 *          refused, and the user may try another password (RFC 7235 §3.1's
 *          meaning of a 401 to a request with credentials).  Unknown users
 *          and wrong passwords get the same answer, so that the registrar
 *          does not tell who exists;
 *        - a genuine nonce older than nonce_lifetime_s, with a correct
 *          response, gets 401 stale=true (RFC 2617 §3.2.1: the client may
 *          retry with the new nonce without asking the user);
 *        - the nonce count must grow (RFC 2617 §3.2.2: nc lets the server
 *          detect replays): an nc at or below the highest one accepted for
 *          that nonce gets 401 stale=true and a new nonce, so a replayed
 *          request does nothing and a confused client just starts over.
 *          A response without qop (the RFC 2069 form, which RFC 2617
 *          §3.2.2 still computes) makes its nonce single-use.
 *      A nonce is 64 hex digits: the issue time (ms, 8 bytes), 8 salt
 *      bytes, and the first 16 bytes of HMAC-SHA256(secret, time || salt ||
 *      realm): stateless to check.  The nc state is kept per nonce from
 *      its first accepted use until it is no longer fresh, for at most
 *      CHORUS_SIP_REGISTRAR_MAX_NONCES nonces (beyond that a new nonce gets
 *      401 stale=true until some expire).
 *   4. authorization (§10.3 step 4): the authenticated user may change the
 *      bindings of its own AOR only: the Authorization username must be
 *      the user part of To (case-sensitive, §19.1.4), else 403.
 *   5. the AOR (§10.3 step 5): To must be a sip: or sips: URI whose host is
 *      the domain (the aliases name the registrar, not users' domains),
 *      else 404.  The AOR is its canonical form, "sip:USER@domain"
 *      (chorus_sip_aor_normalize(): parameters dropped, escapes resolved).
 *   6. "Contact: *" (§10.3 step 6) removes all bindings of the AOR; it must
 *      be the only Contact and come with "Expires: 0", else 400.  A
 *      binding with the request's Call-ID and a CSeq at or above the
 *      request's makes the whole request fail with 500 (steps 6 and 7:
 *      "the update MUST be aborted and the request fails", and "the request
 *      MUST fail with a 500 (Server Error)").
 *   7. each Contact (§10.3 step 7): its expires parameter, else Expires,
 *      else default_expires_s.  0 < expires < min_expires_s (and below one
 *      hour) gets 423 Interval Too Brief with Min-Expires; more than
 *      max_expires_s is shortened to it.  Bindings are found by URI
 *      equality (§19.1.4); an existing one with another Call-ID, or with
 *      this Call-ID and a lower CSeq, is updated (or removed for expires
 *      0); with this Call-ID and a CSeq at or above the request's the
 *      request fails with 500.  A Contact with expires 0 that names no
 *      binding does nothing.  All changes apply together or not at all.
 *      More than max_bindings_per_aor bindings, or a request with more
 *      than twice that many Contacts, get 403 "Too Many Bindings" (RFC
 *      3261 names no status; 403: retrying will not help until bindings
 *      go).  The +sip.instance parameter (RFC 5626 §4.1) is kept and
 *      reported, but does not identify bindings (no outbound support).
 *   8. 200 OK (§10.3 step 8) listing every current binding of the AOR, each
 *      with an expires parameter giving its remaining seconds, and a Date
 *      header (§20.17).  A REGISTER without Contact is a query and gets
 *      the same list.
 *
 * Every response gets a To tag (§8.2.6.2) and copies the Vias (§8.2.6.2);
 * adding "received" and "rport" to the top Via (§18.2.1, RFC 3581) is the
 * transport's business, which knows the source address.
 *
 * A connection that closes takes the bindings registered over it with it
 * (REMOVED events, chorus_sip_registrar_connection_closed()): the adapter
 * reaches a phone on the connection its REGISTER came on (a phone behind a
 * NAT on TCP is reachable no other way), and without RFC 5626 there is no
 * flow to recover; the phone registers again when it reconnects.  The
 * caller calls it for connection-oriented transports only (a UDP "conn"
 * never closes).
 *
 * Sizes are bounded: messages by chorus_sip_message_parse() (64 KiB),
 * bindings by the users table (only authenticated users have any) and
 * max_bindings_per_aor, nonces and cached responses by the limits below.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-aor.h"
#include "chorus-sip-transaction.h"

G_BEGIN_DECLS

#define CHORUS_SIP_REGISTRAR_ERROR (chorus_sip_registrar_error_quark ())
GQuark chorus_sip_registrar_error_quark (void);

typedef enum
{
  CHORUS_SIP_REGISTRAR_ERROR_CONFIG,       /* a bad configuration (new) */
  CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE,  /* not a SIP message one can answer */
  CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER, /* a response, or a request that is not REGISTER */
} ChorusSipRegistrarError;

/* Nonces whose nc is tracked at once, and responses kept for
 * retransmissions. */
#define CHORUS_SIP_REGISTRAR_MAX_NONCES 4096
#define CHORUS_SIP_REGISTRAR_MAX_CACHED 1024

typedef enum
{
  CHORUS_SIP_DIGEST_MD5,    /* RFC 2617 */
  CHORUS_SIP_DIGEST_SHA256, /* RFC 7616 §3.3, RFC 8760 */
} ChorusSipDigestAlgorithm;

/* RFC 2617 §3.2.2.1, RFC 7616 §3.4.1: the request-digest, lower-case hex.
 * HA1 = H(username:realm:password), HA2 = H(method:uri); with @qop ("auth")
 * H(HA1:nonce:nc:cnonce:qop:HA2), without (NULL: the RFC 2069 form)
 * H(HA1:nonce:HA2). */
char *chorus_sip_digest_response (ChorusSipDigestAlgorithm algorithm, const char *username,
                                  const char *realm, const char *password, const char *method,
                                  const char *uri, const char *nonce, const char *nc,
                                  const char *cnonce, const char *qop);

typedef struct _ChorusSipRegistrar ChorusSipRegistrar;

typedef struct
{
  const char *domain;         /* required: the overlay name; AORs are sip:USER@domain */
  const char *const *aliases; /* NULL-terminated, or NULL: more Request-URI hosts (the
                                 adapter's host name or address, RFC 3261 §10.2's
                                 "registrar.biloxi.com") */
  const char *realm;          /* the digest realm; NULL: domain */
  /* required: USER's password, or NULL for a user that does not exist
   * (the users file); called with the user_data of new() */
  const char *(*password) (const char *user, gpointer user_data);
  /* 0: the defaults 60, 3600, and min(3600, max_expires_s) */
  guint min_expires_s, max_expires_s, default_expires_s;
  guint nonce_lifetime_s;     /* 0: 300 */
  guint max_bindings_per_aor; /* 0: 10 */
  gboolean offer_sha256;      /* challenge with SHA-256 (first) and MD5 */
  /* the nonce HMAC key (any length); NULL: 32 random bytes */
  const guint8 *secret;
  gsize secret_len;
  guint32 seed; /* To tags and nonce salts; 0: random */
  /* the wall clock for Date, µs since 1970 (called with new()'s user_data);
   * NULL: g_get_real_time() */
  gint64 (*real_time) (gpointer user_data);
} ChorusSipRegistrarConfig;

typedef enum
{
  CHORUS_SIP_REGISTRAR_BINDING_ADDED,     /* a new binding */
  CHORUS_SIP_REGISTRAR_BINDING_REFRESHED, /* re-registered (expiry, conn, instance updated) */
  CHORUS_SIP_REGISTRAR_BINDING_REMOVED,   /* expires=0, "*", or its connection closed */
  CHORUS_SIP_REGISTRAR_BINDING_EXPIRED,   /* not refreshed in time (tick) */
} ChorusSipRegistrarEventType;

typedef struct
{
  ChorusSipRegistrarEventType type;
  const char *aor;      /* "sip:USER@domain" */
  const char *user;     /* USER */
  const char *contact;  /* the Contact URI */
  ChorusSipConnId conn; /* where its REGISTER came from: where to send the phone requests */
  guint expires_s;      /* ADDED, REFRESHED: the interval granted; else 0 */
  const char *instance; /* the +sip.instance value without quotes and brackets
                           ("urn:uuid:..."), or NULL */
} ChorusSipRegistrarEvent;

typedef void (*ChorusSipRegistrarEventFunc) (const ChorusSipRegistrarEvent *event,
                                             gpointer user_data);

/* NULL with *@error (CONFIG) when the domain or the password callback is
 * missing, or the intervals contradict each other (min > max, an explicit
 * default outside [min, max]).  @event may be NULL. */
ChorusSipRegistrar *chorus_sip_registrar_new (const ChorusSipRegistrarConfig *config,
                                              ChorusSipRegistrarEventFunc event, gpointer user_data,
                                              GError **error);
void chorus_sip_registrar_free (ChorusSipRegistrar *registrar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipRegistrar, chorus_sip_registrar_free)

/* One whole message from @conn.  Returns the response to send on @conn,
 * or NULL with *@error when the message is not a REGISTER (NOT_REGISTER)
 * or cannot be answered at all (UNPARSEABLE).  The binding events come
 * before it returns. */
GBytes *chorus_sip_registrar_handle (ChorusSipRegistrar *registrar, ChorusSipConnId conn,
                                     const guint8 *data, gsize len, gint64 now_ms, GError **error);

/* Expires the bindings due at @now_ms (EXPIRED events), and forgets spent
 * nonces and old cached responses. */
void chorus_sip_registrar_tick (ChorusSipRegistrar *registrar, gint64 now_ms);
/* When the next binding expires (ms), or -1 when there is none. */
gint64 chorus_sip_registrar_next_timeout (ChorusSipRegistrar *registrar);

/* The connection is gone: the bindings registered over it go (REMOVED
 * events), and the responses cached for it. */
void chorus_sip_registrar_connection_closed (ChorusSipRegistrar *registrar, ChorusSipConnId conn,
                                             gint64 now_ms);

typedef struct
{
  char *aor;
  char *contact;  /* the Contact URI */
  char *instance; /* as in ChorusSipRegistrarEvent, or NULL */
  ChorusSipConnId conn;
  gint64 expires_at_ms;
  gint64 registered_at_ms; /* its last ADDED or REFRESHED */
} ChorusSipRegistrarBinding;

void chorus_sip_registrar_binding_free (ChorusSipRegistrarBinding *binding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipRegistrarBinding, chorus_sip_registrar_binding_free)

/* The bindings of @aor (any spelling chorus_sip_aor_normalize() takes; a
 * bare user gets the domain) still valid at @now_ms, most recently
 * registered first: for routing a call to the phone.  Never NULL (an empty
 * array for an unknown AOR); free with g_ptr_array_unref(). */
GPtrArray *chorus_sip_registrar_lookup (ChorusSipRegistrar *registrar, const char *aor,
                                        gint64 now_ms);
/* All bindings (tests, status pages). */
guint chorus_sip_registrar_binding_count (ChorusSipRegistrar *registrar);

G_END_DECLS
