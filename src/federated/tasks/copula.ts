/**
 * The federated `copula` generator: the Gaussian copula of src/models/copula fitted from sums
 * over sites (src/models/copula/copula-fit.ts), each released by secure aggregation with
 * distributed discrete Gaussian noise, so the coordinator sees only noisy totals.
 *
 * Rounds (each one Gaussian mechanism under add/remove of one record of any site):
 *  1. `histograms` (only when some numeric column needs data-dependent bin edges): the encoders
 *     (tasks/federated-discretisation.ts).
 *  2. `one-way`: every column's 1-way counts (sensitivity 1 per column).
 *  3. `missing`: the assays' missing counts as one vector with rows clipped
 *     (models/marginal/assay-missingness.ts; the coordinator sends each group's columns and rarer
 *     state, read off the noisy histograms), L2 sensitivity MISSING_ROW_CLIP, fixed point at
 *     scale S; the coordinator combines them with the histograms, derives the latents and their
 *     CDFs (copulaMarginals) and sends them back.
 *  4. `correlation`: Σ z zᵀ (upper triangle) of the rows' clipped weighted normal scores (the
 *     assay panels' latents weighted down, copulaScoreWeights), L2 sensitivity C² = Σ w²;
 *     encoded with scale S and deterministic rounding, so the encoded sensitivity is
 *     S·C² + sqrt(length). The coordinator forms the correlation matrix
 *     (copulaCorrelation) and writes an ordinary `.hsm` copula model.
 *
 * Budget: the central copula's zCDP shares (copulaShares: 10% edges, 45% 1-way, 10% missing
 * counts, 35% correlation; below ε = 3 on wide tables the missing counts take up to 30% from the
 * correlation),
 * charged once
 * on the federation's ledger (embedded in the model) and, round by round before any data is read,
 * on each site's own ledger. Noise: each site adds σ/√t of every round's noise under distributed
 * DP (any ≥ t contributors give the sum at least σ), all of it with `--secure-agg none`.
 */
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import type { TableSchema } from '../../data/schema';
import { PrivacyLedger } from '../../dp/ledger';
import { HemasynthError } from '../../errors';
import { CopulaMarginals, averageTiedMissingness, copulaCorrelation, copulaMarginals, copulaParts, copulaScoreSum, copulaScoreWeights, panelLatents, squaredScoreClip, tiedMissingness } from '../../models/copula/copula-fit';
import { measureMarginals } from '../../models/marginal/contingency';
import { assayLayout, combineGroupMissingCounts, MISSING_ROW_CLIP, missingFromRareSums, siteRareSums } from '../../models/marginal/assay-missingness';
import { copulaShares } from '../../models/copula/copula-generator';
import { supportNullWhenColumns } from '../../models/copula/null-when-support';
import { applicableConstraints } from '../../models/constraints';
import { missingnessGroupCount, type MissingnessGroup } from '../../models/neural/missingness-groups';
import { saveModel } from '../../models/model-file';
import { DiscreteColumnEncoder, encodeTable, DEFAULT_NUMERIC_BINS } from '../../transform/discretiser';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';
import { DEFAULT_HISTOGRAM_BINS, FederatedDiscretisation, HistogramSpec, federationSchema, numberOption, scaleFor, siteHistograms, splitByColumn } from './federated-discretisation';
import { federatedModelFile, federationPlanner, openFederationLedger } from './federated-model';
import { SiteRoundLedger, type SitePlan } from './site-round-ledger';

/** Fixed-point scale of the score sums (2^-10 resolution, far below their noise). */
const SCORE_SCALE = 2 ** 10;

type Stage = 'histograms' | 'one-way' | 'missing' | 'correlation';

interface CopulaPlan extends SitePlan<Stage> {
  histograms?: HistogramSpec[];
  encoders?: DiscreteColumnEncoder[];
  margins?: CopulaMarginals;
  /** `correlation` round: each latent's weight in the score sum (copulaScoreWeights). */
  weights?: number[];
  /** `correlation` round: the squared row clip (squaredScoreClip), the sum's sensitivity the noise is for. */
  rowClip2?: number;
  /** `missing` round: each group's columns (encoder indices) and whether its rarer state is "present". */
  groups?: number[][];
  rareIsPresent?: boolean[];
}

interface CopulaState {
  federation: string;
  ledger: unknown;
  encoders: DiscreteColumnEncoder[] | null;
  /** The noisy 1-way histograms (per column), until the missing counts are combined into them. */
  oneWay: number[][] | null;
  margins: CopulaMarginals | null;
  scores: { sum: number[]; dl: number; noiseSd: number; weights?: number[] } | null;
  contributors: string[][];
}

/** Number of latents of a copula (value latents, then missingness latents). */
function latentCount(encoders: readonly DiscreteColumnEncoder[], m: CopulaMarginals): number {
  return encoders.length + m.missingLatents.length;
}

/** The coordinator side of the federated copula. */
export class CopulaCoordinatorTask implements CoordinatorTask {
  readonly model = 'copula';
  readonly rounds: number;
  private readonly schema: TableSchema;
  private readonly discretisation: FederatedDiscretisation;
  private readonly stages: Stage[];
  private readonly sigma: Record<Stage, number>;
  private readonly maxSiteRows: number;
  private state: CopulaState;
  private ledger: PrivacyLedger;
  private readonly started = Date.now();

  constructor(readonly o: CoordinatorTaskOptions) {
    const { federation, ledger } = openFederationLedger('copula', o);
    this.ledger = ledger;
    this.schema = federationSchema(o.schemaHint);
    const opts = o.options ?? {};
    const bins = numberOption(opts, 'bins', DEFAULT_NUMERIC_BINS, (v) => Number.isInteger(v) && v >= 2 && v <= 256, 'an integer in [2, 256]');
    const histogramBins = numberOption(opts, 'histogramBins', DEFAULT_HISTOGRAM_BINS, (v) => Number.isInteger(v) && v >= 8 && v <= 4096, 'an integer in [8, 4096]');
    this.maxSiteRows = numberOption(opts, 'maxSiteRows', 1_000_000, (v) => Number.isInteger(v) && v >= 1 && v <= 1e7, 'an integer in [1, 1e7]');
    this.discretisation = new FederatedDiscretisation(this.schema, bins, histogramBins, 'federated copula');
    const h = this.discretisation.histograms.length;
    // The missing-count round only where some modelled column is nullable (from the schema).
    const assays = missingnessGroupCount(this.schema, this.discretisation.modelled);
    this.stages = [...(h ? ['histograms' as const] : []), 'one-way', ...(assays > 0 ? ['missing' as const] : []), 'correlation'];
    this.rounds = this.stages.length;
    const S = copulaShares(o.epsilon, this.discretisation.columns);
    const charged = federationPlanner(this.ledger, o).chargePlan([
      { kind: 'gaussian', share: S.quantiles, count: h, note: `federated copula: noisy histograms for quantile edges (${h})` },
      { kind: 'gaussian', share: S.oneWay, count: this.discretisation.columns, note: `federated copula: noisy 1-way histograms (${this.discretisation.columns})` },
      ...(assays > 0 ? [{ kind: 'gaussian' as const, share: S.missing, count: 1, note: 'federated copula: noisy missing counts by assay (rows clipped)' }] : []),
      { kind: 'gaussian', share: S.correlation, count: 1, note: 'federated copula: noisy normal-scores correlation' },
    ]);
    const sigma = (tag: string) => charged.find((m) => m.note.includes(tag))?.sigma ?? 0;
    this.sigma = { histograms: sigma('quantile edges'), 'one-way': sigma('1-way'), missing: sigma('missing counts'), correlation: sigma('correlation') };
    this.state = { federation, ledger: null, encoders: h ? null : this.discretisation.encoders(), oneWay: null, margins: null, scores: null, contributors: [] };
  }

  /** Noise σ each site adds, in decoded units of a vector whose sensitivity is `sensitivity`. */
  private perSite(stage: Stage, sensitivity: number): number {
    const share = this.o.distributedDp ? Math.sqrt(this.o.threshold) : 1;
    return (this.sigma[stage] * sensitivity) / share;
  }

  planRound(round: number): RoundPlan {
    const stage = this.stages[round];
    if (!stage) throw new HemasynthError(`federated copula has ${this.rounds} rounds; round ${round} was asked for`);
    const base = { federation: this.state.federation, stage, budget: { epsilon: this.o.epsilon, delta: this.o.delta } };
    if (stage === 'histograms') {
      const h = this.discretisation.histograms;
      const perSite = this.perSite(stage, 1), scale = scaleFor(perSite);
      const plan: CopulaPlan = { ...base, histograms: h, mechanism: { kind: 'gaussian', noiseMultiplier: this.sigma.histograms, count: h.length }, note: `federated copula ${this.state.federation}: histograms for quantile edges (${h.length} columns)` };
      return { plan, vectorLength: this.discretisation.histogramLength, format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
    }
    const encoders = this.state.encoders;
    if (!encoders) throw new HemasynthError('federated copula: the encoders are not fitted before the counting rounds');
    if (stage === 'one-way') {
      const perSite = this.perSite(stage, 1), scale = scaleFor(perSite);
      const plan: CopulaPlan = { ...base, encoders, mechanism: { kind: 'gaussian', noiseMultiplier: this.sigma['one-way'], count: encoders.length }, note: `federated copula ${this.state.federation}: 1-way histograms (${encoders.length})` };
      return { plan, vectorLength: encoders.reduce((s, e) => s + e.size, 0), format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
    }
    if (stage === 'missing') {
      const { groups, rareIsPresent } = this.missingLayout(encoders);
      // Encoded sensitivity: S·MISSING_ROW_CLIP plus at most 1 per coordinate from the rounding.
      const encodedSensitivity = SCORE_SCALE * MISSING_ROW_CLIP + Math.sqrt(groups.length);
      const plan: CopulaPlan = { ...base, encoders, groups: groups.map((g) => g.columns), rareIsPresent, mechanism: { kind: 'gaussian', noiseMultiplier: this.sigma.missing, count: 1 }, note: `federated copula ${this.state.federation}: missing counts of ${groups.length} assays (rows clipped)` };
      return { plan, vectorLength: groups.length, format: { scale: SCORE_SCALE, clip: this.maxSiteRows }, noiseSigmaPerSite: this.perSite(stage, encodedSensitivity) };
    }
    const margins = this.state.margins;
    if (!margins) throw new HemasynthError('federated copula: the marginals are not measured before the correlation round');
    const dl = latentCount(encoders, margins);
    const length = (dl * (dl + 1)) / 2;
    // The assay panels' latents weighted down, as centrally (public schema metadata).
    const weights = Array.from(copulaScoreWeights(encoders, this.schema, margins));
    const clip2 = squaredScoreClip(margins, weights);
    // Encoded sensitivity: S·C² (C² the squared row clip, squaredScoreClip: at most Σ w²) plus at most 1 per coordinate from the rounding.
    const encodedSensitivity = SCORE_SCALE * clip2 + Math.sqrt(length);
    const plan: CopulaPlan = { ...base, encoders, margins, weights, rowClip2: clip2, mechanism: { kind: 'gaussian', noiseMultiplier: this.sigma.correlation, count: 1 }, note: `federated copula ${this.state.federation}: normal-scores correlation (${dl} latents)` };
    return { plan, vectorLength: length, format: { scale: SCORE_SCALE, clip: this.maxSiteRows * clip2 }, noiseSigmaPerSite: this.perSite(stage, encodedSensitivity) };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const stage = this.stages[round];
    this.state.contributors[round] = info.contributors;
    if (stage === 'histograms') {
      this.state.encoders = this.discretisation.encoders(sum);
      return { stage, columns: this.discretisation.histograms.length, contributors: info.contributors.length };
    }
    const encoders = this.state.encoders!;
    const share = this.o.distributedDp ? Math.sqrt(this.o.threshold) : 1;
    if (stage === 'one-way') {
      const hist = splitByColumn(sum, encoders);
      this.state.oneWay = hist.map((c) => Array.from(c));
      if (!this.stages.includes('missing')) this.state.margins = this.marginsFrom(encoders, hist);
      return { stage, columns: encoders.length, contributors: info.contributors.length };
    }
    if (stage === 'missing') {
      const hist = (this.state.oneWay ?? []).map((c) => Float64Array.from(c));
      const { groups, rareIsPresent, total } = this.missingLayout(encoders);
      // σ of the noise in the decoded sums of these contributors (as for the correlation below).
      const noiseSd = (this.sigma.missing * (MISSING_ROW_CLIP + Math.sqrt(groups.length) / SCORE_SCALE) * Math.sqrt(info.contributors.length)) / share;
      const oneWayContributors = this.state.contributors[this.stages.indexOf('one-way')]?.length ?? info.contributors.length;
      const sigma1 = (this.sigma['one-way'] * Math.sqrt(oneWayContributors)) / share;
      combineGroupMissingCounts(hist, encoders, this.schema, sigma1, { groups, missing: missingFromRareSums(sum, rareIsPresent, total), sigma: noiseSd });
      this.state.margins = this.marginsFrom(encoders, hist);
      return { stage, assays: groups.length, latents: latentCount(encoders, this.state.margins), contributors: info.contributors.length, noiseSigma: Number(noiseSd.toPrecision(4)) };
    }
    const dl = latentCount(encoders, this.state.margins!);
    const full = new Array<number>(dl * dl).fill(0);
    let at = 0;
    for (let a = 0; a < dl; a++) for (let b = a; b < dl; b++) full[a * dl + b] = sum[at++];
    // σ of the noise in the decoded sum of these contributors.
    const weights = Array.from(copulaScoreWeights(encoders, this.schema, this.state.margins!));
    const noiseSd = (this.sigma.correlation * (squaredScoreClip(this.state.margins!, weights) + Math.sqrt((dl * (dl + 1)) / 2) / SCORE_SCALE) * Math.sqrt(info.contributors.length)) / share;
    this.state.scores = { sum: full, dl, noiseSd, weights };
    return { stage, latents: dl, contributors: info.contributors.length, noiseSigma: Number(noiseSd.toPrecision(4)) };
  }

  /**
   * The latents and their CDFs from the (noisy) histograms, a panel's columns at the panel's mean
   * rate, and the "null when" constraints' conditions at least as likely as their columns' presence,
   * as centrally under DP.
   */
  private marginsFrom(encoders: readonly DiscreteColumnEncoder[], hist: readonly Float64Array[]): CopulaMarginals {
    const margins = copulaMarginals(encoders, hist);
    averageTiedMissingness(margins, tiedMissingness(encoders, this.schema, margins, null));
    supportNullWhenColumns(margins, encoders, applicableConstraints(this.schema, encoders.map((e) => e.column)), new Set());
    return margins;
  }

  /** The assays and their rarer states, read off the noisy 1-way histograms (assayLayout). */
  private missingLayout(encoders: readonly DiscreteColumnEncoder[]): { groups: MissingnessGroup[]; rareIsPresent: boolean[]; total: number } {
    if (!this.state.oneWay) throw new HemasynthError('federated copula: the 1-way histograms are not measured before the missing-count round');
    return assayLayout(this.state.oneWay, encoders, this.schema);
  }

  checkpoint(): unknown {
    return { ...this.state, ledger: this.ledger.toJSON() };
  }

  restore(state: unknown): void {
    const s = state as CopulaState;
    if (!s || typeof s.federation !== 'string' || !Array.isArray(s.contributors)) throw new HemasynthError('federated copula: the checkpoint does not hold a copula task state');
    this.state = { ...s, ledger: null };
    this.ledger = PrivacyLedger.fromJSON(s.ledger);
  }

  finish(out: string): unknown {
    const { encoders, margins, scores } = this.state;
    if (!encoders || !margins || !scores) throw new HemasynthError('federated copula: the correlation round has not completed; no model to write');
    // A panel's missingness latents tied by the schema's sources, as centrally (no data read).
    // Checkpoints from before the weights hold none: every latent weighed 1.
    const weights = scores.weights ? Float64Array.from(scores.weights) : undefined;
    const corr = copulaCorrelation(Float64Array.from(scores.sum), margins, scores.noiseSd, tiedMissingness(encoders, this.schema, margins, null), weights, panelLatents(encoders, this.schema, margins));
    const parts = copulaParts(encoders, margins, corr, Math.sqrt(squaredScoreClip(margins, weights)), { sigma1: this.sigma['one-way'], sigmaMissing: this.sigma.missing * MISSING_ROW_CLIP, sigmaCorrelation: this.sigma.correlation, quantileSigma: this.discretisation.histograms.length ? this.sigma.histograms : null });
    saveModel(out, federatedModelFile({
      model: 'copula', schema: this.schema, parts, epsilon: this.o.epsilon, delta: this.o.delta, seed: null, options: this.o.options ?? {},
      federation: { id: this.state.federation, sites: this.o.sites, threshold: this.o.threshold, distributedDp: this.o.distributedDp, rounds: this.stages, contributors: this.state.contributors },
      started: this.started, ledger: this.ledger,
    }));
    return { out, columns: encoders.length, latents: scores.dl, shrinkage: corr.shrinkage, epsilon: this.ledger.spent().epsilon };
  }
}

/** The site side: charges its own ledger, then measures the round's histograms, counts or score sums. */
export class CopulaSiteTask implements SiteTask {
  private table?: Table;
  private codes?: { key: string; codes: Int32Array[] };
  private readonly ledger: SiteRoundLedger;

  constructor(readonly o: SiteTaskOptions) {
    this.ledger = new SiteRoundLedger(o);
  }

  private data(): Table {
    this.table ??= readArrowFile(this.o.dataFile);
    return this.table;
  }

  private encoded(encoders: DiscreteColumnEncoder[]): Int32Array[] {
    const key = createHash('sha256').update(JSON.stringify(encoders)).digest('hex');
    if (this.codes?.key !== key) this.codes = { key, codes: encodeTable(this.data(), encoders) };
    return this.codes.codes;
  }

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as CopulaPlan;
    if (!plan || !['histograms', 'one-way', 'missing', 'correlation'].includes(plan.stage) || !plan.mechanism || typeof plan.federation !== 'string') throw new HemasynthError('federated copula: malformed round plan from the coordinator');
    this.ledger.chargeRound(plan, ctx.round);
    if (plan.stage === 'histograms') return siteHistograms(this.data(), plan.histograms ?? []);
    const encoders = plan.encoders;
    if (!encoders) throw new HemasynthError('federated copula: a counting plan without encoders');
    const codes = this.encoded(encoders);
    const rows = this.data().numRows;
    if (plan.stage === 'one-way') {
      const counts = measureMarginals({ codes, sizes: encoders.map((e) => e.size), rows }, encoders.map((_, j) => [j]));
      const out = new Float64Array(counts.reduce((s, c) => s + c.length, 0));
      let at = 0;
      for (const c of counts) { out.set(c, at); at += c.length; }
      return out;
    }
    if (plan.stage === 'missing') return siteRareSums(plan.groups, plan.rareIsPresent, codes, rows, encoders, 'federated copula');
    if (!plan.margins) throw new HemasynthError('federated copula: a correlation plan without the marginals');
    const latents = latentCount(encoders, plan.margins);
    const w = plan.weights;
    if (w !== undefined && (!Array.isArray(w) || w.length !== latents || !w.every((x) => typeof x === 'number' && x > 0 && x <= 1))) throw new HemasynthError(`federated copula: a correlation plan whose weights are not ${latents} numbers in (0, 1]`);
    const c2 = plan.rowClip2;
    if (c2 !== undefined && !(typeof c2 === 'number' && Number.isFinite(c2) && c2 > 0)) throw new HemasynthError(`federated copula: a correlation plan whose row clip is not a positive number (${JSON.stringify(c2)})`);
    const { sum, dl } = copulaScoreSum(encoders, codes, rows, plan.margins, w ? Float64Array.from(w) : undefined, c2);
    const out = new Float64Array((dl * (dl + 1)) / 2);
    let at = 0;
    for (let a = 0; a < dl; a++) for (let b = a; b < dl; b++) out[at++] = sum[a * dl + b];
    return out;
  }
}

/** The federated copula protocol's definition for the task registry. */
export const federatedCopula = {
  options: ['bins', 'histogramBins', 'maxSiteRows', 'seed'],
  coordinator: (o: CoordinatorTaskOptions) => new CopulaCoordinatorTask(o),
  site: (o: SiteTaskOptions) => new CopulaSiteTask(o),
};
