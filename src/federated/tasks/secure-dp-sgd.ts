/**
 * DP-SGD across sites with distributed noise (federated SGD, McMahan et al. 2017, with a
 * server-side optimiser, Reddi et al. 2021 "Adaptive Federated Optimization", and the distributed
 * discrete Gaussian of Kairouz, Liu & Steinke 2021): every round is one DP-SGD step of the
 * pooled data, computed without pooling it.
 *
 * Each round every site Poisson-samples its rows at rate q (the union is a Poisson sample of the
 * pooled rows at rate q), clips each sampled row's gradient to L2 norm C and sends the clipped sum
 * with γ·n_s appended (γ = COUNT_WEIGHT). The runtime encodes it in fixed point (scale S,
 * deterministic rounding) and adds discrete Gaussian noise in the integer domain: σ·Δ/√t per site
 * when secure aggregation hides the single vectors (t = threshold, so any ≥ t contributors give the
 * sum variance ≥ σ²Δ²), else σ·Δ at each site. Δ = S·sqrt(C² + γ²) + sqrt(d + 1) bounds the L2
 * change of an encoded vector when one row is added or removed (the row's clipped gradient and its
 * count, plus at most 1 per coordinate from the rounding). The coordinator divides the noisy sum by
 * q·N̂ (N̂ = the noisy count sum / γ) and applies Adam to the global parameters: the same update as
 * central DP-SGD on the pooled rows with noise multiplier σ, so the accountant's (ε, δ) for σ, q and
 * the number of rounds holds for every row of every site. Before it first reads its data each site
 * charges all of the federation's steps to its own ledger at once (one entry; a federation that
 * stops early has then been charged for steps it did not take, never the reverse), which also
 * spares a privacy-curve composition per round.
 *
 * Trust: under distributed noise a site's record-level guarantee against the coordinator rests on
 * secure aggregation (at least t sites contribute, the coordinator never sees a single vector);
 * docs/federation.md states it.
 */
import { HemasynthError, UsageError, describeValue } from '../../errors';
import type { PrivacyLedger } from '../../dp/ledger';
import { createTrainer } from '../../nn/create';
import type { CreateTrainerOptions } from '../../nn/create';
import { optimizerUpdate } from '../../nn/optimizer-update';
import { resolveOptimizer, type OptimizerOptions, type ResolvedOptimizer } from '../../nn/options';
import type { ModelSpec } from '../../nn/spec';
import type { Trainer } from '../../nn/trainer';
import type { AggregateInfo, CoordinatorTask, RoundPlan, SiteRoundContext, SiteTask } from '../task';
import { checkRounds } from './federated-discretisation';

/** Fixed-point scale of the gradient sums: 2^20. */
export const SECURE_DP_SGD_SCALE = 2 ** 20;
/** Weight γ of a site's row count in its vector (small, so that the count barely adds to the sensitivity). */
export const COUNT_WEIGHT = 0.1;

/** DP-SGD settings shared by the coordinator and the sites. */
export interface SecureDpSgdSettings {
  /** σ: noise multiplier of the summed step (relative to the sensitivity Δ). */
  noiseMultiplier: number;
  /** C: per-row gradient clipping norm. */
  maxGradNorm: number;
  /** q: Poisson sampling rate at every site. */
  sampleRate: number;
}

/** Coordinator options. */
export interface SecureDpSgdCoordinatorOptions {
  model: string;
  rounds: number;
  initialParameters: Float32Array;
  optimizer: OptimizerOptions;
  dp: SecureDpSgdSettings;
  /** Shamir threshold t: the fewest contributors a round completes with. */
  threshold: number;
  /** Each site adds its share σ/√t of the noise (true) or all of it (false). */
  distributedNoise: boolean;
  /** Public bound on a site's rows (default 1e6). */
  maxSiteRows?: number;
}

/** One completed step. */
export interface SecureDpSgdRound {
  round: number;
  contributors: string[];
  /** N̂: the noisy total row count of the contributors. */
  noisyRows: number;
}

/** The encoded sensitivity Δ of a site vector of `length` values. */
export function encodedSensitivity(maxGradNorm: number, length: number): number {
  return SECURE_DP_SGD_SCALE * Math.sqrt(maxGradNorm * maxGradNorm + COUNT_WEIGHT * COUNT_WEIGHT) + Math.sqrt(length);
}

/** The coordinator side: plans one DP-SGD step per round and applies the summed noisy gradient with Adam. */
export class SecureDpSgdCoordinatorTask implements CoordinatorTask {
  readonly model: string;
  readonly rounds: number;
  readonly history: SecureDpSgdRound[] = [];
  private global: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;
  private readonly opt: ResolvedOptimizer;
  private readonly maxRows: number;

  constructor(readonly o: SecureDpSgdCoordinatorOptions) {
    checkRounds(o.rounds);
    const dp = o.dp;
    if (!(dp.noiseMultiplier > 0 && Number.isFinite(dp.noiseMultiplier))) throw new UsageError(`Expected a noise multiplier > 0 but received ${describeValue(dp.noiseMultiplier)}`);
    if (!(dp.maxGradNorm > 0 && dp.sampleRate > 0 && dp.sampleRate <= 1)) throw new UsageError(`Expected maxGradNorm > 0 and sampleRate in (0, 1] but received ${dp.maxGradNorm}, ${dp.sampleRate}`);
    this.model = o.model;
    this.rounds = o.rounds;
    this.global = Float32Array.from(o.initialParameters);
    this.m = new Float32Array(this.global.length);
    this.v = new Float32Array(this.global.length);
    this.opt = resolveOptimizer(o.optimizer);
    this.maxRows = o.maxSiteRows ?? 1_000_000;
  }

  /** The current global parameters. */
  get parameters(): Float32Array {
    return this.global;
  }

  planRound(round: number): RoundPlan {
    const length = this.global.length + 1;
    const delta = encodedSensitivity(this.o.dp.maxGradNorm, length);
    const share = this.o.distributedNoise ? Math.sqrt(this.o.threshold) : 1;
    return {
      plan: { round, steps: this.rounds, parameters: Buffer.from(this.global.buffer, this.global.byteOffset, this.global.byteLength).toString('base64'), ...this.o.dp, countWeight: COUNT_WEIGHT },
      vectorLength: length,
      // A clipped gradient sum of n rows has every coordinate within n·C.
      format: { scale: SECURE_DP_SGD_SCALE, clip: this.o.dp.maxGradNorm * this.maxRows },
      noiseSigmaPerSite: (this.o.dp.noiseMultiplier * delta) / share,
    };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const d = this.global.length;
    const noisyRows = sum[d] / COUNT_WEIGHT;
    // A noisy count below one row means the noise swamped it: take one row (the update is then mostly noise, as in central DP-SGD on a tiny sample).
    const batch = this.o.dp.sampleRate * Math.max(1, noisyRows);
    const grad = new Float64Array(d);
    for (let i = 0; i < d; i++) grad[i] = sum[i] / batch;
    this.t++;
    optimizerUpdate(this.opt, this.t, this.global, this.m, this.v, grad);
    const r = { round, contributors: info.contributors, noisyRows: Math.round(noisyRows) };
    this.history.push(r);
    return { contributors: info.contributors.length, noisyRows: r.noisyRows };
  }

  checkpoint(): unknown {
    return { parameters: Array.from(this.global), m: Array.from(this.m), v: Array.from(this.v), t: this.t, history: this.history };
  }

  restore(state: unknown): void {
    const s = state as { parameters: number[]; m: number[]; v: number[]; t: number; history: SecureDpSgdRound[] };
    const n = this.global.length;
    if (!s || !Array.isArray(s.parameters) || s.parameters.length !== n || s.m?.length !== n || s.v?.length !== n || !Number.isInteger(s.t)) throw new HemasynthError('secure DP-SGD: the checkpoint does not match the model size');
    this.global = Float32Array.from(s.parameters);
    this.m = Float32Array.from(s.m);
    this.v = Float32Array.from(s.v);
    this.t = s.t;
    this.history.splice(0, this.history.length, ...s.history);
  }

  finish(): unknown {
    return { parameters: this.global.length, steps: this.t };
  }
}

/** Site options. */
export interface SecureDpSgdSiteOptions {
  spec: ModelSpec;
  /** The site's training matrices (read only after its ledger was charged). */
  load: () => { x: Float32Array; y: Float32Array; rows: number };
  /** The site's ledger and its data's fingerprint. */
  ledger: PrivacyLedger;
  datasetFingerprint: string;
  /** Backend and threads of the local trainer. */
  trainer?: Pick<CreateTrainerOptions, 'backend' | 'threads'>;
  /**
   * The local step on the trainer (default: poissonStep on the loaded rows). A model whose
   * samples are built from the rows (a GAN critic's real, generated and interpolated rows) does
   * its own Poisson sampling at the plan's rate and calls trainer.step on the samples.
   */
  step?: (trainer: Trainer, data: { x: Float32Array; y: Float32Array; rows: number }, sampleRate: number) => void;
  note: string;
}

/** The site side: charges the step, then sends its clipped gradient sum and γ·n_s (noise is added by the runtime in the integer domain). */
export class SecureDpSgdSiteTask implements SiteTask {
  private trainer?: Trainer;
  private data?: { x: Float32Array; y: Float32Array; rows: number };
  private charged = false;
  private settings?: SecureDpSgdSettings & { steps: number };

  constructor(readonly o: SecureDpSgdSiteOptions) {}

  localVector(raw: unknown, ctx: SiteRoundContext): Float64Array {
    const plan = raw as { parameters: string; countWeight: number; steps: number } & SecureDpSgdSettings;
    const bytes = Buffer.from(plan?.parameters ?? '', 'base64');
    if (bytes.length % 4 !== 0 || !(plan.noiseMultiplier > 0) || !(plan.maxGradNorm > 0) || !(plan.sampleRate > 0 && plan.sampleRate <= 1) || plan.countWeight !== COUNT_WEIGHT || !(Number.isInteger(plan.steps) && plan.steps >= 1)) throw new HemasynthError('secure DP-SGD: malformed round plan from the coordinator');
    if (!this.charged) {
      this.o.ledger.charge({
        mechanism: { kind: 'subsampled-gaussian', noiseMultiplier: plan.noiseMultiplier, sampleRate: plan.sampleRate, steps: plan.steps },
        datasetFingerprint: this.o.datasetFingerprint, note: `${this.o.note}: the federation's ${plan.steps} DP-SGD steps (noise summed across sites), charged at round ${ctx.round}`,
      });
      this.charged = true;
      this.settings = { noiseMultiplier: plan.noiseMultiplier, sampleRate: plan.sampleRate, maxGradNorm: plan.maxGradNorm, steps: plan.steps };
    }
    const s = this.settings!;
    if (s.noiseMultiplier !== plan.noiseMultiplier || s.sampleRate !== plan.sampleRate || s.maxGradNorm !== plan.maxGradNorm || s.steps !== plan.steps) throw new HemasynthError('secure DP-SGD: the coordinator changed the DP-SGD settings after this site charged its ledger for them');
    const global = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    this.data ??= this.o.load();
    // SGD with learning rate 1, no decay and no noise: θ' = θ − Σ clip(g_i), so θ − θ' is the clipped sum.
    this.trainer ??= createTrainer(this.o.spec, {
      ...this.o.trainer, optimizer: { kind: 'sgd', learningRate: 1, weightDecay: 0 },
      dp: { noiseMultiplier: 0, maxGradNorm: plan.maxGradNorm, sampleRate: plan.sampleRate, expectedBatchSize: 1 },
    });
    if (global.length !== this.trainer.parameterCount) throw new HemasynthError(`secure DP-SGD: the plan carries ${global.length} parameters, the model has ${this.trainer.parameterCount}`);
    this.trainer.setParameters(global);
    if (this.o.step) this.o.step(this.trainer, this.data, plan.sampleRate);
    else this.trainer.poissonStep(this.data.x, this.data.y);
    const after = this.trainer.getParameters();
    const out = new Float64Array(global.length + 1);
    for (let i = 0; i < global.length; i++) out[i] = global[i] - after[i];
    out[global.length] = COUNT_WEIGHT * this.data.rows;
    return out;
  }
}
