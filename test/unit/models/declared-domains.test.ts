import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { PrivacyLedger } from '../../../src/dp/ledger';
import { trainModel } from '../../../src/models';
import { requireDeclaredDomains } from '../../../src/models/declared-domains';
import { inferSchemaFromTable } from '../../../src/data/schema-inference';
import { runCli } from '../../support/run-cli';
import { simulateCohort } from '../../../src/scd';
import { federationSchema } from '../../../src/federated/tasks/federated-discretisation';

const n = 200;
const table = tableFromArrays({
  country: Array.from({ length: n }, (_, i) => (i === 0 ? 'Holand-Netherlands' : i % 2 ? 'France' : 'Spain')),
  age: Float64Array.from({ length: n }, (_, i) => 17 + (i % 70)),
});

describe('DP training refuses categories and bounds read from the data', () => {
  test('an inferred schema is refused before any charge, naming the columns; a declared one trains; ε = ∞ takes either', () => {
    const inferred = inferSchemaFromTable(table);
    expect(inferred.columns.every((c) => c.inferred)).toBe(true);
    const ledger = PrivacyLedger.create({ datasetFingerprint: 'f'.repeat(64), budget: { epsilon: 3, delta: 1e-6 } });
    for (const model of ['marginal', 'copula', 'tvae', 'ctgan']) {
      expect(() => trainModel({ table, schema: inferred, model, epsilon: 1, ledger, seed: 1 })).toThrow(/declared schema for a DP training on the training table, but the categories or bounds of "country" \(categories\), "age" \(bounds\) were read from the data/);
      // and from the table alone (no schema given: inferred from its Arrow types)
      expect(() => trainModel({ table, model, epsilon: 1, ledger, seed: 1 })).toThrow(/"country" \(categories\)/);
    }
    expect(ledger.entries).toHaveLength(0);
    const declared = { version: 1 as const, columns: [
      { name: 'country', kind: 'categorical' as const, role: 'feature' as const, categories: ['France', 'Spain', 'Other'] },
      { name: 'age', kind: 'continuous' as const, role: 'feature' as const, min: 0, max: 120 },
    ] };
    const m = trainModel({ table: table.slice(1), schema: declared, model: 'marginal', epsilon: 1, ledger, seed: 1 });
    expect(JSON.stringify(m.manifest)).not.toContain('Holand');
    expect(() => trainModel({ table, schema: inferred, model: 'marginal', epsilon: Infinity, seed: 1 })).not.toThrow();
    // The visits table's schema too (here inferred from the simulated visits' Arrow types).
    const sim = simulateCohort({ patients: 60, sites: 2, seed: 3 });
    const charged = ledger.entries.length;
    expect(() => trainModel({ table: sim.patients, schema: sim.schema, model: 'marginal', epsilon: 1, ledger, seed: 1, visits: { table: sim.visits, schema: inferSchemaFromTable(sim.visits) } })).toThrow(/DP training on the visits table, but the categories or bounds of/);
    expect(ledger.entries).toHaveLength(charged);
    // A federation (always DP) refuses such a schema too.
    expect(() => federationSchema(inferred)).toThrow(/DP training on the federation, but the categories or bounds of "country"/);
    expect(federationSchema(sim.schema).columns.length).toBe(sim.schema.columns.length);
    // Kind-only inference (no categories, no bounds) and non-modelled columns are not refused.
    expect(() => requireDeclaredDomains({ version: 1, columns: [{ name: 'id', kind: 'identifier', role: 'feature', inferred: true }, { name: 'x', kind: 'continuous', role: 'feature', inferred: true }] }, 'a table')).not.toThrow();
  });

  test('the CLI: a CSV without --schema exits 2 at a finite epsilon and charges nothing; with a declared schema it trains', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-domains-'));
    try {
      const csv = path.join(dir, 'adult.csv');
      fs.writeFileSync(csv, 'sex;age\n' + Array.from({ length: 100 }, (_, i) => `${i % 2 ? 'Male' : 'Female'};${20 + (i % 50)}`).join('\n') + '\n');
      const ledger = path.join(dir, 'ledger.json');
      const r = await runCli(['train', '--data', csv, '--model', 'marginal', '--epsilon', '1', '--ledger', ledger, '--out', path.join(dir, 'm.hsm')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/"sex" \(categories\), "age" \(bounds\) were read from the data .*--schema/);
      expect(fs.existsSync(path.join(dir, 'm.hsm'))).toBe(false);
      if (fs.existsSync(ledger)) expect(JSON.parse(fs.readFileSync(ledger, 'utf8')).entries).toHaveLength(0);
      const schema = path.join(dir, 'schema.json');
      fs.writeFileSync(schema, JSON.stringify({ version: 1, columns: [{ name: 'sex', kind: 'categorical', categories: ['Female', 'Male'] }, { name: 'age', kind: 'integer', min: 0, max: 120 }] }));
      const ok = await runCli(['train', '--data', csv, '--schema', schema, '--model', 'marginal', '--epsilon', '1', '--ledger', ledger, '--out', path.join(dir, 'm.hsm')]);
      expect(ok.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
