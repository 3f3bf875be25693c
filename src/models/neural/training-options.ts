/**
 * Options of the neural generators (`hemasynth train --model tvae|ctgan` passes them through
 * `options`), validated once with the field named in every error.
 */
import { backendStatuses, type BackendName } from '../../backend/availability';
import { BackendUnavailableError, UsageError, describeValue } from '../../errors';

/** Options common to TVAE and CTGAN. */
export interface NeuralTrainingOptions {
  /** Backend for training and native sampling: js | cpu | cuda | auto (default auto). */
  backend: BackendName | 'auto';
  /** Native threads (0 = all cores). */
  threads: number | undefined;
  epochs: number;
  /** Rows per batch (non-private) or the expected Poisson batch q·N (DP). */
  batchSize: number;
  learningRate: number;
  /** DP-SGD clipping norm C. */
  maxGradNorm: number;
  /** Quantile bins per numeric column (the modes of the normaliser). */
  bins: number;
  /** Share of ε spent on the normaliser and counts (DP only). */
  preprocessingShare: number;
  /** Share of ε spent on the missing rates of the missingness groups (DP only; default defaultMissingnessShare). */
  missingnessShare: number | undefined;
  /** Upper bound on the training steps (default none: epochs × rows / batch); for fixed-budget runs on big tables. */
  maxSteps: number | undefined;
  /** Calibrate the code marginals and missing rates after training (default true; see output-calibration.ts). */
  calibrate: boolean;
}

function pick<T>(o: Record<string, unknown>, key: string, fallback: T, ok: (v: unknown) => boolean, expected: string, model: string): T {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (!ok(v)) throw new UsageError(`Expected ${expected} for ${model} option ${key} but received ${describeValue(v)}`);
  return v as T;
}

const isInt = (min: number, max: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isNum = (min: number, max: number) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > min && v <= max;

/** The options neuralOptions reads (each neural generator adds its own). */
export const NEURAL_OPTIONS = ['backend', 'threads', 'epochs', 'batchSize', 'learningRate', 'maxGradNorm', 'bins', 'preprocessingShare', 'missingnessShare', 'maxSteps', 'calibrate'] as const;

/**
 * Reads the common options with per-model defaults.
 * @example neuralOptions({ epochs: 20 }, 'tvae', { epochs: 300, batchSize: 500, learningRate: 1e-3 })
 */
export function neuralOptions(o: Record<string, unknown>, model: string, defaults: { epochs: number; batchSize: number; learningRate: number }): NeuralTrainingOptions {
  return {
    backend: pick(o, 'backend', 'auto' as BackendName | 'auto', (v) => v === 'js' || v === 'cpu' || v === 'cuda' || v === 'auto', 'one of js, cpu, cuda, auto', model),
    threads: pick(o, 'threads', undefined as number | undefined, isInt(0, 1024), 'an integer in [0, 1024]', model),
    epochs: pick(o, 'epochs', defaults.epochs, isInt(1, 100000), 'an integer in [1, 100000]', model),
    batchSize: pick(o, 'batchSize', defaults.batchSize, isInt(1, 1_000_000), 'an integer in [1, 1000000]', model),
    learningRate: pick(o, 'learningRate', defaults.learningRate, isNum(0, 1), 'a number in (0, 1]', model),
    maxGradNorm: pick(o, 'maxGradNorm', 1, isNum(0, 1e6), 'a number > 0', model),
    bins: pick(o, 'bins', 10, isInt(2, 200), 'an integer in [2, 200]', model),
    preprocessingShare: pick(o, 'preprocessingShare', 0.1, isNum(0, 0.9), 'a number in (0, 0.9]', model),
    missingnessShare: pick(o, 'missingnessShare', undefined as number | undefined, isNum(0, 0.85), 'a number in (0, 0.85]', model),
    maxSteps: pick(o, 'maxSteps', undefined as number | undefined, isInt(1, 100_000_000), 'an integer in [1, 100000000]', model),
    calibrate: pick(o, 'calibrate', true, (v) => typeof v === 'boolean', 'true or false', model),
  };
}

/** Reads an integer option. */
export function intOption(o: Record<string, unknown>, key: string, fallback: number, min: number, max: number, model: string): number {
  return pick(o, key, fallback, isInt(min, max), `an integer in [${min}, ${max}]`, model);
}

/**
 * A number option in (min, max], or its default when absent; anything else is refused by name.
 * @example numberOption(ctx.options, 'lossFactor', 2, 0, 1e6, 'tvae')
 */
export function numberOption(o: Record<string, unknown>, key: string, fallback: number, min: number, max: number, model: string): number {
  return pick(o, key, fallback, isNum(min, max), `a number in (${min}, ${max}]`, model);
}

/**
 * Refuses a backend asked for by name that cannot run here (cuda without a usable GPU, cpu
 * without the native addon), as training would (resolveBackend), but without constructing it:
 * called before anything is charged. `auto` always resolves (js is always usable).
 * @example requireUsableBackend('cuda', 'tvae') // throws BackendUnavailableError without a GPU
 */
export function requireUsableBackend(backend: BackendName | 'auto', model: string): void {
  if (backend === 'auto') return;
  const status = backendStatuses().find((b) => b.name === backend);
  if (!status?.usable) throw new BackendUnavailableError(`backend ${backend} is unusable for ${model} option backend: ${status?.reason ?? 'unknown backend'}; use backend auto (or js/cpu)`);
}
