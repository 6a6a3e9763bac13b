#!/usr/bin/env bash
# USER-SYMGNN benchmark: builds what it needs, runs every measurement and writes
# bench/RESULTS.md. See bench/README.md for what is measured and how.
#   bench/run.sh                      everything (30 to 45 minutes on 2 cores)
#   BENCH_SECTIONS="check forward" bench/run.sh     only some sections
# Environment: SYMGNN_BUILD_DIR (default ./build), BENCH_WORK (default $BUILD/bench-work),
# BENCH_REPEATS (timed repeats per measurement, default 5), BENCH_TRAIN_EPOCHS (default 6),
# BENCH_TORCH_FULL_BATCH=1 (also the PyTorch full-batch training step; needs ~20 GB),
# BENCH_SIZES / BENCH_PEER_SIZES (subsets of "3000 32000 256000" / "3000 32000", for quick tries),
# BENCH_SHIPPED (default potentials/CuZr-symgnn.model, the shipped potential),
# BENCH_EBMAP_PS ("melt quench hold" durations in ps of the eb-map run, default "1 2 0.5"),
# SYMGNN_DATA_DIR (default /work/shared/data/cuzr-eb), BENCH_RESULTS (default bench/RESULTS.md).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SYMGNN_BUILD_DIR:-$REPO/build}
WORK=${BENCH_WORK:-$BUILD/bench-work}
R=$WORK/results
REPEATS=${BENCH_REPEATS:-5}
EPOCHS=${BENCH_TRAIN_EPOCHS:-6}
DATA=${SYMGNN_DATA_DIR:-/work/shared/data/cuzr-eb}
CACHE=${SYMGNN_CACHE:-$HOME/.cache/symgnn}
OUTPUT=${BENCH_RESULTS:-$REPO/bench/RESULTS.md}
SECTIONS=${BENCH_SECTIONS:-check sgemm forward memory torch shipped predict ebmap profile callgrind lammps train}
PY=/usr/bin/python3
# glibc keeps freed memory for reuse instead of returning each large tensor to the kernel:
# PyTorch's CPU allocator does not cache, and the page faults on fresh E x 256 tensors cost
# the peer about half of its forward time otherwise (measured in the check section too).
TORCH_MALLOC="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
SIZES=${BENCH_SIZES:-3000 32000 256000}
PEER_SIZES=${BENCH_PEER_SIZES:-3000 32000}
SHIPPED=${BENCH_SHIPPED:-$REPO/potentials/CuZr-symgnn.model}
EBMAP_PS=${BENCH_EBMAP_PS:-1 2 0.5}

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# skip NAME REASON: the measurement NAME is reported as "not measured: REASON".
skip() {
  echo "$2" >"$R/$1.skip"
  log "not measured: $1: $2"
}
# record NAME CMD...: run CMD, append its stdout as key: value lines to $R/NAME.txt (headed by
# the command line once) with the 1-minute load average before and after; a failure becomes
# NAME.skip.
record() {
  local name=$1
  shift
  [ -f "$R/$name.txt" ] ||
    echo "command: $*" | sed "s#$WORK#\$WORK#g; s#$REPO/##g; s#$BUILD#build#g; s#${LMP_PLAIN:-@@}#\$LMP_PLAIN#g" >"$R/$name.txt"
  echo "load_before: $(load1)" >>"$R/$name.txt"
  "$@" >>"$R/$name.txt" 2>"$R/$name.err"
  local rc=$?
  echo "load_after: $(load1)" >>"$R/$name.txt"
  if [ $rc -ne 0 ]; then
    skip "$name" "command failed (exit $rc): $(tail -n 1 "$R/$name.err")"
    mv "$R/$name.txt" "$R/$name.failed"
  fi
  return $rc
}
# rec NAME CMD...: one measurement, a fresh $R/NAME.txt.
rec() {
  log "$1"
  rm -f "$R/$1.txt"
  record "$@"
}
# rec_append NAME CMD...: one more run appended to $R/NAME.txt (paired rounds).
rec_append() {
  [ -f "$R/$1.skip" ] && return 1
  log "$1 (appending)"
  record "$@"
}
# wall CMD...: run CMD and print its whole-process wall time (fork and exec included) as
# process_wall_seconds after its own output.
wall() {
  local t0=$EPOCHREALTIME rc
  "$@"
  rc=$?
  local t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "process_wall_seconds: %.6f\n", b - a }'
  return $rc
}
# threads T CMD...: run CMD with T OpenMP and T OpenBLAS threads.
threads() {
  local t=$1
  shift
  env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" MKL_NUM_THREADS="$t" "$@"
}
mem_available_gb() { awk '/MemAvailable/ {printf "%d", $2 / 1048576}' /proc/meminfo; }

# ------------------------------------------------------------------ dependencies
ensure_packages() {
  local need=() p
  for p in python3-torch python3-numpy libopenblas0-pthread valgrind linux-perf time; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      log "missing packages (install them as root): ${need[*]}"
      return
    fi
    log "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >"$WORK/apt.log" 2>&1 ||
      { apt-get update >>"$WORK/apt.log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >>"$WORK/apt.log" 2>&1; } ||
      log "apt-get failed, see $WORK/apt.log"
  fi
  # Debian's torch calls the generic libblas.so.3: make sure the alternative is OpenBLAS.
  local alt cur ob
  alt=libblas.so.3-$(gcc -dumpmachine | sed 's/-pc-/-/')
  cur=$(readlink -f "/etc/alternatives/$alt" 2>/dev/null || true)
  ob=$(update-alternatives --list "$alt" 2>/dev/null | grep -m1 openblas || true)
  if [[ $cur != *openblas* && -n $ob && $(id -u) -eq 0 ]]; then
    log "pointing $alt to $ob (was $cur)"
    update-alternatives --set "$alt" "$ob" >/dev/null
  fi
}

# ------------------------------------------------------------------ build
build() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    log "no build in $BUILD: running scripts/build.sh"
    SYMGNN_BUILD_DIR=$BUILD "$REPO/scripts/build.sh" >"$WORK/build.log" 2>&1 ||
      { log "scripts/build.sh failed, see $WORK/build.log"; exit 1; }
  fi
  cmake -S "$REPO" -B "$BUILD" >"$WORK/cmake.log" 2>&1 || { log "cmake failed: $WORK/cmake.log"; exit 1; }
  cmake --build "$BUILD" -j2 --target symgnn-bench-forward symgnn-bench-sgemm symgnn-predict \
    symgnn-model >>"$WORK/cmake.log" 2>&1 || { log "build failed: $WORK/cmake.log"; exit 1; }
  cmake --build "$BUILD" -j2 --target symgnn-train >>"$WORK/cmake.log" 2>&1 ||
    log "symgnn-train did not build (trainer section will say so)"
  cmake --build "$BUILD" -j2 --target symgnnplugin >>"$WORK/cmake.log" 2>&1 ||
    log "symgnnplugin did not build (LAMMPS section will say so)"
}

# ------------------------------------------------------------------ machine
machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu_model: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "cpus: $(nproc)"
    echo "cpu_flags: $(grep -m1 -o -w -E 'avx2|fma|avx512f|avx512_bf16|amx_tile' /proc/cpuinfo | tr '\n' ' ')"
    echo "threads_per_core: $(lscpu | sed -n 's/^Thread(s) per core: *//p')"
    echo "l2_cache: $(lscpu | sed -n 's/^L2 cache: *//p')"
    echo "mem_total_gb: $(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)"
    echo "mem_available_gb_start: $(mem_available_gb)"
    echo "kernel: $(uname -r)"
    echo "os: $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)"
    echo "gcc: $(gcc -dumpfullversion)"
    echo "openblas: $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null)"
    echo "libblas_alternative: $(readlink -f /etc/alternatives/libblas.so.3-"$(gcc -dumpmachine | sed 's/-pc-/-/')")"
    echo "torch: $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo missing)"
    echo "numpy: $($PY -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo missing)"
    echo "git_commit: $(git -C "$REPO" rev-parse --short HEAD)"
    echo "git_dirty_core: $(git -C "$REPO" status --porcelain -- src tools | wc -l)"
    echo "core_sources_sha256: $(cat "$REPO"/src/USER-SYMGNN/*.[ch] | sha256sum | cut -c1-16)"
    echo "build_type: $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")"
    echo "load_start: $(cat /proc/loadavg)"
    echo "busy_processes_start: $(ps -eo pcpu= | awk '$1 > 20' | wc -l)"
  } >"$R/machine.txt"
}

# ------------------------------------------------------------------ inputs
BF=$BUILD/bench/symgnn-bench-forward
SGEMM=$BUILD/bench/symgnn-bench-sgemm
PREDICT=$BUILD/tools/predict/symgnn-predict
MODELTOOL=$BUILD/tools/model/symgnn-model
TRAIN=$BUILD/tools/train/symgnn-train
MODEL=$WORK/random_seed1.sgnn
SYS=$WORK/systems

inputs() {
  LMP_PLAIN=
  # shellcheck disable=SC1091
  [ -f "$CACHE/lammps.env" ] && source "$CACHE/lammps.env"
  export LAMMPS_POTENTIALS
  local glass=()
  if [ -n "${LMP_PLAIN:-}" ] && [ -x "$LMP_PLAIN" ]; then
    if [ ! -s "$WORK/glass3000.data" ]; then
      log "3000-atom glass: LAMMPS melt-quench (about 2 minutes)"
      (cd "$WORK" && threads 1 "$LMP_PLAIN" -nocite -log glass3000.log -in "$REPO/bench/glass3000.lmp" \
        -var out "$WORK/glass3000.data" >/dev/null 2>&1) || log "glass3000 failed: $WORK/glass3000.log"
    fi
    [ -s "$WORK/glass3000.data" ] && glass=(--glass3000 "$WORK/glass3000.data")
  fi
  $PY "$REPO/bench/make_systems.py" "$SYS" "$DATA" "${glass[@]}" >"$R/systems.txt" || exit 1
  "$MODELTOOL" create-random "$MODEL" --seed 1 >/dev/null || exit 1
  $PY "$REPO/bench/torch_symgnn.py" perturb "$MODEL" "$WORK/perturbed.sgnn" --seed 3 >/dev/null ||
    log "perturbed model not written"
}

# graph NAME XYZ: the core's graph of XYZ dumped once for the PyTorch peer.
graph() {
  [ -s "$WORK/$1.graph" ] ||
    threads 1 "$BF" "$MODEL" "$2" --repeats 0 --warmup 0 --dump-graph "$WORK/$1.graph" >/dev/null
}

# ------------------------------------------------------------------ sections
section_check() {
  graph train0 "$DATA/train0.extxyz" || { skip check_random_seed1 "graph dump failed"; return; }
  local m
  for m in random_seed1 perturbed; do
    [ -s "$WORK/$m.sgnn" ] || { skip "check_$m" "model $m.sgnn missing"; continue; }
    "$PREDICT" "$WORK/$m.sgnn" "$DATA/train0.extxyz" -o "$WORK/check_$m.extxyz" \
      >"$R/check_${m}_predict.txt" 2>&1 || { skip "check_$m" "symgnn-predict failed"; continue; }
    $PY -c "import sys; sys.path.insert(0, '$REPO/bench'); from xyzio import read_extxyz; \
import numpy as np; np.savetxt('$WORK/check_$m.c.txt', read_extxyz('$WORK/check_$m.extxyz')['eb_pred'], fmt='%.9g')"
    threads 1 $PY -W ignore "$REPO/bench/torch_symgnn.py" predict "$WORK/$m.sgnn" "$WORK/train0.graph" \
      --threads 1 --repeats 1 --warmup 0 --out "$WORK/check_$m.torch.txt" >/dev/null 2>"$R/check_$m.err" ||
      { skip "check_$m" "torch peer failed: $(tail -n 1 "$R/check_$m.err")"; continue; }
    rec "check_$m" $PY "$REPO/bench/torch_symgnn.py" compare "$WORK/check_$m.torch.txt" "$WORK/check_$m.c.txt"
  done
  # the peer's own graph builder (section predict): same edge count and predictions
  [ -s "$WORK/check_random_seed1.c.txt" ] || { skip check_peer_graph "no symgnn-predict output"; return; }
  threads 1 env GLIBC_TUNABLES="$TORCH_MALLOC" $PY -W ignore "$REPO/bench/torch_symgnn.py" predict-xyz \
    "$MODEL" "$DATA/train0.extxyz" --out "$WORK/check_peer_graph.torch.txt" \
    >"$R/check_peer_graph_run.txt" 2>"$R/check_peer_graph.err" ||
    { skip check_peer_graph "torch peer failed: $(tail -n 1 "$R/check_peer_graph.err")"; return; }
  rec check_peer_graph $PY "$REPO/bench/torch_symgnn.py" compare "$WORK/check_peer_graph.torch.txt" \
    "$WORK/check_random_seed1.c.txt"
  sed -n 's/^edges: /peer_edges: /p' "$R/check_peer_graph_run.txt" >>"$R/check_peer_graph.txt"
  sed -n 's/^edges: /core_edges: /p' "$R/check_random_seed1_predict.txt" >>"$R/check_peer_graph.txt"
}

section_sgemm() {
  local shape t
  for shape in "8192 256 32" "8192 32 256" "2048 2048 2048"; do
    for t in 1 2; do
      # shellcheck disable=SC2086
      rec "sgemm_${shape// /x}_t$t" threads "$t" "$SGEMM" $shape --repeats "$REPEATS"
    done
  done
}

section_forward() {
  local n t
  for n in $SIZES; do
    for t in 1 2; do
      rec "fwd_ours_${n}_t$t" threads "$t" "$BF" "$MODEL" "$SYS/cuzr_$n.extxyz" --repeats "$REPEATS" \
        --warmup 1
    done
  done
  # memory locality: the same systems with atoms in cell-list order (as LAMMPS keeps them)
  for n in 32000 256000; do
    [[ " $SIZES " == *" $n "* ]] || continue
    rec "fwd_ours_sorted_${n}_t1" threads 1 "$BF" "$MODEL" "$SYS/cuzr_${n}_sorted.extxyz" \
      --repeats "$REPEATS" --warmup 1
  done
}

section_memory() {
  rec mem_baseline /usr/bin/time -v -o "$R/mem_baseline.time" env OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 "$BF" "$MODEL"
  local n
  for n in $SIZES; do
    rec "mem_ours_$n" /usr/bin/time -v -o "$R/mem_ours_$n.time" env OMP_NUM_THREADS=1 \
      OPENBLAS_NUM_THREADS=1 "$BF" "$MODEL" "$SYS/cuzr_$n.extxyz" --repeats 1 --warmup 0
  done
}

# Ours and the peer in alternating rounds (one warm-up and one timed pass per process), so
# both see the same load on this shared machine; the ratio is taken round by round.
section_torch() {
  local n t
  for n in $PEER_SIZES; do
    graph "cuzr_$n" "$SYS/cuzr_$n.extxyz" || { skip "pair_torch_${n}_t1" "graph dump failed"; continue; }
    for t in 1 2; do
      for _ in $(seq "$REPEATS"); do
        rec_append "pair_ours_${n}_t$t" threads "$t" "$BF" "$MODEL" "$SYS/cuzr_$n.extxyz" \
          --repeats 1 --warmup 1 || break
        rec_append "pair_torch_${n}_t$t" threads "$t" env GLIBC_TUNABLES="$TORCH_MALLOC" $PY -W ignore \
          "$REPO/bench/torch_symgnn.py" predict "$MODEL" "$WORK/cuzr_$n.graph" --threads "$t" \
          --repeats 1 --warmup 1 || break
      done
    done
  done
  # the peer with glibc's default malloc, to show what the tunable is worth
  if graph cuzr_3000 "$SYS/cuzr_3000.extxyz"; then
    rec fwd_torch_3000_t1_tuned threads 1 env GLIBC_TUNABLES="$TORCH_MALLOC" $PY -W ignore \
      "$REPO/bench/torch_symgnn.py" predict "$MODEL" "$WORK/cuzr_3000.graph" --threads 1 \
      --repeats "$REPEATS" --warmup 1
    rec fwd_torch_3000_t1_defaultmalloc threads 1 $PY -W ignore "$REPO/bench/torch_symgnn.py" predict \
      "$MODEL" "$WORK/cuzr_3000.graph" --threads 1 --repeats "$REPEATS" --warmup 1
  fi
}

# The shipped potential's forward pass against the same weights with one identity transform
# (K = 1, replaced in memory by symgnn-bench-forward --identity-transform), in alternating
# rounds; each process times 3 passes after one warm-up. The haar table is built when the
# process prepares the model, outside the timed passes; its build time is reported on its own.
# An ensemble's members are evaluated one after the other: symgnn-bench-forward times one
# member (the first), the predict section the whole ensemble.
section_shipped() {
  [ -f "$SHIPPED" ] || { skip shipped_haar_3000_t1 "no shipped potential at $SHIPPED"; return; }
  local n t one=$SHIPPED
  if "$MODELTOOL" info "$SHIPPED" | grep -q '^members:'; then
    one=$WORK/shipped_member1.model
    "$MODELTOOL" member "$SHIPPED" 1 -o "$one" || return
  fi
  for n in $PEER_SIZES; do
    for t in 1 2; do
      for _ in $(seq "$REPEATS"); do
        rec_append "shipped_haar_${n}_t$t" threads "$t" "$BF" "$one" "$SYS/cuzr_$n.extxyz" \
          --repeats 3 --warmup 1 || break
        rec_append "shipped_k1_${n}_t$t" threads "$t" "$BF" "$one" "$SYS/cuzr_$n.extxyz" \
          --repeats 3 --warmup 1 --identity-transform || break
      done
    done
  done
}

# symgnn-predict with the shipped potential, the whole process timed from outside (reading
# the model, building the haar table, reading the extended XYZ file, the graph, the forward
# pass, the summary; no output file), against the PyTorch peer of the paper's K = 2 design on
# the random K = 2 model, which reads the same extended XYZ file and builds its own graph
# (torch_symgnn.py predict-xyz). Alternating rounds; each round runs ours once, the peer
# once with a warm-up pass (its graph build + forward timed in the process: its best case)
# and the peer once cold with a single pass (its whole process, python start and
# `import torch` included).
section_predict() {
  [ -f "$SHIPPED" ] || { skip predict_ours_3000_t1 "no shipped potential at $SHIPPED"; return; }
  local n t
  for n in $PEER_SIZES; do
    for t in 1 2; do
      for _ in $(seq "$REPEATS"); do
        rec_append "predict_ours_${n}_t$t" wall threads "$t" "$PREDICT" "$SHIPPED" \
          "$SYS/cuzr_$n.extxyz" || break
        rec_append "predict_torch_${n}_t$t" threads "$t" env GLIBC_TUNABLES="$TORCH_MALLOC" \
          $PY -W ignore "$REPO/bench/torch_symgnn.py" predict-xyz "$MODEL" "$SYS/cuzr_$n.extxyz" \
          --threads "$t" --repeats 1 --warmup 1 || break
        rec_append "predict_torchcold_${n}_t$t" wall threads "$t" env GLIBC_TUNABLES="$TORCH_MALLOC" \
          $PY -W ignore "$REPO/bench/torch_symgnn.py" predict-xyz "$MODEL" "$SYS/cuzr_$n.extxyz" \
          --threads "$t" --repeats 1 --warmup 0 || break
      done
    done
  done
}

# ebmap_run OUT CMD...: CMD in examples/eb-map, screen output to OUT/screen.txt, then its
# closing summary (the EB map and the cost of the compute) on stdout.
ebmap_run() {
  local out=$1
  shift
  (cd "$REPO/examples/eb-map" && "$@") >"$out/screen.txt" 2>&1 || return
  sed -n '/^EB map written:/,$p' "$out/screen.txt"
}

# The eb-map example (examples/eb-map/in.eb-map: 2048 atoms, 2 MPI ranks, the shipped
# potential, 1 OpenMP thread per rank as in scripts/run-main-job.sh) with shorter MD
# (BENCH_EBMAP_PS): its own measurement of one compute call in EAM force evaluations.
section_ebmap() {
  local plugin=$BUILD/plugin/symgnnplugin.so
  if [ -z "${LMP_PLAIN:-}" ] || [ ! -x "${LMP_PLAIN:-}" ] || [ ! -f "$plugin" ]; then
    skip ebmap "no LAMMPS binary or no $plugin"
    return
  fi
  local melt quench hold
  read -r melt quench hold <<<"$EBMAP_PS"
  local mpi=(mpirun -np 2 -x LAMMPS_POTENTIALS -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS)
  [ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
  mkdir -p "$WORK/ebmap"
  rec ebmap ebmap_run "$WORK/ebmap" env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "${mpi[@]}" \
    "$LMP_PLAIN" -in in.eb-map -log "$WORK/ebmap/log.lammps" -var plugin "$plugin" \
    -var model "$SHIPPED" -var out "$WORK/ebmap" -var melt_ps "$melt" -var quench_ps "$quench" \
    -var hold_ps "$hold" &&
    cp "$WORK/ebmap/log.lammps" "$R/ebmap.log" &&
    echo "durations_ps: melt $melt, quench $quench, hold $hold" >>"$R/ebmap.txt"
}

section_profile() {
  local n=32000
  log "profile: perf record of the forward pass, $n atoms, 1 thread"
  if ! threads 1 perf record -g -o "$WORK/perf.data" "$BF" "$MODEL" "$SYS/cuzr_$n.extxyz" \
    --repeats 1 --warmup 1 >"$WORK/perf.stdout" 2>"$WORK/perf.log"; then
    skip profile "perf record failed: $(tail -n 1 "$WORK/perf.log")"
    return
  fi
  {
    echo "command: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 perf record -g symgnn-bench-forward MODEL cuzr_$n.extxyz --repeats 1 --warmup 1; perf report --no-children --stdio -g none --percent-limit 0.5"
    perf report -i "$WORK/perf.data" --no-children --stdio -g none --percent-limit 0.5 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -n 25
  } >"$R/profile.txt"
}

section_callgrind() {
  command -v valgrind >/dev/null || { skip callgrind "valgrind not installed"; return; }
  rec callgrind bash "$REPO/bench/callgrind.sh" "$BF" "$MODEL" "$SYS/cuzr_3000.extxyz" "$WORK/callgrind" &&
    cp "$WORK/callgrind/callgrind_top.txt" "$R/callgrind_top.txt"
}

section_lammps() {
  local plugin_dir=
  [ -f "$BUILD/plugin/symgnnplugin.so" ] && plugin_dir=$BUILD/plugin
  [ -z "$plugin_dir" ] && [ -f "$BUILD/symgnnplugin.so" ] && plugin_dir=$BUILD
  if [ -z "${LMP_PLAIN:-}" ] || [ ! -x "${LMP_PLAIN:-}" ]; then
    skip lammps "no LAMMPS binary ($CACHE/lammps.env with LMP_PLAIN; scripts/build-lammps.sh makes it)"
    return
  fi
  if [ -z "$plugin_dir" ]; then
    skip lammps "no symgnnplugin.so in $BUILD (configure with LAMMPS_SOURCE_DIR: scripts/build.sh)"
    return
  fi
  local mpi=(mpirun --oversubscribe -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS -x LAMMPS_POTENTIALS
    -x LAMMPS_PLUGIN_PATH)
  [ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
  local n np
  for run in "3000 1" "32000 1" "32000 2"; do
    read -r n np <<<"$run"
    rec "lammps_${n}_np$np" env LAMMPS_PLUGIN_PATH="$plugin_dir" OMP_NUM_THREADS=1 \
      OPENBLAS_NUM_THREADS=1 "${mpi[@]}" -np "$np" "$LMP_PLAIN" -nocite -log "$R/lammps_${n}_np$np.log" \
      -in "$REPO/bench/lammps_eb.lmp" -var data "$SYS/cuzr_$n.data" -var model "$MODEL"
  done
  # the shipped potential on the eb-map example's glass (section ebmap), 1 and 2 ranks: the
  # same ratio measured step by step, as a check of the example's own measurement
  if [ ! -s "$WORK/ebmap/glass.data" ]; then
    skip lammps_shipped_ebmap_np1 "no eb-map glass (section ebmap not run)"
    return
  fi
  for np in 1 2; do
    rec "lammps_shipped_ebmap_np$np" env LAMMPS_PLUGIN_PATH="$plugin_dir" OMP_NUM_THREADS=1 \
      OPENBLAS_NUM_THREADS=1 "${mpi[@]}" -np "$np" "$LMP_PLAIN" -nocite \
      -log "$R/lammps_shipped_ebmap_np$np.log" -in "$REPO/bench/lammps_eb.lmp" \
      -var data "$WORK/ebmap/glass.data" -var model "$SHIPPED"
  done
}

# train_config BATCH EPOCHS EVAL DIR MODE: trainer YAML on train0-5, validation val_500,
# symmetrization MODE (haar: the exact average, what the shipped potential trains with;
# fixed: K = 2 stored transforms, the paper's design that the peer runs).
train_config() {
  local d=$4
  mkdir -p "$d"
  cat >"$d/config.yaml" <<EOF
data:
  train: [$DATA/train0.extxyz, $DATA/train1.extxyz, $DATA/train2.extxyz,
          $DATA/train3.extxyz, $DATA/train4.extxyz, $DATA/train5.extxyz]
  validation: [$SYS/val_500.extxyz]
  label: eb
  elements: [Cu, Zr]
  cutoff: 5.0
symmetrization:
  mode: $5
training:
  batch: $1
  epochs: $2
  eval_interval: $3
  patience: 0
  seed: 0
output:
  model: $d/final.model
  best_model: $d/best.model
  checkpoint: $d/train.ckpt
  learning_curve: $d/learning_curve.csv
EOF
}

section_train() {
  local i data=()
  for i in 0 1 2 3 4 5; do
    graph "train$i" "$DATA/train$i.extxyz" || { skip train_torch_batch1 "graph dump failed"; return; }
    data+=("$WORK/train$i.graph:$DATA/train$i.extxyz")
  done
  if [ -x "$TRAIN" ]; then
    # one step per configuration (batch 1): 6 steps per epoch, evaluation once per epoch
    train_config 1 "$EPOCHS" 6 "$WORK/train_batch1" haar
    rec train_ours_batch1 /usr/bin/time -v -o "$R/train_ours_batch1.time" env OMP_NUM_THREADS=2 \
      OPENBLAS_NUM_THREADS=2 "$TRAIN" "$WORK/train_batch1/config.yaml"
    train_config 1 "$EPOCHS" 6 "$WORK/train_batch1_fixed" fixed
    rec train_ours_batch1_fixed /usr/bin/time -v -o "$R/train_ours_batch1_fixed.time" \
      env OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$TRAIN" "$WORK/train_batch1_fixed/config.yaml"
    if [ "$(mem_available_gb)" -ge 16 ]; then
      train_config all "$EPOCHS" 1 "$WORK/train_full" haar
      rec train_ours_full /usr/bin/time -v -o "$R/train_ours_full.time" env OMP_NUM_THREADS=2 \
        OPENBLAS_NUM_THREADS=2 "$TRAIN" "$WORK/train_full/config.yaml"
    else
      skip train_ours_full "only $(mem_available_gb) GB available, the full batch needs more headroom"
    fi
  else
    skip train_ours_batch1 "symgnn-train is not built"
    skip train_ours_full "symgnn-train is not built"
  fi
  rec train_torch_batch1 /usr/bin/time -v -o "$R/train_torch_batch1.time" env OMP_NUM_THREADS=2 \
    OPENBLAS_NUM_THREADS=2 GLIBC_TUNABLES="$TORCH_MALLOC" $PY -W ignore "$REPO/bench/torch_symgnn.py" train "$MODEL" \
    --data "${data[@]}" --threads 2 --epochs "$EPOCHS" --batch 1
  if [ "${BENCH_TORCH_FULL_BATCH:-0}" = 1 ] && [ "$(mem_available_gb)" -ge 22 ]; then
    rec train_torch_full /usr/bin/time -v -o "$R/train_torch_full.time" env OMP_NUM_THREADS=2 \
      OPENBLAS_NUM_THREADS=2 GLIBC_TUNABLES="$TORCH_MALLOC" $PY -W ignore "$REPO/bench/torch_symgnn.py" train "$MODEL" \
      --data "${data[@]}" --threads 2 --epochs "$EPOCHS" --batch 0
  else
    skip train_torch_full "PyTorch full batch needs about 20 GB (3.4 GB per 8000-atom configuration \
measured) on a shared 24 GiB machine; set BENCH_TORCH_FULL_BATCH=1 to run it"
  fi
}

# ------------------------------------------------------------------ main
mkdir -p "$WORK" "$SYS"
rm -rf "$R"
mkdir -p "$R"
echo "$SECTIONS" >"$R/sections.txt"
ensure_packages
build
machine
inputs
for s in $SECTIONS; do
  if declare -f "section_$s" >/dev/null; then "section_$s"; else log "unknown section $s"; fi
done
echo "load_end: $(cat /proc/loadavg)" >>"$R/machine.txt"
echo "mem_available_gb_end: $(mem_available_gb)" >>"$R/machine.txt"
$PY "$REPO/bench/report.py" "$R" "$OUTPUT" && log "wrote $OUTPUT"
