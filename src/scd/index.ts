/** Public API of src/scd: the SCD reference cohort simulator and its data model. */
export { simulateCohort, writeSimulation } from './simulate';
export type { SimulateOptions, SimulationResult } from './simulate';
export { defaultScdParams, resolveScdParams, loadScdParamsFile, validateScdParams, referenceParamsPath, GENOTYPES } from './params';
export type { ScdParams, ScdParamsOverride, ReferenceParams, Genotype } from './params';
export { SIMULATOR_DEFAULTS } from './simulator-defaults';
export type { SiteTemplate } from './simulator-defaults';
export { resolveSites } from './sites';
export type { SimulatedSite } from './sites';
export { PATIENT_COLUMNS, VISIT_COLUMNS } from './data-dictionary';
export { SeededRandom } from './random';
