#!/usr/bin/env bash
# Floppy through ISA DMA channel 2: the guest's checksums against the file.
#   floppy.sh PAGODA IMAGE FDTOOL WORKDIR read|wrap|write|rowrite
set -u
pagoda=$1 image=$2 fdtool=$3 work=$4 mode=$5
mkdir -p "$work"
fd="$work/$mode.img"
"$fdtool" make "$fd" || exit 1
fail=0
problem() { echo "FAIL: $*"; fail=1; }
sum() { "$fdtool" sum "$fd" "$1" "$2"; }
fda="$fd"
args=$mode
case $mode in
  write) fda="$fd,rw" ;;
  rowrite) args=write ;;
esac
before_rest=$(sum 0 36)
before_target=$(sum 36 2)
timeout 120 "$pagoda" run --headless --stats -fda "$fda" -append "$args" "$image" </dev/null >"$work/$mode.out" 2>"$work/$mode.err"
rc=$?
echo "--- stdout"; cat "$work/$mode.out"; echo "--- stderr"; cat "$work/$mode.err"
[ "$rc" = 1 ] || problem "exit status $rc, expected 1 (guest wrote 0 to the exit port)"
out="$work/$mode.out"
has() { grep -qF -- "$1" "$out" || problem "stdout lacks: $1"; }
case $mode in
  read)
    has "floppy: read c=0 h=0 s=1..18 at 0x80000: ok sum=$(sum 0 18)"
    has "floppy: read c=1 h=1 s=1..18 at 0x80000: ok sum=$(sum 54 18)"
    has "floppy: read c=79 h=1 s=1..18 at 0x80000: ok sum=$(sum 2862 18)"
    grep -q "DMA transfers" "$work/$mode.err" || problem "no --stats DMA line"
    grep -q " 0 DMA transfers" "$work/$mode.err" && problem "--stats counted no DMA transfer"
    ;;
  wrap)
    has "floppy: wrap 16 sectors at 0x1f000 (then 0x10000): ok sum=$(sum 0 16)"
    has "floppy: 0x20000 untouched"
    ;;
  write)
    line=$(grep -F "floppy: write c=1 h=0 s=1..2 from 0x80000: ok sum=" "$out") || problem "no successful write"
    written=${line##*sum=}
    [ "$(sum 36 2)" = "$written" ] || problem "file sectors 36-37 hold $(sum 36 2), the guest wrote $written"
    [ "$(sum 0 36)" = "$before_rest" ] || problem "sectors 0-35 changed"
    has "floppy: read back c=1 h=0 s=1..2 at 0x90000: ok sum=$written"
    has "floppy: read back matches"
    ;;
  rowrite)
    # ST0 abnormal termination (IC = 01), ST1 NW (not writable)
    grep -qE "floppy: write c=1 h=0 s=1\.\.2 from 0x80000: error st0=0x[46]0 st1=0x02" "$out" ||
      problem "the write to a read-only image did not fail with NW"
    [ "$(sum 36 2)" = "$before_target" ] || problem "a read-only image changed"
    ;;
esac
has "floppy: done"
exit $fail
