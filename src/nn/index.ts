/** Public API of src/nn: model descriptions and trainers. */
export { encodeModel, LAYER_CODES, LOSS_CODES } from './spec';
export type { LayerSpec, LossKind, LossTermSpec, LossSpec, ModelSpec, EncodedModel } from './spec';
export { resolveOptimizer, resolveThreads } from './options';
export type { OptimizerOptions, DpSgdOptions, TrainerOptions, ResolvedOptimizer } from './options';
export type { Trainer, StepResult, TrainProgress, TrainRunOptions, TrainSummary } from './trainer';
export { createTrainer } from './create';
export type { CreateTrainerOptions } from './create';
