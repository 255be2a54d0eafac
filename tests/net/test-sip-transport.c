/* test-sip-transport.c: the SIP adapter's transport for plain SIP phones
 * (chorus-sip-transport.h) on loopback (127.0.0.1, and ::1 when the host
 * has it): UDP ids, TCP framing (RFC 3261 §18.3) with its keep-alives
 * (RFC 5626 §3.5.1) and bounds, outgoing connections, limits; and the
 * framer (chorus-sip-framing.h) on its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-framing.h"
#include "chorus-sip-transport.h"

#include <netinet/in.h>
#include <string.h>

#define GUARD_MS 10000

static const char invite[] = "INVITE sip:bob@example.org SIP/2.0\r\n"
                             "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n"
                             "Call-ID: a@b\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";

/* ---------------------------------------------------------------- framer */

typedef struct
{
  GPtrArray *messages; /* GBytes */
  guint pings;
  GError *error;
} Framed;

static void
framed_clear (Framed *r)
{
  g_clear_pointer (&r->messages, g_ptr_array_unref);
  g_clear_error (&r->error);
}

/* Pushes @text in pieces of @step bytes (0: at once), taking everything
 * out after each push. */
static Framed
frame (const char *text, gsize len, gsize step, gsize max_header, gsize max_message)
{
  Framed r = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), 0, NULL };
  g_autoptr (ChorusSipFramer) f = chorus_sip_framer_new (max_header, max_message);
  if (step == 0)
    step = MAX (len, 1);
  for (gsize off = 0; off < len && r.error == NULL; off += step)
    {
      chorus_sip_framer_push (f, (const guint8 *) text + off, MIN (step, len - off));
      for (;;)
        {
          const guint8 *msg;
          gsize n;
          ChorusSipFrameResult res = chorus_sip_framer_next (f, &msg, &n, &r.error);
          if (res == CHORUS_SIP_FRAME_NEED_MORE || res == CHORUS_SIP_FRAME_ERROR)
            break;
          if (res == CHORUS_SIP_FRAME_PING)
            r.pings++;
          else
            g_ptr_array_add (r.messages, g_bytes_new (msg, n));
        }
    }
  return r;
}

static void
assert_message (Framed *r, guint i, const char *want)
{
  g_assert_cmpuint (i, <, r->messages->len);
  GBytes *b = r->messages->pdata[i];
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), want, strlen (want));
}

static void
test_framer_messages (void)
{
  const char *body = "INVITE sip:b@x SIP/2.0\r\nl: 5\r\n\r\nhello";
  const char *compact = "OPTIONS sip:b@x SIP/2.0\r\nL :3\r\nX: y\r\n\r\nabc";
  const char *folded = "MESSAGE sip:b@x SIP/2.0\r\nContent-length:\r\n  \t4 \r\n\r\nabcd";
  const char *spaced = "SIP/2.0 200 OK\r\nCONTENT-LENGTH\t: 02\r\n\r\nok";
  const char *start_line_colon = "INVITE sip:l@x SIP/2.0\r\nl: 0\r\n\r\n";
  /* "l" inside another name or in a value is no Content-Length */
  const char *other = "INVITE sip:b@x SIP/2.0\r\nX-L: 9\r\nSubject: l: 7\r\nl:1\r\n\r\n!";
  /* the same Content-Length twice is no conflict */
  const char *twice = "BYE sip:b@x SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\n.";
  const char *all[] = { invite, body, compact, folded, spaced, start_line_colon, other, twice };
  g_autoptr (GString) stream = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    g_string_append (stream, all[i]);

  /* each alone, split everywhere, and all of them in one stream, at once
   * and byte by byte (§18.3: several messages in one read, one message
   * across many) */
  for (gsize step = 0; step <= 7; step++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (all); i++)
        {
          Framed r = frame (all[i], strlen (all[i]), step, 0, 0);
          g_assert_no_error (r.error);
          g_assert_cmpuint (r.messages->len, ==, 1);
          assert_message (&r, 0, all[i]);
          framed_clear (&r);
        }
      Framed r = frame (stream->str, stream->len, step, 0, 0);
      g_assert_no_error (r.error);
      g_assert_cmpuint (r.messages->len, ==, G_N_ELEMENTS (all));
      for (guint i = 0; i < G_N_ELEMENTS (all); i++)
        assert_message (&r, i, all[i]);
      g_assert_cmpuint (r.pings, ==, 0);
      framed_clear (&r);
    }
}

static void
test_framer_keepalive (void)
{
  /* RFC 5626 §3.5.1: a double CRLF is a ping; a single CRLF (a pong, or
   * §7.5's CRLF before a start-line) is skipped */
  g_autofree char *text =
      g_strconcat ("\r\n\r\n", invite, "\r\n", invite, "\r\n\r\n\r\n\r\n", "\r\n", NULL);
  for (gsize step = 0; step <= 3; step++)
    {
      Framed r = frame (text, strlen (text), step, 0, 0);
      g_assert_no_error (r.error);
      g_assert_cmpuint (r.messages->len, ==, 2);
      assert_message (&r, 0, invite);
      assert_message (&r, 1, invite);
      g_assert_cmpuint (r.pings, ==, 3);
      framed_clear (&r);
    }
  /* the CRLFs are consumed, the start of a message is kept */
  g_autoptr (ChorusSipFramer) f = chorus_sip_framer_new (0, 0);
  chorus_sip_framer_push (f, (const guint8 *) "\r\n\nINV", 6);
  const guint8 *msg;
  gsize n;
  g_assert_cmpint (chorus_sip_framer_next (f, &msg, &n, NULL), ==, CHORUS_SIP_FRAME_NEED_MORE);
  const guint8 *rest = chorus_sip_framer_peek (f, &n);
  g_assert_cmpmem (rest, n, "INV", 3);
}

static void
test_framer_errors (void)
{
  struct
  {
    const char *text;
    gint code; /* ChorusSipFramingError */
  } bad[] = {
    /* §18.3, §20.14: Content-Length is mandatory on a stream */
    { "INVITE sip:b@x SIP/2.0\r\nVia: x\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_NO_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_NO_LENGTH },
    /* a folded line is no header of its own */
    { "INVITE sip:b@x SIP/2.0\r\nX: y\r\n l: 0\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_NO_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\nContent-Lengthy: 0\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_NO_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\nl: 5x\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\nl: -1\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\nl:\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH },
    { "INVITE sip:b@x SIP/2.0\r\nl: 1 2\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH },
    /* two that disagree: which one frames the stream? */
    { "INVITE sip:b@x SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
      CHORUS_SIP_FRAMING_ERROR_BAD_LENGTH },
    /* over the 64 KiB of a message, known from the header */
    { "INVITE sip:b@x SIP/2.0\r\nl: 65536\r\n\r\n", CHORUS_SIP_FRAMING_ERROR_TOO_LARGE },
    { "INVITE sip:b@x SIP/2.0\r\nl: 99999999999999999999999999\r\n\r\n",
      CHORUS_SIP_FRAMING_ERROR_TOO_LARGE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    for (gsize step = 0; step <= 1; step++)
      {
        Framed r = frame (bad[i].text, strlen (bad[i].text), step, 0, 0);
        g_assert_error (r.error, CHORUS_SIP_FRAMING_ERROR, bad[i].code);
        g_assert_cmpuint (r.messages->len, ==, 0);
        framed_clear (&r);
      }

  /* a header section of 16 KiB passes, one byte more does not, also
   * before its end has come */
  for (gsize extra = 0; extra <= 1; extra++)
    {
      g_autoptr (GString) s = g_string_new ("INVITE sip:b@x SIP/2.0\r\nl: 0\r\nX: ");
      gsize fill = CHORUS_SIP_FRAMING_MAX_HEADER - s->len - 4 + extra;
      for (gsize k = 0; k < fill; k++)
        g_string_append_c (s, 'a');
      g_string_append (s, "\r\n\r\n");
      Framed r = frame (s->str, s->len, 1000, 0, 0);
      if (extra == 0)
        {
          g_assert_no_error (r.error);
          g_assert_cmpuint (r.messages->len, ==, 1);
        }
      else
        g_assert_error (r.error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_TOO_LARGE);
      framed_clear (&r);
      /* without its end: refused when the bound is reached (the bytes up
       * to it hold "\r\n\r" at most) */
      r = frame (s->str, CHORUS_SIP_FRAMING_MAX_HEADER - 1 + extra, 1, 0, 0);
      if (extra == 0)
        g_assert_no_error (r.error);
      else
        g_assert_error (r.error, CHORUS_SIP_FRAMING_ERROR, CHORUS_SIP_FRAMING_ERROR_TOO_LARGE);
      framed_clear (&r);
    }

  /* a message of exactly 64 KiB passes */
  g_autoptr (GString) s = g_string_new (NULL);
  const char *head = "MESSAGE sip:b@x SIP/2.0\r\nl: 00000\r\n\r\n";
  gsize body = CHORUS_SIP_FRAMING_MAX_MESSAGE - strlen (head);
  g_string_printf (s, "MESSAGE sip:b@x SIP/2.0\r\nl: %05" G_GSIZE_FORMAT "\r\n\r\n", body);
  for (gsize k = 0; k < body; k++)
    g_string_append_c (s, 'b');
  g_assert_cmpuint (s->len, ==, CHORUS_SIP_FRAMING_MAX_MESSAGE);
  Framed r = frame (s->str, s->len, 4096, 0, 0);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.messages->len, ==, 1);
  framed_clear (&r);

  /* sticky: nothing after an error */
  g_autoptr (ChorusSipFramer) f = chorus_sip_framer_new (0, 0);
  chorus_sip_framer_push (f, (const guint8 *) bad[0].text, strlen (bad[0].text));
  const guint8 *msg;
  gsize n;
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (chorus_sip_framer_next (f, &msg, &n, &error), ==, CHORUS_SIP_FRAME_ERROR);
  g_assert_nonnull (error);
  chorus_sip_framer_push (f, (const guint8 *) invite, strlen (invite));
  g_assert_cmpint (chorus_sip_framer_next (f, &msg, &n, NULL), ==, CHORUS_SIP_FRAME_ERROR);
}

/* ---------------------------------------------------------------- the transport */

typedef struct
{
  guint64 conn;
  gboolean reliable;
  GBytes *data;
} Received;

typedef struct
{
  ChorusSipTransport *t;
  GPtrArray *received; /* Received */
  GArray *closed;      /* guint64 */
  gboolean free_in_message;
  gboolean echo; /* send every message back on its conn */
} Side;

static void
received_free (gpointer p)
{
  Received *r = p;
  g_bytes_unref (r->data);
  g_free (r);
}

static void
on_message (ChorusSipTransport *t, guint64 conn, gboolean reliable, const guint8 *data, gsize len,
            gpointer user_data)
{
  Side *s = user_data;
  g_assert_true (t == s->t);
  g_assert_cmpuint (conn, !=, 0);
  Received *r = g_new0 (Received, 1);
  r->conn = conn;
  r->reliable = reliable;
  r->data = g_bytes_new (data, len);
  g_ptr_array_add (s->received, r);
  if (s->echo)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (chorus_sip_transport_send (t, conn, data, len, &error));
      g_assert_no_error (error);
    }
  if (s->free_in_message)
    {
      chorus_sip_transport_free (t);
      s->t = NULL;
    }
}

static void
on_closed (ChorusSipTransport *t, guint64 conn, gpointer user_data)
{
  Side *s = user_data;
  g_assert_true (t == s->t);
  g_array_append_val (s->closed, conn);
}

static const ChorusSipTransportCallbacks callbacks = { on_message, on_closed };

static Side *
side_new (const char *listen)
{
  Side *s = g_new0 (Side, 1);
  s->received = g_ptr_array_new_with_free_func (received_free);
  s->closed = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GError) error = NULL;
  s->t = chorus_sip_transport_new (listen, &callbacks, s, &error);
  if (s->t == NULL)
    {
      g_ptr_array_unref (s->received);
      g_array_unref (s->closed);
      g_free (s);
      return NULL;
    }
  g_assert_no_error (error);
  return s;
}

static void
side_free (Side *s)
{
  chorus_sip_transport_free (s->t);
  g_ptr_array_unref (s->received);
  g_array_unref (s->closed);
  g_free (s);
}

static gboolean
was_closed (Side *s, guint64 conn)
{
  for (guint i = 0; i < s->closed->len; i++)
    if (g_array_index (s->closed, guint64, i) == conn)
      return TRUE;
  return FALSE;
}

static Received *
received (Side *s, guint i)
{
  g_assert_cmpuint (i, <, s->received->len);
  return s->received->pdata[i];
}

static void
assert_received (Side *s, guint i, const char *want)
{
  Received *r = received (s, i);
  g_assert_cmpmem (g_bytes_get_data (r->data, NULL), g_bytes_get_size (r->data), want,
                   strlen (want));
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @expr holds (the sockets of the test's
 * own clients are not in it: a tick wakes it up); fails after GUARD_MS. */
#define WAIT_UNTIL(expr)                                           \
  G_STMT_START                                                     \
  {                                                                \
    gboolean timed_out_ = FALSE;                                   \
    guint guard_ = g_timeout_add (GUARD_MS, flag_cb, &timed_out_); \
    guint tick_ = g_timeout_add (5, tick_cb, NULL);                \
    while (!(expr) && !timed_out_)                                 \
      g_main_context_iteration (NULL, TRUE);                       \
    g_source_remove (tick_);                                       \
    g_assert_false (timed_out_);                                   \
    g_source_remove (guard_);                                      \
  }                                                                \
  G_STMT_END

/* Runs the main context for @ms. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;
  g_timeout_add (ms, flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* A phone: a plain socket. */
static GSocket *
client_socket (Side *s, gboolean tcp)
{
  GInetSocketAddress *to = chorus_sip_transport_get_address (s->t);
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (to));
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) sock =
      g_socket_new (family, tcp ? G_SOCKET_TYPE_STREAM : G_SOCKET_TYPE_DATAGRAM,
                    tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_autoptr (GSocketAddress) any =
      g_inet_socket_address_new (g_inet_socket_address_get_address (to), 0);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  if (tcp)
    g_assert_true (g_socket_connect (sock, G_SOCKET_ADDRESS (to), NULL, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (sock, FALSE);
  return g_steal_pointer (&sock);
}

static void
client_send (Side *s, GSocket *sock, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  if (g_socket_get_socket_type (sock) == G_SOCKET_TYPE_DATAGRAM)
    {
      gssize r = g_socket_send_to (sock, G_SOCKET_ADDRESS (chorus_sip_transport_get_address (s->t)),
                                   data, len, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (r, ==, (gssize) len);
      return;
    }
  gsize off = 0;
  while (off < len)
    {
      gssize r = g_socket_send (sock, (const gchar *) data + off, len - off, NULL, &error);
      if (r < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_main_context_iteration (NULL, FALSE);
          continue;
        }
      g_assert_no_error (error);
      off += (gsize) r;
    }
}

/* What a client socket has now (appended to @into); FALSE at EOF. */
static gboolean
client_read (GSocket *sock, GByteArray *into)
{
  for (;;)
    {
      guint8 buf[65536];
      g_autoptr (GError) error = NULL;
      gssize r = g_socket_receive (sock, (gchar *) buf, sizeof buf, NULL, &error);
      if (r < 0) /* EWOULDBLOCK, or a reset: the end as well */
        return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      if (r == 0)
        return FALSE;
      g_byte_array_append (into, buf, (guint) r);
      if (g_socket_get_socket_type (sock) == G_SOCKET_TYPE_DATAGRAM)
        return TRUE;
    }
}

static guint64
last_conn (Side *s)
{
  return received (s, s->received->len - 1)->conn;
}

static void
run_udp (const char *listen)
{
  Side *s = side_new (listen);
  if (s == NULL)
    {
      g_test_skip ("no such address here");
      return;
    }
  g_autoptr (GSocket) a = client_socket (s, FALSE);
  g_autoptr (GSocket) b = client_socket (s, FALSE);

  client_send (s, a, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 1);
  Received *r = received (s, 0);
  g_assert_false (r->reliable);
  assert_received (s, 0, invite);
  guint64 ida = r->conn;

  /* the remote is the phone's address */
  gboolean reliable = TRUE;
  g_autoptr (GInetSocketAddress) remote = chorus_sip_transport_get_remote (s->t, ida, &reliable);
  g_assert_false (reliable);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (a, NULL);
  g_assert_cmpuint (g_inet_socket_address_get_port (remote), ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  /* a reply on the id reaches the phone */
  g_autoptr (GError) error = NULL;
  const char *ok = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  g_assert_true (chorus_sip_transport_send (s->t, ida, (const guint8 *) ok, strlen (ok), &error));
  g_assert_no_error (error);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL ((client_read (a, got), got->len > 0));
  g_assert_cmpmem (got->data, got->len, ok, strlen (ok));

  /* the same phone keeps its id, another one gets its own */
  client_send (s, a, "OPTIONS", 7);
  WAIT_UNTIL (s->received->len == 2);
  g_assert_cmpuint (last_conn (s), ==, ida);
  client_send (s, b, "OPTIONS", 7);
  WAIT_UNTIL (s->received->len == 3);
  guint64 idb = last_conn (s);
  g_assert_cmpuint (idb, !=, ida);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, FALSE), ==, 2);
  /* connect() to the phone's address gives its id */
  g_assert_cmpuint (chorus_sip_transport_connect (s->t, remote, FALSE, &error), ==, ida);
  g_assert_no_error (error);

  /* CRLF keep-alives and STUN are no messages; CRLFs before a start-line
   * go */
  client_send (s, a, "\r\n\r\n", 4);
  client_send (s, a, "\0\1\0\0\x21\x12\xa4\x42", 8);
  client_send (s, a, "\r\nACK", 5);
  WAIT_UNTIL (s->received->len == 4);
  assert_received (s, 3, "ACK");
  g_assert_cmpuint (last_conn (s), ==, ida);

  /* a big datagram comes whole */
  gsize big_len = 60000;
  g_autofree char *big = g_malloc (big_len);
  memset (big, 'x', big_len);
  memcpy (big, "MESSAGE", 7);
  client_send (s, b, big, big_len);
  WAIT_UNTIL (s->received->len == 5);
  g_assert_cmpuint (g_bytes_get_size (received (s, 4)->data), ==, big_len);
  g_assert_cmpuint (last_conn (s), ==, idb);

  /* a closed id: sending fails, the next datagram gets a new id */
  chorus_sip_transport_close (s->t, ida);
  g_assert_false (chorus_sip_transport_send (s->t, ida, (const guint8 *) ok, 2, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
  g_clear_error (&error);
  client_send (s, a, "OPTIONS", 7);
  WAIT_UNTIL (s->received->len == 6);
  g_assert_cmpuint (last_conn (s), !=, ida);
  g_assert_cmpuint (last_conn (s), !=, idb);
  /* too big for a datagram */
  g_autofree guint8 *huge = g_malloc0 (70000);
  g_assert_false (chorus_sip_transport_send (s->t, idb, huge, 70000, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_TOO_LARGE);
  g_assert_cmpuint (s->closed->len, ==, 0);
  side_free (s);
}

static void
test_udp (void)
{
  run_udp ("127.0.0.1:0");
}

static void
test_udp6 (void)
{
  run_udp ("[::1]:0");
}

/* One TCP phone sends @text in pieces of @step bytes (0: at once) and the
 * transport must deliver @want (a NULL-terminated list). */
static void
tcp_case (const char *text, gsize step, const char *const *want)
{
  Side *s = side_new ("127.0.0.1:0");
  g_autoptr (GSocket) c = client_socket (s, TRUE);
  gsize len = strlen (text);
  if (step == 0)
    step = len;
  for (gsize off = 0; off < len; off += step)
    {
      client_send (s, c, text + off, MIN (step, len - off));
      if (step < len)
        run_for (1);
    }
  guint n = g_strv_length ((char **) want);
  WAIT_UNTIL (s->received->len == n);
  guint64 id = received (s, 0)->conn;
  for (guint i = 0; i < n; i++)
    {
      assert_received (s, i, want[i]);
      g_assert_true (received (s, i)->reliable);
      g_assert_cmpuint (received (s, i)->conn, ==, id);
    }
  g_assert_cmpuint (s->closed->len, ==, 0);
  side_free (s);
}

static void
test_tcp_framing (void)
{
  const char *body = "MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 11\r\n\r\nhello world";
  const char *compact = "MESSAGE sip:b@x SIP/2.0\r\nl:2\r\n\r\nhi";
  const char *folded = "MESSAGE sip:b@x SIP/2.0\r\nContent-Length:\r\n 3\r\n\r\nabc";

  tcp_case (invite, 0, (const char *[]){ invite, NULL });
  g_autofree char *two = g_strconcat (invite, body, NULL);
  tcp_case (two, 0, (const char *[]){ invite, body, NULL });
  tcp_case (body, 1, (const char *[]){ body, NULL });
  tcp_case (compact, 0, (const char *[]){ compact, NULL });
  tcp_case (folded, 3, (const char *[]){ folded, NULL });
  g_autofree char *crlfs = g_strconcat ("\r\n", compact, "\r\n", folded, NULL);
  tcp_case (crlfs, 0, (const char *[]){ compact, folded, NULL });
}

static void
test_tcp_reply_and_keepalive (void)
{
  Side *s = side_new ("127.0.0.1:0");
  g_autoptr (GSocket) c = client_socket (s, TRUE);
  client_send (s, c, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 1);
  guint64 id = received (s, 0)->conn;
  gboolean reliable = FALSE;
  g_autoptr (GInetSocketAddress) remote = chorus_sip_transport_get_remote (s->t, id, &reliable);
  g_assert_true (reliable);
  g_assert_nonnull (remote);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 1);

  const char *ok = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  g_autoptr (GError) error = NULL;
  g_assert_true (chorus_sip_transport_send (s->t, id, (const guint8 *) ok, strlen (ok), &error));
  g_assert_no_error (error);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL ((client_read (c, got), got->len >= strlen (ok)));
  g_assert_cmpmem (got->data, got->len, ok, strlen (ok));

  /* RFC 5626 §3.5.1: ping, pong; split across writes too */
  g_byte_array_set_size (got, 0);
  client_send (s, c, "\r\n\r\n", 4);
  WAIT_UNTIL ((client_read (c, got), got->len >= 2));
  run_for (20);
  client_read (c, got);
  g_assert_cmpmem (got->data, got->len, "\r\n", 2);
  g_byte_array_set_size (got, 0);
  client_send (s, c, "\r\n", 2);
  run_for (20);
  client_read (c, got);
  g_assert_cmpuint (got->len, ==, 0); /* a pong is not answered */
  client_send (s, c, "\r\n", 2);
  WAIT_UNTIL ((client_read (c, got), got->len >= 2));
  g_assert_cmpmem (got->data, got->len, "\r\n", 2);
  g_assert_cmpuint (s->received->len, ==, 1);
  g_assert_cmpuint (s->closed->len, ==, 0);
  side_free (s);
}

/* A TCP phone sends @text; the transport closes the connection (logged)
 * and reports it. */
static void
tcp_refused (const char *text, gsize len)
{
  Side *s = side_new ("127.0.0.1:0");
  g_autoptr (GSocket) c = client_socket (s, TRUE);
  client_send (s, c, text, len);
  WAIT_UNTIL (s->closed->len == 1);
  g_assert_cmpuint (s->received->len, ==, 0);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL (!client_read (c, got));
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 0);
  /* the id is gone */
  g_autoptr (GError) error = NULL;
  guint64 id = g_array_index (s->closed, guint64, 0);
  g_assert_false (chorus_sip_transport_send (s->t, id, (const guint8 *) "x", 1, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
  g_assert_null (chorus_sip_transport_get_remote (s->t, id, NULL));
  side_free (s);
}

static void
test_tcp_refused (void)
{
  /* §18.3: no Content-Length on a stream */
  const char *no_length = "INVITE sip:b@x SIP/2.0\r\nVia: x\r\n\r\nv=0\r\n";
  tcp_refused (no_length, strlen (no_length));
  /* a header section over 16 KiB, without its end */
  gsize n = CHORUS_SIP_FRAMING_MAX_HEADER + 10;
  g_autofree char *header = g_malloc (n);
  memset (header, 'h', n);
  tcp_refused (header, n);
  /* a body over 64 KiB, announced */
  const char *big = "MESSAGE sip:b@x SIP/2.0\r\nContent-Length: 70000\r\n\r\n";
  tcp_refused (big, strlen (big));
}

static void
test_tcp_peer_closes (void)
{
  Side *s = side_new ("127.0.0.1:0");
  GSocket *c = client_socket (s, TRUE);
  client_send (s, c, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 1);
  guint64 id = received (s, 0)->conn;
  g_socket_close (c, NULL);
  g_object_unref (c);
  WAIT_UNTIL (s->closed->len == 1);
  g_assert_cmpuint (g_array_index (s->closed, guint64, 0), ==, id);
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sip_transport_send (s->t, id, (const guint8 *) invite, 4, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
  g_clear_error (&error);
  /* never given out */
  g_assert_false (chorus_sip_transport_send (s->t, 9999, (const guint8 *) invite, 4, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
  chorus_sip_transport_close (s->t, 9999);
  side_free (s);
}

/* close() flushes what is queued, then the phone sees the end. */
static void
test_tcp_close_flushes (void)
{
  Side *s = side_new ("127.0.0.1:0");
  g_autoptr (GSocket) c = client_socket (s, TRUE);
  client_send (s, c, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 1);
  guint64 id = received (s, 0)->conn;
  gsize total = 0;
  g_autofree guint8 *chunk = g_malloc (60000);
  memset (chunk, 'z', 60000);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (chorus_sip_transport_send (s->t, id, chunk, 60000, &error));
      total += 60000;
    }
  chorus_sip_transport_close (s->t, id);
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sip_transport_send (s->t, id, chunk, 1, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 0);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL (!client_read (c, got));
  g_assert_cmpuint (got->len, ==, total);
  /* closed by us: not reported */
  run_for (20);
  g_assert_cmpuint (s->closed->len, ==, 0);
  side_free (s);
}

/* The adapter reaches a phone that listens: here another transport. */
static void
run_connect (const char *listen)
{
  Side *adapter = side_new (listen);
  if (adapter == NULL)
    {
      g_test_skip ("no such address here");
      return;
    }
  Side *phone = side_new (listen);
  phone->echo = TRUE;
  GInetSocketAddress *to = chorus_sip_transport_get_address (phone->t);
  g_autoptr (GError) error = NULL;

  for (int tcp = 0; tcp <= 1; tcp++)
    {
      guint64 id = chorus_sip_transport_connect (adapter->t, to, tcp, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (id, !=, 0);
      /* reused while open */
      g_assert_cmpuint (chorus_sip_transport_connect (adapter->t, to, tcp, &error), ==, id);
      /* queued until connected */
      g_assert_true (chorus_sip_transport_send (adapter->t, id, (const guint8 *) invite,
                                                strlen (invite), &error));
      g_assert_no_error (error);
      guint before = adapter->received->len;
      WAIT_UNTIL (adapter->received->len == before + 1);
      g_assert_cmpuint (last_conn (adapter), ==, id);
      g_assert_cmpint (received (adapter, before)->reliable, ==, tcp);
      assert_received (adapter, before, invite);
      g_assert_cmpint (received (phone, phone->received->len - 1)->reliable, ==, tcp);
      gboolean reliable = !tcp;
      g_autoptr (GInetSocketAddress) r =
          chorus_sip_transport_get_remote (adapter->t, id, &reliable);
      g_assert_cmpint (reliable, ==, tcp);
      g_assert_cmpuint (g_inet_socket_address_get_port (r), ==,
                        g_inet_socket_address_get_port (to));
    }
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (adapter->t, TRUE), ==, 1);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (phone->t, TRUE), ==, 1);
  g_assert_cmpuint (adapter->closed->len, ==, 0);
  side_free (phone);
  side_free (adapter);
}

static void
test_connect (void)
{
  run_connect ("127.0.0.1:0");
}

static void
test_connect6 (void)
{
  run_connect ("[::1]:0");
}

static void
test_connect_refused (void)
{
  Side *s = side_new ("127.0.0.1:0");
  /* a port nobody listens on (TCP): the one of a transport just freed */
  Side *gone = side_new ("127.0.0.1:0");
  g_autoptr (GInetSocketAddress) to =
      G_INET_SOCKET_ADDRESS (g_object_ref (chorus_sip_transport_get_address (gone->t)));
  side_free (gone);
  g_autoptr (GError) error = NULL;
  guint64 id = chorus_sip_transport_connect (s->t, to, TRUE, &error);
  if (id == 0)
    g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_FAILED);
  else
    {
      g_assert_no_error (error);
      g_assert_true (chorus_sip_transport_send (s->t, id, (const guint8 *) invite, 4, &error));
      WAIT_UNTIL (s->closed->len == 1);
      g_assert_cmpuint (g_array_index (s->closed, guint64, 0), ==, id);
      g_assert_false (chorus_sip_transport_send (s->t, id, (const guint8 *) invite, 4, &error));
      g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_CLOSED);
    }
  side_free (s);
}

static void
test_tcp_limit (void)
{
  Side *s = side_new ("127.0.0.1:0");
  chorus_sip_transport_set_limits (s->t, &(ChorusSipTransportLimits){ .max_tcp = 4 });
  ChorusSipTransportLimits l;
  chorus_sip_transport_get_limits (s->t, &l);
  g_assert_cmpuint (l.max_tcp, ==, 4);
  g_assert_cmpuint (l.max_udp_peers, ==, CHORUS_SIP_TRANSPORT_MAX_UDP_PEERS);
  GSocket *c[8];
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    {
      c[i] = client_socket (s, TRUE);
      run_for (5);
    }
  WAIT_UNTIL (chorus_sip_transport_get_n_connections (s->t, TRUE) == 4);
  /* the first four are served, the others closed at once */
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    client_send (s, c[i], invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 4);
  for (guint i = 4; i < G_N_ELEMENTS (c); i++)
    {
      g_autoptr (GByteArray) got = g_byte_array_new ();
      WAIT_UNTIL (!client_read (c[i], got));
    }
  run_for (20);
  g_assert_cmpuint (s->received->len, ==, 4);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 4);
  /* no outgoing one either */
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (
      chorus_sip_transport_connect (s->t, chorus_sip_transport_get_address (s->t), TRUE, &error),
      ==, 0);
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_LIMIT);
  /* one goes, another comes */
  g_socket_close (c[0], NULL);
  WAIT_UNTIL (s->closed->len == 1);
  g_autoptr (GSocket) late = client_socket (s, TRUE);
  client_send (s, late, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 5);
  for (guint i = 0; i < G_N_ELEMENTS (c); i++)
    g_object_unref (c[i]);
  side_free (s);
}

/* The default bound: 256 phones at once, the next ones refused. */
static void
test_tcp_many (void)
{
  Side *s = side_new ("127.0.0.1:0");
  guint n = CHORUS_SIP_TRANSPORT_MAX_TCP + 4;
  g_autoptr (GPtrArray) c = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (c, client_socket (s, TRUE));
      WAIT_UNTIL (chorus_sip_transport_get_n_connections (s->t, TRUE)
                  == MIN (i + 1, CHORUS_SIP_TRANSPORT_MAX_TCP));
    }
  for (guint i = CHORUS_SIP_TRANSPORT_MAX_TCP; i < n; i++)
    {
      g_autoptr (GByteArray) got = g_byte_array_new ();
      WAIT_UNTIL (!client_read (c->pdata[i], got));
    }
  for (guint i = 0; i < CHORUS_SIP_TRANSPORT_MAX_TCP; i++)
    client_send (s, c->pdata[i], invite, strlen (invite));
  WAIT_UNTIL (s->received->len == CHORUS_SIP_TRANSPORT_MAX_TCP);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==,
                    CHORUS_SIP_TRANSPORT_MAX_TCP);
  g_assert_cmpuint (s->closed->len, ==, 0);
  side_free (s);
}

/* A dual-stack socket ([::]) gives IPv4 phones IPv4 addresses. */
static void
test_dual_stack (void)
{
  g_autoptr (GSocket) probe =
      g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  gint v6only = 1;
  if (probe == NULL || !g_socket_get_option (probe, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, NULL)
      || v6only)
    {
      g_test_skip ("no dual-stack IPv6 sockets here");
      return;
    }
  Side *s = side_new ("[::]:0");
  if (s == NULL)
    {
      g_test_skip ("no IPv6 here");
      return;
    }
  guint16 port = g_inet_socket_address_get_port (chorus_sip_transport_get_address (s->t));
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, port);
  for (int tcp = 0; tcp <= 1; tcp++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) c =
          g_socket_new (G_SOCKET_FAMILY_IPV4, tcp ? G_SOCKET_TYPE_STREAM : G_SOCKET_TYPE_DATAGRAM,
                        tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, &error);
      g_assert_no_error (error);
      g_assert_true (g_socket_connect (c, to, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_socket_send (c, invite, strlen (invite), NULL, &error), ==,
                       (gssize) strlen (invite));
      g_socket_set_blocking (c, FALSE);
      WAIT_UNTIL (s->received->len == (guint) tcp + 1);
      guint64 id = last_conn (s);
      g_autoptr (GInetSocketAddress) remote = chorus_sip_transport_get_remote (s->t, id, NULL);
      g_assert_cmpint (g_socket_address_get_family (G_SOCKET_ADDRESS (remote)), ==,
                       G_SOCKET_FAMILY_IPV4);
      /* the answer reaches them */
      g_assert_true (
          chorus_sip_transport_send (s->t, id, (const guint8 *) invite, strlen (invite), &error));
      g_assert_no_error (error);
      g_autoptr (GByteArray) got = g_byte_array_new ();
      WAIT_UNTIL ((client_read (c, got), got->len >= strlen (invite)));
      g_assert_cmpmem (got->data, got->len, invite, strlen (invite));
      /* connect() to that IPv4 address finds the same id */
      g_assert_cmpuint (chorus_sip_transport_connect (s->t, remote, tcp, &error), ==, id);
      g_assert_no_error (error);
    }
  side_free (s);
}

static void
test_idle (void)
{
  Side *s = side_new ("127.0.0.1:0");
  chorus_sip_transport_set_limits (
      s->t, &(ChorusSipTransportLimits){ .tcp_idle_ms = 300, .udp_idle_ms = 300 });
  g_autoptr (GSocket) quiet = client_socket (s, TRUE);
  g_autoptr (GSocket) pinging = client_socket (s, TRUE);
  g_autoptr (GSocket) udp = client_socket (s, FALSE);
  client_send (s, quiet, invite, strlen (invite));
  client_send (s, pinging, invite, strlen (invite));
  client_send (s, udp, invite, strlen (invite));
  WAIT_UNTIL (s->received->len == 3);
  gint64 start = g_get_monotonic_time ();
  /* RFC 5626 keep-alives keep a connection open */
  for (guint i = 0; i < 8; i++)
    {
      client_send (s, pinging, "\r\n\r\n", 4);
      run_for (100);
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 800000);
  g_assert_cmpuint (s->closed->len, ==, 2); /* the quiet TCP one and the UDP id */
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 1);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, FALSE), ==, 0);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL (!client_read (quiet, got));
  side_free (s);
}

/* A message trickled byte by byte: traffic, but never a whole message. */
static void
test_slow_message (void)
{
  Side *s = side_new ("127.0.0.1:0");
  chorus_sip_transport_set_limits (s->t, &(ChorusSipTransportLimits){ .message_timeout_ms = 300 });
  g_autoptr (GSocket) slow = client_socket (s, TRUE);
  g_autoptr (GSocket) fast = client_socket (s, TRUE);
  gint64 start = g_get_monotonic_time ();
  gint64 closed_at = 0;
  /* whole messages, one every 100 ms, and CRLF pings between them keep a
   * connection open */
  for (guint i = 0; i < 8; i++)
    {
      if (closed_at == 0)
        client_send (s, slow, invite + i, 1);
      client_send (s, fast, invite, strlen (invite));
      client_send (s, fast, "\r\n\r\n", 4);
      run_for (100);
      if (closed_at == 0 && s->closed->len > 0)
        closed_at = g_get_monotonic_time ();
    }
  g_assert_cmpint (closed_at - start, >=, 300000);
  g_assert_cmpint (closed_at - start, <, 600000);
  g_assert_cmpuint (s->closed->len, ==, 1);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, TRUE), ==, 1);
  WAIT_UNTIL (s->received->len == 8);
  for (guint i = 0; i < s->received->len; i++)
    assert_received (s, i, invite);
  g_autoptr (GByteArray) got = g_byte_array_new ();
  WAIT_UNTIL (!client_read (slow, got));
  side_free (s);
}

static void
test_udp_evict (void)
{
  Side *s = side_new ("127.0.0.1:0");
  chorus_sip_transport_set_limits (s->t, &(ChorusSipTransportLimits){ .max_udp_peers = 2 });
  GSocket *c[3];
  for (guint i = 0; i < 3; i++)
    {
      c[i] = client_socket (s, FALSE);
      client_send (s, c[i], invite, strlen (invite));
      WAIT_UNTIL (s->received->len == i + 1);
    }
  /* the oldest went, and is reported (from the main loop) */
  WAIT_UNTIL (s->closed->len == 1);
  g_assert_cmpuint (g_array_index (s->closed, guint64, 0), ==, received (s, 0)->conn);
  g_assert_cmpuint (chorus_sip_transport_get_n_connections (s->t, FALSE), ==, 2);
  /* connect() may evict too: reported later, never from inside the call */
  g_autoptr (GSocketAddress) a0 = g_socket_get_local_address (c[0], NULL);
  g_autoptr (GError) error = NULL;
  guint64 id = chorus_sip_transport_connect (s->t, G_INET_SOCKET_ADDRESS (a0), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, !=, received (s, 0)->conn);
  g_assert_cmpuint (s->closed->len, ==, 1);
  WAIT_UNTIL (s->closed->len == 2);
  g_assert_true (was_closed (s, received (s, 1)->conn));
  for (guint i = 0; i < 3; i++)
    g_object_unref (c[i]);
  side_free (s);
}

static void
test_free_in_callback (void)
{
  for (int tcp = 0; tcp <= 1; tcp++)
    {
      Side *s = side_new ("127.0.0.1:0");
      s->free_in_message = TRUE;
      g_autoptr (GSocket) c = client_socket (s, tcp);
      g_autofree char *two = g_strconcat (invite, invite, NULL);
      client_send (s, c, two, strlen (two));
      if (!tcp)
        client_send (s, c, two, strlen (two));
      WAIT_UNTIL (s->t == NULL);
      run_for (20);
      g_assert_cmpuint (s->received->len, ==, 1);
      side_free (s);
    }
}

static void
test_new_errors (void)
{
  const char *bad[] = { NULL,       "",          "127.0.0.1", "localhost:5060", "127.0.0.1:65536",
                        "::1:5060", "[::1]5060", "1.2.3.4:x" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (chorus_sip_transport_new (bad[i], &callbacks, NULL, &error));
      g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_INVALID);
    }
  /* the port of another transport is taken */
  Side *s = side_new ("127.0.0.1:0");
  GInetSocketAddress *a = chorus_sip_transport_get_address (s->t);
  g_assert_cmpuint (g_inet_socket_address_get_port (a), !=, 0);
  g_autofree char *taken = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (a));
  g_autoptr (GError) error = NULL;
  g_assert_null (chorus_sip_transport_new (taken, &callbacks, NULL, &error));
  g_assert_error (error, CHORUS_SIP_TRANSPORT_ERROR, CHORUS_SIP_TRANSPORT_ERROR_LISTEN);
  side_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/sip-framing/messages", test_framer_messages);
  g_test_add_func ("/net/sip-framing/keepalive", test_framer_keepalive);
  g_test_add_func ("/net/sip-framing/errors", test_framer_errors);
  g_test_add_func ("/net/sip-transport/udp", test_udp);
  g_test_add_func ("/net/sip-transport/udp6", test_udp6);
  g_test_add_func ("/net/sip-transport/tcp-framing", test_tcp_framing);
  g_test_add_func ("/net/sip-transport/tcp-reply-keepalive", test_tcp_reply_and_keepalive);
  g_test_add_func ("/net/sip-transport/tcp-refused", test_tcp_refused);
  g_test_add_func ("/net/sip-transport/tcp-peer-closes", test_tcp_peer_closes);
  g_test_add_func ("/net/sip-transport/tcp-close-flushes", test_tcp_close_flushes);
  g_test_add_func ("/net/sip-transport/connect", test_connect);
  g_test_add_func ("/net/sip-transport/connect6", test_connect6);
  g_test_add_func ("/net/sip-transport/connect-refused", test_connect_refused);
  g_test_add_func ("/net/sip-transport/tcp-limit", test_tcp_limit);
  g_test_add_func ("/net/sip-transport/tcp-many", test_tcp_many);
  g_test_add_func ("/net/sip-transport/dual-stack", test_dual_stack);
  g_test_add_func ("/net/sip-transport/idle", test_idle);
  g_test_add_func ("/net/sip-transport/slow-message", test_slow_message);
  g_test_add_func ("/net/sip-transport/udp-evict", test_udp_evict);
  g_test_add_func ("/net/sip-transport/free-in-callback", test_free_in_callback);
  g_test_add_func ("/net/sip-transport/new-errors", test_new_errors);
  return g_test_run ();
}
