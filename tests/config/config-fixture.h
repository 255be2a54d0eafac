/* config-fixture.h: what the configuration tests share: an overlay CA, a
 * foreign CA, signers (alice ECDSA, bob RSA, mallory from the foreign CA),
 * documents and helpers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-config.h"
#include "reload-config-private.h" /* reload_config_sign_bytes, to forge */
#include "reload-x509-signer.h"

#include <glib/gstdio.h>
#include <string.h>

#define OVERLAY "chorus.example"
#define NS_BASE RELOAD_CONFIG_NS_BASE
#define DOC_START                                                         \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<overlay xmlns=\"" NS_BASE \
  "\" xmlns:chord=\"" RELOAD_CONFIG_NS_CHORD "\" xmlns:ext=\"urn:example:ext\">\n"
#define DOC_END "</overlay>\n"

extern ReloadCert *ca, *foreign_ca;
extern ReloadKey *ca_key, *foreign_ca_key;
extern ReloadKey *alice_key;
extern ReloadKey *bob_key;
extern ReloadCert *alice_cert, *bob_cert, *mallory_cert;
extern ReloadNodeId alice_id, bob_id;
extern char *alice_hex, *bob_hex;

ReloadNodeId node_id (guint8 fill);
ReloadX509Signer *signer (ReloadCert *root, ReloadCert *cert, const ReloadKey *key);
char *replace_once (const char *s, const char *old, const char *new);
ReloadConfig *parse_ok (const char *xml);
void assert_parse_fails (const char *xml, gsize len, gint code);
void assert_parse_fails_str (const char *xml, gint code);
char *doc_with (const char *attrs, const char *body);
char *rfc_example (void);
char *rfc_example_supported (void);
ReloadConfigKind *kind (const char *name, guint32 id, ReloadDataModel model,
                        ReloadAccessPolicy policy, guint32 max_count, guint32 max_size,
                        guint32 max_node_multiple);
ReloadConfig *full_config (void);

/* Makes the CAs, keys and certificates (once per test program). */
void config_fixture_init (void);
void config_fixture_clear (void);
