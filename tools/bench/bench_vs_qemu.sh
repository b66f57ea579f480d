#!/usr/bin/env bash
# Benchmark (not a test): Pagoda against qemu-system-i386 (TCG, a JIT) on the
# same guest work -- the bundled guest kernel's selftests at 1536 MiB -- in
# one run on one machine, so the ratio is meaningful even where absolute
# times are noisy. Each emulator's boot-and-poweroff time is measured too and
# subtracted, so firmware (SeaBIOS) and start-up costs do not count.
# Usage: tools/bench/bench_vs_qemu.sh [BUILD_DIR] [REPEATS]
set -eu
build=${1:-build}
reps=${2:-3}
pagoda=$build/pagoda
guest=$build/guestos/pagoda-guest.elf
mem=1536
work="run=selftest,poweroff"
base="run=poweroff"

[ -x "$pagoda" ] && [ -f "$guest" ] || { echo "build Pagoda first (cmake --build $build)" >&2; exit 2; }
command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 is not installed" >&2; exit 2; }

now() { date +%s.%N; }
best() {  # best (minimum) wall time of $reps runs of "$@"
    local b=999999 t0 t1 d
    for _ in $(seq "$reps"); do
        t0=$(now); "$@" </dev/null >/dev/null 2>&1 || true; t1=$(now)
        d=$(echo "$t1 - $t0" | bc -l)
        b=$(echo "if ($d < $b) $d else $b" | bc -l)
    done
    echo "$b"
}

p() { "$pagoda" run --headless -m $mem --append "$1" "$guest"; }
q() { qemu-system-i386 -kernel "$guest" -m $mem -display none -serial stdio \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -append "$1"; }

insns=$("$pagoda" run --headless -m $mem --append "$work" --stats "$guest" </dev/null 2>&1 |
        sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p')
base_insns=$("$pagoda" run --headless -m $mem --append "$base" --stats "$guest" </dev/null 2>&1 |
        sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p')

pw=$(best p "$work"); pb=$(best p "$base")
qw=$(best q "$work"); qb=$(best q "$base")
pt=$(echo "$pw - $pb" | bc -l); qt=$(echo "$qw - $qb" | bc -l)
n=$((insns - base_insns))
printf 'guest work: %d instructions (selftests at %d MiB, boot excluded)\n' "$n" "$mem"
printf 'pagoda: %.3f s  (%.0f MIPS)\n' "$pt" "$(echo "$n / $pt / 1000000" | bc -l)"
printf 'qemu:   %.3f s  (%.0f MIPS on the same instruction count)\n' "$qt" "$(echo "$n / $qt / 1000000" | bc -l)"
printf 'pagoda / qemu time ratio: %.2f (best of %d runs each)\n' "$(echo "$pt / $qt" | bc -l)" "$reps"
