import type { VisitModelSpec } from '../visits/visit-model';
/**
 * The generator interface every model implements (marginal, copula; tvae and ctgan plug in the
 * same way), the in-memory model and its manifest. A generator registers itself in
 * {@link ./registry}; `trainModel`, `sampleModel`, the model file and the CLI dispatch by name.
 */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../data/schema';
import type { CryptoRandom } from '../dp/noise';
import type { PrivacyLedger, PrivacyLedgerJSON } from '../dp/ledger';
import type { DiscreteColumnEncoder } from '../transform/discretiser';
import type { PrivacyPlanner } from './privacy-plan';
import type { ResolvedCondition } from './conditions';
import type { DecodedColumn } from '../transform/decode';

/** Encoder descriptions stored in a manifest (part of the transform layer; plain JSON). */
export type EncoderSpec = DiscreteColumnEncoder | ({ type: string } & Record<string, unknown>);

/** The manifest of a model: everything but the float32 weights. Plain JSON. */
export interface ModelManifest {
  format: 'hemasynth-model';
  /** Model-file format version (see docs/models.md for the compatibility rule). */
  formatVersion: number;
  libraryVersion: string;
  /** Generator name, e.g. "marginal". */
  model: string;
  /** Schema of the generated columns (modelled columns only) with the constraints that apply. */
  schema: TableSchema;
  encoders: EncoderSpec[];
  /** Generator-specific configuration (structure, sizes, offsets into the weights). */
  generator: Record<string, unknown>;
  training: {
    epsilon: number | 'inf';
    delta: number | null;
    seed: number | null;
    nonPrivate: boolean;
    options: Record<string, unknown>;
    fitSeconds: number;
  };
  privacy: {
    nonPrivate: boolean;
    /** Loud notice for non-private models; the seeded-noise warning for seeded DP runs. */
    notice: string | null;
    /** ε spent by this training (composed), at δ. */
    epsilon: number | 'inf';
    delta: number | null;
    /** The dataset's ledger after training (null for non-private models). */
    ledger: PrivacyLedgerJSON | null;
  };
  /** SHA-256 of the training table (tableFingerprint). */
  dataFingerprint: string;
  /** The longitudinal visits model, when the training had a visits table (src/visits). */
  visits?: VisitModelSpec;
}

/** A trained model in memory: manifest plus named float32 weight arrays. */
export interface HemasynthModel {
  manifest: ModelManifest;
  weights: Record<string, Float32Array>;
  /** Binary files of the bundle, e.g. `generator.onnx` of the neural generators. */
  files?: Record<string, Uint8Array>;
}

/** What a generator's `train` receives. */
export interface TrainContext {
  table: Table;
  /** Schema of the training table (all columns; the generator keeps the modelled ones). */
  schema: TableSchema;
  /** Budget planner bound to the ledger (null when explicitly non-private). */
  privacy: PrivacyPlanner | null;
  /** Noise source for DP mechanisms (seeded when a seed was given). */
  noise: CryptoRandom;
  seed: number | null;
  options: Record<string, unknown>;
  progress: (fraction: number, stage: string) => void;
}

/** What a generator's `train` returns (the caller adds the common manifest fields). */
export interface TrainedParts {
  encoders: EncoderSpec[];
  generator: Record<string, unknown>;
  weights: Record<string, Float32Array>;
  /** Binary files of the bundle (e.g. `generator.onnx`). */
  files?: Record<string, Uint8Array>;
}

/** A sampling request as a generator sees it. */
export interface GeneratorSampleRequest {
  rows: number;
  seed: number;
  condition: ResolvedCondition | null;
  engine: 'native' | 'onnx';
  threads: number;
}

/**
 * Sampled codes with, per column, each row's position inside its code's bin in 256ths (0..255;
 * null: anywhere in the bin), for generators whose latent says where in the bin a value lies (the
 * copula): the decoder then keeps the dependence between columns inside their bins.
 */
export interface SampledCodes {
  codes: Int32Array[];
  positions: Array<Uint8Array | null>;
  /**
   * Per column (null: none), the value code the model drew in every row, also where it made the
   * column missing (the copula's value latent, which its missingness latent overrides). The
   * constraint repair gives a row whose "null when" column it must make present again this
   * value, which fits the rest of the row, rather than another row's (repair-decoded.ts).
   */
  drawnCodes?: Array<Int32Array | null>;
}

/** The codes of a {@link GeneratorDefinition.sampleCodes} result. */
export function codesOf(sampled: Int32Array[] | SampledCodes): Int32Array[] {
  return Array.isArray(sampled) ? sampled : sampled.codes;
}

/** A generator: trains from a table, samples rows (decoded columns are built by the caller). */
export interface GeneratorDefinition {
  name: string;
  description: string;
  /** Sampling engines it supports. */
  engines: ReadonlyArray<'native' | 'onnx'>;
  /** The training options it reads (`TrainModelOptions.options`): any other is refused by name. */
  options: readonly string[];
  train(ctx: TrainContext): TrainedParts;
  /**
   * Checks the training options against the schema without reading the table (values, and what
   * they need, such as a backend that can run here), throwing an error that names the option.
   * trainModel calls it for DP and non-private trainings alike, before anything is charged, so
   * that no option a generator would refuse only after its charge gets that far.
   */
  checkOptions?(options: Record<string, unknown>, schema: TableSchema, dp: boolean): void;
  /** Validates a loaded model's generator config and weights; throws InputError naming the field. */
  validate(model: HemasynthModel, file: string): void;
  /**
   * Integer codes per encoder column (rows each), honouring the condition's evidence exactly;
   * optionally with each value's position inside its bin ({@link SampledCodes}).
   */
  sampleCodes(model: HemasynthModel, request: GeneratorSampleRequest): Int32Array[] | SampledCodes;
  /**
   * Optional: decoded columns directly, for generators that model values inside a code's interval
   * (tvae, ctgan: mode-specific normalisation); sampleModel then skips its own decoding.
   */
  sampleColumns?(model: HemasynthModel, request: GeneratorSampleRequest): DecodedColumn[];
}

/** Options of trainModel. */
export interface TrainModelOptions {
  table: Table;
  /** Default: the schema embedded in the table (Arrow metadata), else inferred (then DP must buy bounds). */
  schema?: TableSchema;
  model: string;
  /** Infinity = explicitly non-private. */
  epsilon: number;
  /** Required when epsilon is finite (default 1e-6). */
  delta?: number;
  seed?: number;
  /** The dataset's ledger (default: an in-memory ledger with budget {epsilon, delta}). */
  ledger?: PrivacyLedger;
  /** Fingerprint charged to the ledger (default: the ledger's own). */
  datasetFingerprint?: string;
  options?: Record<string, unknown>;
  /** Progress: fraction done, stage, ε spent so far. */
  onProgress?: (fraction: number, stage: string, epsilonSpent: number) => void;
  /**
   * A longitudinal visits table to model conditionally on the patient rows (src/visits): linked
   * by `key` (default `patient_id`); under DP it takes `share` of ε (default 0.1).
   */
  visits?: { table: Table; schema?: TableSchema; key?: string; share?: number };
}

/** Options of sampleModel. */
export interface SampleModelOptions {
  rows: number;
  seed?: number;
  /** e.g. "genotype=SC and age_years<18". */
  where?: string;
  engine?: 'native' | 'onnx';
  /** Native threads (default: all cores). */
  threads?: number;
}
