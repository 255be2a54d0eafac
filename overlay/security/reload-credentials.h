/* reload-credentials.h: X.509 identities of a RELOAD overlay (RFC 6940
 * §11.3, §13.3): the overlay's root CA, peer certificates that carry the
 * peer's Node-IDs and user name in subjectAltName, and their keys.
 *
 * A peer certificate, as this module issues and reads it:
 *   - an empty subject DN (§11.3) and a critical subjectAltName holding
 *   - one uniformResourceIdentifier per Node-ID,
 *     "reload://<node id in lower-case hex>@<overlay>/", and
 *   - exactly one rfc822Name, the user name;
 *   - signed by the overlay's root CA with SHA-256.
 *
 * Ownership: ReloadCert is immutable and reference-counted
 * (reload_cert_ref/unref); ReloadKey, ReloadCertIdentity and
 * ReloadCredentials have a single owner and a _free function.  Every
 * function that returns a new object transfers it to the caller; every
 * "const" argument is borrowed.  All have g_autoptr cleanups.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "reload-common.h"

G_BEGIN_DECLS

#define RELOAD_CREDENTIALS_ERROR (reload_credentials_error_quark ())
GQuark reload_credentials_error_quark (void);

typedef enum
{
  RELOAD_CREDENTIALS_ERROR_FAILED,      /* anything else */
  RELOAD_CREDENTIALS_ERROR_CRYPTO,      /* GnuTLS failed (key generation, signing) */
  RELOAD_CREDENTIALS_ERROR_PARSE,       /* not a certificate / key in PEM or DER */
  RELOAD_CREDENTIALS_ERROR_INVALID,     /* well-formed but not a RELOAD identity */
  RELOAD_CREDENTIALS_ERROR_NOT_TRUSTED, /* does not chain to the root, expired */
  RELOAD_CREDENTIALS_ERROR_MISMATCH,    /* a key that is not the certificate's */
  RELOAD_CREDENTIALS_ERROR_IO,          /* reading or writing a profile directory */
} ReloadCredentialsError;

typedef enum
{
  RELOAD_KEY_ECDSA_P256 = 0, /* the default */
  RELOAD_KEY_RSA_2048 = 1,
} ReloadKeyType;

/* Default validity of new certificates, in days. */
#define RELOAD_CREDENTIALS_DEFAULT_DAYS 365

/* ---- private keys ---- */

typedef struct _ReloadKey ReloadKey;

ReloadKey *reload_key_generate (ReloadKeyType type, GError **error);
/* PKCS#8 (unencrypted) or a legacy RSA/EC key, PEM or DER (detected). */
ReloadKey *reload_key_new_from_data (const guint8 *data, gsize len, GError **error);
ReloadKey *reload_key_copy (const ReloadKey *key);
void reload_key_free (ReloadKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadKey, reload_key_free)

ReloadKeyType reload_key_get_key_type (const ReloadKey *key);
/* The GnuTLS key, owned by @key (for the TLS layer). */
gnutls_x509_privkey_t reload_key_get_x509 (const ReloadKey *key);
/* Unencrypted PKCS#8. */
GBytes *reload_key_export_der (const ReloadKey *key, GError **error);
char *reload_key_export_pem (const ReloadKey *key, GError **error);

/* ---- certificates ---- */

typedef struct _ReloadCert ReloadCert;

/* PEM (the first certificate of the text) or DER (detected). */
ReloadCert *reload_cert_new_from_data (const guint8 *data, gsize len, GError **error);
ReloadCert *reload_cert_new_from_der (GBytes *der, GError **error);
ReloadCert *reload_cert_ref (ReloadCert *cert);
void reload_cert_unref (ReloadCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadCert, reload_cert_unref)

/* The DER encoding, as it was read or issued (what cert_hash covers). */
GBytes *reload_cert_get_der (const ReloadCert *cert);
char *reload_cert_export_pem (const ReloadCert *cert, GError **error);
/* The parsed certificate, owned by @cert: do not modify it. */
gnutls_x509_crt_t reload_cert_get_x509 (const ReloadCert *cert);
/* SHA-256 of the DER: the certificate_hash of a cert_hash SignerIdentity
 * (§6.3.4). */
void reload_cert_get_sha256 (const ReloadCert *cert, guint8 out[32]);
/* The public key's algorithm as a key type: RSA (any size) is
 * RELOAD_KEY_RSA_2048, ECDSA (any curve) RELOAD_KEY_ECDSA_P256; FALSE for
 * other algorithms. */
gboolean reload_cert_get_key_type (const ReloadCert *cert, ReloadKeyType *out);
/* TRUE when @key is the private key of @cert's public key. */
gboolean reload_cert_matches_key (const ReloadCert *cert, const ReloadKey *key);

/* Whether @cert is issued by @root (or is @root) and valid now, through a
 * gnutls trust list holding @root alone. */
gboolean reload_cert_verify (const ReloadCert *cert, const ReloadCert *root, GError **error);

/* ---- the identity a peer certificate carries ---- */

typedef struct
{
  char *user_name;    /* the rfc822Name */
  char *overlay_name; /* the overlay of the reload:// URIs */
  ReloadNodeId *node_ids;
  guint n_node_ids; /* at least 1 */
} ReloadCertIdentity;

/* Reads the subjectAltName of a peer certificate.  Fails (INVALID) unless
 * it holds exactly one rfc822Name and one or more reload:// URIs of one
 * overlay with 16- to 20-byte Node-IDs, and nothing else. */
ReloadCertIdentity *reload_cert_get_identity (const ReloadCert *cert, GError **error);
void reload_cert_identity_free (ReloadCertIdentity *id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadCertIdentity, reload_cert_identity_free)

/* ---- names ---- */

/* A user name a certificate may carry (§11.3: an rfc822Name of printable
 * ASCII, no space, at most 255 bytes). */
gboolean reload_credentials_user_name_valid (const char *name);
/* An overlay name (an RFC 3986 reg-name of at most 255 bytes). */
gboolean reload_credentials_overlay_name_valid (const char *name);

/* ---- issuing ---- */

/* A self-signed root CA for @overlay_name (CN "<overlay> RELOAD root CA",
 * CA:TRUE with path length 0, keyCertSign|cRLSign), valid @days days
 * (0: the default).  The new key is returned in @out_key. */
ReloadCert *reload_credentials_create_root_ca (const char *overlay_name, ReloadKeyType type,
                                               guint days, ReloadKey **out_key, GError **error);

/* A peer certificate for @peer_key's public key, issued by @ca with
 * @ca_key, carrying @user_name and @n_node_ids Node-IDs (16 to 20 bytes
 * each) of @overlay_name, valid @days days (0: the default).  The user
 * name must be printable ASCII with no space (an rfc822Name, §11.3); the
 * overlay name a URI reg-name. */
ReloadCert *reload_credentials_issue_peer (const ReloadCert *ca, const ReloadKey *ca_key,
                                           const ReloadKey *peer_key, const char *user_name,
                                           const char *overlay_name, const ReloadNodeId *node_ids,
                                           guint n_node_ids, guint days, GError **error);

/* The same for a public key (from a certificate signing request, §11.3). */
ReloadCert *reload_credentials_issue_peer_pubkey (const ReloadCert *ca, const ReloadKey *ca_key,
                                                  gnutls_pubkey_t peer_key, const char *user_name,
                                                  const char *overlay_name,
                                                  const ReloadNodeId *node_ids, guint n_node_ids,
                                                  guint days, GError **error);

/* A TLS server certificate for @server_key issued by @ca: CN the first of
 * @names, and every name in subjectAltName (iPAddress for an address
 * literal, dNSName otherwise), for the enrollment and configuration
 * server (§11.2, §11.3: "The server certificate MUST match the overlay
 * name as described in [RFC2818]"). */
ReloadCert *reload_credentials_issue_server (const ReloadCert *ca, const ReloadKey *ca_key,
                                             const ReloadKey *server_key, const char *const *names,
                                             guint days, GError **error);

/* ---- a profile directory ---- */

#define RELOAD_CREDENTIALS_CA_FILE "ca.pem"
#define RELOAD_CREDENTIALS_CA_KEY_FILE "ca-key.pem"
#define RELOAD_CREDENTIALS_CERT_FILE "cert.pem"
#define RELOAD_CREDENTIALS_KEY_FILE "key.pem"

/* What a node keeps: the overlay's root, its own certificate and key and,
 * on the machine that runs the CA, the CA's key.  Every member is owned
 * by the struct (reload_credentials_free drops them); only @ca is
 * mandatory, @cert and @key go together. */
typedef struct
{
  ReloadCert *ca;
  ReloadKey *ca_key; /* nullable */
  ReloadCert *cert;  /* nullable */
  ReloadKey *key;    /* nullable */
} ReloadCredentials;

ReloadCredentials *reload_credentials_new (void);
void reload_credentials_free (ReloadCredentials *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadCredentials, reload_credentials_free)

/* Writes the members that are set as PEM files in @dir (created, mode
 * 0700, if missing); key files get mode 0600.  Files of unset members are
 * left alone. */
gboolean reload_credentials_save (const ReloadCredentials *creds, const char *dir, GError **error);
/* Reads @dir: ca.pem must exist, ca-key.pem may, cert.pem and key.pem
 * both or neither.  Checks that each key is its certificate's and that
 * cert.pem is issued by ca.pem and valid now. */
ReloadCredentials *reload_credentials_load (const char *dir, GError **error);

G_END_DECLS
