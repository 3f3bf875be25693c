/**
 * `hemasynth privacy`: privacy accounting from the command line.
 *   privacy epsilon   ε of DP-SGD for a noise multiplier, sample rate, steps and δ
 *   privacy calibrate the smallest noise multiplier that meets a target ε
 *   privacy ledger    show a privacy ledger file: entries, composed spend, budget, remaining
 */
import { Command } from 'commander';
import { UsageError } from '../../errors';
import { calibrateNoiseMultiplier, computeEpsilon } from '../../dp/accountants/compute';
import { resolveAccountantName } from '../../dp/accountants/registry';
import { PrivacyLedger } from '../../dp/ledger';
import { action, parseIntOption, parseNumberOption, printJson } from '../runtime';

function required<T>(value: T | undefined, option: string, expected: string): T {
  if (value === undefined) throw new UsageError(`Expected ${expected} for ${option} but received nothing (the option is required)`);
  return value;
}

function parseAccountant(v: string): string {
  resolveAccountantName(v, '--accountant');
  return v;
}

function parseConversion(v: string): 'balle2020' | 'classic' {
  if (v !== 'balle2020' && v !== 'classic') throw new UsageError(`Expected "balle2020" or "classic" for --conversion but received ${JSON.stringify(v)}`);
  return v;
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x));

export function register(program: Command): void {
  const privacy = program.command('privacy').description('differential privacy accounting: epsilon, noise calibration and privacy ledgers');

  privacy
    .command('epsilon')
    .description('epsilon of DP-SGD (Poisson-subsampled Gaussian, add/remove adjacency) as a guaranteed upper bound')
    .option('--accountant <name>', 'prv (numerical, default; alias pld) or rdp', parseAccountant, 'prv')
    .option('--noise-multiplier <sigma>', 'noise standard deviation / clipping norm', parseNumberOption('--noise-multiplier', { min: 0 }))
    .option('--sample-rate <q>', 'Poisson sampling rate in [0, 1]', parseNumberOption('--sample-rate', { min: 0, max: 1 }))
    .option('--steps <t>', 'number of steps', parseIntOption('--steps', 0))
    .option('--delta <d>', 'target delta in (0, 1)', parseNumberOption('--delta', { min: Number.MIN_VALUE, max: 1 - Number.EPSILON }))
    .option('--conversion <c>', 'RDP to (epsilon, delta) conversion: balle2020 (default) or classic', parseConversion)
    .option('--json', 'print as JSON')
    .action(action((opts: { accountant: string; noiseMultiplier?: number; sampleRate?: number; steps?: number; delta?: number; conversion?: 'balle2020' | 'classic'; json?: boolean }) => {
      const noiseMultiplier = required(opts.noiseMultiplier, '--noise-multiplier', 'a number >= 0');
      const sampleRate = required(opts.sampleRate, '--sample-rate', 'a number in [0, 1]');
      const steps = required(opts.steps, '--steps', 'an integer >= 0');
      const delta = required(opts.delta, '--delta', 'a number in (0, 1)');
      const accountant = resolveAccountantName(opts.accountant, '--accountant');
      const r = computeEpsilon({ accountant, noiseMultiplier, sampleRate, steps, delta, conversion: opts.conversion });
      const out = { accountant: r.accountant, epsilon: r.epsilon, delta, noiseMultiplier, sampleRate, steps, ...(r.order !== undefined ? { order: r.order } : {}), ...(r.error !== undefined ? { error: r.error, estimate: r.estimate } : {}), ...(r.note ? { note: r.note } : {}) };
      if (opts.json) return printJson(out);
      const detail = r.order !== undefined ? `RDP, best order ${r.order}` : `PRV, estimate ${fmt(r.estimate as number)} + error ${fmt(r.error as number)}`;
      process.stdout.write(`epsilon = ${fmt(r.epsilon)} at delta = ${delta} (${detail})${r.note ? `\nnote: ${r.note}` : ''}\n`);
    }));

  privacy
    .command('calibrate')
    .description('the smallest noise multiplier whose epsilon stays at or below a target')
    .option('--accountant <name>', 'prv (numerical, default; alias pld) or rdp', parseAccountant, 'prv')
    .option('--epsilon <e>', 'target epsilon > 0', parseNumberOption('--epsilon', { min: Number.MIN_VALUE }))
    .option('--delta <d>', 'delta in (0, 1)', parseNumberOption('--delta', { min: Number.MIN_VALUE, max: 1 - Number.EPSILON }))
    .option('--sample-rate <q>', 'Poisson sampling rate in [0, 1]', parseNumberOption('--sample-rate', { min: 0, max: 1 }))
    .option('--steps <t>', 'number of steps', parseIntOption('--steps', 0))
    .option('--json', 'print as JSON')
    .action(action((opts: { accountant: string; epsilon?: number; delta?: number; sampleRate?: number; steps?: number; json?: boolean }) => {
      const targetEpsilon = required(opts.epsilon, '--epsilon', 'a number > 0');
      const delta = required(opts.delta, '--delta', 'a number in (0, 1)');
      const sampleRate = required(opts.sampleRate, '--sample-rate', 'a number in [0, 1]');
      const steps = required(opts.steps, '--steps', 'an integer >= 0');
      const accountant = resolveAccountantName(opts.accountant, '--accountant');
      const r = calibrateNoiseMultiplier({ accountant, targetEpsilon, delta, sampleRate, steps });
      if (opts.json) return printJson(r);
      process.stdout.write(`noise multiplier = ${fmt(r.noiseMultiplier)} (epsilon ${fmt(r.epsilon)} <= ${targetEpsilon} at delta ${delta}, ${r.accountant})\n`);
    }));

  privacy
    .command('ledger')
    .description('show a privacy ledger: entries, composed epsilon at the ledger delta, budget and what remains')
    .argument('<file>', 'ledger file (<data or model file>.ledger.json)')
    .option('--json', 'print as JSON')
    .action(action((file: string, opts: { json?: boolean }) => {
      const ledger = PrivacyLedger.open(file);
      const spent = ledger.spent();
      const remaining = ledger.remaining();
      if (opts.json) return printJson({ ...ledger.toJSON(), remaining });
      const lines = [
        `privacy ledger ${file}`,
        `dataset   ${ledger.datasetFingerprint}`,
        `budget    epsilon ${fmt(ledger.budget.epsilon)}, delta ${ledger.budget.delta}`,
        `spent     epsilon ${fmt(spent.epsilon)} (${spent.accountant}; RDP cross-check ${fmt(spent.rdpEpsilon)}) at delta ${spent.delta}`,
        `remaining epsilon ${fmt(remaining.epsilon)}`,
        `entries   ${ledger.entries.length}`,
      ];
      for (const e of ledger.entries) {
        lines.push(`  #${e.id} ${e.time} ${e.mechanism} ${JSON.stringify(e.parameters)}${e.note ? ` "${e.note}"` : ''} -> epsilon ${fmt(e.epsilonAfter)}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
