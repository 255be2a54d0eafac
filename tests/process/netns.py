"""netns.py: network namespaces for process tests (root only).

Lab() builds, inside this machine only, a small internet:

  public   namespace `TAG-pub`: a bridge `br0` holding 203.0.113.1/24
           (TEST-NET-3, RFC 5737) where the public hosts listen;
  routers  for each NAT i (1, 2, ...), a namespace `TAG-nat<i>`: its WAN
           (`wan`, 203.0.113.1<i>/24) on that bridge, its LAN (`lan`,
           10.<i>.0.1/24); IP forwarding on, masquerade (NAPT) from the LAN
           out of the WAN, and a home router's filter: nothing unsolicited
           from the WAN, neither to the router itself (`-A INPUT -i wan -m
           conntrack --ctstate NEW -j DROP`, NOTES.md) nor forwarded into
           the LAN;
  hosts    behind NAT i, a namespace `TAG-host<i>` with 10.<i>.0.2/24 and
           the router as default route.

With symmetric=True the routers map every new destination to a random
port (`MASQUERADE --random-fully`: endpoint-dependent mapping, RFC 4787),
which defeats hole punching: two hosts behind such NATs need a relay.

No namespace has a link to the machine's own network, so nothing leaves the
machine.  Every namespace, with its veths, bridge, routes and iptables
rules (all live in the namespaces), goes with close(): processes started
with popen() are killed first.  A Lab is a context manager, and close() is
also registered with atexit and on SIGTERM/SIGINT, so a failing or
interrupted test leaves nothing behind; stale namespaces of a crashed run
(same prefix, a pid no longer alive) are removed at the start.
"""

import atexit
import os
import re
import signal
import subprocess

PREFIX = "chnat"


def sh(*args, check=True):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def is_root():
    return os.geteuid() == 0


def missing_tools():
    missing = []
    for tool in ("ip", "iptables"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            missing.append(tool)
    return missing


def remove_stale():
    """Namespaces of earlier runs whose process is gone."""
    for line in sh("ip", "netns", "list", check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(rf"{PREFIX}(\d+)-", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            sh("ip", "netns", "del", name, check=False)


class Lab:
    def __init__(self, n_nats=2, symmetric=False):
        remove_stale()
        self.symmetric = symmetric
        self.tag = f"{PREFIX}{os.getpid()}"
        self.namespaces = []
        self.procs = []
        self.closed = False
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            self._build(n_nats)
        except Exception:
            self.close()
            raise

    def _on_signal(self, signum, frame):
        self.close()
        raise SystemExit(128 + signum)

    def ns(self, name):
        return f"{self.tag}-{name}"

    def _add_ns(self, name):
        full = self.ns(name)
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        self.run(name, "ip", "link", "set", "lo", "up")
        return full

    def run(self, name, *args, check=True):
        return sh("ip", "netns", "exec", self.ns(name), *args, check=check)

    def _build(self, n_nats):
        pub = self._add_ns("pub")
        self.run("pub", "ip", "link", "add", "br0", "type", "bridge")
        self.run("pub", "ip", "addr", "add", "203.0.113.1/24", "dev", "br0")
        self.run("pub", "ip", "link", "set", "br0", "up")
        for i in range(1, n_nats + 1):
            self._add_ns(f"nat{i}")
            host = self._add_ns(f"host{i}")
            # WAN: a veth from the router to the public bridge
            self.run(f"nat{i}", "ip", "link", "add", "wan", "type", "veth", "peer", "name",
                     f"up{i}", "netns", pub)
            self.run("pub", "ip", "link", "set", f"up{i}", "master", "br0")
            self.run("pub", "ip", "link", "set", f"up{i}", "up")
            self.run(f"nat{i}", "ip", "addr", "add", f"203.0.113.1{i}/24", "dev", "wan")
            self.run(f"nat{i}", "ip", "link", "set", "wan", "up")
            # LAN: a veth from the router to the host
            self.run(f"nat{i}", "ip", "link", "add", "lan", "type", "veth", "peer", "name",
                     "eth0", "netns", host)
            self.run(f"nat{i}", "ip", "addr", "add", f"10.{i}.0.1/24", "dev", "lan")
            self.run(f"nat{i}", "ip", "link", "set", "lan", "up")
            self.run(f"host{i}", "ip", "addr", "add", f"10.{i}.0.2/24", "dev", "eth0")
            self.run(f"host{i}", "ip", "link", "set", "eth0", "up")
            self.run(f"host{i}", "ip", "route", "add", "default", "via", f"10.{i}.0.1")
            # the home router: NAPT out, nothing unsolicited in
            self.run(f"nat{i}", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
            ipt = ["iptables", "-w"]
            # symmetric: a new source port for every destination
            # (endpoint-dependent mapping, RFC 4787): no hole punching
            random = ["--random-fully"] if self.symmetric else []
            self.run(f"nat{i}", *ipt, "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-s",
                     f"10.{i}.0.0/24", "-j", "MASQUERADE", *random)
            self.run(f"nat{i}", *ipt, "-A", "INPUT", "-i", "wan", "-m", "conntrack", "--ctstate",
                     "NEW", "-j", "DROP")
            self.run(f"nat{i}", *ipt, "-A", "FORWARD", "-i", "wan", "-o", "lan", "-m",
                     "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
            self.run(f"nat{i}", *ipt, "-A", "FORWARD", "-i", "wan", "-j", "DROP")

    def popen(self, name, args, log_path, env=None):
        """A process in namespace @name, its output to @log_path; killed by
        close()."""
        log = open(log_path, "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(name)] + list(args), stdout=log,
                             stderr=subprocess.STDOUT, env=env)
        p.log = log
        self.procs.append(p)
        return p

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            p.log.close()
        # deleting a namespace deletes its veths (both ends), bridge, routes
        # and iptables rules
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces = []

    def leftovers(self):
        """Namespaces of this lab still there (none after close())."""
        return [line for line in sh("ip", "netns", "list", check=False).splitlines()
                if line.startswith(self.tag)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Lan(Lab):
    """One link, no router: namespace `TAG-lan` holds a bridge `br0`, and
    each host i (1..n), a namespace `TAG-host<i>`, has `eth0` on it with
    10.0.0.<i>/24.  For tests that change a host's address on the link
    (set_address()).  Cleaned up like a Lab."""

    def __init__(self, n_hosts=3):
        super().__init__(n_nats=n_hosts)

    def _build(self, n_hosts):
        lan = self._add_ns("lan")
        self.run("lan", "ip", "link", "add", "br0", "type", "bridge")
        self.run("lan", "ip", "link", "set", "br0", "up")
        for i in range(1, n_hosts + 1):
            self._add_ns(f"host{i}")
            self.run(f"host{i}", "ip", "link", "add", "eth0", "type", "veth", "peer", "name",
                     f"port{i}", "netns", lan)
            self.run("lan", "ip", "link", "set", f"port{i}", "master", "br0")
            self.run("lan", "ip", "link", "set", f"port{i}", "up")
            self.run(f"host{i}", "ip", "addr", "add", f"10.0.0.{i}/24", "dev", "eth0")
            self.run(f"host{i}", "ip", "link", "set", "eth0", "up")

    def set_address(self, host, old, new):
        """Host @host's address @old (with its prefix, "10.0.0.3/24") goes
        and @new comes, on the same interface: what a new DHCP lease does."""
        self.run(host, "ip", "addr", "del", old, "dev", "eth0")
        self.run(host, "ip", "addr", "add", new, "dev", "eth0")
