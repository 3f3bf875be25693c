/**
 * The mechanisms the accountants understand, described by their privacy parameters only.
 * Adjacency throughout is add/remove one record; the subsampled Gaussian assumes Poisson
 * sampling (each record joins a batch independently with probability `sampleRate`).
 *
 * Sensitivities are normalised: `noiseMultiplier` is the Gaussian standard deviation divided by
 * the L2 sensitivity, `scale` the Laplace scale divided by the L1 sensitivity.
 */
import { UsageError, describeValue } from '../../errors';

/** DP-SGD steps: Poisson-subsampled Gaussian mechanism composed `steps` times. */
export interface SubsampledGaussianMechanism {
  kind: 'subsampled-gaussian';
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
}

/** The Gaussian mechanism on the whole data set (no subsampling), applied `count` times. */
export interface GaussianMechanism {
  kind: 'gaussian';
  noiseMultiplier: number;
  count?: number;
  /** A δ spent outside the Gaussian noise itself, e.g. the threshold of a thresholded histogram. */
  additionalDelta?: number;
}

/** The Laplace mechanism (for counts), applied `count` times. */
export interface LaplaceMechanism {
  kind: 'laplace';
  scale: number;
  count?: number;
}

/**
 * Any pure ε-DP mechanism (e.g. the exponential mechanism), accounted through its worst case:
 * the randomised-response pair that dominates every ε-DP mechanism (Kairouz, Oh & Viswanath 2015).
 */
export interface PureDpMechanism {
  kind: 'pure-dp';
  epsilon: number;
  count?: number;
  /** What the ε-DP mechanism was (for the record), e.g. "exponential-mechanism quantile". */
  name?: string;
}

export type Mechanism = SubsampledGaussianMechanism | GaussianMechanism | LaplaceMechanism | PureDpMechanism;

function check(ok: boolean, expected: string, field: string, value: unknown): void {
  if (!ok) throw new UsageError(`Expected ${expected} for ${field} but received ${describeValue(value)}`);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

/**
 * Validates a mechanism description and returns it with defaults filled in; throws a
 * {@link UsageError} naming the field otherwise.
 * @example validateMechanism({ kind: 'gaussian', noiseMultiplier: 2 }) // count 1
 */
export function validateMechanism(m: Mechanism, where = 'mechanism'): Required<Omit<Mechanism, 'name'>> & Mechanism {
  check(typeof m === 'object' && m !== null, 'a mechanism object', where, m);
  const count = (m as { count?: number }).count ?? 1;
  switch (m.kind) {
    case 'subsampled-gaussian':
      check(isNum(m.noiseMultiplier) && m.noiseMultiplier >= 0, 'a noise multiplier >= 0', `${where}.noiseMultiplier`, m.noiseMultiplier);
      check(isNum(m.sampleRate) && m.sampleRate >= 0 && m.sampleRate <= 1, 'a sample rate in [0, 1]', `${where}.sampleRate`, m.sampleRate);
      check(isNum(m.steps) && Number.isInteger(m.steps) && m.steps >= 0, 'an integer number of steps >= 0', `${where}.steps`, m.steps);
      return { ...m } as never;
    case 'gaussian':
      check(isNum(m.noiseMultiplier) && m.noiseMultiplier >= 0, 'a noise multiplier >= 0', `${where}.noiseMultiplier`, m.noiseMultiplier);
      check(Number.isInteger(count) && count >= 0, 'an integer count >= 0', `${where}.count`, count);
      check(m.additionalDelta === undefined || (isNum(m.additionalDelta) && m.additionalDelta >= 0 && m.additionalDelta < 1), 'an additional delta in [0, 1)', `${where}.additionalDelta`, m.additionalDelta);
      return { ...m, count, additionalDelta: m.additionalDelta ?? 0 } as never;
    case 'laplace':
      check(isNum(m.scale) && m.scale >= 0, 'a Laplace scale >= 0', `${where}.scale`, m.scale);
      check(Number.isInteger(count) && count >= 0, 'an integer count >= 0', `${where}.count`, count);
      return { ...m, count } as never;
    case 'pure-dp':
      check(isNum(m.epsilon) && m.epsilon >= 0, 'an epsilon >= 0', `${where}.epsilon`, m.epsilon);
      check(Number.isInteger(count) && count >= 0, 'an integer count >= 0', `${where}.count`, count);
      return { ...m, count } as never;
    default:
      check(false, 'a mechanism kind "subsampled-gaussian", "gaussian", "laplace" or "pure-dp"', `${where}.kind`, (m as { kind?: unknown }).kind);
      throw new Error('unreachable');
  }
}

/** How many times a mechanism is applied. */
export function compositions(m: Mechanism): number {
  return m.kind === 'subsampled-gaussian' ? m.steps : m.count ?? 1;
}

/** δ spent outside the accounted noise, summed over the mechanism's applications. */
export function additionalDelta(m: Mechanism): number {
  return m.kind === 'gaussian' ? (m.additionalDelta ?? 0) * (m.count ?? 1) : 0;
}

/** Whether a mechanism costs nothing (sample rate 0 or no applications). */
export function isFree(m: Mechanism): boolean {
  if (compositions(m) === 0) return true;
  if (m.kind === 'subsampled-gaussian') return m.sampleRate === 0;
  if (m.kind === 'pure-dp') return m.epsilon === 0;
  if (m.kind === 'laplace') return m.scale === Infinity;
  return m.noiseMultiplier === Infinity && additionalDelta(m) === 0;
}

/** Whether a mechanism releases its input without noise (infinite privacy loss). */
export function isNoiseless(m: Mechanism): boolean {
  if (isFree(m)) return false;
  if (m.kind === 'subsampled-gaussian' || m.kind === 'gaussian') return m.noiseMultiplier === 0;
  if (m.kind === 'laplace') return m.scale === 0;
  return m.epsilon === Infinity;
}

/** A stable key that groups identical mechanisms (so they compose by self-composition). */
export function mechanismKey(m: Mechanism): string {
  switch (m.kind) {
    case 'subsampled-gaussian':
      return `sg:${m.noiseMultiplier}:${m.sampleRate}`;
    case 'gaussian':
      return `sg:${m.noiseMultiplier}:1`;
    case 'laplace':
      return `lap:${m.scale}`;
    case 'pure-dp':
      return `pure:${m.epsilon}`;
  }
}
