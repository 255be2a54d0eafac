#!/usr/bin/env python3
"""bench_forward.py BUILD_DIR HOSTILE_BIN [PINGS]: how many messages one
peer forwards.

Three chorus-peer processes on 127.0.0.1; a client (hostile-peer's
forward-load mode, a ReloadNode in client mode, §3.2.1) attached to peer F
pings peer T PINGS (default 10000) times, at most 32 outstanding: F
forwards each Ping to T and each answer back (§6.1.2, symmetric recursive
routing), two forwarded messages per Ping.  Prints one JSON object:

  forwarded            messages F forwarded (its status counter)
  forwarded_per_s      at the rate the client drove (all three peers and
                       the client share this machine's two cores)
  f_cpu_s              F's CPU time (user+sys) over the run
  forwarded_per_cpu_s  forwarded / f_cpu_s: what one core of F sustains,
                       the capacity estimate (forwarding includes TLS
                       decryption and encryption, header parsing, no
                       signature check: §6.3.4 verifies at the destination)

A benchmark: nothing is asserted but that the pings were answered.
"""

import json
import os
import subprocess
import sys
import time

from harness import Harness

build_dir, hostile = sys.argv[1], sys.argv[2]
pings = int(sys.argv[3]) if len(sys.argv) > 3 else 10000


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


with Harness(build_dir) as h:
    peers = [h.add_peer() for _ in range(3)]
    for p in peers:
        p.start([peers[0].listen])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120, interval=0.5)
    client_profile = os.path.join(h.dir, "client")
    h.run([h.enroll_bin, "issue", "--dir", h.ca_dir, "--user", f"client@{h.overlay}",
           "--out", client_profile])
    f, target = peers[1], peers[2]
    target_id = target.status()["node_id"]
    before = f.status()["counters"]["forwarded"]
    c0 = cpu_s(f.proc.pid)
    t0 = time.monotonic()
    out = subprocess.run([hostile, client_profile, f.listen, "forward-load", str(pings), target_id],
                         capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - t0
    load = json.loads(out.stdout.strip().splitlines()[-1])
    forwarded = f.status()["counters"]["forwarded"] - before
    f_cpu = cpu_s(f.proc.pid) - c0
    assert load["ok"] and load["answered"] == pings, f"the load failed: {load}"
    print(json.dumps({
        "pings": pings,
        "answered": load["answered"],
        "pings_per_s": load["pings_per_s"],
        "forwarded": forwarded,
        "forwarded_per_s": round(forwarded / elapsed, 1),
        "f_cpu_s": round(f_cpu, 2),
        "forwarded_per_cpu_s": round(forwarded / f_cpu, 1) if f_cpu > 0 else None,
    }))
    h.stop_all()
