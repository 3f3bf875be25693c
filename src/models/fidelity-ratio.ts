/**
 * The generators' fidelity ratio (issue 5): mean total variation distance over all 1-way and
 * 2-way marginals between synthetic data and a fresh sample of the population, divided by the
 * same distance between the training data and that fresh sample (1.0 = as good as real data).
 * Marginals and their discretisation are those of src/evaluate/fidelity (10 quantile bins from
 * the fresh table, categories, a missing bin).
 */
import type { Table } from 'apache-arrow';
import type { TableSchema } from '../data/schema';
import { alignTables } from '../evaluate/table-columns';
import { kWayMarginals } from '../evaluate/fidelity/marginals';

/**
 * Mean TVD of the 1-way and 2-way marginals of `other` against `reference` (all pairs up to
 * `maxPairs`, else a fixed-seed sample of pairs).
 * @example meanMarginalTvd(fresh, synthetic, schema)
 */
export function meanMarginalTvd(reference: Table, other: Table, schema?: TableSchema, maxPairs = 3000): { oneWay: number; twoWay: number; mean: number } {
  const [ref, oth] = alignTables([{ label: 'reference', table: reference }, { label: 'other', table: other }], schema);
  const one = kWayMarginals(ref, [oth], 1, { maxSubsets: 100000 })[0];
  const two = kWayMarginals(ref, [oth], 2, { maxSubsets: maxPairs, seed: 5 })[0];
  const total = one.subsets + two.subsets;
  return { oneWay: one.meanTvd, twoWay: two.meanTvd, mean: total ? (one.meanTvd * one.subsets + two.meanTvd * two.subsets) / total : 0 };
}

/**
 * Fidelity ratio of synthetic data: TVD(synthetic, fresh) / TVD(training, fresh).
 * @example fidelityRatio({ training, synthetic, fresh, schema }).ratio
 */
export function fidelityRatio(t: { training: Table; synthetic: Table; fresh: Table; schema?: TableSchema; maxPairs?: number }): { ratio: number; synthetic: number; training: number } {
  const syn = meanMarginalTvd(t.fresh, t.synthetic, t.schema, t.maxPairs).mean;
  const tr = meanMarginalTvd(t.fresh, t.training, t.schema, t.maxPairs).mean;
  return { ratio: tr > 0 ? syn / tr : Infinity, synthetic: syn, training: tr };
}
