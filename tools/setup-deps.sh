#!/usr/bin/env bash
# Install what Pagoda's build and tests need on Debian 12. Idempotent: does
# nothing (not even apt-get update) when every package is already present.
set -euo pipefail

packages=(
  cmake gcc gcc-multilib make pkg-config python3
  libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core
  libelf-dev check
  xvfb xauth imagemagick gdb binutils
  qemu-system-x86
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi

echo "setup-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
