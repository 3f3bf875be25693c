/**
 * The ledger stays a correct, readable record: a new file is written at its first charge only, a
 * mechanism with a non-finite parameter is never recorded, and a ledger file holding one (as
 * earlier versions could write) is refused with a clear error and left untouched. The planner
 * refuses an ε it cannot certify or that would take hours to calibrate, before any charge.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrivacyLedger, fingerprintBytes } from '../../../src/dp/ledger';
import { checkTrainingEpsilon, MAX_TRAINING_EPSILON, MIN_TRAINING_EPSILON, PrivacyPlanner } from '../../../src/models/privacy-plan';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-ledger-records-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fp = fingerprintBytes('ledger-records');
const budget = { epsilon: 2, delta: 1e-6 };

describe('PrivacyLedger.openOrCreate', () => {
  test('writes a new ledger at its first charge, not when opened', () => {
    const file = path.join(tmp, 'new', 'data.csv.ledger.json');
    const ledger = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget });
    expect(fs.existsSync(file)).toBe(false);
    expect(ledger.spent().epsilon).toBe(0);
    ledger.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 20, count: 1 }, note: 'count' });
    const stored = PrivacyLedger.open(file);
    expect(stored.budget).toEqual(budget);
    expect(stored.entries).toHaveLength(1);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['data.csv.ledger.json']);
  });

  test('a file another process created meanwhile keeps its budget', () => {
    const file = path.join(tmp, 'race.ledger.json');
    const mine = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget: { epsilon: 5, delta: 1e-6 } });
    const theirs = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget: { epsilon: 1, delta: 1e-6 } });
    theirs.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 20, count: 1 } });
    mine.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 20, count: 1 } });
    expect(mine.budget.epsilon).toBe(1);
    const stored = PrivacyLedger.open(file);
    expect(stored.budget.epsilon).toBe(1);
    expect(stored.entries).toHaveLength(2);
  });
});

describe('non-finite parameters', () => {
  test.each([
    [{ kind: 'gaussian', noiseMultiplier: Infinity, count: 1 }, 'noiseMultiplier'],
    [{ kind: 'laplace', scale: Infinity, count: 1 }, 'scale'],
    [{ kind: 'subsampled-gaussian', noiseMultiplier: Infinity, sampleRate: 0.1, steps: 10 }, 'noiseMultiplier'],
  ] as const)('a charge of %j is refused and nothing is written', (mechanism, field) => {
    const file = path.join(tmp, `inf-${field}-${mechanism.kind}.ledger.json`);
    const ledger = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget });
    expect(() => ledger.charge({ mechanism, note: 'x' })).toThrow(new RegExp(`Expected finite privacy parameters for request\\.mechanism\\.${field} but received number Infinity`));
    expect(ledger.entries).toHaveLength(0);
    expect(fs.existsSync(file)).toBe(false);
    // An existing file is left byte for byte as it was.
    ledger.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 30, count: 1 } });
    const bytes = fs.readFileSync(file);
    expect(() => ledger.charge({ mechanism })).toThrow(/finite/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  test('a ledger file with a null parameter is refused with a clear error and not rewritten', () => {
    const file = path.join(tmp, 'corrupt.ledger.json');
    const good = PrivacyLedger.create({ datasetFingerprint: fp, budget, file });
    good.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 30, count: 1 } });
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.entries[0].parameters.noiseMultiplier = null; // what JSON.stringify made of Infinity
    fs.writeFileSync(file, JSON.stringify(json, null, 2));
    const bytes = fs.readFileSync(file);
    expect(() => PrivacyLedger.open(file)).toThrow(/for file ".*corrupt\.ledger\.json", field "entries\[0\]\.parameters\.noiseMultiplier" but received null\. JSON writes a non-finite number as null/);
    expect(() => PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget })).toThrow(/entries\[0\]\.parameters\.noiseMultiplier/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });
});

describe('the training epsilon range', () => {
  const ledger = () => PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 1e6, delta: 1e-6 } });
  test.each([[1e-300], [1e-16], [MIN_TRAINING_EPSILON / 2]])('epsilon %p is refused naming the smallest that works', (epsilon) => {
    expect(() => new PrivacyPlanner(ledger(), { epsilon, delta: 1e-6 })).toThrow(new RegExp(`received ${epsilon}: .*${MIN_TRAINING_EPSILON} is the smallest that works`));
    expect(() => checkTrainingEpsilon(epsilon, '--epsilon')).toThrow(/for --epsilon of a DP training/);
  });
  test.each([[MAX_TRAINING_EPSILON * 1.01], [1e12], [Number.MAX_VALUE], [Infinity], [NaN]])('epsilon %p is refused (Infinity is the non-private path, not the planner\'s)', (epsilon) => {
    expect(() => new PrivacyPlanner(ledger(), { epsilon, delta: 1e-6 })).toThrow(/Expected an epsilon in \[0\.01, 100\] for epsilon of a DP training \(or epsilon = Infinity for an explicitly non-private model\)/);
  });
  test('the bounds themselves are accepted; calibrate never returns a rho that leaves an infinite sigma', () => {
    expect(checkTrainingEpsilon(MIN_TRAINING_EPSILON)).toBe(MIN_TRAINING_EPSILON);
    expect(checkTrainingEpsilon(MAX_TRAINING_EPSILON)).toBe(MAX_TRAINING_EPSILON);
    const planner = new PrivacyPlanner(ledger(), { epsilon: 1, delta: 1e-6 });
    const shares = [{ kind: 'gaussian' as const, share: 1, count: 3, note: 'x' }];
    // (Visits calibrate a share of ε this way.) ρ would underflow to 0: σ = ∞ "fits" any ε.
    expect(() => planner.calibrate(shares, 1e-300)).toThrow(/Expected an epsilon the PRV accountant can certify/);
    const l = planner.ledger;
    expect(l.entries).toHaveLength(0);
  });
  test(`the largest epsilon, ${MAX_TRAINING_EPSILON}, calibrates and charges in seconds (PRV error scaled to epsilon)`, () => {
    const t0 = Date.now();
    const planner = new PrivacyPlanner(ledger(), { epsilon: MAX_TRAINING_EPSILON, delta: 1e-6 });
    const plan = planner.chargePlan([{ kind: 'gaussian', share: 0.6, count: 6, note: '1-way' }, { kind: 'exponential', share: 0.1, count: 5, note: 'selection' }, { kind: 'gaussian', share: 0.3, count: 5, note: '2-way' }]);
    for (const m of plan) expect(Number.isFinite(m.sigma ?? m.epsilonEach)).toBe(true);
    expect(planner.spentEpsilon).toBeLessThanOrEqual(MAX_TRAINING_EPSILON);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('PrivacyPlanner.deferMechanisms: a first part of a training recorded only with the next charge', () => {
  const visits = { mechanism: { kind: 'gaussian' as const, noiseMultiplier: 30, count: 1 }, note: 'visits (deferred)' };
  const shares = [{ kind: 'gaussian' as const, share: 1, count: 4, note: 'generator' }];

  test('nothing is written until the next charge, which records the deferred mechanisms first', () => {
    const file = path.join(tmp, 'deferred', 'data.csv.ledger.json');
    const ledger = PrivacyLedger.openOrCreate(file, { datasetFingerprint: fp, budget });
    const planner = new PrivacyPlanner(ledger, { epsilon: 1, delta: 1e-6 });
    planner.deferMechanisms([visits]);
    expect(fs.existsSync(file)).toBe(false);
    expect(ledger.entries).toHaveLength(0);
    expect(planner.hasDeferred).toBe(true);
    expect(planner.chargedMechanisms).toHaveLength(1); // later plans are calibrated on top of it
    expect(planner.spentEpsilon).toBeGreaterThan(0);
    planner.chargePlan(shares);
    expect(planner.hasDeferred).toBe(false);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written.entries.map((e: { note: string }) => e.note)).toEqual(['visits (deferred)', 'generator']);
    expect(planner.spentEpsilon).toBeLessThanOrEqual(1);
    planner.commitDeferred(); // nothing left: records nothing twice
    expect(PrivacyLedger.open(file).entries).toHaveLength(2);
  });

  test('the ledger check counts the deferred mechanisms; a refusal records none of them', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget: { epsilon: 3, delta: 1e-6 } });
    ledger.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 1.6, count: 1 }, note: 'earlier' });
    const planner = new PrivacyPlanner(ledger, { epsilon: 1, delta: 1e-6 });
    const small = { mechanism: { kind: 'gaussian' as const, noiseMultiplier: 30, count: 1 }, note: 'visits' };
    planner.deferMechanisms([small]); // it alone fits what is left
    expect(() => planner.chargePlan(shares)).toThrow(/Privacy budget exceeded .*spent so far epsilon=2\.89\d*; this training \(epsilon=1\)/);
    // σ = 6.2 alone fits what is left (2.9986 <= 3), not with the deferred σ = 30 (3.0030).
    const last = { mechanism: { kind: 'gaussian' as const, noiseMultiplier: 6.2, count: 1 }, note: 'last' };
    expect(() => planner.chargeMechanisms([last])).toThrow(/Privacy budget exceeded/);
    expect(ledger.entries.map((e) => e.note)).toEqual(['earlier']);
    const control = PrivacyLedger.fromJSON(ledger.toJSON());
    new PrivacyPlanner(control, { epsilon: 1, delta: 1e-6 }).chargeMechanisms([last]);
    expect(control.entries.map((e) => e.note)).toEqual(['earlier', 'last']);
    // Deferred mechanisms within the training's ε only, like a charge.
    const tight = new PrivacyPlanner(PrivacyLedger.create({ datasetFingerprint: fp, budget }), { epsilon: 0.5, delta: 1e-6 });
    expect(() => tight.deferMechanisms([{ mechanism: { kind: 'gaussian', noiseMultiplier: 0.5, count: 1 }, note: 'too much' }])).toThrow(/Expected mechanisms within this training's epsilon=0\.5/);
    expect(tight.hasDeferred).toBe(false);
  });

  test('commitDeferred records them when no charge follows', () => {
    const ledger = PrivacyLedger.create({ datasetFingerprint: fp, budget });
    const planner = new PrivacyPlanner(ledger, { epsilon: 1, delta: 1e-6 });
    planner.deferMechanisms([visits]);
    planner.commitDeferred();
    expect(ledger.entries.map((e) => e.note)).toEqual(['visits (deferred)']);
  });
});
