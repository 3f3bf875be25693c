/**
 * One optimiser update of a parameter vector from a gradient: SGD, Adam (Kingma & Ba 2015, L2
 * weight decay added to the gradient) or AdamW (Loshchilov & Hutter 2019, decoupled decay). The
 * TypeScript trainer applies it after every step; the federation's coordinator applies it to the
 * global model with the securely summed noisy gradient (server-side optimiser, Reddi et al. 2021).
 */
import type { ResolvedOptimizer } from './options';

type Floats = Float32Array | Float64Array;

/**
 * Updates `p` in place; `t` is the 1-based step count, `m` and `v` the Adam moments (unused by SGD).
 * @example optimizerUpdate(resolveOptimizer({ kind: 'adam' }), 1, params, m, v, grad)
 */
export function optimizerUpdate(o: ResolvedOptimizer, t: number, p: Floats, m: Floats, v: Floats, grad: ArrayLike<number>): void {
  const n = p.length;
  const lr = o.learningRate, wd = o.weightDecay;
  if (o.kind === 'sgd') { for (let i = 0; i < n; i++) p[i] -= lr * (grad[i] + wd * p[i]); return; }
  const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t;
  for (let i = 0; i < n; i++) {
    let gi = grad[i];
    if (o.kind === 'adam') gi += wd * p[i];
    else p[i] -= lr * wd * p[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
    p[i] -= (lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps);
  }
}
