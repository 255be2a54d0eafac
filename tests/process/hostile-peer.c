/* hostile-peer.c: a peer that misbehaves on purpose, for test_hostile.py.
 *
 *   hostile-peer PROFILE ADDR:PORT ATTACK [COUNT]
 *
 * Connects to a running chorus-peer over TCP + TLS (TLS-TCP-FH-NO-ICE,
 * RFC 6940 §6.6.5) with the certificate of PROFILE, a profile of the same
 * overlay so that the peer lets it in, learns the peer's Node-ID from the
 * peer's certificate (not verified: this is a test tool), runs one ATTACK
 * and prints one JSON line of what it saw.  Exits 0 when the attack could
 * be carried out, whatever the peer did about it; 1 when it could not (no
 * connection, a bad profile); 2 on bad usage.
 *
 * Correctly signed messages come from a real ReloadNode in client mode
 * (§3.2.1) with the profile's X.509 signer, one per connection, started
 * with link 1 = the connection: its shell's `send` hands the bytes it wants
 * to send to this program, which sends them framed (§6.6.2), altered, cut
 * short or many times.  Received messages are counted here and fed to the
 * node, so that its requests complete (their answers' signatures checked);
 * received data frames are acknowledged (§6.6.2).  The node's timers never
 * run: it retransmits nothing.
 *
 * ATTACKs:
 *   truncated       frames and messages cut short, garbage inside and below
 *                   TLS; then a valid Ping on a new connection
 *   bad-signature   a Ping and a Fetch with a byte of their signature value
 *                   flipped, the same with a byte of their body flipped, a
 *                   Ping with a byte of its transaction id flipped; then
 *                   fresh ones, and the originals, unaltered
 *   replay          one Ping sent COUNT (100) times with one transaction id
 *   oversized       a frame announcing 2^24-1 bytes and 1 MiB streamed after
 *                   it; a signed message over 5000 bytes in one frame, and
 *                   another one in fragments (§6.7); COUNT (1) rounds
 *   attach-flood    COUNT (5000) Attach requests to random Resource-IDs with
 *                   a TLS-TCP-FH-NO-ICE host candidate where nothing
 *                   listens, sent as fast as the link takes them while the
 *                   answers are read
 *   forward-load    not an attack, the load of bench_forward.py: COUNT
 *                   (10000) Pings to the Node-ID given as a fifth argument,
 *                   which the peer must forward both ways (this tool is a
 *                   client, §3.2.1), at most 32 outstanding; prints the
 *                   answers and the rate
 *   idle-handshakes COUNT (40) TCP connections that never start TLS, held
 *                   while new authenticated connections try a Ping (for up
 *                   to 30 s); then closed, and a Ping on a new connection
 *                   again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hostile-conn.h"

static void
j_int (GString *s, const char *key, gint64 v)
{
  g_string_append_printf (s, ", \"%s\": %" G_GINT64_FORMAT, key, v);
}

static void
j_bool (GString *s, const char *key, gboolean v)
{
  g_string_append_printf (s, ", \"%s\": %s", key, v ? "true" : "false");
}

static void
j_str (GString *s, const char *key, const char *v)
{
  g_string_append_printf (s, ", \"%s\": \"", key);
  for (const char *p = v ? v : ""; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      if ((guchar) *p < 0x20)
        g_string_append_printf (s, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

/* ---------------------------------------------------------------- attacks */

static gboolean
attack_truncated (Tool *t, guint count, GString *out, GError **error)
{
  /* 1. well-framed messages cut short: each frame is valid, the RELOAD
   * message in it is not whole (§6.6.2 frames carry whole messages) */
  g_autoptr (Conn) a = conn_open (t, error);
  if (a == NULL)
    return FALSE;
  j_int (out, "control_answered", ping_answered (a));
  guint64 tid;
  g_autoptr (GBytes) ping = make_ping (a, 0, &tid);
  if (ping == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping");
      return FALSE;
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (ping, &len);
  gsize hlen = message_header_len (ping);
  gsize cuts[] = { 1, 8, 20, 37, hlen - 1, hlen, hlen + 3, len / 2, len - 10, len - 1 };
  guint n_cuts = 0;
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    if (cuts[i] > 0 && cuts[i] < len)
      {
        send_frame (a, data, cuts[i]);
        n_cuts++;
      }
  /* and a zero-length message */
  send_frame (a, data, 0);
  n_cuts++;
  conn_run (a, CLOSE_WAIT_MS, NULL, NULL);
  /* the same Ping whole: it was never seen, so it is answered (once) */
  send_message (a, ping);
  TidSet s = { &tid, 1 };
  conn_run (a, ANSWER_TIMEOUT_MS, until_answered, &s);
  conn_run (a, QUIET_MS, until_never, NULL);
  j_int (out, "cut_sent", n_cuts);
  j_int (out, "whole_after_cuts_answers", answers_for (a, tid));
  j_bool (out, "cut_link_closed", a->closed);
  j_int (out, "after_cut_answered", a->closed ? 0 : ping_answered (a));
  g_clear_pointer (&a, conn_free);

  /* 2. a frame header announcing N bytes followed by fewer, then a whole
   * frame: the peer reads the next frame into the first and loses the
   * framing */
  g_autoptr (Conn) b = conn_open (t, error);
  if (b == NULL)
    return FALSE;
  guint64 tid2;
  g_autoptr (GBytes) ping2 = make_ping (b, 0, &tid2);
  guint8 header[RELOAD_FRAME_DATA_HEADER_SIZE] = { RELOAD_FRAME_DATA, 0, 0, 0, 0, 0, 0x01, 0x00 };
  header[4] = (guint8) b->next_sequence++;
  g_byte_array_append (b->out, header, sizeof header); /* 256 bytes announced */
  guint8 some[100];
  for (guint i = 0; i < sizeof some; i++)
    some[i] = (guint8) g_random_int ();
  g_byte_array_append (b->out, some, sizeof some);
  for (guint i = 0; i < MAX (count, 1u); i++)
    send_message (b, ping2);
  gboolean closed = wait_closed (b);
  j_bool (out, "short_frame_closed", closed);
  j_str (out, "short_frame_close_reason", b->close_reason);
  j_int (out, "short_frame_answers", answers_for (b, tid2));
  g_clear_pointer (&b, conn_free);

  /* 3. garbage inside TLS where a frame should start */
  g_autoptr (Conn) g = conn_open (t, error);
  if (g == NULL)
    return FALSE;
  guint8 junk[4096];
  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_random_int ();
  junk[0] = 0x42; /* neither data (128) nor ack (129) */
  g_byte_array_append (g->out, junk, sizeof junk);
  j_bool (out, "garbage_closed", wait_closed (g));
  g_clear_pointer (&g, conn_free);

  /* 4. garbage below TLS, on the TCP stream of an established session */
  g_autoptr (Conn) r = conn_open (t, error);
  if (r == NULL)
    return FALSE;
  gssize w = send (r->fd, junk, sizeof junk, MSG_NOSIGNAL);
  j_int (out, "tls_garbage_written", w);
  j_bool (out, "tls_garbage_closed", wait_closed (r));
  g_clear_pointer (&r, conn_free);

  /* 5. garbage instead of a TLS handshake */
  int fd = tcp_connect (t, error);
  if (fd < 0)
    return FALSE;
  w = send (fd, junk, sizeof junk, MSG_NOSIGNAL);
  struct pollfd p = { fd, POLLIN, 0 };
  gboolean hs_closed = FALSE;
  gint64 deadline = g_get_monotonic_time () + CLOSE_WAIT_MS * 1000;
  while (!hs_closed && g_get_monotonic_time () < deadline)
    {
      if (poll (&p, 1, 100) > 0)
        {
          guint8 buf[4096];
          gssize n = recv (fd, buf, sizeof buf, 0);
          hs_closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
        }
    }
  close (fd);
  j_bool (out, "handshake_garbage_closed", hs_closed);

  /* the peer still takes a new connection and answers on it */
  g_autofree char *why = NULL;
  j_int (out, "new_link_ping_answered", new_link_ping (t, &why));
  if (why != NULL)
    j_str (out, "new_link_ping_error", why);
  return TRUE;
}

/* Answers to the transaction ids of @msgs. */
static guint
answers_for_all (Conn *c, GBytes *const *msgs, guint n)
{
  guint total = 0;
  for (guint i = 0; i < n; i++)
    total += answers_for (c, message_tid (msgs[i]));
  return total;
}

static gboolean
attack_bad_signature (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  /* a Ping with 16 bytes of padding, so that its body has bytes to flip
   * that keep it well-formed, and a Fetch */
  guint64 tid_p, tid_f, tid_h;
  g_autoptr (GBytes) ping = make_ping (c, 16, &tid_p);
  g_autoptr (GBytes) fetch = make_fetch (c, &tid_f);
  g_autoptr (GBytes) ping_h = make_ping (c, 0, &tid_h);
  if (ping == NULL || fetch == NULL || ping_h == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping or Fetch");
      return FALSE;
    }
  /* the last byte of a message is the last of its signature value
   * (§6.3.4: the security block ends with the Signature) */
  GBytes *sig[2] = { flip_byte (ping, g_bytes_get_size (ping) - 1),
                     flip_byte (fetch, g_bytes_get_size (fetch) - 1) };
  /* the body starts after the header, the message code (2 bytes) and the
   * body's 32-bit length: PingReq's padding after its 16-bit length,
   * FetchReq's Resource-ID after its 8-bit length */
  GBytes *body[2] = { flip_byte (ping, message_header_len (ping) + 6 + 2 + 5),
                      flip_byte (fetch, message_header_len (fetch) + 6 + 1 + 3) };
  /* the transaction id is in the forwarding header (offset 20), signed
   * too (§6.3.4); the flipped copy carries another one */
  GBytes *tid[1] = { flip_byte (ping_h, 20 + 7) };
  for (guint i = 0; i < MAX (count, 1u); i++)
    {
      for (guint k = 0; k < 2; k++)
        send_message (c, sig[k]);
      for (guint k = 0; k < 2; k++)
        send_message (c, body[k]);
      send_message (c, tid[0]);
    }
  /* fresh requests, unaltered: answered.  The link and the paths are FIFO:
   * once these are answered, any answer to the altered ones came first. */
  guint64 fresh[2];
  g_autoptr (GBytes) ping2 = make_ping (c, 16, &fresh[0]);
  g_autoptr (GBytes) fetch2 = make_fetch (c, &fresh[1]);
  send_message (c, ping2);
  send_message (c, fetch2);
  TidSet s = { fresh, 2 };
  conn_run (c, ANSWER_TIMEOUT_MS, until_answered, &s);
  conn_run (c, QUIET_MS, until_never, NULL);
  j_int (out, "altered_sent", 5 * MAX (count, 1u));
  j_int (out, "sig_flipped_answers", answers_for_all (c, sig, 2));
  j_int (out, "body_flipped_answers", answers_for_all (c, body, 2));
  j_int (out, "tid_flipped_answers", answers_for_all (c, tid, 1) + answers_for (c, tid_h));
  j_int (out, "fresh_answered", (answers_for (c, fresh[0]) > 0) + (answers_for (c, fresh[1]) > 0));
  /* the originals of the altered ones, unaltered now: their transaction
   * ids were not spent by the forgeries */
  guint64 orig[2] = { tid_p, tid_f };
  send_message (c, ping);
  send_message (c, fetch);
  TidSet o = { orig, 2 };
  conn_run (c, ANSWER_TIMEOUT_MS, until_answered, &o);
  j_int (out, "original_answered", (answers_for (c, tid_p) > 0) + (answers_for (c, tid_f) > 0));
  j_int (out, "verified_answers", c->done_ok + c->done_error);
  j_bool (out, "link_closed", c->closed);
  for (guint k = 0; k < 2; k++)
    {
      g_bytes_unref (sig[k]);
      g_bytes_unref (body[k]);
    }
  g_bytes_unref (tid[0]);
  return TRUE;
}

static gboolean
until_n_answers (Conn *c, gpointer data)
{
  const guint64 *want = data; /* tid, count */
  return answers_for (c, want[0]) >= want[1];
}

static gboolean
attack_replay (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  guint64 tid;
  g_autoptr (GBytes) ping = make_ping (c, 0, &tid);
  if (ping == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Ping");
      return FALSE;
    }
  for (guint i = 0; i < count; i++)
    send_message (c, ping);
  guint64 want[2] = { tid, count };
  conn_run (c, ANSWER_TIMEOUT_MS, until_n_answers, want);
  conn_run (c, QUIET_MS, until_never, NULL);
  guint answers = 0, other = 0;
  g_autoptr (GHashTable) distinct = g_hash_table_new (g_bytes_hash, g_bytes_equal);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < c->received->len; i++)
    {
      Received *r = g_ptr_array_index (c->received, i);
      if (r->tid != tid)
        {
          other++;
          continue;
        }
      answers++;
      g_hash_table_add (distinct, r->bytes);
      gsize len;
      const guint8 *data = g_bytes_get_data (r->bytes, &len);
      gsize hlen = reload_fragment_parse_header (data, len, NULL, NULL, NULL);
      if (r->code == RELOAD_PING_ANS && hlen + 6 + 8 <= len)
        {
          /* PingAns {uint64 response_id; uint64 time} (§6.5.3.2) */
          guint64 *id = g_new (guint64, 1);
          *id = 0;
          for (guint k = 0; k < 8; k++)
            *id = *id << 8 | data[hlen + 6 + k];
          g_hash_table_add (ids, id);
        }
    }
  j_int (out, "sent", count);
  j_int (out, "answers", answers);
  j_int (out, "distinct_answers", g_hash_table_size (distinct));
  j_int (out, "distinct_response_ids", g_hash_table_size (ids));
  j_int (out, "other_messages", other);
  j_int (out, "verified_answers", c->done_ok);
  j_bool (out, "link_closed", c->closed);
  return TRUE;
}

static gboolean
attack_oversized (Tool *t, guint count, GString *out, GError **error)
{
  guint64 streamed = 0, announced_closed = 0;
  guint64 big_closed = 0, big_answers = 0, big_too_large = 0, big_bytes = 0;
  guint64 frag_answers = 0, frag_closed = 0, frag_bytes = 0, frag_pieces = 0, frag_after = 0;
  for (guint round = 0; round < MAX (count, 1u); round++)
    {
      /* 1. a frame announcing 2^24-1 bytes, and 1 MiB of them */
      g_autoptr (Conn) a = conn_open (t, error);
      if (a == NULL)
        return FALSE;
      guint8 header[RELOAD_FRAME_DATA_HEADER_SIZE] = {
        RELOAD_FRAME_DATA, 0, 0, 0, 0, 0xff, 0xff, 0xff
      };
      g_byte_array_append (a->out, header, sizeof header);
      gsize total = 1024 * 1024;
      guint8 *chunk = g_malloc (65536);
      for (gsize i = 0; i < 65536; i++)
        chunk[i] = (guint8) g_random_int ();
      guint64 start = a->bytes_written;
      for (gsize sent = 0; sent < total && !a->closed; sent += 65536)
        {
          g_byte_array_append (a->out, chunk, 65536);
          conn_run (a, CLOSE_WAIT_MS, NULL, NULL);
        }
      g_free (chunk);
      wait_closed (a);
      streamed += a->bytes_written - start;
      announced_closed += a->closed;

      /* 2. a signed Ping over max-message-size (5000 bytes by default) in
       * one frame */
      g_autoptr (Conn) b = conn_open (t, error);
      if (b == NULL)
        return FALSE;
      guint64 tid;
      g_autoptr (GBytes) big = make_ping (b, t->max_message_size + 1000, &tid);
      if (big == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no large Ping");
          return FALSE;
        }
      big_bytes = g_bytes_get_size (big);
      send_message (b, big);
      TidSet s = { &tid, 1 };
      conn_run (b, CLOSE_WAIT_MS, until_answered, &s);
      big_closed += b->closed;
      big_answers += answers_for (b, tid);
      for (guint i = 0; i < b->received->len; i++)
        {
          Received *r = g_ptr_array_index (b->received, i);
          if (r->tid == tid && r->code == RELOAD_ERROR
              && r->error_code == RELOAD_ERROR_MESSAGE_TOO_LARGE)
            big_too_large++;
        }

      /* 3. a signed Ping of four times max-message-size in fragments of a
       * valid size (§6.7): the reassembly must stop at max-message-size */
      g_autoptr (Conn) f = conn_open (t, error);
      if (f == NULL)
        return FALSE;
      guint64 tid_f;
      g_autoptr (GPtrArray) frags = make_ping_fragments (f, 4 * t->max_message_size, &tid_f);
      if (frags == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no fragments");
          return FALSE;
        }
      frag_pieces = frags->len;
      frag_bytes = 0;
      for (guint i = 0; i < frags->len; i++)
        {
          send_message (f, g_ptr_array_index (frags, i));
          frag_bytes += g_bytes_get_size (g_ptr_array_index (frags, i));
        }
      /* the link still works: a Ping after them is answered, and by then
       * the fragments were all taken (FIFO) */
      frag_after += ping_answered (f);
      conn_run (f, QUIET_MS, until_never, NULL);
      frag_answers += answers_for (f, tid_f);
      frag_closed += f->closed;
    }
  j_int (out, "rounds", MAX (count, 1u));
  j_int (out, "max_message_size", t->max_message_size);
  j_int (out, "announced_bytes", RELOAD_FRAME_MAX_MESSAGE);
  j_int (out, "streamed_bytes", streamed);
  j_int (out, "announced_closed", announced_closed);
  j_int (out, "big_frame_bytes", big_bytes);
  j_int (out, "big_frame_closed", big_closed);
  j_int (out, "big_frame_answers", big_answers);
  j_int (out, "big_frame_too_large_errors", big_too_large);
  j_int (out, "fragmented_bytes", frag_bytes);
  j_int (out, "fragmented_pieces", frag_pieces);
  j_int (out, "fragmented_answers", frag_answers);
  j_int (out, "fragmented_closed", frag_closed);
  j_int (out, "fragmented_then_ping_answered", frag_after);
  g_autofree char *why = NULL;
  j_int (out, "new_link_ping_answered", new_link_ping (t, &why));
  if (why != NULL)
    j_str (out, "new_link_ping_error", why);
  return TRUE;
}

static gboolean
attack_attach_flood (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  g_autoptr (GHashTable) sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  guint answers = 0, errors = 0, other = 0;
  g_autoptr (GHashTable) codes = g_hash_table_new (NULL, NULL);
  guint n_sent = 0, seen = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 last_progress = start;
  gint64 sent_all_at = 0;
  for (;;)
    {
      /* as fast as the link takes them: keep some queued, no more */
      while (n_sent < count && out_len (c) < FLOOD_OUT_HIGH && !c->closed)
        {
          guint64 tid;
          g_autoptr (GBytes) m = make_attach (c, t->dead_ports[n_sent % N_DEAD_PORTS], &tid);
          if (m == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the node made no Attach");
              return FALSE;
            }
          guint64 *key = g_new (guint64, 1);
          *key = tid;
          g_hash_table_add (sent, key);
          send_message (c, m);
          n_sent++;
        }
      if (n_sent == count && sent_all_at == 0 && out_len (c) == 0)
        sent_all_at = g_get_monotonic_time ();
      conn_pump (c, n_sent < count ? 0 : 100);
      /* count what came, and forget it */
      for (; seen < c->received->len; seen++)
        {
          Received *r = g_ptr_array_index (c->received, seen);
          if (!g_hash_table_remove (sent, &r->tid))
            {
              other++;
              continue;
            }
          last_progress = g_get_monotonic_time ();
          if (r->code == RELOAD_ATTACH_ANS)
            answers++;
          else if (r->code == RELOAD_ERROR)
            {
              errors++;
              guint k = r->error_code;
              g_hash_table_insert (
                  codes, GUINT_TO_POINTER (k),
                  GUINT_TO_POINTER (
                      GPOINTER_TO_UINT (g_hash_table_lookup (codes, GUINT_TO_POINTER (k))) + 1));
            }
          else
            other++;
        }
      g_ptr_array_set_size (c->received, 0);
      seen = 0;
      if (c->closed)
        break;
      gint64 now = g_get_monotonic_time ();
      if (n_sent == count && answers + errors >= count)
        break;
      if (now - last_progress > FLOOD_IDLE_MS * 1000 || now - start > FLOOD_MAX_MS * 1000)
        break;
    }
  gint64 end = g_get_monotonic_time ();
  j_int (out, "sent", n_sent);
  j_int (out, "answers", answers);
  j_int (out, "errors", errors);
  j_int (out, "unanswered", n_sent - answers - errors);
  j_int (out, "other_messages", other);
  j_int (out, "verified_answers", c->done_ok);
  GString *ec = g_string_new (NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, codes);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *name = rw_enum_name (reload_error_code_names, GPOINTER_TO_UINT (k));
      g_string_append_printf (ec, "%s%s=%u", ec->len ? "," : "", name ? name : "?",
                              GPOINTER_TO_UINT (v));
    }
  j_str (out, "error_codes", ec->str);
  g_string_free (ec, TRUE);
  j_int (out, "bytes_written", c->bytes_written);
  j_bool (out, "link_closed", c->closed);
  if (c->closed)
    j_str (out, "close_reason", c->close_reason);
  /* timings: for the log, never asserted */
  j_int (out, "send_ms", sent_all_at ? (sent_all_at - start) / 1000 : -1);
  j_int (out, "total_ms", (end - start) / 1000);
  j_int (out, "after_flood_ping_answered", c->closed ? 0 : ping_answered (c));
  return TRUE;
}

static gboolean
attack_idle_handshakes (Tool *t, guint count, GString *out, GError **error)
{
  g_autoptr (GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < count; i++)
    {
      int fd = tcp_connect (t, error);
      if (fd < 0)
        break;
      g_array_append_val (fds, fd);
    }
  g_clear_error (error);
  /* let the peer accept them all */
  g_usleep (1000 * 1000);
  /* how many the peer keeps open (a closed one reads EOF) */
  guint open = 0;
  for (guint i = 0; i < fds->len; i++)
    {
      guint8 b;
      gssize n = recv (g_array_index (fds, int, i), &b, 1, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        open++;
    }
  j_int (out, "idle_connections", fds->len);
  j_int (out, "idle_kept_open", open);
  /* an authenticated connection, tried again and again while the idle
   * ones are held: a peer that times handshakes out lets it in at last */
  g_autofree char *why = NULL;
  guint answered = 0, attempts = 0;
  gint64 until = g_get_monotonic_time () + IDLE_WINDOW_MS * 1000;
  while (answered == 0 && g_get_monotonic_time () < until)
    {
      if (attempts > 0)
        g_usleep (1000 * 1000);
      g_clear_pointer (&why, g_free);
      answered = new_link_ping (t, &why);
      attempts++;
    }
  j_int (out, "ping_answered_while_idle", answered);
  j_int (out, "while_idle_attempts", attempts);
  if (why != NULL)
    j_str (out, "while_idle_error", why);
  /* how many of them the peer closed meanwhile */
  guint closed_by_peer = 0;
  for (guint i = 0; i < fds->len; i++)
    {
      guint8 b;
      gssize n = recv (g_array_index (fds, int, i), &b, 1, MSG_DONTWAIT);
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        closed_by_peer++;
    }
  j_int (out, "idle_closed_by_peer", closed_by_peer);
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  /* the peer sees them end: a new connection, again while it is refused */
  g_autofree char *why2 = NULL;
  answered = 0;
  attempts = 0;
  while (answered == 0 && attempts < 20)
    {
      g_usleep (500 * 1000);
      g_clear_pointer (&why2, g_free);
      answered = new_link_ping (t, &why2);
      attempts++;
    }
  j_int (out, "ping_answered_after", answered);
  j_int (out, "after_attempts", attempts);
  if (why2 != NULL)
    j_str (out, "after_error", why2);
  return TRUE;
}

/* ---------------------------------------------------------------- main */

/* forward-load: see the header. */
#define FORWARD_WINDOW 32
#define FORWARD_IDLE_MS 15000

static gboolean
attack_forward_load (Tool *t, guint count, GString *out, GError **error)
{
  if (t->forward_target.len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "forward-load needs the target Node-ID as fifth argument");
      return FALSE;
    }
  g_autoptr (Conn) c = conn_open (t, error);
  if (c == NULL)
    return FALSE;
  ReloadDestination d = dest_node (&t->forward_target);
  guint64 base = c->done_ok + c->done_error;
  guint sent = 0;
  guint64 done = 0;
  gint64 start = g_get_monotonic_time (), last = start;
  while (!c->closed && done < count)
    {
      while (sent < count && sent - done < FORWARD_WINDOW)
        {
          ReloadPingReq req = { 0 };
          g_autoptr (GBytes) m = make_request (c, &d, RELOAD_PING_REQ, &req, NULL);
          if (m == NULL)
            break;
          send_message (c, m);
          sent++;
        }
      conn_pump (c, 100);
      guint64 now_done = c->done_ok + c->done_error - base;
      if (now_done > done)
        last = g_get_monotonic_time ();
      done = now_done;
      if (g_get_monotonic_time () - last > FORWARD_IDLE_MS * 1000)
        break;
      /* what was read stays counted in done_ok; the messages themselves
       * are not needed */
      g_ptr_array_set_size (c->received, 0);
    }
  gint64 elapsed_us = MAX (g_get_monotonic_time () - start, 1);
  j_int (out, "sent", sent);
  j_int (out, "answered", (gint64) done);
  j_int (out, "errors", (gint64) c->done_error);
  j_int (out, "elapsed_ms", elapsed_us / 1000);
  j_int (out, "pings_per_s", (gint64) (done * G_USEC_PER_SEC / (guint64) elapsed_us));
  return TRUE;
}

typedef struct
{
  const char *name;
  gboolean (*run) (Tool *t, guint count, GString *out, GError **error);
  guint default_count;
} Attack;

static const Attack attacks[] = {
  { "truncated", attack_truncated, 1 },
  { "bad-signature", attack_bad_signature, 1 },
  { "replay", attack_replay, 100 },
  { "oversized", attack_oversized, 1 },
  { "attach-flood", attack_attach_flood, 5000 },
  { "idle-handshakes", attack_idle_handshakes, 40 },
  { "forward-load", attack_forward_load, 10000 },
};

static int
usage (void)
{
  g_printerr ("usage: hostile-peer PROFILE ADDR:PORT ATTACK [COUNT [TARGET-NODE-ID]]\nATTACK:");
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    g_printerr (" %s", attacks[i].name);
  g_printerr ("\n");
  return 2;
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  if (argc < 4 || argc > 6)
    return usage ();
  const Attack *attack = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    if (g_str_equal (argv[3], attacks[i].name))
      attack = &attacks[i];
  guint64 count = attack ? attack->default_count : 0;
  if (attack == NULL
      || (argc >= 5 && !g_ascii_string_to_unsigned (argv[4], 10, 1, 1000000, &count, NULL)))
    return usage ();

  Tool t = { 0 };
  g_autoptr (GError) error = NULL;
  if (!split_address (argv[2], &t.host, &t.port))
    {
      g_printerr ("hostile-peer: “%s” is not ADDR:PORT\n", argv[2]);
      return 2;
    }
  t.creds = reload_credentials_load (argv[1], &error);
  if (t.creds != NULL && (t.creds->cert == NULL || t.creds->key == NULL))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: no cert.pem and key.pem",
                 argv[1]);
  if (error == NULL)
    t.identity = reload_cert_get_identity (t.creds->cert, &error);
  if (error == NULL)
    t.signer = reload_x509_signer_new (t.creds->ca, t.creds->cert, t.creds->key, &error);
  if (error == NULL)
    load_configuration (&t, argv[1], &error);
  find_dead_ports (&t);
  ChordId target;
  if (argc == 6)
    {
      if (!chord_id_from_hex (argv[5], &target))
        return usage ();
      t.forward_target = chord_id_to_node_id (target);
    }

  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "{\"attack\": \"%s\"", attack->name);
  gboolean ok = error == NULL && attack->run (&t, (guint) count, out, &error);
  j_bool (out, "ok", ok);
  if (!ok)
    j_str (out, "error", error ? error->message : "failed");
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
  fflush (stdout);
  g_string_free (out, TRUE);

  g_clear_pointer (&t.node_template.kinds, reload_kind_table_unref);
  g_clear_pointer (&t.config, reload_config_free);
  g_clear_pointer (&t.signer, reload_x509_signer_free);
  g_clear_pointer (&t.identity, reload_cert_identity_free);
  g_clear_pointer (&t.creds, reload_credentials_free);
  g_free (t.host);
  g_free (t.port);
  return ok ? 0 : 1;
}
