/* reload-config.h: the overlay configuration document (RFC 6940 §11.1),
 * media type application/p2p-overlay+xml.
 *
 * A document is
 *
 *   <overlay xmlns="urn:ietf:params:xml:ns:p2p:config-base"
 *            xmlns:chord="urn:ietf:params:xml:ns:p2p:config-chord">
 *     <configuration instance-name="..." sequence="...">...</configuration>
 *     <signature>BASE64 SecurityBlock</signature>
 *     (more configurations, one per overlay)
 *   </overlay>
 *
 * reload_config_parse() reads one configuration of a document into a
 * ReloadConfig: libxml2 without network access, DTDs or entities; the
 * document is validated against the RELAX NG grammar of §11.1.1 (embedded,
 * see reload-config-grammar.c), then the values are checked against the
 * rules of §11.1 (reload_config_validate()).  The exact bytes of the
 * <configuration> element and of each <kind> element are kept, because the
 * signatures cover those bytes (§11.1: "MUST be treated as a binary blob").
 *
 * reload_config_to_xml() writes a configuration (unsigned);
 * reload_config_sign() writes it signed; reload_config_verify() checks
 * the signatures of a parsed document.
 *
 * Values.  Every text value is trimmed of leading and trailing XML
 * whitespace: XML Schema collapses the whitespace of numbers, booleans
 * and tokens (§11.1: "Whitespace and case processing follows the rules of
 * [OASIS.relax_ng] and XML Schema Datatypes"), and the RFC's own example
 * pads strings as well ("<shared-secret> password </shared-secret>",
 * "<topology-plugin> CHORD-RELOAD </topology-plugin>"), which only makes
 * sense if they are trimmed.  Consequently a string that begins or ends
 * with whitespace cannot be written (reload_config_validate() refuses it).
 *
 * Identities.  configuration-signer, kind-signer and bad-node each hold
 * a Node-ID in hexadecimal (§11.1: "This contains a single Node-ID in
 * hexadecimal and indicates that the certificate with this Node-ID is
 * allowed to sign configurations"; Node-IDs rather than certificate
 * hashes so that short-lived certificates do not need a new
 * configuration).  A signer matches when one of the Node-IDs in its
 * certificate's subjectAltName (reload://<hex>@<overlay>/, §11.3), written
 * as lower-case hex of the full Node-ID, equals the element's text
 * compared without regard to case.  The RFC example's 8-byte values
 * ("47112162e84c69ba") parse but match no certificate.
 *
 * Ownership: ReloadConfig and ReloadConfigKind are plain structs that own
 * every member; the _free functions drop them.  The string lists are
 * NULL-terminated GPtrArrays of g_malloc'd strings, so that
 * (const char *const *) list->pdata is a string vector.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "reload-credentials.h"
#include "reload-kind.h"
#include "reload-node.h"

G_BEGIN_DECLS

#define RELOAD_CONFIG_NS_BASE "urn:ietf:params:xml:ns:p2p:config-base"
#define RELOAD_CONFIG_NS_CHORD "urn:ietf:params:xml:ns:p2p:config-chord"
/* Chorus's own extension namespace (§11.1 allows elements of other
 * namespaces; nodes that do not know it ignore them): <chorus:name> in a
 * <kind> names a kind of the private space, which §11.1 identifies by id=
 * alone, so that people can say "NOTES" rather than 4000. */
#define RELOAD_CONFIG_NS_CHORUS "urn:x-chorus:params:xml:ns:p2p:config-chorus"
/* <chorus:multicast-bootstrap>GROUP:PORT</chorus:multicast-bootstrap>, in
 * <configuration>: the overlay's peers may find one another on that
 * multicast group of the local link when no bootstrap node answers
 * (overlay/net/chorus-multicast.h).  The group is an IPv4
 * administratively scoped address (239.0.0.0/8, RFC 2365) or an IPv6
 * link-local scoped one (ffx2::/16, RFC 4291 §2.7), written
 * "[GROUP]:PORT"; at most RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP. */
#define RELOAD_CONFIG_DEFAULT_MULTICAST_BOOTSTRAP "239.255.60.84:6086"
#define RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP 4
#define RELOAD_CONFIG_MEDIA_TYPE "application/p2p-overlay+xml"

/* §11.1 defaults */
#define RELOAD_CONFIG_DEFAULT_TOPOLOGY "CHORD-RELOAD"
#define RELOAD_CONFIG_DEFAULT_NODE_ID_LENGTH 16
#define RELOAD_CONFIG_DEFAULT_PORT 6084
#define RELOAD_CONFIG_DEFAULT_TURN_DENSITY 1
#define RELOAD_CONFIG_DEFAULT_MAX_MESSAGE_SIZE 5000
#define RELOAD_CONFIG_DEFAULT_INITIAL_TTL 100
#define RELOAD_CONFIG_DEFAULT_RELIABILITY_TIMER 3000 /* ms, §6.2.1 */
/* §10.7.4.1 and §10.7.4.2 (the node's own defaults, reload-node.h) */
#define RELOAD_CONFIG_DEFAULT_CHORD_UPDATE_INTERVAL 600 /* s */
#define RELOAD_CONFIG_DEFAULT_CHORD_PING_INTERVAL 3600  /* s */

/* §11.1: sequence is "between 0 and 2^16-2"; it does not wrap. */
#define RELOAD_CONFIG_SEQUENCE_MAX 65534
/* §11.1: the overlay-reliability-timer "MUST be at least 200 ms". */
#define RELOAD_CONFIG_MIN_RELIABILITY_TIMER 200
/* The largest document reload_config_parse() reads: a configuration is a
 * few kilobytes plus its root certificates; the ConfigUpdate message that
 * carries one is limited to 2^24-1 bytes (§6.5.4), and this is smaller. */
#define RELOAD_CONFIG_MAX_DOCUMENT_SIZE (4 * 1024 * 1024)

#define RELOAD_CONFIG_ERROR (reload_config_error_quark ())
GQuark reload_config_error_quark (void);

typedef enum
{
  RELOAD_CONFIG_ERROR_PARSE,               /* not well-formed XML, not UTF-8, a DTD */
  RELOAD_CONFIG_ERROR_INVALID,             /* fails the grammar or a rule of §11.1 */
  RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION, /* a mandatory-extension this node lacks */
  RELOAD_CONFIG_ERROR_NOT_FOUND,           /* no configuration of that instance-name */
  RELOAD_CONFIG_ERROR_UNSIGNED,            /* no signature / kind-signature to verify */
  RELOAD_CONFIG_ERROR_SIGNATURE,           /* a malformed SecurityBlock or a bad signature */
  RELOAD_CONFIG_ERROR_NOT_TRUSTED,         /* the signer's certificate does not chain, or
                                            * is revoked by a bad-node element */
  RELOAD_CONFIG_ERROR_NOT_AUTHORIZED,      /* the signer is not a configuration-signer /
                                            * kind-signer */
  RELOAD_CONFIG_ERROR_TOO_OLD,             /* a sequence not above the one held */
  RELOAD_CONFIG_ERROR_IO,                  /* reading or writing a file */
} ReloadConfigError;

/* bootstrap-node (§11.1): a numeric IPv4 or IPv6 address, the latter in
 * the text form of RFC 5952 (lower case, "::" for the longest run of
 * zeros), which is how reload_config_parse() stores it. */
typedef struct
{
  char *address;
  guint16 port; /* default 6084 */
} ReloadConfigBootstrap;

/* A kind-block (§11.1). */
typedef struct
{
  /* name= (a Kind name registered with IANA, resolved to its Kind-ID in
   * @id), or NULL when the kind-block gives id= (private space). */
  char *name;
  guint32 id;
  /* data-model and access-control as written.  For a kind registered
   * with IANA the node uses the registration instead (§11.1: "clients
   * MUST ignore them in favor of the IANA versions"):
   * reload_config_get_kinds() does. */
  ReloadDataModel data_model;
  ReloadAccessPolicy access_control;
  guint32 max_count;
  guint32 max_size;
  guint32 max_node_multiple; /* 0: absent (required for NODE-MULTIPLE) */
  /* <chorus:name>: the administrator's name of a kind given by id=
   * (RELOAD_CONFIG_NS_CHORUS); NULL when absent */
  char *label;

  /* Set by reload_config_parse(): the exact bytes of <kind>...</kind>
   * in the document, and the decoded SecurityBlock of the
   * <kind-signature> (NULL when the kind-block has none). */
  GBytes *xml;
  GBytes *signature;
} ReloadConfigKind;

ReloadConfigKind *reload_config_kind_new (void);
ReloadConfigKind *reload_config_kind_copy (const ReloadConfigKind *kind);
void reload_config_kind_free (ReloadConfigKind *kind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadConfigKind, reload_config_kind_free)

/* The Kind-ID registered with IANA for @name (SIP-REGISTRATION 1,
 * TURN-SERVICE 2, CERTIFICATE_BY_NODE 3, CERTIFICATE_BY_USER 16, REDIR
 * 104; case-insensitive), or 0 when this node knows no such kind. */
guint32 reload_config_kind_id_from_name (const char *name);

typedef struct
{
  /* attributes of <configuration> */
  char *instance_name;   /* the overlay name */
  guint16 sequence;      /* 0..65534; 0 when absent */
  GDateTime *expiration; /* UTC; NULL when absent */

  char *topology_plugin; /* default "CHORD-RELOAD" */
  guint node_id_length;  /* 16..20, default 16 */
  GPtrArray *root_certs; /* ReloadCert *: the trust anchors */
  /* root-cert elements that are base64 but not an X.509 certificate (the
   * DER bytes, GBytes *).  They are never trust anchors; they are kept
   * only so that the document round-trips.  See reload_config_parse(). */
  GPtrArray *bad_root_certs;
  GPtrArray *enrollment_servers; /* char *, https: URLs only */
  /* self-signed-permitted with its digest attribute ("sha1", "sha256") */
  gboolean has_self_signed_permitted;
  gboolean self_signed_permitted;
  char *self_signed_digest;
  GArray *bootstrap_nodes;         /* ReloadConfigBootstrap */
  guint8 turn_density;             /* default 1; 0: no TURN servers */
  gboolean clients_permitted;      /* default TRUE */
  gboolean no_ice;                 /* default FALSE */
  char *shared_secret;             /* NULL when absent */
  guint32 max_message_size;        /* default 5000 */
  guint8 initial_ttl;              /* default 100 */
  guint overlay_reliability_timer; /* ms, default 3000, at least 200 */
  /* empty: the default "TLS" (TLS and DTLS) applies */
  GPtrArray *overlay_link_protocols; /* char * */
  GPtrArray *configuration_signers;  /* char *, Node-IDs in hex */
  GPtrArray *kind_signers;           /* char *, Node-IDs in hex */
  GPtrArray *bad_nodes;              /* char *, Node-IDs in hex */
  GPtrArray *mandatory_extensions;   /* char *, XML namespace names */

  /* urn:ietf:params:xml:ns:p2p:config-chord (§10) */
  guint chord_update_interval; /* s, default 600 */
  guint chord_ping_interval;   /* s, default 3600 */
  gboolean chord_reactive;     /* default TRUE */

  GPtrArray *kinds; /* ReloadConfigKind *: required-kinds */

  /* RELOAD_CONFIG_NS_CHORUS: the <chorus:multicast-bootstrap> groups,
   * char * "GROUP:PORT" ("[GROUP]:PORT" for IPv6) in the form
   * reload_config_add_multicast_bootstrap() gives; empty: none */
  GPtrArray *multicast_bootstrap;
  /* RELOAD_CONFIG_NS_CHORUS: <chorus:turn-username> and
   * <chorus:turn-password>, the long-term credential (RFC 5766 §4) every
   * TURN server of the overlay takes: §9's TurnServer carries an address
   * and no credential, and this signed document is what every peer of the
   * overlay shares (README, "TURN").  Both or neither; NULL: none. */
  char *turn_username;
  char *turn_password;

  /* Set by reload_config_parse() (document and xml are NULL and
   * signatures empty otherwise): the whole document; the exact bytes of
   * this <configuration> element (from its first < to the > of
   * </configuration>), which the signature covers; and the decoded
   * SecurityBlocks of the <signature> elements that follow it (§11.1:
   * "Each configuration element MAY be followed by signature elements"). */
  GBytes *document;
  GBytes *xml;
  GPtrArray *signatures; /* GBytes * */
} ReloadConfig;

/* §11.1 data-model ("SINGLE", "ARRAY", "DICTIONARY") and access-control
 * ("USER-MATCH", "NODE-MATCH", "USER-NODE-MATCH", "NODE-MULTIPLE",
 * RFC 7374's "NODE-ID-MATCH") values, as the grammar spells them. */
gboolean reload_config_data_model_from_string (const char *s, ReloadDataModel *out);
const char *reload_config_data_model_to_string (ReloadDataModel m);
gboolean reload_config_access_from_string (const char *s, ReloadAccessPolicy *out);
const char *reload_config_access_to_string (ReloadAccessPolicy p);

/* A configuration holding the §11.1 defaults and no instance-name. */
ReloadConfig *reload_config_new (void);
void reload_config_free (ReloadConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReloadConfig, reload_config_free)

/* Appends a bootstrap-node, normalising @address (IPv4 or IPv6, no host
 * names, no zone) to its RFC 5952 text form; @port 0 means 6084. */
gboolean reload_config_add_bootstrap_node (ReloadConfig *cfg, const char *address, guint16 port,
                                           GError **error);

/* Appends a <chorus:multicast-bootstrap> group, @group being "GROUP:PORT"
 * or "[GROUP]:PORT" (NULL or empty: RELOAD_CONFIG_DEFAULT_MULTICAST_
 * BOOTSTRAP), normalised (RFC 5952 for IPv6); one given already is not
 * added twice.  Fails (INVALID) for a group that is not an IPv4
 * administratively scoped or IPv6 link-local scoped multicast address, a
 * zone, a port of 0, or one group more than
 * RELOAD_CONFIG_MAX_MULTICAST_BOOTSTRAP. */
gboolean reload_config_add_multicast_bootstrap (ReloadConfig *cfg, const char *group,
                                                GError **error);

/* Checks @cfg against the rules of §11.1 that the grammar does not
 * express: sequence 0..65534, node-id-length 16..20, https: enrollment
 * servers, numeric bootstrap addresses, initial-ttl 1..255,
 * overlay-reliability-timer >= 200, positive intervals and sizes, known
 * data models and access control policies, max-node-multiple for
 * NODE-MULTIPLE, kind names this node knows and no kind twice, and every
 * mandatory-extension supported (only the base and chord namespaces are:
 * RELOAD_CONFIG_ERROR_MANDATORY_EXTENSION otherwise). */
gboolean reload_config_validate (const ReloadConfig *cfg, GError **error);

/* Whether @a and @b hold the same configuration values (not the same
 * document bytes or signatures). */
gboolean reload_config_equal (const ReloadConfig *a, const ReloadConfig *b);

/* Parses the <configuration> whose instance-name is @instance_name (NULL:
 * the first one) from the document @xml of @len bytes.
 *
 * Fails with PARSE when the document is not well-formed, not UTF-8, has a
 * DOCTYPE (no DTD is read, no entity is ever expanded or loaded: the
 * document has no use for either, and refusing them stops XXE and entity
 * expansion), or is larger than RELOAD_CONFIG_MAX_DOCUMENT_SIZE; INVALID
 * when it fails the grammar of §11.1.1, a base64 value is malformed
 * (strict RFC 4648 alphabet and padding; whitespace is allowed), or a
 * value breaks reload_config_validate(); MANDATORY_EXTENSION when the
 * configuration names a mandatory-extension this node does not support
 * (§11.1: the node "MUST support" it, so it must not use the document);
 * NOT_FOUND when no configuration has that instance-name.
 *
 * Elements and attributes of other namespaces (extensions) are ignored.
 * A root-cert that is well-formed base64 but not an X.509 certificate
 * (the RFC example's "YmFkIGNlcnQK" is "bad cert\n") is not an error: it
 * goes to bad_root_certs and is never trusted.  Refusing the document
 * would gain nothing (an unusable anchor adds no trust) and would make
 * an overlay unusable for a mistake in one of several anchors; the
 * caller can refuse a configuration with bad_root_certs->len > 0.
 *
 * The configuration is not verified: see reload_config_verify(). */
ReloadConfig *reload_config_parse (const char *xml, gsize len, const char *instance_name,
                                   GError **error);
ReloadConfig *reload_config_load_file (const char *path, const char *instance_name, GError **error);

/* A document (UTF-8, with an XML declaration and encoding, the base and
 * chord namespaces) holding @cfg alone, unsigned: every value is written,
 * the defaults explicitly, optional elements when set.  Fails (INVALID)
 * when @cfg breaks reload_config_validate(), or holds a string that is not
 * valid UTF-8 XML text.  The result parses back to an equal configuration
 * and validates against the grammar. */
char *reload_config_to_xml (const ReloadConfig *cfg, GError **error);

/* Writes the document @cfg was parsed from, byte for byte (its signatures
 * stay valid), or reload_config_to_xml() when @cfg was not parsed.  The
 * file is replaced atomically (a temporary file renamed over @path, synced
 * first) and made 0600 (a document may hold a shared-secret). */
gboolean reload_config_save (const ReloadConfig *cfg, const char *path, GError **error);

/* The whole signed document: @cfg written as reload_config_to_xml()
 * does, each <kind> element followed by a <kind-signature> and the
 * <configuration> element followed by a <signature>, each holding the
 * base64 of a SecurityBlock (§6.3.4) whose certificates hold the
 * signer's certificate (ops->certificate, required) and whose Signature
 * is ops->sign over the exact bytes of the element (§11.1).  @ops and
 * @signer are a ReloadSecurityOps and its self, normally
 * reload_x509_security_ops() and a ReloadX509Signer.  The configuration
 * and its kinds are signed by the same signer; to be accepted, its Node-ID
 * must be a configuration-signer (of the previous configuration) and a
 * kind-signer (of this one). */
char *reload_config_sign (const ReloadConfig *cfg, const ReloadSecurityOps *ops, gpointer signer,
                          GError **error);

/* Verifies a configuration from reload_config_parse() (§11.1): "Recipients
 * MUST verify the signature prior to accepting the configuration file".
 *
 * 1. One of the <signature> elements that follow the configuration holds
 *    a SecurityBlock whose Signature (a cert_hash identity, SHA-256, RSA or
 *    ECDSA) verifies over the exact bytes of the configuration element,
 *    made by a certificate that the SecurityBlock carries.
 * 2. That certificate chains to a trust anchor, is valid now, is a RELOAD
 *    peer certificate of this overlay (instance-name), and none of its
 *    Node-IDs is a bad-node of @previous or of @cfg.
 * 3. One of its Node-IDs is a configuration-signer of @previous (§11.1:
 *    "Any configuration file MUST be signed by one of the
 *    configuration-signer elements from the previous extant
 *    configuration") or, when @previous is NULL (the first configuration
 *    a node accepts), of @cfg itself.
 * 4. Every kind-block carries a kind-signature (§11.1: "MUST contain")
 *    over the exact bytes of its <kind> element that passes 1 and 2 and
 *    whose signer is a kind-signer of @cfg (§11.1: "signed by a node
 *    listed in the kind-signers block of the current configuration", which
 *    step 1 has just authenticated).
 *
 * Trust anchors.  For the configuration signature: @root, and the
 * root-certs of @previous.  Never the root-certs of @cfg itself: a
 * document cannot vouch for itself, since anyone can make a CA that
 * issues a certificate with an authorised Node-ID and put that CA in the
 * document.  So a first configuration needs @root (the overlay's CA, from
 * enrollment or provisioning); a caller that trusts the channel the
 * document came by (HTTPS from the configuration server, §11.2) may pass
 * one of the document's own root_certs as @root deliberately.  For kind
 * signatures, once the configuration is verified, its root-certs are
 * trusted too.  Fails with UNSIGNED, SIGNATURE, NOT_TRUSTED or
 * NOT_AUTHORIZED (INVALID when @previous is for another overlay).
 *
 * Verification is done with GnuTLS directly, not ReloadSecurityOps.verify:
 * the X.509 signer's verify needs a ReloadX509Signer, built from the
 * verifying node's own certificate and key and a single root, whereas a
 * configuration is verified before the node may have credentials, and
 * against anchors that come from configurations. */
gboolean reload_config_verify (const ReloadConfig *cfg, ReloadCert *root,
                               const ReloadConfig *previous, GError **error);
/* The same with an explicit list of configuration signers (Node-IDs in
 * hex, NULL-terminated) instead of a previous configuration; @root is
 * then the only anchor of the configuration signature. */
gboolean reload_config_verify_with_signers (const ReloadConfig *cfg, ReloadCert *root,
                                            const char *const *configuration_signers,
                                            GError **error);

/* Whether @received may replace @held (§6.3.2.1, §6.5.4: the
 * configuration_sequence of messages and ConfigUpdate): the same
 * instance-name (INVALID otherwise) and a newer sequence (TOO_OLD
 * otherwise), compared as §6.3.2.1 says, modulo 65535 "as in TCP"
 * (reload_configuration_sequence_compare()): 0 follows 65534, and a
 * sequence 32768 or more steps ahead counts as older. */
gboolean reload_config_check_update (const ReloadConfig *held, const ReloadConfig *received,
                                     GError **error);

/* The sequence of the configuration that follows one of @sequence
 * (§6.3.2.1: "peers sending a new configuration when the configuration
 * sequence is currently 65534 MUST set the configuration sequence number
 * to 0"). */
guint16 reload_config_next_sequence (guint16 sequence);

/* Whether @cfg's expiration is at or before @now (NULL: the current
 * time); FALSE when it has none. */
gboolean reload_config_is_expired (const ReloadConfig *cfg, GDateTime *now);

/* reload_kind_table_new_default() with each kind-block applied: a kind
 * registered with IANA keeps its data model and access control (§11.1)
 * and takes max-count, max-size and max-node-multiple (when given) from
 * the block; another kind is added as the block says.  Fails (INVALID)
 * for a name this node does not know or a block that breaks the rules
 * of reload_config_validate(). */
ReloadKindTable *reload_config_get_kinds (const ReloadConfig *cfg, GError **error);

/* Fills @node_config from @cfg: overlay_name and config_document
 * (borrowed from @cfg, which must outlive the call to reload_node_new(),
 * which copies the one and references the other; config_document is NULL
 * when @cfg was not parsed), configuration_sequence, max_message_size,
 * initial_ttl,
 * overlay_reliability_timer_ms, chord_update_interval_s,
 * chord_ping_interval_s, chord_reactive and kinds.  kinds is a new
 * reference that the caller owns and must unref (reload_node_new() takes
 * its own); a kinds table already in @node_config is overwritten, not
 * unreffed.  Other members are left alone. */
gboolean reload_config_apply_to_node (const ReloadConfig *cfg, ReloadNodeConfig *node_config,
                                      GError **error);

G_END_DECLS
