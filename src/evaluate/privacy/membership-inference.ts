/**
 * Distance-based membership-inference attack (the "distance to closest synthetic record"
 * attack of Chen et al., "GAN-Leaks", CCS 2020, black-box setting): a record close to some
 * synthetic record is guessed to be a training member. Training records are members, holdout
 * records non-members, equally many of each. Reported as ROC AUC (0.5 = no better than
 * chance) with the Hanley–McNeil interval, and the true-positive rate at 1% false positives
 * (Carlini et al., "Membership Inference Attacks From First Principles", S&P 2022: what
 * matters is confident identification of a few).
 */
import { EvalTable, selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { aucInterval, rocAuc, tprAtFpr } from '../statistics/roc';
import { encodeMixedRows, mixedEncoding, nearestNeighbours } from './mixed-distance';
import { rateInterval, wilsonSuccessRate } from './anonymeter-statistics';

/** The membershipInference section of report.json. */
export interface MembershipInferenceResult {
  method: 'distance-to-closest-synthetic';
  /** Members (training) and non-members (holdout) attacked, each. */
  n: number;
  auc: number;
  interval: [number, number];
  confidenceLevel: number;
  /** TPR at the largest threshold with false-positive rate <= 1%, with a Wilson interval. */
  tprAtFpr: { fpr: number; targetFpr: number; tpr: number; interval: [number, number] };
  /** Membership advantage at that threshold (TPR − FPR). */
  advantage: number;
  /** True when the AUC interval lies above 0.55 or TPR at 1% FPR is above 5% (an attacker identifies some members). */
  flagged: boolean;
}

/**
 * Runs the attack on min(nTrain, nHoldout, maxRecords) members and as many non-members.
 * @example membershipInference(train, holdout, synthetic)
 */
export function membershipInference(train: EvalTable, holdout: EvalTable, synthetic: EvalTable, opts: { maxRecords?: number; seed?: number; threads?: number; confidenceLevel?: number; targetFpr?: number } = {}): MembershipInferenceResult {
  const level = opts.confidenceLevel ?? 0.95;
  const targetFpr = opts.targetFpr ?? 0.01;
  const n = Math.min(train.nRows, holdout.nRows, opts.maxRecords ?? 5000);
  if (n < 1) throw new RangeError('Expected training and holdout records for membership inference but one of them is empty');
  const rng = new SeededSampler(opts.seed ?? 5);
  const members = selectRows(train, rng.sample(train.nRows, n));
  const nonMembers = selectRows(holdout, rng.sample(holdout.nRows, n));
  const enc = mixedEncoding([train, holdout, synthetic]);
  const syn = encodeMixedRows(synthetic, enc);
  const score = (t: EvalTable) => nearestNeighbours(encodeMixedRows(t, enc), syn, enc, 1, { threads: opts.threads }).distance.map((d) => -d);
  const sm = score(members), sn = score(nonMembers);
  const auc = rocAuc(sm, sn)!;
  const interval = aucInterval(auc, n, n, level);
  const t = tprAtFpr(sm, sn, targetFpr);
  const w = wilsonSuccessRate(n, t.truePositives, level);
  return {
    method: 'distance-to-closest-synthetic',
    n,
    auc,
    interval,
    confidenceLevel: level,
    tprAtFpr: { fpr: t.fpr, targetFpr, tpr: t.tpr, interval: rateInterval(w) },
    advantage: t.tpr - t.fpr,
    flagged: interval[0] > 0.55 || t.tpr > 0.05 + targetFpr,
  };
}
