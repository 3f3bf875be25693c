/**
 * The reference trainer in TypeScript: the same model semantics, per-sample clipping, noise
 * placement, Poisson sampling and keystream use as native/nn/trainer.cpp, written plainly.
 * It runs in float32 (the default, like the native backends) or float64 (for finite-difference
 * gradient checks).
 */
import { NativeError, UsageError, describeValue } from '../../errors';
import { encodeModel, LAYER_CODES, type EncodedModel, type ModelSpec } from '../../nn/spec';
import { optimizerUpdate } from '../../nn/optimizer-update';
import { resolveOptimizer, validateDp, validateSeed, type DpSgdOptions, type ResolvedOptimizer, type TrainerOptions } from '../../nn/options';
import type { StepResult, Trainer, TrainRunOptions, TrainSummary } from '../../nn/trainer';
import type { ActivationKind } from '../backend';
import { JsKeystream } from './keystream';
import {
  activationBackwardInto, activationInto, layerNormBackwardInto, layerNormInto, lossPerSample, matmulInto,
  type FloatArray, type FloatCtor, type LossTermCode,
} from './ops';

interface FlatLayer {
  kind: number;
  size: number;
  param: number;
  in: number;
  out: number;
  wOff: number;
  bOff: number;
  partner: number;
  depth: number;
}

const ACTIVATIONS: Record<number, ActivationKind> = { 2: 'relu', 3: 'leakyRelu', 4: 'tanh', 5: 'sigmoid' };

/** Options of the js trainer beyond TrainerOptions. */
export interface JsTrainerPrecision {
  /** float32 (default) or float64 (gradient checks). */
  precision?: 'float32' | 'float64';
}

/** Refuses NaN/±Infinity, naming the cell (as the native trainer does). */
function requireFinite(v: FloatArray, cols: number, field: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new NativeError(`${field}: expected finite values but row ${Math.floor(i / cols)}, column ${i % cols} is ${Number.isNaN(v[i]) ? 'NaN' : 'infinite'}`, field);
  }
}

function rowsOf(len: number, width: number, field: string): number {
  if (len % width !== 0) throw new UsageError(`Expected ${field} with a whole number of rows of ${width} columns but received ${len} values`);
  return len / width;
}

/** The js backend's Trainer. */
export class JsTrainer implements Trainer {
  readonly backend = 'js' as const;
  readonly parameterCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly targetSize: number;
  readonly seeded: boolean;
  readonly dp: boolean;
  readonly encoded: EncodedModel;
  readonly keystream: JsKeystream;
  private readonly F: FloatCtor;
  private readonly layers: FlatLayer[] = [];
  private readonly terms: LossTermCode[];
  private readonly opt: ResolvedOptimizer;
  private readonly dpo?: DpSgdOptions;
  private params: FloatArray;
  private m: FloatArray;
  private v: FloatArray;
  private t = 0;
  private act: FloatArray[] = [];
  private gact: FloatArray[] = [];
  private aux: (FloatArray | null)[] = [];
  private auxb: (FloatArray | null)[] = [];
  private sampleLoss = new Float64Array(0);
  private sqnorm = new Float64Array(0);
  /** Rows per sample (the unit of sampling and clipping). */
  private readonly group: number;
  /** The gradient-penalty term, if any, and its δ (∂o/∂act) and r (adjoint of δ) passes. */
  private readonly gp: LossTermCode | null;
  private dd: FloatArray[] = [];
  private rr: FloatArray[] = [];
  private inj: (FloatArray | null)[] = [];

  constructor(model: ModelSpec, options: TrainerOptions & JsTrainerPrecision = {}) {
    this.encoded = encodeModel(model);
    this.opt = resolveOptimizer(options.optimizer);
    this.dpo = validateDp(options.dp);
    this.dp = this.dpo !== undefined;
    this.F = options.precision === 'float64' ? Float64Array : Float32Array;
    this.keystream = new JsKeystream(validateSeed(options.seed));
    this.seeded = this.keystream.seeded;
    const e = this.encoded;
    this.inputSize = e.inputSize;
    this.targetSize = e.targetSize;
    this.outputSize = e.widths[e.widths.length - 1];
    this.parameterCount = e.parameterCount;
    this.terms = [];
    for (let i = 0; i < e.lossWeights.length; i++) {
      this.terms.push({ kind: e.lossCodes[4 * i], outOffset: e.lossCodes[4 * i + 1], tgtOffset: e.lossCodes[4 * i + 2], width: e.lossCodes[4 * i + 3], weight: e.lossWeights[i] });
    }
    this.group = e.rowsPerSample;
    this.gp = this.terms.find((t) => t.kind === 5) ?? null;
    let off = 0;
    const open: number[] = [];
    for (let l = 0; l < e.layerParams.length; l++) {
      const kind = e.layerCodes[2 * l], size = e.layerCodes[2 * l + 1];
      const L: FlatLayer = { kind, size, param: e.layerParams[l], in: e.widths[l], out: e.widths[l + 1], wOff: 0, bOff: 0, partner: 0, depth: open.length };
      if (kind === LAYER_CODES.linear) { L.wOff = off; off += L.in * L.out; L.bOff = off; off += L.out; }
      if (kind === LAYER_CODES.layerNorm) { L.wOff = off; L.bOff = off + L.in; off += 2 * L.in; }
      if (kind === LAYER_CODES.residualBegin) open.push(l);
      if (kind === LAYER_CODES.residualEnd) { L.partner = open.pop() as number; L.depth = open.length + 1; }
      this.layers.push(L);
    }
    this.params = new this.F(off);
    this.m = new this.F(off);
    this.v = new this.F(off);
    // PyTorch's default initialisation from the keystream, in the native order.
    for (const L of this.layers) {
      if (L.kind === LAYER_CODES.linear) {
        const n = L.in * L.out + L.out;
        const u = this.keystream.uniforms(n);
        const bound = 1 / Math.sqrt(L.in);
        for (let i = 0; i < n; i++) this.params[L.wOff + i] = (2 * u[i] - 1) * bound;
      } else if (L.kind === LAYER_CODES.layerNorm) {
        this.params.fill(1, L.wOff, L.wOff + L.in);
        this.params.fill(0, L.bOff, L.bOff + L.in);
      }
    }
  }

  /** Number of samples (groups of rowsPerSample rows) in x/y. */
  private checkTargets(x: FloatArray, y: FloatArray): number {
    const n = rowsOf(x.length, this.inputSize, 'x');
    const ny = rowsOf(y.length, this.targetSize, 'y');
    if (ny !== n) throw new UsageError(`Expected ${n} target rows (one per row of x) for y but received ${ny}`);
    if (n % this.group !== 0) throw new UsageError(`Expected a multiple of rowsPerSample = ${this.group} rows for x but received ${n}`);
    return n / this.group;
  }

  private runForward(start: number, rows: number, training: boolean): void {
    this.sampleLoss = new Float64Array(rows);
    for (let l = start; l < this.layers.length; l++) {
      const L = this.layers[l];
      const inp = this.act[l];
      const out = new this.F(rows * L.out);
      this.act[l + 1] = out;
      switch (L.kind) {
        case LAYER_CODES.linear:
          matmulInto(inp, this.params.subarray(L.wOff, L.bOff), out, rows, L.in, L.out, false, false, this.params.subarray(L.bOff, L.bOff + L.out), false);
          break;
        case 2: case 3: case 4: case 5:
          activationInto(ACTIVATIONS[L.kind], inp, out, L.param);
          break;
        case LAYER_CODES.layerNorm: {
          const xhat = new this.F(rows * L.in), rstd = new this.F(rows);
          layerNormInto(inp, this.params.subarray(L.wOff, L.wOff + L.in), this.params.subarray(L.bOff, L.bOff + L.in), out, xhat, rstd, rows, L.in, L.param);
          this.aux[l] = xhat;
          this.auxb[l] = rstd;
          break;
        }
        case LAYER_CODES.dropout: {
          const n = rows * L.in;
          if (training && L.param > 0) {
            const u = this.keystream.uniforms(n);
            const mask = new this.F(n);
            const scale = 1 / (1 - L.param);
            for (let i = 0; i < n; i++) { mask[i] = u[i] < L.param ? 0 : scale; out[i] = inp[i] * mask[i]; }
            this.aux[l] = mask;
          } else {
            this.aux[l] = null;
            out.set(inp.subarray(0, n));
          }
          break;
        }
        case LAYER_CODES.residualBegin:
          out.set(inp.subarray(0, rows * L.in));
          break;
        case LAYER_CODES.residualEnd: {
          const skip = this.act[L.partner];
          for (let i = 0; i < rows * L.out; i++) out[i] = inp[i] + skip[i];
          break;
        }
        case LAYER_CODES.gaussianSample: {
          const S = L.out;
          const eps = training ? this.keystream.gaussians(rows * S) : new Float64Array(rows * S);
          this.aux[l] = new this.F(eps);
          for (let i = 0; i < rows; i++) {
            let kl = 0;
            for (let j = 0; j < S; j++) {
              const mu = inp[i * 2 * S + j];
              const s = Math.min(30, Math.max(-30, inp[i * 2 * S + S + j]));
              out[i * S + j] = mu + eps[i * S + j] * Math.exp(0.5 * s);
              kl += -0.5 * (1 + s - mu * mu - Math.exp(s));
            }
            this.sampleLoss[i] += L.param * kl;
          }
          break;
        }
      }
    }
  }

  /** Standard backward from gact[L]; adds the gradient-penalty injections at activation inputs. */
  private runBackward(rows: number, needInputGrad: boolean): void {
    let firstParam = this.layers.length;
    for (let l = 0; l < this.layers.length; l++) {
      if (this.layers[l].kind === LAYER_CODES.linear || this.layers[l].kind === LAYER_CODES.layerNorm) { firstParam = l; break; }
    }
    const skip: FloatArray[] = [];
    for (let l = this.layers.length - 1; l >= 0; l--) {
      if (!needInputGrad && l < firstParam) break;
      const L = this.layers[l];
      const g = this.gact[l + 1];
      const dx = new this.F(rows * L.in);
      this.gact[l] = dx;
      const wantDx = needInputGrad || l > firstParam;
      switch (L.kind) {
        case LAYER_CODES.linear:
          if (wantDx) matmulInto(g, this.params.subarray(L.wOff, L.bOff), dx, rows, L.out, L.in, false, true, null, false);
          break;
        case 2: case 3: case 4: case 5: {
          activationBackwardInto(ACTIVATIONS[L.kind], this.act[l], this.act[l + 1], g, dx, L.param);
          const inj = this.inj[l];
          if (inj) for (let i = 0; i < dx.length; i++) dx[i] += inj[i];
          break;
        }
        case LAYER_CODES.layerNorm:
          if (wantDx) layerNormBackwardInto(g, this.aux[l] as FloatArray, this.auxb[l] as FloatArray, this.params.subarray(L.wOff, L.wOff + L.in), dx, rows, L.in);
          break;
        case LAYER_CODES.dropout: {
          const mask = this.aux[l];
          for (let i = 0; i < rows * L.in; i++) dx[i] = mask ? g[i] * mask[i] : g[i];
          break;
        }
        case LAYER_CODES.residualEnd:
          skip[L.partner] = g;
          dx.set(g.subarray(0, rows * L.out));
          break;
        case LAYER_CODES.residualBegin: {
          const s = skip[l];
          for (let i = 0; i < rows * L.in; i++) dx[i] = g[i] + s[i];
          break;
        }
        case LAYER_CODES.gaussianSample: {
          const S = L.out, kw = L.param, inp = this.act[l], eps = this.aux[l] as FloatArray;
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < S; j++) {
              const mu = inp[i * 2 * S + j], raw = inp[i * 2 * S + S + j];
              const s = Math.min(30, Math.max(-30, raw));
              const gz = g[i * S + j];
              dx[i * 2 * S + j] = gz + kw * mu;
              dx[i * 2 * S + S + j] = raw > -30 && raw < 30 ? gz * eps[i * S + j] * 0.5 * Math.exp(0.5 * s) + kw * 0.5 * (Math.exp(s) - 1) : 0;
            }
          }
          break;
        }
      }
    }
  }

  /**
   * WGAN-GP (Gulrajani et al. 2017) by double backpropagation. δ pass: δ_l = ∂o/∂act_l for the
   * critic column o (a backward pass seeded with 1 at o). Penalty per row P = w·λ·(‖δ_0‖ − 1)².
   * r pass: the adjoint of the (linear-in-δ) δ pass, seeded with ∂P/∂δ_0, run forward; it gives
   * the weight gradient r_lᵀ·δ_{l+1} of each linear layer and, through φ'' of the activations,
   * injections ∂P/∂act_l that the standard backward pass carries to earlier layers.
   */
  private penaltyPass(rows: number, yb: FloatArray): void {
    const gp = this.gp as LossTermCode;
    const nL = this.layers.length;
    this.dd = [];
    this.rr = [];
    this.inj = [];
    const seed = new this.F(rows * this.outputSize);
    for (let i = 0; i < rows; i++) seed[i * this.outputSize + gp.outOffset] = 1;
    this.dd[nL] = seed;
    const skip: FloatArray[] = [];
    for (let l = nL - 1; l >= 0; l--) {
      const L = this.layers[l];
      const d = this.dd[l + 1];
      const dx = new this.F(rows * L.in);
      switch (L.kind) {
        case LAYER_CODES.linear:
          matmulInto(d, this.params.subarray(L.wOff, L.bOff), dx, rows, L.out, L.in, false, true, null, false);
          break;
        case 2: case 3: case 4: case 5:
          activationBackwardInto(ACTIVATIONS[L.kind], this.act[l], this.act[l + 1], d, dx, L.param);
          break;
        case LAYER_CODES.dropout: {
          const mask = this.aux[l];
          for (let i = 0; i < dx.length; i++) dx[i] = mask ? d[i] * mask[i] : d[i];
          break;
        }
        case LAYER_CODES.residualEnd:
          skip[L.partner] = d;
          dx.set(d);
          break;
        case LAYER_CODES.residualBegin: {
          const s = skip[l];
          for (let i = 0; i < dx.length; i++) dx[i] = d[i] + s[i];
          break;
        }
      }
      this.dd[l] = dx;
    }
    const u = this.dd[0];
    const v = new this.F(rows * this.inputSize);
    for (let i = 0; i < rows; i++) {
      const lambda = gp.weight * yb[i * this.targetSize + gp.tgtOffset];
      if (lambda === 0) continue;
      let sq = 0;
      for (let j = 0; j < this.inputSize; j++) sq += u[i * this.inputSize + j] ** 2;
      const n = Math.sqrt(sq);
      this.sampleLoss[i] += lambda * (n - 1) ** 2;
      if (n > 0) for (let j = 0; j < this.inputSize; j++) v[i * this.inputSize + j] = lambda * 2 * (n - 1) / n * u[i * this.inputSize + j];
    }
    this.rr[0] = v;
    const rskip: FloatArray[] = [];
    for (let l = 0; l < nL; l++) {
      const L = this.layers[l];
      const r = this.rr[l];
      const out = new this.F(rows * L.out);
      switch (L.kind) {
        case LAYER_CODES.linear:
          matmulInto(r, this.params.subarray(L.wOff, L.bOff), out, rows, L.in, L.out, false, false, null, false);
          break;
        case 2: case 3: case 4: case 5: {
          // δ_l = δ_{l+1}·φ'(z): adjoint r_{l+1} = r_l·φ'(z); ∂P/∂z = r_l·δ_{l+1}·φ''(z).
          const z = this.act[l], y = this.act[l + 1], d = this.dd[l + 1];
          const kind = ACTIVATIONS[L.kind];
          activationBackwardInto(kind, z, y, r, out, L.param);
          if (kind === 'tanh' || kind === 'sigmoid') {
            const inj = new this.F(rows * L.in);
            for (let i = 0; i < inj.length; i++) {
              const yi = y[i];
              const second = kind === 'tanh' ? -2 * yi * (1 - yi * yi) : yi * (1 - yi) * (1 - 2 * yi);
              inj[i] = r[i] * d[i] * second;
            }
            this.inj[l] = inj;
          }
          break;
        }
        case LAYER_CODES.dropout: {
          const mask = this.aux[l];
          for (let i = 0; i < out.length; i++) out[i] = mask ? r[i] * mask[i] : r[i];
          break;
        }
        case LAYER_CODES.residualBegin:
          rskip[l] = r;
          out.set(r);
          break;
        case LAYER_CODES.residualEnd: {
          const s = rskip[L.partner];
          for (let i = 0; i < out.length; i++) out[i] = r[i] + s[i];
          break;
        }
      }
      this.rr[l + 1] = out;
    }
  }

  /**
   * Squared norm of each sample's gradient. One row per sample without a penalty: the ghost
   * norm ‖a‖²·‖g‖² + ‖g‖² per linear layer. Otherwise a sample's weight gradient is a sum of
   * outer products Σ_p l_p ⊗ r_p (rows of the group; activation and penalty terms) and its
   * squared norm is Σ_{p,q} (l_p·l_q)(r_p·r_q); the bias gradient is ‖Σ_k g_k‖².
   */
  private computeNorms(samples: number): void {
    const G = this.group;
    this.sqnorm = new Float64Array(samples);
    const dot = (a: FloatArray, ao: number, b: FloatArray, bo: number, n: number) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[ao + j] * b[bo + j];
      return s;
    };
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      if (L.kind === LAYER_CODES.linear) {
        const a = this.act[l], g = this.gact[l + 1];
        for (let s = 0; s < samples; s++) {
          const pairs: [FloatArray, number, FloatArray, number][] = [];
          for (let k = 0; k < G; k++) {
            const row = s * G + k;
            pairs.push([a, row * L.in, g, row * L.out]);
            if (this.gp) pairs.push([this.rr[l], row * L.in, this.dd[l + 1], row * L.out]);
          }
          let w = 0;
          for (const [la, lo, ra, ro] of pairs) for (const [lb, lo2, rb, ro2] of pairs) w += dot(la, lo, lb, lo2, L.in) * dot(ra, ro, rb, ro2, L.out);
          let b = 0;
          for (let j = 0; j < L.out; j++) {
            let sum = 0;
            for (let k = 0; k < G; k++) sum += g[(s * G + k) * L.out + j];
            b += sum * sum;
          }
          this.sqnorm[s] += w + b;
        }
      } else if (L.kind === LAYER_CODES.layerNorm) {
        const g = this.gact[l + 1], h = this.aux[l] as FloatArray;
        for (let s = 0; s < samples; s++) {
          let t = 0;
          for (let j = 0; j < L.in; j++) {
            let gg = 0, gb = 0;
            for (let k = 0; k < G; k++) { const idx = (s * G + k) * L.in + j; gg += g[idx] * h[idx]; gb += g[idx]; }
            t += gg * gg + gb * gb;
          }
          this.sqnorm[s] += t;
        }
      }
    }
  }

  /** Parameter gradient with a weight per row (clipping factor / normalisation). */
  private parameterGradient(rows: number, weight: Float64Array): FloatArray {
    const grad = new this.F(this.parameterCount);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      if (L.kind === LAYER_CODES.linear) {
        const g = this.gact[l + 1];
        const scaled = new this.F(rows * L.out);
        for (let i = 0; i < rows; i++) for (let j = 0; j < L.out; j++) {
          scaled[i * L.out + j] = g[i * L.out + j] * weight[i];
          grad[L.bOff + j] += scaled[i * L.out + j];
        }
        const dW = grad.subarray(L.wOff, L.bOff);
        matmulInto(this.act[l], scaled, dW, L.in, rows, L.out, true, false, null, false);
        if (this.gp) {
          const d = this.dd[l + 1];
          const sd = new this.F(rows * L.out);
          for (let i = 0; i < rows; i++) for (let j = 0; j < L.out; j++) sd[i * L.out + j] = d[i * L.out + j] * weight[i];
          matmulInto(this.rr[l], sd, dW, L.in, rows, L.out, true, false, null, true);
        }
      } else if (L.kind === LAYER_CODES.layerNorm) {
        const g = this.gact[l + 1], h = this.aux[l] as FloatArray;
        for (let i = 0; i < rows; i++) for (let j = 0; j < L.in; j++) {
          const v = weight[i] * g[i * L.in + j];
          grad[L.wOff + j] += v * h[i * L.in + j];
          grad[L.bOff + j] += v;
        }
      }
    }
    return grad;
  }

  /** Forward, per-row losses (+ penalty), backward for one gathered batch; returns the mean loss per sample. */
  private batchPass(xb: FloatArray, yb: FloatArray | null, rows: number, dout: FloatArray | null, norms: boolean, needInputGrad: boolean): number {
    this.act = [];
    this.gact = [];
    this.aux = [];
    this.auxb = [];
    this.dd = [];
    this.rr = [];
    this.inj = [];
    this.act[0] = xb;
    this.runForward(0, rows, true);
    const oc = this.outputSize;
    const gout = new this.F(rows * oc);
    if (dout) gout.set(dout.subarray(0, rows * oc));
    else {
      lossPerSample(this.terms, this.act[this.layers.length], oc, yb as FloatArray, this.targetSize, rows, this.sampleLoss, gout);
      if (this.gp) this.penaltyPass(rows, yb as FloatArray);
    }
    this.gact[this.layers.length] = gout;
    this.runBackward(rows, needInputGrad);
    const samples = rows / this.group;
    if (norms) this.computeNorms(samples);
    let total = 0;
    for (let i = 0; i < rows; i++) total += this.sampleLoss[i];
    return samples ? total / samples : 0;
  }

  /** Rows of the given samples (all samples when `samples` is undefined). */
  private gather(x: FloatArray, width: number, samples: Int32Array | undefined, n: number): FloatArray {
    const G = this.group;
    const out = new this.F(n * G * width);
    if (!samples) { out.set(x.subarray(0, n * G * width)); return out; }
    for (let i = 0; i < n; i++) out.set(x.subarray(samples[i] * G * width, (samples[i] + 1) * G * width), i * G * width);
    return out;
  }

  private update(grad: FloatArray): void {
    this.t++;
    optimizerUpdate(this.opt, this.t, this.params, this.m, this.v, grad);
  }

  /** Expands a per-sample weight to its rows. */
  private rowWeights(perSample: Float64Array): Float64Array {
    const w = new Float64Array(perSample.length * this.group);
    for (let i = 0; i < w.length; i++) w[i] = perSample[Math.floor(i / this.group)];
    return w;
  }

  step(x: FloatArray, y: FloatArray, samples?: Int32Array): StepResult {
    const nx = this.checkTargets(x, y);
    if (samples !== undefined) {
      if (!(samples instanceof Int32Array)) throw new UsageError(`Expected an Int32Array for rows but received ${describeValue(samples)}`);
      for (let i = 0; i < samples.length; i++) {
        if (samples[i] < 0 || samples[i] >= nx) throw new NativeError(`rows: expected sample indices in [0, ${nx}) but index ${i} is ${samples[i]}`, 'rows');
      }
    }
    const n = samples ? samples.length : nx;
    if (!this.dpo && n === 0) return { loss: 0, batchSize: 0 };
    const xb = this.gather(x, this.inputSize, samples, n);
    const yb = this.gather(y, this.targetSize, samples, n);
    requireFinite(xb, this.inputSize, 'x');
    requireFinite(yb, this.targetSize, 'y');
    const loss = this.batchPass(xb, yb, n * this.group, null, this.dp, false);
    const weight = new Float64Array(n);
    let grad: FloatArray;
    if (this.dpo) {
      const { maxGradNorm: C, expectedBatchSize: E, noiseMultiplier: sigma } = this.dpo;
      for (let i = 0; i < n; i++) { const norm = Math.sqrt(this.sqnorm[i]); weight[i] = (norm > C ? C / norm : 1) / E; }
      grad = this.parameterGradient(n * this.group, this.rowWeights(weight));
      const sd = sigma * C / E;
      if (sd > 0) {
        const z = this.keystream.gaussians(this.parameterCount);
        for (let i = 0; i < grad.length; i++) grad[i] += sd * z[i];
      }
    } else {
      weight.fill(1 / n);
      grad = this.parameterGradient(n * this.group, this.rowWeights(weight));
    }
    this.update(grad);
    return { loss, batchSize: n };
  }

  poissonStep(x: FloatArray, y: FloatArray): StepResult {
    if (!this.dpo) throw new UsageError('Expected dp options with a sampleRate for poissonStep but received none');
    const n = this.checkTargets(x, y);
    const u = this.keystream.uniforms(n);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (u[i] < this.dpo.sampleRate) rows.push(i);
    return this.step(x, y, Int32Array.from(rows));
  }

  forward(x: FloatArray, options: { startLayer?: number; training?: boolean; out?: Float32Array } = {}): Float32Array {
    const top = options.startLayer ?? 0;
    const idx = this.encoded.topLevelIndex[top];
    if (idx === undefined) throw new UsageError(`Expected a top-level layer index in [0, ${this.encoded.topLevelIndex.length}) for startLayer but received ${describeValue(top)}`);
    const rows = rowsOf(x.length, this.layers[idx].in, 'x');
    requireFinite(x, this.layers[idx].in, 'x');
    this.act = [];
    this.aux = [];
    this.auxb = [];
    this.act[idx] = this.F === Float32Array ? Float32Array.from(x) : Float64Array.from(x);
    this.runForward(idx, rows, options.training ?? false);
    const y = this.act[this.layers.length];
    if (!options.out) return Float32Array.from(y);
    if (options.out.length !== y.length) throw new UsageError(`Expected out to hold ${y.length} values (${rows} rows × ${y.length / Math.max(1, rows)} outputs) but received ${options.out.length}`);
    options.out.set(y);
    return options.out;
  }

  /** Mean gradient in the trainer's precision (float64 for gradient checks). */
  gradientRaw(x: FloatArray, y: FloatArray): { loss: number; gradient: FloatArray } {
    const n = this.checkTargets(x, y);
    requireFinite(x, this.inputSize, 'x');
    requireFinite(y, this.targetSize, 'y');
    if (n === 0) return { loss: 0, gradient: new this.F(this.parameterCount) };
    const loss = this.batchPass(this.gather(x, this.inputSize, undefined, n), this.gather(y, this.targetSize, undefined, n), n * this.group, null, false, false);
    return { loss, gradient: this.parameterGradient(n * this.group, new Float64Array(n * this.group).fill(1 / n)) };
  }

  gradient(x: FloatArray, y: FloatArray): { loss: number; gradient: Float32Array } {
    const r = this.gradientRaw(x, y);
    return { loss: r.loss, gradient: Float32Array.from(r.gradient) };
  }

  inspectClipping(x: FloatArray, y: FloatArray): { loss: number; norms: Float64Array; clippedSum: Float32Array } {
    const n = this.checkTargets(x, y);
    requireFinite(x, this.inputSize, 'x');
    requireFinite(y, this.targetSize, 'y');
    const C = this.dpo?.maxGradNorm ?? 1;
    const loss = this.batchPass(this.gather(x, this.inputSize, undefined, n), this.gather(y, this.targetSize, undefined, n), n * this.group, null, true, false);
    const norms = new Float64Array(n);
    const weight = new Float64Array(n);
    for (let i = 0; i < n; i++) { norms[i] = Math.sqrt(this.sqnorm[i]); weight[i] = norms[i] > C ? C / norms[i] : 1; }
    return { loss, norms, clippedSum: Float32Array.from(this.parameterGradient(n * this.group, this.rowWeights(weight))) };
  }

  /** Per-row input gradient of its sample's loss, in the trainer's precision. */
  inputGradientRaw(x: FloatArray, y: FloatArray): { loss: number; inputGradient: FloatArray } {
    const n = this.checkTargets(x, y);
    requireFinite(x, this.inputSize, 'x');
    requireFinite(y, this.targetSize, 'y');
    const loss = this.batchPass(this.gather(x, this.inputSize, undefined, n), this.gather(y, this.targetSize, undefined, n), n * this.group, null, false, true);
    return { loss, inputGradient: n ? this.gact[0] : new this.F(0) };
  }

  inputGradient(x: FloatArray, y: FloatArray): { loss: number; inputGradient: Float32Array } {
    const r = this.inputGradientRaw(x, y);
    return { loss: r.loss, inputGradient: Float32Array.from(r.inputGradient) };
  }

  stepWithOutputGradient(x: FloatArray, outputGradient: FloatArray): void {
    if (this.dp) throw new UsageError('Expected a non-private trainer for stepWithOutputGradient (an external output gradient is not differentially private) but received one with dp options; train the private model with step()');
    const n = rowsOf(x.length, this.inputSize, 'x');
    if (outputGradient.length !== n * this.outputSize) throw new UsageError(`Expected ${n * this.outputSize} values for outputGradient but received ${outputGradient.length}`);
    if (n === 0) return;
    requireFinite(x, this.inputSize, 'x');
    requireFinite(outputGradient, this.outputSize, 'outputGradient');
    const xb = this.F === Float32Array ? Float32Array.from(x) : Float64Array.from(x);
    this.batchPass(xb, null, n, outputGradient, false, false);
    this.update(this.parameterGradient(n, new Float64Array(n).fill(1 / n)));
  }

  getParameters(): Float32Array {
    return Float32Array.from(this.params);
  }

  /** Parameters in the trainer's precision (a copy). */
  getParametersRaw(): FloatArray {
    return this.params.slice();
  }

  setParameters(p: FloatArray): void {
    if (p.length !== this.parameterCount) throw new UsageError(`Expected ${this.parameterCount} values for parameters but received ${p.length}`);
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) throw new UsageError(`Expected finite values for parameters but index ${i} is ${p[i]}`);
    this.params.set(p);
  }

  async train(x: Float32Array, y: Float32Array, options: TrainRunOptions): Promise<TrainSummary> {
    const steps = options.steps;
    if (!Number.isInteger(steps) || steps < 0) throw new UsageError(`Expected an integer >= 0 for steps but received ${describeValue(steps)}`);
    const poisson = options.poisson ?? this.dp;
    const n = this.checkTargets(x, y); // samples
    const batch = Math.min(options.batchSize ?? 256, n);
    const every = options.progressEvery ?? Math.max(1, Math.floor(steps / 10));
    let cursor = 0, sum = 0, last = 0;
    for (let s = 0; s < steps; s++) {
      let r: StepResult;
      if (poisson) r = this.poissonStep(x, y);
      else {
        const rows = new Int32Array(batch);
        for (let i = 0; i < batch; i++) { rows[i] = cursor; cursor = (cursor + 1) % Math.max(1, n); }
        r = this.step(x, y, rows);
      }
      sum += r.loss;
      last = r.loss;
      if (every > 0 && ((s + 1) % every === 0 || s + 1 === steps)) options.onProgress?.({ step: s + 1, loss: r.loss, batchSize: r.batchSize });
      // Yield to the event loop between steps: the reference runs on the main thread.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { steps, meanLoss: steps ? sum / steps : 0, lastLoss: last };
  }
}
