#!/usr/bin/env bash
# An installed pagoda boots the guest kernel installed beside it
# (PREFIX/share/pagoda/pagoda-guest.elf), not the build tree's: install into
# a scratch prefix, put a recognisable image (the hello test image) where
# the guest kernel goes, and run pagoda with no IMAGE.
# Usage: install.sh BUILD_DIR HELLO_IMAGE WORK_DIR
set -eu
build=$1 hello=$2 work=$3
prefix=$work/install-prefix
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
[ -x "$prefix/bin/pagoda" ] || { echo "install: no $prefix/bin/pagoda"; exit 1; }
[ -f "$prefix/share/pagoda/pagoda-guest.elf" ] || { echo "install: no guest kernel in $prefix/share/pagoda"; exit 1; }
cp "$hello" "$prefix/share/pagoda/pagoda-guest.elf"
out=$("$prefix/bin/pagoda" run --headless </dev/null 2>&1 || true)
if ! grep -q "hello from a pagoda test image" <<<"$out"; then
  echo "installed pagoda did not boot the image installed beside it; it printed:"
  echo "$out"
  exit 1
fi
echo "installed pagoda boots $prefix/share/pagoda/pagoda-guest.elf"
