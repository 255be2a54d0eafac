/* sip-test-net.h: user agents wired back to back in memory, with a clock
 * the test drives and a filter that drops or holds messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-ua.h"

G_BEGIN_DECLS

typedef struct _TestNet TestNet;
typedef struct _TestUa TestUa;

/* What a UA reported, copied. */
typedef struct
{
  ChorusSipEventType type;
  guint call;
  guint request;
  ChorusSipConnId conn;
  int status;
  ChorusSipEndReason reason;
  char *from;
  char *to;
  char *body;
  char *allow;
  ChorusSdpSession *local_sdp;
  ChorusSdpSession *remote_sdp;
} TestEvent;

struct _TestUa
{
  TestNet *net;
  char *name;
  ChorusSipUa *ua;
  GPtrArray *events; /* TestEvent */
  GPtrArray *sent;   /* GBytes: every message this UA sent */
  GHashTable *links; /* conn -> Link */
  /* answered automatically from the event callback (0: not) */
  int auto_ring;
};

typedef enum
{
  TEST_PASS,
  TEST_DROP,
  TEST_HOLD,
} TestVerdict;

/* Decides the fate of each message (from @from, as its start line and
 * headers in @text). */
typedef TestVerdict (*TestFilter) (TestUa *from, TestUa *to, const char *text, gpointer data);

struct _TestNet
{
  gint64 now;
  GQueue queue; /* packets in flight */
  GQueue held;
  TestFilter filter;
  gpointer filter_data;
  GPtrArray *uas;
  guint next_conn;
};

TestNet *test_net_new (void);
void test_net_free (TestNet *net);
/* A UA with @aor; @media NULL: no media check; @reliable for its links. */
TestUa *test_net_add_ua (TestNet *net, const char *name, const char *aor,
                         const ChorusSdpSession *media, gboolean check_request_uri);
/* A connection between @a and @b; returns @a's connection id (and @b's in
 * *@b_conn). */
ChorusSipConnId test_net_link (TestNet *net, TestUa *a, TestUa *b, gboolean reliable,
                               ChorusSipConnId *b_conn);
/* Delivers messages until none is in flight (held ones stay held). */
void test_net_run (TestNet *net);
/* Lets @ms pass: timers fire in order, messages are delivered. */
void test_net_advance (TestNet *net, gint64 ms);
/* Delivers the held messages (then runs). */
void test_net_release (TestNet *net);
void test_net_set_filter (TestNet *net, TestFilter filter, gpointer data);

/* The last event of @type, or NULL; the number of them. */
TestEvent *test_ua_last (TestUa *u, ChorusSipEventType type);
guint test_ua_count (TestUa *u, ChorusSipEventType type);
/* Messages @u sent whose start line begins with @prefix ("INVITE ",
 * "SIP/2.0 487"); and of those, with a header line containing @needle. */
guint test_ua_sent_count (TestUa *u, const char *prefix);
guint test_ua_sent_with (TestUa *u, const char *prefix, const char *needle);
void test_ua_clear (TestUa *u);

/* A description for tests: default codecs, ICE and a fingerprint. */
ChorusSdpSession *test_media (const char *address);

G_END_DECLS
