/**
 * Actions on direct identifiers: keyed pseudonyms, per-patient date shifting and age at a
 * reference date. Pseudonyms and date offsets are HMAC-SHA-256 (RFC 2104, FIPS 198-1) under a
 * site secret: stable for one secret, unlinkable across secrets, and not invertible without
 * the secret (unlike a plain hash of a record number, which can be brute-forced).
 */
import { createHmac } from 'node:crypto';
import { InputError } from '../errors';

/**
 * The keyed pseudonym of a value: the first 32 hex digits (128 bits) of HMAC-SHA-256.
 * @example pseudonymise('HRN-001', secret) // '5f0c…' (32 hex digits)
 */
export function pseudonymise(value: string, secret: Buffer | string): string {
  return createHmac('sha256', secret).update('pseudonym\u0000').update(value).digest('hex').slice(0, 32);
}

/**
 * A patient's date offset in days, uniform in [-maxDays, maxDays] \ {0}, derived from the
 * patient key with HMAC-SHA-256 so every date of one patient moves by the same amount.
 * @example dateShiftDays('P001', secret, 180)
 */
export function dateShiftDays(patientKey: string, secret: Buffer | string, maxDays = 365): number {
  const d = createHmac('sha256', secret).update('date-shift\u0000').update(patientKey).digest();
  const span = 2 * maxDays; // values -maxDays..-1 and 1..maxDays
  const r = d.readUInt32BE(0) % span; // bias < span / 2^32, negligible for spans of days
  return r < maxDays ? r - maxDays : r - maxDays + 1;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(.*)$/;

/** Parses YYYY-MM-DD (anything after the day is kept as a suffix) as a UTC day number. */
function parseDay(v: string, where: { file?: string; row?: number; column?: string }): { day: number; suffix: string } {
  const m = DATE.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).getUTCDate() !== Number(m[3])) throw new InputError(where, 'a date YYYY-MM-DD', JSON.stringify(v));
  return { day: t / 86400000, suffix: m[4] };
}

function formatDay(day: number): string {
  return new Date(day * 86400000).toISOString().slice(0, 10);
}

/**
 * Shifts a date by a number of days (empty stays empty).
 * @example shiftDate('2020-02-28', 2) // '2020-03-01'
 */
export function shiftDate(value: string, days: number, where: { file?: string; row?: number; column?: string } = {}): string {
  if (value === '') return value;
  const { day, suffix } = parseDay(value, where);
  return formatDay(day + days) + suffix;
}

/**
 * Age in whole years at a reference date (empty stays empty).
 * @example ageAt('2000-06-15', '2024-06-14') // '23'
 */
export function ageAt(dateOfBirth: string, referenceDate: string, where: { file?: string; row?: number; column?: string } = {}): string {
  if (dateOfBirth === '') return '';
  const b = DATE.exec(dateOfBirth);
  const r = DATE.exec(referenceDate);
  parseDay(dateOfBirth, where);
  if (!r) throw new InputError({ field: 'referenceDate' }, 'a date YYYY-MM-DD', JSON.stringify(referenceDate));
  let age = Number(r[1]) - Number(b![1]);
  if (Number(r[2]) < Number(b![2]) || (Number(r[2]) === Number(b![2]) && Number(r[3]) < Number(b![3]))) age -= 1;
  if (age < 0) throw new InputError(where, `a date of birth before the reference date ${referenceDate}`, JSON.stringify(dateOfBirth));
  return String(age);
}
