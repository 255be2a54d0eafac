/* reload-kind.c: the kind table (RFC 6940 §7.4.5, §11.1 kind blocks).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-kind.h"

struct ReloadKindTable
{
  gatomicrefcount ref;
  GHashTable *kinds; /* guint32 id -> ReloadKindDef* (owned, name owned) */
};

static void
kind_def_free (gpointer p)
{
  ReloadKindDef *d = p;
  g_free (d->name);
  g_free (d);
}

static ReloadKindTable *
kind_table_new_empty (void)
{
  ReloadKindTable *t = g_new0 (ReloadKindTable, 1);
  g_atomic_ref_count_init (&t->ref);
  t->kinds = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, kind_def_free);
  return t;
}

/* Limits of the built-in kinds.  max-count and max-size are not part of a
 * kind's IANA registration: each overlay's configuration sets them (§11.1,
 * "max-count: the maximum number of values which members of the overlay
 * must support", "max-size: the maximum size of individual values").  RFC
 * 6940's example configuration (§11.1) shows max-count 1 / max-size 100 for
 * an outdated single-value SIP-REGISTRATION, which would allow one device
 * per AOR and no certificate at all (a DER certificate is 1 to 2 KB), so
 * Chorus uses its own defaults, which a configuration document overrides
 * with reload_kind_table_add():
 *   - at most 1000 values per resource and kind (for an array, its length,
 *     gaps included: reload-storage.c), at most 10 000 bytes per value;
 *   - a single value kind holds one value by definition (§7.2.1). */
#define DEFAULT_MAX_COUNT 1000
#define DEFAULT_MAX_SIZE 10000

static const ReloadKindDef default_kinds[] = {
  /* RFC 7904 §3 and the IANA registry: DICTIONARY, USER-NODE-MATCH (the
   * example configuration of RFC 6940 §11.1 shows an older form). */
  { RELOAD_KIND_SIP_REGISTRATION, (char *) "SIP-REGISTRATION", RELOAD_DATA_MODEL_DICTIONARY,
    RELOAD_ACCESS_USER_NODE_MATCH, DEFAULT_MAX_COUNT, DEFAULT_MAX_SIZE, 0 },
  /* RFC 6940 §9: single value, NODE-MULTIPLE "with a maximum iteration of
   * counter 20". */
  { RELOAD_KIND_TURN_SERVICE, (char *) "TURN-SERVICE", RELOAD_DATA_MODEL_SINGLE,
    RELOAD_ACCESS_NODE_MULTIPLE, 1, DEFAULT_MAX_SIZE, 20 },
  /* RFC 6940 §8: arrays, NODE-MATCH and USER-MATCH. */
  { RELOAD_KIND_CERTIFICATE_BY_NODE, (char *) "CERTIFICATE_BY_NODE", RELOAD_DATA_MODEL_ARRAY,
    RELOAD_ACCESS_NODE_MATCH, DEFAULT_MAX_COUNT, DEFAULT_MAX_SIZE, 0 },
  { RELOAD_KIND_CERTIFICATE_BY_USER, (char *) "CERTIFICATE_BY_USER", RELOAD_DATA_MODEL_ARRAY,
    RELOAD_ACCESS_USER_MATCH, DEFAULT_MAX_COUNT, DEFAULT_MAX_SIZE, 0 },
  /* RFC 7374 §5 (ReDiR): DICTIONARY, NODE-ID-MATCH. */
  { RELOAD_KIND_REDIR, (char *) "REDIR", RELOAD_DATA_MODEL_DICTIONARY, RELOAD_ACCESS_NODE_ID_MATCH,
    DEFAULT_MAX_COUNT, DEFAULT_MAX_SIZE, 0 },
};

ReloadKindTable *
reload_kind_table_new_default (void)
{
  ReloadKindTable *t = kind_table_new_empty ();
  for (guint i = 0; i < G_N_ELEMENTS (default_kinds); i++)
    reload_kind_table_add (t, &default_kinds[i]);
  return t;
}

ReloadKindTable *
reload_kind_table_ref (ReloadKindTable *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_atomic_ref_count_inc (&t->ref);
  return t;
}

void
reload_kind_table_unref (ReloadKindTable *t)
{
  if (t == NULL)
    return;
  if (g_atomic_ref_count_dec (&t->ref))
    {
      g_hash_table_unref (t->kinds);
      g_free (t);
    }
}

void
reload_kind_table_add (ReloadKindTable *t, const ReloadKindDef *def)
{
  g_return_if_fail (t != NULL && def != NULL);
  ReloadKindDef *copy = g_new (ReloadKindDef, 1);
  *copy = *def;
  copy->name = g_strdup (def->name);
  g_hash_table_replace (t->kinds, GUINT_TO_POINTER (def->id), copy);
}

const ReloadKindDef *
reload_kind_table_lookup (const ReloadKindTable *t, guint32 id)
{
  g_return_val_if_fail (t != NULL, NULL);
  return g_hash_table_lookup (t->kinds, GUINT_TO_POINTER (id));
}

static gint
compare_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

const ReloadKindDef *
reload_kind_table_lookup_name (const ReloadKindTable *t, const char *name)
{
  g_return_val_if_fail (t != NULL && name != NULL, NULL);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, t->kinds);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      const ReloadKindDef *d = v;
      if (d->name != NULL && g_ascii_strcasecmp (d->name, name) == 0)
        return d;
    }
  return NULL;
}

GArray *
reload_kind_table_ids (const ReloadKindTable *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, t->kinds);
  while (g_hash_table_iter_next (&it, &k, NULL))
    {
      guint32 id = GPOINTER_TO_UINT (k);
      g_array_append_val (ids, id);
    }
  g_array_sort (ids, (GCompareFunc) compare_u32);
  return ids;
}

ReloadDataModel
reload_kind_table_model (guint32 kind_id, gpointer table)
{
  const ReloadKindDef *d = table != NULL ? reload_kind_table_lookup (table, kind_id) : NULL;
  return d != NULL ? d->model : RELOAD_DATA_MODEL_UNKNOWN;
}
