#!/usr/bin/env bash
# The same test image on Pagoda and on qemu-system-i386 prints the same
# serial output (and, with a floppy, leaves the same image file behind).
# Skips (status 77) when QEMU is absent.
#   qemu.sh PAGODA IMAGE FDTOOL ARGS [floppy]
set -u
pagoda=$1 image=$2 fdtool=$3 args=$4 floppy=${5:-}
qemu=$(command -v qemu-system-i386) || { echo "qemu-system-i386 not found; skipping"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
p_fd=() q_fd=()
if [ -n "$floppy" ]; then
  "$fdtool" make "$tmp/p.img" && "$fdtool" make "$tmp/q.img" || exit 1
  p_fd=(-fda "$tmp/p.img,rw")
  q_fd=(-drive "if=floppy,index=0,format=raw,file=$tmp/q.img")
fi
timeout 120 "$pagoda" run --headless "${p_fd[@]}" -append "$args" "$image" </dev/null >"$tmp/pagoda.out" 2>"$tmp/pagoda.err"
prc=$?
timeout 120 "$qemu" -M pc -m 128 -display none -vga none -monitor none -serial stdio -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${q_fd[@]}" \
  -kernel "$image" -append "$args" </dev/null >"$tmp/qemu.out" 2>"$tmp/qemu.err"
qrc=$?
echo "--- pagoda (exit $prc)"; cat "$tmp/pagoda.out"; cat "$tmp/pagoda.err"
echo "--- qemu (exit $qrc)"; cat "$tmp/qemu.out"; cat "$tmp/qemu.err"
fail=0
[ -s "$tmp/qemu.out" ] || { echo "FAIL: QEMU printed nothing"; fail=1; }
cmp -s "$tmp/pagoda.out" "$tmp/qemu.out" || { echo "FAIL: serial output differs"; diff "$tmp/pagoda.out" "$tmp/qemu.out"; fail=1; }
[ "$prc" = "$qrc" ] || { echo "FAIL: exit status pagoda $prc, qemu $qrc"; fail=1; }
if [ -n "$floppy" ]; then
  # the sectors the guest wrote must have reached both image files alike
  cmp "$tmp/p.img" "$tmp/q.img" || { echo "FAIL: the floppy images differ after the run"; fail=1; }
  "$fdtool" make "$tmp/fresh.img" && ! cmp -s "$tmp/p.img" "$tmp/fresh.img" ||
    { echo "FAIL: the guest wrote nothing to the floppy image"; fail=1; }
fi
exit $fail
