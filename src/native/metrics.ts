/** Declarations of bindings/metrics.cpp. One method per exported native function. */
export interface MetricsBindings {
  /** wraps hemasynth::metrics::knn_mixed (row-major numeric/categorical rows; threads 0 = all cores) */
  knnMixed(queryNumeric: Float64Array, queryCategorical: Int32Array, nQuery: number, refNumeric: Float64Array, refCategorical: Int32Array, nRef: number, dNumeric: number, dCategorical: number, numericWeight: Float64Array, k: number, skipSelf: number, threads: number): { index: Int32Array; distance: Float64Array };
  /** wraps hemasynth::metrics::glm_fit (X row-major n x p; family 0 gaussian, 1 binomial, 2 poisson) */
  glmFit(X: Float64Array, y: Float64Array, n: number, p: number, family: number, maxIter: number, tol: number, ridge: number, threads: number): { coef: Float64Array; covariance: Float64Array; deviance: number; nullDeviance: number; dispersion: number; iterations: number; converged: boolean };
  /** wraps hemasynth::metrics::gbt_fit (X column-major n x d; loss 0 squared, 1 logistic, 2 poisson) */
  gbtFit(X: Float64Array, y: Float64Array, n: number, d: number, loss: number, trees: number, depth: number, learningRate: number, lambda: number, minChildWeight: number, maxBins: number, threads: number): { model: Float64Array; importance: Float64Array };
  /** wraps hemasynth::metrics::gbt_predict (raw scores) */
  gbtPredict(model: Float64Array, X: Float64Array, n: number, d: number, threads: number): Float64Array;
}
