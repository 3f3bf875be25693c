import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CryptoRandom, PrivacyLedger, fingerprintBytes, ledgerPathFor, discreteGaussian, discreteLaplace,
  dpQuantiles, dpBounds, dpBinEdges, dpDiscoverCategories, dpMeanVariance, categoryThreshold,
} from '../../../src/dp';
import { PrivacyBudgetError } from '../../../src/errors';
import { runCli } from '../../support/run-cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-dp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fp = fingerprintBytes('cohort-v1');

describe('CryptoRandom', () => {
  test('ChaCha20 keystream matches RFC 8439 §2.3.2', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Buffer.from('000000090000004a00000000', 'hex');
    const rng = new CryptoRandom(key, nonce);
    rng.bytes(64); // block counter 0; the RFC's test block is counter 1
    expect(rng.bytes(64).toString('hex')).toBe('10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e');
  });
  test('seeded runs reproduce, say they are not for production, and independent instances differ', () => {
    const a = CryptoRandom.fromSeed('run-1');
    const b = CryptoRandom.fromSeed('run-1');
    expect([a.uniform(), a.gaussian(), a.laplace()]).toEqual([b.uniform(), b.gaussian(), b.laplace()]);
    expect(a.warning).toMatch(/not for production/);
    expect(new CryptoRandom().warning).toBeNull();
    expect(new CryptoRandom().bytes(32).equals(new CryptoRandom().bytes(32))).toBe(false);
    expect(CryptoRandom.fromSeed('run-2').uniform()).not.toBe(CryptoRandom.fromSeed('run-1').uniform());
  });
  test('moments of uniform, Gaussian and Laplace samples', () => {
    const rng = new CryptoRandom();
    const n = 100000;
    let su = 0, sg = 0, sg2 = 0, sl2 = 0, cross = 0, prev = rng.gaussian();
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const g = rng.gaussian(0, 2);
      sg += g; sg2 += g * g; cross += g * prev; prev = g;
      const l = rng.laplace(0, 1.5);
      sl2 += l * l;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(Math.abs(sg / n)).toBeLessThan(0.03);
    expect(sg2 / n).toBeGreaterThan(3.9); expect(sg2 / n).toBeLessThan(4.1);
    expect(Math.abs(cross / n)).toBeLessThan(0.1); // consecutive samples uncorrelated (variance 4 each)
    expect(sl2 / n).toBeGreaterThan(2 * 1.5 ** 2 * 0.95); expect(sl2 / n).toBeLessThan(2 * 1.5 ** 2 * 1.05);
  });
  test('exact discrete Gaussian and discrete Laplace have the right variance', () => {
    const rng = CryptoRandom.fromSeed('discrete');
    const n = 5000;
    let g2 = 0, l2 = 0, gs = 0;
    for (let i = 0; i < n; i++) {
      const g = discreteGaussian(rng, 3);
      expect(Number.isInteger(g)).toBe(true);
      gs += g; g2 += g * g;
      const l = discreteLaplace(rng, 2);
      l2 += l * l;
    }
    expect(Math.abs(gs / n)).toBeLessThan(0.2);
    expect(g2 / n).toBeGreaterThan(9 * 0.9); expect(g2 / n).toBeLessThan(9 * 1.1);
    const lapVar = (2 * Math.exp(-0.5)) / (1 - Math.exp(-0.5)) ** 2;
    expect(l2 / n).toBeGreaterThan(lapVar * 0.88); expect(l2 / n).toBeLessThan(lapVar * 1.12);
  });
});

describe('PrivacyLedger', () => {
  const sgd = { kind: 'subsampled-gaussian' as const, noiseMultiplier: 1.5, sampleRate: 0.04, steps: 1000 };
  test('charges, refuses over budget with budget, spend and request in the message, and persists', () => {
    const file = ledgerPathFor(path.join(tmp, 'cohort.arrow'));
    const ledger = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget: { epsilon: 6, delta: 1e-5 } });
    const e1 = ledger.charge({ mechanism: sgd, datasetFingerprint: fp, note: 'training 1' });
    expect(e1.epsilonAfter).toBeGreaterThan(3);
    expect(e1.epsilonAfter).toBeLessThan(6);
    let err: Error | null = null;
    try {
      ledger.charge({ mechanism: sgd, datasetFingerprint: fp, note: 'training 2' });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(PrivacyBudgetError);
    expect(err?.message).toMatch(/budget epsilon=6, delta=0.00001/);
    expect(err?.message).toMatch(new RegExp(`spent so far epsilon=${e1.epsilonAfter.toPrecision(6).replace(/0+$/, '')}`));
    expect(err?.message).toMatch(/request subsampled Gaussian \(noise multiplier 1.5, sample rate 0.04, 1000 steps\)/);
    expect(ledger.entries).toHaveLength(1);
    const reopened = PrivacyLedger.open(file);
    expect(reopened.entries).toHaveLength(1);
    expect(reopened.spent().epsilon).toBeCloseTo(e1.epsilonAfter, 10);
    expect(reopened.spent().rdpEpsilon).toBeGreaterThan(reopened.spent().epsilon);
    const round = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(reopened.toJSON())));
    expect(round.toJSON()).toEqual(reopened.toJSON());
    expect(round.remaining().epsilon).toBeCloseTo(6 - e1.epsilonAfter, 10);
  });
  test('refuses another dataset and corrupt files', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 10, delta: 1e-5 } });
    expect(() => ledger.charge({ mechanism: sgd, datasetFingerprint: fingerprintBytes('other') })).toThrow(/another dataset/);
    const bad = path.join(tmp, 'bad.ledger.json');
    fs.writeFileSync(bad, '{"format":"hemasynth-privacy-ledger","version":1,"datasetFingerprint":"x","budget":{"epsilon":-1,"delta":0.1},"entries":[]}');
    expect(() => PrivacyLedger.open(bad)).toThrow(/Expected a budget .* for file ".*bad.ledger.json", field "budget"/);
  });
});

describe('DP preprocessing charges the ledger before reading', () => {
  const values = Array.from({ length: 2000 }, (_, i) => (i % 100) + 0.5);
  test('quantiles, bounds and bins are near the truth and charged', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 5, delta: 1e-6 } });
    const rng = CryptoRandom.fromSeed('q');
    const [q25, q50] = dpQuantiles(values, { ledger, rng, quantiles: [0.25, 0.5], range: [0, 200], epsilon: 1 });
    expect(Math.abs(q25 - 25)).toBeLessThan(3);
    expect(Math.abs(q50 - 50)).toBeLessThan(3);
    const b = dpBounds(values, { ledger, rng, range: [-100, 300], epsilon: 1 });
    expect(b.lower).toBeGreaterThanOrEqual(-1); expect(b.lower).toBeLessThan(4);
    expect(b.upper).toBeGreaterThan(96); expect(b.upper).toBeLessThan(101);
    const edges = dpBinEdges(values, { ledger, rng, range: [0, 100], bins: 4, epsilon: 1 });
    expect(edges[0]).toBe(0); expect(edges[edges.length - 1]).toBe(100);
    expect(Math.abs(edges[2] - 50)).toBeLessThan(4);
    expect(ledger.entries.map((e) => e.mechanism)).toEqual(['pure-dp', 'pure-dp', 'pure-dp']);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(3 + 0.02);
  });
  test('categories and moments; refusal happens before the data is loaded', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 3, delta: 1e-5 } });
    const rng = CryptoRandom.fromSeed('c');
    const genotypes = [...Array(500).fill('HbSS'), ...Array(300).fill('HbSC'), 'rare-one', null, ''];
    const found = dpDiscoverCategories(genotypes, { ledger, rng, noiseMultiplier: 4, thresholdDelta: 1e-7 });
    expect(found.map((c) => c.value)).toEqual(['HbSC', 'HbSS']);
    expect(categoryThreshold(4, 1e-7)).toBeGreaterThan(20);
    const m = dpMeanVariance(values, { ledger, rng, range: [0, 100], noiseMultiplier: 3 });
    expect(Math.abs(m.mean - 50)).toBeLessThan(2);
    expect(Math.abs((m.variance as number) - 833.25)).toBeLessThan(60);
    let loaded = false;
    expect(() => dpMeanVariance(() => { loaded = true; return values; }, { ledger, rng, range: [0, 100], noiseMultiplier: 0.3 })).toThrow(PrivacyBudgetError);
    expect(loaded).toBe(false);
    expect(ledger.entries).toHaveLength(2);
  });
});

describe('hemasynth privacy (CLI)', () => {
  const run = async (args: string[]) => {
    const r = await runCli(args);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  test('epsilon --json (rdp and prv)', async () => {
    const r = await run(['privacy', 'epsilon', '--accountant', 'rdp', '--noise-multiplier', '1.5', '--sample-rate', '0.04', '--steps', '2250', '--delta', '1e-5', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.epsilon).toBeCloseTo(7.32911117143, 8);
    expect(j.order).toBe(3.9);
    const p = await run(['privacy', 'epsilon', '--noise-multiplier', '1.5', '--sample-rate', '0.04', '--steps', '2249', '--delta', '1e-5', '--json']);
    const pj = JSON.parse(p.out);
    expect(pj.accountant).toBe('prv');
    expect(pj.epsilon).toBeGreaterThanOrEqual(6.75); expect(pj.epsilon).toBeLessThanOrEqual(6.79);
    expect(pj.error).toBe(0.01);
  });
  test('calibrate --json', async () => {
    const r = await run(['privacy', 'calibrate', '--accountant', 'rdp', '--epsilon', '8', '--delta', '1e-5', '--sample-rate', '0.04', '--steps', '2000', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Math.abs(j.noiseMultiplier - 1.3562) / 1.3562).toBeLessThan(0.01);
    expect(j.epsilon).toBeLessThanOrEqual(8);
  });
  test('bad and missing options exit 2 with the expected message', async () => {
    const bad = await run(['privacy', 'epsilon', '--noise-multiplier', '1', '--sample-rate', 'abc', '--steps', '10', '--delta', '1e-5']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Expected .* for --sample-rate but received "abc"/);
    const missing = await run(['privacy', 'epsilon', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/Expected a number in \[0, 1\] for --sample-rate but received nothing/);
    const acc = await run(['privacy', 'calibrate', '--accountant', 'gdp', '--epsilon', '1', '--delta', '1e-5', '--sample-rate', '0.1', '--steps', '10']);
    expect(acc.code).toBe(2);
    expect(acc.err).toMatch(/for --accountant but received "gdp"/);
  });
  test('ledger shows entries, spend, budget and remaining; a missing file exits 1', async () => {
    const file = path.join(tmp, 'cli.ledger.json');
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 4, delta: 1e-5 }, file });
    ledger.charge({ mechanism: { kind: 'laplace', scale: 2, count: 1 }, note: 'counts' });
    const r = await run(['privacy', 'ledger', file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.entries).toHaveLength(1);
    expect(j.budget).toEqual({ epsilon: 4, delta: 1e-5 });
    expect(j.spent.epsilon).toBeLessThanOrEqual(0.5 + 0.011);
    expect(j.remaining.epsilon).toBeCloseTo(4 - j.spent.epsilon, 10);
    const text = await run(['privacy', 'ledger', file]);
    expect(text.out).toMatch(/remaining epsilon/);
    const missing = await run(['privacy', 'ledger', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Expected a readable privacy ledger file/);
  });
});
