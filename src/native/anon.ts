/** Declarations of bindings/anon.cpp. One method per exported native function. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface AnonBindings {}
