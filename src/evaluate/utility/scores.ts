/** Scores of a model on held-out real data. */
import { rocAuc } from '../statistics/roc';

/**
 * Share of correct class predictions.
 * @example accuracy(Int32Array.of(0, 1), Int32Array.of(0, 0)) // 0.5
 */
export function accuracy(truth: Int32Array, predicted: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) ok++;
  return truth.length ? ok / truth.length : 0;
}

/**
 * Macro-averaged F1 over the classes present in truth or prediction (a class never
 * predicted and never true does not count; F1 of a class with no true or predicted
 * positives is 0).
 * @example macroF1(Int32Array.of(0, 0, 1, 1), Int32Array.of(0, 1, 1, 1)) // (2/3 + 0.8)/2
 */
export function macroF1(truth: Int32Array, predicted: Int32Array): number {
  const classes = new Set<number>([...truth, ...predicted]);
  let sum = 0;
  for (const c of classes) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < truth.length; i++) {
      if (predicted[i] === c && truth[i] === c) tp++;
      else if (predicted[i] === c) fp++;
      else if (truth[i] === c) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return classes.size ? sum / classes.size : 0;
}

/**
 * One-vs-rest AUC averaged over classes present in truth with both positives and negatives
 * (Hand & Till would weigh pairs; the macro OvR mean is what scikit-learn reports as "ovr").
 * scores[c][i] is the score of class c for row i.
 */
export function macroAuc(truth: Int32Array, scores: Float64Array[]): number | null {
  const aucs: number[] = [];
  scores.forEach((s, c) => {
    const pos: number[] = [], neg: number[] = [];
    for (let i = 0; i < truth.length; i++) (truth[i] === c ? pos : neg).push(s[i]);
    const a = rocAuc(pos, neg);
    if (a !== null) aucs.push(a);
  });
  return aucs.length ? aucs.reduce((x, y) => x + y, 0) / aucs.length : null;
}
