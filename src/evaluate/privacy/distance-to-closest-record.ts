/**
 * Distance to closest record (DCR) and nearest-neighbour distance ratio (NNDR) of synthetic
 * records, against training records and against holdout records (SDMetrics' DCR baseline
 * protection; Zhao et al. 2021 "CTAB-GAN" for DCR/NNDR). Distances are mean Gower
 * distances in [0, 1]. A generator that memorises puts synthetic records closer to training
 * than to holdout records: the share closer to training should be about 1/2 when both sets
 * are equally large. These are diagnostics, not a verdict on their own.
 */
import { EvalTable, selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { encodeMixedRows, mixedEncoding, nearestNeighbours } from './mixed-distance';
import { wilsonSuccessRate, rateInterval } from './anonymeter-statistics';

/** Summary of a set of distances. */
export interface DistanceSummary {
  mean: number;
  median: number;
  p05: number;
  min: number;
}

/** The DCR section of report.json. */
export interface DcrResult {
  /** Synthetic → training (all training rows). */
  syntheticToTrain: DistanceSummary;
  /** Synthetic → holdout. */
  syntheticToHoldout: DistanceSummary | null;
  /** Holdout → training: how close unseen real people are to training people (the baseline). */
  holdoutToTrain: DistanceSummary | null;
  /** NNDR (nearest / second nearest training record) of synthetic records, and of holdout records. */
  nndrSynthetic: DistanceSummary;
  nndrHoldout: DistanceSummary | null;
  /** Synthetic rows identical to some training row (distance 0), count and rate; the same for holdout rows. */
  exactCopies: { count: number; rate: number; holdoutCount: number | null; holdoutRate: number | null };
  /**
   * Share of synthetic rows strictly closer to a training row than to any holdout row
   * (ties count one half), against an equally large training subsample; 0.5 is ideal.
   */
  closerToTrainingShare: { share: number; interval: [number, number]; n: number } | null;
  /** True when the share's interval lies above 0.5 + 0.05 or exact copies exceed the holdout's rate. */
  flagged: boolean;
}

function summary(d: ArrayLike<number>): DistanceSummary {
  const v = Array.from(d).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { mean: 0, median: 0, p05: 0, min: 0 };
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, median: q(0.5), p05: q(0.05), min: v[0] };
}

/**
 * DCR, NNDR, exact copies and the closer-to-training share.
 * @example distanceToClosestRecord(train, holdout, synthetic)
 */
export function distanceToClosestRecord(train: EvalTable, holdout: EvalTable | null, synthetic: EvalTable, opts: { threads?: number; seed?: number; confidenceLevel?: number } = {}): DcrResult {
  const all = holdout ? [train, synthetic, holdout] : [train, synthetic];
  const enc = mixedEncoding(all);
  const tr = encodeMixedRows(train, enc), sy = encodeMixedRows(synthetic, enc);
  const k = train.nRows >= 2 ? 2 : 1;
  const s2t = nearestNeighbours(sy, tr, enc, k, { threads: opts.threads });
  const first = (r: { distance: Float64Array }, kk: number) => Float64Array.from({ length: r.distance.length / kk }, (_, i) => r.distance[i * kk]);
  const nndr = (r: { distance: Float64Array }, kk: number) => Float64Array.from({ length: r.distance.length / kk }, (_, i) => {
    const a = r.distance[i * kk], b = kk > 1 ? r.distance[i * kk + 1] : NaN;
    return b > 0 ? a / b : a === 0 && b === 0 ? 0 : NaN;
  });
  const dSyn = first(s2t, k);
  let copies = 0;
  for (const v of dSyn) if (v === 0) copies++;
  let syntheticToHoldout: DistanceSummary | null = null, holdoutToTrain: DistanceSummary | null = null, nndrHoldout: DistanceSummary | null = null;
  let holdoutCount: number | null = null, holdoutRate: number | null = null;
  let share: DcrResult['closerToTrainingShare'] = null;
  if (holdout) {
    const ho = encodeMixedRows(holdout, enc);
    const s2h = nearestNeighbours(sy, ho, enc, 1, { threads: opts.threads });
    syntheticToHoldout = summary(s2h.distance);
    const h2t = nearestNeighbours(ho, tr, enc, k, { threads: opts.threads });
    const dHo = first(h2t, k);
    holdoutToTrain = summary(dHo);
    nndrHoldout = summary(nndr(h2t, k));
    holdoutCount = 0;
    for (const v of dHo) if (v === 0) holdoutCount++;
    holdoutRate = holdoutCount / Math.max(1, holdout.nRows);
    // Equal-size comparison: a larger training set would be closer by its size alone.
    const rng = new SeededSampler(opts.seed ?? 4);
    const sub = train.nRows > holdout.nRows ? encodeMixedRows(selectRows(train, rng.sample(train.nRows, holdout.nRows)), enc) : tr;
    const s2sub = sub === tr ? first(s2t, k) : nearestNeighbours(sy, sub, enc, 1, { threads: opts.threads }).distance;
    let closer = 0;
    for (let i = 0; i < synthetic.nRows; i++) closer += s2sub[i] < s2h.distance[i] ? 1 : s2sub[i] === s2h.distance[i] ? 0.5 : 0;
    const n = synthetic.nRows;
    const w = wilsonSuccessRate(n, Math.round(closer), opts.confidenceLevel ?? 0.95);
    share = { share: closer / n, interval: rateInterval(w), n };
  }
  const rate = copies / Math.max(1, synthetic.nRows);
  const flagged = (share !== null && share.interval[0] > 0.55) || rate > (holdoutRate ?? 0) + 0.01;
  return {
    syntheticToTrain: summary(dSyn),
    syntheticToHoldout,
    holdoutToTrain,
    nndrSynthetic: summary(nndr(s2t, k)),
    nndrHoldout,
    exactCopies: { count: copies, rate, holdoutCount, holdoutRate },
    closerToTrainingShare: share,
    flagged,
  };
}
