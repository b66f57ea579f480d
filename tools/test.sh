#!/usr/bin/env bash
# The README's test command: install what is missing, then build and pass the
# default test suite twice -- a normal build, and one with
# -fsanitize=address,undefined. Extra ctest arguments pass through
# (e.g. tools/test.sh -L slow). Warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
ctest_args=("$@")
if [ ${#ctest_args[@]} -eq 0 ]; then
  ctest_args=(-LE 'slow|linux')
fi

run_suite() {
  local dir=$1; shift
  echo "== configure $dir ($*)"
  cmake -S . -B "$dir" -DPAGODA_WERROR=ON "$@" >/dev/null
  echo "== build $dir"
  cmake --build "$dir" -j"$jobs"
  echo "== test $dir"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" "${ctest_args[@]}")
  # the differential suite's own count of compared cases
  grep -h '^diff: .* cases compared' "$dir/Testing/Temporary/LastTest.log" 2>/dev/null || true
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAGODA_SANITIZE=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DPAGODA_SANITIZE=ON
echo "== all suites passed (normal and sanitizer builds)"
