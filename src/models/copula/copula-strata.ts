/**
 * Strata of the Gaussian copula: one copula per stratum, a cell of one or more categorical
 * columns (a mixture of copulas whose weights are the strata's frequencies).
 *
 * Why: a Gaussian copula keeps monotone dependence only. Sickle-cell genotypes are
 * subpopulations whose laboratory means move in different directions (SC has a higher Hb than SS
 * and a lower HbF than Sβ0; an ordered genotype latent cannot say both), so one copula over the
 * cohort lost the genotype contrasts the clinical checks test (V1, V2, V9 failed on all of eight
 * simulated cohorts). A copula per genotype keeps them, and the dependence inside each genotype.
 * Measured at ε = ∞ over cohorts 7, 21, 5 and 11 (1,500 patients, checks V1–V13): 28 checks
 * passed (5, 7, 8, 8) against 17 (4, 4, 5, 4) unstratified; fidelity ratio 1.37–1.67 against
 * 1.43–1.84. Stratifying by hydroxyurea kept 12, by chronic transfusion 11, by site 11.
 * Inside the SS stratum the transfused are a subpopulation again (high ferritin, liver iron and
 * cardiac T2* measured only for them, lower HbS): splitting SS by chronic transfusion as well
 * kept 153 checks over eight cohorts × three samples against 130 with genotype alone (tested the
 * same way, fidelity ratio 1.03–1.33).
 *
 * Choice of the strata (option `stratifyBy`, default `auto`): without DP, a tree of splits. The
 * table is split by the categorical column whose dependence on the others the unstratified copula
 * misses most: Σ_j max(0, I(s; j) − I_gauss(s; j)), where I is the mutual information of the codes
 * (Miller–Madow corrected) and I_gauss = −½ log(1 − r²) what a Gaussian copula with the
 * normal-score correlation r carries, less the same sum for the column shuffled (what estimation
 * noise adds up to), if that leaves at least STRATUM_MIN_EXCESS; then each stratum of at least
 * MIN_SPLIT_ROWS rows the same way on its own rows (splitTree).
 * Quasi-identifiers (site, country, sex...) are not candidates: a component per centre or per
 * demographic cell fits the small groups that disclosure attacks target, and on the cohort the
 * site's excess dependence is its data-collection pattern (which panels a centre runs), which the
 * missingness latents already carry. Under DP `auto` means no strata (choosing on the data would
 * read it outside the ledger); columns named explicitly (`genotype` or `genotype,chronic_transfusion`:
 * a stratum per combination of their levels) are public knowledge and cost nothing extra: every row
 * is in one stratum, so the strata's noisy histograms and score sums together have the sensitivity
 * of one set (parallel composition).
 */
import { UsageError } from '../../errors';
import type { TableSchema } from '../../data/schema';
import { normalQuantile } from '../../evaluate/statistics/normal';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { flattenCodes, measureMarginals } from '../marginal/contingency';
import { SamplingRandom } from '../sampling-random';

/**
 * Least excess dependence (nats, summed over the other columns, beyond the same column shuffled)
 * for `auto` to stratify; on the SCD cohort (seeds 7, 21, 5, 11, 3) genotype has 1.7–1.9 and
 * the next candidates (chronic transfusion, hydroxyurea) 0.4–0.5.
 */
export const STRATUM_MIN_EXCESS = 0.5;

/** Most levels a stratifying column may have (each level is a whole copula in the model). */
export const MAX_STRATA = 16;

/** Columns that may stratify a copula: categorical, never missing, 2 to MAX_STRATA levels, not (quasi-)identifiers. */
export function stratumCandidates(schema: TableSchema, encoders: readonly DiscreteColumnEncoder[]): number[] {
  const role = new Map(schema.columns.map((c) => [c.name, c.role]));
  return encoders.flatMap((e, j) => (e.levels === 'categories' && !e.nullable && e.size >= 2 && e.size <= MAX_STRATA && role.get(e.column) !== 'quasi-identifier' && role.get(e.column) !== 'direct-identifier' ? [j] : []));
}

/**
 * The dependence of column s on column j that a Gaussian copula misses, from their 2-way counts
 * (s-major): max(0, I(s; j) − I_gauss(s; j)) in nats (see the header).
 * @example excessDependence(Float64Array.of(50, 0, 0, 50), 2, 2) // ≈ 0: a 2×2 diagonal is monotone
 */
export function excessDependence(counts: Float64Array, ss: number, sj: number): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (!(n > 0)) return 0;
  const ps = new Float64Array(ss), pj = new Float64Array(sj);
  for (let a = 0; a < ss; a++) for (let b = 0; b < sj; b++) { ps[a] += counts[a * sj + b]; pj[b] += counts[a * sj + b]; }
  let mi = 0, cells = 0;
  for (let a = 0; a < ss; a++) for (let b = 0; b < sj; b++) {
    const c = counts[a * sj + b];
    if (c > 0) { mi += (c / n) * Math.log((c * n) / (ps[a] * pj[b])); cells++; }
  }
  const occupied = (p: Float64Array) => p.reduce((k, x) => k + (x > 0 ? 1 : 0), 0);
  mi -= (cells - occupied(ps) - occupied(pj) + 1) / (2 * n); // Miller–Madow
  // Normal scores at the middle of each code's CDF cell (as the copula's, copula-fit.ts).
  const scores = (p: Float64Array) => {
    let acc = 0;
    return Array.from(p, (x) => { const z = normalQuantile(Math.min(1 - 1e-6, Math.max(1e-6, (acc + x / 2) / n))); acc += x; return z; });
  };
  const zs = scores(ps), zj = scores(pj);
  let ms = 0, mj = 0, vs = 0, vj = 0, cov = 0;
  for (let a = 0; a < ss; a++) { ms += (ps[a] * zs[a]) / n; vs += (ps[a] * zs[a] * zs[a]) / n; }
  for (let b = 0; b < sj; b++) { mj += (pj[b] * zj[b]) / n; vj += (pj[b] * zj[b] * zj[b]) / n; }
  for (let a = 0; a < ss; a++) for (let b = 0; b < sj; b++) cov += (counts[a * sj + b] * zs[a] * zj[b]) / n;
  vs -= ms * ms; vj -= mj * mj; cov -= ms * mj;
  const r = vs > 0 && vj > 0 ? cov / Math.sqrt(vs * vj) : 0;
  return Math.max(0, mi + 0.5 * Math.log(1 - Math.min(0.999999, r * r)));
}

/** A stratum: the columns it fixes with their codes, and its rows (null: every row). */
export interface CopulaStratum {
  fixed: Array<[column: number, code: number]>;
  rows: Int32Array | null;
}

/**
 * Fewest rows for `auto` to split a stratum further (the whole table always may be split). Why:
 * after genotype, a split inside a stratum pays when the stratum is large enough that its parts
 * still estimate a 280-latent correlation; measured on cohorts 7, 21, 5 and 11 (three 1,500-row
 * samples each, checks V1–V13): splitting SS (1,038 rows) by chronic transfusion kept 69 checks
 * against 58 with genotype alone, fidelity ratio 1.17–1.35 against 1.26–1.46; the smaller
 * genotypes' splits (Sβ0 by transfusion: 82 and 9 rows) only add noise.
 */
export const MIN_SPLIT_ROWS = 500;
/**
 * Rows of a cell its candidates are scored on, evenly spaced (all of them up to this many): the
 * excess dependence is a sum of mutual informations, which 50,000 rows estimate well, and scoring
 * every candidate on every row of 1,000,000 took 4 s of a 10 s fit (1,000,000 rows × 50 columns).
 * As the marginal generator's family search (family-selection.ts, searchRows).
 */
export const STRATA_SEARCH_ROWS = 50000;

/**
 * The excess dependence of column s on the others on some rows, less the same for s shuffled (see
 * the header). `flat`: the rows' codes flattened column-major with one more column's room at the
 * end, where s's shuffled codes are written (one flattening per stratum for all its candidates:
 * flattening per candidate took 11 of 23 s fitting 300,000 rows × 50 columns).
 */
function excessScore(s: number, codes: readonly Int32Array[], sizes: readonly number[], rows: number, skip: ReadonlySet<number>, flat: Int32Array): number {
  const shuffle = new SamplingRandom(0x5157a7a, 0);
  const others = sizes.map((_, j) => j).filter((j) => j !== s && !skip.has(j));
  const shuffled = flat.subarray(codes.length * rows, (codes.length + 1) * rows);
  shuffled.set(codes[s]);
  for (let i = shuffled.length - 1; i > 0; i--) { const k = Math.floor(shuffle.next() * (i + 1)); const x = shuffled[i]; shuffled[i] = shuffled[k]; shuffled[k] = x; }
  const counts = measureMarginals({ codes: [...codes, shuffled], sizes: [...sizes, sizes[s]], rows }, [...others.map((j) => [s, j]), ...others.map((j) => [codes.length, j])], { flat });
  const score = others.reduce((t, j, i) => t + excessDependence(counts[i], sizes[s], sizes[j]), 0);
  const chance = others.reduce((t, j, i) => t + excessDependence(counts[others.length + i], sizes[s], sizes[j]), 0);
  return score - chance;
}

/**
 * `auto` strata (training without DP): a tree of splits. The whole table is split by the
 * candidate with the largest excess dependence, if at least STRATUM_MIN_EXCESS; then each stratum
 * of at least MIN_SPLIT_ROWS rows by the best candidate it does not fix, scored on its own rows,
 * under the same threshold, while the strata stay at most MAX_STRATA. On the SCD cohort this is
 * genotype, then the SS stratum by chronic transfusion (excess 0.6; hydroxyurea then scores 0.4
 * inside SS without transfusion, below the threshold).
 */
function splitTree(candidates: readonly number[], encoders: readonly DiscreteColumnEncoder[], codes: Int32Array[], rows: number): CopulaStratum[] {
  const sizes = encoders.map((e) => e.size);
  const leaves: CopulaStratum[] = [];
  const queue: CopulaStratum[] = [{ fixed: [], rows: null }];
  while (queue.length > 0) {
    const cell = queue.shift() as CopulaStratum;
    const n = cell.rows ? cell.rows.length : rows;
    const fixedColumns = new Set(cell.fixed.map(([j]) => j));
    const open = candidates.filter((s) => !fixedColumns.has(s));
    if ((cell.rows && n < MIN_SPLIT_ROWS) || open.length === 0 || n === 0) { leaves.push(cell); continue; }
    const sub = cell.rows ? codes.map((c) => Int32Array.from(cell.rows as Int32Array, (i) => c[i])) : codes;
    let best = -1, bestScore = STRATUM_MIN_EXCESS;
    // Candidates are scored on at most STRATA_SEARCH_ROWS evenly spaced rows of the cell.
    const m = Math.min(n, STRATA_SEARCH_ROWS);
    const scored = m === n ? sub : sub.map((c) => Int32Array.from({ length: m }, (_, i) => c[Math.floor((i * n) / m)]));
    const flat = flattenCodes({ codes: [...scored, new Int32Array(m)], sizes: [...sizes, 1], rows: m });
    for (const s of open) {
      const score = excessScore(s, scored, sizes, m, fixedColumns, flat);
      if (score >= bestScore) { best = s; bestScore = score; }
    }
    const parts = best < 0 ? [] : rowsByLevel(sub[best], sizes[best]).map((r, code) => ({ code, r })).filter((p) => p.r.length > 0);
    if (parts.length < 2 || leaves.length + queue.length + parts.length > MAX_STRATA) { leaves.push(cell); continue; }
    for (const { code, r } of parts) queue.push({ fixed: [...cell.fixed, [best, code]], rows: cell.rows ? Int32Array.from(r, (i) => (cell.rows as Int32Array)[i]) : r });
  }
  return leaves;
}

/** The error for a stratifyBy naming no usable column (`allowed`: the candidates' names). */
export function stratifyByNotCandidates(option: unknown, allowed: readonly string[]): UsageError {
  return new UsageError(`Expected option stratifyBy to be "auto", "none", or one or more distinct categorical columns, joined by commas, without missing values and with 2-${MAX_STRATA} levels that are not quasi-identifiers (${allowed.join(', ') || 'none in this schema'}) but received ${JSON.stringify(option)}`);
}

/** The error for a stratifyBy whose columns' levels make more than MAX_STRATA combinations. */
export function stratifyByTooManyStrata(option: unknown, combinations: number): UsageError {
  return new UsageError(`Expected option stratifyBy to have at most ${MAX_STRATA} combinations of levels but received ${JSON.stringify(option)} with ${combinations}`);
}

/**
 * The strata of a copula training: option `none`, `auto` (see the header and splitTree) or the
 * name of one candidate column, or several joined by commas (one stratum per combination of their
 * levels, at most MAX_STRATA). Under DP a named stratification has a stratum for every
 * combination, empty or not (which ones occur is data), and `auto` means none. One stratum with
 * no fixed column means no strata.
 * @example resolveStrata('genotype,chronic_transfusion', schema, encoders, codes, rows, true).length // 10
 */
export function resolveStrata(option: unknown, schema: TableSchema, encoders: readonly DiscreteColumnEncoder[], codes: Int32Array[], rows: number, dp: boolean): CopulaStratum[] {
  const candidates = stratumCandidates(schema, encoders);
  const whole: CopulaStratum[] = [{ fixed: [], rows: null }];
  if (option === 'none') return whole;
  if (option === undefined || option === 'auto') return dp || candidates.length === 0 || rows === 0 ? whole : splitTree(candidates, encoders, codes, rows);
  const names = typeof option === 'string' ? option.split(',').map((s) => s.trim()) : [];
  const columns = names.map((name) => encoders.findIndex((e) => e.column === name));
  if (names.length === 0 || columns.some((j) => !candidates.includes(j)) || new Set(columns).size !== columns.length) {
    const allowed = candidates.map((c) => encoders[c].column);
    throw stratifyByNotCandidates(option, allowed);
  }
  const combinations = columns.reduce((p, j) => p * encoders[j].size, 1);
  if (combinations > MAX_STRATA) throw stratifyByTooManyStrata(option, combinations);
  // Row lists per combination, the first column's code most significant.
  const key = new Int32Array(rows);
  for (const j of columns) for (let i = 0; i < rows; i++) key[i] = key[i] * encoders[j].size + codes[j][i];
  return rowsByLevel(key, combinations).flatMap((r, combo) => {
    if (!dp && r.length === 0) return [];
    const fixed: Array<[number, number]> = [];
    let rest = combo;
    for (let x = columns.length - 1; x >= 0; x--) { fixed.unshift([columns[x], rest % encoders[columns[x]].size]); rest = Math.floor(rest / encoders[columns[x]].size); }
    return [{ fixed, rows: r }];
  });
}

/** Row indices of each level of a coded column. */
export function rowsByLevel(codes: Int32Array, levels: number): Int32Array[] {
  const counts = new Int32Array(levels);
  for (const c of codes) counts[c]++;
  const out = Array.from(counts, (k) => new Int32Array(k));
  const at = new Int32Array(levels);
  codes.forEach((c, i) => { out[c][at[c]++] = i; });
  return out;
}
