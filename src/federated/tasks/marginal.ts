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
 *  2b. `missing` (only when a modelled column is nullable): the assays' missing counts as one
 *     vector with rows clipped (models/marginal/assay-missingness.ts, L2 sensitivity 3, fixed point
 *     at scale 2^10; the coordinator sends each assay's columns and its rarer state read off the
 *     noisy 1-way counts), combined with the 1-way counts as centrally; the fitted tree's missing
 *     rates are calibrated to them (missing-calibration.ts).
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
 * vector alone. The budget split (zCDP shares 10/30/8/30/22: quantiles, 1-way, missing counts,
 * candidates, tree; 10/30/30/30 without a nullable column), charged
 * once on the federation's ledger (embedded in the model) and, round by round before any data is
 * read, on each site's own ledger.
 */
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import type { TableSchema } from '../../data/schema';
import { PrivacyLedger } from '../../dp/ledger';
import { CryptoRandom } from '../../dp/noise';
import { HemasynthError } from '../../errors';
import type { HemasynthModel } from '../../models/generator';
import { EncodedColumns, flattenCodes, measureMarginals } from '../../models/marginal/contingency';
import { treeParts } from '../../models/marginal/marginal-generator';
import { MarginalMeasurement, fitFromMeasurements, projectToSimplex } from '../../models/marginal/tree-estimation';
import { saveModel } from '../../models/model-file';
import { DiscreteColumnEncoder, encodeTable, DEFAULT_NUMERIC_BINS, missingCode } from '../../transform/discretiser';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';
import { DEFAULT_HISTOGRAM_BINS, FederatedDiscretisation, HistogramSpec, federationSchema, numberOption, scaleFor, siteHistograms } from './federated-discretisation';
import { SiteRoundLedger, type SitePlan } from './site-round-ledger';
import { federatedModelFile, federationPlanner, openFederationLedger } from './federated-model';
import { assayLayout, combineGroupMissingCounts, MISSING_ROW_CLIP, missingFromRareSums, shareAssayMissingCounts, siteRareSums } from '../../models/marginal/assay-missingness';
import { calibrateTreeMissing } from '../../models/marginal/missing-calibration';
import { supportTreeNullWhen } from '../../models/marginal/null-when-support';
import { applicableConstraints } from '../../models/constraints';
import { missingnessGroupCount, type MissingnessGroup } from '../../models/neural/missingness-groups';

/** Budget shares (zCDP) of the federated marginal generator: those of the central one. */
export const FEDERATED_MARGINAL_SHARES = { quantiles: 0.1, oneWay: 0.3, missing: 0.08, selection: 0.3, twoWay: 0.22 };
/** Fixed-point scale of the clipped missing-count sums (2^-10 resolution, far below their noise). */
const MISSING_SCALE = 2 ** 10;
/** Candidate pairs measured for selection, at most (a random connected subset beyond that). */
export const DEFAULT_MAX_CANDIDATE_PAIRS = 400;
/** Public bound on a site's rows: the fixed-point clip of every count. */
export const DEFAULT_MAX_SITE_ROWS = 10_000_000;

type Stage = 'histograms' | 'one-way' | 'missing' | 'candidates' | 'two-way';

/** What the sites receive in a round's plan. */
interface MarginalPlan extends SitePlan<Stage> {
  histograms?: HistogramSpec[];
  encoders?: DiscreteColumnEncoder[];
  cliques?: number[][];
  /** `missing` round: each assay's columns (encoder indices) and whether its rarer state is "present". */
  groups?: number[][];
  rareIsPresent?: boolean[];
}

interface Calibration {
  sigmaQuantiles: number;
  sigmaOneWay: number;
  sigmaMissing: number;
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
  /** Per column, the missing rate the fitted tree is calibrated to (from the `missing` round). */
  missingTargets: Array<number | null> | null;
  candidateCounts: Array<{ counts: number[]; sigma: number }> | null;
  edges: Array<[number, number]> | null;
  twoWay: Array<{ counts: number[]; sigma: number }> | null;
  contributors: string[][];
}

function sqrt2overPi(): number {
  return Math.sqrt(2 / Math.PI);
}

/** The coordinator side: plans the four kinds of rounds, selects the tree, fits and writes the model. */
export class MarginalCoordinatorTask implements CoordinatorTask {
  readonly model = 'marginal';
  readonly rounds: number;
  private readonly schema: TableSchema;
  private readonly stages: Stage[];
  private readonly discretisation: FederatedDiscretisation;
  private readonly histogramSpecs: HistogramSpec[];
  private readonly d: number;
  private readonly bins: number;
  private readonly maxSiteRows: number;
  private state: MarginalState;
  private ledger: PrivacyLedger;
  private readonly started = Date.now();

  constructor(readonly o: CoordinatorTaskOptions) {
    const { federation, ledger } = openFederationLedger('marginal', o);
    this.ledger = ledger;
    this.schema = federationSchema(o.schemaHint);
    const opts = o.options ?? {};
    this.bins = numberOption(opts, 'bins', DEFAULT_NUMERIC_BINS, (v) => Number.isInteger(v) && v >= 2 && v <= 256, 'an integer in [2, 256]');
    const histogramBins = numberOption(opts, 'histogramBins', DEFAULT_HISTOGRAM_BINS, (v) => Number.isInteger(v) && v >= 8 && v <= 4096, 'an integer in [8, 4096]');
    const maxPairs = numberOption(opts, 'maxCandidatePairs', DEFAULT_MAX_CANDIDATE_PAIRS, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    this.maxSiteRows = numberOption(opts, 'maxSiteRows', DEFAULT_MAX_SITE_ROWS, (v) => Number.isInteger(v) && v >= 1 && v <= 1e9, 'an integer in [1, 1e9]');
    this.discretisation = new FederatedDiscretisation(this.schema, this.bins, histogramBins, 'federated marginal');
    this.d = this.discretisation.columns;
    this.histogramSpecs = this.discretisation.histograms;
    const pairs = (this.d * (this.d - 1)) / 2;
    // The missing-count round only where some modelled column is nullable (from the schema).
    const assays = missingnessGroupCount(this.schema, this.discretisation.modelled);
    this.stages = [...(this.histogramSpecs.length ? ['histograms' as const] : []), 'one-way', ...(assays > 0 ? ['missing' as const] : []), ...(this.d > 1 ? ['candidates' as const, 'two-way' as const] : [])];
    this.rounds = this.stages.length;
    const rng = typeof o.options?.seed === 'number' ? CryptoRandom.fromSeed(`hemasynth-federated-marginal:${o.options.seed}`) : new CryptoRandom();
    const candidates = this.candidatePairs(Math.min(pairs, maxPairs), rng);
    const planner = federationPlanner(this.ledger, o);
    const S = FEDERATED_MARGINAL_SHARES;
    const charged = planner.chargePlan([
      { kind: 'gaussian', share: S.quantiles, count: this.histogramSpecs.length, note: `federated marginal: noisy histograms for quantile edges (${this.histogramSpecs.length})` },
      { kind: 'gaussian', share: S.oneWay, count: this.d, note: `federated marginal: noisy 1-way marginals (${this.d})` },
      ...(assays > 0 ? [{ kind: 'gaussian' as const, share: S.missing, count: 1, note: 'federated marginal: noisy missing counts by assay (rows clipped)' }] : []),
      { kind: 'gaussian', share: S.selection, count: candidates.length, note: `federated marginal: noisy candidate 2-way marginals for selection (${candidates.length})` },
      { kind: 'gaussian', share: S.twoWay, count: Math.max(0, this.d - 1), note: `federated marginal: noisy 2-way marginals of the tree (${this.d - 1})` },
    ]);
    const sigma = (tag: string) => charged.find((m) => m.note.includes(tag))?.sigma ?? 0;
    this.state = {
      federation, ledger: null, encoders: null, candidates, oneWay: null, missingTargets: null, candidateCounts: null, edges: null, twoWay: null, contributors: [],
      calibration: { sigmaQuantiles: sigma('histograms'), sigmaOneWay: sigma('1-way'), sigmaMissing: sigma('missing counts'), sigmaSelection: sigma('candidate'), sigmaTwoWay: sigma('of the tree') },
    };
    if (!this.histogramSpecs.length) this.state.encoders = this.discretisation.encoders();
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

  private sigmaOf(stage: Stage): number {
    const c = this.state.calibration;
    return stage === 'histograms' ? c.sigmaQuantiles : stage === 'one-way' ? c.sigmaOneWay : stage === 'missing' ? c.sigmaMissing : stage === 'candidates' ? c.sigmaSelection : c.sigmaTwoWay;
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
    if (stage === 'missing') {
      const enc = this.state.encoders as DiscreteColumnEncoder[];
      const { groups, rareIsPresent } = this.missingLayout(enc);
      plan.encoders = enc;
      plan.groups = groups.map((g) => g.columns);
      plan.rareIsPresent = rareIsPresent;
      plan.mechanism = { kind: 'gaussian', noiseMultiplier: sigma, count: 1 };
      plan.note = `federated marginal ${this.state.federation}: missing counts of ${groups.length} assays (rows clipped)`;
      // Encoded sensitivity: scale·MISSING_ROW_CLIP plus at most 1 per coordinate from the rounding.
      const encodedSensitivity = MISSING_SCALE * MISSING_ROW_CLIP + Math.sqrt(groups.length);
      return { plan, vectorLength: groups.length, format: { scale: MISSING_SCALE, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * encodedSensitivity };
    }
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
      this.state.encoders = this.discretisation.encoders(sum);
      return { stage, columns: this.histogramSpecs.length, contributors: info.contributors.length };
    }
    const enc = this.state.encoders!;
    if (stage === 'missing') {
      const one = this.state.oneWay;
      if (!one) throw new HemasynthError('federated marginal: the 1-way marginals are not measured before the missing-count round');
      const { groups, rareIsPresent, total } = this.missingLayout(enc);
      // σ of the decoded sums: the round's σ times the decoded sensitivity and the rounding's share.
      const noiseSd = sigma * (MISSING_ROW_CLIP + Math.sqrt(groups.length) / MISSING_SCALE);
      const counts = one.map((m) => Float64Array.from(m.counts));
      combineGroupMissingCounts(counts, enc, this.schema, one[0]?.sigma ?? 0, { groups, missing: missingFromRareSums(sum, rareIsPresent, total), sigma: noiseSd });
      counts.forEach((c, j) => { one[j].counts = Array.from(c); });
      this.state.missingTargets = enc.map((e, j) => (e.nullable ? Math.min(1, Math.max(0, counts[j][missingCode(e)] / total)) : null));
      return { stage, assays: groups.length, contributors: info.contributors.length, noiseSigma: Number(noiseSd.toPrecision(4)) };
    }
    const cliques = this.cliquesOf(stage);
    const tables: Array<{ counts: number[]; sigma: number }> = [];
    let at = 0;
    for (const q of cliques) {
      const cells = q.reduce((p, j) => p * enc[j].size, 1);
      tables.push({ counts: Array.from(sum.subarray(at, at + cells)), sigma });
      at += cells;
    }
    if (stage === 'one-way') {
      // An assay's columns share their mean noisy missing count, as centrally (post-processing).
      shareAssayMissingCounts(tables.map((t) => t.counts), enc, this.schema);
      this.state.oneWay = tables;
    }
    if (stage === 'candidates') {
      this.state.candidateCounts = tables;
      this.state.edges = this.selectTree();
    }
    if (stage === 'two-way') this.state.twoWay = tables;
    return { stage, tables: tables.length, contributors: info.contributors.length, noiseSigma: Number(sigma.toPrecision(4)) };
  }

  /** The assays and their rarer states, read off the noisy 1-way counts (assayLayout). */
  private missingLayout(enc: readonly DiscreteColumnEncoder[]): { groups: MissingnessGroup[]; rareIsPresent: boolean[]; total: number } {
    if (!this.state.oneWay) throw new HemasynthError('federated marginal: the 1-way marginals are not measured before the missing-count round');
    return assayLayout(this.state.oneWay.map((m) => m.counts), enc, this.schema);
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
    // The fitted rates drift from the released missing counts, as centrally (missing-calibration.ts).
    if (this.state.missingTargets) calibrateTreeMissing(tree, enc, this.state.missingTargets.map((t) => t ?? undefined));
    supportTreeNullWhen(tree, enc, applicableConstraints(this.schema, enc.map((e) => e.column)));
    const c = this.state.calibration;
    const parts = treeParts(tree, edges, { sigma1: c.sigmaOneWay, sigmaMissing: c.sigmaMissing * MISSING_ROW_CLIP, sigma2: c.sigmaTwoWay, selectionSigma: c.sigmaSelection, quantileSigma: this.histogramSpecs.length ? c.sigmaQuantiles : null });
    return federatedModelFile({
      model: 'marginal', schema: this.schema, parts: { encoders: enc, ...parts }, epsilon: this.o.epsilon, delta: this.o.delta,
      seed: typeof this.o.options?.seed === 'number' ? (this.o.options.seed as number) : null, options: this.o.options ?? {},
      federation: {
        id: this.state.federation, sites: this.o.sites, threshold: this.o.threshold, distributedDp: this.o.distributedDp,
        rounds: this.stages, contributors: this.state.contributors, candidatePairs: this.state.candidates.length,
      },
      started: this.started, ledger: this.ledger,
    });
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
  private readonly ledger: SiteRoundLedger;

  constructor(readonly o: SiteTaskOptions) {
    this.ledger = new SiteRoundLedger(o);
  }

  private data(): Table {
    if (!this.table) this.table = readArrowFile(this.o.dataFile);
    return this.table;
  }

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as MarginalPlan;
    if (!plan || typeof plan.stage !== 'string' || !plan.mechanism) throw new HemasynthError('federated marginal: malformed round plan from the coordinator');
    this.ledger.chargeRound(plan, ctx.round);
    const table = this.data();
    if (plan.stage === 'histograms') return siteHistograms(table, plan.histograms ?? []);
    const encoders = plan.encoders ?? [];
    const key = createHash('sha256').update(JSON.stringify(encoders)).digest('hex');
    if (this.encoded?.key !== key) {
      const enc: EncodedColumns = { codes: encodeTable(table, encoders), sizes: encoders.map((e) => e.size), rows: table.numRows };
      this.encoded = { key, enc, flat: flattenCodes(enc) };
    }
    if (plan.stage === 'missing') return siteRareSums(plan.groups, plan.rareIsPresent, this.encoded.enc.codes, this.encoded.enc.rows, encoders, 'federated marginal');
    const counts = measureMarginals(this.encoded.enc, plan.cliques ?? [], { flat: this.encoded.flat });
    const out = new Float64Array(counts.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of counts) { out.set(c, at); at += c.length; }
    return out;
  }
}

/** The federated marginal protocol's definition for the task registry. */
export const federatedMarginal = {
  options: ['bins', 'histogramBins', 'maxCandidatePairs', 'maxSiteRows', 'seed'],
  coordinator: (o: CoordinatorTaskOptions) => new MarginalCoordinatorTask(o),
  site: (o: SiteTaskOptions) => new MarginalSiteTask(o),
};
