#!/bin/sh
# Installs the dependencies, builds Chorus and runs the most useful program
# that exists so far: chorus-wire writes an example of every RELOAD message
# to a capture, and Wireshark's dissector (tshark) reads it back.
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build
out=${TMPDIR:-/tmp}/chorus-samples.pcap
build/overlay/tools/chorus-wire samples --pcap "$out"
echo "wrote $out; Wireshark reads it as:"
tshark -r "$out" -d udp.port==6084,reload-framing
echo
echo "a 200-peer overlay in virtual time:"
build/overlay/sim/chorus-sim --peers 200 --seed 1 --lookups 1000 --stores 100 --duration 5
