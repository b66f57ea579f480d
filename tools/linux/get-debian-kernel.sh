#!/usr/bin/env bash
# Fetch Debian 12's i386 "686" Linux kernel (a bzImage) for the opt-in real
# Linux test, without installing it: the package is downloaded and unpacked
# into DIR, and the i386 architecture is removed from dpkg again if this
# script added it. Prints the bzImage's path.
#   tools/linux/get-debian-kernel.sh [DIR]      (root; Debian 12)
# Then: PAGODA_LINUX_BZIMAGE=$(tools/linux/get-debian-kernel.sh) tools/test.sh -L linux
set -euo pipefail
dir=${1:-/tmp/pagoda-linux}
mkdir -p "$dir"
added=0
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
  added=1
fi
cleanup() {
  if [ "$added" = 1 ]; then
    dpkg --remove-architecture i386 || true
    apt-get update -q >/dev/null || true
  fi
}
trap cleanup EXIT
apt-get update -q >/dev/null 2>&1 || echo "get-debian-kernel: apt-get update reported errors; trying with what it fetched" >&2
pkg=$(apt-cache depends linux-image-686:i386 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-686\)\(:i386\)\?$/\1/p' | head -n1)
[ -n "$pkg" ] || { echo "get-debian-kernel: cannot resolve linux-image-686:i386" >&2; exit 1; }
(cd "$dir" && apt-get download -q "$pkg:i386" >/dev/null)
deb=$(ls "$dir"/"$pkg"_*_i386.deb | head -n1)
dpkg-deb -x "$deb" "$dir/x"
ls "$dir"/x/boot/vmlinuz-* | head -n1
