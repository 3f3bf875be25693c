/**
 * A differentially private training may read a column's categories and bounds only from a schema
 * someone declared, never from the data: which categories exist and where the values end are
 * facts about the patients (a category with one patient, the oldest age), and a DP model whose
 * domain came from the data leaks them (its model file lists them and its samples show them)
 * whatever noise its counts got. Schema inference marks what it read from the data `inferred`
 * (src/data/schema.ts), and a CSV read with a declared schema that lacks a categorical column's
 * categories fills them in from the data with the same mark; this refuses such columns before any
 * budget is charged, naming them and saying how to declare them.
 */
import type { TableSchema } from '../data/schema';
import { UsageError } from '../errors';
import { isModelledColumn } from '../transform/discretiser';

/**
 * Throws a UsageError when a modelled column of `schema` carries categories or bounds that were
 * read from the data (`inferred: true`).
 * @example requireDeclaredDomains(schema, 'the training table') // throws for a CSV read without --schema
 */
export function requireDeclaredDomains(schema: TableSchema, what: string): void {
  const read = schema.columns.filter((c) => c.inferred && isModelledColumn(c) && (c.categories !== undefined || c.min !== undefined || c.max !== undefined));
  if (read.length === 0) return;
  const shown = read.slice(0, 6).map((c) => `"${c.name}" (${c.categories !== undefined ? 'categories' : 'bounds'})`).join(', ');
  const more = read.length > 6 ? ` and ${read.length - 6} more` : '';
  throw new UsageError(
    `Expected a declared schema for a DP training on ${what}, but the categories or bounds of ${shown}${more} were read from the data (marked "inferred"), which would disclose them whatever the noise. ` +
      'Write a schema (hemasynth schema infer FILE --out schema.json), replace what the data told it with public knowledge (the code list, the clinically possible range), delete the "inferred" marks and pass it with --schema; or train with --epsilon inf (non-private)',
  );
}
