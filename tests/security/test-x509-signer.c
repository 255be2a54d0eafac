/* test-x509-signer.c: the X.509 ReloadSecurityOps (RFC 6940 §6.3.4,
 * §7.1): round trips with ECDSA and RSA, tampering, foreign CAs, the
 * certificate cache, identity types.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-x509-signer.h"

#include <string.h>

#define OVERLAY "chorus.example"

static const guint8 message[] = "overlay || transaction_id || MessageContents || SignerIdentity";

/* made once: RSA key generation is slow under the sanitizers */
static ReloadCert *ca, *foreign_ca;
static ReloadKey *ca_key, *foreign_ca_key;
static ReloadKey *alice_key; /* ECDSA P-256 */
static ReloadKey *bob_key;   /* RSA-2048 */
static ReloadCert *alice_cert, *bob_cert, *mallory_cert;
static ReloadNodeId alice_ids[2], bob_id;

static ReloadNodeId
node_id (guint8 fill)
{
  ReloadNodeId id = { 0 };
  id.len = 16;
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (fill ^ (i * 17));
  return id;
}

static ReloadX509Signer *
signer (ReloadCert *root, ReloadCert *cert, const ReloadKey *key)
{
  g_autoptr (GError) error = NULL;
  ReloadX509Signer *s = reload_x509_signer_new (root, cert, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

static gboolean
verify (ReloadX509Signer *s, const guint8 *data, gsize len, const ReloadSignature *sig,
        const ReloadGenericCertificate *certs, guint n_certs, RwArena *arena,
        ReloadSignerInfo *info)
{
  return reload_x509_security_ops ()->verify (s, data, len, sig, certs, n_certs, arena, info);
}

static void
sign (ReloadX509Signer *s, const guint8 *data, gsize len, RwArena *arena, ReloadSignature *sig)
{
  reload_x509_security_ops ()->sign (s, data, len, arena, sig);
}

static void
assert_cert_hash (const ReloadSignature *sig, ReloadCert *cert)
{
  guint8 h[32];
  reload_cert_get_sha256 (cert, h);
  g_assert_cmpint (sig->identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_CERT_HASH);
  g_assert_cmpint (sig->identity.hash_alg, ==, RELOAD_HASH_SHA256);
  g_assert_cmpmem (sig->identity.hash.data, sig->identity.hash.len, h, 32);
}

static ReloadGenericCertificate
generic (ReloadCert *cert, GBytes **keep)
{
  *keep = reload_cert_get_der (cert);
  gsize len;
  const guint8 *d = g_bytes_get_data (*keep, &len);
  return (ReloadGenericCertificate){ RELOAD_CERTIFICATE_X509, { d, len } };
}

static void
test_roundtrip_ecdsa (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (ReloadX509Signer) b = signer (ca, bob_cert, bob_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);

  ReloadSignature sig = { 0 };
  sign (a, message, sizeof message, arena, &sig);
  g_assert_cmpint (sig.hash_algorithm, ==, RELOAD_HASH_SHA256);
  g_assert_cmpint (sig.signature_algorithm, ==, RELOAD_SIG_ECDSA);
  assert_cert_hash (&sig, alice_cert);
  g_assert_cmpuint (sig.signature_value.len, >, 0);

  g_autoptr (GBytes) der = reload_cert_get_der (alice_cert);
  g_assert_true (reload_x509_signer_add_certificate (b, der, NULL));
  ReloadSignerInfo info = { 0 };
  g_assert_true (verify (b, message, sizeof message, &sig, NULL, 0, arena, &info));
  g_assert_cmpstr (info.user_name, ==, "alice@" OVERLAY);
  g_assert_cmpuint (info.n_node_ids, ==, 2);
  g_assert_true (reload_node_id_equal (&info.node_ids[0], &alice_ids[0]));
  g_assert_true (reload_node_id_equal (&info.node_ids[1], &alice_ids[1]));

  /* a signer verifies its own signatures */
  ReloadSignerInfo self = { 0 };
  g_assert_true (verify (a, message, sizeof message, &sig, NULL, 0, arena, &self));
  g_assert_cmpstr (self.user_name, ==, "alice@" OVERLAY);

  /* the identity probe the node makes: empty data signs and verifies */
  ReloadSignature probe = { 0 };
  sign (a, (const guint8 *) "", 0, arena, &probe);
  assert_cert_hash (&probe, alice_cert);
  g_assert_true (verify (b, (const guint8 *) "", 0, &probe, NULL, 0, arena, &info));
  g_assert_false (verify (b, message, sizeof message, &probe, NULL, 0, arena, &info));
}

static void
test_roundtrip_rsa (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (ReloadX509Signer) b = signer (ca, bob_cert, bob_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);

  ReloadSignature sig = { 0 };
  sign (b, message, sizeof message, arena, &sig);
  g_assert_cmpint (sig.hash_algorithm, ==, RELOAD_HASH_SHA256);
  g_assert_cmpint (sig.signature_algorithm, ==, RELOAD_SIG_RSA);
  assert_cert_hash (&sig, bob_cert);
  g_assert_cmpuint (sig.signature_value.len, ==, 256); /* PKCS#1 v1.5, 2048 bits */

  /* RSASSA-PKCS1-v1_5 is deterministic */
  ReloadSignature again = { 0 };
  sign (b, message, sizeof message, arena, &again);
  g_assert_cmpmem (sig.signature_value.data, sig.signature_value.len, again.signature_value.data,
                   again.signature_value.len);

  /* the certificate in the message's security block; then cached */
  g_autoptr (GBytes) keep = NULL;
  ReloadGenericCertificate certs[2] = { { RELOAD_CERTIFICATE_OPENPGP, { message, 4 } },
                                        generic (bob_cert, &keep) };
  guint8 h[32];
  reload_cert_get_sha256 (bob_cert, h);
  g_assert_false (reload_x509_signer_has_certificate (a, h));
  ReloadSignerInfo info = { 0 };
  g_assert_true (verify (a, message, sizeof message, &sig, certs, 2, arena, &info));
  g_assert_cmpstr (info.user_name, ==, "bob@" OVERLAY);
  g_assert_cmpuint (info.n_node_ids, ==, 1);
  g_assert_true (reload_node_id_equal (&info.node_ids[0], &bob_id));
  g_assert_true (reload_x509_signer_has_certificate (a, h));
  g_assert_true (verify (a, message, sizeof message, &sig, NULL, 0, arena, &info));
}

static void
test_tampered (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (ReloadX509Signer) b = signer (ca, bob_cert, bob_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  g_autoptr (GBytes) adr = reload_cert_get_der (alice_cert);
  g_assert_true (reload_x509_signer_add_certificate (b, adr, NULL));
  g_autoptr (GBytes) bdr = reload_cert_get_der (bob_cert);
  g_assert_true (reload_x509_signer_add_certificate (a, bdr, NULL));

  ReloadX509Signer *signers[2] = { a, b };
  ReloadX509Signer *verifiers[2] = { b, a };
  for (guint k = 0; k < 2; k++)
    {
      ReloadSignature sig = { 0 };
      sign (signers[k], message, sizeof message, arena, &sig);
      ReloadSignerInfo info = { 0 };
      ReloadX509Signer *v = verifiers[k];
      g_assert_true (verify (v, message, sizeof message, &sig, NULL, 0, arena, &info));

      /* one bit of the data */
      guint8 data[sizeof message];
      memcpy (data, message, sizeof data);
      data[10] ^= 0x01;
      ReloadSignerInfo untouched = { 0 };
      g_assert_false (verify (v, data, sizeof data, &sig, NULL, 0, arena, &untouched));
      g_assert_null (untouched.user_name);
      g_assert_false (verify (v, message, sizeof message - 1, &sig, NULL, 0, arena, &untouched));

      /* one bit of the signature */
      guint8 *value = g_memdup2 (sig.signature_value.data, sig.signature_value.len);
      value[sig.signature_value.len / 2] ^= 0x80;
      ReloadSignature bad = sig;
      bad.signature_value.data = value;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      /* truncated, empty */
      bad.signature_value.data = sig.signature_value.data;
      bad.signature_value.len = sig.signature_value.len - 1;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      bad.signature_value.len = 0;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      bad.signature_value.data = NULL;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      g_free (value);

      /* an algorithm that is not the key's, or not SHA-256 */
      bad = sig;
      bad.signature_algorithm =
          sig.signature_algorithm == RELOAD_SIG_RSA ? RELOAD_SIG_ECDSA : RELOAD_SIG_RSA;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      bad = sig;
      bad.signature_algorithm = 2; /* dsa */
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      bad = sig;
      bad.hash_algorithm = RELOAD_HASH_SHA1;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));

      /* another signer's identity on this signature */
      bad = sig;
      ReloadSignature other = { 0 };
      sign (verifiers[k], message, sizeof message, arena, &other);
      bad.identity = other.identity;
      g_assert_false (verify (v, message, sizeof message, &bad, NULL, 0, arena, &untouched));
      g_assert_null (untouched.user_name);
    }
}

static void
test_foreign_ca (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  /* mallory's certificate (alice's key, other CA) */
  g_autoptr (ReloadX509Signer) m = signer (foreign_ca, mallory_cert, alice_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);

  ReloadSignature sig = { 0 };
  sign (m, message, sizeof message, arena, &sig);
  assert_cert_hash (&sig, mallory_cert);
  g_autoptr (GBytes) keep = NULL;
  ReloadGenericCertificate cert = generic (mallory_cert, &keep);
  ReloadSignerInfo info = { 0 };
  g_assert_false (verify (a, message, sizeof message, &sig, &cert, 1, arena, &info));
  g_assert_null (info.user_name);
  g_assert_false (reload_x509_signer_has_certificate (a, sig.identity.hash.data));
  g_assert_false (reload_x509_signer_add_certificate (a, keep, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED);
  g_clear_error (&error);
  g_assert_false (verify (a, message, sizeof message, &sig, &cert, 1, arena, &info));

  /* nor can a node be made of it */
  g_assert_null (reload_x509_signer_new (ca, mallory_cert, alice_key, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED);
  g_clear_error (&error);

  /* a certificate of this CA for another overlay */
  g_autoptr (ReloadCert) elsewhere = reload_credentials_issue_peer (
      ca, ca_key, alice_key, "alice@" OVERLAY, "elsewhere.example", alice_ids, 1, 0, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) der = reload_cert_get_der (elsewhere);
  g_assert_false (reload_x509_signer_add_certificate (a, der, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_clear_error (&error);

  /* the root itself is no peer */
  g_autoptr (GBytes) root_der = reload_cert_get_der (ca);
  g_assert_false (reload_x509_signer_add_certificate (a, root_der, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);
  g_clear_error (&error);

  /* garbage */
  g_autoptr (GBytes) junk = g_bytes_new_static (message, sizeof message);
  g_assert_false (reload_x509_signer_add_certificate (a, junk, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_PARSE);
  ReloadGenericCertificate junk_cert = { RELOAD_CERTIFICATE_X509, { message, sizeof message } };
  g_assert_false (verify (a, message, sizeof message, &sig, &junk_cert, 1, arena, &info));
}

static void
test_unknown_then_cached (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (ReloadX509Signer) b = signer (ca, bob_cert, bob_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);

  ReloadSignature sig = { 0 };
  sign (a, message, sizeof message, arena, &sig);
  ReloadSignerInfo info = { 0 };
  g_assert_false (verify (b, message, sizeof message, &sig, NULL, 0, arena, &info));
  g_assert_null (info.user_name);
  /* a certificate in the message, but not the signer's */
  g_autoptr (GBytes) keep = NULL;
  ReloadGenericCertificate wrong = generic (bob_cert, &keep);
  g_assert_false (verify (b, message, sizeof message, &sig, &wrong, 1, arena, &info));

  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) der = reload_cert_get_der (alice_cert);
  g_assert_true (reload_x509_signer_add_certificate (b, der, &error));
  g_assert_no_error (error);
  g_assert_true (reload_x509_signer_add_certificate (b, der, &error)); /* again: fine */
  g_assert_no_error (error);
  g_assert_true (reload_x509_signer_has_certificate (b, sig.identity.hash.data));
  g_assert_true (verify (b, message, sizeof message, &sig, NULL, 0, arena, &info));
  g_assert_cmpstr (info.user_name, ==, "alice@" OVERLAY);
}

static void
test_identity_types (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadSignature sig = { 0 };
  sign (a, message, sizeof message, arena, &sig);
  ReloadSignerInfo info = { 0 };
  g_assert_true (verify (a, message, sizeof message, &sig, NULL, 0, arena, &info));

  static const guint8 types[] = { RELOAD_SIGNER_IDENTITY_INVALID,
                                  RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID,
                                  RELOAD_SIGNER_IDENTITY_NONE, 77 };
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      ReloadSignature bad = sig;
      bad.identity.identity_type = types[i];
      g_assert_false (verify (a, message, sizeof message, &bad, NULL, 0, arena, &info));
    }
  ReloadSignature bad = sig;
  bad.identity.hash_alg = RELOAD_HASH_SHA1;
  g_assert_false (verify (a, message, sizeof message, &bad, NULL, 0, arena, &info));
  bad = sig;
  bad.identity.hash.len = 20;
  g_assert_false (verify (a, message, sizeof message, &bad, NULL, 0, arena, &info));
  bad.identity.hash = (RwBytes){ NULL, 0 };
  g_assert_false (verify (a, message, sizeof message, &bad, NULL, 0, arena, &info));
  /* the storage layer's "unsigned" values (§7.4.1.1) */
  bad = (ReloadSignature){ 0 };
  bad.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
  g_assert_false (verify (a, message, sizeof message, &bad, NULL, 0, arena, &info));
  g_assert_false (verify (a, message, sizeof message, NULL, NULL, 0, arena, &info));
}

static void
test_arena_limit (void)
{
  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  g_autoptr (RwArena) big = rw_arena_new (0);
  ReloadSignature sig = { 0 };
  sign (a, message, sizeof message, big, &sig);

  /* a full arena: no crash, no success */
  g_autoptr (RwArena) tiny = rw_arena_new (8);
  ReloadSignature small = { 0 };
  sign (a, message, sizeof message, tiny, &small);
  g_assert_cmpuint (small.signature_value.len, ==, 0);
  ReloadSignerInfo info = { 0 };
  g_assert_false (verify (a, message, sizeof message, &small, NULL, 0, big, &info));
  g_assert_false (verify (a, message, sizeof message, &sig, NULL, 0, tiny, &info));
  g_assert_null (info.user_name);
}

static void
test_new_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (reload_x509_signer_new (ca, alice_cert, bob_key, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_MISMATCH);
  g_clear_error (&error);
  /* the root is no peer certificate */
  g_assert_null (reload_x509_signer_new (ca, ca, ca_key, &error));
  g_assert_error (error, RELOAD_CREDENTIALS_ERROR, RELOAD_CREDENTIALS_ERROR_INVALID);

  g_autoptr (ReloadX509Signer) a = signer (ca, alice_cert, alice_key);
  const ReloadCertIdentity *id = reload_x509_signer_get_identity (a);
  g_assert_cmpstr (id->user_name, ==, "alice@" OVERLAY);
  g_assert_cmpstr (id->overlay_name, ==, OVERLAY);
  g_assert_true (reload_x509_signer_get_certificate (a) == alice_cert);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autoptr (GError) error = NULL;
  ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  foreign_ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0,
                                                  &foreign_ca_key, &error);
  g_assert_no_error (error);
  alice_key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);
  bob_key = reload_key_generate (RELOAD_KEY_RSA_2048, &error);
  g_assert_no_error (error);
  alice_ids[0] = node_id (0xa1);
  alice_ids[1] = node_id (0xa2);
  bob_id = node_id (0xb0);
  alice_cert = reload_credentials_issue_peer (ca, ca_key, alice_key, "alice@" OVERLAY, OVERLAY,
                                              alice_ids, 2, 0, &error);
  g_assert_no_error (error);
  bob_cert = reload_credentials_issue_peer (ca, ca_key, bob_key, "bob@" OVERLAY, OVERLAY, &bob_id,
                                            1, 0, &error);
  g_assert_no_error (error);
  /* the same overlay name and Node-ID as alice, from a CA of its own */
  mallory_cert = reload_credentials_issue_peer (foreign_ca, foreign_ca_key, alice_key,
                                                "alice@" OVERLAY, OVERLAY, alice_ids, 2, 0, &error);
  g_assert_no_error (error);

  g_test_add_func ("/x509-signer/roundtrip-ecdsa", test_roundtrip_ecdsa);
  g_test_add_func ("/x509-signer/roundtrip-rsa", test_roundtrip_rsa);
  g_test_add_func ("/x509-signer/tampered", test_tampered);
  g_test_add_func ("/x509-signer/foreign-ca", test_foreign_ca);
  g_test_add_func ("/x509-signer/unknown-then-cached", test_unknown_then_cached);
  g_test_add_func ("/x509-signer/identity-types", test_identity_types);
  g_test_add_func ("/x509-signer/arena-limit", test_arena_limit);
  g_test_add_func ("/x509-signer/new-errors", test_new_errors);
  int ret = g_test_run ();

  reload_cert_unref (ca);
  reload_cert_unref (foreign_ca);
  reload_cert_unref (alice_cert);
  reload_cert_unref (bob_cert);
  reload_cert_unref (mallory_cert);
  reload_key_free (ca_key);
  reload_key_free (foreign_ca_key);
  reload_key_free (alice_key);
  reload_key_free (bob_key);
  return ret;
}
