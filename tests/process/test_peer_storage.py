#!/usr/bin/env python3
"""test_peer_storage.py BUILD_DIR [N] [WAIT_S]: storage that survives
failures, on N (default 20) real chorus-peer processes.

The overlay is made with a kind of the administrator's
(`--kind 4000:NOTES:array:USER-MATCH:100:1024`, a kind-block of the signed
configuration document, §11.1).  200 items are stored through different
peers: each peer appends 200/N notes at its own user name (USER-MATCH,
§7.3.1: a user writes H(its user name)).  Then 5 peers are killed with
SIGKILL at once, and after WAIT_S (default 60) seconds every item must be
fetchable from every surviving peer.

Which 5: CHORD-RELOAD keeps every resource on 3 consecutive peers of the
ring (the responsible peer and its next two successors, §10.4), so losing
3 consecutive peers at once may lose data by design.  The test kills 5
peers no 3 of which are consecutive in ring order (every fourth peer): the
failures replication is meant to survive.

Access control is checked on the way: a peer cannot write another user's
resource (Error_Forbidden), and a value over the kind's max-size is refused
(Error_Data_Too_Large).
"""

import json
import signal
import sys
import time

from harness import Harness, PeerError

build_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
wait_s = float(sys.argv[3]) if len(sys.argv) > 3 else 60
ITEMS = 200
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


with Harness(build_dir, enroll_args=["--kind", "4000:NOTES:array:USER-MATCH:100:1024"]) as h:
    peers = [h.add_peer() for _ in range(n)]
    for p in peers:
        p.start([peers[0].listen])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=180, interval=0.5)
    check(True, f"{n} peers joined")

    users = {p.index: p.status()["user"] for p in peers}
    items = {}  # (user, value)
    failures = []
    for i in range(ITEMS):
        p = peers[i % n]
        value = f"note {i} from {users[p.index]}"
        try:
            p.call("store", "NOTES", users[p.index], value)
            items.setdefault(users[p.index], set()).add(value)
        except PeerError as e:
            failures.append(f"{i}: {e}")
    check(not failures, f"{ITEMS} items stored through {n} peers ({failures[:3]})")

    # access control at the responsible peer (§7.3.1)
    code, out, err = peers[1].ctl("store", "NOTES", users[2], "not mine")
    check(code == 2 and json.loads(out)["error"] == "Error_Forbidden",
          "writing another user's resource: Error_Forbidden, exit 2")
    code, out, err = peers[1].ctl("store", "NOTES", users[1], "x" * 2000)
    check(code == 2 and json.loads(out)["error"] == "Error_Data_Too_Large",
          "a value over max-size 1024: Error_Data_Too_Large")

    # kill every fourth peer in ring order: no 3 consecutive
    ring = sorted(peers, key=lambda p: p.status()["node_id"])
    victims = [ring[k] for k in range(0, n, 4)][:5]
    for v in victims:
        v.proc.send_signal(signal.SIGKILL)
    for v in victims:
        v.proc.wait()
    survivors = [p for p in peers if p not in victims]
    print(f"# killed peers {[v.index for v in victims]} at once; waiting {wait_s:.0f} s", flush=True)
    time.sleep(wait_s)

    missing = []
    for s in survivors:
        for user, values in items.items():
            try:
                r = s.call("fetch", "NOTES", user)
                got = {bytes.fromhex(v["value"]["value"]).decode()
                       for v in r["kind_responses"][0]["values"] if v["value"]["exists"]}
            except PeerError as e:
                got = set()
                missing.append(f"peer {s.index} fetch {user}: {e}")
            lost = values - got
            if lost:
                missing.append(f"peer {s.index}: {len(lost)} of {user}'s items")
    check(not missing, f"every item fetchable from every one of the {len(survivors)} survivors "
          f"({len(missing)} problems: {missing[:3]})")
    ok, msg = h.ring_report(survivors)
    check(ok, f"the survivors' ring is consistent ({msg})")

    codes = h.stop_all()
    check(all(codes[p.index] == 0 for p in survivors),
          "the survivors leave and exit 0 on SIGTERM")
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log")

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
