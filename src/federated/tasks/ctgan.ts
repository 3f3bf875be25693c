/**
 * The federated `ctgan` generator: the CTGAN of src/models/ctgan with its WGAN-GP critic trained
 * by secure DP-SGD across sites (tasks/secure-dp-sgd.ts) and its generator trained at the
 * coordinator through the critic alone (post-processing: the generator never sees a row).
 *
 * Rounds:
 *  1. `histograms` (only when some numeric column needs data-dependent modes): the encoders
 *     (tasks/federated-discretisation.ts).
 *  2. `counts`: every column's code counts (sensitivity 1 per column), summed with distributed
 *     noise; they give the conditional vector's frequencies and the generator's initial output
 *     biases, as the central DP CTGAN's noisy counts do.
 *  3. `missingness` (when some modelled column is nullable or read by a "null when" constraint;
 *     option `calibrate: false` drops it): the central CTGAN's calibration targets, one Σ-fraction
 *     sum per missingness group, a code histogram per constraint-condition or count column and the row
 *     count, summed securely with distributed noise (tasks/federated-missingness.ts). It is a
 *     round of its own, not part of `counts`, because a round carries one σ and these releases
 *     have their own share of ε (`missingnessShare`: by default half with the clipped vector, else a quarter, as in the central model).
 *     With 12 missingness groups or more a `missing-pilot` round comes first and the groups' sums
 *     are replaced by the sites' clipped, oriented vectors, as centrally (federated-missingness.ts).
 *  4. R learning rounds, one critic DP-SGD step each: every site Poisson-samples its rows at rate
 *     q, conditions each on a uniformly chosen discrete column and its own code (so nothing but the
 *     record enters its sample), generates a row for that condition with the round's generator,
 *     and sends the sum of the clipped per-sample critic gradients over the triples (real,
 *     generated, interpolate), as the central DP CTGAN with pac 1 (ctganCriticBatch). The
 *     coordinator applies Adam to the critic, then one generator step through it
 *     (ctganGeneratorStep).
 *
 * After the last round the coordinator calibrates the generator's output biases to the released
 * missing rates and condition-column histograms (neural/output-calibration.ts over the noise and
 * conditions sampling draws), the central model's last step.
 *
 * Privacy: the histograms, counts and missingness releases (Gaussian mechanisms) and the R
 * subsampled-Gaussian critic steps are calibrated together to the federation's (ε, δ) and charged
 * to every site's ledger before it reads its data. The generated rows and the calibration are
 * post-processing of earlier releases.
 */
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';
import type { Backend } from '../../backend/backend';
import { resolveHostOps } from '../../backend/resolve';
import { readArrowFile } from '../../data/arrow-file';
import type { TableSchema } from '../../data/schema';
import { CryptoRandom } from '../../dp/noise';
import { PrivacyLedger } from '../../dp/ledger';
import { HemasynthError, UsageError, describeValue } from '../../errors';
import { withTiedMissingness } from '../../models/tvae/tvae-generator';
import { tiedColumnGroups } from '../../models/neural/tied-missingness';
import { CTGAN_DEFAULTS, CtganShape, ctganCriticBatch, ctganCriticSpec, ctganGeneratorNetwork, ctganGeneratorStep, ctganParts, ctganRawLayout, startAtCodeFrequencies } from '../../models/ctgan/ctgan-generator';
import { ConditionalVector, conditionalVector, samplingConditions } from '../../models/ctgan/conditional-vector';
import { networkModelSpec } from '../../models/neural/generator-network';
import type { DpMarginals } from '../../models/neural/missingness-groups';
import { noiseRows } from '../../models/neural/neural-sampling';
import { CALIBRATION_ROWS } from '../../models/neural/output-calibration';
import { chargeNeuralPlan, defaultMissingnessShare } from '../../models/neural/privacy-budget';
import { encodeRows, rowLayout } from '../../models/neural/row-layout';
import { saveModel } from '../../models/model-file';
import { SamplingRandom, samplingSeed } from '../../models/sampling-random';
import { createTrainer } from '../../nn/create';
import type { Trainer } from '../../nn/trainer';
import { DiscreteColumnEncoder, DEFAULT_NUMERIC_BINS } from '../../transform/discretiser';
import type { AggregateInfo, CoordinatorTask, CoordinatorTaskOptions, RoundPlan, SiteRoundContext, SiteTask, SiteTaskOptions } from '../task';
import { DEFAULT_HISTOGRAM_BINS, FederatedDiscretisation, HistogramSpec, checkRounds, federationSchema, optionReaders, scaleFor, siteHistograms, splitByColumn } from './federated-discretisation';
import { FEDERATED_CALIBRATION_SEED, FederatedMissingness, calibrateToMarginals, siteMissingnessVector, type MissingnessRoundPlan } from './federated-missingness';
import { federatedModelFile, federationPlanner, openFederationLedger } from './federated-model';
import { SecureDpSgdCoordinatorTask, SecureDpSgdSiteTask } from './secure-dp-sgd';
import { SiteRoundLedger, type SitePlan } from './site-round-ledger';

/** Defaults of the federated CTGAN (the networks' are the central CTGAN's). */
export const FEDERATED_CTGAN_DEFAULTS = { rounds: 300, sampleRate: 0.25, maxGradNorm: 1, maxSiteRows: 1_000_000 } as const;

type Stage = 'histograms' | 'counts' | 'missing-pilot' | 'missingness' | 'learn';

interface CtganPlan extends SitePlan<Stage> {
  histograms?: HistogramSpec[];
  encoders?: DiscreteColumnEncoder[];
  missingness?: MissingnessRoundPlan;
  conditional?: ConditionalVector;
  embedding?: number;
  /** The round's generator parameters (base64 float32). */
  generator?: string;
  learner?: unknown;
}

interface CtganState {
  federation: string;
  ledger: unknown;
  encoders: DiscreteColumnEncoder[] | null;
  counts: number[][] | null;
  /** The `missing-pilot` round's noisy sum (null before it, or without one). */
  pilot: number[] | null;
  /** The `missingness` round's noisy sum (null before it, or without one). */
  missingness: number[] | null;
  generator: number[] | null;
  learner: unknown;
  contributors: string[][];
}

const base64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

/** The coordinator side: encoders, noisy counts, then critic steps by secure DP-SGD and generator steps through the critic. */
export class CtganCoordinatorTask implements CoordinatorTask {
  readonly model = 'ctgan';
  readonly rounds: number;
  private readonly schema: TableSchema;
  private readonly discretisation: FederatedDiscretisation;
  private readonly missingness: FederatedMissingness;
  private readonly stages: Stage[];
  private readonly learnRounds: number;
  private readonly embedding: number;
  private readonly sampleRate: number;
  private readonly maxGradNorm: number;
  private readonly maxSiteRows: number;
  private readonly countSigma: number;
  private readonly missingnessSigma: number;
  private readonly noiseMultiplier: number;
  private readonly seed: number | null;
  private readonly rng: SamplingRandom;
  private readonly ops: Backend;
  private shape: CtganShape | null = null;
  private G: Trainer | null = null;
  private critic: Trainer | null = null;
  private learner: SecureDpSgdCoordinatorTask | null = null;
  private marginals: DpMarginals | null = null;
  private state: CtganState;
  private ledger: PrivacyLedger;
  private readonly started = Date.now();

  constructor(readonly o: CoordinatorTaskOptions) {
    const { federation, ledger } = openFederationLedger('ctgan', o);
    this.ledger = ledger;
    checkRounds(o.rounds);
    this.schema = federationSchema(o.schemaHint);
    const opts = o.options ?? {};
    const { int, real, bool } = optionReaders(opts);
    if (opts.pac !== undefined && opts.pac !== 1) throw new UsageError(`Expected pac 1 for a DP ctgan (a packed critic sample would hold several records) but received ${describeValue(opts.pac)}`);
    this.discretisation = new FederatedDiscretisation(this.schema, int('bins', DEFAULT_NUMERIC_BINS, 2, 200), int('histogramBins', DEFAULT_HISTOGRAM_BINS, 8, 4096), 'federated ctgan');
    const h = this.discretisation.histograms.length;
    this.missingness = new FederatedMissingness(this.schema, this.discretisation.modelled, bool('calibrate', true));
    this.learnRounds = o.rounds;
    this.stages = [
      ...(h ? ['histograms' as const] : []), 'counts', ...(this.missingness.pilot ? ['missing-pilot' as const] : []), ...(this.missingness.active ? ['missingness' as const] : []),
      ...Array.from({ length: o.rounds }, () => 'learn' as const),
    ];
    this.rounds = this.stages.length;
    this.embedding = int('embeddingDim', CTGAN_DEFAULTS.embeddingDim, 1, 4096);
    this.sampleRate = real('sampleRate', FEDERATED_CTGAN_DEFAULTS.sampleRate, 0, 1);
    this.maxGradNorm = real('maxGradNorm', FEDERATED_CTGAN_DEFAULTS.maxGradNorm, 0, 1e6);
    this.maxSiteRows = int('maxSiteRows', FEDERATED_CTGAN_DEFAULTS.maxSiteRows, 1, 10_000_000);
    this.seed = typeof opts.seed === 'number' ? opts.seed : null;
    // The generator side (noise, Gumbel, conditions) is post-processing: a sampling PRNG.
    this.rng = new SamplingRandom(samplingSeed(this.seed ?? undefined), 0x6000);
    this.ops = resolveHostOps('auto');
    // The whole plan (histograms, counts, missingness round, critic steps) composes to the federation's (ε, δ).
    const dp = chargeNeuralPlan(federationPlanner(this.ledger, o), {
      model: 'federated ctgan', quantileColumns: 0, countReleases: h + this.discretisation.columns, countNote: 'noisy histograms for the quantile edges and code counts of every column',
      missingnessReleases: this.missingness.releases, missingnessShare: real('missingnessShare', defaultMissingnessShare(this.missingness.pilot), 0, 0.5),
      sampleRate: this.sampleRate, steps: o.rounds, preprocessingShare: real('preprocessingShare', 0.1, 0, 0.9),
    });
    this.countSigma = dp.countSigma as number;
    this.missingnessSigma = dp.missingnessSigma ?? 0;
    this.noiseMultiplier = dp.noiseMultiplier;
    this.state = { federation, ledger: null, encoders: h ? null : this.discretisation.encoders(), counts: null, pilot: null, missingness: null, generator: null, learner: null, contributors: [] };
  }

  /** The networks once the encoders and counts are known. */
  private build(encoders: DiscreteColumnEncoder[], counts: number[][], generator: number[] | null): void {
    const layout = rowLayout(encoders);
    const cv = conditionalVector(encoders, (j) => counts[j]);
    this.shape = { layout, cv, embedding: this.embedding, pac: 1 };
    const D = layout.width, C = cv.width;
    const optimizer = { kind: 'adam' as const, learningRate: CTGAN_DEFAULTS.learningRate, beta1: CTGAN_DEFAULTS.beta1, beta2: CTGAN_DEFAULTS.beta2, weightDecay: CTGAN_DEFAULTS.weightDecay };
    const seeded = this.seed !== null ? { seed: this.seed } : {};
    this.G = createTrainer(networkModelSpec(ctganGeneratorNetwork(this.embedding, C, D)), { backend: 'auto', optimizer, ...seeded });
    if (generator) this.G.setParameters(Float32Array.from(generator));
    else startAtCodeFrequencies(this.G, layout, counts);
    // The coordinator's critic only evaluates input gradients for the generator step; its
    // parameters are the securely trained ones.
    this.critic = createTrainer(ctganCriticSpec(D + C), { backend: 'auto', optimizer, ...(this.seed !== null ? { seed: this.seed + 1 } : {}) });
    this.learner = new SecureDpSgdCoordinatorTask({
      model: 'ctgan', rounds: this.learnRounds, initialParameters: this.critic.getParameters(), maxSiteRows: this.maxSiteRows, threshold: this.o.threshold,
      distributedNoise: this.o.distributedDp, optimizer, dp: { noiseMultiplier: this.noiseMultiplier, maxGradNorm: this.maxGradNorm, sampleRate: this.sampleRate },
    });
  }

  /** A round's per-site share of the total σ: all of it without distributed DP. */
  private perSiteSigma(sigma: number): number {
    return this.o.distributedDp ? sigma / Math.sqrt(this.o.threshold) : sigma;
  }

  private firstLearnRound(): number {
    return this.stages.indexOf('learn');
  }

  planRound(round: number): RoundPlan {
    const stage = this.stages[round];
    if (!stage) throw new HemasynthError(`federated ctgan has ${this.rounds} rounds; round ${round} was asked for`);
    const base = { federation: this.state.federation, stage, budget: { epsilon: this.o.epsilon, delta: this.o.delta } };
    const perSite = this.perSiteSigma(this.countSigma), scale = scaleFor(perSite);
    if (stage === 'histograms') {
      const h = this.discretisation.histograms;
      const plan: CtganPlan = { ...base, histograms: h, mechanism: { kind: 'gaussian', noiseMultiplier: this.countSigma, count: h.length }, note: `federated ctgan ${this.state.federation}: histograms for quantile edges (${h.length} columns)` };
      return { plan, vectorLength: this.discretisation.histogramLength, format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
    }
    const encoders = this.state.encoders;
    if (!encoders) throw new HemasynthError('federated ctgan: the encoders are not fitted before the counting round');
    if (stage === 'counts') {
      const plan: CtganPlan = { ...base, encoders, mechanism: { kind: 'gaussian', noiseMultiplier: this.countSigma, count: encoders.length }, note: `federated ctgan ${this.state.federation}: code counts (${encoders.length} columns)` };
      return { plan, vectorLength: encoders.reduce((s, e) => s + e.size, 0), format: { scale, clip: this.maxSiteRows }, noiseSigmaPerSite: perSite * scale };
    }
    const rounds = { model: 'ctgan', federation: this.state.federation, sigma: this.missingnessSigma, perSiteSigma: this.perSiteSigma(this.missingnessSigma), maxSiteRows: this.maxSiteRows };
    if (stage === 'missing-pilot') {
      const { fields, ...round } = this.missingness.openPilot(encoders, rounds);
      const plan: CtganPlan = { ...base, stage, ...fields };
      return { plan, ...round };
    }
    if (stage === 'missingness') {
      const { fields, ...round } = this.missingness.openRound(encoders, rounds, this.missingness.orientation(this.state.pilot));
      const plan: CtganPlan = { ...base, ...fields };
      return { plan, ...round };
    }
    if (!this.learner || !this.G || !this.shape) throw new HemasynthError('federated ctgan: the counts are not measured before the critic rounds');
    if (this.missingness.active && !this.marginals) throw new HemasynthError('federated ctgan: the missing rates are not measured before the critic rounds');
    const inner = this.learner.planRound(round - this.firstLearnRound());
    const plan: CtganPlan = {
      ...base, encoders, conditional: this.shape.cv, embedding: this.embedding, generator: base64(this.G.getParameters()), learner: inner.plan,
      mechanism: { kind: 'subsampled-gaussian', noiseMultiplier: this.noiseMultiplier, sampleRate: this.sampleRate, steps: this.learnRounds },
      note: `federated ctgan ${this.state.federation}: critic DP-SGD`,
    };
    return { ...inner, plan };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const stage = this.stages[round];
    this.state.contributors[round] = info.contributors;
    if (stage === 'histograms') {
      this.state.encoders = this.discretisation.encoders(sum);
      return { stage, columns: this.discretisation.histograms.length, contributors: info.contributors.length };
    }
    const encoders = this.state.encoders!;
    if (stage === 'counts') {
      const counts = splitByColumn(sum, encoders).map((c) => Array.from(c));
      this.state.counts = counts;
      this.build(encoders, counts, null);
      return { stage, columns: encoders.length, contributors: info.contributors.length };
    }
    if (stage === 'missing-pilot') {
      this.state.pilot = Array.from(sum);
      return { stage, groups: this.state.pilot.length - 1, contributors: info.contributors.length };
    }
    if (stage === 'missingness') {
      this.state.missingness = Array.from(sum);
      this.marginals = this.missingness.marginals(encoders, sum, this.missingnessSigma, this.missingness.orientation(this.state.pilot));
      return { stage, groups: this.marginals.groups.length, conditionColumns: this.marginals.full.size, contributors: info.contributors.length };
    }
    const r = this.learner!.absorbRound(round - this.firstLearnRound(), sum, info) as { noisyRows: number };
    // Generator step through the updated critic (no data): a batch of q·N̂ generated rows.
    this.critic!.setParameters(this.learner!.parameters);
    const batch = Math.max(1, Math.min(CTGAN_DEFAULTS.batchSize, Math.round(this.sampleRate * Math.max(1, r.noisyRows))));
    const gLoss = ctganGeneratorStep(this.G!, this.critic!, this.shape!, batch, Math.max(1, r.noisyRows), this.rng, this.ops);
    return { stage, ...r, generatorLoss: Number(gLoss.toPrecision(4)) };
  }

  checkpoint(): unknown {
    return { ...this.state, ledger: this.ledger.toJSON(), generator: this.G ? Array.from(this.G.getParameters()) : null, learner: this.learner?.checkpoint() ?? null };
  }

  restore(raw: unknown): void {
    const s = raw as CtganState;
    if (!s || typeof s.federation !== 'string' || !Array.isArray(s.contributors)) throw new HemasynthError('federated ctgan: the checkpoint does not hold a ctgan task state');
    this.ledger = PrivacyLedger.fromJSON(s.ledger);
    this.state = { ...s, pilot: s.pilot ?? null, missingness: s.missingness ?? null, ledger: null };
    this.marginals = s.encoders && s.missingness ? this.missingness.marginals(s.encoders, s.missingness, this.missingnessSigma, this.missingness.orientation(this.state.pilot)) : null;
    if (s.encoders && s.counts) {
      this.build(s.encoders, s.counts, s.generator);
      if (s.learner) this.learner!.restore(s.learner);
    }
  }

  finish(out: string): unknown {
    if (!this.G || !this.shape || !this.state.encoders) throw new HemasynthError('federated ctgan: the counting round has not completed; no model to write');
    const network = ctganGeneratorNetwork(this.embedding, this.shape.cv.width, this.shape.layout.width);
    let parameters: Float32Array = this.G.getParameters();
    let calibration: Record<string, unknown> | null = null;
    if (this.marginals) {
      // Over the inputs sampling draws: noise and sampled conditions (neural/output-calibration.ts).
      const cv = this.shape.cv;
      const inputs = [noiseRows(FEDERATED_CALIBRATION_SEED, 0, CALIBRATION_ROWS, this.embedding), ...(cv.width > 0 ? [samplingConditions(cv, FEDERATED_CALIBRATION_SEED, 0, CALIBRATION_ROWS, null)] : [])];
      ({ parameters, calibration } = calibrateToMarginals(network, parameters, ctganRawLayout(this.shape.layout), this.state.encoders, inputs, this.marginals));
    }
    // The schema's assay panels are sampled missing together (public metadata: no data read).
    const parts = withTiedMissingness(ctganParts(this.state.encoders, this.shape, network, parameters, 'auto', {
      backend: 'federated', protocol: 'secure-dp-sgd', rounds: this.learnRounds, pac: 1, embeddingDim: this.embedding,
      generatorDims: [...CTGAN_DEFAULTS.generatorDims], discriminatorDims: [...CTGAN_DEFAULTS.discriminatorDims],
      dp: {
        noiseMultiplier: this.noiseMultiplier, maxGradNorm: this.maxGradNorm, sampleRate: this.sampleRate, stepsPerSite: this.learnRounds, countSigma: this.countSigma,
        missingnessSigma: this.marginals ? this.missingnessSigma : null, accountant: this.ledger.accountant,
      },
      calibration,
    }), tiedColumnGroups(this.state.encoders, this.schema, null));
    saveModel(out, federatedModelFile({
      model: 'ctgan', schema: this.schema, parts, epsilon: this.o.epsilon, delta: this.o.delta, seed: this.seed, options: this.o.options ?? {},
      federation: { id: this.state.federation, sites: this.o.sites, threshold: this.o.threshold, distributedDp: this.o.distributedDp, rounds: this.rounds, contributors: this.state.contributors },
      started: this.started, ledger: this.ledger,
    }));
    return { out, columns: this.state.encoders.length, epsilon: this.ledger.spent().epsilon };
  }
}

/** The site side: histograms, code counts, missingness sums, then the clipped critic gradients of its sampled rows. */
export class CtganSiteTask implements SiteTask {
  private table?: Table;
  private encoded?: { key: string; x: Float32Array; codes: Int32Array[] };
  private readonly ledger: SiteRoundLedger;
  private learner?: { key: string; task: SecureDpSgdSiteTask; G: Trainer; shape: CtganShape };
  private readonly rng = new SamplingRandom(samplingSeed(), 0x6100);
  private readonly ops: Backend = resolveHostOps('auto');

  constructor(readonly o: SiteTaskOptions) {
    this.ledger = new SiteRoundLedger(o);
  }

  private data(): Table {
    this.table ??= readArrowFile(this.o.dataFile);
    return this.table;
  }

  private rows(encoders: DiscreteColumnEncoder[]): { x: Float32Array; codes: Int32Array[] } {
    const key = createHash('sha256').update(JSON.stringify(encoders)).digest('hex');
    if (this.encoded?.key !== key) this.encoded = { key, ...(() => { const r = encodeRows(this.data(), encoders, rowLayout(encoders)); return { x: r.rows, codes: r.codes }; })() };
    return this.encoded;
  }

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as CtganPlan;
    if (!plan || !['histograms', 'counts', 'missing-pilot', 'missingness', 'learn'].includes(plan.stage) || !plan.mechanism || typeof plan.federation !== 'string') throw new HemasynthError('federated ctgan: malformed round plan from the coordinator');
    if (plan.stage !== 'learn') {
      // Charged before the rows are read.
      this.ledger.chargeRound(plan, ctx.round);
      if (plan.stage === 'histograms') return siteHistograms(this.data(), plan.histograms ?? []);
      const encoders = plan.encoders ?? [];
      const { codes } = this.rows(encoders);
      if (plan.stage === 'missing-pilot' || plan.stage === 'missingness') return siteMissingnessVector(plan.missingness, encoders, codes, this.data().numRows, 'federated ctgan');
      const out = new Float64Array(encoders.reduce((s, e) => s + e.size, 0));
      let at = 0;
      encoders.forEach((e, j) => { for (const k of codes[j]) out[at + k]++; at += e.size; });
      return out;
    }
    const { encoders, conditional: cv, embedding, generator } = plan;
    if (!encoders || !cv || !embedding || typeof generator !== 'string') throw new HemasynthError('federated ctgan: a critic plan without encoders, conditional vector or generator');
    const key = createHash('sha256').update(JSON.stringify([plan.federation, encoders, cv, embedding])).digest('hex');
    if (this.learner?.key !== key) {
      const layout = rowLayout(encoders);
      const shape: CtganShape = { layout, cv, embedding, pac: 1 };
      const G = createTrainer(networkModelSpec(ctganGeneratorNetwork(embedding, cv.width, layout.width)), { backend: 'auto' });
      const noise = new CryptoRandom();
      const task = new SecureDpSgdSiteTask({
        spec: ctganCriticSpec(layout.width + cv.width),
        // Read only after the task has charged the federation's steps to this site's ledger.
        load: () => { const r = this.rows(encoders); return { x: r.x, y: new Float32Array(0), rows: this.data().numRows }; },
        ledger: this.ledger.open(plan.budget), datasetFingerprint: this.ledger.fingerprint, trainer: { backend: 'auto' },
        note: `federated ctgan ${plan.federation}`,
        step: (critic, data, q) => {
          // Poisson sampling of this site's rows (CSPRNG), each conditioned on itself.
          const n = data.rows;
          const threshold = Math.floor(q * 2 ** 32);
          const bytes = noise.bytes(4 * n);
          const picked: number[] = [];
          for (let i = 0; i < n; i++) if (bytes.readUInt32LE(4 * i) < threshold) picked.push(i);
          const realIdx = Int32Array.from(picked);
          const C = cv.width;
          const cond = new Float32Array(realIdx.length * C);
          const { codes } = this.rows(encoders);
          if (C > 0) realIdx.forEach((r, i) => {
            const c = Math.min(cv.columns.length - 1, Math.floor(this.rng.next() * cv.columns.length));
            cond[i * C + cv.offsets[c] + codes[cv.columns[c]][r]] = 1;
          });
          const batch = ctganCriticBatch(G, shape, data.x, realIdx, cond, cond, this.rng, this.ops);
          critic.step(batch.x, batch.y, batch.groups === 0 ? new Int32Array(0) : undefined);
        },
      });
      this.learner = { key, task, G, shape };
    }
    const g = Buffer.from(generator, 'base64');
    if (g.length !== 4 * this.learner.G.parameterCount) throw new HemasynthError(`federated ctgan: the plan's generator has ${g.length / 4} parameters, the network ${this.learner.G.parameterCount}`);
    this.learner.G.setParameters(new Float32Array(g.buffer.slice(g.byteOffset, g.byteOffset + g.length)));
    return this.learner.task.localVector(plan.learner, ctx);
  }
}

/** The federated CTGAN protocol's definition for the task registry. */
export const federatedCtgan = {
  options: ['bins', 'calibrate', 'embeddingDim', 'histogramBins', 'maxGradNorm', 'maxSiteRows', 'missingnessShare', 'pac', 'preprocessingShare', 'sampleRate', 'seed'],
  defaultRounds: FEDERATED_CTGAN_DEFAULTS.rounds,
  coordinator: (o: CoordinatorTaskOptions) => new CtganCoordinatorTask(o),
  site: (o: SiteTaskOptions) => new CtganSiteTask(o),
};
