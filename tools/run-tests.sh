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

echo "all test suites passed"
