/** `hemasynth sample`: draws synthetic rows from a .hsm model (optionally conditioned with --where). */
import { Command } from 'commander';
import type { Table } from 'apache-arrow';
import { writeTable, writeTableStream } from '../../data/table-io';
import { sampleModelVisits } from '../../visits/visit-model';
import { UsageError } from '../../errors';
import { loadModel } from '../../models/model-file';
import { NON_PRIVATE_NOTICE, sampleModel, sampleModelBatches } from '../../models/model-api';
import { action, parseIntOption, printJson } from '../runtime';
import { preflightPaths } from '../output-paths';

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
    .option('--visits-out <file>', 'also write the synthetic patients\' visits (model trained with --visits; patient_row links to --out; the patients are then held in memory, not streamed)')
    .option('--json', 'print a JSON summary')
    .action(action(async (opts: SampleCliOptions) => {
      if (opts.engine !== 'native' && opts.engine !== 'onnx') throw new UsageError(`Expected --engine native or onnx but received ${JSON.stringify(opts.engine)}`);
      preflightPaths({
        inputs: [{ option: '--model', path: opts.model }],
        outputs: [{ option: '--out', path: opts.out, table: true }, { option: '--visits-out', path: opts.visitsOut, table: true }],
      });
      const model = loadModel(opts.model);
      const request = { rows: opts.rows, seed: opts.seed, where: opts.where, engine: opts.engine as 'native' | 'onnx' };
      // Seconds spent sampling (not writing), summed over the batches.
      let seconds = 0;
      const timed = <T>(make: () => T): T => {
        const t0 = process.hrtime.bigint();
        try { return make(); } finally { seconds += Number(process.hrtime.bigint() - t0) / 1e9; }
      };
      let rows: number, columns: number;
      let visits: Table | null = null;
      if (opts.visitsOut) {
        // Visits link to the patients' rows: the whole table is sampled first. Checked before
        // anything is written, so a model without visits writes nothing.
        const table = timed(() => sampleModel(model, request));
        visits = sampleModelVisits(model, table, { seed: opts.seed });
        await writeTable(opts.out, table);
        await writeTable(opts.visitsOut, visits);
        [rows, columns] = [table.numRows, table.numCols];
      } else {
        // Streamed: each batch of rows is written before the next is sampled (bounded memory).
        const batches = sampleModelBatches(model, request);
        let width = 0;
        rows = await writeTableStream(opts.out, (function* () {
          for (;;) {
            const r = timed(() => batches.next());
            if (r.done) return;
            width = r.value.numCols;
            yield r.value;
          }
        })());
        columns = width;
      }
      const p = model.manifest.privacy;
      const summary = { model: model.manifest.model, rows, columns, out: opts.out, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : null, where: opts.where ?? null, visits: visits ? { rows: visits.numRows, out: opts.visitsOut } : null, nonPrivate: p.nonPrivate, epsilon: p.epsilon, delta: p.delta, notice: p.notice };
      if (opts.json) return printJson(summary);
      if (p.nonPrivate) process.stderr.write(`\n*** ${NON_PRIVATE_NOTICE} ***\n\n`);
      process.stdout.write(`sampled ${rows} rows x ${columns} columns from ${model.manifest.model} (${p.nonPrivate ? 'NON-PRIVATE' : `epsilon ${Number(p.epsilon).toFixed(4)}, delta ${p.delta}`}) in ${seconds.toFixed(2)} s -> ${opts.out}${visits ? `; ${visits.numRows} visits -> ${opts.visitsOut}` : ''}\n`);
    }));
}
