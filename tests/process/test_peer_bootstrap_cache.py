#!/usr/bin/env python3
"""test_peer_bootstrap_cache.py BUILD_DIR [N]: the bootstrap cache of
RFC 6940 §11.4 on N (default 6) real chorus-peer processes.

The overlay's configuration document lists two bootstrap peers
(`chorus-enroll init --bootstrap A --bootstrap B`); every peer starts
without --bootstrap and joins through them.  Each peer records in its
profile's database (PROFILE/chorus.db) the peers it is directly connected
to, with the address each listens on.  Then a peer P leaves, both
bootstrap peers leave, and P starts again: no configured bootstrap peer
answers, so P must rejoin the ring through the peers of its cache.

Asserted: every peer, the first bootstrap peer included, caches all the
peers it is directly connected to (its successors and predecessors: the
5 others); every cached entry of every peer is a running peer's Node-ID
with that peer's listening address (never the ephemeral source port of an
inbound connection), at most 10 entries, `status` shows `bootstrap_cache`;
P rejoins, its log says it used the cache, the ring is consistent, and a
Store and a Fetch through P work.  Then, in an overlay without configured
bootstrap peers, a peer restarted without --bootstrap joins through its
cache instead of forming an overlay of its own.  How long the rejoin took
is printed, not asserted.  Last, a profile database of a newer schema
makes `chorus-peer run` refuse to start, with the message that says so.

Prints TAP.
"""

import os
import sqlite3
import subprocess
import sys
import time

from harness import Harness, PeerError, free_port

build_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def cache_rows(peer):
    """The bootstrap_cache table of a peer's profile database (read while
    the peer runs: WAL lets a reader in)."""
    path = os.path.join(peer.profile, "chorus.db")
    con = sqlite3.connect(path, timeout=5)
    try:
        return con.execute("SELECT node_id, address, port, last_success_ms, failures "
                           "FROM bootstrap_cache").fetchall()
    finally:
        con.close()


def log_text(peer):
    with open(peer.log_path, errors="replace") as f:
        return f.read()


b_listen = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
enroll = ["--kind", "4000:NOTES:array:USER-MATCH:100:1024"]
for b in b_listen:
    enroll += ["--bootstrap", b]

with Harness(build_dir, enroll_args=enroll) as h:
    boot = [h.add_peer(listen=b) for b in b_listen]
    others = [h.add_peer() for _ in range(n - 2)]
    peers = boot + others
    # the bootstrap peers first (the first forms the overlay), then the rest;
    # nobody gets --bootstrap: the configuration document names them
    boot[0].start([])
    h.wait_for("the first bootstrap peer", lambda: (boot[0].try_status() or {}).get("joined"),
               timeout=60)
    boot[1].start([])
    h.wait_for("the second bootstrap peer", lambda: (boot[1].try_status() or {}).get("joined"),
               timeout=60)
    for p in others:
        p.start([])
    try:
        took = h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120,
                          interval=0.5)
        check(True, f"{n} peers joined through the 2 configured bootstrap peers ({took:.1f} s)")
    except AssertionError:
        check(False, f"{n} peers joined ({h.ring_report()[1]})")

    ids = {p.status()["node_id"]: p for p in peers}
    listen_of = {nid: p.listen for nid, p in ids.items()}
    # P: a peer that is not a bootstrap peer (any: every peer caches all
    # its neighbours)
    P = others[0]
    survivors = [p for p in others if p is not P]

    # Every peer records the peers it is directly connected to (within a
    # second of a change), with where each listens: from the Attach that
    # went between them (the node reports its candidates even when a link
    # exists already), from a link it opened, or, for a peer that joined
    # through it and never sent it an Attach (the first bootstrap peer's
    # case), from the answer to an Attach it sends over the link to ask.
    want = min(n - 1, 6)

    def neighbours(p):
        st = p.status()
        return set(st["successors"]) | set(st["predecessors"])

    def coverage():
        missing = {}
        for p in peers:
            try:
                m = neighbours(p) - {r[0] for r in cache_rows(p)}
            except (OSError, PeerError, sqlite3.Error) as e:
                m = {str(e)}
            if m:
                missing[p.index] = sorted(x[:8] for x in m)
        return not missing, missing

    try:
        took = h.wait_for("every cache to hold all the neighbours", lambda: coverage()[0],
                          timeout=30, interval=0.5)
        print(f"# every peer caches all its {want} neighbours {took:.1f} s after the ring "
              "formed", flush=True)
    except AssertionError:
        pass
    complete, missing = coverage()
    sizes = {p.index: p.status()["bootstrap_cache"] for p in peers}
    counts = {p.index: len(neighbours(p)) for p in peers}
    check(complete and all(c == want for c in counts.values()),
          f"every peer, the first bootstrap peer included, caches all its {want} directly "
          f"connected neighbours (missing {missing}, neighbours {counts})")
    check(all(want <= s <= 10 for s in sizes.values()),
          f"status shows bootstrap_cache: at most 10, at least the {want} neighbours ({sizes})")

    wrong = []
    for p in peers:
        rows = cache_rows(p)
        me = p.status()["node_id"]
        for node_id, address, port, last_success, failures in rows:
            where = f"{address}:{port}"
            if node_id == me or listen_of.get(node_id) != where:
                wrong.append(f"peer {p.index}: {node_id[:8]} at {where} "
                             f"(listens on {listen_of.get(node_id)})")
    check(not wrong, "every cached entry is another peer with the address it listens on "
          f"(no source port of an inbound link) {wrong[:3]}")
    p_rows = cache_rows(P)
    alive = {s.listen for s in survivors}
    check(any(f"{a}:{port}" in alive for _, a, port, _, _ in p_rows),
          f"P's cache holds peers that are not bootstrap peers ({len(p_rows)} entries)")

    # P leaves, then both bootstrap peers
    P.terminate()
    code_p = P.wait(timeout=30)
    for b in boot:
        b.terminate()
    codes = [b.wait(timeout=30) for b in boot]
    check(code_p == 0 and codes == [0, 0], "P and both bootstrap peers leave and exit 0")
    try:
        h.wait_for("the rest of the ring", lambda: h.ring_report()[0], timeout=90, interval=0.5)
        check(True, f"the {len(survivors)} other peers keep a consistent ring")
    except AssertionError:
        check(False, f"the other peers keep a consistent ring ({h.ring_report()[1]})")

    # P again, with the same profile: the configured bootstrap peers are gone
    t0 = time.monotonic()
    P.start([])
    try:
        took = h.wait_for("P joined", lambda: (P.try_status() or {}).get("joined"), timeout=90,
                          interval=0.2)
        print(f"# P rejoined through its cache {took:.2f} s after its start", flush=True)
        check(True, "P rejoins with every configured bootstrap peer down")
    except AssertionError:
        check(False, "P rejoins with every configured bootstrap peer down")
    log = log_text(P)
    check("no configured bootstrap node answered: trying the" in log
          and "joining through cached peer" in log,
          "P's log says it joined through a peer of its bootstrap cache")
    try:
        took = h.wait_for("a consistent ring with P", lambda: h.ring_report()[0], timeout=90,
                          interval=0.5)
        print(f"# ring of {len(survivors) + 1} consistent {time.monotonic() - t0:.2f} s after "
              "P's start", flush=True)
        check(True, f"the ring of {len(survivors) + 1} is consistent with P in it")
    except AssertionError:
        check(False, f"the ring is consistent with P in it ({h.ring_report()[1]})")

    # Store and Fetch through P (USER-MATCH: P writes at its user name)
    user = P.status()["user"]
    try:
        P.call("store", "NOTES", user, "stored after the rejoin")
        got = P.call("fetch", "NOTES", user)
        values = [bytes.fromhex(v["value"]["value"]).decode()
                  for v in got["kind_responses"][0]["values"] if v["value"]["exists"]]
        other = survivors[0].call("fetch", "NOTES", user)
        values2 = [bytes.fromhex(v["value"]["value"]).decode()
                   for v in other["kind_responses"][0]["values"] if v["value"]["exists"]]
        check("stored after the rejoin" in values and "stored after the rejoin" in values2,
              "a Store through P, then a Fetch through P and through another peer")
    except (PeerError, KeyError, ValueError) as e:
        check(False, f"a Store and a Fetch through P ({e})")

    codes = h.stop_all()
    running = {i: c for i, c in codes.items() if peers[i] in survivors or peers[i] is P}
    check(all(c == 0 for c in running.values()), f"the running peers leave and exit 0 ({running})")
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log" + ("\n# " + "\n# ".join(bad) if bad else ""))

# Without any bootstrap peer configured (an overlay made without
# --bootstrap, a peer started without it), a peer used to form an overlay of
# its own; with a cache it joins through the peers it knew.  On the way, a
# cached peer that does not answer gets a failure counted, once the join
# succeeds through another.
with Harness(build_dir) as h:
    a, b, c = h.add_peer(), h.add_peer(), h.add_peer()
    a.start([])
    h.wait_for("the first peer", lambda: (a.try_status() or {}).get("joined"), timeout=60)
    b.start([a.listen])
    c.start([a.listen])
    h.wait_for("a ring of 3", lambda: h.ring_report()[0], timeout=60, interval=0.5)
    # R restarts, D stops for good (R knows where D listens, whichever
    # opened their link)
    R, D = b, c
    h.wait_for("R's cache", lambda: (R.try_status() or {}).get("bootstrap_cache", 0) >= 2,
               timeout=30, interval=0.5)
    R.terminate()
    code = R.wait(timeout=30)
    D.terminate()
    code_d = D.wait(timeout=30)
    # D the freshest entry, so that R tries it first
    d_host, d_port = D.listen.rsplit(":", 1)
    con = sqlite3.connect(os.path.join(R.profile, "chorus.db"), timeout=5)
    with con:
        con.execute("UPDATE bootstrap_cache SET last_success_ms = "
                    "(SELECT max(last_success_ms) FROM bootstrap_cache) + 1000 "
                    "WHERE address = ? AND port = ?", (d_host, int(d_port)))
    con.close()
    R.start([])
    try:
        h.wait_for("R joined", lambda: (R.try_status() or {}).get("joined"), timeout=60,
                   interval=0.2)
        h.wait_for("a ring of 2", lambda: h.ring_report()[0], timeout=60, interval=0.5)
        ok = True
    except AssertionError:
        ok = False
    log = log_text(R)
    check(ok and code == 0 and code_d == 0 and "no bootstrap node configured: trying the" in log
          and f"joining through cached peer (bootstrap cache, §11.4) {a.listen}" in log
          and "forming the overlay" not in log,
          "without a configured bootstrap peer, a peer joins through its cache instead of "
          f"forming an overlay of its own ({h.ring_report()[1]})")
    rows = {f"{r[1]}:{r[2]}": r for r in cache_rows(R)}
    check(D.listen in rows and rows[D.listen][4] == 1 and rows[a.listen][4] == 0,
          "the cached peer that did not answer has one failure, the one that did none "
          f"({ {k: v[4] for k, v in rows.items()} })")
    h.stop_all()
    # a profile database of a newer Chorus (a schema this one does not
    # know) is refused, untouched, with a message that says so
    con = sqlite3.connect(os.path.join(R.profile, "chorus.db"), timeout=5)
    con.execute("PRAGMA user_version = 99")
    con.close()
    p = subprocess.run([h.peer_bin, "run", "--profile", R.profile, "--listen", R.listen],
                       capture_output=True, text=True, timeout=60)
    con = sqlite3.connect(os.path.join(R.profile, "chorus.db"), timeout=5)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    check(p.returncode == 1 and "was written by a newer Chorus (schema 99, this one knows"
          in p.stderr and version == 99,
          f"a profile database of a newer schema is refused: {p.stderr.strip()}")
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log" + ("\n# " + "\n# ".join(bad) if bad else ""))

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
