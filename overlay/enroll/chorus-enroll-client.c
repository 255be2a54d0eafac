/* chorus-enroll-client.c: enrollment from a device's side (RFC 6940
 * §11.2, §11.3) on libsoup 3.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-client.h"

#include <libsoup/soup.h>
#include <string.h>

#include "chord-id.h"
#include "chorus-enroll-error.h"
#include "chorus-invite.h"
#include "chorus-pinned-database.h"
#include "reload-config.h"
#include "reload-credentials.h"
#include "reload-csr.h"

#define CONFIG_MIME "application/p2p-overlay+xml"
#define CERT_MIME "application/pkix-cert"
#define HTTP_TIMEOUT_S 30
#define MAX_CERT_BYTES 16384

typedef struct
{
  ChorusInvite *invite;
  char *profile_dir;
  SoupSession *session;
  GTlsDatabase *pinned;
  GBytes *config_xml;
  ReloadConfig *config;
  ReloadCert *root; /* the root-cert the configuration verified with */
  ReloadKey *key;
} JoinData;

static void
join_data_free (JoinData *d)
{
  chorus_invite_free (d->invite);
  g_free (d->profile_dir);
  g_clear_object (&d->session);
  g_clear_object (&d->pinned);
  g_clear_pointer (&d->config_xml, g_bytes_unref);
  g_clear_pointer (&d->config, reload_config_free);
  g_clear_pointer (&d->root, reload_cert_unref);
  g_clear_pointer (&d->key, reload_key_free);
  g_free (d);
}

void
chorus_enroll_result_free (ChorusEnrollResult *result)
{
  if (result == NULL)
    return;
  g_free (result->user);
  g_free (result->overlay);
  g_free (result->node_id_hex);
  g_free (result->profile_dir);
  g_free (result);
}

static char *
server_name (const JoinData *d)
{
  gboolean v6 = strchr (d->invite->host, ':') != NULL;
  return g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", d->invite->host, v6 ? "]" : "",
                          d->invite->port);
}

/* A transport failure in words a person can act on. */
static void
return_transport_error (GTask *task, GError *error)
{
  JoinData *d = g_task_get_task_data (task);
  g_autofree char *server = server_name (d);
  guint8 seen[32];
  if (error->domain == G_TLS_ERROR
      && chorus_pinned_database_get_seen (CHORUS_PINNED_DATABASE (d->pinned), seen)
      && memcmp (seen, d->invite->fingerprint, 32) != 0)
    {
      g_autofree char *got = chorus_fingerprint_to_hex (seen);
      g_autofree char *want = chorus_fingerprint_to_hex (d->invite->fingerprint);
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FINGERPRINT_MISMATCH,
                               "the server at %s is not the one the invitation names: its "
                               "certificate is SHA-256 %s, the invitation says %s; refusing to "
                               "go on, since the connection may be intercepted",
                               server, got, want);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_UNREACHABLE,
                             "cannot reach the enrollment server at %s: %s; check the network, "
                             "or ask whoever invited you whether the server is running",
                             server, error->message);
  g_error_free (error);
}

/* ---- step 3: the certificate ---- */

static gboolean
write_profile (JoinData *d, ReloadCert *cert, GError **error)
{
  g_autoptr (ReloadCredentials) creds = reload_credentials_new ();
  creds->ca = reload_cert_ref (d->root);
  creds->cert = reload_cert_ref (cert);
  creds->key = reload_key_copy (d->key);
  if (!reload_credentials_save (creds, d->profile_dir, error))
    return FALSE;
  /* the document's bytes exactly: its signatures cover them (§11.1) */
  g_autofree char *path = g_build_filename (d->profile_dir, "config.xml", NULL);
  return g_file_set_contents (path, g_bytes_get_data (d->config_xml, NULL),
                              (gssize) g_bytes_get_size (d->config_xml), error);
}

static ChorusEnrollError
refusal_code (SoupMessage *msg, const char *body)
{
  const char *detail = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Chorus-Enroll-Detail");
  ChorusEnrollError code = chorus_enroll_error_from_token (body);
  if (code == CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION && g_strcmp0 (detail, "used") == 0)
    return CHORUS_ENROLL_ERROR_LINK_USED;
  if (code == CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION && g_strcmp0 (detail, "expired") == 0)
    return CHORUS_ENROLL_ERROR_LINK_EXPIRED;
  return code;
}

static const char *
refusal_text (ChorusEnrollError code)
{
  switch (code)
    {
    case CHORUS_ENROLL_ERROR_LINK_USED:
      return "this invitation was used already; ask for a new one";
    case CHORUS_ENROLL_ERROR_LINK_EXPIRED:
      return "this invitation has expired; ask for a new one";
    case CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION:
      return "the server does not accept this invitation (failed_authentication)";
    case CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE:
      return "the server does not give out this user name (username_not_available)";
    case CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE:
      return "the server does not give out that many Node-IDs (Node-IDs_not_available)";
    case CHORUS_ENROLL_ERROR_BAD_CSR:
      return "the server refused the certificate request (bad_CSR)";
    default:
      return "the server refused enrollment for an unknown reason";
    }
}

static void
on_enrolled (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  JoinData *d = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  GError *error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (body == NULL)
    {
      return_transport_error (task, error);
      return;
    }
  guint status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_FORBIDDEN)
    {
      /* §11.3: a text/plain body of one token */
      gsize len = 0;
      const char *data = g_bytes_get_data (body, &len);
      g_autofree char *token = g_strstrip (g_strndup (data ? data : "", MIN (len, 64)));
      ChorusEnrollError code = refusal_code (msg, token);
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, code, "%s", refusal_text (code));
      return;
    }
  if (status == 429)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                               "the enrollment server turns this address away after too many "
                               "failed attempts; try again in a minute");
      return;
    }
  const char *type =
      soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (status != SOUP_STATUS_OK || g_strcmp0 (type, CERT_MIME) != 0
      || g_bytes_get_size (body) > MAX_CERT_BYTES)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                               "the enrollment server answered HTTP %u %s, not a certificate",
                               status, soup_message_get_reason_phrase (msg));
      return;
    }
  g_autoptr (ReloadCert) cert = reload_cert_new_from_der (body, &error);
  g_autoptr (ReloadCertIdentity) id = cert != NULL ? reload_cert_get_identity (cert, &error) : NULL;
  /* §11.3: "The client MUST check that the returned certificate chains
   * back to one of the certificates received in the "root-cert" list" */
  if (id == NULL || !reload_cert_verify (cert, d->root, &error))
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                               "the enrollment server returned an unusable certificate: %s",
                               error->message);
      g_error_free (error);
      return;
    }
  if (!reload_cert_matches_key (cert, d->key) || strcmp (id->user_name, d->invite->user) != 0
      || strcmp (id->overlay_name, d->invite->overlay) != 0)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED,
                               "the enrollment server returned a certificate for another key, "
                               "user or overlay");
      return;
    }
  if (!write_profile (d, cert, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  ChorusEnrollResult *result = g_new0 (ChorusEnrollResult, 1);
  char hex[2 * RELOAD_NODE_ID_MAX + 1];
  result->user = g_strdup (id->user_name);
  result->overlay = g_strdup (id->overlay_name);
  result->node_id_hex = g_strdup (chord_id_to_hex (chord_id_from_node_id (&id->node_ids[0]), hex));
  result->profile_dir = g_strdup (d->profile_dir);
  result->configuration_sequence = d->config->sequence;
  g_task_return_pointer (task, result, (GDestroyNotify) chorus_enroll_result_free);
}

/* ---- step 2: the request ---- */

static void
send_enrollment (GTask *task)
{
  JoinData *d = g_task_get_task_data (task);
  GError *error = NULL;
  d->key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_autoptr (GBytes) csr =
      d->key != NULL ? reload_csr_create (d->key, d->invite->user, &error) : NULL;
  if (csr == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* §11.3: POST, multipart/form-data with username, password and csr
   * (application/pkcs10); Accept: application/pkix-cert */
  g_autoptr (SoupMultipart) form = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  soup_multipart_append_form_string (form, "username", d->invite->user);
  soup_multipart_append_form_string (form, "password", d->invite->secret);
  soup_multipart_append_form_file (form, "csr", "request.p10", "application/pkcs10", csr);
  g_autofree char *url = chorus_invite_get_enroll_url (d->invite);
  g_autoptr (SoupMessage) msg = soup_message_new_from_multipart (url, form);
  if (msg == NULL)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_INVALID_LINK,
                               "%s is not a usable URL", url);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", CERT_MIME);
  soup_session_send_and_read_async (d->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_enrolled,
                                    g_object_ref (task));
}

/* ---- step 1: the configuration ---- */

static void
on_config (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  JoinData *d = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  GError *error = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (body == NULL)
    {
      return_transport_error (task, error);
      return;
    }
  d->config_xml = body;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_CONFIGURATION,
                               "the server has no configuration for the overlay (HTTP %u %s)",
                               soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
      return;
    }
  /* §11.2: "If the XML is not valid or the instance-name attribute ...
   * does not match the overlay name, this configurations file SHOULD be
   * discarded"; and §11.1: "Recipients MUST verify the signature".  The
   * anchors come from the document itself, which is sound here only
   * because it came over the channel the link pins. */
  gsize len = 0;
  const char *xml = g_bytes_get_data (body, &len);
  d->config = reload_config_parse (xml, len, d->invite->overlay, &error);
  for (guint i = 0; d->config != NULL && d->root == NULL && i < d->config->root_certs->len; i++)
    {
      ReloadCert *root = g_ptr_array_index (d->config->root_certs, i);
      g_clear_error (&error);
      if (reload_config_verify (d->config, root, NULL, &error))
        d->root = reload_cert_ref (root);
    }
  if (d->root == NULL)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_CONFIGURATION,
                               "the server's configuration for %s is unusable: %s",
                               d->invite->overlay,
                               error != NULL ? error->message : "it has no root certificate");
      g_clear_error (&error);
      return;
    }
  g_clear_error (&error);
  send_enrollment (task);
}

void
chorus_enroll_join_async (const char *link, const char *profile_dir, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, chorus_enroll_join_async);
  GError *error = NULL;
  ChorusInvite *invite = chorus_invite_parse (link, &error);
  if (invite == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  JoinData *d = g_new0 (JoinData, 1);
  d->invite = invite;
  d->profile_dir = g_strdup (profile_dir);
  g_task_set_task_data (task, d, (GDestroyNotify) join_data_free);
  g_autofree char *cert = g_build_filename (profile_dir, RELOAD_CREDENTIALS_CERT_FILE, NULL);
  if (g_file_test (cert, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_PROFILE_EXISTS,
                               "%s holds an identity already (%s); choose another profile",
                               profile_dir, RELOAD_CREDENTIALS_CERT_FILE);
      return;
    }
  d->pinned = chorus_pinned_database_new (invite->fingerprint);
  d->session = soup_session_new_with_options ("tls-database", d->pinned, "timeout", HTTP_TIMEOUT_S,
                                              "user-agent",
                                              "chorus/"
                                              "0.1 ",
                                              NULL);
  g_autofree char *url = chorus_invite_get_config_url (invite);
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_INVALID_LINK,
                               "%s is not a usable URL", url);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", CONFIG_MIME);
  soup_session_send_and_read_async (d->session, msg, G_PRIORITY_DEFAULT, cancellable, on_config,
                                    g_object_ref (task));
}

ChorusEnrollResult *
chorus_enroll_join_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
