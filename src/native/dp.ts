/** Declarations of bindings/dp.cpp. One method per exported native function. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface DpBindings {}
