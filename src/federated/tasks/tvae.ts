/**
 * The federated `tvae` generator: the TVAE of src/models/tvae (encoder and decoder one model,
 * one privacy unit per row) trained across sites, with secure aggregation of every site's vector.
 *
 * Rounds:
 *  1. `histograms` (only when some numeric column needs data-dependent modes): the federation's
 *     encoders, from noisy summed histograms (tasks/federated-discretisation.ts), so that every
 *     site encodes its rows with the same modes and one-hot layout.
 *  2. `missingness` (when some modelled column is nullable or read by a "null when" constraint;
 *     option `calibrate: false` drops it): the central TVAE's calibration targets, one Σ-fraction
 *     sum per missingness group, a code histogram per constraint-condition or count column and the row
 *     count, summed securely with distributed noise (tasks/federated-missingness.ts explains why
 *     this is a round of its own rather than part of `histograms`: its own σ, and the condition
 *     columns need the encoders). With 12 missingness groups or more a `missing-pilot` round comes
 *     first and the groups' sums are replaced by the sites' clipped, oriented vectors, as centrally. The initial decoder starts at those marginals and, after the
 *     last round, the coordinator calibrates the decoder's output biases to them
 *     (neural/output-calibration.ts, post-processing), as the central TVAE does.
 *  3. R learning rounds with one of two protocols (option `protocol`):
 *     - `secure-dp-sgd` (default with secure aggregation): one DP-SGD step of the pooled rows per
 *       round, the clipped gradient sums summed securely with distributed discrete Gaussian noise
 *       (tasks/secure-dp-sgd.ts); the coordinator applies Adam. The noise is that of central DP-SGD,
 *       so the model matches central training at the same (ε, δ).
 *     - `fedavg` (default with `--secure-agg none`): federated averaging (tasks/fedavg.ts); each
 *       site runs `localSteps` DP-SGD steps with all of the noise locally and sends [n_s·θ_s, n_s];
 *       each site's update is private on its own, at the price of √(sites)× the noise of central
 *       training in the average.
 *
 * Privacy (record-level DP at each site): each site's rows go through the histogram round (a
 * Gaussian mechanism per quantile column, its share added by each site under distributed DP as
 * in the marginal protocol), the missingness round (Gaussian releases of sensitivity 1 with the
 * `missingnessShare` of ε, by default half with the clipped vector, else a quarter, as centrally) and the DP-SGD steps at sampling rate q.
 * The coordinator calibrates σ for the whole plan with the ledger's accountant (PRV by default)
 * so that it composes to the federation's (ε, δ) — the same plan for every site, whatever its
 * size — and every site charges its own ledger, round by round, before reading its data; a site's
 * ledger refuses a plan beyond the site's budget. The calibration of the output biases is
 * post-processing. Trust assumptions are in docs/federation.md.
 */
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { readArrowFile } from '../../data/arrow-file';
import type { TableSchema } from '../../data/schema';
import { PrivacyLedger } from '../../dp/ledger';
import { HemasynthError, UsageError, describeValue } from '../../errors';
import type { TrainedParts } from '../../models/generator';
import { saveModel } from '../../models/model-file';
import { chargeNeuralPlan, defaultMissingnessShare } from '../../models/neural/privacy-budget';
import { networkParameterCount } from '../../models/neural/generator-network';
import { dpMarginalTargets, type DpMarginals } from '../../models/neural/missingness-groups';
import { noiseRows } from '../../models/neural/neural-sampling';
import { CALIBRATION_ROWS, startBiases } from '../../models/neural/output-calibration';
import { encodeRows, rowLayout, type RowLayout } from '../../models/neural/row-layout';
import { TVAE_DEFAULTS, tvaeDecoderNetwork, tvaeModelSpec, tvaeParts, withTiedMissingness } from '../../models/tvae/tvae-generator';
import { tiedColumnGroups } from '../../models/neural/tied-missingness';
import { createTrainer } from '../../nn/create';
import type { DiscreteColumnEncoder } from '../../transform/discretiser';
import { DEFAULT_NUMERIC_BINS } from '../../transform/discretiser';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';
import { FedAvgCoordinatorTask, FedAvgSiteTask } from './fedavg';
import { SecureDpSgdCoordinatorTask, SecureDpSgdSiteTask } from './secure-dp-sgd';
import { DEFAULT_HISTOGRAM_BINS, FederatedDiscretisation, HistogramSpec, checkRounds, federationSchema, optionReaders, scaleFor, siteHistograms } from './federated-discretisation';
import { FEDERATED_CALIBRATION_SEED, FederatedMissingness, calibrateToMarginals, siteMissingnessVector, type MissingnessRoundPlan } from './federated-missingness';
import { federatedModelFile, federationPlanner, openFederationLedger } from './federated-model';
import { SiteRoundLedger, type SitePlan } from './site-round-ledger';

/** Defaults of the federated TVAE (the network's are the central TVAE's). */
export const FEDERATED_TVAE_DEFAULTS = { rounds: 100, localSteps: 5, sampleRate: 0.25, maxGradNorm: 1, maxSiteRows: 1_000_000, parameterClip: 64 } as const;

/** Learning protocols of the federated TVAE. */
export type TvaeProtocol = 'secure-dp-sgd' | 'fedavg';

/** The VAE every site builds from the plan. */
interface TvaeArchitecture {
  embedding: number;
  compress: number[];
  decompress: number[];
  lossFactor: number;
  alphaSigma: number;
}

/** DP-SGD and optimiser settings every site uses. */
interface TvaeTraining {
  learningRate: number;
  weightDecay: number;
  maxGradNorm: number;
  noiseMultiplier: number;
  sampleRate: number;
  /** DP-SGD steps per site per round (1 for secure-dp-sgd). */
  localSteps: number;
  protocol: TvaeProtocol;
}

type Stage = 'histograms' | 'missing-pilot' | 'missingness' | 'learn';

/** What the sites receive in a round's plan. */
interface TvaePlan extends SitePlan<Stage> {
  histograms?: HistogramSpec[];
  encoders?: DiscreteColumnEncoder[];
  missingness?: MissingnessRoundPlan;
  architecture?: TvaeArchitecture;
  training?: TvaeTraining;
  /** The learning protocol's own plan (global parameters, clips). */
  learner?: unknown;
}

interface TvaeState {
  federation: string;
  ledger: unknown;
  encoders: DiscreteColumnEncoder[] | null;
  /** The `missing-pilot` round's noisy sum (null before it, or without one). */
  pilot: number[] | null;
  /** The `missingness` round's noisy sum (null before it, or without one). */
  missingness: number[] | null;
  learner: unknown;
  contributors: string[][];
}

/** The VAE of an architecture over a row layout. */
function vaeSpec(layout: RowLayout, a: TvaeArchitecture) {
  return tvaeModelSpec(layout, a.embedding, { compress: a.compress, decompress: a.decompress }, a.lossFactor, 1, a.alphaSigma);
}

/**
 * The TVAE model parts (decoder weights, generator configuration, ONNX graph) from the whole
 * VAE's parameters: the decoder is the tail of the parameter vector. With released marginals the
 * decoder's output biases are first calibrated to them (post-processing, as the central TVAE).
 * @example tvaePartsFromParameters(encoders, architecture, parameters, { rounds: 30 })
 */
export function tvaePartsFromParameters(encoders: DiscreteColumnEncoder[], a: TvaeArchitecture, all: Float32Array, training: Record<string, unknown>, marginals: DpMarginals | null = null): TrainedParts {
  const { decoder, raw } = vaeSpec(rowLayout(encoders), a);
  const network = tvaeDecoderNetwork(a.embedding, decoder, raw);
  const count = networkParameterCount(network);
  if (count > all.length) throw new HemasynthError(`federated tvae: ${all.length} parameters cannot hold a decoder of ${count}`);
  let parameters: Float32Array = all.slice(all.length - count);
  let calibration: Record<string, unknown> | null = null;
  if (marginals) {
    // Over the inputs sampling draws: prior noise (neural/output-calibration.ts).
    ({ parameters, calibration } = calibrateToMarginals(network, parameters, raw, encoders, [noiseRows(FEDERATED_CALIBRATION_SEED, 0, CALIBRATION_ROWS, a.embedding)], marginals));
  }
  return tvaeParts(encoders, raw, network, a.embedding, parameters, 'auto', {
    ...training, compressDims: a.compress, decompressDims: a.decompress, embeddingDim: a.embedding, lossFactor: a.lossFactor, alphaSigma: a.alphaSigma, calibration,
  });
}

/** The coordinator side: the encoders' histogram round, the missingness round, then secure DP-SGD or federated averaging of the VAE. */
export class TvaeCoordinatorTask implements CoordinatorTask {
  readonly model = 'tvae';
  readonly rounds: number;
  private readonly schema: TableSchema;
  private readonly discretisation: FederatedDiscretisation;
  private readonly missingness: FederatedMissingness;
  private readonly stages: Stage[];
  private readonly fedavgRounds: number;
  private readonly architecture: TvaeArchitecture;
  private readonly training: TvaeTraining;
  private readonly histogramSigma: number;
  private readonly missingnessSigma: number;
  private readonly maxSiteRows: number;
  private readonly parameterClip: number;
  private readonly seed: number | null;
  private learner: FedAvgCoordinatorTask | SecureDpSgdCoordinatorTask | null = null;
  private marginals: DpMarginals | null = null;
  private state: TvaeState;
  private ledger: PrivacyLedger;
  private readonly started = Date.now();

  constructor(readonly o: CoordinatorTaskOptions) {
    const { federation, ledger } = openFederationLedger('tvae', o);
    this.ledger = ledger;
    checkRounds(o.rounds);
    this.schema = federationSchema(o.schemaHint);
    const opts = o.options ?? {};
    const { int, real, bool } = optionReaders(opts);
    const bins = int('bins', DEFAULT_NUMERIC_BINS, 2, 200);
    this.discretisation = new FederatedDiscretisation(this.schema, bins, int('histogramBins', DEFAULT_HISTOGRAM_BINS, 8, 4096), 'federated tvae');
    this.missingness = new FederatedMissingness(this.schema, this.discretisation.modelled, bool('calibrate', true));
    this.fedavgRounds = o.rounds;
    this.stages = [
      ...(this.discretisation.histograms.length > 0 ? ['histograms' as const] : []), ...(this.missingness.pilot ? ['missing-pilot' as const] : []), ...(this.missingness.active ? ['missingness' as const] : []),
      ...Array.from({ length: o.rounds }, () => 'learn' as const),
    ];
    this.rounds = this.stages.length;
    const width = int('embeddingDim', TVAE_DEFAULTS.embeddingDim, 1, 4096);
    const dims = (key: string, fallback: readonly number[]) => {
      const v = opts[key];
      if (v === undefined) return [...fallback];
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x >= 1 && x <= 8192)) throw new UsageError(`Expected a list of layer widths in [1, 8192] for option ${key} but received ${describeValue(v)}`);
      return v as number[];
    };
    this.architecture = {
      embedding: width, compress: dims('compressDims', TVAE_DEFAULTS.compressDims), decompress: dims('decompressDims', TVAE_DEFAULTS.decompressDims),
      lossFactor: real('lossFactor', TVAE_DEFAULTS.lossFactor, 0, 1e6), alphaSigma: real('alphaSigma', TVAE_DEFAULTS.alphaSigma, 0, 1e6),
    };
    const protocolOption = opts.protocol ?? (o.distributedDp ? 'secure-dp-sgd' : 'fedavg');
    if (protocolOption !== 'secure-dp-sgd' && protocolOption !== 'fedavg') throw new UsageError(`Expected secure-dp-sgd or fedavg for option protocol but received ${describeValue(protocolOption)}`);
    const protocol: TvaeProtocol = protocolOption;
    if (protocol === 'secure-dp-sgd' && opts.localSteps !== undefined) throw new UsageError('Expected no localSteps option with protocol secure-dp-sgd (one DP-SGD step per round) but received one');
    const localSteps = protocol === 'fedavg' ? int('localSteps', FEDERATED_TVAE_DEFAULTS.localSteps, 1, 100_000) : 1;
    const sampleRate = real('sampleRate', FEDERATED_TVAE_DEFAULTS.sampleRate, 0, 1);
    this.maxSiteRows = int('maxSiteRows', FEDERATED_TVAE_DEFAULTS.maxSiteRows, 1, 10_000_000);
    this.parameterClip = real('parameterClip', FEDERATED_TVAE_DEFAULTS.parameterClip, 0, 1e4);
    this.seed = typeof opts.seed === 'number' ? opts.seed : null;
    const planner = federationPlanner(this.ledger, o);
    // The whole plan (histograms, missingness round, DP-SGD) composes to the federation's (ε, δ).
    const dp = chargeNeuralPlan(planner, {
      model: 'federated tvae', quantileColumns: 0, countReleases: this.discretisation.histograms.length, countNote: 'noisy histograms for the quantile edges',
      missingnessReleases: this.missingness.releases, missingnessShare: real('missingnessShare', defaultMissingnessShare(this.missingness.pilot), 0, 0.5),
      sampleRate, steps: this.fedavgRounds * localSteps, preprocessingShare: real('preprocessingShare', 0.1, 0, 0.9),
    });
    this.histogramSigma = dp.countSigma ?? 0;
    this.missingnessSigma = dp.missingnessSigma ?? 0;
    this.training = {
      learningRate: real('learningRate', 1e-3, 0, 1), weightDecay: TVAE_DEFAULTS.weightDecay, maxGradNorm: real('maxGradNorm', FEDERATED_TVAE_DEFAULTS.maxGradNorm, 0, 1e6),
      noiseMultiplier: dp.noiseMultiplier, sampleRate, localSteps, protocol,
    };
    this.state = { federation, ledger: null, encoders: null, pilot: null, missingness: null, learner: null, contributors: [] };
    if (this.stages[0] === 'learn') this.startAveraging(this.discretisation.encoders());
    else this.state.encoders = this.discretisation.encoders();
  }

  /** Fixes the encoders and the initial VAE (its output biases at the released marginals, as the central TVAE starts). */
  private startAveraging(encoders: DiscreteColumnEncoder[]): void {
    this.state.encoders = encoders;
    const { spec, raw } = vaeSpec(rowLayout(encoders), this.architecture);
    // Initial weights are public (no data): seeded when the federation is, else from the OS.
    const initial = createTrainer(spec, { backend: 'js', ...(this.seed !== null ? { seed: this.seed } : {}) }).getParameters();
    // The decoder's output layer is the VAE's last: its biases end the parameter vector.
    if (this.marginals) startBiases(initial, initial.length - raw.width, raw, encoders, dpMarginalTargets(encoders, this.marginals, encoders.map((e) => new Float64Array(e.size).fill(1 / e.size))));
    const t = this.training;
    this.learner = t.protocol === 'fedavg'
      ? new FedAvgCoordinatorTask({ model: 'tvae', rounds: this.fedavgRounds, initialParameters: initial, parameterClip: this.parameterClip, maxSiteRows: this.maxSiteRows })
      : new SecureDpSgdCoordinatorTask({
        model: 'tvae', rounds: this.fedavgRounds, initialParameters: initial, maxSiteRows: this.maxSiteRows, threshold: this.o.threshold, distributedNoise: this.o.distributedDp,
        optimizer: { kind: 'adam', learningRate: t.learningRate, weightDecay: t.weightDecay },
        dp: { noiseMultiplier: t.noiseMultiplier, maxGradNorm: t.maxGradNorm, sampleRate: t.sampleRate },
      });
  }

  /** A round's per-site share of the total σ: all of it without distributed DP. */
  private perSiteSigma(sigma: number): number {
    return this.o.distributedDp ? sigma / Math.sqrt(this.o.threshold) : sigma;
  }

  planRound(round: number): RoundPlan {
    const stage = this.stages[round];
    if (!stage) throw new HemasynthError(`federated tvae has ${this.rounds} rounds; round ${round} was asked for`);
    const base = { federation: this.state.federation, budget: { epsilon: this.o.epsilon, delta: this.o.delta } };
    if (stage === 'histograms') {
      const perSite = this.perSiteSigma(this.histogramSigma);
      const scale = scaleFor(perSite);
      const h = this.discretisation.histograms;
      const plan: TvaePlan = {
        ...base, stage: 'histograms', histograms: h,
        mechanism: { kind: 'gaussian', noiseMultiplier: this.histogramSigma, count: h.length },
        note: `federated tvae ${this.state.federation}: histograms for quantile edges (${h.length} columns)`,
      };
      return { plan, vectorLength: this.discretisation.histogramLength, format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
    }
    const encoders = this.state.encoders;
    if (!encoders) throw new HemasynthError('federated tvae: the encoders are not fitted before the missingness and learning rounds');
    const rounds = { model: 'tvae', federation: this.state.federation, sigma: this.missingnessSigma, perSiteSigma: this.perSiteSigma(this.missingnessSigma), maxSiteRows: this.maxSiteRows };
    if (stage === 'missing-pilot') {
      const { fields, ...round } = this.missingness.openPilot(encoders, rounds);
      const plan: TvaePlan = { ...base, stage, ...fields };
      return { plan, ...round };
    }
    if (stage === 'missingness') {
      const { fields, ...round } = this.missingness.openRound(encoders, rounds, this.missingness.orientation(this.state.pilot));
      const plan: TvaePlan = { ...base, stage: 'missingness', ...fields };
      return { plan, ...round };
    }
    if (!this.learner) throw new HemasynthError('federated tvae: the missing rates are not measured before the learning rounds');
    const inner = this.learner.planRound(this.averagingRound(round));
    const t = this.training;
    const plan: TvaePlan = {
      ...base, stage: 'learn', encoders, architecture: this.architecture, training: t, learner: inner.plan,
      mechanism: { kind: 'subsampled-gaussian', noiseMultiplier: t.noiseMultiplier, sampleRate: t.sampleRate, steps: t.localSteps },
      note: `federated tvae ${this.state.federation} round ${round}: ${t.localSteps} DP-SGD steps`,
    };
    return { ...inner, plan };
  }

  private averagingRound(round: number): number {
    return round - this.stages.indexOf('learn');
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const stage = this.stages[round];
    if (!stage) throw new HemasynthError(`federated tvae has ${this.rounds} rounds; round ${round} was absorbed`);
    this.state.contributors[round] = info.contributors;
    if (stage === 'histograms') {
      const encoders = this.discretisation.encoders(sum);
      if (this.missingness.active) this.state.encoders = encoders;
      else this.startAveraging(encoders);
      return { stage, columns: this.discretisation.histograms.length, contributors: info.contributors.length };
    }
    if (stage === 'missing-pilot') {
      this.state.pilot = Array.from(sum);
      return { stage, groups: this.state.pilot.length - 1, contributors: info.contributors.length };
    }
    if (stage === 'missingness') {
      this.state.missingness = Array.from(sum);
      this.marginals = this.missingness.marginals(this.state.encoders!, sum, this.missingnessSigma, this.missingness.orientation(this.state.pilot));
      this.startAveraging(this.state.encoders!);
      return { stage, groups: this.marginals.groups.length, conditionColumns: this.marginals.full.size, contributors: info.contributors.length };
    }
    return { stage: this.training.protocol, ...(this.learner!.absorbRound(this.averagingRound(round), sum, info) as object) };
  }

  checkpoint(): unknown {
    return { ...this.state, ledger: this.ledger.toJSON(), learner: this.learner?.checkpoint() ?? null };
  }

  restore(raw: unknown): void {
    const s = raw as TvaeState;
    if (!s || typeof s.federation !== 'string' || !Array.isArray(s.contributors)) throw new HemasynthError('federated tvae: the checkpoint does not hold a tvae task state');
    this.ledger = PrivacyLedger.fromJSON(s.ledger);
    this.state = { ...s, pilot: s.pilot ?? null, missingness: s.missingness ?? null, ledger: null };
    this.learner = null;
    this.marginals = s.encoders && s.missingness ? this.missingness.marginals(s.encoders, s.missingness, this.missingnessSigma, this.missingness.orientation(this.state.pilot)) : null;
    if (s.encoders && (!this.missingness.active || this.marginals)) {
      this.startAveraging(s.encoders);
      if (s.learner) this.learner!.restore(s.learner);
    }
  }

  finish(out: string): unknown {
    if (!this.learner || !this.state.encoders) throw new HemasynthError('federated tvae: no averaging round completed; no model to write');
    const t = this.training;
    // The schema's assay panels are sampled missing together (public metadata: no data read).
    const parts = withTiedMissingness(tvaePartsFromParameters(this.state.encoders, this.architecture, this.learner.parameters, {
      backend: 'federated', protocol: t.protocol, rounds: this.fedavgRounds, localSteps: t.localSteps, learningRate: t.learningRate, bins: this.discretisation.bins,
      dp: { noiseMultiplier: t.noiseMultiplier, maxGradNorm: t.maxGradNorm, sampleRate: t.sampleRate, stepsPerSite: this.fedavgRounds * t.localSteps, missingnessSigma: this.marginals ? this.missingnessSigma : null, accountant: this.ledger.accountant },
    }, this.marginals), tiedColumnGroups(this.state.encoders, this.schema, null));
    saveModel(out, federatedModelFile({
      model: 'tvae', schema: this.schema, parts, epsilon: this.o.epsilon, delta: this.o.delta, seed: this.seed, options: this.o.options ?? {},
      federation: {
        id: this.state.federation, sites: this.o.sites, threshold: this.o.threshold, distributedDp: this.o.distributedDp,
        rounds: this.rounds, contributors: this.state.contributors,
      },
      started: this.started, ledger: this.ledger,
    }));
    return { out, columns: this.state.encoders.length, parameters: this.learner.parameters.length, epsilon: this.ledger.spent().epsilon };
  }
}

/** The site side: histograms for the encoders, the missingness sums, then local DP-SGD from the global VAE. */
export class TvaeSiteTask implements SiteTask {
  private table?: Table;
  private encoded?: { key: string; rows: Float32Array; codes: Int32Array[] };
  private readonly ledger: SiteRoundLedger;
  private learner?: { key: string; task: FedAvgSiteTask | SecureDpSgdSiteTask };

  constructor(readonly o: SiteTaskOptions) {
    this.ledger = new SiteRoundLedger(o);
  }

  private data(): Table {
    this.table ??= readArrowFile(this.o.dataFile);
    return this.table;
  }

  /** The site's rows under the federation's encoders (encoded once for the missingness and learning rounds). */
  private rows(encoders: DiscreteColumnEncoder[]): { rows: Float32Array; codes: Int32Array[] } {
    const key = createHash('sha256').update(JSON.stringify(encoders)).digest('hex');
    if (this.encoded?.key !== key) this.encoded = { key, ...encodeRows(this.data(), encoders, rowLayout(encoders)) };
    return this.encoded;
  }

  async localVector(raw: unknown, ctx: SiteRoundContext): Promise<Float64Array> {
    const plan = raw as TvaePlan;
    if (!plan || !['histograms', 'missing-pilot', 'missingness', 'learn'].includes(plan.stage) || !plan.mechanism || typeof plan.federation !== 'string') throw new HemasynthError('federated tvae: malformed round plan from the coordinator');
    if (plan.stage === 'histograms') {
      this.ledger.chargeRound(plan, ctx.round);
      return siteHistograms(this.data(), plan.histograms ?? []);
    }
    if (plan.stage === 'missing-pilot' || plan.stage === 'missingness') {
      if (!plan.encoders) throw new HemasynthError('federated tvae: a missingness plan without encoders');
      // Charged before the rows are read.
      this.ledger.chargeRound(plan, ctx.round);
      return siteMissingnessVector(plan.missingness, plan.encoders, this.rows(plan.encoders).codes, this.data().numRows, 'federated tvae');
    }
    const { encoders, architecture: a, training: t } = plan;
    if (!encoders || !a || !t) throw new HemasynthError('federated tvae: an averaging plan without encoders, architecture or training settings');
    const key = createHash('sha256').update(JSON.stringify([plan.federation, encoders, a, t])).digest('hex');
    if (this.learner?.key !== key) {
      const layout = rowLayout(encoders);
      const spec = vaeSpec(layout, a).spec;
      // Read only after the learner has charged the round to this site's ledger.
      const load = () => {
        const { rows } = this.rows(encoders);
        return { x: rows, y: rows, rows: this.data().numRows };
      };
      const ledger = this.ledger.open(plan.budget);
      const task = t.protocol === 'fedavg'
        ? new FedAvgSiteTask({
          site: this.o.site, spec, load, localSteps: t.localSteps, ledger, datasetFingerprint: this.ledger.fingerprint,
          trainer: {
            backend: 'auto',
            optimizer: { kind: 'adam', learningRate: t.learningRate, weightDecay: t.weightDecay },
            dp: { noiseMultiplier: t.noiseMultiplier, maxGradNorm: t.maxGradNorm, sampleRate: t.sampleRate },
          },
        })
        : new SecureDpSgdSiteTask({ spec, load, ledger, datasetFingerprint: this.ledger.fingerprint, trainer: { backend: 'auto' }, note: `federated tvae ${plan.federation}` });
      this.learner = { key, task };
    }
    return this.learner.task.localVector(plan.learner, ctx);
  }
}

/** The federated TVAE protocol's definition for the task registry. */
export const federatedTvae = {
  options: ['alphaSigma', 'bins', 'calibrate', 'compressDims', 'decompressDims', 'embeddingDim', 'histogramBins', 'learningRate', 'localSteps', 'lossFactor', 'maxGradNorm', 'maxSiteRows', 'missingnessShare', 'parameterClip', 'preprocessingShare', 'protocol', 'sampleRate', 'seed'],
  defaultRounds: FEDERATED_TVAE_DEFAULTS.rounds,
  coordinator: (o: CoordinatorTaskOptions) => new TvaeCoordinatorTask(o),
  site: (o: SiteTaskOptions) => new TvaeSiteTask(o),
};
