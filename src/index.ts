/**
 * hemasynth library entry point. Each capability is a folder under src/; this file re-exports
 * the public API.
 */
export * from './errors';
export { VERSION } from './version';
export { backendStatuses } from './backend/availability';
export type { BackendName, BackendStatus } from './backend/availability';
export * from './data';
export * from './scd';
export * from './dp';
export * from './anonymise';
export * from './evaluate';
export * from './demo';
export * from './nn';
export * from './backend';
export * from './federated';
export * from './models';
export * from './transform';
export * from './visits';
