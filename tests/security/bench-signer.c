/* bench-signer.c: CPU time of the signatures every RELOAD message carries
 * (RFC 6940 §6.3.4): signing a message this node originates and verifying
 * one it receives, with the X.509 signer, for ECDSA P-256 (the default)
 * and RSA-2048 (the mandatory algorithm).  Verification is measured as a
 * peer does it once the signer's certificate is known (the chain is checked
 * once per certificate, the signature every time).
 *
 * Prints one JSON object: per key type, microseconds of CPU per sign and
 * per verify.  A benchmark (`meson test --benchmark`): nothing asserted but
 * that every signature verifies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <time.h>

#include "reload-x509-signer.h"

#define OVERLAY "bench.chorus"
#define MESSAGE_BYTES 300 /* a Fetch with its headers is about this size */

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
measure (const char *label, ReloadKeyType type, guint rounds, gboolean last)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ReloadKey) ca_key = NULL;
  g_autoptr (ReloadCert) ca =
      reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 0, &ca_key, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadKey) a_key = reload_key_generate (type, &error);
  g_autoptr (ReloadKey) b_key = reload_key_generate (type, &error);
  g_assert_no_error (error);
  ReloadNodeId a_id = { .len = 16, .id = { 1 } }, b_id = { .len = 16, .id = { 2 } };
  g_autoptr (ReloadCert) a_cert =
      reload_credentials_issue_peer (ca, ca_key, a_key, "a@" OVERLAY, OVERLAY, &a_id, 1, 0, &error);
  g_autoptr (ReloadCert) b_cert =
      reload_credentials_issue_peer (ca, ca_key, b_key, "b@" OVERLAY, OVERLAY, &b_id, 1, 0, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadX509Signer) a = reload_x509_signer_new (ca, a_cert, a_key, &error);
  g_autoptr (ReloadX509Signer) b = reload_x509_signer_new (ca, b_cert, b_key, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) a_der = reload_cert_get_der (a_cert);
  g_assert_true (reload_x509_signer_add_certificate (b, a_der, &error));

  const ReloadSecurityOps *ops = reload_x509_security_ops ();
  guint8 data[MESSAGE_BYTES];
  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 31);
  g_autoptr (RwArena) arena = rw_arena_new (0);
  ReloadSignature *sigs = g_new0 (ReloadSignature, rounds);

  double t0 = cpu_seconds ();
  for (guint i = 0; i < rounds; i++)
    {
      data[0] = (guint8) i;
      ops->sign (a, data, sizeof data, arena, &sigs[i]);
    }
  double t1 = cpu_seconds ();
  for (guint i = 0; i < rounds; i++)
    {
      ReloadSignerInfo info = { 0 };
      data[0] = (guint8) i;
      if (!ops->verify (b, data, sizeof data, &sigs[i], NULL, 0, arena, &info))
        g_error ("signature %u does not verify", i);
    }
  double t2 = cpu_seconds ();
  g_free (sigs);
  printf ("  \"%s\": {\"rounds\": %u, \"sign_us\": %.1f, \"verify_us\": %.1f}%s\n", label, rounds,
          (t1 - t0) * 1e6 / rounds, (t2 - t1) * 1e6 / rounds, last ? "" : ",");
}

int
main (int argc, char **argv)
{
  guint rounds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  if (rounds == 0)
    rounds = 2000;
  printf ("{\n");
  measure ("ecdsa_p256", RELOAD_KEY_ECDSA_P256, rounds, FALSE);
  measure ("rsa_2048", RELOAD_KEY_RSA_2048, rounds, TRUE);
  printf ("}\n");
  return 0;
}
