/**
 * Export of a generator's sampling network (TVAE decoder, CTGAN generator) as an ONNX model,
 * `generator.onnx` in the .hsm bundle, so the generator runs in any ONNX runtime without
 * hemasynth. The ModelProto is written with protobufjs from `proto/onnx-subset.proto` (the
 * fields of onnx.proto we use, same field numbers). Opset 17 (ONNX 1.12, IR version 8): the
 * first opset with LayerNormalization.
 *
 * Graph: inputs (e.g. `noise` [rows, 128], CTGAN's `condition` [rows, C]) → Concat (axis 1) →
 * per layer Gemm (W in×out, row-major like the native core, transB = 0), Relu, LeakyRelu(α),
 * Tanh, Sigmoid, LayerNormalization(axis −1, ε), Identity for dropout (inference), Add for a
 * residual block → output `raw` [rows, W]: the raw network output before the (TypeScript)
 * sampling and inverse transform, exactly what the native engine's forward pass returns.
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { UsageError } from '../../errors';
import { packageRoot } from '../../native/addon';
import type { LayerSpec } from '../../nn/spec';
import { VERSION } from '../../version';
import type { TrainedParts } from '../generator';
import { networkInputWidth, networkParameterCount, type GeneratorNetworkSpec } from '../neural/generator-network';

/** Name of the ONNX graph inside the model bundle. */
export const ONNX_FILE_NAME = 'generator.onnx';
/** ONNX opset and IR version written. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** Path of the shipped proto subset. */
export const ONNX_PROTO_FILE = path.join(packageRoot, 'proto', 'onnx-subset.proto');

const FLOAT = 1;
const ATTR = { FLOAT: 1, INT: 2 } as const;

let modelType: protobuf.Type | null = null;
/** The onnx.ModelProto message type (loaded once from the shipped proto). */
export function onnxModelType(): protobuf.Type {
  if (!modelType) modelType = protobuf.loadSync(ONNX_PROTO_FILE).lookupType('onnx.ModelProto');
  return modelType;
}

interface NodeSpec { input: string[]; output: string[]; name: string; opType: string; attribute?: Array<Record<string, unknown>> }
interface TensorSpec { name: string; dims: number[]; dataType: number; rawData: Uint8Array }

function floatTensor(name: string, dims: number[], values: Float32Array): TensorSpec {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: FLOAT, rawData: bytes };
}

function valueInfo(name: string, width: number) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'rows' }, { dimValue: width }] } } } };
}

/**
 * The ONNX ModelProto bytes of a sampling network with its parameters.
 * @example fs.writeFileSync('generator.onnx', exportOnnx(network, parameters))
 */
export function exportOnnx(net: GeneratorNetworkSpec, parameters: Float32Array): Uint8Array {
  const count = networkParameterCount(net);
  if (parameters.length !== count) throw new UsageError(`Expected ${count} parameters for the ONNX export but received ${parameters.length}`);
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let k = 0;
  const fresh = (op: string) => `${op.toLowerCase()}_${k++}`;
  let width = networkInputWidth(net);
  let at = 0; // parameter cursor
  let cur: string;
  if (net.inputs.length === 1) cur = net.inputs[0].name;
  else {
    cur = fresh('Concat');
    nodes.push({ input: net.inputs.map((i) => i.name), output: [cur], name: cur, opType: 'Concat', attribute: [{ name: 'axis', type: ATTR.INT, i: 1 }] });
  }
  const unary = (op: string, attribute?: Array<Record<string, unknown>>) => {
    const out = fresh(op);
    nodes.push({ input: [cur], output: [out], name: out, opType: op, ...(attribute ? { attribute } : {}) });
    cur = out;
  };
  const walk = (layers: readonly LayerSpec[]) => {
    for (const layer of layers) {
      switch (layer.type) {
        case 'linear': {
          const out = fresh('Gemm');
          const W = parameters.subarray(at, at + width * layer.outputs);
          at += width * layer.outputs;
          const b = parameters.subarray(at, at + layer.outputs);
          at += layer.outputs;
          inits.push(floatTensor(`${out}_W`, [width, layer.outputs], W), floatTensor(`${out}_b`, [layer.outputs], b));
          nodes.push({ input: [cur, `${out}_W`, `${out}_b`], output: [out], name: out, opType: 'Gemm' });
          cur = out;
          width = layer.outputs;
          break;
        }
        case 'relu': unary('Relu'); break;
        case 'leakyRelu': unary('LeakyRelu', [{ name: 'alpha', type: ATTR.FLOAT, f: layer.slope ?? 0.2 }]); break;
        case 'tanh': unary('Tanh'); break;
        case 'sigmoid': unary('Sigmoid'); break;
        case 'dropout': unary('Identity'); break;
        case 'layerNorm': {
          const out = fresh('LayerNormalization');
          inits.push(floatTensor(`${out}_gain`, [width], parameters.subarray(at, at + width)));
          at += width;
          inits.push(floatTensor(`${out}_bias`, [width], parameters.subarray(at, at + width)));
          at += width;
          nodes.push({ input: [cur, `${out}_gain`, `${out}_bias`], output: [out], name: out, opType: 'LayerNormalization', attribute: [{ name: 'axis', type: ATTR.INT, i: -1 }, { name: 'epsilon', type: ATTR.FLOAT, f: layer.eps ?? 1e-5 }] });
          cur = out;
          break;
        }
        case 'residual': {
          const input = cur;
          walk(layer.layers);
          const out = fresh('Add');
          nodes.push({ input: [input, cur], output: [out], name: out, opType: 'Add' });
          cur = out;
          break;
        }
        case 'gaussianSample':
          throw new UsageError('Expected a sampling network without a gaussianSample layer for the ONNX export but received one (export the decoder only)');
      }
    }
  };
  walk(net.layers);
  // Name the output `raw` with a final Identity (the graph output must be a named value).
  nodes.push({ input: [cur], output: ['raw'], name: 'output', opType: 'Identity' });
  const T = onnxModelType();
  const message = T.fromObject({
    irVersion: ONNX_IR_VERSION,
    producerName: 'hemasynth',
    producerVersion: VERSION,
    domain: 'org.hemasynth',
    modelVersion: 1,
    docString: 'hemasynth generator network: inputs -> raw output (before sampling and inverse transform)',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: 'hemasynth_generator',
      node: nodes,
      initializer: inits,
      input: net.inputs.map((i) => valueInfo(i.name, i.width)),
      output: [valueInfo('raw', net.outputWidth)],
    },
  });
  return T.encode(message).finish();
}

/**
 * Adds generator.onnx to a generator's trained parts.
 * @example attachOnnxGraph(parts, network, parameters)
 */
export function attachOnnxGraph(parts: TrainedParts, net: GeneratorNetworkSpec, parameters: Float32Array): void {
  parts.files = { ...(parts.files ?? {}), [ONNX_FILE_NAME]: exportOnnx(net, parameters) };
}
