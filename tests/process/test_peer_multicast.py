#!/usr/bin/env python3
"""test_peer_multicast.py BUILD_DIR: multicast bootstrap on the local link
(a Chorus extension: overlay/net/chorus-multicast.h), real chorus-peer
processes on 127.0.0.1.

The overlay's configuration says <chorus:multicast-bootstrap>GROUP:PORT
(`chorus-enroll init --multicast-bootstrap`, a free port of 239.255.60.84).
No peer has a bootstrap peer or a cache.

Asserted:
  0. `chorus-enroll init --multicast-bootstrap` writes the element,
     `chorus-enroll update` adds one or drops them, and refuses a group
     off the local link.
  1. A starts alone: nobody answers its query, it forms the overlay.  B,
     started while A is up, finds A by multicast and joins through it: one
     consistent ring of two, with no bootstrap peer anywhere.
  2. F, a peer of another overlay (its own CA) on the same group, is
     ignored: A logs its query as not ours, F forms an overlay of its own,
     and nobody links to it.  C, a third peer of the first overlay started
     while F is up, joins A and B's ring, not F.
  3. Hostile datagrams on the group (garbage, truncated and oversized
     datagrams, an announcement whose address is not its sender's, a
     flood of 600 in a burst) are dropped or rate-limited; the peers stay
     in their ring.  D, started while the test forges announcements of the
     overlay that point at F (a real peer, whose certificate is of another
     root), joins A's ring: the TLS handshake and the certificate check,
     not the datagram, decide.
  4. Two peers that each formed an overlay, because neither heard the
     other in time (one was stopped while the other started), end in
     one ring: the partition check (§10.7.4.4) goes through the peer
     heard on the group.
  5. IPv6: the same two-peer join on the link-local group [ff02::6084]
     of a veth link in a network namespace (root only; skipped
     otherwise).

When 127.0.0.1 does not carry multicast, everything runs in a network
namespace of its own whose lo is made multicast (root only; skipped with
a message otherwise).  CHORUS_TEST_MULTICAST_NETNS=1 forces that.  Times
are printed, not asserted.  Prints TAP.
"""

import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from harness import Harness

build_dir = sys.argv[1]
GROUP = "239.255.60.84"
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def log_text(peer):
    with open(peer.log_path, errors="replace") as f:
        return f.read()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


# ---- where multicast runs: 127.0.0.1, or a namespace of its own

PROBE = r"""
import socket, struct, sys
grp, port = sys.argv[1], int(sys.argv[2])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind((grp, port))
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(grp), socket.inet_aton("127.0.0.1")))
r.settimeout(2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.sendto(b"probe", (grp, port))
sys.exit(0 if r.recvfrom(16)[0] == b"probe" else 1)
"""

SEND = r"""
import socket, sys, time
grp, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for line in sys.stdin:
    if line.startswith("sleep "):
        time.sleep(float(line.split()[1]))
    elif line.strip():
        s.sendto(bytes.fromhex(line.strip()), (grp, port))
"""

netns = None
prefix = []


def probe():
    port = free_udp_port()
    try:
        return subprocess.run(prefix + [sys.executable, "-c", PROBE, GROUP, str(port)],
                              timeout=10, capture_output=True).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


def make_netns():
    """A network namespace whose lo carries multicast (root only)."""
    global netns, prefix
    name = f"chorus-mc-{os.getpid()}"
    cmds = [["ip", "netns", "add", name],
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "multicast", "on"],
            ["ip", "netns", "exec", name, "ip", "route", "add", "239.0.0.0/8", "dev", "lo"]]
    for c in cmds:
        if subprocess.run(c, capture_output=True).returncode != 0:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            return False
    netns = name
    prefix = ["ip", "netns", "exec", name]
    return True


use_netns = os.environ.get("CHORUS_TEST_MULTICAST_NETNS") == "1"
if use_netns or not probe():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("1..0 # SKIP 127.0.0.1 does not carry multicast here, and a network namespace "
              "with a multicast lo needs root and ip(8)")
        sys.exit(0)
    if not make_netns() or not probe():
        print("1..0 # SKIP no multicast on 127.0.0.1, nor in a network namespace")
        sys.exit(0)
    print(f"# multicast in the network namespace {netns}", flush=True)
else:
    print("# multicast on 127.0.0.1 (lo)", flush=True)

wrapper_dir = tempfile.mkdtemp(prefix="chorus-mc-")


def use_prefix(h, prefix=prefix):
    """Runs the harness's chorus-peer inside the namespace, if any (the
    control sockets are files: they work across namespaces)."""
    if not prefix:
        return
    path = os.path.join(wrapper_dir, f"chorus-peer-{len(os.listdir(wrapper_dir))}")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec " + " ".join(prefix) + f" '{h.peer_bin}' \"$@\"\n")
    os.chmod(path, 0o755)
    h.peer_bin = path


def send(port, lines):
    """Sends datagrams (hex lines; "sleep S" lines pause) to the group."""
    subprocess.run(prefix + [sys.executable, "-c", SEND, GROUP, str(port)],
                   input="\n".join(lines) + "\n", text=True, timeout=60, check=True)


def announcement(overlay, node_id, host, port, nonce=0):
    """The datagram of chorus-multicast.h, written here independently."""
    name = overlay.encode()
    addr = bytes([1, 6]) + socket.inet_aton(host) + struct.pack(">H", port)
    return (b"CHMB" + bytes([1, 2]) + struct.pack(">Q", nonce) + bytes([len(name)]) + name
            + bytes([len(node_id)]) + node_id + addr)


def joined(p):
    return (p.try_status() or {}).get("joined")


def wait_joined(h, p, what):
    """Waits for @p to join; on a timeout, shows the end of its log."""
    try:
        return h.wait_for(what, lambda: joined(p), timeout=60, interval=0.1)
    except AssertionError:
        tail = log_text(p).splitlines()[-40:]
        print("# " + "\n# ".join(tail), flush=True)
        raise


def links_of(p):
    return {l["peer"] for l in p.status()["links"] if l.get("peer")}


def make_v6_netns():
    """A network namespace with a veth pair, fd00:6084::1 on one end: its
    link carries IPv6 link-local multicast (root only)."""
    name = f"chorus-mc6-{os.getpid()}"
    cmds = [["ip", "netns", "add", name],
            ["ip", "-n", name, "link", "set", "lo", "up"],
            ["ip", "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
            ["ip", "-n", name, "link", "set", "v0", "up"],
            ["ip", "-n", name, "link", "set", "v1", "up"],
            ["ip", "-n", name, "-6", "addr", "add", "fd00:6084::1/64", "dev", "v0", "nodad"]]
    for c in cmds:
        if subprocess.run(c, capture_output=True).returncode != 0:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            return None
    return name


v6_netns = None
mc_port = free_udp_port()
group = f"{GROUP}:{mc_port}"
try:
    with Harness(build_dir, enroll_args=["--multicast-bootstrap", group]) as h, \
         Harness(build_dir, overlay="other.chorus",
                 enroll_args=["--multicast-bootstrap", group]) as other:
        use_prefix(h)
        use_prefix(other)
        with open(os.path.join(h.ca_dir, "config.xml")) as f:
            conf = f.read()
        check(f"<chorus:multicast-bootstrap>{group}</chorus:multicast-bootstrap>" in conf,
              "chorus-enroll init --multicast-bootstrap writes the Chorus extension element")
        # chorus-enroll update adds a group (the default without a value) or
        # drops them; a group off the local link is refused
        upd = os.path.join(wrapper_dir, "update-ca")
        h.run([h.enroll_bin, "init", "--overlay", "u.chorus", "--dir", upd])

        def update(*args):
            p = subprocess.run([h.enroll_bin, "update", "--dir", upd] + list(args),
                               capture_output=True, text=True)
            with open(os.path.join(upd, "config.xml")) as f:
                return p.returncode, f.read()

        c1, x1 = update("--multicast-bootstrap")
        c2, x2 = update("--no-multicast-bootstrap", "--multicast-bootstrap", "[ff02::1:2]:7001")
        c3, x3 = update("--no-multicast-bootstrap")
        c4, x4 = update("--multicast-bootstrap", "224.0.0.251:5353")
        tag = "<chorus:multicast-bootstrap>"
        check(c1 == 0 and f"{tag}239.255.60.84:6086<" in x1 and 'sequence="2"' in x1
              and c2 == 0 and x2.count(tag) == 1 and f"{tag}[ff02::1:2]:7001<" in x2
              and c3 == 0 and tag not in x3 and 'sequence="4"' in x3
              and c4 == 64 and x4 == x3,
              "chorus-enroll update --multicast-bootstrap adds a group (the default without a "
              "value), --no-multicast-bootstrap drops them, a group off the local link is "
              f"refused ({c1}, {c2}, {c3}, {c4})")

        # ---- 1. two peers, no bootstrap peer, no cache
        A, B = h.add_peer(), h.add_peer()
        t0 = time.monotonic()
        A.start([], ["--verbose"])
        took_a = wait_joined(h, A, "A")
        t0 = time.monotonic()
        B.start([], ["--verbose"])
        took_b = wait_joined(h, B, "B")
        try:
            h.wait_for("a ring of 2", lambda: h.ring_report([A, B])[0], timeout=60, interval=0.2)
            ring = True
        except AssertionError:
            ring = False
        print(f"# A formed the overlay {took_a:.2f} s after its start; B joined "
              f"{took_b:.2f} s after its start", flush=True)
        la, lb = log_text(A), log_text(B)
        check("asking the local link (multicast group" in la
              and "no peer of the overlay answered on multicast group" in la
              and "forming the overlay" in la,
              "A, alone, asks the group, hears no answer and forms the overlay")
        check(ring and f"joining through peer found by multicast (Chorus extension) {A.listen}"
              in lb and "forming the overlay" not in lb,
              f"B finds A on the multicast group and joins through it: one ring "
              f"({h.ring_report([A, B])[1]})")

        # ---- 2. a peer of another overlay on the same group
        F = other.add_peer()
        F.start([], ["--verbose"])
        wait_joined(other, F, "F")
        f_id = F.status()["node_id"]
        C = h.add_peer()
        C.start([], ["--verbose"])
        wait_joined(h, C, "C")
        try:
            h.wait_for("a ring of 3", lambda: h.ring_report([A, B, C])[0], timeout=60,
                       interval=0.2)
            ring = True
        except AssertionError:
            ring = False
        lf, la, lc = log_text(F), log_text(A), log_text(C)
        check("query of overlay other.chorus from" in la and "ignored (not ours)" in la
              and "forming the overlay" in lf and "joining through" not in lf
              and all(f_id not in links_of(p) for p in (A, B)),
              "the query of a peer of another overlay is ignored: it forms its own overlay, "
              "nobody links to it")
        check(ring and "joining through peer found by multicast (Chorus extension)" in lc
              and f_id not in links_of(C),
              f"C, started while that peer is up, joins A and B's ring "
              f"({h.ring_report([A, B, C])[1]})")

        # ---- 3. hostile datagrams
        # in bursts of at most 40 a second, under the peers' limit of 50,
        # so that each is looked at; then a flood
        rnd = random.Random(6084)
        good = announcement("test.chorus", bytes(16), "127.0.0.1", 1)
        hostile = [announcement("test.chorus", os.urandom(16), "127.0.0.2", 6084)]  # not its sender's
        hostile += [good[:n] for n in range(1, len(good))]  # every truncation
        hostile += [good + b"\0", (good * 40)[:1400]]  # a byte over, oversized
        hostile += [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 120)))
                    for _ in range(40)]
        lines = []
        for k in range(0, len(hostile), 40):
            lines += [d.hex() for d in hostile[k:k + 40]] + ["sleep 1.1"]
        lines += [bytes(rnd.getrandbits(8) for _ in range(32)).hex() for _ in range(600)]
        lines += ["sleep 1.2", "00"]  # the next second: the drop is told
        send(mc_port, lines)
        time.sleep(0.5)
        la = log_text(A)
        try:
            h.wait_for("the ring after the datagrams", lambda: h.ring_report([A, B, C])[0],
                       timeout=30, interval=0.5)
            ring = True
        except AssertionError:
            ring = False
        check(ring and all(p.alive() for p in (A, B, C))
              and "datagram of" in la and "dropped: magic" in la
              and "its address is not the sender's" in la
              and "datagrams dropped on" in la and "(more than 50 a second)" in la,
              "garbage, truncated, oversized and misaddressed datagrams are dropped, a flood "
              "is rate-limited, and the ring stays")

        # D starts while announcements of this overlay point at F (another
        # overlay's peer, a certificate of another root)
        forged = announcement("test.chorus", os.urandom(16), "127.0.0.1",
                              int(F.listen.rsplit(":", 1)[1]))
        D = h.add_peer()
        sender = subprocess.Popen(prefix + [sys.executable, "-c", SEND, GROUP, str(mc_port)],
                                  stdin=subprocess.PIPE, text=True)
        sender.stdin.write("\n".join([forged.hex(), "sleep 0.1"] * 60) + "\n")
        sender.stdin.flush()
        time.sleep(0.3)
        D.start([], ["--verbose"])
        try:
            wait_joined(h, D, "D")
            h.wait_for("a ring of 4", lambda: h.ring_report([A, B, C, D])[0], timeout=60,
                       interval=0.2)
            ring = True
        except AssertionError:
            ring = False
        sender.stdin.close()
        sender.wait(timeout=30)
        ld = log_text(D)
        heard_forged = f"listens on {F.listen}" in ld
        check(ring and heard_forged and f_id not in links_of(D)
              and "joining through peer found by multicast (Chorus extension)" in ld
              and f"joining through peer found by multicast (Chorus extension) {F.listen}"
              not in ld,
              "announcements forged to point at another overlay's peer do not lead a starting "
              f"peer astray: it joins the ring, not that peer ({h.ring_report([A, B, C, D])[1]}"
              f"; forged heard: {heard_forged})")

        codes = h.stop_all()
        codes_f = other.stop_all()

        # ---- 4. two overlays formed at once heal: G stopped (SIGSTOP)
        # while H starts, so H hears no answer and forms an overlay too;
        # G, resumed, reads H's announcement and its partition check
        # (§10.7.4.4, every 3 s here) goes through H
        os.environ["CHORUS_PARTITION_CHECK_S"] = "3"
        with Harness(build_dir, overlay="race.chorus",
                     enroll_args=["--multicast-bootstrap", group]) as hr:
            use_prefix(hr)
            G, H = hr.add_peer(), hr.add_peer()
            G.start([], ["--verbose"])
            wait_joined(hr, G, "G")
            G.proc.send_signal(signal.SIGSTOP)
            try:
                H.start([], ["--verbose"])
                wait_joined(hr, H, "H")
            finally:
                G.proc.send_signal(signal.SIGCONT)
            try:
                took = hr.wait_for("one ring of G and H", lambda: hr.ring_report()[0],
                                   timeout=60, interval=0.2)
            except AssertionError:
                took = None
            print(f"# the two overlays became one ring {took} s after G resumed", flush=True)
            lh, report = log_text(H), hr.ring_report()[1]
            heard = [p.index for p in (G, H)
                     if re.search(r"partition check \(§10\.7\.4\.4\) through 0 bootstrap nodes, "
                                  r"then [1-9][0-9]* other peers", log_text(p))]
            codes_r = hr.stop_all()
            check(took is not None and "forming the overlay" in lh and heard
                  and all(c == 0 for c in codes_r.values()),
                  "two peers that each formed an overlay (neither heard the other in time) "
                  f"become one ring through the peer heard on the group ({report})")
        del os.environ["CHORUS_PARTITION_CHECK_S"]

        # ---- 5. IPv6: a link-local group (ff02::/16) on a veth link
        if os.geteuid() != 0 or shutil.which("ip") is None:
            print(f"ok {len(checks) + 1} - IPv6 link-local multicast bootstrap # SKIP needs root "
                  "and ip(8) for a network namespace with a veth link", flush=True)
            checks.append((True, "IPv6 skipped"))
        elif (v6_netns := make_v6_netns()) is None:
            print(f"ok {len(checks) + 1} - IPv6 link-local multicast bootstrap # SKIP no network "
                  "namespace with a veth link", flush=True)
            checks.append((True, "IPv6 skipped"))
        else:
            v6_group = f"[ff02::6084]:{mc_port}"
            with Harness(build_dir, overlay="v6.chorus",
                         enroll_args=["--multicast-bootstrap", v6_group]) as h6:
                use_prefix(h6, ["ip", "netns", "exec", v6_netns])
                port = random.Random().randrange(20000, 30000)
                A6 = h6.add_peer(listen=f"[fd00:6084::1]:{port}")
                B6 = h6.add_peer(listen=f"[fd00:6084::1]:{port + 1}")
                A6.start([], ["--verbose"])
                wait_joined(h6, A6, "A6")
                B6.start([], ["--verbose"])
                wait_joined(h6, B6, "B6")
                try:
                    h6.wait_for("a ring of 2", lambda: h6.ring_report()[0], timeout=60,
                                interval=0.2)
                    ring = True
                except AssertionError:
                    ring = False
                lb = log_text(B6)
                report = h6.ring_report()[1]
                codes6 = h6.stop_all()
                check(ring and "joining through peer found by multicast (Chorus extension) "
                      f"{A6.listen}" in lb and all(c == 0 for c in codes6.values()),
                      f"IPv6: B finds A on {v6_group} (a veth link of a network namespace) and "
                      f"joins through it ({report})")
                bad = h6.check_logs()
                check(not bad, "no sanitizer report or crash in the IPv6 logs"
                      + ("\n# " + "\n# ".join(bad) if bad else ""))
        check(all(c == 0 for c in codes.values()) and all(c == 0 for c in codes_f.values()),
              f"every peer leaves and exits 0 ({codes}, {codes_f})")
        bad = h.check_logs() + other.check_logs()
        check(not bad, "no sanitizer report or crash in any log"
              + ("\n# " + "\n# ".join(bad) if bad else ""))
finally:
    shutil.rmtree(wrapper_dir, ignore_errors=True)
    for ns in (netns, v6_netns):
        if ns is not None:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
