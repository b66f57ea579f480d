#!/bin/sh
# Run the paging probe and check its output.
#
#   run_probe.sh qemu    PROBE.elf            run on QEMU, check the lines
#   run_probe.sh compare PROBE.elf PAGODA     run on QEMU and on Pagoda, check
#                                             both, compare them
#   run_probe.sh pagoda  PROBE.elf PAGODA     run on Pagoda only, check its
#                                             lines against the SDM (no QEMU)
#
# Checks: the banner, every "case N name: exp=E ..." line numbered 1..N in
# order, a final "done cases=N" line, exit status 1 (isa-debug-exit value 0),
# and each result equal to what the SDM says (exp=), except the documented
# model differences listed in README.md (QEMU_DIFFS below). The qemu and
# compare modes exit 77 (ctest SKIP) when qemu-system-i386 is absent; the
# pagoda mode needs no QEMU, so the default suite always checks Pagoda.
set -u
mode=$1
probe=$2
pagoda=${3:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Documented model differences (README.md). QEMU:
#  D1 sets the PDE's A bit while walking, before it checks the PTE, so a
#     faulting walk of a 4 KiB page leaves PDE.A set;
#  D2 reports reserved-bit faults with P=0 in the error code (the SDM:
#     "bit 3 of the error code can be set only if bit 0 is also set");
#  D3 reads bits 20..13 of a 4 MiB PDE as physical address bits 39..32
#     (PSE-36 style) where our P6 model without PSE-36 faults with RSVD;
#  D4 drops global TLB entries on a CR3 load (allowed: a TLB may drop any
#     entry at any time; ours keeps them, as a P6 does);
#  D5 keeps a TLB entry after a page fault on its address (the SDM, §4.10.4.1:
#     a #PF invalidates the entries for the faulting address; ours does).
# Lines touched by D2..D5 are checked against the SDM on Pagoda only; on
# QEMU they are reported, not failed. D1 is masked when comparing.
documented='reserved-bit|tlb-global-survives-cr3-load|tlb-fault-drops-stale-entry'
normalize() {
    sed -E -e '/ fault /s/ pde=[A-][D-]/ pde=??/' \
        -e "/($documented)/s/:.*/: (documented model difference, not compared)/"
}

run_qemu() {
    timeout 60 qemu-system-i386 -kernel "$probe" -display none -serial stdio -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 64 -no-reboot </dev/null >"$1" 2>"$1.err"
    echo $?
}

run_pagoda() {
    timeout 240 "$pagoda" run --headless -m 64 "$probe" </dev/null >"$1" 2>"$1.err"
    echo $?
}

# check NAME FILE STATUS: well-formed, complete, and as the SDM says (on
# qemu, except the lines of the documented differences)
check() {
    name=$1 file=$2 status=$3
    ok=0
    if [ "$status" != 1 ]; then
        echo "$name: exit status $status, want 1 (guest wrote 0 to port 0xf4)"
        sed 's/^/  stderr: /' "$file.err" | head -20
        ok=1
    fi
    tr -d '\r' <"$file" >"$file.lf"
    if ! grep -q '^paging-probe v1$' "$file.lf"; then
        echo "$name: no banner line"
        ok=1
    fi
    n=$(sed -n 's/^done cases=\([0-9][0-9]*\)$/\1/p' "$file.lf")
    if [ -z "$n" ]; then
        echo "$name: no 'done cases=N' line (the probe stopped early)"
        ok=1
        n=0
    fi
    got=$(grep -c '^case ' "$file.lf")
    if [ "$got" != "$n" ] || [ "$n" -lt 40 ]; then
        echo "$name: $got case lines, done line says $n (want at least 40)"
        ok=1
    fi
    i=0
    grep '^case ' "$file.lf" | while IFS= read -r line; do
        i=$((i + 1))
        case "$line" in
        "case $i "*": exp="*) ;;
        *) echo "$name: malformed or out-of-order line $i: $line"; exit 1 ;;
        esac
        # basic result lines: exp=E then " ok" or " fault err=X cr2=XXXXXXXX"
        exp=$(echo "$line" | sed -n 's/.* exp=\([^ ]*\) .*/\1/p')
        res=$(echo "$line" | sed -n 's/.* exp=[^ ]* \(ok\|fault err=[0-9a-f]*\) .*/\1/p')
        [ -n "$res" ] || continue   # a TLB line: checked below
        if [ "$exp" = ok ]; then want=ok; else want="fault err=$exp"; fi
        if [ "$res" != "$want" ]; then
            if [ "$name" = qemu ] && echo "$line" | grep -Eq "($documented)"; then
                echo "qemu: documented difference: $line"
            else
                echo "$name: SDM says '$want', got: $line"
                exit 1
            fi
        fi
    done || ok=1
    # TLB lines: each prints its evidence; check the SDM's expectations.
    tlbcheck() {
        grep -q "^case [0-9]* $1: .*$2" "$file.lf" && return
        if [ "$name" = qemu ] && echo "$1" | grep -Eq "($documented)"; then
            echo "qemu: documented difference: $(grep "^case [0-9]* $1:" "$file.lf")"
        else
            echo "$name: $1: want '$2'"
            ok=1
        fi
    }
    hex='[0-9a-f]\{4\}e1ff'
    tlbcheck tlb-pte-change-needs-invlpg "before=$hex stale=$hex after=$hex\$"
    tlbcheck tlb-global-survives-cr3-load "before=\($hex\) kept=\\1 after=$hex\$"
    tlbcheck tlb-dirty-on-first-write 'read=A- write=AD$'
    tlbcheck tlb-invlpg-inside-4m-page 'a_new_differs=1 b_new_differs=1$'
    tlbcheck tlb-fault-drops-stale-entry 'stale_read_faults=0 write_faults=1:2 read_faults=1:0$'
    # the stale value must be the old frame's, the new one the new frame's
    field() { sed -n "s/^case [0-9]* $1: .* $2=\([0-9a-f]*\).*/\1/p" "$file.lf"; }
    b=$(field tlb-pte-change-needs-invlpg before)
    if [ "$(field tlb-pte-change-needs-invlpg stale)" != "$b" ] ||
       [ "$(field tlb-pte-change-needs-invlpg after)" = "$b" ]; then
        echo "$name: tlb-pte-change-needs-invlpg: want stale == before != after"
        ok=1
    fi
    if [ "$(field tlb-global-survives-cr3-load after)" = "$(field tlb-global-survives-cr3-load before)" ]; then
        echo "$name: tlb-global-survives-cr3-load: clearing PGE must make the new mapping visible"
        ok=1
    fi
    # A faulting instruction commits nothing: a crossing access that faults
    # on the upper page leaves the (zero-filled) lower page as it was.
    bad=$(grep '^case [0-9]* cross-.* fault .* low=' "$file.lf" | grep -v ' low=00000000$')
    if [ -n "$bad" ]; then
        echo "$name: a faulting crossing access changed the page below: $bad"
        ok=1
    fi
    # D1, our side (README): a faulting walk sets no A/D bit, so the PTE of
    # every fault line, and the PDE of every non-crossing one (a crossing
    # access used the PDE for the page below), show '--'.
    if [ "$name" = pagoda ]; then
        bad=$(grep '^case [0-9]* [^:]*: exp=[^ ]* fault ' "$file.lf" |
              grep -v -e ' pte=-- ' -e ' pte=--$')
        bad="$bad$(grep '^case [0-9]* [^:]*: exp=[^ ]* fault ' "$file.lf" |
                   grep -v '^case [0-9]* cross-' | grep -v ' pde=-- ')"
        if [ -n "$bad" ]; then
            echo "pagoda: a faulting walk set an A/D bit: $bad"
            ok=1
        fi
    fi
    return $ok
}

if [ "$mode" = pagoda ]; then
    st=$(run_pagoda "$tmp/pagoda.out")
    if check pagoda "$tmp/pagoda.out" "$st"; then
        echo "pagoda: $(grep -c '^case ' "$tmp/pagoda.out.lf") cases, all as the SDM says"
        exit 0
    fi
    sed 's/^/  pagoda: /' "$tmp/pagoda.out"
    exit 1
fi

if ! command -v qemu-system-i386 >/dev/null 2>&1; then
    echo "SKIP: qemu-system-i386 not found (install qemu-system-x86 to run this test)"
    exit 77
fi

case "$mode" in
qemu)
    st=$(run_qemu "$tmp/qemu.out")
    if check qemu "$tmp/qemu.out" "$st"; then
        echo "qemu: $(grep -c '^case ' "$tmp/qemu.out.lf") cases, all as the SDM says (up to the documented differences)"
        exit 0
    fi
    sed 's/^/  qemu: /' "$tmp/qemu.out"
    exit 1
    ;;
compare)
    st=$(run_qemu "$tmp/qemu.out")
    fail=0
    check qemu "$tmp/qemu.out" "$st" || fail=1
    st=$(run_pagoda "$tmp/pagoda.out")
    check pagoda "$tmp/pagoda.out" "$st" || fail=1
    normalize <"$tmp/qemu.out.lf" >"$tmp/q"
    normalize <"$tmp/pagoda.out.lf" >"$tmp/p"
    # Pagoda must also match the SDM on the lines we do not compare with QEMU
    if ! diff -u "$tmp/q" "$tmp/p" >"$tmp/diff"; then
        echo "pagoda and qemu differ beyond the documented model differences:"
        cat "$tmp/diff"
        fail=1
    fi
    [ $fail = 0 ] && echo "pagoda and qemu agree on $(grep -c '^case ' "$tmp/p") cases"
    exit $fail
    ;;
*)
    echo "usage: $0 qemu PROBE.elf | $0 compare PROBE.elf PAGODA | $0 pagoda PROBE.elf PAGODA" >&2
    exit 2
    ;;
esac
