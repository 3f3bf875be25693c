/**
 * The `copula` generator: a Gaussian copula over the discretised columns (a fast baseline).
 * Latents: a value latent per column over its present levels and a (present, missing) latent
 * per nullable column, so missingness is modelled beside the values rather than as an extreme
 * value. Marginals: noisy 1-way histograms over the discretiser's codes (the missing rate is the
 * missing cell's share of the rows; the value CDF is the present cells projected onto the simplex). Dependence: the normal scores
 * z = Φ⁻¹(F(code-) + p(code)/2) of each row (the middle of the code's CDF cell), each row scaled
 * to L2 norm at most C = sqrt(d), summed as Σ z zᵀ with Gaussian noise (the upper triangle has L2
 * sensitivity ||z||² <= C² under add/remove; under DP the assay panels' latents are weighted 0.1
 * first, copulaScoreWeights); from it and the CDFs each pair's latent correlation
 * (the coarse scores' attenuation undone by Mehler's expansion, on the rows where both are
 * defined; small noisy entries hard-thresholded, Bickel & Levina 2008; latent-correlation.ts),
 * then the nearest positive-definite correlation matrix by spectral projection
 * (nearest-correlation.ts). Budget (zCDP shares, COPULA_SHARES): 10% quantile edges (noisy fine
 * histograms), 45% 1-way histograms, 10% the assays' missing counts (one release with rows
 * clipped, marginal/assay-missingness.ts), 35% correlation; below ε = 3 on wide tables the
 * missing counts take up to 30% from the correlation (copulaShares).
 *
 * Conditional sampling is the conditional Gaussian: conditioned columns' latents are drawn from
 * the truncated multivariate normal on the allowed CDF cells by Gibbs sampling (Geweke 1991), the
 * others from N(B z_C, R_FF - B R_CF), B = R_FC R_CC⁻¹. Cells partially allowed by a numeric
 * condition are allowed whole in the latent space; the decoder then restricts values inside them.
 */
import { discreteGaussian } from '../../dp/discrete-noise';
import { InputError, UsageError } from '../../errors';
import { normalCdf, normalQuantile } from '../../evaluate/statistics/normal';
import { marginalNative, withMarginalBackend } from '../../native/marginal';
import { DiscreteColumnEncoder, encodeTable, fitDiscretisation, levelCount, missingCode, planDiscretisation, quantileColumnCount, requireModelledColumns } from '../../transform/discretiser';
import type { GeneratorDefinition, HemasynthModel, SampledCodes, TrainContext, TrainedParts } from '../generator';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import { measureMarginals } from '../marginal/contingency';
import { averageTiedMissingness, cholesky, copulaCorrelation, copulaMarginals, copulaMixtureParts, copulaParts, copulaScoreSum, copulaScoreWeights, panelLatents, tiedMissingness } from './copula-fit';
import { MAX_STRATA, resolveStrata, stratifyByNotCandidates, stratifyByTooManyStrata } from './copula-strata';
import { supportNullWhenColumns } from './null-when-support';
import { applicableConstraints } from '../constraints';
import { MISSING_ROW_CLIP, refineMissingCounts } from '../marginal/assay-missingness';
import { missingnessGroupCount } from '../neural/missingness-groups';
import { lowEpsilonWeight, type MechanismShare } from '../privacy-plan';
import type { ColumnSchema, TableSchema } from '../../data/schema';

/**
 * The copula's zCDP shares of ρ. The 1-way histograms set most of the fidelity ratio (each of 280
 * columns' cells carries σ₁ of noise); since the panels' latents weigh 0.1 in the correlation
 * release (copulaScoreWeights) it needs less of the budget. Measured over six trainings (cohorts
 * 7 and 21, seeds 3–5) with 45% 1-way and 35% correlation against 30% and 50%: fidelity ratio
 * 3.72 against 3.90 at ε = 3 and 5.11 against 5.51 at ε = 1 (columns beyond 5 points of their
 * missing rate at ε = 1: 6 against 12 in all); checks V1–V13 at ε = 10 over three cohorts ×
 * three trainings × three samples 39 against 42 (single trainings ranged 3–25, so no
 * difference shown). 60% / 20%: 3.58 and 4.80, but 6 checks against 17 on one training seed.
 */
export const COPULA_SHARES = { quantiles: 0.1, oneWay: 0.45, missing: 0.1, correlation: 0.35 };

/** The assays' missing counts' share of ρ at ε ≤ 1 (see {@link copulaShares}). */
export const LOW_EPSILON_COPULA_MISSING_SHARE = 0.3;

/**
 * The shares a training at `epsilon` uses: {@link COPULA_SHARES} from ε = 3 up; below, the missing
 * counts' share rises linearly to {@link LOW_EPSILON_COPULA_MISSING_SHARE} at ε ≤ 1, taken from the
 * correlation's (data-independent: ε is public). At ε = 1 the 10% share left the combined missing
 * count of a column outside the panels σ ≈ 38 rows (2.5 points of 1,500), and with 24 such
 * columns one often landed beyond 5 points. Measured 2026-11-30 at ε = 1 on cohort 7 × training
 * seeds 1–30 (15,000 rows each), trainings with a column beyond 5 points of its real missing
 * rate: 25 (42 columns) with 10%; 2 with 30% and the "null when" support (null-when-support.ts).
 * Over cohorts 7, 21, 5, 11 × seeds 3–5: fidelity ratio 5.087 (10%) and 5.073 (30%); mean |r_synthetic − r_real| over 16 continuous clinical columns (seeds 3, 4)
 * 0.188 and 0.181 (10%), 0.184 and 0.179 (30%): at ε = 1 the thresholded correlations hardly
 * notice the correlation's share. 20% taken from the 1-way share instead: more columns beyond 5
 * points (the age histogram's noise moves TCD's missing rate, which the schema ties to age).
 *
 * The rise is for wide tables only: it is scaled by how much less noisy the release is than a
 * histogram's own missing cell, (σ₁/σ_release)² = columns/40.5 at the default shares, from none at
 * 41 columns or fewer (the histograms are as precise) to all of it from 162. On a 12-column table
 * (the federated test's columns, 3,000 patients, training seeds 1–8) at ε = 1 the rise cost
 * fidelity: 1.523 against 1.474 (no difference at ε = 2: 1.346 against 1.343).
 * @example copulaShares(1, 280).missing // 0.3
 * @example copulaShares(1, 12).missing // 0.1
 * @example copulaShares(10, 280).missing // 0.1
 */
export function copulaShares(epsilon: number, columns: number): typeof COPULA_SHARES {
  const low = lowEpsilonWeight(epsilon);
  // (σ₁ / σ_release)² at the default shares: a histogram's missing cell has the noise of one of
  // `columns` sensitivity-1 releases, the release that of one with sensitivity MISSING_ROW_CLIP.
  const ratio = (columns * COPULA_SHARES.missing) / (COPULA_SHARES.oneWay * MISSING_ROW_CLIP * MISSING_ROW_CLIP);
  const wide = Math.min(1, Math.max(0, (ratio - 1) / 3));
  const missing = COPULA_SHARES.missing + (LOW_EPSILON_COPULA_MISSING_SHARE - COPULA_SHARES.missing) * low * wide;
  return { ...COPULA_SHARES, missing, correlation: COPULA_SHARES.correlation - (missing - COPULA_SHARES.missing) };
}

/** Code of a cell of a legacy model's latent (missing first, then the levels). */
function codeAt(e: DiscreteColumnEncoder, pos: number): number {
  return e.nullable ? (pos === 0 ? missingCode(e) : pos - 1) : pos;
}

export { cholesky } from './copula-fit';

/**
 * Checks the copula's options against the schema without reading the table (trainModel calls it
 * before anything is charged, for DP and non-private trainings alike): the backend, `bins`, and
 * each column `stratifyBy` names (a modelled categorical column the schema declares not nullable,
 * not a (quasi-)identifier, with 2-MAX_STRATA levels when its categories are declared; the
 * combinations at most MAX_STRATA). resolveStrata checks the same on the encoders once the
 * categories a non-private training reads from the data are known.
 * @example checkCopulaOptions({ stratifyBy: 'genotype' }, schema)
 */
export function checkCopulaOptions(o: Record<string, unknown>, schema: TableSchema): void {
  withMarginalBackend(o.backend, 'the copula generator', () => undefined);
  if (o.bins !== undefined && !(typeof o.bins === 'number' && Number.isInteger(o.bins) && o.bins >= 2 && o.bins <= 64)) throw new UsageError(`Expected option bins to be a whole number in [2, 64] but received ${JSON.stringify(o.bins)}`);
  const option = o.stratifyBy;
  if (option === undefined || option === 'auto' || option === 'none') return;
  const modelled = planDiscretisation(schema).map((p) => p.column);
  const levelsOf = (c: ColumnSchema): number | null => (c.kind === 'boolean' ? 2 : c.categories && c.categories.length > 0 ? c.categories.length : null);
  const candidates = modelled.filter((c) => (c.kind === 'categorical' || c.kind === 'ordinal' || c.kind === 'boolean') && c.nullable === false && c.role !== 'quasi-identifier' && c.role !== 'direct-identifier'
    && (levelsOf(c) === null || ((levelsOf(c) as number) >= 2 && (levelsOf(c) as number) <= MAX_STRATA)));
  const names = typeof option === 'string' ? option.split(',').map((x) => x.trim()) : [];
  const columns = names.map((n) => candidates.find((c) => c.name === n));
  if (names.length === 0 || columns.some((c) => c === undefined) || new Set(names).size !== names.length) {
    throw stratifyByNotCandidates(option, candidates.map((c) => c.name));
  }
  const declared = (columns as ColumnSchema[]).map(levelsOf);
  if (declared.every((k) => k !== null)) {
    const combinations = (declared as number[]).reduce((p, k) => p * k, 1);
    if (combinations > MAX_STRATA) throw stratifyByTooManyStrata(option, combinations);
  }
}

function trainCopula(ctx: TrainContext): TrainedParts {
  const bins = typeof ctx.options.bins === 'number' ? ctx.options.bins : undefined;
  const plan = planDiscretisation(ctx.schema, { bins });
  const d = plan.length;
  requireModelledColumns(plan, ctx.schema, 'copula');
  const quantiles = quantileColumnCount(plan);
  let sigmaQ: number | null = null, sigma1 = 0, sigmaM = 0, sigmaC = 0;
  if (ctx.privacy) {
    // The same plan with or without strata: each row is in one stratum, so the strata's
    // histograms (and score sums) together have the sensitivity of one set (copula-strata.ts).
    const S = copulaShares(ctx.privacy.target.epsilon, d);
    for (const m of ctx.privacy.chargePlan(([
      { kind: 'gaussian', share: S.quantiles, count: quantiles, note: `copula: noisy histograms for DP quantile bin edges (${quantiles} columns)` },
      { kind: 'gaussian', share: S.oneWay, count: d, note: `copula: noisy 1-way histograms (${d})` },
      { kind: 'gaussian', share: S.missing, count: missingnessGroupCount(ctx.schema, plan.map((p) => p.column.name)) > 0 ? 1 : 0, note: 'copula: noisy missing counts by assay (rows clipped)' },
      { kind: 'gaussian', share: S.correlation, count: 1, note: 'copula: noisy normal-scores correlation' },
    ] as MechanismShare[]).filter((m) => m.count > 0))) {
      if (m.note.includes('quantile')) sigmaQ = m.sigma as number;
      else if (m.note.includes('1-way')) sigma1 = m.sigma as number;
      else if (m.note.includes('missing')) sigmaM = m.sigma as number;
      else sigmaC = m.sigma as number;
    }
  }
  ctx.progress(0.1, 'discretise');
  const encoders = fitDiscretisation(ctx.table, ctx.schema, { histogramSigma: ctx.privacy ? sigmaQ ?? 1 : null, rng: ctx.noise }, { bins });
  const codes = encodeTable(ctx.table, encoders);
  const n = ctx.table.numRows;
  const sizes = encoders.map((e) => e.size);
  const groups = resolveStrata(ctx.options.stratifyBy, ctx.schema, encoders, codes, n, ctx.privacy !== null);
  const strataColumns = [...new Set(groups.flatMap((g) => g.fixed.map(([j]) => j)))];
  const constraints = applicableConstraints(ctx.schema, encoders.map((e) => e.column));
  const groupCodes = groups.map((g) => (g.rows ? codes.map((c) => Int32Array.from(g.rows as Int32Array, (i) => c[i])) : codes));
  ctx.progress(0.3, 'measure 1-way histograms');
  const noisy = groups.map((g, x) => {
    const rows = g.rows ? g.rows.length : n;
    const singles = measureMarginals({ codes: groupCodes[x], sizes, rows }, encoders.map((_, j) => [j]));
    if (!ctx.privacy) return singles;
    const hist = singles.map((c) => c.map((v) => v + discreteGaussian(ctx.noise, sigma1)));
    // Each assay's missing count, released apart with far less noise (assay-missingness.ts).
    refineMissingCounts(hist, groupCodes[x], rows, encoders, ctx.schema, sigma1, sigmaM, ctx.noise);
    return hist;
  });
  // One latent layout for all strata: missingness latents from the pooled (noisy) histograms.
  const pooled = encoders.map((_, j) => noisy.reduce((acc, h) => { h[j].forEach((v, c) => { acc[c] += v; }); return acc; }, new Float64Array(sizes[j])));
  const missingColumns = copulaMarginals(encoders, pooled).missingLatents;
  const fits = groups.map((g, x) => {
    // Mean (noisy) count of the stratum over its columns' histograms: its weight.
    const count = noisy[x].reduce((s, h) => s + h.reduce((a, b) => a + b, 0), 0) / d;
    // A stratum's fixed columns are their codes there: by construction, not a measurement.
    for (const [j, code] of g.fixed) noisy[x][j] = Float64Array.from({ length: sizes[j] }, (_, c) => (c === code ? Math.max(1, count) : 0));
    const margins = copulaMarginals(encoders, noisy[x], missingColumns);
    const tied = tiedMissingness(encoders, ctx.schema, margins, ctx.privacy ? null : groupCodes[x]);
    if (ctx.privacy) {
      averageTiedMissingness(margins, tied);
      supportNullWhenColumns(margins, encoders, constraints, new Set(strataColumns));
    }
    ctx.progress(0.5 + (0.3 * x) / groups.length, 'normal-scores correlation');
    const weights = ctx.privacy ? copulaScoreWeights(encoders, ctx.schema, margins) : undefined;
    const scores = copulaScoreSum(encoders, groupCodes[x], g.rows ? g.rows.length : n, margins, weights);
    const noiseSd = sigmaC * scores.clip * scores.clip;
    if (ctx.privacy) for (let a = 0; a < scores.dl; a++) for (let b = a; b < scores.dl; b++) scores.sum[a * scores.dl + b] += ctx.noise.gaussian(0, noiseSd);
    const corr = copulaCorrelation(scores.sum, margins, ctx.privacy ? noiseSd : null, tied, weights, panelLatents(encoders, ctx.schema, margins));
    return { cell: strataColumns.map((j) => g.fixed.find(([c]) => c === j)?.[1] ?? -1), weight: Math.max(0, count), margins, corr, clip: scores.clip };
  });
  ctx.progress(0.8, 'positive-definite projection');
  const noise = { sigma1, sigmaMissing: sigmaM * MISSING_ROW_CLIP, sigmaCorrelation: sigmaC, quantileSigma: sigmaQ };
  if (strataColumns.length === 0) return copulaParts(encoders, fits[0].margins, fits[0].corr, fits[0].clip, noise);
  const total = fits.reduce((s, f) => s + f.weight, 0);
  const kept = fits.filter((f) => f.weight > 0);
  if (kept.length === 0) throw new InputError({ column: strataColumns.map((j) => encoders[j].column).join(',') }, 'strata with rows (the noisy counts of every stratum were 0 or below)', 'none');
  return copulaMixtureParts(encoders, strataColumns, kept.map((f) => ({ ...f, weight: f.weight / total })), fits[0].clip, noise);
}

function solve(A: Float64Array, k: number, Bm: Float64Array, m: number): Float64Array {
  // Solves A X = Bm (A k×k SPD, Bm k×m) by Gauss-Jordan with partial pivoting.
  const a = Float64Array.from(A), b = Float64Array.from(Bm);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]) > Math.abs(a[piv * k + c])) piv = r;
    for (let t = 0; t < k; t++) { const x = a[c * k + t]; a[c * k + t] = a[piv * k + t]; a[piv * k + t] = x; }
    for (let t = 0; t < m; t++) { const x = b[c * m + t]; b[c * m + t] = b[piv * m + t]; b[piv * m + t] = x; }
    const div = a[c * k + c] || 1e-12;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r * k + c] / div;
      if (f === 0) continue;
      for (let t = 0; t < k; t++) a[r * k + t] -= f * a[c * k + t];
      for (let t = 0; t < m; t++) b[r * m + t] -= f * b[c * m + t];
    }
  }
  for (let c = 0; c < k; c++) for (let t = 0; t < m; t++) b[c * m + t] /= a[c * k + c] || 1e-12;
  return b;
}

function truncatedNormal(mu: number, sd: number, cells: Array<[number, number]>, rng: SamplingRandom): number {
  const masses = cells.map(([a, b]) => Math.max(0, normalCdf((b - mu) / sd) - normalCdf((a - mu) / sd)));
  const sum = masses.reduce((s, x) => s + x, 0);
  if (!(sum > 1e-300)) {
    // all cells far in a tail: the nearest boundary
    let best = cells[0][0], dist = Infinity;
    for (const [a, b] of cells) for (const x of [a, b]) if (Number.isFinite(x) && Math.abs(x - mu) < dist) { dist = Math.abs(x - mu); best = x; }
    return best;
  }
  let u = rng.next() * sum, k = 0;
  while (k < cells.length - 1 && u >= masses[k]) { u -= masses[k]; k++; }
  const [a, b] = cells[k];
  const pa = normalCdf((a - mu) / sd), pb = normalCdf((b - mu) / sd);
  const p = Math.min(1 - 1e-16, Math.max(1e-16, pa + (pb - pa) * rng.next()));
  return Math.min(b, Math.max(a, mu + sd * normalQuantile(p)));
}

/**
 * The latents of a copula model: per latent its output column and, per cell (position), the code
 * it writes (-1: none). Models with `missingLatents` have a value latent per column over its
 * present levels, then a (present, missing) latent per listed column; older models have one
 * latent per column with the missing code as its first cell.
 */
function latentLayout(encoders: DiscreteColumnEncoder[], g: { cdfOffsets: number[]; missingLatents?: number[] }): { count: number; column: number[]; cellCode: (t: number, pos: number) => number } {
  const d = encoders.length;
  if (!g.missingLatents) return { count: d, column: encoders.map((_, j) => j), cellCode: (t, pos) => codeAt(encoders[t], pos) };
  const ml = g.missingLatents;
  return {
    count: d + ml.length,
    column: [...encoders.map((_, j) => j), ...ml],
    cellCode: (t, pos) => (t < d ? pos : pos === 1 ? missingCode(encoders[ml[t - d]]) : -1),
  };
}

/** A copula's generator configuration (a stratified one has `strata`, copula-strata.ts). */
interface CopulaConfig {
  sizes: number[];
  cdfOffsets: number[];
  missingLatents?: number[];
  /** Format 4: the stratifying columns and each component's code of each (-1: any); format 3: one `column` and each component's `levels` code. */
  strata?: { weights: number[]; columns?: number[]; cells?: number[][]; column?: number; levels?: number[] };
}

/** One Gaussian copula: its Cholesky factor (dl × dl), its latents' CDFs and, once needed, L Lᵀ. */
interface CopulaComponent {
  L: Float64Array;
  cdf: Float64Array;
  R?: Float64Array;
}

/** The components of a model: one, or one per stratum (their blobs follow each other). */
function copulaComponents(model: HemasynthModel): CopulaComponent[] {
  const g = model.manifest.generator as unknown as CopulaConfig;
  const count = g.strata ? g.strata.weights.length : 1;
  const Lall = model.weights.cholesky, cdfAll = model.weights.cdf;
  const nl = Lall.length / count, nc = cdfAll.length / count;
  return Array.from({ length: count }, (_, s) => ({ L: Float64Array.from(Lall.subarray(s * nl, (s + 1) * nl)), cdf: Float64Array.from(cdfAll.subarray(s * nc, (s + 1) * nc)) }));
}

/** The correlation matrix L Lᵀ of a component (computed once: conditioning a mixture reads it twice). */
function correlationOf(c: CopulaComponent, dl: number): Float64Array {
  if (c.R) return c.R;
  const L = c.L;
  const R = new Float64Array(dl * dl);
  for (let i = 0; i < dl; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let t = 0; t <= j; t++) s += L[i * dl + t] * L[j * dl + t];
    R[i * dl + j] = s; R[j * dl + i] = s;
  }
  c.R = R;
  return R;
}

/**
 * The conditioned latents of a component and, per latent, its allowed cells in latent space and
 * their positions; null when some conditioned column has no mass under this component.
 */
function allowedCells(encoders: DiscreteColumnEncoder[], g: CopulaConfig, cdf: Float64Array, evidence: ReadonlyMap<number, Float64Array> | null, cellRanges?: ReadonlyMap<number, Float64Array>): { cond: number[]; free: number[]; allowed: Array<{ cells: Array<[number, number]>; positions: number[] }>; empty: number } | { cond: number[]; free: number[]; allowed: null; empty: number } {
  const d = encoders.length;
  const layout = latentLayout(encoders, g);
  const dl = layout.count;
  // A conditioned column conditions all its latents (value and missingness).
  const condColumns = new Set(evidence ? [...evidence.keys()] : []);
  const cond = Array.from({ length: dl }, (_, t) => t).filter((t) => condColumns.has(layout.column[t]));
  const free = Array.from({ length: dl }, (_, t) => t).filter((t) => !condColumns.has(layout.column[t]));
  // A cell's interval in latent space; `part` [from, to] keeps only that share of its mass (a
  // numeric condition allowing part of a bin: the latent stays in the matching part of the cell).
  const cellBounds = (t: number, pos: number, part?: [number, number]): [number, number] => {
    let lo = pos === 0 ? 0 : cdf[g.cdfOffsets[t] + pos - 1], hi = cdf[g.cdfOffsets[t] + pos];
    if (part && (part[0] > 0 || part[1] < 1)) [lo, hi] = [lo + part[0] * (hi - lo), lo + part[1] * (hi - lo)];
    return [lo <= 0 ? -Infinity : normalQuantile(Math.min(1, lo)), hi >= 1 ? Infinity : normalQuantile(hi)];
  };
  const hasMissingLatent = new Set(cond.filter((t) => t >= d).map((t) => layout.column[t]));
  const allowed: Array<{ cells: Array<[number, number]>; positions: number[] }> = [];
  for (const t of cond) {
    const j = layout.column[t];
    const w = evidence!.get(j) as Float64Array;
    const ranges = t < d ? cellRanges?.get(j) : undefined;
    const e = encoders[j];
    const cells: Array<[number, number]> = [];
    const positions: number[] = [];
    const cellsOf = t < g.cdfOffsets.length - 1 ? g.cdfOffsets[t + 1] - g.cdfOffsets[t] : 0;
    for (let pos = 0; pos < cellsOf; pos++) {
      let ok: boolean;
      if (!g.missingLatents) ok = w[codeAt(e, pos)] > 0;
      else if (t >= d) ok = pos === 1 ? w[missingCode(e)] > 0 : Array.from(w.subarray(0, levelCount(e))).some((x) => x > 0);
      else ok = w[pos] > 0;
      if (!ok) continue;
      const code = g.missingLatents ? pos : codeAt(e, pos);
      const [a, b] = cellBounds(t, pos, ranges && code < levelCount(e) ? [ranges[2 * code], ranges[2 * code + 1]] : undefined);
      if (b > a) { cells.push([a, b]); positions.push(pos); }
    }
    if (cells.length === 0) {
      // Only "missing" allowed: the value latent is unconstrained (its code is overridden).
      if (g.missingLatents && t < d && hasMissingLatent.has(j) && w[missingCode(e)] > 0) { allowed.push({ cells: [[-Infinity, Infinity]], positions: [0] }); continue; }
      return { cond, free, allowed: null, empty: j };
    }
    allowed.push({ cells, positions });
  }
  return { cond, free, allowed, empty: -1 };
}

/**
 * P(conditioned latents in their allowed cells) under a component: exact for one conditioned
 * latent, else the GHK simulator (Geweke 1991; Keane 1994) over `draws` sequences, each an
 * unbiased estimate: the latents drawn one by one from the truncated conditional normal, the
 * weight the product of the allowed masses.
 */
function conditionProbability(R: Float64Array, dl: number, cond: number[], allowed: Array<{ cells: Array<[number, number]> }>, rng: SamplingRandom, draws = 2000): number {
  const k = cond.length;
  if (k === 0) return 1;
  const mass = (mu: number, sd: number, cells: Array<[number, number]>) => cells.reduce((s, [a, b]) => s + Math.max(0, normalCdf((b - mu) / sd) - normalCdf((a - mu) / sd)), 0);
  if (k === 1) return mass(0, 1, allowed[0].cells);
  const Rcc = new Float64Array(k * k);
  cond.forEach((a, x) => cond.forEach((b, y) => { Rcc[x * k + y] = R[a * dl + b]; }));
  let Lc: Float64Array | null = null;
  for (const jit of [0, 1e-9, 1e-6, 1e-4, 1e-2]) {
    Lc = cholesky(Rcc.map((v, idx) => (Math.floor(idx / k) === idx % k ? v + jit : v)), k);
    if (Lc) break;
  }
  if (!Lc) throw new UsageError('Expected a positive-definite correlation of the conditioned columns in the copula but received a singular one');
  const e = new Float64Array(k);
  let total = 0;
  for (let m = 0; m < draws; m++) {
    let w = 1;
    for (let x = 0; x < k && w > 0; x++) {
      let mu = 0;
      for (let y = 0; y < x; y++) mu += Lc[x * k + y] * e[y];
      const sd = Lc[x * k + x];
      w *= mass(mu, sd, allowed[x].cells);
      if (w > 0) e[x] = (truncatedNormal(mu, sd, allowed[x].cells, rng) - mu) / sd;
    }
    total += w;
  }
  return total / draws;
}

function sampleCopulaCodes(model: HemasynthModel, req: { rows: number; seed: number; threads: number; evidence: ReadonlyMap<number, Float64Array> | null; cellRanges?: ReadonlyMap<number, Float64Array>; text?: string; drawn?: ReadonlySet<number> }): SampledCodes {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const g = model.manifest.generator as unknown as CopulaConfig;
  const components = copulaComponents(model);
  if (!g.strata) return sampleComponent(encoders, g, components[0], req);
  // A mixture: each row's stratum from the weights times the condition's probability under the
  // stratum's copula (P(stratum | condition)), then each stratum's rows from its own copula.
  const dl = latentLayout(encoders, g).count;
  const rng = new SamplingRandom(req.seed, 0x50000000);
  let empty = -1;
  const weights = components.map((c, s) => {
    if (!req.evidence) return g.strata!.weights[s];
    const a = allowedCells(encoders, g, c.cdf, req.evidence, req.cellRanges);
    if (!a.allowed) { empty = a.empty; return 0; }
    return g.strata!.weights[s] * conditionProbability(correlationOf(c, dl), dl, a.cond, a.allowed, rng);
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new UsageError(`Condition ${JSON.stringify(req.text ?? '')} has probability 0 under the model${empty >= 0 ? `: the allowed values of "${encoders[empty].column}" have no mass` : ''}`);
  const owner = new Int32Array(req.rows);
  const counts = new Int32Array(components.length);
  for (let i = 0; i < req.rows; i++) {
    let u = rng.next() * sum, s = 0;
    while (s < components.length - 1 && (u >= weights[s] || weights[s] === 0)) { u -= weights[s]; s++; }
    owner[i] = s;
    counts[s]++;
  }
  const out = encoders.map(() => new Int32Array(req.rows));
  const parts = components.map((c, s) => (counts[s] === 0 ? null : sampleComponent(encoders, g, c, { ...req, rows: counts[s], seed: req.seed ^ Math.imul(s + 1, 0x9e3779b1) })));
  // A column has positions when every component that drew rows gave them (the same free columns).
  const drawn = parts.filter((x): x is SampledCodes => x !== null);
  const positions = encoders.map((_, j) => (drawn.length > 0 && drawn.every((x) => x.positions[j]) ? new Uint8Array(req.rows) : null));
  // Likewise the drawn values (the same free columns in every component).
  const drawnCodes = encoders.map((_, j) => (drawn.length > 0 && drawn.every((x) => x.drawnCodes?.[j]) ? new Int32Array(req.rows) : null));
  parts.forEach((part, s) => {
    if (!part) return;
    // The stratum's rows in order, then column by column (typed arrays, no per-cell branching).
    const mine = new Int32Array(counts[s]);
    for (let i = 0, r = 0; i < req.rows; i++) if (owner[i] === s) mine[r++] = i;
    for (let j = 0; j < out.length; j++) {
      const src = part.codes[j], dst = out[j];
      for (let r = 0; r < mine.length; r++) dst[mine[r]] = src[r];
      const v = drawnCodes[j];
      if (v) {
        const from = part.drawnCodes?.[j] as Int32Array;
        for (let r = 0; r < mine.length; r++) v[mine[r]] = from[r];
      }
      const p = positions[j];
      if (!p) continue;
      const from = part.positions[j] as Uint8Array;
      for (let r = 0; r < mine.length; r++) p[mine[r]] = from[r];
    }
  });
  return { codes: out, positions, ...(drawnCodes.some((v) => v) ? { drawnCodes } : {}) };
}

function sampleComponent(encoders: DiscreteColumnEncoder[], g: CopulaConfig, component: CopulaComponent, req: { rows: number; seed: number; threads: number; evidence: ReadonlyMap<number, Float64Array> | null; cellRanges?: ReadonlyMap<number, Float64Array>; text?: string; drawn?: ReadonlySet<number> }): SampledCodes {
  const d = encoders.length;
  const layout = latentLayout(encoders, g);
  const dl = layout.count;
  const { L, cdf } = component;
  const { cond, free, allowed, empty } = allowedCells(encoders, g, cdf, req.evidence, req.cellRanges);
  if (!allowed) throw new UsageError(`Condition ${JSON.stringify(req.text ?? '')} has probability 0 under the model: the allowed values of "${encoders[empty].column}" have no mass`);
  const k = cond.length, f = free.length;
  // Unconditioned: the free latents' covariance is R itself, whose Cholesky factor is L.
  const R = k > 0 ? correlationOf(component, dl) : new Float64Array(0);
  const rows = req.rows;
  const condColumns = new Set(cond.map((t) => layout.column[t]));
  const zc = new Float64Array(rows * k);
  // Free columns are filled below with views of the sampler's output.
  const out: Int32Array[] = Array.from({ length: d }, (_, j) => (condColumns.has(j) ? new Int32Array(rows) : new Int32Array(0)));
  // Tied latents (a panel's missingness, copulaCorrelation) conditioned together make R_CC
  // singular: a jitter on its diagonal keeps them (almost) equal and the solves finite.
  const Rcc = new Float64Array(k * k);
  cond.forEach((a, x) => cond.forEach((b, y) => { Rcc[x * k + y] = R[a * dl + b]; }));
  if (k > 0 && !cholesky(Rcc, k)) for (let x = 0; x < k; x++) Rcc[x * k + x] += 1e-6;
  if (k > 0) {
    const eye = new Float64Array(k * k);
    for (let i = 0; i < k; i++) eye[i * k + i] = 1;
    const Q = solve(Rcc, k, eye, k);
    const rng = new SamplingRandom(req.seed, 0x40000000);
    const zrow = new Float64Array(k);
    for (let i = 0; i < rows; i++) {
      for (let x = 0; x < k; x++) zrow[x] = truncatedNormal(0, 1, allowed[x].cells, rng);
      for (let sweep = 0; sweep < (k > 1 ? 20 : 0); sweep++) {
        for (let x = 0; x < k; x++) {
          let s = 0;
          for (let y = 0; y < k; y++) if (y !== x) s += Q[x * k + y] * zrow[y];
          zrow[x] = truncatedNormal(-s / Q[x * k + x], 1 / Math.sqrt(Q[x * k + x]), allowed[x].cells, rng);
        }
      }
      // Value latents first, then missingness latents (which may override with the missing code).
      for (let x = 0; x < k; x++) {
        zc[i * k + x] = zrow[x];
        const cells = allowed[x].cells;
        let c = 0;
        while (c < cells.length - 1 && zrow[x] > cells[c][1]) c++;
        const code = layout.cellCode(cond[x], allowed[x].positions[c]);
        if (code >= 0) out[layout.column[cond[x]]][i] = code;
      }
    }
  }
  // Free columns: N(B z_C, R_FF - B R_CF).
  const Rfc = new Float64Array(f * k);
  free.forEach((a, x) => cond.forEach((b, y) => { Rfc[x * k + y] = R[a * dl + b]; }));
  let B = new Float64Array(0);
  const Sigma = new Float64Array(k > 0 ? f * f : 0);
  if (k > 0) {
    free.forEach((a, x) => free.forEach((b, y) => { Sigma[x * f + y] = R[a * dl + b]; }));
    const Rcf = new Float64Array(k * f);
    for (let x = 0; x < f; x++) for (let y = 0; y < k; y++) Rcf[y * f + x] = Rfc[x * k + y];
    const X = solve(Rcc, k, Rcf, f); // R_CC⁻¹ R_CF (k × f)
    B = new Float64Array(f * k);
    for (let x = 0; x < f; x++) for (let y = 0; y < k; y++) B[x * k + y] = X[y * f + x];
    for (let x = 0; x < f; x++) for (let y = 0; y < f; y++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += B[x * k + t] * Rcf[t * f + y];
      Sigma[x * f + y] -= s;
    }
  }
  let Lf: Float64Array | null = k > 0 ? null : L;
  for (const jit of k > 0 ? [0, 1e-9, 1e-6, 1e-4, 1e-2] : []) {
    Lf = cholesky(Sigma.map((v, idx) => (Math.floor(idx / f) === idx % f ? v + jit : v)), f);
    if (Lf) break;
  }
  if (!Lf) throw new UsageError('Expected a positive-definite conditional covariance in the copula but received a singular one');
  // Cells in latent space: thresholds Φ⁻¹(F) per free column (+inf closes the last cell), so the
  // sampler compares z directly instead of evaluating Φ per value.
  const offsets = new Int32Array(f + 1);
  const thr: number[] = [];
  const codeOf: number[] = [];
  free.forEach((j, x) => {
    const n = g.cdfOffsets[j + 1] - g.cdfOffsets[j];
    let prev = -Infinity;
    for (let t = 0; t < n; t++) {
      codeOf.push(layout.cellCode(j, t));
      const c = cdf[g.cdfOffsets[j] + t];
      const v = t === n - 1 || c >= 1 ? Infinity : c <= 0 ? -Infinity : normalQuantile(c);
      prev = Math.max(prev, v);
      thr.push(prev);
    }
    offsets[x + 1] = thr.length;
  });
  const thresholds = Float64Array.from(thr);
  const native = marginalNative();
  const cellCodes = Int32Array.from(codeOf);
  // Output slot of every free latent: its column's place among the free columns.
  const freeColumns = [...new Set(free.map((t) => layout.column[t]))];
  const slotOf = new Map(freeColumns.map((j, x) => [j, x]));
  const targets = Int32Array.from(free, (t) => slotOf.get(layout.column[t]) as number);
  // Columns whose drawn value is kept (req.drawn: the "null when" columns) where both their
  // latents are free: the value latent writes into a slot of its own after the columns' slots,
  // so the column's slot keeps only the missingness latent's missing code (0 elsewhere); the two
  // are merged below. The draws are the same either way.
  const missingLatentOf = new Map((g.missingLatents ?? []).map((j, u) => [j, d + u]));
  const freeLatents = new Set(free);
  const kept = freeColumns.filter((j) => req.drawn?.has(j) && freeLatents.has(j) && freeLatents.has(missingLatentOf.get(j) ?? -1));
  kept.forEach((j, s) => { targets[free.indexOf(j)] = freeColumns.length + s; });
  const outColumns = freeColumns.length + kept.length;
  // Within-cell positions of the free value latents of columns whose bins hold several values
  // (see withinCellPosition): the slot of their output column, else -1.
  const positionOf = Int32Array.from(free, (t, x) => (g.missingLatents && t < d && binHoldsSeveralValues(encoders[t]) ? targets[x] : -1));
  let freeCodes: Int32Array[];
  const freePositions: Array<Uint8Array | null> = Array.from({ length: outColumns }, (_, x) => (positionOf.includes(x) ? new Uint8Array(rows) : null));
  if (native) freeCodes = native.marginalSampleCopula(Lf, f, B, k, zc, thresholds, offsets, cellCodes, targets, outColumns, rows, req.seed, req.threads, positionOf, freePositions);
  else {
    // The reference: the same ziggurat stream, in double precision (the native GEMM runs in
    // float32, so a z within rounding of a threshold may land in the neighbouring cell).
    freeCodes = Array.from({ length: outColumns }, () => new Int32Array(rows));
    // Same partition and draw order as native/marginal/copula_sampler.cpp: latents coupled by
    // an off-diagonal entry of Lf, then the independent ones (z = L_jj g), per 128-row tile.
    const coupled = new Uint8Array(f);
    for (let i = 0; i < f; i++) for (let j = 0; j < i; j++) if (Lf[i * f + j] !== 0) { coupled[i] = 1; coupled[j] = 1; }
    const dep: number[] = [], ind: number[] = [];
    for (let j = 0; j < f; j++) (coupled[j] ? dep : ind).push(j);
    // Normals only for the coupled latents some row of Lf uses (a tied latent's is never read).
    const drawnDep = dep.filter((j) => { for (let r = j; r < f; r++) if (Lf[r * f + j] !== 0) return true; return false; });
    const gv = new Float64Array(f);
    const tile = 128;
    for (let r0 = 0, blk = 0; r0 < rows; r0 += SAMPLING_BLOCK_ROWS, blk++) {
      const rng = new SamplingRandom(req.seed, blk);
      const r1 = Math.min(rows, r0 + SAMPLING_BLOCK_ROWS);
      for (let t0 = r0; t0 < r1; t0 += tile) {
        const n = Math.min(tile, r1 - t0);
        const gd = new Float64Array(n * drawnDep.length), gi = new Float64Array(n * ind.length);
        for (let t = 0; t < gd.length; t++) gd[t] = rng.zigguratNormal();
        for (let t = 0; t < gi.length; t++) gi[t] = rng.zigguratNormal();
        for (let i = 0; i < n; i++) {
          drawnDep.forEach((j, x) => { gv[j] = gd[i * drawnDep.length + x]; });
          ind.forEach((j, x) => { gv[j] = gi[i * ind.length + x]; });
          for (let j = 0; j < f; j++) {
            let s = 0;
            if (coupled[j]) { for (let t = 0; t <= j; t++) s += Lf[j * f + t] * gv[t]; } else s = Lf[j * f + j] * gv[j];
            for (let t = 0; t < k; t++) s += B[j * k + t] * zc[(t0 + i) * k + t];
            let pos = 0;
            const cells = offsets[j + 1] - offsets[j];
            while (pos < cells - 1 && s >= thresholds[offsets[j] + pos]) pos++;
            const code = cellCodes[offsets[j] + pos];
            if (code >= 0) freeCodes[targets[j]][t0 + i] = code;
            if (positionOf[j] >= 0) (freePositions[positionOf[j]] as Uint8Array)[t0 + i] = Math.min(255, Math.floor(256 * withinCellPosition(s, pos > 0 ? thresholds[offsets[j] + pos - 1] : -Infinity, thresholds[offsets[j] + pos])));
          }
        }
      }
    }
  }
  freeColumns.forEach((j, x) => { out[j] = freeCodes[x]; });
  const positions: Array<Uint8Array | null> = encoders.map(() => null);
  freeColumns.forEach((j, x) => { positions[j] = freePositions[x]; });
  const drawnCodes: Array<Int32Array | null> = encoders.map(() => null);
  kept.forEach((j, s) => {
    const value = freeCodes[freeColumns.length + s], codes = out[j];
    const miss = missingCode(encoders[j]);
    for (let i = 0; i < rows; i++) if (codes[i] !== miss) codes[i] = value[i];
    drawnCodes[j] = value;
    positions[j] = freePositions[freeColumns.length + s];
  });
  return { codes: out, positions, ...(kept.length ? { drawnCodes } : {}) };
}

/**
 * Where latent value z lies inside its cell (lo, hi] of the latent scale, as a share of the cell's
 * probability: (Φ(z) − Φ(lo)) / (Φ(hi) − Φ(lo)), in [0, 1]. The sampler keeps its 256th (a byte
 * per value, native/marginal/copula_sampler.h) and the decoder places the column's value inside
 * that 256th of the bin (transform/decode.ts) instead of anywhere in the bin. Why: a draw over the
 * whole bin is independent of every other column, so whatever dependence two columns have inside
 * their bins is lost; the transfused patients' ferritin spans two of the cohort's wide top bins,
 * and ferritin against liver iron among them (check V11) came out r = 0.45 against 0.83 real.
 * Marginally z is standard normal, so the share is uniform in the cell and each column's
 * distribution is unchanged.
 * @example withinCellPosition(0, -Infinity, Infinity) // 0.5
 */
export function withinCellPosition(z: number, lo: number, hi: number): number {
  const a = lo === -Infinity ? 0 : normalCdf(lo), b = hi === Infinity ? 1 : normalCdf(hi);
  if (!(b > a)) return 0.5;
  return Math.min(1, Math.max(0, (normalCdf(z) - a) / (b - a)));
}

/** Whether some bin of the column holds more than one value (so a value's place in its bin matters). */
function binHoldsSeveralValues(e: DiscreteColumnEncoder): boolean {
  if (e.levels !== 'bins') return false;
  const edges = e.edges as number[];
  return !e.integer || edges.some((x, k) => k > 0 && x - edges[k - 1] > 1);
}

function validateCopula(model: HemasynthModel, file: string): void {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const d = encoders.length;
  const g = model.manifest.generator as { sizes?: unknown; cdfOffsets?: unknown; missingLatents?: unknown };
  const bad = (field: string, expected: string, got: unknown) => new InputError({ file, field }, expected, String(JSON.stringify(got)).slice(0, 80));
  if (!Array.isArray(g.sizes) || g.sizes.length !== d || g.sizes.some((s, j) => s !== encoders[j].size)) throw bad('generator.sizes', `${d} sizes equal to the encoders'`, g.sizes);
  // Cells per latent: legacy models one latent per column over all codes; newer ones a value
  // latent per column over its present levels, then a (present, missing) latent per listed column.
  let cells: number[];
  if (g.missingLatents === undefined) cells = encoders.map((e) => e.size);
  else {
    const ml = g.missingLatents;
    if (!Array.isArray(ml) || new Set(ml).size !== ml.length || ml.some((j) => !Number.isInteger(j) || j < 0 || j >= d || !encoders[j].nullable)) throw bad('generator.missingLatents', 'distinct indices of nullable columns', ml);
    cells = [...encoders.map((e) => levelCount(e)), ...ml.map(() => 2)];
  }
  const dl = cells.length;
  const offs = g.cdfOffsets as number[];
  if (!Array.isArray(offs) || offs.length !== dl + 1 || offs[0] !== 0 || offs.some((o, j) => !Number.isInteger(o) || (j > 0 && o - offs[j - 1] !== cells[j - 1]))) throw bad('generator.cdfOffsets', `${dl + 1} offsets of the latents' cell counts`, offs);
  // Components: one, or one per stratum (copula-strata.ts).
  let count = 1;
  const st = (g as { strata?: unknown }).strata as { columns?: unknown; cells?: unknown; column?: unknown; levels?: unknown; weights?: unknown } | undefined;
  if (st !== undefined) {
    // A format-3 model names one column and each component's level of it.
    const legacy = st.columns === undefined;
    const columns = legacy ? [st.column] : st.columns;
    const stratifiable = (j: unknown) => Number.isInteger(j) && (j as number) >= 0 && (j as number) < d && encoders[j as number].levels === 'categories' && !encoders[j as number].nullable;
    if (!Array.isArray(columns) || columns.length === 0 || new Set(columns).size !== columns.length || !columns.every(stratifiable)) throw bad(legacy ? 'generator.strata.column' : 'generator.strata.columns', 'distinct indices of categorical columns without missing values', legacy ? st.column : st.columns);
    const cells = legacy ? (Array.isArray(st.levels) ? st.levels.map((c) => [c]) : st.levels) : st.cells;
    const field = legacy ? 'generator.strata.levels' : 'generator.strata.cells';
    const codeOf = (j: number) => (c: unknown) => c === -1 || (Number.isInteger(c) && (c as number) >= 0 && (c as number) < encoders[j].size);
    if (!Array.isArray(cells) || cells.length === 0 || cells.length > MAX_STRATA || new Set(cells.map((c) => JSON.stringify(c))).size !== cells.length
      || cells.some((c) => !Array.isArray(c) || c.length !== columns.length || !c.every((code, x) => codeOf(columns[x] as number)(code)) || (legacy && c[0] === -1))) {
      throw bad(field, `1-${MAX_STRATA} distinct strata, each a code of ${(columns as number[]).map((j) => `"${encoders[j].column}"`).join(', ')}${legacy ? '' : ' (or -1)'}`, legacy ? st.levels : st.cells);
    }
    const weights = st.weights;
    if (!Array.isArray(weights) || weights.length !== cells.length || weights.some((w) => !(typeof w === 'number' && w >= 0 && w <= 1)) || Math.abs(weights.reduce((a: number, b: number) => a + b, 0) - 1) > 1e-6) throw bad('generator.strata.weights', `${cells.length} probabilities summing to 1`, weights);
    count = cells.length;
  }
  const L = model.weights.cholesky, cdf = model.weights.cdf;
  if (!(L instanceof Float32Array) || L.length !== count * dl * dl) throw bad('weights.cholesky', `a float32 blob of ${count * dl * dl} values`, L?.length);
  if (!(cdf instanceof Float32Array) || cdf.length !== count * offs[dl]) throw bad('weights.cdf', `a float32 blob of ${count * offs[dl]} values`, cdf?.length);
  for (let i = 0; i < cdf.length; i++) if (!(cdf[i] >= 0 && cdf[i] <= 1)) throw bad(`weights.cdf[${i}]`, 'a probability', cdf[i]);
  for (let i = 0; i < L.length; i++) if (!Number.isFinite(L[i])) throw bad(`weights.cholesky[${i}]`, 'a finite number', L[i]);
}

/** The Gaussian-copula generator. */
export const copulaGenerator: GeneratorDefinition = {
  name: 'copula',
  options: ['backend', 'bins', 'stratifyBy'],
  description: 'Gaussian copula with DP marginal histograms and a DP normal-scores correlation (fast baseline)',
  engines: ['native'],
  train: (ctx) => withMarginalBackend(ctx.options.backend, 'the copula generator', () => trainCopula(ctx)),
  checkOptions: (options, schema) => checkCopulaOptions(options, schema),
  validate: validateCopula,
  sampleCodes(model, req) {
    const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
    const index = new Map(encoders.map((e, j) => [e.column, j]));
    // (A model file always has its schema; a bare manifest built in code may not.)
    const constraints = model.manifest.schema ? applicableConstraints(model.manifest.schema, encoders.map((e) => e.column)) : [];
    const nullWhen = constraints.flatMap((c) => (c.type === 'null-when' && index.has(c.column) ? [index.get(c.column) as number] : []));
    return sampleCopulaCodes(model, { rows: req.rows, seed: req.seed, threads: req.threads, evidence: req.condition && req.condition.evidence.size ? req.condition.evidence : null, cellRanges: req.condition?.cellRanges, text: req.condition?.text, drawn: new Set(nullWhen) });
  },
};
