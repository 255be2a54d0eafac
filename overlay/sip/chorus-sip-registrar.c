/* chorus-sip-registrar.c: a sans-I/O SIP registrar with digest
 * authentication (chorus-sip-registrar.h says the rules).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registrar.h"

#include "chorus-sip-message.h"

#include <string.h>
#include <sys/random.h>

G_DEFINE_QUARK (chorus - sip - registrar - error - quark, chorus_sip_registrar_error)

/* §17.2.2: Timer J, 64*T1, how long a non-INVITE server transaction
 * answers retransmissions. */
#define CACHE_LIFETIME_MS (64 * CHORUS_SIP_T1)
/* §10.3 step 7: 423 only for intervals below one hour. */
#define ONE_HOUR_S 3600
#define NONCE_HEX_LEN 64
/* the highest nc accepted for a nonce used without qop: no more uses */
#define NC_SPENT G_MAXUINT64

typedef struct
{
  char *uri;               /* the Contact URI */
  osip_uri_t *url;         /* the same, parsed (comparisons, §19.1.4) */
  osip_contact_t *contact; /* the Contact value without expires, for the 200 */
  char *instance;
  char *call_id;
  guint32 cseq;
  ChorusSipConnId conn;
  gint64 expires_at;
  gint64 registered_at;
} Binding;

typedef struct
{
  char *aor;
  char *user;
  GPtrArray *bindings; /* Binding */
} Aor;

typedef struct
{
  guint64 last_nc;
  gint64 forget_at; /* when the nonce stops being fresh */
} NonceState;

typedef struct
{
  char *key;
  ChorusSipConnId conn;
  GBytes *response;
  gint64 expires_at;
} Cached;

typedef struct
{
  ChorusSipRegistrarEventType type;
  char *aor, *user, *contact, *instance;
  ChorusSipConnId conn;
  guint expires_s;
} PendingEvent;

struct _ChorusSipRegistrar
{
  char *domain;
  GPtrArray *aliases; /* char *, lower case, no brackets */
  char *realm;
  const char *(*password) (const char *user, gpointer user_data);
  gint64 (*real_time) (gpointer user_data);
  guint min_expires, max_expires, default_expires, nonce_lifetime, max_bindings;
  gboolean offer_sha256;
  GBytes *secret;
  GRand *rand;
  ChorusSipRegistrarEventFunc event;
  gpointer user_data;

  GHashTable *aors;   /* aor -> Aor */
  GHashTable *nonces; /* nonce -> NonceState */
  GHashTable *cache;  /* key -> Cached (owned) */
  GQueue cache_order; /* Cached, oldest first (equal lifetimes: expiry order) */
  GPtrArray *pending; /* PendingEvent */
};

/* ---------------------------------------------------------------- small helpers */

static void
binding_free (Binding *b)
{
  g_free (b->uri);
  if (b->url)
    osip_uri_free (b->url);
  if (b->contact)
    osip_contact_free (b->contact);
  g_free (b->instance);
  g_free (b->call_id);
  g_free (b);
}

static void
aor_free (Aor *a)
{
  g_free (a->aor);
  g_free (a->user);
  g_ptr_array_unref (a->bindings);
  g_free (a);
}

static void
cached_free (Cached *c)
{
  g_free (c->key);
  g_bytes_unref (c->response);
  g_free (c);
}

static void
pending_event_free (PendingEvent *e)
{
  g_free (e->aor);
  g_free (e->user);
  g_free (e->contact);
  g_free (e->instance);
  g_free (e);
}

void
chorus_sip_registrar_binding_free (ChorusSipRegistrarBinding *binding)
{
  if (binding == NULL)
    return;
  g_free (binding->aor);
  g_free (binding->contact);
  g_free (binding->instance);
  g_free (binding);
}

/* A host as compared (§19.1.4: hosts without case); IPv6 references
 * without their brackets, as libosip2 keeps them. */
static char *
host_key (const char *host)
{
  gsize n = strlen (host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
    return g_ascii_strdown (host + 1, n - 2);
  return g_ascii_strdown (host, -1);
}

static gboolean
host_equal (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  g_autofree char *ka = host_key (a);
  g_autofree char *kb = host_key (b);
  return strcmp (ka, kb) == 0;
}

static gboolean
scheme_is_sip (const char *scheme)
{
  return scheme != NULL
         && (g_ascii_strcasecmp (scheme, "sip") == 0 || g_ascii_strcasecmp (scheme, "sips") == 0);
}

/* RFC 2617 §3.2.1 / RFC 7230 §3.2.6: the value of a quoted-string (quoted
 * pairs resolved), or a token as it is.  NULL for NULL. */
static char *
unquote (const char *value)
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

/* A decimal header value (chorus_sip_message_parse() has checked it is
 * one, below 2^32). */
static guint
parse_uint (const char *text)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT32, &v, NULL))
    return G_MAXUINT32;
  return (guint) v;
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

/* ---------------------------------------------------------------- URI equality */

static const char *
uri_param (const osip_uri_t *uri, const char *name)
{
  osip_uri_param_t *p;
  for (int i = 0; (p = osip_list_get (&uri->url_params, i)) != NULL; i++)
    if (p->gname != NULL && g_ascii_strcasecmp (p->gname, name) == 0)
      return p->gvalue ? p->gvalue : "";
  return NULL;
}

static gboolean
uri_params_match (const osip_uri_t *a, const osip_uri_t *b)
{
  /* §19.1.4: user, ttl, method, maddr and transport must be in both or
   * neither; any other parameter in both must match, and one in only one
   * URI is ignored. */
  static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
  for (guint i = 0; i < G_N_ELEMENTS (strict); i++)
    if ((uri_param (a, strict[i]) == NULL) != (uri_param (b, strict[i]) == NULL))
      return FALSE;
  osip_uri_param_t *p;
  for (int i = 0; (p = osip_list_get (&a->url_params, i)) != NULL; i++)
    {
      if (p->gname == NULL)
        continue;
      const char *other = uri_param (b, p->gname);
      if (other != NULL && g_ascii_strcasecmp (other, p->gvalue ? p->gvalue : "") != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
uri_headers_match (const osip_uri_t *a, const osip_uri_t *b)
{
  /* §19.1.4: header components are never ignored */
  if (osip_list_size (&a->url_headers) != osip_list_size (&b->url_headers))
    return FALSE;
  osip_uri_header_t *h;
  for (int i = 0; (h = osip_list_get (&a->url_headers, i)) != NULL; i++)
    {
      gboolean found = FALSE;
      osip_uri_header_t *o;
      for (int j = 0; !found && (o = osip_list_get (&b->url_headers, j)) != NULL; j++)
        found = g_strcmp0 (h->gname, o->gname) == 0 && g_strcmp0 (h->gvalue, o->gvalue) == 0;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* RFC 3261 §19.1.4 for sip: and sips: URIs; other schemes compare as
 * text. */
static gboolean
uri_equal (const osip_uri_t *a, const osip_uri_t *b)
{
  if (a->scheme == NULL || b->scheme == NULL || g_ascii_strcasecmp (a->scheme, b->scheme) != 0)
    return FALSE;
  if (!scheme_is_sip (a->scheme))
    {
      g_autofree char *sa = chorus_sip_uri_to_string (a);
      g_autofree char *sb = chorus_sip_uri_to_string (b);
      return sa != NULL && sb != NULL && strcmp (sa, sb) == 0;
    }
  /* userinfo with case, host without, ports only equal when both present
   * or both absent */
  return g_strcmp0 (a->username, b->username) == 0 && g_strcmp0 (a->password, b->password) == 0
         && host_equal (a->host, b->host) && g_strcmp0 (a->port, b->port) == 0
         && uri_params_match (a, b) && uri_headers_match (a, b);
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

static void
prune (ChorusSipRegistrar *reg, gint64 now)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, reg->nonces);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((NonceState *) value)->forget_at <= now)
      g_hash_table_iter_remove (&it);
  Cached *c;
  while ((c = g_queue_peek_head (&reg->cache_order)) != NULL
         && (c->expires_at <= now
             || g_queue_get_length (&reg->cache_order) > CHORUS_SIP_REGISTRAR_MAX_CACHED))
    {
      g_queue_pop_head (&reg->cache_order);
      g_hash_table_remove (reg->cache, c->key);
    }
}

/* ---------------------------------------------------------------- events */

static void
queue_event (ChorusSipRegistrar *reg, ChorusSipRegistrarEventType type, const Aor *aor,
             const Binding *b, guint expires_s)
{
  PendingEvent *e = g_new0 (PendingEvent, 1);
  e->type = type;
  e->aor = g_strdup (aor->aor);
  e->user = g_strdup (aor->user);
  e->contact = g_strdup (b->uri);
  e->instance = g_strdup (b->instance);
  e->conn = b->conn;
  e->expires_s = expires_s;
  g_ptr_array_add (reg->pending, e);
}

/* Hands the queued events over; a callback may call into the registrar. */
static void
flush_events (ChorusSipRegistrar *reg)
{
  while (reg->pending->len > 0)
    {
      g_autoptr (GPtrArray) events = reg->pending;
      reg->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_event_free);
      for (guint i = 0; i < events->len; i++)
        {
          PendingEvent *p = events->pdata[i];
          ChorusSipRegistrarEvent ev = {
            .type = p->type,
            .aor = p->aor,
            .user = p->user,
            .contact = p->contact,
            .conn = p->conn,
            .expires_s = p->expires_s,
            .instance = p->instance,
          };
          if (reg->event)
            reg->event (&ev, reg->user_data);
        }
    }
}

/* ---------------------------------------------------------------- responses */

static osip_message_t *
response_new (ChorusSipRegistrar *reg, const osip_message_t *req, int status, const char *reason)
{
  g_autofree char *tag = chorus_sip_new_tag (reg->rand);
  return chorus_sip_response_new (req, status, reason, tag);
}

static GBytes *
finish (osip_message_t *resp)
{
  GBytes *b = chorus_sip_message_to_bytes (resp);
  osip_message_free (resp);
  return b;
}

static GBytes *
respond (ChorusSipRegistrar *reg, const osip_message_t *req, int status, const char *reason)
{
  return finish (response_new (reg, req, status, reason));
}

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
static GBytes *
challenge (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now, gboolean stale)
{
  osip_message_t *resp = response_new (reg, req, 401, NULL);
  g_autofree char *nonce = nonce_new (reg, now);
  if (reg->offer_sha256)
    add_challenge (reg, resp, "SHA-256", nonce, stale);
  add_challenge (reg, resp, "MD5", nonce, stale);
  return finish (resp);
}

/* §20.17: rfc1123-date, always GMT, English names. */
static char *
http_date (gint64 real_time_us)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (real_time_us / G_USEC_PER_SEC);
  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d GMT",
                          days[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt), months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

/* ---------------------------------------------------------------- authentication */

typedef enum
{
  AUTH_OK,
  AUTH_CHALLENGE, /* 401, stale=false */
  AUTH_STALE,     /* 401, stale=true */
  AUTH_BAD,       /* 400 */
} AuthResult;

/* The Digest credentials for our realm (§22.2: one per realm), or NULL. */
static osip_authorization_t *
find_credentials (ChorusSipRegistrar *reg, const osip_message_t *req)
{
  osip_authorization_t *a = NULL;
  for (int i = 0; osip_message_get_authorization (req, i, &a) >= 0 && a != NULL; i++)
    {
      if (a->auth_type == NULL || g_ascii_strcasecmp (a->auth_type, "Digest") != 0)
        continue;
      g_autofree char *realm = unquote (a->realm);
      if (realm != NULL && strcmp (realm, reg->realm) == 0)
        return a;
      a = NULL;
    }
  return NULL;
}

static AuthResult
authenticate (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now, char **user_out,
              const char **why)
{
  osip_authorization_t *a = find_credentials (reg, req);
  if (a == NULL)
    {
      *why = "no credentials";
      return AUTH_CHALLENGE;
    }
  g_autofree char *username = unquote (a->username);
  g_autofree char *nonce = unquote (a->nonce);
  g_autofree char *uri = unquote (a->uri);
  g_autofree char *response = unquote (a->response);
  g_autofree char *qop = unquote (a->message_qop);
  g_autofree char *nc = unquote (a->nonce_count);
  g_autofree char *cnonce = unquote (a->cnonce);
  g_autofree char *algorithm = unquote (a->algorithm);
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
  gboolean uri_ok = osip_uri_parse (du, uri) == 0 && uri_equal (du, req->req_uri);
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
          prune (reg, now);
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

/* ---------------------------------------------------------------- bindings */

typedef struct
{
  osip_contact_t *contact; /* the request's */
  guint expires;
  Binding *existing; /* or NULL */
  gboolean skip;     /* overridden by a later Contact with the same URI */
} Change;

static Aor *
aor_get (ChorusSipRegistrar *reg, const char *aor, const char *user, gboolean create)
{
  Aor *a = g_hash_table_lookup (reg->aors, aor);
  if (a == NULL && create)
    {
      a = g_new0 (Aor, 1);
      a->aor = g_strdup (aor);
      a->user = g_strdup (user);
      a->bindings = g_ptr_array_new_with_free_func ((GDestroyNotify) binding_free);
      g_hash_table_insert (reg->aors, a->aor, a);
    }
  return a;
}

static void
aor_drop_if_empty (ChorusSipRegistrar *reg, Aor *a)
{
  if (a != NULL && a->bindings->len == 0)
    g_hash_table_remove (reg->aors, a->aor);
}

static Binding *
aor_find (Aor *a, const osip_uri_t *url)
{
  if (a == NULL)
    return NULL;
  for (guint i = 0; i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      if (uri_equal (b->url, url))
        return b;
    }
  return NULL;
}

/* "urn:uuid:..." from +sip.instance="<urn:uuid:...>" (RFC 5626 §4.1) */
static char *
contact_instance (osip_contact_t *c)
{
  osip_generic_param_t *p = NULL;
  osip_contact_param_get_byname (c, "+sip.instance", &p);
  if (p == NULL || p->gvalue == NULL)
    return NULL;
  g_autofree char *v = unquote (p->gvalue);
  gsize n = strlen (v);
  if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
    return g_strndup (v + 1, n - 2);
  return n > 0 ? g_steal_pointer (&v) : NULL;
}

/* A copy of @c without its expires parameter. */
static osip_contact_t *
contact_without_expires (const osip_contact_t *c)
{
  osip_contact_t *copy = NULL;
  if (osip_contact_clone (c, &copy) != 0)
    return NULL;
  osip_generic_param_t *p;
  for (int i = 0; (p = osip_list_get (&copy->gen_params, i)) != NULL;)
    {
      if (p->gname != NULL && g_ascii_strcasecmp (p->gname, "expires") == 0)
        {
          osip_list_remove (&copy->gen_params, i);
          osip_generic_param_free (p);
        }
      else
        i++;
    }
  return copy;
}

static void
binding_set (Binding *b, const osip_contact_t *c, const char *call_id, guint32 cseq,
             ChorusSipConnId conn, guint expires, gint64 now)
{
  if (b->contact)
    osip_contact_free (b->contact);
  b->contact = contact_without_expires (c);
  g_free (b->instance);
  b->instance = contact_instance ((osip_contact_t *) c);
  g_free (b->call_id);
  b->call_id = g_strdup (call_id);
  b->cseq = cseq;
  b->conn = conn;
  b->expires_at = now + (gint64) expires * 1000;
  b->registered_at = now;
}

static guint
remaining_s (const Binding *b, gint64 now)
{
  if (b->expires_at <= now)
    return 0;
  gint64 s = (b->expires_at - now + 999) / 1000;
  return (guint) MIN (s, (gint64) G_MAXUINT32);
}

/* §10.3 step 8: 200 with every binding and its remaining time, and Date. */
static GBytes *
respond_ok (ChorusSipRegistrar *reg, const osip_message_t *req, Aor *a, gint64 now)
{
  osip_message_t *resp = response_new (reg, req, 200, NULL);
  for (guint i = 0; a != NULL && i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      osip_contact_t *c = NULL;
      if (b->contact == NULL || osip_contact_clone (b->contact, &c) != 0)
        continue;
      g_autofree char *expires = g_strdup_printf ("%u", remaining_s (b, now));
      osip_contact_param_add (c, osip_strdup ("expires"), osip_strdup (expires));
      osip_list_add (&resp->contacts, c, -1);
    }
  gint64 t = reg->real_time ? reg->real_time (reg->user_data) : g_get_real_time ();
  g_autofree char *date = http_date (t);
  osip_message_set_header (resp, "Date", date);
  return finish (resp);
}

/* §10.3 steps 6 and 7; NULL when the request has no Contact, else the
 * response (200 or a failure). */
static GBytes *
update_bindings (ChorusSipRegistrar *reg, ChorusSipConnId conn, const osip_message_t *req,
                 const char *aor_name, const char *user, gint64 now)
{
  int n_contacts = osip_list_size (&req->contacts);
  if (n_contacts <= 0)
    return NULL;
  g_autofree char *call_id = chorus_sip_message_call_id (req);
  guint32 cseq = chorus_sip_message_cseq (req);
  if (call_id == NULL)
    return respond (reg, req, 400, NULL);
  osip_header_t *expires_h = NULL;
  osip_message_get_expires (req, 0, &expires_h);
  gboolean has_expires = expires_h != NULL && expires_h->hvalue != NULL;
  guint header_expires = has_expires ? parse_uint (expires_h->hvalue) : reg->default_expires;
  Aor *aor = aor_get (reg, aor_name, user, FALSE);

  /* step 6: "*" */
  gboolean star = FALSE;
  osip_contact_t *c;
  for (int i = 0; (c = osip_list_get (&req->contacts, i)) != NULL; i++)
    {
      if (c->url == NULL && c->displayname != NULL && strcmp (c->displayname, "*") == 0)
        star = TRUE;
      else if (c->url == NULL)
        return respond (reg, req, 400, "Bad Contact");
    }
  if (star)
    {
      if (n_contacts != 1 || !has_expires || header_expires != 0)
        return respond (reg, req, 400, "Contact * Needs Expires 0 Alone");
      for (guint i = 0; aor != NULL && i < aor->bindings->len; i++)
        {
          Binding *b = aor->bindings->pdata[i];
          if (strcmp (b->call_id, call_id) == 0 && cseq <= b->cseq)
            return respond (reg, req, 500, "Out Of Order Request");
        }
      while (aor != NULL && aor->bindings->len > 0)
        {
          Binding *b = aor->bindings->pdata[aor->bindings->len - 1];
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, aor, b, 0);
          g_ptr_array_remove_index (aor->bindings, aor->bindings->len - 1);
        }
      aor_drop_if_empty (reg, aor);
      return respond_ok (reg, req, NULL, now);
    }

  if ((guint) n_contacts > 2 * reg->max_bindings)
    return respond (reg, req, 403, "Too Many Bindings");

  /* step 7: the intervals first (423 for any of them) */
  g_autoptr (GArray) changes = g_array_sized_new (FALSE, TRUE, sizeof (Change), n_contacts);
  for (int i = 0; (c = osip_list_get (&req->contacts, i)) != NULL; i++)
    {
      Change ch = { .contact = c, .expires = header_expires };
      osip_generic_param_t *p = NULL;
      osip_contact_param_get_byname (c, "expires", &p);
      if (p != NULL && p->gvalue != NULL)
        ch.expires = parse_uint (p->gvalue);
      if (ch.expires > 0 && ch.expires < ONE_HOUR_S && ch.expires < reg->min_expires)
        {
          osip_message_t *resp = response_new (reg, req, 423, NULL);
          g_autofree char *min = g_strdup_printf ("%u", reg->min_expires);
          osip_message_set_header (resp, "Min-Expires", min);
          return finish (resp);
        }
      ch.expires = MIN (ch.expires, reg->max_expires);
      g_array_append_val (changes, ch);
    }

  /* then each binding, tentatively */
  guint adds = 0, removes = 0;
  for (guint i = 0; i < changes->len; i++)
    {
      Change *ch = &g_array_index (changes, Change, i);
      ch->existing = aor_find (aor, ch->contact->url);
      /* the same URI twice in one request (or two that both equal one
       * binding: §19.1.4 ignores parameters in one URI only, so equality
       * is not transitive): the later one counts */
      for (guint j = 0; j < i; j++)
        {
          Change *earlier = &g_array_index (changes, Change, j);
          if (!earlier->skip
              && (uri_equal (earlier->contact->url, ch->contact->url)
                  || (ch->existing != NULL && earlier->existing == ch->existing)))
            {
              earlier->skip = TRUE;
              if (earlier->existing == NULL && earlier->expires > 0)
                adds--;
              if (earlier->existing != NULL && earlier->expires == 0)
                removes--;
            }
        }
      if (ch->existing != NULL && strcmp (ch->existing->call_id, call_id) == 0
          && cseq <= ch->existing->cseq)
        return respond (reg, req, 500, "Out Of Order Request");
      if (ch->existing == NULL && ch->expires > 0)
        adds++;
      if (ch->existing != NULL && ch->expires == 0)
        removes++;
    }
  guint current = aor ? aor->bindings->len : 0;
  if (adds > 0 && current + adds - removes > reg->max_bindings)
    return respond (reg, req, 403, "Too Many Bindings");

  /* commit: every change succeeded */
  if (adds > 0)
    aor = aor_get (reg, aor_name, user, TRUE);
  for (guint i = 0; i < changes->len; i++)
    {
      Change *ch = &g_array_index (changes, Change, i);
      if (ch->skip)
        continue;
      if (ch->existing != NULL && ch->expires == 0)
        {
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, aor, ch->existing, 0);
          g_ptr_array_remove (aor->bindings, ch->existing);
        }
      else if (ch->existing != NULL)
        {
          binding_set (ch->existing, ch->contact, call_id, cseq, conn, ch->expires, now);
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_REFRESHED, aor, ch->existing, ch->expires);
        }
      else if (ch->expires > 0)
        {
          Binding *b = g_new0 (Binding, 1);
          b->uri = chorus_sip_uri_to_string (ch->contact->url);
          if (b->uri == NULL || osip_uri_clone (ch->contact->url, &b->url) != 0)
            {
              binding_free (b);
              continue;
            }
          binding_set (b, ch->contact, call_id, cseq, conn, ch->expires, now);
          g_ptr_array_add (aor->bindings, b);
          queue_event (reg, CHORUS_SIP_REGISTRAR_BINDING_ADDED, aor, b, ch->expires);
        }
    }
  aor_drop_if_empty (reg, aor);
  return respond_ok (reg, req, aor_get (reg, aor_name, user, FALSE), now);
}

/* ---------------------------------------------------------------- handling */

static gboolean
request_uri_ours (ChorusSipRegistrar *reg, const osip_uri_t *uri)
{
  if (uri->host == NULL)
    return FALSE;
  if (host_equal (uri->host, reg->domain))
    return TRUE;
  for (guint i = 0; i < reg->aliases->len; i++)
    if (host_equal (uri->host, reg->aliases->pdata[i]))
      return TRUE;
  return FALSE;
}

static char *
cache_key (ChorusSipConnId conn, const osip_message_t *req)
{
  g_autofree char *call_id = chorus_sip_message_call_id (req);
  const char *branch = chorus_sip_message_branch (req);
  const char *tag = chorus_sip_message_from_tag (req);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "|%s|%s|%u|%s", conn, branch ? branch : "",
                          call_id ? call_id : "", chorus_sip_message_cseq (req), tag ? tag : "");
}

static void
cache_put (ChorusSipRegistrar *reg, char *key, ChorusSipConnId conn, GBytes *response, gint64 now)
{
  Cached *c = g_new0 (Cached, 1);
  c->key = key;
  c->conn = conn;
  c->response = g_bytes_ref (response);
  c->expires_at = now + CACHE_LIFETIME_MS;
  Cached *old = g_hash_table_lookup (reg->cache, key);
  if (old != NULL)
    {
      g_queue_remove (&reg->cache_order, old);
      g_hash_table_remove (reg->cache, key);
    }
  g_hash_table_insert (reg->cache, c->key, c);
  g_queue_push_tail (&reg->cache_order, c);
  prune (reg, now);
}

static GBytes *
process (ChorusSipRegistrar *reg, ChorusSipConnId conn, const osip_message_t *req, gint64 now)
{
  /* a retransmission of an answered request (§17.2.2) */
  g_autofree char *key = cache_key (conn, req);
  Cached *cached = g_hash_table_lookup (reg->cache, key);
  if (cached != NULL)
    return g_bytes_ref (cached->response);

  /* step 1: the Request-URI */
  if (!scheme_is_sip (req->req_uri->scheme))
    return respond (reg, req, 416, NULL);
  if (!request_uri_ours (reg, req->req_uri))
    return respond (reg, req, 404, "Domain Not Served Here");

  /* step 2: Require (§8.2.2.3) */
  g_autoptr (GString) unsupported = g_string_new (NULL);
  osip_header_t *h = NULL;
  for (int i = 0; (i = osip_message_header_get_byname (req, "require", i, &h)) >= 0; i++)
    {
      g_autofree char *tag = g_strstrip (g_strdup (h && h->hvalue ? h->hvalue : ""));
      if (*tag == '\0')
        continue;
      g_string_append_printf (unsupported, "%s%s", unsupported->len ? ", " : "", tag);
    }
  if (unsupported->len > 0)
    {
      osip_message_t *resp = response_new (reg, req, 420, NULL);
      osip_message_set_header (resp, "Unsupported", unsupported->str);
      return finish (resp);
    }

  /* step 3: authentication */
  g_autofree char *user = NULL;
  const char *why = NULL;
  switch (authenticate (reg, req, now, &user, &why))
    {
    case AUTH_CHALLENGE:
      g_debug ("REGISTER challenged: %s", why);
      return challenge (reg, req, now, FALSE);
    case AUTH_STALE:
      g_debug ("REGISTER challenged (stale): %s", why);
      return challenge (reg, req, now, TRUE);
    case AUTH_BAD:
      g_debug ("REGISTER refused: %s", why);
      return respond (reg, req, 400, "Bad Credentials");
    case AUTH_OK:
      break;
    }

  GBytes *resp = NULL;
  const osip_uri_t *to = req->to->url;
  g_autofree char *to_text = NULL;
  g_autofree char *aor = NULL;
  /* step 4: the user may change its own AOR only */
  if (to->username == NULL || strcmp (to->username, user) != 0)
    resp = respond (reg, req, 403, NULL);
  /* step 5: the AOR is in our domain */
  else if (!scheme_is_sip (to->scheme) || !host_equal (to->host, reg->domain)
           || (to_text = chorus_sip_uri_to_string (to)) == NULL
           || (aor = chorus_sip_aor_normalize (to_text, NULL, NULL, NULL)) == NULL)
    resp = respond (reg, req, 404, NULL);
  else
    {
      /* steps 6, 7, and 8 */
      resp = update_bindings (reg, conn, req, aor, user, now);
      if (resp == NULL)
        resp = respond_ok (reg, req, aor_get (reg, aor, user, FALSE), now);
    }
  if (resp != NULL)
    cache_put (reg, g_steal_pointer (&key), conn, resp, now);
  return resp;
}

GBytes *
chorus_sip_registrar_handle (ChorusSipRegistrar *registrar, ChorusSipConnId conn,
                             const guint8 *data, gsize len, gint64 now_ms, GError **error)
{
  g_return_val_if_fail (registrar != NULL, NULL);
  osip_message_t *req = NULL;
  int status = 0;
  g_autoptr (GError) parse_error = NULL;
  ChorusSipParseResult r = chorus_sip_message_parse (data, len, &req, &status, &parse_error);
  if (r == CHORUS_SIP_PARSE_DROP)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE,
                   "not a SIP message to answer: %s",
                   parse_error ? parse_error->message : "unknown");
      return NULL;
    }
  if (!MSG_IS_REQUEST (req) || req->sip_method == NULL || strcmp (req->sip_method, "REGISTER") != 0)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_NOT_REGISTER,
                   "not a REGISTER: %s",
                   MSG_IS_REQUEST (req) && req->sip_method ? req->sip_method : "a response");
      osip_message_free (req);
      return NULL;
    }
  prune (registrar, now_ms);
  GBytes *resp;
  if (r == CHORUS_SIP_PARSE_REJECT)
    resp = respond (registrar, req, status, NULL);
  else
    resp = process (registrar, conn, req, now_ms);
  osip_message_free (req);
  flush_events (registrar);
  if (resp == NULL)
    g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE,
                 "the response could not be written");
  return resp;
}

/* ---------------------------------------------------------------- time, connections */

void
chorus_sip_registrar_tick (ChorusSipRegistrar *registrar, gint64 now_ms)
{
  g_return_if_fail (registrar != NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len;)
        {
          Binding *b = a->bindings->pdata[i];
          if (b->expires_at <= now_ms)
            {
              queue_event (registrar, CHORUS_SIP_REGISTRAR_BINDING_EXPIRED, a, b, 0);
              g_ptr_array_remove_index (a->bindings, i);
            }
          else
            i++;
        }
      if (a->bindings->len == 0)
        g_hash_table_iter_remove (&it);
    }
  prune (registrar, now_ms);
  flush_events (registrar);
}

gint64
chorus_sip_registrar_next_timeout (ChorusSipRegistrar *registrar)
{
  g_return_val_if_fail (registrar != NULL, -1);
  gint64 next = -1;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len; i++)
        {
          Binding *b = a->bindings->pdata[i];
          if (next < 0 || b->expires_at < next)
            next = b->expires_at;
        }
    }
  return next;
}

void
chorus_sip_registrar_connection_closed (ChorusSipRegistrar *registrar, ChorusSipConnId conn,
                                        gint64 now_ms)
{
  g_return_if_fail (registrar != NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Aor *a = value;
      for (guint i = 0; i < a->bindings->len;)
        {
          Binding *b = a->bindings->pdata[i];
          if (b->conn == conn)
            {
              queue_event (registrar, CHORUS_SIP_REGISTRAR_BINDING_REMOVED, a, b, 0);
              g_ptr_array_remove_index (a->bindings, i);
            }
          else
            i++;
        }
      if (a->bindings->len == 0)
        g_hash_table_iter_remove (&it);
    }
  for (GList *l = registrar->cache_order.head; l != NULL;)
    {
      GList *next = l->next;
      Cached *c = l->data;
      if (c->conn == conn)
        {
          g_queue_delete_link (&registrar->cache_order, l);
          g_hash_table_remove (registrar->cache, c->key);
        }
      l = next;
    }
  prune (registrar, now_ms);
  flush_events (registrar);
}

/* ---------------------------------------------------------------- lookup */

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const ChorusSipRegistrarBinding *x = *(ChorusSipRegistrarBinding *const *) a;
  const ChorusSipRegistrarBinding *y = *(ChorusSipRegistrarBinding *const *) b;
  return (x->registered_at_ms < y->registered_at_ms) - (x->registered_at_ms > y->registered_at_ms);
}

GPtrArray *
chorus_sip_registrar_lookup (ChorusSipRegistrar *registrar, const char *aor, gint64 now_ms)
{
  GPtrArray *out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) chorus_sip_registrar_binding_free);
  g_return_val_if_fail (registrar != NULL, out);
  if (aor == NULL)
    return out;
  g_autofree char *normal = chorus_sip_aor_normalize (aor, registrar->domain, NULL, NULL);
  Aor *a = normal ? g_hash_table_lookup (registrar->aors, normal) : NULL;
  for (guint i = 0; a != NULL && i < a->bindings->len; i++)
    {
      Binding *b = a->bindings->pdata[i];
      if (b->expires_at <= now_ms)
        continue;
      ChorusSipRegistrarBinding *r = g_new0 (ChorusSipRegistrarBinding, 1);
      r->aor = g_strdup (a->aor);
      r->contact = g_strdup (b->uri);
      r->instance = g_strdup (b->instance);
      r->conn = b->conn;
      r->expires_at_ms = b->expires_at;
      r->registered_at_ms = b->registered_at;
      g_ptr_array_add (out, r);
    }
  g_ptr_array_sort (out, newest_first);
  return out;
}

guint
chorus_sip_registrar_binding_count (ChorusSipRegistrar *registrar)
{
  g_return_val_if_fail (registrar != NULL, 0);
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, registrar->aors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += ((Aor *) value)->bindings->len;
  return n;
}

/* ---------------------------------------------------------------- life */

static GBytes *
random_secret (void)
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

ChorusSipRegistrar *
chorus_sip_registrar_new (const ChorusSipRegistrarConfig *config, ChorusSipRegistrarEventFunc event,
                          gpointer user_data, GError **error)
{
  chorus_sip_osip_init ();
  if (config == NULL || config->domain == NULL || config->domain[0] == '\0'
      || config->password == NULL)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "a registrar needs a domain and a password table");
      return NULL;
    }
  /* the domain must make an AOR */
  g_autofree char *probe = g_strconcat ("sip:u@", config->domain, NULL);
  g_autofree char *probe_normal = chorus_sip_aor_normalize (probe, NULL, NULL, NULL);
  if (probe_normal == NULL)
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "\"%s\" is not a domain", config->domain);
      return NULL;
    }
  guint min = config->min_expires_s ? config->min_expires_s : 60;
  guint max = config->max_expires_s ? config->max_expires_s : 3600;
  guint def = config->default_expires_s ? config->default_expires_s : MIN (3600, max);
  if (min > max || (config->default_expires_s && (def < min || def > max)))
    {
      g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_CONFIG,
                   "expiry intervals contradict each other: min %u, default %u, max %u", min, def,
                   max);
      return NULL;
    }
  ChorusSipRegistrar *reg = g_new0 (ChorusSipRegistrar, 1);
  reg->domain = host_key (config->domain);
  reg->aliases = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; config->aliases != NULL && config->aliases[i] != NULL; i++)
    g_ptr_array_add (reg->aliases, host_key (config->aliases[i]));
  reg->realm = g_strdup (config->realm ? config->realm : reg->domain);
  reg->password = config->password;
  reg->real_time = config->real_time;
  reg->min_expires = min;
  reg->max_expires = max;
  reg->default_expires = def;
  reg->nonce_lifetime = config->nonce_lifetime_s ? config->nonce_lifetime_s : 300;
  reg->max_bindings = config->max_bindings_per_aor ? config->max_bindings_per_aor : 10;
  reg->offer_sha256 = config->offer_sha256;
  reg->secret =
      config->secret ? g_bytes_new (config->secret, config->secret_len) : random_secret ();
  reg->rand = config->seed ? g_rand_new_with_seed (config->seed) : g_rand_new ();
  reg->event = event;
  reg->user_data = user_data;
  reg->aors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) aor_free);
  reg->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) cached_free);
  g_queue_init (&reg->cache_order);
  reg->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_event_free);
  return reg;
}

void
chorus_sip_registrar_free (ChorusSipRegistrar *registrar)
{
  if (registrar == NULL)
    return;
  g_hash_table_unref (registrar->aors);
  g_hash_table_unref (registrar->nonces);
  g_queue_clear (&registrar->cache_order);
  g_hash_table_unref (registrar->cache);
  g_ptr_array_unref (registrar->pending);
  g_ptr_array_unref (registrar->aliases);
  g_bytes_unref (registrar->secret);
  g_rand_free (registrar->rand);
  g_free (registrar->domain);
  g_free (registrar->realm);
  g_free (registrar);
}
