/** forward(x, { out }) writes the output into the caller's array (the sampler reuses one per chunk). */
import { JsBackend, backendStatuses } from '../../../src/backend';
import { CpuBackend } from '../../../src/backend/cpu';
import type { ModelSpec } from '../../../src/nn';
import { testData } from './models';

const cpuUsable = backendStatuses().find((b) => b.name === 'cpu')?.usable ?? false;
const model: ModelSpec = {
  inputSize: 6,
  layers: [{ type: 'linear', outputs: 16 }, { type: 'relu' }, { type: 'linear', outputs: 5 }],
  loss: { targetSize: 5, terms: [{ kind: 'mse', outputOffset: 0, width: 5 }] },
};

const backends = [
  { name: 'js', make: () => new JsBackend().createTrainer(model, { seed: 4 }) },
  ...(cpuUsable ? [{ name: 'cpu', make: () => new CpuBackend({ threads: 2 }).createTrainer(model, { seed: 4 }) }] : []),
];

describe.each(backends)('$name trainer forward into a given array', ({ make }) => {
  it('returns the given array holding exactly the output of a plain forward, overwriting what was there', () => {
    const t = make();
    const x = testData(7 * 6, 2);
    const plain = t.forward(x);
    const out = new Float32Array(7 * 5).fill(123);
    const r = t.forward(x, { out });
    expect(r).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(plain));
    // Reused for other inputs: the new output replaces the old one entirely.
    const x2 = testData(7 * 6, 3);
    t.forward(x2, { out });
    expect(Array.from(out)).toEqual(Array.from(t.forward(x2)));
    expect(Array.from(out)).not.toEqual(Array.from(plain));
  });

  it('refuses an array of the wrong length, naming out and the expected size, and leaves it untouched', () => {
    const t = make();
    const x = testData(7 * 6, 2);
    const out = new Float32Array(7 * 5 - 1).fill(9);
    expect(() => t.forward(x, { out })).toThrow(/\bout\b/);
    expect(() => t.forward(x, { out })).toThrow(/35 values \(7 rows × 5 outputs\)/);
    expect(out.every((v) => v === 9)).toBe(true);
  });
});
