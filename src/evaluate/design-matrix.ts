/**
 * Model matrices for the GLMs and trees of the evaluation. The encoding is fitted on one
 * table (the one a model is trained on) and applied unchanged to the others, so a model
 * trained on synthetic data is scored on real data with the same columns.
 *
 * GLM design: intercept, numeric columns (optionally standardised; missing values imputed by
 * the fitted mean with a "(missing)" indicator when the fitting table has any), categorical
 * columns as treatment dummies against their most frequent level (R's contr.treatment with
 * a data-chosen reference). Tree input: raw numbers and category codes, NaN for missing.
 */
import type { EvalTable } from './table-columns';
import { InputError } from '../errors';

/** One fitted column of a design. */
type Term =
  | { kind: 'numeric'; column: string; mean: number; scale: number; missingIndicator: boolean }
  | { kind: 'categorical'; column: string; reference: number; levels: number[]; categories: string[]; missingIndicator: boolean };

/** A fitted design encoding. */
export interface DesignEncoding {
  terms: Term[];
  /** Coefficient names, intercept first. */
  names: string[];
  standardise: boolean;
}

function column(t: EvalTable, name: string) {
  const c = t.columns.find((x) => x.name === name);
  if (!c) throw new InputError({ column: name }, 'a column of the evaluated tables', 'no such column', `Columns are ${t.columns.map((x) => x.name).join(', ')}`);
  return c;
}

/**
 * Fits the encoding of `features` on table `t`.
 * @example const enc = fitDesign(train, ['age', 'genotype'], { standardise: true })
 */
export function fitDesign(t: EvalTable, features: string[], opts: { standardise?: boolean } = {}): DesignEncoding {
  const terms: Term[] = [];
  const names = ['(intercept)'];
  for (const f of features) {
    const c = column(t, f);
    if (c.kind === 'numeric') {
      let n = 0, s = 0, ss = 0, miss = 0;
      for (const v of c.values) { if (Number.isNaN(v)) { miss++; continue; } n++; s += v; ss += v * v; }
      const mean = n ? s / n : 0;
      const sd = n > 1 ? Math.sqrt(Math.max(0, (ss - n * mean * mean) / (n - 1))) : 0;
      if (n === 0 || sd === 0) continue; // a constant or empty column carries no information for this fit
      terms.push({ kind: 'numeric', column: f, mean, scale: opts.standardise ? sd : 1, missingIndicator: miss > 0 });
      names.push(f);
      if (miss > 0) names.push(`${f} (missing)`);
    } else {
      const counts = new Map<number, number>();
      let miss = 0;
      for (const v of c.codes) { if (v < 0) miss++; else counts.set(v, (counts.get(v) ?? 0) + 1); }
      const present = [...counts.keys()].sort((a, b) => a - b);
      if (present.length === 0) continue;
      const reference = present.reduce((best, v) => ((counts.get(v)! > counts.get(best)!) ? v : best), present[0]);
      const levels = present.filter((v) => v !== reference);
      if (levels.length === 0 && miss === 0) continue;
      terms.push({ kind: 'categorical', column: f, reference, levels, categories: c.categories, missingIndicator: miss > 0 });
      for (const l of levels) names.push(`${f}=${c.categories[l]}`);
      if (miss > 0) names.push(`${f} (missing)`);
    }
  }
  return { terms, names, standardise: !!opts.standardise };
}

/**
 * Row-major design matrix (n x names.length, intercept first) of table `t` under `enc`.
 * @example const X = designMatrix(holdout, enc)
 */
export function designMatrix(t: EvalTable, enc: DesignEncoding): Float64Array {
  const p = enc.names.length, n = t.nRows;
  const X = new Float64Array(n * p);
  for (let i = 0; i < n; i++) X[i * p] = 1;
  let j = 1;
  for (const term of enc.terms) {
    const c = column(t, term.column);
    if (term.kind === 'numeric') {
      if (c.kind !== 'numeric') throw new InputError({ column: term.column }, 'a numeric column', 'a categorical column');
      for (let i = 0; i < n; i++) {
        const v = c.values[i];
        const miss = Number.isNaN(v);
        // Missing values take the fitted mean (0 once standardised); the indicator carries the difference.
        X[i * p + j] = enc.standardise ? (miss ? 0 : (v - term.mean) / term.scale) : (miss ? term.mean : v);
        if (term.missingIndicator) X[i * p + j + 1] = miss ? 1 : 0;
      }
      j += term.missingIndicator ? 2 : 1;
    } else {
      if (c.kind !== 'categorical') throw new InputError({ column: term.column }, 'a categorical column', 'a numeric column');
      const pos = new Map(term.levels.map((l, k) => [l, k]));
      for (let i = 0; i < n; i++) {
        const v = c.codes[i];
        if (v < 0) { if (term.missingIndicator) X[i * p + j + term.levels.length] = 1; continue; }
        const k = pos.get(v);
        if (k !== undefined) X[i * p + j + k] = 1;
      }
      j += term.levels.length + (term.missingIndicator ? 1 : 0);
    }
  }
  return X;
}

/**
 * Column-major tree input (n x features.length): numbers as they are, categories as codes,
 * NaN where missing.
 * @example const X = treeMatrix(train, ['age', 'genotype'])
 */
export function treeMatrix(t: EvalTable, features: string[]): Float64Array {
  const n = t.nRows;
  const X = new Float64Array(n * features.length);
  features.forEach((f, j) => {
    const c = column(t, f);
    for (let i = 0; i < n; i++) X[j * n + i] = c.kind === 'numeric' ? c.values[i] : c.codes[i] < 0 ? NaN : c.codes[i];
  });
  return X;
}
