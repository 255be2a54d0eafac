/* test-x509-overlay.c: RELOAD nodes on the simulated network, each with an
 * X.509 certificate issued by the overlay's root CA (§11.3) and signing
 * every message with it (§6.3.4): the ring forms and lookups reach the
 * responsible peer; a peer whose certificate comes from another CA is not
 * let in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-x509-signer.h"
#include "sim-overlay.h"
#include "reload-datastore.h"

#include <string.h>

#define OVERLAY "sim.chorus"

typedef struct
{
  ReloadCert *ca;
  ReloadKey *ca_key;
  ReloadCert *foreign_ca;
  ReloadKey *foreign_ca_key;
  guint foreign_host; /* this host gets its certificate from the foreign CA */
  guint signers;
  GPtrArray *certs; /* by host: ReloadCert */
} Pki;

static const ReloadSecurityOps *
make_signer (gpointer user_data, guint host, const ReloadNodeId *node_id, const char *user_name,
             gpointer *security_data)
{
  Pki *pki = user_data;
  g_autoptr (GError) error = NULL;
  gboolean foreign = host == pki->foreign_host;
  ReloadCert *ca = foreign ? pki->foreign_ca : pki->ca;
  ReloadKey *ca_key = foreign ? pki->foreign_ca_key : pki->ca_key;
  g_autoptr (ReloadKey) key = reload_key_generate (RELOAD_KEY_ECDSA_P256, &error);
  g_assert_no_error (error);
  g_autoptr (ReloadCert) cert =
      reload_credentials_issue_peer (ca, ca_key, key, user_name, OVERLAY, node_id, 1, 30, &error);
  g_assert_no_error (error);
  /* every peer trusts the overlay's root, whatever signed its own */
  ReloadX509Signer *signer = reload_x509_signer_new (pki->ca, cert, key, &error);
  if (signer == NULL)
    {
      /* the foreign peer's own certificate does not chain to the root: it
       * trusts its own CA, which makes it a peer of another overlay */
      g_clear_error (&error);
      signer = reload_x509_signer_new (ca, cert, key, &error);
    }
  g_assert_no_error (error);
  pki->signers++;
  g_ptr_array_add (pki->certs, reload_cert_ref (cert));
  *security_data = signer;
  return reload_x509_security_ops ();
}

static void
free_signer (gpointer user_data, gpointer security_data)
{
  reload_x509_signer_free (security_data);
}

typedef struct
{
  SimOverlay *overlay;
  guint answered;
  guint right_peer;
} Counts;

typedef struct
{
  Counts *counts;
  ChordId target;
} Lookup;

static void
ping_done (gpointer user_data, ReloadNode *node, const ReloadMessage *answer, const GError *error)
{
  Lookup *l = user_data;
  if (answer != NULL && answer->message_code == RELOAD_PING_ANS)
    {
      l->counts->answered++;
      /* the answer is signed by the certificate of the responsible peer:
       * its cert_hash names it, and the verifier checked it */
      ChordId truth;
      g_assert_true (sim_overlay_responsible (l->counts->overlay, l->target, &truth));
      for (guint h = 0; h < sim_overlay_n_peers (l->counts->overlay); h++)
        if (sim_overlay_is_joined (l->counts->overlay, h)
            && chord_id_equal (sim_overlay_id (l->counts->overlay, h), truth))
          l->counts->right_peer++;
    }
  g_free (l);
}

typedef struct
{
  GBytes *expected;
  gboolean matched;
} CertFetch;

static void
cert_fetched (gpointer user_data, ReloadNode *node, const ReloadMessage *answer,
              const GError *error)
{
  CertFetch *cf = user_data;
  g_assert_no_error (error);
  g_assert_nonnull (answer);
  const ReloadFetchAns *a = answer->body;
  g_assert_cmpuint (a->n_kind_responses, ==, 1);
  g_assert_cmpuint (a->kind_responses[0].n_values, ==, 1);
  const ReloadStoredData *sd = &a->kind_responses[0].values[0];
  const RwBytes *got = &sd->value.value.typed.certificate;
  gsize n;
  const guint8 *want = g_bytes_get_data (cf->expected, &n);
  cf->matched = got->len == n && memcmp (got->data, want, n) == 0;
}

static void
test_x509_ring (void)
{
  Pki pki = { 0 };
  g_autoptr (GError) error = NULL;
  pki.ca =
      reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 30, &pki.ca_key, &error);
  g_assert_no_error (error);
  pki.foreign_ca = reload_credentials_create_root_ca (OVERLAY, RELOAD_KEY_ECDSA_P256, 30,
                                                      &pki.foreign_ca_key, &error);
  g_assert_no_error (error);
  pki.foreign_host = 6;
  pki.certs = g_ptr_array_new_with_free_func ((GDestroyNotify) reload_cert_unref);

  SimWorldConfig wc;
  sim_world_config_init (&wc);
  SimWorld *world = sim_world_new (21, &wc);
  SimOverlayConfig oc = { 0 };
  oc.chord_update_interval_s = 30;
  oc.chord_reactive = TRUE;
  oc.security = make_signer;
  oc.security_free = free_signer;
  oc.user_data = &pki;
  SimOverlay *overlay = sim_overlay_new (world, 21, &oc);

  for (guint h = 0; h < 6; h++)
    {
      sim_overlay_add_peer (overlay);
      sim_overlay_join (overlay, h);
      sim_world_run_until (world, sim_world_now (world) + 3 * SIM_US_PER_S);
    }
  sim_world_run_until (world, sim_world_now (world) + 30 * SIM_US_PER_S);
  g_assert_cmpuint (sim_overlay_n_joined (overlay), ==, 6);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (overlay), ==, 0);

  /* lookups, every message signed and verified with X.509 */
  Counts counts = { overlay, 0, 0 };
  GRand *r = g_rand_new_with_seed (3);
  for (guint i = 0; i < 20; i++)
    {
      guint8 rid[16];
      for (guint k = 0; k < 16; k++)
        rid[k] = (guint8) g_rand_int (r);
      Lookup *l = g_new0 (Lookup, 1);
      l->counts = &counts;
      l->target = chord_id_from_bytes (rid);
      ReloadDestination d = { 0 };
      d.type = RELOAD_DESTINATION_RESOURCE;
      d.resource_id = (RwBytes){ rid, 16 };
      ReloadPingReq ping = { 0 };
      guint from = i % 6;
      reload_node_request (sim_overlay_node (overlay, from), &d, RELOAD_PING_REQ, &ping, ping_done,
                           l, sim_world_now (world) / 1000);
      sim_overlay_poke (overlay, from);
    }
  sim_world_run_until (world, sim_world_now (world) + 20 * SIM_US_PER_S);
  g_rand_free (r);
  g_assert_cmpuint (counts.answered, ==, 20);
  g_assert_cmpuint (counts.right_peer, ==, 20);

  /* §8: every peer stored its certificate at H(Node-ID); peer 4 fetches
   * peer 2's and gets exactly the DER peer 2 signs with */
  {
    guint8 rid[16];
    ReloadNodeId id2 = chord_id_to_node_id (sim_overlay_id (overlay, 2));
    chord_id_to_bytes (chord_id_hash (id2.id, 16), rid);
    ReloadArrayRange range = { 0, 0xffffffffu };
    ReloadStoredDataSpecifier spec = { 0 };
    spec.kind = RELOAD_KIND_CERTIFICATE_BY_NODE;
    spec.indices = &range;
    spec.n_indices = 1;
    ReloadFetchReq f = { (RwBytes){ rid, 16 }, &spec, 1 };
    ReloadDestination d = { 0 };
    d.type = RELOAD_DESTINATION_RESOURCE;
    d.resource_id = (RwBytes){ rid, 16 };
    /* on the responsible peer and its two successors (§10.4), the
     * replicas verified with the certificate that came along (§6.3.4) */
    guint holders = 0;
    for (guint h = 0; h < 6; h++)
      {
        g_autoptr (RwArena) ar = rw_arena_new (0);
        holders += reload_storage_export (reload_node_storage (sim_overlay_node (overlay, h)),
                                          (RwBytes){ rid, 16 }, 1, sim_world_now (world) / 1000, ar)
                   != NULL;
      }
    g_assert_cmpuint (holders, ==, 3);
    CertFetch cf = { 0 };
    cf.expected = reload_cert_get_der (g_ptr_array_index (pki.certs, 2));
    reload_node_request (sim_overlay_node (overlay, 4), &d, RELOAD_FETCH_REQ, &f, cert_fetched, &cf,
                         sim_world_now (world) / 1000);
    sim_overlay_poke (overlay, 4);
    sim_world_run_until (world, sim_world_now (world) + 10 * SIM_US_PER_S);
    g_assert_true (cf.matched);
    g_bytes_unref (cf.expected);
  }

  /* a peer whose certificate the overlay's root did not issue: its
   * signatures do not verify (§6.3.4), its Attach and Join go unanswered,
   * it never joins, and the ring is unchanged */
  guint foreign = sim_overlay_add_peer (overlay);
  g_assert_cmpuint (foreign, ==, pki.foreign_host);
  sim_overlay_join_via (overlay, foreign, 0);
  sim_world_run_until (world, sim_world_now (world) + 60 * SIM_US_PER_S);
  g_assert_false (sim_overlay_is_joined (overlay, foreign));
  g_assert_cmpuint (sim_overlay_n_joined (overlay), ==, 6);
  g_assert_cmpuint (sim_overlay_ring_inconsistencies (overlay), ==, 0);
  for (guint h = 0; h < 6; h++)
    g_assert_false (chord_table_contains (reload_node_table (sim_overlay_node (overlay, h)),
                                          sim_overlay_id (overlay, foreign)));
  g_assert_cmpuint (pki.signers, ==, 7);

  sim_overlay_free (overlay);
  sim_world_free (world);
  g_ptr_array_unref (pki.certs);
  reload_cert_unref (pki.ca);
  reload_key_free (pki.ca_key);
  reload_cert_unref (pki.foreign_ca);
  reload_key_free (pki.foreign_ca_key);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/x509-overlay/ring-and-foreign-peer", test_x509_ring);
  return g_test_run ();
}
