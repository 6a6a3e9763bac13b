#!/usr/bin/env bash
# Driver of the LAMMPS tests of compute symgnn/eb (one CTest test per call):
#   lmp_test.sh setup                         model + configurations (fixture)
#   lmp_test.sh serial VARIANT                np 1 on all configurations, checked against the C core
#   lmp_test.sh ranks VARIANT NP COMM DATA [PX PY PZ]   same values as the serial run
#   lmp_test.sh haar-serial                   a haar model (the exact O(3) average), np 1
#   lmp_test.sh haar-ranks NP COMM DATA       the haar model on NP ranks, same values
#   lmp_test.sh ensemble-serial               an ensemble with uncertainty yes, np 1, vs the C core
#   lmp_test.sh ensemble-ranks NP COMM DATA   the ensemble on NP ranks, same EB and spread
#   lmp_test.sh warning CASE                  out-of-domain warnings, once per run
#   lmp_test.sh error CASE                    a failing input prints the expected message
#   lmp_test.sh consistency CASE              moved atoms, group mask, units real, sorting,
#                                             threads, cost log, isolated-atom warning, ...
#   lmp_test.sh build-script CASE             scripts/build-lammps.sh refuses bad inputs
#   lmp_test.sh memcheck                      valgrind on a small run: no error and no leak in our code
# VARIANT: plugin (plugin load), autoload (LAMMPS_PLUGIN_PATH), builtin (lmp with the package).
# Environment (set by CMake): LMP_PLAIN LMP_BUILTIN PLUGIN_DIR FAKE_PLUGIN CHECK MODEL_TOOL
# MPIEXEC INPUTS WORK LAMMPS_POTENTIALS BUILD_SCRIPT.
set -euo pipefail
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$WORK"
cd "$WORK"

die() {
  echo "FAIL: $*" >&2
  exit 1
}

# lmp_cmd VARIANT NP: the command line prefix that starts LAMMPS for a variant.
lmp_cmd() {
  local variant=$1 np=$2 lmp=$LMP_PLAIN
  [ "$variant" = builtin ] && lmp=$LMP_BUILTIN
  if [ "$np" -gt 1 ]; then
    echo "$MPIEXEC --allow-run-as-root --oversubscribe -np $np -x LAMMPS_POTENTIALS -x LAMMPS_PLUGIN_PATH -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS $lmp"
  else
    echo "$lmp"
  fi
}

# run_lmp NAME VARIANT NP INPUT [-var ...]: run LAMMPS, keep screen output in NAME.out.
run_lmp() {
  local name=$1 variant=$2 np=$3 input=$4
  shift 4
  local plugin=none
  [ "$variant" = plugin ] && plugin=$PLUGIN_DIR/symgnnplugin.so
  if [ "$variant" = autoload ]; then export LAMMPS_PLUGIN_PATH=$PLUGIN_DIR; else export LAMMPS_PLUGIN_PATH=; fi
  # shellcheck disable=SC2046
  # The first definition of an index variable wins: case-specific values come first.
  if ! $(lmp_cmd "$variant" "$np") -nocite -log none -in "$INPUTS/$input" "$@" \
    -var plugin "$plugin" -var model "$WORK/model.bin" >"$name.out" 2>&1; then
    tail -n 30 "$name.out" >&2
    die "LAMMPS run $name failed (output: $WORK/$name.out)"
  fi
}

# expect_error NAME REGEX INPUT [-var ...]: LAMMPS must fail and print REGEX.
expect_error() {
  local name=$1 regex=$2
  shift 2
  local plugin=$PLUGIN_DIR/symgnnplugin.so
  export LAMMPS_PLUGIN_PATH=
  if [ "${1:-}" = --plugin ]; then
    plugin=$2
    shift 2
  fi
  local np=1
  if [ "${1:-}" = --np ]; then
    np=$2
    shift 2
  fi
  local input=$1
  shift
  # shellcheck disable=SC2046
  if $(lmp_cmd plugin "$np") -nocite -log none -in "$INPUTS/$input" "$@" -var plugin "$plugin" \
    -var model "$WORK/model.bin" >"$name.out" 2>&1; then
    die "$name: LAMMPS succeeded but must fail with: $regex"
  fi
  if ! grep -E -q -- "$regex" "$name.out"; then
    tail -n 20 "$name.out" >&2
    die "$name: expected message not found: $regex"
  fi
  echo "$name: failed as expected: $(grep -E -m1 -- "$regex" "$name.out")"
}

case $1 in
setup)
  "$MODEL_TOOL" create-random "$WORK/raw.model" --seed 11 >/dev/null
  # Untrained models predict nearly constant values; a wide label scale makes every check
  # sensitive to the inputs of every atom.
  "$CHECK" set-norm "$WORK/raw.model" "$WORK/model.bin" 0 1000
  "$MODEL_TOOL" create-random "$WORK/raw-haar.model" --seed 11 --transforms haar >/dev/null
  "$CHECK" set-norm "$WORK/raw-haar.model" "$WORK/haar.bin" 0 1000
  $(lmp_cmd plugin 1) -nocite -log none -in "$INPUTS/in.make-data" -var out "$WORK" >make-data.out 2>&1 ||
    {
      tail -n 30 make-data.out >&2
      die "making the configurations failed"
    }
  for d in ortho tri slab tiny; do [ -s "$d.data" ] || die "$d.data missing"; done
  # An ensemble of four independently seeded members: two with K = 2 transforms, two haar
  # (whose tables the compute builds on ranks 2 and 3 of 4, or 0 and 1 of 2, and broadcasts).
  for s in 21 22 23 24; do
    kind=2
    [ "$s" -ge 23 ] && kind=haar
    "$MODEL_TOOL" create-random "$WORK/raw-$s.model" --seed $s --transforms $kind >/dev/null
    "$CHECK" set-norm "$WORK/raw-$s.model" "$WORK/member-$s.bin" 0 1000
  done
  "$MODEL_TOOL" ensemble "$WORK/ensemble.bin" "$WORK"/member-2[1-4].bin >/dev/null
  # The test model with a training label range far from its predictions (about 0 +- 1000).
  "$MODEL_TOOL" set-provenance "$WORK/model.bin" label_range "5000 6000" -o "$WORK/range.bin"
  ;;
serial)
  v=$2
  for d in ortho tri slab tiny; do
    run_lmp "$v-serial-$d" "$v" 1 in.eb -var data "$d.data" -var dump "$v-serial-$d.dump"
    "$CHECK" reference "$v-serial-$d.dump" c_eb model.bin Cu Zr --rtol 1e-5
  done
  "$CHECK" count "$v-serial-ortho.dump" c_eb 500
  ;;
haar-serial)
  for d in ortho tri; do
    run_lmp "haar-serial-$d" plugin 1 in.eb -var data "$d.data" -var dump "haar-serial-$d.dump" \
      -var model "$WORK/haar.bin"
    "$CHECK" reference "haar-serial-$d.dump" c_eb haar.bin Cu Zr --rtol 1e-5
  done
  grep -E -q 'symmetrization: haar, the exact O\(3\) average; table of [0-9]+ distances' \
    haar-serial-ortho.out || die "haar-serial: the log does not describe the haar table"
  ;;
haar-ranks)
  np=$2 comm=$3 d=$4
  name=haar-np$np-$comm-$d
  run_lmp "$name" plugin "$np" in.eb -var data "$d.data" -var comm "$comm" -var dump "$name.dump" \
    -var model "$WORK/haar.bin" -var px "*" -var py "*" -var pz "*"
  "$CHECK" compare "$name.dump" c_eb "haar-serial-$d.dump" c_eb --rtol 1e-6
  ;;
ensemble-serial)
  for d in ortho tri; do
    run_lmp "ensemble-serial-$d" plugin 1 in.eb -var data "$d.data" -var model "$WORK/ensemble.bin" \
      -var elems "Cu Zr uncertainty yes" -var ebref "c_eb[1]" -var cols "c_eb[1] c_eb[2]" \
      -var dump "ensemble-serial-$d.dump"
    "$CHECK" reference "ensemble-serial-$d.dump" "c_eb[1]" ensemble.bin Cu Zr --std "c_eb[2]" --rtol 1e-5
  done
  "$CHECK" count ensemble-serial-ortho.dump "c_eb[2]" 500
  grep -q "ensemble of 4 members: EB = their mean, uncertainty = their standard deviation" \
    ensemble-serial-ortho.out || die "ensemble-serial: the log does not describe the ensemble"
  # Without the keyword: the same mean as a per-atom vector.
  run_lmp ensemble-vector plugin 1 in.eb -var model "$WORK/ensemble.bin" -var dump ensemble-vector.dump
  "$CHECK" compare ensemble-vector.dump c_eb ensemble-serial-ortho.dump "c_eb[1]" --rtol 1e-12
  ;;
ensemble-ranks)
  np=$2 comm=$3 d=$4
  name=ensemble-np$np-$comm-$d
  run_lmp "$name" plugin "$np" in.eb -var data "$d.data" -var comm "$comm" -var dump "$name.dump" \
    -var model "$WORK/ensemble.bin" -var elems "Cu Zr uncertainty yes" -var ebref "c_eb[1]" \
    -var cols "c_eb[1] c_eb[2]" -var px "*" -var py "*" -var pz "*"
  "$CHECK" compare "$name.dump" "c_eb[1]" "ensemble-serial-$d.dump" "c_eb[1]" --rtol 1e-6
  "$CHECK" compare "$name.dump" "c_eb[2]" "ensemble-serial-$d.dump" "c_eb[2]" --rtol 1e-6
  ;;
warning)
  # count_lines NAME REGEX COUNT: NAME.out has COUNT lines matching REGEX.
  count_lines() {
    local n
    n=$(grep -E -c -- "$2" "$1.out" || true)
    [ "$n" = "$3" ] || die "$1: $3 line(s) expected, $n found: $2"
    grep -E -m1 -- "$2" "$1.out" || true
  }
  case $2 in
  out-of-range)
    run_lmp range plugin 2 in.warn -var data ortho.data -var model "$WORK/range.bin"
    count_lines range "^WARNING: Compute symgnn/eb eb: 500 of 500 atoms have an EB outside the training label range \[5000, 6000\] eV by more than 1000 eV \(one label std\) at step (0|15) " 2
    count_lines range "^compute symgnn/eb eb: 3 of 3 evaluation\(s\) in this run had EBs outside the training label range \[5000, 6000\] eV by more than 1000 eV" 1
    count_lines range "^compute symgnn/eb eb: 2 of 2 evaluation\(s\) in this run had EBs outside" 1
    count_lines range "WARNING: Compute symgnn/eb" 2
    # The same model without a recorded range, and with a range that holds: no warning.
    run_lmp norange plugin 2 in.warn -var data ortho.data
    count_lines norange "WARNING: Compute symgnn/eb" 0
    "$MODEL_TOOL" set-provenance "$WORK/model.bin" label_range "100 200" -o "$WORK/range-ok.bin"
    run_lmp rangeok plugin 2 in.warn -var data ortho.data -var model "$WORK/range-ok.bin"
    count_lines rangeok "WARNING: Compute symgnn/eb" 0
    count_lines rangeok "training labels from 100 to 200 eV: EBs more than 1000 eV \\(one label std\\) outside are warned about once per run" 1
    ;;
  single-element)
    run_lmp single plugin 2 in.warn -var data ortho.data -var elems "Cu Cu duplicates yes"
    count_lines single "^WARNING: Compute symgnn/eb eb: the graph holds only Cu atoms \(500 of them\) at step (0|15), but model file .*model\.bin was trained with the elements Cu Zr; barriers of such a structure are extrapolations \(warned once per run\)" 2
    count_lines single "WARNING: Compute symgnn/eb" 2
    ;;
  null-neighbours)
    run_lmp nullnb plugin 2 in.warn -var data ortho.data -var elems "NULL Zr"
    count_lines nullnb "^WARNING: Compute symgnn/eb eb: [0-9]+ atom\(s\) of mapped types have atoms of NULL type\(s\) 1 within the cutoff 5 A at step (0|15); those neighbours are left out of the graph" 2
    count_lines nullnb "^WARNING: Compute symgnn/eb eb: the graph holds only Zr atoms \([0-9]+ of them\) .*; for the barriers of one species map every type and use a group" 2
    count_lines nullnb "WARNING: Compute symgnn/eb" 4
    ;;
  *) die "unknown warning case $2" ;;
  esac
  ;;
ranks)
  v=$2 np=$3 comm=$4 d=$5
  name=$v-np$np-$comm-$d${6:+-$6$7$8}
  run_lmp "$name" "$v" "$np" in.eb -var data "$d.data" -var comm "$comm" -var dump "$name.dump" \
    -var px "${6:-*}" -var py "${7:-*}" -var pz "${8:-*}"
  "$CHECK" compare "$name.dump" c_eb "$v-serial-$d.dump" c_eb --rtol 1e-6
  if [ "$d" = slab ] && [ -n "${6:-}" ]; then
    # The slab must leave one rank without owned atoms and without ghosts.
    grep -E -q 'Nlocal: .* 0 min' "$name.out" || die "$name: no rank without owned atoms"
    grep -E -q 'Nghost: .* 0 min' "$name.out" || die "$name: no rank without ghost atoms"
  fi
  ;;
error)
  case $2 in
  missing-file) expect_error "$2" "cannot find model file nonexistent\.model" in.eb -var model nonexistent.model ;;
  truncated-file)
    head -c 300 model.bin >truncated.model
    expect_error "$2" "cannot use model file .*truncated\.model: .*SYMGNN_ERR_TRUNC" in.eb -var model "$WORK/truncated.model"
    ;;
  not-a-model) expect_error "$2" "cannot use model file .*ortho\.data: .*SYMGNN_ERR_MAGIC" in.eb -var model "$WORK/ortho.data" ;;
  unknown-element) expect_error "$2" "element Al \(atom type 2\) is not in model file .*; the model's elements are: Cu Zr" in.eb -var elems "Cu Al" ;;
  unknown-element-np2) expect_error "$2" "element Al \(atom type 2\) is not in model file" --np 2 in.eb -var elems "Cu Al" ;;
  wrong-count) expect_error "$2" "one element name \(or NULL\) per atom type: 2 atom types but 1 names given: Cu" in.eb -var elems Cu ;;
  too-many) expect_error "$2" "2 atom types but 3 names given: Cu Zr Zr" in.eb -var elems "Cu Zr Zr" ;;
  element-twice) expect_error "$2" "element Cu is given for atom types 1 and 2; use 'duplicates yes'" in.eb -var elems "Cu Cu" ;;
  all-null) expect_error "$2" "maps no atom type to an element" in.eb -var elems "NULL NULL" ;;
  units-lj) expect_error "$2" "requires units metal or real .*; units lj is not supported" in.eb -var units lj ;;
  ghost-range) expect_error "$2" "cutoff 5 \(from the model\) plus neighbor skin 2 exceeds the ghost atom range 4; use 'comm_modify cutoff 7' or larger" in.eb -var paircut 2.0 ;;
  bad-block) expect_error "$2" "block must be a positive edge count, got 0" in.eb -var elems "Cu Zr block 0" ;;
  bad-threads) expect_error "$2" "threads must be a positive thread count, got 0" in.eb -var elems "Cu Zr threads 0" ;;
  misspelt-keyword) expect_error "$2" "Unknown compute symgnn/eb keyword: thread \\(the keywords are block, threads, duplicates and uncertainty; it is not an element of model file .*model\\.bin either\\)" in.eb -var elems "Cu Zr thread 2" ;;
  uncertainty-single) expect_error "$2" "uncertainty yes needs an ensemble model file \\(2 or more members whose spread is the uncertainty\\); .*model\\.bin holds a single model" in.eb -var elems "Cu Zr uncertainty yes" ;;
  damaged-ensemble)
    head -c 2000 ensemble.bin >damaged-ensemble.bin
    expect_error "$2" "cannot use model file .*damaged-ensemble\\.bin: ensemble checksum mismatch" in.eb -var model "$WORK/damaged-ensemble.bin"
    ;;
  coincident) expect_error "$2" "atoms ([0-9]+ and 1|1 and [0-9]+) are [0-9.e+-]+ Angstrom apart, closer than the minimum distance 0\\.5 Angstrom" --np 2 in.coincident -var data ortho.data ;;
  far-box) expect_error "$2" "box bound or tilt 2000000000 is beyond 1000000000 Angstrom" in.farbox ;;
  lost-atoms) expect_error "$2" "ERROR: Lost atoms: original 500 current 499" in.lost -var data ortho.data -var dump lost.dump ;;
  version-mismatch) expect_error "$2" "compiled for LAMMPS version '1 Jan 2000' but is loaded into LAMMPS version '[0-9]+ [A-Z][a-z]+ [0-9]+'" --plugin "$FAKE_PLUGIN" in.eb ;;
  *) die "unknown error case $2" ;;
  esac
  ;;
consistency)
  case $2 in
  moved)
    run_lmp moved plugin 2 in.moved -var data ortho.data -var out "$WORK"
    run_lmp fresh plugin 2 in.eb -var data moved.data -var dump fresh.dump
    "$CHECK" compare after.dump c_eb fresh.dump c_eb --rtol 1e-6
    "$CHECK" compare before.dump c_eb after.dump c_eb --rtol 1e-6 --expect-differ
    "$CHECK" masked before.dump c_ebhalf c_eb v_in
    "$CHECK" masked after.dump c_ebhalf c_eb v_in
    ;;
  units-real)
    run_lmp real plugin 1 in.eb -var units real -var dump real.dump
    run_lmp metal plugin 1 in.eb -var dump metal.dump
    "$CHECK" compare real.dump c_eb metal.dump c_eb --factor 23.060549 --rtol 1e-9
    ;;
  sort-off)
    # Atom sorting changes the order of the graph's rows, and with it which rows fall into the
    # tails of OpenBLAS' matrix kernels; some kernels (AVX-512 machines) round those in other
    # ways, so the results agree to float rounding (as across MPI ranks), not bit for bit.
    run_lmp unsorted plugin 1 in.eb -var sort off -var dump unsorted.dump
    run_lmp sorted plugin 1 in.eb -var dump sorted.dump
    "$CHECK" compare unsorted.dump c_eb sorted.dump c_eb --rtol 1e-6
    ;;
  null-type)
    run_lmp null plugin 2 in.eb -var elems "Cu NULL" -var mapped 1 -var dump null.dump
    "$CHECK" reference null.dump c_eb model.bin Cu NULL --rtol 1e-5
    ;;
  duplicates)
    run_lmp dup plugin 1 in.eb -var elems "Cu Cu duplicates yes" -var dump dup.dump
    "$CHECK" reference dup.dump c_eb model.bin Cu Cu --rtol 1e-5
    ;;
  block)
    run_lmp block plugin 1 in.eb -var elems "Cu Zr block 100" -var dump block.dump
    "$CHECK" reference block.dump c_eb model.bin Cu Zr --rtol 1e-5
    ;;
  threads)
    run_lmp threads plugin 1 in.eb -var elems "Cu Zr threads 2" -var dump threads.dump
    grep -q "2 OpenMP thread(s) per MPI rank" threads.out || die "threads: the log does not name 2 threads"
    "$CHECK" reference threads.dump c_eb model.bin Cu Zr --rtol 1e-5
    ;;
  threads-from-lammps)
    # No threads keyword: LAMMPS' own count (comm->nthreads), which is 1 in an lmp built without
    # OpenMP whatever OMP_NUM_THREADS says; the variable itself is not read by the compute.
    OMP_NUM_THREADS=3 run_lmp lmpthreads plugin 1 in.eb -var dump lmpthreads.dump
    grep -q "1 OpenMP thread(s) per MPI rank (as LAMMPS uses" lmpthreads.out ||
      die "threads-from-lammps: the log does not say 1 thread as LAMMPS uses"
    "$CHECK" reference lmpthreads.dump c_eb model.bin Cu Zr --rtol 1e-5
    ;;
  cost)
    # Evaluated only on the steps whose output asks for it, once per configuration; the count
    # and the cost are logged at the end of every run (in.cost says which steps).
    run_lmp cost plugin 2 in.cost -var data ortho.data -var out "$WORK"
    expect_lines() { # expect_lines REGEX COUNT
      local n
      n=$(grep -E -c -- "$1" cost.out || true)
      [ "$n" = "$2" ] || die "cost: $2 line(s) expected, $n found: $1"
    }
    expect_lines "^compute symgnn/eb eb: 5 evaluation\\(s\\) in this run, [0-9.e+-]+ ms each, [0-9.e+-]+ s in all = [0-9.]+% of the run's wall time \\([0-9.e+-]+ s, MPI rank 0\\)$" 1
    expect_lines "^compute symgnn/eb eb: 2 evaluation\\(s\\) in this run" 1
    expect_lines "^compute symgnn/eb eb: not evaluated in this run \\(no output requested it\\)$" 1
    expect_lines "^compute symgnn/eb eb: ([0-9]+ evaluation\\(s\\)|not evaluated) in this run" 3
    # The order of the report lines is the order of the runs.
    grep -E "^(run [ABC]|compute symgnn/eb eb: [0-9n])" cost.out | tr '\n' '|' |
      grep -E -q "^run A\\|[^|]*: 5 eval[^|]*\\|run B\\|[^|]*: 2 eval[^|]*\\|run C\\|[^|]*: not evaluated" ||
      die "cost: report lines not after their runs"
    [ "$(grep -c -E '^ITEM: TIMESTEP' cost.dump)" = 3 ] || die "cost: cost.dump has not 3 frames"
    ;;
  isolated)
    # An atom with no neighbour within the cutoff is warned about once per change, on 2 ranks.
    run_lmp isolated plugin 2 in.isolated -var data slab.data
    regex="WARNING: Compute symgnn/eb eb: 1 atom\\(s\\) with no neighbour within the model cutoff 5 A at step 0 \\(first IDs: [0-9]+\\); an isolated atom is not a glass structure"
    n=$(grep -E -c -- "$regex" isolated.out || true)
    [ "$n" = 2 ] || die "isolated: 2 warnings expected (first run, and after the atom left again), $n found"
    [ "$(grep -c 'WARNING: Compute symgnn/eb' isolated.out)" = 2 ] || die "isolated: other warnings"
    grep -E -m1 -- "$regex" isolated.out
    ;;
  lost-ignore)
    # thermo_modify lost ignore: the run goes on and the compute evaluates the atoms left.
    run_lmp lostignore plugin 2 in.lost -var data ortho.data -var lost ignore -var dump lost.dump
    [ "$(sed -n 4p lost.dump)" = 499 ] || die "lost-ignore: the dump has not 499 atoms"
    "$CHECK" count lost.dump c_eb 499
    ;;
  empty-group)
    run_lmp empty plugin 2 in.empty-group -var data ortho.data
    grep -q "^empty group: scalar 0 sum 0 max 0$" empty.out || die "empty-group: not all zero: $(grep '^empty group' empty.out)"
    ;;
  listed)
    # LAMMPS lists the compute: the plugin through LAMMPS_PLUGIN_PATH (plugin list, info
    # styles: lmp -h cannot, it prints before plugins load), the built-in package in lmp -h.
    printf 'plugin list\ninfo styles compute\n' |
      LAMMPS_PLUGIN_PATH=$PLUGIN_DIR "$LMP_PLAIN" -nocite -log none >listed.out 2>&1 ||
      die "listed: lmp failed"
    grep -E -q "^ +[0-9]+: compute style plugin symgnn/eb$" listed.out || die "listed: not in plugin list"
    grep -E -q "(^| )symgnn/eb( |$)" <(sed -n '/Compute styles/,$p' listed.out) ||
      die "listed: not among the compute styles of info styles"
    if [ -x "${LMP_BUILTIN:-}" ]; then
      "$LMP_BUILTIN" -h >listed-builtin.out
      grep -E -q "(^| )USER-SYMGNN( |$)" listed-builtin.out || die "listed: lmp -h lists no USER-SYMGNN"
      grep -E -q "(^| )symgnn/eb( |$)" listed-builtin.out || die "listed: lmp -h lists no symgnn/eb"
    fi
    ;;
  comm-cutoff)
    run_lmp commcut plugin 2 in.eb -var paircut 2.0 -var commcut 7.0 -var dump commcut.dump
    "$CHECK" reference commcut.dump c_eb model.bin Cu Zr --rtol 1e-5
    ;;
  *) die "unknown consistency case $2" ;;
  esac
  ;;
memcheck)
  # valgrind memcheck of a small run with the compute (the built-in lmp, so no plugin is
  # dlopen'ed): no invalid access or uninitialised value anywhere, and no definitely lost block
  # whose allocation stack passes through our code. Open MPI's own start-up leaks (MPI_Init)
  # are reported by valgrind and listed, not judged.
  command -v valgrind >/dev/null || die "memcheck: valgrind is not installed (scripts/install-deps.sh)"
  lmp=${LMP_BUILTIN:-}
  plugin=none
  if [ ! -x "$lmp" ]; then
    lmp=$LMP_PLAIN
    plugin=$PLUGIN_DIR/symgnnplugin.so
  fi
  valgrind --leak-check=full --errors-for-leak-kinds=definite --num-callers=40 \
    --log-file=memcheck.vg "$lmp" -nocite -log none -in "$INPUTS/in.eb" -var data tiny.data \
    -var model "$WORK/model.bin" -var plugin "$plugin" -var dump memcheck.dump >memcheck.out 2>&1 ||
    { tail -20 memcheck.out >&2; die "memcheck: LAMMPS under valgrind failed"; }
  "$CHECK" reference memcheck.dump c_eb model.bin Cu Zr --rtol 1e-5
  if grep -E -q "Invalid (read|write|free)|uninitialised|Conditional jump|Mismatched free" memcheck.vg; then
    grep -E -m5 -A12 "Invalid|uninitialised|Conditional jump|Mismatched" memcheck.vg >&2
    die "memcheck: valgrind reports memory errors (memcheck.vg)"
  fi
  # valgrind separates its records by lines holding only its "==pid== " prefix; a record is
  # ours when one of its frames names our code (symgnn_* functions, ComputeSymGNNEB, the plugin)
  # (not the cache path of lmp, which contains "symgnn" too). Blocks allocated inside MPI_Init
  # are Open MPI's, before any of our code runs: valgrind names their frames after whatever
  # library is mapped at that address when it reports, which with the plugin can be ours.
  ours=$(awk '/^==[0-9]+== *$/ {
                if (r ~ /definitely lost/ && r ~ /: symgnn_|SymGNN|symgnnplugin[.]so|compute_symgnn/ &&
                    r !~ /PMPI_Init/) print r
                r = ""; next }
              { r = r "\n" $0 }' memcheck.vg)
  [ -z "$ours" ] || { printf '%s\n' "$ours" | head -60 >&2; die "memcheck: a definitely lost block from our code"; }
  grep -q "definitely lost" memcheck.vg || grep -q "All heap blocks were freed" memcheck.vg ||
    die "memcheck: no leak summary in memcheck.vg"
  echo "memcheck: $(grep -c 'definitely lost in loss record' memcheck.vg) definitely lost record(s), none through our code; $(grep 'ERROR SUMMARY' memcheck.vg | sed 's/==[0-9]*== //')"
  ;;
build-script)
  # scripts/build-lammps.sh refuses bad inputs before building anything.
  cache=$WORK/build-script-$2
  rm -rf "$cache"
  mkdir -p "$cache/download"
  case $2 in
  sha-mismatch)
    echo "not the LAMMPS tarball" >"$cache/download/lammps_20250204+dfsg.1.orig.tar.xz"
    regex="sha256 mismatch for .*lammps_20250204\+dfsg\.1\.orig\.tar\.xz: expected 3671165bd52fad36734e0a9136c5bc5ecb225e03988f8c89aa13366a8b53b1c7, got [0-9a-f]{64}; refusing to build an unverified LAMMPS"
    ;;
  no-tree)
    export LAMMPS_SOURCE_DIR=$cache/download
    regex="LAMMPS_SOURCE_DIR=.* is neither a LAMMPS tree nor its src/"
    ;;
  *) die "unknown build-script case $2" ;;
  esac
  if SYMGNN_CACHE=$cache "$BUILD_SCRIPT" >"$cache.out" 2>&1; then die "build-lammps.sh succeeded"; fi
  grep -E -q -- "$regex" "$cache.out" || {
    cat "$cache.out" >&2
    die "expected message not found: $regex"
  }
  [ ! -e "$cache/lammps.env" ] || die "lammps.env written although the script failed"
  grep -E -m1 -- "$regex" "$cache.out"
  ;;
*) die "unknown command $1" ;;
esac
echo "PASS: $*"
