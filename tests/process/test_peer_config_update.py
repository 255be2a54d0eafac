#!/usr/bin/env python3
"""test_peer_config_update.py BUILD_DIR [N]: a new
overlay configuration reaches every peer of a running ring without a
restart (RFC 6940 §6.3.2.1, §6.5.4, §11.1).

N (default 6) real chorus-peer processes form a ring on an overlay with
one kind of its own (NOTES).  The administrator makes a new version of the
configuration document with `chorus-enroll update --dir CA --kind
4001:LIVE:dictionary:USER-MATCH` and hands it to ONE peer with `chorus-peer
ctl config-update`.  That peer takes it and sends it in ConfigUpdate to the
peers it sees with an older sequence, which do the same: within a bounded
wait every peer's `ctl status` shows the new configuration_sequence, the
new kind LIVE stores through one peer and fetches through another, the
processes are the ones started (same PIDs, no restart), and every
profile's config.xml holds the new document byte for byte.  (The document
with two signed kind-blocks is larger than max-message-size 5000 in a
message: ConfigUpdate may be, reload-node.h.)

Then a second version changes LIVE's max-size: a copy with one byte
changed is refused (Error_Forbidden, the signature), so is the first
version again (Error_Config_Too_Old) and another overlay's document
(Error_Incompatible_with_Overlay), each with a non-zero exit and nothing
applied; the genuine second version spreads like the first and its
max-size applies at once (Error_Data_Too_Large).  Last, a peer started
with the first version in its profile (away during both updates) is sent
the current one by the peer it joins through, and joins.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

from harness import Harness, PeerError

build_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
SPREAD_TIMEOUT_S = 30
checks = []


def check(ok, what):
    what = " ".join(what.split())  # one TAP line
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def enroll_update(h, *args):
    """`chorus-enroll update ARGS`: (exit status, stdout, stderr)."""
    p = subprocess.run([h.enroll_bin, "update"] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def doc_sequence(path):
    with open(path, "rb") as f:
        m = re.search(rb'<configuration[^>]*\ssequence="(\d+)"', f.read())
    return int(m.group(1)) if m else None


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sequences(peers):
    out = {}
    for p in peers:
        st = p.try_status()
        out[p.index] = st.get("configuration_sequence") if st else None
    return out


def all_at(peers, seq):
    return all(v == seq for v in sequences(peers).values())


with Harness(build_dir, enroll_args=["--kind", "4000:NOTES:array:USER-MATCH:100:1024"]) as h:
    peers = [h.add_peer() for _ in range(n)]
    for p in peers:
        p.start([peers[0].listen])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120, interval=0.5)
    check(True, f"{n} peers joined")
    pids = {p.index: p.proc.pid for p in peers}
    users = {p.index: p.status()["user"] for p in peers}
    st = peers[0].status()
    check("configuration_sequence" in st and all_at(peers, 1),
          f"every peer reports configuration_sequence 1 ({sequences(peers)})")

    code, out, err = peers[3].ctl("store", "LIVE", users[3], "k=v")
    check(code != 0 and "LIVE" in out, "before the update, LIVE is not a kind of the overlay")

    ca_doc = os.path.join(h.ca_dir, "config.xml")
    first = read(ca_doc)

    # the administrator's new version
    code, out, err = enroll_update(h, "--dir", h.ca_dir, "--kind", "4001:LIVE:dictionary:USER-MATCH")
    m = re.search(r"sequence (\d+)", out)
    check(code == 0 and m and int(m.group(1)) == 2 and doc_sequence(ca_doc) == 2,
          f"chorus-enroll update prints and writes sequence 2 ({out.strip()} {err.strip()})")
    second = read(ca_doc)

    # to ONE peer
    t0 = time.monotonic()
    code, out, err = peers[2].ctl("config-update", ca_doc)
    ok = code == 0 and json.loads(out).get("configuration_sequence") == 2
    check(ok and json.loads(out).get("previous_sequence") == 1,
          f"ctl config-update to peer 2 answers the new sequence ({out.strip()} {err.strip()})")
    try:
        spread_s = h.wait_for("every peer at sequence 2", lambda: all_at(peers, 2),
                              timeout=SPREAD_TIMEOUT_S, interval=0.05)
        check(True, f"every one of the {n} peers reports configuration_sequence 2")
        print(f"# the update reached all {n} peers {spread_s:.3f} s after ctl config-update "
              f"returned, {time.monotonic() - t0:.3f} s after it was called (polled every 50 ms)",
              flush=True)
    except AssertionError as e:
        check(False, f"every peer at sequence 2: {e}: {sequences(peers)}")

    # from the peers' own log lines: first and last to take it
    stamps = []
    for p in peers:
        for line in open(p.log_path, errors="replace"):
            if "configuration 2 of overlay" in line and "taken" in line:
                stamps.append(line.split()[0])
    if len(stamps) == n:
        from datetime import datetime
        ts = sorted(datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ") for x in stamps)
        print(f"# by the peers' logs: taken by the first at {ts[0].time()}, by the last "
              f"{(ts[-1] - ts[0]).total_seconds() * 1000:.0f} ms later; the document is "
              f"{len(second)} bytes", flush=True)

    # the new kind through different peers, no restart
    try:
        peers[4].call("store", "LIVE", users[4], "greeting=hello")
        r = peers[1].call("fetch", "LIVE", users[4])
        vals = {bytes.fromhex(v["value"]["key"]).decode(): bytes.fromhex(v["value"]["value"]).decode()
                for v in r["kind_responses"][0]["values"] if v["value"]["exists"]}
        check(vals == {"greeting": "hello"},
              f"LIVE stored through peer 4, fetched through peer 1 ({vals})")
    except PeerError as e:
        check(False, f"LIVE store/fetch: {e}")
    check(all(p.alive() and p.proc.pid == pids[p.index] for p in peers),
          "every peer is the process started at first (same PIDs, no restart)")
    on_disk = {p.index: read(os.path.join(p.profile, "config.xml")) for p in peers}
    check(all(d == second for d in on_disk.values()),
          "every PROFILE/config.xml holds the new document byte for byte "
          f"(sequences {[doc_sequence(os.path.join(p.profile, 'config.xml')) for p in peers]})")
    leftovers = [f for p in peers for f in os.listdir(p.profile) if "config.xml" in f and f != "config.xml"]
    check(not leftovers, f"no temporary file left next to config.xml ({leftovers})")

    # a second version: LIVE's max-size 16
    code, out, err = enroll_update(h, "--dir", h.ca_dir,
                                   "--kind", "4001:LIVE:dictionary:USER-MATCH:100:16")
    check(code == 0 and doc_sequence(ca_doc) == 3, f"a second version, sequence 3 ({out.strip()})")
    third = read(ca_doc)

    # one byte changed inside <configuration>: the signature breaks
    tampered = bytearray(third)
    i = third.index(b"<chorus:name>LIVE") + len(b"<chorus:name>")
    tampered[i] = ord("M")
    tampered_path = os.path.join(h.dir, "tampered.xml")
    with open(tampered_path, "wb") as f:
        f.write(bytes(tampered))
    code, out, err = peers[5].ctl("config-update", tampered_path)
    check(code != 0 and json.loads(out)["error"] == "Error_Forbidden",
          f"a document with one byte changed: refused, Error_Forbidden, exit {code} ({err.strip()})")
    older_path = os.path.join(h.dir, "older.xml")
    with open(older_path, "wb") as f:
        f.write(first)
    code, out, err = peers[5].ctl("config-update", older_path)
    check(code != 0 and json.loads(out)["error"] == "Error_Config_Too_Old",
          f"the older document (sequence 1): refused, Error_Config_Too_Old, exit {code}")
    other_dir = os.path.join(h.dir, "other-ca")
    h.run([h.enroll_bin, "init", "--overlay", "other.chorus", "--dir", other_dir])
    code, out, err = peers[5].ctl("config-update", os.path.join(other_dir, "config.xml"))
    check(code != 0 and json.loads(out)["error"] == "Error_Incompatible_with_Overlay",
          f"another overlay's document: refused, Error_Incompatible_with_Overlay, exit {code}")
    code, out, err = peers[5].ctl("config-update", os.path.join(h.dir, "missing.xml"))
    check(code != 0, f"a file that does not exist: exit {code}")
    time.sleep(1)
    check(all_at(peers, 2) and all(read(os.path.join(p.profile, "config.xml")) == second
                                   for p in peers),
          f"nothing refused was applied or written ({sequences(peers)})")
    log = open(peers[5].log_path, errors="replace").read()
    check("refused: Error_Forbidden" in log and "refused: Error_Config_Too_Old" in log,
          "the refusals are logged with the RFC's error")

    # the genuine second version, through another peer
    code, out, err = peers[0].ctl("config-update", ca_doc)
    check(code == 0, f"ctl config-update of sequence 3 to peer 0 ({out.strip()} {err.strip()})")
    try:
        t = h.wait_for("every peer at sequence 3", lambda: all_at(peers, 3),
                       timeout=SPREAD_TIMEOUT_S, interval=0.05)
        check(True, f"every peer reports configuration_sequence 3")
        print(f"# the second update reached all {n} peers within {t:.3f} s", flush=True)
    except AssertionError as e:
        check(False, f"every peer at sequence 3: {e}: {sequences(peers)}")
    code, out, err = peers[3].ctl("store", "LIVE", users[3], "k=" + "x" * 40)
    check(code == 2 and json.loads(out)["error"] == "Error_Data_Too_Large",
          "the new max-size 16 applies at once: a 40-byte value is Error_Data_Too_Large")
    code, out, err = peers[3].ctl("store", "LIVE", users[3], "k=short")
    check(code == 0, f"a value within it stores ({err.strip()})")
    check(all(p.alive() and p.proc.pid == pids[p.index] for p in peers), "still the same processes")
    check(all(read(os.path.join(p.profile, "config.xml")) == third for p in peers),
          "every PROFILE/config.xml holds sequence 3")

    # a peer that was away: its profile still holds sequence 1; the peer it
    # joins through answers Error_Config_Too_Old and sends it sequence 3
    late = h.add_peer()
    with open(os.path.join(late.profile, "config.xml"), "wb") as f:
        f.write(first)
    late.start([peers[1].listen])
    try:
        t = h.wait_for("the late peer joined at sequence 3",
                       lambda: (late.try_status() or {}).get("configuration_sequence") == 3
                       and late.try_status()["joined"], timeout=60, interval=0.25)
        check(True, f"a peer started with sequence 1 takes sequence 3 and joins ({t:.1f} s)")
    except AssertionError as e:
        check(False, f"the late peer: {e}: {late.try_status()}")
    check(read(os.path.join(late.profile, "config.xml")) == third,
          "its config.xml holds sequence 3")

    # the TURN settings of a new version (§9, §11.1 turn-density; the
    # credential is Chorus's extension), applied by running peers, and the
    # refusals
    code, out, err = enroll_update(h, "--dir", h.ca_dir, "--turn-user", "tu", "--turn-password",
                                   "tp", "--turn-density", "3")
    doc = read(ca_doc).decode()
    check(code == 0 and "<turn-density>3</turn-density>" in doc and "tu</chorus:turn-username>" in doc
          and "tp</chorus:turn-password>" in doc,
          f"update --turn-user --turn-password --turn-density 3 writes them ({err.strip()})")
    code, out, err = peers[2].ctl("config-update", ca_doc)
    h.wait_for("every peer took it",
               lambda: all("a new TURN credential (tu)" in open(p.log_path, errors="replace").read()
                           for p in peers), timeout=SPREAD_TIMEOUT_S)
    check(code == 0, "every running peer takes the new TURN credential without a restart")
    code, out, err = enroll_update(h, "--dir", h.ca_dir, "--no-turn-credential")
    doc = read(ca_doc).decode()
    check(code == 0 and "turn-username" not in doc and "<turn-density>3</turn-density>" in doc,
          "update --no-turn-credential drops the credential, keeps the density")
    code, out, err = enroll_update(h, "--dir", h.ca_dir, "--turn-user", "x")
    code2, out, err2 = enroll_update(h, "--dir", h.ca_dir, "--turn-density", "300")
    check(code == 64 and code2 == 64, "a user without a password, a density over 255: exit 64")

    codes = h.stop_all()
    check(all(c == 0 for c in codes.values()), f"every peer leaves and exits 0 ({codes})")
    bad = h.check_logs()
    check(not bad, f"no sanitizer report or crash in any log {bad[:1]}")

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
