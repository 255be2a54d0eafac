/* chorus-pinned-database.c: trust by fingerprint (see the header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-pinned-database.h"

#include <string.h>

struct _ChorusPinnedDatabase
{
  GTlsDatabase parent_instance;
  guint8 fingerprint[32];
  GMutex lock; /* verify_chain runs in GIO's TLS handshake thread */
  guint8 seen[32];
  gboolean have_seen;
};

G_DEFINE_FINAL_TYPE (ChorusPinnedDatabase, chorus_pinned_database, G_TYPE_TLS_DATABASE)

gboolean
chorus_tls_certificate_fingerprint (GTlsCertificate *cert, guint8 out[32])
{
  g_autoptr (GByteArray) der = NULL;
  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return FALSE;
  gsize len = 32;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, der->data, der->len);
  g_checksum_get_digest (sum, out, &len);
  return len == 32;
}

static GTlsCertificateFlags
verify_chain (GTlsDatabase *db, GTlsCertificate *chain, const gchar *purpose,
              GSocketConnectable *identity, GTlsInteraction *interaction,
              GTlsDatabaseVerifyFlags flags, GCancellable *cancellable, GError **error)
{
  ChorusPinnedDatabase *self = CHORUS_PINNED_DATABASE (db);
  guint8 fp[32];
  if (!chorus_tls_certificate_fingerprint (chain, fp))
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  g_mutex_lock (&self->lock);
  memcpy (self->seen, fp, 32);
  self->have_seen = TRUE;
  g_mutex_unlock (&self->lock);
  /* the pin is the whole trust decision: no name check, since the link
   * may name the server by an address its certificate does not hold */
  return memcmp (fp, self->fingerprint, 32) == 0 ? 0 : G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static GTlsCertificate *
lookup_issuer (GTlsDatabase *db, GTlsCertificate *certificate, GTlsInteraction *interaction,
               GTlsDatabaseLookupFlags flags, GCancellable *cancellable, GError **error)
{
  return NULL;
}

static GList *
lookup_issued_by (GTlsDatabase *db, GByteArray *issuer_raw_dn, GTlsInteraction *interaction,
                  GTlsDatabaseLookupFlags flags, GCancellable *cancellable, GError **error)
{
  return NULL;
}

static gchar *
create_handle (GTlsDatabase *db, GTlsCertificate *certificate)
{
  return NULL;
}

static GTlsCertificate *
lookup_for_handle (GTlsDatabase *db, const gchar *handle, GTlsInteraction *interaction,
                   GTlsDatabaseLookupFlags flags, GCancellable *cancellable, GError **error)
{
  return NULL;
}

static void
chorus_pinned_database_finalize (GObject *object)
{
  g_mutex_clear (&CHORUS_PINNED_DATABASE (object)->lock);
  G_OBJECT_CLASS (chorus_pinned_database_parent_class)->finalize (object);
}

static void
chorus_pinned_database_class_init (ChorusPinnedDatabaseClass *klass)
{
  GTlsDatabaseClass *db_class = G_TLS_DATABASE_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = chorus_pinned_database_finalize;
  db_class->verify_chain = verify_chain;
  db_class->lookup_certificate_issuer = lookup_issuer;
  db_class->lookup_certificates_issued_by = lookup_issued_by;
  db_class->create_certificate_handle = create_handle;
  db_class->lookup_certificate_for_handle = lookup_for_handle;
}

static void
chorus_pinned_database_init (ChorusPinnedDatabase *self)
{
  g_mutex_init (&self->lock);
}

GTlsDatabase *
chorus_pinned_database_new (const guint8 fingerprint[32])
{
  ChorusPinnedDatabase *self = g_object_new (CHORUS_TYPE_PINNED_DATABASE, NULL);
  memcpy (self->fingerprint, fingerprint, 32);
  return G_TLS_DATABASE (self);
}

gboolean
chorus_pinned_database_get_seen (ChorusPinnedDatabase *self, guint8 out[32])
{
  g_mutex_lock (&self->lock);
  gboolean have = self->have_seen;
  if (have)
    memcpy (out, self->seen, 32);
  g_mutex_unlock (&self->lock);
  return have;
}
