/**
 * Public API of src/data: tables as apache-arrow `Table`s read from and written to CSV, Arrow IPC
 * and Parquet; the table schema (types, inference, validation); fingerprints.
 */
export type { ColumnKind, ColumnRole, ColumnSchema, TableSchema } from './schema';
export { COLUMN_KINDS, COLUMN_ROLES } from './schema';
export { readTable, writeTable, convertFile, inferSchema } from './table-io';
export type { ReadTableOptions, WriteTableOptions, ConvertOptions, ConvertResult } from './table-io';
export { inferSchemaFromTable, CATEGORICAL_MAX_LEVELS, DISTINCT_LIMIT } from './schema-inference';
export { validateSchema, loadSchema, saveSchema } from './schema-validation';
export { validateTable, validateCarriedTable, typeFitsKind } from './table-validation';
export { tableFingerprint, fileFingerprint } from './fingerprint';
export { writeArrowFile, readArrowFile, ArrowFileBatchWriter, arrowRecordBatches } from './arrow-file';
export { readParquetFile, writeParquetFile } from './parquet-file';
export { arrowTypeFor, arrowSchemaFor, embeddedSchema, SCHEMA_METADATA_KEY } from './arrow-types';
export { formatFromPath } from './file-format';
export type { TableFormat } from './file-format';
export { DEFAULT_MISSING_TOKENS } from './value-parsing';
