/* fuzz-node.c: libFuzzer target for a RELOAD node's receive path.
 *
 * A joined node with a few connected peers receives the input, cut into
 * messages (the first byte chooses the cut and the link), on its links,
 * then its timers run.  Whatever arrives must neither crash it nor leak;
 * the node may answer, forward or drop.  The test signer verifies, so the
 * fuzzer's messages are mostly dropped at the signature: the seed corpus
 * (valid, signed messages from the simulator) gets past it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "reload-node.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  guint sent;
} Shell;

static void
shell_send (gpointer shell, guint64 link, const guint8 *data, gsize len)
{
  Shell *s = shell;
  s->sent++;
}

static const ReloadNodeShell fuzz_shell = { .send = shell_send };

static ReloadNodeId
node_id (guint8 seed)
{
  ReloadNodeId id = { 0 };
  id.len = 16;
  for (guint i = 0; i < 16; i++)
    id.id[i] = (guint8) (seed * 16 + i);
  return id;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Shell shell = { 0 };
  ReloadNodeConfig cfg = { 0 };
  cfg.node_id = node_id (8);
  cfg.user_name = "fuzz@sim.chorus";
  cfg.overlay_name = "sim.chorus";
  cfg.seed = 1;
  ReloadNode *n = reload_node_new (&cfg, &fuzz_shell, &shell);
  gint64 now = 1000;
  reload_node_start (n, 0, NULL, now);
  for (guint8 p = 1; p <= 4; p++)
    {
      ReloadNodeId peer = node_id ((guint8) (p * 3));
      reload_node_link_up (n, p, &peer, now);
    }
  gsize pos = 0;
  while (pos < size)
    {
      /* a header byte: link (low 2 bits + 1), length in 64-byte units
       * (high 6 bits, 0 = the rest) */
      guint8 h = data[pos++];
      guint64 link = (h & 3) + 1;
      gsize len = (gsize) (h >> 2) * 64;
      if (len == 0 || len > size - pos)
        len = size - pos;
      reload_node_receive (n, link, data + pos, len, now);
      pos += len;
      now += 10;
    }
  /* let the timers run: retransmissions, reassembly timeouts, expiry */
  for (guint i = 0; i < 8; i++)
    {
      now = MAX (now + 1, reload_node_next_expiry (n));
      if (now == G_MAXINT64)
        break;
      reload_node_expire (n, now);
    }
  reload_node_link_down (n, 2, now);
  reload_node_free (n);
  return 0;
}
