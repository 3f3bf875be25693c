/** `hemasynth hierarchy build`: generate an ARX-format hierarchy from the values of a column. */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors';
import { buildDateHierarchy, buildIntervalHierarchy, buildMaskHierarchy, hierarchyToCsv, readStringTable } from '../../anonymise';
import { action, parseIntOption } from '../runtime';
import { preflightPaths } from '../output-paths';

interface BuildOptions {
  type: string;
  data: string;
  column: string;
  out: string;
  widths?: string;
  origin?: string;
  levels?: string;
  step?: number;
  maskChar?: string;
  delimiter?: string;
}

export function register(program: Command): void {
  const h = program.command('hierarchy').description('generalisation hierarchies (ARX CSV format: value;level1;level2;...)');
  h.command('build')
    .description('build a hierarchy covering every value of a column: numeric intervals, date truncation or masking of codes')
    .requiredOption('--type <type>', 'interval | date | mask')
    .requiredOption('--data <file>', 'table holding the column')
    .requiredOption('--column <name>', 'column to build the hierarchy for')
    .requiredOption('--out <file>', 'hierarchy CSV to write')
    .option('--widths <list>', 'interval: comma-separated widths, one per level (e.g. 5,10,20)')
    .option('--origin <number>', 'interval: start of the first interval (default: smallest value)')
    .option('--levels <list>', 'date: comma-separated levels among month,year,decade (default month,year)')
    .option('--step <n>', 'mask: characters masked per level (default 1)', parseIntOption('--step', 1, 1000))
    .option('--mask-char <c>', 'mask: masking character (default *)')
    .option('--delimiter <char>', 'CSV delimiter of the input (default: guessed from the header)')
    .action(action(async (opts: BuildOptions) => {
      if (!['interval', 'date', 'mask'].includes(opts.type)) throw new UsageError(`Expected interval, date or mask for --type but received ${JSON.stringify(opts.type)}`);
      preflightPaths({ inputs: [{ option: '--data', path: opts.data }], outputs: [{ option: '--out', path: opts.out }] });
      const table = await readStringTable(opts.data, { delimiter: opts.delimiter });
      const values = table.values[opts.column];
      if (!values) throw new InputError({ file: opts.data, column: opts.column }, `a column of the data (${table.columns.join(', ')})`, 'a column the data lacks');
      let built;
      if (opts.type === 'interval') {
        if (!opts.widths) throw new UsageError('Expected --widths (e.g. 5,10,20) for --type interval but received none');
        const widths = opts.widths.split(',').map((w) => Number(w.trim()));
        if (widths.some((w) => !(w > 0))) throw new UsageError(`Expected positive numbers for --widths but received ${JSON.stringify(opts.widths)}`);
        const origin = opts.origin === undefined ? undefined : Number(opts.origin);
        if (origin !== undefined && !Number.isFinite(origin)) throw new UsageError(`Expected a number for --origin but received ${JSON.stringify(opts.origin)}`);
        built = buildIntervalHierarchy(values, { widths, origin }, opts.column);
      } else if (opts.type === 'date') {
        const levels = (opts.levels ?? 'month,year').split(',').map((l) => l.trim());
        if (levels.some((l) => !['month', 'year', 'decade'].includes(l))) throw new UsageError(`Expected month, year or decade in --levels but received ${JSON.stringify(opts.levels)}`);
        built = buildDateHierarchy(values, opts.column, { levels: levels as ('month' | 'year' | 'decade')[] });
      } else {
        built = buildMaskHierarchy(values, { step: opts.step, maskChar: opts.maskChar }, opts.column);
      }
      fs.writeFileSync(opts.out, hierarchyToCsv(built));
      process.stdout.write(`wrote ${opts.out}: ${built.labels.length} values, ${built.height} levels\n`);
    }));
}
