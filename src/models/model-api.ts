/**
 * The library entry points: trainModel, sampleModel (saveModel and loadModel live in
 * model-file.ts). Training dispatches to the named generator under a privacy planner bound to
 * the ledger; sampling resolves the `--where` condition, asks the generator for codes (exactly
 * conditioned), decodes them, repairs rows against the schema constraints and builds the table.
 */
import { Table } from 'apache-arrow';
import { embeddedSchema } from '../data/arrow-types';
import { tableFingerprint } from '../data/fingerprint';
import { inferSchemaFromTable } from '../data/schema-inference';
import { validateSchema } from '../data/schema-validation';
import type { TableSchema } from '../data/schema';
import { PrivacyLedger } from '../dp/ledger';
import { CryptoRandom, SEEDED_NOISE_WARNING } from '../dp/noise';
import { InputError, UsageError, describeValue, refuseUnknownOptions } from '../errors';
import { marginalNative } from '../native/marginal';
import { DecodedColumn, decodeColumn, decodedArrowSchema, decodedTable } from '../transform/decode';
import { allocateDecoded, decodeInto, nativeDecodePlan } from '../transform/native-decode';
import { binTilts } from '../transform/bin-tilts';
import { codeCounts, DiscreteColumnEncoder, isModelledColumn } from '../transform/discretiser';
import { VERSION } from '../version';
import { ConditionExpression, conditionColumns, resolveCondition } from './conditions';
import { rowsMeetingCondition } from './condition-after-repair';
import { repairDecoded } from './repair-decoded';
import { CONSTRAINT_FORMS, applicableConstraints, constraintColumns, parseConstraint, withConstraintEvidence } from './constraints';
import { codesOf, type GeneratorDefinition, type HemasynthModel, type ModelManifest, type SampledCodes, type SampleModelOptions, type TrainModelOptions } from './generator';
import { MODEL_FORMAT_VERSION } from './model-file';
import { planVisitFit, VISITS_SHARE } from '../visits/visit-model';
import { checkTrainingDelta, checkTrainingEpsilon, MIN_TRAINING_EPSILON, PrivacyPlanner } from './privacy-plan';
import { requireDeclaredDomains } from './declared-domains';
import { generatorByName } from './registry';
import { samplingSeed, SamplingRandom } from './sampling-random';

/** The loud notice carried by every non-private model and its outputs. */
export const NON_PRIVATE_NOTICE = 'NON-PRIVATE MODEL: trained with --epsilon inf (no differential privacy). It may reveal training records; do not share it or its synthetic data outside the data controller.';

/** Metadata key marking synthetic tables (value: JSON with model name, privacy and notice). */
export const SYNTHETIC_METADATA_KEY = 'hemasynth.synthetic';

/**
 * Parses every constraint of a schema (its form: applicableConstraints parses them again after
 * training, and sampling repairs rows with them), throwing an InputError that names the schema
 * (`file` for a schema file, else `label` before the field) and the constraint's index and text.
 * Constraints on columns the schema lacks are not refused here: a model drops the constraints on
 * columns it does not produce (a schema cut down to some columns keeps them).
 * @example checkConstraintForms(loadSchema('s.json'), { file: 's.json' })
 */
export function checkConstraintForms(schema: TableSchema, where: { file?: string; label?: string }): void {
  (schema.constraints ?? []).forEach((text, i) => {
    try {
      parseConstraint(text);
    } catch (e) {
      const message = (e as Error).message;
      const specific = message.startsWith(`Expected ${CONSTRAINT_FORMS}`) ? undefined : message;
      const field = `${where.file === undefined && where.label ? `${where.label}.` : ''}constraints[${i}]`;
      throw new InputError({ file: where.file, field }, CONSTRAINT_FORMS, JSON.stringify(text), specific);
    }
  });
}

/**
 * The training schema: the one given, else the one embedded in the table, else inferred; its
 * constraints are parsed here, so that one of an unknown form is refused before training, not
 * after its charge.
 */
function resolveSchema(table: Table, schema?: TableSchema): TableSchema {
  const source = schema ? 'schema' : 'the schema embedded in the table';
  const given = schema ?? embeddedSchema(table.schema);
  if (!given) return inferSchemaFromTable(table);
  const valid = validateSchema(given, source);
  checkConstraintForms(valid, { label: schema ? 'schema' : 'embedded schema' });
  return valid;
}

/**
 * Trains a generator.
 * @example
 * const sim = simulateCohort({ patients: 1500, seed: 1 });
 * const model = trainModel({ table: sim.patients, schema: sim.schema, model: 'marginal', epsilon: 1, delta: 1e-6, seed: 7 });
 */
export function trainModel(opts: TrainModelOptions): HemasynthModel {
  const t0 = process.hrtime.bigint();
  const generator = generatorByName(opts.model);
  refuseUnknownOptions(`${generator.name} generator`, generator.options, opts.options);
  // Everything that can be checked without reading the table is checked here, before the first
  // charge (the visits model's, then the generator's): a training must not fail after its budget
  // is spent for a reason it could have given before.
  const schema = resolveSchema(opts.table, opts.schema);
  const epsilon = opts.epsilon;
  if (typeof epsilon !== 'number' || Number.isNaN(epsilon) || !(epsilon > 0)) throw new UsageError(`Expected epsilon > 0 (or Infinity for an explicitly non-private model) for epsilon but received ${describeValue(epsilon)}`);
  const nonPrivate = epsilon === Infinity;
  if (!nonPrivate) checkTrainingEpsilon(epsilon);
  const delta = opts.delta ?? 1e-6;
  if (!nonPrivate && !(delta > 0 && delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for delta but received ${describeValue(delta)}`);
  if (!nonPrivate) checkTrainingDelta(delta);
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new UsageError(`Expected an integer seed but received ${describeValue(opts.seed)}`);
  if (!nonPrivate && opts.visits && epsilon * (opts.visits.share ?? VISITS_SHARE) < MIN_TRAINING_EPSILON) {
    throw new UsageError(`Expected an epsilon of at least ${Number((MIN_TRAINING_EPSILON / (opts.visits.share ?? VISITS_SHARE)).toPrecision(6))} for a DP training with a visits table (its share ${opts.visits.share ?? VISITS_SHARE} of epsilon must be at least ${MIN_TRAINING_EPSILON}) but received epsilon=${epsilon}`);
  }
  generator.checkOptions?.(opts.options ?? {}, schema, !nonPrivate);
  if (opts.table.numRows === 0) throw new UsageError(`Expected a training table with at least one row for ${generator.name} but received 0 rows (a model of an empty table would be noise only)`);
  const visitsSchema = opts.visits ? resolveSchema(opts.visits.table, opts.visits.schema) : null;
  if (!nonPrivate) {
    requireDeclaredDomains(schema, 'the training table');
    if (visitsSchema) requireDeclaredDomains(visitsSchema, 'the visits table');
  }
  const dataFingerprint = tableFingerprint(opts.table);
  let ledger: PrivacyLedger | null = null;
  let planner: PrivacyPlanner | null = null;
  if (!nonPrivate) {
    ledger = opts.ledger ?? PrivacyLedger.create({ datasetFingerprint: dataFingerprint, budget: { epsilon, delta } });
    planner = new PrivacyPlanner(ledger, { epsilon, delta }, opts.datasetFingerprint);
  }
  const noise = opts.seed !== undefined ? CryptoRandom.fromSeed(`hemasynth-train:${opts.model}:${opts.seed}`) : new CryptoRandom();
  const progress = (f: number, stage: string) => opts.onProgress?.(f, stage, planner ? planner.spentEpsilon : nonPrivate ? Infinity : 0);
  progress(0, 'plan');
  // The visits first: under DP their share is counted before the generator calibrates the rest,
  // but recorded in the ledger only with the generator's first charge, after every check of the
  // generator that can refuse the training (options, backend, constraints, the ledger's budget
  // for the whole training): a refused training leaves the ledger as it was. Their tables are
  // checked here too, and read once charged (finish).
  const visitsPlan = opts.visits ? planVisitFit({
    patients: opts.table, patientsSchema: schema, visits: opts.visits.table, visitsSchema: visitsSchema as TableSchema,
    key: opts.visits.key, share: opts.visits.share, privacy: planner, noise,
  }) : null;
  const parts = generator.train({ table: opts.table, schema, privacy: planner, noise, seed: opts.seed ?? null, options: opts.options ?? {}, progress });
  const visits = visitsPlan ? visitsPlan.finish() : null;
  const encoders = parts.encoders as DiscreteColumnEncoder[];
  const columns = encoders.map((e) => e.column);
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  const outSchema: TableSchema = {
    version: 1,
    ...(schema.name ? { name: `${schema.name} (synthetic)` } : {}),
    columns: columns.map((n) => byName.get(n) as TableSchema['columns'][number]),
    constraints: applicableConstraints(schema, columns).map((c) => c.text),
  };
  const spent = planner ? planner.spentEpsilon : Infinity;
  const manifest: ModelManifest = {
    format: 'hemasynth-model',
    formatVersion: MODEL_FORMAT_VERSION,
    libraryVersion: VERSION,
    model: generator.name,
    schema: outSchema,
    encoders: parts.encoders,
    generator: parts.generator,
    ...(visits ? { visits } : {}),
    training: {
      epsilon: nonPrivate ? 'inf' : epsilon,
      delta: nonPrivate ? null : delta,
      seed: opts.seed ?? null,
      nonPrivate,
      options: opts.options ?? {},
      fitSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    },
    privacy: {
      nonPrivate,
      notice: nonPrivate ? NON_PRIVATE_NOTICE : opts.seed !== undefined ? SEEDED_NOISE_WARNING : null,
      epsilon: nonPrivate ? 'inf' : spent,
      delta: nonPrivate ? null : delta,
      ledger: ledger ? ledger.toJSON() : null,
    },
    dataFingerprint,
  };
  const model: HemasynthModel = { manifest, weights: parts.weights, ...(parts.files ? { files: parts.files } : {}) };
  if (!generator.sampleColumns) manifest.encoders = withBinTilts(model, generator);
  progress(1, 'done');
  return model;
}

/** Rows sampled to count a model's own code frequencies for the bins' tilts (post-processing). */
export const TILT_SAMPLE_ROWS = 20000;
/** Seed of that sample (any fixed one: it reads the model, not the data). */
const TILT_SEED = 0x7117;

/**
 * The model's encoders with each numeric column's bin tilts (transform/bin-tilts.ts), from the
 * code frequencies of rows the model itself samples: for generators that know values only to
 * their bin (marginal, copula). Neural generators place values inside a bin themselves (α).
 */
export function withBinTilts(model: HemasynthModel, generator: GeneratorDefinition): DiscreteColumnEncoder[] {
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  if (!encoders.some((e) => e.levels === 'bins')) return encoders;
  const counts = codeCounts(encoders, codesOf(generator.sampleCodes(model, { rows: TILT_SAMPLE_ROWS, seed: TILT_SEED, condition: null, engine: 'native', threads: 1 })));
  return encoders.map((e, j) => (e.levels === 'bins' ? { ...e, tilts: binTilts(e.edges as number[], counts[j]) } : e));
}

/**
 * Decodes all columns. With the addon: one native call writes every column straight into the
 * typed arrays that become the Arrow buffers (int32 for integer outputs that no constraint
 * rewrites, float64 otherwise), multi-threaded over columns, with the same uniform streams as
 * the TypeScript reference {@link decodeColumn} (so both give the same values). A column with
 * sampled positions (SampledCodes) draws each value inside its 256th of the bin.
 */
export function decodeAll(encoders: DiscreteColumnEncoder[], sampled: Int32Array[] | SampledCodes, seed: number, restrictions: Map<number, { lo: number; hi: number; loOpen?: boolean; hiOpen?: boolean }>, threads: number, float64Columns: ReadonlySet<string>): DecodedColumn[] {
  const codes = codesOf(sampled);
  const positions = Array.isArray(sampled) ? encoders.map(() => null) : sampled.positions;
  const rows = codes.length ? codes[0].length : 0;
  const native = marginalNative();
  // The values drawn where the model made a column missing (a few "null when" columns), decoded
  // as the columns are but on streams of their own.
  const drawn = Array.isArray(sampled) ? undefined : sampled.drawnCodes;
  const drawnColumns = drawn ? encoders.flatMap((_, j) => (drawn[j] ? [j] : [])) : [];
  let columns: DecodedColumn[];
  if (!native) {
    const decode = (j: number, c: Int32Array, stream: number): DecodedColumn => {
      const rng = new SamplingRandom(seed, stream);
      return decodeColumn(encoders[j], c, () => rng.next(), restrictions.get(j), positions[j] ?? undefined);
    };
    columns = encoders.map((_, j) => decode(j, codes[j], 1_000_000 + j));
    for (const j of drawnColumns) columns[j].drawn = decode(j, (drawn as Int32Array[])[j], 2_000_000 + j).values;
  } else {
    const int32 = (e: DiscreteColumnEncoder): boolean => (e.output === 'int32' || e.output === 'date-day') && !float64Columns.has(e.column);
    const plan = nativeDecodePlan(encoders, restrictions, int32);
    columns = allocateDecoded(plan, rows);
    decodeInto(native, plan, codes, columns, { seed, streams: Int32Array.from(encoders, (_, j) => 1_000_000 + j), threads, positions });
    if (drawnColumns.length) {
      const restricted = new Map(drawnColumns.flatMap((j, x) => { const r = restrictions.get(j); return r ? [[x, r] as const] : []; }));
      const drawnPlan = nativeDecodePlan(drawnColumns.map((j) => encoders[j]), restricted, int32);
      const values = allocateDecoded(drawnPlan, rows);
      decodeInto(native, drawnPlan, drawnColumns.map((j) => (drawn as Int32Array[])[j]), values,
        { seed, streams: Int32Array.from(drawnColumns, (j) => 2_000_000 + j), threads, positions: drawnColumns.map((j) => positions[j]) });
      drawnColumns.forEach((j, x) => { columns[j].drawn = values[x].values; });
    }
  }
  return columns;
}

/**
 * Rows sampled per batch: sampling more rows draws them batch by batch (batch 0 from the seed,
 * batch k from a seed derived from it), so that memory stays bounded when they are streamed to a
 * file (sampleModelBatches, `hemasynth sample`) and the rows are the same whether streamed or
 * returned as one table. Why this size: 131,072 rows x 280 columns take about 0.5 GB while
 * sampled. On a 2-core virtual machine, where fresh pages are slow to touch, 1,000,000 rows x 280
 * columns as one table took 12.8 s and 2.85 GB; streamed in batches, which reuse the pages the
 * previous one freed, 7.8 s and 1.0 GB.
 */
export const SAMPLE_BATCH_ROWS = 131_072;
/** Stream of the batch seeds' derivation (apart from the condition's extra batches, seed + k·0x9e3779b9). */
const BATCH_SEED_STREAM = 0x5eed0000;

/** Seed of batch k of a sampling run with seed `seed` (batch 0: the seed itself). */
function batchSeedOf(seed: number, k: number): number {
  return k === 0 ? seed : new SamplingRandom(seed, BATCH_SEED_STREAM + k).nextUint32() | 0;
}

/**
 * Samples synthetic rows from a model (optionally conditioned), with every schema constraint
 * holding, as one table (batches of {@link SAMPLE_BATCH_ROWS} rows joined).
 * @example sampleModel(model, { rows: 10000, seed: 1, where: 'genotype=SC and age_years<18' })
 */
export function sampleModel(model: HemasynthModel, opts: SampleModelOptions & { batchRows?: number }): Table {
  const batches = [...sampleModelBatches(model, opts)];
  return batches.length === 1 ? batches[0] : new Table(batches[0].schema, batches.flatMap((t) => t.batches));
}

/**
 * The rows of {@link sampleModel}, as tables of at most `batchRows` rows sharing one Arrow schema
 * (default {@link SAMPLE_BATCH_ROWS}, as sampleModel and `hemasynth sample` use: the rows depend
 * on the batch size), made one at a time: memory stays bounded by a batch when each is written out and
 * dropped (`hemasynth sample`). Errors in the options are thrown before the first batch is drawn.
 * @example for (const t of sampleModelBatches(model, { rows: 10_000_000, seed: 1 })) writer.write(t);
 */
export function sampleModelBatches(model: HemasynthModel, opts: SampleModelOptions & { batchRows?: number }): Generator<Table> {
  const rows = opts.rows;
  if (!Number.isInteger(rows) || rows < 0 || rows > 2_000_000_000) throw new UsageError(`Expected a whole number of rows in [0, 2e9] for rows but received ${describeValue(rows)}`);
  const generator = generatorByName(model.manifest.model);
  const engine = opts.engine ?? 'native';
  if (engine !== 'native' && engine !== 'onnx') throw new UsageError(`Expected engine "native" or "onnx" but received ${describeValue(engine)}`);
  if (!generator.engines.includes(engine)) {
    throw new UsageError(`Expected an engine the ${model.manifest.model} model supports (${generator.engines.join(', ')}) but received "${engine}": ${model.manifest.model} models have no ONNX graph; use --engine native`);
  }
  const encoders = model.manifest.encoders as DiscreteColumnEncoder[];
  // Constraints: repair rows in place on the decoded arrays (their numeric columns stay float64).
  const constraints = applicableConstraints(model.manifest.schema, encoders.map((e) => e.column));
  // The condition with what the constraints imply, so that their repair cannot break it.
  // An empty condition is refused (resolveCondition), not read as no condition.
  const condition = opts.where !== undefined ? withConstraintEvidence(resolveCondition(opts.where, encoders), constraints, encoders) : null;
  const seed = samplingSeed(opts.seed);
  const threads = opts.threads ?? 0;
  const batchRows = opts.batchRows ?? SAMPLE_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new UsageError(`Expected a whole number of rows >= 1 for batchRows but received ${describeValue(batchRows)}`);
  const constrained = new Set(constraints.flatMap(constraintColumns));
  const meta = new Map([[SYNTHETIC_METADATA_KEY, JSON.stringify({ model: model.manifest.model, epsilon: model.manifest.privacy.epsilon, delta: model.manifest.privacy.delta, nonPrivate: model.manifest.privacy.nonPrivate, notice: model.manifest.privacy.notice, where: opts.where ?? null })]]);
  // One Arrow schema (and one dictionary per categorical column) for every batch.
  const arrow = decodedArrowSchema(encoders, meta);
  const sampleAndRepair = (n: number, batchSeed: number): DecodedColumn[] => {
    const request = { rows: n, seed: batchSeed, condition, engine, threads };
    const decoded = generator.sampleColumns ? generator.sampleColumns(model, request) : decodeAll(encoders, generator.sampleCodes(model, request), batchSeed, condition?.restrictions ?? new Map(), threads, constrained);
    if (constraints.length) repairDecoded(constraints, decoded, batchSeed);
    return decoded;
  };
  const sampleBatch = (n: number, batchSeed: number): Table => {
    let decoded = sampleAndRepair(n, batchSeed);
    // A repair can break the condition (a sum scaled down, a missing rate restored): such rows are replaced.
    if (condition && constraints.length > 0) {
      const parsed: ConditionExpression = { type: 'and', items: condition.predicates };
      const mentioned = new Set(conditionColumns(parsed));
      const related = constraints.filter((c) => constraintColumns(c).some((name) => mentioned.has(name)));
      decoded = rowsMeetingCondition(parsed, condition.text, (related.length ? related : constraints).map((c) => c.text), decoded, n,
        (m, k) => sampleAndRepair(m, Number(BigInt.asIntN(32, BigInt(batchSeed) + BigInt(k) * 0x9e3779b9n))));
    }
    return decodedTable(decoded, arrow);
  };
  return (function* batches(): Generator<Table> {
    let k = 0;
    for (let done = 0; done < rows || k === 0; k++) {
      const n = Math.min(batchRows, rows - done);
      yield sampleBatch(n, batchSeedOf(seed, k));
      done += n;
    }
  })();
}

/** Columns of a schema a generator models (direct identifiers, identifiers and free text are not). */
export function modelledColumnNames(schema: TableSchema): string[] {
  return schema.columns.filter(isModelledColumn).map((c) => c.name);
}
