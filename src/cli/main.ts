#!/usr/bin/env node
/**
 * The `hemasynth` command line. Each command lives in its own file under `commands/` and
 * exports `register(program)`; this file finds them, so adding a command touches no other file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';
import { EXIT_USAGE, reportError, RegisterCommand } from './runtime';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hemasynth')
    .description('Privacy-preserving synthetic data for rare haematological diseases (sickle-cell disease reference).')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  const dir = path.join(__dirname, 'commands');
  const files = fs.readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort();
  for (const f of files) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require(path.join(dir, f)) as { register?: RegisterCommand };
    if (typeof mod.register === 'function') mod.register(program);
  }
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    return reportError(e);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
