#!/usr/bin/env python3
"""test_hostile.py BUILD_DIR HOSTILE_BIN: bad input against a real ring.

Six chorus-peer processes form a ring on 127.0.0.1; hostile-peer, with a
profile of the same overlay (so that it authenticates), then attacks one
target peer: truncated frames and messages and garbage, messages with a
flipped signature, body or transaction id byte, one Ping replayed many
times, oversized frames and messages, a flood of Attach requests, and
unauthenticated TCP connections that never start TLS (the peer's 10 s TLS
handshake timeout frees their slots, so new links are still accepted).  After
each attack the target must still answer `status`, ping and fetch through
the overlay; at the end the ring must be consistent, the target's memory
bounded, every peer must exit 0 on SIGTERM and no log may hold a
sanitizer report.

Prints TAP.  Durations are printed, never asserted.
"""

import json
import os
import subprocess
import sys
import time

from harness import Harness

build_dir = sys.argv[1]
hostile_bin = sys.argv[2]
N_PEERS = 6
FLOOD = 5000
REPLAYS = 200
OVERSIZED_ROUNDS = 4
IDLE = 40
# The target's resident memory may grow by less than this over all the
# attacks.  What the peer may legitimately keep because of them is bounded
# by its named limits: the answer cache (4096 answers of at most
# max-message-size, 5000 bytes: 20 MiB), one link's queues (4 MiB of
# messages, 8 MiB of acks) and the reassembler's 16 MiB: 48 MiB at worst,
# a few MiB in practice.  A peer without bounds goes past 64 MiB: one frame
# buffered as announced is 16 MiB, and per-request state that outlives the
# caches grows with the 5000 Attach requests and the connections they ask
# for.  Under AddressSanitizer the quarantine of freed memory is cut to
# ASAN_QUARANTINE_MB, or it would count 256 MiB of freed memory.
RSS_BOUND_KB = 64 * 1024
ASAN_QUARANTINE_MB = 16
checks = []


def check(ok, what):
    """One TAP line."""
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def memory_kb(pid):
    """(VmRSS, VmHWM) of a process, in kB."""
    rss = hwm = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def attack(profile, target, name, count=None):
    """Runs hostile-peer; returns its JSON result ({} when it printed none)."""
    args = [hostile_bin, profile, target.listen, name] + ([str(count)] if count else [])
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        print(f"# {name}: hostile-peer did not finish", flush=True)
        return {}
    took = time.monotonic() - t0
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "{}"
    print(f"# {name} ({took:.1f} s, exit {p.returncode}): {line}", flush=True)
    if p.stderr.strip():
        print("# stderr: " + p.stderr.strip().replace("\n", "\n# "), flush=True)
    try:
        res = json.loads(line)
    except ValueError:
        return {}
    res["_exit"] = p.returncode
    return res


def still_serves(target, others, name):
    """After an attack: the target is alive, answers status, and a ping and a
    fetch through it reach other peers."""
    st = target.try_status()
    check(target.alive() and st is not None, f"{name}: the target is alive and answers status")
    other = others[0]
    try:
        res = target.call("ping", other.status()["node_id"])
        ok = "rtt_ms" in res
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        print(f"# ping: {e}", flush=True)
        ok = False
    check(ok, f"{name}: a ping through the target is answered")
    try:
        user = others[1].status()["user"]
        res = target.call("fetch", "CERTIFICATE_BY_USER", user)
        vals = res["kind_responses"][0]["values"]
        ok = len(vals) >= 1 and vals[0]["value"]["exists"]
    except Exception as e:  # noqa: BLE001
        print(f"# fetch: {e}", flush=True)
        ok = False
    check(ok, f"{name}: a fetch through the target finds another peer's certificate")



def sanitized(path):
    """Whether @path is built with AddressSanitizer."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


with Harness(build_dir) as h:
    if sanitized(h.peer_bin):
        # AddressSanitizer keeps freed memory in a quarantine (256 MiB by
        # default) before it reuses it: the peers' resident memory would
        # grow by that much under any traffic.  A small quarantine keeps the
        # bound meaningful (use-after-free is still caught within it).
        os.environ["ASAN_OPTIONS"] = ":".join(
            x for x in (os.environ.get("ASAN_OPTIONS"), f"quarantine_size_mb={ASAN_QUARANTINE_MB}")
            if x)
        print(f"# AddressSanitizer build: the peers run with ASAN_OPTIONS={os.environ['ASAN_OPTIONS']}",
              flush=True)
    peers = [h.add_peer() for _ in range(N_PEERS)]
    for p in peers:
        p.start([peers[0].listen])

    report = [None]

    def consistent():
        ok, msg = h.ring_report()
        report[0] = msg
        return ok

    try:
        took = h.wait_for("a consistent ring", consistent, timeout=120, interval=0.5)
        print(f"# ring of {N_PEERS} consistent after {took:.1f} s", flush=True)
        ring_ok = True
    except AssertionError:
        ring_ok = False
    check(ring_ok, f"{N_PEERS} peers form one consistent ring ({report[0]})")

    # the hostile peer's own profile, of the same overlay
    profile = os.path.join(h.dir, "hostile")
    h.run([h.enroll_bin, "issue", "--dir", h.ca_dir, "--user", f"hostile@{h.overlay}",
           "--out", profile])

    target = peers[2]
    others = [p for p in peers if p is not target]
    # certificates stored (§8), so that the fetches after each attack find them
    try:
        h.wait_for("stored certificates", lambda: sum(p.status()["stored_items"] for p in peers)
                   >= 3 * 2 * N_PEERS, timeout=60, interval=0.5)
    except AssertionError:
        pass
    rss0, hwm0 = memory_kb(target.proc.pid)
    print(f"# target peer {target.index}: VmRSS {rss0} kB, VmHWM {hwm0} kB before", flush=True)

    # --- truncated frames and messages, garbage
    r = attack(profile, target, "truncated")
    check(r.get("ok") and r.get("_exit") == 0, "truncated: the attack ran")
    check(r.get("control_answered") == 1, "truncated: a valid Ping first is answered")
    check(r.get("whole_after_cuts_answers") == 1 and r.get("after_cut_answered") == 1,
          f"truncated: {r.get('cut_sent')} messages cut short get no answer, the same Ping whole "
          "gets one, the link still works")
    check(r.get("short_frame_answers") == 0,
          "truncated: a frame shorter than announced, then a whole frame: nothing answered"
          f" (link closed: {r.get('short_frame_closed')})")
    check(r.get("garbage_closed") and r.get("tls_garbage_closed")
          and r.get("handshake_garbage_closed"),
          "truncated: garbage instead of frames, inside TLS, or instead of TLS closes the link")
    check(r.get("new_link_ping_answered") == 1, "truncated: a Ping on a new link is answered")
    still_serves(target, others, "truncated")

    # --- flipped bytes under the signature (§6.3.4)
    r = attack(profile, target, "bad-signature")
    check(r.get("ok") and r.get("_exit") == 0, "bad-signature: the attack ran")
    check(r.get("sig_flipped_answers") == 0 and r.get("body_flipped_answers") == 0
          and r.get("tid_flipped_answers") == 0,
          f"bad-signature: {r.get('altered_sent')} messages (a Ping and a Fetch with a flipped "
          "signature or body byte, a Ping with a flipped transaction id byte): dropped, no answer")
    check(r.get("fresh_answered") == 2, "bad-signature: the same Ping and Fetch unaltered "
          "(new transaction ids) are answered")
    check(r.get("original_answered") == 2, "bad-signature: the originals of the altered messages "
          "are answered: a forgery does not spend its transaction id")
    check(not r.get("link_closed", True), "bad-signature: the link stays up")
    still_serves(target, others, "bad-signature")

    # --- one transaction replayed (§6.2.1)
    r = attack(profile, target, "replay", REPLAYS)
    check(r.get("ok") and r.get("_exit") == 0, "replay: the attack ran")
    check(r.get("answers") == REPLAYS and r.get("distinct_answers") == 1
          and r.get("distinct_response_ids") == 1,
          f"replay: {REPLAYS} copies of one Ping get {r.get('answers')} answers, all identical "
          "(one response_id: answered from the cache)")
    check(r.get("other_messages") == 0, "replay: nothing else comes back")
    still_serves(target, others, "replay")

    # --- oversized frames and messages
    r = attack(profile, target, "oversized", OVERSIZED_ROUNDS)
    check(r.get("ok") and r.get("_exit") == 0, "oversized: the attack ran")
    check(r.get("announced_closed") == OVERSIZED_ROUNDS,
          f"oversized: a frame announcing 2^24-1 bytes closes the link "
          f"({r.get('streamed_bytes')} of {OVERSIZED_ROUNDS} MiB written before)")
    check(r.get("big_frame_answers", 1) == r.get("big_frame_too_large_errors", 0)
          and (r.get("big_frame_closed") == OVERSIZED_ROUNDS
               or r.get("big_frame_too_large_errors") == OVERSIZED_ROUNDS),
          f"oversized: a signed message of {r.get('big_frame_bytes')} bytes in one frame is "
          "refused (link closed or Error_Message_Too_Large)")
    check(r.get("fragmented_answers") == 0 and r.get("fragmented_closed") == 0
          and r.get("fragmented_then_ping_answered") == OVERSIZED_ROUNDS,
          f"oversized: a signed message of {r.get('fragmented_bytes')} bytes in "
          f"{r.get('fragmented_pieces')} fragments is dropped, the link still works")
    check(r.get("new_link_ping_answered") == 1, "oversized: a Ping on a new link is answered")
    still_serves(target, others, "oversized")

    # --- a flood of Attach requests
    r = attack(profile, target, "attach-flood", FLOOD)
    check(r.get("ok") and r.get("_exit") == 0 and r.get("sent") == FLOOD,
          f"attach-flood: {FLOOD} Attach requests sent")
    print(f"# attach-flood: {r.get('answers')} answers, {r.get('errors')} errors "
          f"({r.get('error_codes')}), {r.get('unanswered')} unanswered, "
          f"link closed: {r.get('link_closed')}", flush=True)
    check(r.get("answers", 0) + r.get("errors", 0) > 0 and r.get("other_messages") == 0,
          "attach-flood: the peer answers (or refuses) Attach requests, nothing else")
    check(r.get("link_closed") or r.get("after_flood_ping_answered") == 1,
          "attach-flood: after the flood a Ping on the same link is answered (or the peer "
          "closed the link)")
    still_serves(target, others, "attach-flood")

    # --- unauthenticated connections that never start TLS
    r = attack(profile, target, "idle-handshakes", IDLE)
    check(r.get("ok") and r.get("_exit") == 0, "idle-handshakes: the attack ran")
    check(r.get("ping_answered_while_idle") == 1,
          f"idle-handshakes: with {r.get('idle_kept_open')} of {IDLE} TCP connections idle "
          "before their TLS handshake, an authenticated link is still accepted")
    check(r.get("ping_answered_after") == 1,
          "idle-handshakes: once they close, a new link is accepted")
    still_serves(target, others, "idle-handshakes")

    # --- memory
    rss1, hwm1 = memory_kb(target.proc.pid)
    print(f"# target peer {target.index}: VmRSS {rss1} kB, VmHWM {hwm1} kB after "
          f"(grew {rss1 - rss0} kB, peak {hwm1 - hwm0} kB over the start)", flush=True)
    for p in others:
        if p.alive():
            rss, hwm = memory_kb(p.proc.pid)
            print(f"# peer {p.index}: VmRSS {rss} kB, VmHWM {hwm} kB", flush=True)
    check(rss1 - rss0 < RSS_BOUND_KB,
          f"the target's memory grew by {rss1 - rss0} kB, less than {RSS_BOUND_KB} kB")
    check(hwm1 - hwm0 < RSS_BOUND_KB,
          f"the target's peak memory grew by {hwm1 - hwm0} kB, less than {RSS_BOUND_KB} kB")

    # --- the ring
    try:
        took = h.wait_for("a consistent ring", consistent, timeout=60, interval=0.5)
        print(f"# ring consistent {took:.1f} s after the attacks", flush=True)
        ring_ok = True
    except AssertionError:
        ring_ok = False
    check(ring_ok and all(p.alive() for p in peers),
          f"every peer still runs and the ring is consistent ({report[0]})")

    codes = h.stop_all()
    check(all(c == 0 for c in codes.values()), f"every peer exits 0 on SIGTERM ({codes})")
    bad = h.check_logs()
    check(not bad, "no sanitizer report or crash in any log"
          + ("\n# " + "\n# ".join(bad) if bad else ""))

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
