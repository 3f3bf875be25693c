/** `hemasynth risk`: re-identification risk of a table under a policy, without changing it. */
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { assessRisk, loadPolicy, readStringTable } from '../../anonymise';
import { action, printJson } from '../runtime';

export function register(program: Command): void {
  program
    .command('risk')
    .description('measure prosecutor, journalist and marketer risk, sample and population uniqueness of the policy\'s quasi-identifiers, and the WP29 verdicts')
    .requiredOption('--data <file>', 'input table (.csv, .tsv, .arrow, .parquet)')
    .requiredOption('--policy <file>', 'policy naming the quasi-identifiers (JSON)')
    .option('--delimiter <char>', 'CSV delimiter of the input (default: guessed from the header)')
    .option('--json', 'print as JSON')
    .action(action(async (opts: { data: string; policy: string; delimiter?: string; json?: boolean }) => {
      if (opts.delimiter !== undefined && opts.delimiter.length !== 1) throw new UsageError(`Expected one character for --delimiter but received ${JSON.stringify(opts.delimiter)}`);
      const policy = loadPolicy(opts.policy);
      const table = await readStringTable(opts.data, { delimiter: opts.delimiter });
      const r = assessRisk(table, policy, { dataFile: opts.data });
      if (opts.json) return printJson({ data: opts.data, policy: opts.policy, quasiIdentifiers: r.quasiIdentifiers, risk: r.risk, inference: r.inference, verdict: r.verdict });
      const k = r.risk;
      const p = k.populationModels;
      process.stdout.write([
        `risk of ${opts.data} on ${r.quasiIdentifiers.join(', ')}`,
        `  records ${k.records}, equivalence classes ${k.equivalenceClasses}`,
        `  prosecutor: average ${k.averageProsecutor.toFixed(4)}, highest ${k.highestProsecutor.toFixed(4)}, records above ${k.recordRiskThreshold}: ${(k.recordsAtRisk * 100).toFixed(2)}%`,
        `  journalist: average ${k.journalist.average.toFixed(4)}, highest ${k.journalist.highest.toFixed(4)}; marketer ${k.marketer.toFixed(4)}`,
        `  sample uniqueness ${k.sampleUniqueness.toFixed(4)} (${k.uniqueRecords} unique records)`,
        `  population uniqueness at sampling fraction ${p.samplingFraction}: Dankar ${p.dankar.toFixed(4)} (${p.dankarModel}), Pitman ${p.pitman.toFixed(4)}, Zayatz ${p.zayatz.toFixed(4)}, SNB ${p.snb.toFixed(4)}`,
        `  privacy level: ${r.verdict.level}`,
        ...r.verdict.criteria.map((c) => `  ${c.criterion}: ${c.passed ? 'passes' : 'fails'} - ${c.explanation}${c.remedies.length ? `\n    change: ${c.remedies.join('; ')}` : ''}`),
      ].join('\n') + '\n');
    }));
}
