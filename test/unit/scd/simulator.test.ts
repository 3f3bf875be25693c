import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Table } from 'apache-arrow';
import { readArrowFile } from '../../../src/data/arrow-file';
import { validateTable } from '../../../src/data/table-validation';
import { simulateCohort, writeSimulation } from '../../../src/scd/simulate';
import { resolveScdParams } from '../../../src/scd/params';
import { constraintViolations } from '../../../src/models/constraints';

function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) out[f] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
  return out;
}

function values(t: Table, name: string): unknown[] {
  const col = t.getChild(name);
  if (!col) throw new Error(`no column ${name}`);
  return Array.from({ length: col.length }, (_, i) => col.get(i));
}

describe('SCD cohort simulator', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-scd-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const sim = simulateCohort({ patients: 2000, sites: 4, seed: 11 });
  const t = sim.patients;

  test('same seed gives identical bytes in every file; another seed differs', () => {
    const a = path.join(tmp, 'a'), b = path.join(tmp, 'b'), c = path.join(tmp, 'c');
    const written = writeSimulation(a, simulateCohort({ patients: 300, sites: 3, seed: 5 }));
    writeSimulation(b, simulateCohort({ patients: 300, sites: 3, seed: 5 }));
    writeSimulation(c, simulateCohort({ patients: 300, sites: 3, seed: 6 }));
    expect(written.map((f) => path.basename(f)).sort()).toEqual(
      ['params.json', 'patients.arrow', 'schema.json', 'site-ES1.arrow', 'site-IT1.arrow', 'site-NL1.arrow', 'visits-ES1.arrow', 'visits-IT1.arrow', 'visits-NL1.arrow', 'visits.arrow', 'visits.schema.json'],
    );
    const ha = hashDir(a), hb = hashDir(b), hc = hashDir(c);
    expect(ha).toEqual(hb);
    for (const f of Object.keys(ha).filter((x) => x.endsWith('.arrow'))) expect(hc[f]).not.toEqual(ha[f]);
    // The files read back as the tables that were written.
    const back = readArrowFile(path.join(a, 'patients.arrow'));
    expect(back.numRows).toBe(300);
    const params = JSON.parse(fs.readFileSync(path.join(a, 'params.json'), 'utf8'));
    expect(params.run.seed).toBe(5);
    expect(params.run.realised_sites.map((s: { code: string }) => s.code)).toEqual(['IT1', 'NL1', 'ES1']);
  });

  test('sites cycle countries and split patients; per-site tables add up', () => {
    const s6 = simulateCohort({ patients: 600, sites: 6, seed: 2 });
    expect(s6.perSite.map((s) => s.site)).toEqual(['IT1', 'NL1', 'ES1', 'FR1', 'IT2', 'NL2']);
    expect(s6.perSite.reduce((a, s) => a + s.patients.numRows, 0)).toBe(600);
    expect(s6.perSite.reduce((a, s) => a + s.visits.numRows, 0)).toBe(s6.visits.numRows);
    for (const s of s6.perSite) expect(new Set(values(s.patients, 'site'))).toEqual(new Set([s.site]));
  });

  test('every column is in the schema with a matching kind, bounds and categories', () => {
    const names = t.schema.fields.map((f) => f.name);
    expect(sim.schema.columns.map((c) => c.name)).toEqual(names);
    expect(names.length).toBeGreaterThan(280);
    const problems: string[] = [];
    for (const col of sim.schema.columns) {
      if (!col.role || !col.source) problems.push(`${col.name}: no role or source`);
      const v = values(t, col.name);
      if (col.nullable === false && v.some((x) => x === null)) problems.push(`${col.name}: nulls in a non-nullable column`);
      for (const x of v) {
        if (x === null) continue;
        if (col.kind === 'continuous' || col.kind === 'integer') {
          if (typeof x !== 'number' || !Number.isFinite(x)) problems.push(`${col.name}: ${String(x)} is not a finite number`);
          else if ((col.min !== undefined && x < (col.min as number)) || (col.max !== undefined && x > (col.max as number))) problems.push(`${col.name}: ${x} outside [${col.min}, ${col.max}]`);
          else if (col.kind === 'integer' && !Number.isInteger(x)) problems.push(`${col.name}: ${x} not an integer`);
        } else if (col.kind === 'categorical' && !col.categories?.includes(x as string)) problems.push(`${col.name}: ${String(x)} not a category`);
        else if (col.kind === 'boolean' && typeof x !== 'boolean') problems.push(`${col.name}: ${String(x)} not boolean`);
        if (problems.length > 5) break;
      }
    }
    expect(problems).toEqual([]);
    for (const col of sim.visitsSchema.columns) expect(sim.visits.schema.fields.map((f) => f.name)).toContain(col.name);
  });

  test('demographics, identifiers and clinical constraints hold', () => {
    const age = values(t, 'age_years') as number[];
    expect(Math.min(...age)).toBeGreaterThanOrEqual(1);
    const paed = age.filter((a) => a < 18).length / age.length;
    expect(paed).toBeGreaterThan(0.55);
    expect(paed).toBeLessThan(0.69);
    expect(new Set(values(t, 'patient_id')).size).toBe(t.numRows);
    const mrn = values(t, 'hospital_record_number') as string[];
    const site = values(t, 'site') as string[];
    expect(new Set(mrn.map((m, i) => `${site[i]}|${m}`)).size).toBe(t.numRows);
    const geno = values(t, 'genotype') as string[];
    const tcd = values(t, 'tcd_velocity_cm_s');
    const lic = values(t, 'lic_mg_g');
    const transf = values(t, 'chronic_transfusion');
    const hba2 = values(t, 'hba2_pct');
    const dob = values(t, 'date_of_birth') as number[];
    for (let i = 0; i < t.numRows; i++) {
      if (tcd[i] !== null) expect(age[i] >= 2 && age[i] < 17).toBe(true);
      if (lic[i] !== null) expect(transf[i]).toBe(true);
      if (geno[i] === 'SC') expect(hba2[i]).toBeNull();
      expect(typeof dob[i]).toBe('number');
    }
    // Visits link to patients and carry the same record numbers.
    const pid = new Map((values(t, 'patient_id') as string[]).map((p, i) => [p, mrn[i]]));
    const vp = values(sim.visits, 'patient_id') as string[];
    const vm = values(sim.visits, 'hospital_record_number') as string[];
    vp.forEach((p, k) => expect(pid.get(p)).toBe(vm[k]));
    expect(sim.visits.numRows).toBeGreaterThan(2 * t.numRows);
    // The schema's constraints are true of the cohort (generators enforce them on synthetic rows).
    expect(sim.schema.constraints).toContain('followup_years <= age_years');
    // Values that exist only for some patients (the data dictionary's "stroke patients only",
    // "treated patients only"): without these, 12% of a DP copula's synthetic rows (ε = 3) had a
    // stroke age without a stroke or a stroke without its age.
    expect(sim.schema.constraints).toEqual(expect.arrayContaining(['stroke_age_years is null when not stroke', 'hbf_baseline_pct is null when not hydroxyurea', 'mcv_baseline_fl is null when not hydroxyurea']));
    for (const [c, bad] of constraintViolations(t, sim.schema)) expect(`${c}: ${bad}`).toBe(`${c}: 0`);
  });

  test('missingness is measure-specific, age- and site-dependent and plausible', () => {
    const rate = (name: string, pred: (i: number) => boolean = () => true) => {
      const v = values(t, name);
      const idx = v.map((_, i) => i).filter(pred);
      return idx.filter((i) => v[i] === null).length / idx.length;
    };
    expect(rate('hb_g_dl')).toBeLessThan(0.06);
    expect(rate('ferritin_ug_l')).toBeGreaterThan(0.08);
    expect(rate('ferritin_ug_l')).toBeLessThan(0.4);
    expect(rate('ldh_u_l')).toBeGreaterThan(rate('hb_g_dl'));
    const age = values(t, 'age_years') as number[];
    expect(rate('sci_mri', (i) => age[i] >= 18)).toBeGreaterThan(rate('sci_mri', (i) => age[i] >= 12 && age[i] < 18));
    const site = values(t, 'site') as string[];
    // ES has the highest missing factor, NL the lowest (templates).
    expect(rate('ldh_u_l', (i) => site[i] === 'ES1')).toBeGreaterThan(rate('ldh_u_l', (i) => site[i] === 'NL1'));
    // Omics only in a sub-study.
    expect(rate('snp_001')).toBeGreaterThan(0.5);
    expect(rate('met_01')).toBeGreaterThan(0.5);
  });

  test('sites are not identically distributed', () => {
    const geno = values(t, 'genotype') as string[];
    const site = values(t, 'site') as string[];
    const frac = (s: string) => geno.filter((g, i) => site[i] === s && (g === 'Sb0' || g === 'Sb+')).length / site.filter((x) => x === s).length;
    expect(frac('IT1')).toBeGreaterThan(frac('FR1') + 0.05);
  });

  test('wide mode reaches about 600 columns', () => {
    const w = simulateCohort({ patients: 120, sites: 2, seed: 3, wide: true });
    expect(w.patients.numCols).toBeGreaterThanOrEqual(550);
    expect(w.patients.numCols).toBeLessThanOrEqual(650);
    expect(w.schema.columns).toHaveLength(w.patients.numCols);
    expect(new Set(w.schema.columns.map((c) => c.name)).size).toBe(w.patients.numCols);
  });

  test('parameter overrides apply and bad ones name the field', () => {
    const p = resolveScdParams({ simulator: { snp_panel: { n: 10 }, metabolomics: { n: 25 } } });
    const s = simulateCohort({ patients: 50, seed: 1, params: p });
    expect(s.patients.schema.fields.filter((f) => f.name.startsWith('snp_'))).toHaveLength(10);
    expect(s.patients.schema.fields.filter((f) => f.name.startsWith('met_'))).toHaveLength(25);
    expect(() => resolveScdParams({ cohort: { genotype_probs: { SS: 0.9 } } })).toThrow(/field "cohort.genotype_probs".*summing to 1/);
    expect(() => resolveScdParams({ simulator: { voc: { dispersion: 1 } } })).toThrow(/field "simulator.voc.dispersion".*unknown name/);
    expect(() => resolveScdParams({ hydroxyurea: { p_on_HU: { SS: 1.5 } } })).toThrow(/\[0, 1\] for field "hydroxyurea.p_on_HU.SS" but received number 1.5/);
    expect(() => resolveScdParams({ labs_adult_mean_sd: { Hb_g_dL: { SS: [8, -1] } } })).toThrow(/Hb_g_dL.SS\[1\]/);
    // A reversed or negative age range gave negative ages and birth dates in the future.
    expect(() => resolveScdParams({ cohort: { age: { paediatric_range: [-10, -5] } } })).toThrow(/0 <= from < to <= 120 for field "cohort.age.paediatric_range"/);
    expect(() => resolveScdParams({ cohort: { age: { paediatric_range: [17, 1] } } })).toThrow(/cohort.age.paediatric_range/);
    expect(() => resolveScdParams({ simulator: { reference_date: '2024-13-45' } })).toThrow(/simulator.reference_date/);
    expect(() => simulateCohort({ patients: 0 })).toThrow(/patients/);
    expect(() => simulateCohort({ patients: 3, sites: 4 })).toThrow(/at least one patient per site/);
  });

  test('the files keep to the schema they carry (every reader checks values against it): no age under the declared minimum', () => {
    // 5,000 patients of seed 3 held one age_years of 0.9 (a death in the first months of
    // follow-up) under the data dictionary's minimum of 1 year: the file could not be read back.
    const big = simulateCohort({ patients: 5000, sites: 2, seed: 3 });
    expect(() => validateTable(big.patients, big.schema, 'patients.arrow')).not.toThrow();
    const age = big.schema.columns.find((c) => c.name === 'age_years')!;
    expect(age.min).toBe(1);
    expect(values(big.patients, 'age_years')[3394]).toBe(1);
    const dir = path.join(tmp, 'own-schema');
    writeSimulation(dir, big);
    for (const f of ['patients.arrow', 'site-IT1.arrow', 'site-NL1.arrow', 'visits.arrow']) expect(readArrowFile(path.join(dir, f)).numRows).toBeGreaterThan(0);
  });

  test('the schema\'s constraints hold on a large cohort: a stroke in the last weeks of follow-up is not recorded above the age', () => {
    // 20,000 patients of seed 3 had two stroke ages (rounded to 0.1 y) above the floored age.
    const big = simulateCohort({ patients: 20000, sites: 4, seed: 3 });
    for (const [c, bad] of constraintViolations(big.patients, big.schema)) expect(`${c}: ${bad}`).toBe(`${c}: 0`);
    const age = values(big.patients, 'age_years') as number[], stroke = values(big.patients, 'stroke_age_years') as (number | null)[];
    expect(stroke[10421]).toBe(age[10421]);
    expect(stroke[12134]).toBe(age[12134]);
  });
});
