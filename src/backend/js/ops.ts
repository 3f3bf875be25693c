/**
 * Reference kernels in plain TypeScript over Float32Array or Float64Array (the gradient checks
 * run them in float64). Straightforward loops: these define the semantics every other backend
 * is checked against.
 */
import type { ActivationKind } from '../backend';

export type FloatArray = Float32Array | Float64Array;
export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** C (+)= op(A)·op(B) (+ bias). */
export function matmulInto(
  a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number,
  transA: boolean, transB: boolean, bias: FloatArray | null, accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transB) {
    // i-p-j order: the inner loop runs along contiguous rows of B and C.
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        if (av === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        const bj = j * k;
        if (transA) for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
        else { const ai = i * k; for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p]; }
        c[i * n + j] += s;
      }
    }
  }
  if (bias) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[j];
}

export function activationInto(kind: ActivationKind, x: FloatArray, y: FloatArray, slope: number): void {
  const n = x.length;
  switch (kind) {
    case 'relu': for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    case 'leakyRelu': for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i]; break;
    case 'tanh': for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]); break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); y[i] = e / (1 + e); }
      }
      break;
  }
}

export function activationBackwardInto(kind: ActivationKind, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, slope: number): void {
  const n = x.length;
  switch (kind) {
    case 'relu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; break;
    case 'leakyRelu': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i]; break;
    case 'tanh': for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); break;
    case 'sigmoid': for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]); break;
  }
}

export function softmaxInto(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, x[o + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) { y[o + j] = Math.exp(x[o + j] - mx); s += y[o + j]; }
    for (let j = 0; j < cols; j++) y[o + j] /= s;
  }
}

/** Gumbel-softmax (Jang et al. 2017) with given uniforms in [0,1). */
export function gumbelSoftmaxInto(x: FloatArray, u: Float64Array, y: FloatArray, rows: number, cols: number, tau: number): void {
  const z = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) z[i] = (x[i] - Math.log(-Math.log(u[i] + 2 ** -54))) / tau;
  softmaxInto(z, y, rows, cols);
}

/** Layer normalisation; returns xhat and rstd for the backward pass. */
export function layerNormInto(
  x: FloatArray, gain: FloatArray, bias: FloatArray, y: FloatArray, xhat: FloatArray, rstd: FloatArray,
  rows: number, cols: number, eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mean = 0;
    for (let j = 0; j < cols; j++) mean += x[o + j];
    mean /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) { const d = x[o + j] - mean; v += d * d; }
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      xhat[o + j] = (x[o + j] - mean) * rs;
      y[o + j] = xhat[o + j] * gain[j] + bias[j];
    }
  }
}

export function layerNormBackwardInto(dy: FloatArray, xhat: FloatArray, rstd: FloatArray, gain: FloatArray, dx: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m1 = 0, m2 = 0;
    for (let j = 0; j < cols; j++) { const d = dy[o + j] * gain[j]; m1 += d; m2 += d * xhat[o + j]; }
    m1 /= cols;
    m2 /= cols;
    for (let j = 0; j < cols; j++) dx[o + j] = rstd[r] * (dy[o + j] * gain[j] - m1 - xhat[o + j] * m2);
  }
}

const LN_2PI = Math.log(2 * Math.PI);
const LOGVAR_MIN = -30, LOGVAR_MAX = 30;

/** A loss term in encoded form. */
export interface LossTermCode { kind: number; outOffset: number; tgtOffset: number; width: number; weight: number }

/** Per-sample losses (added to loss[]) and ∂loss_i/∂out_i (overwrites dout). */
export function lossPerSample(
  terms: LossTermCode[], out: FloatArray, outCols: number, tgt: FloatArray, tgtCols: number, rows: number,
  loss: Float64Array, dout: FloatArray,
): void {
  dout.fill(0, 0, rows * outCols);
  for (let r = 0; r < rows; r++) {
    const o = r * outCols, t = r * tgtCols;
    let l = 0;
    for (const term of terms) {
      const w = term.width, wt = term.weight;
      const os = o + term.outOffset, ts = t + term.tgtOffset;
      switch (term.kind) {
        case 1: { // MSE
          let s = 0;
          for (let j = 0; j < w; j++) { const e = out[os + j] - tgt[ts + j]; s += e * e; dout[os + j] += wt * 2 * e / w; }
          l += wt * s / w;
          break;
        }
        case 2: { // cross-entropy on logits
          let mx = -Infinity, tsum = 0;
          for (let j = 0; j < w; j++) { mx = Math.max(mx, out[os + j]); tsum += tgt[ts + j]; }
          let z = 0;
          const p = new Float64Array(w);
          for (let j = 0; j < w; j++) { p[j] = Math.exp(out[os + j] - mx); z += p[j]; }
          const logz = Math.log(z) + mx;
          let s = 0;
          for (let j = 0; j < w; j++) { s -= tgt[ts + j] * (out[os + j] - logz); dout[os + j] += wt * (p[j] / z * tsum - tgt[ts + j]); }
          l += wt * s;
          break;
        }
        case 3: { // Gaussian NLL: [mean (w), log-variance (w)]
          let s = 0;
          for (let j = 0; j < w; j++) {
            const mu = out[os + j];
            const raw = out[os + w + j];
            const lv = Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, raw));
            const inv = Math.exp(-lv);
            const e = tgt[ts + j] - mu;
            s += 0.5 * (lv + e * e * inv + LN_2PI);
            dout[os + j] += wt * (mu - tgt[ts + j]) * inv;
            dout[os + w + j] += raw > LOGVAR_MIN && raw < LOGVAR_MAX ? wt * 0.5 * (1 - e * e * inv) : 0;
          }
          l += wt * s;
          break;
        }
        case 4: { // linear (Wasserstein critic)
          let s = 0;
          for (let j = 0; j < w; j++) { s += tgt[ts + j] * out[os + j]; dout[os + j] += wt * tgt[ts + j]; }
          l += wt * s;
          break;
        }
        case 5: // gradient penalty: needs ∂output/∂input, computed by the trainer
          break;
        default:
          throw new Error(`unknown loss kind ${term.kind}`);
      }
    }
    loss[r] += l;
  }
}
