/* reload-tls-link.h: a RELOAD overlay link of type "TLS/TCP with FH,
 * No-ICE" (RFC 6940 §6.6.5): TLS over a connected TCP socket, every
 * message wrapped in the framing header of §6.6.2, with mutual
 * certificate authentication against the overlay's root CA (§11.3,
 * §13.3).
 *
 * The TLS session is GnuTLS, used directly on the socket's file descriptor
 * (non-blocking), and driven by one GSource attached to the thread-default
 * GMainContext of the thread that creates the link.  Every callback runs
 * from that context, never from inside a call of this API.
 *
 * Life cycle:
 *   reload_tls_link_new()  handshake starts at the next main-loop iteration
 *   up (link, identity)    handshake done, the peer's certificate chains to
 *                          the overlay root and carries a RELOAD identity
 *   message (link, ...)    each data frame's message, in order
 *   down (link, error)     exactly once, when the link is gone: @error is
 *                          NULL for an orderly end (the peer's TLS
 *                          close_notify, or our own reload_tls_link_close()
 *                          after it flushed), set otherwise
 *   reload_tls_link_free() at any time, also from a callback; it aborts the
 *                          connection (no close_notify) and calls nothing.
 *
 * Acknowledgements (§6.6.2): every data frame received is acknowledged at
 * once with an ack frame whose ack_sequence is the frame's sequence and
 * whose "received" bitmask has bit (N - M), counted from the least
 * significant bit 0, set for each of the 32 most recently received
 * sequence numbers M with N - 32 < M < N.  Acks received are counted and
 * the highest acknowledged sequence is tracked; TCP is reliable, so there
 * is no retransmission.
 *
 * A note on TLS 1.3 (negotiated when both sides support it): a client
 * finishes its handshake before the server has checked the client's
 * certificate, so a client whose own certificate is refused may see `up`
 * followed by `down` with an error.  A server never reports `up` for a
 * client it refused, and neither side reports `up` for a peer it refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "reload-credentials.h"

G_BEGIN_DECLS

#define RELOAD_TLS_LINK_ERROR (reload_tls_link_error_quark ())
GQuark reload_tls_link_error_quark (void);

typedef enum
{
  RELOAD_TLS_LINK_ERROR_FAILED,      /* anything else */
  RELOAD_TLS_LINK_ERROR_TLS,         /* GnuTLS failed: handshake, record layer, alert */
  RELOAD_TLS_LINK_ERROR_NOT_TRUSTED, /* the peer's certificate was refused */
  RELOAD_TLS_LINK_ERROR_TOO_LARGE,   /* a frame announced more than max_message_size */
  RELOAD_TLS_LINK_ERROR_PROTOCOL,    /* the stream is not a sequence of frames */
  RELOAD_TLS_LINK_ERROR_QUEUE_FULL,  /* the outgoing queue is over its limit */
  RELOAD_TLS_LINK_ERROR_CLOSED,      /* the link is not up (send), or TCP closed without
                                        TLS close_notify */
  RELOAD_TLS_LINK_ERROR_INVALID,     /* bad arguments (own certificate, key, socket) */
  RELOAD_TLS_LINK_ERROR_TIMEOUT,     /* a data frame stayed unacknowledged (§6.6.5) */
} ReloadTlsLinkError;

typedef enum
{
  RELOAD_TLS_LINK_CLIENT,
  RELOAD_TLS_LINK_SERVER,
} ReloadTlsLinkRole;

/* Bytes of framed data waiting to go out (data and ack frames, after the
 * framing header, before TLS) beyond which reload_tls_link_send() fails
 * with QUEUE_FULL.  Acks are queued regardless, up to twice the limit; past
 * that the peer is not reading and the link fails. */
#define RELOAD_TLS_LINK_MAX_QUEUED_BYTES (4u * 1024u * 1024u)
/* max_message_size of 0 means this: the largest message a frame can hold. */
#define RELOAD_TLS_LINK_DEFAULT_MAX_MESSAGE 0xffffffu
/* How long an orderly close waits for the peer's end of the stream after
 * our close_notify before it closes the socket anyway. */
#define RELOAD_TLS_LINK_CLOSE_TIMEOUT_MS 5000
/* A link whose TLS handshake is not done this long after its creation goes
 * down with TIMEOUT (an unauthenticated connection must not hold one of
 * the peer's handshake slots forever). */
#define RELOAD_TLS_LINK_HANDSHAKE_TIMEOUT_MS 10000
/* §6.6.5: the framing's acks measure the RTT and give an RTO (RFC 6298);
 * "It is RECOMMENDED that such a connection be retained for 30 seconds to
 * determine if the failure was transient": a data frame unacknowledged for
 * max(RTO, this) takes the link down with TIMEOUT. */
#define RELOAD_TLS_LINK_FAILURE_TIMEOUT_MS 30000
/* Data frames whose send time is remembered for the RTT (the oldest is
 * what the failure timeout watches; beyond this many in flight, newer
 * frames are not timed). */
#define RELOAD_TLS_LINK_TIMED_FRAMES 1024
/* TCP keep-alive on idle links (a peer that vanished without a FIN):
 * probes after this many seconds of silence, 3 probes 5 s apart. */
#define RELOAD_TLS_LINK_KEEPALIVE_IDLE_S 15

typedef struct _ReloadTlsLink ReloadTlsLink;

typedef struct
{
  /* @peer is owned by the link (valid until reload_tls_link_free). */
  void (*up) (ReloadTlsLink *link, const ReloadCertIdentity *peer, gpointer user_data);
  /* @data is valid during the call only. */
  void (*message) (ReloadTlsLink *link, const guint8 *data, gsize len, gpointer user_data);
  void (*down) (ReloadTlsLink *link, const GError *error, gpointer user_data);
} ReloadTlsLinkCallbacks;

typedef struct
{
  guint64 frames_sent;     /* data frames queued by reload_tls_link_send */
  guint64 bytes_sent;      /* their message bytes */
  guint64 frames_received; /* data frames delivered to `message` */
  guint64 bytes_received;  /* their message bytes */
  guint64 acks_sent;
  guint64 acks_received;   /* valid acks (for a sequence we sent) */
  guint64 acks_ignored;    /* acks for sequence numbers never sent */
  guint64 wire_bytes_sent; /* framed bytes handed to TLS */
  guint64 wire_bytes_recv; /* framed bytes read from TLS */
  guint32 highest_acked;   /* valid when acks_received > 0 */
  guint rtt_samples;       /* acks that timed a frame */
  guint srtt_us;           /* smoothed RTT (RFC 6298), valid with rtt_samples > 0 */
  guint rto_ms;            /* current RTO (RFC 6298 §2, at least 1 s) */
} ReloadTlsLinkStats;

/* A link over @socket (connected TCP; the link takes a reference and
 * closes it when done), presenting @cert with @key and accepting peers
 * whose certificate chains to @root (borrowed: copied or referenced).
 * @max_message_size bounds a received message (0: the frame maximum,
 * 2^24-1).  Fails (INVALID) when @key is not @cert's, @cert carries no
 * RELOAD identity, or @socket is not connected.  Attached to the
 * thread-default main context. */
ReloadTlsLink *reload_tls_link_new (GSocket *socket, ReloadTlsLinkRole role, ReloadCert *cert,
                                    const ReloadKey *key, ReloadCert *root, gsize max_message_size,
                                    const ReloadTlsLinkCallbacks *callbacks, gpointer user_data,
                                    GError **error);
/* The same over a GSocketConnection's socket; the connection is kept
 * alive by the link. */
ReloadTlsLink *reload_tls_link_new_for_connection (GSocketConnection *connection,
                                                   ReloadTlsLinkRole role, ReloadCert *cert,
                                                   const ReloadKey *key, ReloadCert *root,
                                                   gsize max_message_size,
                                                   const ReloadTlsLinkCallbacks *callbacks,
                                                   gpointer user_data, GError **error);

/* Aborts the connection if it is still open; calls no callback.  May be
 * called from inside a callback of this link (the memory is released when
 * the callback returns). */
void reload_tls_link_free (ReloadTlsLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadTlsLink, reload_tls_link_free)

/* Queues @data as the next data frame (sequence 0, 1, 2, ... per link).
 * Allowed before `up` (sent after the handshake).  Fails with CLOSED after
 * close/down, TOO_LARGE over 2^24-1 bytes, QUEUE_FULL over
 * RELOAD_TLS_LINK_MAX_QUEUED_BYTES. */
gboolean reload_tls_link_send (ReloadTlsLink *link, const guint8 *data, gsize len, GError **error);

/* The failure timeout of the link (default RELOAD_TLS_LINK_FAILURE_TIMEOUT_MS),
 * for tests and for overlays that want faster detection. */
void reload_tls_link_set_failure_timeout (ReloadTlsLink *link, guint ms);

/* Orderly close: flushes what is queued, sends TLS close_notify, waits for
 * the peer's end (at most RELOAD_TLS_LINK_CLOSE_TIMEOUT_MS) and then calls
 * `down` with a NULL error.  No `message` or `up` after this call.  Does
 * nothing when the link is already closing or down. */
void reload_tls_link_close (ReloadTlsLink *link);

gboolean reload_tls_link_is_up (const ReloadTlsLink *link);
ReloadTlsLinkRole reload_tls_link_get_role (const ReloadTlsLink *link);
/* After `up`: the peer's identity and certificate (owned by the link), or
 * NULL before. */
const ReloadCertIdentity *reload_tls_link_get_peer_identity (const ReloadTlsLink *link);
ReloadCert *reload_tls_link_get_peer_cert (const ReloadTlsLink *link);
/* The peer's @index-th Node-ID, NULL when out of range or before `up`. */
const ReloadNodeId *reload_tls_link_get_peer_node_id (const ReloadTlsLink *link, guint index);
guint reload_tls_link_get_n_peer_node_ids (const ReloadTlsLink *link);
void reload_tls_link_get_stats (const ReloadTlsLink *link, ReloadTlsLinkStats *out);
/* Framed bytes still waiting to go out. */
gsize reload_tls_link_get_queued_bytes (const ReloadTlsLink *link);

G_END_DECLS
