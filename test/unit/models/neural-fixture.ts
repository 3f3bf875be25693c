/** A simulated SCD cohort restricted to the columns the clinical checks read (plus the HbS/HbA sum constraint columns), shared by the neural generator tests. */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../../../src/data/schema';
import { SCD_CHECK_COLUMNS } from '../../../src/evaluate/clinical/scd-checks';
import { constraintColumns, parseConstraint } from '../../../src/models/constraints';
import { simulateCohort } from '../../../src/scd';

export const NEURAL_TEST_COLUMNS = [...SCD_CHECK_COLUMNS, 'site', 'hbs_pct', 'hba_pct', 'hba2_pct', 'acs_ever'];

/** The cohort and its schema, restricted to `columns`. */
export function neuralCohort(patients: number, seed: number, columns: readonly string[] = NEURAL_TEST_COLUMNS): { table: Table; schema: TableSchema } {
  const sim = simulateCohort({ patients, seed });
  const keep = new Set(columns);
  const schema: TableSchema = {
    ...sim.schema,
    columns: sim.schema.columns.filter((c) => keep.has(c.name)),
    constraints: (sim.schema.constraints ?? []).filter((t) => constraintColumns(parseConstraint(t)).every((n) => keep.has(n))),
  };
  return { table: sim.patients.select(schema.columns.map((c) => c.name)), schema };
}
