/** DP preprocessing: every function charges the ledger before it reads the data. */
export { dpQuantiles, exponentialMechanismQuantile } from './quantiles';
export type { DpQuantileOptions } from './quantiles';
export { dpBounds, dpBinEdges } from './bounds';
export { dpDiscoverCategories, categoryThreshold } from './categories';
export type { DpCategoryOptions, DiscoveredCategory } from './categories';
export { dpMeanVariance } from './moments';
export type { DpMomentOptions } from './moments';
export { chargeThenRead } from './measurement';
export type { DataSource, MeasurementOptions } from './measurement';
