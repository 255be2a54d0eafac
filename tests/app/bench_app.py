#!/usr/bin/env python3
"""bench_app.py BUILD_DIR [RUNS]: the softphone's start, measured.

Makes a profile once (app.create-overlay), then starts the app RUNS times
(default 5) with that existing profile, each in a D-Bus session and an X
server of its own (dbus-run-session, xvfb-run, the cairo renderer), and
reports from the app's own log lines:
  - launch to first window: "window shown N ms after the start"
  - launch to Online (joined and the AOR registered): "online N ms ..."
  - the idle app's memory: VmRSS and VmHWM of the chorus process 10 s
    after it was online.
The times count from main(); process creation and the dynamic loader come
before it.  Prints the numbers (median, min, max) as text and one JSON
line; asserts nothing about them (a benchmark).
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build_dir = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
chorus = os.path.join(build_dir, "app", "chorus")
APP_ID = "io.github.chorusp2p.Chorus"

for tool in ("xvfb-run", "dbus-run-session", "gdbus"):
    if shutil.which(tool) is None:
        print(f"bench-app: {tool} is not installed; nothing measured")
        sys.exit(0)


def start(work, profile, log_path):
    bus_file = os.path.join(work, "bus")
    if os.path.exists(bus_file):
        os.unlink(bus_file)
    env = dict(os.environ, GSETTINGS_BACKEND="memory", GTK_A11Y="none", GSK_RENDERER="cairo",
               XDG_DATA_HOME=os.path.join(work, "data"))
    log = open(log_path, "w")
    script = ('echo "$DBUS_SESSION_BUS_ADDRESS" > "$0.tmp" && mv "$0.tmp" "$0" && '
              'exec xvfb-run -a "$@"')
    proc = subprocess.Popen(["dbus-run-session", "--", "sh", "-c", script, bus_file, chorus,
                             "--profile", profile, "--play", "tone:440"],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    deadline = time.time() + 30
    while not os.path.exists(bus_file) and time.time() < deadline:
        time.sleep(0.05)
    with open(bus_file) as f:
        bus = f.read().strip()
    return proc, log, bus


def wait_log(path, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.05)
    return None


def action(bus, name, param="[]"):
    for _ in range(100):
        r = subprocess.run(["gdbus", "call", "--address", bus, "--dest", APP_ID, "--object-path",
                            "/io/github/chorusp2p/Chorus", "--method",
                            "org.gtk.Actions.Activate", name, param, "{}"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"app.{name}: {r.stderr}")


def chorus_pid(profile):
    r = subprocess.run(["pgrep", "-f", f"{chorus} --profile {profile}"], capture_output=True,
                       text=True)
    # the program itself, not the shells (sh, xvfb-run) whose command lines
    # carry the same words
    target = os.path.realpath(chorus)
    for p in (int(x) for x in r.stdout.split()):
        try:
            if os.path.realpath(f"/proc/{p}/exe") == target:
                return p
        except OSError:
            continue
    return None


def memory_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def stop(proc, log, bus):
    try:
        action(bus, "quit")
        proc.wait(timeout=30)
    except Exception:
        os.killpg(proc.pid, 9)
        proc.wait()
    log.close()


work = tempfile.mkdtemp(prefix="chorus-bench-app-")
try:
    profile = os.path.join(work, "app")
    log_path = os.path.join(work, "setup.log")
    proc, log, bus = start(work, profile, log_path)
    action(bus, "create-overlay", "[<'bench'>]")
    if not wait_log(log_path, r"registered sip:bench@", 60):
        raise SystemExit("bench-app: the first run did not register")
    stop(proc, log, bus)

    window, online, rss, hwm = [], [], [], []
    for i in range(runs):
        log_path = os.path.join(work, f"run{i}.log")
        proc, log, bus = start(work, profile, log_path)
        w = wait_log(log_path, r"window shown ([0-9.]+) ms", 60)
        o = wait_log(log_path, r"online ([0-9.]+) ms", 60)
        if w:
            window.append(float(w.group(1)))
        if o:
            online.append(float(o.group(1)))
            time.sleep(10)
            pid = chorus_pid(profile)
            if pid:
                m = memory_kb(pid)
                rss.append(m.get("VmRSS", 0) / 1024)
                hwm.append(m.get("VmHWM", 0) / 1024)
        stop(proc, log, bus)

    def line(name, values, unit):
        if not values:
            return f"{name}: not measured"
        return (f"{name}: median {statistics.median(values):.0f} {unit}, "
                f"min {min(values):.0f}, max {max(values):.0f} ({len(values)} runs)")

    print(line("launch to first window", window, "ms"))
    print(line("launch to Online (existing profile)", online, "ms"))
    print(line("idle memory (VmRSS, 10 s after Online)", rss, "MiB"))
    print(line("peak memory (VmHWM)", hwm, "MiB"))
    print(json.dumps({"window_ms": window, "online_ms": online, "rss_mib": rss,
                      "hwm_mib": hwm}))
finally:
    shutil.rmtree(work, ignore_errors=True)
