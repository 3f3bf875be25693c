/**
 * Detection: can a classifier tell synthetic rows from training rows? Two-fold cross-fitted
 * propensities from a logistic GLM and from gradient-boosted trees (which also see broken
 * interactions that a linear model cannot), summarised as ROC AUC (0.5 = indistinguishable)
 * and the propensity mean-squared error pMSE = mean (p − c)² with c the synthetic share
 * (Snoke et al., "General and specific utility measures for synthetic data", JRSS A 2018).
 */
import { EvalTable, selectRows } from '../table-columns';
import { SeededSampler } from '../statistics/random';
import { rocAuc, aucInterval } from '../statistics/roc';
import { designMatrix, fitDesign, treeMatrix } from '../design-matrix';
import { fitGlm, predictGlm } from '../utility/glm';
import { fitGbt, predictGbt } from '../utility/gradient-boosted-trees';
import { tryLoadAddon } from '../../native/addon';

/** One classifier's detection figures. */
export interface DetectionScore {
  auc: number;
  interval: [number, number];
  pmse: number;
}

/** Detection of one table against the training table, per classifier. */
export interface DetectionResult {
  n: number;
  logistic: DetectionScore | null;
  gbt: DetectionScore | null;
  /** Why a classifier is absent (e.g. the native addon is not built). */
  notes: string[];
}

function stack(a: EvalTable, b: EvalTable): EvalTable {
  return {
    nRows: a.nRows + b.nRows,
    columns: a.columns.map((c, j) => {
      const o = b.columns[j];
      if (c.kind === 'numeric' && o.kind === 'numeric') { const v = new Float64Array(a.nRows + b.nRows); v.set(c.values); v.set(o.values, a.nRows); return { ...c, values: v }; }
      if (c.kind === 'categorical' && o.kind === 'categorical') { const v = new Int32Array(a.nRows + b.nRows); v.set(c.codes); v.set(o.codes, a.nRows); return { ...c, codes: v }; }
      throw new RangeError(`Expected column "${c.name}" to have one kind in both tables`);
    }),
  };
}

function score(p: Float64Array, y: Float64Array, level: number): DetectionScore {
  const pos: number[] = [], neg: number[] = [];
  let pmse = 0, c = 0;
  for (let i = 0; i < y.length; i++) c += y[i];
  c /= y.length;
  for (let i = 0; i < y.length; i++) { (y[i] === 1 ? pos : neg).push(p[i]); pmse += (p[i] - c) ** 2; }
  const auc = rocAuc(pos, neg) ?? 0.5;
  return { auc, interval: aucInterval(auc, pos.length, neg.length, level), pmse: pmse / y.length };
}

/**
 * Detection of `other` against `train` on up to `maxRows` rows of each.
 * @example detect(train, synthetic)
 */
export function detect(train: EvalTable, other: EvalTable, opts: { maxRows?: number; seed?: number; threads?: number; confidenceLevel?: number } = {}): DetectionResult {
  const level = opts.confidenceLevel ?? 0.95;
  const m = Math.min(train.nRows, other.nRows, opts.maxRows ?? 5000);
  const rng = new SeededSampler(opts.seed ?? 7);
  const data = stack(selectRows(train, rng.sample(train.nRows, m)), selectRows(other, rng.sample(other.nRows, m)));
  const y = new Float64Array(2 * m);
  for (let i = m; i < 2 * m; i++) y[i] = 1;
  // Two folds: each half is scored by a model fitted on the other.
  const perm = rng.sample(2 * m, 2 * m);
  const folds = [perm.slice(0, m), perm.slice(m)];
  const features = train.columns.map((c) => c.name);
  const notes: string[] = [];
  const pLogit = new Float64Array(2 * m), pTree = new Float64Array(2 * m);
  let logisticOk = true, treeOk = tryLoadAddon().addon !== undefined;
  if (!treeOk) notes.push('gradient-boosted trees: native addon not loaded');
  for (let f = 0; f < 2; f++) {
    const fitRows = folds[1 - f], testRows = folds[f];
    const fitT = selectRows(data, fitRows), testT = selectRows(data, testRows);
    const yFit = Float64Array.from(fitRows, (i) => y[i]);
    if (logisticOk) {
      try {
        const enc = fitDesign(fitT, features, { standardise: true });
        const p = enc.names.length;
        // A light ridge keeps the fit finite when a level separates the classes perfectly.
        const fit = fitGlm(designMatrix(fitT, enc), yFit, fitT.nRows, p, 'binomial', { ridge: 1e-3, threads: opts.threads, maxIter: 30, tol: 1e-8 });
        const pr = predictGlm(fit, designMatrix(testT, enc), testT.nRows);
        testRows.forEach((i, k) => { pLogit[i] = pr[k]; });
      } catch (e) {
        logisticOk = false;
        notes.push(`logistic: ${(e as Error).message}`);
      }
    }
    if (treeOk) {
      const model = fitGbt(treeMatrix(fitT, features), yFit, fitT.nRows, features.length, 'logistic', { trees: 60, depth: 3, learningRate: 0.2, threads: opts.threads });
      const pr = predictGbt(model, treeMatrix(testT, features), testT.nRows, opts.threads);
      testRows.forEach((i, k) => { pTree[i] = pr[k]; });
    }
  }
  return { n: m, logistic: logisticOk ? score(pLogit, y, level) : null, gbt: treeOk ? score(pTree, y, level) : null, notes };
}
