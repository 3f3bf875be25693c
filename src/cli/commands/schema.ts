/** `hemasynth schema infer|validate`: infer a table schema from data, or check data (or a schema file) against one. */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { inferSchema, readTable } from '../../data/table-io';
import { loadSchema } from '../../data/schema-validation';
import { action, printJson } from '../runtime';
import { parseDelimiter, parseMissingTokens } from './convert';

export function register(program: Command): void {
  const schema = program.command('schema').description('infer a table schema (docs/schema.md) from data, or validate data or a schema file');
  schema
    .command('infer')
    .description('infer a schema from a CSV, Arrow or Parquet file and print it (or write it with --out)')
    .argument('<file>', 'table file')
    .option('--out <file>', 'write the schema JSON to this file instead of stdout')
    .option('--delimiter <char>', 'CSV field delimiter (default: guessed from the header line)', parseDelimiter)
    .option('--missing <tokens>', 'comma-separated tokens read as missing besides the empty field', parseMissingTokens)
    .action(
      action(async (file: string, opts: { out?: string; delimiter?: string; missing?: string[] }) => {
        const s = await inferSchema(file, { delimiter: opts.delimiter, missing: opts.missing });
        if (opts.out) {
          fs.writeFileSync(opts.out, JSON.stringify(s, null, 2) + '\n');
          process.stderr.write(`wrote ${opts.out}: ${s.columns.length} columns\n`);
        } else {
          printJson(s);
        }
      }),
    );
  schema
    .command('validate')
    .description('check a table file against a schema (every value: kinds, bounds, categories, nullability), or check a schema JSON file itself')
    .argument('<file>', 'table file, or a schema .json file when --schema is not given')
    .option('--schema <file>', 'schema JSON to check the table against')
    .option('--delimiter <char>', 'CSV field delimiter (default: guessed from the header line)', parseDelimiter)
    .option('--missing <tokens>', 'comma-separated tokens read as missing besides the empty field', parseMissingTokens)
    .option('--json', 'print the result as JSON')
    .action(
      action(async (file: string, opts: { schema?: string; delimiter?: string; missing?: string[]; json?: boolean }) => {
        if (!opts.schema) {
          if (!file.toLowerCase().endsWith('.json')) {
            throw new UsageError(`Expected --schema <file> (or a schema .json file to check) for "schema validate" but received ${JSON.stringify(file)} alone`);
          }
          const s = loadSchema(file);
          if (opts.json) return printJson({ file, valid: true, columns: s.columns.length });
          process.stdout.write(`${file}: valid schema, ${s.columns.length} columns\n`);
          return;
        }
        const s = loadSchema(opts.schema);
        const table = await readTable(file, { schema: s, delimiter: opts.delimiter, missing: opts.missing });
        if (opts.json) return printJson({ file, schema: opts.schema, valid: true, rows: table.numRows, columns: table.numCols });
        process.stdout.write(`${file}: valid against ${opts.schema}, ${table.numRows} rows x ${table.numCols} columns\n`);
      }),
    );
}
