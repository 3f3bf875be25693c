/** `hemasynth convert IN OUT`: converts a table between CSV, Arrow IPC and Parquet by file extension. */
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { convertFile } from '../../data/table-io';
import { loadSchema } from '../../data/schema-validation';
import { action, printJson, startProgress } from '../runtime';
import { preflightPaths } from '../output-paths';

/** Parses a comma-separated list of missing-value tokens ("" allowed as an item). */
export function parseMissingTokens(v: string): string[] {
  return v.split(',').map((t) => t.trim());
}

/**
 * The parser of a delimiter option: one character, or the words "tab"/"\\t"; its errors name
 * `option` (commander passes a parser only the value, so each option gets its own).
 * @example program.option('--output-delimiter <char>', '...', delimiterOption('--output-delimiter'))
 */
export function delimiterOption(option: string): (v: string) => string {
  return (v: string) => {
    const d = v === 'tab' || v === '\\t' ? '\t' : v;
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
      throw new UsageError(`Expected one character other than a quote or a line break (or "tab") for ${option} but received ${JSON.stringify(v)}`);
    }
    return d;
  };
}

/** Checks a `--delimiter` option: one character, or the words "tab"/"\\t". */
export const parseDelimiter = delimiterOption('--delimiter');

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a table between CSV (.csv/.tsv/.txt), Arrow IPC (.arrow/.ipc/.feather) and Parquet (.parquet), by file extension; streams large CSV files')
    .argument('<input>', 'input table file')
    .argument('<output>', 'output table file (replaced only when the conversion succeeds)')
    .option('--schema <file>', 'schema JSON: parse CSV by it and check every value (default: infer from the data)')
    .option('--delimiter <char>', 'CSV field delimiter of the input (default: guessed from the header line)', parseDelimiter)
    .option('--output-delimiter <char>', 'CSV field delimiter of the output (default "," or tab for .tsv)', delimiterOption('--output-delimiter'))
    .option('--missing <tokens>', 'comma-separated tokens read as missing besides the empty field (default NA,N/A,NaN,null,NULL)', parseMissingTokens)
    .option('--json', 'print the result (rows, columns, schema) as JSON')
    .option('--no-progress', 'no progress bar')
    .action(
      action(async (input: string, output: string, opts: { schema?: string; delimiter?: string; outputDelimiter?: string; missing?: string[]; json?: boolean; progress?: boolean }) => {
        preflightPaths({
          inputs: [{ option: '<input>', path: input }, { option: '--schema', path: opts.schema }],
          outputs: [{ option: '<output>', path: output, table: true }],
        });
        const schema = opts.schema ? loadSchema(opts.schema) : undefined;
        let bar: ReturnType<typeof startProgress> | undefined;
        let pass = 0;
        const t0 = Date.now();
        try {
          const result = await convertFile(input, output, {
            schema,
            delimiter: opts.delimiter,
            outputDelimiter: opts.outputDelimiter,
            missing: opts.missing,
            onProgress: (done, total, p) => {
              if (p !== pass) {
                bar?.stop();
                pass = p;
                bar = startProgress(p === 1 ? 'profiling' : 'converting', total, opts.progress !== false);
              }
              bar?.update(done);
            },
          });
          bar?.stop();
          if (opts.json) return printJson({ input, output, rows: result.rows, columns: result.columns, seconds: (Date.now() - t0) / 1000, schema: result.schema });
          process.stdout.write(`converted ${input} -> ${output}: ${result.rows} rows x ${result.columns} columns in ${((Date.now() - t0) / 1000).toFixed(2)} s\n`);
        } finally {
          bar?.stop();
        }
      }),
    );
}
