/** createTrainer(): a trainer for a model description on a chosen backend. */
import type { Backend } from '../backend/backend';
import type { BackendName } from '../backend/availability';
import { resolveBackend } from '../backend/resolve';
import { cudaTrainerUnsupportedReason } from '../backend/cuda';
import type { TrainerOptions } from './options';
import type { ModelSpec } from './spec';
import type { Trainer } from './trainer';

/** Options of createTrainer: trainer options plus the backend. */
export interface CreateTrainerOptions extends TrainerOptions {
  /** A backend name, 'auto' (default: best usable), or a Backend instance. */
  backend?: BackendName | 'auto' | Backend;
}

/**
 * Creates a trainer for `model` on the requested (or best usable) backend.
 * @example
 * const t = createTrainer(mlp, { backend: 'cpu', optimizer: { kind: 'adam', learningRate: 1e-3 },
 *   dp: { noiseMultiplier: 1.1, maxGradNorm: 1, sampleRate: 0.01, expectedBatchSize: 100 } });
 * const { loss, batchSize } = t.poissonStep(x, y);
 */
export function createTrainer(model: ModelSpec, options: CreateTrainerOptions = {}): Trainer {
  const { backend, ...rest } = options;
  let b = typeof backend === 'object' && backend !== null ? backend : resolveBackend(backend ?? 'auto', { threads: rest.threads, purpose: 'training' }).backend;
  // 'auto' picks cuda when a GPU is usable; models the cuda trainer does not run (gradient
  // penalty, several rows per sample) then train on cpu. A cuda backend asked for by name refuses them.
  if ((backend ?? 'auto') === 'auto' && b.name === 'cuda' && cudaTrainerUnsupportedReason(model) !== null) {
    b = resolveBackend('cpu', { threads: rest.threads }).backend;
  }
  return b.createTrainer(model, rest);
}
