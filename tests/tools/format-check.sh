#!/bin/sh
# The tree stays formatted with the repository's .clang-format.
set -eu
cd "$1"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find overlay tests fuzz -name '*.[ch]')
clang-format --dry-run --Werror $files
echo "$(echo "$files" | wc -w) files formatted"
