#!/usr/bin/env node
// Builds the native addon with cmake-js on this machine's compiler.
// Environment:
//   HEMASYNTH_CUDA=auto|on|off   CUDA kernels (default auto: built when nvcc is found)
//   HEMASYNTH_BUILD_DIR=DIR      build folder (default build); the loader honours HEMASYNTH_ADDON
//   HEMASYNTH_NATIVE_ARCH=0      portable build without -march=native
//   HEMASYNTH_MARCH=NAME         -march value instead of native (x86-64-v4: AVX-512 compute nodes
//                                built from another machine)
// No download happens: package.json declares binary.napi_versions, so cmake-js takes the
// Node-API headers from the node-api-headers package instead of fetching Node's sources.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');
const cuda = (process.env.HEMASYNTH_CUDA || 'auto').toLowerCase();
if (!['auto', 'on', 'off'].includes(cuda)) {
  console.error(`hemasynth: expected HEMASYNTH_CUDA to be auto, on or off but received ${JSON.stringify(cuda)}`);
  process.exit(2);
}
const out = path.resolve(root, process.env.HEMASYNTH_BUILD_DIR || 'build');
const nativeArch = process.env.HEMASYNTH_NATIVE_ARCH === '0' ? 'OFF' : 'ON';
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--out', out, '--parallel', String(Math.max(1, os.cpus().length)),
  `--CDHEMASYNTH_CUDA=${cuda}`, `--CDHEMASYNTH_NATIVE_ARCH=${nativeArch}`,
  `--CDHEMASYNTH_MARCH=${process.env.HEMASYNTH_MARCH || 'native'}`];
if (process.env.CUDACXX === undefined && fs.existsSync('/usr/local/cuda/bin/nvcc')) {
  process.env.CUDACXX = '/usr/local/cuda/bin/nvcc';
}
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
if (r.status !== 0) {
  console.error('\nhemasynth: the native addon failed to build. Possible solutions:\n' +
    '  - install a C++17 compiler and CMake >= 3.18 (Debian: apt-get install g++ cmake)\n' +
    '  - build without CUDA: HEMASYNTH_CUDA=off npm run build:native\n' +
    '  - build portably: HEMASYNTH_NATIVE_ARCH=0 npm run build:native');
  process.exit(r.status || 1);
}
