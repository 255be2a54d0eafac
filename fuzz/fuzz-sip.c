/* fuzz-sip.c: libFuzzer target for what the SIP user agent reads from a
 * connection (chorus-sip-ua.h): SIP messages through libosip2 and the
 * checks of chorus-sip-message.h into the UA's transactions, dialogs and
 * calls, and the SDP of their bodies (chorus-sdp.h).
 *
 * Input: a SIP message, given to a fresh UA.  When the input starts with
 * "@", the rest is a response to a call the UA places first: "@BRANCH@",
 * "@CALLID@" and "@TAG@" in it become the branch, Call-ID and From tag of
 * that INVITE, so responses reach the client transaction and the dialog.
 * Whatever the UA does with it, it must then survive the message again (a
 * retransmission), its own answer to a call it was offered, a hold, a
 * hang-up and every timer.
 *
 * The body, and the whole input, are also parsed as SDP: a description
 * that parses must write out to one that parses again, and be answered
 * without a crash; an answer must answer its offer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chorus-sip-message.h"
#include "chorus-sip-ua.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  GByteArray *first_sent; /* the UA's first message */
  guint incoming;
} State;

static void
on_send (ChorusSipConnId conn, const guint8 *data, gsize len, gpointer user_data)
{
  State *s = user_data;
  if (s->first_sent == NULL)
    {
      s->first_sent = g_byte_array_new ();
      g_byte_array_append (s->first_sent, data, len);
    }
}

static void
on_event (const ChorusSipEvent *ev, gpointer user_data)
{
  State *s = user_data;
  if (ev->type == CHORUS_SIP_EVENT_INCOMING_CALL)
    s->incoming = ev->call;
}

static ChorusSdpSession *
local_media (void)
{
  ChorusSdpSession *s = chorus_sdp_session_new_local (
      "192.0.2.1", 9, "ufrag", "passwordpasswordpassword",
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
      "67:89");
  return s;
}

static void
check_sdp (const char *text, gsize len, const ChorusSdpSession *local)
{
  g_autoptr (ChorusSdpSession) s = chorus_sdp_parse (text, len, NULL);
  if (s == NULL)
    return;
  g_autofree char *out = chorus_sdp_to_string (s);
  if (out == NULL)
    {
      fprintf (stderr, "a parsed description does not write out\n");
      abort ();
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusSdpSession) back = chorus_sdp_parse (out, strlen (out), &error);
  /* a stream with no usable codec is written with a placeholder format
   * (RFC 4566 §5.14 wants one): the codecs compare only when there are */
  if (back == NULL || (s->codecs->len > 0 && back->codecs->len != s->codecs->len)
      || back->candidates->len != s->candidates->len || back->direction != s->direction)
    {
      fprintf (stderr, "written description does not read back: %s\n%s\n",
               error ? error->message : "differs", out);
      abort ();
    }
  g_autoptr (ChorusSdpSession) answer = chorus_sdp_answer (s, local, NULL);
  if (answer != NULL && !chorus_sdp_check_answer (s, answer, NULL))
    {
      fprintf (stderr, "an answer that does not answer its offer\n");
      abort ();
    }
}

/* "@BRANCH@" and the others, from the INVITE the UA sent. */
static GByteArray *
fill_in (const uint8_t *data, size_t size, GByteArray *invite)
{
  osip_message_t *m = NULL;
  int status;
  GByteArray *out = g_byte_array_new ();
  if (chorus_sip_message_parse (invite->data, invite->len, &m, &status, NULL)
      != CHORUS_SIP_PARSE_OK)
    abort (); /* our own INVITE must parse */
  g_autofree char *call_id = chorus_sip_message_call_id (m);
  const char *names[] = { "@BRANCH@", "@CALLID@", "@TAG@" };
  const char *values[] = { chorus_sip_message_branch (m), call_id,
                           chorus_sip_message_from_tag (m) };
  for (size_t i = 0; i < size;)
    {
      gboolean done = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (names) && !done; k++)
        {
          size_t n = strlen (names[k]);
          if (i + n <= size && memcmp (data + i, names[k], n) == 0)
            {
              g_byte_array_append (out, (const guint8 *) values[k], strlen (values[k]));
              i += n;
              done = TRUE;
            }
        }
      if (!done)
        g_byte_array_append (out, data + i++, 1);
    }
  osip_message_free (m);
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_autoptr (ChorusSdpSession) media = local_media ();
  check_sdp ((const char *) data, size, media);

  State st = { 0 };
  ChorusSipUaConfig cfg = {
    .aor = "sip:user@example.com",
    .via_host = "fuzz.invalid",
    .media = media,
    .seed = 7,
  };
  ChorusSipUaCallbacks cb = { .send = on_send, .event = on_event };
  g_autoptr (ChorusSipUa) ua = chorus_sip_ua_new (&cfg, &cb, &st, NULL);
  if (ua == NULL)
    abort ();
  gint64 now = 1000;
  g_autoptr (GByteArray) msg = NULL;
  guint call = 0;
  if (size > 0 && data[0] == '@')
    {
      ChorusSipConnId conn = 1;
      call = chorus_sip_ua_call (ua, "sip:peer@example.com", &conn, 1, media, now, NULL);
      if (call == 0 || st.first_sent == NULL)
        abort ();
      msg = fill_in (data + 1, size - 1, st.first_sent);
    }
  else
    {
      msg = g_byte_array_new ();
      g_byte_array_append (msg, data, size);
    }

  chorus_sip_ua_receive (ua, 1, msg->data, msg->len, now, NULL);
  osip_message_t *m = NULL;
  int status;
  if (chorus_sip_message_parse (msg->data, msg->len, &m, &status, NULL) != CHORUS_SIP_PARSE_DROP)
    {
      gsize len = 0;
      const char *body = chorus_sip_message_body (m, &len);
      if (body != NULL)
        check_sdp (body, len, media);
      /* what parsed can be written (responses copy its headers).  That it
       * parses again is libosip2's affair and not always so: it reads
       * "From: sip:4" and not the "From: <sip:4>" it writes for it. */
      g_autoptr (GBytes) again = chorus_sip_message_to_bytes (m);
      if (again != NULL)
        {
          osip_message_t *m2 = NULL;
          chorus_sip_message_parse (g_bytes_get_data (again, NULL), g_bytes_get_size (again), &m2,
                                    &status, NULL);
          if (m2 != NULL)
            osip_message_free (m2);
        }
      osip_message_free (m);
    }
  /* a retransmission */
  now += 100;
  chorus_sip_ua_receive (ua, 1, msg->data, msg->len, now, NULL);
  if (st.incoming != 0)
    {
      chorus_sip_ua_ring (ua, st.incoming, 180, now, NULL);
      chorus_sip_ua_answer (ua, st.incoming, media, now, NULL);
      chorus_sip_ua_receive (ua, 1, msg->data, msg->len, now, NULL);
      chorus_sip_ua_hold (ua, st.incoming, TRUE, now, NULL);
      chorus_sip_ua_hangup (ua, st.incoming, now, NULL);
    }
  if (call != 0)
    {
      chorus_sip_ua_hold (ua, call, TRUE, now, NULL);
      chorus_sip_ua_receive (ua, 1, msg->data, msg->len, now, NULL);
      chorus_sip_ua_hangup (ua, call, now, NULL);
    }
  /* every timer, to the end */
  for (int i = 0; i < 200; i++)
    {
      gint64 t = chorus_sip_ua_next_timeout (ua);
      if (t < 0)
        break;
      now = MAX (now, t);
      chorus_sip_ua_tick (ua, now);
    }
  chorus_sip_ua_connection_closed (ua, 1, now);
  if (st.first_sent)
    g_byte_array_unref (st.first_sent);
  return 0;
}
