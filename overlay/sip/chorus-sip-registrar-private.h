/* chorus-sip-registrar-private.h: the insides of ChorusSipRegistrar,
 * shared by its parts: the binding table (chorus-sip-registrar.c: §10.3
 * steps 6 to 8, expiry, Contact handling, events, lookups, life), digest
 * authentication (chorus-sip-registrar-digest.c: RFC 3261 §22, RFC 2617,
 * RFC 7616: nonces, challenges, verification), the handling of a request
 * (chorus-sip-registrar-request.c: §10.3 steps 1 to 5, responses, the
 * retransmission cache) and URI comparison (chorus-sip-registrar-uri.c:
 * §19.1.4).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "chorus-sip-message.h"
#include "chorus-sip-registrar.h"

G_BEGIN_DECLS

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

typedef enum
{
  AUTH_OK,
  AUTH_CHALLENGE, /* 401, stale=false */
  AUTH_STALE,     /* 401, stale=true */
  AUTH_BAD,       /* 400 */
} AuthResult;

/* chorus-sip-registrar-uri.c: hosts and URIs compared (§19.1.4) */
char *registrar_host_key (const char *host);
gboolean registrar_host_equal (const char *a, const char *b);
gboolean registrar_scheme_is_sip (const char *scheme);
gboolean registrar_uri_equal (const osip_uri_t *a, const osip_uri_t *b);

/* chorus-sip-registrar-digest.c: digest authentication */
char *registrar_unquote (const char *value);
/* 401 with a new nonce (§22.2). */
GBytes *registrar_challenge (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now,
                             gboolean stale);
AuthResult registrar_authenticate (ChorusSipRegistrar *reg, const osip_message_t *req, gint64 now,
                                   char **user_out, const char **why);
/* The key of the nonces' HMAC when the configuration has none. */
GBytes *registrar_random_secret (void);

/* chorus-sip-registrar-request.c: requests in, responses out */
osip_message_t *registrar_response_new (ChorusSipRegistrar *reg, const osip_message_t *req,
                                        int status, const char *reason);
/* @resp written out, and freed. */
GBytes *registrar_finish (osip_message_t *resp);
GBytes *registrar_respond (ChorusSipRegistrar *reg, const osip_message_t *req, int status,
                           const char *reason);
/* Forgets stale nonces and cached responses. */
void registrar_prune (ChorusSipRegistrar *reg, gint64 now);

/* chorus-sip-registrar.c: the binding table */
Aor *registrar_aor_get (ChorusSipRegistrar *reg, const char *aor, const char *user,
                        gboolean create);
/* §10.3 steps 6 and 7; NULL when the request has no Contact. */
GBytes *registrar_update_bindings (ChorusSipRegistrar *reg, ChorusSipConnId conn,
                                   const osip_message_t *req, const char *aor_name,
                                   const char *user, gint64 now);
/* §10.3 step 8: 200 with every binding of @a. */
GBytes *registrar_respond_ok (ChorusSipRegistrar *reg, const osip_message_t *req, Aor *a,
                              gint64 now);
/* Hands the queued events over. */
void registrar_flush_events (ChorusSipRegistrar *reg);

G_END_DECLS
