#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the C core, the tools,
# the trainer and the unit tests (no LAMMPS), with clang, into its own build
# directory; then its CTest suite, which includes the fuzz smoke tests
# (tools/fuzz) when clang has libFuzzer. Any sanitizer report fails the test
# that triggered it. scripts/run-tests.sh runs this after the main suite.
#   SYMGNN_SANITIZE_DIR  build directory (default: build-sanitize in the repo)
#   extra arguments      passed to ctest (e.g. -R Graph)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SYMGNN_SANITIZE_DIR:-$REPO/build-sanitize}
if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  echo "[sanitize] ERROR: clang not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
# -Wno-pass-failed: clang notes every "omp simd" loop it leaves scalar at -O1.
FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
FLAGS="$FLAGS -Wno-pass-failed"
# Coverage instrumentation for the fuzz harnesses, when clang has libFuzzer.
if echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
  clang -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  FLAGS="$FLAGS -fsanitize=fuzzer-no-link"
else
  echo "[sanitize] clang has no libFuzzer (libclang-rt-dev): no fuzz smoke tests" >&2
fi
echo "[sanitize] configuring $BUILD ($FLAGS)"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DSYMGNN_BUILD_BENCH=OFF -DLAMMPS_SOURCE_DIR= -DLAMMPS_BINARY= >/dev/null
echo "[sanitize] building (log: $BUILD/build.log)"
if ! cmake --build "$BUILD" -j"${SYMGNN_JOBS:-$(nproc)}" >"$BUILD/build.log" 2>&1; then
  tail -n 40 "$BUILD/build.log" >&2
  echo "[sanitize] ERROR: the build failed" >&2
  exit 1
fi
# Leaks of Open MPI's and hwloc's start-up are theirs, not ours (sanitize.supp);
# Open MPI keeps its plug-ins loaded, so that their leaks are named and matched.
export OMPI_MCA_mca_base_component_disable_dlclose=1
# fast_unwind_on_malloc=0: the MPI libraries have no frame pointers, so only
# the slow unwinder sees which library an allocation came from.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$REPO/scripts/sanitize.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
# Left to the main suite: the style gates, and the long numerical runs (learning
# to a target, quadrature orders, finite-difference gradients of the large
# kernels, the forward suite again per instruction set, an 8000-atom sample, the
# repeated kill test), which are about 10x slower under the sanitizers and run
# code that the shorter tests here run too.
LONG="^style_|^architecture_|symgnn_haarcheck_convergence"
LONG="$LONG|TrainerRun[.](LearnsTheSyntheticLabel|HaarModeLearnsTheSyntheticLabel)"
LONG="$LONG|TrainerRun[.]RestartContinuesExactlyWithHaar|PredictCli[.]TrainSampleHas8000Atoms"
LONG="$LONG|HaarForward[.](InvariantUnderRotationsReflectionsAndPermutations|DirectQuadrature)"
LONG="$LONG|HaarTable[.](MatchesDirectQuadratureOfHigherOrder|MatchesAnIndependentSphereAverage)"
LONG="$LONG|HaarTable[.]BuildReportsItsMeasuredErrors|ForwardVsNaive[.].*/[1-9]"
LONG="$LONG|TrainGradCheck[.](EdgeEncoderAndTransforms|AttentionAndSoftmax|EgatLayers|NodeEncoder)"
LONG="$LONG|TrainGradCheck[.](BatchNorms|EveryTensorHaar|Decoder)|^forward_isa_"
LONG="$LONG|TrainerRun[.](ToHaarStatisticsAreTheLimitOfManyTransforms|RecalibratedValidationStatistics)"
LONG="$LONG|TrainerRun[.](RecalibrationLowersTheEvalErrorOfADropoutModel|LearnedSymmetrizationTrains)"
LONG="$LONG|TrainerSpatialOrder[.]IsAPermutationThatBringsNeighboursTogether"
LONG="$LONG|TrainerFaults[.]KilledAtRandomMoments"
LONG="$LONG|^doc_symgnn_(rotcheck|haarcheck)_example|^training_configs_dry_run"
echo "[sanitize] running the unit tests"
# A failed test runs once more: LeakSanitizer's stop-the-world tracer sometimes crashes
# ("Tracer caught signal 11") at the exit of a trainer run with OpenMP threads on a loaded
# machine (seen 2026-12-02 in 2 of 244 tests, then passing on rerun). A sanitizer report in our
# code is deterministic and fails both runs.
ctest --test-dir "$BUILD" --output-on-failure -j"${SYMGNN_JOBS:-$(nproc)}" --repeat until-pass:2 \
  -E "$LONG" "$@"
