#!/usr/bin/env bash
# Benchmark (not a test): the bundled guest kernel's allocation costs in
# guest instructions -- its `bench` shell command times 2000 alloc+free
# pairs with RDTSC, and Pagoda's TSC counts retired instructions (plus time
# skipped in HLT, which a busy loop never takes), so the figures repeat run
# to run. Runs at 256 MiB and 1536 MiB (HighMem).
# Usage: tools/bench/bench_guest_alloc.sh [BUILD_DIR]
set -u
build=${1:-build}
[ -x "$build/pagoda" ] || { echo "build Pagoda first (cmake --build $build)" >&2; exit 2; }
for mem in 256 1536; do
  echo "== -m $mem"
  "$build/pagoda" run --headless -m "$mem" --append "run=bench,poweroff" </dev/null 2>/dev/null |
    sed -n 's/^bench: //p'
done
