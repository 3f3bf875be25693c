/**
 * The `copula` generator: a Gaussian copula over the discretised columns (a fast baseline).
 * Marginals: noisy 1-way histograms over the discretiser's codes (the missing code first, then
 * the levels in order), projected onto the simplex. Dependence: the normal scores
 * z = Φ⁻¹(F(code-) + U·p(code)) of each row (jittered within the code's CDF cell), each row scaled
 * to L2 norm at most C = sqrt(d), summed as Σ z zᵀ with Gaussian noise (the upper triangle has L2
 * sensitivity ||z||² <= C² under add/remove), normalised to a correlation matrix; small noisy
 * entries are hard-thresholded (Bickel & Levina 2008) and the matrix is shrunk towards I until it
 * is positive definite (Cholesky succeeds). Budget (zCDP shares): 10% quantile edges, 30% 1-way
 * histograms, 60% correlation.
 *
 * Conditional sampling is the conditional Gaussian: conditioned columns' latents are drawn from
 * the truncated multivariate normal on the allowed CDF cells by Gibbs sampling (Geweke 1991), the
 * others from N(B z_C, R_FF - B R_CF), B = R_FC R_CC⁻¹. Cells partially allowed by a numeric
 * condition are allowed whole in the latent space; the decoder then restricts values inside them.
 */
import { discreteGaussian } from '../../dp/discrete-noise';
import { InputError, UsageError } from '../../errors';
import { normalCdf, normalQuantile } from '../../evaluate/statistics/normal';
import { marginalNative } from '../../native/marginal';
import { DiscreteColumnEncoder, encodeTable, fitDiscretisation, missingCode, planDiscretisation } from '../../transform/discretiser';
import type { GeneratorDefinition, HemasynthModel, TrainContext, TrainedParts } from '../generator';
import { SAMPLING_BLOCK_ROWS, SamplingRandom } from '../sampling-random';
import { measureMarginals } from '../marginal/contingency';
import { projectToSimplex } from '../marginal/tree-estimation';

export const COPULA_SHARES = { quantiles: 0.1, oneWay: 0.3, correlation: 0.6 };

/** Position of a code in the copula's ordering: missing first, then the levels. */
function positionOf(e: DiscreteColumnEncoder, code: number): number {
  return e.nullable ? (code === missingCode(e) ? 0 : code + 1) : code;
}
function codeAt(e: DiscreteColumnEncoder, pos: number): number {
  return e.nullable ? (pos === 0 ? missingCode(e) : pos - 1) : pos;
}

/** Cholesky factor (row-major lower) of a symmetric matrix, or null when not positive definite. */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(s > 1e-10)) return null;
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j];
    }
  }
  return L;
}

function trainCopula(ctx: TrainContext): TrainedParts {
  const bins = typeof ctx.options.bins === 'number' ? ctx.options.bins : undefined;
  const plan = planDiscretisation(ctx.schema, { bins });
  const d = plan.length;
  if (d === 0) throw new UsageError('Expected at least one modelled column but received none');
  const quantiles = plan.reduce((s, p) => s + p.quantiles, 0);
  let qEps: number | null = null, sigma1 = 0, sigmaC = 0;
  if (ctx.privacy) {
    for (const m of ctx.privacy.chargePlan([
      { kind: 'exponential', share: COPULA_SHARES.quantiles, count: quantiles, note: `copula: DP quantile bin edges (${quantiles} quantiles)` },
      { kind: 'gaussian', share: COPULA_SHARES.oneWay, count: d, note: `copula: noisy 1-way histograms (${d})` },
      { kind: 'gaussian', share: COPULA_SHARES.correlation, count: 1, note: 'copula: noisy normal-scores correlation' },
    ])) {
      if (m.note.includes('quantile')) qEps = m.epsilonEach as number;
      else if (m.note.includes('1-way')) sigma1 = m.sigma as number;
      else sigmaC = m.sigma as number;
    }
  }
  ctx.progress(0.1, 'discretise');
  const encoders = fitDiscretisation(ctx.table, ctx.schema, { quantileEpsilonEach: ctx.privacy ? qEps ?? 1 : null, rng: ctx.noise }, { bins });
  const codes = encodeTable(ctx.table, encoders);
  const n = ctx.table.numRows;
  const sizes = encoders.map((e) => e.size);
  ctx.progress(0.3, 'measure 1-way histograms');
  const singles = measureMarginals({ codes, sizes, rows: n }, encoders.map((_, j) => [j]));
  const noisy = singles.map((c) => (ctx.privacy ? c.map((x) => x + discreteGaussian(ctx.noise, sigma1)) : c));
  const total = Math.max(1, noisy.reduce((s, c) => s + c.reduce((a, b) => a + b, 0), 0) / d);
  // Cumulative probabilities over positions.
  const cdfOffsets = [0];
  const cdfs: number[] = [];
  encoders.forEach((e, j) => {
    const p = projectToSimplex(noisy[j], total);
    const byPos = new Float64Array(e.size);
    for (let c = 0; c < e.size; c++) byPos[positionOf(e, c)] = p[c] / total;
    let acc = 0;
    for (let k = 0; k < e.size; k++) { acc += byPos[k]; cdfs.push(k === e.size - 1 ? 1 : Math.min(1, acc)); }
    cdfOffsets.push(cdfs.length);
  });
  ctx.progress(0.5, 'normal-scores correlation');
  const clip = Math.sqrt(d);
  const S = new Float64Array(d * d);
  const z = new Float64Array(d);
  const jitter = new SamplingRandom(ctx.seed ?? 0x5eed, 0x7fff0000);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const pos = positionOf(encoders[j], codes[j][i]);
      const lo = pos === 0 ? 0 : cdfs[cdfOffsets[j] + pos - 1];
      const hi = cdfs[cdfOffsets[j] + pos];
      const u = Math.min(1 - 1e-6, Math.max(1e-6, lo + (hi - lo) * jitter.next()));
      z[j] = normalQuantile(u);
      norm += z[j] * z[j];
    }
    const f = norm > clip * clip ? clip / Math.sqrt(norm) : 1;
    for (let a = 0; a < d; a++) {
      const za = z[a] * f;
      for (let b = a; b < d; b++) S[a * d + b] += za * z[b] * f;
    }
  }
  const noiseSd = sigmaC * clip * clip;
  if (ctx.privacy) for (let a = 0; a < d; a++) for (let b = a; b < d; b++) S[a * d + b] += ctx.noise.gaussian(0, noiseSd);
  const R = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    R[a * d + a] = 1;
    for (let b = a + 1; b < d; b++) {
      const den = Math.sqrt(Math.max(1e-9, S[a * d + a]) * Math.max(1e-9, S[b * d + b]));
      let r = Math.max(-1, Math.min(1, S[a * d + b] / den));
      if (ctx.privacy && Math.abs(r) < 2 * noiseSd / den) r = 0;
      R[a * d + b] = r;
      R[b * d + a] = r;
    }
  }
  ctx.progress(0.8, 'positive-definite projection');
  let L: Float64Array | null = null;
  let lambda = 0;
  for (const l of [0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1]) {
    const M = R.map((v, idx) => (Math.floor(idx / d) === idx % d ? 1 : (1 - l) * v));
    L = cholesky(M, d);
    lambda = l;
    if (L) break;
  }
  return {
    encoders,
    generator: { structure: 'gaussian-copula', sizes, cdfOffsets, shrinkage: lambda, rowClip: clip, total, noise: { sigma1, sigmaCorrelation: sigmaC, quantileEpsilon: qEps } },
    weights: { cholesky: Float32Array.from(L as Float64Array), cdf: Float32Array.from(cdfs) },
  };
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

function sampleCopulaCodes(model: HemasynthModel, req: { rows: number; seed: number; threads: number; evidence: ReadonlyMap<number, Float64Array> | null; text?: string }): Int32Array[] {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const g = model.manifest.generator as { sizes: number[]; cdfOffsets: number[] };
  const d = encoders.length;
  const L = Float64Array.from(model.weights.cholesky);
  const cdf = Float64Array.from(model.weights.cdf);
  const R = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let t = 0; t <= j; t++) s += L[i * d + t] * L[j * d + t];
    R[i * d + j] = s; R[j * d + i] = s;
  }
  const cond = req.evidence ? [...req.evidence.keys()].sort((a, b) => a - b) : [];
  const free = Array.from({ length: d }, (_, j) => j).filter((j) => !cond.includes(j));
  const k = cond.length, f = free.length;
  const rows = req.rows;
  const cellBounds = (j: number, pos: number): [number, number] => {
    const lo = pos === 0 ? 0 : cdf[g.cdfOffsets[j] + pos - 1], hi = cdf[g.cdfOffsets[j] + pos];
    return [lo <= 0 ? -Infinity : normalQuantile(Math.min(1, lo)), hi >= 1 ? Infinity : normalQuantile(hi)];
  };
  const zc = new Float64Array(rows * k);
  const out: Int32Array[] = Array.from({ length: d }, () => new Int32Array(rows));
  if (k > 0) {
    const allowed = cond.map((j) => {
      const w = req.evidence!.get(j) as Float64Array;
      const cells: Array<[number, number]> = [];
      const positions: number[] = [];
      for (let c = 0; c < encoders[j].size; c++) {
        if (!(w[c] > 0)) continue;
        const pos = positionOf(encoders[j], c);
        const [a, b] = cellBounds(j, pos);
        if (b > a) { cells.push([a, b]); positions.push(pos); }
      }
      if (cells.length === 0) throw new UsageError(`Condition ${JSON.stringify(req.text ?? '')} has probability 0 under the model: the allowed values of "${encoders[j].column}" have no mass`);
      return { cells, positions };
    });
    const Rcc = new Float64Array(k * k);
    cond.forEach((a, x) => cond.forEach((b, y) => { Rcc[x * k + y] = R[a * d + b]; }));
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
      for (let x = 0; x < k; x++) {
        zc[i * k + x] = zrow[x];
        const cells = allowed[x].cells;
        let c = 0;
        while (c < cells.length - 1 && zrow[x] > cells[c][1]) c++;
        out[cond[x]][i] = codeAt(encoders[cond[x]], allowed[x].positions[c]);
      }
    }
  }
  // Free columns: N(B z_C, R_FF - B R_CF).
  const Rfc = new Float64Array(f * k);
  free.forEach((a, x) => cond.forEach((b, y) => { Rfc[x * k + y] = R[a * d + b]; }));
  let B = new Float64Array(0);
  const Sigma = new Float64Array(f * f);
  free.forEach((a, x) => free.forEach((b, y) => { Sigma[x * f + y] = R[a * d + b]; }));
  if (k > 0) {
    const Rcc = new Float64Array(k * k);
    cond.forEach((a, x) => cond.forEach((b, y) => { Rcc[x * k + y] = R[a * d + b]; }));
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
  let Lf: Float64Array | null = null;
  for (const jit of [0, 1e-9, 1e-6, 1e-4, 1e-2]) {
    Lf = cholesky(Sigma.map((v, idx) => (Math.floor(idx / f) === idx % f ? v + jit : v)), f);
    if (Lf) break;
  }
  if (!Lf) throw new UsageError('Expected a positive-definite conditional covariance in the copula but received a singular one');
  const offsets = new Int32Array(f + 1);
  const cdfF: number[] = [];
  free.forEach((j, x) => { for (let t = g.cdfOffsets[j]; t < g.cdfOffsets[j + 1]; t++) cdfF.push(cdf[t]); offsets[x + 1] = cdfF.length; });
  const cdfArr = Float64Array.from(cdfF);
  const native = marginalNative();
  let positions: Int32Array;
  if (native) positions = native.marginalSampleCopula(Lf, f, B, k, zc, cdfArr, offsets, rows, req.seed, req.threads);
  else {
    positions = new Int32Array(rows * f);
    const gv = new Float64Array(f);
    for (let r0 = 0, blk = 0; r0 < rows; r0 += SAMPLING_BLOCK_ROWS, blk++) {
      const rng = new SamplingRandom(req.seed, blk);
      for (let i = r0; i < Math.min(rows, r0 + SAMPLING_BLOCK_ROWS); i++) {
        for (let j = 0; j < f; j++) gv[j] = rng.normal();
        for (let j = 0; j < f; j++) {
          let s = 0;
          for (let t = 0; t <= j; t++) s += Lf[j * f + t] * gv[t];
          for (let t = 0; t < k; t++) s += B[j * k + t] * zc[i * k + t];
          const u = normalCdf(s);
          let pos = 0;
          const n = offsets[j + 1] - offsets[j];
          while (pos < n - 1 && u >= cdfArr[offsets[j] + pos]) pos++;
          positions[j * rows + i] = pos;
        }
      }
    }
  }
  free.forEach((j, x) => {
    const e = encoders[j];
    const dst = out[j];
    for (let i = 0; i < rows; i++) dst[i] = codeAt(e, positions[x * rows + i]);
  });
  return out;
}

function validateCopula(model: HemasynthModel, file: string): void {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  const d = encoders.length;
  const g = model.manifest.generator as { sizes?: unknown; cdfOffsets?: unknown };
  const bad = (field: string, expected: string, got: unknown) => new InputError({ file, field }, expected, String(JSON.stringify(got)).slice(0, 80));
  if (!Array.isArray(g.sizes) || g.sizes.length !== d || g.sizes.some((s, j) => s !== encoders[j].size)) throw bad('generator.sizes', `${d} sizes equal to the encoders'`, g.sizes);
  const offs = g.cdfOffsets as number[];
  if (!Array.isArray(offs) || offs.length !== d + 1 || offs.some((o, j) => !Number.isInteger(o) || (j > 0 && o - offs[j - 1] !== encoders[j - 1].size))) throw bad('generator.cdfOffsets', `${d + 1} offsets of the encoders' sizes`, offs);
  const L = model.weights.cholesky, cdf = model.weights.cdf;
  if (!(L instanceof Float32Array) || L.length !== d * d) throw bad('weights.cholesky', `a float32 blob of ${d * d} values`, L?.length);
  if (!(cdf instanceof Float32Array) || cdf.length !== offs[d]) throw bad('weights.cdf', `a float32 blob of ${offs[d]} values`, cdf?.length);
  for (let i = 0; i < cdf.length; i++) if (!(cdf[i] >= 0 && cdf[i] <= 1)) throw bad(`weights.cdf[${i}]`, 'a probability', cdf[i]);
  for (let i = 0; i < L.length; i++) if (!Number.isFinite(L[i])) throw bad(`weights.cholesky[${i}]`, 'a finite number', L[i]);
}

/** The Gaussian-copula generator. */
export const copulaGenerator: GeneratorDefinition = {
  name: 'copula',
  description: 'Gaussian copula with DP marginal histograms and a DP normal-scores correlation (fast baseline)',
  engines: ['native'],
  train: trainCopula,
  validate: validateCopula,
  sampleCodes(model, req) {
    return sampleCopulaCodes(model, { rows: req.rows, seed: req.seed, threads: req.threads, evidence: req.condition && req.condition.evidence.size ? req.condition.evidence : null, text: req.condition?.text });
  },
};
