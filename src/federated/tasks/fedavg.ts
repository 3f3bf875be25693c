/**
 * Federated averaging (McMahan, Moore, Ramage, Hampson & Agüera y Arcas 2017, "Communication-
 * Efficient Learning of Deep Networks from Decentralized Data", Alg. 1) of any src/nn model,
 * with DP-SGD (Abadi et al. 2016) at every site and secure aggregation of the updates.
 *
 * Each round a site starts from the global parameters θ, trains `localSteps` Poisson-sampled
 * DP-SGD steps on its own data (charging its own ledger first: record-level DP at each site),
 * and sends the vector [n_s·θ_s, n_s] where n_s is its row count. The coordinator learns only the
 * sums Σ n_s·θ_s and Σ n_s and sets θ ← Σ n_s·θ_s / Σ n_s: the size-weighted average, with the
 * weights themselves summed securely. What the coordinator learns beyond the DP-SGD outputs is the
 * total row count Σ n_s of the contributors (docs/federation.md).
 *
 * Generic over the model: a generator supplies the ModelSpec, the initial parameters and a
 * loader of its site's training matrices; the protocol is the same for any network.
 */
import * as fs from 'node:fs';
import { PrivacyLedger, fingerprintFile, ledgerPathFor } from '../../dp/ledger';
import { HemasynthError, UsageError } from '../../errors';
import { createTrainer } from '../../nn/create';
import type { CreateTrainerOptions } from '../../nn/create';
import type { DpSgdOptions } from '../../nn/options';
import type { ModelSpec } from '../../nn/spec';
import type { Trainer } from '../../nn/trainer';
import type { AggregateInfo, CoordinatorTask, RoundPlan, SiteRoundContext, SiteTask } from '../task';
import { checkRounds } from './federated-discretisation';

/** Fixed point of the weighted parameters: 2^-20 resolution. */
export const FEDAVG_SCALE = 2 ** 20;

/** Coordinator options of federated averaging. */
export interface FedAvgCoordinatorOptions {
  /** Name recorded in checkpoints. */
  model: string;
  rounds: number;
  /** Initial global parameters (e.g. a trainer's getParameters()). */
  initialParameters: Float32Array;
  /** Parameters are clipped to [-parameterClip, parameterClip] before weighting (default 64). */
  parameterClip?: number;
  /** Public bound on a site's rows (default 1e6): n_s is clipped to it. */
  maxSiteRows?: number;
  /** Called with the final global parameters to write the model. */
  write?: (out: string, parameters: Float32Array, history: FedAvgRound[]) => unknown;
}

/** One completed round of federated averaging. */
export interface FedAvgRound {
  round: number;
  contributors: string[];
  /** Σ n_s over the contributors. */
  totalRows: number;
}

/** The coordinator side of federated averaging. */
export class FedAvgCoordinatorTask implements CoordinatorTask {
  readonly model: string;
  readonly rounds: number;
  private global: Float32Array;
  readonly history: FedAvgRound[] = [];
  private readonly clip: number;
  private readonly maxRows: number;

  constructor(readonly o: FedAvgCoordinatorOptions) {
    checkRounds(o.rounds);
    this.model = o.model;
    this.rounds = o.rounds;
    this.global = Float32Array.from(o.initialParameters);
    this.clip = o.parameterClip ?? 64;
    this.maxRows = o.maxSiteRows ?? 1_000_000;
    if (this.clip * this.maxRows * FEDAVG_SCALE >= 2 ** 52) throw new UsageError(`Expected parameterClip·maxSiteRows·2^20 below 2^52 but received ${this.clip}·${this.maxRows}`);
  }

  /** The current global parameters. */
  get parameters(): Float32Array {
    return this.global;
  }

  planRound(round: number): RoundPlan {
    const p = Buffer.from(this.global.buffer, this.global.byteOffset, this.global.byteLength).toString('base64');
    return {
      plan: { round, parameters: p, parameterClip: this.clip, maxSiteRows: this.maxRows },
      vectorLength: this.global.length + 1,
      format: { scale: FEDAVG_SCALE, clip: this.clip * this.maxRows },
    };
  }

  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown {
    const n = sum[this.global.length];
    if (!(n >= 1)) throw new HemasynthError(`federated averaging round ${round}: the summed site size is ${n}; no rows contributed`);
    const next = new Float32Array(this.global.length);
    for (let i = 0; i < next.length; i++) next[i] = sum[i] / n;
    this.global = next;
    const r = { round, contributors: info.contributors, totalRows: Math.round(n) };
    this.history.push(r);
    return { contributors: info.contributors.length, totalRows: r.totalRows };
  }

  checkpoint(): unknown {
    return { parameters: Array.from(this.global), history: this.history };
  }

  restore(state: unknown): void {
    const s = state as { parameters: number[]; history: FedAvgRound[] };
    if (!Array.isArray(s?.parameters) || s.parameters.length !== this.global.length) throw new HemasynthError('federated averaging: the checkpoint does not match the model size');
    this.global = Float32Array.from(s.parameters);
    this.history.splice(0, this.history.length, ...s.history);
  }

  finish(out: string): unknown {
    if (this.o.write) return this.o.write(out, this.global, this.history);
    fs.writeFileSync(out, JSON.stringify({ format: 'hemasynth-fedavg-parameters', model: this.model, parameters: Array.from(this.global), history: this.history }));
    return { out, parameters: this.global.length };
  }
}

/** Site options of federated averaging. */
export interface FedAvgSiteOptions {
  site: string;
  spec: ModelSpec;
  /** The site's training matrices (read only after its ledger was charged). */
  load: () => { x: Float32Array; y: Float32Array; rows: number };
  /**
   * Trainer options; `dp` is required (DP-SGD at every site). Without `dp.expectedBatchSize` the
   * noisy gradient sum is divided by q·N of the site's data, known once the data is loaded.
   */
  trainer: Omit<CreateTrainerOptions, 'dp'> & { dp: Omit<DpSgdOptions, 'expectedBatchSize'> & { expectedBatchSize?: number } };
  localSteps: number;
  /** The site's ledger (file-backed for a real site). */
  ledger: PrivacyLedger;
  datasetFingerprint: string;
}

/** The site side of federated averaging: DP-SGD from the global parameters, then [n·θ, n]. */
export class FedAvgSiteTask implements SiteTask {
  private trainer?: Trainer;
  private data?: { x: Float32Array; y: Float32Array; rows: number };
  /** The parameters this site trained in each round (for audits and tests; never sent in the clear). */
  readonly localParameters = new Map<number, Float32Array>();
  readonly rows: number[] = [];
  private readonly charged = new Set<number>();

  constructor(readonly o: FedAvgSiteOptions) {
    if (!o.trainer.dp) throw new UsageError('Expected DP-SGD options (trainer.dp) for a federated site but received none');
  }

  async localVector(raw: unknown, ctx: SiteRoundContext): Promise<Float64Array> {
    const plan = raw as { round: number; parameters: string; parameterClip: number; maxSiteRows: number };
    const bytes = Buffer.from(plan.parameters ?? '', 'base64');
    if (bytes.length % 4 !== 0) throw new HemasynthError('federated averaging: malformed global parameters in the plan');
    const global = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const dp = this.o.trainer.dp;
    if (!this.charged.has(ctx.round)) {
      this.o.ledger.charge({
        mechanism: { kind: 'subsampled-gaussian', noiseMultiplier: dp.noiseMultiplier, sampleRate: dp.sampleRate, steps: this.o.localSteps },
        datasetFingerprint: this.o.datasetFingerprint, note: `federated averaging round ${ctx.round}: ${this.o.localSteps} DP-SGD steps`,
      });
      this.charged.add(ctx.round);
    }
    this.data ??= this.o.load();
    const data = this.data;
    this.trainer ??= createTrainer(this.o.spec, { ...this.o.trainer, dp: { ...dp, expectedBatchSize: dp.expectedBatchSize ?? Math.max(1e-9, dp.sampleRate * data.rows) } });
    if (global.length !== this.trainer.parameterCount) throw new HemasynthError(`federated averaging: the plan carries ${global.length} parameters, the model has ${this.trainer.parameterCount}`);
    this.trainer.setParameters(global);
    for (let s = 0; s < this.o.localSteps; s++) this.trainer.poissonStep(this.data.x, this.data.y);
    const theta = this.trainer.getParameters();
    this.localParameters.set(ctx.round, theta);
    const n = Math.min(this.data.rows, plan.maxSiteRows);
    this.rows[ctx.round] = n;
    const out = new Float64Array(theta.length + 1);
    for (let i = 0; i < theta.length; i++) out[i] = n * Math.min(plan.parameterClip, Math.max(-plan.parameterClip, theta[i]));
    out[theta.length] = n;
    return out;
  }
}

/**
 * A site's ledger for federated training: `<data>.ledger.json` (or `file`), keyed by the data's fingerprint.
 * @example const { ledger, fingerprint } = siteLedger('site-IT1.arrow', { epsilon: 3, delta: 1e-5 });
 */
export function siteLedger(dataFile: string, budget: { epsilon: number; delta: number }, file?: string): { ledger: PrivacyLedger; fingerprint: string } {
  const fingerprint = fingerprintFile(dataFile);
  return { ledger: PrivacyLedger.openOrCreate(file ?? ledgerPathFor(dataFile), { datasetFingerprint: fingerprint, budget }), fingerprint };
}
