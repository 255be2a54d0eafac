/* reload-kinds.h: the values of the built-in kinds, decoded from the bytes
 * of DataValue.value (RFC 6940 §7.2):
 *
 *   SIP-REGISTRATION (1)     RFC 7904 §3.1  SipRegistration
 *   TURN-SERVICE (2)         RFC 6940 §9    TurnServer
 *   CERTIFICATE_BY_NODE (3)  RFC 6940 §8    an X.509 certificate (DER)
 *   CERTIFICATE_BY_USER (16) RFC 6940 §8    an X.509 certificate (DER)
 *   REDIR (104)              RFC 7374 §4.1  RedirServiceProvider
 *
 * The storage visitor (reload-storage.c) calls reload_kind_value() inside
 * the value's own length (opaque value<0..2^32-1>), so decoding checks that
 * a typed value uses exactly its bytes, and any defect fails the decode
 * with the field named.  Values of every other kind, and values whose
 * exists flag is false, stay raw bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "reload-common.h"

G_BEGIN_DECLS

/* RFC 7904 §3.1 SipRegistrationType. */
enum
{
  RELOAD_SIP_REGISTRATION_URI = 1,
  RELOAD_SIP_REGISTRATION_ROUTE = 2,
};

extern const RwEnumName reload_sip_registration_type_names[];

/* RFC 7904 §3.1:
 *   struct {
 *     SipRegistrationType    type;
 *     uint16                 length;
 *     select (type) {
 *       case sip_registration_uri:   opaque uri<0..2^16-1>;
 *       case sip_registration_route: opaque contact_prefs<0..2^16-1>;
 *                                    Destination destination_list<0..2^16-1>;
 *       (This type can be extended)
 *     } data;
 *   } SipRegistration;
 * JSON: {"type": "sip_registration_uri", "uri": "sip:alice@example.org"}
 *   or  {"type": "sip_registration_route", "contact_prefs": "...",
 *        "destination_list": [Destination...]}
 *   or  {"type": 7, "data": "hex"} for a type this codec does not know. */
typedef struct
{
  guint8 type;
  RwBytes uri;           /* sip_registration_uri */
  RwBytes contact_prefs; /* sip_registration_route */
  ReloadDestination *destination_list;
  guint n_destination_list;
  RwBytes unknown; /* the data of another type, kept whole */
} ReloadSipRegistration;

/* RFC 6940 §9: struct { uint8 iteration; IpAddressPort server_address; }.
 * JSON: {"iteration": 1, "server_address": {IpAddressPort}}. */
typedef struct
{
  guint8 iteration;
  ReloadIpAddressPort server_address;
} ReloadTurnServer;

/* RFC 7374 §4.1 RedirServiceProvider, in the layout Wireshark's RELOAD
 * dissector (the outside check used here) reads:
 *   struct {
 *     uint16 length;
 *     struct {
 *       NodeId  serviceProvider;
 *       opaque  namespace<0..2^16-1>;
 *       uint16  level;
 *       uint16  node;
 *     } data;
 *     (bytes left inside length: extensions, kept raw)
 *   }
 * JSON: {"service_provider": "hex", "namespace": "turn", "level": 2,
 *        "node": 1} plus "extension": "hex" when there is one. */
typedef struct
{
  ReloadNodeId service_provider;
  RwBytes name_space;
  guint16 level;
  guint16 node;
  RwBytes extension;
} ReloadRedirServiceProvider;

/* The typed value of a built-in kind; the kind says which member holds it.
 * CERTIFICATE_BY_NODE/USER: JSON {"certificate": "hex DER"}. */
typedef union
{
  ReloadSipRegistration sip_registration;
  ReloadTurnServer turn_server;
  RwBytes certificate;
  ReloadRedirServiceProvider redir;
} ReloadKindValue;

/* Whether values of @kind_id have a typed form here. */
gboolean reload_kind_is_typed (guint32 kind_id);
/* The IANA name of a built-in kind (§14.6), or NULL. */
const char *reload_kind_name (guint32 kind_id);

/* Visits the typed fields of a value of @kind_id inside the current JSON
 * object and the current wire block (the value's length); fails the codec
 * for a kind without a typed form. */
void reload_kind_value (RwCodec *c, guint32 kind_id, ReloadKindValue *v);

/* The same, as visit functions of each structure (fields inside the
 * current object), for callers and tests that handle one kind. */
void reload_sip_registration_fields (RwCodec *c, gpointer v);
void reload_turn_server_fields (RwCodec *c, gpointer v);
void reload_certificate_fields (RwCodec *c, gpointer v); /* RwBytes */
void reload_redir_service_provider_fields (RwCodec *c, gpointer v);

/* DataValue.value bytes <-> typed value, for the storage layer, which keeps
 * and signs the bytes (§7.1).  Decoding is strict (every byte used); the
 * decoded value points into @data and allocates from @arena. */
gboolean reload_kind_value_decode (guint32 kind_id, const guint8 *data, gsize len,
                                   const RwOptions *options, RwArena *arena, ReloadKindValue *out,
                                   GError **error);
GBytes *reload_kind_value_encode (guint32 kind_id, const ReloadKindValue *v,
                                  const RwOptions *options, GError **error);

G_END_DECLS
