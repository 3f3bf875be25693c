/**
 * Public API of src/transform: reversible per-column encoders (the discretiser for the marginal
 * and copula generators, one-hot and missing-indicator encoders for neural generators) and
 * decoding back to Arrow tables with bounds, integers and categories restored.
 */
export * from './discretiser';
export { DEFAULT_HISTOGRAM_BINS, UNBOUNDED_ASINH_RANGE, columnHistograms, edgesFromHistogram, histogramCounts, histogramSpec } from './histogram-quantiles';
export type { HistogramSpec } from './histogram-quantiles';
export { decodeColumn, decodedTable, decodedArrowData, decodedArrowType } from './decode';
export type { DecodedColumn, ValueRestriction } from './decode';
export { readNumbers, readLabels, readCategoryCodes } from './column-values';
export { needsAlpha, modeMixture, modeSpecificEncode, alphaToPosition } from './mode-specific-normalisation';
export type { ModeMixture } from './mode-specific-normalisation';
