#!/usr/bin/env bash
# Run one example from anywhere, as a user or as root, and draw its pictures:
#   examples/run.sh NAME [OUTDIR] [lmp arguments...]      e.g. examples/run.sh anneal /tmp/a -var quick yes
# runs examples/NAME/in.NAME with mpirun in OUTDIR (default ./out/NAME), then draws, with
# gnuplot, the EB map and histogram of every single-frame dump written there with the columns
# `id type x y z c_eb` (examples/eb-plot.gp) and runs the example's own *.gp scripts in OUTDIR.
#
# It only fills in what is not set already:
#   LMP                 lmp executable (default: LMP_PLAIN of <SYMGNN_CACHE>/lammps.env,
#                       written by scripts/build-lammps.sh)
#   LAMMPS_PLUGIN_PATH  directory of symgnnplugin.so (default: <SYMGNN_BUILD_DIR or ./build>/plugin)
#   LAMMPS_POTENTIALS   gets this repository's potentials/ appended (for CuZr-symgnn.model)
#   SYMGNN_NP           MPI ranks (default 2); OMP_NUM_THREADS defaults to 1
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
die() {
  echo "[examples/run.sh] ERROR: $*" >&2
  exit 1
}
[ $# -ge 1 ] || die "usage: examples/run.sh NAME [OUTDIR] [lmp arguments...]"
name=$1
shift
input=$REPO/examples/$name/in.$name
[ -f "$input" ] || die "no example $name ($input missing); examples: $(cd "$REPO/examples" && ls -d */ | tr -d / | tr '\n' ' ')"
out=$REPO/out/$name
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
  out=$1
  shift
fi

env_file=${SYMGNN_CACHE:-$HOME/.cache/symgnn}/lammps.env
if [ -z "${LMP:-}" ] || [ -z "${LAMMPS_POTENTIALS:-}" ]; then
  [ -f "$env_file" ] || die "$env_file missing: run scripts/build.sh first, or set LMP and LAMMPS_POTENTIALS"
  # shellcheck disable=SC1090
  source "$env_file"
fi
LMP=${LMP:-${LMP_PLAIN:-}}
[ -x "$LMP" ] || die "no lmp executable (LMP='$LMP', LMP_PLAIN of $env_file): set LMP to your lmp"
export LAMMPS_PLUGIN_PATH=${LAMMPS_PLUGIN_PATH:-${SYMGNN_BUILD_DIR:-$REPO/build}/plugin}
export LAMMPS_POTENTIALS=$LAMMPS_POTENTIALS:$REPO/potentials
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
np=${SYMGNN_NP:-2}
root=()
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)

mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "[examples/run.sh] $name on $np MPI rank(s) in $out (log: $out/log.lammps)"
(cd "$out" && mpirun "${root[@]}" -np "$np" -x LAMMPS_PLUGIN_PATH -x LAMMPS_POTENTIALS \
  -x OMP_NUM_THREADS "$LMP" -in "$input" -log log.lammps "$@" >screen.txt 2>&1) || {
  tail -n 20 "$out/screen.txt" >&2
  die "LAMMPS failed (screen output: $out/screen.txt)"
}

# pictures
command -v gnuplot >/dev/null || die "gnuplot not found (scripts/install-deps.sh installs gnuplot-nox)"
shopt -s nullglob
for dump in "$out"/*.dump; do
  if [ "$(grep -c '^ITEM: TIMESTEP' "$dump")" = 1 ] &&
    grep -q '^ITEM: ATOMS id type x y z c_eb' "$dump"; then
    gnuplot -c "$REPO/examples/eb-plot.gp" "$dump" "${dump%.dump}" "$name: $(basename "$dump")"
  fi
done
for gp in "$REPO/examples/$name"/*.gp; do
  (cd "$out" && gnuplot -c "$gp")
done
echo "[examples/run.sh] done; outputs in $out:"
(cd "$out" && ls)
