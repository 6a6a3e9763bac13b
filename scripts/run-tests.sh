#!/usr/bin/env bash
# The whole test suite: set up and build (scripts/build.sh), then run every
# CTest test (core, tools, trainer, LAMMPS compute with 1/2/4 MPI ranks), then
# the sanitizer build's tests (scripts/sanitize.sh).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$REPO/scripts/build.sh"
ctest --test-dir "${SYMGNN_BUILD_DIR:-$REPO/build}" --output-on-failure "$@"
# Then the core, tools, trainer and unit tests again under ASan + UBSan, with
# the fuzz smoke runs (scripts/sanitize.sh, its own build directory);
# SYMGNN_SANITIZE=0 skips it.
if [ "${SYMGNN_SANITIZE:-1}" != 0 ]; then
  "$REPO/scripts/sanitize.sh"
fi
