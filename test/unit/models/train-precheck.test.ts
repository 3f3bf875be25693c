/**
 * trainModel refuses, before its first charge, everything it can check without reading the table:
 * each generator's options (the same way with and without DP), a backend that cannot run here,
 * a schema constraint of no known form, an empty table and an ε too small for a visits share.
 * Every refusal leaves the ledger it was given without an entry.
 */
import { simulateCohort } from '../../../src/scd';
import { PrivacyLedger, fingerprintBytes } from '../../../src/dp/ledger';
import { backendStatuses } from '../../../src/backend/availability';
import { trainModel } from '../../../src/models';
import { checkCopulaOptions } from '../../../src/models/copula/copula-generator';
import { checkMarginalOptions } from '../../../src/models/marginal/marginal-generator';

const sim = simulateCohort({ patients: 200, sites: 2, seed: 1 });
const freshLedger = () => PrivacyLedger.create({ datasetFingerprint: fingerprintBytes('precheck'), budget: { epsilon: 10, delta: 1e-6 } });

/** Trains expecting a refusal matching `message`; the ledger must have no entry afterwards. */
function refused(model: string, epsilon: number, options: Record<string, unknown>, message: RegExp, extra: Partial<Parameters<typeof trainModel>[0]> = {}): void {
  const ledger = freshLedger();
  expect(() => trainModel({ table: sim.patients, schema: sim.schema, model, epsilon, delta: 1e-6, seed: 1, options, ...(epsilon === Infinity ? {} : { ledger }), ...extra })).toThrow(message);
  expect(ledger.entries).toHaveLength(0);
}

describe.each([[2], [Infinity]])('options are checked before any charge (epsilon %p)', (epsilon) => {
  test('marginal', () => {
    refused('marginal', epsilon, { bins: -4 }, /option bins to be a whole number in \[2, 64\] but received -4/);
    refused('marginal', epsilon, { maxParents: 'x' }, /option maxParents to be a whole number >= 0 but received "x"/);
    refused('marginal', epsilon, { depthPenalty: 'deep' }, /option depthPenalty/);
    refused('marginal', epsilon, { shares: { oneWay: -1 } }, /shares\.oneWay/);
    refused('marginal', epsilon, { familySearch: { maxCell: 3 } }, /familySearch\.maxCell/);
    refused('marginal', epsilon, { backend: 'cuda' }, /no CUDA kernels/);
  });
  test('copula', () => {
    refused('copula', epsilon, { stratifyBy: 'nosuch' }, /option stratifyBy .* but received "nosuch"/);
    refused('copula', epsilon, { stratifyBy: 'site' }, /option stratifyBy .* but received "site"/); // a quasi-identifier
    refused('copula', epsilon, { bins: 1.5 }, /option bins/);
  });
  test('tvae and ctgan', () => {
    refused('tvae', epsilon, { alphaSigma: 0 }, /tvae option alphaSigma/);
    refused('tvae', epsilon, { epochs: 0 }, /tvae option epochs/);
    refused('ctgan', epsilon, { embeddingDim: 'wide' }, /ctgan option embeddingDim/);
    if (epsilon !== Infinity) refused('ctgan', epsilon, { pac: 2 }, /Expected pac 1 for a DP ctgan/);
    if (epsilon !== Infinity) refused('tvae', epsilon, { latentPrior: 'fitted' }, /latentPrior "standard" for a DP tvae/);
    if (backendStatuses().find((b) => b.name === 'cuda')?.usable !== true) refused('tvae', epsilon, { backend: 'cuda' }, /backend cuda is unusable for tvae option backend/);
  });
});

describe('the table and schema are checked before any charge', () => {
  test('a table of 0 rows', () => {
    refused('copula', 2, {}, /Expected a training table with at least one row for copula but received 0 rows/, { table: sim.patients.slice(0, 0) });
    refused('marginal', Infinity, {}, /at least one row/, { table: sim.patients.slice(0, 0) });
  });
  test('a constraint of no known form names its index and text', () => {
    const schema = { ...sim.schema, constraints: [...(sim.schema.constraints ?? []), 'age_years +* 3'] };
    const at = schema.constraints.length - 1;
    refused('marginal', 2, {}, new RegExp(`field "schema\\.constraints\\[${at}\\]" but received "age_years \\+\\* 3"`), { schema });
  });
  test('an epsilon whose visits share the accountant cannot certify', () => {
    refused('marginal', 0.05, {}, /Expected an epsilon of at least 0\.1 for a DP training with a visits table/, { visits: { table: sim.visits } });
  });
});

describe('with a visits table, the generator\'s checks still come before any charge (the visits share included)', () => {
  const visits = { table: sim.visits, schema: sim.visitsSchema };
  test('a ledger that affords the visits share but not the whole training gets no entry', () => {
    for (const model of ['marginal', 'copula']) {
      const ledger = PrivacyLedger.create({ datasetFingerprint: fingerprintBytes('precheck'), budget: { epsilon: 3, delta: 1e-6 } });
      ledger.charge({ mechanism: { kind: 'gaussian', noiseMultiplier: 1.6, count: 1 }, note: 'earlier' });
      expect(() => trainModel({ table: sim.patients, schema: sim.schema, model, epsilon: 1, delta: 1e-6, seed: 1, ledger, visits })).toThrow(/Privacy budget exceeded/);
      expect(ledger.entries.map((e) => e.note)).toEqual(['earlier']);
    }
  });
  test('a refusal inside the generator\'s training (shares.quantiles 0 with an unbounded column) records nothing', () => {
    const schema = { ...sim.schema, columns: sim.schema.columns.map((c) => (c.name === 'ldh_u_l' ? { ...c, min: undefined, max: undefined } : c)) };
    refused('marginal', 2, { shares: { quantiles: 0 } }, /option shares\.quantiles > 0/, { schema, visits });
  });
  test('a visit of no patient is refused before any charge', () => {
    const keys = sim.visits.getChild('patient_id')!;
    const stray = sim.patients.slice(0, 20);
    expect(keys.length).toBeGreaterThan(0);
    refused('marginal', 2, {}, /Expected the key of a patient in the patients table for row \d+, column "patient_id"/, { table: stray, visits });
  });
});

describe('valid options pass the checks', () => {
  test('stratifyBy names declared categorical columns; the combinations are counted from the schema', () => {
    expect(() => checkCopulaOptions({ stratifyBy: 'genotype' }, sim.schema)).not.toThrow();
    expect(() => checkCopulaOptions({ stratifyBy: 'auto', bins: 8 }, sim.schema)).not.toThrow();
    expect(() => checkCopulaOptions({ stratifyBy: 'genotype,genotype' }, sim.schema)).toThrow(/stratifyBy/);
    expect(() => checkMarginalOptions({ bins: 8, maxParents: 2, parentLevels: 3, compress: false, maxDepth: 0, maxEdges: 4, shares: { twoWay: 0.3 }, familySearch: { searchRows: 1000 }, numericEdges: 'auto' })).not.toThrow();
  });
});
