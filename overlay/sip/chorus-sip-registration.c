/* chorus-sip-registration.c: SIP-REGISTRATION values and lookups (RFC 7904
 * §3; chorus-sip-registration.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registration.h"

#include <string.h>

/* ---------------------------------------------------------------- routes */

void
chorus_sip_route_free (ChorusSipRoute *route)
{
  if (route == NULL)
    return;
  g_clear_pointer (&route->encoded, g_bytes_unref);
  g_clear_pointer (&route->arena, rw_arena_free);
  g_free (route);
}

ChorusSipRoute *
chorus_sip_route_decode (const guint8 *data, gsize len, const RwOptions *options, GError **error)
{
  if (len == 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID, "empty destination list");
      return NULL;
    }
  g_autoptr (ChorusSipRoute) route = g_new0 (ChorusSipRoute, 1);
  route->encoded = g_bytes_new (data, len);
  route->arena = rw_arena_new (len * 40 + 4096);
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (route->encoded, &size);
  /* The smallest Destination is 2 bytes (a compressed id): at most len/2. */
  route->destinations = rw_arena_alloc0 (route->arena, (len / 2 + 1) * sizeof (ReloadDestination));
  RwCodec *c = rw_codec_new_decoder (bytes, size, route->arena, options);
  rw_object_begin (c, "destination_list");
  while (rw_ok (c) && rw_remaining (c) > 0)
    reload_destination_elem (c, &route->destinations[route->n_destinations++]);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    return NULL;
  return g_steal_pointer (&route);
}

ChorusSipRoute *
chorus_sip_route_new (const ReloadDestination *destinations, guint n, const RwOptions *options,
                      GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  RwCodec *c = rw_codec_new_encoder (out, options);
  rw_object_begin (c, "destination_list");
  for (guint i = 0; i < n; i++)
    reload_destination_elem (c, (gpointer) &destinations[i]);
  rw_object_end (c);
  if (!rw_codec_finish (c, error))
    return NULL;
  return chorus_sip_route_decode (out->data, out->len, options, error);
}

ChorusSipRoute *
chorus_sip_route_to_node (const ReloadNodeId *node, const ReloadNodeId *via)
{
  ReloadDestination d[2];
  memset (d, 0, sizeof d);
  guint n = 0;
  if (via != NULL)
    {
      d[n].type = RELOAD_DESTINATION_NODE;
      d[n++].node_id = *via;
    }
  d[n].type = RELOAD_DESTINATION_NODE;
  d[n++].node_id = *node;
  RwOptions options = { .node_id_length = node->len };
  ChorusSipRoute *route = chorus_sip_route_new (d, n, &options, NULL);
  g_assert (route != NULL); /* Node-IDs always encode */
  return route;
}

gboolean
chorus_sip_route_equal (const ChorusSipRoute *a, const ChorusSipRoute *b)
{
  return a != NULL && b != NULL && g_bytes_equal (a->encoded, b->encoded);
}

gboolean
chorus_sip_route_final_node (const ChorusSipRoute *route, ReloadNodeId *out)
{
  if (route == NULL || route->n_destinations == 0)
    return FALSE;
  const ReloadDestination *last = &route->destinations[route->n_destinations - 1];
  if (last->compressed || last->type != RELOAD_DESTINATION_NODE)
    return FALSE;
  *out = last->node_id;
  return TRUE;
}

/* ---------------------------------------------------------------- values */

GBytes *
chorus_sip_registration_route_value (const char *contact_prefs, const ChorusSipRoute *route,
                                     const RwOptions *options, GError **error)
{
  if (route == NULL || route->n_destinations == 0)
    {
      g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID,
                   "a registration needs a destination list (RFC 7904 §3.1)");
      return NULL;
    }
  ReloadKindValue v;
  memset (&v, 0, sizeof v);
  v.sip_registration.type = RELOAD_SIP_REGISTRATION_ROUTE;
  if (contact_prefs != NULL)
    {
      v.sip_registration.contact_prefs.data = (const guint8 *) contact_prefs;
      v.sip_registration.contact_prefs.len = strlen (contact_prefs);
    }
  v.sip_registration.destination_list = route->destinations;
  v.sip_registration.n_destination_list = route->n_destinations;
  return reload_kind_value_encode (RELOAD_KIND_SIP_REGISTRATION, &v, options, error);
}

GBytes *
chorus_sip_registration_uri_value (const char *target_aor, GError **error)
{
  g_autofree char *aor = chorus_sip_aor_normalize (target_aor, NULL, NULL, error);
  if (aor == NULL)
    return NULL;
  ReloadKindValue v;
  memset (&v, 0, sizeof v);
  v.sip_registration.type = RELOAD_SIP_REGISTRATION_URI;
  v.sip_registration.uri.data = (const guint8 *) aor;
  v.sip_registration.uri.len = strlen (aor);
  return reload_kind_value_encode (RELOAD_KIND_SIP_REGISTRATION, &v, NULL, error);
}

gint64
chorus_sip_registration_refresh_at (gint64 stored_at_ms, guint32 lifetime_s)
{
  gint64 life_ms = (gint64) lifetime_s * 1000;
  gint64 at = life_ms * 8 / 10;
  if (life_ms - at < 30000)
    at = life_ms > 60000 ? life_ms - 30000 : life_ms / 2;
  return stored_at_ms + at;
}

/* ---------------------------------------------------------------- lookup */

struct _ChorusSipLookup
{
  guint max_depth;
  GHashTable *seen;   /* AOR -> depth (1-based) */
  GQueue pending;     /* AORs to fetch, owned */
  char *in_flight;    /* handed out by next_fetch, not yet answered */
  GPtrArray *targets; /* ChorusSipTarget */
  gboolean loop;
};

static void
target_free (gpointer p)
{
  ChorusSipTarget *t = p;
  chorus_sip_route_free (t->route);
  g_free (t->contact_prefs);
  g_free (t->aor);
  g_free (t);
}

ChorusSipLookup *
chorus_sip_lookup_new (const char *aor, guint max_depth, GError **error)
{
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, error);
  if (normal == NULL)
    return NULL;
  ChorusSipLookup *l = g_new0 (ChorusSipLookup, 1);
  l->max_depth = max_depth ? max_depth : CHORUS_SIP_LOOKUP_MAX_DEPTH;
  l->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l->targets = g_ptr_array_new_with_free_func (target_free);
  g_hash_table_insert (l->seen, g_strdup (normal), GUINT_TO_POINTER (1));
  g_queue_push_tail (&l->pending, g_steal_pointer (&normal));
  return l;
}

void
chorus_sip_lookup_free (ChorusSipLookup *l)
{
  if (l == NULL)
    return;
  g_hash_table_unref (l->seen);
  g_queue_clear_full (&l->pending, g_free);
  g_free (l->in_flight);
  g_ptr_array_unref (l->targets);
  g_free (l);
}

const char *
chorus_sip_lookup_next_fetch (ChorusSipLookup *l)
{
  if (l->in_flight != NULL)
    return l->in_flight;
  l->in_flight = g_queue_pop_head (&l->pending);
  return l->in_flight;
}

static gboolean
have_target (ChorusSipLookup *l, const ReloadNodeId *id)
{
  for (guint i = 0; i < l->targets->len; i++)
    {
      ChorusSipTarget *t = g_ptr_array_index (l->targets, i);
      if (reload_node_id_equal (&t->node_id, id))
        return TRUE;
    }
  return FALSE;
}

static void
add_uri_form (ChorusSipLookup *l, guint depth, const ReloadSipRegistration *reg)
{
  g_autofree char *text = g_strndup ((const char *) reg->uri.data, reg->uri.len);
  g_autofree char *next = chorus_sip_aor_normalize (text, NULL, NULL, NULL);
  if (next == NULL)
    return; /* not an AOR: nothing to follow */
  if (g_hash_table_contains (l->seen, next))
    {
      /* Forwarded back to an AOR looked up already: a loop.  The
       * devices found elsewhere still count. */
      l->loop = TRUE;
      return;
    }
  if (depth >= l->max_depth)
    {
      l->loop = TRUE;
      return;
    }
  g_hash_table_insert (l->seen, g_strdup (next), GUINT_TO_POINTER (depth + 1));
  g_queue_push_tail (&l->pending, g_steal_pointer (&next));
}

static void
add_route_form (ChorusSipLookup *l, const char *aor, RwBytes key, const ReloadSipRegistration *reg,
                const RwOptions *options)
{
  guint id_len = options && options->node_id_length ? options->node_id_length : 16;
  /* RFC 7904 §3.2: the key is the registering node's Node-ID. */
  if (key.len != id_len || reg->n_destination_list == 0)
    return;
  ReloadNodeId id = { .len = id_len };
  memcpy (id.id, key.data, key.len);
  if (have_target (l, &id))
    return;
  ChorusSipRoute *route =
      chorus_sip_route_new (reg->destination_list, reg->n_destination_list, options, NULL);
  if (route == NULL)
    return;
  ChorusSipTarget *t = g_new0 (ChorusSipTarget, 1);
  t->node_id = id;
  t->route = route;
  t->contact_prefs = g_strndup ((const char *) reg->contact_prefs.data, reg->contact_prefs.len);
  t->aor = g_strdup (aor);
  g_ptr_array_add (l->targets, t);
}

void
chorus_sip_lookup_add_values (ChorusSipLookup *l, const char *aor, const ReloadStoredData *values,
                              guint n, gint64 now_ms, const RwOptions *options)
{
  g_autofree char *normal = chorus_sip_aor_normalize (aor, NULL, NULL, NULL);
  if (normal == NULL)
    return;
  guint depth = GPOINTER_TO_UINT (g_hash_table_lookup (l->seen, normal));
  if (depth == 0)
    return; /* not an AOR of this lookup */
  if (l->in_flight != NULL && strcmp (l->in_flight, normal) == 0)
    g_clear_pointer (&l->in_flight, g_free);
  for (guint i = 0; i < n; i++)
    {
      const ReloadStoredData *sd = &values[i];
      const ReloadDataValue *dv = &sd->value.value;
      /* RFC 6940 §7.4.1.3: a removed value; §7: an expired one. */
      if (!dv->exists)
        continue;
      if (sd->lifetime == 0 || (gint64) sd->storage_time + (gint64) sd->lifetime * 1000 <= now_ms)
        continue;
      const ReloadSipRegistration *reg = &dv->typed.sip_registration;
      switch (reg->type)
        {
        case RELOAD_SIP_REGISTRATION_URI:
          add_uri_form (l, depth, reg);
          break;
        case RELOAD_SIP_REGISTRATION_ROUTE:
          add_route_form (l, normal, sd->value.key, reg, options);
          break;
        default:
          break; /* a later type: not understood, not used */
        }
    }
}

GPtrArray *
chorus_sip_lookup_targets (ChorusSipLookup *l, GError **error)
{
  if (l->targets->len == 0)
    {
      if (l->loop)
        g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_LOOP,
                     "the AOR forwards in a loop or more than %u times (RFC 7904 §3.1)",
                     l->max_depth);
      else
        g_set_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND,
                     "no device is registered for this AOR");
    }
  return l->targets;
}
