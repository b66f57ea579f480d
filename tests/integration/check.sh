#!/usr/bin/env bash
# Run a command (stdin from /dev/null, 120 s limit) and check what it did:
#   --exit N           exit status must be N
#   --out-has TEXT     stdout contains TEXT (a line fragment)
#   --out-lacks TEXT   stdout does not contain TEXT
#   --err-has TEXT     stderr contains TEXT
#   --err-line TEXT    stderr is exactly one line, equal to TEXT
#   --err-one-line-has TEXT   stderr is exactly one line, containing TEXT
#   --out-count-at-least N TEXT   stdout has N or more lines containing TEXT
#   --save-out FILE    keep stdout in FILE
#   --save-err FILE    keep stderr in FILE
#   -- CMD...
set -u
want_exit=""
out_has=(); out_lacks=(); err_has=(); err_line=""; err_one=""; save_out=""; save_err=""
count_n=""; count_text=""
while [ $# -gt 0 ]; do
  case "$1" in
    --exit) want_exit=$2; shift 2 ;;
    --out-has) out_has+=("$2"); shift 2 ;;
    --out-lacks) out_lacks+=("$2"); shift 2 ;;
    --err-has) err_has+=("$2"); shift 2 ;;
    --err-line) err_line=$2; shift 2 ;;
    --err-one-line-has) err_one=$2; shift 2 ;;
    --out-count-at-least) count_n=$2; count_text=$3; shift 3 ;;
    --save-out) save_out=$2; shift 2 ;;
    --save-err) save_err=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
timeout 120 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -n "$save_out" ] && cp "$tmp/out" "$save_out"
[ -n "$save_err" ] && cp "$tmp/err" "$save_err"
fail=0
problem() { echo "FAIL: $*"; fail=1; }
if [ -n "$want_exit" ] && [ "$rc" != "$want_exit" ]; then
  problem "exit status $rc, expected $want_exit"
fi
for t in ${out_has[@]+"${out_has[@]}"}; do
  grep -qF -- "$t" "$tmp/out" || problem "stdout lacks: $t"
done
for t in ${out_lacks[@]+"${out_lacks[@]}"}; do
  grep -qF -- "$t" "$tmp/out" && problem "stdout has: $t"
done
for t in ${err_has[@]+"${err_has[@]}"}; do
  grep -qF -- "$t" "$tmp/err" || problem "stderr lacks: $t"
done
if [ -n "$err_line" ]; then
  lines=$(wc -l <"$tmp/err")
  [ "$lines" = 1 ] || problem "stderr has $lines lines, expected one"
  [ "$(head -n1 "$tmp/err")" = "$err_line" ] || problem "stderr line differs; expected: $err_line"
fi
if [ -n "$err_one" ]; then
  lines=$(wc -l <"$tmp/err")
  [ "$lines" = 1 ] || problem "stderr has $lines lines, expected one"
  grep -qF -- "$err_one" "$tmp/err" || problem "stderr lacks: $err_one"
fi
if [ -n "$count_n" ]; then
  n=$(grep -cF -- "$count_text" "$tmp/out")
  [ "$n" -ge "$count_n" ] || problem "stdout has $n lines with '$count_text', expected at least $count_n"
fi
echo "command: $*"
echo "exit status: $rc"
echo "--- stdout"; cat "$tmp/out"
echo "--- stderr"; cat "$tmp/err"
exit $fail
