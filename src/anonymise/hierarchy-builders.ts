/**
 * Builders for generalisation hierarchies: numeric intervals, date truncation
 * (day → month → year) and masking of codes (postcodes, record numbers). Each returns a
 * {@link Hierarchy} covering exactly the values given, ending in "*".
 */
import { InputError, UsageError } from '../errors';
import { Hierarchy, makeHierarchy } from './hierarchy';

/** Options of {@link buildIntervalHierarchy}. */
export interface IntervalOptions {
  /** Interval widths, one per level, each a multiple of the previous (e.g. [5, 10, 20]). */
  widths: number[];
  /** Origin of the intervals (default: the floor of the smallest value). */
  origin?: number;
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Numeric intervals `[a, b)` of growing width, then "*". Values must be numbers.
 * @example buildIntervalHierarchy(['17', '39', '90'], { widths: [5, 10, 20] })
 */
export function buildIntervalHierarchy(values: string[], opts: IntervalOptions, column = 'value'): Hierarchy {
  if (!Array.isArray(opts.widths) || opts.widths.length === 0 || opts.widths.some((w) => !(w > 0) || !Number.isFinite(w))) {
    throw new UsageError(`Expected a non-empty list of positive interval widths for "widths" but received ${JSON.stringify(opts.widths)}`);
  }
  const distinct = uniqueSorted(values);
  const nums = distinct.map((v) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new InputError({ column }, 'a number (interval hierarchy)', JSON.stringify(v));
    return x;
  });
  const origin = opts.origin ?? Math.floor(Math.min(...nums));
  const fmt = (x: number) => String(Number(x.toPrecision(12)));
  const rows = distinct.map((v, i) => {
    const row = [v];
    for (const w of opts.widths) {
      const a = origin + Math.floor((nums[i] - origin) / w) * w;
      row.push(`[${fmt(a)}, ${fmt(a + w)})`);
    }
    row.push('*');
    return row;
  });
  rows.sort((a, b) => Number(a[0]) - Number(b[0]));
  return makeHierarchy(rows, `interval hierarchy of ${column}`);
}

/**
 * Dates `YYYY-MM-DD` (a time part is ignored) truncated to month, then year, then "*".
 * @example buildDateHierarchy(['2021-03-04']) // 2021-03-04 → 2021-03 → 2021 → *
 */
export function buildDateHierarchy(values: string[], column = 'value', opts: { levels?: ('month' | 'year' | 'decade')[] } = {}): Hierarchy {
  const levels = opts.levels ?? ['month', 'year'];
  const rows = uniqueSorted(values).sort().map((v) => {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(v);
    if (!m) throw new InputError({ column }, 'a date YYYY-MM-DD (date hierarchy)', JSON.stringify(v));
    const row = [v];
    for (const l of levels) {
      if (l === 'month') row.push(`${m[1]}-${m[2]}`);
      else if (l === 'year') row.push(m[1]);
      else row.push(`${m[1].slice(0, 3)}0s`);
    }
    row.push('*');
    return row;
  });
  return makeHierarchy(rows, `date hierarchy of ${column}`);
}

/**
 * Masks characters from the right, `step` more at each level, until all are masked, then "*".
 * @example buildMaskHierarchy(['75012', '75013'], { step: 2 }) // 75012 → 750** → 7**** → *
 */
export function buildMaskHierarchy(values: string[], opts: { step?: number; maskChar?: string } = {}, column = 'value'): Hierarchy {
  const step = opts.step ?? 1;
  const maskChar = opts.maskChar ?? '*';
  if (!Number.isInteger(step) || step < 1) throw new UsageError(`Expected a positive integer for "step" but received ${JSON.stringify(opts.step)}`);
  const distinct = uniqueSorted(values).sort();
  const maxLen = Math.max(0, ...distinct.map((v) => v.length));
  const levels = Math.ceil(maxLen / step);
  const rows = distinct.map((v) => {
    const row = [v];
    for (let l = 1; l < levels; l++) {
      const keep = Math.max(0, v.length - l * step);
      row.push(v.slice(0, keep) + maskChar.repeat(v.length - keep));
    }
    row.push('*');
    return row;
  });
  return makeHierarchy(rows, `mask hierarchy of ${column}`);
}
