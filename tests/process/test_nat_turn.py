#!/usr/bin/env python3
"""test_nat_turn.py BUILD_DIR [cone|symmetric]: two peers behind two NATs
reach each other through a TURN server they found in TURN-SERVICE
(RFC 6940 §9) — root only (network namespaces); without root it says so
and skips.

The lab (netns.py), all inside this machine: a public bridge
203.0.113.0/24 with the bootstrap peer P, the enrollment server and coturn
on 203.0.113.1; two home routers (masquerade, nothing unsolicited in:
`-A INPUT -i wan -m conntrack --ctstate NEW -j DROP` and no forwarding of
new connections from the WAN), each with one host behind it, 10.1.0.2 (A)
and 10.2.0.2 (B).

The overlay is an ICE overlay (`chorus-enroll init --ice`) whose
configuration carries the overlay's TURN credential, the enrollment URL
and P as bootstrap node; coturn takes that credential.  P runs with
`--turn-server 203.0.113.1:3478` and advertises it (TURN-SERVICE at
H(Node-ID || d)).  A and B each get one invitation link (`chorus-enroll
invite`) and do what a user does: `chorus-peer join LINK` (the
configuration and a certificate over HTTPS through their NAT) and
`chorus-peer run`.  Shown:

  * A and B join through P's bootstrap link, each from nothing but its
    link;
  * each finds P's TURN server by Find/Fetch of TURN-SERVICE (status
    "turn_servers": 203.0.113.1:3478 with P's Node-ID) and its ICE agents
    use it ("turn_in_use"), which gives relayed candidates (coturn's log
    shows allocations);
  * A and B get a direct link (an Attach link, DTLS-UDP-SR on an ICE
    pair, at both ends) whose selected pair is not host-host (a host
    address of one NAT's LAN is unreachable from the other): relayed,
    server-reflexive or peer-reflexive, printed.  With "symmetric" the
    routers map each destination to a random port (`MASQUERADE
    --random-fully`), so hole punching cannot work and the pair must be
    relayed through the TURN server (not in the suite: see the README's
    "TURN" notes, such pairs do not come up yet);
  * a value A stores (NOTES, USER-MATCH) B fetches, and B pings A;
  * every process leaves on SIGTERM with exit 0, no sanitizer report; the
    namespaces are gone afterwards (also when a check fails).

Prints TAP; the times are printed, not asserted.  CHORUS_TEST_VERBOSE=1
runs the peers with --verbose; CHORUS_KEEP_TEST_DIR=1 keeps their logs.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from harness import Peer, PeerError

build_dir = sys.argv[1]
symmetric = len(sys.argv) > 2 and sys.argv[2] == "symmetric"
checks = []

if os.geteuid() != 0:
    print("1..0 # SKIP test_nat_turn needs root (network namespaces, iptables)")
    sys.exit(0)

import netns  # noqa: E402
from turnserver import Turn  # noqa: E402

missing = netns.missing_tools() + ([] if shutil.which("turnserver") else ["turnserver"])
if missing:
    print(f"Bail out! missing {', '.join(missing)} (tools/install-deps.sh installs them)")
    sys.exit(1)

OVERLAY = "nat.test"
PUBLIC = "203.0.113.1"
TURN_USER = "chorus"
TURN_PASSWORD = "turn-secret-of-nat-test"
peer_bin = os.path.join(build_dir, "overlay", "tools", "chorus-peer")
enroll_bin = os.path.join(build_dir, "overlay", "tools", "chorus-enroll")


def check(ok, what):
    what = " ".join(what.split())
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def wait_for(what, predicate, timeout, interval=0.5):
    start = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except (OSError, ValueError, PeerError):
            pass
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


class NsPeer(Peer):
    """A harness Peer whose process runs in a namespace of the lab."""

    def __init__(self, lab, ns, dir, name, profile, listen):
        self.lab = lab
        self.ns = ns
        self.peer_bin = peer_bin
        self.profile = profile
        self.listen = listen
        self.index = name
        self.proc = None
        self.log_path = os.path.join(dir, f"{name}.log")

    def start(self, extra=()):
        args = [peer_bin, "run", "--profile", self.profile, "--listen", self.listen] + list(extra)
        if os.environ.get("CHORUS_TEST_VERBOSE"):
            args.append("--verbose")
        self.proc = self.lab.popen(self.ns, args, self.log_path)

    def ctl(self, *args):
        p = subprocess.run([peer_bin, "ctl", "--profile", self.profile] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr


def link_to(status, node_id):
    for link in status["links"]:
        if link["peer"] == node_id and link["state"] == "up" \
                and link["protocol"] == "DTLS-UDP-SR":
            return link
    return None


tmp = tempfile.mkdtemp(prefix="chorus-nat-")
lab = None
turn = None
try:
    lab = netns.Lab(n_nats=2, symmetric=symmetric)
    ca = os.path.join(tmp, "ca")
    run([enroll_bin, "init", "--overlay", OVERLAY, "--dir", ca, "--ice",
         "--bootstrap", f"{PUBLIC}:6084", "--enrollment-url", f"https://{PUBLIC}:6085/enroll",
         "--turn-user", TURN_USER, "--turn-password", TURN_PASSWORD,
         "--kind", "4000:NOTES:array:USER-MATCH:100:1024"])
    turn = Turn(tmp, listen_ip=PUBLIC, port=3478, user=TURN_USER, password=TURN_PASSWORD,
                realm=OVERLAY, netns=lab.ns("pub"))
    lab.popen("pub", [enroll_bin, "serve", "--dir", ca, "--listen", f"{PUBLIC}:6085"],
              os.path.join(tmp, "enroll.log"))
    pub_profile = os.path.join(tmp, "p")
    run([enroll_bin, "issue", "--dir", ca, "--user", f"turn@{OVERLAY}", "--out", pub_profile])
    p = NsPeer(lab, "pub", tmp, "P", pub_profile, f"{PUBLIC}:6084")
    p.start(["--turn-server", f"{PUBLIC}:3478"])
    t = wait_for("P stored its TURN-SERVICE values",
                 lambda: (p.status().get("turn_advertising") or {}).get("stored"), 30)
    check(t is not None, "the public peer forms the overlay and advertises its TURN server "
          "in TURN-SERVICE (§9)")
    p_id = p.status()["node_id"]

    # A and B: one invitation link each, nothing else
    hosts = {}
    for name, i in (("A", 1), ("B", 2)):
        user = name.lower()
        out = run([enroll_bin, "invite", "--dir", ca, "--user", user])
        link = out.strip().splitlines()[-1]
        profile = os.path.join(tmp, user)
        j = subprocess.run(["ip", "netns", "exec", lab.ns(f"host{i}"), peer_bin, "join", link,
                            "--profile", profile], capture_output=True, text=True, timeout=120)
        check(j.returncode == 0, f"{name} behind NAT {i} enrolls with its link through the NAT "
              f"(exit {j.returncode} {j.stderr.strip()[-200:]})")
        peer = NsPeer(lab, f"host{i}", tmp, name, profile, f"10.{i}.0.2:6084")
        peer.start()
        hosts[name] = peer
    a, b = hosts["A"], hosts["B"]

    for name, peer in hosts.items():
        t = wait_for(f"{name} joined", lambda: peer.status()["joined"], 120)
        check(t is not None, f"{name} joins through the bootstrap peer"
              + (f" ({t:.1f} s)" if t is not None else ""))

    for name, peer in hosts.items():
        st = [None]

        def uses_turn():
            st[0] = peer.status()
            found = [s for s in st[0]["turn_servers"]
                     if s["address"] == PUBLIC and s["port"] == 3478 and s["node_id"] == p_id]
            return found and st[0]["turn_in_use"] == f"{PUBLIC}:3478"

        t = wait_for(f"{name} uses the TURN server", uses_turn, 60)
        check(t is not None,
              f"{name} found the TURN server in TURN-SERVICE (P's Node-ID) and its ICE agents "
              f"use it ({st[0]['turn_servers'] if st[0] else None}, "
              f"in use {st[0]['turn_in_use'] if st[0] else None})")

    b_id = b.status()["node_id"]
    a_id = a.status()["node_id"]
    pair = [None, None]

    def direct():
        pair[0] = link_to(a.status(), b_id)
        pair[1] = link_to(b.status(), a_id)
        return pair[0] is not None and pair[1] is not None

    t = wait_for("a direct link between A and B", direct, 150)
    check(t is not None, "A and B, behind two NATs, have a direct Attach link (DTLS-UDP-SR on "
          "an ICE pair) at both ends" + (f" ({t:.1f} s after both used TURN)" if t else ""))
    types = [link["ice"] for link in pair if link is not None]
    print(f"# selected pairs: A {pair[0] and pair[0]['ice']}, B {pair[1] and pair[1]['ice']}",
          flush=True)
    check(types and all(x is not None and {x["local"], x["remote"]} & {"relay", "srflx", "prflx"}
                        for x in types),
          f"the pair is relayed or reflexive, not host-host ({types})")
    if symmetric:
        check(types and all(x is not None and "relay" in (x["local"], x["remote"])
                            for x in types),
              f"behind symmetric NATs the pair is relayed by the TURN server ({types})")
    check(turn.allocations() > 0,
          f"coturn made TURN allocations for the peers ({turn.allocations()})")

    try:
        a.call("store", "NOTES", f"a@{OVERLAY}", "hello from behind NAT 1")
        fetched = b.call("fetch", "NOTES", f"a@{OVERLAY}")
        values = [v["value"]["value"] for k in fetched["kind_responses"] for v in k["values"]]
        ok = "hello from behind NAT 1".encode().hex() in values
    except PeerError as e:
        ok, values = False, str(e)
    check(ok, f"a value A stores, B fetches ({values})")
    try:
        ping = b.call("ping", a_id)
        ok = ping["rtt_ms"] >= 0
    except PeerError as e:
        ok, ping = False, str(e)
    check(ok, f"B pings A ({ping})")

    codes = {}
    for peer in (a, b, p):
        peer.terminate()
    for peer in (a, b, p):
        try:
            codes[peer.index] = peer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            codes[peer.index] = "hung"
    check(all(c == 0 for c in codes.values()), f"A, B and P leave and exit 0 ({codes})")
    bad = []
    for peer in (a, b, p):
        text = open(peer.log_path, errors="replace").read()
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer", "CRITICAL",
                       "critical:", "Segmentation"):
            if marker in text:
                bad.append(f"{peer.index}: {marker}\n{text[-3000:]}")
    check(not bad, "no sanitizer report or crash in the logs")
    for x in bad:
        print("# " + x.replace("\n", "\n# "), flush=True)
except Exception as e:  # a broken lab or tool: a failure, still cleaned up
    check(False, f"the test ran to its end ({type(e).__name__}: {e})")
finally:
    if turn is not None:
        turn.stop()
    if lab is not None:
        lab.close()
        check(not lab.leftovers(), "the namespaces, veths, bridge and iptables rules are gone")
    if os.environ.get("CHORUS_KEEP_TEST_DIR"):
        print(f"# kept {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)

print(f"1..{len(checks)}")
sys.exit(0 if checks and all(ok for ok, _ in checks) else 1)
