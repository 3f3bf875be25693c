/**
 * The sampling network of a neural generator (TVAE's decoder, CTGAN's generator) as plain data
 * stored in the model manifest, and its native runner (a trainer of the native core used for
 * inference only). The ONNX runner (src/models/onnx) runs the same network from generator.onnx;
 * both take the same inputs and return the same raw output.
 */
import { resolveBackend } from '../../backend/resolve';
import type { BackendName } from '../../backend/availability';
import { UsageError } from '../../errors';
import { createTrainer } from '../../nn/create';
import { encodeModel, type LayerSpec, type ModelSpec } from '../../nn/spec';

/** A sampling network: named inputs concatenated in order, a layer list, a raw output width. */
export interface GeneratorNetworkSpec {
  inputs: Array<{ name: string; width: number }>;
  layers: LayerSpec[];
  outputWidth: number;
}

/**
 * Runs a sampling network on row-major inputs (one array per input, `rows` rows each). A runner
 * may write the output into `out` (rows × outputWidth values) and return it, so the caller must
 * be done with the previous chunk's output before it passes the same array again.
 */
export interface NetworkRunner {
  run(inputs: readonly Float32Array[], rows: number, out?: Float32Array): Float32Array;
  close(): void;
}

/** Total input width of a network. */
export function networkInputWidth(net: GeneratorNetworkSpec): number {
  return net.inputs.reduce((s, i) => s + i.width, 0);
}

/**
 * The network as a ModelSpec (the loss is a placeholder required by the description; sampling never trains).
 * @example createTrainer(networkModelSpec(net))
 */
export function networkModelSpec(net: GeneratorNetworkSpec): ModelSpec {
  return { inputSize: networkInputWidth(net), layers: net.layers, loss: { targetSize: net.outputWidth, terms: [{ kind: 'mse', outputOffset: 0, width: net.outputWidth }] } };
}

/** Parameter count of a network (validates it). */
export function networkParameterCount(net: GeneratorNetworkSpec): number {
  const enc = encodeModel(networkModelSpec(net));
  if (enc.widths[enc.widths.length - 1] !== net.outputWidth) throw new UsageError(`Expected a network with output width ${net.outputWidth} but received ${enc.widths[enc.widths.length - 1]}`);
  return enc.parameterCount;
}

/** Interleaves per-input row-major arrays into one row-major matrix. */
export function concatenateInputs(net: GeneratorNetworkSpec, inputs: readonly Float32Array[], rows: number): Float32Array {
  if (inputs.length !== net.inputs.length) throw new UsageError(`Expected ${net.inputs.length} network inputs (${net.inputs.map((i) => i.name).join(', ')}) but received ${inputs.length}`);
  inputs.forEach((a, k) => {
    if (a.length !== rows * net.inputs[k].width) throw new UsageError(`Expected ${rows * net.inputs[k].width} values for input ${net.inputs[k].name} but received ${a.length}`);
  });
  if (inputs.length === 1) return inputs[0];
  const W = networkInputWidth(net);
  const x = new Float32Array(rows * W);
  let off = 0;
  inputs.forEach((a, k) => {
    const w = net.inputs[k].width;
    for (let i = 0; i < rows; i++) x.set(a.subarray(i * w, (i + 1) * w), i * W + off);
    off += w;
  });
  return x;
}

/**
 * A native runner: the best usable trainer backend (or the named one) in inference mode.
 * @example nativeRunner(net, weights, { threads: 2 }).run([noise], rows)
 */
export function nativeRunner(net: GeneratorNetworkSpec, parameters: Float32Array, opts: { backend?: BackendName | 'auto'; threads?: number } = {}): NetworkRunner {
  const threads = opts.threads && opts.threads > 0 ? opts.threads : undefined;
  const { backend } = resolveBackend(opts.backend ?? 'auto', { threads, purpose: 'training' });
  const trainer = createTrainer(networkModelSpec(net), { backend, seed: 0, threads });
  if (parameters.length !== trainer.parameterCount) throw new UsageError(`Expected ${trainer.parameterCount} network parameters but received ${parameters.length}`);
  trainer.setParameters(parameters);
  return {
    run(inputs, rows, out) {
      return trainer.forward(concatenateInputs(net, inputs, rows), { training: false, ...(out ? { out } : {}) });
    },
    close() { /* the trainer is garbage-collected with its native state */ },
  };
}
