#!/usr/bin/env bash
# One prepared command for a machine with an NVIDIA GPU: builds the addon with CUDA into
# build-gpu/, checks the binding surface, runs the conformance suite on the cuda backend
# (and cpu, as the baseline), then the dp-sgd benchmark with its GPU trials.
#   bash scripts/gpu-check.sh            # everything
#   SKIP_BENCH=1 bash scripts/gpu-check.sh
# Exit status: 0 when the build, the binding check and the conformance suite pass.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export HEMASYNTH_BUILD_DIR=build-gpu
export HEMASYNTH_CUDA=on
export HEMASYNTH_ADDON="$root/build-gpu/Release/hemasynth.node"

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi unavailable"

echo "== build (CUDA on)"
[ -d node_modules ] || npm ci --ignore-scripts
node scripts/build-native.js
node -e "const a=require(process.env.HEMASYNTH_ADDON); const s=a.cudaStatus(); console.log(JSON.stringify({build: a.buildInfo(), cuda: s})); if (!s.deviceCount) { console.error('cuda unusable: ' + s.reason); process.exit(1); }"
node scripts/check-bindings.js

echo "== conformance (cuda and cpu against js)"
HEMASYNTH_CONFORMANCE_BACKENDS=cuda,cpu npx jest test/conformance/ops.test.ts --verbose

if [ "${SKIP_BENCH:-0}" != "1" ]; then
  echo "== bench dp-sgd"
  npx tsc -p tsconfig.json
  node bench/run.js dp-sgd
  cat bench/results/dp-sgd.json
fi
