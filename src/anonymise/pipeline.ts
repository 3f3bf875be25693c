/**
 * The de-identification pipeline: minimisation, actions on direct identifiers, optimal
 * generalisation with suppression (native lattice search), and risk before and after with the
 * automatic privacy level.
 */
import * as path from 'node:path';
import { HemasynthError, InputError } from '../errors';
import { callNative, loadAddon } from '../native/addon';
import type { NativeNodeEvaluation, NativePrivacyModel, NativeSearchSpec } from '../native/anon';
import { VERSION } from '../version';
import { buildDateHierarchy, buildIntervalHierarchy, buildMaskHierarchy } from './hierarchy-builders';
import { EncodedHierarchy, encodeWithHierarchy, Hierarchy, makeHierarchy, readArxHierarchy } from './hierarchy';
import { ageAt, dateShiftDays, pseudonymise, shiftDate } from './identifier-actions';
import { columnPolicyFor, HierarchySpec, isColumnPattern, Policy, PrivacyModelSpec } from './policy';
import { riskFromClassSizes, RiskSummary } from './risk';
import { StringTable } from './string-table';
import { assessPrivacyLevel, InferenceMeasure, PrivacyVerdict } from './verdict';

/** Raised when no generalisation satisfies the privacy models; carries what is achievable. */
export class UnsatisfiablePolicyError extends HemasynthError {
  readonly bestAchievable: { levels: Record<string, number>; suppressedRecords: number; allowedSuppressed: number; averageProsecutor: number; highestProsecutor: number; failure: string };
  constructor(message: string, best: UnsatisfiablePolicyError['bestAchievable']) {
    super(message);
    this.bestAchievable = best;
  }
}

export interface PipelineOptions {
  /** The data file (hierarchy paths in the policy are relative to its folder). */
  dataFile?: string;
  /** Site secret for pseudonyms and date shifts (else the policy's secretEnv variable). */
  secret?: string | Buffer;
}

/** The report written as REPORT.json (every field documented in docs/anonymisation.md). */
export interface AnonymisationReport {
  tool: string;
  version: string;
  createdAt: string;
  data?: string;
  policy?: string;
  rows: { input: number; output: number };
  minimisation: { kept: string[]; dropped: string[] };
  directIdentifiers: { column: string; action: string; output?: string }[];
  quasiIdentifiers: string[];
  sensitive: string[];
  insensitive: string[];
  patientColumn: string | null;
  levels: Record<string, number>;
  hierarchyHeights: Record<string, number>;
  loss: { metric: string; value: number };
  suppressedRecords: number;
  suppressedRows: number;
  suppressionLimit: number;
  equivalenceClasses: number;
  privacyModels: PrivacyModelSpec[];
  search: { latticeSize: number; checks: number; monotone: boolean; milliseconds: number };
  risk: { before: RiskSummary; after: RiskSummary };
  inference: InferenceMeasure[];
  verdict: PrivacyVerdict;
}

const MODEL_KIND: Record<PrivacyModelSpec['type'], number> = {
  'k-anonymity': 0, 'distinct-l-diversity': 1, 'entropy-l-diversity': 2, 'recursive-cl-diversity': 3, 't-closeness': 4,
  'average-risk': 7, 'highest-risk': 8, 'sample-uniqueness': 9, 'population-uniqueness': 10,
};
const METRIC_CODE: Record<Policy['metric'], number> = { 'non-uniform-entropy': 0, loss: 1, discernibility: 2, 'average-class-size': 3 };

function secretOf(policy: Policy, opts: PipelineOptions): string | Buffer {
  const s = opts.secret ?? process.env[policy.secretEnv];
  if (s === undefined || s.length < 16) {
    throw new InputError({ field: 'secretEnv' }, `a site secret of at least 16 characters in the environment variable ${policy.secretEnv}`,
      s === undefined ? 'none' : `${s.length} characters`, 'Pseudonyms and date shifts are keyed; set the variable (e.g. from a secrets store) and keep it at the site');
  }
  return s;
}

/** Applies drop / pseudonym / date shift / age and minimisation; returns the working table. */
export function applyDirectIdentifierActions(table: StringTable, policy: Policy, opts: PipelineOptions = {}): { table: StringTable; dropped: string[]; actions: AnonymisationReport['directIdentifiers'] } {
  const file = opts.dataFile;
  const derived = new Set(Object.values(policy.columns).filter((c) => c.action === 'age').map((c) => c.output!));
  for (const name of Object.keys(policy.columns)) {
    if (!isColumnPattern(name) && !table.values[name] && !derived.has(name)) {
      throw new InputError({ file, column: name }, `a column of the data (${table.columns.join(', ')})`, 'a column the data lacks', 'Fix the policy\'s "columns"');
    }
  }
  const dropped = table.columns.filter((c) => !columnPolicyFor(policy, c));
  const needsSecret = Object.values(policy.columns).some((c) => c.action === 'pseudonym' || c.action === 'shift-dates');
  const secret = needsSecret ? secretOf(policy, opts) : '';
  const patientKeys = policy.patientColumn ? table.values[policy.patientColumn] : undefined;
  const values: Record<string, string[]> = {};
  const columns: string[] = [];
  const actions: AnonymisationReport['directIdentifiers'] = [];
  for (const name of table.columns) {
    const spec = columnPolicyFor(policy, name);
    if (!spec) continue;
    const src = table.values[name];
    if (spec.role !== 'direct') { columns.push(name); values[name] = src; continue; }
    actions.push({ column: name, action: spec.action!, output: spec.output });
    switch (spec.action) {
      case 'drop': break;
      case 'pseudonym': columns.push(name); values[name] = src.map((v) => (v === '' ? '' : pseudonymise(v, secret))); break;
      case 'shift-dates': {
        const offsets = new Map<string, number>();
        columns.push(name);
        values[name] = src.map((v, i) => {
          const key = patientKeys![i];
          let d = offsets.get(key);
          if (d === undefined) { d = dateShiftDays(key, secret, policy.maxShiftDays); offsets.set(key, d); }
          return shiftDate(v, d, { file, row: i + 1, column: name });
        });
        break;
      }
      case 'age':
        columns.push(spec.output!);
        values[spec.output!] = src.map((v, i) => ageAt(v, policy.referenceDate!, { file, row: i + 1, column: name }));
        break;
    }
  }
  return { table: { columns, values, rowCount: table.rowCount }, dropped, actions };
}

function resolveHierarchy(spec: HierarchySpec, column: string, values: string[], dataFile?: string): Hierarchy {
  const base = dataFile ? path.dirname(path.resolve(dataFile)) : process.cwd();
  if (typeof spec === 'string') return readArxHierarchy(path.resolve(base, spec));
  switch (spec.type) {
    case 'file': return readArxHierarchy(path.resolve(base, spec.path), spec.delimiter);
    case 'interval': return buildIntervalHierarchy(values, spec, column);
    case 'date': return buildDateHierarchy(values, column, { levels: spec.levels });
    case 'mask': return buildMaskHierarchy(values, spec, column);
    case 'table': return makeHierarchy(spec.rows, `hierarchy of ${column} in the policy`);
  }
}

/** Codes a sensitive column: by its hierarchy when it has one, else numerically or lexically sorted. */
function encodeSensitive(values: string[], column: string, spec: HierarchySpec | undefined, dataFile?: string): EncodedHierarchy {
  if (spec) return encodeWithHierarchy(values, resolveHierarchy(spec, column, values, dataFile), column, dataFile);
  const distinct = [...new Set(values)];
  const numeric = distinct.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  return encodeWithHierarchy(values, { labels: distinct.map((v) => [v]), height: 1, source: `values of ${column}` }, column, dataFile);
}

/** Everything the native search needs, plus the maps back to rows. */
export interface EncodedProblem {
  spec: NativeSearchSpec;
  rowCombo: Int32Array;
  qis: string[];
  qiEncodings: EncodedHierarchy[];
  sensitive: string[];
  sensitiveEncodings: EncodedHierarchy[];
}

/**
 * Codes quasi-identifiers, sensitive attributes and patients and groups the rows natively.
 * @example const problem = encodeProblem(working, policy, { dataFile: 'adult.csv' })
 */
export function encodeProblem(table: StringTable, policy: Policy, opts: PipelineOptions = {}): EncodedProblem {
  const roleOf = (c: string) => columnPolicyFor(policy, c)?.role;
  const qis = table.columns.filter((c) => roleOf(c) === 'quasi');
  const sensitive = table.columns.filter((c) => roleOf(c) === 'sensitive');
  if (qis.length === 0) throw new InputError({ file: policy.source, field: 'columns' }, 'at least one quasi-identifier (role "quasi")', 'none');
  if (qis.length > 64) throw new InputError({ file: policy.source, field: 'columns' }, 'at most 64 quasi-identifiers', `${qis.length}`, 'The generalisation lattice grows as the product of the hierarchy heights; remove quasi-identifiers the use case does not need');
  const qiEncodings = qis.map((c) => encodeWithHierarchy(table.values[c], resolveHierarchy(columnPolicyFor(policy, c)!.hierarchy!, c, table.values[c], opts.dataFile), c, opts.dataFile));
  const sensitiveEncodings = sensitive.map((c) => encodeSensitive(table.values[c], c, columnPolicyFor(policy, c)!.hierarchy, opts.dataFile));
  const n = table.rowCount;
  const parts: Int32Array[] = [...qiEncodings.map((e) => e.rowCodes), ...sensitiveEncodings.map((e) => e.rowCodes)];
  let patientColumn = -1;
  if (policy.patientColumn) {
    const ids = new Map<string, number>();
    const pc = new Int32Array(n);
    const src = table.values[policy.patientColumn];
    for (let i = 0; i < n; i++) {
      let id = ids.get(src[i]);
      if (id === undefined) { id = ids.size; ids.set(src[i], id); }
      pc[i] = id;
    }
    patientColumn = parts.length;
    parts.push(pc);
  }
  const width = parts.length;
  const columns = new Int32Array(n * width);
  parts.forEach((p, j) => columns.set(p, j * n));
  const addon = loadAddon();
  const grouped = callNative(() => addon.anonGroupRows(columns, n, width));
  const sensIndex = new Map(sensitive.map((c, i) => [c, i]));
  const models: NativePrivacyModel[] = policy.models.map((m) => {
    const kind = m.type === 't-closeness' ? 4 + ['equal', 'ordered', 'hierarchical'].indexOf(m.distance) : MODEL_KIND[m.type];
    switch (m.type) {
      case 'k-anonymity': return { kind, a: m.k, b: 0, sensitive: -1 };
      case 'distinct-l-diversity': case 'entropy-l-diversity': return { kind, a: m.l, b: 0, sensitive: sensIndex.get(m.column)! };
      case 'recursive-cl-diversity': return { kind, a: m.l, b: m.c, sensitive: sensIndex.get(m.column)! };
      case 't-closeness': return { kind, a: m.t, b: 0, sensitive: sensIndex.get(m.column)! };
      case 'population-uniqueness': return { kind, a: m.threshold, b: m.samplingFraction ?? policy.samplingFraction, sensitive: -1 };
      default: return { kind, a: m.threshold, b: 0, sensitive: -1 };
    }
  });
  const spec: NativeSearchSpec = {
    codes: grouped.codes,
    width,
    counts: grouped.counts,
    qiColumns: Int32Array.from(qis.map((_, j) => j)),
    qis: qiEncodings.map((e) => ({ gen: e.gen, card: e.card, height: e.height })),
    sensitive: sensitiveEncodings.map((e, i) => ({ column: qis.length + i, card: e.card, gen: e.height > 1 ? e.gen : undefined, height: e.height })),
    patientColumn,
    models,
    suppressionLimit: policy.suppressionLimit,
    metric: METRIC_CODE[policy.metric],
  };
  return { spec, rowCombo: grouped.rowCombo, qis, qiEncodings, sensitive, sensitiveEncodings };
}

/**
 * Class sizes (records or patients) of the problem at the given levels. Suppressed records are
 * left out: every quasi-identifier of theirs is "*", so they cannot be linked through them.
 */
function classSizesAt(problem: EncodedProblem, levels: Int32Array, spec: NativeSearchSpec): { sizes: Float64Array; evaluation: NativeNodeEvaluation; assignment: ReturnType<ReturnType<typeof loadAddon>['anonAssign']> } {
  const a = callNative(() => loadAddon().anonAssign(spec, levels));
  const kept: number[] = [];
  const suppressedClass = new Uint8Array(a.classUnits.length);
  for (let i = 0; i < a.suppressedCombo.length; i++) if (a.suppressedCombo[i]) suppressedClass[a.classOfCombo[i]] = 1;
  for (let c = 0; c < a.classUnits.length; c++) if (!suppressedClass[c] && a.classUnits[c] > 0) kept.push(a.classUnits[c]);
  return { sizes: Float64Array.from(kept), evaluation: a.evaluation, assignment: a };
}

/** Risk of the data as it is (all quasi-identifiers at level 0, nothing suppressed). */
function riskBefore(problem: EncodedProblem, policy: Policy): RiskSummary {
  const spec: NativeSearchSpec = { ...problem.spec, models: [{ kind: 0, a: 1, b: 0, sensitive: -1 }], suppressionLimit: 0 };
  const { sizes } = classSizesAt(problem, new Int32Array(problem.qis.length), spec);
  return riskFromClassSizes(sizes, { samplingFraction: policy.samplingFraction, recordRiskThreshold: policy.thresholds.recordRisk });
}

/** Attribute-disclosure measures of each sensitive column over the released classes. */
function inferenceMeasures(problem: EncodedProblem, classOfRow: Int32Array, suppressedRow: Uint8Array, classes: number): InferenceMeasure[] {
  return problem.sensitive.map((column, s) => {
    const enc = problem.sensitiveEncodings[s];
    const card = enc.card;
    const counts = new Float64Array(classes * card);
    const global = new Float64Array(card);
    let n = 0;
    for (let i = 0; i < classOfRow.length; i++) {
      const v = enc.rowCodes[i];
      global[v] += 1;
      n += 1;
      if (!suppressedRow[i]) counts[classOfRow[i] * card + v] += 1;
    }
    let minDistinct = Infinity, minEntropyL = Infinity, maxT = 0;
    for (let c = 0; c < classes; c++) {
      let total = 0, distinct = 0, plogp = 0;
      for (let v = 0; v < card; v++) { const x = counts[c * card + v]; if (x > 0) { total += x; distinct += 1; plogp += x * Math.log2(x); } }
      if (total === 0) continue;
      const h = Math.log2(total) - plogp / total;
      let emd = 0;
      for (let v = 0; v < card; v++) emd += Math.abs(counts[c * card + v] / total - global[v] / n);
      minDistinct = Math.min(minDistinct, distinct);
      minEntropyL = Math.min(minEntropyL, 2 ** h);
      maxT = Math.max(maxT, emd / 2);
    }
    return { column, minDistinctL: Number.isFinite(minDistinct) ? minDistinct : 0, minEntropyL: Number.isFinite(minEntropyL) ? minEntropyL : 0, maxTCloseness: maxT };
  });
}

/**
 * Assesses the re-identification risk of a table under a policy without changing it (direct
 * identifiers are removed first, as they would be in any release).
 * @example const { risk, verdict } = assessRisk(readDelimitedTable('adult.csv'), loadPolicy('k5-s4.json'))
 */
export function assessRisk(table: StringTable, policy: Policy, opts: PipelineOptions = {}): { risk: RiskSummary; inference: InferenceMeasure[]; verdict: PrivacyVerdict; quasiIdentifiers: string[] } {
  const { table: working } = applyDirectIdentifierActions(table, policy, { ...opts, secret: opts.secret ?? 'risk-assessment-only-secret' });
  const problem = encodeProblem(working, policy, opts);
  const risk = riskBefore(problem, policy);
  const spec: NativeSearchSpec = { ...problem.spec, models: [{ kind: 0, a: 1, b: 0, sensitive: -1 }], suppressionLimit: 0 };
  const a = callNative(() => loadAddon().anonAssign(spec, new Int32Array(problem.qis.length)));
  const classOfRow = new Int32Array(working.rowCount);
  for (let i = 0; i < working.rowCount; i++) classOfRow[i] = a.classOfCombo[problem.rowCombo[i]];
  const inference = inferenceMeasures(problem, classOfRow, new Uint8Array(working.rowCount), a.classRecords.length);
  return { risk, inference, verdict: assessPrivacyLevel(risk, inference, policy.thresholds, problem.qis), quasiIdentifiers: problem.qis };
}

/**
 * Runs the whole pipeline and returns the released table and its report. Throws
 * {@link UnsatisfiablePolicyError} when no generalisation meets the privacy models.
 * @example const { table, report } = anonymiseTable(readDelimitedTable('adult.csv'), loadPolicy('examples/adult/k5-s4.json'), { dataFile: 'adult.csv' })
 */
export function anonymiseTable(table: StringTable, policy: Policy, opts: PipelineOptions = {}): { table: StringTable; report: AnonymisationReport } {
  const { table: working, dropped, actions } = applyDirectIdentifierActions(table, policy, opts);
  const problem = encodeProblem(working, policy, opts);
  const before = riskBefore(problem, policy);
  const t0 = process.hrtime.bigint();
  const result = callNative(() => loadAddon().anonSearch(problem.spec));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const levelsOf = (lv: ArrayLike<number>) => Object.fromEntries(problem.qis.map((q, j) => [q, lv[j]]));
  if (!result.found) {
    const ev = result.evaluation;
    const allowed = Math.floor(policy.suppressionLimit * ev.records + 1e-9);
    throw new UnsatisfiablePolicyError(
      `No generalisation satisfies the privacy models of ${policy.source ? JSON.stringify(policy.source) : 'the policy'} ` +
      `(${policy.models.map((m) => m.type).join(', ')}) with at most ${(policy.suppressionLimit * 100).toFixed(2)}% suppression. ` +
      `Best achievable: generalising every quasi-identifier fully still leaves ${ev.suppressed} of ${ev.records} records to suppress (${allowed} allowed; failing: ${ev.failure || 'the models'}); ` +
      `average prosecutor risk ${ev.averageRisk.toFixed(4)}, highest ${ev.highestRisk.toFixed(4)}. Relax a model, allow more suppression or remove quasi-identifiers.`,
      { levels: levelsOf(result.levels), suppressedRecords: ev.suppressed, allowedSuppressed: allowed, averageProsecutor: ev.averageRisk, highestProsecutor: ev.highestRisk, failure: ev.failure },
    );
  }
  const { sizes, evaluation, assignment } = classSizesAt(problem, result.levels, problem.spec);
  const after = riskFromClassSizes(sizes, { samplingFraction: policy.samplingFraction, recordRiskThreshold: policy.thresholds.recordRisk });
  // Release: generalised labels, suppressed rows with every quasi-identifier "*".
  const n = working.rowCount;
  const classOfRow = new Int32Array(n);
  const suppressedRow = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const c = problem.rowCombo[i]; classOfRow[i] = assignment.classOfCombo[c]; suppressedRow[i] = assignment.suppressedCombo[c]; }
  const values: Record<string, string[]> = { ...working.values };
  problem.qis.forEach((q, j) => {
    const enc = problem.qiEncodings[j];
    const level = result.levels[j];
    const labels = enc.labelsByLevel[level];
    const gen = enc.gen;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = suppressedRow[i] ? '*' : labels[gen[level * enc.card + enc.rowCodes[i]]];
    values[q] = out;
  });
  const inference = inferenceMeasures(problem, classOfRow, suppressedRow, assignment.classRecords.length);
  const verdict = assessPrivacyLevel(after, inference, policy.thresholds, problem.qis);
  const roles = (r: string) => working.columns.filter((c) => columnPolicyFor(policy, c)?.role === r);
  const report: AnonymisationReport = {
    tool: 'hemasynth anonymise',
    version: VERSION,
    createdAt: new Date().toISOString(),
    data: opts.dataFile,
    policy: policy.source,
    rows: { input: table.rowCount, output: n },
    minimisation: { kept: working.columns, dropped },
    directIdentifiers: actions,
    quasiIdentifiers: problem.qis,
    sensitive: problem.sensitive,
    insensitive: roles('insensitive'),
    patientColumn: policy.patientColumn ?? null,
    levels: levelsOf(result.levels),
    hierarchyHeights: Object.fromEntries(problem.qis.map((q, j) => [q, problem.qiEncodings[j].height])),
    loss: { metric: policy.metric, value: evaluation.loss },
    suppressedRecords: evaluation.suppressed,
    suppressedRows: evaluation.suppressedRows,
    suppressionLimit: policy.suppressionLimit,
    equivalenceClasses: evaluation.classes,
    privacyModels: policy.models,
    search: { latticeSize: result.latticeSize, checks: result.checks, monotone: result.monotone, milliseconds: ms },
    risk: { before, after },
    inference,
    verdict,
  };
  return { table: { columns: working.columns, values, rowCount: n }, report };
}

/**
 * Risk of the release at given generalisation levels (a what-if without the search): the
 * policy's models decide what is suppressed; suppressed records count as one class.
 * @example riskAtLevels(table, policy, { age: 4, sex: 0 }) // levels of unnamed quasi-identifiers are 0
 */
export function riskAtLevels(table: StringTable, policy: Policy, levels: Record<string, number>, opts: PipelineOptions = {}): { risk: RiskSummary; satisfied: boolean; suppressedRecords: number; equivalenceClasses: number } {
  const { table: working } = applyDirectIdentifierActions(table, policy, { ...opts, secret: opts.secret ?? 'risk-assessment-only-secret' });
  const problem = encodeProblem(working, policy, opts);
  for (const k of Object.keys(levels)) {
    const j = problem.qis.indexOf(k);
    if (j < 0) throw new InputError({ field: `levels.${k}` }, `a quasi-identifier (${problem.qis.join(', ')})`, JSON.stringify(k));
    const h = problem.qiEncodings[j].height;
    if (!Number.isInteger(levels[k]) || levels[k] < 0 || levels[k] >= h) throw new InputError({ field: `levels.${k}` }, `a level in [0, ${h - 1}]`, String(levels[k]));
  }
  const lv = Int32Array.from(problem.qis.map((q) => levels[q] ?? 0));
  const { sizes, evaluation } = classSizesAt(problem, lv, problem.spec);
  return {
    risk: riskFromClassSizes(sizes, { samplingFraction: policy.samplingFraction, recordRiskThreshold: policy.thresholds.recordRisk }),
    satisfied: evaluation.satisfied,
    suppressedRecords: evaluation.suppressed,
    equivalenceClasses: evaluation.classes,
  };
}
