import { anonymiseTable, fromColumns, validatePolicy } from '../../../src/anonymise';

// A visits table: several rows per patient. Patient-level protection counts patients, not
// rows, and suppresses all of a patient's rows together.
function visits() {
  const rows: { p: string; sex: string; age: string }[] = [];
  const add = (p: string, sex: string, age: string, n: number) => { for (let i = 0; i < n; i++) rows.push({ p, sex, age }); };
  // Three women aged 30-39 with many visits, one man aged 71 with 10 visits (unique), two men aged 40-49.
  add('P1', 'F', '31', 4); add('P2', 'F', '35', 3); add('P3', 'F', '38', 5);
  add('P4', 'M', '71', 10);
  add('P5', 'M', '42', 2); add('P6', 'M', '44', 2);
  return fromColumns({ patient_id: rows.map((r) => r.p), sex: rows.map((r) => r.sex), age: rows.map((r) => r.age) });
}

const policy = (k: number, suppression: number, sexIsQuasi = true) => validatePolicy({
  columns: {
    patient_id: { role: 'direct', action: 'pseudonym' },
    sex: sexIsQuasi ? { role: 'quasi', hierarchy: { type: 'mask' } } : { role: 'insensitive' },
    age: { role: 'quasi', hierarchy: { type: 'interval', widths: [10], origin: 0 } },
  },
  patientColumn: 'patient_id', models: [{ type: 'k-anonymity', k }], suppressionLimit: suppression,
});

test('k counts distinct patients, not visits', () => {
  // Age alone, by decade: 30s hold 3 patients, 40s 2, 70s 1 patient with 10 visits. Row-level
  // 2-anonymity would keep the 70s class (10 rows); patient-level must suppress that patient.
  const { report, table } = anonymiseTable(visits(), policy(2, 0.2, false), { secret: 'x'.repeat(32) });
  expect(report.levels).toEqual({ age: 1 });
  expect(report.patientColumn).toBe('patient_id');
  expect(report.risk.before.records).toBe(6); // patients
  expect(report.suppressedRecords).toBe(1);
  expect(report.suppressedRows).toBe(10);
  // All ten rows of that patient are suppressed together, and no other row is.
  const suppressed = table.values.age.map((a) => a === '*');
  expect(suppressed.filter(Boolean).length).toBe(10);
  const pid = table.values.patient_id;
  const outIds = new Set(pid.filter((_, i) => suppressed[i]));
  expect(outIds.size).toBe(1);
  // Each released class holds at least 2 distinct patients.
  const classes = new Map<string, Set<string>>();
  table.values.age.forEach((a, i) => {
    if (suppressed[i]) return;
    const key = a;
    if (!classes.has(key)) classes.set(key, new Set());
    classes.get(key)!.add(pid[i]);
  });
  for (const set of classes.values()) expect(set.size).toBeGreaterThanOrEqual(2);
  expect(report.equivalenceClasses).toBe(2);
  expect(report.risk.after.records).toBe(5); // the suppressed patient is left out of the risk
  expect(report.risk.after.highestProsecutor).toBe(0.5);
});

test('a patient is generalised consistently across all rows', () => {
  const { table } = anonymiseTable(visits(), policy(2, 0), { secret: 'x'.repeat(32) });
  const byPatient = new Map<string, Set<string>>();
  table.values.patient_id.forEach((p, i) => {
    if (!byPatient.has(p)) byPatient.set(p, new Set());
    byPatient.get(p)!.add(`${table.values.sex[i]}|${table.values.age[i]}`);
  });
  for (const s of byPatient.values()) expect(s.size).toBe(1);
});

test('a per-record model with patient-level protection is refused at policy loading, naming the file and the model', () => {
  const raw = {
    columns: { patient_id: { role: 'direct', action: 'pseudonym' }, age: { role: 'quasi', hierarchy: { type: 'interval', widths: [10], origin: 0 } }, sex: { role: 'sensitive' } },
    patientColumn: 'patient_id', models: [{ type: 'k-anonymity', k: 2 }, { type: 'distinct-l-diversity', column: 'sex', l: 2 }],
  };
  expect(() => validatePolicy(raw, 'visits-policy.json')).toThrow(/for file "visits-policy.json", field "models\[1\]" but received distinct-l-diversity/);
  expect(() => validatePolicy({ ...raw, models: [raw.models[0]] }, 'visits-policy.json')).not.toThrow();
});
