#!/usr/bin/env bash
# The window under Xvfb: `pagoda run` opens it (no headless fallback),
# runs the guest and, with --close-on-stop, exits with the guest's status
# and the usual report line. Skipped (77) without xvfb-run.
# Usage: window.sh PAGODA WANT_EXIT REPORT_TEXT -- RUN-ARGS...
set -u
command -v xvfb-run >/dev/null || { echo "xvfb-run not installed: skipped"; exit 77; }
pagoda=$1 want=$2 report=$3
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset WAYLAND_DISPLAY SDL_VIDEODRIVER
timeout 120 xvfb-run -a -s "-screen 0 1400x900x24" "$pagoda" run --close-on-stop "$@" \
  </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
fail=0
[ "$rc" = "$want" ] || { echo "FAIL: exit status $rc, want $want"; fail=1; }
grep -q "running headless" "$tmp/err" && { echo "FAIL: the window did not open"; fail=1; }
grep -Fq -- "$report" "$tmp/err" || { echo "FAIL: no report line with [$report]"; fail=1; }
exit $fail
