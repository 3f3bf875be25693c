/**
 * The federated `marginal` generator: MST (McKenna, Miklau & Sheldon 2021) where every
 * measurement is a sum of per-site counts released under secure aggregation with distributed
 * DP noise, so the coordinator sees only noisy totals over all sites.
 *
 * Rounds (each one secure aggregation, one Gaussian mechanism of sensitivity 1 per measured
 * table under add/remove of one record of any site):
 *  1. `histograms` (only when some numeric column needs data-dependent bin edges): a fine
 *     equal-width histogram per such column (in asinh space when a bound is missing); the
 *     coordinator reads the quantile edges off the noisy cumulative histogram (post-processing).
 *     This replaces the central generator's exponential-mechanism quantiles, whose utility is
 *     not a sum over sites.
 *  2. `one-way`: every column's 1-way marginal.
 *  3. `candidates`: the 2-way marginals of the candidate pairs (all pairs, or a random connected
 *     subset drawn from public randomness when there are too many). The central generator's
 *     selection score ||M_ab − N̂ p_a⊗p_b||_1 is not a sum over sites, so selection runs on the
 *     noisy sums instead: the same score on the noisy tables minus the score's expected noise
 *     bias (cells·σ·√(2/π)), then a maximum spanning tree (post-processing).
 *  4. `two-way`: the 2-way marginals of the chosen tree, measured again; the coordinator
 *     combines each with its candidate measurement by inverse-variance weighting and fits the
 *     tree model (fitFromMeasurements), written as an ordinary `.hsm` marginal model.
 *
 * Noise: with distributed DP each site adds discrete Gaussian noise of σ_k/√t (t = threshold)
 * in fixed-point units; any ≥ t contributors give the sum at least σ_k (docs/federation.md).
 * Without it (`--secure-agg none`) each site adds the full σ_k, since the coordinator sees its
 * vector alone. The budget split is the central generator's (zCDP shares 10/30/30/30), charged
 * once on the federation's ledger (embedded in the model) and, round by round before any data is
 * read, on each site's own ledger.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Table, tableFromArrays } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import { embeddedSchema } from '../../data/arrow-types';
import type { TableSchema } from '../../data/schema';
import { validateSchema } from '../../data/schema-validation';
import { PrivacyLedger, fingerprintFile, ledgerPathFor } from '../../dp/ledger';
import type { Mechanism } from '../../dp/accountants/mechanisms';
import { CryptoRandom } from '../../dp/noise';
import { HemasynthError, InputError, UsageError, describeValue } from '../../errors';
import { applicableConstraints } from '../../models/constraints';
import type { HemasynthModel, ModelManifest } from '../../models/generator';
import { EncodedColumns, flattenCodes, measureMarginals } from '../../models/marginal/contingency';
import { treeParts } from '../../models/marginal/marginal-generator';
import { MarginalMeasurement, fitFromMeasurements, projectToSimplex } from '../../models/marginal/tree-estimation';
import { MODEL_FORMAT_VERSION, saveModel } from '../../models/model-file';
import { PrivacyPlanner } from '../../models/privacy-plan';
import { DiscreteColumnEncoder, encodeTable, fitDiscretisation, planDiscretisation, quantileLevels, DEFAULT_NUMERIC_BINS, UNBOUNDED_ASINH_RANGE } from '../../transform/discretiser';
import { readNumbers } from '../../transform/column-values';
import { VERSION } from '../../version';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';

/** Budget shares (zCDP) of the federated marginal generator: those of the central one. */
export const FEDERATED_MARGINAL_SHARES = { quantiles: 0.1, oneWay: 0.3, selection: 0.3, twoWay: 0.3 };
/** Bins of the fine histogram a site measures per numeric column for the quantile edges. */
export const DEFAULT_HISTOGRAM_BINS = 64;
/** Candidate pairs measured for selection, at most (a random connected subset beyond that). */
export const DEFAULT_MAX_CANDIDATE_PAIRS = 400;
/** Public bound on a site's rows: the fixed-point clip of every count. */
export const DEFAULT_MAX_SITE_ROWS = 10_000_000;
/**
 * Smallest per-site discrete Gaussian σ in fixed-point units. The sum of n such noises is within
 * 10·Σ_{k<n} exp(−2π²σ²·k/(k+1)) of one discrete Gaussian of the summed variance (Kairouz, Liu &
 * Steinke 2021, Prop. 14): below 1e-200 at σ = 8, so no δ needs adding for it.
 */
const MIN_ENCODED_SIGMA = 8;

type Stage = 'histograms' | 'one-way' | 'candidates' | 'two-way';

/** One column's fine histogram, as sent to the sites. */
interface HistogramSpec {
  column: string;
  lo: number;
  hi: number;
  bins: number;
  asinh: boolean;
}

/** What the sites receive in a round's plan. */
interface MarginalPlan {
  federation: string;
  stage: Stage;
  /** The site charges this to its own ledger before reading its data. */
  mechanism: Mechanism;
  note: string;
  budget: { epsilon: number; delta: number };
  histograms?: HistogramSpec[];
  encoders?: DiscreteColumnEncoder[];
  cliques?: number[][];
}

interface Calibration {
  sigmaQuantiles: number;
  sigmaOneWay: number;
  sigmaSelection: number;
  sigmaTwoWay: number;
}

interface MarginalState {
  federation: string;
  ledger: unknown;
  calibration: Calibration;
  encoders: DiscreteColumnEncoder[] | null;
  candidates: Array<[number, number]>;
  oneWay: Array<{ counts: number[]; sigma: number }> | null;
  candidateCounts: Array<{ counts: number[]; sigma: number }> | null;
  edges: Array<[number, number]> | null;
  twoWay: Array<{ counts: number[]; sigma: number }> | null;
  contributors: string[][];
}

function numberOption(o: Record<string, unknown> | undefined, key: string, fallback: number, ok: (v: number) => boolean, expected: string): number {
  const v = o?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !ok(v)) throw new UsageError(`Expected ${expected} for option ${key} but received ${describeValue(v)}`);
  return v;
}

function boundNumber(c: TableSchema['columns'][number], v: number | string | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (c.kind === 'datetime') {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? (c.format === 'date-time' ? ms : Math.floor(ms / 86_400_000)) : undefined;
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** The schema a federation uses: a TableSchema object, a schema JSON file, or an Arrow file's embedded schema (its rows are not used). */
export function federationSchema(hint: unknown): TableSchema {
  if (typeof hint === 'string') {
    if (hint.endsWith('.json')) return validateSchema(JSON.parse(fs.readFileSync(hint, 'utf8')), hint);
    const carried = embeddedSchema(readArrowFile(hint).schema);
    if (!carried) throw new InputError({ file: hint }, 'an Arrow file with an embedded hemasynth schema (or pass a schema JSON file)', 'no embedded schema');
    return validateSchema(carried, hint);
  }
  if (hint === undefined || hint === null) throw new UsageError('Expected a schema for the federated marginal model (--schema FILE) but received none');
  return validateSchema(hint, 'schema');
}

function sqrt2overPi(): number {
  return Math.sqrt(2 / Math.PI);
}

/** The smallest power of two that brings the per-site noise to MIN_ENCODED_SIGMA fixed-point units. */
function scaleFor(sigmaPerSite: number): number {
  let s = 1;
  while (sigmaPerSite * s < MIN_ENCODED_SIGMA && s < 2 ** 20) s *= 2;
  return s;
}

/**
 * Quantile edges from a (noisy) histogram: negative counts clipped, then the CDF read at each
 * level with linear interpolation inside a bin, mapped back from asinh space when needed.
 */
export function edgesFromHistogram(spec: HistogramSpec, counts: ArrayLike<number>, levels: readonly number[]): number[] {
  const clipped = Array.from(counts, (c) => Math.max(0, c));
  const total = clipped.reduce((a, b) => a + b, 0);
  const width = (spec.hi - spec.lo) / spec.bins;
  if (!(total > 0)) return [];
  const out: number[] = [];
  let cum = 0, b = 0;
  for (const p of levels) {
    const target = p * total;
    while (b < spec.bins && cum + clipped[b] < target) cum += clipped[b++];
    const inBin = b < spec.bins && clipped[b] > 0 ? (target - cum) / clipped[b] : 0;
    const t = spec.lo + (Math.min(b, spec.bins - 1) + Math.min(1, Math.max(0, inBin))) * width;
    out.push(spec.asinh ? Math.sinh(t) : t);
  }
  return out;
}

/** The coordinator side: plans the four kinds of rounds, selects the tree, fits and writes the model. */
export class MarginalCoordinatorTask implements CoordinatorTask {
  readonly model = 'marginal';
  readonly rounds: number;
  private readonly schema: TableSchema;
  private readonly stages: Stage[];
  private readonly histogramSpecs: HistogramSpec[];
  private readonly quantileColumns: string[];
  private readonly d: number;
  private readonly bins: number;
  private readonly maxSiteRows: number;
  private state: MarginalState;
  private ledger: PrivacyLedger;
  private readonly started = Date.now();

  constructor(readonly o: CoordinatorTaskOptions) {
    if (!(Number.isFinite(o.epsilon) && o.epsilon > 0)) throw new UsageError(`Expected a finite epsilon > 0 for a federated marginal model but received ${describeValue(o.epsilon)} (a federation always runs with differential privacy)`);
    if (!(o.delta > 0 && o.delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for delta but received ${describeValue(o.delta)}`);
    this.schema = federationSchema(o.schemaHint);
    const opts = o.options ?? {};
    this.bins = numberOption(opts, 'bins', DEFAULT_NUMERIC_BINS, (v) => Number.isInteger(v) && v >= 2 && v <= 256, 'an integer in [2, 256]');
    const histogramBins = numberOption(opts, 'histogramBins', DEFAULT_HISTOGRAM_BINS, (v) => Number.isInteger(v) && v >= 8 && v <= 4096, 'an integer in [8, 4096]');
    const maxPairs = numberOption(opts, 'maxCandidatePairs', DEFAULT_MAX_CANDIDATE_PAIRS, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    this.maxSiteRows = numberOption(opts, 'maxSiteRows', DEFAULT_MAX_SITE_ROWS, (v) => Number.isInteger(v) && v >= 1 && v <= 1e9, 'an integer in [1, 1e9]');
    const plan = planDiscretisation(this.schema, { bins: this.bins });
    this.d = plan.length;
    if (this.d === 0) throw new UsageError('Expected at least one modelled column (not a direct identifier, identifier or text) but received none');
    const noCategories = plan.filter((p) => p.needs === 'categories').map((p) => p.column.name);
    if (noCategories.length) throw new UsageError(`Expected categories in the schema for ${noCategories.join(', ')} (a federated DP generator may not read them from the data) but received none`);
    this.histogramSpecs = plan.filter((p) => p.needs === 'quantiles').map((p) => {
      const lo = boundNumber(p.column, p.column.min), hi = boundNumber(p.column, p.column.max);
      const bounded = lo !== undefined && hi !== undefined && hi > lo;
      return bounded
        ? { column: p.column.name, lo: lo as number, hi: hi as number, bins: histogramBins, asinh: false }
        : { column: p.column.name, lo: lo !== undefined ? Math.asinh(lo) : UNBOUNDED_ASINH_RANGE[0], hi: hi !== undefined ? Math.asinh(hi) : UNBOUNDED_ASINH_RANGE[1], bins: histogramBins, asinh: true };
    });
    this.quantileColumns = this.histogramSpecs.map((h) => h.column);
    const pairs = (this.d * (this.d - 1)) / 2;
    this.stages = [...(this.histogramSpecs.length ? ['histograms' as const] : []), 'one-way', ...(this.d > 1 ? ['candidates' as const, 'two-way' as const] : [])];
    this.rounds = this.stages.length;
    const federation = randomBytes(12).toString('hex');
    const rng = typeof o.options?.seed === 'number' ? CryptoRandom.fromSeed(`hemasynth-federated-marginal:${o.options.seed}`) : new CryptoRandom();
    const candidates = this.candidatePairs(Math.min(pairs, maxPairs), rng);
    this.ledger = PrivacyLedger.create({ datasetFingerprint: this.fingerprint(federation), budget: { epsilon: o.epsilon, delta: o.delta } });
    const planner = new PrivacyPlanner(this.ledger, { epsilon: o.epsilon, delta: o.delta });
    const S = FEDERATED_MARGINAL_SHARES;
    const charged = planner.chargePlan([
      { kind: 'gaussian', share: S.quantiles, count: this.histogramSpecs.length, note: `federated marginal: noisy histograms for quantile edges (${this.histogramSpecs.length})` },
      { kind: 'gaussian', share: S.oneWay, count: this.d, note: `federated marginal: noisy 1-way marginals (${this.d})` },
      { kind: 'gaussian', share: S.selection, count: candidates.length, note: `federated marginal: noisy candidate 2-way marginals for selection (${candidates.length})` },
      { kind: 'gaussian', share: S.twoWay, count: Math.max(0, this.d - 1), note: `federated marginal: noisy 2-way marginals of the tree (${this.d - 1})` },
    ]);
    const sigma = (tag: string) => charged.find((m) => m.note.includes(tag))?.sigma ?? 0;
    this.state = {
      federation, ledger: null, encoders: null, candidates, oneWay: null, candidateCounts: null, edges: null, twoWay: null, contributors: [],
      calibration: { sigmaQuantiles: sigma('histograms'), sigmaOneWay: sigma('1-way'), sigmaSelection: sigma('candidate'), sigmaTwoWay: sigma('of the tree') },
    };
    if (!this.histogramSpecs.length) this.state.encoders = this.buildEncoders(new Map());
  }

  private fingerprint(federation: string): string {
    return createHash('sha256').update(`hemasynth-federation:${federation}:${this.o.sites.join(',')}`).digest('hex');
  }

  /** All pairs, or a connected random subset: a random spanning path plus random extra pairs (public randomness). */
  private candidatePairs(limit: number, rng: CryptoRandom): Array<[number, number]> {
    const d = this.d;
    const all: Array<[number, number]> = [];
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) all.push([a, b]);
    if (all.length <= limit) return all;
    const perm = Array.from({ length: d }, (_, i) => i);
    for (let i = d - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    const key = (a: number, b: number) => (a < b ? a * d + b : b * d + a);
    const chosen = new Map<number, [number, number]>();
    for (let i = 1; i < d; i++) { const a = Math.min(perm[i - 1], perm[i]), b = Math.max(perm[i - 1], perm[i]); chosen.set(key(a, b), [a, b]); }
    const budget = Math.max(limit, d - 1);
    while (chosen.size < budget) {
      const [a, b] = all[Math.floor(rng.uniform() * all.length)];
      chosen.set(key(a, b), [a, b]);
    }
    return [...chosen.values()].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  }

  /** Encoders from the schema, with quantile edges for the numeric columns that needed them. */
  private buildEncoders(edges: Map<string, number[]>): DiscreteColumnEncoder[] {
    // fitDiscretisation reads the table only for quantile columns; give it an empty one with
    // those columns and replace their edges with the ones read off the noisy histograms.
    const empty: Record<string, Float64Array> = {};
    for (const c of this.quantileColumns) empty[c] = new Float64Array(0);
    const table: Table = this.quantileColumns.length ? tableFromArrays(empty) : new Table();
    const base = fitDiscretisation(table, this.schema, { quantileEpsilonEach: null }, { bins: this.bins });
    const byName = new Map(this.schema.columns.map((c) => [c.name, c]));
    return base.map((e) => {
      if (!this.quantileColumns.includes(e.column)) return e;
      const c = byName.get(e.column)!;
      const lo = boundNumber(c, c.min), hi = boundNumber(c, c.max);
      const qs = (edges.get(e.column) ?? []).filter((q) => Number.isFinite(q)).sort((a, b) => a - b);
      let es = [...(lo !== undefined ? [lo] : []), ...qs.filter((q) => (lo === undefined || q > lo) && (hi === undefined || q < hi)), ...(hi !== undefined ? [hi] : [])];
      if (e.integer) {
        es = es.map((x) => Math.ceil(x));
        es[es.length - 1] = (hi ?? es[es.length - 1]) + 1;
      }
      es = es.filter((x, i) => i === 0 || x > es[i - 1]);
      if (es.length < 2) es = [es[0] ?? 0, (es[0] ?? 0) + 1];
      return { ...e, edges: es, size: es.length - 1 + (e.nullable ? 1 : 0), source: 'dp-quantiles' as const };
    });
  }

  private sigmaOf(stage: Stage): number {
    const c = this.state.calibration;
    return stage === 'histograms' ? c.sigmaQuantiles : stage === 'one-way' ? c.sigmaOneWay : stage === 'candidates' ? c.sigmaSelection : c.sigmaTwoWay;
  }

  /** σ each site adds (decoded units): its share under distributed DP, else the whole σ. */
  private perSiteSigma(stage: Stage): number {
    return this.o.distributedDp ? this.sigmaOf(stage) / Math.sqrt(this.o.threshold) : this.sigmaOf(stage);
  }

  /** σ of the noise in a decoded sum of `n` contributors. */
  private sumSigma(stage: Stage, n: number): number {
    return this.perSiteSigma(stage) * Math.sqrt(n);
  }

  private cliquesOf(stage: Stage): number[][] {
    if (stage === 'one-way') return Array.from({ length: this.d }, (_, j) => [j]);
    if (stage === 'candidates') return this.state.candidates;
    if (stage === 'two-way') return this.state.edges ?? [];
    return [];
  }

  planRound(round: number): RoundPlan {
    const stage = this.stages[round];
    if (!stage) throw new HemasynthError(`federated marginal has ${this.rounds} rounds; round ${round} was asked for`);
    const sigma = this.sigmaOf(stage);
    const perSite = this.perSiteSigma(stage);
    const scale = scaleFor(perSite);
    let length: number;
    const plan: MarginalPlan = {
      federation: this.state.federation, stage, budget: { epsilon: this.o.epsilon, delta: this.o.delta },
      mechanism: { kind: 'gaussian', noiseMultiplier: sigma, count: 0 }, note: '',
    };
    if (stage === 'histograms') {
      plan.histograms = this.histogramSpecs;
      length = this.histogramSpecs.reduce((s, h) => s + h.bins, 0);
      plan.mechanism = { kind: 'gaussian', noiseMultiplier: sigma, count: this.histogramSpecs.length };
      plan.note = `federated marginal ${this.state.federation}: histograms for quantile edges (${this.histogramSpecs.length} columns)`;
    } else {
      const enc = this.state.encoders;
      if (!enc) throw new HemasynthError('federated marginal: the encoders are not fitted before the marginal rounds');
      const cliques = this.cliquesOf(stage);
      plan.encoders = enc;
      plan.cliques = cliques;
      length = cliques.reduce((s, q) => s + q.reduce((p, j) => p * enc[j].size, 1), 0);
      plan.mechanism = { kind: 'gaussian', noiseMultiplier: sigma, count: cliques.length };
      plan.note = `federated marginal ${this.state.federation}: ${stage} marginals (${cliques.length})`;
    }
    return { plan, vectorLength: length, format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const stage = this.stages[round];
    const sigma = this.sumSigma(stage, info.contributors.length);
    this.state.contributors[round] = info.contributors;
    if (stage === 'histograms') {
      const levels = quantileLevels(this.bins);
      const edges = new Map<string, number[]>();
      let at = 0;
      for (const h of this.histogramSpecs) {
        edges.set(h.column, edgesFromHistogram(h, sum.subarray(at, at + h.bins), levels));
        at += h.bins;
      }
      this.state.encoders = this.buildEncoders(edges);
      return { stage, columns: this.histogramSpecs.length, contributors: info.contributors.length };
    }
    const enc = this.state.encoders!;
    const cliques = this.cliquesOf(stage);
    const tables: Array<{ counts: number[]; sigma: number }> = [];
    let at = 0;
    for (const q of cliques) {
      const cells = q.reduce((p, j) => p * enc[j].size, 1);
      tables.push({ counts: Array.from(sum.subarray(at, at + cells)), sigma });
      at += cells;
    }
    if (stage === 'one-way') this.state.oneWay = tables;
    if (stage === 'candidates') {
      this.state.candidateCounts = tables;
      this.state.edges = this.selectTree();
    }
    if (stage === 'two-way') this.state.twoWay = tables;
    return { stage, tables: tables.length, contributors: info.contributors.length, noiseSigma: Number(sigma.toPrecision(4)) };
  }

  /** Maximum spanning tree over the candidates, scored on the noisy sums (post-processing). */
  private selectTree(): Array<[number, number]> {
    const enc = this.state.encoders!;
    const one = this.state.oneWay!;
    const total = Math.max(1, one.reduce((s, m) => s + m.counts.reduce((a, b) => a + b, 0), 0) / this.d);
    const probs = one.map((m) => projectToSimplex(Float64Array.from(m.counts), total).map((x) => x / total));
    const scored = this.state.candidates.map(([a, b], k) => {
      const m = this.state.candidateCounts![k];
      const sb = enc[b].size;
      let l1 = 0;
      for (let x = 0; x < enc[a].size; x++) for (let y = 0; y < sb; y++) l1 += Math.abs(m.counts[x * sb + y] - total * probs[a][x] * probs[b][y]);
      return { a, b, score: l1 - m.counts.length * m.sigma * sqrt2overPi() };
    }).sort((x, y) => y.score - x.score);
    const parent = Int32Array.from({ length: this.d }, (_, i) => i);
    const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
    const edges: Array<[number, number]> = [];
    for (const s of scored) {
      const ra = find(s.a), rb = find(s.b);
      if (ra === rb) continue;
      parent[ra] = rb;
      edges.push([s.a, s.b]);
    }
    return edges;
  }

  checkpoint(): unknown {
    return { ...this.state, ledger: this.ledger.toJSON() };
  }

  restore(state: unknown): void {
    const s = state as MarginalState;
    if (!s || typeof s.federation !== 'string' || !s.calibration) throw new HemasynthError('federated marginal: the checkpoint does not hold a marginal task state');
    this.state = s;
    this.ledger = PrivacyLedger.fromJSON(s.ledger);
  }

  /** The fitted model (also written by finish). */
  buildModel(): HemasynthModel {
    const enc = this.state.encoders!;
    const measurements: MarginalMeasurement[] = this.state.oneWay!.map((m, j) => ({ clique: [j], counts: Float64Array.from(m.counts), sigma: m.sigma }));
    const edges = this.state.edges ?? [];
    edges.forEach((e, k) => {
      const second = this.state.twoWay![k];
      const ci = this.state.candidates.findIndex((c) => c[0] === e[0] && c[1] === e[1]);
      const first = this.state.candidateCounts![ci];
      // Inverse-variance combination of the two independent noisy measurements of the edge.
      const w1 = 1 / (first.sigma * first.sigma), w2 = 1 / (second.sigma * second.sigma);
      const counts = Float64Array.from(second.counts, (c, i) => (first.counts[i] * w1 + c * w2) / (w1 + w2));
      measurements.push({ clique: [e[0], e[1]], counts, sigma: 1 / Math.sqrt(w1 + w2) });
    });
    const tree = fitFromMeasurements(enc.map((e) => e.size), measurements);
    const c = this.state.calibration;
    const parts = treeParts(tree, edges, { sigma1: c.sigmaOneWay, sigma2: c.sigmaTwoWay, selectionSigma: c.sigmaSelection, quantileSigma: this.histogramSpecs.length ? c.sigmaQuantiles : null });
    const columns = enc.map((e) => e.column);
    const byName = new Map(this.schema.columns.map((col) => [col.name, col]));
    const spent = this.ledger.spent();
    const manifest: ModelManifest = {
      format: 'hemasynth-model',
      formatVersion: MODEL_FORMAT_VERSION,
      libraryVersion: VERSION,
      model: 'marginal',
      schema: {
        version: 1,
        ...(this.schema.name ? { name: `${this.schema.name} (synthetic, federated)` } : {}),
        columns: columns.map((n) => byName.get(n) as TableSchema['columns'][number]),
        constraints: applicableConstraints(this.schema, columns).map((x) => x.text),
      },
      encoders: enc,
      generator: parts.generator,
      training: {
        epsilon: this.o.epsilon,
        delta: this.o.delta,
        seed: typeof this.o.options?.seed === 'number' ? (this.o.options.seed as number) : null,
        nonPrivate: false,
        options: {
          ...(this.o.options ?? {}),
          federation: {
            id: this.state.federation, sites: this.o.sites, threshold: this.o.threshold, distributedDp: this.o.distributedDp,
            rounds: this.stages, contributors: this.state.contributors, candidatePairs: this.state.candidates.length,
          },
        },
        fitSeconds: (Date.now() - this.started) / 1000,
      },
      privacy: { nonPrivate: false, notice: null, epsilon: spent.epsilon, delta: this.o.delta, ledger: this.ledger.toJSON() },
      dataFingerprint: this.ledger.datasetFingerprint,
    };
    return { manifest, weights: parts.weights };
  }

  finish(out: string): unknown {
    const model = this.buildModel();
    saveModel(out, model);
    return { out, columns: model.manifest.encoders.length, edges: (this.state.edges ?? []).length, epsilon: model.manifest.privacy.epsilon };
  }
}

/** The site side: charges its own ledger, then measures the round's histograms or marginals on its data. */
export class MarginalSiteTask implements SiteTask {
  private table?: Table;
  private encoded?: { key: string; enc: EncodedColumns; flat: Int32Array };
  private readonly charged = new Set<string>();
  private ledger?: PrivacyLedger;
  private readonly fingerprint: string;

  constructor(readonly o: SiteTaskOptions & { budget?: { epsilon: number; delta: number } }) {
    if (!fs.existsSync(o.dataFile)) throw new UsageError(`Expected a readable data file for --data but received ${JSON.stringify(o.dataFile)} (not found)`);
    this.fingerprint = fingerprintFile(o.dataFile);
  }

  private data(): Table {
    if (!this.table) this.table = readArrowFile(this.o.dataFile);
    return this.table;
  }

  /** Charges the round's mechanism to this site's ledger once per federation round (a retried attempt re-measures what was never released). */
  private charge(plan: MarginalPlan, ctx: SiteRoundContext): void {
    const key = `${plan.federation}/${ctx.round}`;
    if (this.charged.has(key)) return;
    const file = this.o.ledgerFile ?? ledgerPathFor(this.o.dataFile);
    this.ledger ??= PrivacyLedger.openOrCreate(file, { datasetFingerprint: this.fingerprint, budget: this.o.budget ?? plan.budget });
    this.ledger.charge({ mechanism: plan.mechanism, datasetFingerprint: this.fingerprint, note: plan.note });
    this.charged.add(key);
  }

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as MarginalPlan;
    if (!plan || typeof plan.stage !== 'string' || !plan.mechanism) throw new HemasynthError('federated marginal: malformed round plan from the coordinator');
    this.charge(plan, ctx);
    const table = this.data();
    if (plan.stage === 'histograms') {
      const specs = plan.histograms ?? [];
      const out = new Float64Array(specs.reduce((s, h) => s + h.bins, 0));
      let at = 0;
      for (const h of specs) {
        const values = readNumbers(table, h.column);
        const width = (h.hi - h.lo) / h.bins;
        for (const v of values) {
          if (Number.isNaN(v)) continue;
          const t = h.asinh ? Math.asinh(v) : v;
          out[at + Math.min(h.bins - 1, Math.max(0, Math.floor((t - h.lo) / width)))]++;
        }
        at += h.bins;
      }
      return out;
    }
    const encoders = plan.encoders ?? [];
    const key = createHash('sha256').update(JSON.stringify(encoders)).digest('hex');
    if (this.encoded?.key !== key) {
      const enc: EncodedColumns = { codes: encodeTable(table, encoders), sizes: encoders.map((e) => e.size), rows: table.numRows };
      this.encoded = { key, enc, flat: flattenCodes(enc) };
    }
    const counts = measureMarginals(this.encoded.enc, plan.cliques ?? [], { flat: this.encoded.flat });
    const out = new Float64Array(counts.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of counts) { out.set(c, at); at += c.length; }
    return out;
  }
}

/** The federated marginal protocol's definition for the task registry. */
export const federatedMarginal = {
  coordinator: (o: CoordinatorTaskOptions) => new MarginalCoordinatorTask(o),
  site: (o: SiteTaskOptions) => new MarginalSiteTask(o),
};
