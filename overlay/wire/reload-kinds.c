/* reload-kinds.c: values of the built-in kinds (RFC 6940 §8, §9; RFC 7904
 * §3.1; RFC 7374 §4.1).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-kinds.h"

const RwEnumName reload_sip_registration_type_names[] = {
  { RELOAD_SIP_REGISTRATION_URI, "sip_registration_uri" },
  { RELOAD_SIP_REGISTRATION_ROUTE, "sip_registration_route" },
  { 0, NULL },
};

gboolean
reload_kind_is_typed (guint32 kind_id)
{
  return reload_kind_name (kind_id) != NULL;
}

const char *
reload_kind_name (guint32 kind_id)
{
  switch (kind_id)
    {
    case RELOAD_KIND_SIP_REGISTRATION:
      return "SIP-REGISTRATION";
    case RELOAD_KIND_TURN_SERVICE:
      return "TURN-SERVICE";
    case RELOAD_KIND_CERTIFICATE_BY_NODE:
      return "CERTIFICATE_BY_NODE";
    case RELOAD_KIND_CERTIFICATE_BY_USER:
      return "CERTIFICATE_BY_USER";
    case RELOAD_KIND_REDIR:
      return "REDIR";
    default:
      return NULL;
    }
}

/* ---------------------------------------------------------------- SIP */

void
reload_sip_registration_fields (RwCodec *c, gpointer p)
{
  ReloadSipRegistration *v = p;
  rw_enum8 (c, "type", &v->type, reload_sip_registration_type_names);
  /* RFC 7904 §3.1 defines types 1 and 2 and no 0: a zero is a broken
   * value, not an extension. */
  if (rw_ok (c) && v->type == 0)
    {
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, "type",
               "SipRegistrationType 0 is not defined (RFC 7904 §3.1)");
      return;
    }
  /* The length covers the select, so that a type defined later can be
   * carried by a node that does not know it. */
  RwBlock b;
  rw_block_begin (c, NULL, 2, 0, &b);
  switch (v->type)
    {
    case RELOAD_SIP_REGISTRATION_URI:
      rw_text (c, "uri", 2, 0, &v->uri);
      break;
    case RELOAD_SIP_REGISTRATION_ROUTE:
      rw_text (c, "contact_prefs", 2, 0, &v->contact_prefs);
      RW_LIST (c, "destination_list", 2, v->destination_list, v->n_destination_list,
               reload_destination_elem);
      break;
    default:
      rw_rest (c, "data", &v->unknown);
      break;
    }
  rw_block_end (c, &b);
}

/* ---------------------------------------------------------------- TURN */

void
reload_turn_server_fields (RwCodec *c, gpointer p)
{
  ReloadTurnServer *v = p;
  rw_u8 (c, "iteration", &v->iteration);
  reload_ip_address_port (c, "server_address", &v->server_address);
}

/* ---------------------------------------------------------------- certificates */

void
reload_certificate_fields (RwCodec *c, gpointer p)
{
  /* §8 stores "its certificate": the DER bytes fill the whole value; the
   * codec does not parse X.509 (the security layer does). */
  rw_rest (c, "certificate", p);
}

/* ---------------------------------------------------------------- REDIR */

void
reload_redir_service_provider_fields (RwCodec *c, gpointer p)
{
  ReloadRedirServiceProvider *v = p;
  RwBlock b;
  rw_block_begin (c, NULL, 2, 0, &b);
  reload_node_id (c, "service_provider", &v->service_provider);
  rw_text (c, "namespace", 2, 0, &v->name_space);
  rw_u16 (c, "level", &v->level);
  rw_u16 (c, "node", &v->node);
  /* Bytes after the four fields inside the length: an extension this
   * codec does not know, carried whole; JSON shows it only when there is
   * one. */
  switch (rw_mode (c))
    {
    case RW_DECODE:
    case RW_ENCODE:
      rw_rest (c, "extension", &v->extension);
      break;
    case RW_TO_JSON:
      if (v->extension.len > 0)
        rw_rest (c, "extension", &v->extension);
      break;
    case RW_FROM_JSON:
      if (rw_json_has (c, "extension"))
        rw_rest (c, "extension", &v->extension);
      else
        v->extension = (RwBytes){ NULL, 0 };
      break;
    }
  rw_block_end (c, &b);
}

/* ---------------------------------------------------------------- dispatch */

void
reload_kind_value (RwCodec *c, guint32 kind_id, ReloadKindValue *v)
{
  switch (kind_id)
    {
    case RELOAD_KIND_SIP_REGISTRATION:
      reload_sip_registration_fields (c, &v->sip_registration);
      break;
    case RELOAD_KIND_TURN_SERVICE:
      reload_turn_server_fields (c, &v->turn_server);
      break;
    case RELOAD_KIND_CERTIFICATE_BY_NODE:
    case RELOAD_KIND_CERTIFICATE_BY_USER:
      reload_certificate_fields (c, &v->certificate);
      break;
    case RELOAD_KIND_REDIR:
      reload_redir_service_provider_fields (c, &v->redir);
      break;
    default:
      rw_fail (c, RELOAD_WIRE_ERROR_INVALID_VALUE, NULL, "kind %u has no typed value", kind_id);
      break;
    }
}

gboolean
reload_kind_value_decode (guint32 kind_id, const guint8 *data, gsize len, const RwOptions *options,
                          RwArena *arena, ReloadKindValue *out, GError **error)
{
  RwCodec *c = rw_codec_new_decoder (data, len, arena, options);
  rw_object_begin (c, "value");
  reload_kind_value (c, kind_id, out);
  if (rw_ok (c) && rw_remaining (c) != 0)
    rw_fail (c, RELOAD_WIRE_ERROR_TRAILING, NULL,
             "%" G_GSIZE_FORMAT " bytes left over after the value", rw_remaining (c));
  rw_object_end (c);
  return rw_codec_finish (c, error);
}

GBytes *
reload_kind_value_encode (guint32 kind_id, const ReloadKindValue *v, const RwOptions *options,
                          GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, options);
  rw_object_begin (c, "value");
  reload_kind_value (c, kind_id, (ReloadKindValue *) v);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
