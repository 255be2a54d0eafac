#!/bin/sh
# Runs the whole test suite twice: once in a normal build, once under
# AddressSanitizer and UndefinedBehaviorSanitizer.  Installs the
# dependencies first (a no-op when they are present).
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh

run_suite () {
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  else
    meson setup --reconfigure "$dir" "$@" >/dev/null
  fi
  meson compile -C "$dir"
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

echo "== normal build =="
run_suite build-test

echo "== AddressSanitizer + UBSan build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

# one closing line for both runs, counted from meson's own logs
python3 - build-test/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print("tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
echo "all test suites passed"
