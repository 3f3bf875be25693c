/** Longitudinal visits generated conditionally on the patient rows. */
export { fitVisitModel, planVisitFit, checkVisitTables, sampleVisits, sampleModelVisits, validateVisitModel, VISITS_SHARE, DEVIATION_CLIP_FRACTION, VISIT_RATE_CAP } from './visit-model';
export type { VisitModelSpec, FitVisitOptions } from './visit-model';
