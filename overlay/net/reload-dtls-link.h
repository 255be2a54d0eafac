/* reload-dtls-link.h: a RELOAD overlay link of type "DTLS/UDP with SR"
 * (RFC 6940 §6.6.4, §6.6.6 without ICE): DTLS 1.2 over a connected UDP
 * socket, every message in one data frame (§6.6.2) in one DTLS record,
 * made reliable hop by hop with Simple Reliability (§6.6.3), and mutual
 * certificate authentication against the overlay's root CA (§11.3,
 * §13.3), exactly as on the TLS link (reload-tls-link.h).
 *
 * GnuTLS (GNUTLS_DATAGRAM, non-blocking) runs on the socket through
 * GSocket, driven by one GSource attached to the thread-default
 * GMainContext of the thread that creates the link; the source's ready
 * time carries the DTLS handshake retransmission timer
 * (gnutls_dtls_get_timeout) and the SR retransmission timers.  Every
 * callback runs from that context, never from inside a call of this API.
 *
 * Life cycle: as on the TLS link.  `down` comes exactly once: NULL error
 * for the peer's close_notify or our own reload_dtls_link_close() after
 * everything sent was acknowledged; TIMEOUT when a message stayed
 * unacknowledged after RELOAD_DTLS_LINK_MAX_TRANSMISSIONS transmissions
 * (link failure, §6.6.3.1) or the handshake timed out.
 *
 * Simple Reliability, sender (§6.6.3.1 with a window):
 *   - every transmission, first or repeated, takes the next sequence
 *     number (0, 1, 2, ... per link; "for each retransmission, the
 *     sequence number MUST be incremented");
 *   - a message is acknowledged by an ack for any of its transmissions,
 *     directly (ack_sequence) or through a bit of the `received` mask;
 *   - an unacknowledged message is sent again after the RTO (initially
 *     RELOAD_DTLS_LINK_INITIAL_RTO_MS, doubled after each retransmission);
 *     after its RELOAD_DTLS_LINK_MAX_TRANSMISSIONS-th transmission and one
 *     more RTO without an ack, the link is down with TIMEOUT;
 *   - at most RELOAD_DTLS_LINK_MAX_IN_FLIGHT messages are unacknowledged;
 *     further messages wait in a queue of at most
 *     RELOAD_DTLS_LINK_MAX_QUEUED messages (then QUEUE_FULL).
 *   With more than one message in flight, a loss reorders messages: SR
 *   gives no ordering, and none without loss is lost here either.
 *
 * Simple Reliability, receiver (§6.6.2): every data frame is acknowledged
 * at once with an ack whose `received` mask has bit (N - M) set for each
 * of the 32 most recently received sequence numbers M with
 * N - 32 < M < N.  A data frame whose sequence number is among those 32
 * (a duplicated datagram) is acknowledged again but not delivered.  A
 * message whose ack was lost comes back under a NEW sequence number (the
 * sender's retransmission): the wire format cannot tell it from a new
 * message, so it IS delivered again; RELOAD's upper layer recognises it by
 * its transaction ID (§6.2.1: "multiple requests being delivered").
 *
 * Message size: one record must hold the frame, so a message is at most
 * reload_dtls_link_get_max_message_size() bytes (RELOAD_DTLS_LINK_MAX_MESSAGE
 * before `up`, the negotiated record payload for RELOAD_DTLS_LINK_MTU
 * minus the frame header after); the node fragments larger messages
 * (§6.7).  In datagram mode: RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE before
 * `up`, the negotiated record payload for RELOAD_DTLS_LINK_DATAGRAM_MTU
 * after.
 *
 * Datagram mode (RELOAD_DTLS_LINK_DATAGRAM, reload_dtls_link_set_mode):
 * not an overlay link but the application connection an AppAttach opens
 * (RFC 6940 §6.5.2), for SIP above all (RFC 7904 §4: "the peer sends plain
 * or (D)TLS encrypted SIP messages over the connection as in normal SIP"),
 * i.e. SIP over DTLS as over any unreliable transport: each DTLS
 * application-data record is exactly one message, with no §6.6.2 framing
 * header, no Simple Reliability (no acks, no retransmissions, no window;
 * the application's transactions retransmit, RFC 3261 §17.1.1.2,
 * §17.1.2.2) and no ordering.  The handshake and the mutual certificate
 * authentication are the same as in the framed mode, and `up` reports the
 * peer's identity in the same way.  Messages sent before `up` wait and go
 * after the handshake, in order; a datagram lost later is lost.  The link
 * fails only on a DTLS error (an alert from the peer among them), the
 * peer's close_notify, or the handshake timeout: a peer that vanishes is
 * noticed by the application's own timers, not here.  The handshake runs
 * with RELOAD_DTLS_LINK_MTU like the framed mode's (its flights stay within
 * a common path MTU); once it is over, records may take up to
 * RELOAD_DTLS_LINK_DATAGRAM_MTU bytes of UDP payload, more than an
 * Ethernet frame: the IP layer fragments them, as it fragments SIP over UDP
 * (RFC 3261 §18.1.1 discusses SIP messages over the path MTU).  A record of
 * any size GnuTLS accepts (up to 2^14 bytes of plaintext) is delivered;
 * anything that is not a valid record of the session is discarded by
 * DTLS (RFC 6347 §4.1.2.7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-credentials.h"

G_BEGIN_DECLS

#define RELOAD_DTLS_LINK_ERROR (reload_dtls_link_error_quark ())
GQuark reload_dtls_link_error_quark (void);

typedef enum
{
  RELOAD_DTLS_LINK_ERROR_FAILED,      /* anything else */
  RELOAD_DTLS_LINK_ERROR_TLS,         /* GnuTLS failed: handshake, record layer, alert */
  RELOAD_DTLS_LINK_ERROR_NOT_TRUSTED, /* the peer's certificate was refused */
  RELOAD_DTLS_LINK_ERROR_TOO_LARGE,   /* a message does not fit one DTLS record */
  RELOAD_DTLS_LINK_ERROR_PROTOCOL,    /* a record is not one frame */
  RELOAD_DTLS_LINK_ERROR_QUEUE_FULL,  /* RELOAD_DTLS_LINK_MAX_QUEUED messages wait already */
  RELOAD_DTLS_LINK_ERROR_CLOSED,      /* the link is not up (send) */
  RELOAD_DTLS_LINK_ERROR_TIMEOUT,     /* no ack after all transmissions, or handshake timeout */
  RELOAD_DTLS_LINK_ERROR_INVALID,     /* bad arguments (own certificate, key, socket) */
} ReloadDtlsLinkError;

typedef enum
{
  RELOAD_DTLS_LINK_CLIENT,
  RELOAD_DTLS_LINK_SERVER,
} ReloadDtlsLinkRole;

/* The UDP payload size given to DTLS (gnutls_dtls_set_mtu). */
#define RELOAD_DTLS_LINK_MTU 1200
/* The largest message before `up` (a bound for any cipher suite); after
 * `up` the exact limit is reload_dtls_link_get_max_message_size(). */
#define RELOAD_DTLS_LINK_MAX_MESSAGE 1100
/* §6.6.3.1: the default static RTO, and the total number of transmissions
 * of one message before the link is considered failed. */
#define RELOAD_DTLS_LINK_INITIAL_RTO_MS 500
#define RELOAD_DTLS_LINK_MAX_TRANSMISSIONS 5
/* Unacknowledged messages at a time; the sequence-number span of the
 * `received` mask. */
#define RELOAD_DTLS_LINK_MAX_IN_FLIGHT 32
/* Messages waiting for a free slot in the window, beyond which
 * reload_dtls_link_send() fails with QUEUE_FULL. */
#define RELOAD_DTLS_LINK_MAX_QUEUED 1024
/* The whole DTLS handshake, retransmissions included. */
#define RELOAD_DTLS_LINK_HANDSHAKE_TIMEOUT_MS 20000

/* What a record carries (see above). */
typedef enum
{
  /* an overlay link: one §6.6.2 frame per record, Simple Reliability
   * (§6.6.3); the default */
  RELOAD_DTLS_LINK_FRAMED_SR,
  /* an application connection (AppAttach, §6.5.2): one message per
   * record, no framing, no SR */
  RELOAD_DTLS_LINK_DATAGRAM,
} ReloadDtlsLinkMode;

/* Datagram mode: the UDP payload size given to DTLS after the handshake
 * (larger than an Ethernet MTU: SIP messages with SDP and ICE candidates
 * exceed 1200 bytes; the IP layer fragments, RFC 3261 §18.1.1), and the
 * largest message before `up` (a bound for any cipher suite, as
 * RELOAD_DTLS_LINK_MAX_MESSAGE is in the framed mode; after `up` the exact
 * limit is reload_dtls_link_get_max_message_size()). */
#define RELOAD_DTLS_LINK_DATAGRAM_MTU 8192
#define RELOAD_DTLS_LINK_DATAGRAM_MAX_MESSAGE (RELOAD_DTLS_LINK_DATAGRAM_MTU - 100)

typedef struct _ReloadDtlsLink ReloadDtlsLink;

typedef struct
{
  /* @peer is owned by the link (valid until reload_dtls_link_free). */
  void (*up) (ReloadDtlsLink *link, const ReloadCertIdentity *peer, gpointer user_data);
  /* @data is valid during the call only. */
  void (*message) (ReloadDtlsLink *link, const guint8 *data, gsize len, gpointer user_data);
  void (*down) (ReloadDtlsLink *link, const GError *error, gpointer user_data);
} ReloadDtlsLinkCallbacks;

/* Test hook: called for each frame about to be sent after the handshake
 * (@frame_type is RELOAD_FRAME_DATA or RELOAD_FRAME_ACK of
 * reload-framing.h, @sequence its sequence or ack_sequence); returning
 * TRUE drops the datagram, as if the network lost it.  In datagram mode:
 * for each message's record, with RELOAD_FRAME_DATA and the message's
 * index on the link (0, 1, ...) as @sequence (it is not on the wire). */
typedef gboolean (*ReloadDtlsLinkDropFunc) (ReloadDtlsLink *link, guint8 frame_type,
                                            guint32 sequence, gpointer user_data);

/* In datagram mode only messages_sent, transmissions (records sent),
 * frames_received (records delivered), bytes_received and
 * datagrams_dropped count; the others stay 0. */
typedef struct
{
  guint64 messages_sent;   /* messages accepted by reload_dtls_link_send */
  guint64 messages_acked;  /* of them, acknowledged */
  guint64 transmissions;   /* data frames sent (dropped ones included) */
  guint64 retransmissions; /* of them, repeated */
  guint64 frames_received; /* data frames delivered to `message` */
  guint64 bytes_received;  /* their message bytes */
  guint64 duplicates;      /* data frames received again (same sequence), not delivered */
  guint64 acks_sent;
  guint64 acks_received;     /* acks for a sequence number we sent */
  guint64 acks_ignored;      /* acks for sequence numbers never sent */
  guint64 datagrams_dropped; /* by the drop hook */
} ReloadDtlsLinkStats;

/* A link over @socket (a UDP socket connected to the peer's address; the
 * link takes a reference, makes it non-blocking and closes it when done),
 * presenting @cert with @key and accepting peers whose certificate chains
 * to @root.  Fails (INVALID) when @key is not @cert's, @cert carries no
 * RELOAD identity, or @socket is not a connected datagram socket. */
ReloadDtlsLink *reload_dtls_link_new (GSocket *socket, ReloadDtlsLinkRole role, ReloadCert *cert,
                                      const ReloadKey *key, ReloadCert *root,
                                      const ReloadDtlsLinkCallbacks *callbacks, gpointer user_data,
                                      GError **error);

/* A datagram transport instead of a socket: the selected pair of an ICE
 * agent (RFC 6940 §6.5.1: "DTLS or TLS on the selected pair").  @send
 * sends one datagram (one that cannot be sent is lost: SR repeats it); the
 * owner of the transport hands each datagram received to
 * reload_dtls_link_receive(), from the link's context. */
typedef struct
{
  void (*send) (gpointer transport_data, const guint8 *data, gsize len);
} ReloadDtlsTransport;

/* Datagrams received on a transport and not yet read, beyond which more
 * are dropped (a socket's buffer does the same). */
#define RELOAD_DTLS_LINK_MAX_RECEIVED 256

/* The same as reload_dtls_link_new() over @transport. */
ReloadDtlsLink *reload_dtls_link_new_for_transport (const ReloadDtlsTransport *transport,
                                                    gpointer transport_data,
                                                    ReloadDtlsLinkRole role, ReloadCert *cert,
                                                    const ReloadKey *key, ReloadCert *root,
                                                    const ReloadDtlsLinkCallbacks *callbacks,
                                                    gpointer user_data, GError **error);
/* A datagram the transport received for this link. */
void reload_dtls_link_receive (ReloadDtlsLink *link, const guint8 *data, gsize len);

/* Selects what a record carries (RELOAD_DTLS_LINK_FRAMED_SR unless this is
 * called).  Only right after reload_dtls_link_new() or
 * reload_dtls_link_new_for_transport(), before the link's context has run
 * (the handshake starts there) and before any reload_dtls_link_send(). */
void reload_dtls_link_set_mode (ReloadDtlsLink *link, ReloadDtlsLinkMode mode);
ReloadDtlsLinkMode reload_dtls_link_get_mode (const ReloadDtlsLink *link);

/* Closes the socket if still open; calls no callback.  May be called from
 * inside a callback of this link. */
void reload_dtls_link_free (ReloadDtlsLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadDtlsLink, reload_dtls_link_free)

/* Queues @data as the next message.  Allowed before `up` (sent after the
 * handshake).  Fails with CLOSED after close/down, TOO_LARGE over
 * reload_dtls_link_get_max_message_size(), QUEUE_FULL when
 * RELOAD_DTLS_LINK_MAX_QUEUED messages wait for the window. */
gboolean reload_dtls_link_send (ReloadDtlsLink *link, const guint8 *data, gsize len,
                                GError **error);

/* Orderly close: waits until every message is acknowledged (or the link
 * fails), sends close_notify and calls `down` with a NULL error.  During
 * the handshake: gives up at once (`down` at the next iteration).  No
 * `message` or `up` after this call.  Datagram mode: sends what is queued,
 * then close_notify, and `down` with a NULL error at the next iteration. */
void reload_dtls_link_close (ReloadDtlsLink *link);

/* The initial RTO of messages sent from now on (a LAN may use less than
 * the default, §6.6.3.1; tests use a few ms).  No effect in datagram
 * mode. */
void reload_dtls_link_set_rto (ReloadDtlsLink *link, guint initial_rto_ms);
void reload_dtls_link_set_drop_hook (ReloadDtlsLink *link, ReloadDtlsLinkDropFunc func,
                                     gpointer user_data);

gboolean reload_dtls_link_is_up (const ReloadDtlsLink *link);
ReloadDtlsLinkRole reload_dtls_link_get_role (const ReloadDtlsLink *link);
gsize reload_dtls_link_get_max_message_size (const ReloadDtlsLink *link);
const ReloadCertIdentity *reload_dtls_link_get_peer_identity (const ReloadDtlsLink *link);
ReloadCert *reload_dtls_link_get_peer_cert (const ReloadDtlsLink *link);
const ReloadNodeId *reload_dtls_link_get_peer_node_id (const ReloadDtlsLink *link, guint index);
guint reload_dtls_link_get_n_peer_node_ids (const ReloadDtlsLink *link);
void reload_dtls_link_get_stats (const ReloadDtlsLink *link, ReloadDtlsLinkStats *out);
/* Messages unacknowledged and waiting (datagram mode: none in flight;
 * waiting only before `up`, or until the next iteration). */
guint reload_dtls_link_get_n_in_flight (const ReloadDtlsLink *link);
guint reload_dtls_link_get_n_queued (const ReloadDtlsLink *link);

G_END_DECLS
