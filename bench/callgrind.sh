#!/usr/bin/env bash
# Instruction count of ONE eval-mode forward pass (symgnn_predict only: model loading, input
# reading and graph building are not counted) under valgrind's callgrind: a number that does not
# depend on the machine's load, for tracking the cost of the kernels between commits.
#   callgrind.sh BENCH_FORWARD MODEL IN.extxyz OUTDIR
# Writes OUTDIR/callgrind.out (callgrind_annotate input) and OUTDIR/callgrind_top.txt, and prints
# `instructions: N`. One thread; OpenBLAS is pinned to its Haswell (AVX2) kernels because valgrind
# does not emulate AVX-512, so the count does not depend on what OpenBLAS would pick natively.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 BENCH_FORWARD MODEL IN.extxyz OUTDIR" >&2
  exit 2
fi
bench=$1 model=$2 input=$3 out=$4
mkdir -p "$out"
env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell \
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
  --toggle-collect=symgnn_predict "$bench" "$model" "$input" --repeats 1 --warmup 0 \
  >"$out/callgrind.stdout" 2>"$out/callgrind.log"
ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/callgrind.log" | tail -n 1)
if [ -z "$ir" ]; then
  echo "callgrind.sh: no instruction count in $out/callgrind.log" >&2
  exit 1
fi
callgrind_annotate "$out/callgrind.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -n 12 \
  >"$out/callgrind_top.txt" || true
echo "instructions: $ir"
echo "atoms: $(sed -n 's/^atoms: //p' "$out/callgrind.stdout")"
echo "edges: $(sed -n 's/^edges: //p' "$out/callgrind.stdout")"
