/**
 * The model file a federation writes: an ordinary `.hsm` bundle (so `hemasynth sample` and the
 * evaluators take it like a centrally trained one) whose manifest records the federation (sites,
 * threshold, rounds, contributors) and carries the federation's privacy ledger instead of a
 * dataset's. Its fingerprint names the federation, not any site's data.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TableSchema } from '../../data/schema';
import { PrivacyLedger } from '../../dp/ledger';
import { UsageError, describeValue } from '../../errors';
import { applicableConstraints } from '../../models/constraints';
import type { HemasynthModel, ModelManifest, TrainedParts } from '../../models/generator';
import { MODEL_FORMAT_VERSION } from '../../models/model-file';
import { withBinTilts } from '../../models/model-api';
import { generatorByName } from '../../models/registry';
import { PrivacyPlanner } from '../../models/privacy-plan';
import { VERSION } from '../../version';
import type { CoordinatorTaskOptions } from '../task';

/** What a coordinator task knows when it writes its model. */
export interface FederatedModelParts {
  model: string;
  schema: TableSchema;
  parts: TrainedParts;
  epsilon: number;
  delta: number;
  seed: number | null;
  options: Record<string, unknown>;
  /** The federation's record: id, sites, threshold, rounds, contributors... */
  federation: Record<string, unknown>;
  /** Date.now() when the federation started. */
  started: number;
  ledger: PrivacyLedger;
}

/**
 * Assembles the in-memory model of a federation.
 * @example saveModel('model.hsm', federatedModelFile({ model: 'tvae', schema, parts, epsilon: 3, delta: 1e-6, seed: null, options: {}, federation, started, ledger }))
 */
export function federatedModelFile(f: FederatedModelParts): HemasynthModel {
  const columns = f.parts.encoders.map((e) => (e as { column: string }).column);
  const byName = new Map(f.schema.columns.map((c) => [c.name, c]));
  const manifest: ModelManifest = {
    format: 'hemasynth-model',
    formatVersion: MODEL_FORMAT_VERSION,
    libraryVersion: VERSION,
    model: f.model,
    schema: {
      version: 1,
      ...(f.schema.name ? { name: `${f.schema.name} (synthetic, federated)` } : {}),
      columns: columns.map((n) => byName.get(n) as TableSchema['columns'][number]),
      constraints: applicableConstraints(f.schema, columns).map((x) => x.text),
    },
    encoders: f.parts.encoders,
    generator: f.parts.generator,
    training: {
      epsilon: f.epsilon,
      delta: f.delta,
      seed: f.seed,
      nonPrivate: false,
      options: { ...f.options, federation: f.federation },
      fitSeconds: (Date.now() - f.started) / 1000,
    },
    privacy: { nonPrivate: false, notice: null, epsilon: f.ledger.spent().epsilon, delta: f.delta, ledger: f.ledger.toJSON() },
    dataFingerprint: f.ledger.datasetFingerprint,
  };
  const model: HemasynthModel = { manifest, weights: f.parts.weights, ...(f.parts.files ? { files: f.parts.files } : {}) };
  // As a central training: the bins' tilts from the model's own sample (post-processing).
  const generator = generatorByName(f.model);
  if (!generator.sampleColumns) manifest.encoders = withBinTilts(model, generator);
  return model;
}

/**
 * Checks a federation's budget (a federation always runs with differential privacy) and opens its
 * ledger: a fresh federation id, and a ledger keyed by the id and the site names (no site's data).
 * @example const { federation, ledger } = openFederationLedger('tvae', options)
 */
export function openFederationLedger(model: string, o: CoordinatorTaskOptions): { federation: string; ledger: PrivacyLedger } {
  if (!(Number.isFinite(o.epsilon) && o.epsilon > 0)) throw new UsageError(`Expected a finite epsilon > 0 for a federated ${model} model but received ${describeValue(o.epsilon)} (a federation always runs with differential privacy)`);
  if (!(o.delta > 0 && o.delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for delta but received ${describeValue(o.delta)}`);
  const federation = randomBytes(12).toString('hex');
  const fingerprint = createHash('sha256').update(`hemasynth-federation:${federation}:${o.sites.join(',')}`).digest('hex');
  return { federation, ledger: PrivacyLedger.create({ datasetFingerprint: fingerprint, budget: { epsilon: o.epsilon, delta: o.delta } }) };
}

/**
 * The planner of a federated model's privacy plan on the federation's ledger: it starts from the
 * federation's earlier charges (the visits round), so the model's plan is calibrated on top of them.
 * @example const charged = federationPlanner(this.ledger, o).chargePlan(shares)
 */
export function federationPlanner(ledger: PrivacyLedger, o: CoordinatorTaskOptions): PrivacyPlanner {
  const planner = new PrivacyPlanner(ledger, { epsilon: o.epsilon, delta: o.delta });
  if (o.earlierCharges?.length) planner.chargeMechanisms(o.earlierCharges);
  return planner;
}
