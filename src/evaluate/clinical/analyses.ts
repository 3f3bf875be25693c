/**
 * Declarative clinical analyses: a GLM (outcome, covariates, family) fitted on the real
 * training data and on the synthetic data with the same encoding, compared term by term:
 * estimates with Wald confidence intervals, sign agreement, and the confidence-interval
 * overlap of Karr et al. ("A framework for evaluating the utility of data altered to protect
 * confidentiality", The American Statistician 60, 2006).
 */
import { EvalTable, selectRows } from '../table-columns';
import { designMatrix, fitDesign } from '../design-matrix';
import { fitGlm, GlmFamily } from '../utility/glm';
import { normalQuantile } from '../statistics/normal';
import { InputError } from '../../errors';

/** One analysis as written in an analyses JSON file. */
export interface ClinicalAnalysis {
  id: string;
  title?: string;
  outcome: string;
  family: GlmFamily;
  covariates: string[];
  /** Covariates whose coefficients are compared (default: all). */
  compare?: string[];
  /** Binomial outcome given as a category: the level counted as the event (default: the last category). */
  outcomeLevel?: string;
  /** Published direction of each compared covariate's effect (+1 or −1), checked on both data sets when given. */
  expectedSign?: Record<string, 1 | -1>;
  /** Source of the expected association. */
  source?: string;
}

/** One coefficient on both data sets. */
export interface TermComparison {
  term: string;
  real: { estimate: number; se: number; interval: [number, number] };
  synthetic: { estimate: number; se: number; interval: [number, number] } | null;
  signAgreement: boolean;
  /** Whether the two intervals intersect. */
  intervalsOverlap: boolean;
  /** Karr et al. interval overlap in [0, 1] (0 when disjoint). */
  intervalOverlap: number;
  /** Whether the real estimate's interval excludes 0 (only then is its sign evidence). */
  realSignificant: boolean;
  expectedSign?: 1 | -1;
}

/** The result of one analysis in report.json's `clinical` list. */
export interface ClinicalAnalysisResult {
  id: string;
  title: string;
  kind: 'glm';
  family: GlmFamily;
  outcome: string;
  /** exp(estimate) reads as an odds ratio (binomial) or rate ratio (poisson). */
  effectScale: 'difference' | 'odds-ratio' | 'rate-ratio';
  nReal: number;
  nSynthetic: number;
  terms: TermComparison[];
  passed: boolean;
  notes: string[];
}

/**
 * Checks an analyses file's content and returns the analyses.
 * @example parseAnalyses(JSON.parse(fs.readFileSync('analyses.json', 'utf8')), 'analyses.json')
 */
export function parseAnalyses(json: unknown, file = 'analyses'): ClinicalAnalysis[] {
  const list = Array.isArray(json) ? json : (json as { analyses?: unknown })?.analyses;
  if (!Array.isArray(list)) throw new InputError({ file }, 'a JSON array of analyses (or {"analyses": [...]})', typeof json);
  return list.map((a, i) => {
    const where = (field: string) => ({ file, field: `analyses[${i}].${field}` });
    if (typeof a !== 'object' || a === null) throw new InputError({ file, field: `analyses[${i}]` }, 'an object', String(a));
    const o = a as Record<string, unknown>;
    if (typeof o.id !== 'string' || !o.id) throw new InputError(where('id'), 'a non-empty string', JSON.stringify(o.id));
    if (typeof o.outcome !== 'string') throw new InputError(where('outcome'), 'a column name', JSON.stringify(o.outcome));
    if (!['gaussian', 'binomial', 'poisson'].includes(o.family as string)) throw new InputError(where('family'), 'one of "gaussian", "binomial", "poisson"', JSON.stringify(o.family));
    if (!Array.isArray(o.covariates) || o.covariates.length === 0 || !o.covariates.every((c) => typeof c === 'string')) throw new InputError(where('covariates'), 'a non-empty array of column names', JSON.stringify(o.covariates));
    if (o.compare !== undefined && (!Array.isArray(o.compare) || !o.compare.every((c) => (o.covariates as string[]).includes(c)))) throw new InputError(where('compare'), 'an array of names listed in covariates', JSON.stringify(o.compare));
    if (o.expectedSign !== undefined) {
      const es = o.expectedSign as Record<string, unknown>;
      if (typeof es !== 'object' || es === null || !Object.values(es).every((v) => v === 1 || v === -1)) throw new InputError(where('expectedSign'), 'an object of covariate: 1 | -1', JSON.stringify(o.expectedSign));
    }
    return o as unknown as ClinicalAnalysis;
  });
}

function outcomeValues(t: EvalTable, a: ClinicalAnalysis): Float64Array {
  const c = t.columns.find((x) => x.name === a.outcome);
  if (!c) throw new InputError({ field: `analysis ${a.id}: outcome` }, 'a column of the evaluated tables', JSON.stringify(a.outcome));
  if (c.kind === 'numeric') return Float64Array.from(c.values);
  if (a.family !== 'binomial') throw new InputError({ field: `analysis ${a.id}: outcome` }, `a numeric outcome for a ${a.family} model`, `the categorical column ${a.outcome}`);
  const level = a.outcomeLevel !== undefined ? c.categories.indexOf(a.outcomeLevel) : c.categories.length - 1;
  if (level < 0) throw new InputError({ field: `analysis ${a.id}: outcomeLevel` }, `one of ${c.categories.join(', ')}`, JSON.stringify(a.outcomeLevel));
  return Float64Array.from(c.codes, (v) => (v < 0 ? NaN : v === level ? 1 : 0));
}

/** Rows with the outcome and every covariate present (complete-case analysis). */
function completeCases(t: EvalTable, a: ClinicalAnalysis): { table: EvalTable; y: Float64Array } {
  const y = outcomeValues(t, a);
  const cols = a.covariates.map((name) => {
    const c = t.columns.find((x) => x.name === name);
    if (!c) throw new InputError({ field: `analysis ${a.id}: covariates` }, 'a column of the evaluated tables', JSON.stringify(name));
    return c;
  });
  const rows: number[] = [];
  for (let i = 0; i < t.nRows; i++) {
    if (Number.isNaN(y[i])) continue;
    if (cols.every((c) => (c.kind === 'numeric' ? !Number.isNaN(c.values[i]) : c.codes[i] >= 0))) rows.push(i);
  }
  return { table: selectRows(t, rows), y: Float64Array.from(rows, (i) => y[i]) };
}

/**
 * Runs one analysis on real and synthetic data.
 * @example runAnalysis(train, synthetic, { id: 'hbf', outcome: 'crises', family: 'poisson', covariates: ['HbF_pct', 'age'] })
 */
export function runAnalysis(real: EvalTable, synthetic: EvalTable, a: ClinicalAnalysis, opts: { confidenceLevel?: number; threads?: number } = {}): ClinicalAnalysisResult {
  const z = normalQuantile((1 + (opts.confidenceLevel ?? 0.95)) / 2);
  const notes: string[] = [];
  const r = completeCases(real, a), s = completeCases(synthetic, a);
  // The encoding (reference levels, which dummies exist) is the real data's, so both fits estimate the same coefficients.
  const enc = fitDesign(r.table, a.covariates, { standardise: false });
  const p = enc.names.length;
  const realFit = fitGlm(designMatrix(r.table, enc), r.y, r.table.nRows, p, a.family, { threads: opts.threads });
  let synFit: ReturnType<typeof fitGlm> | null = null;
  try {
    if (s.table.nRows <= p) throw new Error(`only ${s.table.nRows} complete synthetic rows for ${p} coefficients`);
    synFit = fitGlm(designMatrix(s.table, enc), s.y, s.table.nRows, p, a.family, { threads: opts.threads });
  } catch (e) {
    notes.push(`synthetic fit failed: ${(e as Error).message}`);
  }
  if (!realFit.converged) notes.push('the real-data fit did not converge');
  if (synFit && !synFit.converged) notes.push('the synthetic-data fit did not converge');
  const compare = a.compare ?? a.covariates;
  const terms: TermComparison[] = [];
  enc.names.forEach((name, j) => {
    if (j === 0) return;
    const base = compare.find((c) => name === c || name.startsWith(`${c}=`) );
    if (!base) return;
    const ci = (est: number, se: number): [number, number] => [est - z * se, est + z * se];
    const re = { estimate: realFit.coef[j], se: realFit.se[j], interval: ci(realFit.coef[j], realFit.se[j]) };
    const se = synFit ? { estimate: synFit.coef[j], se: synFit.se[j], interval: ci(synFit.coef[j], synFit.se[j]) } : null;
    let overlap = 0, intersects = false;
    if (se) {
      const lo = Math.max(re.interval[0], se.interval[0]), hi = Math.min(re.interval[1], se.interval[1]);
      intersects = hi >= lo;
      const lr = re.interval[1] - re.interval[0], ls = se.interval[1] - se.interval[0];
      overlap = intersects && lr > 0 && ls > 0 ? 0.5 * ((hi - lo) / lr + (hi - lo) / ls) : 0;
    }
    const t: TermComparison = {
      term: name, real: re, synthetic: se,
      signAgreement: se !== null && Math.sign(re.estimate) === Math.sign(se.estimate),
      intervalsOverlap: intersects, intervalOverlap: overlap,
      realSignificant: re.interval[0] > 0 || re.interval[1] < 0,
    };
    if (a.expectedSign?.[base] !== undefined) t.expectedSign = a.expectedSign[base];
    terms.push(t);
  });
  // Passing: every compared term's intervals intersect, and where the real estimate is
  // significant the synthetic one has the same sign (and the published sign, when given).
  const passed = synFit !== null && terms.length > 0 && terms.every((t) => t.intervalsOverlap && (!t.realSignificant || t.signAgreement) && (t.expectedSign === undefined || Math.sign(t.synthetic!.estimate) === t.expectedSign));
  if (terms.length === 0) notes.push('no coefficient to compare (constant covariates on the real data?)');
  return {
    id: a.id, title: a.title ?? a.id, kind: 'glm', family: a.family, outcome: a.outcome,
    effectScale: a.family === 'binomial' ? 'odds-ratio' : a.family === 'poisson' ? 'rate-ratio' : 'difference',
    nReal: r.table.nRows, nSynthetic: s.table.nRows, terms, passed, notes,
  };
}
