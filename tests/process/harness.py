"""harness.py: real chorus-peer processes on 127.0.0.1 for process tests.

A Harness makes an overlay with chorus-enroll in a temporary directory,
issues profiles, starts `chorus-peer run` processes, talks to them through
their control sockets (the JSON-lines protocol of peer-control.h, or the
`chorus-peer ctl` command itself), and stops and removes everything at the
end, also when a test fails.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeerError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


class Peer:
    def __init__(self, harness, index, profile, listen):
        self.harness = harness
        self.index = index
        self.profile = profile
        self.listen = listen
        self.proc = None
        self.log_path = os.path.join(harness.dir, f"peer{index}.log")

    def start(self, bootstrap, extra=()):
        args = [self.harness.peer_bin, "run", "--profile", self.profile,
                "--listen", self.listen]
        for b in bootstrap:
            args += ["--bootstrap", b]
        args += list(extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def call(self, command, *args, timeout=30.0):
        """One request on the control socket; returns the result or raises
        PeerError with the error's name."""
        path = os.path.join(self.profile, "control.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall((json.dumps({"command": command, "args": list(args)}) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        answer = json.loads(data)
        if not answer["ok"]:
            raise PeerError(answer["error"], answer["message"])
        return answer["result"]

    def ctl(self, *args):
        """`chorus-peer ctl` itself: (exit status, stdout, stderr)."""
        p = subprocess.run([self.harness.peer_bin, "ctl", "--profile", self.profile] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def status(self):
        return self.call("status")

    def try_status(self):
        try:
            return self.status()
        except (OSError, ValueError, PeerError):
            return None

    def terminate(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)


class Harness:
    def __init__(self, build_dir, overlay="test.chorus", enroll_args=()):
        self.peer_bin = os.path.join(build_dir, "overlay", "tools", "chorus-peer")
        self.enroll_bin = os.path.join(build_dir, "overlay", "tools", "chorus-enroll")
        self.dir = tempfile.mkdtemp(prefix="chorus-test-")
        self.ca_dir = os.path.join(self.dir, "ca")
        self.overlay = overlay
        self.peers = []
        self.run([self.enroll_bin, "init", "--overlay", overlay, "--dir", self.ca_dir]
                 + list(enroll_args))

    def run(self, args):
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {p.stderr}")
        return p.stdout

    def add_peer(self, listen=None):
        i = len(self.peers)
        profile = os.path.join(self.dir, f"profile{i}")
        self.run([self.enroll_bin, "issue", "--dir", self.ca_dir,
                  "--user", f"peer{i}@{self.overlay}", "--out", profile])
        peer = Peer(self, i, profile, listen or f"127.0.0.1:{free_port()}")
        self.peers.append(peer)
        return peer

    def wait_for(self, what, predicate, timeout, interval=0.25):
        """Polls until predicate() is true; returns the seconds it took."""
        start = time.monotonic()
        while True:
            if predicate():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(interval)

    def ring_report(self, peers=None):
        """(consistent, message): whether every running peer is joined and
        its first successor and predecessor are the true ones."""
        peers = [p for p in (peers or self.peers) if p.alive()]
        states = {}
        for p in peers:
            st = p.try_status()
            if st is None:
                return False, f"peer {p.index} does not answer"
            states[p.index] = st
        ids = sorted(st["node_id"] for st in states.values())
        for i, st in states.items():
            if not st["joined"]:
                return False, f"peer {i} not joined"
            me = ids.index(st["node_id"])
            want_succ = ids[(me + 1) % len(ids)]
            want_pred = ids[(me - 1) % len(ids)]
            succ = st["successors"][0] if st["successors"] else None
            pred = st["predecessors"][0] if st["predecessors"] else None
            if len(ids) > 1 and (succ != want_succ or pred != want_pred):
                return False, f"peer {i}: successor {succ} (want {want_succ}), predecessor {pred} (want {want_pred})"
        return True, f"{len(ids)} peers, consistent"

    def stop_all(self):
        """SIGTERM to every peer; returns their exit statuses."""
        for p in self.peers:
            p.terminate()
        codes = {}
        for p in self.peers:
            if p.proc is not None:
                try:
                    codes[p.index] = p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    codes[p.index] = "hung"
        return codes

    def check_logs(self):
        """Sanitizer reports or crashes in any log are failures."""
        bad = []
        for p in self.peers:
            if os.path.exists(p.log_path):
                text = open(p.log_path, errors="replace").read()
                for marker in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                               "CRITICAL", "double free", "Segmentation"):
                    if marker in text:
                        bad.append(f"peer {p.index}: {marker}\n{text[-3000:]}")
        return bad

    def close(self):
        for p in self.peers:
            p.kill()
        if os.environ.get("CHORUS_KEEP_TEST_DIR"):
            print(f"# kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
