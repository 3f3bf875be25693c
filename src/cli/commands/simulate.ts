/** `hemasynth simulate`: writes a simulated multi-site SCD reference cohort as Arrow files. */
import { Command } from 'commander';
import { loadScdParamsFile } from '../../scd/params';
import { simulateCohort, writeSimulation } from '../../scd/simulate';
import { UsageError } from '../../errors';
import { action, parseIntOption, printJson, startProgress } from '../runtime';

interface SimulateCliOptions {
  patients: number;
  sites: number;
  seed: number;
  out: string;
  params?: string;
  wide?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('simulate a multi-site sickle-cell disease reference cohort (patients, visits, schema, parameters) as Arrow files')
    .requiredOption('--out <dir>', 'output directory')
    .option('--patients <n>', 'number of patients (all sites)', parseIntOption('--patients', 1, 10_000_000), 1500)
    .option('--sites <n>', 'number of sites (countries cycle IT, NL, ES, FR)', parseIntOption('--sites', 1, 255), 4)
    .option('--seed <n>', 'random seed (same seed, same bytes)', parseIntOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--params <file>', 'JSON file overriding default parameters (see params.json of any run)')
    .option('--wide', 'add derived and extra variables (about 600 columns) for scale tests')
    .option('--json', 'print a JSON summary')
    .action(action((opts: SimulateCliOptions) => {
      if (opts.patients < opts.sites) throw new UsageError(`Expected at least one patient per site (--patients >= --sites = ${opts.sites}) for --patients but received ${opts.patients}`);
      const params = opts.params ? loadScdParamsFile(opts.params) : undefined;
      const bar = startProgress('simulate', 100, !opts.json);
      const t0 = process.hrtime.bigint();
      let result: ReturnType<typeof simulateCohort>;
      let files: string[];
      try {
        result = simulateCohort({ patients: opts.patients, sites: opts.sites, seed: opts.seed, wide: opts.wide, params, onProgress: (f, stage) => bar.update(Math.round(f * 90), { stage }) });
        bar.update(95, { stage: 'writing' });
        files = writeSimulation(opts.out, result);
        bar.update(100, { stage: 'done' });
      } finally {
        bar.stop();
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const summary = {
        out: opts.out,
        patients: result.patients.numRows,
        columns: result.patients.numCols,
        visits: result.visits.numRows,
        sites: result.perSite.map((s) => ({ site: s.site, patients: s.patients.numRows, visits: s.visits.numRows })),
        seed: opts.seed,
        wide: Boolean(opts.wide),
        seconds: Math.round(seconds * 1000) / 1000,
        files,
      };
      if (opts.json) return printJson(summary);
      const lines = [
        `simulated ${summary.patients} patients x ${summary.columns} columns and ${summary.visits} visits in ${summary.seconds} s (seed ${summary.seed})`,
        ...summary.sites.map((s) => `  ${s.site.padEnd(5)} ${String(s.patients).padStart(7)} patients ${String(s.visits).padStart(8)} visits`),
        `wrote ${files.length} files to ${opts.out}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
