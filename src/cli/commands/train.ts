/** `hemasynth train`: trains a synthetic-data generator (DP or explicitly non-private) and writes a .hsm model file. */
import { Command } from 'commander';
import { readTable } from '../../data/table-io';
import { loadSchema } from '../../data/schema-validation';
import { fingerprintFile, ledgerPathFor, PrivacyLedger } from '../../dp/ledger';
import { InputError, UsageError } from '../../errors';
import { KNOWN_GENERATORS, generatorByName } from '../../models/registry';
import { NON_PRIVATE_NOTICE, trainModel } from '../../models/model-api';
import { parseSchemaConstraints } from '../../models/constraints';
import { carriedSchema } from '../../data/table-io';
import { saveModel } from '../../models/model-file';
import { checkTrainingDelta, checkTrainingEpsilon, MAX_TRAINING_EPSILON, MIN_TRAINING_EPSILON } from '../../models/privacy-plan';
import { action, parseIntOption, parseModelOptions, parseNumberOption, printJson, startProgress } from '../runtime';
import { preflightPaths } from '../output-paths';

interface TrainCliOptions {
  data: string;
  model: string;
  epsilon: number;
  delta?: number;
  seed?: number;
  out: string;
  schema?: string;
  ledger?: string;
  bins?: number;
  backend?: string;
  epochs?: number;
  batchSize?: number;
  threads?: number;
  visits?: string;
  visitsSchema?: string;
  options?: string;
  json?: boolean;
}

/**
 * Refuses missing inputs, an unwritable --out, and a --out or ledger that is an input or each
 * other (the ledger is rewritten after training; a model written over it would reset the budget).
 */
function checkTrainPaths(opts: TrainCliOptions): void {
  // A non-private model (--epsilon inf) touches no ledger.
  const ledger = opts.epsilon === Infinity ? undefined : opts.ledger ?? ledgerPathFor(opts.data);
  preflightPaths({
    inputs: [
      { option: '--data', path: opts.data },
      { option: '--schema', path: opts.schema },
      { option: '--visits', path: opts.visits },
      { option: '--visits-schema', path: opts.visitsSchema },
    ],
    state: [{ option: opts.ledger !== undefined ? '--ledger' : 'the default ledger', path: ledger }],
    outputs: [{ option: '--out', path: opts.out }],
  });
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a synthetic-data generator on a table (DP with --epsilon/--delta, or explicitly non-private with --epsilon inf) and write a .hsm model')
    .requiredOption('--data <file>', 'training table (.arrow, .csv or .parquet)')
    .requiredOption('--model <name>', `generator: ${KNOWN_GENERATORS.join(' | ')}`)
    .requiredOption('--epsilon <e>', `privacy budget epsilon for this training, in [${MIN_TRAINING_EPSILON}, ${MAX_TRAINING_EPSILON}], or "inf" for an explicitly NON-PRIVATE model`, parseNumberOption('--epsilon', { min: 0, minExclusive: true, allowInfinity: true }))
    .option('--delta <d>', 'privacy delta in (0, 1) (default 1e-6)', parseNumberOption('--delta', { min: 0, max: 1, minExclusive: true, maxExclusive: true }))
    .option('--seed <n>', 'seed: reproducible noise and structure (seeded noise is not for production)', parseIntOption('--seed', 0, 2 ** 31 - 1))
    .requiredOption('--out <file>', 'model file to write (.hsm)')
    .option('--schema <file>', 'schema JSON (default: the schema embedded in the data file, else inferred)')
    .option('--ledger <file>', 'privacy ledger (default: <data>.ledger.json). If absent, it is created at the training\'s first charge with budget --epsilon/--delta; a training refused before charging creates none')
    .option('--bins <n>', 'equal-frequency bins per numeric column (marginal, copula; default 12)', parseIntOption('--bins', 2, 64))
    .option('--backend <name>', 'compute backend js | cpu | cuda | auto (default auto; marginal and copula have no CUDA kernels: js or cpu)')
    .option('--epochs <n>', 'tvae, ctgan: training epochs (default 300; tvae: at least 3,000 steps)', parseIntOption('--epochs', 1, 100000))
    .option('--batch-size <n>', 'tvae, ctgan: batch size, or the expected Poisson batch under DP (default 500)', parseIntOption('--batch-size', 1, 1000000))
    .option('--threads <n>', 'tvae, ctgan: native threads (default all cores)', parseIntOption('--threads', 0, 1024))
    .option('--visits <file>', 'longitudinal visits table (linked by patient_id) to model conditionally on the patient rows; under DP it takes 10% of epsilon')
    .option('--visits-schema <file>', 'schema JSON of the visits table (default: embedded in the file, else inferred)')
    .option('--options <json>', 'model options as JSON, e.g. {"stratifyBy": "genotype"} (copula) or {"maxParents": 2} (marginal); see docs/models.md')
    .option('--json', 'print a JSON summary')
    .action(action(async (opts: TrainCliOptions) => {
      checkTrainPaths(opts); // before anything is read, trained or charged to a ledger
      generatorByName(opts.model); // refuses unknown or unavailable models before reading anything
      const modelOptions = parseModelOptions(opts.options);
      if (!(opts.epsilon > 0)) throw new UsageError(`Expected --epsilon > 0 or "inf" but received ${opts.epsilon}`);
      const nonPrivate = opts.epsilon === Infinity;
      if (!nonPrivate) checkTrainingEpsilon(opts.epsilon, '--epsilon');
      const delta = opts.delta ?? 1e-6;
      if (!nonPrivate && !(delta > 0 && delta < 1)) throw new UsageError(`Expected --delta in (0, 1) but received ${delta}`);
      if (!nonPrivate) checkTrainingDelta(delta, '--delta');
      const schema = opts.schema ? loadSchema(opts.schema) : undefined;
      // A schema file describes this table's columns, so a constraint on a column it lacks is a
      // mistake (a typo would otherwise drop the constraint silently): checked in full here.
      if (schema) parseSchemaConstraints(schema, opts.schema);
      const visitsSchema = opts.visitsSchema ? loadSchema(opts.visitsSchema) : undefined;
      if (visitsSchema) parseSchemaConstraints(visitsSchema, opts.visitsSchema);
      let ledger: PrivacyLedger | undefined;
      let datasetFingerprint: string | undefined;
      if (!nonPrivate) {
        datasetFingerprint = fingerprintFile(opts.data);
        ledger = PrivacyLedger.openOrCreate(opts.ledger ?? ledgerPathFor(opts.data), { datasetFingerprint, budget: { epsilon: opts.epsilon, delta } });
      } else if (!opts.json) {
        process.stderr.write(`\n*** ${NON_PRIVATE_NOTICE} ***\n\n`);
      }
      const table = await readTable(opts.data, schema ? { schema } : {});
      if (table.numRows === 0) throw new InputError({ file: opts.data }, 'a training table with at least one row', 'a table with 0 rows (a model of no rows would be noise only)');
      const carried = schema ? undefined : carriedSchema(table);
      if (carried) parseSchemaConstraints(carried, `${opts.data} (its embedded schema)`);
      const visits = opts.visits ? { table: await readTable(opts.visits, visitsSchema ? { schema: visitsSchema } : {}), ...(visitsSchema ? { schema: visitsSchema } : {}) } : undefined;
      const bar = startProgress(`train ${opts.model}`, 100, !opts.json);
      let model;
      try {
        model = trainModel({
          table, schema, model: opts.model, epsilon: opts.epsilon, delta, seed: opts.seed, ledger, datasetFingerprint, ...(visits ? { visits } : {}),
          options: {
            ...modelOptions,
            ...(opts.bins ? { bins: opts.bins } : {}),
            ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
            ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
            ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
            ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
          },
          onProgress: (f, stage, eps) => bar.update(Math.round(f * 100), { stage, epsilon: Number.isFinite(eps) ? eps.toFixed(3) : 'inf' }),
        });
      } finally {
        bar.stop();
      }
      saveModel(opts.out, model);
      const p = model.manifest.privacy;
      const summary = {
        model: model.manifest.model,
        out: opts.out,
        columns: model.manifest.encoders.length,
        fitSeconds: model.manifest.training.fitSeconds,
        nonPrivate: p.nonPrivate,
        epsilon: p.epsilon,
        delta: p.delta,
        ledger: ledger ? { file: ledger.file, spent: ledger.spent().epsilon, budget: ledger.budget } : null,
        notice: p.notice,
      };
      if (opts.json) return printJson(summary);
      const lines = [
        `trained ${summary.model} on ${summary.columns} columns in ${summary.fitSeconds.toFixed(2)} s -> ${opts.out}`,
        nonPrivate ? `privacy: NONE (--epsilon inf). ${NON_PRIVATE_NOTICE}` : `privacy: epsilon ${Number(p.epsilon).toFixed(4)} at delta ${p.delta}; ledger ${ledger?.file} now at epsilon ${summary.ledger?.spent.toFixed(4)} of ${ledger?.budget.epsilon}`,
      ];
      if (!nonPrivate && p.notice) lines.push(`warning: ${p.notice}`);
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
