/* hostile-conn.h: the connection of hostile-peer.c to a running
 * chorus-peer: TCP + TLS driven by hand, the framing of RFC 6940 §6.6.2,
 * and a ReloadNode in client mode (§3.2.1) that makes correctly signed
 * messages for the attacks to send as they are, altered or many times.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "chord-id.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-fragment.h"
#include "reload-framing.h"
#include "reload-link.h"
#include "reload-message.h"
#include "reload-node.h"
#include "reload-x509-signer.h"

#define CONNECT_TIMEOUT_MS 10000
#define ANSWER_TIMEOUT_MS 15000 /* > the node's own retransmission time */
#define CLOSE_WAIT_MS 5000      /* how long a refusal may take to show */
#define QUIET_MS 1000           /* after the answers that must come, for those that must not */
#define FLOOD_IDLE_MS 15000     /* the flood's answers: give up after this long without one */
#define FLOOD_MAX_MS 100000
#define FLOOD_OUT_HIGH (256 * 1024)
#define IDLE_WINDOW_MS 30000 /* idle-handshakes: how long a new connection is retried */
#define N_DEAD_PORTS 8
#define READS_PER_PUMP 64
#define SEND_CHUNK 16384

typedef struct
{
  ReloadCredentials *creds;
  ReloadCertIdentity *identity;
  ReloadX509Signer *signer;
  /* the overlay's configuration (§11.1) when the profile holds one, as
   * chorus-peer applies it: the configuration sequence, max-message-size
   * and kinds the peers use */
  ReloadConfig *config;
  ReloadNodeConfig node_template;
  gsize max_message_size; /* the peers' */
  char *host;
  char *port;
  guint16 dead_ports[N_DEAD_PORTS];
  ReloadNodeId forward_target; /* forward-load: the Node-ID to ping through the peer */
} Tool;

/* One message received (reassembled): the parts of its header counted. */
typedef struct
{
  guint64 tid;
  guint16 code;
  guint16 error_code; /* code 0xffff */
  GBytes *bytes;
} Received;

typedef struct
{
  Tool *tool;
  int fd;
  gnutls_session_t session;
  gnutls_certificate_credentials_t cred;
  gboolean closed;
  char *close_reason;

  GByteArray *out; /* framed bytes to write: out->data[out_off..] */
  gsize out_off;
  gsize send_pending;
  guint32 next_sequence;
  guint64 bytes_written;

  GByteArray *in; /* framed bytes read: in->data[in_off..] */
  gsize in_off;
  guint64 data_frames;
  guint64 acks;
  gboolean bad_stream; /* the peer's stream is not frames */

  ReloadReassembler *in_reasm;  /* received fragments */
  ReloadReassembler *out_reasm; /* the node's own fragments, made whole again */
  GPtrArray *received;          /* Received */

  ReloadNodeId server_id;
  ReloadNode *node;
  GPtrArray *captured; /* GBytes: what the node sent during a request */
  guint64 done_ok;     /* requests the node saw answered (signature verified) */
  guint64 done_error;  /* ... with an error response */
} Conn;

/* transaction ids awaited together (until_answered) */
typedef struct
{
  const guint64 *tids;
  guint n;
} TidSet;

typedef gboolean (*Until) (Conn *c, gpointer data);

gint64 now_ms (void);
gsize out_len (const Conn *c);
void received_free (gpointer p);
void conn_set_closed (Conn *c, const char *why);
void node_send (gpointer shell, guint64 link, const guint8 *data, gsize len);
void request_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
                   const GError *error);
void conn_write (Conn *c);
void take_message (Conn *c, const guint8 *data, gsize len);
void parse_input (Conn *c);
void conn_read (Conn *c);
void conn_pump (Conn *c, int timeout_ms);
gboolean conn_run (Conn *c, int timeout_ms, Until until, gpointer data);
gboolean until_closed (Conn *c, gpointer data);
gboolean until_never (Conn *c, gpointer data);
gboolean wait_closed (Conn *c);
int tcp_connect (Tool *t, GError **error);
void conn_free (Conn *c);
Conn *conn_open (Tool *t, GError **error);
void send_frame (Conn *c, const guint8 *data, gsize len);
void send_message (Conn *c, GBytes *msg);
GBytes *make_request (Conn *c, const ReloadDestination *d, guint16 code, gpointer body,
                      guint64 *tid);
ReloadDestination dest_node (const ReloadNodeId *id);
GBytes *make_ping (Conn *c, gsize padding, guint64 *tid);
GPtrArray *make_ping_fragments (Conn *c, gsize padding, guint64 *tid);
GBytes *make_fetch (Conn *c, guint64 *tid);
GBytes *make_attach (Conn *c, guint16 port, guint64 *tid);
guint64 message_tid (GBytes *msg);
gsize message_header_len (GBytes *msg);
GBytes *flip_byte (GBytes *msg, gsize offset);
guint answers_for (Conn *c, guint64 tid);
gboolean until_answered (Conn *c, gpointer data);
guint ping_answered (Conn *c);
guint new_link_ping (Tool *t, char **why);
gboolean split_address (const char *text, char **host, char **port);
void find_dead_ports (Tool *t);
gboolean load_configuration (Tool *t, const char *profile, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_free)
