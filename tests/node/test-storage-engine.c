/* test-storage-engine.c: the storage engine (overlay/node/reload-storage.h),
 * RFC 6940 §7: every data model through Store, Fetch, Stat and Find, and
 * every rule of §7.4.1 accepted and rejected: generation counters, storage
 * times, limits, unknown kinds, removal, lifetimes, signatures, the access
 * control policies of §7.3 (data signer and request signer), replica
 * stores, export to a fresh storage, drop_outside.
 *
 * Requests are built in their own arena, freed right after each call, so
 * that ASan catches any pointer the engine kept into a request.
 *
 * The fixture and the fake verifier are in storage-fixture.c; the access
 * control policies through Store, replicas, Find, export and raw requests
 * are in test-storage-policies.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "storage-fixture.h"

/* ---------------------------------------------------------------- kind table */

static void
test_kind_table (void)
{
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  const ReloadKindDef *d = reload_kind_table_lookup (t, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_nonnull (d);
  g_assert_cmpstr (d->name, ==, "SIP-REGISTRATION");
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_DICTIONARY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_USER_NODE_MATCH);
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_SINGLE);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_MULTIPLE);
  g_assert_cmpuint (d->max_node_multiple, ==, 20);
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_NODE);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_MATCH);
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_USER);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_ARRAY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_USER_MATCH);
  g_assert_cmpuint (d->max_count, >, 0);
  g_assert_cmpuint (d->max_size, >=, 4096); /* a DER certificate fits */
  d = reload_kind_table_lookup (t, RELOAD_KIND_REDIR);
  g_assert_cmpint (d->model, ==, RELOAD_DATA_MODEL_DICTIONARY);
  g_assert_cmpint (d->policy, ==, RELOAD_ACCESS_NODE_ID_MATCH);
  g_assert_null (reload_kind_table_lookup (t, 4242));
  g_assert_cmpint (reload_kind_table_model (RELOAD_KIND_TURN_SERVICE, t), ==,
                   RELOAD_DATA_MODEL_SINGLE);
  g_assert_cmpint (reload_kind_table_model (4242, t), ==, RELOAD_DATA_MODEL_UNKNOWN);

  /* A kind-block of the configuration replaces the default. */
  char name[] = "TURN-SERVICE";
  ReloadKindDef turn = {
    RELOAD_KIND_TURN_SERVICE, name, RELOAD_DATA_MODEL_SINGLE, RELOAD_ACCESS_NODE_MULTIPLE, 1, 50, 5
  };
  reload_kind_table_add (t, &turn);
  name[0] = 'X'; /* the table keeps its own copy */
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  g_assert_cmpstr (d->name, ==, "TURN-SERVICE");
  g_assert_cmpuint (d->max_node_multiple, ==, 5);
  g_assert_cmpuint (d->max_size, ==, 50);

  ReloadKindTable *t2 = reload_kind_table_ref (t);
  g_assert_true (t2 == t);
  reload_kind_table_unref (t2);
}

/* ---------------------------------------------------------------- access control (§7.3) */

static void
test_access_user_name (void)
{
  Rid plain = rid_of ("alice@example.org");
  Rid aor = rid_of ("sip:alice@example.org");
  Rid other = rid_of ("sip:bob@example.org");
  g_assert_true (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&plain)));
  g_assert_true (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&aor)));
  g_assert_false (
      reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, alice, rb (&other)));
  /* The AOR form is for SIP-REGISTRATION only. */
  g_assert_true (
      reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice, rb (&plain)));
  g_assert_false (
      reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice, rb (&aor)));
  /* Bytes: no case folding; no user; a Resource-ID of another length. */
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION,
                                                   "Alice@example.org", rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, NULL, rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_SIP_REGISTRATION, "", rb (&aor)));
  g_assert_false (reload_access_user_name_matches (RELOAD_KIND_CERTIFICATE_BY_USER, alice,
                                                   (RwBytes){ plain.b, 15 }));
}

static void
test_access_policies (void)
{
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  ReloadNodeId n1 = node (1), n2 = node (2);
  ReloadSignerInfo alice_n1 = { alice, &n1, 1 };
  ReloadSignerInfo bob_n2 = { bob, &n2, 1 };
  ReloadSignerInfo nobody = { NULL, NULL, 0 };
  ReloadStoredDataValue key_n1 = { 0 }, key_n2 = { 0 };
  key_n1.key = (RwBytes){ n1.id, 16 };
  key_n2.key = (RwBytes){ n2.id, 16 };

  /* USER-MATCH §7.3.1 */
  const ReloadKindDef *d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_USER);
  Rid r = rid_of (alice);
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &nobody));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, NULL));

  /* NODE-MATCH §7.3.2 */
  d = reload_kind_table_lookup (t, RELOAD_KIND_CERTIFICATE_BY_NODE);
  r = rid_of_node (&n1);
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
  /* at the Node-ID itself, not its hash: no */
  Rid raw_node;
  memcpy (raw_node.b, n1.id, 16);
  g_assert_false (reload_access_allowed (d, rb (&raw_node), NULL, &alice_n1));

  /* USER-NODE-MATCH §7.3.3 */
  d = reload_kind_table_lookup (t, RELOAD_KIND_SIP_REGISTRATION);
  r = rid_of ("sip:alice@example.org");
  g_assert_true (reload_access_allowed (d, rb (&r), &key_n1, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &alice_n1)); /* key */
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &bob_n2));   /* user */
  g_assert_true (reload_access_allowed (d, rb (&r), NULL, &alice_n1));     /* resource only */
  /* only with dictionaries */
  ReloadKindDef single_unm = *d;
  single_unm.model = RELOAD_DATA_MODEL_SINGLE;
  g_assert_false (reload_access_allowed (&single_unm, rb (&r), &key_n1, &alice_n1));

  /* NODE-MULTIPLE §7.3.4: i from 0 to max-node-multiple (20). */
  d = reload_kind_table_lookup (t, RELOAD_KIND_TURN_SERVICE);
  for (guint32 i = 0; i <= 21; i++)
    {
      r = rid_of_chord (reload_access_node_multiple_id (&n1, i));
      g_assert_cmpint (reload_access_allowed (d, rb (&r), NULL, &alice_n1), ==, i <= 20);
      g_assert_false (reload_access_allowed (d, rb (&r), NULL, &bob_n2));
    }
  /* H(Node-ID || i) with i a big-endian uint32 */
  guint8 buf[20];
  memcpy (buf, n1.id, 16);
  memcpy (buf + 16, (guint8[]){ 0, 0, 0, 7 }, 4);
  g_assert_true (chord_id_equal (reload_access_node_multiple_id (&n1, 7), chord_id_hash (buf, 20)));

  /* NODE-ID-MATCH (RFC 7374): the key is the signer's Node-ID. */
  d = reload_kind_table_lookup (t, RELOAD_KIND_REDIR);
  r = rid_of ("redir-tree-node");
  g_assert_true (reload_access_allowed (d, rb (&r), &key_n1, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n2, &alice_n1));
  g_assert_false (reload_access_allowed (d, rb (&r), &key_n1, &nobody));
}

/* ---------------------------------------------------------------- single value */

static void
test_single (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* Nothing stored: one synthetic value, generation 0 (§7.4.2.2). */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  assert_synthetic (&fa.kind_responses[0].values[0]);

  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_SINGLE, 0);
  req_value (rq, k, 1000, 60, "abc", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.n_kind_responses, ==, 1);
  g_assert_cmpuint (ans.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  g_assert_cmpuint (ans.kind_responses[0].n_replicas, ==, 0);
  g_assert_cmpuint (f.n_verified, ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);

  fa = fetch_ok (&f, &q, T0 + 10000);
  g_assert_cmpuint (fa.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 1);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *d = &fa.kind_responses[0].values[0];
  assert_value (d, "abc");
  g_assert_cmpuint (d->storage_time, ==, 1000);
  g_assert_cmpuint (d->lifetime, ==, 50); /* what remains */
  g_assert_cmpuint (d->signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_CERT_HASH);
  g_assert_cmpmem (d->signature.signature_value.data, d->signature.signature_value.len,
                   "alice@example.org|", 18);

  /* Overwrite (§7.4.1.1 "overwrites any existing value"). */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_SINGLE, 1);
  req_value (rq, k, 2000, 60, "xyz", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "xyz");

  /* The requester's generation matches: no values (§7.4.2.1). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 2);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 2);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 1);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);

  /* Stat (§7.4.3.2): length and SHA-256 over the value with its length. */
  ReloadStatAns sa = stat_ok (&f, &q, T0 + 1000);
  g_assert_cmpuint (sa.kind_responses[0].generation, ==, 2);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredMetaData *m = &sa.kind_responses[0].values[0];
  g_assert_cmpuint (m->storage_time, ==, 2000);
  g_assert_cmpuint (m->lifetime, ==, 59);
  g_assert_true (m->metadata.value.exists);
  g_assert_cmpuint (m->metadata.value.value_length, ==, 3);
  g_assert_cmpuint (m->metadata.value.hash_algorithm, ==, RELOAD_HASH_SHA256);
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sha, (const guint8 *) "\0\0\0\3xyz", 7);
  guint8 digest[32];
  gsize dlen = 32;
  g_checksum_get_digest (sha, digest, &dlen);
  g_assert_cmpmem (m->metadata.value.hash_value.data, m->metadata.value.hash_value.len, digest, 32);

  /* Stat of nothing: a synthetic entry without a hash. */
  Rid empty = rid_of ("nobody@example.org");
  fetch_init (&q, &empty);
  spec_add (&q, KIND_SINGLE, 0);
  sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 1);
  g_assert_false (sa.kind_responses[0].values[0].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.hash_algorithm, ==, 0);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.hash_value.len, ==, 0);

  /* The answers encode (they hold what the codec needs). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  fa = fetch_ok (&f, &q, T0);
  g_autoptr (GBytes) enc = encode_body (reload_fetch_ans_body, &fa, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (enc), >, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- array */

static void
test_array (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* §7.2.2: "a Store of "X" at index 2 in an empty array produces an array
   * with the values [ NA, NA, "X"]". */
  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_ARRAY, 0);
  req_array_value (rq, k, 1000, 2, "X", alice);
  store_ok (&f, rq, rs, T0);

  Fetch q;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 3);
  for (guint i = 0; i < 2; i++)
    {
      assert_synthetic (&fa.kind_responses[0].values[i]);
      g_assert_cmpuint (fa.kind_responses[0].values[i].value.index, ==, i);
    }
  assert_value (&fa.kind_responses[0].values[2], "X");
  g_assert_cmpuint (fa.kind_responses[0].values[2].value.index, ==, 2);

  /* Appends (index 0xffffffff) go after the last element, and come back
   * with their real index (§7.4.1.1). */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_ARRAY, 1);
  req_array_value (rq, k, 1001, RELOAD_ARRAY_INDEX_APPEND, "Y", alice);
  req_array_value (rq, k, 1001, RELOAD_ARRAY_INDEX_APPEND, "Z", alice);
  req_array_value (rq, k, 1001, 0, "W", alice);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2); /* one per kind */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 4);
  g_assert_cmpuint (reload_storage_n_values_of_kind (f.s, KIND_ARRAY), ==, 4);
  g_assert_cmpuint (reload_storage_n_values_of_kind (f.s, KIND_ARRAY + 1), ==, 0);

  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 5);
  assert_value (&fa.kind_responses[0].values[0], "W");
  assert_synthetic (&fa.kind_responses[0].values[1]);
  assert_value (&fa.kind_responses[0].values[2], "X");
  assert_value (&fa.kind_responses[0].values[3], "Y");
  assert_value (&fa.kind_responses[0].values[4], "Z");
  g_assert_cmpuint (fa.kind_responses[0].values[3].value.index, ==, 3);
  g_assert_cmpuint (fa.kind_responses[0].values[4].value.index, ==, 4);

  /* Several ranges; 0xffffffff as both bounds is the last element; a range
   * past the end gives nothing. */
  fetch_init (&q, &r);
  ReloadStoredDataSpecifier *sp = spec_add (&q, KIND_ARRAY, 0);
  spec_range (sp, 2, 3);
  spec_range (sp, 0, 0);
  spec_range (sp, 7, 100);
  spec_range (sp, RELOAD_ARRAY_INDEX_LAST, RELOAD_ARRAY_INDEX_LAST);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 4);
  assert_value (&fa.kind_responses[0].values[0], "X");
  assert_value (&fa.kind_responses[0].values[1], "Y");
  assert_value (&fa.kind_responses[0].values[2], "W");
  assert_value (&fa.kind_responses[0].values[3], "Z");

  /* No range: nothing. */
  fetch_init (&q, &r);
  spec_add (&q, KIND_ARRAY, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);

  /* §7.4.2.1: first <= last, and ranges must not overlap. */
  ReloadFetchAns bad;
  ReloadErrorResponse err;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 3, 2);
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &bad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);
  fetch_init (&q, &r);
  sp = spec_add (&q, KIND_ARRAY, 0);
  spec_range (sp, 0, 2);
  spec_range (sp, 2, 4);
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &bad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);
  ReloadStatAns sbad;
  g_assert_cmpint (reload_storage_stat (f.s, &q.req, T0, f.arena, &sbad, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);

  /* Stat gives the indices. */
  fetch_init (&q, &r);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, 2);
  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 3);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.index, ==, 0);
  g_assert_true (sa.kind_responses[0].values[0].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[1].metadata.index, ==, 1);
  g_assert_false (sa.kind_responses[0].values[1].metadata.value.exists);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.index, ==, 2);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.value.value_length, ==, 1);
  g_assert_cmpuint (sa.kind_responses[0].values[2].metadata.key.len, ==, 0);

  /* An answer larger than the caller's arena allows: Error_Response_Too_Large. */
  {
    g_autoptr (RwArena) small = rw_arena_new (300);
    fetch_init (&q, &r);
    spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
    g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, small, &bad, &err), ==,
                     RELOAD_STORAGE_ERROR);
    g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_RESPONSE_TOO_LARGE);
  }

  /* An empty array: no values for any range. */
  Rid empty = rid_of ("nobody@example.org");
  fetch_init (&q, &empty);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- dictionary */

static void
test_dictionary (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 1000, "b", "two", alice, NULL);
  req_dict_value (rq, k, 1000, "a", "one", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Requested keys, a missing one synthetic with its key. */
  Fetch q;
  fetch_init (&q, &r);
  ReloadStoredDataSpecifier *sp = spec_add (&q, KIND_DICT, 0);
  spec_key (sp, "b");
  spec_key (sp, "zz");
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "two");
  g_assert_cmpmem (fa.kind_responses[0].values[0].value.key.data,
                   fa.kind_responses[0].values[0].value.key.len, "b", 1);
  assert_synthetic (&fa.kind_responses[0].values[1]);
  g_assert_cmpmem (fa.kind_responses[0].values[1].value.key.data,
                   fa.kind_responses[0].values[1].value.key.len, "zz", 2);

  /* No keys: a wildcard fetch, every pair, in key order (§7.4.2.1). */
  fetch_init (&q, &r);
  spec_add (&q, KIND_DICT, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "one");
  assert_value (&fa.kind_responses[0].values[1], "two");

  /* Replace one key. */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_DICT, 1);
  req_dict_value (rq, k, 1001, "a", "uno", alice, NULL);
  store_ok (&f, rq, rs, T0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 2);
  assert_value (&fa.kind_responses[0].values[0], "uno");
  assert_value (&fa.kind_responses[0].values[1], "two");

  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].n_values, ==, 2);
  g_assert_cmpmem (sa.kind_responses[0].values[1].metadata.key.data,
                   sa.kind_responses[0].values[1].metadata.key.len, "b", 1);
  g_assert_cmpuint (sa.kind_responses[0].values[1].metadata.value.value_length, ==, 3);

  /* Several kinds in one Fetch, one response each, in order. */
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_DICT, 0);
  fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (fa.kind_responses[1].kind, ==, KIND_DICT);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 2);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- generation counters */

static void
test_generation (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  for (guint64 t = 1; t <= 3; t++)
    {
      Req *rq = req_new (&r, 0);
      req_value (rq, req_kind (rq, KIND_SINGLE, 0), t, 60, "v", alice, NULL); /* 0: unconditional */
      store_ok (&f, rq, rs, T0);
    }
  Req *rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Too low (§7.4.1.2): the error_info is a StoreAns with the current
   * counter of every kind of the request, no replicas. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 2), 10, 60, "new", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 1), 10, "k", "new", alice, NULL);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 10, 0, "new", alice);
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);
  g_assert_nonnull (err.store_ans);
  g_assert_cmpuint (err.store_ans->n_kind_responses, ==, 3);
  g_assert_cmpuint (err.store_ans->kind_responses[0].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (err.store_ans->kind_responses[0].generation_counter, ==, 3);
  g_assert_cmpuint (err.store_ans->kind_responses[0].n_replicas, ==, 0);
  g_assert_cmpuint (err.store_ans->kind_responses[1].kind, ==, KIND_DICT);
  g_assert_cmpuint (err.store_ans->kind_responses[1].generation_counter, ==, 1);
  g_assert_cmpuint (err.store_ans->kind_responses[2].kind, ==, KIND_ARRAY);
  g_assert_cmpuint (err.store_ans->kind_responses[2].generation_counter, ==, 0);
  /* The error encodes as the RFC says (the codec's job, with our data). */
  g_autoptr (GBytes) info =
      encode_body (reload_store_ans_body, err.store_ans, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (info), ==, 2 + 3 * (4 + 8 + 2));
  /* Nothing was stored: not even the array, whose counter was 0. */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "v");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 3);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 0);

  /* Above the current counter: refused the same way (it must equal it). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 10, 60, "new", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);
  g_assert_cmpuint (err.store_ans->kind_responses[0].generation_counter, ==, 3);

  /* Nonzero on a kind with nothing stored (counter 0): refused. */
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 1), 10, 0, "new", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_GENERATION_COUNTER_TOO_LOW);

  /* The current one: accepted, incremented. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 3), 10, 60, "new", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 4);

  /* An empty StoreKindData changes nothing and reports the counter. */
  rq = req_new (&r, 0);
  req_kind (rq, KIND_SINGLE, 0);
  req_kind (rq, KIND_ARRAY, 0);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 4);
  g_assert_cmpuint (ans.kind_responses[1].generation_counter, ==, 0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- storage time */

static void
test_storage_time (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 60, "v1", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* Older: Error_Data_Too_Old (§7). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 4999, 60, "old", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Same time, other value: refused ("greater than", §7.4.1.1). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 60, "v2", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Same time, same StoredData (another lifetime): a refresh.  The data,
   * hence the counter, stay; the lifetime restarts. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5000, 100, "v1", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0 + 30000, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 30000 + 100000);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0 + 30000);
  assert_value (&fa.kind_responses[0].values[0], "v1");
  g_assert_cmpuint (fa.kind_responses[0].values[0].lifetime, ==, 100);

  /* Newer: accepted. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5001, 60, "v3", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);

  /* Within one request, values are processed in turn: a second value for
   * the same key older than the first fails the whole request. */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 100, "k", "first", alice, NULL);
  req_dict_value (rq, k, 99, "k", "second", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);

  /* Only the values replaced count: another key may be older. */
  rq = req_new (&r, 0);
  k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 100, "k1", "a", alice, NULL);
  req_dict_value (rq, k, 50, "k2", "b", alice, NULL);
  store_ok (&f, rq, rs, T0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- limits */

static void
test_limits (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* max-size (16 bytes for the test kinds): of the value itself. */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "0123456789abcdef", alice, NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2, 60, "0123456789abcdefg", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);

  /* max-count (3 for the dictionary). */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 1, "a", "1", alice, NULL);
  req_dict_value (rq, k, 1, "b", "2", alice, NULL);
  req_dict_value (rq, k, 1, "c", "3", alice, NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "d", "4", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  /* replacing an existing key keeps the count */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "c", "33", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* max-count of an array (10) bounds its length, gaps included. */
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 9, "last", alice);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 10, "over", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, RELOAD_ARRAY_INDEX_APPEND, "over", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  rq = req_new (&r, 0);
  req_array_value (rq, req_kind (rq, KIND_ARRAY, 0), 1, 4000000000u, "far", alice);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);

  /* All or nothing: the first kind is fine, the second too large. */
  guint64 before = reload_storage_n_values (f.s);
  Rid r2 = rid_of (alice); /* same resource, fresh kinds' state checked */
  rq = req_new (&r2, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 100, 60, "fine", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 100, "e", "5", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_LARGE);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, before);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "0123456789abcdef");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- unknown kinds, malformed */

static void
test_unknown_kind (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED_2, 0), 1, 60, "x", alice, NULL);
  ReloadErrorResponse err;
  g_assert_cmpint (do_store (&f, rq, rs, T0, NULL, &err), ==, RELOAD_STORAGE_ERROR);
  /* §7.4.1.2: all the Kinds that were unrecognized. */
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);
  g_assert_cmpuint (err.n_unknown_kinds, ==, 2);
  g_assert_cmpuint (err.unknown_kinds[0], ==, KIND_NOT_CONFIGURED);
  g_assert_cmpuint (err.unknown_kinds[1], ==, KIND_NOT_CONFIGURED_2);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  g_assert_cmpuint (f.n_verified, ==, 0);

  /* Fetch and Stat (§7.4.1.2 "any type of request"). */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_NOT_CONFIGURED, 0);
  ReloadFetchAns fa;
  g_assert_cmpint (reload_storage_fetch (f.s, &q.req, T0, f.arena, &fa, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);
  g_assert_cmpuint (err.n_unknown_kinds, ==, 1);
  g_assert_cmpuint (err.unknown_kinds[0], ==, KIND_NOT_CONFIGURED);
  ReloadStatAns sa;
  g_assert_cmpint (reload_storage_stat (f.s, &q.req, T0, f.arena, &sa, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_UNKNOWN_KIND);

  /* A Kind-ID twice in one Store (§7.4.1.1). */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "x", alice, NULL);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2, 60, "y", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_INVALID_MESSAGE);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- removal, lifetime */

static void
test_remove (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);

  /* §7.4.1.3: exists = False, value = {}. */
  rq = req_new (&r, 0);
  ReloadStoredData *d = req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 2, "k", NULL, alice, NULL);
  d->lifetime = 600;
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 2);
  /* "Storing nodes MUST treat these nonexistent values the same way they
   * treat any other stored value": kept, counted, signed. */
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_DICT, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *got = &fa.kind_responses[0].values[0];
  assert_value (got, NULL);
  g_assert_cmpuint (got->storage_time, ==, 2);
  g_assert_cmpuint (got->signature.identity.identity_type, ==, RELOAD_SIGNER_IDENTITY_CERT_HASH);
  g_assert_cmpuint (got->signature.signature_value.len, >, 0);

  /* An older value cannot come back while the removal lives. */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);

  /* Find ignores a resource whose values are all removed. */
  ReloadFindReq fr = { .resource = rb (&r), .kinds = (guint32[]){ KIND_DICT }, .n_kinds = 1 };
  ReloadFindAns fna;
  ReloadErrorResponse err;
  ChordId zero = { 0, 0 };
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0, f.arena, &fna, &err), ==,
                   RELOAD_STORAGE_OK);
  static const guint8 zeros[16] = { 0 };
  g_assert_cmpmem (fna.results[0].closest.data, fna.results[0].closest.len, zeros, 16);

  /* When its lifetime ends it is simply removed. */
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 600000), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  fix_clear (&f);
}

static void
test_lifetime (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  /* storage_time is the writer's clock, far from ours: the lifetime counts
   * from the receipt (§7). */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 42, 60, "v", alice, NULL);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 42, "a", "1", alice, NULL)->lifetime = 30;
  req_dict_value (rq, k, 42, "b", "2", alice, NULL)->lifetime = 90;
  store_ok (&f, rq, rs, T0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 30000);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 3);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_add (&q, KIND_DICT, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0 + 29999);
  g_assert_cmpuint (fa.kind_responses[0].values[0].lifetime, ==, 30);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 2);
  g_assert_cmpuint (fa.kind_responses[1].values[0].lifetime, ==, 0);

  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 29999), ==, 0);
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 30000), ==, 1);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 60000);
  /* A fetch never returns an expired value, expire() called or not. */
  fa = fetch_ok (&f, &q, T0 + 60000);
  assert_synthetic (&fa.kind_responses[0].values[0]);
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 1);
  assert_value (&fa.kind_responses[1].values[0], "2");
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, T0 + 90000);
  g_assert_cmpuint (reload_storage_expire (f.s, T0 + 100000), ==, 1);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 0);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);

  /* Once a kind has expired entirely its counter starts again. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "again", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, rs, T0 + 200000, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- signatures */

static void
test_signatures (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);

  /* identity none (§7.4.1.1) */
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.identity.identity_type = RELOAD_SIGNER_IDENTITY_NONE;
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* algorithms {0, 0} */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.hash_algorithm = RELOAD_HASH_NONE;
  d->signature.signature_algorithm = RELOAD_SIG_ANONYMOUS;
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (f.n_verified, ==, 0);
  /* one of them anonymous only: goes to verification */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "v", alice, NULL);
  d->signature.hash_algorithm = RELOAD_HASH_NONE;
  store_ok (&f, rq, rs, T0);
  g_assert_cmpuint (f.n_verified, ==, 1);
  /* a bad signature (the verify function says so); the second value's
   * failure undoes the first */
  rq = req_new (&r, 0);
  ReloadStoreKindData *k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 2, "a", "1", alice, NULL);
  d = req_dict_value (rq, k, 2, "b", "2", alice, NULL);
  d->signature.signature_value = req_text (rq, "BAD");
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  /* an unsigned request (no request signer) */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5, 60, "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, NULL, T0), ==, RELOAD_ERROR_FORBIDDEN);
  fix_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/kind-table", test_kind_table);
  g_test_add_func ("/storage/access/user-name", test_access_user_name);
  g_test_add_func ("/storage/access/policies", test_access_policies);
  g_test_add_func ("/storage/model/single", test_single);
  g_test_add_func ("/storage/model/array", test_array);
  g_test_add_func ("/storage/model/dictionary", test_dictionary);
  g_test_add_func ("/storage/store/generation", test_generation);
  g_test_add_func ("/storage/store/storage-time", test_storage_time);
  g_test_add_func ("/storage/store/limits", test_limits);
  g_test_add_func ("/storage/store/unknown-kind", test_unknown_kind);
  g_test_add_func ("/storage/store/remove", test_remove);
  g_test_add_func ("/storage/store/lifetime", test_lifetime);
  g_test_add_func ("/storage/store/signatures", test_signatures);
  return g_test_run ();
}
