#!/usr/bin/env bash
# The README's run command: install what is missing, build, and run Pagoda's
# main job -- boot the bundled guest kernel, in a window when a display
# exists, headless otherwise. Arguments pass through to `pagoda`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
exec build/pagoda "$@"
