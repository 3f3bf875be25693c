/**
 * The fidelity section: per-column distances, pairwise associations, k-way marginals and
 * detection, each for synthetic vs training and, as the yardstick, holdout vs training
 * (two samples of the same real population differ by this much).
 */
import type { EvalTable } from '../table-columns';
import { ksStatistic, missingRate, totalVariation, wasserstein1 } from './univariate';
import { association, AssociationKind } from './association';
import { KMarginalResult, discretise, fitDiscretiser, kWayMarginals } from './marginals';
import { DetectionResult, detect } from './detection';

/** Per-column figures. */
export interface ColumnFidelity {
  column: string;
  kind: 'numeric' | 'categorical';
  /** 'ks' for numbers, 'tvd' for categories. */
  statistic: 'ks' | 'tvd';
  synthetic: number;
  holdout: number;
  /** Numbers: Wasserstein-1 distance divided by the training range (scale-free). */
  wassersteinSynthetic: number | null;
  wassersteinHoldout: number | null;
  missing: { train: number; holdout: number; synthetic: number };
  /** Binned distribution for the overlaid-marginals chart (training bins). */
  distribution: { bins: string[]; train: number[]; holdout: number[]; synthetic: number[] };
}

/** One pair of columns. */
export interface PairFidelity {
  a: string;
  b: string;
  kind: AssociationKind;
  train: number | null;
  holdout: number | null;
  synthetic: number | null;
  /** |synthetic − train| and |holdout − train| (null when an association is undefined). */
  differenceSynthetic: number | null;
  differenceHoldout: number | null;
}

/** The fidelity section of report.json. */
export interface FidelityReport {
  columns: ColumnFidelity[];
  pairs: PairFidelity[];
  pairSummary: { meanDifferenceSynthetic: number; meanDifferenceHoldout: number; maxDifferenceSynthetic: number; maxDifferenceHoldout: number };
  marginals: { synthetic: KMarginalResult[]; holdout: KMarginalResult[] };
  detection: { synthetic: DetectionResult; holdout: DetectionResult };
  verdict: { flagged: boolean; reasons: string[] };
}

function proportions(bins: Int32Array, size: number): number[] {
  const c = new Array(size).fill(0);
  for (const b of bins) c[b]++;
  const n = bins.length || 1;
  return c.map((x) => x / n);
}

/**
 * Runs every fidelity measure.
 * @example evaluateFidelity(train, holdout, synthetic)
 */
export function evaluateFidelity(train: EvalTable, holdout: EvalTable, synthetic: EvalTable, opts: { seed?: number; threads?: number; maxSubsets?: number } = {}): FidelityReport {
  const columns: ColumnFidelity[] = train.columns.map((c, j) => {
    const h = holdout.columns[j], s = synthetic.columns[j];
    const disc = fitDiscretiser(c);
    const [bt, bh, bs] = [c, h, s].map((x) => discretise(x, disc));
    // Drop bins empty in all three so charts show what exists.
    const pt = proportions(bt, disc.bins), ph = proportions(bh, disc.bins), ps = proportions(bs, disc.bins);
    const keep = disc.labels.map((_, b) => pt[b] + ph[b] + ps[b] > 0);
    const distribution = {
      bins: disc.labels.filter((_, b) => keep[b]),
      train: pt.filter((_, b) => keep[b]),
      holdout: ph.filter((_, b) => keep[b]),
      synthetic: ps.filter((_, b) => keep[b]),
    };
    if (c.kind === 'numeric' && h.kind === 'numeric' && s.kind === 'numeric') {
      let lo = Infinity, hi = -Infinity;
      for (const v of c.values) if (!Number.isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const range = hi > lo ? hi - lo : 1;
      return {
        column: c.name, kind: 'numeric', statistic: 'ks',
        synthetic: ksStatistic(c.values, s.values), holdout: ksStatistic(c.values, h.values),
        wassersteinSynthetic: wasserstein1(c.values, s.values) / range, wassersteinHoldout: wasserstein1(c.values, h.values) / range,
        missing: { train: missingRate(c.values, false), holdout: missingRate(h.values, false), synthetic: missingRate(s.values, false) },
        distribution,
      };
    }
    const counts = (t: typeof c) => {
      const k = new Array((t as { categories: string[] }).categories.length + 1).fill(0);
      for (const v of (t as { codes: Int32Array }).codes) k[v + 1]++;
      return k;
    };
    return {
      column: c.name, kind: 'categorical', statistic: 'tvd',
      synthetic: totalVariation(counts(c), counts(s)), holdout: totalVariation(counts(c), counts(h)),
      wassersteinSynthetic: null, wassersteinHoldout: null,
      missing: { train: missingRate((c as { codes: Int32Array }).codes, true), holdout: missingRate((h as { codes: Int32Array }).codes, true), synthetic: missingRate((s as { codes: Int32Array }).codes, true) },
      distribution,
    };
  });
  const pairs: PairFidelity[] = [];
  const d = train.columns.length;
  for (let a = 0; a < d; a++) {
    for (let b = a + 1; b < d; b++) {
      const t = association(train.columns[a], train.columns[b]);
      const h = association(holdout.columns[a], holdout.columns[b]).value;
      const s = association(synthetic.columns[a], synthetic.columns[b]).value;
      pairs.push({
        a: train.columns[a].name, b: train.columns[b].name, kind: t.kind, train: t.value, holdout: h, synthetic: s,
        differenceSynthetic: t.value !== null && s !== null ? Math.abs(s - t.value) : null,
        differenceHoldout: t.value !== null && h !== null ? Math.abs(h - t.value) : null,
      });
    }
  }
  const stat = (key: 'differenceSynthetic' | 'differenceHoldout') => {
    const v = pairs.map((p) => p[key]).filter((x): x is number => x !== null);
    return { mean: v.length ? v.reduce((x, y) => x + y, 0) / v.length : 0, max: v.length ? Math.max(...v) : 0 };
  };
  const ps = stat('differenceSynthetic'), ph = stat('differenceHoldout');
  const mOpts = { maxSubsets: opts.maxSubsets, seed: opts.seed };
  const ks = [2, 3].filter((k) => k <= d);
  const mSyn = ks.map((k) => kWayMarginals(train, [synthetic], k, mOpts)[0]);
  const mHo = ks.map((k) => kWayMarginals(train, [holdout], k, mOpts)[0]);
  const detection = { synthetic: detect(train, synthetic, opts), holdout: detect(train, holdout, opts) };
  const reasons: string[] = [];
  for (const c of columns) {
    if (c.synthetic > c.holdout + 0.1) reasons.push(`column ${c.column}: ${c.statistic.toUpperCase()} ${c.synthetic.toFixed(3)} vs ${c.holdout.toFixed(3)} between real samples`);
  }
  if (ps.mean > 2 * ph.mean + 0.02) reasons.push(`pairwise associations differ by ${ps.mean.toFixed(3)} on average vs ${ph.mean.toFixed(3)} between real samples`);
  for (let i = 0; i < ks.length; i++) {
    if (mSyn[i].meanTvd > 2 * mHo[i].meanTvd + 0.02) reasons.push(`${ks[i]}-way marginals: mean TVD ${mSyn[i].meanTvd.toFixed(3)} vs ${mHo[i].meanTvd.toFixed(3)} between real samples`);
  }
  for (const model of ['logistic', 'gbt'] as const) {
    const s = detection.synthetic[model], h = detection.holdout[model];
    if (s && h && s.interval[0] > Math.max(0.6, h.interval[1])) reasons.push(`a ${model === 'gbt' ? 'gradient-boosted tree' : 'logistic'} classifier tells synthetic from real rows with AUC ${s.auc.toFixed(3)} (real vs real: ${h.auc.toFixed(3)})`);
  }
  return {
    columns, pairs,
    pairSummary: { meanDifferenceSynthetic: ps.mean, meanDifferenceHoldout: ph.mean, maxDifferenceSynthetic: ps.max, maxDifferenceHoldout: ph.max },
    marginals: { synthetic: mSyn, holdout: mHo },
    detection,
    verdict: { flagged: reasons.length > 0, reasons },
  };
}
