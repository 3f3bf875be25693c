/**
 * Checking a schema (JSON written by people) before anything trusts it. Every problem names the
 * field path (`columns[3].kind`), what was expected and what was found; unknown keys are refused,
 * so a typo such as `"catgories"` cannot silently drop a constraint.
 */
import * as fs from 'node:fs';
import { describeValue, InputError } from '../errors';
import { COLUMN_KINDS, COLUMN_ROLES, type ColumnSchema, type TableSchema } from './schema';
import { parseDateTimeMs, isIntegerText } from './value-parsing';

const TABLE_KEYS = new Set(['version', 'name', 'columns', 'constraints']);
const COLUMN_KEYS = new Set(['name', 'kind', 'role', 'description', 'unit', 'min', 'max', 'categories', 'missing', 'nullable', 'source', 'format', 'inferred']);

function fail(source: string | undefined, field: string, expected: string, value: unknown): never {
  throw new InputError({ file: source, field }, expected, describeValue(value));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(source: string | undefined, field: string, v: unknown, unique: boolean): string[] {
  if (!Array.isArray(v)) fail(source, field, 'an array of strings', v);
  const seen = new Set<string>();
  v.forEach((x, i) => {
    if (typeof x !== 'string') fail(source, `${field}[${i}]`, 'a string', x);
    if (unique && seen.has(x)) fail(source, `${field}[${i}]`, 'a value not already listed', x);
    seen.add(x);
  });
  return v as string[];
}

function checkBound(source: string | undefined, field: string, col: ColumnSchema, v: unknown): number | string | bigint {
  if (col.kind === 'continuous') {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, field, 'a finite number', v);
    return v;
  }
  if (col.kind === 'integer') {
    // Integers beyond 2^53 cannot be exact JSON numbers, so they may be written as strings.
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === 'string' && isIntegerText(v)) return BigInt(v);
    fail(source, field, 'an integer (a string of digits beyond 2^53)', v);
  }
  if (col.kind === 'datetime') {
    if (typeof v !== 'string' || Number.isNaN(parseDateTimeMs(v))) fail(source, field, 'an ISO 8601 date or date-time string', v);
    return parseDateTimeMs(v);
  }
  fail(source, field, `no bound (bounds apply to continuous, integer and datetime columns, not ${col.kind})`, v);
}

/**
 * Checks an object parsed from schema JSON and returns it as a TableSchema, with each column's
 * role defaulting to "feature". Throws an InputError naming the field path on the first problem.
 * @example validateSchema({ version: 1, columns: [{ name: 'age', kind: 'integer' }] }, 'schema.json')
 */
export function validateSchema(obj: unknown, source?: string): TableSchema {
  if (!isObject(obj)) fail(source, '(root)', 'a JSON object with "version" and "columns"', obj);
  for (const k of Object.keys(obj)) if (!TABLE_KEYS.has(k)) fail(source, k, `one of the keys ${[...TABLE_KEYS].join(', ')}`, k);
  if (obj.version !== 1) fail(source, 'version', 'schema format version 1', obj.version);
  if (obj.name !== undefined && typeof obj.name !== 'string') fail(source, 'name', 'a string', obj.name);
  if (!Array.isArray(obj.columns) || obj.columns.length === 0) fail(source, 'columns', 'a non-empty array of columns', obj.columns);
  const names = new Map<string, number>();
  const columns: ColumnSchema[] = obj.columns.map((raw: unknown, i: number) => {
    const at = `columns[${i}]`;
    if (!isObject(raw)) fail(source, at, 'a column object', raw);
    for (const k of Object.keys(raw)) if (!COLUMN_KEYS.has(k)) fail(source, `${at}.${k}`, `one of the column keys ${[...COLUMN_KEYS].join(', ')}`, k);
    if (typeof raw.name !== 'string' || raw.name.trim() === '') fail(source, `${at}.name`, 'a non-empty string', raw.name);
    const prev = names.get(raw.name);
    if (prev !== undefined) fail(source, `${at}.name`, `a name not used by another column (columns[${prev}] has it)`, raw.name);
    names.set(raw.name, i);
    if (typeof raw.kind !== 'string' || !COLUMN_KINDS.includes(raw.kind as never)) fail(source, `${at}.kind`, `one of ${COLUMN_KINDS.map((k) => `"${k}"`).join(', ')}`, raw.kind);
    const role = raw.role === undefined ? 'feature' : raw.role;
    if (typeof role !== 'string' || !COLUMN_ROLES.includes(role as never)) fail(source, `${at}.role`, `one of ${COLUMN_ROLES.map((k) => `"${k}"`).join(', ')}`, role);
    const col = { ...raw, role } as unknown as ColumnSchema;
    for (const k of ['description', 'unit', 'source'] as const) {
      if (raw[k] !== undefined && typeof raw[k] !== 'string') fail(source, `${at}.${k}`, 'a string', raw[k]);
    }
    if (raw.nullable !== undefined && typeof raw.nullable !== 'boolean') fail(source, `${at}.nullable`, 'true or false', raw.nullable);
    if (raw.inferred !== undefined && typeof raw.inferred !== 'boolean') fail(source, `${at}.inferred`, 'true or false', raw.inferred);
    if (raw.format !== undefined) {
      if (col.kind !== 'datetime') fail(source, `${at}.format`, 'no format (format applies to datetime columns only)', raw.format);
      if (raw.format !== 'date' && raw.format !== 'date-time') fail(source, `${at}.format`, '"date" or "date-time"', raw.format);
    }
    let lo: number | string | bigint | undefined;
    let hi: number | string | bigint | undefined;
    if (raw.min !== undefined) lo = checkBound(source, `${at}.min`, col, raw.min);
    if (raw.max !== undefined) hi = checkBound(source, `${at}.max`, col, raw.max);
    if (lo !== undefined && hi !== undefined && lo > hi) fail(source, `${at}.max`, `a maximum >= the minimum ${JSON.stringify(raw.min)}`, raw.max);
    if (raw.categories !== undefined) {
      if (col.kind !== 'categorical' && col.kind !== 'ordinal' && col.kind !== 'boolean') {
        fail(source, `${at}.categories`, `no categories (categories apply to categorical, ordinal and boolean columns, not ${col.kind})`, raw.categories);
      }
      const cats = stringList(source, `${at}.categories`, raw.categories, true);
      if (col.kind === 'boolean' && cats.length !== 2) fail(source, `${at}.categories`, 'two tokens for a boolean column: [false token, true token]', raw.categories);
      if (cats.length === 0) fail(source, `${at}.categories`, 'at least one category', raw.categories);
    } else if (col.kind === 'ordinal') {
      fail(source, `${at}.categories`, 'the categories of an ordinal column, in order', undefined);
    }
    if (raw.missing !== undefined) stringList(source, `${at}.missing`, raw.missing, false);
    return col;
  });
  if (obj.constraints !== undefined) stringList(source, 'constraints', obj.constraints, false);
  return { ...(obj as object), version: 1, columns } as TableSchema;
}

/**
 * Reads and checks a schema JSON file.
 * @example const schema = loadSchema('cohort.schema.json');
 */
export function loadSchema(file: string): TableSchema {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError({ file }, 'an existing, readable schema file', 'a path that cannot be read');
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputError({ file }, 'a schema in JSON', `text that is not valid JSON (${(e as Error).message})`);
  }
  return validateSchema(obj, file);
}

/**
 * Writes a schema as pretty JSON (after checking it).
 * @example saveSchema('cohort.schema.json', await inferSchema('cohort.csv'));
 */
export function saveSchema(file: string, schema: TableSchema): void {
  validateSchema(schema, file);
  fs.writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
}
