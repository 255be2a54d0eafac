/* test-storage-policies.c: the storage engine (overlay/node/reload-storage.h),
 * RFC 6940 §7: the access control policies of §7.3 through Store (data
 * signer and request signer), replica stores (§10.4), Find (§7.4.4),
 * export to a fresh storage, drop_outside, new kinds, requests decoded
 * without the kind table.  Fixture: storage-fixture.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "storage-fixture.h"

/* ---------------------------------------------------------------- policies through Store */

static void
fill_sip (Req *rq, ReloadStoredData *d, const char *uri)
{
  d->value.value.typed.sip_registration.type = RELOAD_SIP_REGISTRATION_URI;
  d->value.value.typed.sip_registration.uri = req_text (rq, uri);
}

static void
test_policy_user_node_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid aor = rid_of ("sip:alice@example.org");
  const ReloadSignerInfo *rs = signer (&f, alice, &n1);

  /* SIP-REGISTRATION: at H(AOR), key = the registering Node-ID. */
  Req *rq = req_new (&aor, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);

  /* The data signer's key is another node's. */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.2");
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* Bob's data at Alice's AOR. */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", bob, &n2);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_sip (rq, d, "sip:bob@192.0.2.2");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* Good data, but the request is signed by another node of Alice's: the
   * request signer must conform too (§7.3). */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.3");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... or by Bob */
  rq = req_new (&aor, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 2, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.3");
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);

  /* At H(user name) too (the normalisation accepts both forms). */
  Rid plain = rid_of (alice);
  rq = req_new (&plain, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);

  /* The registration comes back typed. */
  Fetch q;
  fetch_init (&q, &aor);
  spec_add (&q, RELOAD_KIND_SIP_REGISTRATION, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *got = &fa.kind_responses[0].values[0];
  g_assert_true (got->value.value.exists);
  g_assert_cmpmem (got->value.key.data, got->value.key.len, n1.id, 16);
  g_assert_cmpuint (got->value.value.typed.sip_registration.type, ==, RELOAD_SIP_REGISTRATION_URI);
  g_assert_cmpmem (got->value.value.typed.sip_registration.uri.data,
                   got->value.value.typed.sip_registration.uri.len, "sip:alice@192.0.2.1", 19);
  /* Stat measures the encoded value: type(1) length(2) uri-length(2) uri */
  ReloadStatAns sa = stat_ok (&f, &q, T0);
  g_assert_cmpuint (sa.kind_responses[0].values[0].metadata.value.value_length, ==, 1 + 2 + 2 + 19);
  fix_clear (&f);
}

static void
test_policy_user_match (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  static const guint8 der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 1,
                                         RELOAD_ARRAY_INDEX_APPEND, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  store_ok (&f, rq, rs, T0);

  /* Bob's certificate at Alice's name: data signer refused. */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2,
                       RELOAD_ARRAY_INDEX_APPEND, "", bob);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* Alice's data in a request Bob signed: request signer refused. */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2,
                       RELOAD_ARRAY_INDEX_APPEND, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... also when the request carries no value of the kind. */
  rq = req_new (&r, 0);
  req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, bob, NULL), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* The AOR form is not a user name for certificates. */
  Rid aor = rid_of ("sip:alice@example.org");
  rq = req_new (&aor, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 2, 0, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_range (spec_add (&q, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].n_values, ==, 1);
  g_assert_cmpmem (fa.kind_responses[0].values[0].value.value.typed.certificate.data,
                   fa.kind_responses[0].values[0].value.value.typed.certificate.len, der,
                   sizeof der);
  fix_clear (&f);
}

static void
test_policy_node_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid r = rid_of_node (&n1);
  static const guint8 der[] = { 0x30, 0x00 };
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 1, 0, "", NULL);
  sign_as (rq, &d->signature, alice, &n1);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  store_ok (&f, rq, signer (&f, alice, &n1), T0);

  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", NULL);
  sign_as (rq, &d->signature, alice, &n2);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", NULL);
  sign_as (rq, &d->signature, alice, &n1);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* a signer without Node-ID */
  rq = req_new (&r, 0);
  d = req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_NODE, 0), 2, 1, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, der, sizeof der);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, alice, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);
  fix_clear (&f);
}

static void
fill_turn (ReloadStoredData *d, guint8 iteration)
{
  ReloadTurnServer *t = &d->value.value.typed.turn_server;
  t->iteration = iteration;
  t->server_address.type = RELOAD_ADDRESS_IPV4;
  memcpy (t->server_address.addr, (guint8[]){ 198, 51, 100, 7 }, 4);
  t->server_address.port = 3478;
}

static void
test_policy_node_multiple (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  const ReloadSignerInfo *rs = signer (&f, NULL, &n1);
  for (guint32 i = 1; i <= 21; i++)
    {
      Rid r = rid_of_chord (reload_access_node_multiple_id (&n1, i));
      Req *rq = req_new (&r, 0);
      ReloadStoredData *d =
          req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 1, 600, "", NULL, &n1);
      fill_turn (d, (guint8) i);
      if (i <= 20)
        store_ok (&f, rq, rs, T0);
      else
        g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_FORBIDDEN);
    }
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 20);
  /* another node's */
  Rid r = rid_of_chord (reload_access_node_multiple_id (&n1, 3));
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 2, 600, "", NULL, &n2);
  fill_turn (d, 3);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* good data, request signed by another node */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 2, 600, "", NULL, &n1);
  fill_turn (d, 3);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n2), T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, RELOAD_KIND_TURN_SERVICE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  g_assert_cmpuint (fa.kind_responses[0].values[0].value.value.typed.turn_server.iteration, ==, 3);
  g_assert_cmpuint (
      fa.kind_responses[0].values[0].value.value.typed.turn_server.server_address.port, ==, 3478);
  fix_clear (&f);
}

static void
fill_redir (Req *rq, ReloadStoredData *d, const ReloadNodeId *provider)
{
  ReloadRedirServiceProvider *p = &d->value.value.typed.redir;
  p->service_provider = *provider;
  p->name_space = req_text (rq, "turn");
  p->level = 2;
  p->node = 1;
}

static void
test_policy_node_id_match (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1), n2 = node (2);
  Rid r = rid_of ("redir tree node");
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 1, 600, "", NULL, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_redir (rq, d, &n1);
  store_ok (&f, rq, signer (&f, NULL, &n1), T0);

  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 1, 600, "", NULL, &n1);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_redir (rq, d, &n1);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);

  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_REDIR, 0), 2, 600, "", NULL, &n2);
  d->value.key = req_bytes (rq, n2.id, 16);
  fill_redir (rq, d, &n2);
  g_assert_cmpuint (store_fails (&f, rq, signer (&f, NULL, &n1), T0), ==, RELOAD_ERROR_FORBIDDEN);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- replica stores (§10.4) */

static void
test_replica (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  ReloadNodeId responsible = node (9);
  /* The sender is the responsible peer, not the owner: its signature on
   * the request is not held against the policy; the data's is. */
  const ReloadSignerInfo *peer = signer (&f, "peer@example.org", &responsible);
  Req *rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 7), 1, 60, "v", alice, NULL);
  ReloadStoreAns ans;
  g_assert_cmpint (do_store (&f, rq, peer, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  /* "the peer MUST set the generation counter to match" */
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 7);
  /* a lower counter is not checked */
  rq = req_new (&r, 2);
  req_value (rq, req_kind (rq, KIND_SINGLE, 3), 2, 60, "w", alice, NULL);
  g_assert_cmpint (do_store (&f, rq, NULL, T0, &ans, NULL), ==, RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.kind_responses[0].generation_counter, ==, 3);
  /* "Replica Stores MUST NOT use a generation counter of 0." */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 3, 60, "x", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_INVALID_MESSAGE);
  /* The data signer is still checked. */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 3, 60, "x", bob, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_FORBIDDEN);
  /* ... and the storage time. */
  rq = req_new (&r, 1);
  req_value (rq, req_kind (rq, KIND_SINGLE, 9), 1, 60, "old", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_DATA_TOO_OLD);
  /* The same as an original store: the request signer counts. */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 5, 60, "y", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, peer, T0), ==, RELOAD_ERROR_FORBIDDEN);

  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  ReloadFetchAns fa = fetch_ok (&f, &q, T0);
  assert_value (&fa.kind_responses[0].values[0], "w");
  g_assert_cmpuint (fa.kind_responses[0].generation, ==, 3);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- find (§7.4.4) */

static void
store_turn_at (Fix *f, const ReloadNodeId *n, guint32 i)
{
  Rid r = rid_of_chord (reload_access_node_multiple_id (n, i));
  Req *rq = req_new (&r, 0);
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_TURN_SERVICE, 0), 1, 600, "", NULL, n);
  fill_turn (d, (guint8) i);
  store_ok (f, rq, signer (f, NULL, n), T0);
}

static int
chord_cmp_p (gconstpointer a, gconstpointer b)
{
  return chord_id_cmp (*(const ChordId *) a, *(const ChordId *) b);
}

static void
test_find (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  ChordId ids[6];
  for (guint32 i = 1; i <= 6; i++)
    {
      store_turn_at (&f, &n1, i);
      ids[i - 1] = reload_access_node_multiple_id (&n1, i);
    }
  qsort (ids, 6, sizeof (ChordId), chord_cmp_p);
  /* A certificate too (another kind). */
  Rid cr = rid_of (alice);
  Req *rq = req_new (&cr, 0);
  ReloadStoredData *d =
      req_array_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 1, 0, "", alice);
  d->value.value.typed.certificate = req_bytes (rq, (const guint8 *) "\x30\x00", 2);
  store_ok (&f, rq, signer (&f, alice, NULL), T0);

  /* This peer is responsible for (ids[0] - 1, ids[4]]: ids[5] is a
   * replica it holds for its successor. */
  ChordId one = { 0, 1 };
  ChordId lo = chord_id_sub (ids[0], one), hi = ids[4];
  ReloadFindReq fr = { 0 };
  guint32 kinds[4] = { RELOAD_KIND_TURN_SERVICE, RELOAD_KIND_CERTIFICATE_BY_NODE,
                       KIND_NOT_CONFIGURED, RELOAD_KIND_TURN_SERVICE };
  fr.kinds = kinds;
  fr.n_kinds = 3;
  ReloadFindAns ans;
  ReloadErrorResponse err;
  static const guint8 zeros[16] = { 0 };

  /* Just after ids[1]: the next one is ids[2]. */
  Rid target = rid_of_chord (chord_id_add (ids[1], one));
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpuint (ans.n_results, ==, 3);
  g_assert_cmpuint (ans.results[0].kind, ==, RELOAD_KIND_TURN_SERVICE);
  Rid want = rid_of_chord (ids[2]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);
  /* no data of that kind; an unknown kind: 0 (§7.4.4.2) */
  g_assert_cmpuint (ans.results[1].kind, ==, RELOAD_KIND_CERTIFICATE_BY_NODE);
  g_assert_cmpmem (ans.results[1].closest.data, ans.results[1].closest.len, zeros, 16);
  g_assert_cmpuint (ans.results[2].kind, ==, KIND_NOT_CONFIGURED);
  g_assert_cmpmem (ans.results[2].closest.data, ans.results[2].closest.len, zeros, 16);

  /* Exactly at a resource: that one. */
  target = rid_of_chord (ids[3]);
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  want = rid_of_chord (ids[3]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);

  /* After the last one in range: wraps round to the first in range, never
   * the replica ids[5]. */
  fr.n_kinds = 1;
  ChordId lo2 = chord_id_sub (ids[0], one);
  ChordId hi2 = chord_id_add (ids[4], one);
  Rid after = rid_of_chord (hi2);
  fr.resource = rb (&after);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo2, hi2, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  want = rid_of_chord (ids[0]);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, want.b, 16);

  /* Not responsible: Error_Not_Found. */
  target = rid_of_chord (ids[5]);
  fr.resource = rb (&target);
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_NOT_FOUND);

  /* A kind twice. */
  target = rid_of_chord (ids[0]);
  fr.resource = rb (&target);
  fr.n_kinds = 4;
  g_assert_cmpint (reload_storage_find (f.s, &fr, lo, hi, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_ERROR);
  g_assert_cmpuint (err.error_code, ==, RELOAD_ERROR_INVALID_MESSAGE);

  /* The whole ring (a lone peer): every resource; the certificate too. */
  fr.kinds = (guint32[]){ RELOAD_KIND_CERTIFICATE_BY_USER };
  fr.n_kinds = 1;
  ChordId zero = { 0, 0 };
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, cr.b, 16);

  /* Expired data is not found. */
  fr.kinds = kinds;
  g_assert_cmpint (reload_storage_find (f.s, &fr, zero, zero, T0 + 600000, f.arena, &ans, &err), ==,
                   RELOAD_STORAGE_OK);
  g_assert_cmpmem (ans.results[0].closest.data, ans.results[0].closest.len, zeros, 16);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- export, foreach, drop */

typedef struct
{
  GPtrArray *rids;
  GArray *ids;
} Collect;

static void
collect (gpointer user_data, ChordId id, RwBytes resource_id)
{
  Collect *c = user_data;
  g_ptr_array_add (c->rids, g_bytes_new (resource_id.data, resource_id.len));
  g_array_append_val (c->ids, id);
}

static GBytes *
fetch_everything (Fix *f, const Rid *r, gint64 now)
{
  Fetch q;
  fetch_init (&q, r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_range (spec_add (&q, KIND_ARRAY, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  spec_add (&q, KIND_DICT, 0);
  spec_add (&q, RELOAD_KIND_SIP_REGISTRATION, 0);
  spec_range (spec_add (&q, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 0, RELOAD_ARRAY_INDEX_LAST);
  ReloadFetchAns fa = fetch_ok (f, &q, now);
  GBytes *fetched = encode_body (reload_fetch_ans_body, &fa, reload_storage_options (f->s));
  ReloadStatAns sa = stat_ok (f, &q, now);
  g_autoptr (GBytes) stat = encode_body (reload_stat_ans_body, &sa, reload_storage_options (f->s));
  GByteArray *all = g_byte_array_new ();
  g_byte_array_append (all, g_bytes_get_data (fetched, NULL), (guint) g_bytes_get_size (fetched));
  g_byte_array_append (all, g_bytes_get_data (stat, NULL), (guint) g_bytes_get_size (stat));
  g_bytes_unref (fetched);
  return g_byte_array_free_to_bytes (all);
}

static void
test_export (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, &n1);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 10, 100, "single", alice, NULL);
  ReloadStoreKindData *k = req_kind (rq, KIND_ARRAY, 0);
  req_array_value (rq, k, 11, 3, "three", alice);
  req_array_value (rq, k, 11, 1, "one", alice)->lifetime = 200;
  k = req_kind (rq, KIND_DICT, 0);
  req_dict_value (rq, k, 12, "x", "ex", alice, NULL);
  req_dict_value (rq, k, 12, "y", NULL, alice, NULL); /* a removal travels too */
  req_dict_value (rq, k, 12, "z", "short", alice, NULL)->lifetime = 5;
  ReloadStoredData *d =
      req_value (rq, req_kind (rq, RELOAD_KIND_CERTIFICATE_BY_USER, 0), 13, 300, "", alice, NULL);
  d->value.value.typed.certificate = req_bytes (rq, (const guint8 *) "\x30\x01\x00", 3);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 20, 100, "single2", alice, NULL);
  store_ok (&f, rq, rs, T0); /* generation 2 */
  /* SIP at the same resource (alice's user name) */
  rq = req_new (&r, 0);
  d = req_value (rq, req_kind (rq, RELOAD_KIND_SIP_REGISTRATION, 0), 1, 3600, "", alice, &n1);
  d->value.key = req_bytes (rq, n1.id, 16);
  fill_sip (rq, d, "sip:alice@192.0.2.1");
  store_ok (&f, rq, rs, T0);
  /* another resource, not exported */
  Rid other = rid_of (bob);
  rq = req_new (&other, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 1000, "bob", bob, NULL);
  store_ok (&f, rq, signer (&f, bob, NULL), T0);

  gint64 t1 = T0 + 50500;
  g_autoptr (RwArena) xa = rw_arena_new (0);
  g_assert_null (reload_storage_export (f.s, rb (&(Rid){ { 0 } }), 1, t1, xa));
  ReloadStoreReq *x = reload_storage_export (f.s, rb (&r), 1, t1, xa);
  g_assert_nonnull (x);
  g_assert_cmpuint (x->replica_number, ==, 1);
  g_assert_cmpmem (x->resource.data, x->resource.len, r.b, 16);
  /* kinds by Kind-ID: SIP (1), CERTIFICATE_BY_USER (16), then the three */
  g_assert_cmpuint (x->n_kind_data, ==, 5);
  g_assert_cmpuint (x->kind_data[0].kind, ==, RELOAD_KIND_SIP_REGISTRATION);
  g_assert_cmpuint (x->kind_data[1].kind, ==, RELOAD_KIND_CERTIFICATE_BY_USER);
  g_assert_cmpuint (x->kind_data[2].kind, ==, KIND_SINGLE);
  g_assert_cmpuint (x->kind_data[2].generation_counter, ==, 2);
  g_assert_cmpuint (x->kind_data[2].values[0].lifetime, ==, 49); /* 100 - 50.5, down */
  g_assert_cmpuint (x->kind_data[2].values[0].storage_time, ==, 20);
  /* the dictionary's "z" (5 s) is gone */
  g_assert_cmpuint (x->kind_data[4].kind, ==, KIND_DICT);
  g_assert_cmpuint (x->kind_data[4].n_values, ==, 2);

  /* The export encodes as a StoreReq, and re-creates the data exactly on a
   * fresh storage (a replica: the request signer is not checked). */
  g_autoptr (GBytes) wire = encode_body (reload_store_req_body, x, reload_storage_options (f.s));
  g_assert_cmpuint (g_bytes_get_size (wire), >, 0);
  Fix g;
  fix_init (&g);
  ReloadStoreAns ans;
  ReloadErrorResponse err;
  g_assert_cmpint (reload_storage_store (g.s, x, NULL, fake_verify, &g, t1, g.arena, &ans, &err),
                   ==, RELOAD_STORAGE_OK);
  g_autoptr (GBytes) a1 = fetch_everything (&f, &r, t1);
  g_autoptr (GBytes) a2 = fetch_everything (&g, &r, t1);
  g_assert_true (g_bytes_equal (a1, a2));
  g_assert_cmpuint (reload_storage_n_values (g.s), ==, reload_storage_n_values (f.s) - 1);
  /* and later on, they still agree */
  g_autoptr (GBytes) b1 = fetch_everything (&f, &r, t1 + 60000);
  g_autoptr (GBytes) b2 = fetch_everything (&g, &r, t1 + 60000);
  g_assert_true (g_bytes_equal (b1, b2));
  /* Exported again, to the same replica: identical data is accepted. */
  ReloadStoreReq *x2 = reload_storage_export (f.s, rb (&r), 1, t1 + 60000, xa);
  g_assert_cmpint (
      reload_storage_store (g.s, x2, NULL, fake_verify, &g, t1 + 60000, g.arena, &ans, &err), ==,
      RELOAD_STORAGE_OK);

  /* For an original store (a new responsible peer), counters are 0. */
  ReloadStoreReq *x0 = reload_storage_export (f.s, rb (&r), 0, t1, xa);
  for (guint i = 0; i < x0->n_kind_data; i++)
    g_assert_cmpuint (x0->kind_data[i].generation_counter, ==, 0);
  fix_clear (&g);

  /* foreach: every resource, in ring order; the callback may drop. */
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                g_array_new (FALSE, FALSE, sizeof (ChordId)) };
  reload_storage_foreach (f.s, collect, &c);
  g_assert_cmpuint (c.rids->len, ==, 2);
  g_assert_cmpint (
      chord_id_cmp (g_array_index (c.ids, ChordId, 0), g_array_index (c.ids, ChordId, 1)), <, 0);
  g_ptr_array_unref (c.rids);
  g_array_unref (c.ids);
  fix_clear (&f);
}

static void
drop_in_callback (gpointer user_data, ChordId id, RwBytes resource_id)
{
  ReloadStorage *s = user_data;
  reload_storage_drop_outside (s, id, id); /* keeps all */
  ChordId next = { id.hi, id.lo + 1 };
  reload_storage_drop_outside (s, id, next); /* keeps only (id, id + 1] */
}

static void
test_drop_outside (void)
{
  Fix f;
  fix_init (&f);
  ReloadNodeId n1 = node (1);
  for (guint32 i = 1; i <= 8; i++)
    store_turn_at (&f, &n1, i);
  ChordId ids[8];
  for (guint32 i = 1; i <= 8; i++)
    ids[i - 1] = reload_access_node_multiple_id (&n1, i);
  qsort (ids, 8, sizeof (ChordId), chord_cmp_p);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 8);
  /* lo == hi: the whole ring */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[0], ids[0]), ==, 0);
  /* keep (ids[1], ids[5]]: ids[2..5] */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[1], ids[5]), ==, 4);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 4);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 4);
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                g_array_new (FALSE, FALSE, sizeof (ChordId)) };
  reload_storage_foreach (f.s, collect, &c);
  g_assert_cmpuint (c.ids->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_true (chord_id_equal (g_array_index (c.ids, ChordId, i), ids[i + 2]));
  g_ptr_array_unref (c.rids);
  g_array_unref (c.ids);
  /* an interval that wraps round 0: (ids[4], ids[2]] keeps ids[5] and
   * ids[2] of ids[2..5] */
  g_assert_cmpuint (reload_storage_drop_outside (f.s, ids[4], ids[2]), ==, 2);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 2);
  /* a callback that modifies the storage sees a snapshot */
  reload_storage_foreach (f.s, drop_in_callback, f.s);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  fix_clear (&f);
}

/* A new configuration (§6.5.4, §11.1): the table is replaced; the values
 * of a kind that is gone can be dropped, the others stay. */
static void
test_new_kinds (void)
{
  Fix f;
  fix_init (&f);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  Rid r = rid_of (alice);
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1000, 60, "abc", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1000, "k", "v", alice, NULL);
  store_ok (&f, rq, rs, T0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 2);

  /* the new table: KIND_DICT gone, KIND_SINGLE with a larger max-size,
   * KIND_NOT_CONFIGURED new */
  g_autoptr (ReloadKindTable) t = reload_kind_table_new_default ();
  ReloadKindDef single = { KIND_SINGLE,
                           (char *) "TEST-SINGLE",
                           RELOAD_DATA_MODEL_SINGLE,
                           RELOAD_ACCESS_USER_MATCH,
                           1,
                           64,
                           0 };
  ReloadKindDef fresh = { KIND_NOT_CONFIGURED,
                          (char *) "TEST-NEW",
                          RELOAD_DATA_MODEL_SINGLE,
                          RELOAD_ACCESS_USER_MATCH,
                          1,
                          16,
                          0 };
  reload_kind_table_add (t, &single);
  reload_kind_table_add (t, &fresh);
  reload_storage_set_kinds (f.s, t);
  g_assert_true (reload_storage_options (f.s)->kind_model_data == t);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_DICT), ==, 1);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_DICT), ==, 0);
  g_assert_cmpuint (reload_storage_n_values (f.s), ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 1);

  /* the new limit and the new kind apply at once */
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 2000, 60, "a value of 32 bytes, over 16 ...", alice,
             NULL);
  store_ok (&f, rq, rs, T0);
  rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_NOT_CONFIGURED, 0), 2000, 60, "new", alice, NULL);
  store_ok (&f, rq, rs, T0);
  /* the kind that is gone is unknown now */
  rq = req_new (&r, 0);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 3000, "k", "v", alice, NULL);
  g_assert_cmpuint (store_fails (&f, rq, rs, T0), ==, RELOAD_ERROR_UNKNOWN_KIND);

  /* dropping the last kind of a resource drops the resource */
  reload_storage_drop_kind (f.s, KIND_SINGLE);
  g_assert_cmpuint (reload_storage_drop_kind (f.s, KIND_NOT_CONFIGURED), ==, 1);
  g_assert_cmpuint (reload_storage_n_resources (f.s), ==, 0);
  g_assert_cmpint (reload_storage_next_expiry (f.s), ==, -1);
  fix_clear (&f);
}

/* ---------------------------------------------------------------- requests decoded without the table */

static void
test_raw_request (void)
{
  Fix f;
  fix_init (&f);
  Rid r = rid_of (alice);
  const ReloadSignerInfo *rs = signer (&f, alice, NULL);
  /* Encode a StoreReq with the table, decode it without: the configured
   * kinds' values arrive raw. */
  Req *rq = req_new (&r, 0);
  req_value (rq, req_kind (rq, KIND_SINGLE, 0), 1, 60, "raw-single", alice, NULL);
  req_dict_value (rq, req_kind (rq, KIND_DICT, 0), 1, "k", "raw-dict", alice, NULL);
  g_autoptr (GBytes) wire =
      encode_body (reload_store_req_body, &rq->req, reload_storage_options (f.s));
  req_free (rq);
  RwOptions bare = { .node_id_length = 16 };
  g_autoptr (RwArena) da = rw_arena_new (0);
  ReloadStoreReq *dec = rw_arena_alloc0 (da, sizeof *dec);
  RwCodec *c =
      rw_codec_new_decoder (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), da, &bare);
  reload_store_req_body (c, dec);
  g_assert_true (rw_codec_finish (c, NULL));
  g_assert_cmpuint (dec->kind_data[0].values[0].raw.len, >, 0);
  ReloadStoreAns ans;
  ReloadErrorResponse err;
  g_assert_cmpint (reload_storage_store (f.s, dec, rs, fake_verify, &f, T0, f.arena, &ans, &err),
                   ==, RELOAD_STORAGE_OK);

  /* A Fetch decoded without the table: its specifiers are raw too. */
  Fetch q;
  fetch_init (&q, &r);
  spec_add (&q, KIND_SINGLE, 0);
  spec_key (spec_add (&q, KIND_DICT, 0), "k");
  g_autoptr (GBytes) fwire =
      encode_body (reload_fetch_req_body, &q.req, reload_storage_options (f.s));
  ReloadFetchReq *fdec = rw_arena_alloc0 (da, sizeof *fdec);
  c = rw_codec_new_decoder (g_bytes_get_data (fwire, NULL), g_bytes_get_size (fwire), da, &bare);
  reload_fetch_req_body (c, fdec);
  g_assert_true (rw_codec_finish (c, NULL));
  g_assert_cmpuint (fdec->specifiers[1].raw.len, >, 0);
  ReloadFetchAns fa;
  g_assert_cmpint (reload_storage_fetch (f.s, fdec, T0, f.arena, &fa, &err), ==, RELOAD_STORAGE_OK);
  assert_value (&fa.kind_responses[0].values[0], "raw-single");
  g_assert_cmpuint (fa.kind_responses[1].n_values, ==, 1);
  assert_value (&fa.kind_responses[1].values[0], "raw-dict");
  fix_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/policy/user-node-match", test_policy_user_node_match);
  g_test_add_func ("/storage/policy/user-match", test_policy_user_match);
  g_test_add_func ("/storage/policy/node-match", test_policy_node_match);
  g_test_add_func ("/storage/policy/node-multiple", test_policy_node_multiple);
  g_test_add_func ("/storage/policy/node-id-match", test_policy_node_id_match);
  g_test_add_func ("/storage/store/replica", test_replica);
  g_test_add_func ("/storage/find", test_find);
  g_test_add_func ("/storage/export", test_export);
  g_test_add_func ("/storage/drop-outside", test_drop_outside);
  g_test_add_func ("/storage/new-kinds", test_new_kinds);
  g_test_add_func ("/storage/raw-request", test_raw_request);
  return g_test_run ();
}
