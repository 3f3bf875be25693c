import * as path from 'node:path';
import { loadPolicy, minimiseForTraining } from '../../../src/anonymise';
import { simulateCohort } from '../../../src/scd';

describe('minimiseForTraining', () => {
  const sim = simulateCohort({ patients: 60, sites: 2, seed: 3 });
  const policy = loadPolicy(path.resolve(__dirname, '../../../data/policies/scd.json'));
  const m = minimiseForTraining(sim.patients, sim.schema, policy);

  it('removes every direct identifier from the table and the schema', () => {
    const names = m.table.schema.fields.map((f) => f.name);
    for (const id of ['patient_id', 'name', 'hospital_record_number', 'date_of_birth', 'postcode']) {
      expect(names).not.toContain(id);
      expect(m.schema.columns.map((c) => c.name)).not.toContain(id);
    }
    expect(m.directIdentifiers.sort()).toEqual(['date_of_birth', 'hospital_record_number', 'name', 'patient_id', 'postcode']);
  });

  it('keeps the clinical columns with their rows, in table and schema order', () => {
    expect(m.table.numRows).toBe(60);
    expect(m.schema.columns.map((c) => c.name)).toEqual(m.table.schema.fields.map((f) => f.name));
    expect(m.table.getChild('hb_g_dl')!.toArray()).toEqual(sim.patients.getChild('hb_g_dl')!.toArray());
    expect(m.table.numCols + m.directIdentifiers.length + m.unnamed.length).toBe(sim.patients.numCols);
  });

  it('drops constraints that mention a removed column and keeps the others', () => {
    const schema = { ...sim.schema, constraints: [...(sim.schema.constraints ?? []), 'age_years <= 100 when date_of_birth is not null'] };
    const r = minimiseForTraining(sim.patients, schema, policy);
    expect(r.schema.constraints).toEqual(sim.schema.constraints);
  });
});
