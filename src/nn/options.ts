/** Trainer options shared by every backend, validated and defaulted in one place. */
import { UsageError, describeValue } from '../errors';

/** Optimizer settings. */
export interface OptimizerOptions {
  kind: 'sgd' | 'adam' | 'adamw';
  /** Default 1e-3. */
  learningRate?: number;
  /** Defaults 0.9, 0.999, 1e-8 (Kingma & Ba 2015). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam/SGD: L2 added to the gradient; AdamW: decoupled decay. Default 0 (AdamW: 0.01). */
  weightDecay?: number;
}

/** DP-SGD settings (Abadi et al. 2016), passed by name only. */
export interface DpSgdOptions {
  /** σ: the noise standard deviation is σ·maxGradNorm. */
  noiseMultiplier: number;
  /** C: per-sample gradients are clipped to this L2 norm. */
  maxGradNorm: number;
  /** q: Poisson sampling rate of poissonStep()/train({poisson: true}). */
  sampleRate: number;
  /** q·N: the noisy sum is divided by this, whatever the realised batch size. */
  expectedBatchSize: number;
}

/** Options of createTrainer(). */
export interface TrainerOptions {
  optimizer?: OptimizerOptions;
  dp?: DpSgdOptions;
  /**
   * Integer seed in [0, 2^53) for a reproducible run (initial weights, sampling, dropout, noise).
   * For reproducibility only, never for production: anyone who knows the seed knows the noise.
   * Omitted: the keystream is keyed from the operating system.
   */
  seed?: number;
  /** Native threads (cpu backend); default HEMASYNTH_THREADS or all cores. */
  threads?: number;
}

/** Fully defaulted optimizer settings. */
export interface ResolvedOptimizer {
  kind: 'sgd' | 'adam' | 'adamw';
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const OPTIMIZER_CODES = { sgd: 0, adam: 1, adamw: 2 } as const;

function num(ok: boolean, expected: string, name: string, v: unknown): void {
  if (!ok) throw new UsageError(`Expected ${expected} for ${name} but received ${describeValue(v)}`);
}

/** Defaults and validates the optimizer options. */
export function resolveOptimizer(o: OptimizerOptions | undefined): ResolvedOptimizer {
  const kind = o?.kind ?? 'adam';
  num(kind in OPTIMIZER_CODES, 'one of sgd, adam, adamw', 'optimizer.kind', kind);
  const r: ResolvedOptimizer = {
    kind,
    learningRate: o?.learningRate ?? 1e-3,
    beta1: o?.beta1 ?? 0.9,
    beta2: o?.beta2 ?? 0.999,
    eps: o?.eps ?? 1e-8,
    weightDecay: o?.weightDecay ?? (kind === 'adamw' ? 0.01 : 0),
  };
  num(Number.isFinite(r.learningRate) && r.learningRate >= 0, 'a finite number >= 0', 'optimizer.learningRate', r.learningRate);
  num(r.beta1 >= 0 && r.beta1 < 1, 'a number in [0, 1)', 'optimizer.beta1', r.beta1);
  num(r.beta2 >= 0 && r.beta2 < 1, 'a number in [0, 1)', 'optimizer.beta2', r.beta2);
  num(r.eps > 0, 'a number > 0', 'optimizer.eps', r.eps);
  num(Number.isFinite(r.weightDecay) && r.weightDecay >= 0, 'a number >= 0', 'optimizer.weightDecay', r.weightDecay);
  return r;
}

/** Validates DP settings (names each field). */
export function validateDp(dp: DpSgdOptions | undefined): DpSgdOptions | undefined {
  if (dp === undefined) return undefined;
  num(typeof dp === 'object' && dp !== null, 'an object {noiseMultiplier, maxGradNorm, sampleRate, expectedBatchSize}', 'dp', dp);
  num(Number.isFinite(dp.noiseMultiplier) && dp.noiseMultiplier >= 0, 'a finite number >= 0', 'dp.noiseMultiplier', dp.noiseMultiplier);
  num(Number.isFinite(dp.maxGradNorm) && dp.maxGradNorm > 0, 'a finite number > 0', 'dp.maxGradNorm', dp.maxGradNorm);
  num(typeof dp.sampleRate === 'number' && dp.sampleRate > 0 && dp.sampleRate <= 1, 'a number in (0, 1]', 'dp.sampleRate', dp.sampleRate);
  num(Number.isFinite(dp.expectedBatchSize) && dp.expectedBatchSize > 0, 'a number > 0', 'dp.expectedBatchSize', dp.expectedBatchSize);
  return dp;
}

/** Validates a seed: an integer in [0, 2^53). */
export function validateSeed(seed: number | undefined): number | undefined {
  if (seed === undefined) return undefined;
  num(Number.isSafeInteger(seed) && seed >= 0, 'an integer in [0, 2^53)', 'seed', seed);
  return seed;
}

/**
 * Native thread count: the option, else HEMASYNTH_THREADS, else 0 (all cores).
 * @example resolveThreads(undefined) // 0 unless HEMASYNTH_THREADS is set
 */
export function resolveThreads(threads: number | undefined): number {
  if (threads !== undefined) {
    num(Number.isInteger(threads) && threads >= 0 && threads <= 1024, 'an integer in [0, 1024]', 'threads', threads);
    return threads;
  }
  const env = process.env.HEMASYNTH_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    num(Number.isInteger(n) && n >= 0 && n <= 1024, 'an integer in [0, 1024]', 'HEMASYNTH_THREADS', env);
    return n;
  }
  return 0;
}
