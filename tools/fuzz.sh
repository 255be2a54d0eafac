#!/bin/sh
# A fuzzing campaign (a benchmark, run by hand): builds the libFuzzer
# targets with clang and runs each for SECONDS (default 120) on its seed
# corpus, keeping what it finds in fuzz/corpus-run/.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-120}
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-fuzz
for t in fuzz-message fuzz-reassembly fuzz-node fuzz-config fuzz-enroll fuzz-media fuzz-multicast \
    fuzz-sip fuzz-registrar fuzz-sip-framing; do
  mkdir -p fuzz/corpus-run/$t
  echo "== $t for $secs s =="
  build-fuzz/fuzz/$t -max_total_time="$secs" -print_final_stats=1 fuzz/corpus-run/$t fuzz/corpus/$t 2>&1 | tail -15
done
