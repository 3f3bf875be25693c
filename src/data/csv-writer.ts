/**
 * Arrow record batches to CSV text, batch by batch: RFC 4180 quoting (a field holding the
 * delimiter, a quote or a line break is quoted, quotes doubled), LF line ends, nulls as empty
 * fields, dates as ISO 8601 `YYYY-MM-DD`, timestamps as ISO 8601 UTC with milliseconds, numbers in
 * the shortest form that reads back to the same double.
 *
 * CSV cannot tell an empty string from a null: an empty string is written as `""`, and reads back
 * as null (see docs/data.md).
 */
import * as fs from 'node:fs';
import { DataType, RecordBatch, Schema, Type, Vector } from 'apache-arrow';
import { InputError } from '../errors';
import { formatDateDays, formatDateTimeMs } from './value-parsing';
import { decimalScale, decimalToString } from './decimal-values';

type Formatter = (v: unknown) => string;

/** Quotes a field when RFC 4180 requires it. */
export function quoteField(s: string, delimiter: string): string {
  if (s === '') return '""';
  if (s.includes('"')) return `"${s.replace(/"/g, '""')}"`;
  if (s.includes(delimiter) || s.includes('\n') || s.includes('\r')) return `"${s}"`;
  return s;
}

function formatterFor(type: DataType, column: string, delimiter: string, file: string): Formatter {
  switch (type.typeId) {
    case Type.Float:
    case Type.Int:
      return (v) => String(v);
    case Type.Decimal: {
      // Exact text at the type's scale (String() of a Decimal value is its unscaled integer).
      const scale = decimalScale(type);
      return (v) => decimalToString(v, scale);
    }
    case Type.Bool:
      return (v) => (v ? 'true' : 'false');
    case Type.Date:
      // apache-arrow returns dates as milliseconds since the epoch.
      return (v) => formatDateDays(Math.floor(Number(v instanceof Date ? v.getTime() : v) / 86_400_000));
    case Type.Timestamp:
      return (v) => formatDateTimeMs(Number(v instanceof Date ? v.getTime() : v));
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return (v) => quoteField(String(v), delimiter);
    default:
      throw new InputError({ file, column }, 'a column CSV can hold (number, integer, boolean, string, category, date, timestamp)', `Arrow type ${String(type)}`);
  }
}

/**
 * Writes batches to a CSV file with synchronous, buffered writes.
 * @example
 * const w = new CsvBatchWriter('out.csv', table.schema);
 * for (const b of table.batches) w.write(b);
 * w.close();
 */
export class CsvBatchWriter {
  private readonly fd: number;
  private readonly formatters: Formatter[];
  private closed = false;
  constructor(
    readonly file: string,
    schema: Schema,
    private readonly delimiter = ',',
  ) {
    this.formatters = schema.fields.map((f) => formatterFor(f.type, f.name, delimiter, file));
    this.fd = fs.openSync(file, 'w');
    this.put(schema.fields.map((f) => quoteField(f.name, delimiter)).join(delimiter) + '\n');
  }

  private put(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
  }

  /** Appends the rows of one batch. */
  write(batch: RecordBatch): void {
    const cols: Vector[] = batch.schema.fields.map((_, c) => batch.getChildAt(c)!);
    const fmts = this.formatters;
    const d = this.delimiter;
    const nc = cols.length;
    let chunk = '';
    const cells = new Array<string>(nc);
    for (let r = 0; r < batch.numRows; r++) {
      for (let c = 0; c < nc; c++) {
        const v = cols[c].get(r);
        cells[c] = v === null || v === undefined ? '' : fmts[c](v);
      }
      chunk += cells.join(d) + '\n';
      if (chunk.length > 1 << 20) {
        this.put(chunk);
        chunk = '';
      }
    }
    if (chunk) this.put(chunk);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
