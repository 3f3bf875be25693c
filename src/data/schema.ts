/**
 * The table schema: one entry per column with its kind, role, unit, bounds, categories and
 * missing-value tokens. Stored as JSON (documented in docs/schema.md). Inference, editing and
 * validation live beside this file; this file holds the types only, so every capability
 * (data I/O, simulator, anonymisation, generators, evaluation) speaks the same schema.
 */

/** What a column's values are. */
export type ColumnKind =
  | 'continuous'
  | 'integer'
  | 'categorical'
  | 'ordinal'
  | 'boolean'
  | 'datetime'
  | 'identifier'
  | 'text';

/** What a column is for, as far as privacy and modelling are concerned. */
export type ColumnRole =
  | 'direct-identifier'
  | 'quasi-identifier'
  | 'sensitive'
  | 'feature'
  | 'target';

export const COLUMN_KINDS: readonly ColumnKind[] = ['continuous', 'integer', 'categorical', 'ordinal', 'boolean', 'datetime', 'identifier', 'text'];
export const COLUMN_ROLES: readonly ColumnRole[] = ['direct-identifier', 'quasi-identifier', 'sensitive', 'feature', 'target'];

/** One column of a schema. */
export interface ColumnSchema {
  name: string;
  kind: ColumnKind;
  role: ColumnRole;
  /** Free-text description (data dictionary). */
  description?: string;
  /** Unit of measurement, UCUM-style where possible (e.g. "g/dL", "fL", "10*9/L"). */
  unit?: string;
  /** Inclusive bounds for continuous, integer and datetime (ISO 8601 strings) columns. */
  min?: number | string;
  max?: number | string;
  /** Allowed values of categorical, ordinal and boolean columns (ordinal: in order). */
  categories?: string[];
  /** Tokens that mean "missing" in text inputs, besides the empty field (e.g. "NA", "-"). */
  missing?: string[];
  /** Whether nulls are allowed (default true). */
  nullable?: boolean;
  /** Where a value or parameter comes from (simulator: the reference source). */
  source?: string;
  /**
   * Datetime columns only: `"date"` (calendar dates, Arrow Date32) or `"date-time"` (instants,
   * Arrow Timestamp in milliseconds, UTC). Read from the data when absent.
   */
  format?: 'date' | 'date-time';
  /**
   * True when the kind, bounds or categories were read from the data by schema inference rather
   * than declared by a data owner or a policy. Such bounds and categories are not public
   * knowledge: a differentially private mechanism must not use them without paying for them.
   */
  inferred?: boolean;
}

/** A whole table schema. */
export interface TableSchema {
  /** Schema format version. */
  version: 1;
  /** Optional table name. */
  name?: string;
  /** Columns in table order. */
  columns: ColumnSchema[];
  /** Cross-column constraints (e.g. "HbS_pct + HbF_pct + HbA2_pct <= 100"). */
  constraints?: string[];
}
