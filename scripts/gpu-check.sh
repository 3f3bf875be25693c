#!/usr/bin/env bash
# One prepared command for a machine with an NVIDIA GPU: builds the addon with CUDA into
# build-gpu/ (or takes a prebuilt one), checks the binding surface and the host instantiation of
# the device keystream, runs the conformance suites on the cuda backend (ops and the GPU-resident
# trainer, against js and the cpu trainer), the dp-sgd benchmark with its GPU trials and targets,
# the neural generators trained and sampled through the command line with --backend cuda,
# and, where compute-sanitizer is installed, the trainer suite again under its memory checker.
#   bash scripts/gpu-check.sh                 # everything
#   SKIP_BENCH=1 bash scripts/gpu-check.sh    # build and correctness only
#   HEMASYNTH_PREBUILT=DIR                    # DIR/hemasynth.node and DIR/hemasynth_native_tests
#                                             # built elsewhere (the GPU machine lacks Node's
#                                             # toolchain, or its time is short): no build here
#   SKIP_E2E=1                                # without the command-line generator runs
#   GPU_CHECK_OUT=DIR                         # also write each stage's log and the bench JSON there
# Every stage runs even when an earlier one failed (a GPU's time is scarce: one run should say
# everything); the failed stages are named at the end. Exit status: 0 when every stage passes;
# 1 a build, binding, correctness or memory-check failure; 3 correctness passed but the GPU speed
# target (cuda DP step >= 10x cpu at batch 4096) was not met. A machine without a usable GPU fails
# (exit 1): here a skip would hide that nothing was checked.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="${GPU_CHECK_OUT:-}"
[ -n "$out" ] && mkdir -p "$out"
export HEMASYNTH_CUDA=on
export HEMASYNTH_REQUIRE_GPU=1
if [ -n "${HEMASYNTH_PREBUILT:-}" ]; then
  bin="$(cd "$HEMASYNTH_PREBUILT" && pwd)"
else
  export HEMASYNTH_BUILD_DIR=build-gpu
  bin="$root/build-gpu"
fi
addon_file="$bin/hemasynth.node"
[ -z "${HEMASYNTH_PREBUILT:-}" ] && addon_file="$bin/Release/hemasynth.node"
export HEMASYNTH_ADDON="$addon_file"
jest="node $root/node_modules/jest/bin/jest.js"

failed=()
# stage NAME COMMAND...: runs the command, its output also in $out/NAME.log; a failure is recorded.
stage() {
  local name=$1; shift
  echo "== $name"
  local log=/dev/null
  [ -n "$out" ] && log="$out/$name.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then echo "-- stage $name failed (exit $rc)"; failed+=("$name"); fi
  return "$rc"
}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || echo "nvidia-smi unavailable"
grep -m1 'model name' /proc/cpuinfo; nproc
node --version

if [ -z "${HEMASYNTH_PREBUILT:-}" ]; then
  [ -d node_modules ] || npm ci --ignore-scripts || { echo "GPU CHECK FAILED at: npm ci"; exit 1; }
  stage build node scripts/build-native.js || { echo "GPU CHECK FAILED at: native build with CUDA"; exit 1; }
fi
stage cuda-status node -e "const a=require(process.env.HEMASYNTH_ADDON); const s=a.cudaStatus(); console.log(JSON.stringify({build: a.buildInfo(), cuda: s})); if (!s.deviceCount) { console.error('cuda unusable: ' + s.reason); process.exit(1); }" \
  || { echo "GPU CHECK FAILED at: CUDA device visible to the addon"; exit 1; }
stage bindings node scripts/check-bindings.js
# Device keystream, host instantiation (RFC 8439 vector, equality with native/dp).
stage native-tests "$bin/hemasynth_native_tests"
# cuda ops and the cuda trainer against js and the cpu trainer; device keystream against cpu's;
# backend resolution where 'auto' picks cuda.
HEMASYNTH_CONFORMANCE_BACKENDS=cuda,cpu stage conformance $jest test/conformance/ops.test.ts test/conformance/cuda-trainer.test.ts test/unit/backend/resolve.test.ts --verbose

# The library (dist/) for the benchmark and the command line.
[ -f dist/cli/main.js ] || stage tsc node node_modules/typescript/bin/tsc -p tsconfig.json

bench_status=0
if [ "${SKIP_BENCH:-0}" != "1" ]; then
  results="${out:-bench/results}/dp-sgd-gpu.json"
  HEMASYNTH_BENCH_OUT="$results" stage bench node bench/run.js dp-sgd
  node -e "
const r = require(process.argv[1]);
for (const t of r.targets) console.log((t.met ? 'MET     ' : 'NOT MET ') + t.name + ': ' + t.value + ' (target ' + t.target + ')');
const gpu = r.targets.find((t) => t.name === 'cuda DP step vs cpu at batch 4096');
if (!gpu || gpu.value === null) { console.error('the cuda b4096 trial did not run'); process.exit(1); }
process.exit(gpu.met ? 0 : 3);
" "$(cd "$(dirname "$results")" && pwd)/$(basename "$results")"
  bench_status=$?
  [ "$bench_status" -eq 1 ] && failed+=("bench-targets")
fi

# End to end through the command line: the generators' --backend cuda on the simulated cohort
# (TVAE on cuda, and on cpu for the time beside it; CTGAN with auto or cuda puts its generator
# on cuda and its gradient-penalty critic on cpu), each DP model sampled. Each training gets its own
# copy of the data, so each has a ledger of its own.
e2e() {
  local dir; dir=$(mktemp -d)
  local cli="node $root/dist/cli/main.js"
  $cli simulate --out "$dir/cohort" --seed 7 >/dev/null || return 1
  # CTGAN at 30 epochs: at its published 300 its cpu critic alone takes minutes.
  for run in "tvae cuda 300" "tvae cpu 300" "ctgan auto 30" "ctgan cuda 30"; do
    set -- $run
    cp "$dir/cohort/patients.arrow" "$dir/$1-$2.arrow"
    $cli train --data "$dir/$1-$2.arrow" --schema "$dir/cohort/schema.json" --model "$1" --epsilon 3 --delta 1e-6 \
      --seed 1 --backend "$2" --epochs "$3" --out "$dir/$1-$2.hsm" || return 1
    $cli sample --model "$dir/$1-$2.hsm" --rows 1000 --seed 2 --out "$dir/$1-$2.csv" || return 1
    [ "$(wc -l < "$dir/$1-$2.csv")" -eq 1001 ] || { echo "expected 1000 sampled rows from $1 on $2"; return 1; }
  done
  # The README's main job (simulate, anonymise, DP training, sampling, report) on this machine.
  $cli demo --out "$dir/demo" || return 1
  rm -rf "$dir"
}
if [ "${SKIP_E2E:-0}" != "1" ]; then stage e2e e2e; fi

# Out-of-bounds accesses and uninitialised reads inside kernels do not always change a result:
# the memory checker finds them (the trainer suite in one process, under memcheck).
if command -v compute-sanitizer >/dev/null 2>&1 && [ "${SKIP_SANITIZER:-0}" != "1" ]; then
  stage memcheck timeout "${SANITIZER_TIMEOUT:-300}" compute-sanitizer --tool memcheck --error-exitcode 9 \
    $jest -i test/conformance/cuda-trainer.test.ts
else
  echo "== memcheck skipped (compute-sanitizer not installed or SKIP_SANITIZER=1)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "GPU CHECK FAILED at: ${failed[*]}"
  exit 1
fi
case $bench_status in
  0) echo "GPU CHECK PASSED (correctness, memory check where available and the GPU speed target)"; exit 0 ;;
  3) echo "GPU CHECK: correctness passed, GPU speed target NOT met"; exit 3 ;;
esac
