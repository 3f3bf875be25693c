/**
 * Parquet reading and writing through parquet-wasm.
 *
 * Why parquet-wasm: it is the Rust `parquet` crate of the Apache Arrow project (arrow-rs)
 * compiled to WebAssembly, so it reads and writes Arrow data directly (Arrow IPC in and out) with
 * the reference implementation's type mapping: Int64 stays exact, Date32 and UTC timestamps keep
 * their logical types, dictionaries (and the `ordered` flag) and the schema metadata survive
 * through the embedded `ARROW:schema`. It is maintained, has no native build step and no
 * install-time download (the .wasm ships in the npm package), and its Node entry is CommonJS, so
 * it loads with `require` under plain Node and under jest alike. The pure-JS alternatives
 * (hyparquet, parquetjs) convert row objects and lose Arrow types on the way.
 *
 * Memory: writing streams batch by batch (`transformParquetStream`, one row group per batch);
 * reading decodes the whole file, so a Parquet input must fit in memory (WebAssembly memory is
 * limited to 4 GiB).
 */
import * as fs from 'node:fs';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import { InputError } from '../errors';
import { requireContent, requireFile } from './file-format';
import type { TableSchema } from './schema';
import { checkReadTable } from './table-validation';

let wasmModule: typeof ParquetWasm | undefined;

/** Loads parquet-wasm on first use (instantiating the WebAssembly module takes a moment). */
function parquetWasm(): typeof ParquetWasm {
  if (!wasmModule) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    wasmModule = require('parquet-wasm') as typeof ParquetWasm;
  }
  return wasmModule;
}

function writerProperties(): ParquetWasm.WriterProperties {
  const pq = parquetWasm();
  // ZSTD: the best ratio/speed trade-off among Parquet codecs, readable by every current reader.
  return new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
}

/**
 * Reads a Parquet file into an Arrow table. Parquet's page checksums are optional (and off in
 * most writers), so the values are checked after decoding as Arrow files are: against the
 * declared `schema`, else against the schema the file carries (table-validation.ts).
 * @example const table = readParquetFile('cohort.parquet');
 */
export function readParquetFile(file: string, opts: { schema?: TableSchema } = {}): Table {
  requireFile(file);
  requireContent(file, 'parquet');
  const pq = parquetWasm();
  let ipc: Uint8Array;
  try {
    ipc = pq.readParquet(fs.readFileSync(file)).intoIPCStream();
  } catch (e) {
    throw new InputError({ file }, 'a readable Parquet file', `a damaged or unsupported file (${(e as Error)?.message ?? String(e)})`);
  }
  const table = tableFromIPC(ipc);
  checkReadTable(table, file, opts.schema);
  return table;
}

/** Copies one JavaScript record batch into WebAssembly memory as a parquet-wasm RecordBatch. */
function toWasmBatch(batch: RecordBatch): ParquetWasm.RecordBatch {
  const pq = parquetWasm();
  const t = pq.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  try {
    const b = t.recordBatch(0);
    if (!b) throw new Error('empty IPC stream');
    return b;
  } finally {
    t.free();
  }
}

/**
 * Writes a table as a Parquet file (ZSTD compression, one row group per record batch).
 * @example writeParquetFile('cohort.parquet', table);
 */
export async function writeParquetFile(file: string, table: Table): Promise<void> {
  async function* batches() {
    yield* table.batches;
  }
  await writeParquetBatches(file, batches(), table.schema);
}

/**
 * Writes record batches into a Parquet file as they arrive (bounded memory). When no batch
 * arrives, an empty file with `schema` is written.
 */
export async function writeParquetBatches(file: string, batches: AsyncIterable<RecordBatch>, schema?: Schema): Promise<number> {
  const pq = parquetWasm();
  const it = batches[Symbol.asyncIterator]();
  let rows = 0;
  let any = false;
  const source = new ReadableStream<ParquetWasm.RecordBatch>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) {
        if (!any && schema) {
          // No batch at all: one empty batch carries the schema.
          controller.enqueue(toWasmBatch(new RecordBatch(schema)));
        }
        controller.close();
        return;
      }
      any = true;
      rows += r.value.numRows;
      controller.enqueue(toWasmBatch(r.value));
    },
  });
  const out = await pq.transformParquetStream(source, writerProperties());
  const fd = fs.openSync(file, 'w');
  try {
    for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
      let off = 0;
      while (off < chunk.byteLength) off += fs.writeSync(fd, chunk, off, chunk.byteLength - off);
    }
  } finally {
    fs.closeSync(fd);
  }
  return rows;
}
