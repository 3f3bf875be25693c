/**
 * A simulated cohort written as one Arrow file per site, with a schema file restricted to some
 * columns (what the federated integration tests train on) and an empty folder for the sites'
 * ledgers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TableSchema } from '../../src/data/schema';
import { simulateCohort, writeSimulation } from '../../src/scd/simulate';

/**
 * Simulates `patients` at 4 sites under `dir` and writes the subset schema.
 * @example const c = federatedCohort(dir, { patients: 3000, seed: 11, columns: ['sex', 'genotype'] })
 */
export function federatedCohort(dir: string, o: { patients: number; seed: number; columns: readonly string[] }) {
  const sim = simulateCohort({ patients: o.patients, sites: 4, seed: o.seed });
  const cohort = path.join(dir, 'cohort');
  writeSimulation(cohort, sim);
  const byName = new Map(sim.schema.columns.map((c) => [c.name, c]));
  const schema: TableSchema = { version: 1, name: 'scd subset', columns: o.columns.map((n) => byName.get(n)!) };
  const schemaFile = path.join(dir, 'subset.schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(schema));
  const ledgers = path.join(dir, 'ledgers');
  fs.mkdirSync(ledgers);
  return { sim, cohort, byName, schema, schemaFile, ledgers, pooled: sim.patients.select([...o.columns]) };
}
