#!/bin/sh
# The explainer figures of doc/explain.md, from a fresh clone (run at the repository root):
#   tools/explain/make-figures.sh [DATA_DIR] [THREADS]
# builds symgnn-explain in build-figures/ unless it is there, explains the 50 atoms of
# train6.extxyz closest to the cell centre with the single haar model shipped before the ensemble
# (potentials/training/symgnn-haar.model; the explainer takes one model) (500 Adam steps each,
# the defaults), aggregates them and writes doc/figures/explain-*.png and
# doc/figures/explain-stats.txt (GUDHI and CGAL needed: scripts/install-deps.sh).
# DATA_DIR: the Cu64Zr36 data set (../shared/data/cuzr-eb).
set -eu
data=${1:-../shared/data/cuzr-eb}
threads=${2:-2}
if [ ! -f "$data/train6.extxyz" ]; then
  echo "make-figures.sh: error: no train6.extxyz in '$data'" >&2
  exit 1
fi
bin=build-figures/tools/explain
if [ ! -x "$bin/symgnn-explain" ] || [ ! -x "$bin/symgnn-explain-stats" ] ||
  [ ! -x "$bin/symgnn-explain-h1" ]; then
  cmake -S . -B build-figures -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-figures -j"$threads" --target symgnn-explain symgnn-explain-stats \
    symgnn-explain-h1
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/symgnn-explain-figures.XXXXXX")
"$bin/symgnn-explain" potentials/training/symgnn-haar.model "$data/train6.extxyz" --central 50 \
  --threads "$threads" -o "$out" >/dev/null
"$bin/symgnn-explain-stats" "$out" >"$out/stats.txt"
"$bin/symgnn-explain-h1" "$out" >>"$out/stats.txt"
mkdir -p doc/figures
gnuplot -c tools/explain/explain-figures.gp "$out" doc/figures
cat "$out/stats.txt" "$out/summary.csv" >doc/figures/explain-stats.txt.tmp
mv doc/figures/explain-stats.txt.tmp doc/figures/explain-stats.txt
rm -rf "$out"
cat doc/figures/explain-stats.txt
