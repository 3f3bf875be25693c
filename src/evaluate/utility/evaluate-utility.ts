/**
 * The utility section: train on synthetic, test on real holdout (TSTR), against train on
 * real, test on the same holdout (TRTR) (Esteban et al. 2017; Jordon et al. 2022). Models: a
 * GLM (logistic, Poisson or gaussian as the target demands) and histogram gradient-boosted
 * trees; feature-importance agreement compares what the trees learn from each source.
 */
import { EvalTable, NumericColumn, CategoricalColumn, selectRows } from '../table-columns';
import { designMatrix, fitDesign, treeMatrix } from '../design-matrix';
import { fitGlm, GlmFamily, predictGlm, unitDeviance } from './glm';
import { fitGbt, GbtLoss, predictGbt } from './gradient-boosted-trees';
import { accuracy, macroAuc, macroF1 } from './scores';
import { spearman } from '../statistics/ranks';
import { tryLoadAddon } from '../../native/addon';
import { InputError } from '../../errors';

export type UtilityTask = 'binary' | 'multiclass' | 'count' | 'continuous';

/** Scores of one model trained on one source, tested on the holdout. */
export interface UtilityScores {
  accuracy?: number;
  macroF1?: number;
  auc?: number | null;
  /** Mean unit deviance on the holdout (count and continuous targets). */
  meanDeviance?: number;
  rmse?: number;
}

/** One model, trained on real and on synthetic data. */
export interface UtilityModelResult {
  model: 'glm' | 'gbt';
  /** Trained on the training table (TRTR). */
  real: UtilityScores | null;
  /** Trained on the synthetic table (TSTR). */
  synthetic: UtilityScores | null;
  /** The main score (AUC, or accuracy for multiclass, or −mean deviance) synthetic / real. */
  primaryMetric: string;
  ratio: number | null;
  notes: string[];
}

/** The utility section of report.json. */
export interface UtilityReport {
  target: string;
  task: UtilityTask;
  features: string[];
  models: UtilityModelResult[];
  importance: { features: string[]; real: number[]; synthetic: number[]; spearman: number | null } | null;
  verdict: { flagged: boolean; reasons: string[] };
}

function taskOf(c: NumericColumn | CategoricalColumn): UtilityTask {
  if (c.kind === 'categorical') return c.categories.length <= 2 ? 'binary' : 'multiclass';
  let nonNeg = true;
  for (const v of c.values) if (v < 0) { nonNeg = false; break; }
  return c.integer && nonNeg ? 'count' : 'continuous';
}

interface Fitted { predict(t: EvalTable): Float64Array[]; importance?: Float64Array }

function labelsOf(t: EvalTable, target: string): Float64Array {
  const c = t.columns.find((x) => x.name === target)!;
  return c.kind === 'numeric' ? Float64Array.from(c.values) : Float64Array.from(c.codes);
}

function presentRows(t: EvalTable, target: string): EvalTable {
  const y = labelsOf(t, target);
  const c = t.columns.find((x) => x.name === target)!;
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) if (c.kind === 'numeric' ? !Number.isNaN(y[i]) : y[i] >= 0) rows.push(i);
  return rows.length === t.nRows ? t : selectRows(t, rows);
}

function fitModel(kind: 'glm' | 'gbt', t: EvalTable, target: string, features: string[], task: UtilityTask, classes: number, threads?: number): Fitted {
  const y = labelsOf(t, target);
  const targets: { y: Float64Array; glm: GlmFamily; gbt: GbtLoss }[] = task === 'binary' || task === 'multiclass'
    ? (task === 'binary' ? [1] : Array.from({ length: classes }, (_, c) => c)).map((c) => ({ y: y.map((v) => (v === c ? 1 : 0)), glm: 'binomial' as const, gbt: 'logistic' as const }))
    : [{ y, glm: task === 'count' ? 'poisson' : 'gaussian', gbt: task === 'count' ? 'poisson' : 'squared' }];
  if (kind === 'glm') {
    const enc = fitDesign(t, features, { standardise: true });
    const X = designMatrix(t, enc);
    // A light ridge keeps one-vs-rest fits finite under separation on small synthetic sets.
    const fits = targets.map((tt) => fitGlm(X, tt.y, t.nRows, enc.names.length, tt.glm, { ridge: 1e-3, threads, maxIter: 50, tol: 1e-8 }));
    return { predict: (o) => { const Xo = designMatrix(o, enc); return fits.map((f) => predictGlm(f, Xo, o.nRows)); } };
  }
  const X = treeMatrix(t, features);
  const models = targets.map((tt) => fitGbt(X, tt.y, t.nRows, features.length, tt.gbt, { trees: 100, depth: 4, learningRate: 0.1, threads }));
  const importance = new Float64Array(features.length);
  for (const m of models) m.importance.forEach((v, j) => { importance[j] += v; });
  return { predict: (o) => { const Xo = treeMatrix(o, features); return models.map((m) => predictGbt(m, Xo, o.nRows, threads)); }, importance };
}

function scoreModel(pred: Float64Array[], test: EvalTable, target: string, task: UtilityTask): UtilityScores {
  const y = labelsOf(test, target);
  if (task === 'binary') {
    const truth = Int32Array.from(y);
    const p = pred[0];
    const yhat = Int32Array.from(p, (v) => (v >= 0.5 ? 1 : 0));
    return { accuracy: accuracy(truth, yhat), macroF1: macroF1(truth, yhat), auc: macroAuc(truth, [p.map((v) => 1 - v), p]) };
  }
  if (task === 'multiclass') {
    const truth = Int32Array.from(y);
    const yhat = new Int32Array(test.nRows);
    for (let i = 0; i < test.nRows; i++) { let b = 0; for (let c = 1; c < pred.length; c++) if (pred[c][i] > pred[b][i]) b = c; yhat[i] = b; }
    return { accuracy: accuracy(truth, yhat), macroF1: macroF1(truth, yhat), auc: macroAuc(truth, pred) };
  }
  const fam: GlmFamily = task === 'count' ? 'poisson' : 'gaussian';
  let dev = 0, se = 0;
  for (let i = 0; i < y.length; i++) { dev += unitDeviance(y[i], Math.max(pred[0][i], fam === 'poisson' ? 1e-12 : -Infinity), fam); se += (y[i] - pred[0][i]) ** 2; }
  return { meanDeviance: dev / y.length, rmse: Math.sqrt(se / y.length) };
}

function primary(task: UtilityTask, s: UtilityScores | null): number | null {
  if (!s) return null;
  if (task === 'binary') return s.auc ?? null;
  if (task === 'multiclass') return s.accuracy ?? null;
  return s.meanDeviance ?? null;
}

/**
 * TSTR vs TRTR for `target`.
 * @example evaluateUtility(train, holdout, synthetic, 'vaso_occlusive_crises')
 */
export function evaluateUtility(train: EvalTable, holdout: EvalTable, synthetic: EvalTable, target: string, opts: { threads?: number } = {}): UtilityReport {
  const tcol = train.columns.find((c) => c.name === target);
  if (!tcol) throw new InputError({ field: '--target' }, 'a column of the training table', JSON.stringify(target), `Columns are ${train.columns.map((c) => c.name).join(', ')}`);
  const task = taskOf(tcol);
  const classes = tcol.kind === 'categorical' ? tcol.categories.length : 0;
  const features = train.columns.map((c) => c.name).filter((n) => n !== target);
  if (features.length === 0) throw new InputError({ field: '--target' }, 'a table with at least one feature besides the target', 'only the target column');
  const tr = presentRows(train, target), ho = presentRows(holdout, target), sy = presentRows(synthetic, target);
  // Without target values in the real tables nothing can be compared (not "works on real data").
  for (const [t, label, least] of [[tr, 'real training', 2], [ho, 'holdout', 1]] as const) {
    if (t.nRows < least) throw new InputError({ column: target, field: '--target' }, `a target with a value in at least ${least} row${least > 1 ? 's' : ''} of the ${label} table`, `${t.nRows} row${t.nRows === 1 ? '' : 's'} with a value`);
  }
  const models: UtilityModelResult[] = [];
  const imp: Record<string, Float64Array | undefined> = {};
  const kinds: ('glm' | 'gbt')[] = tryLoadAddon().addon ? ['glm', 'gbt'] : ['glm'];
  for (const kind of kinds) {
    const notes: string[] = [];
    const run = (src: EvalTable, label: 'real' | 'synthetic') => {
      try {
        if (src.nRows < 2) throw new Error(`the ${label} table has fewer than 2 rows with a target value`);
        const m = fitModel(kind, src, target, features, task, classes, opts.threads);
        if (kind === 'gbt') imp[label] = m.importance;
        return scoreModel(m.predict(ho), ho, target, task);
      } catch (e) {
        notes.push(`trained on ${label}: ${(e as Error).message}`);
        return null;
      }
    };
    const real = run(tr, 'real'), syn = run(sy, 'synthetic');
    const pr = primary(task, real), ps = primary(task, syn);
    const lowerBetter = task === 'count' || task === 'continuous';
    const ratio = pr !== null && ps !== null && pr !== 0 && ps !== 0 ? (lowerBetter ? pr / ps : ps / pr) : null;
    models.push({ model: kind, real, synthetic: syn, primaryMetric: task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'meanDeviance', ratio, notes });
  }
  if (!tryLoadAddon().addon) models[0].notes.push('gradient-boosted trees: native addon not loaded');
  const importance = imp.real && imp.synthetic
    ? { features, real: Array.from(imp.real), synthetic: Array.from(imp.synthetic), spearman: spearman(imp.real, imp.synthetic) }
    : null;
  const reasons: string[] = [];
  for (const m of models) if (m.synthetic === null) reasons.push(`${m.model}: no model could be trained on the synthetic data (${m.notes.join('; ')})`);
  for (const m of models) if (m.ratio !== null && m.ratio < 0.9) reasons.push(`${m.model}: trained on synthetic data it reaches ${(m.ratio * 100).toFixed(0)}% of the ${m.primaryMetric} of training on real data`);
  if (importance && importance.spearman !== null && importance.spearman < 0.5) reasons.push(`feature importances agree poorly (Spearman ${importance.spearman.toFixed(2)})`);
  return { target, task, features, models, importance, verdict: { flagged: reasons.length > 0, reasons } };
}
