/* chorus-sip-transport-private.h: the insides of ChorusSipTransport,
 * shared by its parts: the transport itself (chorus-sip-transport.c: its
 * life, the connection ids, addresses, the sweep, the API), UDP
 * (chorus-sip-transport-udp.c) and TCP (chorus-sip-transport-tcp.c:
 * connections, framing, accepting, connecting).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-framing.h"
#include "chorus-sip-transport.h"

G_BEGIN_DECLS

/* The receive buffer of the UDP socket: any datagram fits whole (§18.3:
 * one datagram is one message; a truncated one would be a different
 * message). */
#define DATAGRAM_BUFFER 65536
/* Connections refused over max_tcp, and UDP ids evicted over
 * max_udp_peers, are logged at most this often (a flood must not flood the
 * log too). */
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

typedef enum
{
  TCP_CONNECTING,
  TCP_OPEN,
  TCP_FLUSHING, /* close(): writing what is queued */
  TCP_DRAINING, /* close(): shut down for writing, waiting for the other end's EOF */
  TCP_DEAD,
} TcpState;

typedef struct _Conn Conn;

typedef struct
{
  GSource base;
  Conn *conn;
  gpointer tag;
} ConnSource;

typedef struct
{
  GSource base;
  ChorusSipTransport *transport;
} SweepSource;

struct _Conn
{
  gint ref;
  ChorusSipTransport *t;
  guint64 id;
  gboolean tcp;
  GInetSocketAddress *remote; /* IPv4-mapped IPv6 given as IPv4 */
  char *name;                 /* "ADDR:PORT", for logs; the key of a UDP id */
  gint64 last_activity;       /* monotonic, µs: the last byte either way */
  GList lru;                  /* UDP: the link in udp_lru (data: this) */

  /* TCP */
  TcpState state;
  GSocket *socket;
  ConnSource *source;
  GIOCondition events;
  ChorusSipFramer *framer;
  GByteArray *out; /* out->data[out_off..] waits to be written */
  gsize out_off;
  gint64 deadline;      /* CONNECTING: the connect timeout; FLUSHING, DRAINING: the close timeout */
  gint64 partial_since; /* OPEN: when the buffered part of a message began; 0: none */
};

struct _ChorusSipTransport
{
  ChorusSipTransportCallbacks callbacks;
  gpointer user_data;
  ChorusSipTransportLimits limits;
  GMainContext *context;
  GInetSocketAddress *address;

  GSocket *udp;
  GSocket *listener;
  GSource *udp_source;
  GSource *accept_source;
  GSource *accept_pause;
  SweepSource *sweep;
  gint64 next_sweep;
  guint8 *dgram;

  GHashTable *conns;       /* &id -> Conn (a reference): the ids in use */
  GHashTable *udp_by_name; /* name -> Conn (borrowed from conns) */
  GQueue udp_lru;          /* the UDP Conns, the one silent the longest first */
  GHashTable *closing;     /* Conn -> Conn (a reference): TCP after close() */
  GArray *pending_closed;  /* guint64 ids to report from the sweep */
  guint n_tcp;             /* TCP conns in `conns` */
  guint n_refused;         /* inbound TCP refused since the last log line */
  gint64 refused_logged;   /* monotonic, µs */
  guint n_evicted;         /* UDP ids evicted since the last log line */
  gint64 evicted_logged;   /* monotonic, µs */
  guint64 next_id;

  guint busy; /* > 0 while a dispatch runs */
  gboolean free_pending;
};

/* chorus-sip-transport.c: addresses, connection ids, the end */
GInetSocketAddress *transport_normalize_address (GSocketAddress *address);
GSocketAddress *transport_address_for_socket (GSocket *socket, GInetSocketAddress *to);
char *transport_format_address (GInetSocketAddress *address);
Conn *transport_conn_ref (Conn *c);
void transport_conn_unref (gpointer p);
void transport_conn_stop_io (Conn *c);
Conn *transport_conn_new (ChorusSipTransport *t, gboolean tcp, GInetSocketAddress *remote);
void transport_conn_forget (ChorusSipTransport *t, Conn *c);
void transport_queue_closed (ChorusSipTransport *t, guint64 id);
void transport_emit_closed (ChorusSipTransport *t, guint64 id);
void transport_finalize (ChorusSipTransport *t);

/* chorus-sip-transport-udp.c */
Conn *transport_udp_conn (ChorusSipTransport *t, GInetSocketAddress *remote);
gboolean transport_udp_ready (GSocket *socket, GIOCondition condition, gpointer user_data);
gboolean transport_udp_send (ChorusSipTransport *t, Conn *c, const guint8 *data, gsize len,
                             GError **error);
gboolean transport_udp_reaches (ChorusSipTransport *t, GInetSocketAddress *to);

/* chorus-sip-transport-tcp.c */
gsize transport_out_len (const Conn *c);
void transport_tcp_update (ChorusSipTransport *t, Conn *c, gboolean more);
gboolean transport_tcp_queue (Conn *c, const guint8 *data, gsize len);
void transport_start_accepting (ChorusSipTransport *t);
guint64 transport_tcp_connect (ChorusSipTransport *t, GInetSocketAddress *to, GError **error);

G_END_DECLS
