import { Table, makeVector } from 'apache-arrow';
import { simulateCohort } from '../../../src/scd/simulate';
import { runScdChecks, checkV1, checkV10 } from '../../../src/evaluate/clinical/scd-checks';
import { SeededRandom } from '../../../src/scd/random';

function withColumns(t: Table, replace: Record<string, Float64Array | null>): Table {
  const cols: Record<string, ReturnType<typeof makeVector>> = {};
  for (const f of t.schema.fields) {
    if (f.name in replace) {
      const r = replace[f.name];
      if (r) cols[f.name] = makeVector(r);
    } else cols[f.name] = t.getChild(f.name)!;
  }
  return new Table(cols);
}

function shuffled(t: Table, name: string, seed: number): Float64Array {
  const col = t.getChild(name)!;
  const v = Float64Array.from({ length: col.length }, (_, i) => (col.get(i) as number | null) ?? NaN);
  const rng = new SeededRandom(seed, 'shuffle');
  for (let i = v.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

describe('SCD clinical-validity checks V1-V13', () => {
  const sim = simulateCohort({ patients: 5000, sites: 4, seed: 2024 });
  const results = runScdChecks(sim.patients);

  test('a 5,000-patient simulated cohort meets every band', () => {
    expect(results.map((r) => r.id)).toEqual(['V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10', 'V11', 'V12', 'V13']);
    for (const r of results) {
      expect({ id: r.id, passed: r.passed, note: r.note }).toEqual({ id: r.id, passed: true, note: r.note });
      expect(r.n).toBeGreaterThan(50);
      for (const k of Object.keys(r.bands)) expect(Number.isFinite(r.statistics[k])).toBe(true);
    }
    // The headline numbers sit near the published values, not just inside wide bands.
    const v1 = results[0].statistics;
    expect(v1.SC_minus_SS).toBeGreaterThan(2.6);
    expect(v1.SC_minus_SS).toBeLessThan(3.4);
    expect(results[3].statistics.irr_per_doubling_hbf).toBeGreaterThan(0.65);
    expect(results[3].statistics.irr_per_doubling_hbf).toBeLessThan(0.85);
  });

  test('checks fail when an association is destroyed', () => {
    const t = sim.patients;
    const noHb = withColumns(t, { hb_g_dl: shuffled(t, 'hb_g_dl', 1) });
    const v1 = checkV1(noHb);
    expect(v1.passed).toBe(false);
    expect(Math.abs(v1.statistics.SC_minus_SS)).toBeLessThan(0.6);
    const noQtl = withColumns(t, { hbf_pct: shuffled(t, 'hbf_pct', 2) });
    const v10 = checkV10(noQtl);
    expect(v10.passed).toBe(false);
    expect(v10.statistics.r2_log_hbf_qtls).toBeLessThan(0.05);
  });

  test('a missing column is reported, not thrown', () => {
    const r = checkV1(withColumns(sim.patients, { hb_g_dl: null }));
    expect(r.passed).toBe(false);
    expect(r.n).toBe(0);
    expect(r.note).toMatch(/"hb_g_dl" missing/);
  });
});
