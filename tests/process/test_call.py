#!/usr/bin/env python3
"""test_call.py BUILD_DIR: serverless calls between real chorus-peer
processes on 127.0.0.1 (RFC 7904): registration in the overlay, lookup,
AppAttach (RFC 6940 §6.5.2) and SIP over DTLS on it, media on ICE with
DTLS-SRTP and Opus, recorded and measured.

Four peers: a bootstrap peer without a phone, Alice (plays 440 Hz), Bob
(answers at once, plays 1000 Hz) and Carol (answers only when told,
plays 700 Hz), each recording what it hears.  Shown:
  - each recording holds the other side's tone, for most of the call, and
    not its own; `ctl call` exits 0; `calls` gives state, codec, setup_ms,
    rtt_ms, jitter_ms, loss;
  - hold and resume (RFC 3264 §8.4): the held side receives nothing, then
    again; the callee hangs up (remote_hangup);
  - busy (486), decline (603), not registered (404), the caller cancels
    while it rings (487 here, "cancelled" there), and a callee killed
    mid-call: the call ends within seconds, with a reason;
  - forking: Dave has two devices (two certificates of one user), both
    ring, the first to answer wins and the other gets CANCEL
    ("answered_elsewhere", RFC 3326);
  - MESSAGE (RFC 3428) to both of Dave's devices, and to nobody (404).
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness  # noqa: E402
from wav_tone import tone_fraction  # noqa: E402

build_dir = sys.argv[1]
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def start_call(peer, target, *extra):
    """`chorus-peer ctl call` in the background: a Popen."""
    return subprocess.Popen([peer.harness.peer_bin, "ctl", "--profile", peer.profile, "call",
                             target] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=60):
    """(exit status, result JSON or None, stderr) of a background call."""
    out, err = proc.communicate(timeout=timeout)
    try:
        result = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        result = None
    return proc.returncode, result, err


def calls(peer):
    return peer.call("calls")["calls"]


def current(peer, direction=None):
    for c in calls(peer):
        if c["state"] != "ended" and (direction is None or c["direction"] == direction):
            return c
    return None


def wait_state(h, peer, state, what, direction=None, timeout=20):
    h.wait_for(what, lambda: (current(peer, direction) or {}).get("state") == state,
               timeout=timeout, interval=0.1)
    return current(peer, direction)


with Harness(build_dir) as h:
    boot = h.add_peer()
    alice, bob, carol = h.add_peer(), h.add_peer(), h.add_peer()
    wav = {p: os.path.join(h.dir, f"heard{p.index}.wav") for p in (alice, bob, carol)}
    aor = {p: f"sip:peer{p.index}@{h.overlay}" for p in (alice, bob, carol)}
    boot.start([])
    time.sleep(0.5)
    alice.start([boot.listen], ["--aor", aor[alice], "--play", "tone:440",
                                "--record", wav[alice]])
    bob.start([boot.listen], ["--aor", aor[bob], "--auto-answer", "--play", "tone:1000",
                              "--record", wav[bob]])
    carol.start([boot.listen], ["--play", "tone:700", "--record", wav[carol]])
    # Dave has two devices: two profiles of one user, each its own Node-ID
    # (RFC 7904 §3: one dictionary entry per device under H(AOR))
    from harness import Peer, free_port  # noqa: E402
    dave_user = f"dave@{h.overlay}"
    daves = []
    for i in range(2):
        profile = os.path.join(h.dir, f"dave{i}")
        h.run([h.enroll_bin, "issue", "--dir", h.ca_dir, "--user", dave_user, "--out", profile])
        d = Peer(h, 10 + i, profile, f"127.0.0.1:{free_port()}")
        h.peers.append(d)
        daves.append(d)
        d.start([boot.listen], ["--play", f"tone:{500 + 100 * i}"])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120, interval=0.5)
    h.wait_for("five registrations",
               lambda: all(p.call("calls")["registered"] for p in (alice, bob, carol, *daves)),
               timeout=30)
    check(True, "6 peers joined, 5 devices of 4 AORs registered (SIP-REGISTRATION, RFC 7904 §3)")
    # each registration on its responsible peer and two replicas (§10.4):
    # `ctl status` counts the SIP-REGISTRATION values each peer stores
    def stored_registrations():
        return sum(p.status().get("stored_registrations", 0) for p in h.peers)
    try:
        h.wait_for("15 stored registrations", lambda: stored_registrations() == 15, timeout=30)
    except Exception:
        pass
    n_stored = stored_registrations()
    check(n_stored == 15, f"status' stored_registrations: {n_stored} over the ring = 5 values x 3 copies")
    check(carol.call("calls")["aor"] == aor[carol],
          "without --aor the AOR is sip: + the certificate's user name")

    # -- a call with audio both ways --
    code, result, err = finish(start_call(alice, aor[bob], "--duration", "4"))
    check(code == 0 and result and result["answered"] and result["reason"] == "local_hangup",
          f"Alice calls Bob for 4 s: ctl call exits 0 ({code}, {err.strip()})")
    if result:
        check(result["codec"] == "opus", f"codec opus (RFC 7587), got {result['codec']}")
        check(isinstance(result["setup_ms"], int) and result["setup_ms"] >= 0,
              f"setup_ms from dial to 200 OK: {result['setup_ms']}")
        for key in ("rtt_ms", "jitter_ms", "loss"):
            check(key in result and result[key] is not None,
                  f"{key} from RTCP: {result.get(key)}")
        check(result["packets_received"] > 50,
              f"Alice received {result['packets_received']} RTP packets")
    time.sleep(1)  # Bob's side ends at the BYE
    bob_last = calls(bob)[-1] if calls(bob) else {}
    check(bob_last.get("reason") == "remote_hangup" and bob_last.get("direction") == "incoming",
          f"Bob's side ended by Alice's BYE: {bob_last.get('reason')}")
    heard_a = tone_fraction(wav[alice], 1000)
    heard_b = tone_fraction(wav[bob], 440)
    check(heard_a >= 0.8, f"Alice's recording holds Bob's 1000 Hz in {heard_a:.0%} of it")
    check(heard_b >= 0.8, f"Bob's recording holds Alice's 440 Hz in {heard_b:.0%} of it")
    check(tone_fraction(wav[alice], 440) < 0.1 and tone_fraction(wav[bob], 1000) < 0.1,
          "neither recording holds its own tone (no loop back)")

    # -- hold and resume, then the callee hangs up --
    proc = start_call(alice, aor[bob])
    c = wait_state(h, alice, "active", "Alice's call active")
    call_id = str(c["id"])
    # DTMF (RFC 4733): what Bob's call heard
    alice.call("dtmf", call_id, "19#*")
    h.wait_for("Bob heard the digits", lambda: (current(bob) or {}).get("dtmf_received") == "19#*",
               timeout=10, interval=0.1)
    check(True, "DTMF: Alice sends 19#* (RFC 4733 events), Bob's call reports 19#*")
    try:
        alice.call("dtmf", call_id, "x")
        check(False, "a digit that is not DTMF is refused")
    except Exception as e:
        check("not a DTMF digit" in str(e), f"a digit that is not DTMF is refused: {e}")
    time.sleep(1.5)
    alice.call("hold", call_id)
    h.wait_for("held on both sides",
               lambda: (current(alice) or {}).get("on_hold") and (current(bob) or {}).get("on_hold"),
               timeout=10, interval=0.1)
    check(True, "hold: re-INVITE with a=sendonly, both sides on hold")
    time.sleep(1.5)  # what was in flight arrives
    before = current(alice)["packets_received"]
    time.sleep(2.5)
    after = current(alice)["packets_received"]
    check(after - before <= 5,
          f"held: Alice (sendonly) receives nothing from Bob ({after - before} packets in 2.5 s)")
    alice.call("resume", call_id)
    h.wait_for("resumed", lambda: not (current(alice) or {}).get("on_hold", True), timeout=10,
               interval=0.1)
    before = current(alice)["packets_received"]
    time.sleep(2.5)
    after = current(alice)["packets_received"]
    check(after - before >= 50, f"resumed: Alice receives again ({after - before} packets in 2.5 s)")

    # -- busy: Carol calls Bob, who is in a call --
    code, result, err = finish(start_call(carol, aor[bob]))
    check(code == 3 and result and result["status"] == 486 and "486" in err,
          f"Bob in a call: Carol gets 486 Busy Here, ctl call exits 3 ({code}, {err.strip()})")

    bob.call("hangup")
    code, result, err = finish(proc)
    check(code == 0 and result and result["reason"] == "remote_hangup",
          f"Bob hangs up: Alice's call ends remote_hangup, exit 0 ({code}, {err.strip()})")

    # -- not registered --
    code, result, err = finish(start_call(alice, f"sip:nobody@{h.overlay}"))
    check(code == 3 and result and result["status"] == 404,
          f"an AOR nobody registered: 404, exit 3 ({code}, {err.strip()})")
    code, result, err = finish(start_call(alice, "nobody"))
    check(code == 3 and result and result["remote"] == f"sip:nobody@{h.overlay}",
          "a bare user is completed with the overlay's name")

    # -- decline --
    proc = start_call(alice, aor[carol])
    c = wait_state(h, carol, "ringing", "Carol's phone ringing", direction="incoming")
    check(c["remote"] == aor[alice], f"Carol sees the call from {c['remote']}")
    carol.call("decline", str(c["id"]))
    code, result, err = finish(proc)
    check(code == 3 and result and result["status"] == 603 and not result["answered"],
          f"Carol declines: 603, exit 3 ({code}, {err.strip()})")

    # -- the caller cancels while it rings --
    proc = start_call(alice, aor[carol])
    wait_state(h, carol, "ringing", "Carol's phone ringing", direction="incoming")
    time.sleep(0.5)
    alice.call("hangup")
    code, result, err = finish(proc)
    check(code == 3 and result and result["status"] == 487 and not result["answered"],
          f"Alice hangs up while it rings: 487 ({code}, {err.strip()})")
    h.wait_for("Carol's call ended", lambda: current(carol) is None, timeout=10)
    check(calls(carol)[-1]["reason"] == "cancelled",
          f"Carol's side: cancelled ({calls(carol)[-1]['reason']})")

    # -- answered by hand --
    proc = start_call(alice, aor[carol], "--duration", "2")
    c = wait_state(h, carol, "ringing", "Carol's phone ringing", direction="incoming")
    carol.call("answer", str(c["id"]))
    code, result, err = finish(proc)
    check(code == 0 and result and result["answered"],
          f"Carol answers with ctl answer: the call runs ({code}, {err.strip()})")

    # -- forking: both of Dave's devices ring, the first to answer wins --
    proc = start_call(alice, f"sip:{dave_user}", "--duration", "2")
    rang = [wait_state(h, d, "ringing", f"Dave's device {d.index} ringing", direction="incoming")
            for d in daves]
    check(all(c["remote"] == aor[alice] for c in rang), "both of Dave's devices ring (forking)")
    daves[1].call("answer", str(rang[1]["id"]))
    h.wait_for("the other device stops ringing", lambda: current(daves[0]) is None, timeout=10)
    check(calls(daves[0])[-1]["reason"] == "answered_elsewhere",
          f"the other device got CANCEL: {calls(daves[0])[-1]['reason']} (RFC 3326 cause 200)")
    code, result, err = finish(proc)
    check(code == 0 and result and result["answered"],
          f"Alice's call to Dave was answered by one device ({code}, {err.strip()})")

    # -- short messages (RFC 3428) --
    code, out, err = alice.ctl("message", f"sip:{dave_user}", "héllo Dave ✓")
    result = json.loads(out) if out.strip() else {}
    check(code == 0 and result.get("status") == 200 and result.get("reason") == "delivered",
          f"MESSAGE to Dave: delivered ({code}, {err.strip()})")
    h.wait_for("both of Dave's devices got it",
               lambda: all(d.call("messages")["messages"] for d in daves), timeout=10)
    got = [d.call("messages")["messages"][-1] for d in daves]
    check(all(m["text"] == "héllo Dave ✓" and m["from"] == aor[alice]
              and m["content_type"] == "text/plain" for m in got),
          f"each device holds the text, from Alice: {got[0]}")
    code, out, err = alice.ctl("message", "sip:nobody@" + h.overlay, "anyone?")
    check(code == 3 and "404" in err, f"MESSAGE to nobody: 404, exit 3 ({code}, {err.strip()})")
    check(all(c["direction"] in ("incoming", "outgoing") and "message" not in c
              for c in calls(alice)), "messages are not calls")

    # -- the callee is killed mid-call --
    proc = start_call(alice, aor[bob])
    wait_state(h, alice, "active", "Alice's call active")
    time.sleep(1.5)
    killed_at = time.monotonic()
    bob.proc.send_signal(signal.SIGKILL)
    code, result, err = finish(proc, timeout=60)
    took = time.monotonic() - killed_at
    check(code == 3 and result and result["answered"] and result["reason"],
          f"Bob killed mid-call: the call ended after {took:.1f} s with reason "
          f"{result and result['reason']} (exit {code})")

    codes = h.stop_all()
    check(all(v == 0 for k, v in codes.items() if k != bob.index),
          f"the other peers stop cleanly: {codes}")
    for bad in h.check_logs():
        check(False, bad)

failed = [w for ok, w in checks if not ok]
print(f"1..{len(checks)}")
sys.exit(1 if failed else 0)
