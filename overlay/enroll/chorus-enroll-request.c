/* chorus-enroll-request.c: parsing the enrollment POST of RFC 6940 §11.3
 * with libsoup's multipart/form-data decoder (RFC 2388, RFC 7578).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-enroll-request.h"

#include <libsoup/soup.h>
#include <string.h>

#include "chorus-enroll-error.h"

void
chorus_enroll_request_free (ChorusEnrollRequest *req)
{
  if (req == NULL)
    return;
  g_free (req->username);
  if (req->password != NULL)
    memset (req->password, 0, strlen (req->password));
  g_free (req->password);
  reload_csr_free (req->csr);
  g_free (req);
}

static gboolean
field_ok (const char *value)
{
  return value != NULL && *value != '\0' && strlen (value) <= CHORUS_ENROLL_FIELD_MAX_BYTES
         && g_utf8_validate (value, -1, NULL);
}

/* A header value is visible ASCII, spaces and tabs (RFC 9110 §5.5):
 * libsoup's header parser is not given anything else (a CR in the value
 * made it fail an assertion; found by fuzz-enroll). */
static gboolean
header_value_ok (const char *value)
{
  for (const guchar *p = (const guchar *) value; p != NULL && *p != '\0'; p++)
    if ((*p < 0x20 && *p != '\t') || *p >= 0x7f)
      return FALSE;
  return value != NULL;
}

ChorusEnrollRequest *
chorus_enroll_request_parse (const char *content_type, GBytes *body, GError **error)
{
  if (body == NULL || g_bytes_get_size (body) > CHORUS_ENROLL_REQUEST_MAX_BYTES)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_REQUEST,
                   "the request body is missing or larger than %d bytes",
                   CHORUS_ENROLL_REQUEST_MAX_BYTES);
      return NULL;
    }
  if (!header_value_ok (content_type))
    content_type = NULL;
  g_autoptr (GHashTable) ct_params = NULL;
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (content_type != NULL)
    soup_message_headers_replace (headers, "Content-Type", content_type);
  const char *type = soup_message_headers_get_content_type (headers, &ct_params);
  if (type == NULL || g_ascii_strcasecmp (type, SOUP_FORM_MIME_TYPE_MULTIPART) != 0)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_REQUEST,
                   "an enrollment request is multipart/form-data (RFC 6940 §11.3)");
      return NULL;
    }
  /* libsoup 3.2's multipart parser runs strstr() over the body: it reads
   * past a body that is not NUL-terminated (found by fuzz-enroll).
   * soup_message_body_flatten() adds the NUL; a caller with other bytes
   * may not, so the parser gets a terminated copy whatever it is given. */
  gsize body_len = 0;
  const guint8 *body_data = g_bytes_get_data (body, &body_len);
  guint8 *terminated = g_malloc (body_len + 1);
  if (body_len > 0)
    memcpy (terminated, body_data, body_len);
  terminated[body_len] = '\0';
  g_autoptr (GBytes) safe_body = g_bytes_new_take (terminated, body_len);
  g_autoptr (SoupMultipart) multipart = soup_multipart_new_from_message (headers, safe_body);
  if (multipart == NULL)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_REQUEST,
                   "malformed multipart/form-data");
      return NULL;
    }
  /* the form's fields: one part each, named by Content-Disposition */
  g_autoptr (ChorusEnrollRequest) req = g_new0 (ChorusEnrollRequest, 1);
  const char *nodeids = NULL;
  g_autoptr (GBytes) csr = NULL;
  g_autofree char *csr_type = NULL;
  g_autoptr (GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *part_headers = NULL;
      GBytes *part_body = NULL;
      if (!soup_multipart_get_part (multipart, i, &part_headers, &part_body))
        continue;
      char *disposition = NULL;
      GHashTable *params = NULL;
      if (!soup_message_headers_get_content_disposition (part_headers, &disposition, &params))
        continue;
      const char *name = params != NULL ? g_hash_table_lookup (params, "name") : NULL;
      /* libsoup can report success with no disposition (a header of
       * only parameters; found by fuzz-enroll) */
      if (disposition != NULL && g_ascii_strcasecmp (disposition, "form-data") == 0 && name != NULL)
        {
          if (g_str_equal (name, "csr"))
            {
              g_clear_pointer (&csr, g_bytes_unref);
              g_clear_pointer (&csr_type, g_free);
              csr = g_bytes_ref (part_body);
              const char *t = soup_message_headers_get_content_type (part_headers, NULL);
              csr_type = g_strdup (t);
            }
          else
            {
              gsize len = 0;
              const char *data = g_bytes_get_data (part_body, &len);
              /* a field holding a NUL is not a string: refuse it below */
              if (data == NULL || memchr (data, '\0', len) == NULL)
                g_hash_table_replace (fields, g_strdup (name), g_strndup (data ? data : "", len));
              else
                g_hash_table_replace (fields, g_strdup (name), g_strdup (""));
            }
        }
      g_free (disposition);
      if (params != NULL)
        g_hash_table_destroy (params);
    }
  const char *username = g_hash_table_lookup (fields, "username");
  const char *password = g_hash_table_lookup (fields, "password");
  if (!field_ok (username) || !field_ok (password))
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION,
                   "the form needs a username and a password (UTF-8, 1 to %d bytes)",
                   CHORUS_ENROLL_FIELD_MAX_BYTES);
      return NULL;
    }
  req->username = g_strdup (username);
  req->password = g_strdup (password);
  req->nodeids = 1;
  nodeids = g_hash_table_lookup (fields, "nodeids");
  if (nodeids != NULL)
    {
      guint64 n = 0;
      if (!g_ascii_string_to_unsigned (nodeids, 10, 1, G_MAXUINT16, &n, NULL))
        {
          g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE,
                       "nodeids must be a number of 1 to 65535");
          return NULL;
        }
      req->nodeids = (guint) n;
    }
  /* §11.3: "a form parameter of "csr" with a content type of
   * application/pkcs10" */
  if (csr == NULL || csr_type == NULL || g_ascii_strcasecmp (csr_type, "application/pkcs10") != 0)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_CSR,
                   "the form needs a csr part of type application/pkcs10");
      return NULL;
    }
  gsize csr_len = 0;
  const guint8 *csr_data = g_bytes_get_data (csr, &csr_len);
  g_autoptr (GError) local = NULL;
  req->csr = reload_csr_parse (csr_data, csr_len, &local);
  if (req->csr == NULL)
    {
      g_set_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_BAD_CSR, "%s", local->message);
      return NULL;
    }
  return g_steal_pointer (&req);
}
