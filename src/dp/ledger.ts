/**
 * The privacy ledger: every mechanism that reads real data records its spend here, before it
 * reads anything. One ledger per dataset (identified by a fingerprint, the SHA-256 of its bytes),
 * stored as JSON next to the data or model (`<file>.ledger.json`) and embedded in model files and
 * reports through {@link PrivacyLedger.toJSON}.
 *
 * Guarantees: a charge that would take the composed ε (numerical PRV accountant, at the budget's
 * δ) above the budget is refused with a {@link PrivacyBudgetError} and nothing is recorded; a
 * charge for another dataset's fingerprint is refused; a file-backed ledger is re-read and
 * rewritten under an exclusive lock file, so two processes cannot both spend the last of a budget;
 * a ledger opened with {@link PrivacyLedger.openOrCreate} for a file that does not exist yet is
 * written at its first charge (a training refused before charging leaves no file); a mechanism
 * with a non-finite parameter is never recorded (JSON would write it as null, and no later
 * reader could account it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { HemasynthError, InputError, PrivacyBudgetError, UsageError, describeValue } from '../errors';
import { composeEpsilon } from './accountants/compute';
import { scaledEpsilonError } from './accountants/prv-analysis';
import { Mechanism, validateMechanism } from './accountants/mechanisms';
import { AccountantName } from './accountants/accountant';
import { resolveAccountantName } from './accountants/registry';

/** Format tag of ledger files. */
export const LEDGER_FORMAT = 'hemasynth-privacy-ledger';
export const LEDGER_VERSION = 1;

/** A privacy budget: the (ε, δ) the data owner allows in total. */
export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** One recorded spend. */
export interface LedgerEntry {
  /** 1-based sequence number. */
  id: number;
  /** The mechanism kind, e.g. "subsampled-gaussian". */
  mechanism: Mechanism['kind'];
  /** The full mechanism description (privacy parameters only). */
  parameters: Mechanism;
  datasetFingerprint: string;
  /** ISO 8601 time of the charge. */
  time: string;
  /** What the spend was for, e.g. "DP quantiles of column age". */
  note?: string;
  /** Composed ε at the budget's δ after this entry (PRV upper bound). */
  epsilonAfter: number;
}

/** A request to spend budget. */
export interface PrivacyRequest {
  mechanism: Mechanism;
  /** The fingerprint of the data about to be read; must equal the ledger's. */
  datasetFingerprint?: string;
  note?: string;
}

/** The ledger as stored in a file, a model or a report. */
export interface PrivacyLedgerJSON {
  format: typeof LEDGER_FORMAT;
  version: number;
  datasetFingerprint: string;
  budget: PrivacyBudget;
  accountant: AccountantName;
  entries: LedgerEntry[];
  spent: { epsilon: number; delta: number; rdpEpsilon: number };
}

/** What has been spent, by the primary accountant and by the RDP cross-check. */
export interface PrivacySpend {
  /** Composed ε at the budget's δ (primary accountant, an upper bound). */
  epsilon: number;
  delta: number;
  accountant: AccountantName;
  /** The same composition by the RDP accountant (a looser upper bound, as a cross-check). */
  rdpEpsilon: number;
  entries: number;
}

/**
 * SHA-256 (hex) of a file's bytes, read in chunks.
 * @example fingerprintFile('cohort.arrow') // '3f5a...'
 */
export function fingerprintFile(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * SHA-256 (hex) of bytes or a string.
 * @example fingerprintBytes('a,b\n1,2\n')
 */
export function fingerprintBytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The ledger file that belongs to a data or model file: `<file>.ledger.json`.
 * @example ledgerPathFor('data/cohort.arrow') // 'data/cohort.arrow.ledger.json'
 */
export function ledgerPathFor(dataOrModelFile: string): string {
  return `${dataOrModelFile}.ledger.json`;
}

function describeMechanism(m: Mechanism): string {
  switch (m.kind) {
    case 'subsampled-gaussian':
      return `subsampled Gaussian (noise multiplier ${m.noiseMultiplier}, sample rate ${m.sampleRate}, ${m.steps} steps)`;
    case 'gaussian':
      return `Gaussian (noise multiplier ${m.noiseMultiplier}, ${m.count ?? 1}x${m.additionalDelta ? `, additional delta ${m.additionalDelta}` : ''})`;
    case 'laplace':
      return `Laplace (scale ${m.scale}, ${m.count ?? 1}x)`;
    case 'pure-dp':
      return `${m.name ?? 'pure-DP mechanism'} (epsilon ${m.epsilon}, ${m.count ?? 1}x)`;
  }
}

/**
 * The first parameter of a mechanism description that is present but not a finite number (null,
 * Infinity, NaN, a string...), or null when all are finite. Such a mechanism cannot be recorded:
 * JSON writes Infinity and NaN as null, and the ledger file would no longer be readable.
 */
function nonFiniteParameter(m: object): { field: string; value: unknown } | null {
  const o = m as Record<string, unknown>;
  for (const field of ['noiseMultiplier', 'sampleRate', 'steps', 'scale', 'epsilon', 'count', 'additionalDelta']) {
    if (field in o && o[field] !== undefined && !(typeof o[field] === 'number' && Number.isFinite(o[field]))) return { field, value: o[field] };
  }
  return null;
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x));

function checkBudget(b: unknown, where: string): PrivacyBudget {
  const o = b as PrivacyBudget;
  if (typeof o !== 'object' || o === null) throw new UsageError(`Expected a budget {epsilon, delta} for ${where} but received ${describeValue(b)}`);
  if (typeof o.epsilon !== 'number' || !(o.epsilon >= 0) || !Number.isFinite(o.epsilon)) throw new UsageError(`Expected a finite epsilon >= 0 for ${where}.epsilon but received ${describeValue(o.epsilon)}`);
  if (typeof o.delta !== 'number' || !(o.delta > 0 && o.delta < 1)) throw new UsageError(`Expected a delta in (0, 1) for ${where}.delta but received ${describeValue(o.delta)}`);
  return { epsilon: o.epsilon, delta: o.delta };
}

/**
 * A per-dataset privacy ledger.
 * @example
 * const ledger = PrivacyLedger.openOrCreate(ledgerPathFor('cohort.arrow'), {
 *   datasetFingerprint: fingerprintFile('cohort.arrow'), budget: { epsilon: 3, delta: 1e-5 } });
 * ledger.charge({ mechanism: { kind: 'subsampled-gaussian', noiseMultiplier: 1.1, sampleRate: 0.01, steps: 1000 },
 *                 datasetFingerprint: fingerprintFile('cohort.arrow'), note: 'TVAE training' });
 * // ...only now read the data and train
 */
export class PrivacyLedger {
  readonly datasetFingerprint: string;
  /** The file this ledger is kept in, or null for an in-memory ledger (e.g. embedded in a model). */
  file: string | null;
  private entryList: LedgerEntry[];
  private budgetValue: PrivacyBudget;
  private accountantValue: AccountantName;
  private readonly spendCache = new Map<string, PrivacySpend>();

  private constructor(datasetFingerprint: string, budget: PrivacyBudget, accountant: AccountantName, entries: LedgerEntry[], file: string | null) {
    this.datasetFingerprint = datasetFingerprint;
    this.budgetValue = budget;
    this.accountantValue = accountant;
    this.entryList = entries;
    this.file = file;
  }

  /** The budget (as recorded in the file once it exists: reopening never raises it). */
  get budget(): PrivacyBudget {
    return this.budgetValue;
  }

  /** The accountant that composes the entries. */
  get accountant(): AccountantName {
    return this.accountantValue;
  }

  /**
   * A new, empty ledger (in memory unless `file` is given; then it is written at once).
   * @example PrivacyLedger.create({ datasetFingerprint: fingerprintBytes('x'), budget: { epsilon: 1, delta: 1e-6 } })
   */
  static create(opts: { datasetFingerprint: string; budget: PrivacyBudget; accountant?: string; file?: string }): PrivacyLedger {
    if (typeof opts.datasetFingerprint !== 'string' || opts.datasetFingerprint.length === 0) {
      throw new UsageError(`Expected a dataset fingerprint (SHA-256 hex) for datasetFingerprint but received ${describeValue(opts.datasetFingerprint)}`);
    }
    const ledger = new PrivacyLedger(opts.datasetFingerprint, checkBudget(opts.budget, 'budget'), resolveAccountantName(opts.accountant), [], opts.file ?? null);
    if (ledger.file) {
      if (fs.existsSync(ledger.file)) throw new UsageError(`Expected no existing ledger for file ${JSON.stringify(ledger.file)} but received an existing file (open it instead)`);
      ledger.save();
    }
    return ledger;
  }

  /**
   * Rebuilds a ledger from its JSON (as stored in a file, model or report), validating every field.
   * @example PrivacyLedger.fromJSON(JSON.parse(text))
   */
  static fromJSON(json: unknown, file: string | null = null): PrivacyLedger {
    const where = file ?? 'ledger';
    const o = json as Partial<PrivacyLedgerJSON>;
    const bad = (field: string, expected: string, v: unknown) => new InputError({ file: file ?? undefined, field }, expected, describeValue(v));
    if (typeof o !== 'object' || o === null || o.format !== LEDGER_FORMAT) throw bad('format', `"${LEDGER_FORMAT}"`, o?.format);
    if (o.version !== LEDGER_VERSION) throw bad('version', `version ${LEDGER_VERSION}`, o.version);
    if (typeof o.datasetFingerprint !== 'string' || !o.datasetFingerprint) throw bad('datasetFingerprint', 'a dataset fingerprint', o.datasetFingerprint);
    let budget: PrivacyBudget;
    try {
      budget = checkBudget(o.budget, `${where} budget`);
    } catch {
      throw bad('budget', 'a budget {epsilon >= 0, delta in (0, 1)}', o.budget);
    }
    if (!Array.isArray(o.entries)) throw bad('entries', 'an array of entries', o.entries);
    const entries = o.entries.map((e, i) => {
      if (typeof e !== 'object' || e === null) throw bad(`entries[${i}]`, 'an entry object', e);
      const broken = typeof e.parameters === 'object' && e.parameters !== null ? nonFiniteParameter(e.parameters) : null;
      if (broken) {
        throw new InputError({ file: file ?? undefined, field: `entries[${i}].parameters.${broken.field}` }, 'a finite number', describeValue(broken.value),
          broken.value === null
            ? 'JSON writes a non-finite number as null: an earlier hemasynth recorded this mechanism with an infinite or undefined parameter (e.g. for an epsilon too small to calibrate). The ledger is left as it is; check that entry and correct or remove it by hand (or restore the file from a backup) before using this ledger again'
            : 'The ledger is left as it is; check that entry and correct it by hand (or restore the file from a backup) before using this ledger again');
      }
      try {
        validateMechanism(e.parameters, `entries[${i}].parameters`);
      } catch (err) {
        throw bad(`entries[${i}].parameters`, 'a valid mechanism', (err as Error).message);
      }
      if (e.datasetFingerprint !== o.datasetFingerprint) throw bad(`entries[${i}].datasetFingerprint`, `the ledger's fingerprint ${o.datasetFingerprint}`, e.datasetFingerprint);
      if (typeof e.time !== 'string') throw bad(`entries[${i}].time`, 'an ISO 8601 time', e.time);
      return { ...e } as LedgerEntry;
    });
    let accountant: AccountantName;
    try {
      accountant = resolveAccountantName(o.accountant);
    } catch {
      throw bad('accountant', '"prv" or "rdp"', o.accountant);
    }
    return new PrivacyLedger(o.datasetFingerprint, budget, accountant, entries, file);
  }

  /**
   * Opens a ledger file.
   * @example PrivacyLedger.open('cohort.arrow.ledger.json')
   */
  static open(file: string): PrivacyLedger {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError({ file }, 'a readable privacy ledger file', (e as NodeJS.ErrnoException).code ?? String(e));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new InputError({ file }, 'a JSON privacy ledger', `invalid JSON (${(e as Error).message})`);
    }
    return PrivacyLedger.fromJSON(json, file);
  }

  /**
   * Opens the ledger file, or starts a new ledger for it with this fingerprint and budget. An
   * existing ledger must belong to the same dataset; its budget stays as recorded (a budget is not
   * raised by reopening). A new ledger is written to `file` at its first charge, not before: a
   * training refused or failed before it charged anything leaves no file, so it neither fixes the
   * budget at its own ε nor binds the file to the data it was refused on. (Should another process
   * create the file first, the first charge adopts that file's budget.)
   */
  static openOrCreate(file: string, opts: { datasetFingerprint: string; budget: PrivacyBudget; accountant?: string }): PrivacyLedger {
    if (!fs.existsSync(file)) {
      const pending = PrivacyLedger.create({ datasetFingerprint: opts.datasetFingerprint, budget: opts.budget, accountant: opts.accountant });
      pending.file = file;
      return pending;
    }
    const ledger = PrivacyLedger.open(file);
    if (ledger.datasetFingerprint !== opts.datasetFingerprint) {
      throw new PrivacyBudgetError(`Expected the ledger ${JSON.stringify(file)} to belong to dataset ${opts.datasetFingerprint} but received a ledger for dataset ${ledger.datasetFingerprint}`);
    }
    return ledger;
  }

  /** The recorded entries, oldest first. */
  get entries(): readonly LedgerEntry[] {
    return this.entryList;
  }

  /** The mechanisms of all entries. */
  mechanisms(): Mechanism[] {
    return this.entryList.map((e) => e.parameters);
  }

  private spendOf(mechanisms: Mechanism[]): PrivacySpend {
    const delta = this.budget.delta;
    // A composition is a pure function of the mechanisms, accountant and δ; a charge composes the
    // entries before and after it and the file write the same again, so the last few are kept
    // (each PRV composition costs up to seconds at large ε).
    // PRV: ε error 0.01, or 0.1% of the budget's ε above 10 (scaledEpsilonError: still an upper bound).
    const epsilonError = scaledEpsilonError(this.budget.epsilon);
    const key = JSON.stringify([this.accountant, delta, epsilonError, mechanisms]);
    const known = this.spendCache.get(key);
    if (known) return { ...known };
    const primary = composeEpsilon({ accountant: this.accountant, mechanisms, delta, epsilonError }).epsilon;
    const rdp = this.accountant === 'rdp' ? primary : composeEpsilon({ accountant: 'rdp', mechanisms, delta }).epsilon;
    const spend: PrivacySpend = { epsilon: primary, delta, accountant: this.accountant, rdpEpsilon: rdp, entries: mechanisms.length };
    if (this.spendCache.size >= 4) this.spendCache.delete(this.spendCache.keys().next().value as string);
    this.spendCache.set(key, spend);
    return { ...spend };
  }

  /**
   * Composed spend so far at the budget's δ.
   * @example ledger.spent().epsilon
   */
  spent(): PrivacySpend {
    return this.spendOf(this.mechanisms());
  }

  /**
   * The ε (at the budget's δ, by the ledger's accountant) of the recorded entries composed with
   * `extra`, as a charge of them would compute it (without recording anything).
   * @example ledger.epsilonWith([{ kind: 'gaussian', noiseMultiplier: 10, count: 3 }])
   */
  epsilonWith(extra: readonly Mechanism[]): number {
    return this.spendOf([...this.mechanisms(), ...extra.map((m, i) => validateMechanism(m, `mechanisms[${i}]`))]).epsilon;
  }

  /** Budget left in ε at the budget's δ (never negative). */
  remaining(): { epsilon: number; delta: number } {
    return { epsilon: Math.max(0, this.budget.epsilon - this.spent().epsilon), delta: this.budget.delta };
  }

  /**
   * Checks a request without recording it: returns the spend it would bring, or throws
   * {@link PrivacyBudgetError} stating the budget, the spend so far and the request.
   */
  check(request: PrivacyRequest): PrivacySpend {
    const mechanism = validateMechanism(request.mechanism, 'request.mechanism');
    const unrecordable = nonFiniteParameter(mechanism);
    if (unrecordable) {
      throw new UsageError(`Expected finite privacy parameters for request.mechanism.${unrecordable.field} but received ${describeValue(unrecordable.value)}; refusing to record ${describeMechanism(mechanism)}${request.note ? ` for "${request.note}"` : ''} in the ledger (a ledger entry must be a finite, readable record)`);
    }
    if (request.datasetFingerprint !== undefined && request.datasetFingerprint !== this.datasetFingerprint) {
      throw new PrivacyBudgetError(`Expected data with fingerprint ${this.datasetFingerprint} (the ledger's dataset) but received data with fingerprint ${request.datasetFingerprint}; refusing to charge another dataset's ledger`);
    }
    const after = this.spendOf([...this.mechanisms(), mechanism]);
    if (!(after.epsilon <= this.budget.epsilon)) {
      const before = this.spent();
      throw new PrivacyBudgetError(
        `Privacy budget exceeded for dataset ${this.datasetFingerprint.slice(0, 16)}: budget epsilon=${fmt(this.budget.epsilon)}, delta=${this.budget.delta}; ` +
          `spent so far epsilon=${fmt(before.epsilon)} over ${before.entries} entr${before.entries === 1 ? 'y' : 'ies'} (${this.accountant}); ` +
          `request ${describeMechanism(mechanism)}${request.note ? ` for "${request.note}"` : ''} would bring it to epsilon=${fmt(after.epsilon)}. Refused before reading any data.`,
      );
    }
    return after;
  }

  /**
   * Records a spend if it fits the budget (else throws {@link PrivacyBudgetError} and records
   * nothing). Call it BEFORE reading the data. A file-backed ledger is updated on disk under a lock.
   */
  charge(request: PrivacyRequest): LedgerEntry {
    if (!this.file) return this.chargeInMemory(request);
    return this.withLock(() => {
      // Another process may have charged since we opened the file: start from the file's state.
      if (fs.existsSync(this.file as string)) {
        const current = PrivacyLedger.open(this.file as string);
        if (current.datasetFingerprint !== this.datasetFingerprint) throw new PrivacyBudgetError(`Expected the ledger file ${JSON.stringify(this.file)} to belong to dataset ${this.datasetFingerprint} but received one for ${current.datasetFingerprint}`);
        this.entryList = [...current.entryList];
        // A file created by another process since this ledger was opened: its budget stands.
        this.budgetValue = current.budget;
        this.accountantValue = current.accountant;
      }
      const entry = this.chargeInMemory(request);
      this.writeFile(this.file as string);
      return entry;
    });
  }

  private chargeInMemory(request: PrivacyRequest): LedgerEntry {
    const after = this.check(request);
    const mechanism = validateMechanism(request.mechanism, 'request.mechanism');
    const entry: LedgerEntry = {
      id: this.entryList.length + 1,
      mechanism: mechanism.kind,
      parameters: mechanism,
      datasetFingerprint: this.datasetFingerprint,
      time: new Date().toISOString(),
      ...(request.note ? { note: request.note } : {}),
      epsilonAfter: after.epsilon,
    };
    this.entryList.push(entry);
    return entry;
  }

  private withLock<T>(fn: () => T): T {
    const lock = `${this.file}.lock`;
    fs.mkdirSync(path.dirname(path.resolve(lock)), { recursive: true });
    const deadline = Date.now() + 10000;
    let fd: number | null = null;
    while (fd === null) {
      try {
        fd = fs.openSync(lock, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (Date.now() > deadline) throw new HemasynthError(`Expected to lock the privacy ledger ${JSON.stringify(this.file)} but received a lock held for over 10 s (${lock}); remove it if no other hemasynth process is running`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    try {
      return fn();
    } finally {
      fs.closeSync(fd);
      fs.rmSync(lock, { force: true });
    }
  }

  private writeFile(file: string): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.toJSON(), null, 2) + '\n');
    fs.renameSync(tmp, file);
  }

  /** Writes the ledger to its file (or to `file`, which then becomes its file). Atomic (write + rename). */
  save(file?: string): void {
    if (file) this.file = file;
    if (!this.file) throw new UsageError('Expected a file for PrivacyLedger.save but received undefined (in-memory ledger)');
    this.withLock(() => this.writeFile(this.file as string));
  }

  /** The ledger as JSON, with the composed spend, for files, model manifests and reports. */
  toJSON(): PrivacyLedgerJSON {
    const s = this.spent();
    return {
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      datasetFingerprint: this.datasetFingerprint,
      budget: { ...this.budget },
      accountant: this.accountant,
      entries: this.entryList.map((e) => ({ ...e })),
      spent: { epsilon: s.epsilon, delta: s.delta, rdpEpsilon: s.rdpEpsilon },
    };
  }
}
