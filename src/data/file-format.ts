/**
 * Which table format a path holds, chosen by extension and checked against the file's first
 * bytes, so that a CSV named `.arrow` or an image named `.parquet` is refused with a message
 * that says what the file really looks like.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, UsageError } from '../errors';

/** A table file format. */
export type TableFormat = 'csv' | 'arrow' | 'parquet';

const EXTENSIONS: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.arrow': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
  '.parquet': 'parquet',
};

/**
 * The format of a path from its extension (case-insensitive), or the explicit format.
 * @example formatFromPath('cohort.parquet') // 'parquet'
 */
export function formatFromPath(file: string, explicit?: TableFormat): TableFormat {
  if (explicit !== undefined) {
    if (explicit !== 'csv' && explicit !== 'arrow' && explicit !== 'parquet') {
      throw new UsageError(`Expected format "csv", "arrow" or "parquet" for ${JSON.stringify(file)} but received ${JSON.stringify(explicit)}`);
    }
    return explicit;
  }
  const ext = path.extname(file).toLowerCase();
  const f = EXTENSIONS[ext];
  if (!f) {
    throw new UsageError(
      `Expected a file name ending in ${Object.keys(EXTENSIONS).join(', ')} for ${JSON.stringify(file)} but received ${ext ? `extension "${ext}"` : 'no extension'}; the format is chosen by the extension`,
    );
  }
  return f;
}

/** The default CSV delimiter for a path: tab for `.tsv`, comma otherwise (used when writing). */
export function defaultDelimiter(file: string): string {
  return path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',';
}

/**
 * Guesses a CSV header's delimiter: whichever of ';', tab and ',' occurs most often outside
 * double quotes, or `fallback` when none does (a one-column file). Hospital exports from
 * spreadsheets in much of Europe use ';' (the comma is the decimal separator there), and the
 * ARX reference data does too; read with ',' such a file is one column named "a;b;c".
 * @example sniffDelimiter('sex;age;"a,b"') // ';'
 */
export function sniffDelimiter(header: string, fallback = ','): string {
  const counts = new Map<string, number>([[';', 0], ['\t', 0], [',', 0]]);
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = fallback, most = 0;
  for (const [d, c] of counts) if (c > most) { best = d; most = c; }
  return best;
}

/**
 * The delimiter to read a CSV file with when none is given: guessed from its first line
 * ({@link sniffDelimiter}), falling back on {@link defaultDelimiter} for the extension.
 * @example inputDelimiter('adult.csv') // ';' for the ARX Adult data
 */
export function inputDelimiter(file: string): string {
  let head: string;
  try {
    head = readHead(file, 64 * 1024).toString('utf8').replace(/^\uFEFF/, '');
  } catch {
    return defaultDelimiter(file); // the reader that opens it next says what is wrong with the path
  }
  const end = head.search(/\r?\n/);
  return sniffDelimiter(end >= 0 ? head.slice(0, end) : head, defaultDelimiter(file));
}

/** Throws an InputError unless `file` is an existing regular file; returns its size in bytes. */
export function requireFile(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new InputError({ file }, 'an existing file', 'a path that does not exist');
  }
  if (!st.isFile()) throw new InputError({ file }, 'a regular file', st.isDirectory() ? 'a directory' : 'something that is not a regular file');
  return st.size;
}

/** Reads up to `n` bytes from the start of a file. */
export function readHead(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads up to `n` bytes from the end of a file. */
export function readTail(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(n, size);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

const ARROW_MAGIC = Buffer.from('ARROW1');
const PARQUET_MAGIC = Buffer.from('PAR1');

/** Whether bytes start an Arrow IPC file (`ARROW1`) or an IPC stream (continuation marker 0xFFFFFFFF then a message length). */
export function looksLikeArrow(head: Buffer): boolean {
  if (head.subarray(0, 6).equals(ARROW_MAGIC)) return true;
  return head.length >= 8 && head.readUInt32LE(0) === 0xffffffff && head.readInt32LE(4) > 0;
}

/** Whether bytes start a Parquet file (`PAR1`). */
export function looksLikeParquet(head: Buffer): boolean {
  return head.subarray(0, 4).equals(PARQUET_MAGIC);
}

/**
 * Says in words what a file's first bytes look like, for error messages:
 * "a PNG image", "a Parquet file", "text starting with \"id,age\"", "binary data".
 */
export function describeContent(head: Buffer): string {
  if (head.length === 0) return 'an empty file';
  const starts = (sig: number[]) => sig.every((b, i) => head[i] === b);
  if (looksLikeArrow(head)) return 'an Arrow IPC file';
  if (looksLikeParquet(head)) return 'a Parquet file';
  if (starts([0x89, 0x50, 0x4e, 0x47])) return 'a PNG image';
  if (starts([0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (starts([0x25, 0x50, 0x44, 0x46])) return 'a PDF document';
  if (starts([0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive (e.g. an .xlsx workbook)';
  if (starts([0x1f, 0x8b])) return 'gzip-compressed data';
  if (starts([0xd0, 0xcf, 0x11, 0xe0])) return 'a legacy Microsoft Office document (e.g. .xls)';
  const nul = head.indexOf(0);
  if (nul >= 0) return `binary data (a NUL byte at byte offset ${nul})`;
  const text = head.subarray(0, 40).toString('utf8').replace(/^\uFEFF/, '');
  return `text starting with ${JSON.stringify(text.split(/\r?\n/)[0].slice(0, 30))}`;
}

/** Throws an InputError unless the file's bytes match the format its name promised. */
export function requireContent(file: string, format: TableFormat): void {
  const head = readHead(file, 64);
  if (format === 'arrow' && !looksLikeArrow(head)) {
    throw new InputError({ file }, 'an Arrow IPC file (starting with "ARROW1") or an Arrow IPC stream', describeContent(head));
  }
  if (format === 'parquet') {
    const tail = readTail(file, 4);
    if (!looksLikeParquet(head)) throw new InputError({ file }, 'a Parquet file (starting with "PAR1")', describeContent(head));
    if (!tail.equals(PARQUET_MAGIC)) throw new InputError({ file }, 'a complete Parquet file (ending with "PAR1")', 'a truncated or corrupted file');
  }
  if (format === 'csv') {
    const what = describeContent(head);
    if (!what.startsWith('text') && what !== 'an empty file') {
      throw new InputError({ file }, 'a UTF-8 text file (CSV)', what);
    }
  }
}
