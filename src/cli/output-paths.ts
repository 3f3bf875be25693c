/**
 * Preflight checks of a command's file paths, run right after its options are parsed and before
 * any data is read, any work is done or anything is charged to a privacy ledger:
 *
 * * every input exists and is a regular file;
 * * no output is the same file as an input, a state file (a privacy ledger, read and rewritten)
 *   or another output: paths are compared after resolving them (`./a.csv`, `a.csv`, a symbolic
 *   link to it and a hard link to it are all the same file);
 * * every output can be written: it is not an existing directory (or anything else that is not a
 *   regular file), and its directory exists, is a directory and is writable. A missing directory
 *   is refused, never created, so that a mistyped path fails instead of writing somewhere new;
 * * a table output has an extension that names its format.
 *
 * Problems with the paths are {@link PathError}s (exit code 1, like any bad input file); an
 * unknown table extension stays the data layer's usage error (exit code 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatLocation, InputError } from '../errors';
import { formatFromPath } from '../data/file-format';

/** A path named by an option (or argument) of a command; undefined when the option was not given. */
export interface NamedPath {
  /** The option or argument as the user knows it: "--out", "<input>". */
  option: string;
  path: string | undefined;
}

/** An output path; `table` also checks that the extension names a table format. */
export interface OutputPath extends NamedPath {
  table?: boolean;
}

/** The paths of one command. */
export interface CommandPaths {
  /** Files read: they must exist and be regular files. */
  inputs?: NamedPath[];
  /** Files read and rewritten (a privacy ledger): they may be absent; no output may be one. */
  state?: NamedPath[];
  /** Files written. */
  outputs?: OutputPath[];
}

/** A bad path given to an option: says which option, which path and what was expected. */
export class PathError extends InputError {
  readonly option: string;
  constructor(option: string, file: string, expected: string, received: string, hint?: string) {
    super({ file }, expected, received, hint);
    this.option = option;
    this.message = `Expected ${expected} for ${option}, ${formatLocation({ file })} but received ${received}${hint ? `. ${hint}` : ''}`;
  }
}

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'an error';
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** What a path that is not a regular file is, in words. */
function describeKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'something that is not a regular file';
}

/** Identity of a path for comparisons: its real path, and its device and inode when it exists. */
interface Identity {
  real: string;
  inode?: string;
}

/**
 * Resolves a path for comparison: the real path (symbolic links followed) of the file when it
 * exists, else the real path of its directory joined with its name.
 */
export function pathIdentity(p: string): Identity {
  const abs = path.resolve(p);
  try {
    const real = fs.realpathSync(abs);
    const st = fs.statSync(real);
    return { real, inode: `${st.dev}:${st.ino}` };
  } catch {
    try {
      return { real: path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs)) };
    } catch {
      return { real: abs };
    }
  }
}

/** Whether two paths name the same file (after resolving links; hard links included). */
export function sameFile(a: string, b: string): boolean {
  const x = pathIdentity(a);
  const y = pathIdentity(b);
  return x.real === y.real || (x.inode !== undefined && x.inode === y.inode);
}

/** Throws a {@link PathError} unless `file` is an existing regular file. */
export function checkInputPath(option: string, file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathError(option, file, 'an existing file', 'a path that does not exist');
    throw new PathError(option, file, 'a readable file', `a path that cannot be read (${code})`);
  }
  if (!st.isFile()) throw new PathError(option, file, 'a regular file', describeKind(st));
}

/**
 * Throws a {@link PathError} unless a file can be written at `file`: it is not an existing
 * directory or special file, and its directory exists, is a directory and is writable.
 */
export function checkOutputPath(option: string, file: string): void {
  if (file === '') throw new PathError(option, file, 'a file path', 'an empty path');
  const st = statOrNull(file);
  if (st && !st.isFile()) throw new PathError(option, file, 'a file path to write', st.isDirectory() ? 'an existing directory' : `${describeKind(st)} (not a regular file)`);
  if (!st && /[\\/]$/.test(file)) throw new PathError(option, file, 'a file path to write', 'a directory path (ending in a separator)');
  const dir = path.dirname(file);
  const dst = statOrNull(dir);
  if (!dst) {
    // The nearest ancestor that exists says why: missing, or a file where a directory should be.
    let up = dir;
    while (path.dirname(up) !== up && !statOrNull(up)) up = path.dirname(up);
    const ancestor = statOrNull(up);
    if (ancestor && !ancestor.isDirectory()) {
      throw new PathError(option, file, 'a path in an existing directory', `a path under ${JSON.stringify(up)}, which is not a directory`);
    }
    throw new PathError(option, file, 'a path in an existing directory', `a directory ${JSON.stringify(dir)} that does not exist`, 'Create the directory first (outputs never create directories)');
  }
  if (!dst.isDirectory()) throw new PathError(option, file, 'a path in an existing directory', `a path under ${JSON.stringify(dir)}, which is not a directory`);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw new PathError(option, file, 'a path in a writable directory', `a directory ${JSON.stringify(dir)} that cannot be written to (${errnoOf(e)})`);
  }
}

/**
 * Checks a command's paths before it does anything (see the module comment). Throws a
 * {@link PathError} (exit code 1) for a bad path, or the data layer's usage error (exit code 2)
 * for a table output whose extension names no format.
 * @example
 * preflightPaths({ inputs: [{ option: '--data', path: opts.data }], outputs: [{ option: '--out', path: opts.out }] });
 */
export function preflightPaths(paths: CommandPaths): void {
  type Given = { option: string; path: string; role: 'input' | 'state' | 'output'; table?: boolean };
  const given = (list: NamedPath[] | OutputPath[] | undefined, role: Given['role']): Given[] =>
    (list ?? []).flatMap((p) => (p.path === undefined ? [] : [{ ...p, path: p.path, role }]));
  const inputs = given(paths.inputs, 'input');
  const writes = [...given(paths.state, 'state'), ...given(paths.outputs, 'output')];
  for (const i of inputs) checkInputPath(i.option, i.path);
  // Nothing written may be an input or something written before it (inputs may share a file).
  const seen: Given[] = [...inputs];
  for (const w of writes) {
    const clash = seen.find((s) => sameFile(w.path, s.path));
    if (clash) {
      const consequence = clash.role === 'output' && w.role === 'output' ? 'One output would overwrite the other' : `Writing ${w.option} would overwrite ${clash.option}`;
      throw new PathError(w.option, w.path, `a path different from ${clash.option}`, `the same file as ${clash.option} (${JSON.stringify(clash.path)})`, consequence);
    }
    seen.push(w);
  }
  for (const o of writes) if (o.role === 'output') checkOutputPath(o.option, o.path);
  for (const o of writes) if (o.table) formatFromPath(o.path);
}
