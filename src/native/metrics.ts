/** Declarations of bindings/metrics.cpp. One method per exported native function. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface MetricsBindings {}
