/** `hemasynth sample`: draws synthetic rows from a .hsm model (optionally conditioned with --where). */
import { Command } from 'commander';
import { writeTable } from '../../data/table-io';
import { sampleModelVisits } from '../../visits/visit-model';
import { UsageError } from '../../errors';
import { loadModel } from '../../models/model-file';
import { NON_PRIVATE_NOTICE, sampleModel } from '../../models/model-api';
import { action, parseIntOption, printJson } from '../runtime';

interface SampleCliOptions {
  model: string;
  rows: number;
  seed?: number;
  out: string;
  where?: string;
  visitsOut?: string;
  engine: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('sample synthetic rows from a .hsm model; every schema constraint holds; --where conditions the model exactly (no rejection)')
    .requiredOption('--model <file>', 'model file (.hsm)')
    .requiredOption('--rows <n>', 'number of rows', parseIntOption('--rows', 0, 2_000_000_000))
    .option('--seed <n>', 'seed (same model, seed and options give the same rows)', parseIntOption('--seed', 0, 2 ** 31 - 1))
    .requiredOption('--out <file>', 'output table (.arrow, .csv or .parquet)')
    .option('--where <condition>', 'condition, e.g. "genotype=SC and age_years<18"')
    .option('--engine <engine>', 'native | onnx (onnx: neural generators only)', 'native')
    .option('--visits-out <file>', 'also write the synthetic patients\' visits (model trained with --visits; patient_row links to --out)')
    .option('--json', 'print a JSON summary')
    .action(action(async (opts: SampleCliOptions) => {
      if (opts.engine !== 'native' && opts.engine !== 'onnx') throw new UsageError(`Expected --engine native or onnx but received ${JSON.stringify(opts.engine)}`);
      const model = loadModel(opts.model);
      const t0 = process.hrtime.bigint();
      const table = sampleModel(model, { rows: opts.rows, seed: opts.seed, where: opts.where, engine: opts.engine as 'native' | 'onnx' });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      // Visits: checked before anything is written, so a model without them writes nothing.
      const visits = opts.visitsOut ? sampleModelVisits(model, table, { seed: opts.seed }) : null;
      await writeTable(opts.out, table);
      if (visits && opts.visitsOut) await writeTable(opts.visitsOut, visits);
      const p = model.manifest.privacy;
      const summary = { model: model.manifest.model, rows: table.numRows, columns: table.numCols, out: opts.out, seconds, rowsPerSecond: seconds > 0 ? table.numRows / seconds : null, where: opts.where ?? null, visits: visits ? { rows: visits.numRows, out: opts.visitsOut } : null, nonPrivate: p.nonPrivate, epsilon: p.epsilon, delta: p.delta, notice: p.notice };
      if (opts.json) return printJson(summary);
      if (p.nonPrivate) process.stderr.write(`\n*** ${NON_PRIVATE_NOTICE} ***\n\n`);
      process.stdout.write(`sampled ${table.numRows} rows x ${table.numCols} columns from ${model.manifest.model} (${p.nonPrivate ? 'NON-PRIVATE' : `epsilon ${Number(p.epsilon).toFixed(4)}, delta ${p.delta}`}) in ${seconds.toFixed(2)} s -> ${opts.out}${visits ? `; ${visits.numRows} visits -> ${opts.visitsOut}` : ''}\n`);
    }));
}
