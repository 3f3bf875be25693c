/**
 * Public API of src/dp: accountants (PRV default, RDP cross-check), the privacy ledger,
 * cryptographic noise and DP preprocessing.
 */
export * from './accountants';
export * from './ledger';
export { CryptoRandom, SEEDED_NOISE_WARNING } from './noise';
export type { NoiseSourceMode } from './noise';
export { discreteGaussian, discreteGaussianVector, discreteLaplace, bernoulliExp, toRational } from './discrete-noise';
export type { Rational } from './discrete-noise';
export * from './preprocessing';
