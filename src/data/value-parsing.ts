/**
 * Parsing of text fields (CSV cells, schema bounds) into typed values. One grammar per kind,
 * shared by schema inference, CSV reading and schema validation, so that what inference accepts
 * is exactly what the reader accepts.
 */

/**
 * Tokens read as a missing value when no other list is given. The empty field is always
 * missing. "NaN" is included because spreadsheet and R exports write it for undefined results.
 */
export const DEFAULT_MISSING_TOKENS: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'null', 'NULL'];

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_PLUS = 43;
const CH_MINUS = 45;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

/**
 * Parses a decimal number: optional sign, digits with an optional fraction, optional exponent
 * (`12`, `-3.5`, `.5`, `1e-3`), or `Infinity`/`-Infinity`. Rejects what `Number()` would
 * silently accept but a data file should not contain: surrounding spaces, hexadecimal, octal
 * and binary prefixes, the empty string. Returns NaN when the text is not a number.
 * @example parseDecimal('1.5e3') // 1500
 */
export function parseDecimal(s: string): number {
  const n = s.length;
  if (n === 0) return NaN;
  const fast = parseShortDecimal(s, n);
  if (fast === fast) return fast;
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(n - 1);
  // Last character a digit or '.', first a digit, sign or '.': excludes spaces and words.
  if (!(isDigit(last) || last === CH_DOT) || !(isDigit(first) || first === CH_MINUS || first === CH_PLUS || first === CH_DOT)) {
    if (s === 'Infinity' || s === '+Infinity') return Infinity;
    if (s === '-Infinity') return -Infinity;
    return NaN;
  }
  if (n > 1 && first === CH_0) {
    const c1 = s.charCodeAt(1) | 32;
    if (c1 === 120 /* x */ || c1 === 111 /* o */ || c1 === 98 /* b */) return NaN;
  }
  return Number(s);
}

// Exact powers of ten: every 10^k with k <= 22 is a double without rounding.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990):
 * a decimal with at most 15 significant digits and no exponent is M / 10^k with M < 2^53 and
 * 10^k exact, so one IEEE division gives the correctly rounded value, the same double as Number().
 * Returns NaN when the text is not of that simple form (the caller then uses Number()).
 */
function parseShortDecimal(s: string, n: number): number {
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 === CH_MINUS || c0 === CH_PLUS) {
    neg = c0 === CH_MINUS;
    i = 1;
  }
  let m = 0;
  let digitCount = 0;
  let frac = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      m = m * 10 + (c - CH_0);
      if (++digitCount > 15) return NaN;
      if (frac >= 0) frac++;
    } else if (c === CH_DOT && frac < 0) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (digitCount === 0) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return neg ? -v : v;
}

/**
 * Whether `s` starts (after an optional sign) with a zero followed by a digit: "007", "00875",
 * "-01". Such text is a code (postcode, identifier), not a number: read as one, its zeros are lost.
 * @example hasLeadingZero('00875') // true; hasLeadingZero('0.5') // false
 */
export function hasLeadingZero(s: string): boolean {
  const i = s.length > 0 && (s.charCodeAt(0) === CH_MINUS || s.charCodeAt(0) === CH_PLUS) ? 1 : 0;
  return s.length > i + 1 && s.charCodeAt(i) === CH_0 && isDigit(s.charCodeAt(i + 1));
}

/** Whether `s` is an optionally signed run of decimal digits. */
export function isIntegerText(s: string): boolean {
  const n = s.length;
  let i = 0;
  if (n === 0) return false;
  const c0 = s.charCodeAt(0);
  if (c0 === CH_MINUS || c0 === CH_PLUS) {
    if (n === 1) return false;
    i = 1;
  }
  for (; i < n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses an integer field exactly as a BigInt (digits only, optional sign); returns null when the
 * text is not an integer or lies outside the signed 64-bit range.
 * @example parseInteger('9007199254740993') // 9007199254740993n
 */
export function parseInteger(s: string): bigint | null {
  if (!isIntegerText(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/**
 * Parses an integer field that must fit in a JavaScript number exactly (|v| <= 2^53 - 1).
 * Returns NaN otherwise. Fast path for Int32 columns.
 */
export function parseSafeInteger(s: string): number {
  if (!isIntegerText(s)) return NaN;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : NaN;
}

const TRUE_TOKENS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_TOKENS = new Set(['false', 'f', 'no', 'n', '0']);
/** Tokens that make inference choose the boolean kind (0/1 alone stays an integer). */
const INFERRED_BOOLEAN_TOKENS = new Set(['true', 'false', 'yes', 'no']);

/**
 * Parses a boolean field: true/false, t/f, yes/no, y/n, 1/0 in any letter case. Returns null
 * when the text is none of them.
 */
export function parseBoolean(s: string): boolean | null {
  const k = s.toLowerCase();
  if (TRUE_TOKENS.has(k)) return true;
  if (FALSE_TOKENS.has(k)) return false;
  return null;
}

/** Whether inference may read this text as a boolean (true/false or yes/no, any case). */
export function isInferredBooleanText(s: string): boolean {
  return s.length <= 5 && INFERRED_BOOLEAN_TOKENS.has(s.toLowerCase());
}

const MS_PER_DAY = 86_400_000;
// ISO 8601 date and time: date, 'T' or one space, hh:mm[:ss[.fraction]], optional Z or ±hh:mm.
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= dim;
}

/**
 * Parses an ISO 8601 calendar date `YYYY-MM-DD` into days since 1970-01-01 (Arrow Date32).
 * Returns NaN for anything else, including impossible dates like 2023-02-29.
 * @example parseDateDays('1970-01-02') // 1
 */
export function parseDateDays(s: string): number {
  // Character by character, no regular expression: this runs once per date cell.
  if (s.length !== 10 || s.charCodeAt(4) !== CH_MINUS || s.charCodeAt(7) !== CH_MINUS) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  if (y < 0 || mo < 0 || d < 0 || !validDate(y, mo, d)) return NaN;
  return daysFromCivil(y, mo, d);
}

/** The value of the decimal digits s[from..to), or -1 if any is not a digit. */
function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - CH_0;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms", days_from_civil), exact for every year 0000-9999 without allocating a Date.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Parses an ISO 8601 date-time (`2021-03-04T05:06:07.123Z`, `2021-03-04 05:06`, with or without
 * a UTC offset) into milliseconds since the epoch, UTC. A value without an offset is taken as UTC.
 * A date-only value is midnight UTC. Fractions beyond milliseconds are truncated. Returns NaN
 * for anything else.
 * @example parseDateTimeMs('1970-01-01T00:00:01Z') // 1000
 */
export function parseDateTimeMs(s: string): number {
  if (s.length === 10) {
    const days = parseDateDays(s);
    return Number.isNaN(days) ? NaN : days * MS_PER_DAY;
  }
  const m = DATETIME_RE.exec(s);
  if (!m) return NaN;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const hh = +m[4];
  const mi = +m[5];
  const ss = m[6] === undefined ? 0 : +m[6];
  if (!validDate(y, mo, d) || hh > 23 || mi > 59 || ss > 59) return NaN;
  const ms = m[7] === undefined ? 0 : +(m[7] + '00').slice(0, 3);
  let offsetMin = 0;
  const z = m[8];
  if (z !== undefined && z !== 'Z') {
    const digits = z.replace(':', '');
    const oh = +digits.slice(1, 3);
    const om = +digits.slice(3, 5);
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, d, hh, mi, ss, ms) - offsetMin * 60_000;
}

/** Whether text is a date-time with a time part (not a bare date). */
export function hasTimePart(s: string): boolean {
  return s.length > 10;
}

/** Formats days since the epoch as `YYYY-MM-DD`. */
export function formatDateDays(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Formats milliseconds since the epoch as ISO 8601 UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export function formatDateTimeMs(ms: number): string {
  return new Date(ms).toISOString();
}
