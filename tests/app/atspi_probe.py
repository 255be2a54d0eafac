#!/usr/bin/python3
"""atspi_probe.py: what the accessibility tree of the `chorus` application
on the session bus in $DBUS_SESSION_BUS_ADDRESS shows, as one JSON object:
{"found": bool, "nodes": [{"role", "name", "showing"}...]} (depth first).

Runs with Debian's python3 (python3-pyatspi, AT-SPI 2); test_app_ui.py
starts it once per app, with that app's bus.  Exits 2 without pyatspi.
"""

import json
import sys

try:
    import pyatspi
except ImportError:
    print(json.dumps({"error": "no pyatspi"}))
    sys.exit(2)

MAX_NODES = 5000


def walk(node, out, depth=0):
    if depth > 60 or len(out) >= MAX_NODES:
        return
    try:
        role = node.getRoleName()
        name = node.name or ""
        showing = node.getState().contains(pyatspi.STATE_SHOWING)
        count = node.childCount
    except Exception:
        return
    out.append({"role": role, "name": name, "showing": showing})
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            walk(child, out, depth + 1)


desktop = pyatspi.Registry.getDesktop(0)
nodes = []
found = False
for i in range(desktop.childCount):
    app = desktop.getChildAtIndex(i)
    if app is not None and app.name == "chorus":
        found = True
        walk(app, nodes)
print(json.dumps({"found": found, "nodes": nodes}))
