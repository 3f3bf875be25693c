/** Checks shared by the TVAE and CTGAN tests: validity of synthetic tables against the schema and the real table. */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../../../src/data/schema';
import { readLabels, readNumbers } from '../../../src/transform/column-values';

/** Per column: |missing rate(synthetic) − missing rate(real)|. */
export function missingnessGaps(real: Table, synthetic: Table, schema: TableSchema): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of schema.columns) {
    const rate = (t: Table) => {
      const kind = c.kind;
      const vals = kind === 'categorical' || kind === 'ordinal' || kind === 'boolean' ? readLabels(t, c.name).map((v) => (v === null ? NaN : 0)) : [...readNumbers(t, c.name)];
      return vals.filter((v) => Number.isNaN(v)).length / Math.max(1, vals.length);
    };
    out.set(c.name, Math.abs(rate(synthetic) - rate(real)));
  }
  return out;
}

/** Values of categorical/ordinal columns outside the schema's categories, and numbers outside bounds or non-integers in integer columns. */
export function invalidValues(synthetic: Table, schema: TableSchema): string[] {
  const bad: string[] = [];
  for (const c of schema.columns) {
    if (c.kind === 'categorical' || c.kind === 'ordinal') {
      const allowed = new Set(c.categories ?? []);
      for (const v of readLabels(synthetic, c.name)) if (v !== null && !allowed.has(v)) bad.push(`${c.name}=${v}`);
    } else if (c.kind === 'continuous' || c.kind === 'integer') {
      for (const v of readNumbers(synthetic, c.name)) {
        if (Number.isNaN(v)) continue;
        if (typeof c.min === 'number' && v < c.min) bad.push(`${c.name}=${v} < ${c.min}`);
        if (typeof c.max === 'number' && v > c.max) bad.push(`${c.name}=${v} > ${c.max}`);
        if (c.kind === 'integer' && !Number.isInteger(v)) bad.push(`${c.name}=${v} not an integer`);
      }
    }
    if (c.nullable === false) {
      const labels = readLabels(synthetic, c.name);
      if (labels.some((v) => v === null)) bad.push(`${c.name}: missing value in a non-nullable column`);
    }
  }
  return bad;
}
