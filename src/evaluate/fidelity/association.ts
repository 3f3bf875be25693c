/**
 * Pairwise association on a common [0, 1] (or [-1, 1]) scale for every pair of column kinds:
 * Pearson's r for two numbers, Cramér's V (Cramér 1946) for two categories, and the
 * correlation ratio η (Pearson 1905) for a number against a category. Rows with a missing
 * value in either column are left out of that pair.
 */
import type { EvalColumn } from '../table-columns';
import { pearson } from '../statistics/ranks';

/**
 * Cramér's V = sqrt(χ²/n / (min(r, c) − 1)) on the observed levels; null when a variable has one level.
 * @example cramersV(Int32Array.of(0, 0, 1, 1), Int32Array.of(0, 0, 1, 1)) // 1
 */
export function cramersV(a: Int32Array, b: Int32Array): number | null {
  const rows = new Map<number, number>(), cols = new Map<number, number>();
  const cell = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || b[i] < 0) continue;
    n++;
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
    const key = a[i] * 1048576 + b[i];
    cell.set(key, (cell.get(key) ?? 0) + 1);
  }
  const k = Math.min(rows.size, cols.size);
  if (n === 0 || k < 2) return null;
  let chi2 = 0;
  for (const [r, nr] of rows) {
    for (const [c, nc] of cols) {
      const e = (nr * nc) / n;
      const o = cell.get(r * 1048576 + c) ?? 0;
      chi2 += ((o - e) * (o - e)) / e;
    }
  }
  return Math.min(1, Math.sqrt(chi2 / n / (k - 1)));
}

/**
 * Correlation ratio η = sqrt(between-group / total sum of squares); null for a constant number.
 * @example correlationRatio(Int32Array.of(0, 0, 1, 1), Float64Array.of(1, 1, 5, 5)) // 1
 */
export function correlationRatio(groups: Int32Array, values: Float64Array): number | null {
  const sum = new Map<number, number>(), cnt = new Map<number, number>();
  let n = 0, s = 0;
  for (let i = 0; i < groups.length; i++) {
    if (groups[i] < 0 || Number.isNaN(values[i])) continue;
    n++; s += values[i];
    sum.set(groups[i], (sum.get(groups[i]) ?? 0) + values[i]);
    cnt.set(groups[i], (cnt.get(groups[i]) ?? 0) + 1);
  }
  if (n < 2) return null;
  const mean = s / n;
  let total = 0;
  for (let i = 0; i < groups.length; i++) if (groups[i] >= 0 && !Number.isNaN(values[i])) total += (values[i] - mean) ** 2;
  if (total <= 0) return null;
  let between = 0;
  for (const [g, c] of cnt) between += c * (sum.get(g)! / c - mean) ** 2;
  return Math.min(1, Math.sqrt(between / total));
}

/** Which association a pair of columns gets. */
export type AssociationKind = 'pearson' | 'cramers-v' | 'correlation-ratio';

/** The association of two columns and its kind. */
export function association(a: EvalColumn, b: EvalColumn): { kind: AssociationKind; value: number | null } {
  if (a.kind === 'numeric' && b.kind === 'numeric') return { kind: 'pearson', value: pearson(a.values, b.values) };
  if (a.kind === 'categorical' && b.kind === 'categorical') return { kind: 'cramers-v', value: cramersV(a.codes, b.codes) };
  const cat = a.kind === 'categorical' ? a : (b as typeof a);
  const num = a.kind === 'numeric' ? a : b;
  return { kind: 'correlation-ratio', value: correlationRatio((cat as { codes: Int32Array }).codes, (num as { values: Float64Array }).values) };
}
