/**
 * Sampling from a neural generator, shared by TVAE and CTGAN and by both engines: rows are
 * produced in chunks; each chunk's network inputs (noise, and CTGAN's condition vectors) are
 * drawn from the sampling PRNG per block of rows, run through the network (native core or
 * onnxruntime-node: the same inputs give the same raw output within float32 round-off), and the
 * raw output is read into codes and positions and decoded: natively (native-readout.ts) when the
 * addon is loaded and the model's sampling backend is not `js`, else by the TypeScript reference
 * (row-layout.ts), with the same codes either way.
 */
import type { DecodedColumn } from '../../transform/decode';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import type { GeneratorSampleRequest, HemasynthModel } from '../generator';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import { nativeRunner, type GeneratorNetworkSpec, type NetworkRunner } from './generator-network';
import { decodeWithPositions, readRawOutput, type RawOutputLayout } from './row-layout';
import { neuralDecodePlan, positionDraws, readRawOutputNative } from './native-readout';
import { allocateDecoded, decodeInto } from '../../transform/native-decode';
import { marginalNative } from '../../native/marginal';
import { neuralNative } from '../../native/neural';
import { onnxRunner } from '../onnx/onnx-runner';
import { tieMissingCodes } from './tied-missingness';
import { ONNX_FILE_NAME } from '../onnx/onnx-export';

/** Rows per network call (a multiple of the sampling block). */
export const SAMPLING_CHUNK_ROWS = 4 * SAMPLING_BLOCK_ROWS;

/** Stream numbers of the noise PRNG: far from the per-column streams of readRawOutput. */
export const NOISE_STREAM_BASE = 0x40000000;

/**
 * Standard-normal noise for rows [firstRow, firstRow + rows), `width` per row, independent of chunking.
 * @example noiseRows(seed, 0, 100, 128)
 */
export function noiseRows(seed: number, firstRow: number, rows: number, width: number): Float32Array {
  const z = new Float32Array(rows * width);
  let rng: SamplingRandom | null = null;
  for (let i = 0; i < rows; i++) {
    const g = firstRow + i;
    if (rng === null || g % SAMPLING_BLOCK_ROWS === 0) rng = new SamplingRandom(seed, NOISE_STREAM_BASE + Math.floor(g / SAMPLING_BLOCK_ROWS));
    for (let k = 0; k < width; k++) z[i * width + k] = rng.normal();
  }
  return z;
}

/** What a neural generator supplies to the shared sampler. */
export interface NeuralSamplingPlan {
  net: GeneratorNetworkSpec;
  parameters: Float32Array;
  raw: RawOutputLayout;
  /** The network inputs of rows [firstRow, firstRow + rows). */
  inputs(firstRow: number, rows: number): Float32Array[];
}

/**
 * The runner of the requested engine.
 * @example runnerFor(model, plan, 'onnx', 2)
 */
export function runnerFor(model: HemasynthModel, plan: NeuralSamplingPlan, engine: 'native' | 'onnx', threads: number): NetworkRunner {
  if (engine === 'onnx') return onnxRunner(model.files?.[ONNX_FILE_NAME], plan.net, threads);
  return nativeRunner(plan.net, plan.parameters, { backend: samplingBackendOf(model), threads });
}

/** The model's sampling backend (the training option `backend`; older models: auto). */
function samplingBackendOf(model: HemasynthModel): 'js' | 'cpu' | 'auto' {
  return (model.manifest.generator as { samplingBackend?: 'js' | 'cpu' | 'auto' }).samplingBackend ?? 'auto';
}

/**
 * Samples decoded columns (the generator's sampleColumns).
 * @example sampleNeuralColumns(model, request, plan)
 */
export function sampleNeuralColumns(model: HemasynthModel, req: GeneratorSampleRequest, plan: NeuralSamplingPlan): { columns: DecodedColumn[]; codes: Int32Array[] } {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const codes = encoders.map(() => new Int32Array(req.rows));
  const restrictions = req.condition?.restrictions ?? new Map();
  // Assay panels sampled missing together (tied-missingness.ts; models without groups: untied).
  const tied = (model.manifest.generator as { tiedMissing?: number[][] }).tiedMissing ?? null;
  const readOpts = (first: number) => ({ seed: req.seed, firstRow: first, evidence: req.condition?.evidence, conditionText: req.condition?.text });
  // The read-out and decode: native unless the model asks for the TypeScript reference (backend
  // js) or the addon is not loaded. Both engines share them: they read the raw output only.
  const readout = samplingBackendOf(model) === 'js' ? null : neuralNative();
  const decoder = readout ? marginalNative() : null;
  if (readout && decoder) {
    // Chunk by chunk: read out into the chunk's positions, then decode the chunk into the
    // columns, so positions take one chunk's memory (16,384 rows x 280 columns: 37 MB, instead
    // of 290 MB for a batch of 131,072 rows, each page of it a fault on first touch).
    const decodePlan = neuralDecodePlan(encoders, restrictions);
    const columns = allocateDecoded(decodePlan, req.rows);
    const chunkPositions = encoders.map(() => new Float64Array(Math.min(SAMPLING_CHUNK_ROWS, req.rows)));
    eachChunk(model, req, plan, (raw, first, rows) => {
      const range = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => a.subarray(first, first + rows) as T;
      const chunkCodes = codes.map(range);
      const positions = chunkPositions.map((p) => (rows === p.length ? p : p.subarray(0, rows)));
      readRawOutputNative(readout, raw, rows, encoders, plan.raw, readOpts(first), { codes: chunkCodes, positions, offset: 0 }, req.threads);
      if (tied) tieMissingCodes(chunkCodes, raw, rows, encoders, plan.raw, tied, readOpts(first));
      decodeInto(decoder, decodePlan, chunkCodes, columns.map((d) => ({ ...d, values: range(d.values), valid: range(d.valid) })), positionDraws(encoders.length, positions, req.threads));
    });
    return { columns, codes };
  }
  const positions = encoders.map(() => new Float64Array(req.rows));
  eachChunk(model, req, plan, (raw, first, rows) => {
    const part = readRawOutput(raw, rows, encoders, plan.raw, readOpts(first));
    if (tied) tieMissingCodes(part.codes, raw, rows, encoders, plan.raw, tied, readOpts(first));
    part.codes.forEach((c, j) => codes[j].set(c, first));
    part.positions.forEach((p, j) => positions[j].set(p, first));
  });
  return { columns: decodeWithPositions(encoders, codes, positions, restrictions), codes };
}

/** Runs the network on each chunk of the request's rows and hands its raw output to `read` (valid until `read` returns). */
function eachChunk(model: HemasynthModel, req: GeneratorSampleRequest, plan: NeuralSamplingPlan, read: (raw: Float32Array, first: number, rows: number) => void): void {
  const runner = runnerFor(model, plan, req.engine, req.threads);
  // One output array for all full chunks (read out before the next chunk overwrites it): a fresh
  // 16,384 × 1,762 array per chunk cost more in page faults than the network itself.
  let reused: Float32Array | null = null;
  try {
    for (let first = 0; first < req.rows; first += SAMPLING_CHUNK_ROWS) {
      const rows = Math.min(SAMPLING_CHUNK_ROWS, req.rows - first);
      if (rows === SAMPLING_CHUNK_ROWS && reused === null) reused = new Float32Array(rows * plan.net.outputWidth);
      read(runner.run(plan.inputs(first, rows), rows, rows === SAMPLING_CHUNK_ROWS ? (reused as Float32Array) : undefined), first, rows);
    }
  } finally {
    runner.close();
  }
}
