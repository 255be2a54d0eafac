/* chorus-enroll-server.c: the enrollment and configuration server (RFC
 * 6940 §11.2, §11.3) on libsoup 3.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-server.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <libsoup/soup.h>
#include <string.h>

#include "chord-id.h"
#include "chorus-enroll-admin.h"
#include "chorus-enroll-error.h"
#include "chorus-enroll-request.h"
#include "chorus-enroll-store.h"
#include "reload-credentials.h"

#define CONFIG_PATH "/.well-known/reload-config"
#define CONFIG_MIME "application/p2p-overlay+xml"
#define CERT_MIME "application/pkix-cert"
/* the header that tells a device why failed_authentication (the body
 * stays the bare token of §11.3) */
#define DETAIL_HEADER "Chorus-Enroll-Detail"

typedef struct
{
  gint64 window_start;
  guint failures;
} FailureWindow;

struct _ChorusEnrollServer
{
  GObject parent_instance;
  char *dir;
  char *overlay;
  char *enroll_path;
  guint node_id_length;
  guint max_node_ids;
  ReloadCredentials *ca;
  ChorusEnrollStore *store;
  GTlsCertificate *tls;
  guint8 fingerprint[32];
  SoupServer *soup;
  GHashTable *failures; /* remote address -> FailureWindow */
};

G_DEFINE_FINAL_TYPE (ChorusEnrollServer, chorus_enroll_server, G_TYPE_OBJECT)

static void
chorus_enroll_server_finalize (GObject *object)
{
  ChorusEnrollServer *self = CHORUS_ENROLL_SERVER (object);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->tls);
  g_clear_pointer (&self->store, chorus_enroll_store_free);
  g_clear_pointer (&self->ca, reload_credentials_free);
  g_clear_pointer (&self->failures, g_hash_table_unref);
  g_free (self->dir);
  g_free (self->overlay);
  g_free (self->enroll_path);
  G_OBJECT_CLASS (chorus_enroll_server_parent_class)->finalize (object);
}

static void
chorus_enroll_server_class_init (ChorusEnrollServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = chorus_enroll_server_finalize;
}

static void
chorus_enroll_server_init (ChorusEnrollServer *self)
{
  self->max_node_ids = CHORUS_ENROLL_DEFAULT_MAX_NODE_IDS;
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
chorus_enroll_server_set_max_node_ids (ChorusEnrollServer *self, guint max)
{
  self->max_node_ids = CLAMP (max, 1, 16);
}

const guint8 *
chorus_enroll_server_get_fingerprint (ChorusEnrollServer *self)
{
  return self->fingerprint;
}

/* ---- responses ---- */

static const char *
remote_of (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);
  return host != NULL ? host : "?";
}

/* §11.3: "403 Forbidden, along with a body of type "text/plain" and body
 * that consists of one of the tokens" */
static void
refuse (ChorusEnrollServer *self, SoupServerMessage *msg, const GError *error)
{
  const char *token = error->domain == CHORUS_ENROLL_ERROR
                          ? chorus_enroll_error_to_token ((ChorusEnrollError) error->code)
                          : NULL;
  g_message ("enroll: %s refused: %s (%s)", remote_of (msg), token ? token : "error",
             error->message);
  if (token == NULL)
    {
      guint status =
          error->domain == CHORUS_ENROLL_ERROR && error->code == CHORUS_ENROLL_ERROR_BAD_REQUEST
              ? SOUP_STATUS_BAD_REQUEST
              : SOUP_STATUS_INTERNAL_SERVER_ERROR;
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, error->message,
                                        strlen (error->message));
      return;
    }
  if (error->code == CHORUS_ENROLL_ERROR_LINK_USED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), DETAIL_HEADER,
                                  "used");
  else if (error->code == CHORUS_ENROLL_ERROR_LINK_EXPIRED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), DETAIL_HEADER,
                                  "expired");
  soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, token, strlen (token));
}

/* An address that failed too often in the last minute waits (guessing a
 * 128-bit secret is hopeless anyway; this keeps the CA's key and the
 * database from being worked for nothing). */
static gboolean
throttled (ChorusEnrollServer *self, const char *remote, gint64 now)
{
  FailureWindow *w = g_hash_table_lookup (self->failures, remote);
  return w != NULL && now - w->window_start < 60
         && w->failures >= CHORUS_ENROLL_MAX_FAILURES_PER_MINUTE;
}

static void
count_failure (ChorusEnrollServer *self, const char *remote, gint64 now)
{
  FailureWindow *w = g_hash_table_lookup (self->failures, remote);
  if (w == NULL)
    {
      /* bounded: forget everybody rather than grow without limit */
      if (g_hash_table_size (self->failures) >= 4096)
        g_hash_table_remove_all (self->failures);
      w = g_new0 (FailureWindow, 1);
      g_hash_table_insert (self->failures, g_strdup (remote), w);
    }
  if (now - w->window_start >= 60)
    {
      w->window_start = now;
      w->failures = 0;
    }
  w->failures++;
}

/* ---- GET /.well-known/reload-config (§11.2) ---- */

static void
serve_config (ChorusEnrollServer *self, SoupServerMessage *msg)
{
  /* read each time: `chorus-enroll update` replaces it while serving */
  g_autofree char *path = g_build_filename (self->dir, CHORUS_ENROLL_CONFIG_FILE, NULL);
  g_autofree char *xml = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &xml, &len, &error))
    {
      g_warning ("enroll: %s", error->message);
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, CONFIG_MIME, SOUP_MEMORY_TAKE, g_steal_pointer (&xml),
                                    len);
}

/* ---- POST enrollment (§11.3) ---- */

static char *
serial_hex (const ReloadCert *cert)
{
  guint8 serial[64];
  size_t len = sizeof serial;
  if (gnutls_x509_crt_get_serial (reload_cert_get_x509 (cert), serial, &len) < 0)
    return g_strdup ("?");
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", serial[i]);
  return g_string_free (s, FALSE);
}

static char *
node_id_hex (const ReloadNodeId *id)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < id->len; i++)
    g_string_append_printf (s, "%02x", id->id[i]);
  return g_string_free (s, FALSE);
}

/* §11.3: Node-IDs "cryptographically random ... chosen by the enrollment
 * server in such a way that it is unpredictable to the requesting user",
 * and never one issued before. */
static gboolean
choose_node_ids (ChorusEnrollServer *self, guint n, ReloadNodeId *ids, GStrv *hex_out,
                 GError **error)
{
  g_autoptr (GPtrArray) hex = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      for (guint attempt = 0;; attempt++)
        {
          ids[i].len = (guint8) self->node_id_length;
          if (attempt >= 8 || gnutls_rnd (GNUTLS_RND_RANDOM, ids[i].id, ids[i].len) != 0)
            {
              g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                           "no fresh random Node-ID");
              return FALSE;
            }
          g_autofree char *h = node_id_hex (&ids[i]);
          gboolean taken = FALSE;
          if (!chorus_enroll_store_node_id_taken (self->store, h, &taken, error))
            return FALSE;
          for (guint j = 0; j < hex->len && !taken; j++)
            taken = g_str_equal (g_ptr_array_index (hex, j), h);
          if (!taken)
            {
              g_ptr_array_add (hex, g_steal_pointer (&h));
              break;
            }
        }
    }
  g_ptr_array_add (hex, NULL);
  *hex_out = (GStrv) g_ptr_array_free (g_steal_pointer (&hex), FALSE);
  return TRUE;
}

static ReloadCert *
enroll (ChorusEnrollServer *self, const ChorusEnrollRequest *req, const char *remote, gint64 now,
        GError **error)
{
  /* §11.3: "The enrollment server MUST authenticate the request using the
   * provided account name and password" */
  GError *local = NULL;
  switch (chorus_enroll_store_check_invite (self->store, req->username, req->password, now, &local))
    {
    case CHORUS_INVITE_VALID:
      break;
    case CHORUS_INVITE_USED:
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_LINK_USED,
                   "the invitation of %s was used already", req->username);
      return NULL;
    case CHORUS_INVITE_EXPIRED:
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_LINK_EXPIRED,
                   "the invitation of %s has expired", req->username);
      return NULL;
    case CHORUS_INVITE_UNKNOWN:
    default:
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return NULL;
        }
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION,
                   "no invitation for %s with that secret", req->username);
      return NULL;
    }
  /* "If the authentication succeeds and the requested user name in the
   * CSR is acceptable": the name the invitation is for, nothing else */
  const char *wanted = reload_csr_get_user_name (req->csr);
  if (wanted != NULL && strcmp (wanted, req->username) != 0)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE,
                   "the request asks for %s, the invitation is for %s", wanted, req->username);
      return NULL;
    }
  if (req->nodeids > self->max_node_ids)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE,
                   "%u Node-IDs asked for, at most %u given", req->nodeids, self->max_node_ids);
      return NULL;
    }
  ReloadNodeId ids[16];
  g_auto (GStrv) hex = NULL;
  if (!choose_node_ids (self, req->nodeids, ids, &hex, error))
    return NULL;
  g_autoptr (ReloadCert) cert = reload_credentials_issue_peer_pubkey (
      self->ca->ca, self->ca->ca_key, reload_csr_get_pubkey (req->csr), req->username,
      self->overlay, ids, req->nodeids, 0, &local);
  if (cert == NULL)
    {
      /* the name passed the invitation check, so what fails is the key */
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_CSR, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  g_autofree char *serial = serial_hex (cert);
  if (!chorus_enroll_store_record_device (self->store, req->username, req->password,
                                          (const char *const *) hex, serial, now, error))
    return NULL;
  g_message ("enroll: %s issued to %s (Node-ID %s%s, serial %s)", req->username, remote, hex[0],
             req->nodeids > 1 ? " and more" : "", serial);
  return g_steal_pointer (&cert);
}

static void
serve_enroll (ChorusEnrollServer *self, SoupServerMessage *msg)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *remote = remote_of (msg);
  if (throttled (self, remote, now))
    {
      g_message ("enroll: %s refused: too many failures, waits", remote);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "60");
      soup_server_message_set_status (msg, 429, "Too Many Requests");
      return;
    }
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusEnrollRequest) req =
      chorus_enroll_request_parse (soup_message_headers_get_one (h, "Content-Type"), body, &error);
  g_autoptr (ReloadCert) cert = req != NULL ? enroll (self, req, remote, now, &error) : NULL;
  if (cert == NULL)
    {
      count_failure (self, remote, now);
      refuse (self, msg, error);
      return;
    }
  /* §11.3: "returned as type "application/pkix-cert" ... with an HTTP
   * status code of 200 OK" (DER, RFC 2585) */
  GBytes *der = reload_cert_get_der (cert);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, CERT_MIME, SOUP_MEMORY_COPY, g_bytes_get_data (der, NULL),
                                    g_bytes_get_size (der));
}

/* Before the body is read: only the two resources, and no body bigger
 * than a request can be (a request body is buffered whole). */
static void
early_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  ChorusEnrollServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  if (g_str_equal (path, CONFIG_PATH))
    {
      if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
        soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (!g_str_equal (path, self->enroll_path))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (method != SOUP_METHOD_POST)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  guint refusal = 0;
  if (soup_message_headers_get_encoding (h) != SOUP_ENCODING_CONTENT_LENGTH)
    refusal = SOUP_STATUS_LENGTH_REQUIRED;
  else if (soup_message_headers_get_content_length (h) > CHORUS_ENROLL_REQUEST_MAX_BYTES)
    refusal = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  if (refusal != 0)
    {
      /* answered at once to "Expect: 100-continue"; otherwise libsoup
       * reads the body before answering: it must not keep it */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_server_message_set_status (msg, refusal, NULL);
    }
}

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer user_data)
{
  ChorusEnrollServer *self = user_data;
  if (g_str_equal (path, CONFIG_PATH))
    serve_config (self, msg);
  else if (g_str_equal (path, self->enroll_path))
    serve_enroll (self, msg);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* ---- setup ---- */

static char *
enroll_path_of (const ReloadConfig *cfg)
{
  for (guint i = 0; i < cfg->enrollment_servers->len; i++)
    {
      g_autoptr (GUri) uri =
          g_uri_parse (g_ptr_array_index (cfg->enrollment_servers, i), G_URI_FLAGS_NONE, NULL);
      if (uri != NULL && g_str_equal (g_uri_get_scheme (uri), "https"))
        {
          const char *p = g_uri_get_path (uri);
          if (p != NULL && p[0] == '/' && p[1] != '\0')
            return g_strdup (p);
          break;
        }
    }
  return g_strdup (CHORUS_ENROLL_DEFAULT_PATH);
}

ChorusEnrollServer *
chorus_enroll_server_new (const char *dir, GError **error)
{
  g_autoptr (ChorusEnrollServer) self = g_object_new (CHORUS_TYPE_ENROLL_SERVER, NULL);
  self->dir = g_strdup (dir);
  self->ca = reload_credentials_load (dir, error);
  if (self->ca == NULL)
    return NULL;
  if (self->ca->ca_key == NULL)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                   "%s has no CA key (ca-key.pem): not an overlay directory of chorus-enroll "
                   "init",
                   dir);
      return NULL;
    }
  g_autoptr (ReloadConfig) cfg = chorus_enroll_load_config (dir, error);
  if (cfg == NULL)
    return NULL;
  self->overlay = g_strdup (cfg->instance_name);
  self->node_id_length = cfg->node_id_length;
  self->enroll_path = enroll_path_of (cfg);
  self->tls = chorus_enroll_server_identity (dir, cfg, self->fingerprint, error);
  if (self->tls == NULL)
    return NULL;
  self->store = chorus_enroll_store_open (dir, error);
  if (self->store == NULL)
    return NULL;
  self->soup =
      soup_server_new ("tls-certificate", self->tls, "server-header", "chorus-enroll ", NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler, self, NULL);
  return g_steal_pointer (&self);
}

gboolean
chorus_enroll_server_listen (ChorusEnrollServer *self, const char *address, guint16 port,
                             GError **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not an IP address",
                   address);
      return FALSE;
    }
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (inet, port);
  return soup_server_listen (self->soup, sa, SOUP_SERVER_LISTEN_HTTPS, error);
}

guint16
chorus_enroll_server_get_port (ChorusEnrollServer *self)
{
  GSList *listeners = soup_server_get_listeners (self->soup);
  guint16 port = 0;
  if (listeners != NULL)
    {
      g_autoptr (GSocketAddress) sa = g_socket_get_local_address (listeners->data, NULL);
      if (sa != NULL)
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
    }
  g_slist_free (listeners);
  return port;
}
