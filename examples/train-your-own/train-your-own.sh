#!/usr/bin/env bash
# Train your own SymGNN model and use it in LAMMPS, in four steps, all in OUTDIR:
#   1. LAMMPS (in.make-data): small glasses as dumps with a per-atom label column;
#   2. dump2extxyz.py: the dumps as extended-XYZ training files;
#   3. symgnn-train with train.yaml: a model (symgnn-best.model);
#   4. LAMMPS (in.use-model): compute symgnn/eb with the new model on a glass it has not seen.
#
#   examples/train-your-own/train-your-own.sh [OUTDIR] [quick]
# quick: 3 glasses of 108 atoms and 2 epochs (a test of the pipeline, not a useful model).
# Environment (filled in as examples/run.sh does): LMP, LAMMPS_PLUGIN_PATH, LAMMPS_POTENTIALS,
# SYMGNN_TRAIN (symgnn-train; default <SYMGNN_BUILD_DIR or ./build>/tools/train/symgnn-train),
# SYMGNN_NP (MPI ranks of the LAMMPS runs, default 2). A copy of this directory elsewhere runs
# the same way when LMP, LAMMPS_PLUGIN_PATH, LAMMPS_POTENTIALS and SYMGNN_TRAIN are set.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
die() {
  echo "[train-your-own] ERROR: $*" >&2
  exit 1
}
out=${1:-$REPO/out/train-your-own}
quick=no
[ "${2:-}" = quick ] && quick=yes

env_file=${SYMGNN_CACHE:-$HOME/.cache/symgnn}/lammps.env
if [ -z "${LMP:-}" ] || [ -z "${LAMMPS_POTENTIALS:-}" ]; then
  [ -f "$env_file" ] || die "$env_file missing: run scripts/build.sh first, or set LMP and LAMMPS_POTENTIALS"
  # shellcheck disable=SC1090
  source "$env_file"
fi
LMP=${LMP:-${LMP_PLAIN:-}}
[ -x "$LMP" ] || die "no lmp executable (LMP='$LMP'): set LMP"
build=${SYMGNN_BUILD_DIR:-$REPO/build}
train=${SYMGNN_TRAIN:-$build/tools/train/symgnn-train}
[ -x "$train" ] || die "symgnn-train not found at $train: build the project or set SYMGNN_TRAIN"
export LAMMPS_PLUGIN_PATH=${LAMMPS_PLUGIN_PATH:-$build/plugin}
export LAMMPS_POTENTIALS=$LAMMPS_POTENTIALS:$REPO/potentials
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
root=()
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
lmp() { # lmp INPUT LOG [-var ...]: LAMMPS on SYMGNN_NP ranks in OUTDIR
  local input=$1 log=$2
  shift 2
  mpirun "${root[@]}" -np "${SYMGNN_NP:-2}" -x LAMMPS_PLUGIN_PATH -x LAMMPS_POTENTIALS \
    -x OMP_NUM_THREADS "$LMP" -in "$HERE/$input" -log "$log.log" "$@" >"$log.screen" 2>&1 ||
    { tail -n 20 "$log.screen" >&2; die "LAMMPS $input failed (screen output: $out/$log.screen)"; }
}

mkdir -p "$out"
cd "$out"
echo "[train-your-own] 1/4 glasses with labels (LAMMPS, $HERE/in.make-data) in $out"
lmp in.make-data make-data -var quick "$quick"
echo "[train-your-own] 2/4 dumps -> extended XYZ"
for d in glass-*.dump; do
  python3 "$HERE/dump2extxyz.py" "$d" --elements Cu,Zr --label c_eb -o "${d%.dump}.extxyz" >/dev/null
done
cp "$HERE/train.yaml" train.yaml
test_glass=glass-7.data
if [ "$quick" = yes ]; then
  # 3 glasses: one to train, one to validate, one to test; 2 epochs
  sed -i -e 's/^  train: .*/  train: [glass-1.extxyz]/' -e 's/^  validation: .*/  validation: [glass-2.extxyz]/' \
    -e 's/^  epochs: .*/  epochs: 2/' -e 's/^  eval_interval: .*/  eval_interval: 1/' -e 's/^  warmup_steps: .*/  warmup_steps: 0/' train.yaml
  test_glass=glass-3.data
fi
echo "[train-your-own] 3/4 training ($train train.yaml; log: $out/train.log)"
"$train" train.yaml >train.log 2>&1 || { tail -n 20 train.log >&2; die "symgnn-train failed (log: $out/train.log)"; }
echo "[train-your-own] 4/4 the new model in LAMMPS (in.use-model) on $test_glass"
lmp in.use-model use-model -var glass "$test_glass"
grep '^your model on' use-model.screen
# the labels of the first glass as an EB map and histogram (examples/eb-plot.gp, when this
# script runs from the repository and gnuplot is there)
if [ -f "$REPO/examples/eb-plot.gp" ] && command -v gnuplot >/dev/null; then
  gnuplot -c "$REPO/examples/eb-plot.gp" glass-1.dump glass-1 "train-your-own: labels of glass-1"
fi
