#!/usr/bin/env bash
# Install the Debian packages USER-SYMGNN needs to build and test (idempotent;
# runs apt-get update before installing anything that is missing).
set -euo pipefail
PACKAGES=(cmake make gcc g++ pkg-config xz-utils dpkg-dev ccache
  libopenblas-dev libopenmpi-dev openmpi-bin libyaml-dev
  libgtest-dev libgmock-dev googletest clang-format cppcheck libpng-dev libjpeg-dev zlib1g-dev
  gnuplot-nox python3-numpy
  clang libclang-rt-dev libomp-dev
  libgudhi-dev libcgal-dev valgrind)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[install-deps] ERROR: missing packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "[install-deps] installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
