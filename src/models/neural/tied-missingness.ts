/**
 * Tied missingness for the neural generators: the columns of one assay panel (a SNP array, a
 * metabolomics run) are measured together or not at all, so a synthetic row has the whole panel
 * or none of it.
 *
 * Why. TVAE and CTGAN draw each column's code from its own softmax, independently given the
 * network's input, and their networks do not learn that 200 SNP columns are missing together:
 * each column's missing rate is right (the output calibration sees to that), but the pairs are
 * not, and the panel pairs are most of the 39,060 column pairs of the SCD cohort. Measured on
 * cohort 7 (non-private TVAE, published budget, 1,500 rows against a fresh cohort): fidelity
 * ratio 1.92 untied, 1.51 with the panels tied after sampling.
 *
 * How. Each group has a leader (its first column). Sampling draws every column as before; then,
 * per row, the leader's code decides the group's state: where the leader is missing every member
 * is set missing, where it is present every member drawn missing is drawn again among its present
 * codes (its softmax renormalised without the missing code, times the condition's weights), from a
 * stream of its own so that the other draws do not move. A `--where` condition on a member still
 * holds exactly: a member whose condition forbids its missing code makes the group present in
 * that row, one whose condition allows only missing makes it missing.
 *
 * Which columns. {@link tiedColumnGroups}: the columns of one schema `source`; without DP a
 * column joins its source's group only if its missing rows overlap the leader's by a Jaccard
 * index of at least TIE_MIN_JACCARD (the copula ties its missingness latents by the same rule,
 * copula-fit.ts); under DP only the panels (sources of at least PANEL_MIN_COLUMNS columns), since
 * the overlap cannot be read and a smaller source may be a literature reference rather than an
 * assay. The groups are stored in the model (`generator.tiedMissing`); models without them sample
 * untied.
 */
import type { TableSchema } from '../../data/schema';
import { InputError } from '../../errors';
import { missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import type { RawOutputLayout } from './row-layout';
import { missingnessGroups } from './missingness-groups';

/** Jaccard index of missing rows with the leader's for a column to be tied without DP. */
export const TIE_MIN_JACCARD = 0.9;
/** Columns of one schema source (an assay) from which they form a panel. */
export const PANEL_MIN_COLUMNS = 8;
/**
 * Stream numbers of the redraws: block b, column j uses TIE_STREAM_BASE + b·4096 + j, apart from
 * the read-out's streams (b·4096 + j + 1, below 2²⁹ for fewer than 2²⁹ rows) and the noise's
 * (from 2³⁰).
 */
export const TIE_STREAM_BASE = 0x20000000;

function jaccardOfMissing(a: Int32Array, ma: number, b: Int32Array, mb: number): number {
  let both = 0, either = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === ma, y = b[i] === mb;
    if (x && y) both++;
    if (x || y) either++;
  }
  return either > 0 ? both / either : 1;
}

/**
 * The columns (encoder indices) of assay panels: schema sources of at least PANEL_MIN_COLUMNS
 * modelled columns (a SNP array, a metabolomics run; public metadata, no data read).
 * @example panelColumns(encoders, schema).size // 240 of the SCD cohort's 280 columns
 */
export function panelColumns(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): Set<number> {
  const source = new Map(schema.columns.map((c) => [c.name, c.source]));
  const bySource = new Map<string, number[]>();
  encoders.forEach((e, j) => {
    const s = source.get(e.column);
    if (typeof s !== 'string' || s.trim() === '') return;
    const list = bySource.get(s);
    if (list) list.push(j); else bySource.set(s, [j]);
  });
  return new Set([...bySource.values()].filter((cols) => cols.length >= PANEL_MIN_COLUMNS).flat());
}

/**
 * Groups of nullable columns (encoder indices, leader first) to tie: by schema source, with the
 * codes (no DP) the members whose missing rows overlap the leader's by TIE_MIN_JACCARD, without
 * them (DP) the panels only. `eligible` restricts the columns considered (the copula's columns
 * with a missingness latent); `panelsOnly` overrides the DP default.
 * @example tiedColumnGroups(encoders, schema, codes) // [[40, 41, ..., 239], ...]
 */
export function tiedColumnGroups(encoders: readonly DiscreteColumnEncoder[], schema: TableSchema, codes: readonly Int32Array[] | null, opts: { eligible?: (j: number) => boolean; panelsOnly?: boolean } = {}): number[][] {
  const panelsOnly = opts.panelsOnly ?? codes === null;
  const out: number[][] = [];
  for (const group of missingnessGroups(encoders, schema)) {
    const cols = opts.eligible ? group.columns.filter(opts.eligible) : group.columns;
    if (cols.length < 2 || (panelsOnly && cols.length < PANEL_MIN_COLUMNS)) continue;
    const lead = cols[0];
    const members = codes ? cols.filter((j) => j === lead || jaccardOfMissing(codes[lead], missingCode(encoders[lead]), codes[j], missingCode(encoders[j])) >= TIE_MIN_JACCARD) : cols;
    if (members.length >= 2) out.push(members);
  }
  return out;
}

/**
 * Checks a model's stored groups: disjoint lists of at least two distinct nullable column indices.
 * @example checkTiedGroups(model.manifest.generator.tiedMissing, encoders, 'model.hsm')
 */
export function checkTiedGroups(groups: unknown, encoders: readonly DiscreteColumnEncoder[], file: string): number[][] | undefined {
  if (groups === undefined) return undefined;
  const bad = (expected: string, got: unknown) => new InputError({ file, field: 'generator.tiedMissing' }, expected, String(JSON.stringify(got) ?? got).slice(0, 80));
  if (!Array.isArray(groups)) throw bad('a list of column groups', groups);
  const seen = new Set<number>();
  for (const g of groups) {
    if (!Array.isArray(g) || g.length < 2) throw bad('groups of at least two column indices', g);
    for (const j of g) {
      if (!(Number.isInteger(j) && j >= 0 && j < encoders.length) || !encoders[j].nullable || seen.has(j)) throw bad(`distinct indices of nullable columns in [0, ${encoders.length})`, j);
      seen.add(j);
    }
  }
  return groups as number[][];
}

/**
 * Ties the codes of rows [firstRow, firstRow + rows) in place (see the file comment); `raw` is
 * the chunk's raw network output, read as `out` says.
 * @example tieMissingCodes(codes, raw, rows, encoders, plan.raw, groups, { seed: 1, firstRow: 0 })
 */
export function tieMissingCodes(
  codes: Int32Array[],
  raw: Float32Array,
  rows: number,
  encoders: readonly DiscreteColumnEncoder[],
  out: RawOutputLayout,
  groups: readonly number[][],
  opts: { seed: number; firstRow: number; evidence?: ReadonlyMap<number, Float64Array> },
): void {
  const W = out.width;
  for (const group of groups) {
    const lead = group[0];
    const leadMiss = missingCode(encoders[lead]);
    // Per member: its condition's forced state (1 present, −1 missing, 0 free).
    const forced = group.map((j) => {
      const w = opts.evidence?.get(j);
      if (!w) return 0;
      const miss = missingCode(encoders[j]);
      if (w[miss] === 0) return 1;
      let present = 0;
      for (let k = 0; k < w.length; k++) if (k !== miss) present += w[k];
      return present === 0 ? -1 : 0;
    });
    const mustBePresent = forced.includes(1), mustBeMissing = forced.includes(-1);
    // A condition that forces members both ways leaves each member as drawn (each satisfies it).
    if (mustBePresent && mustBeMissing) continue;
    for (let m = 0; m < group.length; m++) {
      const j = group[m];
      const e = encoders[j], c = codes[j], miss = missingCode(e), size = e.size;
      const lo = out.logitOffsets[j];
      const w = opts.evidence?.get(j);
      const p = new Float64Array(size);
      let rng: SamplingRandom | null = null;
      for (let i = 0; i < rows; i++) {
        const global = opts.firstRow + i;
        if (rng === null || global % SAMPLING_BLOCK_ROWS === 0) rng = new SamplingRandom(opts.seed, TIE_STREAM_BASE + Math.floor(global / SAMPLING_BLOCK_ROWS) * 4096 + j);
        const groupMissing = mustBeMissing || (!mustBePresent && codes[lead][i] === leadMiss);
        if (groupMissing) { c[i] = miss; continue; }
        if (c[i] !== miss) continue;
        // Present: draw again among the present codes.
        const base = i * W + lo;
        let mx = -Infinity;
        for (let k = 0; k < size; k++) if (k !== miss && raw[base + k] > mx) mx = raw[base + k];
        let sum = 0;
        for (let k = 0; k < size; k++) { p[k] = k === miss ? 0 : Math.exp(raw[base + k] - mx) * (w ? w[k] : 1); sum += p[k]; }
        if (!(sum > 0)) continue; // no present code allowed: stays missing (forced above otherwise)
        let u = rng.next() * sum, k = 0;
        while (k < size - 1 && (p[k] === 0 || u >= p[k])) { u -= p[k]; k++; }
        while (p[k] === 0 && k > 0) k--; // round-off landed on the missing code or a forbidden one
        c[i] = k;
      }
    }
  }
}
