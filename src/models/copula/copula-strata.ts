/**
 * Strata of the Gaussian copula: one copula per level of a categorical column (a mixture of
 * copulas whose weights are the levels' frequencies).
 *
 * Why: a Gaussian copula keeps monotone dependence only. Sickle-cell genotypes are
 * subpopulations whose laboratory means move in different directions (SC has a higher Hb than SS
 * and a lower HbF than Sβ0; an ordered genotype latent cannot say both), so one copula over the
 * cohort lost the genotype contrasts the clinical checks test (V1, V2, V9 failed on all of eight
 * simulated cohorts). A copula per genotype keeps them, and the dependence inside each genotype.
 * Measured at ε = ∞ over cohorts 7, 21, 5 and 11 (1,500 patients, checks V1–V13): 28 checks
 * passed (5, 7, 8, 8) against 17 (4, 4, 5, 4) unstratified; fidelity ratio 1.37–1.67 against
 * 1.43–1.84. Stratifying by hydroxyurea kept 12, by chronic transfusion 11, by site 11.
 *
 * Choice of the column (option `stratifyBy`, default `auto`): without DP, the categorical column
 * whose dependence on the others the unstratified copula misses most: Σ_j max(0, I(s; j) −
 * I_gauss(s; j)), where I is the mutual information of the codes (Miller–Madow corrected) and
 * I_gauss = −½ log(1 − r²) what a Gaussian copula with the normal-score correlation r carries,
 * less the same sum for the column shuffled (what estimation noise adds up to), if that leaves at
 * least STRATUM_MIN_EXCESS; else no strata.
 * Quasi-identifiers (site, country, sex...) are not candidates: a component per centre or per
 * demographic cell fits the small groups that disclosure attacks target, and on the cohort the
 * site's excess dependence is its data-collection pattern (which panels a centre runs), which the
 * missingness latents already carry. Under DP `auto` means no strata (choosing on the data would
 * read it outside the ledger); a column named explicitly is public knowledge and costs nothing
 * extra: every row is in one stratum, so the strata's noisy histograms and score sums together
 * have the sensitivity of one set (parallel composition).
 */
import { UsageError } from '../../errors';
import type { TableSchema } from '../../data/schema';
import { normalQuantile } from '../../evaluate/statistics/normal';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { measureMarginals } from '../marginal/contingency';
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

/**
 * The stratifying column of a copula training (index into the encoders), or -1 for none; see the
 * header for `auto`. A named column must be a candidate.
 * @example resolveStratum('genotype', schema, encoders, codes, rows, true)
 */
export function resolveStratum(option: unknown, schema: TableSchema, encoders: readonly DiscreteColumnEncoder[], codes: Int32Array[], rows: number, dp: boolean): number {
  const candidates = stratumCandidates(schema, encoders);
  if (option === 'none') return -1;
  if (option === undefined || option === 'auto') {
    if (dp || candidates.length === 0 || rows === 0) return -1;
    const sizes = encoders.map((e) => e.size);
    // Each term is ≥ 0, so estimation noise adds up over hundreds of columns: a candidate must
    // also beat itself with its rows shuffled (same levels, no dependence) by STRATUM_MIN_EXCESS.
    const shuffle = new SamplingRandom(0x5157a7a, 0);
    let best = -1, bestScore = 0;
    for (const s of candidates) {
      const others = encoders.map((_, j) => j).filter((j) => j !== s);
      const shuffled = Int32Array.from(codes[s]);
      for (let i = shuffled.length - 1; i > 0; i--) { const k = Math.floor(shuffle.next() * (i + 1)); const x = shuffled[i]; shuffled[i] = shuffled[k]; shuffled[k] = x; }
      const enc = { codes: [...codes, shuffled], sizes: [...sizes, sizes[s]], rows };
      const counts = measureMarginals(enc, [...others.map((j) => [s, j]), ...others.map((j) => [codes.length, j])]);
      const score = others.reduce((t, j, i) => t + excessDependence(counts[i], sizes[s], sizes[j]), 0);
      const chance = others.reduce((t, j, i) => t + excessDependence(counts[others.length + i], sizes[s], sizes[j]), 0);
      if (score - chance >= STRATUM_MIN_EXCESS && score - chance > bestScore) { best = s; bestScore = score - chance; }
    }
    return best;
  }
  const j = encoders.findIndex((e) => e.column === option);
  if (typeof option !== 'string' || !candidates.includes(j)) {
    const names = candidates.map((c) => encoders[c].column);
    throw new UsageError(`Expected option stratifyBy to be "auto", "none" or a categorical column without missing values and with 2-${MAX_STRATA} levels that is not a quasi-identifier (${names.join(', ') || 'none in this schema'}) but received ${JSON.stringify(option)}`);
  }
  return j;
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
