#!/usr/bin/env bash
# CTest driver of the examples (examples/*), each in its reduced form (-var quick yes):
#   example_test.sh run NAME         copy examples/NAME to a fresh directory, run it there with
#                                    nothing but the documented LAMMPS_PLUGIN_PATH and
#                                    LAMMPS_POTENTIALS, draw its pictures, check its outputs
#   example_test.sh fail-fast WHAT   every example stops in its first lines, with a message saying
#                                    what to set, when WHAT (plugin or model) cannot be found
#   example_test.sh runner           examples/run.sh runs eb-map into a chosen directory, with
#                                    the plugin given as -var plugin
#   example_test.sh train-your-own   the train-your-own pipeline (quick), from a copy
# Environment (set by CMake): LMP PLUGIN_DIR LAMMPS_POTENTIALS REPO WORK SYMGNN_TRAIN
# SYMGNN_PREDICT.
set -euo pipefail
shopt -s nullglob
export OMP_NUM_THREADS=1
die() {
  echo "FAIL: $*" >&2
  exit 1
}
root=()
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
POTS=$LAMMPS_POTENTIALS:$REPO/potentials

# fresh_copy NAME TAG: a new directory (TAG-NAME) holding a copy of examples/NAME; prints its path
fresh_copy() {
  local dir=$WORK/$2-$1
  rm -rf "$dir"
  mkdir -p "$WORK"
  cp -r "$REPO/examples/$1" "$dir"
  echo "$dir"
}

# check_dump FILE NATOMS: one frame, NATOMS atoms, every c_eb (last column) finite and in
# (0, 5) eV, the mean in (0.3, 2.5) eV
check_dump() {
  [ -s "$1" ] || die "$1 missing or empty"
  awk -v n="$2" -v f="$1" '
    NR == 4 { natoms = $1 }
    /^ITEM: ATOMS/ { atoms = 1; next }
    atoms { k++; v = $NF
      if (v !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ || v + 0 <= 0 || v + 0 >= 5) { print f ": implausible EB " v " of atom " $1; bad = 1 }
      s += v }
    END { if (natoms != n || k != n) { print f ": " k " atoms, expected " n; bad = 1 }
          if (k > 0 && (s / k <= 0.3 || s / k >= 2.5)) { print f ": implausible mean EB " s / k; bad = 1 }
          exit bad }' "$1" || die "$1 fails the checks above"
}

# check_png FILE: a PNG image
check_png() {
  [ -s "$1" ] || die "$1 missing"
  [ "$(head -c 4 "$1" | tail -c 3)" = PNG ] || die "$1 is not a PNG image"
}

# check_table FILE NROWS COL MIN MAX...: NROWS data rows (not #), every listed column finite
# within [MIN, MAX]
check_table() {
  local file=$1 rows=$2
  shift 2
  [ -s "$file" ] || die "$file missing"
  awk -v rows="$rows" -v spec="$*" -v f="$file" '
    BEGIN { n = split(spec, s, " ") }
    /^#/ { next }
    { k++
      for (i = 1; i <= n; i += 3) { v = $(s[i])
        if (v !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ || v + 0 < s[i + 1] || v + 0 > s[i + 2]) {
          print f ": row " k " column " s[i] " = " v " outside [" s[i + 1] ", " s[i + 2] "]"; bad = 1 } } }
    END { if (k != rows) { print f ": " k " rows, expected " rows; bad = 1 }; exit bad }' "$file" ||
    die "$file fails the checks above"
}

# check_roundtrip FILE.extxyz: symgnn-predict with the shipped model reproduces the file's eb
# column (the EB LAMMPS computed) to within 1e-4 eV on average
check_roundtrip() {
  local mae
  mae=$("$SYMGNN_PREDICT" "$REPO/potentials/CuZr-symgnn.model" "$1" | awk '$1 == "mae:" { print $2 }')
  [ -n "$mae" ] || die "symgnn-predict gave no mae for $1"
  awk -v m="$mae" 'BEGIN { exit !(m + 0 < 1e-4) }' || die "$1: symgnn-predict differs from LAMMPS by $mae eV"
  echo "$1: symgnn-predict reproduces the EB of LAMMPS (mae $mae eV)"
}

# run_copy NAME NP [lmp args]: run the copied example with the documented variables only, then
# draw its pictures as examples/run.sh does
run_copy() {
  local name=$1 np=$2 dir
  shift 2
  dir=$(fresh_copy "$name" run)
  cd "$dir"
  if ! env -u LMP LAMMPS_PLUGIN_PATH="$PLUGIN_DIR" LAMMPS_POTENTIALS="$POTS" \
    mpirun "${root[@]}" -np "$np" -x LAMMPS_PLUGIN_PATH -x LAMMPS_POTENTIALS -x OMP_NUM_THREADS \
    "$LMP" -in "in.$name" -var quick yes >screen.txt 2>&1; then
    tail -n 20 screen.txt >&2
    die "$name failed in $dir (screen.txt)"
  fi
  for dump in *.dump; do
    if [ "$(grep -c '^ITEM: TIMESTEP' "$dump")" = 1 ] && grep -q '^ITEM: ATOMS id type x y z c_eb' "$dump"; then
      gnuplot -c "$REPO/examples/eb-plot.gp" "$dump" "${dump%.dump}" "$name" || die "eb-plot.gp failed on $dump"
    fi
  done
  for gp in ./*.gp; do
    [ "$gp" = ./eb-plot.gp ] || gnuplot -c "$gp" || die "$gp failed"
  done
}

case $1 in
run)
  case $2 in
  eb-map)
    run_copy eb-map 2
    check_dump eb-map.dump 108
    check_png eb-map-map.png
    check_png eb-map-hist.png
    # the cost line is there; its numbers are timings, which on a loaded machine in the short CI
    # form can even come out negative (two differences of wall times), so they are not judged
    grep -E -q "one compute call: [^ ]+ ms = [^ ]+ EAM force evaluations" screen.txt || die "no cost line"
    grep -E -q "^compute symgnn/eb eb: 1 evaluation\(s\) in this run" screen.txt || die "no cost report of the compute"
    ;;
  is-md)
    # one rank: the trajectory with quenches is then the same as without, to rounding
    run_copy is-md 1
    for k in 1 2; do
      check_dump "is-eb-$k.dump" 108
      check_png "is-eb-$k-map.png"
    done
    line=$(grep -E "^trajectory check: .*: [-0-9.e+]+ A$" screen.txt) || die "no trajectory check line"
    echo "$line"
    awk '{ exit !($(NF - 1) + 0 < 1e-9) }' <<<"$line" || die "the quenches changed the trajectory: $line"
    [ "$(grep -c '^quench [12] at MD step' screen.txt)" = 2 ] || die "not 2 quench lines"
    ;;
  anneal)
    run_copy anneal 2
    # 2 temperatures x 40 steps sampled every 10: steps 0..80
    check_table eb-vs-time.dat 9 2 0 0.16 4 0.3 2.5 5 0.3 2.5 6 0.3 2.5 7 0 1
    [ "$(grep -c '^ITEM: TIMESTEP' anneal.lammpstrj)" = 9 ] || die "anneal.lammpstrj: not 9 frames"
    for t in 500 600; do
      check_dump "is-eb-${t}K.dump" 108
      check_dump "eb-avg-${t}K.dump" 108
      check_png "is-eb-${t}K-map.png"
    done
    check_png anneal-mean-eb.png
    ;;
  shear)
    run_copy shear 2
    # strain, stress (GPa), mean EB, fraction below 1 eV at 5 strains 0..0.08
    check_table shear.dat 5 1 0 0.081 2 -10 10 3 0.3 2.5 4 0 1
    for s in 0.000 0.040 0.080; do
      check_dump "shear-eb-$s.dump" 108
      check_png "shear-eb-$s-map.png"
    done
    check_png shear-curve.png
    # the sheared (triclinic) box through dump2extxyz.py: symgnn-predict on the converted file
    # gives the EB that LAMMPS wrote
    python3 "$REPO/examples/train-your-own/dump2extxyz.py" shear-eb-0.080.dump --elements Cu,Zr \
      --label c_eb -o sheared.extxyz >/dev/null
    check_roundtrip sheared.extxyz
    ;;
  *) die "unknown example $2" ;;
  esac
  ;;
fail-fast)
  for name in eb-map is-md anneal shear train-your-own; do
    input=in.$name
    [ "$name" = train-your-own ] && input=in.make-data
    dir=$(fresh_copy "$name" "fail-$2")
    cd "$dir"
    if [ "$2" = plugin ]; then
      env_args=(LAMMPS_PLUGIN_PATH= LAMMPS_POTENTIALS="$POTS")
      regex="^checking for compute symgnn/eb: if LAMMPS stops here, set LAMMPS_PLUGIN_PATH to the directory of symgnnplugin.so"
    else
      env_args=(LAMMPS_PLUGIN_PATH="$PLUGIN_DIR" LAMMPS_POTENTIALS="$LAMMPS_POTENTIALS")
      regex="cannot find model file CuZr-symgnn.model \(looked in the current directory and in LAMMPS_POTENTIALS\); give its path, or add the directory holding it"
    fi
    if env "${env_args[@]}" "$LMP" -in "$input" -var quick yes >screen.txt 2>&1; then
      die "$name ran although the $2 cannot be found"
    fi
    grep -E -q -- "$regex" screen.txt || { tail -n 5 screen.txt >&2; die "$name: message not found: $regex"; }
    ! grep -q "^Loop time" screen.txt || die "$name ran MD or a minimization before stopping"
    echo "$name stops at once without the $2: $(grep -E -m1 -o -- "$regex" screen.txt)"
  done
  ;;
runner)
  rm -rf "$WORK/runner"
  # the plugin named with -var plugin this time (the copies above use LAMMPS_PLUGIN_PATH)
  LMP=$LMP LAMMPS_PLUGIN_PATH=/nonexistent SYMGNN_NP=2 "$REPO/examples/run.sh" eb-map \
    "$WORK/runner" -var quick yes -var plugin "$PLUGIN_DIR/symgnnplugin.so"
  grep -q "^USER-SYMGNN .* plugin: compute symgnn/eb" "$WORK/runner/screen.txt" || die "runner: the plugin was not loaded by -var plugin"
  check_dump "$WORK/runner/eb-map.dump" 108
  check_png "$WORK/runner/eb-map-map.png"
  check_png "$WORK/runner/eb-map-hist.png"
  ;;
train-your-own)
  # the copied script, run with the documented variables only (and symgnn-train)
  copy=$(fresh_copy train-your-own run)
  dir=$WORK/train-your-own
  rm -rf "$dir"
  env -u SYMGNN_BUILD_DIR LMP=$LMP LAMMPS_PLUGIN_PATH=$PLUGIN_DIR LAMMPS_POTENTIALS="$POTS" \
    SYMGNN_TRAIN=$SYMGNN_TRAIN SYMGNN_NP=2 "$copy/train-your-own.sh" "$dir" quick
  (cd "$dir" && gnuplot -c "$REPO/examples/eb-plot.gp" glass-1.dump glass-1 "train-your-own") ||
    die "eb-plot.gp failed on glass-1.dump"
  for g in 1 2 3; do
    check_dump "$dir/glass-$g.dump" 108
    [ -s "$dir/glass-$g.extxyz" ] || die "glass-$g.extxyz missing"
  done
  check_roundtrip "$dir/glass-1.extxyz"
  check_png "$dir/glass-1-map.png"
  check_png "$dir/glass-1-hist.png"
  [ -s "$dir/symgnn-best.model" ] || die "no trained model"
  line=$(grep -E "^your model on glass-3.data \(108 atoms\): mean EB -?[0-9.]+ eV; reference [0-9.]+ eV; mean \|difference\| [0-9.]+ eV$" "$dir/use-model.screen") ||
    die "no result line of in.use-model"
  echo "$line"
  ;;
*) die "unknown command $1" ;;
esac
echo "PASS: $*"
