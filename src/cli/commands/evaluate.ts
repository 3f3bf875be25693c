/**
 * `hemasynth evaluate`: fidelity, utility, privacy attacks and clinical validity of a
 * synthetic table against its real training table and a real holdout; writes report.html
 * (self-contained) and report.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import type { Table } from 'apache-arrow';
import { readTable, loadSchema } from '../../data';
import { carriedSchema } from '../../data/table-io';
import { modelledSchema } from '../../transform/discretiser';
import { evaluateSynthetic, evaluateSyntheticInPool, EvaluationInput } from '../../evaluate/evaluate';
import { parseAnalyses } from '../../evaluate/clinical/analyses';
import { renderHtmlReport } from '../../evaluate/report/html-report';
import { PrivacyLedger, LEDGER_FORMAT } from '../../dp/ledger';
import { InputError, UsageError } from '../../errors';
import { action, parseIntOption, startProgress } from '../runtime';
import { preflightPaths } from '../output-paths';

/** Schema metadata key under which a generator may embed its model's ledger in the synthetic file. */
export const LEDGER_METADATA_KEY = 'hemasynth.ledger';

interface EvaluateOptions {
  real: string;
  holdout: string;
  synthetic: string;
  target?: string;
  schema?: string;
  analyses?: string;
  ledger?: string;
  out?: string;
  json?: string;
  secrets?: string;
  attacks: number;
  seed: number;
  threads: number;
  workers: number;
  progress: boolean;
  scd: string;
}

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError({ file }, `an existing, readable ${what} file`, 'a path that cannot be read');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError({ file }, `${what} as JSON`, `text that is not JSON (${(e as Error).message})`);
  }
}

function loadLedger(file: string | undefined, synthetic: Table): unknown | null {
  let json: unknown;
  let source: string | null = null;
  if (file) {
    json = readJsonFile(file, 'privacy ledger');
    source = file;
  } else {
    const embedded = synthetic.schema.metadata.get(LEDGER_METADATA_KEY);
    if (embedded === undefined) return null;
    try { json = JSON.parse(embedded); } catch { throw new InputError({ field: LEDGER_METADATA_KEY }, 'an embedded privacy ledger as JSON', 'text that is not JSON'); }
  }
  // A hemasynth ledger is checked by its own reader (format, budget, entries); others are shown as given.
  if ((json as { format?: unknown })?.format === LEDGER_FORMAT) return PrivacyLedger.fromJSON(json, source).toJSON();
  return json;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate synthetic data against its real training data and a real holdout: fidelity, utility, privacy attacks, clinical validity; writes report.html and report.json')
    .requiredOption('--real <file>', 'the real training table the generator learned from (CSV, Arrow or Parquet)')
    .requiredOption('--holdout <file>', 'real records the generator never saw (same columns)')
    .requiredOption('--synthetic <file>', 'the synthetic table to evaluate (same columns)')
    .option('--target <column>', 'utility target column (default: the schema column with role "target")')
    .option('--schema <file>', 'table schema JSON (column kinds, roles, categories)')
    .option('--analyses <file>', 'clinical analyses JSON (GLMs with outcome, covariates, family)')
    .option('--ledger <file>', "the model's privacy ledger JSON (default: the one embedded in the synthetic file, if any)")
    .option('--secrets <columns>', 'comma-separated secret columns for the attribute-inference attack')
    .option('--out <file>', 'write the HTML report here', 'report.html')
    .option('--json <file>', 'write report.json here')
    .option('--attacks <n>', 'attack targets per privacy attack', parseIntOption('--attacks', 10, 1_000_000), 500)
    .option('--seed <n>', 'seed of the evaluation subsamples (not a privacy mechanism)', parseIntOption('--seed', 0, 2 ** 31 - 1), 20240611)
    .option('--threads <n>', 'native threads per kernel (0 = all cores; with --workers: cores / workers)', parseIntOption('--threads', 0, 1024), 0)
    .option('--workers <n>', 'run fidelity, utility and privacy at once in this many worker threads (1 = one after another)', parseIntOption('--workers', 1, 3), 1)
    .option('--scd <mode>', 'sickle-cell suite (checks V1-V13 and built-in analyses): auto, on or off', 'auto')
    .option('--no-progress', 'no progress bar')
    .action(action(async (opts: EvaluateOptions) => {
      if (!['auto', 'on', 'off'].includes(opts.scd)) throw new UsageError(`Expected auto, on or off for --scd but received ${JSON.stringify(opts.scd)}`);
      if (!opts.out && !opts.json) throw new UsageError('Expected --out or --json for the report but received neither');
      preflightPaths({
        inputs: [
          { option: '--real', path: opts.real },
          { option: '--holdout', path: opts.holdout },
          { option: '--synthetic', path: opts.synthetic },
          { option: '--schema', path: opts.schema },
          { option: '--analyses', path: opts.analyses },
          { option: '--ledger', path: opts.ledger },
        ],
        outputs: [{ option: '--json', path: opts.json }, { option: '--out', path: opts.out }],
      });
      const declared = opts.schema ? loadSchema(opts.schema) : undefined;
      // A model's rows hold its modelled columns only: no direct identifiers, ids or free text.
      const [train, holdout, synthetic] = await Promise.all([
        readTable(opts.real, { schema: declared }), readTable(opts.holdout, { schema: declared }),
        readTable(opts.synthetic, { schema: declared && modelledSchema(declared) }),
      ]);
      // Without --schema, the one the real table carries (hemasynth's Arrow files embed theirs)
      // tells which columns are identifiers to leave out.
      const schema = declared ?? carriedSchema(train);
      const analyses = opts.analyses ? parseAnalyses(readJsonFile(opts.analyses, 'clinical analyses'), opts.analyses) : undefined;
      const ledger = loadLedger(opts.ledger, synthetic);
      const bar = startProgress('evaluate', 4, opts.progress);
      const input: EvaluationInput = {
        train, holdout, synthetic, schema, target: opts.target, analyses, ledger,
        labels: { train: path.basename(opts.real), holdout: path.basename(opts.holdout), synthetic: path.basename(opts.synthetic) },
        secrets: opts.secrets ? opts.secrets.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        nAttacks: opts.attacks, seed: opts.seed, threads: opts.threads, scd: opts.scd as 'auto' | 'on' | 'off',
        onProgress: (section, done) => bar.update(done, { section }),
      };
      let report;
      try {
        report = opts.workers > 1 ? await evaluateSyntheticInPool(input, { workers: opts.workers }) : evaluateSynthetic(input);
      } finally {
        bar.stop();
      }
      const written: string[] = [];
      if (opts.json) {
        fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
        written.push(opts.json);
      }
      if (opts.out) {
        fs.writeFileSync(opts.out, await renderHtmlReport(report));
        written.push(opts.out);
      }
      const s = report.summary;
      const lines = [
        `fidelity: ${s.fidelityFlagged ? 'differs from real data' : 'close to real data'}`,
        `utility: ${s.utilityFlagged === null ? 'not run (no --target)' : s.utilityFlagged ? 'models lose accuracy' : 'models trained on it work on real data'}`,
        `privacy: ${s.privacyFlagged ? 'attacks succeed (' + report.privacy.verdict.reasons.length + ' findings)' : 'no attack succeeded beyond its control'}`,
        `clinical: ${s.clinicalTotal ? `${s.clinicalPassed}/${s.clinicalTotal} analyses reproduced` : 'no analyses'}`,
        ...written.map((w) => `wrote ${w}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
