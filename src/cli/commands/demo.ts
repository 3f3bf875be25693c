/** `hemasynth demo`: the main job end to end on built-in data (see src/demo). */
import * as path from 'node:path';
import { Command } from 'commander';
import { checkDemoOptions, runDemo } from '../../demo';
import type { DemoOptionNames } from '../../demo';
import { action, parseIntOption, parseNumberOption, printJson } from '../runtime';

/** The options as the user types them, for the errors of checkDemoOptions. */
const OPTION_NAMES: DemoOptionNames = { patients: '--patients', sites: '--sites', seed: '--seed', model: '--model', epsilon: '--epsilon', delta: '--delta', central: '--central', secureAggregation: '--secure-agg' };

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main job end to end on built-in data: simulate a multi-site SCD cohort, anonymise each site, train a DP generator, sample synthetic patients and write the validation report')
    .requiredOption('--out <dir>', 'output folder')
    .option('--patients <n>', 'simulated patients over all sites', parseIntOption('--patients', 10, 10_000_000), 1500)
    .option('--sites <n>', 'hospital sites', parseIntOption('--sites', 1, 64), 4)
    .option('--seed <n>', 'simulator seed', parseIntOption('--seed', 0, 2 ** 31 - 1), 7)
    .option('--model <name>', 'generator', 'marginal')
    .option('--epsilon <e>', 'privacy budget ε of the generator ("inf" with --central for an explicitly non-private model)', parseNumberOption('--epsilon', { min: 0, minExclusive: true, allowInfinity: true }), 3)
    .option('--delta <d>', 'privacy parameter δ', parseNumberOption('--delta', { min: 0, max: 0.1, minExclusive: true }), 1e-5)
    .option('--central', 'train on the pooled table instead of across the sites with secure aggregation')
    .option('--secure-agg <mode>', 'secure aggregation of the federated training: pairwise, two-server or none', 'pairwise')
    .option('--json', 'print the summary as JSON')
    .action(action(async (opts: { out: string; patients: number; sites: number; seed: number; model: string; epsilon: number; delta: number; central?: boolean; secureAgg: string; json?: boolean }) => {
      const log = (s: string) => { if (!opts.json) process.stderr.write(`hemasynth demo: ${s}\n`); };
      const demo = { out: opts.out, patients: opts.patients, sites: opts.sites, seed: opts.seed, model: opts.model, epsilon: opts.epsilon, delta: opts.delta, central: opts.central, secureAggregation: opts.secureAgg as 'pairwise' | 'two-server' | 'none' };
      // Every option is checked, named as typed, before anything is simulated or written.
      checkDemoOptions(demo, OPTION_NAMES);
      const summary = await runDemo({ ...demo, onStage: (s) => log(`${s}...`) });
      if (opts.json) return printJson(summary);
      const rel = (f: string) => path.relative(process.cwd(), f) || '.';
      const lines = [
        `simulated ${summary.cohort.patients} patients at ${summary.cohort.sites.length} sites (${summary.cohort.sites.join(', ')}), ${summary.cohort.columns} columns, ${summary.cohort.visits} visits -> ${rel(path.join(summary.out, 'cohort'))}`,
        `clinical validity of the simulated cohort (V1-V13): ${summary.clinicalChecks.passed}/${summary.clinicalChecks.total} pass${summary.clinicalChecks.failed.length ? ` (outside band: ${summary.clinicalChecks.failed.join(', ')})` : ''}`,
        'anonymisation per site (policy data/policies/scd.json):',
        ...summary.anonymisation.map((s) =>
          `  ${s.site}: ${s.patients} patients, suppressed ${s.suppressedRecords}, average prosecutor risk ${s.averageProsecutorBefore.toFixed(3)} -> ${s.averageProsecutorAfter.toFixed(3)}, highest ${s.highestProsecutorAfter.toFixed(3)}, verdict ${s.verdict} -> ${rel(s.released)}`),
        `generator: ${summary.generator.model}, ${summary.generator.training === 'federated' ? `federated across ${summary.cohort.sites.length} sites with ${summary.generator.secureAggregation} secure aggregation` : 'central'}, at ε = ${summary.generator.epsilon}, δ = ${summary.generator.delta} (spent ε ${typeof summary.generator.epsilonSpent === 'number' ? summary.generator.epsilonSpent.toFixed(3) : summary.generator.epsilonSpent}), trained in ${summary.generator.seconds.toFixed(1)} s -> ${rel(summary.generator.file)}${summary.generator.ledger ? `, ledger${summary.generator.training === 'federated' ? 's' : ''} ${rel(summary.generator.ledger)}` : ''}`,
        `synthetic: ${summary.synthetic.rows} patients -> ${rel(summary.synthetic.file)}`,
        `validation: clinical analyses ${summary.report.clinicalPassed}/${summary.report.clinicalTotal} reproduced, membership-inference AUC ${summary.report.membershipAuc === null ? 'n/a' : summary.report.membershipAuc.toFixed(3)}`,
        `report: ${rel(summary.report.html)} (and ${rel(summary.report.json)})`,
        `summary: ${rel(path.join(summary.out, 'summary.json'))}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
