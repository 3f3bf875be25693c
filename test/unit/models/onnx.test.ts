/**
 * generator.onnx: the ModelProto written with protobufjs is a valid ONNX model that
 * onnxruntime-node runs, and its raw output equals the native engine's for the same noise
 * (and condition) input within 1e-5; `--engine onnx` sampling gives the same rows.
 */
import { sampleModel, trainModel } from '../../../src/models/model-api';
import type { HemasynthModel } from '../../../src/models/generator';
import { modelFromBytes, modelToBytes } from '../../../src/models/model-file';
import { nativeRunner, type GeneratorNetworkSpec } from '../../../src/models/neural/generator-network';
import { noiseRows } from '../../../src/models/neural/neural-sampling';
import { exportOnnx, onnxModelType, ONNX_FILE_NAME, ONNX_OPSET } from '../../../src/models/onnx/onnx-export';
import { onnxRunner } from '../../../src/models/onnx/onnx-runner';
import { readLabels } from '../../../src/transform/column-values';
import { neuralCohort } from './neural-fixture';

const small = neuralCohort(300, 7, ['genotype', 'hb_g_dl', 'sex', 'hbf_pct', 'hydroxyurea', 'rs11886868', 'ldh_u_l', 'died']);
const models: Record<string, HemasynthModel> = {};

beforeAll(() => {
  for (const name of ['tvae', 'ctgan']) {
    const m = trainModel({ table: small.table, schema: small.schema, model: name, epsilon: Infinity, seed: 2, options: { epochs: 2, batchSize: 100, backend: 'cpu' } });
    models[name] = modelFromBytes(modelToBytes(m), `${name}.hsm`);
  }
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ONNX export', () => {
  test('writes an opset-17 ModelProto with the network as Gemm / activations / LayerNormalization / Add', () => {
    const g = models.ctgan.manifest.generator as unknown as { network: GeneratorNetworkSpec };
    const decoded = onnxModelType().toObject(onnxModelType().decode(models.ctgan.files![ONNX_FILE_NAME]), { longs: Number }) as {
      irVersion: number; opsetImport: Array<{ version: number }>; graph: { node: Array<{ opType: string }>; input: Array<{ name: string }>; output: Array<{ name: string }>; initializer: Array<{ dims: number[] }> };
    };
    expect(decoded.irVersion).toBe(8);
    expect(decoded.opsetImport[0].version).toBe(ONNX_OPSET);
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['noise', 'condition']);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['raw']);
    const ops = decoded.graph.node.map((n) => n.opType);
    expect(ops[0]).toBe('Concat');
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(3);
    expect(ops).toContain('LayerNormalization');
    expect(ops).toContain('Add');
    const params = decoded.graph.initializer.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(models.ctgan.weights.generator.length);
    expect(g.network.inputs[1].width).toBeGreaterThan(0);
  });

  test('refuses a parameter vector of the wrong length', () => {
    const g = models.tvae.manifest.generator as unknown as { network: GeneratorNetworkSpec };
    expect(() => exportOnnx(g.network, new Float32Array(5))).toThrow(/Expected \d+ parameters for the ONNX export but received 5/);
  });
});

describe('onnxruntime-node engine', () => {
  test.each(['tvae', 'ctgan'])('%s: ONNX raw output equals the native one within 1e-5 for the same inputs', (name) => {
    const m = models[name];
    const g = m.manifest.generator as unknown as { network: GeneratorNetworkSpec; embedding: number; conditional?: { width: number } };
    const rows = 777;
    const inputs = [noiseRows(3, 0, rows, g.embedding)];
    const cw = g.conditional?.width ?? 0;
    if (cw > 0) {
      const c = new Float32Array(rows * cw);
      for (let i = 0; i < rows; i++) c[i * cw + (i % cw)] = 1;
      inputs.push(c);
    }
    const weights = name === 'tvae' ? m.weights.decoder : m.weights.generator;
    const native = nativeRunner(g.network, weights, { backend: 'cpu' }).run(inputs, rows);
    const runner = onnxRunner(m.files?.[ONNX_FILE_NAME], g.network, 1);
    try {
      const onnx = runner.run(inputs, rows);
      expect(maxAbsDiff(native, onnx)).toBeLessThan(1e-5);
    } finally {
      runner.close();
    }
  });

  test.each(['tvae', 'ctgan'])('%s: --engine onnx samples the same categories as --engine native', (name) => {
    const a = sampleModel(models[name], { rows: 500, seed: 4, engine: 'native' });
    const b = sampleModel(models[name], { rows: 500, seed: 4, engine: 'onnx', where: undefined });
    for (const col of ['genotype', 'sex', 'hydroxyurea', 'died']) expect(readLabels(b, col)).toEqual(readLabels(a, col));
  });

  test('a model without generator.onnx is refused for --engine onnx with a clear error', () => {
    const { files: _f, ...rest } = models.tvae;
    void _f;
    expect(() => sampleModel(rest as HemasynthModel, { rows: 5, engine: 'onnx' })).toThrow(/Expected a model bundle with generator.onnx for --engine onnx/);
  });
});
