/**
 * Schema inference: one streaming pass over text values per column (bounded memory: a few
 * counters and at most {@link DISTINCT_LIMIT} distinct values per column), then the rules
 * documented in docs/schema.md choose each column's kind:
 *
 * 1. every value missing → text;
 * 2. every value true/false or yes/no (any case) → boolean;
 * 3. every value an integer in the signed 64-bit range → integer;
 * 4. every value a decimal number → continuous;
 * 5. every value an ISO 8601 date → datetime (date); dates and date-times → datetime (date-time);
 * 6. at most {@link CATEGORICAL_MAX_LEVELS} distinct values, each seen twice on average → categorical
 *    (not a column whose first {@link NUMERIC_DISTINCT_WINDOW} values were all numbers);
 * 7. no whitespace and no value repeated → identifier;
 * 8. otherwise → text.
 *
 * Inferred bounds and categories come from the data and are marked `inferred: true`: they are
 * not public knowledge (see docs/schema.md, "Inference and privacy").
 */
import { Table, Type, Vector } from 'apache-arrow';
import { InputError } from '../errors';
import type { ColumnKind, ColumnSchema, TableSchema } from './schema';
import {
  hasTimePart,
  isInferredBooleanText,
  hasLeadingZero,
  isIntegerText,
  parseDateDays,
  parseDateTimeMs,
  parseDecimal,
  parseInteger,
  formatDateDays,
  formatDateTimeMs,
} from './value-parsing';
import { embeddedSchema } from './arrow-types';
import { validateSchema } from './schema-validation';
import { decimalScale, decimalToNumber, isDecimalType } from './decimal-values';

/** Distinct values tracked per column before the column counts as "many-valued". */
export const DISTINCT_LIMIT = 1000;
/** Values of a so-far numeric column whose distinct values are kept (see rule 6). */
export const NUMERIC_DISTINCT_WINDOW = 10_000;
/** Most distinct values an inferred categorical column may have. */
export const CATEGORICAL_MAX_LEVELS = 100;

const WHITESPACE = /\s/;

/** Running statistics of one column's text values (inference pass). */
export class ColumnProfile {
  nonMissing = 0;
  missing = 0;
  allBoolean = true;
  allInteger = true;
  allNumber = true;
  allDate = true;
  allDateTime = true;
  anyTime = false;
  anyWhitespace = false;
  anyRepeat = false;
  distinctOverflow = false;
  /** Distinct values seen, up to DISTINCT_LIMIT (then cleared and `distinctOverflow` set). */
  readonly distinct = new Set<string>();
  smallIntMin = Infinity;
  smallIntMax = -Infinity;
  bigIntMin: bigint | null = null;
  bigIntMax: bigint | null = null;
  numMin = Infinity;
  numMax = -Infinity;
  timeMin = Infinity;
  timeMax = -Infinity;

  constructor(readonly name: string) {}

  /** Adds one non-missing text value. */
  add(s: string): void {
    this.nonMissing++;
    if (this.allBoolean && !isInferredBooleanText(s)) this.allBoolean = false;
    if (this.allNumber) {
      // Leading zeros mark a code (postcodes, identifiers): typed as numbers, "00875" became 875.
      const v = hasLeadingZero(s) ? NaN : parseDecimal(s);
      if (v !== v) {
        this.allNumber = false;
        this.allInteger = false;
        // Distinct values were not kept past the numeric window: the column cannot be categorical.
        if (this.nonMissing - 1 > NUMERIC_DISTINCT_WINDOW && !this.distinctOverflow) {
          this.distinctOverflow = true;
          this.distinct.clear();
        }
      } else {
        if (v < this.numMin) this.numMin = v;
        if (v > this.numMax) this.numMax = v;
        if (this.allInteger) {
          if (!isIntegerText(s)) this.allInteger = false;
          else if (s.length < 16) {
            // Exact as a double: track the range without allocating a BigInt per value.
            if (v < this.smallIntMin) this.smallIntMin = v;
            if (v > this.smallIntMax) this.smallIntMax = v;
          } else {
            const b = parseInteger(s);
            // Beyond the signed 64-bit range: not an integer column (and never a lossy one).
            if (b === null) {
              this.allInteger = false;
              this.allNumber = false;
            } else {
              if (this.bigIntMin === null || b < this.bigIntMin) this.bigIntMin = b;
              if (this.bigIntMax === null || b > this.bigIntMax) this.bigIntMax = b;
            }
          }
        }
      }
    }
    if (this.allDateTime) {
      // A bare date is parsed once as days; anything longer as a date-time.
      const days = s.length === 10 ? parseDateDays(s) : NaN;
      const ms = days === days ? days * 86_400_000 : parseDateTimeMs(s);
      if (ms !== ms) {
        this.allDateTime = false;
        this.allDate = false;
      } else {
        if (days !== days) {
          this.allDate = false;
          if (hasTimePart(s)) this.anyTime = true;
        }
        if (ms < this.timeMin) this.timeMin = ms;
        if (ms > this.timeMax) this.timeMax = ms;
      }
    }
    // Numbers never contain whitespace, so the test is needed only once the column is not numeric.
    if (!this.allNumber && !this.anyWhitespace && WHITESPACE.test(s)) this.anyWhitespace = true;
    // A numeric column is never categorical, so past a window its values are not kept (a set
    // lookup per value was most of the cost of inferring a column with few distinct numbers).
    if (!this.distinctOverflow && !(this.allNumber && this.nonMissing > NUMERIC_DISTINCT_WINDOW)) {
      if (this.distinct.has(s)) this.anyRepeat = true;
      else if (this.distinct.size >= DISTINCT_LIMIT) {
        this.distinctOverflow = true;
        this.distinct.clear();
      } else this.distinct.add(s);
    }
  }

  /** Smallest and largest integer seen (BigInt), or null when none. */
  get intRange(): [bigint, bigint] | null {
    let lo = this.bigIntMin;
    let hi = this.bigIntMax;
    if (this.smallIntMin <= this.smallIntMax) {
      const a = BigInt(this.smallIntMin);
      const b = BigInt(this.smallIntMax);
      if (lo === null || a < lo) lo = a;
      if (hi === null || b > hi) hi = b;
    }
    return lo === null || hi === null ? null : [lo, hi];
  }

  /** Adds one missing value. */
  addMissing(): void {
    this.missing++;
  }

  /** The column schema these statistics imply (kind, bounds, categories, nullability). */
  toColumn(): ColumnSchema {
    const nullable = this.missing > 0 || this.nonMissing === 0;
    const col = (kind: ColumnKind, extra: Partial<ColumnSchema> = {}): ColumnSchema => ({
      name: this.name,
      kind,
      role: 'feature',
      ...extra,
      ...(nullable ? {} : { nullable: false }),
      inferred: true,
    });
    if (this.nonMissing === 0) return col('text');
    if (this.allBoolean) return col('boolean');
    const ints = this.allInteger ? this.intRange : null;
    if (ints) return col('integer', { min: bigToJson(ints[0]), max: bigToJson(ints[1]) });
    if (this.allNumber) {
      return col('continuous', Number.isFinite(this.numMin) && Number.isFinite(this.numMax) ? { min: this.numMin, max: this.numMax } : {});
    }
    if (this.allDateTime) {
      if (this.allDate && !this.anyTime) {
        return col('datetime', { format: 'date', min: formatDateDays(this.timeMin / 86_400_000), max: formatDateDays(this.timeMax / 86_400_000) });
      }
      return col('datetime', { format: 'date-time', min: formatDateTimeMs(this.timeMin), max: formatDateTimeMs(this.timeMax) });
    }
    if (!this.distinctOverflow && this.distinct.size <= CATEGORICAL_MAX_LEVELS && this.distinct.size * 2 <= this.nonMissing) {
      return col('categorical', { categories: [...this.distinct].sort() });
    }
    if (!this.anyWhitespace && !this.anyRepeat) return col('identifier');
    return col('text');
  }
}

/** An integer bound as JSON: a number when exact, else a decimal string. */
function bigToJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Builds a table schema from column profiles. */
export function schemaFromProfiles(profiles: ColumnProfile[], name?: string): TableSchema {
  return { version: 1, ...(name ? { name } : {}), columns: profiles.map((p) => p.toColumn()) };
}

function vectorStrings(v: Vector): ColumnProfile {
  const p = new ColumnProfile('');
  for (let i = 0; i < v.length; i++) {
    const x = v.get(i);
    if (x === null || x === undefined) p.addMissing();
    else p.add(String(x));
  }
  return p;
}

function numericRange(v: Vector): { min?: number | string; max?: number | string; nulls: number; finite: boolean; nans: number } {
  let lo: number | bigint | null = null;
  let hi: number | bigint | null = null;
  let nulls = 0;
  let nans = 0;
  let finite = true;
  const scale = isDecimalType(v.type) ? decimalScale(v.type) : null;
  for (let i = 0; i < v.length; i++) {
    const raw = v.get(i) as unknown;
    const x = (scale !== null && raw !== null && raw !== undefined ? decimalToNumber(raw, scale) : raw) as number | bigint | null;
    if (x === null || x === undefined) {
      nulls++;
      continue;
    }
    if (typeof x === 'number' && !Number.isFinite(x)) {
      if (Number.isNaN(x)) nans++;
      else finite = false;
      continue;
    }
    if (lo === null || x < lo) lo = x;
    if (hi === null || x > hi) hi = x;
  }
  const out = (x: number | bigint | null) => (x === null ? undefined : typeof x === 'bigint' ? bigToJson(x) : x);
  return { min: out(lo), max: out(hi), nulls, finite, nans };
}

/**
 * Infers a schema from an in-memory Arrow table. A schema embedded in the table's metadata
 * (written by hemasynth) is returned as it is; otherwise each column's kind follows its Arrow
 * type (text columns follow the text rules above).
 * @example const schema = inferSchemaFromTable(await readTable('cohort.arrow'));
 */
export function inferSchemaFromTable(table: Table): TableSchema {
  const embedded = embeddedSchema(table.schema);
  if (embedded !== undefined) {
    try {
      const s = validateSchema(embedded, 'embedded schema');
      if (s.columns.length === table.numCols && s.columns.every((c, i) => c.name === table.schema.fields[i].name)) return s;
    } catch {
      // An embedded schema that no longer matches the columns is ignored, not trusted.
    }
  }
  const columns: ColumnSchema[] = table.schema.fields.map((f, i) => {
    const v = table.getChildAt(i)!;
    const baseOf = (nullable: boolean) => ({ name: f.name, role: 'feature' as const, ...(nullable ? {} : { nullable: false }), inferred: true });
    const base = baseOf(v.nullCount > 0 || v.length === 0);
    switch (f.type.typeId) {
      case Type.Float:
      case Type.Decimal: {
        const r = numericRange(v);
        // NaN reads as missing everywhere (readNumbers), so a column holding one is nullable.
        return { ...(r.nans > 0 ? baseOf(true) : base), kind: 'continuous' as const, ...(r.min !== undefined && r.finite ? { min: r.min, max: r.max } : {}) };
      }
      case Type.Int: {
        const r = numericRange(v);
        return { ...base, kind: 'integer' as const, ...(r.min !== undefined ? { min: r.min, max: r.max } : {}) };
      }
      case Type.Bool:
        return { ...base, kind: 'boolean' as const };
      case Type.Dictionary: {
        // Chunks read from other tools may carry different dictionaries: take their union in order.
        // "" is a missing value wherever a category is read (readCategoryCodes), so it is no
        // category here and a column that may hold it is nullable.
        const seen = new Set<string>();
        let empty = false;
        for (const d of v.data) if (d.dictionary) for (const x of d.dictionary) { if (x === '') empty = true; else if (x !== null) seen.add(String(x)); }
        const categories = [...seen];
        const ordered = (f.type as { isOrdered?: boolean }).isOrdered === true;
        return { ...(empty ? baseOf(true) : base), kind: ordered ? ('ordinal' as const) : ('categorical' as const), categories };
      }
      case Type.Date:
      case Type.Timestamp: {
        const isDate = f.type.typeId === Type.Date;
        const r = numericRange(v);
        const fmt = (x: number | string | undefined) => (x === undefined ? undefined : isDate ? formatDateDays(Math.floor(Number(x) / 86_400_000)) : formatDateTimeMs(Number(x)));
        return { ...base, kind: 'datetime' as const, format: isDate ? ('date' as const) : ('date-time' as const), ...(r.min !== undefined ? { min: fmt(r.min), max: fmt(r.max) } : {}) };
      }
      case Type.Utf8:
      case Type.LargeUtf8: {
        const col = vectorStrings(v).toColumn();
        return { ...col, name: f.name };
      }
      default:
        throw new InputError({ column: f.name }, 'a column of a tabular type (number, integer, boolean, string, dictionary, date, timestamp)', `Arrow type ${String(f.type)}`);
    }
  });
  return { version: 1, columns };
}
