#!/usr/bin/env bash
# `--trace FILE=pf,cr3`: the bundled guest turns paging on (CR3 loads) and
# its `peek 0x1000` takes a not-present page fault; the trace file has
# those events, one line each, and no event of another kind.
# Usage: trace.sh PAGODA WORKDIR
set -u
pagoda=$1 work=$2
mkdir -p "$work"
trace=$work/trace.txt
rm -f "$trace"
timeout 120 "$pagoda" run --headless -serial none --trace "$trace=pf,cr3" \
  -append "run=peek 0x1000,poweroff" </dev/null 2>"$work/trace.err"
rc=$?
cat "$work/trace.err" "$trace"
fail=0
[ "$rc" = 1 ] || { echo "FAIL: exit status $rc, want 1 (the guest powers off through port 0xF4)"; fail=1; }
grep -q "pagoda: guest wrote the exit port (status 1)" "$work/trace.err" || { echo "FAIL: no report line"; fail=1; }
head -1 "$trace" | grep -q "^#  *icount  event" || { echo "FAIL: no header line"; fail=1; }
grep -Eq "^ +[0-9]+  cr3-load     cr3 [0-9a-f]{8} \(was 00000000\)$" "$trace" || { echo "FAIL: no first CR3 load"; fail=1; }
grep -Eq "^ +[0-9]+  page-fault   lin 00001000 err 0 \(not-P R S\) eip c0[0-9a-f]{6}$" "$trace" ||
  { echo "FAIL: no page fault at 0x1000"; fail=1; }
others=$(grep -v '^#' "$trace" | grep -Evc "  (cr3-load|page-fault) ")
[ "$others" = 0 ] || { echo "FAIL: $others events of other kinds"; fail=1; }
exit $fail
