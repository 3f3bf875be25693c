/**
 * De-identification and minimisation of a typed (Arrow) table before DP training: keep only the
 * columns the policy names, and none of its direct identifiers. Generalisation is not applied
 * here: under differential privacy the formal guarantee comes from the noise, and coarsening the
 * quasi-identifiers would only lose clinical detail (the k-anonymous release is a separate output
 * of {@link anonymiseTable}).
 */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../data/schema';
import { columnPolicyFor, Policy } from './policy';

/** What {@link minimiseForTraining} kept and dropped. */
export interface MinimisedTable {
  table: Table;
  schema: TableSchema;
  /** Direct identifiers removed. */
  directIdentifiers: string[];
  /** Columns the policy does not name, removed by minimisation. */
  unnamed: string[];
}

/**
 * Drops direct identifiers and every column the policy does not name, from both the table and
 * its schema (constraints that mention a dropped column are dropped with it).
 * @example
 * const { table, schema } = minimiseForTraining(sim.patients, sim.schema, loadPolicy('data/policies/scd.json'));
 */
export function minimiseForTraining(table: Table, schema: TableSchema, policy: Policy): MinimisedTable {
  const directIdentifiers: string[] = [];
  const unnamed: string[] = [];
  const kept: string[] = [];
  for (const field of table.schema.fields) {
    const spec = columnPolicyFor(policy, field.name);
    if (!spec) unnamed.push(field.name);
    else if (spec.role === 'direct') directIdentifiers.push(field.name);
    else kept.push(field.name);
  }
  const keptSet = new Set(kept);
  const dropped = [...directIdentifiers, ...unnamed];
  const mentions = (text: string, column: string) => new RegExp(`(^|[^A-Za-z0-9_])${column}([^A-Za-z0-9_]|$)`).test(text);
  return {
    table: table.select(kept),
    schema: {
      ...schema,
      columns: schema.columns.filter((c) => keptSet.has(c.name)),
      constraints: (schema.constraints ?? []).filter((text) => !dropped.some((c) => mentions(text, c))),
    },
    directIdentifiers,
    unnamed,
  };
}
