/** Declarations of bindings/anon.cpp. One method per exported native function. */

/** A privacy model as the native search takes it (see ModelKind in native/anon/lattice_search.h). */
export interface NativePrivacyModel {
  kind: number;
  a: number;
  b: number;
  sensitive: number;
}

/** Everything the native lattice search needs, fully defaulted by src/anonymise. */
export interface NativeSearchSpec {
  codes: Int32Array;
  width: number;
  counts: Float64Array;
  qiColumns: Int32Array;
  qis: { gen: Int32Array; card: number; height: number }[];
  sensitive: { column: number; card: number; gen?: Int32Array; height?: number }[];
  patientColumn: number;
  models: NativePrivacyModel[];
  suppressionLimit: number;
  metric: number;
  maxNodes?: number;
}

/** The outcome of one lattice node. */
export interface NativeNodeEvaluation {
  satisfied: boolean;
  records: number;
  suppressed: number;
  suppressedRows: number;
  classes: number;
  loss: number;
  averageRisk: number;
  highestRisk: number;
  sampleUniqueness: number;
  populationUniqueness: number;
  failure: string;
}

export interface AnonBindings {
  /** wraps hemasynth::anon::group_rows */
  anonGroupRows(columns: Int32Array, rows: number, width: number): { codes: Int32Array; counts: Float64Array; rowCombo: Int32Array };
  /** wraps hemasynth::anon::LatticeSearch::run */
  anonSearch(spec: NativeSearchSpec): { found: boolean; levels: Int32Array; evaluation: NativeNodeEvaluation; latticeSize: number; checks: number; monotone: boolean };
  /** wraps hemasynth::anon::LatticeSearch::assign */
  anonAssign(spec: NativeSearchSpec, levels: Int32Array): { evaluation: NativeNodeEvaluation; classOfCombo: Int32Array; suppressedCombo: Uint8Array; classRecords: Float64Array; classUnits: Float64Array };
  /** wraps hemasynth::anon::population_uniqueness */
  anonPopulationUniqueness(classSizes: Float64Array, samplingFraction: number): { pitman: number; zayatz: number; snb: number; dankar: number; dankarModel: string };
}
