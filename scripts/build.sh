#!/usr/bin/env bash
# Set up everything: Debian packages, the pinned LAMMPS (cached outside the
# clone, see build-lammps.sh), then configure and build USER-SYMGNN (core,
# tools, trainer, plugin, tests) in ./build. Safe to rerun; incremental.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SYMGNN_CACHE:-$HOME/.cache/symgnn}
BUILD=${SYMGNN_BUILD_DIR:-$REPO/build}
"$REPO/scripts/install-deps.sh"
"$REPO/scripts/build-lammps.sh"
# shellcheck disable=SC1091
source "$CACHE/lammps.env"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DLAMMPS_SOURCE_DIR="$LAMMPS_SRC" -DLAMMPS_BINARY="$LMP_PLAIN" \
  -DLAMMPS_BUILTIN_BINARY="$LMP_BUILTIN"
cmake --build "$BUILD" -j"${SYMGNN_JOBS:-2}"
