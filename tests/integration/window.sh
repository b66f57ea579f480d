#!/usr/bin/env bash
# The window under Xvfb: `pagoda run` opens it (no headless fallback),
# runs the guest and, with --close-on-stop, exits with the guest's status
# and the usual report line. Skipped (77) without Xvfb.
# Usage: window.sh PAGODA WANT_EXIT REPORT_TEXT -- RUN-ARGS...
set -u
command -v Xvfb >/dev/null || { echo "Xvfb not installed: skipped"; exit 77; }
pagoda=$1 want=$2 report=$3
shift 4
tmp=$(mktemp -d)
xpid=""
trap '[ -n "$xpid" ] && kill "$xpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# our own server on a free display number (Xvfb writes it to fd 3)
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xpid=$!
for _ in $(seq 100); do
  [ -s "$tmp/display" ] && break
  sleep 0.1
done
[ -s "$tmp/display" ] || { echo "FAIL: Xvfb did not start"; cat "$tmp/xvfb.log"; exit 1; }
export DISPLAY=:$(head -1 "$tmp/display")
unset WAYLAND_DISPLAY SDL_VIDEODRIVER
# Under ASan, no leak check here: the libraries behind SDL's X11 driver
# (D-Bus, and GL drivers it dlopen()s and unloads, so their stacks are
# unknown and cannot be suppressed) leak at exit. Pagoda's own UI code is
# leak-checked by test_ui_render (SDL's offscreen driver) and the rest by
# the headless tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
timeout 120 "$pagoda" run --close-on-stop "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
fail=0
[ "$rc" = "$want" ] || { echo "FAIL: exit status $rc, want $want"; fail=1; }
grep -q "running headless" "$tmp/err" && { echo "FAIL: the window did not open"; fail=1; }
grep -Fq -- "$report" "$tmp/err" || { echo "FAIL: no report line with [$report]"; fail=1; }
exit $fail
