/**
 * Sampling from a neural generator, shared by TVAE and CTGAN and by both engines: rows are
 * produced in chunks; each chunk's network inputs (noise, and CTGAN's condition vectors) are
 * drawn from the sampling PRNG per block of rows, run through the network (native core or
 * onnxruntime-node: the same inputs give the same raw output within float32 round-off), and the
 * raw output is read into codes and positions and decoded.
 */
import type { DecodedColumn } from '../../transform/decode';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import type { GeneratorSampleRequest, HemasynthModel } from '../generator';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import { nativeRunner, type GeneratorNetworkSpec, type NetworkRunner } from './generator-network';
import { decodeWithPositions, readRawOutput, type RawOutputLayout } from './row-layout';
import { onnxRunner } from '../onnx/onnx-runner';
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
  const backend = (model.manifest.generator as { samplingBackend?: 'js' | 'cpu' | 'auto' }).samplingBackend ?? 'auto';
  return nativeRunner(plan.net, plan.parameters, { backend, threads });
}

/**
 * Samples decoded columns (the generator's sampleColumns).
 * @example sampleNeuralColumns(model, request, plan)
 */
export function sampleNeuralColumns(model: HemasynthModel, req: GeneratorSampleRequest, plan: NeuralSamplingPlan): { columns: DecodedColumn[]; codes: Int32Array[] } {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const codes = encoders.map(() => new Int32Array(req.rows));
  const positions = encoders.map(() => new Float64Array(req.rows));
  const runner = runnerFor(model, plan, req.engine, req.threads);
  try {
    for (let first = 0; first < req.rows; first += SAMPLING_CHUNK_ROWS) {
      const rows = Math.min(SAMPLING_CHUNK_ROWS, req.rows - first);
      const raw = runner.run(plan.inputs(first, rows), rows);
      const part = readRawOutput(raw, rows, encoders, plan.raw, { seed: req.seed, firstRow: first, evidence: req.condition?.evidence, conditionText: req.condition?.text });
      part.codes.forEach((c, j) => codes[j].set(c, first));
      part.positions.forEach((p, j) => positions[j].set(p, first));
    }
  } finally {
    runner.close();
  }
  return { columns: decodeWithPositions(encoders, codes, positions, req.condition?.restrictions ?? new Map()), codes };
}
