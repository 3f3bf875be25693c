/**
 * Anonymisation policy: per column a role and an action, the hierarchies of the
 * quasi-identifiers, the privacy models, the suppression limit, the utility metric and the
 * risk thresholds. Format documented in docs/anonymisation.md.
 */
import * as fs from 'node:fs';
import { InputError } from '../errors';
import { DEFAULT_THRESHOLDS, RiskThresholds } from './thresholds';

export type AnonymisationRole = 'direct' | 'quasi' | 'sensitive' | 'insensitive';
export type DirectAction = 'drop' | 'pseudonym' | 'shift-dates' | 'age';

/** How a quasi-identifier (or a sensitive attribute for hierarchical t-closeness) is generalised. */
export type HierarchySpec =
  | string // ARX CSV file, relative to the data file
  | { type: 'interval'; widths: number[]; origin?: number }
  | { type: 'date'; levels?: ('month' | 'year' | 'decade')[] }
  | { type: 'mask'; step?: number; maskChar?: string }
  | { type: 'file'; path: string; delimiter?: string }
  | { type: 'table'; rows: string[][] };

export interface ColumnPolicy {
  role: AnonymisationRole;
  action?: DirectAction;
  /** For action "age": the name of the column that receives the age. */
  output?: string;
  hierarchy?: HierarchySpec;
}

export type PrivacyModelSpec =
  | { type: 'k-anonymity'; k: number }
  | { type: 'distinct-l-diversity'; column: string; l: number }
  | { type: 'entropy-l-diversity'; column: string; l: number }
  | { type: 'recursive-cl-diversity'; column: string; c: number; l: number }
  | { type: 't-closeness'; column: string; t: number; distance: 'equal' | 'ordered' | 'hierarchical' }
  | { type: 'average-risk'; threshold: number }
  | { type: 'highest-risk'; threshold: number }
  | { type: 'sample-uniqueness'; threshold: number }
  | { type: 'population-uniqueness'; threshold: number; samplingFraction?: number };

export type UtilityMetric = 'non-uniform-entropy' | 'loss' | 'discernibility' | 'average-class-size';

export interface Policy {
  columns: Record<string, ColumnPolicy>;
  models: PrivacyModelSpec[];
  suppressionLimit: number;
  metric: UtilityMetric;
  /** Column identifying the patient when a patient has several rows. */
  patientColumn?: string;
  /** Environment variable holding the site secret for pseudonyms and date shifts. */
  secretEnv: string;
  /** Reference date for the "age" action (YYYY-MM-DD). */
  referenceDate?: string;
  /** Largest date shift in days. */
  maxShiftDays: number;
  /** Sampling fraction of the data in its population, for population uniqueness. */
  samplingFraction: number;
  thresholds: RiskThresholds;
  /** Where the policy came from. */
  source?: string;
}

const ROLES: AnonymisationRole[] = ['direct', 'quasi', 'sensitive', 'insensitive'];
const ACTIONS: DirectAction[] = ['drop', 'pseudonym', 'shift-dates', 'age'];
const METRICS: UtilityMetric[] = ['non-uniform-entropy', 'loss', 'discernibility', 'average-class-size'];
const MODEL_TYPES = ['k-anonymity', 'distinct-l-diversity', 'entropy-l-diversity', 'recursive-cl-diversity', 't-closeness',
  'average-risk', 'highest-risk', 'sample-uniqueness', 'population-uniqueness'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function desc(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/**
 * Checks a parsed policy and fills in defaults; every problem names the field.
 * @example const policy = validatePolicy(JSON.parse(text), 'policy.json')
 */
export function validatePolicy(raw: unknown, file?: string): Policy {
  const at = (field: string) => ({ file, field });
  if (!isObject(raw)) throw new InputError({ file }, 'a JSON object', desc(raw));
  const known = new Set(['$schema', 'description', 'version', 'columns', 'models', 'suppressionLimit', 'metric', 'patientColumn',
    'secretEnv', 'referenceDate', 'maxShiftDays', 'samplingFraction', 'thresholds']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new InputError(at(k), `one of ${[...known].join(', ')}`, `unknown field ${JSON.stringify(k)}`);
  if (!isObject(raw.columns) || Object.keys(raw.columns).length === 0) throw new InputError(at('columns'), 'an object naming at least one column', desc(raw.columns));
  const columns: Record<string, ColumnPolicy> = {};
  for (const [name, spec] of Object.entries(raw.columns)) {
    const f = `columns.${name}`;
    if (!isObject(spec)) throw new InputError(at(f), 'an object with a "role"', desc(spec));
    const role = spec.role as AnonymisationRole;
    if (!ROLES.includes(role)) throw new InputError(at(`${f}.role`), `one of ${ROLES.join(', ')}`, desc(spec.role));
    const col: ColumnPolicy = { role };
    if (role === 'direct') {
      const action = (spec.action ?? 'drop') as DirectAction;
      if (!ACTIONS.includes(action)) throw new InputError(at(`${f}.action`), `one of ${ACTIONS.join(', ')}`, desc(spec.action));
      col.action = action;
      if (action === 'age') {
        if (typeof spec.output !== 'string' || spec.output === '') throw new InputError(at(`${f}.output`), 'the name of the column receiving the age', desc(spec.output));
        col.output = spec.output;
      }
    } else if (spec.action !== undefined) {
      throw new InputError(at(`${f}.action`), 'no action (actions apply to direct identifiers)', desc(spec.action));
    }
    if (spec.hierarchy !== undefined) col.hierarchy = validateHierarchySpec(spec.hierarchy, `${f}.hierarchy`, file);
    if (role === 'quasi' && col.hierarchy === undefined) throw new InputError(at(`${f}.hierarchy`), 'a hierarchy for a quasi-identifier', 'none');
    columns[name] = col;
  }
  if (!Array.isArray(raw.models) || raw.models.length === 0) throw new InputError(at('models'), 'a non-empty list of privacy models', desc(raw.models));
  const models = raw.models.map((m, i) => validateModel(m, `models[${i}]`, columns, file));
  const suppressionLimit = raw.suppressionLimit ?? 0;
  if (typeof suppressionLimit !== 'number' || !(suppressionLimit >= 0 && suppressionLimit <= 1)) throw new InputError(at('suppressionLimit'), 'a share in [0, 1]', desc(raw.suppressionLimit));
  const metric = (raw.metric ?? 'non-uniform-entropy') as UtilityMetric;
  if (!METRICS.includes(metric)) throw new InputError(at('metric'), `one of ${METRICS.join(', ')}`, desc(raw.metric));
  let patientColumn: string | undefined;
  if (raw.patientColumn !== undefined) {
    if (typeof raw.patientColumn !== 'string' || !columns[raw.patientColumn]) throw new InputError(at('patientColumn'), 'a column named in "columns"', desc(raw.patientColumn));
    patientColumn = raw.patientColumn;
  }
  // Models over a sensitive attribute are evaluated per record (the native search says so too,
  // without the file): refused here, naming the policy file and the model.
  if (patientColumn !== undefined) {
    models.forEach((m, i) => {
      if ('column' in m) throw new InputError(at(`models[${i}]`), `a model evaluated per patient with "patientColumn" (k-anonymity or a risk model): ${m.type} is evaluated per record`, m.type);
    });
  }
  const secretEnv = raw.secretEnv ?? 'HEMASYNTH_SITE_SECRET';
  if (typeof secretEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) throw new InputError(at('secretEnv'), 'an environment variable name', desc(raw.secretEnv));
  let referenceDate: string | undefined;
  if (raw.referenceDate !== undefined) {
    if (typeof raw.referenceDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw.referenceDate)) throw new InputError(at('referenceDate'), 'a date YYYY-MM-DD', desc(raw.referenceDate));
    referenceDate = raw.referenceDate;
  }
  if (Object.values(columns).some((c) => c.action === 'age') && !referenceDate) throw new InputError(at('referenceDate'), 'a reference date for the "age" action', 'none');
  if (Object.values(columns).some((c) => c.action === 'shift-dates') && !patientColumn) {
    throw new InputError(at('patientColumn'), 'a patient column (date shifting keeps intervals within each patient)', 'none');
  }
  const maxShiftDays = raw.maxShiftDays ?? 365;
  if (typeof maxShiftDays !== 'number' || !Number.isInteger(maxShiftDays) || maxShiftDays < 1 || maxShiftDays > 36500) throw new InputError(at('maxShiftDays'), 'an integer in [1, 36500]', desc(raw.maxShiftDays));
  const samplingFraction = raw.samplingFraction ?? 0.01;
  if (typeof samplingFraction !== 'number' || !(samplingFraction > 0 && samplingFraction <= 1)) throw new InputError(at('samplingFraction'), 'a sampling fraction in (0, 1]', desc(raw.samplingFraction));
  const thresholds: RiskThresholds = { ...DEFAULT_THRESHOLDS };
  if (raw.thresholds !== undefined) {
    if (!isObject(raw.thresholds)) throw new InputError(at('thresholds'), 'an object', desc(raw.thresholds));
    for (const [k, v] of Object.entries(raw.thresholds)) {
      if (!(k in DEFAULT_THRESHOLDS)) throw new InputError(at(`thresholds.${k}`), `one of ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`, `unknown threshold ${JSON.stringify(k)}`);
      const isL = k === 'minDistinctL';
      if (typeof v !== 'number' || !(isL ? v >= 1 : v >= 0 && v <= 1)) throw new InputError(at(`thresholds.${k}`), isL ? 'a number >= 1' : 'a number in [0, 1]', desc(v));
      (thresholds as unknown as Record<string, number>)[k] = v;
    }
  }
  return { columns, models, suppressionLimit, metric, patientColumn, secretEnv, referenceDate, maxShiftDays, samplingFraction, thresholds, source: file };
}

function validateHierarchySpec(h: unknown, field: string, file?: string): HierarchySpec {
  const at = { file, field };
  if (typeof h === 'string' && h !== '') return h;
  if (!isObject(h)) throw new InputError(at, 'a hierarchy file path or an object with "type" interval, date, mask, table or file', desc(h));
  switch (h.type) {
    case 'interval':
      if (!Array.isArray(h.widths) || h.widths.length === 0 || h.widths.some((w) => typeof w !== 'number' || !(w > 0))) throw new InputError({ file, field: `${field}.widths` }, 'a non-empty list of positive widths', desc(h.widths));
      if (h.origin !== undefined && typeof h.origin !== 'number') throw new InputError({ file, field: `${field}.origin` }, 'a number', desc(h.origin));
      return { type: 'interval', widths: h.widths as number[], origin: h.origin as number | undefined };
    case 'date':
      if (h.levels !== undefined && (!Array.isArray(h.levels) || h.levels.some((l) => !['month', 'year', 'decade'].includes(l as string)))) throw new InputError({ file, field: `${field}.levels` }, 'a list of month, year, decade', desc(h.levels));
      return { type: 'date', levels: h.levels as ('month' | 'year' | 'decade')[] | undefined };
    case 'mask':
      if (h.step !== undefined && (typeof h.step !== 'number' || !Number.isInteger(h.step) || h.step < 1)) throw new InputError({ file, field: `${field}.step` }, 'a positive integer', desc(h.step));
      return { type: 'mask', step: h.step as number | undefined, maskChar: typeof h.maskChar === 'string' ? h.maskChar : undefined };
    case 'table':
      if (!Array.isArray(h.rows) || h.rows.length === 0 || h.rows.some((r) => !Array.isArray(r) || r.length < 2 || r.some((x) => typeof x !== 'string'))) {
        throw new InputError({ file, field: `${field}.rows` }, 'a list of rows of strings [value, level1, …]', desc(h.rows));
      }
      return { type: 'table', rows: h.rows as string[][] };
    case 'file':
      if (typeof h.path !== 'string') throw new InputError({ file, field: `${field}.path` }, 'a path', desc(h.path));
      return { type: 'file', path: h.path, delimiter: typeof h.delimiter === 'string' ? h.delimiter : undefined };
    default:
      throw new InputError({ file, field: `${field}.type` }, 'interval, date, mask, table or file', desc(h.type));
  }
}

function num(m: Record<string, unknown>, key: string, field: string, file: string | undefined, ok: (x: number) => boolean, expected: string): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new InputError({ file, field: `${field}.${key}` }, expected, desc(v));
  return v;
}

function validateModel(m: unknown, field: string, columns: Record<string, ColumnPolicy>, file?: string): PrivacyModelSpec {
  if (!isObject(m)) throw new InputError({ file, field }, 'an object with a "type"', desc(m));
  if (!MODEL_TYPES.includes(m.type as string)) throw new InputError({ file, field: `${field}.type` }, `one of ${MODEL_TYPES.join(', ')}`, desc(m.type));
  const sensitiveColumn = (): string => {
    const c = m.column;
    if (typeof c !== 'string' || !columns[c] || columns[c].role !== 'sensitive') {
      throw new InputError({ file, field: `${field}.column` }, 'a column whose role is "sensitive"', desc(c));
    }
    return c;
  };
  const share = (x: number) => x >= 0 && x <= 1;
  switch (m.type) {
    case 'k-anonymity': return { type: 'k-anonymity', k: num(m, 'k', field, file, (x) => Number.isInteger(x) && x >= 1, 'an integer k >= 1') };
    case 'distinct-l-diversity': return { type: 'distinct-l-diversity', column: sensitiveColumn(), l: num(m, 'l', field, file, (x) => Number.isInteger(x) && x >= 1, 'an integer l >= 1') };
    case 'entropy-l-diversity': return { type: 'entropy-l-diversity', column: sensitiveColumn(), l: num(m, 'l', field, file, (x) => x >= 1, 'a number l >= 1') };
    case 'recursive-cl-diversity': return { type: 'recursive-cl-diversity', column: sensitiveColumn(), c: num(m, 'c', field, file, (x) => x > 0, 'a number c > 0'), l: num(m, 'l', field, file, (x) => Number.isInteger(x) && x >= 1, 'an integer l >= 1') };
    case 't-closeness': {
      const distance = (m.distance ?? 'equal') as 'equal' | 'ordered' | 'hierarchical';
      if (!['equal', 'ordered', 'hierarchical'].includes(distance)) throw new InputError({ file, field: `${field}.distance` }, 'equal, ordered or hierarchical', desc(m.distance));
      const column = sensitiveColumn();
      if (distance === 'hierarchical' && !columns[column].hierarchy) throw new InputError({ file, field: `columns.${column}.hierarchy` }, 'a hierarchy for hierarchical t-closeness', 'none');
      return { type: 't-closeness', column, t: num(m, 't', field, file, share, 'a number t in [0, 1]'), distance };
    }
    case 'population-uniqueness': return { type: 'population-uniqueness', threshold: num(m, 'threshold', field, file, share, 'a share in [0, 1]'), samplingFraction: m.samplingFraction === undefined ? undefined : num(m, 'samplingFraction', field, file, (x) => x > 0 && x <= 1, 'a sampling fraction in (0, 1]') };
    default: return { type: m.type as 'average-risk', threshold: num(m, 'threshold', field, file, share, 'a share in [0, 1]') };
  }
}

/** Whether a policy column key is a pattern ("snp_*") rather than a column name. */
export function isColumnPattern(key: string): boolean {
  return key.includes('*');
}

/**
 * The policy entry of a column: its exact entry, else the first pattern ("*" matches any run
 * of characters) that matches it, else undefined (the column is dropped by minimisation).
 * @example columnPolicyFor(policy, 'snp_017') // the "snp_*" entry
 */
export function columnPolicyFor(policy: Policy, name: string): ColumnPolicy | undefined {
  const exact = policy.columns[name];
  if (exact && !isColumnPattern(name)) return exact;
  for (const [key, spec] of Object.entries(policy.columns)) {
    if (!isColumnPattern(key)) continue;
    const re = new RegExp('^' + key.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    if (re.test(name)) return spec;
  }
  return undefined;
}

/**
 * Reads and validates a policy file.
 * @example const policy = loadPolicy('examples/adult/k5-s4.json')
 */
export function loadPolicy(file: string): Policy {
  if (!fs.existsSync(file)) throw new InputError({ file }, 'an existing policy file', 'a path that does not exist');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError({ file }, 'valid JSON', `a parse error (${(e as Error).message})`);
  }
  return validatePolicy(raw, file);
}
