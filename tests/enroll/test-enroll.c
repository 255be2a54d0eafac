/* test-enroll.c: invitation links, certificate requests, the enrollment
 * request parser and the enrollment server's store (RFC 6940 §11.3).
 * The server and the joining client over real HTTPS are tested by
 * tests/process/test_enroll.py.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "chorus-enroll-error.h"
#include "chorus-enroll-request.h"
#include "chorus-enroll-store.h"
#include "chorus-invite.h"
#include "reload-csr.h"

#define FP "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SECRET "0123456789abcdef0123456789abcdef"

/* ---- links ---- */

static void
test_link_round_trip (void)
{
  const char *link = "chorus-invite://203.0.113.7:8443/enroll?overlay=home.example&user=alice%40"
                     "home.example&secret=" SECRET "&sha256=" FP;
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusInvite) inv = chorus_invite_parse (link, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inv->host, ==, "203.0.113.7");
  g_assert_cmpuint (inv->port, ==, 8443);
  g_assert_cmpstr (inv->path, ==, "/enroll");
  g_assert_cmpstr (inv->overlay, ==, "home.example");
  g_assert_cmpstr (inv->user, ==, "alice@home.example");
  g_assert_cmpstr (inv->secret, ==, SECRET);
  g_assert_cmpuint (inv->fingerprint[0], ==, 0x00);
  g_assert_cmpuint (inv->fingerprint[31], ==, 0xff);
  g_autofree char *again = chorus_invite_to_string (inv);
  g_assert_cmpstr (again, ==, link);
  g_autofree char *enroll = chorus_invite_get_enroll_url (inv);
  g_autofree char *config = chorus_invite_get_config_url (inv);
  g_assert_cmpstr (enroll, ==, "https://203.0.113.7:8443/enroll");
  g_assert_cmpstr (config, ==, "https://203.0.113.7:8443/.well-known/reload-config");
}

static void
test_link_ipv6_default_port_whitespace (void)
{
  g_autoptr (GError) error = NULL;
  /* pasted from a chat: white space around, upper-case hex, extra
   * parameters of a later version, no port */
  g_autofree char *upper = g_ascii_strup (FP, -1);
  g_autofree char *link = g_strdup_printf (
      "  \n chorus-invite://[2001:db8::1]/join?v=2&overlay=o.example&user=bob%%40o.example&secret=" SECRET
      "&sha256=%s \t\n",
      upper);
  g_autoptr (ChorusInvite) inv = chorus_invite_parse (link, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inv->host, ==, "2001:db8::1");
  g_assert_cmpuint (inv->port, ==, CHORUS_INVITE_DEFAULT_PORT);
  g_autofree char *url = chorus_invite_get_enroll_url (inv);
  g_assert_cmpstr (url, ==, "https://[2001:db8::1]:443/join");
  g_autofree char *s = chorus_invite_to_string (inv);
  g_autoptr (ChorusInvite) back = chorus_invite_parse (s, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->fingerprint, 32, inv->fingerprint, 32);
}

static void
test_link_rejected (void)
{
  const char *bad[] = {
    "",
    "https://example.org/enroll?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite:///enroll?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=a%20b&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=a%00b&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o/x&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=u&secret=0123&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=u&secret=0123456789ABCDEF0123456789ABCDEF&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=u&secret=" SECRET "&sha256=00",
    "chorus-invite://h:1/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP "00",
    "chorus-invite://h:1/e?overlay=o&user=u&secret=" SECRET,
    "chorus-invite://x@h:1/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://h:1/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP "#frag",
    "chorus-invite://h:99999/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://a&b=c:1/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
    "chorus-invite://a%40b:1/e?overlay=o&user=u&secret=" SECRET "&sha256=" FP,
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ChorusInvite) inv = chorus_invite_parse (bad[i], &error);
      g_assert_null (inv);
      g_assert_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_INVALID_LINK);
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = g_strnfill (4096, 'a');
  g_assert_null (chorus_invite_parse (huge, &error));
  g_assert_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_INVALID_LINK);
}

static void
test_error_tokens (void)
{
  g_assert_cmpstr (chorus_enroll_error_to_token (CHORUS_ENROLL_ERROR_LINK_USED), ==,
                   "failed_authentication");
  g_assert_cmpstr (chorus_enroll_error_to_token (CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE), ==,
                   "Node-IDs_not_available");
  g_assert_null (chorus_enroll_error_to_token (CHORUS_ENROLL_ERROR_UNREACHABLE));
  g_assert_cmpint (chorus_enroll_error_from_token ("bad_CSR"), ==, CHORUS_ENROLL_ERROR_BAD_CSR);
  g_assert_cmpint (chorus_enroll_error_from_token ("username_not_available"), ==,
                   CHORUS_ENROLL_ERROR_USERNAME_NOT_AVAILABLE);
  /* §11.3: an unknown token is "a failure for an unknown reason" */
  g_assert_cmpint (chorus_enroll_error_from_token ("bad_csr"), ==, CHORUS_ENROLL_ERROR_FAILED);
}

/* ---- certificate requests ---- */

static GBytes *
make_csr (ReloadKeyType type, const char *user)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadKey) key = reload_key_generate (type, &error);
  g_assert_no_error (error);
  GBytes *csr = reload_csr_create (key, user, &error);
  g_assert_no_error (error);
  return csr;
}

static void
test_csr (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) csr = make_csr (RELOAD_KEY_ECDSA_P256, "alice@o.example");
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (csr, &len);
  g_autoptr (ReloadCsr) parsed = reload_csr_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reload_csr_get_user_name (parsed), ==, "alice@o.example");
  g_assert_nonnull (reload_csr_get_pubkey (parsed));

  g_autoptr (GBytes) rsa = make_csr (RELOAD_KEY_RSA_2048, "bob@o.example");
  data = g_bytes_get_data (rsa, &len);
  g_autoptr (ReloadCsr) rsa_parsed = reload_csr_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reload_csr_get_user_name (rsa_parsed), ==, "bob@o.example");

  /* the self-signature covers the request: one changed byte of the name
   * and it no longer verifies */
  data = g_bytes_get_data (csr, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  guint8 *at = memmem (copy, len, "alice", 5);
  g_assert_nonnull (at);
  at[0] = 'm';
  g_autoptr (ReloadCsr) forged = reload_csr_parse (copy, len, &error);
  g_assert_null (forged);
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_clear_error (&error);

  /* truncated, empty, oversized */
  g_assert_null (reload_csr_parse (data, len / 2, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (reload_csr_parse (data, 0, &error));
  g_clear_error (&error);
  g_autofree guint8 *big = g_malloc0 (20000);
  g_assert_null (reload_csr_parse (big, 20000, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
}

/* ---- the enrollment request parser ---- */

static GBytes *
form (const char *username, const char *password, const char *nodeids, GBytes *csr,
      const char *csr_type, char **content_type)
{
  g_autoptr (SoupMultipart) mp = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  if (username)
    soup_multipart_append_form_string (mp, "username", username);
  if (password)
    soup_multipart_append_form_string (mp, "password", password);
  if (nodeids)
    soup_multipart_append_form_string (mp, "nodeids", nodeids);
  if (csr)
    soup_multipart_append_form_file (mp, "csr", "r.p10", csr_type, csr);
  g_autoptr (SoupMessageHeaders) h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  GBytes *body = NULL;
  soup_multipart_to_message (mp, h, &body);
  *content_type = g_strdup (soup_message_headers_get_one (h, "Content-Type"));
  return body;
}

static void
expect_request_error (GBytes *body, const char *type, ChorusEnrollError code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusEnrollRequest) req = chorus_enroll_request_parse (type, body, &error);
  g_assert_null (req);
  g_assert_error (error, CHORUS_ENROLL_ERROR, (gint) code);
}

static void
test_request_parse (void)
{
  g_autoptr (GBytes) csr = make_csr (RELOAD_KEY_ECDSA_P256, "alice@o.example");
  g_autofree char *type = NULL;
  g_autoptr (GBytes) body = form ("alice@o.example", SECRET, "3", csr, "application/pkcs10", &type);
  g_autoptr (GError) error = NULL;
  g_autoptr (ChorusEnrollRequest) req = chorus_enroll_request_parse (type, body, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (req->username, ==, "alice@o.example");
  g_assert_cmpstr (req->password, ==, SECRET);
  g_assert_cmpuint (req->nodeids, ==, 3);
  g_assert_cmpstr (reload_csr_get_user_name (req->csr), ==, "alice@o.example");

  /* nodeids is optional: one */
  g_autofree char *t1 = NULL;
  g_autoptr (GBytes) b1 = form ("alice@o.example", SECRET, NULL, csr, "application/pkcs10", &t1);
  g_autoptr (ChorusEnrollRequest) r1 = chorus_enroll_request_parse (t1, b1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r1->nodeids, ==, 1);

  struct
  {
    const char *user, *password, *nodeids, *csr_type;
    gboolean with_csr;
    ChorusEnrollError code;
  } cases[] = {
    { NULL, SECRET, NULL, "application/pkcs10", TRUE, CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION },
    { "a@o", NULL, NULL, "application/pkcs10", TRUE, CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION },
    { "a@o", "", NULL, "application/pkcs10", TRUE, CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION },
    { "a@o", "\xff\xfe", NULL, "application/pkcs10", TRUE,
      CHORUS_ENROLL_ERROR_FAILED_AUTHENTICATION },
    { "a@o", SECRET, "zero", "application/pkcs10", TRUE,
      CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE },
    { "a@o", SECRET, "0", "application/pkcs10", TRUE, CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE },
    { "a@o", SECRET, "70000", "application/pkcs10", TRUE,
      CHORUS_ENROLL_ERROR_NODE_IDS_NOT_AVAILABLE },
    { "a@o", SECRET, NULL, "application/pkcs10", FALSE, CHORUS_ENROLL_ERROR_BAD_CSR },
    { "a@o", SECRET, NULL, "application/octet-stream", TRUE, CHORUS_ENROLL_ERROR_BAD_CSR },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = NULL;
      g_autoptr (GBytes) b = form (cases[i].user, cases[i].password, cases[i].nodeids,
                                   cases[i].with_csr ? csr : NULL, cases[i].csr_type, &t);
      expect_request_error (b, t, cases[i].code);
    }
  /* a csr part that is not a request */
  g_autoptr (GBytes) junk = g_bytes_new_static ("junk", 4);
  g_autofree char *tj = NULL;
  g_autoptr (GBytes) bj = form ("a@o", SECRET, NULL, junk, "application/pkcs10", &tj);
  expect_request_error (bj, tj, CHORUS_ENROLL_ERROR_BAD_CSR);
  /* not multipart, no type, malformed multipart, too big */
  expect_request_error (body, "application/x-www-form-urlencoded", CHORUS_ENROLL_ERROR_BAD_REQUEST);
  expect_request_error (body, NULL, CHORUS_ENROLL_ERROR_BAD_REQUEST);
  g_autoptr (GBytes) garbage = g_bytes_new_static ("--x\r\nno end", 12);
  expect_request_error (garbage, "multipart/form-data; boundary=y",
                        CHORUS_ENROLL_ERROR_BAD_REQUEST);
  g_autofree char *huge = g_malloc0 (CHORUS_ENROLL_REQUEST_MAX_BYTES + 1);
  g_autoptr (GBytes) hb =
      g_bytes_new_take (g_steal_pointer (&huge), CHORUS_ENROLL_REQUEST_MAX_BYTES + 1);
  expect_request_error (hb, type, CHORUS_ENROLL_ERROR_BAD_REQUEST);
}

/* ---- the server's store ---- */

static void
test_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("chorus-enroll-store-XXXXXX", &error);
  g_assert_no_error (error);
  g_autoptr (ChorusEnrollStore) store = chorus_enroll_store_open (dir, &error);
  g_assert_no_error (error);
  gint64 now = 1000000;
  g_autofree char *s1 = chorus_enroll_store_add_invite (store, "alice@o", now, now + 60, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (s1), ==, CHORUS_INVITE_SECRET_HEX);
  g_autofree char *s2 = chorus_enroll_store_add_invite (store, "alice@o", now, now + 60, &error);
  g_assert_cmpstr (s1, !=, s2);

  g_assert_cmpint (chorus_enroll_store_check_invite (store, "alice@o", s1, now, &error), ==,
                   CHORUS_INVITE_VALID);
  /* the secret is alice's, not bob's; unknown secrets are unknown */
  g_assert_cmpint (chorus_enroll_store_check_invite (store, "bob@o", s1, now, &error), ==,
                   CHORUS_INVITE_UNKNOWN);
  g_assert_cmpint (chorus_enroll_store_check_invite (store, "alice@o", SECRET, now, &error), ==,
                   CHORUS_INVITE_UNKNOWN);
  g_assert_cmpint (chorus_enroll_store_check_invite (store, "alice@o", s1, now + 60, &error), ==,
                   CHORUS_INVITE_EXPIRED);
  g_assert_no_error (error);

  const char *ids[] = { "00ff", "01ff", NULL };
  g_assert_true (
      chorus_enroll_store_record_device (store, "alice@o", s1, ids, "4a", now + 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chorus_enroll_store_check_invite (store, "alice@o", s1, now + 2, &error), ==,
                   CHORUS_INVITE_USED);
  gboolean taken = FALSE;
  g_assert_true (chorus_enroll_store_node_id_taken (store, "01ff", &taken, &error));
  g_assert_true (taken);
  g_assert_true (chorus_enroll_store_node_id_taken (store, "02ff", &taken, &error));
  g_assert_false (taken);
  /* a used invitation cannot be consumed twice; nothing is recorded */
  const char *ids2[] = { "03ff", NULL };
  g_assert_false (
      chorus_enroll_store_record_device (store, "alice@o", s1, ids2, "4b", now + 3, &error));
  g_assert_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_LINK_USED);
  g_clear_error (&error);
  g_assert_true (chorus_enroll_store_node_id_taken (store, "03ff", &taken, &error));
  g_assert_false (taken);
  /* an expired one neither */
  g_assert_false (
      chorus_enroll_store_record_device (store, "alice@o", s2, ids2, "4b", now + 61, &error));
  g_assert_error (error, CHORUS_ENROLL_ERROR, CHORUS_ENROLL_ERROR_LINK_USED);
  g_clear_error (&error);
  g_assert_cmpint (chorus_enroll_store_count_devices (store, "alice@o", &error), ==, 1);
  g_assert_cmpint (chorus_enroll_store_count_devices (store, NULL, &error), ==, 1);

  /* secrets are kept only as hashes */
  g_clear_pointer (&store, chorus_enroll_store_free);
  g_autofree char *path = g_build_filename (dir, CHORUS_ENROLL_STORE_FILE, NULL);
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autofree char *wal = NULL;
  gsize wal_len = 0;
  g_file_get_contents (wal_path, &wal, &wal_len, NULL);
  g_assert_null (memmem (raw, len, s1, strlen (s1)));
  g_assert_true (wal == NULL || memmem (wal, wal_len, s1, strlen (s1)) == NULL);

  /* reopened: the state is kept */
  store = chorus_enroll_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chorus_enroll_store_check_invite (store, "alice@o", s1, now, &error), ==,
                   CHORUS_INVITE_USED);
  g_clear_pointer (&store, chorus_enroll_store_free);
  g_unlink (path);
  g_unlink (wal_path);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_unlink (shm);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/enroll/link/round-trip", test_link_round_trip);
  g_test_add_func ("/enroll/link/ipv6-default-port-whitespace",
                   test_link_ipv6_default_port_whitespace);
  g_test_add_func ("/enroll/link/rejected", test_link_rejected);
  g_test_add_func ("/enroll/error-tokens", test_error_tokens);
  g_test_add_func ("/enroll/csr", test_csr);
  g_test_add_func ("/enroll/request-parse", test_request_parse);
  g_test_add_func ("/enroll/store", test_store);
  return g_test_run ();
}
