/**
 * Streaming CSV records with every check a data file needs before its values are trusted:
 * UTF-8 validity and NUL bytes (binary garbage) chunk by chunk, an optional byte-order mark,
 * a header with unique, non-empty names, and the same number of fields on every row.
 *
 * Tokenizing is RFC 4180 (quoted fields, doubled quotes, embedded newlines, LF and CRLF line
 * ends; see csv-tokenizer.ts), fed 1 MiB at a time, so memory stays bounded whatever the file size.
 */
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { CsvSyntaxError, CsvTokenizer } from './csv-tokenizer';
import { InputError } from '../errors';
import { requireContent, requireFile } from './file-format';

/** Options of {@link openCsv}. */
export interface CsvSourceOptions {
  /** Field delimiter (one character or a short string). Default ",". */
  delimiter?: string;
  /** Called as bytes are read (for progress bars). */
  onBytes?: (bytesRead: number, totalBytes: number) => void;
}

/** An open CSV file: its header and an async iterator over data rows. */
export interface CsvSource {
  file: string;
  header: string[];
  totalBytes: number;
  /**
   * Data rows (arrays of raw field text) in chunks of up to 4,096, in file order; row numbers
   * start at 1 after the header, blank lines skipped.
   */
  chunks: AsyncIterable<string[][]>;
  /** Stops reading early and releases the file. */
  close(): void;
}

const CHUNK = 1 << 20;
// A field or record larger than this is almost surely an unclosed quote swallowing the file.
const MAX_RECORD_CHARS = 64 * 1024 * 1024;

/**
 * Reads the file in chunks, refusing NUL bytes and invalid UTF-8 with the byte offset where they
 * occur. A multi-byte character split across two chunks is carried over, not misreported.
 */
async function* checkedChunks(file: string, totalBytes: number, onBytes?: (n: number, total: number) => void): AsyncGenerator<Buffer> {
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK });
  let offset = 0;
  let carry: Buffer | null = null;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      const nul = raw.indexOf(0);
      if (nul >= 0) {
        throw new InputError({ file }, 'a UTF-8 text file (CSV)', `binary data (a NUL byte at byte offset ${offset + nul})`);
      }
      const buf: Buffer = carry ? Buffer.concat([carry, raw]) : raw;
      const base = offset - (carry ? carry.length : 0);
      // Back up over an incomplete UTF-8 sequence at the end (at most 3 continuation/lead bytes).
      let end = buf.length;
      for (let k = 1; k <= 3 && k <= buf.length; k++) {
        const b = buf[buf.length - k];
        if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (need > k) end = buf.length - k;
        break;
      }
      const whole = buf.subarray(0, end);
      if (!isUtf8(whole)) throw new InputError({ file }, 'UTF-8 encoded text', `invalid UTF-8 bytes ${firstInvalidUtf8(whole, base)}`, 'Re-save the file as UTF-8');
      carry = end < buf.length ? Buffer.from(buf.subarray(end)) : null;
      offset += raw.length;
      onBytes?.(offset, totalBytes);
      if (whole.length > 0) yield whole;
    }
    if (carry && carry.length > 0) {
      throw new InputError({ file }, 'UTF-8 encoded text', `a truncated UTF-8 character at byte offset ${offset - carry.length}`);
    }
  } finally {
    stream.destroy();
  }
}

/** Locates the first invalid UTF-8 sequence (for the message), by decoding in halves. */
function firstInvalidUtf8(buf: Buffer, base: number): string {
  let lo = 0;
  let hi = buf.length;
  // Binary search on the longest valid prefix, backing off to a character boundary each time.
  while (hi - lo > 4) {
    const mid = (lo + hi) >>> 1;
    let cut = mid;
    while (cut > lo && (buf[cut] & 0xc0) === 0x80) cut--;
    if (isUtf8(buf.subarray(0, cut))) lo = cut === lo ? mid : cut;
    else hi = cut === lo ? mid : cut;
    if (cut === lo) break;
  }
  return `near byte offset ${base + lo}`;
}

/** Converts a tokenizer error into an InputError naming the data row (the header is row 0). */
function syntaxError(file: string, e: CsvSyntaxError): InputError {
  const row = Math.max(0, e.record - 1);
  if (e.code === 'CSV_MAX_RECORD_SIZE') {
    return new InputError({ file, row }, `a CSV record under ${MAX_RECORD_CHARS} characters`, 'a larger record (an unclosed quote?)');
  }
  return new InputError(
    { file, row },
    'well-formed CSV (RFC 4180: a field with a quote, the delimiter or a line break must be quoted, quotes inside doubled)',
    `${e.code}: ${e.message}`,
  );
}

/**
 * Opens a CSV file for streaming: checks it, reads and checks the header, then yields data rows.
 * @example
 * const src = await openCsv('cohort.csv');
 * for await (const rows of src.chunks) for (const row of rows) console.log(row);
 */
export async function openCsv(file: string, opts: CsvSourceOptions = {}): Promise<CsvSource> {
  const totalBytes = requireFile(file);
  requireContent(file, 'csv');
  const delimiter = opts.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/.test(delimiter)) {
    throw new InputError({ field: 'delimiter' }, 'a non-empty delimiter other than a quote or a line break', JSON.stringify(delimiter));
  }
  const chunks = checkedChunks(file, totalBytes, opts.onBytes);
  const tokenizer = new CsvTokenizer(delimiter, MAX_RECORD_CHARS);
  let queue: string[][] = [];
  let ended = false;
  let firstChunk = true;
  // Returns the next records (at least one), or null at the end of the file.
  const nextRecords = async (): Promise<string[][] | null> => {
    try {
      while (queue.length === 0) {
        if (ended) return null;
        const r = await chunks.next();
        if (r.done) {
          ended = true;
          queue = tokenizer.end();
        } else {
          let text = r.value.toString('utf8');
          if (firstChunk && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          firstChunk = false;
          queue = tokenizer.push(text);
        }
      }
    } catch (e) {
      throw e instanceof CsvSyntaxError ? syntaxError(file, e) : e;
    }
    const out = queue;
    queue = [];
    return out;
  };
  const release = () => {
    void chunks.return(undefined);
  };
  let first: string[] | undefined;
  for (;;) {
    let recs: string[][] | null;
    try {
      recs = await nextRecords();
    } catch (e) {
      release();
      throw e;
    }
    if (recs === null) break;
    const k = recs.findIndex((r) => !(r.length === 1 && r[0].trim() === ''));
    if (k < 0) continue;
    first = recs[k];
    queue = recs.slice(k + 1);
    break;
  }
  if (first === undefined) {
    release();
    throw new InputError({ file }, 'a CSV header row with column names', 'an empty file');
  }
  const header = first.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') {
      release();
      throw new InputError({ file, row: 0 }, `a column name in header field ${i + 1}`, 'an empty name');
    }
    const prev = seen.get(h);
    if (prev !== undefined) {
      release();
      throw new InputError({ file, row: 0, column: h }, 'unique column names in the header', `a duplicate name (fields ${prev + 1} and ${i + 1})`);
    }
    seen.set(h, i);
  });
  const width = header.length;
  let rowsSeen = 0;
  async function* rowChunks(): AsyncGenerator<string[][]> {
    try {
      for (;;) {
        const recs = await nextRecords();
        if (recs === null) return;
        let keep = 0;
        for (let k = 0; k < recs.length; k++) {
          const rec = recs[k];
          if (width > 1 && rec.length === 1 && rec[0] === '') continue;
          rowsSeen++;
          if (rec.length !== width) {
            throw new InputError({ file, row: rowsSeen }, `${width} fields (as in the header)`, `${rec.length} field${rec.length === 1 ? '' : 's'}`);
          }
          recs[keep++] = rec;
        }
        recs.length = keep;
        if (keep > 0) yield recs;
      }
    } finally {
      release();
    }
  }
  return {
    file,
    header,
    totalBytes,
    chunks: rowChunks(),
    close: release,
  };
}
