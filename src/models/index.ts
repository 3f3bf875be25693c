/**
 * Public API of src/models: synthetic-data generators (marginal = DP graphical model (MST),
 * copula = DP Gaussian copula), the `.hsm` model file, conditional sampling and schema constraints.
 */
export { trainModel, sampleModel, sampleModelBatches, SAMPLE_BATCH_ROWS, modelledColumnNames, NON_PRIVATE_NOTICE, SYNTHETIC_METADATA_KEY } from './model-api';
export { saveModel, loadModel, modelToBytes, modelFromBytes, ModelVersionError, MODEL_FORMAT_VERSION } from './model-file';
export { registerGenerator, generatorByName, availableGenerators, KNOWN_GENERATORS } from './registry';
export type { GeneratorDefinition, HemasynthModel, ModelManifest, TrainContext, TrainedParts, TrainModelOptions, SampleModelOptions, GeneratorSampleRequest, EncoderSpec } from './generator';
export { PrivacyPlanner } from './privacy-plan';
export type { MechanismShare, CalibratedMechanism } from './privacy-plan';
export { parseCondition, resolveCondition, evaluateCondition, conditionColumns } from './conditions';
export type { ConditionExpression, ResolvedCondition } from './conditions';
export { parseConstraint, applicableConstraints, constraintViolations, constraintViolationRows, repairRows, parseSchemaConstraints, schemaConstraintProblems, constraintBoundsProblem } from './constraints';
export type { Constraint, ConstraintProblem, ConstraintViolationRow, ColumnBounds } from './constraints';
export { measureMarginals, pairL1Scores, countCliqueReference, flattenCodes } from './marginal/contingency';
export type { EncodedColumns } from './marginal/contingency';
export { fitFromMeasurements, projectToSimplex } from './marginal/tree-estimation';
export type { MarginalMeasurement, TreeModel } from './marginal/tree-estimation';
export { conditionTree, sampleTree } from './marginal/tree-sampler';
export { selectSpanningTree } from './marginal/mst-selection';
export { marginalGenerator, treeParts, treeOf } from './marginal/marginal-generator';
export { copulaGenerator } from './copula/copula-generator';
export { SamplingRandom, samplingSeed, SAMPLING_BLOCK_ROWS } from './sampling-random';
export { fidelityRatio, meanMarginalTvd } from './fidelity-ratio';
// Neural generators (TVAE, CTGAN) on the native core, their ONNX export and onnxruntime-node engine.
export { tvaeGenerator, tvaeModelSpec, tvaeRawLayout, tvaeSamplingPlan, TVAE_DEFAULTS } from './tvae/tvae-generator';
export { ctganGenerator, ctganGeneratorNetwork, ctganCriticSpec, ctganSamplingPlan, CTGAN_DEFAULTS } from './ctgan/ctgan-generator';
export { conditionalVector, trainingConditions, samplingConditions } from './ctgan/conditional-vector';
export type { ConditionalVector } from './ctgan/conditional-vector';
export { rowLayout, encodeRows, readRawOutput, decodeWithPositions } from './neural/row-layout';
export type { RowLayout, ColumnSpan, RawOutputLayout } from './neural/row-layout';
export { chargeNeuralPlan } from './neural/privacy-budget';
export type { NeuralPrivacyRequest, NeuralPrivacyPlan } from './neural/privacy-budget';
export { nativeRunner, networkModelSpec } from './neural/generator-network';
export type { GeneratorNetworkSpec, NetworkRunner } from './neural/generator-network';
export { sampleNeuralColumns, noiseRows } from './neural/neural-sampling';
export { exportOnnx, attachOnnxGraph, ONNX_FILE_NAME, ONNX_OPSET } from './onnx/onnx-export';
export { onnxRunner } from './onnx/onnx-runner';
