/**
 * The secure-aggregation modes a federation can run, and the bound that decides whether a
 * decoded sum is trustworthy.
 */
import { UsageError, describeValue } from '../errors';

/** pairwise: Bonawitz et al. 2017 masking (default); two-server: additive sharing between two non-colluding servers; none: plaintext (comparison only). */
export type SecureAggregationMode = 'pairwise' | 'two-server' | 'none';

export const SECURE_AGGREGATION_MODES: readonly SecureAggregationMode[] = ['pairwise', 'two-server', 'none'];

/**
 * Parses a --secure-agg value.
 * @example parseSecureAggregationMode('pairwise')
 */
export function parseSecureAggregationMode(v: unknown): SecureAggregationMode {
  if (!SECURE_AGGREGATION_MODES.includes(v as SecureAggregationMode)) {
    throw new UsageError(`Expected one of ${SECURE_AGGREGATION_MODES.join(', ')} for --secure-agg but received ${describeValue(v)}`);
  }
  return v as SecureAggregationMode;
}

/**
 * The default Shamir threshold: a strict majority of the sites, at least 2 (Bonawitz et al.
 * 2017, §6: with t > n/2 the coordinator cannot obtain both the self-mask and the pairwise
 * masks of one honest site, while up to n − t sites may drop out).
 * @example defaultThreshold(5) // 3
 */
export function defaultThreshold(sites: number): number {
  return Math.max(2, Math.floor(sites / 2) + 1);
}
