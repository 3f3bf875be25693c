/**
 * One-call facade over the accountants: ε of DP-SGD, δ at an ε, ε of heterogeneous
 * compositions, and calibration of the noise multiplier. Parameters are passed by name only.
 */
import { UsageError, describeValue } from '../../errors';
import { AccountantName, DeltaReport, EpsilonReport } from './accountant';
import { Mechanism, SubsampledGaussianMechanism, validateMechanism } from './mechanisms';
import { prvDelta, prvEpsilon } from './prv-analysis';
import { mechanismRdp, OPACUS_DEFAULT_ORDERS, RdpConversion, rdpToDelta, rdpToEpsilon } from './rdp-analysis';
import { resolveAccountantName } from './registry';

function expectNumber(v: unknown, ok: (n: number) => boolean, expected: string, name: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) throw new UsageError(`Expected ${expected} for ${name} but received ${describeValue(v)}`);
  return v;
}

/** Accountant choice and its options. */
export interface AccountingOptions {
  /** 'prv' (default; 'pld' is an alias) or 'rdp'. */
  accountant?: AccountantName | 'pld';
  /** RDP only: the orders (default Opacus'). */
  orders?: readonly number[];
  /** RDP only: the (ε, δ) conversion (default Balle et al. 2020). */
  conversion?: RdpConversion;
  /** PRV only: tolerated ε error (default 0.01). */
  epsilonError?: number;
}

/** Parameters of DP-SGD with Poisson sampling. */
export interface DpSgdParameters extends AccountingOptions {
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
  delta: number;
}

/** Why a PRV query reported an RDP bound. */
export const PRV_FALLBACK_NOTE = 'the PRV grid needed for the requested accuracy exceeds its size limit; the (tighter) RDP upper bound is reported';

function checkDelta(delta: unknown, name = 'delta'): number {
  return expectNumber(delta, (d) => d > 0 && d < 1, 'a delta in (0, 1)', name);
}

/**
 * ε (a guaranteed upper bound) of any list of mechanisms composed, at δ.
 * @example
 * composeEpsilon({ mechanisms: [
 *   { kind: 'subsampled-gaussian', noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000 },
 *   { kind: 'laplace', scale: 10, count: 2 },
 * ], delta: 1e-5 }).epsilon
 */
export function composeEpsilon(p: AccountingOptions & { mechanisms: readonly Mechanism[]; delta: number }): EpsilonReport {
  const accountant = resolveAccountantName(p.accountant);
  const delta = checkDelta(p.delta);
  const mechanisms = p.mechanisms.map((m, i) => validateMechanism(m, `mechanisms[${i}]`));
  if (accountant === 'rdp') {
    const orders = p.orders ?? OPACUS_DEFAULT_ORDERS;
    const extra = mechanisms.reduce((s, m) => s + (m.kind === 'gaussian' ? (m.additionalDelta ?? 0) * (m.count ?? 1) : 0), 0);
    if (!(delta > extra)) return { accountant, epsilon: Infinity, delta, order: orders[0] };
    const rdp = orders.map((a) => mechanisms.reduce((s, m) => s + mechanismRdp(m, a), 0));
    const r = rdpToEpsilon(orders, rdp, delta - extra, p.conversion);
    return { accountant, epsilon: r.epsilon, delta, order: r.order };
  }
  const r = prvEpsilon(mechanisms, delta, { epsilonError: p.epsilonError });
  if (!r.reliable) {
    // Both are upper bounds; when the PRV grid could not be fine enough, RDP is usually tighter.
    const rdp = composeEpsilon({ ...p, accountant: 'rdp', mechanisms });
    if (rdp.epsilon < r.epsilon) return { ...rdp, accountant, note: PRV_FALLBACK_NOTE };
  }
  return { accountant, epsilon: r.epsilon, delta, error: r.error, estimate: r.estimate };
}

/**
 * δ (a guaranteed upper bound) of a list of mechanisms composed, at ε.
 * @example composeDelta({ mechanisms: [{ kind: 'gaussian', noiseMultiplier: Math.sqrt(3), count: 3 }], epsilon: 1 }).delta // about 0.127
 */
export function composeDelta(p: AccountingOptions & { mechanisms: readonly Mechanism[]; epsilon: number }): DeltaReport {
  const accountant = resolveAccountantName(p.accountant);
  const epsilon = expectNumber(p.epsilon, (e) => e >= 0, 'an epsilon >= 0', 'epsilon');
  const mechanisms = p.mechanisms.map((m, i) => validateMechanism(m, `mechanisms[${i}]`));
  if (accountant === 'rdp') {
    const orders = p.orders ?? OPACUS_DEFAULT_ORDERS;
    const rdp = orders.map((a) => mechanisms.reduce((s, m) => s + mechanismRdp(m, a), 0));
    const extra = mechanisms.reduce((s, m) => s + (m.kind === 'gaussian' ? (m.additionalDelta ?? 0) * (m.count ?? 1) : 0), 0);
    const r = rdpToDelta(orders, rdp, epsilon, p.conversion);
    return { accountant, delta: Math.min(1, r.delta + extra), epsilon, order: r.order };
  }
  const r = prvDelta(mechanisms, epsilon, { epsilonError: p.epsilonError });
  if (r.reliable === false) {
    const rdp = composeDelta({ ...p, accountant: 'rdp', mechanisms });
    if (rdp.delta < r.delta) return { ...rdp, accountant, note: PRV_FALLBACK_NOTE };
  }
  return { accountant, delta: r.delta, epsilon, estimate: r.estimate };
}

function dpSgdMechanism(p: { noiseMultiplier: unknown; sampleRate: unknown; steps: unknown }): SubsampledGaussianMechanism {
  return {
    kind: 'subsampled-gaussian',
    noiseMultiplier: expectNumber(p.noiseMultiplier, (s) => s >= 0, 'a noise multiplier >= 0', 'noiseMultiplier'),
    sampleRate: expectNumber(p.sampleRate, (q) => q >= 0 && q <= 1, 'a sample rate in [0, 1]', 'sampleRate'),
    steps: expectNumber(p.steps, (t) => Number.isInteger(t) && t >= 0, 'an integer number of steps >= 0', 'steps'),
  };
}

/**
 * ε of DP-SGD (Poisson-subsampled Gaussian, `steps` steps) at δ: a guaranteed upper bound,
 * with `order` (RDP) or `error` and `estimate` (PRV).
 * @example computeEpsilon({ accountant: 'prv', noiseMultiplier: 1.5, sampleRate: 0.04, steps: 2249, delta: 1e-5 }).epsilon // 6.7774
 */
export function computeEpsilon(p: DpSgdParameters): EpsilonReport {
  return composeEpsilon({ ...p, mechanisms: [dpSgdMechanism(p)] });
}

/**
 * δ of DP-SGD at ε (upper bound).
 * @example computeDelta({ noiseMultiplier: 0.5, sampleRate: 0.2, steps: 3, epsilon: 1 }).delta // about 0.156
 */
export function computeDelta(p: AccountingOptions & { noiseMultiplier: number; sampleRate: number; steps: number; epsilon: number }): DeltaReport {
  return composeDelta({ ...p, mechanisms: [dpSgdMechanism(p)] });
}

/** Result of {@link calibrateNoiseMultiplier}. */
export interface CalibrationResult {
  accountant: AccountantName;
  /** The smallest noise multiplier found whose ε is at or below the target. */
  noiseMultiplier: number;
  /** ε at that noise multiplier (<= targetEpsilon). */
  epsilon: number;
  targetEpsilon: number;
  delta: number;
  /** Relative width of the final bracket: the true smallest σ is within this of `noiseMultiplier`. */
  relativePrecision: number;
  /** Number of ε evaluations. */
  evaluations: number;
}

/** Largest noise multiplier searched before declaring the budget unreachable. */
const MAX_SIGMA = 1e6;

/**
 * The smallest noise multiplier σ whose ε(δ) stays at or below `targetEpsilon` for the given
 * sample rate and steps. The returned σ never overshoots: its ε is <= the target. RDP: bisection
 * to 1e-6 relative. PRV: bracketed by the RDP answer (an upper bound on the PRV answer up to the
 * PRV error), then the Illinois variant of regula falsi to 1e-3 relative.
 * @example calibrateNoiseMultiplier({ accountant: 'rdp', targetEpsilon: 8, delta: 1e-5, sampleRate: 0.04, steps: 2250 }).noiseMultiplier // about 1.416
 */
export function calibrateNoiseMultiplier(p: AccountingOptions & { targetEpsilon: number; delta: number; sampleRate: number; steps: number; relativePrecision?: number }): CalibrationResult {
  const accountant = resolveAccountantName(p.accountant);
  const target = expectNumber(p.targetEpsilon, (e) => e > 0 && Number.isFinite(e), 'a finite target epsilon > 0', 'targetEpsilon');
  const delta = checkDelta(p.delta);
  const base = dpSgdMechanism({ noiseMultiplier: 1, sampleRate: p.sampleRate, steps: p.steps });
  let evaluations = 0;
  const epsilonOf = (acc: AccountantName, sigma: number): number => {
    evaluations++;
    return composeEpsilon({ ...p, accountant: acc, delta, mechanisms: [{ ...base, noiseMultiplier: sigma }] }).epsilon;
  };
  const result = (sigma: number, eps: number, precision: number): CalibrationResult => ({ accountant, noiseMultiplier: sigma, epsilon: eps, targetEpsilon: target, delta, relativePrecision: precision, evaluations });
  if (base.sampleRate === 0 || base.steps === 0) return result(0, 0, 0);

  // RDP: exact bisection.
  const rdpPrecision = accountant === 'rdp' ? p.relativePrecision ?? 1e-6 : 1e-4;
  let hi = 1;
  let epsHi = epsilonOf('rdp', hi);
  while (epsHi > target) {
    hi *= 2;
    if (hi > MAX_SIGMA) throw new UsageError(`Expected a target epsilon reachable with a noise multiplier <= ${MAX_SIGMA} for targetEpsilon but received number ${target} (sample rate ${base.sampleRate}, ${base.steps} steps, delta ${delta})`);
    epsHi = epsilonOf('rdp', hi);
  }
  let lo = hi / 2;
  while (epsilonOf('rdp', lo) <= target) {
    hi = lo;
    lo /= 2;
    if (lo < 1e-4) break;
  }
  epsHi = epsilonOf('rdp', hi);
  while ((hi - lo) / hi > rdpPrecision) {
    const mid = (lo + hi) / 2;
    const e = epsilonOf('rdp', mid);
    if (e <= target) {
      hi = mid;
      epsHi = e;
    } else lo = mid;
  }
  if (accountant === 'rdp') return result(hi, epsHi, (hi - lo) / hi);

  // PRV: bracket [lo, hi] with ε(lo) > target >= ε(hi), starting from the RDP answer.
  const prvPrecision = p.relativePrecision ?? 1e-3;
  let sHi = hi;
  let fHi = epsilonOf('prv', sHi) - target;
  for (let i = 0; fHi > 0; i++) {
    sHi *= 1.02;
    if (i > 200 || sHi > MAX_SIGMA) throw new UsageError(`Expected a target epsilon reachable with the PRV accountant for targetEpsilon but received number ${target}`);
    fHi = epsilonOf('prv', sHi) - target;
  }
  let sLo = sHi * 0.9;
  let fLo = epsilonOf('prv', sLo) - target;
  while (fLo <= 0) {
    sHi = sLo;
    fHi = fLo;
    sLo *= 0.9;
    if (sLo < 1e-4) return result(sHi, fHi + target, 1);
    fLo = epsilonOf('prv', sLo) - target;
  }
  // Illinois regula falsi keeps the bracket, so the answer (sHi) never overshoots.
  let side = 0;
  let wLo = fLo;
  let wHi = fHi;
  for (let i = 0; i < 60 && (sHi - sLo) / sHi > prvPrecision; i++) {
    let x = (sLo * wHi - sHi * wLo) / (wHi - wLo);
    const margin = 0.05 * (sHi - sLo);
    if (!(x > sLo + margin && x < sHi - margin)) x = Math.min(Math.max(x, sLo + margin), sHi - margin);
    const fx = epsilonOf('prv', x) - target;
    if (fx > 0) {
      sLo = x;
      fLo = fx;
      wLo = fx;
      if (side === -1) wHi /= 2;
      side = -1;
    } else {
      sHi = x;
      fHi = fx;
      wHi = fx;
      if (side === 1) wLo /= 2;
      side = 1;
    }
  }
  return result(sHi, fHi + target, (sHi - sLo) / sHi);
}
