/* reload-message.c: the forwarding header (§6.3.2), message contents
 * (§6.3.3) and security block (§6.3.4) of a RELOAD message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-message.h"

#include "reload-body.h"
#include "reload-storage.h"

#include <string.h>

/* Decoded structures may take this many bytes per input byte (plus a
 * constant): the largest ratio is a list of 2-byte compressed destinations,
 * each a ~60-byte ReloadDestination.  Anything beyond is refused, so a
 * hostile message cannot make the decoder allocate without bound. */
#define DECODE_ARENA_PER_BYTE 40
#define DECODE_ARENA_BASE 4096

/* ---------------------------------------------------------------- header */

static const RwEnumName forwarding_option_names[] = {
  { 1, "exp-forward" }, /* §14.12 */
  { 0, NULL },
};

static void
visit_option (RwCodec *c, gpointer p)
{
  ReloadForwardingOption *o = p;
  rw_object_begin (c, NULL);
  rw_enum8 (c, "type", &o->type, forwarding_option_names);
  if (rw_ok (c) && o->type == 0)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type", "invalidForwardingOptionType (0)");
  /* §6.3.2.3: FORWARD_CRITICAL 0x01, DESTINATION_CRITICAL 0x02,
   * RESPONSE_COPY 0x04; the node acts on them, the codec keeps them. */
  rw_u8 (c, "flags", &o->flags);
  /* No option type carries a value this codec knows: all stay raw, so
   * unknown options survive forwarding untouched (§6.3.2.3). */
  rw_opaque (c, "value", 2, 0, &o->value);
  rw_object_end (c);
}

/* The fragment field (§6.3.2): high bit always set, then the last-fragment
 * bit, six reserved bits and a 24-bit offset.  JSON shows the parts. */
static void
visit_fragment_field (RwCodec *c, guint32 *fragment)
{
  switch (rw_mode (c))
    {
    case RW_DECODE:
      rw_u32 (c, "fragment", fragment);
      if (rw_ok (c) && (*fragment & RELOAD_FRAGMENT_HIGH_BIT) == 0)
        rw_fail (c, RELOAD_WIRE_ERROR_BAD_FRAGMENT, "fragment",
                 "0x%08x lacks the high bit that §6.3.2 requires", *fragment);
      break;
    case RW_ENCODE:
      rw_u32 (c, "fragment", fragment);
      break;
    case RW_TO_JSON:
    case RW_FROM_JSON:
      {
        gboolean last = (*fragment & RELOAD_FRAGMENT_LAST) != 0;
        guint32 offset = *fragment & RELOAD_FRAGMENT_OFFSET_MASK;
        guint8 reserved = (guint8) ((*fragment & RELOAD_FRAGMENT_RESERVED) >> 24);
        rw_object_begin (c, "fragment");
        rw_boolean (c, "last", &last);
        rw_u24 (c, "offset", &offset);
        /* Reserved bits "SHOULD be set to zero": shown only when not. */
        if (reserved != 0 || (rw_mode (c) == RW_FROM_JSON && rw_json_has (c, "reserved")))
          {
            rw_u8 (c, "reserved", &reserved);
            if (rw_ok (c) && reserved > 0x3f)
              rw_fail (c, RELOAD_WIRE_ERROR_JSON, "reserved", "only six bits");
          }
        rw_object_end (c);
        *fragment = RELOAD_FRAGMENT_HIGH_BIT | (last ? RELOAD_FRAGMENT_LAST : 0)
                    | ((guint32) reserved << 24) | offset;
      }
      break;
    }
}

static void
visit_header (RwCodec *c, ReloadForwardingHeader *h)
{
  rw_object_begin (c, "forwarding_header");

  guint32 token = RELOAD_TOKEN;
  if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_ENCODE)
    {
      rw_u32 (c, "relo_token", &token);
      if (rw_ok (c) && token != RELOAD_TOKEN)
        {
          rw_fail (c, RELOAD_WIRE_ERROR_BAD_TOKEN, "relo_token", "0x%08x is not 0xd2454c4f", token);
          rw_object_end (c);
          return;
        }
    }
  rw_u32 (c, "overlay", &h->overlay);
  rw_u16 (c, "configuration_sequence", &h->configuration_sequence);
  if (rw_mode (c) == RW_FROM_JSON && !rw_json_has (c, "version"))
    h->version = RELOAD_VERSION;
  else
    rw_u8 (c, "version", &h->version);
  /* §6.3.2: "Nodes MUST reject messages with other versions." */
  if (rw_ok (c) && h->version != RELOAD_VERSION && rw_mode (c) != RW_TO_JSON)
    rw_fail (c, RELOAD_WIRE_ERROR_BAD_VERSION, "version", "0x%02x is not version 1.0 (0x0a)",
             h->version);
  rw_u8 (c, "ttl", &h->ttl);
  visit_fragment_field (c, &h->fragment);

  /* The length counts the whole message (§6.3.2); the encoder writes a
   * placeholder that reload_message_encode_to() patches, JSON leaves it
   * out, the decoder checks it against the bytes it was given. */
  if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_ENCODE)
    {
      rw_u32 (c, "length", &h->length);
      if (rw_ok (c) && rw_mode (c) == RW_DECODE)
        {
          gsize total = rw_offset (c) + rw_remaining (c);
          if (h->length != total)
            {
              rw_fail (c, RELOAD_WIRE_ERROR_LENGTH, "length",
                       "says %u bytes but the message has %" G_GSIZE_FORMAT, h->length, total);
            }
        }
    }
  rw_u64_hex (c, "transaction_id", &h->transaction_id);
  rw_u32 (c, "max_response_length", &h->max_response_length);

  /* §6.3.2: the three list lengths (in bytes) precede the three lists. */
  RwBlock via, dest, opts;
  rw_block_reserve (c, "via_list_length", 2, &via);
  rw_block_reserve (c, "destination_list_length", 2, &dest);
  rw_block_reserve (c, "options_length", 2, &opts);
  rw_list_in_block (c, "via_list", &via, (gpointer *) &h->via_list, &h->n_via_list,
                    sizeof (ReloadDestination), reload_destination_elem);
  rw_list_in_block (c, "destination_list", &dest, (gpointer *) &h->destination_list,
                    &h->n_destination_list, sizeof (ReloadDestination), reload_destination_elem);
  rw_list_in_block (c, "options", &opts, (gpointer *) &h->options, &h->n_options,
                    sizeof (ReloadForwardingOption), visit_option);

  /* §6.3.2.2: a resource destination "MUST appear only in the final
   * location of a Destination List and MUST NOT appear in a Via List". */
  if (rw_ok (c) && rw_mode (c) == RW_DECODE)
    {
      for (guint i = 0; i < h->n_via_list; i++)
        if (h->via_list[i].type == RELOAD_DESTINATION_RESOURCE)
          rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "via_list",
                   "entry %u is a resource, which may not appear in a via list", i);
      for (guint i = 0; i + 1 < h->n_destination_list; i++)
        if (h->destination_list[i].type == RELOAD_DESTINATION_RESOURCE)
          rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "destination_list",
                   "entry %u is a resource but not the last entry", i);
    }
  rw_object_end (c);
}

/* ---------------------------------------------------------------- contents */

static const RwEnumName extension_names[] = {
  { 1, "exp-ext" }, /* §14.14 */
  { 0, NULL },
};

static void
visit_extension (RwCodec *c, gpointer p)
{
  ReloadMessageExtension *e = p;
  rw_object_begin (c, NULL);
  rw_enum16 (c, "type", &e->type, extension_names);
  rw_boolean (c, "critical", &e->critical);
  /* Unknown extensions are kept whole; the node answers
   * Error_Unknown_Extension for a critical one (§6.3.3). */
  rw_opaque (c, "extension_contents", 4, 0, &e->contents);
  rw_object_end (c);
}

static void
visit_kind_id_elem (RwCodec *c, gpointer p)
{
  rw_u32 (c, NULL, p);
}

static void
visit_error_response (RwCodec *c, gpointer p)
{
  ReloadErrorResponse *e = p;
  rw_enum16 (c, "error_code", &e->error_code, reload_error_code_names);
  if (rw_ok (c) && e->error_code == 0)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "error_code", "invalidErrorCode (0)");
  switch (e->error_code)
    {
    case RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW:
      {
        /* §7.4.1.2: "The error_info in the ErrorResponse MUST be a StoreAns
         * value that conveys the generation counter values..." */
        RwBlock b;
        rw_block_begin (c, "error_info", 2, 0, &b);
        if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_FROM_JSON)
          e->store_ans = rw_alloc (c, sizeof (ReloadStoreAns));
        else if (e->store_ans == NULL && rw_ok (c))
          rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "error_info",
                   "Error_Generation_Counter_Too_Low needs its StoreAns");
        if (rw_ok (c))
          {
            rw_object_begin (c, "error_info");
            reload_store_ans_body (c, e->store_ans);
            rw_object_end (c);
          }
        rw_block_end (c, &b);
      }
      break;
    case RELOAD_ERROR_UNKNOWN_KIND:
      {
        /* §7.4.1.2: "The error_info in the Error_Response is:
         * KindId unknown_kinds<0..2^8-1>;" */
        RwBlock b;
        rw_block_begin (c, "error_info", 2, 0, &b);
        rw_object_begin (c, "error_info");
        rw_list (c, "unknown_kinds", 1, 0, (gpointer *) &e->unknown_kinds, &e->n_unknown_kinds,
                 sizeof (guint32), 0, visit_kind_id_elem);
        rw_object_end (c);
        rw_block_end (c, &b);
      }
      break;
    default:
      /* §6.3.3.1: error_info is opaque, "may contain ... a human-readable
       * string": shown as text when it is UTF-8, as hex otherwise. */
      rw_text (c, "error_info", 2, 0, &e->error_info);
      break;
    }
}

static void
visit_body (RwCodec *c, ReloadMessage *m)
{
  const ReloadBodyType *type = NULL;
  RwVisitFunc visit = NULL;
  gsize size = 0;

  if (m->message_code == RELOAD_ERROR)
    {
      visit = visit_error_response;
      size = sizeof (ReloadErrorResponse);
    }
  else if ((type = reload_body_type_lookup (m->message_code)) != NULL)
    {
      visit = type->visit;
      size = type->size;
    }

  RwBlock b;
  rw_block_begin (c, "message_body", 4, 0, &b);
  if (visit == NULL)
    {
      /* A code this codec does not know: the body passes through as is. */
      rw_rest (c, "raw_body", &m->raw_body);
    }
  else
    {
      if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_FROM_JSON)
        m->body = rw_alloc (c, size);
      else if (m->body == NULL && rw_ok (c))
        rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "body", "missing");
      if (rw_ok (c))
        {
          rw_object_begin (c, "body");
          visit (c, m->body);
          rw_object_end (c);
        }
    }
  rw_block_end (c, &b);
}

static void
visit_contents (RwCodec *c, ReloadMessage *m)
{
  rw_enum16 (c, "message_code", &m->message_code, reload_message_code_names);
  /* §6.3.3: 0 is invalid, 0x8000..0xFFFE reserved. */
  if (rw_ok (c)
      && (m->message_code == 0 || (m->message_code >= 0x8000 && m->message_code != RELOAD_ERROR)))
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "message_code",
             "0x%04x is not a valid message code", m->message_code);
  visit_body (c, m);
  RW_LIST (c, "extensions", 4, m->extensions, m->n_extensions, visit_extension);
}

/* ---------------------------------------------------------------- security */

static const RwEnumName certificate_type_names[] = {
  { RELOAD_CERTIFICATE_X509, "x509" },
  { RELOAD_CERTIFICATE_OPENPGP, "openpgp" },
  { 0, NULL },
};

static const RwEnumName hash_names[] = {
  { 0, "none" },   { 1, "md5" },    { 2, "sha1" },   { 3, "sha224" },
  { 4, "sha256" }, { 5, "sha384" }, { 6, "sha512" }, { 0, NULL },
};

static const RwEnumName signature_names[] = {
  { 0, "anonymous" }, { 1, "rsa" }, { 2, "dsa" }, { 3, "ecdsa" }, { 0, NULL },
};

static const RwEnumName identity_type_names[] = {
  { RELOAD_SIGNER_IDENTITY_CERT_HASH, "cert_hash" },
  { RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID, "cert_hash_node_id" },
  { RELOAD_SIGNER_IDENTITY_NONE, "none" },
  { 0, NULL },
};

static void
visit_certificate (RwCodec *c, gpointer p)
{
  ReloadGenericCertificate *g = p;
  rw_object_begin (c, NULL);
  rw_enum8 (c, "type", &g->type, certificate_type_names);
  rw_opaque (c, "certificate", 2, 0, &g->certificate);
  rw_object_end (c);
}

void
reload_signer_identity (RwCodec *c, const char *name, ReloadSignerIdentity *v)
{
  rw_object_begin (c, name);
  rw_enum8 (c, "identity_type", &v->identity_type, identity_type_names);
  if (rw_ok (c) && v->identity_type == RELOAD_SIGNER_IDENTITY_INVALID)
    rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "identity_type", "invalidSignerIdentityType (0)");
  RwBlock b;
  rw_block_begin (c, "length", 2, 0, &b);
  switch (v->identity_type)
    {
    case RELOAD_SIGNER_IDENTITY_CERT_HASH:
      rw_enum8 (c, "hash_alg", &v->hash_alg, hash_names);
      rw_opaque (c, "certificate_hash", 1, 0, &v->hash);
      break;
    case RELOAD_SIGNER_IDENTITY_CERT_HASH_NODE_ID:
      rw_enum8 (c, "hash_alg", &v->hash_alg, hash_names);
      rw_opaque (c, "certificate_node_id_hash", 1, 0, &v->hash);
      break;
    case RELOAD_SIGNER_IDENTITY_NONE:
      /* empty (§6.3.4; used by storage, §7.4.1.1) */
      break;
    default:
      /* "This structure may be extended with new types if necessary":
       * the length lets the value be carried. */
      rw_rest (c, "identity", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
  rw_object_end (c);
}

void
reload_signature (RwCodec *c, const char *name, ReloadSignature *v)
{
  rw_object_begin (c, name);
  rw_object_begin (c, "algorithm");
  rw_enum8 (c, "hash", &v->hash_algorithm, hash_names);
  rw_enum8 (c, "signature", &v->signature_algorithm, signature_names);
  rw_object_end (c);
  reload_signer_identity (c, "identity", &v->identity);
  rw_opaque (c, "signature_value", 2, 0, &v->signature_value);
  rw_object_end (c);
}

static void
visit_security_block (RwCodec *c, ReloadSecurityBlock *s)
{
  rw_object_begin (c, "security_block");
  RW_LIST (c, "certificates", 2, s->certificates, s->n_certificates, visit_certificate);
  reload_signature (c, "signature", &s->signature);
  rw_object_end (c);
}

/* ---------------------------------------------------------------- message */

static gboolean
header_is_fragment (const ReloadForwardingHeader *h)
{
  return (h->fragment & ~RELOAD_FRAGMENT_RESERVED) != RELOAD_FRAGMENT_UNFRAGMENTED;
}

static void
visit_message (RwCodec *c, gpointer p)
{
  ReloadMessage *m = p;
  rw_object_begin (c, NULL);
  visit_header (c, &m->header);
  if (rw_mode (c) == RW_DECODE || rw_mode (c) == RW_FROM_JSON)
    m->is_fragment = header_is_fragment (&m->header);
  if (m->is_fragment)
    {
      /* §6.7: a fragment's payload is a slice of the original message's
       * contents and security block; only reassembly can decode it. */
      rw_rest (c, "fragment_data", &m->fragment_data);
    }
  else
    {
      visit_contents (c, m);
      visit_security_block (c, &m->security_block);
    }
  if (rw_ok (c) && rw_mode (c) == RW_DECODE && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, "security_block",
             "%" G_GSIZE_FORMAT " bytes left over after the security block", rw_remaining (c));
  rw_object_end (c);
}

ReloadMessage *
reload_message_new (void)
{
  ReloadMessage *m = g_new0 (ReloadMessage, 1);
  m->arena = rw_arena_new (0);
  m->header.version = RELOAD_VERSION;
  m->header.ttl = RELOAD_DEFAULT_TTL;
  m->header.fragment = RELOAD_FRAGMENT_UNFRAGMENTED;
  return m;
}

gpointer
reload_message_alloc (ReloadMessage *msg, gsize size)
{
  return rw_arena_alloc0 (msg->arena, size);
}

void
reload_message_free (ReloadMessage *msg)
{
  if (msg == NULL)
    return;
  rw_arena_free (msg->arena);
  g_clear_pointer (&msg->input, g_bytes_unref);
  g_free (msg);
}

ReloadMessage *
reload_message_decode (GBytes *bytes, const RwOptions *options, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  if (options != NULL && options->max_message_size != 0 && len > options->max_message_size)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE,
                   "message at offset 0: %" G_GSIZE_FORMAT
                   " bytes exceed max-message-size %" G_GSIZE_FORMAT,
                   len, options->max_message_size);
      return NULL;
    }
  g_autoptr (ReloadMessage) m = g_new0 (ReloadMessage, 1);
  m->arena = rw_arena_new (DECODE_ARENA_BASE + DECODE_ARENA_PER_BYTE * len);
  m->input = g_bytes_ref (bytes);
  RwCodec *c = rw_codec_new_decoder (data, len, m->arena, options);
  visit_message (c, m);
  if (!rw_codec_finish (c, error))
    return NULL;
  return g_steal_pointer (&m);
}

gboolean
reload_message_encode_to (const ReloadMessage *msg, const RwOptions *options, GByteArray *out,
                          GError **error)
{
  gsize start = out->len;
  RwCodec *c = rw_codec_new_encoder (out, options);
  visit_message (c, (gpointer) msg);
  if (!rw_codec_finish (c, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  gsize total = out->len - start;
  if (total > G_MAXUINT32
      || (options != NULL && options->max_message_size != 0 && total > options->max_message_size))
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE,
                   "message: %" G_GSIZE_FORMAT " bytes exceed max-message-size", total);
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  /* The length field sits 16 bytes into the header (§6.3.2: token 4,
   * overlay 4, configuration_sequence 2, version 1, ttl 1, fragment 4). */
  guint32 be = GUINT32_TO_BE ((guint32) total);
  memcpy (out->data + start + RELOAD_HEADER_LENGTH_OFFSET, &be, 4);
  return TRUE;
}

GBytes *
reload_message_encode (const ReloadMessage *msg, const RwOptions *options, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  if (!reload_message_encode_to (msg, options, out, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

JsonNode *
reload_message_to_json (const ReloadMessage *msg, const RwOptions *options, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  RwCodec *c = rw_codec_new_json_writer (b, options);
  visit_message (c, (gpointer) msg);
  if (!rw_codec_finish (c, error))
    return NULL;
  return json_builder_get_root (b);
}

ReloadMessage *
reload_message_from_json (JsonNode *node, const RwOptions *options, GError **error)
{
  g_autoptr (ReloadMessage) m = reload_message_new ();
  RwCodec *c = rw_codec_new_json_reader (node, m->arena, options);
  visit_message (c, m);
  if (!rw_codec_finish (c, error))
    return NULL;
  return g_steal_pointer (&m);
}

gsize
reload_forwarding_header_decode (const guint8 *data, gsize len, const RwOptions *options,
                                 RwArena *arena, ReloadForwardingHeader *out, GError **error)
{
  memset (out, 0, sizeof *out);
  RwCodec *c = rw_codec_new_decoder (data, len, arena, options);
  rw_object_begin (c, NULL);
  visit_header (c, out);
  rw_object_end (c);
  gsize size = rw_offset (c);
  if (!rw_codec_finish (c, error))
    return 0;
  return size;
}

gboolean
reload_message_reframe (const ReloadForwardingHeader *header, const guint8 *payload,
                        gsize payload_len, const RwOptions *options, GByteArray *out,
                        GError **error)
{
  gsize start = out->len;
  RwCodec *c = rw_codec_new_encoder (out, options);
  rw_object_begin (c, NULL);
  visit_header (c, (ReloadForwardingHeader *) header);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    {
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  g_byte_array_append (out, payload, (guint) payload_len);
  gsize total = out->len - start;
  if (total > G_MAXUINT32)
    {
      g_set_error (error, RELOAD_WIRE_ERROR, RELOAD_WIRE_ERROR_TOO_LARGE, "message too large");
      g_byte_array_set_size (out, start);
      return FALSE;
    }
  guint32 be = GUINT32_TO_BE ((guint32) total);
  memcpy (out->data + start + RELOAD_HEADER_LENGTH_OFFSET, &be, 4);
  return TRUE;
}

guint32
reload_overlay_hash (const char *overlay_name)
{
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, (const guchar *) overlay_name, strlen (overlay_name));
  g_checksum_get_digest (sha1, digest, &digest_len);
  /* "the lower 32 bits of the SHA-1 hash": its last four bytes. */
  return (guint32) digest[16] << 24 | (guint32) digest[17] << 16 | (guint32) digest[18] << 8
         | digest[19];
}

GBytes *
reload_message_signature_input (const ReloadMessage *msg, const RwOptions *options, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint32 overlay = GUINT32_TO_BE (msg->header.overlay);
  guint64 tid = GUINT64_TO_BE (msg->header.transaction_id);
  g_byte_array_append (out, (const guint8 *) &overlay, 4);
  g_byte_array_append (out, (const guint8 *) &tid, 8);
  RwCodec *c = rw_codec_new_encoder (out, options);
  rw_object_begin (c, NULL);
  visit_contents (c, (ReloadMessage *) msg);
  reload_signer_identity (c, NULL,
                          (ReloadSignerIdentity *) &msg->security_block.signature.identity);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
