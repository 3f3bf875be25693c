/**
 * Numerical composition of privacy-loss distributions (PRV accountant): Gopi, Lee & Wutschitz
 * 2021, "Numerical Composition of Differential Privacy" (arXiv:2106.02848), as implemented in
 * Opacus (`opacus/accountants/analysis/prv`) and microsoft/prv_accountant, with three changes
 * that only make the bound safer:
 *  - both directions of add/remove adjacency are composed and the larger δ is kept (as Google's
 *    dp_accounting does), not only the "remove" direction;
 *  - mass above the domain is kept as an infinite loss (it counts fully towards δ) instead of
 *    being dropped and renormalised; mass below the domain is rounded up into the first bin;
 *  - the composition is done entirely in the Fourier domain: every mechanism's characteristic
 *    function is raised to its number of applications and multiplied, then one inverse FFT.
 *
 * Method: the loss of each mechanism is discretised on a mesh of width h over [-L, L], the mass
 * of each bin placed at its centre and the grid shifted so that the discrete mean equals the
 * continuous mean (mean-preserving discretisation, Gopi et al. §5). The mesh
 * h = ε_err / sqrt(k/2 · log(12/δ_err)) and the domain L (from an RDP bound at δ_err/4 for the
 * composition and δ_err/(8k) per step, plus 3; Gopi et al. Thm 5.5, Remark 5.6) guarantee that
 * the estimate ε̂ satisfies ε̂(δ + δ_err) - ε_err <= ε(δ) <= ε̂(δ - δ_err) + ε_err. This module
 * reports the upper end, so it never under-reports ε (up to floating point, which is checked).
 * Pure functions, no state.
 */
import { fft } from './fft';
import { Mechanism, additionalDelta, compositions, isFree, isNoiseless, mechanismKey } from './mechanisms';
import { laplaceLoss, pureDpLoss, subsampledGaussianLoss, PrivacyLossDistribution } from './privacy-loss';
import { rdpEpsilon } from './rdp-analysis';

// Math functions bound once: global lookups are slow inside vm contexts (e.g. jest), and these run millions of times.
const { abs, atan2, cos, exp, expm1, log, log1p, max, min, sin, sqrt } = Math;
const INF = Number.POSITIVE_INFINITY;
const { isNaN: isNaNumber, isFinite: isFiniteNumber, isInteger: isIntegerNumber, EPSILON: DOUBLE_EPSILON } = Number;

/** Largest FFT size used (2^22 doubles = 32 MiB per array). Beyond it the mesh is coarsened and the reported error grows. */
export const MAX_GRID_SIZE = 1 << 22;

/**
 * The ε error the accountant tolerates by default (as Opacus). The upper bound it reports is
 * ε̂ + ε_err, so no mechanism that releases anything is ever certified below it.
 */
export const DEFAULT_PRV_EPSILON_ERROR = 0.01;

/** ε error relative to the ε at stake that {@link scaledEpsilonError} allows above ε = 10. */
export const RELATIVE_PRV_EPSILON_ERROR = 1e-3;

/**
 * The ε error for accounting at a budget (or target) ε: the default 0.01 up to ε = 10, then 0.1%
 * of ε. Any ε error gives a valid upper bound (the mesh is chosen for it, Gopi et al. Thm 5.5);
 * the grid's size is about the domain (≈ ε wide) over the mesh (∝ ε error), so a fixed 0.01
 * made every composition at ε = 100 ten times the work of one at ε = 10 (a DP training composes
 * a few dozen times while calibrating and charging), for a precision of 0.01% nobody needs there.
 * @example scaledEpsilonError(3) // 0.01
 * @example scaledEpsilonError(50) // 0.05
 */
export function scaledEpsilonError(epsilon: number): number {
  return Number.isFinite(epsilon) && epsilon > 0 ? Math.max(DEFAULT_PRV_EPSILON_ERROR, epsilon * RELATIVE_PRV_EPSILON_ERROR) : DEFAULT_PRV_EPSILON_ERROR;
}

/** Options of the numerical accountant. */
export interface PrvOptions {
  /** Tolerated error in ε (default 0.01, as Opacus). */
  epsilonError?: number;
  /** Tolerated error in δ (default δ/1000 for ε queries, as Opacus; 1e-10 for δ queries). */
  deltaError?: number;
}

/** A discretised, composed pair of privacy-loss distributions. */
export interface ComposedLoss {
  /** Mesh width. */
  mesh: number;
  /** Grid size (a power of two). */
  size: number;
  /** Per direction: probability of each grid point t_j = (j - size/2)·mesh + shift, conditional on a finite loss. */
  pmf: { remove: Float64Array; add: Float64Array };
  shift: { remove: number; add: number };
  /** Per direction: probability of an infinite loss (mass beyond the domain). */
  infiniteMass: { remove: number; add: number };
  /** ε error the mesh guarantees (>= the requested one when the grid had to be capped). */
  epsilonError: number;
  deltaError: number;
  /** Total number of composed applications. */
  compositions: number;
  /** δ spent outside the noise (thresholds), added to every δ. */
  additionalDelta: number;
  /**
   * False when the requested accuracy could not be met (grid capped at {@link MAX_GRID_SIZE}, or a
   * mean-preserving shift could not be computed): the caller should prefer the RDP bound.
   */
  reliable: boolean;
}

interface Component {
  losses: { remove: PrivacyLossDistribution; add: PrivacyLossDistribution };
  count: number;
  mechanism: Mechanism;
}

function components(mechanisms: readonly Mechanism[]): Component[] {
  // Identical mechanisms compose by self-composition: group them.
  const groups = new Map<string, Component>();
  for (const m of mechanisms) {
    if (isFree(m)) continue;
    const key = mechanismKey(m);
    const g = groups.get(key);
    if (g) {
      g.count += compositions(m);
      continue;
    }
    let losses: Component['losses'];
    if (m.kind === 'subsampled-gaussian' || m.kind === 'gaussian') {
      const q = m.kind === 'gaussian' ? 1 : m.sampleRate;
      losses = { remove: subsampledGaussianLoss(q, m.noiseMultiplier, 'remove'), add: subsampledGaussianLoss(q, m.noiseMultiplier, 'add') };
    } else if (m.kind === 'laplace') {
      const l = laplaceLoss(m.scale);
      losses = { remove: l, add: l };
    } else {
      const l = pureDpLoss(m.epsilon);
      losses = { remove: l, add: l };
    }
    groups.set(key, { losses, count: compositions(m), mechanism: m });
  }
  return [...groups.values()];
}

/** The safe domain half-width L of Gopi et al. Remark 5.6 (as Opacus `compute_safe_domain_size`). */
function safeDomain(comps: Component[], total: number, epsilonError: number, deltaError: number): number {
  const all = comps.map((c) => withCount(c.mechanism, c.count));
  let L = rdpEpsilon(all, deltaError / 4).epsilon;
  for (const c of comps) {
    L = max(L, rdpEpsilon([withCount(c.mechanism, 1)], deltaError / (8 * total)).epsilon);
    // Bounded losses must lie inside the domain whatever RDP says.
    const lo = c.losses.remove.supportMin;
    const hi = c.losses.remove.supportMax;
    if (isFiniteNumber(hi)) L = max(L, hi + 1);
    if (isFiniteNumber(lo)) L = max(L, -lo + 1);
  }
  return max(L, epsilonError) + 3;
}

function withCount(m: Mechanism, count: number): Mechanism {
  return m.kind === 'subsampled-gaussian' ? { ...m, steps: count } : { ...m, count, ...(m.kind === 'gaussian' ? { additionalDelta: 0 } : {}) };
}

/**
 * Discretises one loss on the grid t_j = (j - n/2)·h, j = 0..n-1 (bin j covers t_j ± h/2),
 * rounding the lower tail up into bin 0 and keeping the upper tail as infinite loss. Returns
 * the conditional pmf (given a finite loss), the mean-preserving shift and the infinite mass.
 */
export function discretiseLoss(loss: PrivacyLossDistribution, n: number, h: number): { pmf: Float64Array; shift: number; infiniteMass: number; shiftOk: boolean } {
  const c = n / 2;
  const edge = (j: number) => (j - c - 0.5) * h; // left edge of bin j
  const pmf = new Float64Array(n);
  // Survival function at the edges; differences of the survival function keep the upper tail
  // (which decides δ) accurate to relative precision.
  let prev = 1; // sf at -infinity: bin 0 receives everything up to its right edge.
  let j = 0;
  for (; j < n; j++) {
    const right = edge(j + 1);
    const s = right >= loss.supportMax ? 0 : loss.sf(right);
    pmf[j] = max(0, prev - s);
    prev = s;
    if (s === 0) break;
  }
  const infiniteMass = prev > 0 ? prev : 0;
  const finite = 1 - infiniteMass;
  let meanD = 0;
  for (let i = 0; i <= min(j, n - 1); i++) {
    pmf[i] /= finite;
    meanD += pmf[i] * (i - c) * h;
  }
  const tMin = edge(0);
  const tMax = edge(n);
  const belowMass = 1 - loss.sf(tMin);
  const meanC = (tMin * belowMass + loss.partialExpectation(tMin, tMax)) / finite;
  let shift = meanC - meanD;
  // The mean shift is within half a bin by construction; anything else means the continuous
  // mean was not computed accurately: the result is then flagged unreliable.
  const shiftOk = abs(shift) < h / 2;
  if (!shiftOk) shift = 0;
  return { pmf, shift, infiniteMass, shiftOk };
}

/**
 * Discretises and composes the given mechanisms.
 * @example composeMechanisms([{ kind: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2249 }], { deltaError: 1e-8 })
 */
export function composeMechanisms(mechanisms: readonly Mechanism[], opts: { epsilonError?: number; deltaError: number }): ComposedLoss | null {
  const comps = components(mechanisms);
  const extraDelta = mechanisms.reduce((s, m) => s + additionalDelta(m), 0);
  if (comps.length === 0) return null;
  const total = comps.reduce((s, c) => s + c.count, 0);
  let epsilonError = opts.epsilonError ?? 0.01;
  const deltaError = opts.deltaError;
  const L = safeDomain(comps, total, epsilonError, deltaError);
  const errorPerMesh = sqrt((total * log(12 / deltaError)) / 2);
  let h = epsilonError / errorPerMesh;
  let n = 2;
  while (n < 2 * L / h + 2 && n < MAX_GRID_SIZE) n *= 2;
  let reliable = true;
  if (n * h < 2 * L) {
    reliable = false;
    // Grid capped: coarsen the mesh to cover the domain and report the larger ε error.
    h = (2 * L) / (n - 2);
    epsilonError = h * errorPerMesh;
  }
  const c = n / 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  // Accumulated characteristic functions per direction, as log-modulus and phase.
  const logModA = new Float64Array(n);
  const phaseA = new Float64Array(n);
  const logModB = new Float64Array(n);
  const phaseB = new Float64Array(n);
  const shift = { remove: 0, add: 0 };
  let logFiniteRemove = 0;
  let logFiniteAdd = 0;
  for (const comp of comps) {
    const r = discretiseLoss(comp.losses.remove, n, h);
    const a = comp.losses.add === comp.losses.remove ? r : discretiseLoss(comp.losses.add, n, h);
    reliable = reliable && r.shiftOk && a.shiftOk;
    shift.remove += comp.count * r.shift;
    shift.add += comp.count * a.shift;
    logFiniteRemove += comp.count * log1p(-r.infiniteMass);
    logFiniteAdd += comp.count * log1p(-a.infiniteMass);
    // Two real transforms in one complex FFT: remove in the real part, add in the imaginary part.
    re.set(r.pmf);
    im.set(a.pmf);
    fft(re, im);
    const T = comp.count;
    for (let k = 0; k < n; k++) {
      const nk = (n - k) & (n - 1);
      const zr = re[k], zi = im[k], wr = re[nk], wi = im[nk];
      const ar = (zr + wr) / 2, ai = (zi - wi) / 2; // spectrum of the remove pmf
      const br = (zi + wi) / 2, bi = (wr - zr) / 2; // spectrum of the add pmf
      logModA[k] += T * 0.5 * log(ar * ar + ai * ai);
      phaseA[k] += T * atan2(ai, ar);
      logModB[k] += T * 0.5 * log(br * br + bi * bi);
      phaseB[k] += T * atan2(bi, br);
    }
  }
  for (let k = 0; k < n; k++) {
    const ma = exp(logModA[k]);
    const mb = exp(logModB[k]);
    const ar = ma * cos(phaseA[k]), ai = ma * sin(phaseA[k]);
    const br = mb * cos(phaseB[k]), bi = mb * sin(phaseB[k]);
    // W = A + i·B, so the inverse transform has the composed remove pmf in its real part and add in its imaginary part.
    re[k] = ar - bi;
    im[k] = ai + br;
  }
  fft(re, im, true);
  // A sum of T indices each centred at n/2 is centred at T·n/2: rotate it back to n/2.
  const rotate = total % 2 === 0 ? c : 0;
  const remove = new Float64Array(n);
  const add = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const j = (k + rotate) & (n - 1);
    remove[j] = re[k] > 0 ? re[k] : 0;
    add[j] = im[k] > 0 ? im[k] : 0;
  }
  return {
    mesh: h,
    size: n,
    pmf: { remove, add },
    shift,
    infiniteMass: { remove: -expm1(logFiniteRemove), add: -expm1(logFiniteAdd) },
    epsilonError,
    deltaError,
    compositions: total,
    additionalDelta: extraDelta,
    reliable,
  };
}

/**
 * The ε̂ at which the discrete loss has δ̂(ε̂) = target, for a finite-loss pmf on t_j = (j - n/2)h + shift:
 * δ̂(ε) = Σ_{t_j > ε} p_j (1 - e^{ε - t_j}), scanned from the top with running sums.
 */
function epsilonAt(pmf: Float64Array, h: number, shift: number, target: number): number {
  const n = pmf.length;
  const c = n / 2;
  const decay = exp(-h);
  let d1 = 0; // Σ_{i >= j} p_i
  let d2 = 0; // Σ_{i >= j} p_i e^{t_j - t_i}
  for (let j = n - 1; j >= 0; j--) {
    const nd1 = d1 + pmf[j];
    const nd2 = pmf[j] + decay * d2;
    if (nd1 - nd2 > target) {
      // ε lies in (t_j, t_{j+1}]: δ̂(ε) = d1 - e^{ε - t_{j+1}} d2.
      const tNext = (j + 1 - c) * h + shift;
      return tNext + log((d1 - target) / d2);
    }
    d1 = nd1;
    d2 = nd2;
  }
  // δ̂ at the lowest grid point is still <= target: ε is below the grid.
  return d2 > 0 && d1 > target ? (-c * h + shift) + log((d1 - target) / d2) : -INF;
}

/** δ̂(ε) of a finite-loss pmf on the shifted grid. */
function deltaAt(pmf: Float64Array, h: number, shift: number, epsilon: number): number {
  const n = pmf.length;
  const c = n / 2;
  let s = 0;
  for (let j = n - 1; j >= 0; j--) {
    const t = (j - c) * h + shift;
    if (t <= epsilon) break;
    s += pmf[j] * -expm1(epsilon - t);
  }
  return s;
}

/** An ε bound from the numerical accountant. */
export interface PrvEpsilon {
  /** Upper bound: ε̂(δ - δ_err) + ε_err, the larger over the two directions. */
  epsilon: number;
  /** The estimate ε̂(δ). */
  estimate: number;
  /** Lower bound: ε̂(δ + δ_err) - ε_err. */
  lower: number;
  /** ε_err. */
  error: number;
  deltaError: number;
  mesh: number;
  gridSize: number;
  /** See {@link ComposedLoss.reliable}. */
  reliable: boolean;
}

/** Reads ε(δ) bounds from a composed loss. */
export function epsilonFromComposed(comp: ComposedLoss, delta: number): PrvEpsilon {
  const base = { error: comp.epsilonError, deltaError: comp.deltaError, mesh: comp.mesh, gridSize: comp.size, reliable: comp.reliable };
  const read = (d: number): number => {
    const dd = d - comp.additionalDelta;
    let worst = 0;
    for (const dir of ['remove', 'add'] as const) {
      const inf = comp.infiniteMass[dir];
      if (dd <= inf) return INF;
      const target = (dd - inf) / (1 - inf);
      worst = max(worst, epsilonAt(comp.pmf[dir], comp.mesh, comp.shift[dir], target));
    }
    return worst;
  };
  const upper = read(delta - comp.deltaError) + comp.epsilonError;
  const estimate = max(0, read(delta));
  const lower = max(0, read(delta + comp.deltaError) - comp.epsilonError);
  // Floating-point noise of the FFT and of the running sums is about size · 2^-52 in δ; the
  // bound is only meaningful when δ - δ_err is well above it.
  if (DOUBLE_EPSILON * comp.size * 16 > delta - comp.deltaError) {
    return { epsilon: INF, estimate, lower, ...base };
  }
  return { epsilon: max(0, upper), estimate, lower, ...base };
}

/** Reads the δ(ε) upper bound δ̂(ε - ε_err) + δ_err (and the estimate) from a composed loss. */
export function deltaFromComposed(comp: ComposedLoss, epsilon: number): { delta: number; estimate: number; error: number; epsilonError: number } {
  const read = (e: number): number => {
    let worst = 0;
    for (const dir of ['remove', 'add'] as const) {
      const inf = comp.infiniteMass[dir];
      worst = max(worst, inf + (1 - inf) * deltaAt(comp.pmf[dir], comp.mesh, comp.shift[dir], e));
    }
    return min(1, worst + comp.additionalDelta);
  };
  return {
    delta: min(1, read(epsilon - comp.epsilonError) + comp.deltaError),
    estimate: read(epsilon),
    error: comp.deltaError,
    epsilonError: comp.epsilonError,
  };
}

/**
 * ε of composed mechanisms at δ by the numerical PRV accountant (upper bound, see module doc).
 * @example prvEpsilon([{ kind: 'subsampled-gaussian', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2249 }], 1e-5).epsilon // about 6.777
 */
export function prvEpsilon(mechanisms: readonly Mechanism[], delta: number, opts: PrvOptions = {}): PrvEpsilon {
  const epsilonError = opts.epsilonError ?? DEFAULT_PRV_EPSILON_ERROR;
  const deltaError = opts.deltaError ?? delta / 1000;
  const none = { error: epsilonError, deltaError, mesh: 0, gridSize: 0, reliable: true };
  if (mechanisms.some(isNoiseless)) return { epsilon: INF, estimate: INF, lower: INF, ...none };
  const extra = mechanisms.reduce((s, m) => s + additionalDelta(m), 0);
  if (!(delta > extra)) return { epsilon: INF, estimate: INF, lower: INF, ...none };
  const comp = composeMechanisms(mechanisms, { epsilonError, deltaError: min(deltaError, (delta - extra) / 2) });
  if (!comp) return { epsilon: 0, estimate: 0, lower: 0, ...none };
  return epsilonFromComposed(comp, delta);
}

/**
 * δ(ε) of composed mechanisms by the numerical PRV accountant: an upper bound `delta` and the estimate.
 * @example prvDelta([{ kind: 'gaussian', noiseMultiplier: sqrt(3), count: 3 }], 1).delta // about 0.1269
 */
export function prvDelta(mechanisms: readonly Mechanism[], epsilon: number, opts: PrvOptions = {}): { delta: number; estimate: number; error: number; epsilonError: number; reliable?: boolean } {
  const epsilonError = opts.epsilonError ?? 0.001;
  const deltaError = opts.deltaError ?? 1e-10;
  if (mechanisms.some(isNoiseless)) return { delta: 1, estimate: 1, error: deltaError, epsilonError };
  const comp = composeMechanisms(mechanisms, { epsilonError, deltaError });
  if (!comp) {
    const extra = min(1, mechanisms.reduce((s, m) => s + additionalDelta(m), 0));
    return { delta: extra, estimate: extra, error: 0, epsilonError };
  }
  return { ...deltaFromComposed(comp, epsilon), reliable: comp.reliable };
}
