#!/usr/bin/env bash
# Build LAMMPS "4 Feb 2025" (Debian trixie source, pinned by the sha256 of the upstream tarball)
# twice, for USER-SYMGNN:
#   plain   - lmp with MPI, shared lib, PLUGIN, MANYBODY, EXTRA-COMPUTE, PNG/JPEG; used with
#             symgnnplugin.so (`plugin load` or LAMMPS_PLUGIN_PATH);
#   builtin - the same plus USER-SYMGNN compiled in through CMAKE_PROJECT_lammps_INCLUDE.
# Results are cached under ${SYMGNN_CACHE:-$HOME/.cache/symgnn}; a second run with unchanged
# options and sources does nothing. The paths are written to <cache>/lammps.env.
#
# Environment:
#   SYMGNN_CACHE       cache directory (default $HOME/.cache/symgnn)
#   LAMMPS_SOURCE_DIR  use this LAMMPS tree (top level or its src/) instead of downloading;
#                      no version pin is applied then
#   SYMGNN_JOBS        parallel build jobs (default 2)
#   SYMGNN_VARIANTS    "plain builtin" (default), or just one of them
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG_DIR=$REPO/src/USER-SYMGNN
CACHE=${SYMGNN_CACHE:-$HOME/.cache/symgnn}
JOBS=${SYMGNN_JOBS:-2}
VARIANTS=${SYMGNN_VARIANTS:-plain builtin}
UPSTREAM_VERSION=20250204+dfsg.1
ORIG_TARBALL=lammps_${UPSTREAM_VERSION}.orig.tar.xz
ORIG_SHA256=3671165bd52fad36734e0a9136c5bc5ecb225e03988f8c89aa13366a8b53b1c7
APT_PACKAGES=(cmake make g++ gcc dpkg-dev xz-utils ccache libopenmpi-dev openmpi-bin
  libopenblas-dev libpng-dev libjpeg-dev zlib1g-dev)

say() { printf '[build-lammps] %s\n' "$*"; }
die() {
  printf '[build-lammps] ERROR: %s\n' "$*" >&2
  exit 1
}
sha16() { sha256sum | cut -c1-16; }

# Install the missing Debian packages (apt-get update first); nothing to do when all are present.
install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them first"
  say "installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# Make the trixie source index available: a deb-src entry whose URI is the one of the
# existing Debian entry (no host is hard-coded), then apt-get update.
add_trixie_sources() {
  local list=/etc/apt/sources.list.d/debian.sources entry=/etc/apt/sources.list.d/symgnn-trixie-src.sources
  local uri
  [ -r "$list" ] || die "$list not found: cannot derive the Debian mirror for the trixie deb-src entry"
  uri=$(awk '/^URIs:/{print $2; exit}' "$list")
  [ -n "$uri" ] || die "no URIs: line in $list"
  [ "$(id -u)" -eq 0 ] || die "need root to add $entry (or pass LAMMPS_SOURCE_DIR=<your LAMMPS tree>)"
  say "adding deb-src entry for trixie from $uri"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" \
    /usr/share/keyrings/debian-archive-keyring.gpg >"$entry.tmp"
  mv "$entry.tmp" "$entry"
  apt-get update
}

# Debian revision of the pinned upstream version in the source index (empty when unknown).
find_source_version() {
  apt-cache showsrc lammps 2>/dev/null |
    awk -v v="$UPSTREAM_VERSION-" '/^Version:/ && index($2, v) == 1 {print $2; exit}' || true
}

# Download the orig tarball with apt, check its sha256 and unpack it into <cache>/src-<sha16>.
fetch_lammps() {
  local dest=$CACHE/src-${ORIG_SHA256:0:16} dl=$CACHE/download version top
  if [ -f "$dest/.complete" ]; then
    LAMMPS_TREE=$(cat "$dest/.complete")
    return 0
  fi
  mkdir -p "$dl"
  if [ ! -f "$dl/$ORIG_TARBALL" ]; then
    version=$(find_source_version)
    if [ -z "$version" ]; then
      add_trixie_sources
      version=$(find_source_version)
    fi
    [ -n "$version" ] || die "apt knows no source version lammps=$UPSTREAM_VERSION-*; check the trixie deb-src entry"
    say "downloading lammps=$version (orig tarball only)"
    (cd "$dl" && apt-get source --download-only --tar-only "lammps=$version")
  fi
  [ -f "$dl/$ORIG_TARBALL" ] || die "apt-get source did not produce $dl/$ORIG_TARBALL"
  if ! echo "$ORIG_SHA256  $dl/$ORIG_TARBALL" | sha256sum -c --quiet - >/dev/null 2>&1; then
    die "sha256 mismatch for $dl/$ORIG_TARBALL: expected $ORIG_SHA256, got $(sha256sum "$dl/$ORIG_TARBALL" | cut -d' ' -f1); refusing to build an unverified LAMMPS (delete the file to retry)"
  fi
  say "sha256 verified: $ORIG_TARBALL"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar -xf "$dl/$ORIG_TARBALL" -C "$dest.tmp"
  top=$(find "$dest.tmp" -mindepth 1 -maxdepth 2 -name cmake -type d -printf '%h\n' | head -n1)
  [ -n "$top" ] && [ -f "$top/cmake/CMakeLists.txt" ] || die "unexpected tarball layout (no cmake/CMakeLists.txt)"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  LAMMPS_TREE=$dest/${top#"$dest.tmp/"}
  echo "$LAMMPS_TREE" >"$dest/.complete"
}

# Accept a user tree given as its top level or as its src/ directory.
use_user_tree() {
  local d
  d=$(cd "$LAMMPS_SOURCE_DIR" && pwd) || die "LAMMPS_SOURCE_DIR=$LAMMPS_SOURCE_DIR does not exist"
  if [ -f "$d/cmake/CMakeLists.txt" ]; then
    LAMMPS_TREE=$d
  elif [ -f "$d/../cmake/CMakeLists.txt" ]; then
    LAMMPS_TREE=$(cd "$d/.." && pwd)
  else
    die "LAMMPS_SOURCE_DIR=$LAMMPS_SOURCE_DIR is neither a LAMMPS tree nor its src/ (no cmake/CMakeLists.txt)"
  fi
  [ -f "$LAMMPS_TREE/src/version.h" ] || die "$LAMMPS_TREE/src/version.h missing"
}

# Hash of everything of USER-SYMGNN that goes into the built-in variant.
package_hash() {
  (cd "$PKG_DIR" && find . -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name 'compute_*.cpp' \
    -o -name 'lammps-*.cmake' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha16
}

# Configure, build and install one variant into <cache>/lammps-<tree>-<options>; sets RESULT.
build_variant() {
  local kind=$1 tree_key=$2 opts=() key dest work
  opts=(-DCMAKE_BUILD_TYPE=Release -DBUILD_MPI=on -DBUILD_SHARED_LIBS=on -DBUILD_OMP=off
    -DPKG_PLUGIN=on -DPKG_MANYBODY=on -DPKG_EXTRA-COMPUTE=on
    -DWITH_PNG=on -DWITH_JPEG=on -DWITH_GZIP=on -DWITH_FFMPEG=off
    "-DCMAKE_INSTALL_RPATH=\$ORIGIN/../lib" -DCMAKE_INSTALL_LIBDIR=lib
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  key=$(printf '%s\n' "${opts[@]}" "$(c++ --version | head -n1)" | sha16)
  if [ "$kind" = builtin ]; then
    opts+=("-DCMAKE_PROJECT_lammps_INCLUDE=$PKG_DIR/lammps-hook.cmake")
    key=$(printf '%s\n%s\n' "$key" "$(package_hash)" | sha16)
  fi
  dest=$CACHE/lammps-$tree_key-$kind-$key
  RESULT=$dest/bin/lmp
  if [ -x "$RESULT" ] && [ -f "$dest/.complete" ]; then
    say "$kind: cached $RESULT"
    return 0
  fi
  work=$CACHE/work/$kind
  rm -rf "$work" "$dest"
  mkdir -p "$work"
  say "$kind: configuring in $work/build"
  local t0=$SECONDS
  cmake -S "$LAMMPS_TREE/cmake" -B "$work/build" -DCMAKE_INSTALL_PREFIX="$work/prefix" "${opts[@]}" \
    >"$work/configure.log" 2>&1 || {
    tail -n 40 "$work/configure.log" >&2
    die "$kind: configure failed (log: $work/configure.log)"
  }
  say "$kind: building with $JOBS jobs (log: $work/build.log)"
  cmake --build "$work/build" -j "$JOBS" >"$work/build.log" 2>&1 || {
    grep -E -B2 -A6 'error|Error' "$work/build.log" | tail -n 60 >&2
    die "$kind: build failed (log: $work/build.log)"
  }
  cmake --install "$work/build" >"$work/install.log" 2>&1 || die "$kind: install failed ($work/install.log)"
  check_lmp "$kind" "$work/prefix/bin/lmp"
  mv "$work/prefix" "$dest"
  echo "$kind built in $((SECONDS - t0)) s" >"$dest/.complete"
  rm -rf "$work"
  prune_old "$tree_key" "$kind" "$dest"
  say "$kind: built in $((SECONDS - t0)) s: $RESULT"
}

# The installed lmp must run with its own library and, for the built-in, list USER-SYMGNN.
check_lmp() {
  local kind=$1 lmp=$2 help want
  help=$("$lmp" -h 2>&1) || die "$kind: $lmp -h failed: $help"
  want=$(sed -n 's/^#define LAMMPS_VERSION "\(.*\)"/\1/p' "$LAMMPS_TREE/src/version.h")
  grep -q "Simulator - $want" <<<"$help" || die "$kind: $lmp reports another version than '$want' (wrong liblammps picked up?)"
  if [ "$kind" = builtin ]; then
    grep -A3 '^Installed packages:' <<<"$help" | grep -q 'USER-SYMGNN' || die "builtin: lmp -h does not list USER-SYMGNN"
    grep -q 'symgnn/eb' <<<"$help" || die "builtin: lmp -h does not list compute symgnn/eb"
  fi
}

# Remove earlier builds of the same kind for the same tree (older option or source hashes).
prune_old() {
  local d
  for d in "$CACHE/lammps-$1-$2-"*; do
    [ -d "$d" ] && [ "$d" != "$3" ] && rm -rf "$d"
  done
  return 0
}

main() {
  install_packages
  mkdir -p "$CACHE"
  # One build at a time per cache (a second caller waits, then finds the results cached).
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then
    say "waiting for another build-lammps.sh using $CACHE"
    flock 9
  fi
  local tree_key
  if [ -n "${LAMMPS_SOURCE_DIR:-}" ]; then
    use_user_tree
    tree_key=user$(printf '%s\n' "$LAMMPS_TREE" | cat - "$LAMMPS_TREE/src/version.h" | sha16 | cut -c1-12)
    say "using LAMMPS tree $LAMMPS_TREE (not version-pinned)"
  else
    fetch_lammps
    tree_key=${ORIG_SHA256:0:16}
  fi
  export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$CACHE CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
  local lmp_plain="" lmp_builtin="" v
  for v in $VARIANTS; do
    case $v in
    plain) build_variant plain "$tree_key" && lmp_plain=$RESULT ;;
    builtin) build_variant builtin "$tree_key" && lmp_builtin=$RESULT ;;
    *) die "unknown variant '$v' in SYMGNN_VARIANTS (plain, builtin)" ;;
    esac
  done
  {
    echo "LAMMPS_TREE=$LAMMPS_TREE"
    echo "LAMMPS_SRC=$LAMMPS_TREE/src"
    echo "LAMMPS_POTENTIALS=$LAMMPS_TREE/potentials"
    echo "LMP_PLAIN=$lmp_plain"
    echo "LMP_BUILTIN=$lmp_builtin"
  } >"$CACHE/lammps.env.tmp"
  mv "$CACHE/lammps.env.tmp" "$CACHE/lammps.env"
  say "results (also in $CACHE/lammps.env):"
  sed 's/^/  /' "$CACHE/lammps.env"
}

main "$@"
