/**
 * The one mapping from schema kinds to Arrow types that every capability relies on:
 *
 * | kind                  | Arrow type                                                           |
 * | --------------------- | -------------------------------------------------------------------- |
 * | continuous            | Float64                                                              |
 * | integer               | Int32 when the bounds (or all values) fit in int32, else Int64       |
 * | boolean               | Bool                                                                 |
 * | categorical           | Dictionary<Utf8, Int32>, dictionary = categories                     |
 * | ordinal               | Dictionary<Utf8, Int32>, ordered, dictionary = categories in order   |
 * | datetime (date)       | DateDay (Date32)                                                     |
 * | datetime (date-time)  | TimestampMillisecond, UTC                                            |
 * | identifier, text      | Utf8                                                                 |
 *
 * The schema itself travels with the table as JSON in the Arrow schema metadata under
 * {@link SCHEMA_METADATA_KEY}, so roles, units and bounds survive Arrow and Parquet files.
 */
import {
  Bool,
  DataType,
  DateDay,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  Schema,
  TimestampMillisecond,
  Utf8,
  Vector,
  vectorFromArray,
} from 'apache-arrow';
import type { ColumnSchema, TableSchema } from './schema';
import { INT32_MAX, INT32_MIN } from './value-parsing';

/** Arrow schema metadata key holding the hemasynth TableSchema as JSON. */
export const SCHEMA_METADATA_KEY = 'hemasynth.schema';

/** Whether integer bounds fit in int32 (then the column is Int32, else Int64). */
export function integerFitsInt32(min: number | string | bigint | undefined, max: number | string | bigint | undefined): boolean {
  if (min === undefined || max === undefined) return false;
  const lo = BigInt(min);
  const hi = BigInt(max);
  return lo >= BigInt(INT32_MIN) && hi <= BigInt(INT32_MAX);
}

/**
 * A column's Arrow type. Integer columns are Int32 when their declared bounds fit in int32 and
 * Int64 otherwise; datetime columns are DateDay unless `format` is "date-time".
 * For categorical and ordinal columns the categories must be known.
 * @example arrowTypeFor({ name: 'hb', kind: 'continuous', role: 'feature' }) // Float64
 */
export function arrowTypeFor(col: ColumnSchema, dictionaryId?: number): DataType {
  switch (col.kind) {
    case 'continuous':
      return new Float64();
    case 'integer':
      return integerFitsInt32(col.min, col.max) ? new Int32() : new Int64();
    case 'boolean':
      return new Bool();
    case 'categorical':
    case 'ordinal':
      return new Dictionary(new Utf8(), new Int32(), dictionaryId, col.kind === 'ordinal');
    case 'datetime':
      return col.format === 'date-time' ? new TimestampMillisecond('UTC') : new DateDay();
    case 'identifier':
    case 'text':
      return new Utf8();
  }
}

/** The dictionary vector (Utf8) of a categorical or ordinal column, in category order. */
export function dictionaryVector(categories: readonly string[]): Vector<Utf8> {
  return vectorFromArray([...categories], new Utf8());
}

/**
 * An Arrow schema for a table schema: one field per column, nullable unless `nullable: false`,
 * and the table schema as JSON metadata.
 * @example arrowSchemaFor(schema, schema.columns.map((c, i) => arrowTypeFor(c, i)))
 */
export function arrowSchemaFor(schema: TableSchema, types: DataType[]): Schema {
  const fields = schema.columns.map((c, i) => new Field(c.name, types[i], c.nullable !== false));
  return new Schema(fields, new Map([[SCHEMA_METADATA_KEY, JSON.stringify(schema)]]));
}

/**
 * The embedded table schema of an Arrow schema, if any (unchecked JSON: pass it to validateSchema).
 * @example const carried = embeddedSchema(table.schema);
 */
export function embeddedSchema(schema: Schema): unknown | undefined {
  const text = schema.metadata.get(SCHEMA_METADATA_KEY);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
