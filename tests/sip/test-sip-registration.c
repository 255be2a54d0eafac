/* test-sip-registration.c: AORs and their Resource-IDs, SIP-REGISTRATION
 * values, lookups with AOR-to-AOR forwarding and its loop limit, GRUUs
 * (RFC 7904 §3, §5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "chorus-sip-registration.h"
#include "reload-datastore.h"

#include <string.h>

/* ---------------------------------------------------------------- AORs */

static void
test_aor_normalize (void)
{
  struct
  {
    const char *in, *domain, *out;
    gboolean secure;
  } ok[] = {
    { "sip:alice@example.org", NULL, "sip:alice@example.org", FALSE },
    { "SIP:alice@EXAMPLE.Org", NULL, "sip:alice@example.org", FALSE },
    { "sips:alice@example.org", NULL, "sip:alice@example.org", TRUE },
    { "\"Alice\" <sip:alice@example.org;transport=tcp>;tag=1", NULL, "sip:alice@example.org",
      FALSE },
    { "Alice <sip:alice@example.org?subject=hello>", NULL, "sip:alice@example.org", FALSE },
    { "sip:alice@example.org;gr=AAAA", NULL, "sip:alice@example.org", FALSE },
    /* §19.1.4: an escaped character equals itself; user parts keep case */
    { "sip:%61lice@example.org", NULL, "sip:alice@example.org", FALSE },
    { "sip:Alice@example.org", NULL, "sip:Alice@example.org", FALSE },
    { "sip:a%20b@example.org", NULL, "sip:a%20b@example.org", FALSE },
    { "sip:a%2bb@example.org", NULL, "sip:a+b@example.org", FALSE },
    { "sip:a%40b@example.org", NULL, "sip:a%40b@example.org", FALSE },
    /* the certificate's user name, a bare user */
    { "alice@example.org", NULL, "sip:alice@example.org", FALSE },
    { "alice", "home.example", "sip:alice@home.example", FALSE },
    { "sip:bob@[2001:DB8::1]", NULL, "sip:bob@[2001:db8::1]", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean secure = !ok[i].secure;
      g_autofree char *n = chorus_sip_aor_normalize (ok[i].in, ok[i].domain, &secure, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (n, ==, ok[i].out);
      g_assert_cmpint (secure, ==, ok[i].secure);
      /* normal forms are fixed points */
      g_autofree char *again = chorus_sip_aor_normalize (n, NULL, NULL, NULL);
      g_assert_cmpstr (again, ==, n);
    }
  const char *bad[] = { "",
                        "tel:+15551234",
                        "sip:example.org",
                        "sip:alice:secret@example.org",
                        "sip:alice@example.org:5060",
                        "alice",
                        "sip:al ice@example.org",
                        "<sip:alice@example.org",
                        "sip:alice@exa_mple.org",
                        "http://example.org/" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *n = chorus_sip_aor_normalize (bad[i], NULL, NULL, &error);
      g_assert_null (n);
      g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);
    }
  g_assert_true (chorus_sip_aor_equal ("sip:alice@EXAMPLE.org", "<sips:%61lice@example.org>"));
  g_assert_false (chorus_sip_aor_equal ("sip:alice@example.org", "sip:Alice@example.org"));
}

static void
test_aor_user_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *aor = chorus_sip_aor_from_user_name ("alice@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (aor, ==, "sip:alice@example.org");
  g_autofree char *user = chorus_sip_aor_to_user_name ("SIPS:alice@Example.ORG", &error);
  g_assert_cmpstr (user, ==, "alice@example.org");
  /* a user name whose AOR would be hashed differently from the bytes the
   * datastore checks is refused */
  g_autofree char *bad = chorus_sip_aor_from_user_name ("alice@Example.org", &error);
  g_assert_null (bad);
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (chorus_sip_aor_from_user_name ("alice", &error));
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);
}

static void
test_aor_resource_id (void)
{
  guint8 rid[16], other[16];
  g_assert_true (chorus_sip_aor_resource_id ("sip:alice@example.org", rid, NULL));
  /* RFC 6940 §10.2: SHA-1 of the Resource Name, the top 128 bits */
  guint8 expect[16];
  const char *name = "sip:alice@example.org";
  chord_id_to_bytes (chord_id_hash (name, strlen (name)), expect);
  g_assert_cmpmem (rid, 16, expect, 16);
  /* every spelling of the AOR lands on the same Resource-ID */
  g_assert_true (
      chorus_sip_aor_resource_id ("\"A\" <SIPS:alice@EXAMPLE.org;transport=tls>", other, NULL));
  g_assert_cmpmem (rid, 16, other, 16);
  /* and the datastore's USER-NODE-MATCH accepts a Store there from the
   * certificate of alice@example.org, not from bob's */
  RwBytes r = { rid, 16 };
  g_assert_true (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, "alice@example.org", r));
  g_assert_false (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, "bob@example.org", r));
  g_autoptr (GError) error = NULL;
  g_assert_false (chorus_sip_aor_resource_id ("tel:+1", rid, &error));
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);
}

/* ---------------------------------------------------------------- values */

static ReloadNodeId
node (guint8 fill)
{
  ReloadNodeId id = { .len = 16 };
  memset (id.id, fill, 16);
  return id;
}

static void
test_registration_values (void)
{
  ReloadNodeId peer = node (0x11), client = node (0x22);
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&client, &peer);
  g_assert_cmpuint (route->n_destinations, ==, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) v =
      chorus_sip_registration_route_value ("+sip.instance=\"<urn:uuid:1>\"", route, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (RwArena) arena = rw_arena_new (1 << 16);
  ReloadKindValue kv;
  gsize len;
  const guint8 *data = g_bytes_get_data (v, &len);
  g_assert_true (
      reload_kind_value_decode (RELOAD_KIND_SIP_REGISTRATION, data, len, NULL, arena, &kv, &error));
  g_assert_cmpuint (kv.sip_registration.type, ==, RELOAD_SIP_REGISTRATION_ROUTE);
  const char *prefs = "+sip.instance=\"<urn:uuid:1>\"";
  g_assert_cmpmem (kv.sip_registration.contact_prefs.data, kv.sip_registration.contact_prefs.len,
                   prefs, strlen (prefs));
  g_assert_cmpuint (kv.sip_registration.n_destination_list, ==, 2);
  g_assert_true (reload_node_id_equal (&kv.sip_registration.destination_list[0].node_id, &peer));
  g_assert_true (reload_node_id_equal (&kv.sip_registration.destination_list[1].node_id, &client));
  ReloadNodeId last;
  g_assert_true (chorus_sip_route_final_node (route, &last));
  g_assert_true (reload_node_id_equal (&last, &client));

  g_autoptr (GBytes) u = chorus_sip_registration_uri_value ("Bob <SIP:bob@Example.org>", &error);
  data = g_bytes_get_data (u, &len);
  g_assert_true (
      reload_kind_value_decode (RELOAD_KIND_SIP_REGISTRATION, data, len, NULL, arena, &kv, &error));
  g_assert_cmpuint (kv.sip_registration.type, ==, RELOAD_SIP_REGISTRATION_URI);
  g_assert_cmpmem (kv.sip_registration.uri.data, kv.sip_registration.uri.len, "sip:bob@example.org",
                   19);

  /* refresh: at 80 % of the lifetime, at least 30 s before the end */
  g_assert_cmpint (chorus_sip_registration_refresh_at (1000, 3600), ==, 1000 + 2880000);
  g_assert_cmpint (chorus_sip_registration_refresh_at (0, 100), ==, 70000);
  g_assert_cmpint (chorus_sip_registration_refresh_at (0, 60), ==, 30000);
}

/* ---------------------------------------------------------------- lookups */

typedef struct
{
  RwArena *arena;
  GPtrArray *keep; /* GBytes the values point into */
  GArray *values;  /* ReloadStoredData */
} Fetched;

static void
fetched_init (Fetched *f)
{
  f->arena = rw_arena_new (1 << 20);
  f->keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->values = g_array_new (FALSE, TRUE, sizeof (ReloadStoredData));
}

static void
fetched_clear (Fetched *f)
{
  rw_arena_free (f->arena);
  g_ptr_array_unref (f->keep);
  g_array_unref (f->values);
}

#define NOW ((gint64) 1700000000000)

static void
fetched_add (Fetched *f, const ReloadNodeId *key, GBytes *value, gint64 stored, guint32 lifetime,
             gboolean exists)
{
  ReloadStoredData sd;
  memset (&sd, 0, sizeof sd);
  sd.storage_time = stored;
  sd.lifetime = lifetime;
  guint8 *k = rw_arena_alloc0 (f->arena, key->len);
  memcpy (k, key->id, key->len);
  sd.value.key.data = k;
  sd.value.key.len = key->len;
  sd.value.value.exists = exists;
  if (exists)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (value, &len);
      g_assert_true (reload_kind_value_decode (RELOAD_KIND_SIP_REGISTRATION, data, len, NULL,
                                               f->arena, &sd.value.value.typed, NULL));
    }
  g_ptr_array_add (f->keep, value);
  g_array_append_val (f->values, sd);
}

static GBytes *
route_value (guint8 fill)
{
  ReloadNodeId id = node (fill);
  g_autoptr (ChorusSipRoute) r = chorus_sip_route_to_node (&id, NULL);
  return chorus_sip_registration_route_value (NULL, r, NULL, NULL);
}

/* Answers every Fetch of @l from @table (AOR -> Fetched). */
static void
drive (ChorusSipLookup *l, GHashTable *table, guint *fetches)
{
  const char *aor;
  while ((aor = chorus_sip_lookup_next_fetch (l)) != NULL)
    {
      (*fetches)++;
      g_assert_cmpuint (*fetches, <, 50);
      Fetched *f = g_hash_table_lookup (table, aor);
      g_autofree char *copy = g_strdup (aor);
      if (f == NULL)
        chorus_sip_lookup_add_values (l, copy, NULL, 0, NOW, NULL);
      else
        chorus_sip_lookup_add_values (l, copy, (ReloadStoredData *) f->values->data, f->values->len,
                                      NOW, NULL);
    }
}

static void
test_lookup_devices (void)
{
  Fetched alice;
  fetched_init (&alice);
  ReloadNodeId d1 = node (1), d2 = node (2), d3 = node (3), d4 = node (4);
  fetched_add (&alice, &d1, route_value (1), NOW - 1000, 3600, TRUE);
  fetched_add (&alice, &d2, route_value (2), NOW - 1000, 3600, TRUE);
  /* expired, removed, not a Node-ID key: none counts */
  fetched_add (&alice, &d3, route_value (3), NOW - 7200 * 1000, 3600, TRUE);
  fetched_add (&alice, &d4, NULL, NOW, 3600, FALSE);
  ReloadNodeId short_key = { .len = 4, .id = { 9, 9, 9, 9 } };
  fetched_add (&alice, &short_key, route_value (5), NOW, 3600, TRUE);
  g_autoptr (GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (table, "sip:alice@example.org", &alice);
  g_autoptr (ChorusSipLookup) l = chorus_sip_lookup_new ("Alice <sip:alice@EXAMPLE.org>", 0, NULL);
  guint fetches = 0;
  drive (l, table, &fetches);
  g_assert_cmpuint (fetches, ==, 1);
  g_autoptr (GError) error = NULL;
  GPtrArray *t = chorus_sip_lookup_targets (l, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->len, ==, 2);
  ChorusSipTarget *t1 = g_ptr_array_index (t, 0);
  g_assert_true (reload_node_id_equal (&t1->node_id, &d1));
  ReloadNodeId last;
  g_assert_true (chorus_sip_route_final_node (t1->route, &last));
  g_assert_true (reload_node_id_equal (&last, &d1));
  g_assert_cmpstr (t1->aor, ==, "sip:alice@example.org");
  fetched_clear (&alice);

  /* nobody registered: 404's error */
  g_autoptr (ChorusSipLookup) none = chorus_sip_lookup_new ("sip:nobody@example.org", 0, NULL);
  fetches = 0;
  drive (none, table, &fetches);
  g_assert_cmpuint (chorus_sip_lookup_targets (none, &error)->len, ==, 0);
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_NOT_FOUND);
}

static void
test_lookup_forwarding (void)
{
  /* alice forwards to bob (URI form) and has a device of her own; bob
   * forwards back to alice (a loop) and has a device; the devices of both
   * are found, each AOR fetched once */
  Fetched alice, bob;
  fetched_init (&alice);
  fetched_init (&bob);
  ReloadNodeId a = node (0xa), b = node (0xb), x = node (0xc);
  fetched_add (&alice, &x, chorus_sip_registration_uri_value ("sip:bob@example.org", NULL), NOW,
               3600, TRUE);
  fetched_add (&alice, &a, route_value (0xa), NOW, 3600, TRUE);
  fetched_add (&bob, &x, chorus_sip_registration_uri_value ("sip:ALICE@example.org", NULL), NOW,
               3600, TRUE);
  fetched_add (&bob, &x, chorus_sip_registration_uri_value ("sip:alice@example.org", NULL), NOW,
               3600, TRUE);
  fetched_add (&bob, &b, route_value (0xb), NOW, 3600, TRUE);
  fetched_add (&bob, &a, route_value (0xa), NOW, 3600, TRUE); /* the same device again */
  g_autoptr (GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (table, "sip:alice@example.org", &alice);
  g_hash_table_insert (table, "sip:bob@example.org", &bob);
  g_autoptr (ChorusSipLookup) l = chorus_sip_lookup_new ("sip:alice@example.org", 0, NULL);
  guint fetches = 0;
  drive (l, table, &fetches);
  /* alice, bob, and ALICE (a different user part: a different AOR) */
  g_assert_cmpuint (fetches, ==, 3);
  g_autoptr (GError) error = NULL;
  GPtrArray *t = chorus_sip_lookup_targets (l, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->len, ==, 2);
  g_assert_cmpstr (((ChorusSipTarget *) g_ptr_array_index (t, 1))->aor, ==, "sip:bob@example.org");

  /* only a loop: alice -> bob -> alice, no device anywhere */
  Fetched a2, b2;
  fetched_init (&a2);
  fetched_init (&b2);
  fetched_add (&a2, &x, chorus_sip_registration_uri_value ("sip:bob@example.org", NULL), NOW, 60,
               TRUE);
  fetched_add (&b2, &x, chorus_sip_registration_uri_value ("sip:alice@example.org", NULL), NOW, 60,
               TRUE);
  g_hash_table_insert (table, "sip:alice@example.org", &a2);
  g_hash_table_insert (table, "sip:bob@example.org", &b2);
  g_autoptr (ChorusSipLookup) loop = chorus_sip_lookup_new ("sip:alice@example.org", 0, NULL);
  fetches = 0;
  drive (loop, table, &fetches);
  g_assert_cmpuint (fetches, ==, 2);
  g_assert_cmpuint (chorus_sip_lookup_targets (loop, &error)->len, ==, 0);
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_LOOP);
  fetched_clear (&alice);
  fetched_clear (&bob);
  fetched_clear (&a2);
  fetched_clear (&b2);
}

static void
test_lookup_depth_limit (void)
{
  /* u0 -> u1 -> ... -> u7, a device only at u7 */
  Fetched f[8];
  g_autoptr (GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ReloadNodeId x = node (0x77), dev = node (0x42);
  for (guint i = 0; i < 8; i++)
    {
      fetched_init (&f[i]);
      if (i < 7)
        {
          g_autofree char *next = g_strdup_printf ("sip:u%u@example.org", i + 1);
          fetched_add (&f[i], &x, chorus_sip_registration_uri_value (next, NULL), NOW, 60, TRUE);
        }
      else
        fetched_add (&f[i], &dev, route_value (0x42), NOW, 60, TRUE);
      g_hash_table_insert (table, g_strdup_printf ("sip:u%u@example.org", i), &f[i]);
    }
  g_autoptr (GError) error = NULL;
  /* the default limit, 5 AORs deep: u4 is the last fetched */
  g_autoptr (ChorusSipLookup) l = chorus_sip_lookup_new ("sip:u0@example.org", 0, NULL);
  guint fetches = 0;
  drive (l, table, &fetches);
  g_assert_cmpuint (fetches, ==, CHORUS_SIP_LOOKUP_MAX_DEPTH);
  g_assert_cmpuint (chorus_sip_lookup_targets (l, &error)->len, ==, 0);
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_LOOP);
  g_clear_error (&error);
  /* a limit of 8 reaches the device */
  g_autoptr (ChorusSipLookup) deep = chorus_sip_lookup_new ("sip:u0@example.org", 8, NULL);
  fetches = 0;
  drive (deep, table, &fetches);
  g_assert_cmpuint (fetches, ==, 8);
  GPtrArray *t = chorus_sip_lookup_targets (deep, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->len, ==, 1);
  g_assert_cmpstr (((ChorusSipTarget *) g_ptr_array_index (t, 0))->aor, ==, "sip:u7@example.org");
  for (guint i = 0; i < 8; i++)
    fetched_clear (&f[i]);
}

/* ---------------------------------------------------------------- GRUU */

static void
test_gruu (void)
{
  ReloadNodeId peer = node (0x5a), client = node (0xc3);
  g_autoptr (ChorusSipRoute) route = chorus_sip_route_to_node (&client, &peer);
  g_autoptr (GError) error = NULL;
  g_autofree char *gruu = chorus_sip_gruu_build ("Alice <SIP:alice@example.org>", route, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (gruu, "sip:alice@example.org;gr="));
  /* 36 bytes: base64 without padding, so the only "=" is the parameter's */
  g_assert_true (strchr (gruu, '=') == strrchr (gruu, '='));
  g_autofree char *aor = NULL;
  g_autoptr (ChorusSipRoute) back = NULL;
  g_assert_true (chorus_sip_gruu_parse (gruu, NULL, &aor, &back, &error));
  g_assert_cmpstr (aor, ==, "sip:alice@example.org");
  g_assert_true (chorus_sip_route_equal (route, back));
  /* the GRUU's AOR is the user's: same Resource-ID, same user */
  g_assert_true (chorus_sip_aor_equal (gruu, "sip:alice@example.org"));

  /* 20 bytes (a compressed id and a Node-ID): base64 pads with one "~" */
  ReloadDestination d[2];
  memset (d, 0, sizeof d);
  d[0].compressed = TRUE;
  d[0].type = RELOAD_DESTINATION_OPAQUE_ID;
  d[0].compressed_id = 0x8123;
  d[1].type = RELOAD_DESTINATION_NODE;
  d[1].node_id = client;
  g_autoptr (ChorusSipRoute) padded = chorus_sip_route_new (d, 2, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *g2 = chorus_sip_gruu_build ("sip:alice@example.org", padded, NULL);
  g_assert_true (g_str_has_suffix (g2, "~"));
  g_assert_null (strchr (g2 + strlen ("sip:alice@example.org;gr="), '='));
  g_autofree char *wrapped = g_strdup_printf ("\"Alice\" <%s>", g2);
  g_autoptr (ChorusSipRoute) back2 = NULL;
  g_assert_true (chorus_sip_gruu_parse (wrapped, NULL, NULL, &back2, &error));
  g_assert_true (chorus_sip_route_equal (padded, back2));
  g_assert_cmpuint (back2->destinations[0].compressed_id, ==, 0x8123);

  /* no gr: not a GRUU, no error */
  g_assert_false (chorus_sip_gruu_parse ("sip:alice@example.org", NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* gr that is not a destination list */
  const char *bad[] = { "sip:a@example.org;gr=%%%%", "sip:a@example.org;gr=AAA",
                        "sip:a@example.org;gr=A~AA", "sip:a@example.org;gr=AQE~" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_assert_false (chorus_sip_gruu_parse (bad[i], NULL, NULL, NULL, &e));
      g_assert_nonnull (e);
    }
  /* no route, no GRUU */
  g_assert_null (chorus_sip_gruu_build ("sip:alice@example.org", NULL, &error));
  g_assert_error (error, CHORUS_SIP_ERROR, CHORUS_SIP_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/aor/normalize", test_aor_normalize);
  g_test_add_func ("/sip/aor/user-name", test_aor_user_name);
  g_test_add_func ("/sip/aor/resource-id", test_aor_resource_id);
  g_test_add_func ("/sip/registration/values", test_registration_values);
  g_test_add_func ("/sip/registration/lookup-devices", test_lookup_devices);
  g_test_add_func ("/sip/registration/lookup-forwarding", test_lookup_forwarding);
  g_test_add_func ("/sip/registration/lookup-depth-limit", test_lookup_depth_limit);
  g_test_add_func ("/sip/gruu", test_gruu);
  return g_test_run ();
}
