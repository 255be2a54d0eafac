#!/usr/bin/env python3
"""test_app_ui.py BUILD_DIR: the softphone, two instances, end to end.

Each instance runs in a D-Bus session and an X server of its own
(dbus-run-session, xvfb-run) with its own app directory.  The test drives
them through their GActions over D-Bus (org.gtk.Actions, what the buttons,
the keyboard and notifications activate too) and reads what they did from
their logs, their SQLite files and their recordings:

  Alice's app creates the home overlay ("Start a new overlay"), is
  registered, and makes an invitation for Bob; Bob's app joins with the
  link, is registered, and calls Alice; Alice answers (app.answer, Ctrl+Y);
  each hears the other's tone; Bob hangs up; both histories show the call
  (Alice: incoming, Bob: outgoing) in app.db; both quit, leaving the
  overlay and removing their registrations.

Prints TAP.  Skips without xvfb-run or dbus-run-session.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from wav_tone import SILENCE_RMS, WINDOW_S, read_mono, seconds, tone_fraction  # noqa: E402

build_dir = sys.argv[1]
chorus = os.path.join(build_dir, "app", "chorus")
# the screenshots of each page: test artefacts beside meson's logs
shots_dir = os.path.join(build_dir, "meson-logs", "app-ui")
checks = []
APP_ID = "io.github.chorusp2p.Chorus"


def check_a11y(app, predicate, what, wait=10):
    """A check on what AT-SPI shows of @app, retried while it settles;
    skipped (TAP SKIP) without pyatspi."""
    deadline = time.time() + wait
    nodes = app.a11y()
    if nodes is None:
        checks.append((True, what))
        print(f"ok {len(checks)} - {what} # SKIP python3-pyatspi is not installed", flush=True)
        return True
    ok, detail = predicate(nodes)
    while not ok and time.time() < deadline:
        time.sleep(0.5)
        nodes = app.a11y()
        ok, detail = predicate(nodes)
    return check(ok, f"{what} {detail}")


def online_and_labelled(nodes):
    online = any(n["role"] == "label" and n["name"] == "Online" for n in nodes)
    buttons = [n for n in nodes if n["role"] in ("push button", "toggle button")]
    unnamed = [n for n in buttons if not n["name"].strip()]
    return online and buttons and not unnamed, (
        f"(AT-SPI: 'Online' label {'shown' if online else 'missing'}, "
        f"{len(buttons)} buttons, unnamed: {len(unnamed)})")


def check(ok, what):
    checks.append((bool(ok), what))
    print(f"{'ok' if ok else 'not ok'} {len(checks)} - {what}", flush=True)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


for tool in ("xvfb-run", "dbus-run-session", "gdbus"):
    if shutil.which(tool) is None:
        print(f"1..0 # SKIP {tool} is not installed (tools/install-deps.sh installs it)")
        sys.exit(0)


# Debian's python3 has pyatspi (python3-pyatspi); another python3 first in
# PATH (a virtualenv) may not
PROBE_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "atspi_probe.py")


def longest_silence_s(path):
    """The longest run of silent 20 ms windows in a recording, in seconds."""
    rate, samples = read_mono(path)
    step = int(rate * WINDOW_S)
    best = run = 0
    for start in range(0, len(samples) - step + 1, step):
        w = samples[start:start + step]
        rms = (sum(x * x for x in w) / len(w)) ** 0.5
        run = run + 1 if rms < SILENCE_RMS else 0
        best = max(best, run)
    return best * WINDOW_S


class App:
    """One instance of `chorus` in its own D-Bus session and X server."""

    def __init__(self, name, workdir, args, profile=None):
        self.name = name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.profile = profile or os.path.join(self.dir, "app")
        self.bus_file = os.path.join(self.dir, "bus")
        self.log_path = os.path.join(self.dir, "log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ)
        env["GSETTINGS_BACKEND"] = "memory"
        env["G_DEBUG"] = "fatal-criticals"
        # Xvfb has no GPU: the cairo renderer, not GL in software (llvmpipe
        # under AddressSanitizer takes minutes per frame)
        env["GSK_RENDERER"] = "cairo"
        env["XDG_DATA_HOME"] = os.path.join(self.dir, "data")
        env["XDG_CONFIG_HOME"] = os.path.join(self.dir, "config")
        # each app its own runtime directory: the accessibility bus's socket
        # lives there, and one per D-Bus session must not replace another's
        self.runtime = os.path.join(self.dir, "run")
        os.makedirs(self.runtime, mode=0o700)
        env["XDG_RUNTIME_DIR"] = self.runtime
        script = ('echo "$DBUS_SESSION_BUS_ADDRESS" > "$0.tmp" && mv "$0.tmp" "$0" && '
                  'exec xvfb-run -a "$@"')
        self.proc = subprocess.Popen(
            ["dbus-run-session", "--", "sh", "-c", script, self.bus_file,
             chorus, "--profile", self.profile] + list(args),
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 30
        while not os.path.exists(self.bus_file) and time.time() < deadline:
            time.sleep(0.1)
        with open(self.bus_file) as f:
            self.bus = f.read().strip()
        # the application's name on its bus: it runs
        self.wait_for("its D-Bus name", lambda: self.gdbus_ok(), 30)

    def gdbus(self, *args):
        return subprocess.run(["gdbus", "call", "--timeout", "120", "--address", self.bus,
                               "--dest", APP_ID, "--object-path",
                               "/io/github/chorusp2p/Chorus"] + list(args),
                              capture_output=True, text=True, timeout=150)

    def gdbus_ok(self):
        return self.gdbus("--method", "org.gtk.Actions.List").returncode == 0

    def action(self, name, parameter=None):
        """org.gtk.Actions.Activate: parameter a GVariant text or None."""
        param = f"[<{parameter}>]" if parameter is not None else "[]"
        r = self.gdbus("--method", "org.gtk.Actions.Activate", name, param, "{}")
        if r.returncode != 0:
            raise RuntimeError(f"{self.name}: app.{name}: {r.stderr.strip()}")

    def screenshot(self, page, name):
        """app.show-page then app.screenshot: a PNG of that page."""
        if page is not None:
            self.action("show-page", f"'{page}'")
        time.sleep(0.5)  # a frame drawn
        path = os.path.join(shots_dir, f"{self.name}-{name}.png")
        if os.path.exists(path):
            os.unlink(path)
        self.action("screenshot", f"'{path}'")
        self.wait_log(re.escape(f"screenshot {path}"), 10)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return False
        return data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000

    def a11y(self):
        """The app's accessibility tree (AT-SPI) as a list of nodes, or None
        without pyatspi."""
        r = subprocess.run([PROBE_PYTHON, PROBE], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus,
                                    XDG_RUNTIME_DIR=self.runtime))
        if r.returncode == 2:
            return None
        try:
            tree = json.loads(r.stdout)
        except ValueError:
            print(f"# atspi_probe: {r.returncode} {r.stdout[-300:]!r} {r.stderr[-300:]!r}")
            return []
        # (GTK 4.8 does not keep AT-SPI's SHOWING state: every node counts)
        return tree["nodes"] if tree["found"] else []

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                return re.search(pattern, self.text())
            time.sleep(0.2)
        return None

    def wait_for(self, what, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited while waiting for {what}:\n"
                                   + self.text()[-3000:])
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {what} after {timeout} s")

    def history(self):
        db = sqlite3.connect(os.path.join(self.profile, "app.db"))
        try:
            return db.execute("SELECT direction, remote_aor, duration_s FROM calls "
                              "ORDER BY id").fetchall()
        finally:
            db.close()

    def quit(self):
        try:
            self.action("quit")
        except Exception:
            pass
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


work = tempfile.mkdtemp(prefix="chorus-app-ui-")
apps = []
try:
    print("1..28", flush=True)
    a_wav = os.path.join(work, "alice.wav")
    b_wav = os.path.join(work, "bob.wav")
    a_ring = os.path.join(work, "alice-ring.wav")
    alice = App("alice", work, ["--listen", f"127.0.0.1:{free_port()}",
                                "--enroll-listen", f"127.0.0.1:{free_port()}",
                                "--play", "tone:440", "--record", a_wav, "--ring-to", a_ring])
    apps.append(alice)
    os.makedirs(shots_dir, exist_ok=True)
    check(not os.path.exists(os.path.join(alice.profile, "peer", "cert.pem"))
          and alice.screenshot(None, "welcome"),
          "first run: the app runs with no profile and shows the welcome page")
    alice.action("create-overlay", "'Alice'")
    check(alice.wait_log(r"registered sip:alice@home\.chorus", 60),
          "Alice's app created the home overlay and registered sip:alice@home.chorus")
    check(os.path.exists(os.path.join(alice.profile, "ca", "ca-key.pem")),
          "the overlay's CA is in Alice's app directory")
    check_a11y(alice, online_and_labelled,
               "the header bar says Online and every button has an accessible name")
    alice.action("invite", "'bob'")
    m = alice.wait_log(r"invitation for bob: (chorus-invite://\S+)", 20)
    check(m, "Alice's app made an invitation link for bob")
    link = m.group(1)
    pages = [alice.screenshot(p, p) for p in ("overlay", "contacts", "history", "calls")]
    alice.action("preferences")
    check(all(pages), f"screenshots of the overlay page (invitation and QR code), contacts, "
          f"history and calls in {shots_dir}")

    bob = App("bob", work, ["--play", "tone:880", "--record", b_wav])
    apps.append(bob)
    bob.action("join", f"'{link}'")
    check(bob.wait_log(r"joined home\.chorus as bob@home\.chorus", 60),
          "Bob's app joined with the link (enrollment over HTTPS)")
    check(bob.wait_log(r"registered sip:bob@home\.chorus", 60),
          "Bob's app registered sip:bob@home.chorus")

    # a picture of an invitation's QR code (chorus-enroll invite --qr, on
    # the same overlay directory the app serves)
    qr = os.path.join(work, "carol.png")
    subprocess.run([os.path.join(build_dir, "overlay", "tools", "chorus-enroll"), "invite",
                    "--dir", os.path.join(alice.profile, "ca"), "--user", "carol", "--qr", qr],
                   check=True, capture_output=True, timeout=60)
    carol = App("carol", work, ["--play", "tone:660"])
    apps.append(carol)
    carol.action("join-from-image", f"'{qr}'")
    check(carol.wait_log(r"QR code read: chorus-invite:", 30)
          and carol.wait_log(r"registered sip:carol@home\.chorus", 60),
          "Carol's app read the invitation from a picture of its QR code, joined and registered")
    # the same in front of a camera (a picture frozen into a live video
    # stream stands for one: --camera takes a GStreamer source)
    qr_dave = os.path.join(work, "dave.png")
    made = subprocess.run([os.path.join(build_dir, "overlay", "tools", "chorus-enroll"), "invite",
                           "--dir", os.path.join(alice.profile, "ca"), "--user", "dave", "--qr",
                           qr_dave], check=True, capture_output=True, text=True, timeout=60)
    print("# dave's link: " + made.stdout.strip().splitlines()[-1])
    dave = App("dave", work, ["--camera",
                              f"filesrc location={qr_dave} ! pngdec ! imagefreeze is-live=true"])
    apps.append(dave)
    dave.action("join-from-camera")
    check(dave.wait_log(r"QR code read: chorus-invite:", 30)
          and dave.wait_log(r"registered sip:dave@home\.chorus", 60),
          "Dave's app read the invitation from the camera (zbar on a live video source), joined")
    # a link works once: Bob's again, on another device
    mallory = App("mallory", work, [])
    apps.append(mallory)
    mallory.action("join", f"'{link}'")
    check(mallory.wait_log(r"first run: this invitation was used already", 30)
          and not os.path.exists(os.path.join(mallory.profile, "peer", "cert.pem"))
          and mallory.screenshot(None, "used-invitation"),
          "an invitation used already is refused, and the welcome page says why")

    bob.action("call", "'alice'")
    m = alice.wait_log(r"incoming call (\d+) from sip:bob@home\.chorus", 30)
    check(m and alice.screenshot("calls", "incoming"),
          "Alice's app announced the incoming call from Bob")

    def answer_decline(nodes):
        names = {n["name"] for n in nodes if n["role"] == "push button"}
        return {"Answer", "Decline"} <= names, "(AT-SPI buttons Answer and Decline)"
    check_a11y(alice, answer_decline, "the incoming call shows Answer and Decline")
    time.sleep(1.5)  # a ring
    alice.action("answer")
    m = bob.wait_log(r"call (\d+) with sip:alice@home\.chorus: answered after", 30)
    check(m, "Alice answered (app.answer, Ctrl+Y); Bob's call is up")
    bob_call = int(m.group(1)) if m else 0
    time.sleep(2)
    bob.screenshot("calls", "in-call")
    # the keypad: RFC 4733 events to Alice; hold and resume (RFC 3264 §8.4)
    bob.action("send-dtmf", f"(uint32 {bob_call}, '5')")
    bob.action("hold-call", f"uint32 {bob_call}")
    held = alice.wait_log(r"call \d+ with sip:bob@home\.chorus: on hold", 15)
    bob.action("resume-call", f"uint32 {bob_call}")
    resumed = alice.wait_log(r"call \d+ with sip:bob@home\.chorus: resumed", 15)
    check(alice.wait_log(r"call \d+: DTMF 5 received", 15) and held and resumed,
          "Bob's keypad reached Alice (DTMF 5), and Bob held and resumed the call")
    bob.action("mute-call", f"uint32 {bob_call}")
    time.sleep(3)
    bob.action("unmute-call", f"uint32 {bob_call}")
    time.sleep(3)
    bob.action("hangup")
    check(bob.wait_log(r"call \d+ to sip:alice@home\.chorus ended", 20),
          "Bob hung up")
    check(alice.wait_log(r"call \d+ from sip:bob@home\.chorus ended", 20),
          "the call ended on Alice's side too")

    def history_ok(app, direction, remote):
        rows = app.history()
        return any(d == direction and r == remote and s >= 2 for d, r, s in rows), rows

    time.sleep(1)
    ok, rows = history_ok(alice, "incoming", "sip:bob@home.chorus")
    check(ok, f"Alice's history (app.db) holds the answered incoming call: {rows}")
    ok, rows = history_ok(bob, "outgoing", "sip:alice@home.chorus")
    check(ok, f"Bob's history (app.db) holds the outgoing call: {rows}")

    alice.screenshot("history", "history")

    def bob_in_history(nodes):
        return (any(n["name"] == "sip:bob@home.chorus" for n in nodes),
                "(AT-SPI: a row named sip:bob@home.chorus on the History page)")
    check_a11y(alice, bob_in_history, "Alice's History page lists the call with Bob")

    # add from history: the row takes the contact's name (AT-SPI), the
    # contact is in app.db
    alice.action("add-contact", "('Bob Builder', 'sip:bob@home.chorus')")

    def bob_named(nodes):
        names = [n["name"] for n in nodes]
        # the history's row follows: its call-back button is named after him
        return ("Call Bob Builder back" in names and "Call sip:bob@home.chorus back" not in names,
                "(AT-SPI: the History row's button says 'Call Bob Builder back')")
    db = sqlite3.connect(os.path.join(alice.profile, "app.db"))
    contacts = db.execute("SELECT name, aor FROM contacts").fetchall()
    db.close()
    check_a11y(alice, bob_named, f"a contact added from the history: {contacts}")
    # 440 + 480 Hz, 1 s on and 2 s off: at least the first second of ring
    ring = (tone_fraction(a_ring, 480, share=0.3) * seconds(a_ring)
            if os.path.exists(a_ring) else 0)
    check("ringing stopped" in alice.text() and ring >= 0.8,
          f"Alice's ringtone rang until she answered ({ring:.2f} s of ring tone)")
    # a call turned down is seen, one that stopped ringing is missed
    carol.action("call", "'alice'")
    alice.wait_log(r"incoming call \d+ from sip:carol@home\.chorus", 30)
    alice.action("decline")
    carol.wait_log(r"call \d+ to sip:alice@home\.chorus ended", 20)
    time.sleep(1)
    carol.action("call", "'alice'")
    deadline = time.time() + 30
    while time.time() < deadline and alice.text().count("incoming call") < 3:
        time.sleep(0.2)
    carol.action("hangup")
    missed = alice.wait_log(r"missed call \d+ from sip:carol@home\.chorus", 20)
    time.sleep(1)
    carol_rows = [(d, s_) for d, r, s_ in alice.history() if r == "sip:carol@home.chorus"]
    check(missed and sorted(carol_rows) == [("incoming", 0), ("missed", 0)],
          f"Alice declined one call from Carol (history: incoming) and missed another "
          f"(history: missed, a notification): {carol_rows}")
    codes = {"bob": bob.quit()}
    # start on login: --background, reachable with no window until asked
    bob2 = App("bob-login", work, ["--background"], profile=bob.profile)
    apps.append(bob2)
    registered = bob2.wait_log(r"registered sip:bob@home\.chorus", 60)
    hidden = not bob2.screenshot(None, "background")
    # a call brings the window up (with no user action behind it, the
    # window manager keeps the focus where it is)
    alice.action("call", "'bob'")
    rang = bob2.wait_log(r"incoming call \d+ from sip:alice@home\.chorus", 30)
    shown = bob2.screenshot(None, "background-call")
    bob2.action("decline")
    code = bob2.quit()
    check(registered and "running in the background" in bob2.text() and hidden and rang and shown
          and code == 0,
          "--background (start on login): registered with no window; a call brings it up")
    for app in (mallory, dave, carol, alice):
        codes[app.name] = app.quit()
    check(all(c == 0 for c in codes.values()), f"every app quit cleanly: {codes}")
    check("signed out" in alice.text() and "signed out" in bob.text(),
          "quitting removed both registrations (RFC 7904 §3)")
    fa = tone_fraction(a_wav, 880) if os.path.exists(a_wav) else 0
    fb = tone_fraction(b_wav, 440) if os.path.exists(b_wav) else 0
    check(fa > 0.5 and fb > 0.5,
          f"each heard the other: Alice's recording {fa:.2f} at 880 Hz, Bob's {fb:.2f} at 440 Hz")
    quiet_a = longest_silence_s(a_wav) if os.path.exists(a_wav) else 0
    quiet_b = longest_silence_s(b_wav) if os.path.exists(b_wav) else 0
    check(quiet_a >= 2.0 and quiet_b < 1.0,
          f"Bob muted his microphone for 3 s: Alice's recording has {quiet_a:.2f} s of silence "
          f"in a row, Bob's no gap like it ({quiet_b:.2f} s)")
except Exception as e:  # a failure to drive the apps: say where
    check(False, f"driving the apps: {e}")
finally:
    for app in apps:
        app.kill()
        app.log.close()
    bad = [n for n, (ok, _) in enumerate(checks) if not ok]
    if bad:
        for app in apps:
            print(f"# --- {app.name}'s log (tail) ---")
            for line in app.text()[-4000:].splitlines():
                print(f"# {line}")
    shutil.rmtree(work, ignore_errors=True)
sys.exit(0 if all(ok for ok, _ in checks) and len(checks) == 28 else 1)
