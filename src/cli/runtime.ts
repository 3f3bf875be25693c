/**
 * Shared command-line plumbing: exit codes (0 success, 1 runtime error, 2 usage error),
 * JSON output, and progress bars that appear only on a terminal.
 */
import { Command, CommanderError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { HemasynthError, UsageError } from '../errors';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Writes an error to stderr and returns its exit code. */
export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`hemasynth: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (e instanceof HemasynthError) {
    process.stderr.write(`hemasynth: ${e.message}\n`);
    return EXIT_RUNTIME;
  }
  const err = e as Error;
  process.stderr.write(`hemasynth: internal error: ${err?.message ?? String(e)}\n${process.env.HEMASYNTH_DEBUG ? err?.stack ?? '' : '(set HEMASYNTH_DEBUG=1 for the stack)'}\n`);
  return EXIT_RUNTIME;
}

/**
 * Wraps a command action: awaits it and sets the process exit code from what it threw.
 * @example program.command('x').action(action(async (opts) => { ... }))
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

/** Prints data as pretty JSON on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

/** A progress reporter: a bar on a terminal, silent otherwise. */
export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/** Starts a progress bar on stderr when it is a terminal and `enabled` is not false. */
export function startProgress(label: string, total: number, enabled = true): Progress {
  if (!enabled || !process.stderr.isTTY || process.env.CI) return { update() {}, stop() {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} {info}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0, { info: '' });
  return {
    update(done, extra) {
      bar.update(done, { info: extra ? Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ') : '' });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Parses a positive integer option or throws a UsageError naming the option. */
export function parseIntOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    // Number('') is 0: an empty value ("--rows $N" with N unset) is refused, not read as 0.
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`Expected an integer in [${min}, ${max}] for ${name} but received ${JSON.stringify(v)}`);
    }
    return n;
  };
}

/**
 * Parses a finite number option or throws a UsageError naming it. With `allowInfinity` the
 * literal "inf" (or "infinity", any case) is Infinity; a number too large for a double ("1e400")
 * is refused, never taken for infinity, and so is one too small to be told from 0 ("1e-400") when
 * 0 is excluded. `minExclusive`/`maxExclusive` make the bounds open: (0, 1) for a δ.
 */
export function parseNumberOption(name: string, opts: { min?: number; max?: number; allowInfinity?: boolean; minExclusive?: boolean; maxExclusive?: boolean } = {}): (v: string) => number {
  return (v: string) => {
    const s = v.trim().toLowerCase();
    const literalInfinity = s === 'inf' || s === 'infinity';
    const n = opts.allowInfinity && literalInfinity ? Infinity : Number(v);
    const lo = opts.min ?? -Infinity;
    const hi = opts.max ?? Infinity;
    const range = `${opts.minExclusive ? '(' : '['}${lo}, ${hi}${opts.maxExclusive ? ')' : ']'}`;
    const expected = `a number in ${range}${opts.allowInfinity ? ' or "inf"' : ''}`;
    if (!literalInfinity && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) {
      if (!Number.isFinite(n)) throw new UsageError(`Expected ${expected} for ${name} but received ${JSON.stringify(v)}, which is too large for a number${opts.allowInfinity ? ' (only "inf" means infinity)' : ''}`);
      if (n === 0 && /[1-9]/.test(s.split('e')[0])) throw new UsageError(`Expected ${expected} for ${name} but received ${JSON.stringify(v)}, which is too small to tell from 0`);
    }
    const inRange = (opts.minExclusive ? n > lo : n >= lo) && (opts.maxExclusive ? n < hi : n <= hi);
    if (Number.isNaN(n) || (!Number.isFinite(n) && !(opts.allowInfinity && literalInfinity)) || !inRange || v.trim() === '') {
      throw new UsageError(`Expected ${expected} for ${name} but received ${JSON.stringify(v)}`);
    }
    return n;
  };
}

/** Registers a command module: each file in src/cli/commands exports `register`. */
export type RegisterCommand = (program: Command) => void;

/**
 * Parses `--options` (a JSON object of model options).
 * @example parseModelOptions('{"stratifyBy": "genotype"}') // { stratifyBy: 'genotype' }
 */
export function parseModelOptions(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const o = JSON.parse(text) as unknown;
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) return o as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new UsageError(`Expected a JSON object for --options but received ${JSON.stringify(text)}`);
}
