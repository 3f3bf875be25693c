/** Public API of src/evaluate/clinical: SCD clinical-validity checks and the statistics they use. */
export { runScdChecks, SCD_CHECKS, SCD_CHECK_COLUMNS, checkV1, checkV2, checkV3, checkV4, checkV5, checkV6, checkV7, checkV8, checkV9, checkV10, checkV11, checkV12, checkV13 } from './scd-checks';
export type { ScdCheckResult } from './scd-checks';
export { linearRegression, poissonRegression, negativeBinomialRegression, logisticRegression, choleskySolve, thetaMl, digamma, trigamma } from './glm';
export type { GlmDesign, GlmFit } from './glm';
export { pearson, spearman, ranks } from './correlation';
export { cumulativeIncidence } from './kaplan-meier';
export { numericColumn, stringColumn, hasColumn } from './table-columns';
