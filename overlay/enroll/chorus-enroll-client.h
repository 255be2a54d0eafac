/* chorus-enroll-client.h: joining an overlay with an invitation link
 * (`chorus-peer join`, and the app's "Join with an invitation"): fetch
 * the configuration (RFC 6940 §11.2) from the server the link pins, make
 * a key and a certificate request, enroll (§11.3), check the certificate
 * and write the profile.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char *user;        /* the certificate's user name */
  char *overlay;     /* the overlay's name */
  char *node_id_hex; /* the first Node-ID */
  char *profile_dir;
  guint16 configuration_sequence;
} ChorusEnrollResult;

void chorus_enroll_result_free (ChorusEnrollResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusEnrollResult, chorus_enroll_result_free)

/* Joins with @link into @profile_dir (created; must not hold a
 * certificate yet).  Errors are CHORUS_ENROLL_ERROR with a message meant
 * for the user.  The callback runs on the thread-default main context of
 * the caller. */
void chorus_enroll_join_async (const char *link, const char *profile_dir, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
ChorusEnrollResult *chorus_enroll_join_finish (GAsyncResult *result, GError **error);

G_END_DECLS
