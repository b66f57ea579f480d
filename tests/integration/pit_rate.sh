#!/usr/bin/env bash
# PIT IRQ 0 rate in virtual time: 100 ticks at 99.998 Hz must take 1.000 s
# of virtual time (from --stats) at any --mhz; and two runs are identical.
#   pit_rate.sh PAGODA IMAGE MHZ
set -u
pagoda=$1 image=$2 mhz=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
problem() { echo "FAIL: $*"; fail=1; }
for run in 1 2; do
  timeout 120 "$pagoda" run --headless --stats --mhz "$mhz" "$image" </dev/null >"$tmp/out$run" 2>"$tmp/err$run"
  echo "exit status $?"
done
echo "--- stdout"; cat "$tmp/out1"; echo "--- stderr"; cat "$tmp/err1"
grep -qF "pit: 100 ticks at divisor 11932, counter in range: yes" "$tmp/out1" || problem "no tick report"
virt=$(sed -n 's/.*, \([0-9.]*\) s virtual.*/\1/p' "$tmp/err1")
echo "virtual seconds: $virt"
awk -v v="$virt" 'BEGIN { exit !(v >= 0.9999 && v <= 1.01) }' || problem "100 ticks took $virt s of virtual time, expected 1.000"
cmp -s "$tmp/out1" "$tmp/out2" || problem "serial output differs between two runs"
[ "$(head -n1 "$tmp/err1")" = "$(head -n1 "$tmp/err2")" ] || problem "stop reports differ: $(head -n1 "$tmp/err2")"
exit $fail
