#!/usr/bin/env bash
# The committed training configs (potentials/training/**/*.yaml) run from a fresh clone: copied
# with their directory layout to a new place, each passes `symgnn-train --dry-run` once the data
# is put where potentials/training/data/README.md says (a link to SYMGNN_DATA_DIR), and without
# the data each fails with a message naming the missing file relative to its config.
#   training_configs_test.sh SYMGNN_TRAIN REPO WORK DATA_DIR   (SYMGNN_DATA_DIR overrides DATA_DIR)
set -euo pipefail
train=$1 repo=$2 work=$3 data=${SYMGNN_DATA_DIR:-$4}
die() {
  echo "FAIL: $*" >&2
  exit 1
}
rm -rf "$work"
mkdir -p "$work"
(cd "$repo/potentials/training" && find . -name '*.yaml' -exec cp --parents {} "$work" \;)
mkdir -p "$work/data"
configs=$(cd "$work" && find . -name '*.yaml' | sort)
[ -n "$configs" ] || die "no config in potentials/training"

# without the data: a clear error naming the file, relative to the config
for c in $configs; do
  if (cd / && "$train" "$work/$c" --dry-run >"$work/nodata.out" 2>&1); then
    die "$c: dry run passed without the data"
  fi
  grep -E -q "data/cuzr-eb/train0\.extxyz" "$work/nodata.out" ||
    { cat "$work/nodata.out" >&2; die "$c: the error does not name data/cuzr-eb/train0.extxyz"; }
  echo "$c without data: $(grep -E -m1 'data/cuzr-eb/train0' "$work/nodata.out")"
done

if [ ! -f "$data/train6.extxyz" ]; then
  echo "no samples in '$data' (set SYMGNN_DATA_DIR): the dry runs with data are not done"
  exit 0
fi
ln -s "$data" "$work/data/cuzr-eb"
for c in $configs; do
  (cd / && "$train" "$work/$c" --dry-run >"$work/dry.out" 2>&1) ||
    { tail -n 5 "$work/dry.out" >&2; die "$c: dry run failed with the data in place"; }
  grep -q "dry run: no training done" "$work/dry.out" || die "$c: no dry-run line"
  echo "$c: dry run passed from $work (run in /)"
done
