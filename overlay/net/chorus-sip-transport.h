/* chorus-sip-transport.h: the SIP transport of the adapter peer for plain
 * SIP phones (`chorus-peer run --sip-adapter ADDR:PORT`): UDP and TCP on
 * one address and port (RFC 3261 §18: "All SIP elements MUST implement
 * UDP and TCP"), sockets in, whole SIP messages out.
 *
 * The SIP layer above is sans-I/O (overlay/sip/chorus-sip-ua.h): it takes
 * one whole message at a time from an opaque connection id, answers on
 * that id, and retransmits on the unreliable ones.  This transport hands
 * out those ids (never 0, never reused):
 *   - UDP (§18.3: one datagram is one message): one id per remote address
 *     and port, so that the responses to a phone and the later requests
 *     to it go on the id its requests came from; datagrams are sent from
 *     the listening socket (so that the phone sees our port, RFC 3581);
 *   - TCP: one id per connection, accepted or made by
 *     chorus_sip_transport_connect(); the stream is cut into messages by
 *     chorus-sip-framing.h (§18.3: Content-Length is mandatory on
 *     streams; a message without it closes the connection), and the
 *     double-CRLF keep-alive ping of RFC 5626 §3.5.1 is answered with a
 *     single CRLF.
 *
 * Nothing is parsed beyond the framing: the messages go to the SIP layer
 * as they came (CR and LF before the start-line removed, §7.5).  UDP
 * datagrams of only CR and LF (keep-alives some phones send) and STUN
 * packets (first byte 0 to 3, RFC 7983 §7) are dropped.
 *
 * Limits against hostile input (named below, all adjustable with
 * chorus_sip_transport_set_limits()):
 *   - at most max_tcp TCP connections, both directions together; an
 *     inbound connection over the limit is closed at once (logged);
 *   - a TCP connection with a message begun and not complete after
 *     message_timeout_ms is closed (a peer trickling bytes must not hold
 *     one of the max_tcp slots for ever);
 *   - a TCP connection without traffic either way for tcp_idle_ms is
 *     closed (§18 leaves how long a connection is kept open after its
 *     last message to the implementation; RFC 5626 keep-alives count as
 *     traffic);
 *   - per connection: the framing bounds (16 KiB of header section, 64
 *     KiB per message: over them the connection is closed, logged) and
 *     CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES of output;
 *   - at most max_udp_peers UDP ids: a new remote address over the limit
 *     evicts the one silent the longest, and an id silent both ways for
 *     udp_idle_ms goes as well (longer than a registration's default
 *     Expires of 3600 s, §10.2.1.1); both are reported by `closed`.
 *
 * Everything runs from the thread-default GMainContext of the thread that
 * calls chorus_sip_transport_new() (GSource on the sockets, no threads),
 * and every callback runs from that context, never from inside a call of
 * this API.  Errors a call can see at once (an unknown id, a full queue,
 * a connect that fails at once) are returned; the others come as
 * `closed`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CHORUS_SIP_TRANSPORT_ERROR (chorus_sip_transport_error_quark ())
GQuark chorus_sip_transport_error_quark (void);

typedef enum
{
  CHORUS_SIP_TRANSPORT_ERROR_FAILED,     /* a socket error */
  CHORUS_SIP_TRANSPORT_ERROR_INVALID,    /* a bad address, or one of the wrong family */
  CHORUS_SIP_TRANSPORT_ERROR_LISTEN,     /* the listening sockets could not be bound */
  CHORUS_SIP_TRANSPORT_ERROR_CLOSED,     /* no such connection (closed, or never made) */
  CHORUS_SIP_TRANSPORT_ERROR_TOO_LARGE,  /* a message over what a datagram holds */
  CHORUS_SIP_TRANSPORT_ERROR_QUEUE_FULL, /* over CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES */
  CHORUS_SIP_TRANSPORT_ERROR_LIMIT,      /* max_tcp connections already */
} ChorusSipTransportError;

/* The defaults of ChorusSipTransportLimits. */
#define CHORUS_SIP_TRANSPORT_MAX_TCP 256
#define CHORUS_SIP_TRANSPORT_MAX_UDP_PEERS 4096
#define CHORUS_SIP_TRANSPORT_TCP_IDLE_MS (5u * 60u * 1000u)
#define CHORUS_SIP_TRANSPORT_UDP_IDLE_MS (2u * 3600u * 1000u)
#define CHORUS_SIP_TRANSPORT_MESSAGE_TIMEOUT_MS 30000
/* An outgoing TCP connection not established after this long is closed. */
#define CHORUS_SIP_TRANSPORT_CONNECT_TIMEOUT_MS 10000
/* chorus_sip_transport_close() on TCP flushes what is queued and waits for
 * the other end at most this long. */
#define CHORUS_SIP_TRANSPORT_CLOSE_TIMEOUT_MS 2000
/* Output waiting on one TCP connection beyond which sending fails. */
#define CHORUS_SIP_TRANSPORT_MAX_QUEUED_BYTES (1024u * 1024u)
/* The largest UDP payload (IPv4: 65535 - 20 - 8). */
#define CHORUS_SIP_TRANSPORT_MAX_DATAGRAM 65507

typedef struct
{
  guint max_tcp;       /* TCP connections, inbound and outbound together */
  guint max_udp_peers; /* UDP ids (remote addresses) remembered */
  guint tcp_idle_ms;   /* a TCP connection without traffic this long is closed */
  guint udp_idle_ms;   /* a UDP id without traffic this long is forgotten */
  /* a TCP message begun (bytes of it buffered) and not complete this long
   * closes its connection */
  guint message_timeout_ms;
} ChorusSipTransportLimits;

typedef struct _ChorusSipTransport ChorusSipTransport;

typedef struct
{
  /* One whole SIP message from @conn: a datagram (@reliable FALSE), or one
   * message of a TCP stream (@reliable TRUE).  @data is valid during the
   * call only.  The first message of an inbound TCP connection or of a new
   * UDP remote address is how the id becomes known. */
  void (*message) (ChorusSipTransport *transport, guint64 conn, gboolean reliable,
                   const guint8 *data, gsize len, gpointer user_data);
  /* @conn is gone: a TCP connection closed by the other end, failed (a
   * socket error, a framing error, the connect), or idle; a UDP id
   * evicted or idle.  Called for every id that ends other than by
   * chorus_sip_transport_close() or chorus_sip_transport_free(), also for
   * an inbound TCP connection that never delivered a message. */
  void (*closed) (ChorusSipTransport *transport, guint64 conn, gpointer user_data);
} ChorusSipTransportCallbacks;

/* Listens on @listen, "ADDR:PORT" with a numeric address ("[ADDR]:PORT"
 * for IPv6), UDP and TCP on the same port; port 0 picks one free for both.
 * Fails with INVALID for a bad address, LISTEN when a socket cannot be
 * bound. */
ChorusSipTransport *chorus_sip_transport_new (const char *listen,
                                              const ChorusSipTransportCallbacks *callbacks,
                                              gpointer user_data, GError **error);
/* Closes every socket (no flushing); calls nothing.  May be called from a
 * callback of this transport. */
void chorus_sip_transport_free (ChorusSipTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusSipTransport, chorus_sip_transport_free)

/* Changes the limits (a field of 0 keeps its value); existing connections
 * over a new max_tcp are not closed, new ones are refused until below. */
void chorus_sip_transport_set_limits (ChorusSipTransport *transport,
                                      const ChorusSipTransportLimits *limits);
void chorus_sip_transport_get_limits (ChorusSipTransport *transport,
                                      ChorusSipTransportLimits *limits);

/* Where it listens, the port chosen (owned by the transport). */
GInetSocketAddress *chorus_sip_transport_get_address (ChorusSipTransport *transport);

/* Sends one message on @conn: UDP, a datagram to its address; TCP,
 * queued on the connection (also while it is being made).  Fails with
 * CLOSED for an unknown or closed id, TOO_LARGE for a datagram over
 * CHORUS_SIP_TRANSPORT_MAX_DATAGRAM, QUEUE_FULL, or FAILED for a socket
 * error on UDP.  A datagram the socket has no room for is dropped as the
 * network would drop it (the SIP layer retransmits on UDP, §17). */
gboolean chorus_sip_transport_send (ChorusSipTransport *transport, guint64 conn, const guint8 *data,
                                    gsize len, GError **error);

/* A connection to reach a phone at @to (a Contact's or Via's host and
 * port, resolved): with @tcp FALSE, the UDP id of that address (the same
 * one its datagrams come from, made when new); with @tcp TRUE, an open
 * TCP connection to exactly that address if there is one (§18: open
 * connections are reused), else a new one, made asynchronously: what is
 * sent is queued until it is established, and a connect that fails or
 * takes over CHORUS_SIP_TRANSPORT_CONNECT_TIMEOUT_MS ends with `closed`.
 * Returns 0 with @error: INVALID (an address the listening socket's
 * family cannot reach), LIMIT (max_tcp), FAILED (the connect failed at
 * once). */
guint64 chorus_sip_transport_connect (ChorusSipTransport *transport, GInetSocketAddress *to,
                                      gboolean tcp, GError **error);

/* The remote address of @conn (transfer full; IPv4-mapped IPv6 addresses
 * of a dual-stack socket given as IPv4), for Via received/rport (RFC
 * 3581 §4) and logs; *@reliable (may be NULL) is TRUE for TCP.  NULL for
 * an unknown id. */
GInetSocketAddress *chorus_sip_transport_get_remote (ChorusSipTransport *transport, guint64 conn,
                                                     gboolean *reliable);

/* Forgets @conn: UDP, the id (a later datagram from that address gets a
 * new one); TCP, the connection, after flushing what is queued (at most
 * CHORUS_SIP_TRANSPORT_CLOSE_TIMEOUT_MS; a connection still being made is
 * dropped with its queue).  Sending on it fails from now on; `closed` is
 * not called.  Unknown ids are ignored. */
void chorus_sip_transport_close (ChorusSipTransport *transport, guint64 conn);

/* The ids now: TCP connections (open or being made, not those closing) or
 * UDP addresses. */
guint chorus_sip_transport_get_n_connections (ChorusSipTransport *transport, gboolean tcp);

G_END_DECLS
