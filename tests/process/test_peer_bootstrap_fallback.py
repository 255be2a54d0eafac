#!/usr/bin/env python3
"""test_peer_bootstrap_fallback.py BUILD_DIR: what a peer does when its
configured bootstrap peers do not answer (RFC 6940 §11.4, §10.7.4.4), on
real chorus-peer processes.

1. The cached peers are tried all at once, each attempt given at most
   5 s.  A bootstrap peer whose cache holds 8 peers that accept TCP but
   never answer the TLS handshake (each would hold a sequential attempt
   for the 10 s handshake timeout: 80 s) forms the overlay within 30 s;
   each silent entry then has one failure.  A peer whose configured
   bootstrap peer is down and whose cache holds those 8 silent peers and,
   stalest of all, one live peer, joins through the live one within 15 s.

2. The partition check (§10.7.4.4) goes through the cached peers when no
   configured bootstrap peer answers.  Peers A and B form one ring (their
   configured bootstrap peer X has gone), C and D another (C joined
   through D, a peer of its cache, while A and B were stopped): the
   partition checks of A and B reach C from their caches, C's reach A or
   B, and the four peers end in one consistent ring.  The check runs
   every 3 s here (CHORUS_PARTITION_CHECK_S), every 60 s normally.

Times are printed; the bounds asserted are far from the measured times
and far below what trying one peer after the other would take.  Prints
TAP.
"""

import os
import re
import signal
import socket
import sqlite3
import sys
import time

from harness import Harness, free_port

build_dir = sys.argv[1]
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def log_text(peer):
    with open(peer.log_path, errors="replace") as f:
        return f.read()


def db(peer):
    return sqlite3.connect(os.path.join(peer.profile, "chorus.db"), timeout=5)


def add_cached(peer, entries, clear=False):
    """Rows (node_id, 'ADDR:PORT', last_success_ms) in a stopped peer's cache."""
    con = db(peer)
    with con:
        if clear:
            con.execute("DELETE FROM bootstrap_cache")
        for node_id, where, at in entries:
            host, port = where.rsplit(":", 1)
            con.execute("INSERT OR REPLACE INTO bootstrap_cache (node_id, address, port, "
                        "last_success_ms, failures) VALUES (?, ?, ?, ?, 0)",
                        (node_id, host, int(port), at))
    con.close()


def silent_listeners(k):
    """k sockets that accept TCP connections (the kernel does, into the
    backlog) and never answer: a TLS handshake with them hangs."""
    socks = []
    for _ in range(k):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        socks.append(s)
    return socks


def run_once(peer, h, what):
    """Starts a peer alone so that its profile database exists, then stops it."""
    peer.start([])
    h.wait_for(what, lambda: (peer.try_status() or {}).get("joined"), timeout=60)
    peer.terminate()
    return peer.wait(timeout=30)


now_ms = int(time.time() * 1000)
silent = silent_listeners(8)
silent_rows = [(f"{i + 1:032x}", f"127.0.0.1:{s.getsockname()[1]}", now_ms - i)
               for i, s in enumerate(silent)]

# ---- 1. a bootstrap peer with 8 silent cached peers
b_listen = f"127.0.0.1:{free_port()}"
with Harness(build_dir, enroll_args=["--bootstrap", b_listen]) as h:
    B = h.add_peer(listen=b_listen)
    code = run_once(B, h, "B alone")
    add_cached(B, silent_rows)
    t0 = time.monotonic()
    B.start([])
    try:
        took = h.wait_for("B joined", lambda: (B.try_status() or {}).get("joined"), timeout=60,
                          interval=0.1)
    except AssertionError:
        took = None
    log = log_text(B)
    print(f"# B formed the overlay {took} s after its start (one cached peer after the other: "
          "8 x 10 s)", flush=True)
    check(code == 0 and took is not None and took < 30
          and "trying the 8 peers of the bootstrap cache (§11.4) at once" in log
          and "forming the overlay" in log,
          f"a bootstrap peer whose 8 cached peers never answer tries them at once and forms the "
          f"overlay in {took and round(took, 1)} s (under 30 s)")
    con = db(B)
    failures = dict(con.execute("SELECT node_id, failures FROM bootstrap_cache").fetchall())
    con.close()
    check(all(failures.get(r[0]) == 1 for r in silent_rows),
          f"each silent cached peer has one failure ({sorted(failures.values())})")

    # a peer whose configured bootstrap peer (B) is down: 8 silent cached
    # peers and, stalest of all, one live peer (L)
    L, P = h.add_peer(), h.add_peer()
    L.start([B.listen])
    h.wait_for("L joined", lambda: (L.try_status() or {}).get("joined"), timeout=60)
    code_p = run_once(P, h, "P alone")  # P's own database (it forms an overlay alone)
    l_id = L.status()["node_id"]
    B.terminate()
    B.wait(timeout=30)
    add_cached(P, silent_rows + [(l_id, L.listen, now_ms - 3600_000)], clear=True)
    t0 = time.monotonic()
    P.start([])
    try:
        took = h.wait_for("P joined", lambda: (P.try_status() or {}).get("joined"), timeout=60,
                          interval=0.1)
        h.wait_for("a ring of 2", lambda: h.ring_report()[0], timeout=60, interval=0.5)
    except AssertionError:
        took = None
    log = log_text(P)
    print(f"# P joined through the live cached peer {took} s after its start", flush=True)
    check(code_p == 0 and took is not None and took < 15
          and f"joining through cached peer (bootstrap cache, §11.4) {L.listen}" in log
          and "trying the 9 peers of the bootstrap cache (§11.4) at once" in log,
          f"with 8 silent cached peers and a live one tried last, a peer joins through the live "
          f"one in {took and round(took, 1)} s (under 15 s)")
    h.stop_all()
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log" + ("\n# " + "\n# ".join(bad) if bad else ""))
for s in silent:
    s.close()

# ---- 2. the partition check through cached peers
os.environ["CHORUS_PARTITION_CHECK_S"] = "3"
x_listen = f"127.0.0.1:{free_port()}"
with Harness(build_dir, enroll_args=["--bootstrap", x_listen]) as h:
    X = h.add_peer(listen=x_listen)
    A, B, C, D = (h.add_peer() for _ in range(4))
    X.start([])
    h.wait_for("X", lambda: (X.try_status() or {}).get("joined"), timeout=60)
    for p in (A, B, C):
        p.start([], ["--verbose"])
    h.wait_for("a ring of 4", lambda: h.ring_report()[0], timeout=60, interval=0.5)
    ids = {p: p.status()["node_id"] for p in (A, B, C)}

    def c_caches_a_and_b():
        con = db(C)
        rows = {r[0] for r in con.execute("SELECT node_id FROM bootstrap_cache")}
        con.close()
        return ids[A] in rows and ids[B] in rows

    h.wait_for("C's cache", c_caches_a_and_b, timeout=30, interval=0.5)
    C.terminate()
    X.terminate()
    codes = [C.wait(timeout=30), X.wait(timeout=30)]
    h.wait_for("the ring of A and B", lambda: h.ring_report()[0], timeout=60, interval=0.5)

    # D forms an overlay of its own (its only bootstrap peer is itself)
    D.start([D.listen], ["--verbose"])
    h.wait_for("D", lambda: (D.try_status() or {}).get("joined"), timeout=60)
    d_id = D.status()["node_id"]
    # C joins D: D is the freshest entry of C's cache, and A and B do not
    # answer while C joins (stopped)
    add_cached(C, [(d_id, D.listen, int(time.time() * 1000) + 1000)])
    for p in (A, B):
        p.proc.send_signal(signal.SIGSTOP)
    C.start([], ["--verbose"])
    try:
        h.wait_for("C joined", lambda: (C.try_status() or {}).get("joined"), timeout=30,
                   interval=0.2)
        h.wait_for("the ring of C and D", lambda: h.ring_report([C, D])[0], timeout=30,
                   interval=0.5)
        two = True
    finally:
        for p in (A, B):
            p.proc.send_signal(signal.SIGCONT)
    log = log_text(C)
    check(all(c == 0 for c in codes) and two
          and f"joining through cached peer (bootstrap cache, §11.4) {D.listen}" in log,
          "two overlays: A and B (their bootstrap peer X gone), C and D (C joined through D)")
    t0 = time.monotonic()
    try:
        took = h.wait_for("one ring of 4", lambda: h.ring_report([A, B, C, D])[0], timeout=90,
                          interval=0.5)
    except AssertionError:
        took = None
    print(f"# one ring of 4 {took} s after the second overlay formed", flush=True)
    # A and B check through C (their configured X is down), C through A
    # or B: whoever comes first heals
    through_cache = [p.index for p in (A, B, C)
                     if re.search(r"partition check \(§10\.7\.4\.4\) through 1 bootstrap nodes, "
                                  r"then [1-9][0-9]* other peers", log_text(p))]
    print(f"# peers that checked through cached peers: {through_cache}", flush=True)
    check(took is not None and through_cache,
          "the partition check (§10.7.4.4) goes through cached peers when the configured "
          f"bootstrap peer is down, and the two overlays become one ring "
          f"({h.ring_report([A, B, C, D])[1]})")
    codes = h.stop_all()
    check(all(codes[p.index] == 0 for p in (A, B, C, D)),
          f"the peers leave and exit 0 ({codes})")
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log" + ("\n# " + "\n# ".join(bad) if bad else ""))

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
