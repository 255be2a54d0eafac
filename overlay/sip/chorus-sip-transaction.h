/* chorus-sip-transaction.h: the SIP transaction layer (RFC 3261 §17, with
 * RFC 6026's Accepted states), sans-I/O.
 *
 * Why not libosip2's osip_t: its timers read the wall clock itself
 * (osip_gettimeofday), so a core that is fed the time, as the RELOAD node
 * is, and tests that drive Timer B to its 32 s in no time, cannot use it.
 * The four state machines here take their time from the caller, and
 * libosip2 still parses, builds and writes every message.
 *
 * A transaction belongs to one connection (an AppAttach link later): the
 * requests go out on it and the responses come back on it (§18.2.2).  On a
 * reliable connection the retransmission timers (A, E, G) do not run and
 * the wait timers (D, I, J, K) are zero (§17.1.1.2, §17.1.2.2, §17.2.1,
 * §17.2.2).
 *
 * Matching (§17.1.3, §17.2.3): a response by its top Via branch and CSeq
 * method; a request by branch, sent-by and method (ACK matching INVITE)
 * when the branch carries the magic cookie and more, else by the RFC 2543
 * fields (Request-URI, From tag, Call-ID, CSeq, top Via, and the To tag
 * of non-INVITE requests): RFC 4475 badbranch is such a request.  Requests
 * on different connections never match each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-osip.h"

G_BEGIN_DECLS

/* §17.1.1.1, Table 4. */
#define CHORUS_SIP_T1 500
#define CHORUS_SIP_T2 4000
#define CHORUS_SIP_T4 5000

typedef guint64 ChorusSipConnId;

typedef enum
{
  CHORUS_SIP_TXN_ICT,  /* INVITE client, §17.1.1 */
  CHORUS_SIP_TXN_NICT, /* non-INVITE client, §17.1.2 */
  CHORUS_SIP_TXN_IST,  /* INVITE server, §17.2.1 */
  CHORUS_SIP_TXN_NIST, /* non-INVITE server, §17.2.2 */
} ChorusSipTxnKind;

typedef enum
{
  CHORUS_SIP_TXN_CALLING,
  CHORUS_SIP_TXN_TRYING,
  CHORUS_SIP_TXN_PROCEEDING,
  CHORUS_SIP_TXN_ACCEPTED, /* RFC 6026 §7.1, §7.2 */
  CHORUS_SIP_TXN_COMPLETED,
  CHORUS_SIP_TXN_CONFIRMED,
  CHORUS_SIP_TXN_TERMINATED,
} ChorusSipTxnState;

typedef struct _ChorusSipTxn ChorusSipTxn;
typedef struct _ChorusSipTxnLayer ChorusSipTxnLayer;

struct _ChorusSipTxn
{
  ChorusSipTxnKind kind;
  ChorusSipTxnState state;
  ChorusSipConnId conn;
  gboolean reliable;
  osip_message_t *request;       /* owned */
  osip_message_t *last_response; /* owned: the last sent (server) or received final (client) */
  gpointer owner;                /* the TU's; NULL when it has let go */
  /* private */
  guint64 id;
  char *key;
  GBytes *request_bytes;
  GBytes *response_bytes;
  GBytes *ack_bytes;
  gint64 retransmit_at; /* A, E, G; -1 none */
  gint64 retransmit_interval;
  gint64 timeout_at; /* B, F, H; -1 none */
  gint64 end_at;     /* D, K, I, J, L, M; -1 none */
};

typedef struct
{
  void (*send) (ChorusSipConnId conn, GBytes *bytes, gpointer user_data);
  /* client: a response for the TU (§17.1.1.2: every 1xx, every 2xx, the
   * first final non-2xx; §17.1.2.2 the first final) */
  void (*response) (ChorusSipTxn *txn, osip_message_t *response, gpointer user_data);
  /* client: Timer B or F, or the connection failed (@transport_error);
   * server: Timer H, the ACK never came */
  void (*timeout) (ChorusSipTxn *txn, gboolean transport_error, gpointer user_data);
  /* the transaction is about to be freed */
  void (*terminated) (ChorusSipTxn *txn, gpointer user_data);
} ChorusSipTxnCallbacks;

ChorusSipTxnLayer *chorus_sip_txn_layer_new (const ChorusSipTxnCallbacks *callbacks,
                                             gpointer user_data);
/* Frees every transaction; the TU hears (terminated) of those it owns,
 * and must not start new ones from that callback. */
void chorus_sip_txn_layer_free (ChorusSipTxnLayer *layer);

/* A client transaction for @request (taken), sent at once. */
ChorusSipTxn *chorus_sip_txn_client_new (ChorusSipTxnLayer *layer, ChorusSipConnId conn,
                                         gboolean reliable, osip_message_t *request, gint64 now,
                                         gpointer owner);
/* A received response: TRUE when a client transaction took it. */
gboolean chorus_sip_txn_client_receive (ChorusSipTxnLayer *layer, ChorusSipConnId conn,
                                        osip_message_t *response, gint64 now);

/* A received request: TRUE when an existing server transaction took it (a
 * retransmission, absorbed or answered again; an ACK for a non-2xx final);
 * FALSE: a new request for the TU. */
gboolean chorus_sip_txn_server_receive (ChorusSipTxnLayer *layer, ChorusSipConnId conn,
                                        osip_message_t *request, gint64 now);
/* The server transaction @request belongs to (for CANCEL: the INVITE's,
 * §9.2), or NULL. */
ChorusSipTxn *chorus_sip_txn_server_find (ChorusSipTxnLayer *layer, ChorusSipConnId conn,
                                          osip_message_t *request, const char *method);
/* A server transaction for @request (copied). */
ChorusSipTxn *chorus_sip_txn_server_new (ChorusSipTxnLayer *layer, ChorusSipConnId conn,
                                         gboolean reliable, const osip_message_t *request,
                                         gint64 now, gpointer owner);
/* Sends @response (taken) on a server transaction. */
void chorus_sip_txn_respond (ChorusSipTxnLayer *layer, ChorusSipTxn *txn, osip_message_t *response,
                             gint64 now);

/* Whether a server transaction has sent a final response. */
gboolean chorus_sip_txn_has_final (const ChorusSipTxn *txn);
/* RFC 3261 §8.2.2.2: a request without To tag whose From tag, Call-ID and
 * CSeq equal those of a server transaction's request that has another
 * branch: a merged request (482). */
gboolean chorus_sip_txn_is_merged (ChorusSipTxnLayer *layer, osip_message_t *request);

/* Timers due at @now. */
void chorus_sip_txn_tick (ChorusSipTxnLayer *layer, gint64 now);
/* The earliest timer, or -1. */
gint64 chorus_sip_txn_next_deadline (ChorusSipTxnLayer *layer);
/* The connection is gone: its client transactions fail with a transport
 * error (§8.1.3.1: as a 503), its server transactions end. */
void chorus_sip_txn_connection_lost (ChorusSipTxnLayer *layer, ChorusSipConnId conn, gint64 now);
/* Transactions alive (tests). */
guint chorus_sip_txn_count (ChorusSipTxnLayer *layer);

G_END_DECLS
