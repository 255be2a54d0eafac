#!/usr/bin/env python3
"""bench_call.py BUILD_DIR [PEERS] [CALLS]: call setup and a call's CPU on
a loopback overlay of PEERS (default 20) real chorus-peer processes.

Two of the peers are phones: Alice calls Bob (who answers at once) CALLS
times (default 50), one call at a time, each held for 1 s; setup_ms is
dial to 200 OK as `ctl call` reports it (the lookup Fetch, the AppAttach
with ICE and DTLS, INVITE, 180, 200).  Then one 10 s call, during which
the CPU time of Bob's process is read from /proc and compared with 10 s
of the same process idle: a call's CPU, as a share of one core.

Prints one JSON object; asserts nothing about time (a benchmark).
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness  # noqa: E402

build_dir = sys.argv[1]
n_peers = int(sys.argv[2]) if len(sys.argv) > 2 else 20
n_calls = int(sys.argv[3]) if len(sys.argv) > 3 else 50
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def ctl_call(peer, target, seconds):
    p = subprocess.run([peer.harness.peer_bin, "ctl", "--profile", peer.profile, "call", target,
                        "--duration", str(seconds)], capture_output=True, text=True, timeout=120)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


with Harness(build_dir) as h:
    peers = [h.add_peer() for _ in range(n_peers)]
    alice, bob = peers[1], peers[2]
    bob_aor = f"sip:peer{bob.index}@{h.overlay}"
    for p in peers:
        extra = []
        if p is alice:
            extra = ["--play", "tone:440", "--record", os.path.join(h.dir, "alice.wav")]
        elif p is bob:
            extra = ["--auto-answer", "--play", "tone:1000",
                     "--record", os.path.join(h.dir, "bob.wav")]
        p.start([peers[0].listen] if p is not peers[0] else [], extra)
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=300, interval=1)
    h.wait_for("registrations", lambda: alice.call("calls")["registered"]
               and bob.call("calls")["registered"], timeout=60)

    setups, failures = [], 0
    for i in range(n_calls):
        code, result = ctl_call(alice, bob_aor, 1)
        if code == 0 and result and result.get("setup_ms") is not None:
            setups.append(result["setup_ms"])
        else:
            failures += 1

    time.sleep(2)
    idle0, t0 = cpu_seconds(bob.proc.pid), time.monotonic()
    time.sleep(10)
    idle_cpu = (cpu_seconds(bob.proc.pid) - idle0) / (time.monotonic() - t0)
    proc = subprocess.Popen([h.peer_bin, "ctl", "--profile", alice.profile, "call", bob_aor,
                             "--duration", "12"], stdout=subprocess.PIPE, text=True)
    h.wait_for("the call", lambda: any(c["state"] == "active"
                                      for c in bob.call("calls")["calls"]), timeout=30)
    time.sleep(1)
    busy0, t1 = cpu_seconds(bob.proc.pid), time.monotonic()
    time.sleep(10)
    call_cpu = (cpu_seconds(bob.proc.pid) - busy0) / (time.monotonic() - t1)
    proc.communicate(timeout=60)
    h.stop_all()

print(json.dumps({
    "peers": n_peers,
    "calls": n_calls,
    "answered": len(setups),
    "failed": failures,
    "setup_ms_p50": percentile(setups, 0.5) if setups else None,
    "setup_ms_p95": percentile(setups, 0.95) if setups else None,
    "setup_ms_mean": round(statistics.mean(setups), 1) if setups else None,
    "setup_ms_max": max(setups) if setups else None,
    "callee_cpu_idle_percent_of_core": round(100 * idle_cpu, 1),
    "callee_cpu_in_call_percent_of_core": round(100 * call_cpu, 1),
    "call_cpu_percent_of_core": round(100 * (call_cpu - idle_cpu), 1),
}, indent=1))
