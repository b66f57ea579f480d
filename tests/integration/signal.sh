#!/usr/bin/env bash
# SIGINT / SIGTERM end a run cleanly: exit 130 / 143 and one report line.
#   signal.sh PAGODA IMAGE INT|TERM STATUS
set -u
pagoda=$1 image=$2 sig=$3 want=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$pagoda" run --headless -append spin "$image" </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -"$sig" "$pid"
wait "$pid"
rc=$?
echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
fail=0
[ "$rc" = "$want" ] || { echo "FAIL: exit status $rc, expected $want"; fail=1; }
grep -q "stopped by SIG$sig at EIP" "$tmp/err" || { echo "FAIL: no stop report"; fail=1; }
[ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL: stderr is not one line"; fail=1; }
exit $fail
