/* chorus-adapter-users.h: the users of the adapter peer for plain SIP
 * phones (RFC 7890 §3, a proxy peer), and what it needs to register them
 * in the overlay.
 *
 * The users file (`chorus-peer run --sip-adapter-users FILE`) has one user
 * per line, `USER:PASSWORD`: the phone registers as sip:USER@OVERLAY and
 * authenticates with PASSWORD (SIP digest, RFC 3261 §22).  Empty lines and
 * lines starting with '#' are skipped; USER is a SIP user part (RFC 3261
 * §25.1 unreserved and user-unreserved characters), PASSWORD anything up
 * to the end of the line but a colon-free USER; the file is refused when
 * it is readable by others than its owner (it holds passwords).
 *
 * The overlay lets only a user store at H(its AOR) (RFC 7904 §3.2,
 * USER-NODE-MATCH: the signer's certificate names the user, and the
 * dictionary key is a Node-ID of that certificate; RFC 6940 §7.3: the
 * StoreReq itself is signed by such a credential too, and §6.3.4: the
 * sending node's Node-ID is in it).  So the adapter holds a certificate of
 * each of its users, issued by the overlay's CA for the adapter's own
 * Node-ID, in PROFILE/sip-adapter/USER/ (cert.pem, key.pem, ca.pem:
 * `chorus-enroll issue --dir CA --user USER@OVERLAY --node-id-of PROFILE
 * --out PROFILE/sip-adapter/USER`), and signs the user's registration and
 * its Store with it: the entry is keyed by the adapter's Node-ID, and its
 * destination list leads to the adapter (the route form, RFC 7904 §3.1),
 * so a caller AppAttaches to the adapter, which takes the call to the
 * phone.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-credentials.h"
#include "reload-x509-signer.h"

G_BEGIN_DECLS

/* Users in one file, at most. */
#define CHORUS_ADAPTER_MAX_USERS 10000
/* The directory of the users' credentials in the adapter's profile. */
#define CHORUS_ADAPTER_USERS_DIR "sip-adapter"

typedef struct
{
  char *user;     /* the user part: "bob" */
  char *aor;      /* "sip:bob@OVERLAY" */
  char *password; /* for digest authentication */
  ReloadCredentials *creds;
  ReloadCertIdentity *identity; /* of creds->cert: bob@OVERLAY */
  ReloadX509Signer *signer;     /* signs the user's registration */
} ChorusAdapterUser;

typedef struct _ChorusAdapterUsers ChorusAdapterUsers;

/* Reads @users_file and, for each user, PROFILE/sip-adapter/USER/: every
 * user must have a certificate of @overlay's CA (@ca) naming
 * USER@@overlay and holding @adapter, the adapter's Node-ID.  Fails naming
 * the first problem (with the command that fixes a missing certificate). */
ChorusAdapterUsers *chorus_adapter_users_load (const char *users_file, const char *profile_dir,
                                               ReloadCert *ca, const char *overlay,
                                               const ReloadNodeId *adapter, GError **error);
void chorus_adapter_users_free (ChorusAdapterUsers *users);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChorusAdapterUsers, chorus_adapter_users_free)

/* The user of that user part, or NULL. */
const ChorusAdapterUser *chorus_adapter_users_lookup (ChorusAdapterUsers *users, const char *user);
guint chorus_adapter_users_count (ChorusAdapterUsers *users);
const ChorusAdapterUser *chorus_adapter_users_get (ChorusAdapterUsers *users, guint index);

G_END_DECLS
