#!/usr/bin/env bash
# Main job: set up and build everything (scripts/build.sh: Debian packages, the pinned LAMMPS,
# this project with symgnnplugin.so), then run the EB-map example (examples/eb-map) on 2 MPI
# ranks with the plugin, draw its EB map and histogram (gnuplot, examples/eb-plot.gp), and print
# where the outputs are.
#
# Environment: SYMGNN_CACHE (LAMMPS cache, default ~/.cache/symgnn), SYMGNN_BUILD_DIR (default
# ./build), SYMGNN_OUT (output directory, default ./out/eb-map), SYMGNN_MODEL (model file,
# default potentials/CuZr-symgnn.model), SYMGNN_NP (MPI ranks, default 2).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SYMGNN_CACHE:-$HOME/.cache/symgnn}
BUILD=${SYMGNN_BUILD_DIR:-$REPO/build}
OUT=${SYMGNN_OUT:-$REPO/out/eb-map}
MODEL=${SYMGNN_MODEL:-$REPO/potentials/CuZr-symgnn.model}
NP=${SYMGNN_NP:-2}
t0=$SECONDS

"$REPO/scripts/build.sh"
# shellcheck disable=SC1091
source "$CACHE/lammps.env"
PLUGIN=$BUILD/plugin/symgnnplugin.so
[ -f "$PLUGIN" ] || { echo "[run-main-job] ERROR: $PLUGIN was not built" >&2; exit 1; }
if [ ! -f "$MODEL" ]; then
  echo "[run-main-job] ERROR: model file $MODEL not found; set SYMGNN_MODEL=<file> (a random" \
    "test model: $BUILD/tools/model/symgnn-model create-random <file>)" >&2
  exit 1
fi
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")

mkdir -p "$OUT"
export LAMMPS_POTENTIALS OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "[run-main-job] running examples/eb-map/in.eb-map on $NP MPI ranks (log: $OUT/log.lammps)"
t1=$SECONDS
(cd "$REPO/examples/eb-map" &&
  mpirun --allow-run-as-root -np "$NP" -x LAMMPS_POTENTIALS -x OMP_NUM_THREADS \
    -x OPENBLAS_NUM_THREADS "$LMP_PLAIN" -in in.eb-map -log "$OUT/log.lammps" \
    -var plugin "$PLUGIN" -var model "$MODEL" -var out "$OUT" >"$OUT/screen.txt" 2>&1) || {
  tail -n 30 "$OUT/screen.txt" >&2
  echo "[run-main-job] ERROR: the LAMMPS run failed (screen output: $OUT/screen.txt)" >&2
  exit 1
}
sed -n '/^EB map written:/,$p' "$OUT/screen.txt"
gnuplot -c "$REPO/examples/eb-plot.gp" "$OUT/eb-map.dump" "$OUT/eb-map" \
  "Cu64Zr36 glass, $(sed -n 4p "$OUT/eb-map.dump") atoms" ||
  { echo "[run-main-job] ERROR: gnuplot could not draw the EB map" >&2; exit 1; }
echo "[run-main-job] done in $((SECONDS - t0)) s (LAMMPS run $((SECONDS - t1)) s)"
echo "[run-main-job] outputs:"
echo "  per-atom EB dump:   $OUT/eb-map.dump"
echo "  EB map (PNG):       $OUT/eb-map-map.png (colour bar in eV, fixed 0.5-2.5 eV scale)"
echo "  EB histogram (PNG): $OUT/eb-map-hist.png"
echo "  relaxed glass:      $OUT/glass.data"
echo "  LAMMPS log:         $OUT/log.lammps"
echo "  lmp used:           $LMP_PLAIN with $PLUGIN"
