/* reload-message.h: a whole RELOAD message (RFC 6940 §6.3): forwarding
 * header, message contents, security block.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

#define RELOAD_TOKEN 0xd2454c4fu /* §6.3.2: "RELO" with the high bit set */
#define RELOAD_VERSION 0x0a      /* §6.3.2: version 1.0 times 10 */
#define RELOAD_HEADER_FIXED_SIZE 38
#define RELOAD_HEADER_LENGTH_OFFSET 16
#define RELOAD_FRAGMENT_HIGH_BIT 0x80000000u
#define RELOAD_FRAGMENT_LAST 0x40000000u
#define RELOAD_FRAGMENT_RESERVED 0x3f000000u
#define RELOAD_FRAGMENT_OFFSET_MASK 0x00ffffffu
#define RELOAD_FRAGMENT_UNFRAGMENTED (RELOAD_FRAGMENT_HIGH_BIT | RELOAD_FRAGMENT_LAST)
#define RELOAD_DEFAULT_TTL 100 /* §6.3.2 */

/* §6.3.2.3 forwarding option flags. */
#define RELOAD_FORWARD_CRITICAL 0x01
#define RELOAD_DESTINATION_CRITICAL 0x02
#define RELOAD_RESPONSE_COPY 0x04

typedef struct
{
  guint8 type;
  guint8 flags;
  RwBytes value; /* no option type is defined beyond exp-forward: kept raw */
} ReloadForwardingOption;

typedef struct
{
  guint32 overlay;
  guint16 configuration_sequence;
  guint8 version;
  guint8 ttl;
  guint32 fragment;
  guint32 length;
  guint64 transaction_id;
  guint32 max_response_length;
  ReloadDestination *via_list;
  guint n_via_list;
  ReloadDestination *destination_list;
  guint n_destination_list;
  ReloadForwardingOption *options;
  guint n_options;
} ReloadForwardingHeader;

typedef struct
{
  guint16 type;
  gboolean critical;
  RwBytes contents;
} ReloadMessageExtension;

/* §6.3.3.1 */
typedef struct _ReloadStoreAns ReloadStoreAns;

typedef struct
{
  guint16 error_code;
  RwBytes error_info;        /* every code but the two below */
  ReloadStoreAns *store_ans; /* Error_Generation_Counter_Too_Low (§7.4.1.2) */
  guint32 *unknown_kinds;    /* Error_Unknown_Kind (§7.4.1.2) */
  guint n_unknown_kinds;
} ReloadErrorResponse;

/* §6.3.4 */
enum
{
  RELOAD_CERTIFICATE_X509 = 0, /* RFC 6091 CertificateType */
  RELOAD_CERTIFICATE_OPENPGP = 1,
};

typedef struct
{
  guint8 type;
  RwBytes certificate;
} ReloadGenericCertificate;

enum
{
  RELOAD_SIGNER_IDENTITY_INVALID = 0,
  RELOAD_SIGNER_IDENTITY_CERT_HASH = 1,
  RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID = 2,
  RELOAD_SIGNER_IDENTITY_NONE = 3,
};

/* TLS HashAlgorithm and SignatureAlgorithm (RFC 5246 §7.4.1.4.1). */
enum
{
  RELOAD_HASH_NONE = 0,
  RELOAD_HASH_SHA1 = 2,
  RELOAD_HASH_SHA256 = 4,
  RELOAD_SIG_ANONYMOUS = 0,
  RELOAD_SIG_RSA = 1,
  RELOAD_SIG_ECDSA = 3,
};

typedef struct
{
  guint8 identity_type;
  guint8 hash_alg; /* cert_hash, cert_hash_node_id */
  RwBytes hash;    /* certificate_hash or certificate_node_id_hash */
  RwBytes unknown; /* value of an unknown identity type */
} ReloadSignerIdentity;

typedef struct
{
  guint8 hash_algorithm;
  guint8 signature_algorithm;
  ReloadSignerIdentity identity;
  RwBytes signature_value;
} ReloadSignature;

typedef struct
{
  ReloadGenericCertificate *certificates;
  guint n_certificates;
  ReloadSignature signature;
} ReloadSecurityBlock;

void reload_signature (RwCodec *c, const char *name, ReloadSignature *v);
void reload_signer_identity (RwCodec *c, const char *name, ReloadSignerIdentity *v);

typedef struct
{
  ReloadForwardingHeader header;
  /* Set when the header says this is a fragment of a larger message
   * (§6.7): only the header and fragment_data are then meaningful. */
  gboolean is_fragment;
  RwBytes fragment_data;

  guint16 message_code;
  gpointer body;    /* the structure reload_body_type_lookup() names */
  RwBytes raw_body; /* the body of a message code this codec does not know */
  ReloadMessageExtension *extensions;
  guint n_extensions;
  ReloadSecurityBlock security_block;

  /* private */
  RwArena *arena;
  GBytes *input;
} ReloadMessage;

/* Decodes one whole message (a fragment, too, as such).  Strict: a wrong
 * token or version, a fragment field without its high bit, a length that
 * disagrees with the data, an invalid select, bytes after the security
 * block: each fails with a GError naming the field and the offset. */
ReloadMessage *reload_message_decode (GBytes *bytes, const RwOptions *options, GError **error);
GBytes *reload_message_encode (const ReloadMessage *msg, const RwOptions *options, GError **error);
/* Encodes into @out (appending); the header's length field is computed. */
gboolean reload_message_encode_to (const ReloadMessage *msg, const RwOptions *options,
                                   GByteArray *out, GError **error);
JsonNode *reload_message_to_json (const ReloadMessage *msg, const RwOptions *options,
                                  GError **error);
ReloadMessage *reload_message_from_json (JsonNode *node, const RwOptions *options, GError **error);
/* An empty message whose structures the caller fills from its arena. */
ReloadMessage *reload_message_new (void);
gpointer reload_message_alloc (ReloadMessage *msg, gsize size);
void reload_message_free (ReloadMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadMessage, reload_message_free)

/* The forwarding-only parse of a forwarding peer (§6.1): the header with
 * its via list, destination list and options, nothing of the contents.
 * Decoded structures go to @arena.  Returns the header's size. */
gsize reload_forwarding_header_decode (const guint8 *data, gsize len, const RwOptions *options,
                                       RwArena *arena, ReloadForwardingHeader *out, GError **error);

/* A forwarding peer's re-encoding (§6.1.2): @header (via list, destination
 * list, TTL changed) followed by @payload, the original message's bytes
 * after its header (contents and security block, signed by the origin and
 * passed on untouched).  Appends to @out; the length field is computed. */
gboolean reload_message_reframe (const ReloadForwardingHeader *header, const guint8 *payload,
                                 gsize payload_len, const RwOptions *options, GByteArray *out,
                                 GError **error);

/* §6.3.2: the overlay field is the low 32 bits of SHA-1(overlay name). */
guint32 reload_overlay_hash (const char *overlay_name);

/* The bytes a message signature covers (§6.3.4):
 * overlay || transaction_id || MessageContents || SignerIdentity. */
GBytes *reload_message_signature_input (const ReloadMessage *msg, const RwOptions *options,
                                        GError **error);

G_END_DECLS
