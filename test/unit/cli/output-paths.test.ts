// The preflight path checks every writing command runs before it reads or computes anything.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError, UsageError } from '../../../src/errors';
import { checkOutputPath, PathError, preflightPaths, sameFile } from '../../../src/cli/output-paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-output-paths-'));
afterAll(() => {
  fs.chmodSync(path.join(dir, 'ro'), 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
});
const p = (...names: string[]) => path.join(dir, ...names);

beforeAll(() => {
  fs.writeFileSync(p('in.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(p('schema.json'), '{}');
  fs.symlinkSync(p('in.csv'), p('link.csv'));
  fs.linkSync(p('in.csv'), p('hard.csv'));
  fs.mkdirSync(p('sub'));
  fs.mkdirSync(p('ro'), 0o555);
  fs.chmodSync(p('ro'), 0o555);
});

/** The error a call throws (fails the test when it throws nothing). */
function errorOf(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error but none was thrown');
}

describe('sameFile', () => {
  test('a path, its relative spelling, a symbolic link to it and a hard link to it are one file', () => {
    const rel = path.relative(process.cwd(), p('in.csv'));
    expect(sameFile(p('in.csv'), rel)).toBe(true);
    expect(sameFile(p('in.csv'), p('sub', '..', 'in.csv'))).toBe(true);
    expect(sameFile(p('link.csv'), p('in.csv'))).toBe(true);
    expect(sameFile(p('hard.csv'), p('in.csv'))).toBe(true);
    expect(sameFile(p('in.csv'), p('schema.json'))).toBe(false);
    expect(sameFile(p('new.csv'), p('sub', '..', 'new.csv'))).toBe(true); // neither exists yet
    expect(sameFile(p('new.csv'), p('other.csv'))).toBe(false);
  });
});

describe('preflightPaths', () => {
  test('refuses an output that is an input, naming both options and the path', () => {
    const e = errorOf(() => preflightPaths({ inputs: [{ option: '--data', path: p('in.csv') }], outputs: [{ option: '--out', path: p('in.csv') }] }));
    expect(e).toBeInstanceOf(PathError);
    expect(e).toBeInstanceOf(InputError); // exit code 1
    expect(e).not.toBeInstanceOf(UsageError);
    expect(e.message).toBe(`Expected a path different from --data for --out, file ${JSON.stringify(p('in.csv'))} but received the same file as --data (${JSON.stringify(p('in.csv'))}). Writing --out would overwrite --data`);
  });

  test('refuses an output that is a symbolic or hard link to an input, or the input through a link', () => {
    for (const [input, output] of [[p('in.csv'), p('link.csv')], [p('link.csv'), p('in.csv')], [p('in.csv'), p('hard.csv')]]) {
      const e = errorOf(() => preflightPaths({ inputs: [{ option: '--data', path: input }], outputs: [{ option: '--out', path: output }] }));
      expect(e.message).toContain('Expected a path different from --data for --out');
    }
  });

  test('refuses two outputs on one file, and a state file (ledger) that is an input or an output', () => {
    const two = errorOf(() => preflightPaths({ outputs: [{ option: '--out', path: p('a.csv') }, { option: '--report', path: path.relative(process.cwd(), p('a.csv')) }] }));
    expect(two.message).toMatch(/^Expected a path different from --out for --report, file ".*a\.csv" but received the same file as --out \(".*a\.csv"\)\. One output would overwrite the other$/);
    const ledgerIsData = errorOf(() => preflightPaths({ inputs: [{ option: '--data', path: p('in.csv') }], state: [{ option: '--ledger', path: p('in.csv') }] }));
    expect(ledgerIsData.message).toContain('Expected a path different from --data for --ledger');
    const outIsLedger = errorOf(() => preflightPaths({ state: [{ option: '--ledger', path: p('l.json') }], outputs: [{ option: '--out', path: p('l.json') }] }));
    expect(outIsLedger.message).toContain('Expected a path different from --ledger for --out');
  });

  test('inputs may share a file; options not given are skipped', () => {
    expect(() => preflightPaths({
      inputs: [{ option: '--real', path: p('in.csv') }, { option: '--synthetic', path: p('in.csv') }, { option: '--schema', path: undefined }],
      outputs: [{ option: '--out', path: p('report.html') }, { option: '--json', path: undefined }],
    })).not.toThrow();
  });

  test('refuses a missing input or a directory as input, naming the option and the path', () => {
    expect(errorOf(() => preflightPaths({ inputs: [{ option: '--data', path: p('absent.csv') }] })).message)
      .toBe(`Expected an existing file for --data, file ${JSON.stringify(p('absent.csv'))} but received a path that does not exist`);
    expect(errorOf(() => preflightPaths({ inputs: [{ option: '--model', path: p('sub') }] })).message)
      .toBe(`Expected a regular file for --model, file ${JSON.stringify(p('sub'))} but received a directory`);
  });

  test('a table output needs an extension that names a format (usage error), checked after the paths', () => {
    const e = errorOf(() => preflightPaths({ outputs: [{ option: '--out', path: p('x.xlsx'), table: true }] }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toContain('but received extension ".xlsx"; the format is chosen by the extension');
    expect(e.message).not.toContain('pass the format');
    expect(errorOf(() => preflightPaths({ outputs: [{ option: '--out', path: p('nodir', 'x.xlsx'), table: true }] }))).toBeInstanceOf(PathError);
  });
});

describe('checkOutputPath', () => {
  test('refuses a path whose directory does not exist, saying to create it', () => {
    const f = p('nodir', 'x.csv');
    expect(errorOf(() => checkOutputPath('--out', f)).message)
      .toBe(`Expected a path in an existing directory for --out, file ${JSON.stringify(f)} but received a directory ${JSON.stringify(p('nodir'))} that does not exist. Create the directory first (outputs never create directories)`);
    expect(fs.existsSync(p('nodir'))).toBe(false);
  });

  test('refuses a path under a file', () => {
    for (const f of [p('in.csv', 'x.csv'), p('in.csv', 'deeper', 'x.csv')]) {
      expect(errorOf(() => checkOutputPath('--out', f)).message)
        .toBe(`Expected a path in an existing directory for --out, file ${JSON.stringify(f)} but received a path under ${JSON.stringify(p('in.csv'))}, which is not a directory`);
    }
  });

  test('refuses an existing directory, with or without a trailing separator, and a new path ending in one', () => {
    for (const f of [p('sub'), p('sub') + path.sep]) {
      expect(errorOf(() => checkOutputPath('--json', f)).message).toBe(`Expected a file path to write for --json, file ${JSON.stringify(f)} but received an existing directory`);
    }
    expect(errorOf(() => checkOutputPath('--out', p('newdir') + path.sep)).message).toContain('but received a directory path (ending in a separator)');
    expect(errorOf(() => checkOutputPath('--out', '')).message).toContain('but received an empty path');
  });

  test('refuses a directory that cannot be written to', () => {
    const f = p('ro', 'x.csv');
    // root may write anywhere: there, the permission check itself is made to answer as for a user.
    const asRoot = process.getuid?.() === 0;
    const nodeFs = require('node:fs') as typeof fs;
    const spy = asRoot
      ? jest.spyOn(nodeFs, 'accessSync').mockImplementation((file) => {
          if (path.resolve(String(file)) === p('ro')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        })
      : undefined;
    try {
      expect(errorOf(() => checkOutputPath('--report', f)).message)
        .toBe(`Expected a path in a writable directory for --report, file ${JSON.stringify(f)} but received a directory ${JSON.stringify(p('ro'))} that cannot be written to (EACCES)`);
      if (asRoot) expect(spy).toHaveBeenCalled();
    } finally {
      spy?.mockRestore();
    }
  });

  test('accepts a new or an existing file in a writable directory', () => {
    expect(() => checkOutputPath('--out', p('fresh.csv'))).not.toThrow();
    expect(() => checkOutputPath('--out', p('in.csv'))).not.toThrow();
    expect(() => checkOutputPath('--out', p('sub', 'x.arrow'))).not.toThrow();
  });
});
