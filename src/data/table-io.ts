/**
 * Reading, writing and converting tables in CSV, Arrow IPC and Parquet, chosen by file
 * extension. Conversion streams record batches from the reader to the writer, so a
 * 1,000,000-row CSV converts with memory bounded by one batch; outputs are written to a
 * temporary file and renamed into place only when complete, so a failed conversion never leaves
 * a half-written table behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordBatch, Schema, Table } from 'apache-arrow';
import { InputError } from '../errors';
import type { TableSchema } from './schema';
import { arrowSchemaFor, SCHEMA_METADATA_KEY } from './arrow-types';
import { ArrowFileBatchWriter, arrowRecordBatches, readArrowFile } from './arrow-file';
import { csvRecordBatches, inferCsvSchema, resolveCsvSchema } from './csv-reader';
import { CsvBatchWriter } from './csv-writer';
import { defaultDelimiter, formatFromPath, inputDelimiter, type TableFormat } from './file-format';
import { readParquetFile, writeParquetBatches } from './parquet-file';
import { inferSchemaFromTable } from './schema-inference';
import { carriedSchemaOf } from './table-validation';

/** Options of {@link readTable} and {@link inferSchema}. */
export interface ReadTableOptions {
  /** Declared schema: CSV is parsed by it; Arrow and Parquet tables are checked against it. */
  schema?: TableSchema;
  /** CSV field delimiter (default: guessed from the header line, see sniffDelimiter). */
  delimiter?: string;
  /** CSV tokens read as missing besides the empty field (default NA, N/A, NaN, null, NULL). */
  missing?: string[];
  /** Format, when the extension does not say it. */
  format?: TableFormat;
}

/** Options of {@link writeTable}. */
export interface WriteTableOptions {
  /** CSV field delimiter (default "," or tab for .tsv). */
  delimiter?: string;
  /** Format, when the extension does not say it. */
  format?: TableFormat;
}

/** Options of {@link convertFile}. */
export interface ConvertOptions extends ReadTableOptions {
  /** Output format, when the output extension does not say it. */
  outputFormat?: TableFormat;
  /** Output CSV delimiter (default "," or tab for .tsv). */
  outputDelimiter?: string;
  /** Progress: input bytes read of the current pass, total bytes, pass (1 = profiling, 2 = converting). */
  onProgress?: (bytesRead: number, totalBytes: number, pass: 1 | 2) => void;
}

/** What {@link convertFile} did. */
export interface ConvertResult {
  rows: number;
  columns: number;
  schema: TableSchema;
}

/**
 * A table whose Arrow schema metadata carries `schema` (batches re-wrapped, data shared).
 * @example writeArrowFile('patients.arrow', withEmbeddedSchema(table, schema))
 */
export function withEmbeddedSchema(table: Table, schema: TableSchema): Table {
  const md = new Map(table.schema.metadata);
  md.set(SCHEMA_METADATA_KEY, JSON.stringify(schema));
  const s = new Schema(table.schema.fields, md);
  const batches = table.batches.map((b) => new RecordBatch(s, b.data));
  return batches.length > 0 ? new Table(batches) : new Table(s);
}

/** The schema an Arrow table carries, checked; undefined when absent or unusable. */
export function carriedSchema(table: Table): TableSchema | undefined {
  return carriedSchemaOf(table.schema);
}

/**
 * Reads a table from CSV (streamed, types inferred unless a schema is given), Arrow IPC or Parquet.
 * A declared schema is embedded in the result's metadata; CSV values are checked against it
 * while parsing, Arrow and Parquet tables after reading. Without one, Arrow and Parquet values
 * are checked against the schema the file carries (a damaged file that still parses is refused,
 * naming the row, the column and what the schema expects).
 * @example
 * const table = await readTable('cohort.csv', { schema: loadSchema('cohort.schema.json') });
 */
export async function readTable(file: string, opts: ReadTableOptions = {}): Promise<Table> {
  const format = formatFromPath(file, opts.format);
  if (format === 'csv') {
    const o = { ...opts, delimiter: opts.delimiter ?? inputDelimiter(file) };
    const resolved = await resolveCsvSchema(file, o);
    const batches: RecordBatch[] = [];
    for await (const b of csvRecordBatches(file, resolved, o)) batches.push(b);
    return new Table(batches);
  }
  const table = format === 'arrow' ? readArrowFile(file, { schema: opts.schema }) : readParquetFile(file, { schema: opts.schema });
  return opts.schema ? withEmbeddedSchema(table, opts.schema) : table;
}

/**
 * Infers a table schema: from CSV text in one streaming pass, from Arrow or Parquet by their
 * types (a schema embedded by hemasynth is returned as it is).
 * @example const schema = await inferSchema('cohort.csv');
 */
export async function inferSchema(file: string, opts: ReadTableOptions = {}): Promise<TableSchema> {
  const format = formatFromPath(file, opts.format);
  if (format === 'csv') return inferCsvSchema(file, { ...opts, delimiter: opts.delimiter ?? inputDelimiter(file) });
  return inferSchemaFromTable(await readTable(file, { format }));
}

/**
 * Refuses a CSV output delimiter that would write unreadable CSV (empty, a quote, a line break),
 * naming the option it came from, before anything is written (other formats have no delimiter).
 */
function checkOutputDelimiter(delimiter: string, field: string, format: TableFormat): string {
  if (format === 'csv' && (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/.test(delimiter))) {
    throw new InputError({ field }, 'a non-empty delimiter other than a quote or a line break', JSON.stringify(delimiter));
  }
  return delimiter;
}

function temporaryPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** A destination for record batches. */
interface BatchSink {
  write(batch: RecordBatch): Promise<void> | void;
  close(schema: Schema): Promise<void> | void;
  /** Stops writing; resolves once nothing will touch the file any more. */
  abort(): Promise<void> | void;
}

function openSink(file: string, format: TableFormat, schema: Schema, delimiter: string): BatchSink {
  if (format === 'csv') {
    const w = new CsvBatchWriter(file, schema, delimiter);
    return { write: (b) => w.write(b), close: () => w.close(), abort: () => w.close() };
  }
  if (format === 'arrow') {
    const w = new ArrowFileBatchWriter(file);
    return { write: (b) => w.write(b), close: (s) => w.close(s), abort: () => w.abort() };
  }
  // Parquet: batches flow through a queue into the streaming Parquet writer.
  const queue: RecordBatch[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let failed: unknown = null;
  async function* pending(): AsyncGenerator<RecordBatch> {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (done) return;
      await new Promise<void>((r) => (wake = r));
    }
  }
  const writing = writeParquetBatches(file, pending(), schema).catch((e) => {
    failed = e;
  });
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  return {
    async write(b) {
      if (failed) throw failed;
      queue.push(b);
      poke();
      // Let the writer drain before the next batch: at most one batch waits in memory.
      while (queue.length > 1 && !failed) await new Promise((r) => setImmediate(r));
    },
    async close() {
      done = true;
      poke();
      await writing;
      if (failed) throw failed;
    },
    async abort() {
      done = true;
      poke();
      await writing;
    },
  };
}

/** Writes batches to `file` through a temporary file; renames it into place when complete. */
async function writeBatches(file: string, format: TableFormat, schema: Schema, batches: AsyncIterable<RecordBatch>, delimiter: string): Promise<number> {
  const tmp = temporaryPath(file);
  let sink: BatchSink | undefined;
  let rows = 0;
  try {
    sink = openSink(tmp, format, schema, delimiter);
    for await (const b of batches) {
      rows += b.numRows;
      await sink.write(b);
    }
    await sink.close(schema);
    sink = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      await sink?.abort();
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    throw e;
  }
  return rows;
}

/**
 * Writes a table as CSV, Arrow IPC or Parquet, by the file's extension.
 * @example await writeTable('cohort.parquet', table);
 */
export async function writeTable(file: string, table: Table, opts: WriteTableOptions = {}): Promise<void> {
  const format = formatFromPath(file, opts.format);
  async function* batches() {
    yield* table.batches;
  }
  await writeBatches(file, format, table.schema, batches(), checkOutputDelimiter(opts.delimiter ?? defaultDelimiter(file), 'delimiter', format));
}

/**
 * Writes tables that are made one at a time (all with the first one's schema) into one CSV,
 * Arrow IPC or Parquet file, by the file's extension: memory stays bounded by a table when the
 * iterator makes each on demand (sampled batches). Returns the rows written. An empty iterator
 * writes nothing and is refused.
 * @example await writeTableStream('synthetic.arrow', sampleModelBatches(model, { rows: 1e7, seed: 1 }))
 */
export async function writeTableStream(file: string, tables: Iterable<Table>, opts: WriteTableOptions = {}): Promise<number> {
  const format = formatFromPath(file, opts.format);
  const delimiter = checkOutputDelimiter(opts.delimiter ?? defaultDelimiter(file), 'delimiter', format);
  const it = tables[Symbol.iterator]();
  const first = it.next();
  if (first.done) throw new InputError({ file }, 'at least one table to write', 'none');
  const schema = first.value.schema;
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield* first.value.batches;
    for (let r = it.next(); !r.done; r = it.next()) {
      const fields = r.value.schema.fields;
      if (r.value.schema !== schema && (fields.length !== schema.fields.length || fields.some((f, j) => f.name !== schema.fields[j].name || f.typeId !== schema.fields[j].typeId))) throw new InputError({ file }, 'tables with the first table\'s schema', `a table with fields ${r.value.schema.fields.map((f) => f.name).join(', ')}`);
      yield* r.value.batches;
    }
  }
  return writeBatches(file, format, schema, batches(), delimiter);
}

/**
 * Converts a table file between CSV, Arrow IPC and Parquet (formats by extension), streaming
 * record batches: memory stays bounded by one batch for CSV and Arrow inputs. With a schema,
 * CSV is parsed by it and every value checked; Arrow and Parquet inputs are checked against it.
 * @example
 * const { rows, columns } = await convertFile('cohort.csv', 'cohort.arrow');
 */
export async function convertFile(input: string, output: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const inFormat = formatFromPath(input, opts.format);
  const outFormat = formatFromPath(output, opts.outputFormat);
  if (path.resolve(input) === path.resolve(output)) {
    throw new InputError({ file: output }, 'an output path different from the input', 'the input path itself');
  }
  const outDelimiter = checkOutputDelimiter(opts.outputDelimiter ?? defaultDelimiter(output), 'outputDelimiter', outFormat);
  if (inFormat === 'csv') {
    const o = { ...opts, delimiter: opts.delimiter ?? inputDelimiter(input) };
    const resolved = await resolveCsvSchema(input, o);
    const schema = arrowSchemaFor(resolved.schema, resolved.types);
    const rows = await writeBatches(output, outFormat, schema, csvRecordBatches(input, resolved, o), outDelimiter);
    return { rows, columns: resolved.schema.columns.length, schema: resolved.schema };
  }
  if (inFormat === 'arrow' && opts.schema) {
    // Streamed: each batch is checked against the declared schema, which is embedded in the output.
    const declared = opts.schema;
    let arrowSchema: Schema | undefined;
    const source = arrowRecordBatches(input, (s) => {
      const md = new Map(s.metadata);
      md.set(SCHEMA_METADATA_KEY, JSON.stringify(declared));
      arrowSchema = new Schema(s.fields, md);
    }, { schema: declared });
    async function* checked(): AsyncGenerator<RecordBatch> {
      for await (const b of source) yield new RecordBatch(arrowSchema!, b.data);
    }
    // The schema is known once the reader opened: peek at the first batch.
    const it = checked();
    const first = await it.next();
    async function* all(): AsyncGenerator<RecordBatch> {
      if (!first.done) yield first.value;
      yield* it;
    }
    const rows = await writeBatches(output, outFormat, arrowSchema!, all(), outDelimiter);
    return { rows, columns: declared.columns.length, schema: declared };
  }
  if (inFormat === 'arrow') {
    // Without a declared schema the result's schema is the carried one (streamed, each batch
    // checked against it), else inferred from the whole table.
    let carried: TableSchema | undefined;
    let arrowSchema: Schema | undefined;
    const source = arrowRecordBatches(input, (s) => {
      arrowSchema = s;
      carried = carriedSchemaOf(s);
    });
    const first = await source.next();
    if (carried && carried.columns.length === arrowSchema!.fields.length) {
      async function* all(): AsyncGenerator<RecordBatch> {
        if (!first.done) yield first.value;
        yield* source;
      }
      const rows = await writeBatches(output, outFormat, arrowSchema!, all(), outDelimiter);
      return { rows, columns: arrowSchema!.fields.length, schema: carried };
    }
    await source.return(undefined);
  }
  const table = await readTable(input, { ...opts, format: inFormat });
  const schema = opts.schema ?? carriedSchema(table) ?? inferSchemaFromTable(table);
  const out = carriedSchema(table) ? table : withEmbeddedSchema(table, schema);
  await writeTable(output, out, { format: outFormat, delimiter: outDelimiter });
  return { rows: table.numRows, columns: table.numCols, schema };
}
