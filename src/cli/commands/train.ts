/** `hemasynth train`: trains a synthetic-data generator (DP or explicitly non-private) and writes a .hsm model file. */
import { Command } from 'commander';
import { readTable } from '../../data/table-io';
import { loadSchema } from '../../data/schema-validation';
import { fingerprintFile, ledgerPathFor, PrivacyLedger } from '../../dp/ledger';
import { UsageError } from '../../errors';
import { KNOWN_GENERATORS, generatorByName } from '../../models/registry';
import { NON_PRIVATE_NOTICE, trainModel } from '../../models/model-api';
import { saveModel } from '../../models/model-file';
import { action, parseIntOption, parseModelOptions, parseNumberOption, printJson, startProgress } from '../runtime';

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

export function register(program: Command): void {
  program
    .command('train')
    .description('train a synthetic-data generator on a table (DP with --epsilon/--delta, or explicitly non-private with --epsilon inf) and write a .hsm model')
    .requiredOption('--data <file>', 'training table (.arrow, .csv or .parquet)')
    .requiredOption('--model <name>', `generator: ${KNOWN_GENERATORS.join(' | ')}`)
    .requiredOption('--epsilon <e>', 'privacy budget epsilon for this training, or "inf" for an explicitly NON-PRIVATE model', parseNumberOption('--epsilon', { min: 0, allowInfinity: true }))
    .option('--delta <d>', 'privacy delta (default 1e-6)', parseNumberOption('--delta', { min: 0, max: 1 }))
    .option('--seed <n>', 'seed: reproducible noise and structure (seeded noise is not for production)', parseIntOption('--seed', 0, 2 ** 31 - 1))
    .requiredOption('--out <file>', 'model file to write (.hsm)')
    .option('--schema <file>', 'schema JSON (default: the schema embedded in the data file, else inferred)')
    .option('--ledger <file>', 'privacy ledger (default: <data>.ledger.json; created with budget --epsilon/--delta if absent)')
    .option('--bins <n>', 'equal-frequency bins per numeric column (marginal, copula; default 12)', parseIntOption('--bins', 2, 64))
    .option('--backend <name>', 'compute backend js | cpu | cuda | auto (default auto; marginal and copula have no CUDA kernels: js or cpu)')
    .option('--epochs <n>', 'tvae, ctgan: training epochs (default 300)', parseIntOption('--epochs', 1, 100000))
    .option('--batch-size <n>', 'tvae, ctgan: batch size, or the expected Poisson batch under DP (default 500)', parseIntOption('--batch-size', 1, 1000000))
    .option('--threads <n>', 'tvae, ctgan: native threads (default all cores)', parseIntOption('--threads', 0, 1024))
    .option('--visits <file>', 'longitudinal visits table (linked by patient_id) to model conditionally on the patient rows; under DP it takes 10% of epsilon')
    .option('--visits-schema <file>', 'schema JSON of the visits table (default: embedded in the file, else inferred)')
    .option('--options <json>', 'model options as JSON, e.g. {"stratifyBy": "genotype"} (copula) or {"maxParents": 2} (marginal); see docs/models.md')
    .option('--json', 'print a JSON summary')
    .action(action(async (opts: TrainCliOptions) => {
      generatorByName(opts.model); // refuses unknown or unavailable models before reading anything
      const modelOptions = parseModelOptions(opts.options);
      if (!(opts.epsilon > 0)) throw new UsageError(`Expected --epsilon > 0 or "inf" but received ${opts.epsilon}`);
      const nonPrivate = opts.epsilon === Infinity;
      const delta = opts.delta ?? 1e-6;
      if (!nonPrivate && !(delta > 0 && delta < 1)) throw new UsageError(`Expected --delta in (0, 1) but received ${delta}`);
      const schema = opts.schema ? loadSchema(opts.schema) : undefined;
      let ledger: PrivacyLedger | undefined;
      let datasetFingerprint: string | undefined;
      if (!nonPrivate) {
        datasetFingerprint = fingerprintFile(opts.data);
        ledger = PrivacyLedger.openOrCreate(opts.ledger ?? ledgerPathFor(opts.data), { datasetFingerprint, budget: { epsilon: opts.epsilon, delta } });
      } else if (!opts.json) {
        process.stderr.write(`\n*** ${NON_PRIVATE_NOTICE} ***\n\n`);
      }
      const table = await readTable(opts.data, schema ? { schema } : {});
      const visitsSchema = opts.visitsSchema ? loadSchema(opts.visitsSchema) : undefined;
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
