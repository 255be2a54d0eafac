"""turnserver.py: a coturn (RFC 5766 TURN, and STUN) for process tests.

Turn(dir, listen_ip, relay_ip, user, password, realm) starts `turnserver`
with one long-term credential, UDP only (no TLS, DTLS or TCP relay, no CLI),
its database and pid file in `dir`, and waits until it says it is ready;
`netns` runs it inside a network namespace (`ip netns exec`).  stop() ends
it; the object is also a context manager.  Its log (verbose: one line per
TURN request) is `dir/turnserver-PORT.log`.
"""

import os
import signal
import socket
import subprocess
import time


def free_udp_port(ip="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


class Turn:
    def __init__(self, dir, listen_ip="127.0.0.1", relay_ip=None, user="chorus",
                 password="chorus-turn-secret", realm="test.chorus", port=None, netns=None,
                 loopback_peers=False):
        self.dir = dir
        self.listen_ip = listen_ip
        self.port = port or free_udp_port(listen_ip if netns is None else "127.0.0.1")
        self.log_path = os.path.join(dir, f"turnserver-{self.port}.log")
        args = ["turnserver", "-n", f"--listening-ip={listen_ip}",
                f"--listening-port={self.port}", f"--relay-ip={relay_ip or listen_ip}",
                "--min-port=49152", "--max-port=65535", "--lt-cred-mech",
                f"--user={user}:{password}", f"--realm={realm}", "--no-tls", "--no-dtls",
                "--no-cli", "--no-tcp-relay", "--log-file=stdout", "--simple-log", "--verbose",
                f"--userdb={dir}/turndb-{self.port}", f"--pidfile={dir}/turn-{self.port}.pid"]
        if loopback_peers:
            args.append("--allow-loopback-peers")
        if netns is not None:
            args = ["ip", "netns", "exec", netns] + args
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            with open(self.log_path, errors="replace") as f:
                if "Total General servers" in f.read():
                    break
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnserver exited: {open(self.log_path).read()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("turnserver did not become ready in 20 s")
            time.sleep(0.1)

    def address(self):
        return f"{self.listen_ip}:{self.port}"

    def allocations(self):
        """Allocations coturn logged as made (its log's ALLOCATE successes)."""
        with open(self.log_path, errors="replace") as f:
            return sum(1 for line in f if "ALLOCATE processed, success" in line)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
