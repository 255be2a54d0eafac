/* reload-access.c: the access control policies of stored data (RFC 6940
 * §7.3, RFC 7374): who may write a value at a Resource-ID.  Declared in
 * reload-datastore.h, whose Store applies them to every value.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-datastore.h"

#include <string.h>

/* H(data) == resource: "hashes (using the hash function for the overlay)
 * to the Resource-ID"; CHORD-RELOAD's hash is SHA-1 truncated to 128 bits
 * (§10.2). */
static gboolean
resource_is_hash_of (RwBytes rid, const void *data, gsize len)
{
  if (rid.len != 16)
    return FALSE;
  guint8 h[16];
  chord_id_to_bytes (chord_id_hash (data, len), h);
  return memcmp (h, rid.data, 16) == 0;
}

gboolean
reload_access_user_name_matches (guint32 kind_id, const char *user_name, RwBytes resource_id)
{
  if (user_name == NULL || *user_name == '\0')
    return FALSE;
  if (resource_is_hash_of (resource_id, user_name, strlen (user_name)))
    return TRUE;
  /* RFC 7904 §3: SIP-REGISTRATION data is stored at H(AOR); the
   * certificate's user name is the AOR without its "sip:" scheme. */
  if (kind_id == RELOAD_KIND_SIP_REGISTRATION)
    {
      g_autofree char *aor = g_strconcat ("sip:", user_name, NULL);
      return resource_is_hash_of (resource_id, aor, strlen (aor));
    }
  return FALSE;
}

static gboolean
node_id_valid (const ReloadNodeId *n)
{
  return n->len > 0 && n->len <= RELOAD_NODE_ID_MAX;
}

ChordId
reload_access_node_multiple_id (const ReloadNodeId *node_id, guint32 i)
{
  /* §7.3.4 H(Node-ID || i); i in network byte order (§6.3.1). */
  guint8 buf[RELOAD_NODE_ID_MAX + 4];
  guint len = MIN (node_id->len, RELOAD_NODE_ID_MAX);
  memcpy (buf, node_id->id, len);
  guint32 be = GUINT32_TO_BE (i);
  memcpy (buf + len, &be, 4);
  return chord_id_hash (buf, len + 4);
}

static gboolean
key_is_signer_node (RwBytes key, const ReloadSignerInfo *signer)
{
  for (guint i = 0; i < signer->n_node_ids; i++)
    {
      const ReloadNodeId *n = &signer->node_ids[i];
      if (node_id_valid (n) && key.len == n->len && memcmp (key.data, n->id, n->len) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
resource_is_signer_node_hash (RwBytes rid, const ReloadSignerInfo *signer)
{
  for (guint i = 0; i < signer->n_node_ids; i++)
    {
      const ReloadNodeId *n = &signer->node_ids[i];
      if (node_id_valid (n) && resource_is_hash_of (rid, n->id, n->len))
        return TRUE;
    }
  return FALSE;
}

gboolean
reload_access_allowed (const ReloadKindDef *def, RwBytes resource_id,
                       const ReloadStoredDataValue *value, const ReloadSignerInfo *signer)
{
  if (def == NULL || signer == NULL)
    return FALSE;
  switch (def->policy)
    {
    case RELOAD_ACCESS_USER_MATCH:
      /* §7.3.1: the user name hashes to the Resource-ID. */
      return reload_access_user_name_matches (def->id, signer->user_name, resource_id);

    case RELOAD_ACCESS_NODE_MATCH:
      /* §7.3.2: a Node-ID of the signer hashes to the Resource-ID. */
      return resource_is_signer_node_hash (resource_id, signer);

    case RELOAD_ACCESS_USER_NODE_MATCH:
      /* §7.3.3: "may be used only with dictionary types"; the user name
       * hashes to the Resource-ID and "the dictionary key MUST be equal to
       * the Node-ID in the certificate". */
      if (def->model != RELOAD_DATA_MODEL_DICTIONARY)
        return FALSE;
      if (!reload_access_user_name_matches (def->id, signer->user_name, resource_id))
        return FALSE;
      return value == NULL || key_is_signer_node (value->key, signer);

    case RELOAD_ACCESS_NODE_MULTIPLE:
      /* §7.3.4: H(Node-ID || i) for some i up to max-node-multiple; "the
       * verifier MUST iterate through potential i values". */
      if (resource_id.len != 16)
        return FALSE;
      {
        ChordId rid = chord_id_from_resource_id (resource_id);
        for (guint k = 0; k < signer->n_node_ids; k++)
          {
            const ReloadNodeId *n = &signer->node_ids[k];
            if (!node_id_valid (n))
              continue;
            for (guint64 i = 0; i <= def->max_node_multiple; i++)
              if (chord_id_equal (reload_access_node_multiple_id (n, (guint32) i), rid))
                return TRUE;
          }
      }
      return FALSE;

    case RELOAD_ACCESS_NODE_ID_MATCH:
      /* RFC 7374 (ReDiR), TO BE CHECKED against its §5: the dictionary key
       * is the signer's Node-ID; the Resource-ID (a ReDiR tree node) is
       * not tied to the signer.  Other models: as NODE-MATCH. */
      if (def->model == RELOAD_DATA_MODEL_DICTIONARY)
        {
          if (value == NULL)
            {
              for (guint k = 0; k < signer->n_node_ids; k++)
                if (node_id_valid (&signer->node_ids[k]))
                  return TRUE;
              return FALSE;
            }
          return key_is_signer_node (value->key, signer);
        }
      return resource_is_signer_node_hash (resource_id, signer);

    default:
      return FALSE;
    }
}
