// A small simulated sickle-cell cohort with known associations, and the degenerate
// "generators" the evaluation must flag: one that copies its training rows and one that
// shuffles every column independently (marginals kept, associations destroyed).
import { Table, vectorFromArray, Dictionary, Utf8, Int32, Bool, Float64 } from 'apache-arrow';
import { SeededSampler } from '../../../src/evaluate/statistics/random';

export interface CohortColumns {
  age: number[];
  sex: string[];
  genotype: string[];
  hbf_pct: (number | null)[];
  hb_g_dl: number[];
  crises_per_year: number[];
  hospitalised: boolean[];
}

function normal(rng: SeededSampler): number {
  const u = 1 - rng.next(), v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function poisson(rng: SeededSampler, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0, p = 1;
  do { k++; p *= rng.next(); } while (p > l);
  return k - 1;
}

export function cohortColumns(n: number, seed: number): CohortColumns {
  const rng = new SeededSampler(seed);
  const c: CohortColumns = { age: [], sex: [], genotype: [], hbf_pct: [], hb_g_dl: [], crises_per_year: [], hospitalised: [] };
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const g = u < 0.65 ? 'HbSS' : u < 0.9 ? 'HbSC' : 'HbSb0';
    const age = 1 + rng.int(60);
    const hbf = Math.max(0.5, (g === 'HbSC' ? 3 : 8) + 4 * normal(rng) - 0.05 * age);
    const hb = (g === 'HbSC' ? 10.5 : 8.2) + 0.08 * hbf + 0.7 * normal(rng);
    const crises = poisson(rng, Math.exp(0.6 - 0.08 * hbf + (g === 'HbSC' ? -0.7 : 0) + 0.01 * age));
    const hosp = rng.next() < 1 / (1 + Math.exp(-(-2 + 0.6 * crises)));
    c.age.push(age);
    c.sex.push(rng.next() < 0.5 ? 'F' : 'M');
    c.genotype.push(g);
    c.hbf_pct.push(rng.next() < 0.05 ? null : Math.round(hbf * 10) / 10);
    c.hb_g_dl.push(Math.round(hb * 100) / 100);
    c.crises_per_year.push(crises);
    c.hospitalised.push(hosp);
  }
  return c;
}

export function cohortTable(c: CohortColumns): Table {
  return new Table({
    age: vectorFromArray(c.age, new Int32()),
    sex: vectorFromArray(c.sex, new Dictionary(new Utf8(), new Int32())),
    genotype: vectorFromArray(c.genotype, new Dictionary(new Utf8(), new Int32())),
    hbf_pct: vectorFromArray(c.hbf_pct, new Float64()),
    hb_g_dl: vectorFromArray(c.hb_g_dl, new Float64()),
    crises_per_year: vectorFromArray(c.crises_per_year, new Int32()),
    hospitalised: vectorFromArray(c.hospitalised, new Bool()),
  });
}

/** Every column permuted independently: same marginals, no associations. */
export function shuffledColumns(c: CohortColumns, seed: number): CohortColumns {
  const rng = new SeededSampler(seed);
  const out = {} as Record<string, unknown[]>;
  for (const [k, v] of Object.entries(c)) {
    const perm = rng.sample(v.length, v.length);
    out[k] = Array.from(perm, (i) => (v as unknown[])[i]);
  }
  return out as unknown as CohortColumns;
}

