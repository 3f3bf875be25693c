/** `hemasynth anonymise`: de-identify, minimise and anonymise a table under a policy. */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors';
import { anonymiseTable, loadPolicy, readStringTable, renderReportHtml, writeStringTable } from '../../anonymise';
import { action, printJson } from '../runtime';
import { preflightPaths } from '../output-paths';

interface AnonymiseOptions {
  data?: string;
  policy?: string;
  out?: string;
  report?: string;
  html?: string;
  delimiter?: string;
  secretFile?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('anonymise')
    .description('drop, pseudonymise and shift direct identifiers, drop columns the policy does not name, and generalise/suppress quasi-identifiers to the optimal level meeting the privacy models; writes the released table and a risk report')
    .requiredOption('--data <file>', 'input table (.csv, .tsv, .arrow, .parquet)')
    .requiredOption('--policy <file>', 'anonymisation policy (JSON, see docs/anonymisation.md)')
    .requiredOption('--out <file>', 'released table (.csv, .tsv, .arrow, .parquet)')
    .requiredOption('--report <file>', 'report (REPORT.json)')
    .option('--html <file>', 'also write the report as HTML')
    .option('--delimiter <char>', 'CSV delimiter of the input (default: guessed from the header)')
    .option('--secret-file <file>', 'file holding the site secret (default: the policy\'s secretEnv variable)')
    .option('--json', 'print the report on stdout as JSON')
    .action(action(async (opts: AnonymiseOptions) => {
      if (opts.delimiter !== undefined && opts.delimiter.length !== 1 && opts.delimiter !== '\\t') {
        throw new UsageError(`Expected one character for --delimiter but received ${JSON.stringify(opts.delimiter)}`);
      }
      const delimiter = opts.delimiter === '\\t' ? '\t' : opts.delimiter;
      preflightPaths({
        inputs: [{ option: '--data', path: opts.data }, { option: '--policy', path: opts.policy }, { option: '--secret-file', path: opts.secretFile }],
        outputs: [{ option: '--out', path: opts.out, table: true }, { option: '--report', path: opts.report }, { option: '--html', path: opts.html }],
      });
      const policy = loadPolicy(opts.policy!);
      let secret: string | undefined;
      if (opts.secretFile) {
        secret = fs.readFileSync(opts.secretFile, 'utf8').trim();
        // Checked here so the message names the file rather than the policy's environment variable.
        if (secret.length < 16) throw new InputError({ file: opts.secretFile }, 'a site secret of at least 16 characters for --secret-file', `${secret.length} characters`, 'Pseudonyms and date shifts are keyed with it; keep it at the site');
      }
      const table = await readStringTable(opts.data!, { delimiter });
      const { table: released, report } = anonymiseTable(table, policy, { dataFile: opts.data, secret });
      await writeStringTable(opts.out!, released, { types: table.types });
      fs.writeFileSync(opts.report!, JSON.stringify(report, null, 2) + '\n');
      if (opts.html) fs.writeFileSync(opts.html, renderReportHtml(report));
      if (opts.json) return printJson(report);
      const lv = Object.entries(report.levels).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write([
        `anonymised ${report.rows.input} rows -> ${opts.out}`,
        `  dropped (minimisation): ${report.minimisation.dropped.join(', ') || 'none'}`,
        `  levels: ${lv}`,
        `  loss (${report.loss.metric}): ${report.loss.value}`,
        `  suppressed: ${report.suppressedRecords} of ${report.risk.before.records}; classes: ${report.equivalenceClasses}`,
        `  risk before -> after: average prosecutor ${report.risk.before.averageProsecutor.toFixed(4)} -> ${report.risk.after.averageProsecutor.toFixed(4)}, highest ${report.risk.before.highestProsecutor.toFixed(4)} -> ${report.risk.after.highestProsecutor.toFixed(4)}`,
        `  privacy level: ${report.verdict.level} (${report.verdict.criteria.map((c) => `${c.criterion} ${c.passed ? 'passes' : 'fails'}`).join(', ')})`,
        `  report: ${opts.report}${opts.html ? `, ${opts.html}` : ''}`,
      ].join('\n') + '\n');
    }));
}
