/* chorus-multicast.h: the datagrams of Chorus's multicast bootstrap on
 * the local link, a Chorus extension.
 *
 * RFC 6940 has no multicast bootstrap: a joining node contacts a
 * bootstrap node of the configuration, or a peer of its cache (§11.4).
 * Two phones of one home overlay must also find each other when no
 * bootstrap node is up, so an overlay whose configuration says
 * <chorus:multicast-bootstrap>GROUP:PORT</chorus:multicast-bootstrap>
 * (namespace urn:x-chorus:params:xml:ns:p2p:config-chorus, which other
 * implementations ignore) lets its peers ask on that group of the local
 * link: a starting peer that reaches no configured or cached bootstrap
 * peer sends a query, and joined peers of the overlay answer with an
 * announcement: their Node-ID and the address they accept links on.  The
 * answers are hints, tried as bootstrap peers: the TLS handshake and the
 * certificate check (a certificate of the overlay's root that names this
 * overlay and holds the announced Node-ID, §11.3, §6.5.1.11) are what
 * authenticate a peer.  Nothing in a datagram is signed or trusted.
 *
 * One UDP datagram, network byte order, in the notation of RFC 6940
 * §6.3.1:
 *
 *   enum { query(1), announcement(2), (255) } MulticastType;
 *
 *   struct {
 *     uint32            magic;       0x43484d42, "CHMB"
 *     uint8             version;     1
 *     MulticastType     type;
 *     uint64            nonce;       query: random; announcement: the
 *                                    nonce of the query it answers, 0
 *                                    when unsolicited
 *     opaque            overlay<1..2^8-1>;   the instance-name (§11.1),
 *                                    UTF-8 without NUL
 *     select (type) {
 *       case query:        struct {};
 *       case announcement:
 *         opaque          node_id<16..20>;   the announcer's Node-ID
 *                                    (§6.3.1.1; with a length, since a
 *                                    receiver of another overlay does not
 *                                    know its node-id-length)
 *         IpAddressPort   listen;    where it accepts links (§6.3.1.1),
 *                                    IPv4 or IPv6 only
 *     };
 *   } MulticastBootstrap;
 *
 * Decoding treats the datagram as hostile: the codec of overlay/wire
 * (bounded, fails sticky), at most CHORUS_MULTICAST_MAX_SIZE bytes, no
 * byte left over, an unknown magic, version or type refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

#define CHORUS_MULTICAST_MAGIC 0x43484d42u /* "CHMB" */
#define CHORUS_MULTICAST_VERSION 1
/* The largest datagram sent or read: an announcement is at most
 * 4 + 1 + 1 + 8 + 256 + 21 + 20 = 311 bytes. */
#define CHORUS_MULTICAST_MAX_SIZE 512

typedef enum
{
  CHORUS_MULTICAST_QUERY = 1,
  CHORUS_MULTICAST_ANNOUNCEMENT = 2,
} ChorusMulticastType;

typedef struct
{
  guint8 type; /* ChorusMulticastType */
  guint64 nonce;
  char overlay[256];          /* NUL-terminated, 1 to 255 bytes */
  ReloadNodeId node_id;       /* announcement */
  ReloadIpAddressPort listen; /* announcement: IPv4 or IPv6 */
} ChorusMulticastMessage;

/* The datagram of @msg; fails (RELOAD_WIRE_ERROR) when a field is out of
 * its range (an empty or too long overlay name, a Node-ID not of 16 to 20
 * bytes, an address that is neither IPv4 nor IPv6). */
GBytes *chorus_multicast_encode (const ChorusMulticastMessage *msg, GError **error);

/* Decodes the datagram @data of @len bytes into @out; FALSE with @error
 * (RELOAD_WIRE_ERROR, naming the field and offset) when it is not one. */
gboolean chorus_multicast_decode (const guint8 *data, gsize len, ChorusMulticastMessage *out,
                                  GError **error);

G_END_DECLS
