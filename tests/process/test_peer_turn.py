#!/usr/bin/env python3
"""test_peer_turn.py BUILD_DIR [N]: the TURN Server Usage (RFC 6940 §9)
between real chorus-peer processes on 127.0.0.1.

A coturn runs on loopback with the overlay's TURN credential (the
configuration's <chorus:turn-username>/-password, written by
`chorus-enroll init --turn-user --turn-password`; turn-density 2).  N
(default 5) peers form a No-ICE ring; one of them runs with
`--turn-server` pointing at that coturn.  Shown:

  * the advertising peer stores TurnServer values at H(Node-ID || d) for
    d = 1 .. turn-density (its status "turn_advertising": stored, and the
    Resource-IDs, which the test recomputes: SHA-1 of the Node-ID's 16
    bytes followed by d as a 32-bit big-endian integer, first 16 bytes);
  * every other peer finds it with `chorus-peer ctl turn-servers` (Find at
    a random Resource-ID, then along the ring; Fetch of what a Find names):
    the coturn's address and port, the advertiser's Node-ID, an iteration
    d in 1..2 and the Resource-ID H(Node-ID || d), a lifetime left;
  * their `status` then lists it in "turn_servers" ("turn_in_use" stays
    null: a No-ICE overlay has no ICE agent to give it to);
  * a peer started with a private (RFC 1918) --turn-server address is not
    refused (the operator asked) but warns (§9: SHOULD NOT); a malformed
    one is a usage error;
  * every peer leaves on SIGTERM with exit 0, no sanitizer report.

Prints TAP.
"""

import hashlib
import json
import os
import subprocess
import sys

from harness import Harness
from turnserver import Turn

build_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
DENSITY = 2
TURN_USER = "chorus"
TURN_PASSWORD = "turn-secret-of-the-overlay"
checks = []


def check(ok, what):
    what = " ".join(what.split())
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def node_multiple_rid(node_id_hex, d):
    """§9 / §7.3.4: H(Node-ID || d), d a uint32 in network byte order."""
    data = bytes.fromhex(node_id_hex) + d.to_bytes(4, "big")
    return hashlib.sha1(data).digest()[:16].hex()


with Harness(build_dir, enroll_args=["--turn-user", TURN_USER, "--turn-password", TURN_PASSWORD,
                                     "--turn-density", str(DENSITY)]) as h:
    turn = Turn(h.dir, user=TURN_USER, password=TURN_PASSWORD, realm=h.overlay)
    try:
        with open(os.path.join(h.ca_dir, "config.xml")) as f:
            doc = f.read()
        check(f"<chorus:turn-username>{TURN_USER}</chorus:turn-username>" in doc
              and "<turn-density>2</turn-density>" in doc,
              "the configuration carries the overlay's TURN credential (Chorus extension) and "
              "turn-density")

        peers = [h.add_peer() for _ in range(n)]
        bootstrap = peers[0].listen
        advertiser = peers[2]
        for p in peers:
            extra = ["--turn-server", turn.address()] if p is advertiser else []
            p.start([bootstrap], extra)

        report = [None]

        def consistent():
            ok, msg = h.ring_report()
            report[0] = msg
            return ok

        try:
            took = h.wait_for("a consistent ring", consistent, timeout=120, interval=0.5)
            check(True, f"{n} peers form one consistent ring ({took:.1f} s)")
        except AssertionError:
            check(False, f"{n} peers form one consistent ring ({report[0]})")

        # the advertiser stores its values once joined
        adv_status = [None]

        def stored():
            adv_status[0] = advertiser.status()
            a = adv_status[0].get("turn_advertising")
            return a is not None and a["stored"]

        try:
            h.wait_for("the TURN-SERVICE values stored", stored, timeout=30)
            ok = True
        except AssertionError:
            ok = False
        st = adv_status[0]
        adv = st.get("turn_advertising") or {}
        node_id = st["node_id"]
        want_rids = [node_multiple_rid(node_id, d) for d in range(1, DENSITY + 1)]
        check(ok and adv.get("address") == "127.0.0.1" and adv.get("port") == turn.port
              and adv.get("density") == DENSITY,
              f"the peer with --turn-server stored TurnServer{{d, 127.0.0.1:{turn.port}}} for "
              f"d = 1..{DENSITY} ({adv})")
        check(adv.get("resource_ids") == want_rids,
              f"at H(Node-ID || d) with d a 32-bit big-endian integer ({want_rids})")
        check(all(p.status()["turn_advertising"] is None for p in peers if p is not advertiser),
              "the other peers advertise nothing")

        # every other peer finds it by `chorus-peer ctl turn-servers`
        found = {}
        for p in peers:
            if p is advertiser:
                continue
            for attempt in range(1, 4):
                code, out, err = p.ctl("turn-servers")
                if code != 0:
                    continue
                result = json.loads(out)
                if result["turn_servers"]:
                    found[p.index] = (attempt, result)
                    break
        check(len(found) == n - 1,
              f"every other peer finds the TURN server with `ctl turn-servers` "
              f"(attempts: {[a for a, _ in found.values()]})")
        good = True
        for i, (attempt, result) in found.items():
            s = result["turn_servers"][0]
            rid_ok = 1 <= s["iteration"] <= DENSITY and \
                s["resource_id"] == node_multiple_rid(node_id, s["iteration"])
            if not (len(result["turn_servers"]) == 1 and s["address"] == "127.0.0.1"
                    and s["port"] == turn.port and s["node_id"] == node_id and rid_ok
                    and 0 < s["expires_s"] <= 600):
                good = False
                print(f"# peer {i}: {result}", flush=True)
        check(good and found, "each found the coturn's address and port, the advertiser's "
              "Node-ID, d in 1..2 at H(Node-ID || d), and the value's remaining lifetime")
        statuses = {p.index: p.status() for p in peers if p.index in found}
        check(all(st["turn_servers"] and st["turn_servers"][0]["node_id"] == node_id
                  for st in statuses.values()),
              "their status lists it in turn_servers afterwards")
        check(all(st["turn_in_use"] is None for st in statuses.values()),
              "turn_in_use stays null in a No-ICE overlay (no ICE agent to give it to)")
        check(all(link.get("ice") is None for st in statuses.values() for link in st["links"]),
              "No-ICE links have no ICE pair")

        # a private address: taken, with a warning (§9: SHOULD NOT); the
        # warning is fatal under G_DEBUG=fatal-warnings, so that is unset
        extra = h.add_peer()
        env = dict(os.environ)
        env.pop("G_DEBUG", None)
        log = open(extra.log_path, "w")
        extra.log = log
        extra.proc = subprocess.Popen(
            [h.peer_bin, "run", "--profile", extra.profile, "--listen", extra.listen,
             "--bootstrap", bootstrap, "--turn-server", "10.11.12.13:3478"],
            stdout=log, stderr=subprocess.STDOUT, env=env)

        def extra_joined():
            st = extra.try_status()
            return st is not None and st["joined"]

        try:
            h.wait_for("the extra peer joined", extra_joined, timeout=60)
            joined = True
        except AssertionError:
            joined = False
        text = open(extra.log_path, errors="replace").read()
        check(joined and "warning: TURN server 10.11.12.13:3478 is a private address" in text,
              "a private --turn-server address is advertised as asked, with a warning (§9)")
        bad = subprocess.run([h.peer_bin, "run", "--profile", extra.profile,
                              "--turn-server", "not-an-address"],
                             capture_output=True, text=True, timeout=30)
        check(bad.returncode == 64, f"a malformed --turn-server is a usage error "
              f"(exit {bad.returncode})")

        codes = h.stop_all()
        check(all(c == 0 for c in codes.values()), f"every peer leaves and exits 0 ({codes})")
        bad_logs = h.check_logs()
        check(not bad_logs, "no sanitizer report or crash in the logs")
        for b in bad_logs:
            print("# " + b.replace("\n", "\n# "), flush=True)
    finally:
        turn.stop()

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
