/**
 * The one path by which DP preprocessing reads data: charge the ledger first, then read.
 * Data may be given as a function so that it is not even loaded until the charge succeeded.
 */
import { UsageError, describeValue } from '../../errors';
import { Mechanism } from '../accountants/mechanisms';
import { LedgerEntry, PrivacyLedger } from '../ledger';
import { CryptoRandom } from '../noise';

/** Data, or a function that loads it (called only after the ledger accepted the charge). */
export type DataSource<T> = ArrayLike<T> | (() => ArrayLike<T>);

/** Options every DP measurement takes. */
export interface MeasurementOptions {
  /** The ledger of the dataset the values come from; charged before the values are read. */
  ledger: PrivacyLedger;
  /** Fingerprint of the data being read (must match the ledger's); default: the ledger's own. */
  datasetFingerprint?: string;
  /** Noise source (default: a new system-keyed CryptoRandom). */
  rng?: CryptoRandom;
  /** Recorded in the ledger entry. */
  note?: string;
}

/** Charges the ledger for `mechanism`, then returns the data (loading it if it is a function). */
export function chargeThenRead<T>(opts: MeasurementOptions, mechanism: Mechanism, data: DataSource<T>, defaultNote: string): { values: ArrayLike<T>; entry: LedgerEntry; rng: CryptoRandom } {
  if (!(opts && opts.ledger instanceof PrivacyLedger)) throw new UsageError(`Expected a PrivacyLedger for ledger but received ${describeValue(opts?.ledger)}`);
  const entry = opts.ledger.charge({ mechanism, datasetFingerprint: opts.datasetFingerprint ?? opts.ledger.datasetFingerprint, note: opts.note ?? defaultNote });
  const values = typeof data === 'function' ? data() : data;
  return { values, entry, rng: opts.rng ?? new CryptoRandom() };
}

/** Validates a public [lower, upper] range. */
export function checkRange(range: unknown, name: string): [number, number] {
  const r = range as [number, number];
  if (!Array.isArray(r) || r.length !== 2 || !Number.isFinite(r[0]) || !Number.isFinite(r[1]) || !(r[0] < r[1])) {
    throw new UsageError(`Expected a finite [lower, upper] range with lower < upper for ${name} but received ${describeValue(range)}${Array.isArray(r) ? ` ${JSON.stringify(r)}` : ''}`);
  }
  return [r[0], r[1]];
}

/** Validates a positive finite parameter. */
export function checkPositive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new UsageError(`Expected a finite number > 0 for ${name} but received ${describeValue(v)}`);
  return v;
}
