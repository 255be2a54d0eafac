/* wire-samples.c: an example of every RELOAD message, written as a pcap for
 * Wireshark to judge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "wire-samples.h"

#include <gio/gio.h>
#include <string.h>

#define SAMPLE_OVERLAY "chorus.example"
#define SAMPLES_RESOURCE "/org/chorus/wire/samples.json"
#define RELOAD_PORT 6084 /* §14.2 */

/* A real X.509 certificate (DER, ECDSA P-256, self-signed, as §11.3 shapes
 * them: a reload:// URI and an rfc822Name) so that Wireshark's X.509
 * dissector, which parses the certificates bucket, finds nothing wrong. */
#define SAMPLE_CERTIFICATE                                                           \
  "308201d230820179a00302010202145e35c0e22b043763bc2082d92daefb387dda35fc300a06082a" \
  "8648ce3d0403023010310e300c06035504030c05616c696365301e170d3236313132373033313830" \
  "365a170d3336313132343033313830365a3010310e300c06035504030c05616c6963653059301306" \
  "072a8648ce3d020106082a8648ce3d03010703420004ce1b880720300c2e8cd6b9af51a9f3daa460" \
  "41a3c9ced2cb1bce49316e02d83ed9a9dc803a9e4e0b3905e4a44b4bfaf66e201798d2b088bf2cca" \
  "9d1d6338bc3ea381b03081ad301d0603551d0e04160414eebfd283c774ed2b197704c16574d7aa79" \
  "5542f6301f0603551d23041830168014eebfd283c774ed2b197704c16574d7aa795542f6300f0603" \
  "551d130101ff040530030101ff305a0603551d1104533051863972656c6f61643a2f2f6130303030" \
  "3030303030303030303030303030303030303030303030303030314063686f7275732e6578616d70" \
  "6c652f8114616c6963654063686f7275732e6578616d706c65300a06082a8648ce3d040302034700" \
  "304402202c86d60926cc1c96fea53adb2aa3f7fecf7bd1bec26c6e75b0fb9b52da73c24c02204576" \
  "a1c60eaa57ccab99dde81b2ce919e9eff50af7c604e07ce3eaa7147590c9"

/* The header and security block that every sample shares; the bodies come
 * from samples.json.  Node-IDs are 16 bytes, the overlay default. */
static const char *const envelope_json =
    "{"
    " \"forwarding_header\": {"
    "  \"overlay\": 0, \"configuration_sequence\": 1, \"version\": 10, \"ttl\": 100,"
    "  \"fragment\": {\"last\": true, \"offset\": 0},"
    "  \"transaction_id\": \"0000000000000000\", \"max_response_length\": 0,"
    "  \"via_list\": [ {\"type\": \"node\", \"node_id\": \"a0000000000000000000000000000001\"} ],"
    "  \"destination_list\": [ {\"type\": \"node\", \"node_id\": \"b0000000000000000000000000000002\"} ],"
    "  \"options\": []"
    " },"
    " \"extensions\": [],"
    " \"security_block\": {"
    "  \"certificates\": [ {\"type\": \"x509\", \"certificate\": \"" SAMPLE_CERTIFICATE "\"} ],"
    "  \"signature\": {"
    "   \"algorithm\": {\"hash\": \"sha256\", \"signature\": \"rsa\"},"
    "   \"identity\": {\"identity_type\": \"cert_hash\", \"hash_alg\": \"sha256\","
    "                 \"certificate_hash\": \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},"
    "   \"signature_value\": \"5151515151515151\""
    "  }"
    " }"
    "}";

static JsonNode *
parse (const char *text, gsize len, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, text, (gssize) len, error))
    return NULL;
  return json_node_copy (json_parser_get_root (p));
}

static GBytes *
sample_message (JsonNode *sample, guint64 transaction_id, const RwOptions *options, GError **error)
{
  g_autoptr (JsonNode) env = parse (envelope_json, strlen (envelope_json), error);
  if (env == NULL)
    return NULL;
  JsonObject *o = json_node_get_object (env);
  JsonObject *hdr = json_object_get_object_member (o, "forwarding_header");
  json_object_set_int_member (hdr, "overlay", reload_overlay_hash (SAMPLE_OVERLAY));
  char tid[17];
  g_snprintf (tid, sizeof tid, "%016" G_GINT64_MODIFIER "x", transaction_id);
  json_object_set_string_member (hdr, "transaction_id", tid);
  /* Members of the sample (message_code, body, and any header or
   * extension it overrides) replace the envelope's. */
  JsonObject *s = json_node_get_object (sample);
  GList *members = json_object_get_members (s);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      if (g_str_equal (name, "comment"))
        continue;
      json_object_set_member (o, name, json_node_copy (json_object_get_member (s, name)));
    }
  g_list_free (members);
  g_autoptr (ReloadMessage) m = reload_message_from_json (env, options, error);
  if (m == NULL)
    return NULL;
  return reload_message_encode (m, options, error);
}

GPtrArray *
wire_samples_messages (const RwOptions *options, GError **error)
{
  g_autoptr (GBytes) data = g_resources_lookup_data (SAMPLES_RESOURCE, 0, error);
  if (data == NULL)
    return NULL;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);
  g_autoptr (JsonNode) root = parse (text, len, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "samples.json: not an array");
      return NULL;
    }
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint64 tid = G_GUINT64_CONSTANT (0x5eed000000000001);
  JsonArray *a = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      g_autoptr (GError) local = NULL;
      GBytes *b = sample_message (json_array_get_element (a, i), tid++, options, &local);
      if (b == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "samples.json entry %u: %s", i,
                       local->message);
          return NULL;
        }
      g_ptr_array_add (out, b);
    }

  /* an error response of every code (§6.3.3.1, §14.9) */
  for (const RwEnumName *e = reload_error_code_names; e->name != NULL; e++)
    {
      /* two codes have a structured error_info (§7.4.1.2) */
      g_autofree char *info = NULL;
      if (e->value == RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW)
        info = g_strdup (
            "{\"kind_responses\": [{\"kind\": 1, \"generation_counter\": 17, \"replicas\": []}]}");
      else if (e->value == RELOAD_ERROR_UNKNOWN_KIND)
        info = g_strdup ("{\"unknown_kinds\": [4000, 4001]}");
      else
        info = g_strdup_printf ("\"%s\"", e->name);
      g_autofree char *json = g_strdup_printf (
          "{\"message_code\": \"error\", \"body\": {\"error_code\": \"%s\", \"error_info\": %s}}",
          e->name, info);
      g_autoptr (JsonNode) sample = parse (json, strlen (json), error);
      if (sample == NULL)
        return NULL;
      GBytes *b = sample_message (sample, tid++, options, error);
      if (b == NULL)
        return NULL;
      g_ptr_array_add (out, b);
    }
  return g_steal_pointer (&out);
}

/* ---------------------------------------------------------------- pcap */

static void
put16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (a, b, 4);
}

static void
put32_le (GByteArray *a, guint32 v)
{
  guint8 b[4] = { (guint8) v, (guint8) (v >> 8), (guint8) (v >> 16), (guint8) (v >> 24) };
  g_byte_array_append (a, b, 4);
}

/* One Ethernet/IPv4/UDP packet from 192.0.2.1 to 192.0.2.2 (documentation
 * addresses: the file is never sent anywhere). */
static void
pcap_packet (GByteArray *pcap, guint index, const guint8 *payload, gsize len)
{
  g_autoptr (GByteArray) pkt = g_byte_array_new ();
  static const guint8 eth[14] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00 };
  g_byte_array_append (pkt, eth, sizeof eth);
  gsize ip_start = pkt->len;
  guint16 ip_len = (guint16) (20 + 8 + len);
  static const guint8 ip0[2] = { 0x45, 0x00 };
  g_byte_array_append (pkt, ip0, 2);
  put16 (pkt, ip_len);
  put16 (pkt, (guint16) index); /* identification */
  put16 (pkt, 0x4000);          /* don't fragment */
  static const guint8 ttl_proto[2] = { 64, 17 };
  g_byte_array_append (pkt, ttl_proto, 2);
  put16 (pkt, 0); /* checksum, below */
  put32 (pkt, 0xc0000201);
  put32 (pkt, 0xc0000202);
  guint32 sum = 0;
  for (gsize i = 0; i < 20; i += 2)
    sum += (guint32) pkt->data[ip_start + i] << 8 | pkt->data[ip_start + i + 1];
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  pkt->data[ip_start + 10] = (guint8) (~sum >> 8);
  pkt->data[ip_start + 11] = (guint8) ~sum;
  put16 (pkt, RELOAD_PORT);
  put16 (pkt, RELOAD_PORT);
  put16 (pkt, (guint16) (8 + len));
  put16 (pkt, 0); /* no UDP checksum (IPv4 allows it) */
  g_byte_array_append (pkt, payload, (guint) len);

  put32_le (pcap, 1700000000 + index); /* seconds */
  put32_le (pcap, 0);
  put32_le (pcap, pkt->len);
  put32_le (pcap, pkt->len);
  g_byte_array_append (pcap, pkt->data, pkt->len);
}

static void
pcap_frame (GByteArray *pcap, guint *index, guint32 *sequence, const guint8 *message, gsize len)
{
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  reload_frame_encode_data (frame, (*sequence)++, message, len);
  pcap_packet (pcap, (*index)++, frame->data, frame->len);
}

static gboolean
write_json_copy (const char *dir, guint i, GBytes *msg, const RwOptions *options, GError **error)
{
  g_autoptr (ReloadMessage) m = reload_message_decode (msg, options, error);
  if (m == NULL)
    return FALSE;
  g_autoptr (JsonNode) json = reload_message_to_json (m, options, error);
  if (json == NULL)
    return FALSE;
  const char *name = rw_enum_name (reload_message_code_names, m->message_code);
  if (m->message_code == RELOAD_ERROR)
    name = rw_enum_name (reload_error_code_names, ((ReloadErrorResponse *) m->body)->error_code);
  g_autofree char *base = g_strdup_printf ("%s/%03u-%s", dir, i, name ? name : "unknown");
  g_autofree char *json_path = g_strconcat (base, ".json", NULL);
  g_autofree char *bin_path = g_strconcat (base, ".bin", NULL);
  g_autofree char *text = json_to_string (json, TRUE);
  return g_file_set_contents (json_path, text, -1, error)
         && g_file_set_contents (bin_path, g_bytes_get_data (msg, NULL),
                                 (gssize) g_bytes_get_size (msg), error);
}

gboolean
wire_samples_write_pcap (const char *path, const char *json_dir, const RwOptions *options,
                         GError **error)
{
  g_autoptr (GPtrArray) msgs = wire_samples_messages (options, error);
  if (msgs == NULL)
    return FALSE;
  if (json_dir != NULL && g_mkdir_with_parents (json_dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", json_dir);
      return FALSE;
    }

  g_autoptr (GByteArray) pcap = g_byte_array_new ();
  put32_le (pcap, 0xa1b2c3d4); /* pcap magic, microseconds */
  static const guint8 version[4] = { 2, 0, 4, 0 };
  g_byte_array_append (pcap, version, 4);
  put32_le (pcap, 0);     /* thiszone */
  put32_le (pcap, 0);     /* sigfigs */
  put32_le (pcap, 65535); /* snaplen */
  put32_le (pcap, 1);     /* LINKTYPE_ETHERNET */

  guint index = 0;
  guint32 sequence = 1;
  for (guint i = 0; i < msgs->len; i++)
    {
      GBytes *m = g_ptr_array_index (msgs, i);
      pcap_frame (pcap, &index, &sequence, g_bytes_get_data (m, NULL), g_bytes_get_size (m));
      if (json_dir != NULL && !write_json_copy (json_dir, i, m, options, error))
        return FALSE;
    }

  /* an ack of the last data frames (§6.6.2): every one of the previous
   * 32 received */
  g_autoptr (GByteArray) ack = g_byte_array_new ();
  reload_frame_encode_ack (ack, sequence - 1, 0xffffffffu);
  pcap_packet (pcap, index++, ack->data, ack->len);

  /* one message split into several fragments (§6.7): the largest sample,
   * under a transaction id of its own, cut so that each fragment holds
   * the 256 body bytes §6.7 requires at least */
  GBytes *big = NULL;
  for (guint i = 0; i < msgs->len; i++)
    if (big == NULL || g_bytes_get_size (g_ptr_array_index (msgs, i)) > g_bytes_get_size (big))
      big = g_ptr_array_index (msgs, i);
  gsize big_len = g_bytes_get_size (big);
  g_autofree guint8 *whole = g_memdup2 (g_bytes_get_data (big, NULL), big_len);
  static const guint8 fragmented_tid[8] = { 0xf7, 0xa9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
  memcpy (whole + 20, fragmented_tid, sizeof fragmented_tid); /* transaction_id, §6.3.2 */
  gsize header_len = reload_fragment_parse_header (whole, big_len, NULL, NULL, error);
  if (header_len == 0)
    return FALSE;
  gsize fragment_size = header_len + RELOAD_FRAGMENT_MIN_BODY;
  g_autoptr (GPtrArray) frags = reload_fragment_split (whole, big_len, fragment_size, error);
  if (frags == NULL)
    return FALSE;
  if (frags->len < 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the fragment sample did not split");
      return FALSE;
    }
  for (guint i = 0; i < frags->len; i++)
    {
      GBytes *f = g_ptr_array_index (frags, i);
      pcap_frame (pcap, &index, &sequence, g_bytes_get_data (f, NULL), g_bytes_get_size (f));
    }

  return g_file_set_contents (path, (const char *) pcap->data, pcap->len, error);
}
