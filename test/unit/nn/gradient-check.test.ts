/**
 * Finite-difference gradient checks (central differences in float64) of every layer and loss
 * on the js reference, and of the cpu backend's gradients against js in float32.
 */
import { JsBackend, JsTrainer, backendStatuses } from '../../../src/backend';
import { CpuBackend } from '../../../src/backend/cpu';
import { MODELS, groupOf, targetsFor, testData } from './models';

const js = new JsBackend();
const cpuUsable = backendStatuses().find((b) => b.name === 'cpu')?.usable ?? false;

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / Math.max(den, 1e-12);
}

describe('finite-difference gradients (js, float64)', () => {
  for (const [name, model] of Object.entries(MODELS)) {
    it(`${name}: analytic gradient matches central differences`, () => {
      const rows = 4 * groupOf(model);
      const x = Float64Array.from(testData(rows * model.inputSize, 7));
      const y = Float64Array.from(targetsFor(name, model, rows, 11));
      const t = js.createTrainer(model, { seed: 5, precision: 'float64', optimizer: { kind: 'sgd' } }) as JsTrainer;
      // Stochastic layers: each evaluation reads the keystream at the same position.
      const pos = t.keystream.position;
      const lossAt = (p: Float64Array) => { t.setParameters(p); t.keystream.position = pos; return t.gradientRaw(x, y).loss; };
      const p0 = t.getParametersRaw() as Float64Array;
      t.keystream.position = pos;
      const g = t.gradientRaw(x, y).gradient;
      const h = 1e-6;
      const fd = new Float64Array(p0.length);
      for (let i = 0; i < p0.length; i++) {
        const pp = p0.slice(); pp[i] += h;
        const pm = p0.slice(); pm[i] -= h;
        fd[i] = (lossAt(pp) - lossAt(pm)) / (2 * h);
      }
      expect(maxRelErr(g, fd)).toBeLessThan(1e-6);
      // And the input gradient (per sample), which a generator trained through a critic uses.
      t.setParameters(p0);
      t.keystream.position = pos;
      const gx = t.inputGradientRaw(x, y).inputGradient;
      const fdx = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const xp = x.slice(); xp[i] += h;
        const xm = x.slice(); xm[i] -= h;
        t.keystream.position = pos;
        const lp = t.gradientRaw(xp, y).loss;
        t.keystream.position = pos;
        const lm = t.gradientRaw(xm, y).loss;
        fdx[i] = ((lp - lm) / (2 * h)) * (rows / groupOf(model)); // mean over samples → per-sample derivative
      }
      expect(maxRelErr(gx, fdx)).toBeLessThan(1e-6);
    });
  }
});

const itCpu = cpuUsable ? it : it.skip;
describe('cpu gradients equal js gradients (float32)', () => {
  if (!cpuUsable) console.warn('skipped cpu gradient tests: native addon not loadable');
  for (const [name, model] of Object.entries(MODELS)) {
    itCpu(`${name}`, () => {
      const rows = 9 * groupOf(model);
      const x = testData(rows * model.inputSize, 3);
      const y = targetsFor(name, model, rows, 4);
      const a = js.createTrainer(model, { seed: 42 });
      const b = new CpuBackend().createTrainer(model, { seed: 42 });
      expect(Array.from(b.getParameters())).toEqual(Array.from(a.getParameters()));
      const ga = a.gradient(x, y), gb = b.gradient(x, y);
      expect(Math.abs(ga.loss - gb.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ga.loss)));
      expect(maxRelErr(gb.gradient, ga.gradient)).toBeLessThan(1e-5);
      const ia = a.inputGradient(x, y).inputGradient, ib = b.inputGradient(x, y).inputGradient;
      expect(maxRelErr(ib, ia)).toBeLessThan(1e-5);
    });
  }
});
