/* chorus-sip-registrar-request.c: a REGISTER through the registrar: the
 * parse, §10.3 steps 1 to 5 (Request-URI, Require, authentication, the
 * AOR), the responses, and the cache that answers retransmissions
 * (§17.2.2) (chorus-sip-registrar.h says the rules).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registrar-private.h"

#include <string.h>

/* §17.2.2: Timer J, 64*T1, how long a non-INVITE server transaction
 * answers retransmissions. */
#define CACHE_LIFETIME_MS (64 * CHORUS_SIP_T1)

/* ---------------------------------------------------------------- forgetting */

void
registrar_prune (ChorusSipRegistrar *reg, gint64 now)
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

/* ---------------------------------------------------------------- responses */

osip_message_t *
registrar_response_new (ChorusSipRegistrar *reg, const osip_message_t *req, int status,
                        const char *reason)
{
  g_autofree char *tag = chorus_sip_new_tag (reg->rand);
  return chorus_sip_response_new (req, status, reason, tag);
}

GBytes *
registrar_finish (osip_message_t *resp)
{
  GBytes *b = chorus_sip_message_to_bytes (resp);
  osip_message_free (resp);
  return b;
}

GBytes *
registrar_respond (ChorusSipRegistrar *reg, const osip_message_t *req, int status,
                   const char *reason)
{
  return registrar_finish (registrar_response_new (reg, req, status, reason));
}

/* ---------------------------------------------------------------- handling */

static gboolean
request_uri_ours (ChorusSipRegistrar *reg, const osip_uri_t *uri)
{
  if (uri->host == NULL)
    return FALSE;
  if (registrar_host_equal (uri->host, reg->domain))
    return TRUE;
  for (guint i = 0; i < reg->aliases->len; i++)
    if (registrar_host_equal (uri->host, reg->aliases->pdata[i]))
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
  registrar_prune (reg, now);
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
  if (!registrar_scheme_is_sip (req->req_uri->scheme))
    return registrar_respond (reg, req, 416, NULL);
  if (!request_uri_ours (reg, req->req_uri))
    return registrar_respond (reg, req, 404, "Domain Not Served Here");

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
      osip_message_t *resp = registrar_response_new (reg, req, 420, NULL);
      osip_message_set_header (resp, "Unsupported", unsupported->str);
      return registrar_finish (resp);
    }

  /* step 3: authentication */
  g_autofree char *user = NULL;
  const char *why = NULL;
  switch (registrar_authenticate (reg, req, now, &user, &why))
    {
    case AUTH_CHALLENGE:
      g_debug ("REGISTER challenged: %s", why);
      return registrar_challenge (reg, req, now, FALSE);
    case AUTH_STALE:
      g_debug ("REGISTER challenged (stale): %s", why);
      return registrar_challenge (reg, req, now, TRUE);
    case AUTH_BAD:
      g_debug ("REGISTER refused: %s", why);
      return registrar_respond (reg, req, 400, "Bad Credentials");
    case AUTH_OK:
      break;
    }

  GBytes *resp = NULL;
  const osip_uri_t *to = req->to->url;
  g_autofree char *to_text = NULL;
  g_autofree char *aor = NULL;
  /* step 4: the user may change its own AOR only */
  if (to->username == NULL || strcmp (to->username, user) != 0)
    resp = registrar_respond (reg, req, 403, NULL);
  /* step 5: the AOR is in our domain */
  else if (!registrar_scheme_is_sip (to->scheme) || !registrar_host_equal (to->host, reg->domain)
           || (to_text = chorus_sip_uri_to_string (to)) == NULL
           || (aor = chorus_sip_aor_normalize (to_text, NULL, NULL, NULL)) == NULL)
    resp = registrar_respond (reg, req, 404, NULL);
  else
    {
      /* steps 6, 7, and 8 */
      resp = registrar_update_bindings (reg, conn, req, aor, user, now);
      if (resp == NULL)
        resp = registrar_respond_ok (reg, req, registrar_aor_get (reg, aor, user, FALSE), now);
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
  registrar_prune (registrar, now_ms);
  GBytes *resp;
  if (r == CHORUS_SIP_PARSE_REJECT)
    resp = registrar_respond (registrar, req, status, NULL);
  else
    resp = process (registrar, conn, req, now_ms);
  osip_message_free (req);
  registrar_flush_events (registrar);
  if (resp == NULL)
    g_set_error (error, CHORUS_SIP_REGISTRAR_ERROR, CHORUS_SIP_REGISTRAR_ERROR_UNPARSEABLE,
                 "the response could not be written");
  return resp;
}
