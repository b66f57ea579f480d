#!/usr/bin/env bash
# A real Linux bzImage (e.g. Debian's linux-image-686) through the 32-bit
# boot protocol with an initrd and a command line: the kernel must report
# our e820 map, the initrd where we put it, and our command line. Skips
# (status 77) unless PAGODA_LINUX_BZIMAGE names a kernel.
#   linux.sh PAGODA
set -u
pagoda=$1
kernel=${PAGODA_LINUX_BZIMAGE:-}
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
  echo "PAGODA_LINUX_BZIMAGE is not set to a readable bzImage; skipping"
  exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -c 1048576 /dev/zero >"$tmp/initrd"
timeout 300 "$pagoda" run --headless -m 256M --max-insns 2600000000 -initrd "$tmp/initrd" \
  -append "console=ttyS0 earlyprintk=serial,ttyS0,115200 pagoda-marker" "$kernel" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
head -n 60 "$tmp/out"; echo "..."; cat "$tmp/err"
fail=0
has() { grep -qF -- "$1" "$tmp/out" || { echo "FAIL: serial lacks: $1"; fail=1; }; }
has "Linux version"
has "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable"
has "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved"
has "BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved"
has "BIOS-e820: [mem 0x0000000000100000-0x000000000ffdffff] usable"
has "BIOS-e820: [mem 0x000000000ffe0000-0x000000000fffffff] reserved"
has "BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved"
has "RAMDISK: [mem 0x0fee0000-0x0ffdffff]"
has "Kernel command line: console=ttyS0 earlyprintk=serial,ttyS0,115200 pagoda-marker"
case $rc in 0|1|124) ;; *) echo "FAIL: exit status $rc"; fail=1 ;; esac
exit $fail
