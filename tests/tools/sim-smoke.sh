#!/bin/sh
# chorus-sim on a small overlay with a fixed seed: the JSON has every key
# the issue names, the ring is consistent, every lookup reached the peer
# truly responsible, nothing stored was lost; and the same seed gives the
# same result (the simulation is deterministic).
set -eu
SIM=$1
out1=$("$SIM" --peers 60 --seed 3 --lookups 300 --stores 30 --duration 3 --json 2>/dev/null)
out2=$("$SIM" --peers 60 --seed 3 --lookups 300 --stores 30 --duration 3 --json 2>/dev/null)
python3 - "$out1" "$out2" <<'PY'
import json, sys
a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2])
keys = ["peers", "lookups", "lookup_success_ratio", "hops_mean", "hops_p99",
        "lookup_latency_ms_p50", "lookup_latency_ms_p99", "join_ms_p50",
        "maint_msgs_per_peer_s", "maint_bytes_per_peer_s", "stored_items", "lost_items",
        "ring_consistent", "peak_rss_bytes", "wall_s", "sim_msgs_per_wall_s"]
missing = [k for k in keys if k not in a]
assert not missing, "missing keys: %s" % missing
assert a["peers"] == 60, a
assert a["lookups"] == 300, a
assert a["lookup_success_ratio"] == 1.0, a
assert a["ring_consistent"] is True, a
assert a["stored_items"] == 30 and a["lost_items"] == 0, a
assert 1.0 <= a["hops_mean"] <= 6.0, a
for k in a:
    if k not in ("wall_s", "sim_msgs_per_wall_s", "peak_rss_bytes"):
        assert a[k] == b[k], "not deterministic: %s %s != %s" % (k, a[k], b[k])
print("chorus-sim: %d peers, success %.3f, hops %.2f, deterministic" % (a["peers"], a["lookup_success_ratio"], a["hops_mean"]))
PY
