#!/usr/bin/env python3
"""test_baresip.py BUILD_DIR: a real SIP phone no one here wrote, baresip,
through the adapter peer (RFC 7890 §3), with audio both ways.

baresip (headless: a sine as its microphone, sndfile recording what it
hears, commands over ctrl_tcp; tests/process/baresip/) registers at
`chorus-peer run --sip-adapter` as sip:bob@OVERLAY with digest
authentication, the Chorus user Alice calls it, and it calls Alice.  The
adapter passes the SDP through, so the media runs end to end: ICE (baresip's
full ICE against libnice) and DTLS-SRTP (baresip against GnuTLS), Opus.
Each recording must hold the other side's tone (Goertzel, wav_tone.py) for
most of the call.

baresip's ICE never offers loopback or link-local addresses: the host
needs another IPv4 address (the media still runs on 127.0.0.1, as a
peer-reflexive pair).  Skipped without one, or without baresip.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, free_port  # noqa: E402
from wav_tone import seconds, tone_fraction  # noqa: E402

build_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
templates = os.path.join(here, "baresip")
CALL_S = 5
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def global_ipv4():
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True).stdout
    return [l.split()[3].split("/")[0] for l in out.splitlines() if len(l.split()) > 3]


if shutil.which("baresip") is None:
    print("1..0 # SKIP baresip (Debian package baresip-core) is not installed")
    sys.exit(0)
if not global_ipv4():
    print("1..0 # SKIP baresip's ICE needs a non-loopback IPv4 address on this host")
    sys.exit(0)


def netstring(b):
    return str(len(b)).encode() + b":" + b + b","


def ctrl(port, command, params=""):
    """One command to baresip's ctrl_tcp: its response (events skipped)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(netstring(json.dumps({"command": command, "params": params,
                                        "token": "t"}).encode()))
        f = s.makefile("rb")
        while True:
            n = b""
            while (c := f.read(1)) != b":":
                if not c:
                    raise EOFError("baresip closed ctrl_tcp")
                n += c
            msg = json.loads(f.read(int(n)))
            f.read(1)
            if msg.get("response"):
                return msg


def recordings(path):
    return sorted(glob.glob(os.path.join(path, "*-dec.wav")))


with Harness(build_dir) as h:
    boot, alice, adapter = h.add_peer(), h.add_peer(), h.add_peer()
    domain = h.overlay
    alice_aor = f"sip:peer{alice.index}@{domain}"
    alice_wav = os.path.join(h.dir, "alice.wav")
    h.run([h.enroll_bin, "issue", "--dir", h.ca_dir, "--user", f"bob@{domain}",
           "--node-id-of", adapter.profile, "--out", os.path.join(adapter.profile, "sip-adapter", "bob")])
    users = os.path.join(h.dir, "users")
    with open(users, "w") as f:
        f.write("bob:bob-secret\n")
    os.chmod(users, 0o600)
    sip = f"127.0.0.1:{free_port()}"
    boot.start([])
    time.sleep(0.5)
    alice.start([boot.listen], ["--auto-answer", "--play", "tone:440", "--record", alice_wav])
    adapter.start([boot.listen], ["--sip-adapter", sip, "--sip-adapter-users", users])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120, interval=0.5)

    # baresip as bob: 1000 Hz, records what it hears
    bs = os.path.join(h.dir, "baresip")
    rec = os.path.join(h.dir, "rec")
    os.makedirs(bs)
    os.makedirs(rec)
    ctrl_port = free_port()
    subst = {"@SIP_LISTEN@": f"127.0.0.1:{free_port()}", "@LOCAL_ADDR@": "127.0.0.1",
             "@CTRL_LISTEN@": f"127.0.0.1:{ctrl_port}", "@TONE_HZ@": "1000", "@SND_PATH@": rec,
             "@USER@": "bob", "@OVERLAY@": domain, "@PASSWORD@": "bob-secret", "@ADAPTER@": sip}
    for name in ("config", "accounts"):
        text = open(os.path.join(templates, name + ".in")).read()
        for k, v in subst.items():
            text = text.replace(k, v)
        with open(os.path.join(bs, name), "w") as f:
            f.write(text)
    open(os.path.join(bs, "contacts"), "w").close()
    log = open(os.path.join(h.dir, "baresip.log"), "w")
    phone = subprocess.Popen(["baresip", "-f", bs, "-v", "-s"], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        # 60 s: under AddressSanitizer on a loaded 2-core machine the
        # overlay Store of the registration can take its retries
        try:
            h.wait_for("baresip registered", lambda: any(
                u["registered"] and u["bindings"] for u in adapter.call("adapter")["users"]),
                timeout=60)
        except AssertionError:
            print(f"# adapter: {json.dumps(adapter.call('adapter'))}", flush=True)
            raise
        check(True, "baresip registers at the adapter (digest) and bob is in the overlay")

        # -- Alice calls bob: baresip answers --
        rc, out, err = alice.ctl("call", f"sip:bob@{domain}", "--duration", str(CALL_S))
        result = json.loads(out) if out.strip() else {}
        check(rc == 0 and result.get("answered"),
              f"Alice calls bob; baresip answers ({rc}, codec {result.get('codec')}, "
              f"setup {result.get('setup_ms')} ms)")
        time.sleep(1)
        heard = recordings(rec)
        a = tone_fraction(alice_wav, 1000)
        b = tone_fraction(heard[-1], 440) if heard else 0.0
        check(a >= 0.8, f"Alice's recording holds baresip's 1000 Hz in {a:.0%} of it")
        check(heard and b >= 0.8 and seconds(heard[-1]) >= CALL_S / 2,
              f"baresip's recording holds Alice's 440 Hz in {b:.0%} of it"
              f" ({seconds(heard[-1]) if heard else 0:.1f} s)")
        done = len(heard)

        # -- bob calls Alice --
        r = ctrl(ctrl_port, "dial", alice_aor)
        check(r.get("ok", True) is not False, f"baresip dials {alice_aor}")
        h.wait_for("Alice answered", lambda: any(c["state"] == "active"
                                                 for c in alice.call("calls")["calls"]), timeout=20)
        time.sleep(CALL_S)
        ctrl(ctrl_port, "hangup")
        h.wait_for("the call ended", lambda: all(c["state"] == "ended"
                                                 for c in alice.call("calls")["calls"]), timeout=20)
        last = alice.call("calls")["calls"][-1]
        check(last["remote"] == f"sip:bob@{domain}" and last["reason"] == "remote_hangup",
              f"Alice's side: a call from sip:bob, ended by its BYE ({last['reason']}, "
              f"codec {last['codec']})")
        time.sleep(1)
        heard = recordings(rec)
        a = tone_fraction(alice_wav, 1000)
        b = tone_fraction(heard[-1], 440) if len(heard) > done else 0.0
        check(a >= 0.8, f"Alice's recording holds baresip's 1000 Hz in {a:.0%} of it")
        check(len(heard) > done and b >= 0.8,
              f"baresip's recording holds Alice's 440 Hz in {b:.0%} of it")
        adapter_calls = adapter.call("adapter")["calls"]
        check(len(adapter_calls) == 2 and all(c["state"] == "ended" for c in adapter_calls),
              f"the adapter bridged both calls: {[(c['direction'], c['reason']) for c in adapter_calls]}")
    finally:
        # baresip first: it unregisters on the way out
        phone.terminate()
        try:
            phone.wait(timeout=10)
        except subprocess.TimeoutExpired:
            phone.kill()
            phone.wait()
        log.close()
    codes = h.stop_all()
    check(all(v == 0 for v in codes.values()), f"the peers stop cleanly: {codes}")
    for bad in h.check_logs():
        check(False, bad)

failed = [w for ok, w in checks if not ok]
print(f"1..{len(checks)}")
sys.exit(1 if failed else 0)
