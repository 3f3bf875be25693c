/**
 * Content fingerprints: SHA-256 (FIPS 180-4) in hex, recorded in model files and reports so that
 * a result can be traced to the exact data it came from.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { AsyncByteQueue, RecordBatchStreamWriter, Table } from 'apache-arrow';
import { requireFile } from './file-format';

/** An AsyncByteQueue that feeds every byte written into a hash instead of keeping it. */
class HashSink extends AsyncByteQueue {
  constructor(private readonly hash: Hash) {
    super();
  }
  override write(value: Uint8Array | ArrayBufferView): void {
    this.hash.update(value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
}

/**
 * SHA-256 of a table's Arrow IPC stream bytes (schema with its metadata, then each record batch),
 * computed batch by batch without materialising the bytes. Equal tables built the same way
 * (same types, batches and metadata) have equal fingerprints.
 * @example tableFingerprint(table) // 'e3b0c442...'
 */
export function tableFingerprint(table: Table): string {
  const hash = createHash('sha256');
  const writer = new RecordBatchStreamWriter();
  writer.reset(new HashSink(hash) as never, table.schema);
  for (const b of table.batches) writer.write(b);
  writer.finish();
  return hash.digest('hex');
}

/**
 * SHA-256 of a file's bytes, read in 1 MiB chunks.
 * @example await fileFingerprint('cohort.arrow')
 */
export async function fileFingerprint(file: string): Promise<string> {
  requireFile(file);
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
