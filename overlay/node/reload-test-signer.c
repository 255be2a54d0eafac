/* reload-test-signer.c: a stand-in for the X.509 signer, for unit tests and
 * the simulator.  It keeps the shape of a real signature (SignerIdentity of
 * type cert_hash, a signature value) but proves nothing: the value names
 * the user and the Node-ID and carries a checksum of the signed bytes, so a
 * message altered in transit is still caught.
 *
 * signature_value = user_name NUL node_id[16] fnv1a64(data)[8]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node.h"

#include <string.h>

static guint64
fnv1a64 (const guint8 *data, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  for (gsize i = 0; i < len; i++)
    {
      h ^= data[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

static void
test_sign (gpointer self, const guint8 *data, gsize len, RwArena *arena, ReloadSignature *sig)
{
  ReloadTestSigner *s = self;
  gsize ulen = strlen (s->user_name);
  gsize n = ulen + 1 + 16 + 8;
  guint8 *v = rw_arena_alloc0 (arena, n);
  memcpy (v, s->user_name, ulen);
  memcpy (v + ulen + 1, s->node_id.id, 16);
  guint64 h = GUINT64_TO_BE (fnv1a64 (data, len));
  memcpy (v + ulen + 1 + 16, &h, 8);

  sig->hash_algorithm = RELOAD_HASH_SHA256;
  sig->signature_algorithm = RELOAD_SIG_RSA;
  sig->identity.identity_type = RELOAD_SIGNER_IDENTITY_CERT_HASH;
  sig->identity.hash_alg = RELOAD_HASH_SHA256;
  /* a real cert_hash is SHA-256 of the certificate; here, the Node-ID */
  sig->identity.hash = (RwBytes){ v + ulen + 1, 16 };
  sig->signature_value = (RwBytes){ v, n };
}

static gboolean
test_verify (gpointer self, const guint8 *data, gsize len, const ReloadSignature *sig,
             const ReloadGenericCertificate *certs, guint n_certs, RwArena *arena,
             ReloadSignerInfo *signer)
{
  const guint8 *v = sig->signature_value.data;
  gsize n = sig->signature_value.len;
  const guint8 *nul = n > 0 ? memchr (v, 0, n) : NULL;
  if (nul == NULL)
    return FALSE;
  gsize ulen = (gsize) (nul - v);
  if (n != ulen + 1 + 16 + 8)
    return FALSE;
  guint64 h;
  memcpy (&h, v + ulen + 1 + 16, 8);
  if (GUINT64_FROM_BE (h) != fnv1a64 (data, len))
    return FALSE;
  char *user = rw_arena_alloc0 (arena, ulen + 1);
  ReloadNodeId *id = rw_arena_alloc0 (arena, sizeof (ReloadNodeId));
  if (user == NULL || id == NULL)
    return FALSE;
  memcpy (user, v, ulen);
  id->len = 16;
  memcpy (id->id, v + ulen + 1, 16);
  signer->user_name = user;
  signer->node_ids = id;
  signer->n_node_ids = 1;
  return TRUE;
}

static const ReloadSecurityOps test_ops = {
  .sign = test_sign,
  .verify = test_verify,
};

const ReloadSecurityOps *
reload_test_security_ops (void)
{
  return &test_ops;
}
