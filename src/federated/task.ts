/**
 * Learning protocols plug into the federation runtime as a pair of tasks: the coordinator
 * side plans each round and absorbs the securely summed vector; the site side turns its local
 * data and the round's plan into one real vector. The runtime is generic over "a vector of
 * numbers per site per round": marginal counts, weighted model updates, anything additive.
 */
import { UsageError, describeValue, refuseUnknownOptions } from '../errors';
import type { Mechanism } from '../dp/accountants/mechanisms';
import type { FixedPointFormat } from './ring-codec';

/** What every site must produce in one round. */
export interface RoundPlan {
  /** Task-owned JSON sent to the sites (global model, cliques to measure...). */
  plan: unknown;
  vectorLength: number;
  format: FixedPointFormat;
  /**
   * Distributed DP: each site adds discrete Gaussian noise of this σ to its encoded vector
   * (in encoded units), so that the sum of ≥ t sites carries variance ≥ t·σ² (see
   * docs/federation.md). Absent: no noise added by the runtime.
   */
  noiseSigmaPerSite?: number;
}

/** Outcome of an aggregation handed to the coordinator task. */
export interface AggregateInfo {
  round: number;
  contributors: string[];
  dropped: string[];
}

/** The coordinator side of a learning protocol. */
export interface CoordinatorTask {
  readonly model: string;
  /** Number of aggregation rounds. */
  readonly rounds: number;
  planRound(round: number): RoundPlan;
  /** Applies the decoded sum of a completed round; returns a JSON summary for the log. */
  absorbRound(round: number, sum: Float64Array, info: AggregateInfo): unknown;
  /** JSON state to checkpoint after every completed round. */
  checkpoint(): unknown;
  restore(state: unknown): void;
  /** Writes the trained model. */
  finish(out: string): Promise<unknown> | unknown;
}

/** Context a site task receives with every plan. */
export interface SiteRoundContext {
  round: number;
  attempt: number;
  site: string;
  contributors: number;
}

/** The site side of a learning protocol. */
export interface SiteTask {
  /** The local vector for this round (values are clipped and encoded by the runtime). */
  localVector(plan: unknown, ctx: SiteRoundContext): Promise<Float64Array> | Float64Array;
}

/** Options every coordinator task factory receives. */
export interface CoordinatorTaskOptions {
  rounds: number;
  epsilon: number;
  delta: number;
  sites: string[];
  threshold: number;
  /** Distributed DP on (each site adds its share of the noise) or off (each site adds its full local noise). */
  distributedDp: boolean;
  /** The first site data file, when the coordinator may read a schema from it (simulate mode); never its rows. */
  schemaHint?: unknown;
  options?: Record<string, unknown>;
  /**
   * Mechanisms of this federation charged before the model's own plan (the visits round,
   * tasks/visits-round.ts): the model calibrates its plan on top of them (federationPlanner).
   */
  earlierCharges?: Array<{ mechanism: Mechanism; note: string }>;
}

/** Options every site task factory receives. */
export interface SiteTaskOptions {
  site: string;
  dataFile: string;
  /** Where the site keeps its privacy ledger (default `<data>.ledger.json`). */
  ledgerFile?: string;
  /** Budget of a ledger this site creates (default: the federation's ε and δ from the plan). */
  budget?: { epsilon: number; delta: number };
  /** Task-specific options (the same as the coordinator's). */
  options?: Record<string, unknown>;
  /** This site's visits table (Arrow IPC), for a federation that trains a visits model. */
  visitsFile?: string;
}

/** A registered learning protocol. */
export interface FederatedModelDefinition {
  /** Rounds when none are asked for (iterative protocols); fixed-round protocols ignore `rounds`. */
  defaultRounds?: number;
  /** The model options it reads; when given, any other is refused by name (checkFederatedOptions). */
  options?: readonly string[];
  coordinator(o: CoordinatorTaskOptions): CoordinatorTask;
  site(o: SiteTaskOptions): SiteTask;
}

const registry = new Map<string, FederatedModelDefinition>();

/**
 * Registers a learning protocol under a model name (marginal, copula, tvae, ctgan...).
 * @example registerFederatedModel('tvae', { coordinator: (o) => new TvaeCoordinator(o), site: (o) => new TvaeSite(o) })
 */
export function registerFederatedModel(name: string, def: FederatedModelDefinition): void {
  registry.set(name, def);
}

/** The protocol registered under `name`, or a UsageError listing the known ones. */
export function federatedModel(name: string): FederatedModelDefinition {
  const d = registry.get(name);
  if (!d) throw new UsageError(`Expected one of ${[...registry.keys()].join(', ') || '(none registered)'} for model but received ${describeValue(name)}`);
  return d;
}

/** Names of the registered learning protocols. */
export function federatedModels(): string[] {
  return [...registry.keys()];
}

/**
 * Refuses a model option the protocol does not read (a misspelt one would otherwise be ignored).
 * @example checkFederatedOptions('copula', { bins: 8 })
 */
export function checkFederatedOptions(name: string, options: Record<string, unknown> | undefined): void {
  const known = federatedModel(name).options;
  if (known) refuseUnknownOptions(`federated ${name} model`, known, options);
}
