/**
 * Typed errors of hemasynth. Every message says what was expected, what was received and
 * where (file, row, column or field), in one format:
 * `Expected <what> for <where> but received <what was given>`.
 *
 * The command line maps {@link UsageError} to exit code 2 and every other
 * {@link HemasynthError} to exit code 1.
 */

/** Base class of every error hemasynth throws on purpose. */
export class HemasynthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Where in an input a problem was found. Every field is optional; give as many as are known. */
export interface InputLocation {
  file?: string;
  /** 1-based data row (the header of a CSV file is row 0). */
  row?: number;
  column?: string;
  field?: string;
}

/** Formats a location as `file "x.csv", row 12, column "age"`. */
export function formatLocation(loc: InputLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(`file ${JSON.stringify(loc.file)}`);
  if (loc.row !== undefined) parts.push(`row ${loc.row}`);
  if (loc.column !== undefined) parts.push(`column ${JSON.stringify(loc.column)}`);
  if (loc.field !== undefined) parts.push(`field ${JSON.stringify(loc.field)}`);
  return parts.join(', ');
}

/** Bad input data or configuration: a file, a row, a column or a field is not what it should be. */
export class InputError extends HemasynthError {
  readonly location: InputLocation;
  readonly expected: string;
  readonly received: string;
  constructor(location: InputLocation, expected: string, received: string, hint?: string) {
    const where = formatLocation(location);
    super(`Expected ${expected}${where ? ` for ${where}` : ''} but received ${received}${hint ? `. ${hint}` : ''}`);
    this.location = location;
    this.expected = expected;
    this.received = received;
  }
}

/** A command-line or API usage error (missing or malformed argument). Exit code 2. */
export class UsageError extends HemasynthError {}

/** A requested backend cannot be used here. */
export class BackendUnavailableError extends HemasynthError {}

/** A mechanism would exceed the declared privacy budget; raised before any data is read. */
export class PrivacyBudgetError extends HemasynthError {}

/** An error raised inside the native core, carrying the field path it named. */
export class NativeError extends HemasynthError {
  readonly field: string;
  constructor(message: string, field = '') {
    super(message);
    this.field = field;
  }
}

/**
 * Describes a value for an error message: its type and, for short values, the value itself.
 * @example describeValue(3) // 'number 3'
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'string') return v.length > 60 ? `string ${JSON.stringify(v.slice(0, 57) + '...')}` : `string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return typeof v;
}

/**
 * Throws a {@link UsageError} in the one message format when `ok` is false.
 * @example expectArg(k >= 2, 'an integer >= 2', 'k', k)
 */
export function expectArg(ok: boolean, expected: string, name: string, received: unknown): asserts ok {
  if (!ok) throw new UsageError(`Expected ${expected} for ${name} but received ${describeValue(received)}`);
}

/**
 * Refuses an option its owner does not read (a misspelt one would otherwise be ignored without a
 * word), naming the ones it does.
 * @example refuseUnknownOptions('copula generator', ['backend', 'bins'], { bnis: 8 }) // throws UsageError
 */
export function refuseUnknownOptions(owner: string, known: readonly string[], options: Record<string, unknown> | undefined): void {
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) throw new UsageError(`Expected an option of the ${owner} (${known.join(', ')}) but received ${JSON.stringify(key)}`);
  }
}
