#!/usr/bin/env bash
# `pagoda debug`: the monitor reads a script on stdin and prints exactly
# the lines asserted here. Usage: monitor.sh PAGODA HELLO_ELF
# (the bundled guest kernel is the default image of PAGODA).
set -u
pagoda=$1 hello=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
has()  { grep -Fxq -- "$2" "$1" || { echo "FAIL: $1 lacks the line [$2]"; fail=1; }; }
like() { grep -Exq -- "$2" "$1" || { echo "FAIL: $1 has no line matching [$2]"; fail=1; }; }

# 1. the multiboot entry state, three steps, then quit
printf 'regs\nstep 3\nregs\nquit\nstep 1\n' |
  timeout 60 "$pagoda" debug -serial none "$hello" >"$tmp/hello.out" 2>"$tmp/hello.err"
rc=$?
cat "$tmp/hello.out"
[ "$rc" = 0 ] || { echo "FAIL: exit status $rc, want 0"; fail=1; }
[ -s "$tmp/hello.err" ] && { echo "FAIL: stderr not empty:"; cat "$tmp/hello.err"; fail=1; }
has "$tmp/hello.out" "EAX=2badb002 EBX=00008000 ECX=00000000 EDX=00000000"
has "$tmp/hello.out" "ESI=00000000 EDI=00000000 EBP=00000000 ESP=00007000"
has "$tmp/hello.out" "CS  =0010 base=00000000 limit=ffffffff flags=c09b code rx 32-bit DPL0"
has "$tmp/hello.out" "CR0=60000011 [ PE ET NW CD ] CR2=00000000 CR3=00000000 CR4=00000000 [ ]"
like "$tmp/hello.out" "stopped at 001[0-9a-f]{5} \(3 instructions, icount 3\)"
has "$tmp/hello.out" "icount=3"
# `quit` ends the session: the step after it never runs
[ "$(grep -c '^stopped at' "$tmp/hello.out")" = 1 ] || { echo "FAIL: a command after quit ran"; fail=1; }

# 2. the bundled guest with paging on: a translation through its 4 MiB direct map
printf 'step 300000\ntranslate 0xc0100000\ncontinue\n' |
  timeout 60 "$pagoda" debug -serial none -append run=poweroff >"$tmp/guest.out" 2>"$tmp/guest.err"
rc=$?
cat "$tmp/guest.out"
[ "$rc" = 0 ] || { echo "FAIL: exit status $rc, want 0"; fail=1; }
like "$tmp/guest.out" "stopped at c0[0-9a-f]{6} \(300000 instructions, icount 300000\)"
has "$tmp/guest.out" "supervisor read of lin c0100000 (probe: nothing written)"
like "$tmp/guest.out" "  PDE\[ 768\] at [0-9a-f]{5}c00 = 000001e3  P RW S A D PS G"
has "$tmp/guest.out" "  -> phys 00100000 (4 MiB page, supervisor read/write, global, dirty)"
like "$tmp/guest.out" "pagoda: guest wrote the exit port \(status 1\) at EIP 0xc0[0-9a-f]{6} after [0-9]+ instructions.*"
exit $fail
