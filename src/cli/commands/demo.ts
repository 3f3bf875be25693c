/** `hemasynth demo`: the main job end to end on built-in data (see src/demo). */
import * as path from 'node:path';
import { Command } from 'commander';
import { runDemo } from '../../demo';
import { action, parseIntOption, printJson } from '../runtime';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main job end to end on built-in data: simulate a multi-site SCD cohort, anonymise each site, and summarise')
    .requiredOption('--out <dir>', 'output folder')
    .option('--patients <n>', 'simulated patients over all sites', parseIntOption('--patients', 10, 10_000_000), 1500)
    .option('--sites <n>', 'hospital sites', parseIntOption('--sites', 1, 64), 4)
    .option('--seed <n>', 'simulator seed', parseIntOption('--seed', 0, 2 ** 31 - 1), 7)
    .option('--json', 'print the summary as JSON')
    .action(action(async (opts: { out: string; patients: number; sites: number; seed: number; json?: boolean }) => {
      const log = (s: string) => { if (!opts.json) process.stderr.write(`hemasynth demo: ${s}\n`); };
      const summary = await runDemo({ out: opts.out, patients: opts.patients, sites: opts.sites, seed: opts.seed, onStage: (s) => log(`${s}...`) });
      if (opts.json) return printJson(summary);
      const rel = (f: string) => path.relative(process.cwd(), f) || '.';
      const lines = [
        `simulated ${summary.cohort.patients} patients at ${summary.cohort.sites.length} sites (${summary.cohort.sites.join(', ')}), ${summary.cohort.columns} columns, ${summary.cohort.visits} visits -> ${rel(path.join(summary.out, 'cohort'))}`,
        `clinical validity of the simulated cohort (V1-V13): ${summary.clinicalChecks.passed}/${summary.clinicalChecks.total} pass${summary.clinicalChecks.failed.length ? ` (outside band: ${summary.clinicalChecks.failed.join(', ')})` : ''}`,
        'anonymisation per site (policy data/policies/scd.json):',
        ...summary.anonymisation.map((s) =>
          `  ${s.site}: ${s.patients} patients, suppressed ${s.suppressedRecords}, average prosecutor risk ${s.averageProsecutorBefore.toFixed(3)} -> ${s.averageProsecutorAfter.toFixed(3)}, highest ${s.highestProsecutorAfter.toFixed(3)}, verdict ${s.verdict} -> ${rel(s.released)}`),
        `summary: ${rel(path.join(summary.out, 'summary.json'))}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
