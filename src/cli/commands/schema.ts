/** `hemasynth schema infer|validate`: infer a table schema from data, or check data (or a schema file) against one. */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { inferSchema, readTable } from '../../data/table-io';
import { loadSchema } from '../../data/schema-validation';
import type { TableSchema } from '../../data/schema';
import { constraintViolationRows, schemaConstraintProblems } from '../../models/constraints';
import { action, EXIT_RUNTIME, printJson } from '../runtime';
import { preflightPaths } from '../output-paths';
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
        preflightPaths({ inputs: [{ option: '<file>', path: file }], outputs: [{ option: '--out', path: opts.out }] });
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
          if (!constraintsValid(file, s, opts.json)) return;
          const k = s.constraints?.length ?? 0;
          if (opts.json) return printJson({ file, valid: true, columns: s.columns.length, constraints: k });
          process.stdout.write(`${file}: valid schema, ${s.columns.length} columns${k ? `, ${k} constraint${k > 1 ? 's' : ''}` : ''}\n`);
          return;
        }
        const s = loadSchema(opts.schema);
        if (!constraintsValid(opts.schema, s, opts.json)) return;
        const table = await readTable(file, { schema: s, delimiter: opts.delimiter, missing: opts.missing });
        // Decimal data: values whose decimal sum meets a bound may not in binary (76.9 + 6.4 + 4.7 + 12).
        const { counts, rows } = constraintViolationRows(table, s, { relativeTolerance: CONSTRAINT_RELATIVE_TOLERANCE, limit: MAX_LISTED_VIOLATIONS });
        const broken = [...counts].filter(([, n]) => n > 0);
        if (broken.length) {
          process.exitCode = EXIT_RUNTIME;
          if (opts.json) return printJson({ file, schema: opts.schema, valid: false, rows: table.numRows, columns: table.numCols, constraintViolations: Object.fromEntries(broken), violatingRows: rows });
          const lines = [`${file}: invalid against ${opts.schema}: rows break ${broken.length} of its ${counts.size} constraint${counts.size > 1 ? 's' : ''} (${table.numRows} rows x ${table.numCols} columns)`];
          for (const [text, n] of broken) lines.push(`  ${JSON.stringify(text)}: ${n} row${n > 1 ? 's' : ''}`);
          const total = broken.reduce((a, [, n]) => a + n, 0);
          lines.push(`  ${rows.length} of ${total} violation${total > 1 ? 's' : ''} listed (row 1 is the first data row):`);
          for (const r of rows) lines.push(`  row ${r.row}: ${JSON.stringify(r.constraint)} with ${Object.entries(r.values).map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`).join(', ')}`);
          process.stderr.write(lines.join('\n') + '\n');
          return;
        }
        if (opts.json) return printJson({ file, schema: opts.schema, valid: true, rows: table.numRows, columns: table.numCols, constraints: counts.size });
        process.stdout.write(`${file}: valid against ${opts.schema}, ${table.numRows} rows x ${table.numCols} columns${counts.size ? `, ${counts.size} constraint${counts.size > 1 ? 's' : ''} hold` : ''}\n`);
      }),
    );
}

/** Most rows breaking constraints that `schema validate` lists (every row is counted). */
const MAX_LISTED_VIOLATIONS = 10;
/** Slack of the data check, relative to the sum or bound: binary rounding of decimal values, not a real overshoot. */
const CONSTRAINT_RELATIVE_TOLERANCE = 1e-12;

/**
 * Checks a schema's constraints against the schema (schemaConstraintProblems); prints every
 * problem (index, text, what is wrong) and sets exit code 1 when there are any.
 */
function constraintsValid(file: string, s: TableSchema, json?: boolean): boolean {
  const problems = schemaConstraintProblems(s);
  if (problems.length === 0) return true;
  process.exitCode = EXIT_RUNTIME;
  if (json) {
    printJson({ file, valid: false, constraintProblems: problems.map((p) => ({ index: p.index, constraint: p.text, expected: p.expected, problem: p.problem })) });
    return false;
  }
  const lines = [`${file}: invalid schema: ${problems.length} wrong constraint${problems.length > 1 ? 's' : ''}`];
  for (const p of problems) lines.push(`  constraints[${p.index}] ${JSON.stringify(p.text)}: expected ${p.expected}; received ${p.problem}`);
  process.stderr.write(lines.join('\n') + '\n');
  return false;
}
