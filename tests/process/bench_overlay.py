#!/usr/bin/env python3
"""bench_overlay.py BUILD_DIR [N] [OPERATIONS]: a loopback overlay of N
(default 50) chorus-peer processes, measured.  Prints one JSON object:

  peers, ring_s            time until the ring was consistent
  store_ms_p50/_p99        `store` (an append to the peer's own NOTES, USER-MATCH)
  fetch_ms_p50/_p99        and `fetch` (a random user's NOTES) through a random
                           peer: control socket to answer (the socket adds
                           ~0.1 ms), OPERATIONS each
  idle_rss_kib_mean/_max   resident memory of the peers once idle
  cpu_s_per_peer           CPU time (user+sys) per peer over the whole run
  forwarded_per_s_max      the busiest peer's forwarded messages per second
                           during the fetch phase (`status` counters)

A benchmark: nothing is asserted but that the operations succeed.
"""

import json
import os
import random
import statistics
import sys
import time

from harness import Harness

build_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
ops = int(sys.argv[3]) if len(sys.argv) > 3 else 300


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, rss


with Harness(build_dir, enroll_args=["--kind", "4000:NOTES:array:USER-MATCH:1000:1024"]) as h:
    peers = [h.add_peer() for _ in range(n)]
    t0 = time.monotonic()
    for p in peers:
        p.start([peers[0].listen])
    ring_s = h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=600, interval=1)
    rng = random.Random(1)
    users = {p.index: p.status()["user"] for p in peers}
    store_ms, fetch_ms = [], []
    # Store: each peer appends to its own notes (USER-MATCH, §7.3.1)
    for i in range(ops):
        p = rng.choice(peers)
        t = time.monotonic()
        p.call("store", "NOTES", users[p.index], f"value {i}")
        store_ms.append((time.monotonic() - t) * 1000)
    before = {p.index: p.status()["counters"]["forwarded"] for p in peers}
    tf = time.monotonic()
    for i in range(ops):
        p = rng.choice(peers)
        t = time.monotonic()
        r = p.call("fetch", "NOTES", rng.choice(list(users.values())))
        fetch_ms.append((time.monotonic() - t) * 1000)
        assert "kind_responses" in r, "a fetch failed"
    elapsed = time.monotonic() - tf
    after = {p.index: p.status()["counters"]["forwarded"] for p in peers}
    forwarded = max((after[i] - before[i]) / elapsed for i in after)
    time.sleep(5)
    stats = [proc_stat(p.proc.pid) for p in peers]
    result = {
        "peers": n,
        "ring_s": round(ring_s, 1),
        "operations": ops,
        "store_ms_p50": round(pct(store_ms, 50), 2),
        "store_ms_p99": round(pct(store_ms, 99), 2),
        "fetch_ms_p50": round(pct(fetch_ms, 50), 2),
        "fetch_ms_p99": round(pct(fetch_ms, 99), 2),
        "idle_rss_kib_mean": int(statistics.mean(s[1] for s in stats)),
        "idle_rss_kib_max": max(s[1] for s in stats),
        "cpu_s_per_peer": round(statistics.mean(s[0] for s in stats), 2),
        "forwarded_per_s_max": round(forwarded, 1),
    }
    h.stop_all()
    print(json.dumps(result))
