import { parse } from 'csv-parse/sync';
import { CsvTokenizer, CsvSyntaxError } from '../../../src/data/csv-tokenizer';

/** Deterministic generator for test content (xorshift32). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'b', 'é', '😀', ' ', ',', ';', '\t', '"', '\n', '\r\n', '1', '-', 'x y', ''];

/** A random well-formed CSV: fields quoted when they need it (RFC 4180), CRLF or LF line ends. */
function makeCsv(rnd: () => number, rows: number, cols: number, delimiter: string, eol: string): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < cols; c++) {
      let v = '';
      const len = Math.floor(rnd() * 4);
      for (let k = 0; k < len; k++) v += PIECES[Math.floor(rnd() * PIECES.length)];
      const needs = v.includes('"') || v.includes(delimiter) || v.includes('\n') || v.includes('\r') || rnd() < 0.1;
      cells.push(needs ? `"${v.replace(/"/g, '""')}"` : v);
    }
    lines.push(cells.join(delimiter));
  }
  return lines.join(eol) + (rnd() < 0.5 ? eol : '');
}

/** Tokenizes text fed in random-sized chunks (to cross every kind of boundary). */
function tokenize(text: string, delimiter: string, rnd: () => number): string[][] {
  const t = new CsvTokenizer(delimiter);
  const out: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(rnd() * 7);
    out.push(...t.push(text.slice(i, i + n)));
    i += n;
  }
  out.push(...t.end());
  return out;
}

describe('CsvTokenizer', () => {
  test.each([
    [',', '\n'],
    [',', '\r\n'],
    [';', '\n'],
    ['\t', '\r\n'],
  ])('gives the same records as csv-parse on random CSV (delimiter %j, line end %j) fed in random chunks', (delimiter, eol) => {
    const rnd = random(delimiter.charCodeAt(0) * 31 + eol.length);
    for (let trial = 0; trial < 60; trial++) {
      const text = makeCsv(rnd, 1 + Math.floor(rnd() * 8), 1 + Math.floor(rnd() * 4), delimiter, eol);
      const expected = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false }) as string[][];
      expect(tokenize(text, delimiter, rnd)).toEqual(expected);
      // Whole text at once too.
      const whole = new CsvTokenizer(delimiter);
      expect([...whole.push(text), ...whole.end()]).toEqual(expected);
    }
  });

  test('a multi-character delimiter', () => {
    const t = new CsvTokenizer('||');
    expect([...t.push('a||b\n"x||y"||z'), ...t.end()]).toEqual([['a', 'b'], ['x||y', 'z']]);
  });

  test.each([
    ['a,b\n1,"2\n', 'CSV_QUOTE_NOT_CLOSED', 2],
    ['a,b\n1,"2"x\n', 'CSV_INVALID_CLOSING_QUOTE', 2],
    ['a,b\n1,2\n3,4"5\n', 'CSV_INVALID_OPENING_QUOTE', 3],
  ])('refuses malformed quoting in %j with code and record number', (text, code, record) => {
    const t = new CsvTokenizer(',');
    let err: unknown;
    try {
      t.push(text);
      t.end();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvSyntaxError);
    expect((err as CsvSyntaxError).code).toBe(code);
    expect((err as CsvSyntaxError).record).toBe(record);
    // csv-parse refuses the same text.
    expect(() => parse(text)).toThrow();
  });

  test('a record longer than the limit is refused instead of buffering the file', () => {
    const t = new CsvTokenizer(',', 100);
    expect(() => t.push('a\n"' + 'x'.repeat(200))).toThrow(CsvSyntaxError);
  });
});
