import { parseDecimal, parseInteger, parseBoolean, parseDateDays, parseDateTimeMs, formatDateDays } from '../../../src/data/value-parsing';

describe('value parsing', () => {
  test('parseDecimal gives exactly the double Number() gives, on 200,000 generated decimals', () => {
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) / 4294967296);
    const mismatches: string[] = [];
    for (let k = 0; k < 200_000; k++) {
      const s = ((rnd() - 0.5) * 10 ** Math.floor(rnd() * 16)).toFixed(Math.floor(rnd() * 17));
      if (!Object.is(parseDecimal(s), Number(s))) mismatches.push(s);
    }
    expect(mismatches).toEqual([]);
    for (const s of ['0', '-0', '+1', '.5', '5.', '0.1', '0.3', '123456789012345', '1234567890123456789', '1e5', '-2.5E-3', 'Infinity', '-Infinity']) {
      expect(Object.is(parseDecimal(s), Number(s))).toBe(true);
    }
  });

  test('parseDecimal refuses what a data file should not contain', () => {
    for (const s of ['', ' 1', '1 ', '0x10', '0b1', '0o7', '1,5', 'abc', '.', '-', '1..2', '1e', 'NaN', 'inf']) expect(parseDecimal(s)).toBeNaN();
  });

  test('integers are exact as BigInt within the signed 64-bit range only', () => {
    expect(parseInteger('9007199254740993')).toBe(9007199254740993n);
    expect(parseInteger('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseInteger('9223372036854775808')).toBeNull();
    expect(parseInteger('1.0')).toBeNull();
  });

  test('booleans', () => {
    expect(['true', 'T', 'yes', 'Y', '1'].map(parseBoolean)).toEqual([true, true, true, true, true]);
    expect(['FALSE', 'f', 'No', 'n', '0'].map(parseBoolean)).toEqual([false, false, false, false, false]);
    expect(parseBoolean('maybe')).toBeNull();
  });

  test('dates: every day of 1600-2400 matches Date.UTC, impossible dates are refused', () => {
    const wrong: number[] = [];
    for (let d = Date.UTC(1600, 0, 1) / 864e5; d <= Date.UTC(2400, 11, 31) / 864e5; d++) {
      if (parseDateDays(formatDateDays(d)) !== d) wrong.push(d);
    }
    expect(wrong).toEqual([]);
    for (const s of ['2023-02-29', '2021-13-01', '2021-00-10', '2021-04-31', '21-01-01', '2021/01/01', '2021-1-1']) expect(parseDateDays(s)).toBeNaN();
    expect(parseDateDays('2000-02-29')).toBe(Date.UTC(2000, 1, 29) / 864e5);
  });

  test('date-times with offsets, fractions and a space separator', () => {
    expect(parseDateTimeMs('2021-03-04T05:06:07.123Z')).toBe(Date.UTC(2021, 2, 4, 5, 6, 7, 123));
    expect(parseDateTimeMs('2021-03-04 05:06')).toBe(Date.UTC(2021, 2, 4, 5, 6));
    expect(parseDateTimeMs('2021-03-04T05:06:07+02:00')).toBe(Date.UTC(2021, 2, 4, 3, 6, 7));
    expect(parseDateTimeMs('2021-03-04T05:06:07.1234567-0130')).toBe(Date.UTC(2021, 2, 4, 6, 36, 7, 123));
    expect(parseDateTimeMs('2021-03-04')).toBe(Date.UTC(2021, 2, 4));
    for (const s of ['2021-03-04T25:00', '2021-03-04T05:60', '2021-03-04T', '04/03/2021 10:00']) expect(parseDateTimeMs(s)).toBeNaN();
  });
});
