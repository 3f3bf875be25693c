/** Public API of src/backend. */
export { backendStatuses, BACKEND_PRIORITY } from './availability';
export type { BackendName, BackendStatus } from './availability';
export type { Backend, MatmulShape, ActivationKind } from './backend';
export { JsBackend, JsTrainer, JsKeystream } from './js';
export { CpuBackend, CpuTrainer } from './cpu';
export { CudaBackend, cudaUnavailableReason } from './cuda';
export { resolveBackend, resolveHostOps } from './resolve';
export type { ResolvedBackend } from './resolve';
