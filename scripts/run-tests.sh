#!/usr/bin/env bash
# The whole test suite: set up and build (scripts/build.sh), then run every
# CTest test (core, tools, trainer, LAMMPS compute with 1/2/4 MPI ranks).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$REPO/scripts/build.sh"
ctest --test-dir "${SYMGNN_BUILD_DIR:-$REPO/build}" --output-on-failure "$@"
