/**
 * Longitudinal visits: several clinic visits per patient over follow-up, with a few laboratory
 * values that vary around the patient's steady state by a stationary AR(1) process, so values
 * of one patient are correlated across visits (within-patient correlation) and across patients
 * they keep the cross-sectional distribution.
 */
import type { ClinicalCohort } from './clinical-model';
import { ColumnStore } from './column-store';
import type { PatientIdentifiers } from './identifiers';
import type { ScdParams } from './params';
import { SeededRandom } from './random';
import type { SimulatedSite } from './sites';

const VISIT_LABS = ['hb_g_dl', 'hbf_pct', 'mcv_fl', 'ldh_u_l', 'wbc_1e9_l', 'platelets_1e9_l'] as const;
const BOUNDS: Record<string, [number, number, number]> = {
  hb_g_dl: [3, 17, 1], hbf_pct: [0, 50, 1], mcv_fl: [50, 130, 1], ldh_u_l: [50, 3000, 0], wbc_1e9_l: [1, 40, 1], platelets_1e9_l: [30, 1200, 0],
};

/** Visits table columns plus the patient range of each site's rows. */
export interface SimulatedVisits {
  store: ColumnStore;
  /** Row ranges [start, end) of each site's visits (same order as the sites). */
  siteRows: Array<[number, number]>;
  /** Per patient, visit rows [visitStart[i], visitStart[i + 1]). */
  visitStart: Int32Array;
}

/**
 * Simulates visits for every patient (dates within follow-up, sorted).
 * @example const v = simulateVisits(params, sites, cohort, ids, 7); v.store.length
 */
export function simulateVisits(params: ScdParams, sites: SimulatedSite[], c: ClinicalCohort, ids: PatientIdentifiers, seed: number): SimulatedVisits {
  const cfg = params.simulator.visits;
  const rng = new SeededRandom(seed, 'visits');
  const n = c.n;
  const counts = new Int32Array(n);
  const visitStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const expected = c.followup[i] * cfg.per_year;
    counts[i] = Math.max(cfg.min, Math.min(cfg.max, rng.poisson(expected)));
    visitStart[i + 1] = visitStart[i] + counts[i];
  }
  const total = visitStart[n];
  const store = new ColumnStore(total);
  const owner = new Int32Array(total);
  const siteCodes = sites.map((s) => s.code);
  const siteCol = new Uint8Array(total);
  const number = new Int32Array(total);
  const date = new Int32Array(total);
  const labs = VISIT_LABS.map(() => new Float64Array(total));
  const valid = VISIT_LABS.map(() => new Uint8Array(total));
  const rho = cfg.autocorrelation;
  const innov = Math.sqrt(1 - rho * rho);
  const days = new Float64Array(cfg.max);
  const nLabs = VISIT_LABS.length;
  const z = new Float64Array(nLabs);
  const steadyCols = VISIT_LABS.map((lab) => c.labs[lab]);
  const sdCols = VISIT_LABS.map((lab) => c.labSd[lab]);
  const loB = VISIT_LABS.map((lab) => BOUNDS[lab][0]);
  const hiB = VISIT_LABS.map((lab) => BOUNDS[lab][1]);
  const scaleB = VISIT_LABS.map((lab) => 10 ** BOUNDS[lab][2]);
  for (let i = 0; i < n; i++) {
    const k = counts[i];
    const end = ids.endDate[i];
    const span = Math.max(1, Math.round(c.followup[i] * 365.25));
    // The last visit is the one that produced the steady-state record; earlier ones are spread over follow-up.
    days[0] = end;
    for (let j = 1; j < k; j++) days[j] = end - 1 - rng.int(span);
    const sorted = days.subarray(0, k).sort();
    for (let l = 0; l < nLabs; l++) z[l] = rng.normal();
    for (let j = 0; j < k; j++) {
      const row = visitStart[i] + j;
      owner[row] = i;
      siteCol[row] = c.siteIndex[i];
      number[row] = j + 1;
      date[row] = sorted[j];
      for (let l = 0; l < nLabs; l++) {
        if (j > 0) z[l] = rho * z[l] + innov * rng.normal();
        const steady = steadyCols[l][i];
        const v = Math.min(hiB[l], Math.max(loB[l], steady + cfg.within_patient_sd_fraction * sdCols[l][i] * z[l]));
        labs[l][row] = Math.round(v * scaleB[l]) / scaleB[l];
        valid[l][row] = Number.isFinite(steady) && rng.uniform() >= 0.05 ? 1 : 0;
      }
    }
  }
  store.set('patient_id', { type: 'indexed-string', index: owner, values: ids.patientId });
  store.set('hospital_record_number', { type: 'indexed-string', index: owner, values: ids.recordNumber });
  store.set('site', { type: 'category', codes: siteCol, categories: siteCodes });
  store.set('visit_number', { type: 'int32', values: number });
  store.set('visit_date', { type: 'date', values: date });
  VISIT_LABS.forEach((lab, l) => store.set(lab, { type: 'float64', values: labs[l], valid: valid[l] }));
  const siteRows = sites.map((s) => [visitStart[s.start], visitStart[s.end]] as [number, number]);
  return { store, siteRows, visitStart };
}
