#!/usr/bin/env python3
"""test_adapter.py BUILD_DIR: plain SIP phones through the adapter peer
(RFC 7890 §3; `chorus-peer run --sip-adapter ADDR:PORT
--sip-adapter-users FILE`), shown with SIPp, a SIP tester no one here
wrote (tests/process/sipp/*.xml).

A bootstrap peer, two Chorus phones (Alice answers at once, Carol does
not) and an adapter serving bob and dan (their certificates issued with
`chorus-enroll issue --node-id-of ADAPTER`).  Shown:
  - REGISTER with digest authentication (UDP and TCP), a wrong password
    refused, the phone's registration stored in the overlay (Alice fetches
    sip:bob's SIP-REGISTRATION: the adapter's route) and removed when the
    phone unregisters, and when the adapter stops;
  - a phone calls a Chorus user (INVITE, 100, 180, 200, ACK, BYE) and a
    Chorus user calls the phone (`ctl call` exits 0);
  - the delayed offer (RFC 3264 §5): the phone's INVITE without SDP goes
    into the overlay without an offer, the 200 brings Alice's offer (ICE,
    a=fingerprint, a=setup:actpass: SIPp checks them), the phone's answer
    in its ACK goes into the overlay's ACK, and Alice's call is answered;
  - the phone cancels while the Chorus user's phone rings (487 to the
    phone, "cancelled" at Carol);
  - re-INVITE relayed both ways (RFC 3264 §8.4): the phone holds and
    resumes a call with Alice (Alice's call on hold, then not), Alice
    holds and resumes a call with the phone (`ctl hold`/`resume`: SIPp
    checks a=sendonly, answers recvonly, then sendrecv), and the phone's
    re-INVITE while the adapter's is pending gets 491 (RFC 3261 §14.2);
  - MESSAGE relayed both ways (RFC 3428): the phone's to Alice lands in
    `ctl messages` with 200 back, Alice's `ctl message sip:bob` reaches
    the phone (delivered), one to an AOR nobody registered gets 404, one
    too long 413, one from where bob did not register 403;
  - a call to an AOR nobody registered: 404; an INVITE from where no phone
    registered: 403;
  - hostile input: RFC 4475's torture messages and garbage on UDP and TCP;
    the adapter still answers OPTIONS and keeps working.
SIPp sends no media here (its SDP describes ICE and DTLS-SRTP so that it
answers and offers like a WebRTC-capable phone); the audio of a real phone
through the adapter is baresip's test.
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Harness, Peer, free_port  # noqa: E402

build_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sipp_dir = os.path.join(here, "sipp")
torture_dir = os.path.join(here, "..", "..", "..", "shared", "testdata", "sip-torture-rfc4475")
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


if shutil.which("sipp") is None:
    print("1..0 # SKIP sipp (Debian package sip-tester) is not installed")
    sys.exit(0)


def free_udp_tcp_port():
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def sipp_start(workdir, scenario, fields, *extra, port=None, timeout=40):
    """Starts one SIPp scenario against the adapter (a UAS scenario when
    @fields is None) in @workdir, tracing its messages there."""
    os.makedirs(workdir, exist_ok=True)
    for old in glob.glob(os.path.join(workdir, "*_messages.log")):
        os.unlink(old)
    args = ["sipp", "-sf", scenario, "-m", "1", "-i", "127.0.0.1", "-p", str(port or phone_port),
            "-nostdin", "-trace_msg", "-trace_err", "-timeout", str(timeout - 5)]
    if fields is not None:
        csv = os.path.join(workdir, f"fields-{time.monotonic_ns()}.csv")
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n" + ";".join(fields) + "\n")
        args = [args[0], adapter_sip] + args[1:] + ["-inf", csv]
    return subprocess.Popen(args + list(extra), cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def sipp_finish(proc, workdir, timeout=40):
    """The exit status of a SIPp started by sipp_start() and the messages it
    traced."""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    text = ""
    for log in glob.glob(os.path.join(workdir, "*_messages.log")):
        text += open(log, errors="replace").read()
    return code, text


def sipp(workdir, scenario, fields, *extra, port=None, timeout=40):
    """Runs one SIPp scenario against the adapter: its exit status and the
    messages it traced."""
    proc = sipp_start(workdir, scenario, fields, *extra, port=port, timeout=timeout)
    return sipp_finish(proc, workdir, timeout=timeout)


def poll(predicate, timeout, interval=0.1):
    """Whether predicate() came true within @timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


def current_call(peer):
    for c in peer.call("calls")["calls"]:
        if c["state"] != "ended" and "message" not in c:
            return c
    return None


def expecting(workdir, scenario, code):
    """A copy of @scenario that expects the final response @code instead of
    200."""
    text = open(os.path.join(sipp_dir, scenario)).read()
    path = os.path.join(workdir, f"{code}_{scenario}")
    with open(path, "w") as f:
        f.write(text.replace('<recv response="200"/>', f'<recv response="{code}"/>'))
    return path


def start_lines(text):
    return [l for l in text.splitlines()
            if l.startswith(("SIP/2.0 ", "INVITE ", "ACK ", "BYE ", "CANCEL ", "REGISTER "))]


def registration_of(peer, aor):
    """The live SIP-REGISTRATION entries at H(aor), as Alice fetches them."""
    try:
        r = peer.call("fetch", "SIP-REGISTRATION", aor)
    except Exception:
        return []
    out = []
    for kr in r.get("kind_responses", []):
        for v in kr.get("values", []):
            if v["value"].get("exists"):
                out.append(v["value"])
    return out


def uac_refused(workdir, code):
    """uac.xml, expecting the final response @code (and its ACK) instead."""
    text = open(os.path.join(sipp_dir, "uac.xml")).read()
    head = text[: text.index('<recv response="200" rtd="true" rrs="true"/>')]
    tail = f"""<recv response="{code}"/>
  <send>
    <![CDATA[
      ACK sip:[field1]@[field2] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-5];rport
      From: <sip:[field0]@[field2]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
    path = os.path.join(workdir, f"uac_{code}.xml")
    with open(path, "w") as f:
        f.write(head + tail)
    return path


with Harness(build_dir) as h:
    work = os.path.join(h.dir, "sipp")
    os.makedirs(work)
    boot, alice, carol = h.add_peer(), h.add_peer(), h.add_peer()
    adapter = h.add_peer()
    domain = h.overlay
    alice_aor = f"sip:peer{alice.index}@{domain}"
    carol_aor = f"sip:peer{carol.index}@{domain}"
    for user in ("bob", "dan"):
        h.run([h.enroll_bin, "issue", "--dir", h.ca_dir, "--user", f"{user}@{domain}",
               "--node-id-of", adapter.profile,
               "--out", os.path.join(adapter.profile, "sip-adapter", user)])
    users = os.path.join(h.dir, "users")
    with open(users, "w") as f:
        f.write("# the adapter's phones\nbob:bob-secret\ndan:dan-secret\n")
    os.chmod(users, 0o600)
    sip_port = free_udp_tcp_port()
    phone_port = free_udp_tcp_port()
    adapter_sip = f"127.0.0.1:{sip_port}"

    boot.start([])
    time.sleep(0.5)
    alice.start([boot.listen], ["--auto-answer", "--play", "tone:440"])
    carol.start([boot.listen], ["--play", "tone:700"])
    adapter.start([boot.listen], ["--sip-adapter", adapter_sip, "--sip-adapter-users", users])
    h.wait_for("a consistent ring", lambda: h.ring_report()[0], timeout=120, interval=0.5)
    check(True, "4 peers joined, one of them an adapter for plain SIP phones")

    # a users file readable by others is refused (it holds passwords)
    os.chmod(users, 0o644)
    p = subprocess.run([h.peer_bin, "run", "--profile", adapter.profile, "--listen",
                        f"127.0.0.1:{free_port()}", "--sip-adapter", f"127.0.0.1:{free_port()}",
                        "--sip-adapter-users", users], capture_output=True, text=True, timeout=30)
    check(p.returncode == 64 and "chmod 600" in p.stderr,
          f"a users file others can read is refused ({p.returncode})")
    os.chmod(users, 0o600)

    # -- REGISTER --
    reg = os.path.join(sipp_dir, "register.xml")
    code, text = sipp(work, reg, ["bob", "-", domain], "-au", "bob", "-ap", "bob-secret",
                      "-set", "expires", "300")
    check(code == 0 and start_lines(text)[:4] == [
        f"REGISTER sip:{adapter_sip} SIP/2.0", "SIP/2.0 401 Unauthorized",
        f"REGISTER sip:{adapter_sip} SIP/2.0", "SIP/2.0 200 OK"],
        f"bob's phone registers: 401 with a digest challenge, then 200 ({code})")
    code, text = sipp(work, reg, ["dan", "-", domain], "-au", "dan", "-ap", "wrong",
                      "-set", "expires", "300", port=free_udp_tcp_port(), timeout=20)
    check(code != 0 and "SIP/2.0 200" not in text,
          f"a wrong password gets no binding (SIPp fails: {code})")
    code, text = sipp(work, reg, ["dan", "-", domain], "-au", "dan", "-ap", "dan-secret",
                      "-set", "expires", "300", "-t", "t1", port=free_udp_tcp_port())
    ok_lines = [l for l in text.split("\n\n") if l.lstrip().startswith("SIP/2.0 200")]
    check(code == 0 and ok_lines and "transport=TCP" in ok_lines[-1],
          f"dan's phone registers over TCP: the 200 lists its binding ({code})")
    st = adapter.call("adapter")
    users_st = {u["user"]: u for u in st["users"]}
    check(len(users_st["bob"]["bindings"]) == 1 and users_st["bob"]["bindings"][0]["transport"] == "UDP"
          and users_st["bob"]["registered"] and users_st["dan"]["bindings"] == [],
          "the adapter holds bob's binding (UDP); dan's went with its TCP connection (no RFC 5626 "
          f"flow to keep it): {st['users']}")
    h.wait_for("bob in the overlay", lambda: registration_of(alice, f"sip:bob@{domain}"),
               timeout=15)
    adapter_id = adapter.status()["node_id"]
    entry = registration_of(alice, f"sip:bob@{domain}")[0]
    route = entry["value"]["destination_list"]
    check(entry["key"] == adapter_id and route == [{"type": "node", "node_id": adapter_id}],
          "Alice fetches sip:bob's SIP-REGISTRATION: keyed by the adapter's Node-ID, the route "
          "form leading to the adapter (RFC 7904 §3.1)")

    # -- a phone calls a Chorus user --
    # (their phones' registrations may still be settling with the ring)
    h.wait_for("Alice and Carol in the overlay", lambda: registration_of(adapter, alice_aor)
               and registration_of(adapter, carol_aor), timeout=30)
    code, text = sipp(work, os.path.join(sipp_dir, "uac.xml"), ["bob", f"peer{alice.index}", domain])
    lines = start_lines(text)
    check(code == 0 and "SIP/2.0 180 Ringing" in lines and "SIP/2.0 200 OK" in lines
          and any(l.startswith("BYE ") for l in lines),
          f"bob's phone calls Alice: 180, 200, ACK, BYE, 200 ({code})")
    h.wait_for("Alice's side of it ended",
               lambda: all(c["state"] == "ended" for c in alice.call("calls")["calls"]), timeout=15)
    last = alice.call("calls")["calls"][-1]
    check(last["remote"] == f"sip:bob@{domain}" and last["direction"] == "incoming"
          and last["reason"] == "remote_hangup" and last["setup_ms"] is not None,
          f"Alice answered a call from sip:bob and it ended with the phone's BYE: {last['reason']}")

    # -- the delayed offer (RFC 3264 §5): an INVITE without SDP --
    code, text = sipp(work, os.path.join(sipp_dir, "uac_delayed_offer.xml"),
                      ["bob", f"peer{alice.index}", domain])
    lines = start_lines(text)
    ok_at = text.find("SIP/2.0 200 OK")
    ok_msg = text[ok_at:text.find("ACK ", ok_at)] if ok_at >= 0 else ""
    check(code == 0 and "a=fingerprint:sha-256 " in ok_msg and "a=ice-ufrag:" in ok_msg
          and "a=setup:actpass" in ok_msg and any(l.startswith("BYE ") for l in lines),
          f"bob's phone calls Alice without an offer: Alice's offer (ICE, DTLS) in the adapter's "
          f"200, the phone's answer in its ACK, then BYE ({code})")
    h.wait_for("Alice's side of the delayed offer ended",
               lambda: all(c["state"] == "ended" for c in alice.call("calls")["calls"]), timeout=15)
    last = alice.call("calls")["calls"][-1]
    check(last["remote"] == f"sip:bob@{domain}" and last["direction"] == "incoming"
          and last["setup_ms"] is not None and last["reason"] == "remote_hangup",
          f"Alice's call from sip:bob (delayed offer) was answered (the answer from the ACK) and "
          f"ended with the phone's BYE: {last}")
    delayed = [c for c in adapter.call("adapter")["calls"] if c["direction"] == "from_phone"]
    check(delayed and delayed[0]["status"] == 200 and delayed[0]["reason"] == "caller_hangup",
          f"the adapter bridged it to the end: {delayed[:1]}")

    # -- a Chorus user calls the phone --
    uas = subprocess.Popen(["sipp", "-sf", os.path.join(sipp_dir, "uas.xml"), "-i", "127.0.0.1",
                            "-p", str(phone_port), "-m", "1", "-nostdin", "-timeout", "30"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    rc, out, err = alice.ctl("call", f"sip:bob@{domain}", "--duration", "2")
    result = json.loads(out) if out.strip() else {}
    check(rc == 0 and result.get("answered"),
          f"Alice calls sip:bob: the phone rings, answers, and Alice hangs up ({rc}, {err.strip()})")
    check(uas.wait(timeout=30) == 0, "the phone saw INVITE, ACK and the BYE (SIPp's uas.xml passed)")

    # -- hold and resume from the phone (RFC 3264 §8.4), relayed to Alice --
    hold_dir = os.path.join(work, "hold")
    proc = sipp_start(hold_dir, os.path.join(sipp_dir, "uac_hold.xml"),
                      ["bob", f"peer{alice.index}", domain])
    held = poll(lambda: (current_call(alice) or {}).get("on_hold"), timeout=15)
    check(held, "bob's phone holds its call with Alice (re-INVITE with a=sendonly through the "
          "adapter): Alice's call is on hold")
    adapter_held = [c for c in adapter.call("adapter")["calls"] if c["state"] == "active"]
    check(adapter_held and adapter_held[0]["on_hold"],
          f"the adapter's call shows on_hold: {adapter_held}")
    resumed = held and poll(lambda: current_call(alice) is not None
                            and not current_call(alice)["on_hold"], timeout=10)
    check(resumed, "the phone resumes (a=sendrecv): Alice's call is off hold")
    code, text = sipp_finish(proc, hold_dir)
    lines = start_lines(text)
    check(code == 0 and sum(l.startswith("INVITE ") for l in lines) == 3
          and lines.count("SIP/2.0 200 OK") >= 4,
          f"the phone got the answers: recvonly to its hold, sendrecv to its resume, each 200 "
          f"ACKed, then BYE ({code})")

    # -- Alice holds and resumes her call with the phone; glare gets 491 --
    hold_dir = os.path.join(work, "held")
    uas = sipp_start(hold_dir, os.path.join(sipp_dir, "uas_hold.xml"), None)
    time.sleep(0.5)
    caller = subprocess.Popen([h.peer_bin, "ctl", "--profile", alice.profile, "call",
                               f"sip:bob@{domain}", "--duration", "5"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    active = poll(lambda: (current_call(alice) or {}).get("state") == "active", timeout=20)
    call_id = str(current_call(alice)["id"]) if active else "0"
    try:
        alice.call("hold", call_id)
        held = poll(lambda: (current_call(alice) or {}).get("on_hold"), timeout=10)
    except Exception as e:
        print(f"# hold: {e}")
        held = False
    check(active and held, "Alice holds her call with bob's phone (`ctl hold`): the phone got "
          "a=sendonly and answered recvonly, Alice's call is on hold")
    try:
        alice.call("resume", call_id)
        resumed = poll(lambda: current_call(alice) is not None
                       and not current_call(alice)["on_hold"], timeout=10)
    except Exception as e:
        print(f"# resume: {e}")
        resumed = False
    check(resumed, "Alice resumes (`ctl resume`): a=sendrecv to the phone, off hold")
    out, err = caller.communicate(timeout=40)
    code, text = sipp_finish(uas, hold_dir)
    check(code == 0 and caller.returncode == 0,
          f"the phone's scenario passed (hold offered sendonly, resume sendrecv, Alice's BYE; "
          f"{code}) and so did Alice's call ({caller.returncode}, {err.strip()})")
    check("SIP/2.0 491" in text,
          "the phone's own re-INVITE while the adapter's was pending got 491 Request Pending "
          "(RFC 3261 §14.2)")

    # -- MESSAGE (RFC 3428) --
    msg_dir = os.path.join(work, "message")
    code, text = sipp(msg_dir, os.path.join(sipp_dir, "message.xml"),
                      ["bob", f"peer{alice.index}", domain, "hello Alice from bob's phone"])
    check(code == 0 and "SIP/2.0 200" in text,
          f"bob's phone sends a MESSAGE to Alice through the adapter: 200 ({code})")
    got = alice.call("messages")["messages"]
    check(any(m["from"] == f"sip:bob@{domain}" and "hello Alice from bob's phone" in m["text"]
              for m in got), f"it is in Alice's messages, from sip:bob: {got[-1:] if got else got}")
    uas = sipp_start(msg_dir, os.path.join(sipp_dir, "uas_message.xml"), None)
    time.sleep(0.5)
    rc, out, err = alice.ctl("message", f"sip:bob@{domain}", "hello from Alice")
    result = json.loads(out) if out.strip() else {}
    check(rc == 0 and result.get("reason") == "delivered" and result.get("status") == 200,
          f"Alice's `ctl message sip:bob` reaches the phone: delivered ({rc}, {result})")
    code, text = sipp_finish(uas, msg_dir)
    check(code == 0, f"the phone received the MESSAGE with Alice's text and answered 200 ({code})")
    code, text = sipp(msg_dir, expecting(msg_dir, "message.xml", 404),
                      ["bob", "nobody", domain, "anyone there?"])
    check(code == 0, f"a MESSAGE to an AOR nobody registered: 404 ({code})")
    code, text = sipp(msg_dir, expecting(msg_dir, "message.xml", 413),
                      ["bob", f"peer{alice.index}", domain, "x" * 1100])
    check(code == 0, f"a MESSAGE longer than a Chorus phone keeps (1000 bytes): 413 ({code})")
    code, text = sipp(msg_dir, expecting(msg_dir, "message.xml", 403),
                      ["bob", f"peer{alice.index}", domain, "not from here"],
                      port=free_udp_tcp_port())
    check(code == 0, f"a MESSAGE from where bob's phone did not register: 403 ({code})")
    st = adapter.call("adapter")["messages"]
    check(st["delivered"] >= 2, f"the adapter counts the MESSAGEs it relayed: {st}")

    # -- the phone cancels while Carol's phone rings --
    code, text = sipp(work, os.path.join(sipp_dir, "uac_cancel.xml"),
                      ["bob", f"peer{carol.index}", domain])
    lines = start_lines(text)
    check(code == 0 and "SIP/2.0 487 Request Terminated" in lines,
          f"bob's phone cancels: 200 to the CANCEL, 487 to the INVITE ({code})")
    h.wait_for("Carol's call ended", lambda: all(c["state"] == "ended"
                                                 for c in carol.call("calls")["calls"]), timeout=10)
    check(carol.call("calls")["calls"][-1]["reason"] == "cancelled",
          "Carol's phone stopped ringing: cancelled")

    # -- refusals --
    code, text = sipp(work, uac_refused(work, 404), ["bob", "nobody", domain])
    check(code == 0, f"a call to an AOR nobody registered: 404 ({code})")
    code, text = sipp(work, uac_refused(work, 403), ["bob", f"peer{alice.index}", domain],
                      port=free_udp_tcp_port())
    check(code == 0, f"an INVITE from where bob's phone did not register: 403 ({code})")

    # -- hostile input --
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for path in sorted(glob.glob(os.path.join(torture_dir, "*.dat"))):
            s.sendto(open(path, "rb").read(), ("127.0.0.1", sip_port))
            sent += 1
        for blob in (b"\x00" * 100, b"REGISTER", b"INVITE sip:x SIP/2.0\r\n\r\n", os.urandom(1400),
                     b"\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n"):
            s.sendto(blob, ("127.0.0.1", sip_port))
            sent += 1
    for blob in (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999\r\n\r\n",
                 b"x" * 70000, b"REGISTER sip:x SIP/2.0\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", sip_port), timeout=5) as c:
            try:
                c.sendall(blob)
                c.settimeout(2)
                c.recv(100)
            except OSError:
                pass
        sent += 1
    opt = (f"OPTIONS sip:{adapter_sip} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKopt1\r\n"
           f"From: <sip:probe@{domain}>;tag=1\r\nTo: <sip:{adapter_sip}>\r\nCall-ID: opt1\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(opt, ("127.0.0.1", sip_port))
        answer = s.recv(65535)
    check(adapter.alive() and answer.startswith(b"SIP/2.0 200"),
          f"after {sent} torture messages and garbage (UDP, TCP) the adapter answers OPTIONS: "
          f"{answer.splitlines()[0].decode()}")
    code, text = sipp(work, os.path.join(sipp_dir, "uac.xml"), ["bob", f"peer{alice.index}", domain])
    check(code == 0, "and still carries calls")

    # -- unregister, then the adapter stops --
    code, text = sipp(work, reg, ["bob", "-", domain], "-au", "bob", "-ap", "bob-secret",
                      "-set", "expires", "0")
    h.wait_for("sip:bob gone from the overlay",
               lambda: not registration_of(alice, f"sip:bob@{domain}"), timeout=15)
    rc, out, err = alice.ctl("call", f"sip:bob@{domain}")
    check(code == 0 and rc == 3 and "404" in err,
          f"bob's phone unregisters (Expires: 0): its overlay entry is removed, calls get 404 ({rc})")
    code, text = sipp(work, reg, ["bob", "-", domain], "-au", "bob", "-ap", "bob-secret",
                      "-set", "expires", "300")
    h.wait_for("bob in the overlay again", lambda: registration_of(alice, f"sip:bob@{domain}"),
               timeout=15)
    adapter.terminate()
    check(adapter.wait(timeout=30) == 0, "the adapter stops cleanly")
    check(not registration_of(alice, f"sip:bob@{domain}"),
          "it removed its phones' registrations from the overlay first")

    codes = h.stop_all()
    for bad in h.check_logs():
        check(False, bad)

failed = [w for ok, w in checks if not ok]
print(f"1..{len(checks)}")
sys.exit(1 if failed else 0)
