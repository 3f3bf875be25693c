/**
 * Arrow IPC file reading and writing (the native table format of hemasynth), on the
 * apache-arrow library: the reference JavaScript implementation of the format.
 *
 * Files are written in the random-access IPC *file* format (`ARROW1` magic, footer); both the
 * file and the *stream* format are read. Large files are read batch by batch through a file
 * handle and written batch by batch with synchronous writes, so memory stays one batch deep.
 */
import * as fs from 'node:fs';
import { AsyncByteQueue, RecordBatch, RecordBatchFileWriter, RecordBatchReader, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { InputError } from '../errors';
import { requireContent, requireFile } from './file-format';
import type { TableSchema } from './schema';
import { carriedSchemaOf, checkReadTable, validateCarriedTable, validateTable } from './table-validation';

/** Options of {@link readArrowFile} and {@link arrowRecordBatches}. */
export interface ArrowReadOptions {
  /**
   * Declared schema: the table is checked against it (columns, types, every value). Without it,
   * the values are checked against the schema the file carries, if any (table-validation.ts).
   */
  schema?: TableSchema;
}

/**
 * Writes a table as an Arrow IPC file (random-access "file" format, `.arrow`).
 * @example writeArrowFile('cohort.arrow', table);
 */
export function writeArrowFile(file: string, table: Table): void {
  fs.writeFileSync(file, tableToIPC(table, 'file'));
}

function corrupted(file: string, e: unknown): InputError {
  return new InputError({ file }, 'a readable Arrow IPC file', `a damaged or truncated file (${(e as Error)?.message ?? String(e)})`);
}

/**
 * Reads a whole Arrow IPC file (file or stream format) into a table. A file that is not Arrow
 * (a CSV or an image with an .arrow name) or is damaged gives an InputError saying so; so does a
 * value the schema in use refuses (the declared one, else the one the file carries): Arrow has
 * no checksums, and a damaged data buffer still parses.
 * @example const table = readArrowFile('cohort.arrow');
 */
export function readArrowFile(file: string, opts: ArrowReadOptions = {}): Table {
  requireFile(file);
  requireContent(file, 'arrow');
  let table: Table;
  try {
    table = tableFromIPC(fs.readFileSync(file));
  } catch (e) {
    throw corrupted(file, e);
  }
  checkReadTable(table, file, opts.schema);
  return table;
}

/**
 * Reads an Arrow IPC file batch by batch (random access for the file format, sequential for
 * the stream format). Reports the schema through `onSchema` before the first batch. Each batch is
 * checked as {@link readArrowFile} checks the whole table, with rows counted from the file's start.
 * @example for await (const batch of arrowRecordBatches('big.arrow')) total += batch.numRows;
 */
export async function* arrowRecordBatches(file: string, onSchema?: (schema: Schema) => void, opts: ArrowReadOptions = {}): AsyncGenerator<RecordBatch> {
  requireFile(file);
  requireContent(file, 'arrow');
  const fh = await fs.promises.open(file, 'r');
  try {
    let reader;
    try {
      reader = await RecordBatchReader.from(fh);
      await reader.open();
    } catch (e) {
      throw corrupted(file, e);
    }
    onSchema?.(reader.schema);
    const carried = opts.schema ? undefined : carriedSchemaOf(reader.schema);
    const it = reader[Symbol.asyncIterator]();
    let rows = 0;
    for (;;) {
      let r: IteratorResult<RecordBatch>;
      try {
        r = await it.next();
      } catch (e) {
        throw corrupted(file, e);
      }
      if (r.done) break;
      const batch = new Table([r.value]);
      if (opts.schema) validateTable(batch, opts.schema, file, rows);
      else validateCarriedTable(batch, file, rows, carried);
      rows += r.value.numRows;
      yield r.value;
    }
  } finally {
    await fh.close();
  }
}

/** An AsyncByteQueue whose writes go straight to a file descriptor (bounded memory, in order). */
class FileDescriptorSink extends AsyncByteQueue {
  constructor(private readonly fd: number) {
    super();
  }
  override write(value: Uint8Array | ArrayBufferView): void {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    let off = 0;
    while (off < bytes.byteLength) off += fs.writeSync(this.fd, bytes, off, bytes.byteLength - off);
  }
}

/**
 * Writes record batches one at a time into an Arrow IPC file. All batches must share one schema
 * (and, for dictionary columns, one dictionary).
 * @example
 * const w = new ArrowFileBatchWriter('out.arrow');
 * for await (const b of batches) w.write(b);
 * w.close();
 */
export class ArrowFileBatchWriter {
  private readonly fd: number;
  private readonly writer: RecordBatchFileWriter;
  private closed = false;
  private batches = 0;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(new FileDescriptorSink(this.fd) as never);
  }
  /** Appends one batch. */
  write(batch: RecordBatch): void {
    this.writer.write(batch);
    this.batches++;
  }
  /** Writes the footer (with `schema` when no batch was written) and closes the file. */
  close(schema?: Schema): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (schema && this.batches === 0) this.writer.reset(undefined, schema);
      this.writer.finish();
    } finally {
      fs.closeSync(this.fd);
    }
  }
  /** Closes the file without finishing it (the caller removes it). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
