#!/usr/bin/env bash
# The compute on a replicated glass of about a million atoms, with each MPI rank's peak
# resident memory (GNU time) and the memory per atom (issue: scale). Needs the main job's glass
# (scripts/run-main-job.sh writes out/eb-map/glass.data) and the LAMMPS of scripts/build.sh.
#   bench/million.sh [MODEL] [REP] [NP]      defaults: the shipped potential, 8 (1,048,576 atoms), 2
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${1:-$REPO/potentials/CuZr-symgnn.model}
REP=${2:-8}
NP=${3:-2}
# shellcheck disable=SC1091
source "${SYMGNN_CACHE:-$HOME/.cache/symgnn}/lammps.env"
GLASS=$REPO/out/eb-map/glass.data
[ -f "$GLASS" ] || { echo "million.sh: no $GLASS: run scripts/run-main-job.sh first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "million.sh: GNU time missing (apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 LAMMPS_PLUGIN_PATH=$REPO/build/plugin
start=$(date +%s)
# each rank under GNU time, writing its own rss.<rank>
mpirun --allow-run-as-root --oversubscribe -np "$NP" -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS \
  -x LAMMPS_PLUGIN_PATH sh -c 'exec /usr/bin/time -f "peak_rss_kb %M" -o "rss.$OMPI_COMM_WORLD_RANK" "$@"' \
  sh "$LMP_PLAIN" -nocite -log log.lammps -in "$REPO/bench/million.lmp" -var data "$GLASS" \
  -var rep "$REP" -var model "$MODEL" >screen.txt 2>&1 || { tail -20 screen.txt >&2; exit 1; }
wall=$(($(date +%s) - start))
atoms=$(awk '/^ +0 +[0-9]+ /{print $2; exit}' log.lammps)
grep -A1 -E "^ +Step +Atoms" log.lammps | tail -1 | awk '{printf "step %s atoms %s mean_eb %s min_eb %s max_eb %s\n", $1, $2, $3, $4, $5}'
grep -E "evaluation\(s\) in this run" log.lammps
total=0
for f in rss.*; do
  kb=$(awk '{print $2}' "$f")
  echo "rank ${f#rss.}: peak resident memory $((kb / 1024)) MB"
  total=$((total + kb))
done
echo "model: $MODEL"
echo "ranks: $NP, all ranks' peaks together: $((total / 1024)) MB = $(awk -v t="$total" -v n="$atoms" 'BEGIN {printf "%.2f", t * 1024 / n / 1000}') kB per atom"
echo "wall time of the whole LAMMPS run (replicate, neighbor lists, one evaluation): $wall s"
