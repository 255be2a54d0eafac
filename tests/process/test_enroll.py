#!/usr/bin/env python3
"""test_enroll.py BUILD_DIR: joining an overlay from one link, over real
HTTPS on 127.0.0.1 (RFC 6940 §11.2, §11.3).

`chorus-enroll init --enrollment-url` + `chorus-enroll serve`; invitations
from `chorus-enroll invite` (the QR code read back with zbarimg); devices
join with `chorus-peer join LINK --profile DIR` and then run as peers of
one ring.  Also: a link used twice, an expired link, a wrong fingerprint
(the secret is never sent: the same link still works afterwards), an
unreachable server, a tampered configuration document, every 403 token of
§11.3 from hand-made requests (certtool makes the CSRs), the HTTP limits.

Prints TAP.
"""

import http.client
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid

from harness import Harness, Peer, free_port

build_dir = sys.argv[1]
checks = []


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


port = free_port()
url = f"https://127.0.0.1:{port}/enroll"

with Harness(build_dir, enroll_args=["--enrollment-url", url]) as h:
    serve_log = open(os.path.join(h.dir, "serve.log"), "w")
    server = subprocess.Popen([h.enroll_bin, "serve", "--dir", h.ca_dir,
                               "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=serve_log, text=True)
    banner = server.stdout.readline()
    check(banner.startswith(f"serving https://127.0.0.1:{port}"), f"serve starts: {banner.strip()}")
    fp_served = re.search(r"SHA-256 ([0-9a-f]{64})", banner)

    def invite(user, *extra):
        out = h.run([h.enroll_bin, "invite", "--dir", h.ca_dir, "--user", user] + list(extra))
        return out.strip().splitlines()[-1]

    def join(link, name):
        profile = os.path.join(h.dir, name)
        p = subprocess.run([h.peer_bin, "join", link, "--profile", profile],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr, profile

    # -- an invitation, its QR code, and the link's syntax
    qr = os.path.join(h.dir, "alice.png")
    link = invite("alice", "--qr", qr)
    check(re.fullmatch(r"chorus-invite://127\.0\.0\.1:%d/enroll\?overlay=test\.chorus&user=alice%%40test\.chorus"
                       r"&secret=[0-9a-f]{32}&sha256=[0-9a-f]{64}" % port, link),
          f"the link has the documented syntax: {link}")
    check(fp_served and fp_served.group(1) in link,
          "the link carries the fingerprint the server presents")
    z = subprocess.run(["zbarimg", "--raw", "-q", qr], capture_output=True, text=True)
    check(z.returncode == 0 and z.stdout.strip() == link,
          "zbarimg reads the QR code back as exactly the link")

    # -- a wrong fingerprint: refused before the secret is sent
    wrong = re.sub(r"sha256=[0-9a-f]{64}", "sha256=" + "ab" * 32, link)
    code, out, _ = join(wrong, "wrongfp")
    check(code == 4 and "may be intercepted" in out and fp_served.group(1) in out,
          f"a wrong fingerprint is refused, exit 4: {out.strip()[:160]}")
    check(not os.path.exists(os.path.join(h.dir, "wrongfp", "cert.pem")),
          "nothing is written for a refused server")

    # -- the real join
    t0 = time.monotonic()
    code, out, alice = join(link, "alice")
    took = time.monotonic() - t0
    print(f"# join took {took * 1000:.0f} ms", flush=True)
    check(code == 0 and "joined overlay test.chorus as alice@test.chorus" in out,
          f"chorus-peer join succeeds (after the wrong-fingerprint try): {out.strip()[:120]}")
    files = sorted(os.listdir(alice)) if os.path.isdir(alice) else []
    check(all(f in files for f in ("ca.pem", "cert.pem", "key.pem", "config.xml")),
          f"the profile holds ca.pem, cert.pem, key.pem, config.xml: {files}")
    check(open(os.path.join(alice, "config.xml"), "rb").read()
          == open(os.path.join(h.ca_dir, "config.xml"), "rb").read(),
          "the profile's config.xml is the served document byte for byte")
    check(oct(os.stat(os.path.join(alice, "key.pem")).st_mode & 0o777) == "0o600",
          "the key file is 0600")
    txt = subprocess.run(["certtool", "-i", "--infile", os.path.join(alice, "cert.pem")],
                         capture_output=True, text=True).stdout
    check("RFC822Name: alice@test.chorus" in txt and "URI: reload://" in txt,
          "the certificate carries the user name and a reload:// Node-ID (§11.3)")

    # -- the same link again
    code, out, _ = join(link, "again")
    check(code == 3 and "used already" in out, f"a reused link is refused, exit 3: {out.strip()}")

    # -- an expired link
    old = invite("carol", "--expires", "1s")
    time.sleep(2.1)
    code, out, _ = join(old, "carol")
    check(code == 3 and "expired" in out, f"an expired link is refused, exit 3: {out.strip()}")

    # -- an unreachable server
    dead = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{free_port()}", invite("dave"))
    code, out, _ = join(dead, "dave")
    check(code == 5 and "cannot reach" in out, f"an unreachable server, exit 5: {out.strip()[:120]}")

    # -- a profile that holds an identity already
    code, out, _ = join(invite("alice"), "alice")
    check(code == 1 and "holds an identity" in out, f"an existing profile is kept: {out.strip()}")

    # -- the joined devices are peers of the overlay
    code, out, bob = join(invite("bob"), "bob")
    check(code == 0, f"a second device joins: {out.strip()[:80]}")
    pa = Peer(h, 0, alice, f"127.0.0.1:{free_port()}")
    pb = Peer(h, 1, bob, f"127.0.0.1:{free_port()}")
    h.peers += [pa, pb]
    pa.start([])
    h.wait_for("alice forms the overlay", lambda: (pa.try_status() or {}).get("joined"), 30)
    pb.start([pa.listen])
    try:
        took = h.wait_for("a ring of the two joined devices", lambda: h.ring_report()[0], 60)
        check(True, f"the two enrolled devices form a ring ({took:.1f} s)")
    except AssertionError as e:
        check(False, str(e))
    codes = h.stop_all()
    check(all(c == 0 for c in codes.values()), f"both peers leave and exit 0: {codes}")

    # -- hand-made requests: every 403 token of §11.3, and the HTTP limits
    ctx = ssl.create_default_context(cafile=os.path.join(h.ca_dir, "ca.pem"))

    def request(method, path, body=b"", headers=None):
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Content-Type"), data, r

    def certtool(*args):
        subprocess.run(["certtool"] + list(args), check=True, capture_output=True)

    def csr_for(name, bits=None):
        key = os.path.join(h.dir, f"k-{uuid.uuid4().hex}.pem")
        tmpl = key + ".tmpl"
        out = key + ".csr"
        with open(tmpl, "w") as f:
            f.write(f"email = {name}\n" if name else "cn = nobody\n")
        if bits:
            certtool("--generate-privkey", "--rsa", "--bits", str(bits), "--outfile", key)
        else:
            certtool("--generate-privkey", "--ecc", "--outfile", key)
        certtool("--generate-request", "--load-privkey", key, "--template", tmpl,
                 "--outfile", out, "--outder")
        return open(out, "rb").read()

    def form(fields, csr=None, csr_type="application/pkcs10"):
        b = "----chorus" + uuid.uuid4().hex
        parts = []
        for k, v in fields.items():
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        if csr is not None:
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="csr"; filename="r.p10"\r\n'
                         f"Content-Type: {csr_type}\r\n\r\n".encode() + csr + b"\r\n")
        parts.append(f"--{b}--\r\n".encode())
        return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={b}",
                                 "Accept": "application/pkix-cert"}

    def enroll(fields, csr=None, **kw):
        body, hdrs = form(fields, csr, **kw)
        return request("POST", "/enroll", body, hdrs)

    erin_link = invite("erin")
    erin_secret = re.search(r"secret=([0-9a-f]{32})", erin_link).group(1)
    erin = "erin@test.chorus"
    good_csr = csr_for(erin)

    st, ct, body, _ = enroll({"username": erin, "password": "0" * 32}, good_csr)
    check(st == 403 and ct.startswith("text/plain") and body == b"failed_authentication",
          f"wrong password: 403 failed_authentication ({st} {body!r})")
    st, _, body, _ = enroll({"username": "frank@test.chorus", "password": erin_secret}, good_csr)
    check(st == 403 and body == b"failed_authentication",
          f"a secret of another user: 403 failed_authentication ({st} {body!r})")
    st, _, body, _ = enroll({"username": erin, "password": erin_secret}, csr_for("mallory@test.chorus"))
    check(st == 403 and body == b"username_not_available",
          f"a CSR asking for another user name: 403 username_not_available ({st} {body!r})")
    st, _, body, _ = enroll({"username": erin, "password": erin_secret, "nodeids": "99"}, good_csr)
    check(st == 403 and body == b"Node-IDs_not_available",
          f"99 Node-IDs: 403 Node-IDs_not_available ({st} {body!r})")
    st, _, body, _ = enroll({"username": erin, "password": erin_secret}, b"not a request")
    check(st == 403 and body == b"bad_CSR", f"garbage CSR: 403 bad_CSR ({st} {body!r})")
    st, _, body, _ = enroll({"username": erin, "password": erin_secret}, csr_for(erin, bits=1024))
    check(st == 403 and body == b"bad_CSR", f"an RSA-1024 key: 403 bad_CSR ({st} {body!r})")
    st, _, body, _ = enroll({"username": erin, "password": erin_secret}, good_csr,
                            csr_type="text/plain")
    check(st == 403 and body == b"bad_CSR", f"csr not application/pkcs10: 403 bad_CSR ({st} {body!r})")
    # none of those consumed the invitation: a proper request still works
    st, ct, body, _ = enroll({"username": erin, "password": erin_secret, "nodeids": "2"}, good_csr)
    check(st == 200 and ct == "application/pkix-cert" and body[:1] == b"\x30",
          f"a proper request with nodeids=2: 200 application/pkix-cert, DER ({st} {ct})")
    pem = os.path.join(h.dir, "erin.pem")
    open(pem, "w").write(ssl.DER_cert_to_PEM_cert(body))
    txt = subprocess.run(["certtool", "-i", "--infile", pem], capture_output=True, text=True).stdout
    check(txt.count("URI: reload://") == 2 and "RFC822Name: erin@test.chorus" in txt,
          "the certificate holds the 2 Node-IDs asked for and the user name")
    vr = subprocess.run(["certtool", "--verify", "--load-ca-certificate",
                         os.path.join(h.ca_dir, "ca.pem"), "--infile", pem],
                        capture_output=True, text=True)
    check(vr.returncode == 0, "certtool verifies it against the overlay's root CA")

    st, ct, body, _ = request("GET", "/.well-known/reload-config")
    check(st == 200 and ct == "application/p2p-overlay+xml" and b"<overlay" in body,
          f"GET /.well-known/reload-config: 200 application/p2p-overlay+xml ({st} {ct})")
    st, _, _, _ = request("GET", "/enroll")
    check(st == 405, f"GET on the enrollment URL: 405 ({st})")
    st, _, _, _ = request("GET", "/nothing")
    check(st == 404, f"another path: 404 ({st})")
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    c.putrequest("POST", "/enroll")
    c.putheader("Content-Type", "multipart/form-data; boundary=x")
    c.putheader("Content-Length", str(10 * 1024 * 1024))
    c.putheader("Expect", "100-continue")
    c.endheaders()
    r = c.getresponse()
    check(r.status == 413, f"a 10 MiB body is refused before it is read: {r.status}")
    c.close()
    st, _, _, _ = request("POST", "/enroll", b"x=1", {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 400, f"not multipart/form-data: 400 ({st})")
    # an address that keeps failing waits (10 failures a minute)
    statuses = [enroll({"username": erin, "password": "1" * 32}, good_csr)[0] for _ in range(12)]
    _, _, _, r = enroll({"username": erin, "password": "1" * 32}, good_csr)
    check(429 in statuses and r.status == 429 and r.getheader("Retry-After") == "60",
          f"repeated failures from one address get 429 with Retry-After: {statuses}")

    # -- a tampered configuration document is refused by the device
    gina = invite("gina")
    cfg_path = os.path.join(h.ca_dir, "config.xml")
    orig = open(cfg_path, "rb").read()
    tampered = orig.replace(b"<max-message-size>", b"<max-message-size>1", 1)
    if tampered == orig:
        tampered = orig.replace(b"<initial-ttl>", b"<initial-ttl>1", 1)
    open(cfg_path, "wb").write(tampered)
    code, out, _ = join(gina, "gina")
    open(cfg_path, "wb").write(orig)
    check(code != 0 and "unusable" in out, f"a tampered configuration is refused: {out.strip()[:160]}")

    server.send_signal(signal.SIGTERM)
    check(server.wait(timeout=30) == 0, "serve exits 0 on SIGTERM")
    serve_log.close()
    log = open(os.path.join(h.dir, "serve.log")).read()
    check("enroll: alice@test.chorus issued to 127.0.0.1" in log and "refused: failed_authentication" in log,
          "the server logs one line per issue and per refusal")
    bad = [m for m in ("AddressSanitizer", "runtime error:", "LeakSanitizer", "CRITICAL") if m in log]
    bad += h.check_logs()
    check(not bad, f"no sanitizer report or critical in the logs {bad[:1]}")

print(f"1..{len(checks)}")
sys.exit(0 if all(ok for ok, _ in checks) else 1)
