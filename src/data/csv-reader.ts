/**
 * CSV to Arrow record batches in two streaming passes: pass 1 profiles the columns (only when
 * the schema leaves something to learn from the data: no schema at all, integer columns without
 * bounds, categorical columns without categories, datetime columns without a format); pass 2
 * parses every field into typed arrays and yields batches of {@link BATCH_ROWS} rows. Neither pass
 * holds more than one batch, so memory is bounded by the batch size, not the file size.
 */
import { Data, DataType, Field, makeData, RecordBatch, Schema, Struct, Utf8, Vector } from 'apache-arrow';
import { InputError } from '../errors';
import type { ColumnSchema, TableSchema } from './schema';
import { arrowSchemaFor, arrowTypeFor, dictionaryVector } from './arrow-types';
import { makeColumnBuilder, type ColumnBuilder } from './column-builder';
import { openCsv } from './csv-source';
import { ColumnProfile, schemaFromProfiles } from './schema-inference';
import { DEFAULT_MISSING_TOKENS } from './value-parsing';

/** Rows per Arrow record batch written from CSV. */
export const BATCH_ROWS = 65_536;

/** Options for reading CSV. */
export interface CsvReadOptions {
  /** Declared schema: column kinds, bounds and categories override inference. */
  schema?: TableSchema;
  /** Field delimiter; default "," (tab for .tsv files). */
  delimiter?: string;
  /** Tokens read as missing besides the empty field (a column's own `missing` list wins). */
  missing?: string[];
  /** Rows per record batch (default 65,536). */
  batchRows?: number;
  /** Progress callback: bytes read so far of the current pass, total bytes, pass number (1 or 2). */
  onProgress?: (bytesRead: number, totalBytes: number, pass: 1 | 2) => void;
}

/** A schema ready for building: the schema to publish and, per column, the Arrow type to build. */
export interface ResolvedSchema {
  /** The schema of the result (declared columns unchanged, gaps filled from the data). */
  schema: TableSchema;
  /** Arrow types in schema order. */
  types: DataType[];
  /** Header position of each schema column. */
  sourceIndex: number[];
  /** Whether a profiling pass was run. */
  profiled: boolean;
}

function missingSet(col: ColumnSchema | undefined, opts: CsvReadOptions): Set<string> {
  return new Set(['', ...(col?.missing ?? opts.missing ?? DEFAULT_MISSING_TOKENS)]);
}

/** Maps schema columns to header positions; every header column must be declared and vice versa. */
function matchHeader(file: string, header: string[], schema: TableSchema): number[] {
  const pos = new Map(header.map((h, i) => [h, i]));
  const declared = new Set(schema.columns.map((c) => c.name));
  for (const h of header) {
    if (!declared.has(h)) {
      const names = schema.columns.map((c) => JSON.stringify(c.name));
      throw new InputError({ file, row: 0, column: h }, `a column declared in the schema (${names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, ...`})`, 'a column the schema does not declare');
    }
  }
  return schema.columns.map((c) => {
    const p = pos.get(c.name);
    if (p === undefined) throw new InputError({ file, column: c.name }, 'the column declared in the schema in the CSV header', 'a header without it');
    return p;
  });
}

/** Whether a declared column needs the profiling pass to choose its Arrow type or dictionary. */
function needsProfile(c: ColumnSchema): boolean {
  if (c.kind === 'integer') return c.min === undefined || c.max === undefined;
  if (c.kind === 'categorical') return c.categories === undefined;
  if (c.kind === 'datetime') return c.format === undefined;
  return false;
}

/** Runs the profiling pass over the given header positions. */
async function profileColumns(file: string, opts: CsvReadOptions, wanted: (header: string[]) => { index: number; col?: ColumnSchema }[]): Promise<{ header: string[]; profiles: Map<number, ColumnProfile> }> {
  const src = await openCsv(file, { delimiter: opts.delimiter, onBytes: opts.onProgress ? (b, t) => opts.onProgress!(b, t, 1) : undefined });
  const targets = wanted(src.header);
  const profiles = new Map<number, ColumnProfile>();
  const idx = targets.map((t) => t.index);
  const miss = targets.map((t) => missingSet(t.col, opts));
  const prof = targets.map((t) => {
    const p = new ColumnProfile(src.header[t.index]);
    profiles.set(t.index, p);
    return p;
  });
  const n = idx.length;
  for await (const recs of src.chunks) {
    for (const rec of recs) {
      for (let k = 0; k < n; k++) {
        const s = rec[idx[k]];
        if (miss[k].has(s)) prof[k].addMissing();
        else prof[k].add(s);
      }
    }
  }
  return { header: src.header, profiles };
}

/**
 * Infers the schema of a CSV file in one streaming pass.
 * @example const schema = await inferCsvSchema('cohort.csv');
 */
export async function inferCsvSchema(file: string, opts: CsvReadOptions = {}): Promise<TableSchema> {
  const { header, profiles } = await profileColumns(file, opts, (h) => h.map((_, i) => ({ index: i })));
  return schemaFromProfiles(header.map((_, i) => profiles.get(i)!));
}

/**
 * Decides the output schema and Arrow types of a CSV file: the declared schema when complete,
 * otherwise completed (or wholly inferred) by a profiling pass.
 */
export async function resolveCsvSchema(file: string, opts: CsvReadOptions = {}): Promise<ResolvedSchema> {
  const declared = opts.schema;
  if (!declared) {
    const schema = await inferCsvSchema(file, opts);
    return { schema, types: schema.columns.map((c, i) => arrowTypeFor(c, i)), sourceIndex: schema.columns.map((_, i) => i), profiled: true };
  }
  const pending = declared.columns.filter(needsProfile);
  let header: string[];
  let profiles = new Map<number, ColumnProfile>();
  if (pending.length > 0) {
    ({ header, profiles } = await profileColumns(file, opts, (h) => {
      const idx = matchHeader(file, h, declared);
      return declared.columns.map((c, k) => ({ index: idx[k], col: c })).filter((t) => needsProfile(t.col));
    }));
  } else {
    const src = await openCsv(file, { delimiter: opts.delimiter });
    header = src.header;
    src.close();
  }
  const sourceIndex = matchHeader(file, header, declared);
  const columns: ColumnSchema[] = [];
  const types: DataType[] = [];
  declared.columns.forEach((c, k) => {
    const p = profiles.get(sourceIndex[k]);
    let out = c;
    let typeCol = c;
    if (p) {
      const seen = p.toColumn();
      if (c.kind === 'integer') {
        // The Arrow width follows the declared bounds where given, the observed range elsewhere;
        // the published schema keeps exactly what was declared.
        typeCol = { ...c, min: c.min ?? (seen.kind === 'integer' ? seen.min : undefined), max: c.max ?? (seen.kind === 'integer' ? seen.max : undefined) };
      } else if (c.kind === 'categorical') {
        out = { ...c, categories: [...p.distinct].sort(), inferred: true };
        if (p.distinctOverflow) {
          throw new InputError({ file, column: c.name }, `at most ${p.distinct.size} distinct values in a categorical column without declared categories`, 'more', 'Declare the categories in the schema');
        }
        typeCol = out;
      } else if (c.kind === 'datetime') {
        out = { ...c, format: p.anyTime ? 'date-time' : 'date' };
        typeCol = out;
      }
    }
    columns.push(out);
    types.push(arrowTypeFor(typeCol, k));
  });
  return { schema: { ...declared, columns }, types, sourceIndex, profiled: pending.length > 0 };
}

/**
 * Streams a CSV file as Arrow record batches (pass 2), checking every value.
 * @example for await (const batch of csvRecordBatches('big.csv', resolved)) writer.write(batch);
 */
export async function* csvRecordBatches(file: string, resolved: ResolvedSchema, opts: CsvReadOptions = {}): AsyncGenerator<RecordBatch> {
  const batchRows = opts.batchRows ?? BATCH_ROWS;
  const { schema, types, sourceIndex } = resolved;
  const arrowSchema = arrowSchemaFor(schema, types);
  const dictionaries: (Vector<Utf8> | undefined)[] = schema.columns.map((c) => (c.kind === 'categorical' || c.kind === 'ordinal' ? dictionaryVector(c.categories ?? []) : undefined));
  const builders: ColumnBuilder[] = schema.columns.map((c, k) =>
    makeColumnBuilder(c, types[k], { file, missing: missingSet(c, opts), capacity: batchRows }, dictionaries[k]),
  );
  const src = await openCsv(file, { delimiter: opts.delimiter, onBytes: opts.onProgress ? (b, t) => opts.onProgress!(b, t, 2) : undefined });
  // The header may have changed between passes (a file rewritten meanwhile): check again.
  const idx = matchHeader(file, src.header, schema);
  if (idx.some((p, k) => p !== sourceIndex[k])) throw new InputError({ file, row: 0 }, 'the same header in both passes', 'a file that changed while being read');
  const n = builders.length;
  let row = 0;
  let inBatch = 0;
  const emit = (): RecordBatch => {
    const children: Data[] = builders.map((b) => b.finish());
    const data = makeData({ type: new Struct(arrowSchema.fields as Field[]), length: inBatch, nullCount: 0, children });
    inBatch = 0;
    return new RecordBatch(arrowSchema as Schema, data);
  };
  for await (const recs of src.chunks) {
    for (const rec of recs) {
      row++;
      for (let k = 0; k < n; k++) builders[k].append(rec[idx[k]], row);
      if (++inBatch === batchRows) yield emit();
    }
  }
  if (inBatch > 0 || row === 0) yield emit();
}
