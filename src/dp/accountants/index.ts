/** Privacy accountants: interface, registry, RDP and PRV accountants, and their pure analysis maths. */
export * from './accountant';
export * from './mechanisms';
export * from './registry';
export { RdpAccountant } from './rdp';
export type { RdpAccountantOptions } from './rdp';
export { PrvAccountant } from './prv';
export * from './compute';
export {
  OPACUS_DEFAULT_ORDERS, TFP_DEFAULT_ORDERS, subsampledGaussianRdp, laplaceRdp, pureDpRdp, mechanismRdp, rdpToEpsilon, rdpToDelta, rdpEpsilon,
} from './rdp-analysis';
export type { RdpConversion, RdpPrivacySpent } from './rdp-analysis';
export { prvEpsilon, prvDelta, composeMechanisms, MAX_GRID_SIZE } from './prv-analysis';
export type { PrvOptions, PrvEpsilon, ComposedLoss } from './prv-analysis';
export { gdpEpsilonApproximation, gdpMu, gdpDelta, GDP_WARNING } from './gdp-analysis';
