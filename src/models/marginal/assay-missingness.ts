/**
 * Noisy missing counts shared by the columns of one assay. The columns of one schema `source` (a
 * SNP panel, a metabolomics run: public metadata, see neural/missingness-groups.ts) are missing
 * at one rate, so each takes the mean of their noisy missing counts, which carries 1/√(columns)
 * of the noise. Post-processing of released counts. Measured with the marginal generator on the
 * 1,500-patient cohort at ε = 3: worst panel column 4.1 points off its real missing rate, against
 * 6.0 (3 columns beyond 5) with each column's own count; fidelity ratio 4.94 → 4.77, and 7.51 →
 * 6.93 at ε = 1.
 */
import type { TableSchema } from '../../data/schema';
import { missingCode, type DiscreteColumnEncoder } from '../../transform/discretiser';
import { missingnessGroups } from '../neural/missingness-groups';

/**
 * Sets each grouped column's missing cell to its group's mean, in place (1-way counts per column,
 * indexed by code).
 * @example shareAssayMissingCounts(oneWay.map((m) => m.counts), encoders, schema)
 */
export function shareAssayMissingCounts(counts: ReadonlyArray<Float64Array | number[]>, encoders: readonly DiscreteColumnEncoder[], schema: TableSchema): void {
  for (const group of missingnessGroups(encoders, schema)) {
    if (group.columns.length < 2) continue;
    const mean = group.columns.reduce((s, j) => s + counts[j][missingCode(encoders[j])], 0) / group.columns.length;
    for (const j of group.columns) counts[j][missingCode(encoders[j])] = mean;
  }
}
