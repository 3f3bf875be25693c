/**
 * Receiver operating characteristic summaries for attack and detection scores.
 */
import { normalQuantile } from './normal';

/**
 * Area under the ROC curve by the Mann–Whitney statistic (ties count one half).
 * Scores: higher means "positive". Returns null when a class is empty.
 * @example rocAuc([0.9, 0.8], [0.1, 0.85]) // 0.75
 */
export function rocAuc(positive: ArrayLike<number>, negative: ArrayLike<number>): number | null {
  const np = positive.length, nn = negative.length;
  if (np === 0 || nn === 0) return null;
  const all: { s: number; p: boolean }[] = [];
  for (let i = 0; i < np; i++) all.push({ s: positive[i], p: true });
  for (let i = 0; i < nn; i++) all.push({ s: negative[i], p: false });
  all.sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let s = 0; s < all.length;) {
    let e = s;
    while (e + 1 < all.length && all[e + 1].s === all[s].s) e++;
    const r = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) if (all[k].p) rankSumPos += r;
    s = e + 1;
  }
  return (rankSumPos - (np * (np + 1)) / 2) / (np * nn);
}

/**
 * Confidence interval of an AUC by Hanley & McNeil (Radiology 143, 1982) standard error.
 * @example aucInterval(0.8, 100, 100, 0.95)
 */
export function aucInterval(auc: number, nPositive: number, nNegative: number, confidence = 0.95): [number, number] {
  const q1 = auc / (2 - auc), q2 = (2 * auc * auc) / (1 + auc);
  const v = (auc * (1 - auc) + (nPositive - 1) * (q1 - auc * auc) + (nNegative - 1) * (q2 - auc * auc)) / (nPositive * nNegative);
  const z = normalQuantile((1 + confidence) / 2);
  const se = Math.sqrt(Math.max(0, v));
  return [Math.max(0, auc - z * se), Math.min(1, auc + z * se)];
}

/**
 * True-positive rate at a false-positive rate no larger than `fpr`: the threshold is the
 * smallest score that keeps at most floor(fpr * nNegative) negatives strictly above it.
 * @example tprAtFpr([3, 2, 1], [0, 0, 0], 0.01) // { tpr: 1, fpr: 0, threshold: 0 }
 */
export function tprAtFpr(positive: ArrayLike<number>, negative: ArrayLike<number>, fpr: number): { tpr: number; fpr: number; threshold: number; truePositives: number } {
  const neg = Array.from(negative).sort((a, b) => b - a);
  const allowed = Math.floor(fpr * neg.length);
  // Threshold: positives must score strictly above it; at most `allowed` negatives do.
  let threshold = allowed < neg.length ? neg[allowed] : -Infinity;
  let fp = 0;
  for (const s of neg) if (s > threshold) fp++;
  if (fp > allowed) threshold = Infinity;
  fp = 0;
  for (const s of neg) if (s > threshold) fp++;
  let tp = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i] > threshold) tp++;
  return { tpr: positive.length ? tp / positive.length : 0, fpr: neg.length ? fp / neg.length : 0, threshold, truePositives: tp };
}
