/* chorus-pinned-database.h: a GTlsDatabase that trusts exactly one
 * certificate, named by its SHA-256 fingerprint: how a device with an
 * invitation link trusts the enrollment server before it knows anything
 * else about the overlay.  It trusts nothing else, not even the system's
 * CAs: a publicly trusted certificate for the same host is still refused,
 * since it is not the one the link names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CHORUS_TYPE_PINNED_DATABASE (chorus_pinned_database_get_type ())
G_DECLARE_FINAL_TYPE (ChorusPinnedDatabase, chorus_pinned_database, CHORUS, PINNED_DATABASE,
                      GTlsDatabase)

GTlsDatabase *chorus_pinned_database_new (const guint8 fingerprint[32]);
/* The fingerprint of the last certificate it was asked about (what a
 * refused server presented); FALSE when none. */
gboolean chorus_pinned_database_get_seen (ChorusPinnedDatabase *self, guint8 out[32]);

/* The SHA-256 of @cert's DER: what invitation links carry. */
gboolean chorus_tls_certificate_fingerprint (GTlsCertificate *cert, guint8 out[32]);

G_END_DECLS
