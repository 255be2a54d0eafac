/* fuzz-registrar.c: libFuzzer target for what the adapter's registrar
 * reads from a phone (chorus-sip-registrar.h): REGISTER requests through
 * libosip2, the checks of chorus-sip-message.h, digest authentication and
 * the binding rules of RFC 3261 §10.3.
 *
 * Input: one SIP message, given to a registrar that holds one binding of
 * alice's (Call-ID "fuzzcall@192.0.2.1", CSeq 2) and has issued a challenge
 * since.  "@NONCE@" in the input becomes the nonce of that challenge, and then
 * "@RESPONSE@" the right digest for the credentials the input carries
 * (its username, uri, nc, cnonce, qop and algorithm, with that user's
 * password), so that inputs get past authentication to the bindings.
 * Whatever the registrar does with it, it must then survive the message
 * again (a retransmission), on another connection (a replay), after the
 * nonce went stale, every expiry, and the connection closing; and it must
 * never hold more bindings than its users may have.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chorus-sip-message.h"
#include "chorus-sip-registrar.h"

#define DOMAIN "overlay.example"
#define MAX_BINDINGS 4

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *
password_of (const char *user, gpointer user_data)
{
  if (strcmp (user, "alice") == 0)
    return "wonderland";
  if (strcmp (user, "bob") == 0)
    return "builder";
  return NULL;
}

static gint64
real_time (gpointer user_data)
{
  return G_GINT64_CONSTANT (784111777) * G_USEC_PER_SEC;
}

static void
on_event (const ChorusSipRegistrarEvent *ev, gpointer user_data)
{
  guint *events = user_data;
  if (ev->aor == NULL || ev->contact == NULL || ev->user == NULL)
    abort ();
  (*events)++;
}

static GBytes *
handle (ChorusSipRegistrar *reg, guint64 conn, const char *text, gsize len, gint64 now)
{
  return chorus_sip_registrar_handle (reg, conn, (const guint8 *) text, len, now, NULL);
}

/* The value of a quoted-string or a token. */
static char *
unquote (const char *v)
{
  if (v == NULL)
    return NULL;
  gsize n = strlen (v);
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
    return g_strndup (v + 1, n - 2);
  return g_strdup (v);
}

/* The nonce of a 401. */
static char *
nonce_of (GBytes *resp)
{
  osip_message_t *m = NULL;
  int status;
  char *nonce = NULL;
  if (resp == NULL
      || chorus_sip_message_parse (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), &m,
                                   &status, NULL)
             != CHORUS_SIP_PARSE_OK)
    abort ();
  osip_www_authenticate_t *w = osip_list_get (&m->www_authenticates, 0);
  if (m->status_code != 401 || w == NULL || w->nonce == NULL)
    abort ();
  nonce = unquote (w->nonce);
  osip_message_free (m);
  return nonce;
}

static GByteArray *
replace (const guint8 *data, gsize size, const char *name, const char *value)
{
  GByteArray *out = g_byte_array_new ();
  gsize n = strlen (name);
  for (gsize i = 0; i < size;)
    {
      if (i + n <= size && memcmp (data + i, name, n) == 0)
        {
          g_byte_array_append (out, (const guint8 *) value, strlen (value));
          i += n;
        }
      else
        g_byte_array_append (out, data + i++, 1);
    }
  return out;
}

/* The digest the input's own credentials call for. */
static char *
right_response (const GByteArray *msg)
{
  g_autoptr (GByteArray) probe = replace (msg->data, msg->len, "@RESPONSE@", "0");
  osip_message_t *m = NULL;
  int status;
  if (chorus_sip_message_parse (probe->data, probe->len, &m, &status, NULL) == CHORUS_SIP_PARSE_DROP
      || m == NULL)
    return g_strdup ("0");
  char *out = NULL;
  osip_authorization_t *a = NULL;
  if (MSG_IS_REQUEST (m) && m->sip_method != NULL && osip_message_get_authorization (m, 0, &a) >= 0
      && a != NULL && a->username != NULL)
    {
      g_autofree char *user = unquote (a->username);
      g_autofree char *uri = unquote (a->uri);
      g_autofree char *nonce = unquote (a->nonce);
      g_autofree char *nc = unquote (a->nonce_count);
      g_autofree char *cnonce = unquote (a->cnonce);
      g_autofree char *qop = unquote (a->message_qop);
      g_autofree char *alg = unquote (a->algorithm);
      const char *password = password_of (user, NULL);
      out = chorus_sip_digest_response (alg && g_ascii_strcasecmp (alg, "SHA-256") == 0
                                            ? CHORUS_SIP_DIGEST_SHA256
                                            : CHORUS_SIP_DIGEST_MD5,
                                        user, DOMAIN, password ? password : "", m->sip_method,
                                        uri ? uri : "", nonce ? nonce : "", nc, cnonce, qop);
    }
  osip_message_free (m);
  return out ? out : g_strdup ("0");
}

static const char setup[] = "REGISTER sip:" DOMAIN " SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsetup%u\r\n"
                            "To: <sip:alice@" DOMAIN ">\r\n"
                            "From: <sip:alice@" DOMAIN ">;tag=setup\r\n"
                            "Call-ID: fuzzcall@192.0.2.1\r\n"
                            "CSeq: %u REGISTER\r\n"
                            "Contact: <sip:alice@192.0.2.1>;expires=120\r\n"
                            "%s"
                            "Content-Length: 0\r\n\r\n";

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  static const guint8 secret[] = "fuzz secret";
  const char *aliases[] = { "192.0.2.53", NULL };
  ChorusSipRegistrarConfig cfg = {
    .domain = DOMAIN,
    .aliases = aliases,
    .password = password_of,
    .max_bindings_per_aor = MAX_BINDINGS,
    .offer_sha256 = TRUE,
    .secret = secret,
    .secret_len = sizeof secret - 1,
    .seed = 11,
    .real_time = real_time,
  };
  guint events = 0;
  g_autoptr (ChorusSipRegistrar) reg = chorus_sip_registrar_new (&cfg, on_event, &events, NULL);
  if (reg == NULL)
    abort ();
  gint64 now = 1000000;

  /* a challenge, and alice's binding with it */
  g_autofree char *first = g_strdup_printf (setup, 1u, 1u, "");
  g_autoptr (GBytes) challenge = handle (reg, 1, first, strlen (first), now);
  g_autofree char *nonce = nonce_of (challenge);
  g_autofree char *digest =
      chorus_sip_digest_response (CHORUS_SIP_DIGEST_MD5, "alice", DOMAIN, "wonderland", "REGISTER",
                                  "sip:" DOMAIN, nonce, "00000001", "c", "auth");
  g_autofree char *auth = g_strdup_printf (
      "Authorization: Digest username=\"alice\", realm=\"" DOMAIN "\", nonce=\"%s\", "
      "uri=\"sip:" DOMAIN "\", qop=auth, nc=00000001, cnonce=\"c\", response=\"%s\"\r\n",
      nonce, digest);
  g_autofree char *second = g_strdup_printf (setup, 2u, 2u, auth);
  g_autoptr (GBytes) ok = handle (reg, 1, second, strlen (second), now);
  if (ok == NULL || chorus_sip_registrar_binding_count (reg) != 1)
    abort ();

  /* a second challenge, whose nonce the input gets (unused so far) */
  g_autofree char *third = g_strdup_printf (setup, 3u, 3u, "");
  g_autoptr (GBytes) challenge2 = handle (reg, 1, third, strlen (third), now);
  g_autofree char *nonce2 = nonce_of (challenge2);
  g_autoptr (GByteArray) with_nonce = replace (data, size, "@NONCE@", nonce2);
  g_autofree char *response = right_response (with_nonce);
  g_autoptr (GByteArray) msg = replace (with_nonce->data, with_nonce->len, "@RESPONSE@", response);

  const char *text = (const char *) msg->data;
  now += 10;
  g_autoptr (GBytes) r1 = handle (reg, 1, text, msg->len, now);
  /* a retransmission: an answered authenticated request gets the same
   * response */
  g_autoptr (GBytes) r2 = handle (reg, 1, text, msg->len, now + 500);
  if (r1 != NULL && r2 == NULL)
    abort ();
  /* a replay on another connection, and after the nonce went stale */
  g_autoptr (GBytes) r3 = handle (reg, 2, text, msg->len, now + 1000);
  g_autoptr (GBytes) r4 = handle (reg, 1, text, msg->len, now + 400000);
  /* what was answered parses as a response where the request had what a
   * response copies (libosip2 keeps no part of a request it could not
   * parse, so an unparsable one has no answer) */
  GBytes *answers[] = { r1, r2, r3, r4 };
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      if (answers[i] == NULL)
        continue;
      g_autofree char *copy =
          g_strndup (g_bytes_get_data (answers[i], NULL), g_bytes_get_size (answers[i]));
      osip_message_t *m = NULL;
      osip_message_init (&m);
      if (osip_message_parse (m, copy, strlen (copy)) == 0 && MSG_IS_REQUEST (m))
        {
          fprintf (stderr, "the registrar answered with a request\n");
          abort ();
        }
      osip_message_free (m);
    }
  if (chorus_sip_registrar_binding_count (reg) > 2 * MAX_BINDINGS)
    {
      fprintf (stderr, "more bindings than the users may have\n");
      abort ();
    }
  g_autoptr (GPtrArray) a = chorus_sip_registrar_lookup (reg, "alice", now);
  g_autofree char *as_aor = g_strndup ((const char *) data, MIN (size, 256));
  g_autoptr (GPtrArray) b = chorus_sip_registrar_lookup (reg, as_aor, now);
  for (guint i = 0; i < a->len + b->len; i++)
    {
      ChorusSipRegistrarBinding *x = i < a->len ? a->pdata[i] : b->pdata[i - a->len];
      if (x->contact == NULL || x->aor == NULL || x->expires_at_ms <= now)
        abort ();
    }
  /* every expiry, to the end */
  for (int i = 0; i < 100; i++)
    {
      gint64 t = chorus_sip_registrar_next_timeout (reg);
      if (t < 0)
        break;
      now = MAX (now, t);
      chorus_sip_registrar_tick (reg, now);
    }
  if (chorus_sip_registrar_next_timeout (reg) >= 0 || chorus_sip_registrar_binding_count (reg) != 0)
    abort ();
  chorus_sip_registrar_connection_closed (reg, 1, now);
  return 0;
}
