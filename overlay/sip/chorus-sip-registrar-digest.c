/* chorus-sip-registrar-digest.c: the registrar's digest authentication
 * (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760): the digest itself, nonces
 * that carry their time under an HMAC, challenges, and the verification
 * of credentials with the nonce counts (chorus-sip-registrar.h says the
 * rules).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registrar-private.h"

#include <string.h>
#include <sys/random.h>

#define NONCE_HEX_LEN 64
/* the highest nc accepted for a nonce used without qop: no more uses */
#define NC_SPENT G_MAXUINT64

/* ---------------------------------------------------------------- small helpers */

/* RFC 2617 §3.2.1 / RFC 7230 §3.2.6: the value of a quoted-string (quoted
 * pairs resolved), or a token as it is.  NULL for NULL. */
char *
registrar_unquote (const char *value)
{
  if (value == NULL)
    return NULL;
  g_autofree char *v = g_strstrip (g_strdup (value));
  gsize n = strlen (v);
  if (n < 2 || v[0] != '"' || v[n - 1] != '"')
    return g_steal_pointer (&v);
  GString *s = g_string_sized_new (n);
  for (gsize i = 1; i + 1 < n; i++)
    {
      if (v[i] == '\\' && i + 2 < n)
        i++;
      g_string_append_c (s, v[i]);
    }
  return g_string_free (s, FALSE);
}

/* A quoted-string holding @value. */
static char *
quote (const char *value)
{
  GString *s = g_string_new ("\"");
  for (const char *p = value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

/* Whether two lower-case hex strings are equal, in time that depends on
 * their length only. */
static gboolean
hex_equal (const char *expected, const char *given)
{
  gsize n = strlen (expected);
  if (strlen (given) != n)
    return FALSE;
  guchar diff = 0;
  for (gsize i = 0; i < n; i++)
    diff |= (guchar) expected[i] ^ (guchar) g_ascii_tolower (given[i]);
  return diff == 0;
}

static gboolean
all_hex (const char *s, gsize len)
{
  if (strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- digest */

char *
chorus_sip_digest_response (ChorusSipDigestAlgorithm algorithm, const char *username,
                            const char *realm, const char *password, const char *method,
                            const char *uri, const char *nonce, const char *nc, const char *cnonce,
                            const char *qop)
{
  GChecksumType type = algorithm == CHORUS_SIP_DIGEST_SHA256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5;
  g_autofree char *a1 = g_strdup_printf ("%s:%s:%s", username, realm, password);
  g_autofree char *a2 = g_strdup_printf ("%s:%s", method, uri);
  g_autofree char *ha1 = g_compute_checksum_for_string (type, a1, -1);
  g_autofree char *ha2 = g_compute_checksum_for_string (type, a2, -1);
  g_autofree char *kd = NULL;
  if (qop != NULL)
    kd = g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, nonce, nc ? nc : "", cnonce ? cnonce : "", qop,
                          ha2);
  else
    kd = g_strdup_printf ("%s:%s:%s", ha1, nonce, ha2);
  return g_compute_checksum_for_string (type, kd, -1);
}

/* ---------------------------------------------------------------- nonces */

static void
nonce_mac (ChorusSipRegistrar *reg, const guint8 body[16], guint8 out[16])
{
  gsize klen = 0;
  const guint8 *key = g_bytes_get_data (reg->secret, &klen);
  g_autoptr (GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, key, klen);
  g_hmac_update (h, body, 16);
  g_hmac_update (h, (const guchar *) reg->realm, strlen (reg->realm));
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_hmac_get_digest (h, digest, &dlen);
  memcpy (out, digest, 16);
}

/* hex(time (8 bytes, big-endian) || salt (8)) || hex(HMAC[0..16]) */
static char *
nonce_new (ChorusSipRegistrar *reg, gint64 now)
{
  guint8 body[16];
  guint64 t = (guint64) now;
  for (int i = 0; i < 8; i++)
    body[i] = (guint8) (t >> (56 - 8 * i));
  for (int i = 8; i < 16; i++)
    body[i] = (guint8) g_rand_int_range (reg->rand, 0, 256);
  guint8 mac[16];
  nonce_mac (reg, body, mac);
  GString *s = g_string_sized_new (NONCE_HEX_LEN);
  for (int i = 0; i < 16; i++)
    g_string_append_printf (s, "%02x", body[i]);
  for (int i = 0; i < 16; i++)
    g_string_append_printf (s, "%02x", mac[i]);
  return g_string_free (s, FALSE);
}

/* Whether @nonce is one of ours; *@issued gets its time. */
static gboolean
nonce_verify (ChorusSipRegistrar *reg, const char *nonce, gint64 *issued)
{
  if (!all_hex (nonce, NONCE_HEX_LEN))
    return FALSE;
  guint8 raw[32];
  for (int i = 0; i < 32; i++)
    raw[i] = (guint8) (g_ascii_xdigit_value (nonce[2 * i]) << 4
                       | g_ascii_xdigit_value (nonce[2 * i + 1]));
  guint8 mac[16];
  nonce_mac (reg, raw, mac);
  guint8 diff = 0;
  for (int i = 0; i < 16; i++)
    diff |= mac[i] ^ raw[16 + i];
  if (diff != 0)
    return FALSE;
  guint64 t = 0;
  for (int i = 0; i < 8; i++)
    t = t << 8 | raw[i];
  *issued = (gint64) t;
  return TRUE;
}

/* ---------------------------------------------------------------- challenges */

static void
add_challenge (ChorusSipRegistrar *reg, osip_message_t *resp, const char *algorithm,
               const char *nonce, gboolean stale)
{
  osip_www_authenticate_t *w = NULL;
  if (osip_www_authenticate_init (&w) != 0)
    return;
  osip_www_authenticate_set_auth_type (w, osip_strdup ("Digest"));
  char *realm = quote (reg->realm);
  osip_www_authenticate_set_realm (w, osip_strdup (realm));
  g_free (realm);
  char *n = quote (nonce);
  osip_www_authenticate_set_nonce (w, osip_strdup (n));
  g_free (n);
  if (stale)
    osip_www_authenticate_set_stale (w, osip_strdup ("true"));
  osip_www_authenticate_set_algorithm (w, osip_strdup (algorithm));
  osip_www_authenticate_set_qop_options (w, osip_strdup ("\"auth\""));
  osip_list_add (&resp->www_authenticates, w, -1);
}

/* 401 with a new nonce (§22.2; RFC 8760 §2.3: the preferred algorithm
 * first). */
GBytes *
registrar_challenge (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now, gboolean stale)
{
  osip_message_t *resp = registrar_response_new (reg, req, 401, NULL);
  g_autofree char *nonce = nonce_new (reg, now);
  if (reg->offer_sha256)
    add_challenge (reg, resp, "SHA-256", nonce, stale);
  add_challenge (reg, resp, "MD5", nonce, stale);
  return registrar_finish (resp);
}

/* ---------------------------------------------------------------- authentication */

/* The Digest credentials for our realm (§22.2: one per realm), or NULL. */
static osip_authorization_t *
find_credentials (ChorusSipRegistrar *reg, const osip_message_t *req)
{
  osip_authorization_t *a = NULL;
  for (int i = 0; osip_message_get_authorization (req, i, &a) >= 0 && a != NULL; i++)
    {
      if (a->auth_type == NULL || g_ascii_strcasecmp (a->auth_type, "Digest") != 0)
        continue;
      g_autofree char *realm = registrar_unquote (a->realm);
      if (realm != NULL && strcmp (realm, reg->realm) == 0)
        return a;
      a = NULL;
    }
  return NULL;
}

AuthResult
registrar_authenticate (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now,
                        char **user_out, const char **why)
{
  osip_authorization_t *a = find_credentials (reg, req);
  if (a == NULL)
    {
      *why = "no credentials";
      return AUTH_CHALLENGE;
    }
  g_autofree char *username = registrar_unquote (a->username);
  g_autofree char *nonce = registrar_unquote (a->nonce);
  g_autofree char *uri = registrar_unquote (a->uri);
  g_autofree char *response = registrar_unquote (a->response);
  g_autofree char *qop = registrar_unquote (a->message_qop);
  g_autofree char *nc = registrar_unquote (a->nonce_count);
  g_autofree char *cnonce = registrar_unquote (a->cnonce);
  g_autofree char *algorithm = registrar_unquote (a->algorithm);
  /* RFC 2617 §3.2.2: "If a directive or its value is improper, or
   * required directives are missing, the proper response is 400" */
  if (username == NULL || *username == '\0' || nonce == NULL || uri == NULL || response == NULL)
    {
      *why = "credentials without username, nonce, uri or response";
      return AUTH_BAD;
    }
  guint64 nc_value = NC_SPENT;
  if (qop != NULL)
    {
      if (g_ascii_strcasecmp (qop, "auth") != 0)
        {
          *why = "a qop other than auth";
          return AUTH_BAD;
        }
      /* nc-value = 8LHEX; cnonce required with qop */
      if (nc == NULL || !all_hex (nc, 8) || cnonce == NULL || *cnonce == '\0')
        {
          *why = "qop without a proper nc or cnonce";
          return AUTH_BAD;
        }
      nc_value = g_ascii_strtoull (nc, NULL, 16);
    }
  ChorusSipDigestAlgorithm alg;
  if (algorithm == NULL || g_ascii_strcasecmp (algorithm, "MD5") == 0)
    alg = CHORUS_SIP_DIGEST_MD5;
  else if (g_ascii_strcasecmp (algorithm, "SHA-256") == 0)
    alg = CHORUS_SIP_DIGEST_SHA256;
  else
    {
      *why = "an algorithm other than MD5 or SHA-256";
      return AUTH_CHALLENGE;
    }
  /* RFC 2617 §3.2.2.5: the digest-uri is the Request-URI, else 400 */
  osip_uri_t *du = NULL;
  osip_uri_init (&du);
  gboolean uri_ok = osip_uri_parse (du, uri) == 0 && registrar_uri_equal (du, req->req_uri);
  osip_uri_free (du);
  if (!uri_ok)
    {
      *why = "the digest uri is not the Request-URI";
      return AUTH_BAD;
    }
  gint64 issued = 0;
  if (!nonce_verify (reg, nonce, &issued))
    {
      *why = "not a nonce of ours";
      return AUTH_CHALLENGE;
    }
  const char *password = reg->password (username, reg->user_data);
  if (password == NULL)
    {
      /* the same answer as a wrong password: who exists is not told */
      *why = "unknown user";
      return AUTH_CHALLENGE;
    }
  /* the directives as the client sent them (RFC 2617 §3.2.2.1: qop is
   * the value it chose, nc and cnonce its own) */
  g_autofree char *expected = chorus_sip_digest_response (
      alg, username, reg->realm, password, req->sip_method, uri, nonce, nc, cnonce, qop);
  if (!hex_equal (expected, response))
    {
      *why = "wrong response (password)";
      return AUTH_CHALLENGE;
    }
  /* RFC 2617 §3.2.1 stale: the digest is valid, the nonce is not fresh */
  gint64 lifetime_ms = (gint64) reg->nonce_lifetime * 1000;
  if (issued > now || now - issued >= lifetime_ms)
    {
      *why = "stale nonce";
      return AUTH_STALE;
    }
  /* RFC 2617 §3.2.2: nc grows with every request on the nonce */
  NonceState *st = g_hash_table_lookup (reg->nonces, nonce);
  if (st != NULL)
    {
      /* a nonce used before is not good for the RFC 2069 form */
      if (st->last_nc == NC_SPENT || qop == NULL || nc_value <= st->last_nc)
        {
          *why = "nonce count replayed";
          return AUTH_STALE;
        }
      st->last_nc = nc_value;
    }
  else
    {
      if (nc_value == 0)
        {
          *why = "nonce count 0";
          return AUTH_STALE;
        }
      if (g_hash_table_size (reg->nonces) >= CHORUS_SIP_REGISTRAR_MAX_NONCES)
        {
          registrar_prune (reg, now);
          if (g_hash_table_size (reg->nonces) >= CHORUS_SIP_REGISTRAR_MAX_NONCES)
            {
              *why = "too many nonces in use";
              return AUTH_STALE;
            }
        }
      st = g_new0 (NonceState, 1);
      st->last_nc = nc_value;
      st->forget_at = issued + lifetime_ms;
      g_hash_table_insert (reg->nonces, g_strdup (nonce), st);
    }
  *user_out = g_steal_pointer (&username);
  return AUTH_OK;
}

/* ---------------------------------------------------------------- the secret */

GBytes *
registrar_random_secret (void)
{
  guint8 key[32];
  gsize got = 0;
  while (got < sizeof key)
    {
      ssize_t n = getrandom (key + got, sizeof key - got, 0);
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  if (got < sizeof key)
    {
      /* no getrandom(): GRand's /dev/urandom seed, better than nothing */
      g_autoptr (GRand) r = g_rand_new ();
      for (gsize i = got; i < sizeof key; i++)
        key[i] = (guint8) g_rand_int_range (r, 0, 256);
    }
  return g_bytes_new (key, sizeof key);
}
