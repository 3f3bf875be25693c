/**
 * Orchestrates the evaluation of a synthetic table against the real training table it was
 * generated from and a real holdout table the generator never saw: fidelity, utility,
 * privacy and clinical validity, assembled into the report (see docs/report.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataType, type Table } from 'apache-arrow';
import { Piscina } from 'piscina';
import type { EvaluateSectionTask, SectionError } from '../pool/evaluate-section';
import type { TableSchema } from '../data/schema';
import { alignTables, EvalColumn, EvalTable } from './table-columns';
import { evaluateFidelity, FidelityReport } from './fidelity/evaluate-fidelity';
import { evaluateUtility, UtilityReport } from './utility/evaluate-utility';
import { evaluatePrivacy, PrivacyOptions, PrivacyReport } from './privacy/evaluate-privacy';
import { ClinicalAnalysis, ClinicalAnalysisResult, runAnalysis } from './clinical/analyses';
import { applicableScdAnalyses } from './clinical/analyses-scd';
import { runScdChecks, SCD_CHECK_COLUMNS } from './clinical/scd-checks';
import { HemasynthError, InputError, UsageError } from '../errors';
import { VERSION } from '../version';

/** What {@link evaluateSynthetic} needs. */
export interface EvaluationInput {
  train: Table;
  holdout: Table;
  synthetic: Table;
  schema?: TableSchema;
  /** Utility target column (default: the schema's column with role "target"; none: no utility section). */
  target?: string;
  /** Declarative clinical analyses run on real and synthetic data. */
  analyses?: ClinicalAnalysis[];
  /**
   * The sickle-cell suite: checks V1–V13 and the built-in SCD analyses. 'auto' (default) runs
   * it when the training table holds at least half of the columns the checks read.
   */
  scd?: 'auto' | 'on' | 'off';
  /** The model's privacy ledger (object as written by the trainer), or null. */
  ledger?: unknown;
  /** Labels for the report (file names). */
  labels?: { train?: string; holdout?: string; synthetic?: string };
  /** Secret columns for the inference attack. */
  secrets?: string[];
  nAttacks?: number;
  confidenceLevel?: number;
  seed?: number;
  /** Native threads per kernel (0 = all cores). */
  threads?: number;
  /** Called as each section finishes. */
  onProgress?: (section: string, done: number, total: number) => void;
}

/** A built-in clinical check (same shape as the SCD suite's results). */
export interface ClinicalCheckResult {
  id: string;
  title: string;
  statistics?: Record<string, unknown>;
  bands?: unknown;
  passed: boolean;
  n?: number;
}

/** One entry of report.json's `clinical` list. */
export type ClinicalEntry =
  | ClinicalAnalysisResult
  | (ClinicalCheckResult & { kind: 'check'; real: { statistics?: Record<string, unknown>; passed: boolean } })
  | { id: string; title: string; kind: 'glm'; passed: false; error: string };

/** report.json. Field names are stable; docs/report.md documents each. */
export interface EvaluationReport {
  format: 'hemasynth-evaluation-report';
  version: 1;
  hemasynth: string;
  createdAt: string;
  inputs: {
    train: { label: string; rows: number };
    holdout: { label: string; rows: number };
    synthetic: { label: string; rows: number };
    columns: { name: string; kind: 'numeric' | 'categorical' }[];
    seed: number;
  };
  fidelity: FidelityReport;
  utility: UtilityReport | null;
  privacy: PrivacyReport;
  clinical: ClinicalEntry[];
  ledger: unknown | null;
  summary: { fidelityFlagged: boolean; utilityFlagged: boolean | null; privacyFlagged: boolean; clinicalPassed: number; clinicalTotal: number };
  notes: string[];
  timings: Record<string, number>;
}

function defaultTarget(schema?: TableSchema): string | undefined {
  return schema?.columns.find((c) => c.role === 'target')?.name;
}

interface Prepared {
  labels: { train: string; holdout: string; synthetic: string };
  seed: number;
  train: EvalTable;
  holdout: EvalTable;
  synthetic: EvalTable;
  target?: string;
  secrets: string[];
  notes: string[];
  timings: Record<string, number>;
}

function prepare(input: EvaluationInput): Prepared {
  const labels = { train: input.labels?.train ?? 'training', holdout: input.labels?.holdout ?? 'holdout', synthetic: input.labels?.synthetic ?? 'synthetic' };
  for (const [k, t] of [['train', input.train], ['holdout', input.holdout], ['synthetic', input.synthetic]] as const) {
    if (t.numRows < 2) throw new InputError({ file: labels[k] }, 'a table with at least 2 rows', `${t.numRows} rows`);
  }
  const t0 = performance.now();
  const [train, holdout, synthetic] = alignTables([
    { label: labels.train, table: input.train }, { label: labels.holdout, table: input.holdout }, { label: labels.synthetic, table: input.synthetic },
  ], input.schema);
  checkSyntheticCategories(train, synthetic, input, labels);
  // The attacks' controls are the holdout's records: the training table itself makes them meaningless.
  if (sameContent(train, holdout)) throw new InputError({ file: labels.holdout }, `records held out from training (the attacks' control group), not the ${labels.train} table again`, 'a table with the same rows');
  const names = new Set(train.columns.map((c) => c.name));
  const unknown = (input.secrets ?? []).filter((s) => !names.has(s));
  if (unknown.length > 0) throw new UsageError(`Expected --secrets to name evaluated columns (${[...names].slice(0, 20).join(', ')}${names.size > 20 ? ', ...' : ''}) but received ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
  const target = input.target ?? defaultTarget(input.schema);
  const notes: string[] = [];
  if (!target) notes.push('no utility section: give --target COLUMN (or a schema column with role "target")');
  const secrets = input.secrets ?? [...new Set([...(input.schema?.columns.filter((c) => c.role === 'sensitive').map((c) => c.name) ?? []), ...(target ? [target] : [])])];
  return { labels, seed: input.seed ?? 20240611, train, holdout, synthetic, target, secrets, notes, timings: { prepare: (performance.now() - t0) / 1000 } };
}

/**
 * Refuses a synthetic category outside the allowed set, as reading the synthetic table with a
 * schema does (data/table-validation.ts): the categories the schema declares for the column
 * (with --schema, or the schema the real table carries; not categories inferred from a CSV
 * file) and those the real training table holds. Without declared categories, the training table's own categories are the allowed set,
 * so a category a generator invented (or a tampered file introduced) is not evaluated as if it
 * were data. Booleans have a fixed domain and are not checked.
 */
function checkSyntheticCategories(train: EvalTable, synthetic: EvalTable, input: EvaluationInput, labels: Prepared['labels']): void {
  train.columns.forEach((c, j) => {
    const s = synthetic.columns[j];
    if (c.kind !== 'categorical' || s.kind !== 'categorical') return;
    const sc = input.schema?.columns.find((x) => x.name === c.name);
    const field = input.train.schema.fields.find((f) => f.name === c.name);
    if (sc?.kind === 'boolean' || (field && DataType.isBool(field.type))) return;
    const allowed = new Uint8Array(c.categories.length);
    let seen = 0;
    for (const v of c.codes) if (v >= 0 && !allowed[v]) { allowed[v] = 1; seen++; }
    // Categories inferred from a CSV file are the values it holds, not a declaration.
    const declared = sc?.categories && sc.categories.length > 0 && !sc.inferred ? new Set(sc.categories) : undefined;
    // Without declared categories, a column with a value for about every record is an identifier
    // the schema did not name (a pseudonym in an anonymised release: new values are its purpose),
    // not a category list to hold the synthetic table to.
    if (!declared && seen > c.codes.length / 2) return;
    if (declared) c.categories.forEach((cat, k) => { if (declared.has(cat)) allowed[k] = 1; });
    for (let i = 0; i < s.codes.length; i++) {
      const v = s.codes[i];
      if (v < 0 || allowed[v]) continue;
      const list = c.categories.filter((_, k) => allowed[k]);
      const cats = list.length <= 12 ? list.map((x) => JSON.stringify(x)).join(', ') : `${list.slice(0, 12).map((x) => JSON.stringify(x)).join(', ')}, ...`;
      throw new InputError({ file: labels.synthetic, row: i + 1, column: c.name }, `one of the categories ${cats}`, JSON.stringify(s.categories[v]),
        `Only categories of the real training table (${labels.train})${declared ? ' or of its schema' : ''} are valid: a synthetic-only category was invented by a generator or written into the file`);
    }
  });
}

/** Whether two aligned tables hold the same rows in the same order. */
function sameContent(a: EvalTable, b: EvalTable): boolean {
  if (a.nRows !== b.nRows) return false;
  const data = (c: EvalColumn): ArrayLike<number> => (c.kind === 'numeric' ? c.values : c.codes);
  return a.columns.every((c, j) => {
    const x = data(c), y = data(b.columns[j]);
    for (let i = 0; i < x.length; i++) if (!(x[i] === y[i] || (Number.isNaN(x[i]) && Number.isNaN(y[i])))) return false;
    return true;
  });
}

function privacyOptions(p: Prepared, input: EvaluationInput): PrivacyOptions {
  return { secrets: p.secrets.length ? p.secrets : undefined, nAttacks: input.nAttacks, confidenceLevel: input.confidenceLevel };
}

function assemble(p: Prepared, input: EvaluationInput, fidelity: FidelityReport, utility: UtilityReport | null, privacy: PrivacyReport): EvaluationReport {
  const t0 = performance.now();
  const clinical = runClinical(p.train, p.synthetic, input, p.notes);
  p.timings.clinical = (performance.now() - t0) / 1000;
  input.onProgress?.('clinical', 4, 4);
  if (input.ledger === undefined || input.ledger === null) p.notes.push('no privacy ledger given (--ledger FILE): the report cannot state the privacy budget the model spent');
  return {
    format: 'hemasynth-evaluation-report',
    version: 1,
    hemasynth: VERSION,
    createdAt: new Date().toISOString(),
    inputs: {
      train: { label: p.labels.train, rows: p.train.nRows },
      holdout: { label: p.labels.holdout, rows: p.holdout.nRows },
      synthetic: { label: p.labels.synthetic, rows: p.synthetic.nRows },
      columns: p.train.columns.map((c) => ({ name: c.name, kind: c.kind })),
      seed: p.seed,
    },
    fidelity, utility, privacy, clinical,
    ledger: input.ledger ?? null,
    summary: {
      fidelityFlagged: fidelity.verdict.flagged,
      utilityFlagged: utility ? utility.verdict.flagged : null,
      privacyFlagged: privacy.verdict.flagged,
      clinicalPassed: clinical.filter((c) => c.passed).length,
      clinicalTotal: clinical.length,
    },
    notes: p.notes,
    timings: p.timings,
  };
}

/**
 * Evaluates `synthetic` against `train` and `holdout` in this thread (native kernels use
 * `threads` threads).
 * @example const report = evaluateSynthetic({ train, holdout, synthetic, target: 'hospitalised' });
 */
export function evaluateSynthetic(input: EvaluationInput): EvaluationReport {
  const p = prepare(input);
  const time = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    try { return f(); } finally { p.timings[name] = (performance.now() - t0) / 1000; }
  };
  const fidelity = time('fidelity', () => evaluateFidelity(p.train, p.holdout, p.synthetic, { seed: p.seed, threads: input.threads }));
  input.onProgress?.('fidelity', 1, 4);
  const utility = p.target ? time('utility', () => evaluateUtility(p.train, p.holdout, p.synthetic, p.target!, { threads: input.threads })) : null;
  input.onProgress?.('utility', 2, 4);
  const privacy = time('privacy', () => evaluatePrivacy(p.train, p.holdout, p.synthetic, { ...privacyOptions(p, input), seed: p.seed, threads: input.threads }));
  input.onProgress?.('privacy', 3, 4);
  return assemble(p, input, fidelity, utility, privacy);
}

/** The compiled worker of the pool (present in dist/, absent when running from TypeScript sources). */
export function evaluateWorkerFile(): string | null {
  const file = path.join(__dirname, '..', 'pool', 'evaluate-section.js');
  return fs.existsSync(file) ? file : null;
}

/**
 * Evaluates with the fidelity, utility and privacy sections running at once in a piscina
 * pool of `workers` threads, each section's native kernels on cores/workers threads (so
 * workers × native threads = cores). Falls back to {@link evaluateSynthetic} with a note when
 * the compiled worker is not available.
 * @example const report = await evaluateSyntheticInPool({ train, holdout, synthetic }, { workers: 3 });
 */
export async function evaluateSyntheticInPool(input: EvaluationInput, opts: { workers?: number } = {}): Promise<EvaluationReport> {
  const workerFile = evaluateWorkerFile();
  const workers = Math.max(1, Math.min(3, opts.workers ?? Math.min(3, os.availableParallelism())));
  if (!workerFile || workers === 1) {
    const r = evaluateSynthetic(input);
    if (!workerFile) r.notes.push('worker pool unavailable (running from TypeScript sources): the sections ran one after another in this thread');
    return r;
  }
  const p = prepare(input);
  const threads = input.threads && input.threads > 0 ? input.threads : Math.max(1, Math.floor(os.availableParallelism() / workers));
  const pool = new Piscina({ filename: workerFile, minThreads: workers, maxThreads: workers });
  try {
    const base: Omit<EvaluateSectionTask, 'section'> = { train: p.train, holdout: p.holdout, synthetic: p.synthetic, target: p.target, privacy: privacyOptions(p, input), seed: p.seed, threads };
    let done = 0;
    const run = async <T>(section: EvaluateSectionTask['section']): Promise<T> => {
      const r = await pool.run({ ...base, section }) as { result: T; seconds: number; error?: SectionError };
      if (r.error) throw r.error.usage ? new UsageError(r.error.message) : new HemasynthError(r.error.message);
      p.timings[section] = r.seconds;
      input.onProgress?.(section, ++done, 4);
      return r.result;
    };
    const t0 = performance.now();
    const [privacy, fidelity, utility] = await Promise.all([
      run<PrivacyReport>('privacy'),
      run<FidelityReport>('fidelity'),
      p.target ? run<UtilityReport>('utility') : Promise.resolve(null),
    ]);
    p.timings.sectionsWall = (performance.now() - t0) / 1000;
    p.timings.workers = workers;
    p.timings.nativeThreadsPerWorker = threads;
    return assemble(p, input, fidelity, utility, privacy);
  } finally {
    await pool.destroy();
  }
}

function runClinical(train: EvalTable, synthetic: EvalTable, input: EvaluationInput, notes: string[]): ClinicalEntry[] {
  const out: ClinicalEntry[] = [];
  const present = new Set(train.columns.map((c) => c.name));
  const scdShare = SCD_CHECK_COLUMNS.filter((c) => present.has(c)).length / SCD_CHECK_COLUMNS.length;
  const scd = input.scd === 'on' || ((input.scd ?? 'auto') === 'auto' && scdShare >= 0.5);
  const analyses = [...(scd ? applicableScdAnalyses(train) : []), ...(input.analyses ?? [])];
  for (const a of analyses) {
    try {
      out.push(runAnalysis(train, synthetic, a, { confidenceLevel: input.confidenceLevel, threads: input.threads }));
    } catch (e) {
      out.push({ id: a.id, title: a.title ?? a.id, kind: 'glm', passed: false, error: (e as Error).message });
    }
  }
  if (scd) {
    try {
      const real = runScdChecks(input.train);
      runScdChecks(input.synthetic).forEach((c, i) => {
        out.push({ ...c, kind: 'check', real: { statistics: real[i].statistics, passed: real[i].passed } });
      });
      const realFailed = real.filter((c) => !c.passed).map((c) => c.id);
      if (realFailed.length) notes.push(`the real training data itself fails SCD checks ${realFailed.join(', ')}: those checks say little about the synthetic data`);
    } catch (e) {
      notes.push(`SCD checks could not run: ${(e as Error).message}`);
    }
  }
  if (out.length === 0) notes.push('no clinical analyses: give --analyses FILE (JSON); the SCD suite runs on tables of the SCD data model');
  return out;
}
