/**
 * Piscina worker task of the evaluation: runs one section (fidelity, utility or privacy) on
 * tables already in column form. Tables arrive by structured clone (typed arrays copy once);
 * each worker loads its own instance of the addon, which keeps no global state.
 *
 * Thread arithmetic: the caller runs W workers with T native threads each, W × T ≤ cores.
 */
import type { EvalTable } from '../evaluate/table-columns';
import { evaluateFidelity } from '../evaluate/fidelity/evaluate-fidelity';
import { evaluateUtility } from '../evaluate/utility/evaluate-utility';
import { evaluatePrivacy, PrivacyOptions } from '../evaluate/privacy/evaluate-privacy';
import { HemasynthError, UsageError } from '../errors';

/** One section to compute. */
export interface EvaluateSectionTask {
  section: 'fidelity' | 'utility' | 'privacy';
  train: EvalTable;
  holdout: EvalTable;
  synthetic: EvalTable;
  target?: string;
  privacy?: PrivacyOptions;
  seed: number;
  threads: number;
}

/**
 * Computes a section and its wall time.
 * @example await pool.run({ section: 'fidelity', train, holdout, synthetic, seed: 1, threads: 1 })
 */
export default function runEvaluateSection(task: EvaluateSectionTask): { result: unknown; seconds: number; error?: SectionError } {
  const t0 = performance.now();
  let result: unknown;
  try {
    if (task.section === 'fidelity') result = evaluateFidelity(task.train, task.holdout, task.synthetic, { seed: task.seed, threads: task.threads });
    else if (task.section === 'utility') result = evaluateUtility(task.train, task.holdout, task.synthetic, task.target!, { threads: task.threads });
    else result = evaluatePrivacy(task.train, task.holdout, task.synthetic, { ...task.privacy, seed: task.seed, threads: task.threads });
  } catch (e) {
    // A thrown error reaches the caller as a plain Error (its class is lost on the way), and bad
    // input would be reported as an internal error: hemasynth's own errors are sent as data.
    if (e instanceof HemasynthError) return { result: null, seconds: (performance.now() - t0) / 1000, error: { usage: e instanceof UsageError, message: e.message } };
    throw e;
  }
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/** A hemasynth error of a section, rethrown by the caller as a UsageError (`usage`) or a HemasynthError. */
export interface SectionError { usage: boolean; message: string }
