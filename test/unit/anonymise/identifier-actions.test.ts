import { ageAt, dateShiftDays, pseudonymise, shiftDate, anonymiseTable, fromColumns, validatePolicy } from '../../../src/anonymise';

const SECRET_A = 'site-A-secret-0123456789abcdef';
const SECRET_B = 'site-B-secret-0123456789abcdef';

describe('keyed pseudonyms', () => {
  test('stable for one secret, different across secrets and values', () => {
    expect(pseudonymise('HRN-0001', SECRET_A)).toBe(pseudonymise('HRN-0001', SECRET_A));
    expect(pseudonymise('HRN-0001', SECRET_A)).not.toBe(pseudonymise('HRN-0001', SECRET_B));
    expect(pseudonymise('HRN-0001', SECRET_A)).not.toBe(pseudonymise('HRN-0002', SECRET_A));
    expect(pseudonymise('HRN-0001', SECRET_A)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('date shifting', () => {
  test('offsets are per patient, non-zero and within the bound', () => {
    const seen = new Set<number>();
    for (let p = 0; p < 200; p++) {
      const d = dateShiftDays(`P${p}`, SECRET_A, 30);
      expect(d).not.toBe(0);
      expect(Math.abs(d)).toBeLessThanOrEqual(30);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(30); // spread over the range, not constant
    expect(dateShiftDays('P1', SECRET_A, 30)).toBe(dateShiftDays('P1', SECRET_A, 30));
  });
  test('shiftDate handles month and leap-year boundaries', () => {
    expect(shiftDate('2020-02-28', 2)).toBe('2020-03-01');
    expect(shiftDate('2021-01-01', -1)).toBe('2020-12-31');
    expect(() => shiftDate('2021-02-30', 1, { column: 'visit_date', row: 3 })).toThrow(/Expected a date YYYY-MM-DD for row 3, column "visit_date"/);
  });
  test('the pipeline keeps every interval between a patient\'s visits', () => {
    const patients = ['A', 'A', 'A', 'B', 'B', 'C'];
    const dates = ['2020-01-01', '2020-03-15', '2021-02-28', '2019-07-04', '2019-07-05', '2022-12-31'];
    const table = fromColumns({ patient_id: patients, visit_date: dates, site: ['X1', 'X1', 'X1', 'X1', 'X1', 'X1'] });
    const policy = validatePolicy({
      columns: { patient_id: { role: 'direct', action: 'pseudonym' }, visit_date: { role: 'direct', action: 'shift-dates' }, site: { role: 'quasi', hierarchy: { type: 'mask' } } },
      patientColumn: 'patient_id', models: [{ type: 'k-anonymity', k: 1 }], maxShiftDays: 100,
    });
    const { table: out } = anonymiseTable(table, policy, { secret: SECRET_A });
    const day = (s: string) => Date.parse(s) / 86400000;
    const shift = out.values.visit_date.map((d, i) => day(d) - day(dates[i]));
    expect(shift[0]).toBe(shift[1]);
    expect(shift[1]).toBe(shift[2]);
    expect(shift[3]).toBe(shift[4]);
    for (const s of shift) expect(s).not.toBe(0);
    expect(new Set(shift).size).toBeGreaterThan(1); // patients get different offsets (with overwhelming probability)
    expect(out.values.patient_id[0]).toBe(out.values.patient_id[1]);
    expect(out.values.patient_id[0]).not.toBe('A');
  });
});

describe('age at a reference date', () => {
  test('whole years, birthday not yet reached', () => {
    expect(ageAt('2000-06-15', '2024-06-14')).toBe('23');
    expect(ageAt('2000-06-15', '2024-06-15')).toBe('24');
    expect(() => ageAt('2030-01-01', '2024-01-01', { column: 'date_of_birth' })).toThrow(/before the reference date/);
  });
});
